// Server-side apply and metadata.managedFields, computed the way kube-apiserver computes them
// (k8s.io/apimachinery/pkg/util/managedfields on top of sigs.k8s.io/structured-merge-diff v4),
// on plain boost::json objects.
//
// - FieldSet: a set of field paths, read from and written to the FieldsV1 trie stored in
//   metadata.managedFields[].fieldsV1.
// - fields_of(): the fields an applied configuration claims.
// - apply(): merges an applied configuration into the live object and moves ownership between
//   field managers; another manager's field whose value would change is a conflict (HTTP 409 with
//   kube-apiserver's exact message) unless forced.
// - update_managed_fields(): keeps ownership current after create, update and patch.
//
// Shape without OpenAPI: objects are granular maps unless an AtomicMapLookup marks them atomic
// (x-kubernetes-map-type: atomic); arrays are atomic unless a SchemaLookup names them a set or a
// map keyed by fields (x-kubernetes-list-type / x-kubernetes-list-map-keys). metadata.finalizers
// (set) and metadata.ownerReferences (map by uid) are known even when the lookup says nothing.
//
// Caveats: every apiVersion of a kind is assumed to have the same shape (no conversion between
// versions); the kubectl.kubernetes.io/last-applied-configuration interplay of kube-apiserver
// (lastAppliedManager/Updater) and the cap of ten Update entries are not reproduced.
//
// Ownership: values in, values out; nothing is kept between calls. Thread-safety: the functions
// are pure and FieldSet is a value type; the lookups are called on the caller's thread and must
// be safe to call concurrently if these functions are. No function throws (a lookup that throws
// counts as "nothing known").
#pragma once

#include <boost/json/value.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <tl/expected.hpp>

#include "kube/status.h"

namespace lambda::apiserver {

// Longest field path a FieldSet holds and deepest nesting an applied configuration or a fieldsV1
// document may have; beyond it parsing fails with an error, and objects are treated as one value.
inline constexpr std::size_t kMaxFieldDepth = 100;

// One step of a field path, in structured-merge-diff's four kinds. The kinds are declared in
// structured-merge-diff's sort order, which FieldsV1 serialization follows.
struct PathElement {
  enum class Kind { kField, kKey, kValue, kIndex };
  using KeyFields = std::vector<std::pair<std::string, boost::json::value>>;

  Kind kind = Kind::kField;
  std::string name;          // kField: the field or map key
  KeyFields key;             // kKey: a list-map item's key fields, sorted by name
  boost::json::value value;  // kValue: a set item
  std::int64_t index = 0;    // kIndex: a position (never produced here; read for completeness)

  static PathElement field(std::string name);
  static PathElement keyed(KeyFields fields);  // sorts the fields
  static PathElement set_item(boost::json::value value);
  static PathElement at(std::int64_t index);

  // "f:name", "k:{\"name\":\"c\"}", "v:\"x\"", "i:0": a FieldsV1 object key.
  std::string serialize() const;
  // The inverse; nullopt for a well-formed key of a kind this version does not know (kube-apiserver
  // drops those), an error for a malformed one.
  static tl::expected<std::optional<PathElement>, std::string> parse(std::string_view text);
  // As kube-apiserver prints it in conflicts: ".name", "[name=\"c\"]", "[=\"x\"]", "[0]".
  std::string to_string() const;

  friend int compare(const PathElement& a, const PathElement& b);  // <0, 0, >0
  friend bool operator==(const PathElement& a, const PathElement& b) { return compare(a, b) == 0; }
  friend bool operator<(const PathElement& a, const PathElement& b) { return compare(a, b) < 0; }
};

using Path = std::vector<PathElement>;

// ".spec.containers[name=\"c\"].image", the form of conflict messages and causes.
std::string path_to_string(const Path& path);

// A set of field paths. A path being in the set says nothing of its parents: owning
// .spec.replicas does not own .spec.
class FieldSet {
 public:
  // The trie: one node per path element; `member` says the path ending at this node is in the
  // set. Children are sorted by element and no subtree is empty.
  struct Node {
    // Declared so that Node is no aggregate: clang 14 with libstdc++ 12 otherwise needs
    // std::pair<PathElement, Node> complete while instantiating it.
    Node() = default;
    bool member = false;
    std::vector<std::pair<PathElement, Node>> children;
  };

  FieldSet() = default;

  // Reads a fieldsV1 value (a JSON object; null is the empty set). Malformed keys, non-object
  // values and nesting deeper than kMaxFieldDepth are errors naming where they are.
  static tl::expected<FieldSet, std::string> from_fields_v1(const boost::json::value& fields_v1);
  static tl::expected<FieldSet, std::string> parse(std::string_view json_text);

  // Deterministic, in structured-merge-diff's order so the bytes match kube-apiserver's: at each
  // level "." first, then elements sorted by kind (f: < k: < v: < i:) and within a kind by name
  // (bytewise), key fields (name, then value) or value (numbers < strings < booleans < lists <
  // maps < null).
  boost::json::value to_fields_v1() const;
  std::string to_json() const;  // compact

  bool insert(const Path& path);  // false (and no change) for a path longer than kMaxFieldDepth
  bool contains(const Path& path) const;
  bool empty() const { return root_.children.empty(); }
  std::size_t size() const;  // number of paths
  // Every path, in structured-merge-diff's iteration order (at each level the members, then the
  // subtrees), which is the order kube-apiserver lists conflicts in.
  std::vector<Path> paths() const;

  FieldSet union_with(const FieldSet& other) const;
  FieldSet intersection(const FieldSet& other) const;
  FieldSet difference(const FieldSet& other) const;  // exact paths only
  // Removes every path that is, or lies under, a path of `other`.
  FieldSet recursive_difference(const FieldSet& other) const;

  const Node& root() const { return root_; }
  friend bool operator==(const FieldSet& a, const FieldSet& b);

 private:
  Node root_;
  friend struct FieldSetAccess;
};

// How a list merges, as x-kubernetes-list-type says.
struct ListInfo {
  enum class Type { kAtomic, kSet, kMap };
  Type type = Type::kAtomic;
  std::vector<std::string> keys;  // kMap: x-kubernetes-list-map-keys
  // Values for key fields an item may omit because the schema defaults them (a container port's
  // protocol "TCP"): they name the item in paths, and are never written into it.
  std::vector<std::pair<std::string, boost::json::value>> key_defaults = {};
};

// `path` holds the field names from the root, list elements skipped
// ({"spec", "template", "spec", "containers", "ports"}). nullopt: not a list of known type, so
// atomic.
using SchemaLookup = std::function<std::optional<ListInfo>(const std::vector<std::string>& path)>;
// True for maps marked x-kubernetes-map-type: atomic. Unset: every map is granular.
using AtomicMapLookup = std::function<bool(const std::vector<std::string>& path)>;

// Knows metadata.finalizers (set) and metadata.ownerReferences (map by uid); callers compose it
// with their CRD's or kind's table.
SchemaLookup default_schema_lookup();

// What an applied configuration owns: every leaf present; list-map items as "k:" with "." plus
// their fields; set items as "v:"; atomic lists, atomic maps and empty objects as the field itself.
// apiVersion, kind, metadata.{name, namespace, uid, resourceVersion, generation,
// creationTimestamp, managedFields, selfLink, deletionTimestamp} are never owned, nor status when
// it has its own subresource (ignore_status).
FieldSet fields_of(const boost::json::value& object, const SchemaLookup& lookup,
                   bool ignore_status = false, const AtomicMapLookup& atomic_maps = {});

// One conflict: who owns `path` and through which entry.
struct Conflict {
  std::string manager;
  std::string path;  // ".data.key"
  std::string operation = "Update";
  std::string api_version;  // printed for Update entries only, as kube-apiserver does
  std::string subresource;
};

// Why apply refused: conflicts (409 Conflict), or, with no conflicts, a configuration that cannot
// be applied at all (400 BadRequest, `bad_request` says why).
struct ApplyConflicts {
  std::vector<Conflict> conflicts;  // grouped by manager in kube-apiserver's order
  std::string bad_request;

  // "Apply failed with 1 conflict: conflict with \"m\" using v1: .data.key", or for several
  // "Apply failed with 2 conflicts: conflicts with \"m\" using v1:\n- .a\n- .b"; the bad request
  // reason when there are no conflicts.
  std::string message() const;
  // One FieldManagerConflict cause per conflict: message "conflict with \"m\" using v1", field
  // ".data.key".
  std::vector<kube::StatusCause> causes() const;
  kube::Status status() const;
};

struct ApplyOptions {
  std::string manager;
  bool force = false;
  std::string api_version;  // of the request ("apps/v1"); empty: the configuration's apiVersion
  std::string now;          // RFC3339, stamped on the entries this call changes
  SchemaLookup lookup;
  bool ignore_status = false;  // the kind has a status subresource: apply leaves status alone
  AtomicMapLookup atomic_maps = {};
  std::string subresource = {};  // "status": only .status of the configuration is applied
};

// Server-side apply. live: the stored object (with its managedFields), null when creating.
// The result is live merged with the configuration: fields this manager applied last time and
// omits now are removed unless another manager owns them; maps merge per key; list-maps per key
// item and sets per value, in structured-merge-diff's order (live order, shared items in the
// configuration's order, new items where the configuration puts them; plain appends when the
// configuration lists shared items in live order); atomic lists and scalars are replaced. Its
// managedFields carry this manager's Apply entry with exactly the configuration's fields; other
// managers lose what changed hands; empty entries are dropped. An object that was never tracked
// first gets a "before-first-apply" Update entry owning everything, as kube-apiserver does.
// Server-set metadata (uid, resourceVersion, generation, creationTimestamp, deletionTimestamp,
// selfLink) is kept from live, never taken from the configuration: the caller checks a
// resourceVersion precondition itself.
tl::expected<boost::json::value, ApplyConflicts> apply(const boost::json::value* live,
                                                       const boost::json::value& applied,
                                                       const ApplyOptions& options);

struct UpdateOptions {
  std::string manager;
  std::string api_version;  // empty: new_object's apiVersion
  std::string now;
  SchemaLookup lookup;
  std::string subresource;  // "" or "status": entries are kept apart per subresource
  bool ignore_status = false;
  AtomicMapLookup atomic_maps = {};
};

// managedFields after a create (old_object null), update or patch writing new_object: fields
// added or changed become this manager's (entry keyed by manager, "Update", apiVersion,
// subresource, time set only when it gains fields) and leave every other entry; fields gone leave
// every entry; empty entries are dropped. A request list that decodes is the baseline instead of
// old's ([] and [{}] reset it to nothing); a list that does not decode is ignored. An existing
// object whose baseline is empty stays untracked, as in kube-apiserver.
boost::json::value update_managed_fields(const boost::json::value* old_object,
                                         const boost::json::value& new_object,
                                         const UpdateOptions& options);

// Field errors for a metadata.managedFields list a client sent, with kube-apiserver's messages
// ("metadata.managedFields[0].operation: Invalid value: \"Patch\": must be `Apply` or `Update`").
// [] and [{}] (the reset forms) are valid.
tl::expected<void, std::vector<kube::StatusCause>> validate_managed_fields(
    const boost::json::value& list);

// One decoded metadata.managedFields entry.
struct ManagedFieldsEntry {
  std::string manager;
  std::string operation;  // "Apply" or "Update"
  std::string api_version;
  std::string time;  // RFC3339; empty when absent
  std::string subresource;
  FieldSet fields;
};

// Decodes a managedFields list as kube-apiserver does (operation, apiVersion and fieldsType
// checked, entries with the same identity collapse to the last); null is the empty list.
tl::expected<std::vector<ManagedFieldsEntry>, std::string> decode_managed_fields(
    const boost::json::value& list);
// Entries with fields, sorted as kube-apiserver sorts them (operation, time, manager, apiVersion,
// subresource).
boost::json::value encode_managed_fields(std::vector<ManagedFieldsEntry> entries);

}  // namespace lambda::apiserver
