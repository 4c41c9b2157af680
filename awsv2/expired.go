package awsv2

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

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
		ExpressionAttributeNames: sessionitem.ExpiredNames(s.cfg.Names),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			sessionitem.NowPlaceholder: &types.AttributeValueMemberN{Value: now},
		},
	}
	if s.cfg.Prefix != "" {
		in.ExpressionAttributeValues[sessionitem.PrefixPlaceholder] = &types.AttributeValueMemberS{Value: s.cfg.Prefix}
	}
	if total > 1 {
		// ScanSegments is at most sessionitem.MaxScanSegments, well within int32.
		in.Segment, in.TotalSegments = aws.Int32(int32(segment)), aws.Int32(int32(total))
	}
	removed := 0
	for {
		out, err := s.client.Scan(ctx, in)
		if err != nil {
			return removed, s.wrap(ctx, "scan for expired sessions in", err)
		}
		for _, item := range out.Items {
			key, ok1 := item[s.cfg.Token].(*types.AttributeValueMemberS)
			expiry, ok2 := item[s.cfg.Expiry].(*types.AttributeValueMemberN)
			if !ok1 || !ok2 || key == nil || expiry == nil {
				continue // the filter lets no such item through
			}
			ok, err := s.deleteIfExpiry(ctx, key.Value, expiry.Value)
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
	_, err := s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                aws.String(s.cfg.Table),
		Key:                      map[string]types.AttributeValue{s.cfg.Token: &types.AttributeValueMemberS{Value: key}},
		ConditionExpression:      aws.String(sessionitem.DeleteExpiredCondition),
		ExpressionAttributeNames: sessionitem.DeleteConditionNames(s.cfg.Names),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			sessionitem.ReadExpiryPlaceholder: &types.AttributeValueMemberN{Value: expiry},
		},
	})
	var changed *types.ConditionalCheckFailedException
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &changed):
		return false, nil
	}
	return false, s.wrap(ctx, "delete an expired session from", err)
}
