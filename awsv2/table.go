package awsv2

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/scs-stores/dynamostore/internal/core/sessionitem"
)

// CreateTable makes the store's table ready for sessions, for set-up code
// and tests; New never creates tables. When the table is missing it creates
// it, keyed by the token attribute (type S) alone, with on-demand
// (PAY_PER_REQUEST) billing, and waits until it is ACTIVE, polling
// DescribeTable at most every two seconds. It then enables Time To Live on
// the ttl attribute, unless it is already ENABLED or ENABLING there.
//
// It is idempotent and safe to call on every start-up of an app, from
// several instances at once: an existing table with the right key is left
// as it is, apart from getting Time To Live enabled if it lacks it. It
// returns an error wrapping ErrTableNotReady when the table has another key
// schema, when Time To Live is on for another attribute, or when the table
// is in a state it will not leave by waiting (such as DELETING). Waiting
// lasts as long as ctx allows: give it a deadline. Errors from DynamoDB, and
// ctx's, are returned wrapped. It needs the IAM actions dynamodb:CreateTable,
// DescribeTable, DescribeTimeToLive and UpdateTimeToLive.
func (s *DynamoStore) CreateTable(ctx context.Context) error {
	return sessionitem.PrepareTable(ctx, s.cfg.Names, sessionitem.TableCalls{
		Describe: s.describeTable,
		Missing: func(err error) bool {
			var missing *types.ResourceNotFoundException
			return errors.As(err, &missing)
		},
		Create:      s.createTable,
		DescribeTTL: s.describeTTL,
		EnableTTL:   s.enableTTL,
	})
}

// createTable sends the CreateTable request. A table created meanwhile by
// someone else (ResourceInUseException) is not an error: CreateTable then
// checks its key schema like any existing table's.
func (s *DynamoStore) createTable(ctx context.Context) error {
	_, err := s.client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:   aws.String(s.cfg.Table),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{
			AttributeName: aws.String(s.cfg.Token),
			AttributeType: types.ScalarAttributeTypeS,
		}},
		KeySchema: []types.KeySchemaElement{{
			AttributeName: aws.String(s.cfg.Token),
			KeyType:       types.KeyTypeHash,
		}},
	})
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return s.wrap(ctx, "create", err)
	}
	return nil
}

// describeTable returns what sessionitem needs of the table's description.
func (s *DynamoStore) describeTable(ctx context.Context) (sessionitem.Table, error) {
	out, err := s.client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(s.cfg.Table)})
	if err != nil {
		return sessionitem.Table{}, s.wrap(ctx, "describe", err)
	}
	if out.Table == nil {
		return sessionitem.Table{}, fmt.Errorf("%w: table %q: DynamoDB described no table", ErrTableNotReady, s.cfg.Table)
	}
	return tableInfo(out.Table), nil
}

// enableTTL enables Time To Live on the ttl attribute.
func (s *DynamoStore) enableTTL(ctx context.Context) error {
	_, err := s.client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(s.cfg.Table),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: aws.String(s.cfg.TTL),
			Enabled:       aws.Bool(true),
		},
	})
	if err != nil {
		return s.wrap(ctx, "enable Time To Live on", err)
	}
	return nil
}

// describeTTL returns the status of the table's Time To Live and the
// attribute it is on.
func (s *DynamoStore) describeTTL(ctx context.Context) (status, attribute string, err error) {
	out, err := s.client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(s.cfg.Table)})
	if err != nil {
		return "", "", s.wrap(ctx, "describe Time To Live of", err)
	}
	if d := out.TimeToLiveDescription; d != nil {
		return string(d.TimeToLiveStatus), aws.ToString(d.AttributeName), nil
	}
	return "", "", nil
}
