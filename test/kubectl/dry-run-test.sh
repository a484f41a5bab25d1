#!/usr/bin/env bash
# Runs the real kubectl against test/kubectl/stub-apiserver.mjs, a loopback stand-in for an API
# server (until lambda-agent's embedded API server exists) that serves discovery and the
# upstream OpenAPI v3 document of apiextensions.k8s.io/v1, and checks that our CRD and the
# kustomize base config/ apply with --dry-run=client --validate=strict.
#
# Usage: dry-run-test.sh REPO_ROOT
# Environment: KUBECTL (default: kubectl), NODE (default: node).
#
# What kubectl 1.32 really does with --dry-run=client --validate=strict (see README.md here):
# it reads discovery, then downloads the OpenAPI v3 document of the object's group only to ask
# whether the server validates fields itself (the fieldValidation parameter of the PATCH
# operation). The upstream document says it does, so kubectl skips client-side schema
# validation (which would need OpenAPI v2) and leaves it to the server, which a client dry run
# never reaches. Checks 3 and 4 pin that behaviour: a CRD with an unknown field or a wrong
# type passes this command, so it proves the objects map to a served resource and parse, not
# that they match the schema: that needs another checker, or a validating API server reached
# with --dry-run=server.
#
# Prints "ok N - ..." / "not ok N - ..." per check, the stub's request log, and ends with
# "N passed, M failed"; exits 1 if any check failed.
set -uo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 REPO_ROOT" >&2
  exit 2
fi
root=$(cd "$1" && pwd) || exit 2
here=$(cd "$(dirname "$0")" && pwd)
kubectl=${KUBECTL:-kubectl}
node=${NODE:-node}
crd="$root/config/crd/bases/lambda.knative.io_lambdaagents.yaml"
crd_name=lambdaagents.lambda.knative.io
created_line="customresourcedefinition.apiextensions.k8s.io/$crd_name created (dry run)"

passed=0
failed=0
check_no=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kubectl-dry-run.XXXXXX")
stub_pid=
kube_pid=

cleanup() {
  if [[ -n $kube_pid ]]; then
    kill -TERM "$kube_pid" 2>/dev/null # timeout(1) passes it on to kubectl
    wait "$kube_pid" 2>/dev/null
  fi
  if [[ -n $stub_pid ]] && kill -0 "$stub_pid" 2>/dev/null; then
    kill -TERM "$stub_pid" 2>/dev/null
    wait "$stub_pid" 2>/dev/null
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ok() { passed=$((passed + 1)); echo "ok $check_no - $1"; }
not_ok() {
  failed=$((failed + 1))
  echo "not ok $check_no - $1"
  shift
  local line
  for line in "$@"; do printf '%s\n' "$line" | sed 's/^/#   /'; done
}
finish() {
  if [[ -s $tmp/stub.log ]]; then
    echo "# stub-apiserver request log:"
    sed 's/^/#   /' "$tmp/stub.log"
  fi
  echo "$passed passed, $failed failed"
  [[ $failed -eq 0 ]]
  exit
}

for tool in "$kubectl" "$node"; do
  if ! command -v "$tool" >/dev/null; then
    check_no=1
    not_ok "$tool is installed" "not on PATH"
    finish
  fi
done
if [[ ! -f $crd ]]; then
  check_no=1
  not_ok "the CRD exists" "$crd is missing (build, then run: lambdactl crd > $crd)"
  finish
fi

# The stub's stdin is a pipe this script holds: when the script ends, however it ends, the pipe
# closes and the stub exits. Its stderr is the request log.
coproc STUB { exec "$node" "$here/stub-apiserver.mjs" 2>"$tmp/stub.log"; }
stub_pid=$STUB_PID
port=
if ! read -r -t 15 -u "${STUB[0]}" port || [[ ! $port =~ ^[0-9]+$ ]]; then
  check_no=1
  not_ok "stub-apiserver starts" "no port on its stdout (got '${port}')" "$(cat "$tmp/stub.log" 2>/dev/null)"
  finish
fi

cat >"$tmp/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: stub
  cluster:
    server: http://127.0.0.1:$port
users:
- name: nobody
  user: {}
contexts:
- name: stub
  context:
    cluster: stub
    user: nobody
current-context: stub
EOF
mkdir -p "$tmp/home"

# kube: runs kubectl with a fresh discovery/OpenAPI cache (so every check downloads what it
# uses), an isolated HOME, and timeouts; sets out, rc, ms and calls (the stub's log lines for
# this run).
kube() {
  local mark t0
  mark=$(wc -l <"$tmp/stub.log")
  t0=$(date +%s%N)
  # In the background and waited for, so that a signal to this script is handled at once.
  HOME="$tmp/home" KUBECONFIG="$tmp/kubeconfig" timeout 60 "$kubectl" \
    --kubeconfig "$tmp/kubeconfig" --cache-dir "$tmp/cache.$check_no" --request-timeout=30s "$@" \
    >"$tmp/kubectl.out" 2>&1 &
  kube_pid=$!
  wait "$kube_pid"
  rc=$?
  kube_pid=
  out=$(<"$tmp/kubectl.out")
  ms=$((($(date +%s%N) - t0) / 1000000))
  # The stub logs each request before it answers, so the log is complete here.
  calls=$(tail -n +"$((mark + 1))" "$tmp/stub.log")
}
group_doc_fetched() { grep -q 'GET /openapi/v3/apis/apiextensions.k8s.io/v1?hash=[0-9A-F]\{128\}[& ].* -> 200' <<<"$calls"; }
unsupported_calls() { grep 'UNSUPPORTED' <<<"$calls"; }

# A positive dry run: exit 0, the "created (dry run)" line, the upstream group document read
# and nothing unsupported asked for.
expect_created() {
  local what=$1
  shift
  kube "$@"
  local problems=()
  [[ $rc -eq 0 ]] || problems+=("exit code $rc")
  grep -qxF "$created_line" <<<"$out" || problems+=("no line '$created_line'")
  group_doc_fetched || problems+=("the OpenAPI v3 document of apiextensions.k8s.io/v1 was not downloaded")
  grep -q "GET /apis/apiextensions.k8s.io/v1/customresourcedefinitions/$crd_name?.* -> 404" <<<"$calls" ||
    problems+=("kubectl did not look the object up (expected a 404 GET)")
  [[ -z $(unsupported_calls) ]] || problems+=("unsupported requests: $(unsupported_calls)")
  if [[ ${#problems[@]} -eq 0 ]]; then
    ok "$what (${ms} ms)"
  else
    not_ok "$what" "${problems[@]}" "kubectl output:" "$out"
  fi
}

# A mutated copy: kubectl must still accept it (exit 0, "created (dry run)") after reading the
# upstream document, and must not have fetched /openapi/v2, the document its client-side
# schema validation would use. If this flips, kubectl validates client-side: make the check
# expect a rejection naming the field.
expect_deferred_to_server() {
  local what=$1 file=$2 field=$3
  kube apply --dry-run=client --validate=strict -f "$file"
  local problems=()
  if [[ $rc -ne 0 ]] && grep -q "$field" <<<"$out"; then
    problems+=("kubectl now rejects '$field' client-side (exit $rc): it validates against the" \
      "schema itself; turn this check into one that expects the rejection")
  else
    [[ $rc -eq 0 ]] || problems+=("exit code $rc")
    grep -qxF "$created_line" <<<"$out" || problems+=("no line '$created_line'")
  fi
  group_doc_fetched || problems+=("the OpenAPI v3 document of apiextensions.k8s.io/v1 was not downloaded")
  ! grep -q 'GET /openapi/v2' <<<"$calls" || problems+=("kubectl asked for /openapi/v2 (client-side validation)")
  [[ -z $(unsupported_calls) ]] || problems+=("unsupported requests: $(unsupported_calls)")
  if [[ ${#problems[@]} -eq 0 ]]; then
    ok "$what (${ms} ms)"
  else
    not_ok "$what" "${problems[@]}" "kubectl output:" "$out"
  fi
}

check_no=1
expect_created "kubectl apply --dry-run=client --validate=strict -f ${crd#"$root"/}" \
  apply --dry-run=client --validate=strict -f "$crd"

check_no=2
expect_created "kubectl apply --dry-run=client --validate=strict -k config/" \
  apply --dry-run=client --validate=strict -k "$root/config"

check_no=3
bogus="$tmp/crd-unknown-field.yaml"
awk '{ print } /^spec:$/ && !done { print "  bogus: 1"; done = 1 }' "$crd" >"$bogus"
if [[ $(diff "$crd" "$bogus" | grep -c '^>') -ne 1 ]] || ! grep -qx '  bogus: 1' "$bogus"; then
  not_ok "inject spec.bogus into a copy of the CRD" "the CRD has no top-level 'spec:' line"
else
  expect_deferred_to_server \
    "unknown field spec.bogus passes the client dry run: kubectl leaves field validation to the server" \
    "$bogus" bogus
fi

check_no=4
badtype="$tmp/crd-wrong-type.yaml"
awk '!done && /^    served: true$/ { sub(/served: true/, "served: \"yes-string\""); done = 1 } { print }' \
  "$crd" >"$badtype"
if [[ $(diff "$crd" "$badtype" | grep -c '^>') -ne 1 ]]; then
  not_ok "make spec.versions[0].served a string in a copy" "no '    served: true' line in the CRD"
else
  expect_deferred_to_server \
    "wrong type spec.versions[0].served: \"yes-string\" passes the client dry run: left to the server" \
    "$badtype" served
fi

check_no=5
kube create --dry-run=client --validate=strict -o yaml -f "$crd"
problems=()
[[ $rc -eq 0 ]] || problems+=("exit code $rc")
# The object's own name: the first "  name:" line after "metadata:" at the top level.
name=$(awk '/^metadata:$/ { m = 1; next } m && /^[^ ]/ { m = 0 } m && /^  name: / { print $2; exit }' <<<"$out")
[[ $name == "$crd_name" ]] || problems+=("metadata.name is '$name', want '$crd_name'")
grep -qx 'kind: CustomResourceDefinition' <<<"$out" || problems+=("no 'kind: CustomResourceDefinition'")
grep -qx 'apiVersion: apiextensions.k8s.io/v1' <<<"$out" || problems+=("no 'apiVersion: apiextensions.k8s.io/v1'")
[[ -z $(unsupported_calls) ]] || problems+=("unsupported requests: $(unsupported_calls)")
if [[ ${#problems[@]} -eq 0 ]]; then
  ok "kubectl create --dry-run=client -o yaml round-trips metadata.name $crd_name (${ms} ms)"
else
  not_ok "kubectl create --dry-run=client -o yaml round-trips the name" "${problems[@]}" "kubectl output:" "$out"
fi

finish
