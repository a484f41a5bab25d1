// Reads input files into a flat list of Kubernetes objects.
//
// Accepted input (decided by the first non-blank character):
//   - JSON: one object, an array of objects, or {"kind":"List","items":[...]}
//   - YAML: a stream of documents ("---" separated); each document may itself be
//     an object, an array, or a List. Empty documents are skipped.
//
// YAML is read with YAML 1.1 rules because kubectl / the API server decode YAML
// with sigs.k8s.io/yaml (go-yaml v2, YAML 1.1): unquoted yes/no/on/off are
// booleans and 0777 is octal there, so a renderer that leaves them unquoted
// produces a boolean, not a string. Timestamps are kept as strings (as go-yaml
// does when decoding into interface{}). Duplicate keys are a parse error.
import { readFileSync } from "node:fs";
import YAML from "yaml";

export class InputError extends Error {}

const yamlOptions = {
  version: "1.1",
  uniqueKeys: true,
  strict: true,
  prettyErrors: true,
  customTags: (tags) => tags.filter((t) => t.tag !== "tag:yaml.org,2002:timestamp"),
};

export function isList(v) {
  return (
    v !== null &&
    typeof v === "object" &&
    !Array.isArray(v) &&
    typeof v.kind === "string" &&
    v.kind.endsWith("List") &&
    Array.isArray(v.items)
  );
}

function flatten(value, source, out) {
  if (Array.isArray(value)) {
    value.forEach((v, i) => flatten(v, `${source}[${i}]`, out));
  } else if (isList(value)) {
    value.items.forEach((v, i) => flatten(v, `${source}.items[${i}]`, out));
  } else {
    out.push({ obj: value, source });
  }
}

export function loadFile(file) {
  let text;
  try {
    text = readFileSync(file === "-" ? 0 : file, "utf8");
  } catch (e) {
    throw new InputError(`${file}: cannot read: ${e.message}`);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const out = [];
  const first = text.trimStart()[0];
  if (first === "{" || first === "[") {
    let value;
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new InputError(`${file}: invalid JSON: ${e.message}`);
    }
    flatten(value, `${file}`, out);
    return out;
  }
  const docs = YAML.parseAllDocuments(text, yamlOptions);
  // parseAllDocuments returns an EmptyStream (not an array) for empty input
  const list = Array.isArray(docs) ? docs : [];
  list.forEach((doc, i) => {
    if (doc.errors.length > 0) {
      throw new InputError(`${file}: YAML document ${i + 1}: ${doc.errors.map((e) => e.message).join("; ")}`);
    }
    let value;
    try {
      value = doc.toJS({ maxAliasCount: 1000 });
    } catch (e) {
      throw new InputError(`${file}: YAML document ${i + 1}: ${e.message}`);
    }
    if (value === null || value === undefined) return; // empty document
    flatten(value, `${file}#${i + 1}`, out);
  });
  return out;
}
