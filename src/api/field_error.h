// Field paths and field errors in Kubernetes' own shapes
// (k8s.io/apimachinery/pkg/util/validation/field), so that users read our messages exactly as they
// read kube-apiserver's:
//   spec.ai.temperature: Invalid value: 3.5: must be between 0 and 2, inclusive
//   spec.ai.provider: Unsupported value: "gpt": supported values: "anthropic", "local", ...
//   spec.eventing.routing[1].intent: Not found: "billing"
//
// Decoding, defaulting and validation all report into an ErrorList and never stop at the first
// error, so one run tells the user everything that is wrong. Warnings are kept apart: they never
// reject an object, they say what the platform will do instead of what was asked.
//
// Thread-safety: value types.
#pragma once

#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lambda::api {

// "spec.eventing.routing[0].target.service", "spec.resources.requests[cpu]".
class FieldPath {
 public:
  FieldPath() = default;
  explicit FieldPath(std::string_view root) : text_(root) {}

  FieldPath child(std::string_view name) const;
  FieldPath index(std::size_t i) const;
  FieldPath key(std::string_view map_key) const;

  const std::string& str() const { return text_; }
  bool empty() const { return text_.empty(); }
  // True when this path is other or lies below it ("spec.ai.model" is within "spec.ai").
  bool within(const FieldPath& other) const;

  friend bool operator==(const FieldPath&, const FieldPath&) = default;

 private:
  std::string text_;
};

enum class ErrorType {
  kRequired,      // "Required value"
  kInvalid,       // "Invalid value"
  kNotSupported,  // "Unsupported value"
  kForbidden,     // "Forbidden"
  kDuplicate,     // "Duplicate value"
  kNotFound,      // "Not found"
  kTooLong,       // "Too long"
  kTooMany,       // "Too many"
  kUnknownField,  // strict decoding: a field the schema does not declare
  kTypeInvalid,   // a value of the wrong JSON type
};

struct FieldError {
  ErrorType type;
  FieldPath path;
  std::optional<boost::json::value> bad_value;  // printed as JSON: strings quoted, numbers bare
  std::string detail;

  // "spec.ai.temperature: Invalid value: 3.5: must be between 0 and 2, inclusive"
  std::string to_string() const;
};

struct Warning {
  FieldPath path;
  std::string message;
  std::string to_string() const;  // "spec.observability.metrics.port: 9090 is reserved ..."
};

class ErrorList {
 public:
  void add(FieldError error) { errors_.push_back(std::move(error)); }
  void required(const FieldPath& path, std::string detail = {});
  void invalid(const FieldPath& path, boost::json::value bad, std::string detail);
  void not_supported(const FieldPath& path, boost::json::value bad,
                     const std::vector<std::string_view>& supported);
  void forbidden(const FieldPath& path, std::string detail);
  void duplicate(const FieldPath& path, boost::json::value bad);
  void not_found(const FieldPath& path, boost::json::value bad, std::string detail = {});
  void too_long(const FieldPath& path, std::size_t max_length);
  void too_many(const FieldPath& path, std::size_t actual, std::size_t max_items);
  void unknown_field(const FieldPath& path, std::string detail = {});
  void type_invalid(const FieldPath& path, boost::json::value bad, std::string_view expected);

  void append(const ErrorList& other);
  bool empty() const { return errors_.empty(); }
  std::size_t size() const { return errors_.size(); }
  const std::vector<FieldError>& errors() const { return errors_; }
  // True when an error was reported at path or at a field that contains it.
  bool has_error_at_or_above(const FieldPath& path) const;
  // One error per line, in the order found.
  std::string to_string() const;

 private:
  std::vector<FieldError> errors_;
};

using Warnings = std::vector<Warning>;

}  // namespace lambda::api
