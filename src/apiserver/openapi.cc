// OpenAPI v3, one document per group-version, as kube-apiserver publishes them: what `kubectl
// explain` reads, what kubectl's apply uses for strategic merge patches of built-in kinds, and
// where it looks for the fieldValidation parameter to decide that the server validates fields.
//
// apiextensions.k8s.io/v1 is served byte for byte from the upstream document (data/). The other
// documents are generated from the registry; their operation parameters and the ObjectMeta
// family of schemas are taken from that upstream document, so descriptions match the real ones.
#include <boost/json.hpp>
#include <mutex>
#include <string_view>

#include "apiserver/api_server_internal.h"
#include "common/json_yaml.h"

namespace lambda::embedded {
extern const std::string_view kApiextensionsV1OpenApi;
}

namespace lambda::apiserver {
namespace json = boost::json;

namespace {
constexpr std::string_view kUpstreamGroupVersion = "apis/apiextensions.k8s.io/v1";
constexpr std::string_view kCrdSchema =
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition";
constexpr std::string_view kCrdItemPath =
    "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}";
constexpr std::string_view kCrdCollectionPath =
    "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
constexpr std::string_view kCrdStatusPath =
    "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}/status";
constexpr std::string_view kMetaPrefix = "io.k8s.apimachinery.pkg.apis.meta.v1.";

const json::value& upstream() {
  static const json::value doc = [] {
    auto parsed = common::parse_json(embedded::kApiextensionsV1OpenApi);
    return parsed ? std::move(*parsed) : json::value(json::object());
  }();
  return doc;
}

std::string hex_hash(std::string_view text) {
  // FNV-1a, 64 bits, twice with different offsets: clients treat the hash as opaque.
  auto fnv = [&](std::uint64_t h) {
    for (unsigned char c : text) {
      h ^= c;
      h *= 1099511628211ULL;
    }
    return h;
  };
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llX%016llX",
                static_cast<unsigned long long>(fnv(14695981039346656037ULL)),
                static_cast<unsigned long long>(fnv(0x84222325CBF29CE4ULL)));
  return buf;
}

// "lambda.knative.io" -> "io.knative.lambda"; built-in groups use Kubernetes' own prefixes.
std::string schema_name(const ResourceType& t, std::string_view kind) {
  std::string prefix;
  if (t.group.empty())
    prefix = "io.k8s.api.core";
  else if (t.group == "coordination.k8s.io")
    prefix = "io.k8s.api.coordination";
  else if (t.group == "admissionregistration.k8s.io")
    prefix = "io.k8s.api.admissionregistration";
  else {
    std::string_view g = t.group;
    while (!g.empty()) {
      auto dot = g.rfind('.');
      std::string_view part = dot == std::string_view::npos ? g : g.substr(dot + 1);
      if (!prefix.empty()) prefix += '.';
      prefix += part;
      if (dot == std::string_view::npos) break;
      g = g.substr(0, dot);
    }
  }
  return prefix + "." + t.version + "." + std::string(kind);
}

void replace_all(std::string& text, std::string_view from, std::string_view to) {
  std::size_t pos = 0;
  while ((pos = text.find(from, pos)) != std::string::npos) {
    text.replace(pos, from.size(), to);
    pos += to.size();
  }
}

json::object gvk(const ResourceType& t, std::string_view kind) {
  return {{"group", t.group}, {"kind", kind}, {"version", t.version}};
}

// A path item of the upstream CRD paths, retargeted at another kind.
json::value retarget(std::string_view template_path, const ResourceType& t) {
  const auto& paths = upstream().at("paths").as_object();
  auto* item = paths.if_contains(template_path);
  if (!item) return json::object();
  std::string text = json::serialize(*item);
  replace_all(text, std::string(kCrdSchema) + "List", schema_name(t, t.list_kind));
  replace_all(text, kCrdSchema, schema_name(t, t.kind));
  replace_all(text, "\"group\":\"apiextensions.k8s.io\"", "\"group\":\"" + t.group + "\"");
  replace_all(text, "\"version\":\"v1\"", "\"version\":\"" + t.version + "\"");
  replace_all(text, "CustomResourceDefinitionList", t.list_kind);
  replace_all(text, "CustomResourceDefinition", t.kind);
  replace_all(text, "apiextensions_v1", t.group.empty() ? "core_v1" : t.group + "_" + t.version);
  replace_all(text, "ApiextensionsV1", "V1");
  auto parsed = common::parse_json(text);
  if (!parsed) return json::object();
  if (t.namespaced && parsed->is_object()) {
    auto& params = parsed->as_object()["parameters"];
    if (!params.is_array()) params = json::array();
    params.as_array().push_back(
        json::object{{"description", "object name and auth scope, such as for teams and projects"},
                     {"in", "path"},
                     {"name", "namespace"},
                     {"required", true},
                     {"schema", {{"type", "string"}, {"uniqueItems", true}}}});
  }
  return std::move(*parsed);
}

json::value object_ref(std::string_view name, std::string description) {
  return json::object{
      {"allOf", json::array{json::object{{"$ref", "#/components/schemas/" + std::string(name)}}}},
      {"default", json::object()},
      {"description", std::move(description)}};
}

json::value kind_schema(const ResourceType& t) {
  json::value schema;
  if (t.custom && t.openapi_schema.is_object())
    schema = t.openapi_schema;
  else if (t.builtin_schema.is_object())
    schema = t.builtin_schema;
  else
    schema = json::object{{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}};
  auto& o = schema.as_object();
  auto& props = o["properties"];
  if (!props.is_object()) props = json::object();
  auto& p = props.as_object();
  p["apiVersion"] = json::object{
      {"description",
       "APIVersion defines the versioned schema of this representation of an object. Servers "
       "should convert recognized schemas to the latest internal value, and may reject "
       "unrecognized values. More info: "
       "https://git.k8s.io/community/contributors/devel/sig-architecture/"
       "api-conventions.md#resources"},
      {"type", "string"}};
  p["kind"] = json::object{
      {"description",
       "Kind is a string value representing the REST resource this object represents. Servers "
       "may infer this from the endpoint the client submits requests to. Cannot be updated. In "
       "CamelCase. More info: "
       "https://git.k8s.io/community/contributors/devel/sig-architecture/"
       "api-conventions.md#types-kinds"},
      {"type", "string"}};
  p["metadata"] = object_ref(std::string(kMetaPrefix) + "ObjectMeta",
                             "Standard object's metadata. More info: "
                             "https://git.k8s.io/community/contributors/devel/sig-architecture/"
                             "api-conventions.md#metadata");
  o["type"] = "object";
  o["x-kubernetes-group-version-kind"] = json::array{gvk(t, t.kind)};
  return schema;
}

json::value list_schema(const ResourceType& t) {
  return json::object{
      {"description", t.list_kind + " is a list of " + t.kind},
      {"properties",
       {{"apiVersion", {{"type", "string"}}},
        {"items",
         {{"description", "List of " + t.resource},
          {"items", {{"$ref", "#/components/schemas/" + schema_name(t, t.kind)}}},
          {"type", "array"}}},
        {"kind", {{"type", "string"}}},
        {"metadata", object_ref(std::string(kMetaPrefix) + "ListMeta",
                                "Standard list metadata. More info: "
                                "https://git.k8s.io/community/contributors/devel/sig-architecture/"
                                "api-conventions.md#types-kinds")}}},
      {"required", json::array{"items"}},
      {"type", "object"},
      {"x-kubernetes-group-version-kind", json::array{gvk(t, t.list_kind)}}};
}

std::string build_document(const std::vector<ResourceTypePtr>& types,
                           const std::string& git_version) {
  json::object schemas;
  for (const auto& [name, schema] : upstream().at("components").at("schemas").as_object())
    if (name.starts_with(kMetaPrefix)) schemas[name] = schema;
  json::object paths;
  for (const auto& t : types) {
    schemas[schema_name(*t, t->kind)] = kind_schema(*t);
    schemas[schema_name(*t, t->list_kind)] = list_schema(*t);
    std::string base = t->group.empty() ? "/api/v1" : "/apis/" + t->group + "/" + t->version;
    if (t->namespaced) base += "/namespaces/{namespace}";
    base += "/" + t->resource;
    paths[base] = retarget(kCrdCollectionPath, *t);
    paths[base + "/{name}"] = retarget(kCrdItemPath, *t);
    if (t->status_subresource) paths[base + "/{name}/status"] = retarget(kCrdStatusPath, *t);
  }
  json::object doc{{"openapi", "3.0.0"},
                   {"info", {{"title", "Kubernetes"}, {"version", git_version}}},
                   {"paths", std::move(paths)},
                   {"components", {{"schemas", std::move(schemas)}}}};
  return json::serialize(doc);
}

using DocumentMap = std::map<std::string, std::pair<std::string, std::string>>;  // gv -> text, hash
}  // namespace

struct OpenApiCache {
  std::mutex mutex;
  std::uint64_t generation = 0;
  std::shared_ptr<const DocumentMap> docs;
};

std::shared_ptr<OpenApiCache> make_openapi_cache() { return std::make_shared<OpenApiCache>(); }

namespace {
// Every served group-version's document, rebuilt when the registry changed.
std::shared_ptr<const DocumentMap> documents(const ApiServer::Impl& server) {
  auto& cache = *server.openapi_cache;
  std::lock_guard lock(cache.mutex);
  auto generation = server.registry.generation();
  if (generation != cache.generation || !cache.docs) {
    auto docs = std::make_shared<DocumentMap>();
    std::map<std::string, std::vector<ResourceTypePtr>> by_gv;
    for (const auto& t : server.registry.all()) {
      std::string gv = t->group.empty() ? "api/v1" : "apis/" + t->group + "/" + t->version;
      by_gv[gv].push_back(t);
    }
    for (const auto& [gv, types] : by_gv) {
      std::string text = gv == kUpstreamGroupVersion
                             ? std::string(embedded::kApiextensionsV1OpenApi)
                             : build_document(types, server.options.git_version);
      auto hash = hex_hash(text);
      (*docs)[gv] = {std::move(text), std::move(hash)};
    }
    cache.docs = std::move(docs);
    cache.generation = generation;
  }
  return cache.docs;
}
}  // namespace

std::string ApiServer::Impl::openapi_v2_document() const {
  // Swagger 2.0 with every served kind's schema under definitions: clients that still read v2
  // (older kubectl, client-go's openapi v2 helpers) see the same schemas as v3 readers.
  json::object definitions;
  for (const auto& [gv, doc] : *documents(*this)) {
    auto parsed = common::parse_json(doc.first);
    if (!parsed) continue;
    auto* components = parsed->as_object().if_contains("components");
    auto* schemas = components && components->is_object()
                        ? components->as_object().if_contains("schemas")
                        : nullptr;
    if (!schemas || !schemas->is_object()) continue;
    for (auto& [name, schema] : schemas->as_object()) definitions[name] = schema;
  }
  std::string text = json::serialize(
      json::object{{"swagger", "2.0"},
                   {"info", {{"title", "Kubernetes"}, {"version", options.git_version}}},
                   {"paths", json::object()},
                   {"definitions", std::move(definitions)}});
  replace_all(text, "#/components/schemas/", "#/definitions/");
  return text;
}

json::value ApiServer::Impl::openapi_v3_index() const {
  json::object paths;
  for (const auto& [gv, doc] : *documents(*this))
    paths[gv] = json::object{{"serverRelativeURL", "/openapi/v3/" + gv + "?hash=" + doc.second}};
  return json::object{{"paths", std::move(paths)}};
}

std::optional<std::pair<std::string, std::string>> ApiServer::Impl::openapi_v3_document(
    std::string_view group_version) const {
  // Text and hash from one read of the cache: they must belong together.
  auto docs = documents(*this);
  auto it = docs->find(std::string(group_version));
  if (it == docs->end()) return std::nullopt;
  return it->second;
}

}  // namespace lambda::apiserver
