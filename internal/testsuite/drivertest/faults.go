package drivertest

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/scs-stores/dynamostore/internal/core"
	"github.com/scs-stores/dynamostore/internal/core/driver"
)

func init() {
	add(
		test{"FaultsAreRetriedOrReturnedAsErrorsNeverAsNotFound", testFaultsRetriedOrErrors},
		test{"FaultSlowServerCallsEndAtTheirContextDeadline", testFaultSlowServer},
		test{"FaultCommitWhoseAnswerIsLostLeavesAWholeItem", testFaultLostCommitAnswer},
	)
}

// together runs f(t, i) for i from 0 to n-1 as subtests of t named
// name(i), all at once, and returns when all have ended. It is for
// subtests that mostly wait (on the SDK's backoff, a timeout or a table),
// which t.Parallel would run only GOMAXPROCS at a time.
func together(t *testing.T, n int, name func(i int) string, f func(t *testing.T, i int)) {
	t.Helper()
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.Run(name(i), func(t *testing.T) { f(t, i) })
		}()
	}
	wg.Wait()
}

// faultRetries is the SDK's retry budget in the fault tests.
const faultRetries = 2

// A fault answers one request in place of the engine, or breaks the
// engine's answer to it; next carries requests to the engine.
type fault func(req *http.Request, next http.RoundTripper) (*http.Response, error)

// faultRT is an http.RoundTripper that applies a fault to the first times
// requests after arm (to every request when times is negative) and passes
// the others on. Put a Recorder in front of it to count them.
type faultRT struct {
	next *http.Transport
	bg   sync.WaitGroup // requests sent on after their caller gave up

	mu    sync.Mutex
	fault fault
	times int
}

// newFaultRT returns a faultRT with no fault armed; it waits for its
// requests in flight and closes its connections when t ends.
func newFaultRT(t testing.TB) *faultRT {
	rt := &faultRT{next: http.DefaultTransport.(*http.Transport).Clone()}
	t.Cleanup(func() { rt.bg.Wait(); rt.next.CloseIdleConnections() })
	return rt
}

// arm applies f to the next times requests (all when negative).
func (rt *faultRT) arm(f fault, times int) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.fault, rt.times = f, times
}

// RoundTrip applies the armed fault to req, or passes it on.
func (rt *faultRT) RoundTrip(req *http.Request) (*http.Response, error) {
	rt.mu.Lock()
	f := rt.fault
	switch {
	case rt.times == 0:
		f = nil
	case rt.times > 0:
		rt.times--
	}
	rt.mu.Unlock()
	if f == nil {
		return rt.next.RoundTrip(req)
	}
	return f(req, rt.next)
}

// faultStatus answers, without reaching the engine, with the HTTP status
// and a DynamoDB JSON error of type errType.
func faultStatus(status int, errType string) fault {
	return func(req *http.Request, _ http.RoundTripper) (*http.Response, error) {
		faultDrain(req)
		body := fmt.Sprintf(`{"__type":"com.amazonaws.dynamodb.v20120810#%s","message":"injected by the fault test"}`, errType)
		return &http.Response{
			Status:        fmt.Sprintf("%d %s", status, http.StatusText(status)),
			StatusCode:    status,
			Proto:         "HTTP/1.1",
			ProtoMajor:    1,
			ProtoMinor:    1,
			Header:        http.Header{"Content-Type": {"application/x-amz-json-1.0"}, "X-Amzn-Requestid": {"fault-test"}},
			Body:          io.NopCloser(strings.NewReader(body)),
			ContentLength: int64(len(body)),
			Request:       req,
		}, nil
	}
}

// faultDrain reads and closes req's body, as a transport would.
func faultDrain(req *http.Request) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
}

// faultReset is what a transport returns when the peer resets the
// connection during op ("read" or "write").
func faultReset(op string) error {
	return &net.OpError{Op: op, Net: "tcp", Err: os.NewSyscallError(op, syscall.ECONNRESET)}
}

// faultResetBeforeSend fails the request as if the connection were reset
// while writing it: the engine never sees it.
func faultResetBeforeSend(req *http.Request, _ http.RoundTripper) (*http.Response, error) {
	faultDrain(req)
	return nil, faultReset("write")
}

// faultResetAfterSend lets the engine act on the request, then fails it as
// if the connection were reset while reading the answer.
func faultResetAfterSend(req *http.Request, next http.RoundTripper) (*http.Response, error) {
	resp, err := next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return nil, faultReset("read")
}

// faultCutBody lets the engine act on the request and passes its answer on
// cut off half way: the body ends in io.ErrUnexpectedEOF.
func faultCutBody(req *http.Request, next http.RoundTripper) (*http.Response, error) {
	resp, err := next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body[:len(body)/2]), faultErrReader{io.ErrUnexpectedEOF}))
	return resp, nil
}

// faultErrReader fails every Read with err.
type faultErrReader struct{ err error }

func (r faultErrReader) Read([]byte) (int, error) { return 0, r.err }

// faultSlow holds the request for delay before passing it on, or until its
// caller gives up; the engine never sees a request given up on.
func faultSlow(delay time.Duration) fault {
	return func(req *http.Request, next http.RoundTripper) (*http.Response, error) {
		timer := time.NewTimer(delay)
		defer timer.Stop()
		select {
		case <-timer.C:
			return next.RoundTrip(req)
		case <-req.Context().Done():
			faultDrain(req)
			return nil, req.Context().Err()
		}
	}
}

// slowAnswer is faultSlow for the answer: the engine acts on the request at
// once, even after its caller gave up, but the answer comes after delay at
// the earliest. Wait on rt.bg for the engine to have acted.
func (rt *faultRT) slowAnswer(delay time.Duration) fault {
	return func(req *http.Request, next http.RoundTripper) (*http.Response, error) {
		body, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		out := req.Clone(context.WithoutCancel(req.Context()))
		out.Body = io.NopCloser(bytes.NewReader(body))
		type result struct {
			resp *http.Response
			err  error
		}
		done := make(chan result, 1)
		rt.bg.Add(1)
		go func() {
			defer rt.bg.Done()
			resp, err := next.RoundTrip(out)
			if err == nil {
				answer, rerr := io.ReadAll(resp.Body)
				_ = resp.Body.Close()
				resp.Body, err = io.NopCloser(bytes.NewReader(answer)), rerr
			}
			done <- result{resp, err}
		}()
		timer := time.NewTimer(delay)
		defer timer.Stop()
		select {
		case <-timer.C:
			r := <-done
			return r.resp, r.err
		case <-req.Context().Done():
			return nil, req.Context().Err()
		}
	}
}

// faultVersion is one whole state of a session item: its data and expiry,
// or absent.
type faultVersion struct {
	absent bool
	data   []byte
	expiry time.Time
}

// faultCheckWhole fails t unless the item of token in table, read raw with
// client c, is one of versions whole: data, expiry and ttl all of that
// version, and no other attribute.
func faultCheckWhole(t testing.TB, h *H, c Client, table, token string, versions ...faultVersion) {
	t.Helper()
	names := defaultNames
	item := h.Get(t, c, table, names.Token, token)
	for _, v := range versions {
		if v.absent {
			if item == nil {
				return
			}
			continue
		}
		if item == nil {
			continue
		}
		expiryN, ttlN := core.EncodeExpiry(v.expiry)
		data, exp, ttl := item[names.Data], item[names.Expiry], item[names.TTL]
		if len(item) == 4 && data.Type == driver.Binary && bytes.Equal(data.Bytes, v.data) &&
			exp.Type == driver.Number && exp.Text == expiryN && ttl.Type == driver.Number && ttl.Text == ttlN {
			return
		}
	}
	t.Fatalf("item is %v, which is none of the versions %+v whole", item, versions)
}

// faultNoSecrets fails t if err's message holds the token or the data, raw
// or in base64 (the form DynamoDB's JSON protocol carries data in).
func faultNoSecrets(t testing.TB, err error, token string, data []byte) {
	t.Helper()
	if err == nil {
		return
	}
	msg := err.Error()
	if token != "" && strings.Contains(msg, token) {
		t.Errorf("error message holds the session token: %s", msg)
	}
	if len(data) >= 4 && (strings.Contains(msg, string(data)) || strings.Contains(msg, base64.StdEncoding.EncodeToString(data))) {
		t.Errorf("error message holds the session data: %s", msg)
	}
}

// faultNotNotFound fails t if err reads as DynamoDB's "not found" of the
// table, which a fault must never turn into.
func faultNotNotFound(t testing.TB, h *H, c Client, op string, err error) {
	t.Helper()
	if code := h.ErrorCode(err); code == codeNotFound {
		t.Errorf("%s = %v, whose code is %s", op, err, code)
	}
}

// faultCase is one kind of fault, how many requests it hits, and what both
// SDKs do about it.
type faultCase struct {
	name  string
	fault func(rt *faultRT) fault
	times int // requests hit: 1, or -1 for all of them
	// retried says whether both SDKs retry the fault. When false, an SDK
	// may retry it or give up at once: a call then either succeeds after
	// a retry, or fails having sent one request (or, for a fault on every
	// request, every request of its budget).
	retried bool
	// code, when not empty, is the DynamoDB error code of the failure.
	code string
}

func faultCases() []faultCase {
	static := func(f fault) func(*faultRT) fault { return func(*faultRT) fault { return f } }
	status := func(code int, typ string) func(*faultRT) fault { return static(faultStatus(code, typ)) }
	return []faultCase{
		{"500 once", status(500, "InternalServerError"), 1, true, ""},
		{"500 always", status(500, "InternalServerError"), -1, true, "InternalServerError"},
		{"throughput exceeded once", status(400, "ProvisionedThroughputExceededException"), 1, true, ""},
		{"throughput exceeded always", status(400, "ProvisionedThroughputExceededException"), -1, true, "ProvisionedThroughputExceededException"},
		{"throttling once", status(400, "ThrottlingException"), 1, true, ""},
		{"throttling always", status(400, "ThrottlingException"), -1, true, "ThrottlingException"},
		{"503 always", status(503, "ServiceUnavailable"), -1, true, "ServiceUnavailable"},
		{"reset before sending once", static(faultResetBeforeSend), 1, true, ""},
		{"reset before sending always", static(faultResetBeforeSend), -1, true, ""},
		// The engine may have acted on the request: aws-sdk-go gives up,
		// aws-sdk-go-v2 retries (every store call is idempotent).
		{"reset after sending once", static(faultResetAfterSend), 1, false, ""},
		{"reset after sending always", static(faultResetAfterSend), -1, false, ""},
		{"answer cut off once", static(faultCutBody), 1, false, ""},
		{"answer cut off always", static(faultCutBody), -1, false, ""},
	}
}

// check fails t unless err and sent, the outcome of a call under c, are
// what c allows.
func (c faultCase) check(t *testing.T, h *H, cl Client, err error, sent int) {
	t.Helper()
	const budget = 1 + faultRetries
	switch {
	case c.times > 0 && c.retried:
		if err != nil {
			t.Fatalf("the fault was not retried away: %v", err)
		}
		if sent != 2 {
			t.Errorf("%d requests sent, want 2", sent)
		}
	case c.times > 0:
		if err == nil && sent != 2 {
			t.Errorf("the call succeeded with %d requests sent, want 2 (the fault, then a retry)", sent)
		}
		if err != nil && sent != 1 {
			t.Errorf("the call failed with %d requests sent, want 1 (only the faulty one, not retried)", sent)
		}
	case err == nil:
		t.Fatalf("the call succeeded, %d requests sent, though every request failed", sent)
	case c.retried && sent != budget:
		t.Errorf("%d requests sent, want %d", sent, budget)
	case sent != 1 && sent != budget:
		t.Errorf("%d requests sent, want 1 or %d", sent, budget)
	}
	if err != nil && c.code != "" {
		if code := h.ErrorCode(err); code != c.code {
			t.Errorf("error %v has code %q, want %q", err, code, c.code)
		}
	}
}

// testFaultsRetriedOrErrors injects each fault into each store call and
// checks that a transient fault the SDK retries is invisible, and that any
// other comes back as an error, never as "not found" or a wrong result,
// names neither token nor data, and leaves every item whole.
func testFaultsRetriedOrErrors(t *testing.T, h *H) {
	t.Parallel()
	table := h.NewTable(t)
	clean := h.Client(t)
	cleanStore := h.Store(t, clean, core.WithTable(table))
	oldData, newData := []byte("old data of the session"), []byte("new data of the session, longer")
	oldExpiry, newExpiry := time.Now().Add(time.Hour).Truncate(time.Millisecond), time.Now().Add(2*time.Hour)
	old, updated := faultVersion{data: oldData, expiry: oldExpiry}, faultVersion{data: newData, expiry: newExpiry}
	whole := func(t *testing.T, token string, v ...faultVersion) { faultCheckWhole(t, h, clean, table, token, v...) }
	ops := []struct {
		name string
		// run calls s after token was seeded with old, and checks the
		// outcome; its error is nil only when the call succeeded.
		run func(t *testing.T, s Store, token string) error
		// after checks the item once the call failed and the engine acted
		// on every request it was sent.
		after func(t *testing.T, token string)
	}{
		{"Find", func(t *testing.T, s Store, token string) error {
			b, found, err := s.Find(token)
			if err == nil && (!found || !bytes.Equal(b, oldData)) {
				t.Fatalf("Find = %q, %v, nil; want the old data", b, found)
			}
			if err != nil && (found || b != nil) {
				t.Fatalf("Find = %q, %v, %v; want no data with the error", b, found, err)
			}
			return err
		}, func(t *testing.T, token string) { whole(t, token, old) }},
		{"Commit", func(t *testing.T, s Store, token string) error {
			err := s.Commit(token, newData, newExpiry)
			if err == nil {
				whole(t, token, updated)
			}
			return err
		}, func(t *testing.T, token string) { whole(t, token, old, updated) }},
		{"Delete", func(t *testing.T, s Store, token string) error {
			err := s.Delete(token)
			if err == nil {
				whole(t, token, faultVersion{absent: true})
			}
			return err
		}, func(t *testing.T, token string) { whole(t, token, old, faultVersion{absent: true}) }},
		{"All", func(t *testing.T, s Store, token string) error {
			all, err := s.All()
			if err == nil && !bytes.Equal(all[token], oldData) {
				t.Fatalf("All[token] = %q, want the old data", all[token])
			}
			if err != nil && all != nil {
				t.Fatalf("All returned a map with the error %v", err)
			}
			return err
		}, func(t *testing.T, token string) { whole(t, token, old) }},
	}
	cases := faultCases()
	n := len(cases)
	together(t, len(ops)*n, func(k int) string { return ops[k/n].name + "/" + cases[k%n].name }, func(t *testing.T, k int) {
		op, c := ops[k/n], cases[k%n]
		rt := newFaultRT(t)
		rec := &Recorder{Next: rt}
		cl := h.NewClient(t, ClientOptions{Transport: rec, Retries: faultRetries})
		// One scan segment, so that All sends one request per attempt; a
		// bound far above the SDK's backoff.
		s := h.Store(t, cl, core.WithTable(table), core.WithScanSegments(1), core.WithTimeout(time.Minute))
		token := fmt.Sprintf("fault-token-%s-%d-SECRET", op.name, k%n)
		if err := cleanStore.Commit(token, oldData, oldExpiry); err != nil {
			t.Fatal(err)
		}
		rt.arm(c.fault(rt), c.times)
		err := op.run(t, s, token)
		sent := len(rec.Take())
		rt.arm(nil, 0)
		c.check(t, h, cl, err, sent)
		if err != nil {
			faultNoSecrets(t, err, token, oldData)
			faultNoSecrets(t, err, token, newData)
			faultNotNotFound(t, h, cl, op.name, err)
			op.after(t, token)
		}
	})
}

// testFaultSlowServer checks that each call against a server that does not
// answer returns soon after its context's deadline, with an error matching
// context.DeadlineExceeded, and not after the SDK's whole retry budget.
func testFaultSlowServer(t *testing.T, h *H) {
	t.Parallel()
	table := h.NewTable(t)
	clean := h.Client(t)
	// The slack is for a loaded 2-core machine (3.3 s was seen once); it stays
	// far below both the server's minute and the store's own 10 s bound, so a
	// call that returned in time was ended by its context.
	const deadline, slack = 300 * time.Millisecond, 5 * time.Second
	token, data := t.Name()+"-SECRET", []byte("slow data SECRET")
	expiry := time.Now().Add(time.Hour)
	if err := h.Store(t, clean, core.WithTable(table)).Commit(token, data, expiry); err != nil {
		t.Fatal(err)
	}
	ops := []struct {
		name string
		call func(t *testing.T, ctx context.Context, s Store) error
	}{
		{"FindCtx", func(t *testing.T, ctx context.Context, s Store) error {
			b, found, err := s.FindCtx(ctx, token)
			if found || b != nil {
				t.Errorf("FindCtx = %q, %v with error %v; want no data", b, found, err)
			}
			return err
		}},
		{"CommitCtx", func(t *testing.T, ctx context.Context, s Store) error {
			return s.CommitCtx(ctx, token, []byte("new"), expiry)
		}},
		{"DeleteCtx", func(t *testing.T, ctx context.Context, s Store) error { return s.DeleteCtx(ctx, token) }},
		{"AllCtx", func(t *testing.T, ctx context.Context, s Store) error {
			all, err := s.AllCtx(ctx)
			if all != nil {
				t.Errorf("AllCtx returned a map with error %v", err)
			}
			return err
		}},
		{"PingCtx", func(t *testing.T, ctx context.Context, s Store) error { return s.PingCtx(ctx) }},
		{"DeleteExpired", func(t *testing.T, ctx context.Context, s Store) error { _, err := s.DeleteExpired(ctx); return err }},
		{"CreateTable", func(t *testing.T, ctx context.Context, s Store) error { return s.CreateTable(ctx) }},
	}
	together(t, len(ops), func(i int) string { return ops[i].name }, func(t *testing.T, i int) {
		op := ops[i]
		rt := newFaultRT(t)
		rt.arm(faultSlow(time.Minute), -1)
		cl := h.NewClient(t, ClientOptions{Transport: rt, Retries: faultRetries})
		s := h.Store(t, cl, core.WithTable(table))
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		defer cancel()
		start := time.Now()
		err := op.call(t, ctx, s)
		if took := time.Since(start); took > deadline+slack {
			t.Errorf("the call returned after %v, more than %v past its deadline", took, slack)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("error %v does not match context.DeadlineExceeded", err)
		}
		faultNotNotFound(t, h, cl, op.name, err)
		faultNoSecrets(t, err, token, data)
	})
	faultCheckWhole(t, h, clean, table, token, faultVersion{data: data, expiry: expiry})
}

// testFaultLostCommitAnswer checks a Commit that the engine applied but
// whose answer never came back in time: the call fails with the deadline,
// and the item is the old or the new one, whole.
func testFaultLostCommitAnswer(t *testing.T, h *H) {
	t.Parallel()
	table := h.SharedTable(t)
	clean := h.Client(t)
	cleanStore := h.Store(t, clean, core.WithTable(table))
	rt := newFaultRT(t)
	s := h.Store(t, h.NewClient(t, ClientOptions{Transport: rt, Retries: faultRetries}), core.WithTable(table))
	token := t.Name() + "-SECRET"
	old := faultVersion{data: []byte("old SECRET"), expiry: time.Now().Add(time.Hour)}
	updated := faultVersion{data: bytes.Repeat([]byte("new SECRET "), 1000), expiry: time.Now().Add(3 * time.Hour)}
	if err := cleanStore.Commit(token, old.data, old.expiry); err != nil {
		t.Fatal(err)
	}
	rt.arm(rt.slowAnswer(time.Minute), -1)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err := s.CommitCtx(ctx, token, updated.data, updated.expiry)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("CommitCtx = %v, want an error matching context.DeadlineExceeded", err)
	}
	faultNoSecrets(t, err, token, updated.data)
	rt.bg.Wait()
	rt.arm(nil, 0)
	faultCheckWhole(t, h, clean, table, token, old, updated)
	b, found, err := cleanStore.Find(token)
	if err != nil || !found || (!bytes.Equal(b, old.data) && !bytes.Equal(b, updated.data)) {
		t.Fatalf("Find after the lost Commit = %d bytes, %v, %v; want the old or the new data", len(b), found, err)
	}
}
