package drivertest

import (
	"context"
	"encoding/pem"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scs-stores/dynamostore/internal/core"
	"github.com/scs-stores/dynamostore/internal/testsuite/testenv"
)

func init() {
	add(
		test{"RecommendedClientTrustsAWSCABundle", testRecommendedClientTrustsAWSCABundle},
		test{"RecommendedClientReusesConnectionsAt64Concurrent", testRecommendedClientReusesConnections},
		test{"RecommendedClientRetriesAStalledAttempt", testRecommendedClientRetriesStalledAttempt},
	)
}

// TLSFront is an HTTPS reverse proxy in front of the local engine, with a
// certificate that only the test's AWS_CA_BUNDLE file makes trusted. It
// counts the TLS connections it accepts and the requests it receives.
type TLSFront struct {
	URL   string
	conns atomic.Int64
	reqs  atomic.Int64
}

// Conns returns how many TLS connections the front has accepted.
func (f *TLSFront) Conns() int64 { return f.conns.Load() }

// Reqs returns how many requests the front has received.
func (f *TLSFront) Reqs() int64 { return f.reqs.Load() }

// NewTLSFront starts a front for the local engine, writes its certificate to
// a PEM file and points AWS_CA_BUNDLE at it for the rest of the test; the
// shared config files are pointed at nothing, so that the machine's own do
// not count. before, when not nil, runs on the nth request before it is
// forwarded, and returns false to drop it unanswered. It uses t.Setenv, so
// the test must not be parallel.
func NewTLSFront(t *testing.T, before func(n int64, r *http.Request) bool) *TLSFront {
	t.Helper()
	testenv.RequireLocal(t, "a TLS front on the engine's port")
	backend, err := url.Parse(testenv.Endpoint(t))
	if err != nil {
		t.Fatalf("the engine's URL: %v", err)
	}
	f := &TLSFront{}
	proxy := httputil.NewSingleHostReverseProxy(backend)
	proxy.Transport = &http.Transport{MaxIdleConnsPerHost: 256}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n := f.reqs.Add(1); before != nil && !before(n, r) {
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // handshakes refused on purpose
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			f.conns.Add(1)
		}
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	dir := t.TempDir()
	bundle := filepath.Join(dir, "front.pem")
	if err := os.WriteFile(bundle, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CA_BUNDLE", bundle)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "no-config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "no-credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_PROFILE", "")
	return f
}

// frontStore returns a store on a fresh table, reached through f by a
// client built the recommended way with a pool of maxConns.
func (h *H) frontStore(t *testing.T, f *TLSFront, maxConns int) Store {
	t.Helper()
	table := h.NewTable(t)
	return h.Store(t, h.NewRecommended(t, f.URL, maxConns), core.WithTable(table))
}

func testRecommendedClientTrustsAWSCABundle(t *testing.T, h *H) {
	f := NewTLSFront(t, nil)
	s := h.frontStore(t, f, 8)
	ctx := context.Background()
	if err := s.CommitCtx(ctx, "tok", []byte("over TLS"), time.Now().Add(time.Hour)); err != nil {
		t.Fatalf("Commit through the TLS front: %v", err)
	}
	b, found, err := s.FindCtx(ctx, "tok")
	if err != nil || !found || string(b) != "over TLS" {
		t.Fatalf("Find through the TLS front = %q, %v, %v; want the committed data", b, found, err)
	}
}

// gate holds requests until n of them are in flight (or a few seconds have
// passed), so that a round of n concurrent calls needs n connections at once.
type gate struct {
	n       int64
	arrived atomic.Int64
	open    chan struct{}
	once    sync.Once
}

func newGate(n int) *gate { return &gate{n: int64(n), open: make(chan struct{})} }

func (g *gate) wait() {
	if g.arrived.Add(1) >= g.n {
		g.once.Do(func() { close(g.open) })
	}
	select {
	case <-g.open:
	case <-time.After(5 * time.Second):
	}
}

func testRecommendedClientReusesConnections(t *testing.T, h *H) {
	const conc, rounds = 64, 4
	var cur atomic.Pointer[gate]
	f := NewTLSFront(t, func(_ int64, _ *http.Request) bool {
		cur.Load().wait()
		return true
	})
	s := h.frontStore(t, f, conc)
	for round := 0; round < rounds; round++ {
		cur.Store(newGate(conc))
		var wg sync.WaitGroup
		errs := make(chan error, conc)
		for i := 0; i < conc; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, _, err := s.FindCtx(context.Background(), "missing"); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("round %d: Find: %v", round, err)
		}
	}
	// Each round needs 64 connections at once. A pool of 2 idle connections
	// per host (aws-sdk-go's default) would open about 62 more each round.
	if got, limit := f.Conns(), int64(conc+8); got > limit {
		t.Errorf("%d rounds of %d concurrent Finds opened %d TLS connections; want at most %d", rounds, conc, got, limit)
	}
	if got := f.Reqs(); got != conc*rounds {
		t.Errorf("front saw %d requests; want %d", got, conc*rounds)
	}
}

func testRecommendedClientRetriesStalledAttempt(t *testing.T, h *H) {
	// The first request is held unanswered, as on a half-open connection:
	// the client's header timeout ends that attempt and the SDK's retry, on a
	// new connection, succeeds well within the caller's bound.
	f := NewTLSFront(t, func(n int64, r *http.Request) bool {
		if n == 1 {
			// Reading the body lets the server see the client hang up.
			_, _ = io.Copy(io.Discard, r.Body)
			select {
			case <-r.Context().Done():
			case <-time.After(20 * time.Second):
			}
			return false
		}
		return true
	})
	s := h.frontStore(t, f, 4)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	defer cancel()
	if _, found, err := s.FindCtx(ctx, "missing"); err != nil || found {
		t.Fatalf("Find with its first attempt stalled = %v, %v; want not found after a retry", found, err)
	}
	if got := f.Reqs(); got != 2 {
		t.Errorf("front saw %d requests; want 2 (the stalled one and its retry)", got)
	}
}
