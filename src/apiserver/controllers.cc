// The controllers kube-controller-manager and apiextensions-apiserver would run next to the API
// server, reduced to what object semantics need: owner-reference garbage collection (background,
// foreground, orphan), namespace deletion, and serving the kinds of CustomResourceDefinitions.
#include <boost/json.hpp>
#include <set>
#include <unordered_map>

#include "apiserver/api_server_internal.h"
#include "apiserver/builtin_resources.h"
#include "apiserver/object_meta.h"

namespace lambda::apiserver {
namespace json = boost::json;

namespace {
constexpr int kMaxRoundsPerWake = 100;

ResourceTypePtr type_for_collection(const ResourceRegistry& registry,
                                    const std::string& collection) {
  for (const auto& t : registry.all())
    if (t->storage && t->collection() == collection) return t;
  return nullptr;
}

struct OwnerRef {
  std::string uid;
};

std::vector<OwnerRef> owner_refs(const json::value& object) {
  std::vector<OwnerRef> out;
  auto* meta = metadata_of(object);
  if (!meta) return out;
  auto* refs = meta->if_contains("ownerReferences");
  if (!refs || !refs->is_array()) return out;
  for (const auto& r : refs->get_array()) out.push_back({string_at(r, "uid")});
  return out;
}

bool has_finalizer(const json::value& object, std::string_view f) {
  for (const auto& x : finalizers_of(object))
    if (x == f) return true;
  return false;
}
}  // namespace

void ApiServer::Impl::start_controllers() {
  controller_thread = std::thread([this] { controller_loop(); });
}

void ApiServer::Impl::wake_controllers() {
  {
    std::lock_guard lock(controller_mutex);
    controller_pending = true;
  }
  controller_wake.notify_all();
}

void ApiServer::Impl::controller_loop() {
  std::unique_lock lock(controller_mutex);
  while (!controller_stop) {
    // A periodic pass as well, as the real controllers resync: nothing depends on every wake.
    controller_wake.wait_for(lock, std::chrono::seconds(1),
                             [&] { return controller_pending || controller_stop; });
    if (controller_stop) break;
    controller_pending = false;
    lock.unlock();
    for (int round = 0; round < kMaxRoundsPerWake && !stopping; ++round) {
      bool changed = collect_garbage_once();
      changed = finalize_namespaces_once() || changed;
      if (!changed) break;
    }
    lock.lock();
  }
}

// Removes one finalizer, deleting the object when it was the last one and deletion is pending.
static bool remove_finalizer(ObjectStore& store, const ObjectKey& key, std::string_view finalizer) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto current = store.get(key);
    if (!current || !has_finalizer(current->object, finalizer)) return false;
    json::value next = current->object;
    auto& meta = metadata_of(next);
    json::array kept;
    for (const auto& f : finalizers_of(next))
      if (f != finalizer) kept.push_back(json::value(f));
    bool now_empty = kept.empty();
    if (now_empty)
      meta.erase("finalizers");
    else
      meta["finalizers"] = std::move(kept);
    auto updated = store.update(key, current->resource_version, std::move(next));
    if (!updated) continue;
    if (now_empty && meta_string((*updated)->object, "deletionTimestamp").size() &&
        !(key.collection == "/namespaces"))
      store.remove(key, (*updated)->resource_version);
    return true;
  }
  return false;
}

bool ApiServer::Impl::collect_garbage_once() {
  auto everything = store->all();
  std::unordered_map<std::string, std::pair<ObjectKey, ObjectPtr>> by_uid;
  for (const auto& [key, obj] : everything)
    by_uid.emplace(meta_string(obj->object, "uid"), std::make_pair(key, obj));
  bool changed = false;

  std::unordered_map<std::string, int> live_dependents;  // owner uid -> dependents not yet gone
  for (const auto& [key, obj] : everything) {
    auto refs = owner_refs(obj->object);
    if (refs.empty()) continue;
    bool any_owner = false;
    bool owner_deleting_foreground = false;
    std::vector<std::string> orphaning;
    for (const auto& r : refs) {
      auto it = by_uid.find(r.uid);
      if (it == by_uid.end()) continue;
      any_owner = true;
      const auto& owner = it->second.second->object;
      if (!meta_string(owner, "deletionTimestamp").empty()) {
        if (has_finalizer(owner, "foregroundDeletion")) owner_deleting_foreground = true;
        if (has_finalizer(owner, "orphan")) orphaning.push_back(r.uid);
      }
      ++live_dependents[r.uid];
    }
    auto type = type_for_collection(registry, key.collection);
    if (!type) continue;
    if (!orphaning.empty()) {
      // Orphan: the dependents lose their reference to the owner being deleted.
      json::value next = obj->object;
      auto& meta = metadata_of(next);
      json::array kept;
      for (const auto& r : meta["ownerReferences"].as_array())
        if (std::find(orphaning.begin(), orphaning.end(), string_at(r, "uid")) == orphaning.end())
          kept.push_back(r);
      if (kept.empty())
        meta.erase("ownerReferences");
      else
        meta["ownerReferences"] = std::move(kept);
      if (store->update(key, obj->resource_version, std::move(next))) changed = true;
      for (const auto& uid : orphaning) --live_dependents[uid];
      continue;
    }
    if (!meta_string(obj->object, "deletionTimestamp").empty()) continue;  // already going
    if (!any_owner || owner_deleting_foreground) {
      auto r = delete_object(*type, key, owner_deleting_foreground ? "Foreground" : "Background",
                             std::nullopt, std::nullopt, false);
      if (r) changed = true;
    }
  }

  // Owners waiting for their dependents (foreground) or for orphaning to finish.
  for (const auto& [key, obj] : everything) {
    if (meta_string(obj->object, "deletionTimestamp").empty()) continue;
    std::string uid = meta_string(obj->object, "uid");
    if (live_dependents[uid] > 0) continue;
    if (has_finalizer(obj->object, "foregroundDeletion"))
      changed = remove_finalizer(*store, key, "foregroundDeletion") || changed;
    if (has_finalizer(obj->object, "orphan"))
      changed = remove_finalizer(*store, key, "orphan") || changed;
  }
  return changed;
}

bool ApiServer::Impl::finalize_namespaces_once() {
  bool changed = false;
  auto namespaces = store->list("/namespaces", std::nullopt);
  for (const auto& [ns_key, ns] : namespaces.items) {
    if (meta_string(ns->object, "deletionTimestamp").empty()) continue;
    const std::string& name = ns_key.name;
    auto keys = store->keys_in_namespace(name);
    if (!keys.empty()) {
      for (const auto& key : keys) {
        auto obj = store->get(key);
        if (!obj || !meta_string(obj->object, "deletionTimestamp").empty()) continue;
        auto type = type_for_collection(registry, key.collection);
        if (!type) {
          store->remove(key, 0);  // its kind is gone (CRD deleted): nothing can finalize it
          changed = true;
          continue;
        }
        if (delete_object(*type, key, "Background", std::nullopt, std::nullopt, false))
          changed = true;
      }
      continue;
    }
    // Empty: the namespace's own finalizer goes, then the namespace.
    json::value next = ns->object;
    next.as_object()["spec"] = json::object{{"finalizers", json::array()}};
    if (!finalizers_of(next).empty()) {
      store->update(ns_key, ns->resource_version, std::move(next));
      changed = true;
      continue;
    }
    if (store->remove(ns_key, ns->resource_version)) changed = true;
  }
  return changed;
}

void ApiServer::Impl::on_crd_changed(const json::value* crd) {
  if (crd) {
    auto types = custom_resource_types(*crd);
    if (types && meta_string(*crd, "deletionTimestamp").empty())
      registry.set_custom(meta_string(*crd, "name"), std::move(*types));
    return;
  }
  // A CRD went away: stop serving its kinds and delete their objects, as the CRD's cleanup
  // finalizer does in a real cluster.
  std::set<std::string> present;
  for (const auto& [key, obj] :
       store->list("apiextensions.k8s.io/customresourcedefinitions", std::nullopt).items)
    present.insert(key.name);
  std::set<std::string> gone;
  for (const auto& t : registry.all())
    if (t->custom && !present.contains(t->crd_name)) gone.insert(t->crd_name);
  for (const auto& name : gone) {
    std::string collection;
    for (const auto& t : registry.all())
      if (t->custom && t->crd_name == name) collection = t->collection();
    registry.set_custom(name, {});
    for (const auto& [key, obj] : store->list(collection, std::nullopt).items)
      store->remove(key, 0);
  }
}

void ApiServer::Impl::register_stored_crds() {
  for (const auto& [key, obj] :
       store->list("apiextensions.k8s.io/customresourcedefinitions", std::nullopt).items)
    on_crd_changed(&obj->object);
}

}  // namespace lambda::apiserver
