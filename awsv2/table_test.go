package awsv2_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/scs-stores/dynamostore/awsv2"
	"github.com/scs-stores/dynamostore/awsv2/internal/ddbtest2"
	"github.com/scs-stores/dynamostore/internal/core/testenv"
)

// dropAtEnd deletes table when the test ends, for tables that the test makes
// with CreateTable.
func dropAtEnd(t *testing.T, db *dynamodb.Client, table string) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = db.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(table)})
	})
}

// ttlOf returns the Time To Live status of table and the attribute it is on.
func ttlOf(t *testing.T, db *dynamodb.Client, table string) (status, attr string) {
	t.Helper()
	out, err := db.DescribeTimeToLive(context.Background(), &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatalf("DescribeTimeToLive: %v", err)
	}
	return string(out.TimeToLiveDescription.TimeToLiveStatus), aws.ToString(out.TimeToLiveDescription.AttributeName)
}

func enableTTL(t *testing.T, db *dynamodb.Client, table, attr string) {
	t.Helper()
	_, err := db.UpdateTimeToLive(context.Background(), &dynamodb.UpdateTimeToLiveInput{
		TableName:               aws.String(table),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(attr), Enabled: aws.Bool(true)},
	})
	if err != nil {
		t.Fatalf("UpdateTimeToLive: %v", err)
	}
}

func ttlOn(status string) bool { return status == "ENABLED" || status == "ENABLING" }

func TestCreateTableMakesOnDemandTableKeyedByTokenWithTTL(t *testing.T) {
	for _, tc := range []struct {
		name     string
		opts     []awsv2.Option
		key, ttl string
	}{
		{name: "default names", key: "token", ttl: "ttl"},
		{name: "custom names", opts: []awsv2.Option{awsv2.WithAttributes("id", "blob", "expires", "expires_at")}, key: "id", ttl: "expires_at"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := ddbtest2.Client(t, nil)
			table := testenv.TableName(t)
			dropAtEnd(t, db, table)
			s, err := awsv2.New(db, append([]awsv2.Option{awsv2.WithTable(table)}, tc.opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.CreateTable(context.Background()); err != nil {
				t.Fatalf("CreateTable: %v", err)
			}
			out, err := db.DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String(table)})
			if err != nil {
				t.Fatal(err)
			}
			d := out.Table
			if d.TableStatus != types.TableStatusActive {
				t.Errorf("status = %s, want ACTIVE", d.TableStatus)
			}
			if len(d.KeySchema) != 1 || aws.ToString(d.KeySchema[0].AttributeName) != tc.key || d.KeySchema[0].KeyType != types.KeyTypeHash {
				t.Errorf("key schema = %v, want %s HASH", d.KeySchema, tc.key)
			}
			if len(d.AttributeDefinitions) != 1 || d.AttributeDefinitions[0].AttributeType != types.ScalarAttributeTypeS {
				t.Errorf("attribute definitions = %v, want %s S", d.AttributeDefinitions, tc.key)
			}
			if d.BillingModeSummary == nil || d.BillingModeSummary.BillingMode != types.BillingModePayPerRequest {
				t.Errorf("billing = %v, want PAY_PER_REQUEST", d.BillingModeSummary)
			}
			if status, attr := ttlOf(t, db, table); !ttlOn(status) || attr != tc.ttl {
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
	s, db := newStore(t)
	if err := s.Commit("kept", []byte("v"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if status, _ := ttlOf(t, db, s.TableName()); ttlOn(status) {
		t.Fatalf("fresh test table already has Time To Live %s", status)
	}
	for i := range 2 {
		if err := s.CreateTable(context.Background()); err != nil {
			t.Fatalf("CreateTable call %d: %v", i+1, err)
		}
	}
	if status, attr := ttlOf(t, db, s.TableName()); !ttlOn(status) || attr != "ttl" {
		t.Errorf("Time To Live = %s on %q, want ENABLED on \"ttl\"", status, attr)
	}
	if _, found, err := s.Find("kept"); err != nil || !found {
		t.Errorf("Find after CreateTable = %v, %v; want the session kept", found, err)
	}
}

func TestCreateTableRefusesTableWithAnotherKeySchema(t *testing.T) {
	db := ddbtest2.Client(t, nil)
	for _, tc := range []struct {
		name  string
		attrs []types.AttributeDefinition
		keys  []types.KeySchemaElement
	}{
		{"other hash key",
			[]types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
			[]types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}}},
		{"token of type N",
			[]types.AttributeDefinition{{AttributeName: aws.String("token"), AttributeType: types.ScalarAttributeTypeN}},
			[]types.KeySchemaElement{{AttributeName: aws.String("token"), KeyType: types.KeyTypeHash}}},
		{"token with a sort key",
			[]types.AttributeDefinition{
				{AttributeName: aws.String("token"), AttributeType: types.ScalarAttributeTypeS},
				{AttributeName: aws.String("n"), AttributeType: types.ScalarAttributeTypeN},
			},
			[]types.KeySchemaElement{
				{AttributeName: aws.String("token"), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String("n"), KeyType: types.KeyTypeRange},
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			table := testenv.TableName(t)
			createTable(t, db, table, tc.attrs, tc.keys)
			s, err := awsv2.New(db, awsv2.WithTable(table))
			if err != nil {
				t.Fatal(err)
			}
			if err := s.CreateTable(context.Background()); !errors.Is(err, awsv2.ErrTableNotReady) {
				t.Fatalf("CreateTable = %v, want an error wrapping ErrTableNotReady", err)
			}
			if status, _ := ttlOf(t, db, table); ttlOn(status) {
				t.Errorf("CreateTable enabled Time To Live (%s) on a table it refused", status)
			}
		})
	}
}

func TestCreateTableRefusesTTLOnAnotherAttribute(t *testing.T) {
	s, db := newStore(t)
	enableTTL(t, db, s.TableName(), "expires_at")
	err := s.CreateTable(context.Background())
	if !errors.Is(err, awsv2.ErrTableNotReady) || !strings.Contains(err.Error(), `"expires_at"`) {
		t.Fatalf("CreateTable = %v, want an error wrapping ErrTableNotReady that names \"expires_at\"", err)
	}
}

func TestCreateTableAcceptsTTLAlreadyOnTheTTLAttribute(t *testing.T) {
	s, db := newStore(t)
	enableTTL(t, db, s.TableName(), "ttl")
	if err := s.CreateTable(context.Background()); err != nil {
		t.Fatalf("CreateTable = %v, want nil", err)
	}
}

func TestCreateTableFromManyInstancesAtOnceAllSucceed(t *testing.T) {
	db := ddbtest2.Client(t, nil)
	table := testenv.TableName(t)
	dropAtEnd(t, db, table)
	s, err := awsv2.New(db, awsv2.WithTable(table))
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
	if status, attr := ttlOf(t, db, table); !ttlOn(status) || attr != "ttl" {
		t.Errorf("Time To Live = %s on %q, want ENABLED on \"ttl\"", status, attr)
	}
}

// creatingForever reports every table as CREATING, like a table that takes
// long to create, and counts the descriptions.
type creatingForever struct {
	awsv2.Client
	describes atomic.Int64
}

func (c *creatingForever) DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error) {
	out, err := c.Client.DescribeTable(ctx, in, optFns...)
	if err == nil && out.Table != nil {
		c.describes.Add(1)
		out.Table.TableStatus = types.TableStatusCreating
	}
	return out, err
}

func TestCreateTableWaitingEndsWithTheContext(t *testing.T) {
	db := ddbtest2.Client(t, nil)
	table := ddbtest2.NewTable(t, db, "token")
	client := &creatingForever{Client: db}
	s, err := awsv2.New(client, awsv2.WithTable(table))
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
	if n := client.describes.Load(); n < 2 || n > 6 {
		t.Errorf("DescribeTable was called %d times in 700ms, want 2 to 6", n)
	}
}
