// Decoder and Encoder over the field declarations (internal to the api layer): codec.cc uses
// them for whole agents, defaults.cc to turn a declared default into a field value.
#pragma once

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>

#include "api/field_error.h"
#include "api/reflect.h"
#include "common/json_yaml.h"

namespace lambda::api::internal {

namespace json = boost::json;

inline std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      char ca = static_cast<char>(std::tolower(static_cast<unsigned char>(a[i - 1])));
      char cb = static_cast<char>(std::tolower(static_cast<unsigned char>(b[j - 1])));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (ca == cb ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

inline std::string unknown_field_detail(std::string_view key,
                                        const std::vector<std::string_view>& known) {
  std::string_view best;
  std::size_t best_distance = std::numeric_limits<std::size_t>::max();
  for (auto name : known) {
    std::size_t d = edit_distance(key, name);
    if (d < best_distance) {
      best_distance = d;
      best = name;
    }
  }
  // A third of the name may differ: "fallbackModle" -> "fallbackModel", not "model" -> "mode".
  if (!best.empty() && best_distance <= std::max<std::size_t>(1, key.size() / 3))
    return "field not declared in schema; did you mean \"" + std::string(best) + "\"?";
  return "field not declared in schema";
}

class Decoder {
 public:
  explicit Decoder(ErrorList& errors) : errors_(errors) {}

  bool decode(const json::value& in, std::string& out, const FieldPath& path) {
    if (in.is_bool())
      return wrong_type(in, path,
                        "a string (YAML reads unquoted true/false, yes/no, on/off and y/n as "
                        "booleans: quote the value)");
    if (!in.is_string()) return wrong_type(in, path, "a string");
    out = in.get_string();
    return true;
  }

  bool decode(const json::value& in, bool& out, const FieldPath& path) {
    if (!in.is_bool()) return wrong_type(in, path, "a boolean (true or false)");
    out = in.get_bool();
    return true;
  }

  bool decode(const json::value& in, std::int64_t& out, const FieldPath& path) {
    return decode_integer(in, out, path);
  }
  bool decode(const json::value& in, std::int32_t& out, const FieldPath& path) {
    return decode_integer(in, out, path);
  }

  bool decode(const json::value& in, double& out, const FieldPath& path) {
    if (in.is_int64()) {
      out = static_cast<double>(in.get_int64());
    } else if (in.is_uint64()) {
      out = static_cast<double>(in.get_uint64());
    } else if (in.is_double()) {
      out = in.get_double();
    } else {
      return wrong_type(in, path, "a number");
    }
    return true;
  }

  bool decode(const json::value& in, Quantity& out, const FieldPath& path) {
    if (in.is_int64() || in.is_uint64() || in.is_double()) {
      auto parsed = Quantity::parse_number(common::format_number(in));
      if (!parsed) return invalid(in, path, parsed.error());
      out = *parsed;
      return true;
    }
    if (!in.is_string())
      return wrong_type(in, path, "a quantity (a string like 256Mi or 500m, or a number)");
    auto parsed = Quantity::parse(in.get_string());
    if (!parsed) return invalid(in, path, parsed.error());
    out = *parsed;
    return true;
  }

  bool decode(const json::value& in, GoDuration& out, const FieldPath& path) {
    if (!in.is_string()) return wrong_type(in, path, "a duration string like 10s, 5m or 1h");
    auto parsed = GoDuration::parse(in.get_string());
    if (!parsed) return invalid(in, path, parsed.error());
    out = *parsed;
    return true;
  }

  bool decode(const json::value& in, IsoDuration& out, const FieldPath& path) {
    if (!in.is_string()) return wrong_type(in, path, "an ISO-8601 duration string like PT1S");
    auto parsed = IsoDuration::parse(in.get_string());
    if (!parsed) return invalid(in, path, parsed.error());
    out = *parsed;
    return true;
  }

  bool decode(const json::value& in, json::value& out, const FieldPath&) {
    out = in;
    return true;
  }

  template <class T>
  bool decode(const json::value& in, std::vector<T>& out, const FieldPath& path) {
    if (!in.is_array()) return wrong_type(in, path, "a list");
    const auto& array = in.get_array();
    out.clear();
    out.reserve(array.size());
    bool all_ok = true;
    for (std::size_t i = 0; i < array.size(); ++i) {
      // A bad item is kept (partly decoded, or empty) so that the items after it keep their
      // index and validation names them at the path the user wrote.
      T element{};
      if (array[i].is_null()) {
        errors_.invalid(path.index(i), nullptr, "list items may not be null");
        all_ok = false;
      } else if (!decode(array[i], element, path.index(i))) {
        all_ok = false;
      }
      out.push_back(std::move(element));
    }
    return all_ok;
  }

  template <class T>
  bool decode(const json::value& in, std::map<std::string, T>& out, const FieldPath& path) {
    if (!in.is_object()) return wrong_type(in, path, "a map");
    out.clear();
    bool all_ok = true;
    for (const auto& member : in.get_object()) {
      T element{};
      if (decode(member.value(), element, path.key(member.key()))) {
        out.emplace(member.key(), std::move(element));
      } else {
        all_ok = false;
      }
    }
    return all_ok;
  }

  template <reflect::ApiObject T>
  bool decode(const json::value& in, T& out, const FieldPath& path) {
    if (!in.is_object()) return wrong_type(in, path, "an object");
    const auto& object = in.get_object();
    std::size_t errors_before = errors_.size();
    MemberVisitor visitor{*this, object, path, {}};
    describe(visitor, out);
    for (const auto& member : object) {
      if (std::find(visitor.known.begin(), visitor.known.end(), member.key()) ==
          visitor.known.end())
        errors_.unknown_field(path.child(member.key()),
                              unknown_field_detail(member.key(), visitor.known));
    }
    return errors_.size() == errors_before;
  }

 private:
  struct MemberVisitor {
    Decoder& decoder;
    const json::object& object;
    FieldPath path;
    std::vector<std::string_view> known;

    template <class T>
    void operator()(std::optional<T>& member, std::string_view name, const FieldDoc&) {
      known.push_back(name);
      auto it = object.find(name);
      // Kubernetes treats an explicit null like an absent optional field.
      if (it == object.end() || it->value().is_null()) return;
      T value{};
      bool ok = decoder.decode(it->value(), value, path.child(name));
      // A partly decoded object or list is kept, so that validation can still check its good
      // parts instead of calling the whole of it missing.
      constexpr bool kContainer =
          reflect::ApiObject<T> || reflect::IsVector<T>::value || reflect::IsStringMap<T>::value;
      if (ok || (kContainer && it->value().is_structured())) member = std::move(value);
    }
  };

  template <class Int>
  bool decode_integer(const json::value& in, Int& out, const FieldPath& path) {
    std::int64_t value = 0;
    if (in.is_int64()) {
      value = in.get_int64();
    } else if (in.is_uint64()) {
      return invalid(in, path, "out of range");
    } else if (in.is_double()) {
      // sigs.k8s.io/yaml turns an integral YAML float (3.0) into a JSON integer; so do we. An
      // integer literal too large for 64 bits arrives here as a double too.
      double d = in.get_double();
      if (std::trunc(d) != d) return wrong_type(in, path, "an integer");
      if (std::abs(d) > 9.0e15) return invalid(in, path, "out of range");
      value = static_cast<std::int64_t>(d);
    } else {
      return wrong_type(in, path, "an integer");
    }
    if (value < std::numeric_limits<Int>::min() || value > std::numeric_limits<Int>::max())
      return invalid(in, path, "out of range");
    out = static_cast<Int>(value);
    return true;
  }

  bool wrong_type(const json::value& in, const FieldPath& path, std::string_view expected) {
    errors_.type_invalid(path, in, expected);
    return false;
  }
  bool invalid(const json::value& in, const FieldPath& path, std::string detail) {
    errors_.invalid(path, in, std::move(detail));
    return false;
  }

  ErrorList& errors_;
};

class Encoder {
 public:
  json::value encode(const std::string& v) { return json::string(v); }
  json::value encode(bool v) { return v; }
  json::value encode(std::int64_t v) { return v; }
  json::value encode(std::int32_t v) { return static_cast<std::int64_t>(v); }
  json::value encode(double v) { return v; }
  json::value encode(const Quantity& v) {
    if (v.written_as_number()) {
      auto number = common::parse_json(v.text());
      if (number) return *number;
    }
    return json::string(v.text());
  }
  json::value encode(const GoDuration& v) { return json::string(v.text()); }
  json::value encode(const IsoDuration& v) { return json::string(v.text()); }
  json::value encode(const json::value& v) { return v; }

  template <class T>
  json::value encode(const std::vector<T>& v) {
    json::array out;
    out.reserve(v.size());
    for (const auto& element : v) out.push_back(encode(element));
    return out;
  }

  template <class T>
  json::value encode(const std::map<std::string, T>& v) {
    json::object out;
    for (const auto& [key, element] : v) out[key] = encode(element);
    return out;
  }

  template <reflect::ApiObject T>
  json::value encode(const T& v) {
    json::object out;
    MemberVisitor visitor{*this, out};
    reflect::describe_const(visitor, v);
    return out;
  }

 private:
  struct MemberVisitor {
    Encoder& encoder;
    json::object& out;
    template <class T>
    void operator()(const std::optional<T>& member, std::string_view name, const FieldDoc&) {
      if (member) out[name] = encoder.encode(*member);
    }
  };
};

}  // namespace lambda::api::internal
