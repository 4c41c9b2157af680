package core

import (
	"net"
	"net/http"
	"time"
)

// The recommended HTTP client's settings, which both packages'
// NewHTTPClient apply: the pool, and a bound on each attempt so that a
// stalled one ends and the SDK retries it on a fresh connection, well within
// the store's own bound on each call (DefaultTimeout, 10 s).
const (
	// DefaultMaxConns is the pool size used for a maxConns of 0 or less: 64
	// concurrent requests to DynamoDB covers a busy web server on a few
	// cores, and an idle connection costs only a file descriptor.
	DefaultMaxConns = 64

	// DialTimeout bounds the TCP connect. A DynamoDB endpoint in the same
	// region answers a SYN within milliseconds, and across continents within
	// a few hundred; 2 s leaves room for one lost SYN (Linux resends it after
	// 1 s) and then lets the SDK retry on another address.
	DialTimeout = 2 * time.Second

	// TLSHandshakeTimeout bounds the TLS handshake: two round trips and a
	// certificate check. Go's default of 10 s would alone eat the store's
	// whole bound on a call.
	TLSHandshakeTimeout = 3 * time.Second

	// ResponseHeaderTimeout bounds, for each attempt, the wait between the
	// end of the request and the answer's headers: where a half-open
	// connection or an unreachable server stalls. DynamoDB answers item
	// calls in milliseconds and a 1 MB Scan page in well under a second
	// (about 0.4 s on DynamoDB Local at its slowest, in BENCHMARKS.md).
	ResponseHeaderTimeout = 3 * time.Second

	// ClientTimeout bounds one attempt from start to the last byte of the
	// answer, so that an answer that stops half-way is cut off too.
	ClientTimeout = 5 * time.Second

	// IdleConnTimeout closes a connection left idle this long: shorter than
	// the 60 s after which load balancers commonly drop idle connections,
	// so that the client, not the server, closes them and no request is sent
	// on a connection the server is closing.
	IdleConnTimeout = 30 * time.Second

	// KeepAlive is the TCP keep-alive period, Go's default.
	KeepAlive = 30 * time.Second
)

// TuneDialer sets d's connect timeout and keep-alive period.
func TuneDialer(d *net.Dialer) {
	d.Timeout = DialTimeout
	d.KeepAlive = KeepAlive
}

// TuneTransport sizes t's pool of idle connections for maxConns concurrent
// requests (DefaultMaxConns when maxConns is 0 or less) and sets its
// handshake, answer and idle timeouts. It leaves open connections
// unlimited, so that a burst above maxConns does not queue.
func TuneTransport(t *http.Transport, maxConns int) {
	if maxConns <= 0 {
		maxConns = DefaultMaxConns
	}
	t.TLSHandshakeTimeout = TLSHandshakeTimeout
	t.ResponseHeaderTimeout = ResponseHeaderTimeout
	t.IdleConnTimeout = IdleConnTimeout
	t.MaxIdleConns = maxConns
	t.MaxIdleConnsPerHost = maxConns
}
