package main

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// consumerMain is the program that the full consumer builds and runs.
//
//go:embed testdata/consumer/main.go
var consumerMain []byte

// config is what one run of the check publishes and where.
type config struct {
	repo     string // the repository's top directory
	rev      string // the committed revision to publish
	version  string // the candidate version of every released module
	endpoint string // DynamoDB Local's URL, from DYNAMODB_ENDPOINT
	keep     bool   // keep the temporary directory
}

// run performs every step of the check and returns the first failure.
func run(c config) error {
	if c.endpoint == "" {
		return errors.New("DYNAMODB_ENDPOINT is not set: run through ./scripts/ddblocal.sh (make release-check does)")
	}
	if err := checkVersion(c.version); err != nil {
		return err
	}
	repo, err := filepath.Abs(c.repo)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "dynamostore-release-check-")
	if err != nil {
		return err
	}
	if rel, err := filepath.Rel(repo, work); err == nil && filepath.IsLocal(rel) {
		return fmt.Errorf("temporary directory %s is inside the repository %s: set TMPDIR elsewhere", work, repo)
	}
	if c.keep {
		fmt.Println("release-check: keeping", work)
	} else {
		defer os.RemoveAll(work)
	}
	start := time.Now()
	step := func(format string, args ...any) {
		fmt.Printf("release-check: [%5.1fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
	}

	src := filepath.Join(work, "src")
	when, err := exportRevision(repo, c.rev, src)
	if err != nil {
		return err
	}
	step("exported %s (committed %s) to %s", c.rev, when.Format(time.RFC3339), src)

	if err := checkModuleSet(src, released, unreleased); err != nil {
		return err
	}
	var mods []releaseModule
	for _, dir := range released {
		m, err := readModule(src, dir)
		if err != nil {
			return err
		}
		mods = append(mods, m)
	}
	var problems []error
	for i, m := range mods {
		problems = append(problems, checkRequires(m, c.version, mods[:i], mods))
	}
	if err := errors.Join(problems...); err != nil {
		return fmt.Errorf("go.mod requirements a consumer cannot resolve:\n%w", err)
	}
	step("go.mod requirements between the %d released modules are all at %s", len(mods), c.version)

	proxy := filepath.Join(work, "proxy")
	for _, m := range mods {
		n, err := publish(proxy, m, c.version, filepath.Join(src, filepath.FromSlash(m.dir)), when)
		if err != nil {
			return err
		}
		step("published %s %s (tag %s, %d files)", m.path, c.version, m.tag(c.version), n)
	}

	env, err := consumerEnv(proxy, filepath.Join(work, "modcache"))
	if err != nil {
		return err
	}
	root, v2 := repoModulePrefix, repoModulePrefix+"/awsv2"

	full := consumer{dir: filepath.Join(work, "consumer"), env: env}
	if err := full.create(map[string][]byte{"main.go": consumerMain}); err != nil {
		return err
	}
	if err := full.goCmd("get", root+"@"+c.version, v2+"@"+c.version); err != nil {
		return err
	}
	if err := full.goCmd("mod", "tidy"); err != nil {
		return err
	}
	if err := full.requireVersions(c.version, mods); err != nil {
		return err
	}
	step("a fresh consumer resolved %s and %s at %s", root, v2, c.version)
	if err := full.goCmd("vet", "."); err != nil {
		return err
	}
	bin := filepath.Join(work, "consumer-bin")
	if err := full.goCmd("build", "-o", bin, "."); err != nil {
		return err
	}
	step("built the consumer program")
	table := fmt.Sprintf("release_check_%d", time.Now().UnixNano())
	if err := full.exec(bin, "-table", table); err != nil {
		return fmt.Errorf("consumer program against %s: %w", c.endpoint, err)
	}
	step("ran the consumer program against DynamoDB Local (table %s)", table)

	// What a consumer carries: no test-only module in its module graph, and
	// few downloaded lines that its build never compiles.
	graph, err := full.goOutput("mod", "graph")
	if err != nil {
		return err
	}
	compiled, err := full.compiledFiles()
	if err != nil {
		return err
	}
	modcache := filepath.Join(work, "modcache")
	dirs, err := downloadedDirs(modcache, c.version, mods)
	if err != nil {
		return err
	}
	lines, files, err := unbuilt(modcache, dirs, compiled)
	if err != nil {
		return err
	}
	bad := forbiddenLines(graph, testOnly(unreleased))
	var carried []error
	step("the consumer's module graph has %d edges, %d of them to a test-only module (storetest or an unreleased one)%s",
		strings.Count(graph, "\n"), len(bad), listed(bad))
	step("the consumer downloads %d released modules, with %d Go lines (test files aside) that its build never compiles (bound %d)%s",
		len(dirs), lines, maxUnbuiltLines, listed(files))
	if len(bad) > 0 {
		carried = append(carried, errors.New("the consumer's module graph holds test-only modules"))
	}
	if lines > maxUnbuiltLines {
		carried = append(carried, fmt.Errorf("the consumer downloads %d unbuilt Go lines of the released modules, over the bound of %d (carry.go)", lines, maxUnbuiltLines))
	}
	if err := errors.Join(carried...); err != nil {
		return err
	}

	// The demo's browser driver must reach no user of the library.
	const demoOnly = "github.com/chromedp/"
	onlyV2 := consumer{dir: filepath.Join(work, "consumer-awsv2"), env: env}
	if err := onlyV2.graphCheck(v2, c.version, []string{"github.com/aws/aws-sdk-go@", root + "@", demoOnly}); err != nil {
		return err
	}
	onlyRoot := consumer{dir: filepath.Join(work, "consumer-root"), env: env}
	if err := onlyRoot.graphCheck(root, c.version, []string{"github.com/aws/aws-sdk-go-v2", demoOnly}); err != nil {
		return err
	}
	step("module graphs: awsv2 alone has no aws-sdk-go (v1), no root module and no chromedp; the root package alone has no aws-sdk-go-v2 and no chromedp")
	return nil
}

// consumerEnv returns the environment of the consumers' go commands: the
// file-system proxy first, then the module cache's download directory as a
// read-only mirror of third-party modules already fetched, then the machine's
// GOPROXY; a module cache of their own under modcache; no checksum-database
// lookups for the repository's modules, which no public database has yet; no
// go.work and no toolchain download.
func consumerEnv(proxy, modcache string) ([]string, error) {
	goenv := func(name string) (string, error) {
		out, err := exec.Command("go", "env", name).Output()
		if err != nil {
			return "", fmt.Errorf("go env %s: %w%s", name, err, stderrOf(err))
		}
		return strings.TrimSpace(string(out)), nil
	}
	upstream, err := goenv("GOPROXY")
	if err != nil {
		return nil, err
	}
	cache, err := goenv("GOMODCACHE")
	if err != nil {
		return nil, err
	}
	flags, err := goenv("GOFLAGS")
	if err != nil {
		return nil, err
	}
	proxies := []string{fileURL(proxy)}
	if download := filepath.Join(cache, "cache", "download"); isDir(download) {
		proxies = append(proxies, fileURL(download))
	}
	if upstream != "" && upstream != "off" {
		proxies = append(proxies, upstream)
	}
	set := map[string]string{
		"GOPROXY":    strings.Join(proxies, ","),
		"GONOSUMDB":  "github.com/scs-stores",
		"GOPRIVATE":  "",
		"GONOPROXY":  "",
		"GOMODCACHE": modcache,
		// -trimpath keeps build-cache keys free of the module cache's
		// directory, so packages built by an earlier run are reused.
		"GOFLAGS": strings.TrimSpace(flags + " -mod=mod -modcacherw -trimpath"),
		"GOWORK":  "off",
		// A go line newer than this toolchain is an error, not a download.
		"GOTOOLCHAIN": "local",
	}
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if _, ok := set[name]; !ok {
			env = append(env, kv)
		}
	}
	for name, value := range set {
		env = append(env, name+"="+value)
	}
	return env, nil
}

// listed returns files as an indented list after a colon, or nothing.
func listed(files []string) string {
	if len(files) == 0 {
		return ""
	}
	return ":\n    " + strings.Join(files, "\n    ")
}

func fileURL(dir string) string { return "file://" + filepath.ToSlash(dir) }

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// consumer is a module outside the repository that uses the release.
type consumer struct {
	dir string
	env []string
}

// create writes the consumer's go.mod and the given files into its directory.
func (c consumer) create(files map[string][]byte) error {
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return err
	}
	files["go.mod"] = []byte("module example.com/releaseconsumer\n\ngo 1.24\n")
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(c.dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// goCmd runs the go command in the consumer's directory and environment.
func (c consumer) goCmd(args ...string) error {
	_, err := c.goOutput(args...)
	return err
}

// goOutput runs the go command in the consumer's directory and environment
// and returns its standard output; a failure carries its standard error.
func (c consumer) goOutput(args ...string) (string, error) {
	cmd := exec.Command("go", args...)
	cmd.Dir, cmd.Env = c.dir, c.env
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("in %s: go %s: %w%s", c.dir, strings.Join(args, " "), err, stderrOf(err))
	}
	return string(out), nil
}

// exec runs a program in the consumer's directory and environment, passing
// its output through.
func (c consumer) exec(name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = c.dir, c.env
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	return cmd.Run()
}

// requireVersions checks that the consumer's build list holds each released
// module it needs at version, and so from the release: every one but
// storetest, which no store requires.
func (c consumer) requireVersions(version string, mods []releaseModule) error {
	args := []string{"list", "-m", "-f", "{{.Path}} {{.Version}}"}
	for _, m := range mods {
		if m.path != repoModulePrefix+"/storetest" {
			args = append(args, m.path)
		}
	}
	out, err := c.goOutput(args...)
	if err != nil {
		return err
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		path, v, _ := strings.Cut(line, " ")
		if v != version {
			return fmt.Errorf("consumer's build list has %s at %q, want %s", path, v, version)
		}
	}
	return nil
}

// graphCheck makes a consumer that imports pkg alone at version, tidies it and
// returns an error naming every line of its go mod graph that mentions one
// of the forbidden module path prefixes.
func (c consumer) graphCheck(pkg, version string, forbidden []string) error {
	name := pkg[strings.LastIndex(pkg, "/")+1:]
	prog := fmt.Sprintf("package main\n\nimport %q\n\nfunc main() { _ = %s.New }\n", pkg, name)
	if err := c.create(map[string][]byte{"main.go": []byte(prog)}); err != nil {
		return err
	}
	if err := c.goCmd("get", pkg+"@"+version); err != nil {
		return err
	}
	if err := c.goCmd("mod", "tidy"); err != nil {
		return err
	}
	if err := c.goCmd("build", "-o", os.DevNull, "."); err != nil {
		return err
	}
	graph, err := c.goOutput("mod", "graph")
	if err != nil {
		return err
	}
	var bad []string
	for _, line := range strings.Split(graph, "\n") {
		for _, f := range forbidden {
			if strings.Contains(line, f) {
				bad = append(bad, line)
				break
			}
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("a consumer of %s alone has forbidden modules in its graph (%s):\n  %s",
			pkg, strings.Join(forbidden, ", "), strings.Join(bad, "\n  "))
	}
	return nil
}
