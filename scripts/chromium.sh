#!/usr/bin/env bash
# Runs a command with a headless Chromium available for the browser tests.
#
#   scripts/chromium.sh -- COMMAND [ARG...]
#
# The browser is CHROMEDP_CHROME when that names an executable, else the
# first of chromium, chromium-browser, google-chrome-stable, google-chrome and
# headless-shell on PATH. When none exists and we are root with apt-get, it
# installs Debian's chromium package. The script checks that the browser
# starts headless and renders a page, exports CHROMEDP_CHROME with its path
# for the command, and fails (exit 1) when it cannot find, install or start
# one.
set -euo pipefail
name=chromium
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[ "${1:-}" = -- ] && shift
[ $# -gt 0 ] || { echo "usage: $0 -- COMMAND [ARG...]" >&2; exit 2; }

find_browser() {
  if [ -n "${CHROMEDP_CHROME:-}" ]; then
    command -v "$CHROMEDP_CHROME" 2>/dev/null
    return
  fi
  local b
  for b in chromium chromium-browser google-chrome-stable google-chrome headless-shell; do
    command -v "$b" 2>/dev/null && return
  done
  return 1
}

browser=$(find_browser) || {
  [ -z "${CHROMEDP_CHROME:-}" ] || die "CHROMEDP_CHROME=$CHROMEDP_CHROME is not an executable"
  apt_install chromium || true
  browser=$(find_browser) || die "no Chromium found and it cannot be installed: install Debian's chromium package (or set CHROMEDP_CHROME) and retry"
}

# Root cannot use Chromium's sandbox; the browser tests pass --no-sandbox too.
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
if ! out=$(timeout 60 "$browser" --headless --no-sandbox --disable-gpu --user-data-dir="$profile" \
  --dump-dom 'data:text/html,<p>chromium-ok</p>' 2>"$profile/stderr") || [[ $out != *chromium-ok* ]]; then
  cat "$profile/stderr" >&2
  die "$browser does not start headless"
fi
export CHROMEDP_CHROME=$browser
log "using $("$browser" --version 2>/dev/null || echo "$browser") at $CHROMEDP_CHROME"
run_command "$@"
