package core

import (
	"context"
	"strconv"
	"time"

	"github.com/scs-stores/dynamostore/internal/core/driver"
	"github.com/scs-stores/dynamostore/internal/core/sessionitem"
)

// All returns the data of every live session, keyed by token; see the
// public packages' AllCtx.
func (s *Store) All(ctx context.Context) (map[string][]byte, error) {
	const op = "scan"
	if s.err != nil {
		return nil, s.err
	}
	if err := ctx.Err(); err != nil {
		return nil, s.errorf(op, err)
	}
	now := strconv.FormatInt(time.Now().UnixNano(), 10)
	return sessionitem.ScanAll(ctx, s.cfg.ScanSegments, func(ctx context.Context, segment int) ([]sessionitem.Session, error) {
		r := s.scanRequest(segment, now, sessionitem.ScanProjection, sessionitem.ScanFilter(s.cfg.Prefix), sessionitem.ScanNames(s.cfg.Names))
		r.Consistent = s.cfg.ConsistentRead
		var found []sessionitem.Session
		err := s.scan(ctx, op, r, func(it driver.Item) error {
			if it.Key.Type != driver.String {
				return s.errorf(op, sessionitem.MalformedError(s.cfg.Token, "is missing or not a string"))
			}
			data, err := s.data(op, it.Data)
			if err != nil {
				return err
			}
			if token, ok := sessionitem.TokenFromKey(s.cfg.Prefix, it.Key.Text); ok {
				found = append(found, sessionitem.Session{Token: token, Data: data})
			}
			return nil
		})
		return found, err
	})
}

// DeleteExpired removes the expired sessions and returns how many it
// removed; see the public packages' DeleteExpired.
func (s *Store) DeleteExpired(ctx context.Context) (int, error) {
	const op = "scan for expired sessions in"
	if s.err != nil {
		return 0, s.err
	}
	if err := ctx.Err(); err != nil {
		return 0, s.errorf(op, err)
	}
	now := strconv.FormatInt(time.Now().UnixNano(), 10)
	return sessionitem.ForSegments(ctx, s.cfg.ScanSegments, func(ctx context.Context, segment int) (int, error) {
		// Eventually consistent: an item a stale read misses is removed by
		// the next run, and one it sees stale fails the delete's condition.
		r := s.scanRequest(segment, now, sessionitem.ExpiredProjection, sessionitem.ExpiredFilter(s.cfg.Prefix), sessionitem.ExpiredNames(s.cfg.Names))
		removed := 0
		err := s.scan(ctx, op, r, func(it driver.Item) error {
			if it.Key.Type != driver.String || it.Expiry.Type != driver.Number {
				return nil // the filter lets no such item through
			}
			ok, err := s.deleteIfExpiry(ctx, it.Key.Text, it.Expiry.Text)
			if ok {
				removed++
			}
			return err
		})
		return removed, err
	})
}

// deleteIfExpiry deletes the item with the given key if its expiry is still
// the number expiry, and reports whether it did.
func (s *Store) deleteIfExpiry(ctx context.Context, key, expiry string) (bool, error) {
	rctx, cancel := s.bound(ctx)
	defer cancel()
	err := s.d.DeleteItem(rctx, driver.DeleteItem{
		Table:   s.cfg.Table,
		KeyName: s.cfg.Token,
		Key:     key,
		Cond: driver.Expr{
			Expression: sessionitem.DeleteExpiredCondition,
			Names:      sessionitem.DeleteConditionNames(s.cfg.Names),
			Values:     map[string]driver.Value{sessionitem.ReadExpiryPlaceholder: {Type: driver.Number, Text: expiry}},
		},
	})
	switch {
	case err == nil:
		return true, nil
	case s.d.ErrorCode(err) == driver.CodeConditionFailed:
		return false, nil // renewed or deleted since the Scan read it
	}
	return false, s.fail(ctx, rctx, "delete an expired session from", err)
}

// scanRequest returns the first page's request of one segment of a Scan
// with the given projection, filter and placeholder names, at now (Unix
// nanoseconds).
func (s *Store) scanRequest(segment int, now, projection, filter string, names map[string]string) *driver.Scan {
	values := map[string]driver.Value{sessionitem.NowPlaceholder: {Type: driver.Number, Text: now}}
	if s.cfg.Prefix != "" {
		values[sessionitem.PrefixPlaceholder] = driver.Value{Type: driver.String, Text: s.cfg.Prefix}
	}
	return &driver.Scan{
		Names:      s.cfg.Names,
		Projection: projection,
		Filter:     driver.Expr{Expression: filter, Names: names, Values: values},
		Segment:    segment,
		Segments:   s.cfg.ScanSegments,
	}
}

// scan reads every page of r, each with one bounded request, and calls each
// for every item, stopping at the first error.
func (s *Store) scan(ctx context.Context, op string, r *driver.Scan, each func(driver.Item) error) error {
	for {
		rctx, cancel := s.bound(ctx)
		page, err := s.d.Scan(rctx, r)
		if err != nil {
			err = s.fail(ctx, rctx, op, err)
		}
		cancel()
		if err != nil {
			return err
		}
		for _, it := range page.Items {
			if err := each(it); err != nil {
				return err
			}
		}
		if page.Next == nil {
			return nil
		}
		r.Start = page.Next
	}
}
