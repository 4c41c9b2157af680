package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/mod/module"
)

// maxUnbuiltLines bounds the Go lines (test files aside) of the released
// modules that a consumer of both store packages downloads and its build
// never compiles. The integration suite, the test environment and the
// benchmarks live in internal/testsuite, which no release publishes, so a
// consumer compiles nearly all it downloads; the bound leaves room for a
// small file that only one of the two packages uses, not for a test kit.
const maxUnbuiltLines = 300

// testOnly returns the module paths that must not reach a consumer's module
// graph: storetest, a kit for testing stores that no store needs at run
// time, and every module that a release does not publish.
func testOnly(unreleased []string) []string {
	paths := []string{repoModulePrefix + "/storetest"}
	for _, dir := range unreleased {
		paths = append(paths, repoModulePrefix+"/"+dir)
	}
	return paths
}

// forbiddenLines returns the lines of a go mod graph that name a module whose
// path is one of paths, at any version.
func forbiddenLines(graph string, paths []string) []string {
	var bad []string
	for _, line := range strings.Split(graph, "\n") {
		for _, field := range strings.Fields(line) {
			path, _, _ := strings.Cut(field, "@")
			if contains(paths, path) {
				bad = append(bad, line)
				break
			}
		}
	}
	return bad
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// compiledFiles returns the Go files, as absolute paths, of every package
// that the consumer's build compiles.
func (c consumer) compiledFiles() (map[string]bool, error) {
	out, err := c.goOutput("list", "-deps", "-f", "{{.Dir}}{{range .GoFiles}}\t{{.}}{{end}}{{range .CgoFiles}}\t{{.}}{{end}}", ".")
	if err != nil {
		return nil, err
	}
	files := make(map[string]bool)
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		fields := strings.Split(line, "\t")
		for _, f := range fields[1:] {
			files[filepath.Join(fields[0], f)] = true
		}
	}
	return files, nil
}

// unbuilt counts the lines of the Go files (test files aside) under each of
// dirs that are not in compiled, and returns them with those files' paths
// relative to base and their line counts, sorted.
func unbuilt(base string, dirs []string, compiled map[string]bool) (int, []string, error) {
	lines := 0
	var files []string
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || compiled[path] {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			n := bytes.Count(data, []byte("\n"))
			if len(data) > 0 && data[len(data)-1] != '\n' {
				n++
			}
			lines += n
			rel, err := filepath.Rel(base, path)
			if err != nil {
				return err
			}
			files = append(files, fmt.Sprintf("%s (%d lines)", filepath.ToSlash(rel), n))
			return nil
		})
		if err != nil {
			return 0, nil, err
		}
	}
	sort.Strings(files)
	return lines, files, nil
}

// downloadedDirs returns the directories, in the module cache modcache, of
// the released modules at version whose files the consumer's go commands
// downloaded (a module whose go.mod alone was needed has none).
func downloadedDirs(modcache, version string, mods []releaseModule) ([]string, error) {
	var dirs []string
	for _, m := range mods {
		escaped, err := module.EscapePath(m.path)
		if err != nil {
			return nil, err
		}
		dir := filepath.Join(modcache, filepath.FromSlash(escaped)+"@"+version)
		if isDir(dir) {
			dirs = append(dirs, dir)
		}
	}
	return dirs, nil
}
