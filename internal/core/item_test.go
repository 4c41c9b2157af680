package core

import (
	"errors"
	"math"
	"math/big"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scs-stores/dynamostore/internal/core/driver"
)

func TestKeyAcceptsOnlyTokensDynamoDBCanHold(t *testing.T) {
	tests := []struct {
		name, prefix, token string
		want                string
		ok                  bool
	}{
		{"empty", "", "", "", false},
		{"empty behind a prefix", "app:", "", "", false},
		{"plain", "", "abc", "abc", true},
		{"prefixed", "app:", "abc", "app:abc", true},
		{"exactly 2048 bytes", "", strings.Repeat("a", 2048), strings.Repeat("a", 2048), true},
		{"2049 bytes", "", strings.Repeat("a", 2049), "", false},
		{"prefix pushes over 2048", "ab", strings.Repeat("a", 2047), "", false},
		{"prefix reaches exactly 2048", "ab", strings.Repeat("a", 2046), "ab" + strings.Repeat("a", 2046), true},
		{"2048 bytes of multi-byte runes", "", strings.Repeat("é", 1024), strings.Repeat("é", 1024), true},
		{"invalid UTF-8", "", "ab\xffcd", "", false},
		{"truncated rune", "", "ab\xc3", "", false},
		{"control characters are valid", "", "a\x00b\tc\n\x7f", "a\x00b\tc\n\x7f", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := keyOf(tt.prefix, tt.token)
			if got != tt.want || ok != tt.ok {
				t.Errorf("keyOf(%q, %.20q) = %.20q, %v; want %.20q, %v", tt.prefix, tt.token, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestTokenFromKeyStripsPrefixAndRejectsOthers(t *testing.T) {
	tests := []struct {
		prefix, key, want string
		ok                bool
	}{
		{"", "abc", "abc", true},
		{"app:", "app:abc", "abc", true},
		{"app:", "other:abc", "", false},
		{"app:", "app:", "", false},
	}
	for _, tt := range tests {
		got, ok := tokenFromKey(tt.prefix, tt.key)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("TokenFromKey(%q, %q) = %q, %v; want %q, %v", tt.prefix, tt.key, got, ok, tt.want, tt.ok)
		}
	}
}

func TestEncodeExpiryWritesNanosAndTTLNeverEarlier(t *testing.T) {
	tests := []struct {
		name            string
		expiry          time.Time
		wantNs, wantTTL string
	}{
		{"whole second", time.Unix(1700000000, 0), "1700000000000000000", "1700000001"},
		{"fraction rounds down then adds one", time.Unix(1700000000, 999999999), "1700000000999999999", "1700000001"},
		{"unix epoch", time.Unix(0, 0), "0", "1"},
		{"before epoch, whole", time.Unix(-5, 0), "-5000000000", "-4"},
		{"before epoch, fraction", time.Unix(-5, 500), "-4999999500", "-4"},
		{"zero time clamps to min int64", time.Time{}, strconv.FormatInt(math.MinInt64, 10), "-9223372036"},
		{"year 9999 clamps to max int64", time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), strconv.FormatInt(math.MaxInt64, 10), "9223372037"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns, ttl := EncodeExpiry(tt.expiry)
			if ns != tt.wantNs || ttl != tt.wantTTL {
				t.Fatalf("EncodeExpiry(%v) = %s, %s; want %s, %s", tt.expiry, ns, ttl, tt.wantNs, tt.wantTTL)
			}
			n, ok1 := new(big.Int).SetString(ns, 10)
			secs, ok2 := new(big.Int).SetString(ttl, 10)
			if !ok1 || !ok2 {
				t.Fatalf("EncodeExpiry(%v) = %s, %s: not integers", tt.expiry, ns, ttl)
			}
			// The ttl, in seconds, is never earlier than the expiry.
			if new(big.Int).Mul(secs, big.NewInt(1e9)).Cmp(n) < 0 {
				t.Errorf("ttl %s s is earlier than expiry %s ns", secs, n)
			}
		})
	}
}

func TestExpiryNanosClampsOutOfRange(t *testing.T) {
	if got := expiryNanos(time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC)); got != math.MinInt64 {
		t.Errorf("year 1000: %d, want min int64", got)
	}
	if got := expiryNanos(time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)); got != math.MaxInt64 {
		t.Errorf("year 3000: %d, want max int64", got)
	}
	for _, ns := range []int64{math.MinInt64, math.MinInt64 + 1, math.MinInt64 + 1e9, math.MaxInt64 - 1e9, math.MaxInt64 - 1, math.MaxInt64} {
		if got := expiryNanos(time.Unix(0, ns)); got != ns {
			t.Errorf("ExpiryNanos(time.Unix(0, %d)) = %d: the range's edges must be exact", ns, got)
		}
	}
	now := time.Now()
	if got := expiryNanos(now); got != now.UnixNano() {
		t.Errorf("now: %d, want %d", got, now.UnixNano())
	}
}

func TestDecodeExpiryParsesEveryNumberForm(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"0", 0},
		{"1700000000000000000", 1700000000000000000},
		{"-1", -1},
		{"-1700000000000000000", -1700000000000000000},
		{"1.7e18", 1700000000000000000},
		{"1.7E18", 1700000000000000000},
		{"17e17", 1700000000000000000},
		{"1.5", 1},
		{"-1.5", -1},
		{"1e30", math.MaxInt64},
		{"-1e30", math.MinInt64},
		{"9223372036854775807", math.MaxInt64},
		{"9223372036854775808", math.MaxInt64},
		{"-9223372036854775808", math.MinInt64},
		{"-9223372036854775809", math.MinInt64},
	}
	for _, tt := range tests {
		got, err := decodeExpiry(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("DecodeExpiry(%q) = %d, %v; want %d, nil", tt.in, got, err, tt.want)
		}
	}
}

func TestDecodeExpiryRejectsGarbage(t *testing.T) {
	for _, in := range []string{"", " ", "abc", "12a", "NaN", "nan", "1e", "--1", "0x10", "1 2"} {
		if got, err := decodeExpiry(in); err == nil {
			t.Errorf("DecodeExpiry(%q) = %d, nil; want an error", in, got)
		}
	}
}

func TestExpiredAtTheBoundary(t *testing.T) {
	now := time.Unix(1700000000, 500)
	ns := now.UnixNano()
	tests := []struct {
		expiry int64
		want   bool
	}{
		{ns - 1, true},
		{ns, true}, // an item expires at its expiry instant
		{ns + 1, false},
		{math.MinInt64, true},
		{math.MaxInt64, false},
	}
	for _, tt := range tests {
		if got := isExpired(tt.expiry, now); got != tt.want {
			t.Errorf("Expired(%d, %d) = %v, want %v", tt.expiry, ns, got, tt.want)
		}
	}
}

// The sizes below were measured on DynamoDB Local 3.3.0, as the largest item
// with the number that it accepts (see TestNumberSizeAgreesWithDynamoDB in
// the store's tests, which checks numberSize against the server).
func TestNumberSizeCountsBase100Digits(t *testing.T) {
	tests := []struct {
		n    string
		want int
	}{
		{"0", 1},
		{"1", 2},
		{"12", 2},
		{"99", 2},
		{"123", 3},
		{"1234", 3},
		{"100", 2},   // 1|00: trailing zero pairs are not counted
		{"1000", 2},  // 10|00
		{"101", 3},   // 1|01
		{"1001", 3},  // 10|01
		{"10001", 4}, // 1|00|01
		{"000123", 3},
		{"0.5", 2},    // .50
		{"0.05", 2},   // .05
		{"1.25", 3},   // 1|.25
		{"120.5", 4},  // 1|20|.50
		{"120.50", 4}, //
		{"-1", 3},     // a minus sign costs a byte
		{"-12", 3},
		{"-123", 4},
		{"-100", 3},
		{"1e5", 2},                  // 10|00|00
		{"1E5", 2},                  //
		{"1.25E-3", 3},              // .00|12|50
		{"1700000000000000000", 3},  // 1|70|00...
		{"4102444800000000000", 6},  // 4|10|24|44|80|00...
		{"4102444801", 6},           // 41|02|44|48|01
		{"4102444800123456789", 11}, //
		{"-4102444800123456789", 12},
		{strconv.FormatInt(math.MaxInt64, 10), 11},
		{strconv.FormatInt(math.MinInt64, 10), 12},
	}
	for _, tt := range tests {
		if got := numberSize(tt.n); got != tt.want {
			t.Errorf("numberSize(%q) = %d, want %d", tt.n, got, tt.want)
		}
	}
}

func TestItemSizeAddsNamesAndValues(t *testing.T) {
	n := defaultConfig().Names
	// token(5)+key(10) + data(4)+100 + expiry(6)+numberSize("1700000000000000001")=11 + ttl(3)+numberSize("1700000001")=6
	got := ItemSize(n, 10, 100, "1700000000000000001", "1700000001")
	if want := 5 + 10 + 4 + 100 + 6 + 11 + 3 + 6; got != want {
		t.Errorf("ItemSize = %d, want %d", got, want)
	}
	long := driver.Names{Table: "tbl", Token: "my token", Data: "a.b", Expiry: "e", TTL: "tt"}
	got = ItemSize(long, 0, 0, "0", "1")
	if want := 8 + 3 + 1 + 1 + 2 + 2; got != want {
		t.Errorf("ItemSize with custom names = %d, want %d", got, want)
	}
}

func TestCheckSizeRefusesOnlyOverTheLimit(t *testing.T) {
	if err := checkSize(MaxItemBytes); err != nil {
		t.Errorf("CheckSize(MaxItemBytes) = %v, want nil", err)
	}
	err := checkSize(MaxItemBytes + 1)
	if !errors.Is(err, ErrItemTooLarge) || !strings.Contains(err.Error(), "409601 bytes") {
		t.Errorf("CheckSize(MaxItemBytes+1) = %v, want ErrItemTooLarge giving the size", err)
	}
}

func TestMalformedErrorNamesTheAttribute(t *testing.T) {
	err := malformedError("expiry", "is missing")
	if !errors.Is(err, ErrMalformedItem) {
		t.Fatalf("%v does not match ErrMalformedItem", err)
	}
	for _, s := range []string{`"expiry"`, "is missing"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("%q does not contain %s", err, s)
		}
	}
}

func TestDefaultConfigIsTheSeedDefaults(t *testing.T) {
	c := defaultConfig()
	want := driver.Names{Table: "scs_session", Token: "token", Data: "data", Expiry: "expiry", TTL: "ttl"}
	if c.Names != want || !c.ConsistentRead || c.ScanSegments != 4 || c.Prefix != "" || c.Timeout != 10*time.Second {
		t.Errorf("DefaultConfig() = %+v", c)
	}
	if err := c.validate(); err != nil {
		t.Errorf("DefaultConfig().validate() = %v", err)
	}
}

func TestFillDefaultsReplacesOnlyEmptyNames(t *testing.T) {
	n := driver.Names{Data: "payload", TTL: "expires_at"}
	fillDefaults(&n)
	want := driver.Names{Table: "scs_session", Token: "token", Data: "payload", Expiry: "expiry", TTL: "expires_at"}
	if n != want {
		t.Errorf("fillDefaults = %+v, want %+v", n, want)
	}
}

func TestValidateAcceptsWhatDynamoDBAccepts(t *testing.T) {
	tests := []struct {
		name string
		edit func(*config)
	}{
		{"reserved words and odd characters", func(c *config) {
			c.Token, c.Data, c.Expiry, c.TTL = "key", "name", "a.b", "my data"
		}},
		{"shortest table name", func(c *config) { c.Table = "abc" }},
		{"longest table name", func(c *config) { c.Table = strings.Repeat("a", 255) }},
		{"table name of every allowed character", func(c *config) { c.Table = "azAZ09_-." }},
		{"255-byte token name", func(c *config) { c.Token = strings.Repeat("t", 255) }},
		{"64 KB data name", func(c *config) { c.Data = strings.Repeat("d", 64*1024) }},
		{"prefix of 2047 bytes", func(c *config) { c.Prefix = strings.Repeat("p", 2047) }},
		{"one scan segment", func(c *config) { c.ScanSegments = 1 }},
		{"most scan segments", func(c *config) { c.ScanSegments = MaxScanSegments }},
		{"1,000 scan segments", func(c *config) { c.ScanSegments = 1000 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := defaultConfig()
			tt.edit(&c)
			if err := c.validate(); err != nil {
				t.Errorf("Validate() = %v, want nil", err)
			}
		})
	}
}

func TestValidateRefusesEachInvalidSetting(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*config)
		mention string
	}{
		{"table name too short", func(c *config) { c.Table = "ab" }, "3 to 255"},
		{"empty table name", func(c *config) { c.Table = "" }, "3 to 255"},
		{"table name too long", func(c *config) { c.Table = strings.Repeat("a", 256) }, "3 to 255"},
		{"table name with a space", func(c *config) { c.Table = "my table" }, "may hold only"},
		{"table name with a non-ASCII letter", func(c *config) { c.Table = "tablé" }, "may hold only"},
		{"empty token name", func(c *config) { c.Token = "" }, "token attribute name is empty"},
		{"empty data name", func(c *config) { c.Data = "" }, "data attribute name is empty"},
		{"empty expiry name", func(c *config) { c.Expiry = "" }, "expiry attribute name is empty"},
		{"empty ttl name", func(c *config) { c.TTL = "" }, "ttl attribute name is empty"},
		{"token name over 255 bytes", func(c *config) { c.Token = strings.Repeat("t", 256) }, "longer than 255"},
		{"data name over 64 KB", func(c *config) { c.Data = strings.Repeat("d", 64*1024+1) }, "longer than 65536"},
		{"invalid UTF-8 name", func(c *config) { c.Expiry = "e\xff" }, "not valid UTF-8"},
		{"two attributes with one name", func(c *config) { c.TTL = "expiry" }, `both named "expiry"`},
		{"token and data with one name", func(c *config) { c.Data = "token" }, `both named "token"`},
		{"prefix of 2048 bytes", func(c *config) { c.Prefix = strings.Repeat("p", 2048) }, "token prefix"},
		{"prefix not UTF-8", func(c *config) { c.Prefix = "\xff" }, "token prefix"},
		{"zero scan segments", func(c *config) { c.ScanSegments = 0 }, "scan segments"},
		{"too many scan segments", func(c *config) { c.ScanSegments = MaxScanSegments + 1 }, "scan segments"},
		{"1,001 scan segments", func(c *config) { c.ScanSegments = 1001 }, "between 1 and 1000"},
		{"a million scan segments", func(c *config) { c.ScanSegments = 1_000_000 }, "between 1 and 1000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := defaultConfig()
			tt.edit(&c)
			err := c.validate()
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("Validate() = %v, want ErrInvalidConfig", err)
			}
			if !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("Validate() = %q, want it to mention %q", err, tt.mention)
			}
		})
	}
}

func TestCheckKeySchemaIgnoresStatus(t *testing.T) {
	n := defaultConfig().Names
	tbl := driver.Table{
		Status: "CREATING",
		Keys:   []string{"token"},
		Types:  map[string]string{"token": "S"},
	}
	if err := checkKeySchema(n, tbl); err != nil {
		t.Errorf("CheckKeySchema = %v, want nil", err)
	}
	tbl.Types["token"] = "N"
	if err := checkKeySchema(n, tbl); !errors.Is(err, ErrTableNotReady) {
		t.Errorf("CheckKeySchema = %v, want ErrTableNotReady", err)
	}
}
