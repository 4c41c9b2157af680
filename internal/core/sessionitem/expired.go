package sessionitem

import (
	"context"
	"fmt"
	"time"
)

// Expressions of DeleteExpired: a Scan that finds the expired items, and a
// conditional DeleteItem for each. They use the placeholders of the Scan of
// All (TokenPlaceholder, ExpiryPlaceholder, NowPlaceholder and
// PrefixPlaceholder) with ExpiredNames.
const (
	// ExpiredProjection reads back the key and the expiry as they are, so
	// that the delete can check that the expiry has not changed since.
	ExpiredProjection = "#t, #e"

	// ReadExpiryPlaceholder stands for the expiry number read by the Scan,
	// exactly as DynamoDB returned it.
	ReadExpiryPlaceholder = ":expiry"

	// DeleteExpiredCondition holds when the item still has the expiry the
	// Scan read: an item committed (renewed) since, or already deleted,
	// fails it and is left alone.
	DeleteExpiredCondition = "#e = :expiry"
)

// ExpiredFilter returns the filter expression that keeps the items that had
// expired at :now and, with a prefix, whose token begins with :prefix. An
// item whose expiry is missing or not a number never matches.
func ExpiredFilter(prefix string) string {
	if prefix == "" {
		return "#e <= :now"
	}
	return "#e <= :now AND begins_with(#t, :prefix)"
}

// ExpiredNames maps the placeholders of ExpiredProjection, ExpiredFilter and
// DeleteExpiredCondition to n's attribute names.
func ExpiredNames(n Names) map[string]string {
	return map[string]string{
		TokenPlaceholder:  n.Token,
		ExpiryPlaceholder: n.Expiry,
	}
}

// DeleteConditionNames maps the placeholder of DeleteExpiredCondition to
// n's expiry attribute name.
func DeleteConditionNames(n Names) map[string]string {
	return map[string]string{ExpiryPlaceholder: n.Expiry}
}

// ForSegments calls work for each of the segments 0 to n-1 in its own
// goroutine and returns the sum of the counts they return. When one fails,
// the others' context is cancelled and the first failure that is not such a
// cancellation is returned, with the count that all of them reached, so that
// a caller can report work already done.
func ForSegments(ctx context.Context, n int, work func(ctx context.Context, segment int) (int, error)) (int, error) {
	counts, err := eachSegment(ctx, n, work)
	total := 0
	for _, c := range counts {
		total += c
	}
	return total, err
}

// Table statuses, as DynamoDB names them.
const (
	StatusCreating = "CREATING"
	StatusActive   = "ACTIVE"
	StatusUpdating = "UPDATING"
)

// TableUsable reports whether a table in the given status serves requests
// (ACTIVE or UPDATING), and returns an error wrapping ErrTableNotReady for a
// status it will not leave by waiting (DELETING, ARCHIVED, ...). A table
// that is CREATING is neither: wait and describe it again.
func TableUsable(table, status string) (bool, error) {
	switch status {
	case StatusActive, StatusUpdating:
		return true, nil
	case StatusCreating:
		return false, nil
	case "":
		return false, errNoTable(table)
	}
	return false, fmt.Errorf("%w: table %q is %s", ErrTableNotReady, table, status)
}

// errNoTable is the error for a description without a table, which has no
// status.
func errNoTable(table string) error {
	return fmt.Errorf("%w: table %q: DynamoDB described no table", ErrTableNotReady, table)
}

// Poll intervals of WaitUsable: the first wait, and the longest.
const (
	FirstPollInterval = 100 * time.Millisecond
	MaxPollInterval   = 2 * time.Second
)

// Sleep waits d and returns nil, or returns ctx's error as soon as ctx ends,
// at once when it has ended already. It is how WaitUsable waits unless
// given another sleep.
func Sleep(ctx context.Context, d time.Duration) error {
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

// WaitUsable calls describe until the table it describes is usable (see
// TableUsable) and returns that description. Between calls it waits with
// sleep (Sleep when nil): FirstPollInterval after the first call and twice
// as long after each further one, up to MaxPollInterval. It returns
// describe's error as it is, TableUsable's error, or, when sleep fails (ctx
// ended), an error wrapping sleep's.
func WaitUsable(ctx context.Context, table string, describe func(context.Context) (Table, error), sleep func(context.Context, time.Duration) error) (Table, error) {
	if sleep == nil {
		sleep = Sleep
	}
	wait := FirstPollInterval
	for {
		t, err := describe(ctx)
		if err != nil {
			return Table{}, err
		}
		ok, err := TableUsable(table, t.Status)
		if err != nil || ok {
			return t, err
		}
		if err := sleep(ctx, wait); err != nil {
			return Table{}, fmt.Errorf("dynamostore: waiting for table %q to become ACTIVE: %w", table, err)
		}
		wait = min(2*wait, MaxPollInterval)
	}
}

// Time To Live statuses, as DynamoDB names them.
const (
	TTLEnabled   = "ENABLED"
	TTLEnabling  = "ENABLING"
	TTLDisabled  = "DISABLED"
	TTLDisabling = "DISABLING"
)

// TTLNeedsEnabling reports, from a table's Time To Live status and the
// attribute it is on, whether Time To Live must be enabled on n's ttl
// attribute. An empty status counts as DISABLED. It is false, with no error,
// when Time To Live is ENABLED or ENABLING on the ttl attribute. It returns an
// error wrapping ErrTableNotReady when Time To Live is on (or being turned
// on) for another attribute, since a table has only one, or is being
// disabled, which DynamoDB must finish before it can be enabled again.
func TTLNeedsEnabling(n Names, status, attribute string) (bool, error) {
	switch status {
	case "", TTLDisabled:
		return true, nil
	case TTLEnabled, TTLEnabling:
		if attribute != n.TTL {
			return false, fmt.Errorf("%w: table %q has Time To Live on attribute %q, not on the store's ttl attribute %q: disable it, or name that attribute as the ttl attribute",
				ErrTableNotReady, n.Table, attribute, n.TTL)
		}
		return false, nil
	case TTLDisabling:
		return false, fmt.Errorf("%w: Time To Live of table %q is being disabled; try again once it is DISABLED", ErrTableNotReady, n.Table)
	}
	return false, fmt.Errorf("%w: table %q has the unknown Time To Live status %q", ErrTableNotReady, n.Table, status)
}

// TableCalls are the DynamoDB calls that PrepareTable makes, given by a
// store package in terms free of its SDK.
type TableCalls struct {
	// Describe describes the table.
	Describe func(context.Context) (Table, error)
	// Missing reports whether an error of Describe says the table does not
	// exist.
	Missing func(error) bool
	// Create creates the table; a table created meanwhile by someone else is
	// not an error.
	Create func(context.Context) error
	// DescribeTTL returns the table's Time To Live status and attribute.
	DescribeTTL func(context.Context) (status, attribute string, err error)
	// EnableTTL enables Time To Live on the ttl attribute.
	EnableTTL func(context.Context) error
	// Sleep waits between the describes of a table that is not usable yet
	// (see WaitUsable); nil means the package's Sleep.
	Sleep func(context.Context, time.Duration) error
}

// PrepareTable makes the table ready for sessions with calls: it creates the
// table when it is missing, waits until it is usable (see WaitUsable) unless
// the first description already shows it usable,
// checks its key schema (see CheckKeySchema) and enables Time To Live on the
// ttl attribute when it is not on already (see TTLNeedsEnabling). When
// enabling fails, the status is read again, since another instance may have
// enabled it meanwhile, which is fine. It returns the calls' errors as they
// are.
func PrepareTable(ctx context.Context, n Names, calls TableCalls) error {
	t, err := calls.Describe(ctx)
	switch {
	case err == nil:
	case calls.Missing(err):
		if err := calls.Create(ctx); err != nil {
			return err
		}
		t.Status = StatusCreating
	default:
		return err
	}
	// An existing usable table needs no second description.
	usable, err := TableUsable(n.Table, t.Status)
	if err != nil {
		return err
	}
	if !usable {
		if t, err = WaitUsable(ctx, n.Table, calls.Describe, calls.Sleep); err != nil {
			return err
		}
	}
	if err := CheckKeySchema(n, t); err != nil {
		return err
	}
	ttlNeeded := func() (bool, error) {
		status, attr, err := calls.DescribeTTL(ctx)
		if err != nil {
			return false, err
		}
		return TTLNeedsEnabling(n, status, attr)
	}
	if need, err := ttlNeeded(); err != nil || !need {
		return err
	}
	err = calls.EnableTTL(ctx)
	if err == nil {
		return nil
	}
	if need, rerr := ttlNeeded(); rerr == nil && !need {
		return nil
	}
	return err
}
