package awsv2

import (
	"net/http"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"

	"github.com/scs-stores/dynamostore/internal/core"
)

// NewHTTPClient returns the SDK's own buildable HTTP client, pooled for
// maxConns concurrent requests and with timeouts, to load the config with:
//
//	cfg, err := config.LoadDefaultConfig(ctx, config.WithHTTPClient(awsv2.NewHTTPClient(64)))
//
// Since it is an *awshttp.BuildableClient, LoadDefaultConfig still applies
// AWS_CA_BUNDLE (or the shared config's ca_bundle) to it, and the SDK's
// defaults mode may still adjust its connect and handshake timeouts; a
// client of another type would make LoadDefaultConfig fail when a bundle is
// set.
//
// The SDK's default client keeps 10 idle connections per host, so above 10
// concurrent requests many requests open a new TLS connection, and by
// default it has no timeout but the connect's and the handshake's: a stalled
// connection holds a request until its context ends. The returned client keeps up to maxConns
// idle connections (64 when maxConns <= 0; more may be open at once, and the
// ones above maxConns are closed once idle), bounds each attempt (TCP
// connect 2 s, TLS handshake 3 s, headers 3 s after the request is sent, and
// 5 s in all), so that a stalled attempt ends and the SDK retries it on a
// fresh connection, and closes connections idle for 30 s. Its With methods
// return a changed copy, for example NewHTTPClient(64).WithTimeout(time.Minute).
func NewHTTPClient(maxConns int) *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().
		WithDialerOptions(core.TuneDialer).
		WithTransportOptions(func(tr *http.Transport) { core.TuneTransport(tr, maxConns) }).
		WithTimeout(core.ClientTimeout)
}
