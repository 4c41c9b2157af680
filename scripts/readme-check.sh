#!/usr/bin/env bash
# Checks that the README's code runs as written: for each package (awsv2 and
# the aws-sdk-go v1 package), it copies the README's main.go and that
# package's store.go into a new module outside the repository, adds the
# README's replace lines (pointing at this working tree), builds it, and runs
# it with the README's environment on a fresh DynamoDB Local (so that the
# program creates its table, as on a first run). Then it stores a value in a
# session over HTTP and reads it back with the cookie.
#
#   scripts/readme-check.sh
#
# The README marks the blocks it copies with <!-- readme-check: NAME -->.
# Two things differ from a user's run, and only these: the module requires the
# dependency versions this repository's go.mod files name (instead of
# `go mod tidy` picking the latest), so that the check is quick and repeatable;
# and the program listens on a free port and talks to DynamoDB Local on the
# engine's port, instead of the README's :8080 and 8000.
set -euo pipefail
name=readme-check
log() { echo "$name: $*" >&2; }
die() { log "$*"; exit 1; }

root=$(cd "$(dirname "$0")/.." && pwd)
readme=$root/README.md

# block NAME: prints the fenced block that follows <!-- readme-check: NAME -->.
block() {
  awk -v want="<!-- readme-check: $1 -->" '
    $0 == want { armed = 1; next }
    armed && /^```/ { if (inside) exit; inside = 1; next }
    inside { print }
  ' "$readme"
}

# modversion MODFILE MODULE: the version MODFILE requires of MODULE.
modversion() { go mod edit -json "$1" | awk -v m="\"$2\"" '$0 ~ "\"Path\": " m { getline; gsub(/[",]/, ""); print $2; exit }'; }

for b in main.go store-awsv2.go store-v1.go replace env; do
  [ -n "$(block "$b")" ] || die "README.md has no block marked <!-- readme-check: $b -->"
done

# free_port: a port nothing listens on, from the range below the ephemeral one.
free_port() {
  local p
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    p=$((20000 + RANDOM % 10000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  die "no free port found"
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# prepare PKG STOREBLOCK MODULE...: writes and builds the app for PKG in
# $work/PKG; MODULE... are the modules whose versions are pinned, read from
# the go.mod of the store package.
prepare() {
  local pkg=$1 storeblock=$2 modfile=$3
  shift 3
  local dir=$work/$pkg
  mkdir -p "$dir"
  block main.go >"$dir/main.go"
  block "$storeblock" >"$dir/store.go"
  (
    cd "$dir"
    go mod init example.com/readmeapp >/dev/null 2>&1
    # The README's replace lines, with the clone at this working tree.
    block replace | sed "s#\.\./dynamostore#$root#g" >>go.mod
    local m req=()
    for m in "$@"; do req+=("-require=$m@$(modversion "$modfile" "$m")"); done
    go mod edit "${req[@]}"
    go mod tidy
    go build -o app .
  ) || die "$pkg: the README's code does not build as a module of its own"
}

# run PKG: runs $work/PKG/app with the README's environment on a fresh
# DynamoDB Local and checks a session round trip over HTTP.
run() {
  local pkg=$1 port
  port=$(free_port)
  sed -i "s#\":8080\"#\"127.0.0.1:$port\"#" "$work/$pkg/main.go"
  (cd "$work/$pkg" && go build -o app .)
  # The README's environment, with DynamoDB Local's port. Every other AWS_
  # variable but AWS_CA_BUNDLE is dropped, and the shared config and
  # credentials files are hidden, so that no real profile or credentials can
  # be used.
  local env
  env=$(block env | grep '^export ') || die "README.md's env block exports nothing"
  "$root/scripts/ddblocal.sh" -- bash -c '
    set -euo pipefail
    local_endpoint=$DYNAMODB_ENDPOINT
    unset DYNAMODB_ENDPOINT DYNAMODB_ENGINE
    for v in $(compgen -e AWS_); do [ "$v" = AWS_CA_BUNDLE ] || unset "$v"; done
    export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
    eval "$(printf "%s\n" "$1" | sed "s#http://127.0.0.1:8000#$local_endpoint#g")"
    [ "${AWS_ENDPOINT_URL_DYNAMODB:-}" = "$local_endpoint" ] || { echo "the README does not point the code at DynamoDB Local" >&2; exit 1; }
    "$2/app" 2>"$2/app.log" &
    app=$!
    trap "kill $app 2>/dev/null || true" EXIT
    for _ in $(seq 1 300); do
      curl -sf -o /dev/null "http://127.0.0.1:$3/get" && break
      kill -0 $app 2>/dev/null || { cat "$2/app.log" >&2; exit 1; }
      sleep 0.1
    done
    curl -sf -c "$2/cookies" "http://127.0.0.1:$3/put" >/dev/null
    got=$(curl -sf -b "$2/cookies" "http://127.0.0.1:$3/get")
    [ "$got" = "Hello from a session!" ] || { echo "GET /get answered \"$got\"" >&2; cat "$2/app.log" >&2; exit 1; }
    if grep -v "response did not match expected checksum" "$2/app.log" | grep -q .; then
      echo "the app logged:" >&2; cat "$2/app.log" >&2; exit 1
    fi
  ' readme-env "$env" "$work/$pkg" "$port" || die "$pkg: the README's code did not serve a session on DynamoDB Local"
  log "$pkg: the README's program created its table and served a session on DynamoDB Local"
}

start=$SECONDS
prepare awsv2 store-awsv2.go "$root/awsv2/go.mod" \
  github.com/alexedwards/scs/v2 github.com/aws/aws-sdk-go-v2/config github.com/aws/aws-sdk-go-v2/service/dynamodb
prepare v1 store-v1.go "$root/go.mod" \
  github.com/alexedwards/scs/v2 github.com/aws/aws-sdk-go
run awsv2
run v1
log "passed in $((SECONDS - start)) s"
