package awsv2_test

//lint:file-ignore SA1019 this test shares a table with the v1 package, built on aws-sdk-go v1.

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/scs-stores/dynamostore"
	"github.com/scs-stores/dynamostore/awsv2"
	"github.com/scs-stores/dynamostore/awsv2/internal/ddbtest2"
	"github.com/scs-stores/dynamostore/internal/ddbtest"
)

// crossStores returns a v1 store and an awsv2 store on one fresh table, with
// the same options, as two apps would be during a migration.
func crossStores(t *testing.T, prefix string) (*dynamostore.DynamoStore, *awsv2.DynamoStore) {
	t.Helper()
	db2 := ddbtest2.Client(t, nil)
	table := ddbtest2.NewTable(t, db2, "sid")
	v1, err := dynamostore.NewStore(ddbtest.Client(t, nil, nil),
		dynamostore.WithTable(table), dynamostore.WithAttributes("sid", "", "", ""), dynamostore.WithTokenPrefix(prefix))
	if err != nil {
		t.Fatal(err)
	}
	v2, err := awsv2.New(db2, awsv2.WithTable(table), awsv2.WithAttributes("sid", "", "", ""), awsv2.WithTokenPrefix(prefix))
	if err != nil {
		t.Fatal(err)
	}
	return v1, v2
}

// store is what both packages' stores offer.
type store interface {
	Find(token string) ([]byte, bool, error)
	Commit(token string, b []byte, expiry time.Time) error
	Delete(token string) error
	All() (map[string][]byte, error)
}

func TestEachPackageReadsTheOthersSessions(t *testing.T) {
	for _, prefix := range []string{"", "app:"} {
		v1, v2 := crossStores(t, prefix)
		for _, dir := range []struct {
			name          string
			writer, other store
		}{
			{"v1 to awsv2", v1, v2},
			{"awsv2 to v1", v2, v1},
		} {
			t.Run(fmt.Sprintf("%s prefix %q", dir.name, prefix), func(t *testing.T) {
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
				if got, found, err := r.Find("empty"); err != nil || !found || len(got) != 0 {
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
	}
}

func TestErrorsAreTheSameValuesInBothPackages(t *testing.T) {
	pairs := []struct {
		name   string
		v1, v2 error
	}{
		{"ErrInvalidToken", dynamostore.ErrInvalidToken, awsv2.ErrInvalidToken},
		{"ErrItemTooLarge", dynamostore.ErrItemTooLarge, awsv2.ErrItemTooLarge},
		{"ErrMalformedItem", dynamostore.ErrMalformedItem, awsv2.ErrMalformedItem},
		{"ErrInvalidConfig", dynamostore.ErrInvalidConfig, awsv2.ErrInvalidConfig},
		{"ErrTableNotReady", dynamostore.ErrTableNotReady, awsv2.ErrTableNotReady},
	}
	for _, p := range pairs {
		if p.v1 == nil || p.v1 != p.v2 || !errors.Is(fmt.Errorf("wrapped: %w", p.v2), p.v1) {
			t.Errorf("%s: v1 %v and awsv2 %v are not the same value", p.name, p.v1, p.v2)
		}
	}
}

func TestBothPackagesWriteIdenticalItems(t *testing.T) {
	db2 := ddbtest2.Client(t, nil)
	table := ddbtest2.NewTable(t, db2, "token")
	v1, err := dynamostore.NewStore(ddbtest.Client(t, nil, nil), dynamostore.WithTable(table))
	if err != nil {
		t.Fatal(err)
	}
	v2, err := awsv2.New(db2, awsv2.WithTable(table))
	if err != nil {
		t.Fatal(err)
	}
	expiry := time.Now().Add(time.Hour)
	for _, tt := range []struct {
		token string
		data  []byte
	}{{"x1", []byte("same")}, {"n1", nil}} {
		if err := v1.Commit(tt.token, tt.data, expiry); err != nil {
			t.Fatal(err)
		}
		if err := v2.Commit(tt.token+"-v2", tt.data, expiry); err != nil {
			t.Fatal(err)
		}
		a := getItem(t, db2, table, "token", tt.token)
		b := getItem(t, db2, table, "token", tt.token+"-v2")
		delete(a, "token")
		delete(b, "token")
		if fmt.Sprintf("%#v", deref(a)) != fmt.Sprintf("%#v", deref(b)) {
			t.Errorf("token %q: v1 wrote %#v, awsv2 wrote %#v", tt.token, deref(a), deref(b))
		}
	}
}

// deref returns the values behind an item's attribute pointers, so that
// items print by content.
func deref(item map[string]types.AttributeValue) map[string]any {
	m := make(map[string]any, len(item))
	for k, v := range item {
		switch v := v.(type) {
		case *types.AttributeValueMemberB:
			m[k] = "B:" + string(v.Value)
		case *types.AttributeValueMemberN:
			m[k] = "N:" + v.Value
		case *types.AttributeValueMemberS:
			m[k] = "S:" + v.Value
		default:
			m[k] = fmt.Sprintf("%T", v)
		}
	}
	return m
}

func TestEachPackageDeletesTheOthersExpiredSessions(t *testing.T) {
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
		t.Fatalf("awsv2 DeleteExpired = %d, %v; want 2 (one from each package), nil", n, err)
	}
	if err := v2.Commit("v2-dead", []byte("x"), past); err != nil {
		t.Fatal(err)
	}
	if n, err := v1.DeleteExpired(context.Background()); err != nil || n != 1 {
		t.Fatalf("v1 DeleteExpired = %d, %v; want 1 (the awsv2 session), nil", n, err)
	}
	if all, err := v1.All(); err != nil || len(all) != 2 || all["v1-live"] == nil || all["v2-live"] == nil {
		t.Fatalf("All = %q, %v; want the two live sessions", all, err)
	}
}
