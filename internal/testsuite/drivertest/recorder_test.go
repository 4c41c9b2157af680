package drivertest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

func TestRecorderCallsLeaveOutTheRetriesAnSDKMarks(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "{}")
	}))
	t.Cleanup(srv.Close)
	rec := &Recorder{}
	client := &http.Client{Transport: rec}
	for _, attempt := range []string{"attempt=1; max=3", "attempt=2; max=3", "", "attempt=3; max=3", "attempt=x"} {
		req, err := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(`{"TableName":"t"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Amz-Target", "DynamoDB_20120810.PutItem")
		if attempt != "" {
			req.Header.Set("Amz-Sdk-Request", attempt)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	reqs := rec.Take()
	if len(reqs) != 5 {
		t.Fatalf("recorded %d requests, want 5", len(reqs))
	}
	var retries []bool
	for _, q := range reqs {
		retries = append(retries, q.Retry)
	}
	if want := []bool{false, true, false, true, false}; !slices.Equal(retries, want) {
		t.Errorf("Retry = %v, want %v", retries, want)
	}
	if n := len(Calls(reqs)); n != 3 {
		t.Errorf("Calls kept %d requests, want the 3 first attempts", n)
	}
	if n, _ := putCounts(reqs); n != 3 {
		t.Errorf("putCounts = %d, want 3 calls", n)
	}
}
