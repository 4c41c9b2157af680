package testenv

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// DefaultPrefix starts every table name that TableName returns when
// DYNAMODB_TEST_PREFIX is not set.
//
// Tests delete the tables they create, but a run that is cut off (a killed
// process, a lost connection) leaves its tables behind. On AWS they cost
// storage until deleted. List and delete them by prefix with the AWS CLI:
//
//	aws dynamodb list-tables --output text \
//	  --query "TableNames[?starts_with(@, 'dynamostore_test_')]"
//	for t in $(aws dynamodb list-tables --output text \
//	  --query "TableNames[?starts_with(@, 'dynamostore_test_')]"); do
//	  aws dynamodb delete-table --table-name "$t"; done
//
// Give concurrent runs in one account different prefixes, so that one run's
// cleanup never deletes another's tables.
const DefaultPrefix = "dynamostore_test_"

// maxTableName is DynamoDB's limit on the length of a table name.
const maxTableName = 255

// Prefix returns DYNAMODB_TEST_PREFIX, or DefaultPrefix when it is unset or
// empty (an empty prefix would make cleanup by prefix match every table), and
// an error when it holds a character DynamoDB does not allow in a table name
// or is longer than 128 bytes.
func Prefix() (string, error) {
	p := os.Getenv(PrefixVar)
	if p == "" {
		return DefaultPrefix, nil
	}
	if len(p) > 128 {
		return "", fmt.Errorf("%s is %d bytes long; at most 128 leave room for the test's name", PrefixVar, len(p))
	}
	for _, r := range p {
		if !tableRune(r) {
			return "", fmt.Errorf("%s=%q: table names allow only a-z, A-Z, 0-9, '_', '-' and '.', not %q", PrefixVar, p, r)
		}
	}
	return p, nil
}

// tableRune reports whether DynamoDB allows r in a table name.
func tableRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.'
}

// runID tells this process's tables from those of other processes that run
// the same tests at the same time (both packages' suites, other engineers).
var runID = sync.OnceValue(func() string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return strconv.Itoa(os.Getpid())
	}
	return hex.EncodeToString(b)
})

var tableSeq atomic.Int64

// TableName returns a valid table name, unique to this call, made of the
// prefix (see Prefix), the test's name with characters DynamoDB does not
// allow replaced by '_' and cut short if need be, an id of this process and
// a sequence number. The name is at most 255 bytes long. An invalid
// DYNAMODB_TEST_PREFIX fails the test.
func TableName(t testing.TB) string {
	t.Helper()
	prefix, err := Prefix()
	if err != nil {
		t.Fatal(err)
	}
	return tableName(prefix, t.Name(), runID(), tableSeq.Add(1))
}

// tableName joins the parts of a table name; see TableName.
func tableName(prefix, test, run string, seq int64) string {
	suffix := fmt.Sprintf("_%s_%d", run, seq)
	var b strings.Builder
	for _, r := range test {
		if tableRune(r) && r < 0x80 {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	name := b.String()
	if room := maxTableName - len(prefix) - len(suffix); len(name) > room {
		name = name[:room]
	}
	return prefix + name + suffix
}

// HasPrefix reports whether name is one that TableName could have returned
// under the current prefix: a cleanup tool may delete such tables.
func HasPrefix(name string) bool {
	p, err := Prefix()
	return err == nil && strings.HasPrefix(name, p)
}
