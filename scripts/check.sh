#!/usr/bin/env bash
# Runs every check of every Go module in the repository: go mod tidy -diff,
# go vet, staticcheck and the tests under the race detector.
#
#   scripts/check.sh [--tests-only] [--no-race] [GO TEST FLAG...]
#
# --tests-only skips the tidy check, go vet and staticcheck (for a second
# engine's run);
# --no-race runs the tests without the race detector. Other arguments go to
# go test (after the default -timeout 10m, so a -timeout given here wins).
# The tests that need a DynamoDB engine read DYNAMODB_ENDPOINT and
# DYNAMODB_ENGINE: run this through scripts/ddblocal.sh or scripts/dynalite.sh
# (make test), or with DYNAMODB_ENGINE=aws (make test-aws).
set -euo pipefail
cd "$(dirname "$0")/.."
staticcheck_version=v0.8.2
lint=true
race=(-race)
while [ $# -gt 0 ]; do
  case $1 in
    --tests-only) lint=false; shift ;;
    --no-race) race=(); shift ;;
    *) break ;;
  esac
done
# Without an engine the tests skip, as a plain `go test` should; this script
# is what runs them for real, so there a missing engine is an error.
if [ -z "${DYNAMODB_ENDPOINT:-}" ] && [ -z "${DYNAMODB_ENGINE:-}" ]; then
  echo "check.sh: no engine: DYNAMODB_ENDPOINT and DYNAMODB_ENGINE are not set; run it through scripts/ddblocal.sh or scripts/dynalite.sh (make test)" >&2
  exit 1
fi
echo "== engine: ${DYNAMODB_ENGINE} ${DYNAMODB_ENDPOINT:-}"
# The Examples and the demo make their tables with CreateTable, which turns
# Time To Live on: they run on DynamoDB Local only. dynalite has no
# UpdateTimeToLive, and on AWS they would make tables outside the test
# prefix. The suite's own CreateTable tests detect the feature instead.
skip=()
local_only=
case ${DYNAMODB_ENGINE:-ddblocal} in
  ddblocal) ;;
  *)
    skip=(-skip '^Example')
    local_only=./cmd/demo
    echo "== skipped on ${DYNAMODB_ENGINE}: the Examples and the $local_only module, which need UpdateTimeToLive and tables of their own names (run on DynamoDB Local)"
    ;;
esac
status=0
for mod in $(find . -name go.mod -not -path '*/node_modules/*' -not -path '*/testdata/*' -exec dirname {} \; | sort); do
  if [ "$mod" = "$local_only" ] && ! $lint; then
    echo "== $mod: skipped on ${DYNAMODB_ENGINE} (see above)"
    continue
  fi
  echo "== $mod"
  start=$SECONDS
  (
    cd "$mod"
    # set -e does not apply inside a subshell tested by ||: exit explicitly.
    if $lint; then
      # go.mod and go.sum as go mod tidy would write them (-diff: Go 1.23+,
      # whatever the module's go line).
      go mod tidy -diff || { echo "$mod: go.mod or go.sum is not tidy: run go mod tidy there" >&2; exit 1; }
      go vet ./... || exit 1
      go run "honnef.co/go/tools/cmd/staticcheck@$staticcheck_version" ./... || exit 1
    fi
    # -parallel 8: most suite tests wait on a table being created or on an
    # SDK's back-off, not on the CPU, so more than GOMAXPROCS of them may run.
    go test "${race[@]}" -timeout 10m -parallel 8 ${skip[@]+"${skip[@]}"} "$@" ./...
  ) || status=1
  echo "== $mod: $((SECONDS - start))s"
done
exit $status
