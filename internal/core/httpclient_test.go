package core

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// pacedServer answers every request with parts written one after another,
// each after its pause, and flushed; a negative pause holds the answer
// there until the client hangs up. It counts the connections it accepts and
// the requests whose client hung up, and those it answered whole.
type pacedServer struct {
	*httptest.Server
	conns, hungUp, answered atomic.Int64
}

type part struct {
	pause time.Duration
	text  string
}

func newPacedServer(t *testing.T, parts ...part) *pacedServer {
	t.Helper()
	s := &pacedServer{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		for _, p := range parts {
			if p.pause < 0 {
				<-r.Context().Done()
				s.hungUp.Add(1)
				return
			}
			select {
			case <-time.After(p.pause):
			case <-r.Context().Done():
				s.hungUp.Add(1)
				return
			}
			_, _ = io.WriteString(w, p.text)
			w.(http.Flusher).Flush()
		}
		s.answered.Add(1)
	}))
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

// get sends a GET to s through BoundSilence with quiet, and returns the
// body it read and the error of reading it.
func (s *pacedServer) get(t *testing.T, ctx context.Context, quiet time.Duration) (string, error) {
	t.Helper()
	do := BoundSilence(s.Client().Do, quiet)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := do(req)
	if err != nil {
		t.Fatalf("headers: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func TestBoundSilenceCompletesASlowAnswerThatKeepsArriving(t *testing.T) {
	t.Parallel()
	// 30 parts 50 ms apart: the answer takes 1.5 s in all, more than the
	// bound on silence, and no pause comes near it (each leaves 950 ms to a
	// loaded machine).
	const quiet = time.Second
	var parts []part
	for range 30 {
		parts = append(parts, part{50 * time.Millisecond, "x"})
	}
	s := newPacedServer(t, parts...)
	start := time.Now()
	got, err := s.get(t, context.Background(), quiet)
	if err != nil || got != strings.Repeat("x", 30) {
		t.Fatalf("slow but steady answer = %q, %v; want 30 bytes", got, err)
	}
	// The server's pauses alone take 1.5 s: this cannot fail on a slow
	// machine, only if the test stops meaning anything.
	if took := time.Since(start); took <= quiet {
		t.Errorf("the answer took %v; want it longer than the bound on silence, %v, for the test to mean anything", took, quiet)
	}
}

func TestBoundSilenceEndsAnAnswerThatStops(t *testing.T) {
	t.Parallel()
	const quiet = 200 * time.Millisecond
	s := newPacedServer(t, part{0, "half of it"}, part{-1, ""})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	got, err := s.get(t, ctx, quiet)
	took := time.Since(start)
	if got != "half of it" || err == nil {
		t.Fatalf("stalled answer = %q, %v; want the bytes sent and an error", got, err)
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("error %v is not a net.Error timeout, which the SDKs retry", err)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v matches a context error: it would read as the caller's cancellation", err)
	}
	if want := "no byte of the answer for 200ms"; err.Error() != want {
		t.Errorf("error = %q; want %q", err, want)
	}
	// The timer cannot run out early; the guard only says it ran out at all
	// rather than the test's own deadline.
	if took < quiet || took > 9*time.Second {
		t.Errorf("the stalled answer ended after %v; want %v or a little more", took, quiet)
	}
	waitFor(t, "the server to see the client hang up", func() bool { return s.hungUp.Load() == 1 })
}

func TestBoundSilenceLeavesTheCallersCancellationAsItIs(t *testing.T) {
	t.Parallel()
	s := newPacedServer(t, part{0, "half of it"}, part{-1, ""})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := BoundSilence(s.Client().Do, time.Minute)(req)
	if err != nil {
		t.Fatalf("headers: %v", err)
	}
	defer resp.Body.Close()
	// Cancelled once the headers are in, most likely while a Read waits.
	time.AfterFunc(50*time.Millisecond, cancel)
	if _, err = io.ReadAll(resp.Body); !errors.Is(err, context.Canceled) {
		t.Fatalf("answer read after the caller cancelled: err = %v; want context.Canceled", err)
	}
}

func TestBoundSilenceDoesNotCountTimeBetweenReads(t *testing.T) {
	t.Parallel()
	// The whole answer is sent at once, and the reads start once the server
	// has sent it, so that each returns at once; the reader takes longer
	// than the bound before each, as a caller busy decoding would.
	const quiet = 100 * time.Millisecond
	s := newPacedServer(t, part{0, "abc"})
	do := BoundSilence(s.Client().Do, quiet)
	req, _ := http.NewRequest(http.MethodGet, s.URL, nil)
	resp, err := do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	waitFor(t, "the server to send the whole answer", func() bool { return s.answered.Load() == 1 })
	var got []byte
	buf := make([]byte, 1)
	for {
		time.Sleep(2 * quiet)
		n, err := resp.Body.Read(buf)
		got = append(got, buf[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("Read after a pause of the reader's own: %v", err)
		}
	}
	if string(got) != "abc" {
		t.Errorf("read %q; want abc", got)
	}
}

func TestBoundSilenceKeepsConnectionsForReuse(t *testing.T) {
	t.Parallel()
	s := newPacedServer(t, part{0, "abc"})
	for i := range 3 {
		if got, err := s.get(t, context.Background(), time.Minute); err != nil || got != "abc" {
			t.Fatalf("request %d = %q, %v", i, got, err)
		}
	}
	if n := s.conns.Load(); n != 1 {
		t.Errorf("3 requests one after another opened %d connections; want 1", n)
	}
}

func TestBoundSilenceOfZeroIsNoBound(t *testing.T) {
	t.Parallel()
	s := newPacedServer(t, part{0, "abc"})
	req, _ := http.NewRequest(http.MethodGet, s.URL, nil)
	for _, quiet := range []time.Duration{0, -time.Second} {
		resp, err := BoundSilence(s.Client().Do, quiet)(req)
		if err != nil {
			t.Fatal(err)
		}
		if _, wrapped := resp.Body.(*silentBody); wrapped {
			t.Errorf("BoundSilence(do, %v) bounds the body; want do as it is", quiet)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

func TestBoundSilencePassesHeaderErrorsOn(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	do := BoundSilence(func(*http.Request) (*http.Response, error) { return nil, boom }, time.Second)
	req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1:1/", nil)
	if resp, err := do(req); resp != nil || !errors.Is(err, boom) {
		t.Fatalf("do = %v, %v; want nil and the error of the wrapped do", resp, err)
	}
}

// waitFor polls cond until it holds, failing t after 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
