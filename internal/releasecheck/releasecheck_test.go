package main

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
)

func parse(t *testing.T, dir, gomod string) releaseModule {
	t.Helper()
	f, err := modfile.Parse("go.mod", []byte(gomod), nil)
	if err != nil {
		t.Fatal(err)
	}
	return releaseModule{dir: dir, path: f.Module.Mod.Path, goMod: []byte(gomod), parsed: f}
}

func TestCheckRequiresNamesEveryUnresolvableRequirement(t *testing.T) {
	core := parse(t, "internal/core", "module github.com/scs-stores/dynamostore/internal/core\n")
	root := parse(t, ".", "module github.com/scs-stores/dynamostore\n")
	awsv2 := parse(t, "awsv2", "module github.com/scs-stores/dynamostore/awsv2\n")
	all := []releaseModule{core, root, awsv2}

	tests := []struct {
		name    string
		require string
		earlier []releaseModule
		want    string // "" when the requirement resolves
	}{
		{"candidate version of an earlier module", "github.com/scs-stores/dynamostore v0.1.0", all[:2], ""},
		{"third-party modules are not checked", "github.com/aws/aws-sdk-go v1.55.8", all[:2], ""},
		{"zero pseudo-version", "github.com/scs-stores/dynamostore v0.0.0-00010101000000-000000000000", all[:2], "placeholder"},
		{"commit pseudo-version", "github.com/scs-stores/dynamostore v0.1.1-0.20261101000000-0123456789ab", all[:2], "placeholder"},
		{"other version", "github.com/scs-stores/dynamostore v0.0.9", all[:2], "released at v0.1.0"},
		{"module tagged later", "github.com/scs-stores/dynamostore/awsv2 v0.1.0", all[:2], "tagged after"},
		{"unreleased module", "github.com/scs-stores/dynamostore/internal/crosstest v0.1.0", all[:2], "not a released module"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := parse(t, "x", "module github.com/scs-stores/dynamostore/x\n\nrequire "+tc.require+"\n")
			err := checkRequires(m, "v0.1.0", tc.earlier, all)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("checkRequires = %v, want nil", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("checkRequires = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestCheckVersionAcceptsOnlyTaggableVersions(t *testing.T) {
	for v, ok := range map[string]bool{
		"v0.1.0":                             true,
		"v1.2.3":                             true,
		"v0.1":                               false,
		"0.1.0":                              false,
		"v0.0.0-20261101000000-0123456789ab": false,
	} {
		if err := checkVersion(v); (err == nil) != ok {
			t.Errorf("checkVersion(%q) = %v, want ok=%v", v, err, ok)
		}
	}
}

func TestCheckModuleSetRejectsAModuleInNoList(t *testing.T) {
	root := t.TempDir()
	for _, dir := range []string{".", "a", "b", "b/testdata/x"} {
		if err := os.MkdirAll(filepath.Join(root, dir), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, dir, "go.mod"), []byte("module m\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := checkModuleSet(root, []string{".", "a"}, []string{"b", "missing"}); err != nil {
		t.Fatalf("every module listed (testdata ignored): %v", err)
	}
	err := checkModuleSet(root, []string{".", "gone"}, []string{"b"})
	if err == nil || !strings.Contains(err.Error(), "module a/go.mod is neither") || !strings.Contains(err.Error(), "gone has no go.mod") {
		t.Fatalf("checkModuleSet = %v, want errors for a and gone", err)
	}
}

func TestPublishWritesTheProxyLayoutWithoutNestedModules(t *testing.T) {
	src := t.TempDir()
	files := map[string]string{
		"go.mod":        "module github.com/scs-stores/dynamostore\n\ngo 1.22\n",
		"store.go":      "package dynamostore\n",
		"sub/go.mod":    "module github.com/scs-stores/dynamostore/sub\n",
		"sub/sub.go":    "package sub\n",
		"internal/x.go": "package internal\n",
	}
	for name, body := range files {
		path := filepath.Join(src, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m := parse(t, ".", files["go.mod"])
	proxy := t.TempDir()
	when := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	n, err := publish(proxy, m, "v0.1.0", src, when)
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("zip holds %d files, want 3 (go.mod, store.go, internal/x.go; sub is a module of its own)", n)
	}
	vdir := filepath.Join(proxy, "github.com", "scs-stores", "dynamostore", "@v")
	if list, _ := os.ReadFile(filepath.Join(vdir, "list")); string(list) != "v0.1.0\n" {
		t.Errorf("list = %q, want %q", list, "v0.1.0\n")
	}
	if mod, _ := os.ReadFile(filepath.Join(vdir, "v0.1.0.mod")); string(mod) != files["go.mod"] {
		t.Errorf(".mod = %q, want the go.mod", mod)
	}
	var info struct {
		Version string
		Time    time.Time
	}
	raw, _ := os.ReadFile(filepath.Join(vdir, "v0.1.0.info"))
	if err := json.Unmarshal(raw, &info); err != nil || info.Version != "v0.1.0" || !info.Time.Equal(when) {
		t.Errorf(".info = %s (%v), want version v0.1.0 at %v", raw, err, when)
	}
	checked, err := modzip.CheckZip(module.Version{Path: m.path, Version: "v0.1.0"}, filepath.Join(vdir, "v0.1.0.zip"))
	if err != nil || checked.Err() != nil {
		t.Fatalf("CheckZip: %v, %v", err, checked.Err())
	}
}

func TestExtractTarRefusesPathsOutsideTheExport(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	body := []byte("x")
	if err := tw.WriteHeader(&tar.Header{Name: "../escape", Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write(body); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "out")
	if err := os.Mkdir(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := extractTar(&buf, dst); err == nil || !strings.Contains(err.Error(), "outside") {
		t.Fatalf("extractTar = %v, want an error about a path outside the export", err)
	}
	if _, err := os.Stat(filepath.Join(dst, "..", "escape")); !os.IsNotExist(err) {
		t.Fatalf("the file outside the export exists (stat error %v)", err)
	}
}

func TestExportRevisionPublishesOnlyCommittedFiles(t *testing.T) {
	repo := t.TempDir()
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", repo, "-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q")
	if err := os.WriteFile(filepath.Join(repo, "committed.go"), []byte("package p\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git("add", "committed.go")
	git("commit", "-q", "-m", "one file")
	if err := os.WriteFile(filepath.Join(repo, "committed.go"), []byte("package p // edited\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, "untracked.go"), []byte("package p\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "export")
	if _, err := exportRevision(repo, "HEAD", dst); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dst, "committed.go")); string(got) != "package p\n" {
		t.Errorf("committed.go = %q, want the committed content", got)
	}
	if _, err := os.Stat(filepath.Join(dst, "untracked.go")); !os.IsNotExist(err) {
		t.Errorf("untracked.go was exported (stat error %v)", err)
	}
}
