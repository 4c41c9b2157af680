// Package benchkit holds the SDK-free parts of the store/bare benchmarks of
// both the aws-sdk-go (v1) package and the awsv2 package: the session they
// use, an in-process fake DynamoDB, the runner that measures latencies from
// several goroutines and the driver of BenchmarkLocal. The benchmarks keep
// only their SDK calls.
package benchkit

import (
	"context"
	"encoding/base64"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	// Table is the table the benchmarks on the fake server name: the
	// store's default.
	Table = "scs_session"
	// Token is the session token the benchmarks on the fake server use.
	Token = "Pc3CZoiUjlW2EqCsJUgRAL1iqaRsZw6hbIjfjlXP5x4"
	// DataSize is the size of the session the fake server returns: 1 KB,
	// the size of a typical SCS session with a handful of values.
	DataSize = 1024
)

// Expiry is the expiry of the item the fake server returns: in the future
// until 2100.
var Expiry = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)

// Data returns a new session of DataSize zero bytes, the data of the item
// the fake server returns.
func Data() []byte { return make([]byte, DataSize) }

// FakeDynamoDB returns a server that answers GetItem, PutItem and
// DeleteItem as DynamoDB does: JSON 1.0 bodies chosen by the X-Amz-Target
// header, with the X-Amz-Crc32 checksum that the SDKs verify. GetItem
// always finds the same live session (Token, Data(), Expiry); any other
// target gets a 400 UnknownOperationException. The server is closed when
// tb's test ends.
func FakeDynamoDB(tb testing.TB) *httptest.Server {
	tb.Helper()
	item := fmt.Sprintf(`{"Item":{"token":{"S":%q},"data":{"B":%q},"expiry":{"N":"%d"},"ttl":{"N":"%d"}}}`,
		Token, base64.StdEncoding.EncodeToString(Data()), Expiry.UnixNano(), Expiry.Unix()+1)
	bodies := map[string][]byte{
		"DynamoDB_20120810.GetItem":    []byte(item),
		"DynamoDB_20120810.PutItem":    []byte(`{}`),
		"DynamoDB_20120810.DeleteItem": []byte(`{}`),
	}
	crcs := map[string]string{}
	for target, body := range bodies {
		crcs[target] = strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		target := r.Header.Get("X-Amz-Target")
		body, ok := bodies[target]
		h := w.Header()
		h.Set("Content-Type", "application/x-amz-json-1.0")
		if !ok {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"__type":"com.amazon.coral.service#UnknownOperationException"}`)
			return
		}
		h.Set("X-Amz-Crc32", crcs[target])
		h.Set("X-Amzn-Requestid", "BENCHREQUEST0000000000000000000000000000000000000000")
		h.Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write(body)
	}))
	tb.Cleanup(srv.Close)
	return srv
}

// Tokens returns n tokens "prefix-0" to "prefix-(n-1)"; none if n <= 0.
func Tokens(prefix string, n int) []string {
	t := make([]string, max(n, 0))
	for i := range t {
		t[i] = fmt.Sprintf("%s-%d", prefix, i)
	}
	return t
}

// Workers does op(0) to op(b.N-1) from the given number of goroutines and
// reports the throughput (ops/s) and the 50th and 99th percentiles of the
// calls' latencies, in microseconds (p50-us, p99-us). A goroutine whose op
// fails reports the error with b.Error and stops; if no call succeeded,
// no metric is reported.
func Workers(b *testing.B, workers int, op func(i int) error) {
	lat := make([][]time.Duration, workers)
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= b.N {
					return
				}
				t0 := time.Now()
				if err := op(i); err != nil {
					b.Error(err)
					return
				}
				lat[w] = append(lat[w], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	all := slices.Concat(lat...)
	if len(all) == 0 {
		return
	}
	slices.Sort(all)
	pct := func(p float64) float64 {
		return float64(all[int(p*float64(len(all)-1))].Nanoseconds()) / 1e3
	}
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "ops/s")
	b.ReportMetric(pct(0.50), "p50-us")
	b.ReportMetric(pct(0.99), "p99-us")
}

// Store is the store under test: what both SDKs' DynamoStores have in
// common (scs.CtxStore's calls that Local measures).
type Store interface {
	FindCtx(ctx context.Context, token string) (b []byte, found bool, err error)
	CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error
	DeleteCtx(ctx context.Context, token string) error
}

// Bare is the bare SDK calls that Local sets beside the store's, each on
// the store's table with the store's attribute names.
type Bare struct {
	// Get is a consistent GetItem of token; found says whether an item came
	// back.
	Get func(token string) (found bool, err error)
	// Put is a PutItem of a session with the given data and expiry.
	Put func(token string, data []byte, expiry time.Time) error
	// Delete is a DeleteItem of token.
	Delete func(token string) error
	// Seed writes a live session with the given data and expiry under each
	// token, ending b with b.Fatal if it cannot.
	Seed func(b *testing.B, tokens []string, data []byte, expiry time.Time)
}

// Find does a FindCtx of Token b.N times, as BenchmarkFind on the fake
// server, reporting allocations; it ends b with b.Fatal unless every call
// finds DataSize bytes.
func Find(b *testing.B, s Store) {
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		data, found, err := s.FindCtx(ctx, Token)
		if err != nil || !found || len(data) != DataSize {
			b.Fatal(found, err)
		}
	}
}

// Commit does a CommitCtx of Data() under Token, expiring in a day, b.N
// times, as BenchmarkCommit on the fake server, reporting allocations; it
// ends b with b.Fatal at the first error.
func Commit(b *testing.B, s Store) {
	ctx := context.Background()
	data, expiry := Data(), time.Now().Add(24*time.Hour)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := s.CommitCtx(ctx, Token, data, expiry); err != nil {
			b.Fatal(err)
		}
	}
}

// Delete does a DeleteCtx of Token b.N times, as BenchmarkDelete on the
// fake server, reporting allocations; it ends b with b.Fatal at the first
// error.
func Delete(b *testing.B, s Store) {
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := s.DeleteCtx(ctx, Token); err != nil {
			b.Fatal(err)
		}
	}
}

// localCase is one operation of Local, measured for the store and for the
// bare call.
type localCase struct {
	name string
	// setup returns the operation number i does, for the store or (bare)
	// for the bare call, after any set-up it needs for b.N operations.
	setup func(b *testing.B, bare bool) func(i int) error
	// noWarmUp leaves the case out of the warm-up: Delete's set-up writes
	// b.N items to delete.
	noWarmUp bool
}

// localCases returns Local's cases: Find of a live session and of a
// missing one, Commit of 1 KB and of 100 KB, and Delete, after seeding the
// sessions that Find hits.
func localCases(b *testing.B, s Store, bare Bare) []localCase {
	ctx := context.Background()
	expiry := time.Now().Add(24 * time.Hour)
	data1K, data100K := make([]byte, 1024), make([]byte, 100*1024)
	hits := Tokens("hit", 256)
	bare.Seed(b, hits, data1K, expiry)
	get := func(token string, want bool) error {
		found, err := bare.Get(token)
		if err == nil && found != want {
			err = fmt.Errorf("GetItem found an item: %v, want %v", found, want)
		}
		return err
	}
	find := func(token string, want bool) error {
		_, found, err := s.FindCtx(ctx, token)
		if err == nil && found != want {
			err = fmt.Errorf("found = %v, want %v", found, want)
		}
		return err
	}
	commit := func(prefix string, data []byte) func(b *testing.B, bare bool) func(int) error {
		return func(_ *testing.B, isBare bool) func(int) error {
			t := Tokens(prefix, 256)
			if isBare {
				return func(i int) error { return bare.Put(t[i%len(t)], data, expiry) }
			}
			return func(i int) error { return s.CommitCtx(ctx, t[i%len(t)], data, expiry) }
		}
	}
	var runs atomic.Int64 // makes Delete's tokens unique to each run
	return []localCase{
		{name: "FindHit", setup: func(_ *testing.B, isBare bool) func(int) error {
			if isBare {
				return func(i int) error { return get(hits[i%len(hits)], true) }
			}
			return func(i int) error { return find(hits[i%len(hits)], true) }
		}},
		{name: "FindMiss", setup: func(_ *testing.B, isBare bool) func(int) error {
			miss := Tokens("miss", 1024)
			if isBare {
				return func(i int) error { return get(miss[i%len(miss)], false) }
			}
			return func(i int) error { return find(miss[i%len(miss)], false) }
		}},
		{name: "Commit1KB", setup: commit("c1k", data1K)},
		{name: "Commit100KB", setup: commit("c100k", data100K)},
		{name: "Delete", noWarmUp: true, setup: func(b *testing.B, isBare bool) func(int) error {
			t := Tokens(fmt.Sprintf("del%d", runs.Add(1)), b.N)
			bare.Seed(b, t, data1K, expiry)
			if isBare {
				return func(i int) error { return bare.Delete(t[i]) }
			}
			return func(i int) error { return s.DeleteCtx(ctx, t[i]) }
		}},
	}
}

// WarmUp is how long Local calls every case before measuring.
const WarmUp = 3 * time.Second

// Local measures s beside the bare calls on DynamoDB Local: Find (hit and
// miss), Commit (1 KB and 100 KB) and Delete, from 1 and from 16
// goroutines, as the sub-benchmarks "FindHit/c1/store", "FindHit/c1/bare",
// ..., "Delete/c16/bare", each run with Workers. First, for WarmUp, it does
// 100 operations at a time of every case but Delete, store and bare, so that
// DynamoDB Local's JIT is warm before the first case measured; a failing
// warm-up operation ends b with b.Fatal. Whichever of a pair runs first
// finds the server in a different state (the first case of a run was
// measured up to 1.5 times slower, store or not), so barefirst measures the
// bare call before the store's, and callers alternate it from run to run.
func Local(b *testing.B, s Store, bare Bare, barefirst bool) {
	b.Helper()
	cases := localCases(b, s, bare)
	for start := time.Now(); time.Since(start) < WarmUp; {
		for _, c := range cases {
			if c.noWarmUp {
				continue
			}
			for _, isBare := range []bool{false, true} {
				op := c.setup(b, isBare)
				for i := range 100 {
					if err := op(i); err != nil {
						b.Fatal(err)
					}
				}
			}
		}
	}
	order := []string{"store", "bare"}
	if barefirst {
		order = []string{"bare", "store"}
	}
	for _, workers := range []int{1, 16} {
		for _, c := range cases {
			for _, impl := range order {
				b.Run(fmt.Sprintf("%s/c%d/%s", c.name, workers, impl), func(b *testing.B) {
					Workers(b, workers, c.setup(b, impl == "bare"))
				})
			}
		}
	}
}

// Ints parses a comma-separated list of positive integers, as the bench
// programs take their flags; empty items are skipped, so "" is no number.
func Ints(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive integer", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// Median returns the middle of xs, or the mean of the two middle values
// when there is an even number of them; xs is left as it is.
func Median[T ~int64 | ~uint64 | ~float64](xs []T) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 0 {
		return s[len(s)/2-1] + (s[len(s)/2]-s[len(s)/2-1])/2
	}
	return s[len(s)/2]
}
