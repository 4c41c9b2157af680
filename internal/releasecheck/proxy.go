package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
	modzip "golang.org/x/mod/zip"
)

// releaseModule is one module that a release publishes.
type releaseModule struct {
	dir    string // directory in the repository, "." for the root
	path   string // module path from its go.mod
	goMod  []byte // its go.mod, as published
	parsed *modfile.File
}

// tag returns the git tag that releases m at version: the version alone for
// the root module, the directory and the version otherwise.
func (m releaseModule) tag(version string) string {
	if m.dir == "." {
		return version
	}
	return m.dir + "/" + version
}

// checkVersion returns an error unless v is a canonical semantic version that
// is not a pseudo-version, the only kind of version a tag may carry.
func checkVersion(v string) error {
	if !semver.IsValid(v) || semver.Canonical(v) != v {
		return fmt.Errorf("candidate version %q is not a canonical semantic version such as v0.1.0", v)
	}
	if module.IsPseudoVersion(v) {
		return fmt.Errorf("candidate version %q is a pseudo-version", v)
	}
	return nil
}

// checkModuleSet returns an error naming every go.mod under root whose
// directory is in neither the released nor the unreleased list, or a released
// directory without a go.mod.
func checkModuleSet(root string, released, unreleased []string) error {
	var problems []string
	found := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".") && path != root) {
			return filepath.SkipDir
		}
		if d.Name() != "go.mod" || d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(root, filepath.Dir(path))
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		found[rel] = true
		if !slices.Contains(released, rel) && !slices.Contains(unreleased, rel) {
			problems = append(problems, fmt.Sprintf("module %s/go.mod is neither released nor unreleased: add it to a list in modules.go and RELEASING.md", rel))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, dir := range released {
		if !found[dir] {
			problems = append(problems, fmt.Sprintf("released module %s has no go.mod in the revision", dir))
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "\n  "))
	}
	return nil
}

// readModule reads and parses the go.mod of the module in root/dir.
func readModule(root, dir string) (releaseModule, error) {
	file := filepath.Join(root, filepath.FromSlash(dir), "go.mod")
	data, err := os.ReadFile(file)
	if err != nil {
		return releaseModule{}, err
	}
	f, err := modfile.Parse(dir+"/go.mod", data, nil)
	if err != nil {
		return releaseModule{}, err
	}
	if f.Module == nil {
		return releaseModule{}, fmt.Errorf("%s/go.mod has no module line", dir)
	}
	return releaseModule{dir: dir, path: f.Module.Mod.Path, goMod: data, parsed: f}, nil
}

// checkRequires returns an error for every requirement of m on a module of
// the repository that a consumer could not resolve from the release: a
// pseudo-version, a version other than the candidate, a module that is not
// released, or one tagged after m (earlier holds the modules tagged before m).
// Replace directives are allowed: consumers ignore them.
func checkRequires(m releaseModule, version string, earlier, all []releaseModule) error {
	var problems []string
	for _, r := range m.parsed.Require {
		p, v := r.Mod.Path, r.Mod.Version
		if p != repoModulePrefix && !strings.HasPrefix(p, repoModulePrefix+"/") {
			continue
		}
		switch {
		case module.IsPseudoVersion(v) || v == "v0.0.0":
			problems = append(problems, fmt.Sprintf("requires %s %s, a placeholder no proxy serves; require %s", p, v, version))
		case v != version:
			problems = append(problems, fmt.Sprintf("requires %s %s; every module is released at %s, so require that", p, v, version))
		}
		switch {
		case slices.ContainsFunc(earlier, func(e releaseModule) bool { return e.path == p }):
		case slices.ContainsFunc(all, func(e releaseModule) bool { return e.path == p }):
			problems = append(problems, fmt.Sprintf("requires %s, which is tagged after it: reorder the released list", p))
		default:
			problems = append(problems, fmt.Sprintf("requires %s, which is not a released module", p))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s (%s):\n  %s", m.path, m.dir, strings.Join(problems, "\n  "))
	}
	return nil
}

// publish writes module m at version, from the files in dir, into the
// file-system module proxy at proxyDir: @v/list, @v/<version>.info (with the
// time when), .mod and .zip. It returns the number of files in the zip.
func publish(proxyDir string, m releaseModule, version, dir string, when time.Time) (int, error) {
	mv := module.Version{Path: m.path, Version: version}
	escPath, err := module.EscapePath(mv.Path)
	if err != nil {
		return 0, err
	}
	escVersion, err := module.EscapeVersion(version)
	if err != nil {
		return 0, err
	}
	vdir := filepath.Join(proxyDir, filepath.FromSlash(escPath), "@v")
	if err := os.MkdirAll(vdir, 0o755); err != nil {
		return 0, err
	}
	base := filepath.Join(vdir, escVersion)

	zipFile := base + ".zip"
	f, err := os.Create(zipFile)
	if err != nil {
		return 0, err
	}
	if err := modzip.CreateFromDir(f, mv, dir); err != nil {
		f.Close()
		return 0, fmt.Errorf("zip of %s: %w", mv, err)
	}
	if err := f.Close(); err != nil {
		return 0, err
	}
	checked, err := modzip.CheckZip(mv, zipFile)
	if err != nil {
		return 0, fmt.Errorf("zip of %s: %w", mv, err)
	}
	if err := checked.Err(); err != nil {
		return 0, fmt.Errorf("zip of %s: %w", mv, err)
	}

	info, err := json.Marshal(struct {
		Version string
		Time    time.Time
	}{version, when.UTC()})
	if err != nil {
		return 0, err
	}
	if err := os.WriteFile(base+".info", info, 0o644); err != nil {
		return 0, err
	}
	if err := os.WriteFile(base+".mod", m.goMod, 0o644); err != nil {
		return 0, err
	}
	list, err := os.OpenFile(filepath.Join(vdir, "list"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return 0, err
	}
	if _, err := fmt.Fprintln(list, version); err != nil {
		list.Close()
		return 0, err
	}
	return len(checked.Valid), list.Close()
}
