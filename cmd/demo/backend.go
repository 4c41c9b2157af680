package main

//lint:file-ignore SA1019 the v1 backend is built on aws-sdk-go v1 on purpose.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"
	awsv1 "github.com/aws/aws-sdk-go/aws"
	credsv1 "github.com/aws/aws-sdk-go/aws/credentials"
	"github.com/aws/aws-sdk-go/aws/session"
	ddbv1 "github.com/aws/aws-sdk-go/service/dynamodb"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/scs-stores/dynamostore"
	"github.com/scs-stores/dynamostore/awsv2"
)

// maxConns is how many DynamoDB requests the demo's HTTP client keeps
// connections for: the concurrency the demo is sized for.
const maxConns = 64

// sessionStore is what the demo needs of either package's store.
type sessionStore interface {
	scs.CtxStore
	scs.IterableCtxStore
	CreateTable(ctx context.Context) error
	TableName() string
	TokenName() string
	DataName() string
	ExpiryName() string
	TTLName() string
	Stats() awsv2.Stats // the same type in both packages
}

// sessionIdle is the demo's SCS IdleTimeout: a session ends after 20
// minutes without a request.
const sessionIdle = 20 * time.Minute

// storeOptions are the README's recommended options, the same in both
// packages (Option is one type): a logout or log-in is never undone by a
// request in flight, and a session that only had its expiry moved is written
// at most once every tenth of the idle timeout.
var storeOptions = []awsv2.Option{
	awsv2.WithDeleteWins(true),
	awsv2.WithTouchInterval(sessionIdle / 10),
}

var (
	_ sessionStore = (*dynamostore.DynamoStore)(nil)
	_ sessionStore = (*awsv2.DynamoStore)(nil)
)

// attr is one attribute of an item as DynamoDB holds it, whichever SDK
// read it: Type is DynamoDB's type letter (S, N, B, BOOL, M, ...), and S,
// N or B its value for those three types.
type attr struct {
	Type string
	S, N string
	B    []byte
}

// backend is the demo's DynamoDB table, reached through one of the two SDKs.
type backend struct {
	sdk   string // "v1" or "v2"
	where string // where the table is, for the log
	store sessionStore
	// getItem reads the item whose key is key with a strongly consistent
	// GetItem and returns its attributes, or nil and no error when there is
	// no such item.
	getItem func(ctx context.Context, key string) (map[string]attr, error)
	// deleteTable deletes the table (tests drop their tables with it).
	deleteTable func(ctx context.Context) error
}

// newBackend connects to DynamoDB through the SDK named by sdk ("v2" or
// "v1"): to DynamoDB Local when endpoint is set, and otherwise to the AWS
// account and region of the usual AWS environment. It returns an error for
// any other sdk, or when no region is configured.
func newBackend(ctx context.Context, sdk, endpoint, table string) (*backend, error) {
	switch sdk {
	case "v2":
		return newV2Backend(ctx, endpoint, table)
	case "v1":
		return newV1Backend(endpoint, table)
	}
	return nil, fmt.Errorf("-sdk %q: want v2 (aws-sdk-go-v2) or v1 (aws-sdk-go)", sdk)
}

var errNoRegion = errors.New("no AWS region: set AWS_REGION (or a region in ~/.aws/config), or set " + endpointVar + " to use DynamoDB Local")

// v2Config loads the aws-sdk-go-v2 configuration: DynamoDB Local as the
// base endpoint, dummy credentials and us-east-1 when endpoint is set, and
// otherwise the usual AWS environment. The store's HTTP settings are given
// to its DynamoDB client alone (awsv2.TuneHTTPClient), not to the config.
func v2Config(ctx context.Context, endpoint string) (aws.Config, error) {
	var opts []func(*config.LoadOptions) error
	if endpoint != "" {
		opts = append(opts,
			config.WithBaseEndpoint(endpoint),
			config.WithRegion("us-east-1"),
			config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("local", "local", "")))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("AWS config: %w", err)
	}
	if cfg.Region == "" {
		return aws.Config{}, errNoRegion
	}
	return cfg, nil
}

func newV2Backend(ctx context.Context, endpoint, table string) (*backend, error) {
	cfg, err := v2Config(ctx, endpoint)
	if err != nil {
		return nil, err
	}
	db := dynamodb.NewFromConfig(cfg, awsv2.TuneHTTPClient(maxConns), func(o *dynamodb.Options) {
		// DynamoDB Local's error answers (the "resource not found" that
		// CreateTable expects on a fresh start, say) carry no CRC32 header,
		// so the SDK's check of that checksum fails on them, and the SDK
		// logs a WARN after it has read the error. AWS sends the header.
		o.DisableValidateResponseChecksum = endpoint != ""
	})
	store, err := awsv2.New(db, append([]awsv2.Option{awsv2.WithTable(table)}, storeOptions...)...)
	if err != nil {
		return nil, err
	}
	return &backend{
		sdk:   "v2",
		where: where(endpoint, cfg.Region) + " through aws-sdk-go-v2 (package awsv2)",
		store: store,
		getItem: func(ctx context.Context, key string) (map[string]attr, error) {
			out, err := db.GetItem(ctx, &dynamodb.GetItemInput{
				TableName:      aws.String(table),
				Key:            map[string]types.AttributeValue{store.TokenName(): &types.AttributeValueMemberS{Value: key}},
				ConsistentRead: aws.Bool(true),
			})
			if err != nil || out.Item == nil {
				return nil, err
			}
			item := make(map[string]attr, len(out.Item))
			for name, v := range out.Item {
				item[name] = v2Attr(v)
			}
			return item, nil
		},
		deleteTable: func(ctx context.Context) error {
			_, err := db.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(table)})
			return err
		},
	}, nil
}

// v2Attr returns v's type and, for S, N and B, its value.
func v2Attr(v types.AttributeValue) attr {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return attr{Type: "S", S: v.Value}
	case *types.AttributeValueMemberN:
		return attr{Type: "N", N: v.Value}
	case *types.AttributeValueMemberB:
		return attr{Type: "B", B: v.Value}
	case *types.AttributeValueMemberBOOL:
		return attr{Type: "BOOL"}
	case *types.AttributeValueMemberNULL:
		return attr{Type: "NULL"}
	case *types.AttributeValueMemberSS:
		return attr{Type: "SS"}
	case *types.AttributeValueMemberNS:
		return attr{Type: "NS"}
	case *types.AttributeValueMemberBS:
		return attr{Type: "BS"}
	case *types.AttributeValueMemberM:
		return attr{Type: "M"}
	case *types.AttributeValueMemberL:
		return attr{Type: "L"}
	}
	return attr{Type: "?"}
}

// v1SessionOptions returns the aws-sdk-go session options: DynamoDB Local
// with dummy credentials in us-east-1 when endpoint is set, and otherwise the
// usual AWS environment, including ~/.aws/config, with no endpoint override.
// The session gets an HTTP client of its own with no custom transport, which
// aws-sdk-go accepts with AWS_CA_BUNDLE set; the store's requests go through
// the pooled client given to the DynamoDB client instead.
func v1SessionOptions(endpoint string) session.Options {
	if endpoint == "" {
		return session.Options{
			SharedConfigState: session.SharedConfigEnable,
			Config:            awsv1.Config{HTTPClient: &http.Client{}},
		}
	}
	return session.Options{Config: awsv1.Config{
		HTTPClient:  &http.Client{},
		Region:      awsv1.String("us-east-1"),
		Endpoint:    awsv1.String(endpoint),
		Credentials: credsv1.NewStaticCredentials("local", "local", ""),
	}}
}

func newV1Backend(endpoint, table string) (*backend, error) {
	sess, err := session.NewSessionWithOptions(v1SessionOptions(endpoint))
	if err != nil {
		return nil, fmt.Errorf("AWS session: %w", err)
	}
	region := awsv1.StringValue(sess.Config.Region)
	if region == "" {
		return nil, errNoRegion
	}
	hc, err := dynamostore.NewHTTPClient(maxConns)
	if err != nil {
		return nil, err
	}
	db := ddbv1.New(sess, &awsv1.Config{HTTPClient: hc})
	store, err := dynamostore.NewStore(db, append([]dynamostore.Option{dynamostore.WithTable(table)}, storeOptions...)...)
	if err != nil {
		return nil, err
	}
	return &backend{
		sdk:   "v1",
		where: where(endpoint, region) + " through aws-sdk-go (package dynamostore)",
		store: store,
		getItem: func(ctx context.Context, key string) (map[string]attr, error) {
			out, err := db.GetItemWithContext(ctx, &ddbv1.GetItemInput{
				TableName:      awsv1.String(table),
				Key:            map[string]*ddbv1.AttributeValue{store.TokenName(): {S: awsv1.String(key)}},
				ConsistentRead: awsv1.Bool(true),
			})
			if err != nil || out.Item == nil {
				return nil, err
			}
			item := make(map[string]attr, len(out.Item))
			for name, v := range out.Item {
				item[name] = v1Attr(v)
			}
			return item, nil
		},
		deleteTable: func(ctx context.Context) error {
			_, err := db.DeleteTableWithContext(ctx, &ddbv1.DeleteTableInput{TableName: awsv1.String(table)})
			return err
		},
	}, nil
}

// v1Attr returns v's type and, for S, N and B, its value.
func v1Attr(v *ddbv1.AttributeValue) attr {
	switch {
	case v == nil:
		return attr{Type: "?"}
	case v.S != nil:
		return attr{Type: "S", S: *v.S}
	case v.N != nil:
		return attr{Type: "N", N: *v.N}
	case v.B != nil:
		return attr{Type: "B", B: v.B}
	case v.BOOL != nil:
		return attr{Type: "BOOL"}
	case v.NULL != nil:
		return attr{Type: "NULL"}
	case v.SS != nil:
		return attr{Type: "SS"}
	case v.NS != nil:
		return attr{Type: "NS"}
	case v.BS != nil:
		return attr{Type: "BS"}
	case v.M != nil:
		return attr{Type: "M"}
	case v.L != nil:
		return attr{Type: "L"}
	}
	return attr{Type: "?"}
}

// where names the DynamoDB the demo uses, for the log.
func where(endpoint, region string) string {
	if endpoint != "" {
		return "DynamoDB Local at " + endpoint
	}
	return "AWS region " + region
}
