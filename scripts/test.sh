#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: installs what it needs (idempotent), builds,
# and runs every test through CTest.
#
#   scripts/test.sh                 # the suite twice: preset dev, then asan (ASan + UBSan)
#   scripts/test.sh --preset dev    # one preset only (dev or asan): faster while developing
#   scripts/test.sh --long          # also the long mode: each fuzz target runs for 60 s (clang)
set -euo pipefail
cd "$(dirname "$0")/.."

presets=(dev asan)
long=0
while (($#)); do
  case "$1" in
    --preset) presets=("$2"); shift 2 ;;
    --long) long=1; shift ;;
    *) echo "usage: scripts/test.sh [--preset dev|asan] [--long]" >&2; exit 2 ;;
  esac
done

scripts/install-deps.sh
scripts/install-node-tools.sh

for preset in "${presets[@]}"; do
  echo "== preset $preset"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset"
  ctest --preset "$preset"
done

if ((long)); then
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz
  ctest --test-dir build/fuzz --output-on-failure -L long
fi
