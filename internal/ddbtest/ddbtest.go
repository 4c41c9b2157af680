// Package ddbtest gives tests an aws-sdk-go (v1) DynamoDB client on
// DynamoDB Local and fresh session tables on it.
package ddbtest

//lint:file-ignore SA1019 aws-sdk-go v1 is what the store under test is built on.

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/credentials"
	"github.com/aws/aws-sdk-go/aws/session"
	"github.com/aws/aws-sdk-go/service/dynamodb"

	"github.com/scs-stores/dynamostore/internal/core/testenv"
)

// Client returns a client of DynamoDB Local. A non-nil rt carries its
// requests, so that tests can count or break them; it is given in the
// client's own config, since aws-sdk-go refuses a session-level HTTP client
// with a custom transport when AWS_CA_BUNDLE is set. extra, when non-nil, is
// merged last (for example to set MaxRetries).
func Client(t testing.TB, rt http.RoundTripper, extra *aws.Config) *dynamodb.DynamoDB {
	t.Helper()
	endpoint := testenv.Endpoint(t)
	sess, err := session.NewSession(&aws.Config{
		// A client of its own: with AWS_CA_BUNDLE set, NewSession writes the
		// CA pool into its HTTP client's transport, which for the default
		// client is http.DefaultClient's, a data race with any request in
		// flight when tests make clients in parallel.
		HTTPClient:  &http.Client{},
		Region:      aws.String("us-east-1"),
		Endpoint:    aws.String(endpoint),
		Credentials: credentials.NewStaticCredentials("local", "local", ""),
	})
	if err != nil {
		t.Fatalf("aws session: %v", err)
	}
	cfg := &aws.Config{}
	if rt != nil {
		cfg.HTTPClient = &http.Client{Transport: rt}
	}
	if extra != nil {
		cfg.MergeIn(extra)
	}
	return dynamodb.New(sess, cfg)
}

// CreateTable creates a table keyed by the string attribute key, with
// on-demand billing, and deletes it when the test ends.
func CreateTable(t testing.TB, db *dynamodb.DynamoDB, table, key string) {
	t.Helper()
	_, err := db.CreateTable(&dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		BillingMode:          aws.String(dynamodb.BillingModePayPerRequest),
		AttributeDefinitions: []*dynamodb.AttributeDefinition{{AttributeName: aws.String(key), AttributeType: aws.String("S")}},
		KeySchema:            []*dynamodb.KeySchemaElement{{AttributeName: aws.String(key), KeyType: aws.String("HASH")}},
	})
	if err != nil {
		t.Fatalf("create table %q: %v", table, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = db.DeleteTableWithContext(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(table)})
	})
}

// NewTable creates a fresh table keyed by key with a name unique to the test
// and returns its name.
func NewTable(t testing.TB, db *dynamodb.DynamoDB, key string) string {
	t.Helper()
	name := testenv.TableName(t)
	CreateTable(t, db, name, key)
	return name
}
