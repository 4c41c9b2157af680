package sessionitem

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// Placeholders and expressions of the Scan that lists live sessions. Every
// attribute name goes through a placeholder: "token", "data" and "ttl" are
// DynamoDB reserved words, and users may choose names with dots or spaces.
const (
	TokenPlaceholder  = "#t"
	DataPlaceholder   = "#d"
	ExpiryPlaceholder = "#e"
	NowPlaceholder    = ":now"
	PrefixPlaceholder = ":prefix"

	// ScanProjection reads back only what All returns.
	ScanProjection = "#t, #d"
)

// ScanFilter returns the filter expression that keeps the items that have
// not expired at :now and, with a prefix, whose token begins with :prefix.
func ScanFilter(prefix string) string {
	if prefix == "" {
		return "#e > :now"
	}
	return "#e > :now AND begins_with(#t, :prefix)"
}

// ScanNames maps the placeholders of ScanProjection and ScanFilter to n's
// attribute names.
func ScanNames(n Names) map[string]string {
	return map[string]string{
		TokenPlaceholder:  n.Token,
		DataPlaceholder:   n.Data,
		ExpiryPlaceholder: n.Expiry,
	}
}

// Session is one live session found by a scan.
type Session struct {
	Token string
	Data  []byte
}

// ScanAll calls scan for each of the segments 0 to n-1 in its own goroutine
// and merges what they found into one map, sized up front. When a scan
// fails, the others' context is cancelled and that first failure is
// returned, not the cancellations it caused. With no sessions the map is
// empty, not nil.
func ScanAll(ctx context.Context, n int, scan func(ctx context.Context, segment int) ([]Session, error)) (map[string][]byte, error) {
	parts, err := eachSegment(ctx, n, scan)
	if err != nil {
		return nil, err
	}
	total := 0
	for _, p := range parts {
		total += len(p)
	}
	all := make(map[string][]byte, total)
	for _, p := range parts {
		for _, s := range p {
			all[s.Token] = s.Data
		}
	}
	return all, nil
}

// MaxParallelSegments is the most scan segments read at a time, whatever
// the number of segments: more would add goroutines and connections without
// making a table scan much faster.
const MaxParallelSegments = 16

// eachSegment calls work for each of the segments 0 to n-1, from at most
// MaxParallelSegments goroutines at a time, and returns their results,
// indexed by segment, whether or not one failed. When one fails, the
// others' context is cancelled, no further segment is started, and the
// error returned is the first failure that is not such a cancellation.
func eachSegment[T any](ctx context.Context, n int, work func(ctx context.Context, segment int) (T, error)) ([]T, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([]T, n)
	errs := make([]error, n)
	var next atomic.Int64 // the next segment to start
	var wg sync.WaitGroup
	for range min(n, MaxParallelSegments) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				seg := int(next.Add(1) - 1)
				if seg >= n {
					return
				}
				if err := ctx.Err(); err != nil {
					errs[seg] = err
					continue
				}
				results[seg], errs[seg] = work(ctx, seg)
				if errs[seg] != nil {
					cancel()
				}
			}
		}()
	}
	wg.Wait()
	err := errors.Join(errs...)
	if err == nil {
		return results, nil
	}
	for _, e := range errs {
		if e != nil && !errors.Is(e, context.Canceled) {
			return results, e
		}
	}
	return results, err
}

// Table is what a store needs to know of a table's description.
type Table struct {
	Status string
	// Keys lists the key schema: attribute name and key type (HASH, RANGE).
	Keys []KeyElement
	// Types maps the defined attributes to their types (S, N, B).
	Types map[string]string
}

// KeyElement is one element of a table's key schema.
type KeyElement struct{ Name, Type string }

// CheckTable returns an error wrapping ErrTableNotReady unless t is ACTIVE
// or UPDATING (it serves requests in both) and is keyed by n's token
// attribute alone, of type S. A description without a status is one
// DynamoDB did not give.
func CheckTable(n Names, t Table) error {
	if t.Status == "" {
		return errNoTable(n.Table)
	}
	if t.Status != "ACTIVE" && t.Status != "UPDATING" {
		return fmt.Errorf("%w: table %q is %s, not ACTIVE", ErrTableNotReady, n.Table, t.Status)
	}
	return CheckKeySchema(n, t)
}

// CheckKeySchema returns an error wrapping ErrTableNotReady unless t is
// keyed by n's token attribute alone, of type S.
func CheckKeySchema(n Names, t Table) error {
	if len(t.Keys) != 1 || t.Keys[0].Name != n.Token || t.Keys[0].Type != "HASH" || t.Types[n.Token] != "S" {
		return fmt.Errorf("%w: table %q must have the hash key %q of type S and no sort key", ErrTableNotReady, n.Table, n.Token)
	}
	return nil
}
