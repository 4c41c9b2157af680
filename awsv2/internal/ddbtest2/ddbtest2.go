// Package ddbtest2 gives the awsv2 package's tests an aws-sdk-go-v2
// DynamoDB client on DynamoDB Local and fresh session tables on it. It is the
// aws-sdk-go-v2 twin of the root module's internal/ddbtest.
package ddbtest2

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/scs-stores/dynamostore/internal/core/testenv"
)

// Client returns a client of DynamoDB Local, with static credentials, the
// region us-east-1 and the server as its base endpoint; without a server the
// test is skipped, or fails under CI (see testenv.Endpoint). A non-nil rt
// carries its requests, so that tests can count or break them. The client is
// built from dynamodb.Options directly, not config.LoadDefaultConfig, so
// neither AWS_CA_BUNDLE nor the machine's shared config affects it. optFns
// are applied last (for example to set RetryMaxAttempts).
func Client(t testing.TB, rt http.RoundTripper, optFns ...func(*dynamodb.Options)) *dynamodb.Client {
	t.Helper()
	endpoint := testenv.Endpoint(t)
	o := dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	}
	if rt != nil {
		o.HTTPClient = &http.Client{Transport: rt}
	}
	return dynamodb.New(o, optFns...)
}

// CreateTable creates a table keyed by the string attribute key, with
// on-demand billing, and deletes it when the test ends.
func CreateTable(t testing.TB, db *dynamodb.Client, table, key string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String(key), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String(key), KeyType: types.KeyTypeHash}},
	})
	if err != nil {
		t.Fatalf("create table %q: %v", table, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = db.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(table)})
	})
}

// NewTable creates a fresh table keyed by key with a name unique to the test
// and returns its name.
func NewTable(t testing.TB, db *dynamodb.Client, key string) string {
	t.Helper()
	name := testenv.TableName(t)
	CreateTable(t, db, name, key)
	return name
}

// Counter is an http.RoundTripper that counts the requests it carries to
// http.DefaultTransport. It is safe for concurrent use.
type Counter struct{ n atomic.Int64 }

// RoundTrip counts req and sends it.
func (c *Counter) RoundTrip(req *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return http.DefaultTransport.RoundTrip(req)
}

// Count returns how many requests have been sent so far.
func (c *Counter) Count() int64 { return c.n.Load() }
