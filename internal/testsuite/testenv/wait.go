package testenv

import (
	"context"
	"fmt"
	"time"
)

// The polling intervals of WaitFor: the first poll waits FirstPoll, and each
// following one twice the one before, up to MaxPoll.
const (
	FirstPoll = 100 * time.Millisecond
	MaxPoll   = 2 * time.Second
)

// TableWait bounds how long a harness waits for one table to become ACTIVE
// or to be gone. AWS takes seconds and, rarely, minutes; local engines
// take what they were started with (dynalite: a second).
const TableWait = 5 * time.Minute

// WaitFor calls check until it reports done, waiting FirstPoll after the
// first call, then twice as long each time up to MaxPoll. It returns nil once
// check reports done; check's first error, wrapped with what is awaited; or,
// when ctx ends first, ctx's error wrapped with what is awaited and how long
// it was awaited. what names the state awaited, as in
// `table "t" to be ACTIVE`. A check that sees a passing state (a table
// still CREATING, a throttled request) returns false and a nil error.
func WaitFor(ctx context.Context, what string, check func(ctx context.Context) (done bool, err error)) error {
	return waitFor(ctx, what, check, sleep)
}

// waitFor is WaitFor, waiting between checks with sleep, which returns ctx's
// error once ctx has ended: tests give one that takes no real time.
func waitFor(ctx context.Context, what string, check func(ctx context.Context) (bool, error), sleep func(context.Context, time.Duration) error) error {
	start := time.Now()
	delay := FirstPoll
	for polls := 1; ; polls++ {
		done, err := check(ctx)
		if err != nil {
			return fmt.Errorf("waiting for %s: %w", what, err)
		}
		if done {
			return nil
		}
		if err := sleep(ctx, delay); err != nil {
			return fmt.Errorf("waiting for %s: gave up after %d checks in %v: %w",
				what, polls, time.Since(start).Round(time.Millisecond), err)
		}
		delay = min(2*delay, MaxPoll)
	}
}

// sleep waits d and returns nil, or returns ctx's error as soon as ctx ends,
// at once when it has ended already.
func sleep(ctx context.Context, d time.Duration) error {
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
