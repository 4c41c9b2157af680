package dynamostore_test

//lint:file-ignore SA1019 aws-sdk-go v1 is what the store under test is built on.

// Benchmarks of the store beside the bare SDK calls it makes. They are not
// run by `go test ./...` (only compiled); `make bench` runs them and
// BENCHMARKS.md records the results.
//
// The Benchmark{Find,Commit,Delete} and BenchmarkBare{GetItem,PutItem,DeleteItem}
// pairs measure the store's own cost: both talk to the same in-process HTTP
// server that answers as DynamoDB does, so the network and the server cost
// next to nothing and the difference between a pair is what the store adds.
// BenchmarkLocal measures whole round trips to DynamoDB Local.

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/credentials"
	"github.com/aws/aws-sdk-go/aws/request"
	"github.com/aws/aws-sdk-go/aws/session"
	"github.com/aws/aws-sdk-go/service/dynamodb"
	"github.com/aws/aws-sdk-go/service/dynamodb/dynamodbiface"

	"github.com/scs-stores/dynamostore"
	"github.com/scs-stores/dynamostore/internal/testsuite/benchkit"
	"github.com/scs-stores/dynamostore/internal/testsuite/drivertest"
)

// benchData is the 1 KB session the fake server returns and the
// benchmarks write.
var benchData = benchkit.Data()

// benchFakeClient returns a client of a fresh fake server, with its HTTP
// client given per client (see testClient on AWS_CA_BUNDLE).
func benchFakeClient(tb testing.TB) *dynamodb.DynamoDB {
	tb.Helper()
	srv := benchkit.FakeDynamoDB(tb)
	sess, err := session.NewSession(&aws.Config{
		Region:      aws.String("us-east-1"),
		Endpoint:    aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentials("bench", "bench", ""),
	})
	if err != nil {
		tb.Fatal(err)
	}
	return dynamodb.New(sess, &aws.Config{HTTPClient: srv.Client()})
}

func benchFakeStore(b *testing.B) *dynamostore.DynamoStore {
	b.Helper()
	s, err := dynamostore.NewStore(benchFakeClient(b))
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
		out, err := db.GetItemWithContext(ctx, &dynamodb.GetItemInput{
			TableName:      aws.String(benchkit.Table),
			Key:            map[string]*dynamodb.AttributeValue{"token": {S: aws.String(benchkit.Token)}},
			ConsistentRead: aws.Bool(true),
		})
		if err != nil {
			b.Fatal(err)
		}
		if len(out.Item["data"].B) != benchkit.DataSize {
			b.Fatal("wrong item")
		}
	}
}

func BenchmarkFind(b *testing.B) { benchkit.Find(b, benchFakeStore(b)) }

func BenchmarkBarePutItem(b *testing.B) {
	db := benchFakeClient(b)
	ctx := context.Background()
	expiry := time.Now().Add(24 * time.Hour)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		_, err := db.PutItemWithContext(ctx, &dynamodb.PutItemInput{
			TableName: aws.String(benchkit.Table),
			Item: map[string]*dynamodb.AttributeValue{
				"token":  {S: aws.String(benchkit.Token)},
				"data":   {B: benchData},
				"expiry": {N: aws.String(strconv.FormatInt(expiry.UnixNano(), 10))},
				"ttl":    {N: aws.String(strconv.FormatInt(expiry.Unix()+1, 10))},
			},
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCommit(b *testing.B) { benchkit.Commit(b, benchFakeStore(b)) }

func BenchmarkBareDeleteItem(b *testing.B) {
	db := benchFakeClient(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		_, err := db.DeleteItemWithContext(ctx, &dynamodb.DeleteItemInput{
			TableName: aws.String(benchkit.Table),
			Key:       map[string]*dynamodb.AttributeValue{"token": {S: aws.String(benchkit.Token)}},
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDelete(b *testing.B) { benchkit.Delete(b, benchFakeStore(b)) }

// BenchmarkLocal runs Find (hit and miss), Commit (1 KB and 100 KB) and
// Delete against DynamoDB Local, each beside the bare SDK call, from 1 and
// from 16 goroutines. ns/op is wall time over operations (the inverse of
// ops/s); p50-us and p99-us are the latencies of single calls. Store and
// bare calls share one client, whose transport keeps up to 64 idle
// connections so that 16 goroutines do not open a connection per call.
func BenchmarkLocal(b *testing.B) {
	db := testClient(b, drivertest.ClientOptions{Transport: &http.Transport{MaxIdleConns: 64, MaxIdleConnsPerHost: 64, IdleConnTimeout: time.Minute}})
	table := newTable(b)
	s, err := dynamostore.NewStore(db, dynamostore.WithTable(table))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	benchkit.Local(b, s, benchkit.Bare{
		Get: func(token string) (bool, error) {
			out, err := db.GetItemWithContext(ctx, &dynamodb.GetItemInput{
				TableName:      aws.String(table),
				Key:            map[string]*dynamodb.AttributeValue{"token": {S: aws.String(token)}},
				ConsistentRead: aws.Bool(true),
			})
			return err == nil && out.Item["data"] != nil, err
		},
		Put: func(token string, data []byte, expiry time.Time) error {
			_, err := db.PutItemWithContext(ctx, &dynamodb.PutItemInput{
				TableName: aws.String(table),
				Item: map[string]*dynamodb.AttributeValue{
					"token":  {S: aws.String(token)},
					"data":   {B: data},
					"expiry": {N: aws.String(strconv.FormatInt(expiry.UnixNano(), 10))},
					"ttl":    {N: aws.String(strconv.FormatInt(expiry.Unix()+1, 10))},
				},
			})
			return err
		},
		Delete: func(token string) error {
			_, err := db.DeleteItemWithContext(ctx, &dynamodb.DeleteItemInput{
				TableName: aws.String(table),
				Key:       map[string]*dynamodb.AttributeValue{"token": {S: aws.String(token)}},
			})
			return err
		},
		Seed: func(b *testing.B, tokens []string, data []byte, expiry time.Time) {
			benchBatchPut(b, db, table, tokens, data, expiry)
		},
	}, *benchBareFirst)
}

// benchBareFirst makes BenchmarkLocal measure each bare call before the
// store's: go test -bench Local . -args -local.barefirst
var benchBareFirst = flag.Bool("local.barefirst", false, "BenchmarkLocal: measure each bare call before the store's")

// benchBatchPut writes a live session with the given data under each token,
// 25 items per BatchWriteItem request, resending what DynamoDB leaves
// unprocessed.
func benchBatchPut(b *testing.B, db *dynamodb.DynamoDB, table string, tokens []string, data []byte, expiry time.Time) {
	b.Helper()
	expiryN, ttlN := strconv.FormatInt(expiry.UnixNano(), 10), strconv.FormatInt(expiry.Unix()+1, 10)
	for len(tokens) > 0 {
		n := min(25, len(tokens))
		reqs := make([]*dynamodb.WriteRequest, n)
		for i, token := range tokens[:n] {
			reqs[i] = &dynamodb.WriteRequest{PutRequest: &dynamodb.PutRequest{Item: map[string]*dynamodb.AttributeValue{
				"token":  {S: aws.String(token)},
				"data":   {B: data},
				"expiry": {N: aws.String(expiryN)},
				"ttl":    {N: aws.String(ttlN)},
			}}}
		}
		tokens = tokens[n:]
		pending := map[string][]*dynamodb.WriteRequest{table: reqs}
		for len(pending) > 0 {
			out, err := db.BatchWriteItem(&dynamodb.BatchWriteItemInput{RequestItems: pending})
			if err != nil {
				b.Fatalf("batch write: %v", err)
			}
			pending = out.UnprocessedItems
		}
	}
}

// benchStub is a DynamoDB client that answers GetItem, PutItem and
// DeleteItem at once, without HTTP, from prebuilt outputs: a store on it
// costs only the store's own work, which BenchmarkOwnWork sets beside the
// same calls made by hand.
type benchStub struct {
	dynamodbiface.DynamoDBAPI // nil: any other call panics
	get                       *dynamodb.GetItemOutput
}

func (c *benchStub) GetItemWithContext(aws.Context, *dynamodb.GetItemInput, ...request.Option) (*dynamodb.GetItemOutput, error) {
	return c.get, nil
}

func (c *benchStub) PutItemWithContext(aws.Context, *dynamodb.PutItemInput, ...request.Option) (*dynamodb.PutItemOutput, error) {
	return &dynamodb.PutItemOutput{}, nil
}

func (c *benchStub) DeleteItemWithContext(aws.Context, *dynamodb.DeleteItemInput, ...request.Option) (*dynamodb.DeleteItemOutput, error) {
	return &dynamodb.DeleteItemOutput{}, nil
}

// BenchmarkOwnWork measures, without any I/O, what Find, Commit and Delete
// do besides the SDK call (check the token, build the request, read the
// answer) beside the same request built by hand: the difference is all the
// time the store adds to a call, free of the noise of a round trip.
func BenchmarkOwnWork(b *testing.B) {
	stub := &benchStub{get: &dynamodb.GetItemOutput{Item: map[string]*dynamodb.AttributeValue{
		"token":  {S: aws.String(benchkit.Token)},
		"data":   {B: benchData},
		"expiry": {N: aws.String(strconv.FormatInt(benchkit.Expiry.UnixNano(), 10))},
		"ttl":    {N: aws.String(strconv.FormatInt(benchkit.Expiry.Unix()+1, 10))},
	}}}
	s, err := dynamostore.NewStore(stub)
	if err != nil {
		b.Fatal(err)
	}
	// unbounded is the store without its per-request timeout, to show what
	// the bound (a context.WithTimeout per request) costs.
	unbounded, err := dynamostore.NewStore(stub, dynamostore.WithTimeout(0))
	if err != nil {
		b.Fatal(err)
	}
	// The hand-made calls go through the interface too, as the store's do,
	// so that the compiler cannot keep their inputs on the stack.
	api := benchAPI(stub)
	ctx := context.Background()
	expiry := time.Now().Add(24 * time.Hour)
	find := func(s *dynamostore.DynamoStore) error {
		_, found, err := s.FindCtx(ctx, benchkit.Token)
		if err == nil && !found {
			err = fmt.Errorf("not found")
		}
		return err
	}
	cases := []struct {
		name                   string
		store, unbounded, bare func() error
	}{
		{"Find", func() error { return find(s) }, func() error { return find(unbounded) }, func() error {
			out, err := api.GetItemWithContext(ctx, &dynamodb.GetItemInput{
				TableName:      aws.String(benchkit.Table),
				Key:            map[string]*dynamodb.AttributeValue{"token": {S: aws.String(benchkit.Token)}},
				ConsistentRead: aws.Bool(true),
			})
			if err == nil && len(out.Item["data"].B) != benchkit.DataSize {
				err = fmt.Errorf("wrong item")
			}
			return err
		}},
		{"Commit", func() error {
			return s.CommitCtx(ctx, benchkit.Token, benchData, expiry)
		}, func() error {
			return unbounded.CommitCtx(ctx, benchkit.Token, benchData, expiry)
		}, func() error {
			_, err := api.PutItemWithContext(ctx, &dynamodb.PutItemInput{
				TableName: aws.String(benchkit.Table),
				Item: map[string]*dynamodb.AttributeValue{
					"token":  {S: aws.String(benchkit.Token)},
					"data":   {B: benchData},
					"expiry": {N: aws.String(strconv.FormatInt(expiry.UnixNano(), 10))},
					"ttl":    {N: aws.String(strconv.FormatInt(expiry.Unix()+1, 10))},
				},
			})
			return err
		}},
		{"Delete", func() error {
			return s.DeleteCtx(ctx, benchkit.Token)
		}, func() error {
			return unbounded.DeleteCtx(ctx, benchkit.Token)
		}, func() error {
			_, err := api.DeleteItemWithContext(ctx, &dynamodb.DeleteItemInput{
				TableName: aws.String(benchkit.Table),
				Key:       map[string]*dynamodb.AttributeValue{"token": {S: aws.String(benchkit.Token)}},
			})
			return err
		}},
	}
	for _, c := range cases {
		for _, impl := range []string{"store", "unbounded", "bare"} {
			op := map[string]func() error{"store": c.store, "unbounded": c.unbounded, "bare": c.bare}[impl]
			b.Run(c.name+"/"+impl, func(b *testing.B) {
				b.ReportAllocs()
				for range b.N {
					if err := op(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// benchAPI returns c as the interface, out of the compiler's sight.
//
//go:noinline
func benchAPI(c *benchStub) dynamodbiface.DynamoDBAPI { return c }
