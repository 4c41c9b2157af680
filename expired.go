package dynamostore

//lint:file-ignore SA1019 aws-sdk-go v1 is what this package is for; see the awsv2 package for aws-sdk-go-v2.

import (
	"context"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/service/dynamodb"

	"github.com/scs-stores/dynamostore/internal/core/sessionitem"
)

// DeleteExpired removes the expired sessions from the table and returns how
// many it removed. It is for tables without Time To Live: enabling Time To
// Live on the ttl attribute (see CreateTable) is the recommended way, since
// DynamoDB then deletes expired items for free.
//
// Its cost is one read of the whole table, as a parallel Scan in the
// segments set by WithScanSegments (eventually consistent, so half the cost
// of a strongly consistent one), plus one DeleteItem write per expired item.
// With a token prefix it removes only that prefix's sessions.
//
// Each delete is conditional on the item's expiry still being the one the
// Scan read, so a session committed (renewed) after it was read is never
// removed; such a session, or one already deleted, is skipped and not
// counted. Items whose expiry is missing or not a number are left alone.
//
// On an error, from DynamoDB or ctx, it stops and returns the count removed
// until then with the error, wrapped. It needs the IAM actions
// dynamodb:Scan and dynamodb:DeleteItem.
func (s *DynamoStore) DeleteExpired(ctx context.Context) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	now := strconv.FormatInt(time.Now().UnixNano(), 10)
	n := s.cfg.ScanSegments
	return sessionitem.ForSegments(ctx, n, func(ctx context.Context, segment int) (int, error) {
		return s.deleteExpiredSegment(ctx, segment, n, now)
	})
}

// deleteExpiredSegment scans one segment of the table, page by page, for
// the items expired at now (Unix nanoseconds), deleting each page's items
// before reading the next page.
func (s *DynamoStore) deleteExpiredSegment(ctx context.Context, segment, total int, now string) (int, error) {
	in := &dynamodb.ScanInput{
		TableName:                aws.String(s.cfg.Table),
		ProjectionExpression:     aws.String(sessionitem.ExpiredProjection),
		FilterExpression:         aws.String(sessionitem.ExpiredFilter(s.cfg.Prefix)),
		ExpressionAttributeNames: aws.StringMap(sessionitem.ExpiredNames(s.cfg.Names)),
		ExpressionAttributeValues: map[string]*dynamodb.AttributeValue{
			sessionitem.NowPlaceholder: {N: aws.String(now)},
		},
	}
	if s.cfg.Prefix != "" {
		in.ExpressionAttributeValues[sessionitem.PrefixPlaceholder] = &dynamodb.AttributeValue{S: aws.String(s.cfg.Prefix)}
	}
	if total > 1 {
		in.Segment, in.TotalSegments = aws.Int64(int64(segment)), aws.Int64(int64(total))
	}
	removed := 0
	for {
		out, err := s.client.ScanWithContext(ctx, in)
		if err != nil {
			return removed, s.wrap(ctx, "scan for expired sessions in", err)
		}
		for _, item := range out.Items {
			key, expiry := item[s.cfg.Token], item[s.cfg.Expiry]
			if key == nil || key.S == nil || expiry == nil || expiry.N == nil {
				continue // the filter lets no such item through
			}
			ok, err := s.deleteIfExpiry(ctx, *key.S, *expiry.N)
			if err != nil {
				return removed, err
			}
			if ok {
				removed++
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			return removed, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// deleteIfExpiry deletes the item with the given key if its expiry is still
// the number expiry, and reports whether it did.
func (s *DynamoStore) deleteIfExpiry(ctx context.Context, key, expiry string) (bool, error) {
	_, err := s.client.DeleteItemWithContext(ctx, &dynamodb.DeleteItemInput{
		TableName:                aws.String(s.cfg.Table),
		Key:                      map[string]*dynamodb.AttributeValue{s.cfg.Token: {S: aws.String(key)}},
		ConditionExpression:      aws.String(sessionitem.DeleteExpiredCondition),
		ExpressionAttributeNames: aws.StringMap(sessionitem.DeleteConditionNames(s.cfg.Names)),
		ExpressionAttributeValues: map[string]*dynamodb.AttributeValue{
			sessionitem.ReadExpiryPlaceholder: {N: aws.String(expiry)},
		},
	})
	switch {
	case err == nil:
		return true, nil
	case isAWSErrCode(err, dynamodb.ErrCodeConditionalCheckFailedException):
		return false, nil
	}
	return false, s.wrap(ctx, "delete an expired session from", err)
}
