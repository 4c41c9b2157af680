package core

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/scs-stores/dynamostore/internal/core/driver"
)

// itemDriver answers every GetItem with one item and every PutItem and
// DeleteItem with success, without an engine: for measuring the store's own
// work around a request.
type itemDriver struct {
	fakeDriver
	item driver.Item
}

func (d *itemDriver) GetItem(context.Context, driver.GetItem) (driver.Item, error) {
	return d.item, nil
}

func (d *itemDriver) PutItem(context.Context, driver.PutItem) error { return nil }

// BenchmarkFindThenCommit measures a request's Find and Commit of a
// five-value gob session whose expiry moved by a second, without an engine,
// with the options off and on. "reencoded" commits the same values encoded
// anew, in another map order, as SCS does; "changed" commits a changed
// value. Compare allocs/op and ns/op with "off".
func BenchmarkFindThenCommit(b *testing.B) {
	t := &testing.T{}
	deadline := time.Now().Add(24 * time.Hour)
	values := map[string]any{"user": "ada", "cart": 3, "theme": "dark", "n": int64(7), "ok": true}
	stored, reencoded := encodings(t, deadline, values)
	values["cart"] = 4
	changed, _ := encodings(t, deadline, values)
	expiry := time.Now().Add(time.Hour).Truncate(time.Second)
	item := driver.Item{
		Found:  true,
		Data:   driver.Value{Type: driver.Binary, Bytes: stored},
		Expiry: driver.Value{Type: driver.Number, Text: strconv.FormatInt(expiry.UnixNano(), 10)},
	}
	for _, bc := range []struct {
		name string
		opts []Option
		data []byte
	}{
		{"off/reencoded", nil, reencoded},
		{"deletewins/reencoded", []Option{WithDeleteWins(true)}, reencoded},
		{"touch/same-bytes", []Option{WithTouchInterval(time.Minute)}, stored},
		{"touch/reencoded", []Option{WithTouchInterval(time.Minute)}, reencoded},
		{"touch/changed", []Option{WithTouchInterval(time.Minute)}, changed},
		{"both/reencoded", []Option{WithDeleteWins(true), WithTouchInterval(time.Minute)}, reencoded},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s, err := New(&itemDriver{item: item}, bc.opts...)
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			next := expiry.Add(time.Second)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, _, err := s.Find(ctx, "tok"); err != nil {
					b.Fatal(err)
				}
				if err := s.Commit(ctx, "tok", bc.data, next); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
