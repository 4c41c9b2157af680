package dynamostore_test

//lint:file-ignore SA1019 aws-sdk-go v1 is what this package is for.

// What only this package has: SCS v1's constructors and Save, and errors
// matched as aws-sdk-go's own. The shared suite (suite_test.go) covers the
// rest.

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws/awserr"
	"github.com/aws/aws-sdk-go/aws/request"
	"github.com/aws/aws-sdk-go/service/dynamodb"
	"github.com/aws/aws-sdk-go/service/dynamodb/dynamodbiface"

	"github.com/scs-stores/dynamostore"
	"github.com/scs-stores/dynamostore/internal/core/driver"
	"github.com/scs-stores/dynamostore/internal/testsuite/drivertest"
	"github.com/scs-stores/dynamostore/internal/testsuite/testenv"
)

func TestNewAndNewWithOptionHaveTheSeedNames(t *testing.T) {
	seed := [5]string{"scs_session", "token", "data", "expiry", "ttl"}
	names := func(s *dynamostore.DynamoStore) [5]string {
		return [5]string{s.TableName(), s.TokenName(), s.DataName(), s.ExpiryName(), s.TTLName()}
	}
	if got := names(dynamostore.New(&dynamodb.DynamoDB{})); got != seed {
		t.Errorf("New: names = %q, want %q", got, seed)
	}
	if got := names(dynamostore.NewWithOption(&dynamodb.DynamoDB{}, "", "", "", "", "")); got != seed {
		t.Errorf("NewWithOption with empty names: names = %q, want %q", got, seed)
	}
	want := [5]string{"sessions", "key", "name", "a.b", "my data"}
	if got := names(dynamostore.NewWithOption(&dynamodb.DynamoDB{}, want[0], want[1], want[2], want[3], want[4])); got != want {
		t.Errorf("NewWithOption: names = %q, want %q", got, want)
	}
}

func TestNewWithOptionAndSaveRoundTripWithCustomNames(t *testing.T) {
	t.Parallel()
	h := &drivertest.H{Harness: harness}
	db := testClient(t, drivertest.ClientOptions{})
	table := h.RawTable(t, "key", "S")
	s := dynamostore.NewWithOption(db, table, "key", "name", "a.b", "my data")
	expiry := time.Unix(4102444800, 5) // 2100
	if err := s.Save("tok", []byte("one"), expiry); err != nil {
		t.Fatal(err)
	}
	if err := s.Save("gone", []byte("old"), time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	drivertest.MustFind(t, s, "tok", []byte("one"))
	drivertest.MustNotFind(t, s, "gone")
	item := h.Get(t, db, table, "key", "tok")
	if len(item) != 4 || item["key"].Text != "tok" || string(item["name"].Bytes) != "one" ||
		item["a.b"].Type != driver.Number || item["a.b"].Text != "4102444800000000005" ||
		item["my data"].Type != driver.Number || item["my data"].Text != "4102444801" {
		t.Errorf("stored item = %v", item)
	}
	if all, err := s.All(); err != nil || len(all) != 1 || string(all["tok"]) != "one" {
		t.Fatalf("All = %q, %v; want tok", all, err)
	}
	if err := s.Delete("tok"); err != nil {
		t.Fatal(err)
	}
	drivertest.MustNotFind(t, s, "tok")
	if err := s.Ping(); err != nil {
		t.Errorf("Ping = %v", err)
	}
}

func TestSaveIsCommit(t *testing.T) {
	t.Parallel()
	h := &drivertest.H{Harness: harness}
	table := h.SharedTable(t)
	rec := &drivertest.Recorder{}
	db := testClient(t, drivertest.ClientOptions{Transport: rec, Retries: -1})
	s, err := dynamostore.NewStore(db, dynamostore.WithTable(table))
	if err != nil {
		t.Fatal(err)
	}
	saved, committed := t.Name()+"-saved", t.Name()+"-committed"
	expiry := time.Unix(4102444800, 42)
	if err := s.Save(saved, []byte("x"), expiry); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(committed, []byte("x"), expiry); err != nil {
		t.Fatal(err)
	}
	if reqs := rec.Take(); drivertest.Count(reqs, "PutItem") != 2 || len(reqs) != 2 {
		t.Errorf("requests = %q, want one PutItem each", drivertest.Ops(reqs))
	}
	raw := testClient(t, drivertest.ClientOptions{})
	a, b := h.Get(t, raw, table, "token", saved), h.Get(t, raw, table, "token", committed)
	delete(a, "token")
	delete(b, "token")
	if len(a) != 3 || len(b) != 3 {
		t.Fatalf("Save stored %v, Commit stored %v", a, b)
	}
	for k, v := range a {
		if w := b[k]; v.Type != w.Type || v.Text != w.Text || string(v.Bytes) != string(w.Bytes) {
			t.Errorf("attribute %s: Save stored %v, Commit stored %v", k, v, w)
		}
	}
	if err := s.Save("", []byte("x"), expiry); !errors.Is(err, dynamostore.ErrInvalidToken) {
		t.Errorf("Save of an empty token = %v, want ErrInvalidToken", err)
	}
	if reqs := rec.Take(); len(reqs) != 0 {
		t.Errorf("Save of an empty token sent %q", drivertest.Ops(reqs))
	}
}

func TestNewWithNilClientOrBadNameFailsEveryCallWithoutPanicking(t *testing.T) {
	rec := &drivertest.Recorder{}
	db := testClient(t, drivertest.ClientOptions{Transport: rec})
	stores := map[string]*dynamostore.DynamoStore{
		"New(nil)":                      dynamostore.New(nil),
		"New(typed nil)":                dynamostore.New((*dynamodb.DynamoDB)(nil)),
		"NewWithOption(nil)":            dynamostore.NewWithOption(nil, "", "", "", "", ""),
		"table name too short":          dynamostore.NewWithOption(db, "ab", "", "", "", ""),
		"table name with a space":       dynamostore.NewWithOption(db, "my table", "", "", "", ""),
		"token and data with one name":  dynamostore.NewWithOption(db, "", "k", "k", "", ""),
		"token name longer than 255 B":  dynamostore.NewWithOption(db, "", strings.Repeat("k", 256), "", "", ""),
		"expiry name not valid UTF-8":   dynamostore.NewWithOption(db, "", "", "", "e\xff", ""),
		"ttl name same as expiry's one": dynamostore.NewWithOption(db, "", "", "", "x", "x"),
	}
	expiry := time.Now().Add(time.Hour)
	ctx := context.Background()
	for name, s := range stores {
		t.Run(name, func(t *testing.T) {
			_, _, findErr := s.Find("tok")
			_, _, findCtxErr := s.FindCtx(ctx, "tok")
			_, allErr := s.All()
			_, expiredErr := s.DeleteExpired(ctx)
			for op, err := range map[string]error{
				"Find":          findErr,
				"FindCtx":       findCtxErr,
				"Commit":        s.Commit("tok", []byte("x"), expiry),
				"Save":          s.Save("tok", []byte("x"), expiry),
				"Delete":        s.Delete("tok"),
				"All":           allErr,
				"Ping":          s.Ping(),
				"CreateTable":   s.CreateTable(ctx),
				"DeleteExpired": expiredErr,
			} {
				if !errors.Is(err, dynamostore.ErrInvalidConfig) {
					t.Errorf("%s = %v, want ErrInvalidConfig", op, err)
				}
			}
		})
	}
	if reqs := rec.Take(); len(reqs) != 0 {
		t.Errorf("misconfigured stores sent %q, want no request", drivertest.Ops(reqs))
	}
}

func TestNewStoreOfANilOrTypedNilClientIsInvalidConfig(t *testing.T) {
	for name, c := range map[string]dynamodbiface.DynamoDBAPI{
		"nil interface": nil,
		"typed nil":     (*dynamodb.DynamoDB)(nil),
	} {
		if s, err := dynamostore.NewStore(c); !errors.Is(err, dynamostore.ErrInvalidConfig) || s != nil {
			t.Errorf("%s: NewStore = %v, %v; want nil, ErrInvalidConfig", name, s, err)
		}
	}
}

func TestMissingTableErrorIsAnAWSErrResourceNotFound(t *testing.T) {
	t.Parallel()
	db := testClient(t, drivertest.ClientOptions{})
	table := testenv.TableName(t)
	s := dynamostore.NewWithOption(db, table, "", "", "", "")
	_, _, findErr := s.Find("tok")
	_, allErr := s.All()
	for op, err := range map[string]error{
		"Find":   findErr,
		"Commit": s.Commit("tok", []byte("x"), time.Now().Add(time.Hour)),
		"Save":   s.Save("tok", []byte("x"), time.Now().Add(time.Hour)),
		"Delete": s.Delete("tok"),
		"All":    allErr,
		"Ping":   s.Ping(),
	} {
		var aerr awserr.Error
		if !errors.As(err, &aerr) || aerr.Code() != dynamodb.ErrCodeResourceNotFoundException {
			t.Errorf("%s = %v, want an awserr.Error with code ResourceNotFoundException", op, err)
		}
	}
}

func TestCancelledContextErrorIsContextCanceledAndAnAWSErrRequestCanceled(t *testing.T) {
	t.Parallel()
	h := &drivertest.H{Harness: harness}
	s, err := dynamostore.NewStore(testClient(t, drivertest.ClientOptions{}), dynamostore.WithTable(h.SharedTable(t)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.AllCtx(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("AllCtx = %v, want context.Canceled", err) // it sends no Scan once ctx has ended
	}
	_, _, findErr := s.FindCtx(ctx, "tok")
	for op, err := range map[string]error{
		"FindCtx":   findErr,
		"CommitCtx": s.CommitCtx(ctx, "tok", []byte("x"), time.Now().Add(time.Hour)),
		"DeleteCtx": s.DeleteCtx(ctx, "tok"),
		"PingCtx":   s.PingCtx(ctx),
	} {
		var aerr awserr.Error
		if !errors.Is(err, context.Canceled) || !errors.As(err, &aerr) || aerr.Code() != request.CanceledErrorCode {
			t.Errorf("%s = %v, want context.Canceled and an awserr.Error with code %s", op, err, request.CanceledErrorCode)
		}
	}
}
