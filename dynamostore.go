// Package dynamostore is a DynamoDB session store for SCS v2
// (github.com/alexedwards/scs/v2), built on aws-sdk-go (v1).
//
// It keeps each session as one item in a DynamoDB table:
//
//	token  (S, hash key)  the session token
//	data   (B)            the session data, as SCS encoded it
//	expiry (N)            when the session expires, in Unix nanoseconds
//	ttl    (N)            expiry plus one second, in Unix seconds, for DynamoDB's Time To Live
//
// This is the item format of the SCS v1 DynamoDB store, so a table written by
// that store keeps working. Find, Commit and Delete each cost one DynamoDB
// request; tokens that cannot be a DynamoDB key cost none, nor does a Commit
// that WithTouchInterval skips. Expired items are filtered out when read,
// since Time To Live deletion can lag by days. Each request is bounded (see
// WithTimeout), so a DynamoDB that stops answering fails a call rather than
// hanging it.
//
// The store keeps the data as SCS's Codec encodes it: a custom Codec is where
// session data gets encrypted or compressed. With SCS's HashTokenInStore, the
// table holds the SHA-256 of each token instead of the token, and All lists
// those hashes; SCS v2.9.0's Iterate then cannot change or destroy a session,
// since SCS hashes the listed hash again. A table shared by several apps
// needs a token prefix for each: see WithTokenPrefix.
//
// New code should use the awsv2 package (aws-sdk-go-v2): aws-sdk-go v1 has
// reached its end of support. Both share one implementation and one item
// format.
//
// A complete program:
//
//	package main
//
//	import (
//		"context"
//		"io"
//		"log"
//		"net/http"
//
//		"github.com/alexedwards/scs/v2"
//		"github.com/aws/aws-sdk-go/aws"
//		"github.com/aws/aws-sdk-go/aws/session"
//		"github.com/aws/aws-sdk-go/service/dynamodb"
//		"github.com/scs-stores/dynamostore"
//	)
//
//	func main() {
//		// Region and credentials from the usual AWS environment, ~/.aws/config included.
//		sess := session.Must(session.NewSessionWithOptions(session.Options{SharedConfigState: session.SharedConfigEnable}))
//		// A client pooled for 64 concurrent requests, with timeouts. It is given
//		// to the DynamoDB client, not the session: the session's other clients
//		// keep the SDK's defaults, and aws-sdk-go refuses a session whose
//		// client has a custom transport when AWS_CA_BUNDLE is set.
//		hc, err := dynamostore.NewHTTPClient(64)
//		if err != nil {
//			log.Fatal(err)
//		}
//		store, err := dynamostore.NewStore(dynamodb.New(sess, &aws.Config{HTTPClient: hc}))
//		if err != nil {
//			log.Fatal(err)
//		}
//		// Creates the table "scs_session" with Time To Live if it is missing.
//		if err := store.CreateTable(context.Background()); err != nil {
//			log.Fatal(err)
//		}
//		sessionManager := scs.New()
//		sessionManager.Store = store
//
//		mux := http.NewServeMux()
//		mux.HandleFunc("/put", func(w http.ResponseWriter, r *http.Request) {
//			sessionManager.Put(r.Context(), "message", "Hello from a session!")
//		})
//		mux.HandleFunc("/get", func(w http.ResponseWriter, r *http.Request) {
//			io.WriteString(w, sessionManager.GetString(r.Context(), "message"))
//		})
//		log.Fatal(http.ListenAndServe(":8080", sessionManager.LoadAndSave(mux)))
//	}
package dynamostore

//lint:file-ignore SA1019 aws-sdk-go v1 is what this package is for; see the awsv2 package for aws-sdk-go-v2.

import (
	"context"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/aws/aws-sdk-go/service/dynamodb"
	"github.com/aws/aws-sdk-go/service/dynamodb/dynamodbiface"

	"github.com/scs-stores/dynamostore/internal/core"
)

// Errors returned by the store. Match them with errors.Is; the same values
// are returned by the awsv2 package.
var (
	// ErrInvalidToken is returned by Commit for a token that DynamoDB cannot
	// hold as a key: empty, longer than 2048 bytes with the token prefix, or
	// not valid UTF-8. No request is sent for such a token.
	ErrInvalidToken = core.ErrInvalidToken
	// ErrItemTooLarge is returned by Commit, before any request is sent, for
	// an item over DynamoDB's 400 KB limit.
	ErrItemTooLarge = core.ErrItemTooLarge
	// ErrMalformedItem is returned by Find for an item whose expiry
	// attribute is missing or not a number, or an unexpired one whose data
	// attribute is missing or not binary; and by All for an unexpired item
	// whose data attribute is missing or not binary, or whose token
	// attribute is not a string (All's Scan skips the items without a
	// numeric expiry). Only an item written by something other than a store
	// can be malformed. It stays an error, since nothing that failed may read
	// as "not found": until such a session expires, every Find of it fails,
	// and SCS answers its cookie's requests with its ErrorFunc (a 500). To
	// recover, delete the item (its key is the token behind the token prefix)
	// or write it again whole; one with a ttl attribute also goes when
	// DynamoDB's Time To Live removes it.
	ErrMalformedItem = core.ErrMalformedItem
	// ErrInvalidConfig is returned by NewStore, and by every call of a store
	// made by New or NewWithOption, when the client is nil (a typed nil
	// included) or a table or attribute name or an option is one that
	// DynamoDB would refuse.
	ErrInvalidConfig = core.ErrInvalidConfig
	// ErrTableNotReady is returned by Ping and CreateTable when the table is
	// not ACTIVE or UPDATING (CreateTable waits while it is CREATING), or
	// its key schema is not the token attribute of type S; and by
	// CreateTable when Time To Live is on for another attribute or is being
	// disabled.
	ErrTableNotReady = core.ErrTableNotReady
)

// DefaultTimeout is the bound that a store puts on each DynamoDB request
// unless WithTimeout sets another.
const DefaultTimeout = core.DefaultTimeout

// DynamoStore is a session store for SCS v2 kept in a DynamoDB table. It is
// safe for concurrent use. Make one with New, NewWithOption or NewStore.
type DynamoStore struct {
	c *core.Store
}

var (
	_ scs.Store            = (*DynamoStore)(nil)
	_ scs.CtxStore         = (*DynamoStore)(nil)
	_ scs.IterableStore    = (*DynamoStore)(nil)
	_ scs.IterableCtxStore = (*DynamoStore)(nil)
)

// New returns a store that uses the table "scs_session" with the attributes
// "token", "data", "expiry" and "ttl". It creates no table: see CreateTable.
// A nil db does not panic: every call of the store then returns an error
// wrapping ErrInvalidConfig.
func New(db *dynamodb.DynamoDB) *DynamoStore {
	return NewWithOption(db, "", "", "", "", "")
}

// NewWithOption returns a store that uses the given table and attribute
// names; an empty name stands for its default. A nil db or a name DynamoDB
// would refuse does not panic: every call of the store then returns an error
// wrapping ErrInvalidConfig.
func NewWithOption(db *dynamodb.DynamoDB, table, token, data, expiry, ttl string) *DynamoStore {
	c, _ := core.New(newDriver(db), core.WithTable(table), core.WithAttributes(token, data, expiry, ttl))
	return &DynamoStore{c}
}

// NewStore returns a store on any DynamoDBAPI client, such as a
// *dynamodb.DynamoDB or an instrumented wrapper of one, configured by opts.
// It returns an error wrapping ErrInvalidConfig when client is nil (a typed
// nil included) or an option holds a value DynamoDB would refuse. It sends
// no request.
func NewStore(client dynamodbiface.DynamoDBAPI, opts ...Option) (*DynamoStore, error) {
	c, err := core.New(newDriver(client), opts...)
	if err != nil {
		return nil, err
	}
	return &DynamoStore{c}, nil
}

// Option configures a store made by NewStore. Make one with the With
// functions; options of the awsv2 package are the same type and work here
// too.
type Option = core.Option

// WithTable sets the table's name (default "scs_session"; empty keeps it).
func WithTable(name string) Option { return core.WithTable(name) }

// WithAttributes sets the names of the token (hash key), data, expiry and
// ttl attributes (default "token", "data", "expiry" and "ttl"). An empty name
// keeps its default.
func WithAttributes(token, data, expiry, ttl string) Option {
	return core.WithAttributes(token, data, expiry, ttl)
}

// WithConsistentRead sets whether Find and All read with strong consistency
// (default true). Eventually consistent reads cost half as much, but a Find
// right after a Commit may then miss it. DeleteExpired always reads
// eventually consistently.
func WithConsistentRead(consistent bool) Option { return core.WithConsistentRead(consistent) }

// WithTokenPrefix stores every token behind prefix, so that several apps can
// share one table. All and DeleteExpired then see only the sessions whose key
// begins with this prefix, and All returns their tokens without it. End the
// prefix with a separator ("shop:"), since "shop" would also match
// "shopping:" tokens.
//
// Prefixes isolate in one direction only. On a shared table every app needs
// a prefix, and no app's prefix may begin another's: a store with no prefix, or with "shop:"
// while another app uses "shop:admin:", lists the other app's sessions in All
// (as "shop:admin:<token>" or "admin:<token>"), and SCS's Iterate with
// Destroy then deletes them.
func WithTokenPrefix(prefix string) Option { return core.WithTokenPrefix(prefix) }

// WithScanSegments sets how many segments the Scans of All and DeleteExpired
// are divided into: default 4, at most 1,000; a store given more, or fewer
// than 1, is refused with ErrInvalidConfig. Every segment costs at least one
// Scan request, even on an empty table, and at most 16 segments are read at a
// time, whatever their number. One segment is a sequential Scan.
func WithScanSegments(n int) Option { return core.WithScanSegments(n) }

// WithTimeout bounds each DynamoDB request the store sends, the SDK's
// retries included (default DefaultTimeout, 10 seconds), so that a DynamoDB
// that stops answering fails a call rather than hanging it; a context's own
// earlier deadline still applies. Such a failure's error matches
// context.DeadlineExceeded. CreateTable bounds each of its requests, not its
// wait for the table; All and DeleteExpired bound each page and each delete.
// Zero or less sets no bound.
func WithTimeout(d time.Duration) Option { return core.WithTimeout(d) }

// TableName returns the name of the session table.
func (s *DynamoStore) TableName() string { return s.c.Names().Table }

// TokenName returns the name of the token attribute, the table's hash key.
func (s *DynamoStore) TokenName() string { return s.c.Names().Token }

// DataName returns the name of the data attribute.
func (s *DynamoStore) DataName() string { return s.c.Names().Data }

// ExpiryName returns the name of the expiry attribute (Unix nanoseconds).
func (s *DynamoStore) ExpiryName() string { return s.c.Names().Expiry }

// TTLName returns the name of the ttl attribute (Unix seconds), the one to
// enable DynamoDB's Time To Live on.
func (s *DynamoStore) TTLName() string { return s.c.Names().TTL }

// Find returns the data of the session with the given token. See FindCtx.
func (s *DynamoStore) Find(token string) ([]byte, bool, error) {
	return s.c.Find(context.Background(), token)
}

// FindCtx returns the data of the session with the given token, with one
// GetItem request. A token that is missing, expired or cannot be a DynamoDB
// key is not found: (nil, false, nil); the last sends no request. An expired
// item is not found whatever its data, and is left for Time To Live to
// remove. An item whose expiry attribute is missing or not a number, or an
// unexpired one whose data attribute is missing or not binary, gives an error
// wrapping ErrMalformedItem; such an item fails every Find until it expires
// (see ErrMalformedItem for how to recover). Errors from DynamoDB, and ctx's,
// are returned wrapped, naming the operation and the table: one line that
// says "dynamostore:" once. An error is ctx's (errors.Is matches
// context.Canceled or context.DeadlineExceeded) only when the request ended
// because ctx did.
func (s *DynamoStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	return s.c.Find(ctx, token)
}

// Save adds or replaces the session with the given token. It is the SCS v1
// name of Commit and does the same.
func (s *DynamoStore) Save(token string, b []byte, expiry time.Time) error {
	return s.c.Commit(context.Background(), token, b, expiry)
}

// Commit adds or replaces the session with the given token. See CommitCtx.
func (s *DynamoStore) Commit(token string, b []byte, expiry time.Time) error {
	return s.c.Commit(context.Background(), token, b, expiry)
}

// CommitCtx adds or replaces the session with the given token, data b and
// expiry, with one PutItem request. nil data is stored as empty binary. An
// expiry in the past is stored, and Find then reports the session not found.
// It returns, without sending a request, an error wrapping ErrInvalidToken
// for a token that cannot be a DynamoDB key and one wrapping ErrItemTooLarge
// for an item over 400 KB. Errors from DynamoDB, and ctx's, are returned
// wrapped; a failed Commit leaves the previous item whole. WithDeleteWins
// makes the PutItem conditional and WithTouchInterval may skip it; see them.
func (s *DynamoStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	return s.c.Commit(ctx, token, b, expiry)
}

// Delete removes the session with the given token. See DeleteCtx.
func (s *DynamoStore) Delete(token string) error {
	return s.c.Delete(context.Background(), token)
}

// DeleteCtx removes the session with the given token, with one DeleteItem
// request. Deleting a missing session is not an error, and a token that
// cannot be a DynamoDB key sends no request and returns nil. Errors from
// DynamoDB, and ctx's, are returned wrapped.
func (s *DynamoStore) DeleteCtx(ctx context.Context, token string) error {
	return s.c.Delete(ctx, token)
}

// All returns the data of every live session, keyed by token. See AllCtx.
func (s *DynamoStore) All() (map[string][]byte, error) {
	return s.c.All(context.Background())
}

// AllCtx returns the data of every live session, keyed by token: an empty,
// non-nil map when there are none. It scans the whole table, in segments
// (see WithScanSegments) and through every page, reading back only the token
// and data of the items that have not expired; with a token prefix it lists
// only that prefix's sessions, without the prefix. Its cost is that of
// reading the whole table: use it for administration, not on every request.
// On any error it returns nil and one error, whatever the number of
// segments: the first failure of a segment, or else, when ctx ended, ctx's
// error, naming the operation and the table.
func (s *DynamoStore) AllCtx(ctx context.Context) (map[string][]byte, error) {
	return s.c.All(ctx)
}

// Ping checks that the session table exists and is usable, with one
// DescribeTable request. It returns an error wrapping ErrTableNotReady when
// the table is neither ACTIVE nor UPDATING (it serves requests in both), or
// its key is not the token attribute alone, of type S; and DynamoDB's own
// error, wrapped, when the table is missing (an awserr.Error with the code
// ResourceNotFoundException) or cannot be described.
func (s *DynamoStore) Ping() error {
	return s.c.Ping(context.Background())
}

// PingCtx is Ping with a context.
func (s *DynamoStore) PingCtx(ctx context.Context) error {
	return s.c.Ping(ctx)
}

// CreateTable makes the store's table ready for sessions, for set-up code
// and tests; New and NewStore never create tables. When the table is
// missing it creates it, keyed by the token attribute (type S) alone, with
// on-demand (PAY_PER_REQUEST) billing, and waits until it is ACTIVE,
// polling DescribeTable at most every two seconds. It then enables Time To
// Live on the ttl attribute, unless it is already ENABLED or ENABLING there.
//
// It is idempotent and safe to call on every start-up of an app, from
// several instances at once: an existing table with the right key is left
// as it is, apart from getting Time To Live enabled if it lacks it. It
// returns an error wrapping ErrTableNotReady when the table has another key
// schema, when Time To Live is on for another attribute or being disabled,
// or when the table is in a state it will not leave by waiting (such as
// DELETING). Waiting lasts as long as ctx allows: give it a deadline. Errors
// from DynamoDB, and ctx's, are returned wrapped. It needs the IAM actions
// dynamodb:CreateTable, DescribeTable, DescribeTimeToLive and
// UpdateTimeToLive.
func (s *DynamoStore) CreateTable(ctx context.Context) error {
	return s.c.CreateTable(ctx)
}

// DeleteExpired removes the expired sessions from the table and returns how
// many it removed. It is for tables without Time To Live: enabling Time To
// Live on the ttl attribute (see CreateTable) is the recommended way, since
// DynamoDB then deletes expired items for free.
//
// Its cost is one read of the whole table, as a Scan in the segments set by
// WithScanSegments (eventually consistent, so half the cost of a strongly
// consistent one), plus one DeleteItem write per expired item. With a token
// prefix it removes only that prefix's sessions.
//
// Each delete is conditional on the item's expiry still being the one the
// Scan read, so a session committed (renewed) after it was read is never
// removed; such a session, or one already deleted, is skipped and not
// counted. Items whose expiry is missing or not a number are left alone.
//
// On an error, from DynamoDB or ctx, it stops and returns the count removed
// until then with one error, wrapped, as AllCtx does: the first failure, or
// else ctx's. It needs the IAM actions
// dynamodb:Scan and dynamodb:DeleteItem.
func (s *DynamoStore) DeleteExpired(ctx context.Context) (int, error) {
	return s.c.DeleteExpired(ctx)
}
