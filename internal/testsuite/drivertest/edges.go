package drivertest

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/scs-stores/dynamostore/internal/core"
)

// The sharp edges a user can meet: how a failure of many scan segments
// reads, token prefixes on a shared table, and SCS's HashTokenInStore. (A
// scan cursor that is not the driver's is tested in each package, beside
// its unexported driver.)
func init() {
	add(
		test{"AllAndDeleteExpiredCancelledMidScanFailOnce", testCancelledMidScanFailsOnce},
		test{"TokenPrefixThatStartsAnotherSeesAndDestroysItsSessions", testPrefixThatStartsAnother},
		test{"HashTokenInStoreOverHTTP", testHashTokenInStore},
	)
}

// blockingScans holds every Scan until its context ends, and cancels once
// inFlight Scans wait at once; it passes any other request on.
type blockingScans struct {
	inFlight int64
	cancel   context.CancelFunc
	waiting  *atomic.Int64
}

func (b blockingScans) RoundTrip(r *http.Request) (*http.Response, error) {
	if !strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".Scan") {
		return http.DefaultTransport.RoundTrip(r)
	}
	if b.waiting.Add(1) == b.inFlight {
		b.cancel()
	}
	<-r.Context().Done()
	return nil, r.Context().Err()
}

// testCancelledMidScanFailsOnce cancels All and DeleteExpired of 40
// segments while 16 of their Scans wait for an answer: the error is one
// line, says "dynamostore:" once, names the operation and the table once,
// and matches context.Canceled.
func testCancelledMidScanFailsOnce(t *testing.T, h *H) {
	t.Parallel()
	table := h.SharedTable(t)
	const segments, parallel = 40, 16 // the store reads 16 segments at a time
	calls := []struct {
		name, op string
		call     func(ctx context.Context, s Store) error
	}{
		{"AllCtx", "scan", func(ctx context.Context, s Store) error { _, err := s.AllCtx(ctx); return err }},
		{"DeleteExpired", "scan for expired sessions in", func(ctx context.Context, s Store) error {
			_, err := s.DeleteExpired(ctx)
			return err
		}},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var waiting atomic.Int64
			cl := h.NewClient(t, ClientOptions{Transport: blockingScans{parallel, cancel, &waiting}, Retries: -1})
			s := h.Store(t, cl, core.WithTable(table), core.WithScanSegments(segments))
			err := c.call(ctx, s)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("%s = %v, want context.Canceled", c.name, err)
			}
			msg := err.Error()
			opTable := c.op + " table " + strconv.Quote(table)
			if strings.ContainsAny(msg, "\r\n") || strings.Count(msg, "dynamostore:") != 1 || strings.Count(msg, opTable) != 1 {
				t.Errorf("%s error is not one line saying \"dynamostore:\" and %s once: %q", c.name, opTable, msg)
			}
			if n := waiting.Load(); n != parallel {
				t.Errorf("%d Scans were sent, want the %d in flight when the context ended", n, parallel)
			}
		})
	}
}

// testPrefixThatStartsAnother shows why, on a shared table, every app needs
// a token prefix and no prefix may start another: a store without a prefix,
// or with "shop:" beside "shop:admin:", lists the other app's sessions in
// All, and SCS's Iterate with Destroy then deletes them.
func testPrefixThatStartsAnother(t *testing.T, h *H) {
	t.Parallel()
	c := h.Client(t)
	table := h.NewTable(t)
	none := h.Store(t, c, core.WithTable(table))
	shop := h.Store(t, c, core.WithTable(table), core.WithTokenPrefix("shop:"))
	admin := h.Store(t, c, core.WithTable(table), core.WithTokenPrefix("shop:admin:"))

	// An admin signs in, through SCS on the admin's store.
	adminSM := scs.New()
	adminSM.Store = admin
	adminSrv, adminBase := sessionServer(t, adminSM)
	defer adminSrv.Close()
	b := newBrowser(t, adminBase, nil)
	if _, err := b.get("/put?v=admin"); err != nil {
		t.Fatal(err)
	}
	tok := b.token(adminSM.Cookie.Name)
	// A customer shops, through SCS on the shop's store.
	shopSM := scs.New()
	shopSM.Store = shop
	shopSrv, shopBase := sessionServer(t, shopSM)
	defer shopSrv.Close()
	customer := newBrowser(t, shopBase, nil)
	if _, err := customer.get("/put?v=cart"); err != nil {
		t.Fatal(err)
	}

	all, err := shop.All()
	if _, leaked := all["admin:"+tok]; err != nil || !leaked || len(all) != 2 {
		t.Fatalf(`"shop:" store: All = %d sessions (%v), %v; want its own and the "shop:admin:" one`, len(all), keys(all), err)
	}
	all, err = none.All()
	if _, leaked := all["shop:admin:"+tok]; err != nil || !leaked || len(all) != 2 {
		t.Fatalf("store without a prefix: All = %d sessions (%v), %v; want both apps' sessions", len(all), keys(all), err)
	}

	// The shop destroys every one of its sessions, as SCS lets it.
	if _, err := customer.get("/destroy-all"); err != nil {
		t.Fatal(err)
	}
	MustNotFind(t, shop, customer.token(shopSM.Cookie.Name))
	MustNotFind(t, admin, tok) // the admin's session went with the shop's
	if got, err := b.get("/get"); err != nil || got != "" {
		t.Errorf("the admin's /get after the shop destroyed its sessions = %q, %v; want nothing", got, err)
	}
}

// keys returns the keys of m, for messages.
func keys(m map[string][]byte) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

// scsHash is the key under which SCS v2.9.0, with HashTokenInStore, stores
// the session of token: the SHA-256 of the token, base64url without padding.
func scsHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// testHashTokenInStore runs SCS with HashTokenInStore over HTTP: the table
// holds the hash of the cookie's token, never the token, and Find, Commit,
// Delete and All all work. It also pins SCS v2.9.0's Iterate with it on:
// Iterate hands over the stored (hashed) tokens, which Commit and Destroy
// hash again, so neither changes nor destroys the session.
func testHashTokenInStore(t *testing.T, h *H) {
	t.Parallel()
	c := h.Client(t)
	table := h.NewTable(t)
	store := h.Store(t, c, core.WithTable(table))
	sm := scs.New()
	sm.Store = store
	sm.HashTokenInStore = true
	sm.Lifetime = time.Hour
	srv, base := sessionServer(t, sm)
	defer srv.Close()
	get := func(b *browser, path, want string) {
		t.Helper()
		if got, err := b.get(path); err != nil || got != want {
			t.Fatalf("%s = %q, %v; want %q", path, got, err, want)
		}
	}

	b := newBrowser(t, base, nil)
	get(b, "/put?v=hello", "ok") // Commit
	tok := b.token(sm.Cookie.Name)
	hashed := scsHash(tok)
	if ks := h.TableKeys(t, c, table, "token"); len(ks) != 1 || ks[0] != hashed {
		t.Fatalf("table keys = %v, want the token's SHA-256 alone", ks)
	}
	get(b, "/get", "hello")                                                         // Find
	get(b, "/put?v=again", "ok")                                                    // Commit over it
	get(b, "/get", "again")                                                         // Find
	if all, err := store.All(); err != nil || len(all) != 1 || all[hashed] == nil { // All
		t.Fatalf("All = %v, %v; want the hashed token's session alone", keys(all), err)
	}

	// Iterate's Commit and Destroy miss the session: SCS hashes the hash.
	get(b, "/change-all?v=changed", "ok")
	get(b, "/get", "again")
	if ks := h.TableKeys(t, c, table, "token"); len(ks) != 2 || (ks[0] != hashed && ks[1] != hashed) ||
		(ks[0] != scsHash(hashed) && ks[1] != scsHash(hashed)) {
		t.Fatalf("table keys after Iterate's Commit = %v, want the session and a new one under the hash of its hash", ks)
	}
	if err := store.Delete(scsHash(hashed)); err != nil {
		t.Fatal(err)
	}
	get(b, "/destroy-all", "ok")
	get(b, "/get", "again")

	get(b, "/destroy", "ok") // Delete
	if ks := h.TableKeys(t, c, table, "token"); len(ks) != 0 {
		t.Fatalf("table keys after Destroy = %v, want none", ks)
	}
	get(b, "/get", "")
}
