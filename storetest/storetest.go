// Package storetest is a conformance suite for SCS v2 session stores
// (github.com/alexedwards/scs/v2). Run checks that a store keeps every
// contract written in scs's store.go, and the behaviour scs.SessionManager
// relies on:
//
//   - Commit then Find returns the data; a second Commit replaces both the
//     data and the expiry.
//   - Find of a missing, expired, malformed or tampered token returns found
//     false and a nil error.
//   - Delete removes a session; Delete of a missing token returns nil.
//   - All returns exactly the live sessions, and an empty non-nil map when
//     there are none (only when the store is an scs.IterableStore).
//   - FindCtx, CommitCtx, DeleteCtx and AllCtx behave like the plain methods,
//     and with a cancelled context they either return an error that matches
//     context.Canceled or act correctly (only when the store is an
//     scs.CtxStore or scs.IterableCtxStore; subtests are skipped otherwise).
//   - Any bytes, including nil, empty and all 256 byte values, round-trip.
//   - Concurrent use, on distinct and on shared tokens, neither fails nor
//     mixes data up (run the tests with -race).
//
// A store's test file needs one call:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) scs.Store { return newEmptyStore(t) })
//	}
//
// The suite waits about two seconds in all for sessions to expire, so the
// store must honour expiry with at least millisecond precision.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
)

// Run runs the conformance suite as subtests of t. newStore must return a
// fresh, empty store each time it is called (every subtest calls it once);
// it may register clean-up with t.Cleanup and should fail t when it cannot
// make a store.
func Run(t *testing.T, newStore func(t *testing.T) scs.Store) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newStore(t)
			if s == nil {
				t.Fatal("newStore returned nil")
			}
			c.run(t, s)
		})
	}
}

var cases = []struct {
	name string
	run  func(t *testing.T, s scs.Store)
}{
	{"CommitThenFind", testCommitThenFind},
	{"CommitOverwritesData", testCommitOverwritesData},
	{"FindMissing", testFindMissing},
	{"FindMalformedOrTamperedToken", testFindMalformedToken},
	{"Expiry", testExpiry},
	{"Delete", testDelete},
	{"DeleteMissing", testDeleteMissing},
	{"BinaryData", testBinaryData},
	{"AllEmpty", testAllEmpty},
	{"AllLiveOnly", testAllLiveOnly},
	{"CtxMethods", testCtxMethods},
	{"CancelledContext", testCancelledContext},
	{"Concurrency", testConcurrency},
}

// hour is far enough in the future for a session not to expire during a test.
func hour() time.Time { return time.Now().Add(time.Hour) }

// token returns a token shaped like the ones scs generates (43 characters of
// URL-safe base64) and unique to its arguments.
func token(parts ...any) string {
	s := strings.ReplaceAll(fmt.Sprint(parts...), " ", "_")
	const pad = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE"
	if len(s) < len(pad) {
		s += pad[len(s):]
	}
	return s
}

// mustFind fails t unless s holds want under tok.
func mustFind(t *testing.T, s scs.Store, tok string, want []byte) {
	t.Helper()
	got, found, err := s.Find(tok)
	if err != nil || !found || !bytes.Equal(got, want) {
		t.Fatalf("Find(%q) = %q, %v, %v; want %q, true, nil", tok, got, found, err, want)
	}
}

// mustFindBefore is mustFind for a session that expires at expiry: a Find
// that ended after it may report the session not found, which is only
// logged, since on a loaded machine the calls before it may outlast a short
// life.
func mustFindBefore(t *testing.T, s scs.Store, tok string, want []byte, expiry time.Time) {
	t.Helper()
	got, found, err := s.Find(tok)
	switch {
	case err != nil || (found && !bytes.Equal(got, want)) || (!found && time.Now().Before(expiry)):
		t.Fatalf("Find(%q) before its expiry = %q, %v, %v; want %q, true, nil", tok, got, found, err, want)
	case !found:
		t.Logf("Find(%q) ended after the session's expiry; skipped the check before it", tok)
	}
}

// mustNotFind fails t unless s reports tok not found, with a nil error.
func mustNotFind(t *testing.T, s scs.Store, tok string) {
	t.Helper()
	got, found, err := s.Find(tok)
	if err != nil || found || len(got) != 0 {
		t.Fatalf("Find(%q) = %q, %v, %v; want no data, false, nil", tok, got, found, err)
	}
}

func mustCommit(t *testing.T, s scs.Store, tok string, b []byte, expiry time.Time) {
	t.Helper()
	if err := s.Commit(tok, b, expiry); err != nil {
		t.Fatalf("Commit(%q): %v", tok, err)
	}
}

func testCommitThenFind(t *testing.T, s scs.Store) {
	tok := token("commit")
	mustCommit(t, s, tok, []byte("value"), hour())
	mustFind(t, s, tok, []byte("value"))
	mustNotFind(t, s, token("other"))
}

func testCommitOverwritesData(t *testing.T, s scs.Store) {
	tok := token("overwrite")
	mustCommit(t, s, tok, []byte("first"), hour())
	mustCommit(t, s, tok, []byte("second, longer"), hour())
	mustFind(t, s, tok, []byte("second, longer"))
	mustCommit(t, s, tok, []byte("3"), hour())
	mustFind(t, s, tok, []byte("3"))
}

func testFindMissing(t *testing.T, s scs.Store) {
	mustNotFind(t, s, token("missing"))
}

// malformedTokens are tokens scs never generates; a store must treat each as
// not found, whether or not it could hold it.
var malformedTokens = []string{
	"",
	" ",
	"\xff\xfe\xfd",
	"tok\x00en",
	"tok\nen\r\t",
	"../../../etc/passwd",
	"' OR '1'='1",
	"*",
	strings.Repeat("a", 4096),
	strings.Repeat("é", 1500),
}

func testFindMalformedToken(t *testing.T, s scs.Store) {
	for _, tok := range malformedTokens {
		mustNotFind(t, s, tok)
	}
	// A stored session must not be found under a token that differs from
	// its own by case, a prefix, a suffix or padding.
	tok := token("tampered")
	mustCommit(t, s, tok, []byte("value"), hour())
	for _, tampered := range []string{
		strings.ToUpper(tok), strings.ToLower(tok), tok[:len(tok)-1], tok + "x", " " + tok, tok + " ",
		tok + "\x00", "x" + tok[1:],
	} {
		mustNotFind(t, s, tampered)
	}
	mustFind(t, s, tok, []byte("value"))
}

// testExpiry checks that a session expires at its expiry, and that a Commit
// replaces the expiry, in either direction. It waits once, for about 1.5s.
func testExpiry(t *testing.T, s scs.Store) {
	const life = 1500 * time.Millisecond
	expiring, shortened, extended, past := token("expiring"), token("shortened"), token("extended"), token("past")
	start := time.Now()
	soon := start.Add(life)
	mustCommit(t, s, expiring, []byte("expiring"), soon)
	mustCommit(t, s, shortened, []byte("long"), hour())
	mustCommit(t, s, shortened, []byte("short"), soon)
	mustCommit(t, s, extended, []byte("short"), soon)
	mustCommit(t, s, extended, []byte("long"), hour())
	mustCommit(t, s, past, []byte("past"), start.Add(-time.Second))
	mustNotFind(t, s, past)
	mustFindBefore(t, s, expiring, []byte("expiring"), soon)
	mustFindBefore(t, s, shortened, []byte("short"), soon)
	time.Sleep(time.Until(soon) + 100*time.Millisecond)
	mustNotFind(t, s, expiring)
	mustNotFind(t, s, shortened)
	mustNotFind(t, s, past)
	mustFind(t, s, extended, []byte("long"))
	if it, ok := s.(scs.IterableStore); ok {
		checkAll(t, it.All, map[string][]byte{extended: []byte("long")})
	}
}

func testDelete(t *testing.T, s scs.Store) {
	tok, kept := token("delete"), token("kept")
	mustCommit(t, s, tok, []byte("value"), hour())
	mustCommit(t, s, kept, []byte("kept"), hour())
	if err := s.Delete(tok); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	mustNotFind(t, s, tok)
	mustFind(t, s, kept, []byte("kept"))
	if err := s.Delete(tok); err != nil {
		t.Fatalf("second Delete: %v", err)
	}
	// A session committed again after a Delete is back.
	mustCommit(t, s, tok, []byte("again"), hour())
	mustFind(t, s, tok, []byte("again"))
}

func testDeleteMissing(t *testing.T, s scs.Store) {
	for _, tok := range append([]string{token("never-stored")}, malformedTokens...) {
		if err := s.Delete(tok); err != nil {
			t.Errorf("Delete(%q) of a missing token = %v, want nil", tok, err)
		}
	}
}

func testBinaryData(t *testing.T, s scs.Store) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	big := bytes.Repeat(all, 256) // 64 KiB
	for name, data := range map[string][]byte{
		"nil":           nil,
		"empty":         {},
		"zero byte":     {0},
		"all bytes":     all,
		"invalid utf-8": []byte("\xff\xfe\xc3\x28"),
		"64KiB":         big,
	} {
		tok := token("binary", name)
		mustCommit(t, s, tok, data, hour())
		mustFind(t, s, tok, data)
	}
}

// checkAll fails t unless all() returns exactly want, as a non-nil map.
func checkAll(t *testing.T, all func() (map[string][]byte, error), want map[string][]byte) {
	t.Helper()
	got, err := all()
	if err != nil {
		t.Fatalf("All: %v", err)
	}
	if got == nil {
		t.Fatal("All returned a nil map, want a non-nil one")
	}
	if len(got) != len(want) {
		t.Fatalf("All returned %d sessions, want %d: %q", len(got), len(want), got)
	}
	for tok, data := range want {
		if g, ok := got[tok]; !ok || !bytes.Equal(g, data) {
			t.Fatalf("All[%q] = %q, %v; want %q", tok, g, ok, data)
		}
	}
}

func iterable(t *testing.T, s scs.Store) scs.IterableStore {
	t.Helper()
	it, ok := s.(scs.IterableStore)
	if !ok {
		t.Skip("the store is not an scs.IterableStore")
	}
	return it
}

func testAllEmpty(t *testing.T, s scs.Store) {
	it := iterable(t, s)
	checkAll(t, it.All, map[string][]byte{})
	if ic, ok := s.(scs.IterableCtxStore); ok {
		checkAll(t, func() (map[string][]byte, error) { return ic.AllCtx(context.Background()) }, map[string][]byte{})
	}
}

func testAllLiveOnly(t *testing.T, s scs.Store) {
	it := iterable(t, s)
	want := map[string][]byte{}
	for i := range 5 {
		tok := token("live", i)
		want[tok] = []byte(fmt.Sprint("data ", i))
		mustCommit(t, s, tok, want[tok], hour())
	}
	mustCommit(t, s, token("expired"), []byte("expired"), time.Now().Add(-time.Minute))
	mustCommit(t, s, token("deleted"), []byte("deleted"), hour())
	if err := s.Delete(token("deleted")); err != nil {
		t.Fatal(err)
	}
	checkAll(t, it.All, want)
	if ic, ok := s.(scs.IterableCtxStore); ok {
		checkAll(t, func() (map[string][]byte, error) { return ic.AllCtx(context.Background()) }, want)
	}
}

func ctxStore(t *testing.T, s scs.Store) scs.CtxStore {
	t.Helper()
	cs, ok := s.(scs.CtxStore)
	if !ok {
		t.Skip("the store is not an scs.CtxStore")
	}
	return cs
}

func testCtxMethods(t *testing.T, s scs.Store) {
	cs := ctxStore(t, s)
	ctx := context.Background()
	tok := token("ctx")
	if err := cs.CommitCtx(ctx, tok, []byte("one"), hour()); err != nil {
		t.Fatalf("CommitCtx: %v", err)
	}
	if b, found, err := cs.FindCtx(ctx, tok); err != nil || !found || string(b) != "one" {
		t.Fatalf("FindCtx = %q, %v, %v; want \"one\", true, nil", b, found, err)
	}
	mustFind(t, s, tok, []byte("one")) // the plain and ctx methods share the data
	if err := cs.CommitCtx(ctx, tok, []byte("two"), hour()); err != nil {
		t.Fatalf("CommitCtx: %v", err)
	}
	mustFind(t, s, tok, []byte("two"))
	for _, bad := range append([]string{token("ctx-missing")}, malformedTokens...) {
		if b, found, err := cs.FindCtx(ctx, bad); err != nil || found || len(b) != 0 {
			t.Fatalf("FindCtx(%q) = %q, %v, %v; want no data, false, nil", bad, b, found, err)
		}
		if err := cs.DeleteCtx(ctx, bad); err != nil {
			t.Fatalf("DeleteCtx(%q) of a missing token = %v, want nil", bad, err)
		}
	}
	if err := cs.DeleteCtx(ctx, tok); err != nil {
		t.Fatalf("DeleteCtx: %v", err)
	}
	mustNotFind(t, s, tok)
	if _, ok := s.(scs.IterableCtxStore); ok {
		mustCommit(t, s, tok, []byte("three"), hour())
		checkAll(t, func() (map[string][]byte, error) { return s.(scs.IterableCtxStore).AllCtx(ctx) }, map[string][]byte{tok: []byte("three")})
	}
}

// testCancelledContext checks each ctx method with a cancelled context. A
// store may ignore the context (as scs's memstore does) and act as usual, or
// honour it and return an error matching context.Canceled; it must never
// return a wrong result, such as "not found" for a stored session.
func testCancelledContext(t *testing.T, s scs.Store) {
	cs := ctxStore(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tok := token("cancelled")
	mustCommit(t, s, tok, []byte("old"), hour())
	checkErr := func(op string, err error) bool {
		t.Helper()
		if err == nil {
			return false
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context = %v, want an error matching context.Canceled (or success)", op, err)
		}
		return true
	}
	b, found, err := cs.FindCtx(ctx, tok)
	if !checkErr("FindCtx", err) && (!found || string(b) != "old") {
		t.Errorf("FindCtx with a cancelled context = %q, %v, nil; want \"old\", true or an error", b, found)
	}
	if err := cs.CommitCtx(ctx, tok, []byte("new"), hour()); checkErr("CommitCtx", err) {
		// A failed Commit may or may not have reached the store, but the
		// session is one whole value or the other.
		got, found, err := s.Find(tok)
		if err != nil || !found || (string(got) != "old" && string(got) != "new") {
			t.Errorf("after a failed CommitCtx, Find = %q, %v, %v; want \"old\" or \"new\"", got, found, err)
		}
	} else {
		mustFind(t, s, tok, []byte("new"))
	}
	if err := cs.DeleteCtx(ctx, tok); !checkErr("DeleteCtx", err) {
		mustNotFind(t, s, tok)
	}
	if ic, ok := s.(scs.IterableCtxStore); ok {
		all, err := ic.AllCtx(ctx)
		if !checkErr("AllCtx", err) && all == nil {
			t.Error("AllCtx with a cancelled context returned a nil map and no error")
		}
	}
}

// testConcurrency runs goroutines that each commit, find and delete their
// own tokens, and all commit one shared token, at the same time.
func testConcurrency(t *testing.T, s scs.Store) {
	const workers, rounds = 8, 5
	shared := token("shared")
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds*4)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				tok := token("worker", w, "round", r)
				want := []byte(fmt.Sprintf("worker %d round %d", w, r))
				if err := s.Commit(tok, want, hour()); err != nil {
					errs <- fmt.Errorf("Commit(%q): %w", tok, err)
					continue
				}
				if err := s.Commit(shared, want, hour()); err != nil {
					errs <- fmt.Errorf("Commit(shared): %w", err)
				}
				if got, found, err := s.Find(tok); err != nil || !found || !bytes.Equal(got, want) {
					errs <- fmt.Errorf("Find(%q) = %q, %v, %v; want %q", tok, got, found, err, want)
				}
				if _, _, err := s.Find(shared); err != nil {
					errs <- fmt.Errorf("Find(shared): %w", err)
				}
				if r%2 == 0 {
					if err := s.Delete(tok); err != nil {
						errs <- fmt.Errorf("Delete(%q): %w", tok, err)
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// The shared session holds one whole value that some worker wrote.
	got, found, err := s.Find(shared)
	if err != nil || !found {
		t.Fatalf("Find(shared) = %q, %v, %v", got, found, err)
	}
	var w, r int
	if n, err := fmt.Sscanf(string(got), "worker %d round %d", &w, &r); n != 2 || err != nil || w >= workers || r >= rounds {
		t.Fatalf("the shared session holds %q, which no worker wrote", got)
	}
	for w := range workers {
		for r := range rounds {
			tok := token("worker", w, "round", r)
			if r%2 == 0 {
				mustNotFind(t, s, tok)
			} else {
				mustFind(t, s, tok, []byte(fmt.Sprintf("worker %d round %d", w, r)))
			}
		}
	}
}
