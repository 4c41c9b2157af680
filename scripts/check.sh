#!/usr/bin/env bash
# Runs every check of every Go module in the repository: go vet, staticcheck
# and the tests under the race detector.
#
#   scripts/check.sh [--tests-only] [--no-race] [GO TEST FLAG...]
#
# --tests-only skips go vet and staticcheck (for a second engine's run);
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
echo "== engine: ${DYNAMODB_ENGINE:-none} ${DYNAMODB_ENDPOINT:-}"
status=0
for mod in $(find . -name go.mod -not -path '*/node_modules/*' -not -path '*/testdata/*' -exec dirname {} \; | sort); do
  echo "== $mod"
  start=$SECONDS
  (
    cd "$mod"
    # set -e does not apply inside a subshell tested by ||: exit explicitly.
    if $lint; then
      go vet ./... || exit 1
      go run "honnef.co/go/tools/cmd/staticcheck@$staticcheck_version" ./... || exit 1
    fi
    go test "${race[@]}" -timeout 10m "$@" ./...
  ) || status=1
  echo "== $mod: $((SECONDS - start))s"
done
exit $status
