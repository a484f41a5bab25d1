// Runs a precompiled validator from the kubernetes-models npm packages and, in the
// same pass, finds unknown fields.
//
// The packages ship ajv "standalone" validators generated from the upstream
// OpenAPI / Go types. None of them sets additionalProperties:false, so on their
// own they accept any misspelled field. The API server does not: built-in kinds
// and structural CRDs reject unknown fields under strict field validation
// (kubectl's default since 1.27), and Knative's webhooks decode with
// DisallowUnknownFields.
//
// To close the schemas without re-deriving them, the validator is run on a Proxy
// of the object that records, for every JSON object it visits, which property
// names the validator looked up. A generated validator looks up every property
// its schema declares (present or not), and enumerates the keys only of maps
// (additionalProperties / patternProperties). So after the run:
//   - object whose keys were enumerated          -> a map: any key allowed
//   - object where some names were looked up     -> a struct: every own key that
//                                                   was never looked up is unknown
//   - object never looked into                   -> free-form (or not reached): skipped
export function runModel(validate, data, { allowUnknown } = {}) {
  const records = new WeakMap();

  function wrap(value) {
    if (value === null || typeof value !== "object") return value;
    let entry = records.get(value);
    if (!entry) {
      const rec = { accessed: new Set(), enumerated: false };
      const isArray = Array.isArray(value);
      const proxy = new Proxy(value, {
        get(target, key) {
          if (typeof key === "string" && !isArray) rec.accessed.add(key);
          const v = Reflect.get(target, key, target);
          return typeof key === "string" && Object.prototype.hasOwnProperty.call(target, key) ? wrap(v) : v;
        },
        has(target, key) {
          if (typeof key === "string" && !isArray) rec.accessed.add(key);
          return Reflect.has(target, key);
        },
        ownKeys(target) {
          rec.enumerated = true;
          return Reflect.ownKeys(target);
        },
      });
      entry = { proxy, rec };
      records.set(value, entry);
    }
    return entry.proxy;
  }

  validate(wrap(data));
  const errors = [...(validate.errors || [])];

  const walk = (v, path) => {
    if (v === null || typeof v !== "object") return;
    if (Array.isArray(v)) {
      v.forEach((x, i) => walk(x, `${path}/${i}`));
      return;
    }
    const entry = records.get(v);
    const closed = entry && !entry.rec.enumerated && entry.rec.accessed.size > 0;
    for (const k of Object.keys(v)) {
      const p = `${path}/${escapePointer(k)}`;
      if (closed && !entry.rec.accessed.has(k) && !(allowUnknown && allowUnknown(p, k, v[k], errors))) {
        errors.push({
          instancePath: p,
          keyword: "unknownField",
          params: { field: k },
          message: `unknown field "${k}"`,
        });
      } else {
        walk(v[k], p);
      }
    }
  };
  walk(data, "");
  return errors;
}

export function escapePointer(k) {
  return String(k).replace(/~/g, "~0").replace(/\//g, "~1");
}
