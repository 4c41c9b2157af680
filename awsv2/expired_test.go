package awsv2_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/scs-stores/dynamostore/awsv2"
	"github.com/scs-stores/dynamostore/awsv2/internal/ddbtest2"
)

// expiredClient is a client of DynamoDB Local whose Scans return pages of
// at most pageSize items, that calls afterScan, when set, between a Scan and
// the requests that follow it, and that can fail DeleteItem.
type expiredClient struct {
	awsv2.Client
	pageSize  int32
	afterScan func()

	mu      sync.Mutex
	scans   int
	deletes int
	// failDelete, when set, fails every DeleteItem after the first okDeletes.
	failDelete error
	okDeletes  int
}

func (c *expiredClient) Scan(ctx context.Context, in *dynamodb.ScanInput, optFns ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	cp := *in
	if c.pageSize > 0 {
		cp.Limit = aws.Int32(c.pageSize)
	}
	out, err := c.Client.Scan(ctx, &cp, optFns...)
	c.mu.Lock()
	c.scans++
	hook := c.afterScan
	c.mu.Unlock()
	if hook != nil {
		hook()
	}
	return out, err
}

func (c *expiredClient) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	c.mu.Lock()
	c.deletes++
	fail := c.failDelete != nil && c.deletes > c.okDeletes
	c.mu.Unlock()
	if fail {
		return nil, c.failDelete
	}
	return c.Client.DeleteItem(ctx, in, optFns...)
}

// newExpiredStore returns a store on a fresh table through an
// expiredClient, and a plain client of the same server.
func newExpiredStore(t *testing.T, pageSize int32, opts ...awsv2.Option) (*awsv2.DynamoStore, *expiredClient, *dynamodb.Client) {
	t.Helper()
	db := ddbtest2.Client(t, nil)
	table := ddbtest2.NewTable(t, db, "token")
	c := &expiredClient{Client: db, pageSize: pageSize}
	s, err := awsv2.New(c, append([]awsv2.Option{awsv2.WithTable(table)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return s, c, db
}

// tableKeys returns every token key in table, sorted.
func tableKeys(t *testing.T, db *dynamodb.Client, table string) []string {
	t.Helper()
	var keys []string
	p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, item := range out.Items {
			if k, ok := item["token"].(*types.AttributeValueMemberS); ok {
				keys = append(keys, k.Value)
			}
		}
	}
	sort.Strings(keys)
	return keys
}

func commitAll(t *testing.T, s *awsv2.DynamoStore, prefix string, n int, expiry time.Time) []string {
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
		pageSize int32
	}{
		{"one segment, one page", 1, 0},
		{"one segment, pages of 2", 1, 2},
		{"four segments, pages of 3", 4, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, c, db := newExpiredStore(t, tc.pageSize, awsv2.WithScanSegments(tc.segments))
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
	db := ddbtest2.Client(t, nil)
	table := ddbtest2.NewTable(t, db, "token")
	stores := map[string]*awsv2.DynamoStore{}
	for _, prefix := range []string{"a:", "b:", ""} {
		s, err := awsv2.New(db, awsv2.WithTable(table), awsv2.WithTokenPrefix(prefix))
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
		change    func(s *awsv2.DynamoStore) error
		wantFound bool
		wantKeys  int
	}{
		{"renewed", func(s *awsv2.DynamoStore) error {
			return s.Commit("tok", []byte("renewed"), time.Now().Add(time.Hour))
		}, true, 1},
		{"committed again, still expired", func(s *awsv2.DynamoStore) error {
			return s.Commit("tok", []byte("again"), time.Now().Add(-time.Millisecond))
		}, false, 1},
		{"deleted", func(s *awsv2.DynamoStore) error { return s.Delete("tok") }, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, c, db := newExpiredStore(t, 0, awsv2.WithScanSegments(1))
			if err := s.Commit("tok", []byte("old"), time.Now().Add(-time.Minute)); err != nil {
				t.Fatal(err)
			}
			plain, err := awsv2.New(db, awsv2.WithTable(s.TableName()))
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
			if keys := tableKeys(t, db, s.TableName()); len(keys) != tc.wantKeys {
				t.Errorf("table holds %v, want %d items", keys, tc.wantKeys)
			}
		})
	}
}

func TestDeleteExpiredLeavesItemsWithoutNumericExpiry(t *testing.T) {
	s, _, db := newExpiredStore(t, 0)
	data := &types.AttributeValueMemberB{Value: []byte("x")}
	for _, item := range []map[string]types.AttributeValue{
		{"token": &types.AttributeValueMemberS{Value: "no-expiry"}, "data": data},
		{"token": &types.AttributeValueMemberS{Value: "string-expiry"}, "data": data, "expiry": &types.AttributeValueMemberS{Value: "1"}},
		{"token": &types.AttributeValueMemberS{Value: "negative-expiry"}, "data": data, "expiry": &types.AttributeValueMemberN{Value: "-5"}},
	} {
		putItem(t, db, s.TableName(), item)
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
		s, c, _ := newExpiredStore(t, 0, awsv2.WithScanSegments(1))
		commitAll(t, s, "dead", 3, time.Now().Add(-time.Second))
		boom := errors.New("boom")
		c.failDelete, c.okDeletes = boom, 1
		n, err := s.DeleteExpired(context.Background())
		if !errors.Is(err, boom) || n != 1 {
			t.Fatalf("DeleteExpired = %d, %v; want 1 and an error wrapping boom", n, err)
		}
	})
	t.Run("cancelled context", func(t *testing.T) {
		s, _, _ := newExpiredStore(t, 0)
		commitAll(t, s, "dead", 2, time.Now().Add(-time.Second))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if n, err := s.DeleteExpired(ctx); !errors.Is(err, context.Canceled) || n != 0 {
			t.Fatalf("DeleteExpired = %d, %v; want 0 and an error wrapping context.Canceled", n, err)
		}
	})
}
