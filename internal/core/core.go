// Package core is the portable session store: every behaviour of
// dynamostore, written once over a driver.Driver. The public packages
// (dynamostore for aws-sdk-go, dynamostore/awsv2 for aws-sdk-go-v2) each
// give it a driver of their SDK and delegate every method to it, so the two
// cannot drift apart.
//
// It holds the flow around each DynamoDB call: the token checks, the item
// encoding and the size check (from package sessionitem), the bound on each
// request, the malformed-item rules, the paging and fan-out of scans, the
// conditional deletes of DeleteExpired, the CreateTable flow and Ping's
// checks, and how errors are named and wrapped. It needs only the standard
// library.
package core

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/scs-stores/dynamostore/internal/core/driver"
	"github.com/scs-stores/dynamostore/internal/core/sessionitem"
)

// Option configures a store.
type Option struct{ apply func(*sessionitem.Config) }

// WithTable sets the table's name; empty stands for the default.
func WithTable(name string) Option {
	return Option{func(c *sessionitem.Config) { c.Table = name }}
}

// WithAttributes sets the attributes' names; empty stands for a default.
func WithAttributes(token, data, expiry, ttl string) Option {
	return Option{func(c *sessionitem.Config) {
		c.Token, c.Data, c.Expiry, c.TTL = token, data, expiry, ttl
	}}
}

// WithConsistentRead sets whether Find and All read with strong consistency.
func WithConsistentRead(consistent bool) Option {
	return Option{func(c *sessionitem.Config) { c.ConsistentRead = consistent }}
}

// WithTokenPrefix sets the prefix stored in front of every token.
func WithTokenPrefix(prefix string) Option {
	return Option{func(c *sessionitem.Config) { c.Prefix = prefix }}
}

// WithScanSegments sets how many segments All and DeleteExpired scan.
func WithScanSegments(n int) Option {
	return Option{func(c *sessionitem.Config) { c.ScanSegments = n }}
}

// WithTimeout sets the bound on each DynamoDB request; zero or less sets
// none.
func WithTimeout(d time.Duration) Option {
	return Option{func(c *sessionitem.Config) { c.Timeout = d }}
}

// Store is the portable session store. It is safe for concurrent use.
type Store struct {
	d   driver.Driver
	cfg sessionitem.Config
	err error // a configuration error, returned by every call
	// sleep waits between the describes of CreateTable; nil means
	// sessionitem.Sleep. Tests set it to wait no real time.
	sleep func(context.Context, time.Duration) error
}

// New returns a store that sends its requests through d, which wraps
// client, configured by opts. Empty names stand for their defaults. When
// client is nil, a typed nil included, or the configuration is one DynamoDB
// would refuse, it returns an error wrapping sessionitem.ErrInvalidConfig
// and, beside it, a store whose every call returns that error.
func New(client any, d driver.Driver, opts ...Option) (*Store, error) {
	cfg := sessionitem.DefaultConfig()
	for _, o := range opts {
		if o.apply != nil {
			o.apply(&cfg)
		}
	}
	cfg.Names.FillDefaults()
	s := &Store{d: d, cfg: cfg}
	if isNil(client) {
		s.err = fmt.Errorf("%w: nil DynamoDB client", sessionitem.ErrInvalidConfig)
	} else {
		s.err = cfg.Validate()
	}
	return s, s.err
}

// isNil reports whether v is nil or an interface holding a nil pointer, map,
// slice, func or channel, on which any method call would panic.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	r := reflect.ValueOf(v)
	switch r.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan, reflect.Interface:
		return r.IsNil()
	}
	return false
}

// Names returns the table and attribute names the store uses.
func (s *Store) Names() sessionitem.Names { return s.cfg.Names }

// Find returns the data of the session with the given token; see the public
// packages' FindCtx for the whole contract.
func (s *Store) Find(ctx context.Context, token string) ([]byte, bool, error) {
	const op = "find in"
	if s.err != nil {
		return nil, false, s.err
	}
	key, ok := sessionitem.Key(s.cfg.Prefix, token)
	if !ok {
		return nil, false, nil
	}
	rctx, cancel := s.bound(ctx)
	item, err := s.d.GetItem(rctx, driver.GetItem{Names: s.cfg.Names, Key: key, Consistent: s.cfg.ConsistentRead})
	if err != nil {
		err = s.fail(ctx, rctx, op, err)
	}
	cancel()
	if err != nil || !item.Found {
		return nil, false, err
	}
	expiry, err := s.expiry(op, item.Expiry)
	if err != nil {
		return nil, false, err
	}
	if sessionitem.Expired(expiry, time.Now()) {
		return nil, false, nil // whatever its data: an expired session is gone
	}
	data, err := s.data(op, item.Data)
	if err != nil {
		return nil, false, err
	}
	return data, true, nil
}

// expiry decodes an item's expiry attribute.
func (s *Store) expiry(op string, v driver.Value) (int64, error) {
	if v.Type != driver.Number {
		return 0, s.errorf(op, sessionitem.MalformedError(s.cfg.Expiry, "is missing or not a number"))
	}
	ns, err := sessionitem.DecodeExpiry(v.Text)
	if err != nil {
		return 0, s.errorf(op, sessionitem.MalformedError(s.cfg.Expiry, err.Error()))
	}
	return ns, nil
}

// data returns an item's data attribute: never nil, since empty binary is a
// session with no data.
func (s *Store) data(op string, v driver.Value) ([]byte, error) {
	if v.Type != driver.Binary {
		return nil, s.errorf(op, sessionitem.MalformedError(s.cfg.Data, "is missing or not binary"))
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
		return s.err
	}
	key, ok := sessionitem.Key(s.cfg.Prefix, token)
	if !ok {
		return s.errorf(op, sessionitem.ErrInvalidToken)
	}
	expiryN, ttlN := sessionitem.EncodeExpiry(expiry)
	if err := sessionitem.CheckSize(sessionitem.ItemSize(s.cfg.Names, len(key), len(b), expiryN, ttlN)); err != nil {
		return s.errorf(op, err)
	}
	if b == nil {
		b = []byte{}
	}
	rctx, cancel := s.bound(ctx)
	err := s.d.PutItem(rctx, driver.PutItem{Names: s.cfg.Names, Key: key, Data: b, Expiry: expiryN, TTL: ttlN})
	if err != nil {
		err = s.fail(ctx, rctx, op, err)
	}
	cancel()
	return err
}

// Delete removes the session with the given token; see the public packages'
// DeleteCtx.
func (s *Store) Delete(ctx context.Context, token string) error {
	if s.err != nil {
		return s.err
	}
	key, ok := sessionitem.Key(s.cfg.Prefix, token)
	if !ok {
		return nil
	}
	rctx, cancel := s.bound(ctx)
	err := s.d.DeleteItem(rctx, driver.DeleteItem{Table: s.cfg.Table, KeyName: s.cfg.Token, Key: key})
	if err != nil {
		err = s.fail(ctx, rctx, "delete from", err)
	}
	cancel()
	return err
}

// Ping checks that the table exists and is usable; see the public packages'
// Ping.
func (s *Store) Ping(ctx context.Context) error {
	if s.err != nil {
		return s.err
	}
	t, err := s.describeTable(ctx)
	if err != nil {
		return err
	}
	return sessionitem.CheckTable(s.cfg.Names, t)
}

// describeTable describes the store's table with one bounded request.
func (s *Store) describeTable(ctx context.Context) (t sessionitem.Table, err error) {
	err = s.call(ctx, "describe", func(ctx context.Context) (err error) {
		t, err = s.d.DescribeTable(ctx, s.cfg.Table)
		return err
	})
	return t, err
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

// errorf names the operation and the table in front of err.
func (s *Store) errorf(op string, err error) error {
	return fmt.Errorf("dynamostore: %s table %q: %w", op, s.cfg.Table, err)
}

// fail wraps err, the error of a request sent with rctx, a bound of ctx.
// It names the operation and the table, and makes sure errors.Is finds the
// context's error when a context ended: aws-sdk-go's errors do not unwrap to
// it. When the store's own bound ended the request, it says so.
func (s *Store) fail(ctx, rctx context.Context, op string, err error) error {
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
