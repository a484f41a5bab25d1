#!/usr/bin/env bash
# Fails when a tracked C++ file differs from what clang-format (.clang-format at the root) makes
# of it. Fix with: git ls-files '*.cc' '*.h' | xargs clang-format -i
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files '*.cc' '*.h' 2>/dev/null || find src test fuzz bench -name '*.cc' -o -name '*.h')
[ -n "$files" ] || exit 0
# shellcheck disable=SC2086
clang-format --dry-run --Werror $files
echo "clang-format: $(wc -w <<<"$files") files clean"
