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
      // A failure here must not end the process: the next pass retries.
      bool changed = false;
      try {
        changed = collect_garbage_once();
        changed = finalize_namespaces_once() || changed;
      } catch (const std::exception&) {
        break;
      }
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
  std::unordered_map<std::string, const ObjectPtr*> by_uid;
  for (const auto& [key, obj] : everything) by_uid.emplace(meta_string(obj->object, "uid"), &obj);
  bool changed = false;

  // Owner uid -> dependents that still block its foreground deletion or await orphaning.
  std::unordered_map<std::string, int> waiting_for;
  for (const auto& [key, obj] : everything) {
    const auto* refs = metadata_of(obj->object)
                           ? metadata_of(obj->object)->if_contains("ownerReferences")
                           : nullptr;
    if (!refs || !refs->is_array() || refs->get_array().empty()) continue;
    auto type = type_for_collection(registry, key.collection);
    if (!type) continue;
    std::string uid = meta_string(obj->object, "uid");
    bool dependent_deleting = !meta_string(obj->object, "deletionTimestamp").empty();

    // Each reference is to an owner that is gone (dangling), being deleted in the foreground,
    // being deleted with orphaning, or solid (there, and not waiting for its dependents).
    std::vector<std::string> drop;     // references to remove from this dependent
    std::vector<std::string> counted;  // owners this dependent holds up
    bool solid = false, foreground = false, orphaning = false;
    for (const auto& r : refs->get_array()) {
      std::string owner_uid = string_at(r, "uid");
      auto it = by_uid.find(owner_uid);
      if (it == by_uid.end()) {
        drop.push_back(owner_uid);
        continue;
      }
      const auto& owner = (*it->second)->object;
      bool owner_deleting = !meta_string(owner, "deletionTimestamp").empty();
      if (owner_deleting && has_finalizer(owner, "orphan")) {
        orphaning = true;  // handled below: the reference goes, the dependent stays
      } else if (owner_deleting && has_finalizer(owner, "foregroundDeletion")) {
        foreground = true;
        drop.push_back(owner_uid);
        auto* block = r.is_object() ? r.get_object().if_contains("blockOwnerDeletion") : nullptr;
        if (block && block->is_bool() && block->get_bool()) {
          ++waiting_for[owner_uid];
          counted.push_back(owner_uid);
        }
      } else {
        solid = true;
      }
    }
    if (drop.empty() || orphaning) continue;
    if (!solid && !dependent_deleting) {
      // No owner keeps it: it goes (in the foreground when an owner waits for it). The uid
      // precondition keeps a re-created object of the same name safe.
      if (delete_object(*type, key, foreground ? "Foreground" : "Background", uid, std::nullopt,
                        false))
        changed = true;
      continue;
    }
    if (!solid) continue;  // already being deleted; its owners wait for it to go
    // A solid owner keeps it: only the references to owners that are gone or going are removed.
    json::value next = obj->object;
    auto& meta = metadata_of(next);
    json::array kept;
    for (const auto& r : meta["ownerReferences"].as_array())
      if (std::find(drop.begin(), drop.end(), string_at(r, "uid")) == drop.end()) kept.push_back(r);
    meta["ownerReferences"] = std::move(kept);
    if (store->update(key, obj->resource_version, std::move(next))) {
      changed = true;
      for (const auto& owner_uid : counted) --waiting_for[owner_uid];
    }
  }
  // Dependents of an owner deleted with orphaning lose their reference to it and stay.
  for (const auto& [key, obj] : everything) {
    const auto* meta = metadata_of(obj->object);
    const auto* refs = meta ? meta->if_contains("ownerReferences") : nullptr;
    if (!refs || !refs->is_array()) continue;
    std::vector<std::string> orphaning;
    for (const auto& r : refs->get_array()) {
      auto it = by_uid.find(string_at(r, "uid"));
      if (it == by_uid.end()) continue;
      const auto& owner = (*it->second)->object;
      if (!meta_string(owner, "deletionTimestamp").empty() && has_finalizer(owner, "orphan"))
        orphaning.push_back(string_at(r, "uid"));
    }
    if (orphaning.empty()) continue;
    for (const auto& owner_uid : orphaning) ++waiting_for[owner_uid];
    auto current = store->get(key);
    if (!current || current->resource_version != obj->resource_version) continue;  // next round
    json::value next = obj->object;
    auto& m = metadata_of(next);
    json::array kept;
    for (const auto& r : m["ownerReferences"].as_array())
      if (std::find(orphaning.begin(), orphaning.end(), string_at(r, "uid")) == orphaning.end())
        kept.push_back(r);
    if (kept.empty())
      m.erase("ownerReferences");
    else
      m["ownerReferences"] = std::move(kept);
    if (store->update(key, obj->resource_version, std::move(next))) {
      changed = true;
      for (const auto& owner_uid : orphaning) --waiting_for[owner_uid];
    }
  }

  for (const auto& [key, obj] : everything) {
    if (meta_string(obj->object, "deletionTimestamp").empty()) continue;
    // Deletion pending with no finalizer left (a lost race with another write): finish it.
    if (finalizers_of(obj->object).empty() && key.collection != "/namespaces") {
      if (store->remove(key, obj->resource_version)) {
        changed = true;
        if (key.collection == "apiextensions.k8s.io/customresourcedefinitions")
          on_crd_changed(nullptr);
      }
      continue;
    }
    // Owners waiting for their dependents (foreground) or for orphaning to finish.
    std::string uid = meta_string(obj->object, "uid");
    if (waiting_for[uid] > 0) continue;
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
    // Empty: the namespace's own finalizer goes, then (once its metadata finalizers are gone
    // too) the namespace.
    const auto* spec = object_at(ns->object, "spec");
    const auto* spec_finalizers = spec ? spec->if_contains("finalizers") : nullptr;
    if (spec_finalizers && spec_finalizers->is_array() && !spec_finalizers->get_array().empty()) {
      json::value next = ns->object;
      next.as_object()["spec"] = json::object{{"finalizers", json::array()}};
      if (store->update(ns_key, ns->resource_version, std::move(next))) changed = true;
      continue;
    }
    if (!finalizers_of(ns->object).empty()) continue;
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
