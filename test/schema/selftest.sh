#!/usr/bin/env bash
# Self-test of the schema harness:
#   - all valid fixtures together must pass (exit 0, no FAIL line);
#   - each invalid fixture must fail (exit 1) with exactly one FAIL line that
#     contains the text of its "# expect:" comment;
#   - each broken fixture, and bad usage, must give exit 2;
#   - stdin input works;
#   - injecting an unknown field anywhere in the valid fixtures is reported
#     (strict-probe.mjs).
# Ends with the line "N passed, M failed"; exits non-zero if anything failed.
set -u
cd "$(dirname "$0")"

if [ ! -d node_modules ]; then
  npm ci --no-audit --no-fund --loglevel=error >&2 || { echo "npm ci failed"; echo "0 passed, 1 failed"; exit 1; }
fi

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
ko() { fail=$((fail + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/     | /'; }

# 1. valid fixtures
out=$(node validate.mjs fixtures/valid/* 2>&1); rc=$?
if [ "$rc" -eq 0 ] && ! grep -q '^FAIL' <<<"$out"; then
  ok "valid fixtures: $(grep -c '^ok' <<<"$out") objects"
else
  ko "valid fixtures (exit $rc)" "$out"
fi

out=$(node validate.mjs schemas/*.yaml 2>&1); rc=$?
if [ "$rc" -eq 0 ]; then ok "upstream CRD data in schemas/ are valid CRDs"; else ko "schemas/*.yaml are not valid CRDs (exit $rc)" "$out"; fi

# 2. invalid fixtures
for f in fixtures/invalid/*.yaml; do
  expect=$(sed -n 's/^# expect: //p' "$f" | head -n 1)
  if [ -z "$expect" ]; then ko "$f: no '# expect:' line"; continue; fi
  out=$(node validate.mjs "$f" 2>&1); rc=$?
  nfail=$(grep -c '^FAIL' <<<"$out")
  if [ "$rc" -eq 1 ] && [ "$nfail" -eq 1 ] && grep -qF -- "$expect" <<<"$out"; then
    ok "$f"
  else
    ko "$f (exit $rc, $nfail FAIL lines, expected: $expect)" "$out"
  fi
done

# 3. parse errors and usage
for f in fixtures/broken/*; do
  out=$(node validate.mjs "$f" 2>&1); rc=$?
  if [ "$rc" -eq 2 ]; then ok "$f: exit 2"; else ko "$f: exit $rc, expected 2" "$out"; fi
done
out=$(node validate.mjs 2>&1); rc=$?
if [ "$rc" -eq 2 ]; then ok "no arguments: exit 2"; else ko "no arguments: exit $rc" "$out"; fi
out=$(node validate.mjs fixtures/valid/core.yaml fixtures/broken/truncated.json 2>&1); rc=$?
if [ "$rc" -eq 2 ]; then ok "parse error among valid files: exit 2"; else ko "parse error among valid files: exit $rc" "$out"; fi

# 4. stdin, and a mix of valid and invalid files
out=$(node validate.mjs - <fixtures/valid/triggers.yaml 2>&1); rc=$?
if [ "$rc" -eq 0 ] && [ "$(grep -c '^ok' <<<"$out")" -eq 3 ]; then ok "stdin"; else ko "stdin (exit $rc)" "$out"; fi
out=$(node validate.mjs fixtures/valid/core.yaml fixtures/invalid/service-type-enum.yaml 2>&1); rc=$?
if [ "$rc" -eq 1 ] && [ "$(grep -c '^ok' <<<"$out")" -eq 2 ] && [ "$(grep -c '^FAIL' <<<"$out")" -eq 1 ]; then
  ok "mixed valid and invalid: exit 1"
else
  ko "mixed valid and invalid (exit $rc)" "$out"
fi

# 5. unknown-field detection everywhere
out=$(node strict-probe.mjs fixtures/valid/* 2>&1); rc=$?
if [ "$rc" -eq 0 ]; then ok "strict probe: $(head -n 1 <<<"$out")"; else ko "strict probe" "$out"; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
