// metav1.Status: how the Kubernetes API reports a failed request, as a value.
//
// The client turns every non-2xx answer into a Status (parsing the body the server sent, or making
// one from the HTTP code when the body is not a Status); the embedded API server builds its error
// answers from the same type, so both sides agree on reason, code and causes.
// Reasons and cause types are the strings of k8s.io/apimachinery (metav1.StatusReason,
// metav1.CauseType); field paths in causes are in Kubernetes' form ("spec.ai.model",
// "spec.containers[0].image", "metadata.labels[app]").
//
// Thread-safety: value types.
#pragma once

#include <boost/json/value.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace lambda::kube {

namespace reason {
inline constexpr std::string_view kNotFound = "NotFound";
inline constexpr std::string_view kAlreadyExists = "AlreadyExists";
inline constexpr std::string_view kConflict = "Conflict";
inline constexpr std::string_view kInvalid = "Invalid";
inline constexpr std::string_view kBadRequest = "BadRequest";
inline constexpr std::string_view kForbidden = "Forbidden";
inline constexpr std::string_view kUnauthorized = "Unauthorized";
inline constexpr std::string_view kGone = "Gone";
inline constexpr std::string_view kExpired = "Expired";
inline constexpr std::string_view kMethodNotAllowed = "MethodNotAllowed";
inline constexpr std::string_view kNotAcceptable = "NotAcceptable";
inline constexpr std::string_view kUnsupportedMediaType = "UnsupportedMediaType";
inline constexpr std::string_view kRequestEntityTooLarge = "RequestEntityTooLarge";
inline constexpr std::string_view kTooManyRequests = "TooManyRequests";
inline constexpr std::string_view kTimeout = "Timeout";
inline constexpr std::string_view kInternalError = "InternalError";
inline constexpr std::string_view kServiceUnavailable = "ServiceUnavailable";
}  // namespace reason

// metav1.CauseType values.
namespace cause {
inline constexpr std::string_view kFieldValueNotFound = "FieldValueNotFound";
inline constexpr std::string_view kFieldValueRequired = "FieldValueRequired";
inline constexpr std::string_view kFieldValueDuplicate = "FieldValueDuplicate";
inline constexpr std::string_view kFieldValueInvalid = "FieldValueInvalid";
inline constexpr std::string_view kFieldValueNotSupported = "FieldValueNotSupported";
inline constexpr std::string_view kFieldValueForbidden = "FieldValueForbidden";
inline constexpr std::string_view kFieldValueTooLong = "FieldValueTooLong";
inline constexpr std::string_view kFieldValueTooMany = "FieldValueTooMany";
inline constexpr std::string_view kFieldValueTypeInvalid = "FieldValueTypeInvalid";
inline constexpr std::string_view kUnexpectedServerResponse = "UnexpectedServerResponse";
inline constexpr std::string_view kFieldManagerConflict = "FieldManagerConflict";
inline constexpr std::string_view kResourceVersionTooLarge = "ResourceVersionTooLarge";
inline constexpr std::string_view kUnknownField = "FieldValueUnknown";
}  // namespace cause

struct StatusCause {
  std::string type;     // a cause:: value
  std::string message;  // "Invalid value: 3: must be less than or equal to 2"
  std::string field;    // "spec.ai.temperature"; empty when the cause is not about a field
  friend bool operator==(const StatusCause&, const StatusCause&) = default;
};

struct Status {
  int code = 500;
  std::string reason;   // a reason:: value; empty for an unknown failure
  std::string message;  // human readable, complete on its own
  // details
  std::string name;
  std::string group;
  std::string kind;  // the resource, as kube-apiserver puts it ("configmaps")
  std::string uid;
  std::vector<StatusCause> causes;
  int retry_after_seconds = 0;

  bool is(std::string_view r) const { return reason == r; }

  boost::json::value to_json() const;
  // Reads a metav1.Status body. When the body is not one, returns a Status made from the HTTP
  // code (reason from the code as client-go does: 404 NotFound, 409 Conflict, 410 Gone, ...)
  // whose message quotes the start of the body.
  static Status from_response(int http_code, std::string_view body);
  static std::string_view reason_for_code(int http_code);
};

// Constructors for the answers kube-apiserver gives, with its messages:
//   configmaps "x" not found
//   configmaps "x" already exists
//   Operation cannot be fulfilled on configmaps "x": the object has been modified; please apply
//   your changes to the latest version and try again
//   ConfigMap "x" is invalid: [data: Invalid value: ..., ...]
Status not_found(std::string_view group, std::string_view resource, std::string_view name);
Status already_exists(std::string_view group, std::string_view resource, std::string_view name);
Status conflict(std::string_view group, std::string_view resource, std::string_view name,
                std::string_view why);
Status invalid(std::string_view group, std::string_view kind, std::string_view name,
               std::vector<StatusCause> causes);
Status bad_request(std::string_view message);
Status method_not_allowed(std::string_view message);
Status gone(std::string_view message);
Status internal_error(std::string_view message);
Status forbidden(std::string_view group, std::string_view resource, std::string_view name,
                 std::string_view why);
Status unauthorized();

// "group/resource" or just "resource" for the core group, as kube-apiserver qualifies names.
std::string qualified_resource(std::string_view group, std::string_view resource);

}  // namespace lambda::kube
