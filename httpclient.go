package dynamostore

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"

	"github.com/scs-stores/dynamostore/internal/core"
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
	return &http.Client{Transport: tr, Timeout: core.ClientTimeout}, nil
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
