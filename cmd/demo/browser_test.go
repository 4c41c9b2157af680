package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/scs-stores/dynamostore/internal/testsuite/testenv"
)

// screenshotVar names a variable that, when set, is a folder where the
// browser test saves a screenshot of the home page for each SDK, for people
// to look at.
const screenshotVar = "DEMO_SCREENSHOTS"

// chromePath returns the browser to drive: the one DEMO_CHROME names, else
// the one CHROMEDP_CHROME names (scripts/chromium.sh exports it), else
// chromium or chromium-browser on PATH. Without one, the test is skipped,
// except under CI, where a missing browser fails it.
func chromePath(t *testing.T) string {
	t.Helper()
	for _, v := range []string{"DEMO_CHROME", "CHROMEDP_CHROME"} {
		if p := os.Getenv(v); p != "" {
			path, err := exec.LookPath(p)
			if err != nil {
				t.Fatalf("%s=%s: %v", v, p, err)
			}
			return path
		}
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	const msg = "no browser: set DEMO_CHROME or put Debian's chromium on PATH (`make test` installs it when it can)"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// newBrowser starts a headless Chromium with an empty profile of its own and
// returns a context of its first tab, which ends when the test does, or
// after a minute at most. The flags keep it off the network: this machine
// reaches nothing but loopback.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := chromePath(t)
	// Not t.TempDir: Chromium's helper processes may still write to the
	// profile for a moment after the browser exits, and t.TempDir's removal
	// fails the test when it finds the folder not yet empty.
	profile, err := os.MkdirTemp("", "demo-browser-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { removeProfile(t, profile) })
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1000, 900),
	}
	for _, f := range []string{"headless", "no-sandbox", "disable-gpu", "disable-quic", "no-first-run",
		"disable-background-networking", "disable-component-update", "disable-sync"} {
		opts = append(opts, chromedp.Flag(f, true))
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	timed, cancelTimed := context.WithTimeout(alloc, time.Minute)
	tab, cancelTab := chromedp.NewContext(timed, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() {
		cancelTab()
		cancelTimed()
		cancelAlloc() // waits for the browser to exit
	})
	if err := chromedp.Run(tab); err != nil { // starts the browser
		t.Fatalf("starting %s: %v", path, err)
	}
	return tab
}

// removeProfile removes the browser's profile folder, trying again for a few
// seconds while the browser's last helper processes finish writing to it.
func removeProfile(t *testing.T, dir string) {
	var err error
	for range 50 {
		if err = os.RemoveAll(dir); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("leaving the browser profile %s: %v", dir, err)
}

// newBrowserContext opens a tab in a new browser context of the browser of
// the tab ctx: a profile of its own, with cookies of its own, as a private
// window has. The tab opens in a new window, without which headless Chromium
// refuses a tab in a new browser context ("no browser is open"). The tab
// closes when the test ends.
func newBrowserContext(t *testing.T, ctx context.Context) context.Context {
	t.Helper()
	var id target.ID
	run(t, ctx, "opening a second browser context", chromedp.ActionFunc(func(ctx context.Context) error {
		browser := cdp.WithExecutor(ctx, chromedp.FromContext(ctx).Browser)
		bc, err := target.CreateBrowserContext().WithDisposeOnDetach(true).Do(browser)
		if err != nil {
			return err
		}
		id, err = target.CreateTarget("about:blank").WithBrowserContextID(bc).WithNewWindow(true).Do(browser)
		return err
	}))
	tab, cancel := chromedp.NewContext(ctx, chromedp.WithTargetID(id))
	t.Cleanup(cancel)
	return tab
}

// run runs actions in the tab ctx and fails the test on an error.
func run(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action) {
	t.Helper()
	if err := chromedp.Run(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// sessionCookie returns the demo's session cookie as the browser of the tab
// ctx holds it for base, or fails the test.
func sessionCookie(t *testing.T, ctx context.Context, base string) *network.Cookie {
	t.Helper()
	var cookies []*network.Cookie
	run(t, ctx, "reading the cookies", chromedp.ActionFunc(func(ctx context.Context) error {
		var err error
		cookies, err = network.GetCookies().WithURLs([]string{base}).Do(ctx)
		return err
	}))
	for _, c := range cookies {
		if c.Name == "demo_session" {
			return c
		}
	}
	t.Fatalf("the browser holds no demo_session cookie for %s (it holds %d others)", base, len(cookies))
	return nil
}

// sessionIDs returns the session IDs that /sessions lists in the tab ctx.
func sessionIDs(t *testing.T, ctx context.Context, base string) []string {
	t.Helper()
	var ids []string
	run(t, ctx, "opening /sessions",
		chromedp.Navigate(base+"/sessions"),
		chromedp.Evaluate(`Array.from(document.querySelectorAll("#sessions td code"), c => c.textContent)`, &ids))
	return ids
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestBrowserVisitsLogsInSeesTheSessionsAndLogsOut(t *testing.T) {
	forEachSDK(t, func(t *testing.T, sdk string) {
		_, base := startDemo(t, sdk, testenv.TableName(t))
		tab := newBrowser(t)

		// Visits: the count rises on reload.
		var first, second string
		run(t, tab, "opening / and reloading",
			chromedp.Navigate(base+"/"),
			chromedp.Text("#visits", &first, chromedp.ByQuery),
			chromedp.Reload(),
			chromedp.Text("#visits", &second, chromedp.ByQuery))
		if first != "1" || second != "2" {
			t.Errorf("visit count on / then on reload = %q, %q; want 1, 2", first, second)
		}

		// Log in with a name that is HTML: it shows as text.
		const name = "<b>Ann</b> & co"
		var shown string
		var bold int
		run(t, tab, "logging in",
			chromedp.SendKeys(`input[name="name"]`, name, chromedp.ByQuery),
			chromedp.Click(`form[action="/login"] button`, chromedp.ByQuery),
			chromedp.WaitVisible("#user", chromedp.ByQuery),
			chromedp.Text("#user", &shown, chromedp.ByQuery),
			chromedp.Evaluate(`document.querySelectorAll("#user b, #user *").length`, &bold))
		if shown != name || bold != 0 {
			t.Errorf("after log-in the page shows the name as %q with %d elements in it; want the text %q and none", shown, bold, name)
		}
		if dir := os.Getenv(screenshotVar); dir != "" {
			var png []byte
			run(t, tab, "taking a screenshot", chromedp.FullScreenshot(&png, 100))
			if err := os.WriteFile(filepath.Join(dir, "home-"+sdk+".png"), png, 0o644); err != nil {
				t.Error(err)
			}
		}

		// The session cookie's flags, as the browser holds them.
		c := sessionCookie(t, tab, base)
		if !c.HTTPOnly || c.SameSite != network.CookieSameSiteLax || c.Path != "/" {
			t.Errorf("session cookie: HttpOnly %v, SameSite %q, Path %q; want true, Lax, /", c.HTTPOnly, c.SameSite, c.Path)
		}
		var script string
		run(t, tab, "reading document.cookie", chromedp.Evaluate(`document.cookie`, &script))
		if strings.Contains(script, "demo_session") {
			t.Errorf("page scripts can read the session cookie: document.cookie = %q", script)
		}
		annID := shortID(c.Value)

		// A second browser context, with cookies of its own, sees two sessions.
		other := newBrowserContext(t, tab)
		run(t, other, "opening / in a second browser context", chromedp.Navigate(base+"/"))
		otherCookie := sessionCookie(t, other, base)
		if otherCookie.Value == c.Value {
			t.Fatal("the second browser context shares the first one's session cookie")
		}
		otherID := shortID(otherCookie.Value)
		ids := sessionIDs(t, other, base)
		if len(ids) != 2 || !contains(ids, annID) || !contains(ids, otherID) {
			t.Errorf("/sessions in the second context lists %q, want the two sessions %s and %s", ids, annID, otherID)
		}
		var users string
		var elems int
		run(t, other, "reading the users on /sessions",
			chromedp.Text("#sessions", &users, chromedp.ByQuery),
			chromedp.Evaluate(`document.querySelectorAll("#sessions b").length`, &elems))
		if !strings.Contains(users, name) || elems != 0 {
			t.Errorf("/sessions shows the user as HTML (%d <b> elements) or not at all:\n%s", elems, users)
		}

		// The store's counters: opening /sessions changed nothing in the
		// second context's session, so its commit was skipped.
		var skipped string
		run(t, other, "reloading /sessions for the store's counters",
			chromedp.Reload(),
			chromedp.Text("#commits-skipped", &skipped, chromedp.ByQuery))
		if n, err := strconv.Atoi(skipped); err != nil || n < 1 {
			t.Errorf("/sessions shows %q commits skipped, want at least 1", skipped)
		}

		// Log out: the session is gone from /sessions.
		var visits string
		run(t, tab, "logging out",
			chromedp.Navigate(base+"/"),
			chromedp.Click(`form[action="/logout"] button`, chromedp.ByQuery),
			chromedp.WaitVisible(`form[action="/login"]`, chromedp.ByQuery),
			chromedp.Text("#visits", &visits, chromedp.ByQuery))
		if visits != "1" {
			t.Errorf("after log-out / shows %q visits, want a fresh session's 1", visits)
		}
		for _, who := range []struct {
			name string
			ctx  context.Context
		}{{"the browser that logged out", tab}, {"the second context", other}} {
			ids := sessionIDs(t, who.ctx, base)
			if contains(ids, annID) || !contains(ids, otherID) {
				t.Errorf("/sessions after log-out, seen by %s, lists %q: want %s gone and %s kept", who.name, ids, annID, otherID)
			}
		}
	})
}
