package drivertest

import (
	"context"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/scs-stores/dynamostore/internal/core"
	"github.com/scs-stores/dynamostore/storetest"
)

func init() {
	add(test{"Conformance", testConformance})
}

// testConformance runs the storetest suite, SCS's store contract, on the
// store: with the defaults, with a token prefix, with one-segment scans and
// with touch skipping, in parallel, each on a table of its own that is
// emptied before each of storetest's (sequential) tests.
func testConformance(t *testing.T, h *H) {
	t.Parallel()
	for _, v := range []struct {
		name string
		opts []core.Option
	}{
		{"defaults", nil},
		{"prefix", []core.Option{core.WithTokenPrefix("app1:")}},
		{"one segment", []core.Option{core.WithScanSegments(1)}},
		// Touch skipping keeps SCS's contract; delete-wins changes it on
		// purpose (a Commit after a Delete of a session found is refused).
		{"touch interval", []core.Option{core.WithTouchInterval(time.Minute)}},
	} {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			c := h.Client(t)
			table := h.NewTable(t)
			storetest.Run(t, func(t *testing.T) scs.Store {
				h.emptyTable(t, c, table)
				return h.Store(t, c, append([]core.Option{core.WithTable(table)}, v.opts...)...)
			})
		})
	}
}

// emptyTable deletes every item of a session table keyed by "token", and
// fails t on an error.
func (h *H) emptyTable(t testing.TB, c Client, table string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, key := range h.TableKeys(t, c, table, "token") {
		if err := h.DeleteRaw(ctx, c, table, "token", key); err != nil {
			t.Fatalf("empty %s: %v", table, err)
		}
	}
}
