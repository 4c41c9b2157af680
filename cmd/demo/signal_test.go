package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/scs-stores/dynamostore/internal/testsuite/testenv"
)

// runMainEnv makes the test binary run the demo's main, with the command
// line it was given, instead of the tests: the tests below run the demo as
// a process of its own, as `make demo` does.
const runMainEnv = "DEMO_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

var servingOn = regexp.MustCompile(`serving on (http://\S+)`)

// The demo, started as `make demo` starts it on a fresh table (so that its
// CreateTable meets DynamoDB Local's "not found" answer first), logs no SDK
// warning, serves a page, and exits with status 0 on SIGINT, so that make
// reports no error after Ctrl-C.
func TestDemoOnAFreshTableLogsNoSDKWarningAndExitsZeroOnInterrupt(t *testing.T) {
	forEachSDK(t, func(t *testing.T, sdk string) {
		endpoint := testenv.Endpoint(t)
		table := testenv.TableName(t)
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if b, err := newBackend(ctx, sdk, endpoint, table); err == nil {
				_ = b.deleteTable(ctx)
			}
		})

		cmd := exec.Command(os.Args[0], "-sdk", sdk, "-addr", "127.0.0.1:0", "-table", table)
		cmd.Env = append(os.Environ(), runMainEnv+"=1", endpointVar+"="+endpoint)
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		killed := false
		t.Cleanup(func() {
			if !killed {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
			}
		})

		// Read the log as it comes; base gets the address once it serves.
		var logged strings.Builder
		base := make(chan string, 1)
		readDone := make(chan struct{})
		go func() {
			defer close(readDone)
			sc := bufio.NewScanner(stderr)
			for sc.Scan() {
				logged.WriteString(sc.Text() + "\n")
				if m := servingOn.FindStringSubmatch(sc.Text()); m != nil {
					base <- m[1]
				}
			}
		}()
		var url string
		select {
		case url = <-base:
		case <-readDone:
			_ = cmd.Wait()
			killed = true
			t.Fatalf("the demo exited before serving; its log:\n%s", logged.String())
		case <-time.After(2 * time.Minute): // a guard, not a speed target
			t.Fatal("the demo did not start serving within 2 minutes")
		}
		resp, err := http.Get(url + "/")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET / = %d, want 200", resp.StatusCode)
		}

		if err := cmd.Process.Signal(os.Interrupt); err != nil {
			t.Fatal(err)
		}
		<-readDone // the pipe closes when the demo exits
		err = cmd.Wait()
		killed = true
		var exit *exec.ExitError
		switch {
		case errors.As(err, &exit):
			t.Errorf("after SIGINT the demo exited with %v, want status 0; its log:\n%s", err, logged.String())
		case err != nil:
			t.Fatal(err)
		}
		if !strings.Contains(logged.String(), "stopped") {
			t.Errorf("the demo's log does not say it stopped:\n%s", logged.String())
		}
		if strings.Contains(logged.String(), "WARN") {
			t.Errorf("the demo's log holds an SDK warning:\n%s", logged.String())
		}
	})
}
