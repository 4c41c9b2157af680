package sessionitem_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scs-stores/dynamostore/internal/core/sessionitem"
)

func TestExpiredExpressionsUseOnlyPlaceholdersTheyDefine(t *testing.T) {
	n := sessionitem.Names{Table: "tbl", Token: "key", Data: "my data", Expiry: "a.b", TTL: "ttl"}
	names := sessionitem.ExpiredNames(n)
	if names["#t"] != "key" || names["#e"] != "a.b" || len(names) != 2 {
		t.Fatalf("ExpiredNames = %v, want #t and #e only", names)
	}
	if got := sessionitem.ExpiredFilter(""); got != "#e <= :now" {
		t.Errorf("ExpiredFilter(\"\") = %q", got)
	}
	if got := sessionitem.ExpiredFilter("app:"); got != "#e <= :now AND begins_with(#t, :prefix)" {
		t.Errorf("ExpiredFilter(\"app:\") = %q", got)
	}
	placeholder := regexp.MustCompile(`#\w+`)
	for _, expr := range []string{sessionitem.ExpiredProjection, sessionitem.ExpiredFilter("p")} {
		for _, p := range placeholder.FindAllString(expr, -1) {
			if _, ok := names[p]; !ok {
				t.Errorf("%q uses %s, which ExpiredNames does not define", expr, p)
			}
		}
	}
	cond := sessionitem.DeleteConditionNames(n)
	if len(cond) != 1 || cond["#e"] != "a.b" {
		t.Errorf("DeleteConditionNames = %v, want only #e", cond)
	}
	if !strings.Contains(sessionitem.DeleteExpiredCondition, sessionitem.ReadExpiryPlaceholder) {
		t.Errorf("DeleteExpiredCondition %q does not compare with %s", sessionitem.DeleteExpiredCondition, sessionitem.ReadExpiryPlaceholder)
	}
}

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
		usable, err := sessionitem.TableUsable("tbl", tc.status)
		if usable != tc.usable || (err != nil) != tc.wantErr {
			t.Errorf("TableUsable(%q) = %v, %v; want %v, error %v", tc.status, usable, err, tc.usable, tc.wantErr)
		}
		if err != nil && !errors.Is(err, sessionitem.ErrTableNotReady) {
			t.Errorf("TableUsable(%q) error %v does not wrap ErrTableNotReady", tc.status, err)
		}
	}
}

func TestTTLNeedsEnabling(t *testing.T) {
	n := sessionitem.DefaultConfig().Names
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
		need, err := sessionitem.TTLNeedsEnabling(n, tc.status, tc.attr)
		if need != tc.need {
			t.Errorf("TTLNeedsEnabling(%q, %q) need = %v, want %v", tc.status, tc.attr, need, tc.need)
		}
		switch {
		case tc.errHas == "" && err != nil:
			t.Errorf("TTLNeedsEnabling(%q, %q) = %v, want no error", tc.status, tc.attr, err)
		case tc.errHas != "" && (!errors.Is(err, sessionitem.ErrTableNotReady) || !strings.Contains(err.Error(), tc.errHas)):
			t.Errorf("TTLNeedsEnabling(%q, %q) = %v, want ErrTableNotReady mentioning %s", tc.status, tc.attr, err, tc.errHas)
		}
	}
}

// describeSeq returns a describe function that reports the given statuses in
// turn, and counts its calls.
func describeSeq(calls *int, statuses ...string) func(context.Context) (sessionitem.Table, error) {
	return func(context.Context) (sessionitem.Table, error) {
		s := statuses[min(*calls, len(statuses)-1)]
		*calls++
		return sessionitem.Table{Status: s}, nil
	}
}

// recordSleep returns a sleep for WaitUsable that waits no real time: it
// records each wait and returns Sleep's answer for a wait of zero, which is
// ctx's error once ctx has ended.
func recordSleep(waits *[]time.Duration) func(context.Context, time.Duration) error {
	return func(ctx context.Context, d time.Duration) error {
		*waits = append(*waits, d)
		return sessionitem.Sleep(ctx, 0)
	}
}

func TestWaitUsablePollsUntilActiveBackingOffUpToMaxPollInterval(t *testing.T) {
	for _, tc := range []struct {
		statuses []string
		waits    string
	}{
		{[]string{"ACTIVE"}, "[]"},
		{[]string{"CREATING", "CREATING", "ACTIVE"}, "[100ms 200ms]"},
		{[]string{"CREATING", "CREATING", "CREATING", "CREATING", "CREATING", "CREATING", "CREATING", "UPDATING"},
			"[100ms 200ms 400ms 800ms 1.6s 2s 2s]"},
	} {
		calls := 0
		var waits []time.Duration
		got, err := sessionitem.WaitUsable(context.Background(), "tbl", describeSeq(&calls, tc.statuses...), recordSleep(&waits))
		last := tc.statuses[len(tc.statuses)-1]
		if err != nil || got.Status != last || calls != len(tc.statuses) {
			t.Errorf("WaitUsable on %v = %v, %v after %d calls; want %s after %d", tc.statuses, got, err, calls, last, len(tc.statuses))
		}
		if fmt.Sprint(waits) != tc.waits {
			t.Errorf("WaitUsable on %v waited %v, want %s", tc.statuses, waits, tc.waits)
		}
	}
}

func TestWaitUsableStopsOnErrorsAndStatesItCannotLeave(t *testing.T) {
	calls := 0
	var waits []time.Duration
	if _, err := sessionitem.WaitUsable(context.Background(), "tbl", describeSeq(&calls, "CREATING", "DELETING"), recordSleep(&waits)); !errors.Is(err, sessionitem.ErrTableNotReady) || calls != 2 {
		t.Errorf("WaitUsable on a table being deleted = %v after %d calls, want ErrTableNotReady after 2", err, calls)
	}
	boom := errors.New("boom")
	_, err := sessionitem.WaitUsable(context.Background(), "tbl", func(context.Context) (sessionitem.Table, error) {
		return sessionitem.Table{}, boom
	}, nil)
	if !errors.Is(err, boom) {
		t.Errorf("WaitUsable with a failing describe = %v, want boom", err)
	}
}

func TestWaitUsableEndsWithTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	calls := 0
	var waits []time.Duration
	record := recordSleep(&waits)
	_, err := sessionitem.WaitUsable(ctx, "tbl", describeSeq(&calls, "CREATING"), func(ctx context.Context, d time.Duration) error {
		if len(waits) == 2 {
			cancel() // during the third wait
		}
		return record(ctx, d)
	})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), `table "tbl"`) {
		t.Fatalf("WaitUsable = %v, want an error naming the table and wrapping context.Canceled", err)
	}
	if calls != 3 || len(waits) != 3 {
		t.Errorf("WaitUsable described the table %d times and waited %v; want 3 describes, and no more once the context ended in the third wait", calls, waits)
	}
}

func TestSleepWaitsOrEndsWithTheContext(t *testing.T) {
	if err := sessionitem.Sleep(context.Background(), time.Nanosecond); err != nil {
		t.Errorf("Sleep of 1ns = %v, want nil", err)
	}
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	if err := sessionitem.Sleep(ended, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep of an hour with an ended context = %v, want context.Canceled at once", err)
	}
	// A context that ends during the wait ends it: an hour's wait that did
	// not would time the test out.
	ctx, cancel := context.WithCancel(context.Background())
	go cancel()
	if err := sessionitem.Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep of an hour whose context ends = %v, want context.Canceled", err)
	}
}

func TestForSegmentsSumsCounts(t *testing.T) {
	got, err := sessionitem.ForSegments(context.Background(), 4, func(_ context.Context, seg int) (int, error) {
		return seg + 1, nil
	})
	if err != nil || got != 10 {
		t.Fatalf("ForSegments = %d, %v; want 10, nil", got, err)
	}
}

func TestForSegmentsReturnsFirstFailureWithCountSoFar(t *testing.T) {
	boom := errors.New("boom")
	var others sync.WaitGroup
	others.Add(2)
	got, err := sessionitem.ForSegments(context.Background(), 3, func(ctx context.Context, seg int) (int, error) {
		if seg == 1 {
			others.Wait() // fail once the others are under way
			return 2, boom
		}
		others.Done()
		<-ctx.Done() // the others run until the failure cancels them
		return 1, ctx.Err()
	})
	if !errors.Is(err, boom) || errors.Is(err, context.Canceled) || got != 4 {
		t.Fatalf("ForSegments = %d, %v; want 4 and boom alone", got, err)
	}
}

func TestForSegmentsWithCancelledContextReturnsCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := sessionitem.ForSegments(ctx, 2, func(ctx context.Context, _ int) (int, error) {
		return 0, ctx.Err()
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("ForSegments = %v, want context.Canceled", err)
	}
}

// fakeTable records the calls PrepareTable makes on a table that starts in
// the given state.
type fakeTable struct {
	exists      bool
	keys        []sessionitem.KeyElement
	ttlStatus   string
	ttlAttr     string
	enableErr   error // returned by EnableTTL
	enabledMean bool  // another instance enables TTL while EnableTTL fails
	calls       []string
}

var errMissing = errors.New("no such table")

func (f *fakeTable) tableCalls() sessionitem.TableCalls {
	return sessionitem.TableCalls{
		Describe: func(context.Context) (sessionitem.Table, error) {
			f.calls = append(f.calls, "describe")
			if !f.exists {
				return sessionitem.Table{}, errMissing
			}
			return sessionitem.Table{Status: "ACTIVE", Keys: f.keys, Types: map[string]string{"token": "S"}}, nil
		},
		Missing: func(err error) bool { return errors.Is(err, errMissing) },
		Create: func(context.Context) error {
			f.calls = append(f.calls, "create")
			f.exists, f.keys = true, []sessionitem.KeyElement{{Name: "token", Type: "HASH"}}
			return nil
		},
		DescribeTTL: func(context.Context) (string, string, error) {
			f.calls = append(f.calls, "describeTTL")
			return f.ttlStatus, f.ttlAttr, nil
		},
		EnableTTL: func(context.Context) error {
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

func TestPrepareTable(t *testing.T) {
	n := sessionitem.DefaultConfig().Names
	rightKey := []sessionitem.KeyElement{{Name: "token", Type: "HASH"}}
	errEnable := errors.New("enable failed")
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
		{"wrong key schema is refused before TTL", fakeTable{exists: true, keys: []sessionitem.KeyElement{{Name: "id", Type: "HASH"}}},
			sessionitem.ErrTableNotReady, "describe"},
		{"TTL on another attribute is refused", fakeTable{exists: true, keys: rightKey, ttlStatus: "ENABLED", ttlAttr: "expires_at"},
			sessionitem.ErrTableNotReady, "describe describeTTL"},
		{"failed enable that someone else did is fine", fakeTable{exists: true, keys: rightKey, enableErr: errEnable, enabledMean: true},
			nil, "describe describeTTL enableTTL describeTTL"},
		{"failed enable is returned", fakeTable{exists: true, keys: rightKey, enableErr: errEnable},
			errEnable, "describe describeTTL enableTTL describeTTL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.table
			err := sessionitem.PrepareTable(context.Background(), n, f.tableCalls())
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("PrepareTable = %v, want %v", err, tt.wantErr)
			}
			if got := strings.Join(f.calls, " "); got != tt.wantCalls {
				t.Fatalf("calls = %q, want %q", got, tt.wantCalls)
			}
		})
	}
}

func TestPrepareTableReturnsDescribeErrorsOtherThanMissing(t *testing.T) {
	errDenied := errors.New("access denied")
	f := fakeTable{}
	calls := f.tableCalls()
	calls.Describe = func(context.Context) (sessionitem.Table, error) { return sessionitem.Table{}, errDenied }
	calls.Create = func(context.Context) error { t.Fatal("created a table after a describe error"); return nil }
	if err := sessionitem.PrepareTable(context.Background(), sessionitem.DefaultConfig().Names, calls); !errors.Is(err, errDenied) {
		t.Fatalf("PrepareTable = %v, want %v", err, errDenied)
	}
}
