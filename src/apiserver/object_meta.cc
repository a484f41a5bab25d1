#include "apiserver/object_meta.h"

#include <boost/json.hpp>
#include <ctime>
#include <mutex>
#include <random>

namespace lambda::apiserver {
namespace json = boost::json;

namespace {
std::mt19937_64& generator() {
  static std::mt19937_64 engine{std::random_device{}()};
  return engine;
}
std::mutex& generator_mutex() {
  static std::mutex m;
  return m;
}

bool is_alnum_lower(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool is_dns1123_label(std::string_view v) {
  if (v.empty() || v.size() > 63) return false;
  if (!is_alnum_lower(v.front()) || !is_alnum_lower(v.back())) return false;
  for (char c : v)
    if (!is_alnum_lower(c) && c != '-') return false;
  return true;
}
}  // namespace

std::string new_uid() {
  std::uint64_t hi, lo;
  {
    std::lock_guard lock(generator_mutex());
    hi = generator()();
    lo = generator()();
  }
  hi = (hi & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // variant 10
  char buf[37];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xFFFF), static_cast<unsigned>(hi & 0xFFFF),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFULL));
  return buf;
}

std::string random_name_suffix() {
  static constexpr std::string_view kAlphabet = "bcdfghjklmnpqrstvwxz2456789";
  std::string out;
  std::lock_guard lock(generator_mutex());
  for (int i = 0; i < 5; ++i) out.push_back(kAlphabet[generator()() % kAlphabet.size()]);
  return out;
}

std::string rfc3339(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text) {
  std::tm tm{};
  std::string s(text);
  const char* end = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!end) return std::nullopt;
  // Fractions of a second and a "Z" suffix; other offsets are not written by this server.
  if (*end == '.')
    while (*++end >= '0' && *end <= '9') {
    }
  if (*end != 'Z' || end[1] != '\0') return std::nullopt;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

std::vector<std::string> dns1123_subdomain_errors(std::string_view value) {
  std::vector<std::string> errors;
  if (value.size() > 253) errors.push_back("must be no more than 253 characters");
  bool ok = !value.empty();
  std::size_t start = 0;
  while (ok && start <= value.size()) {
    auto dot = value.find('.', start);
    auto part = value.substr(start, dot == std::string_view::npos ? value.npos : dot - start);
    if (part.empty()) {
      ok = false;
      break;
    }
    if (!is_alnum_lower(part.front()) || !is_alnum_lower(part.back())) ok = false;
    for (char c : part)
      if (!is_alnum_lower(c) && c != '-') ok = false;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (!ok)
    errors.push_back(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
        "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
        "regex used for validation is "
        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
  return errors;
}

std::vector<std::string> dns1123_label_errors(std::string_view value) {
  std::vector<std::string> errors;
  if (value.size() > 63) errors.push_back("must be no more than 63 characters");
  if (!is_dns1123_label(value.substr(0, 63)) || value.empty())
    errors.push_back(
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
        "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
        "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')");
  return errors;
}

const json::object* object_at(const json::value& v, std::string_view key) {
  if (!v.is_object()) return nullptr;
  auto* p = v.get_object().if_contains(key);
  return p && p->is_object() ? &p->get_object() : nullptr;
}

const json::array* array_at(const json::value& v, std::string_view key) {
  if (!v.is_object()) return nullptr;
  auto* p = v.get_object().if_contains(key);
  return p && p->is_array() ? &p->get_array() : nullptr;
}

std::string string_at(const json::value& v, std::string_view key) {
  if (!v.is_object()) return {};
  auto* p = v.get_object().if_contains(key);
  return p && p->is_string() ? std::string(p->get_string()) : std::string();
}

json::object& metadata_of(json::value& object) {
  auto& meta = object.as_object()["metadata"];
  if (!meta.is_object()) meta = json::object();
  return meta.as_object();
}

const json::object* metadata_of(const json::value& object) { return object_at(object, "metadata"); }

std::string meta_string(const json::value& object, std::string_view key) {
  auto* meta = metadata_of(object);
  if (!meta) return {};
  auto* p = meta->if_contains(key);
  return p && p->is_string() ? std::string(p->get_string()) : std::string();
}

std::vector<std::string> finalizers_of(const json::value& object) {
  std::vector<std::string> out;
  auto* meta = metadata_of(object);
  if (!meta) return out;
  auto* f = meta->if_contains("finalizers");
  if (!f || !f->is_array()) return out;
  for (const auto& v : f->get_array())
    if (v.is_string()) out.emplace_back(v.get_string());
  return out;
}

}  // namespace lambda::apiserver
