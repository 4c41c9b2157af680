#!/usr/bin/env bash
# Runs a command beside a dynalite server (an independent implementation of
# the DynamoDB API on Node.js) that this script installs and starts on a free
# loopback port, and stops when the command ends.
#
#   scripts/dynalite.sh [--port PORT] -- COMMAND [ARG...]
#
# The command sees DYNAMODB_ENDPOINT=http://127.0.0.1:PORT and
# DYNAMODB_ENGINE=dynalite. The server keeps its data in memory. Tables stay
# CREATING, DELETING and UPDATING for DYNALITE_TABLE_MS milliseconds (default
# 1000), as on AWS, so that the tests' waiting code runs on every run.
# dynalite comes from the npm package dynalite@4.0.0, installed with
# `npm install` into ${DDBLOCAL_CACHE:-$HOME/.cache/dynamostore}/dynalite-4.0.0.
# The script fails (exit 1) when the server cannot be installed or started.
set -euo pipefail
name=dynalite
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

version=${DYNALITE_VERSION:-4.0.0}
table_ms=${DYNALITE_TABLE_MS:-1000}
port=
while [ $# -gt 0 ]; do
  case $1 in
    --port) port=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "dynalite: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ $# -gt 0 ] || { echo "usage: $0 [--port PORT] -- COMMAND [ARG...]" >&2; exit 2; }

need_npm
command -v node >/dev/null 2>&1 || die "node not found: install Node.js and retry"

fetch() {
  npm install --silent --no-audit --no-fund --no-package-lock --prefix . "dynalite@$version" >/dev/null
}
dir=$cache/dynalite-$version
install_atomically "$dir" node_modules/dynalite/cli.js fetch

# dynalite-server.js starts dynalite as its cli.js would, but survives
# clients that hang up mid-request, as the timeout and fault tests do.
server_js=$(cd "$(dirname "$0")" && pwd)/dynalite-server.js
launch_server() {
  exec node "$server_js" "$dir" "$1" "$table_ms"
}
start_engine dynalite "$port"

export DYNAMODB_ENDPOINT=http://127.0.0.1:$engine_port DYNAMODB_ENGINE=dynalite
log "dynalite $version is listening at $DYNAMODB_ENDPOINT (started in ${engine_start_ms}ms; table changes take ${table_ms}ms)"
run_command "$@"
