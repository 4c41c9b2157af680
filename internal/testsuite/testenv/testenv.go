// Package testenv describes the DynamoDB engine that tests run against:
// DynamoDB Local, dynalite or a real AWS account. It finds the endpoint,
// region and credentials, names the tables the tests create, waits for
// tables to change state, and records once per run which optional features
// the engine has. It does not depend on an AWS SDK, so both store packages'
// test harnesses use it; they supply the SDK calls.
//
// The scripts set the environment: scripts/ddblocal.sh and
// scripts/dynalite.sh start an engine and set DYNAMODB_ENDPOINT and
// DYNAMODB_ENGINE; scripts/aws.sh (make test-aws) sets DYNAMODB_ENGINE=aws
// and leaves the endpoint to the SDK.
package testenv

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// The environment variables that testenv reads.
const (
	// EndpointVar holds the engine's URL, such as http://127.0.0.1:8000.
	EndpointVar = "DYNAMODB_ENDPOINT"
	// EngineVar names the engine: EngineDDBLocal, EngineDynalite or EngineAWS.
	EngineVar = "DYNAMODB_ENGINE"
	// PrefixVar holds the prefix of every table name that TableName returns.
	PrefixVar = "DYNAMODB_TEST_PREFIX"
)

// The engines that EngineVar may name.
const (
	// EngineDDBLocal is Amazon's DynamoDB Local (scripts/ddblocal.sh).
	EngineDDBLocal = "ddblocal"
	// EngineDynalite is dynalite, an independent implementation on Node.js
	// (scripts/dynalite.sh).
	EngineDynalite = "dynalite"
	// EngineAWS is a real AWS account (scripts/aws.sh, make test-aws).
	EngineAWS = "aws"
)

// LocalRegion is the region that tests use on a local engine, and
// LocalAccessKey and LocalSecretKey are the static credentials they sign
// with there. Local engines accept any.
const (
	LocalRegion    = "us-east-1"
	LocalAccessKey = "dummy"
	LocalSecretKey = "dummy"
)

// Engine returns the engine named by DYNAMODB_ENGINE, in lower case. When
// that variable is empty it returns EngineDDBLocal if DYNAMODB_ENDPOINT is
// set, and "" (no engine) otherwise.
func Engine() string {
	e := strings.ToLower(strings.TrimSpace(os.Getenv(EngineVar)))
	if e == "" && os.Getenv(EndpointVar) != "" {
		return EngineDDBLocal
	}
	return e
}

// Local reports whether the tests run on an engine on this machine, which
// accepts static dummy credentials and needs no cleanup after the run; it
// is false for EngineAWS and when there is no engine.
func Local() bool {
	switch Engine() {
	case EngineDDBLocal, EngineDynalite:
		return true
	}
	return false
}

// Endpoint returns the URL the harness sends requests to. For EngineAWS
// without DYNAMODB_ENDPOINT it returns "", which means the AWS default
// endpoint of the region: build the client from the usual AWS environment
// then (see Region and StaticCredentials). Without any engine the test is
// skipped, except under CI (CI set to anything), where it fails: a missing
// server there is a broken build. An unknown DYNAMODB_ENGINE fails the test.
func Endpoint(t testing.TB) string {
	t.Helper()
	ep := os.Getenv(EndpointVar)
	switch e := Engine(); e {
	case EngineDDBLocal, EngineDynalite:
		if ep != "" {
			return ep
		}
		t.Fatalf("%s=%s but %s is not set: run the tests through scripts/%s.sh", EngineVar, e, EndpointVar, e)
	case EngineAWS:
		return ep
	case "":
		const msg = EndpointVar + " is not set: run the tests with `make test`, which starts DynamoDB Local and dynalite"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	default:
		t.Fatalf("%s=%q names no engine testenv knows: use %s, %s or %s", EngineVar, e, EngineDDBLocal, EngineDynalite, EngineAWS)
	}
	return ""
}

// RequireLocal skips the test, saying why, unless it runs on a local engine:
// for tests that need to reach the engine's port themselves (a proxy in
// front of it, for example).
func RequireLocal(t testing.TB, why string) {
	t.Helper()
	Endpoint(t)
	if !Local() {
		t.Skipf("needs a local engine (%s), not %s=%s", why, EngineVar, Engine())
	}
}

// Region returns the region to sign requests for: LocalRegion on a local
// engine; on EngineAWS, AWS_REGION, else AWS_DEFAULT_REGION, else "", which
// leaves the region to the SDK's shared configuration (AWS_PROFILE).
func Region() string {
	if Engine() != EngineAWS {
		return LocalRegion
	}
	if r := os.Getenv("AWS_REGION"); r != "" {
		return r
	}
	return os.Getenv("AWS_DEFAULT_REGION")
}

// StaticCredentials returns the access key and secret that the harness signs
// with, and ok true, on a local engine. On EngineAWS it returns ok false:
// the harness then takes credentials from the SDK's default chain.
func StaticCredentials() (accessKey, secretKey string, ok bool) {
	if Engine() == EngineAWS {
		return "", "", false
	}
	return LocalAccessKey, LocalSecretKey, true
}

// Describe returns a one-line description of the engine for test logs, such
// as "dynalite at http://127.0.0.1:4567" or "aws in eu-west-1".
func Describe() string {
	e := Engine()
	switch {
	case e == "":
		return "no engine"
	case e == EngineAWS && os.Getenv(EndpointVar) == "":
		r := Region()
		if r == "" {
			r = "the SDK's configured region"
		}
		return fmt.Sprintf("%s in %s", e, r)
	}
	return fmt.Sprintf("%s at %s", e, os.Getenv(EndpointVar))
}
