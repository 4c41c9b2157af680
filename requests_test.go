package dynamostore_test

//lint:file-ignore SA1019 aws-sdk-go v1 is what the store under test is built on.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/service/dynamodb"

	"github.com/scs-stores/dynamostore"
	"github.com/scs-stores/dynamostore/internal/ddbtest"
)

// requestLog is an http.RoundTripper that passes requests to
// http.DefaultTransport and records the operation of each (the part of
// X-Amz-Target after the dot) and, for Scan, whether DynamoDB's answer
// said there is another page.
type requestLog struct {
	mu        sync.Mutex
	ops       []string
	scanPages int // Scan answers
	scanEnds  int // Scan answers without a LastEvaluatedKey: segments read to their end
}

func (l *requestLog) RoundTrip(r *http.Request) (*http.Response, error) {
	_, op, _ := strings.Cut(r.Header.Get("X-Amz-Target"), ".")
	l.mu.Lock()
	l.ops = append(l.ops, op)
	l.mu.Unlock()
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil || op != "Scan" || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var page struct{ LastEvaluatedKey map[string]any }
	if err := json.Unmarshal(body, &page); err != nil {
		return nil, fmt.Errorf("scan answer is not JSON: %w", err)
	}
	l.mu.Lock()
	l.scanPages++
	if len(page.LastEvaluatedKey) == 0 {
		l.scanEnds++
	}
	l.mu.Unlock()
	return resp, nil
}

// take returns the operations recorded since the last take, and the Scan
// answers and ends among them, and forgets them.
func (l *requestLog) take() (ops []string, scanPages, scanEnds int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ops, scanPages, scanEnds = l.ops, l.scanPages, l.scanEnds
	l.ops, l.scanPages, l.scanEnds = nil, 0, 0
	return ops, scanPages, scanEnds
}

// newLoggedStore returns a store on a fresh table whose client's requests
// go through the returned log, with retries off so that each request the
// store makes is counted once.
func newLoggedStore(t *testing.T, opts ...dynamostore.Option) (*dynamostore.DynamoStore, *dynamodb.DynamoDB, *requestLog) {
	t.Helper()
	log := &requestLog{}
	db := ddbtest.Client(t, log, &aws.Config{MaxRetries: aws.Int(0)})
	table := ddbtest.NewTable(t, db, "token")
	s, err := dynamostore.NewStore(db, append([]dynamostore.Option{dynamostore.WithTable(table)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	log.take() // CreateTable
	return s, db, log
}

func TestEachCallSendsOneRequestOrNoneForATokenThatCannotBeAKey(t *testing.T) {
	s, _, log := newLoggedStore(t)
	live, past := time.Now().Add(time.Hour), time.Now().Add(-time.Hour)
	if err := s.Commit("live", []byte("a"), live); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit("expired", []byte("b"), past); err != nil {
		t.Fatal(err)
	}
	log.take()

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
		{"Delete existing", func() error { return s.Delete("new") }, []string{"DeleteItem"}},
		{"Delete missing", func() error { return s.Delete("missing") }, []string{"DeleteItem"}},
		{"Ping", s.Ping, []string{"DescribeTable"}},
	}
	for name, token := range bad {
		calls = append(calls,
			call{"Find " + name, func() error { return wantNotFound(s.Find(token)) }, nil},
			call{"Commit " + name, func() error {
				if err := s.Commit(token, []byte("e"), live); !errors.Is(err, dynamostore.ErrInvalidToken) {
					return fmt.Errorf("Commit error = %v, want ErrInvalidToken", err)
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
			if got, _, _ := log.take(); !slices.Equal(got, c.want) {
				t.Errorf("requests = %q, want %q", got, c.want)
			}
		})
	}
}

func TestAllSendsOneScanPerPageOfEachSegment(t *testing.T) {
	// 70 sessions of 100 KB make 7 MB, over the 1 MB DynamoDB reads per
	// Scan page several times, so that every segment of up to 4 has more
	// than one page.
	const sessions, size = 70, 100 * 1024
	for _, segments := range []int{1, 4} {
		t.Run(fmt.Sprintf("segments=%d", segments), func(t *testing.T) {
			s, db, log := newLoggedStore(t, dynamostore.WithScanSegments(segments))
			data := bytes.Repeat([]byte("s"), size)
			for i := range sessions {
				if err := s.Commit(fmt.Sprintf("tok%03d", i), data, time.Now().Add(time.Hour)); err != nil {
					t.Fatal(err)
				}
			}
			log.take()

			all, err := s.All()
			if err != nil {
				t.Fatal(err)
			}
			if len(all) != sessions {
				t.Fatalf("All returned %d sessions, want %d", len(all), sessions)
			}
			ops, pages, ends := log.take()
			if len(ops) != pages || countOf(ops, "Scan") != len(ops) {
				t.Fatalf("All sent %q, want only Scans (%d answered)", ops, pages)
			}
			if ends != segments {
				t.Errorf("%d Scan answers had no LastEvaluatedKey, want one per segment (%d)", ends, segments)
			}
			if want := scanPages(t, db, s.TableName(), segments); pages != want {
				t.Errorf("All sent %d Scans, want %d: one per page", pages, want)
			}
			t.Logf("%d segments: %d Scan pages", segments, pages)
			if pages < 2*segments {
				t.Errorf("only %d pages for %d segments: the table is too small to test paging", pages, segments)
			}
		})
	}
}

func TestAllOnAnEmptyTableSendsOneScanPerSegment(t *testing.T) {
	for _, segments := range []int{1, 4, 8} {
		t.Run(fmt.Sprintf("segments=%d", segments), func(t *testing.T) {
			s, _, log := newLoggedStore(t, dynamostore.WithScanSegments(segments))
			all, err := s.All()
			if err != nil || all == nil || len(all) != 0 {
				t.Fatalf("All = %v, %v; want an empty map", all, err)
			}
			if ops, _, _ := log.take(); len(ops) != segments || countOf(ops, "Scan") != segments {
				t.Errorf("requests = %q, want %d Scans", ops, segments)
			}
		})
	}
}

// scanPages counts the pages of a Scan of the whole table in the given
// number of segments, read with the SDK alone, projecting only the token
// (pages are cut by the size of the items read, not of what is returned).
func scanPages(t *testing.T, db *dynamodb.DynamoDB, table string, segments int) int {
	t.Helper()
	pages := 0
	for seg := range segments {
		in := &dynamodb.ScanInput{
			TableName:                aws.String(table),
			ConsistentRead:           aws.Bool(true),
			ProjectionExpression:     aws.String("#t"),
			ExpressionAttributeNames: map[string]*string{"#t": aws.String("token")},
		}
		if segments > 1 {
			in.Segment, in.TotalSegments = aws.Int64(int64(seg)), aws.Int64(int64(segments))
		}
		err := db.ScanPagesWithContext(context.Background(), in, func(*dynamodb.ScanOutput, bool) bool {
			pages++
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return pages
}

func wantFound(_ []byte, found bool, err error) error {
	if err != nil || !found {
		return fmt.Errorf("Find = %v, %v; want found", found, err)
	}
	return nil
}

func wantNotFound(b []byte, found bool, err error) error {
	if err != nil || found || b != nil {
		return fmt.Errorf("Find = %q, %v, %v; want nil, false, nil", b, found, err)
	}
	return nil
}

func countOf(ops []string, op string) int {
	n := 0
	for _, o := range ops {
		if o == op {
			n++
		}
	}
	return n
}
