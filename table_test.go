package dynamostore_test

//lint:file-ignore SA1019 aws-sdk-go v1 is what the store under test is built on.

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/request"
	"github.com/aws/aws-sdk-go/service/dynamodb"
	"github.com/aws/aws-sdk-go/service/dynamodb/dynamodbiface"

	"github.com/scs-stores/dynamostore"
	"github.com/scs-stores/dynamostore/internal/ddbtest"
	"github.com/scs-stores/dynamostore/internal/core/testenv"
)

// tableDropAtEnd deletes the table when the test ends, for tables that the
// test makes with CreateTable.
func tableDropAtEnd(t *testing.T, db *dynamodb.DynamoDB, table string) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = db.DeleteTableWithContext(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(table)})
	})
}

// tableTTLOf returns the Time To Live status of table and the attribute it is on.
func tableTTLOf(t *testing.T, db *dynamodb.DynamoDB, table string) (status, attr string) {
	t.Helper()
	out, err := db.DescribeTimeToLive(&dynamodb.DescribeTimeToLiveInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatalf("DescribeTimeToLive: %v", err)
	}
	d := out.TimeToLiveDescription
	return aws.StringValue(d.TimeToLiveStatus), aws.StringValue(d.AttributeName)
}

func tableEnableTTL(t *testing.T, db *dynamodb.DynamoDB, table, attr string) {
	t.Helper()
	_, err := db.UpdateTimeToLive(&dynamodb.UpdateTimeToLiveInput{
		TableName:               aws.String(table),
		TimeToLiveSpecification: &dynamodb.TimeToLiveSpecification{AttributeName: aws.String(attr), Enabled: aws.Bool(true)},
	})
	if err != nil {
		t.Fatalf("UpdateTimeToLive: %v", err)
	}
}

func tableTTLOn(status string) bool { return status == "ENABLED" || status == "ENABLING" }

func TestCreateTableMakesOnDemandTableKeyedByTokenWithTTL(t *testing.T) {
	for _, tc := range []struct {
		name      string
		opts      []dynamostore.Option
		key, ttl  string
		wantError bool
	}{
		{name: "default names", key: "token", ttl: "ttl"},
		{name: "custom names", opts: []dynamostore.Option{dynamostore.WithAttributes("id", "blob", "expires", "expires_at")}, key: "id", ttl: "expires_at"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := ddbtest.Client(t, nil, nil)
			table := testenv.TableName(t)
			tableDropAtEnd(t, db, table)
			s, err := dynamostore.NewStore(db, append([]dynamostore.Option{dynamostore.WithTable(table)}, tc.opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.CreateTable(context.Background()); err != nil {
				t.Fatalf("CreateTable: %v", err)
			}
			out, err := db.DescribeTable(&dynamodb.DescribeTableInput{TableName: aws.String(table)})
			if err != nil {
				t.Fatal(err)
			}
			d := out.Table
			if got := aws.StringValue(d.TableStatus); got != "ACTIVE" {
				t.Errorf("status = %s, want ACTIVE", got)
			}
			if len(d.KeySchema) != 1 || aws.StringValue(d.KeySchema[0].AttributeName) != tc.key || aws.StringValue(d.KeySchema[0].KeyType) != "HASH" {
				t.Errorf("key schema = %v, want %s HASH", d.KeySchema, tc.key)
			}
			if len(d.AttributeDefinitions) != 1 || aws.StringValue(d.AttributeDefinitions[0].AttributeType) != "S" {
				t.Errorf("attribute definitions = %v, want %s S", d.AttributeDefinitions, tc.key)
			}
			if d.BillingModeSummary == nil || aws.StringValue(d.BillingModeSummary.BillingMode) != "PAY_PER_REQUEST" {
				t.Errorf("billing = %v, want PAY_PER_REQUEST", d.BillingModeSummary)
			}
			if status, attr := tableTTLOf(t, db, table); !tableTTLOn(status) || attr != tc.ttl {
				t.Errorf("Time To Live = %s on %q, want ENABLED on %q", status, attr, tc.ttl)
			}
			if err := s.Commit("tok", []byte("v"), time.Now().Add(time.Hour)); err != nil {
				t.Fatalf("Commit on the new table: %v", err)
			}
			if err := s.Ping(); err != nil {
				t.Fatalf("Ping on the new table: %v", err)
			}
		})
	}
}

func TestCreateTableOnExistingTableKeepsItsItemsAndEnablesTTL(t *testing.T) {
	s := newStore(t)
	db := ddbtest.Client(t, nil, nil)
	if err := s.Commit("kept", []byte("v"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if status, _ := tableTTLOf(t, db, s.TableName()); tableTTLOn(status) {
		t.Fatalf("fresh test table already has Time To Live %s", status)
	}
	for i := range 2 {
		if err := s.CreateTable(context.Background()); err != nil {
			t.Fatalf("CreateTable call %d: %v", i+1, err)
		}
	}
	if status, attr := tableTTLOf(t, db, s.TableName()); !tableTTLOn(status) || attr != "ttl" {
		t.Errorf("Time To Live = %s on %q, want ENABLED on \"ttl\"", status, attr)
	}
	if _, found, err := s.Find("kept"); err != nil || !found {
		t.Errorf("Find after CreateTable = %v, %v; want the session kept", found, err)
	}
}

func TestCreateTableRefusesTableWithAnotherKeySchema(t *testing.T) {
	db := ddbtest.Client(t, nil, nil)
	for _, tc := range []struct {
		name  string
		input func(table string) *dynamodb.CreateTableInput
	}{
		{"other hash key", func(table string) *dynamodb.CreateTableInput {
			return &dynamodb.CreateTableInput{
				TableName:            aws.String(table),
				BillingMode:          aws.String("PAY_PER_REQUEST"),
				AttributeDefinitions: []*dynamodb.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: aws.String("S")}},
				KeySchema:            []*dynamodb.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: aws.String("HASH")}},
			}
		}},
		{"token of type N", func(table string) *dynamodb.CreateTableInput {
			return &dynamodb.CreateTableInput{
				TableName:            aws.String(table),
				BillingMode:          aws.String("PAY_PER_REQUEST"),
				AttributeDefinitions: []*dynamodb.AttributeDefinition{{AttributeName: aws.String("token"), AttributeType: aws.String("N")}},
				KeySchema:            []*dynamodb.KeySchemaElement{{AttributeName: aws.String("token"), KeyType: aws.String("HASH")}},
			}
		}},
		{"token with a sort key", func(table string) *dynamodb.CreateTableInput {
			return &dynamodb.CreateTableInput{
				TableName:   aws.String(table),
				BillingMode: aws.String("PAY_PER_REQUEST"),
				AttributeDefinitions: []*dynamodb.AttributeDefinition{
					{AttributeName: aws.String("token"), AttributeType: aws.String("S")},
					{AttributeName: aws.String("n"), AttributeType: aws.String("N")},
				},
				KeySchema: []*dynamodb.KeySchemaElement{
					{AttributeName: aws.String("token"), KeyType: aws.String("HASH")},
					{AttributeName: aws.String("n"), KeyType: aws.String("RANGE")},
				},
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			table := testenv.TableName(t)
			if _, err := db.CreateTable(tc.input(table)); err != nil {
				t.Fatal(err)
			}
			tableDropAtEnd(t, db, table)
			s, err := dynamostore.NewStore(db, dynamostore.WithTable(table))
			if err != nil {
				t.Fatal(err)
			}
			err = s.CreateTable(context.Background())
			if !errors.Is(err, dynamostore.ErrTableNotReady) {
				t.Fatalf("CreateTable = %v, want an error wrapping ErrTableNotReady", err)
			}
			if status, _ := tableTTLOf(t, db, table); tableTTLOn(status) {
				t.Errorf("CreateTable enabled Time To Live (%s) on a table it refused", status)
			}
		})
	}
}

func TestCreateTableRefusesTTLOnAnotherAttribute(t *testing.T) {
	s := newStore(t)
	db := ddbtest.Client(t, nil, nil)
	tableEnableTTL(t, db, s.TableName(), "expires_at")
	err := s.CreateTable(context.Background())
	if !errors.Is(err, dynamostore.ErrTableNotReady) || !strings.Contains(err.Error(), `"expires_at"`) {
		t.Fatalf("CreateTable = %v, want an error wrapping ErrTableNotReady that names \"expires_at\"", err)
	}
}

func TestCreateTableAcceptsTTLAlreadyOnTheTTLAttribute(t *testing.T) {
	s := newStore(t)
	db := ddbtest.Client(t, nil, nil)
	tableEnableTTL(t, db, s.TableName(), "ttl")
	if err := s.CreateTable(context.Background()); err != nil {
		t.Fatalf("CreateTable = %v, want nil", err)
	}
}

func TestCreateTableFromManyInstancesAtOnceAllSucceed(t *testing.T) {
	db := ddbtest.Client(t, nil, nil)
	table := testenv.TableName(t)
	tableDropAtEnd(t, db, table)
	s, err := dynamostore.NewStore(db, dynamostore.WithTable(table))
	if err != nil {
		t.Fatal(err)
	}
	const n = 4
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.CreateTable(context.Background())
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("CreateTable %d: %v", i, err)
		}
	}
	if status, attr := tableTTLOf(t, db, table); !tableTTLOn(status) || attr != "ttl" {
		t.Errorf("Time To Live = %s on %q, want ENABLED on \"ttl\"", status, attr)
	}
}

// tableCreatingForever reports every table as CREATING, like a table that takes
// long to create.
type tableCreatingForever struct {
	dynamodbiface.DynamoDBAPI
	describes int
}

func (c *tableCreatingForever) DescribeTableWithContext(ctx aws.Context, in *dynamodb.DescribeTableInput, opts ...request.Option) (*dynamodb.DescribeTableOutput, error) {
	out, err := c.DynamoDBAPI.DescribeTableWithContext(ctx, in, opts...)
	if err == nil && out.Table != nil {
		c.describes++
		out.Table.TableStatus = aws.String("CREATING")
	}
	return out, err
}

func TestCreateTableWaitingEndsWithTheContext(t *testing.T) {
	db := ddbtest.Client(t, nil, nil)
	table := ddbtest.NewTable(t, db, "token")
	client := &tableCreatingForever{DynamoDBAPI: db}
	s, err := dynamostore.NewStore(client, dynamostore.WithTable(table))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = s.CreateTable(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("CreateTable = %v, want an error wrapping context.DeadlineExceeded", err)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("CreateTable returned %v after the deadline passed", elapsed)
	}
	// Polls back off from 100ms: 0, 100, 300, 700ms make at most 4 or 5
	// describes within 700ms, not a busy loop.
	if client.describes < 2 || client.describes > 6 {
		t.Errorf("DescribeTable was called %d times in 700ms, want 2 to 6", client.describes)
	}
}

// tableRequestCounter counts the HTTP requests a client sends.
type tableRequestCounter struct{ n atomic.Int64 }

func (c *tableRequestCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}

func TestCreateTableOfMisconfiguredStoreFailsWithoutRequest(t *testing.T) {
	var requests tableRequestCounter
	db := ddbtest.Client(t, &requests, nil)
	s := dynamostore.NewWithOption(db, "no", "", "", "", "")
	if err := s.CreateTable(context.Background()); !errors.Is(err, dynamostore.ErrInvalidConfig) {
		t.Fatalf("CreateTable = %v, want an error wrapping ErrInvalidConfig", err)
	}
	if n := requests.n.Load(); n != 0 {
		t.Errorf("CreateTable sent %d requests, want none", n)
	}
}
