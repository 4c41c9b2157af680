package core

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// The recommended HTTP client's settings, which both packages apply to the
// DynamoDB client alone: the pool, and bounds on each attempt's waits so that
// a stalled attempt ends and the SDK retries it on a fresh connection, well
// within the store's own bound on each call (DefaultTimeout, 10 s). No bound
// is on a whole attempt: a large Scan page arriving slowly but steadily is
// not cut off; the store's bound on the call still ends it.
const (
	// defaultMaxConns is the pool size used for a maxConns of 0 or less: 64
	// concurrent requests to DynamoDB covers a busy web server on a few
	// cores, and an idle connection costs only a file descriptor.
	defaultMaxConns = 64

	// dialTimeout bounds the TCP connect. A DynamoDB endpoint in the same
	// region answers a SYN within milliseconds, and across continents within
	// a few hundred; 2 s leaves room for one lost SYN (Linux resends it after
	// 1 s). When the name resolves to several addresses, Go's dialer splits
	// this time between those it tries in turn, and a failed connect is then
	// retried by the SDK as a new attempt.
	dialTimeout = 2 * time.Second

	// tlsHandshakeTimeout bounds the TLS handshake: two round trips and a
	// certificate check. Go's default of 10 s would alone eat the store's
	// whole bound on a call.
	tlsHandshakeTimeout = 3 * time.Second

	// responseHeaderTimeout bounds, for each attempt, the wait between the
	// end of the request and the answer's headers: where a half-open
	// connection or an unreachable server stalls. DynamoDB answers item
	// calls in milliseconds and a 1 MB Scan page in well under a second
	// (about 0.4 s on DynamoDB Local at its slowest, in BENCHMARKS.md).
	responseHeaderTimeout = 3 * time.Second

	// SilenceTimeout bounds, for each attempt, a silence in the answer's
	// body: how long a read may wait without a byte arriving (see
	// BoundSilence). DynamoDB sends its headers once the whole answer is
	// ready (they carry its checksum), so after them the body flows at the
	// network's pace and a pause means lost packets: Linux resends a lost
	// segment after 0.2 s at the earliest, then 0.4 s and 0.8 s later, so 2 s
	// of silence is three losses of the same segment in a row, a dead
	// connection rather than a slow one. A slow answer that keeps arriving
	// is never cut off, however long it takes in all, and a stalled one ends
	// 2 s after its last byte, leaving the store's 10 s bound room for the
	// retry.
	SilenceTimeout = 2 * time.Second

	// idleConnTimeout closes a connection left idle this long: shorter than
	// the 60 s after which load balancers commonly drop idle connections,
	// so that the client, not the server, closes them and no request is sent
	// on a connection the server is closing.
	idleConnTimeout = 30 * time.Second

	// keepAlive is the TCP keep-alive period, Go's default.
	keepAlive = 30 * time.Second
)

// TuneDialer sets d's connect timeout and keep-alive period.
func TuneDialer(d *net.Dialer) {
	d.Timeout = dialTimeout
	d.KeepAlive = keepAlive
}

// TuneTransport sizes t's pool of idle connections for maxConns concurrent
// requests (defaultMaxConns when maxConns is 0 or less) and sets its
// handshake, answer and idle timeouts. It leaves open connections
// unlimited, so that a burst above maxConns does not queue.
func TuneTransport(t *http.Transport, maxConns int) {
	if maxConns <= 0 {
		maxConns = defaultMaxConns
	}
	t.TLSHandshakeTimeout = tlsHandshakeTimeout
	t.ResponseHeaderTimeout = responseHeaderTimeout
	t.IdleConnTimeout = idleConnTimeout
	t.MaxIdleConns = maxConns
	t.MaxIdleConnsPerHost = maxConns
}

// BoundSilence returns do with a bound on silence in each answer's body: a
// Read of the body that waits quiet without a byte fails, and the request is
// cancelled so that its connection is closed. Every byte that arrives starts
// the bound again, and the time between Reads, while the caller works on
// what it read, does not count. The failed Read's error says how long the
// answer was silent; it is a net.Error whose Timeout method returns true, so
// that both SDKs retry the attempt, and it does not match context.Canceled.
// A quiet of 0 or less returns do unchanged. An error of do, and the wait
// for the answer's headers, are left as they are.
func BoundSilence(do func(*http.Request) (*http.Response, error), quiet time.Duration) func(*http.Request) (*http.Response, error) {
	if quiet <= 0 {
		return do
	}
	return func(req *http.Request) (*http.Response, error) {
		ctx, cancel := context.WithCancelCause(req.Context())
		resp, err := do(req.WithContext(ctx))
		if err != nil {
			cancel(nil)
			return resp, err
		}
		b := &silentBody{body: resp.Body, cancel: cancel, quiet: quiet}
		b.timer = time.AfterFunc(quiet, b.expire)
		b.timer.Stop()
		resp.Body = b
		return resp, nil
	}
}

// silentBody is an answer's body under BoundSilence.
type silentBody struct {
	body   io.ReadCloser
	cancel context.CancelCauseFunc
	quiet  time.Duration
	timer  *time.Timer // runs while a Read waits
	silent atomic.Bool // the timer ran out
}

// expire ends the request whose Read waited too long.
func (b *silentBody) expire() {
	b.silent.Store(true)
	b.cancel(silenceError{b.quiet})
}

func (b *silentBody) Read(p []byte) (int, error) {
	if b.silent.Load() {
		return 0, silenceError{b.quiet}
	}
	b.timer.Reset(b.quiet)
	n, err := b.body.Read(p)
	b.timer.Stop()
	switch {
	case err == nil:
	case b.silent.Load():
		// expire sets silent before it cancels: a Read that failed
		// because of the cancel sees it.
		err = silenceError{b.quiet}
	default:
		// The end of the answer, or a failure: nothing is left to bound.
		b.cancel(nil)
	}
	return n, err
}

func (b *silentBody) Close() error {
	b.timer.Stop()
	err := b.body.Close()
	b.cancel(nil)
	return err
}

// silenceError is the error of a Read that BoundSilence ended: no byte of
// the answer arrived for quiet.
type silenceError struct{ quiet time.Duration }

func (e silenceError) Error() string {
	return fmt.Sprintf("no byte of the answer for %v", e.quiet)
}

// Timeout returns true: the answer timed out.
func (silenceError) Timeout() bool { return true }

// Temporary returns true: another attempt may succeed.
func (silenceError) Temporary() bool { return true }
