// stub-apiserver.mjs: a TEST STAND-IN for a Kubernetes API server, used only by
// test/kubectl/dry-run-test.sh until lambda-agent's own embedded API server exists.
//
// It is NOT an API server. It stores nothing, serves no resources and accepts no writes. It
// speaks just enough of the real protocol, over plain HTTP on 127.0.0.1, for a real kubectl to
// run `kubectl apply|create --dry-run=client --validate=strict` against it:
//
//   GET /version                         version info (kubectl's dispatcher picks its client by it)
//   GET /api, /api/v1                    legacy discovery; core v1 lists no resources
//   GET /apis, /apis/apiextensions.k8s.io legacy discovery: the apiextensions.k8s.io group only
//   GET /apis/apiextensions.k8s.io/v1    APIResourceList: customresourcedefinitions (+ /status)
//   GET /openapi/v3                      OpenAPI v3 index, one entry per file in openapi/
//   GET /openapi/v3/<gv>?hash=<etag>     the UPSTREAM OpenAPI v3 documents, byte for byte as
//                                        stored in openapi/ (see openapi/README.md); kubectl
//                                        reads them to decide whether it or the server validates
//                                        fields (README.md here says what that means)
//   GET <any resource object URL>        404 NotFound metav1.Status (nothing exists here)
//
// Aggregated discovery (Accept: application/json;g=apidiscovery.k8s.io;v=v2...) is not
// implemented: like an API server without it, the stub answers the plain application/json
// alternative that clients list after it, and 406 when a request accepts nothing else.
// Everything else is answered 404 NotFound or 405 MethodNotAllowed with a metav1.Status body
// and logged to stderr as UNSUPPORTED, so that a surprise is visible. Every request is logged
// to stderr, one line each.
//
// Usage: node stub-apiserver.mjs [--openapi-dir DIR] [--git-version vX.Y.Z]
// It listens on 127.0.0.1 on a port the kernel picks and prints that port, alone, as its first
// line on stdout. It exits on SIGTERM or SIGINT, and when its standard input reaches end of
// file (its parent closed the pipe or died), so run it with stdin on a pipe that the parent
// holds open (a bash coproc does that), not on /dev/null.
// Only Node's built-in modules are used; no npm dependencies.

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
function option(name, fallback) {
  const i = args.indexOf(name);
  if (i === -1) return fallback;
  if (i + 1 >= args.length) fail(`${name} needs a value`);
  return args[i + 1];
}
function fail(message) {
  process.stderr.write(`stub-apiserver: ${message}\n`);
  process.exit(2);
}

const openapiDir = option('--openapi-dir', join(dirname(fileURLToPath(import.meta.url)), 'openapi'));
// The version this stand-in claims. The kubectl on the dev machines is a dispatcher that runs
// the client release matching the server's minor version, so this pins kubectl 1.32.
const gitVersion = option('--git-version', 'v1.32.0');
const versionMatch = /^v(\d+)\.(\d+)\.\d+/.exec(gitVersion);
if (!versionMatch) fail(`--git-version ${gitVersion} is not of the form vMAJOR.MINOR.PATCH`);

// OpenAPI v3 documents: openapi/apis__apiextensions.k8s.io__v1_openapi.json is served as
// /openapi/v3/apis/apiextensions.k8s.io/v1, the file naming of kubernetes/api/openapi-spec/v3.
// The hash is what kube-openapi uses: upper-case hex SHA-512 of the bytes served.
const openapiDocs = new Map();
for (const file of readdirSync(openapiDir).sort()) {
  const m = /^(.+)_openapi\.json$/.exec(file);
  if (!m) continue;
  const body = readFileSync(join(openapiDir, file));
  JSON.parse(body.toString('utf8')); // refuse to start on a damaged document
  const gv = m[1].split('__').join('/');
  const etag = createHash('sha512').update(body).digest('hex').toUpperCase();
  openapiDocs.set(gv, { body, etag, file });
}
if (!openapiDocs.has('apis/apiextensions.k8s.io/v1')) {
  fail(`no apis__apiextensions.k8s.io__v1_openapi.json in ${openapiDir}`);
}

// Discovery: what a real kube-apiserver lists for apiextensions.k8s.io/v1, and nothing else.
const groups = {
  'apiextensions.k8s.io': {
    preferred: 'v1',
    versions: {
      v1: [
        {
          name: 'customresourcedefinitions',
          singularName: 'customresourcedefinition',
          namespaced: false,
          kind: 'CustomResourceDefinition',
          verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
          shortNames: ['crd', 'crds'],
          categories: ['api-extensions'],
        },
        {
          name: 'customresourcedefinitions/status',
          singularName: '',
          namespaced: false,
          kind: 'CustomResourceDefinition',
          verbs: ['get', 'patch', 'update'],
        },
      ],
    },
  },
};
const coreResources = []; // core v1 is listed, but the stand-in serves none of its resources

let port = 0;

function status(code, reason, message, details = {}) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, details, code };
}
const notFound = () => status(404, 'NotFound', 'the server could not find the requested resource');

// Accept handling: the media types a request accepts, in its order, parameters kept.
function acceptedTypes(req) {
  const header = req.headers.accept || '*/*';
  return header.split(',').map((part) => {
    const [type, ...params] = part.split(';').map((s) => s.trim());
    const p = {};
    for (const kv of params) {
      const [k, v = ''] = kv.split('=');
      p[k.trim()] = v.trim();
    }
    return { type: type.toLowerCase(), params: p };
  });
}
// Whether plain JSON (no aggregated-discovery or Table "as=" profile) is acceptable.
function acceptsPlainJson(req) {
  return acceptedTypes(req).some(
    (t) => ['application/json', 'application/*', '*/*'].includes(t.type) && !t.params.g && !t.params.as,
  );
}

function send(req, res, code, body, { contentType = 'application/json', headers = {}, note = '' } = {}) {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
  log(req, code, note); // before answering, so a client that has its answer finds it logged
  res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': bytes.length, ...headers });
  res.end(req.method === 'HEAD' ? undefined : bytes);
}
function log(req, code, note = '') {
  const accept = req.headers.accept ? ` accept="${req.headers.accept}"` : '';
  const agent = req.headers['user-agent'] ? ` agent="${req.headers['user-agent']}"` : '';
  process.stderr.write(`stub-apiserver: ${req.method} ${req.url}${accept}${agent} -> ${code}${note ? ` ${note}` : ''}\n`);
}
function unsupported(req, res, code = 404) {
  const body =
    code === 405
      ? status(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource')
      : notFound();
  send(req, res, code, body, { note: 'UNSUPPORTED' });
}

function discovery(req, res, body) {
  if (!acceptsPlainJson(req)) {
    // Only aggregated discovery (or another profile) is acceptable: the stand-in has none.
    send(req, res, 406, status(406, 'NotAcceptable', 'only application/json discovery is served'), {
      note: 'UNSUPPORTED (no aggregated discovery)',
    });
    return;
  }
  send(req, res, 200, body);
}

function resourceList(groupVersion, resources) {
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources };
}

function serveOpenapi(req, res, gv, query) {
  const doc = openapiDocs.get(gv);
  if (!doc) return unsupported(req, res);
  const types = acceptedTypes(req).map((t) => t.type);
  if (!types.some((t) => ['application/json', 'application/*', '*/*'].includes(t))) {
    // kube-openapi also offers protobuf; the stand-in has only the JSON documents.
    send(req, res, 406, Buffer.alloc(0), { contentType: 'text/plain', note: 'UNSUPPORTED (JSON only)' });
    return;
  }
  const hash = query.get('hash');
  if (hash && hash !== doc.etag) {
    const location = `/openapi/v3/${gv}?hash=${doc.etag}`;
    send(req, res, 301, Buffer.alloc(0), { contentType: 'text/plain', headers: { Location: location } });
    return;
  }
  const headers = { ETag: `"${doc.etag}"`, Vary: 'Accept' };
  if (hash) {
    headers['Cache-Control'] = 'public, immutable';
    headers.Expires = new Date(Date.now() + 365 * 24 * 3600 * 1000).toUTCString();
  }
  if (req.headers['if-none-match'] === headers.ETag) {
    log(req, 304);
    res.writeHead(304, headers);
    res.end();
    return;
  }
  send(req, res, 200, doc.body, { headers, note: `(${doc.file}, ${doc.body.length} bytes)` });
}

// GET of a resource object: /api/v1/[namespaces/NS/]RESOURCE/NAME[/SUBRESOURCE] or
// /apis/GROUP/VERSION/[namespaces/NS/]RESOURCE/NAME[/SUBRESOURCE]. Nothing is stored, so a known
// resource answers the NotFound a real server gives for a missing object.
function serveObject(req, res, group, version, rest) {
  const known = group === '' ? (version === 'v1' ? coreResources : null) : groups[group]?.versions[version];
  if (!known) return unsupported(req, res);
  let parts = rest;
  if (parts[0] === 'namespaces' && parts.length >= 3) parts = parts.slice(2);
  const [resource, name] = parts;
  const def = known.find((r) => r.name === resource);
  if (!def || !name || parts.length > 3) return unsupported(req, res);
  const qualified = group ? `${resource}.${group}` : resource;
  const details = { name, kind: resource };
  if (group) details.group = group;
  send(req, res, 404, status(404, 'NotFound', `${qualified} "${name}" not found`, details), {
    note: '(object does not exist: expected)',
  });
}

function handle(req, res) {
  const url = new URL(req.url, 'http://stub');
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const seg = path.split('/').filter(Boolean);

  // Drain any request body; nothing is written here.
  req.resume();
  if (req.method !== 'GET' && req.method !== 'HEAD') return unsupported(req, res, 405);

  if (path === '/version') {
    return send(req, res, 200, {
      major: versionMatch[1],
      minor: versionMatch[2],
      gitVersion,
      gitCommit: '',
      gitTreeState: '',
      buildDate: '',
      goVersion: '',
      compiler: '',
      platform: 'linux/amd64',
    });
  }
  if (path === '/api') {
    return discovery(req, res, {
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `127.0.0.1:${port}` }],
    });
  }
  if (path === '/api/v1') return discovery(req, res, resourceList('v1', coreResources));
  if (path === '/apis') {
    return discovery(req, res, {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: Object.entries(groups).map(([name, g]) => ({
        name,
        versions: Object.keys(g.versions).map((v) => ({ groupVersion: `${name}/${v}`, version: v })),
        preferredVersion: { groupVersion: `${name}/${g.preferred}`, version: g.preferred },
      })),
    });
  }
  if (seg[0] === 'apis' && seg.length === 2 && groups[seg[1]]) {
    const g = groups[seg[1]];
    return discovery(req, res, {
      kind: 'APIGroup',
      apiVersion: 'v1',
      name: seg[1],
      versions: Object.keys(g.versions).map((v) => ({ groupVersion: `${seg[1]}/${v}`, version: v })),
      preferredVersion: { groupVersion: `${seg[1]}/${g.preferred}`, version: g.preferred },
    });
  }
  if (seg[0] === 'apis' && seg.length === 3 && groups[seg[1]]?.versions[seg[2]]) {
    return discovery(req, res, resourceList(`${seg[1]}/${seg[2]}`, groups[seg[1]].versions[seg[2]]));
  }
  if (path === '/openapi/v3') {
    const paths = {};
    for (const [gv, doc] of openapiDocs) paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${doc.etag}` };
    return send(req, res, 200, { paths });
  }
  if (seg[0] === 'openapi' && seg[1] === 'v3' && seg.length > 2) {
    return serveOpenapi(req, res, seg.slice(2).join('/'), url.searchParams);
  }
  if (seg[0] === 'api' && seg.length >= 4) return serveObject(req, res, '', seg[1], seg.slice(2));
  if (seg[0] === 'apis' && seg.length >= 5) return serveObject(req, res, seg[1], seg[2], seg.slice(3));
  return unsupported(req, res);
}

const server = http.createServer((req, res) => {
  try {
    handle(req, res);
  } catch (err) {
    process.stderr.write(`stub-apiserver: ${req.method} ${req.url} failed: ${err.stack}\n`);
    if (!res.headersSent) send(req, res, 500, status(500, 'InternalError', String(err.message)));
  }
});

function shutdown(why) {
  process.stderr.write(`stub-apiserver: exiting (${why})\n`);
  server.close();
  process.exit(0);
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
process.stdin.on('end', () => shutdown('stdin closed'));
process.stdin.on('close', () => shutdown('stdin closed'));
process.stdin.on('error', () => shutdown('stdin error'));
process.stdin.resume();

server.listen(0, '127.0.0.1', () => {
  port = server.address().port;
  process.stdout.write(`${port}\n`);
  const docs = [...openapiDocs.keys()].join(', ');
  process.stderr.write(`stub-apiserver: listening on 127.0.0.1:${port} as ${gitVersion}; OpenAPI v3: ${docs}\n`);
});
