package testenv

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeTB records what a helper does to its test: Fatal and Skip end the
// goroutine as the testing package's do.
type fakeTB struct {
	testing.TB
	name            string
	failed, skipped bool
	msgs            []string
}

func (f *fakeTB) Helper()      {}
func (f *fakeTB) Name() string { return f.name }
func (f *fakeTB) Log(args ...any) {
	f.msgs = append(f.msgs, fmt.Sprint(args...))
}
func (f *fakeTB) Fatal(args ...any) {
	f.failed = true
	f.msgs = append(f.msgs, fmt.Sprint(args...))
	runtime.Goexit()
}
func (f *fakeTB) Fatalf(format string, args ...any) { f.Fatal(fmt.Sprintf(format, args...)) }
func (f *fakeTB) Skip(args ...any) {
	f.skipped = true
	f.msgs = append(f.msgs, fmt.Sprint(args...))
	runtime.Goexit()
}
func (f *fakeTB) Skipf(format string, args ...any) { f.Skip(fmt.Sprintf(format, args...)) }

// run calls fn with a fakeTB on a goroutine of its own and returns the record.
func run(name string, fn func(tb testing.TB)) *fakeTB {
	f := &fakeTB{name: name}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(f)
	}()
	<-done
	return f
}

// clearEnv empties every variable testenv reads, for the length of t.
func clearEnv(t *testing.T) {
	for _, v := range []string{EndpointVar, EngineVar, PrefixVar, "CI", "AWS_REGION", "AWS_DEFAULT_REGION"} {
		t.Setenv(v, "")
	}
}

func TestEngineIsDDBLocalWhenOnlyAnEndpointIsSet(t *testing.T) {
	clearEnv(t)
	t.Setenv(EndpointVar, "http://127.0.0.1:8000")
	if got := Engine(); got != EngineDDBLocal {
		t.Fatalf("Engine() = %q, want %q", got, EngineDDBLocal)
	}
	if !Local() {
		t.Fatal("Local() = false on DynamoDB Local")
	}
}

func TestEngineIsEmptyWithoutEndpointOrEngine(t *testing.T) {
	clearEnv(t)
	if got := Engine(); got != "" {
		t.Fatalf("Engine() = %q, want empty", got)
	}
	if Local() {
		t.Fatal("Local() = true without an engine")
	}
}

func TestEngineReadsTheVariableInLowerCase(t *testing.T) {
	clearEnv(t)
	t.Setenv(EngineVar, " Dynalite ")
	t.Setenv(EndpointVar, "http://127.0.0.1:4567")
	if got := Engine(); got != EngineDynalite {
		t.Fatalf("Engine() = %q, want %q", got, EngineDynalite)
	}
}

func TestEndpointReturnsTheLocalEnginesURL(t *testing.T) {
	clearEnv(t)
	t.Setenv(EngineVar, EngineDynalite)
	t.Setenv(EndpointVar, "http://127.0.0.1:4567")
	var got string
	f := run("T", func(tb testing.TB) { got = Endpoint(tb) })
	if f.failed || f.skipped || got != "http://127.0.0.1:4567" {
		t.Fatalf("Endpoint = %q (failed %v, skipped %v, %q)", got, f.failed, f.skipped, f.msgs)
	}
}

func TestEndpointOnAWSWithoutURLIsTheDefaultEndpoint(t *testing.T) {
	clearEnv(t)
	t.Setenv(EngineVar, EngineAWS)
	t.Setenv("CI", "true")
	got := "unset"
	f := run("T", func(tb testing.TB) { got = Endpoint(tb) })
	if f.failed || f.skipped || got != "" {
		t.Fatalf("Endpoint = %q (failed %v, skipped %v, %q), want \"\"", got, f.failed, f.skipped, f.msgs)
	}
	if Local() {
		t.Fatal("Local() = true on AWS")
	}
}

func TestEndpointWithoutEngineSkipsLocallyAndFailsUnderCI(t *testing.T) {
	clearEnv(t)
	f := run("T", func(tb testing.TB) { Endpoint(tb) })
	if !f.skipped || f.failed {
		t.Fatalf("without CI: skipped %v, failed %v, want a skip", f.skipped, f.failed)
	}
	t.Setenv("CI", "true")
	f = run("T", func(tb testing.TB) { Endpoint(tb) })
	if !f.failed {
		t.Fatalf("under CI: failed %v, skipped %v, want a failure", f.failed, f.skipped)
	}
}

func TestEndpointFailsOnAnUnknownEngineOrALocalEngineWithoutURL(t *testing.T) {
	clearEnv(t)
	t.Setenv(EngineVar, "localstack")
	t.Setenv(EndpointVar, "http://127.0.0.1:4566")
	if f := run("T", func(tb testing.TB) { Endpoint(tb) }); !f.failed {
		t.Fatalf("unknown engine: failed %v, want a failure", f.failed)
	}
	t.Setenv(EngineVar, EngineDynalite)
	t.Setenv(EndpointVar, "")
	if f := run("T", func(tb testing.TB) { Endpoint(tb) }); !f.failed {
		t.Fatalf("dynalite without endpoint: failed %v, want a failure", f.failed)
	}
}

func TestRequireLocalSkipsOnAWSWithTheReason(t *testing.T) {
	clearEnv(t)
	t.Setenv(EngineVar, EngineAWS)
	f := run("T", func(tb testing.TB) { RequireLocal(tb, "a proxy before the engine") })
	if !f.skipped || len(f.msgs) == 0 || !strings.Contains(f.msgs[0], "a proxy before the engine") {
		t.Fatalf("skipped %v, messages %q, want a skip that says why", f.skipped, f.msgs)
	}
	t.Setenv(EngineVar, EngineDDBLocal)
	t.Setenv(EndpointVar, "http://127.0.0.1:8000")
	if f := run("T", func(tb testing.TB) { RequireLocal(tb, "x") }); f.skipped || f.failed {
		t.Fatalf("on DynamoDB Local: skipped %v, failed %v", f.skipped, f.failed)
	}
}

func TestRegionAndCredentialsAreFixedLocallyAndFromTheEnvironmentOnAWS(t *testing.T) {
	clearEnv(t)
	t.Setenv(EndpointVar, "http://127.0.0.1:8000")
	t.Setenv("AWS_REGION", "eu-west-1")
	if got := Region(); got != LocalRegion {
		t.Fatalf("local Region() = %q, want %q", got, LocalRegion)
	}
	if id, secret, ok := StaticCredentials(); !ok || id == "" || secret == "" {
		t.Fatalf("local StaticCredentials() = %q, %q, %v", id, secret, ok)
	}

	t.Setenv(EngineVar, EngineAWS)
	if got := Region(); got != "eu-west-1" {
		t.Fatalf("aws Region() with AWS_REGION = %q, want eu-west-1", got)
	}
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "ap-south-1")
	if got := Region(); got != "ap-south-1" {
		t.Fatalf("aws Region() with AWS_DEFAULT_REGION = %q, want ap-south-1", got)
	}
	if _, _, ok := StaticCredentials(); ok {
		t.Fatal("StaticCredentials() ok on AWS, want the SDK's default chain")
	}
}

// validTableName reports what makes name an invalid DynamoDB table name.
func validTableName(name string) error {
	if len(name) < 3 || len(name) > maxTableName {
		return fmt.Errorf("length %d", len(name))
	}
	for _, r := range name {
		if !tableRune(r) {
			return fmt.Errorf("character %q", r)
		}
	}
	return nil
}

func TestTableNameIsPrefixedValidAndUnique(t *testing.T) {
	clearEnv(t)
	a, b := TableName(t), TableName(t)
	if a == b {
		t.Fatalf("two calls returned %q", a)
	}
	for _, name := range []string{a, b} {
		if !strings.HasPrefix(name, DefaultPrefix) || !HasPrefix(name) {
			t.Errorf("%q does not start with %q", name, DefaultPrefix)
		}
		if err := validTableName(name); err != nil {
			t.Errorf("%q: %v", name, err)
		}
	}

	t.Setenv(PrefixVar, "ci-42.")
	if name := TableName(t); !strings.HasPrefix(name, "ci-42.TestTableName") {
		t.Errorf("with %s=ci-42.: %q", PrefixVar, name)
	}
}

func TestTableNameReplacesBadCharactersAndStaysWithin255Bytes(t *testing.T) {
	long := strings.Repeat("Test/sub test ✓ ", 40)
	prefix := strings.Repeat("p", 128)
	seen := map[string]bool{}
	for seq := int64(1); seq <= 3; seq++ {
		name := tableName(prefix, long, "0badcafe", seq)
		if err := validTableName(name); err != nil {
			t.Fatalf("%q: %v", name, err)
		}
		if !strings.HasPrefix(name, prefix+"Test_sub_test__") || !strings.HasSuffix(name, fmt.Sprintf("_0badcafe_%d", seq)) {
			t.Fatalf("%q lost its prefix or its unique suffix", name)
		}
		if seen[name] {
			t.Fatalf("%q returned twice", name)
		}
		seen[name] = true
	}
}

func TestTableNameFailsOnAnInvalidPrefix(t *testing.T) {
	clearEnv(t)
	for _, p := range []string{"has space", "slash/", strings.Repeat("x", 129)} {
		t.Setenv(PrefixVar, p)
		if f := run("T", func(tb testing.TB) { TableName(tb) }); !f.failed {
			t.Errorf("prefix %q: no failure", p)
		}
		if HasPrefix(p + "x") {
			t.Errorf("HasPrefix true under invalid prefix %q", p)
		}
	}
}

// recordSleep returns a sleep for waitFor that takes no real time: it
// records each pause and returns ctx's error once ctx has ended.
func recordSleep(pauses *[]time.Duration) func(context.Context, time.Duration) error {
	return func(ctx context.Context, d time.Duration) error {
		*pauses = append(*pauses, d)
		return ctx.Err()
	}
}

func TestWaitForPollsUntilDoneWithPausesGrowingUpToMaxPoll(t *testing.T) {
	for _, tc := range []struct {
		polls  int
		pauses string
	}{
		{1, "[]"},
		{4, "[100ms 200ms 400ms]"},
		{8, "[100ms 200ms 400ms 800ms 1.6s 2s 2s]"},
	} {
		polls := 0
		var pauses []time.Duration
		err := waitFor(context.Background(), "polls", func(context.Context) (bool, error) {
			polls++
			return polls == tc.polls, nil
		}, recordSleep(&pauses))
		if err != nil || polls != tc.polls {
			t.Errorf("waitFor = %v after %d polls, want nil after %d", err, polls, tc.polls)
		}
		if fmt.Sprint(pauses) != tc.pauses {
			t.Errorf("done at poll %d: paused %v, want %s", tc.polls, pauses, tc.pauses)
		}
	}
}

func TestWaitForReturnsTheChecksErrorWrapped(t *testing.T) {
	boom := errors.New("boom")
	polls := 0
	err := WaitFor(context.Background(), `table "x" to be ACTIVE`, func(context.Context) (bool, error) {
		polls++
		return false, boom
	})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), `table "x" to be ACTIVE`) || polls != 1 {
		t.Fatalf("err = %v after %d polls, want boom wrapped after 1", err, polls)
	}
}

func TestWaitForStopsWhenTheContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	polls := 0
	var pauses []time.Duration
	record := recordSleep(&pauses)
	err := waitFor(ctx, "never", func(context.Context) (bool, error) { polls++; return false, nil },
		func(ctx context.Context, d time.Duration) error {
			if len(pauses) == 2 {
				cancel() // during the third pause
			}
			return record(ctx, d)
		})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "never") || !strings.Contains(err.Error(), "after 3 checks") {
		t.Fatalf("err = %v, want context.Canceled naming what was awaited and the 3 checks", err)
	}
	if polls != 3 {
		t.Errorf("%d checks, want 3: none once the context has ended", polls)
	}
	// WaitFor's own pause ends with the context too.
	polls = 0
	err = WaitFor(ctx, "never", func(context.Context) (bool, error) { polls++; return false, nil })
	if !errors.Is(err, context.Canceled) || polls != 1 {
		t.Fatalf("WaitFor with an ended context = %v after %d checks, want context.Canceled after 1", err, polls)
	}
}

func TestFeatureIsDetectedOncePerProcessUnderConcurrentCallers(t *testing.T) {
	clearEnv(t)
	var calls atomic.Int32
	detect := func() (bool, string, error) {
		calls.Add(1)
		time.Sleep(10 * time.Millisecond)
		return true, "", nil
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ok bool
			if f := run("T", func(tb testing.TB) { ok = Feature(tb, "test-once", detect) }); f.failed || f.skipped || !ok {
				t.Errorf("caller: ok %v, failed %v, skipped %v, %q", ok, f.failed, f.skipped, f.msgs)
			}
		}()
	}
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Fatalf("detect ran %d times, want 1", n)
	}
}

func TestRequireFeatureSkipsNamingTheFeatureAndTheReason(t *testing.T) {
	clearEnv(t)
	t.Setenv(EngineVar, EngineDynalite)
	t.Setenv(EndpointVar, "http://127.0.0.1:4567")
	detect := func() (bool, string, error) { return false, "UpdateTimeToLive: UnknownOperationException", nil }
	for range 2 {
		f := run("T", func(tb testing.TB) { RequireFeature(tb, "test-ttl", detect) })
		if !f.skipped || f.failed || len(f.msgs) == 0 {
			t.Fatalf("skipped %v, failed %v, want a skip with a message", f.skipped, f.failed)
		}
		for _, want := range []string{"test-ttl", "UnknownOperationException", "dynalite"} {
			if !strings.Contains(f.msgs[0], want) {
				t.Errorf("skip message %q lacks %q", f.msgs[0], want)
			}
		}
	}
	f := run("T", func(tb testing.TB) {
		if Feature(tb, "test-ttl", detect) {
			tb.Fatal("missing feature reported present")
		}
	})
	if f.failed || len(f.msgs) != 1 || !strings.Contains(f.msgs[0], "UnknownOperationException") {
		t.Fatalf("Feature on a missing feature: failed %v, logged %q, want the reason logged", f.failed, f.msgs)
	}
}

func TestFeatureFailsOnADetectionErrorAndDetectsAgainLater(t *testing.T) {
	clearEnv(t)
	calls := 0
	detect := func() (bool, string, error) {
		calls++
		if calls == 1 {
			return false, "", errors.New("connection refused")
		}
		return true, "", nil
	}
	f := run("T", func(tb testing.TB) { Feature(tb, "test-flaky", detect) })
	if !f.failed || len(f.msgs) == 0 || !strings.Contains(f.msgs[0], "connection refused") {
		t.Fatalf("first call: failed %v, %q, want a failure with the error", f.failed, f.msgs)
	}
	var ok bool
	if f := run("T", func(tb testing.TB) { ok = Feature(tb, "test-flaky", detect) }); f.failed || !ok || calls != 2 {
		t.Fatalf("second call: failed %v, ok %v, %d detections, want a fresh detection that succeeds", f.failed, ok, calls)
	}
}
