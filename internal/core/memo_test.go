package core

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/scs-stores/dynamostore/internal/core/driver"
)

// testMemo returns a memo with touch skipping on, bounded as given.
func testMemo(entries int, bytes int64) *memo {
	return newMemo(config{TouchInterval: time.Minute, MemoryEntries: entries, MemoryBytes: bytes})
}

// remember records key as found with data, by a Find alone.
func remember(m *memo, key string, data []byte) {
	m.found(m.find(key), 1, data)
}

// keys returns the memo's keys, the most recently used first.
func (m *memo) keys() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var ks []string
	for el := m.lru.Front(); el != nil; el = el.Next() {
		ks = append(ks, el.Value.(*entry).key)
	}
	return ks
}

// check fails t unless the memo's byte count is the sum of its entries'
// sizes and its bounds hold.
func (m *memo) check(t *testing.T) {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	var sum int64
	for el := m.lru.Front(); el != nil; el = el.Next() {
		e := el.Value.(*entry)
		if want := int64(len(e.key)+2*len(e.data)) + entryOverhead; e.size != want {
			t.Errorf("entry %q counts %d bytes, want %d", e.key, e.size, want)
		}
		if m.byKey[e.key] != e {
			t.Errorf("entry %q is in the list but not the map", e.key)
		}
		sum += e.size
	}
	if len(m.byKey) != m.lru.Len() {
		t.Errorf("map holds %d entries, list %d", len(m.byKey), m.lru.Len())
	}
	if sum != m.bytes {
		t.Errorf("memo counts %d bytes, its entries %d", m.bytes, sum)
	}
	if m.lru.Len() > m.maxEntries || m.bytes > m.maxBytes {
		t.Errorf("memo holds %d entries and %d bytes, over its bounds %d and %d", m.lru.Len(), m.bytes, m.maxEntries, m.maxBytes)
	}
}

func TestMemoIsOffWithoutDeleteWinsOrTouchSkipping(t *testing.T) {
	if m := newMemo(defaultConfig()); m != nil {
		t.Fatal("a store with neither option has a memo")
	}
	var m *memo // every method of a nil memo does nothing
	remember(m, "k", []byte("x"))
	if skip, cond, _ := m.commit("k", []byte("x"), 1); skip || cond {
		t.Fatalf("nil memo: commit = skip %v, cond %v; want a plain write", skip, cond)
	}
	m.deleted(m.deleting("k"))
	if n, b := m.size(); n != 0 || b != 0 {
		t.Fatalf("nil memo holds %d entries, %d bytes", n, b)
	}
}

func TestMemoDefaultsAndOwnBounds(t *testing.T) {
	for _, tc := range []struct {
		entries     int
		bytes       int64
		wantEntries int
		wantBytes   int64
	}{
		{0, 0, defaultMemoryEntries, defaultMemoryBytes},
		{-1, -1, defaultMemoryEntries, defaultMemoryBytes},
		{3, 5000, 3, 5000},
	} {
		m := newMemo(config{DeleteWins: true, MemoryEntries: tc.entries, MemoryBytes: tc.bytes})
		if m.maxEntries != tc.wantEntries || m.maxBytes != tc.wantBytes {
			t.Errorf("WithMemoryLimit(%d, %d): bounds %d, %d; want %d, %d", tc.entries, tc.bytes, m.maxEntries, m.maxBytes, tc.wantEntries, tc.wantBytes)
		}
	}
}

func TestMemoForgetsTheLeastRecentlyUsedBeyondItsEntries(t *testing.T) {
	m := testMemo(3, 1<<20)
	for _, k := range []string{"a", "b", "c"} {
		remember(m, k, []byte(k))
	}
	m.commit("a", []byte("a"), 1) // a commit uses "a": "b" is now the oldest
	remember(m, "d", []byte("d"))
	if got, want := fmt.Sprint(m.keys()), "[d a c]"; got != want {
		t.Fatalf("memo holds %s, want %s", got, want)
	}
	m.check(t)
}

func TestMemoForgetsTheLeastRecentlyUsedBeyondItsBytes(t *testing.T) {
	per := int64(1+2*100) + entryOverhead
	m := testMemo(100, 3*per)
	for _, k := range []string{"a", "b", "c", "d"} {
		remember(m, k, bytes.Repeat([]byte(k), 100))
	}
	if got, want := fmt.Sprint(m.keys()), "[d c b]"; got != want {
		t.Fatalf("memo holds %s, want %s", got, want)
	}
	m.check(t)

	// Data that cannot fit is not kept, but the key is, with its found mark.
	remember(m, "e", make([]byte, 3*per))
	m.check(t)
	m.mu.Lock()
	e := m.byKey["e"]
	m.mu.Unlock()
	if e == nil || !e.found || e.known || e.data != nil {
		t.Fatalf("oversized session: entry %+v, want found, without data", e)
	}
}

func TestMemoKeepsTheFoundMarkThroughNotFoundAndDelete(t *testing.T) {
	m := newMemo(config{DeleteWins: true, TouchInterval: time.Minute})
	remember(m, "k", []byte("x"))
	m.notFound(m.find("k"))    // another request's Find, after a logout
	m.deleted(m.deleting("k")) // a Delete by this store
	skip, cond, tk := m.commit("k", []byte("x"), 1)
	if skip || !cond {
		t.Fatalf("commit after not-found and delete = skip %v, cond %v; want a conditional write", skip, cond)
	}
	m.written(tk, false, nil, 0)
	if skip, cond, _ = m.commit("k", []byte("x"), 1); skip || !cond {
		t.Fatalf("second commit after a refusal = skip %v, cond %v; want a conditional write", skip, cond)
	}

	// A key never found is not kept after a Find that did not find it.
	m.notFound(m.find("other"))
	if got := fmt.Sprint(m.keys()); got != "[k]" {
		t.Fatalf("memo holds %s, want [k]", got)
	}
}

func TestMemoSkipsOnlyAnUnchangedCommitWithinTheInterval(t *testing.T) {
	const stored = int64(1_000_000_000_000)
	d := time.Minute
	for _, tc := range []struct {
		name   string
		data   string
		expiry int64
		skip   bool
	}{
		{"same data, same expiry", "x", stored, true},
		{"same data, expiry moved by less than d", "x", stored + int64(d) - 1, true},
		{"same data, expiry moved by d", "x", stored + int64(d), false},
		{"same data, expiry shortened", "x", stored - 1, false},
		{"changed data", "y", stored + 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMemo(config{TouchInterval: d})
			m.found(m.find("k"), stored, []byte("x"))
			if skip, _, _ := m.commit("k", []byte(tc.data), tc.expiry); skip != tc.skip {
				t.Fatalf("skip = %v, want %v", skip, tc.skip)
			}
		})
	}
}

func TestMemoWritesWhenCallsOnTheKeyOverlap(t *testing.T) {
	x := []byte("x")
	for _, tc := range []struct {
		name string
		run  func(m *memo)
		skip bool
	}{
		{"a lone Find", func(m *memo) { m.found(m.find("k"), 1, x) }, true},
		{"two overlapping Finds that read the same", func(m *memo) {
			remember(m, "k", x)
			a, b := m.find("k"), m.find("k")
			m.found(a, 1, x)
			m.found(b, 1, x)
		}, true},
		{"two overlapping Finds that read different data", func(m *memo) {
			a, b := m.find("k"), m.find("k")
			m.found(b, 1, x)
			m.found(a, 1, []byte("older"))
		}, false},
		{"a Find overlapped by a write", func(m *memo) {
			remember(m, "k", x)
			f := m.find("k")
			_, _, w := m.commit("k", []byte("y"), 1)
			m.written(w, true, []byte("y"), 1)
			m.found(f, 1, x)
		}, false},
		{"a write in flight", func(m *memo) {
			remember(m, "k", x)
			m.commit("k", []byte("y"), 1)
		}, false},
		{"a Delete", func(m *memo) {
			remember(m, "k", x)
			m.deleted(m.deleting("k"))
		}, false},
		{"a lone write of the same data", func(m *memo) {
			remember(m, "k", []byte("old"))
			_, _, w := m.commit("k", x, 1)
			m.written(w, true, x, 1)
		}, true},
		{"a failed write", func(m *memo) {
			remember(m, "k", []byte("old"))
			_, _, w := m.commit("k", x, 1)
			m.written(w, false, x, 1)
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := testMemo(0, 0)
			tc.run(m)
			if skip, _, _ := m.commit("k", x, 1); skip != tc.skip {
				t.Fatalf("commit of the data read: skip = %v, want %v", skip, tc.skip)
			}
			m.check(t)
		})
	}
}

func TestMemoConcurrentUseKeepsItsBounds(t *testing.T) {
	m := newMemo(config{DeleteWins: true, TouchInterval: time.Minute, MemoryEntries: 50, MemoryBytes: 50 * 300})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			for range 2000 {
				key := strconv.Itoa(rng.IntN(80))
				data := bytes.Repeat([]byte{byte(rng.IntN(3))}, rng.IntN(200))
				switch rng.IntN(4) {
				case 0, 1:
					t := m.find(key)
					if rng.IntN(2) == 0 {
						m.found(t, int64(rng.IntN(3)), data)
					} else {
						m.notFound(t)
					}
				case 2:
					if skip, _, t := m.commit(key, data, int64(rng.IntN(3))); !skip {
						m.written(t, rng.IntN(4) > 0, data, 1)
					}
				default:
					m.deleted(m.deleting(key))
				}
			}
		}()
	}
	wg.Wait()
	m.check(t)
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, e := range m.byKey {
		if e.finds != 0 || e.writes != 0 {
			t.Errorf("key %s: %d finds and %d writes in flight after every call ended", k, e.finds, e.writes)
		}
	}
}

// encodings returns two gob encodings of the same deadline and values that
// differ in their bytes.
func encodings(t *testing.T, deadline time.Time, values map[string]any) (a, b []byte) {
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
		if !bytes.Equal(a, b) {
			return a, b
		}
	}
	t.Fatal("1000 gob encodings of one map all came out the same")
	return nil, nil
}

func TestContentEqualSeesThroughGobMapOrder(t *testing.T) {
	deadline := time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC)
	values := map[string]any{"user": "ada", "cart": 3, "theme": "dark", "n": int64(7), "ok": true}
	a, b := encodings(t, deadline, values)
	codec := scs.GobCodec{}
	changed := func(deadline time.Time, k string, v any) []byte {
		vs := make(map[string]any, len(values))
		for k, v := range values {
			vs[k] = v
		}
		if k != "" {
			vs[k] = v
		}
		b, err := codec.Encode(deadline, vs)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, tc := range []struct {
		name string
		b    []byte
		same bool
	}{
		{"the same values in another order", b, true},
		{"a changed value", changed(deadline, "cart", 4), false},
		{"an added value", changed(deadline, "new", "v"), false},
		{"a changed deadline", changed(deadline.Add(time.Second), "", nil), false},
		{"data that does not decode", []byte("not gob"), false},
		{"no data", nil, false},
	} {
		if got := decode(codec, a).equal(decode(codec, tc.b)); got != tc.same {
			t.Errorf("%s: sameContent = %v, want %v", tc.name, got, tc.same)
		}
	}
}

// errCodec decodes nothing.
type errCodec struct{ scs.GobCodec }

func (errCodec) Decode([]byte) (time.Time, map[string]any, error) {
	return time.Time{}, nil, errors.New("no")
}

func TestStoreSkipsRefusesAndCounts(t *testing.T) {
	deadline := time.Now().Add(time.Hour)
	values := map[string]any{"a": 1, "b": 2, "c": 3, "d": 4, "e": 5}
	stored, reencoded := encodings(t, deadline, values)
	expiry := time.Now().Add(time.Hour).Truncate(time.Second)
	var puts []driver.PutItem
	var putErr error
	d := &scriptDriver{
		get: func(context.Context, driver.GetItem) (driver.Item, error) {
			item := liveItem(string(stored))
			item.Expiry.Text = strconv.FormatInt(expiry.UnixNano(), 10)
			return item, nil
		},
		put: func(_ context.Context, r driver.PutItem) error { puts = append(puts, r); return putErr },
		del: func(context.Context, driver.DeleteItem) error { return nil },
	}
	s := newScripted(t, d, WithDeleteWins(true), WithTouchInterval(time.Minute))
	ctx := context.Background()
	if _, found, err := s.Find(ctx, "tok"); err != nil || !found {
		t.Fatalf("Find = %v, %v", found, err)
	}
	if err := s.Commit(ctx, "tok", reencoded, expiry.Add(time.Second)); err != nil || len(puts) != 0 {
		t.Fatalf("unchanged commit: %v, %d puts; want skipped", err, len(puts))
	}
	// With delete-wins, a skip reads the item to confirm that it exists.
	if ops, _ := d.calls(); fmt.Sprint(ops) != "[GetItem GetItem]" {
		t.Fatalf("find and skipped commit sent %v, want [GetItem GetItem]", ops)
	}
	if err := s.Commit(ctx, "tok", reencoded, expiry.Add(time.Minute)); err != nil || len(puts) != 1 {
		t.Fatalf("commit moving the expiry by d: %v, %d puts; want written", err, len(puts))
	}
	if puts[0].Cond.Expression != "attribute_exists(#t)" || puts[0].Cond.Names["#t"] != "token" {
		t.Fatalf("commit of a found session has condition %+v, want that its token exists", puts[0].Cond)
	}
	putErr = &sdkError{codeConditionFailed}
	err := s.Commit(ctx, "tok", []byte("changed"), expiry.Add(2*time.Minute))
	if !errors.Is(err, ErrSessionDeleted) {
		t.Fatalf("refused commit: %v, want ErrSessionDeleted", err)
	}
	if want := `dynamostore: commit to table "scs_session": session was deleted before its commit`; err.Error() != want {
		t.Errorf("refused commit's error reads %q, want %q", err, want)
	}
	// A skip whose read finds no item is refused: the session was deleted
	// elsewhere.
	if _, found, err := s.Find(ctx, "tok"); err != nil || !found {
		t.Fatalf("Find = %v, %v", found, err)
	}
	get := d.get
	d.get = func(context.Context, driver.GetItem) (driver.Item, error) { return driver.Item{}, nil }
	if err := s.Commit(ctx, "tok", reencoded, expiry.Add(time.Second)); !errors.Is(err, ErrSessionDeleted) {
		t.Fatalf("unchanged commit of a session deleted elsewhere: %v, want ErrSessionDeleted", err)
	}
	if ops, _ := d.calls(); ops[len(ops)-1] != "GetItem" {
		t.Fatalf("an unchanged commit sent %s, want a GetItem", ops[len(ops)-1])
	}
	d.get = get
	putErr = &sdkError{"InternalServerError"}
	if err := s.Commit(ctx, "tok", []byte("changed"), expiry); err == nil || errors.Is(err, ErrSessionDeleted) {
		t.Fatalf("failed commit: %v, want the SDK's error", err)
	}
	putErr = nil
	if err := s.Commit(ctx, "fresh", []byte("new"), expiry); err != nil || puts[len(puts)-1].Cond.Expression != "" {
		t.Fatalf("commit of a session never found: %v, condition %q; want an unconditional write", err, puts[len(puts)-1].Cond.Expression)
	}
	if err := s.Delete(ctx, "tok"); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := s.Find(ctx, ""); found {
		t.Fatal("found the empty token")
	}
	got := s.Stats()
	got.RememberedBytes = 0
	want := Stats{FindsFound: 2, FindsNotFound: 1, CommitsWritten: 2, CommitsSkipped: 1, CommitsRefused: 2, Deletes: 1, Errors: 1, RememberedSessions: 1}
	if got != want {
		t.Fatalf("Stats = %+v\nwant    %+v", got, want)
	}
}

func TestStoreWithACodecThatCannotDecodeWritesEveryChange(t *testing.T) {
	expiry := time.Now().Add(time.Hour).Truncate(time.Second)
	puts := 0
	d := &scriptDriver{
		get: func(context.Context, driver.GetItem) (driver.Item, error) {
			item := liveItem("stored")
			item.Expiry.Text = strconv.FormatInt(expiry.UnixNano(), 10)
			return item, nil
		},
		put: func(context.Context, driver.PutItem) error { puts++; return nil },
	}
	s := newScripted(t, d, WithTouchInterval(time.Minute), WithCodec(errCodec{}))
	s.Find(context.Background(), "tok")
	if err := s.Commit(context.Background(), "tok", []byte("other bytes"), expiry); err != nil || puts != 1 {
		t.Fatalf("commit = %v, %d puts; want written", err, puts)
	}
	if err := s.Commit(context.Background(), "tok", []byte("other bytes"), expiry); err != nil || puts != 1 {
		t.Fatalf("commit of the bytes just written = %v, %d puts; want skipped", err, puts)
	}
	if st := s.Stats(); st.CommitsWritten != 1 || st.CommitsSkipped != 1 || st.FindsFound != 1 {
		t.Fatalf("Stats = %+v", st)
	}
}
