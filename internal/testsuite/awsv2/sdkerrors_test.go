package awsv2_test

// What only this package has: its constructor's nil client, and errors
// matched as aws-sdk-go-v2's own. The shared suite (suite_test.go) covers
// the rest.

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/scs-stores/dynamostore/awsv2"
	"github.com/scs-stores/dynamostore/internal/testsuite/drivertest"
	"github.com/scs-stores/dynamostore/internal/testsuite/testenv"
)

func TestNewOfANilOrTypedNilClientIsInvalidConfig(t *testing.T) {
	for name, c := range map[string]awsv2.Client{
		"nil interface": nil,
		"typed nil":     (*dynamodb.Client)(nil),
	} {
		if s, err := awsv2.New(c); !errors.Is(err, awsv2.ErrInvalidConfig) || s != nil {
			t.Errorf("%s: New = %v, %v; want nil, ErrInvalidConfig", name, s, err)
		}
	}
}

func TestMissingTableErrorIsAResourceNotFoundException(t *testing.T) {
	t.Parallel()
	s, err := awsv2.New(testClient(t, drivertest.ClientOptions{}), awsv2.WithTable(testenv.TableName(t)))
	if err != nil {
		t.Fatal(err)
	}
	_, _, findErr := s.Find("tok")
	_, allErr := s.All()
	for op, err := range map[string]error{
		"Find":   findErr,
		"Commit": s.Commit("tok", []byte("x"), time.Now().Add(time.Hour)),
		"Delete": s.Delete("tok"),
		"All":    allErr,
		"Ping":   s.Ping(),
	} {
		var rnf *types.ResourceNotFoundException
		var api smithy.APIError
		if !errors.As(err, &rnf) || !errors.As(err, &api) || api.ErrorCode() != "ResourceNotFoundException" {
			t.Errorf("%s = %v, want a *types.ResourceNotFoundException and a smithy.APIError of its code", op, err)
		}
	}
}

func TestCancelledContextErrorIsContextCanceledAndTheSDKsOperationError(t *testing.T) {
	t.Parallel()
	h := &drivertest.H{Harness: harness}
	s, err := awsv2.New(testClient(t, drivertest.ClientOptions{}), awsv2.WithTable(h.SharedTable(t)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.AllCtx(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("AllCtx = %v, want context.Canceled", err) // it sends no Scan once ctx has ended
	}
	_, _, findErr := s.FindCtx(ctx, "tok")
	for _, c := range []struct {
		op, sdkOp string
		err       error
	}{
		{"FindCtx", "GetItem", findErr},
		{"CommitCtx", "PutItem", s.CommitCtx(ctx, "tok", []byte("x"), time.Now().Add(time.Hour))},
		{"DeleteCtx", "DeleteItem", s.DeleteCtx(ctx, "tok")},
		{"PingCtx", "DescribeTable", s.PingCtx(ctx)},
	} {
		var oerr *smithy.OperationError
		if !errors.Is(c.err, context.Canceled) || !errors.As(c.err, &oerr) || oerr.Operation() != c.sdkOp {
			t.Errorf("%s = %v, want context.Canceled and the SDK's *smithy.OperationError of %s", c.op, c.err, c.sdkOp)
		}
	}
}
