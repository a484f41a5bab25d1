#!/usr/bin/env bash
# lambda-apiserver as a user runs it: --port 0, --kubeconfig-out, --data-dir; kubectl writes an
# object, SIGTERM stops the server cleanly (exit 0), a restart on the same data directory still
# has the object. Usage: lambda-apiserver-cli.sh PATH_TO_LAMBDA_APISERVER
set -euo pipefail
bin=$1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lambda-apiserver-cli.XXXXXX")
pid=
cleanup() { [[ -n "$pid" ]] && kill -9 "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
export HOME=$tmp KUBECONFIG=$tmp/kubeconfig
kubectl() { command kubectl --cache-dir="$tmp/cache" --request-timeout=20s "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

start() {
  rm -f "$KUBECONFIG"
  "$bin" --port 0 --kubeconfig-out "$KUBECONFIG" --data-dir "$tmp/data" >"$tmp/out" 2>"$tmp/err" &
  pid=$!
  for _ in $(seq 100); do [[ -s "$KUBECONFIG" ]] && grep -q listening "$tmp/out" && return; sleep 0.1; done
  fail "the server did not start: $(cat "$tmp/err")"
}
stop() {
  kill -TERM "$pid"
  local code=0
  wait "$pid" || code=$?
  pid=
  [[ $code == 0 ]] || fail "exit code $code after SIGTERM: $(cat "$tmp/err")"
  grep -q "SIGTERM, shutting down" "$tmp/err" || fail "no shutdown message: $(cat "$tmp/err")"
}

start
[[ $(stat -c %a "$KUBECONFIG") == 600 ]] || fail "kubeconfig is not mode 0600"
grep -q "listening on https://127.0.0.1:" "$tmp/out" || fail "no URL printed: $(cat "$tmp/out")"
kubectl apply -f - <<<'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"kept"},"data":{"k":"v"}}' \
  | grep -q "configmap/kept created" || fail "apply"
stop

start
[[ $(kubectl get configmap kept -o 'jsonpath={.data.k}') == v ]] || fail "object lost across restart"
# A crash (SIGKILL, no shutdown at all) right after a burst of writes loses none of the writes
# that were answered.
for i in $(seq 1 25); do
  printf '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"burst-%s"}}' "$i"
done | kubectl apply -f - >/dev/null || fail "burst apply"
kill -9 "$pid"; wait "$pid" 2>/dev/null || true; pid=
start
[[ $(kubectl get configmaps -o name | grep -c burst-) == 25 ]] || fail "acknowledged writes lost in a crash"
stop
echo "PASS: start, kubeconfig 0600, apply, SIGTERM exit 0, restart keeps objects, SIGKILL loses no acknowledged write"
