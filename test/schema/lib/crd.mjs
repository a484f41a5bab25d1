// Compiles the openAPIV3Schema of a CustomResourceDefinition version into an ajv
// validator that behaves like the API server's structural-schema validation
// with strict field validation:
//   - an object schema is closed (additionalProperties:false) unless it has
//     x-kubernetes-preserve-unknown-fields: true or its own additionalProperties;
//     a bare `type: object` therefore only accepts {} — which is what pruning does;
//   - apiVersion, kind and metadata are always allowed at the root; metadata is
//     checked separately against ObjectMeta (as the API server does);
//   - x-kubernetes-int-or-string, x-kubernetes-list-type (set/map uniqueness)
//     and nullable are honoured; formats int32/int64 are range-checked;
//   - x-kubernetes-validations (CEL) cannot be evaluated here and are ignored.
import Ajv from "ajv";
import addFormats from "ajv-formats";
import { readFileSync } from "node:fs";
import YAML from "yaml";

const isPlainObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

function sameValue(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function makeAjv() {
  const ajv = new Ajv({
    allErrors: true,
    strict: true,
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
    allowUnionTypes: true,
    validateFormats: true,
  });
  addFormats(ajv);
  const int = (min, max) => ({
    type: "number",
    validate: (n) => Number.isInteger(n) && n >= min && n <= max,
  });
  ajv.addFormat("int32", int(-2147483648, 2147483647));
  ajv.addFormat("int64", int(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER));
  ajv.addFormat("float", { type: "number", validate: () => true });
  ajv.addFormat("double", { type: "number", validate: () => true });
  ajv.addFormat("byte", /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/);
  for (const keyword of [
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-embedded-resource",
    "x-kubernetes-list-map-keys",
    "x-kubernetes-map-type",
    "x-kubernetes-validations",
  ]) {
    ajv.addKeyword({ keyword });
  }
  ajv.addKeyword({
    keyword: "x-kubernetes-int-or-string",
    schemaType: "boolean",
    errors: true,
    validate: function intOrString(schema, data) {
      if (!schema || Number.isInteger(data) || typeof data === "string") return true;
      intOrString.errors = [{ keyword: "x-kubernetes-int-or-string", message: "must be an integer or a string", params: {} }];
      return false;
    },
  });
  ajv.addKeyword({
    keyword: "x-kubernetes-list-type",
    type: "array",
    schemaType: "string",
    errors: true,
    validate: function listType(schema, data, parentSchema) {
      const errs = [];
      if (schema === "set") {
        data.forEach((item, i) => {
          if (data.findIndex((other) => sameValue(other, item)) !== i) {
            errs.push({ keyword: "x-kubernetes-list-type", message: `duplicate entry at index ${i} (list-type: set)`, params: { i } });
          }
        });
      } else if (schema === "map") {
        const keys = parentSchema["x-kubernetes-list-map-keys"] || [];
        const seen = new Map();
        data.forEach((item, i) => {
          if (!isPlainObject(item)) return;
          const id = JSON.stringify(keys.map((k) => item[k]));
          if (seen.has(id)) {
            errs.push({
              keyword: "x-kubernetes-list-type",
              message: `duplicate entry at index ${i}: same ${keys.join("+")} as index ${seen.get(id)} (list-type: map)`,
              params: { i },
            });
          } else {
            seen.set(id, i);
          }
        });
      }
      listType.errors = errs;
      return errs.length === 0;
    },
  });
  return ajv;
}

// Mutates a (cloned) structural schema in place.
function close(s, { root = false } = {}) {
  if (!isPlainObject(s) || s.__closed) return;
  Object.defineProperty(s, "__closed", { value: true, enumerable: false });
  if (root || s["x-kubernetes-embedded-resource"] === true) {
    s.properties = { ...(s.properties || {}) };
    s.properties.apiVersion ??= { type: "string" };
    s.properties.kind ??= { type: "string" };
    // ObjectMeta is validated on its own; keep any name/generateName restriction.
    s.properties.metadata = { type: "object", ...(s.properties.metadata || {}), "x-kubernetes-preserve-unknown-fields": true };
  }
  for (const key of ["properties", "patternProperties", "definitions"]) {
    if (isPlainObject(s[key])) for (const child of Object.values(s[key])) close(child);
  }
  for (const key of ["items", "additionalProperties", "not", "additionalItems"]) {
    if (isPlainObject(s[key])) close(s[key]);
  }
  if (Array.isArray(s.items)) s.items.forEach((c) => close(c));
  for (const key of ["allOf", "anyOf", "oneOf"]) {
    if (Array.isArray(s[key])) s[key].forEach((c) => close(c));
  }
  if (s.nullable === true) {
    if (typeof s.type === "string") s.type = [s.type, "null"];
    delete s.nullable;
  } else if (s.nullable === false) {
    delete s.nullable;
  }
  const isObject = s.type === "object" || (Array.isArray(s.type) && s.type.includes("object")) || isPlainObject(s.properties);
  if (!isObject) return;
  if (s["x-kubernetes-preserve-unknown-fields"] !== true && s.additionalProperties === undefined) {
    s.additionalProperties = false;
  }
}

export function compileCrdVersion(ajv, crd, versionName) {
  const version = (crd.spec?.versions || []).find((v) => v.name === versionName);
  if (!version) throw new Error(`CRD ${crd.metadata?.name} has no version ${versionName}`);
  const schema = version.schema?.openAPIV3Schema;
  if (!isPlainObject(schema)) throw new Error(`CRD ${crd.metadata?.name} version ${versionName} has no openAPIV3Schema`);
  const copy = structuredClone(schema);
  close(copy, { root: true });
  return ajv.compile(copy);
}

export function readCrdFile(path) {
  const docs = YAML.parseAllDocuments(readFileSync(path, "utf8"));
  const crds = (Array.isArray(docs) ? docs : []).map((d) => d.toJS()).filter((d) => d && d.kind === "CustomResourceDefinition");
  if (crds.length !== 1) throw new Error(`${path}: expected exactly one CustomResourceDefinition, found ${crds.length}`);
  return crds[0];
}

// The API server rejects a CRD whose `default` values do not validate against
// their own schema node, or would be pruned (unknown fields).
let defaultsAjv = null;
export function crdDefaultErrors(crd) {
  defaultsAjv ??= makeAjv();
  const out = [];
  const visit = (s, path) => {
    if (!isPlainObject(s)) return;
    if (s.default !== undefined) {
      const copy = structuredClone(s);
      delete copy.default;
      close(copy);
      let validate;
      try {
        validate = defaultsAjv.compile(copy);
      } catch (e) {
        out.push({ instancePath: path, message: `schema does not compile: ${e.message}` });
        validate = null;
      }
      if (validate && !validate(s.default)) {
        for (const e of validate.errors) {
          const where = e.keyword === "additionalProperties" ? `${e.instancePath}/${e.params.additionalProperty}` : e.instancePath;
          const what = e.keyword === "additionalProperties" ? `unknown field "${e.params.additionalProperty}" (would be pruned)` : e.message;
          out.push({ instancePath: `${path}/default${where}`, message: `default value: ${what}` });
        }
      }
    }
    for (const key of ["properties", "patternProperties"]) {
      if (isPlainObject(s[key])) for (const [k, c] of Object.entries(s[key])) visit(c, `${path}/${key}/${k.replace(/~/g, "~0").replace(/\//g, "~1")}`);
    }
    for (const key of ["items", "additionalProperties"]) if (isPlainObject(s[key])) visit(s[key], `${path}/${key}`);
  };
  (Array.isArray(crd?.spec?.versions) ? crd.spec.versions : []).forEach((v, i) =>
    visit(v?.schema?.openAPIV3Schema, `/spec/versions/${i}/schema/openAPIV3Schema`),
  );
  return out;
}
crdDefaultErrors.ruleName = "customResourceDefinition";
