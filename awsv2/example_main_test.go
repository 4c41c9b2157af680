package awsv2_test

import (
	"flag"
	"fmt"
	"os"
	"testing"
)

// TestMain skips the Examples under a plain `go test` without DynamoDB
// Local, saying how to run them, since an Example cannot skip itself; the
// other tests that need an engine skip on their own. Under CI (CI set) they
// run, and fail without an engine. A -skip given on the command line is
// left as it is.
func TestMain(m *testing.M) {
	flag.Parse()
	if os.Getenv("DYNAMODB_ENDPOINT") == "" && os.Getenv("CI") == "" {
		if skip := flag.Lookup("test.skip"); skip != nil && skip.Value.String() == "" {
			if err := skip.Value.Set("^Example"); err != nil {
				panic(err)
			}
			fmt.Println("DYNAMODB_ENDPOINT is not set: the Examples run against DynamoDB Local and are skipped; run them with `make test`")
		}
	}
	os.Exit(m.Run())
}
