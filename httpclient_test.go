package dynamostore_test

import (
	"errors"
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
