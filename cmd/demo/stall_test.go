package main

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scs-stores/dynamostore/internal/testsuite/testenv"
)

// stallProxy is a TCP proxy on loopback in front of DynamoDB Local. While it
// holds, it answers nothing: new connections are accepted and read but never
// forwarded, and answers on connections already open are dropped, as with an
// unreachable region or a half-open connection.
//
// It also counts the connections it accepts.
type stallProxy struct {
	ln       net.Listener
	target   string
	hold     atomic.Bool
	accepted atomic.Int64
	mu       sync.Mutex
	conns    map[net.Conn]struct{}
	wg       sync.WaitGroup
}

// newStallProxy starts a proxy to target (host:port) and stops it, closing
// every connection, when the test ends.
func newStallProxy(t *testing.T, target string) *stallProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &stallProxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		for c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

// track records c, to be closed when the test ends.
func (p *stallProxy) track(c net.Conn) {
	p.mu.Lock()
	p.conns[c] = struct{}{}
	p.mu.Unlock()
}

func (p *stallProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // closed at the end of the test
		}
		p.accepted.Add(1)
		p.track(c)
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			defer c.Close()
			if p.hold.Load() {
				_, _ = io.Copy(io.Discard, c) // accept and never answer
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				return
			}
			p.track(up)
			defer up.Close()
			go func() {
				_, _ = io.Copy(up, c) // requests always go through
				up.Close()
			}()
			buf := make([]byte, 32<<10)
			for {
				n, err := up.Read(buf)
				if n > 0 && !p.hold.Load() {
					if _, werr := c.Write(buf[:n]); werr != nil {
						return
					}
				}
				if err != nil {
					return
				}
			}
		}()
	}
}

// timedGet fetches path and returns its status and how long it took, or
// the error.
func (b *client) timedGet(path string) (int, time.Duration, error) {
	start := time.Now()
	status, _, err := b.try(http.MethodGet, path, nil)
	return status, time.Since(start), err
}

func TestPagesFailWithin15SecondsWhileDynamoDBHoldsItsAnswersAndRecoverAfter(t *testing.T) {
	u, err := url.Parse(testenv.Endpoint(t))
	if err != nil {
		t.Fatal(err)
	}
	forEachSDK(t, func(t *testing.T, sdk string) {
		t.Parallel() // each SDK waits out the stall: side by side, not one after the other
		p := newStallProxy(t, u.Host)
		_, base := startDemoAt(t, "http://"+p.ln.Addr().String(), sdk, testenv.TableName(t))
		b := newClient(t, base)
		b.home()
		b.home() // a stored session: the next page reads it, then saves it

		p.hold.Store(true)
		status, took, err := b.timedGet("/")
		t.Logf("GET / while held: %d after %v", status, took.Round(time.Millisecond))
		if err != nil || status != http.StatusInternalServerError || took > 15*time.Second {
			t.Errorf("GET / while DynamoDB holds its answers = %d after %v (%v), want 500 within 15 s", status, took.Round(time.Millisecond), err)
		}
		status, took, err = newClient(t, base).timedGet("/sessions")
		t.Logf("GET /sessions while held: %d after %v", status, took.Round(time.Millisecond))
		if err != nil || status != http.StatusInternalServerError || took > 15*time.Second {
			t.Errorf("GET /sessions while DynamoDB holds its answers = %d after %v (%v), want 500 within 15 s", status, took.Round(time.Millisecond), err)
		}

		p.hold.Store(false)
		visits, _ := b.home() // fails the test unless 200 with a count
		if visits != 3 {
			t.Errorf("first page after DynamoDB answers again shows %d visits, want 3 (the failed page saved nothing)", visits)
		}
		if status, _ := newClient(t, base).do(http.MethodGet, "/sessions", nil); status != http.StatusOK {
			t.Errorf("GET /sessions after DynamoDB answers again = %d, want 200", status)
		}
	})
}
