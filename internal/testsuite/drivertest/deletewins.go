package drivertest

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/scs-stores/dynamostore/internal/core"
)

func init() {
	add(
		test{"DeleteWinsAcrossTwoStoresOnOneTable", testDeleteWinsTwoStores},
		test{"DeleteWinsLeavesACommitWithoutAFindUnconditional", testDeleteWinsNoFind},
		test{"DeleteWinsLogoutRacedByARequestInFlightSticks", testDeleteWinsLogoutRace},
		test{"DeleteWinsRenewTokenRacedByARequestInFlightSticks", testDeleteWinsRenewRace},
		test{"StatsCountEveryOutcome", testStatsCountEveryOutcome},
	)
}

// bothOptions are the two options of issue 15 together, with the touch
// interval of the race tests.
func bothOptions() []core.Option {
	return []core.Option{core.WithDeleteWins(true), core.WithTouchInterval(time.Minute)}
}

// isConditional reports whether a recorded PutItem was conditional.
func isConditional(q Request) bool {
	_, ok := q.Body["ConditionExpression"]
	return ok
}

// putCounts returns how many of the calls in reqs are PutItems, and how
// many of those were conditional; an SDK's retries are not counted (see
// Calls).
func putCounts(reqs []Request) (n, cond int) {
	for _, q := range Calls(reqs) {
		if q.Op == "PutItem" {
			n++
			if isConditional(q) {
				cond++
			}
		}
	}
	return n, cond
}

// testDeleteWinsTwoStores: two stores with delete-wins on one table, as two
// app servers. A session either store found is updated by both; once one
// deletes it, neither brings it back, and a refused commit writes nothing.
// A store without the option still recreates it, as SCS's contract says.
func testDeleteWinsTwoStores(t *testing.T, h *H) {
	t.Parallel()
	table := h.SharedTable(t)
	rec := &Recorder{}
	a := h.Store(t, h.NewClient(t, ClientOptions{Transport: rec}), core.WithTable(table), core.WithDeleteWins(true))
	b := h.Store(t, h.Client(t), core.WithTable(table), core.WithDeleteWins(true))
	plain := h.Store(t, h.Client(t), core.WithTable(table))
	token := t.Name()
	expiry := time.Now().Add(time.Hour)
	commit := func(s Store, data string) error { return s.Commit(token, []byte(data), expiry) }

	if err := commit(a, "v1"); err != nil {
		t.Fatal(err)
	}
	if n, cond := putCounts(rec.Take()); n != 1 || cond != 0 {
		t.Fatalf("commit of a new session: %d PutItems, %d conditional; want 1, unconditional", n, cond)
	}
	MustFind(t, a, token, []byte("v1"))
	MustFind(t, b, token, []byte("v1"))
	if err := commit(b, "v2"); err != nil {
		t.Fatalf("b's commit of a session it found: %v", err)
	}
	if err := commit(a, "v3"); err != nil {
		t.Fatalf("a's commit of a session it found, updated by b: %v", err)
	}
	if n, cond := putCounts(rec.Take()); n != 1 || cond != 1 {
		t.Fatalf("commit of a found session: %d PutItems, %d conditional; want 1, conditional", n, cond)
	}
	MustFind(t, b, token, []byte("v3"))

	if err := b.Delete(token); err != nil {
		t.Fatal(err)
	}
	err := commit(a, "v4")
	if !errors.Is(err, core.ErrSessionDeleted) {
		t.Fatalf("a's commit after b's delete = %v, want ErrSessionDeleted", err)
	}
	if msg := err.Error(); strings.Count(msg, table) != 1 || !strings.Contains(msg, "commit") || strings.Contains(msg, token) || strings.Contains(msg, "\n") {
		t.Errorf("refusal reads %q: want one line naming the commit and the table once, without the token", msg)
	}
	if err := commit(b, "v5"); !errors.Is(err, core.ErrSessionDeleted) {
		t.Fatalf("b's commit after its own delete = %v, want ErrSessionDeleted", err)
	}
	if item := h.Get(t, h.Client(t), table, "token", token); item != nil {
		t.Fatalf("refused commits left an item: %v", item)
	}
	if sa, sb := a.Stats(), b.Stats(); sa.CommitsRefused != 1 || sb.CommitsRefused != 1 || sa.CommitsWritten != 2 || sb.CommitsWritten != 1 || sa.Errors+sb.Errors != 0 {
		t.Errorf("stats: a %+v, b %+v; want 2 and 1 written, 1 refused each, no errors", sa, sb)
	}

	// Without the option, the store keeps SCS's contract: Commit adds.
	MustNotFind(t, plain, token)
	if err := commit(plain, "v6"); err != nil {
		t.Fatal(err)
	}
	MustFind(t, plain, token, []byte("v6"))
}

// testDeleteWinsNoFind: a commit with no Find before it, as SCS's Iterate
// makes, or of a session the store's Find did not find, is written as
// without the option: unconditionally.
func testDeleteWinsNoFind(t *testing.T, h *H) {
	t.Parallel()
	table := h.SharedTable(t)
	rec := &Recorder{}
	s := h.Store(t, h.NewClient(t, ClientOptions{Transport: rec}), append(bothOptions(), core.WithTable(table))...)
	plain := h.Store(t, h.Client(t), core.WithTable(table))
	token, fresh := t.Name()+"-iterated", t.Name()+"-fresh"
	expiry := time.Now().Add(time.Hour)
	if err := plain.Commit(token, []byte("v1"), expiry); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(token, []byte("v2"), expiry); err != nil {
		t.Fatalf("commit without a find: %v", err)
	}
	MustNotFind(t, s, fresh)
	if err := s.Commit(fresh, []byte("new"), expiry); err != nil {
		t.Fatalf("commit of a session not found: %v", err)
	}
	if n, cond := putCounts(rec.Take()); n != 2 || cond != 0 {
		t.Fatalf("%d PutItems, %d conditional; want 2, unconditional", n, cond)
	}
	MustFind(t, plain, token, []byte("v2"))
	MustFind(t, plain, fresh, []byte("new"))
}

// testStatsCountEveryOutcome makes one call of each outcome and checks that
// Stats counts each once, in its place.
func testStatsCountEveryOutcome(t *testing.T, h *H) {
	t.Parallel()
	table := h.SharedTable(t)
	s := h.Store(t, h.Client(t), append(bothOptions(), core.WithTable(table))...)
	other := h.Store(t, h.Client(t), core.WithTable(table))
	token, expired := t.Name(), t.Name()+"-expired"
	expiry := time.Now().Add(time.Hour).Truncate(time.Second)
	if s := s.Stats(); s != (core.Stats{}) {
		t.Fatalf("a new store's Stats = %+v, want zero", s)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	MustNotFind(t, s, token)                                         // not found
	MustNotFind(t, s, "")                                            // not found, no request
	must(s.Commit(expired, []byte("x"), time.Now().Add(-time.Hour))) // written
	MustNotFind(t, s, expired)                                       // expired
	must(s.Commit(token, []byte("x"), expiry))                       // written
	MustFind(t, s, token, []byte("x"))                               // found
	must(s.Commit(token, []byte("x"), expiry.Add(time.Second)))      // skipped
	must(s.Commit(token, []byte("y"), expiry))                       // written
	must(other.Delete(token))
	if err := s.Commit(token, []byte("z"), expiry); !errors.Is(err, core.ErrSessionDeleted) { // refused
		t.Fatalf("commit after a delete = %v, want ErrSessionDeleted", err)
	}
	must(s.Delete(token))                                                                // deleted
	must(s.Delete(""))                                                                   // not counted
	if err := s.Commit("", []byte("x"), expiry); !errors.Is(err, core.ErrInvalidToken) { // error
		t.Fatalf("commit of an empty token = %v", err)
	}
	if err := s.Commit(token, make([]byte, core.MaxItemBytes), expiry); !errors.Is(err, core.ErrItemTooLarge) { // error
		t.Fatalf("commit of 400 KB = %v", err)
	}
	got := s.Stats()
	if got.RememberedBytes <= int64(len(token)) {
		t.Errorf("RememberedBytes = %d, want more than the key's %d", got.RememberedBytes, len(token))
	}
	got.RememberedBytes = 0
	want := core.Stats{
		FindsFound: 1, FindsNotFound: 2, FindsExpired: 1,
		CommitsWritten: 3, CommitsSkipped: 1, CommitsRefused: 1,
		Deletes: 1, Errors: 2,
		RememberedSessions: 1, // the session found; not-found ones are not kept
	}
	if got != want {
		t.Fatalf("Stats = %+v\nwant    %+v", got, want)
	}
}

// raceApp is one app server of the race tests: SCS's LoadAndSave with an
// idle timeout, on a store of its own. Its handlers log in (five values),
// get, put, log out (Destroy) and renew the token; /hold loads the session,
// tells the test, and waits for its word before reading or changing the
// session and answering, so that a test can act between a request's load
// and its commit without sleeping. ErrorFunc answers 409 Conflict for
// ErrSessionDeleted, 500 for anything else.
type raceApp struct {
	sm      *scs.SessionManager
	store   Store
	rec     *Recorder
	base    string
	refused atomic.Int64 // ErrorFunc calls with ErrSessionDeleted
	failed  atomic.Int64 // other ErrorFunc calls

	mu    sync.Mutex
	holds map[string]*holdPoint
}

// holdPoint is a request held between its load and its commit.
type holdPoint struct {
	loaded  chan struct{} // closed by the handler once the session is loaded
	release chan struct{} // closed by the test to let the handler go on
}

// loginValues are the values of a logged-in session: several, so that
// SCS's gob codec encodes them in a different order from one commit to the
// next.
var loginValues = map[string]any{"user": "ada", "role": "admin", "cart": 3, "theme": "dark", "v": "login"}

// newRaceApp starts an app server over a store on table, configured by
// opts; configure, when not nil, adjusts its session manager.
func newRaceApp(t testing.TB, h *H, table string, configure func(*scs.SessionManager), opts ...core.Option) *raceApp {
	t.Helper()
	app := &raceApp{rec: &Recorder{}, holds: map[string]*holdPoint{}}
	app.store = h.Store(t, h.NewClient(t, ClientOptions{Transport: app.rec}), append(opts, core.WithTable(table))...)
	sm := scs.New()
	sm.Store = app.store
	sm.Lifetime = 24 * time.Hour
	sm.IdleTimeout = 20 * time.Minute
	sm.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) {
		if errors.Is(err, core.ErrSessionDeleted) {
			app.refused.Add(1)
			http.Error(w, err.Error(), http.StatusConflict)
			return
		}
		app.failed.Add(1)
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
	if configure != nil {
		configure(sm)
	}
	app.sm = sm
	mux := http.NewServeMux()
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		if err := sm.RenewToken(r.Context()); err != nil {
			sm.ErrorFunc(w, r, err)
			return
		}
		for k, v := range loginValues {
			sm.Put(r.Context(), k, v)
		}
		io.WriteString(w, "ok")
	})
	mux.HandleFunc("/get", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, sm.GetString(r.Context(), "v"))
	})
	mux.HandleFunc("/put", func(w http.ResponseWriter, r *http.Request) {
		sm.Put(r.Context(), "v", r.URL.Query().Get("v"))
		io.WriteString(w, "ok")
	})
	mux.HandleFunc("/logout", func(w http.ResponseWriter, r *http.Request) {
		if err := sm.Destroy(r.Context()); err != nil {
			sm.ErrorFunc(w, r, err)
			return
		}
		io.WriteString(w, "ok")
	})
	mux.HandleFunc("/renew", func(w http.ResponseWriter, r *http.Request) {
		if err := sm.RenewToken(r.Context()); err != nil {
			sm.ErrorFunc(w, r, err)
			return
		}
		io.WriteString(w, "ok")
	})
	mux.HandleFunc("/hold", func(w http.ResponseWriter, r *http.Request) {
		app.mu.Lock()
		hd := app.holds[r.URL.Query().Get("id")]
		app.mu.Unlock()
		if hd == nil {
			http.Error(w, "no such hold", http.StatusBadRequest)
			return
		}
		close(hd.loaded)
		select {
		case <-hd.release:
		case <-r.Context().Done():
			return
		}
		if v := r.URL.Query().Get("v"); v != "" {
			sm.Put(r.Context(), "v", v)
		}
		io.WriteString(w, sm.GetString(r.Context(), "v"))
	})
	srv := httptest.NewServer(sm.LoadAndSave(mux))
	t.Cleanup(srv.Close)
	app.base = srv.URL
	return app
}

// raceWait bounds every wait of the race tests for a request to reach a
// point; they never sleep.
const raceWait = time.Minute

// visitor is a browser of the race tests: it keeps its cookies across the
// app servers, as a browser does across the servers behind one host.
type visitor struct {
	http *http.Client
}

// newVisitor returns a browser with an empty cookie jar.
func newVisitor(t testing.TB) *visitor {
	b := newBrowser(t, &url.URL{Scheme: "http", Host: "127.0.0.1"}, nil)
	return &visitor{http: b.http}
}

// do requests path of app and returns the answer's status and body.
func (v *visitor) do(app *raceApp, path string) (int, string, error) {
	resp, err := v.http.Get(app.base + path)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// must requests path of app and fails t unless the answer is 200.
func (v *visitor) must(t testing.TB, app *raceApp, path string) string {
	t.Helper()
	status, body, err := v.do(app, path)
	if err != nil || status != http.StatusOK {
		t.Fatalf("GET %s: %d %q, %v", path, status, body, err)
	}
	return body
}

// token returns the visitor's session token, as the app's cookie holds it.
func (v *visitor) token(t testing.TB, app *raceApp) string {
	t.Helper()
	u, _ := url.Parse(app.base)
	for _, c := range v.http.Jar.Cookies(u) {
		if c.Name == app.sm.Cookie.Name {
			return c.Value
		}
	}
	t.Fatal("no session cookie")
	return ""
}

// heldAnswer is the outcome of a held request.
type heldAnswer struct {
	status int
	body   string
	err    error
}

// start sends a request to /hold of app with the query q, and returns once
// the handler has loaded the session. release lets it go on; its answer
// then comes on the channel.
func (v *visitor) start(t testing.TB, app *raceApp, id, q string) (release func(), answers <-chan heldAnswer) {
	t.Helper()
	hd := &holdPoint{loaded: make(chan struct{}), release: make(chan struct{})}
	app.mu.Lock()
	app.holds[id] = hd
	app.mu.Unlock()
	out := make(chan heldAnswer, 1)
	go func() {
		status, body, err := v.do(app, "/hold?id="+id+"&"+q)
		out <- heldAnswer{status, body, err}
	}()
	select {
	case <-hd.loaded:
	case a := <-out:
		t.Fatalf("held request ended before it loaded: %d %q, %v", a.status, a.body, a.err)
	case <-time.After(raceWait):
		t.Fatal("held request did not load its session")
	}
	var once sync.Once
	return func() { once.Do(func() { close(hd.release) }) }, out
}

// waitAnswer returns the answer from answers.
func waitAnswer(t testing.TB, answers <-chan heldAnswer) heldAnswer {
	t.Helper()
	select {
	case a := <-answers:
		if a.err != nil {
			t.Fatalf("held request: %v", a.err)
		}
		return a
	case <-time.After(raceWait):
		t.Fatal("held request did not answer")
		return heldAnswer{}
	}
}

// raceCase is one way of racing a session's end with a request in flight:
// which request is in flight, on which server the session ends, with which
// options.
type raceCase struct {
	name     string
	opts     []core.Option
	changing bool // the request in flight changes the session
	other    bool // the session ends on the other app server
	hashed   bool // SCS's HashTokenInStore is on
}

// raceCases are the ways of racing, each with delete-wins on.
func raceCases() []raceCase {
	var cases []raceCase
	for _, o := range []struct {
		name string
		opts []core.Option
	}{{"DeleteWins", []core.Option{core.WithDeleteWins(true)}}, {"BothOptions", bothOptions()}} {
		for _, changing := range []bool{false, true} {
			for _, other := range []bool{false, true} {
				name := o.name + "/ReadOnly"
				if changing {
					name = o.name + "/Changing"
				}
				if other {
					name += "/OtherServer"
				} else {
					name += "/SameServer"
				}
				cases = append(cases, raceCase{name: name, opts: o.opts, changing: changing, other: other})
			}
		}
	}
	return append(cases,
		raceCase{name: "BothOptions/ReadOnly/SameServer/HashTokenInStore", opts: bothOptions(), hashed: true},
		raceCase{name: "BothOptions/Changing/OtherServer/HashTokenInStore", opts: bothOptions(), changing: true, other: true, hashed: true},
	)
}

// raceApps starts the two app servers of c on table.
func (c raceCase) apps(t *testing.T, h *H, table string, opts ...core.Option) (first, second *raceApp) {
	configure := func(sm *scs.SessionManager) { sm.HashTokenInStore = c.hashed }
	first = newRaceApp(t, h, table, configure, opts...)
	second = first
	if c.other {
		second = newRaceApp(t, h, table, configure, opts...)
	}
	return first, second
}

// stored returns the key under which app stores token.
func (app *raceApp) stored(token string) string {
	if app.sm.HashTokenInStore {
		return hashedToken(token)
	}
	return token
}

// checkRaced checks that the held request's commit on app was refused with
// ErrSessionDeleted: answered 409, counted once in the store's Stats. A
// read-only request whose store skips touches is refused too, after the
// read that confirms a skip: else SCS would set the browser's cookie back
// to the deleted token.
func checkRaced(t *testing.T, app *raceApp, a heldAnswer) {
	t.Helper()
	st := app.store.Stats()
	if a.status != http.StatusConflict || st.CommitsRefused != 1 || app.refused.Load() != 1 {
		t.Errorf("the request in flight answered %d %q; stats %+v: want refused (409), once", a.status, a.body, st)
	}
	if n := app.failed.Load(); n != 0 {
		t.Errorf("%d other errors", n)
	}
}

// race logs a visitor in on the first app server of c, holds a request of
// the session there (changing it or not, as c says), ends the session with
// end ("/logout" or "/renew") on c's other server, then lets the held
// request commit. It returns the visitor, the first server, the token
// before the end, and the held request's answer.
func (c raceCase) race(t *testing.T, h *H, table, end string) (*visitor, *raceApp, string, heldAnswer) {
	t.Helper()
	first, second := c.apps(t, h, table, c.opts...)
	v := newVisitor(t)
	v.must(t, first, "/login")
	old := v.token(t, first)
	q := "v="
	if c.changing {
		q = "v=changed"
	}
	release, answers := v.start(t, first, "a", q)
	v.must(t, second, end)
	release()
	return v, first, old, waitAnswer(t, answers)
}

// testDeleteWinsLogoutRace: a request of a logged-in session is in flight
// (loaded, not committed) when the session logs out, on the same app server
// or another; when it commits, the logout stays: the item is gone and the
// browser's next request has no session. Without the option, the same race
// brings the session back (the control case).
func testDeleteWinsLogoutRace(t *testing.T, h *H) {
	t.Parallel()
	table := h.SharedTable(t)
	for _, c := range raceCases() {
		t.Run(c.name, func(t *testing.T) {
			v, app, token, a := c.race(t, h, table, "/logout")
			if item := h.Get(t, h.Client(t), table, "token", app.stored(token)); item != nil {
				t.Fatalf("the logout was undone: the item is back: %v", item)
			}
			checkRaced(t, app, a)
			if got := v.must(t, app, "/get"); got != "" {
				t.Fatalf("after the logout, /get = %q, want no session", got)
			}
		})
	}
	t.Run("WithoutOptionsTheLogoutIsUndone", func(t *testing.T) {
		_, app, token, _ := raceCase{changing: true}.race(t, h, table, "/logout")
		if item := h.Get(t, h.Client(t), table, "token", app.stored(token)); item == nil {
			t.Fatal("without delete-wins, the raced logout was not undone: the control case shows nothing")
		}
	})
}

// testDeleteWinsRenewRace: a request of a session is in flight with the old
// token when RenewToken (as at login) replaces it, on the same app server or
// another; when it commits, the old token stays gone, the browser keeps the
// new one, and the new one holds the session.
func testDeleteWinsRenewRace(t *testing.T, h *H) {
	t.Parallel()
	table := h.SharedTable(t)
	for _, c := range raceCases() {
		t.Run(c.name, func(t *testing.T) {
			v, app, old, a := c.race(t, h, table, "/renew")
			client := h.Client(t)
			if item := h.Get(t, client, table, "token", app.stored(old)); item != nil {
				t.Fatalf("the old token is back: %v", item)
			}
			checkRaced(t, app, a)
			renewed := v.token(t, app)
			if renewed == old {
				t.Fatal("the browser holds the old token again")
			}
			if item := h.Get(t, client, table, "token", app.stored(renewed)); item == nil {
				t.Fatal("the renewed session is missing")
			}
			if got := v.must(t, app, "/get"); got != "login" {
				t.Fatalf("after RenewToken, /get = %q, want the session's value login", got)
			}
		})
	}
}

// hashedToken is the key under which SCS stores token with
// HashTokenInStore: base64 (URL alphabet, no padding) of its SHA-256.
func hashedToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
