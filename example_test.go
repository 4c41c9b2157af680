package dynamostore_test

//lint:file-ignore SA1019 aws-sdk-go v1 is what the store is built on.

// These examples run as tests against DynamoDB Local, which `make test`
// starts, passing its URL in DYNAMODB_ENDPOINT. Under a plain `go test`
// without that server they are skipped (see TestMain), and under CI they
// fail.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/awserr"
	"github.com/aws/aws-sdk-go/aws/credentials"
	"github.com/aws/aws-sdk-go/aws/session"
	"github.com/aws/aws-sdk-go/service/dynamodb"

	"github.com/scs-stores/dynamostore"
)

// exampleSession returns an AWS session on DynamoDB Local. On AWS itself,
// use session.Must(session.NewSession()), which reads the region and
// credentials from the usual AWS environment.
func exampleSession() *session.Session {
	endpoint := os.Getenv("DYNAMODB_ENDPOINT")
	cfg := &aws.Config{
		Region:      aws.String("us-east-1"),
		Endpoint:    aws.String(endpoint),
		Credentials: credentials.NewStaticCredentials("local", "local", ""),
	}
	if endpoint == "" {
		fmt.Println("DYNAMODB_ENDPOINT is not set: the examples run against DynamoDB Local; run them with `make test`")
		// Never fall back to AWS: point at a loopback port nothing listens on.
		cfg.Endpoint, cfg.MaxRetries = aws.String("http://127.0.0.1:1"), aws.Int(0)
	}
	return session.Must(session.NewSession(cfg))
}

func ExampleNew() {
	db := dynamodb.New(exampleSession())

	// The table "scs_session" with the attributes token, data, expiry and
	// ttl, as the SCS v1 DynamoDB store had them. New creates no table:
	// CreateTable does, once, at set-up.
	store := dynamostore.New(db)
	if err := store.CreateTable(context.Background()); err != nil {
		fmt.Println(err)
		return
	}

	sessionManager := scs.New()
	sessionManager.Store = store

	// What sessionManager.LoadAndSave does around each HTTP request: load the
	// session of the request's cookie (none here), change it, commit it.
	ctx, err := sessionManager.Load(context.Background(), "")
	if err != nil {
		fmt.Println(err)
		return
	}
	sessionManager.Put(ctx, "message", "Hello from DynamoDB!")
	token, _, err := sessionManager.Commit(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}

	// The next request brings the token back in its cookie.
	ctx, err = sessionManager.Load(context.Background(), token)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(sessionManager.GetString(ctx, "message"))
	// Output: Hello from DynamoDB!
}

func ExampleNewStore() {
	// Any dynamodbiface.DynamoDBAPI works: a *dynamodb.DynamoDB, or a
	// wrapper of one that adds metrics or tracing.
	db := dynamodb.New(exampleSession())

	store, err := dynamostore.NewStore(db,
		dynamostore.WithTable("example_shop_sessions"),
		dynamostore.WithAttributes("id", "payload", "expires_ns", "expires_at"),
		// Sessions of this app are stored as "shop:<token>", so that other
		// apps can share the table.
		dynamostore.WithTokenPrefix("shop:"),
		// Strongly consistent reads are the default; false halves the cost
		// of reads, but a Find right after a Commit may then miss it.
		dynamostore.WithConsistentRead(true),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := store.CreateTable(context.Background()); err != nil {
		fmt.Println(err)
		return
	}

	sessionManager := scs.New()
	sessionManager.Store = store
	sessionManager.Lifetime = 12 * time.Hour

	ctx, _ := sessionManager.Load(context.Background(), "")
	sessionManager.Put(ctx, "cart", 3)
	token, _, err := sessionManager.Commit(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, _ = sessionManager.Load(context.Background(), token)
	fmt.Println("items in cart:", sessionManager.GetInt(ctx, "cart"))
	fmt.Println("hash key:", store.TokenName(), "TTL attribute:", store.TTLName())
	// Output:
	// items in cart: 3
	// hash key: id TTL attribute: expires_at
}

func ExampleDynamoStore_CreateTable() {
	db := dynamodb.New(exampleSession())
	store, err := dynamostore.NewStore(db, dynamostore.WithTable("example_sessions"))
	if err != nil {
		fmt.Println(err)
		return
	}

	// Creating a table takes a few seconds on AWS: give the wait a deadline.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := store.CreateTable(ctx); err != nil {
		fmt.Println(err)
		return
	}
	// It is idempotent: calling it on every start-up is fine.
	if err := store.CreateTable(ctx); err != nil {
		fmt.Println(err)
		return
	}
	if err := store.PingCtx(ctx); err != nil {
		fmt.Println(err)
		return
	}

	ttl, err := db.DescribeTimeToLiveWithContext(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(store.TableName())})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("table ready; Time To Live on:", aws.StringValue(ttl.TimeToLiveDescription.AttributeName))
	// Output: table ready; Time To Live on: ttl
}

func ExampleDynamoStore_All() {
	db := dynamodb.New(exampleSession())

	// Two apps share one table, each with its own token prefix.
	shop, err := dynamostore.NewStore(db, dynamostore.WithTable("example_shared_sessions"), dynamostore.WithTokenPrefix("shop:"))
	if err != nil {
		fmt.Println(err)
		return
	}
	blog, err := dynamostore.NewStore(db, dynamostore.WithTable("example_shared_sessions"), dynamostore.WithTokenPrefix("blog:"))
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := shop.CreateTable(context.Background()); err != nil {
		fmt.Println(err)
		return
	}

	inAnHour := time.Now().Add(time.Hour)
	for _, c := range []struct {
		store       *dynamostore.DynamoStore
		token, data string
		expiry      time.Time
	}{
		{shop, "token-of-alice", "alice's data", inAnHour},
		{shop, "token-of-bob", "bob's data", inAnHour},
		{shop, "token-expired", "old data", time.Now().Add(-time.Minute)},
		{blog, "token-of-carol", "carol's data", inAnHour},
	} {
		if err := c.store.Commit(c.token, []byte(c.data), c.expiry); err != nil {
			fmt.Println(err)
			return
		}
	}

	// All lists the shop's live sessions only, with the prefix taken off.
	sessions, err := shop.All()
	if err != nil {
		fmt.Println(err)
		return
	}
	tokens := make([]string, 0, len(sessions))
	for token := range sessions {
		tokens = append(tokens, token)
	}
	sort.Strings(tokens)
	for _, token := range tokens {
		fmt.Printf("%s: %s\n", token, sessions[token])
	}
	// Output:
	// token-of-alice: alice's data
	// token-of-bob: bob's data
}

func ExampleDynamoStore_DeleteExpired() {
	db := dynamodb.New(exampleSession())
	store, err := dynamostore.NewStore(db, dynamostore.WithTable("example_sessions_without_ttl"))
	if err != nil {
		fmt.Println(err)
		return
	}
	// DeleteExpired is for tables without Time To Live, such as this one;
	// CreateTable would have enabled it.
	if err := exampleTableWithoutTTL(db, store.TableName()); err != nil {
		fmt.Println(err)
		return
	}
	if err := store.Commit("token-live", []byte("data"), time.Now().Add(time.Hour)); err != nil {
		fmt.Println(err)
		return
	}
	if err := store.Commit("token-expired", []byte("data"), time.Now().Add(-time.Minute)); err != nil {
		fmt.Println(err)
		return
	}

	// Run it now and then, for example hourly from a scheduled job.
	removed, err := store.DeleteExpired(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("removed", removed, "expired session(s)")
	// Output: removed 1 expired session(s)
}

// exampleTableWithoutTTL creates a session table without Time To Live
// unless it exists.
func exampleTableWithoutTTL(db *dynamodb.DynamoDB, table string) error {
	_, err := db.CreateTable(&dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		BillingMode:          aws.String(dynamodb.BillingModePayPerRequest),
		AttributeDefinitions: []*dynamodb.AttributeDefinition{{AttributeName: aws.String("token"), AttributeType: aws.String("S")}},
		KeySchema:            []*dynamodb.KeySchemaElement{{AttributeName: aws.String("token"), KeyType: aws.String("HASH")}},
	})
	var aerr awserr.Error
	if errors.As(err, &aerr) && aerr.Code() == dynamodb.ErrCodeResourceInUseException {
		err = nil
	}
	if err != nil {
		return err
	}
	return db.WaitUntilTableExists(&dynamodb.DescribeTableInput{TableName: aws.String(table)})
}
