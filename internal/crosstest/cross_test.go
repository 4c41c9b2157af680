// Package crosstest checks that the two store packages, dynamostore on
// aws-sdk-go and dynamostore/awsv2 on aws-sdk-go-v2, are interchangeable on
// one table, as two apps are during a migration: each reads, lists, deletes
// and expires the other's sessions, both write byte-identical items, and
// their errors are the same values. It runs on the engine that package
// testenv describes, like the integration suite.
package crosstest

//lint:file-ignore SA1019 one of the two packages under test is built on aws-sdk-go v1.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"testing"
	"time"

	awsv1 "github.com/aws/aws-sdk-go/aws"
	credsv1 "github.com/aws/aws-sdk-go/aws/credentials"
	"github.com/aws/aws-sdk-go/aws/session"
	dynamodbv1 "github.com/aws/aws-sdk-go/service/dynamodb"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/scs-stores/dynamostore"
	"github.com/scs-stores/dynamostore/awsv2"
	"github.com/scs-stores/dynamostore/internal/testsuite/testenv"
)

// v1Client returns an aws-sdk-go client of the engine.
func v1Client(t *testing.T) *dynamodbv1.DynamoDB {
	t.Helper()
	// An HTTP client of its own: with AWS_CA_BUNDLE set, the session writes
	// its CA pool into the client's transport.
	cfg := awsv1.Config{HTTPClient: &http.Client{}}
	if e := testenv.Endpoint(t); e != "" {
		cfg.Endpoint = awsv1.String(e)
	}
	if r := testenv.Region(); r != "" {
		cfg.Region = awsv1.String(r)
	}
	if id, secret, ok := testenv.StaticCredentials(); ok {
		cfg.Credentials = credsv1.NewStaticCredentials(id, secret, "")
	}
	sess, err := session.NewSessionWithOptions(session.Options{Config: cfg, SharedConfigState: session.SharedConfigEnable})
	if err != nil {
		t.Fatalf("aws-sdk-go session: %v", err)
	}
	return dynamodbv1.New(sess)
}

// v2Client returns an aws-sdk-go-v2 client of the engine.
func v2Client(t *testing.T) *dynamodb.Client {
	t.Helper()
	endpoint := testenv.Endpoint(t)
	var opts dynamodb.Options
	if id, secret, ok := testenv.StaticCredentials(); ok {
		opts = dynamodb.Options{Region: testenv.Region(), Credentials: credentials.NewStaticCredentialsProvider(id, secret, "")}
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
	return dynamodb.New(opts)
}

// newTable creates an on-demand table keyed by key (S) with db, waits until
// it is ACTIVE, and deletes it when t ends. It returns its name.
func newTable(t *testing.T, db *dynamodb.Client, key string) string {
	t.Helper()
	table := testenv.TableName(t)
	ctx, cancel := context.WithTimeout(context.Background(), testenv.TableWait)
	defer cancel()
	_, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String(key), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String(key), KeyType: types.KeyTypeHash}},
	})
	if err != nil {
		t.Fatalf("create table %s: %v", table, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), testenv.TableWait)
		defer cancel()
		if err := waitTable(ctx, db, table, false); err != nil {
			t.Errorf("delete table %s: %v", table, err)
		}
	})
	if err := waitTable(ctx, db, table, true); err != nil {
		t.Fatal(err)
	}
	return table
}

// waitTable waits until table is ACTIVE (active true), or deletes it and
// waits until it is gone.
func waitTable(ctx context.Context, db *dynamodb.Client, table string, active bool) error {
	if !active {
		_, err := db.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(table)})
		var inUse *types.ResourceInUseException
		if err != nil && !errors.As(err, &inUse) {
			return err
		}
	}
	return testenv.WaitFor(ctx, fmt.Sprintf("table %s to be ACTIVE (%v) or gone", table, active), func(ctx context.Context) (bool, error) {
		out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
		var missing *types.ResourceNotFoundException
		if errors.As(err, &missing) {
			return !active, nil
		}
		if err != nil {
			return false, err
		}
		return active && out.Table.TableStatus == types.TableStatusActive, nil
	})
}

// getItem returns every attribute of the item whose key attribute key is
// token, read with strong consistency; nil when there is none.
func getItem(t *testing.T, db *dynamodb.Client, table, key, token string) map[string]types.AttributeValue {
	t.Helper()
	out, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName:      aws.String(table),
		Key:            map[string]types.AttributeValue{key: &types.AttributeValueMemberS{Value: token}},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		t.Fatalf("get %s: %v", token, err)
	}
	return out.Item
}

// store is what both packages' stores offer.
type store interface {
	Find(token string) ([]byte, bool, error)
	Commit(token string, b []byte, expiry time.Time) error
	Delete(token string) error
	All() (map[string][]byte, error)
	DeleteExpired(ctx context.Context) (int, error)
}

// crossStores returns an aws-sdk-go store and an aws-sdk-go-v2 store on one
// fresh table keyed by "sid", with the same options, as two apps would be
// during a migration.
func crossStores(t *testing.T, prefix string) (v1 *dynamostore.DynamoStore, v2 *awsv2.DynamoStore) {
	t.Helper()
	db2 := v2Client(t)
	table := newTable(t, db2, "sid")
	opts := []dynamostore.Option{dynamostore.WithTable(table), dynamostore.WithAttributes("sid", "", "", ""), dynamostore.WithTokenPrefix(prefix)}
	v1, err := dynamostore.NewStore(v1Client(t), opts...)
	if err != nil {
		t.Fatal(err)
	}
	// The options are one type in both packages.
	if v2, err = awsv2.New(db2, opts...); err != nil {
		t.Fatal(err)
	}
	return v1, v2
}

func TestEachPackageReadsListsAndDeletesTheOthersSessions(t *testing.T) {
	t.Parallel()
	for _, prefix := range []string{"", "app:"} {
		t.Run(fmt.Sprintf("prefix %q", prefix), func(t *testing.T) {
			t.Parallel()
			v1, v2 := crossStores(t, prefix)
			for _, dir := range []struct {
				name          string
				writer, other store
			}{
				{"aws-sdk-go to aws-sdk-go-v2", v1, v2},
				{"aws-sdk-go-v2 to aws-sdk-go", v2, v1},
			} {
				t.Run(dir.name, func(t *testing.T) {
					w, r := dir.writer, dir.other
					data := []byte{0, 'h', 'i', 255}
					if err := w.Commit("live", data, time.Now().Add(time.Hour)); err != nil {
						t.Fatal(err)
					}
					if err := w.Commit("empty", nil, time.Now().Add(time.Hour)); err != nil {
						t.Fatal(err)
					}
					if err := w.Commit("expired", []byte("old"), time.Now().Add(-time.Minute)); err != nil {
						t.Fatal(err)
					}
					if got, found, err := r.Find("live"); err != nil || !found || string(got) != string(data) {
						t.Errorf("Find(live) = %q, %v, %v; want %q", got, found, err, data)
					}
					if got, found, err := r.Find("empty"); err != nil || !found || got == nil || len(got) != 0 {
						t.Errorf("Find(empty) = %q, %v, %v; want empty data, found", got, found, err)
					}
					if got, found, err := r.Find("expired"); err != nil || found || got != nil {
						t.Errorf("Find(expired) = %q, %v, %v; want not found", got, found, err)
					}
					all, err := r.All()
					if err != nil || len(all) != 2 || string(all["live"]) != string(data) || all["empty"] == nil {
						t.Errorf("All = %q, %v; want live and empty", all, err)
					}
					// The reader deletes what the writer wrote; the writer sees it gone.
					if err := r.Delete("live"); err != nil {
						t.Fatal(err)
					}
					if got, found, err := w.Find("live"); err != nil || found || got != nil {
						t.Errorf("writer's Find after the reader's Delete = %q, %v, %v; want not found", got, found, err)
					}
					for _, tok := range []string{"empty", "expired"} {
						if err := w.Delete(tok); err != nil {
							t.Fatal(err)
						}
					}
					if all, err := w.All(); err != nil || len(all) != 0 {
						t.Errorf("All after clean-up = %q, %v; want none", all, err)
					}
				})
			}
		})
	}
}

func TestEachPackageDeletesTheOthersExpiredSessions(t *testing.T) {
	t.Parallel()
	v1, v2 := crossStores(t, "")
	past, future := time.Now().Add(-time.Minute), time.Now().Add(time.Hour)
	for _, c := range []struct {
		store store
		token string
		at    time.Time
	}{{v1, "v1-dead", past}, {v2, "v2-dead", past}, {v1, "v1-live", future}, {v2, "v2-live", future}} {
		if err := c.store.Commit(c.token, []byte("x"), c.at); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := v2.DeleteExpired(context.Background()); err != nil || n != 2 {
		t.Fatalf("aws-sdk-go-v2 DeleteExpired = %d, %v; want 2 (one from each package), nil", n, err)
	}
	if err := v2.Commit("v2-dead", []byte("x"), past); err != nil {
		t.Fatal(err)
	}
	if n, err := v1.DeleteExpired(context.Background()); err != nil || n != 1 {
		t.Fatalf("aws-sdk-go DeleteExpired = %d, %v; want 1 (the aws-sdk-go-v2 session), nil", n, err)
	}
	if all, err := v1.All(); err != nil || len(all) != 2 || all["v1-live"] == nil || all["v2-live"] == nil {
		t.Fatalf("All = %q, %v; want the two live sessions", all, err)
	}
}

func TestErrorsAreTheSameValuesInBothPackages(t *testing.T) {
	for _, p := range []struct {
		name   string
		v1, v2 error
	}{
		{"ErrInvalidToken", dynamostore.ErrInvalidToken, awsv2.ErrInvalidToken},
		{"ErrItemTooLarge", dynamostore.ErrItemTooLarge, awsv2.ErrItemTooLarge},
		{"ErrMalformedItem", dynamostore.ErrMalformedItem, awsv2.ErrMalformedItem},
		{"ErrInvalidConfig", dynamostore.ErrInvalidConfig, awsv2.ErrInvalidConfig},
		{"ErrTableNotReady", dynamostore.ErrTableNotReady, awsv2.ErrTableNotReady},
	} {
		if p.v1 == nil || p.v1 != p.v2 || !errors.Is(fmt.Errorf("wrapped: %w", p.v2), p.v1) || !errors.Is(fmt.Errorf("wrapped: %w", p.v1), p.v2) {
			t.Errorf("%s: aws-sdk-go's %v and aws-sdk-go-v2's %v are not the same value", p.name, p.v1, p.v2)
		}
	}
	// And the stores return them: each package's errors match the other's
	// values. Neither store sends a request here.
	if _, err := dynamostore.NewStore(nil); !errors.Is(err, awsv2.ErrInvalidConfig) {
		t.Errorf("aws-sdk-go NewStore(nil) = %v, want awsv2.ErrInvalidConfig", err)
	}
	if _, err := awsv2.New(nil); !errors.Is(err, dynamostore.ErrInvalidConfig) {
		t.Errorf("aws-sdk-go-v2 New(nil) = %v, want dynamostore.ErrInvalidConfig", err)
	}
	v1, err := dynamostore.NewStore(&dynamodbv1.DynamoDB{})
	if err != nil {
		t.Fatal(err)
	}
	v2, err := awsv2.New(&dynamodb.Client{})
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]store{"aws-sdk-go": v1, "aws-sdk-go-v2": v2} {
		if err := s.Commit("", []byte("x"), time.Now().Add(time.Hour)); !errors.Is(err, dynamostore.ErrInvalidToken) || !errors.Is(err, awsv2.ErrInvalidToken) {
			t.Errorf("%s Commit of an empty token = %v, want ErrInvalidToken of both packages", name, err)
		}
	}
}

func TestBothPackagesWriteIdenticalItems(t *testing.T) {
	t.Parallel()
	db2 := v2Client(t)
	table := newTable(t, db2, "token")
	for _, prefix := range []string{"", "app:"} {
		opts := []dynamostore.Option{dynamostore.WithTable(table), dynamostore.WithTokenPrefix(prefix)}
		v1, err := dynamostore.NewStore(v1Client(t), opts...)
		if err != nil {
			t.Fatal(err)
		}
		v2, err := awsv2.New(db2, opts...)
		if err != nil {
			t.Fatal(err)
		}
		expiry := time.Now().Add(time.Hour)
		for _, tt := range []struct {
			token string
			data  []byte
		}{{"x1", []byte("same")}, {"n1", nil}, {"b1", []byte{0, 255, 1}}} {
			if err := v1.Commit(tt.token, tt.data, expiry); err != nil {
				t.Fatal(err)
			}
			if err := v2.Commit(tt.token+"-v2", tt.data, expiry); err != nil {
				t.Fatal(err)
			}
			a := getItem(t, db2, table, "token", prefix+tt.token)
			b := getItem(t, db2, table, "token", prefix+tt.token+"-v2")
			if a == nil || b == nil {
				t.Fatalf("token %q: items %v and %v, want both", prefix+tt.token, a, b)
			}
			delete(a, "token")
			delete(b, "token")
			if !reflect.DeepEqual(a, b) || len(a) != 3 {
				t.Errorf("token %q: aws-sdk-go wrote %#v, aws-sdk-go-v2 wrote %#v; want the same data, expiry and ttl", prefix+tt.token, a, b)
			}
		}
	}
}
