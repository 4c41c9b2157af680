package main

//lint:file-ignore SA1019 the v1 backend is built on aws-sdk-go v1 on purpose.

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws/session"

	"github.com/scs-stores/dynamostore/internal/testsuite/testenv"
)

// sdks are the values of -sdk; every app test runs once for each.
var sdks = []string{"v2", "v1"}

// forEachSDK runs f as a subtest for each SDK the demo can use.
func forEachSDK(t *testing.T, f func(t *testing.T, sdk string)) {
	for _, sdk := range sdks {
		t.Run(sdk, func(t *testing.T) { f(t, sdk) })
	}
}

// startDemo sets the demo up as main does, with the given SDK, on a free
// loopback port and the given table of DynamoDB Local, and serves it until
// the test ends, when it checks that the server shut down cleanly and drops
// the table.
func startDemo(t *testing.T, sdk, table string) (*demo, string) {
	t.Helper()
	return startDemoAt(t, testenv.Endpoint(t), sdk, table)
}

// startDemoAt is startDemo with the DynamoDB endpoint given.
func startDemoAt(t *testing.T, endpoint, sdk, table string) (*demo, string) {
	t.Helper()
	getenv := func(k string) string {
		if k == endpointVar {
			return endpoint
		}
		return ""
	}
	ctx, cancel := context.WithCancel(context.Background())
	d, err := setup(ctx, []string{"-addr", "127.0.0.1:0", "-table", table, "-sdk", sdk}, getenv, log.New(io.Discard, "", 0))
	if err != nil {
		cancel()
		t.Fatalf("setup: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = d.backend.deleteTable(ctx) // a second app on the table finds it gone
	})
	done := make(chan error, 1)
	go func() { done <- serve(ctx, d.listener, d.handler) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve after the context ended = %v, want nil", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("serve did not return after the context ended")
		}
	})
	return d, "http://" + d.listener.Addr().String()
}

// client is an HTTP client with its own cookies that does not follow
// redirects, so that every request is one the test made.
type client struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newClient(t *testing.T, base string) *client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &client{t: t, base: base, c: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}}
}

// try sends one request and returns its status and body, or the error.
func (b *client) try(method, path string, form url.Values) (int, string, error) {
	var resp *http.Response
	var err error
	if method == http.MethodPost {
		resp, err = b.c.PostForm(b.base+path, form)
	} else {
		resp, err = b.c.Get(b.base + path)
	}
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

func (b *client) do(method, path string, form url.Values) (int, string) {
	b.t.Helper()
	status, body, err := b.try(method, path, form)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	return status, body
}

// token returns the session cookie's value: the session token.
func (b *client) token() string {
	u, _ := url.Parse(b.base)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "demo_session" {
			return c.Value
		}
	}
	return ""
}

var visitsRE = regexp.MustCompile(`<strong id="visits">(\d+)</strong>`)

// home gets / and returns the visit count it shows and the page.
func (b *client) home() (int, string) {
	b.t.Helper()
	status, body := b.do(http.MethodGet, "/", nil)
	m := visitsRE.FindStringSubmatch(body)
	if status != http.StatusOK || m == nil {
		b.t.Fatalf("GET / = %d with no visit count:\n%s", status, body)
	}
	n, _ := strconv.Atoi(m[1])
	return n, body
}

func (b *client) login(name string) int {
	b.t.Helper()
	status, _ := b.do(http.MethodPost, "/login", url.Values{"name": {name}})
	return status
}

func wantStored(t *testing.T, d *demo, token string, want bool) {
	t.Helper()
	_, found, err := d.backend.store.FindCtx(context.Background(), token)
	if err != nil || found != want {
		t.Errorf("store.Find(the token) = %v, %v; want %v, nil", found, err, want)
	}
}

func TestHomeCountsVisitsPerSession(t *testing.T) {
	forEachSDK(t, func(t *testing.T, sdk string) {
		_, base := startDemo(t, sdk, testenv.TableName(t))
		alice, bob := newClient(t, base), newClient(t, base)
		for want := 1; want <= 3; want++ {
			if got, _ := alice.home(); got != want {
				t.Fatalf("visit %d shows %d", want, got)
			}
		}
		if got, page := bob.home(); got != 1 || !strings.Contains(page, "Not logged in") {
			t.Errorf("another browser's first visit shows %d visits, want 1; page:\n%s", got, page)
		}
	})
}

func TestPagesNameTheSDKInUse(t *testing.T) {
	want := map[string]string{"v2": "aws-sdk-go-v2, with the package awsv2", "v1": "aws-sdk-go, with the package dynamostore"}
	forEachSDK(t, func(t *testing.T, sdk string) {
		_, base := startDemo(t, sdk, testenv.TableName(t))
		b := newClient(t, base)
		if _, page := b.home(); !strings.Contains(page, want[sdk]) {
			t.Errorf("home page with -sdk %s does not say %q:\n%s", sdk, want[sdk], page)
		}
	})
}

func TestSDKFlagRefusesAnUnknownSDK(t *testing.T) {
	getenv := func(string) string { return "http://127.0.0.1:1" }
	d, err := setup(context.Background(), []string{"-addr", "127.0.0.1:0", "-sdk", "v3"}, getenv, log.New(io.Discard, "", 0))
	if err == nil || !strings.Contains(err.Error(), `"v3"`) {
		t.Errorf("setup with -sdk v3 = %v, want an error naming v3", err)
	}
	if d != nil {
		d.listener.Close()
	}
}

// itemRE matches one row of the session item table on the home page.
var itemRE = regexp.MustCompile(`<tr><td><code>([^<]*)</code></td><td>([^<]*)</td><td><code>([^<]*)</code></td><td>([^<]*)</td></tr>`)

func TestHomeShowsTheSessionItemAsStoredByThePreviousRequest(t *testing.T) {
	forEachSDK(t, func(t *testing.T, sdk string) {
		d, base := startDemo(t, sdk, testenv.TableName(t))
		b := newClient(t, base)
		if _, page := b.home(); !strings.Contains(page, `id="item-none"`) || itemRE.MatchString(page) {
			t.Errorf("first visit shows an item before any was stored:\n%s", page)
		}
		_, page := b.home()
		token := b.token()
		if strings.Contains(page, token) {
			t.Fatalf("home page shows the raw session token:\n%s", page)
		}
		data, found, err := d.backend.store.FindCtx(context.Background(), token)
		if err != nil || !found {
			t.Fatalf("store.Find(the token) = %v, %v", found, err)
		}
		rows := map[string][]string{}
		var names []string
		for _, m := range itemRE.FindAllStringSubmatch(page, -1) {
			rows[m[1]] = m[2:]
			names = append(names, m[1])
		}
		if got := strings.Join(names, " "); got != "token data expiry ttl" {
			t.Fatalf("item rows = %q, want token data expiry ttl; page:\n%s", got, page)
		}
		wantRow := func(name, typ, value string) {
			t.Helper()
			if r := rows[name]; r[0] != typ || r[1] != value {
				t.Errorf("row %s = type %q value %q, want %q %q", name, r[0], r[1], typ, value)
			}
		}
		wantRow("token", "S", shortID(token)+"…")
		wantRow("data", "B", strconv.Itoa(len(data))+" bytes")
		expiry, err1 := strconv.ParseInt(rows["expiry"][1], 10, 64)
		ttl, err2 := strconv.ParseInt(rows["ttl"][1], 10, 64)
		if rows["expiry"][0] != "N" || rows["ttl"][0] != "N" || err1 != nil || err2 != nil {
			t.Fatalf("expiry and ttl rows = %q, %q; want numbers of type N", rows["expiry"], rows["ttl"])
		}
		if left := time.Until(time.Unix(0, expiry)); left < sessionIdle-time.Minute || left > sessionIdle {
			t.Errorf("expiry %d (Unix ns) is %v from now, want the %v idle timeout", expiry, left, sessionIdle)
		}
		if ttl != expiry/1e9+1 {
			t.Errorf("ttl = %d, want expiry's Unix second plus one, %d", ttl, expiry/1e9+1)
		}
	})
}

func TestLogInRenewsTheTokenAndKeepsTheSessionData(t *testing.T) {
	forEachSDK(t, func(t *testing.T, sdk string) {
		d, base := startDemo(t, sdk, testenv.TableName(t))
		b := newClient(t, base)
		b.home()
		b.home()
		before := b.token()
		if status := b.login("Alice <script>"); status != http.StatusSeeOther {
			t.Fatalf("POST /login = %d, want 303", status)
		}
		after := b.token()
		if after == "" || after == before {
			t.Fatal("log-in kept the session token, want a new one")
		}
		wantStored(t, d, before, false)
		wantStored(t, d, after, true)
		visits, page := b.home()
		if visits != 3 {
			t.Errorf("visits after log-in = %d, want 3 (kept through the renewal)", visits)
		}
		if !strings.Contains(page, `<strong id="user">Alice &lt;script&gt;</strong>`) {
			t.Errorf("home page does not show the escaped user name:\n%s", page)
		}
	})
}

func TestLogInRefusesEmptyOrLongNames(t *testing.T) {
	forEachSDK(t, func(t *testing.T, sdk string) {
		_, base := startDemo(t, sdk, testenv.TableName(t))
		b := newClient(t, base)
		b.home()
		for _, name := range []string{"", "   ", strings.Repeat("x", maxNameRunes+1)} {
			if status := b.login(name); status != http.StatusBadRequest {
				t.Errorf("log in as %q = %d, want 400", name, status)
			}
		}
		if _, page := b.home(); !strings.Contains(page, "Not logged in") {
			t.Errorf("a refused log-in logged the user in:\n%s", page)
		}
	})
}

func TestLogOutDestroysTheSession(t *testing.T) {
	forEachSDK(t, func(t *testing.T, sdk string) {
		d, base := startDemo(t, sdk, testenv.TableName(t))
		b := newClient(t, base)
		b.home()
		b.login("carol")
		token := b.token()
		if status, _ := b.do(http.MethodPost, "/logout", nil); status != http.StatusSeeOther {
			t.Fatalf("POST /logout = %d, want 303", status)
		}
		wantStored(t, d, token, false)
		visits, page := b.home()
		if visits != 1 || !strings.Contains(page, "Not logged in") {
			t.Errorf("after log-out: %d visits, want a fresh session with 1; page:\n%s", visits, page)
		}
	})
}

func TestSessionsPageListsLiveSessionsByHashNeverByToken(t *testing.T) {
	forEachSDK(t, func(t *testing.T, sdk string) {
		_, base := startDemo(t, sdk, testenv.TableName(t))
		alice, bob, gone := newClient(t, base), newClient(t, base), newClient(t, base)
		alice.home()
		bob.home()
		bob.login("bob")
		gone.home()
		goneToken := gone.token()
		gone.do(http.MethodPost, "/logout", nil)

		status, page := alice.do(http.MethodGet, "/sessions", nil)
		if status != http.StatusOK {
			t.Fatalf("GET /sessions = %d:\n%s", status, page)
		}
		for _, want := range []string{shortID(alice.token()) + "</code> (yours)", shortID(bob.token()) + "</code></td><td>bob</td>"} {
			if !strings.Contains(page, want) {
				t.Errorf("/sessions lacks %q:\n%s", want, page)
			}
		}
		if strings.Contains(page, shortID(goneToken)) {
			t.Errorf("/sessions lists the session destroyed at log-out:\n%s", page)
		}
		if rows := strings.Count(page, "<tr><td><code>"); rows != 2 {
			t.Errorf("/sessions lists %d sessions, want 2:\n%s", rows, page)
		}
		for _, tok := range []string{alice.token(), bob.token(), goneToken} {
			if strings.Contains(page, tok) {
				t.Errorf("/sessions shows a raw session token:\n%s", page)
			}
		}
	})
}

// statRE matches one counter of the store on /sessions.
var statRE = regexp.MustCompile(`<td id="([a-z-]+)">(\d+)</td>`)

// stats returns the store counters that /sessions shows, by id.
func (b *client) stats() map[string]int {
	b.t.Helper()
	status, page := b.do(http.MethodGet, "/sessions", nil)
	if status != http.StatusOK {
		b.t.Fatalf("GET /sessions = %d:\n%s", status, page)
	}
	got := map[string]int{}
	for _, m := range statRE.FindAllStringSubmatch(page, -1) {
		got[m[1]], _ = strconv.Atoi(m[2])
	}
	return got
}

func TestSessionsPageShowsTheStoreCountersWithAnUnchangedSessionSkipped(t *testing.T) {
	forEachSDK(t, func(t *testing.T, sdk string) {
		_, base := startDemo(t, sdk, testenv.TableName(t))
		b := newClient(t, base)
		b.home()  // a new session: no Find, one commit written
		b.stats() // found; unchanged but for its expiry: its commit is skipped
		got := b.stats()
		want := map[string]int{
			"finds-found": 2, "finds-not-found": 0, "finds-expired": 0,
			"commits-written": 1, "commits-skipped": 1, "commits-refused": 0,
			"deletes": 0, "errors": 0,
		}
		for id, n := range want {
			if v, ok := got[id]; !ok || v != n {
				t.Errorf("/sessions shows %s = %d (shown: %v), want %d", id, v, ok, n)
			}
		}
	})
}

// TestARequestInFlightDoesNotUndoALogOut holds a request of a logged-in
// session, on the demo's own session manager, while the session logs out,
// then lets it commit: the store refuses the commit, the session stays
// logged out, and the ErrorFunc sends a GET back to itself and answers a
// POST with 409.
func TestARequestInFlightDoesNotUndoALogOut(t *testing.T) {
	forEachSDK(t, func(t *testing.T, sdk string) {
		d, base := startDemo(t, sdk, testenv.TableName(t))
		for i, method := range []string{http.MethodGet, http.MethodPost} {
			b := newClient(t, base)
			b.home()
			b.login("mallory")
			token := b.token()

			loaded, release := make(chan struct{}), make(chan struct{})
			held := httptest.NewServer(d.sessions.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				close(loaded)
				<-release
				// A change, so that the commit is refused, not skipped as
				// an unchanged session's would be (WithTouchInterval).
				d.sessions.Put(r.Context(), "late", true)
				io.WriteString(w, "a page that took long")
			})))
			defer held.Close()
			type answer struct {
				status   int
				location string
				err      error
			}
			done := make(chan answer, 1)
			go func() {
				req, _ := http.NewRequest(method, held.URL+"/slow?x=1", nil)
				req.AddCookie(&http.Cookie{Name: "demo_session", Value: token})
				resp, err := b.c.Do(req)
				if err != nil {
					done <- answer{err: err}
					return
				}
				resp.Body.Close()
				done <- answer{status: resp.StatusCode, location: resp.Header.Get("Location")}
			}()
			<-loaded
			if status, _ := b.do(http.MethodPost, "/logout", nil); status != http.StatusSeeOther {
				t.Fatalf("POST /logout = %d, want 303", status)
			}
			close(release)
			got := <-done
			switch {
			case got.err != nil:
				t.Fatalf("%s in flight: %v", method, got.err)
			case method == http.MethodGet && (got.status != http.StatusSeeOther || got.location != "/slow?x=1"):
				t.Errorf("GET in flight at log-out = %d to %q, want 303 back to /slow?x=1", got.status, got.location)
			case method == http.MethodPost && got.status != http.StatusConflict:
				t.Errorf("POST in flight at log-out = %d, want 409", got.status)
			}
			wantStored(t, d, token, false)
			if n := d.backend.store.Stats().CommitsRefused; n != int64(i+1) {
				t.Errorf("Stats().CommitsRefused = %d, want %d", n, i+1)
			}
		}
	})
}

func TestSessionsOutliveARestartOfTheApp(t *testing.T) {
	forEachSDK(t, func(t *testing.T, sdk string) {
		table := testenv.TableName(t)
		_, base := startDemo(t, sdk, table)
		b := newClient(t, base)
		b.home()
		b.login("dave")
		token := b.token()

		_, base2 := startDemo(t, sdk, table) // a second app on the same table, as after a restart
		b.base = base2
		jarURL, _ := url.Parse(base2)
		b.c.Jar.SetCookies(jarURL, []*http.Cookie{{Name: "demo_session", Value: token, Path: "/"}})
		visits, page := b.home()
		if visits != 2 || !strings.Contains(page, "dave") {
			t.Errorf("after a restart: %d visits, want 2, logged in as dave; page:\n%s", visits, page)
		}
	})
}

func TestSessionsCreatedWithOneSDKAreReadByTheOther(t *testing.T) {
	table := testenv.TableName(t)
	_, v1 := startDemo(t, "v1", table)
	b := newClient(t, v1)
	b.home()
	b.login("erin")
	token := b.token()

	_, v2 := startDemo(t, "v2", table)
	b.base = v2
	jarURL, _ := url.Parse(v2)
	b.c.Jar.SetCookies(jarURL, []*http.Cookie{{Name: "demo_session", Value: token, Path: "/"}})
	if visits, page := b.home(); visits != 2 || !strings.Contains(page, "erin") {
		t.Errorf("-sdk v2 on a session of -sdk v1: %d visits, want 2, logged in as erin; page:\n%s", visits, page)
	}
}

func TestServeStopsWhenTheContextEnds(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	arrived, release := make(chan struct{}), make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		close(arrived)
		<-release
		io.WriteString(w, "finished")
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, ln, h) }()

	got := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String())
		if err != nil {
			got <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		got <- string(b)
	}()
	<-arrived
	cancel()
	select {
	case err := <-done:
		t.Fatalf("serve returned %v with a request in flight", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if body := <-got; body != "finished" {
		t.Errorf("request in flight at shutdown got %q, want it finished", body)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not return")
	}
	if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		c.Close()
		t.Error("the listener still accepts connections after shutdown")
	}
}

func TestV1SessionOptionsUseDynamoDBLocalOnlyWhenTheEndpointIsSet(t *testing.T) {
	local := v1SessionOptions("http://127.0.0.1:8000")
	c := local.Config
	if c.Endpoint == nil || *c.Endpoint != "http://127.0.0.1:8000" || c.Region == nil || *c.Region != "us-east-1" || c.Credentials == nil {
		t.Errorf("with an endpoint: %+v, want that endpoint, us-east-1 and static credentials", c)
	}
	real := v1SessionOptions("")
	if real.Config.Endpoint != nil || real.Config.Region != nil || real.Config.Credentials != nil {
		t.Errorf("without an endpoint: %+v, want the default AWS environment", real.Config)
	}
	if real.SharedConfigState != session.SharedConfigEnable {
		t.Errorf("without an endpoint: SharedConfigState = %v, want ~/.aws/config read", real.SharedConfigState)
	}
	for _, o := range []struct {
		name string
		hc   *http.Client
	}{{"with", local.Config.HTTPClient}, {"without", real.Config.HTTPClient}} {
		if o.hc == nil || o.hc.Transport != nil {
			t.Errorf("%s an endpoint: session HTTP client %+v, want one of its own with no custom transport (AWS_CA_BUNDLE refuses those)", o.name, o.hc)
		}
	}
}

func TestV2ConfigUsesDynamoDBLocalOnlyWhenTheEndpointIsSet(t *testing.T) {
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	ctx := context.Background()

	t.Setenv("AWS_REGION", "eu-west-1")
	local, err := v2Config(ctx, "http://127.0.0.1:8000")
	if err != nil {
		t.Fatal(err)
	}
	creds, err := local.Credentials.Retrieve(ctx)
	if local.Region != "us-east-1" || local.BaseEndpoint == nil || *local.BaseEndpoint != "http://127.0.0.1:8000" || err != nil || creds.AccessKeyID != "local" {
		t.Errorf("with an endpoint: region %q, endpoint %v, credentials %q (%v); want us-east-1, that endpoint and static ones", local.Region, local.BaseEndpoint, creds.AccessKeyID, err)
	}
	real, err := v2Config(ctx, "")
	if err != nil || real.Region != "eu-west-1" || real.BaseEndpoint != nil {
		t.Errorf("without an endpoint: region %q, endpoint %v, %v; want AWS_REGION's eu-west-1 and no endpoint", real.Region, real.BaseEndpoint, err)
	}

	t.Setenv("AWS_REGION", "")
	if _, err := v2Config(ctx, ""); !errors.Is(err, errNoRegion) {
		t.Errorf("without a region: %v, want errNoRegion", err)
	}
}
