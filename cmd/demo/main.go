// Command demo is a small web app that keeps its sessions in DynamoDB with
// SCS and dynamostore. Its home page counts your visits in the session and
// shows your session's item as DynamoDB holds it; you can log in with a name
// (which renews the session token) and log out (which destroys the session);
// /sessions lists every live session through SessionManager.Iterate, each
// shown by a short hash of its token, never the token itself, and the
// store's counters (Stats). Sessions end after 20 minutes idle (SCS's
// IdleTimeout), and the store runs with the README's recommended options,
// WithDeleteWins(true) and WithTouchInterval of a tenth of the idle timeout,
// and its recommended ErrorFunc.
//
// The -sdk flag picks the package: v2 (the default, as the README advises for
// new code) builds the store with github.com/scs-stores/dynamostore/awsv2 on
// aws-sdk-go-v2, v1 with github.com/scs-stores/dynamostore on aws-sdk-go. Both
// use an HTTP client pooled for 64 concurrent requests, and every page ends
// within 12 seconds, with an error page if DynamoDB does not answer.
//
// With DYNAMODB_ENDPOINT set (as `make demo` does) it uses that DynamoDB
// Local server, with dummy credentials in region us-east-1. Without it, it
// uses DynamoDB in the AWS account and region of the usual AWS environment
// (AWS_REGION, AWS_PROFILE, ~/.aws/config and credentials, instance roles).
// On start-up it creates the session table if it is missing, with Time To
// Live on. On SIGINT or SIGTERM it lets the requests in flight finish and
// exits with status 0.
//
// Usage:
//
//	demo [-addr host:port] [-table name] [-sdk v2|v1]
//
// The address defaults to $DEMO_ADDR, or localhost:4000; the table to
// "dynamostore_demo".
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/alexedwards/scs/v2"

	"github.com/scs-stores/dynamostore/awsv2"
)

// endpointVar names the variable that points the demo at DynamoDB Local.
const endpointVar = "DYNAMODB_ENDPOINT"

// Time limits. The store bounds each DynamoDB request (its default
// timeout, 10 s); pageTimeout bounds a whole page, however many requests it
// sends, and the server's write timeout leaves room to send the error page.
const (
	pageTimeout    = 12 * time.Second
	itemTimeout    = 5 * time.Second
	readTimeout    = 10 * time.Second
	writeTimeout   = pageTimeout + 5*time.Second
	idleTimeout    = 2 * time.Minute
	shutdownWait   = 10 * time.Second
	createTableMax = 2 * time.Minute
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := log.New(os.Stderr, "demo: ", log.LstdFlags)
	d, err := setup(ctx, os.Args[1:], os.Getenv, logger)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil && ctx.Err() != nil {
		// Interrupted while starting (creating the table, say): a clean
		// stop, not a failure.
		logger.Print("stopped before serving")
		return
	}
	if err != nil {
		logger.Fatal(err)
	}
	if err := serve(ctx, d.listener, d.handler); err != nil {
		logger.Fatal(err)
	}
	logger.Print("stopped")
}

// demo is the app, set up and listening, but not yet serving.
type demo struct {
	listener net.Listener
	handler  http.Handler
	backend  *backend
	sessions *scs.SessionManager
}

// setup parses the command line, connects to DynamoDB through the chosen
// SDK, creates the session table when it is missing and starts listening.
func setup(ctx context.Context, args []string, getenv func(string) string, logger *log.Logger) (*demo, error) {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	defAddr := getenv("DEMO_ADDR")
	if defAddr == "" {
		defAddr = "localhost:4000"
	}
	addr := fs.String("addr", defAddr, "address to serve on (default from $DEMO_ADDR)")
	table := fs.String("table", "dynamostore_demo", "DynamoDB table of the sessions, created when missing")
	sdk := fs.String("sdk", "v2", "AWS SDK: v2 (aws-sdk-go-v2, package awsv2) or v1 (aws-sdk-go, package dynamostore)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}

	endpoint := getenv(endpointVar)
	b, err := newBackend(ctx, *sdk, endpoint, *table)
	if err != nil {
		return nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, createTableMax)
	defer cancel()
	if err := b.store.CreateTable(cctx); err != nil {
		return nil, err
	}

	sm := scs.New()
	sm.Store = b.store
	sm.Lifetime = 24 * time.Hour
	sm.IdleTimeout = sessionIdle
	sm.Cookie.Name = "demo_session"
	sm.ErrorFunc = errorFunc(logger)

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return nil, err
	}
	logger.Printf("serving on http://%s with sessions in table %q on %s", ln.Addr(), *table, b.where)
	a := &app{sessions: sm, backend: b, logger: logger}
	return &demo{listener: ln, handler: a.routes(), backend: b, sessions: sm}, nil
}

// serve serves h on ln until ctx ends, then lets the requests in flight
// finish, for up to ten seconds, and returns nil.
func serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownWait)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	<-done // http.ErrServerClosed
	return nil
}

// errorFunc returns the session manager's ErrorFunc, the README's. SCS calls
// it when loading or committing a session fails; it commits when the handler
// first writes, so what this writes is what the browser gets, followed by
// whatever the handler writes next.
//
// A commit refused with ErrSessionDeleted means that the session was logged
// out (Destroy) or logged in (RenewToken) by another request while this one
// was in flight, and nothing this one did to the session was saved. A GET or
// HEAD is sent back to itself with 303 See Other, so that the browser loads
// the page again as the session now is; any other method gets 409 Conflict,
// since what it changed was lost and the user should know. Any other error
// is logged and answered 500.
func errorFunc(logger *log.Logger) func(http.ResponseWriter, *http.Request, error) {
	return func(w http.ResponseWriter, r *http.Request, err error) {
		if errors.Is(err, awsv2.ErrSessionDeleted) {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(w, r, r.URL.RequestURI(), http.StatusSeeOther)
				return
			}
			http.Error(w, "Your session ended while this request was in progress (a log-out or log-in in another tab), so nothing it changed was saved.", http.StatusConflict)
			return
		}
		logger.Printf("%s %s: %v", r.Method, r.URL.Path, err)
		http.Error(w, "The session store failed; see the server's log.", http.StatusInternalServerError)
	}
}

// withDeadline ends each request's context after d, so that every store call
// a page makes ends by then, whatever the browser does.
func withDeadline(d time.Duration, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

// app holds the handlers.
type app struct {
	sessions *scs.SessionManager
	backend  *backend
	logger   *log.Logger
}

func (a *app) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.home)
	mux.HandleFunc("POST /login", a.login)
	mux.HandleFunc("POST /logout", a.logout)
	mux.HandleFunc("GET /sessions", a.list)
	return withDeadline(pageTimeout, a.sessions.LoadAndSave(mux))
}

// maxNameRunes is the longest user name the log-in form accepts.
const maxNameRunes = 64

func (a *app) home(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	visits := a.sessions.GetInt(ctx, "visits") + 1
	a.sessions.Put(ctx, "visits", visits)
	rows, err := a.storedItem(ctx)
	if err != nil {
		a.logger.Printf("reading the session item: %v", err)
	}
	a.render(w, http.StatusOK, homePage, map[string]any{
		"SDK":     a.backend.sdk,
		"User":    a.sessions.GetString(ctx, "user"),
		"Visits":  visits,
		"Max":     maxNameRunes,
		"Table":   a.backend.store.TableName(),
		"Item":    rows,
		"ItemErr": err != nil,
	})
}

// itemRow is one attribute of the visitor's session item, for the home page.
type itemRow struct {
	Name, Type, Value, Meaning string
}

// storedItem reads the visitor's session item with a GetItem of its own,
// as DynamoDB holds it: SCS saves the session after the page, so this is the
// item as the visitor's previous request left it. It returns no rows and no
// error for a visitor with no session yet, or whose session is not stored.
// The token attribute is shown by its hash, never its value.
func (a *app) storedItem(ctx context.Context) ([]itemRow, error) {
	token := a.sessions.Token(ctx)
	if token == "" {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, itemTimeout)
	defer cancel()
	item, err := a.backend.getItem(ctx, token)
	if err != nil || item == nil {
		return nil, err
	}
	s := a.backend.store
	var rows []itemRow
	for _, name := range []string{s.TokenName(), s.DataName(), s.ExpiryName(), s.TTLName()} {
		v, ok := item[name]
		if !ok {
			continue
		}
		delete(item, name)
		row := itemRow{Name: name, Type: v.Type}
		switch {
		case name == s.TokenName() && v.Type == "S":
			row.Value = shortID(v.S) + "…"
			row.Meaning = "the session token, shown by the start of its SHA-256 hash; the page never shows the token itself"
		case name == s.DataName() && v.Type == "B":
			row.Value = fmt.Sprintf("%d bytes", len(v.B))
			row.Meaning = "the session's values, encoded by SCS"
		case name == s.ExpiryName() && v.Type == "N":
			row.Value = v.N
			row.Meaning = "when the session expires, in Unix nanoseconds" + utcTime(v.N, time.Nanosecond)
		case name == s.TTLName() && v.Type == "N":
			row.Value = v.N
			row.Meaning = "when DynamoDB's Time To Live may delete the item, in Unix seconds" + utcTime(v.N, time.Second)
		}
		rows = append(rows, row)
	}
	others := make([]string, 0, len(item))
	for name := range item {
		others = append(others, name)
	}
	sort.Strings(others)
	for _, name := range others {
		rows = append(rows, itemRow{Name: name, Type: item[name].Type, Meaning: "not one of the store's attributes"})
	}
	return rows, nil
}

// utcTime returns ": " and the time n units after the Unix epoch in UTC, or
// "" when n is not an integer.
func utcTime(n string, unit time.Duration) string {
	i, err := strconv.ParseInt(n, 10, 64)
	if err != nil {
		return ""
	}
	var t time.Time
	if unit == time.Second {
		t = time.Unix(i, 0)
	} else {
		t = time.Unix(0, i)
	}
	return ": " + t.UTC().Format("2006-01-02 15:04:05.000 UTC")
}

func (a *app) login(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimSpace(r.PostFormValue("name"))
	if name == "" || !utf8.ValidString(name) || utf8.RuneCountInString(name) > maxNameRunes {
		http.Error(w, fmt.Sprintf("Give a name of 1 to %d characters.", maxNameRunes), http.StatusBadRequest)
		return
	}
	// A new token on every change of privilege, against session fixation.
	if err := a.sessions.RenewToken(r.Context()); err != nil {
		a.fail(w, r, err)
		return
	}
	a.sessions.Put(r.Context(), "user", name)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (a *app) logout(w http.ResponseWriter, r *http.Request) {
	if err := a.sessions.Destroy(r.Context()); err != nil {
		a.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// sessionRow is one line of the /sessions page.
type sessionRow struct {
	ID      string
	User    string
	Visits  int
	Expires string
	Yours   bool
}

func (a *app) list(w http.ResponseWriter, r *http.Request) {
	yours := ""
	if tok := a.sessions.Token(r.Context()); tok != "" {
		yours = shortID(tok)
	}
	var rows []sessionRow
	err := a.sessions.Iterate(r.Context(), func(ctx context.Context) error {
		id := shortID(a.sessions.Token(ctx))
		rows = append(rows, sessionRow{
			ID:      id,
			User:    a.sessions.GetString(ctx, "user"),
			Visits:  a.sessions.GetInt(ctx, "visits"),
			Expires: a.sessions.Deadline(ctx).UTC().Format(time.RFC3339),
			Yours:   id == yours,
		})
		return nil
	})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].ID < rows[j].ID })
	a.render(w, http.StatusOK, sessionsPage, map[string]any{
		"SDK":   a.backend.sdk,
		"Rows":  rows,
		"Stats": a.backend.store.Stats(),
		"Idle":  minutes(sessionIdle),
		"Touch": minutes(sessionIdle / 10),
	})
}

// minutes returns d as "20 minutes".
func minutes(d time.Duration) string {
	return fmt.Sprintf("%g minutes", d.Minutes())
}

// shortID returns a short name of a session token that is safe to show:
// the first 12 hex digits of its SHA-256 hash.
func shortID(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:6])
}

func (a *app) fail(w http.ResponseWriter, r *http.Request, err error) {
	a.sessions.ErrorFunc(w, r, err)
}

func (a *app) render(w http.ResponseWriter, status int, t *template.Template, data any) {
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		a.logger.Printf("rendering %s: %v", t.Name(), err)
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}

const layout = `{{define "top"}}<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>dynamostore demo</title>
<style>body{font-family:sans-serif;max-width:52em;margin:2em auto;padding:0 1em}table{border-collapse:collapse}td,th{padding:.2em .8em;text-align:left;vertical-align:top}tr+tr td{border-top:1px solid #ddd}.note{color:#555}</style>
</head>
<body>
<h1>dynamostore demo</h1>
<p><a href="/">Home</a> · <a href="/sessions">Live sessions</a></p>
{{end}}{{define "bottom"}}<p class="note" id="sdk">Sessions are kept in DynamoDB through {{if eq .SDK "v1"}}aws-sdk-go, with the package dynamostore{{else}}aws-sdk-go-v2, with the package awsv2{{end}}.</p>
</body>
</html>
{{end}}`

var homePage = template.Must(template.Must(template.New("home").Parse(layout)).Parse(`{{template "top" .}}
<p>Visits in this session: <strong id="visits">{{.Visits}}</strong></p>
{{if .User}}<p>Logged in as <strong id="user">{{.User}}</strong>.</p>
<form method="post" action="/logout"><button>Log out</button></form>
{{else}}<p>Not logged in.</p>
<form method="post" action="/login">
<label>Name <input name="name" required maxlength="{{.Max}}"></label>
<button>Log in</button>
</form>{{end}}
<h2>Your session item in DynamoDB</h2>
{{if .ItemErr}}<p id="item-none">It could not be read; see the server's log.</p>
{{else if .Item}}<p>Item of the table <code>{{.Table}}</code> as your previous request stored it (SCS saves the session after each page, so its data is one visit behind the count above), read with GetItem:</p>
<table id="item">
<tr><th>Attribute</th><th>Type</th><th>Value</th><th>Meaning</th></tr>
{{range .Item}}<tr><td><code>{{.Name}}</code></td><td>{{.Type}}</td><td><code>{{.Value}}</code></td><td>{{.Meaning}}</td></tr>
{{end}}</table>
{{else}}<p id="item-none">None yet: SCS stores the session after it has served this page. Reload to see the item.</p>
{{end}}
{{template "bottom" .}}`))

var sessionsPage = template.Must(template.Must(template.New("sessions").Parse(layout)).Parse(`{{template "top" .}}
<h2>Live sessions</h2>
<p>Each session is shown by the start of its token's SHA-256 hash, never by the token itself.</p>
<table id="sessions">
<tr><th>Session</th><th>User</th><th>Visits</th><th>Lifetime ends (UTC)</th></tr>
{{range .Rows}}<tr><td><code>{{.ID}}</code>{{if .Yours}} (yours){{end}}</td><td>{{.User}}</td><td>{{.Visits}}</td><td>{{.Expires}}</td></tr>
{{else}}<tr><td colspan="4">No live sessions.</td></tr>
{{end}}</table>
<p class="note">A session also ends after {{.Idle}} without a request (SCS's IdleTimeout).</p>
<h2>This app server's store</h2>
<p>The store's counters (<code>Stats()</code>) since the demo started. The store runs with the README's recommended
options: <code>WithDeleteWins(true)</code>, so a log-out or log-in is never undone by a request in flight, and
<code>WithTouchInterval(IdleTimeout/10)</code>, so a session whose only change is its expiry is written at most once
every {{.Touch}}. Reload this page, which changes nothing in your session, to see a commit skipped; the home page
counts your visits, so each of its commits is written.</p>
{{with .Stats}}<table id="stats">
<tr><th>Counter</th><th>Value</th><th>Meaning</th></tr>
<tr><td>Finds found</td><td id="finds-found">{{.FindsFound}}</td><td>requests whose session was in the table</td></tr>
<tr><td>Finds not found</td><td id="finds-not-found">{{.FindsNotFound}}</td><td>requests with a cookie of no stored session</td></tr>
<tr><td>Finds expired</td><td id="finds-expired">{{.FindsExpired}}</td><td>requests whose session had expired</td></tr>
<tr><td>Commits written</td><td id="commits-written">{{.CommitsWritten}}</td><td>sessions saved with a PutItem</td></tr>
<tr><td>Commits skipped</td><td id="commits-skipped">{{.CommitsSkipped}}</td><td>unchanged sessions whose expiry moved too little to be worth a write: a GetItem confirmed that each still exists, for a fifth of the price</td></tr>
<tr><td>Commits refused</td><td id="commits-refused">{{.CommitsRefused}}</td><td>sessions deleted (log-out, log-in) while a request of them was in flight: not brought back</td></tr>
<tr><td>Deletes</td><td id="deletes">{{.Deletes}}</td><td>log-outs and log-ins (a log-in renews the token)</td></tr>
<tr><td>Errors</td><td id="errors">{{.Errors}}</td><td>calls that failed</td></tr>
<tr><td>Remembered</td><td id="remembered">{{.RememberedSessions}} sessions, {{.RememberedBytes}} bytes</td><td>sessions this store found and keeps in memory for the two options, within its memory limit</td></tr>
</table>{{end}}
{{template "bottom" .}}`))
