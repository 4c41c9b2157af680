package dynamostore

import (
	"net/http"
	"testing"
)

func TestNewHTTPClientSizesIdlePoolAndBoundsWaitsOnly(t *testing.T) {
	t.Setenv("AWS_CA_BUNDLE", "")
	for _, tc := range []struct{ maxConns, want int }{{0, 64}, {-1, 64}, {1, 1}, {16, 16}, {500, 500}} {
		tr, err := newTransport(tc.maxConns)
		if err != nil {
			t.Fatal(err)
		}
		if tr.MaxIdleConnsPerHost != tc.want || tr.MaxIdleConns != tc.want {
			t.Errorf("NewHTTPClient(%d): MaxIdleConns %d, MaxIdleConnsPerHost %d; want %d", tc.maxConns, tr.MaxIdleConns, tr.MaxIdleConnsPerHost, tc.want)
		}
		if tr.ResponseHeaderTimeout <= 0 || tr.TLSHandshakeTimeout <= 0 || tr.IdleConnTimeout <= 0 {
			t.Errorf("NewHTTPClient(%d): a timeout is off: headers %v, handshake %v, idle %v", tc.maxConns, tr.ResponseHeaderTimeout, tr.TLSHandshakeTimeout, tr.IdleConnTimeout)
		}
	}
	hc, err := NewHTTPClient(0)
	if err != nil {
		t.Fatal(err)
	}
	if hc.Timeout != 0 {
		t.Errorf("NewHTTPClient: a bound of %v on each whole request; want none, so that a slow but steady answer is not cut off", hc.Timeout)
	}
	if _, plain := hc.Transport.(*http.Transport); plain {
		t.Errorf("NewHTTPClient: the transport is a bare *http.Transport; want it wrapped with the bound on silence")
	}
}
