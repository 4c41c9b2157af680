package awsv2

import (
	"net/http"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

func TestTuneHTTPClientSizesIdlePoolAndBoundsWaitsOnly(t *testing.T) {
	for _, tc := range []struct{ maxConns, want int }{{0, 64}, {-1, 64}, {1, 1}, {16, 16}, {500, 500}} {
		hc := tuneBuildable(awshttp.NewBuildableClient(), tc.maxConns)
		tr := hc.GetTransport()
		if tr.MaxIdleConnsPerHost != tc.want || tr.MaxIdleConns != tc.want {
			t.Errorf("TuneHTTPClient(%d): MaxIdleConns %d, MaxIdleConnsPerHost %d; want %d", tc.maxConns, tr.MaxIdleConns, tr.MaxIdleConnsPerHost, tc.want)
		}
		if tr.ResponseHeaderTimeout <= 0 || tr.TLSHandshakeTimeout <= 0 || tr.IdleConnTimeout <= 0 || hc.GetDialer().Timeout <= 0 {
			t.Errorf("TuneHTTPClient(%d): a timeout is off: headers %v, handshake %v, idle %v, dial %v",
				tc.maxConns, tr.ResponseHeaderTimeout, tr.TLSHandshakeTimeout, tr.IdleConnTimeout, hc.GetDialer().Timeout)
		}
		if hc.GetTimeout() != 0 {
			t.Errorf("TuneHTTPClient(%d): a bound of %v on each whole request; want none, so that a slow but steady answer is not cut off", tc.maxConns, hc.GetTimeout())
		}
	}
}

func TestTuneHTTPClientLeavesTheConfigsClientAsItIs(t *testing.T) {
	given := awshttp.NewBuildableClient()
	before := given.GetTransport()
	for _, o := range []dynamodb.Options{{HTTPClient: given}, {}} {
		TuneHTTPClient(64)(&o)
		if _, ok := o.HTTPClient.(doFunc); !ok {
			t.Errorf("TuneHTTPClient: HTTPClient is a %T; want the option's wrapper", o.HTTPClient)
		}
	}
	after := given.GetTransport()
	if after.MaxIdleConnsPerHost != before.MaxIdleConnsPerHost || after.ResponseHeaderTimeout != before.ResponseHeaderTimeout {
		t.Errorf("TuneHTTPClient changed the client it started from: idle per host %d, headers %v; want %d, %v",
			after.MaxIdleConnsPerHost, after.ResponseHeaderTimeout, before.MaxIdleConnsPerHost, before.ResponseHeaderTimeout)
	}
}

func TestTuneHTTPClientWrapsAClientOfAnotherType(t *testing.T) {
	// The app's own client keeps its transport: the option adds the bound on
	// silence in front of it and nothing else.
	var used bool
	own := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		used = true
		return &http.Response{StatusCode: http.StatusTeapot, Body: http.NoBody, Request: r}, nil
	})}
	o := dynamodb.Options{HTTPClient: own}
	TuneHTTPClient(64)(&o)
	req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1:1/", nil)
	resp, err := o.HTTPClient.Do(req)
	if err != nil || !used || resp.StatusCode != http.StatusTeapot {
		t.Fatalf("Do through the option = %v, %v (own client used: %v); want the own client's answer", resp, err, used)
	}
	resp.Body.Close()
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
