package drivertest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

func TestRecorderCallsFoldAnSDKsRetriesIntoTheirCall(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Fail") != "" {
			w.WriteHeader(http.StatusInternalServerError)
		}
		io.WriteString(w, "{}")
	}))
	t.Cleanup(srv.Close)
	rec := &Recorder{}
	client := &http.Client{Transport: rec}
	// Attempts as aws-sdk-go-v2 sends them (a call id each), interleaved,
	// and as aws-sdk-go sends them (none).
	for _, a := range []struct{ op, call, fail string }{
		{"PutItem", "a", "yes"}, {"GetItem", "b", ""}, {"PutItem", "a", ""},
		{"DeleteItem", "", "yes"}, {"DeleteItem", "", ""}, {"GetItem", "c", ""},
	} {
		req, err := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(`{"TableName":"t"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Amz-Target", "DynamoDB_20120810."+a.op)
		if a.call != "" {
			req.Header.Set("Amz-Sdk-Invocation-Id", a.call)
		}
		if a.fail != "" {
			req.Header.Set("Fail", a.fail)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	calls := rec.TakeCalls()
	if got, want := Ops(calls), []string{"PutItem", "GetItem", "DeleteItem", "DeleteItem", "GetItem"}; !slices.Equal(got, want) {
		t.Fatalf("calls = %v, want %v", got, want)
	}
	if calls[0].Status != http.StatusOK {
		t.Errorf("the retried PutItem's call has status %d, want its last attempt's, 200", calls[0].Status)
	}
	if n, _ := putCounts(calls); n != 1 {
		t.Errorf("putCounts = %d, want 1 call", n)
	}
	if rest := rec.Take(); len(rest) != 0 {
		t.Errorf("TakeCalls left %d requests recorded", len(rest))
	}
}
