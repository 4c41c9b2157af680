// Command demo is a small web app that keeps its sessions in DynamoDB with
// SCS and dynamostore. Its home page counts your visits in the session; you
// can log in with a name (which renews the session token) and log out (which
// destroys the session); /sessions lists every live session through
// SessionManager.Iterate, each shown by a short hash of its token, never the
// token itself.
//
// With DYNAMODB_ENDPOINT set (as `make demo` does) it uses that DynamoDB
// Local server, with dummy credentials in region us-east-1. Without it, it
// uses DynamoDB in the AWS account and region of the usual AWS environment
// (AWS_REGION, AWS_PROFILE, ~/.aws/config and credentials, instance roles).
// On start-up it creates the session table if it is missing, with Time To
// Live on, and it shuts down cleanly on SIGINT or SIGTERM.
//
// Usage:
//
//	demo [-addr host:port] [-table name]
//
// The address defaults to $DEMO_ADDR, or localhost:4000; the table to
// "dynamostore_demo".
package main

//lint:file-ignore SA1019 aws-sdk-go v1 is what dynamostore is built on.

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
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/alexedwards/scs/v2"
	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/credentials"
	"github.com/aws/aws-sdk-go/aws/session"
	"github.com/aws/aws-sdk-go/service/dynamodb"

	"github.com/scs-stores/dynamostore"
)

// endpointVar names the variable that points the demo at DynamoDB Local.
const endpointVar = "DYNAMODB_ENDPOINT"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := log.New(os.Stderr, "demo: ", log.LstdFlags)
	d, err := setup(ctx, os.Args[1:], os.Getenv, logger)
	if errors.Is(err, flag.ErrHelp) {
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
	store    *dynamostore.DynamoStore
	sessions *scs.SessionManager
}

// setup parses the command line, connects to DynamoDB, creates the session
// table when it is missing and starts listening.
func setup(ctx context.Context, args []string, getenv func(string) string, logger *log.Logger) (*demo, error) {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	defAddr := getenv("DEMO_ADDR")
	if defAddr == "" {
		defAddr = "localhost:4000"
	}
	addr := fs.String("addr", defAddr, "address to serve on (default from $DEMO_ADDR)")
	table := fs.String("table", "dynamostore_demo", "DynamoDB table of the sessions, created when missing")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}

	endpoint := getenv(endpointVar)
	sess, err := session.NewSessionWithOptions(sessionOptions(endpoint))
	if err != nil {
		return nil, fmt.Errorf("AWS session: %w", err)
	}
	if aws.StringValue(sess.Config.Region) == "" {
		return nil, errors.New("no AWS region: set AWS_REGION (or a region in ~/.aws/config), or set " + endpointVar + " to use DynamoDB Local")
	}
	store, err := dynamostore.NewStore(dynamodb.New(sess), dynamostore.WithTable(*table))
	if err != nil {
		return nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := store.CreateTable(cctx); err != nil {
		return nil, err
	}

	sm := scs.New()
	sm.Store = store
	sm.Lifetime = 24 * time.Hour
	sm.Cookie.Name = "demo_session"
	sm.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) {
		logger.Printf("%s %s: %v", r.Method, r.URL.Path, err)
		http.Error(w, "The session store failed; see the server's log.", http.StatusInternalServerError)
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return nil, err
	}
	where := "AWS region " + aws.StringValue(sess.Config.Region)
	if endpoint != "" {
		where = "DynamoDB Local at " + endpoint
	}
	logger.Printf("serving on http://%s with sessions in table %q on %s", ln.Addr(), *table, where)
	a := &app{sessions: sm, logger: logger}
	return &demo{listener: ln, handler: a.routes(), store: store, sessions: sm}, nil
}

// sessionOptions returns the AWS session options: DynamoDB Local with dummy
// credentials in us-east-1 when endpoint is set, and otherwise the usual AWS
// environment, including ~/.aws/config, with no endpoint override.
func sessionOptions(endpoint string) session.Options {
	if endpoint == "" {
		return session.Options{SharedConfigState: session.SharedConfigEnable}
	}
	return session.Options{Config: aws.Config{
		Region:      aws.String("us-east-1"),
		Endpoint:    aws.String(endpoint),
		Credentials: credentials.NewStaticCredentials("local", "local", ""),
	}}
}

// serve serves h on ln until ctx ends, then lets the requests in flight
// finish, for up to ten seconds, and returns nil.
func serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	<-done // http.ErrServerClosed
	return nil
}

// app holds the handlers.
type app struct {
	sessions *scs.SessionManager
	logger   *log.Logger
}

func (a *app) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.home)
	mux.HandleFunc("POST /login", a.login)
	mux.HandleFunc("POST /logout", a.logout)
	mux.HandleFunc("GET /sessions", a.list)
	return a.sessions.LoadAndSave(mux)
}

// maxNameRunes is the longest user name the log-in form accepts.
const maxNameRunes = 64

func (a *app) home(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	visits := a.sessions.GetInt(ctx, "visits") + 1
	a.sessions.Put(ctx, "visits", visits)
	a.render(w, http.StatusOK, homePage, map[string]any{
		"User":   a.sessions.GetString(ctx, "user"),
		"Visits": visits,
		"Max":    maxNameRunes,
	})
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
	a.render(w, http.StatusOK, sessionsPage, map[string]any{"Rows": rows})
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
<style>body{font-family:sans-serif;max-width:40em;margin:2em auto}table{border-collapse:collapse}td,th{padding:.2em .8em;text-align:left}</style>
</head>
<body>
<h1>dynamostore demo</h1>
<p><a href="/">Home</a> · <a href="/sessions">Live sessions</a></p>
{{end}}{{define "bottom"}}</body>
</html>
{{end}}`

var homePage = template.Must(template.Must(template.New("home").Parse(layout)).Parse(`{{template "top"}}
<p>Visits in this session: <strong id="visits">{{.Visits}}</strong></p>
{{if .User}}<p>Logged in as <strong id="user">{{.User}}</strong>.</p>
<form method="post" action="/logout"><button>Log out</button></form>
{{else}}<p>Not logged in.</p>
<form method="post" action="/login">
<label>Name <input name="name" required maxlength="{{.Max}}"></label>
<button>Log in</button>
</form>{{end}}
{{template "bottom"}}`))

var sessionsPage = template.Must(template.Must(template.New("sessions").Parse(layout)).Parse(`{{template "top"}}
<h2>Live sessions</h2>
<p>Each session is shown by the start of its token's SHA-256 hash, never by the token itself.</p>
<table>
<tr><th>Session</th><th>User</th><th>Visits</th><th>Expires (UTC)</th></tr>
{{range .Rows}}<tr><td><code>{{.ID}}</code>{{if .Yours}} (yours){{end}}</td><td>{{.User}}</td><td>{{.Visits}}</td><td>{{.Expires}}</td></tr>
{{else}}<tr><td colspan="4">No live sessions.</td></tr>
{{end}}</table>
{{template "bottom"}}`))
