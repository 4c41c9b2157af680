package awsv2_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/scs-stores/dynamostore/awsv2"
	"github.com/scs-stores/dynamostore/awsv2/internal/ddbtest2"
	"github.com/scs-stores/dynamostore/internal/core/sessionitem"
	"github.com/scs-stores/dynamostore/internal/core/testenv"
)

// newStore returns a store on a fresh table of DynamoDB Local with the
// default attribute names, and the client it uses.
func newStore(t *testing.T, opts ...awsv2.Option) (*awsv2.DynamoStore, *dynamodb.Client) {
	t.Helper()
	db := ddbtest2.Client(t, nil)
	table := ddbtest2.NewTable(t, db, "token")
	s, err := awsv2.New(db, append([]awsv2.Option{awsv2.WithTable(table)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return s, db
}

// getItem reads an item of table back with the bare SDK.
func getItem(t *testing.T, db *dynamodb.Client, table, keyName, key string) map[string]types.AttributeValue {
	t.Helper()
	out, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName:      aws.String(table),
		Key:            map[string]types.AttributeValue{keyName: &types.AttributeValueMemberS{Value: key}},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Item
}

// putItem writes a raw item with the bare SDK.
func putItem(t *testing.T, db *dynamodb.Client, table string, item map[string]types.AttributeValue) {
	t.Helper()
	if _, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
		t.Fatal(err)
	}
}

func TestNewRejectsInvalidConfig(t *testing.T) {
	db := dynamodb.New(dynamodb.Options{Region: "us-east-1"}) // sends nothing
	tests := []struct {
		name   string
		client awsv2.Client
		opts   []awsv2.Option
	}{
		{"nil client", nil, nil},
		{"short table name", db, []awsv2.Option{awsv2.WithTable("ab")}},
		{"table name with a space", db, []awsv2.Option{awsv2.WithTable("my table")}},
		{"duplicate attribute names", db, []awsv2.Option{awsv2.WithAttributes("k", "k", "", "")}},
		{"zero scan segments", db, []awsv2.Option{awsv2.WithScanSegments(0)}},
		{"too many scan segments", db, []awsv2.Option{awsv2.WithScanSegments(sessionitem.MaxScanSegments + 1)}},
		{"prefix of 2048 bytes", db, []awsv2.Option{awsv2.WithTokenPrefix(strings.Repeat("p", 2048))}},
		{"prefix not UTF-8", db, []awsv2.Option{awsv2.WithTokenPrefix("\xff")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := awsv2.New(tt.client, tt.opts...)
			if !errors.Is(err, awsv2.ErrInvalidConfig) || s != nil {
				t.Fatalf("New = %v, %v; want nil, ErrInvalidConfig", s, err)
			}
		})
	}
}

func TestNamesDefaultAndFollowOptions(t *testing.T) {
	db := dynamodb.New(dynamodb.Options{Region: "us-east-1"})
	s, err := awsv2.New(db)
	if err != nil {
		t.Fatal(err)
	}
	got := []string{s.TableName(), s.TokenName(), s.DataName(), s.ExpiryName(), s.TTLName()}
	if want := []string{"scs_session", "token", "data", "expiry", "ttl"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("default names = %q; want %q", got, want)
	}
	s, err = awsv2.New(db, awsv2.WithTable("sessions"), awsv2.WithAttributes("id", "", "exp", ""))
	if err != nil {
		t.Fatal(err)
	}
	got = []string{s.TableName(), s.TokenName(), s.DataName(), s.ExpiryName(), s.TTLName()}
	if want := []string{"sessions", "id", "data", "exp", "ttl"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("names = %q; want %q", got, want)
	}
}

func TestCommitFindDeleteRoundTrip(t *testing.T) {
	s, _ := newStore(t)
	tests := []struct {
		name, token string
		data, want  []byte
	}{
		{"text", "tok", []byte("hello"), []byte("hello")},
		{"binary", "bin", []byte{0, 1, 2, 255, 254}, []byte{0, 1, 2, 255, 254}},
		{"nil data is empty", "nil", nil, []byte{}},
		{"unicode token", "ключ-🔑", []byte("x"), []byte("x")},
		{"token of 2048 bytes", strings.Repeat("t", 2048), []byte("long"), []byte("long")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.Commit(tt.token, tt.data, time.Now().Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			got, found, err := s.Find(tt.token)
			if err != nil || !found || !bytes.Equal(got, tt.want) || got == nil {
				t.Fatalf("Find = %q, %v, %v; want %q, true, nil", got, found, err, tt.want)
			}
			if err := s.Delete(tt.token); err != nil {
				t.Fatal(err)
			}
			if got, found, err := s.Find(tt.token); err != nil || found || got != nil {
				t.Fatalf("Find after Delete = %q, %v, %v; want nil, false, nil", got, found, err)
			}
			if err := s.Delete(tt.token); err != nil {
				t.Fatalf("Delete of a missing session = %v; want nil", err)
			}
		})
	}
}

func TestCommitReplacesSession(t *testing.T) {
	s, _ := newStore(t)
	if err := s.Commit("tok", []byte("one"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit("tok", []byte("two"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, found, err := s.Find("tok"); err != nil || !found || string(got) != "two" {
		t.Fatalf("Find = %q, %v, %v; want two", got, found, err)
	}
}

func TestCommitWritesTheSharedItemFormat(t *testing.T) {
	s, db := newStore(t)
	expiry := time.Unix(2000000000, 123456789)
	if err := s.Commit("tok", []byte("d"), expiry); err != nil {
		t.Fatal(err)
	}
	item := getItem(t, db, s.TableName(), "token", "tok")
	if len(item) != 4 {
		t.Fatalf("item has %d attributes; want 4: %v", len(item), item)
	}
	if v, ok := item["data"].(*types.AttributeValueMemberB); !ok || string(v.Value) != "d" {
		t.Errorf("data = %#v; want B d", item["data"])
	}
	if v, ok := item["expiry"].(*types.AttributeValueMemberN); !ok || v.Value != "2000000000123456789" {
		t.Errorf("expiry = %#v; want N 2000000000123456789", item["expiry"])
	}
	if v, ok := item["ttl"].(*types.AttributeValueMemberN); !ok || v.Value != "2000000001" {
		t.Errorf("ttl = %#v; want N 2000000001", item["ttl"])
	}
}

func TestExpiredSessionIsNotFoundNorListed(t *testing.T) {
	s, db := newStore(t)
	if err := s.Commit("past", []byte("old"), time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit("soon", []byte("brief"), time.Now().Add(1500*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit("live", []byte("new"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, found, err := s.Find("past"); err != nil || found || got != nil {
		t.Fatalf("Find(past) = %q, %v, %v; want nil, false, nil", got, found, err)
	}
	if item := getItem(t, db, s.TableName(), "token", "past"); item == nil {
		t.Fatal("the expired item was deleted; it is left for Time To Live")
	}
	if _, found, err := s.Find("soon"); err != nil || !found {
		t.Fatalf("Find(soon) before its expiry = %v, %v; want found", found, err)
	}
	time.Sleep(1600 * time.Millisecond)
	if got, found, err := s.Find("soon"); err != nil || found || got != nil {
		t.Fatalf("Find(soon) after its expiry = %q, %v, %v; want nil, false, nil", got, found, err)
	}
	all, err := s.All()
	if err != nil || len(all) != 1 || string(all["live"]) != "new" {
		t.Fatalf("All = %q, %v; want only live", all, err)
	}
}

func TestInvalidTokensSendNoRequest(t *testing.T) {
	counter := &ddbtest2.Counter{}
	db := ddbtest2.Client(t, counter)
	table := ddbtest2.NewTable(t, db, "token")
	tests := []struct {
		name, prefix, token string
	}{
		{"empty", "", ""},
		{"not UTF-8", "", "abc\xff"},
		{"2049 bytes", "", strings.Repeat("t", 2049)},
		{"2048 bytes behind a prefix", "app:", strings.Repeat("t", 2048)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := awsv2.New(db, awsv2.WithTable(table), awsv2.WithTokenPrefix(tt.prefix))
			if err != nil {
				t.Fatal(err)
			}
			before := counter.Count()
			if got, found, err := s.Find(tt.token); err != nil || found || got != nil {
				t.Errorf("Find = %q, %v, %v; want nil, false, nil", got, found, err)
			}
			if err := s.Commit(tt.token, []byte("x"), time.Now().Add(time.Hour)); !errors.Is(err, awsv2.ErrInvalidToken) {
				t.Errorf("Commit = %v; want ErrInvalidToken", err)
			} else if strings.Contains(err.Error(), tt.token) && tt.token != "" {
				t.Errorf("Commit's error holds the token: %v", err)
			}
			if err := s.Delete(tt.token); err != nil {
				t.Errorf("Delete = %v; want nil", err)
			}
			if n := counter.Count() - before; n != 0 {
				t.Errorf("sent %d requests; want 0", n)
			}
		})
	}
}

func TestCommitOfTooLargeItemSendsNoRequest(t *testing.T) {
	counter := &ddbtest2.Counter{}
	db := ddbtest2.Client(t, counter)
	table := ddbtest2.NewTable(t, db, "token")
	s, err := awsv2.New(db, awsv2.WithTable(table))
	if err != nil {
		t.Fatal(err)
	}
	expiry := time.Now().Add(time.Hour)
	expiryN, ttlN := sessionitem.EncodeExpiry(expiry)
	fits := sessionitem.MaxItemBytes - sessionitem.ItemSize(sessionitem.DefaultConfig().Names, len("tok"), 0, expiryN, ttlN)

	before := counter.Count()
	err = s.Commit("tok", make([]byte, fits+1), expiry)
	if !errors.Is(err, awsv2.ErrItemTooLarge) {
		t.Fatalf("Commit of one byte too many = %v; want ErrItemTooLarge", err)
	}
	if n := counter.Count() - before; n != 0 {
		t.Fatalf("sent %d requests; want 0", n)
	}
	want := bytes.Repeat([]byte{7}, fits)
	if err := s.Commit("tok", want, expiry); err != nil {
		t.Fatalf("Commit of an item of exactly 400 KB = %v; want nil", err)
	}
	if got, found, err := s.Find("tok"); err != nil || !found || !bytes.Equal(got, want) {
		t.Fatalf("Find of the largest item = %d bytes, %v, %v", len(got), found, err)
	}
}

func TestPing(t *testing.T) {
	db := ddbtest2.Client(t, nil)
	good := ddbtest2.NewTable(t, db, "token")
	otherKey := ddbtest2.NewTable(t, db, "id")
	numberKey := testenv.TableName(t)
	createTable(t, db, numberKey, []types.AttributeDefinition{{AttributeName: aws.String("token"), AttributeType: types.ScalarAttributeTypeN}},
		[]types.KeySchemaElement{{AttributeName: aws.String("token"), KeyType: types.KeyTypeHash}})
	sortKey := testenv.TableName(t)
	createTable(t, db, sortKey, []types.AttributeDefinition{
		{AttributeName: aws.String("token"), AttributeType: types.ScalarAttributeTypeS},
		{AttributeName: aws.String("at"), AttributeType: types.ScalarAttributeTypeN},
	}, []types.KeySchemaElement{
		{AttributeName: aws.String("token"), KeyType: types.KeyTypeHash},
		{AttributeName: aws.String("at"), KeyType: types.KeyTypeRange},
	})

	tests := []struct {
		name, table string
		check       func(error) bool
	}{
		{"ready table", good, func(err error) bool { return err == nil }},
		{"missing table", "no_such_table", func(err error) bool {
			var rnf *types.ResourceNotFoundException
			var api smithy.APIError
			return errors.As(err, &rnf) && errors.As(err, &api) && api.ErrorCode() == "ResourceNotFoundException"
		}},
		{"other hash key", otherKey, func(err error) bool { return errors.Is(err, awsv2.ErrTableNotReady) }},
		{"number hash key", numberKey, func(err error) bool { return errors.Is(err, awsv2.ErrTableNotReady) }},
		{"sort key", sortKey, func(err error) bool { return errors.Is(err, awsv2.ErrTableNotReady) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := awsv2.New(db, awsv2.WithTable(tt.table))
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Ping(); !tt.check(err) {
				t.Fatalf("Ping = %v", err)
			}
		})
	}
}

// statusClient reports every table as having the given status.
type statusClient struct {
	awsv2.Client
	status types.TableStatus
}

func (c statusClient) DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error) {
	out, err := c.Client.DescribeTable(ctx, in, optFns...)
	if err == nil && out.Table != nil {
		out.Table.TableStatus = c.status
	}
	return out, err
}

func TestPingByTableStatus(t *testing.T) {
	db := ddbtest2.Client(t, nil)
	table := ddbtest2.NewTable(t, db, "token")
	tests := []struct {
		status types.TableStatus
		ready  bool
	}{
		{types.TableStatusActive, true},
		{types.TableStatusUpdating, true},
		{types.TableStatusCreating, false},
		{types.TableStatusDeleting, false},
		{types.TableStatusArchived, false},
	}
	for _, tt := range tests {
		t.Run(string(tt.status), func(t *testing.T) {
			s, err := awsv2.New(statusClient{db, tt.status}, awsv2.WithTable(table))
			if err != nil {
				t.Fatal(err)
			}
			err = s.Ping()
			if tt.ready && err != nil || !tt.ready && !errors.Is(err, awsv2.ErrTableNotReady) {
				t.Fatalf("Ping = %v; want ready = %v", err, tt.ready)
			}
		})
	}
}

func createTable(t *testing.T, db *dynamodb.Client, name string, attrs []types.AttributeDefinition, keys []types.KeySchemaElement) {
	t.Helper()
	_, err := db.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName: aws.String(name), BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: attrs, KeySchema: keys,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = db.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	})
}

func TestAllReadsEveryPageOfEverySegment(t *testing.T) {
	counter := &ddbtest2.Counter{}
	db := ddbtest2.Client(t, counter)
	table := ddbtest2.NewTable(t, db, "token")
	// 12 items of 350 KB are 4.2 MB: over four 1 MB scan pages, so at least
	// one of three segments reads more than one page.
	want := map[string][]byte{}
	w, err := awsv2.New(db, awsv2.WithTable(table))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 12 {
		tok := fmt.Sprintf("tok%02d", i)
		want[tok] = bytes.Repeat([]byte{byte(i)}, 350*1024)
		if err := w.Commit(tok, want[tok], time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	for _, segments := range []int{1, 3} {
		t.Run(fmt.Sprintf("%d segments", segments), func(t *testing.T) {
			s, err := awsv2.New(db, awsv2.WithTable(table), awsv2.WithScanSegments(segments))
			if err != nil {
				t.Fatal(err)
			}
			before := counter.Count()
			got, err := s.All()
			if err != nil {
				t.Fatal(err)
			}
			if n := counter.Count() - before; n <= int64(segments) {
				t.Errorf("All sent %d Scan requests for %d segments; want more, since 4.2 MB takes several pages", n, segments)
			}
			if len(got) != len(want) {
				t.Fatalf("All found %d sessions; want %d", len(got), len(want))
			}
			for tok, data := range want {
				if !bytes.Equal(got[tok], data) {
					t.Errorf("All[%s] differs", tok)
				}
			}
		})
	}
}

func TestAllOfEmptyTableIsEmptyMap(t *testing.T) {
	s, _ := newStore(t)
	all, err := s.All()
	if err != nil || all == nil || len(all) != 0 {
		t.Fatalf("All = %#v, %v; want empty non-nil map", all, err)
	}
}

func TestTokenPrefixesShareOneTable(t *testing.T) {
	db := ddbtest2.Client(t, nil)
	table := ddbtest2.NewTable(t, db, "token")
	stores := map[string]*awsv2.DynamoStore{}
	for _, prefix := range []string{"", "a:", "b:"} {
		s, err := awsv2.New(db, awsv2.WithTable(table), awsv2.WithTokenPrefix(prefix))
		if err != nil {
			t.Fatal(err)
		}
		stores[prefix] = s
	}
	for prefix, s := range stores {
		if err := s.Commit("tok", []byte("from "+prefix), time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if item := getItem(t, db, table, "token", "a:tok"); item == nil {
		t.Fatal(`the prefixed store did not write the key "a:tok"`)
	}
	for prefix, s := range stores {
		got, found, err := s.Find("tok")
		if err != nil || !found || string(got) != "from "+prefix {
			t.Errorf("store %q: Find = %q, %v, %v", prefix, got, found, err)
		}
	}
	tests := []struct {
		prefix string
		want   map[string]string
	}{
		{"a:", map[string]string{"tok": "from a:"}},
		{"b:", map[string]string{"tok": "from b:"}},
		{"", map[string]string{"tok": "from ", "a:tok": "from a:", "b:tok": "from b:"}},
	}
	for _, tt := range tests {
		all, err := stores[tt.prefix].All()
		if err != nil || fmt.Sprintf("%s", all) != fmt.Sprint(tt.want) {
			t.Errorf("store %q: All = %s, %v; want %v", tt.prefix, all, err, tt.want)
		}
	}
	if err := stores["a:"].Delete("tok"); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := stores["b:"].Find("tok"); !found {
		t.Error(`deleting "tok" under "a:" removed it under "b:"`)
	}
}

func TestReservedWordAndOddAttributeNames(t *testing.T) {
	db := ddbtest2.Client(t, nil)
	table := ddbtest2.NewTable(t, db, "name")
	// "name", "values", "date" are DynamoDB reserved words; a dot or a space
	// would split a bare expression.
	s, err := awsv2.New(db, awsv2.WithTable(table), awsv2.WithAttributes("name", "values", "date.time", "ttl at"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit("tok", []byte("v"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit("old", []byte("o"), time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	item := getItem(t, db, table, "name", "tok")
	for _, attr := range []string{"name", "values", "date.time", "ttl at"} {
		if item[attr] == nil {
			t.Errorf("item lacks attribute %q: %v", attr, item)
		}
	}
	if got, found, err := s.Find("tok"); err != nil || !found || string(got) != "v" {
		t.Fatalf("Find = %q, %v, %v", got, found, err)
	}
	if all, err := s.All(); err != nil || len(all) != 1 || string(all["tok"]) != "v" {
		t.Fatalf("All = %q, %v", all, err)
	}
	if err := s.Delete("tok"); err != nil {
		t.Fatal(err)
	}
}

func TestMalformedItemIsAnError(t *testing.T) {
	future := fmt.Sprint(time.Now().Add(time.Hour).UnixNano())
	tests := []struct {
		name string
		item map[string]types.AttributeValue
		all  bool // whether All sees the item as malformed too
	}{
		{"expiry missing", map[string]types.AttributeValue{
			"data": &types.AttributeValueMemberB{Value: []byte("d")},
		}, false},
		{"expiry a string", map[string]types.AttributeValue{
			"data": &types.AttributeValueMemberB{Value: []byte("d")}, "expiry": &types.AttributeValueMemberS{Value: future},
		}, false},
		{"data missing", map[string]types.AttributeValue{
			"expiry": &types.AttributeValueMemberN{Value: future},
		}, true},
		{"data a string", map[string]types.AttributeValue{
			"data": &types.AttributeValueMemberS{Value: "d"}, "expiry": &types.AttributeValueMemberN{Value: future},
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, db := newStore(t)
			tt.item["token"] = &types.AttributeValueMemberS{Value: "tok"}
			putItem(t, db, s.TableName(), tt.item)
			if got, found, err := s.Find("tok"); !errors.Is(err, awsv2.ErrMalformedItem) || found || got != nil {
				t.Errorf("Find = %q, %v, %v; want ErrMalformedItem", got, found, err)
			} else if strings.Contains(err.Error(), "tok\"") {
				t.Errorf("error names the token: %v", err)
			}
			all, err := s.All()
			if tt.all && (!errors.Is(err, awsv2.ErrMalformedItem) || all != nil) {
				t.Errorf("All = %v, %v; want ErrMalformedItem", all, err)
			}
			if !tt.all && (err != nil || len(all) != 0) {
				t.Errorf("All = %v, %v; want no sessions (the filter drops items with no numeric expiry)", all, err)
			}
		})
	}
}

func TestCancelledContextErrorsMatch(t *testing.T) {
	s, _ := newStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	expiry := time.Now().Add(time.Hour)
	calls := map[string]func() error{
		"FindCtx":   func() error { _, _, err := s.FindCtx(ctx, "tok"); return err },
		"CommitCtx": func() error { return s.CommitCtx(ctx, "tok", []byte("x"), expiry) },
		"DeleteCtx": func() error { return s.DeleteCtx(ctx, "tok") },
		"AllCtx":    func() error { _, err := s.AllCtx(ctx); return err },
		"PingCtx":   func() error { return s.PingCtx(ctx) },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, context.Canceled) {
			t.Errorf("%s = %v; want an error matching context.Canceled", name, err)
		}
	}
	ctx, cancel = context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	if _, _, err := s.FindCtx(ctx, "tok"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("FindCtx past its deadline = %v; want context.DeadlineExceeded", err)
	}
}
