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
	"flag"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/scs-stores/dynamostore/awsv2"
	"github.com/scs-stores/dynamostore/internal/testsuite/benchkit"
	"github.com/scs-stores/dynamostore/internal/testsuite/drivertest"
)

// benchData is the 1 KB session the fake server returns and the
// benchmarks write.
var benchData = benchkit.Data()

// benchFakeClient returns a client of a fresh fake server.
func benchFakeClient(tb testing.TB) *dynamodb.Client {
	tb.Helper()
	srv := benchkit.FakeDynamoDB(tb)
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
			TableName:      aws.String(benchkit.Table),
			Key:            map[string]types.AttributeValue{"token": &types.AttributeValueMemberS{Value: benchkit.Token}},
			ConsistentRead: aws.Bool(true),
		})
		if err != nil {
			b.Fatal(err)
		}
		if data, ok := out.Item["data"].(*types.AttributeValueMemberB); !ok || len(data.Value) != benchkit.DataSize {
			b.Fatal("wrong item")
		}
	}
}

func BenchmarkFind(b *testing.B) { benchkit.Find(b, benchFakeStore(b)) }

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
			TableName: aws.String(benchkit.Table),
			Item:      benchItem(benchkit.Token, benchData, expiry),
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
		_, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
			TableName: aws.String(benchkit.Table),
			Key:       map[string]types.AttributeValue{"token": &types.AttributeValueMemberS{Value: benchkit.Token}},
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
	s, err := awsv2.New(db, awsv2.WithTable(table))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	benchkit.Local(b, s, benchkit.Bare{
		Get: func(token string) (bool, error) {
			out, err := db.GetItem(ctx, &dynamodb.GetItemInput{
				TableName:      aws.String(table),
				Key:            map[string]types.AttributeValue{"token": &types.AttributeValueMemberS{Value: token}},
				ConsistentRead: aws.Bool(true),
			})
			return err == nil && out.Item["data"] != nil, err
		},
		Put: func(token string, data []byte, expiry time.Time) error {
			_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: benchItem(token, data, expiry)})
			return err
		},
		Delete: func(token string) error {
			_, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
				TableName: aws.String(table),
				Key:       map[string]types.AttributeValue{"token": &types.AttributeValueMemberS{Value: token}},
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
