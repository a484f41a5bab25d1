#include "kube/client.h"

#include <boost/json.hpp>

#include "common/base64.h"
#include "common/json_yaml.h"

namespace lambda::kube {
namespace json = boost::json;

namespace {
Status transport_error(const http::ClientError& e) {
  Status s;
  s.code = 0;
  s.reason = std::string(reason::kTransport);
  s.message = std::string(http::to_string(e.kind)) + ": " + e.message;
  return s;
}

void add_query(std::string& target, std::string_view name, std::string_view value) {
  if (value.empty()) return;
  target += target.find('?') == std::string::npos ? '?' : '&';
  target += name;
  target += '=';
  target += http::percent_encode(value);
}

std::string meta_field(const json::value& object, std::string_view key) {
  if (!object.is_object()) return {};
  auto* meta = object.get_object().if_contains("metadata");
  if (!meta || !meta->is_object()) return {};
  auto* v = meta->get_object().if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}
}  // namespace

std::string WatchEvent::resource_version() const { return meta_field(object, "resourceVersion"); }

tl::expected<std::unique_ptr<Client>, std::string> Client::create(const ClusterConnection& c,
                                                                  ClientOptions options) {
  std::unique_ptr<Client> client(new Client());
  client->options_ = options;
  http::ClientOptions ho;
  ho.base_url = c.server;
  ho.request_timeout = options.timeout;
  if (c.server.starts_with("https://")) {
    http::ClientTls tls;
    tls.ca_pem = c.ca_pem;
    tls.insecure_skip_verify = c.insecure_skip_tls_verify;
    tls.client_cert_pem = c.client_cert_pem;
    tls.client_key_pem = c.client_key_pem;
    tls.server_name = c.tls_server_name;
    ho.tls = tls;
  }
  auto http_client = http::Client::create(ho);
  if (!http_client) return tl::unexpected(http_client.error());
  client->http_ = std::move(*http_client);
  if (!c.bearer_token.empty() || !c.bearer_token_file.empty())
    client->token_ = std::make_unique<BearerToken>(c);
  if (!c.username.empty())
    client->basic_auth_ = "Basic " + common::base64_encode(c.username + ":" + c.password);
  client->limiter_ = std::make_unique<RateLimiter>(options.qps, options.burst);
  return client;
}

Client::~Client() = default;

std::size_t Client::connections_opened() const { return http_->connections_opened(); }

std::string Client::path_for(const ResourceRef& ref, std::string_view ns, std::string_view name,
                             std::string_view subresource) const {
  std::string path =
      ref.group.empty() ? "/api/" + ref.version : "/apis/" + ref.group + "/" + ref.version;
  if (ref.namespaced && !ns.empty()) path += "/namespaces/" + http::percent_encode(ns);
  path += "/" + ref.resource;
  if (!name.empty()) path += "/" + http::percent_encode(name);
  if (!subresource.empty()) path += "/" + std::string(subresource);
  return path;
}

http::Request Client::prepare(std::string method, std::string target, std::string body,
                              std::string content_type) {
  http::Request req;
  req.method = std::move(method);
  req.target = std::move(target);
  req.body = std::move(body);
  req.headers.emplace_back("Accept", "application/json");
  req.headers.emplace_back("User-Agent", options_.user_agent);
  if (!content_type.empty()) req.headers.emplace_back("Content-Type", std::move(content_type));
  if (token_) {
    auto token = token_->current();
    if (!token.empty()) req.headers.emplace_back("Authorization", "Bearer " + token);
  } else if (!basic_auth_.empty()) {
    req.headers.emplace_back("Authorization", basic_auth_);
  }
  return req;
}

Result<http::Response> Client::request(std::string method, std::string target, std::string body,
                                       std::string content_type) {
  limiter_->wait();
  auto response = http_->send(
      prepare(std::move(method), std::move(target), std::move(body), std::move(content_type)));
  if (!response) return tl::unexpected(transport_error(response.error()));
  if (response->status < 200 || response->status > 299)
    return tl::unexpected(Status::from_response(response->status, response->body));
  return std::move(*response);
}

Result<json::value> Client::json_request(std::string method, std::string target, std::string body,
                                         std::string content_type) {
  auto response =
      request(std::move(method), std::move(target), std::move(body), std::move(content_type));
  if (!response) return tl::unexpected(response.error());
  auto parsed = common::parse_json(response->body);
  if (!parsed)
    return tl::unexpected(Status::from_response(
        500, "the server sent a body that is not JSON: " + response->body.substr(0, 200)));
  return std::move(*parsed);
}

Result<json::value> Client::get(const ResourceRef& ref, std::string_view ns, std::string_view name,
                                std::string_view subresource) {
  return json_request("GET", path_for(ref, ns, name, subresource), {}, {});
}

Result<json::value> Client::list(const ResourceRef& ref, std::string_view ns,
                                 const ListOptions& o) {
  std::string target = path_for(ref, ns, "", "");
  add_query(target, "labelSelector", o.label_selector);
  add_query(target, "fieldSelector", o.field_selector);
  if (o.limit > 0) add_query(target, "limit", std::to_string(o.limit));
  add_query(target, "continue", o.continue_token);
  add_query(target, "resourceVersion", o.resource_version);
  add_query(target, "resourceVersionMatch", o.resource_version_match);
  return json_request("GET", std::move(target), {}, {});
}

Result<json::value> Client::list_all(const ResourceRef& ref, std::string_view ns, ListOptions o) {
  json::array items;
  for (;;) {
    auto page = list(ref, ns, o);
    if (!page) return page;
    if (!page->is_object())
      return tl::unexpected(
          Status::from_response(500, "the server sent a list that is not an object"));
    if (auto* list_items = page->as_object().if_contains("items");
        list_items && list_items->is_array())
      for (auto& item : list_items->as_array()) items.push_back(std::move(item));
    std::string next;
    if (auto* meta = page->as_object().if_contains("metadata"); meta && meta->is_object())
      if (auto* c = meta->as_object().if_contains("continue"); c && c->is_string())
        next = std::string(c->get_string());
    if (next.empty()) {
      page->as_object()["items"] = std::move(items);
      if (auto* meta = page->as_object().if_contains("metadata"); meta && meta->is_object())
        meta->as_object().erase("remainingItemCount");
      return page;
    }
    o.continue_token = next;
    // A continued list must not name a resourceVersion (nor how to match one).
    o.resource_version.clear();
    o.resource_version_match.clear();
  }
}

Result<json::value> Client::create(const ResourceRef& ref, std::string_view ns,
                                   const json::value& object, const WriteOptions& o) {
  std::string target = path_for(ref, ns, "", "");
  add_query(target, "fieldManager", o.field_manager);
  add_query(target, "fieldValidation", o.field_validation);
  if (o.dry_run) add_query(target, "dryRun", "All");
  return json_request("POST", std::move(target), json::serialize(object), "application/json");
}

Result<json::value> Client::update(const ResourceRef& ref, std::string_view ns,
                                   const json::value& object, const WriteOptions& o,
                                   std::string_view subresource) {
  std::string target = path_for(ref, ns, meta_field(object, "name"), subresource);
  add_query(target, "fieldManager", o.field_manager);
  add_query(target, "fieldValidation", o.field_validation);
  if (o.dry_run) add_query(target, "dryRun", "All");
  return json_request("PUT", std::move(target), json::serialize(object), "application/json");
}

Result<json::value> Client::patch(const ResourceRef& ref, std::string_view ns,
                                  std::string_view name, PatchType type, const json::value& body,
                                  const PatchOptions& o) {
  std::string target = path_for(ref, ns, name, o.subresource);
  add_query(target, "fieldManager", o.field_manager);
  if (type == PatchType::kApply && o.force) add_query(target, "force", "true");
  if (o.dry_run) add_query(target, "dryRun", "All");
  std::string content_type;
  switch (type) {
    case PatchType::kJsonMerge:
      content_type = "application/merge-patch+json";
      break;
    case PatchType::kJsonPatch:
      content_type = "application/json-patch+json";
      break;
    case PatchType::kStrategicMerge:
      content_type = "application/strategic-merge-patch+json";
      break;
    // JSON is YAML: the apply body is sent as JSON text under the YAML media type, as
    // client-go does.
    case PatchType::kApply:
      content_type = "application/apply-patch+yaml";
      break;
  }
  return json_request("PATCH", std::move(target), json::serialize(body), std::move(content_type));
}

Result<json::value> Client::apply(const ResourceRef& ref, const json::value& object,
                                  std::string_view field_manager, bool force,
                                  std::string_view subresource) {
  PatchOptions o;
  o.field_manager = std::string(field_manager);
  o.force = force;
  o.subresource = std::string(subresource);
  return patch(ref, meta_field(object, "namespace"), meta_field(object, "name"), PatchType::kApply,
               object, o);
}

Result<json::value> Client::remove(const ResourceRef& ref, std::string_view ns,
                                   std::string_view name, const DeleteOptions& o) {
  json::object body{{"kind", "DeleteOptions"}, {"apiVersion", "v1"}};
  if (!o.propagation_policy.empty()) body["propagationPolicy"] = o.propagation_policy;
  if (o.precondition_uid || o.precondition_resource_version) {
    json::object pre;
    if (o.precondition_uid) pre["uid"] = *o.precondition_uid;
    if (o.precondition_resource_version) pre["resourceVersion"] = *o.precondition_resource_version;
    body["preconditions"] = std::move(pre);
  }
  if (o.grace_period_seconds) body["gracePeriodSeconds"] = *o.grace_period_seconds;
  if (o.dry_run) body["dryRun"] = json::array{"All"};
  return json_request("DELETE", path_for(ref, ns, name, ""), json::serialize(body),
                      "application/json");
}

tl::expected<void, Status> Client::watch(const ResourceRef& ref, std::string_view ns,
                                         const WatchOptions& o,
                                         const std::function<bool(const WatchEvent&)>& on_event,
                                         std::shared_ptr<http::Cancellation> cancel) {
  std::string target = path_for(ref, ns, "", "");
  add_query(target, "watch", "true");
  add_query(target, "resourceVersion", o.resource_version);
  add_query(target, "labelSelector", o.label_selector);
  add_query(target, "fieldSelector", o.field_selector);
  if (o.allow_bookmarks) add_query(target, "allowWatchBookmarks", "true");
  if (o.timeout_seconds > 0) add_query(target, "timeoutSeconds", std::to_string(o.timeout_seconds));
  limiter_->wait();

  int status = 0;
  std::string error_body;
  std::string buffer;
  std::optional<Status> failure;
  auto on_head = [&](int code, const http::Headers&) {
    status = code;
    return true;
  };
  auto on_data = [&](std::string_view data) {
    if (status < 200 || status > 299) {
      error_body.append(data);
      return true;
    }
    buffer.append(data);
    std::size_t start = 0;
    for (;;) {
      auto nl = buffer.find('\n', start);
      if (nl == std::string::npos) break;
      std::string_view line(buffer.data() + start, nl - start);
      start = nl + 1;
      if (line.empty()) continue;
      auto parsed = common::parse_json(line);
      if (!parsed || !parsed->is_object()) {
        failure = Status::from_response(
            500, "undecodable watch event: " + std::string(line.substr(0, 200)));
        return false;
      }
      WatchEvent event;
      if (auto* t = parsed->as_object().if_contains("type"); t && t->is_string())
        event.type = std::string(t->get_string());
      if (auto* obj = parsed->as_object().if_contains("object")) event.object = std::move(*obj);
      if (event.type == "ERROR") {
        int code = 500;
        if (auto* c =
                event.object.is_object() ? event.object.get_object().if_contains("code") : nullptr;
            c && c->is_int64())
          code = static_cast<int>(c->get_int64());
        failure = Status::from_response(code, json::serialize(event.object));
        return false;
      }
      if (!on_event(event)) {
        buffer.clear();
        return false;
      }
    }
    buffer.erase(0, start);
    return true;
  };
  auto result = http_->stream(prepare("GET", std::move(target), {}, {}), on_head, on_data,
                              o.idle_timeout, std::move(cancel));
  if (failure) return tl::unexpected(*failure);
  if (!result) return tl::unexpected(transport_error(result.error()));
  if (status < 200 || status > 299)
    return tl::unexpected(Status::from_response(status, error_body));
  return {};
}

Result<ResourceRef> Client::resource_for(std::string_view api_version, std::string_view kind) {
  auto lookup = [&]() -> std::optional<ResourceRef> {
    std::lock_guard lock(discovery_mutex_);
    auto it = discovery_.find(std::string(api_version));
    if (it == discovery_.end()) return std::nullopt;
    for (const auto& r : it->second)
      if (r.kind == kind) return r;
    return std::nullopt;
  };
  if (auto hit = lookup()) return *hit;
  // A miss refreshes that group-version once (a CRD may have been installed since).
  std::string gv(api_version);
  auto slash = gv.find('/');
  std::string target = slash == std::string::npos ? "/api/" + gv : "/apis/" + gv;
  auto list = json_request("GET", target, {}, {});
  if (!list) {
    if (list.error().code == 404)
      return tl::unexpected(not_found("", "", std::string(api_version)));
    return tl::unexpected(list.error());
  }
  std::vector<ResourceRef> refs;
  if (auto* resources = list->as_object().if_contains("resources");
      resources && resources->is_array()) {
    for (const auto& r : resources->as_array()) {
      if (!r.is_object()) continue;
      const auto& o = r.get_object();
      auto str = [&](std::string_view k) {
        auto* v = o.if_contains(k);
        return v && v->is_string() ? std::string(v->get_string()) : std::string();
      };
      std::string name = str("name");
      if (name.empty() || name.find('/') != std::string::npos) continue;
      ResourceRef ref;
      ref.group = slash == std::string::npos ? "" : gv.substr(0, slash);
      ref.version = slash == std::string::npos ? gv : gv.substr(slash + 1);
      ref.resource = name;
      ref.kind = str("kind");
      auto* ns = o.if_contains("namespaced");
      ref.namespaced = ns && ns->is_bool() && ns->get_bool();
      refs.push_back(std::move(ref));
    }
  }
  {
    std::lock_guard lock(discovery_mutex_);
    discovery_[gv] = std::move(refs);
  }
  if (auto hit = lookup()) return *hit;
  Status s = not_found("", "", std::string(kind));
  s.message = "no matches for kind \"" + std::string(kind) + "\" in version \"" + gv + "\"";
  return tl::unexpected(s);
}

void Client::invalidate_discovery() {
  std::lock_guard lock(discovery_mutex_);
  discovery_.clear();
}

}  // namespace lambda::kube
