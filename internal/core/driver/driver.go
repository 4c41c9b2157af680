// Package driver defines what the portable session store (package core)
// needs from an AWS SDK: eight DynamoDB calls, and a way to read an SDK
// error's DynamoDB error code. A driver knows one SDK and the shape of a
// session item (a string key, binary data, and the expiry and ttl numbers,
// under the attribute names of Names), but none of the rules: keys, expiry,
// sizes, malformed items, paging, timeouts and error wrapping all live in
// package core.
//
// A driver translates requests and answers and does nothing else: it sends
// one SDK call per method, never retries on its own (the SDK does that), and
// returns the SDK's error as it is, so that users can still match it with
// errors.As. The shared integration suite, package drivertest, checks a
// driver through the store built on it.
package driver

import "context"

// Driver sends DynamoDB requests through one AWS SDK. Implementations must
// be safe for concurrent use.
type Driver interface {
	// GetItem reads one item by its string hash key. When there is no such
	// item it returns an Item with Found false and a nil error.
	GetItem(ctx context.Context, r GetItem) (Item, error)

	// PutItem writes a whole session item: the key as S, the data as B,
	// the expiry and ttl as N; on the condition r.Cond when it is set. A
	// condition that does not hold gives an error whose ErrorCode is
	// "ConditionalCheckFailedException".
	PutItem(ctx context.Context, r PutItem) error

	// DeleteItem deletes one item by its string hash key, on the condition
	// r.Cond when it is set. A condition that does not hold gives an error
	// whose ErrorCode is "ConditionalCheckFailedException".
	DeleteItem(ctx context.Context, r DeleteItem) error

	// Scan reads one page of a Scan, from where r.Start says (nil: the
	// start). The page's Next is nil after the last page. A Start that is
	// not a Next of this driver gives an error, and no request is sent.
	Scan(ctx context.Context, r *Scan) (Page, error)

	// DescribeTable returns what the store needs of a table's description;
	// a description without a table gives a Table with an empty Status. A
	// missing table gives an error whose ErrorCode is
	// "ResourceNotFoundException".
	DescribeTable(ctx context.Context, table string) (Table, error)

	// CreateTable creates an on-demand table keyed by the string attribute
	// key alone. A table that exists already gives an error whose ErrorCode
	// is "ResourceInUseException".
	CreateTable(ctx context.Context, table, key string) error

	// DescribeTTL returns the table's Time To Live status and the attribute
	// it is on; both are empty when DynamoDB describes none.
	DescribeTTL(ctx context.Context, table string) (status, attribute string, err error)

	// EnableTTL turns Time To Live on for the attribute.
	EnableTTL(ctx context.Context, table, attribute string) error

	// ErrorCode returns the DynamoDB error code that err carries, such as
	// "ResourceNotFoundException", or "" when it carries none. The error of
	// a request that its context ended either unwraps to the context's
	// error or has the code "RequestCanceled" (aws-sdk-go's).
	ErrorCode(err error) string
}

// Names are the table and attribute names of a session item.
type Names struct {
	Table, Token, Data, Expiry, TTL string
}

// Table is what the store needs to know of a table's description.
type Table struct {
	Status string
	// Keys lists the key schema's attribute names: the hash key, then the
	// sort key if there is one.
	Keys []string
	// Types maps the defined attributes to their types (S, N, B).
	Types map[string]string
}

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
	Names      Names
	Key        string
	Consistent bool
}

// PutItem is a PutItem request for a whole session item. Expiry and TTL are
// numbers, as DynamoDB takes them. It is conditional when Cond.Expression is
// not empty.
type PutItem struct {
	Names       Names
	Key         string
	Data        []byte
	Expiry, TTL string
	Cond        Expr
}

// DeleteItem is a DeleteItem request: the item whose Names.Token attribute
// is Key, in table Names.Table; conditional when Cond.Expression is not
// empty.
type DeleteItem struct {
	Names Names
	Key   string
	Cond  Expr
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
	Names      Names
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
