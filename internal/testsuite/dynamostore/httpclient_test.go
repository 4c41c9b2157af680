package dynamostore_test

//lint:file-ignore SA1019 aws-sdk-go v1 is what the store under test is built on.

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/awserr"
	"github.com/aws/aws-sdk-go/aws/credentials"
	"github.com/aws/aws-sdk-go/aws/session"
	"github.com/aws/aws-sdk-go/service/dynamodb"

	"github.com/scs-stores/dynamostore"
	"github.com/scs-stores/dynamostore/internal/testsuite/drivertest"
	"github.com/scs-stores/dynamostore/internal/testsuite/testenv"
)

// frontStore returns a store on a fresh table, reached through f with hc
// given per service client, as the README shows; cfgs are merged after it.
func frontStore(t *testing.T, f *drivertest.TLSFront, hc *http.Client, cfgs ...*aws.Config) *dynamostore.DynamoStore {
	t.Helper()
	table := newTable(t)
	sess, err := session.NewSession(&aws.Config{
		// A client of the session's own: with AWS_CA_BUNDLE set, NewSession
		// would otherwise give http.DefaultClient a transport trusting only
		// this test's certificate, for every later test in the process.
		HTTPClient:  &http.Client{},
		Region:      aws.String(testenv.LocalRegion),
		Endpoint:    aws.String(f.URL),
		Credentials: credentials.NewStaticCredentials(testenv.LocalAccessKey, testenv.LocalSecretKey, ""),
	})
	if err != nil {
		t.Fatalf("aws session: %v", err)
	}
	s, err := dynamostore.NewStore(dynamodb.New(sess, append([]*aws.Config{{HTTPClient: hc}}, cfgs...)...), dynamostore.WithTable(table))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPooledClientWithoutCABundleFailsTLS(t *testing.T) {
	// What NewHTTPClient's loading of AWS_CA_BUNDLE is for: a client given
	// per service client is out of the session's reach, so a transport that
	// does not load the bundle itself does not trust the front.
	f := drivertest.NewTLSFront(t, nil)
	plain := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	s := frontStore(t, f, plain, &aws.Config{MaxRetries: aws.Int(0)})
	_, _, err := s.FindCtx(context.Background(), "tok")
	if err == nil || !strings.Contains(err.Error(), "certificate signed by unknown authority") {
		t.Fatalf("Find with a transport that ignores AWS_CA_BUNDLE: err = %v; want an unknown authority error", err)
	}
}

func TestSessionWithCABundleRefusesWrappedTransport(t *testing.T) {
	// Why the README gives the client per service client: with AWS_CA_BUNDLE
	// set, a session refuses an HTTP client whose transport is anything but
	// an *http.Transport (for example one wrapped for tracing or metrics).
	drivertest.NewTLSFront(t, nil)
	wrapped := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return http.DefaultTransport.RoundTrip(r)
	})}
	_, err := session.NewSession(&aws.Config{HTTPClient: wrapped, Region: aws.String("us-east-1")})
	var aerr awserr.Error
	if !errors.As(err, &aerr) || aerr.Code() != session.ErrCodeLoadCustomCABundle {
		t.Fatalf("NewSession with a wrapped transport: err = %v; want %s", err, session.ErrCodeLoadCustomCABundle)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
