package drivertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/scs-stores/dynamostore/internal/core"
	"github.com/scs-stores/dynamostore/internal/testsuite/testenv"
)

// The requests each call sends: one per call, none for a token that cannot
// be a key, and one Scan per page of each segment for All.
func init() {
	add(
		test{"EachCallSendsOneRequestOrNoneForATokenThatCannotBeAKey", testOneRequestPerCall},
		test{"AllSendsOneScanPerPageOfEachSegmentAndSkipsExpired", testAllScansEveryPage},
		test{"AllFollowsPagesTheEngineCutsBySize", testAllFollowsPagesCutBySize},
		test{"AllOfAnEmptyTableIsAnEmptyNonNilMapFromOneScanPerSegment", testAllOfAnEmptyTable},
	)
}

func testOneRequestPerCall(t *testing.T, h *H) {
	t.Parallel()
	rec := &Recorder{}
	s := recordedStore(t, h, rec, h.NewTable(t), core.WithScanSegments(1))
	live, past := inAnHour(), anHourAgo()
	if err := s.Commit("live", []byte("a"), live); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit("expired", []byte("b"), past); err != nil {
		t.Fatal(err)
	}
	rec.TakeCalls()

	bad := map[string]string{
		"empty":            "",
		"longer than 2048": strings.Repeat("x", 2049),
		"not UTF-8":        "\xff\xfe",
	}
	type call struct {
		name string
		do   func() error
		want []string
	}
	calls := []call{
		{"Find hit", func() error { return wantFound(s.Find("live")) }, []string{"GetItem"}},
		{"Find miss", func() error { return wantNotFound(s.Find("missing")) }, []string{"GetItem"}},
		{"Find expired", func() error { return wantNotFound(s.Find("expired")) }, []string{"GetItem"}},
		{"Commit new", func() error { return s.Commit("new", []byte("c"), live) }, []string{"PutItem"}},
		{"Commit over existing", func() error { return s.Commit("live", []byte("d"), live) }, []string{"PutItem"}},
		{"Commit expired", func() error { return s.Commit("expired", []byte("e"), past) }, []string{"PutItem"}},
		{"Delete existing", func() error { return s.Delete("new") }, []string{"DeleteItem"}},
		{"Delete missing", func() error { return s.Delete("missing") }, []string{"DeleteItem"}},
		{"All of one segment and page", func() error { _, err := s.All(); return err }, []string{"Scan"}},
		{"Ping", s.Ping, []string{"DescribeTable"}},
	}
	for name, token := range bad {
		calls = append(calls,
			call{"Find " + name, func() error { return wantNotFound(s.Find(token)) }, nil},
			call{"Commit " + name, func() error {
				if err := s.Commit(token, []byte("e"), live); !errors.Is(err, core.ErrInvalidToken) {
					return fmt.Errorf("commit: error = %v, want ErrInvalidToken", err)
				}
				return nil
			}, nil},
			call{"Delete " + name, func() error { return s.Delete(token) }, nil},
		)
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			if err := c.do(); err != nil {
				t.Fatal(err)
			}
			if got := Ops(rec.TakeCalls()); !slices.Equal(got, c.want) {
				t.Errorf("requests = %q, want %q", got, c.want)
			}
		})
	}
}

func wantFound(_ []byte, found bool, err error) error {
	if err != nil || !found {
		return fmt.Errorf("find: %v, %v; want found", found, err)
	}
	return nil
}

func wantNotFound(b []byte, found bool, err error) error {
	if err != nil || found || b != nil {
		return fmt.Errorf("find: %q, %v, %v; want nil, false, nil", b, found, err)
	}
	return nil
}

// testAllScansEveryPage cuts the Scan into pages of a few items, so that
// every segment has several, and checks that All reads each page with one
// request, reads each segment to its end, and returns exactly the live
// sessions.
func testAllScansEveryPage(t *testing.T, h *H) {
	t.Parallel()
	testenv.RequireLocal(t, "the Recorder's ScanLimit rewrites the signed body of each Scan")
	const live, expired, limit = 48, 12, 4
	table := h.NewTable(t)
	w := h.Store(t, h.Client(t), core.WithTable(table))
	want := map[string][]byte{}
	for i := range live + expired {
		data := bytes.Repeat([]byte{byte(i)}, 100+i)
		token, expiry := fmt.Sprintf("tok-live-%02d", i), inAnHour()
		if i >= live {
			token, expiry = fmt.Sprintf("tok-expired-%02d", i), anHourAgo()
		} else {
			want[token] = data
		}
		if err := w.Commit(token, data, expiry); err != nil {
			t.Fatal(err)
		}
	}
	for _, segments := range []int{1, 3, defaultScanSegments} {
		t.Run(fmt.Sprintf("segments=%d", segments), func(t *testing.T) {
			rec := &Recorder{ScanLimit: limit}
			c := h.NewClient(t, ClientOptions{Transport: rec, Retries: -1})
			s := h.Store(t, c, core.WithTable(table), core.WithScanSegments(segments))
			mustAll(t, s, want)
			reqs := rec.Take()
			if Count(reqs, "Scan") != len(reqs) {
				t.Fatalf("All sent %q, want only Scans", Ops(reqs))
			}
			ends := 0
			for _, r := range reqs {
				if r.Status != http.StatusOK {
					t.Errorf("a Scan was answered with status %d", r.Status)
				}
				if !r.More {
					ends++
				}
			}
			if ends != segments {
				t.Errorf("%d Scan answers had no LastEvaluatedKey, want one per segment (%d)", ends, segments)
			}
			if pages := scanPages(t, h, c, table, segments); len(reqs) != pages {
				t.Errorf("All sent %d Scans, want %d: one per page", len(reqs), pages)
			}
			if len(reqs) < 2*segments {
				t.Errorf("only %d pages for %d segments: too few to test paging", len(reqs), segments)
			}
			rec.Take()
		})
	}
}

// scanPages counts the pages of a Scan of the whole table in the given
// number of segments, read through the SDK alone on c: the engine cuts a
// page at 1 MB read, whatever a request projects or filters.
func scanPages(t *testing.T, h *H, c Client, table string, segments int) int {
	t.Helper()
	pages := 0
	for seg := range segments {
		p, err := h.ScanKeys(context.Background(), c, table, "token", seg, segments)
		if err != nil {
			t.Fatal(err)
		}
		pages += len(p)
	}
	return pages
}

// testAllFollowsPagesCutBySize stores more than the 1 MB an engine reads
// for one Scan page, so that All must follow its pages as the engine cuts
// them, on any engine.
func testAllFollowsPagesCutBySize(t *testing.T, h *H) {
	t.Parallel()
	const live, expired, size = 24, 6, 60 << 10 // 1.76 MB in all, 1.4 MB live
	table := h.NewTable(t)
	w := h.Store(t, h.Client(t), core.WithTable(table))
	want := map[string][]byte{}
	for i := range live + expired {
		data := bytes.Repeat([]byte{byte(i)}, size)
		token, expiry := fmt.Sprintf("live-%02d", i), inAnHour()
		if i >= live {
			token, expiry = fmt.Sprintf("expired-%02d", i), anHourAgo()
		} else {
			want[token] = data
		}
		if err := w.Commit(token, data, expiry); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		segments, minScans int
	}{
		{1, 2}, // 1.76 MB cannot come back in one 1 MB page
		{defaultScanSegments, defaultScanSegments},
	} {
		t.Run(fmt.Sprintf("segments=%d", tc.segments), func(t *testing.T) {
			rec := &Recorder{}
			s := recordedStore(t, h, rec, table, core.WithScanSegments(tc.segments))
			mustAll(t, s, want)
			reqs := rec.TakeCalls()
			if scans := Count(reqs, "Scan"); scans != len(reqs) || scans < tc.minScans {
				t.Errorf("All sent %q, want only Scans, at least %d", Ops(reqs), tc.minScans)
			}
		})
	}
}

func testAllOfAnEmptyTable(t *testing.T, h *H) {
	t.Parallel()
	table := h.NewTable(t)
	for _, segments := range []int{1, 4, 8} {
		t.Run(fmt.Sprintf("segments=%d", segments), func(t *testing.T) {
			rec := &Recorder{}
			s := recordedStore(t, h, rec, table, core.WithScanSegments(segments))
			got, err := s.All()
			if err != nil || got == nil || len(got) != 0 {
				t.Errorf("All = %#v, %v; want an empty non-nil map", got, err)
			}
			if reqs := rec.TakeCalls(); len(reqs) != segments || Count(reqs, "Scan") != segments {
				t.Errorf("All requests = %q, want %d Scans", Ops(reqs), segments)
			}
			got, err = s.AllCtx(context.Background())
			if err != nil || got == nil || len(got) != 0 {
				t.Errorf("AllCtx = %#v, %v; want an empty non-nil map", got, err)
			}
			if reqs := rec.TakeCalls(); len(reqs) != segments || Count(reqs, "Scan") != segments {
				t.Errorf("AllCtx requests = %q, want %d Scans", Ops(reqs), segments)
			}
		})
	}
}

// mustAll fails t unless s.All returns exactly the sessions of want.
func mustAll(t *testing.T, s Store, want map[string][]byte) {
	t.Helper()
	got, err := s.All()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Errorf("All returned %d sessions, want %d", len(got), len(want))
	}
	for token, data := range want {
		if !bytes.Equal(got[token], data) {
			t.Errorf("session %s: %d bytes, want %d", token, len(got[token]), len(data))
		}
	}
}
