#include "apiserver/builtin_resources.h"

#include <boost/json.hpp>
#include <set>

#include "apiserver/json_path.h"
#include "apiserver/object_meta.h"
#include "apiserver/structural_schema.h"

namespace lambda::apiserver {
namespace json = boost::json;

namespace {
using Clock = std::chrono::system_clock;

PrinterColumn name_column() {
  return {"Name",
          "string",
          "name",
          "Name must be unique within a namespace. Is required when creating resources, although "
          "some resources may allow a client to request the generation of an appropriate name "
          "automatically. Name is primarily intended for creation idempotence and configuration "
          "definition. Cannot be updated. More info: "
          "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
          "",
          0};
}
PrinterColumn age_column() {
  return {"Age",
          "string",
          "",
          "CreationTimestamp is a timestamp representing the server time when this object was "
          "created.",
          "",
          0};
}
PrinterColumn column(std::string name, std::string description, int priority = 0,
                     std::string type = "string") {
  return {std::move(name), std::move(type), "", std::move(description), "", priority};
}

std::size_t count_members(const json::value& v, std::string_view key) {
  auto* o = object_at(v, key);
  return o ? o->size() : 0;
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

std::string service_ports(const json::value& svc) {
  std::vector<std::string> ports;
  auto* spec = object_at(svc, "spec");
  if (!spec) return "<none>";
  auto* list = spec->if_contains("ports");
  if (!list || !list->is_array()) return "<none>";
  for (const auto& p : list->get_array()) {
    if (!p.is_object()) continue;
    std::string text;
    if (auto* port = p.get_object().if_contains("port"); port && port->is_int64())
      text = std::to_string(port->get_int64());
    if (auto* np = p.get_object().if_contains("nodePort"); np && np->is_int64())
      text += ":" + std::to_string(np->get_int64());
    std::string protocol = string_at(p, "protocol");
    text += "/" + (protocol.empty() ? std::string("TCP") : protocol);
    ports.push_back(text);
  }
  return ports.empty() ? "<none>" : join(ports, ",");
}

ResourceType core(std::string resource, std::string singular, std::string kind, bool namespaced) {
  ResourceType t;
  t.version = "v1";
  t.resource = std::move(resource);
  t.singular = std::move(singular);
  t.kind = kind;
  t.list_kind = kind + "List";
  t.namespaced = namespaced;
  return t;
}
}  // namespace

std::string age_cell(const json::value& object, Clock::time_point now) {
  auto created = parse_rfc3339(meta_string(object, "creationTimestamp"));
  if (!created) return "<unknown>";
  return human_duration(std::chrono::duration_cast<std::chrono::seconds>(now - *created));
}

void register_builtin_resources(ResourceRegistry& registry) {
  {
    auto t = core("namespaces", "namespace", "Namespace", false);
    t.short_names = {"ns"};
    t.status_subresource = true;
    t.columns = {name_column(), column("Status", "The status of the namespace"), age_column()};
    t.cells = [](const json::value& o) {
      auto* status = object_at(o, "status");
      std::string phase = status ? string_at(json::value(*status), "phase") : "";
      return json::array{json::value(meta_string(o, "name")), json::value(phase),
                         json::value(age_cell(o, Clock::now()))};
    };
    registry.add(std::move(t));
  }
  {
    auto t = core("configmaps", "configmap", "ConfigMap", true);
    t.short_names = {"cm"};
    t.columns = {name_column(), column("Data", "Number of data items", 0, "integer"), age_column()};
    t.cells = [](const json::value& o) {
      return json::array{json::value(meta_string(o, "name")),
                         json::value(count_members(o, "data") + count_members(o, "binaryData")),
                         json::value(age_cell(o, Clock::now()))};
    };
    registry.add(std::move(t));
  }
  {
    auto t = core("secrets", "secret", "Secret", true);
    t.columns = {name_column(), column("Type", "The type of the secret"),
                 column("Data", "Number of data items", 0, "integer"), age_column()};
    t.cells = [](const json::value& o) {
      return json::array{json::value(meta_string(o, "name")), json::value(string_at(o, "type")),
                         json::value(count_members(o, "data")),
                         json::value(age_cell(o, Clock::now()))};
    };
    registry.add(std::move(t));
  }
  {
    auto t = core("services", "service", "Service", true);
    t.short_names = {"svc"};
    t.categories = {"all"};
    t.status_subresource = true;
    t.columns = {name_column(),
                 column("Type", "The type of the service"),
                 column("Cluster-IP", "The cluster IP of the service"),
                 column("External-IP", "The external IP of the service"),
                 column("Port(s)", "The ports of the service"),
                 age_column(),
                 column("Selector", "The selector of the service", 1)};
    t.cells = [](const json::value& o) {
      auto* spec = object_at(o, "spec");
      json::value s = spec ? json::value(*spec) : json::value(json::object());
      std::string type = string_at(s, "type");
      std::string cluster_ip = string_at(s, "clusterIP");
      std::vector<std::string> selector;
      if (auto* sel = object_at(s, "selector"))
        for (const auto& [k, v] : *sel)
          selector.push_back(std::string(k) + "=" +
                             (v.is_string() ? std::string(v.get_string()) : ""));
      std::string external = string_at(s, "externalName");
      return json::array{json::value(meta_string(o, "name")),
                         json::value(type.empty() ? "ClusterIP" : type),
                         json::value(cluster_ip.empty() ? "<none>" : cluster_ip),
                         json::value(external.empty() ? "<none>" : external),
                         json::value(service_ports(o)),
                         json::value(age_cell(o, Clock::now())),
                         json::value(selector.empty() ? "<none>" : join(selector, ","))};
    };
    registry.add(std::move(t));
  }
  {
    auto t = core("serviceaccounts", "serviceaccount", "ServiceAccount", true);
    t.short_names = {"sa"};
    t.columns = {name_column(), column("Secrets", "", 0, "integer"), age_column()};
    t.cells = [](const json::value& o) {
      auto* secrets = array_at(o, "secrets");
      return json::array{json::value(meta_string(o, "name")),
                         json::value(secrets ? secrets->size() : 0),
                         json::value(age_cell(o, Clock::now()))};
    };
    registry.add(std::move(t));
  }
  {
    auto t = core("events", "event", "Event", true);
    t.short_names = {"ev"};
    t.columns = {column("Last Seen", "Time when last this event was seen"),
                 column("Type",
                        "Type of this event (Normal, Warning), new types could be added in "
                        "the future."),
                 column("Reason",
                        "A machine-readable description of why this event was "
                        "generated."),
                 column("Object", "The object this Event is about."),
                 column("Message",
                        "A human-readable description of the status of this "
                        "operation."),
                 column("Count", "The number of times this event has occurred.", 1, "integer"),
                 column("Name", "Name of the event", 1)};
    t.cells = [](const json::value& o) {
      auto now = Clock::now();
      std::string last = string_at(o, "lastTimestamp");
      if (last.empty()) last = string_at(o, "eventTime");
      auto when = parse_rfc3339(last);
      std::string seen =
          when ? human_duration(std::chrono::duration_cast<std::chrono::seconds>(now - *when))
               : age_cell(o, now);
      auto* involved = object_at(o, "involvedObject");
      json::value inv = involved ? json::value(*involved) : json::value(json::object());
      std::string kind = string_at(inv, "kind");
      for (auto& c : kind) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::int64_t count = 1;
      if (auto* c = o.get_object().if_contains("count"); c && c->is_int64()) count = c->get_int64();
      return json::array{json::value(seen),
                         json::value(string_at(o, "type")),
                         json::value(string_at(o, "reason")),
                         json::value(kind + "/" + string_at(inv, "name")),
                         json::value(string_at(o, "message")),
                         json::value(count),
                         json::value(meta_string(o, "name"))};
    };
    registry.add(std::move(t));
  }
  {
    ResourceType t;
    t.group = "coordination.k8s.io";
    t.version = "v1";
    t.resource = "leases";
    t.singular = "lease";
    t.kind = "Lease";
    t.list_kind = "LeaseList";
    t.columns = {name_column(), column("Holder", "The holder of the lease"), age_column()};
    t.cells = [](const json::value& o) {
      auto* spec = object_at(o, "spec");
      std::string holder = spec ? string_at(json::value(*spec), "holderIdentity") : "";
      return json::array{json::value(meta_string(o, "name")), json::value(holder),
                         json::value(age_cell(o, Clock::now()))};
    };
    registry.add(std::move(t));
  }
  {
    ResourceType t;
    t.group = "apiextensions.k8s.io";
    t.version = "v1";
    t.resource = "customresourcedefinitions";
    t.singular = "customresourcedefinition";
    t.kind = "CustomResourceDefinition";
    t.list_kind = "CustomResourceDefinitionList";
    t.namespaced = false;
    t.short_names = {"crd", "crds"};
    t.categories = {"api-extensions"};
    t.status_subresource = true;
    t.tracks_generation = true;
    t.columns = {name_column(), {"Created At", "date", "", "", "", 0}};
    t.cells = [](const json::value& o) {
      return json::array{json::value(meta_string(o, "name")),
                         json::value(meta_string(o, "creationTimestamp"))};
    };
    registry.add(std::move(t));
  }
  for (std::string kind : {"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"}) {
    ResourceType t;
    t.group = "admissionregistration.k8s.io";
    t.version = "v1";
    std::string lower = kind;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    t.resource = lower + "s";
    t.singular = lower;
    t.kind = kind;
    t.list_kind = kind + "List";
    t.namespaced = false;
    t.categories = {"api-extensions"};
    t.tracks_generation = true;
    t.columns = {name_column(), column("Webhooks", "", 0, "integer"), age_column()};
    t.cells = [](const json::value& o) {
      auto* hooks = array_at(o, "webhooks");
      return json::array{json::value(meta_string(o, "name")),
                         json::value(hooks ? hooks->size() : 0),
                         json::value(age_cell(o, Clock::now()))};
    };
    registry.add(std::move(t));
  }
}

namespace {
void add_cause(std::vector<kube::StatusCause>& causes, std::string_view type, std::string field,
               std::string message) {
  causes.push_back({std::string(type), std::move(message), std::move(field)});
}

std::vector<std::string> strings_at(const json::value& v, std::string_view key) {
  std::vector<std::string> out;
  if (auto* a = array_at(v, key))
    for (const auto& s : *a)
      if (s.is_string()) out.emplace_back(s.get_string());
  return out;
}
}  // namespace

tl::expected<std::vector<ResourceType>, std::vector<kube::StatusCause>> custom_resource_types(
    const json::value& crd) {
  std::vector<kube::StatusCause> causes;
  auto* spec_obj = object_at(crd, "spec");
  if (!spec_obj) {
    add_cause(causes, kube::cause::kFieldValueRequired, "spec", "Required value");
    return tl::unexpected(causes);
  }
  json::value spec(*spec_obj);
  std::string group = string_at(spec, "group");
  std::string scope = string_at(spec, "scope");
  auto* names_obj = object_at(spec, "names");
  json::value names = names_obj ? json::value(*names_obj) : json::value(json::object());
  std::string plural = string_at(names, "plural");
  std::string singular = string_at(names, "singular");
  std::string kind = string_at(names, "kind");
  std::string list_kind = string_at(names, "listKind");
  std::string name = meta_string(crd, "name");

  if (group.empty())
    add_cause(causes, kube::cause::kFieldValueRequired, "spec.group", "Required value");
  else if (group.find('.') == std::string::npos)
    add_cause(causes, kube::cause::kFieldValueInvalid, "spec.group",
              "Invalid value: \"" + group + "\": should be a domain with at least one dot");
  if (plural.empty())
    add_cause(causes, kube::cause::kFieldValueRequired, "spec.names.plural", "Required value");
  if (kind.empty())
    add_cause(causes, kube::cause::kFieldValueRequired, "spec.names.kind", "Required value");
  if (!plural.empty() && !group.empty() && name != plural + "." + group)
    add_cause(causes, kube::cause::kFieldValueInvalid, "metadata.name",
              "Invalid value: \"" + name + "\": must be spec.names.plural+\".\"+spec.group");
  if (scope != "Namespaced" && scope != "Cluster")
    add_cause(
        causes, kube::cause::kFieldValueNotSupported, "spec.scope",
        "Unsupported value: \"" + scope + "\": supported values: \"Cluster\", \"Namespaced\"");
  if (singular.empty()) {
    singular = kind;
    for (auto& c : singular) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (list_kind.empty()) list_kind = kind + "List";

  std::vector<ResourceType> types;
  auto* versions = array_at(spec, "versions");
  if (!versions || versions->empty()) {
    add_cause(causes, kube::cause::kFieldValueInvalid, "spec.versions",
              "Invalid value: []apiextensions.CustomResourceDefinitionVersion(nil): must have "
              "exactly one version marked as storage version");
    return tl::unexpected(causes);
  }
  int storage_count = 0;
  std::set<std::string> seen_versions;
  for (std::size_t i = 0; i < versions->size(); ++i) {
    const auto& v = (*versions)[i];
    std::string path = "spec.versions[" + std::to_string(i) + "]";
    std::string version = string_at(v, "name");
    if (version.empty()) {
      add_cause(causes, kube::cause::kFieldValueRequired, path + ".name", "Required value");
      continue;
    }
    if (!seen_versions.insert(version).second)
      add_cause(causes, kube::cause::kFieldValueInvalid, path + ".name",
                "Invalid value: \"" + version + "\": must be unique");
    bool served = v.is_object() && v.get_object().contains("served") &&
                  v.get_object().at("served").is_bool() && v.get_object().at("served").get_bool();
    bool storage = v.is_object() && v.get_object().contains("storage") &&
                   v.get_object().at("storage").is_bool() &&
                   v.get_object().at("storage").get_bool();
    if (storage) ++storage_count;

    ResourceType t;
    t.group = group;
    t.version = version;
    t.resource = plural;
    t.singular = singular;
    t.kind = kind;
    t.list_kind = list_kind;
    t.namespaced = scope != "Cluster";
    t.short_names = strings_at(names, "shortNames");
    t.categories = strings_at(names, "categories");
    t.tracks_generation = true;
    t.storage = storage;
    if (auto* sub = object_at(v, "subresources"); sub && sub->contains("status"))
      t.status_subresource = true;
    const json::value* schema = nullptr;
    if (auto* s = object_at(v, "schema")) schema = s->if_contains("openAPIV3Schema");
    if (!schema) {
      add_cause(causes, kube::cause::kFieldValueRequired, path + ".schema.openAPIV3Schema",
                "Required value: schemas are required");
    } else {
      auto compiled = StructuralSchema::compile(*schema, path + ".schema.openAPIV3Schema");
      if (!compiled) {
        for (auto& c : compiled.error()) causes.push_back(std::move(c));
      } else {
        t.schema = std::make_shared<const StructuralSchema>(std::move(*compiled));
        t.openapi_schema = *schema;
      }
    }
    t.columns.push_back(name_column());
    bool has_columns = false;
    if (auto* cols = array_at(v, "additionalPrinterColumns")) {
      for (const auto& c : *cols) {
        PrinterColumn pc;
        pc.name = string_at(c, "name");
        pc.type = string_at(c, "type");
        pc.format = string_at(c, "format");
        pc.description = string_at(c, "description");
        pc.json_path = string_at(c, "jsonPath");
        if (auto* p = c.is_object() ? c.get_object().if_contains("priority") : nullptr;
            p && p->is_int64())
          pc.priority = static_cast<int>(p->get_int64());
        t.columns.push_back(std::move(pc));
        has_columns = true;
      }
    }
    if (!has_columns)
      t.columns.push_back(
          {"Age", "date", "", age_column().description, ".metadata.creationTimestamp", 0});
    if (served) types.push_back(std::move(t));
  }
  if (storage_count != 1)
    add_cause(causes, kube::cause::kFieldValueInvalid, "spec.versions",
              "Invalid value: []apiextensions.CustomResourceDefinitionVersion{...}: must have "
              "exactly one version marked as storage version");
  if (!causes.empty()) return tl::unexpected(causes);
  return types;
}

json::value established_crd_status(const json::value& crd, std::string_view now) {
  json::value status = json::object();
  auto* spec = object_at(crd, "spec");
  json::value names = spec && spec->contains("names") ? spec->at("names") : json::object();
  if (names.is_object()) {
    auto& n = names.as_object();
    if (!n.contains("singular") && n.contains("kind") && n.at("kind").is_string()) {
      std::string s(n.at("kind").get_string());
      for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      n["singular"] = s;
    }
    if (!n.contains("listKind") && n.contains("kind") && n.at("kind").is_string())
      n["listKind"] = std::string(n.at("kind").get_string()) + "List";
  }
  json::array stored;
  if (spec)
    if (auto* versions = spec->if_contains("versions"); versions && versions->is_array())
      for (const auto& v : versions->get_array())
        if (auto* s = v.is_object() ? v.get_object().if_contains("storage") : nullptr;
            s && s->is_bool() && s->get_bool())
          stored.push_back(json::value(string_at(v, "name")));
  auto condition = [&](std::string type, std::string reason, std::string message) {
    return json::object{{"type", type},
                        {"status", "True"},
                        {"lastTransitionTime", now},
                        {"reason", reason},
                        {"message", message}};
  };
  status.as_object()["conditions"] = json::array{
      condition("NamesAccepted", "NoConflicts", "no conflicts found"),
      condition("Established", "InitialNamesAccepted", "the initial names have been accepted")};
  status.as_object()["acceptedNames"] = names;
  status.as_object()["storedVersions"] = stored;
  return status;
}

}  // namespace lambda::apiserver
