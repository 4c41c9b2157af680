// Command releasecheck publishes a committed revision of the repository into a
// file-system module proxy, as tagging a release would, and checks that
// modules outside the repository resolve, build and run the store packages
// from that proxy alone.
//
//	go run . [-repo ../..] [-rev HEAD] [-version v0.1.0] [-keep]
//
// Step by step, failing loudly at the first that breaks:
//  1. git archive exports the revision (so uncommitted work is never
//     published) into a temporary directory outside the repository;
//  2. every go.mod in it is either in the released list or the unreleased one
//     (modules.go), and each released module requires the repository's other
//     modules at the candidate version, never a pseudo-version, and only
//     modules tagged before it;
//  3. each released module is written to the proxy as <module>/@v/list,
//     <version>.info, .mod and .zip (golang.org/x/mod/zip);
//  4. a fresh consumer module gets both store packages at the candidate
//     version with GOPROXY=file://<proxy>,<the machine's GOPROXY>, is vetted,
//     built, and run against DynamoDB Local (DYNAMODB_ENDPOINT);
//  5. that consumer's module graph has no test-only module (storetest, or a
//     module the release does not publish, such as internal/testsuite), and
//     the released modules it downloads hold at most maxUnbuiltLines Go lines
//     (test files aside) that its build never compiles (carry.go); both
//     figures are printed;
//  6. a consumer of awsv2 alone has no aws-sdk-go (v1) and no root module in
//     its module graph, a consumer of the root package alone has no
//     aws-sdk-go-v2, and neither has the demo's chromedp.
//
// The consumers use a module cache of their own, so a module published by an
// earlier run at the same version is never reused.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	var c config
	flag.StringVar(&c.repo, "repo", "../..", "the repository's top directory")
	flag.StringVar(&c.rev, "rev", "HEAD", "the committed revision to publish")
	flag.StringVar(&c.version, "version", "v0.1.0", "the candidate version of every released module")
	flag.BoolVar(&c.keep, "keep", false, "keep the temporary directory (proxy, export, consumers) and print its path")
	flag.Parse()
	c.endpoint = os.Getenv("DYNAMODB_ENDPOINT")
	if err := run(c); err != nil {
		fmt.Fprintf(os.Stderr, "release-check: FAIL: %v\n", err)
		os.Exit(1)
	}
	fmt.Println("release-check: PASS")
}
