// Package testenv finds the DynamoDB Local server that tests run against.
// It does not depend on an AWS SDK, so both store packages' tests use it.
package testenv

import (
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// EndpointVar is the variable that holds the server's URL; scripts/ddblocal.sh
// sets it.
const EndpointVar = "DYNAMODB_ENDPOINT"

// Endpoint returns the URL of DynamoDB Local. Without one, the test is
// skipped, except under CI (CI=true), where a missing server fails it.
func Endpoint(t testing.TB) string {
	t.Helper()
	ep := os.Getenv(EndpointVar)
	if ep == "" {
		const msg = EndpointVar + " is not set: run the tests with `make test`, which starts DynamoDB Local"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return ep
}

var tableSeq atomic.Int64

// TableName returns a table name unique to this run of this test, made of
// DynamoDB's allowed characters.
func TableName(t testing.TB) string {
	var b strings.Builder
	for _, r := range t.Name() {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	name := b.String()
	if len(name) > 180 {
		name = name[:180]
	}
	return fmt.Sprintf("t_%s_%d_%d", name, time.Now().UnixNano()%1e9, tableSeq.Add(1))
}
