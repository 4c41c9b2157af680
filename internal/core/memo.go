package core

import (
	"bytes"
	"container/list"
	"context"
	"reflect"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/scs-stores/dynamostore/internal/core/driver"
)

// WithDeleteWins sets whether Commit refuses to recreate a session that the
// store's Find found and that has been deleted since; see the public
// packages' WithDeleteWins.
func WithDeleteWins(on bool) Option {
	return Option{func(c *config) { c.DeleteWins = on }}
}

// WithTouchInterval sets how far an unchanged session's expiry may move
// forward before Commit writes it; zero or less writes every Commit.
func WithTouchInterval(d time.Duration) Option {
	return Option{func(c *config) { c.TouchInterval = d }}
}

// WithCodec sets the codec that decodes session data, to tell changed
// content from the same content encoded anew; nil stands for SCS's gob
// codec.
func WithCodec(c scs.Codec) Option {
	return Option{func(cfg *config) { cfg.Codec = c }}
}

// WithMemoryLimit bounds what the store remembers between a Find and its
// Commit, in entries and bytes; zero or less keeps a default.
func WithMemoryLimit(entries int, bytes int64) Option {
	return Option{func(c *config) { c.MemoryEntries, c.MemoryBytes = entries, bytes }}
}

// confirm ends a Commit that touch skipping skips on a store with
// delete-wins: the session may have been deleted on another app server,
// which only DynamoDB knows, so one GetItem (a read, not a write) tells. It
// returns nil when the item exists, and an error wrapping ErrSessionDeleted
// when it does not.
func (s *Store) confirm(ctx context.Context, key string) error {
	const op = "commit to"
	item, err := s.getItem(ctx, op, key)
	switch {
	case err != nil:
		return s.count(nil, err)
	case !item.Found:
		s.n.commitsRefused.Add(1)
		return s.errorf(op, ErrSessionDeleted)
	}
	s.n.commitsSkipped.Add(1)
	return nil
}

// existsCondition is the condition of a delete-wins commit: that the item
// exists.
func existsCondition(n driver.Names) driver.Expr {
	return driver.Expr{Expression: "attribute_exists(#t)", Names: map[string]string{"#t": n.Token}}
}

// The default bounds of what a store remembers between a Find and its
// Commit. An entry only has to outlive one request, from its Find to its
// Commit, so these hold thousands of requests in flight.
const (
	defaultMemoryEntries = 10000
	defaultMemoryBytes   = 16 << 20
)

// entryOverhead is what an entry costs beyond its key and data: the entry,
// its list element and its share of the map, rounded up.
const entryOverhead = 200

// memo is what a store remembers of the sessions its Find read, so that
// their Commit can be made conditional (delete-wins) or skipped (touch
// skipping). It is a least-recently-used list bounded in entries and bytes,
// guarded by a mutex; it starts no goroutine. A nil *memo remembers nothing
// and every method on it does nothing, so a store without those options
// pays only a nil check.
//
// What it remembers of the data and expiry is trusted only when the call
// that recorded it overlapped no other call on the same key in this store:
// then it is what the table held at a moment after the Find of every
// request now in flight began. Overlapping calls make it unknown, and the
// next commit writes.
type memo struct {
	deleteWins bool
	touch      time.Duration // above zero: remember data and expiry, skip touches
	codec      scs.Codec     // tells the same content encoded anew
	maxEntries int
	maxBytes   int64

	mu    sync.Mutex
	byKey map[string]*entry
	lru   list.List // of *entry, the most recently used at the front
	bytes int64
}

// entry is what the memo holds of one key.
type entry struct {
	key string
	el  *list.Element
	// found is set when a Find of this store found the session, and only
	// eviction clears it: neither a later not-found Find nor a Delete may,
	// or a request in flight would bring the session back.
	found bool
	// known is set when expiry and data are what the table held at the end
	// of the last call on the key; rev changes whenever they do.
	known  bool
	expiry int64
	data   []byte
	rev    uint64
	size   int64
	// decoded is data decoded, once a Commit needed it; nil until then.
	decoded *content
	// finds and writes count the calls on the key in flight (writes: the
	// Commits that send a request, and Deletes). epoch moves when any call
	// begins, wepoch when a write does.
	finds, writes int
	epoch, wepoch uint64
	gone          bool // evicted: calls still holding it change nothing
}

// ticket is a call on a key in flight, from its begin to its end.
type ticket struct {
	e             *entry
	epoch, wepoch uint64
	busy          bool // other calls on the key were in flight when it began
	writing       bool // other writes were
}

// newMemo returns the memo that cfg asks for, or nil when neither
// delete-wins nor touch skipping is on.
func newMemo(cfg config) *memo {
	if !cfg.DeleteWins && cfg.TouchInterval <= 0 {
		return nil
	}
	m := &memo{
		deleteWins: cfg.DeleteWins,
		touch:      max(cfg.TouchInterval, 0),
		codec:      cfg.Codec,
		maxEntries: cfg.MemoryEntries,
		maxBytes:   cfg.MemoryBytes,
		byKey:      make(map[string]*entry),
	}
	if m.codec == nil {
		m.codec = scs.GobCodec{}
	}
	if m.maxEntries <= 0 {
		m.maxEntries = defaultMemoryEntries
	}
	if m.maxBytes <= 0 {
		m.maxBytes = defaultMemoryBytes
	}
	return m
}

// size returns the entries and bytes the memo holds.
func (m *memo) size() (int, int64) {
	if m == nil {
		return 0, 0
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lru.Len(), m.bytes
}

// find begins a Find of key, remembering the key if it was not.
func (m *memo) find(key string) ticket {
	if m == nil {
		return ticket{}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.byKey[key]
	if e == nil {
		e = &entry{key: key, size: entrySize(key, nil)}
		e.el = m.lru.PushFront(e)
		m.byKey[key] = e
		m.bytes += e.size
		m.evict()
	} else {
		m.lru.MoveToFront(e.el)
	}
	return m.begin(e, false)
}

// found ends a Find that found the session, with its stored expiry and
// data.
func (m *memo) found(t ticket, expiry int64, data []byte) {
	if t.e == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e := t.e
	overlap, writeOverlap := m.end(t, false)
	if e.gone {
		return
	}
	e.found = true
	switch {
	case m.touch == 0:
	case !overlap:
		m.record(e, expiry, data)
	case writeOverlap || !e.known || e.expiry != expiry || !bytes.Equal(e.data, data):
		// Only other Finds overlapped it, and one of them may have read
		// something else: which is the later is unknown.
		m.forget(e)
	}
}

// notFound ends a Find that found no live session, or failed. A key that
// was never found and has no call in flight is forgotten.
func (m *memo) notFound(t ticket) {
	if t.e == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e := t.e
	m.end(t, false)
	if e.gone {
		return
	}
	m.forget(e)
	if !e.found && e.finds == 0 && e.writes == 0 {
		m.remove(e)
	}
}

// commit decides how to commit data b with the expiry (Unix nanoseconds) to
// key: skip, writing nothing; or write. With cond set, the session was found
// and delete-wins is on: the write is on the condition that the item exists,
// and a skip must first confirm that it does. A write begins a call, to be
// ended by written.
func (m *memo) commit(key string, b []byte, expiry int64) (skip, cond bool, t ticket) {
	if m == nil {
		return false, false, ticket{}
	}
	m.mu.Lock()
	e := m.byKey[key]
	if e == nil {
		m.mu.Unlock()
		return false, false, ticket{}
	}
	m.lru.MoveToFront(e.el)
	cond = m.deleteWins && e.found
	if m.skippable(e, expiry) {
		if bytes.Equal(e.data, b) {
			m.mu.Unlock()
			return true, cond, ticket{}
		}
		// Decoding takes long: compare without the lock, then check that
		// nothing changed meanwhile. The stored data is decoded once, for
		// every commit until it changes.
		stored, dec, rev := e.data, e.decoded, e.rev
		m.mu.Unlock()
		if dec == nil {
			dec = decode(m.codec, stored)
		}
		same := dec.equal(decode(m.codec, b))
		m.mu.Lock()
		if !e.gone && e.rev == rev {
			e.decoded = dec
			if same && m.skippable(e, expiry) {
				m.mu.Unlock()
				return true, cond, ticket{}
			}
		}
	}
	t = m.begin(e, true)
	m.mu.Unlock()
	return false, cond, t
}

// skippable reports whether a commit of e with the expiry may be skipped if
// its content is unchanged: the stored expiry is known, no write is in
// flight, and the expiry moves forward by less than the touch interval.
func (m *memo) skippable(e *entry, expiry int64) bool {
	return m.touch > 0 && e.known && e.writes == 0 &&
		expiry >= e.expiry && uint64(expiry)-uint64(e.expiry) < uint64(m.touch)
}

// written ends a Commit's write of b with the expiry: ok when it succeeded.
func (m *memo) written(t ticket, ok bool, b []byte, expiry int64) {
	if t.e == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e := t.e
	overlap, _ := m.end(t, true)
	if e.gone || m.touch == 0 {
		return
	}
	if ok && !overlap {
		m.record(e, expiry, b)
	} else {
		m.forget(e) // refused, failed (it may or may not have landed), or raced
	}
}

// deleting begins a Delete of key. It keeps the found mark: a request in
// flight that found the session must not bring it back.
func (m *memo) deleting(key string) ticket {
	if m == nil {
		return ticket{}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.byKey[key]
	if e == nil {
		return ticket{}
	}
	m.forget(e)
	return m.begin(e, true)
}

// deleted ends a Delete.
func (m *memo) deleted(t ticket) {
	if t.e == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.end(t, true)
	if !t.e.gone {
		m.forget(t.e)
	}
}

// begin starts a call on e; m.mu is held.
func (m *memo) begin(e *entry, write bool) ticket {
	t := ticket{e: e, busy: e.finds+e.writes > 0, writing: e.writes > 0}
	e.epoch++
	if write {
		e.writes++
		e.wepoch++
	} else {
		e.finds++
	}
	t.epoch, t.wepoch = e.epoch, e.wepoch
	return t
}

// end ends the call t and reports whether another call on the key
// overlapped it, and whether a write did; m.mu is held.
func (m *memo) end(t ticket, write bool) (overlap, writeOverlap bool) {
	e := t.e
	if write {
		e.writes--
	} else {
		e.finds--
	}
	return t.busy || e.epoch != t.epoch, t.writing || e.wepoch != t.wepoch
}

// record remembers that the table holds data with the expiry under e's key,
// keeping a copy of data, unless the entry would then exceed the memo's
// byte bound; m.mu is held.
func (m *memo) record(e *entry, expiry int64, data []byte) {
	if e.known && e.expiry == expiry && bytes.Equal(e.data, data) {
		return
	}
	size := entrySize(e.key, data)
	if size > m.maxBytes {
		m.forget(e)
		return
	}
	e.known, e.expiry, e.data, e.decoded = true, expiry, bytes.Clone(data), nil
	e.rev++
	m.bytes += size - e.size
	e.size = size
	m.lru.MoveToFront(e.el)
	m.evict()
}

// forget drops what e knows of the stored expiry and data; m.mu is held.
func (m *memo) forget(e *entry) {
	if !e.known && e.data == nil {
		return
	}
	e.known, e.data, e.decoded = false, nil, nil
	e.rev++
	size := entrySize(e.key, nil)
	m.bytes += size - e.size
	e.size = size
}

// evict removes the least recently used entries until the memo is within
// its bounds; m.mu is held.
func (m *memo) evict() {
	for m.lru.Len() > m.maxEntries || m.bytes > m.maxBytes {
		m.remove(m.lru.Back().Value.(*entry))
	}
}

// remove forgets e altogether; m.mu is held.
func (m *memo) remove(e *entry) {
	m.lru.Remove(e.el)
	delete(m.byKey, e.key)
	m.bytes -= e.size
	e.gone = true
}

// entrySize is what an entry of key with data counts against the memo's
// bytes: the data twice, as it may be kept decoded too.
func entrySize(key string, data []byte) int64 {
	return int64(len(key)+2*len(data)) + entryOverhead
}

// content is session data decoded: SCS's deadline and values.
type content struct {
	deadline time.Time
	values   map[string]interface{}
}

// decode decodes b with c; nil when c cannot.
func decode(c scs.Codec, b []byte) *content {
	deadline, values, err := c.Decode(b)
	if err != nil {
		return nil
	}
	return &content{deadline, values}
}

// equal reports whether x and y are the same content: the same deadline and
// deeply equal values. SCS's gob codec encodes a map in Go's random order,
// so the same values give different bytes from one encoding to the next;
// decoded, they are equal. Data that did not decode (nil) is never equal.
func (x *content) equal(y *content) bool {
	return x != nil && y != nil && x.deadline.Equal(y.deadline) && reflect.DeepEqual(x.values, y.values)
}
