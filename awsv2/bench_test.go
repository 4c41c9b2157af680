package awsv2_test

// Benchmarks of the store beside the bare aws-sdk-go-v2 calls it makes, the
// twins of the v1 package's. They are not run by `go test ./...` (only
// compiled); `make bench-awsv2` runs them.
//
// The Benchmark{Find,Commit,Delete} and BenchmarkBare{GetItem,PutItem,DeleteItem}
// pairs measure the store's own cost: both talk to the same in-process HTTP
// server that answers as DynamoDB does, so the network and the server cost
// next to nothing and the difference between a pair is what the store adds.
// BenchmarkLocal measures whole round trips to DynamoDB Local.

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
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/scs-stores/dynamostore/awsv2"
	"github.com/scs-stores/dynamostore/awsv2/internal/ddbtest2"
)

const (
	benchTable = "scs_session"
	benchToken = "Pc3CZoiUjlW2EqCsJUgRAL1iqaRsZw6hbIjfjlXP5x4"
)

var (
	// benchData is a session of 1 KB, the size of a typical SCS session
	// with a handful of values.
	benchData = make([]byte, 1024)
	// benchExpiry is the expiry of the item the fake server returns: in
	// the future until 2100.
	benchExpiry = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
)

// benchFakeDynamoDB returns a server that answers GetItem, PutItem and
// DeleteItem as DynamoDB does: JSON 1.0 bodies chosen by the X-Amz-Target
// header, with the X-Amz-Crc32 checksum that the SDK verifies. GetItem
// always finds the same live 1 KB session.
func benchFakeDynamoDB(tb testing.TB) *httptest.Server {
	tb.Helper()
	item := fmt.Sprintf(`{"Item":{"token":{"S":%q},"data":{"B":%q},"expiry":{"N":"%d"},"ttl":{"N":"%d"}}}`,
		benchToken, base64.StdEncoding.EncodeToString(benchData), benchExpiry.UnixNano(), benchExpiry.Unix()+1)
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

// benchFakeClient returns a client of a fresh fake server.
func benchFakeClient(tb testing.TB) *dynamodb.Client {
	tb.Helper()
	srv := benchFakeDynamoDB(tb)
	return dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("bench", "bench", ""),
		HTTPClient:   srv.Client(),
	})
}

func benchFakeStore(b *testing.B) *awsv2.DynamoStore {
	b.Helper()
	s, err := awsv2.New(benchFakeClient(b))
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// The bare calls below are what a program would write by hand to do what
// the store does: the same request, with the expiry numbers formatted per
// call, and the same use of the answer.

func BenchmarkBareGetItem(b *testing.B) {
	db := benchFakeClient(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		out, err := db.GetItem(ctx, &dynamodb.GetItemInput{
			TableName:      aws.String(benchTable),
			Key:            map[string]types.AttributeValue{"token": &types.AttributeValueMemberS{Value: benchToken}},
			ConsistentRead: aws.Bool(true),
		})
		if err != nil {
			b.Fatal(err)
		}
		if data, ok := out.Item["data"].(*types.AttributeValueMemberB); !ok || len(data.Value) != len(benchData) {
			b.Fatal("wrong item")
		}
	}
}

func BenchmarkFind(b *testing.B) {
	s := benchFakeStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		data, found, err := s.FindCtx(ctx, benchToken)
		if err != nil || !found || len(data) != len(benchData) {
			b.Fatal(found, err)
		}
	}
}

// benchItem is the item the store writes for the given token, data and
// expiry.
func benchItem(token string, data []byte, expiry time.Time) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"token":  &types.AttributeValueMemberS{Value: token},
		"data":   &types.AttributeValueMemberB{Value: data},
		"expiry": &types.AttributeValueMemberN{Value: strconv.FormatInt(expiry.UnixNano(), 10)},
		"ttl":    &types.AttributeValueMemberN{Value: strconv.FormatInt(expiry.Unix()+1, 10)},
	}
}

func BenchmarkBarePutItem(b *testing.B) {
	db := benchFakeClient(b)
	ctx := context.Background()
	expiry := time.Now().Add(24 * time.Hour)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		_, err := db.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: aws.String(benchTable),
			Item:      benchItem(benchToken, benchData, expiry),
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCommit(b *testing.B) {
	s := benchFakeStore(b)
	ctx := context.Background()
	expiry := time.Now().Add(24 * time.Hour)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := s.CommitCtx(ctx, benchToken, benchData, expiry); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBareDeleteItem(b *testing.B) {
	db := benchFakeClient(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		_, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
			TableName: aws.String(benchTable),
			Key:       map[string]types.AttributeValue{"token": &types.AttributeValueMemberS{Value: benchToken}},
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDelete(b *testing.B) {
	s := benchFakeStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := s.DeleteCtx(ctx, benchToken); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLocal runs Find (hit and miss), Commit (1 KB and 100 KB) and
// Delete against DynamoDB Local, each beside the bare SDK call, from 1 and
// from 16 goroutines. ns/op is wall time over operations (the inverse of
// ops/s); p50-us and p99-us are the latencies of single calls. Store and
// bare calls share one client, whose transport keeps up to 64 idle
// connections so that 16 goroutines do not open a connection per call.
func BenchmarkLocal(b *testing.B) {
	db := ddbtest2.Client(b, &http.Transport{MaxIdleConns: 64, MaxIdleConnsPerHost: 64, IdleConnTimeout: time.Minute})
	table := ddbtest2.NewTable(b, db, "token")
	s, err := awsv2.New(db, awsv2.WithTable(table))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	expiry := time.Now().Add(24 * time.Hour)
	data1K, data100K := make([]byte, 1024), make([]byte, 100*1024)
	tokens := func(prefix string, n int) []string {
		t := make([]string, n)
		for i := range t {
			t[i] = fmt.Sprintf("%s-%d", prefix, i)
		}
		return t
	}
	hits := tokens("hit", 256)
	benchBatchPut(b, db, table, hits, data1K, expiry)

	get := func(token string) (*dynamodb.GetItemOutput, error) {
		return db.GetItem(ctx, &dynamodb.GetItemInput{
			TableName:      aws.String(table),
			Key:            map[string]types.AttributeValue{"token": &types.AttributeValueMemberS{Value: token}},
			ConsistentRead: aws.Bool(true),
		})
	}
	put := func(token string, data []byte) error {
		_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: benchItem(token, data, expiry)})
		return err
	}
	find := func(token string, want bool) error {
		_, found, err := s.FindCtx(ctx, token)
		if err == nil && found != want {
			err = fmt.Errorf("found = %v, want %v", found, want)
		}
		return err
	}
	// Warm DynamoDB Local's JVM up first, so that whichever case runs
	// first does not pay for it.
	for i := range 500 {
		if _, err := get(hits[i%len(hits)]); err != nil {
			b.Fatal(err)
		}
		if err := put(hits[i%len(hits)], data1K); err != nil {
			b.Fatal(err)
		}
	}
	var runs atomic.Int64 // makes Delete's tokens unique to each run

	// Each case returns the operation number i does, for the store or for
	// the bare call, after any set-up it needs for b.N operations.
	cases := []struct {
		name  string
		setup func(b *testing.B, bare bool) func(i int) error
	}{
		{"FindHit", func(b *testing.B, bare bool) func(int) error {
			if bare {
				return func(i int) error {
					out, err := get(hits[i%len(hits)])
					if err == nil && out.Item["data"] == nil {
						err = fmt.Errorf("no item")
					}
					return err
				}
			}
			return func(i int) error { return find(hits[i%len(hits)], true) }
		}},
		{"FindMiss", func(b *testing.B, bare bool) func(int) error {
			miss := tokens("miss", 1024)
			if bare {
				return func(i int) error {
					out, err := get(miss[i%len(miss)])
					if err == nil && out.Item != nil {
						err = fmt.Errorf("found an item")
					}
					return err
				}
			}
			return func(i int) error { return find(miss[i%len(miss)], false) }
		}},
		{"Commit1KB", func(b *testing.B, bare bool) func(int) error {
			t := tokens("c1k", 256)
			if bare {
				return func(i int) error { return put(t[i%len(t)], data1K) }
			}
			return func(i int) error { return s.CommitCtx(ctx, t[i%len(t)], data1K, expiry) }
		}},
		{"Commit100KB", func(b *testing.B, bare bool) func(int) error {
			t := tokens("c100k", 256)
			if bare {
				return func(i int) error { return put(t[i%len(t)], data100K) }
			}
			return func(i int) error { return s.CommitCtx(ctx, t[i%len(t)], data100K, expiry) }
		}},
		{"Delete", func(b *testing.B, bare bool) func(int) error {
			t := tokens(fmt.Sprintf("del%d", runs.Add(1)), b.N)
			benchBatchPut(b, db, table, t, data1K, expiry)
			if bare {
				return func(i int) error {
					_, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
						TableName: aws.String(table),
						Key:       map[string]types.AttributeValue{"token": &types.AttributeValueMemberS{Value: t[i]}},
					})
					return err
				}
			}
			return func(i int) error { return s.DeleteCtx(ctx, t[i]) }
		}},
	}
	for _, workers := range []int{1, 16} {
		for _, c := range cases {
			for _, impl := range []string{"store", "bare"} {
				b.Run(fmt.Sprintf("%s/c%d/%s", c.name, workers, impl), func(b *testing.B) {
					benchWorkers(b, workers, c.setup(b, impl == "bare"))
				})
			}
		}
	}
}

// benchWorkers does op(0) to op(b.N-1) from the given number of goroutines
// and reports the throughput (ops/s) and the 50th and 99th percentiles of
// the calls' latencies, in microseconds.
func benchWorkers(b *testing.B, workers int, op func(i int) error) {
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

// benchBatchPut writes a live session with the given data under each token,
// 25 items per BatchWriteItem request, resending what DynamoDB leaves
// unprocessed.
func benchBatchPut(b *testing.B, db *dynamodb.Client, table string, tokens []string, data []byte, expiry time.Time) {
	b.Helper()
	ctx := context.Background()
	for len(tokens) > 0 {
		n := min(25, len(tokens))
		reqs := make([]types.WriteRequest, n)
		for i, token := range tokens[:n] {
			reqs[i] = types.WriteRequest{PutRequest: &types.PutRequest{Item: benchItem(token, data, expiry)}}
		}
		tokens = tokens[n:]
		pending := map[string][]types.WriteRequest{table: reqs}
		for len(pending) > 0 {
			out, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
			if err != nil {
				b.Fatalf("batch write: %v", err)
			}
			pending = out.UnprocessedItems
		}
	}
}
