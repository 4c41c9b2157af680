package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// front is a TLS front for a plain-HTTP DynamoDB endpoint on the loopback,
// with an injected network round-trip time. Each byte either way reaches the
// other side half a round trip after it was sent, and the first bytes of a
// new connection one more round trip later, as a TCP handshake would cost;
// the TLS handshake then costs its own round trip through the same delay.
// It answers HTTP/1.1 only (no h2 in ALPN), so that each request in flight
// needs a connection of its own, as with DynamoDB, and forwards requests to
// the endpoint over a pool of its own, so that the endpoint sees the same
// connections whatever the clients do.
type front struct {
	URL     string // https://127.0.0.1:PORT
	CertPEM []byte // the self-signed certificate, PEM-encoded

	ln    net.Listener
	inner *chanListener
	srv   *http.Server
	rtt   atomic.Int64 // nanoseconds, read when a connection is accepted
	conns atomic.Int64 // connections accepted so far

	mu   sync.Mutex
	live map[net.Conn]struct{}
}

// newFront starts a front for the plain-HTTP server at backend, with a
// freshly generated self-signed certificate for 127.0.0.1.
func newFront(backend string) (*front, error) {
	target, err := url.Parse(backend)
	if err != nil {
		return nil, fmt.Errorf("backend URL %q: %w", backend, err)
	}
	cert, certPEM, err := selfSigned()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("front listener: %w", err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.Transport = &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, IdleConnTimeout: time.Minute}
	proxy.ErrorLog = log.New(io.Discard, "", 0)
	f := &front{
		URL:     "https://" + ln.Addr().String(),
		CertPEM: certPEM,
		ln:      ln,
		inner:   &chanListener{conns: make(chan net.Conn), done: make(chan struct{}), addr: ln.Addr()},
		live:    map[net.Conn]struct{}{},
	}
	f.srv = &http.Server{
		Handler:      proxy,
		TLSConfig:    &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}},
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){}, // no HTTP/2
		ErrorLog:     log.New(io.Discard, "", 0),
	}
	go func() { _ = f.srv.ServeTLS(f.inner, "", "") }()
	go f.accept()
	return f, nil
}

// SetRTT sets the round-trip time of connections accepted from now on.
func (f *front) SetRTT(d time.Duration) { f.rtt.Store(int64(d)) }

// Conns returns how many connections the front has accepted so far.
func (f *front) Conns() int64 { return f.conns.Load() }

// CloseConns closes every connection open to the front, so that clients
// left over from one measurement hold nothing during the next.
func (f *front) CloseConns() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for c := range f.live {
		c.Close()
	}
}

// Close stops the front and closes its connections.
func (f *front) Close() {
	f.ln.Close()
	f.CloseConns()
	f.srv.Close()
}

func (f *front) accept() {
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.conns.Add(1)
		rtt := time.Duration(f.rtt.Load())
		start := time.Now()
		client, server := net.Pipe()
		f.mu.Lock()
		f.live[c] = struct{}{}
		f.mu.Unlock()
		closeAll := sync.OnceFunc(func() {
			c.Close()
			client.Close()
			f.mu.Lock()
			delete(f.live, c)
			f.mu.Unlock()
		})
		// The TCP handshake's round trip: nothing the client sends gets
		// through before it, then half a round trip each way.
		go delayCopy(client, c, start.Add(rtt), rtt/2, closeAll)
		go delayCopy(c, client, start, rtt/2, closeAll)
		select {
		case f.inner.conns <- server:
		case <-f.inner.done:
			closeAll()
			return
		}
	}
}

// delayCopy copies src to dst, writing each chunk read from src delay after
// it was read, and never before notBefore plus delay; it calls done when
// either side fails or ends.
func delayCopy(dst io.Writer, src io.Reader, notBefore time.Time, delay time.Duration, done func()) {
	type chunk struct {
		b  []byte
		at time.Time
	}
	chunks := make(chan chunk, 256)
	go func() {
		defer close(chunks)
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				at := time.Now()
				if at.Before(notBefore) {
					at = notBefore
				}
				chunks <- chunk{b: append([]byte(nil), buf[:n]...), at: at.Add(delay)}
			}
			if err != nil {
				return
			}
		}
	}()
	defer done()
	for c := range chunks {
		if d := time.Until(c.at); d > 0 {
			time.Sleep(d)
		}
		if _, err := dst.Write(c.b); err != nil {
			// Unblock the reader, which may wait to hand over its next chunk.
			go func() {
				for range chunks {
				}
			}()
			return
		}
	}
}

// chanListener is a net.Listener whose connections are handed to it on a
// channel.
type chanListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
	addr  net.Addr
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *chanListener) Addr() net.Addr { return l.addr }

// selfSigned returns a new self-signed certificate for 127.0.0.1 and
// localhost, valid for a day, and its PEM encoding.
func selfSigned() (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("certificate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("certificate serial: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "netbench TLS front"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("certificate: %w", err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if certPEM == nil {
		return tls.Certificate{}, nil, errors.New("certificate: PEM encoding failed")
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, certPEM, nil
}
