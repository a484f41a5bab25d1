// Checks that no OpenAPI schema can express, but that the API server or the
// upstream admission webhooks enforce when the object is applied. Each group
// names the upstream code it mirrors; only rules that reject an object are here
// (no style lints), and values that depend on cluster configuration use the
// upstream defaults, said so in the message.
//
// A rule returns a list of { instancePath, message }.

const RE_DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const RE_DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const RE_DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const RE_QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const RE_LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const RE_CONFIGMAP_KEY = /^[-._a-zA-Z0-9]+$/;
const RE_IANA_SVC_NAME = /^[-a-z0-9]+$/;
const RE_GO_DURATION = /^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))+$/;
const RE_ISO8601_DURATION = /^[-+]?P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+([.,]\d+)?S)?)?$/;

const isObj = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const arr = (v) => (Array.isArray(v) ? v : []);
const esc = (k) => String(k).replace(/~/g, "~0").replace(/\//g, "~1");
const err = (instancePath, message) => ({ instancePath, message });

export const isDns1123Label = (s) => typeof s === "string" && s.length <= 63 && RE_DNS1123_LABEL.test(s);
export const isDns1123Subdomain = (s) => typeof s === "string" && s.length <= 253 && RE_DNS1123_SUBDOMAIN.test(s);
export const isDns1035Label = (s) => typeof s === "string" && s.length <= 63 && RE_DNS1035_LABEL.test(s);

function qualifiedNameError(key) {
  if (typeof key !== "string" || key === "") return "must be a non-empty qualified name";
  const parts = key.split("/");
  if (parts.length > 2) return "a qualified name must have at most one '/'";
  const name = parts[parts.length - 1];
  if (parts.length === 2 && (parts[0] === "" || !isDns1123Subdomain(parts[0]))) return "prefix must be a DNS-1123 subdomain";
  if (name.length > 63 || !RE_QUALIFIED_NAME_PART.test(name))
    return "name part must be at most 63 characters of [A-Za-z0-9_.-], starting and ending with an alphanumeric";
  return null;
}

function isIanaSvcName(s) {
  return s.length <= 15 && RE_IANA_SVC_NAME.test(s) && /[a-z]/.test(s) && !s.startsWith("-") && !s.endsWith("-") && !s.includes("--");
}

// Go's time.ParseDuration, in seconds (NaN when invalid).
export function goDurationSeconds(s) {
  if (s === "0") return 0;
  if (typeof s !== "string" || !RE_GO_DURATION.test(s)) return NaN;
  const unit = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
  const sign = s.startsWith("-") ? -1 : 1;
  let total = 0;
  for (const m of s.replace(/^[-+]/, "").matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)) total += parseFloat(m[1]) * unit[m[2]];
  return (sign * Math.round(total * 1e9)) / 1e9; // whole nanoseconds, as Go keeps them
}

export const isIso8601Duration = (s) => typeof s === "string" && RE_ISO8601_DURATION.test(s);

// ---------------------------------------------------------------------------
// API server: ObjectMeta (k8s.io/apimachinery/pkg/api/validation/objectmeta.go)
// name: "subdomain" | "dns1035" | "dns1123label"
export function objectMeta(nameRule, { namespaced = true } = {}) {
  const rule = (o) => {
    const out = [];
    const md = o.metadata;
    if (!isObj(md)) return [err("/metadata", "metadata is required")];
    if (typeof md.name !== "string" || md.name === "") {
      out.push(err("/metadata/name", "metadata.name is required (kubectl apply / server-side apply need it; generateName is not enough)"));
    } else {
      const ok = { subdomain: isDns1123Subdomain, dns1035: isDns1035Label, dns1123label: isDns1123Label }[nameRule](md.name);
      const what = {
        subdomain: "a DNS-1123 subdomain (lowercase alphanumerics, '-' and '.', at most 253 characters)",
        dns1035: "a DNS-1035 label (lowercase alphanumerics and '-', starting with a letter, at most 63 characters)",
        dns1123label: "a DNS-1123 label (lowercase alphanumerics and '-', at most 63 characters)",
      }[nameRule];
      if (!ok) out.push(err("/metadata/name", `"${md.name}" must be ${what}`));
    }
    if (md.namespace !== undefined) {
      if (!namespaced) out.push(err("/metadata/namespace", "a cluster-scoped object must not set metadata.namespace"));
      else if (!isDns1123Label(md.namespace)) out.push(err("/metadata/namespace", `"${md.namespace}" must be a DNS-1123 label`));
    }
    if (isObj(md.labels)) {
      for (const [k, v] of Object.entries(md.labels)) {
        const e = qualifiedNameError(k);
        if (e) out.push(err(`/metadata/labels/${esc(k)}`, `label key "${k}": ${e}`));
        if (typeof v === "string" && (v.length > 63 || !RE_LABEL_VALUE.test(v)))
          out.push(err(`/metadata/labels/${esc(k)}`, `label value "${v}" must be at most 63 characters of [A-Za-z0-9_.-], starting and ending with an alphanumeric (or empty)`));
      }
    }
    if (isObj(md.annotations)) {
      let size = 0;
      for (const [k, v] of Object.entries(md.annotations)) {
        const e = qualifiedNameError(k.toLowerCase());
        if (e) out.push(err(`/metadata/annotations/${esc(k)}`, `annotation key "${k}": ${e}`));
        size += Buffer.byteLength(k) + (typeof v === "string" ? Buffer.byteLength(v) : 0);
      }
      if (size > 256 * 1024) out.push(err("/metadata/annotations", `annotations total ${size} bytes, limit is 262144`));
    }
    return out;
  };
  rule.ruleName = "objectMeta";
  return rule;
}

// API server: core/v1 ConfigMap (pkg/apis/core/validation: ValidateConfigMap)
export function configMap(o) {
  const out = [];
  let size = 0;
  const seen = new Set();
  for (const field of ["data", "binaryData"]) {
    if (!isObj(o[field])) continue;
    for (const [k, v] of Object.entries(o[field])) {
      const p = `/${field}/${esc(k)}`;
      if (k.length > 253 || !RE_CONFIGMAP_KEY.test(k) || k === "." || k === ".." || k.startsWith(".."))
        out.push(err(p, `key "${k}" must consist of [-._a-zA-Z0-9], at most 253 characters, and not be or start with '..'`));
      if (seen.has(k)) out.push(err(p, `key "${k}" is in both data and binaryData`));
      seen.add(k);
      if (typeof v === "string") size += Buffer.byteLength(k) + (field === "binaryData" ? Buffer.from(v, "base64").length : Buffer.byteLength(v));
    }
  }
  if (size > 1024 * 1024) out.push(err("", `ConfigMap data is ${size} bytes, limit is 1048576`));
  return out;
}

// API server: core/v1 Service (pkg/apis/core/validation: ValidateService)
export function coreService(o) {
  const out = [];
  const spec = isObj(o.spec) ? o.spec : {};
  const type = spec.type || "ClusterIP";
  const ports = arr(spec.ports);
  const headless = spec.clusterIP === "None";
  if (type !== "ExternalName" && !headless && ports.length === 0) out.push(err("/spec/ports", "at least one port is required"));
  const names = new Set();
  const portProto = new Set();
  ports.forEach((p, i) => {
    if (!isObj(p)) return;
    const base = `/spec/ports/${i}`;
    if (ports.length > 1 && !p.name) out.push(err(`${base}/name`, "name is required when a Service has more than one port"));
    if (p.name !== undefined && p.name !== "") {
      if (!isDns1123Label(p.name)) out.push(err(`${base}/name`, `"${p.name}" must be a DNS-1123 label`));
      if (names.has(p.name)) out.push(err(`${base}/name`, `duplicate port name "${p.name}"`));
      names.add(p.name);
    }
    if (Number.isInteger(p.port) && (p.port < 1 || p.port > 65535)) out.push(err(`${base}/port`, "must be between 1 and 65535"));
    const key = `${p.port}/${p.protocol || "TCP"}`;
    if (portProto.has(key)) out.push(err(`${base}`, `duplicate port ${key}`));
    portProto.add(key);
    if (Number.isInteger(p.targetPort) && (p.targetPort < 1 || p.targetPort > 65535))
      out.push(err(`${base}/targetPort`, "must be between 1 and 65535"));
    if (typeof p.targetPort === "string" && !isIanaSvcName(p.targetPort))
      out.push(err(`${base}/targetPort`, `"${p.targetPort}" must be a port number or an IANA_SVC_NAME (at most 15 of [a-z0-9-], with a letter)`));
    if (p.nodePort !== undefined && type !== "NodePort" && type !== "LoadBalancer")
      out.push(err(`${base}/nodePort`, `nodePort may only be set when type is NodePort or LoadBalancer (type is ${type})`));
  });
  if (isObj(spec.selector)) {
    for (const [k, v] of Object.entries(spec.selector)) {
      const e = qualifiedNameError(k);
      if (e) out.push(err(`/spec/selector/${esc(k)}`, `selector key "${k}": ${e}`));
      if (typeof v === "string" && (v.length > 63 || !RE_LABEL_VALUE.test(v)))
        out.push(err(`/spec/selector/${esc(k)}`, `selector value "${v}" is not a valid label value`));
    }
  }
  return out;
}

// API server: apiextensions.k8s.io/v1 CustomResourceDefinition
// (k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/validation)
export function customResourceDefinition(o) {
  const out = [];
  const spec = isObj(o.spec) ? o.spec : {};
  const names = isObj(spec.names) ? spec.names : {};
  const name = o.metadata?.name;
  if (typeof names.plural === "string" && typeof spec.group === "string" && name !== `${names.plural}.${spec.group}`)
    out.push(err("/metadata/name", `must be spec.names.plural + "." + spec.group = "${names.plural}.${spec.group}"`));
  if (spec.scope !== "Namespaced" && spec.scope !== "Cluster") out.push(err("/spec/scope", 'must be one of: "Namespaced", "Cluster"'));
  if (typeof spec.group === "string" && !(isDns1123Subdomain(spec.group) && spec.group.includes(".")))
    out.push(err("/spec/group", "must be a DNS-1123 subdomain with at least one dot"));
  for (const f of ["plural", "singular"]) {
    if (typeof names[f] === "string" && !isDns1123Label(names[f])) out.push(err(`/spec/names/${f}`, `"${names[f]}" must be a DNS-1123 label`));
  }
  for (const f of ["kind", "listKind"]) {
    if (typeof names[f] === "string" && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(names[f])) out.push(err(`/spec/names/${f}`, "must be a C identifier"));
  }
  for (const f of ["shortNames", "categories"]) {
    arr(names[f]).forEach((s, i) => {
      if (!isDns1123Label(s)) out.push(err(`/spec/names/${f}/${i}`, `"${s}" must be a DNS-1123 label`));
    });
  }
  const versions = arr(spec.versions);
  if (versions.length === 0) out.push(err("/spec/versions", "at least one version is required"));
  const storage = versions.filter((v) => isObj(v) && v.storage === true).length;
  if (versions.length > 0 && storage !== 1) out.push(err("/spec/versions", `exactly one version must be storage: true (found ${storage})`));
  const seen = new Set();
  versions.forEach((v, i) => {
    if (!isObj(v)) return;
    const base = `/spec/versions/${i}`;
    if (seen.has(v.name)) out.push(err(`${base}/name`, `duplicate version "${v.name}"`));
    seen.add(v.name);
    if (typeof v.name === "string" && !isDns1035Label(v.name)) out.push(err(`${base}/name`, "must be a DNS-1035 label"));
    const schema = v.schema?.openAPIV3Schema;
    if (!isObj(schema)) {
      out.push(err(`${base}/schema/openAPIV3Schema`, "is required in apiextensions.k8s.io/v1"));
      return;
    }
    if (schema.type !== "object") out.push(err(`${base}/schema/openAPIV3Schema/type`, 'the root schema must have type: object'));
    out.push(...structural(schema, `${base}/schema/openAPIV3Schema`, { root: true }));
  });
  return out;
}

// Structural schema rules (https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#specifying-a-structural-schema)
function structural(s, path, { root = false, inJunctor = false } = {}) {
  const out = [];
  if (!isObj(s)) return out;
  const preserve = s["x-kubernetes-preserve-unknown-fields"] === true;
  const intOrString = s["x-kubernetes-int-or-string"] === true;
  if (!inJunctor && !s.type && !preserve && !intOrString) out.push(err(path, "every schema node needs a type (unless x-kubernetes-int-or-string or x-kubernetes-preserve-unknown-fields)"));
  if (inJunctor) {
    for (const k of ["description", "type", "default", "additionalProperties", "nullable"]) {
      if (s[k] !== undefined) out.push(err(`${path}/${k}`, `${k} must not be set inside allOf/anyOf/oneOf/not`));
    }
  }
  if (isObj(s.properties) && Object.keys(s.properties).length > 0 && (s.additionalProperties === false || isObj(s.additionalProperties)))
    out.push(err(`${path}/additionalProperties`, "additionalProperties and properties are mutually exclusive (unknown fields are pruned/rejected anyway)"));
  if (intOrString && !inJunctor) {
    const ok = (j) => arr(j).length === 2 && j.some((x) => x?.type === "integer") && j.some((x) => x?.type === "string");
    if (s.type) out.push(err(`${path}/type`, "a x-kubernetes-int-or-string node must not set type"));
    if ((s.anyOf || s.allOf?.[0]?.anyOf) && !ok(s.anyOf || s.allOf[0].anyOf))
      out.push(err(path, "x-kubernetes-int-or-string may only carry anyOf: [{type: integer}, {type: string}]"));
  }
  if (root && isObj(s.properties?.metadata)) {
    const md = s.properties.metadata;
    const extra = Object.keys(md.properties || {}).filter((k) => k !== "name" && k !== "generateName");
    if (extra.length) out.push(err(`${path}/properties/metadata`, `only name and generateName may be restricted in metadata (found ${extra.join(", ")})`));
    if (md.type !== undefined && md.type !== "object") out.push(err(`${path}/properties/metadata/type`, "must be object"));
  }
  for (const [k, child] of Object.entries(isObj(s.properties) ? s.properties : {})) {
    if (root && k === "metadata") continue;
    out.push(...structural(child, `${path}/properties/${esc(k)}`, { inJunctor }));
  }
  if (isObj(s.additionalProperties)) out.push(...structural(s.additionalProperties, `${path}/additionalProperties`, { inJunctor }));
  if (isObj(s.items)) out.push(...structural(s.items, `${path}/items`, { inJunctor }));
  if (s.type === "array" && !isObj(s.items) && !inJunctor) out.push(err(path, "an array node needs items"));
  // the one exception: x-kubernetes-int-or-string may carry anyOf: [{type: integer}, {type: string}]
  const intOrStringBranch = (j, c) => intOrString && j === "anyOf" && isObj(c) && Object.keys(c).length === 1 && ["integer", "string"].includes(c.type);
  for (const j of ["allOf", "anyOf", "oneOf"])
    arr(s[j]).forEach((c, i) => {
      if (!intOrStringBranch(j, c)) out.push(...structural(c, `${path}/${j}/${i}`, { inJunctor: true }));
    });
  if (isObj(s.not)) out.push(...structural(s.not, `${path}/not`, { inJunctor: true }));
  return out;
}

// ---------------------------------------------------------------------------
// Knative Serving webhook (knative/serving pkg/apis/serving: k8s_validation.go,
// metadata_validation.go, v1/revision_validation.go, v1/service_validation.go,
// pkg/apis/autoscaling/annotation_validation.go). Defaults of config-defaults /
// config-autoscaler / config-features are assumed.
const RESERVED_PORTS = new Set([8012, 8013, 8022, 8008, 9090, 9091]);
const RESERVED_ENV = ["PORT", "K_SERVICE", "K_CONFIGURATION", "K_REVISION"];
const RESERVED_PATHS = new Set(["/", "/dev", "/dev/log"]);
const AS = "autoscaling.knative.dev/";
// PodSpec fields Knative accepts only behind a config-features flag, all
// "disabled" by default (knative/serving config/core/configmaps/features.yaml).
const FEATURE_FLAGGED_PODSPEC = {
  affinity: "kubernetes.podspec-affinity",
  dnsConfig: "kubernetes.podspec-dnsconfig",
  dnsPolicy: "kubernetes.podspec-dnspolicy",
  hostAliases: "kubernetes.podspec-hostaliases",
  hostIPC: "kubernetes.podspec-hostipc",
  hostNetwork: "kubernetes.podspec-hostnetwork",
  hostPID: "kubernetes.podspec-hostpid",
  initContainers: "kubernetes.podspec-init-containers",
  nodeSelector: "kubernetes.podspec-nodeselector",
  priorityClassName: "kubernetes.podspec-priorityclassname",
  runtimeClassName: "kubernetes.podspec-runtimeclassname",
  schedulerName: "kubernetes.podspec-schedulername",
  shareProcessNamespace: "kubernetes.podspec-shareprocessnamespace",
  tolerations: "kubernetes.podspec-tolerations",
  topologySpreadConstraints: "kubernetes.podspec-topologyspreadconstraints",
};
const FEATURE_FLAGGED_VOLUME = {
  persistentVolumeClaim: "kubernetes.podspec-persistent-volume-claim",
  hostPath: "kubernetes.podspec-volumes-hostpath",
  csi: "kubernetes.podspec-volumes-csi",
  image: "kubernetes.podspec-volumes-image",
};
const flagged = (flag) => `needs config-features "${flag}: enabled" (disabled by default)`;

function cleanPath(p) {
  const parts = [];
  for (const seg of p.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") parts.pop();
    else parts.push(seg);
  }
  return (p.startsWith("/") ? "/" : "") + parts.join("/");
}

function autoscalingAnnotations(anns, base) {
  const out = [];
  if (!isObj(anns)) return out;
  const a = (k) => anns[AS + k];
  const p = (k) => `${base}/${esc(AS + k)}`;
  const int32 = (k) => {
    const v = a(k);
    if (typeof v !== "string") return 0; // absent, or not a string (the schemas report that)
    if (!/^[-+]?\d+$/.test(v)) {
      out.push(err(p(k), `"${v}" must be an integer written as a string`));
      return 0;
    }
    const n = Number(v);
    if (n < 0 || n > 2147483647) out.push(err(p(k), `${v} is out of bounds [0, 2147483647]`));
    return n;
  };
  const float = (k, ok, what) => {
    const v = a(k);
    if (typeof v !== "string") return;
    const n = v.trim() !== "" ? Number(v) : NaN;
    if (!Number.isFinite(n) || !ok(n)) out.push(err(p(k), `"${v}" ${what}`));
  };
  const cls = a("class");
  if (typeof cls === "string" && cls.endsWith("autoscaling.knative.dev") && cls !== "kpa.autoscaling.knative.dev" && cls !== "hpa.autoscaling.knative.dev")
    out.push(err(p("class"), `"${cls}" must be kpa.autoscaling.knative.dev or hpa.autoscaling.knative.dev`));
  const min = int32("min-scale");
  const max = int32("max-scale");
  if (max !== 0 && max < min) out.push(err(p("max-scale"), `max-scale=${max} is less than min-scale=${min}`));
  float("target", (n) => n >= 0.01, "must be a number >= 0.01");
  float("target-utilization-percentage", (n) => n >= 1 && n <= 100, "must be a number in [1, 100]");
  float("panic-window-percentage", (n) => n >= 1 && n <= 100, "must be a number in [1, 100]");
  float("panic-threshold-percentage", (n) => n >= 110 && n <= 1000, "must be a number in [110, 1000]");
  float("target-burst-capacity", (n) => n >= 0 || n === -1, "must be >= 0 or -1");
  const win = a("window");
  if (typeof win === "string") {
    const s = goDurationSeconds(win);
    if (!(s >= 6 && s <= 3600)) out.push(err(p("window"), `"${win}" must be a Go duration between 6s and 1h`));
    else if (!Number.isInteger(s)) out.push(err(p("window"), `"${win}" must be specified with at most second precision`));
  }
  const sdd = a("scale-down-delay");
  if (typeof sdd === "string") {
    const s = goDurationSeconds(sdd);
    if (!(s >= 0 && s <= 3600)) out.push(err(p("scale-down-delay"), `"${sdd}" must be a Go duration between 0s and 1h`));
    else if (!Number.isInteger(s)) out.push(err(p("scale-down-delay"), `"${sdd}" must be specified with at most second precision`));
  }
  const act = a("activation-scale");
  if (typeof act === "string") {
    const n = /^[-+]?\d+$/.test(act) ? Number(act) : NaN;
    if (!Number.isInteger(n)) out.push(err(p("activation-scale"), `"${act}" must be an integer written as a string`));
    else if (min > n) out.push(err(p("activation-scale"), `min-scale=${min} is greater than activation-scale=${n}`));
    else if (max !== 0 && max < n) out.push(err(p("activation-scale"), `max-scale=${max} is less than activation-scale=${n}`));
    else if (n < 2) out.push(err(p("activation-scale"), `activation-scale=${n} must be greater than 1`));
  }
  const ret = a("scale-to-zero-pod-retention-period");
  if (typeof ret === "string") {
    const s = goDurationSeconds(ret);
    if (!(s >= 0 && s <= 3600)) out.push(err(p("scale-to-zero-pod-retention-period"), `"${ret}" must be a Go duration between 0s and 1h`));
  }
  const metric = a("metric");
  if (typeof metric === "string") {
    const c = cls || "kpa.autoscaling.knative.dev";
    // any other class (and any non-empty metric of the HPA class) is left alone
    if (c === "kpa.autoscaling.knative.dev" && metric !== "concurrency" && metric !== "rps")
      out.push(err(p("metric"), `"${metric}" is not valid for the KPA class (concurrency or rps)`));
    if (c === "hpa.autoscaling.knative.dev" && metric === "") out.push(err(p("metric"), "must not be empty for the HPA class"));
  }
  const init = a("initial-scale");
  if (typeof init === "string" && (!/^\d+$/.test(init) || Number(init) === 0))
    out.push(err(p("initial-scale"), `"${init}" must be an integer >= 1 (0 needs allow-zero-initial-scale in config-autoscaler)`));
  return out;
}

function probe(pr, path, servingPort, { readiness = false } = {}) {
  const out = [];
  if (!isObj(pr)) return out;
  const handlers = ["httpGet", "tcpSocket", "exec", "grpc"].filter((h) => pr[h] !== undefined);
  if (handlers.length === 0) out.push(err(path, "expected exactly one of httpGet, tcpSocket, exec, grpc"));
  if (handlers.length > 1) out.push(err(path, `expected exactly one of httpGet, tcpSocket, exec, grpc (got ${handlers.join(", ")})`));
  for (const h of ["httpGet", "tcpSocket"]) {
    const port = pr[h]?.port;
    if (typeof port === "string" && port !== "" && port !== servingPort.name)
      out.push(err(`${path}/${h}/port`, `named probe port "${port}" must match the container port name "${servingPort.name}"`));
  }
  if (readiness) {
    const period = pr.periodSeconds || 0;
    if (period < 0) out.push(err(`${path}/periodSeconds`, "must be >= 0"));
    if (pr.initialDelaySeconds < 0) out.push(err(`${path}/initialDelaySeconds`, "must be >= 0"));
    if (pr.successThreshold !== undefined && pr.successThreshold < 1) out.push(err(`${path}/successThreshold`, "must be >= 1"));
    if (period === 0) {
      if (pr.failureThreshold) out.push(err(`${path}/failureThreshold`, "failureThreshold is disallowed when periodSeconds is zero/unset (Knative's aggressive readiness probing)"));
      if (pr.timeoutSeconds) out.push(err(`${path}/timeoutSeconds`, "timeoutSeconds is disallowed when periodSeconds is zero/unset (Knative's aggressive readiness probing)"));
    } else {
      if (pr.timeoutSeconds !== undefined && pr.timeoutSeconds < 1) out.push(err(`${path}/timeoutSeconds`, "must be >= 1 when periodSeconds is set"));
      if (pr.failureThreshold !== undefined && pr.failureThreshold < 1) out.push(err(`${path}/failureThreshold`, "must be >= 1 when periodSeconds is set"));
    }
  }
  return out;
}

export function knativeService(o) {
  const out = [];
  const md = isObj(o.metadata) ? o.metadata : {};
  for (const [k, v] of Object.entries(isObj(md.labels) ? md.labels : {})) {
    if (k === "networking.knative.dev/visibility" && v !== "cluster-local")
      out.push(err(`/metadata/labels/${esc(k)}`, `"${v}" is not valid: the only value is "cluster-local"`));
    else if (k.startsWith("serving.knative.dev/")) out.push(err(`/metadata/labels/${esc(k)}`, "serving.knative.dev/ labels are reserved on a Service"));
  }
  out.push(...autoscalingAnnotations(md.annotations, "/metadata/annotations"));
  const tmpl = isObj(o.spec?.template) ? o.spec.template : {};
  const tmd = isObj(tmpl.metadata) ? tmpl.metadata : {};
  out.push(...autoscalingAnnotations(tmd.annotations, "/spec/template/metadata/annotations"));
  const qp = tmd.annotations?.["queue.sidecar.serving.knative.dev/resource-percentage"];
  if (qp !== undefined && !(Number(qp) >= 0.1 && Number(qp) <= 100))
    out.push(err("/spec/template/metadata/annotations/queue.sidecar.serving.knative.dev~1resource-percentage", `"${qp}" must be a number in [0.1, 100]`));
  if (typeof tmd.name === "string" && tmd.name !== "") {
    if (!isDns1035Label(tmd.name)) out.push(err("/spec/template/metadata/name", "must be a DNS-1035 label"));
    else if (md.name && !tmd.name.startsWith(`${md.name}-`)) out.push(err("/spec/template/metadata/name", `"${tmd.name}" must have prefix "${md.name}-"`));
  }
  const ps = isObj(tmpl.spec) ? tmpl.spec : {};
  const base = "/spec/template/spec";
  if (Number.isInteger(ps.containerConcurrency) && (ps.containerConcurrency < 0 || ps.containerConcurrency > 1000))
    out.push(err(`${base}/containerConcurrency`, `${ps.containerConcurrency} is out of bounds [0, 1000] (config-defaults container-concurrency-max-limit default)`));
  if (Number.isInteger(ps.timeoutSeconds) && (ps.timeoutSeconds < 0 || ps.timeoutSeconds > 600))
    out.push(err(`${base}/timeoutSeconds`, `${ps.timeoutSeconds} is out of bounds [0, 600] (config-defaults max-revision-timeout-seconds default)`));
  if (typeof ps.serviceAccountName === "string" && ps.serviceAccountName !== "" && !isDns1123Subdomain(ps.serviceAccountName))
    out.push(err(`${base}/serviceAccountName`, "must be a DNS-1123 subdomain"));

  for (const [f, flag] of Object.entries(FEATURE_FLAGGED_PODSPEC)) if (ps[f] !== undefined) out.push(err(`${base}/${f}`, flagged(flag)));
  const containers = arr(ps.containers).filter(isObj);
  const volumes = new Map();
  const mounted = new Set();
  containers.forEach((c) => arr(c.volumeMounts).forEach((m) => isObj(m) && mounted.add(m.name)));
  arr(ps.volumes).forEach((v, i) => {
    if (!isObj(v)) return;
    const p = `${base}/volumes/${i}`;
    if (volumes.has(v.name)) out.push(err(`${p}/name`, `duplicate volume name "${v.name}"`));
    if (typeof v.name === "string" && !isDns1123Label(v.name)) out.push(err(`${p}/name`, "must be a DNS-1123 label"));
    if (!mounted.has(v.name)) out.push(err(`${p}/name`, `volume "${v.name}" is not mounted by any container`));
    const sources = ["secret", "configMap", "projected", "emptyDir", ...Object.keys(FEATURE_FLAGGED_VOLUME)].filter((s) => v[s] !== undefined);
    if (sources.length !== 1) out.push(err(p, `expected exactly one volume source (secret, configMap, projected, emptyDir); got ${sources.join(", ") || "none"}`));
    for (const [f, flag] of Object.entries(FEATURE_FLAGGED_VOLUME)) if (v[f] !== undefined) out.push(err(`${p}/${f}`, flagged(flag)));
    volumes.set(v.name, v);
  });

  // ports: a single port across all containers
  let portCount = 0;
  let servingPort = {};
  containers.forEach((c) => {
    if (arr(c.ports).length > 0) {
      portCount += c.ports.length;
      servingPort = isObj(c.ports[0]) ? c.ports[0] : {};
    }
  });
  servingPort = { name: servingPort.name || "http", containerPort: servingPort.containerPort || 8080 };
  if (portCount > 1) out.push(err(`${base}/containers`, "more than one container port is set: only a single port is allowed across all containers"));
  if (portCount === 0 && containers.length > 1) out.push(err(`${base}/containers`, "with several containers, exactly one (the serving container) must declare a port"));

  const names = new Set();
  containers.forEach((c, i) => {
    const p = `${base}/containers/${i}`;
    const serving = containers.length === 1 || arr(c.ports).length > 0;
    if (c.name !== undefined) {
      if (names.has(c.name)) out.push(err(`${p}/name`, `duplicate container name "${c.name}"`));
      names.add(c.name);
      if (c.name === "queue-proxy") out.push(err(`${p}/name`, '"queue-proxy" is a reserved container name'));
    }
    if (typeof c.image !== "string" || c.image === "") out.push(err(`${p}/image`, "image is required"));
    const reserved = serving ? RESERVED_ENV : RESERVED_ENV.filter((e) => e !== "PORT");
    arr(c.env).forEach((e, j) => {
      if (isObj(e) && reserved.includes(e.name)) out.push(err(`${p}/env/${j}/name`, `"${e.name}" is a reserved environment variable`));
      for (const f of ["fieldRef", "resourceFieldRef"])
        if (isObj(e) && e.valueFrom?.[f] !== undefined) out.push(err(`${p}/env/${j}/valueFrom/${f}`, flagged("kubernetes.podspec-fieldref")));
    });
    if (c.securityContext?.capabilities?.add !== undefined)
      out.push(err(`${p}/securityContext/capabilities/add`, flagged("kubernetes.containerspec-addcapabilities")));
    arr(c.envFrom).forEach((e, j) => {
      if (!isObj(e)) return;
      const n = ["configMapRef", "secretRef"].filter((k) => e[k] !== undefined).length;
      if (n !== 1) out.push(err(`${p}/envFrom/${j}`, "expected exactly one of configMapRef, secretRef"));
    });
    const port = arr(c.ports)[0];
    if (isObj(port)) {
      if (port.name !== undefined && !["", "h2c", "http1"].includes(port.name))
        out.push(err(`${p}/ports/0/name`, `port name "${port.name}" is not allowed: must be empty, "h2c" or "http1"`));
      if (port.protocol !== undefined && port.protocol !== "" && port.protocol !== "TCP") out.push(err(`${p}/ports/0/protocol`, "only TCP is allowed"));
      if (RESERVED_PORTS.has(port.containerPort)) out.push(err(`${p}/ports/0/containerPort`, `${port.containerPort} is a reserved port (queue-proxy)`));
      if (Number.isInteger(port.containerPort) && (port.containerPort < 0 || port.containerPort > 65535))
        out.push(err(`${p}/ports/0/containerPort`, "must be between 0 and 65535"));
    }
    if (serving) {
      out.push(...probe(c.livenessProbe, `${p}/livenessProbe`, servingPort));
      out.push(...probe(c.readinessProbe, `${p}/readinessProbe`, servingPort, { readiness: true }));
    }
    const tmp = c.terminationMessagePolicy;
    if (tmp !== undefined && tmp !== "" && tmp !== "File" && tmp !== "FallbackToLogsOnError")
      out.push(err(`${p}/terminationMessagePolicy`, "must be File or FallbackToLogsOnError"));
    for (const f of ["runAsUser", "runAsGroup"]) {
      const v = c.securityContext?.[f];
      if (Number.isInteger(v) && (v < 0 || v > 2147483647)) out.push(err(`${p}/securityContext/${f}`, "must be in [0, 2147483647]"));
    }
    const paths = new Set();
    arr(c.volumeMounts).forEach((m, j) => {
      if (!isObj(m)) return;
      const mp = `${p}/volumeMounts/${j}`;
      const vol = volumes.get(m.name);
      if (!vol) out.push(err(`${mp}/name`, `volumeMount "${m.name}" has no matching volume`));
      if (typeof m.mountPath === "string" && m.mountPath !== "") {
        const clean = cleanPath(m.mountPath);
        if (RESERVED_PATHS.has(clean)) out.push(err(`${mp}/mountPath`, `mountPath "${clean}" is a reserved path`));
        else if (!m.mountPath.startsWith("/")) out.push(err(`${mp}/mountPath`, "must be an absolute path"));
        else if (paths.has(clean)) out.push(err(`${mp}/mountPath`, `"${m.mountPath}" must be unique`));
        paths.add(clean);
      }
      if (m.mountPropagation !== undefined) out.push(err(`${mp}/mountPropagation`, flagged("kubernetes.podspec-volumes-mount-propagation")));
      if (vol && vol.emptyDir === undefined && vol.persistentVolumeClaim === undefined && m.readOnly !== true)
        out.push(err(`${mp}/readOnly`, "a mount of a secret/configMap/projected volume must set readOnly: true"));
    });
  });
  return out;
}

// ---------------------------------------------------------------------------
// Knative Eventing webhook (knative/eventing pkg/apis/duck/v1/delivery_types.go,
// pkg/apis/eventing/v1/trigger_validation.go, knative.dev/pkg Destination).
function delivery(d, path) {
  const out = [];
  if (!isObj(d)) return out;
  if (Number.isInteger(d.retry) && d.retry < 0) out.push(err(`${path}/retry`, "must be >= 0"));
  if (d.backoffPolicy !== undefined && d.backoffPolicy !== "linear" && d.backoffPolicy !== "exponential")
    out.push(err(`${path}/backoffPolicy`, `"${d.backoffPolicy}" must be "linear" or "exponential"`));
  if (d.backoffDelay !== undefined && !isIso8601Duration(d.backoffDelay))
    out.push(err(`${path}/backoffDelay`, `"${d.backoffDelay}" must be an ISO-8601 duration such as PT0.2S or PT1S`));
  if (d.format !== undefined && d.format !== "json" && d.format !== "binary") out.push(err(`${path}/format`, `"${d.format}" must be "json" or "binary"`));
  if (d.timeout !== undefined) out.push(err(`${path}/timeout`, "timeout is disallowed unless the delivery-timeout feature is enabled in config-features"));
  if (d.retryAfterMax !== undefined) out.push(err(`${path}/retryAfterMax`, "retryAfterMax is disallowed unless the delivery-retryafter feature is enabled in config-features"));
  if (d.deadLetterSink !== undefined) out.push(...destination(d.deadLetterSink, `${path}/deadLetterSink`));
  return out;
}

function destination(dst, path) {
  const out = [];
  if (!isObj(dst)) return out;
  if (dst.ref === undefined && (dst.uri === undefined || dst.uri === "")) return [err(path, "expected at least one of ref, uri")];
  if (isObj(dst.ref)) {
    for (const f of ["apiVersion", "kind", "name"]) if (!dst.ref[f]) out.push(err(`${path}/ref/${f}`, `${f} is required`));
  }
  if (typeof dst.uri === "string" && dst.uri !== "" && dst.ref === undefined) {
    let u = null;
    try {
      u = new URL(dst.uri);
    } catch {
      /* not absolute */
    }
    if (!u || !u.host) out.push(err(`${path}/uri`, `"${dst.uri}" must be an absolute URL when ref is not set`));
  }
  return out;
}

export function broker(o) {
  return delivery(o.spec?.delivery, "/spec/delivery");
}

export function trigger(o) {
  const out = [];
  const spec = isObj(o.spec) ? o.spec : {};
  const attrs = spec.filter?.attributes;
  if (isObj(attrs)) {
    for (const k of Object.keys(attrs)) {
      if (!/^[a-z][a-z0-9]*$/.test(k))
        out.push(err(`/spec/filter/attributes/${esc(k)}`, `attribute name "${k}" must start with a letter and contain only lowercase letters and digits (CloudEvents attribute naming)`));
    }
  }
  if (spec.subscriber === undefined) out.push(err("/spec/subscriber", "subscriber is required"));
  else out.push(...destination(spec.subscriber, "/spec/subscriber"));
  out.push(...delivery(spec.delivery, "/spec/delivery"));
  return out;
}

// ---------------------------------------------------------------------------
// eventing-rabbitmq webhooks (knative-extensions/eventing-rabbitmq
// pkg/apis/eventing/v1alpha1: broker_validation.go, rabbitmq_validation.go,
// trigger_validation.go).
export function rabbitBroker(o) {
  const out = [];
  if (o.metadata?.annotations?.["eventing.knative.dev/broker.class"] !== "RabbitMQBroker") return out;
  const cfg = o.spec?.config;
  if (!isObj(cfg))
    return [err("/spec/config", "a RabbitMQBroker needs spec.config (the cluster default from config-br-defaults is a ConfigMap, which it rejects)")];
  // namespace is required too, but the eventing defaulting webhook fills it in
  // from the Broker's namespace first (knative/eventing broker_defaults.go).
  for (const f of ["name", "kind", "apiVersion"]) if (!cfg[f]) out.push(err(`/spec/config/${f}`, `${f} is required for a RabbitMQBroker config reference`));
  if (cfg.kind && cfg.apiVersion) {
    const gvk = `${cfg.kind}.${cfg.apiVersion}`;
    if (gvk !== "RabbitmqCluster.rabbitmq.com/v1beta1" && gvk !== "RabbitmqBrokerConfig.eventing.knative.dev/v1alpha1")
      out.push(err("/spec/config", "only RabbitmqCluster (rabbitmq.com/v1beta1) or RabbitmqBrokerConfig (eventing.knative.dev/v1alpha1) are supported"));
  }
  return out;
}

export function rabbitmqBrokerConfig(o) {
  const ref = o.spec?.rabbitmqClusterReference;
  if (!isObj(ref)) return [err("/spec/rabbitmqClusterReference", "rabbitmqClusterReference is required")];
  if (!ref.name && ref.connectionSecret === undefined) return [err("/spec/rabbitmqClusterReference/name", "set name or connectionSecret")];
  if (ref.name && ref.connectionSecret !== undefined) return [err("/spec/rabbitmqClusterReference/connectionSecret", "set either name or connectionSecret, not both")];
  return [];
}

export function rabbitTrigger(o) {
  const v = o.metadata?.annotations?.["rabbitmq.eventing.knative.dev/parallelism"];
  if (v === undefined) return [];
  const n = Number(v);
  if (typeof v !== "string" || !/^\d+$/.test(v) || n < 1 || n > 1000)
    return [err("/metadata/annotations/rabbitmq.eventing.knative.dev~1parallelism", `"${v}" must be an integer in [1, 1000]`)];
  return [];
}

for (const [name, fn] of Object.entries({
  configMap,
  coreService,
  customResourceDefinition,
  knativeService,
  broker,
  trigger,
  rabbitBroker,
  rabbitmqBrokerConfig,
  rabbitTrigger,
})) {
  fn.ruleName = name;
}
