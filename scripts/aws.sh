#!/usr/bin/env bash
# Runs a command that tests against a real AWS account: the same tests and
# the same test harness as a dynalite run, with the AWS default endpoint.
#
#   scripts/aws.sh -- COMMAND [ARG...]
#
# The command sees DYNAMODB_ENGINE=aws, no DYNAMODB_ENDPOINT (unless
# DYNAMODB_AWS_ENDPOINT names one, such as a VPC endpoint), and
# DYNAMODB_TEST_PREFIX (default dynamostore_test_) that starts the name of
# every table the tests create. Region and credentials come from the usual
# AWS environment (AWS_REGION or AWS_DEFAULT_REGION, AWS_PROFILE, access keys,
# SSO, ...). The tests create on-demand tables and delete them; a run cut off
# can leave tables behind, listed at the end when the aws CLI is installed.
set -euo pipefail
name=aws
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[ "${1:-}" = -- ] && shift
[ $# -gt 0 ] || { echo "usage: $0 -- COMMAND [ARG...]" >&2; exit 2; }

if [ -z "${AWS_REGION:-}${AWS_DEFAULT_REGION:-}${AWS_PROFILE:-}" ] && [ ! -f "${AWS_CONFIG_FILE:-$HOME/.aws/config}" ]; then
  die "no AWS region: set AWS_REGION (and credentials, e.g. AWS_PROFILE) and retry"
fi
unset DYNAMODB_ENDPOINT
if [ -n "${DYNAMODB_AWS_ENDPOINT:-}" ]; then export DYNAMODB_ENDPOINT=$DYNAMODB_AWS_ENDPOINT; fi
export DYNAMODB_ENGINE=aws DYNAMODB_TEST_PREFIX=${DYNAMODB_TEST_PREFIX:-dynamostore_test_}
log "testing against AWS (region ${AWS_REGION:-${AWS_DEFAULT_REGION:-from the AWS config}}), table prefix $DYNAMODB_TEST_PREFIX"

leftovers() {
  command -v aws >/dev/null 2>&1 || return 0
  local left
  left=$(aws dynamodb list-tables --output text \
    --query "TableNames[?starts_with(@, '$DYNAMODB_TEST_PREFIX')]" 2>/dev/null) || return 0
  [ -z "$left" ] && return 0
  log "tables left behind with prefix $DYNAMODB_TEST_PREFIX (delete them with the command below):"
  echo "  for t in $left; do aws dynamodb delete-table --table-name \"\$t\"; done" >&2
}
set +e
"$@"
status=$?
set -e
leftovers
exit "$status"
