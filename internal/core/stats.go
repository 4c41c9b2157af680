package core

import "sync/atomic"

// Stats are a store's counters, cumulative since the store was made, and
// what it remembers now; see the public packages' Stats for each field.
type Stats struct {
	// FindsFound counts the Finds that returned a session.
	FindsFound int64
	// FindsNotFound counts the Finds that found no item, or were given a
	// token that cannot be a key; expired items are counted apart.
	FindsNotFound int64
	// FindsExpired counts the Finds that read an item whose expiry had
	// passed, and so returned not found.
	FindsExpired int64
	// CommitsWritten counts the Commits whose PutItem succeeded.
	CommitsWritten int64
	// CommitsSkipped counts the Commits that wrote nothing because the
	// session was unchanged and its expiry moved by less than the touch
	// interval; with delete-wins, each sent a GetItem instead.
	CommitsSkipped int64
	// CommitsRefused counts the Commits refused because the session had
	// been deleted: they returned ErrSessionDeleted.
	CommitsRefused int64
	// Deletes counts the Deletes whose DeleteItem succeeded.
	Deletes int64
	// Errors counts the Finds, Commits and Deletes that returned an error,
	// other than a refused Commit.
	Errors int64
	// RememberedSessions is how many sessions the store remembers now,
	// between their Find and their Commit.
	RememberedSessions int
	// RememberedBytes is about how many bytes that takes: the keys, twice
	// the data kept for touch skipping (as read, and decoded), and a fixed
	// cost per entry.
	RememberedBytes int64
}

// counters are a store's cumulative counters; each is updated atomically.
type counters struct {
	findsFound, findsNotFound, findsExpired        atomic.Int64
	commitsWritten, commitsSkipped, commitsRefused atomic.Int64
	deletes, errors                                atomic.Int64
}

// Stats returns the store's counters; see Stats.
func (s *Store) Stats() Stats {
	entries, bytes := s.memo.size()
	return Stats{
		FindsFound:         s.n.findsFound.Load(),
		FindsNotFound:      s.n.findsNotFound.Load(),
		FindsExpired:       s.n.findsExpired.Load(),
		CommitsWritten:     s.n.commitsWritten.Load(),
		CommitsSkipped:     s.n.commitsSkipped.Load(),
		CommitsRefused:     s.n.commitsRefused.Load(),
		Deletes:            s.n.deletes.Load(),
		Errors:             s.n.errors.Load(),
		RememberedSessions: entries,
		RememberedBytes:    bytes,
	}
}

// count adds a call's outcome to c, or to the errors when err is not nil,
// and returns err.
func (s *Store) count(c *atomic.Int64, err error) error {
	if err != nil {
		s.n.errors.Add(1)
	} else {
		c.Add(1)
	}
	return err
}
