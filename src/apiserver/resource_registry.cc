#include "apiserver/resource_registry.h"

#include <algorithm>
#include <charconv>

namespace lambda::apiserver {
namespace {
struct ParsedVersion {
  bool kube_like = false;
  int major = 0;
  int stage = 0;  // 2 GA, 1 beta, 0 alpha
  int minor = 0;
};

ParsedVersion parse_version(std::string_view v) {
  ParsedVersion p;
  if (v.size() < 2 || v[0] != 'v') return p;
  const char* begin = v.data() + 1;
  const char* end = v.data() + v.size();
  auto [next, ec] = std::from_chars(begin, end, p.major);
  if (ec != std::errc() || next == begin || p.major <= 0) return p;
  std::string_view rest(next, static_cast<std::size_t>(end - next));
  if (rest.empty()) {
    p.kube_like = true;
    p.stage = 2;
    return p;
  }
  int stage = -1;
  if (rest.starts_with("beta")) {
    stage = 1;
    rest.remove_prefix(4);
  } else if (rest.starts_with("alpha")) {
    stage = 0;
    rest.remove_prefix(5);
  }
  if (stage < 0 || rest.empty()) return p;
  auto [n2, ec2] = std::from_chars(rest.data(), rest.data() + rest.size(), p.minor);
  if (ec2 != std::errc() || n2 != rest.data() + rest.size() || p.minor <= 0) return p;
  p.kube_like = true;
  p.stage = stage;
  return p;
}
}  // namespace

bool version_before(std::string_view a, std::string_view b) {
  auto pa = parse_version(a), pb = parse_version(b);
  if (pa.kube_like != pb.kube_like) return pa.kube_like;
  if (!pa.kube_like) return a < b;
  if (pa.stage != pb.stage) return pa.stage > pb.stage;
  if (pa.major != pb.major) return pa.major > pb.major;
  return pa.minor > pb.minor;
}

void ResourceRegistry::add(ResourceType type) {
  std::lock_guard lock(mutex_);
  if (!type.group.empty() && std::find(builtin_groups_.begin(), builtin_groups_.end(),
                                       type.group) == builtin_groups_.end())
    builtin_groups_.push_back(type.group);
  types_.push_back(std::make_shared<const ResourceType>(std::move(type)));
  ++generation_;
}

void ResourceRegistry::set_custom(const std::string& crd_name, std::vector<ResourceType> versions) {
  std::lock_guard lock(mutex_);
  std::erase_if(types_,
                [&](const ResourceTypePtr& t) { return t->custom && t->crd_name == crd_name; });
  for (auto& v : versions) {
    v.custom = true;
    v.crd_name = crd_name;
    types_.push_back(std::make_shared<const ResourceType>(std::move(v)));
  }
  ++generation_;
}

ResourceTypePtr ResourceRegistry::find(std::string_view group, std::string_view version,
                                       std::string_view resource) const {
  std::lock_guard lock(mutex_);
  for (const auto& t : types_)
    if (t->group == group && t->version == version && t->resource == resource) return t;
  return nullptr;
}

ResourceTypePtr ResourceRegistry::find_kind(std::string_view group, std::string_view version,
                                            std::string_view kind) const {
  std::lock_guard lock(mutex_);
  for (const auto& t : types_)
    if (t->group == group && t->version == version && t->kind == kind) return t;
  return nullptr;
}

std::vector<GroupVersions> ResourceRegistry::groups() const {
  std::lock_guard lock(mutex_);
  std::map<std::string, std::vector<std::string>> versions;
  for (const auto& t : types_) {
    if (t->group.empty()) continue;
    auto& list = versions[t->group];
    if (std::find(list.begin(), list.end(), t->version) == list.end()) list.push_back(t->version);
  }
  std::vector<GroupVersions> out;
  auto emit = [&](const std::string& group) {
    auto it = versions.find(group);
    if (it == versions.end()) return;
    std::sort(it->second.begin(), it->second.end(),
              [](const std::string& a, const std::string& b) { return version_before(a, b); });
    out.push_back({group, std::move(it->second)});
    versions.erase(it);
  };
  for (const auto& g : builtin_groups_) emit(g);
  while (!versions.empty()) emit(versions.begin()->first);
  return out;
}

std::vector<ResourceTypePtr> ResourceRegistry::resources(std::string_view group,
                                                         std::string_view version) const {
  std::lock_guard lock(mutex_);
  std::vector<ResourceTypePtr> out;
  for (const auto& t : types_)
    if (t->group == group && t->version == version) out.push_back(t);
  return out;
}

std::vector<ResourceTypePtr> ResourceRegistry::all() const {
  std::lock_guard lock(mutex_);
  return types_;
}

std::uint64_t ResourceRegistry::generation() const {
  std::lock_guard lock(mutex_);
  return generation_;
}

}  // namespace lambda::apiserver
