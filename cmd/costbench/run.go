package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/scs-stores/dynamostore/awsv2"
)

// model is the modelled app and its traffic. Durations are modelled time;
// real divides them by scale, so that a run takes seconds, not hours.
type model struct {
	idle, lifetime time.Duration // SCS's IdleTimeout and Lifetime
	touch          time.Duration // WithTouchInterval's d, where a configuration sets it
	think          time.Duration // mean time between a visitor's requests
	scale          float64
	visitors       int
	requests       int // per configuration, shared evenly among the visitors
	races          int // races of each kind per configuration
	seed           uint64
}

// real returns the real duration of the modelled duration d.
func (m model) real(d time.Duration) time.Duration {
	return time.Duration(float64(d) / m.scale)
}

// The mix of requests: each request of a visitor is a log-in (when logged
// out) or a log-out (when logged in) with probability pAuth; otherwise a
// page view, which changes the session with probability pChange.
const (
	pAuth   = 0.04
	pChange = 0.1
)

// config is a configuration of the store measured.
type config struct {
	name       string
	deleteWins bool // WithDeleteWins(true)
	touch      bool // WithTouchInterval(model.touch)
}

var allConfigs = []config{
	{name: "default"},
	{name: "deletewins", deleteWins: true},
	{name: "touch", touch: true},
	{name: "both", deleteWins: true, touch: true},
}

// addStats adds the counters of b to a.
func addStats(a *awsv2.Stats, b awsv2.Stats) {
	a.FindsFound += b.FindsFound
	a.FindsNotFound += b.FindsNotFound
	a.FindsExpired += b.FindsExpired
	a.CommitsWritten += b.CommitsWritten
	a.CommitsSkipped += b.CommitsSkipped
	a.CommitsRefused += b.CommitsRefused
	a.Deletes += b.Deletes
	a.Errors += b.Errors
	a.RememberedSessions += b.RememberedSessions
	a.RememberedBytes += b.RememberedBytes
}

// appStore is a store of one app server, with its counters.
type appStore struct {
	scs.Store
	stats func() awsv2.Stats
}

// sdk is one of the two packages: how to make its stores on one table.
type sdk struct {
	name string // "v1" or "v2"
	// open connects to the DynamoDB at endpoint and returns a table of that
	// name, created, with functions to make a store on it whose requests c
	// counts, to tell whether an item with a token is there (a strongly
	// consistent GetItem, not counted), and to delete the table.
	open func(ctx context.Context, endpoint, table string) (*table, error)
}

type table struct {
	newStore func(c *counter, cfg config, m model) (appStore, error)
	exists   func(ctx context.Context, token string) (bool, error)
	drop     func(ctx context.Context) error
}

// result is what one run of one SDK and configuration measured.
type result struct {
	sdk, config string
	requests    int           // requests of the traffic
	changing    int64         // of them, those that changed their session
	elapsed     time.Duration // of the traffic, real
	meanGap     time.Duration // between a visitor's requests, modelled, measured
	tallies     [numOps]tally // the traffic's DynamoDB requests
	stats       awsv2.Stats   // the stores' Stats after the traffic, summed
	statuses    map[int]int   // the traffic's HTTP answers by status
	races       []race        // outcomes of the races
}

// race is the outcome of one race: a logout or a log-in (RenewToken) while
// a slow request of the same session was in flight.
type race struct {
	kind     string // "logout" or "renew"
	changing bool   // the slow request changed the session
	undone   bool   // the old token's item was in the table afterwards
	status   int    // what the slow request answered
}

// runOne measures one SDK in one configuration on a fresh table of that
// name, which it deletes when done.
func runOne(ctx context.Context, s sdk, cfg config, m model, endpoint, name string) (result, error) {
	t, err := s.open(ctx, endpoint, name)
	if err != nil {
		return result{}, err
	}
	defer func() { _ = t.drop(context.Background()) }()
	var c counter
	g := &gates{}
	var apps [2]*app
	var stores [2]appStore
	for i := range apps {
		st, err := t.newStore(&c, cfg, m)
		if err != nil {
			return result{}, err
		}
		stores[i] = st
		apps[i] = newApp(st, m, g)
		defer apps[i].close()
	}
	r := result{sdk: s.name, config: cfg.name}
	if err := traffic(ctx, apps, m, &r); err != nil {
		return r, err
	}
	r.tallies = c.take()
	r.changing = apps[0].changing.Load() + apps[1].changing.Load()
	for _, st := range stores {
		addStats(&r.stats, st.stats())
	}
	for _, kind := range []string{"logout", "renew"} {
		for _, changing := range []bool{false, true} {
			for i := 0; i < m.races; i++ {
				rc, err := runRace(ctx, apps, g, t, kind, changing)
				if err != nil {
					return r, fmt.Errorf("%s race %d: %w", kind, i+1, err)
				}
				r.races = append(r.races, rc)
			}
		}
	}
	return r, nil
}

// visitor is a browser: a cookie jar and a script drawn from its own
// seeded generator.
type visitor struct {
	client   *http.Client
	rng      *rand.Rand
	loggedIn bool
}

func newVisitor(tr http.RoundTripper, seed, id uint64) *visitor {
	jar, _ := cookiejar.New(nil) // never fails with nil options
	return &visitor{
		client: &http.Client{
			Transport:     tr,
			Jar:           jar,
			Timeout:       time.Minute,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		rng: rand.New(rand.NewPCG(seed, id)),
	}
}

// do sends a request and returns its status, having read the body.
func (v *visitor) do(ctx context.Context, method, u string, form url.Values) (int, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return 0, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := v.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}

// next sends the visitor's next request to the app at base.
func (v *visitor) next(ctx context.Context, base string, n int) (int, error) {
	switch r := v.rng.Float64(); {
	case r < pAuth && v.loggedIn:
		v.loggedIn = false
		return v.do(ctx, http.MethodPost, base+"/logout", url.Values{})
	case r < pAuth:
		v.loggedIn = true
		return v.do(ctx, http.MethodPost, base+"/login", url.Values{"user": {fmt.Sprintf("user-%04d", v.rng.IntN(10000))}})
	case v.rng.Float64() < pChange:
		return v.do(ctx, http.MethodPost, base+"/cart", url.Values{"sku": {fmt.Sprintf("sku-%06d", v.rng.IntN(1000000))}})
	}
	return v.do(ctx, http.MethodGet, fmt.Sprintf("%s/page?n=%d", base, n), nil)
}

// traffic runs the visitors at once, each sending its share of the
// requests one after another, to the two app servers in turn, with a think
// time drawn between 0.2 and 1.8 times the mean before each.
func traffic(ctx context.Context, apps [2]*app, m model, r *result) error {
	tr := &http.Transport{MaxIdleConnsPerHost: 2 * m.visitors}
	defer tr.CloseIdleConnections()
	per := m.requests / m.visitors
	var mu sync.Mutex
	statuses := map[int]int{}
	var firstErr error
	var gaps time.Duration
	var gapCount int
	start := time.Now()
	var wg sync.WaitGroup
	for i := 0; i < m.visitors; i++ {
		v := newVisitor(tr, m.seed, uint64(i))
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := map[int]int{}
			var last time.Time
			var gap time.Duration
			for n := 0; n < per; n++ {
				wait := time.Duration(float64(m.real(m.think)) * (0.2 + 1.6*v.rng.Float64()))
				select {
				case <-time.After(wait):
				case <-ctx.Done():
					return
				}
				now := time.Now()
				if n > 0 {
					gap += now.Sub(last)
				}
				last = now
				status, err := v.next(ctx, apps[(i+n)%2].srv.URL, n)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
				local[status]++
			}
			mu.Lock()
			for s, k := range local {
				statuses[s] += k
			}
			gaps += gap
			gapCount += per - 1
			mu.Unlock()
		}()
	}
	wg.Wait()
	r.elapsed = time.Since(start)
	r.requests = per * m.visitors
	r.statuses = statuses
	if gapCount > 0 {
		r.meanGap = time.Duration(float64(gaps) / float64(gapCount) * m.scale)
	}
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	return firstErr
}

// runRace makes a session on the first app server (logged in, for a logout
// race), starts a slow request of it on the second and holds it once its
// session is loaded, logs the session out (kind "logout": Destroy) or in
// (kind "renew": RenewToken) on the first, then lets the slow request
// commit, and looks for the old token's item in the table.
func runRace(ctx context.Context, apps [2]*app, g *gates, t *table, kind string, changing bool) (race, error) {
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	v := newVisitor(tr, 0, 0)
	a, b := apps[0].srv.URL, apps[1].srv.URL
	if status, err := v.do(ctx, http.MethodGet, a+"/page", nil); err != nil || status != http.StatusOK {
		return race{}, fmt.Errorf("first page: status %d, %v", status, err)
	}
	if kind == "logout" {
		if status, err := v.do(ctx, http.MethodPost, a+"/login", url.Values{"user": {"racer"}}); err != nil || status != http.StatusOK {
			return race{}, fmt.Errorf("login: status %d, %v", status, err)
		}
	}
	token, err := cookieValue(v, a)
	if err != nil {
		return race{}, err
	}

	id, gt := g.open()
	method := http.MethodGet
	var form url.Values
	if changing {
		method, form = http.MethodPost, url.Values{}
	}
	type answer struct {
		status int
		err    error
	}
	slow := make(chan answer, 1)
	go func() {
		s, err := v.do(ctx, method, b+"/slow?gate="+id, form)
		slow <- answer{s, err}
	}()
	select {
	case <-gt.loaded:
	case ans := <-slow:
		return race{}, fmt.Errorf("the slow request ended before its session was loaded: status %d, %v", ans.status, ans.err)
	}

	var status int
	if kind == "logout" {
		status, err = v.do(ctx, http.MethodPost, a+"/logout", url.Values{})
	} else {
		status, err = v.do(ctx, http.MethodPost, a+"/login", url.Values{"user": {"racer"}})
	}
	if err != nil || status != http.StatusOK {
		close(gt.release)
		<-slow
		return race{}, fmt.Errorf("%s: status %d, %v", kind, status, err)
	}
	close(gt.release)
	ans := <-slow
	if ans.err != nil {
		return race{}, fmt.Errorf("slow request: %w", ans.err)
	}
	back, err := t.exists(ctx, token)
	if err != nil {
		return race{}, err
	}
	return race{kind: kind, changing: changing, undone: back, status: ans.status}, nil
}

// cookieValue returns the session cookie the visitor holds for base.
func cookieValue(v *visitor, base string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	for _, c := range v.client.Jar.Cookies(u) {
		if c.Name == "shop_session" {
			return c.Value, nil
		}
	}
	return "", errors.New("no session cookie")
}
