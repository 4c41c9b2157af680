// Package core is the portable session store: every behaviour of
// dynamostore, written once over a driver.Driver. The public packages
// (dynamostore for aws-sdk-go, dynamostore/awsv2 for aws-sdk-go-v2) each
// give it a driver of their SDK and delegate every method to it, so the two
// cannot drift apart.
//
// It holds the rules of a session item (which tokens can be keys, how the
// expiry is written and read, how large an item is, what a valid
// configuration is) and the flow around each DynamoDB call: the token
// checks, the size check, the bound on each request, the malformed-item
// rules, the paging and fan-out of scans, the conditional deletes of
// DeleteExpired, the CreateTable flow and Ping's checks, and how errors are
// named and wrapped; and what delete-wins and touch skipping remember
// between a Find and its Commit (memo.go). It needs only the standard
// library, and SCS for its gob codec, the default codec of touch skipping.
//
// Its exported names are what the two public packages and the shared test
// suite use, and nothing more: both public packages may run on one version
// of this module, so each name is a promise.
package core

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/scs-stores/dynamostore/internal/core/driver"
)

// Option configures a store.
type Option struct{ apply func(*config) }

// WithTable sets the table's name; empty stands for the default.
func WithTable(name string) Option {
	return Option{func(c *config) { c.Table = name }}
}

// WithAttributes sets the attributes' names; empty stands for a default.
func WithAttributes(token, data, expiry, ttl string) Option {
	return Option{func(c *config) {
		c.Token, c.Data, c.Expiry, c.TTL = token, data, expiry, ttl
	}}
}

// WithConsistentRead sets whether Find and All read with strong consistency.
func WithConsistentRead(consistent bool) Option {
	return Option{func(c *config) { c.ConsistentRead = consistent }}
}

// WithTokenPrefix sets the prefix stored in front of every token.
func WithTokenPrefix(prefix string) Option {
	return Option{func(c *config) { c.Prefix = prefix }}
}

// WithScanSegments sets how many segments All and DeleteExpired scan.
func WithScanSegments(n int) Option {
	return Option{func(c *config) { c.ScanSegments = n }}
}

// WithTimeout sets the bound on each DynamoDB request; zero or less sets
// none.
func WithTimeout(d time.Duration) Option {
	return Option{func(c *config) { c.Timeout = d }}
}

// Store is the portable session store. It is safe for concurrent use.
type Store struct {
	d   driver.Driver
	cfg config
	err error // a configuration error, returned by every call
	// sleep waits between the describes of CreateTable; nil means
	// sleepCtx. Tests set it to wait no real time.
	sleep func(context.Context, time.Duration) error

	memo   *memo       // nil unless delete-wins or touch skipping is on
	exists driver.Expr // the condition of a delete-wins commit
	n      counters
}

// New returns a store that sends its requests through d, configured by
// opts. Empty names stand for their defaults. When d is nil (the public
// packages pass nil for a nil client) or the configuration is one DynamoDB
// would refuse, it returns an error wrapping ErrInvalidConfig and, beside
// it, a store whose every call returns that error.
func New(d driver.Driver, opts ...Option) (*Store, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		if o.apply != nil {
			o.apply(&cfg)
		}
	}
	fillDefaults(&cfg.Names)
	s := &Store{d: d, cfg: cfg, memo: newMemo(cfg), exists: existsCondition(cfg.Names)}
	if d == nil {
		s.err = fmt.Errorf("%w: nil DynamoDB client", ErrInvalidConfig)
	} else {
		s.err = cfg.validate()
	}
	return s, s.err
}

// Names returns the table and attribute names the store uses.
func (s *Store) Names() driver.Names { return s.cfg.Names }

// Find returns the data of the session with the given token; see the public
// packages' FindCtx for the whole contract.
func (s *Store) Find(ctx context.Context, token string) ([]byte, bool, error) {
	if s.err != nil {
		return nil, false, s.count(nil, s.err)
	}
	key, ok := keyOf(s.cfg.Prefix, token)
	if !ok {
		s.n.findsNotFound.Add(1)
		return nil, false, nil
	}
	t := s.memo.find(key)
	data, expiry, res, err := s.find(ctx, key)
	if res == &s.n.findsFound {
		s.memo.found(t, expiry, data)
	} else {
		s.memo.notFound(t)
	}
	return data, res == &s.n.findsFound, s.count(res, err)
}

// find reads the session item of key. It returns the session's data and
// expiry, and the counter of the outcome: found, not found or expired.
func (s *Store) find(ctx context.Context, key string) ([]byte, int64, *atomic.Int64, error) {
	const op = "find in"
	item, err := s.getItem(ctx, op, key)
	if err != nil || !item.Found {
		return nil, 0, &s.n.findsNotFound, err
	}
	expiry, err := s.expiry(op, item.Expiry)
	if err != nil {
		return nil, 0, nil, err
	}
	if isExpired(expiry, time.Now()) {
		return nil, 0, &s.n.findsExpired, nil // whatever its data: an expired session is gone
	}
	data, err := s.data(op, item.Data)
	if err != nil {
		return nil, 0, nil, err
	}
	return data, expiry, &s.n.findsFound, nil
}

// getItem reads the item of key with one GetItem under the store's bound;
// its error names op and the table (see fail).
func (s *Store) getItem(ctx context.Context, op, key string) (driver.Item, error) {
	rctx, cancel := s.bound(ctx)
	defer cancel()
	item, err := s.d.GetItem(rctx, driver.GetItem{Names: s.cfg.Names, Key: key, Consistent: s.cfg.ConsistentRead})
	if err != nil {
		return driver.Item{}, s.fail(ctx, rctx, op, err)
	}
	return item, nil
}

// expiry decodes an item's expiry attribute.
func (s *Store) expiry(op string, v driver.Value) (int64, error) {
	if v.Type != driver.Number {
		return 0, s.errorf(op, malformedError(s.cfg.Expiry, "is missing or not a number"))
	}
	ns, err := decodeExpiry(v.Text)
	if err != nil {
		return 0, s.errorf(op, malformedError(s.cfg.Expiry, err.Error()))
	}
	return ns, nil
}

// data returns an item's data attribute: never nil, since empty binary is a
// session with no data.
func (s *Store) data(op string, v driver.Value) ([]byte, error) {
	if v.Type != driver.Binary {
		return nil, s.errorf(op, malformedError(s.cfg.Data, "is missing or not binary"))
	}
	if v.Bytes == nil {
		return []byte{}, nil
	}
	return v.Bytes, nil
}

// Commit adds or replaces the session with the given token; see the public
// packages' CommitCtx.
func (s *Store) Commit(ctx context.Context, token string, b []byte, expiry time.Time) error {
	const op = "commit to"
	if s.err != nil {
		return s.count(nil, s.err)
	}
	key, ok := keyOf(s.cfg.Prefix, token)
	if !ok {
		return s.count(nil, s.errorf(op, ErrInvalidToken))
	}
	expiryN, ttlN := EncodeExpiry(expiry)
	if err := checkSize(ItemSize(s.cfg.Names, len(key), len(b), expiryN, ttlN)); err != nil {
		return s.count(nil, s.errorf(op, err))
	}
	if b == nil {
		b = []byte{}
	}
	ns := expiryNanos(expiry)
	skip, cond, t := s.memo.commit(key, b, ns)
	switch {
	case skip && cond:
		return s.confirm(ctx, key)
	case skip:
		s.n.commitsSkipped.Add(1)
		return nil
	}
	put := driver.PutItem{Names: s.cfg.Names, Key: key, Data: b, Expiry: expiryN, TTL: ttlN}
	if cond {
		put.Cond = s.exists
	}
	rctx, cancel := s.bound(ctx)
	err := s.d.PutItem(rctx, put)
	switch {
	case err == nil:
		s.n.commitsWritten.Add(1)
	case cond && s.d.ErrorCode(err) == codeConditionFailed:
		// DynamoDB found no item to update: the session was deleted.
		s.n.commitsRefused.Add(1)
		err = s.errorf(op, ErrSessionDeleted)
	default:
		err = s.count(nil, s.fail(ctx, rctx, op, err))
	}
	cancel()
	s.memo.written(t, err == nil, b, ns)
	return err
}

// Delete removes the session with the given token; see the public packages'
// DeleteCtx.
func (s *Store) Delete(ctx context.Context, token string) error {
	if s.err != nil {
		return s.count(nil, s.err)
	}
	key, ok := keyOf(s.cfg.Prefix, token)
	if !ok {
		return nil
	}
	t := s.memo.deleting(key)
	rctx, cancel := s.bound(ctx)
	err := s.d.DeleteItem(rctx, driver.DeleteItem{Names: s.cfg.Names, Key: key})
	if err != nil {
		err = s.fail(ctx, rctx, "delete from", err)
	}
	cancel()
	s.memo.deleted(t)
	return s.count(&s.n.deletes, err)
}

// nop is the cancel function of a request that needs no bound of its own.
func nop() {}

// bound returns the context of one DynamoDB request: ctx, ended after the
// store's timeout unless ctx ends sooner anyway.
func (s *Store) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if s.cfg.Timeout <= 0 {
		return ctx, nop
	}
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) <= s.cfg.Timeout {
		return ctx, nop
	}
	return context.WithTimeout(ctx, s.cfg.Timeout)
}

// DynamoDB error codes the store acts upon, and aws-sdk-go's code for a
// request that its context ended.
const (
	codeNotFound        = "ResourceNotFoundException"
	codeInUse           = "ResourceInUseException"
	codeConditionFailed = "ConditionalCheckFailedException"
	codeCanceled        = "RequestCanceled"
)

// opError is the error of a store's operation: it names the operation and
// the table in front of the cause, and unwraps to it.
type opError struct {
	op, table string
	err       error
}

// Error returns one line that says "dynamostore:" once: a cause that says it
// too (the store's own errors) loses it, and a cause of several lines (such
// as aws-sdk-go's "caused by:" errors) is joined into one with "; ".
func (e *opError) Error() string {
	msg := strings.TrimPrefix(e.err.Error(), "dynamostore: ")
	if strings.ContainsAny(msg, "\r\n") {
		var parts []string
		for _, line := range strings.FieldsFunc(msg, func(r rune) bool { return r == '\n' || r == '\r' }) {
			if line = strings.TrimSpace(line); line != "" {
				parts = append(parts, line)
			}
		}
		msg = strings.Join(parts, "; ")
	}
	return "dynamostore: " + e.op + " table " + strconv.Quote(e.table) + ": " + msg
}

func (e *opError) Unwrap() error { return e.err }

// errorf names the operation and the table in front of err.
func (s *Store) errorf(op string, err error) error {
	return &opError{op: op, table: s.cfg.Table, err: err}
}

// fail wraps err, the error of a request sent with rctx, a bound of ctx.
// It names the operation and the table. When err is a cancellation (it
// unwraps to a context's error, or has aws-sdk-go's code RequestCanceled,
// which does not unwrap), it makes sure errors.Is finds the context's error
// and, when the store's own bound ended the request, says so. Any other
// error is the SDK's own, whatever the contexts did after it.
func (s *Store) fail(ctx, rctx context.Context, op string, err error) error {
	canceled := errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		s.d.ErrorCode(err) == codeCanceled
	if !canceled {
		return s.errorf(op, err)
	}
	if cerr := ctx.Err(); cerr != nil {
		if errors.Is(err, cerr) {
			return s.errorf(op, err)
		}
		return s.errorf(op, fmt.Errorf("%w: %w", cerr, err))
	}
	if rctx.Err() != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return s.errorf(op, fmt.Errorf("no answer within %v: %w", s.cfg.Timeout, err))
		}
		return s.errorf(op, fmt.Errorf("no answer within %v: %w: %w", s.cfg.Timeout, context.DeadlineExceeded, err))
	}
	return s.errorf(op, err)
}
