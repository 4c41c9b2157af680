package awsv2_test

import (
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/scs-stores/dynamostore/awsv2"
	"github.com/scs-stores/dynamostore/internal/testsuite/drivertest"
	"github.com/scs-stores/dynamostore/internal/testsuite/testenv"
)

// withCABundle sets AWS_CA_BUNDLE to a valid PEM file, as these machines
// do, and keeps config.LoadDefaultConfig away from the user's own AWS
// files and from the instance metadata service.
func withCABundle(t *testing.T) {
	dir := t.TempDir()
	// Any well-formed certificate will do: take the one of a TLS test server.
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	srv.Close()
	bundle := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(bundle, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CA_BUNDLE", bundle)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "no-config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "no-credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_PROFILE", "")
}

// loadConfig is config.LoadDefaultConfig with the region and static
// credentials the tests use.
func loadConfig(opts ...func(*config.LoadOptions) error) (aws.Config, error) {
	return config.LoadDefaultConfig(context.Background(), append([]func(*config.LoadOptions) error{
		config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("local", "local", "")),
	}, opts...)...)
}

// This documents an aws-sdk-go-v2 behaviour the README warns about: with
// AWS_CA_BUNDLE set, config.LoadDefaultConfig refuses an HTTP client it
// cannot add the bundle to, such as an *http.Client with its own transport.
// Should the SDK change, this fails and the README needs updating.
func TestLoadDefaultConfigWithCABundleRefusesCustomHTTPClient(t *testing.T) {
	withCABundle(t)
	_, err := loadConfig(config.WithHTTPClient(&http.Client{Transport: &drivertest.Recorder{}}))
	if err == nil || !strings.Contains(err.Error(), "RootCAs") {
		t.Fatalf("LoadDefaultConfig with AWS_CA_BUNDLE and a custom *http.Client = %v; want the SDK's RootCAs error", err)
	}
	t.Logf("the SDK says: %v", err)
}

// The way round it that the README gives: load the config without an HTTP
// client, and give the custom one per service client.
func TestCustomHTTPClientPerServiceClientWorksWithCABundle(t *testing.T) {
	endpoint := testenv.Endpoint(t)
	withCABundle(t)
	cfg, err := loadConfig()
	if err != nil {
		t.Fatalf("LoadDefaultConfig with AWS_CA_BUNDLE = %v", err)
	}
	counter := &drivertest.Recorder{}
	db := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.HTTPClient = &http.Client{Transport: counter}
	})
	table := newTable(t)
	s, err := awsv2.New(db, awsv2.WithTable(table))
	if err != nil {
		t.Fatal(err)
	}
	counter.Take()
	if err := s.Ping(); err != nil {
		t.Fatal(err)
	}
	if n := len(counter.Take()); n != 1 {
		t.Fatalf("Ping sent %d requests through the custom transport; want 1", n)
	}
}
