package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/scs-stores/dynamostore/internal/testsuite/testenv"
)

// writeCABundle writes a PEM file with one self-signed CA certificate and
// returns its path.
func writeCABundle(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "demo test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestDemoServesWithAWSCABundleSet(t *testing.T) {
	t.Setenv("AWS_CA_BUNDLE", writeCABundle(t))
	forEachSDK(t, func(t *testing.T, sdk string) {
		_, base := startDemo(t, sdk, testenv.TableName(t))
		b := newClient(t, base)
		b.home()
		if visits, _ := b.home(); visits != 2 {
			t.Errorf("with AWS_CA_BUNDLE set: second visit shows %d, want 2", visits)
		}
	})
}

func TestDemoOpensAboutOneDynamoDBConnectionPerConcurrentVisitor(t *testing.T) {
	const visitors, pages = maxConns, 8
	u, err := url.Parse(testenv.Endpoint(t))
	if err != nil {
		t.Fatal(err)
	}
	forEachSDK(t, func(t *testing.T, sdk string) {
		p := newStallProxy(t, u.Host)
		_, base := startDemoAt(t, "http://"+p.ln.Addr().String(), sdk, testenv.TableName(t))
		atStart := p.accepted.Load()

		// Each visitor loads its pages one after another; each page sends
		// DynamoDB one request at a time (Find, GetItem, then PutItem).
		var wg sync.WaitGroup
		failures := make(chan string, visitors)
		for range visitors {
			wg.Add(1)
			go func() {
				defer wg.Done()
				b := newClient(t, base)
				for range pages {
					status, body, err := b.try(http.MethodGet, "/", nil)
					if err != nil || status != http.StatusOK {
						failures <- body + errString(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		close(failures)
		for f := range failures {
			t.Fatalf("a page failed: %s", f)
		}
		conns := p.accepted.Load() - atStart
		t.Logf("%d visitors × %d pages (%d DynamoDB requests or so): %d new DynamoDB connections", visitors, pages, visitors*pages*3, conns)
		if conns > visitors*3/2 {
			t.Errorf("%d concurrent visitors opened %d connections to DynamoDB, want about one each at most", visitors, conns)
		}
	})
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
