package main

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// The front's model of the network, checked from below only (a loaded
// machine can only make things slower): a request on a new connection
// costs at least three round trips (TCP, TLS 1.3, the request), one on a
// reused connection at least one, and the front counts the connection once.
func TestFrontDelaysByRoundTripsAndCountsConnections(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "answer")
	}))
	defer backend.Close()
	f, err := newFront(backend.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	const rtt = 20 * time.Millisecond
	f.SetRTT(rtt)
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(f.CertPEM) {
		t.Fatal("the front's certificate does not parse")
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}

	get := func() time.Duration {
		t.Helper()
		t0 := time.Now()
		resp, err := hc.Get(f.URL)
		if err != nil {
			t.Fatalf("GET through the front: %v", err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || string(b) != "answer" || resp.ProtoMajor != 1 {
			t.Fatalf("GET through the front = %q over %s, %v; want the backend's answer over HTTP/1.1", b, resp.Proto, err)
		}
		return time.Since(t0)
	}
	if d := get(); d < 3*rtt {
		t.Errorf("first request, on a new connection, took %v; want at least 3 round trips (%v)", d, 3*rtt)
	}
	if d := get(); d < rtt {
		t.Errorf("second request, on the same connection, took %v; want at least a round trip (%v)", d, rtt)
	}
	if n := f.Conns(); n != 1 {
		t.Errorf("front accepted %d connections for two requests in turn; want 1", n)
	}
}
