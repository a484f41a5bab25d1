#include "kube/status.h"

#include <boost/json.hpp>

#include "common/json_yaml.h"

namespace lambda::kube {
namespace json = boost::json;

namespace {
std::string str(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

Status make(int code, std::string_view reason, std::string message) {
  Status s;
  s.code = code;
  s.reason = std::string(reason);
  s.message = std::move(message);
  return s;
}
}  // namespace

std::string qualified_resource(std::string_view group, std::string_view resource) {
  std::string out(resource);
  if (!group.empty()) out.append(".").append(group);
  return out;
}

json::value Status::to_json() const {
  json::object o;
  o["kind"] = "Status";
  o["apiVersion"] = "v1";
  o["metadata"] = json::object();
  o["status"] = code >= 200 && code < 300 ? "Success" : "Failure";
  o["message"] = message;
  o["reason"] = reason;
  json::object details;
  if (!name.empty()) details["name"] = name;
  if (!group.empty()) details["group"] = group;
  if (!kind.empty()) details["kind"] = kind;
  if (!uid.empty()) details["uid"] = uid;
  if (!causes.empty()) {
    json::array list;
    for (const auto& c : causes) {
      json::object co;
      co["reason"] = c.type;
      co["message"] = c.message;
      if (!c.field.empty()) co["field"] = c.field;
      list.push_back(std::move(co));
    }
    details["causes"] = std::move(list);
  }
  if (retry_after_seconds > 0) details["retryAfterSeconds"] = retry_after_seconds;
  o["details"] = std::move(details);
  o["code"] = code;
  return o;
}

std::string_view Status::reason_for_code(int http_code) {
  switch (http_code) {
    case 400:
      return reason::kBadRequest;
    case 401:
      return reason::kUnauthorized;
    case 403:
      return reason::kForbidden;
    case 404:
      return reason::kNotFound;
    case 405:
      return reason::kMethodNotAllowed;
    case 406:
      return reason::kNotAcceptable;
    case 409:
      return reason::kConflict;
    case 410:
      return reason::kGone;
    case 413:
      return reason::kRequestEntityTooLarge;
    case 415:
      return reason::kUnsupportedMediaType;
    case 422:
      return reason::kInvalid;
    case 429:
      return reason::kTooManyRequests;
    case 500:
      return reason::kInternalError;
    case 503:
      return reason::kServiceUnavailable;
    case 504:
      return reason::kTimeout;
    default:
      return {};
  }
}

Status Status::from_response(int http_code, std::string_view body) {
  auto parsed = common::parse_json(body);
  if (parsed && parsed->is_object()) {
    const auto& o = parsed->get_object();
    if (str(o, "kind") == "Status") {
      Status s;
      s.code = http_code;
      if (auto* c = o.if_contains("code"); c && c->is_int64())
        s.code = static_cast<int>(c->get_int64());
      s.reason = str(o, "reason");
      s.message = str(o, "message");
      if (auto* d = o.if_contains("details"); d && d->is_object()) {
        const auto& details = d->get_object();
        s.name = str(details, "name");
        s.group = str(details, "group");
        s.kind = str(details, "kind");
        s.uid = str(details, "uid");
        if (auto* r = details.if_contains("retryAfterSeconds"); r && r->is_int64())
          s.retry_after_seconds = static_cast<int>(r->get_int64());
        if (auto* cs = details.if_contains("causes"); cs && cs->is_array()) {
          for (const auto& c : cs->get_array()) {
            if (!c.is_object()) continue;
            s.causes.push_back({str(c.get_object(), "reason"), str(c.get_object(), "message"),
                                str(c.get_object(), "field")});
          }
        }
      }
      if (s.reason.empty()) s.reason = std::string(reason_for_code(s.code));
      return s;
    }
  }
  constexpr std::size_t kQuoted = 200;
  std::string quoted(body.substr(0, kQuoted));
  if (body.size() > kQuoted) quoted += "...";
  Status s = make(http_code, reason_for_code(http_code),
                  "the server responded with HTTP " + std::to_string(http_code) +
                      (quoted.empty() ? std::string() : ": " + quoted));
  s.causes.push_back({std::string(cause::kUnexpectedServerResponse), quoted, {}});
  return s;
}

Status not_found(std::string_view group, std::string_view resource, std::string_view name) {
  Status s = make(404, reason::kNotFound,
                  qualified_resource(group, resource) + " \"" + std::string(name) + "\" not found");
  s.name = name;
  s.group = group;
  s.kind = resource;
  return s;
}

Status already_exists(std::string_view group, std::string_view resource, std::string_view name) {
  Status s =
      make(409, reason::kAlreadyExists,
           qualified_resource(group, resource) + " \"" + std::string(name) + "\" already exists");
  s.name = name;
  s.group = group;
  s.kind = resource;
  return s;
}

Status conflict(std::string_view group, std::string_view resource, std::string_view name,
                std::string_view why) {
  Status s = make(409, reason::kConflict,
                  "Operation cannot be fulfilled on " + qualified_resource(group, resource) +
                      " \"" + std::string(name) + "\": " + std::string(why));
  s.name = name;
  s.group = group;
  s.kind = resource;
  return s;
}

Status invalid(std::string_view group, std::string_view kind, std::string_view name,
               std::vector<StatusCause> causes) {
  std::string what;
  auto one = [](const StatusCause& c) {
    return c.field.empty() ? c.message : c.field + ": " + c.message;
  };
  if (causes.size() == 1) {
    what = one(causes.front());
  } else {
    what = "[";
    for (std::size_t i = 0; i < causes.size(); ++i) {
      if (i) what += ", ";
      what += one(causes[i]);
    }
    what += "]";
  }
  Status s =
      make(422, reason::kInvalid,
           qualified_resource(group, kind) + " \"" + std::string(name) + "\" is invalid: " + what);
  s.name = name;
  s.group = group;
  s.kind = kind;
  s.causes = std::move(causes);
  return s;
}

Status bad_request(std::string_view message) {
  return make(400, reason::kBadRequest, std::string(message));
}
Status method_not_allowed(std::string_view message) {
  return make(405, reason::kMethodNotAllowed, std::string(message));
}
Status gone(std::string_view message) { return make(410, reason::kExpired, std::string(message)); }
Status internal_error(std::string_view message) {
  return make(500, reason::kInternalError, std::string(message));
}
Status forbidden(std::string_view group, std::string_view resource, std::string_view name,
                 std::string_view why) {
  Status s = make(403, reason::kForbidden,
                  qualified_resource(group, resource) + " \"" + std::string(name) +
                      "\" is forbidden: " + std::string(why));
  s.name = name;
  s.group = group;
  s.kind = resource;
  return s;
}
Status unauthorized() { return make(401, reason::kUnauthorized, "Unauthorized"); }

}  // namespace lambda::kube
