#!/usr/bin/env bash
# Installs the npm packages the tests use as real peers (upstream Kubernetes schemas and their
# validator), from the committed lock file. Skips the install when node_modules matches the lock.
set -euo pipefail
cd "$(dirname "$0")/.."
for dir in test/schema; do
  stamp="$dir/node_modules/.lock-stamp"
  if [ -f "$stamp" ] && cmp -s "$dir/package-lock.json" "$stamp"; then continue; fi
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  cp "$dir/package-lock.json" "$stamp"
done
