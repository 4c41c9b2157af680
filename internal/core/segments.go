package core

import (
	"context"
	"sync"
	"sync/atomic"
)

// maxParallelSegments is the most scan segments read at a time, whatever
// the number of segments: more would add goroutines and connections without
// making a table scan much faster.
const maxParallelSegments = 16

// eachSegment calls work for each of the segments 0 to n-1, from at most
// maxParallelSegments goroutines at a time, and returns their results,
// indexed by segment, whether or not one failed. When one fails, the
// others' context is cancelled and no further segment is started. It
// returns one error, not one for each segment: the first failure that came
// before any cancellation, as work returned it; otherwise, when ctx ended
// before every segment was read, ctx's error as it is.
func eachSegment[T any](ctx context.Context, n int, work func(ctx context.Context, segment int) (T, error)) ([]T, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([]T, n)
	var (
		mu     sync.Mutex
		first  error // the first failure that was not a cancellation
		failed bool
	)
	var next, read atomic.Int64 // the next segment to start; segments read
	var wg sync.WaitGroup
	for range min(n, maxParallelSegments) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				seg := int(next.Add(1) - 1)
				if seg >= n || ctx.Err() != nil {
					return
				}
				r, err := work(ctx, seg)
				results[seg] = r
				if err == nil {
					read.Add(1)
				} else {
					mu.Lock()
					if !failed && ctx.Err() == nil {
						first = err
					}
					failed = true
					mu.Unlock()
					cancel()
				}
			}
		}()
	}
	wg.Wait()
	switch {
	case first != nil:
		return results, first
	case read.Load() < int64(n):
		return results, ctx.Err() // ctx, or the one it derives from, ended
	}
	return results, nil
}
