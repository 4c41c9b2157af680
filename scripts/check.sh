#!/usr/bin/env bash
# Runs every check of every Go module in the repository: go vet, staticcheck
# and the tests under the race detector. The tests that need DynamoDB Local
# read DYNAMODB_ENDPOINT: run this through scripts/ddblocal.sh (make test).
set -euo pipefail
cd "$(dirname "$0")/.."
staticcheck_version=v0.8.2
status=0
for mod in $(find . -name go.mod -not -path '*/node_modules/*' -not -path '*/testdata/*' -exec dirname {} \; | sort); do
  echo "== $mod"
  (
    cd "$mod"
    go vet ./...
    go run "honnef.co/go/tools/cmd/staticcheck@$staticcheck_version" ./...
    go test -race -timeout 30m "$@" ./...
  ) || status=1
done
exit $status
