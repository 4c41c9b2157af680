package drivertest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
)

// Recorder is the suite's one http.RoundTripper for watching and counting a
// client's requests: it records each request's DynamoDB operation and JSON
// body as it is sent and, for a Scan, whether the answer said there is
// another page. Take returns every attempt, TakeCalls one request per call
// of the SDK. With ScanLimit set it adds a Limit to every Scan, so that a
// small table is read in many pages. It passes requests on to Next, or
// http.DefaultTransport when Next is nil. It is safe for concurrent use.
type Recorder struct {
	// Next carries the requests on; nil means http.DefaultTransport.
	Next http.RoundTripper
	// ScanLimit, when above zero, is the Limit put on every Scan request.
	ScanLimit int

	mu   sync.Mutex
	reqs []*Request
}

// Request is a request a Recorder saw.
type Request struct {
	// Op is the DynamoDB operation: GetItem, PutItem, Scan, ...
	Op string
	// Body is the request's JSON.
	Body map[string]any
	// Status is the HTTP status of the answer; 0 when none came, or none
	// has come yet: a request is recorded as it is sent.
	Status int
	// More is true for a Scan whose answer has a LastEvaluatedKey.
	More bool
	// Call is the SDK's id of the call this request is an attempt of, the
	// same for each of its attempts (aws-sdk-go-v2's Amz-Sdk-Invocation-Id
	// header); empty when the SDK sends none, as aws-sdk-go does, whose
	// retries then read as calls of their own.
	Call string
}

// RoundTrip records req and sends it on.
func (r *Recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
	}
	_, op, _ := strings.Cut(req.Header.Get("X-Amz-Target"), ".")
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("recorder: %s request body is not JSON: %w", op, err)
	}
	if op == "Scan" && r.ScanLimit > 0 {
		m["Limit"] = r.ScanLimit
		b, err := json.Marshal(m)
		if err != nil {
			return nil, err
		}
		body = b
		// The signature covers the body; local engines do not check it, and
		// a test that sets ScanLimit runs on them only (see RequireLocal).
	}
	out := req.Clone(req.Context())
	out.Body = io.NopCloser(bytes.NewReader(body))
	out.ContentLength = int64(len(body))
	next := r.Next
	if next == nil {
		next = http.DefaultTransport
	}
	rec := &Request{Op: op, Body: m, Call: req.Header.Get("Amz-Sdk-Invocation-Id")}
	r.mu.Lock()
	r.reqs = append(r.reqs, rec)
	r.mu.Unlock()
	resp, err := next.RoundTrip(out)
	if err != nil {
		return resp, err
	}
	more := false
	if op == "Scan" && resp.StatusCode == http.StatusOK {
		answer, rerr := io.ReadAll(resp.Body)
		resp.Body.Close()
		if rerr != nil {
			return nil, rerr
		}
		resp.Body = io.NopCloser(bytes.NewReader(answer))
		var page struct{ LastEvaluatedKey map[string]any }
		if jerr := json.Unmarshal(answer, &page); jerr != nil {
			return nil, fmt.Errorf("recorder: Scan answer is not JSON: %w", jerr)
		}
		more = len(page.LastEvaluatedKey) > 0
	}
	r.mu.Lock()
	rec.Status, rec.More = resp.StatusCode, more
	r.mu.Unlock()
	return resp, nil
}

// Take returns the requests recorded since the last Take, in the order
// they were sent, and forgets them.
func (r *Recorder) Take() []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	reqs := make([]Request, len(r.reqs))
	for i, q := range r.reqs {
		reqs[i] = *q
	}
	r.reqs = nil
	return reqs
}

// TakeCalls is Take with the SDK's retries folded in: see Calls.
func (r *Recorder) TakeCalls() []Request { return Calls(r.Take()) }

// Calls returns one request for each call in reqs, however many attempts
// the SDK made of it (see Request.Call): the last attempt, in the place of
// the first. Counting calls rather than attempts keeps a test that counts a
// store's requests from failing when aws-sdk-go-v2 retries an attempt whose
// connection dropped.
func Calls(reqs []Request) []Request {
	calls := make([]Request, 0, len(reqs))
	at := map[string]int{} // a call's place in calls
	for _, q := range reqs {
		if i, seen := at[q.Call]; seen && q.Call != "" {
			calls[i] = q
			continue
		}
		at[q.Call] = len(calls)
		calls = append(calls, q)
	}
	return calls
}

// Ops returns the operations of reqs, in order.
func Ops(reqs []Request) []string {
	ops := make([]string, len(reqs))
	for i, q := range reqs {
		ops[i] = q.Op
	}
	return ops
}

// Count returns how many of reqs are of the operation op.
func Count(reqs []Request, op string) int {
	n := 0
	for _, q := range reqs {
		if q.Op == op {
			n++
		}
	}
	return n
}
