package awsv2

import (
	"net"
	"net/http"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// The recommended client's settings, the same as the v1 package's
// NewHTTPClient; the reasons are given there, in short below.
const (
	// defaultMaxConns is the pool size used when NewHTTPClient is given 0
	// or less.
	defaultMaxConns = 64
	// dialTimeout bounds the TCP connect: room for one lost SYN.
	dialTimeout = 2 * time.Second
	// tlsHandshakeTimeout bounds the TLS handshake, two round trips.
	tlsHandshakeTimeout = 3 * time.Second
	// responseHeaderTimeout bounds each attempt's wait for the answer's
	// headers, where a half-open connection stalls; DynamoDB answers item
	// calls in milliseconds and a 1 MB Scan page in well under a second, and
	// 3 s leaves the SDK time to retry within the store's 10 s bound.
	responseHeaderTimeout = 3 * time.Second
	// clientTimeout bounds one attempt to its body's last byte.
	clientTimeout = 5 * time.Second
	// idleConnTimeout closes idle connections before a server or load
	// balancer would (commonly after 60 s).
	idleConnTimeout = 30 * time.Second
	// keepAlive is the TCP keep-alive period, Go's default.
	keepAlive = 30 * time.Second
)

// NewHTTPClient returns the SDK's own buildable HTTP client, pooled for
// maxConns concurrent requests and with timeouts, to load the config with:
//
//	cfg, err := config.LoadDefaultConfig(ctx, config.WithHTTPClient(awsv2.NewHTTPClient(64)))
//
// Since it is an *awshttp.BuildableClient, LoadDefaultConfig still applies
// AWS_CA_BUNDLE (or the shared config's ca_bundle) to it, and the SDK's
// defaults mode may still adjust its connect and handshake timeouts; a
// client of another type would make LoadDefaultConfig fail when a bundle is
// set.
//
// The SDK's default client keeps 10 idle connections per host, so above 10
// concurrent requests many requests open a new TLS connection, and by
// default it has no timeout but the connect's and the handshake's: a stalled
// connection holds a request until its context ends. The returned client keeps up to maxConns
// idle connections (64 when maxConns <= 0; more may be open at once, and the
// ones above maxConns are closed once idle), bounds each attempt (TCP
// connect 2 s, TLS handshake 3 s, headers 3 s after the request is sent, and
// 5 s in all), so that a stalled attempt ends and the SDK retries it on a
// fresh connection, and closes connections idle for 30 s. Its With methods
// return a changed copy, for example NewHTTPClient(64).WithTimeout(time.Minute).
func NewHTTPClient(maxConns int) *awshttp.BuildableClient {
	if maxConns <= 0 {
		maxConns = defaultMaxConns
	}
	return awshttp.NewBuildableClient().
		WithDialerOptions(func(d *net.Dialer) {
			d.Timeout = dialTimeout
			d.KeepAlive = keepAlive
		}).
		WithTransportOptions(func(tr *http.Transport) {
			tr.TLSHandshakeTimeout = tlsHandshakeTimeout
			tr.ResponseHeaderTimeout = responseHeaderTimeout
			tr.IdleConnTimeout = idleConnTimeout
			tr.MaxIdleConns = maxConns
			tr.MaxIdleConnsPerHost = maxConns
		}).
		WithTimeout(clientTimeout)
}
