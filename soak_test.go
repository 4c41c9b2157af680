package dynamostore_test

//lint:file-ignore SA1019 aws-sdk-go v1 is what the store under test is built on.

import (
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
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/scs-stores/dynamostore"
	"github.com/scs-stores/dynamostore/internal/ddbtest"
)

// soakEnv is the variable that sets how long the soak runs, as a Go
// duration: DYNAMOSTORE_SOAK=2m go test -run TestSoak .
const soakEnv = "DYNAMOSTORE_SOAK"

const (
	soakClients = 32
	// soakOpsPerSecond bounds each client's operations per second of the
	// soak's duration, so that the soak is bounded in count as well as time.
	soakOpsPerSecond = 50
)

// soakDuration returns how long the soak runs: DYNAMOSTORE_SOAK, or 10s (3s
// with -short).
func soakDuration(t *testing.T) time.Duration {
	if v := os.Getenv(soakEnv); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			t.Fatalf("%s=%q is not a positive duration", soakEnv, v)
		}
		return d
	}
	if testing.Short() {
		return 3 * time.Second
	}
	return 10 * time.Second
}

// soakClient is one browser: its own cookie jar and connection, and what it
// expects its session to hold.
type soakClient struct {
	http     *http.Client
	base     *url.URL
	expected string // the value last put, "" when none or destroyed
	live     bool   // whether the store should hold a session for it
	ops      int
}

func (c *soakClient) do(path string) (string, error) {
	resp, err := c.http.Get(c.base.String() + path)
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

// token returns the session token in the client's cookie jar, or "".
func (c *soakClient) token() string {
	for _, ck := range c.http.Jar.Cookies(c.base) {
		if ck.Name == "session" {
			return ck.Value
		}
	}
	return ""
}

// step does one random operation and checks its answer.
func (c *soakClient) step(rng *rand.Rand, id int, store *dynamostore.DynamoStore) error {
	c.ops++
	switch r := rng.IntN(10); {
	case r < 4:
		v := fmt.Sprintf("client-%d-op-%d", id, c.ops)
		if _, err := c.do("/put?v=" + v); err != nil {
			return err
		}
		c.expected, c.live = v, true
	case r < 7:
		got, err := c.do("/get")
		if err != nil {
			return err
		}
		if got != c.expected {
			return fmt.Errorf("get = %q, want %q", got, c.expected)
		}
	case r < 9:
		old := c.token()
		got, err := c.do("/renew")
		if err != nil {
			return err
		}
		if got != c.expected {
			return fmt.Errorf("renew kept %q, want %q", got, c.expected)
		}
		c.live = true
		if now := c.token(); now == old || now == "" {
			return fmt.Errorf("renew did not change the token")
		}
		if old != "" {
			if _, found, err := store.Find(old); err != nil || found {
				return fmt.Errorf("the renewed-away token is still found (%v, %v)", found, err)
			}
		}
	default:
		if _, err := c.do("/destroy"); err != nil {
			return err
		}
		c.expected, c.live = "", false
	}
	return nil
}

// TestSoakSessionManagerOverHTTP drives scs.SessionManager over HTTP from
// many clients at once, mixing put, get, RenewToken and Destroy, for a
// bounded time and count. It checks that nothing fails, that every read
// returns the last value committed, that the table ends with exactly the
// live sessions holding their last values, and that goroutines and heap
// return to where they started.
func TestSoakSessionManagerOverHTTP(t *testing.T) {
	duration := soakDuration(t)
	maxOps := int(duration.Seconds()*soakOpsPerSecond) + 1
	storeTransport := http.DefaultTransport.(*http.Transport).Clone()
	storeTransport.MaxIdleConnsPerHost = soakClients
	db := ddbtest.Client(t, storeTransport, nil)
	store, err := dynamostore.NewStore(db, dynamostore.WithTable(ddbtest.NewTable(t, db, "token")))
	if err != nil {
		t.Fatal(err)
	}

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	baseGoroutines := runtime.NumGoroutine()

	var failures atomic.Int64
	sm := scs.New()
	sm.Store = store
	sm.Lifetime = time.Hour
	sm.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) {
		failures.Add(1)
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
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
	srv := httptest.NewServer(sm.LoadAndSave(mux))
	base, _ := url.Parse(srv.URL)

	clients := make([]*soakClient, soakClients)
	transports := make([]*http.Transport, soakClients)
	for i := range clients {
		jar, _ := cookiejar.New(nil)
		transports[i] = &http.Transport{MaxIdleConnsPerHost: 1}
		clients[i] = &soakClient{http: &http.Client{Jar: jar, Transport: transports[i], Timeout: time.Minute}, base: base}
	}
	start := time.Now()
	end := start.Add(duration)
	errs := make([]error, soakClients)
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(start.UnixNano()), uint64(i)))
			for c.ops < maxOps && time.Now().Before(end) {
				if err := c.step(rng, i, store); err != nil {
					errs[i] = fmt.Errorf("client %d, op %d: %w", i, c.ops, err)
					return
				}
			}
			// A last read returns the last value committed.
			if got, err := c.do("/get"); err != nil || got != c.expected {
				errs[i] = fmt.Errorf("client %d: final get = %q, %v; want %q", i, got, err, c.expected)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	total := 0
	for i, c := range clients {
		total += c.ops
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
	for i, c := range clients {
		if !c.live {
			continue
		}
		live++
		b, ok := all[c.token()]
		if !ok {
			t.Errorf("client %d: its session is not in the table", i)
			continue
		}
		_, values, err := sm.Codec.Decode(b)
		if err != nil || values["v"] != any(c.expected) && !(c.expected == "" && values["v"] == nil) {
			t.Errorf("client %d: the table holds %v (%v), want %q", i, values["v"], err, c.expected)
		}
	}
	if len(all) != live {
		t.Errorf("the table holds %d sessions, want %d: renewed or destroyed sessions were left behind", len(all), live)
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
