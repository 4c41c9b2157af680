package dynamostore

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/scs-stores/dynamostore/internal/core"
)

// caBundleVar names the environment variable that the AWS SDKs read a PEM
// file of trusted certificate authorities from.
const caBundleVar = "AWS_CA_BUNDLE"

// NewHTTPClient returns an HTTP client for aws-sdk-go (v1) DynamoDB clients,
// pooled for maxConns concurrent requests and with bounds on each attempt's
// waits, to give per service client:
//
//	hc, err := dynamostore.NewHTTPClient(64)
//	if err != nil { ... }
//	db := dynamodb.New(sess, &aws.Config{HTTPClient: hc})
//
// Given so, it serves that DynamoDB client only: the session, and every
// other service client made from it, keep their own HTTP client.
//
// The SDK's default client (http.DefaultClient) keeps only 2 idle
// connections per host, so above 2 concurrent requests most requests open a
// new TLS connection, and it has no timeout: a stalled connection holds a
// request until its context ends. The returned client keeps up to maxConns
// idle connections (64 when maxConns <= 0; more may be open at once, and the
// ones above maxConns are closed once idle) and closes connections idle for
// 30 s. It bounds each attempt's waits: TCP connect 2 s, TLS handshake 3 s,
// headers 3 s after the request is sent, and 2 s of silence while reading
// the answer, so that a stalled attempt ends and the SDK retries it on a
// fresh connection. It sets no bound on a whole attempt, so that a large
// Scan page arriving slowly but steadily is not cut off; the store's bound
// on each call (WithTimeout) still applies. A read ended by silence fails
// with a net.Error whose Timeout method returns true. Its Transport wraps an
// *http.Transport of its own; the client's CloseIdleConnections closes that
// transport's idle connections.
//
// When AWS_CA_BUNDLE is set, the client trusts the certificate authorities
// in that PEM file instead of the system's, as the SDK does for its own
// client; the shared config's ca_bundle is not read. Given per service
// client, the client is out of the session's reach: with that variable set,
// a session refuses an HTTP client whose transport is not an
// *http.Transport (one wrapped for tracing, say) and rewrites the
// certificate authorities of one that is. NewHTTPClient returns an error,
// matching the file system's error where there is one, when the file cannot
// be read or holds no PEM certificate.
func NewHTTPClient(maxConns int) (*http.Client, error) {
	return newHTTPClient(maxConns, core.SilenceTimeout)
}

// newHTTPClient is NewHTTPClient with quiet as its bound on silence, for
// tests that do not wait seconds for it.
func newHTTPClient(maxConns int, quiet time.Duration) (*http.Client, error) {
	tr, err := newTransport(maxConns)
	if err != nil {
		return nil, err
	}
	return &http.Client{Transport: boundTransport{tr, core.BoundSilence(tr.RoundTrip, quiet)}}, nil
}

// newTransport returns NewHTTPClient's transport: pooled for maxConns, with
// its timeouts, and trusting AWS_CA_BUNDLE when it is set.
func newTransport(maxConns int) (*http.Transport, error) {
	var tr *http.Transport
	if def, ok := http.DefaultTransport.(*http.Transport); ok {
		tr = def.Clone()
	} else {
		tr = &http.Transport{Proxy: http.ProxyFromEnvironment, ForceAttemptHTTP2: true}
	}
	dialer := &net.Dialer{}
	core.TuneDialer(dialer)
	tr.DialContext = dialer.DialContext
	core.TuneTransport(tr, maxConns)
	if path := os.Getenv(caBundleVar); path != "" {
		pool, err := loadCABundle(path)
		if err != nil {
			return nil, fmt.Errorf("dynamostore: %s: %w", caBundleVar, err)
		}
		if tr.TLSClientConfig == nil {
			tr.TLSClientConfig = &tls.Config{}
		}
		tr.TLSClientConfig.RootCAs = pool
	}
	return tr, nil
}

// boundTransport is NewHTTPClient's transport: tr, with the bound on
// silence in front of it.
type boundTransport struct {
	tr *http.Transport
	do func(*http.Request) (*http.Response, error)
}

// RoundTrip sends r through tr under the bound on silence.
func (b boundTransport) RoundTrip(r *http.Request) (*http.Response, error) { return b.do(r) }

// CloseIdleConnections closes tr's idle connections, so that the client's
// CloseIdleConnections still reaches them.
func (b boundTransport) CloseIdleConnections() { b.tr.CloseIdleConnections() }

// loadCABundle returns a pool of the certificates in the PEM file at path.
func loadCABundle(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s: %w", path, errNoPEMCertificate)
	}
	return pool, nil
}

// errNoPEMCertificate is the cause of NewHTTPClient's error for a CA bundle
// file without a certificate.
var errNoPEMCertificate = errors.New("no PEM certificate found")
