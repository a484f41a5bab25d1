#!/usr/bin/env bash
# The main job: builds lambdactl, validates the example agents and shows what the operator would
# create for the ADR's agent-bruno. (The operator's embedded dev cluster replaces this when the
# operator lands.)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset dev >/dev/null
cmake --build --preset dev --target lambdactl
lambdactl=build/dev/src/cli/lambdactl
echo "== lambdactl validate -f examples/*.yaml"
"$lambdactl" validate $(printf -- '-f %s ' examples/*.yaml)
echo
echo "== lambdactl render -f examples/agent-bruno.yaml"
"$lambdactl" render -f examples/agent-bruno.yaml
