package drivertest

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/scs-stores/dynamostore/internal/core"
	"github.com/scs-stores/dynamostore/internal/testsuite/testenv"
)

// FuzzRoundTrip is the body of each package's FuzzCommitFindDelete: it
// round-trips any token, data and expiry through the package's store on the
// engine, on a table of its own. Commit either stores the session or refuses
// it with ErrInvalidToken or ErrItemTooLarge exactly when the core's Key and
// ItemSize say so, without the token in the error; Find then returns the data when the
// session is live and nothing when it has expired; Delete removes it. Data
// over 64 KB is skipped (the suite tests sizes up to the limit), so that the
// fuzzer's minimizing stays fast.
//
// The seeds run with the package's other tests; a corpus committed under
// the package's testdata/fuzz/FuzzCommitFindDelete runs too. Fuzz it with
//
//	scripts/ddblocal.sh -- go test -run '^$' -fuzz FuzzCommitFindDelete -fuzztime 60s .
func FuzzRoundTrip(f *testing.F, h Harness) {
	testenv.Endpoint(f) // skip, or fail under CI, without an engine
	x := &H{Harness: h}
	f.Cleanup(x.close)
	const prefix = "fz:"
	s := x.Store(f, x.Client(f), core.WithTable(x.NewTable(f)), core.WithTokenPrefix(prefix))
	f.Add("tok", []byte("data"), int64(3600_000))
	f.Add("", []byte("data"), int64(3600_000))
	f.Add("\xff", []byte(nil), int64(3600_000))
	f.Add("tok\x00\x01", []byte{}, int64(-1000))
	f.Add(strings.Repeat("a", 2045), []byte{0}, int64(1<<62))
	f.Add(strings.Repeat("a", 2046), []byte{0}, int64(-1<<62))
	f.Add("big", bytes.Repeat([]byte{1}, 64<<10), int64(60_000))
	f.Fuzz(func(t *testing.T, token string, data []byte, lifeMillis int64) {
		if len(data) > 64<<10 {
			t.Skip("data over 64 KB")
		}
		now := time.Now()
		expiry := now.Add(time.Duration(lifeMillis) * time.Millisecond)
		err := s.Commit(token, data, expiry)
		// DynamoDB's rule for a string key: not empty, valid UTF-8, at most
		// 2048 bytes.
		key := prefix + token
		keyOK := token != "" && utf8.ValidString(token) && len(key) <= 2048
		expiryN, ttlN := core.EncodeExpiry(expiry)
		tooLarge := keyOK && core.ItemSize(defaultNames, len(key), len(data), expiryN, ttlN) > core.MaxItemBytes
		switch {
		case !keyOK:
			if !errors.Is(err, core.ErrInvalidToken) {
				t.Fatalf("Commit of an invalid token = %v, want ErrInvalidToken", err)
			}
		case tooLarge:
			if !errors.Is(err, core.ErrItemTooLarge) {
				t.Fatalf("Commit of %d bytes = %v, want ErrItemTooLarge", len(data), err)
			}
		case err != nil:
			t.Fatalf("Commit: %v", err)
		}
		if err != nil {
			if len(token) >= 6 && strings.Contains(err.Error(), token) {
				t.Fatalf("error holds the token: %v", err)
			}
			return
		}
		b, found, err := s.Find(token)
		if err != nil {
			t.Fatalf("Find: %v", err)
		}
		switch {
		case !expiry.After(now):
			if found {
				t.Fatalf("Find of a session that expired at %v = found", expiry)
			}
		case expiry.After(time.Now().Add(time.Minute)):
			if !found || !bytes.Equal(b, data) {
				t.Fatalf("Find = %d bytes, %v; want the %d bytes committed", len(b), found, len(data))
			}
		}
		if err := s.Delete(token); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if _, found, err := s.Find(token); err != nil || found {
			t.Fatalf("Find after Delete = %v, %v", found, err)
		}
	})
}
