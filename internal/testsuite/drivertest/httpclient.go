package drivertest

import (
	"bytes"
	"context"
	"encoding/pem"
	"fmt"
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

	"github.com/scs-stores/dynamostore/internal/core"
	"github.com/scs-stores/dynamostore/internal/core/driver"
	"github.com/scs-stores/dynamostore/internal/testsuite/testenv"
)

func init() {
	add(
		test{"RecommendedClientTrustsAWSCABundle", testRecommendedClientTrustsAWSCABundle},
		test{"RecommendedClientReusesConnectionsAt64Concurrent", testRecommendedClientReusesConnections},
		test{"RecommendedClientRetriesAStalledAttempt", testRecommendedClientRetriesStalledAttempt},
		test{"RecommendedSetUpLeavesOtherClientsOfTheConfigAlone", testRecommendedSetUpLeavesOtherClients},
		test{"RecommendedClientCompletesASlowButSteadyScanPage", testRecommendedClientCompletesSlowSteadyAnswer},
		test{"RecommendedClientEndsASilentAnswerAndRetries", testRecommendedClientEndsSilentAnswer},
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
	return h.Store(t, h.NewRecommended(t, f.URL, maxConns).DB, core.WithTable(table))
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

// pace says how a pacedFront answers one request.
type pace struct {
	headers time.Duration // the wait before the answer's headers
	body    time.Duration // the time over which the body is spread, in parts paceGap apart
	stall   bool          // send half the body, then nothing until the client hangs up
}

// paceGap is the time between two parts of a paced body: a twentieth of
// the recommended bound on silence, so that a steady answer never comes
// near it.
const paceGap = 100 * time.Millisecond

// answer is what became of one answer of a pacedFront.
type answer struct {
	op      string        // the DynamoDB operation
	whole   bool          // the whole body was sent; otherwise the client hung up
	stalled bool          // the answer stalled half way
	took    time.Duration // from the request to the end of the answer or the hang-up
	held    time.Duration // for a stalled answer, from its last byte to the hang-up
}

func (a answer) String() string {
	switch {
	case a.whole:
		return fmt.Sprintf("%s sent whole in %v", a.op, a.took.Round(time.Millisecond))
	case a.stalled:
		return fmt.Sprintf("%s stalled, hung up on after %v of silence", a.op, a.held.Round(time.Millisecond))
	}
	return fmt.Sprintf("%s hung up on after %v", a.op, a.took.Round(time.Millisecond))
}

// pacedFront is a loopback HTTP proxy in front of the engine that lets the
// engine answer at once and passes the answer on at the pace its function
// gives for the request, and records what became of each answer.
type pacedFront struct {
	URL string
	mu  sync.Mutex
	log []answer
	// stalling is held from the choice of a request's pace until its
	// answer is recorded, when it stalls: the client's next request waits
	// for it, so that its pace is chosen knowing how the stall ended.
	stalling sync.Mutex
}

// answers returns what became of the answers so far, in the order they
// ended.
func (f *pacedFront) answers() []answer {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]answer(nil), f.log...)
}

// settledAnswers returns the answers once the last of them was sent whole,
// or after 10 s: the client may have read an answer whole before the front
// recorded it.
func (f *pacedFront) settledAnswers() []answer {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = testenv.WaitFor(ctx, "the front's answers", func(context.Context) (bool, error) {
		a := f.answers()
		return len(a) > 0 && a[len(a)-1].whole, nil
	})
	return f.answers()
}

// lastWhole reports whether the last of answers is one of op sent whole in
// at least d.
func lastWhole(answers []answer, op string, d time.Duration) bool {
	if len(answers) == 0 {
		return false
	}
	last := answers[len(answers)-1]
	return last.op == op && last.whole && last.took >= d
}

func newPacedFront(t *testing.T, paceOf func(r *http.Request) pace) *pacedFront {
	t.Helper()
	testenv.RequireLocal(t, "a paced front on the engine's port")
	backend, err := url.Parse(testenv.Endpoint(t))
	if err != nil {
		t.Fatalf("the engine's URL: %v", err)
	}
	engine := &http.Transport{}
	t.Cleanup(engine.CloseIdleConnections)
	f := &pacedFront{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		f.stalling.Lock()
		p := paceOf(r)
		a := answer{op: strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_20120810."), stalled: p.stall}
		if !p.stall {
			f.stalling.Unlock()
		}
		defer func() {
			a.took = time.Since(start)
			f.mu.Lock()
			f.log = append(f.log, a)
			f.mu.Unlock()
			if p.stall {
				f.stalling.Unlock()
			}
		}()
		out := r.Clone(context.WithoutCancel(r.Context()))
		out.RequestURI, out.URL.Scheme, out.URL.Host = "", backend.Scheme, backend.Host
		resp, err := engine.RoundTrip(out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		// wait holds the answer until d has passed since start, or the
		// client hangs up.
		wait := func(d time.Duration) bool {
			select {
			case <-time.After(time.Until(start.Add(d))):
				return true
			case <-r.Context().Done():
				return false
			}
		}
		if !wait(p.headers) {
			return
		}
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		w.(http.Flusher).Flush()
		if p.stall {
			_, _ = w.Write(body[:len(body)/2])
			w.(http.Flusher).Flush()
			sent := time.Now()
			wait(time.Since(start) + time.Minute)
			a.held = time.Since(sent)
			return
		}
		parts := max(1, int(p.body/paceGap))
		for i := 1; i <= parts; i++ {
			if !wait(p.headers + time.Duration(i)*paceGap) {
				return
			}
			if part := body[(i-1)*len(body)/parts : i*len(body)/parts]; len(part) > 0 {
				_, _ = w.Write(part)
				w.(http.Flusher).Flush()
			}
		}
		a.whole = true
	}))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

// isOp reports whether r is a request for the DynamoDB operation op.
func isOp(r *http.Request, op string) bool {
	return r.Header.Get("X-Amz-Target") == "DynamoDB_20120810."+op
}

func testRecommendedSetUpLeavesOtherClients(t *testing.T, h *H) {
	// The set-up must tune the store's DynamoDB client only. Another client
	// the app builds from the same config (its S3 or SQS client, here one of
	// DynamoDB) gets an answer whose headers come after 4 s and whose body
	// takes 7 s more, within one attempt: no bound of the store's on
	// headers (3 s) or on a whole request reaches it.
	t.Parallel()
	table := h.NewTable(t)
	key := "other-client"
	names := defaultNames
	h.Put(t, h.Client(t), table, map[string]driver.Value{names.Token: S(key), names.Data: B([]byte("slow but whole"))})
	f := newPacedFront(t, func(*http.Request) pace { return pace{headers: 4 * time.Second, body: 7 * time.Second} })
	set := h.NewRecommended(t, f.URL, 8)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	item, err := h.GetRaw(ctx, set.Other, table, names.Token, key)
	took := time.Since(start)
	if err != nil || item == nil || !isBinary(item[names.Data], "slow but whole") {
		t.Fatalf("GetItem by another client of the config, answered in %v = %v, %v; want the item", took, item, err)
	}
	// Every attempt is paced alike, so a bound that cut one would cut its
	// retries too and the GetItem would have failed. An attempt that
	// aws-sdk-go-v2 itself breaks off at its start (see
	// testRecommendedClientEndsSilentAnswer) may come first; the answer must
	// then have been read whole by the retry, in one attempt of 11 s or more.
	answers := f.settledAnswers()
	if !lastWhole(answers, "GetItem", 11*time.Second) {
		t.Errorf("the front's answers: %v; want the last a GetItem sent whole over 11 s or more: the slow answer must complete in one attempt", answers)
	}
	t.Logf("another client of the config read an answer with headers after 4 s and a body over 7 s, in %v", took)
}

func testRecommendedClientCompletesSlowSteadyAnswer(t *testing.T, h *H) {
	// A Scan page that arrives slowly but steadily, a part every 0.1 s for
	// 6 s, longer than the 5 s bound on a whole attempt that the client used
	// to have: the bound on silence never comes near, and the page is read
	// whole. The store's own bound on a call is raised here, so that only
	// the HTTP client's bounds are under test.
	t.Parallel()
	table := h.NewTable(t)
	direct := h.Store(t, h.Client(t), core.WithTable(table))
	want := commitAll(t, direct, "steady-", 20, inAnHour())
	f := newPacedFront(t, func(r *http.Request) pace {
		if isOp(r, "Scan") {
			return pace{body: 6 * time.Second}
		}
		return pace{}
	})
	s := h.Store(t, h.NewRecommended(t, f.URL, 8).DB, core.WithTable(table), core.WithScanSegments(1), core.WithTimeout(time.Minute))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	got, err := s.AllCtx(ctx)
	took := time.Since(start)
	if err != nil || len(got) != len(want) {
		t.Fatalf("All over a Scan page spread over 6 s, in %v = %d sessions, %v; want %d", took, len(got), err, len(want))
	}
	// An attempt that aws-sdk-go-v2 itself breaks off at its start (see
	// testRecommendedClientEndsSilentAnswer) may come first; the page must
	// then have been read whole by the retry.
	answers := f.settledAnswers()
	if !lastWhole(answers, "Scan", 5*time.Second) {
		t.Errorf("the front's answers: %v; want the last a Scan page sent whole over more than 5 s", answers)
	}
	t.Logf("the recommended client read a Scan page spread over 6 s in %v", took)
}

func testRecommendedClientEndsSilentAnswer(t *testing.T, h *H) {
	// An answer to a GetItem sends its headers and half its body, then
	// nothing: the bound on silence ends that attempt and the SDK's retry
	// succeeds, well within the store's own bound on the call (10 s).
	t.Parallel()
	table := h.NewTable(t)
	direct := h.Store(t, h.Client(t), core.WithTable(table))
	data := []byte(strings.Repeat("half of it and then nothing ", 20))
	if err := direct.CommitCtx(context.Background(), "silent", data, inAnHour()); err != nil {
		t.Fatal(err)
	}
	want := core.SilenceTimeout
	// GetItems stall until one has been held at least the bound.
	// Only one should be needed; but on a plain HTTP connection
	// aws-sdk-go-v2 (smithy-go 1.28.9) now and then breaks off an
	// attempt as its answer begins (it closes the request body
	// while net/http may still read it, and its closed body's
	// WriteTo fails with io.EOF), and the retry must then stall too.
	var f *pacedFront
	f = newPacedFront(t, func(r *http.Request) pace {
		return pace{stall: isOp(r, "GetItem") && !heldFor(f.answers(), want)}
	})
	s := h.Store(t, h.NewRecommended(t, f.URL, 4).DB, core.WithTable(table))
	start := time.Now()
	b, found, err := s.FindCtx(context.Background(), "silent")
	took := time.Since(start)
	if err != nil || !found || !bytes.Equal(b, data) {
		t.Fatalf("Find with an answer stalled half way, in %v = %v, %v; want the data after a retry", took, found, err)
	}
	answers := f.settledAnswers()
	if !heldFor(answers, want) {
		t.Errorf("the front's answers: %v; want a stalled one that the client hung up on after %v of silence", answers, want)
	}
	if !lastWhole(answers, "GetItem", 0) {
		t.Errorf("the front's answers: %v; want the last a GetItem sent whole: the retry", answers)
	}
	t.Logf("a stalled answer was cut and retried; Find took %v with a bound on silence of %v; answers %v", took, want, answers)
}

// heldFor reports whether one of answers stalled and was held at least d
// before the client hung up. A client's bound on silence cannot run out
// early, so an answer it cut was held at least that bound.
func heldFor(answers []answer, d time.Duration) bool {
	for _, a := range answers {
		if a.stalled && !a.whole && a.held >= d {
			return true
		}
	}
	return false
}
