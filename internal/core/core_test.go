package core

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scs-stores/dynamostore/internal/core/driver"
)

// sdkError stands for an SDK's own error: it carries a DynamoDB error code
// and, like aws-sdk-go's errors, does not unwrap to a context's error.
type sdkError struct{ code string }

func (e *sdkError) Error() string { return "sdk: " + e.code }

// scriptDriver is a driver.Driver whose every answer a test scripts; a
// call whose function is nil fails the test. It keeps the context of each
// call. Its ErrorCode reads sdkError's code, as a real driver reads its
// SDK's.
type scriptDriver struct {
	t        *testing.T
	get      func(ctx context.Context, r driver.GetItem) (driver.Item, error)
	put      func(ctx context.Context, r driver.PutItem) error
	del      func(ctx context.Context, r driver.DeleteItem) error
	scan     func(ctx context.Context, r *driver.Scan) (driver.Page, error)
	describe func(ctx context.Context) (driver.Table, error)
	create   func(ctx context.Context) error
	ttl      func(ctx context.Context) (string, string, error)
	enable   func(ctx context.Context) error

	mu   sync.Mutex
	ctxs []context.Context
	ops  []string
}

// saw records a call and fails the test when the call is not scripted.
func (d *scriptDriver) saw(ctx context.Context, op string, scripted bool) {
	d.mu.Lock()
	d.ctxs = append(d.ctxs, ctx)
	d.ops = append(d.ops, op)
	d.mu.Unlock()
	if !scripted {
		d.t.Errorf("unexpected %s", op)
	}
}

func (d *scriptDriver) GetItem(ctx context.Context, r driver.GetItem) (driver.Item, error) {
	if d.saw(ctx, "GetItem", d.get != nil); d.get == nil {
		return driver.Item{}, errors.New("unscripted")
	}
	return d.get(ctx, r)
}

func (d *scriptDriver) PutItem(ctx context.Context, r driver.PutItem) error {
	if d.saw(ctx, "PutItem", d.put != nil); d.put == nil {
		return errors.New("unscripted")
	}
	return d.put(ctx, r)
}

func (d *scriptDriver) DeleteItem(ctx context.Context, r driver.DeleteItem) error {
	if d.saw(ctx, "DeleteItem", d.del != nil); d.del == nil {
		return errors.New("unscripted")
	}
	return d.del(ctx, r)
}

func (d *scriptDriver) Scan(ctx context.Context, r *driver.Scan) (driver.Page, error) {
	if d.saw(ctx, "Scan", d.scan != nil); d.scan == nil {
		return driver.Page{}, errors.New("unscripted")
	}
	return d.scan(ctx, r)
}

func (d *scriptDriver) DescribeTable(ctx context.Context, _ string) (driver.Table, error) {
	if d.saw(ctx, "DescribeTable", d.describe != nil); d.describe == nil {
		return driver.Table{}, errors.New("unscripted")
	}
	return d.describe(ctx)
}

func (d *scriptDriver) CreateTable(ctx context.Context, _, _ string) error {
	if d.saw(ctx, "CreateTable", d.create != nil); d.create == nil {
		return errors.New("unscripted")
	}
	return d.create(ctx)
}

func (d *scriptDriver) DescribeTTL(ctx context.Context, _ string) (string, string, error) {
	if d.saw(ctx, "DescribeTTL", d.ttl != nil); d.ttl == nil {
		return "", "", errors.New("unscripted")
	}
	return d.ttl(ctx)
}

func (d *scriptDriver) EnableTTL(ctx context.Context, _, _ string) error {
	if d.saw(ctx, "EnableTTL", d.enable != nil); d.enable == nil {
		return errors.New("unscripted")
	}
	return d.enable(ctx)
}

func (*scriptDriver) ErrorCode(err error) string {
	var e *sdkError
	if errors.As(err, &e) {
		return e.code
	}
	return ""
}

// calls returns the operations the driver saw, and their contexts.
func (d *scriptDriver) calls() ([]string, []context.Context) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.ops...), append([]context.Context(nil), d.ctxs...)
}

// newScripted returns a store on d, configured by opts, failing t on an
// error.
func newScripted(t *testing.T, d *scriptDriver, opts ...Option) *Store {
	t.Helper()
	d.t = t
	s, err := New(d, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// liveItem is a found item with data that expires in an hour.
func liveItem(data string) driver.Item {
	return driver.Item{
		Found:  true,
		Key:    driver.Value{Type: driver.String, Text: "tok"},
		Data:   driver.Value{Type: driver.Binary, Bytes: []byte(data)},
		Expiry: driver.Value{Type: driver.Number, Text: strconv.FormatInt(time.Now().Add(time.Hour).UnixNano(), 10)},
	}
}

func TestNewOfANilDriverIsInvalidConfig(t *testing.T) {
	s, err := New(nil)
	if !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("New = %v, want ErrInvalidConfig", err)
	}
	if _, _, err := s.Find(context.Background(), "tok"); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("Find = %v, want ErrInvalidConfig", err)
	}
}

func TestEmptyTableNameIsTheDefault(t *testing.T) {
	s := newScripted(t, &scriptDriver{}, WithTable(""), WithAttributes("", "", "", ""))
	if got, want := s.Names(), defaultConfig().Names; got != want {
		t.Errorf("names = %+v, want %+v", got, want)
	}
}

func TestTimeoutBoundsEachRequestOnItsOwn(t *testing.T) {
	const bound = time.Hour
	pages := 0
	d := &scriptDriver{
		get: func(context.Context, driver.GetItem) (driver.Item, error) { return driver.Item{}, nil },
		scan: func(ctx context.Context, r *driver.Scan) (driver.Page, error) {
			pages++
			time.Sleep(5 * time.Millisecond) // so that each page's bound starts later
			if pages < 3 {
				return driver.Page{Next: pages}, nil
			}
			return driver.Page{}, nil
		},
	}
	s := newScripted(t, d, WithTimeout(bound), WithScanSegments(1))
	start := time.Now()
	if _, _, err := s.Find(context.Background(), "tok"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.All(context.Background()); err != nil {
		t.Fatal(err)
	}
	end := time.Now()
	ops, ctxs := d.calls()
	if fmt.Sprint(ops) != "[GetItem Scan Scan Scan]" {
		t.Fatalf("calls = %v", ops)
	}
	var last time.Time
	for i, ctx := range ctxs {
		deadline, ok := ctx.Deadline()
		if !ok || deadline.Before(start.Add(bound)) || deadline.After(end.Add(bound)) {
			t.Errorf("%s: deadline %v, want the bound of %v from the request", ops[i], deadline, bound)
		}
		if i > 1 && !deadline.After(last) {
			t.Errorf("page %d of the Scan has the deadline of the page before: one bound for the whole scan", i)
		}
		last = deadline
		if ctx.Err() == nil {
			t.Errorf("%s: the request's context was not released after the request", ops[i])
		}
	}
}

func TestTimeoutIsNotAppliedWhenTheContextEndsSoonerOrTheBoundIsOff(t *testing.T) {
	get := func(context.Context, driver.GetItem) (driver.Item, error) { return driver.Item{}, nil }
	tests := []struct {
		name    string
		timeout time.Duration
		ctx     time.Duration // the caller's deadline; 0 for none
		bounded bool          // whether the request has a deadline
		ownBy   bool          // whether the request's deadline is the caller's
	}{
		{"caller's deadline earlier", time.Hour, time.Minute, true, true},
		{"caller's deadline later", time.Minute, time.Hour, true, false},
		{"no caller's deadline", time.Minute, 0, true, false},
		{"bound off", 0, 0, false, false},
		{"bound negative", -time.Second, 0, false, false},
		{"bound off, caller's deadline", 0, time.Minute, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &scriptDriver{get: get}
			s := newScripted(t, d, WithTimeout(tt.timeout))
			ctx := context.Background()
			if tt.ctx > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.ctx)
				defer cancel()
			}
			if _, _, err := s.Find(ctx, "tok"); err != nil {
				t.Fatal(err)
			}
			_, ctxs := d.calls()
			got, ok := ctxs[0].Deadline()
			want, _ := ctx.Deadline()
			if ok != tt.bounded || (ok && tt.ownBy != got.Equal(want)) {
				t.Errorf("request deadline %v (%v), caller's %v", got, ok, want)
			}
			if tt.ownBy && ctxs[0] != ctx {
				t.Errorf("the request has a context of its own, want the caller's")
			}
		})
	}
}

func TestFailKeepsTheSDKErrorAndMakesContextErrorsMatch(t *testing.T) {
	sdkErr := &sdkError{code: "ProvisionedThroughputExceededException"}
	t.Run("plain SDK error", func(t *testing.T) {
		d := &scriptDriver{put: func(context.Context, driver.PutItem) error { return sdkErr }}
		s := newScripted(t, d, WithTable("sessions"))
		err := s.Commit(context.Background(), "tok-SECRET", []byte("x"), time.Now().Add(time.Hour))
		var e *sdkError
		if !errors.As(err, &e) || e != sdkErr {
			t.Fatalf("Commit = %v, want the SDK's error kept for errors.As", err)
		}
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Commit = %v matches a context error", err)
		}
		if msg := err.Error(); !strings.Contains(msg, `commit to table "sessions"`) || strings.Contains(msg, "SECRET") {
			t.Errorf("Commit error %q: want the operation and the table, never the token", msg)
		}
	})
	// aws-sdk-go's error for a request its context ended does not unwrap to
	// the context's error; it has the code RequestCanceled.
	canceled := &sdkError{code: "RequestCanceled"}
	t.Run("caller cancels, SDK's cancellation does not unwrap to it", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		d := &scriptDriver{get: func(context.Context, driver.GetItem) (driver.Item, error) {
			cancel()
			return driver.Item{}, canceled
		}}
		_, _, err := newScripted(t, d).Find(ctx, "tok")
		var e *sdkError
		if !errors.Is(err, context.Canceled) || !errors.As(err, &e) || !strings.Contains(err.Error(), "find in table") {
			t.Fatalf("Find = %v, want context.Canceled, the SDK's error and the operation", err)
		}
	})
	t.Run("SDK's own error, then the caller cancels", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		d := &scriptDriver{get: func(context.Context, driver.GetItem) (driver.Item, error) {
			cancel() // the context ends just after the SDK gave its own answer
			return driver.Item{}, sdkErr
		}}
		_, _, err := newScripted(t, d).Find(ctx, "tok")
		var e *sdkError
		if errors.Is(err, context.Canceled) || !errors.As(err, &e) || e != sdkErr {
			t.Fatalf("Find = %v, want the SDK's error, not attributed to the context", err)
		}
	})
	t.Run("SDK's own error, then the store's bound passes", func(t *testing.T) {
		d := &scriptDriver{put: func(ctx context.Context, _ driver.PutItem) error {
			<-ctx.Done()
			return sdkErr
		}}
		err := newScripted(t, d, WithTimeout(time.Millisecond)).Commit(context.Background(), "tok", nil, time.Now().Add(time.Hour))
		var e *sdkError
		if errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "no answer") || !errors.As(err, &e) {
			t.Fatalf("Commit = %v, want the SDK's error, not attributed to the store's bound", err)
		}
	})
	t.Run("caller's deadline, error that unwraps to it", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		defer cancel()
		d := &scriptDriver{del: func(ctx context.Context, _ driver.DeleteItem) error {
			<-ctx.Done()
			return fmt.Errorf("sdk: %w", ctx.Err())
		}}
		err := newScripted(t, d).Delete(ctx, "tok")
		if !errors.Is(err, context.DeadlineExceeded) || strings.Count(err.Error(), "deadline exceeded") != 1 {
			t.Fatalf("Delete = %v, want context.DeadlineExceeded, named once", err)
		}
	})
	t.Run("store's bound ends the request", func(t *testing.T) {
		d := &scriptDriver{describe: func(ctx context.Context) (driver.Table, error) {
			<-ctx.Done()
			return driver.Table{}, canceled
		}}
		err := newScripted(t, d, WithTimeout(time.Millisecond)).Ping(context.Background())
		var e *sdkError
		if !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &e) {
			t.Fatalf("Ping = %v, want context.DeadlineExceeded and the SDK's error", err)
		}
		if !strings.Contains(err.Error(), "no answer within 1ms") || !strings.Contains(err.Error(), "describe table") {
			t.Errorf("Ping error %q does not say the store's bound ended it, and where", err)
		}
	})
}

func TestFindOfAMalformedItem(t *testing.T) {
	past := strconv.FormatInt(time.Now().Add(-time.Hour).UnixNano(), 10)
	tests := []struct {
		name  string
		item  func(it *driver.Item)
		found bool
		attr  string // the attribute a malformed error names; "" for none
	}{
		{"whole", func(*driver.Item) {}, true, ""},
		{"empty binary data", func(it *driver.Item) { it.Data.Bytes = nil }, true, ""},
		{"expired with data missing", func(it *driver.Item) {
			it.Expiry.Text, it.Data = past, driver.Value{}
		}, false, ""},
		{"expired with data a string", func(it *driver.Item) {
			it.Expiry.Text, it.Data = past, driver.Value{Type: driver.String, Text: "x"}
		}, false, ""},
		{"data missing", func(it *driver.Item) { it.Data = driver.Value{} }, false, "data"},
		{"data of another type", func(it *driver.Item) { it.Data = driver.Value{Type: driver.Other} }, false, "data"},
		{"expiry missing", func(it *driver.Item) { it.Expiry = driver.Value{} }, false, "expiry"},
		{"expiry a string", func(it *driver.Item) { it.Expiry.Type = driver.String }, false, "expiry"},
		{"expiry a number that is not one", func(it *driver.Item) { it.Expiry.Text = "NaN" }, false, "expiry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			it := liveItem("x")
			tt.item(&it)
			d := &scriptDriver{get: func(context.Context, driver.GetItem) (driver.Item, error) { return it, nil }}
			got, found, err := newScripted(t, d, WithTable("sessions")).Find(context.Background(), "tok-SECRET")
			switch {
			case tt.attr != "":
				if !errors.Is(err, ErrMalformedItem) || found || got != nil {
					t.Fatalf("Find = %q, %v, %v; want ErrMalformedItem", got, found, err)
				}
				msg := err.Error()
				if !strings.Contains(msg, `find in table "sessions"`) || !strings.Contains(msg, strconv.Quote(tt.attr)) || strings.Contains(msg, "SECRET") {
					t.Errorf("Find error %q: want the operation, table and attribute %q, never the token", msg, tt.attr)
				}
			case tt.found:
				if err != nil || !found || got == nil || string(got) != string(it.Data.Bytes) {
					t.Fatalf("Find = %#v, %v, %v; want the (non-nil) data", got, found, err)
				}
			default:
				if err != nil || found || got != nil {
					t.Fatalf("Find = %q, %v, %v; want nil, false, nil", got, found, err)
				}
			}
		})
	}
}

func TestAllOfAMalformedItemNamesTheScan(t *testing.T) {
	for name, edit := range map[string]func(*driver.Item){
		"token not a string": func(it *driver.Item) { it.Key = driver.Value{Type: driver.Number, Text: "1"} },
		"data missing":       func(it *driver.Item) { it.Data = driver.Value{} },
	} {
		t.Run(name, func(t *testing.T) {
			it := liveItem("x")
			edit(&it)
			d := &scriptDriver{scan: func(context.Context, *driver.Scan) (driver.Page, error) {
				return driver.Page{Items: []driver.Item{it}}, nil
			}}
			all, err := newScripted(t, d, WithTable("sessions"), WithScanSegments(1)).All(context.Background())
			if !errors.Is(err, ErrMalformedItem) || all != nil || !strings.Contains(err.Error(), `scan table "sessions"`) {
				t.Fatalf("All = %v, %v; want nil and ErrMalformedItem naming the scan and the table", all, err)
			}
		})
	}
}

func TestSizeErrorNamesTheOperationAndSendsNothing(t *testing.T) {
	s := newScripted(t, &scriptDriver{}, WithTable("sessions"))
	err := s.Commit(context.Background(), "tok", make([]byte, MaxItemBytes), time.Now())
	if !errors.Is(err, ErrItemTooLarge) || !strings.Contains(err.Error(), `commit to table "sessions"`) {
		t.Fatalf("Commit = %v, want ErrItemTooLarge naming the operation and the table", err)
	}
}

func TestDeleteExpiredSkipsAFailedConditionAndStopsAtAnyOtherError(t *testing.T) {
	past := strconv.FormatInt(time.Now().Add(-time.Hour).UnixNano(), 10)
	page := driver.Page{}
	for _, k := range []string{"a", "renewed", "b", "c"} {
		page.Items = append(page.Items, driver.Item{
			Found:  true,
			Key:    driver.Value{Type: driver.String, Text: k},
			Expiry: driver.Value{Type: driver.Number, Text: past},
		})
	}
	scan := func(context.Context, *driver.Scan) (driver.Page, error) { return page, nil }

	d := &scriptDriver{scan: scan, del: func(_ context.Context, r driver.DeleteItem) error {
		if r.Cond.Expression == "" || r.Cond.Values[":expiry"].Text != past {
			t.Errorf("delete of %s without the condition on the expiry read: %+v", r.Key, r.Cond)
		}
		if r.Key == "renewed" {
			return &sdkError{code: codeConditionFailed}
		}
		return nil
	}}
	n, err := newScripted(t, d, WithScanSegments(1)).DeleteExpired(context.Background())
	if n != 3 || err != nil {
		t.Errorf("DeleteExpired = %d, %v; want 3, nil (the renewed session skipped)", n, err)
	}

	throttled := &sdkError{code: "ThrottlingException"}
	d = &scriptDriver{scan: scan, del: func(_ context.Context, r driver.DeleteItem) error {
		if r.Key == "b" {
			return throttled
		}
		return nil
	}}
	n, err = newScripted(t, d, WithScanSegments(1)).DeleteExpired(context.Background())
	var e *sdkError
	if n != 2 || !errors.As(err, &e) || e != throttled {
		t.Errorf("DeleteExpired = %d, %v; want 2 (a and renewed) and the SDK's error", n, err)
	}
}

// sessionTable is the description of a ready session table with the default
// names.
func sessionTable(status string) driver.Table {
	return driver.Table{
		Status: status,
		Keys:   []string{"token"},
		Types:  map[string]string{"token": "S"},
	}
}

func TestCreateTableTakesATableCreatedMeanwhileAsCreated(t *testing.T) {
	describes := 0
	d := &scriptDriver{
		describe: func(context.Context) (driver.Table, error) {
			describes++
			if describes == 1 {
				return driver.Table{}, &sdkError{code: codeNotFound}
			}
			return sessionTable(statusActive), nil
		},
		create: func(context.Context) error { return &sdkError{code: codeInUse} },
		ttl:    func(context.Context) (string, string, error) { return ttlEnabled, "ttl", nil },
	}
	if err := newScripted(t, d).CreateTable(context.Background()); err != nil {
		t.Fatalf("CreateTable = %v, want nil", err)
	}
	ops, _ := d.calls()
	if fmt.Sprint(ops) != "[DescribeTable CreateTable DescribeTable DescribeTTL]" {
		t.Errorf("calls = %v", ops)
	}

	d = &scriptDriver{
		describe: func(context.Context) (driver.Table, error) {
			return driver.Table{}, &sdkError{code: codeNotFound}
		},
		create: func(context.Context) error { return &sdkError{code: "LimitExceededException"} },
	}
	err := newScripted(t, d).CreateTable(context.Background())
	var e *sdkError
	if !errors.As(err, &e) || e.code != "LimitExceededException" || !strings.Contains(err.Error(), "create table") {
		t.Errorf("CreateTable = %v, want the SDK's error of the create, named", err)
	}
}

func TestPingByTableStatusAndKeySchema(t *testing.T) {
	sortKey := sessionTable(statusActive)
	sortKey.Keys = append(sortKey.Keys, "at")
	sortKey.Types["at"] = "N"
	tokenSorts := driver.Table{
		Status: statusActive,
		Keys:   []string{"pk", "token"},
		Types:  map[string]string{"pk": "S", "token": "S"},
	}
	tests := []struct {
		name  string
		table driver.Table
		ready bool
	}{
		{"ACTIVE", sessionTable("ACTIVE"), true},
		{"UPDATING", sessionTable("UPDATING"), true},
		{"CREATING", sessionTable("CREATING"), false},
		{"DELETING", sessionTable("DELETING"), false},
		{"ARCHIVING", sessionTable("ARCHIVING"), false},
		{"ARCHIVED", sessionTable("ARCHIVED"), false},
		{"INACCESSIBLE_ENCRYPTION_CREDENTIALS", sessionTable("INACCESSIBLE_ENCRYPTION_CREDENTIALS"), false},
		{"no description", driver.Table{}, false},
		{"with a sort key", sortKey, false},
		{"token is the sort key", tokenSorts, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &scriptDriver{describe: func(context.Context) (driver.Table, error) { return tt.table, nil }}
			err := newScripted(t, d, WithTable("sessions")).Ping(context.Background())
			if tt.ready && err != nil {
				t.Fatalf("Ping = %v, want nil", err)
			}
			if !tt.ready && (!errors.Is(err, ErrTableNotReady) || !strings.Contains(err.Error(), `"sessions"`)) {
				t.Fatalf("Ping = %v, want ErrTableNotReady naming the table", err)
			}
		})
	}
}

func TestAllAndDeleteExpiredWithAnEndedContextNameTheOperationAndSendNothing(t *testing.T) {
	d := &scriptDriver{}
	s := newScripted(t, d)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.All(ctx)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), `scan table "scs_session"`) {
		t.Errorf("All with a cancelled context = %v; want context.Canceled naming the scan and the table", err)
	}
	n, err := s.DeleteExpired(ctx)
	if n != 0 || !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), `scan for expired sessions in table "scs_session"`) {
		t.Errorf("DeleteExpired with a cancelled context = %d, %v; want 0 and context.Canceled naming the operation and the table", n, err)
	}
	if ops, _ := d.calls(); len(ops) != 0 {
		t.Errorf("requests sent with a cancelled context: %v; want none", ops)
	}
}

// checkOneFailure fails t unless err is one line that says "dynamostore:"
// once and names the operation and the table once.
func checkOneFailure(t *testing.T, what string, err error, opTable string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error", what)
		return
	}
	msg := err.Error()
	if strings.ContainsAny(msg, "\r\n") {
		t.Errorf("%s: error of several lines: %q", what, msg)
	}
	if n := strings.Count(msg, "dynamostore:"); n != 1 {
		t.Errorf("%s: error says \"dynamostore:\" %d times: %q", what, n, msg)
	}
	if opTable != "" && strings.Count(msg, opTable) != 1 {
		t.Errorf("%s: error does not name %s once: %q", what, opTable, msg)
	}
}

// multiLineSDKError is an SDK error of several lines, as aws-sdk-go's
// errors are ("RequestError: send request failed\ncaused by: ...").
type multiLineSDKError struct{}

func (multiLineSDKError) Error() string {
	return "RequestError: send request failed\ncaused by: Post \"http://127.0.0.1:1/\": connection refused\n\tstatus code: 500"
}

func TestEveryErrorIsOneLineThatSaysDynamostoreOnce(t *testing.T) {
	ctx := context.Background()
	hour := time.Now().Add(time.Hour)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	malformed := liveItem("x")
	malformed.Data = driver.Value{}
	get := func(it driver.Item, err error) *scriptDriver {
		return &scriptDriver{get: func(context.Context, driver.GetItem) (driver.Item, error) { return it, err }}
	}
	describe := func(tb driver.Table, err error) *scriptDriver {
		return &scriptDriver{describe: func(context.Context) (driver.Table, error) { return tb, err }}
	}
	tests := []struct {
		name    string
		d       *scriptDriver
		opts    []Option
		call    func(s *Store) error
		opTable string // "" where the error names no table: a configuration error
	}{
		{"invalid configuration", &scriptDriver{}, []Option{WithScanSegments(0)},
			func(s *Store) error { return s.Ping(ctx) }, ""},
		{"invalid token", &scriptDriver{}, nil,
			func(s *Store) error { return s.Commit(ctx, "", nil, hour) }, `commit to table "scs_session"`},
		{"item too large", &scriptDriver{}, nil,
			func(s *Store) error { return s.Commit(ctx, "tok", make([]byte, MaxItemBytes), hour) }, `commit to table "scs_session"`},
		{"malformed item, Find", get(malformed, nil), nil,
			func(s *Store) error { _, _, err := s.Find(ctx, "tok"); return err }, `find in table "scs_session"`},
		{"malformed item, All", &scriptDriver{scan: func(context.Context, *driver.Scan) (driver.Page, error) {
			return driver.Page{Items: []driver.Item{malformed}}, nil
		}}, []Option{WithScanSegments(1)},
			func(s *Store) error { _, err := s.All(ctx); return err }, `scan table "scs_session"`},
		{"SDK error of several lines", get(driver.Item{}, multiLineSDKError{}), nil,
			func(s *Store) error { _, _, err := s.Find(ctx, "tok"); return err }, `find in table "scs_session"`},
		{"cancelled before the request", &scriptDriver{}, nil,
			func(s *Store) error { _, err := s.All(cancelled); return err }, `scan table "scs_session"`},
		{"cancelled during the request", &scriptDriver{del: func(ctx context.Context, _ driver.DeleteItem) error {
			return &sdkError{code: "RequestCanceled"}
		}}, nil,
			func(s *Store) error { return s.Delete(cancelled, "tok") }, `delete from table "scs_session"`},
		{"the store's bound", &scriptDriver{put: func(ctx context.Context, _ driver.PutItem) error {
			<-ctx.Done()
			return fmt.Errorf("sdk: %w", ctx.Err())
		}}, []Option{WithTimeout(time.Millisecond)},
			func(s *Store) error { return s.Commit(ctx, "tok", nil, hour) }, `commit to table "scs_session"`},
		{"table not ready", describe(sessionTable("DELETING"), nil), nil,
			func(s *Store) error { return s.Ping(ctx) }, `check table "scs_session"`},
		{"no table described", describe(driver.Table{}, nil), nil,
			func(s *Store) error { return s.Ping(ctx) }, `check table "scs_session"`},
		{"wrong key schema", describe(driver.Table{Status: "ACTIVE", Keys: []string{"id"}}, nil), nil,
			func(s *Store) error { return s.CreateTable(ctx) }, `create table "scs_session"`},
		{"table in a state it will not leave", describe(sessionTable("ARCHIVED"), nil), nil,
			func(s *Store) error { return s.CreateTable(ctx) }, `create table "scs_session"`},
		{"waiting for the table ends with the context", &scriptDriver{describe: func(context.Context) (driver.Table, error) {
			return sessionTable("CREATING"), nil
		}}, nil,
			func(s *Store) error {
				ctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
				defer cancel()
				return s.CreateTable(ctx)
			}, `create table "scs_session"`},
		{"Time To Live on another attribute", &scriptDriver{
			describe: func(context.Context) (driver.Table, error) { return sessionTable("ACTIVE"), nil },
			ttl:      func(context.Context) (string, string, error) { return "ENABLED", "other", nil },
		}, nil,
			func(s *Store) error { return s.CreateTable(ctx) }, `create table "scs_session"`},
		{"a failed expired delete", &scriptDriver{
			scan: func(context.Context, *driver.Scan) (driver.Page, error) {
				return driver.Page{Items: []driver.Item{{Found: true,
					Key:    driver.Value{Type: driver.String, Text: "tok"},
					Expiry: driver.Value{Type: driver.Number, Text: "1"}}}}, nil
			},
			del: func(context.Context, driver.DeleteItem) error { return multiLineSDKError{} },
		}, []Option{WithScanSegments(1)},
			func(s *Store) error { _, err := s.DeleteExpired(ctx); return err }, `delete an expired session from table "scs_session"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.d.t = t
			s, _ := New(tt.d, tt.opts...)
			checkOneFailure(t, tt.name, tt.call(s), tt.opTable)
		})
	}
}

// With many segments and the context cancelled mid-scan, All and
// DeleteExpired fail once: one error, not one per segment.
func TestAllAndDeleteExpiredCancelledMidScanFailOnce(t *testing.T) {
	const segments = 40
	for _, op := range []struct {
		name, opTable string
		call          func(ctx context.Context, s *Store) error
	}{
		{"All", `scan table "scs_session"`, func(ctx context.Context, s *Store) error { _, err := s.All(ctx); return err }},
		{"DeleteExpired", `scan for expired sessions in table "scs_session"`, func(ctx context.Context, s *Store) error {
			_, err := s.DeleteExpired(ctx)
			return err
		}},
	} {
		for _, sdk := range []struct {
			name string
			err  func(ctx context.Context) error // the SDK's error once ctx ends
		}{
			{"error that unwraps to the context's", func(ctx context.Context) error { return fmt.Errorf("sdk: %w", ctx.Err()) }},
			{"aws-sdk-go's RequestCanceled", func(context.Context) error { return &sdkError{code: "RequestCanceled"} }},
		} {
			t.Run(op.name+", "+sdk.name, func(t *testing.T) {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				var inFlight atomic.Int64
				d := &scriptDriver{scan: func(rctx context.Context, _ *driver.Scan) (driver.Page, error) {
					if inFlight.Add(1) == maxParallelSegments {
						cancel() // once every worker waits on a page
					}
					<-rctx.Done()
					return driver.Page{}, sdk.err(rctx)
				}}
				err := op.call(ctx, newScripted(t, d, WithScanSegments(segments)))
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("%s = %v, want context.Canceled", op.name, err)
				}
				checkOneFailure(t, op.name, err, op.opTable)
			})
		}
	}
}
