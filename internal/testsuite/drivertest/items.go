package drivertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scs-stores/dynamostore/internal/core"
	"github.com/scs-stores/dynamostore/internal/core/driver"
	"github.com/scs-stores/dynamostore/internal/testsuite/testenv"
)

// Items as they are in the table: malformed ones, the 400 KB limit, and
// what All reads back.
func init() {
	add(
		test{"MalformedItemIsAnErrorNamingOperationTableAndAttributeNotToken", testMalformedItem},
		test{"CommitOverTheItemLimitSendsNoRequestAndNamesTheOperation", testCommitOverTheItemLimit},
		test{"ItemSizeLimitAgreesWithTheEngine", testItemSizeLimitAgreesWithTheEngine},
		test{"NumberSizeAgreesWithTheEngine", testNumberSizeAgreesWithTheEngine},
		test{"AllReadsBackOnlyTokenAndDataWithAliasedNames", testAllProjectsAliasedNames},
	)
}

func testMalformedItem(t *testing.T, h *H) {
	t.Parallel()
	c := h.Client(t)
	future := strconv.FormatInt(inAnHour().UnixNano(), 10)
	past := strconv.FormatInt(anHourAgo().UnixNano(), 10)
	other := driver.Value{Type: driver.Other} // written as the boolean true
	tests := []struct {
		name string
		item map[string]driver.Value
		attr string // the attribute Find's error names; "" when Find finds nothing
		all  bool   // whether All sees the item as malformed too
	}{
		{"expiry missing", map[string]driver.Value{"data": B([]byte("x"))}, "expiry", false},
		{"expiry a string", map[string]driver.Value{"data": B([]byte("x")), "expiry": S(future)}, "expiry", false},
		{"expiry binary", map[string]driver.Value{"data": B([]byte("x")), "expiry": B([]byte(future))}, "expiry", false},
		{"expiry a boolean", map[string]driver.Value{"data": B([]byte("x")), "expiry": other}, "expiry", false},
		{"data missing", map[string]driver.Value{"expiry": N(future)}, "data", true},
		{"data a string", map[string]driver.Value{"data": S("x"), "expiry": N(future)}, "data", true},
		{"data a boolean", map[string]driver.Value{"data": other, "expiry": N(future)}, "data", true},
		// An expired session is gone, whatever its data.
		{"expired with data missing", map[string]driver.Value{"expiry": N(past)}, "", false},
		{"expired with data a string", map[string]driver.Value{"data": S("x"), "expiry": N(past)}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			table := h.NewTable(t)
			s := h.Store(t, c, core.WithTable(table))
			const token = "tok-SECRET-4f9a"
			tt.item["token"] = S(token)
			h.Put(t, c, table, tt.item)

			got, found, err := s.Find(token)
			if tt.attr == "" {
				if err != nil || found || got != nil {
					t.Fatalf("Find = %q, %v, %v; want nil, false, nil", got, found, err)
				}
			} else {
				if !errors.Is(err, core.ErrMalformedItem) || found || got != nil {
					t.Fatalf("Find = %q, %v, %v; want nil, false, ErrMalformedItem", got, found, err)
				}
				checkNamed(t, "Find", err, "find in", table, tt.attr)
			}

			all, err := s.All()
			if tt.all {
				if !errors.Is(err, core.ErrMalformedItem) || all != nil {
					t.Fatalf("All = %q, %v; want nil, ErrMalformedItem", all, err)
				}
				checkNamed(t, "All", err, "scan", table, tt.attr)
			} else if err != nil || all == nil || len(all) != 0 {
				t.Errorf("All = %q, %v; want no sessions (the filter drops items with no live numeric expiry)", all, err)
			}
		})
	}
}

// checkNamed fails t unless err's message names the operation, the table
// and the attribute, and not the token (which holds "SECRET").
func checkNamed(t *testing.T, call string, err error, op, table, attr string) {
	t.Helper()
	msg := err.Error()
	for _, want := range []string{op + " table " + strconv.Quote(table), strconv.Quote(attr)} {
		if !strings.Contains(msg, want) {
			t.Errorf("%s error %q does not hold %q", call, msg, want)
		}
	}
	if strings.Contains(msg, "SECRET") {
		t.Errorf("%s error %q holds the token", call, msg)
	}
}

func testCommitOverTheItemLimit(t *testing.T, h *H) {
	t.Parallel()
	table := h.SharedTable(t)
	rec := &Recorder{}
	s := recordedStore(t, h, rec, table)
	token := t.Name()
	expiry := inAnHour()
	expiryN, ttlN := core.EncodeExpiry(expiry)
	fits := core.MaxItemBytes - core.ItemSize(defaultNames, len(token), 0, expiryN, ttlN)
	for _, size := range []int{fits + 1, 400 * 1024, 401 * 1024, 4 << 20} {
		err := s.Commit(token, make([]byte, size), expiry)
		if !errors.Is(err, core.ErrItemTooLarge) {
			t.Errorf("Commit of %d bytes = %v, want ErrItemTooLarge", size, err)
			continue
		}
		if want := "commit to table " + strconv.Quote(table); !strings.Contains(err.Error(), want) {
			t.Errorf("Commit of %d bytes: error %q does not hold %q", size, err, want)
		}
	}
	if reqs := rec.TakeCalls(); len(reqs) != 0 {
		t.Errorf("refused Commits sent %v, want no request", Ops(reqs))
	}
	want := bytes.Repeat([]byte{7}, fits)
	if err := s.Commit(token, want, expiry); err != nil {
		t.Fatalf("Commit of an item of exactly 400 KB = %v; want nil", err)
	}
	got, found, err := s.Find(token)
	if err != nil || !found || !bytes.Equal(got, want) {
		t.Fatalf("Find of the largest item = %d bytes, %v, %v", len(got), found, err)
	}
}

// testItemSizeLimitAgreesWithTheEngine checks our accounting against the
// engine's: the largest item we compute as allowed is accepted, and one
// byte more, which we refuse, the engine refuses too (where it counts sizes
// exactly, as DynamoDB does).
func testItemSizeLimitAgreesWithTheEngine(t *testing.T, h *H) {
	t.Parallel()
	c := h.Client(t)
	table := h.SharedTable(t)
	rec := &Recorder{}
	s := recordedStore(t, h, rec, table)
	tests := []struct {
		name, key string
		expiry    time.Time
	}{
		{"long expiry number", "size-token", time.Unix(4102444800, 123456789)}, // 19 significant digits
		{"short expiry number", "size-token", time.Unix(4102444800, 0)},        // 4|10|24|44|80|00...
		{"negative expiry", "size-token", time.Unix(-4102444800, -123456789)},
		{"multi-byte token", "размер-токена-€", time.Unix(4102444800, 123456789)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := t.Name() + "/" + tt.key
			expiryN, ttlN := core.EncodeExpiry(tt.expiry)
			fits := core.MaxItemBytes - core.ItemSize(defaultNames, len(key), 0, expiryN, ttlN)

			if err := s.Commit(key, make([]byte, fits), tt.expiry); err != nil {
				t.Fatalf("Commit of an item of exactly %d bytes = %v", core.MaxItemBytes, err)
			}
			item := h.Get(t, c, table, "token", key)
			if item == nil || item["data"].Type != driver.Binary || len(item["data"].Bytes) != fits {
				t.Fatalf("the %d-byte item was not stored", core.MaxItemBytes)
			}
			rec.TakeCalls()
			if err := s.Commit(key, make([]byte, fits+1), tt.expiry); !errors.Is(err, core.ErrItemTooLarge) {
				t.Fatalf("Commit of %d bytes = %v, want ErrItemTooLarge", core.MaxItemBytes+1, err)
			}
			if reqs := rec.TakeCalls(); len(reqs) != 0 {
				t.Errorf("the refused Commit sent %v", Ops(reqs))
			}

			h.RequireExactSizes(t)
			if len(tt.key) != len([]rune(tt.key)) {
				requireByteSizedKeys(t, h)
			}
			item["data"] = B(make([]byte, fits+1))
			err := h.PutRaw(context.Background(), c, table, item)
			if code := h.ErrorCode(err); code != "ValidationException" {
				t.Fatalf("raw PutItem of our %d-byte item = %v, want the engine to refuse it", core.MaxItemBytes+1, err)
			}
		})
	}
}

// featureByteSizedKeys is an engine's counting of a string key in UTF-8
// bytes, as DynamoDB does; dynalite counts its characters.
const featureByteSizedKeys = "ByteSizedKeys"

// requireByteSizedKeys skips t, saying why, unless the engine refuses an
// item one byte over the limit when it is made so by a key of multi-byte
// characters.
func requireByteSizedKeys(t *testing.T, h *H) {
	t.Helper()
	testenv.RequireFeature(t, featureByteSizedKeys, func() (bool, string, error) {
		c := h.Client(t)
		table := h.SharedTable(t)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		key := "feature-key-size-probe-" + strings.Repeat("€", 100) // 3 bytes a character
		names := defaultNames
		over := core.MaxItemBytes + 1 - core.ItemSize(names, len(key), 0, "1", "1")
		err := h.PutRaw(ctx, c, table, map[string]driver.Value{
			names.Token: S(key), names.Data: B(make([]byte, over)), names.Expiry: N("1"), names.TTL: N("1"),
		})
		switch {
		case err == nil:
			return false, "an item one byte over the limit, counting its key's bytes, was accepted", nil
		case h.ErrorCode(err) == "ValidationException":
			return true, "", nil
		}
		return false, "", fmt.Errorf("probe put: %w", err)
	})
}

// testNumberSizeAgreesWithTheEngine checks how core.ItemSize counts numbers
// against the engine: an item with the number as its expiry and data
// filling it to exactly the limit, by our count, is accepted, and one byte
// more is refused.
func testNumberSizeAgreesWithTheEngine(t *testing.T, h *H) {
	t.Parallel()
	h.RequireExactSizes(t)
	c := h.Client(t)
	table := h.SharedTable(t)
	key := t.Name()
	numbers := []string{
		"0", "1", "12", "99", "123", "100", "1000", "1001", "10001", "-1", "-100", "-123",
		"0.5", "0.05", "1.25", "120.5", "12345.6789", "0.000123", "-0.5", "1e5", "1E-5", "123e10",
		"1700000000000000000", "1700000000999999999", "4102444800000000000", "4102444801",
		strconv.FormatInt(math.MaxInt64, 10), strconv.FormatInt(math.MinInt64, 10),
		"99999999999999999999999999999999999999", "-0.00000000000000000000000000000000000001",
	}
	names := driver.Names{Token: "token", Data: "data", Expiry: "n", TTL: "m"}
	put := func(n string, data int) error {
		return h.PutRaw(context.Background(), c, table, map[string]driver.Value{
			"token": S(key), "data": B(make([]byte, data)), "n": N(n), "m": N("1"),
		})
	}
	for _, n := range numbers {
		fits := core.MaxItemBytes - core.ItemSize(names, len(key), 0, n, "1")
		if err := put(n, fits); err != nil {
			t.Errorf("%s: the engine refused the item that ItemSize says fits: %v", n, err)
			continue
		}
		err := put(n, fits+1)
		if code := h.ErrorCode(err); code != "ValidationException" {
			t.Errorf("%s: the engine accepted an item one byte over the limit by ItemSize's count (numbers overcounted): %v", n, err)
		}
	}
}

func testAllProjectsAliasedNames(t *testing.T, h *H) {
	t.Parallel()
	table := h.RawTable(t, "key", "S")
	rec := &Recorder{}
	attrs := []string{"key", "my data", "a.b", "ttl"}
	s := recordedStore(t, h, rec, table, core.WithAttributes(attrs[0], attrs[1], attrs[2], attrs[3]))
	if err := s.Commit("tok", []byte("x"), inAnHour()); err != nil {
		t.Fatal(err)
	}
	if all, err := s.All(); err != nil || len(all) != 1 || string(all["tok"]) != "x" {
		t.Fatalf("All = %q, %v; want tok", all, err)
	}
	var scans []Request
	for _, r := range rec.TakeCalls() {
		if r.Op == "Scan" {
			scans = append(scans, r)
		}
	}
	if len(scans) == 0 {
		t.Fatal("no Scan request")
	}
	for _, r := range scans {
		b := r.Body
		names, _ := b["ExpressionAttributeNames"].(map[string]any)
		proj, _ := b["ProjectionExpression"].(string)
		var projected []string
		for _, p := range strings.Split(proj, ",") {
			projected = append(projected, fmt.Sprint(names[strings.TrimSpace(p)]))
		}
		if strings.Join(projected, ",") != "key,my data" {
			t.Errorf("Scan projects %q (%q), want only key and my data", proj, projected)
		}
		filter, _ := b["FilterExpression"].(string)
		for _, name := range attrs {
			if strings.Contains(proj+filter, name) {
				t.Errorf("Scan expressions %q / %q name %q without a placeholder", proj, filter, name)
			}
		}
		if !strings.Contains(filter, ">") || names[strings.Fields(filter)[0]] != "a.b" {
			t.Errorf("Scan filter %q does not compare the expiry attribute", filter)
		}
		if b["Select"] != nil && b["Select"] != "SPECIFIC_ATTRIBUTES" {
			t.Errorf("Scan Select = %v", b["Select"])
		}
	}
}
