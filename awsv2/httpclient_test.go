package awsv2_test

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

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/scs-stores/dynamostore/awsv2"
	"github.com/scs-stores/dynamostore/internal/core/testenv"
)

// tlsFront is an HTTPS reverse proxy in front of DynamoDB Local, with a
// certificate that only the test's AWS_CA_BUNDLE file makes trusted.
type tlsFront struct {
	URL   string
	conns atomic.Int64 // TLS connections accepted
	reqs  atomic.Int64 // requests received
}

// newTLSFront starts a front for DynamoDB Local, writes its certificate to a
// PEM file and points AWS_CA_BUNDLE at it for the rest of the test; the
// shared config files are pointed at nothing, so that the machine's own do
// not count. (config_test.go shows LoadDefaultConfig refusing, with a
// bundle set, a client that is not the SDK's buildable one.) before, when non-nil, runs on each request before it is
// forwarded; it returns false to drop the request unanswered.
func newTLSFront(t *testing.T, before func(n int64, r *http.Request) bool) *tlsFront {
	t.Helper()
	backend, err := url.Parse(testenv.Endpoint(t))
	if err != nil {
		t.Fatalf("DynamoDB Local's URL: %v", err)
	}
	f := &tlsFront{}
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

// frontClient loads the default config, as the README does, for the front f
// with the HTTP client hc.
func frontClient(t *testing.T, f *tlsFront, hc config.HTTPClient) (*dynamodb.Client, error) {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithHTTPClient(hc),
		config.WithRegion("us-east-1"),
		config.WithBaseEndpoint(f.URL),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("local", "local", "")),
	)
	if err != nil {
		return nil, err
	}
	return dynamodb.NewFromConfig(cfg), nil
}

// frontStore returns a store on a fresh table, reached through f with the
// config loaded with hc.
func frontStore(t *testing.T, f *tlsFront, hc config.HTTPClient) *awsv2.DynamoStore {
	t.Helper()
	table := awsv2.NewTestTable(t)
	db, err := frontClient(t, f, hc)
	if err != nil {
		t.Fatalf("LoadDefaultConfig: %v", err)
	}
	s, err := awsv2.New(db, awsv2.WithTable(table))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNewHTTPClientTrustsAWSCABundleThroughLoadDefaultConfig(t *testing.T) {
	f := newTLSFront(t, nil)
	s := frontStore(t, f, awsv2.NewHTTPClient(8))
	ctx := context.Background()
	if err := s.CommitCtx(ctx, "tok", []byte("over TLS"), time.Now().Add(time.Hour)); err != nil {
		t.Fatalf("Commit through the TLS front: %v", err)
	}
	b, found, err := s.FindCtx(ctx, "tok")
	if err != nil || !found || string(b) != "over TLS" {
		t.Fatalf("Find through the TLS front = %q, %v, %v; want the committed data", b, found, err)
	}
}

func TestNewHTTPClientSizesIdlePool(t *testing.T) {
	for _, tc := range []struct{ maxConns, want int }{{0, 64}, {-1, 64}, {1, 1}, {16, 16}, {500, 500}} {
		hc := awsv2.NewHTTPClient(tc.maxConns)
		tr := hc.GetTransport()
		if tr.MaxIdleConnsPerHost != tc.want || tr.MaxIdleConns != tc.want {
			t.Errorf("NewHTTPClient(%d): MaxIdleConns %d, MaxIdleConnsPerHost %d; want %d", tc.maxConns, tr.MaxIdleConns, tr.MaxIdleConnsPerHost, tc.want)
		}
		if hc.GetTimeout() <= 0 || tr.ResponseHeaderTimeout <= 0 || tr.TLSHandshakeTimeout <= 0 || tr.IdleConnTimeout <= 0 || hc.GetDialer().Timeout <= 0 {
			t.Errorf("NewHTTPClient(%d): a timeout is off: client %v, headers %v, handshake %v, idle %v, dial %v",
				tc.maxConns, hc.GetTimeout(), tr.ResponseHeaderTimeout, tr.TLSHandshakeTimeout, tr.IdleConnTimeout, hc.GetDialer().Timeout)
		}
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

func TestNewHTTPClientReusesConnectionsAt64Concurrent(t *testing.T) {
	const conc, rounds = 64, 4
	var cur atomic.Pointer[gate]
	f := newTLSFront(t, func(_ int64, _ *http.Request) bool {
		cur.Load().wait()
		return true
	})
	s := frontStore(t, f, awsv2.NewHTTPClient(conc))
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
	// Each round needs 64 connections at once. The SDK's default pool of 10
	// idle connections per host would open about 54 more each round.
	if got, limit := f.conns.Load(), int64(conc+8); got > limit {
		t.Errorf("%d rounds of %d concurrent Finds opened %d TLS connections; want at most %d", rounds, conc, got, limit)
	}
	if got := f.reqs.Load(); got != conc*rounds {
		t.Errorf("front saw %d requests; want %d", got, conc*rounds)
	}
}

func TestNewHTTPClientRetriesStalledAttempt(t *testing.T) {
	// The first request is held unanswered, as on a half-open connection:
	// the client's header timeout ends that attempt and the SDK's retry, on a
	// new connection, succeeds well within the caller's bound.
	f := newTLSFront(t, func(n int64, r *http.Request) bool {
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
	s := frontStore(t, f, awsv2.NewHTTPClient(4))
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	defer cancel()
	if _, found, err := s.FindCtx(ctx, "missing"); err != nil || found {
		t.Fatalf("Find with its first attempt stalled = %v, %v; want not found after a retry", found, err)
	}
	if got := f.reqs.Load(); got != 2 {
		t.Errorf("front saw %d requests; want 2 (the stalled one and its retry)", got)
	}
}
