package core

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/scs-stores/dynamostore/internal/core/driver"
)

// fakeDriver is a driver.Driver without an engine, for what no engine does
// on demand: its table is a session table that stays CREATING forever. It
// counts every call.
type fakeDriver struct {
	mu    sync.Mutex
	calls map[string]int
}

func (f *fakeDriver) count(op string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.calls == nil {
		f.calls = make(map[string]int)
	}
	f.calls[op]++
}

// total returns how many calls of any kind the driver had.
func (f *fakeDriver) total() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		n += c
	}
	return n
}

// describes returns how many DescribeTable calls the driver had.
func (f *fakeDriver) describes() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls["DescribeTable"]
}

var errFake = errors.New("fake driver: not supported")

func (f *fakeDriver) GetItem(context.Context, driver.GetItem) (driver.Item, error) {
	f.count("GetItem")
	return driver.Item{}, errFake
}

func (f *fakeDriver) PutItem(context.Context, driver.PutItem) error {
	f.count("PutItem")
	return errFake
}

func (f *fakeDriver) DeleteItem(context.Context, driver.DeleteItem) error {
	f.count("DeleteItem")
	return errFake
}

func (f *fakeDriver) Scan(context.Context, *driver.Scan) (driver.Page, error) {
	f.count("Scan")
	return driver.Page{}, errFake
}

func (f *fakeDriver) DescribeTable(ctx context.Context, table string) (driver.Table, error) {
	f.count("DescribeTable")
	if err := ctx.Err(); err != nil {
		return driver.Table{}, err
	}
	return driver.Table{
		Status: statusCreating,
		Keys:   []string{"token"},
		Types:  map[string]string{"token": "S"},
	}, nil
}

func (f *fakeDriver) CreateTable(context.Context, string, string) error {
	f.count("CreateTable")
	return errFake
}

func (f *fakeDriver) DescribeTTL(context.Context, string) (string, string, error) {
	f.count("DescribeTTL")
	return "", "", errFake
}

func (f *fakeDriver) EnableTTL(context.Context, string, string) error {
	f.count("EnableTTL")
	return errFake
}

func (f *fakeDriver) ErrorCode(error) string { return "" }

func TestCreateTableWaitingEndsWithTheContext(t *testing.T) {
	d := &fakeDriver{}
	s, err := New(d)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The waits between describes take no real time; the context ends
	// during the third.
	var waits []time.Duration
	s.sleep = func(ctx context.Context, d time.Duration) error {
		waits = append(waits, d)
		if len(waits) == 3 {
			cancel()
		}
		return sleepCtx(ctx, 0)
	}
	err = s.CreateTable(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("CreateTable = %v, want an error wrapping context.Canceled", err)
	}
	// It backs off from 100ms between describes: the first description
	// finds the table CREATING, so it waits before each further one (none
	// at once after the first), and describes no more once the context has
	// ended.
	if fmt.Sprint(waits) != "[100ms 200ms 400ms]" || d.describes() != 3 {
		t.Errorf("CreateTable waited %v and described %d times; want [100ms 200ms 400ms] and 3", waits, d.describes())
	}
	if n := d.total(); n != d.describes() {
		t.Errorf("calls = %v, want DescribeTable alone while the table is CREATING", d.calls)
	}
}

func TestMisconfiguredStoreFailsEveryCallWithoutARequest(t *testing.T) {
	for name, opts := range map[string][]Option{
		"table name too short": {WithTable("no")},
		"one name for two":     {WithAttributes("k", "k", "", "")},
		"no scan segments":     {WithScanSegments(0)},
	} {
		t.Run(name, func(t *testing.T) {
			d := &fakeDriver{}
			s, err := New(d, opts...)
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("New = %v, want ErrInvalidConfig", err)
			}
			ctx := context.Background()
			check := func(op string, err error) {
				t.Helper()
				if !errors.Is(err, ErrInvalidConfig) {
					t.Errorf("%s = %v, want ErrInvalidConfig", op, err)
				}
			}
			check("CreateTable", s.CreateTable(ctx))
			n, err := s.DeleteExpired(ctx)
			check("DeleteExpired", err)
			if n != 0 {
				t.Errorf("DeleteExpired removed %d, want 0", n)
			}
			_, _, err = s.Find(ctx, "tok")
			check("Find", err)
			check("Commit", s.Commit(ctx, "tok", []byte("x"), time.Now().Add(time.Hour)))
			check("Delete", s.Delete(ctx, "tok"))
			_, err = s.All(ctx)
			check("All", err)
			check("Ping", s.Ping(ctx))
			if n := d.total(); n != 0 {
				t.Errorf("the driver had %d calls (%v), want none", n, d.calls)
			}
		})
	}
}
