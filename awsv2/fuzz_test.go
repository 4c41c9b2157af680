package awsv2

import (
	"testing"

	"github.com/scs-stores/dynamostore/internal/core/drivertest"
)

// FuzzCommitFindDelete fuzzes a round trip through this package's store;
// see drivertest.FuzzRoundTrip.
func FuzzCommitFindDelete(f *testing.F) { drivertest.FuzzRoundTrip(f, harness) }
