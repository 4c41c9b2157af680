package main

//lint:file-ignore SA1019 aws-sdk-go v1 is what dynamostore is built on.

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/session"
	"github.com/aws/aws-sdk-go/service/dynamodb"

	"github.com/scs-stores/dynamostore"
	"github.com/scs-stores/dynamostore/internal/ddbtest"
	"github.com/scs-stores/dynamostore/internal/core/testenv"
)

// startDemo sets the demo up as main does, on a free loopback port and a
// fresh table of DynamoDB Local, and serves it until the test ends, when it
// checks that the server shut down cleanly.
func startDemo(t *testing.T, table string) (*demo, string) {
	t.Helper()
	endpoint := testenv.Endpoint(t)
	getenv := func(k string) string {
		if k == endpointVar {
			return endpoint
		}
		return ""
	}
	ctx, cancel := context.WithCancel(context.Background())
	d, err := setup(ctx, []string{"-addr", "127.0.0.1:0", "-table", table}, getenv, log.New(io.Discard, "", 0))
	if err != nil {
		cancel()
		t.Fatalf("setup: %v", err)
	}
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

// newDemoTable returns the name of a table for one test, which the demo
// will create, and drops it when the test ends.
func newDemoTable(t *testing.T) string {
	t.Helper()
	db := ddbtest.Client(t, nil, nil)
	table := testenv.TableName(t)
	t.Cleanup(func() {
		_, _ = db.DeleteTable(&dynamodb.DeleteTableInput{TableName: aws.String(table)})
	})
	return table
}

// browser is an HTTP client with its own cookies that does not follow
// redirects, so that every request is one the test made.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newBrowser(t *testing.T, base string) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, base: base, c: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}}
}

func (b *browser) do(method, path string, form url.Values) (int, string) {
	b.t.Helper()
	var resp *http.Response
	var err error
	if method == http.MethodPost {
		resp, err = b.c.PostForm(b.base+path, form)
	} else {
		resp, err = b.c.Get(b.base + path)
	}
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// token returns the session cookie's value: the session token.
func (b *browser) token() string {
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
func (b *browser) home() (int, string) {
	b.t.Helper()
	status, body := b.do(http.MethodGet, "/", nil)
	m := visitsRE.FindStringSubmatch(body)
	if status != http.StatusOK || m == nil {
		b.t.Fatalf("GET / = %d with no visit count:\n%s", status, body)
	}
	n, _ := strconv.Atoi(m[1])
	return n, body
}

func (b *browser) login(name string) int {
	b.t.Helper()
	status, _ := b.do(http.MethodPost, "/login", url.Values{"name": {name}})
	return status
}

func wantStored(t *testing.T, s *dynamostore.DynamoStore, token string, want bool) {
	t.Helper()
	_, found, err := s.Find(token)
	if err != nil || found != want {
		t.Errorf("store.Find(the token) = %v, %v; want %v, nil", found, err, want)
	}
}

func TestHomeCountsVisitsPerSession(t *testing.T) {
	_, base := startDemo(t, newDemoTable(t))
	alice, bob := newBrowser(t, base), newBrowser(t, base)
	for want := 1; want <= 3; want++ {
		if got, _ := alice.home(); got != want {
			t.Fatalf("visit %d shows %d", want, got)
		}
	}
	if got, page := bob.home(); got != 1 || !strings.Contains(page, "Not logged in") {
		t.Errorf("another browser's first visit shows %d visits, want 1; page:\n%s", got, page)
	}
}

func TestLogInRenewsTheTokenAndKeepsTheSessionData(t *testing.T) {
	d, base := startDemo(t, newDemoTable(t))
	b := newBrowser(t, base)
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
	wantStored(t, d.store, before, false)
	wantStored(t, d.store, after, true)
	visits, page := b.home()
	if visits != 3 {
		t.Errorf("visits after log-in = %d, want 3 (kept through the renewal)", visits)
	}
	if !strings.Contains(page, `<strong id="user">Alice &lt;script&gt;</strong>`) {
		t.Errorf("home page does not show the escaped user name:\n%s", page)
	}
}

func TestLogInRefusesEmptyOrLongNames(t *testing.T) {
	_, base := startDemo(t, newDemoTable(t))
	b := newBrowser(t, base)
	b.home()
	for _, name := range []string{"", "   ", strings.Repeat("x", maxNameRunes+1)} {
		if status := b.login(name); status != http.StatusBadRequest {
			t.Errorf("log in as %q = %d, want 400", name, status)
		}
	}
	if _, page := b.home(); !strings.Contains(page, "Not logged in") {
		t.Errorf("a refused log-in logged the user in:\n%s", page)
	}
}

func TestLogOutDestroysTheSession(t *testing.T) {
	d, base := startDemo(t, newDemoTable(t))
	b := newBrowser(t, base)
	b.home()
	b.login("carol")
	token := b.token()
	if status, _ := b.do(http.MethodPost, "/logout", nil); status != http.StatusSeeOther {
		t.Fatalf("POST /logout = %d, want 303", status)
	}
	wantStored(t, d.store, token, false)
	visits, page := b.home()
	if visits != 1 || !strings.Contains(page, "Not logged in") {
		t.Errorf("after log-out: %d visits, want a fresh session with 1; page:\n%s", visits, page)
	}
}

func TestSessionsPageListsLiveSessionsByHashNeverByToken(t *testing.T) {
	_, base := startDemo(t, newDemoTable(t))
	alice, bob, gone := newBrowser(t, base), newBrowser(t, base), newBrowser(t, base)
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
	if rows := strings.Count(page, "<code>"); rows != 2 {
		t.Errorf("/sessions lists %d sessions, want 2:\n%s", rows, page)
	}
	for _, tok := range []string{alice.token(), bob.token(), goneToken} {
		if strings.Contains(page, tok) {
			t.Errorf("/sessions shows a raw session token:\n%s", page)
		}
	}
}

func TestSessionsOutliveARestartOfTheApp(t *testing.T) {
	table := newDemoTable(t)
	_, base := startDemo(t, table)
	b := newBrowser(t, base)
	b.home()
	b.login("dave")
	token := b.token()

	_, base2 := startDemo(t, table) // a second app on the same table, as after a restart
	b.base = base2
	jarURL, _ := url.Parse(base2)
	b.c.Jar.SetCookies(jarURL, []*http.Cookie{{Name: "demo_session", Value: token, Path: "/"}})
	visits, page := b.home()
	if visits != 2 || !strings.Contains(page, "dave") {
		t.Errorf("after a restart: %d visits, want 2, logged in as dave; page:\n%s", visits, page)
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

func TestSessionOptionsUseDynamoDBLocalOnlyWhenTheEndpointIsSet(t *testing.T) {
	local := sessionOptions("http://127.0.0.1:8000")
	if aws.StringValue(local.Config.Endpoint) != "http://127.0.0.1:8000" || aws.StringValue(local.Config.Region) != "us-east-1" || local.Config.Credentials == nil {
		t.Errorf("with an endpoint: %+v, want that endpoint, us-east-1 and static credentials", local.Config)
	}
	real := sessionOptions("")
	if real.Config.Endpoint != nil || real.Config.Region != nil || real.Config.Credentials != nil {
		t.Errorf("without an endpoint: %+v, want the default AWS environment", real.Config)
	}
	if real.SharedConfigState != session.SharedConfigEnable {
		t.Errorf("without an endpoint: SharedConfigState = %v, want ~/.aws/config read", real.SharedConfigState)
	}
}
