package dynamostore_test

//lint:file-ignore SA1019 aws-sdk-go v1 is what the store under test is built on.

import (
	"bytes"
	"testing"
	"time"

	"github.com/scs-stores/dynamostore"
	"github.com/scs-stores/dynamostore/internal/ddbtest"
)

// newStore returns a store on a fresh table of DynamoDB Local with the
// default attribute names.
func newStore(t *testing.T, opts ...dynamostore.Option) *dynamostore.DynamoStore {
	t.Helper()
	db := ddbtest.Client(t, nil, nil)
	table := ddbtest.NewTable(t, db, "token")
	s, err := dynamostore.NewStore(db, append([]dynamostore.Option{dynamostore.WithTable(table)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCommitThenFindReturnsData(t *testing.T) {
	s := newStore(t)
	want := []byte("hello")
	if err := s.Commit("tok", want, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	got, found, err := s.Find("tok")
	if err != nil || !found || !bytes.Equal(got, want) {
		t.Fatalf("Find = %q, %v, %v; want %q, true, nil", got, found, err, want)
	}
	all, err := s.All()
	if err != nil || len(all) != 1 || !bytes.Equal(all["tok"], want) {
		t.Fatalf("All = %v, %v", all, err)
	}
	if err := s.Ping(); err != nil {
		t.Fatal(err)
	}
}
