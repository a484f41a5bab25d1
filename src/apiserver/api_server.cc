#include "apiserver/api_server.h"

#include <boost/json.hpp>
#include <random>

#include "apiserver/api_server_internal.h"
#include "apiserver/builtin_resources.h"
#include "apiserver/object_meta.h"
#include "apiserver/watch.h"

namespace lambda::apiserver {
namespace json = boost::json;

namespace {
std::string random_token() {
  static constexpr std::string_view kAlphabet =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::random_device rd;
  std::string out;
  for (int i = 0; i < 40; ++i) out.push_back(kAlphabet[rd() % kAlphabet.size()]);
  return out;
}

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  while (!path.empty()) {
    auto slash = path.find('/');
    auto part = path.substr(0, slash);
    if (!part.empty()) parts.push_back(part);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}

bool constant_time_equals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

json::object version_info(const std::string& git_version) {
  std::string major = "1", minor = "32";
  if (git_version.size() > 1 && git_version[0] == 'v') {
    auto dot = git_version.find('.');
    auto dot2 = git_version.find('.', dot + 1);
    if (dot != std::string::npos) {
      major = git_version.substr(1, dot - 1);
      minor = git_version.substr(dot + 1,
                                 dot2 == std::string::npos ? std::string::npos : dot2 - dot - 1);
    }
  }
  return {{"major", major},
          {"minor", minor},
          {"gitVersion", git_version},
          {"gitCommit", "lambda-apiserver"},
          {"gitTreeState", "clean"},
          {"buildDate", "2026-01-01T00:00:00Z"},
          {"goVersion", "n/a (lambda-apiserver, C++)"},
          {"compiler", "gc"},
          {"platform", "linux/amd64"}};
}

json::object group_version_entry(const std::string& group, const std::string& version) {
  return {{"groupVersion", group + "/" + version}, {"version", version}};
}

json::object api_group(const GroupVersions& g) {
  json::array versions;
  for (const auto& v : g.versions) versions.push_back(group_version_entry(g.group, v));
  return {{"name", g.group},
          {"versions", std::move(versions)},
          {"preferredVersion", group_version_entry(g.group, g.versions.front())}};
}

json::value resource_list(const ResourceRegistry& registry, const std::string& group,
                          const std::string& version) {
  json::array resources;
  for (const auto& t : registry.resources(group, version)) {
    json::array verbs{"create", "delete", "deletecollection", "get",
                      "list",   "patch",  "update",           "watch"};
    json::object r{{"name", t->resource},
                   {"singularName", t->singular},
                   {"namespaced", t->namespaced},
                   {"kind", t->kind},
                   {"verbs", verbs}};
    if (!t->short_names.empty()) {
      json::array s;
      for (const auto& n : t->short_names) s.push_back(json::value(n));
      r["shortNames"] = std::move(s);
    }
    if (!t->categories.empty()) {
      json::array c;
      for (const auto& n : t->categories) c.push_back(json::value(n));
      r["categories"] = std::move(c);
    }
    resources.push_back(std::move(r));
    if (t->status_subresource)
      resources.push_back(json::object{{"name", t->resource + "/status"},
                                       {"singularName", ""},
                                       {"namespaced", t->namespaced},
                                       {"kind", t->kind},
                                       {"verbs", json::array{"get", "patch", "update"}}});
  }
  return json::object{{"kind", "APIResourceList"},
                      {"apiVersion", "v1"},
                      {"groupVersion", group.empty() ? version : group + "/" + version},
                      {"resources", std::move(resources)}};
}

http::Response text_response(int code, std::string body) {
  http::Response r;
  r.status = code;
  r.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.body = std::move(body);
  return r;
}

std::string metrics_verb(const http::Request& req, const RequestInfo& info) {
  if (info.verb == "list") return "LIST";
  if (info.verb == "watch") return "WATCH";
  if (info.verb == "deletecollection") return "DELETE";
  if (req.method == "PATCH") {
    auto ct = http::find_header(req.headers, "Content-Type");
    if (ct && ct->starts_with("application/apply-patch")) return "APPLY";
  }
  return req.method;
}
}  // namespace

http::Response json_response(int code, const json::value& body) {
  http::Response r;
  r.status = code;
  r.headers.emplace_back("Content-Type", "application/json");
  r.headers.emplace_back("Cache-Control", "no-cache, private");
  r.body = json::serialize(body);
  return r;
}

http::Response status_response(const kube::Status& status) {
  return json_response(status.code, status.to_json());
}

Negotiated negotiate(const http::Request& req) {
  Negotiated n;
  auto accept = http::find_header(req.headers, "Accept");
  if (!accept || accept->empty()) return n;
  n.acceptable = false;
  std::string_view rest = *accept;
  while (!rest.empty()) {
    auto comma = rest.find(',');
    std::string_view part = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    auto semi = part.find(';');
    std::string_view media = part.substr(0, semi);
    while (!media.empty() && media.front() == ' ') media.remove_prefix(1);
    while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
    std::string params(semi == std::string_view::npos ? std::string_view() : part.substr(semi));
    params.erase(std::remove(params.begin(), params.end(), ' '), params.end());
    bool json_like = media == "application/json" || media == "*/*" || media == "application/*" ||
                     media == "application/yaml";
    if (!json_like) continue;
    if (params.find("as=Table") != std::string::npos) {
      if (params.find("g=meta.k8s.io") != std::string::npos) {
        n.table = true;
        n.acceptable = true;
        return n;
      }
      continue;
    }
    if (params.find("as=") != std::string::npos) continue;  // another profile (discovery v2)
    n.acceptable = true;
    return n;
  }
  return n;
}

namespace {
// Prometheus label values: backslash, quote and newline escaped. Unknown resources are counted
// under one name so that a client probing paths cannot grow the metric without bound.
std::string label(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}
}  // namespace

void RequestMetrics::count(const RequestInfo& info, int code) {
  // verb is carried in info.verb as the metric verb by the caller.
  bool known = !info.resource_request || info.type;
  std::string labels = "code=\"" + std::to_string(code) + "\",component=\"apiserver\",group=\"" +
                       (known ? label(info.group) : "") + "\",resource=\"" +
                       (known ? label(info.resource) : "unknown") + "\",scope=\"" +
                       (!info.resource_request         ? ""
                        : !info.name.empty()           ? "resource"
                        : !info.namespace_name.empty() ? "namespace"
                                                       : "cluster") +
                       "\",subresource=\"" + (known ? label(info.subresource) : "") + "\",verb=\"" +
                       label(info.verb) + "\",version=\"" + (known ? label(info.version) : "") +
                       "\"";
  std::lock_guard lock(mutex_);
  ++counts_[labels];
}

std::string RequestMetrics::exposition() const {
  std::string out =
      "# HELP apiserver_request_total Counter of apiserver requests broken out for each verb, "
      "dry run value, group, version, resource, scope, component, and HTTP response code.\n"
      "# TYPE apiserver_request_total counter\n";
  std::lock_guard lock(mutex_);
  for (const auto& [labels, n] : counts_)
    out += "apiserver_request_total{" + labels + "} " + std::to_string(n) + "\n";
  return out;
}

std::string ContinueCache::put(std::string scope, std::shared_ptr<const ListSnapshot> snapshot) {
  std::lock_guard lock(mutex_);
  auto now = std::chrono::steady_clock::now();
  std::erase_if(entries_, [&](const auto& e) { return e.second.expires < now; });
  while (entries_.size() >= kMaxEntries)
    entries_.erase(entries_.begin());  // ids grow: oldest first
  std::string id = std::to_string(next_++);
  entries_[id] = {std::move(scope), std::move(snapshot), now + ttl_};
  return id;
}

std::shared_ptr<const ListSnapshot> ContinueCache::get(const std::string& id,
                                                       const std::string& scope) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(id);
  if (it == entries_.end() || it->second.expires < std::chrono::steady_clock::now() ||
      it->second.scope != scope)
    return nullptr;
  return it->second.snapshot;
}

WorkerPool::WorkerPool(int threads) {
  for (int i = 0; i < threads; ++i)
    threads_.emplace_back([this] {
      for (;;) {
        std::function<void()> task;
        {
          std::unique_lock lock(mutex_);
          wake_.wait(lock, [&] { return stop_ || !tasks_.empty(); });
          if (tasks_.empty()) return;
          task = std::move(tasks_.front());
          tasks_.pop_front();
        }
        try {
          task();
        } catch (const std::exception&) {
          // A task answers its own request; one that throws leaves it to the server's close.
        }
      }
    });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_) t.join();
}

void WorkerPool::post(std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    tasks_.push_back(std::move(task));
  }
  wake_.notify_one();
}

ApiServer::Impl::~Impl() { shutdown(); }

void ApiServer::Impl::shutdown() {
  if (stopping.exchange(true)) return;
  if (watches) watches->stop_all();
  if (admission) admission->shutdown();  // a slow webhook must not hold up the stop
  if (http) http->stop(std::chrono::seconds(2));
  workers.reset();                   // runs what was queued (answers go nowhere now) and joins
  if (watches) watches->stop_all();  // any watch a worker started meanwhile
  {
    std::lock_guard lock(controller_mutex);
    controller_stop = true;
  }
  controller_wake.notify_all();
  if (controller_thread.joinable()) controller_thread.join();
}

void ApiServer::Impl::answer(const std::shared_ptr<http::Exchange>& exchange,
                             const RequestInfo& info, Result result) {
  RequestInfo counted = info;
  counted.verb = metrics_verb(exchange->request(), info);
  if (!result) {
    metrics.count(counted, result.error().code);
    exchange->respond(status_response(result.error()));
    return;
  }
  metrics.count(counted, result->code);
  http::Response response;
  if (result->raw_body.empty()) {
    response = json_response(result->code, result->body);
  } else {
    response.status = result->code;
    response.headers.emplace_back("Content-Type", "application/json");
    response.headers.emplace_back("Cache-Control", "no-cache, private");
    response.body = std::move(result->raw_body);
  }
  for (const auto& w : result->warnings) {
    // Warnings quote user input (unknown field names): control characters would break the
    // header, so they become spaces.
    std::string escaped;
    for (char c : w) {
      if (c == '"' || c == '\\') escaped.push_back('\\');
      escaped.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? ' ' : c);
    }
    response.headers.emplace_back("Warning", "299 - \"" + escaped + "\"");
  }
  exchange->respond(std::move(response));
}

void ApiServer::Impl::handle(const std::shared_ptr<http::Exchange>& exchange) {
  const auto& req = exchange->request();
  auto target = http::split_target(req.target);
  const std::string& path = target.path;
  RequestInfo info;

  auto reply = [&](http::Response r) {
    info.verb = req.method;
    metrics.count(info, r.status);
    exchange->respond(std::move(r));
  };

  // Health and version are public, as kube-apiserver's default RBAC makes them.
  if (path == "/healthz" || path == "/livez" || path == "/readyz") {
    if (stopping && path == "/readyz") return reply(text_response(500, "shutting down\n"));
    if (http::query_value(target.query, "verbose"))
      return reply(text_response(200, "[+]ping ok\n[+]etcd ok\nhealthz check passed\n"));
    return reply(text_response(200, "ok"));
  }
  if (path == "/version") return reply(json_response(200, version_info(options.git_version)));

  bool authenticated = exchange->peer().has_value();
  if (auto auth = http::find_header(req.headers, "Authorization"); auth && !authenticated) {
    constexpr std::string_view kBearer = "Bearer ";
    if (auth->size() > kBearer.size() && auth->substr(0, kBearer.size()) == kBearer)
      authenticated = constant_time_equals(auth->substr(kBearer.size()), token);
  }
  if (!authenticated) return reply(status_response(kube::unauthorized()));

  if (path == "/metrics") {
    std::string body = metrics.exposition();
    body +=
        "# HELP apiserver_storage_objects Number of stored objects.\n"
        "# TYPE apiserver_storage_objects gauge\napiserver_storage_objects " +
        std::to_string(store->object_count()) +
        "\n# HELP apiserver_registered_watchers Number of currently registered watchers.\n"
        "# TYPE apiserver_registered_watchers gauge\napiserver_registered_watchers " +
        std::to_string(store->watcher_count()) + "\n";
    auto r = text_response(200, std::move(body));
    http::set_header(r.headers, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    return reply(std::move(r));
  }

  auto parts = split_path(path);
  if (parts.empty()) {
    json::array paths{"/api",     "/api/v1",     "/apis",   "/healthz", "/livez",
                      "/metrics", "/openapi/v3", "/readyz", "/version"};
    return reply(json_response(200, json::object{{"paths", paths}}));
  }

  if (path == "/openapi/v2") {
    // JSON only: kubectl asks for the protobuf form first and accepts JSON after it.
    auto accept = http::find_header(req.headers, "Accept").value_or("application/json");
    if (accept.find("json") == std::string_view::npos &&
        accept.find("*/*") == std::string_view::npos) {
      kube::Status s;
      s.code = 406;
      s.reason = std::string(kube::reason::kNotAcceptable);
      s.message = "only application/json is served for /openapi/v2";
      return reply(status_response(s));
    }
    http::Response r;
    r.status = 200;
    r.headers.emplace_back("Content-Type", "application/json");
    r.body = openapi_v2_document();
    return reply(std::move(r));
  }
  if (parts[0] == "openapi") {
    if (parts.size() == 2 && parts[1] == "v3") return reply(json_response(200, openapi_v3_index()));
    if (parts.size() >= 3 && parts[1] == "v3") {
      std::string gv = path.substr(std::string_view("/openapi/v3/").size());
      auto doc = openapi_v3_document(gv);
      if (!doc) return reply(status_response(kube::not_found("", "openapi", gv)));
      std::string hash = doc->second;
      auto requested = http::query_value(target.query, "hash");
      if (requested && *requested != hash) {
        http::Response r;
        r.status = 301;
        r.headers.emplace_back("Location", "/openapi/v3/" + gv + "?hash=" + hash);
        return reply(std::move(r));
      }
      http::Response r;
      r.status = 200;
      r.headers.emplace_back("Content-Type", "application/json");
      r.headers.emplace_back("ETag", "\"" + hash + "\"");
      r.headers.emplace_back("Vary", "Accept");
      if (requested) r.headers.emplace_back("Cache-Control", "public, immutable");
      if (auto inm = http::find_header(req.headers, "If-None-Match");
          inm && *inm == "\"" + hash + "\"") {
        r.status = 304;
        return reply(std::move(r));
      }
      r.body = std::move(doc->first);
      return reply(std::move(r));
    }
    return reply(status_response(kube::not_found("", "openapi", path)));
  }

  bool core = parts[0] == "api";
  if (!core && parts[0] != "apis") return reply(status_response(kube::not_found("", "", path)));

  if (core && parts.size() == 1) {
    return reply(json_response(
        200,
        json::object{{"kind", "APIVersions"},
                     {"versions", json::array{"v1"}},
                     {"serverAddressByClientCIDRs",
                      json::array{json::object{
                          {"clientCIDR", "0.0.0.0/0"},
                          {"serverAddress", options.address + ":" + std::to_string(port)}}}}}));
  }
  if (!core && parts.size() == 1) {
    json::array groups;
    for (const auto& g : registry.groups()) groups.push_back(api_group(g));
    return reply(json_response(
        200, json::object{{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", groups}}));
  }
  if (!core && parts.size() == 2) {
    for (const auto& g : registry.groups())
      if (g.group == parts[1]) {
        auto body = api_group(g);
        body["kind"] = "APIGroup";
        body["apiVersion"] = "v1";
        return reply(json_response(200, body));
      }
    return reply(status_response(kube::not_found("", "", path)));
  }

  info.group = core ? "" : std::string(parts[1]);
  info.version = std::string(parts[core ? 1 : 2]);
  std::size_t i = core ? 2 : 3;
  if (core && info.version != "v1") return reply(status_response(kube::not_found("", "", path)));
  if (parts.size() == i) {
    if (registry.resources(info.group, info.version).empty())
      return reply(status_response(kube::not_found("", "", path)));
    return reply(json_response(200, resource_list(registry, info.group, info.version)));
  }

  // [namespaces/NS/]RESOURCE[/NAME[/SUBRESOURCE]], where namespaces/NS may also be the
  // Namespace object itself (namespaces/NS[/status|finalize]).
  std::vector<std::string> rest(parts.begin() + static_cast<long>(i), parts.end());
  if (rest[0] == "namespaces" && rest.size() >= 3 &&
      registry.find(info.group, info.version, rest[2])) {
    info.namespace_name = rest[1];
    rest.erase(rest.begin(), rest.begin() + 2);
  }
  info.resource = rest[0];
  if (rest.size() >= 2) info.name = rest[1];
  if (rest.size() >= 3) info.subresource = rest[2];
  if (rest.size() > 3) return reply(status_response(kube::not_found("", "", path)));
  info.resource_request = true;
  info.type = registry.find(info.group, info.version, info.resource);
  if (!info.type) {
    info.verb = req.method;
    return reply(status_response(kube::not_found(info.group, info.resource, info.name)));
  }
  if (!info.subresource.empty() &&
      !(info.subresource == "status" && info.type->status_subresource) &&
      !(info.subresource == "finalize" && info.resource == "namespaces")) {
    return reply(status_response(
        kube::not_found(info.group, info.resource + "/" + info.subresource, info.name)));
  }
  if (!info.namespace_name.empty() && !info.type->namespaced)
    return reply(status_response(kube::not_found(info.group, info.resource, info.name)));

  auto negotiated = negotiate(req);
  if (!negotiated.acceptable) {
    kube::Status s;
    s.code = 406;
    s.reason = std::string(kube::reason::kNotAcceptable);
    s.message = "only the following media types are accepted: application/json, application/yaml";
    return reply(status_response(s));
  }

  // Resource requests may block (admission webhooks, fdatasync): they run on the worker pool,
  // never on the I/O threads, which keep serving health checks and flushing watches.
  workers->post([this, exchange, info, query = target.query, table = negotiated.table] {
    serve_resource(exchange, info, query, table);
  });
}

void ApiServer::Impl::serve_resource(const std::shared_ptr<http::Exchange>& exchange,
                                     RequestInfo info, const std::string& query, bool table) {
  const auto& req = exchange->request();
  auto reply = [&](http::Response r) {
    RequestInfo counted = info;
    counted.verb = req.method;
    metrics.count(counted, r.status);
    exchange->respond(std::move(r));
  };
  const std::string& m = req.method;
  bool watch_param = false;
  if (auto w = http::query_value(query, "watch")) watch_param = *w == "true" || *w == "1";
  if ((m == "GET" || m == "HEAD") && info.name.empty()) {
    if (watch_param) {
      info.verb = "watch";
      RequestInfo counted = info;
      counted.verb = "WATCH";
      metrics.count(counted, 200);
      watches->start(exchange, info, query, table);
      return;
    }
    info.verb = "list";
    return answer(exchange, info, list(info, req, query));
  }
  if (m == "GET" || m == "HEAD") {
    info.verb = "get";
    return answer(exchange, info, get(info, req, query));
  }
  if (m == "POST" && info.name.empty()) {
    info.verb = "create";
    return answer(exchange, info, create(info, req, query));
  }
  if (m == "PUT" && !info.name.empty()) {
    info.verb = "update";
    return answer(exchange, info, update(info, req, query));
  }
  if (m == "PATCH" && !info.name.empty()) {
    info.verb = "patch";
    return answer(exchange, info, patch(info, req, query));
  }
  if (m == "DELETE" && !info.subresource.empty()) {
    info.verb = "delete";
    return reply(status_response(kube::method_not_allowed(
        "the server does not allow this method on the requested resource")));
  }
  if (m == "DELETE" && !info.name.empty()) {
    info.verb = "delete";
    return answer(exchange, info, remove(info, req, query));
  }
  if (m == "DELETE") {
    info.verb = "deletecollection";
    return answer(exchange, info, remove_collection(info, req, query));
  }
  info.verb = m;
  reply(status_response(
      kube::method_not_allowed("the server does not allow this method on the requested resource")));
}

ApiServer::ApiServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ApiServer::~ApiServer() { stop(); }

tl::expected<std::unique_ptr<ApiServer>, std::string> ApiServer::start(ApiServerOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->token = options.token.empty() ? random_token() : options.token;
  ObjectStore::Options store_options;
  store_options.data_dir = options.data_dir;
  store_options.history_limit = options.watch_history;
  auto store = ObjectStore::open(store_options);
  if (!store) return tl::unexpected("storage: " + store.error());
  impl->store = std::move(*store);
  impl->admission = std::make_unique<AdmissionChain>(*impl->store);
  impl->continues = std::make_unique<ContinueCache>(options.continue_ttl);
  register_builtin_resources(impl->registry);
  impl->register_stored_crds();

  // The built-in namespaces every cluster has.
  for (const char* ns : {"default", "kube-system", "kube-public", "kube-node-lease"}) {
    ObjectKey key{"/namespaces", "", ns};
    if (impl->store->get(key)) continue;
    json::value obj =
        json::object{{"apiVersion", "v1"},
                     {"kind", "Namespace"},
                     {"metadata",
                      {{"name", ns},
                       {"uid", new_uid()},
                       {"creationTimestamp", rfc3339(std::chrono::system_clock::now())},
                       {"labels", {{"kubernetes.io/metadata.name", ns}}}}},
                     {"spec", {{"finalizers", json::array{"kubernetes"}}}},
                     {"status", {{"phase", "Active"}}}};
    impl->store->create(key, std::move(obj));
  }

  http::ServerOptions server_options;
  server_options.address = options.address;
  server_options.port = options.port;
  server_options.threads = options.threads;
  // A watch's initial state is queued before the client reads any of it: 10,000 objects of a
  // few KiB must fit, or the client would retry the same oversized start for ever.
  server_options.max_stream_buffer_bytes = 256u * 1024 * 1024;
  if (options.tls) {
    auto ca = http::create_certificate_authority("lambda-apiserver-ca");
    if (!ca) return tl::unexpected("certificate authority: " + ca.error());
    http::CertificateRequest cert_request;
    cert_request.common_name = "lambda-apiserver";
    cert_request.dns_names = {"localhost", "kubernetes", "kubernetes.default",
                              "kubernetes.default.svc"};
    cert_request.ip_addresses = {"127.0.0.1"};
    if (options.address != "127.0.0.1" && options.address != "localhost" &&
        options.address != "0.0.0.0")
      cert_request.ip_addresses.push_back(options.address);
    auto cert = http::issue_certificate(*ca, cert_request);
    if (!cert) return tl::unexpected("serving certificate: " + cert.error());
    server_options.tls = http::ServerTls{cert->cert_pem, cert->key_pem, ca->cert_pem};
    impl->ca = std::move(*ca);
  }
  Impl* raw = impl.get();
  impl->watches = std::make_unique<WatchHub>(*raw);
  impl->workers = std::make_unique<WorkerPool>(std::max(2, options.worker_threads));
  auto server = http::Server::start(server_options,
                                    [raw](std::shared_ptr<http::Exchange> ex) { raw->handle(ex); });
  if (!server) return tl::unexpected(server.error());
  impl->http = std::move(*server);
  impl->port = impl->http->port();
  impl->start_controllers();
  return std::unique_ptr<ApiServer>(new ApiServer(std::move(impl)));
}

std::uint16_t ApiServer::port() const { return impl_->port; }

std::string ApiServer::url() const {
  return std::string(impl_->options.tls ? "https://" : "http://") + impl_->options.address + ":" +
         std::to_string(port());
}

const std::string& ApiServer::ca_pem() const {
  static const std::string kNone;
  return impl_->ca ? impl_->ca->cert_pem : kNone;
}

const std::string& ApiServer::token() const { return impl_->token; }

kube::ClusterConnection ApiServer::connection(const std::string& context_name) const {
  kube::ClusterConnection c;
  c.server = url();
  c.ca_pem = ca_pem();
  c.bearer_token = impl_->token;
  c.context_name = context_name;
  c.namespace_name = "default";
  c.source = "lambda-apiserver";
  return c;
}

tl::expected<void, std::string> ApiServer::write_kubeconfig(const std::string& path,
                                                            const std::string& context_name) const {
  kube::KubeconfigToWrite out;
  out.path = path;
  out.connection = connection(context_name);
  out.context_name = context_name;
  return kube::write_kubeconfig(out);
}

tl::expected<std::pair<std::string, std::string>, std::string> ApiServer::issue_client_certificate(
    const std::string& user) const {
  if (!impl_->ca) return tl::unexpected(std::string("the server runs without TLS"));
  http::CertificateRequest req;
  req.common_name = user;
  req.server_auth = false;
  req.client_auth = true;
  auto cert = http::issue_certificate(*impl_->ca, req);
  if (!cert) return tl::unexpected(cert.error());
  return std::make_pair(cert->cert_pem, cert->key_pem);
}

ObjectStore& ApiServer::store() { return *impl_->store; }
ResourceRegistry& ApiServer::registry() { return impl_->registry; }

void ApiServer::stop() { impl_->shutdown(); }

}  // namespace lambda::apiserver
