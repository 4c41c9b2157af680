package dynamostore_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
)

// TestSessionManagerOverHTTP runs SCS's LoadAndSave on the store over real
// HTTP, with browsers that keep cookies: put, get, RenewToken, Destroy and
// Iterate.
func TestSessionManagerOverHTTP(t *testing.T) {
	f := newFixture(t)
	sm := scs.New()
	sm.Store = f.store
	sm.Lifetime = time.Hour

	mux := http.NewServeMux()
	mux.HandleFunc("/put", func(w http.ResponseWriter, r *http.Request) {
		sm.Put(r.Context(), "message", r.URL.Query().Get("v"))
	})
	mux.HandleFunc("/get", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, sm.GetString(r.Context(), "message"))
	})
	mux.HandleFunc("/renew", func(w http.ResponseWriter, r *http.Request) {
		if err := sm.RenewToken(r.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	mux.HandleFunc("/destroy", func(w http.ResponseWriter, r *http.Request) {
		if err := sm.Destroy(r.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	mux.HandleFunc("/list", func(w http.ResponseWriter, r *http.Request) {
		var msgs []string
		err := sm.Iterate(r.Context(), func(ctx context.Context) error {
			msgs = append(msgs, sm.GetString(ctx, "message"))
			return nil
		})
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		sort.Strings(msgs)
		io.WriteString(w, strings.Join(msgs, ","))
	})
	srv := httptest.NewServer(sm.LoadAndSave(mux))
	defer srv.Close()
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}

	type browser struct {
		*http.Client
		jar *cookiejar.Jar
	}
	newBrowser := func() browser {
		jar, err := cookiejar.New(nil)
		if err != nil {
			t.Fatal(err)
		}
		return browser{&http.Client{Jar: jar, Timeout: 30 * time.Second}, jar}
	}
	get := func(b browser, path string) string {
		t.Helper()
		resp, err := b.Get(srv.URL + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %d %q, %v", path, resp.StatusCode, body, err)
		}
		return string(body)
	}
	token := func(b browser) string {
		t.Helper()
		for _, c := range b.jar.Cookies(u) {
			if c.Name == sm.Cookie.Name {
				return c.Value
			}
		}
		t.Fatal("no session cookie in the jar")
		return ""
	}

	alice, bob := newBrowser(), newBrowser()
	get(alice, "/put?v=hello")
	first := token(alice)
	if data, found, err := f.store.Find(first); err != nil || !found || len(data) == 0 {
		t.Fatalf("Find(session token) = %d bytes, %v, %v; want the session", len(data), found, err)
	}
	if got := get(alice, "/get"); got != "hello" {
		t.Fatalf("/get = %q, want hello", got)
	}
	get(bob, "/put?v=world")
	if token(bob) == first {
		t.Fatal("two browsers share one session")
	}
	if got := get(alice, "/list"); got != "hello,world" {
		t.Fatalf("/list = %q, want hello,world", got)
	}

	get(alice, "/renew")
	renewed := token(alice)
	if renewed == first {
		t.Fatal("RenewToken kept the token")
	}
	mustNotFind(t, f.store, first)
	if item := f.get(t, "token", first); item != nil {
		t.Errorf("the old session's item is still in the table: %v", item)
	}
	if _, found, err := f.store.Find(renewed); err != nil || !found {
		t.Fatalf("Find(renewed token) = %v, %v; want found", found, err)
	}
	if got := get(alice, "/get"); got != "hello" {
		t.Fatalf("/get after RenewToken = %q, want hello", got)
	}

	get(alice, "/destroy")
	mustNotFind(t, f.store, renewed)
	if item := f.get(t, "token", renewed); item != nil {
		t.Errorf("the destroyed session's item is still in the table: %v", item)
	}
	if got := get(alice, "/get"); got != "" {
		t.Fatalf("/get after Destroy = %q, want nothing", got)
	}
	if got := get(bob, "/list"); got != "world" {
		t.Fatalf("/list after Destroy = %q, want world", got)
	}
	if got := get(bob, "/get"); got != "world" {
		t.Fatalf("bob's /get = %q, want world", got)
	}
}
