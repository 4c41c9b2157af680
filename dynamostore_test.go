package dynamostore_test

//lint:file-ignore SA1019 aws-sdk-go v1 is what the store under test is built on.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/awserr"
	"github.com/aws/aws-sdk-go/service/dynamodb"

	"github.com/scs-stores/dynamostore"
	"github.com/scs-stores/dynamostore/internal/ddbtest"
	"github.com/scs-stores/dynamostore/internal/core/sessionitem"
	"github.com/scs-stores/dynamostore/internal/core/testenv"
)

// newStore returns a store on a fresh table of DynamoDB Local with the
// default attribute names.
func newStore(t *testing.T, opts ...dynamostore.Option) *dynamostore.DynamoStore {
	t.Helper()
	db := ddbtest.Client(t, nil, nil)
	table := ddbtest.NewTable(t, db, "token")
	s, err := dynamostore.NewStore(db, append([]dynamostore.Option{dynamostore.WithTable(table)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// bodyRecorder is an http.RoundTripper that records the operation and the
// JSON body of every request, then sends it on with http.DefaultTransport.
type bodyRecorder struct {
	mu   sync.Mutex
	reqs []recordedRequest
}

type recordedRequest struct {
	Op   string         // GetItem, PutItem, ...
	Body map[string]any // the request's JSON
}

func (r *bodyRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
	}
	_, op, _ := strings.Cut(req.Header.Get("X-Amz-Target"), ".")
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("request body is not JSON: %w", err)
	}
	r.mu.Lock()
	r.reqs = append(r.reqs, recordedRequest{Op: op, Body: m})
	r.mu.Unlock()
	out := req.Clone(req.Context())
	out.Body = io.NopCloser(bytes.NewReader(body))
	out.ContentLength = int64(len(body))
	return http.DefaultTransport.RoundTrip(out)
}

// requests returns the requests recorded so far.
func (r *bodyRecorder) requests() []recordedRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recordedRequest(nil), r.reqs...)
}

// fixture is a store whose requests are recorded, on a fresh table, and an
// unrecorded client of the same server for setting up and checking items.
type fixture struct {
	store *dynamostore.DynamoStore
	db    *dynamodb.DynamoDB // the store's client
	raw   *dynamodb.DynamoDB
	rec   *bodyRecorder
	table string
}

// newFixture returns a fixture whose table is keyed by the default token
// attribute.
func newFixture(t *testing.T, opts ...dynamostore.Option) fixture {
	t.Helper()
	f := fixture{rec: &bodyRecorder{}}
	f.raw = ddbtest.Client(t, nil, nil)
	f.db = ddbtest.Client(t, f.rec, nil)
	f.table = ddbtest.NewTable(t, f.raw, "token")
	s, err := dynamostore.NewStore(f.db, append([]dynamostore.Option{dynamostore.WithTable(f.table)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	f.store = s
	return f
}

// get reads an item straight from the table, strongly consistent; nil when
// there is none.
func (f fixture) get(t *testing.T, tokenAttr, key string) map[string]*dynamodb.AttributeValue {
	t.Helper()
	out, err := f.raw.GetItem(&dynamodb.GetItemInput{
		TableName:      aws.String(f.table),
		Key:            map[string]*dynamodb.AttributeValue{tokenAttr: {S: aws.String(key)}},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		t.Fatalf("raw GetItem: %v", err)
	}
	return out.Item
}

// put writes an item straight to the table.
func (f fixture) put(t *testing.T, item map[string]*dynamodb.AttributeValue) {
	t.Helper()
	if _, err := f.raw.PutItem(&dynamodb.PutItemInput{TableName: aws.String(f.table), Item: item}); err != nil {
		t.Fatalf("raw PutItem: %v", err)
	}
}

var (
	hourAhead = func() time.Time { return time.Now().Add(time.Hour) }
	hourAgo   = func() time.Time { return time.Now().Add(-time.Hour) }
)

func mustFind(t *testing.T, s *dynamostore.DynamoStore, token string, want []byte) {
	t.Helper()
	got, found, err := s.Find(token)
	if err != nil || !found || !bytes.Equal(got, want) {
		t.Fatalf("Find(%.20q) = %.40q, %v, %v; want %.40q, true, nil", token, got, found, err, want)
	}
}

func mustNotFind(t *testing.T, s *dynamostore.DynamoStore, token string) {
	t.Helper()
	got, found, err := s.Find(token)
	if err != nil || found || got != nil {
		t.Fatalf("Find(%.20q) = %.40q, %v, %v; want nil, false, nil", token, got, found, err)
	}
}

func TestCommitThenFindReturnsData(t *testing.T) {
	s := newStore(t)
	want := []byte("hello")
	if err := s.Commit("tok", want, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	got, found, err := s.Find("tok")
	if err != nil || !found || !bytes.Equal(got, want) {
		t.Fatalf("Find = %q, %v, %v; want %q, true, nil", got, found, err, want)
	}
	all, err := s.All()
	if err != nil || len(all) != 1 || !bytes.Equal(all["tok"], want) {
		t.Fatalf("All = %v, %v", all, err)
	}
	if err := s.Ping(); err != nil {
		t.Fatal(err)
	}
}

func TestNewHasTheSeedDefaultNames(t *testing.T) {
	s := dynamostore.New(&dynamodb.DynamoDB{})
	got := [5]string{s.TableName(), s.TokenName(), s.DataName(), s.ExpiryName(), s.TTLName()}
	if want := [5]string{"scs_session", "token", "data", "expiry", "ttl"}; got != want {
		t.Errorf("names = %q, want %q", got, want)
	}
	s = dynamostore.NewWithOption(&dynamodb.DynamoDB{}, "", "", "", "", "")
	got = [5]string{s.TableName(), s.TokenName(), s.DataName(), s.ExpiryName(), s.TTLName()}
	if want := [5]string{"scs_session", "token", "data", "expiry", "ttl"}; got != want {
		t.Errorf("NewWithOption with empty names: names = %q, want %q", got, want)
	}
	s = dynamostore.NewWithOption(&dynamodb.DynamoDB{}, "sessions", "key", "name", "a.b", "my data")
	got = [5]string{s.TableName(), s.TokenName(), s.DataName(), s.ExpiryName(), s.TTLName()}
	if want := [5]string{"sessions", "key", "name", "a.b", "my data"}; got != want {
		t.Errorf("NewWithOption: names = %q, want %q", got, want)
	}
}

func TestNewSendsRequestsToTheDefaultTableAndAttribute(t *testing.T) {
	rec := &bodyRecorder{}
	s := dynamostore.New(ddbtest.Client(t, rec, nil))
	_, _, _ = s.Find("tok") // the table need not exist: only the request matters
	reqs := rec.requests()
	if len(reqs) == 0 || reqs[0].Op != "GetItem" {
		t.Fatalf("requests = %v, want a GetItem", reqs)
	}
	body := reqs[0].Body
	key, _ := body["Key"].(map[string]any)
	if body["TableName"] != "scs_session" || key["token"] == nil {
		t.Errorf("GetItem = %v, want table scs_session keyed by token", body)
	}
}

func TestNewWithNilClientOrBadNameFailsEveryCallWithoutPanicking(t *testing.T) {
	rec := &bodyRecorder{}
	stores := map[string]*dynamostore.DynamoStore{
		"New(nil)":                      dynamostore.New(nil),
		"NewWithOption(nil)":            dynamostore.NewWithOption(nil, "", "", "", "", ""),
		"table name too short":          dynamostore.NewWithOption(ddbtest.Client(t, rec, nil), "ab", "", "", "", ""),
		"table name with a space":       dynamostore.NewWithOption(ddbtest.Client(t, rec, nil), "my table", "", "", "", ""),
		"token and data with one name":  dynamostore.NewWithOption(ddbtest.Client(t, rec, nil), "", "k", "k", "", ""),
		"token name longer than 255 B":  dynamostore.NewWithOption(ddbtest.Client(t, rec, nil), "", strings.Repeat("k", 256), "", "", ""),
		"expiry name not valid UTF-8":   dynamostore.NewWithOption(ddbtest.Client(t, rec, nil), "", "", "", "e\xff", ""),
		"ttl name same as expiry's one": dynamostore.NewWithOption(ddbtest.Client(t, rec, nil), "", "", "", "x", "x"),
	}
	for name, s := range stores {
		t.Run(name, func(t *testing.T) {
			check := func(op string, err error) {
				if !errors.Is(err, dynamostore.ErrInvalidConfig) {
					t.Errorf("%s = %v, want ErrInvalidConfig", op, err)
				}
			}
			_, _, err := s.Find("tok")
			check("Find", err)
			check("Commit", s.Commit("tok", []byte("x"), hourAhead()))
			check("Save", s.Save("tok", []byte("x"), hourAhead()))
			check("Delete", s.Delete("tok"))
			_, err = s.All()
			check("All", err)
			check("Ping", s.Ping())
		})
	}
	if n := len(rec.requests()); n != 0 {
		t.Errorf("%d requests sent by misconfigured stores, want 0", n)
	}
}

func TestNewWithOptionCustomNamesRoundTrip(t *testing.T) {
	tests := []struct{ token, data, expiry, ttl string }{
		{"key", "name", "a.b", "my data"},
		{"my data", "a.b", "name", "key"},
		{"a.b", "my data", "key", "name"},
		{"#t", ":now", "#e", "x y.z"}, // names that look like the placeholders
	}
	for _, n := range tests {
		t.Run(fmt.Sprintf("%q", [4]string{n.token, n.data, n.expiry, n.ttl}), func(t *testing.T) {
			raw := ddbtest.Client(t, nil, nil)
			table := ddbtest.NewTable(t, raw, n.token)
			f := fixture{raw: raw, table: table}
			s := dynamostore.NewWithOption(raw, table, n.token, n.data, n.expiry, n.ttl)
			expiry := time.Unix(4102444800, 5) // 2100
			if err := s.Commit("tok1", []byte("one"), expiry); err != nil {
				t.Fatal(err)
			}
			if err := s.Commit("tok2", []byte("two"), expiry); err != nil {
				t.Fatal(err)
			}
			if err := s.Commit("gone", []byte("old"), hourAgo()); err != nil {
				t.Fatal(err)
			}
			mustFind(t, s, "tok1", []byte("one"))
			mustNotFind(t, s, "gone")

			item := f.get(t, n.token, "tok1")
			if len(item) != 4 || aws.StringValue(item[n.token].S) != "tok1" || string(item[n.data].B) != "one" ||
				aws.StringValue(item[n.expiry].N) != "4102444800000000005" || aws.StringValue(item[n.ttl].N) != "4102444801" {
				t.Errorf("stored item = %v", item)
			}

			all, err := s.All()
			if err != nil || len(all) != 2 || string(all["tok1"]) != "one" || string(all["tok2"]) != "two" {
				t.Fatalf("All = %q, %v; want tok1 and tok2", all, err)
			}
			if err := s.Delete("tok1"); err != nil {
				t.Fatal(err)
			}
			if item := f.get(t, n.token, "tok1"); item != nil {
				t.Errorf("item after Delete = %v", item)
			}
			if err := s.Ping(); err != nil {
				t.Errorf("Ping = %v", err)
			}
		})
	}
}

// TestReadsAreStronglyConsistent checks the requests: DynamoDB Local is
// always consistent, so only the request shows the difference.
func TestReadsAreStronglyConsistent(t *testing.T) {
	f := newFixture(t)
	if err := f.store.Commit("tok", []byte("x"), hourAhead()); err != nil {
		t.Fatal(err)
	}
	mustFind(t, f.store, "tok", []byte("x"))
	if _, err := f.store.All(); err != nil {
		t.Fatal(err)
	}
	var gets, scans int
	for _, r := range f.rec.requests() {
		switch r.Op {
		case "GetItem":
			gets++
		case "Scan":
			scans++
		default:
			continue
		}
		if r.Body["ConsistentRead"] != true {
			t.Errorf("%s request without ConsistentRead: %v", r.Op, r.Body)
		}
	}
	if gets != 1 || scans == 0 {
		t.Errorf("saw %d GetItem and %d Scan requests, want 1 and some", gets, scans)
	}

	f = newFixture(t, dynamostore.WithConsistentRead(false))
	_, _, _ = f.store.Find("tok")
	if reqs := f.rec.requests(); len(reqs) != 1 || reqs[0].Body["ConsistentRead"] == true {
		t.Errorf("with WithConsistentRead(false): requests = %v", reqs)
	}
}

func TestFindMissingOrExpiredIsNotFound(t *testing.T) {
	f := newFixture(t)
	mustNotFind(t, f.store, "never-written")
	if err := f.store.Commit("expired", []byte("x"), hourAgo()); err != nil {
		t.Fatal(err)
	}
	mustNotFind(t, f.store, "expired")
	if err := f.store.Commit("deleted", []byte("x"), hourAhead()); err != nil {
		t.Fatal(err)
	}
	if err := f.store.Delete("deleted"); err != nil {
		t.Fatal(err)
	}
	mustNotFind(t, f.store, "deleted")
}

func TestFindLeavesAnExpiredItemForTTL(t *testing.T) {
	f := newFixture(t)
	if err := f.store.Commit("expired", []byte("x"), hourAgo()); err != nil {
		t.Fatal(err)
	}
	mustNotFind(t, f.store, "expired")
	if item := f.get(t, "token", "expired"); item == nil {
		t.Fatal("Find deleted the expired item; it must leave it for TTL")
	}
	for _, r := range f.rec.requests() {
		if r.Op != "PutItem" && r.Op != "GetItem" {
			t.Errorf("unexpected %s request", r.Op)
		}
	}
}

func TestFindOfAMalformedItemNamesTableAndAttributeNotToken(t *testing.T) {
	const token = "tok-SECRET-4f9a"
	future := strconv.FormatInt(hourAhead().UnixNano(), 10)
	tests := []struct {
		name string
		item map[string]*dynamodb.AttributeValue
		attr string
	}{
		{"expiry missing", map[string]*dynamodb.AttributeValue{
			"data": {B: []byte("x")},
		}, "expiry"},
		{"expiry a string", map[string]*dynamodb.AttributeValue{
			"data": {B: []byte("x")}, "expiry": {S: aws.String(future)},
		}, "expiry"},
		{"expiry binary", map[string]*dynamodb.AttributeValue{
			"data": {B: []byte("x")}, "expiry": {B: []byte(future)},
		}, "expiry"},
		{"expiry a list", map[string]*dynamodb.AttributeValue{
			"data": {B: []byte("x")}, "expiry": {L: []*dynamodb.AttributeValue{{N: aws.String(future)}}},
		}, "expiry"},
		{"data missing", map[string]*dynamodb.AttributeValue{
			"expiry": {N: aws.String(future)},
		}, "data"},
		{"data a string", map[string]*dynamodb.AttributeValue{
			"data": {S: aws.String("x")}, "expiry": {N: aws.String(future)},
		}, "data"},
	}
	f := newFixture(t)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token := fmt.Sprintf("%s-%d", token, i)
			tt.item["token"] = &dynamodb.AttributeValue{S: aws.String(token)}
			f.put(t, tt.item)
			got, found, err := f.store.Find(token)
			if !errors.Is(err, dynamostore.ErrMalformedItem) || found || got != nil {
				t.Fatalf("Find = %q, %v, %v; want nil, false, ErrMalformedItem", got, found, err)
			}
			msg := err.Error()
			if !strings.Contains(msg, strconv.Quote(f.table)) || !strings.Contains(msg, strconv.Quote(tt.attr)) {
				t.Errorf("error %q does not name table %q and attribute %q", msg, f.table, tt.attr)
			}
			if strings.Contains(msg, "SECRET") {
				t.Errorf("error %q contains the token", msg)
			}
		})
	}
}

func TestInvalidTokensSendNoRequest(t *testing.T) {
	tests := map[string]string{
		"empty":         "",
		"2049 bytes":    strings.Repeat("a", 2049),
		"invalid UTF-8": "tok\xff\xfe",
		"truncated":     "tok\xe2\x82",
	}
	for name, token := range tests {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			got, found, err := f.store.Find(token)
			if err != nil || found || got != nil {
				t.Errorf("Find = %q, %v, %v; want nil, false, nil", got, found, err)
			}
			got, found, err = f.store.FindCtx(context.Background(), token)
			if err != nil || found || got != nil {
				t.Errorf("FindCtx = %q, %v, %v; want nil, false, nil", got, found, err)
			}
			if err := f.store.Delete(token); err != nil {
				t.Errorf("Delete = %v, want nil", err)
			}
			for op, err := range map[string]error{
				"Commit":    f.store.Commit(token, []byte("x"), hourAhead()),
				"Save":      f.store.Save(token, []byte("x"), hourAhead()),
				"CommitCtx": f.store.CommitCtx(context.Background(), token, []byte("x"), hourAhead()),
			} {
				if !errors.Is(err, dynamostore.ErrInvalidToken) {
					t.Errorf("%s = %v, want ErrInvalidToken", op, err)
				} else if token != "" && strings.Contains(err.Error(), token) {
					t.Errorf("%s error contains the token", op)
				}
			}
			if reqs := f.rec.requests(); len(reqs) != 0 {
				t.Errorf("%d requests sent, want 0: %v", len(reqs), reqs)
			}
		})
	}
}

func TestTokenOfExactly2048BytesIsStored(t *testing.T) {
	f := newFixture(t)
	token := strings.Repeat("é", 1024) // 2048 bytes of UTF-8
	if err := f.store.Commit(token, []byte("x"), hourAhead()); err != nil {
		t.Fatal(err)
	}
	mustFind(t, f.store, token, []byte("x"))
	all, err := f.store.All()
	if err != nil || string(all[token]) != "x" {
		t.Fatalf("All = %d sessions, %v", len(all), err)
	}
}

func TestCommitNilDataStoresEmptyBinary(t *testing.T) {
	f := newFixture(t)
	if err := f.store.Commit("nil", nil, hourAhead()); err != nil {
		t.Fatal(err)
	}
	item := f.get(t, "token", "nil")
	if d := item["data"]; d == nil || d.B == nil || len(d.B) != 0 {
		t.Fatalf("stored data = %v, want empty binary", d)
	}
	got, found, err := f.store.Find("nil")
	if err != nil || !found || len(got) != 0 {
		t.Fatalf("Find = %q, %v, %v; want empty data, true, nil", got, found, err)
	}
	all, err := f.store.All()
	if d, ok := all["nil"]; err != nil || !ok || len(d) != 0 {
		t.Fatalf("All = %q, %v; want the session with empty data", all, err)
	}
}

func TestCommitOfAnItemOver400KBSendsNoRequest(t *testing.T) {
	f := newFixture(t)
	for _, size := range []int{400 * 1024, 401 * 1024, 4 << 20} {
		err := f.store.Commit("big", make([]byte, size), hourAhead())
		if !errors.Is(err, dynamostore.ErrItemTooLarge) {
			t.Errorf("Commit of %d bytes = %v, want ErrItemTooLarge", size, err)
		}
	}
	if reqs := f.rec.requests(); len(reqs) != 0 {
		t.Errorf("%d requests sent, want 0", len(reqs))
	}
}

// TestItemSizeLimitAgreesWithDynamoDB checks our accounting against the
// server's: the largest item we compute as allowed is accepted, and one
// byte more, which we refuse, DynamoDB refuses too.
func TestItemSizeLimitAgreesWithDynamoDB(t *testing.T) {
	tests := []struct {
		name, key string
		expiry    time.Time
	}{
		{"long expiry number", "size-token", time.Unix(4102444800, 123456789)}, // 19 significant digits
		{"short expiry number", "size-token", time.Unix(4102444800, 0)},        // 4|10|24|44|80|00...
		{"negative expiry", "size-token", time.Unix(-4102444800, -123456789)},
		{"multi-byte token", "размер-токена-€", time.Unix(4102444800, 123456789)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			n := sessionitem.Names{Table: f.table, Token: "token", Data: "data", Expiry: "expiry", TTL: "ttl"}
			expiryN, ttlN := sessionitem.EncodeExpiry(tt.expiry)
			fits := sessionitem.MaxItemBytes - sessionitem.ItemSize(n, len(tt.key), 0, expiryN, ttlN)

			if err := f.store.Commit(tt.key, make([]byte, fits), tt.expiry); err != nil {
				t.Fatalf("Commit of an item of exactly %d bytes = %v", sessionitem.MaxItemBytes, err)
			}
			item := f.get(t, "token", tt.key)
			if item == nil || len(item["data"].B) != fits {
				t.Fatalf("the %d-byte item was not stored", sessionitem.MaxItemBytes)
			}

			before := len(f.rec.requests())
			err := f.store.Commit(tt.key, make([]byte, fits+1), tt.expiry)
			if !errors.Is(err, dynamostore.ErrItemTooLarge) {
				t.Fatalf("Commit of %d bytes = %v, want ErrItemTooLarge", sessionitem.MaxItemBytes+1, err)
			}
			if after := len(f.rec.requests()); after != before {
				t.Errorf("the refused Commit sent %d requests", after-before)
			}

			item["data"] = &dynamodb.AttributeValue{B: make([]byte, fits+1)}
			_, err = f.raw.PutItem(&dynamodb.PutItemInput{TableName: aws.String(f.table), Item: item})
			var aerr awserr.Error
			if !errors.As(err, &aerr) || aerr.Code() != "ValidationException" {
				t.Fatalf("raw PutItem of our %d-byte item = %v, want DynamoDB to refuse it", sessionitem.MaxItemBytes+1, err)
			}
		})
	}
}

// TestNumberSizeAgreesWithDynamoDB checks sessionitem.NumberSize against
// the server: an item with the number and data filling it to exactly the
// limit, by our count, is accepted, and one byte more is refused.
func TestNumberSizeAgreesWithDynamoDB(t *testing.T) {
	f := newFixture(t)
	numbers := []string{
		"0", "1", "12", "99", "123", "100", "1000", "1001", "10001", "-1", "-100", "-123",
		"0.5", "0.05", "1.25", "120.5", "12345.6789", "0.000123", "-0.5", "1e5", "1E-5", "123e10",
		"1700000000000000000", "1700000000999999999", "4102444800000000000", "4102444801",
		strconv.FormatInt(math.MaxInt64, 10), strconv.FormatInt(math.MinInt64, 10),
		"99999999999999999999999999999999999999", "-0.00000000000000000000000000000000000001",
	}
	put := func(n string, data int) error {
		_, err := f.raw.PutItem(&dynamodb.PutItemInput{TableName: aws.String(f.table), Item: map[string]*dynamodb.AttributeValue{
			"token": {S: aws.String("k")}, "data": {B: make([]byte, data)}, "n": {N: aws.String(n)},
		}})
		return err
	}
	for _, n := range numbers {
		fits := sessionitem.MaxItemBytes - (len("token") + 1 + len("data") + len("n") + sessionitem.NumberSize(n))
		if err := put(n, fits); err != nil {
			t.Errorf("%s: DynamoDB refused the item that NumberSize says fits: %v", n, err)
			continue
		}
		var aerr awserr.Error
		if err := put(n, fits+1); !errors.As(err, &aerr) || aerr.Code() != "ValidationException" {
			t.Errorf("%s: DynamoDB accepted an item one byte over the limit by NumberSize's count (NumberSize overcounts): %v", n, err)
		}
	}
}

func TestCommitWithExpiryInThePastIsAcceptedThenNotFound(t *testing.T) {
	f := newFixture(t)
	for token, expiry := range map[string]time.Time{
		"hour ago":    hourAgo(),
		"epoch":       time.Unix(0, 0),
		"before 1970": time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC),
		"zero time":   {},
	} {
		if err := f.store.Commit(token, []byte("x"), expiry); err != nil {
			t.Fatalf("Commit(%s) = %v", token, err)
		}
		if f.get(t, "token", token) == nil {
			t.Fatalf("Commit(%s) stored nothing", token)
		}
		mustNotFind(t, f.store, token)
	}
	all, err := f.store.All()
	if err != nil || len(all) != 0 {
		t.Fatalf("All = %q, %v; want no sessions", all, err)
	}
}

func TestCommitWritesTTLOneSecondAfterTheExpiryRoundedDown(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	expiries := map[string]time.Time{
		"with nanoseconds": now.Add(time.Hour),
		"whole second":     time.Unix(now.Unix()+3600, 0),
		"last nanosecond":  time.Unix(now.Unix()+3600, 999999999),
		"year 2200":        time.Date(2200, 6, 1, 12, 0, 0, 1, time.UTC),
	}
	for name, expiry := range expiries {
		t.Run(name, func(t *testing.T) {
			token := "ttl-" + strings.ReplaceAll(name, " ", "-")
			if err := f.store.Commit(token, []byte("x"), expiry); err != nil {
				t.Fatal(err)
			}
			item := f.get(t, "token", token)
			if got, want := aws.StringValue(item["expiry"].N), strconv.FormatInt(expiry.UnixNano(), 10); got != want {
				t.Errorf("expiry = %s, want %s", got, want)
			}
			ttl, err := strconv.ParseInt(aws.StringValue(item["ttl"].N), 10, 64)
			if err != nil {
				t.Fatalf("ttl = %v: %v", item["ttl"], err)
			}
			if want := expiry.Unix() + 1; ttl != want {
				t.Errorf("ttl = %d, want %d", ttl, want)
			}
			ttlNanos := new(big.Int).Mul(big.NewInt(ttl), big.NewInt(1e9))
			if ttlNanos.Cmp(big.NewInt(expiry.UnixNano())) < 0 {
				t.Errorf("ttl %d s is earlier than the expiry %d ns", ttl, expiry.UnixNano())
			}
		})
	}
}

func TestAllReadsEveryPageAndSkipsExpired(t *testing.T) {
	const live, expired, size = 24, 6, 60 << 10 // 1.76 MB in all, 1.4 MB live
	f := newFixture(t, dynamostore.WithScanSegments(1))
	want := map[string][]byte{}
	for i := range live + expired {
		data := bytes.Repeat([]byte{byte(i)}, size)
		token, expiry := fmt.Sprintf("live-%02d", i), hourAhead()
		if i >= live {
			token, expiry = fmt.Sprintf("expired-%02d", i), hourAgo()
		} else {
			want[token] = data
		}
		if err := f.store.Commit(token, data, expiry); err != nil {
			t.Fatal(err)
		}
	}

	check := func(t *testing.T, s *dynamostore.DynamoStore, rec *bodyRecorder, minScans int) {
		got, err := s.All()
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Errorf("All returned %d sessions, want %d", len(got), len(want))
		}
		for token, data := range want {
			if !bytes.Equal(got[token], data) {
				t.Errorf("session %s: %d bytes, want %d", token, len(got[token]), len(data))
			}
		}
		scans := 0
		for _, r := range rec.requests() {
			if r.Op == "Scan" {
				scans++
			}
		}
		if scans < minScans {
			t.Errorf("%d Scan requests, want at least %d", scans, minScans)
		}
	}
	t.Run("one segment, several pages", func(t *testing.T) {
		check(t, f.store, f.rec, 2) // 1.76 MB cannot come back in one 1 MB page
	})
	t.Run("default segments", func(t *testing.T) {
		rec := &bodyRecorder{}
		s, err := dynamostore.NewStore(ddbtest.Client(t, rec, nil), dynamostore.WithTable(f.table))
		if err != nil {
			t.Fatal(err)
		}
		check(t, s, rec, 4)
	})
}

func TestAllOfAnEmptyTableIsAnEmptyNonNilMap(t *testing.T) {
	for _, segments := range []int{1, 4} {
		f := newFixture(t, dynamostore.WithScanSegments(segments))
		got, err := f.store.All()
		if err != nil || got == nil || len(got) != 0 {
			t.Errorf("%d segments: All = %#v, %v; want an empty non-nil map", segments, got, err)
		}
		got, err = f.store.AllCtx(context.Background())
		if err != nil || got == nil || len(got) != 0 {
			t.Errorf("%d segments: AllCtx = %#v, %v; want an empty non-nil map", segments, got, err)
		}
	}
}

func TestAllReadsBackOnlyTokenAndDataWithAliasedNames(t *testing.T) {
	raw := ddbtest.Client(t, nil, nil)
	table := ddbtest.NewTable(t, raw, "key")
	rec := &bodyRecorder{}
	s, err := dynamostore.NewStore(ddbtest.Client(t, rec, nil), dynamostore.WithTable(table),
		dynamostore.WithAttributes("key", "my data", "a.b", "ttl"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Commit("tok", []byte("x"), hourAhead()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.All(); err != nil {
		t.Fatal(err)
	}
	var scans []recordedRequest
	for _, r := range rec.requests() {
		if r.Op == "Scan" {
			scans = append(scans, r)
		}
	}
	if len(scans) == 0 {
		t.Fatal("no Scan request")
	}
	for _, r := range scans {
		b := r.Body
		names, _ := b["ExpressionAttributeNames"].(map[string]any)
		proj, _ := b["ProjectionExpression"].(string)
		var projected []string
		for _, p := range strings.Split(proj, ",") {
			projected = append(projected, fmt.Sprint(names[strings.TrimSpace(p)]))
		}
		if strings.Join(projected, ",") != "key,my data" {
			t.Errorf("Scan projects %q (%q), want only key and my data", proj, projected)
		}
		filter, _ := b["FilterExpression"].(string)
		for _, name := range []string{"key", "my data", "a.b", "ttl"} {
			if strings.Contains(proj+filter, name) {
				t.Errorf("Scan expressions %q / %q name %q without a placeholder", proj, filter, name)
			}
		}
		if !strings.Contains(filter, ">") || names[strings.Fields(filter)[0]] != "a.b" {
			t.Errorf("Scan filter %q does not compare the expiry attribute", filter)
		}
		if b["Select"] != nil && b["Select"] != "SPECIFIC_ATTRIBUTES" {
			t.Errorf("Scan Select = %v", b["Select"])
		}
	}
}

func TestPingChecksTheTable(t *testing.T) {
	raw := ddbtest.Client(t, nil, nil)
	create := func(t *testing.T, keys []*dynamodb.KeySchemaElement, defs []*dynamodb.AttributeDefinition) string {
		table := testenv.TableName(t)
		_, err := raw.CreateTable(&dynamodb.CreateTableInput{
			TableName:            aws.String(table),
			BillingMode:          aws.String(dynamodb.BillingModePayPerRequest),
			AttributeDefinitions: defs,
			KeySchema:            keys,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _, _ = raw.DeleteTable(&dynamodb.DeleteTableInput{TableName: aws.String(table)}) })
		return table
	}
	key := func(name, typ string) *dynamodb.KeySchemaElement {
		return &dynamodb.KeySchemaElement{AttributeName: aws.String(name), KeyType: aws.String(typ)}
	}
	def := func(name, typ string) *dynamodb.AttributeDefinition {
		return &dynamodb.AttributeDefinition{AttributeName: aws.String(name), AttributeType: aws.String(typ)}
	}
	tests := []struct {
		name   string
		table  func(t *testing.T) string
		wantOK bool
	}{
		{"hash key token of type S", func(t *testing.T) string {
			return create(t, []*dynamodb.KeySchemaElement{key("token", "HASH")}, []*dynamodb.AttributeDefinition{def("token", "S")})
		}, true},
		{"hash key with another name", func(t *testing.T) string {
			return create(t, []*dynamodb.KeySchemaElement{key("id", "HASH")}, []*dynamodb.AttributeDefinition{def("id", "S")})
		}, false},
		{"hash key of type N", func(t *testing.T) string {
			return create(t, []*dynamodb.KeySchemaElement{key("token", "HASH")}, []*dynamodb.AttributeDefinition{def("token", "N")})
		}, false},
		{"hash key of type B", func(t *testing.T) string {
			return create(t, []*dynamodb.KeySchemaElement{key("token", "HASH")}, []*dynamodb.AttributeDefinition{def("token", "B")})
		}, false},
		{"with a sort key", func(t *testing.T) string {
			return create(t, []*dynamodb.KeySchemaElement{key("token", "HASH"), key("sk", "RANGE")},
				[]*dynamodb.AttributeDefinition{def("token", "S"), def("sk", "S")})
		}, false},
		{"token is the sort key", func(t *testing.T) string {
			return create(t, []*dynamodb.KeySchemaElement{key("pk", "HASH"), key("token", "RANGE")},
				[]*dynamodb.AttributeDefinition{def("pk", "S"), def("token", "S")})
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			table := tt.table(t)
			s := dynamostore.NewWithOption(raw, table, "", "", "", "")
			err := s.Ping()
			if tt.wantOK {
				if err != nil {
					t.Fatalf("Ping = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, dynamostore.ErrTableNotReady) || !strings.Contains(err.Error(), table) {
				t.Fatalf("Ping = %v, want ErrTableNotReady naming the table", err)
			}
		})
	}
	t.Run("missing table", func(t *testing.T) {
		table := testenv.TableName(t)
		err := dynamostore.NewWithOption(raw, table, "", "", "", "").Ping()
		var aerr awserr.Error
		if !errors.As(err, &aerr) || aerr.Code() != dynamodb.ErrCodeResourceNotFoundException {
			t.Fatalf("Ping = %v, want a ResourceNotFoundException", err)
		}
		if errors.Is(err, dynamostore.ErrTableNotReady) || !strings.Contains(err.Error(), table) {
			t.Errorf("Ping = %v, want DynamoDB's error naming the table", err)
		}
	})
}

func TestMissingTableIsAnErrorNotNotFound(t *testing.T) {
	raw := ddbtest.Client(t, nil, nil)
	table := testenv.TableName(t)
	s := dynamostore.NewWithOption(raw, table, "", "", "", "")
	const token = "tok-SECRET-77"
	_, found, findErr := s.Find(token)
	if found {
		t.Error("Find on a missing table reported found")
	}
	_, allErr := s.All()
	for op, err := range map[string]error{
		"Find":   findErr,
		"Commit": s.Commit(token, []byte("x"), hourAhead()),
		"Save":   s.Save(token, []byte("x"), hourAhead()),
		"Delete": s.Delete(token),
		"All":    allErr,
		"Ping":   s.Ping(),
	} {
		var aerr awserr.Error
		if !errors.As(err, &aerr) || aerr.Code() != dynamodb.ErrCodeResourceNotFoundException {
			t.Errorf("%s = %v, want an awserr.Error with code ResourceNotFoundException", op, err)
			continue
		}
		if !strings.Contains(err.Error(), table) || strings.Contains(err.Error(), "SECRET") {
			t.Errorf("%s error %q should name the table and not the token", op, err)
		}
	}
}

// stallTransport never answers: it waits until the request's context ends.
type stallTransport struct{ sent chan struct{} }

func (s stallTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	select {
	case s.sent <- struct{}{}:
	default:
	}
	<-r.Context().Done()
	return nil, r.Context().Err()
}

func TestContextEndsTheCall(t *testing.T) {
	f := newFixture(t)
	if err := f.store.Commit("tok", []byte("x"), hourAhead()); err != nil {
		t.Fatal(err)
	}
	stall := stallTransport{sent: make(chan struct{}, 1)}
	stalled, err := dynamostore.NewStore(ddbtest.Client(t, stall, nil), dynamostore.WithTable(f.table))
	if err != nil {
		t.Fatal(err)
	}
	calls := map[string]func(context.Context, *dynamostore.DynamoStore) error{
		"FindCtx": func(ctx context.Context, s *dynamostore.DynamoStore) error {
			b, found, err := s.FindCtx(ctx, "tok")
			if found || b != nil {
				return fmt.Errorf("FindCtx found the session: %w", err)
			}
			return err
		},
		"CommitCtx": func(ctx context.Context, s *dynamostore.DynamoStore) error {
			return s.CommitCtx(ctx, "tok", []byte("y"), hourAhead())
		},
		"DeleteCtx": func(ctx context.Context, s *dynamostore.DynamoStore) error { return s.DeleteCtx(ctx, "tok") },
		"AllCtx": func(ctx context.Context, s *dynamostore.DynamoStore) error {
			m, err := s.AllCtx(ctx)
			if m != nil {
				return fmt.Errorf("AllCtx returned a map: %w", err)
			}
			return err
		},
		"PingCtx": func(ctx context.Context, s *dynamostore.DynamoStore) error { return s.PingCtx(ctx) },
	}
	for name, call := range calls {
		t.Run(name+" with a cancelled context", func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			if err := call(ctx, f.store); !errors.Is(err, context.Canceled) {
				t.Errorf("error = %v, want context.Canceled", err)
			}
		})
		t.Run(name+" cancelled in flight", func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			go func() { <-stall.sent; cancel() }()
			start := time.Now()
			err := call(ctx, stalled)
			cancel()
			if !errors.Is(err, context.Canceled) {
				t.Errorf("error = %v, want context.Canceled", err)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("the call took %v to end after its cancellation", d)
			}
		})
		t.Run(name+" past its deadline in flight", func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			start := time.Now()
			err := call(ctx, stalled)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("error = %v, want context.DeadlineExceeded", err)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("the call took %v to end after its deadline", d)
			}
		})
	}
	mustFind(t, f.store, "tok", []byte("x")) // nothing above reached the table
}

func TestBinaryDataWithEveryByteValueRoundTrips(t *testing.T) {
	s := newStore(t)
	data := make([]byte, 0, 512)
	for i := range 256 {
		data = append(data, byte(i))
	}
	for i := range 256 {
		data = append(data, byte(255-i))
	}
	if err := s.Commit("bytes", data, hourAhead()); err != nil {
		t.Fatal(err)
	}
	mustFind(t, s, "bytes", data)
	all, err := s.All()
	if err != nil || !bytes.Equal(all["bytes"], data) {
		t.Fatalf("All = %d sessions, %v; want the data back", len(all), err)
	}
}

func TestLargeDataRoundTrips(t *testing.T) {
	s := newStore(t)
	data := make([]byte, 350<<10)
	for i := range data {
		data[i] = byte(i * 7 % 251)
	}
	if err := s.Commit("large", data, hourAhead()); err != nil {
		t.Fatal(err)
	}
	mustFind(t, s, "large", data)
}

func TestCommitOverwritesDataAndExpiry(t *testing.T) {
	s := newStore(t)
	if err := s.Commit("tok", []byte("first"), hourAhead()); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit("tok", []byte("second"), hourAhead()); err != nil {
		t.Fatal(err)
	}
	mustFind(t, s, "tok", []byte("second"))
	if err := s.Commit("tok", []byte("third"), hourAgo()); err != nil {
		t.Fatal(err)
	}
	mustNotFind(t, s, "tok")
	if err := s.Commit("tok", []byte("fourth"), hourAhead()); err != nil {
		t.Fatal(err)
	}
	mustFind(t, s, "tok", []byte("fourth"))
}

func TestDeleteOfAMissingTokenIsNil(t *testing.T) {
	s := newStore(t)
	if err := s.Delete("never-written"); err != nil {
		t.Errorf("Delete = %v, want nil", err)
	}
	if err := s.DeleteCtx(context.Background(), "never-written"); err != nil {
		t.Errorf("DeleteCtx = %v, want nil", err)
	}
	if err := s.Commit("tok", []byte("x"), hourAhead()); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ { // the second Delete finds nothing
		if err := s.Delete("tok"); err != nil {
			t.Fatalf("Delete #%d = %v", i+1, err)
		}
	}
	mustNotFind(t, s, "tok")
}

// TestFindReadsAnItemInTheOldFormat writes an item as the SCS v1 store did:
// token S, data B, expiry N in Unix nanoseconds, ttl N in Unix seconds.
func TestFindReadsAnItemInTheOldFormat(t *testing.T) {
	f := newFixture(t)
	expiry := time.Now().Add(time.Hour)
	f.put(t, map[string]*dynamodb.AttributeValue{
		"token":  {S: aws.String("v1-token")},
		"data":   {B: []byte("v1 data")},
		"expiry": {N: aws.String(strconv.FormatInt(expiry.UnixNano(), 10))},
		"ttl":    {N: aws.String(strconv.FormatInt(expiry.Add(time.Second).Unix(), 10))},
	})
	f.put(t, map[string]*dynamodb.AttributeValue{
		"token":  {S: aws.String("v1-expired")},
		"data":   {B: []byte("old")},
		"expiry": {N: aws.String(strconv.FormatInt(hourAgo().UnixNano(), 10))},
		"ttl":    {N: aws.String(strconv.FormatInt(hourAgo().Unix(), 10))},
	})
	mustFind(t, f.store, "v1-token", []byte("v1 data"))
	mustNotFind(t, f.store, "v1-expired")
	all, err := f.store.All()
	if err != nil || len(all) != 1 || string(all["v1-token"]) != "v1 data" {
		t.Fatalf("All = %q, %v; want only v1-token", all, err)
	}
	// A v1 table keeps working after a Save through the new store.
	if err := f.store.Save("v1-token", []byte("v2 data"), expiry); err != nil {
		t.Fatal(err)
	}
	mustFind(t, f.store, "v1-token", []byte("v2 data"))
}

func TestConcurrentCommitsAndFinds(t *testing.T) {
	s := newStore(t)
	const workers, rounds = 64, 5
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			own := fmt.Sprintf("worker-%02d", w)
			for r := range rounds {
				want := []byte(fmt.Sprintf("%s round %d", own, r))
				if err := s.Commit(own, want, hourAhead()); err != nil {
					errs <- err
					return
				}
				got, found, err := s.Find(own)
				if err != nil || !found || !bytes.Equal(got, want) {
					errs <- fmt.Errorf("%s: Find = %q, %v, %v; want %q", own, got, found, err, want)
					return
				}
				// Everyone also writes and reads one shared session.
				if err := s.Commit("shared", []byte(own), hourAhead()); err != nil {
					errs <- err
					return
				}
				got, found, err = s.Find("shared")
				if err != nil || !found || !bytes.HasPrefix(got, []byte("worker-")) {
					errs <- fmt.Errorf("shared: Find = %q, %v, %v", got, found, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	all, err := s.All()
	if err != nil || len(all) != workers+1 {
		t.Fatalf("All = %d sessions, %v; want %d", len(all), err, workers+1)
	}
}

func TestSaveIsCommit(t *testing.T) {
	f := newFixture(t)
	expiry := time.Unix(4102444800, 42)
	if err := f.store.Save("saved", []byte("x"), expiry); err != nil {
		t.Fatal(err)
	}
	if err := f.store.Commit("committed", []byte("x"), expiry); err != nil {
		t.Fatal(err)
	}
	saved, committed := f.get(t, "token", "saved"), f.get(t, "token", "committed")
	saved["token"], committed["token"] = nil, nil
	if fmt.Sprint(saved) != fmt.Sprint(committed) {
		t.Errorf("Save stored %v, Commit stored %v", saved, committed)
	}
	var puts int
	for _, r := range f.rec.requests() {
		if r.Op == "PutItem" {
			puts++
		}
	}
	if puts != 2 {
		t.Errorf("%d PutItem requests, want one each", puts)
	}
	if err := f.store.Save("", []byte("x"), expiry); !errors.Is(err, dynamostore.ErrInvalidToken) {
		t.Errorf("Save of an empty token = %v, want ErrInvalidToken", err)
	}
}
