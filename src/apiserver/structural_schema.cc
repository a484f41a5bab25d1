#include "apiserver/structural_schema.h"

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <unordered_set>
#include <utility>

#include "common/json_yaml.h"

namespace lambda::apiserver {

namespace json = boost::json;

// ---------------------------------------------------------------------------------------------
// UTF-8 and Go value formatting.
// ---------------------------------------------------------------------------------------------

namespace {

struct Rune {
  char32_t value = 0;
  std::size_t width = 1;
  bool valid = true;
};

// One rune as Go's utf8.DecodeRuneInString reads it: anything malformed (overlong, surrogate,
// beyond U+10FFFF, truncated) is RuneError with width 1.
Rune decode_rune(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const auto cont = [&](std::size_t k) { return i + k < s.size() && (byte(k) & 0xC0) == 0x80; };
  const unsigned char c0 = byte(0);
  if (c0 < 0x80) return {c0, 1, true};
  if (c0 >= 0xC2 && c0 <= 0xDF && cont(1)) {
    return {static_cast<char32_t>(((c0 & 0x1F) << 6) | (byte(1) & 0x3F)), 2, true};
  }
  if (c0 >= 0xE0 && c0 <= 0xEF && cont(1) && cont(2)) {
    const unsigned char c1 = byte(1);
    if (!(c0 == 0xE0 && c1 < 0xA0) && !(c0 == 0xED && c1 > 0x9F)) {
      return {static_cast<char32_t>(((c0 & 0x0F) << 12) | ((c1 & 0x3F) << 6) | (byte(2) & 0x3F)), 3,
              true};
    }
  }
  if (c0 >= 0xF0 && c0 <= 0xF4 && cont(1) && cont(2) && cont(3)) {
    const unsigned char c1 = byte(1);
    if (!(c0 == 0xF0 && c1 < 0x90) && !(c0 == 0xF4 && c1 > 0x8F)) {
      return {static_cast<char32_t>(((c0 & 0x07) << 18) | ((c1 & 0x3F) << 12) |
                                    ((byte(2) & 0x3F) << 6) | (byte(3) & 0x3F)),
              4, true};
    }
  }
  return {0xFFFD, 1, false};
}

std::size_t rune_count(std::string_view s) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); i += decode_rune(s, i).width) ++n;
  return n;
}

void append_rune(std::string& out, char32_t r) {
  if (r < 0x80) {
    out += static_cast<char>(r);
  } else if (r < 0x800) {
    out += static_cast<char>(0xC0 | (r >> 6));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else if (r < 0x10000) {
    out += static_cast<char>(0xE0 | (r >> 12));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (r >> 18));
    out += static_cast<char>(0x80 | ((r >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  }
}

// Go's unicode.IsPrint without the Unicode tables: graphic characters print, spaces other than
// U+0020, format and private-use characters and noncharacters do not. Unassigned code points
// count as printable (Go would escape them).
bool is_go_printable(char32_t r) {
  if (r < 0x80) return r >= 0x20 && r < 0x7F;
  if (r < 0xA0) return false;  // C1 controls
  if (r == 0xA0 || r == 0xAD || r == 0x1680 || r == 0x180E) return false;
  if (r >= 0x2000 && r <= 0x200F) return false;  // spaces, ZW*, marks
  if (r >= 0x2028 && r <= 0x202F) return false;  // separators, embeddings
  if (r >= 0x205F && r <= 0x206F) return false;
  if (r == 0x3000 || r == 0xFEFF) return false;
  if (r >= 0x0600 && r <= 0x0605) return false;
  if (r == 0x061C || r == 0x06DD || r == 0x070F || r == 0x08E2) return false;
  if (r >= 0xD800 && r <= 0xF8FF) return false;  // surrogates, private use
  if (r >= 0xFDD0 && r <= 0xFDEF) return false;
  if (r >= 0xFFF9 && r <= 0xFFFB) return false;
  if ((r & 0xFFFE) == 0xFFFE) return false;        // U+xFFFE, U+xFFFF
  if (r >= 0xE0000 && r <= 0xE007F) return false;  // tags
  if (r >= 0xF0000) return false;                  // private use planes
  return true;
}

constexpr char kLowerHex[] = "0123456789abcdef";

void append_hex(std::string& out, std::uint32_t value, int digits) {
  for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4)
    out += kLowerHex[(value >> shift) & 0xF];
}

void append_go_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      if (b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&') {
        out += static_cast<char>(b);
      } else {
        switch (b) {
          case '"':
            out += "\\\"";
            break;
          case '\\':
            out += "\\\\";
            break;
          case '\b':
            out += "\\b";
            break;
          case '\f':
            out += "\\f";
            break;
          case '\n':
            out += "\\n";
            break;
          case '\r':
            out += "\\r";
            break;
          case '\t':
            out += "\\t";
            break;
          default:
            out += "\\u00";
            append_hex(out, b, 2);
        }
      }
      ++i;
      continue;
    }
    const Rune r = decode_rune(s, i);
    if (!r.valid) {
      out += "\\ufffd";
    } else if (r.value == 0x2028 || r.value == 0x2029) {
      out += "\\u";
      append_hex(out, r.value, 4);
    } else {
      out.append(s.substr(i, r.width));
    }
    i += r.width;
  }
  out += '"';
}

void append_go_json(std::string& out, const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      out += "null";
      break;
    case json::kind::bool_:
      out += v.get_bool() ? "true" : "false";
      break;
    case json::kind::int64:
      out += std::to_string(v.get_int64());
      break;
    case json::kind::uint64:  // a Go decoder would have made it a float64
      out += common::format_number(json::value(static_cast<double>(v.get_uint64())));
      break;
    case json::kind::double_:
      out += common::format_number(v);
      break;
    case json::kind::string:
      append_go_json_string(out, v.get_string());
      break;
    case json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& e : v.get_array()) {
        if (!first) out += ',';
        first = false;
        append_go_json(out, e);
      }
      out += ']';
      break;
    }
    case json::kind::object: {
      std::vector<const json::key_value_pair*> members;
      for (const auto& m : v.get_object()) members.push_back(&m);
      std::sort(members.begin(), members.end(),
                [](const auto* a, const auto* b) { return a->key() < b->key(); });
      out += '{';
      bool first = true;
      for (const auto* m : members) {
        if (!first) out += ',';
        first = false;
        append_go_json_string(out, m->key());
        out += ':';
        append_go_json(out, m->value());
      }
      out += '}';
      break;
    }
  }
}

}  // namespace

namespace go {

std::string quote(std::string_view text) {
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size();) {
    const Rune r = decode_rune(text, i);
    if (!r.valid) {
      out += "\\x";
      append_hex(out, static_cast<unsigned char>(text[i]), 2);
      i += 1;
      continue;
    }
    if (r.value == '"' || r.value == '\\') {
      out += '\\';
      out += static_cast<char>(r.value);
    } else if (is_go_printable(r.value)) {
      out.append(text.substr(i, r.width));
    } else {
      switch (r.value) {
        case '\a':
          out += "\\a";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\v':
          out += "\\v";
          break;
        default:
          if (r.value < ' ' || r.value == 0x7F) {
            out += "\\x";
            append_hex(out, r.value, 2);
          } else if (r.value < 0x10000) {
            out += "\\u";
            append_hex(out, r.value, 4);
          } else {
            out += "\\U";
            append_hex(out, r.value, 8);
          }
      }
    }
    i += r.width;
  }
  out += '"';
  return out;
}

std::string format_float(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == 0) return std::signbit(value) ? "-0" : "0";
  char buffer[64];
  const auto result =
      std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  std::string_view text(buffer, static_cast<std::size_t>(result.ptr - buffer));
  std::string out;
  if (text.front() == '-') {
    out += '-';
    text.remove_prefix(1);
  }
  const auto e = text.find('e');
  std::string digits;
  for (char c : text.substr(0, e)) {
    if (c != '.') digits += c;
  }
  int exponent = 0;
  std::from_chars(text.data() + e + 1 + (text[e + 1] == '+' ? 1 : 0), text.data() + text.size(),
                  exponent);
  // strconv.FormatFloat(v, 'g', -1, 64): %e when the exponent is < -4 or >= 6 (shortest).
  if (exponent < -4 || exponent >= 6) {
    out += digits[0];
    if (digits.size() > 1) {
      out += '.';
      out += digits.substr(1);
    }
    out += 'e';
    out += exponent < 0 ? '-' : '+';
    const int magnitude = std::abs(exponent);
    if (magnitude < 10) out += '0';
    out += std::to_string(magnitude);
    return out;
  }
  const int point = exponent + 1;  // digits before the decimal point
  if (point <= 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-point), '0');
    out += digits;
  } else if (static_cast<std::size_t>(point) >= digits.size()) {
    out += digits;
    out.append(static_cast<std::size_t>(point) - digits.size(), '0');
  } else {
    out += digits.substr(0, static_cast<std::size_t>(point));
    out += '.';
    out += digits.substr(static_cast<std::size_t>(point));
  }
  return out;
}

std::string marshal(const json::value& value) {
  std::string out;
  append_go_json(out, value);
  return out;
}

std::string format_value(const json::value& value) {
  switch (value.kind()) {
    case json::kind::bool_:
      return value.get_bool() ? "true" : "false";
    case json::kind::int64:
      return std::to_string(value.get_int64());
    case json::kind::uint64:
      return format_float(static_cast<double>(value.get_uint64()));
    case json::kind::double_:
      return format_float(value.get_double());
    case json::kind::string:
      return quote(value.get_string());
    default:
      return marshal(value);
  }
}

}  // namespace go

// ---------------------------------------------------------------------------------------------
// The compiled schema tree.
// ---------------------------------------------------------------------------------------------

namespace schema_detail {

// One schema object with what every algorithm needs decoded. `raw` points into the schema copy
// the Impl owns.
struct Node {
  const json::value* raw = nullptr;

  std::string type;                // as declared
  std::vector<std::string> types;  // what the type check accepts ({integer,string} for IntOrString)
  std::string format;              // kept only when kube-apiserver supports it
  bool nullable = false;
  const json::value* default_value = nullptr;  // absent or null: no default
  bool has_title = false;
  bool has_description = false;

  std::optional<double> maximum;
  std::optional<double> minimum;
  bool exclusive_maximum = false;
  bool exclusive_minimum = false;
  std::optional<std::int64_t> max_length;
  std::optional<std::int64_t> min_length;
  std::optional<std::int64_t> max_items;
  std::optional<std::int64_t> min_items;
  std::optional<std::int64_t> max_properties;
  std::optional<std::int64_t> min_properties;
  std::optional<double> multiple_of;
  std::string pattern;
  std::optional<std::regex> regex;
  std::string pattern_error;  // why `pattern` does not compile; reported by compile()
  const json::array* enum_values = nullptr;
  std::vector<std::string> required;

  std::vector<std::pair<std::string, std::unique_ptr<Node>>> properties;
  std::map<std::string, std::size_t, std::less<>> property_index;
  bool has_additional_properties = false;
  bool additional_properties_allows = true;
  std::unique_ptr<Node> additional_properties;  // the schema form only
  std::unique_ptr<Node> items;
  std::vector<std::unique_ptr<Node>> all_of;
  std::vector<std::unique_ptr<Node>> any_of;
  std::vector<std::unique_ptr<Node>> one_of;
  std::unique_ptr<Node> not_schema;

  bool preserve_unknown_fields = false;
  bool embedded_resource = false;
  bool int_or_string = false;
  std::optional<std::string> list_type;
  std::vector<std::string> list_map_keys;
  std::optional<std::string> map_type;

  const Node* property(std::string_view name) const {
    const auto it = property_index.find(name);
    return it == property_index.end() ? nullptr : properties[it->second].second.get();
  }
};

}  // namespace schema_detail

using schema_detail::Node;

struct StructuralSchema::Impl {
  json::value schema;
  std::unique_ptr<Node> root;
};

namespace {

// ---------------------------------------------------------------------------------------------
// field.Path and field.Error, as apimachinery prints them.
// ---------------------------------------------------------------------------------------------

std::string child(std::string_view path, std::string_view name) {
  std::string out(path);
  if (!out.empty()) out += '.';
  out += name;
  return out;
}

std::string key(std::string_view path, std::string_view k) {
  std::string out(path);
  out += '[';
  out += k;
  out += ']';
  return out;
}

std::string index(std::string_view path, std::size_t i) { return key(path, std::to_string(i)); }

kube::StatusCause make_cause(std::string_view type, std::string field, std::string message) {
  return kube::StatusCause{std::string(type), std::move(message), std::move(field)};
}

kube::StatusCause required_cause(std::string field, std::string_view detail = {}) {
  std::string message = "Required value";
  if (!detail.empty()) message += ": " + std::string(detail);
  return make_cause(kube::cause::kFieldValueRequired, std::move(field), std::move(message));
}

kube::StatusCause forbidden_cause(std::string field, std::string_view detail) {
  return make_cause(kube::cause::kFieldValueForbidden, std::move(field),
                    "Forbidden: " + std::string(detail));
}

kube::StatusCause invalid_cause(std::string field, const json::value& value,
                                std::string_view detail) {
  std::string message = "Invalid value: " + go::format_value(value);
  if (!detail.empty()) message += ": " + std::string(detail);
  return make_cause(kube::cause::kFieldValueInvalid, std::move(field), std::move(message));
}

kube::StatusCause not_supported_cause(std::string field, const json::value& value,
                                      const std::vector<std::string>& supported) {
  std::string message = "Unsupported value: " + go::format_value(value);
  if (!supported.empty()) {
    message += ": supported values: ";
    for (std::size_t i = 0; i < supported.size(); ++i) {
      if (i > 0) message += ", ";
      message += go::quote(supported[i]);
    }
  }
  return make_cause(kube::cause::kFieldValueNotSupported, std::move(field), std::move(message));
}

json::value string_array(const std::vector<std::string>& strings) {
  json::array out;
  for (const auto& s : strings) out.emplace_back(s);
  return out;
}

// float64 -> int64 the way Go does it on amd64 (CVTTSD2SQ): truncation, and the "integer
// indefinite" value for anything out of range.
std::int64_t go_float_to_int64(double value) {
  constexpr double kTwo63 = 9223372036854775808.0;
  if (std::isnan(value) || value >= kTwo63 || value < -kTwo63) {
    return std::numeric_limits<std::int64_t>::min();
  }
  return static_cast<std::int64_t>(value);
}

// swag.IsFloat64AJSONInteger.
bool is_float64_json_integer(double f) {
  constexpr double kMaxJsonFloat = 9007199254740991.0;  // 1<<53 - 1
  if (!std::isfinite(f) || f < -kMaxJsonFloat || f > kMaxJsonFloat) return false;
  if (f == std::trunc(f)) return true;
  if (f < 0) return false;  // Go's uint64(f) of a negative fraction is far off
  const double g = std::trunc(f);
  const double diff = f - g;
  if (g == 0) return diff < 1e-9 * std::numeric_limits<double>::denorm_min();
  return diff / std::min(f + g, std::numeric_limits<double>::max()) < 1e-9;
}

enum class Kind { kNull, kBool, kInt, kFloat, kString, kArray, kObject };

// The Go type a JSON value decodes to in an unstructured object (int64 when it fits, else
// float64).
Kind kind_of(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return Kind::kNull;
    case json::kind::bool_:
      return Kind::kBool;
    case json::kind::int64:
      return Kind::kInt;
    case json::kind::uint64:
      return Kind::kFloat;
    case json::kind::double_:
      return Kind::kFloat;
    case json::kind::string:
      return Kind::kString;
    case json::kind::array:
      return Kind::kArray;
    case json::kind::object:
      return Kind::kObject;
  }
  return Kind::kNull;
}

double as_double(const json::value& v) {
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  if (v.is_double()) return v.get_double();
  return 0;
}

// reflect.DeepEqual of two decoded JSON values: int64 and float64 never equal.
bool go_deep_equal(const json::value& a, const json::value& b) {
  const Kind ka = kind_of(a);
  if (ka != kind_of(b)) return false;
  switch (ka) {
    case Kind::kNull:
      return true;
    case Kind::kBool:
      return a.get_bool() == b.get_bool();
    case Kind::kInt:
      return a.get_int64() == b.get_int64();
    case Kind::kFloat:
      return as_double(a) == as_double(b);
    case Kind::kString:
      return a.get_string() == b.get_string();
    case Kind::kArray: {
      const auto& x = a.get_array();
      const auto& y = b.get_array();
      if (x.size() != y.size()) return false;
      for (std::size_t i = 0; i < x.size(); ++i) {
        if (!go_deep_equal(x[i], y[i])) return false;
      }
      return true;
    }
    case Kind::kObject: {
      const auto& x = a.get_object();
      const auto& y = b.get_object();
      if (x.size() != y.size()) return false;
      for (const auto& m : x) {
        const auto* other = y.if_contains(m.key());
        if (other == nullptr || !go_deep_equal(m.value(), *other)) return false;
      }
      return true;
    }
  }
  return false;
}

bool contains(const std::vector<std::string>& list, std::string_view s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

std::string join(const std::vector<std::string>& list, std::string_view separator) {
  std::string out;
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (i > 0) out += separator;
    out += list[i];
  }
  return out;
}

bool is_meta_field(std::string_view name) {
  return name == "apiVersion" || name == "kind" || name == "metadata";
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Formats: the ones kube-apiserver keeps for custom resources (apiextensions' supportedFormats,
// names compared without '-'), checked as go-openapi/strfmt checks them.
// ---------------------------------------------------------------------------------------------

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_ascii_alnum(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

std::string normalize_format(std::string_view format) {
  std::string out;
  for (char c : format) {
    if (c != '-') out += c;
  }
  return out;
}

bool is_supported_format(std::string_view normalized) {
  static const std::set<std::string, std::less<>> kSupported = {
      "bsonobjectid", "uri",    "email",    "hostname",   "ipv4",     "ipv6",
      "cidr",         "mac",    "uuid",     "uuid3",      "uuid4",    "uuid5",
      "isbn",         "isbn10", "isbn13",   "creditcard", "ssn",      "hexcolor",
      "rgbcolor",     "byte",   "password", "date",       "duration", "datetime"};
  return kSupported.find(normalized) != kSupported.end();
}

int days_in_month(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))) return 29;
  return kDays[month - 1];
}

int two_digits(std::string_view s, std::size_t at) {
  return (s[at] - '0') * 10 + (s[at + 1] - '0');
}

// time.Parse("2006-01-02", s).
bool is_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!is_digit(s[i])) return false;
  }
  const int year = two_digits(s, 0) * 100 + two_digits(s, 2);
  const int month = two_digits(s, 5);
  const int day = two_digits(s, 8);
  return month >= 1 && month <= 12 && day >= 1 && day <= days_in_month(year, month);
}

bool is_time_zone(std::string_view s) {
  if (s == "z") return true;
  return s.size() == 6 && (s[0] == '+' || s[0] == '-') && is_digit(s[1]) && is_digit(s[2]) &&
         s[3] == ':' && is_digit(s[4]) && is_digit(s[5]);
}

// strfmt.IsDateTime: the date before the first 't' (case-insensitive), then
// ^([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))$ on what follows, with
// hours <= 23 and minutes, seconds <= 59.
bool is_date_time(std::string_view s) {
  if (s.size() < 4) return false;
  std::string lower(s);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  const auto t = lower.find('t');
  if (t == std::string::npos || !is_date(std::string_view(lower).substr(0, t))) return false;
  std::string_view rest = std::string_view(lower).substr(t + 1);
  rest = rest.substr(0, rest.find('t'));
  if (rest.size() < 8 || rest[2] != ':' || rest[5] != ':') return false;
  for (std::size_t i : {0, 1, 3, 4, 6, 7}) {
    if (!is_digit(rest[i])) return false;
  }
  if (rest.substr(0, 2) > "23" || rest.substr(3, 2) > "59" || rest.substr(6, 2) > "59")
    return false;
  std::string_view tail = rest.substr(8);
  if (is_time_zone(tail)) return true;
  if (tail.empty() || tail[0] == '\n') return false;
  tail.remove_prefix(decode_rune(tail, 0).width);  // `.` in the pattern: any rune
  std::size_t digits = 0;
  while (digits < tail.size() && is_digit(tail[digits])) ++digits;
  return digits > 0 && is_time_zone(tail.substr(digits));
}

bool is_base64_char(char c) { return is_ascii_alnum(c) || c == '+' || c == '/'; }

// govalidator.IsBase64.
bool is_base64(std::string_view s) {
  if (s.empty() || s.size() % 4 != 0) return false;
  const std::size_t n = s.size();
  for (std::size_t i = 0; i + 2 < n; ++i) {
    if (!is_base64_char(s[i])) return false;
  }
  const char a = s[n - 2];
  const char b = s[n - 1];
  if (a == '=' && b == '=') return true;
  if (is_base64_char(a) && (b == '=' || is_base64_char(b))) return true;
  return false;
}

// strfmt.IsUUID / IsUUID3/4/5: 8-4-4-4-12 hex digits, hyphens optional, any case.
bool is_uuid(std::string_view s, char version) {
  static constexpr std::size_t kGroups[] = {8, 4, 4, 4, 12};
  std::string hex;
  std::size_t i = 0;
  for (std::size_t g = 0; g < 5; ++g) {
    if (g > 0 && i < s.size() && s[i] == '-') ++i;
    for (std::size_t k = 0; k < kGroups[g]; ++k, ++i) {
      if (i >= s.size() || !is_hex(s[i])) return false;
      hex += static_cast<char>(s[i] | 0x20);
    }
  }
  if (i != s.size()) return false;
  if (version == 0) return true;
  if (hex[12] != version) return false;
  if (version == '3') return true;
  const char variant = hex[16];
  return variant == '8' || variant == '9' || variant == 'a' || variant == 'b';
}

// A character of strfmt's hostname pattern ([a-zA-Z0-9\p{S}\p{L}]): ASCII letters, digits and
// symbols; every non-ASCII rune is taken for a letter.
bool is_hostname_char(std::string_view s, std::size_t i, std::size_t& width) {
  const Rune r = decode_rune(s, i);
  width = r.width;
  if (r.value >= 0x80) return r.valid;
  const char c = static_cast<char>(r.value);
  return is_ascii_alnum(c) || std::string_view("$+<=>^`|~").find(c) != std::string_view::npos;
}

// strfmt.IsHostname.
bool is_hostname(std::string_view s) {
  if (s.empty() || s.size() > 255) return false;
  std::vector<std::string_view> labels;
  for (std::size_t start = 0;;) {
    const auto dot = s.find('.', start);
    labels.push_back(s.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  for (const auto& label : labels) {
    if (label.size() > 63) return false;
  }
  std::size_t width = 0;
  if (labels.size() == 1) {
    // [C]((-?[C]{0,62})?): one character, an optional hyphen, then up to 62 characters.
    const auto label = labels[0];
    if (!is_hostname_char(label, 0, width)) return false;
    std::size_t i = width;
    if (i < label.size() && label[i] == '-') ++i;
    std::size_t count = 0;
    while (i < label.size()) {
      if (!is_hostname_char(label, i, width)) return false;
      i += width;
      ++count;
    }
    return count <= 62;
  }
  for (std::size_t l = 0; l + 1 < labels.size(); ++l) {
    // [C](([C-]{0,61}[C])?) then "."
    const auto label = labels[l];
    if (label.empty() || !is_hostname_char(label, 0, width)) return false;
    std::size_t count = 0;
    bool last_is_char = true;
    for (std::size_t i = width; i < label.size(); i += width, ++count) {
      if (label[i] == '-') {
        width = 1;
        last_is_char = false;
      } else if (is_hostname_char(label, i, width)) {
        last_is_char = true;
      } else {
        return false;
      }
    }
    if (!last_is_char || count > 62) return false;
  }
  // [C](-?[C]){1,62}
  const auto last = labels.back();
  if (last.empty() || !is_hostname_char(last, 0, width)) return false;
  std::size_t groups = 0;
  for (std::size_t i = width; i < last.size();) {
    if (last[i] == '-') ++i;
    if (i >= last.size() || !is_hostname_char(last, i, width)) return false;
    i += width;
    ++groups;
  }
  return groups >= 1 && groups <= 62;
}

// netip's IPv4 syntax: four decimal fields 0-255, no leading zeros.
bool parse_ipv4(std::string_view s) {
  std::size_t i = 0;
  for (int field = 0; field < 4; ++field) {
    if (field > 0) {
      if (i >= s.size() || s[i] != '.') return false;
      ++i;
    }
    const std::size_t start = i;
    int value = 0;
    while (i < s.size() && is_digit(s[i]) && i - start < 4) value = value * 10 + (s[i++] - '0');
    const std::size_t digits = i - start;
    if (digits == 0 || digits > 3 || value > 255 || (digits > 1 && s[start] == '0')) return false;
  }
  return i == s.size();
}

// netip's IPv6 syntax without zones: hex groups of 1-4 digits, one "::", an optional dotted IPv4
// tail.
bool parse_ipv6(std::string_view s) {
  int ellipsis = -1;
  int filled = 0;
  if (s.substr(0, 2) == "::") {
    ellipsis = 0;
    s.remove_prefix(2);
    if (s.empty()) return true;
  }
  while (filled < 16) {
    std::size_t digits = 0;
    while (digits < s.size() && digits < 5 && is_hex(s[digits])) ++digits;
    if (digits < s.size() && s[digits] == '.') {
      if ((ellipsis < 0 && filled != 12) || filled + 4 > 16) return false;
      if (!parse_ipv4(s)) return false;
      filled += 4;
      s = {};
      break;
    }
    if (digits == 0 || digits > 4) return false;
    filled += 2;
    s.remove_prefix(digits);
    if (s.empty()) break;
    if (s[0] != ':' || s.size() == 1) return false;
    s.remove_prefix(1);
    if (s[0] == ':') {
      if (ellipsis >= 0) return false;
      ellipsis = filled;
      s.remove_prefix(1);
      if (s.empty()) break;
    }
  }
  if (!s.empty()) return false;
  if (filled < 16) return ellipsis >= 0;
  return ellipsis < 0;
}

bool parse_ip(std::string_view s) {
  return s.find(':') != std::string_view::npos ? parse_ipv6(s) : parse_ipv4(s);
}

// net.ParseCIDR.
bool is_cidr(std::string_view s) {
  const auto slash = s.find('/');
  if (slash == std::string_view::npos) return false;
  const auto ip = s.substr(0, slash);
  const auto prefix = s.substr(slash + 1);
  const bool v6 = ip.find(':') != std::string_view::npos;
  if (!(v6 ? parse_ipv6(ip) : parse_ipv4(ip))) return false;
  if (prefix.empty() || prefix.size() > 3 || (prefix.size() > 1 && prefix[0] == '0')) return false;
  int bits = 0;
  for (char c : prefix) {
    if (!is_digit(c)) return false;
    bits = bits * 10 + (c - '0');
  }
  return bits <= (v6 ? 128 : 32);
}

// net.ParseMAC: 6, 8 or 20 octets as xx:xx:..., xx-xx-... or xxxx.xxxx....
bool is_mac(std::string_view s) {
  if (s.size() < 14) return false;
  const auto octets_ok = [](std::size_t n) { return n == 6 || n == 8 || n == 20; };
  if (s[2] == ':' || s[2] == '-') {
    if ((s.size() + 1) % 3 != 0 || !octets_ok((s.size() + 1) / 3)) return false;
    for (std::size_t i = 0; i < s.size(); i += 3) {
      if (!is_hex(s[i]) || !is_hex(s[i + 1])) return false;
      if (i + 2 < s.size() && s[i + 2] != s[2]) return false;
    }
    return true;
  }
  if (s[4] == '.') {
    if ((s.size() + 1) % 5 != 0 || !octets_ok(2 * (s.size() + 1) / 5)) return false;
    for (std::size_t i = 0; i < s.size(); i += 5) {
      for (std::size_t k = 0; k < 4; ++k) {
        if (!is_hex(s[i + k])) return false;
      }
      if (i + 4 < s.size() && s[i + 4] != '.') return false;
    }
    return true;
  }
  return false;
}

bool is_atext(char c) {
  return is_ascii_alnum(c) || static_cast<unsigned char>(c) >= 0x80 ||
         std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

bool is_dot_atom(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '.') {
      if (s[i + 1] == '.') return false;
    } else if (!is_atext(s[i])) {
      return false;
    }
  }
  return true;
}

bool is_quoted_string(std::string_view s) {
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') return false;
  for (std::size_t i = 1; i + 1 < s.size(); ++i) {
    if (s[i] == '\\') {
      if (++i + 1 >= s.size()) return false;
    } else if (s[i] == '"' || static_cast<unsigned char>(s[i]) < 0x20) {
      return false;
    }
  }
  return true;
}

// strfmt.IsEmail is net/mail.ParseAddress; this accepts its common forms: local@domain with a
// dot-atom or quoted local part and a dot-atom or [literal] domain, optionally written as
// `Display Name <local@domain>`.
bool is_email(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  if (!s.empty() && s.back() == '>') {
    const auto open = s.rfind('<');
    if (open == std::string_view::npos) return false;
    s = s.substr(open + 1, s.size() - open - 2);
  }
  const auto at = s.rfind('@');
  if (at == std::string_view::npos) return false;
  const auto local = s.substr(0, at);
  const auto domain = s.substr(at + 1);
  if (!is_dot_atom(local) && !is_quoted_string(local)) return false;
  if (domain.size() >= 2 && domain.front() == '[' && domain.back() == ']') return true;
  return is_dot_atom(domain);
}

bool is_hex_color(std::string_view s) {
  if (!s.empty() && s[0] == '#') s.remove_prefix(1);
  if (s.size() != 3 && s.size() != 6) return false;
  return std::all_of(s.begin(), s.end(), is_hex);
}

bool is_ssn(std::string_view s) {
  std::size_t i = 0;
  const auto digits = [&](std::size_t n) {
    for (std::size_t k = 0; k < n; ++k, ++i) {
      if (i >= s.size() || !is_digit(s[i])) return false;
    }
    return true;
  };
  const auto separator = [&] {
    if (i < s.size() && (s[i] == '-' || s[i] == ' ')) ++i;
  };
  if (!digits(3)) return false;
  separator();
  if (!digits(2)) return false;
  separator();
  return digits(4) && i == s.size();
}

// Formats kube-apiserver knows but that are not checked here are accepted.
bool check_format(std::string_view normalized, std::string_view s) {
  if (normalized == "datetime") return is_date_time(s);
  if (normalized == "date") return is_date(s);
  if (normalized == "byte") return is_base64(s);
  if (normalized == "uuid") return is_uuid(s, 0);
  if (normalized == "uuid3") return is_uuid(s, '3');
  if (normalized == "uuid4") return is_uuid(s, '4');
  if (normalized == "uuid5") return is_uuid(s, '5');
  if (normalized == "hostname") return is_hostname(s);
  if (normalized == "ipv4") return parse_ip(s) && s.find('.') != std::string_view::npos;
  if (normalized == "ipv6") return parse_ip(s) && s.find(':') != std::string_view::npos;
  if (normalized == "cidr") return is_cidr(s);
  if (normalized == "mac") return is_mac(s);
  if (normalized == "email") return is_email(s);
  if (normalized == "hexcolor") return is_hex_color(s);
  if (normalized == "ssn") return is_ssn(s);
  return true;
}

// ---------------------------------------------------------------------------------------------
// `pattern`: Go RE2 syntax -> std::regex ECMAScript.
// ---------------------------------------------------------------------------------------------

// Deepest group nesting accepted: std::regex compiles by recursive descent.
constexpr int kMaxPatternNesting = 100;

struct TranslatedPattern {
  std::string ecmascript;
  bool icase = false;
};

// The part of RE2 syntax with the same meaning in ECMAScript passes through; \A, \z, \a, \Q..\E,
// \x{..}, (?P<name>..) and a leading (?i) (after ^ anchors only) are rewritten; what has no
// equivalent (\p, lookaround, flag groups, octal/backreferences) or that Go refuses (repeat counts
// over 1000, bad escapes) is an error worded like Go's regexp/syntax errors.
tl::expected<TranslatedPattern, std::string> translate_pattern(std::string_view p) {
  const auto error = [&](std::string_view code, std::string_view arg) {
    return tl::unexpected("error parsing regexp: " + std::string(code) + ": `" + std::string(arg) +
                          "`");
  };
  if (p.size() > kMaxPatternBytes) return error("expression too large", p.substr(0, 32));
  TranslatedPattern out;
  std::string& re = out.ecmascript;
  std::size_t i = 0;
  // (?i) covers the whole pattern when only anchors come before it: prometheus-operator's
  // PrometheusRule CRD writes '^(?i)(abort|warn)?$'.
  const std::size_t anchors = std::min(p.find_first_not_of('^'), p.size());
  if (p.substr(anchors, 4) == "(?i)") {
    out.icase = true;
    re.append(anchors, '^');
    i = anchors + 4;
  }
  int depth = 0;
  bool in_class = false;
  std::size_t class_start = 0;
  const auto escape_literal = [&](char c) {
    if (!is_ascii_alnum(c) && static_cast<unsigned char>(c) < 0x80 && c != ' ') re += '\\';
    re += c;
  };
  while (i < p.size()) {
    const char c = p[i];
    if (c == '\\') {
      if (i + 1 >= p.size()) return error("trailing backslash at end of expression", "");
      const char d = p[i + 1];
      switch (d) {
        case 'A':
          if (in_class) return error("invalid escape sequence", p.substr(i, 2));
          re += '^';
          break;
        case 'z':
          if (in_class) return error("invalid escape sequence", p.substr(i, 2));
          re += '$';
          break;
        case 'a':
          re += "\\x07";
          break;
        case 'Q': {
          const auto end = p.find("\\E", i + 2);
          const auto literal = p.substr(i + 2, end == std::string_view::npos ? end : end - i - 2);
          for (char l : literal) escape_literal(l);
          i = end == std::string_view::npos ? p.size() : end + 2;
          continue;
        }
        case 'x': {
          if (i + 2 < p.size() && p[i + 2] == '{') {
            const auto close = p.find('}', i + 3);
            if (close == std::string_view::npos)
              return error("invalid escape sequence", p.substr(i));
            const auto hex = p.substr(i + 3, close - i - 3);
            unsigned value = 0;
            if (hex.empty() || hex.size() > 4 ||
                std::from_chars(hex.data(), hex.data() + hex.size(), value, 16).ptr !=
                    hex.data() + hex.size()) {
              return error("invalid escape sequence", p.substr(i, close - i + 1));
            }
            char buffer[8];
            std::snprintf(buffer, sizeof buffer, "\\u%04x", value);
            re += buffer;
            i = close + 1;
            continue;
          }
          if (i + 3 >= p.size() || !is_hex(p[i + 2]) || !is_hex(p[i + 3])) {
            return error("invalid escape sequence",
                         p.substr(i, std::min<std::size_t>(4, p.size() - i)));
          }
          re.append(p.substr(i, 4));
          i += 4;
          continue;
        }
        case 'd':
        case 'D':
        case 's':
        case 'S':
        case 'w':
        case 'W':
        case 'f':
        case 'n':
        case 'r':
        case 't':
        case 'v':
          re += '\\';
          re += d;
          break;
        case 'b':
        case 'B':
          if (in_class) return error("invalid escape sequence", p.substr(i, 2));
          re += '\\';
          re += d;
          break;
        case 'p':
        case 'P':
          return error("invalid character class range", p.substr(i, 2));
        default:
          if (is_ascii_alnum(d) || static_cast<unsigned char>(d) >= 0x80) {
            return error("invalid escape sequence", p.substr(i, 2));
          }
          re += '\\';
          re += d;
      }
      i += 2;
      continue;
    }
    if (in_class) {
      if (c == '[' && i + 1 < p.size() && p[i + 1] == ':') {
        const auto close = p.find(":]", i + 2);
        if (close == std::string_view::npos)
          return error("missing closing ]", p.substr(class_start));
        re.append(p.substr(i, close + 2 - i));
        i = close + 2;
        continue;
      }
      if (c == ']' && i > class_start + 1 && !(i == class_start + 2 && p[class_start + 1] == '^')) {
        in_class = false;
        re += c;
      } else if (c == ']' || c == '[') {
        re += '\\';
        re += c;
      } else {
        re += c;
      }
      ++i;
      continue;
    }
    switch (c) {
      case '[':
        in_class = true;
        class_start = i;
        re += c;
        if (i + 1 < p.size() && p[i + 1] == '^') {
          re += '^';
          ++i;
          class_start = i - 1;
        }
        break;
      case '(':
        if (++depth > kMaxPatternNesting)
          return error("expression nests too deeply", p.substr(0, 32));
        if (i + 1 < p.size() && p[i + 1] == '?') {
          const auto rest = p.substr(i);
          if (rest.substr(0, 3) == "(?:") {
            re += "(?:";
            i += 3;
            continue;
          }
          if (rest.substr(0, 4) == "(?P<" ||
              (rest.substr(0, 3) == "(?<" && rest.size() > 3 && rest[3] != '=' && rest[3] != '!')) {
            const auto close = p.find('>', i);
            if (close == std::string_view::npos) return error("invalid named capture", rest);
            re += '(';
            i = close + 1;
            continue;
          }
          return error("invalid or unsupported Perl syntax", rest.substr(0, 3));
        }
        re += c;
        break;
      case ')':
        if (--depth < 0) return error("unexpected )", p);
        re += c;
        break;
      case '{': {
        // A valid repeat {n}, {n,} or {n,m} (n, m <= 1000); anything else is a literal brace.
        std::size_t j = i + 1;
        int numbers[2] = {-1, -1};
        int which = 0;
        bool valid = true;
        while (j < p.size() && p[j] != '}') {
          if (is_digit(p[j])) {
            numbers[which] = std::min(100000, std::max(0, numbers[which]) * 10 + (p[j] - '0'));
          } else if (p[j] == ',' && which == 0) {
            which = 1;
          } else {
            valid = false;
            break;
          }
          ++j;
        }
        if (valid && j < p.size() && numbers[0] >= 0) {
          if (numbers[0] > 1000 || numbers[1] > 1000 ||
              (numbers[1] >= 0 && numbers[1] < numbers[0])) {
            return error("invalid repeat count", p.substr(i, j - i + 1));
          }
          re.append(p.substr(i, j - i + 1));
          i = j + 1;
          continue;
        }
        re += "\\{";
        break;
      }
      case '}':
        re += "\\}";
        break;
      default:
        re += c;
    }
    ++i;
  }
  if (in_class) return error("missing closing ]", p.substr(class_start));
  if (depth > 0) return error("missing closing )", p);
  return out;
}

std::string regex_error_code(const std::regex_error& e) {
  switch (e.code()) {
    case std::regex_constants::error_paren:
      return "missing closing )";
    case std::regex_constants::error_brack:
      return "missing closing ]";
    case std::regex_constants::error_brace:
    case std::regex_constants::error_badbrace:
      return "invalid repeat count";
    case std::regex_constants::error_badrepeat:
      return "missing argument to repetition operator";
    case std::regex_constants::error_escape:
      return "invalid escape sequence";
    case std::regex_constants::error_range:
      return "invalid character class range";
    case std::regex_constants::error_ctype:
      return "invalid character class";
    case std::regex_constants::error_complexity:
    case std::regex_constants::error_space:
    case std::regex_constants::error_stack:
      return "expression too large";
    default:
      return "invalid syntax";
  }
}

// Compiles once. The polynomial (Thompson NFA) executor keeps matching free of backtracking and
// of recursion proportional to the input, as RE2 is; the leading [\s\S]*? turns Go's unanchored
// search into one pass (std::regex_search would restart the NFA at every offset: quadratic).
tl::expected<std::regex, std::string> compile_pattern(std::string_view pattern) {
  auto translated = translate_pattern(pattern);
  if (!translated) return tl::unexpected(translated.error());
  auto flags = std::regex::ECMAScript | std::regex::nosubs | std::regex_constants::__polynomial;
  if (translated->icase) flags |= std::regex::icase;
  try {
    return std::regex("[\\s\\S]*?(?:" + translated->ecmascript + ")", flags);
  } catch (const std::regex_error& e) {
    return tl::unexpected("error parsing regexp: " + regex_error_code(e) + ": `" +
                          std::string(pattern) + "`");
  } catch (const std::exception&) {
    return tl::unexpected("error parsing regexp: expression too large: `" + std::string(pattern) +
                          "`");
  }
}

bool pattern_matches(const std::regex& regex, std::string_view subject) {
  try {
    return std::regex_search(subject.begin(), subject.end(), regex,
                             std::regex_constants::match_continuous);
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Value validation, mirroring kube-openapi's SchemaValidator: the same validators in the same
// order, the same paths ("" at the root, "a.b", "a[0]"), the same messages, the same match counts
// (which pick the anyOf/oneOf branch whose errors are reported) and the same de-duplication of
// identical messages.
// ---------------------------------------------------------------------------------------------

namespace {

enum class Code {
  kInvalidType,
  kRequired,
  kTooLong,
  kTooShort,
  kPattern,
  kEnum,
  kMultipleOf,
  kMaximum,
  kMinimum,
  kMaxItems,
  kMinItems,
  kTooFewProperties,
  kTooManyProperties,
  kUnallowedProperty,
  kComposite,  // anyOf/oneOf/allOf/not: not a field error in kube-openapi
};

// An openapierrors.Validation (or a composite error).
struct Failure {
  Code code;
  std::string name;     // kube-openapi path
  std::string message;  // Error()
  json::value value;    // the Go value; null is Go's nil
  std::int64_t valid = -1;
  const json::array* values = nullptr;  // enum
};

struct Result {
  std::vector<Failure> errors;
  std::unordered_set<std::string> messages;
  int match_count = 0;

  bool valid() const { return errors.empty(); }
  void inc() { ++match_count; }
  // AddErrors: a message already reported is dropped.
  void add(Failure failure) {
    if (messages.insert(failure.message).second) errors.push_back(std::move(failure));
  }
  void merge(Result&& other) {
    for (auto& f : other.errors) add(std::move(f));
    match_count += other.match_count;
  }
};

Result failed(Failure failure) {
  Result r;
  r.add(std::move(failure));
  return r;
}

std::string in_body(std::string_view path) { return std::string(path) + " in body"; }

Failure invalid_type(const std::string& path, std::string_view type_name, json::value value) {
  std::string message = in_body(path) + " must be of type " + std::string(type_name);
  if (value.is_string()) message += ": " + go::quote(value.get_string());
  return {Code::kInvalidType, path, std::move(message), std::move(value)};
}

Failure composite(const std::string& path, std::string message) {
  return {Code::kComposite, path, std::move(message), nullptr};
}

Result validate_node(const Node& s, const std::string& path, const json::value& data);

// The JSON type and go-openapi format inferred from a decoded value.
std::pair<std::string_view, std::string_view> schema_info(const json::value& data) {
  switch (kind_of(data)) {
    case Kind::kBool:
      return {"boolean", ""};
    case Kind::kString:
      return {"string", ""};
    case Kind::kInt:
      return {"integer", "int64"};
    case Kind::kFloat:
      return {"number", "float64"};
    case Kind::kArray:
      return {"array", ""};
    case Kind::kObject:
      return {"object", ""};
    case Kind::kNull:
      break;
  }
  return {"", ""};
}

Result validate_type(const Node& s, const std::string& path, const json::value& data) {
  Result result;
  result.inc();
  if (data.is_null()) {
    if (!s.types.empty() && !contains(s.types, "null") && !s.nullable) {
      return failed(invalid_type(path, join(s.types, ","), json::value("null")));
    }
    return result;
  }
  const Kind kind = kind_of(data);
  const auto [schema_type, format] = schema_info(data);
  const bool is_float_int = schema_type == "number" && is_float64_json_integer(as_double(data)) &&
                            contains(s.types, "integer");
  const bool is_int_float = schema_type == "integer" && contains(s.types, "number");
  const bool listed = contains(s.types, schema_type);
  if (kind != Kind::kString && kind != Kind::kArray && !s.format.empty() &&
      !(listed || format == s.format || is_float_int || is_int_float)) {
    return failed(invalid_type(path, s.format, json::value(format)));
  }
  if (!(contains(s.types, "number") || contains(s.types, "integer")) && !s.format.empty() &&
      (kind == Kind::kString || kind == Kind::kArray)) {
    return result;
  }
  if (!(listed || is_float_int || is_int_float)) {
    return failed(invalid_type(path, join(s.types, ","), json::value(schema_type)));
  }
  return result;
}

// allOf, anyOf, oneOf and not: every branch is validated at the same path; of failing branches
// the one with the most passed checks is reported.
Result validate_junctors(const Node& s, const std::string& path, const json::value& data) {
  Result main;
  if (!s.any_of.empty()) {
    std::optional<Result> best;
    std::optional<Result> first_success;
    for (const auto& branch : s.any_of) {
      Result r = validate_node(*branch, path, data);
      if (r.valid()) {
        best.reset();
        first_success = std::move(r);
        break;
      }
      if (!best || r.match_count > best->match_count) best = std::move(r);
    }
    if (!first_success) {
      main.add(composite(path, go::quote(path) + " must validate at least one schema (anyOf)"));
    }
    if (best) {
      main.merge(std::move(*best));
    } else if (first_success) {
      main.merge(std::move(*first_success));
    }
  }
  if (!s.one_of.empty()) {
    std::optional<Result> best;
    std::optional<Result> first_success;
    int validated = 0;
    for (const auto& branch : s.one_of) {
      Result r = validate_node(*branch, path, data);
      if (r.valid()) {
        ++validated;
        best.reset();
        if (!first_success) first_success = std::move(r);
        continue;
      }
      if (validated == 0 && (!best || r.match_count > best->match_count)) best = std::move(r);
    }
    if (validated != 1) {
      const std::string found = validated == 0
                                    ? "Found none valid"
                                    : "Found " + std::to_string(validated) + " valid alternatives";
      main.add(composite(
          path, go::quote(path) + " must validate one and only one schema (oneOf). " + found));
      if (best) main.merge(std::move(*best));
    } else if (first_success) {
      main.merge(std::move(*first_success));
    }
  }
  if (!s.all_of.empty()) {
    std::size_t validated = 0;
    for (const auto& branch : s.all_of) {
      Result r = validate_node(*branch, path, data);
      if (r.valid()) ++validated;
      main.merge(std::move(r));
    }
    if (validated != s.all_of.size()) {
      main.add(composite(path, go::quote(path) + " must validate all the schemas (allOf)" +
                                   (validated == 0 ? ". None validated" : "")));
    }
  }
  if (s.not_schema && validate_node(*s.not_schema, path, data).valid()) {
    main.add(composite(path, go::quote(path) + " must not validate the schema (not)"));
  }
  main.inc();
  return main;
}

Result validate_string(const Node& s, const std::string& path, const std::string_view data) {
  const json::value value(data);
  if (s.max_length || s.min_length) {
    const auto length = static_cast<std::int64_t>(rune_count(data));
    if (s.max_length && length > *s.max_length) {
      return failed(
          {Code::kTooLong, path,
           in_body(path) + " should be at most " + std::to_string(*s.max_length) + " chars long",
           value, *s.max_length});
    }
    if (s.min_length && length < *s.min_length) {
      return failed(
          {Code::kTooShort, path,
           in_body(path) + " should be at least " + std::to_string(*s.min_length) + " chars long",
           value});
    }
  }
  if (s.regex) {
    if (data.size() > kMaxPatternSubjectBytes) {
      return failed({Code::kPattern, path,
                     in_body(path) + " is too long to be matched against '" + s.pattern + "'",
                     value});
    }
    if (!pattern_matches(*s.regex, data)) {
      return failed(
          {Code::kPattern, path, in_body(path) + " should match '" + s.pattern + "'", value});
    }
  }
  return {};
}

Result validate_number(const Node& s, const std::string& path, const json::value& data) {
  Result multiple;
  Result minimum;
  Result maximum;
  const bool is_int = data.is_int64();
  const double as_float = as_double(data);
  if (s.multiple_of) {
    const double factor = *s.multiple_of;
    const std::int64_t int_factor = go_float_to_int64(factor);
    // Go divides by int64(factor); a zero there would panic, so such factors take the float path.
    if (is_int && int_factor != 0) {
      if (int_factor < 0) {
        multiple.add({Code::kMultipleOf, path,
                      "factor MultipleOf declared for " + path +
                          " must be positive: " + std::to_string(int_factor),
                      json::value(int_factor)});
      } else if (data.get_int64() % int_factor != 0) {
        multiple.add({Code::kMultipleOf, path,
                      in_body(path) + " should be a multiple of " + std::to_string(int_factor),
                      data});
      }
    } else if (factor < 0) {
      multiple.add({Code::kMultipleOf, path,
                    "factor MultipleOf declared for " + path +
                        " must be positive: " + go::format_float(factor),
                    json::value(factor)});
    } else {
      const double quotient = factor < 1 ? 1 / factor * as_float : as_float / factor;
      if (!is_float64_json_integer(quotient)) {
        multiple.add({Code::kMultipleOf, path,
                      in_body(path) + " should be a multiple of " + go::format_float(factor),
                      data});
      }
    }
  }
  const auto bound_text = [&](double bound) {
    return is_int ? std::to_string(go_float_to_int64(bound)) : go::format_float(bound);
  };
  if (s.minimum) {
    const bool fails =
        is_int ? (s.exclusive_minimum ? data.get_int64() <= go_float_to_int64(*s.minimum)
                                      : data.get_int64() < go_float_to_int64(*s.minimum))
               : (s.exclusive_minimum ? as_float <= *s.minimum : as_float < *s.minimum);
    if (fails) {
      minimum.add({Code::kMinimum, path,
                   in_body(path) +
                       (s.exclusive_minimum ? " should be greater than "
                                            : " should be greater than or equal to ") +
                       bound_text(*s.minimum),
                   data});
    }
  }
  if (s.maximum) {
    const bool fails =
        is_int ? (s.exclusive_maximum ? data.get_int64() >= go_float_to_int64(*s.maximum)
                                      : data.get_int64() > go_float_to_int64(*s.maximum))
               : (s.exclusive_maximum ? as_float >= *s.maximum : as_float > *s.maximum);
    if (fails) {
      maximum.add({Code::kMaximum, path,
                   in_body(path) +
                       (s.exclusive_maximum ? " should be less than "
                                            : " should be less than or equal to ") +
                       bound_text(*s.maximum),
                   data});
    }
  }
  Result result;
  result.merge(std::move(multiple));
  result.merge(std::move(minimum));
  result.merge(std::move(maximum));
  result.inc();
  return result;
}

Result validate_slice(const Node& s, const std::string& path, const json::array& data) {
  Result result;
  if (s.items) {
    for (std::size_t i = 0; i < data.size(); ++i) {
      result.merge(validate_node(*s.items, index(path, i), data[i]));
    }
  }
  const auto size = static_cast<std::int64_t>(data.size());
  if (s.min_items && size < *s.min_items) {
    result.add({Code::kMinItems, path,
                in_body(path) + " should have at least " + std::to_string(*s.min_items) + " items",
                json::value(size)});
  }
  if (s.max_items && size > *s.max_items) {
    result.add({Code::kMaxItems, path,
                in_body(path) + " should have at most " + std::to_string(*s.max_items) + " items",
                json::value(size), *s.max_items});
  }
  result.inc();
  return result;
}

// reflect.Value.Convert to the enum value's type followed by reflect.DeepEqual, as
// basicCommonValidator compares: numbers convert into each other (truncating to int64), an
// int64 converts to a one-rune string.
bool enum_matches(const json::value& data, const json::value& allowed) {
  if (allowed.is_null() || data.is_null()) return false;
  switch (kind_of(allowed)) {
    case Kind::kBool:
      return data.is_bool() && data.get_bool() == allowed.get_bool();
    case Kind::kInt:
      if (data.is_int64()) return data.get_int64() == allowed.get_int64();
      if (kind_of(data) == Kind::kFloat)
        return go_float_to_int64(as_double(data)) == allowed.get_int64();
      return false;
    case Kind::kFloat:
      if (kind_of(data) == Kind::kFloat) return as_double(data) == as_double(allowed);
      if (data.is_int64()) return static_cast<double>(data.get_int64()) == as_double(allowed);
      return false;
    case Kind::kString: {
      if (data.is_string()) return data.get_string() == allowed.get_string();
      if (!data.is_int64()) return false;
      const std::int64_t code = data.get_int64();
      std::string rune;
      const bool valid = code >= 0 && code <= 0x10FFFF && !(code >= 0xD800 && code <= 0xDFFF);
      append_rune(rune, valid ? static_cast<char32_t>(code) : char32_t{0xFFFD});
      return rune == allowed.get_string();
    }
    default:
      return go_deep_equal(data, allowed);
  }
}

Result validate_enum(const Node& s, const std::string& path, const json::value& data) {
  if (s.enum_values == nullptr || s.enum_values->empty()) return {};
  for (const auto& allowed : *s.enum_values) {
    if (enum_matches(data, allowed)) return {};
  }
  Failure f{Code::kEnum, path, in_body(path) + " should be one of the enum values", data};
  f.values = s.enum_values;
  return failed(std::move(f));
}

Result validate_object(const Node& s, const std::string& path, const json::object& data) {
  const auto count = static_cast<std::int64_t>(data.size());
  if (s.min_properties && count < *s.min_properties) {
    return failed({Code::kTooFewProperties, path,
                   in_body(path) + " should have at least " + std::to_string(*s.min_properties) +
                       " properties",
                   json::value(count), *s.min_properties});
  }
  if (s.max_properties && count > *s.max_properties) {
    return failed({Code::kTooManyProperties, path,
                   in_body(path) + " should have at most " + std::to_string(*s.max_properties) +
                       " properties",
                   json::value(count), *s.max_properties});
  }
  Result result;
  if (s.has_additional_properties && !s.additional_properties_allows) {
    for (const auto& m : data) {
      if (s.property(m.key()) == nullptr) {
        result.add({Code::kUnallowedProperty, path,
                    path + "." + std::string(m.key()) + " in body is a forbidden property",
                    json::value(m.key())});
      }
    }
  } else if (s.additional_properties) {
    for (const auto& m : data) {
      if (s.property(m.key()) == nullptr) {
        result.merge(
            validate_node(*s.additional_properties, path + "." + std::string(m.key()), m.value()));
      }
    }
  }
  for (const auto& [name, property] : s.properties) {
    if (const auto* value = data.if_contains(name)) {
      result.merge(validate_node(*property, path.empty() ? name : path + "." + name, *value));
    }
  }
  for (const auto& name : s.required) {
    if (!data.contains(name)) {
      result.add({Code::kRequired, path + "." + name, path + "." + name + " in body is required",
                  nullptr});
    }
  }
  return result;
}

Result validate_node(const Node& s, const std::string& path, const json::value& data) {
  Result result;
  if (data.is_null()) {
    result.merge(validate_type(s, path, data));
    result.merge(validate_enum(s, path, data));
    return result;
  }
  const Kind kind = kind_of(data);
  if (!s.types.empty() || !s.format.empty()) {
    result.merge(validate_type(s, path, data));
    result.inc();
  }
  result.merge(validate_junctors(s, path, data));
  result.inc();
  if (kind == Kind::kString) {
    result.merge(validate_string(s, path, data.get_string()));
    result.inc();
    if (!s.format.empty()) {
      if (!check_format(normalize_format(s.format), data.get_string())) {
        result.add(invalid_type(path, s.format, data));
      }
      result.inc();
    }
  }
  if (kind == Kind::kInt || kind == Kind::kFloat) {
    result.merge(validate_number(s, path, data));
    result.inc();
  }
  if (kind == Kind::kArray) {
    result.merge(validate_slice(s, path, data.get_array()));
    result.inc();
  }
  result.merge(validate_enum(s, path, data));
  result.inc();
  if (kind == Kind::kObject) {
    result.merge(validate_object(s, path, data.get_object()));
    result.inc();
  }
  result.inc();
  return result;
}

// kubeOpenAPIResultToFieldErrors: a Validation becomes a field error at `prefix` + its path;
// composite errors have no path and land on `prefix` itself ("<nil>" without a prefix).
kube::StatusCause to_cause(const Failure& f, std::string_view prefix) {
  std::string field;
  if (f.code == Code::kComposite || f.name.empty() || f.name == ".") {
    field = prefix.empty() ? "<nil>" : std::string(prefix);
  } else {
    std::string_view name = f.name;
    if (name.front() == '.') name.remove_prefix(1);
    field = prefix.empty() ? std::string(name) : std::string(prefix) + "." + std::string(name);
  }
  const json::value value = f.value.is_null() ? json::value("") : f.value;
  switch (f.code) {
    case Code::kRequired:
      return required_cause(std::move(field));
    case Code::kEnum: {
      std::vector<std::string> supported;
      if (f.values != nullptr) {
        for (const auto& v : *f.values) {
          supported.push_back(v.is_string() ? std::string(v.get_string()) : go::marshal(v));
        }
      }
      return not_supported_cause(std::move(field), f.value, supported);
    }
    case Code::kTooLong: {
      std::string message = "Too long: ";
      if (f.valid >= 0) {
        message +=
            "may not be more than " + std::to_string(f.valid) + (f.valid == 1 ? " byte" : " bytes");
      } else {
        message += "value is too long";
      }
      return make_cause(kube::cause::kFieldValueTooLong, std::move(field), std::move(message));
    }
    case Code::kMaxItems:
    case Code::kTooManyProperties: {
      std::string message = "Too many: ";
      if (f.value.is_int64() && f.value.get_int64() >= 0) {
        message += std::to_string(f.value.get_int64()) + ": ";
      }
      message += f.valid >= 0 ? "must have at most " + std::to_string(f.valid) +
                                    (f.valid == 1 ? " item" : " items")
                              : std::string("has too many items");
      return make_cause(kube::cause::kFieldValueTooMany, std::move(field), std::move(message));
    }
    case Code::kInvalidType:
      return make_cause(kube::cause::kFieldValueTypeInvalid, std::move(field),
                        "Invalid value: " + go::format_value(value) + ": " + f.message);
    case Code::kComposite:
      return make_cause(kube::cause::kFieldValueInvalid, std::move(field),
                        "Invalid value: \"\": " + f.message);
    default:
      return make_cause(kube::cause::kFieldValueInvalid, std::move(field),
                        "Invalid value: " + go::format_value(value) + ": " + f.message);
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Pruning, null dropping and defaulting (apiextensions' structural pruning/defaulting).
// ---------------------------------------------------------------------------------------------

namespace {

// Tracks the path through the object for unknown-field reports: "spec", "spec.items[0].name".
class UnknownFields {
 public:
  explicit UnknownFields(std::vector<std::string>* out) : out_(out) {}
  bool tracking() const { return out_ != nullptr; }
  std::size_t mark() const { return path_.size(); }
  void reset(std::size_t mark) { path_.resize(mark); }
  void append_key(std::string_view k) {
    if (!tracking()) return;
    if (!path_.empty()) path_ += '.';
    path_ += k;
  }
  void append_index(std::size_t i) {
    if (!tracking()) return;
    path_ += '[' + std::to_string(i) + ']';
  }
  void record(std::string_view k) {
    if (!tracking()) return;
    const auto m = mark();
    append_key(k);
    out_->push_back(path_);
    reset(m);
  }

 private:
  std::vector<std::string>* out_;
  std::string path_;
};

void skip_prune(json::value& x, const Node* s, bool embedded, UnknownFields& unknown);

// Removes the members for which keep() is false, keeping the order of the rest (rebuilding
// rather than erasing one by one, which would be quadratic). keep() runs once per member.
template <class Keep>
void retain_members(json::object& object, Keep keep) {
  std::vector<bool> kept_flags;
  kept_flags.reserve(object.size());
  bool all = true;
  for (auto& m : object) {
    kept_flags.push_back(keep(m));
    all = all && kept_flags.back();
  }
  if (all) return;
  json::object kept(object.storage());
  std::size_t i = 0;
  for (auto& m : object) {
    if (kept_flags[i++]) kept.emplace(m.key(), std::move(m.value()));
  }
  object = std::move(kept);
}

void prune_node(json::value& x, const Node* s, bool embedded, UnknownFields& unknown) {
  if (s != nullptr && s->preserve_unknown_fields) {
    skip_prune(x, s, embedded, unknown);
    return;
  }
  if (x.is_object()) {
    auto& object = x.get_object();
    if (s == nullptr) {
      for (const auto& m : object) unknown.record(m.key());
      object.clear();
      return;
    }
    const auto top = unknown.mark();
    std::vector<bool> keep;
    keep.reserve(object.size());
    for (auto& m : object) {
      if (embedded && is_meta_field(m.key())) {
        keep.push_back(true);
      } else if (const Node* property = s->property(m.key())) {
        unknown.append_key(m.key());
        prune_node(m.value(), property, property->embedded_resource, unknown);
        unknown.reset(top);
        keep.push_back(true);
      } else if (s->has_additional_properties) {
        unknown.append_key(m.key());
        const Node* ap = s->additional_properties.get();
        prune_node(m.value(), ap, ap != nullptr && ap->embedded_resource, unknown);
        unknown.reset(top);
        keep.push_back(true);
      } else {
        if (!is_meta_field(m.key()) || unknown.mark() > 0) unknown.record(m.key());
        keep.push_back(false);
      }
    }
    std::size_t i = 0;
    retain_members(object, [&](const json::key_value_pair&) { return keep[i++]; });
  } else if (x.is_array()) {
    const Node* items = s == nullptr ? nullptr : s->items.get();
    const auto top = unknown.mark();
    auto& array = x.get_array();
    for (std::size_t i = 0; i < array.size(); ++i) {
      unknown.append_index(i);
      prune_node(array[i], items, items != nullptr && items->embedded_resource, unknown);
      unknown.reset(top);
    }
  }
}

void skip_prune(json::value& x, const Node* s, bool embedded, UnknownFields& unknown) {
  if (s == nullptr) return;
  const auto top = unknown.mark();
  if (x.is_object()) {
    for (auto& m : x.get_object()) {
      if (embedded && is_meta_field(m.key())) continue;
      if (const Node* property = s->property(m.key())) {
        unknown.append_key(m.key());
        prune_node(m.value(), property, property->embedded_resource, unknown);
        unknown.reset(top);
      } else if (s->has_additional_properties) {
        unknown.append_key(m.key());
        const Node* ap = s->additional_properties.get();
        prune_node(m.value(), ap, ap != nullptr && ap->embedded_resource, unknown);
        unknown.reset(top);
      }
    }
  } else if (x.is_array()) {
    auto& array = x.get_array();
    for (std::size_t i = 0; i < array.size(); ++i) {
      unknown.append_index(i);
      const Node* items = s->items.get();
      skip_prune(array[i], items, items != nullptr && items->embedded_resource, unknown);
      unknown.reset(top);
    }
  }
}

const Node* schema_for_field(std::string_view name, const Node* s) {
  if (s == nullptr) return nullptr;
  if (const Node* property = s->property(name)) return property;
  return s->additional_properties.get();
}

// PruneNonNullableNullsWithoutDefaults. Below an undeclared field nothing can be dropped, so the
// walk stops there.
void drop_non_nullable_nulls(json::value& x, const Node* s) {
  if (s == nullptr) return;
  if (x.is_object()) {
    auto& object = x.get_object();
    retain_members(object, [&](json::key_value_pair& m) {
      const Node* sub = schema_for_field(m.key(), s);
      if (m.value().is_null() && sub != nullptr && !sub->nullable &&
          sub->default_value == nullptr) {
        return false;
      }
      drop_non_nullable_nulls(m.value(), sub);
      return true;
    });
  } else if (x.is_array()) {
    for (auto& e : x.get_array()) drop_non_nullable_nulls(e, s->items.get());
  }
}

bool is_non_nullable_null(const json::value& x, const Node* s) {
  return x.is_null() && s != nullptr && !s->nullable;
}

void default_node(json::value& x, const Node* s) {
  if (s == nullptr) return;
  if (x.is_object()) {
    auto& object = x.get_object();
    for (const auto& [name, property] : s->properties) {
      if (property->default_value == nullptr) continue;
      auto* existing = object.if_contains(name);
      if (existing == nullptr) {
        object.emplace(name, *property->default_value);
      } else if (is_non_nullable_null(*existing, property.get())) {
        *existing = *property->default_value;
      }
    }
    for (auto& m : object) {
      if (const Node* property = s->property(m.key())) {
        default_node(m.value(), property);
      } else if (s->has_additional_properties) {
        const Node* ap = s->additional_properties.get();
        if (is_non_nullable_null(m.value(), ap) && ap->default_value != nullptr) {
          m.value() = *ap->default_value;
        }
        default_node(m.value(), ap);
      }
    }
  } else if (x.is_array()) {
    const Node* items = s->items.get();
    for (auto& e : x.get_array()) {
      if (is_non_nullable_null(e, items) && items->default_value != nullptr) {
        e = *items->default_value;
      }
      default_node(e, items);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// x-kubernetes-list-type set/map invariants (apiextensions' listtype.ValidateListSetsAndMaps).
// ---------------------------------------------------------------------------------------------

kube::StatusCause duplicate_cause(std::string field, const json::value& value) {
  return make_cause(kube::cause::kFieldValueDuplicate, std::move(field),
                    "Duplicate value: " + go::format_value(value));
}

// Identity of a set element as Go compares it: scalars by type and value (1 and 1.0 differ),
// objects and arrays by their JSON (where they do not).
std::string set_identity(const json::value& x) {
  switch (kind_of(x)) {
    case Kind::kArray:
    case Kind::kObject:
      return "c" + go::marshal(x);
    case Kind::kInt:
      return "i" + go::marshal(x);
    case Kind::kFloat:
      return "f" + go::marshal(x);
    default:
      return "s" + go::marshal(x);
  }
}

// Indices of the second occurrence of each repeated element.
std::vector<std::size_t> non_unique(const std::vector<std::string>& identities) {
  std::map<std::string_view, int> seen;
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < identities.size(); ++i) {
    if (++seen[identities[i]] == 2) out.push_back(i);
  }
  return out;
}

void list_value(const std::string& path, const Node* s, const json::value& x,
                std::vector<kube::StatusCause>& out);

void list_object(const std::string& path, const Node* s, const json::object& object,
                 std::vector<kube::StatusCause>& out) {
  if (s == nullptr) return;
  if (s->additional_properties) {
    for (const auto& m : object)
      list_value(key(path, m.key()), s->additional_properties.get(), m.value(), out);
  }
  if (!s->properties.empty()) {
    for (const auto& m : object) {
      if (const Node* property = s->property(m.key()))
        list_value(child(path, m.key()), property, m.value(), out);
    }
  }
}

void list_map(const std::string& path, const Node& s, const json::array& array,
              std::vector<kube::StatusCause>& out) {
  for (std::size_t i = 0; i < array.size(); ++i) {
    if (!array[i].is_null() && !array[i].is_object()) {
      out.push_back(invalid_cause(index(path, i), array[i],
                                  "must be an object for an array of list-type map"));
      return;
    }
  }
  if (array.size() <= 1) return;
  std::vector<json::value> keys;
  std::vector<std::string> identities;
  if (s.list_map_keys.size() == 1) {
    const std::string& field = s.list_map_keys[0];
    for (const auto& x : array) {
      const json::value* k = x.is_object() ? x.get_object().if_contains(field) : nullptr;
      if (k == nullptr) {
        keys.emplace_back(json::object());
        identities.emplace_back("unspecified");
      } else {
        keys.emplace_back(json::object{{field, *k}});
        identities.push_back(set_identity(*k));
      }
    }
  } else {
    for (const auto& x : array) {
      json::object k;
      if (x.is_object()) {
        for (const auto& field : s.list_map_keys) {
          if (const auto* v = x.get_object().if_contains(field)) k.emplace(field, *v);
        }
      }
      keys.emplace_back(std::move(k));
      identities.push_back(set_identity(keys.back()));
    }
  }
  for (std::size_t i : non_unique(identities))
    out.push_back(duplicate_cause(index(path, i), keys[i]));
}

void list_array(const std::string& path, const Node* s, const json::array& array,
                std::vector<kube::StatusCause>& out) {
  if (s == nullptr) return;
  if (s->list_type == "set" && array.size() > 1) {
    std::vector<std::string> identities;
    identities.reserve(array.size());
    for (const auto& x : array) identities.push_back(set_identity(x));
    for (std::size_t i : non_unique(identities))
      out.push_back(duplicate_cause(index(path, i), array[i]));
  } else if (s->list_type == "map") {
    list_map(path, *s, array, out);
  }
  if (s->items) {
    for (std::size_t i = 0; i < array.size(); ++i)
      list_value(index(path, i), s->items.get(), array[i], out);
  }
}

void list_value(const std::string& path, const Node* s, const json::value& x,
                std::vector<kube::StatusCause>& out) {
  if (x.is_array()) {
    list_array(path, s, x.get_array(), out);
  } else if (x.is_object()) {
    list_object(path, s, x.get_object(), out);
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// compile(): decoding plus the CRD-side checks, in the order apiextensions runs them:
// ValidateCustomResourceDefinitionOpenAPISchema (traversal order), then ValidateStructural
// (sorted by message), then ValidateDefaults (only for a structural schema).
// ---------------------------------------------------------------------------------------------

namespace {

enum class Level { kRoot, kItem, kField };

// specStandardValidatorV3's state along the traversal.
struct Standard {
  bool allow_defaults = true;
  std::string disallow_defaults_reason;
  bool inside_resource_meta = false;
};

class Compiler {
 public:
  explicit Compiler(std::string prefix) : prefix_(std::move(prefix)) {}

  std::vector<kube::StatusCause> run(const json::value& schema, std::unique_ptr<Node>& root) {
    root = build(schema, prefix_, 1, Standard{}, true);
    std::vector<kube::StatusCause> errors = std::move(spec_errors_);
    if (!structural_possible_) return errors;
    std::vector<kube::StatusCause> structural;
    structural_invariants(*root, Level::kRoot, prefix_, structural);
    completeness(*root, prefix_, structural);
    std::sort(structural.begin(), structural.end(), [](const auto& a, const auto& b) {
      return a.field + ": " + a.message < b.field + ": " + b.message;
    });
    if (!structural.empty()) {
      errors.insert(errors.end(), structural.begin(), structural.end());
      return errors;
    }
    validate_defaults(*root, prefix_, false, true, errors);
    return errors;
  }

 private:
  void spec(kube::StatusCause cause) { spec_errors_.push_back(std::move(cause)); }

  // A keyword whose JSON type Go could not decode into JSONSchemaProps. kube-apiserver fails the
  // whole request at decoding then; here it is one cause among the others.
  void undecodable(const std::string& path, std::string_view keyword, const json::value& value,
                   std::string_view expected) {
    spec(make_cause(
        kube::cause::kFieldValueTypeInvalid, child(path, keyword),
        "Invalid value: " + go::format_value(value) + ": must be " + std::string(expected)));
    structural_possible_ = false;
  }

  std::unique_ptr<Node> build(const json::value& v, const std::string& path, std::size_t depth,
                              const Standard& standard, bool is_root);
  void check_list_and_map_extensions(const Node& node, const json::object& o,
                                     const std::string& path);

  void structural_invariants(const Node& s, Level level, const std::string& path,
                             std::vector<kube::StatusCause>& out) const;
  void value_validation(const Node& v, bool skip_any_of, bool skip_first_all_of_any_of, Level level,
                        const std::string& path, std::vector<kube::StatusCause>& out) const;
  void nested_value_validation(const Node* v, bool skip_any_of, bool skip_all_of_any_of,
                               Level level, const std::string& path,
                               std::vector<kube::StatusCause>& out) const;
  void completeness(const Node& root, const std::string& path,
                    std::vector<kube::StatusCause>& out) const;
  void value_validation_completeness(const Node& v, const Node& s, const std::string& s_path,
                                     const std::string& v_path,
                                     std::vector<kube::StatusCause>& out) const;
  void nested_completeness(const Node* v, const Node* s, const std::string& s_path,
                           const std::string& v_path, std::vector<kube::StatusCause>& out) const;
  void validate_defaults(const Node& s, const std::string& path, bool inside_meta, bool is_root,
                         std::vector<kube::StatusCause>& out) const;

  std::string prefix_;
  std::vector<kube::StatusCause> spec_errors_;
  bool structural_possible_ = true;
};

const std::vector<std::string>& open_api_v3_types() {
  static const std::vector<std::string> kTypes = {"array",  "boolean", "integer",
                                                  "number", "object",  "string"};
  return kTypes;
}

std::unique_ptr<Node> Compiler::build(const json::value& v, const std::string& path,
                                      std::size_t depth, const Standard& standard, bool is_root) {
  auto node = std::make_unique<Node>();
  node->raw = &v;
  if (depth > kMaxSchemaDepth) {
    spec(forbidden_cause(
        path, "must not be nested more than " + std::to_string(kMaxSchemaDepth) + " levels deep"));
    structural_possible_ = false;
    return node;
  }
  if (!v.is_object()) {
    spec(make_cause(kube::cause::kFieldValueTypeInvalid, path,
                    "Invalid value: " + go::format_value(v) + ": must be a JSON schema object"));
    structural_possible_ = false;
    return node;
  }
  const json::object& o = v.get_object();

  // Decoding.
  const auto text = [&](std::string_view k) -> std::optional<std::string> {
    const auto* x = o.if_contains(k);
    if (x == nullptr || x->is_null()) return std::nullopt;
    if (!x->is_string()) {
      undecodable(path, k, *x, "a string");
      return std::nullopt;
    }
    return std::string(x->get_string());
  };
  const auto flag = [&](std::string_view k) -> std::optional<bool> {
    const auto* x = o.if_contains(k);
    if (x == nullptr || x->is_null()) return std::nullopt;
    if (!x->is_bool()) {
      undecodable(path, k, *x, "a boolean");
      return std::nullopt;
    }
    return x->get_bool();
  };
  const auto number = [&](std::string_view k) -> std::optional<double> {
    const auto* x = o.if_contains(k);
    if (x == nullptr || x->is_null()) return std::nullopt;
    if (!x->is_number()) {
      undecodable(path, k, *x, "a number");
      return std::nullopt;
    }
    return as_double(*x);
  };
  const auto integer = [&](std::string_view k) -> std::optional<std::int64_t> {
    const auto* x = o.if_contains(k);
    if (x == nullptr || x->is_null()) return std::nullopt;
    if (x->is_int64()) return x->get_int64();
    // Values built in C++ from unsigned types (api::lambda_agent_openapi_schema()'s lengths).
    if (x->is_uint64() && x->get_uint64() <= std::numeric_limits<std::int64_t>::max())
      return static_cast<std::int64_t>(x->get_uint64());
    if (x->is_double() && std::trunc(x->get_double()) == x->get_double() &&
        std::abs(x->get_double()) < 9.2e18) {
      return static_cast<std::int64_t>(x->get_double());
    }
    undecodable(path, k, *x, "an integer");
    return std::nullopt;
  };
  const auto strings = [&](std::string_view k) -> std::vector<std::string> {
    std::vector<std::string> out;
    const auto* x = o.if_contains(k);
    if (x == nullptr || x->is_null()) return out;
    if (!x->is_array()) {
      undecodable(path, k, *x, "an array of strings");
      return out;
    }
    for (const auto& e : x->get_array()) {
      if (!e.is_string()) {
        undecodable(path, k, *x, "an array of strings");
        return {};
      }
      out.emplace_back(e.get_string());
    }
    return out;
  };
  const auto object_member = [&](std::string_view k) -> const json::object* {
    const auto* x = o.if_contains(k);
    if (x == nullptr || x->is_null()) return nullptr;
    if (!x->is_object()) {
      undecodable(path, k, *x, "an object");
      return nullptr;
    }
    return &x->get_object();
  };
  const auto schema_array = [&](std::string_view k) -> const json::array* {
    const auto* x = o.if_contains(k);
    if (x == nullptr || x->is_null()) return nullptr;
    if (!x->is_array()) {
      undecodable(path, k, *x, "an array of JSON schemas");
      return nullptr;
    }
    return &x->get_array();
  };

  node->type = text("type").value_or("");
  if (const auto format = text("format")) {
    // StripUnsupportedFormatsPostProcess: what kube-apiserver does not know is ignored.
    if (is_supported_format(normalize_format(*format))) node->format = *format;
  }
  node->nullable = flag("nullable").value_or(false);
  if (const auto* d = o.if_contains("default"); d != nullptr && !d->is_null()) {
    node->default_value = d;
  }
  node->has_title = !text("title").value_or("").empty();
  node->has_description = !text("description").value_or("").empty();
  node->maximum = number("maximum");
  node->minimum = number("minimum");
  node->exclusive_maximum = flag("exclusiveMaximum").value_or(false);
  node->exclusive_minimum = flag("exclusiveMinimum").value_or(false);
  node->max_length = integer("maxLength");
  node->min_length = integer("minLength");
  node->max_items = integer("maxItems");
  node->min_items = integer("minItems");
  node->max_properties = integer("maxProperties");
  node->min_properties = integer("minProperties");
  node->multiple_of = number("multipleOf");
  node->pattern = text("pattern").value_or("");
  if (!node->pattern.empty()) {
    auto compiled = compile_pattern(node->pattern);
    if (compiled) {
      node->regex = std::move(*compiled);
    } else {
      node->pattern_error = compiled.error();
    }
  }
  if (const auto* e = o.if_contains("enum"); e != nullptr && !e->is_null()) {
    if (e->is_array()) {
      node->enum_values = &e->get_array();
    } else {
      undecodable(path, "enum", *e, "an array");
    }
  }
  node->required = strings("required");
  const bool unique_items = flag("uniqueItems").value_or(false);
  const auto preserve = flag("x-kubernetes-preserve-unknown-fields");
  node->preserve_unknown_fields = preserve.value_or(false);
  node->embedded_resource = flag("x-kubernetes-embedded-resource").value_or(false);
  node->int_or_string = flag("x-kubernetes-int-or-string").value_or(false);
  node->list_type = text("x-kubernetes-list-type");
  node->list_map_keys = strings("x-kubernetes-list-map-keys");
  node->map_type = text("x-kubernetes-map-type");
  if (node->int_or_string) {
    node->types = {"integer", "string"};
  } else if (!node->type.empty()) {
    node->types = {node->type};
  }
  const auto id = text("id");
  text("$schema");  // decoded only to report a value of the wrong type
  const json::object* pattern_properties = object_member("patternProperties");
  const json::object* definitions = object_member("definitions");
  const json::object* properties = object_member("properties");

  // specStandardValidatorV3.validate.
  if (!node->type.empty() && !contains(open_api_v3_types(), node->type)) {
    spec(not_supported_cause(child(path, "type"), json::value(node->type), open_api_v3_types()));
  }
  if (node->default_value != nullptr && !standard.allow_defaults) {
    std::string detail = "must not be set";
    if (!standard.disallow_defaults_reason.empty()) {
      detail += " " + standard.disallow_defaults_reason;
    }
    spec(forbidden_cause(child(path, "default"), detail));
  }
  if (id && !id->empty()) spec(forbidden_cause(child(path, "id"), "id is not supported"));
  if (o.contains("additionalItems") && !o.at("additionalItems").is_null()) {
    spec(forbidden_cause(child(path, "additionalItems"), "additionalItems is not supported"));
  }
  if (pattern_properties != nullptr && !pattern_properties->empty()) {
    spec(forbidden_cause(child(path, "patternProperties"), "patternProperties is not supported"));
  }
  if (definitions != nullptr && !definitions->empty()) {
    spec(forbidden_cause(child(path, "definitions"), "definitions is not supported"));
  }
  if (o.contains("dependencies") && !o.at("dependencies").is_null()) {
    spec(forbidden_cause(child(path, "dependencies"), "dependencies is not supported"));
  }
  if (o.contains("$ref") && !o.at("$ref").is_null()) {
    spec(forbidden_cause(child(path, "$ref"), "$ref is not supported"));
  }
  if (node->type == "null") {
    spec(forbidden_cause(child(path, "type"),
                         "type cannot be set to null, use nullable as an alternative"));
  }
  const json::value* items = o.if_contains("items");
  if (items != nullptr && items->is_array() && !items->get_array().empty()) {
    spec(forbidden_cause(child(path, "items"), "items must be a schema object and not an array"));
    structural_possible_ = false;
  }
  if (standard.inside_resource_meta && node->embedded_resource) {
    spec(forbidden_cause(child(path, "x-kubernetes-embedded-resource"),
                         "must not be used inside of resource meta"));
  }
  if (unique_items) {
    spec(forbidden_cause(child(path, "uniqueItems"),
                         "uniqueItems cannot be set to true since the runtime complexity becomes "
                         "quadratic"));
  }

  // Sub-schemas, in the order the real validation visits them.
  if (const auto* ap = o.if_contains("additionalProperties"); ap != nullptr && !ap->is_null()) {
    if (ap->is_bool() || ap->is_object()) {
      node->has_additional_properties = true;
      node->additional_properties_allows = ap->is_object() || ap->get_bool();
      if (properties != nullptr && !properties->empty() &&
          (!node->additional_properties_allows || ap->is_object())) {
        spec(forbidden_cause(child(path, "additionalProperties"),
                             "additionalProperties and properties are mutual exclusive"));
      }
      if (ap->is_object()) {
        Standard sub = standard;
        if (standard.inside_resource_meta) {
          sub.allow_defaults = false;
          sub.disallow_defaults_reason = "inside additionalProperties applying to object metadata";
        }
        node->additional_properties =
            build(*ap, child(path, "additionalProperties"), depth + 1, sub, false);
      }
    } else {
      undecodable(path, "additionalProperties", *ap, "a boolean or a JSON schema object");
    }
  }
  if (properties != nullptr) {
    for (const auto& m : *properties) {
      Standard sub = standard;
      const std::string name(m.key());
      if ((is_root || node->embedded_resource) && is_meta_field(name)) {
        sub.inside_resource_meta = true;
        if (is_root) {
          sub.allow_defaults = false;
          sub.disallow_defaults_reason = "in top-level " + name;
        }
      }
      node->property_index.emplace(name, node->properties.size());
      node->properties.emplace_back(
          name, build(m.value(), key(child(path, "properties"), name), depth + 1, sub, false));
    }
  }
  if (const auto* n = o.if_contains("not"); n != nullptr && !n->is_null()) {
    node->not_schema = build(*n, child(path, "not"), depth + 1, standard, false);
  }
  const auto junctor = [&](std::string_view k, std::vector<std::unique_ptr<Node>>& into) {
    if (const json::array* list = schema_array(k)) {
      for (std::size_t i = 0; i < list->size(); ++i) {
        into.push_back(build((*list)[i], index(child(path, k), i), depth + 1, standard, false));
      }
    }
  };
  junctor("allOf", node->all_of);
  junctor("oneOf", node->one_of);
  junctor("anyOf", node->any_of);
  if (items != nullptr && !items->is_null()) {
    if (items->is_object()) {
      node->items = build(*items, child(path, "items"), depth + 1, standard, false);
    } else if (!items->is_array()) {
      undecodable(path, "items", *items, "a JSON schema object");
    }
  }

  if (preserve.has_value() && !*preserve) {
    spec(invalid_cause(child(path, "x-kubernetes-preserve-unknown-fields"), json::value(false),
                       "must be true or undefined"));
  }
  check_list_and_map_extensions(*node, o, path);
  return node;
}

void Compiler::check_list_and_map_extensions(const Node& node, const json::object& o,
                                             const std::string& path) {
  const std::string type_path = child(path, "type");
  // The type an extension needs: Required when absent, Invalid when another.
  const auto require_type = [&](std::string_view detail) {
    if (node.type.empty()) {
      spec(required_cause(type_path, detail));
    } else {
      spec(invalid_cause(type_path, json::value(node.type), detail));
    }
  };
  if (node.map_type && node.type != "object") {
    require_type("must be object if x-kubernetes-map-type is specified");
  }
  if (node.map_type && *node.map_type != "atomic" && *node.map_type != "granular") {
    spec(not_supported_cause(child(path, "x-kubernetes-map-type"), json::value(*node.map_type),
                             {"atomic", "granular"}));
  }
  const Node* items = node.items.get();
  if (node.list_type && node.type != "array") {
    require_type("must be array if x-kubernetes-list-type is specified");
  } else if (node.list_type == "set" && items != nullptr) {
    const std::string detail = "must be atomic as item of a list with x-kubernetes-list-type=set";
    if (items->type == "array" && items->list_type && *items->list_type != "atomic") {
      spec(invalid_cause(child(child(path, "items"), "x-kubernetes-list-type"),
                         json::value(*items->list_type), detail));
    } else if (items->type == "object" && items->map_type != "atomic") {
      const json::value shown = items->list_type ? json::value(*items->list_type) : json::value();
      spec(invalid_cause(child(child(path, "items"), "x-kubernetes-map-type"), shown, detail));
    }
  }
  if (node.list_type && *node.list_type != "atomic" && *node.list_type != "set" &&
      *node.list_type != "map") {
    spec(not_supported_cause(child(path, "x-kubernetes-list-type"), json::value(*node.list_type),
                             {"atomic", "set", "map"}));
  }
  if (!node.list_map_keys.empty()) {
    const std::string detail = "must be map if x-kubernetes-list-map-keys is non-empty";
    if (!node.list_type) {
      spec(required_cause(child(path, "x-kubernetes-list-type"), detail));
    } else if (*node.list_type != "map") {
      spec(invalid_cause(child(path, "x-kubernetes-list-type"), json::value(*node.list_type),
                         detail));
    }
  }
  if (node.list_type == "map") {
    const std::string keys_path = child(path, "x-kubernetes-list-map-keys");
    if (node.list_map_keys.empty()) {
      spec(required_cause(keys_path, "must not be empty if x-kubernetes-list-type is map"));
    }
    if (!o.contains("items") || o.at("items").is_null()) {
      spec(required_cause(child(path, "items"),
                          "must have a schema if x-kubernetes-list-type is map"));
    }
    if (items != nullptr && items->type != "object") {
      spec(invalid_cause(child(child(path, "items"), "type"), json::value(items->type),
                         "must be object if parent array's x-kubernetes-list-type is map"));
    }
    if (items != nullptr && items->type == "object") {
      std::set<std::string> seen;
      const json::value keys = string_array(node.list_map_keys);
      for (const auto& k : node.list_map_keys) {
        if (const Node* property = items->property(k)) {
          if (property->type == "array" || property->type == "object") {
            spec(invalid_cause(
                child(key(child(child(path, "items"), "properties"), k), "type"),
                json::value(items->type),
                "must be a scalar type if parent array's x-kubernetes-list-type is map"));
          }
        } else {
          spec(invalid_cause(keys_path, keys, "entries must all be names of item properties"));
        }
        if (!seen.insert(k).second) {
          spec(invalid_cause(keys_path, keys, "must not contain duplicate entries"));
        }
      }
    }
  }
  // validateMapListKeysMapSet.
  if (items != nullptr && (node.list_type == "set" || node.list_type == "map")) {
    if (items->nullable) {
      spec(forbidden_cause(child(child(path, "items"), "nullable"),
                           "cannot be nullable when x-kubernetes-list-type is " + *node.list_type));
    }
    if (node.list_type == "map") {
      for (const auto& k : node.list_map_keys) {
        const Node* property = items->property(k);
        if (property == nullptr) continue;
        const std::string property_path = key(child(child(path, "items"), "properties"), k);
        if (!contains(items->required, k) && property->default_value == nullptr) {
          spec(required_cause(child(property_path, "default"),
                              "this property is in x-kubernetes-list-map-keys, so it must have a "
                              "default or be a required property"));
        }
        if (property->nullable) {
          spec(forbidden_cause(child(property_path, "nullable"),
                               "this property is in x-kubernetes-list-map-keys, so it cannot be "
                               "nullable"));
        }
      }
    }
  }
}

bool is_only_type(const Node& n, std::string_view type) {
  return n.raw != nullptr && n.raw->is_object() && n.raw->get_object().size() == 1 &&
         n.type == type;
}

// The two IntOrString shapes the structural rules allow: anyOf [{type: integer}, {type: string}].
bool is_int_or_string_any_of(const Node& s) {
  return s.any_of.size() == 2 && is_only_type(*s.any_of[0], "integer") &&
         is_only_type(*s.any_of[1], "string");
}

// Whether the root's metadata schema says nothing beyond name and generateName.
bool metadata_is_name_only(const Node& metadata) {
  if (metadata.raw == nullptr || !metadata.raw->is_object()) return true;
  for (const auto& m : metadata.raw->get_object()) {
    const auto& k = m.key();
    const auto& v = m.value();
    if (k == "type" || k == "default" || v.is_null()) continue;
    if (k == "properties" && v.is_object()) {
      for (const auto& p : v.get_object()) {
        if (p.key() != "name" && p.key() != "generateName") return false;
      }
      continue;
    }
    if (v.is_bool() && !v.get_bool()) continue;
    if (v.is_string() && v.get_string().empty()) continue;
    if (v.is_array() && v.get_array().empty()) continue;
    return false;
  }
  return true;
}

void Compiler::structural_invariants(const Node& s, Level level, const std::string& path,
                                     std::vector<kube::StatusCause>& out) const {
  if (s.type == "array" && !s.items)
    out.push_back(required_cause(child(path, "items"), "must be specified"));
  if (s.items) structural_invariants(*s.items, Level::kItem, child(path, "items"), out);
  for (const auto& [name, property] : s.properties) {
    structural_invariants(*property, Level::kField, key(child(path, "properties"), name), out);
  }
  if (s.has_additional_properties) {
    if (level == Level::kRoot) {
      out.push_back(
          forbidden_cause(child(path, "additionalProperties"), "must not be used at the root"));
    }
    if (s.additional_properties) {
      structural_invariants(*s.additional_properties, Level::kField,
                            child(path, "additionalProperties"), out);
    }
  }
  if (s.int_or_string && s.preserve_unknown_fields) {
    out.push_back(invalid_cause(child(path, "x-kubernetes-preserve-unknown-fields"),
                                json::value(true),
                                "must be false if x-kubernetes-int-or-string is true"));
  }
  if (s.int_or_string && s.embedded_resource) {
    out.push_back(invalid_cause(child(path, "x-kubernetes-embedded-resource"), json::value(true),
                                "must be false if x-kubernetes-int-or-string is true"));
  }
  const bool skip_first = !s.all_of.empty() && is_int_or_string_any_of(*s.all_of[0]);
  value_validation(s, is_int_or_string_any_of(s), skip_first, level, path, out);

  const std::string type_path = child(path, "type");
  if (s.embedded_resource && s.type != "object") {
    const std::string detail = "must be object if x-kubernetes-embedded-resource is true";
    if (s.type.empty()) {
      out.push_back(required_cause(type_path, detail));
    } else {
      out.push_back(invalid_cause(type_path, json::value(s.type), detail));
    }
  } else if (s.type.empty() && !s.int_or_string && !s.preserve_unknown_fields) {
    switch (level) {
      case Level::kRoot:
        out.push_back(required_cause(type_path, "must not be empty at the root"));
        break;
      case Level::kItem:
        out.push_back(required_cause(type_path, "must not be empty for specified array items"));
        break;
      case Level::kField:
        out.push_back(required_cause(type_path, "must not be empty for specified object fields"));
        break;
    }
  }
  if (s.embedded_resource && s.has_additional_properties) {
    out.push_back(forbidden_cause(child(path, "additionalProperties"),
                                  "must not be used if x-kubernetes-embedded-resource is set"));
  }
  if (level == Level::kRoot && !s.type.empty() && s.type != "object") {
    out.push_back(invalid_cause(type_path, json::value(s.type), "must be object at the root"));
  }
  const std::string properties_path = child(path, "properties");
  if (level == Level::kRoot || s.embedded_resource) {
    for (const char* name : {"kind", "apiVersion"}) {
      if (const Node* p = s.property(name); p != nullptr && p->type != "string") {
        out.push_back(invalid_cause(child(key(properties_path, name), "type"), json::value(p->type),
                                    "must be string"));
      }
    }
    if (const Node* p = s.property("metadata"); p != nullptr && p->type != "object") {
      out.push_back(invalid_cause(child(key(properties_path, "metadata"), "type"),
                                  json::value(p->type), "must be object"));
    }
  }
  if (level == Level::kRoot) {
    if (const Node* metadata = s.property("metadata");
        metadata != nullptr && !metadata_is_name_only(*metadata)) {
      out.push_back(forbidden_cause(key(properties_path, "metadata"),
                                    "must not specify anything other than name and generateName, "
                                    "but metadata is implicitly specified"));
    }
  }
  if (s.embedded_resource && !s.preserve_unknown_fields && s.properties.empty()) {
    out.push_back(required_cause(properties_path,
                                 "must not be empty if x-kubernetes-embedded-resource is true "
                                 "without x-kubernetes-preserve-unknown-fields"));
  }
}

void Compiler::value_validation(const Node& v, bool skip_any_of, bool skip_first_all_of_any_of,
                                Level level, const std::string& path,
                                std::vector<kube::StatusCause>& out) const {
  if (!skip_any_of) {
    for (std::size_t i = 0; i < v.any_of.size(); ++i) {
      nested_value_validation(v.any_of[i].get(), false, false, level,
                              index(child(path, "anyOf"), i), out);
    }
  }
  for (std::size_t i = 0; i < v.all_of.size(); ++i) {
    nested_value_validation(v.all_of[i].get(), skip_first_all_of_any_of && i == 0, false, level,
                            index(child(path, "allOf"), i), out);
  }
  for (std::size_t i = 0; i < v.one_of.size(); ++i) {
    nested_value_validation(v.one_of[i].get(), false, false, level, index(child(path, "oneOf"), i),
                            out);
  }
  nested_value_validation(v.not_schema.get(), false, false, level, child(path, "not"), out);
  if (!v.pattern_error.empty()) {
    out.push_back(
        invalid_cause(child(path, "pattern"), json::value(v.pattern),
                      "must be a valid regular expression, but isn't: " + v.pattern_error));
  }
}

void Compiler::nested_value_validation(const Node* v, bool skip_any_of, bool skip_all_of_any_of,
                                       Level level, const std::string& path,
                                       std::vector<kube::StatusCause>& out) const {
  if (v == nullptr) return;
  value_validation(*v, skip_any_of, skip_all_of_any_of, level, path, out);
  nested_value_validation(v->items.get(), false, false, level, child(path, "items"), out);
  for (const auto& [name, property] : v->properties) {
    nested_value_validation(property.get(), false, false, Level::kField,
                            key(child(path, "properties"), name), out);
  }
  const auto forbid = [&](bool present, std::string_view keyword, std::string_view detail) {
    if (present) out.push_back(forbidden_cause(child(path, keyword), detail));
  };
  forbid(!v->type.empty(), "type", "must be empty to be structural");
  forbid(v->has_additional_properties, "additionalProperties",
         "must be undefined to be structural");
  forbid(v->default_value != nullptr, "default", "must be undefined to be structural");
  forbid(v->has_title, "title", "must be empty to be structural");
  forbid(v->has_description, "description", "must be empty to be structural");
  forbid(v->nullable, "nullable", "must be false to be structural");
  forbid(v->preserve_unknown_fields, "x-kubernetes-preserve-unknown-fields",
         "must be false to be structural");
  forbid(v->embedded_resource, "x-kubernetes-embedded-resource", "must be false to be structural");
  forbid(v->int_or_string, "x-kubernetes-int-or-string", "must be false to be structural");
  forbid(!v->list_map_keys.empty(), "x-kubernetes-list-map-keys", "must be empty to be structural");
  forbid(v->list_type.has_value(), "x-kubernetes-list-type", "must be undefined to be structural");
  if (v->property("metadata") != nullptr) {
    out.push_back(forbidden_cause(key(child(path, "properties"), "metadata"),
                                  "must not be specified in a nested context"));
  }
}

void Compiler::completeness(const Node& root, const std::string& path,
                            std::vector<kube::StatusCause>& out) const {
  value_validation_completeness(root, root, path, path, out);
}

void Compiler::value_validation_completeness(const Node& v, const Node& s,
                                             const std::string& s_path, const std::string& v_path,
                                             std::vector<kube::StatusCause>& out) const {
  nested_completeness(v.not_schema.get(), &s, s_path, child(v_path, "not"), out);
  for (std::size_t i = 0; i < v.all_of.size(); ++i) {
    nested_completeness(v.all_of[i].get(), &s, s_path, index(child(v_path, "allOf"), i), out);
  }
  for (std::size_t i = 0; i < v.any_of.size(); ++i) {
    nested_completeness(v.any_of[i].get(), &s, s_path, index(child(v_path, "anyOf"), i), out);
  }
  for (std::size_t i = 0; i < v.one_of.size(); ++i) {
    nested_completeness(v.one_of[i].get(), &s, s_path, index(child(v_path, "oneOf"), i), out);
  }
}

void Compiler::nested_completeness(const Node* v, const Node* s, const std::string& s_path,
                                   const std::string& v_path,
                                   std::vector<kube::StatusCause>& out) const {
  if (v == nullptr) return;
  if (s == nullptr) {
    out.push_back(required_cause(s_path, "because it is defined in " + v_path));
    return;
  }
  value_validation_completeness(*v, *s, s_path, v_path, out);
  nested_completeness(v->items.get(), s->items.get(), child(s_path, "items"),
                      child(v_path, "items"), out);
  for (const auto& [name, property] : v->properties) {
    const std::string s_property = key(child(s_path, "properties"), name);
    const std::string v_property = key(child(v_path, "properties"), name);
    if (const Node* structural = s->property(name)) {
      nested_completeness(property.get(), structural, s_property, v_property, out);
    } else {
      out.push_back(required_cause(s_property, "because it is defined in " + v_property));
    }
  }
}

void Compiler::validate_defaults(const Node& s, const std::string& path, bool inside_meta,
                                 bool is_root, std::vector<kube::StatusCause>& out) const {
  // Defaults inside ObjectMeta/TypeMeta are checked against ObjectMeta rules by the real server;
  // they are forbidden at the top level anyway and not checked here.
  if (s.default_value != nullptr && !inside_meta) {
    const std::string default_path = child(path, "default");
    json::value pruned = *s.default_value;
    UnknownFields ignored(nullptr);
    prune_node(pruned, &s, s.embedded_resource, ignored);
    if (!go_deep_equal(pruned, *s.default_value)) {
      out.push_back(invalid_cause(default_path, *s.default_value, "must not have unknown fields"));
    }
    Result result = validate_node(s, "", *s.default_value);
    for (const auto& f : result.errors) out.push_back(to_cause(f, default_path));
  }
  if (s.items) validate_defaults(*s.items, child(path, "items"), inside_meta, false, out);
  for (const auto& [name, property] : s.properties) {
    const bool meta = inside_meta || ((is_root || s.embedded_resource) && is_meta_field(name));
    validate_defaults(*property, key(child(path, "properties"), name), meta, false, out);
  }
}

// The schema node a path of property names leads to (see StructuralSchema::at).
const Node* node_at(const Node* n, const std::vector<std::string>& path) {
  for (const auto& name : path) {
    if (n == nullptr) return nullptr;
    while (n->type == "array" && n->items) n = n->items.get();
    if (const Node* property = n->property(name)) {
      n = property;
    } else if (n->additional_properties) {
      n = n->additional_properties.get();
    } else {
      return nullptr;
    }
  }
  return n;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// StructuralSchema.
// ---------------------------------------------------------------------------------------------

tl::expected<StructuralSchema, std::vector<kube::StatusCause>> StructuralSchema::compile(
    const json::value& open_api_v3_schema, std::string_view field_prefix) {
  auto impl = std::make_shared<Impl>();
  impl->schema = open_api_v3_schema;
  Compiler compiler{std::string(field_prefix)};
  auto errors = compiler.run(impl->schema, impl->root);
  if (!errors.empty()) return tl::unexpected(std::move(errors));
  return StructuralSchema(std::move(impl));
}

std::vector<std::string> StructuralSchema::prune(json::value& object) const {
  std::vector<std::string> removed;
  UnknownFields unknown(&removed);
  prune_node(object, impl_->root.get(), true, unknown);
  drop_non_nullable_nulls(object, impl_->root.get());
  std::sort(removed.begin(), removed.end());
  return removed;
}

void StructuralSchema::apply_defaults(json::value& object) const {
  default_node(object, impl_->root.get());
}

std::vector<kube::StatusCause> StructuralSchema::validate(const json::value& object) const {
  std::vector<kube::StatusCause> causes;
  Result result = validate_node(*impl_->root, "", object);
  causes.reserve(result.errors.size());
  for (const auto& f : result.errors) causes.push_back(to_cause(f, ""));
  if (object.is_object()) list_object("", impl_->root.get(), object.get_object(), causes);
  return causes;
}

const json::value* StructuralSchema::at(const std::vector<std::string>& path) const {
  const Node* n = node_at(impl_->root.get(), path);
  return n == nullptr ? nullptr : n->raw;
}

ListType StructuralSchema::list_type(const std::vector<std::string>& path) const {
  const Node* n = node_at(impl_->root.get(), path);
  if (n == nullptr || n->type != "array" || !n->list_type) return {"atomic", {}};
  if (*n->list_type == "map") return {"map", n->list_map_keys};
  return {*n->list_type, {}};
}

bool StructuralSchema::map_is_atomic(const std::vector<std::string>& path) const {
  const Node* n = node_at(impl_->root.get(), path);
  return n != nullptr && n->map_type == "atomic";
}

const json::value& StructuralSchema::json() const { return impl_->schema; }

}  // namespace lambda::apiserver
