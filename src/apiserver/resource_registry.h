// The kinds the embedded API server serves: built-in ones registered at start, custom ones added
// and removed as CustomResourceDefinitions come and go. Discovery, OpenAPI and every request's
// routing read from here.
//
// Thread-safety: all methods may be called from any thread; what they return is an immutable
// snapshot (a CRD update replaces a ResourceType, never changes one in place).
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace lambda::apiserver {

class StructuralSchema;

struct PrinterColumn {
  std::string name;
  std::string type;  // integer, number, string, boolean, date
  std::string format;
  std::string description;
  std::string json_path;  // CRD columns; built-in kinds compute cells in code
  int priority = 0;       // > 0: only with -o wide
};

struct ResourceType {
  std::string group;  // "" for the core group
  std::string version;
  std::string resource;  // plural, lower case
  std::string singular;
  std::string kind;
  std::string list_kind;
  bool namespaced = true;
  std::vector<std::string> short_names;
  std::vector<std::string> categories;
  bool status_subresource = false;
  // metadata.generation counts changes of everything but metadata (and status, when status is a
  // subresource), as it does for custom resources and most built-in kinds with a spec.
  bool tracks_generation = false;
  bool custom = false;   // served from a CustomResourceDefinition
  std::string crd_name;  // "lambdaagents.lambda.knative.io"
  bool storage = true;   // the version objects are stored in (one per CRD)
  // Custom resources: the version's openAPIV3Schema, compiled (prune, default, validate).
  std::shared_ptr<const StructuralSchema> schema;
  boost::json::value openapi_schema;  // as written in the CRD (for OpenAPI publishing)
  std::vector<PrinterColumn> columns;
  // Built-in kinds: the cells of one Table row, in the order of `columns`.
  std::function<boost::json::array(const boost::json::value& object)> cells;
  // Built-in kinds: OpenAPI v3 schema of the kind (for `kubectl explain` and apply).
  boost::json::value builtin_schema;

  std::string api_version() const { return group.empty() ? version : group + "/" + version; }
  // The storage collection: the same for every version of a group's resource.
  std::string collection() const { return group + "/" + resource; }
};
using ResourceTypePtr = std::shared_ptr<const ResourceType>;

struct GroupVersions {
  std::string group;
  std::vector<std::string> versions;  // preferred first
};

class ResourceRegistry {
 public:
  void add(ResourceType type);
  // Replaces every version served from this CRD (an empty list removes them).
  void set_custom(const std::string& crd_name, std::vector<ResourceType> versions);

  ResourceTypePtr find(std::string_view group, std::string_view version,
                       std::string_view resource) const;
  ResourceTypePtr find_kind(std::string_view group, std::string_view version,
                            std::string_view kind) const;
  // The groups other than core, in discovery order (built-in groups first, then by name), and
  // each group's versions by Kubernetes' version priority.
  std::vector<GroupVersions> groups() const;
  std::vector<ResourceTypePtr> resources(std::string_view group, std::string_view version) const;
  std::vector<ResourceTypePtr> all() const;
  // Changes whenever the set of served kinds changes (discovery and OpenAPI caching).
  std::uint64_t generation() const;

 private:
  mutable std::mutex mutex_;
  std::vector<ResourceTypePtr> types_;
  std::vector<std::string> builtin_groups_;  // in registration order
  std::uint64_t generation_ = 1;
};

// Kubernetes' version priority: GA before beta before alpha, higher numbers first, others last
// by name ("v1" > "v1beta2" > "v1beta1" > "v1alpha1" > "foo").
bool version_before(std::string_view a, std::string_view b);

}  // namespace lambda::apiserver
