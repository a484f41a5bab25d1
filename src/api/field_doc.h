// FieldDoc: what the API says about one field, declared once beside the field's JSON name in
// lambda_agent_fields.h, and read by every consumer: decoding (names), defaulting (static
// defaults), generic validation (enums, ranges, formats, lengths, required), the CRD's OpenAPI v3
// schema (the same constraints, so the API server enforces them without our webhook) and the
// reference docs.
//
// Built with chained setters on a temporary:
//   doc("Sampling temperature.").range(0, 2)
//   doc("LLM provider.").one_of({"ollama", "openai"}).default_to("ollama")
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string_view>
#include <type_traits>
#include <vector>

#include "api/formats.h"

namespace lambda::api {

struct FieldDoc {
  std::string_view description;
  std::vector<std::string_view> enum_values;
  std::optional<double> minimum, maximum;
  std::optional<std::int64_t> min_duration_ns, max_duration_ns;
  std::optional<std::size_t> min_length, max_length, max_items;
  Format format = Format::kNone;
  std::optional<boost::json::value> default_value;
  // For docs only: how the default is computed when it depends on other fields.
  std::string_view computed_default;
  bool required = false;
  // x-kubernetes-list-type: map, keyed by this field (e.g. env by "name").
  std::string_view list_map_key;

  FieldDoc& one_of(std::initializer_list<std::string_view> values) {
    enum_values.assign(values.begin(), values.end());
    return *this;
  }
  FieldDoc& range(double min, double max) {
    minimum = min;
    maximum = max;
    return *this;
  }
  FieldDoc& at_least(double min) {
    minimum = min;
    return *this;
  }
  FieldDoc& duration_range(std::int64_t min_ns, std::int64_t max_ns) {
    min_duration_ns = min_ns;
    max_duration_ns = max_ns;
    return *this;
  }
  FieldDoc& length(std::size_t min, std::size_t max) {
    min_length = min;
    max_length = max;
    return *this;
  }
  FieldDoc& at_most_items(std::size_t n) {
    max_items = n;
    return *this;
  }
  FieldDoc& formatted(Format f) {
    format = f;
    return *this;
  }
  // A literal 0 must become the number 0, not a null const char*: dispatch on the exact type.
  template <class T>
  FieldDoc& default_to(T v) {
    if constexpr (std::is_same_v<T, bool>) {
      default_value = boost::json::value(v);
    } else if constexpr (std::is_integral_v<T>) {
      default_value = boost::json::value(static_cast<std::int64_t>(v));
    } else if constexpr (std::is_floating_point_v<T>) {
      default_value = boost::json::value(static_cast<double>(v));
    } else if constexpr (std::is_convertible_v<T, std::string_view>) {
      default_value = boost::json::value(boost::json::string(std::string_view(v)));
    } else {
      default_value = boost::json::value(std::move(v));
    }
    return *this;
  }
  FieldDoc& computed(std::string_view how) {
    computed_default = how;
    return *this;
  }
  FieldDoc& mandatory() {
    required = true;
    return *this;
  }
  FieldDoc& keyed_by(std::string_view key) {
    list_map_key = key;
    return *this;
  }
};

inline FieldDoc doc(std::string_view description) {
  FieldDoc d;
  d.description = description;
  return d;
}

}  // namespace lambda::api
