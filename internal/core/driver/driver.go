// Package driver defines what the portable session store (package core)
// needs from an AWS SDK: eight DynamoDB calls in neutral terms, and a way to
// read an SDK error's DynamoDB error code. A driver knows one SDK and nothing
// of sessions; every rule (keys, expiry, sizes, malformed items, paging,
// timeouts, error wrapping) lives in package core and package sessionitem.
//
// A driver translates requests and answers and does nothing else: it sends
// one SDK call per method, never retries on its own (the SDK does that), and
// returns the SDK's error as it is, so that users can still match it with
// errors.As. The shared integration suite, package drivertest, checks a
// driver through the store built on it.
package driver

import (
	"context"

	"github.com/scs-stores/dynamostore/internal/core/sessionitem"
)

// Driver sends DynamoDB requests through one AWS SDK. Implementations must
// be safe for concurrent use.
type Driver interface {
	// GetItem reads one item by its string hash key. When there is no such
	// item it returns an Item with Found false and a nil error.
	GetItem(ctx context.Context, r GetItem) (Item, error)

	// PutItem writes a whole session item: the key as S, the data as B,
	// the expiry and ttl as N.
	PutItem(ctx context.Context, r PutItem) error

	// DeleteItem deletes one item by its string hash key, on the condition
	// r.Cond when it is set. A condition that does not hold gives an error
	// whose ErrorCode is CodeConditionFailed.
	DeleteItem(ctx context.Context, r DeleteItem) error

	// Scan reads one page of a Scan, from where r.Start says (nil: the
	// start). The page's Next is nil after the last page.
	Scan(ctx context.Context, r *Scan) (Page, error)

	// DescribeTable returns what the store needs of a table's description;
	// a description without a table gives a Table with an empty Status. A
	// missing table gives an error whose ErrorCode is CodeNotFound.
	DescribeTable(ctx context.Context, table string) (sessionitem.Table, error)

	// CreateTable creates an on-demand table keyed by the string attribute
	// key alone. A table that exists already gives an error whose ErrorCode
	// is CodeInUse.
	CreateTable(ctx context.Context, table, key string) error

	// DescribeTTL returns the table's Time To Live status and the attribute
	// it is on; both are empty when DynamoDB describes none.
	DescribeTTL(ctx context.Context, table string) (status, attribute string, err error)

	// EnableTTL turns Time To Live on for the attribute.
	EnableTTL(ctx context.Context, table, attribute string) error

	// ErrorCode returns the DynamoDB error code that err carries, such as
	// "ResourceNotFoundException", or "" when it carries none.
	ErrorCode(err error) string
}

// DynamoDB error codes the store acts upon.
const (
	CodeNotFound        = "ResourceNotFoundException"
	CodeInUse           = "ResourceInUseException"
	CodeConditionFailed = "ConditionalCheckFailedException"
)

// Type is the DynamoDB type of an attribute value, as far as the store
// cares.
type Type uint8

// The types an attribute can have.
const (
	Missing Type = iota // the item has no such attribute
	String              // S
	Number              // N
	Binary              // B
	Other               // any other type: BOOL, NULL, M, L, SS, NS, BS
)

// Value is an attribute value.
type Value struct {
	Type Type
	// Text is the string of an S value, or the number of an N value as
	// DynamoDB wrote it.
	Text string
	// Bytes is the data of a B value.
	Bytes []byte
}

// Item is what the store reads of a session item.
type Item struct {
	// Found is false when GetItem found no item.
	Found bool
	// Key, Data and Expiry are the token, data and expiry attributes; each
	// is Missing when the item (or a Scan's projection) lacks it.
	Key, Data, Expiry Value
}

// GetItem is a GetItem request: the item whose Names.Token attribute is Key,
// in table Names.Table.
type GetItem struct {
	Names      sessionitem.Names
	Key        string
	Consistent bool
}

// PutItem is a PutItem request for a whole session item. Expiry and TTL are
// numbers, as DynamoDB takes them.
type PutItem struct {
	Names       sessionitem.Names
	Key         string
	Data        []byte
	Expiry, TTL string
}

// DeleteItem is a DeleteItem request, conditional when Cond.Expression is
// not empty.
type DeleteItem struct {
	Table, KeyName, Key string
	Cond                Expr
}

// Expr is a condition or filter expression with its placeholders. An empty
// Expression, Names or Values is left out of the request.
type Expr struct {
	Expression string
	Names      map[string]string
	Values     map[string]Value
}

// Scan is a request for one page of a Scan.
type Scan struct {
	// Names gives the table, and the attributes to read into each Item.
	Names      sessionitem.Names
	Consistent bool
	// Projection lists the attributes to read back, through placeholders
	// of Filter.Names; empty reads back whole items.
	Projection string
	Filter     Expr
	// Segment and Segments divide a parallel Scan; Segments 1 is a whole
	// one.
	Segment, Segments int
	// Start is the Next of the previous page, or nil for the first.
	Start any
}

// Page is one page of a Scan's items.
type Page struct {
	Items []Item
	// Next, when not nil, is where the next page starts.
	Next any
}
