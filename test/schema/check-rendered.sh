#!/usr/bin/env bash
# Checks what lambdactl prints against the upstream schemas: the CRD, every example agent
# (against our own CRD) and every object rendered from them, as YAML and as JSON.
# Usage: check-rendered.sh LAMBDACTL
set -euo pipefail
lambdactl=$1
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

"$lambdactl" crd > "$out/crd.yaml"
files=("$out/crd.yaml")
for example in "$root"/examples/*.yaml; do
  name=$(basename "$example" .yaml)
  "$lambdactl" render -f "$example" > "$out/$name.rendered.yaml" 2>/dev/null
  "$lambdactl" render -f "$example" -o json > "$out/$name.rendered.json" 2>/dev/null
  files+=("$example" "$out/$name.rendered.yaml" "$out/$name.rendered.json")
done
node "$here/validate.mjs" "${files[@]}"
