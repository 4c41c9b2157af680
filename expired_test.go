package dynamostore_test

//lint:file-ignore SA1019 aws-sdk-go v1 is what the store under test is built on.

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/request"
	"github.com/aws/aws-sdk-go/service/dynamodb"
	"github.com/aws/aws-sdk-go/service/dynamodb/dynamodbiface"

	"github.com/scs-stores/dynamostore"
	"github.com/scs-stores/dynamostore/internal/ddbtest"
)

// expiredTestClient is a client of DynamoDB Local whose Scans return pages
// of at most pageSize items, and that calls afterScan, when set, between a
// Scan and the requests that follow it.
type expiredTestClient struct {
	dynamodbiface.DynamoDBAPI
	pageSize  int64
	afterScan func()

	mu      sync.Mutex
	scans   int
	deletes int
	// failDeleteErr, when set, fails every DeleteItem after the first
	// okDeletes.
	failDeleteErr error
	okDeletes     int
}

func (c *expiredTestClient) ScanWithContext(ctx aws.Context, in *dynamodb.ScanInput, opts ...request.Option) (*dynamodb.ScanOutput, error) {
	cp := *in
	if c.pageSize > 0 {
		cp.Limit = aws.Int64(c.pageSize)
	}
	out, err := c.DynamoDBAPI.ScanWithContext(ctx, &cp, opts...)
	c.mu.Lock()
	c.scans++
	hook := c.afterScan
	c.mu.Unlock()
	if hook != nil {
		hook()
	}
	return out, err
}

func (c *expiredTestClient) DeleteItemWithContext(ctx aws.Context, in *dynamodb.DeleteItemInput, opts ...request.Option) (*dynamodb.DeleteItemOutput, error) {
	c.mu.Lock()
	c.deletes++
	fail := c.failDeleteErr != nil && c.deletes > c.okDeletes
	c.mu.Unlock()
	if fail {
		return nil, c.failDeleteErr
	}
	return c.DynamoDBAPI.DeleteItemWithContext(ctx, in, opts...)
}

// newExpiredTestStore returns a store on a fresh table through an
// expiredTestClient, and a plain client of the same server.
func newExpiredTestStore(t *testing.T, pageSize int64, opts ...dynamostore.Option) (*dynamostore.DynamoStore, *expiredTestClient, *dynamodb.DynamoDB) {
	t.Helper()
	db := ddbtest.Client(t, nil, nil)
	table := ddbtest.NewTable(t, db, "token")
	c := &expiredTestClient{DynamoDBAPI: db, pageSize: pageSize}
	s, err := dynamostore.NewStore(c, append([]dynamostore.Option{dynamostore.WithTable(table)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return s, c, db
}

// tableKeys returns every key in table, sorted.
func tableKeys(t *testing.T, db *dynamodb.DynamoDB, table string) []string {
	t.Helper()
	var keys []string
	err := db.ScanPages(&dynamodb.ScanInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true)},
		func(out *dynamodb.ScanOutput, _ bool) bool {
			for _, item := range out.Items {
				keys = append(keys, aws.StringValue(item["token"].S))
			}
			return true
		})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(keys)
	return keys
}

func commitAll(t *testing.T, s *dynamostore.DynamoStore, prefix string, n int, expiry time.Time) []string {
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

func TestDeleteExpiredRemovesExpiredSessionsAndKeepsLiveOnes(t *testing.T) {
	for _, tc := range []struct {
		name     string
		segments int
		pageSize int64
	}{
		{"one segment, one page", 1, 0},
		{"one segment, pages of 2", 1, 2},
		{"four segments, pages of 3", 4, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, c, db := newExpiredTestStore(t, tc.pageSize, dynamostore.WithScanSegments(tc.segments))
			live := commitAll(t, s, "live", 7, time.Now().Add(time.Hour))
			commitAll(t, s, "dead", 11, time.Now().Add(-time.Second))
			n, err := s.DeleteExpired(context.Background())
			if err != nil || n != 11 {
				t.Fatalf("DeleteExpired = %d, %v; want 11, nil", n, err)
			}
			if got := tableKeys(t, db, s.TableName()); fmt.Sprint(got) != fmt.Sprint(live) {
				t.Errorf("table holds %v, want the live sessions %v", got, live)
			}
			if tc.pageSize > 0 && c.scans < 18/int(tc.pageSize) {
				t.Errorf("%d Scan pages for 18 items in pages of %d: paging was not exercised", c.scans, tc.pageSize)
			}
			if n, err := s.DeleteExpired(context.Background()); err != nil || n != 0 {
				t.Errorf("second DeleteExpired = %d, %v; want 0, nil", n, err)
			}
		})
	}
}

func TestDeleteExpiredWithTokenPrefixLeavesOtherAppsSessions(t *testing.T) {
	db := ddbtest.Client(t, nil, nil)
	table := ddbtest.NewTable(t, db, "token")
	stores := map[string]*dynamostore.DynamoStore{}
	for _, prefix := range []string{"a:", "b:", ""} {
		s, err := dynamostore.NewStore(db, dynamostore.WithTable(table), dynamostore.WithTokenPrefix(prefix))
		if err != nil {
			t.Fatal(err)
		}
		stores[prefix] = s
	}
	past := time.Now().Add(-time.Minute)
	commitAll(t, stores["a:"], "x", 3, past)
	commitAll(t, stores["b:"], "x", 2, past)
	if n, err := stores["a:"].DeleteExpired(context.Background()); err != nil || n != 3 {
		t.Fatalf("DeleteExpired with prefix a: = %d, %v; want 3, nil", n, err)
	}
	if got, want := fmt.Sprint(tableKeys(t, db, table)), "[b:x00 b:x01]"; got != want {
		t.Fatalf("table holds %s, want %s", got, want)
	}
	if n, err := stores[""].DeleteExpired(context.Background()); err != nil || n != 2 {
		t.Fatalf("DeleteExpired without prefix = %d, %v; want 2, nil", n, err)
	}
}

func TestDeleteExpiredNeverRemovesSessionChangedAfterItWasRead(t *testing.T) {
	for _, tc := range []struct {
		name      string
		change    func(s *dynamostore.DynamoStore) error
		wantFound bool
	}{
		{"renewed", func(s *dynamostore.DynamoStore) error {
			return s.Commit("tok", []byte("renewed"), time.Now().Add(time.Hour))
		}, true},
		{"committed again, still expired", func(s *dynamostore.DynamoStore) error {
			return s.Commit("tok", []byte("again"), time.Now().Add(-time.Millisecond))
		}, false},
		{"deleted", func(s *dynamostore.DynamoStore) error { return s.Delete("tok") }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, c, db := newExpiredTestStore(t, 0, dynamostore.WithScanSegments(1))
			if err := s.Commit("tok", []byte("old"), time.Now().Add(-time.Minute)); err != nil {
				t.Fatal(err)
			}
			plain, err := dynamostore.NewStore(db, dynamostore.WithTable(s.TableName()))
			if err != nil {
				t.Fatal(err)
			}
			c.afterScan = func() {
				if err := tc.change(plain); err != nil {
					t.Error(err)
				}
			}
			n, err := s.DeleteExpired(context.Background())
			if err != nil || n != 0 {
				t.Fatalf("DeleteExpired = %d, %v; want 0, nil: the item changed after the Scan read it", n, err)
			}
			if _, found, err := plain.Find("tok"); err != nil || found != tc.wantFound {
				t.Errorf("Find after DeleteExpired = %v, %v; want %v, nil", found, err, tc.wantFound)
			}
			if tc.name == "committed again, still expired" {
				if keys := tableKeys(t, db, s.TableName()); len(keys) != 1 {
					t.Errorf("table holds %v, want the item committed after the Scan", keys)
				}
			}
		})
	}
}

func TestDeleteExpiredLeavesItemsWithoutNumericExpiry(t *testing.T) {
	s, _, db := newExpiredTestStore(t, 0)
	for _, item := range []map[string]*dynamodb.AttributeValue{
		{"token": {S: aws.String("no-expiry")}, "data": {B: []byte("x")}},
		{"token": {S: aws.String("string-expiry")}, "data": {B: []byte("x")}, "expiry": {S: aws.String("1")}},
		{"token": {S: aws.String("negative-expiry")}, "data": {B: []byte("x")}, "expiry": {N: aws.String("-5")}},
	} {
		if _, err := db.PutItem(&dynamodb.PutItemInput{TableName: aws.String(s.TableName()), Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.DeleteExpired(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("DeleteExpired = %d, %v; want 1 (the negative expiry), nil", n, err)
	}
	if got, want := fmt.Sprint(tableKeys(t, db, s.TableName())), "[no-expiry string-expiry]"; got != want {
		t.Errorf("table holds %s, want %s", got, want)
	}
}

func TestDeleteExpiredReturnsErrorsWrappedWithCountSoFar(t *testing.T) {
	t.Run("failing delete", func(t *testing.T) {
		s, c, _ := newExpiredTestStore(t, 0, dynamostore.WithScanSegments(1))
		commitAll(t, s, "dead", 3, time.Now().Add(-time.Second))
		boom := errors.New("boom")
		c.failDeleteErr, c.okDeletes = boom, 1
		n, err := s.DeleteExpired(context.Background())
		if !errors.Is(err, boom) || n != 1 {
			t.Fatalf("DeleteExpired = %d, %v; want 1 and an error wrapping boom", n, err)
		}
	})
	t.Run("cancelled context", func(t *testing.T) {
		s, _, _ := newExpiredTestStore(t, 0)
		commitAll(t, s, "dead", 2, time.Now().Add(-time.Second))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if n, err := s.DeleteExpired(ctx); !errors.Is(err, context.Canceled) || n != 0 {
			t.Fatalf("DeleteExpired = %d, %v; want 0 and an error wrapping context.Canceled", n, err)
		}
	})
	t.Run("misconfigured store", func(t *testing.T) {
		db := ddbtest.Client(t, nil, nil)
		s := dynamostore.NewWithOption(db, "x", "", "", "", "")
		if n, err := s.DeleteExpired(context.Background()); !errors.Is(err, dynamostore.ErrInvalidConfig) || n != 0 {
			t.Fatalf("DeleteExpired = %d, %v; want 0 and an error wrapping ErrInvalidConfig", n, err)
		}
	})
}
