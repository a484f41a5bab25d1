// Guards the unknown-field detection (lib/model.mjs + closed CRD schemas).
//
// For every JSON object inside every object of the given (valid) files, adds a
// field "zzUnknownField" and checks that validation reports it. The only places
// where an extra key is legitimately accepted are maps and free-form objects;
// they are listed in OPEN below. Anything else that goes unreported means the
// strictness broke (e.g. a package upgrade changed its generated code), and this
// script exits 1. Prints "<N> injections, <M> accepted as open, <K> missed".
import { loadFile } from "./lib/load.mjs";
import { makeChecker, identify } from "./lib/checker.mjs";

const OPEN = [
  /\/metadata\/(labels|annotations)$/, // string maps
  /^\/(data|binaryData)$/, // ConfigMap
  /\/(selector|matchLabels|nodeSelector)$/, // label maps
  /\/resources\/(requests|limits)$/, // quantity maps
  /\/filter\/attributes$/, // Trigger filter: map[string]string
  /\/rules\/\d+\/(labels|annotations)$/, // PrometheusRule
  /\/openAPIV3Schema(\/.*)?\/(properties|patternProperties|definitions)$/, // CRD: schema maps
  /\/subresources\/status$/, // CRD: empty struct, typed as a free object by the model
];
// objects whose own schema keeps unknown fields (x-kubernetes-preserve-unknown-fields)
const OPEN_BY_KIND = {
  "lambda.knative.io/v1alpha1/LambdaAgent": [/^\/spec\/model$/, /^\/spec\/triggers\/\d+\/filters$/],
};

const files = process.argv.slice(2);
let items = [];
for (const f of files) items = items.concat(loadFile(f));
const check = makeChecker(items.map((i) => i.obj));

let injections = 0;
let open = 0;
const missed = [];
for (const { obj } of items) {
  const paths = [];
  (function walk(v, p) {
    if (v === null || typeof v !== "object") return;
    if (Array.isArray(v)) return v.forEach((x, i) => walk(x, [...p, i]));
    paths.push(p);
    for (const k of Object.keys(v)) walk(v[k], [...p, k]);
  })(obj, []);
  const extraOpen = OPEN_BY_KIND[`${obj.apiVersion}/${obj.kind}`] || [];
  for (const p of paths) {
    const pointer = p.length ? "/" + p.join("/") : "";
    const copy = structuredClone(obj);
    let node = copy;
    for (const k of p) node = node[k];
    node.zzUnknownField = "x";
    injections++;
    const problems = await check(copy);
    const reported = problems.some((e) => e.path.includes("zzUnknownField") || e.message.includes("zzUnknownField"));
    if (reported) continue;
    if ([...OPEN, ...extraOpen].some((re) => re.test(pointer))) open++;
    else missed.push(`${identify(obj)} ${pointer || "/"}`);
  }
}
console.log(`${injections} injections, ${open} accepted as open, ${missed.length} missed`);
for (const m of missed) console.log(`  missed: ${m}`);
process.exit(missed.length ? 1 : 0);
