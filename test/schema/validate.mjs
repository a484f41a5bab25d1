#!/usr/bin/env node
// Checks Kubernetes objects (as rendered by `lambdactl render`) against the real
// upstream schemas. See README.md.
//
//   node validate.mjs FILE...        (FILE may be "-" for stdin)
//
// Prints one line per object:
//   ok   <apiVersion> <kind> <namespace>/<name>
//   FAIL <apiVersion> <kind> <namespace>/<name> (<file>#<doc>): <path>: <message> [<source>]; ...
// Exit status: 0 all ok, 1 some object failed, 2 usage / read / parse error.
import { loadFile, InputError } from "./lib/load.mjs";
import { makeChecker, identify } from "./lib/checker.mjs";

const USAGE = `usage: node validate.mjs FILE...

Validates every Kubernetes object in the given files (YAML streams, or JSON: one
object, an array, or a List; "-" reads stdin) against the upstream schemas.
CustomResourceDefinitions among the inputs also define kinds for the other inputs.
Exit status: 0 all ok, 1 some object failed, 2 usage or parse error.`;

async function main(argv) {
  if (argv.includes("-h") || argv.includes("--help")) {
    console.log(USAGE);
    return 0;
  }
  const files = argv.filter((a) => a === "-" || !a.startsWith("-"));
  const badOpts = argv.filter((a) => a !== "-" && a.startsWith("-"));
  if (badOpts.length || files.length === 0) {
    console.error(badOpts.length ? `unknown option: ${badOpts.join(" ")}\n${USAGE}` : USAGE);
    return 2;
  }

  let items = [];
  try {
    for (const f of files) items = items.concat(loadFile(f));
  } catch (e) {
    if (e instanceof InputError) {
      console.error(`error: ${e.message}`);
      return 2;
    }
    throw e;
  }
  if (items.length === 0) {
    console.error("error: no objects found in the input");
    return 2;
  }

  const check = makeChecker(items.map((i) => i.obj));
  let failed = 0;
  for (const { obj, source } of items) {
    const problems = await check(obj);
    if (problems.length === 0) {
      console.log(`ok   ${identify(obj)}`);
    } else {
      failed++;
      const details = problems.map((p) => `${p.path}: ${p.message} [${p.sources.join(", ")}]`);
      console.log(`FAIL ${identify(obj)} (${source}): ${details.join("; ")}`);
    }
  }
  return failed ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    console.error(`error: ${e.stack || e.message}`);
    process.exit(2);
  },
);
