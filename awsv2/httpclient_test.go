package awsv2_test

import (
	"testing"

	"github.com/scs-stores/dynamostore/awsv2"
)

func TestNewHTTPClientSizesIdlePool(t *testing.T) {
	for _, tc := range []struct{ maxConns, want int }{{0, 64}, {-1, 64}, {1, 1}, {16, 16}, {500, 500}} {
		hc := awsv2.NewHTTPClient(tc.maxConns)
		tr := hc.GetTransport()
		if tr.MaxIdleConnsPerHost != tc.want || tr.MaxIdleConns != tc.want {
			t.Errorf("NewHTTPClient(%d): MaxIdleConns %d, MaxIdleConnsPerHost %d; want %d", tc.maxConns, tr.MaxIdleConns, tr.MaxIdleConnsPerHost, tc.want)
		}
		if hc.GetTimeout() <= 0 || tr.ResponseHeaderTimeout <= 0 || tr.TLSHandshakeTimeout <= 0 || tr.IdleConnTimeout <= 0 || hc.GetDialer().Timeout <= 0 {
			t.Errorf("NewHTTPClient(%d): a timeout is off: client %v, headers %v, handshake %v, idle %v, dial %v",
				tc.maxConns, hc.GetTimeout(), tr.ResponseHeaderTimeout, tr.TLSHandshakeTimeout, tr.IdleConnTimeout, hc.GetDialer().Timeout)
		}
	}
}
