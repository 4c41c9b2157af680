package awsv2_test

import (
	"testing"

	"github.com/alexedwards/scs/v2"

	"github.com/scs-stores/dynamostore/awsv2"
	"github.com/scs-stores/dynamostore/awsv2/internal/ddbtest2"
	"github.com/scs-stores/dynamostore/storetest"
)

// TestConformance runs the storetest suite, the one the v1 package passes,
// against the store on DynamoDB Local, each subtest on a fresh table: with
// the defaults, with a token prefix, and with one-segment scans, the three
// in parallel.
func TestConformance(t *testing.T) {
	for name, opts := range map[string][]awsv2.Option{
		"defaults":    nil,
		"prefix":      {awsv2.WithTokenPrefix("app1:")},
		"one segment": {awsv2.WithScanSegments(1)},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			storetest.Run(t, func(t *testing.T) scs.Store {
				db := ddbtest2.Client(t, nil)
				table := ddbtest2.NewTable(t, db, "token")
				s, err := awsv2.New(db, append([]awsv2.Option{awsv2.WithTable(table)}, opts...)...)
				if err != nil {
					t.Fatal(err)
				}
				return s
			})
		})
	}
}
