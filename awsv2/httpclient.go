package awsv2

import (
	"net/http"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/scs-stores/dynamostore/internal/core"
)

// TuneHTTPClient returns an option for dynamodb.NewFromConfig and
// dynamodb.New that tunes that DynamoDB client's HTTP client for maxConns
// concurrent requests and bounds each attempt's waits:
//
//	cfg, err := config.LoadDefaultConfig(ctx)
//	if err != nil { ... }
//	db := dynamodb.NewFromConfig(cfg, awsv2.TuneHTTPClient(64))
//
// It changes that DynamoDB client only: the config, and every other service
// client built from it (S3, SQS, ...), keep the SDK's defaults, so that an
// S3 download or an SQS long poll is not held to DynamoDB's bounds.
//
// The option starts from the HTTP client the config gave, which is the
// SDK's own *awshttp.BuildableClient unless the app chose another, and
// changes a copy of it, so that its settings still apply; among them the
// certificate authorities of AWS_CA_BUNDLE (or the shared config's
// ca_bundle) that LoadDefaultConfig added to it. The SDK's default client
// keeps 10 idle connections per host, so above 10 concurrent requests many
// requests open a new TLS connection, and by default it has no timeout but
// the connect's and the handshake's: a stalled connection holds a request
// until its context ends. The tuned client keeps up to maxConns idle
// connections (64 when maxConns <= 0; more may be open at once, and the ones
// above maxConns are closed once idle) and closes connections idle for 30 s.
// It bounds each attempt's waits: TCP connect 2 s, TLS handshake 3 s,
// headers 3 s after the request is sent, and 2 s of silence while reading
// the answer, so that a stalled attempt ends and the SDK retries it on a
// fresh connection. It sets no bound on a whole attempt, so that a large
// Scan page arriving slowly but steadily is not cut off; the store's bound
// on each call (WithTimeout) still applies. A read ended by silence fails
// with a net.Error whose Timeout method returns true.
//
// An HTTP client of another type (one the app gave with
// config.WithHTTPClient, wrapped for tracing say) has a pool and timeouts
// the option cannot reach: the option then adds the bound on silence alone
// and leaves the rest as that client has it. Either way the client's
// Options().HTTPClient afterwards is the option's wrapper, not a
// BuildableClient.
func TuneHTTPClient(maxConns int) func(*dynamodb.Options) {
	return func(o *dynamodb.Options) { tuneHTTPClient(o, maxConns, core.SilenceTimeout) }
}

// tuneHTTPClient is TuneHTTPClient's option with quiet as its bound on
// silence, for tests that do not wait seconds for it.
func tuneHTTPClient(o *dynamodb.Options, maxConns int, quiet time.Duration) {
	c := o.HTTPClient
	switch b := c.(type) {
	case *awshttp.BuildableClient:
		c = tuneBuildable(b, maxConns)
	case nil:
		// dynamodb.New gives every client one, but options filled by hand
		// may have none yet.
		c = tuneBuildable(awshttp.NewBuildableClient(), maxConns)
	}
	o.HTTPClient = doFunc(core.BoundSilence(c.Do, quiet))
}

// tuneBuildable returns a copy of b pooled for maxConns and with the
// connect, handshake and header timeouts.
func tuneBuildable(b *awshttp.BuildableClient, maxConns int) *awshttp.BuildableClient {
	return b.WithDialerOptions(core.TuneDialer).
		WithTransportOptions(func(tr *http.Transport) { core.TuneTransport(tr, maxConns) })
}

// doFunc is a function that is an HTTP client of the SDK.
type doFunc func(*http.Request) (*http.Response, error)

// Do returns f(r).
func (f doFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }
