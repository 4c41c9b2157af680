package drivertest

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
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
		test{"SessionManagerOverHTTP", testSessionManagerOverHTTP},
		test{"SoakSessionManagerOverHTTP", testSoak},
	)
}

// browser is an HTTP client that keeps cookies, as a browser does.
type browser struct {
	http *http.Client
	base *url.URL
}

// newBrowser returns a browser of the server at base, with a transport of
// its own when tr is not nil.
func newBrowser(t testing.TB, base *url.URL, tr http.RoundTripper) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{http: &http.Client{Jar: jar, Transport: tr, Timeout: time.Minute}, base: base}
}

// get requests path and returns the body of a 200 answer, or an error.
func (b *browser) get(path string) (string, error) {
	resp, err := b.http.Get(b.base.String() + path)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: status %d: %s", path, resp.StatusCode, body)
	}
	return string(body), nil
}

// token returns the session cookie named name in the browser's jar, or "".
func (b *browser) token(name string) string {
	for _, c := range b.http.Jar.Cookies(b.base) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// sessionServer serves SCS's LoadAndSave over sm with handlers that put,
// get, renew, destroy and list the session value "v", and change or destroy
// every session through Iterate. Errors go to sm.ErrorFunc.
func sessionServer(t testing.TB, sm *scs.SessionManager) (*httptest.Server, *url.URL) {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/put", func(w http.ResponseWriter, r *http.Request) {
		sm.Put(r.Context(), "v", r.URL.Query().Get("v"))
		io.WriteString(w, "ok")
	})
	mux.HandleFunc("/get", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, sm.GetString(r.Context(), "v"))
	})
	mux.HandleFunc("/renew", func(w http.ResponseWriter, r *http.Request) {
		if err := sm.RenewToken(r.Context()); err != nil {
			sm.ErrorFunc(w, r, err)
			return
		}
		io.WriteString(w, sm.GetString(r.Context(), "v"))
	})
	mux.HandleFunc("/destroy", func(w http.ResponseWriter, r *http.Request) {
		if err := sm.Destroy(r.Context()); err != nil {
			sm.ErrorFunc(w, r, err)
			return
		}
		io.WriteString(w, "ok")
	})
	mux.HandleFunc("/list", func(w http.ResponseWriter, r *http.Request) {
		var vs []string
		err := sm.Iterate(r.Context(), func(ctx context.Context) error {
			vs = append(vs, sm.GetString(ctx, "v"))
			return nil
		})
		if err != nil {
			sm.ErrorFunc(w, r, err)
			return
		}
		sort.Strings(vs)
		io.WriteString(w, strings.Join(vs, ","))
	})
	// Iterate over every session, and Commit a new value into each, or
	// Destroy each: what an admin page does.
	mux.HandleFunc("/change-all", func(w http.ResponseWriter, r *http.Request) {
		err := sm.Iterate(r.Context(), func(ctx context.Context) error {
			sm.Put(ctx, "v", r.URL.Query().Get("v"))
			_, _, err := sm.Commit(ctx)
			return err
		})
		if err != nil {
			sm.ErrorFunc(w, r, err)
			return
		}
		io.WriteString(w, "ok")
	})
	mux.HandleFunc("/destroy-all", func(w http.ResponseWriter, r *http.Request) {
		if err := sm.Iterate(r.Context(), sm.Destroy); err != nil {
			sm.ErrorFunc(w, r, err)
			return
		}
		io.WriteString(w, "ok")
	})
	srv := httptest.NewServer(sm.LoadAndSave(mux))
	base, err := url.Parse(srv.URL)
	if err != nil {
		srv.Close()
		t.Fatal(err)
	}
	return srv, base
}

// testSessionManagerOverHTTP runs SCS's LoadAndSave on the store over real
// HTTP, with browsers that keep cookies: put, get, RenewToken, Destroy and
// Iterate, and checks the table behind each step.
func testSessionManagerOverHTTP(t *testing.T, h *H) {
	t.Parallel()
	c := h.Client(t)
	table := h.NewTable(t)
	store := h.Store(t, c, core.WithTable(table))
	sm := scs.New()
	sm.Store = store
	sm.Lifetime = time.Hour
	srv, base := sessionServer(t, sm)
	defer srv.Close()

	get := func(b *browser, path string) string {
		t.Helper()
		body, err := b.get(path)
		if err != nil {
			t.Fatal(err)
		}
		return body
	}
	token := func(b *browser) string {
		t.Helper()
		tok := b.token(sm.Cookie.Name)
		if tok == "" {
			t.Fatal("no session cookie in the jar")
		}
		return tok
	}

	alice, bob := newBrowser(t, base, nil), newBrowser(t, base, nil)
	get(alice, "/put?v=hello")
	first := token(alice)
	if data, found, err := store.Find(first); err != nil || !found || len(data) == 0 {
		t.Fatalf("Find(session token) = %d bytes, %v, %v; want the session", len(data), found, err)
	}
	if got := get(alice, "/get"); got != "hello" {
		t.Fatalf("/get = %q, want hello", got)
	}
	get(bob, "/put?v=world")
	if token(bob) == first {
		t.Fatal("two browsers share one session")
	}
	if got := get(alice, "/list"); got != "hello,world" {
		t.Fatalf("/list = %q, want hello,world", got)
	}

	if got := get(alice, "/renew"); got != "hello" {
		t.Fatalf("/renew = %q, want the session's value hello", got)
	}
	renewed := token(alice)
	if renewed == first {
		t.Fatal("RenewToken kept the token")
	}
	MustNotFind(t, store, first)
	if item := h.Get(t, c, table, "token", first); item != nil {
		t.Errorf("the old session's item is still in the table: %v", item)
	}
	if _, found, err := store.Find(renewed); err != nil || !found {
		t.Fatalf("Find(renewed token) = %v, %v; want found", found, err)
	}
	if got := get(alice, "/get"); got != "hello" {
		t.Fatalf("/get after RenewToken = %q, want hello", got)
	}

	get(alice, "/destroy")
	MustNotFind(t, store, renewed)
	if item := h.Get(t, c, table, "token", renewed); item != nil {
		t.Errorf("the destroyed session's item is still in the table: %v", item)
	}
	if got := get(alice, "/get"); got != "" {
		t.Fatalf("/get after Destroy = %q, want nothing", got)
	}
	if got := get(bob, "/list"); got != "world" {
		t.Fatalf("/list after Destroy = %q, want world", got)
	}
	if got := get(bob, "/get"); got != "world" {
		t.Fatalf("bob's /get = %q, want world", got)
	}
	if keys := h.TableKeys(t, c, table, "token"); len(keys) != 1 || keys[0] != token(bob) {
		t.Errorf("table holds %v, want bob's session alone", keys)
	}
}

// SoakEnv is the variable that sets how long the soak runs, as a Go
// duration, for a longer run than the default's few seconds:
//
//	DYNAMOSTORE_SOAK=2m scripts/ddblocal.sh -- go test -run TestSuite/Soak .
const SoakEnv = "DYNAMOSTORE_SOAK"

// The soak's shape.
const (
	soakClients = 32
	// soakOpsPerSecond bounds each client's operations per second of the
	// soak's duration, so that the soak is bounded in count as well as time.
	soakOpsPerSecond = 50
	// soakDefault is how long the soak runs without SoakEnv: short, so that
	// a whole test run stays quick; soakShort with -short.
	soakDefault = 3 * time.Second
	soakShort   = time.Second
)

// soakDuration returns how long the soak runs; see SoakEnv.
func soakDuration(t testing.TB) time.Duration {
	t.Helper()
	if v := os.Getenv(SoakEnv); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			t.Fatalf("%s=%q is not a positive duration", SoakEnv, v)
		}
		return d
	}
	if testing.Short() {
		return soakShort
	}
	return soakDefault
}

// soakClient is one browser of the soak and what it expects its session to
// hold.
type soakClient struct {
	*browser
	id       int
	expected string // the value last put, "" when none or destroyed
	live     bool   // whether the store should hold a session for it
	ops      int
}

// step does one random operation and checks its answer.
func (c *soakClient) step(rng *rand.Rand, cookie string, store Store) error {
	c.ops++
	switch r := rng.IntN(10); {
	case r < 4:
		v := fmt.Sprintf("client-%d-op-%d", c.id, c.ops)
		if _, err := c.get("/put?v=" + v); err != nil {
			return err
		}
		c.expected, c.live = v, true
	case r < 7:
		got, err := c.get("/get")
		if err != nil {
			return err
		}
		if got != c.expected {
			return fmt.Errorf("get = %q, want %q", got, c.expected)
		}
	case r < 9:
		old := c.token(cookie)
		got, err := c.get("/renew")
		if err != nil {
			return err
		}
		if got != c.expected {
			return fmt.Errorf("renew kept %q, want %q", got, c.expected)
		}
		c.live = true
		if now := c.token(cookie); now == old || now == "" {
			return fmt.Errorf("renew did not change the token")
		}
		if old != "" {
			if _, found, err := store.Find(old); err != nil || found {
				return fmt.Errorf("the renewed-away token is still found (%v, %v)", found, err)
			}
		}
	default:
		if _, err := c.get("/destroy"); err != nil {
			return err
		}
		c.expected, c.live = "", false
	}
	return nil
}

// testSoak drives scs.SessionManager over HTTP from many clients at once,
// mixing put, get, RenewToken and Destroy, for a bounded time and count
// (see SoakEnv). It checks that nothing fails, that every read returns the
// last value committed, that the table ends with exactly the live sessions
// holding their last values, and that goroutines and heap return to where
// they started. It runs alone (no t.Parallel), so that the counts are its
// own.
func testSoak(t *testing.T, h *H) {
	duration := soakDuration(t)
	maxOps := int(duration.Seconds()*soakOpsPerSecond) + 1
	storeTransport := http.DefaultTransport.(*http.Transport).Clone()
	storeTransport.MaxIdleConnsPerHost = soakClients
	c := h.NewClient(t, ClientOptions{Transport: storeTransport})
	table := h.NewTable(t)
	store := h.Store(t, c, core.WithTable(table))

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	baseGoroutines := runtime.NumGoroutine()

	var failures atomic.Int64
	sm := scs.New()
	sm.Store = store
	sm.Lifetime = time.Hour
	sm.IdleTimeout = h.idle
	sm.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) {
		failures.Add(1)
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
	srv, base := sessionServer(t, sm)

	clients := make([]*soakClient, soakClients)
	transports := make([]*http.Transport, soakClients)
	for i := range clients {
		transports[i] = &http.Transport{MaxIdleConnsPerHost: 1}
		clients[i] = &soakClient{browser: newBrowser(t, base, transports[i]), id: i}
	}
	start := time.Now()
	end := start.Add(duration)
	errs := make([]error, soakClients)
	var wg sync.WaitGroup
	for i, cl := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(start.UnixNano()), uint64(i)))
			for cl.ops < maxOps && time.Now().Before(end) {
				if err := cl.step(rng, sm.Cookie.Name, store); err != nil {
					errs[i] = fmt.Errorf("client %d, op %d: %w", i, cl.ops, err)
					return
				}
			}
			// A last read returns the last value committed.
			if got, err := cl.get("/get"); err != nil || got != cl.expected {
				errs[i] = fmt.Errorf("client %d: final get = %q, %v; want %q", i, got, err, cl.expected)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	total := 0
	for i, cl := range clients {
		total += cl.ops
		if errs[i] != nil {
			t.Error(errs[i])
		}
	}
	if n := failures.Load(); n != 0 {
		t.Errorf("the session manager reported %d errors", n)
	}
	t.Logf("%d clients did %d operations in %v (%.0f/s)", soakClients, total, elapsed.Round(time.Millisecond), float64(total)/elapsed.Seconds())

	// The table holds exactly the live sessions, each with its last value.
	all, err := store.All()
	if err != nil {
		t.Fatal(err)
	}
	live := 0
	for i, cl := range clients {
		if !cl.live {
			continue
		}
		live++
		b, ok := all[cl.token(sm.Cookie.Name)]
		if !ok {
			t.Errorf("client %d: its session is not in the table", i)
			continue
		}
		_, values, err := sm.Codec.Decode(b)
		if err != nil || values["v"] != any(cl.expected) && !(cl.expected == "" && values["v"] == nil) {
			t.Errorf("client %d: the table holds %v (%v), want %q", i, values["v"], err, cl.expected)
		}
	}
	if len(all) != live {
		t.Errorf("the table holds %d sessions, want %d: renewed or destroyed sessions were left behind", len(all), live)
	}
	if keys := h.TableKeys(t, h.Client(t), table, "token"); len(keys) != live {
		t.Errorf("the table holds %d items, want %d: expired items of renewed or destroyed sessions were left behind", len(keys), live)
	}

	srv.Close()
	for _, tr := range transports {
		tr.CloseIdleConnections()
	}
	storeTransport.CloseIdleConnections()
	const slack = 5
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > baseGoroutines+slack && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > baseGoroutines+slack {
		var dump strings.Builder
		_ = pprof.Lookup("goroutine").WriteTo(&dump, 1)
		t.Errorf("%d goroutines at the end, %d at the start:\n%s", n, baseGoroutines, dump.String())
	}
	clients, all = nil, nil
	runtime.GC()
	runtime.ReadMemStats(&after)
	const heapSlack = 64 << 20
	t.Logf("heap in use: %.1f MB at the start, %.1f MB at the end; goroutines: %d at the start, %d at the end",
		float64(before.HeapAlloc)/(1<<20), float64(after.HeapAlloc)/(1<<20), baseGoroutines, runtime.NumGoroutine())
	if after.HeapAlloc > before.HeapAlloc+heapSlack {
		t.Errorf("the heap grew from %d to %d bytes, more than %d", before.HeapAlloc, after.HeapAlloc, heapSlack)
	}
}
