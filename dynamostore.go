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
// request; tokens that cannot be a DynamoDB key cost none. Expired items are
// filtered out when read, since Time To Live deletion can lag by days.
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
//		"github.com/aws/aws-sdk-go/aws/session"
//		"github.com/aws/aws-sdk-go/service/dynamodb"
//		"github.com/scs-stores/dynamostore"
//	)
//
//	func main() {
//		// Region and credentials from the usual AWS environment, ~/.aws/config included.
//		sess := session.Must(session.NewSessionWithOptions(session.Options{SharedConfigState: session.SharedConfigEnable}))
//		store := dynamostore.New(dynamodb.New(sess))
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
//		log.Fatal(http.ListenAndServe(":4000", sessionManager.LoadAndSave(mux)))
//	}
package dynamostore

//lint:file-ignore SA1019 aws-sdk-go v1 is what this package is for; see the awsv2 package for aws-sdk-go-v2.

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/service/dynamodb"
	"github.com/aws/aws-sdk-go/service/dynamodb/dynamodbiface"

	"github.com/scs-stores/dynamostore/internal/core/sessionitem"
)

// Errors returned by the store. Match them with errors.Is; the same values
// are returned by the awsv2 package.
var (
	// ErrInvalidToken is returned by Commit for a token that DynamoDB cannot
	// hold as a key: empty, longer than 2048 bytes with the token prefix, or
	// not valid UTF-8. No request is sent for such a token.
	ErrInvalidToken = sessionitem.ErrInvalidToken
	// ErrItemTooLarge is returned by Commit, before any request is sent, for
	// an item over DynamoDB's 400 KB limit.
	ErrItemTooLarge = sessionitem.ErrItemTooLarge
	// ErrMalformedItem is returned for an item whose expiry or data
	// attribute is missing or of the wrong type.
	ErrMalformedItem = sessionitem.ErrMalformedItem
	// ErrInvalidConfig is returned by NewStore, and by every call of a store
	// made by NewWithOption, when a table or attribute name or an option is
	// one that DynamoDB would refuse.
	ErrInvalidConfig = sessionitem.ErrInvalidConfig
	// ErrTableNotReady is returned by Ping when the table is not ACTIVE or
	// UPDATING, or its key schema is not the token attribute of type S.
	ErrTableNotReady = sessionitem.ErrTableNotReady
)

// DynamoStore is a session store for SCS v2 kept in a DynamoDB table. It is
// safe for concurrent use. Make one with New, NewWithOption or NewStore.
type DynamoStore struct {
	client dynamodbiface.DynamoDBAPI
	cfg    sessionitem.Config
	err    error // a configuration error, returned by every call
}

var (
	_ scs.Store            = (*DynamoStore)(nil)
	_ scs.CtxStore         = (*DynamoStore)(nil)
	_ scs.IterableStore    = (*DynamoStore)(nil)
	_ scs.IterableCtxStore = (*DynamoStore)(nil)
)

// New returns a store that uses the table "scs_session" with the attributes
// "token", "data", "expiry" and "ttl". It creates no table: see CreateTable.
func New(db *dynamodb.DynamoDB) *DynamoStore {
	return NewWithOption(db, "", "", "", "", "")
}

// NewWithOption returns a store that uses the given table and attribute
// names; an empty name stands for its default. A name DynamoDB would refuse
// does not panic: every call of the store then returns an error wrapping
// ErrInvalidConfig.
func NewWithOption(db *dynamodb.DynamoDB, table, token, data, expiry, ttl string) *DynamoStore {
	cfg := sessionitem.DefaultConfig()
	cfg.Names = sessionitem.Names{Table: table, Token: token, Data: data, Expiry: expiry, TTL: ttl}
	cfg.Names.FillDefaults()
	s := &DynamoStore{client: db, cfg: cfg, err: cfg.Validate()}
	if db == nil && s.err == nil {
		s.err = fmt.Errorf("%w: nil DynamoDB client", ErrInvalidConfig)
	}
	return s
}

// Option configures a store made by NewStore.
type Option struct{ apply func(*sessionitem.Config) }

// WithTable sets the table's name (default "scs_session").
func WithTable(name string) Option {
	return Option{func(c *sessionitem.Config) { c.Table = name }}
}

// WithAttributes sets the names of the token (hash key), data, expiry and
// ttl attributes (default "token", "data", "expiry" and "ttl"). An empty name
// keeps its default.
func WithAttributes(token, data, expiry, ttl string) Option {
	return Option{func(c *sessionitem.Config) {
		n := sessionitem.Names{Table: c.Table, Token: token, Data: data, Expiry: expiry, TTL: ttl}
		n.FillDefaults()
		c.Names = n
	}}
}

// WithConsistentRead sets whether Find and All read with strong consistency
// (default true). Eventually consistent reads cost half as much, but a Find
// right after a Commit may then miss it.
func WithConsistentRead(consistent bool) Option {
	return Option{func(c *sessionitem.Config) { c.ConsistentRead = consistent }}
}

// WithTokenPrefix stores every token behind prefix, so that several apps can
// share one table. All lists only the sessions with this prefix and returns
// their tokens without it.
func WithTokenPrefix(prefix string) Option {
	return Option{func(c *sessionitem.Config) { c.Prefix = prefix }}
}

// WithScanSegments sets how many segments All scans in parallel (default 4,
// at most 1,000,000). One segment is a sequential Scan.
func WithScanSegments(n int) Option {
	return Option{func(c *sessionitem.Config) { c.ScanSegments = n }}
}

// NewStore returns a store on any DynamoDBAPI client, such as a
// *dynamodb.DynamoDB or an instrumented wrapper of one, configured by opts.
// It returns an error wrapping ErrInvalidConfig when client is nil or an
// option holds a value DynamoDB would refuse. It sends no request.
func NewStore(client dynamodbiface.DynamoDBAPI, opts ...Option) (*DynamoStore, error) {
	if client == nil {
		return nil, fmt.Errorf("%w: nil DynamoDB client", ErrInvalidConfig)
	}
	cfg := sessionitem.DefaultConfig()
	for _, o := range opts {
		if o.apply != nil {
			o.apply(&cfg)
		}
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &DynamoStore{client: client, cfg: cfg}, nil
}

// TableName returns the name of the session table.
func (s *DynamoStore) TableName() string { return s.cfg.Table }

// TokenName returns the name of the token attribute, the table's hash key.
func (s *DynamoStore) TokenName() string { return s.cfg.Token }

// DataName returns the name of the data attribute.
func (s *DynamoStore) DataName() string { return s.cfg.Data }

// ExpiryName returns the name of the expiry attribute (Unix nanoseconds).
func (s *DynamoStore) ExpiryName() string { return s.cfg.Expiry }

// TTLName returns the name of the ttl attribute (Unix seconds), the one to
// enable DynamoDB's Time To Live on.
func (s *DynamoStore) TTLName() string { return s.cfg.TTL }

// Find returns the data of the session with the given token. See FindCtx.
func (s *DynamoStore) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}

// FindCtx returns the data of the session with the given token, with one
// GetItem request. A token that is missing, expired or cannot be a DynamoDB
// key is not found: (nil, false, nil); the last sends no request. An expired
// item is left for Time To Live to remove. An item whose expiry or data
// attribute is missing or of the wrong type gives an error wrapping
// ErrMalformedItem. Errors from DynamoDB, and ctx's, are returned wrapped.
func (s *DynamoStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	if s.err != nil {
		return nil, false, s.err
	}
	key, ok := sessionitem.Key(s.cfg.Prefix, token)
	if !ok {
		return nil, false, nil
	}
	out, err := s.client.GetItemWithContext(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.cfg.Table),
		Key:            map[string]*dynamodb.AttributeValue{s.cfg.Token: {S: aws.String(key)}},
		ConsistentRead: aws.Bool(s.cfg.ConsistentRead),
	})
	if err != nil {
		return nil, false, s.wrap(ctx, "find in", err)
	}
	if out.Item == nil {
		return nil, false, nil
	}
	expiry, err := s.decodeExpiry(out.Item)
	if err != nil {
		return nil, false, err
	}
	if sessionitem.Expired(expiry, time.Now()) {
		return nil, false, nil
	}
	data := out.Item[s.cfg.Data]
	if data == nil || data.B == nil {
		return nil, false, sessionitem.MalformedError(s.cfg.Table, s.cfg.Data, "is missing or not binary")
	}
	return data.B, true, nil
}

func (s *DynamoStore) decodeExpiry(item map[string]*dynamodb.AttributeValue) (int64, error) {
	v := item[s.cfg.Expiry]
	if v == nil || v.N == nil {
		return 0, sessionitem.MalformedError(s.cfg.Table, s.cfg.Expiry, "is missing or not a number")
	}
	ns, err := sessionitem.DecodeExpiry(*v.N)
	if err != nil {
		return 0, sessionitem.MalformedError(s.cfg.Table, s.cfg.Expiry, err.Error())
	}
	return ns, nil
}

// Save adds or replaces the session with the given token. It is the SCS v1
// name of Commit and does the same.
func (s *DynamoStore) Save(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}

// Commit adds or replaces the session with the given token. See CommitCtx.
func (s *DynamoStore) Commit(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}

// CommitCtx adds or replaces the session with the given token, data b and
// expiry, with one PutItem request. nil data is stored as empty binary. An
// expiry in the past is stored, and Find then reports the session not found.
// It returns, without sending a request, an error wrapping ErrInvalidToken
// for a token that cannot be a DynamoDB key and one wrapping ErrItemTooLarge
// for an item over 400 KB. Errors from DynamoDB, and ctx's, are returned
// wrapped; a failed Commit leaves the previous item whole.
func (s *DynamoStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	if s.err != nil {
		return s.err
	}
	key, ok := sessionitem.Key(s.cfg.Prefix, token)
	if !ok {
		return fmt.Errorf("dynamostore: commit to table %q: %w", s.cfg.Table, ErrInvalidToken)
	}
	expiryN, ttlN := sessionitem.EncodeExpiry(expiry)
	if err := sessionitem.CheckSize(s.cfg.Table, sessionitem.ItemSize(s.cfg.Names, len(key), len(b), expiryN, ttlN)); err != nil {
		return err
	}
	if b == nil {
		b = []byte{}
	}
	_, err := s.client.PutItemWithContext(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.cfg.Table),
		Item: map[string]*dynamodb.AttributeValue{
			s.cfg.Token:  {S: aws.String(key)},
			s.cfg.Data:   {B: b},
			s.cfg.Expiry: {N: aws.String(expiryN)},
			s.cfg.TTL:    {N: aws.String(ttlN)},
		},
	})
	if err != nil {
		return s.wrap(ctx, "commit to", err)
	}
	return nil
}

// Delete removes the session with the given token. See DeleteCtx.
func (s *DynamoStore) Delete(token string) error {
	return s.DeleteCtx(context.Background(), token)
}

// DeleteCtx removes the session with the given token, with one DeleteItem
// request. Deleting a missing session is not an error, and a token that
// cannot be a DynamoDB key sends no request and returns nil. Errors from
// DynamoDB, and ctx's, are returned wrapped.
func (s *DynamoStore) DeleteCtx(ctx context.Context, token string) error {
	if s.err != nil {
		return s.err
	}
	key, ok := sessionitem.Key(s.cfg.Prefix, token)
	if !ok {
		return nil
	}
	_, err := s.client.DeleteItemWithContext(ctx, &dynamodb.DeleteItemInput{
		TableName: aws.String(s.cfg.Table),
		Key:       map[string]*dynamodb.AttributeValue{s.cfg.Token: {S: aws.String(key)}},
	})
	if err != nil {
		return s.wrap(ctx, "delete from", err)
	}
	return nil
}

// All returns the data of every live session, keyed by token. See AllCtx.
func (s *DynamoStore) All() (map[string][]byte, error) {
	return s.AllCtx(context.Background())
}

// AllCtx returns the data of every live session, keyed by token: an empty,
// non-nil map when there are none. It scans the whole table, in parallel
// segments (see WithScanSegments) and through every page, reading back only
// the token and data of the items that have not expired; with a token prefix
// it lists only that prefix's sessions, without the prefix. Its cost is that
// of reading the whole table: use it for administration, not on every
// request. On any error it returns nil and the error.
func (s *DynamoStore) AllCtx(ctx context.Context) (map[string][]byte, error) {
	if s.err != nil {
		return nil, s.err
	}
	n := s.cfg.ScanSegments
	return sessionitem.ScanAll(ctx, n, func(ctx context.Context, segment int) ([]sessionitem.Session, error) {
		return s.scanSegment(ctx, segment, n)
	})
}

// scanSegment reads every page of one segment of a scan of the live
// sessions.
func (s *DynamoStore) scanSegment(ctx context.Context, segment, total int) ([]sessionitem.Session, error) {
	in := &dynamodb.ScanInput{
		TableName:                aws.String(s.cfg.Table),
		ConsistentRead:           aws.Bool(s.cfg.ConsistentRead),
		ProjectionExpression:     aws.String(sessionitem.ScanProjection),
		FilterExpression:         aws.String(sessionitem.ScanFilter(s.cfg.Prefix)),
		ExpressionAttributeNames: aws.StringMap(sessionitem.ScanNames(s.cfg.Names)),
		ExpressionAttributeValues: map[string]*dynamodb.AttributeValue{
			sessionitem.NowPlaceholder: {N: aws.String(strconv.FormatInt(time.Now().UnixNano(), 10))},
		},
	}
	if s.cfg.Prefix != "" {
		in.ExpressionAttributeValues[sessionitem.PrefixPlaceholder] = &dynamodb.AttributeValue{S: aws.String(s.cfg.Prefix)}
	}
	if total > 1 {
		in.Segment, in.TotalSegments = aws.Int64(int64(segment)), aws.Int64(int64(total))
	}
	var found []sessionitem.Session
	for {
		out, err := s.client.ScanWithContext(ctx, in)
		if err != nil {
			return nil, s.wrap(ctx, "scan", err)
		}
		if found == nil {
			found = make([]sessionitem.Session, 0, len(out.Items))
		}
		for _, item := range out.Items {
			key, data := item[s.cfg.Token], item[s.cfg.Data]
			if key == nil || key.S == nil {
				return nil, sessionitem.MalformedError(s.cfg.Table, s.cfg.Token, "is missing or not a string")
			}
			if data == nil || data.B == nil {
				return nil, sessionitem.MalformedError(s.cfg.Table, s.cfg.Data, "is missing or not binary")
			}
			if token, ok := sessionitem.TokenFromKey(s.cfg.Prefix, *key.S); ok {
				found = append(found, sessionitem.Session{Token: token, Data: data.B})
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			return found, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// Ping checks that the session table exists and is usable, with one
// DescribeTable request. It returns an error wrapping ErrTableNotReady when
// the table is neither ACTIVE nor UPDATING (it serves requests in both), or
// its key is not the token attribute alone, of type S; and DynamoDB's own
// error, wrapped, when the table is missing (a ResourceNotFoundException) or
// cannot be described.
func (s *DynamoStore) Ping() error {
	return s.PingCtx(context.Background())
}

// PingCtx is Ping with a context.
func (s *DynamoStore) PingCtx(ctx context.Context) error {
	if s.err != nil {
		return s.err
	}
	out, err := s.client.DescribeTableWithContext(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(s.cfg.Table)})
	if err != nil {
		return s.wrap(ctx, "describe", err)
	}
	return checkTable(s.cfg.Names, out.Table)
}

// checkTable applies sessionitem.CheckTable to a table's description.
func checkTable(n sessionitem.Names, table *dynamodb.TableDescription) error {
	if table == nil {
		return fmt.Errorf("%w: table %q: DynamoDB described no table", ErrTableNotReady, n.Table)
	}
	return sessionitem.CheckTable(n, tableInfo(table))
}

// tableInfo returns what sessionitem needs to know of a table's description.
func tableInfo(table *dynamodb.TableDescription) sessionitem.Table {
	t := sessionitem.Table{Status: aws.StringValue(table.TableStatus), Types: map[string]string{}}
	for _, k := range table.KeySchema {
		t.Keys = append(t.Keys, sessionitem.KeyElement{Name: aws.StringValue(k.AttributeName), Type: aws.StringValue(k.KeyType)})
	}
	for _, d := range table.AttributeDefinitions {
		t.Types[aws.StringValue(d.AttributeName)] = aws.StringValue(d.AttributeType)
	}
	return t
}

// wrap returns err from a DynamoDB call, naming the operation and the table;
// when ctx is done it wraps ctx's error as well, since aws-sdk-go's errors do
// not unwrap to it.
func (s *DynamoStore) wrap(ctx context.Context, op string, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("dynamostore: %s table %q: %w: %w", op, s.cfg.Table, cerr, err)
	}
	return fmt.Errorf("dynamostore: %s table %q: %w", op, s.cfg.Table, err)
}
