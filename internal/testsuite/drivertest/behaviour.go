package drivertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scs-stores/dynamostore/internal/core"
	"github.com/scs-stores/dynamostore/internal/core/driver"
)

// Behaviour and edges of the store's calls, as a user sees them.
func init() {
	add(
		test{"NamesDefaultAndFollowOptions", testNamesDefaultAndFollowOptions},
		test{"DefaultStoreSendsToTheDefaultTableAndAttribute", testDefaultStoreSendsToTheDefaultTable},
		test{"InvalidConfigIsRefusedAndSendsNoRequest", testInvalidConfigIsRefused},
		test{"CustomNamesRoundTripInTheItemFormat", testCustomNamesRoundTrip},
		test{"ReadsAreStronglyConsistentUnlessTurnedOff", testReadsAreStronglyConsistent},
		test{"MissingDeletedOrExpiredIsNotFoundAndExpiredIsLeftForTTL", testMissingOrExpiredIsNotFound},
		test{"InvalidTokensSendNoRequest", testInvalidTokensSendNoRequest},
		test{"CommitFindDeleteRoundTripOfEdgeTokensAndData", testRoundTripOfEdgeTokensAndData},
		test{"CommitOfNilDataStoresEmptyBinary", testCommitOfNilDataStoresEmptyBinary},
		test{"CommitWithExpiryInThePastIsStoredThenNotFound", testExpiryInThePast},
		test{"CommitWritesTheItemFormatWithTTLOneSecondAfterTheExpiryRoundedDown", testItemFormatAndTTL},
		test{"BinaryDataWithEveryByteValueRoundTrips", testEveryByteValue},
		test{"LargeDataRoundTrips", testLargeData},
		test{"CommitOverwritesDataAndExpiry", testCommitOverwrites},
		test{"DeleteOfAMissingTokenIsNil", testDeleteMissing},
		test{"FindReadsAnItemInTheOldFormat", testOldFormat},
		test{"TokenPrefixesShareOneTable", testTokenPrefixesShareOneTable},
		test{"ReservedWordAndOddAttributeNames", testReservedWordNames},
		test{"ConcurrentCommitsAndFindsOf64Goroutines", testConcurrentCommitsAndFinds},
		test{"PingChecksTheKeySchema", testPingChecksTheKeySchema},
		test{"MissingTableIsAnErrorNamingTheTableNotNotFound", testMissingTableIsAnError},
		test{"ContextEndsTheCall", testContextEndsTheCall},
	)
}

// inAnHour and anHourAgo are expiries of a live and an expired session.
func inAnHour() time.Time  { return time.Now().Add(time.Hour) }
func anHourAgo() time.Time { return time.Now().Add(-time.Hour) }

// recordedStore returns a store on table whose requests go through rec,
// with the SDK's retries on: read what it sent with rec.TakeCalls, which
// counts each call once, so that aws-sdk-go-v2 retrying an attempt whose
// connection dropped (as it now and then does on plain HTTP) neither fails
// the call nor adds a request.
func recordedStore(t *testing.T, h *H, rec *Recorder, table string, opts ...core.Option) Store {
	t.Helper()
	c := h.NewClient(t, ClientOptions{Transport: rec})
	return h.Store(t, c, append([]core.Option{core.WithTable(table)}, opts...)...)
}

// names returns a store's five names.
func names(s Store) [5]string {
	return [5]string{s.TableName(), s.TokenName(), s.DataName(), s.ExpiryName(), s.TTLName()}
}

func testNamesDefaultAndFollowOptions(t *testing.T, h *H) {
	t.Parallel()
	c := h.Client(t)
	defaults := [5]string{"scs_session", "token", "data", "expiry", "ttl"}
	tests := []struct {
		name string
		opts []core.Option
		want [5]string
	}{
		{"no options", nil, defaults},
		{"empty table and attribute names stand for the defaults",
			[]core.Option{core.WithTable(""), core.WithAttributes("", "", "", "")}, defaults},
		{"some names set", []core.Option{core.WithTable("sessions"), core.WithAttributes("id", "", "exp", "")},
			[5]string{"sessions", "id", "data", "exp", "ttl"}},
		{"every name set", []core.Option{core.WithTable("sessions"), core.WithAttributes("key", "name", "a.b", "my data")},
			[5]string{"sessions", "key", "name", "a.b", "my data"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := names(h.Store(t, c, tt.opts...)); got != tt.want {
				t.Errorf("names = %q, want %q", got, tt.want)
			}
		})
	}
}

// testDefaultStoreSendsToTheDefaultTable checks the requests only: the
// table need not exist.
func testDefaultStoreSendsToTheDefaultTable(t *testing.T, h *H) {
	t.Parallel()
	for _, opts := range [][]core.Option{nil, {core.WithTable("")}} {
		rec := &Recorder{}
		s := h.Store(t, h.NewClient(t, ClientOptions{Transport: rec, Retries: -1}), opts...)
		_, _, _ = s.Find("tok")
		reqs := rec.Take()
		if len(reqs) != 1 || reqs[0].Op != "GetItem" {
			t.Fatalf("%d options: requests = %v, want one GetItem", len(opts), Ops(reqs))
		}
		body := reqs[0].Body
		key, _ := body["Key"].(map[string]any)
		if body["TableName"] != "scs_session" || key["token"] == nil || len(key) != 1 {
			t.Errorf("%d options: GetItem = %v, want table scs_session keyed by token", len(opts), body)
		}
	}
}

func testInvalidConfigIsRefused(t *testing.T, h *H) {
	t.Parallel()
	rec := &Recorder{}
	c := h.NewClient(t, ClientOptions{Transport: rec, Retries: -1})
	tests := []struct {
		name string
		opts []core.Option
	}{
		{"table name too short", []core.Option{core.WithTable("ab")}},
		{"table name with a space", []core.Option{core.WithTable("my table")}},
		{"token and data with one name", []core.Option{core.WithAttributes("k", "k", "", "")}},
		{"token name longer than 255 bytes", []core.Option{core.WithAttributes(strings.Repeat("k", 256), "", "", "")}},
		{"expiry name not valid UTF-8", []core.Option{core.WithAttributes("", "", "e\xff", "")}},
		{"ttl name the expiry's", []core.Option{core.WithAttributes("", "", "x", "x")}},
		{"zero scan segments", []core.Option{core.WithScanSegments(0)}},
		{"too many scan segments", []core.Option{core.WithScanSegments(core.MaxScanSegments + 1)}},
		{"1,001 scan segments", []core.Option{core.WithScanSegments(1001)}},
		{"a million scan segments", []core.Option{core.WithScanSegments(1_000_000)}},
		{"prefix of 2048 bytes", []core.Option{core.WithTokenPrefix(strings.Repeat("p", 2048))}},
		{"prefix not UTF-8", []core.Option{core.WithTokenPrefix("\xff")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := h.NewStore(c, tt.opts...); !errors.Is(err, core.ErrInvalidConfig) {
				t.Fatalf("new store = %v, want ErrInvalidConfig", err)
			}
		})
	}
	if reqs := rec.Take(); len(reqs) != 0 {
		t.Errorf("refused configurations sent %v, want no request", Ops(reqs))
	}
}

func testCustomNamesRoundTrip(t *testing.T, h *H) {
	t.Parallel()
	tests := []struct{ token, data, expiry, ttl string }{
		{"key", "name", "a.b", "my data"},
		{"my data", "a.b", "name", "key"},
		{"a.b", "my data", "key", "name"},
		{"#t", ":now", "#e", "x y.z"}, // names that look like the placeholders
	}
	for _, n := range tests {
		t.Run(fmt.Sprintf("%q", [4]string{n.token, n.data, n.expiry, n.ttl}), func(t *testing.T) {
			t.Parallel()
			c := h.Client(t)
			table := h.RawTable(t, n.token, "S")
			s := h.Store(t, c, core.WithTable(table), core.WithAttributes(n.token, n.data, n.expiry, n.ttl))
			expiry := time.Unix(4102444800, 5) // 2100
			for _, tok := range []string{"tok1", "tok2"} {
				if err := s.Commit(tok, []byte(tok[3:]), expiry); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Commit("gone", []byte("old"), anHourAgo()); err != nil {
				t.Fatal(err)
			}
			MustFind(t, s, "tok1", []byte("1"))
			MustNotFind(t, s, "gone")

			item := h.Get(t, c, table, n.token, "tok1")
			if len(item) != 4 || !sameValue(item[n.token], S("tok1")) || !isBinary(item[n.data], "1") ||
				!sameValue(item[n.expiry], N("4102444800000000005")) || !sameValue(item[n.ttl], N("4102444801")) {
				t.Errorf("stored item = %v", item)
			}
			all, err := s.All()
			if err != nil || len(all) != 2 || string(all["tok1"]) != "1" || string(all["tok2"]) != "2" {
				t.Fatalf("All = %q, %v; want tok1 and tok2", all, err)
			}
			if err := s.Delete("tok1"); err != nil {
				t.Fatal(err)
			}
			if item := h.Get(t, c, table, n.token, "tok1"); item != nil {
				t.Errorf("item after Delete = %v", item)
			}
			if err := s.Ping(); err != nil {
				t.Errorf("Ping = %v", err)
			}
		})
	}
}

// sameValue reports whether a and b are the same attribute value.
func sameValue(a, b driver.Value) bool {
	return a.Type == b.Type && a.Text == b.Text && bytes.Equal(a.Bytes, b.Bytes)
}

// isBinary reports whether v is the binary value data.
func isBinary(v driver.Value, data string) bool {
	return v.Type == driver.Binary && string(v.Bytes) == data
}

// testReadsAreStronglyConsistent checks the requests: local engines are
// always consistent, so only the request shows the difference.
func testReadsAreStronglyConsistent(t *testing.T, h *H) {
	t.Parallel()
	table := h.NewTable(t)
	rec := &Recorder{}
	s := recordedStore(t, h, rec, table)
	if err := s.Commit("tok", []byte("x"), inAnHour()); err != nil {
		t.Fatal(err)
	}
	MustFind(t, s, "tok", []byte("x"))
	if _, err := s.All(); err != nil {
		t.Fatal(err)
	}
	reqs := rec.TakeCalls()
	for _, r := range reqs {
		if (r.Op == "GetItem" || r.Op == "Scan") && r.Body["ConsistentRead"] != true {
			t.Errorf("%s request without ConsistentRead: %v", r.Op, r.Body)
		}
	}
	if gets, scans := Count(reqs, "GetItem"), Count(reqs, "Scan"); gets != 1 || scans == 0 {
		t.Errorf("saw %d GetItem and %d Scan requests, want 1 and some", gets, scans)
	}

	s = recordedStore(t, h, rec, table, core.WithConsistentRead(false))
	MustFind(t, s, "tok", []byte("x"))
	if _, err := s.All(); err != nil {
		t.Fatal(err)
	}
	reqs = rec.TakeCalls()
	for _, r := range reqs {
		if r.Body["ConsistentRead"] == true {
			t.Errorf("with WithConsistentRead(false): %s request with ConsistentRead: %v", r.Op, r.Body)
		}
	}
	if gets, scans := Count(reqs, "GetItem"), Count(reqs, "Scan"); gets != 1 || scans == 0 {
		t.Errorf("with WithConsistentRead(false): saw %d GetItem and %d Scan requests, want 1 and some", gets, scans)
	}
}

func testMissingOrExpiredIsNotFound(t *testing.T, h *H) {
	t.Parallel()
	c := h.Client(t)
	table := h.NewTable(t)
	rec := &Recorder{}
	s := recordedStore(t, h, rec, table)
	MustNotFind(t, s, "never-written")
	if err := s.Commit("past", []byte("old"), time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	soon := time.Now().Add(1500 * time.Millisecond)
	if err := s.Commit("soon", []byte("brief"), soon); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit("live", []byte("new"), inAnHour()); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit("deleted", []byte("x"), inAnHour()); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete("deleted"); err != nil {
		t.Fatal(err)
	}
	MustNotFind(t, s, "deleted")
	MustNotFind(t, s, "past")
	if item := h.Get(t, c, table, "token", "past"); item == nil {
		t.Fatal("Find deleted the expired item; it must leave it for Time To Live")
	}
	// "soon" must be found while its expiry has not passed, which is only
	// sure when the Find ended before it: on a loaded machine the six
	// requests above may outlast its life.
	_, found, err := s.Find("soon")
	switch {
	case err != nil:
		t.Fatalf("Find(soon) = %v", err)
	case !found && time.Now().Before(soon):
		t.Fatal("Find(soon) before its expiry = not found; want found")
	case !found:
		t.Logf("the requests before Find(soon) outlasted its 1.5 s life; skipped the check before its expiry")
	}
	time.Sleep(time.Until(soon) + 100*time.Millisecond)
	MustNotFind(t, s, "soon")
	all, err := s.All()
	if err != nil || len(all) != 1 || string(all["live"]) != "new" {
		t.Fatalf("All = %q, %v; want only live", all, err)
	}
	for _, r := range rec.TakeCalls() {
		switch r.Op {
		case "GetItem", "PutItem", "Scan":
		case "DeleteItem":
			if key, _ := r.Body["Key"].(map[string]any); fmt.Sprint(key["token"]) != "map[S:deleted]" {
				t.Errorf("DeleteItem of %v: only the session Delete was called for may be deleted", key)
			}
		default:
			t.Errorf("unexpected %s request", r.Op)
		}
	}
}

func testInvalidTokensSendNoRequest(t *testing.T, h *H) {
	t.Parallel()
	table := h.SharedTable(t)
	tests := []struct{ name, prefix, token string }{
		{"empty", "", ""},
		{"2049 bytes", "", strings.Repeat("a", 2049)},
		{"invalid UTF-8", "", "tok\xff\xfe"},
		{"truncated UTF-8", "", "tok\xe2\x82"},
		{"2048 bytes behind a prefix", "app:", strings.Repeat("t", 2048)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &Recorder{}
			s := recordedStore(t, h, rec, table, core.WithTokenPrefix(tt.prefix))
			ctx := context.Background()
			if got, found, err := s.Find(tt.token); err != nil || found || got != nil {
				t.Errorf("Find = %q, %v, %v; want nil, false, nil", got, found, err)
			}
			if got, found, err := s.FindCtx(ctx, tt.token); err != nil || found || got != nil {
				t.Errorf("FindCtx = %q, %v, %v; want nil, false, nil", got, found, err)
			}
			if err := s.Delete(tt.token); err != nil {
				t.Errorf("Delete = %v, want nil", err)
			}
			if err := s.DeleteCtx(ctx, tt.token); err != nil {
				t.Errorf("DeleteCtx = %v, want nil", err)
			}
			for op, err := range map[string]error{
				"Commit":    s.Commit(tt.token, []byte("x"), inAnHour()),
				"CommitCtx": s.CommitCtx(ctx, tt.token, []byte("x"), inAnHour()),
			} {
				if !errors.Is(err, core.ErrInvalidToken) {
					t.Errorf("%s = %v, want ErrInvalidToken", op, err)
				} else if tt.token != "" && strings.Contains(err.Error(), tt.token) {
					t.Errorf("%s error contains the token", op)
				} else if !strings.Contains(err.Error(), "commit to") {
					t.Errorf("%s error %q does not name the operation", op, err)
				}
			}
			if reqs := rec.TakeCalls(); len(reqs) != 0 {
				t.Errorf("requests = %v, want none", Ops(reqs))
			}
		})
	}
}

func testRoundTripOfEdgeTokensAndData(t *testing.T, h *H) {
	t.Parallel()
	s := h.Store(t, h.Client(t), core.WithTable(h.NewTable(t)))
	tests := []struct {
		name, token string
		data, want  []byte
	}{
		{"text", "tok", []byte("hello"), []byte("hello")},
		{"binary", "bin", []byte{0, 1, 2, 255, 254}, []byte{0, 1, 2, 255, 254}},
		{"nil data is empty", "nil", nil, []byte{}},
		{"unicode token", "ключ-🔑", []byte("x"), []byte("x")},
		{"token of 2048 ASCII bytes", strings.Repeat("t", 2048), []byte("long"), []byte("long")},
		{"token of 2048 bytes in 1024 runes", strings.Repeat("é", 1024), []byte("é"), []byte("é")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.Commit(tt.token, tt.data, inAnHour()); err != nil {
				t.Fatal(err)
			}
			got, found, err := s.Find(tt.token)
			if err != nil || !found || !bytes.Equal(got, tt.want) || got == nil {
				t.Fatalf("Find = %q, %v, %v; want %q, true, nil", got, found, err, tt.want)
			}
			all, err := s.All()
			if d, ok := all[tt.token]; err != nil || !ok || !bytes.Equal(d, tt.want) {
				t.Fatalf("All = %d sessions, %v; want the session's data", len(all), err)
			}
			if err := s.Delete(tt.token); err != nil {
				t.Fatal(err)
			}
			MustNotFind(t, s, tt.token)
			if err := s.Delete(tt.token); err != nil {
				t.Fatalf("Delete of a missing session = %v; want nil", err)
			}
		})
	}
}

func testCommitOfNilDataStoresEmptyBinary(t *testing.T, h *H) {
	t.Parallel()
	c := h.Client(t)
	table := h.NewTable(t)
	s := h.Store(t, c, core.WithTable(table))
	if err := s.Commit("nil", nil, inAnHour()); err != nil {
		t.Fatal(err)
	}
	if d := h.Get(t, c, table, "token", "nil")["data"]; d.Type != driver.Binary || len(d.Bytes) != 0 {
		t.Fatalf("stored data = %v, want empty binary", d)
	}
	got, found, err := s.Find("nil")
	if err != nil || !found || got == nil || len(got) != 0 {
		t.Fatalf("Find = %#v, %v, %v; want empty non-nil data, true, nil", got, found, err)
	}
	all, err := s.All()
	if d, ok := all["nil"]; err != nil || !ok || d == nil || len(d) != 0 {
		t.Fatalf("All = %q, %v; want the session with empty data", all, err)
	}
}

func testExpiryInThePast(t *testing.T, h *H) {
	t.Parallel()
	c := h.Client(t)
	table := h.NewTable(t)
	s := h.Store(t, c, core.WithTable(table))
	for token, expiry := range map[string]time.Time{
		"hour ago":    anHourAgo(),
		"epoch":       time.Unix(0, 0),
		"before 1970": time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC),
		"zero time":   {},
	} {
		if err := s.Commit(token, []byte("x"), expiry); err != nil {
			t.Fatalf("Commit(%s) = %v", token, err)
		}
		if h.Get(t, c, table, "token", token) == nil {
			t.Fatalf("Commit(%s) stored nothing", token)
		}
		MustNotFind(t, s, token)
	}
	all, err := s.All()
	if err != nil || all == nil || len(all) != 0 {
		t.Fatalf("All = %q, %v; want no sessions", all, err)
	}
}

func testItemFormatAndTTL(t *testing.T, h *H) {
	t.Parallel()
	c := h.Client(t)
	table := h.SharedTable(t)
	s := h.Store(t, c, core.WithTable(table))
	now := time.Now()
	expiries := map[string]time.Time{
		"with nanoseconds": now.Add(time.Hour),
		"whole second":     time.Unix(now.Unix()+3600, 0),
		"last nanosecond":  time.Unix(now.Unix()+3600, 999999999),
		"year 2033":        time.Unix(2000000000, 123456789),
		"year 2200":        time.Date(2200, 6, 1, 12, 0, 0, 1, time.UTC),
	}
	for name, expiry := range expiries {
		t.Run(name, func(t *testing.T) {
			token := t.Name()
			if err := s.Commit(token, []byte("d"), expiry); err != nil {
				t.Fatal(err)
			}
			item := h.Get(t, c, table, "token", token)
			if len(item) != 4 || !sameValue(item["token"], S(token)) || !isBinary(item["data"], "d") {
				t.Fatalf("item = %v; want token, data d, expiry and ttl", item)
			}
			if got, want := item["expiry"], N(strconv.FormatInt(expiry.UnixNano(), 10)); !sameValue(got, want) {
				t.Errorf("expiry = %v, want %v", got, want)
			}
			if item["ttl"].Type != driver.Number {
				t.Fatalf("ttl = %v, want a number", item["ttl"])
			}
			ttl, err := strconv.ParseInt(item["ttl"].Text, 10, 64)
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

func testEveryByteValue(t *testing.T, h *H) {
	t.Parallel()
	s := h.Store(t, h.Client(t), core.WithTable(h.NewTable(t)))
	data := make([]byte, 0, 512)
	for i := range 256 {
		data = append(data, byte(i))
	}
	for i := range 256 {
		data = append(data, byte(255-i))
	}
	if err := s.Commit("bytes", data, inAnHour()); err != nil {
		t.Fatal(err)
	}
	MustFind(t, s, "bytes", data)
	all, err := s.All()
	if err != nil || !bytes.Equal(all["bytes"], data) {
		t.Fatalf("All = %d sessions, %v; want the data back", len(all), err)
	}
}

func testLargeData(t *testing.T, h *H) {
	t.Parallel()
	s := h.Store(t, h.Client(t), core.WithTable(h.SharedTable(t)))
	data := make([]byte, 350<<10)
	for i := range data {
		data[i] = byte(i * 7 % 251)
	}
	if err := s.Commit(t.Name(), data, inAnHour()); err != nil {
		t.Fatal(err)
	}
	got, found, err := s.Find(t.Name())
	if err != nil || !found || !bytes.Equal(got, data) {
		t.Fatalf("Find = %d bytes, %v, %v; want the %d bytes back", len(got), found, err, len(data))
	}
}

func testCommitOverwrites(t *testing.T, h *H) {
	t.Parallel()
	s := h.Store(t, h.Client(t), core.WithTable(h.SharedTable(t)))
	token := t.Name()
	steps := []struct {
		data   string
		expiry time.Time
		live   bool
	}{
		{"first", inAnHour(), true},
		{"second", inAnHour(), true},
		{"third", anHourAgo(), false},
		{"fourth", inAnHour(), true},
	}
	for _, st := range steps {
		if err := s.Commit(token, []byte(st.data), st.expiry); err != nil {
			t.Fatal(err)
		}
		if st.live {
			MustFind(t, s, token, []byte(st.data))
		} else {
			MustNotFind(t, s, token)
		}
	}
}

func testDeleteMissing(t *testing.T, h *H) {
	t.Parallel()
	s := h.Store(t, h.Client(t), core.WithTable(h.SharedTable(t)))
	token := t.Name()
	if err := s.Delete(token + "-never-written"); err != nil {
		t.Errorf("Delete = %v, want nil", err)
	}
	if err := s.DeleteCtx(context.Background(), token+"-never-written"); err != nil {
		t.Errorf("DeleteCtx = %v, want nil", err)
	}
	if err := s.Commit(token, []byte("x"), inAnHour()); err != nil {
		t.Fatal(err)
	}
	for i := range 2 { // the second Delete finds nothing
		if err := s.Delete(token); err != nil {
			t.Fatalf("Delete #%d = %v", i+1, err)
		}
	}
	MustNotFind(t, s, token)
}

// testOldFormat writes items as the SCS v1 store did: token S, data B,
// expiry N in Unix nanoseconds, ttl N in Unix seconds.
func testOldFormat(t *testing.T, h *H) {
	t.Parallel()
	c := h.Client(t)
	table := h.NewTable(t)
	s := h.Store(t, c, core.WithTable(table))
	expiry := inAnHour()
	h.Put(t, c, table, map[string]driver.Value{
		"token":  S("v1-token"),
		"data":   B([]byte("v1 data")),
		"expiry": N(strconv.FormatInt(expiry.UnixNano(), 10)),
		"ttl":    N(strconv.FormatInt(expiry.Add(time.Second).Unix(), 10)),
	})
	h.Put(t, c, table, map[string]driver.Value{
		"token":  S("v1-expired"),
		"data":   B([]byte("old")),
		"expiry": N(strconv.FormatInt(anHourAgo().UnixNano(), 10)),
		"ttl":    N(strconv.FormatInt(anHourAgo().Unix(), 10)),
	})
	MustFind(t, s, "v1-token", []byte("v1 data"))
	MustNotFind(t, s, "v1-expired")
	all, err := s.All()
	if err != nil || len(all) != 1 || string(all["v1-token"]) != "v1 data" {
		t.Fatalf("All = %q, %v; want only v1-token", all, err)
	}
	// A v1 table keeps working after a Commit through the new store.
	if err := s.Commit("v1-token", []byte("v2 data"), expiry); err != nil {
		t.Fatal(err)
	}
	MustFind(t, s, "v1-token", []byte("v2 data"))
}

func testTokenPrefixesShareOneTable(t *testing.T, h *H) {
	t.Parallel()
	c := h.Client(t)
	table := h.NewTable(t)
	stores := map[string]Store{}
	for _, prefix := range []string{"", "a:", "b:"} {
		stores[prefix] = h.Store(t, c, core.WithTable(table), core.WithTokenPrefix(prefix))
	}
	for prefix, s := range stores {
		if err := s.Commit("tok", []byte("from "+prefix), inAnHour()); err != nil {
			t.Fatal(err)
		}
	}
	if item := h.Get(t, c, table, "token", "a:tok"); item == nil {
		t.Fatal(`the prefixed store did not write the key "a:tok"`)
	}
	for prefix, s := range stores {
		MustFind(t, s, "tok", []byte("from "+prefix))
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
	MustNotFind(t, stores["a:"], "tok")
	MustFind(t, stores["b:"], "tok", []byte("from b:"))
}

func testReservedWordNames(t *testing.T, h *H) {
	t.Parallel()
	c := h.Client(t)
	table := h.RawTable(t, "name", "S")
	// "name", "values", "date" are reserved words of DynamoDB; a dot or a
	// space would split a bare expression.
	attrs := []string{"name", "values", "date.time", "ttl at"}
	s := h.Store(t, c, core.WithTable(table), core.WithAttributes(attrs[0], attrs[1], attrs[2], attrs[3]))
	if err := s.Ping(); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit("tok", []byte("v"), inAnHour()); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit("old", []byte("o"), anHourAgo()); err != nil {
		t.Fatal(err)
	}
	item := h.Get(t, c, table, "name", "tok")
	for _, attr := range attrs {
		if item[attr].Type == driver.Missing {
			t.Errorf("item lacks attribute %q: %v", attr, item)
		}
	}
	MustFind(t, s, "tok", []byte("v"))
	MustNotFind(t, s, "old")
	if all, err := s.All(); err != nil || len(all) != 1 || string(all["tok"]) != "v" {
		t.Fatalf("All = %q, %v", all, err)
	}
	if err := s.Delete("tok"); err != nil {
		t.Fatal(err)
	}
	MustNotFind(t, s, "tok")
}

func testConcurrentCommitsAndFinds(t *testing.T, h *H) {
	t.Parallel()
	s := h.Store(t, h.Client(t), core.WithTable(h.NewTable(t)))
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
				if err := s.Commit(own, want, inAnHour()); err != nil {
					errs <- err
					return
				}
				got, found, err := s.Find(own)
				if err != nil || !found || !bytes.Equal(got, want) {
					errs <- fmt.Errorf("%s: Find = %q, %v, %v; want %q", own, got, found, err, want)
					return
				}
				// Everyone also writes and reads one shared session.
				if err := s.Commit("shared", []byte(own), inAnHour()); err != nil {
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

// testPingChecksTheKeySchema covers the schemas the harness can create; the
// statuses a local engine cannot hold, and sort keys, are in package core's
// unit tests.
func testPingChecksTheKeySchema(t *testing.T, h *H) {
	t.Parallel()
	tests := []struct {
		name, key, keyType string
		ok                 bool
	}{
		{"hash key token of type S", "token", "S", true},
		{"hash key with another name", "id", "S", false},
		{"hash key of type N", "token", "N", false},
		{"hash key of type B", "token", "B", false},
	}
	c := h.Client(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			table := h.RawTable(t, tt.key, tt.keyType)
			err := h.Store(t, c, core.WithTable(table)).Ping()
			if tt.ok {
				if err != nil {
					t.Fatalf("Ping = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, core.ErrTableNotReady) || !strings.Contains(err.Error(), strconv.Quote(table)) {
				t.Fatalf("Ping = %v, want ErrTableNotReady naming the table", err)
			}
		})
	}
}

func testMissingTableIsAnError(t *testing.T, h *H) {
	t.Parallel()
	c := h.Client(t)
	table := h.SharedTable(t) + "_missing"
	s := h.Store(t, c, core.WithTable(table))
	const token = "tok-SECRET-77"
	_, found, findErr := s.Find(token)
	if found {
		t.Error("Find on a missing table reported found")
	}
	all, allErr := s.All()
	if all != nil {
		t.Errorf("All on a missing table = %v, want nil", all)
	}
	_, delErr := s.DeleteExpired(context.Background())
	for op, err := range map[string]error{
		"Find":          findErr,
		"Commit":        s.Commit(token, []byte("x"), inAnHour()),
		"Delete":        s.Delete(token),
		"All":           allErr,
		"DeleteExpired": delErr,
		"Ping":          s.Ping(),
	} {
		if code := h.ErrorCode(err); code != codeNotFound {
			t.Errorf("%s = %v (code %q), want the SDK's ResourceNotFoundException", op, err, code)
			continue
		}
		if errors.Is(err, core.ErrTableNotReady) {
			t.Errorf("%s = %v, want DynamoDB's error, not ErrTableNotReady", op, err)
		}
		if !strings.Contains(err.Error(), table) || strings.Contains(err.Error(), "SECRET") {
			t.Errorf("%s error %q should name the table and not the token", op, err)
		}
	}
}

// stallingTransport never answers: it tells sent of a request, then waits
// until the request's context ends.
type stallingTransport struct{ sent chan struct{} }

func (s stallingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	select {
	case s.sent <- struct{}{}:
	default:
	}
	<-r.Context().Done()
	return nil, r.Context().Err()
}

func testContextEndsTheCall(t *testing.T, h *H) {
	t.Parallel()
	table := h.SharedTable(t)
	token := t.Name()
	live := h.Store(t, h.Client(t), core.WithTable(table))
	if err := live.Commit(token, []byte("x"), inAnHour()); err != nil {
		t.Fatal(err)
	}
	stall := stallingTransport{sent: make(chan struct{}, 1)}
	stalled := h.Store(t, h.NewClient(t, ClientOptions{Transport: stall}), core.WithTable(table))
	calls := map[string]func(context.Context, Store) error{
		"FindCtx": func(ctx context.Context, s Store) error {
			b, found, err := s.FindCtx(ctx, token)
			if found || b != nil {
				return fmt.Errorf("FindCtx found the session: %w", err)
			}
			return err
		},
		"CommitCtx": func(ctx context.Context, s Store) error {
			return s.CommitCtx(ctx, token, []byte("y"), inAnHour())
		},
		"DeleteCtx": func(ctx context.Context, s Store) error { return s.DeleteCtx(ctx, token) },
		"AllCtx": func(ctx context.Context, s Store) error {
			m, err := s.AllCtx(ctx)
			if m != nil {
				return fmt.Errorf("AllCtx returned a map: %w", err)
			}
			return err
		},
		"PingCtx": func(ctx context.Context, s Store) error { return s.PingCtx(ctx) },
		"DeleteExpired": func(ctx context.Context, s Store) error {
			_, err := s.DeleteExpired(ctx)
			return err
		},
	}
	for name, call := range calls {
		t.Run(name+" with a cancelled context", func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			if err := call(ctx, live); !errors.Is(err, context.Canceled) {
				t.Errorf("error = %v, want context.Canceled", err)
			}
		})
		t.Run(name+" past its deadline before the call", func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
			defer cancel()
			<-ctx.Done()
			if err := call(ctx, live); !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("error = %v, want context.DeadlineExceeded", err)
			}
		})
		t.Run(name+" cancelled in flight", func(t *testing.T) {
			select { // a request of an earlier call may have told it
			case <-stall.sent:
			default:
			}
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
	MustFind(t, live, token, []byte("x")) // nothing above reached the table
}
