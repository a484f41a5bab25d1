// Checks one object against every schema registered for its apiVersion/kind.
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import localizeEn from "ajv-i18n/localize/en/index.js";
import { runModel, escapePointer } from "./model.mjs";
import { makeAjv, compileCrdVersion, readCrdFile } from "./crd.mjs";
import { KINDS, OBJECT_META, SCHEMA_DIR, MODULES_DIR, kindFromInputCrd } from "./registry.mjs";

const RULE_SOURCE = new Map([
  ["objectMeta", "apiserver"],
  ["configMap", "apiserver"],
  ["coreService", "apiserver"],
  ["customResourceDefinition", "apiserver"],
  ["knativeService", "knative-serving webhook"],
  ["broker", "knative-eventing webhook"],
  ["trigger", "knative-eventing webhook"],
  ["rabbitBroker", "eventing-rabbitmq webhook"],
  ["rabbitTrigger", "eventing-rabbitmq webhook"],
  ["rabbitmqBrokerConfig", "eventing-rabbitmq webhook"],
]);

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

function describe(e) {
  let path = e.instancePath || "";
  let message = e.message;
  if (e.keyword === "additionalProperties" && e.params?.additionalProperty !== undefined) {
    path += "/" + escapePointer(e.params.additionalProperty);
    message = `unknown field "${e.params.additionalProperty}"`;
  } else if (e.keyword === "enum" && Array.isArray(e.params?.allowedValues)) {
    message = `must be one of: ${e.params.allowedValues.map((v) => JSON.stringify(v)).join(", ")}`;
  } else if (e.keyword === "required" && e.params?.missingProperty !== undefined) {
    message = `missing required field "${e.params.missingProperty}"`;
  }
  return { path: path || "/", message };
}

export function identify(obj) {
  const ok = isObject(obj);
  const apiVersion = ok && typeof obj.apiVersion === "string" ? obj.apiVersion : "<no apiVersion>";
  const kind = ok && typeof obj.kind === "string" ? obj.kind : "<no kind>";
  const md = ok && isObject(obj.metadata) ? obj.metadata : {};
  const name = typeof md.name === "string" && md.name ? md.name : "<no name>";
  const ns = typeof md.namespace === "string" && md.namespace ? `${md.namespace}/` : "";
  return `${apiVersion} ${kind} ${ns}${name}`;
}

// inputObjects: every object given on the command line; the CustomResourceDefinitions
// among them add their kinds (never replacing a built-in entry).
export function makeChecker(inputObjects = []) {
  const kinds = { ...KINDS };
  for (const obj of inputObjects) {
    if (obj?.apiVersion !== "apiextensions.k8s.io/v1" || obj?.kind !== "CustomResourceDefinition") continue;
    for (const v of Array.isArray(obj.spec?.versions) ? obj.spec.versions : []) {
      const key = `${obj.spec?.group}/${v?.name}/${obj.spec?.names?.kind}`;
      if (!kinds[key] && isObject(v?.schema?.openAPIV3Schema)) kinds[key] = kindFromInputCrd(obj, v.name);
    }
  }

  const ajv = makeAjv();
  const models = new Map();
  const crds = new Map();
  const loadModel = async (spec) => {
    if (!models.has(spec)) models.set(spec, (await import(pathToFileURL(join(MODULES_DIR, `${spec}.js`)).href)).validate);
    return models.get(spec);
  };
  const loadCrd = (key, crd) => {
    const id = crd.file ? `${crd.file}@${crd.version}` : `${key}@input`;
    if (!crds.has(id)) {
      const def = crd.file ? readCrdFile(join(SCHEMA_DIR, crd.file)) : crd.object;
      let validate;
      try {
        validate = compileCrdVersion(ajv, def, crd.version);
      } catch (e) {
        validate = () => false;
        validate.errors = [{ instancePath: "", message: `cannot compile the schema of ${def.metadata?.name} ${crd.version}: ${e.message}` }];
      }
      crds.set(id, validate);
    }
    return crds.get(id);
  };

  // Returns [{ path, message, sources: [..] }]; empty when the object is valid.
  return async function check(obj) {
    const found = new Map();
    const add = (errors, source) => {
      const bare = errors.filter((e) => !e.message);
      if (bare.length) localizeEn(bare);
      for (const e of errors) {
        const { path, message } = describe(e);
        const k = `${path}\u0000${message}`;
        if (!found.has(k)) found.set(k, { path, message, sources: [] });
        if (!found.get(k).sources.includes(source)) found.get(k).sources.push(source);
      }
    };

    const def = isObject(obj) ? kinds[`${obj.apiVersion}/${obj.kind}`] : undefined;
    if (!isObject(obj)) {
      add([{ instancePath: "", message: "document is not a JSON object" }], "input");
    } else if (!def) {
      add([{ instancePath: "", message: `no schema is known for ${obj.apiVersion} ${obj.kind}: refusing an object that nobody can check` }], "registry");
    } else {
      if (def.model) {
        const errors = runModel(await loadModel(def.model), obj, { allowUnknown: def.allowUnknown });
        add(
          errors.filter((e) => !(def.ignoreModelError && def.ignoreModelError(e, obj))),
          def.model.split("/_schemas/")[0],
        );
        for (const n of def.nested ? def.nested(obj) : []) {
          const allowUnknown = def.allowUnknown && ((p, k, v, errs) => def.allowUnknown(n.path + p, k, v, errs));
          const nestedErrors = runModel(await loadModel(n.model), n.value, { allowUnknown })
            .map((e) => ({ ...e, instancePath: n.path + e.instancePath }))
            .filter((e) => !(def.ignoreModelError && def.ignoreModelError(e, obj)));
          add(nestedErrors, n.model.split("/_schemas/")[0]);
        }
      }
      if (def.meta && obj.metadata !== undefined) {
        const errors = runModel(await loadModel(OBJECT_META), obj.metadata);
        add(errors.map((e) => ({ ...e, instancePath: `/metadata${e.instancePath}` })), "@kubernetes-models/apimachinery");
      }
      if (def.crd) {
        const validate = loadCrd(`${obj.apiVersion}/${obj.kind}`, def.crd);
        validate(obj);
        add(validate.errors || [], def.crd.file ? `CRD ${def.crd.file.replace(/\.crd\.yaml$/, "")}` : "CRD from input");
      }
      for (const rule of def.rules || []) add(rule(obj), RULE_SOURCE.get(rule.ruleName) || "rule");
    }
    return [...found.values()];
  };
}
