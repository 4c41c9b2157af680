package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestForbiddenLinesNameOnlyTheTestOnlyModules(t *testing.T) {
	graph := strings.Join([]string{
		"example.com/c github.com/scs-stores/dynamostore@v0.1.0",
		"github.com/scs-stores/dynamostore@v0.1.0 github.com/scs-stores/dynamostore/internal/core@v0.1.0",
		"github.com/scs-stores/dynamostore/internal/core@v0.1.0 github.com/scs-stores/dynamostore/storetest@v0.1.0",
		"github.com/scs-stores/dynamostore/awsv2@v0.1.0 github.com/scs-stores/dynamostore/internal/testsuite@v0.1.0",
		"github.com/scs-stores/dynamostore/awsv2@v0.1.0 github.com/scs-stores/dynamostore/storetestkit@v0.1.0",
		"",
	}, "\n")
	bad := forbiddenLines(graph, testOnly([]string{"internal/testsuite"}))
	if len(bad) != 2 || !strings.Contains(bad[0], "/storetest@") || !strings.Contains(bad[1], "/internal/testsuite@") {
		t.Errorf("forbiddenLines = %q, want the storetest and internal/testsuite edges alone", bad)
	}
}

func TestUnbuiltCountsTheLinesOfNonTestGoFilesNotCompiled(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"a.go":          "package a\n\nfunc A() {}\n", // compiled
		"a_test.go":     "package a\n\nfunc TestA() {}\n",
		"kit/kit.go":    "package kit\n\nfunc K() {}\n\nfunc L() {}", // 5 lines, no final newline
		"cmd/x/main.go": "package main\n\nfunc main() {}\n",
		"README.md":     "not Go\n",
	}
	for name, data := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	lines, listed, err := unbuilt(dir, []string{dir}, map[string]bool{filepath.Join(dir, "a.go"): true})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"cmd/x/main.go (3 lines)", "kit/kit.go (5 lines)"}
	if lines != 8 || strings.Join(listed, ",") != strings.Join(want, ",") {
		t.Errorf("unbuilt = %d, %q; want 8, %q", lines, listed, want)
	}
}
