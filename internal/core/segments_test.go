package core

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestEachSegmentReadsEverySegmentOnceInParallel(t *testing.T) {
	const n = 5
	var mu sync.Mutex
	called := map[int]int{}
	var started sync.WaitGroup
	started.Add(n)
	allStarted := make(chan struct{})
	go func() { started.Wait(); close(allStarted) }()

	got, err := eachSegment(context.Background(), n, func(ctx context.Context, seg int) (int, error) {
		mu.Lock()
		called[seg]++
		mu.Unlock()
		started.Done()
		select { // every segment is in flight at once
		case <-allStarted:
		case <-time.After(10 * time.Second):
			return 0, fmt.Errorf("segment %d: the other segments never started", seg)
		}
		return 10 * seg, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(called) != n {
		t.Errorf("segments read: %v, want 0 to %d", called, n-1)
	}
	for seg := 0; seg < n; seg++ {
		if called[seg] != 1 || got[seg] != 10*seg {
			t.Errorf("segment %d read %d times, result %d; want once, %d", seg, called[seg], got[seg], 10*seg)
		}
	}
}

func TestEachSegmentReturnsTheFirstFailureNotTheCancellationsItCaused(t *testing.T) {
	errBoom := errors.New("boom")
	var others sync.WaitGroup
	others.Add(3)
	got, err := eachSegment(context.Background(), 4, func(ctx context.Context, seg int) (int, error) {
		if seg == 2 {
			others.Wait() // fail once the others are under way
			return 2, errBoom
		}
		others.Done()
		select { // the others wait until the failure cancels them
		case <-ctx.Done():
			return 1, fmt.Errorf("segment %d: %w", seg, ctx.Err())
		case <-time.After(10 * time.Second):
			return 0, fmt.Errorf("segment %d was never cancelled", seg)
		}
	})
	if err != errBoom {
		t.Fatalf("eachSegment error = %v, want exactly the failure %v", err, errBoom)
	}
	if fmt.Sprint(got) != "[1 1 2 1]" {
		t.Errorf("results = %v, want each segment's, the failed one's included", got)
	}
}

// The error of a run whose context ends is the context's, once: not one
// per segment.
func TestEachSegmentWhenTheContextEndsReturnsItsErrorOnce(t *testing.T) {
	for name, want := range map[string]error{"cancelled": context.Canceled, "deadline": context.DeadlineExceeded} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			if want == context.DeadlineExceeded {
				ctx, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond)
			}
			defer cancel()
			var started atomic.Int64
			_, err := eachSegment(ctx, 40, func(ctx context.Context, seg int) (int, error) {
				if started.Add(1) == maxParallelSegments && want == context.Canceled {
					cancel() // once every worker has a segment in flight
				}
				<-ctx.Done()
				return 0, fmt.Errorf("segment %d: %w", seg, ctx.Err())
			})
			if err != want {
				t.Fatalf("eachSegment = %q, want the context's error %q alone, not a segment's", err, want)
			}
			// Cancelled, every worker had a segment in flight; the deadline
			// may pass before a loaded machine has started them all. Either
			// way none starts once the context has ended.
			if n := started.Load(); n > maxParallelSegments || want == context.Canceled && n != maxParallelSegments {
				t.Errorf("%d segments were started, want the %d in flight when the context ended", n, maxParallelSegments)
			}
		})
	}
}

func TestEachSegmentWithAnEndedContextReadsNothing(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var calls atomic.Int64
	_, err := eachSegment(ctx, 3, func(ctx context.Context, seg int) (int, error) {
		calls.Add(1)
		return 0, nil
	})
	if err != context.Canceled || calls.Load() != 0 {
		t.Fatalf("eachSegment = %v after %d reads, want context.Canceled and none", err, calls.Load())
	}
}

func TestEachSegmentReadsAtMostMaxParallelSegmentsAtOnce(t *testing.T) {
	const n = 10 * maxParallelSegments
	var inFlight, most atomic.Int64
	got, err := eachSegment(context.Background(), n, func(ctx context.Context, seg int) (int, error) {
		now := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := most.Load()
			if now <= m || most.CompareAndSwap(m, now) {
				break
			}
		}
		time.Sleep(time.Millisecond) // let the others pile up, if they could
		return 1, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Errorf("got %d results, want one from each of %d segments", len(got), n)
	}
	if m := most.Load(); m > maxParallelSegments || m < 2 {
		t.Errorf("at most %d segments were read at once, want between 2 and %d", m, maxParallelSegments)
	}
}

func TestEachSegmentStartsNoSegmentAfterAFailure(t *testing.T) {
	const n = 100 * maxParallelSegments
	errBoom := errors.New("boom")
	var calls atomic.Int64
	_, err := eachSegment(context.Background(), n, func(ctx context.Context, seg int) (int, error) {
		calls.Add(1)
		return 0, errBoom
	})
	if err != errBoom {
		t.Fatalf("eachSegment error = %v, want %v", err, errBoom)
	}
	if c := calls.Load(); c > maxParallelSegments {
		t.Errorf("%d segments were read after the first failed, want at most %d (one per worker)", c, maxParallelSegments)
	}
}
