package sessionitem_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scs-stores/dynamostore/internal/core/sessionitem"
)

func TestScanAllMergesEverySegmentScannedInParallel(t *testing.T) {
	const n = 5
	var mu sync.Mutex
	called := map[int]int{}
	var started sync.WaitGroup
	started.Add(n)
	allStarted := make(chan struct{})
	go func() { started.Wait(); close(allStarted) }()

	got, err := sessionitem.ScanAll(context.Background(), n, func(ctx context.Context, seg int) ([]sessionitem.Session, error) {
		mu.Lock()
		called[seg]++
		mu.Unlock()
		started.Done()
		select { // every segment is in flight at once
		case <-allStarted:
		case <-time.After(10 * time.Second):
			return nil, fmt.Errorf("segment %d: the other segments never started", seg)
		}
		var found []sessionitem.Session
		for i := 0; i < seg; i++ { // segment k finds k sessions
			found = append(found, sessionitem.Session{Token: fmt.Sprintf("s%d-%d", seg, i), Data: []byte{byte(seg), byte(i)}})
		}
		return found, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for seg := 0; seg < n; seg++ {
		if called[seg] != 1 {
			t.Errorf("segment %d scanned %d times, want once", seg, called[seg])
		}
	}
	if len(called) != n {
		t.Errorf("segments scanned: %v, want 0 to %d", called, n-1)
	}
	if len(got) != 0+1+2+3+4 {
		t.Errorf("got %d sessions, want 10", len(got))
	}
	for seg := 0; seg < n; seg++ {
		for i := 0; i < seg; i++ {
			tok := fmt.Sprintf("s%d-%d", seg, i)
			if d, ok := got[tok]; !ok || !bytes.Equal(d, []byte{byte(seg), byte(i)}) {
				t.Errorf("session %s = %v, %v", tok, d, ok)
			}
		}
	}
}

func TestScanAllWithNoSessionsReturnsEmptyNonNilMap(t *testing.T) {
	for _, n := range []int{1, 4} {
		got, err := sessionitem.ScanAll(context.Background(), n, func(context.Context, int) ([]sessionitem.Session, error) {
			return nil, nil
		})
		if err != nil || got == nil || len(got) != 0 {
			t.Errorf("%d segments: ScanAll = %#v, %v; want an empty non-nil map", n, got, err)
		}
	}
}

func TestScanAllReturnsTheFirstFailureNotTheCancellationsItCaused(t *testing.T) {
	errBoom := errors.New("boom")
	got, err := sessionitem.ScanAll(context.Background(), 4, func(ctx context.Context, seg int) ([]sessionitem.Session, error) {
		if seg == 2 {
			return nil, errBoom
		}
		select { // the others wait until the failure cancels them
		case <-ctx.Done():
			return nil, fmt.Errorf("segment %d: %w", seg, ctx.Err())
		case <-time.After(10 * time.Second):
			return nil, fmt.Errorf("segment %d was never cancelled", seg)
		}
	})
	if err != errBoom {
		t.Fatalf("ScanAll error = %v, want exactly the failure %v", err, errBoom)
	}
	if got != nil {
		t.Errorf("ScanAll map = %v, want nil on error", got)
	}
}

func TestScanAllFailsWhenOneSegmentFailsAndTheOthersSucceed(t *testing.T) {
	errBoom := errors.New("boom")
	got, err := sessionitem.ScanAll(context.Background(), 3, func(ctx context.Context, seg int) ([]sessionitem.Session, error) {
		if seg == 0 {
			return nil, errBoom
		}
		return []sessionitem.Session{{Token: fmt.Sprint(seg), Data: []byte("x")}}, nil
	})
	if !errors.Is(err, errBoom) || got != nil {
		t.Fatalf("ScanAll = %v, %v; want nil, boom", got, err)
	}
}

func TestScanAllWithCancelledContextReturnsCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got, err := sessionitem.ScanAll(ctx, 3, func(ctx context.Context, seg int) ([]sessionitem.Session, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	if !errors.Is(err, context.Canceled) || got != nil {
		t.Fatalf("ScanAll = %v, %v; want nil, context.Canceled", got, err)
	}
}

func TestScanExpressionsAliasEveryAttributeName(t *testing.T) {
	n := sessionitem.Names{Table: "tbl", Token: "key", Data: "my data", Expiry: "a.b", TTL: "ttl"}
	names := sessionitem.ScanNames(n)
	want := map[string]string{"#t": "key", "#d": "my data", "#e": "a.b"}
	if len(names) != len(want) {
		t.Fatalf("ScanNames = %v, want %v", names, want)
	}
	for k, v := range want {
		if names[k] != v {
			t.Errorf("ScanNames[%s] = %q, want %q", k, names[k], v)
		}
	}
	if sessionitem.ScanProjection != "#t, #d" {
		t.Errorf("ScanProjection = %q, want only the token and data", sessionitem.ScanProjection)
	}
	if got := sessionitem.ScanFilter(""); got != "#e > :now" {
		t.Errorf("ScanFilter(\"\") = %q", got)
	}
	if got := sessionitem.ScanFilter("app:"); got != "#e > :now AND begins_with(#t, :prefix)" {
		t.Errorf("ScanFilter(\"app:\") = %q", got)
	}
}

func TestScanAllReadsAtMostMaxParallelSegmentsAtOnce(t *testing.T) {
	const n = 10 * sessionitem.MaxParallelSegments
	var inFlight, most atomic.Int64
	got, err := sessionitem.ScanAll(context.Background(), n, func(ctx context.Context, seg int) ([]sessionitem.Session, error) {
		now := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := most.Load()
			if now <= m || most.CompareAndSwap(m, now) {
				break
			}
		}
		time.Sleep(time.Millisecond) // let the others pile up, if they could
		return []sessionitem.Session{{Token: fmt.Sprint(seg), Data: []byte{}}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Errorf("got %d sessions, want one from each of %d segments", len(got), n)
	}
	if m := most.Load(); m > sessionitem.MaxParallelSegments || m < 2 {
		t.Errorf("at most %d segments were read at once, want between 2 and %d", m, sessionitem.MaxParallelSegments)
	}
}

func TestScanAllStartsNoSegmentAfterAFailure(t *testing.T) {
	const n = 100 * sessionitem.MaxParallelSegments
	errBoom := errors.New("boom")
	var calls atomic.Int64
	_, err := sessionitem.ScanAll(context.Background(), n, func(ctx context.Context, seg int) ([]sessionitem.Session, error) {
		calls.Add(1)
		return nil, errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("ScanAll error = %v, want %v", err, errBoom)
	}
	if c := calls.Load(); c > sessionitem.MaxParallelSegments {
		t.Errorf("%d segments were scanned after the first failed, want at most %d (one per worker)", c, sessionitem.MaxParallelSegments)
	}
}
