#!/usr/bin/env bash
# Publishes the committed tree (HEAD) into a file-system module proxy at the
# candidate version of every released module, then builds a fresh consumer
# module outside the repository from that proxy and runs it against DynamoDB
# Local; see RELEASING.md and internal/releasecheck. Needs DYNAMODB_ENDPOINT:
# run it through scripts/ddblocal.sh (make release-check does). Flags go to
# the checker: -version v0.2.0, -rev <commit>, -keep.
set -euo pipefail
cd "$(dirname "$0")/../internal/releasecheck"
exec go run . -repo ../.. "$@"
