package drivertest

import (
	"testing"
	"time"

	"github.com/scs-stores/dynamostore/internal/core"
	"github.com/scs-stores/dynamostore/internal/testsuite/testenv"
)

// The store's own bound on each call (core.WithTimeout), with the SDK's
// retries off and on. The proxy tests (proxy.go) cover the default bound
// and the store's recovery once the server answers again.
func init() {
	add(
		test{"TimeoutBoundsTheWholeCallWithTheSDKsRetriesOffOrOn", testTimeoutBoundsTheWholeCall},
	)
}

// testTimeoutBoundsTheWholeCall sends every call to a server that accepts
// each request and never answers. Whether the SDK retries or not, each call
// ends within the store's bound (not the bound once per attempt), with an
// error matching context.DeadlineExceeded.
func testTimeoutBoundsTheWholeCall(t *testing.T, h *H) {
	t.Parallel()
	const bound = time.Second
	for _, retries := range []struct {
		name string
		n    int
	}{{"retries off", -1}, {"default retries", 0}} {
		t.Run(retries.name, func(t *testing.T) {
			t.Parallel()
			p := newProxy(t, "") // no target: it holds every request
			c := h.NewClient(t, ClientOptions{Endpoint: p.URL(), Retries: retries.n})
			s := h.Store(t, c, core.WithTable(testenv.TableName(t)), core.WithTimeout(bound))
			for _, call := range proxyCalls() {
				token := t.Name() + "-" + call.name + "-SECRET"
				start := time.Now()
				err := call.call(t, s, token)
				proxyCheckStalled(t, h, c, call.name, err, time.Since(start), bound, token)
			}
		})
	}
}
