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
)

// The recommended client's settings. The same values are used by the awsv2
// package's NewHTTPClient.
const (
	// defaultMaxConns is the pool size NewHTTPClient uses when given 0 or
	// less: 64 concurrent requests to DynamoDB covers a busy web server on a
	// few cores, and idle connections cost only a file descriptor each.
	defaultMaxConns = 64

	// dialTimeout bounds the TCP connect. A DynamoDB endpoint in the same
	// region answers a SYN within milliseconds, and across continents within
	// a few hundred; 2 s leaves room for one lost SYN (Linux resends it after
	// 1 s) and then lets the SDK retry on another address.
	dialTimeout = 2 * time.Second

	// tlsHandshakeTimeout bounds the TLS handshake: two round trips and a
	// certificate check, well under a second anywhere a user would run
	// against DynamoDB; Go's default of 10 s would alone eat the store's
	// whole per-call bound.
	tlsHandshakeTimeout = 3 * time.Second

	// responseHeaderTimeout bounds, for each attempt, the wait between the
	// end of the request and the response's headers: that wait is where a
	// half-open connection or an unreachable server stalls. DynamoDB answers
	// GetItem, PutItem and DeleteItem in milliseconds and a 1 MB Scan page in
	// well under a second (about 0.4 s on DynamoDB Local at its slowest, in
	// BENCHMARKS.md), so 3 s fails only a stalled attempt, and leaves time
	// for the SDK to retry on a fresh connection within the store's default
	// 10 s bound on each call (WithTimeout).
	responseHeaderTimeout = 3 * time.Second

	// clientTimeout bounds one attempt from start to the last byte of the
	// body, so that an answer that stops half-way is also cut off. A 1 MB
	// Scan page or a 400 KB item takes well under a second on any link fit
	// for talking to DynamoDB.
	clientTimeout = 5 * time.Second

	// idleConnTimeout closes a connection left idle this long: long enough
	// to carry a pool across quiet spells of a live app, and shorter than the
	// 60 s after which load balancers commonly drop idle connections, so that
	// the client, not the server, closes them and no request is sent on a
	// connection that the server is closing.
	idleConnTimeout = 30 * time.Second

	// keepAlive is the TCP keep-alive period, Go's default.
	keepAlive = 30 * time.Second
)

// caBundleVar names the environment variable that the AWS SDKs read a PEM
// file of trusted certificate authorities from.
const caBundleVar = "AWS_CA_BUNDLE"

// NewHTTPClient returns an HTTP client for aws-sdk-go (v1) DynamoDB clients,
// pooled for maxConns concurrent requests and with timeouts, to give per
// service client:
//
//	hc, err := dynamostore.NewHTTPClient(64)
//	if err != nil { ... }
//	db := dynamodb.New(sess, &aws.Config{HTTPClient: hc})
//
// The SDK's default client (http.DefaultClient) keeps only 2 idle
// connections per host, so above 2 concurrent requests most requests open a
// new TLS connection, and it has no timeout: a stalled connection holds a
// request until its context ends. The returned client keeps up to maxConns
// idle connections (64 when maxConns <= 0; more may be open at once, and the
// ones above maxConns are closed once idle), bounds each attempt (TCP
// connect 2 s, TLS handshake 3 s, headers 3 s after the request is sent, and
// 5 s in all), so that a stalled attempt ends and the SDK retries it on a
// fresh connection, and closes connections idle for 30 s. Its Transport is
// an *http.Transport, whose fields may be changed before first use.
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
	if maxConns <= 0 {
		maxConns = defaultMaxConns
	}
	var tr *http.Transport
	if def, ok := http.DefaultTransport.(*http.Transport); ok {
		tr = def.Clone()
	} else {
		tr = &http.Transport{Proxy: http.ProxyFromEnvironment, ForceAttemptHTTP2: true}
	}
	tr.DialContext = (&net.Dialer{Timeout: dialTimeout, KeepAlive: keepAlive}).DialContext
	tr.TLSHandshakeTimeout = tlsHandshakeTimeout
	tr.ResponseHeaderTimeout = responseHeaderTimeout
	tr.IdleConnTimeout = idleConnTimeout
	tr.MaxIdleConns = maxConns
	tr.MaxIdleConnsPerHost = maxConns
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
	return &http.Client{Transport: tr, Timeout: clientTimeout}, nil
}

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
