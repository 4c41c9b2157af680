package core

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/scs-stores/dynamostore/internal/core/driver"
)

// The Scans of All and DeleteExpired, and DeleteExpired's conditional
// delete, name every attribute through a placeholder, since "token", "data"
// and "ttl" are DynamoDB reserved words and users may choose names with dots
// or spaces: #t is the token attribute, #d the data, #e the expiry; :now is
// the instant of the scan, :prefix the token prefix, and :expiry the expiry
// the Scan read. DynamoDB refuses a placeholder that a request defines but
// does not use, so each request defines only its own.

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
	type session struct {
		token string
		data  []byte
	}
	now := strconv.FormatInt(time.Now().UnixNano(), 10)
	parts, err := eachSegment(ctx, s.cfg.ScanSegments, func(ctx context.Context, segment int) ([]session, error) {
		// The items that have not expired, reading back what All returns.
		r := s.scanRequest(segment, now, "#t, #d", "#e > :now", map[string]string{"#t": s.cfg.Token, "#d": s.cfg.Data, "#e": s.cfg.Expiry})
		r.Consistent = s.cfg.ConsistentRead
		var found []session
		err := s.scan(ctx, op, r, func(it driver.Item) error {
			if it.Key.Type != driver.String {
				return s.errorf(op, malformedError(s.cfg.Token, "is missing or not a string"))
			}
			data, err := s.data(op, it.Data)
			if err != nil {
				return err
			}
			if token, ok := tokenFromKey(s.cfg.Prefix, it.Key.Text); ok {
				found = append(found, session{token, data})
			}
			return nil
		})
		return found, err
	})
	if err != nil {
		return nil, s.scanFailed(op, err)
	}
	total := 0
	for _, p := range parts {
		total += len(p)
	}
	all := make(map[string][]byte, total)
	for _, p := range parts {
		for _, f := range p {
			all[f.token] = f.data
		}
	}
	return all, nil
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
	counts, err := eachSegment(ctx, s.cfg.ScanSegments, func(ctx context.Context, segment int) (int, error) {
		// The items that had expired, reading back the key and the expiry
		// as they are, so that the delete can check that the expiry has not
		// changed since. An item whose expiry is missing or not a number
		// never matches. Eventually consistent: an item a stale read misses
		// is removed by the next run, and one it sees stale fails the
		// delete's condition.
		r := s.scanRequest(segment, now, "#t, #e", "#e <= :now", map[string]string{"#t": s.cfg.Token, "#e": s.cfg.Expiry})
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
	total := 0
	for _, c := range counts {
		total += c
	}
	if err != nil {
		return total, s.scanFailed(op, err)
	}
	return total, nil
}

// scanFailed returns the error of eachSegment, naming the operation and the
// table when it is the context's own.
func (s *Store) scanFailed(op string, err error) error {
	var e *opError
	if errors.As(err, &e) {
		return err
	}
	return s.errorf(op, err)
}

// deleteIfExpiry deletes the item with the given key if its expiry is still
// the number expiry, and reports whether it did. An item committed
// (renewed) since the Scan read it, or already deleted, fails the condition
// and is left alone.
func (s *Store) deleteIfExpiry(ctx context.Context, key, expiry string) (bool, error) {
	rctx, cancel := s.bound(ctx)
	defer cancel()
	err := s.d.DeleteItem(rctx, driver.DeleteItem{
		Names: s.cfg.Names,
		Key:   key,
		Cond: driver.Expr{
			Expression: "#e = :expiry",
			Names:      map[string]string{"#e": s.cfg.Expiry},
			Values:     map[string]driver.Value{":expiry": {Type: driver.Number, Text: expiry}},
		},
	})
	switch {
	case err == nil:
		return true, nil
	case s.d.ErrorCode(err) == codeConditionFailed:
		return false, nil // renewed or deleted since the Scan read it
	}
	return false, s.fail(ctx, rctx, "delete an expired session from", err)
}

// scanRequest returns the first page's request of one segment of a Scan
// with the given projection, filter on the expiry and placeholder names, at
// now (Unix nanoseconds). With a token prefix, the filter also keeps only
// the tokens that begin with it.
func (s *Store) scanRequest(segment int, now, projection, filter string, names map[string]string) *driver.Scan {
	values := map[string]driver.Value{":now": {Type: driver.Number, Text: now}}
	if s.cfg.Prefix != "" {
		filter += " AND begins_with(#t, :prefix)"
		values[":prefix"] = driver.Value{Type: driver.String, Text: s.cfg.Prefix}
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
