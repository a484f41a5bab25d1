#include "apiserver/admission.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <list>
#include <mutex>
#include <utility>

#include "apiserver/object_meta.h"
#include "apiserver/object_store.h"
#include "apiserver/patch.h"
#include "apiserver/resource_registry.h"
#include "common/http/http_client.h"
#include "common/json_yaml.h"
#include "kube/selector.h"

namespace lambda::apiserver {
namespace json = boost::json;

namespace {
constexpr std::string_view kAdmissionGroup = "admissionregistration.k8s.io";
constexpr std::string_view kMutatingCollection =
    "admissionregistration.k8s.io/mutatingwebhookconfigurations";
constexpr std::string_view kValidatingCollection =
    "admissionregistration.k8s.io/validatingwebhookconfigurations";
constexpr std::string_view kReviewApiVersion = "admission.k8s.io/v1";
constexpr int kDefaultTimeoutSeconds = 10;
constexpr int kMaxTimeoutSeconds = 30;
// Warning headers a request may collect from webhooks, in bytes of text (kube-apiserver's
// recorder keeps about as much); later warnings are dropped.
constexpr std::size_t kMaxWarningBytes = 4096;
// Warnings read from one response; a hostile list of millions is not copied.
constexpr std::size_t kMaxWarningsPerResponse = 64;
constexpr std::chrono::milliseconds kMaxConnectTimeout{10000};

kube::Status internal(std::string_view message) {
  return kube::internal_error("Internal error occurred: " + std::string(message));
}

std::optional<std::string> decode_base64(std::string_view in) {
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  std::size_t padding = 0, symbols = 0;
  for (char c : in) {
    if (c == '\r' || c == '\n') continue;  // Go's decoder skips line breaks
    int v;
    if (c == '=') {
      ++padding;
      continue;
    }
    if (padding) return std::nullopt;  // data after padding
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+')
      v = 62;
    else if (c == '/')
      v = 63;
    else
      return std::nullopt;
    ++symbols;
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  // Standard encoding: padded to a multiple of four symbols, never a lone sixth-bit group.
  if ((symbols + padding) % 4 != 0 || symbols % 4 == 1 || padding > 2) return std::nullopt;
  return out;
}

// What Go's utf8.ValidString accepts, minus unicode.IsControl (C0, DEL and C1 controls).
bool valid_utf8_without_controls(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return false;
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    auto c1 = n > 1 ? static_cast<unsigned char>(s[i + 1]) : 0;
    if (n == 2 && (c < 0xC2 || (c == 0xC2 && c1 < 0xA0))) return false;  // overlong, C1
    if (n == 3 && ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 >= 0xA0)))
      return false;  // overlong, surrogates
    if (n == 4 && (c > 0xF4 || (c == 0xF0 && c1 < 0x90) || (c == 0xF4 && c1 >= 0x90)))
      return false;  // overlong, beyond U+10FFFF
    i += n;
  }
  return true;
}

std::vector<std::string> string_list(const json::value* v, bool* ok) {
  std::vector<std::string> out;
  if (!v || v->is_null()) return out;
  if (!v->is_array()) {
    *ok = false;
    return out;
  }
  for (const auto& s : v->get_array()) {
    if (!s.is_string()) {
      *ok = false;
      continue;
    }
    out.emplace_back(s.get_string());
  }
  return out;
}

struct Rule {
  std::vector<std::string> operations;
  std::vector<std::string> api_groups;
  std::vector<std::string> api_versions;
  std::vector<std::string> resources;
  std::string scope = "*";
};

struct ServiceReference {
  std::string namespace_name;
  std::string name;
  std::string path;
  int port = 443;
};

// One webhook of a configuration, read at call time. `invalid` says what kube-apiserver's
// validation would have refused; such a webhook fails every call it matches.
struct Webhook {
  std::string name;
  bool ignore_failures = false;
  std::vector<Rule> rules;
  std::optional<kube::LabelSelector> namespace_selector;  // nullopt: everything
  std::optional<kube::LabelSelector> object_selector;
  std::string side_effects;
  int timeout_seconds = kDefaultTimeoutSeconds;
  std::optional<std::string> url;
  std::optional<ServiceReference> service;
  std::string ca_pem;
  std::string invalid;
};

std::optional<kube::LabelSelector> selector_at(const json::object& hook, std::string_view key,
                                               std::string& invalid) {
  auto* v = hook.if_contains(key);
  // Absent (or null) is defaulted to {} by kube-apiserver: everything.
  if (!v || v->is_null()) return std::nullopt;
  auto parsed = kube::LabelSelector::from_json(*v);
  if (!parsed) {
    if (invalid.empty()) invalid = "invalid " + std::string(key) + ": " + parsed.error();
    return std::nullopt;
  }
  if (parsed->empty()) return std::nullopt;
  return std::move(*parsed);
}

Webhook parse_webhook(const json::object& hook) {
  Webhook w;
  std::string& invalid = w.invalid;
  if (auto* n = hook.if_contains("name"); n && n->is_string()) w.name = n->get_string();
  if (w.name.empty()) invalid = "webhook has no name";

  if (auto* p = hook.if_contains("failurePolicy"); p && !p->is_null()) {
    if (p->is_string() && p->get_string() == "Ignore")
      w.ignore_failures = true;
    else if (!p->is_string() || p->get_string() != "Fail")
      invalid = "unsupported failurePolicy";
  }

  if (auto* rules = hook.if_contains("rules"); rules && !rules->is_null()) {
    if (!rules->is_array()) {
      invalid = "rules must be a list";
    } else {
      for (const auto& r : rules->get_array()) {
        if (!r.is_object()) {
          invalid = "rules must be a list of objects";
          continue;
        }
        const auto& o = r.get_object();
        Rule rule;
        bool ok = true;
        rule.operations = string_list(o.if_contains("operations"), &ok);
        rule.api_groups = string_list(o.if_contains("apiGroups"), &ok);
        rule.api_versions = string_list(o.if_contains("apiVersions"), &ok);
        rule.resources = string_list(o.if_contains("resources"), &ok);
        if (auto* s = o.if_contains("scope"); s && !s->is_null()) {
          if (s->is_string())
            rule.scope = s->get_string();
          else
            ok = false;
        }
        if (!ok) invalid = "rules must hold lists of strings";
        w.rules.push_back(std::move(rule));
      }
    }
  }

  w.namespace_selector = selector_at(hook, "namespaceSelector", invalid);
  w.object_selector = selector_at(hook, "objectSelector", invalid);

  if (auto* s = hook.if_contains("sideEffects"); s && s->is_string())
    w.side_effects = s->get_string();

  if (auto* t = hook.if_contains("timeoutSeconds"); t && !t->is_null()) {
    if (t->is_int64())
      w.timeout_seconds =
          static_cast<int>(std::clamp<std::int64_t>(t->get_int64(), 1, kMaxTimeoutSeconds));
    else if (t->is_uint64())
      w.timeout_seconds = kMaxTimeoutSeconds;
    else
      invalid = "timeoutSeconds must be an integer";
  }

  bool versions_ok = true;  // entries that are not strings are not "v1" either
  auto versions = string_list(hook.if_contains("admissionReviewVersions"), &versions_ok);
  if (std::find(versions.begin(), versions.end(), "v1") == versions.end() && invalid.empty())
    invalid =
        "could not create admission objects: webhook does not accept known AdmissionReview "
        "versions (this server sends v1)";

  auto* config = hook.if_contains("clientConfig");
  if (!config || !config->is_object()) {
    if (invalid.empty()) invalid = "could not get REST client: clientConfig is missing";
    return w;
  }
  const auto& cc = config->get_object();
  if (auto* u = cc.if_contains("url"); u && u->is_string()) w.url = std::string(u->get_string());
  if (auto* s = cc.if_contains("service"); s && s->is_object()) {
    ServiceReference ref;
    ref.namespace_name = string_at(*s, "namespace");
    ref.name = string_at(*s, "name");
    ref.path = string_at(*s, "path");
    if (auto* port = s->get_object().if_contains("port"); port && port->is_int64())
      ref.port = static_cast<int>(std::clamp<std::int64_t>(port->get_int64(), 0, 65536));
    w.service = std::move(ref);
  }
  if (invalid.empty() && w.url.has_value() == w.service.has_value())
    invalid = "could not get REST client: clientConfig needs exactly one of url and service";
  if (auto* ca = cc.if_contains("caBundle"); ca && !ca->is_null()) {
    auto decoded = ca->is_string() ? decode_base64(ca->get_string()) : std::nullopt;
    if (!decoded) {
      if (invalid.empty()) invalid = "could not get REST client: caBundle is not valid base64";
    } else {
      w.ca_pem = std::move(*decoded);
    }
  }
  return w;
}

// The parts of a request that webhook rules and selectors look at (admission.Attributes).
struct Attributes {
  std::string_view operation;
  std::string_view group;
  std::string_view version;
  std::string_view resource;
  std::string_view subresource;
  // kube-apiserver's attr.GetNamespace(): the namespace of a namespaced object, the name of a
  // Namespace for requests on an existing one, empty otherwise.
  std::string namespace_name;
  bool is_namespace = false;  // the core Namespace kind itself
};

bool contains_or_star(const std::vector<std::string>& list, std::string_view value) {
  return std::any_of(list.begin(), list.end(),
                     [&](const std::string& s) { return s == "*" || s == value; });
}

bool rule_matches(const Rule& rule, const Attributes& a) {
  if (!contains_or_star(rule.operations, a.operation)) return false;
  if (!contains_or_star(rule.api_groups, a.group)) return false;
  if (!contains_or_star(rule.api_versions, a.version)) return false;
  // "pods" names the main resource only, "pods/status" one subresource, "pods/*" the resource and
  // all its subresources, "*" every main resource, "*/*" everything.
  bool resource = std::any_of(rule.resources.begin(), rule.resources.end(), [&](const auto& r) {
    auto slash = r.find('/');
    std::string_view res = std::string_view(r).substr(0, slash);
    std::string_view sub =
        slash == std::string::npos ? std::string_view() : std::string_view(r).substr(slash + 1);
    return (res == "*" || res == a.resource) && (sub == "*" || sub == a.subresource);
  });
  if (!resource) return false;
  if (rule.scope == "*") return true;
  // A Namespace is cluster-scoped even though requests on it carry a namespace.
  if (rule.scope == "Namespaced") return !a.is_namespace && !a.namespace_name.empty();
  if (rule.scope == "Cluster") return a.is_namespace || a.namespace_name.empty();
  return false;
}

const json::object* labels_of(const json::value& object) {
  if (auto* meta = metadata_of(object))
    if (auto* l = meta->if_contains("labels"); l && l->is_object()) return &l->get_object();
  return nullptr;
}

struct Endpoint {
  std::string base;  // "https://host:port"
  std::string path;  // "/validate"
  std::string server_name;
  std::string display;  // the URL as kube-apiserver prints it, without the query
  std::string ca_pem;
};

tl::expected<Endpoint, std::string> parse_webhook_url(std::string_view url) {
  constexpr std::string_view kScheme = "https://";
  if (url.size() < kScheme.size() ||
      !std::equal(kScheme.begin(), kScheme.end(), url.begin(),
                  [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); }))
    return tl::unexpected(std::string("'https' is the only allowed URL scheme"));
  if (url.find('?') != std::string_view::npos)
    return tl::unexpected(std::string("query parameters are not allowed"));
  if (url.find('#') != std::string_view::npos)
    return tl::unexpected(std::string("fragments are not allowed"));
  std::string_view rest = url.substr(kScheme.size());
  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (authority.find('@') != std::string_view::npos)
    return tl::unexpected(std::string("user information is not permitted in the URL"));
  if (authority.empty()) return tl::unexpected(std::string("host must be specified"));
  Endpoint e;
  e.base = "https://" + std::string(authority);
  e.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  e.display = std::string(url);
  return e;
}

std::string timeout_query(int seconds) { return "?timeout=" + std::to_string(seconds) + "s"; }

json::value build_review(const std::string& uid, const AdmissionRequest& request,
                         const Attributes& a, const json::value& object) {
  const ResourceType& t = *request.type;
  json::object kind{{"group", t.group}, {"version", t.version}, {"kind", t.kind}};
  json::object resource{{"group", t.group}, {"version", t.version}, {"resource", t.resource}};
  json::object r;
  r["uid"] = uid;
  r["kind"] = kind;
  r["resource"] = resource;
  if (!request.subresource.empty()) r["subResource"] = request.subresource;
  r["requestKind"] = std::move(kind);
  r["requestResource"] = std::move(resource);
  if (!request.subresource.empty()) r["requestSubResource"] = request.subresource;
  if (!request.name.empty()) r["name"] = request.name;
  if (!a.namespace_name.empty()) r["namespace"] = a.namespace_name;
  r["operation"] = a.operation;
  json::array groups;
  for (const auto& g : request.user.groups) groups.emplace_back(g);
  r["userInfo"] = json::object{{"username", request.user.username}, {"groups", std::move(groups)}};
  r["object"] = object;
  r["oldObject"] = request.old_object ? *request.old_object : json::value();
  r["dryRun"] = request.dry_run;
  r["options"] = request.options;
  return json::object{
      {"apiVersion", kReviewApiVersion}, {"kind", "AdmissionReview"}, {"request", std::move(r)}};
}

// A well-formed admission.k8s.io/v1 response (k8s.io/apiserver's VerifyAdmissionResponse).
struct Verdict {
  bool allowed = false;
  const json::object* status = nullptr;
  std::string patch_type;
  std::string patch;  // decoded
  std::vector<std::string> warnings;
};

tl::expected<Verdict, std::string> verify_response(const json::value& body, const std::string& uid,
                                                   bool mutating) {
  if (!body.is_object()) return tl::unexpected(std::string("the response is not a JSON object"));
  const auto& review = body.get_object();
  auto* response = review.if_contains("response");
  if (!response || !response->is_object())
    return tl::unexpected(std::string("webhook response was absent"));
  const auto& r = response->get_object();
  std::string got_uid;
  if (auto* u = r.if_contains("uid"); u && u->is_string()) got_uid = u->get_string();
  if (got_uid != uid)
    return tl::unexpected("expected response.uid=\"" + uid + "\", got \"" + got_uid + "\"");
  std::string api_version = string_at(body, "apiVersion"), kind = string_at(body, "kind");
  if (api_version != kReviewApiVersion || kind != "AdmissionReview")
    return tl::unexpected(
        "expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got " +
        api_version + ", Kind=" + kind);
  Verdict v;
  if (auto* a = r.if_contains("allowed"); a && !a->is_null()) {
    if (!a->is_bool()) return tl::unexpected(std::string("response.allowed is not a boolean"));
    v.allowed = a->get_bool();
  }
  if (auto* s = r.if_contains("status"); s && !s->is_null()) {
    if (!s->is_object()) return tl::unexpected(std::string("response.status is not an object"));
    v.status = &s->get_object();
  }
  if (auto* p = r.if_contains("patchType"); p && !p->is_null()) {
    if (!p->is_string()) return tl::unexpected(std::string("response.patchType is not a string"));
    v.patch_type = p->get_string();
  }
  if (auto* p = r.if_contains("patch"); p && !p->is_null()) {
    auto decoded = p->is_string() ? decode_base64(p->get_string()) : std::nullopt;
    if (!decoded) return tl::unexpected(std::string("response.patch is not valid base64"));
    v.patch = std::move(*decoded);
  }
  if (mutating && !v.patch.empty() && v.patch_type.empty())
    return tl::unexpected(
        std::string("webhook returned response.patch but not response.patchType"));
  if (mutating && v.patch.empty() && !v.patch_type.empty())
    return tl::unexpected(
        std::string("webhook returned response.patchType but not response.patch"));
  if (!mutating && !v.patch.empty())
    return tl::unexpected(std::string("validating webhook may not return response.patch"));
  if (!mutating && !v.patch_type.empty())
    return tl::unexpected(std::string("validating webhook may not return response.patchType"));
  if (auto* w = r.if_contains("warnings"); w && !w->is_null()) {
    if (!w->is_array() || !std::all_of(w->get_array().begin(), w->get_array().end(),
                                       [](const json::value& s) { return s.is_string(); }))
      return tl::unexpected(std::string("response.warnings is not a list of strings"));
    for (const auto& s : w->get_array()) {
      if (v.warnings.size() == kMaxWarningsPerResponse) break;
      v.warnings.emplace_back(s.get_string());
    }
  }
  return v;
}

// metav1.Status of a denial (k8s.io/apiserver's webhookerrors.ToStatusErr).
kube::Status denial(const std::string& hook, const json::object* status) {
  kube::Status s;
  s.code = 403;
  std::string message, reason;
  if (status) {
    if (auto* c = status->if_contains("code"); c && c->is_int64()) {
      auto code = c->get_int64();
      // A rejection is never a success; and an HTTP status has three digits.
      if (code >= 400 && code <= 599) s.code = static_cast<int>(code);
    }
    if (auto* m = status->if_contains("message"); m && m->is_string()) message = m->get_string();
    if (auto* r = status->if_contains("reason"); r && r->is_string()) reason = r->get_string();
  }
  s.reason = reason;
  std::string denied = "admission webhook \"" + hook + "\" denied the request";
  if (!message.empty())
    s.message = denied + ": " + message;
  else if (!reason.empty())
    s.message = denied + ": " + reason;
  else
    s.message = denied + " without explanation";
  return s;
}

// What a mutating webhook may not change: where and what the object is.
std::optional<std::string> identity_change(const json::value& before, const json::value& after) {
  if (!after.is_object()) return "the patched object is not a JSON object";
  if (auto* m = after.get_object().if_contains("metadata"); m && !m->is_object())
    return "the patched metadata is not an object";
  if (string_at(before, "apiVersion") != string_at(after, "apiVersion")) return "apiVersion";
  if (string_at(before, "kind") != string_at(after, "kind")) return "kind";
  if (meta_string(before, "namespace") != meta_string(after, "namespace"))
    return "metadata.namespace";
  std::string name = meta_string(before, "name");
  if (!name.empty() && name != meta_string(after, "name")) return "metadata.name";
  return std::nullopt;
}

void add_warnings(const std::vector<std::string>& from, std::vector<std::string>& to) {
  std::size_t used = 0;
  for (const auto& w : to) used += w.size();
  for (const auto& w : from) {
    if (used >= kMaxWarningBytes) break;
    // kube-apiserver drops what cannot be a Warning header: empty, control characters (header
    // injection), invalid UTF-8; and duplicates.
    if (w.empty() || !valid_utf8_without_controls(w)) continue;
    if (std::find(to.begin(), to.end(), w) != to.end()) continue;
    if (used + w.size() > kMaxWarningBytes) continue;
    used += w.size();
    to.push_back(w);
  }
}
}  // namespace

std::string_view admission_operation_name(AdmissionOperation op) {
  switch (op) {
    case AdmissionOperation::kCreate:
      return "CREATE";
    case AdmissionOperation::kUpdate:
      return "UPDATE";
    case AdmissionOperation::kDelete:
      return "DELETE";
  }
  return "UNKNOWN";
}

json::value admission_options(AdmissionOperation op, bool dry_run, std::string_view field_manager,
                              std::string_view propagation_policy) {
  json::object o;
  o["kind"] = op == AdmissionOperation::kCreate   ? "CreateOptions"
              : op == AdmissionOperation::kUpdate ? "UpdateOptions"
                                                  : "DeleteOptions";
  o["apiVersion"] = "meta.k8s.io/v1";
  if (dry_run) o["dryRun"] = json::array{"All"};
  if (!field_manager.empty() && op != AdmissionOperation::kDelete)
    o["fieldManager"] = field_manager;
  if (!propagation_policy.empty() && op == AdmissionOperation::kDelete)
    o["propagationPolicy"] = propagation_policy;
  return o;
}

bool admission_exempt(std::string_view group, std::string_view resource) {
  return group == kAdmissionGroup &&
         (resource == "mutatingwebhookconfigurations" ||
          resource == "validatingwebhookconfigurations" ||
          resource == "validatingadmissionpolicies" ||
          resource == "validatingadmissionpolicybindings" ||
          resource == "mutatingadmissionpolicies" || resource == "mutatingadmissionpolicybindings");
}

struct AdmissionChain::Impl {
  const ObjectStore& store;
  AdmissionOptions options;
  std::shared_ptr<http::Cancellation> cancel = std::make_shared<http::Cancellation>();
  std::mutex clients_mutex;
  // Most recently used first; shared so that a call in flight keeps its client when evicted.
  std::list<std::pair<std::string, std::shared_ptr<http::Client>>> clients;

  Impl(const ObjectStore& s, AdmissionOptions o) : store(s), options(std::move(o)) {}

  std::vector<Webhook> load(std::string_view collection) const {
    std::vector<Webhook> hooks;
    // Cluster-scoped: the snapshot is in name order, the order webhooks run in.
    auto snapshot = store.list(collection, std::nullopt);
    for (const auto& [key, obj] : snapshot.items) {
      auto* list = array_at(obj->object, "webhooks");
      if (!list) continue;
      for (const auto& h : *list)
        if (h.is_object()) hooks.push_back(parse_webhook(h.get_object()));
    }
    return hooks;
  }

  Attributes attributes(const AdmissionRequest& request) const {
    Attributes a;
    a.operation = admission_operation_name(request.operation);
    a.group = request.type->group;
    a.version = request.type->version;
    a.resource = request.type->resource;
    a.subresource = request.subresource;
    a.is_namespace = request.type->group.empty() && request.type->resource == "namespaces";
    a.namespace_name = request.namespace_name;
    if (a.is_namespace && request.operation != AdmissionOperation::kCreate)
      a.namespace_name = request.name;
    return a;
  }

  // Whether the webhook is to be called; a selector it cannot parse is reported in hook.invalid.
  bool matches(const Webhook& hook, const AdmissionRequest& request, const Attributes& a,
               const json::value& object) const {
    if (!std::any_of(hook.rules.begin(), hook.rules.end(),
                     [&](const Rule& r) { return rule_matches(r, a); }))
      return false;
    if (hook.namespace_selector && (a.is_namespace || !a.namespace_name.empty())) {
      const json::object* labels = nullptr;
      ObjectPtr ns;
      // A Namespace being created or updated is judged by its new labels.
      if (a.is_namespace && request.subresource.empty() &&
          request.operation != AdmissionOperation::kDelete) {
        labels = labels_of(object);
      } else {
        ns = store.get({"/namespaces", "", a.namespace_name});
        if (ns) labels = labels_of(ns->object);
      }
      if (!hook.namespace_selector->matches(labels)) return false;
    }
    if (hook.object_selector) {
      bool any = (object.is_object() && hook.object_selector->matches(labels_of(object))) ||
                 (request.old_object && request.old_object->is_object() &&
                  hook.object_selector->matches(labels_of(*request.old_object)));
      if (!any) return false;
    }
    return true;
  }

  tl::expected<std::shared_ptr<http::Client>, std::string> client_for(const Endpoint& e) {
    std::string key = e.base + '\n' + e.server_name + '\n' + e.ca_pem;
    std::lock_guard lock(clients_mutex);
    for (auto it = clients.begin(); it != clients.end(); ++it)
      if (it->first == key) {
        clients.splice(clients.begin(), clients, it);
        return clients.front().second;
      }
    http::ClientOptions o;
    o.base_url = e.base;
    http::ClientTls tls;
    tls.ca_pem = e.ca_pem;
    tls.server_name = e.server_name;
    o.tls = std::move(tls);
    o.connect_timeout = std::min(kMaxConnectTimeout, options.max_timeout);
    o.max_idle_connections = 2;
    o.max_response_bytes = options.max_response_bytes;
    auto created = http::Client::create(std::move(o));
    if (!created) return tl::unexpected(created.error());
    clients.emplace_front(std::move(key), std::shared_ptr<http::Client>(std::move(*created)));
    while (clients.size() > std::max<std::size_t>(options.max_cached_clients, 1))
      clients.pop_back();
    return clients.front().second;
  }

  // POSTs the review; the error is the reason of "failed calling webhook".
  tl::expected<json::value, std::string> call(const Webhook& hook, const json::value& review) {
    Endpoint endpoint;
    if (hook.url) {
      auto parsed = parse_webhook_url(*hook.url);
      if (!parsed)
        return tl::unexpected("could not get REST client: invalid URL: " + parsed.error());
      endpoint = std::move(*parsed);
    } else {
      const auto& s = *hook.service;
      std::string host = s.name + "." + s.namespace_name + ".svc";
      endpoint.path = s.path.empty() ? "/" : s.path;
      endpoint.display = "https://" + host + ":" + std::to_string(s.port) + endpoint.path;
      std::optional<std::string> base;
      if (options.resolve_service) base = options.resolve_service(s.namespace_name, s.name, s.port);
      if (!base)
        return tl::unexpected("failed to call webhook: Post \"" + endpoint.display +
                              timeout_query(hook.timeout_seconds) + "\": service \"" +
                              s.namespace_name + "/" + s.name +
                              "\" cannot be reached: the embedded API server has no cluster "
                              "network");
      endpoint.base = std::move(*base);
      endpoint.server_name = std::move(host);
    }
    endpoint.ca_pem = hook.ca_pem;
    std::string query = timeout_query(hook.timeout_seconds);
    std::string post = "failed to call webhook: Post \"" + endpoint.display + query + "\": ";
    if (cancel->cancelled()) return tl::unexpected(post + "the API server is shutting down");
    auto client = client_for(endpoint);
    if (!client) return tl::unexpected("could not get REST client: " + client.error());

    http::Request req;
    req.method = "POST";
    req.target = endpoint.path + query;
    req.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
    req.body = json::serialize(review);
    auto timeout = std::min<std::chrono::milliseconds>(std::chrono::seconds(hook.timeout_seconds),
                                                       options.max_timeout);
    auto response = (*client)->send(std::move(req), timeout, cancel);
    if (!response) {
      const auto& err = response.error();
      if (err.kind == http::ClientError::Kind::kTimeout)
        return tl::unexpected(post + "context deadline exceeded");
      if (err.kind == http::ClientError::Kind::kCancelled)
        return tl::unexpected(post + "the API server is shutting down");
      return tl::unexpected(post + err.message);
    }
    if (response->status < 200 || response->status > 299)
      return tl::unexpected("failed to call webhook: the server responded with the status code " +
                            std::to_string(response->status));
    auto parsed = common::parse_json(response->body);
    if (!parsed)
      return tl::unexpected("received invalid webhook response: " + parsed.error().to_string());
    return std::move(*parsed);
  }

  // Calls one webhook if it matches. `object` is what mutating webhooks patch (null for
  // validating ones, which see request.object).
  tl::expected<void, kube::Status> run(const Webhook& hook, bool mutating,
                                       const AdmissionRequest& request, const Attributes& a,
                                       json::value* object, std::vector<std::string>& warnings) {
    const json::value& current = object ? *object : request.object;
    auto call_failure = [&](const std::string& reason) -> tl::expected<void, kube::Status> {
      if (hook.ignore_failures) return {};
      return tl::unexpected(internal("failed calling webhook \"" + hook.name + "\": " + reason));
    };
    // A selector that cannot be read counts as matching everything, so that the webhook fails
    // (hook.invalid) rather than being skipped silently.
    if (!matches(hook, request, a, current)) return {};
    if (request.dry_run && hook.side_effects != "None" && hook.side_effects != "NoneOnDryRun")
      return tl::unexpected(
          kube::bad_request("admission webhook \"" + hook.name + "\" does not support dry run"));
    if (!hook.invalid.empty()) return call_failure(hook.invalid);

    std::string uid = new_uid();
    auto body = call(hook, build_review(uid, request, a, current));
    if (!body) return call_failure(body.error());
    auto verdict = verify_response(*body, uid, mutating);
    if (!verdict) return call_failure("received invalid webhook response: " + verdict.error());
    add_warnings(verdict->warnings, warnings);
    if (!verdict->allowed) return tl::unexpected(denial(hook.name, verdict->status));
    if (!mutating || verdict->patch.empty()) return {};
    if (verdict->patch_type != "JSONPatch")
      return call_failure("unsupported patch type \"" + verdict->patch_type + "\"");

    auto patch = common::parse_json(verdict->patch);
    if (!patch) return tl::unexpected(internal(patch.error().to_string()));
    if (patch->is_array() && patch->get_array().empty()) return {};
    if (!object || object->is_null())
      return tl::unexpected(internal("admission webhook \"" + hook.name +
                                     "\" attempted to modify the object, which is not supported "
                                     "for this operation"));
    auto patched = json_patch(*object, *patch);
    if (!patched) return tl::unexpected(internal(patched.error().message));
    if (auto changed = identity_change(*object, *patched))
      return tl::unexpected(internal("admission webhook \"" + hook.name + "\" changed " + *changed +
                                     ", which a patch may not change"));
    *object = std::move(*patched);
    return {};
  }

  tl::expected<void, kube::Status> run_all(std::string_view collection, bool mutating,
                                           const AdmissionRequest& request, json::value* object,
                                           std::vector<std::string>& warnings) {
    if (!request.type || admission_exempt(request.type->group, request.type->resource)) return {};
    auto hooks = load(collection);
    if (hooks.empty()) return {};
    Attributes a = attributes(request);
    for (const auto& hook : hooks) {
      auto r = run(hook, mutating, request, a, object, warnings);
      if (!r) return r;
    }
    return {};
  }
};

AdmissionChain::AdmissionChain(const ObjectStore& store, AdmissionOptions options)
    : impl_(std::make_unique<Impl>(store, std::move(options))) {}

AdmissionChain::~AdmissionChain() = default;

tl::expected<AdmissionResult, kube::Status> AdmissionChain::mutate(AdmissionRequest request) {
  AdmissionResult result;
  result.object = std::move(request.object);
  request.object = nullptr;
  auto r = impl_->run_all(kMutatingCollection, true, request, &result.object, result.warnings);
  if (!r) return tl::unexpected(r.error());
  return result;
}

tl::expected<std::vector<std::string>, kube::Status> AdmissionChain::validate(
    const AdmissionRequest& request) {
  std::vector<std::string> warnings;
  auto r = impl_->run_all(kValidatingCollection, false, request, nullptr, warnings);
  if (!r) return tl::unexpected(r.error());
  return warnings;
}

tl::expected<AdmissionResult, kube::Status> AdmissionChain::admit(AdmissionRequest request) {
  AdmissionResult result;
  result.object = std::move(request.object);
  request.object = nullptr;
  auto m = impl_->run_all(kMutatingCollection, true, request, &result.object, result.warnings);
  if (!m) return tl::unexpected(m.error());
  request.object = std::move(result.object);
  auto v = impl_->run_all(kValidatingCollection, false, request, nullptr, result.warnings);
  if (!v) return tl::unexpected(v.error());
  result.object = std::move(request.object);
  return result;
}

void AdmissionChain::shutdown() { impl_->cancel->cancel(); }

}  // namespace lambda::apiserver
