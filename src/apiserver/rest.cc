// The verbs on resources: get, list, create, update, patch, delete, deletecollection, with the
// object semantics of kube-apiserver (see api_server.h).
#include <boost/json.hpp>
#include <charconv>

#include "apiserver/api_server_internal.h"
#include "apiserver/builtin_resources.h"
#include "apiserver/managed_fields.h"
#include "apiserver/object_meta.h"
#include "apiserver/patch.h"
#include "apiserver/protobuf.h"
#include "apiserver/structural_schema.h"
#include "common/base64.h"
#include "common/json_yaml.h"
#include "kube/selector.h"

namespace lambda::apiserver {
namespace json = boost::json;

namespace {
constexpr int kMaxPatchRetries = 5;
constexpr std::size_t kMaxFieldManagerLength = 128;

std::string now_text() { return rfc3339(std::chrono::system_clock::now()); }

bool is_dry_run(std::string_view query) {
  for (const auto& v : http::query_values(query, "dryRun"))
    if (v == "All") return true;
  return false;
}

tl::expected<json::value, kube::Status> decode_body(const http::Request& req) {
  auto ct = http::find_header(req.headers, "Content-Type").value_or("application/json");
  std::string_view media = ct.substr(0, ct.find(';'));
  if (req.body.empty()) return tl::unexpected(kube::bad_request("the request body is empty"));
  tl::expected<json::value, common::ParseError> parsed;
  if (media == "application/yaml" || media == "application/apply-patch+yaml") {
    parsed = common::parse_yaml(req.body);
  } else if (media == "application/json" || media.ends_with("+json") || media.empty()) {
    parsed = common::parse_json(req.body);
  } else if (media == kProtobufMediaType) {
    // kubectl's typed clients (create configmap|namespace|secret|...) send protobuf.
    auto decoded = decode_kubernetes_protobuf(req.body);
    if (!decoded)
      return tl::unexpected(
          kube::bad_request("the request body could not be decoded: " + decoded.error()));
    return std::move(*decoded);
  } else {
    kube::Status s;
    s.code = 415;
    s.reason = std::string(kube::reason::kUnsupportedMediaType);
    s.message = "the body of the request was in an unknown format (" + std::string(media) +
                ") - accepted media types include: application/json, application/yaml, " +
                std::string(kProtobufMediaType);
    return tl::unexpected(s);
  }
  if (!parsed)
    return tl::unexpected(
        kube::bad_request("the request body could not be decoded: " + parsed.error().to_string()));
  return std::move(*parsed);
}

kube::Status commit_error(CommitError e, const ResourceType& t, const std::string& name) {
  switch (e) {
    case CommitError::kAlreadyExists:
      return kube::already_exists(t.group, t.resource, name);
    case CommitError::kNotFound:
      return kube::not_found(t.group, t.resource, name);
    case CommitError::kConflict:
      return kube::conflict(t.group, t.resource, name,
                            "the object has been modified; please apply your changes to the "
                            "latest version and try again");
    case CommitError::kStorage:
      break;
  }
  return kube::internal_error("storage failed to persist the write");
}

std::uint64_t parse_rv(std::string_view text) {
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  return ec == std::errc() && p == text.data() + text.size() ? v : 0;
}

json::value served_value(const ResourceType& t, const ObjectPtr& obj) {
  json::value copy = obj->object;
  if (copy.is_object()) copy.as_object()["apiVersion"] = t.api_version();
  return copy;
}

struct Selectors {
  std::optional<kube::LabelSelector> labels;
  std::optional<kube::FieldSelector> fields;
  bool empty() const { return !labels && !fields; }
  bool matches(const json::value& object) const {
    if (labels) {
      const json::object* l = nullptr;
      if (auto* meta = metadata_of(object))
        if (auto* p = meta->if_contains("labels"); p && p->is_object()) l = &p->get_object();
      if (!labels->matches(l)) return false;
    }
    if (fields)
      return fields->matches([&](std::string_view key) -> std::optional<std::string> {
        if (key == "metadata.name") return meta_string(object, "name");
        if (key == "metadata.namespace") return meta_string(object, "namespace");
        return std::nullopt;
      });
    return true;
  }
};

tl::expected<Selectors, kube::Status> parse_selectors(std::string_view query) {
  Selectors s;
  if (auto text = http::query_value(query, "labelSelector"); text && !text->empty()) {
    auto parsed = kube::LabelSelector::parse(*text);
    if (!parsed)
      return tl::unexpected(kube::bad_request("unable to parse requirement: " + parsed.error()));
    if (!parsed->empty()) s.labels = std::move(*parsed);
  }
  if (auto text = http::query_value(query, "fieldSelector"); text && !text->empty()) {
    auto parsed = kube::FieldSelector::parse(*text);
    if (!parsed) return tl::unexpected(kube::bad_request(parsed.error()));
    for (const auto& r : parsed->requirements())
      if (r.key != "metadata.name" && r.key != "metadata.namespace")
        return tl::unexpected(kube::bad_request("field label not supported: " + r.key));
    if (!parsed->empty()) s.fields = std::move(*parsed);
  }
  return s;
}

// Everything but metadata and (when it is a subresource) status: what metadata.generation counts.
json::value generation_relevant(const json::value& object, bool status_subresource) {
  json::value copy = object;
  if (copy.is_object()) {
    auto& o = copy.as_object();
    o.erase("metadata");
    o.erase("apiVersion");
    o.erase("kind");
    if (status_subresource) o.erase("status");
  }
  return copy;
}

std::string field_manager_from(const http::Request& req, std::string_view query) {
  if (auto m = http::query_value(query, "fieldManager")) return *m;
  auto agent = http::find_header(req.headers, "User-Agent").value_or("unknown");
  return std::string(agent.substr(0, agent.find('/')));
}

// The body must be an object whose apiVersion and kind, when given, are the endpoint's; absent
// ones are filled in.
std::optional<kube::Status> check_type_meta(const ResourceType& type, json::value& object) {
  if (!object.is_object()) return kube::bad_request("the request body must be a JSON object");
  std::string api_version = string_at(object, "apiVersion");
  std::string kind = string_at(object, "kind");
  if (!api_version.empty() && api_version != type.api_version())
    return kube::bad_request("the API version in the data (" + api_version +
                             ") does not match the expected API version (" + type.api_version() +
                             ")");
  if (!kind.empty() && kind != type.kind)
    return kube::bad_request("the kind in the data (" + kind +
                             ") does not match the expected kind (" + type.kind + ")");
  object.as_object()["apiVersion"] = type.api_version();
  object.as_object()["kind"] = type.kind;
  return std::nullopt;
}

// metadata.ownerReferences as kube-apiserver checks them: an owner without uid, name, kind or
// apiVersion would make the object vanish through garbage collection.
std::vector<kube::StatusCause> owner_reference_causes(const json::value& object) {
  std::vector<kube::StatusCause> causes;
  auto* meta = metadata_of(object);
  auto* refs = meta ? meta->if_contains("ownerReferences") : nullptr;
  if (!refs || refs->is_null()) return causes;
  if (!refs->is_array()) {
    causes.push_back({std::string(kube::cause::kFieldValueInvalid), "Invalid value: must be a list",
                      "metadata.ownerReferences"});
    return causes;
  }
  int controllers = 0;
  for (std::size_t i = 0; i < refs->get_array().size(); ++i) {
    const auto& r = refs->get_array()[i];
    std::string path = "metadata.ownerReferences[" + std::to_string(i) + "]";
    for (const char* field : {"apiVersion", "kind", "name", "uid"})
      if (string_at(r, field).empty())
        causes.push_back({std::string(kube::cause::kFieldValueInvalid),
                          std::string("Invalid value: \"\": ") + field + " must not be empty",
                          path + "." + field});
    auto* c = r.is_object() ? r.get_object().if_contains("controller") : nullptr;
    if (c && c->is_bool() && c->get_bool()) ++controllers;
  }
  if (controllers > 1)
    causes.push_back({std::string(kube::cause::kFieldValueInvalid),
                      "Invalid value: []v1.OwnerReference{...}: Only one reference can have "
                      "Controller set to true",
                      "metadata.ownerReferences"});
  return causes;
}

// Custom resources: prune, default and validate against the version's schema. Unknown fields
// are an error, a warning or nothing, as fieldValidation (Strict, Warn, Ignore) asks.
std::optional<kube::Status> check_against_schema(const ResourceType& type, const std::string& name,
                                                 json::value& object,
                                                 const std::string& field_validation,
                                                 std::vector<std::string>& warnings) {
  if (auto causes = owner_reference_causes(object); !causes.empty())
    return kube::invalid(type.group, type.kind, name, causes);
  if (!type.schema) return std::nullopt;
  auto unknown = type.schema->prune(object);
  if (!unknown.empty()) {
    if (field_validation == "Strict") {
      std::string list;
      for (std::size_t k = 0; k < unknown.size(); ++k)
        list += (k ? ", " : "") + std::string("unknown field \"") + unknown[k] + "\"";
      return kube::bad_request(type.kind + " in version \"" + type.version +
                               "\" cannot be handled as a " + type.kind +
                               ": strict decoding error: " + list);
    }
    if (field_validation != "Ignore")
      for (const auto& u : unknown) warnings.push_back("unknown field \"" + u + "\"");
  }
  type.schema->apply_defaults(object);
  auto causes = type.schema->validate(object);
  if (!causes.empty()) return kube::invalid(type.group, type.kind, name, causes);
  return std::nullopt;
}

// The request admission webhooks see for a write of `info`'s resource.
AdmissionRequest admission_request(const RequestInfo& info, AdmissionOperation op, std::string name,
                                   json::value object, const json::value* old_object,
                                   const ApiServer::Impl::WriteOptions& options) {
  AdmissionRequest r;
  r.operation = op;
  r.type = info.type.get();
  r.subresource = info.subresource;
  r.namespace_name = info.type->namespaced ? info.namespace_name : std::string();
  r.name = std::move(name);
  r.object = std::move(object);
  r.old_object = old_object;
  r.dry_run = options.dry_run;
  r.options = admission_options(op, options.dry_run, options.field_manager);
  return r;
}

SchemaLookup lookup_for(const ResourceType& type) {
  if (type.schema) {
    auto schema = type.schema;
    return [schema](const std::vector<std::string>& path) -> std::optional<ListInfo> {
      auto lt = schema->list_type(path);
      if (lt.type == "map") return ListInfo{ListInfo::Type::kMap, lt.map_keys};
      if (lt.type == "set") return ListInfo{ListInfo::Type::kSet, {}};
      if (path.size() == 2 && path[0] == "metadata" && path[1] == "finalizers")
        return ListInfo{ListInfo::Type::kSet, {}};
      if (path.size() == 2 && path[0] == "metadata" && path[1] == "ownerReferences")
        return ListInfo{ListInfo::Type::kMap, {"uid"}};
      return std::nullopt;
    };
  }
  auto patch_schema = PatchSchema::for_kind(type.group, type.kind);
  return [patch_schema](const std::vector<std::string>& path) -> std::optional<ListInfo> {
    auto strategy = patch_schema.list_strategy(path);
    if (!strategy || !strategy->merge) return std::nullopt;
    if (strategy->merge_key.empty()) return ListInfo{ListInfo::Type::kSet, {}};
    return ListInfo{ListInfo::Type::kMap, {strategy->merge_key}};
  };
}
}  // namespace

// The object as served in the request's version (custom resources with several versions share
// one storage; with conversion "None" only apiVersion differs).
std::string served_text(const ResourceType& t, const ObjectPtr& obj) {
  auto* av = obj->object.is_object() ? obj->object.get_object().if_contains("apiVersion") : nullptr;
  if (av && av->is_string() && av->get_string() == t.api_version()) return obj->text;
  json::value copy = obj->object;
  copy.as_object()["apiVersion"] = t.api_version();
  return json::serialize(copy);
}

// ---------------------------------------------------------------------------------------------
// Reads

Result ApiServer::Impl::get(const RequestInfo& info, const http::Request& req,
                            std::string_view query) {
  auto obj = store->get(key_for(*info.type, info.namespace_name, info.name));
  if (!obj) return tl::unexpected(kube::not_found(info.group, info.resource, info.name));
  Reply r;
  if (negotiate(req).table) {
    json::object list_meta{{"resourceVersion", std::to_string(obj->resource_version)}};
    r.body = to_table(*info.type, {obj}, list_meta,
                      http::query_value(query, "includeObject").value_or("Metadata"));
    return r;
  }
  r.raw_body = served_text(*info.type, obj);
  return r;
}

Result ApiServer::Impl::list(const RequestInfo& info, const http::Request& req,
                             std::string_view query) {
  auto selectors = parse_selectors(query);
  if (!selectors) return tl::unexpected(selectors.error());
  std::size_t limit = 0;
  if (auto l = http::query_value(query, "limit"); l && !l->empty()) {
    long long v = 0;
    auto [p, ec] = std::from_chars(l->data(), l->data() + l->size(), v);
    if (ec != std::errc() || p != l->data() + l->size())
      return tl::unexpected(kube::bad_request("invalid limit: \"" + *l + "\""));
    if (v > 0) limit = static_cast<std::size_t>(v);
  }

  std::shared_ptr<const ListSnapshot> snapshot;
  std::size_t offset = 0;
  if (auto token = http::query_value(query, "continue"); token && !token->empty()) {
    auto decoded = common::base64_decode(*token);
    auto parsed = decoded ? common::parse_json(*decoded) : tl::unexpected(common::ParseError{});
    std::string id;
    if (parsed && parsed->is_object()) {
      id = string_at(*parsed, "id");
      if (auto* off = parsed->get_object().if_contains("off"); off && off->is_int64())
        offset = static_cast<std::size_t>(off->get_int64());
    }
    if (id.empty())
      return tl::unexpected(
          kube::bad_request("continue key is not valid: incorrect encoded start resourceVersion "
                            "(version meta.k8s.io/v1)"));
    snapshot = continues->get(id, info.type->collection() + "/" + info.namespace_name);
    if (!snapshot) {
      kube::Status s = kube::gone(
          "The provided continue parameter is too old to display a consistent list result. You "
          "can start a new list without the continue parameter.");
      s.reason = std::string(kube::reason::kExpired);
      return tl::unexpected(s);
    }
  } else {
    std::optional<std::string_view> ns;
    if (!info.namespace_name.empty()) ns = info.namespace_name;
    snapshot = std::make_shared<const ListSnapshot>(store->list(info.type->collection(), ns));
  }

  std::vector<ObjectPtr> page;
  std::size_t i = offset;
  for (; i < snapshot->items.size(); ++i) {
    if (limit && page.size() >= limit) break;
    const auto& obj = snapshot->items[i].second;
    if (selectors->matches(obj->object)) page.push_back(obj);
  }
  // Skip ahead over non-matching items so that a last page does not get a useless token.
  std::size_t next = i;
  if (limit && !selectors->empty())
    while (next < snapshot->items.size() &&
           !selectors->matches(snapshot->items[next].second->object))
      ++next;
  std::string token;
  std::size_t remaining = 0;
  if (next < snapshot->items.size()) {
    std::string id;
    if (!http::query_value(query, "continue") || offset == 0) {
      id = continues->put(info.type->collection() + "/" + info.namespace_name, snapshot);
    } else {
      auto decoded = common::base64_decode(*http::query_value(query, "continue"));
      auto parsed = common::parse_json(*decoded);
      id = string_at(*parsed, "id");
    }
    json::object t{{"v", "meta.k8s.io/v1"},
                   {"rv", snapshot->resource_version},
                   {"id", id},
                   {"off", static_cast<std::int64_t>(next)}};
    token = common::base64_encode(json::serialize(t));
    remaining = snapshot->items.size() - next;
  }

  json::object list_meta{{"resourceVersion", std::to_string(snapshot->resource_version)}};
  if (!token.empty()) {
    list_meta["continue"] = token;
    if (selectors->empty()) list_meta["remainingItemCount"] = remaining;
  }

  Reply r;
  if (negotiate(req).table) {
    auto include = http::query_value(query, "includeObject").value_or("Metadata");
    r.body = to_table(*info.type, page, list_meta, include);
    return r;
  }
  std::string body = "{\"kind\":\"" + info.type->list_kind + "\",\"apiVersion\":\"" +
                     info.type->api_version() + "\",\"metadata\":" + json::serialize(list_meta) +
                     ",\"items\":[";
  for (std::size_t k = 0; k < page.size(); ++k) {
    if (k) body += ',';
    body += served_text(*info.type, page[k]);
  }
  body += "]}";
  r.raw_body = std::move(body);
  return r;
}

// ---------------------------------------------------------------------------------------------
// Writes

Result ApiServer::Impl::create(const RequestInfo& info, const http::Request& req,
                               std::string_view query) {
  if (!info.subresource.empty())
    return tl::unexpected(kube::method_not_allowed("create is not allowed on a subresource"));
  auto body = decode_body(req);
  if (!body) return tl::unexpected(body.error());
  WriteOptions options;
  options.dry_run = is_dry_run(query);
  options.field_manager = field_manager_from(req, query);
  options.field_validation = http::query_value(query, "fieldValidation").value_or("Warn");
  return create_object(info, std::move(*body), options);
}

Result ApiServer::Impl::create_object(const RequestInfo& info, json::value object,
                                      const WriteOptions& options) {
  const ResourceType& type = *info.type;
  if (auto error = check_type_meta(type, object)) return tl::unexpected(*error);
  std::vector<std::string> warnings;

  // Namespace: from the URL; the body may repeat it but not contradict it.
  std::string body_ns = meta_string(object, "namespace");
  if (type.namespaced) {
    if (info.namespace_name.empty())
      return tl::unexpected(
          kube::bad_request("the namespace of the object must be set in the request path"));
    if (!body_ns.empty() && body_ns != info.namespace_name)
      return tl::unexpected(kube::bad_request(
          "the namespace of the provided object does not match the namespace sent on the request"));
    metadata_of(object)["namespace"] = info.namespace_name;
    auto ns_obj = store->get({"/namespaces", "", info.namespace_name});
    if (!ns_obj) return tl::unexpected(kube::not_found("", "namespaces", info.namespace_name));
    if (!meta_string(ns_obj->object, "deletionTimestamp").empty())
      return tl::unexpected(kube::forbidden(type.group, type.resource, meta_string(object, "name"),
                                            "unable to create new content in namespace " +
                                                info.namespace_name +
                                                " because it is being terminated"));
  } else {
    metadata_of(object).erase("namespace");
  }

  // Admission: mutating webhooks, after decoding and the namespace checks,
  // before the server's own fields, defaults and validation, as in kube-apiserver ---
  if (admission) {
    std::string requested_name = meta_string(object, "name");
    auto mutated = admission->mutate(admission_request(info, AdmissionOperation::kCreate,
                                                       std::move(requested_name), std::move(object),
                                                       nullptr, options));
    if (!mutated) return tl::unexpected(mutated.error());
    object = std::move(mutated->object);
    warnings = std::move(mutated->warnings);
  }
  auto& o = object.as_object();
  auto& meta = metadata_of(object);

  std::string name = meta_string(object, "name");
  std::string generate = meta_string(object, "generateName");
  if (name.empty() && !generate.empty()) name = generate + random_name_suffix();
  std::vector<kube::StatusCause> causes;
  if (name.empty()) {
    causes.push_back({std::string(kube::cause::kFieldValueRequired),
                      "Required value: name or generateName is required", "metadata.name"});
  } else {
    auto errors = (type.resource == "namespaces" || type.resource == "services")
                      ? dns1123_label_errors(name)
                      : dns1123_subdomain_errors(name);
    for (const auto& e : errors)
      causes.push_back({std::string(kube::cause::kFieldValueInvalid),
                        "Invalid value: \"" + name + "\": " + e, "metadata.name"});
  }
  if (auto* rv = meta.if_contains("resourceVersion");
      rv && rv->is_string() && !rv->get_string().empty())
    causes.push_back({std::string(kube::cause::kFieldValueInvalid),
                      "Invalid value: \"" + std::string(rv->get_string()) + "\": must be empty",
                      "metadata.resourceVersion"});
  if (!causes.empty()) return tl::unexpected(kube::invalid(type.group, type.kind, name, causes));
  meta["name"] = name;

  // Fields the server owns.
  meta["uid"] = new_uid();
  meta["creationTimestamp"] = now_text();
  meta.erase("resourceVersion");
  meta.erase("deletionTimestamp");
  meta.erase("deletionGracePeriodSeconds");
  meta.erase("selfLink");
  if (type.tracks_generation)
    meta["generation"] = 1;
  else
    meta.erase("generation");
  if (type.status_subresource && type.custom) o.erase("status");

  // Kind-specific defaults of the built-in kinds.
  if (type.resource == "namespaces") {
    auto& labels = meta["labels"];
    if (!labels.is_object()) labels = json::object();
    labels.as_object()["kubernetes.io/metadata.name"] = name;
    o["spec"] = json::object{{"finalizers", json::array{"kubernetes"}}};
    o["status"] = json::object{{"phase", "Active"}};
  } else if (type.resource == "secrets") {
    if (string_at(object, "type").empty()) o["type"] = "Opaque";
  }

  if (auto error = check_against_schema(type, name, object, options.field_validation, warnings))
    return tl::unexpected(*error);
  if (type.resource == "customresourcedefinitions") {
    auto served = custom_resource_types(object);
    if (!served) return tl::unexpected(kube::invalid(type.group, type.kind, name, served.error()));
    for (const auto& t : *served)
      if (auto existing = registry.find(t.group, t.version, t.resource);
          existing && !existing->custom)
        return tl::unexpected(kube::invalid(type.group, type.kind, name,
                                            {{std::string(kube::cause::kFieldValueInvalid),
                                              "Invalid value: \"" + t.group +
                                                  "\": the group and resource are served by the "
                                                  "server itself",
                                              "spec.group"}}));
    o["status"] = established_crd_status(object, now_text());
  }

  // Admission: validating webhooks, on the object as it will be stored
  if (admission) {
    auto request = admission_request(info, AdmissionOperation::kCreate, name, std::move(object),
                                     nullptr, options);
    auto validated = admission->validate(request);
    object = std::move(request.object);
    if (!validated) return tl::unexpected(validated.error());
    warnings.insert(warnings.end(), validated->begin(), validated->end());
  }

  if (!options.managed_fields_done) {
    UpdateOptions mf;
    mf.manager = options.field_manager;
    mf.api_version = type.api_version();
    mf.now = now_text();
    mf.lookup = lookup_for(type);
    object = update_managed_fields(nullptr, object, mf);
  }

  Reply reply;
  reply.code = 201;
  reply.warnings = std::move(warnings);
  if (options.dry_run) {
    reply.body = std::move(object);
    return reply;
  }
  auto key = key_for(type, info.namespace_name, name);
  auto committed = store->create(key, std::move(object));
  if (!committed) return tl::unexpected(commit_error(committed.error(), type, name));
  if (type.resource == "customresourcedefinitions") on_crd_changed(&(*committed)->object);
  reply.raw_body = served_text(type, *committed);
  return reply;
}

Result ApiServer::Impl::update(const RequestInfo& info, const http::Request& req,
                               std::string_view query) {
  auto body = decode_body(req);
  if (!body) return tl::unexpected(body.error());
  auto current = store->get(key_for(*info.type, info.namespace_name, info.name));
  if (!current) return tl::unexpected(kube::not_found(info.group, info.resource, info.name));
  WriteOptions options;
  options.dry_run = is_dry_run(query);
  options.field_manager = field_manager_from(req, query);
  options.field_validation = http::query_value(query, "fieldValidation").value_or("Warn");
  return update_object(info, std::move(*body), current, options, info.type->custom);
}

Result ApiServer::Impl::update_object(const RequestInfo& info, json::value object,
                                      ObjectPtr current, const WriteOptions& options,
                                      bool require_resource_version) {
  const ResourceType& type = *info.type;
  if (auto error = check_type_meta(type, object)) return tl::unexpected(*error);
  std::vector<std::string> warnings;
  std::string name = meta_string(object, "name");
  if (name != info.name)
    return tl::unexpected(kube::bad_request("the name of the object (" + name +
                                            ") does not match the name on the URL (" + info.name +
                                            ")"));
  std::string body_ns = meta_string(object, "namespace");
  if (type.namespaced && !body_ns.empty() && body_ns != info.namespace_name)
    return tl::unexpected(kube::bad_request(
        "the namespace of the provided object does not match the namespace sent on the request"));

  std::string rv_text = meta_string(object, "resourceVersion");
  std::uint64_t expected_rv = current->resource_version;
  if (!rv_text.empty()) {
    if (parse_rv(rv_text) != current->resource_version)
      return tl::unexpected(commit_error(CommitError::kConflict, type, name));
  } else if (require_resource_version) {
    return tl::unexpected(kube::invalid(
        type.group, type.kind, name,
        {{std::string(kube::cause::kFieldValueInvalid),
          "Invalid value: 0x0: must be specified for an update", "metadata.resourceVersion"}}));
  }

  const json::value& old = current->object;
  // Admission: mutating webhooks, before the server restores what the client
  // may not change and validates ---
  if (admission) {
    auto mutated = admission->mutate(admission_request(info, AdmissionOperation::kUpdate, name,
                                                       std::move(object), &old, options));
    if (!mutated) return tl::unexpected(mutated.error());
    object = std::move(mutated->object);
    warnings = std::move(mutated->warnings);
  }
  // Status and finalize subresources change only their part; the main resource never changes
  // status when status is a subresource.
  if (info.subresource == "status") {
    json::value merged = old;
    if (auto* s = object.as_object().if_contains("status"))
      merged.as_object()["status"] = *s;
    else
      merged.as_object().erase("status");
    // Labels and annotations may change through status in kube-apiserver; keep it simple and
    // strict: only status.
    metadata_of(merged)["managedFields"] = metadata_of(object).contains("managedFields")
                                               ? metadata_of(object)["managedFields"]
                                               : json::value(json::array());
    object = std::move(merged);
  } else if (info.subresource == "finalize") {
    json::value merged = old;
    auto* spec = object_at(object, "spec");
    json::value finalizers =
        spec && spec->contains("finalizers") ? spec->at("finalizers") : json::array();
    merged.as_object()["spec"].as_object()["finalizers"] = finalizers;
    object = std::move(merged);
  } else if (type.status_subresource) {
    if (auto* s = old.get_object().if_contains("status"))
      object.as_object()["status"] = *s;
    else
      object.as_object().erase("status");
  }

  // Fields the client cannot change.
  auto& meta = metadata_of(object);
  const auto* old_meta = metadata_of(old);
  for (const char* field : {"uid", "creationTimestamp", "deletionTimestamp",
                            "deletionGracePeriodSeconds", "namespace", "generateName"}) {
    if (old_meta && old_meta->contains(field))
      meta[field] = old_meta->at(field);
    else
      meta.erase(field);
  }
  meta.erase("selfLink");
  if (type.resource == "namespaces") {
    // The phase is the server's; spec.finalizers change only through /finalize.
    if (auto* s = old.get_object().if_contains("status")) object.as_object()["status"] = *s;
    if (info.subresource != "finalize")
      if (auto* s = old.get_object().if_contains("spec")) object.as_object()["spec"] = *s;
  }
  // Finalizers cannot be added once deletion started.
  if (old_meta && old_meta->contains("deletionTimestamp")) {
    auto old_f = finalizers_of(old);
    for (const auto& f : finalizers_of(object))
      if (std::find(old_f.begin(), old_f.end(), f) == old_f.end())
        return tl::unexpected(kube::invalid(
            type.group, type.kind, name,
            {{std::string(kube::cause::kFieldValueForbidden),
              "Forbidden: no new finalizers can be added if the object is being deleted, found "
              "new finalizers []string{\"" +
                  f + "\"}",
              "metadata.finalizers"}}));
  }

  if (auto error = check_against_schema(type, name, object, options.field_validation, warnings))
    return tl::unexpected(*error);
  if (type.resource == "customresourcedefinitions") {
    auto served = custom_resource_types(object);
    if (!served) return tl::unexpected(kube::invalid(type.group, type.kind, name, served.error()));
    if (info.subresource.empty()) {
      // Conditions keep their lastTransitionTime while they do not change, so that re-applying
      // the same CRD writes nothing.
      json::value status = established_crd_status(object, now_text());
      if (auto* old_status = object_at(old, "status");
          old_status && old_status->contains("conditions"))
        status.as_object()["conditions"] = old_status->at("conditions");
      object.as_object()["status"] = std::move(status);
    }
  }

  if (type.tracks_generation) {
    std::int64_t generation = 1;
    if (old_meta)
      if (auto* g = old_meta->if_contains("generation"); g && g->is_int64())
        generation = g->get_int64();
    if (generation_relevant(old, type.status_subresource) !=
        generation_relevant(object, type.status_subresource))
      ++generation;
    // Looked up again: defaulting may have added members to the object and moved its metadata.
    metadata_of(object)["generation"] = generation;
  }

  // Admission: validating webhooks, on the object as it will be stored
  if (admission) {
    auto request = admission_request(info, AdmissionOperation::kUpdate, name, std::move(object),
                                     &old, options);
    auto validated = admission->validate(request);
    object = std::move(request.object);
    if (!validated) return tl::unexpected(validated.error());
    warnings.insert(warnings.end(), validated->begin(), validated->end());
  }

  if (!options.managed_fields_done) {
    UpdateOptions mf;
    mf.manager = options.field_manager;
    mf.api_version = type.api_version();
    mf.now = now_text();
    mf.lookup = lookup_for(type);
    mf.subresource = info.subresource == "status" ? "status" : "";
    mf.ignore_status = type.status_subresource && info.subresource != "status";
    object = update_managed_fields(&old, object, mf);
  }

  Reply reply;
  reply.warnings = std::move(warnings);
  if (options.dry_run) {
    reply.body = std::move(object);
    return reply;
  }

  auto key = key_for(type, info.namespace_name, name);
  // Nothing changed: kube-apiserver does not write, and the resourceVersion stays.
  {
    json::value probe = object;
    metadata_of(probe)["resourceVersion"] = std::to_string(current->resource_version);
    if (probe == current->object) {
      reply.raw_body = served_text(type, current);
      return reply;
    }
  }
  bool deleting = !meta_string(object, "deletionTimestamp").empty();
  bool finalizers_left = !finalizers_of(object).empty();
  if (type.resource == "namespaces") {
    auto* spec = object_at(object, "spec");
    if (spec)
      if (auto* f = spec->if_contains("finalizers"); f && f->is_array() && !f->get_array().empty())
        finalizers_left = true;
  }
  auto committed = store->update(key, expected_rv, std::move(object));
  if (!committed) return tl::unexpected(commit_error(committed.error(), type, name));
  if (type.resource == "customresourcedefinitions") on_crd_changed(&(*committed)->object);
  if (deleting && !finalizers_left) {
    // The last finalizer is gone: the deletion that was waiting for it happens now.
    auto removed = store->remove(key, (*committed)->resource_version);
    if (removed) {
      if (type.resource == "customresourcedefinitions") on_crd_changed(nullptr);
      wake_controllers();
      reply.raw_body = served_text(type, *removed);
      return reply;
    }
  }
  reply.raw_body = served_text(type, *committed);
  return reply;
}

Result ApiServer::Impl::patch(const RequestInfo& info, const http::Request& req,
                              std::string_view query) {
  const ResourceType& type = *info.type;
  auto ct = http::find_header(req.headers, "Content-Type").value_or("");
  std::string media(ct.substr(0, ct.find(';')));
  WriteOptions options;
  options.dry_run = is_dry_run(query);
  options.field_manager = field_manager_from(req, query);
  options.field_validation = http::query_value(query, "fieldValidation").value_or("Warn");
  if (options.field_manager.size() > kMaxFieldManagerLength)
    return tl::unexpected(
        kube::bad_request("fieldManager: Too long: may not be more than 128 bytes"));

  bool is_apply = media == "application/apply-patch+yaml";
  bool strategic = media == "application/strategic-merge-patch+json";
  if (!is_apply && !strategic && media != "application/merge-patch+json" &&
      media != "application/json-patch+json") {
    kube::Status s;
    s.code = 415;
    s.reason = std::string(kube::reason::kUnsupportedMediaType);
    s.message =
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, "
        "application/apply-patch+yaml" +
        std::string(type.custom ? "" : ", application/strategic-merge-patch+json");
    return tl::unexpected(s);
  }
  if (strategic && type.custom) {
    kube::Status s;
    s.code = 415;
    s.reason = std::string(kube::reason::kUnsupportedMediaType);
    s.message =
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, "
        "application/apply-patch+yaml";
    return tl::unexpected(s);
  }
  json::value patch_doc;
  {
    http::Request copy = req;
    auto decoded = decode_body(copy);
    if (!decoded) return tl::unexpected(decoded.error());
    patch_doc = std::move(*decoded);
  }
  if (is_apply) {
    if (!http::query_value(query, "fieldManager"))
      return tl::unexpected(kube::bad_request(
          "PATCH, application/apply-patch+yaml: fieldManager is required for apply requests"));
    if (!patch_doc.is_object())
      return tl::unexpected(kube::bad_request("the apply configuration must be an object"));
    bool force = http::query_value(query, "force").value_or("") == "true";
    for (int attempt = 0; attempt < kMaxPatchRetries; ++attempt) {
      auto key = key_for(type, info.namespace_name, info.name);
      auto current = store->get(key);
      ApplyOptions ao;
      ao.manager = options.field_manager;
      ao.force = force;
      ao.api_version = type.api_version();
      ao.now = now_text();
      ao.lookup = lookup_for(type);
      ao.ignore_status = type.status_subresource && info.subresource != "status";
      json::value applied = patch_doc;
      if (applied.is_object()) {
        auto& m = metadata_of(applied);
        if (meta_string(applied, "name").empty()) m["name"] = info.name;
        if (type.namespaced && meta_string(applied, "namespace").empty())
          m["namespace"] = info.namespace_name;
        if (string_at(applied, "apiVersion").empty())
          applied.as_object()["apiVersion"] = type.api_version();
        if (string_at(applied, "kind").empty()) applied.as_object()["kind"] = type.kind;
      }
      auto result = apiserver::apply(current ? &current->object : nullptr, applied, ao);
      if (!result) {
        kube::Status s;
        s.code = 409;
        s.reason = std::string(kube::reason::kConflict);
        s.message = result.error().message();
        s.causes = result.error().causes();
        s.name = info.name;
        s.group = type.group;
        s.kind = type.resource;
        return tl::unexpected(s);
      }
      options.managed_fields_done = true;
      if (!current) {
        auto created = create_object(info, std::move(*result), options);
        if (!created && created.error().is(kube::reason::kAlreadyExists)) continue;
        return created;
      }
      // The apply was computed from this version: commit against it.
      metadata_of(*result)["resourceVersion"] = std::to_string(current->resource_version);
      auto updated = update_object(info, std::move(*result), current, options, false);
      if (!updated && updated.error().code == 409 && updated.error().is(kube::reason::kConflict) &&
          updated.error().causes.empty())
        continue;
      return updated;
    }
    return tl::unexpected(commit_error(CommitError::kConflict, type, info.name));
  }

  for (int attempt = 0; attempt < kMaxPatchRetries; ++attempt) {
    auto key = key_for(type, info.namespace_name, info.name);
    auto current = store->get(key);
    if (!current) return tl::unexpected(kube::not_found(type.group, type.resource, info.name));
    json::value base = served_value(type, current);
    tl::expected<json::value, PatchError> patched;
    if (media == "application/json-patch+json")
      patched = json_patch(base, patch_doc);
    else if (media == "application/merge-patch+json")
      patched = json_merge_patch(base, patch_doc);
    else
      patched =
          strategic_merge_patch(base, patch_doc, PatchSchema::for_kind(type.group, type.kind));
    if (!patched) {
      kube::Status s;
      s.code = patched.error().http_code;
      s.reason = std::string(kube::Status::reason_for_code(s.code));
      s.message = patched.error().message;
      return tl::unexpected(s);
    }
    if (!patched->is_object())
      return tl::unexpected(kube::bad_request("the patched object is not a JSON object"));
    // A patch may name the resourceVersion it expects; otherwise it applies to the latest.
    bool explicit_rv =
        meta_string(*patched, "resourceVersion") != std::to_string(current->resource_version);
    if (meta_string(*patched, "resourceVersion").empty())
      metadata_of(*patched)["resourceVersion"] = std::to_string(current->resource_version);
    auto updated = update_object(info, std::move(*patched), current, options, false);
    if (!updated && updated.error().is(kube::reason::kConflict) && !explicit_rv) continue;
    return updated;
  }
  return tl::unexpected(commit_error(CommitError::kConflict, type, info.name));
}

// ---------------------------------------------------------------------------------------------
// Deletes

Result ApiServer::Impl::remove(const RequestInfo& info, const http::Request& req,
                               std::string_view query) {
  if (info.resource == "namespaces" &&
      (info.name == "default" || info.name == "kube-system" || info.name == "kube-public"))
    return tl::unexpected(
        kube::forbidden("", "namespaces", info.name, "this namespace may not be deleted"));
  std::string policy = http::query_value(query, "propagationPolicy").value_or("");
  std::optional<std::string> uid, rv;
  bool dry_run = is_dry_run(query);
  if (!req.body.empty()) {
    auto body = common::parse_json(req.body);
    if (!body || !body->is_object())
      return tl::unexpected(
          kube::bad_request("the DeleteOptions in the request body could not be decoded"));
    if (auto p = string_at(*body, "propagationPolicy"); !p.empty()) policy = p;
    if (auto* pre = object_at(*body, "preconditions")) {
      if (auto* u = pre->if_contains("uid"); u && u->is_string())
        uid = std::string(u->get_string());
      if (auto* r = pre->if_contains("resourceVersion"); r && r->is_string())
        rv = std::string(r->get_string());
    }
    if (auto* d = body->get_object().if_contains("dryRun"); d && d->is_array())
      for (const auto& v : d->get_array())
        if (v.is_string() && v.get_string() == "All") dry_run = true;
  }
  if (!policy.empty() && policy != "Orphan" && policy != "Background" && policy != "Foreground")
    return tl::unexpected(
        kube::invalid(info.group, info.type->kind, info.name,
                      {{std::string(kube::cause::kFieldValueNotSupported),
                        "Unsupported value: \"" + policy +
                            "\": supported values: \"Foreground\", \"Background\", \"Orphan\"",
                        "propagationPolicy"}}));
  return delete_object(*info.type, key_for(*info.type, info.namespace_name, info.name), policy, uid,
                       rv, dry_run, /*admit=*/true);
}

Result ApiServer::Impl::delete_object(const ResourceType& type, const ObjectKey& key,
                                      std::string policy, std::optional<std::string> uid_pre,
                                      std::optional<std::string> rv_pre, bool dry_run, bool admit) {
  for (int attempt = 0; attempt < kMaxPatchRetries; ++attempt) {
    auto current = store->get(key);
    if (!current) return tl::unexpected(kube::not_found(type.group, type.resource, key.name));
    std::string uid = meta_string(current->object, "uid");
    if (uid_pre && *uid_pre != uid)
      return tl::unexpected(kube::conflict(type.group, type.resource, key.name,
                                           "Precondition failed: UID in precondition: " + *uid_pre +
                                               ", UID in object meta: " + uid));
    if (rv_pre && parse_rv(*rv_pre) != current->resource_version)
      return tl::unexpected(kube::conflict(
          type.group, type.resource, key.name,
          "Precondition failed: ResourceVersion in precondition: " + *rv_pre +
              ", ResourceVersion in object meta: " + std::to_string(current->resource_version)));

    // Admission: DELETE, with the object being deleted as oldObject
    std::vector<std::string> admission_warnings;
    if (admit && admission) {
      AdmissionRequest request;
      request.operation = AdmissionOperation::kDelete;
      request.type = &type;
      request.namespace_name = key.namespace_name;
      request.name = key.name;
      request.old_object = &current->object;
      request.dry_run = dry_run;
      request.options = admission_options(AdmissionOperation::kDelete, dry_run, "", policy);
      auto admitted = admission->admit(std::move(request));
      if (!admitted) return tl::unexpected(admitted.error());
      admission_warnings = std::move(admitted->warnings);
    }

    json::value next = current->object;
    auto& meta = metadata_of(next);
    auto finalizers = finalizers_of(next);
    auto add_finalizer = [&](const char* f) {
      if (std::find(finalizers.begin(), finalizers.end(), f) != finalizers.end()) return;
      finalizers.emplace_back(f);
      json::array a;
      for (const auto& x : finalizers) a.push_back(json::value(x));
      meta["finalizers"] = std::move(a);
    };
    bool already_deleting = meta.contains("deletionTimestamp");
    if (!already_deleting) {
      if (policy == "Foreground")
        add_finalizer("foregroundDeletion");
      else if (policy == "Orphan")
        add_finalizer("orphan");
    }
    bool namespace_pending = false;
    if (type.resource == "namespaces") {
      namespace_pending = true;
      next.as_object()["status"] = json::object{{"phase", "Terminating"}};
    }
    Reply reply;
    reply.warnings = std::move(admission_warnings);
    if (finalizers.empty() && !namespace_pending) {
      if (dry_run) {
        reply.body = current->object;
        return reply;
      }
      auto removed = store->remove(key, current->resource_version);
      if (!removed) {
        if (removed.error() == CommitError::kConflict) continue;
        return tl::unexpected(commit_error(removed.error(), type, key.name));
      }
      if (type.resource == "customresourcedefinitions") on_crd_changed(nullptr);
      wake_controllers();
      reply.raw_body = served_text(type, *removed);
      return reply;
    }
    if (already_deleting && next == current->object) {
      reply.raw_body = served_text(type, current);
      return reply;
    }
    if (!already_deleting) {
      meta["deletionTimestamp"] = now_text();
      meta["deletionGracePeriodSeconds"] = 0;
      if (type.tracks_generation)
        if (auto* g = meta.if_contains("generation"); g && g->is_int64()) *g = g->get_int64() + 1;
    }
    if (dry_run) {
      reply.body = std::move(next);
      return reply;
    }
    auto updated = store->update(key, current->resource_version, std::move(next));
    if (!updated) {
      if (updated.error() == CommitError::kConflict) continue;
      return tl::unexpected(commit_error(updated.error(), type, key.name));
    }
    wake_controllers();
    reply.raw_body = served_text(type, *updated);
    return reply;
  }
  return tl::unexpected(commit_error(CommitError::kConflict, type, key.name));
}

Result ApiServer::Impl::remove_collection(const RequestInfo& info, const http::Request& req,
                                          std::string_view query) {
  auto selectors = parse_selectors(query);
  if (!selectors) return tl::unexpected(selectors.error());
  std::optional<std::string_view> ns;
  if (!info.namespace_name.empty()) ns = info.namespace_name;
  auto snapshot = store->list(info.type->collection(), ns);
  std::string policy = http::query_value(query, "propagationPolicy").value_or("");
  bool dry_run = is_dry_run(query);
  (void)req;
  std::vector<ObjectPtr> deleted;
  for (const auto& [key, obj] : snapshot.items) {
    if (!selectors->matches(obj->object)) continue;
    auto r = delete_object(*info.type, key, policy, std::nullopt, std::nullopt, dry_run,
                           /*admit=*/true);
    if (!r && !r.error().is(kube::reason::kNotFound)) return r;
    deleted.push_back(obj);
  }
  Reply reply;
  std::string body = "{\"kind\":\"" + info.type->list_kind + "\",\"apiVersion\":\"" +
                     info.type->api_version() + "\",\"metadata\":{\"resourceVersion\":\"" +
                     std::to_string(store->resource_version()) + "\"},\"items\":[";
  for (std::size_t k = 0; k < deleted.size(); ++k) {
    if (k) body += ',';
    body += served_text(*info.type, deleted[k]);
  }
  body += "]}";
  reply.raw_body = std::move(body);
  return reply;
}

}  // namespace lambda::apiserver
