package drivertest

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/scs-stores/dynamostore/internal/core"
)

func init() {
	add(
		test{"CommitThenFindReturnsData", testCommitThenFindReturnsData},
		test{"NilOrTypedNilClientIsAnInvalidConfigNotAPanic", testNilClient},
	)
}

// MustFind fails t unless s finds token with exactly want.
func MustFind(t testing.TB, s Store, token string, want []byte) {
	t.Helper()
	got, found, err := s.Find(token)
	if err != nil || !found || !bytes.Equal(got, want) {
		t.Fatalf("Find(%q) = %q, %v, %v; want %q, true, nil", token, got, found, err, want)
	}
}

// MustNotFind fails t unless s reports token not found, without an error.
func MustNotFind(t testing.TB, s Store, token string) {
	t.Helper()
	got, found, err := s.Find(token)
	if err != nil || found || got != nil {
		t.Fatalf("Find(%q) = %q, %v, %v; want nil, false, nil", token, got, found, err)
	}
}

func testCommitThenFindReturnsData(t *testing.T, h *H) {
	t.Parallel()
	s := h.Store(t, h.Client(t), core.WithTable(h.SharedTable(t)))
	token := t.Name()
	if err := s.Commit(token, []byte("hello"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	MustFind(t, s, token, []byte("hello"))
}

// testNilClient: the harness hands NewStore(nil) to the package as its SDK's
// client type holding nil, which must be refused, not kept to panic later.
func testNilClient(t *testing.T, h *H) {
	t.Parallel()
	_, err := h.NewStore(nil)
	if !errors.Is(err, core.ErrInvalidConfig) {
		t.Fatalf("new store on a typed nil client: error = %v, want ErrInvalidConfig", err)
	}
}
