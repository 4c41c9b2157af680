# The commands CONTRIBUTING.md describes; the README names `make demo` and
# `make ddblocal`.
.PHONY: test test-ddblocal test-dynalite test-aws demo ddblocal readme-check bench bench-awsv2 fuzz

# Every check, on both engines: go vet, staticcheck and every module's tests
# under -race on DynamoDB Local, with a headless Chromium for the demo's
# browser test, then the tests again on dynalite, whose tables take a second
# to create and delete as on AWS (scripts/check.sh says what runs on
# DynamoDB Local only). Installs what is missing
# (DynamoDB Local, dynalite, Chromium) and fails when any of them cannot be
# installed or started. It ends with release-check, api-check and
# readme-check.
test:
	$(MAKE) test-ddblocal
	$(MAKE) test-dynalite
	$(MAKE) release-check
	$(MAKE) api-check
	$(MAKE) readme-check

# Builds the README's usage code, for both packages, as a module of its own
# outside the repository, and runs it on DynamoDB Local with the README's
# environment (scripts/readme-check.sh). 10 to 30 s once the build cache is
# warm.
readme-check:
	./scripts/readme-check.sh

# DynamoDB Local on port DDBLOCAL_PORT (default 8000; on every interface, as
# DynamoDB Local cannot be told otherwise), in memory, in the foreground until
# Ctrl-C. It prints the variables that point the tests, or an app, at it.
DDBLOCAL_PORT ?= 8000
ddblocal:
	./scripts/ddblocal.sh --port $(DDBLOCAL_PORT)

# go vet, staticcheck and every module's tests under -race on DynamoDB Local.
test-ddblocal:
	./scripts/chromium.sh -- ./scripts/ddblocal.sh -- ./scripts/check.sh

# Every module's tests on dynalite (no vet or staticcheck: the code is the
# same). DYNALITE_CHECK_FLAGS goes to scripts/check.sh, e.g. --no-race.
DYNALITE_CHECK_FLAGS ?=
test-dynalite:
	./scripts/dynalite.sh -- ./scripts/check.sh --tests-only $(DYNALITE_CHECK_FLAGS)

# Every module's tests against a real AWS account, through the same harness
# as the dynalite run: region and credentials from the usual AWS environment
# (AWS_REGION, AWS_PROFILE, ...), tables named DYNAMODB_TEST_PREFIX... (default
# dynamostore_test_), on-demand, deleted at the end of each test.
test-aws:
	./scripts/aws.sh -- ./scripts/check.sh --tests-only -timeout 30m

# Runs the demo app on http://localhost:4000 (or $DEMO_ADDR) on DynamoDB
# Local, with the server's data kept in .demo-data so that sessions outlive a
# restart. The demo is built first and run as a binary, not with `go run`,
# which exits 1 when interrupted: Ctrl-C stops the demo cleanly and make
# reports no error.
demo:
	go -C cmd/demo build -o demo .
	./scripts/ddblocal.sh --db-path .demo-data -- cmd/demo/demo

# Runs the benchmarks that BENCHMARKS.md reports, on DynamoDB Local, keeping
# the raw output in bench-results/: the store beside the bare SDK calls on an
# in-process fake DynamoDB and without I/O (10 interleaved runs), round trips
# to DynamoDB Local from 1 and 16 goroutines (4 runs, store and bare
# measured first in turn), and internal/testsuite/cmd/bench's All
# over BENCH_SESSIONS sessions of 1 KB; it ends with the medians and the
# store/bare ratios. About 8 minutes on 2 cores;
# `make bench BENCH_SESSIONS=10000,100000` adds the 100,000-session table.
BENCH_SESSIONS ?= 10000
bench:
	mkdir -p bench-results
	./scripts/ddblocal.sh -- bash -euo pipefail -c '\
	  cd internal/testsuite; \
	  for i in 1 2 3 4 5 6 7 8 9 10; do \
	    go test -run "^$$" -bench "^Benchmark(BareGetItem|Find|BarePutItem|Commit|BareDeleteItem|Delete|OwnWork)$$" \
	      -benchmem -benchtime 500ms -count=1 ./dynamostore; \
	  done | tee ../../bench-results/overhead.txt; \
	  for barefirst in false true false true; do \
	    go test -run "^$$" -bench "^BenchmarkLocal$$" -count=1 -timeout 30m ./dynamostore -args -local.barefirst=$$barefirst; \
	  done | tee ../../bench-results/local.txt; \
	  go run ./cmd/bench -sessions "$(BENCH_SESSIONS)" | tee ../../bench-results/all.txt; \
	  go run ./cmd/bench -sessions "" -ratios ../../bench-results/overhead.txt,../../bench-results/local.txt | tee ../../bench-results/ratios.txt'

# The same store/bare benchmarks for the awsv2 package (aws-sdk-go-v2): 10
# interleaved runs on the in-process fake DynamoDB, four BenchmarkLocal runs on
# DynamoDB Local (store and bare measured first in turn), then the medians and
# ratios. About 3 minutes on 2 cores.
bench-awsv2:
	mkdir -p bench-results
	./scripts/ddblocal.sh -- bash -euo pipefail -c '\
	  cd internal/testsuite; \
	  for i in 1 2 3 4 5 6 7 8 9 10; do \
	    go test -run "^$$" -bench "^Benchmark(BareGetItem|Find|BarePutItem|Commit|BareDeleteItem|Delete)$$" \
	      -benchmem -benchtime 500ms -count=1 ./awsv2; \
	  done | tee ../../bench-results/awsv2-overhead.txt; \
	  for barefirst in false true false true; do \
	    go test -run "^$$" -bench "^BenchmarkLocal$$" -count=1 -timeout 30m ./awsv2 -args -local.barefirst=$$barefirst; \
	  done | tee ../../bench-results/awsv2-local.txt; \
	  go run ./cmd/bench -sessions "" -ratios ../../bench-results/awsv2-overhead.txt,../../bench-results/awsv2-local.txt | tee ../../bench-results/awsv2-ratios.txt'

# Runs each fuzz target for FUZZTIME (default 30s): the core's pure ones,
# then the store's Commit/Find/Delete round trip on DynamoDB Local, through
# each SDK's package. An input that fails lands in testdata/fuzz/; commit it
# as a seed once fixed.
FUZZTIME ?= 30s
fuzz:
	for f in FuzzKey FuzzTokenFromKey FuzzExpiry FuzzDecodeExpiry FuzzItemSize; do \
	  go -C internal/core test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) . || exit 1; \
	done
	./scripts/ddblocal.sh -- bash -c "go -C internal/testsuite test -run '^$$' -fuzz '^FuzzCommitFindDelete$$' -fuzztime $(FUZZTIME) ./dynamostore && \
	  go -C internal/testsuite test -run '^$$' -fuzz '^FuzzCommitFindDelete$$' -fuzztime $(FUZZTIME) ./awsv2"

# Finds over a local TLS front with an injected round trip, both SDKs, their
# default HTTP clients beside NewHTTPClient, at concurrency 1 to 256: the
# table in BENCHMARKS.md section 6. About 7 minutes.
.PHONY: netbench
netbench:
	./scripts/ddblocal.sh -- go -C cmd/netbench run . -rtt 1ms,5ms -conc 1,16,64,256 -rounds 5

# Requests, capacity units and logouts undone per 1,000 requests of a
# modelled SCS app (two app servers, idle timeout), both SDKs, with and
# without WithDeleteWins and WithTouchInterval: the tables in BENCHMARKS.md
# section 8. About 4 minutes.
.PHONY: costbench
costbench:
	./scripts/ddblocal.sh -- go -C cmd/costbench run .

# Publishes the committed tree (HEAD) into a file-system module proxy at
# RELEASE_VERSION and builds and runs a fresh consumer module outside the
# repository from it on DynamoDB Local (RELEASING.md). About 20 s once the
# build cache is warm, 90 s cold.
.PHONY: release-check
RELEASE_VERSION ?= v0.1.0
release-check:
	./scripts/ddblocal.sh -- ./scripts/release-check.sh -version $(RELEASE_VERSION)

# Compares each library module's exported API with its last release tag, or
# with the snapshot in api/ before the first tag (scripts/api-check.sh); and
# rewrites those snapshots from the working tree after an intended change.
.PHONY: api-check api-snapshot
api-check:
	./scripts/api-check.sh
api-snapshot:
	./scripts/api-check.sh --write
