// ObjectMeta the way kube-apiserver fills and checks it: uids, timestamps, name syntax.
//
// Thread-safety: free functions; new_uid() may be called from any thread.
#pragma once

#include <boost/json/value.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lambda::apiserver {

std::string new_uid();  // a random RFC 4122 version 4 UUID
// Five characters of [bcdfghjklmnpqrstvwxz2456789], as the generateName suffix.
std::string random_name_suffix();
std::string rfc3339(std::chrono::system_clock::time_point t);  // "2026-11-25T15:04:05Z"
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text);

// The validation messages of k8s.io/apimachinery/pkg/util/validation; empty when valid.
std::vector<std::string> dns1123_subdomain_errors(std::string_view value);
std::vector<std::string> dns1123_label_errors(std::string_view value);

// Small accessors for untyped objects; null when absent or of another type.
const boost::json::object* object_at(const boost::json::value& v, std::string_view key);
const boost::json::array* array_at(const boost::json::value& v, std::string_view key);
std::string string_at(const boost::json::value& v, std::string_view key);
boost::json::object& metadata_of(boost::json::value& object);
const boost::json::object* metadata_of(const boost::json::value& object);
std::string meta_string(const boost::json::value& object, std::string_view key);
std::vector<std::string> finalizers_of(const boost::json::value& object);

}  // namespace lambda::apiserver
