# Shared by the scripts that run a command beside a DynamoDB engine
# (ddblocal.sh, dynalite.sh) or a browser (chromium.sh). Source it after
# setting `name` (the prefix of every log line); it defines functions only.
#
# An engine script installs its server, defines launch_server PORT (which
# must exec the server in the foreground, listening on 127.0.0.1:PORT), then
# calls start_engine and run_command. start_engine stops the server when the
# script exits, however it exits.

cache=${DDBLOCAL_CACHE:-$HOME/.cache/dynamostore}

log() { echo "$name: $*" >&2; }
die() { log "$*"; exit 1; }

# apt_install PACKAGE...: installs Debian packages when we are root and
# apt-get exists; returns non-zero otherwise or when apt-get fails.
apt_install() {
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 || return 1
  log "installing $* with apt-get"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# need_npm: makes sure npm is on PATH, from Debian's npm package if need be.
need_npm() {
  command -v npm >/dev/null 2>&1 && return 0
  apt_install npm || true
  command -v npm >/dev/null 2>&1 || die "npm not found and cannot be installed: install Node.js and npm and retry"
}

# install_atomically DIR MARKER STEP...: when DIR/MARKER (a glob) is missing,
# runs STEP... in a new folder beside DIR and renames that folder to DIR.
# The rename makes the install all or nothing, so that two runs sharing the
# cache never see a half-installed server. Fails when STEP fails.
install_atomically() {
  local dir=$1 marker=$2
  shift 2
  compgen -G "$dir/$marker" >/dev/null && return 0
  mkdir -p "$cache" || die "cannot create the cache folder $cache"
  local tmp
  tmp=$(mktemp -d "$cache/.install.XXXXXX") || die "cannot write into the cache folder $cache"
  chmod 755 "$tmp"
  if ! (cd "$tmp" && "$@"); then
    rm -rf "$tmp"
    die "installing into $dir failed"
  fi
  # Another run may have finished the same install meanwhile: keep its copy.
  compgen -G "$dir/$marker" >/dev/null && { rm -rf "$tmp"; return 0; }
  rm -rf "$dir"
  mv -T "$tmp" "$dir" 2>/dev/null || rm -rf "$tmp"
  compgen -G "$dir/$marker" >/dev/null || die "install into $dir left no $marker"
}

# port_free PORT: true when nothing listens on 127.0.0.1:PORT.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# answers PORT: true when an HTTP server on 127.0.0.1:PORT answers a
# DynamoDB ListTables request with any status line at all (an engine that
# rejects the dummy signature has still started).
answers() {
  (
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf '%s\r\n' 'POST / HTTP/1.1' 'Host: 127.0.0.1' 'Connection: close' \
      'Content-Type: application/x-amz-json-1.0' 'X-Amz-Target: DynamoDB_20120810.ListTables' \
      'Authorization: AWS4-HMAC-SHA256 Credential=dummy/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00' \
      'X-Amz-Date: 20200101T000000Z' 'Content-Length: 2' '' >&3
    printf '{}' >&3
    IFS= read -r -t 5 line <&3 && [[ $line == HTTP/1.[01]\ [1-5][0-9][0-9]* ]]
  ) 2>/dev/null
}

engine_pid=
engine_dir=

# engine_alive: true while the server runs. A server that died stays a
# zombie until waited for, and kill -0 succeeds on zombies: read its state.
engine_alive() {
  [ -n "$engine_pid" ] || return 1
  if [ -r "/proc/$engine_pid/stat" ]; then
    local state
    state=$(sed 's/.*) //' "/proc/$engine_pid/stat" 2>/dev/null | cut -d' ' -f1) || return 1
    [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
  else
    kill -0 "$engine_pid" 2>/dev/null
  fi
}

# stop_engine: stops the server, if one runs, and removes its folder.
stop_engine() {
  if [ -n "$engine_pid" ] && kill -0 "$engine_pid" 2>/dev/null; then
    kill "$engine_pid" 2>/dev/null || true
    wait "$engine_pid" 2>/dev/null || true
  fi
  engine_pid=
  if [ -n "$engine_dir" ]; then rm -rf "$engine_dir"; fi
  engine_dir=
}

# random_port: a port below the kernel's ephemeral range (where outgoing
# connections take their local ports, which a listener cannot then bind),
# from 10000 up.
random_port() {
  local low=32768
  if [ -r /proc/sys/net/ipv4/ip_local_port_range ]; then read -r low _ </proc/sys/net/ipv4/ip_local_port_range; fi
  [ "$low" -gt 11000 ] || low=60000
  echo $((10000 + RANDOM % (low - 10000)))
}

# start_engine LABEL [PORT]: starts launch_server on PORT, or on a free port
# (random_port, up to five tries), and waits up to
# ENGINE_START_TIMEOUT seconds (default 60) until it answers. launch_server
# runs in a fresh folder, $engine_dir, that start_engine removes at exit.
# On success it sets engine_port, and engine_start_ms to the milliseconds
# from launch to the first answer; otherwise it prints the server's log and
# exits 1.
start_engine() {
  local label=$1 want=${2:-} attempt p deadline
  engine_dir=$(mktemp -d) || die "cannot create a working folder"
  trap stop_engine EXIT
  trap 'exit 130' INT TERM
  engine_port=
  for attempt in 1 2 3 4 5; do
    p=${want:-$(random_port)}
    if ! port_free "$p"; then
      [ -n "$want" ] && die "port $p is in use"
      continue
    fi
    local t0=${EPOCHREALTIME/./}
    (cd "$engine_dir" && launch_server "$p") >"$engine_dir/server.log" 2>&1 &
    engine_pid=$!
    deadline=$((SECONDS + ${ENGINE_START_TIMEOUT:-60}))
    while [ "$SECONDS" -lt "$deadline" ] && engine_alive; do
      if answers "$p"; then
        engine_port=$p
        engine_start_ms=$(((${EPOCHREALTIME/./} - t0) / 1000))
        break
      fi
      sleep 0.1
    done
    [ -n "$engine_port" ] && break
    log "$label did not start on port $p (attempt $attempt):"
    cat "$engine_dir/server.log" >&2
    if kill -0 "$engine_pid" 2>/dev/null; then kill "$engine_pid" 2>/dev/null || true; fi
    wait "$engine_pid" 2>/dev/null || true
    engine_pid=
    [ -n "$want" ] && break
  done
  [ -n "$engine_port" ] || die "could not start $label"
}

# run_command COMMAND [ARG...]: runs the command and exits with its status;
# the EXIT trap then stops the server. A Ctrl-C or SIGTERM to the process
# group reaches the command too: the script waits for it and passes its
# status on, so that a command that stops cleanly on the signal (the demo)
# ends the run with 0. A server that died while the command ran fails the
# run (exit 1 if the command passed), with its log's last lines: the
# command's failures would otherwise blame the code under test.
run_command() {
  local status
  trap : INT TERM
  set +e
  "$@"
  status=$?
  set -e
  if [ -n "$engine_pid" ] && ! engine_alive; then
    log "the server exited while the command ran; the end of its log:"
    tail -n 40 "$engine_dir/server.log" >&2
    [ "$status" -ne 0 ] || status=1
  fi
  exit "$status"
}
