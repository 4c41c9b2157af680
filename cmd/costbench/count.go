package main

//lint:file-ignore SA1019 aws-sdk-go v1 is one of the two SDKs measured.

import (
	"context"
	"errors"
	"sync"

	awsv1 "github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/awserr"
	"github.com/aws/aws-sdk-go/aws/request"
	ddbv1 "github.com/aws/aws-sdk-go/service/dynamodb"
	"github.com/aws/aws-sdk-go/service/dynamodb/dynamodbiface"

	ddbv2 "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/scs-stores/dynamostore/awsv2"
	"github.com/scs-stores/dynamostore/internal/core"
	"github.com/scs-stores/dynamostore/internal/core/driver"
)

// sessionNames are the store's default names, which costbench's stores use.
var sessionNames = driver.Names{Token: "token", Data: "data", Expiry: "expiry", TTL: "ttl"}

// itemSize returns the size DynamoDB counts for a session item written by
// the store: its attributes' names and values.
func itemSize(key string, data []byte, expiry, ttl string) int64 {
	return int64(core.ItemSize(sessionNames, len(key), len(data), expiry, ttl))
}

// op is a DynamoDB operation the store sends for a request of the app.
type op int

const (
	opGet op = iota
	opPut
	opDelete
	numOps
)

var opNames = [numOps]string{"GetItem", "PutItem", "DeleteItem"}

// tally is what was counted of one operation.
type tally struct {
	Sent       int64             // requests sent
	Failed     int64             // answered with an error, condition failures included
	CondFailed int64             // answered ConditionalCheckFailedException
	Reported   int64             // answers that carried ConsumedCapacity
	Units      float64           // the capacity units those answers reported
	Bytes      int64             // PutItem: the items' sizes as DynamoDB counts them, summed
	MaxBytes   int64             // PutItem: the largest item's
	ByUnits    map[float64]int64 // answers by the units they reported
}

// counter adds up the requests of both app servers' stores. It is safe for
// concurrent use.
type counter struct {
	mu sync.Mutex
	t  [numOps]tally
}

// add counts one request of o, its error, the capacity units its answer
// reported (ok false when it reported none) and, for a PutItem, the size of
// its item.
func (c *counter) add(o op, err error, condFailed bool, units float64, ok bool, size int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &c.t[o]
	t.Sent++
	t.Bytes += size
	t.MaxBytes = max(t.MaxBytes, size)
	if err != nil {
		t.Failed++
	}
	if condFailed {
		t.CondFailed++
	}
	if ok {
		t.Reported++
		t.Units += units
		if t.ByUnits == nil {
			t.ByUnits = map[float64]int64{}
		}
		t.ByUnits[units]++
	}
}

// take returns the tallies so far and starts again from zero.
func (c *counter) take() [numOps]tally {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.t
	c.t = [numOps]tally{}
	return t
}

// countingV1 is an aws-sdk-go DynamoDB client that asks for the consumed
// capacity on the three calls of a request (GetItem, PutItem, DeleteItem)
// and counts them. It copies each input before setting
// ReturnConsumedCapacity, so the caller's input is left as it was.
type countingV1 struct {
	dynamodbiface.DynamoDBAPI
	c *counter
}

func (w countingV1) GetItemWithContext(ctx awsv1.Context, in *ddbv1.GetItemInput, opts ...request.Option) (*ddbv1.GetItemOutput, error) {
	cp := *in
	cp.ReturnConsumedCapacity = awsv1.String(ddbv1.ReturnConsumedCapacityTotal)
	out, err := w.DynamoDBAPI.GetItemWithContext(ctx, &cp, opts...)
	var cc *ddbv1.ConsumedCapacity
	if out != nil {
		cc = out.ConsumedCapacity
	}
	w.count(opGet, err, cc, 0)
	return out, err
}

func (w countingV1) PutItemWithContext(ctx awsv1.Context, in *ddbv1.PutItemInput, opts ...request.Option) (*ddbv1.PutItemOutput, error) {
	cp := *in
	cp.ReturnConsumedCapacity = awsv1.String(ddbv1.ReturnConsumedCapacityTotal)
	out, err := w.DynamoDBAPI.PutItemWithContext(ctx, &cp, opts...)
	var cc *ddbv1.ConsumedCapacity
	if out != nil {
		cc = out.ConsumedCapacity
	}
	attr := func(name string) *ddbv1.AttributeValue {
		if v := in.Item[name]; v != nil {
			return v
		}
		return &ddbv1.AttributeValue{}
	}
	size := itemSize(awsv1.StringValue(attr("token").S), attr("data").B, awsv1.StringValue(attr("expiry").N), awsv1.StringValue(attr("ttl").N))
	w.count(opPut, err, cc, size)
	return out, err
}

func (w countingV1) DeleteItemWithContext(ctx awsv1.Context, in *ddbv1.DeleteItemInput, opts ...request.Option) (*ddbv1.DeleteItemOutput, error) {
	cp := *in
	cp.ReturnConsumedCapacity = awsv1.String(ddbv1.ReturnConsumedCapacityTotal)
	out, err := w.DynamoDBAPI.DeleteItemWithContext(ctx, &cp, opts...)
	var cc *ddbv1.ConsumedCapacity
	if out != nil {
		cc = out.ConsumedCapacity
	}
	w.count(opDelete, err, cc, 0)
	return out, err
}

func (w countingV1) count(o op, err error, cc *ddbv1.ConsumedCapacity, size int64) {
	var aerr awserr.Error
	cond := errors.As(err, &aerr) && aerr.Code() == ddbv1.ErrCodeConditionalCheckFailedException
	if err == nil && cc != nil && cc.CapacityUnits != nil {
		w.c.add(o, err, cond, *cc.CapacityUnits, true, size)
		return
	}
	w.c.add(o, err, cond, 0, false, size)
}

// countingV2 is the same for aws-sdk-go-v2: an awsv2.Client that asks for
// and counts the consumed capacity of GetItem, PutItem and DeleteItem.
type countingV2 struct {
	awsv2.Client
	c *counter
}

func (w countingV2) GetItem(ctx context.Context, in *ddbv2.GetItemInput, opts ...func(*ddbv2.Options)) (*ddbv2.GetItemOutput, error) {
	cp := *in
	cp.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	out, err := w.Client.GetItem(ctx, &cp, opts...)
	var cc *types.ConsumedCapacity
	if out != nil {
		cc = out.ConsumedCapacity
	}
	w.count(opGet, err, cc, 0)
	return out, err
}

func (w countingV2) PutItem(ctx context.Context, in *ddbv2.PutItemInput, opts ...func(*ddbv2.Options)) (*ddbv2.PutItemOutput, error) {
	cp := *in
	cp.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	out, err := w.Client.PutItem(ctx, &cp, opts...)
	var cc *types.ConsumedCapacity
	if out != nil {
		cc = out.ConsumedCapacity
	}
	text := func(name string) string {
		switch v := in.Item[name].(type) {
		case *types.AttributeValueMemberS:
			return v.Value
		case *types.AttributeValueMemberN:
			return v.Value
		}
		return ""
	}
	var data []byte
	if b, ok := in.Item["data"].(*types.AttributeValueMemberB); ok {
		data = b.Value
	}
	size := itemSize(text("token"), data, text("expiry"), text("ttl"))
	w.count(opPut, err, cc, size)
	return out, err
}

func (w countingV2) DeleteItem(ctx context.Context, in *ddbv2.DeleteItemInput, opts ...func(*ddbv2.Options)) (*ddbv2.DeleteItemOutput, error) {
	cp := *in
	cp.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	out, err := w.Client.DeleteItem(ctx, &cp, opts...)
	var cc *types.ConsumedCapacity
	if out != nil {
		cc = out.ConsumedCapacity
	}
	w.count(opDelete, err, cc, 0)
	return out, err
}

func (w countingV2) count(o op, err error, cc *types.ConsumedCapacity, size int64) {
	var cf *types.ConditionalCheckFailedException
	cond := errors.As(err, &cf)
	if err == nil && cc != nil && cc.CapacityUnits != nil {
		w.c.add(o, err, cond, *cc.CapacityUnits, true, size)
		return
	}
	w.c.add(o, err, cond, 0, false, size)
}
