#include <fmt/format.h>

#include <cstdint>

#include "render/render_internal.h"

namespace lambda::render {
namespace internal {

std::string stable_hash(std::string_view text) {
  std::uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return fmt::format("{:016x}", hash);
}

std::string bounded_name(std::string_view base, std::string_view suffix) {
  constexpr std::size_t kMax = 63;
  std::string full = suffix.empty() ? std::string(base) : fmt::format("{}-{}", base, suffix);
  if (full.size() <= kMax) return full;
  std::string hash = stable_hash(full).substr(0, 8);
  std::string cut = full.substr(0, kMax - hash.size() - 1);
  while (!cut.empty() && cut.back() == '-') cut.pop_back();
  return fmt::format("{}-{}", cut, hash);
}

}  // namespace internal

std::string config_map_name(std::string_view agent_name) {
  return internal::bounded_name(agent_name, "lambda-agent");
}
std::string metrics_service_name(std::string_view agent_name) {
  return internal::bounded_name(agent_name, "metrics");
}
std::string dead_letter_sink_name(std::string_view broker_name) {
  return internal::bounded_name(broker_name, "dlq");
}
std::string broker_config_name(std::string_view broker_name) {
  return internal::bounded_name(broker_name, "config");
}

std::string broker_ingress_url(std::string_view broker, std::string_view ns,
                               std::string_view cluster_domain) {
  return fmt::format("http://{}-broker-ingress.{}.svc.{}", broker, ns, cluster_domain);
}

std::string image_reference(const api::ImageSpec& image) {
  std::string ref = image.repository.value_or("");
  if (image.tag) ref += ":" + *image.tag;
  if (image.digest) ref += "@" + *image.digest;
  return ref;
}

}  // namespace lambda::render
