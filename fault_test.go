package dynamostore_test

//lint:file-ignore SA1019 aws-sdk-go v1 is what the store under test is built on.

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

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/awserr"
	"github.com/aws/aws-sdk-go/aws/client"
	"github.com/aws/aws-sdk-go/aws/request"
	"github.com/aws/aws-sdk-go/service/dynamodb"

	"github.com/scs-stores/dynamostore"
	"github.com/scs-stores/dynamostore/internal/ddbtest"
	"github.com/scs-stores/dynamostore/internal/core/sessionitem"
	"github.com/scs-stores/dynamostore/internal/core/testenv"
)

// faultMaxRetries is the SDK's retry budget in the fault tests: small, with
// millisecond backoff, so that persistent faults fail fast.
const faultMaxRetries = 2

// A fault answers one request in place of DynamoDB Local, or breaks the
// answer of it; next is the real transport.
type fault func(req *http.Request, next http.RoundTripper) (*http.Response, error)

// faultRT is an http.RoundTripper in front of DynamoDB Local that applies a
// fault to the first `times` requests after arm (to all of them when times
// is negative) and passes the rest through.
type faultRT struct {
	next *http.Transport

	mu       sync.Mutex
	fault    fault
	times    int
	requests int
	bg       sync.WaitGroup // requests forwarded on behalf of a caller that gave up
}

func (f *faultRT) arm(ft fault, times int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fault, f.times, f.requests = ft, times, 0
}

// count returns how many requests were sent since arm.
func (f *faultRT) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests
}

func (f *faultRT) RoundTrip(req *http.Request) (*http.Response, error) {
	f.mu.Lock()
	f.requests++
	ft := f.fault
	if f.times == 0 {
		ft = nil
	} else if f.times > 0 {
		f.times--
	}
	f.mu.Unlock()
	if ft == nil {
		return f.next.RoundTrip(req)
	}
	return ft(req, f.next)
}

// faultErrorResponse answers, without reaching the server, with an HTTP
// status and a DynamoDB JSON error of the given type.
func faultErrorResponse(status int, errType string) fault {
	return func(req *http.Request, _ http.RoundTripper) (*http.Response, error) {
		drain(req)
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

func drain(req *http.Request) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
}

// resetError is what a transport returns when the peer resets the
// connection during op ("read" or "write").
func resetError(op string) error {
	return &net.OpError{Op: op, Net: "tcp", Err: os.NewSyscallError(op, syscall.ECONNRESET)}
}

// faultResetBeforeSend fails the request as if the connection were reset
// while writing it: the server never sees it.
func faultResetBeforeSend(req *http.Request, _ http.RoundTripper) (*http.Response, error) {
	drain(req)
	return nil, resetError("write")
}

// faultResetAfterSend lets the server handle the request, then fails it as
// if the connection were reset while reading the answer.
func faultResetAfterSend(req *http.Request, next http.RoundTripper) (*http.Response, error) {
	resp, err := next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return nil, resetError("read")
}

// faultCutBody lets the server handle the request and passes on its answer
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
	resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body[:len(body)/2]), errReader{io.ErrUnexpectedEOF}))
	return resp, nil
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// faultSlow holds the request for delay before passing it on, or until the
// caller gives up.
func faultSlow(delay time.Duration) fault {
	return func(req *http.Request, next http.RoundTripper) (*http.Response, error) {
		select {
		case <-time.After(delay):
			return next.RoundTrip(req)
		case <-req.Context().Done():
			drain(req)
			return nil, req.Context().Err()
		}
	}
}

// faultSlowAnswer is faultSlow for the answer: the server handles the
// request at once, even after the caller gave up, but the answer comes after
// delay at the earliest.
func (f *faultRT) faultSlowAnswer(delay time.Duration) fault {
	return func(req *http.Request, next http.RoundTripper) (*http.Response, error) {
		type result struct {
			resp *http.Response
			err  error
		}
		done := make(chan result, 1)
		f.bg.Add(1)
		go func() {
			defer f.bg.Done()
			resp, err := next.RoundTrip(req.Clone(context.WithoutCancel(req.Context())))
			if err == nil {
				body, rerr := io.ReadAll(resp.Body)
				_ = resp.Body.Close()
				resp.Body, err = io.NopCloser(bytes.NewReader(body)), rerr
			}
			done <- result{resp, err}
		}()
		select {
		case <-time.After(delay):
			r := <-done
			return r.resp, r.err
		case <-req.Context().Done():
			return nil, req.Context().Err()
		}
	}
}

// faultEnv is a table on DynamoDB Local with two stores on it: clean, whose
// requests go straight through, and faulty, whose requests go through rt and
// are retried at most faultMaxRetries times.
type faultEnv struct {
	rt            *faultRT
	clean, faulty *dynamostore.DynamoStore
	db            *dynamodb.DynamoDB // a clean client
	table         string
}

func newFaultEnv(t *testing.T) faultEnv {
	t.Helper()
	rt := &faultRT{next: http.DefaultTransport.(*http.Transport).Clone()}
	t.Cleanup(func() { rt.bg.Wait(); rt.next.CloseIdleConnections() })
	db := ddbtest.Client(t, nil, nil)
	table := ddbtest.NewTable(t, db, "token")
	retryer := client.DefaultRetryer{
		NumMaxRetries: faultMaxRetries,
		MinRetryDelay: time.Millisecond, MaxRetryDelay: 5 * time.Millisecond,
		MinThrottleDelay: time.Millisecond, MaxThrottleDelay: 5 * time.Millisecond,
	}
	faultyDB := ddbtest.Client(t, rt, request.WithRetryer(&aws.Config{}, retryer))
	clean, err := dynamostore.NewStore(db, dynamostore.WithTable(table))
	if err != nil {
		t.Fatal(err)
	}
	// One scan segment, so that All sends one request per attempt.
	faulty, err := dynamostore.NewStore(faultyDB, dynamostore.WithTable(table), dynamostore.WithScanSegments(1))
	if err != nil {
		t.Fatal(err)
	}
	return faultEnv{rt: rt, clean: clean, faulty: faulty, db: db, table: table}
}

// faultVersion is one whole state of a session item: its data and expiry,
// or absent.
type faultVersion struct {
	absent bool
	data   []byte
	expiry time.Time
}

// checkWhole fails t unless the item of token, read raw, is one of the
// versions whole: its data, expiry and ttl all of that version.
func (e faultEnv) checkWhole(t *testing.T, token string, versions ...faultVersion) {
	t.Helper()
	out, err := e.db.GetItem(&dynamodb.GetItemInput{
		TableName:      aws.String(e.table),
		Key:            map[string]*dynamodb.AttributeValue{"token": {S: aws.String(token)}},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		t.Fatalf("raw GetItem: %v", err)
	}
	for _, v := range versions {
		if v.absent {
			if out.Item == nil {
				return
			}
			continue
		}
		if out.Item == nil {
			continue
		}
		expiryN, ttlN := sessionitem.EncodeExpiry(v.expiry)
		data, exp, ttl := out.Item["data"], out.Item["expiry"], out.Item["ttl"]
		if len(out.Item) == 4 && data != nil && bytes.Equal(data.B, v.data) &&
			exp != nil && aws.StringValue(exp.N) == expiryN && ttl != nil && aws.StringValue(ttl.N) == ttlN {
			return
		}
	}
	t.Fatalf("item is %v, which is none of the versions %+v whole", out.Item, versions)
}

// faultCase is one kind of fault, how many requests it hits, and what the
// SDK does about it.
type faultCase struct {
	name  string
	fault func(rt *faultRT) fault
	times int // requests hit: -1 for all of them
	// ok says whether the call succeeds (the SDK retried the fault away).
	ok bool
	// attempts is how many requests the call sends.
	attempts int
	// status, when non-zero, is the HTTP status an awserr.RequestFailure
	// must carry.
	status int
	// code is the awserr.Error code of the failure.
	code string
}

func faultCases() []faultCase {
	const all = 1 + faultMaxRetries
	static := func(f fault) func(*faultRT) fault { return func(*faultRT) fault { return f } }
	status := func(code int, typ string) func(*faultRT) fault { return static(faultErrorResponse(code, typ)) }
	return []faultCase{
		{name: "500 once", fault: status(500, "InternalServerError"), times: 1, ok: true, attempts: 2},
		{name: "500 always", fault: status(500, "InternalServerError"), times: -1, attempts: all, status: 500, code: "InternalServerError"},
		{name: "throughput exceeded once", fault: status(400, "ProvisionedThroughputExceededException"), times: 1, ok: true, attempts: 2},
		{name: "throughput exceeded always", fault: status(400, "ProvisionedThroughputExceededException"), times: -1, attempts: all, status: 400, code: "ProvisionedThroughputExceededException"},
		{name: "throttling once", fault: status(400, "ThrottlingException"), times: 1, ok: true, attempts: 2},
		{name: "throttling always", fault: status(400, "ThrottlingException"), times: -1, attempts: all, status: 400, code: "ThrottlingException"},
		{name: "503 always", fault: status(503, "ServiceUnavailable"), times: -1, attempts: all, status: 503, code: "ServiceUnavailable"},
		{name: "reset before sending once", fault: static(faultResetBeforeSend), times: 1, ok: true, attempts: 2},
		{name: "reset before sending always", fault: static(faultResetBeforeSend), times: -1, attempts: all, code: request.ErrCodeRequestError},
		// aws-sdk-go does not retry a connection reset while reading the
		// answer: the server may have acted on the request.
		{name: "reset after sending once", fault: static(faultResetAfterSend), times: 1, attempts: 1, code: request.ErrCodeRequestError},
		{name: "reset after sending always", fault: static(faultResetAfterSend), times: -1, attempts: 1, code: request.ErrCodeRequestError},
		// A cut-off answer is retried: the request is repeated, which is
		// safe since every store call is idempotent.
		{name: "answer cut off once", fault: static(faultCutBody), times: 1, ok: true, attempts: 2},
		{name: "answer cut off always", fault: static(faultCutBody), times: -1, attempts: all, code: request.ErrCodeSerialization},
	}
}

// checkFaultError fails t unless err is the failure c describes, matchable
// with awserr, and names neither the token nor the data.
func checkFaultError(t *testing.T, c faultCase, err error, token string, data []byte) {
	t.Helper()
	if err == nil {
		t.Fatal("the call succeeded; want an error")
	}
	var aerr awserr.Error
	if !errors.As(err, &aerr) {
		t.Fatalf("error %v (%T) does not match awserr.Error", err, err)
	}
	if aerr.Code() != c.code {
		t.Errorf("awserr code = %q, want %q (error: %v)", aerr.Code(), c.code, err)
	}
	if c.status != 0 {
		var rf awserr.RequestFailure
		if !errors.As(err, &rf) || rf.StatusCode() != c.status {
			t.Errorf("error %v does not match an awserr.RequestFailure with status %d", err, c.status)
		}
	}
	checkNoSecrets(t, err, token, data)
}

// TestFaultsAreRetriedOrReturnedAsErrors injects each fault into each store
// call and checks that a transient fault the SDK retries is invisible, and
// that any other comes back as a matchable error, never as "not found" or
// a wrong result, and leaves every item whole.
func TestFaultsAreRetriedOrReturnedAsErrors(t *testing.T) {
	e := newFaultEnv(t)
	oldData, newData := []byte("old data of the session"), []byte("new data of the session, longer")
	oldExpiry, newExpiry := time.Now().Add(time.Hour).Truncate(time.Millisecond), time.Now().Add(2*time.Hour)
	old := faultVersion{data: oldData, expiry: oldExpiry}
	ops := []struct {
		name string
		// run calls the faulty store after seeding token with old, and
		// checks the outcome: err is nil only when the call succeeded.
		run func(t *testing.T, token string) error
		// after checks the item when the call failed.
		after func(t *testing.T, token string)
	}{
		{"Find", func(t *testing.T, token string) error {
			b, found, err := e.faulty.Find(token)
			if err == nil && (!found || !bytes.Equal(b, oldData)) {
				t.Fatalf("Find = %q, %v, nil; want the old data", b, found)
			}
			if err != nil && (found || b != nil) {
				t.Fatalf("Find = %q, %v, %v; want no data with the error", b, found, err)
			}
			return err
		}, func(t *testing.T, token string) { e.checkWhole(t, token, old) }},
		{"Commit", func(t *testing.T, token string) error {
			err := e.faulty.Commit(token, newData, newExpiry)
			if err == nil {
				e.checkWhole(t, token, faultVersion{data: newData, expiry: newExpiry})
			}
			return err
		}, func(t *testing.T, token string) {
			e.rt.bg.Wait()
			e.checkWhole(t, token, old, faultVersion{data: newData, expiry: newExpiry})
		}},
		{"Delete", func(t *testing.T, token string) error {
			err := e.faulty.Delete(token)
			if err == nil {
				e.checkWhole(t, token, faultVersion{absent: true})
			}
			return err
		}, func(t *testing.T, token string) {
			e.rt.bg.Wait()
			e.checkWhole(t, token, old, faultVersion{absent: true})
		}},
		{"All", func(t *testing.T, token string) error {
			all, err := e.faulty.All()
			if err == nil && !bytes.Equal(all[token], oldData) {
				t.Fatalf("All[token] = %q, want the old data", all[token])
			}
			if err != nil && all != nil {
				t.Fatalf("All returned a map with the error %v", err)
			}
			return err
		}, func(t *testing.T, token string) { e.checkWhole(t, token, old) }},
	}
	for _, op := range ops {
		for i, c := range faultCases() {
			t.Run(op.name+"/"+c.name, func(t *testing.T) {
				token := fmt.Sprintf("fault-token-%s-%d-SECRET", op.name, i)
				if err := e.clean.Commit(token, oldData, oldExpiry); err != nil {
					t.Fatal(err)
				}
				e.rt.arm(c.fault(e.rt), c.times)
				err := op.run(t, token)
				sent := e.rt.count()
				e.rt.arm(nil, 0)
				if c.ok {
					if err != nil {
						t.Fatalf("the fault was not retried away: %v", err)
					}
				} else {
					checkFaultError(t, c, err, token, oldData)
					op.after(t, token)
				}
				if sent != c.attempts {
					t.Errorf("%d requests sent, want %d", sent, c.attempts)
				}
			})
		}
	}
}

// TestFaultSlowServerHonoursContextDeadline checks that each call against a
// server that does not answer returns soon after its context's deadline,
// with an error matching context.DeadlineExceeded, and not after the SDK's
// whole retry budget.
func TestFaultSlowServerHonoursContextDeadline(t *testing.T) {
	e := newFaultEnv(t)
	const deadline, slack = 300 * time.Millisecond, 2 * time.Second
	token, data := "slow-token-SECRET", []byte("slow data SECRET")
	expiry := time.Now().Add(time.Hour)
	if err := e.clean.Commit(token, data, expiry); err != nil {
		t.Fatal(err)
	}
	ops := map[string]func(ctx context.Context) error{
		"FindCtx": func(ctx context.Context) error {
			b, found, err := e.faulty.FindCtx(ctx, token)
			if found || b != nil {
				t.Errorf("FindCtx = %q, %v with error %v; want no data", b, found, err)
			}
			return err
		},
		"CommitCtx": func(ctx context.Context) error { return e.faulty.CommitCtx(ctx, token, []byte("new"), expiry) },
		"DeleteCtx": func(ctx context.Context) error { return e.faulty.DeleteCtx(ctx, token) },
		"AllCtx": func(ctx context.Context) error {
			all, err := e.faulty.AllCtx(ctx)
			if all != nil {
				t.Errorf("AllCtx returned a map with error %v", err)
			}
			return err
		},
		"PingCtx": func(ctx context.Context) error { return e.faulty.PingCtx(ctx) },
	}
	for name, op := range ops {
		t.Run(name, func(t *testing.T) {
			e.rt.arm(faultSlow(time.Minute), -1)
			defer e.rt.arm(nil, 0)
			ctx, cancel := context.WithTimeout(context.Background(), deadline)
			defer cancel()
			start := time.Now()
			err := op(ctx)
			took := time.Since(start)
			if took > deadline+slack {
				t.Errorf("the call returned after %v, more than %v past its deadline", took, slack)
			}
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("error %v does not match context.DeadlineExceeded", err)
			}
			var aerr awserr.Error
			if !errors.As(err, &aerr) {
				t.Errorf("error %v does not match awserr.Error", err)
			}
			checkNoSecrets(t, err, token, data)
		})
	}
	e.checkWhole(t, token, faultVersion{data: data, expiry: expiry})
}

// TestFaultCommitWhoseAnswerIsLostLeavesAWholeItem checks a Commit that the
// server applied but whose answer never came back in time: the call fails
// with the deadline, and the item is the old or the new one, whole.
func TestFaultCommitWhoseAnswerIsLostLeavesAWholeItem(t *testing.T) {
	e := newFaultEnv(t)
	token := "lost-answer-token-SECRET"
	old := faultVersion{data: []byte("old SECRET"), expiry: time.Now().Add(time.Hour)}
	updated := faultVersion{data: bytes.Repeat([]byte("new SECRET "), 1000), expiry: time.Now().Add(3 * time.Hour)}
	if err := e.clean.Commit(token, old.data, old.expiry); err != nil {
		t.Fatal(err)
	}
	e.rt.arm(e.rt.faultSlowAnswer(time.Minute), -1)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err := e.faulty.CommitCtx(ctx, token, updated.data, updated.expiry)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("CommitCtx = %v, want an error matching context.DeadlineExceeded", err)
	}
	checkNoSecrets(t, err, token, updated.data)
	e.rt.bg.Wait()
	e.rt.arm(nil, 0)
	e.checkWhole(t, token, old, updated)
	b, found, err := e.clean.Find(token)
	if err != nil || !found || (!bytes.Equal(b, old.data) && !bytes.Equal(b, updated.data)) {
		t.Fatalf("Find after the lost Commit = %d bytes, %v, %v; want the old or the new data", len(b), found, err)
	}
}

// checkNoSecrets fails t if err's message holds the token or the data, raw
// or in base64 (the form DynamoDB's JSON protocol carries it in).
func checkNoSecrets(t *testing.T, err error, token string, data []byte) {
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

// faultProxy is a loopback TCP proxy in front of DynamoDB Local that breaks
// real connections: each new connection, while faults remain, is reset by
// the proxy after the request arrives (mode "reset"), or gets only the
// first bytes of the answer before the proxy closes it (mode "cut").
type faultProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	mode   string
	faults int // connections left to break; negative for all
	conns  sync.WaitGroup
}

func newFaultProxy(t *testing.T, target string) *faultProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{ln: ln, target: target}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.conns.Add(1)
			go p.handle(c)
		}
	}()
	t.Cleanup(func() { ln.Close(); p.conns.Wait() })
	return p
}

func (p *faultProxy) arm(mode string, faults int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode, p.faults = mode, faults
}

func (p *faultProxy) handle(c net.Conn) {
	defer p.conns.Done()
	defer c.Close()
	p.mu.Lock()
	mode := p.mode
	if p.faults == 0 {
		mode = ""
	} else if p.faults > 0 {
		p.faults--
	}
	p.mu.Unlock()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	if mode == "reset" {
		buf := make([]byte, 1024)
		_, _ = c.Read(buf)
		_ = c.(*net.TCPConn).SetLinger(0) // close with a RST
		return
	}
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer up.Close()
	_ = up.SetDeadline(time.Now().Add(30 * time.Second))
	go func() { _, _ = io.Copy(up, c) }()
	if mode == "cut" {
		_, _ = io.CopyN(c, up, 150) // part of the status line and headers
		return
	}
	_, _ = io.Copy(c, up)
}

// TestFaultRealConnectionBreaksAreErrorsNotNotFound puts the store behind a
// proxy that resets or cuts real TCP connections: a break on every
// connection fails each call with an awserr error and leaves items whole; a
// single break is retried away or fails, but never reads as "not found".
func TestFaultRealConnectionBreaksAreErrorsNotNotFound(t *testing.T) {
	e := newFaultEnv(t)
	proxy := newFaultProxy(t, strings.TrimPrefix(testenv.Endpoint(t), "http://"))
	tr := &http.Transport{DisableKeepAlives: true} // a connection, and a fault decision, per request
	t.Cleanup(tr.CloseIdleConnections)
	retryer := client.DefaultRetryer{NumMaxRetries: faultMaxRetries, MinRetryDelay: time.Millisecond, MaxRetryDelay: 5 * time.Millisecond}
	cfg := request.WithRetryer(&aws.Config{Endpoint: aws.String("http://" + proxy.ln.Addr().String())}, retryer)
	s, err := dynamostore.NewStore(ddbtest.Client(t, tr, cfg), dynamostore.WithTable(e.table), dynamostore.WithScanSegments(1))
	if err != nil {
		t.Fatal(err)
	}
	token := "proxy-token-SECRET"
	old := faultVersion{data: []byte("old SECRET data"), expiry: time.Now().Add(time.Hour)}
	updated := faultVersion{data: []byte("new SECRET data"), expiry: time.Now().Add(2 * time.Hour)}
	for _, mode := range []string{"reset", "cut"} {
		for _, faults := range []int{1, -1} {
			t.Run(fmt.Sprintf("%s %d", mode, faults), func(t *testing.T) {
				if err := e.clean.Commit(token, old.data, old.expiry); err != nil {
					t.Fatal(err)
				}
				check := func(op string, err error) {
					t.Helper()
					if err == nil {
						if faults < 0 {
							t.Errorf("%s succeeded through a proxy that breaks every connection", op)
						}
						return
					}
					var aerr awserr.Error
					if !errors.As(err, &aerr) {
						t.Errorf("%s = %v, which does not match awserr.Error", op, err)
					}
					checkNoSecrets(t, err, token, updated.data)
				}
				proxy.arm(mode, faults)
				b, found, err := s.Find(token)
				if err == nil && (!found || !bytes.Equal(b, old.data)) {
					t.Fatalf("Find = %q, %v, nil; want the old data or an error", b, found)
				}
				check("Find", err)
				proxy.arm(mode, faults)
				err = s.Commit(token, updated.data, updated.expiry)
				check("Commit", err)
				proxy.arm("", 0)
				if err == nil {
					e.checkWhole(t, token, updated)
				} else {
					e.checkWhole(t, token, old, updated)
				}
				proxy.arm(mode, faults)
				all, err := s.All()
				if err == nil && all == nil {
					t.Fatal("All returned a nil map and no error")
				}
				check("All", err)
				proxy.arm(mode, faults)
				err = s.Delete(token)
				check("Delete", err)
				proxy.arm("", 0)
				if err == nil {
					e.checkWhole(t, token, faultVersion{absent: true})
				} else {
					e.checkWhole(t, token, old, updated, faultVersion{absent: true})
				}
			})
		}
	}
}
