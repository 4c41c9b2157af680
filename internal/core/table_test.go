package core

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/scs-stores/dynamostore/internal/core/driver"
)

func TestTableUsable(t *testing.T) {
	for _, tc := range []struct {
		status  string
		usable  bool
		wantErr bool
	}{
		{"ACTIVE", true, false},
		{"UPDATING", true, false},
		{"CREATING", false, false},
		{"DELETING", false, true},
		{"ARCHIVED", false, true},
		{"INACCESSIBLE_ENCRYPTION_CREDENTIALS", false, true},
		{"", false, true},
	} {
		usable, err := tableUsable(tc.status)
		if usable != tc.usable || (err != nil) != tc.wantErr {
			t.Errorf("TableUsable(%q) = %v, %v; want %v, error %v", tc.status, usable, err, tc.usable, tc.wantErr)
		}
		if err != nil && !errors.Is(err, ErrTableNotReady) {
			t.Errorf("TableUsable(%q) error %v does not wrap ErrTableNotReady", tc.status, err)
		}
	}
}

func TestTTLNeedsEnabling(t *testing.T) {
	n := defaultConfig().Names
	for _, tc := range []struct {
		status, attr string
		need         bool
		errHas       string // "" for no error
	}{
		{"", "", true, ""},
		{"DISABLED", "", true, ""},
		{"ENABLED", "ttl", false, ""},
		{"ENABLING", "ttl", false, ""},
		{"ENABLED", "expires_at", false, `"expires_at"`},
		{"ENABLING", "other", false, `"other"`},
		{"DISABLING", "ttl", false, "being disabled"},
		{"SOMETHING_NEW", "ttl", false, "unknown"},
	} {
		need, err := ttlNeedsEnabling(n, tc.status, tc.attr)
		if need != tc.need {
			t.Errorf("TTLNeedsEnabling(%q, %q) need = %v, want %v", tc.status, tc.attr, need, tc.need)
		}
		switch {
		case tc.errHas == "" && err != nil:
			t.Errorf("TTLNeedsEnabling(%q, %q) = %v, want no error", tc.status, tc.attr, err)
		case tc.errHas != "" && (!errors.Is(err, ErrTableNotReady) || !strings.Contains(err.Error(), tc.errHas)):
			t.Errorf("TTLNeedsEnabling(%q, %q) = %v, want ErrTableNotReady mentioning %s", tc.status, tc.attr, err, tc.errHas)
		}
	}
}

// describeSeq returns a script of DescribeTable that reports a session
// table in the given statuses in turn, and counts its calls.
func describeSeq(calls *int, statuses ...string) func(context.Context) (driver.Table, error) {
	return func(context.Context) (driver.Table, error) {
		s := statuses[min(*calls, len(statuses)-1)]
		*calls++
		return sessionTable(s), nil
	}
}

// recordSleep returns a sleep for waitUsable that waits no real time: it
// records each wait and returns sleepCtx's answer for a wait of zero, which
// is ctx's error once ctx has ended.
func recordSleep(waits *[]time.Duration) func(context.Context, time.Duration) error {
	return func(ctx context.Context, d time.Duration) error {
		*waits = append(*waits, d)
		return sleepCtx(ctx, 0)
	}
}

func TestWaitUsablePollsUntilActiveBackingOffUpToMaxPollInterval(t *testing.T) {
	for _, tc := range []struct {
		described bool // the caller has just described the table
		statuses  []string
		waits     string
	}{
		{false, []string{"ACTIVE"}, "[]"},
		{false, []string{"CREATING", "CREATING", "ACTIVE"}, "[100ms 200ms]"},
		{false, []string{"CREATING", "CREATING", "CREATING", "CREATING", "CREATING", "CREATING", "CREATING", "UPDATING"},
			"[100ms 200ms 400ms 800ms 1.6s 2s 2s]"},
		{true, []string{"ACTIVE"}, "[100ms]"},
		{true, []string{"CREATING", "ACTIVE"}, "[100ms 200ms]"},
	} {
		calls := 0
		var waits []time.Duration
		s := newScripted(t, &scriptDriver{describe: describeSeq(&calls, tc.statuses...)})
		s.sleep = recordSleep(&waits)
		got, err := s.waitUsable(context.Background(), tc.described)
		last := tc.statuses[len(tc.statuses)-1]
		if err != nil || got.Status != last || calls != len(tc.statuses) {
			t.Errorf("waitUsable on %v = %v, %v after %d calls; want %s after %d", tc.statuses, got, err, calls, last, len(tc.statuses))
		}
		if fmt.Sprint(waits) != tc.waits {
			t.Errorf("waitUsable on %v waited %v, want %s", tc.statuses, waits, tc.waits)
		}
	}
}

func TestWaitUsableStopsOnErrorsAndStatesItCannotLeave(t *testing.T) {
	calls := 0
	var waits []time.Duration
	s := newScripted(t, &scriptDriver{describe: describeSeq(&calls, "CREATING", "DELETING")})
	s.sleep = recordSleep(&waits)
	if _, err := s.waitUsable(context.Background(), false); !errors.Is(err, ErrTableNotReady) || calls != 2 {
		t.Errorf("waitUsable on a table being deleted = %v after %d calls, want ErrTableNotReady after 2", err, calls)
	}
	boom := &sdkError{code: "AccessDeniedException"}
	s = newScripted(t, &scriptDriver{describe: func(context.Context) (driver.Table, error) { return driver.Table{}, boom }})
	if _, err := s.waitUsable(context.Background(), false); !errors.Is(err, boom) {
		t.Errorf("waitUsable with a failing describe = %v, want boom", err)
	}
}

func TestWaitUsableEndsWithTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	calls := 0
	var waits []time.Duration
	record := recordSleep(&waits)
	s := newScripted(t, &scriptDriver{describe: describeSeq(&calls, "CREATING")}, WithTable("tbl"))
	s.sleep = func(ctx context.Context, d time.Duration) error {
		if len(waits) == 2 {
			cancel() // during the third wait
		}
		return record(ctx, d)
	}
	_, err := s.waitUsable(ctx, false)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), `table "tbl"`) {
		t.Fatalf("waitUsable = %v, want an error naming the table and wrapping context.Canceled", err)
	}
	if calls != 3 || len(waits) != 3 {
		t.Errorf("waitUsable described the table %d times and waited %v; want 3 describes, and no more once the context ended in the third wait", calls, waits)
	}
}

func TestSleepWaitsOrEndsWithTheContext(t *testing.T) {
	if err := sleepCtx(context.Background(), time.Nanosecond); err != nil {
		t.Errorf("sleepCtx of 1ns = %v, want nil", err)
	}
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	if err := sleepCtx(ended, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("sleepCtx of an hour with an ended context = %v, want context.Canceled at once", err)
	}
	// A context that ends during the wait ends it: an hour's wait that did
	// not would time the test out.
	ctx, cancel := context.WithCancel(context.Background())
	go cancel()
	if err := sleepCtx(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("sleepCtx of an hour whose context ends = %v, want context.Canceled", err)
	}
}

// fakeTable is a table that starts in the given state; its driver records
// the calls CreateTable makes.
type fakeTable struct {
	exists      bool
	keys        []string
	ttlStatus   string
	ttlAttr     string
	enableErr   error // returned by EnableTTL
	enabledMean bool  // another instance enables TTL while EnableTTL fails
	calls       []string
}

var errMissing = &sdkError{code: "ResourceNotFoundException"}

func (f *fakeTable) driver() *scriptDriver {
	return &scriptDriver{
		describe: func(context.Context) (driver.Table, error) {
			f.calls = append(f.calls, "describe")
			if !f.exists {
				return driver.Table{}, errMissing
			}
			return driver.Table{Status: "ACTIVE", Keys: f.keys, Types: map[string]string{"token": "S"}}, nil
		},
		create: func(context.Context) error {
			f.calls = append(f.calls, "create")
			f.exists, f.keys = true, []string{"token"}
			return nil
		},
		ttl: func(context.Context) (string, string, error) {
			f.calls = append(f.calls, "describeTTL")
			return f.ttlStatus, f.ttlAttr, nil
		},
		enable: func(context.Context) error {
			f.calls = append(f.calls, "enableTTL")
			if f.enableErr != nil {
				if f.enabledMean {
					f.ttlStatus, f.ttlAttr = "ENABLED", "ttl"
				}
				return f.enableErr
			}
			f.ttlStatus, f.ttlAttr = "ENABLING", "ttl"
			return nil
		},
	}
}

func TestCreateTableByTheTablesState(t *testing.T) {
	rightKey := []string{"token"}
	errEnable := &sdkError{code: "LimitExceededException"}
	tests := []struct {
		name      string
		table     fakeTable
		wantErr   error
		wantCalls string
	}{
		{"missing table is created, then gets TTL", fakeTable{},
			nil, "describe create describe describeTTL enableTTL"},
		{"existing table without TTL gets it", fakeTable{exists: true, keys: rightKey},
			nil, "describe describeTTL enableTTL"},
		{"existing table with TTL is left alone", fakeTable{exists: true, keys: rightKey, ttlStatus: "ENABLED", ttlAttr: "ttl"},
			nil, "describe describeTTL"},
		{"wrong key schema is refused before TTL", fakeTable{exists: true, keys: []string{"id"}},
			ErrTableNotReady, "describe"},
		{"TTL on another attribute is refused", fakeTable{exists: true, keys: rightKey, ttlStatus: "ENABLED", ttlAttr: "expires_at"},
			ErrTableNotReady, "describe describeTTL"},
		{"failed enable that someone else did is fine", fakeTable{exists: true, keys: rightKey, enableErr: errEnable, enabledMean: true},
			nil, "describe describeTTL enableTTL describeTTL"},
		{"failed enable is returned", fakeTable{exists: true, keys: rightKey, enableErr: errEnable},
			errEnable, "describe describeTTL enableTTL describeTTL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.table
			err := newScripted(t, f.driver()).CreateTable(context.Background())
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("CreateTable = %v, want %v", err, tt.wantErr)
			}
			if got := strings.Join(f.calls, " "); got != tt.wantCalls {
				t.Fatalf("calls = %q, want %q", got, tt.wantCalls)
			}
		})
	}
}

func TestCreateTableReturnsDescribeErrorsOtherThanMissing(t *testing.T) {
	errDenied := &sdkError{code: "AccessDeniedException"}
	f := fakeTable{}
	d := f.driver()
	d.describe = func(context.Context) (driver.Table, error) { return driver.Table{}, errDenied }
	d.create = nil // a create fails the test
	if err := newScripted(t, d).CreateTable(context.Background()); !errors.Is(err, errDenied) {
		t.Fatalf("CreateTable = %v, want %v", err, errDenied)
	}
}
