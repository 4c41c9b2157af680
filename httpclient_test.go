package dynamostore_test

//lint:file-ignore SA1019 aws-sdk-go v1 is what the store under test is built on.

import (
	"context"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/awserr"
	"github.com/aws/aws-sdk-go/aws/credentials"
	"github.com/aws/aws-sdk-go/aws/session"
	"github.com/aws/aws-sdk-go/service/dynamodb"

	"github.com/scs-stores/dynamostore"
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
// PEM file and points AWS_CA_BUNDLE at it for the rest of the test. before,
// when non-nil, runs on each request before it is forwarded; it returns
// false to drop the request unanswered.
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
	bundle := filepath.Join(t.TempDir(), "front.pem")
	if err := os.WriteFile(bundle, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CA_BUNDLE", bundle)
	return f
}

// frontStore returns a store on a fresh table, reached through f with hc
// given per service client, as the README shows; cfgs are merged after it.
func frontStore(t *testing.T, f *tlsFront, hc *http.Client, cfgs ...*aws.Config) *dynamostore.DynamoStore {
	t.Helper()
	table := dynamostore.NewTestTable(t)
	sess, err := session.NewSession(&aws.Config{
		// A client of the session's own: with AWS_CA_BUNDLE set, NewSession
		// would otherwise give http.DefaultClient a transport trusting only
		// this test's certificate, for every later test in the process.
		HTTPClient:  &http.Client{},
		Region:      aws.String("us-east-1"),
		Endpoint:    aws.String(f.URL),
		Credentials: credentials.NewStaticCredentials("local", "local", ""),
	})
	if err != nil {
		t.Fatalf("aws session: %v", err)
	}
	s, err := dynamostore.NewStore(dynamodb.New(sess, append([]*aws.Config{{HTTPClient: hc}}, cfgs...)...), dynamostore.WithTable(table))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNewHTTPClientTrustsAWSCABundle(t *testing.T) {
	f := newTLSFront(t, nil)
	hc, err := dynamostore.NewHTTPClient(8)
	if err != nil {
		t.Fatal(err)
	}
	s := frontStore(t, f, hc)
	ctx := context.Background()
	if err := s.CommitCtx(ctx, "tok", []byte("over TLS"), time.Now().Add(time.Hour)); err != nil {
		t.Fatalf("Commit through the TLS front: %v", err)
	}
	b, found, err := s.FindCtx(ctx, "tok")
	if err != nil || !found || string(b) != "over TLS" {
		t.Fatalf("Find through the TLS front = %q, %v, %v; want the committed data", b, found, err)
	}
}

func TestPooledClientWithoutCABundleFailsTLS(t *testing.T) {
	// What NewHTTPClient's loading of AWS_CA_BUNDLE is for: a client given
	// per service client is out of the session's reach, so a transport that
	// does not load the bundle itself does not trust the front.
	f := newTLSFront(t, nil)
	plain := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	s := frontStore(t, f, plain, &aws.Config{MaxRetries: aws.Int(0)})
	_, _, err := s.FindCtx(context.Background(), "tok")
	if err == nil || !strings.Contains(err.Error(), "certificate signed by unknown authority") {
		t.Fatalf("Find with a transport that ignores AWS_CA_BUNDLE: err = %v; want an unknown authority error", err)
	}
}

func TestSessionWithCABundleRefusesWrappedTransport(t *testing.T) {
	// Why the README gives the client per service client: with AWS_CA_BUNDLE
	// set, a session refuses an HTTP client whose transport is anything but
	// an *http.Transport (for example one wrapped for tracing or metrics).
	newTLSFront(t, nil)
	wrapped := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return http.DefaultTransport.RoundTrip(r)
	})}
	_, err := session.NewSession(&aws.Config{HTTPClient: wrapped, Region: aws.String("us-east-1")})
	var aerr awserr.Error
	if !errors.As(err, &aerr) || aerr.Code() != session.ErrCodeLoadCustomCABundle {
		t.Fatalf("NewSession with a wrapped transport: err = %v; want %s", err, session.ErrCodeLoadCustomCABundle)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestNewHTTPClientBadCABundleIsAnError(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path string
		is         error
	}{
		{"missing file", filepath.Join(dir, "missing.pem"), os.ErrNotExist},
		{"no certificate in file", notPEM, nil},
		{"directory", dir, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("AWS_CA_BUNDLE", tc.path)
			hc, err := dynamostore.NewHTTPClient(0)
			if err == nil || hc != nil {
				t.Fatalf("NewHTTPClient = %v, %v; want nil and an error", hc, err)
			}
			if !strings.Contains(err.Error(), "AWS_CA_BUNDLE") || !strings.Contains(err.Error(), tc.path) {
				t.Errorf("error %q does not name AWS_CA_BUNDLE and the file", err)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v does not match %v", err, tc.is)
			}
		})
	}
}

func TestNewHTTPClientSizesIdlePool(t *testing.T) {
	t.Setenv("AWS_CA_BUNDLE", "")
	for _, tc := range []struct{ maxConns, want int }{{0, 64}, {-1, 64}, {1, 1}, {16, 16}, {500, 500}} {
		hc, err := dynamostore.NewHTTPClient(tc.maxConns)
		if err != nil {
			t.Fatal(err)
		}
		tr := hc.Transport.(*http.Transport)
		if tr.MaxIdleConnsPerHost != tc.want || tr.MaxIdleConns != tc.want {
			t.Errorf("NewHTTPClient(%d): MaxIdleConns %d, MaxIdleConnsPerHost %d; want %d", tc.maxConns, tr.MaxIdleConns, tr.MaxIdleConnsPerHost, tc.want)
		}
		if hc.Timeout <= 0 || tr.ResponseHeaderTimeout <= 0 || tr.TLSHandshakeTimeout <= 0 || tr.IdleConnTimeout <= 0 {
			t.Errorf("NewHTTPClient(%d): a timeout is off: client %v, headers %v, handshake %v, idle %v", tc.maxConns, hc.Timeout, tr.ResponseHeaderTimeout, tr.TLSHandshakeTimeout, tr.IdleConnTimeout)
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
	hc, err := dynamostore.NewHTTPClient(conc)
	if err != nil {
		t.Fatal(err)
	}
	s := frontStore(t, f, hc)
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
	// per host (http.DefaultTransport's) would open about 62 more each round.
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
	hc, err := dynamostore.NewHTTPClient(4)
	if err != nil {
		t.Fatal(err)
	}
	s := frontStore(t, f, hc)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	defer cancel()
	if _, found, err := s.FindCtx(ctx, "missing"); err != nil || found {
		t.Fatalf("Find with its first attempt stalled = %v, %v; want not found after a retry", found, err)
	}
	if got := f.reqs.Load(); got != 2 {
		t.Errorf("front saw %d requests; want 2 (the stalled one and its retry)", got)
	}
}
