// Package drivertest is the integration suite of dynamostore, written once
// and run for each SDK's package against a real DynamoDB engine (DynamoDB
// Local, dynalite or an AWS account; see package testenv). Each package's
// test file (internal/testsuite/dynamostore and internal/testsuite/awsv2,
// suite_test.go) wires its SDK in with a Harness, through the package's
// exported API and the SDK alone, and calls Run:
//
//	func TestSuite(t *testing.T) { drivertest.Run(t, harness) }
//
// The suite checks the public store of the package, not the core alone:
// behaviour and edges, request counts, malformed items, contexts and
// timeouts, All's paging, CreateTable, DeleteExpired, faults injected
// through an http.RoundTripper and a TCP proxy, hostile input, SCS over
// HTTP, a bounded soak and SCS's store contract (package storetest). The
// few things only one package has (SCS v1's names, matching an SDK's own
// error types) are tested beside that package's harness, and what needs a
// package's unexported driver (a scan cursor of another type) in the
// package itself.
//
// Tests that need a feature some engines lack (the Time To Live API, exact
// item-size accounting) detect it once per run and skip, saying why, where
// it is missing.
package drivertest

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/scs-stores/dynamostore/internal/core"
	"github.com/scs-stores/dynamostore/internal/core/driver"
	"github.com/scs-stores/dynamostore/internal/testsuite/testenv"
)

// Store is what the public store types of both packages offer.
type Store interface {
	scs.Store
	scs.CtxStore
	scs.IterableStore
	scs.IterableCtxStore
	Ping() error
	PingCtx(ctx context.Context) error
	CreateTable(ctx context.Context) error
	DeleteExpired(ctx context.Context) (int, error)
	TableName() string
	TokenName() string
	DataName() string
	ExpiryName() string
	TTLName() string
	Stats() core.Stats
}

// Client is an SDK's DynamoDB client, as the harness made it: a
// *dynamodb.DynamoDB of aws-sdk-go or a *dynamodb.Client of aws-sdk-go-v2.
type Client any

// ClientOptions sets up a client for one test.
type ClientOptions struct {
	// Transport, when not nil, carries the client's requests, so that a test
	// can count, record or break them.
	Transport http.RoundTripper
	// Endpoint, when not empty, replaces the engine's URL: a proxy in front
	// of it, or a server that never answers.
	Endpoint string
	// Retries sets how many times the SDK retries a failed request: 0 (the
	// zero value) keeps the SDK's default, a negative number turns retries
	// off.
	Retries int
}

// Recommended is what the README's set-up builds from one config.
type Recommended struct {
	// DB is the DynamoDB client built the recommended way: with the
	// package's HTTP settings for maxConns concurrent requests
	// (NewHTTPClient in aws-sdk-go, TuneHTTPClient in aws-sdk-go-v2).
	DB Client
	// Other is a client the app builds from the same config for something
	// else, standing for its S3 or SQS clients: a DynamoDB client without
	// the store's HTTP settings.
	Other Client
}

// Harness wires one SDK's package into the suite. Every function must be
// set.
type Harness struct {
	// SDK names the SDK, as in "aws-sdk-go" or "aws-sdk-go-v2".
	SDK string
	// NewClient returns a client of the engine under test (testenv).
	NewClient func(t testing.TB, o ClientOptions) Client
	// NewRecommended returns the clients of the engine at endpoint that the
	// README's set-up builds from one config (a session in aws-sdk-go), with
	// AWS_CA_BUNDLE honoured; see Recommended.
	NewRecommended func(t testing.TB, endpoint string, maxConns int) Recommended
	// NewStore returns the package's store on c, configured by opts.
	NewStore func(c Client, opts ...core.Option) (Store, error)
	// ErrorCode returns the DynamoDB error code that err carries, as in
	// "ResourceNotFoundException", or "" when it carries none (nil too).
	ErrorCode func(err error) string
	// TableStatus returns the status of table that DescribeTable reports.
	TableStatus func(ctx context.Context, c Client, table string) (string, error)
	// DescribeTTL returns the Time To Live status of table and the attribute
	// it is on, both empty when the answer has none.
	DescribeTTL func(ctx context.Context, c Client, table string) (status, attribute string, err error)
	// EnableTTL turns Time To Live on for attribute of table.
	EnableTTL func(ctx context.Context, c Client, table, attribute string) error
	// CreateTable creates an on-demand table keyed by the attribute key of
	// type keyType ("S", "N" or "B") and returns without waiting.
	CreateTable func(ctx context.Context, c Client, table, key, keyType string) error
	// DeleteTable deletes a table and returns without waiting.
	DeleteTable func(ctx context.Context, c Client, table string) error
	// PutRaw writes item as it is: items no store would write. A value of
	// type driver.Other is written as the boolean true.
	PutRaw func(ctx context.Context, c Client, table string, item map[string]driver.Value) error
	// GetRaw reads every attribute of the item whose string key attribute
	// keyName is key, with a strongly consistent read; nil when there is
	// none. Values of types the driver does not know are driver.Other.
	GetRaw func(ctx context.Context, c Client, table, keyName, key string) (map[string]driver.Value, error)
	// DeleteRaw deletes the item whose string key attribute keyName is key;
	// deleting an item that is not there is no error.
	DeleteRaw func(ctx context.Context, c Client, table, keyName, key string) error
	// ScanKeys reads segment number segment of a strongly consistent Scan of
	// table in segments segments (segment 0 of 1 is the whole table), page
	// by page as the engine cuts them, and returns the string key attribute
	// keyName of each page's items: one slice per page, empty pages too.
	ScanKeys func(ctx context.Context, c Client, table, keyName string, segment, segments int) ([][]string, error)
}

// H is a Harness with the suite's helpers, handed to every test.
type H struct {
	Harness

	// with are options that every store of h.Store gets after its own, and
	// idle the IdleTimeout of the soak's session manager: set in a variant
	// of the suite's H (see withOptions), shared with it through base.
	with []core.Option
	idle time.Duration
	base *H

	shared    sync.Once
	sharedErr error
	sharedTbl string
	cleanup   []func()
	mu        sync.Mutex
}

// Run runs the whole suite on h, as subtests of t.
func Run(t *testing.T, h Harness) {
	testenv.Endpoint(t) // skip, or fail under CI, without an engine
	x := &H{Harness: h}
	t.Cleanup(x.close)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, x) })
	}
}

// A test of the suite.
type test struct {
	name string
	run  func(t *testing.T, h *H)
}

// tests lists every test of the suite; each file of the suite adds its own
// in an init function, so that the list reads with the tests.
var tests []test

// add registers tests; see tests.
func add(ts ...test) { tests = append(tests, ts...) }

// close deletes the tables shared by the suite's tests.
func (h *H) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := len(h.cleanup) - 1; i >= 0; i-- {
		h.cleanup[i]()
	}
}

// Client returns a client of the engine with default options.
func (h *H) Client(t testing.TB) Client { return h.NewClient(t, ClientOptions{}) }

// Store returns a store on c configured by opts, failing t on an error.
func (h *H) Store(t testing.TB, c Client, opts ...core.Option) Store {
	t.Helper()
	s, err := h.NewStore(c, append(opts[:len(opts):len(opts)], h.with...)...)
	if err != nil {
		t.Fatalf("new store: %v", err)
	}
	return s
}

// withOptions returns a variant of h whose stores get opts, and whose soak
// runs with the idle timeout idle; it shares h's tables.
func (h *H) withOptions(idle time.Duration, opts ...core.Option) *H {
	return &H{Harness: h.Harness, with: opts, idle: idle, base: h}
}

// NewTable creates a session table of its own for t, keyed by "token" (S),
// waits until it is ACTIVE, and deletes it when t ends. It returns its name.
func (h *H) NewTable(t testing.TB) string {
	t.Helper()
	return h.RawTable(t, "token", "S")
}

// RawTable creates a table of its own for t keyed by key of type keyType,
// waits until it is ACTIVE, and deletes it when t ends. It returns its name.
func (h *H) RawTable(t testing.TB, key, keyType string) string {
	t.Helper()
	c := h.Client(t)
	name := testenv.TableName(t)
	if err := h.makeTable(c, name, key, keyType); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.dropTable(t, c, name) })
	return name
}

// SharedTable returns a session table keyed by "token" (S) that every test
// of this run may use, with tokens of its own: for tests that neither scan
// nor count a table's items. It is created once and deleted when the suite
// ends.
func (h *H) SharedTable(t testing.TB) string {
	t.Helper()
	if h.base != nil {
		return h.base.SharedTable(t)
	}
	h.shared.Do(func() {
		c := h.NewClient(t, ClientOptions{})
		name := testenv.TableName(t) + "_shared"
		if h.sharedErr = h.makeTable(c, name, "token", "S"); h.sharedErr != nil {
			return
		}
		h.sharedTbl = name
		h.mu.Lock()
		h.cleanup = append(h.cleanup, func() { h.dropTable(nil, c, name) })
		h.mu.Unlock()
	})
	if h.sharedErr != nil {
		t.Fatalf("shared table: %v", h.sharedErr)
	}
	return h.sharedTbl
}

// makeTable creates a table and waits until it is ACTIVE.
func (h *H) makeTable(c Client, name, key, keyType string) error {
	ctx, cancel := context.WithTimeout(context.Background(), testenv.TableWait)
	defer cancel()
	if err := h.CreateTable(ctx, c, name, key, keyType); err != nil {
		return err
	}
	return testenv.WaitFor(ctx, "table "+name+" to be ACTIVE", func(ctx context.Context) (bool, error) {
		status, err := h.TableStatus(ctx, c, name)
		if err != nil {
			return false, err
		}
		return status == "ACTIVE", nil
	})
}

// dropTable deletes a table and waits until it is gone; t, when not nil,
// hears of a failure.
func (h *H) dropTable(t testing.TB, c Client, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), testenv.TableWait)
	defer cancel()
	err := h.DeleteTable(ctx, c, name)
	if err == nil || h.ErrorCode(err) == "ResourceInUseException" {
		err = testenv.WaitFor(ctx, "table "+name+" to be gone", func(ctx context.Context) (bool, error) {
			_, err := h.TableStatus(ctx, c, name)
			if h.ErrorCode(err) == codeNotFound {
				return true, nil
			}
			return false, err
		})
	}
	if err != nil && h.ErrorCode(err) != codeNotFound && t != nil {
		t.Errorf("delete table %s: %v", name, err)
	}
}

// Get reads the item of key raw, failing t on an error.
func (h *H) Get(t testing.TB, c Client, table, keyName, key string) map[string]driver.Value {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	item, err := h.GetRaw(ctx, c, table, keyName, key)
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	return item
}

// Put writes item raw, failing t on an error.
func (h *H) Put(t testing.TB, c Client, table string, item map[string]driver.Value) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := h.PutRaw(ctx, c, table, item); err != nil {
		t.Fatalf("put: %v", err)
	}
}

// S, N and B make attribute values for raw items.
func S(s string) driver.Value { return driver.Value{Type: driver.String, Text: s} }

// N makes a number value; see S.
func N(n string) driver.Value { return driver.Value{Type: driver.Number, Text: n} }

// B makes a binary value; see S.
func B(b []byte) driver.Value { return driver.Value{Type: driver.Binary, Bytes: b} }

// The store's defaults, as the item format and the seed API fix them, and
// the code of the error DynamoDB gives for a missing table.
var defaultNames = driver.Names{Table: "scs_session", Token: "token", Data: "data", Expiry: "expiry", TTL: "ttl"}

const (
	defaultScanSegments = 4
	codeNotFound        = "ResourceNotFoundException"
)

// FeatureExactSizes names the engine's refusal of an item one byte over
// DynamoDB's 400 KB limit, for RequireExactSizes.
const FeatureExactSizes = "ExactItemSizes"

// RequireExactSizes skips t, saying why, unless the engine refuses an item
// one byte over DynamoDB's 400 KB limit, as DynamoDB does (dynalite accepts
// it).
func (h *H) RequireExactSizes(t testing.TB) {
	t.Helper()
	testenv.RequireFeature(t, FeatureExactSizes, func() (bool, string, error) {
		c := h.Client(t)
		table := h.SharedTable(t)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		key := "feature-size-probe"
		names := defaultNames
		over := core.MaxItemBytes + 1 - core.ItemSize(names, len(key), 0, "1", "1")
		item := map[string]driver.Value{
			names.Token: S(key), names.Data: B(make([]byte, over)), names.Expiry: N("1"), names.TTL: N("1"),
		}
		err := h.PutRaw(ctx, c, table, item)
		if err == nil {
			return false, "an item of 409,601 bytes was accepted", nil
		}
		if h.ErrorCode(err) == "ValidationException" {
			return true, "", nil
		}
		return false, "", errors.Join(errors.New("probe put"), err)
	})
}

// NewTable creates a session table of its own for t through h, keyed by
// "token" (S), waits until it is ACTIVE and deletes it when t ends: for a
// package's tests and benchmarks outside the suite. It returns its name.
func NewTable(t testing.TB, h Harness) string {
	t.Helper()
	return (&H{Harness: h}).NewTable(t)
}
