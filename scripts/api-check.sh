#!/usr/bin/env bash
# Checks that each library module's exported API still offers everything that
# its last release offered, with golang.org/x/exp/cmd/apidiff: every package
# of the module (not main, not internal below the module's own path) in the
# working tree is compared with the same package at the module's latest
# release tag (v* for the root, awsv2/v*, storetest/v* and internal/core/v*
# for the others), or, while a module has no tag,
# with the snapshot checked in under api/<module>/ (also when that snapshot
# was committed after the tag: a deliberate new baseline, RELEASING.md;
# never for internal/core, whose API only grows).
# Fails on any incompatible change or removed package; prints the compatible
# ones.
#
#   scripts/api-check.sh           check (CI, make api-check)
#   scripts/api-check.sh --write   rewrite the snapshots in api/ from the
#                                  working tree (make api-snapshot) after an
#                                  intended API change
#
# apidiff's module mode (-m) is not used: in a repository of nested modules it
# loads the packages of the required sibling modules too and records the
# wrong module path, so each package is written and compared on its own.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

apidiff_version=v0.0.0-20261113113407-e3970619a1a4
# The released library modules. internal/core's packages can be imported only
# from this repository, but both store modules require the core at a
# version, and minimal version selection may pair a store with a newer core
# than it was tagged with: its exported API must stay compatible as well
# (RELEASING.md), so it is checked, internal path and all.
modules=(. storetest awsv2 internal/core)

write=false
case ${1:-} in
  --write) write=true ;;
  "") ;;
  *) echo "usage: $0 [--write]" >&2; exit 2 ;;
esac

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Build apidiff once; go run would relink it for every package.
GOBIN=$tmp go install "golang.org/x/exp/cmd/apidiff@$apidiff_version"
apidiff=$tmp/apidiff
# Source positions in the export data then name module paths, not this
# machine's directories, so a snapshot is the same wherever it is written.
export GOFLAGS="${GOFLAGS:-} -trimpath"

# name DIR: the name of module DIR's folder under api/.
name() { if [ "$1" = . ]; then echo root; else echo "${1//\//-}"; fi; }

# snapshot TREE DIR OUT: writes the export data of each public package of the
# module in TREE/DIR into OUT/<package path inside the module>.export, where
# the module's top package is named after the module's last path element.
snapshot() {
  local tree=$1 dir=$2 out=$3 modpath pkg rel file
  modpath=$(go -C "$tree/$dir" list -m)
  mkdir -p "$out"
  for pkg in $(go -C "$tree/$dir" list -f '{{if ne .Name "main"}}{{.ImportPath}}{{end}}' ./...); do
    rel=${pkg#"$modpath"}
    # An internal package inside the module is no part of its API.
    case $rel in */internal | */internal/*) continue ;; esac
    file=$out/${modpath##*/}$rel.export
    mkdir -p "$(dirname "$file")"
    (cd "$tree/$dir" && "$apidiff" -w "$file" "$pkg")
  done
}

status=0
for dir in "${modules[@]}"; do
  n=$(name "$dir")
  if $write; then
    rm -rf "api/$n"
    snapshot "$top" "$dir" "$top/api/$n"
    echo "api-check: wrote api/$n/ from the working tree"
    continue
  fi

  if [ "$dir" = . ]; then prefix=; else prefix=$dir/; fi
  tag=$(git tag --list "${prefix}v*" --sort=-v:refname | head -n 1)
  # A snapshot committed after the tag is a deliberate new baseline (an
  # incompatible change planned for the next v0 minor version): it wins;
  # except for the core, whose API only grows (RELEASING.md: an older store
  # may be built on a newer core).
  snap_commit=$(git log -1 --format=%H -- "api/$n")
  if [ -n "$tag" ] && [ -n "$snap_commit" ] && [ "$dir" != internal/core ] &&
    [ "$(git rev-list -n 1 "$tag")" != "$snap_commit" ] &&
    git merge-base --is-ancestor "$tag" "$snap_commit"; then
    base=$top/api/$n
    against="snapshot api/$n/ (committed after $tag)"
  elif [ -n "$tag" ]; then
    base=$tmp/base-$n
    mkdir -p "$base/tree"
    git archive "$tag" | tar -x -C "$base/tree"
    snapshot "$base/tree" "$dir" "$base/api"
    base=$base/api
    against="release $tag"
  else
    base=$top/api/$n
    against="snapshot api/$n/ (no ${prefix}v* tag yet)"
    [ -d "$base" ] || { echo "api-check: $dir: no tag and no $base: run make api-snapshot" >&2; status=1; continue; }
  fi
  snapshot "$top" "$dir" "$tmp/new-$n"

  echo "== $dir against $against"
  while IFS= read -r old; do
    rel=${old#"$base/"}
    new=$tmp/new-$n/$rel
    if [ ! -f "$new" ]; then
      echo "INCOMPATIBLE: package ${rel%.export} removed"
      status=1
      continue
    fi
    # -allow-internal: the core's packages are internal, and checked.
    report=$("$apidiff" -allow-internal "$old" "$new")
    [ -z "$report" ] || echo "$report"
    if grep -q '^Incompatible changes:' <<<"$report"; then status=1; fi
  done < <(find "$base" -name '*.export' | sort)
  while IFS= read -r new; do
    rel=${new#"$tmp/new-$n/"}
    [ -f "$base/$rel" ] || echo "Compatible: package ${rel%.export} added"
  done < <(find "$tmp/new-$n" -name '*.export' | sort)
done

if [ $status -ne 0 ]; then
  echo "api-check: FAIL: an exported API broke. Restore it; or, for a deliberate change in a v0 module, run make api-snapshot and commit api/ with it (RELEASING.md)." >&2
else
  $write || echo "api-check: PASS"
fi
exit $status
