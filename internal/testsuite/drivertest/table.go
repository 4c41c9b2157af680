package drivertest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scs-stores/dynamostore/internal/core"
	"github.com/scs-stores/dynamostore/internal/testsuite/testenv"
)

func init() {
	add(
		test{"CreateTableMakesOnDemandTableKeyedByTokenWithTTL", testCreateTableMakesTable},
		test{"CreateTableWithoutTTLAPIStillCreatesTheTableAndNamesTheTTLStep", testCreateTableWithoutTTLAPI},
		test{"CreateTableOnExistingTableKeepsItsItemsAndEnablesTTL", testCreateTableOnExistingTable},
		test{"CreateTableRefusesTableWithAnotherKeySchema", testCreateTableRefusesKeySchema},
		test{"CreateTableRefusesTTLOnAnotherAttribute", testCreateTableRefusesOtherTTL},
		test{"CreateTableAcceptsTTLAlreadyOnTheTTLAttribute", testCreateTableAcceptsTTL},
		test{"CreateTableFromManyInstancesAtOnceAllSucceed", testCreateTableManyAtOnce},
		test{"MisconfiguredStoreIsRefusedWithoutRequest", testMisconfiguredStoreSendsNothing},
	)
}

// FeatureEnableTTL is the feature of turning Time To Live on
// (UpdateTimeToLive), which CreateTable needs. dynalite answers
// DescribeTimeToLive (always DISABLED) but not UpdateTimeToLive.
const FeatureEnableTTL = "UpdateTimeToLive"

// HasTTL reports whether the engine can turn Time To Live on, detecting it
// once per run; where it cannot it logs why in t. It asks to turn it on for
// a table that does not exist, which DynamoDB refuses as a missing table and
// an engine without the API as an unknown operation, so that no table's
// Time To Live changes.
func (h *H) HasTTL(t testing.TB) bool {
	t.Helper()
	return testenv.Feature(t, FeatureEnableTTL, h.detectTTL(t))
}

// requireTTL skips t, saying why, unless the engine can turn Time To Live
// on (see HasTTL).
func (h *H) requireTTL(t testing.TB) {
	t.Helper()
	testenv.RequireFeature(t, FeatureEnableTTL, h.detectTTL(t))
}

// detectTTL returns the detector of HasTTL.
func (h *H) detectTTL(t testing.TB) testenv.Detector {
	return func() (bool, string, error) {
		c := h.Client(t)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err := h.EnableTTL(ctx, c, testenv.TableName(t)+"_missing", "ttl")
		switch code := h.ErrorCode(err); code {
		case codeNotFound:
			return true, "", nil
		case "UnknownOperationException":
			return false, "UpdateTimeToLive: " + code, nil
		}
		return false, "", fmt.Errorf("UpdateTimeToLive of a missing table = %v, want %s or UnknownOperationException", err, codeNotFound)
	}
}

// ttlOf returns the Time To Live status of table and the attribute it is
// on, failing t on an error.
func ttlOf(t testing.TB, h *H, c Client, table string) (status, attribute string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	status, attribute, err := h.DescribeTTL(ctx, c, table)
	if err != nil {
		t.Fatalf("describe Time To Live of %s: %v", table, err)
	}
	return status, attribute
}

// ttlOn reports whether a Time To Live status means it is on.
func ttlOn(status string) bool {
	return status == "ENABLED" || status == "ENABLING"
}

// enableTTL turns Time To Live on for attribute, failing t on an error.
func enableTTL(t testing.TB, h *H, c Client, table, attribute string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := h.EnableTTL(ctx, c, table, attribute); err != nil {
		t.Fatalf("enable Time To Live on %s of %s: %v", attribute, table, err)
	}
}

// dropAtEnd deletes table, which the test has CreateTable make, when t ends.
func dropAtEnd(t testing.TB, h *H, c Client, table string) {
	t.Cleanup(func() { h.dropTable(t, c, table) })
}

// answerTap is an http.RoundTripper that keeps the JSON of the last
// successful answer to each DynamoDB operation, so that a test can read
// what the engine said beyond what a driver translates.
type answerTap struct {
	mu   sync.Mutex
	last map[string]map[string]any
}

// RoundTrip sends req on with http.DefaultTransport and keeps its answer.
func (a *answerTap) RoundTrip(req *http.Request) (*http.Response, error) {
	_, op, _ := strings.Cut(req.Header.Get("X-Amz-Target"), ".")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("answer tap: %s answer is not JSON: %w", op, err)
	}
	a.mu.Lock()
	if a.last == nil {
		a.last = make(map[string]map[string]any)
	}
	a.last[op] = m
	a.mu.Unlock()
	return resp, nil
}

// rawDescription returns the Table of DynamoDB's DescribeTable answer for
// table, as JSON decodes it.
func rawDescription(t testing.TB, h *H, table string) map[string]any {
	t.Helper()
	tap := &answerTap{}
	c := h.NewClient(t, ClientOptions{Transport: tap})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := h.TableStatus(ctx, c, table); err != nil {
		t.Fatalf("describe %s: %v", table, err)
	}
	tap.mu.Lock()
	defer tap.mu.Unlock()
	d, _ := tap.last["DescribeTable"]["Table"].(map[string]any)
	if d == nil {
		t.Fatalf("DescribeTable of %s answered no Table: %v", table, tap.last["DescribeTable"])
	}
	return d
}

// checkSessionTable fails t unless table is ACTIVE, on demand, and keyed by
// key alone, of type S.
func checkSessionTable(t testing.TB, h *H, table, key string) {
	t.Helper()
	d := rawDescription(t, h, table)
	if d["TableStatus"] != "ACTIVE" {
		t.Errorf("status = %v, want ACTIVE", d["TableStatus"])
	}
	wantKeys := fmt.Sprint([]any{map[string]any{"AttributeName": key, "KeyType": "HASH"}})
	if got := fmt.Sprint(d["KeySchema"]); got != wantKeys {
		t.Errorf("key schema = %s, want %s", got, wantKeys)
	}
	wantAttrs := fmt.Sprint([]any{map[string]any{"AttributeName": key, "AttributeType": "S"}})
	if got := fmt.Sprint(d["AttributeDefinitions"]); got != wantAttrs {
		t.Errorf("attribute definitions = %s, want %s", got, wantAttrs)
	}
	billing, _ := d["BillingModeSummary"].(map[string]any)
	if billing["BillingMode"] != "PAY_PER_REQUEST" {
		t.Errorf("billing = %v, want PAY_PER_REQUEST", d["BillingModeSummary"])
	}
}

// createTableCases are the names CreateTable is tried with.
var createTableCases = []struct {
	name     string
	opts     []core.Option
	key, ttl string
}{
	{name: "default names", key: "token", ttl: "ttl"},
	{name: "custom names", opts: []core.Option{core.WithAttributes("id", "blob", "expires", "expires_at")}, key: "id", ttl: "expires_at"},
}

func testCreateTableMakesTable(t *testing.T, h *H) {
	t.Parallel()
	h.requireTTL(t)
	for _, tc := range createTableCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := h.Client(t)
			table := testenv.TableName(t)
			dropAtEnd(t, h, c, table)
			s := h.Store(t, c, append([]core.Option{core.WithTable(table)}, tc.opts...)...)
			if err := s.CreateTable(context.Background()); err != nil {
				t.Fatalf("CreateTable: %v", err)
			}
			checkSessionTable(t, h, table, tc.key)
			if status, attr := ttlOf(t, h, c, table); !ttlOn(status) || attr != tc.ttl {
				t.Errorf("Time To Live = %s on %q, want ENABLED on %q", status, attr, tc.ttl)
			}
			if err := s.Commit("tok", []byte("v"), time.Now().Add(time.Hour)); err != nil {
				t.Fatalf("Commit on the new table: %v", err)
			}
			if err := s.Ping(); err != nil {
				t.Fatalf("Ping on the new table: %v", err)
			}
		})
	}
}

// testCreateTableWithoutTTLAPI runs only on engines without the Time To Live
// API (dynalite): there CreateTable must still create the table, wait until
// it is ACTIVE (dynalite keeps it CREATING for a while), and then fail
// naming the Time To Live step. Engines with the API run
// CreateTableMakesOnDemandTableKeyedByTokenWithTTL instead.
func testCreateTableWithoutTTLAPI(t *testing.T, h *H) {
	t.Parallel()
	if h.HasTTL(t) {
		t.Skip("the engine has the Time To Live API; CreateTableMakesOnDemandTableKeyedByTokenWithTTL covers it")
	}
	for _, tc := range createTableCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := &Recorder{}
			c := h.NewClient(t, ClientOptions{Transport: rec})
			table := testenv.TableName(t)
			dropAtEnd(t, h, c, table)
			s := h.Store(t, c, append([]core.Option{core.WithTable(table)}, tc.opts...)...)
			err := s.CreateTable(context.Background())
			if err == nil || !strings.Contains(err.Error(), "Time To Live") || errors.Is(err, core.ErrTableNotReady) {
				t.Fatalf("CreateTable = %v, want an error of the Time To Live step, not ErrTableNotReady", err)
			}
			ops := Ops(rec.Take())
			if i := strings.Index(strings.Join(ops, " "), "CreateTable DescribeTable"); i < 0 {
				t.Errorf("requests = %v, want CreateTable then DescribeTable until the table was ACTIVE", ops)
			}
			t.Logf("requests: %v", ops)
			checkSessionTable(t, h, table, tc.key)
			if err := s.Commit("tok", []byte("v"), time.Now().Add(time.Hour)); err != nil {
				t.Fatalf("Commit on the new table: %v", err)
			}
			if err := s.Ping(); err != nil {
				t.Fatalf("Ping on the new table: %v", err)
			}
		})
	}
}

func testCreateTableOnExistingTable(t *testing.T, h *H) {
	t.Parallel()
	h.requireTTL(t)
	c := h.Client(t)
	s := h.Store(t, c, core.WithTable(h.NewTable(t)))
	if err := s.Commit("kept", []byte("v"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if status, _ := ttlOf(t, h, c, s.TableName()); ttlOn(status) {
		t.Fatalf("fresh test table already has Time To Live %s", status)
	}
	for i := range 2 {
		if err := s.CreateTable(context.Background()); err != nil {
			t.Fatalf("CreateTable call %d: %v", i+1, err)
		}
	}
	if status, attr := ttlOf(t, h, c, s.TableName()); !ttlOn(status) || attr != "ttl" {
		t.Errorf("Time To Live = %s on %q, want ENABLED on \"ttl\"", status, attr)
	}
	MustFind(t, s, "kept", []byte("v"))
}

// sortKeyAdder is an http.RoundTripper that adds the sort key "n" (N) to
// every CreateTable request, for a table no harness call makes. It rewrites
// the signed body, so only local engines accept it.
type sortKeyAdder struct{}

// RoundTrip rewrites a CreateTable request and sends every request on with
// http.DefaultTransport.
func (sortKeyAdder) RoundTrip(req *http.Request) (*http.Response, error) {
	if !strings.HasSuffix(req.Header.Get("X-Amz-Target"), ".CreateTable") {
		return http.DefaultTransport.RoundTrip(req)
	}
	body, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("sort key adder: CreateTable body is not JSON: %w", err)
	}
	attrs, _ := m["AttributeDefinitions"].([]any)
	keys, _ := m["KeySchema"].([]any)
	m["AttributeDefinitions"] = append(attrs, map[string]any{"AttributeName": "n", "AttributeType": "N"})
	m["KeySchema"] = append(keys, map[string]any{"AttributeName": "n", "KeyType": "RANGE"})
	if body, err = json.Marshal(m); err != nil {
		return nil, err
	}
	out := req.Clone(req.Context())
	out.Body = io.NopCloser(bytes.NewReader(body))
	out.ContentLength = int64(len(body))
	return http.DefaultTransport.RoundTrip(out)
}

func testCreateTableRefusesKeySchema(t *testing.T, h *H) {
	t.Parallel()
	for _, tc := range []struct {
		name         string
		key, keyType string
		sortKey      bool
	}{
		{"other hash key", "id", "S", false},
		{"token of type N", "token", "N", false},
		{"token with a sort key", "token", "S", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var table string
			if tc.sortKey {
				testenv.RequireLocal(t, "the table with a sort key is made by rewriting a signed CreateTable request")
				c := h.NewClient(t, ClientOptions{Transport: sortKeyAdder{}})
				table = testenv.TableName(t)
				if err := h.makeTable(c, table, tc.key, tc.keyType); err != nil {
					t.Fatal(err)
				}
				dropAtEnd(t, h, h.Client(t), table)
				if d := rawDescription(t, h, table); len(d["KeySchema"].([]any)) != 2 {
					t.Fatalf("the test table's key schema is %v, want token and n", d["KeySchema"])
				}
			} else {
				table = h.RawTable(t, tc.key, tc.keyType)
			}
			rec := &Recorder{}
			c := h.NewClient(t, ClientOptions{Transport: rec})
			s := h.Store(t, c, core.WithTable(table))
			if err := s.CreateTable(context.Background()); !errors.Is(err, core.ErrTableNotReady) {
				t.Fatalf("CreateTable = %v, want an error wrapping ErrTableNotReady", err)
			}
			if ops := Ops(rec.Take()); strings.Contains(fmt.Sprint(ops), "TimeToLive") {
				t.Errorf("requests = %v, want none about Time To Live on a table it refused", ops)
			}
			if h.HasTTL(t) {
				if status, _ := ttlOf(t, h, c, table); ttlOn(status) {
					t.Errorf("CreateTable enabled Time To Live (%s) on a table it refused", status)
				}
			}
		})
	}
}

func testCreateTableRefusesOtherTTL(t *testing.T, h *H) {
	t.Parallel()
	h.requireTTL(t)
	c := h.Client(t)
	s := h.Store(t, c, core.WithTable(h.NewTable(t)))
	enableTTL(t, h, c, s.TableName(), "expires_at")
	err := s.CreateTable(context.Background())
	if !errors.Is(err, core.ErrTableNotReady) || !strings.Contains(err.Error(), `"expires_at"`) {
		t.Fatalf("CreateTable = %v, want an error wrapping ErrTableNotReady that names \"expires_at\"", err)
	}
}

func testCreateTableAcceptsTTL(t *testing.T, h *H) {
	t.Parallel()
	h.requireTTL(t)
	c := h.Client(t)
	s := h.Store(t, c, core.WithTable(h.NewTable(t)))
	enableTTL(t, h, c, s.TableName(), "ttl")
	if err := s.CreateTable(context.Background()); err != nil {
		t.Fatalf("CreateTable = %v, want nil", err)
	}
}

// testCreateTableManyAtOnce: instances that start together all create the
// table; all but one find it being created. Without the Time To Live API
// (dynalite) each must still get past creating and waiting, and fail only
// at the Time To Live step.
func testCreateTableManyAtOnce(t *testing.T, h *H) {
	t.Parallel()
	ttl := h.HasTTL(t)
	c := h.Client(t)
	table := testenv.TableName(t)
	dropAtEnd(t, h, c, table)
	const n = 4
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		s := h.Store(t, h.Client(t), core.WithTable(table))
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.CreateTable(context.Background())
		}()
	}
	wg.Wait()
	for i, err := range errs {
		switch {
		case ttl && err != nil:
			t.Errorf("CreateTable %d: %v", i, err)
		case !ttl && (err == nil || !strings.Contains(err.Error(), "Time To Live") || errors.Is(err, core.ErrTableNotReady)):
			t.Errorf("CreateTable %d = %v, want an error of the Time To Live step alone", i, err)
		}
	}
	checkSessionTable(t, h, table, "token")
	if ttl {
		if status, attr := ttlOf(t, h, c, table); !ttlOn(status) || attr != "ttl" {
			t.Errorf("Time To Live = %s on %q, want ENABLED on \"ttl\"", status, attr)
		}
	}
}

// testMisconfiguredStoreSendsNothing: a store on a name DynamoDB would
// refuse is refused before any request. (The core's tests check that every
// call of such a store, CreateTable and DeleteExpired included, fails
// without a request; SCS v1's NewWithOption, which returns such a store, is
// the v1 package's own.)
func testMisconfiguredStoreSendsNothing(t *testing.T, h *H) {
	t.Parallel()
	rec := &Recorder{}
	c := h.NewClient(t, ClientOptions{Transport: rec})
	for _, opts := range [][]core.Option{
		{core.WithTable("no")},
		{core.WithAttributes("k", "k", "", "")},
		{core.WithScanSegments(-1)},
	} {
		s, err := h.NewStore(c, opts...)
		if !errors.Is(err, core.ErrInvalidConfig) {
			t.Errorf("NewStore = %v, %v; want an error wrapping ErrInvalidConfig", s, err)
		}
	}
	if reqs := rec.Take(); len(reqs) != 0 {
		t.Errorf("requests = %v, want none", Ops(reqs))
	}
}
