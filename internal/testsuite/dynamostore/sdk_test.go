package dynamostore_test

//lint:file-ignore SA1019 aws-sdk-go v1 is what this package is for.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/awserr"
	"github.com/aws/aws-sdk-go/aws/request"

	"github.com/scs-stores/dynamostore"
	"github.com/scs-stores/dynamostore/internal/testsuite/drivertest"
	"github.com/scs-stores/dynamostore/internal/testsuite/testenv"
)

// sdkLogger keeps what the SDK logs.
type sdkLogger struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *sdkLogger) Log(args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintln(&l.buf, args...)
}

// TestSDKDebugLoggingPrintsSessionTokens documents why aws-sdk-go's debug
// logging must stay off in production: at aws.LogDebugWithHTTPBody it logs
// request and response bodies, which hold session tokens and data. The
// store's own errors hold neither (see the suite's Fault and Hostile tests).
func TestSDKDebugLoggingPrintsSessionTokens(t *testing.T) {
	t.Parallel()
	table := newTable(t)
	db := testClient(t, drivertest.ClientOptions{})
	logger := &sdkLogger{}
	db.Config.LogLevel = aws.LogLevel(aws.LogDebugWithHTTPBody)
	db.Config.Logger = logger
	s, err := dynamostore.NewStore(db, dynamostore.WithTable(table))
	if err != nil {
		t.Fatal(err)
	}
	token := "SECRET-TOKEN-logged-by-the-sdk"
	if err := s.Commit(token, []byte("x"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	logger.mu.Lock()
	logged := logger.buf.String()
	logger.mu.Unlock()
	if !strings.Contains(logged, token) {
		t.Fatalf("the SDK's debug log no longer holds the token; update the README's advice. Log:\n%s", logged)
	}
}

// sdkFault is an http.RoundTripper that answers every request itself.
type sdkFault func(req *http.Request) (*http.Response, error)

func (f sdkFault) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
	return f(req)
}

// TestFaultErrorsMatchAWSErr checks what the suite cannot, having no SDK:
// the store's errors for an HTTP error status and for a broken connection
// still match aws-sdk-go's awserr types, with the status and code.
func TestFaultErrorsMatchAWSErr(t *testing.T) {
	t.Parallel()
	unavailable := sdkFault(func(req *http.Request) (*http.Response, error) {
		body := `{"__type":"com.amazonaws.dynamodb.v20120810#ServiceUnavailable","message":"injected"}`
		return &http.Response{
			Status: "503 Service Unavailable", StatusCode: 503, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header:        http.Header{"Content-Type": {"application/x-amz-json-1.0"}},
			Body:          io.NopCloser(strings.NewReader(body)),
			ContentLength: int64(len(body)),
			Request:       req,
		}, nil
	})
	reset := sdkFault(func(*http.Request) (*http.Response, error) {
		return nil, &net.OpError{Op: "write", Net: "tcp", Err: os.NewSyscallError("write", syscall.ECONNRESET)}
	})
	for _, c := range []struct {
		name   string
		rt     http.RoundTripper
		code   string
		status int
	}{
		{"503", unavailable, "ServiceUnavailable", 503},
		{"connection reset", reset, request.ErrCodeRequestError, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			db := testClient(t, drivertest.ClientOptions{Transport: c.rt, Retries: -1})
			s, err := dynamostore.NewStore(db, dynamostore.WithTable(testenv.TableName(t)))
			if err != nil {
				t.Fatal(err)
			}
			_, found, err := s.Find("token")
			var aerr awserr.Error
			if found || !errors.As(err, &aerr) || aerr.Code() != c.code {
				t.Fatalf("Find = %v, %v; want an awserr.Error with code %s", found, err, c.code)
			}
			var rf awserr.RequestFailure
			if c.status != 0 && (!errors.As(err, &rf) || rf.StatusCode() != c.status) {
				t.Errorf("error %v does not match an awserr.RequestFailure with status %d", err, c.status)
			}
		})
	}
}
