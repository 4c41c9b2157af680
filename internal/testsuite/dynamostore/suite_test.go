package dynamostore_test

//lint:file-ignore SA1019 aws-sdk-go v1 is what this package is for.

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/awserr"
	"github.com/aws/aws-sdk-go/aws/credentials"
	"github.com/aws/aws-sdk-go/aws/session"
	"github.com/aws/aws-sdk-go/service/dynamodb"

	"github.com/scs-stores/dynamostore"
	"github.com/scs-stores/dynamostore/internal/core"
	"github.com/scs-stores/dynamostore/internal/core/driver"
	"github.com/scs-stores/dynamostore/internal/testsuite/drivertest"
	"github.com/scs-stores/dynamostore/internal/testsuite/testenv"
)

// TestSuite runs the shared integration suite on package dynamostore.
func TestSuite(t *testing.T) { drivertest.Run(t, harness) }

// harness wires aws-sdk-go (v1) into the shared suite.
var harness = drivertest.Harness{
	SDK:       "aws-sdk-go",
	NewClient: func(t testing.TB, o drivertest.ClientOptions) drivertest.Client { return testClient(t, o) },
	NewRecommended: func(t testing.TB, endpoint string, maxConns int) drivertest.Recommended {
		sess, err := session.NewSession(&aws.Config{
			// A client of the session's own: with AWS_CA_BUNDLE set, NewSession
			// would otherwise give http.DefaultClient a transport trusting only
			// this test's certificate, for every later test in the process.
			HTTPClient:  &http.Client{},
			Region:      aws.String(testenv.LocalRegion),
			Endpoint:    aws.String(endpoint),
			Credentials: credentials.NewStaticCredentials(testenv.LocalAccessKey, testenv.LocalSecretKey, ""),
		})
		if err != nil {
			t.Fatalf("aws session: %v", err)
		}
		hc, err := dynamostore.NewHTTPClient(maxConns)
		if err != nil {
			t.Fatalf("NewHTTPClient: %v", err)
		}
		return drivertest.Recommended{
			DB:    dynamodb.New(sess, &aws.Config{HTTPClient: hc}),
			Other: dynamodb.New(sess),
		}
	},
	NewStore: func(c drivertest.Client, opts ...core.Option) (drivertest.Store, error) {
		db, _ := c.(*dynamodb.DynamoDB) // nil becomes a typed nil
		return dynamostore.NewStore(db, opts...)
	},
	ErrorCode: func(err error) string {
		var aerr awserr.Error
		if errors.As(err, &aerr) {
			return aerr.Code()
		}
		return ""
	},
	TableStatus: func(ctx context.Context, c drivertest.Client, table string) (string, error) {
		out, err := c.(*dynamodb.DynamoDB).DescribeTableWithContext(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
		if err != nil || out.Table == nil {
			return "", err
		}
		return aws.StringValue(out.Table.TableStatus), nil
	},
	DescribeTTL: func(ctx context.Context, c drivertest.Client, table string) (status, attribute string, err error) {
		out, err := c.(*dynamodb.DynamoDB).DescribeTimeToLiveWithContext(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(table)})
		if err != nil || out.TimeToLiveDescription == nil {
			return "", "", err
		}
		return aws.StringValue(out.TimeToLiveDescription.TimeToLiveStatus), aws.StringValue(out.TimeToLiveDescription.AttributeName), nil
	},
	EnableTTL: func(ctx context.Context, c drivertest.Client, table, attribute string) error {
		_, err := c.(*dynamodb.DynamoDB).UpdateTimeToLiveWithContext(ctx, &dynamodb.UpdateTimeToLiveInput{
			TableName:               aws.String(table),
			TimeToLiveSpecification: &dynamodb.TimeToLiveSpecification{AttributeName: aws.String(attribute), Enabled: aws.Bool(true)},
		})
		return err
	},
	CreateTable: func(ctx context.Context, c drivertest.Client, table, key, keyType string) error {
		_, err := c.(*dynamodb.DynamoDB).CreateTableWithContext(ctx, &dynamodb.CreateTableInput{
			TableName:            aws.String(table),
			BillingMode:          aws.String(dynamodb.BillingModePayPerRequest),
			AttributeDefinitions: []*dynamodb.AttributeDefinition{{AttributeName: aws.String(key), AttributeType: aws.String(keyType)}},
			KeySchema:            []*dynamodb.KeySchemaElement{{AttributeName: aws.String(key), KeyType: aws.String(dynamodb.KeyTypeHash)}},
		})
		return err
	},
	DeleteTable: func(ctx context.Context, c drivertest.Client, table string) error {
		_, err := c.(*dynamodb.DynamoDB).DeleteTableWithContext(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(table)})
		return err
	},
	PutRaw: func(ctx context.Context, c drivertest.Client, table string, item map[string]driver.Value) error {
		in := &dynamodb.PutItemInput{TableName: aws.String(table), Item: make(map[string]*dynamodb.AttributeValue, len(item))}
		for k, v := range item {
			switch v.Type {
			case driver.String:
				in.Item[k] = &dynamodb.AttributeValue{S: aws.String(v.Text)}
			case driver.Number:
				in.Item[k] = &dynamodb.AttributeValue{N: aws.String(v.Text)}
			case driver.Binary:
				in.Item[k] = &dynamodb.AttributeValue{B: v.Bytes}
			case driver.Other:
				in.Item[k] = &dynamodb.AttributeValue{BOOL: aws.Bool(true)}
			}
		}
		_, err := c.(*dynamodb.DynamoDB).PutItemWithContext(ctx, in)
		return err
	},
	GetRaw: func(ctx context.Context, c drivertest.Client, table, keyName, key string) (map[string]driver.Value, error) {
		out, err := c.(*dynamodb.DynamoDB).GetItemWithContext(ctx, &dynamodb.GetItemInput{
			TableName:      aws.String(table),
			Key:            map[string]*dynamodb.AttributeValue{keyName: {S: aws.String(key)}},
			ConsistentRead: aws.Bool(true),
		})
		if err != nil || out.Item == nil {
			return nil, err
		}
		item := make(map[string]driver.Value, len(out.Item))
		for k, v := range out.Item {
			switch {
			case v.S != nil:
				item[k] = drivertest.S(*v.S)
			case v.N != nil:
				item[k] = drivertest.N(*v.N)
			case v.B != nil:
				item[k] = drivertest.B(v.B)
			default:
				item[k] = driver.Value{Type: driver.Other}
			}
		}
		return item, nil
	},
	DeleteRaw: func(ctx context.Context, c drivertest.Client, table, keyName, key string) error {
		_, err := c.(*dynamodb.DynamoDB).DeleteItemWithContext(ctx, &dynamodb.DeleteItemInput{
			TableName: aws.String(table),
			Key:       map[string]*dynamodb.AttributeValue{keyName: {S: aws.String(key)}},
		})
		return err
	},
	ScanKeys: func(ctx context.Context, c drivertest.Client, table, keyName string, segment, segments int) ([][]string, error) {
		in := &dynamodb.ScanInput{
			TableName:                aws.String(table),
			ConsistentRead:           aws.Bool(true),
			ProjectionExpression:     aws.String("#k"),
			ExpressionAttributeNames: map[string]*string{"#k": aws.String(keyName)},
		}
		if segments > 1 {
			in.Segment, in.TotalSegments = aws.Int64(int64(segment)), aws.Int64(int64(segments))
		}
		var pages [][]string
		for {
			out, err := c.(*dynamodb.DynamoDB).ScanWithContext(ctx, in)
			if err != nil {
				return pages, err
			}
			keys := []string{}
			for _, it := range out.Items {
				keys = append(keys, aws.StringValue(it[keyName].S))
			}
			pages = append(pages, keys)
			if len(out.LastEvaluatedKey) == 0 {
				return pages, nil
			}
			in.ExclusiveStartKey = out.LastEvaluatedKey
		}
	},
}

// testClient returns a client of the engine that testenv describes.
func testClient(t testing.TB, o drivertest.ClientOptions) *dynamodb.DynamoDB {
	t.Helper()
	endpoint := testenv.Endpoint(t)
	if o.Endpoint != "" {
		endpoint = o.Endpoint
	}
	cfg := aws.Config{
		// A client of its own: with AWS_CA_BUNDLE set, NewSession writes the
		// CA pool into its HTTP client's transport, which for the default
		// client is http.DefaultClient's, a data race with any request in
		// flight when tests make clients in parallel.
		HTTPClient: &http.Client{},
	}
	if endpoint != "" {
		cfg.Endpoint = aws.String(endpoint)
	}
	if r := testenv.Region(); r != "" {
		cfg.Region = aws.String(r)
	}
	if id, secret, ok := testenv.StaticCredentials(); ok {
		cfg.Credentials = credentials.NewStaticCredentials(id, secret, "")
	}
	sess, err := session.NewSessionWithOptions(session.Options{Config: cfg, SharedConfigState: session.SharedConfigEnable})
	if err != nil {
		t.Fatalf("aws session: %v", err)
	}
	// Given per client, since aws-sdk-go refuses a session whose HTTP client
	// has a custom transport when AWS_CA_BUNDLE is set.
	own := &aws.Config{}
	if o.Transport != nil {
		own.HTTPClient = &http.Client{Transport: o.Transport}
	}
	switch {
	case o.Retries < 0:
		own.MaxRetries = aws.Int(0)
	case o.Retries > 0:
		own.MaxRetries = aws.Int(o.Retries)
	}
	return dynamodb.New(sess, own)
}

// newTable creates a fresh session table for t; see drivertest.NewTable.
func newTable(t testing.TB) string { return drivertest.NewTable(t, harness) }
