package dynamostore_test

//lint:file-ignore SA1019 aws-sdk-go v1 is what the store under test is built on.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/awserr"
	"github.com/aws/aws-sdk-go/service/dynamodb"

	"github.com/scs-stores/dynamostore"
	"github.com/scs-stores/dynamostore/internal/ddbtest"
	"github.com/scs-stores/dynamostore/internal/core/sessionitem"
)

// hostileCounter counts the requests a client sends to DynamoDB Local.
type hostileCounter struct {
	next *http.Transport
	n    atomic.Int64
}

func (c *hostileCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(req)
}

// take returns the count since the last take.
func (c *hostileCounter) take() int { return int(c.n.Swap(0)) }

// hostileEnv is a store on DynamoDB Local whose requests are counted, and a
// clean client for setting up and reading back tables.
type hostileEnv struct {
	db    *dynamodb.DynamoDB
	count *hostileCounter
	// counted is a client whose requests are counted.
	counted *dynamodb.DynamoDB
}

func newHostileEnv(t *testing.T) hostileEnv {
	t.Helper()
	c := &hostileCounter{next: http.DefaultTransport.(*http.Transport).Clone()}
	t.Cleanup(c.next.CloseIdleConnections)
	return hostileEnv{db: ddbtest.Client(t, nil, nil), count: c, counted: ddbtest.Client(t, c, nil)}
}

// store returns a counted store on table with opts.
func (e hostileEnv) store(t *testing.T, table string, opts ...dynamostore.Option) *dynamostore.DynamoStore {
	t.Helper()
	s, err := dynamostore.NewStore(e.counted, append([]dynamostore.Option{dynamostore.WithTable(table)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// requests fails t unless want requests were sent since the last check.
func (e hostileEnv) requests(t *testing.T, what string, want int) {
	t.Helper()
	if got := e.count.take(); got != want {
		t.Errorf("%s sent %d requests, want %d", what, got, want)
	}
}

func TestHostileTokensAreStoredOrCleanlyRefusedWithoutARequest(t *testing.T) {
	e := newHostileEnv(t)
	table := ddbtest.NewTable(t, e.db, "token")
	plain := e.store(t, table)
	prefixed := e.store(t, table, dynamostore.WithTokenPrefix("app:"))
	cases := []struct {
		name  string
		store *dynamostore.DynamoStore
		token string
		valid bool
	}{
		{"empty", plain, "", false},
		{"2048 bytes", plain, strings.Repeat("a", 2048), true},
		{"2049 bytes", plain, strings.Repeat("a", 2049), false},
		{"2048 bytes of 2-byte runes", plain, strings.Repeat("é", 1024), true},
		{"2049 bytes of 3-byte runes", plain, strings.Repeat("€", 683), false},
		{"2044 bytes behind a 4-byte prefix", prefixed, strings.Repeat("b", 2044), true},
		{"2045 bytes behind a 4-byte prefix", prefixed, strings.Repeat("b", 2045), false},
		{"invalid UTF-8", plain, "SECRET\xff\xfe", false},
		{"truncated UTF-8", plain, "SECRET\xc3", false},
		{"surrogate half", plain, "SECRET\xed\xa0\x80", false},
		{"control characters", plain, "SECRET\x00\x01\x1f\x7f\n\r\t", true},
		{"spaces only", plain, "   ", true},
		{"expression syntax", plain, "#t = :now OR attribute_exists(token)", true},
		{"1 MB cookie", plain, strings.Repeat("c", 1<<20), false},
	}
	data := []byte("SECRET-DATA-of-a-hostile-token")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.count.take()
			s := c.store
			expiry := time.Now().Add(time.Hour)
			b, found, err := s.Find(c.token)
			if err != nil || found || b != nil {
				t.Fatalf("Find = %q, %v, %v; want nil, false, nil", b, found, err)
			}
			e.requests(t, "Find", map[bool]int{true: 1, false: 0}[c.valid])
			err = s.Commit(c.token, data, expiry)
			if c.valid {
				if err != nil {
					t.Fatalf("Commit: %v", err)
				}
				e.requests(t, "Commit", 1)
				if b, found, err := s.Find(c.token); err != nil || !found || !bytes.Equal(b, data) {
					t.Fatalf("Find after Commit = %q, %v, %v", b, found, err)
				}
				e.requests(t, "Find", 1)
			} else {
				if !errors.Is(err, dynamostore.ErrInvalidToken) {
					t.Fatalf("Commit = %v, want ErrInvalidToken", err)
				}
				checkNoSecrets(t, err, c.token, data)
				if strings.Contains(err.Error(), "SECRET") {
					t.Errorf("error message holds part of the token: %v", err)
				}
				e.requests(t, "Commit", 0)
			}
			if err := s.Delete(c.token); err != nil {
				t.Fatalf("Delete: %v", err)
			}
			e.requests(t, "Delete", map[bool]int{true: 1, false: 0}[c.valid])
			if b, found, err := s.Find(c.token); err != nil || found || b != nil {
				t.Fatalf("Find after Delete = %q, %v, %v", b, found, err)
			}
		})
	}
}

// TestHostileCookieReachesNoRequest sends scs.SessionManager cookies no
// token of scs could be: the store answers "not found" without a request,
// and the handler gets a fresh session.
func TestHostileCookieReachesNoRequest(t *testing.T) {
	e := newHostileEnv(t)
	sm := scs.New()
	sm.Store = e.store(t, ddbtest.NewTable(t, e.db, "token"))
	srv := httptest.NewServer(sm.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sm.Exists(r.Context(), "v") {
			http.Error(w, "a hostile cookie found a session", http.StatusConflict)
		}
	})))
	defer srv.Close()
	for name, cookie := range map[string]string{
		"64 KB":         strings.Repeat("x", 64<<10),
		"2049 bytes":    strings.Repeat("y", 2049),
		"percent-codes": "%ff%fe%00",
	} {
		e.count.take()
		req, _ := http.NewRequest("GET", srv.URL, nil)
		req.Header.Set("Cookie", "session="+cookie)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s cookie: status %d", name, resp.StatusCode)
		}
		want := 0
		if name == "percent-codes" {
			want = 1 // a valid UTF-8 token, looked up and not found
		}
		e.requests(t, name+" cookie", want)
	}
}

func TestHostileDataSizesAroundThe400KBLimit(t *testing.T) {
	e := newHostileEnv(t)
	long := strings.Repeat("n", 200)
	cases := []struct {
		name   string
		tokenA string // the token attribute's name
		opts   []dynamostore.Option
	}{
		{"default names", "token", nil},
		{"long names", "tok" + long, []dynamostore.Option{dynamostore.WithAttributes("tok"+long, "data"+long, "expiry"+long, "ttl"+long)}},
		{"prefix", "token", []dynamostore.Option{dynamostore.WithTokenPrefix("some-app:")}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := e.store(t, ddbtest.NewTable(t, e.db, c.tokenA), c.opts...)
			names := sessionitem.Names{Token: s.TokenName(), Data: s.DataName(), Expiry: s.ExpiryName(), TTL: s.TTLName()}
			prefix := map[string]string{"prefix": "some-app:"}[c.name]
			token := "SECRET-TOKEN-0123456789abcdefghijklmnopqrstu"
			expiry := time.Now().Add(24 * time.Hour)
			expiryN, ttlN := sessionitem.EncodeExpiry(expiry)
			limit := sessionitem.MaxItemBytes - sessionitem.ItemSize(names, len(prefix+token), 0, expiryN, ttlN)
			for _, d := range []struct {
				name string
				data []byte
				ok   bool
			}{
				{"nil", nil, true},
				{"empty", []byte{}, true},
				{"1 byte", []byte{0}, true},
				{"at the limit", bytes.Repeat([]byte("S"), limit), true},
				{"1 byte over", bytes.Repeat([]byte("S"), limit+1), false},
				{"1 MB over", bytes.Repeat([]byte("S"), limit+1<<20), false},
			} {
				e.count.take()
				err := s.Commit(token, d.data, expiry)
				if !d.ok {
					if !errors.Is(err, dynamostore.ErrItemTooLarge) {
						t.Fatalf("%s: Commit = %v, want ErrItemTooLarge", d.name, err)
					}
					checkNoSecrets(t, err, token, d.data)
					e.requests(t, d.name+" Commit", 0)
					continue
				}
				if err != nil {
					t.Fatalf("%s: Commit of %d bytes: %v", d.name, len(d.data), err)
				}
				e.requests(t, d.name+" Commit", 1)
				b, found, err := s.Find(token)
				if err != nil || !found || !bytes.Equal(b, d.data) || b == nil {
					t.Fatalf("%s: Find = %d bytes, %v, %v; want %d bytes (non-nil)", d.name, len(b), found, err, len(d.data))
				}
			}
		})
	}
}

func TestHostileExpiries(t *testing.T) {
	e := newHostileEnv(t)
	s := e.store(t, ddbtest.NewTable(t, e.db, "token"))
	cases := []struct {
		name   string
		expiry time.Time
		live   bool
	}{
		{"zero time", time.Time{}, false},
		{"year 1", time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{"Unix epoch", time.Unix(0, 0), false},
		{"a second ago", time.Now().Add(-time.Second), false},
		{"now", time.Now(), false},
		{"in an hour", time.Now().Add(time.Hour), true},
		{"year 2262", time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{"year 9999", time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), true},
		{"in another zone", time.Now().Add(time.Hour).In(time.FixedZone("far", 13*3600)), true},
	}
	live := map[string][]byte{}
	for i, c := range cases {
		token := fmt.Sprintf("expiry-%d", i)
		data := []byte(c.name)
		e.count.take()
		if err := s.Commit(token, data, c.expiry); err != nil {
			t.Fatalf("%s: Commit: %v", c.name, err)
		}
		e.requests(t, c.name+" Commit", 1)
		b, found, err := s.Find(token)
		if err != nil || found != c.live || (c.live && !bytes.Equal(b, data)) {
			t.Errorf("%s: Find = %q, %v, %v; want found %v", c.name, b, found, err, c.live)
		}
		e.requests(t, c.name+" Find", 1)
		if c.live {
			live[token] = data
		}
		// The raw item has the ttl one second past the expiry, rounded down.
		out, err := e.db.GetItem(&dynamodb.GetItemInput{
			TableName: aws.String(s.TableName()),
			Key:       map[string]*dynamodb.AttributeValue{"token": {S: aws.String(token)}},
		})
		if err != nil {
			t.Fatal(err)
		}
		wantExpiry, wantTTL := sessionitem.EncodeExpiry(c.expiry)
		if got := aws.StringValue(out.Item["expiry"].N); got != wantExpiry {
			t.Errorf("%s: expiry attribute %s, want %s", c.name, got, wantExpiry)
		}
		if got := aws.StringValue(out.Item["ttl"].N); got != wantTTL {
			t.Errorf("%s: ttl attribute %s, want %s", c.name, got, wantTTL)
		}
	}
	all, err := s.All()
	if err != nil || len(all) != len(live) {
		t.Fatalf("All = %d sessions, %v; want %d", len(all), err, len(live))
	}
	for tok, data := range live {
		if !bytes.Equal(all[tok], data) {
			t.Errorf("All[%s] = %q, want %q", tok, all[tok], data)
		}
	}
}

func TestHostileAttributeNamesWork(t *testing.T) {
	e := newHostileEnv(t)
	cases := []struct {
		name                     string
		token, data, expiry, ttl string
	}{
		{"reserved words", "name", "value", "timestamp", "size"},
		{"dots", "s.token", "s.data", "s.expiry", "s.ttl"},
		{"spaces", "session token", "session data", " expiry", "ttl "},
		{"hashes", "#t", "#d", "#e", "#ttl"},
		{"colons", ":token", ":now", ":prefix", "a:b"},
		{"mixed", "#t.:x y", "data.#d :e", "ex piry.#", "t#t:l."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			table := ddbtest.NewTable(t, e.db, c.token)
			s := e.store(t, table, dynamostore.WithAttributes(c.token, c.data, c.expiry, c.ttl), dynamostore.WithTokenPrefix("p:"))
			seed := dynamostore.NewWithOption(e.db, table, c.token, c.data, c.expiry, c.ttl)
			e.count.take()
			if err := s.Ping(); err != nil {
				t.Fatalf("Ping: %v", err)
			}
			if err := s.Commit("tok", []byte("value"), time.Now().Add(time.Hour)); err != nil {
				t.Fatalf("Commit: %v", err)
			}
			if err := s.Commit("gone", []byte("expired"), time.Now().Add(-time.Hour)); err != nil {
				t.Fatalf("Commit: %v", err)
			}
			if err := seed.Commit("other-app", []byte("x"), time.Now().Add(time.Hour)); err != nil {
				t.Fatalf("Commit: %v", err)
			}
			b, found, err := s.Find("tok")
			if err != nil || !found || string(b) != "value" {
				t.Fatalf("Find = %q, %v, %v", b, found, err)
			}
			all, err := s.All()
			if err != nil || len(all) != 1 || string(all["tok"]) != "value" {
				t.Fatalf("All = %q, %v; want only tok", all, err)
			}
			if err := s.Delete("tok"); err != nil {
				t.Fatalf("Delete: %v", err)
			}
			e.requests(t, "Ping, Commit, Commit, Find, All (4 segments) and Delete", 9)
			out, err := e.db.GetItem(&dynamodb.GetItemInput{
				TableName: aws.String(table),
				Key:       map[string]*dynamodb.AttributeValue{c.token: {S: aws.String("p:gone")}},
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range []string{c.token, c.data, c.expiry, c.ttl} {
				if out.Item[a] == nil {
					t.Errorf("raw item has no attribute %q: %v", a, out.Item)
				}
			}
		})
	}
}

// hostileTable creates a table keyed by key, of type keyType (S, N or B).
func hostileTable(t *testing.T, db *dynamodb.DynamoDB, key, keyType string) string {
	t.Helper()
	if keyType == "S" {
		return ddbtest.NewTable(t, db, key)
	}
	name := "t_" + fmt.Sprint(time.Now().UnixNano())
	_, err := db.CreateTable(&dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		BillingMode:          aws.String(dynamodb.BillingModePayPerRequest),
		AttributeDefinitions: []*dynamodb.AttributeDefinition{{AttributeName: aws.String(key), AttributeType: aws.String(keyType)}},
		KeySchema:            []*dynamodb.KeySchemaElement{{AttributeName: aws.String(key), KeyType: aws.String("HASH")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = db.DeleteTable(&dynamodb.DeleteTableInput{TableName: aws.String(name)}) })
	return name
}

// TestHostileTablesGiveClearErrors runs every call on a missing table and on
// tables with the wrong key: each is one request, and fails with DynamoDB's
// error (or ErrTableNotReady from Ping), never "not found", and without the
// token or data in the message.
func TestHostileTablesGiveClearErrors(t *testing.T) {
	e := newHostileEnv(t)
	token, data := "SECRET-TOKEN-of-the-table-test", []byte("SECRET-DATA-of-the-table-test")
	cases := []struct {
		name  string
		table func(t *testing.T) string
		// code is the awserr code of Find, Commit and Delete's errors.
		code string
		// allOK says whether All succeeds (a scan reads any table).
		allOK bool
	}{
		{"missing", func(*testing.T) string { return "no_such_table_at_all" }, dynamodb.ErrCodeResourceNotFoundException, false},
		{"keyed by id", func(t *testing.T) string { return hostileTable(t, e.db, "id", "S") }, "ValidationException", true},
		{"keyed by a number", func(t *testing.T) string { return hostileTable(t, e.db, "token", "N") }, "ValidationException", true},
		{"keyed by binary", func(t *testing.T) string { return hostileTable(t, e.db, "token", "B") }, "ValidationException", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := e.store(t, c.table(t))
			e.count.take()
			check := func(op string, err error) {
				t.Helper()
				var aerr awserr.Error
				if !errors.As(err, &aerr) || aerr.Code() != c.code {
					t.Errorf("%s = %v, want an awserr.Error with code %s", op, err, c.code)
				}
				checkNoSecrets(t, err, token, data)
				e.requests(t, op, 1)
			}
			b, found, err := s.Find(token)
			if found || b != nil {
				t.Errorf("Find = %q, %v with error %v", b, found, err)
			}
			check("Find", err)
			check("Commit", s.Commit(token, data, time.Now().Add(time.Hour)))
			check("Delete", s.Delete(token))
			if c.code == dynamodb.ErrCodeResourceNotFoundException {
				check("Ping", s.Ping())
			} else if err := s.Ping(); !errors.Is(err, dynamostore.ErrTableNotReady) {
				t.Errorf("Ping = %v, want ErrTableNotReady", err)
			} else {
				e.requests(t, "Ping", 1)
			}
			all, err := s.All()
			if c.allOK {
				if err != nil || all == nil || len(all) != 0 {
					t.Errorf("All = %v, %v; want an empty map", all, err)
				}
			} else if all != nil || err == nil {
				t.Errorf("All = %v, %v; want an error", all, err)
			}
		})
	}
}

// TestHostileMalformedItemsGiveErrorsWithoutSecrets writes items that the
// store did not write, and checks that Find and All report ErrMalformedItem
// with a message naming the attribute but holding neither token nor data.
func TestHostileMalformedItemsGiveErrorsWithoutSecrets(t *testing.T) {
	e := newHostileEnv(t)
	future := fmt.Sprint(time.Now().Add(time.Hour).UnixNano())
	cases := []struct {
		name string
		item map[string]*dynamodb.AttributeValue
		all  bool // whether All reads the item too (it filters on the expiry number)
	}{
		{"data is a string", map[string]*dynamodb.AttributeValue{"data": {S: aws.String("SECRET-DATA")}, "expiry": {N: aws.String(future)}}, true},
		{"data is missing", map[string]*dynamodb.AttributeValue{"expiry": {N: aws.String(future)}}, true},
		{"expiry is a string", map[string]*dynamodb.AttributeValue{"data": {B: []byte("SECRET-DATA")}, "expiry": {S: aws.String("SECRET-DATA")}}, false},
		{"expiry is missing", map[string]*dynamodb.AttributeValue{"data": {B: []byte("SECRET-DATA")}}, false},
		{"expiry is binary", map[string]*dynamodb.AttributeValue{"data": {B: []byte("SECRET-DATA")}, "expiry": {B: []byte("1")}}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			table := ddbtest.NewTable(t, e.db, "token")
			s := e.store(t, table)
			token := "SECRET-TOKEN-malformed"
			c.item["token"] = &dynamodb.AttributeValue{S: aws.String(token)}
			if _, err := e.db.PutItem(&dynamodb.PutItemInput{TableName: aws.String(table), Item: c.item}); err != nil {
				t.Fatal(err)
			}
			b, found, err := s.Find(token)
			if !errors.Is(err, dynamostore.ErrMalformedItem) || found || b != nil {
				t.Fatalf("Find = %q, %v, %v; want ErrMalformedItem", b, found, err)
			}
			checkNoSecrets(t, err, token, []byte("SECRET-DATA"))
			all, err := s.All()
			if c.all {
				if !errors.Is(err, dynamostore.ErrMalformedItem) || all != nil {
					t.Fatalf("All = %v, %v; want ErrMalformedItem", all, err)
				}
				checkNoSecrets(t, err, token, []byte("SECRET-DATA"))
			} else if err != nil || len(all) != 0 {
				t.Fatalf("All = %v, %v; want no sessions", all, err)
			}
		})
	}
}

// hostileLogger keeps what the SDK logs.
type hostileLogger struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *hostileLogger) Log(args ...interface{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintln(&l.buf, args...)
}

// TestSDKDebugLoggingPrintsSessionTokens documents why aws-sdk-go's debug
// logging must stay off in production: at aws.LogDebugWithHTTPBody it logs
// request and response bodies, which hold session tokens and data. The
// store's own errors hold neither.
func TestSDKDebugLoggingPrintsSessionTokens(t *testing.T) {
	logger := &hostileLogger{}
	db := ddbtest.Client(t, nil, &aws.Config{LogLevel: aws.LogLevel(aws.LogDebugWithHTTPBody), Logger: logger})
	table := ddbtest.NewTable(t, db, "token")
	s, err := dynamostore.NewStore(db, dynamostore.WithTable(table))
	if err != nil {
		t.Fatal(err)
	}
	token := "SECRET-TOKEN-logged-by-the-sdk"
	if err := s.Commit(token, []byte("x"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	logger.mu.Lock()
	logged := logger.buf.String()
	logger.mu.Unlock()
	if !strings.Contains(logged, token) {
		t.Fatalf("the SDK's debug log no longer holds the token; update the README's advice. Log:\n%s", logged)
	}
}
