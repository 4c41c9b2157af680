package drivertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/scs-stores/dynamostore/internal/core"
	"github.com/scs-stores/dynamostore/internal/core/driver"
	"github.com/scs-stores/dynamostore/internal/testsuite/testenv"
)

func init() {
	add(
		test{"HostileTokensAreStoredOrCleanlyRefusedWithoutARequest", testHostileTokens},
		test{"HostileCookieReachesNoRequest", testHostileCookie},
		test{"HostileDataSizesAroundThe400KBLimit", testHostileSizes},
		test{"HostileExpiriesAreStoredExactlyAndFilteredOnRead", testHostileExpiries},
		test{"HostileAttributeNamesWork", testHostileAttributeNames},
		test{"HostileTablesGiveClearErrors", testHostileTables},
		test{"HostileMalformedItemsGiveErrorsWithoutSecrets", testHostileMalformedItems},
	)
}

// hostileCounted returns a client whose requests rec records.
func hostileCounted(t testing.TB, h *H) (Client, *Recorder) {
	rec := &Recorder{}
	return h.NewClient(t, ClientOptions{Transport: rec}), rec
}

// hostileRequests fails t unless want calls were sent since the last Take
// of rec; an SDK's retries are not counted (see Calls).
func hostileRequests(t testing.TB, rec *Recorder, what string, want int) {
	t.Helper()
	if got := rec.TakeCalls(); len(got) != want {
		t.Errorf("%s sent %d requests %v, want %d", what, len(got), Ops(got), want)
	}
}

// hostileSent is how many requests a call sends for a token that is valid
// or not.
func hostileSent(valid bool) int {
	if valid {
		return 1
	}
	return 0
}

// testHostileTokens: a token DynamoDB can key is stored and read back, one
// request a call; any other is not found by Find and Delete and refused by
// Commit with ErrInvalidToken, without a request and without the token in
// the message.
func testHostileTokens(t *testing.T, h *H) {
	t.Parallel()
	table := h.NewTable(t)
	c, rec := hostileCounted(t, h)
	plain := h.Store(t, c, core.WithTable(table))
	prefixed := h.Store(t, c, core.WithTable(table), core.WithTokenPrefix("app:"))
	cases := []struct {
		name  string
		store Store
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
		// One at a time: the cases share the recorder.
		t.Run(c.name, func(t *testing.T) {
			rec.Take()
			s := c.store
			b, found, err := s.Find(c.token)
			if err != nil || found || b != nil {
				t.Fatalf("Find = %q, %v, %v; want nil, false, nil", b, found, err)
			}
			hostileRequests(t, rec, "Find", hostileSent(c.valid))
			err = s.Commit(c.token, data, time.Now().Add(time.Hour))
			if c.valid {
				if err != nil {
					t.Fatalf("Commit: %v", err)
				}
				hostileRequests(t, rec, "Commit", 1)
				MustFind(t, s, c.token, data)
				hostileRequests(t, rec, "Find", 1)
			} else {
				if !errors.Is(err, core.ErrInvalidToken) {
					t.Fatalf("Commit = %v, want ErrInvalidToken", err)
				}
				faultNoSecrets(t, err, c.token, data)
				if strings.Contains(err.Error(), "SECRET") {
					t.Errorf("error message holds part of the token: %v", err)
				}
				hostileRequests(t, rec, "Commit", 0)
			}
			if err := s.Delete(c.token); err != nil {
				t.Fatalf("Delete: %v", err)
			}
			hostileRequests(t, rec, "Delete", hostileSent(c.valid))
			MustNotFind(t, s, c.token)
		})
	}
}

// testHostileCookie sends scs.SessionManager cookies no token of scs could
// be: the store answers "not found" without a request (or, for a valid
// UTF-8 token, after one), and the handler gets a fresh session.
func testHostileCookie(t *testing.T, h *H) {
	t.Parallel()
	c, rec := hostileCounted(t, h)
	sm := scs.New()
	sm.Store = h.Store(t, c, core.WithTable(h.SharedTable(t)))
	srv := httptest.NewServer(sm.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sm.Exists(r.Context(), "v") {
			http.Error(w, "a hostile cookie found a session", http.StatusConflict)
		}
	})))
	defer srv.Close()
	for _, cookie := range []struct {
		name, value string
		sent        int
	}{
		{"64 KB", strings.Repeat("x", 64<<10), 0},
		{"2049 bytes", strings.Repeat("y", 2049), 0},
		{"percent-codes", "%ff%fe%00", 1}, // a valid UTF-8 token, looked up and not found
	} {
		rec.Take()
		req, err := http.NewRequest("GET", srv.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Cookie", "session="+cookie.value)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s cookie: status %d", cookie.name, resp.StatusCode)
		}
		hostileRequests(t, rec, cookie.name+" cookie", cookie.sent)
	}
}

// testHostileSizes commits data up to and past the 400 KB item limit, with
// default and long attribute names and with a prefix: an item at the limit
// is stored and read back whole, one byte more is refused with
// ErrItemTooLarge without a request.
func testHostileSizes(t *testing.T, h *H) {
	t.Parallel()
	long := strings.Repeat("n", 200)
	cases := []struct {
		name   string
		token  string // the token attribute's name
		prefix string
		opts   []core.Option
	}{
		{"default names", "token", "", nil},
		{"long names", "tok" + long, "", []core.Option{core.WithAttributes("tok"+long, "data"+long, "expiry"+long, "ttl"+long)}},
		{"prefix", "token", "some-app:", []core.Option{core.WithTokenPrefix("some-app:")}},
	}
	together(t, len(cases), func(i int) string { return cases[i].name }, func(t *testing.T, i int) {
		c := cases[i]
		table := h.RawTable(t, c.token, "S")
		cl, rec := hostileCounted(t, h)
		s := h.Store(t, cl, append([]core.Option{core.WithTable(table)}, c.opts...)...)
		names := driver.Names{Table: table, Token: s.TokenName(), Data: s.DataName(), Expiry: s.ExpiryName(), TTL: s.TTLName()}
		token := "SECRET-TOKEN-0123456789abcdefghijklmnopqrstu"
		expiry := time.Now().Add(24 * time.Hour)
		expiryN, ttlN := core.EncodeExpiry(expiry)
		limit := core.MaxItemBytes - core.ItemSize(names, len(c.prefix+token), 0, expiryN, ttlN)
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
			rec.Take()
			err := s.Commit(token, d.data, expiry)
			if !d.ok {
				if !errors.Is(err, core.ErrItemTooLarge) {
					t.Fatalf("%s: Commit = %v, want ErrItemTooLarge", d.name, err)
				}
				faultNoSecrets(t, err, token, d.data)
				hostileRequests(t, rec, d.name+" Commit", 0)
				continue
			}
			if err != nil {
				t.Fatalf("%s: Commit of %d bytes: %v", d.name, len(d.data), err)
			}
			hostileRequests(t, rec, d.name+" Commit", 1)
			b, found, err := s.Find(token)
			if err != nil || !found || !bytes.Equal(b, d.data) || b == nil {
				t.Fatalf("%s: Find = %d bytes, %v, %v; want %d bytes (non-nil)", d.name, len(b), found, err, len(d.data))
			}
		}
		// The store's size accounting is DynamoDB's: the engine itself
		// refuses the item one byte over, which the store refused
		// without a request.
		t.Run("engine refuses 1 byte over", func(t *testing.T) {
			h.RequireExactSizes(t)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			err := h.PutRaw(ctx, cl, table, map[string]driver.Value{
				names.Token: S(c.prefix + token), names.Data: B(bytes.Repeat([]byte("S"), limit+1)),
				names.Expiry: N(expiryN), names.TTL: N(ttlN),
			})
			if code := h.ErrorCode(err); code != "ValidationException" {
				t.Fatalf("raw put of 1 byte over = %v (code %q), want a ValidationException", err, code)
			}
		})
	})
}

// testHostileExpiries commits sessions with expiries from year 1 to 9999:
// each is stored with exact expiry and ttl numbers, and only the future
// ones are found and listed.
func testHostileExpiries(t *testing.T, h *H) {
	t.Parallel()
	table := h.NewTable(t)
	c, rec := hostileCounted(t, h)
	s := h.Store(t, c, core.WithTable(table))
	names := defaultNames
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
	for i, e := range cases {
		token := fmt.Sprintf("expiry-%d", i)
		data := []byte(e.name)
		rec.Take()
		if err := s.Commit(token, data, e.expiry); err != nil {
			t.Fatalf("%s: Commit: %v", e.name, err)
		}
		hostileRequests(t, rec, e.name+" Commit", 1)
		b, found, err := s.Find(token)
		if err != nil || found != e.live || (e.live && !bytes.Equal(b, data)) {
			t.Errorf("%s: Find = %q, %v, %v; want found %v", e.name, b, found, err, e.live)
		}
		hostileRequests(t, rec, e.name+" Find", 1)
		if e.live {
			live[token] = data
		}
		// The raw item has the ttl one second past the expiry, rounded down.
		item := h.Get(t, c, table, names.Token, token)
		wantExpiry, wantTTL := core.EncodeExpiry(e.expiry)
		if got := item[names.Expiry]; got.Type != driver.Number || got.Text != wantExpiry {
			t.Errorf("%s: expiry attribute %+v, want N %s", e.name, got, wantExpiry)
		}
		if got := item[names.TTL]; got.Type != driver.Number || got.Text != wantTTL {
			t.Errorf("%s: ttl attribute %+v, want N %s", e.name, got, wantTTL)
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

// testHostileAttributeNames runs every call on attributes named with
// reserved words and expression syntax, beside another app's sessions in
// the same table: each call sends the requests it should and works.
func testHostileAttributeNames(t *testing.T, h *H) {
	t.Parallel()
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
	together(t, len(cases), func(i int) string { return cases[i].name }, func(t *testing.T, i int) {
		c := cases[i]
		table := h.RawTable(t, c.token, "S")
		cl, rec := hostileCounted(t, h)
		attrs := core.WithAttributes(c.token, c.data, c.expiry, c.ttl)
		s := h.Store(t, cl, core.WithTable(table), attrs, core.WithTokenPrefix("p:"))
		other := h.Store(t, h.Client(t), core.WithTable(table), attrs) // another app's, without a prefix
		rec.Take()
		if err := s.Ping(); err != nil {
			t.Fatalf("Ping: %v", err)
		}
		if err := s.Commit("tok", []byte("value"), time.Now().Add(time.Hour)); err != nil {
			t.Fatalf("Commit: %v", err)
		}
		if err := s.Commit("gone", []byte("expired"), time.Now().Add(-time.Hour)); err != nil {
			t.Fatalf("Commit: %v", err)
		}
		if err := other.Commit("other-app", []byte("x"), time.Now().Add(time.Hour)); err != nil {
			t.Fatalf("Commit: %v", err)
		}
		MustFind(t, s, "tok", []byte("value"))
		all, err := s.All()
		if err != nil || len(all) != 1 || string(all["tok"]) != "value" {
			t.Fatalf("All = %q, %v; want only tok", all, err)
		}
		if err := s.Delete("tok"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		hostileRequests(t, rec, "Ping, Commit, Commit, Find, All (4 segments) and Delete", 5+defaultScanSegments)
		item := h.Get(t, cl, table, c.token, "p:gone")
		for _, a := range []string{c.token, c.data, c.expiry, c.ttl} {
			if item[a].Type == driver.Missing {
				t.Errorf("raw item has no attribute %q: %v", a, item)
			}
		}
	})
}

// testHostileTables runs every call on a missing table and on tables with
// the wrong key: each is one request, and fails with DynamoDB's error (or
// ErrTableNotReady from Ping), never "not found", and without the token or
// data in the message.
func testHostileTables(t *testing.T, h *H) {
	t.Parallel()
	token, data := "SECRET-TOKEN-of-the-table-test", []byte("SECRET-DATA-of-the-table-test")
	cases := []struct {
		name  string
		table func(t *testing.T) string
		// code is the DynamoDB error code of Find, Commit and Delete's
		// errors.
		code string
		// allOK says whether All succeeds (a scan reads any table).
		allOK bool
	}{
		{"missing", func(t *testing.T) string { return testenv.TableName(t) }, codeNotFound, false},
		{"keyed by id", func(t *testing.T) string { return h.RawTable(t, "id", "S") }, "ValidationException", true},
		{"keyed by a number", func(t *testing.T) string { return h.RawTable(t, "token", "N") }, "ValidationException", true},
		{"keyed by binary", func(t *testing.T) string { return h.RawTable(t, "token", "B") }, "ValidationException", true},
	}
	together(t, len(cases), func(i int) string { return cases[i].name }, func(t *testing.T, i int) {
		c := cases[i]
		cl, rec := hostileCounted(t, h)
		s := h.Store(t, cl, core.WithTable(c.table(t)))
		rec.Take()
		check := func(op string, err error) {
			t.Helper()
			if code := h.ErrorCode(err); code != c.code {
				t.Errorf("%s = %v (code %q), want an error with code %s", op, err, code, c.code)
			}
			faultNoSecrets(t, err, token, data)
			hostileRequests(t, rec, op, 1)
		}
		b, found, err := s.Find(token)
		if found || b != nil {
			t.Errorf("Find = %q, %v with error %v", b, found, err)
		}
		check("Find", err)
		check("Commit", s.Commit(token, data, time.Now().Add(time.Hour)))
		check("Delete", s.Delete(token))
		if c.code == codeNotFound {
			check("Ping", s.Ping())
		} else if err := s.Ping(); !errors.Is(err, core.ErrTableNotReady) {
			t.Errorf("Ping = %v, want ErrTableNotReady", err)
		} else {
			hostileRequests(t, rec, "Ping", 1)
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

// testHostileMalformedItems writes items that the store did not write, and
// checks that Find and All report ErrMalformedItem with a message naming
// the attribute but holding neither token nor data.
func testHostileMalformedItems(t *testing.T, h *H) {
	t.Parallel()
	future := fmt.Sprint(time.Now().Add(time.Hour).UnixNano())
	secret := []byte("SECRET-DATA")
	cases := []struct {
		name string
		item map[string]driver.Value
		attr string // the attribute the errors name
		all  bool   // whether All reads the item too (it filters on the expiry number)
	}{
		{"data is a string", map[string]driver.Value{"data": S(string(secret)), "expiry": N(future)}, "data", true},
		{"data is missing", map[string]driver.Value{"expiry": N(future)}, "data", true},
		{"expiry is a string", map[string]driver.Value{"data": B(secret), "expiry": S(string(secret))}, "expiry", false},
		{"expiry is missing", map[string]driver.Value{"data": B(secret)}, "expiry", false},
		{"expiry is binary", map[string]driver.Value{"data": B(secret), "expiry": B([]byte("1"))}, "expiry", false},
	}
	together(t, len(cases), func(i int) string { return cases[i].name }, func(t *testing.T, i int) {
		c := cases[i]
		table := h.NewTable(t)
		cl := h.Client(t)
		s := h.Store(t, cl, core.WithTable(table))
		token := "SECRET-TOKEN-malformed"
		c.item["token"] = S(token)
		h.Put(t, cl, table, c.item)
		b, found, err := s.Find(token)
		if !errors.Is(err, core.ErrMalformedItem) || found || b != nil {
			t.Fatalf("Find = %q, %v, %v; want ErrMalformedItem", b, found, err)
		}
		if !strings.Contains(err.Error(), strconv.Quote(c.attr)) {
			t.Errorf("Find's error %v does not name the attribute %q", err, c.attr)
		}
		faultNoSecrets(t, err, token, secret)
		all, err := s.All()
		if c.all {
			if !errors.Is(err, core.ErrMalformedItem) || all != nil {
				t.Fatalf("All = %v, %v; want ErrMalformedItem", all, err)
			}
			if !strings.Contains(err.Error(), strconv.Quote(c.attr)) {
				t.Errorf("All's error %v does not name the attribute %q", err, c.attr)
			}
			faultNoSecrets(t, err, token, secret)
		} else if err != nil || len(all) != 0 {
			t.Fatalf("All = %v, %v; want no sessions", all, err)
		}
	})
}
