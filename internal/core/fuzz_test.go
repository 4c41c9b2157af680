package core

import (
	"math"
	"math/big"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzKey checks Key and TokenFromKey on any prefix and token: no panic; a
// key is given exactly for a non-empty, valid UTF-8 token that fits in
// MaxKeyBytes behind its prefix; and the token comes back from the key.
func FuzzKey(f *testing.F) {
	f.Add("", "tok")
	f.Add("", "")
	f.Add("app:", "tok")
	f.Add("app:", strings.Repeat("a", 2044))
	f.Add("app:", strings.Repeat("a", 2045))
	f.Add("", strings.Repeat("é", 1024))
	f.Add("", "\xff\xfe")
	f.Add("", "tok\x00\n")
	f.Add("\xff", "tok")
	f.Add("p", "p")
	f.Fuzz(func(t *testing.T, prefix, token string) {
		key, ok := keyOf(prefix, token)
		want := token != "" && utf8.ValidString(token) && len(prefix)+len(token) <= maxKeyBytes
		if ok != want {
			t.Fatalf("keyOf(%q, %q) ok = %v, want %v", prefix, token, ok, want)
		}
		if !ok {
			if key != "" {
				t.Fatalf("keyOf(%q, %q) = %q with ok false", prefix, token, key)
			}
			return
		}
		if key != prefix+token || len(key) > maxKeyBytes || key == "" {
			t.Fatalf("keyOf(%q, %q) = %q", prefix, token, key)
		}
		if utf8.ValidString(prefix) && !utf8.ValidString(key) {
			t.Fatalf("keyOf(%q, %q) = %q, not valid UTF-8", prefix, token, key)
		}
		if got, ok := tokenFromKey(prefix, key); !ok || got != token {
			t.Fatalf("TokenFromKey(%q, %q) = %q, %v; want %q, true", prefix, key, got, ok, token)
		}
	})
}

// FuzzTokenFromKey checks that TokenFromKey never panics, and returns a
// non-empty token only for a key that starts with the prefix.
func FuzzTokenFromKey(f *testing.F) {
	f.Add("app:", "app:tok")
	f.Add("app:", "app:")
	f.Add("app:", "other:tok")
	f.Add("", "tok")
	f.Fuzz(func(t *testing.T, prefix, key string) {
		token, ok := tokenFromKey(prefix, key)
		if ok != (strings.HasPrefix(key, prefix) && len(key) > len(prefix)) {
			t.Fatalf("TokenFromKey(%q, %q) ok = %v", prefix, key, ok)
		}
		if ok && prefix+token != key {
			t.Fatalf("TokenFromKey(%q, %q) = %q", prefix, key, token)
		}
	})
}

// FuzzExpiry checks EncodeExpiry and DecodeExpiry on any instant: the
// expiry number reads back as the instant's Unix nanoseconds (clamped to
// int64), the ttl is the expiry's Unix second plus one, so never earlier
// than the expiry, and both numbers have a positive size.
func FuzzExpiry(f *testing.F) {
	f.Add(int64(0), int64(0))
	f.Add(int64(1700000000), int64(123456789))
	f.Add(int64(-1), int64(1))
	f.Add(int64(-62135596800), int64(0)) // the zero time.Time
	f.Add(int64(253402300799), int64(999999999))
	f.Add(int64(math.MaxInt64/int64(time.Second)), int64(math.MaxInt64%int64(time.Second)))
	f.Add(int64(math.MinInt64/int64(time.Second)), int64(math.MinInt64%int64(time.Second)))
	f.Add(int64(math.MaxInt64), int64(-1))
	f.Fuzz(func(t *testing.T, sec, nsec int64) {
		at := time.Unix(sec, nsec)
		expiryN, ttlN := EncodeExpiry(at)
		ns, err := decodeExpiry(expiryN)
		if err != nil || ns != expiryNanos(at) {
			t.Fatalf("DecodeExpiry(%q) = %d, %v; want %d", expiryN, ns, err, expiryNanos(at))
		}
		// ExpiryNanos is exact within int64's range, up to its last
		// nanosecond at either end (the fuzzer once found it clamping the
		// last two seconds), and clamped outside.
		exact := new(big.Int).Add(new(big.Int).Mul(big.NewInt(at.Unix()), big.NewInt(1e9)), big.NewInt(int64(at.Nanosecond())))
		if exact.IsInt64() && exact.Int64() != ns {
			t.Fatalf("ExpiryNanos(%v) = %d, want %s", at, ns, exact)
		}
		if !exact.IsInt64() && ns != math.MaxInt64 && ns != math.MinInt64 {
			t.Fatalf("ExpiryNanos(%v) = %d for an instant out of range, want a clamp", at, ns)
		}
		ttl, err := strconv.ParseInt(ttlN, 10, 64)
		if err != nil {
			t.Fatalf("ttl %q: %v", ttlN, err)
		}
		// ttl-1 is the expiry's Unix second, rounded down.
		floor := new(big.Int).Div(big.NewInt(ns), big.NewInt(1e9)) // Euclidean: rounds down
		if floor.Int64() != ttl-1 {
			t.Fatalf("ttl = %d for expiry %d ns, want %d", ttl, ns, floor.Int64()+1)
		}
		if new(big.Int).Mul(big.NewInt(ttl), big.NewInt(1e9)).Cmp(big.NewInt(ns)) <= 0 {
			t.Fatalf("ttl %d s is not after the expiry %d ns", ttl, ns)
		}
		if numberSize(expiryN) < 1 || numberSize(ttlN) < 1 {
			t.Fatalf("numberSize(%q) = %d, numberSize(%q) = %d", expiryN, numberSize(expiryN), ttlN, numberSize(ttlN))
		}
	})
}

// FuzzDecodeExpiry checks that DecodeExpiry never panics, reads every
// integer exactly, and clamps every other number it accepts to int64.
func FuzzDecodeExpiry(f *testing.F) {
	for _, s := range []string{"0", "-1", "1700000000000000000", "1.7e18", "1e300", "-1e300", "NaN", "Inf", "", "abc", "0x10", "1_000", " 1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ns, err := decodeExpiry(s)
		if i, perr := strconv.ParseInt(s, 10, 64); perr == nil && (err != nil || ns != i) {
			t.Fatalf("DecodeExpiry(%q) = %d, %v; want %d", s, ns, err, i)
		}
		if fl, perr := strconv.ParseFloat(s, 64); perr != nil && err == nil {
			if _, ierr := strconv.ParseInt(s, 10, 64); ierr != nil {
				t.Fatalf("DecodeExpiry(%q) = %d, accepting what is not a number", s, ns)
			}
		} else if perr == nil && !math.IsNaN(fl) && err != nil {
			t.Fatalf("DecodeExpiry(%q) = %v, refusing the number %v", s, err, fl)
		}
	})
}

// FuzzItemSize checks numberSize and ItemSize: no panic on any number; a
// positive size for every number DynamoDB could hold, one more for its
// negative; and an item size that grows by exactly one byte per byte of data
// and of key.
func FuzzItemSize(f *testing.F) {
	f.Add("1700000000000000000", uint32(0), uint32(43))
	f.Add("0", uint32(1), uint32(1))
	f.Add("-4102444800123456789", uint32(409000), uint32(2048))
	f.Add("1.25E-3", uint32(7), uint32(9))
	f.Add("1e126", uint32(0), uint32(1))
	f.Add("9.9999999999999999999999999999999999999e125", uint32(0), uint32(1))
	f.Add("1e-130", uint32(0), uint32(1))
	f.Fuzz(func(t *testing.T, n string, dataBytes, keyBytes uint32) {
		size := numberSize(n) // must not panic, whatever n is
		if !dynamoNumber(n) {
			return
		}
		if size < 1 || size > 21 {
			t.Fatalf("numberSize(%q) = %d, want 1 to 21", n, size)
		}
		if !strings.HasPrefix(n, "-") && !strings.HasPrefix(n, "+") {
			if neg := numberSize("-" + n); neg != size+1 {
				t.Fatalf("numberSize(-%q) = %d, want %d", n, neg, size+1)
			}
		}
		names := defaultConfig().Names
		d, k := int(dataBytes%(1<<20)), int(keyBytes%4096)
		base := ItemSize(names, k, d, n, n)
		if got := ItemSize(names, k, d+1, n, n); got != base+1 {
			t.Fatalf("ItemSize with %d data bytes = %d, with one more = %d", d, base, got)
		}
		if got := ItemSize(names, k+1, d, n, n); got != base+1 {
			t.Fatalf("ItemSize with %d key bytes = %d, with one more = %d", k, base, got)
		}
		if base < k+d+len(names.Token)+len(names.Data)+len(names.Expiry)+len(names.TTL)+2 {
			t.Fatalf("ItemSize = %d, less than its names, key, data and two numbers", base)
		}
	})
}

// dynamoNumber reports whether n is a number DynamoDB accepts: a decimal
// with at most 38 significant digits, and a magnitude of zero or from 1e-130
// to below 1e126.
func dynamoNumber(n string) bool {
	if n == "" || strings.TrimLeft(n, "+-0123456789.eE") != "" {
		return false
	}
	if _, exp, ok := strings.Cut(strings.ToLower(n), "e"); ok {
		// Keep big.Rat from building a power of ten of any size.
		if e, err := strconv.Atoi(exp); err != nil || e < -1000 || e > 1000 {
			return false
		}
	}
	r, ok := new(big.Rat).SetString(n)
	if !ok {
		return false
	}
	if r.Sign() == 0 {
		return true
	}
	mant, _, _ := strings.Cut(strings.ToLower(strings.TrimLeft(n, "+-")), "e")
	digits := strings.Trim(strings.Replace(mant, ".", "", 1), "0")
	if len(digits) > 38 {
		return false
	}
	abs := new(big.Rat).Abs(r)
	lo, _ := new(big.Rat).SetString("1e-130")
	hi, _ := new(big.Rat).SetString("1e126")
	return abs.Cmp(lo) >= 0 && abs.Cmp(hi) < 0
}
