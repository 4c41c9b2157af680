package drivertest

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/scs-stores/dynamostore/internal/core"
)

func init() {
	add(
		test{"TouchSkipsUnchangedSessionsAndWritesChangedOnesOverSCS", testTouchOverSCS},
		test{"TouchWritesAChangedSessionAShorterExpiryAndAMoveOfTheInterval", testTouchRules},
		test{"TouchAndDeleteWinsFallBackToWritingWhenForgotten", testTouchForgetting},
		test{"BothOptionsConcurrentRequestsOfOneSession", testBothConcurrent},
		test{"BothOptionsFaultsOnConditionalCommitsAreRetriedOrErrorsNeverRefusals", testBothFaults},
		test{"BothOptions", testBothOptions},
	)
}

// gobSession returns SCS's gob encoding of values with deadline, twice, in
// two different byte orders when values has several entries (Go's map
// order is random, and so is gob's encoding of a map).
func gobSession(t testing.TB, deadline time.Time, values map[string]any) (a, b []byte) {
	t.Helper()
	var codec scs.GobCodec
	a, err := codec.Encode(deadline, values)
	if err != nil {
		t.Fatal(err)
	}
	for range 1000 {
		if b, err = codec.Encode(deadline, values); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) || len(values) < 2 {
			return a, b
		}
	}
	t.Fatal("1000 gob encodings of a map all came out the same")
	return nil, nil
}

// testTouchOverSCS: with an idle timeout, SCS commits on every request. A
// logged-in session of several gob values is written at login; read-only
// requests write nothing (with delete-wins, each reads instead, to confirm
// the session exists); a request that changes it writes it; and every
// request still reads what the session holds.
func testTouchOverSCS(t *testing.T, h *H) {
	t.Parallel()
	table := h.SharedTable(t)
	for _, tc := range []struct {
		name string
		opts []core.Option
		gets int // GetItems of a skipped commit
	}{
		{"TouchInterval", []core.Option{core.WithTouchInterval(time.Minute)}, 0},
		{"BothOptions", bothOptions(), 1},
		{"BothOptionsHashTokenInStore", bothOptions(), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app := newRaceApp(t, h, table, func(sm *scs.SessionManager) { sm.HashTokenInStore = tc.name == "BothOptionsHashTokenInStore" }, tc.opts...)
			v := newVisitor(t)
			v.must(t, app, "/login")
			if n, _ := putCounts(app.rec.Take()); n != 1 {
				t.Fatalf("login: %d PutItems, want 1", n)
			}
			const reads = 5
			for range reads {
				if got := v.must(t, app, "/get"); got != "login" {
					t.Fatalf("/get = %q, want login", got)
				}
			}
			reqs := app.rec.Take()
			if n, _ := putCounts(reqs); n != 0 {
				t.Fatalf("%d read-only requests sent %d PutItems, want none", reads, n)
			}
			if got, want := Count(Calls(reqs), "GetItem"), reads*(1+tc.gets); got != want {
				t.Errorf("%d read-only requests sent %d GetItems, want %d", reads, got, want)
			}
			v.must(t, app, "/put?v=changed")
			if n, _ := putCounts(app.rec.Take()); n != 1 {
				t.Fatalf("a changing request sent %d PutItems, want 1", n)
			}
			if got := v.must(t, app, "/get"); got != "changed" {
				t.Fatalf("/get after the change = %q, want changed", got)
			}
			item := h.Get(t, h.Client(t), table, "token", app.stored(v.token(t, app)))
			_, values, err := app.sm.Codec.Decode(item["data"].Bytes)
			if err != nil || values["v"] != "changed" || values["user"] != "ada" {
				t.Fatalf("the table holds %v (%v), want the changed session", values, err)
			}
			st := app.store.Stats()
			if st.CommitsWritten != 2 || st.CommitsSkipped != reads+1 || st.CommitsRefused != 0 || st.Errors != 0 {
				t.Errorf("Stats = %+v: want 2 commits written, %d skipped", st, reads+1)
			}
		})
	}
}

// testTouchRules commits a session the store found with each kind of
// change and checks which are written, and what the table then holds.
func testTouchRules(t *testing.T, h *H) {
	t.Parallel()
	table := h.SharedTable(t)
	const d = time.Minute
	deadline := time.Now().Add(24 * time.Hour).Truncate(time.Second)
	values := map[string]any{"user": "ada", "cart": 3, "theme": "dark", "v": "x"}
	stored, reencoded := gobSession(t, deadline, values)
	values["cart"] = 4
	changed, _ := gobSession(t, deadline, values)
	expiry := time.Now().Add(20 * time.Minute).Truncate(time.Millisecond)
	for _, tc := range []struct {
		name    string
		data    []byte
		expiry  time.Time
		written bool
	}{
		{"SameBytesSameExpirySkipped", stored, expiry, false},
		{"ReencodedMovedUnderTheIntervalSkipped", reencoded, expiry.Add(d - time.Nanosecond), false},
		{"ReencodedMovedByTheIntervalWritten", reencoded, expiry.Add(d), true},
		{"ReencodedMovedBeyondTheIntervalWritten", reencoded, expiry.Add(2 * d), true},
		{"ShortenedExpiryWritten", stored, expiry.Add(-time.Nanosecond), true},
		{"ChangedValueWritten", changed, expiry.Add(time.Second), true},
	} {
		for _, opts := range []struct {
			name string
			opts []core.Option
		}{{"TouchInterval", []core.Option{core.WithTouchInterval(d)}}, {"BothOptions", []core.Option{core.WithDeleteWins(true), core.WithTouchInterval(d)}}} {
			t.Run(tc.name+"/"+opts.name, func(t *testing.T) {
				t.Parallel()
				rec := &Recorder{}
				client := h.Client(t)
				s := h.Store(t, h.NewClient(t, ClientOptions{Transport: rec}), append(opts.opts, core.WithTable(table))...)
				token := t.Name()
				if err := h.Store(t, client, core.WithTable(table)).Commit(token, stored, expiry); err != nil {
					t.Fatal(err)
				}
				MustFind(t, s, token, stored)
				rec.Take()
				if err := s.Commit(token, tc.data, tc.expiry); err != nil {
					t.Fatal(err)
				}
				n, _ := putCounts(rec.Take())
				if written := n == 1; written != tc.written {
					t.Fatalf("%d PutItems; want written %v", n, tc.written)
				}
				want := faultVersion{data: stored, expiry: expiry}
				if tc.written {
					want = faultVersion{data: tc.data, expiry: tc.expiry}
				}
				faultCheckWhole(t, h, client, table, token, want)
			})
		}
	}
}

// testTouchForgetting: a store that has forgotten a session, beyond its
// memory limit in entries or in bytes, writes its commit as a store
// without the options would.
func testTouchForgetting(t *testing.T, h *H) {
	t.Parallel()
	table := h.SharedTable(t)
	expiry := time.Now().Add(time.Hour)
	for _, tc := range []struct {
		name    string
		entries int
		bytes   int64
		cond    bool // the write is still conditional: the found mark was kept
	}{
		// One entry: the second Find forgets the first session.
		{"OneEntry", 1, 0, false},
		// Fewer bytes than the data: the key is kept, without its data.
		{"FewerBytesThanTheData", 0, 2000, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := &Recorder{}
			s := h.Store(t, h.NewClient(t, ClientOptions{Transport: rec}), append(bothOptions(), core.WithMemoryLimit(tc.entries, tc.bytes), core.WithTable(table))...)
			plain := h.Store(t, h.Client(t), core.WithTable(table))
			first, second := t.Name()+"-1", t.Name()+"-2"
			data := bytes.Repeat([]byte("d"), 3000)
			for _, tok := range []string{first, second} {
				if err := plain.Commit(tok, data, expiry); err != nil {
					t.Fatal(err)
				}
			}
			MustFind(t, s, first, data)
			MustFind(t, s, second, data)
			if st := s.Stats(); tc.entries > 0 && st.RememberedSessions > tc.entries || tc.bytes > 0 && st.RememberedBytes > tc.bytes {
				t.Errorf("Stats = %+v: more remembered than the limit (%d, %d) allows", st, tc.entries, tc.bytes)
			}
			rec.Take()
			if err := s.Commit(first, data, expiry); err != nil {
				t.Fatal(err)
			}
			if n, cond := putCounts(rec.Take()); n != 1 || (cond == 1) != tc.cond {
				t.Fatalf("commit of a forgotten session: %d PutItems, %d conditional; want 1, conditional %v", n, cond, tc.cond)
			}
		})
	}
}

// testBothConcurrent runs requests of one session at once over SCS, with
// both options: read-only requests held between their load and their
// commit all write nothing; then changing requests, held the same way and
// released in turn, are each written, so that the last one's value is the
// session's. No request fails, and none is refused. Then many requests of
// the session at once, unheld, all succeed.
func testBothConcurrent(t *testing.T, h *H) {
	t.Parallel()
	table := h.SharedTable(t)
	app := newRaceApp(t, h, table, nil, bothOptions()...)
	v := newVisitor(t)
	v.must(t, app, "/login")
	app.rec.Take()
	type held struct {
		release func()
		answers <-chan heldAnswer
	}
	hold := func(n int, q func(i int) string) []held {
		hs := make([]held, n)
		for i := range hs {
			hs[i].release, hs[i].answers = v.start(t, app, fmt.Sprintf("%s-%d", q(i), i), q(i))
		}
		return hs
	}
	readers := hold(4, func(int) string { return "v=" })
	for _, r := range readers {
		r.release()
		if a := waitAnswer(t, r.answers); a.status != http.StatusOK || a.body != "login" {
			t.Fatalf("read-only request answered %d %q, want 200 login", a.status, a.body)
		}
	}
	if n, _ := putCounts(app.rec.Take()); n != 0 {
		t.Fatalf("%d read-only requests in flight at once sent %d PutItems, want none", len(readers), n)
	}
	writers := hold(3, func(i int) string { return fmt.Sprintf("v=w%d", i) })
	for i, w := range writers {
		w.release()
		if a := waitAnswer(t, w.answers); a.status != http.StatusOK || a.body != fmt.Sprintf("w%d", i) {
			t.Fatalf("changing request %d answered %d %q", i, a.status, a.body)
		}
	}
	if n, _ := putCounts(app.rec.Take()); n != len(writers) {
		t.Fatalf("%d changing requests sent %d PutItems, want one each", len(writers), n)
	}
	if got := v.must(t, app, "/get"); got != "w2" {
		t.Fatalf("/get = %q, want the last change, w2", got)
	}

	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for i := range cap(errs) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			path := "/get"
			if i%4 == 0 {
				path = fmt.Sprintf("/put?v=c%d", i)
			}
			if status, body, err := v.do(app, path); err != nil || status != http.StatusOK {
				errs <- fmt.Errorf("GET %s: %d %q, %v", path, status, body, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	v.must(t, app, "/put?v=final")
	if got := v.must(t, app, "/get"); got != "final" {
		t.Fatalf("/get = %q, want final", got)
	}
	if st := app.store.Stats(); st.CommitsRefused != 0 || st.Errors != 0 || app.refused.Load()+app.failed.Load() != 0 {
		t.Errorf("Stats = %+v, %d refused and %d failed in ErrorFunc: want none", st, app.refused.Load(), app.failed.Load())
	}
}

// testBothFaults injects each fault of the fault tests into the requests
// of a store with both options that found the session: a changed commit (a
// conditional PutItem) and an unchanged one (a GetItem that confirms the
// skip). A fault is retried away or comes back as an error, never as
// ErrSessionDeleted of a session that exists, and the item stays whole.
func testBothFaults(t *testing.T, h *H) {
	t.Parallel()
	table := h.NewTable(t)
	clean := h.Client(t)
	cleanStore := h.Store(t, clean, core.WithTable(table))
	oldData, newData := []byte("old data of the session"), []byte("new data of the session, longer")
	oldExpiry := time.Now().Add(time.Hour).Truncate(time.Millisecond)
	newExpiry := oldExpiry.Add(time.Second)
	old, updated := faultVersion{data: oldData, expiry: oldExpiry}, faultVersion{data: newData, expiry: newExpiry}
	ops := []struct {
		name string
		data []byte
		op   string
	}{{"Changed", newData, "PutItem"}, {"Unchanged", oldData, "GetItem"}}
	cases := faultCases()
	n := len(cases)
	together(t, len(ops)*n, func(k int) string { return ops[k/n].name + "/" + cases[k%n].name }, func(t *testing.T, k int) {
		op, c := ops[k/n], cases[k%n]
		rt := newFaultRT(t)
		rec := &Recorder{Next: rt}
		cl := h.NewClient(t, ClientOptions{Transport: rec, Retries: faultRetries})
		s := h.Store(t, cl, append(bothOptions(), core.WithTable(table), core.WithTimeout(time.Minute))...)
		token := fmt.Sprintf("both-fault-%s-%d-SECRET", op.name, k%n)
		if err := cleanStore.Commit(token, oldData, oldExpiry); err != nil {
			t.Fatal(err)
		}
		MustFind(t, s, token, oldData)
		rec.Take()
		rt.arm(c.fault(rt), c.times)
		err := s.Commit(token, op.data, newExpiry)
		reqs := rec.Take()
		rt.arm(nil, 0)
		if got := Count(reqs, op.op); got != len(reqs) {
			t.Fatalf("the commit sent %v, want %s alone", Ops(reqs), op.op)
		}
		if errors.Is(err, core.ErrSessionDeleted) {
			t.Fatalf("the commit of a session that exists was refused: %v", err)
		}
		c.check(t, h, cl, err, len(reqs))
		faultNoSecrets(t, err, token, op.data)
		switch {
		case op.op == "GetItem":
			faultCheckWhole(t, h, clean, table, token, old)
		case err == nil:
			faultCheckWhole(t, h, clean, table, token, updated)
		default:
			rt.bg.Wait()
			faultCheckWhole(t, h, clean, table, token, old, updated)
		}
	})
}

// testBothOptions runs the hostile, fault and soak tests again with both
// options on every store they make, and the soak with an idle timeout, so
// that every request of it commits: nothing committed is lost.
func testBothOptions(t *testing.T, h *H) {
	x := h.withOptions(20*time.Minute, bothOptions()...)
	for _, tc := range []test{
		{"HostileTokensAreStoredOrCleanlyRefusedWithoutARequest", testHostileTokens},
		{"HostileCookieReachesNoRequest", testHostileCookie},
		{"HostileDataSizesAroundThe400KBLimit", testHostileSizes},
		{"HostileExpiriesAreStoredExactlyAndFilteredOnRead", testHostileExpiries},
		{"HostileAttributeNamesWork", testHostileAttributeNames},
		{"HostileTablesGiveClearErrors", testHostileTables},
		{"HostileMalformedItemsGiveErrorsWithoutSecrets", testHostileMalformedItems},
		{"FaultsAreRetriedOrReturnedAsErrorsNeverAsNotFound", testFaultsRetriedOrErrors},
		{"FaultSlowServerCallsEndAtTheirContextDeadline", testFaultSlowServer},
		{"FaultCommitWhoseAnswerIsLostLeavesAWholeItem", testFaultLostCommitAnswer},
		{"SoakSessionManagerOverHTTP", testSoak},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, x) })
	}
}
