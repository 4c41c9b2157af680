package awsv2_test

// These examples run as tests against DynamoDB Local, which `make test`
// starts, passing its URL in DYNAMODB_ENDPOINT. Under a plain `go test`
// without that server they are skipped (see TestMain), and under CI they
// fail.

import (
	"context"
	"fmt"
	"os"

	"github.com/alexedwards/scs/v2"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/scs-stores/dynamostore/awsv2"
)

// exampleConfig returns the AWS configuration of DynamoDB Local. On AWS
// itself, drop the region, credentials and endpoint: LoadDefaultConfig then
// reads them from the usual AWS environment.
func exampleConfig() (aws.Config, []func(*dynamodb.Options)) {
	endpoint := os.Getenv("DYNAMODB_ENDPOINT")
	if endpoint == "" {
		fmt.Println("DYNAMODB_ENDPOINT is not set: the examples run against DynamoDB Local; run them with `make test`")
		endpoint = "http://127.0.0.1:1" // never AWS: a loopback port nothing listens on
	}
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("local", "local", "")),
	)
	if err != nil {
		panic(err)
	}
	return cfg, []func(*dynamodb.Options){
		// The recommended HTTP settings, for this DynamoDB client only:
		// pooled for 64 concurrent requests and with timeouts.
		awsv2.TuneHTTPClient(64),
		func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(endpoint) },
	}
}

func ExampleNew() {
	cfg, local := exampleConfig()
	db := dynamodb.NewFromConfig(cfg, local...)

	// The table "scs_session" with the attributes token, data, expiry and
	// ttl. New creates no table: CreateTable does, once, at set-up.
	store, err := awsv2.New(db, awsv2.WithTable("example_awsv2_sessions"))
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
