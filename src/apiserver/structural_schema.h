// A CustomResourceDefinition version's `schema.openAPIV3Schema`, compiled the way
// kube-apiserver (apiextensions-apiserver + kube-openapi) uses it to serve custom resources:
// pruning of unknown fields, structural defaulting, OpenAPI value validation and the
// x-kubernetes-list-type invariants, with the messages, cause types and field paths a real
// 1.32 server answers with, so that kubectl prints the same errors against both.
//
// Compiling runs the CRD-side checks first (the subset of apiextensions' CRD validation that
// concerns the schema: supported keywords, structural-schema rules, list/map extensions,
// defaults that validate and are pruned) and refuses a schema with the causes a real server would
// put in its 422 for the CRD, field paths under `field_prefix`.
//
// Request-side order, as the real handler does it: prune() (unknown fields, then non-nullable
// nulls without a default), apply_defaults(), validate(). ObjectMeta of the custom resource
// (name syntax, labels, ...) and of embedded resources is validated elsewhere.
//
// Deliberate deviations, each because the real thing is Go-specific:
// - `pattern` is compiled with std::regex (ECMAScript, its polynomial executor: linear in the
//   input, no backtracking) instead of RE2. RE2 syntax with an ECMAScript equivalent is rewritten
//   (\A, \z, \Q..\E, (?P<n>..), a leading (?i)); \p{..}, lookaround and flag groups are refused at
//   compile(), as are patterns over kMaxPatternBytes. A string longer than kMaxPatternSubjectBytes
//   is not matched but reported as too long to match. Classes and `.` work on bytes, not on code
//   points.
// - Formats: date-time, date, byte, uuid(3|4|5), hostname, ipv4, ipv6, cidr, mac, email, ssn,
//   hexcolor and password are checked; other formats kube-apiserver knows (uri, duration, ...) are
//   accepted unchecked. int32/int64/float/double are dropped by kube-apiserver for custom
//   resources (it validates no range), and so here. Hostname treats every non-ASCII code point as
//   a letter; email is a pragmatic subset of net/mail.
// - Go prints maps in random order; errors here follow schema and document order.
// - x-kubernetes-validations (CEL) rules are accepted and not evaluated; ratcheting is not done.
//
// Ownership: a StructuralSchema keeps its own copy of the schema JSON; copies share it (cheap).
// Pointers returned by at() live as long as any copy.
// Bounds: every algorithm recurses along the schema (at most kMaxSchemaDepth levels); only
// undeclared arrays of arrays, value comparisons and messages follow the data, which the
// common parsers limit to common::kMaxNestingDepth levels.
// Thread-safety: immutable after compile(); every const member may be called concurrently.
#pragma once

#include <boost/json/value.hpp>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "kube/status.h"

namespace lambda::apiserver {

// Deepest nesting of schema nodes (properties, items, additionalProperties, allOf/anyOf/oneOf/not
// each count one level) compile() accepts; every algorithm here recurses along the schema.
inline constexpr std::size_t kMaxSchemaDepth = 64;

// Longest `pattern` compile() accepts: std::regex compiles recursively, one frame per term
// (about 100 bytes of stack per character, 500 under AddressSanitizer).
inline constexpr std::size_t kMaxPatternBytes = 2048;

// Longest string matched against a `pattern`; longer strings get a FieldValueInvalid cause
// "... is too long to be matched against '<pattern>'" instead (RE2 would match them).
inline constexpr std::size_t kMaxPatternSubjectBytes = 16384;

// How server-side apply merges a list (x-kubernetes-list-type; "atomic" when unset).
struct ListType {
  std::string type;                   // "atomic" | "set" | "map"
  std::vector<std::string> map_keys;  // x-kubernetes-list-map-keys when type is "map"
  friend bool operator==(const ListType&, const ListType&) = default;
};

class StructuralSchema {
 public:
  // Causes carry FieldValue* types and paths like
  // "spec.versions[0].schema.openAPIV3Schema.properties[spec].type".
  static tl::expected<StructuralSchema, std::vector<kube::StatusCause>> compile(
      const boost::json::value& open_api_v3_schema,
      std::string_view field_prefix = "spec.versions[0].schema.openAPIV3Schema");

  // Removes fields the schema does not declare, except under x-kubernetes-preserve-unknown-fields
  // and except apiVersion/kind/metadata at the root and in x-kubernetes-embedded-resource objects
  // (metadata is left as is). Then drops null values of non-nullable fields that have no default,
  // as the real decoder does. Returns the removed unknown fields, sorted, without a leading dot
  // ("spec.foo", "spec.items[0].bar"), for `unknown field "spec.foo"` warnings or strict errors;
  // dropped nulls are not reported.
  std::vector<std::string> prune(boost::json::value& object) const;

  // Structural defaulting: a missing field with a `default` (or a null one whose schema is not
  // nullable) gets a copy of it, recursively through properties, additionalProperties and
  // items; a default that is itself an object is defaulted further. Call after prune().
  void apply_defaults(boost::json::value& object) const;

  // Schema validation (kube-openapi) followed by the list-type set/map invariants. Empty when
  // valid. Messages are the bodies kube-apiserver puts in StatusCause.message; a failed
  // anyOf/oneOf/allOf/not is reported, as there, with field "<nil>".
  std::vector<kube::StatusCause> validate(const boost::json::value& object) const;

  // The sub-schema for a path of property names (map keys under additionalProperties match any
  // name). Array items are entered implicitly: when the schema reached so far is an array, the
  // next name is looked up in its items, so {"spec", "env", "name"} reaches
  // properties.spec.properties.env.items.properties.name, and {"spec", "env"} the array itself.
  // nullptr when the path leaves the declared schema.
  const boost::json::value* at(const std::vector<std::string>& path) const;

  // x-kubernetes-list-type of the array at `path` ("atomic" also when the path is no declared
  // array).
  ListType list_type(const std::vector<std::string>& path) const;

  // x-kubernetes-map-type: atomic at `path` (false when unset, "granular" or undeclared).
  bool map_is_atomic(const std::vector<std::string>& path) const;

  // The schema as given to compile().
  const boost::json::value& json() const;

 private:
  struct Impl;
  explicit StructuralSchema(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

// How Go (and so kube-apiserver) renders values in messages. Values deeper than
// common::kMaxNestingDepth are not expected (the parsers refuse them).
namespace go {

// strconv.Quote: "a\"b\n" with Go's escapes; non-printable runes as \u00a0, bad bytes as \xff.
std::string quote(std::string_view text);

// fmt's %v of a float64: shortest digits, exponent form below 1e-4 and from 1e+06 ("1e+06").
std::string format_float(double value);

// encoding/json.Marshal of the value decoded into interface{}: compact, object keys sorted,
// <, > and & escaped as \u003c..., numbers as Go writes float64/int64.
std::string marshal(const boost::json::value& value);

// A field.Error's bad value as ErrorBody prints it: numbers and booleans with %v, strings
// quoted, null and containers as JSON.
std::string format_value(const boost::json::value& value);

}  // namespace go

}  // namespace lambda::apiserver
