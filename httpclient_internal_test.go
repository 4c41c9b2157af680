package dynamostore

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestNewHTTPClientSizesIdlePoolAndBoundsWaitsOnly(t *testing.T) {
	t.Setenv("AWS_CA_BUNDLE", "")
	for _, tc := range []struct{ maxConns, want int }{{0, 64}, {-1, 64}, {1, 1}, {16, 16}, {500, 500}} {
		tr, err := newTransport(tc.maxConns)
		if err != nil {
			t.Fatal(err)
		}
		if tr.MaxIdleConnsPerHost != tc.want || tr.MaxIdleConns != tc.want {
			t.Errorf("NewHTTPClient(%d): MaxIdleConns %d, MaxIdleConnsPerHost %d; want %d", tc.maxConns, tr.MaxIdleConns, tr.MaxIdleConnsPerHost, tc.want)
		}
		if tr.ResponseHeaderTimeout <= 0 || tr.TLSHandshakeTimeout <= 0 || tr.IdleConnTimeout <= 0 {
			t.Errorf("NewHTTPClient(%d): a timeout is off: headers %v, handshake %v, idle %v", tc.maxConns, tr.ResponseHeaderTimeout, tr.TLSHandshakeTimeout, tr.IdleConnTimeout)
		}
	}
	hc, err := NewHTTPClient(0)
	if err != nil {
		t.Fatal(err)
	}
	if hc.Timeout != 0 {
		t.Errorf("NewHTTPClient: a bound of %v on each whole request; want none, so that a slow but steady answer is not cut off", hc.Timeout)
	}
	if _, plain := hc.Transport.(*http.Transport); plain {
		t.Errorf("NewHTTPClient: the transport is a bare *http.Transport; want it wrapped with the bound on silence")
	}
}

func TestNewHTTPClientClosesItsIdleConnections(t *testing.T) {
	// What a service's shutdown, or a test that checks for leaked
	// goroutines, asks of the client: http.Client.CloseIdleConnections
	// reaches the pool behind the bound on silence.
	t.Setenv("AWS_CA_BUNDLE", "")
	var closed atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok")
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateClosed {
			closed.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	hc, err := NewHTTPClient(1)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := hc.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	hc.CloseIdleConnections()
	for deadline := time.Now().Add(10 * time.Second); closed.Load() == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the idle connection was still open 10 s after CloseIdleConnections")
		}
	}
}
