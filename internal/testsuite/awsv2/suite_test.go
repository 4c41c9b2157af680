package awsv2_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/scs-stores/dynamostore/awsv2"
	"github.com/scs-stores/dynamostore/internal/core"
	"github.com/scs-stores/dynamostore/internal/core/driver"
	"github.com/scs-stores/dynamostore/internal/testsuite/drivertest"
	"github.com/scs-stores/dynamostore/internal/testsuite/testenv"
)

// TestSuite runs the shared integration suite on package awsv2.
func TestSuite(t *testing.T) { drivertest.Run(t, harness) }

// harness wires aws-sdk-go-v2 into the shared suite.
var harness = drivertest.Harness{
	SDK:       "aws-sdk-go-v2",
	NewClient: func(t testing.TB, o drivertest.ClientOptions) drivertest.Client { return testClient(t, o) },
	NewRecommended: func(t testing.TB, endpoint string, maxConns int) drivertest.Recommended {
		cfg, err := config.LoadDefaultConfig(context.Background(),
			config.WithRegion(testenv.LocalRegion),
			config.WithBaseEndpoint(endpoint),
			config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(testenv.LocalAccessKey, testenv.LocalSecretKey, "")),
		)
		if err != nil {
			t.Fatalf("LoadDefaultConfig: %v", err)
		}
		return drivertest.Recommended{
			DB:    dynamodb.NewFromConfig(cfg, awsv2.TuneHTTPClient(maxConns)),
			Other: dynamodb.NewFromConfig(cfg),
		}
	},
	NewStore: func(c drivertest.Client, opts ...core.Option) (drivertest.Store, error) {
		db, _ := c.(*dynamodb.Client) // nil becomes a typed nil
		return awsv2.New(db, opts...)
	},
	ErrorCode: func(err error) string {
		var aerr smithy.APIError
		if errors.As(err, &aerr) {
			return aerr.ErrorCode()
		}
		return ""
	},
	TableStatus: func(ctx context.Context, c drivertest.Client, table string) (string, error) {
		out, err := c.(*dynamodb.Client).DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
		if err != nil || out.Table == nil {
			return "", err
		}
		return string(out.Table.TableStatus), nil
	},
	DescribeTTL: func(ctx context.Context, c drivertest.Client, table string) (status, attribute string, err error) {
		out, err := c.(*dynamodb.Client).DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(table)})
		if err != nil || out.TimeToLiveDescription == nil {
			return "", "", err
		}
		return string(out.TimeToLiveDescription.TimeToLiveStatus), aws.ToString(out.TimeToLiveDescription.AttributeName), nil
	},
	EnableTTL: func(ctx context.Context, c drivertest.Client, table, attribute string) error {
		_, err := c.(*dynamodb.Client).UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
			TableName:               aws.String(table),
			TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(attribute), Enabled: aws.Bool(true)},
		})
		return err
	},
	CreateTable: func(ctx context.Context, c drivertest.Client, table, key, keyType string) error {
		_, err := c.(*dynamodb.Client).CreateTable(ctx, &dynamodb.CreateTableInput{
			TableName:            aws.String(table),
			BillingMode:          types.BillingModePayPerRequest,
			AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String(key), AttributeType: types.ScalarAttributeType(keyType)}},
			KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String(key), KeyType: types.KeyTypeHash}},
		})
		return err
	},
	DeleteTable: func(ctx context.Context, c drivertest.Client, table string) error {
		_, err := c.(*dynamodb.Client).DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(table)})
		return err
	},
	PutRaw: func(ctx context.Context, c drivertest.Client, table string, item map[string]driver.Value) error {
		in := &dynamodb.PutItemInput{TableName: aws.String(table), Item: make(map[string]types.AttributeValue, len(item))}
		for k, v := range item {
			switch v.Type {
			case driver.String:
				in.Item[k] = &types.AttributeValueMemberS{Value: v.Text}
			case driver.Number:
				in.Item[k] = &types.AttributeValueMemberN{Value: v.Text}
			case driver.Binary:
				in.Item[k] = &types.AttributeValueMemberB{Value: v.Bytes}
			case driver.Other:
				in.Item[k] = &types.AttributeValueMemberBOOL{Value: true}
			}
		}
		_, err := c.(*dynamodb.Client).PutItem(ctx, in)
		return err
	},
	GetRaw: func(ctx context.Context, c drivertest.Client, table, keyName, key string) (map[string]driver.Value, error) {
		out, err := c.(*dynamodb.Client).GetItem(ctx, &dynamodb.GetItemInput{
			TableName:      aws.String(table),
			Key:            map[string]types.AttributeValue{keyName: &types.AttributeValueMemberS{Value: key}},
			ConsistentRead: aws.Bool(true),
		})
		if err != nil || out.Item == nil {
			return nil, err
		}
		item := make(map[string]driver.Value, len(out.Item))
		for k, v := range out.Item {
			switch v := v.(type) {
			case *types.AttributeValueMemberS:
				item[k] = drivertest.S(v.Value)
			case *types.AttributeValueMemberN:
				item[k] = drivertest.N(v.Value)
			case *types.AttributeValueMemberB:
				item[k] = drivertest.B(v.Value)
			default:
				item[k] = driver.Value{Type: driver.Other}
			}
		}
		return item, nil
	},
	DeleteRaw: func(ctx context.Context, c drivertest.Client, table, keyName, key string) error {
		_, err := c.(*dynamodb.Client).DeleteItem(ctx, &dynamodb.DeleteItemInput{
			TableName: aws.String(table),
			Key:       map[string]types.AttributeValue{keyName: &types.AttributeValueMemberS{Value: key}},
		})
		return err
	},
	ScanKeys: func(ctx context.Context, c drivertest.Client, table, keyName string, segment, segments int) ([][]string, error) {
		in := &dynamodb.ScanInput{
			TableName:                aws.String(table),
			ConsistentRead:           aws.Bool(true),
			ProjectionExpression:     aws.String("#k"),
			ExpressionAttributeNames: map[string]string{"#k": keyName},
		}
		if segments > 1 {
			in.Segment, in.TotalSegments = aws.Int32(int32(segment)), aws.Int32(int32(segments))
		}
		var pages [][]string
		for {
			out, err := c.(*dynamodb.Client).Scan(ctx, in)
			if err != nil {
				return pages, err
			}
			keys := []string{}
			for _, it := range out.Items {
				if k, ok := it[keyName].(*types.AttributeValueMemberS); ok {
					keys = append(keys, k.Value)
				}
			}
			pages = append(pages, keys)
			if len(out.LastEvaluatedKey) == 0 {
				return pages, nil
			}
			in.ExclusiveStartKey = out.LastEvaluatedKey
		}
	},
}

// testClient returns a client of the engine that testenv describes. On a
// local engine it is built from dynamodb.Options directly, so that neither
// AWS_CA_BUNDLE nor the machine's shared config affects it; on AWS from the
// usual AWS environment.
func testClient(t testing.TB, o drivertest.ClientOptions) *dynamodb.Client {
	t.Helper()
	endpoint := testenv.Endpoint(t)
	if o.Endpoint != "" {
		endpoint = o.Endpoint
	}
	var opts dynamodb.Options
	if id, secret, ok := testenv.StaticCredentials(); ok {
		opts = dynamodb.Options{
			Region:      testenv.Region(),
			Credentials: credentials.NewStaticCredentialsProvider(id, secret, ""),
		}
	} else {
		var load []func(*config.LoadOptions) error
		if r := testenv.Region(); r != "" {
			load = append(load, config.WithRegion(r))
		}
		cfg, err := config.LoadDefaultConfig(context.Background(), load...)
		if err != nil {
			t.Fatalf("AWS config: %v", err)
		}
		opts = dynamodb.NewFromConfig(cfg).Options()
	}
	if endpoint != "" {
		opts.BaseEndpoint = aws.String(endpoint)
	}
	if o.Transport != nil {
		opts.HTTPClient = &http.Client{Transport: o.Transport}
	}
	switch {
	case o.Retries < 0:
		opts.RetryMaxAttempts = 1
	case o.Retries > 0:
		opts.RetryMaxAttempts = o.Retries + 1
	}
	return dynamodb.New(opts)
}

// newTable creates a fresh session table for t; see drivertest.NewTable.
func newTable(t testing.TB) string { return drivertest.NewTable(t, harness) }
