# The README's two set-up commands: `make test` and `make demo`.
.PHONY: test demo bench bench-awsv2 fuzz

# Installs and starts DynamoDB Local, runs go vet, staticcheck and every test
# under -race, and stops the server. Fails when the server cannot start.
test:
	./scripts/ddblocal.sh -- ./scripts/check.sh

# Runs the demo app on http://localhost:4000 on DynamoDB Local, with the
# server's data kept in .demo-data so that sessions outlive a restart.
demo:
	./scripts/ddblocal.sh --db-path .demo-data -- go run ./cmd/demo

# Runs the benchmarks that BENCHMARKS.md reports, on DynamoDB Local, keeping
# the raw output in bench-results/: the store beside the bare SDK calls on an
# in-process fake DynamoDB and without I/O (10 interleaved runs), round trips
# to DynamoDB Local from 1 and 16 goroutines (4 runs, store and bare
# measured first in turn), and cmd/bench's All
# over BENCH_SESSIONS sessions of 1 KB; it ends with the medians and the
# store/bare ratios. About 8 minutes on 2 cores;
# `make bench BENCH_SESSIONS=10000,100000` adds the 100,000-session table.
BENCH_SESSIONS ?= 10000
bench:
	mkdir -p bench-results
	./scripts/ddblocal.sh -- bash -euo pipefail -c '\
	  for i in 1 2 3 4 5 6 7 8 9 10; do \
	    go test -run "^$$" -bench "^Benchmark(BareGetItem|Find|BarePutItem|Commit|BareDeleteItem|Delete|OwnWork)$$" \
	      -benchmem -benchtime 500ms -count=1 .; \
	  done | tee bench-results/overhead.txt; \
	  for barefirst in false true false true; do \
	    go test -run "^$$" -bench "^BenchmarkLocal$$" -count=1 -timeout 30m . -args -local.barefirst=$$barefirst; \
	  done | tee bench-results/local.txt; \
	  go run ./cmd/bench -sessions "$(BENCH_SESSIONS)" | tee bench-results/all.txt; \
	  go run ./cmd/bench -sessions "" -ratios bench-results/overhead.txt,bench-results/local.txt | tee bench-results/ratios.txt'

# The same store/bare benchmarks for the awsv2 package (aws-sdk-go-v2): 10
# interleaved runs on the in-process fake DynamoDB, four BenchmarkLocal runs on
# DynamoDB Local (store and bare measured first in turn), then the medians and
# ratios. About 3 minutes on 2 cores.
bench-awsv2:
	mkdir -p bench-results
	./scripts/ddblocal.sh -- bash -euo pipefail -c '\
	  cd awsv2; \
	  for i in 1 2 3 4 5 6 7 8 9 10; do \
	    go test -run "^$$" -bench "^Benchmark(BareGetItem|Find|BarePutItem|Commit|BareDeleteItem|Delete)$$" \
	      -benchmem -benchtime 500ms -count=1 .; \
	  done | tee ../bench-results/awsv2-overhead.txt; \
	  for barefirst in false true false true; do \
	    go test -run "^$$" -bench "^BenchmarkLocal$$" -count=1 -timeout 30m . -args -local.barefirst=$$barefirst; \
	  done | tee ../bench-results/awsv2-local.txt; \
	  cd ..; \
	  go run ./cmd/bench -sessions "" -ratios bench-results/awsv2-overhead.txt,bench-results/awsv2-local.txt | tee bench-results/awsv2-ratios.txt'

# Runs each fuzz target for FUZZTIME (default 30s): sessionitem's pure ones,
# then the store's Commit/Find/Delete round trip on DynamoDB Local. An input
# that fails lands in testdata/fuzz/; commit it as a seed once fixed.
FUZZTIME ?= 30s
fuzz:
	for f in FuzzKey FuzzTokenFromKey FuzzExpiry FuzzDecodeExpiry FuzzItemSize; do \
	  go test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) ./internal/sessionitem/ || exit 1; \
	done
	./scripts/ddblocal.sh -- go test -run '^$$' -fuzz '^FuzzCommitFindDelete$$' -fuzztime $(FUZZTIME) .
