package drivertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/scs-stores/dynamostore/internal/core"
	"github.com/scs-stores/dynamostore/internal/testsuite/testenv"
)

func init() {
	add(
		test{"FaultRealConnectionBreaksAreErrorsNeverNotFound", testProxyConnectionBreaks},
		test{"FaultStalledServerEveryCallEndsWithinTheTimeout", testProxyStalledTimeout},
		test{"FaultStalledServerEveryCallEndsWithinTheDefaultTimeout", testProxyStalledDefaultTimeout},
		test{"FaultStoreRecoversWhenAnswersFlowAgain", testProxyRecovers},
	)
}

// What a proxy does to a new connection.
const (
	proxyPass  = ""      // carries it to the engine and back
	proxyReset = "reset" // reads the request, then resets the connection
	proxyCut   = "cut"   // passes the request on, and the first bytes of the answer, then closes
	proxyHold  = "hold"  // reads the request and never answers
)

// proxy is a loopback TCP proxy in front of the engine that breaks real
// connections: each new connection, while faults remain, gets the proxy's
// mode; the others pass.
type proxy struct {
	ln     net.Listener
	target string // host:port of the engine; empty for a proxy that only holds

	mu     sync.Mutex
	mode   string
	faults int // connections left to break; negative for all
	open   map[net.Conn]bool
	conns  sync.WaitGroup
}

// newProxy starts a proxy to target (host:port, or empty when it will only
// hold) that passes every connection until armed; it stops, closing every
// connection, when t ends.
func newProxy(t testing.TB, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, open: map[net.Conn]bool{}}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.conns.Add(1)
			go p.handle(c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		for c := range p.open {
			c.Close()
		}
		p.mu.Unlock()
		p.conns.Wait()
	})
	return p
}

// proxyToEngine starts a proxy in front of the engine under test, which
// must run on this machine.
func proxyToEngine(t testing.TB) *proxy {
	t.Helper()
	u, err := url.Parse(testenv.Endpoint(t))
	if err != nil || u.Host == "" {
		t.Fatalf("engine endpoint %q: %v", testenv.Endpoint(t), err)
	}
	return newProxy(t, u.Host)
}

// URL returns the proxy's endpoint for ClientOptions.
func (p *proxy) URL() string { return "http://" + p.ln.Addr().String() }

// arm gives the next faults new connections (all when negative) the mode.
func (p *proxy) arm(mode string, faults int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode, p.faults = mode, faults
}

// track adds c to the open connections, closed when the proxy stops, or
// removes it.
func (p *proxy) track(c net.Conn, open bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if open {
		p.open[c] = true
	} else {
		delete(p.open, c)
	}
}

func (p *proxy) handle(c net.Conn) {
	defer p.conns.Done()
	p.track(c, true)
	defer p.track(c, false)
	defer c.Close()
	p.mu.Lock()
	mode := p.mode
	if p.faults == 0 {
		mode = proxyPass
	} else if p.faults > 0 {
		p.faults--
	}
	p.mu.Unlock()
	switch {
	case mode == proxyHold || p.target == "":
		// Read whatever comes until the client gives up and closes.
		_, _ = io.Copy(io.Discard, c)
		return
	case mode == proxyReset:
		_ = c.SetDeadline(time.Now().Add(30 * time.Second))
		buf := make([]byte, 1024)
		_, _ = c.Read(buf)
		_ = c.(*net.TCPConn).SetLinger(0) // close with a RST
		return
	}
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	p.track(up, true)
	defer p.track(up, false)
	defer up.Close()
	_ = up.SetDeadline(time.Now().Add(30 * time.Second))
	go func() {
		_, _ = io.Copy(up, c)
		up.Close() // the client is gone: so is its engine connection
	}()
	if mode == proxyCut {
		_, _ = io.CopyN(c, up, 150) // part of the status line and headers
		return
	}
	_, _ = io.Copy(c, up)
}

// testProxyConnectionBreaks puts the store behind a proxy that resets or
// cuts real TCP connections: a break on every connection fails each call
// and leaves items whole; a single break is retried away or fails, but
// never reads as "not found" or a wrong result, and no error names the
// token or the data.
func testProxyConnectionBreaks(t *testing.T, h *H) {
	testenv.RequireLocal(t, "a TCP proxy on this machine stands between the client and the engine")
	t.Parallel()
	table := h.NewTable(t)
	clean := h.Client(t)
	cleanStore := h.Store(t, clean, core.WithTable(table))
	old := faultVersion{data: []byte("old SECRET data"), expiry: time.Now().Add(time.Hour)}
	updated := faultVersion{data: []byte("new SECRET data"), expiry: time.Now().Add(2 * time.Hour)}
	type run struct {
		mode   string
		faults int
	}
	runs := []run{{proxyReset, 1}, {proxyReset, -1}, {proxyCut, 1}, {proxyCut, -1}}
	together(t, len(runs), func(i int) string { return fmt.Sprintf("%s %d", runs[i].mode, runs[i].faults) }, func(t *testing.T, i int) {
		mode, faults := runs[i].mode, runs[i].faults
		p := proxyToEngine(t)
		tr := &http.Transport{DisableKeepAlives: true} // a connection, and a fault decision, per request
		t.Cleanup(tr.CloseIdleConnections)
		cl := h.NewClient(t, ClientOptions{Transport: tr, Endpoint: p.URL(), Retries: faultRetries})
		s := h.Store(t, cl, core.WithTable(table), core.WithScanSegments(1), core.WithTimeout(time.Minute))
		token := fmt.Sprintf("proxy-token-%s-%d-SECRET", mode, faults)
		whole := func(v ...faultVersion) { t.Helper(); faultCheckWhole(t, h, clean, table, token, v...) }
		if err := cleanStore.Commit(token, old.data, old.expiry); err != nil {
			t.Fatal(err)
		}
		check := func(op string, err error) {
			t.Helper()
			if err == nil {
				if faults < 0 {
					t.Errorf("%s succeeded through a proxy that breaks every connection", op)
				}
				return
			}
			faultNotNotFound(t, h, cl, op, err)
			faultNoSecrets(t, err, token, old.data)
			faultNoSecrets(t, err, token, updated.data)
		}
		p.arm(mode, faults)
		b, found, err := s.Find(token)
		if err == nil && (!found || !bytes.Equal(b, old.data)) {
			t.Fatalf("Find = %q, %v, nil; want the old data or an error", b, found)
		}
		if err != nil && (found || b != nil) {
			t.Fatalf("Find = %q, %v, %v; want no data with the error", b, found, err)
		}
		check("Find", err)
		p.arm(mode, faults)
		err = s.Commit(token, updated.data, updated.expiry)
		check("Commit", err)
		p.arm(proxyPass, 0)
		if err == nil {
			whole(updated)
		} else {
			whole(old, updated)
		}
		p.arm(mode, faults)
		all, err := s.All()
		if err == nil && all == nil {
			t.Fatal("All returned a nil map and no error")
		}
		if err != nil && all != nil {
			t.Fatalf("All returned a map with the error %v", err)
		}
		check("All", err)
		p.arm(mode, faults)
		err = s.Delete(token)
		check("Delete", err)
		p.arm(proxyPass, 0)
		if err == nil {
			whole(faultVersion{absent: true})
		} else {
			whole(old, updated, faultVersion{absent: true})
		}
	})
}

// proxyCall is one store call, for the stalled-server tests; it returns
// the call's error and fails t on a result that comes with an error.
type proxyCall struct {
	name string
	call func(t *testing.T, s Store, token string) error
}

// proxyCalls returns every store call that sends a request.
func proxyCalls() []proxyCall {
	return []proxyCall{
		{"Find", func(t *testing.T, s Store, token string) error {
			b, found, err := s.Find(token)
			if found || b != nil {
				t.Errorf("Find = %q, %v with error %v; want no data", b, found, err)
			}
			return err
		}},
		{"Commit", func(t *testing.T, s Store, token string) error {
			return s.Commit(token, []byte("data SECRET"), time.Now().Add(time.Hour))
		}},
		{"Delete", func(t *testing.T, s Store, token string) error { return s.Delete(token) }},
		{"All", func(t *testing.T, s Store, token string) error {
			all, err := s.All()
			if all != nil {
				t.Errorf("All returned a map with error %v", err)
			}
			return err
		}},
		{"Ping", func(t *testing.T, s Store, token string) error { return s.Ping() }},
		{"DeleteExpired", func(t *testing.T, s Store, token string) error {
			n, err := s.DeleteExpired(context.Background())
			if n != 0 {
				t.Errorf("DeleteExpired removed %d sessions through a stalled server", n)
			}
			return err
		}},
		{"CreateTable", func(t *testing.T, s Store, token string) error { return s.CreateTable(context.Background()) }},
	}
}

// proxyCheckStalled fails t unless err, the error of call that took took
// against a stalled server with a store bounded by bound, ended within the
// bound and matches context.DeadlineExceeded, and is not "not found".
func proxyCheckStalled(t *testing.T, h *H, c Client, call string, err error, took, bound time.Duration, token string) {
	t.Helper()
	const slack = 5 * time.Second // a noisy, shared machine and the SDKs' own backoff; far below the held minute
	if took > bound+slack {
		t.Errorf("%s returned after %v, more than %v past the store's bound of %v", call, took, slack, bound)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("%s = %v, which does not match context.DeadlineExceeded", call, err)
	}
	if errors.Is(err, core.ErrTableNotReady) {
		t.Errorf("%s = %v, which reads as a table that is not ready", call, err)
	}
	faultNotNotFound(t, h, c, call, err)
	faultNoSecrets(t, err, token, []byte("data SECRET"))
}

// testProxyStalledTimeout sends every call to a server that accepts each
// request and never answers: each returns within the store's bound, with
// an error matching context.DeadlineExceeded, never as "not found".
func testProxyStalledTimeout(t *testing.T, h *H) {
	t.Parallel()
	const bound = 500 * time.Millisecond
	p := newProxy(t, "")
	c := h.NewClient(t, ClientOptions{Endpoint: p.URL()})
	s := h.Store(t, c, core.WithTable(testenv.TableName(t)), core.WithTimeout(bound))
	calls := proxyCalls()
	together(t, len(calls), func(i int) string { return calls[i].name }, func(t *testing.T, i int) {
		call := calls[i]
		token := t.Name() + "-SECRET"
		start := time.Now()
		err := call.call(t, s, token)
		proxyCheckStalled(t, h, c, call.name, err, time.Since(start), bound, token)
	})
}

// testProxyStalledDefaultTimeout is testProxyStalledTimeout for a store
// with default options: the default bound ends every call.
func testProxyStalledDefaultTimeout(t *testing.T, h *H) {
	t.Parallel()
	p := newProxy(t, "")
	c := h.NewClient(t, ClientOptions{Endpoint: p.URL()})
	s := h.Store(t, c, core.WithTable(testenv.TableName(t)))
	calls := proxyCalls()
	together(t, len(calls), func(i int) string { return calls[i].name }, func(t *testing.T, i int) {
		call := calls[i]
		token := t.Name() + "-SECRET"
		start := time.Now()
		err := call.call(t, s, token)
		proxyCheckStalled(t, h, c, call.name, err, time.Since(start), core.DefaultTimeout, token)
	})
}

// testProxyRecovers puts a store behind a proxy that holds every answer
// back: its calls fail within its bound and change nothing; once the proxy
// passes answers again, the same store, on the same client, serves every
// call.
func testProxyRecovers(t *testing.T, h *H) {
	testenv.RequireLocal(t, "a TCP proxy on this machine stands between the client and the engine")
	t.Parallel()
	const bound = 500 * time.Millisecond
	table := h.SharedTable(t)
	clean := h.Client(t)
	token := t.Name() + "-SECRET"
	old := faultVersion{data: []byte("old SECRET data"), expiry: time.Now().Add(time.Hour)}
	updated := faultVersion{data: []byte("data SECRET"), expiry: time.Now().Add(2 * time.Hour)}
	if err := h.Store(t, clean, core.WithTable(table)).Commit(token, old.data, old.expiry); err != nil {
		t.Fatal(err)
	}
	p := proxyToEngine(t)
	p.arm(proxyHold, -1)
	c := h.NewClient(t, ClientOptions{Endpoint: p.URL()})
	s := h.Store(t, c, core.WithTable(table), core.WithTimeout(bound))

	start := time.Now()
	_, _, err := s.Find(token)
	proxyCheckStalled(t, h, c, "Find", err, time.Since(start), bound, token)
	start = time.Now()
	err = s.Commit(token, updated.data, updated.expiry)
	proxyCheckStalled(t, h, c, "Commit", err, time.Since(start), bound, token)
	faultCheckWhole(t, h, clean, table, token, old)

	p.arm(proxyPass, 0)
	if err := s.Ping(); err != nil {
		t.Fatalf("Ping once answers flow: %v", err)
	}
	MustFind(t, s, token, old.data)
	if err := s.Commit(token, updated.data, updated.expiry); err != nil {
		t.Fatalf("Commit once answers flow: %v", err)
	}
	faultCheckWhole(t, h, clean, table, token, updated)
	MustFind(t, s, token, updated.data)
	if err := s.Delete(token); err != nil {
		t.Fatalf("Delete once answers flow: %v", err)
	}
	MustNotFind(t, s, token)
}
