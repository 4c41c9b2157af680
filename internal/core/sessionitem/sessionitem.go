// Package sessionitem holds the rules of a session item in DynamoDB that do
// not depend on an AWS SDK: the store's configuration and its validation,
// which tokens can be keys, how the expiry is written and read, and how large
// an item is. Both dynamostore (aws-sdk-go) and dynamostore/awsv2
// (aws-sdk-go-v2) build on it, so the two agree on every item they write.
package sessionitem

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits that DynamoDB sets.
const (
	// MaxKeyBytes is the largest partition key value, in UTF-8 bytes.
	MaxKeyBytes = 2048
	// MaxItemBytes is the largest item: attribute names and values together.
	MaxItemBytes = 400 * 1024
	// maxKeyNameBytes is the longest name of a key attribute.
	maxKeyNameBytes = 255
	// maxNameBytes is the longest name of any other attribute.
	maxNameBytes = 64 * 1024
	// MaxScanSegments is the most segments a parallel Scan may have.
	MaxScanSegments = 1000000
)

// Defaults of the store, the same as the SCS v1 DynamoDB store's.
const (
	DefaultTable        = "scs_session"
	DefaultToken        = "token"
	DefaultData         = "data"
	DefaultExpiry       = "expiry"
	DefaultTTL          = "ttl"
	DefaultScanSegments = 4
)

// DefaultTimeout is the default bound on each DynamoDB request: long enough
// for the SDK to retry a throttled or lost request a few times, short enough
// that a stalled DynamoDB fails a web request rather than hanging it.
const DefaultTimeout = 10 * time.Second

// Errors shared by both store packages, which re-export them, so that
// errors.Is matches whichever package returned them.
var (
	ErrInvalidToken  = errors.New("dynamostore: token cannot be a DynamoDB key (empty, over 2048 bytes with its prefix, or not valid UTF-8)")
	ErrItemTooLarge  = errors.New("dynamostore: session item is larger than DynamoDB's 400 KB item limit")
	ErrMalformedItem = errors.New("dynamostore: malformed session item")
	ErrInvalidConfig = errors.New("dynamostore: invalid configuration")
	ErrTableNotReady = errors.New("dynamostore: session table is not ready")
)

// Names are the table and attribute names a store uses.
type Names struct {
	Table, Token, Data, Expiry, TTL string
}

// Config is a store's whole configuration.
type Config struct {
	Names
	// Prefix is put in front of every token in the table, so that several
	// apps can share one table.
	Prefix string
	// ConsistentRead makes Find and All strongly consistent.
	ConsistentRead bool
	// ScanSegments is how many segments All and DeleteExpired divide
	// their Scan into; at most MaxParallelSegments are read at a time.
	ScanSegments int
	// Timeout bounds each DynamoDB request a store sends, the SDK's retries
	// included; zero or less sets no bound.
	Timeout time.Duration
}

// DefaultConfig returns the configuration of a store made with no options.
func DefaultConfig() Config {
	return Config{
		Names: Names{
			Table:  DefaultTable,
			Token:  DefaultToken,
			Data:   DefaultData,
			Expiry: DefaultExpiry,
			TTL:    DefaultTTL,
		},
		ConsistentRead: true,
		ScanSegments:   DefaultScanSegments,
		Timeout:        DefaultTimeout,
	}
}

// FillDefaults replaces each empty name with its default.
func (n *Names) FillDefaults() {
	d := DefaultConfig().Names
	for _, p := range []struct {
		v   *string
		def string
	}{
		{&n.Table, d.Table}, {&n.Token, d.Token}, {&n.Data, d.Data},
		{&n.Expiry, d.Expiry}, {&n.TTL, d.TTL},
	} {
		if *p.v == "" {
			*p.v = p.def
		}
	}
}

// Validate reports the first thing DynamoDB would refuse in c, wrapped around
// ErrInvalidConfig, or nil when c is usable.
func (c Config) Validate() error {
	if err := validTableName(c.Table); err != nil {
		return err
	}
	attrs := []struct {
		role, name string
		max        int
	}{
		{"token", c.Token, maxKeyNameBytes},
		{"data", c.Data, maxNameBytes},
		{"expiry", c.Expiry, maxNameBytes},
		{"ttl", c.TTL, maxNameBytes},
	}
	seen := make(map[string]string, len(attrs))
	for _, a := range attrs {
		switch {
		case a.name == "":
			return fmt.Errorf("%w: %s attribute name is empty", ErrInvalidConfig, a.role)
		case len(a.name) > a.max:
			return fmt.Errorf("%w: %s attribute name is longer than %d bytes", ErrInvalidConfig, a.role, a.max)
		case !utf8.ValidString(a.name):
			return fmt.Errorf("%w: %s attribute name is not valid UTF-8", ErrInvalidConfig, a.role)
		}
		if other, dup := seen[a.name]; dup {
			return fmt.Errorf("%w: %s and %s attributes are both named %q", ErrInvalidConfig, other, a.role, a.name)
		}
		seen[a.name] = a.role
	}
	if !utf8.ValidString(c.Prefix) || len(c.Prefix) >= MaxKeyBytes {
		return fmt.Errorf("%w: token prefix must be valid UTF-8 and shorter than %d bytes", ErrInvalidConfig, MaxKeyBytes)
	}
	if c.ScanSegments < 1 || c.ScanSegments > MaxScanSegments {
		return fmt.Errorf("%w: scan segments must be between 1 and %d, not %d", ErrInvalidConfig, MaxScanSegments, c.ScanSegments)
	}
	return nil
}

// validTableName checks DynamoDB's rules for table names: 3 to 255
// characters of a-z, A-Z, 0-9, '_', '-' and '.'.
func validTableName(name string) error {
	if len(name) < 3 || len(name) > 255 {
		return fmt.Errorf("%w: table name %q must be 3 to 255 characters long", ErrInvalidConfig, name)
	}
	for _, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			r == '_' || r == '-' || r == '.'
		if !ok {
			return fmt.Errorf("%w: table name %q may hold only a-z, A-Z, 0-9, '_', '-' and '.'", ErrInvalidConfig, name)
		}
	}
	return nil
}

// Key returns the partition key that stores token: the token behind the
// prefix. It reports false when DynamoDB cannot hold that as a key: when the
// token is empty, is not valid UTF-8, or makes the key longer than
// MaxKeyBytes.
func Key(prefix, token string) (string, bool) {
	if token == "" || len(prefix)+len(token) > MaxKeyBytes || !utf8.ValidString(token) {
		return "", false
	}
	return prefix + token, true
}

// TokenFromKey returns the token stored under key, and false when key does
// not start with prefix (an item of another app sharing the table).
func TokenFromKey(prefix, key string) (string, bool) {
	token, ok := strings.CutPrefix(key, prefix)
	return token, ok && token != ""
}

// ExpiryNanos returns expiry as Unix nanoseconds, as the expiry attribute
// holds it, clamped to the int64 range: from 1677-09-21T00:12:43.145224192Z
// to 2262-04-11T23:47:16.854775807Z.
func ExpiryNanos(expiry time.Time) int64 {
	switch {
	case expiry.Before(minExpiry):
		return math.MinInt64
	case expiry.After(maxExpiry):
		return math.MaxInt64
	}
	return expiry.UnixNano()
}

// The first and last instants whose Unix nanoseconds fit an int64.
var (
	minExpiry = time.Unix(0, math.MinInt64)
	maxExpiry = time.Unix(0, math.MaxInt64)
)

// EncodeExpiry returns the values of the expiry attribute (Unix nanoseconds)
// and of the ttl attribute (Unix seconds, one second after the expiry
// rounded down, so never earlier than the expiry) as DynamoDB numbers.
func EncodeExpiry(expiry time.Time) (expiryN, ttlN string) {
	ns := ExpiryNanos(expiry)
	secs := ns / 1e9
	if ns%1e9 < 0 {
		secs-- // round towards the past, as Unix time does
	}
	return strconv.FormatInt(ns, 10), strconv.FormatInt(secs+1, 10)
}

// DecodeExpiry parses the expiry attribute's number as Unix nanoseconds. It
// accepts integers and, for items written by other tools, decimal or
// exponent forms, clamped to the int64 range.
func DecodeExpiry(n string) (int64, error) {
	if ns, err := strconv.ParseInt(n, 10, 64); err == nil {
		return ns, nil
	}
	f, err := strconv.ParseFloat(n, 64)
	if err != nil || math.IsNaN(f) {
		return 0, errors.New("is not a number")
	}
	switch {
	case f >= math.MaxInt64:
		return math.MaxInt64, nil
	case f <= math.MinInt64:
		return math.MinInt64, nil
	}
	return int64(f), nil
}

// Expired reports whether an item with expiry expiryNanos has expired at now.
// An item expires at its expiry instant.
func Expired(expiryNanos int64, now time.Time) bool {
	return expiryNanos <= now.UnixNano()
}

// MalformedError returns the error, wrapping ErrMalformedItem, for an item
// whose attribute attr is missing or of the wrong kind. It names the
// attribute, never the token; the store adds the operation and the table.
func MalformedError(attr, problem string) error {
	return fmt.Errorf("%w: attribute %q %s", ErrMalformedItem, attr, problem)
}

// ItemSize returns the size DynamoDB counts for a session item with a key of
// keyBytes, data of dataBytes and the given expiry and ttl numbers: every
// attribute's name plus its value.
func ItemSize(n Names, keyBytes, dataBytes int, expiryN, ttlN string) int {
	return len(n.Token) + keyBytes +
		len(n.Data) + dataBytes +
		len(n.Expiry) + NumberSize(expiryN) +
		len(n.TTL) + NumberSize(ttlN)
}

// NumberSize returns the bytes DynamoDB counts for the number n, as measured
// on DynamoDB Local: one byte per base-100 digit (a pair of decimal digits
// aligned on the decimal point) from the first non-zero pair to the last,
// plus one byte, plus one for a negative number. So 1000 (10|00) counts 2
// bytes, 1001 (10|01) 3, and 120.5 (1|20|.50) 4. A number whose significant
// digits straddle a pair boundary counts one byte more than half its
// significant digits suggest.
func NumberSize(n string) int {
	neg := strings.HasPrefix(n, "-")
	mant, exp, _ := strings.Cut(strings.ToLower(strings.TrimLeft(n, "+-")), "e")
	e := 0
	if exp != "" { // Atoi("") would allocate an error on every Commit
		e, _ = strconv.Atoi(exp)
	}
	whole, frac, _ := strings.Cut(mant, ".")
	digits := whole + frac
	point := len(whole) + e // the decimal point's place in digits
	trimmed := strings.TrimLeft(digits, "0")
	point -= len(digits) - len(trimmed)
	digits = strings.TrimRight(trimmed, "0")
	size := 1
	if digits != "" {
		// The pair of the digit at place i is floor((i-point)/2).
		first, last := (0-point)>>1, (len(digits)-1-point)>>1
		size += last - first + 1
	}
	if neg {
		size++
	}
	return size
}

// CheckSize returns an error wrapping ErrItemTooLarge when size is over
// MaxItemBytes; the store adds the operation and the table.
func CheckSize(size int) error {
	if size > MaxItemBytes {
		return fmt.Errorf("%w: the item would be %d bytes, over the limit of %d", ErrItemTooLarge, size, MaxItemBytes)
	}
	return nil
}
