#include "api/field_error.h"

#include <fmt/format.h>

#include "common/json_yaml.h"

namespace lambda::api {
namespace {

std::string_view type_text(ErrorType type) {
  switch (type) {
    case ErrorType::kRequired:
      return "Required value";
    case ErrorType::kInvalid:
      return "Invalid value";
    case ErrorType::kNotSupported:
      return "Unsupported value";
    case ErrorType::kForbidden:
      return "Forbidden";
    case ErrorType::kDuplicate:
      return "Duplicate value";
    case ErrorType::kNotFound:
      return "Not found";
    case ErrorType::kTooLong:
      return "Too long";
    case ErrorType::kTooMany:
      return "Too many";
    case ErrorType::kUnknownField:
      return "Unknown field";
    case ErrorType::kTypeInvalid:
      return "Invalid value";
  }
  return "Invalid value";
}

std::string quote(std::string_view s) { return common::to_json(boost::json::string(s), false); }

// Objects and arrays would make a line unreadable; kube-apiserver prints their Go form, we print
// compact JSON cut to a reasonable length.
std::string printable_value(const boost::json::value& v) {
  std::string text = common::to_json(v, false);
  constexpr std::size_t kMax = 120;
  if (text.size() > kMax) {
    text.resize(kMax);
    text += "...";
  }
  return text;
}

}  // namespace

FieldPath FieldPath::child(std::string_view name) const {
  FieldPath p;
  p.text_ = text_.empty() ? std::string(name) : fmt::format("{}.{}", text_, name);
  return p;
}

FieldPath FieldPath::index(std::size_t i) const {
  FieldPath p;
  p.text_ = fmt::format("{}[{}]", text_, i);
  return p;
}

FieldPath FieldPath::key(std::string_view map_key) const {
  FieldPath p;
  p.text_ = fmt::format("{}[{}]", text_, map_key);
  return p;
}

bool FieldPath::within(const FieldPath& other) const {
  if (other.text_.empty()) return true;
  if (text_.size() < other.text_.size() || text_.compare(0, other.text_.size(), other.text_) != 0)
    return false;
  if (text_.size() == other.text_.size()) return true;
  char next = text_[other.text_.size()];
  return next == '.' || next == '[';
}

std::string FieldError::to_string() const {
  std::string out = path.empty() ? std::string("<root>") : path.str();
  out += ": ";
  out += type_text(type);
  if (bad_value) {
    out += ": ";
    out += printable_value(*bad_value);
  }
  if (!detail.empty()) {
    out += ": ";
    out += detail;
  }
  return out;
}

std::string Warning::to_string() const {
  return path.empty() ? message : fmt::format("{}: {}", path.str(), message);
}

void ErrorList::required(const FieldPath& path, std::string detail) {
  add({ErrorType::kRequired, path, std::nullopt, std::move(detail)});
}
void ErrorList::invalid(const FieldPath& path, boost::json::value bad, std::string detail) {
  add({ErrorType::kInvalid, path, std::move(bad), std::move(detail)});
}
void ErrorList::not_supported(const FieldPath& path, boost::json::value bad,
                              const std::vector<std::string_view>& supported) {
  std::string detail = "supported values: ";
  for (std::size_t i = 0; i < supported.size(); ++i) {
    if (i) detail += ", ";
    detail += quote(supported[i]);
  }
  add({ErrorType::kNotSupported, path, std::move(bad), std::move(detail)});
}
void ErrorList::forbidden(const FieldPath& path, std::string detail) {
  add({ErrorType::kForbidden, path, std::nullopt, std::move(detail)});
}
void ErrorList::duplicate(const FieldPath& path, boost::json::value bad) {
  add({ErrorType::kDuplicate, path, std::move(bad), {}});
}
void ErrorList::not_found(const FieldPath& path, boost::json::value bad, std::string detail) {
  add({ErrorType::kNotFound, path, std::move(bad), std::move(detail)});
}
void ErrorList::too_long(const FieldPath& path, std::size_t max_length) {
  add({ErrorType::kTooLong, path, std::nullopt,
       fmt::format("may not be more than {} bytes", max_length)});
}
void ErrorList::too_many(const FieldPath& path, std::size_t actual, std::size_t max_items) {
  add({ErrorType::kTooMany, path, boost::json::value(static_cast<std::uint64_t>(actual)),
       fmt::format("must have at most {} items", max_items)});
}
void ErrorList::unknown_field(const FieldPath& path, std::string detail) {
  add({ErrorType::kUnknownField, path, std::nullopt,
       detail.empty() ? std::string("field not declared in schema") : std::move(detail)});
}
void ErrorList::type_invalid(const FieldPath& path, boost::json::value bad,
                             std::string_view expected) {
  add({ErrorType::kTypeInvalid, path, std::move(bad), fmt::format("must be {}", expected)});
}

void ErrorList::append(const ErrorList& other) {
  errors_.insert(errors_.end(), other.errors_.begin(), other.errors_.end());
}

bool ErrorList::has_error_at_or_above(const FieldPath& path) const {
  for (const auto& e : errors_)
    if (path.within(e.path)) return true;
  return false;
}

std::string ErrorList::to_string() const {
  std::string out;
  for (const auto& e : errors_) {
    out += e.to_string();
    out += '\n';
  }
  return out;
}

}  // namespace lambda::api
