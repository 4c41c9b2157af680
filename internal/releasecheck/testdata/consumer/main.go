// Command consumer is the program that release-check builds in a fresh module
// outside the repository, from the published modules alone, as a new user
// would. Against the DynamoDB Local at DYNAMODB_ENDPOINT it creates a table
// with each package's CreateTable, commits, finds and deletes a session
// through each package, and reads each package's session with the other. It
// exits 1 on the first step that fails.
//
// It lives under testdata so that the release checker's own module does not
// build it: it needs the published modules, which only the consumer has.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	v1aws "github.com/aws/aws-sdk-go/aws"
	v1credentials "github.com/aws/aws-sdk-go/aws/credentials"
	v1session "github.com/aws/aws-sdk-go/aws/session"
	v1dynamodb "github.com/aws/aws-sdk-go/service/dynamodb"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/scs-stores/dynamostore"
	"github.com/scs-stores/dynamostore/awsv2"
)

// store is what the program uses of either package's *DynamoStore.
type store interface {
	CreateTable(ctx context.Context) error
	CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error
	FindCtx(ctx context.Context, token string) ([]byte, bool, error)
	DeleteCtx(ctx context.Context, token string) error
}

func main() {
	table := flag.String("table", "", "name of the table to create and use (required)")
	flag.Parse()
	if err := run(*table); err != nil {
		fmt.Fprintln(os.Stderr, "consumer:", err)
		os.Exit(1)
	}
	fmt.Println("consumer: both packages created, committed, found and deleted sessions, and read each other's")
}

func run(table string) error {
	endpoint := os.Getenv("DYNAMODB_ENDPOINT")
	if endpoint == "" || table == "" {
		return errors.New("DYNAMODB_ENDPOINT and -table are required")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	sess, err := v1session.NewSession(&v1aws.Config{
		Region:      v1aws.String("us-east-1"),
		Endpoint:    v1aws.String(endpoint),
		Credentials: v1credentials.NewStaticCredentials("local", "local", ""),
	})
	if err != nil {
		return fmt.Errorf("aws-sdk-go session: %w", err)
	}
	v1store, err := dynamostore.NewStore(v1dynamodb.New(sess), dynamostore.WithTable(table))
	if err != nil {
		return fmt.Errorf("dynamostore.NewStore: %w", err)
	}

	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("local", "local", "")),
	)
	if err != nil {
		return fmt.Errorf("aws-sdk-go-v2 config: %w", err)
	}
	client := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(endpoint) })
	v2store, err := awsv2.New(client, awsv2.WithTable(table))
	if err != nil {
		return fmt.Errorf("awsv2.New: %w", err)
	}

	// The first CreateTable makes the table; the second finds it made.
	if err := v1store.CreateTable(ctx); err != nil {
		return fmt.Errorf("dynamostore CreateTable: %w", err)
	}
	if err := v2store.CreateTable(ctx); err != nil {
		return fmt.Errorf("awsv2 CreateTable on the existing table: %w", err)
	}
	if err := roundTrip(ctx, "dynamostore", v1store, "awsv2", v2store); err != nil {
		return err
	}
	if err := roundTrip(ctx, "awsv2", v2store, "dynamostore", v1store); err != nil {
		return err
	}
	return nil
}

// roundTrip commits a session through w, finds it through w and r, deletes
// it through w and checks that r no longer finds it.
func roundTrip(ctx context.Context, wname string, w store, rname string, r store) error {
	token := "release-check-" + wname
	data := []byte("written by " + wname)
	if err := w.CommitCtx(ctx, token, data, time.Now().Add(time.Hour)); err != nil {
		return fmt.Errorf("%s Commit: %w", wname, err)
	}
	for _, s := range []struct {
		name string
		st   store
	}{{wname, w}, {rname, r}} {
		got, found, err := s.st.FindCtx(ctx, token)
		if err != nil {
			return fmt.Errorf("%s Find of %s's session: %w", s.name, wname, err)
		}
		if !found || !bytes.Equal(got, data) {
			return fmt.Errorf("%s Find of %s's session = %q, %v; want %q, true", s.name, wname, got, found, data)
		}
	}
	if err := w.DeleteCtx(ctx, token); err != nil {
		return fmt.Errorf("%s Delete: %w", wname, err)
	}
	if got, found, err := r.FindCtx(ctx, token); err != nil || found {
		return fmt.Errorf("%s Find after %s Delete = %q, %v, %v; want not found", rname, wname, got, found, err)
	}
	return nil
}
