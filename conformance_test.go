package dynamostore_test

//lint:file-ignore SA1019 aws-sdk-go v1 is what the store under test is built on.

import (
	"testing"

	"github.com/alexedwards/scs/v2"

	"github.com/scs-stores/dynamostore"
	"github.com/scs-stores/dynamostore/internal/ddbtest"
	"github.com/scs-stores/dynamostore/storetest"
)

// TestConformance runs the storetest suite against the store on DynamoDB
// Local, each subtest on a fresh table: with the defaults, with a token
// prefix, and with one-segment scans, the three in parallel.
func TestConformance(t *testing.T) {
	for name, opts := range map[string][]dynamostore.Option{
		"defaults":    nil,
		"prefix":      {dynamostore.WithTokenPrefix("app1:")},
		"one segment": {dynamostore.WithScanSegments(1)},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			storetest.Run(t, func(t *testing.T) scs.Store {
				db := ddbtest.Client(t, nil, nil)
				table := ddbtest.NewTable(t, db, "token")
				s, err := dynamostore.NewStore(db, append([]dynamostore.Option{dynamostore.WithTable(table)}, opts...)...)
				if err != nil {
					t.Fatal(err)
				}
				return s
			})
		})
	}
}
