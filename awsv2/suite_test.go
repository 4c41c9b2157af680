package awsv2

import (
	"context"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/scs-stores/dynamostore/internal/core"
	"github.com/scs-stores/dynamostore/internal/core/driver"
	"github.com/scs-stores/dynamostore/internal/core/drivertest"
	"github.com/scs-stores/dynamostore/internal/core/testenv"
)

// TestSuite runs the shared integration suite on this package.
func TestSuite(t *testing.T) { drivertest.Run(t, harness) }

// harness wires aws-sdk-go-v2 into the shared suite.
var harness = drivertest.Harness{
	SDK:       "aws-sdk-go-v2",
	NewClient: func(t testing.TB, o drivertest.ClientOptions) drivertest.Client { return testClient(t, o) },
	NewRecommended: func(t testing.TB, endpoint string, maxConns int) drivertest.Client {
		cfg, err := config.LoadDefaultConfig(context.Background(),
			config.WithHTTPClient(NewHTTPClient(maxConns)),
			config.WithRegion(testenv.LocalRegion),
			config.WithBaseEndpoint(endpoint),
			config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(testenv.LocalAccessKey, testenv.LocalSecretKey, "")),
		)
		if err != nil {
			t.Fatalf("LoadDefaultConfig: %v", err)
		}
		return dynamodb.NewFromConfig(cfg)
	},
	NewStore: func(c drivertest.Client, opts ...core.Option) (drivertest.Store, error) {
		db, _ := c.(*dynamodb.Client) // nil becomes a typed nil
		return New(db, opts...)
	},
	Driver: func(c drivertest.Client) driver.Driver { return sdkDriver{c.(*dynamodb.Client)} },
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
		in := &dynamodb.PutItemInput{TableName: aws.String(table), Item: attributeValues(item)}
		for k, v := range item {
			if v.Type == driver.Other {
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
			item[k] = value(v)
		}
		return item, nil
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

// NewTestClient returns a client of the test engine whose requests go
// through rt (nil: the default transport), for this package's external test
// files and benchmarks.
func NewTestClient(t testing.TB, rt http.RoundTripper) *dynamodb.Client {
	return testClient(t, drivertest.ClientOptions{Transport: rt})
}

// NewTestTable creates a fresh session table for t; see drivertest.NewTable.
func NewTestTable(t testing.TB) string { return drivertest.NewTable(t, harness) }
