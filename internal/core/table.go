package core

import (
	"context"
	"fmt"
	"time"

	"github.com/scs-stores/dynamostore/internal/core/driver"
)

// Table statuses and Time To Live statuses, as DynamoDB names them.
const (
	statusCreating = "CREATING"
	statusActive   = "ACTIVE"
	statusUpdating = "UPDATING"

	ttlEnabled   = "ENABLED"
	ttlEnabling  = "ENABLING"
	ttlDisabled  = "DISABLED"
	ttlDisabling = "DISABLING"
)

// Poll intervals of waitUsable: the first wait, and the longest.
const (
	firstPollInterval = 100 * time.Millisecond
	maxPollInterval   = 2 * time.Second
)

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
	usable, err := tableUsable(t.Status)
	if err == nil && !usable {
		err = fmt.Errorf("%w: it is %s, not ACTIVE", ErrTableNotReady, t.Status)
	}
	if err == nil {
		err = checkKeySchema(s.cfg.Names, t)
	}
	if err != nil {
		return s.errorf("check", err)
	}
	return nil
}

// CreateTable makes the store's table ready for sessions; see the public
// packages' CreateTable. It creates the table when it is missing, waits
// until it is usable unless the first description already shows it usable,
// checks its key schema and enables Time To Live on the ttl attribute when
// it is not on already. Each request is bounded on its own; the wait for the
// table lasts as long as ctx allows.
func (s *Store) CreateTable(ctx context.Context) error {
	if s.err != nil {
		return s.err
	}
	t, err := s.describeTable(ctx)
	described := true // t is DynamoDB's description, not one assumed
	switch {
	case err == nil:
	case s.d.ErrorCode(err) == codeNotFound:
		err := s.call(ctx, "create", func(ctx context.Context) error {
			return s.d.CreateTable(ctx, s.cfg.Table, s.cfg.Token)
		})
		if err != nil && s.d.ErrorCode(err) != codeInUse { // in use: created meanwhile by someone else
			return err
		}
		t.Status, described = statusCreating, false
	default:
		return err
	}
	usable, err := tableUsable(t.Status)
	if err != nil {
		return s.errorf("create", err)
	}
	if !usable {
		// A table found CREATING has just been described: wait before
		// describing it again. One just created is described at once.
		if t, err = s.waitUsable(ctx, described); err != nil {
			return err
		}
	}
	if err := checkKeySchema(s.cfg.Names, t); err != nil {
		return s.errorf("create", err)
	}
	need, err := s.ttlNeeded(ctx)
	if err != nil || !need {
		return err
	}
	err = s.call(ctx, "enable Time To Live on", func(ctx context.Context) error {
		return s.d.EnableTTL(ctx, s.cfg.Table, s.cfg.TTL)
	})
	if err == nil {
		return nil
	}
	// Another instance may have enabled it meanwhile, which is fine.
	if need, rerr := s.ttlNeeded(ctx); rerr == nil && !need {
		return nil
	}
	return err
}

// describeTable describes the store's table with one bounded request.
func (s *Store) describeTable(ctx context.Context) (t driver.Table, err error) {
	err = s.call(ctx, "describe", func(ctx context.Context) (err error) {
		t, err = s.d.DescribeTable(ctx, s.cfg.Table)
		return err
	})
	return t, err
}

// ttlNeeded describes the table's Time To Live and reports whether it must
// be enabled on the ttl attribute (see ttlNeedsEnabling).
func (s *Store) ttlNeeded(ctx context.Context) (bool, error) {
	var status, attr string
	err := s.call(ctx, "describe Time To Live of", func(ctx context.Context) (err error) {
		status, attr, err = s.d.DescribeTTL(ctx, s.cfg.Table)
		return err
	})
	if err != nil {
		return false, err
	}
	need, err := ttlNeedsEnabling(s.cfg.Names, status, attr)
	if err != nil {
		return false, s.errorf("create", err)
	}
	return need, nil
}

// call sends one request with f, bounded, and wraps its error.
func (s *Store) call(ctx context.Context, op string, f func(context.Context) error) error {
	rctx, cancel := s.bound(ctx)
	defer cancel()
	if err := f(rctx); err != nil {
		return s.fail(ctx, rctx, op, err)
	}
	return nil
}

// waitUsable describes the table until it is usable (see tableUsable) and
// returns that description. Between descriptions it waits with the store's
// sleep (sleepCtx unless set): firstPollInterval after the first and twice
// as long after each further one, up to maxPollInterval. With described
// (the caller has just described the table) it waits before its first
// description too. It returns the description's error, tableUsable's error,
// or, when the sleep fails (ctx ended), an error wrapping the sleep's, all
// naming the table.
func (s *Store) waitUsable(ctx context.Context, described bool) (driver.Table, error) {
	sleep := s.sleep
	if sleep == nil {
		sleep = sleepCtx
	}
	wait := firstPollInterval
	for {
		if described {
			if err := sleep(ctx, wait); err != nil {
				return driver.Table{}, s.errorf("create", fmt.Errorf("waiting for it to become ACTIVE: %w", err))
			}
			wait = min(2*wait, maxPollInterval)
		}
		described = true
		t, err := s.describeTable(ctx)
		if err != nil {
			return driver.Table{}, err
		}
		ok, err := tableUsable(t.Status)
		if err != nil {
			return driver.Table{}, s.errorf("create", err)
		}
		if ok {
			return t, nil
		}
	}
}

// sleepCtx waits d and returns nil, or returns ctx's error as soon as ctx
// ends, at once when it has ended already. It is how waitUsable waits unless
// the store's sleep is set.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// tableUsable reports whether a table in the given status serves requests
// (ACTIVE or UPDATING), and returns an error wrapping ErrTableNotReady for a
// status it will not leave by waiting (DELETING, ARCHIVED, ...) or for a
// description without a table, which has no status. A table that is CREATING
// is neither: wait and describe it again.
func tableUsable(status string) (bool, error) {
	switch status {
	case statusActive, statusUpdating:
		return true, nil
	case statusCreating:
		return false, nil
	case "":
		return false, fmt.Errorf("%w: DynamoDB described no table", ErrTableNotReady)
	}
	return false, fmt.Errorf("%w: it is %s", ErrTableNotReady, status)
}

// checkKeySchema returns an error wrapping ErrTableNotReady unless t is
// keyed by n's token attribute alone, of type S.
func checkKeySchema(n driver.Names, t driver.Table) error {
	if len(t.Keys) != 1 || t.Keys[0] != n.Token || t.Types[n.Token] != "S" {
		return fmt.Errorf("%w: it must have the hash key %q of type S and no sort key", ErrTableNotReady, n.Token)
	}
	return nil
}

// ttlNeedsEnabling reports, from a table's Time To Live status and the
// attribute it is on, whether Time To Live must be enabled on n's ttl
// attribute. An empty status counts as DISABLED. It is false, with no error,
// when Time To Live is ENABLED or ENABLING on the ttl attribute. It returns an
// error wrapping ErrTableNotReady when Time To Live is on (or being turned
// on) for another attribute, since a table has only one, or is being
// disabled, which DynamoDB must finish before it can be enabled again.
func ttlNeedsEnabling(n driver.Names, status, attribute string) (bool, error) {
	switch status {
	case "", ttlDisabled:
		return true, nil
	case ttlEnabled, ttlEnabling:
		if attribute != n.TTL {
			return false, fmt.Errorf("%w: it has Time To Live on attribute %q, not on the store's ttl attribute %q: disable it, or name that attribute as the ttl attribute",
				ErrTableNotReady, attribute, n.TTL)
		}
		return false, nil
	case ttlDisabling:
		return false, fmt.Errorf("%w: its Time To Live is being disabled; try again once it is DISABLED", ErrTableNotReady)
	}
	return false, fmt.Errorf("%w: it has the unknown Time To Live status %q", ErrTableNotReady, status)
}
