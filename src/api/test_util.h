// Helpers for the api layer's tests: read the project's files and parse YAML inline.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "common/json_yaml.h"

namespace lambda::testing {

// A path object rather than string concatenation: g++ 12 at -O2 reports a false -Warray-bounds on
// `std::string(LITERAL) + ...` for some literal lengths, so the build would depend on where the
// checkout lives.
inline std::filesystem::path project_path(std::string_view relative) {
  return std::filesystem::path(LAMBDA_SOURCE_DIR) / relative;
}

inline std::string read_project_file(std::string_view relative) {
  std::ifstream file(project_path(relative), std::ios::binary);
  std::ostringstream buffer;
  buffer << file.rdbuf();
  return buffer.str();
}

inline boost::json::value yaml(std::string_view text) {
  auto parsed = common::parse_yaml(text);
  if (!parsed) ADD_FAILURE() << "test YAML does not parse: " << parsed.error().to_string();
  return parsed ? *parsed : boost::json::value();
}

// JSON text with object members sorted by key: two values with the same canonical text are the
// same document to Kubernetes (map order carries no meaning, and 10 and 10.0 print alike).
inline boost::json::value sorted(const boost::json::value& v) {
  if (v.is_object()) {
    std::vector<std::pair<std::string, boost::json::value>> members;
    for (const auto& m : v.get_object())
      members.emplace_back(std::string(m.key()), sorted(m.value()));
    std::sort(members.begin(), members.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    boost::json::object out;
    for (auto& [k, value] : members) out[k] = std::move(value);
    return out;
  }
  if (v.is_array()) {
    boost::json::array out;
    for (const auto& e : v.get_array()) out.push_back(sorted(e));
    return out;
  }
  return v;
}

inline std::string canonical_text(const boost::json::value& v) {
  return common::to_json(sorted(v), false);
}

}  // namespace lambda::testing
