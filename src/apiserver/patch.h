// The three patch formats of the PATCH verb, applied to JSON documents:
// - JSON merge patch (application/merge-patch+json): RFC 7386.
// - JSON patch (application/json-patch+json): RFC 6902, with messages close to what
//   kube-apiserver returns through evanphx/json-patch ("add operation does not apply: doc is
//   missing path: \"/spec/foo\": missing value", "testing value /spec/x failed: test failed").
// - Strategic merge patch (application/strategic-merge-patch+json): what kubectl apply, edit and
//   patch send for built-in kinds, with k8s.io/apimachinery/pkg/util/strategicpatch's semantics.
//   Which lists merge, and by which key, comes from a PatchSchema.
//
// Errors are values: http_code 400 when the patch document itself is malformed (wrong shape,
// unknown op or directive, bad JSON pointer), 422 when a well-formed patch cannot apply to this
// document (failed test, missing path, bad array index), 413 for a JSON patch with more than
// kMaxJsonPatchOperations operations (as kube-apiserver). The input documents are never
// modified, and a failing patch leaves no partial result.
//
// Abuse guards: documents and patches may nest at most kMaxPatchDepth containers deep, and no
// operation may build a deeper result (the merge functions recurse once per level); a JSON patch
// may copy at most kMaxJsonPatchCopyBytes of (approximate) JSON text in total, so that a short
// patch of doubling copies cannot exhaust memory.
//
// Ownership: results are new values owned by the caller. Thread-safety: pure functions;
// PatchSchema is immutable and may be shared across threads if its lookup function may be.
#pragma once

#include <boost/json/value.hpp>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

namespace lambda::apiserver {

inline constexpr std::size_t kMaxJsonPatchOperations = 10'000;
inline constexpr std::size_t kMaxPatchDepth = 100;
inline constexpr std::size_t kMaxJsonPatchCopyBytes = 16u << 20;

struct PatchError {
  int http_code = 400;
  std::string message;
};

// RFC 7386: objects merge member by member, null removes a member, anything else replaces. A
// patch that is not an object replaces the whole document (kube-apiserver refuses such patches
// before applying them; that check belongs to the caller).
tl::expected<boost::json::value, PatchError> json_merge_patch(const boost::json::value& target,
                                                              const boost::json::value& patch);

// RFC 6902: add, remove, replace, move, copy and test, in order, all or nothing. Paths are RFC
// 6901 pointers (~0 for '~', ~1 for '/'); array indices are "0" or digits without a leading zero,
// "-" names the end of an array for add and as a move/copy destination. Members other than op,
// path, from and value are ignored. A test compares numbers by value (1 equals 1.0) and objects
// regardless of member order.
tl::expected<boost::json::value, PatchError> json_patch(const boost::json::value& target,
                                                        const boost::json::value& patch);

// How a list field is patched: merged by merge_key (lists of objects: containers by name), or
// merged as a set (merge_key empty: lists of strings such as finalizers); merge=false replaces.
struct ListStrategy {
  std::string merge_key;
  bool merge = true;
  friend bool operator==(const ListStrategy&, const ListStrategy&) = default;
};

// Where strategic merge patch finds the list strategies of a kind: a function from the path of
// field names from the document root, list positions skipped ({"spec", "template", "spec",
// "containers"} for a Deployment's containers) to the strategy of the list there, nullopt when
// the list has none (it is then replaced, as in JSON merge patch). Maps always merge.
class PatchSchema {
 public:
  using Lookup = std::function<std::optional<ListStrategy>(const std::vector<std::string>& path)>;

  // No strategies: every list is replaced.
  PatchSchema() = default;
  // For kinds described elsewhere, e.g. by an OpenAPI schema's x-kubernetes-patch-strategy and
  // x-kubernetes-patch-merge-key.
  explicit PatchSchema(Lookup lookup) : lookup_(std::move(lookup)) {}

  // The patchStrategy/patchMergeKey tags of the Kubernetes API types, for: Namespace, ConfigMap,
  // Secret, Service, Event, Pod and PodTemplate (core); Deployment, ReplicaSet, StatefulSet,
  // DaemonSet (apps); Job, CronJob (batch); Lease (coordination.k8s.io); Event
  // (events.k8s.io). Every kind, known or not, gets ObjectMeta's: metadata.finalizers merges as a
  // set, metadata.ownerReferences by uid.
  static PatchSchema for_kind(std::string_view group, std::string_view kind);

  std::optional<ListStrategy> list_strategy(const std::vector<std::string>& path) const {
    return lookup_ ? lookup_(path) : std::nullopt;
  }

 private:
  Lookup lookup_;
};

// Kubernetes strategic merge patch, as kube-apiserver applies what kubectl sends:
// - maps merge recursively; null deletes a key; a value of another type replaces.
// - lists with a merge strategy merge: elements by merge key (an element's fields merged into the
//   element with the same key, new elements added), primitives as a set; other lists are
//   replaced.
// - directives: `$patch: replace` (the map, or the list it is an element of, becomes exactly the
//   patch), `$patch: delete` (the map becomes empty; in a list, the element with that merge key is
//   removed), `$retainKeys: [...]` (keys of the map not listed are dropped),
//   `$deleteFromPrimitiveList/<field>: [...]` (values removed from a primitive list),
//   `$setElementOrder/<field>: [...]` (order of the merged list, server-only elements kept near
//   their old neighbours). `$patch: merge` is refused, as apimachinery refuses it.
// - order without $setElementOrder follows apimachinery: elements named in the patch in patch
//   order, interleaved with the others in their existing order (new elements come first).
// Directives never reach the result: a field absent from the document is built by patching an
// empty value, and elements replaced or added are cleaned the same way. A null patch changes
// nothing; any other non-object patch is a 400.
tl::expected<boost::json::value, PatchError> strategic_merge_patch(const boost::json::value& target,
                                                                   const boost::json::value& patch,
                                                                   const PatchSchema& schema);

}  // namespace lambda::apiserver
