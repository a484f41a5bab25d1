#!/usr/bin/env bash
# Regenerates testdata/golden/*.yaml from examples/*.yaml with the current render code.
# Review the diff (`git diff testdata/golden`) before committing.
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${PRESET:-dev}
cmake --build "build/$preset" --target lambda_render_test >/dev/null
LAMBDA_UPDATE_GOLDEN=1 "build/$preset/src/render/lambda_render_test" --gtest_filter='Examples/Golden.*' >/dev/null
git status --short testdata/golden
