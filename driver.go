package dynamostore

//lint:file-ignore SA1019 aws-sdk-go v1 is what this package is for; see the awsv2 package for aws-sdk-go-v2.

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/awserr"
	"github.com/aws/aws-sdk-go/service/dynamodb"
	"github.com/aws/aws-sdk-go/service/dynamodb/dynamodbiface"

	"github.com/scs-stores/dynamostore/internal/core/driver"
)

// sdkDriver is the core's driver on aws-sdk-go (v1): it translates the
// core's requests into this SDK's calls and their answers back.
type sdkDriver struct{ db dynamodbiface.DynamoDBAPI }

var _ driver.Driver = sdkDriver{}

// newDriver returns the driver on client, or nil when client is nil or an
// interface holding a nil pointer (or map, slice, func or channel), on which
// every call would panic: the core then refuses it as ErrInvalidConfig.
func newDriver(client dynamodbiface.DynamoDBAPI) driver.Driver {
	if client == nil {
		return nil
	}
	switch v := reflect.ValueOf(client); v.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan:
		if v.IsNil() {
			return nil
		}
	}
	return sdkDriver{client}
}

func (d sdkDriver) GetItem(ctx context.Context, r driver.GetItem) (driver.Item, error) {
	out, err := d.db.GetItemWithContext(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(r.Names.Table),
		Key:            map[string]*dynamodb.AttributeValue{r.Names.Token: {S: aws.String(r.Key)}},
		ConsistentRead: aws.Bool(r.Consistent),
	})
	if err != nil || out.Item == nil {
		return driver.Item{}, err
	}
	return driver.Item{Found: true, Data: value(out.Item[r.Names.Data]), Expiry: value(out.Item[r.Names.Expiry])}, nil
}

func (d sdkDriver) PutItem(ctx context.Context, r driver.PutItem) error {
	in := &dynamodb.PutItemInput{
		TableName: aws.String(r.Names.Table),
		Item: map[string]*dynamodb.AttributeValue{
			r.Names.Token:  {S: aws.String(r.Key)},
			r.Names.Data:   {B: r.Data},
			r.Names.Expiry: {N: aws.String(r.Expiry)},
			r.Names.TTL:    {N: aws.String(r.TTL)},
		},
	}
	in.ConditionExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues = expression(r.Cond)
	_, err := d.db.PutItemWithContext(ctx, in)
	return err
}

func (d sdkDriver) DeleteItem(ctx context.Context, r driver.DeleteItem) error {
	in := &dynamodb.DeleteItemInput{
		TableName: aws.String(r.Names.Table),
		Key:       map[string]*dynamodb.AttributeValue{r.Names.Token: {S: aws.String(r.Key)}},
	}
	in.ConditionExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues = expression(r.Cond)
	_, err := d.db.DeleteItemWithContext(ctx, in)
	return err
}

func (d sdkDriver) Scan(ctx context.Context, r *driver.Scan) (driver.Page, error) {
	in := &dynamodb.ScanInput{TableName: aws.String(r.Names.Table), ConsistentRead: aws.Bool(r.Consistent)}
	if r.Projection != "" {
		in.ProjectionExpression = aws.String(r.Projection)
	}
	in.FilterExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues = expression(r.Filter)
	if r.Segments > 1 {
		in.Segment, in.TotalSegments = aws.Int64(int64(r.Segment)), aws.Int64(int64(r.Segments))
	}
	if r.Start != nil {
		start, ok := r.Start.(map[string]*dynamodb.AttributeValue)
		if !ok {
			return driver.Page{}, fmt.Errorf("scan start %T is not a key this driver returned", r.Start)
		}
		in.ExclusiveStartKey = start
	}
	out, err := d.db.ScanWithContext(ctx, in)
	if err != nil {
		return driver.Page{}, err
	}
	page := driver.Page{Items: make([]driver.Item, len(out.Items))}
	for i, item := range out.Items {
		page.Items[i] = driver.Item{Found: true, Key: value(item[r.Names.Token]), Data: value(item[r.Names.Data]), Expiry: value(item[r.Names.Expiry])}
	}
	if len(out.LastEvaluatedKey) > 0 {
		page.Next = out.LastEvaluatedKey
	}
	return page, nil
}

func (d sdkDriver) DescribeTable(ctx context.Context, table string) (driver.Table, error) {
	out, err := d.db.DescribeTableWithContext(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil || out.Table == nil {
		return driver.Table{}, err
	}
	t := driver.Table{Status: aws.StringValue(out.Table.TableStatus), Types: map[string]string{}}
	for _, k := range out.Table.KeySchema {
		if aws.StringValue(k.KeyType) == dynamodb.KeyTypeHash {
			t.Keys = append([]string{aws.StringValue(k.AttributeName)}, t.Keys...)
		} else {
			t.Keys = append(t.Keys, aws.StringValue(k.AttributeName))
		}
	}
	for _, a := range out.Table.AttributeDefinitions {
		t.Types[aws.StringValue(a.AttributeName)] = aws.StringValue(a.AttributeType)
	}
	return t, nil
}

func (d sdkDriver) CreateTable(ctx context.Context, table, key string) error {
	_, err := d.db.CreateTableWithContext(ctx, &dynamodb.CreateTableInput{
		TableName:   aws.String(table),
		BillingMode: aws.String(dynamodb.BillingModePayPerRequest),
		AttributeDefinitions: []*dynamodb.AttributeDefinition{{
			AttributeName: aws.String(key),
			AttributeType: aws.String(dynamodb.ScalarAttributeTypeS),
		}},
		KeySchema: []*dynamodb.KeySchemaElement{{
			AttributeName: aws.String(key),
			KeyType:       aws.String(dynamodb.KeyTypeHash),
		}},
	})
	return err
}

func (d sdkDriver) DescribeTTL(ctx context.Context, table string) (status, attribute string, err error) {
	out, err := d.db.DescribeTimeToLiveWithContext(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(table)})
	if err != nil || out.TimeToLiveDescription == nil {
		return "", "", err
	}
	return aws.StringValue(out.TimeToLiveDescription.TimeToLiveStatus), aws.StringValue(out.TimeToLiveDescription.AttributeName), nil
}

func (d sdkDriver) EnableTTL(ctx context.Context, table, attribute string) error {
	_, err := d.db.UpdateTimeToLiveWithContext(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(table),
		TimeToLiveSpecification: &dynamodb.TimeToLiveSpecification{
			AttributeName: aws.String(attribute),
			Enabled:       aws.Bool(true),
		},
	})
	return err
}

func (sdkDriver) ErrorCode(err error) string {
	var aerr awserr.Error
	if errors.As(err, &aerr) {
		return aerr.Code()
	}
	return ""
}

// value translates an attribute value of this SDK.
func value(v *dynamodb.AttributeValue) driver.Value {
	switch {
	case v == nil:
		return driver.Value{}
	case v.S != nil:
		return driver.Value{Type: driver.String, Text: *v.S}
	case v.N != nil:
		return driver.Value{Type: driver.Number, Text: *v.N}
	case v.B != nil:
		return driver.Value{Type: driver.Binary, Bytes: v.B}
	}
	return driver.Value{Type: driver.Other}
}

// expression returns e as this SDK takes it: the expression, its names and
// its values, each nil when empty, as the driver's Expr says.
func expression(e driver.Expr) (expr *string, names map[string]*string, values map[string]*dynamodb.AttributeValue) {
	if e.Expression != "" {
		expr = aws.String(e.Expression)
	}
	if len(e.Names) > 0 {
		names = aws.StringMap(e.Names)
	}
	if len(e.Values) > 0 {
		values = attributeValues(e.Values)
	}
	return expr, names, values
}

// attributeValues translates expression values into this SDK's.
func attributeValues(values map[string]driver.Value) map[string]*dynamodb.AttributeValue {
	out := make(map[string]*dynamodb.AttributeValue, len(values))
	for k, v := range values {
		switch v.Type {
		case driver.String:
			out[k] = &dynamodb.AttributeValue{S: aws.String(v.Text)}
		case driver.Number:
			out[k] = &dynamodb.AttributeValue{N: aws.String(v.Text)}
		case driver.Binary:
			out[k] = &dynamodb.AttributeValue{B: v.Bytes}
		}
	}
	return out
}
