package dynamostore_test

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scs-stores/dynamostore"
)

func TestNewHTTPClientBadCABundleIsAnError(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path string
		is         error
	}{
		{"missing file", filepath.Join(dir, "missing.pem"), os.ErrNotExist},
		{"no certificate in file", notPEM, nil},
		{"directory", dir, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("AWS_CA_BUNDLE", tc.path)
			hc, err := dynamostore.NewHTTPClient(0)
			if err == nil || hc != nil {
				t.Fatalf("NewHTTPClient = %v, %v; want nil and an error", hc, err)
			}
			if !strings.Contains(err.Error(), "AWS_CA_BUNDLE") || !strings.Contains(err.Error(), tc.path) {
				t.Errorf("error %q does not name AWS_CA_BUNDLE and the file", err)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v does not match %v", err, tc.is)
			}
		})
	}
}

func TestNewHTTPClientSizesIdlePool(t *testing.T) {
	t.Setenv("AWS_CA_BUNDLE", "")
	for _, tc := range []struct{ maxConns, want int }{{0, 64}, {-1, 64}, {1, 1}, {16, 16}, {500, 500}} {
		hc, err := dynamostore.NewHTTPClient(tc.maxConns)
		if err != nil {
			t.Fatal(err)
		}
		tr := hc.Transport.(*http.Transport)
		if tr.MaxIdleConnsPerHost != tc.want || tr.MaxIdleConns != tc.want {
			t.Errorf("NewHTTPClient(%d): MaxIdleConns %d, MaxIdleConnsPerHost %d; want %d", tc.maxConns, tr.MaxIdleConns, tr.MaxIdleConnsPerHost, tc.want)
		}
		if hc.Timeout <= 0 || tr.ResponseHeaderTimeout <= 0 || tr.TLSHandshakeTimeout <= 0 || tr.IdleConnTimeout <= 0 {
			t.Errorf("NewHTTPClient(%d): a timeout is off: client %v, headers %v, handshake %v, idle %v", tc.maxConns, hc.Timeout, tr.ResponseHeaderTimeout, tr.TLSHandshakeTimeout, tr.IdleConnTimeout)
		}
	}
}
