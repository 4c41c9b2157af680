package dynamostore

//lint:file-ignore SA1019 aws-sdk-go v1 is what this package is for; see the awsv2 package for aws-sdk-go-v2.

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/awserr"
	"github.com/aws/aws-sdk-go/service/dynamodb"

	"github.com/scs-stores/dynamostore/internal/core/sessionitem"
)

// CreateTable makes the store's table ready for sessions, for set-up code
// and tests; New and NewStore never create tables. When the table is
// missing it creates it, keyed by the token attribute (type S) alone, with
// on-demand (PAY_PER_REQUEST) billing, and waits until it is ACTIVE,
// polling DescribeTable at most every two seconds. It then enables Time To
// Live on the ttl attribute, unless it is already ENABLED or ENABLING there.
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
	if s.err != nil {
		return s.err
	}
	return sessionitem.PrepareTable(ctx, s.cfg.Names, sessionitem.TableCalls{
		Describe:    s.describeTable,
		Missing:     func(err error) bool { return isAWSErrCode(err, dynamodb.ErrCodeResourceNotFoundException) },
		Create:      s.createTable,
		DescribeTTL: s.describeTTL,
		EnableTTL:   s.enableTTL,
	})
}

// createTable sends the CreateTable request. A table created meanwhile by
// someone else (ResourceInUseException) is not an error: CreateTable then
// checks its key schema like any existing table's.
func (s *DynamoStore) createTable(ctx context.Context) error {
	_, err := s.client.CreateTableWithContext(ctx, &dynamodb.CreateTableInput{
		TableName:   aws.String(s.cfg.Table),
		BillingMode: aws.String(dynamodb.BillingModePayPerRequest),
		AttributeDefinitions: []*dynamodb.AttributeDefinition{{
			AttributeName: aws.String(s.cfg.Token),
			AttributeType: aws.String(dynamodb.ScalarAttributeTypeS),
		}},
		KeySchema: []*dynamodb.KeySchemaElement{{
			AttributeName: aws.String(s.cfg.Token),
			KeyType:       aws.String(dynamodb.KeyTypeHash),
		}},
	})
	if err != nil && !isAWSErrCode(err, dynamodb.ErrCodeResourceInUseException) {
		return s.wrap(ctx, "create", err)
	}
	return nil
}

// describeTable returns what sessionitem needs of the table's description.
func (s *DynamoStore) describeTable(ctx context.Context) (sessionitem.Table, error) {
	out, err := s.client.DescribeTableWithContext(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(s.cfg.Table)})
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
	_, err := s.client.UpdateTimeToLiveWithContext(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(s.cfg.Table),
		TimeToLiveSpecification: &dynamodb.TimeToLiveSpecification{
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
	out, err := s.client.DescribeTimeToLiveWithContext(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(s.cfg.Table)})
	if err != nil {
		return "", "", s.wrap(ctx, "describe Time To Live of", err)
	}
	if d := out.TimeToLiveDescription; d != nil {
		return aws.StringValue(d.TimeToLiveStatus), aws.StringValue(d.AttributeName), nil
	}
	return "", "", nil
}

// isAWSErrCode reports whether err is, or wraps, an AWS error with the given code.
func isAWSErrCode(err error, code string) bool {
	var aerr awserr.Error
	return errors.As(err, &aerr) && aerr.Code() == code
}
