package awsv2

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/scs-stores/dynamostore/internal/sessionitem"
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
	if _, err := s.describeTable(ctx); err != nil {
		var missing *types.ResourceNotFoundException
		if !errors.As(err, &missing) {
			return err
		}
		if err := s.createTable(ctx); err != nil {
			return err
		}
	}
	t, err := sessionitem.WaitUsable(ctx, s.cfg.Table, s.describeTable)
	if err != nil {
		return err
	}
	if err := sessionitem.CheckKeySchema(s.cfg.Names, t); err != nil {
		return err
	}
	return s.enableTTL(ctx)
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

// enableTTL enables Time To Live on the ttl attribute unless it is on
// already. When the update fails, the status is read again: another
// instance may have enabled it meanwhile, which is fine.
func (s *DynamoStore) enableTTL(ctx context.Context) error {
	need, err := s.ttlNeedsEnabling(ctx)
	if err != nil || !need {
		return err
	}
	_, uerr := s.client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(s.cfg.Table),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: aws.String(s.cfg.TTL),
			Enabled:       aws.Bool(true),
		},
	})
	if uerr == nil {
		return nil
	}
	if need, err := s.ttlNeedsEnabling(ctx); err == nil && !need {
		return nil
	}
	return s.wrap(ctx, "enable Time To Live on", uerr)
}

// ttlNeedsEnabling describes the table's Time To Live and applies
// sessionitem.TTLNeedsEnabling to it.
func (s *DynamoStore) ttlNeedsEnabling(ctx context.Context) (bool, error) {
	out, err := s.client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(s.cfg.Table)})
	if err != nil {
		return false, s.wrap(ctx, "describe Time To Live of", err)
	}
	var status, attr string
	if d := out.TimeToLiveDescription; d != nil {
		status, attr = string(d.TimeToLiveStatus), aws.ToString(d.AttributeName)
	}
	return sessionitem.TTLNeedsEnabling(s.cfg.Names, status, attr)
}
