package dynamostore

//lint:file-ignore SA1019 aws-sdk-go v1 is what this package is for.

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/credentials"
	"github.com/aws/aws-sdk-go/aws/session"
	"github.com/aws/aws-sdk-go/service/dynamodb"

	"github.com/scs-stores/dynamostore/internal/core/driver"
)

// countingTransport counts the requests it is given and fails each one.
type countingTransport struct{ n atomic.Int32 }

func (c *countingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	c.n.Add(1)
	return nil, errors.New("no request was expected")
}

// TestScanCursorOfAnotherTypeIsAnErrorAndSendsNothing gives the driver's
// Scan a start that no Scan of it returned: an error and no request, rather
// than a scan silently restarted from the beginning.
func TestScanCursorOfAnotherTypeIsAnErrorAndSendsNothing(t *testing.T) {
	sess, err := session.NewSession(&aws.Config{
		HTTPClient:  &http.Client{},
		Region:      aws.String("us-east-1"),
		Endpoint:    aws.String("http://127.0.0.1:1"),
		Credentials: credentials.NewStaticCredentials("id", "secret", ""),
		MaxRetries:  aws.Int(0),
	})
	if err != nil {
		t.Fatal(err)
	}
	rt := &countingTransport{}
	d := sdkDriver{dynamodb.New(sess, &aws.Config{HTTPClient: &http.Client{Transport: rt}})}
	for name, start := range map[string]any{
		"string":             "token",
		"map of strings":     map[string]string{"token": "tok"},
		"map of our values":  map[string]driver.Value{"token": {Type: driver.String, Text: "tok"}},
		"pointer to nothing": new(int),
	} {
		page, err := d.Scan(context.Background(), &driver.Scan{
			Names:    driver.Names{Table: "scs_session", Token: "token", Data: "data", Expiry: "expiry", TTL: "ttl"},
			Segments: 1,
			Start:    start,
		})
		if err == nil || len(page.Items) != 0 || page.Next != nil {
			t.Errorf("Scan from a %s = %d items, next %v, %v; want an error", name, len(page.Items), page.Next, err)
		}
	}
	if n := rt.n.Load(); n != 0 {
		t.Errorf("Scans from foreign cursors sent %d requests, want none", n)
	}
}
