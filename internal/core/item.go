package core

// The rules of a session item that do not depend on a request: the store's
// configuration and its validation, which tokens can be keys, how the expiry
// is written and read, and how large an item is. Both store packages build on
// them, so the two agree on every item they write.

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/alexedwards/scs/v2"

	"github.com/scs-stores/dynamostore/internal/core/driver"
)

// MaxItemBytes is DynamoDB's largest item: attribute names and values
// together.
const MaxItemBytes = 400 * 1024

// MaxScanSegments is the most segments a store divides its Scans into.
// DynamoDB allows up to 1,000,000, but every segment costs at least one
// request, even on an empty table, so more would only cost more.
const MaxScanSegments = 1000

// Limits that DynamoDB sets.
const (
	// maxKeyBytes is the largest partition key value, in UTF-8 bytes.
	maxKeyBytes = 2048
	// maxKeyNameBytes is the longest name of a key attribute.
	maxKeyNameBytes = 255
	// maxNameBytes is the longest name of any other attribute.
	maxNameBytes = 64 * 1024
)

// DefaultTimeout is the default bound on each DynamoDB request: long enough
// for the SDK to retry a throttled or lost request a few times, short enough
// that a stalled DynamoDB fails a web request rather than hanging it.
const DefaultTimeout = 10 * time.Second

// Errors shared by both store packages, which re-export them, so that
// errors.Is matches whichever package returned them. The store wraps them
// naming the operation and the table, and says "dynamostore:" once.
var (
	ErrInvalidToken  = errors.New("dynamostore: token cannot be a DynamoDB key (empty, over 2048 bytes with its prefix, or not valid UTF-8)")
	ErrItemTooLarge  = errors.New("dynamostore: session item is larger than DynamoDB's 400 KB item limit")
	ErrMalformedItem = errors.New("dynamostore: malformed session item")
	ErrInvalidConfig = errors.New("dynamostore: invalid configuration")
	ErrTableNotReady = errors.New("dynamostore: session table is not ready")
)

// ErrSessionDeleted is returned, wrapped, by a Commit that a store with
// delete-wins on refused: the session was found by the store's Find and has
// been deleted since.
var ErrSessionDeleted = errors.New("dynamostore: session was deleted before its commit")

// config is a store's whole configuration.
type config struct {
	driver.Names
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
	// DeleteWins makes Commit refuse to recreate a session that the store
	// found and that has been deleted since.
	DeleteWins bool
	// TouchInterval, above zero, lets Commit skip a session whose content is
	// unchanged and whose expiry moved forward by less than it.
	TouchInterval time.Duration
	// Codec decodes session data, to tell a changed content from the same
	// content encoded anew; nil stands for SCS's gob codec.
	Codec scs.Codec
	// MemoryEntries and MemoryBytes bound what a store remembers between a
	// Find and its Commit; zero or less stands for the default.
	MemoryEntries int
	MemoryBytes   int64
}

// defaultConfig returns the configuration of a store made with no options:
// the names of the SCS v1 DynamoDB store.
func defaultConfig() config {
	return config{
		Names: driver.Names{
			Table:  "scs_session",
			Token:  "token",
			Data:   "data",
			Expiry: "expiry",
			TTL:    "ttl",
		},
		ConsistentRead: true,
		ScanSegments:   4,
		Timeout:        DefaultTimeout,
	}
}

// fillDefaults replaces each empty name in n with its default.
func fillDefaults(n *driver.Names) {
	d := defaultConfig().Names
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

// validate reports the first thing DynamoDB would refuse in c, or more scan
// segments than MaxScanSegments, wrapped around ErrInvalidConfig, or nil when
// c is usable.
func (c config) validate() error {
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
	if !utf8.ValidString(c.Prefix) || len(c.Prefix) >= maxKeyBytes {
		return fmt.Errorf("%w: token prefix must be valid UTF-8 and shorter than %d bytes", ErrInvalidConfig, maxKeyBytes)
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

// keyOf returns the partition key that stores token: the token behind the
// prefix. It reports false when DynamoDB cannot hold that as a key: when the
// token is empty, is not valid UTF-8, or makes the key longer than
// 2048 bytes, DynamoDB's largest key.
func keyOf(prefix, token string) (string, bool) {
	if token == "" || len(prefix)+len(token) > maxKeyBytes || !utf8.ValidString(token) {
		return "", false
	}
	return prefix + token, true
}

// tokenFromKey returns the token stored under key, and false when key does
// not start with prefix (an item of another app sharing the table).
func tokenFromKey(prefix, key string) (string, bool) {
	token, ok := strings.CutPrefix(key, prefix)
	return token, ok && token != ""
}

// expiryNanos returns expiry as Unix nanoseconds, as the expiry attribute
// holds it, clamped to the int64 range: from 1677-09-21T00:12:43.145224192Z
// to 2262-04-11T23:47:16.854775807Z.
func expiryNanos(expiry time.Time) int64 {
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
	ns := expiryNanos(expiry)
	secs := ns / 1e9
	if ns%1e9 < 0 {
		secs-- // round towards the past, as Unix time does
	}
	return strconv.FormatInt(ns, 10), strconv.FormatInt(secs+1, 10)
}

// decodeExpiry parses the expiry attribute's number as Unix nanoseconds. It
// accepts integers and, for items written by other tools, decimal or
// exponent forms, clamped to the int64 range.
func decodeExpiry(n string) (int64, error) {
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

// isExpired reports whether an item with expiry expiryNanos has expired at now.
// An item expires at its expiry instant.
func isExpired(expiryNanos int64, now time.Time) bool {
	return expiryNanos <= now.UnixNano()
}

// malformedError returns the error, wrapping ErrMalformedItem, for an item
// whose attribute attr is missing or of the wrong kind. It names the
// attribute, never the token; the store adds the operation and the table.
func malformedError(attr, problem string) error {
	return fmt.Errorf("%w: attribute %q %s", ErrMalformedItem, attr, problem)
}

// ItemSize returns the size DynamoDB counts for a session item with a key of
// keyBytes, data of dataBytes and the given expiry and ttl numbers: every
// attribute's name plus its value.
func ItemSize(n driver.Names, keyBytes, dataBytes int, expiryN, ttlN string) int {
	return len(n.Token) + keyBytes +
		len(n.Data) + dataBytes +
		len(n.Expiry) + numberSize(expiryN) +
		len(n.TTL) + numberSize(ttlN)
}

// numberSize returns the bytes DynamoDB counts for the number n, as measured
// on DynamoDB Local: one byte per base-100 digit (a pair of decimal digits
// aligned on the decimal point) from the first non-zero pair to the last,
// plus one byte, plus one for a negative number. So 1000 (10|00) counts 2
// bytes, 1001 (10|01) 3, and 120.5 (1|20|.50) 4. A number whose significant
// digits straddle a pair boundary counts one byte more than half its
// significant digits suggest.
func numberSize(n string) int {
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

// checkSize returns an error wrapping ErrItemTooLarge when size is over
// MaxItemBytes; the store adds the operation and the table.
func checkSize(size int) error {
	if size > MaxItemBytes {
		return fmt.Errorf("%w: the item would be %d bytes, over the limit of %d", ErrItemTooLarge, size, MaxItemBytes)
	}
	return nil
}
