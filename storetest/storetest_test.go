package storetest_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/alexedwards/scs/v2/memstore"

	"github.com/scs-stores/dynamostore/storetest"
)

// TestMemstorePassesSuite runs the suite against SCS's own in-memory store,
// as a check that the suite encodes SCS's contract and not one store's.
func TestMemstorePassesSuite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) scs.Store { return memstore.NewWithCleanupInterval(0) })
}

// TestCtxAdapterOverMemstorePassesSuite runs the ctx subtests too, on a
// memstore behind an adapter that ignores the context, as SCS itself does for
// stores without ctx methods: the suite must accept a store that ignores a
// cancelled context.
func TestCtxAdapterOverMemstorePassesSuite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) scs.Store { return ctxAdapter{memstore.NewWithCleanupInterval(0)} })
}

// ctxAdapter gives a store the methods of scs.CtxStore and
// scs.IterableCtxStore, ignoring the context.
type ctxAdapter struct{ *memstore.MemStore }

func (a ctxAdapter) FindCtx(_ context.Context, token string) ([]byte, bool, error) {
	return a.Find(token)
}

func (a ctxAdapter) CommitCtx(_ context.Context, token string, b []byte, expiry time.Time) error {
	return a.Commit(token, b, expiry)
}

func (a ctxAdapter) DeleteCtx(_ context.Context, token string) error { return a.Delete(token) }

func (a ctxAdapter) AllCtx(context.Context) (map[string][]byte, error) { return a.All() }

// brokenStore is a memstore with one deliberate defect, named by kind.
type brokenStore struct {
	ctxAdapter
	kind string
}

func (b brokenStore) Find(token string) ([]byte, bool, error) {
	switch b.kind {
	case "find-errors-on-malformed-token":
		if token == "" {
			return nil, false, errors.New("empty token")
		}
	case "find-ignores-case":
		token = strings.ToLower(token)
	}
	return b.ctxAdapter.Find(token)
}

func (b brokenStore) Commit(token string, data []byte, expiry time.Time) error {
	if b.kind == "commit-keeps-first" {
		if _, found, _ := b.ctxAdapter.Find(token); found {
			return nil
		}
	}
	switch b.kind {
	case "find-ignores-case":
		token = strings.ToLower(token)
	case "ignores-expiry":
		expiry = time.Now().Add(time.Hour)
	}
	return b.ctxAdapter.Commit(token, data, expiry)
}

func (b brokenStore) Delete(token string) error {
	if b.kind == "delete-missing-errors" {
		if _, found, _ := b.ctxAdapter.Find(token); !found {
			return errors.New("no such session")
		}
	}
	return b.ctxAdapter.Delete(token)
}

func (b brokenStore) All() (map[string][]byte, error) {
	all, err := b.ctxAdapter.All()
	if b.kind == "all-nil-when-empty" && len(all) == 0 {
		return nil, err
	}
	return all, err
}

func (b brokenStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	if b.kind == "cancelled-find-not-found" && ctx.Err() != nil {
		return nil, false, nil
	}
	return b.Find(token)
}

func (b brokenStore) CommitCtx(_ context.Context, token string, data []byte, expiry time.Time) error {
	return b.Commit(token, data, expiry)
}

func (b brokenStore) DeleteCtx(_ context.Context, token string) error { return b.Delete(token) }

func (b brokenStore) AllCtx(context.Context) (map[string][]byte, error) { return b.All() }

// TestSuiteFailsBrokenStores runs the suite's subtests, each in a child
// process, against stores with one defect each, and checks that each fails.
func TestSuiteFailsBrokenStores(t *testing.T) {
	if kind := os.Getenv("STORETEST_BROKEN"); kind != "" {
		storetest.Run(t, func(t *testing.T) scs.Store {
			return brokenStore{ctxAdapter{memstore.NewWithCleanupInterval(0)}, kind}
		})
		return
	}
	for kind, subtest := range map[string]string{
		"find-errors-on-malformed-token": "FindMalformedOrTamperedToken",
		"find-ignores-case":              "FindMalformedOrTamperedToken",
		"ignores-expiry":                 "Expiry",
		"commit-keeps-first":             "CommitOverwritesData",
		"delete-missing-errors":          "DeleteMissing",
		"all-nil-when-empty":             "AllEmpty",
		"cancelled-find-not-found":       "CancelledContext",
	} {
		t.Run(kind, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestSuiteFailsBrokenStores$/^"+subtest+"$", "-test.count=1")
			cmd.Env = append(os.Environ(), "STORETEST_BROKEN="+kind)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) {
				t.Fatalf("the suite passed a store whose %s (err %v):\n%s", kind, err, out)
			}
			if !strings.Contains(string(out), "--- FAIL: TestSuiteFailsBrokenStores/"+subtest) {
				t.Fatalf("subtest %s did not fail:\n%s", subtest, out)
			}
		})
	}
}
