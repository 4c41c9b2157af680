package awsv2

import (
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/scs-stores/dynamostore/internal/core"
)

// ErrSessionDeleted is returned, wrapped, by a Commit of a store made with
// WithDeleteWins(true) when the session was found by the store's Find and
// has been deleted since: the commit wrote nothing. It is the same value in
// both packages.
var ErrSessionDeleted = core.ErrSessionDeleted

// WithDeleteWins(true) makes a delete win over a commit that races it. Once
// the store's Find has found a session, Commit only updates it and never
// recreates it: if the session has been deleted since (by Delete, or by
// SCS's Destroy or RenewToken, on this app server or another), Commit writes
// nothing and returns an error wrapping ErrSessionDeleted. Without it (the
// default, and always for a store made without options), a request that loaded a session
// before a logout and commits after it writes the session back, and so does
// one that loaded the old token before a RenewToken.
//
// DynamoDB decides, not the store's memory: the Commit of a session the
// store found is a PutItem on the condition that the item exists, so the
// rule holds across app servers sharing the table, at no extra request. A
// Commit of a session the store's Find did not find (new, expired, or under
// a fresh token), of one with no Find before it (SCS's Iterate), or of one
// the store has forgotten (see WithMemoryLimit) is written as without the
// option. A store that found a session refuses its Commit after a Delete
// even if the Delete was its own.
//
// What SCS v2.9.0 does with the error: LoadAndSave commits when the handler
// first writes its response (or when it returns, if it wrote nothing), and on
// an error calls the session manager's ErrorFunc with the real
// ResponseWriter. The default ErrorFunc logs the error and answers 500
// Internal Server Error. Whatever the handler writes next follows that
// answer: its status is ignored and its body appended. An ErrorFunc that
// reloads a page (GET or HEAD) as the session now is, and tells the user that
// a form's post (any other method) was lost:
//
//	sessionManager.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) {
//		if errors.Is(err, awsv2.ErrSessionDeleted) {
//			// A logout or RenewToken won over this request; nothing was saved.
//			if r.Method == http.MethodGet || r.Method == http.MethodHead {
//				http.Redirect(w, r, r.URL.RequestURI(), http.StatusSeeOther)
//			} else {
//				http.Error(w, "Your session ended while this request ran; nothing was saved.", http.StatusConflict)
//			}
//			return
//		}
//		log.Print(err)
//		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
//	}
func WithDeleteWins(on bool) Option { return core.WithDeleteWins(on) }

// WithTouchInterval(d) saves the writes of sliding sessions. With an SCS
// IdleTimeout, every request commits its session, if only to move its
// expiry. With d above zero, Commit writes nothing and returns nil when both
// hold:
//   - the session's content is unchanged since the store's Find read it
//     (compared after decoding, see WithCodec, as SCS's gob codec encodes
//     the same values to different bytes);
//   - its new expiry is no earlier than the one stored, and less than d past
//     it.
//
// It always writes a changed session, a shortened expiry, an expiry moved by
// d or more, and a session the store did not find or has forgotten (see
// WithMemoryLimit). When, on one app server, a Commit or Delete of the
// session overlaps the Find, or overlapping Finds read different content,
// the store cannot tell which read the latest content, and writes. SCS's
// absolute deadline (its Lifetime) is inside the data, so skipping never
// moves it. Zero or less (the default) writes every Commit.
//
// The cost: the stored expiry lags by less than d, so a session may end up to
// d before its idle timeout says. Choose d as a tenth of the IdleTimeout (2
// minutes for 20): an active session is then written about once every d, or
// when it changes, and an idle one ends after between 90% and 100% of its
// idle timeout.
//
// A skipped Commit writes nothing, so it never brings back a session deleted
// meanwhile; without WithDeleteWins it returns nil all the same.
//
// With WithDeleteWins too, such a Commit sends one GetItem instead of the
// PutItem, to confirm that the session still exists (only DynamoDB knows
// whether another app server deleted it), and returns ErrSessionDeleted if it
// does not. A read costs a fifth of a write of up to 1 KB, and covers 4 KB.
func WithTouchInterval(d time.Duration) Option { return core.WithTouchInterval(d) }

// WithCodec sets the codec that the store decodes session data with, to
// tell whether a session's content changed (see WithTouchInterval): give it
// the session manager's Codec when that is not SCS's default,
// scs.GobCodec{}. Data the codec cannot decode counts as changed, so a wrong
// codec costs writes, never data. nil keeps the default.
func WithCodec(c scs.Codec) Option { return core.WithCodec(c) }

// WithMemoryLimit bounds what the store remembers of the sessions its Find
// read, for WithDeleteWins and WithTouchInterval (without them it remembers
// nothing): at most entries sessions, and at most bytes bytes as it counts
// them (an entry counts its key, twice the data kept for touch skipping, as
// it may keep it decoded too, and 200 bytes). The
// defaults are 10,000 sessions and 16 MiB; zero or less keeps a default. The
// least recently used are forgotten first, and a forgotten session's Commit
// is written as without the options. An entry need only outlive one request,
// from its Find to its Commit, so the defaults suit thousands of requests in
// flight; Stats shows what is remembered.
func WithMemoryLimit(entries int, bytes int64) Option {
	return core.WithMemoryLimit(entries, bytes)
}

// Stats are a store's counters, cumulative since the store was made, and
// what it remembers now; see DynamoStore.Stats. Each Find, Commit and Delete
// call is counted once, in its outcome or in Errors, except a Delete of a
// token that cannot be a key, which sends nothing and is not counted.
//
//   - FindsFound: Finds that returned a session.
//   - FindsNotFound: Finds that found no item, or were given a token that
//     cannot be a key; an expired item is counted in FindsExpired instead.
//   - FindsExpired: Finds that read an item whose expiry had passed.
//   - CommitsWritten: Commits whose PutItem succeeded.
//   - CommitsSkipped: Commits that wrote nothing (see WithTouchInterval;
//     with WithDeleteWins, each sent a GetItem instead).
//   - CommitsRefused: Commits refused with ErrSessionDeleted (see
//     WithDeleteWins).
//   - Deletes: Deletes whose DeleteItem succeeded, whether or not the
//     session existed.
//   - Errors: Finds, Commits and Deletes that returned an error, other than
//     a refused Commit.
//   - RememberedSessions and RememberedBytes: what the store remembers now
//     (see WithMemoryLimit); zero without WithDeleteWins and
//     WithTouchInterval.
type Stats = core.Stats

// Stats returns the store's counters and what it remembers now, in the
// manner of database/sql's DB.Stats. It is safe to call at any time, and
// costs no request.
func (s *DynamoStore) Stats() Stats { return s.c.Stats() }
