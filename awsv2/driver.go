package awsv2

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/scs-stores/dynamostore/internal/core/driver"
)

// sdkDriver is the core's driver on aws-sdk-go-v2: it translates the core's
// requests into this SDK's calls and their answers back.
type sdkDriver struct{ db Client }

var _ driver.Driver = sdkDriver{}

// newDriver returns the driver on client, or nil when client is nil or an
// interface holding a nil pointer (or map, slice, func or channel), on which
// every call would panic: the core then refuses it as ErrInvalidConfig.
func newDriver(client Client) driver.Driver {
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
	out, err := d.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(r.Names.Table),
		Key:            map[string]types.AttributeValue{r.Names.Token: &types.AttributeValueMemberS{Value: r.Key}},
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
		Item: map[string]types.AttributeValue{
			r.Names.Token:  &types.AttributeValueMemberS{Value: r.Key},
			r.Names.Data:   &types.AttributeValueMemberB{Value: r.Data},
			r.Names.Expiry: &types.AttributeValueMemberN{Value: r.Expiry},
			r.Names.TTL:    &types.AttributeValueMemberN{Value: r.TTL},
		},
	}
	in.ConditionExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues = expression(r.Cond)
	_, err := d.db.PutItem(ctx, in)
	return err
}

func (d sdkDriver) DeleteItem(ctx context.Context, r driver.DeleteItem) error {
	in := &dynamodb.DeleteItemInput{
		TableName: aws.String(r.Names.Table),
		Key:       map[string]types.AttributeValue{r.Names.Token: &types.AttributeValueMemberS{Value: r.Key}},
	}
	in.ConditionExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues = expression(r.Cond)
	_, err := d.db.DeleteItem(ctx, in)
	return err
}

func (d sdkDriver) Scan(ctx context.Context, r *driver.Scan) (driver.Page, error) {
	in := &dynamodb.ScanInput{TableName: aws.String(r.Names.Table), ConsistentRead: aws.Bool(r.Consistent)}
	if r.Projection != "" {
		in.ProjectionExpression = aws.String(r.Projection)
	}
	in.FilterExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues = expression(r.Filter)
	if r.Segments > 1 {
		// Segments are at most core.MaxScanSegments, well within int32.
		in.Segment, in.TotalSegments = aws.Int32(int32(r.Segment)), aws.Int32(int32(r.Segments))
	}
	if r.Start != nil {
		start, ok := r.Start.(map[string]types.AttributeValue)
		if !ok {
			return driver.Page{}, fmt.Errorf("scan start %T is not a key this driver returned", r.Start)
		}
		in.ExclusiveStartKey = start
	}
	out, err := d.db.Scan(ctx, in)
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
	out, err := d.db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil || out.Table == nil {
		return driver.Table{}, err
	}
	t := driver.Table{Status: string(out.Table.TableStatus), Types: map[string]string{}}
	for _, k := range out.Table.KeySchema {
		if k.KeyType == types.KeyTypeHash {
			t.Keys = append([]string{aws.ToString(k.AttributeName)}, t.Keys...)
		} else {
			t.Keys = append(t.Keys, aws.ToString(k.AttributeName))
		}
	}
	for _, a := range out.Table.AttributeDefinitions {
		t.Types[aws.ToString(a.AttributeName)] = string(a.AttributeType)
	}
	return t, nil
}

func (d sdkDriver) CreateTable(ctx context.Context, table, key string) error {
	_, err := d.db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String(key), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String(key), KeyType: types.KeyTypeHash}},
	})
	return err
}

func (d sdkDriver) DescribeTTL(ctx context.Context, table string) (status, attribute string, err error) {
	out, err := d.db.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(table)})
	if err != nil || out.TimeToLiveDescription == nil {
		return "", "", err
	}
	return string(out.TimeToLiveDescription.TimeToLiveStatus), aws.ToString(out.TimeToLiveDescription.AttributeName), nil
}

func (d sdkDriver) EnableTTL(ctx context.Context, table, attribute string) error {
	_, err := d.db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName:               aws.String(table),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(attribute), Enabled: aws.Bool(true)},
	})
	return err
}

func (sdkDriver) ErrorCode(err error) string {
	var aerr smithy.APIError
	if errors.As(err, &aerr) {
		return aerr.ErrorCode()
	}
	return ""
}

// value translates an attribute value of this SDK.
func value(v types.AttributeValue) driver.Value {
	switch v := v.(type) {
	case nil:
		return driver.Value{}
	case *types.AttributeValueMemberS:
		if v != nil {
			return driver.Value{Type: driver.String, Text: v.Value}
		}
	case *types.AttributeValueMemberN:
		if v != nil {
			return driver.Value{Type: driver.Number, Text: v.Value}
		}
	case *types.AttributeValueMemberB:
		if v != nil {
			return driver.Value{Type: driver.Binary, Bytes: v.Value}
		}
	}
	return driver.Value{Type: driver.Other}
}

// expression returns e as this SDK takes it: the expression, its names and
// its values, each nil when empty, as the driver's Expr says.
func expression(e driver.Expr) (expr *string, names map[string]string, values map[string]types.AttributeValue) {
	if e.Expression != "" {
		expr = aws.String(e.Expression)
	}
	if len(e.Names) > 0 {
		names = e.Names
	}
	if len(e.Values) > 0 {
		values = attributeValues(e.Values)
	}
	return expr, names, values
}

// attributeValues translates expression values into this SDK's.
func attributeValues(values map[string]driver.Value) map[string]types.AttributeValue {
	out := make(map[string]types.AttributeValue, len(values))
	for k, v := range values {
		switch v.Type {
		case driver.String:
			out[k] = &types.AttributeValueMemberS{Value: v.Text}
		case driver.Number:
			out[k] = &types.AttributeValueMemberN{Value: v.Text}
		case driver.Binary:
			out[k] = &types.AttributeValueMemberB{Value: v.Bytes}
		}
	}
	return out
}
