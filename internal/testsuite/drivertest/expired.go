package drivertest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scs-stores/dynamostore/internal/core"
	"github.com/scs-stores/dynamostore/internal/core/driver"
	"github.com/scs-stores/dynamostore/internal/testsuite/testenv"
)

func init() {
	add(
		test{"DeleteExpiredRemovesExpiredSessionsAndKeepsLiveOnes", testDeleteExpiredRemovesExpired},
		test{"DeleteExpiredWithTokenPrefixLeavesOtherAppsSessions", testDeleteExpiredPrefix},
		test{"DeleteExpiredNeverRemovesSessionChangedAfterItWasRead", testDeleteExpiredChangedAfterRead},
		test{"DeleteExpiredLeavesItemsWithoutNumericExpiry", testDeleteExpiredNonNumeric},
		test{"DeleteExpiredReturnsErrorsWrappedWithCountSoFar", testDeleteExpiredErrors},
	)
}

// TableKeys returns the string key attribute keyName of every item in
// table, sorted, read with strongly consistent Scans; it fails t on an
// error.
func (h *H) TableKeys(t testing.TB, c Client, table, keyName string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pages, err := h.ScanKeys(ctx, c, table, keyName, 0, 1)
	if err != nil {
		t.Fatalf("scan %s: %v", table, err)
	}
	keys := slices.Concat(pages...)
	slices.Sort(keys)
	return keys
}

// commitAll commits n sessions with data "data", tokens prefix00,
// prefix01, ..., expiring at expiry, and returns their tokens.
func commitAll(t testing.TB, s Store, prefix string, n int, expiry time.Time) []string {
	t.Helper()
	var tokens []string
	for i := range n {
		tok := fmt.Sprintf("%s%02d", prefix, i)
		if err := s.Commit(tok, []byte("data"), expiry); err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, tok)
	}
	return tokens
}

func testDeleteExpiredRemovesExpired(t *testing.T, h *H) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		segments  int
		scanLimit int
	}{
		{"one segment, one page", 1, 0},
		{"one segment, pages of 2", 1, 2},
		{"four segments, pages of 3", 4, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.scanLimit > 0 {
				testenv.RequireLocal(t, "ScanLimit rewrites the signed Scan requests")
			}
			rec := &Recorder{ScanLimit: tc.scanLimit}
			s := h.Store(t, h.NewClient(t, ClientOptions{Transport: rec}), core.WithTable(h.NewTable(t)), core.WithScanSegments(tc.segments))
			live := commitAll(t, s, "live", 7, time.Now().Add(time.Hour))
			commitAll(t, s, "dead", 11, time.Now().Add(-time.Second))
			rec.Take()
			n, err := s.DeleteExpired(context.Background())
			if err != nil || n != 11 {
				t.Fatalf("DeleteExpired = %d, %v; want 11, nil", n, err)
			}
			reqs := rec.TakeCalls()
			if got := h.TableKeys(t, h.Client(t), s.TableName(), "token"); fmt.Sprint(got) != fmt.Sprint(live) {
				t.Errorf("table holds %v, want the live sessions %v", got, live)
			}
			if scans := Count(reqs, "Scan"); tc.scanLimit > 0 && scans < 18/tc.scanLimit {
				t.Errorf("%d Scan pages for 18 items in pages of %d: paging was not exercised", scans, tc.scanLimit)
			}
			if deletes := Count(reqs, "DeleteItem"); deletes != 11 {
				t.Errorf("%d DeleteItem requests, want one for each of the 11 expired sessions", deletes)
			}
			if n, err := s.DeleteExpired(context.Background()); err != nil || n != 0 {
				t.Errorf("second DeleteExpired = %d, %v; want 0, nil", n, err)
			}
		})
	}
}

func testDeleteExpiredPrefix(t *testing.T, h *H) {
	t.Parallel()
	c := h.Client(t)
	table := h.NewTable(t)
	stores := map[string]Store{}
	for _, prefix := range []string{"a:", "b:", ""} {
		stores[prefix] = h.Store(t, c, core.WithTable(table), core.WithTokenPrefix(prefix))
	}
	past := time.Now().Add(-time.Minute)
	commitAll(t, stores["a:"], "x", 3, past)
	commitAll(t, stores["b:"], "x", 2, past)
	if n, err := stores["a:"].DeleteExpired(context.Background()); err != nil || n != 3 {
		t.Fatalf("DeleteExpired with prefix a: = %d, %v; want 3, nil", n, err)
	}
	if got, want := fmt.Sprint(h.TableKeys(t, c, table, "token")), "[b:x00 b:x01]"; got != want {
		t.Fatalf("table holds %s, want %s", got, want)
	}
	if n, err := stores[""].DeleteExpired(context.Background()); err != nil || n != 2 {
		t.Fatalf("DeleteExpired without prefix = %d, %v; want 2, nil", n, err)
	}
}

// beforeFirstDelete is an http.RoundTripper that calls hook before it sends
// the first DeleteItem request on, and passes every request to Next (nil:
// http.DefaultTransport).
type beforeFirstDelete struct {
	Next http.RoundTripper
	hook func()
	once sync.Once
}

// RoundTrip runs the hook ahead of the first DeleteItem and sends req on.
func (b *beforeFirstDelete) RoundTrip(req *http.Request) (*http.Response, error) {
	if strings.HasSuffix(req.Header.Get("X-Amz-Target"), ".DeleteItem") {
		b.once.Do(b.hook)
	}
	next := b.Next
	if next == nil {
		next = http.DefaultTransport
	}
	return next.RoundTrip(req)
}

func testDeleteExpiredChangedAfterRead(t *testing.T, h *H) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		change    func(s Store) error
		wantFound bool
		wantKeys  int
	}{
		{"renewed", func(s Store) error {
			return s.Commit("tok", []byte("renewed"), time.Now().Add(time.Hour))
		}, true, 1},
		{"committed again, still expired", func(s Store) error {
			return s.Commit("tok", []byte("again"), time.Now().Add(-time.Millisecond))
		}, false, 1},
		{"deleted", func(s Store) error { return s.Delete("tok") }, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			table := h.NewTable(t)
			plain := h.Store(t, h.Client(t), core.WithTable(table))
			hook := &beforeFirstDelete{hook: func() {
				if err := tc.change(plain); err != nil {
					t.Error(err)
				}
			}}
			rec := &Recorder{Next: hook}
			s := h.Store(t, h.NewClient(t, ClientOptions{Transport: rec}), core.WithTable(table), core.WithScanSegments(1))
			if err := s.Commit("tok", []byte("old"), time.Now().Add(-time.Minute)); err != nil {
				t.Fatal(err)
			}
			rec.Take()
			n, err := s.DeleteExpired(context.Background())
			if err != nil || n != 0 {
				t.Fatalf("DeleteExpired = %d, %v; want 0, nil: the item changed after the Scan read it", n, err)
			}
			if ops := Ops(rec.TakeCalls()); fmt.Sprint(ops) != "[Scan DeleteItem]" {
				t.Errorf("requests = %v, want [Scan DeleteItem]: one conditional delete, refused", ops)
			}
			if _, found, err := plain.Find("tok"); err != nil || found != tc.wantFound {
				t.Errorf("Find after DeleteExpired = %v, %v; want %v, nil", found, err, tc.wantFound)
			}
			if keys := h.TableKeys(t, h.Client(t), table, "token"); len(keys) != tc.wantKeys {
				t.Errorf("table holds %v, want %d items", keys, tc.wantKeys)
			}
		})
	}
}

func testDeleteExpiredNonNumeric(t *testing.T, h *H) {
	t.Parallel()
	c := h.Client(t)
	s := h.Store(t, c, core.WithTable(h.NewTable(t)))
	for _, item := range []map[string]driver.Value{
		{"token": S("no-expiry"), "data": B([]byte("x"))},
		{"token": S("string-expiry"), "data": B([]byte("x")), "expiry": S("1")},
		{"token": S("negative-expiry"), "data": B([]byte("x")), "expiry": N("-5")},
	} {
		h.Put(t, c, s.TableName(), item)
	}
	n, err := s.DeleteExpired(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("DeleteExpired = %d, %v; want 1 (the negative expiry), nil", n, err)
	}
	if got, want := fmt.Sprint(h.TableKeys(t, c, s.TableName(), "token")), "[no-expiry string-expiry]"; got != want {
		t.Errorf("table holds %s, want %s", got, want)
	}
}

// failDeletesAfter is an http.RoundTripper that answers every DeleteItem
// after the first ok ones with DynamoDB's 500 InternalServerError, without
// sending it, and sends every other request on with http.DefaultTransport.
// Put a Recorder in front of it to count the requests.
type failDeletesAfter struct {
	ok      int64
	deletes atomic.Int64
}

// injectedCode is the error code of the failures that failDeletesAfter
// answers.
const injectedCode = "InternalServerError"

// RoundTrip fails a DeleteItem past the first ok ones, and sends any other
// request on.
func (f *failDeletesAfter) RoundTrip(req *http.Request) (*http.Response, error) {
	if !strings.HasSuffix(req.Header.Get("X-Amz-Target"), ".DeleteItem") || f.deletes.Add(1) <= f.ok {
		return http.DefaultTransport.RoundTrip(req)
	}
	if req.Body != nil {
		req.Body.Close()
	}
	body := `{"__type":"com.amazonaws.dynamodb.v20120810#` + injectedCode + `","message":"injected by the test"}`
	return &http.Response{
		Status:        "500 Internal Server Error",
		StatusCode:    http.StatusInternalServerError,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {"application/x-amz-json-1.0"}},
		Body:          io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}, nil
}

func testDeleteExpiredErrors(t *testing.T, h *H) {
	t.Parallel()
	t.Run("failing delete", func(t *testing.T) {
		t.Parallel()
		fail := &failDeletesAfter{ok: 1}
		rec := &Recorder{Next: fail}
		c := h.NewClient(t, ClientOptions{Transport: rec, Retries: -1})
		table := h.NewTable(t)
		s := h.Store(t, c, core.WithTable(table), core.WithScanSegments(1))
		commitAll(t, s, "dead", 3, time.Now().Add(-time.Second))
		rec.Take()
		n, err := s.DeleteExpired(context.Background())
		if err == nil || n != 1 || h.ErrorCode(err) != injectedCode || !strings.Contains(err.Error(), "delete an expired session") {
			t.Fatalf("DeleteExpired = %d, %v; want 1 and the second delete's %s, wrapped", n, err, injectedCode)
		}
		if got := Count(rec.Take(), "DeleteItem"); got != 2 {
			t.Errorf("%d DeleteItem requests, want 2: none after the failure, and no retry", got)
		}
		if keys := h.TableKeys(t, h.Client(t), table, "token"); len(keys) != 2 {
			t.Errorf("table holds %v, want the two sessions not deleted", keys)
		}
	})
	t.Run("cancelled context", func(t *testing.T) {
		t.Parallel()
		s := h.Store(t, h.Client(t), core.WithTable(h.NewTable(t)))
		commitAll(t, s, "dead", 2, time.Now().Add(-time.Second))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if n, err := s.DeleteExpired(ctx); !errors.Is(err, context.Canceled) || n != 0 {
			t.Fatalf("DeleteExpired = %d, %v; want 0 and an error wrapping context.Canceled", n, err)
		}
	})
}
