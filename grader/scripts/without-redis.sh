#!/usr/bin/env bash
# Runs a command as on a machine without Redis: REDIS_URL unset and no redis-* command on PATH (a
# temporary folder linking every other command of PATH instead), and CI unset, so that a missing
# Redis is what a learner's laptop makes of it rather than a CI failure.
#
#   grader/scripts/without-redis.sh npx course grade 3 --target solutions
set -euo pipefail
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
IFS=: read -ra dirs <<<"$PATH"
for dir in "${dirs[@]}"; do
  for tool in "$dir"/*; do
    name=${tool##*/}
    if [[ -x $tool && ! -d $tool && $name != redis-* && ! -e $bin/$name ]]; then ln -s "$tool" "$bin/$name"; fi
  done
done
env -u REDIS_URL -u CI PATH="$bin" "$@"
