package dynamostore_test

import (
	"testing"

	"github.com/scs-stores/dynamostore/internal/testsuite/drivertest"
)

// FuzzCommitFindDelete fuzzes a round trip through package dynamostore's store;
// see drivertest.FuzzRoundTrip.
func FuzzCommitFindDelete(f *testing.F) { drivertest.FuzzRoundTrip(f, harness) }
