// Which schemas check which apiVersion/kind. Every object is checked by all of:
//   model  - the precompiled validator from an npm kubernetes-models package,
//            closed against unknown fields (lib/model.mjs)
//   crd    - an upstream CRD openAPIV3Schema stored in ../schemas (lib/crd.mjs)
//   meta   - ObjectMeta from @kubernetes-models/apimachinery (CRD-only kinds)
//   rules  - API-server / admission-webhook rules (lib/rules.mjs)
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import * as R from "./rules.mjs";
import { crdDefaultErrors } from "./crd.mjs";

const here = dirname(fileURLToPath(import.meta.url));
export const SCHEMA_DIR = join(here, "..", "schemas");
// Validators are imported by file: not every package lists _schemas/ in "exports".
export const MODULES_DIR = join(here, "..", "node_modules");

const K8S = "kubernetes-models/_schemas/";
const KN = "@kubernetes-models/knative/_schemas/";
const PROM = "@kubernetes-models/prometheus-operator/_schemas/ComGithubPrometheusOperatorPrometheusOperatorPkgApisMonitoringV1";
export const OBJECT_META = "@kubernetes-models/apimachinery/_schemas/IoK8sApimachineryPkgApisMetaV1ObjectMeta";

// kubernetes-models' validators lack every property named `description` and
// every `x-kubernetes-*` property (its generator strips those keys from the
// upstream OpenAPI). In a CRD they are accepted here with the types of the
// upstream Go structs (k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1).
const bool = (v) => typeof v === "boolean";
const VALIDATION_RULE_FIELDS = {
  rule: (v) => typeof v === "string",
  message: (v) => typeof v === "string",
  messageExpression: (v) => typeof v === "string",
  reason: (v) => ["FieldValueInvalid", "FieldValueForbidden", "FieldValueRequired", "FieldValueDuplicate"].includes(v),
  fieldPath: (v) => typeof v === "string",
  optionalOldSelf: bool,
};
const JSON_SCHEMA_PROPS_EXTRA = {
  description: (v) => typeof v === "string",
  "x-kubernetes-preserve-unknown-fields": bool,
  "x-kubernetes-embedded-resource": bool,
  "x-kubernetes-int-or-string": bool,
  "x-kubernetes-list-type": (v) => ["atomic", "set", "map"].includes(v),
  "x-kubernetes-list-map-keys": (v) => Array.isArray(v) && v.every((x) => typeof x === "string"),
  "x-kubernetes-map-type": (v) => ["granular", "atomic"].includes(v),
  "x-kubernetes-validations": (v, path) => {
    if (!Array.isArray(v)) return [{ instancePath: path, message: "must be array" }];
    const out = [];
    v.forEach((r, i) => {
      if (r === null || typeof r !== "object" || Array.isArray(r)) return out.push({ instancePath: `${path}/${i}`, message: "must be object" });
      if (r.rule === undefined) out.push({ instancePath: `${path}/${i}`, message: 'missing required field "rule"' });
      for (const [k, x] of Object.entries(r)) {
        if (!VALIDATION_RULE_FIELDS[k]) out.push({ instancePath: `${path}/${i}/${k}`, message: `unknown field "${k}"` });
        else if (!VALIDATION_RULE_FIELDS[k](x)) out.push({ instancePath: `${path}/${i}/${k}`, message: `invalid value for ${k}` });
      }
    });
    return out;
  },
};

function crdSchemaPropsExtra(path, key, value, errors) {
  // `description` is also dropped from CustomResourceColumnDefinition
  // (additionalPrinterColumns) and ExternalDocumentation.
  if (!path.includes("/openAPIV3Schema") && key !== "description") return false;
  const check = JSON_SCHEMA_PROPS_EXTRA[key];
  if (!check) return false;
  const result = check(value, path);
  if (result === false) errors.push({ instancePath: path, message: `invalid value for ${key}` });
  else if (Array.isArray(result)) errors.push(...result);
  return true;
}

// kubernetes-models types JSONSchemaPropsOrArray/OrBool (items,
// additionalProperties, additionalItems) as a bare object, so it never looks
// inside them. Those sub-schemas are validated as JSONSchemaProps on their own.
const JSON_SCHEMA_PROPS = K8S + "IoK8sApiextensionsApiserverPkgApisApiextensionsV1JSONSchemaProps";
const isObj = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const esc = (k) => String(k).replace(/~/g, "~0").replace(/\//g, "~1");
function crdNestedSchemas(crd) {
  const out = [];
  const visit = (s, p) => {
    if (!isObj(s)) return;
    for (const key of ["items", "additionalProperties", "additionalItems"]) {
      if (isObj(s[key])) {
        out.push({ model: JSON_SCHEMA_PROPS, path: `${p}/${key}`, value: s[key] });
        visit(s[key], `${p}/${key}`);
      }
    }
    for (const key of ["properties", "patternProperties", "definitions"]) {
      if (isObj(s[key])) for (const [k, c] of Object.entries(s[key])) visit(c, `${p}/${key}/${esc(k)}`);
    }
    for (const key of ["allOf", "anyOf", "oneOf"]) if (Array.isArray(s[key])) s[key].forEach((c, j) => visit(c, `${p}/${key}/${j}`));
    if (isObj(s.not)) visit(s.not, `${p}/not`);
  };
  (Array.isArray(crd.spec?.versions) ? crd.spec.versions : []).forEach((v, i) =>
    visit(v?.schema?.openAPIV3Schema, `/spec/versions/${i}/schema/openAPIV3Schema`),
  );
  return out;
}

// JSONSchemaPropsOrBool may be a boolean upstream; the model only allows an object.
function crdBooleanOrSchema(e, obj) {
  if (e.keyword !== "type" || !/\/(additionalProperties|additionalItems)$/.test(e.instancePath)) return false;
  let v = obj;
  for (const k of e.instancePath.split("/").slice(1)) v = v?.[k.replace(/~1/g, "/").replace(/~0/g, "~")];
  return typeof v === "boolean";
}

// The Knative model embeds the full core/v1 PodSpec, which requires a container
// `name` and a probe handler `port`. Knative's CRD requires neither: the webhook
// defaults the name ("user-container") and points probes at the serving port.
function knativeDefaultedFields(e) {
  if (e.keyword !== "required") return false;
  const containers = /^\/spec\/template\/spec\/containers\/\d+/;
  if (e.params?.missingProperty === "name") return new RegExp(containers.source + "$").test(e.instancePath);
  if (e.params?.missingProperty === "port")
    return new RegExp(containers.source + "\\/(livenessProbe|readinessProbe|startupProbe)\\/(httpGet|tcpSocket|grpc)$").test(e.instancePath);
  return false;
}

export const KINDS = {
  "v1/ConfigMap": {
    model: K8S + "IoK8sApiCoreV1ConfigMap",
    rules: [R.objectMeta("subdomain"), R.configMap],
  },
  "v1/Service": {
    model: K8S + "IoK8sApiCoreV1Service",
    rules: [R.objectMeta("dns1035"), R.coreService],
  },
  "apiextensions.k8s.io/v1/CustomResourceDefinition": {
    model: K8S + "IoK8sApiextensionsApiserverPkgApisApiextensionsV1CustomResourceDefinition",
    allowUnknown: crdSchemaPropsExtra,
    nested: crdNestedSchemas,
    ignoreModelError: crdBooleanOrSchema,
    rules: [R.objectMeta("subdomain", { namespaced: false }), R.customResourceDefinition, crdDefaultErrors],
  },
  "serving.knative.dev/v1/Service": {
    model: KN + "DevKnativeServingPkgApisServingV1Service",
    ignoreModelError: knativeDefaultedFields,
    crd: { file: "knative-serving-1.22.0-services.crd.yaml", version: "v1" },
    rules: [R.objectMeta("dns1035"), R.knativeService],
  },
  "eventing.knative.dev/v1/Broker": {
    model: KN + "DevKnativeEventingPkgApisEventingV1Broker",
    crd: { file: "knative-eventing-1.22.0-brokers.crd.yaml", version: "v1" },
    rules: [R.objectMeta("subdomain"), R.broker, R.rabbitBroker],
  },
  "eventing.knative.dev/v1/Trigger": {
    model: KN + "DevKnativeEventingPkgApisEventingV1Trigger",
    crd: { file: "knative-eventing-1.22.0-triggers.crd.yaml", version: "v1" },
    rules: [R.objectMeta("subdomain"), R.trigger, R.rabbitTrigger],
  },
  "eventing.knative.dev/v1alpha1/RabbitmqBrokerConfig": {
    meta: true,
    crd: { file: "eventing-rabbitmq-rabbitmqbrokerconfigs.crd.yaml", version: "v1alpha1" },
    rules: [R.objectMeta("subdomain"), R.rabbitmqBrokerConfig],
  },
  "monitoring.coreos.com/v1/ServiceMonitor": {
    model: PROM + "ServiceMonitor",
    rules: [R.objectMeta("subdomain")],
  },
  "monitoring.coreos.com/v1/PodMonitor": {
    model: PROM + "PodMonitor",
    rules: [R.objectMeta("subdomain")],
  },
  "monitoring.coreos.com/v1/PrometheusRule": {
    model: PROM + "PrometheusRule",
    rules: [R.objectMeta("subdomain")],
  },
};

// A kind defined by a CustomResourceDefinition given among the inputs (e.g. the
// operator's own LambdaAgent CRD): its objects are checked against that CRD.
export function kindFromInputCrd(crd, version) {
  return {
    meta: true,
    crd: { object: crd, version },
    rules: [R.objectMeta("subdomain", { namespaced: crd.spec?.scope !== "Cluster" })],
  };
}
