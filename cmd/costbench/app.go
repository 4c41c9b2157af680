package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"

	"github.com/alexedwards/scs/v2"
)

// app is one app server of the modelled shop: an SCS session manager on a
// store of its own, behind a loopback httptest server. Its pages are
//
//	GET  /page    a page view that reads the session
//	POST /cart    a page view that changes it (adds to the cart)
//	POST /login   RenewToken, then the user's name into the session
//	POST /logout  Destroy
//	GET  /slow    a read-only page that waits, once the session is loaded,
//	              until the bench releases it (?gate=name)
//	POST /slow    the same for a page that changes the session
//
// Every page first gives a session without values its five: the user (""
// until login), a CSRF token, the locale, the cart and the landing page.
type app struct {
	sm    *scs.SessionManager
	srv   *httptest.Server
	gates *gates

	// What the ErrorFunc answered.
	reloads   atomic.Int64 // ErrSessionDeleted on a GET: 303 to the same page
	conflicts atomic.Int64 // ErrSessionDeleted on another method: 409
	failures  atomic.Int64 // any other error: 500

	changing atomic.Int64 // requests that changed their session: what must be written
}

// newApp starts an app server on store, with the idle timeout and lifetime
// given (in real time) and the ErrorFunc the README recommends.
func newApp(store scs.Store, m model, g *gates) *app {
	a := &app{gates: g}
	sm := scs.New()
	sm.Store = store
	sm.IdleTimeout = m.real(m.idle)
	sm.Lifetime = m.real(m.lifetime)
	sm.Cookie.Name = "shop_session"
	sm.ErrorFunc = a.errorFunc
	a.sm = sm
	mux := http.NewServeMux()
	mux.HandleFunc("GET /page", a.page)
	mux.HandleFunc("POST /cart", a.cart)
	mux.HandleFunc("POST /login", a.login)
	mux.HandleFunc("POST /logout", a.logout)
	mux.HandleFunc("/slow", a.slow)
	a.srv = httptest.NewServer(sm.LoadAndSave(mux))
	return a
}

// errorFunc is the README's ErrorFunc. A commit refused because the session
// was deleted while the request was in flight (a logout or a login in
// another request) sends a GET back to itself with 303, so that the browser
// loads the page again as the session now is; any other method gets 409,
// since what it changed was not saved. Anything else is a 500.
func (a *app) errorFunc(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, errSessionDeleted) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			a.reloads.Add(1)
			http.Redirect(w, r, r.URL.RequestURI(), http.StatusSeeOther)
			return
		}
		a.conflicts.Add(1)
		http.Error(w, "Your session ended while this request was in progress; nothing it changed was saved.", http.StatusConflict)
		return
	}
	if a.failures.Add(1) <= 5 {
		log.Printf("costbench: %s %s: %v", r.Method, r.URL.Path, err)
	}
	http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
}

// ensure gives a session that has no values yet its five, and reports
// whether it did.
func (a *app) ensure(r *http.Request) bool {
	ctx := r.Context()
	if a.sm.Exists(ctx, "csrf") {
		return false
	}
	a.sm.Put(ctx, "user", "")
	a.sm.Put(ctx, "csrf", rand.Text()) // 26 characters
	a.sm.Put(ctx, "locale", "en-GB")
	a.sm.Put(ctx, "cart", []string{})
	a.sm.Put(ctx, "landing", r.URL.Path)
	return true
}

func (a *app) page(w http.ResponseWriter, r *http.Request) {
	if a.ensure(r) {
		a.changing.Add(1)
	}
	_ = a.sm.GetString(r.Context(), "user")
	io.WriteString(w, "page\n")
}

// maxCart is how many items the cart keeps: the oldest goes beyond it, so
// that the session's size stays that of a busy cart.
const maxCart = 5

func (a *app) addToCart(ctx context.Context, sku string) {
	cart, _ := a.sm.Get(ctx, "cart").([]string)
	cart = append(cart, sku)
	if len(cart) > maxCart {
		cart = cart[len(cart)-maxCart:]
	}
	a.sm.Put(ctx, "cart", cart)
}

func (a *app) cart(w http.ResponseWriter, r *http.Request) {
	a.ensure(r)
	a.changing.Add(1)
	a.addToCart(r.Context(), r.PostFormValue("sku"))
	io.WriteString(w, "added\n")
}

func (a *app) login(w http.ResponseWriter, r *http.Request) {
	a.ensure(r)
	a.changing.Add(1)
	if err := a.sm.RenewToken(r.Context()); err != nil {
		a.sm.ErrorFunc(w, r, err)
		return
	}
	a.sm.Put(r.Context(), "user", r.PostFormValue("user"))
	io.WriteString(w, "welcome\n")
}

func (a *app) logout(w http.ResponseWriter, r *http.Request) {
	if err := a.sm.Destroy(r.Context()); err != nil {
		a.sm.ErrorFunc(w, r, err)
		return
	}
	io.WriteString(w, "bye\n")
}

// slow is the page of a race: it tells the bench that the session is
// loaded, and waits until the bench lets it finish; then it changes the
// session if it is a POST, and answers, which commits the session.
func (a *app) slow(w http.ResponseWriter, r *http.Request) {
	a.ensure(r)
	_ = a.sm.GetString(r.Context(), "user")
	g := a.gates.get(r.URL.Query().Get("gate"))
	if g == nil {
		http.Error(w, "no such gate", http.StatusBadRequest)
		return
	}
	close(g.loaded)
	select {
	case <-g.release:
	case <-r.Context().Done():
		return
	}
	if r.Method == http.MethodPost {
		a.addToCart(r.Context(), "sku-slow")
	}
	io.WriteString(w, "slow page\n")
}

func (a *app) close() { a.srv.Close() }

// gate holds one slow request: the handler closes loaded once its session
// is loaded, and finishes when the bench closes release.
type gate struct {
	loaded, release chan struct{}
}

// gates are the gates of the slow requests in flight, by name, shared by
// both app servers.
type gates struct {
	mu   sync.Mutex
	n    int
	byID map[string]*gate
}

// open returns a new gate and its name.
func (gs *gates) open() (string, *gate) {
	gs.mu.Lock()
	defer gs.mu.Unlock()
	gs.n++
	id := fmt.Sprint(gs.n)
	g := &gate{loaded: make(chan struct{}), release: make(chan struct{})}
	if gs.byID == nil {
		gs.byID = map[string]*gate{}
	}
	gs.byID[id] = g
	return id, g
}

// get returns the gate named id once, or nil.
func (gs *gates) get(id string) *gate {
	gs.mu.Lock()
	defer gs.mu.Unlock()
	g := gs.byID[id]
	delete(gs.byID, id)
	return g
}
