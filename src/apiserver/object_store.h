// The embedded API server's storage: what etcd plus the watch cache are to kube-apiserver.
//
// Objects are kept as immutable versions (StoredObject) shared by pointer, so that a list, a
// paginated snapshot or a watch event costs a pointer copy, not a document copy. Every write gets
// the next value of one global resourceVersion counter (as etcd's revision), written into the
// object's metadata.resourceVersion before it is serialised once.
//
// Writes are optimistic, as kube-apiserver's GuaranteedUpdate: callers read a version, compute
// the next one without holding any lock (admission webhooks may take a while), and commit with
// the resourceVersion they started from; a concurrent write makes the commit fail with kConflict
// and the caller retries or answers 409.
//
// Watches: the last `history_limit` events are kept, so a watch may resume from any
// resourceVersion still inside that window; an older one is "too old" (410 Gone), as when etcd
// has compacted. Watch callbacks run under the store's lock, in commit order, and must be quick
// (queue the bytes and return).
//
// Persistence (optional): with a data directory every commit is appended to a journal and
// flushed with fdatasync before the commit returns, so an acknowledged write survives a crash;
// the journal is compacted into a snapshot from time to time. Without one, everything is in
// memory.
//
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <vector>

namespace lambda::apiserver {

// Where an object lives: its storage collection ("apps/deployments", "/configmaps" for the
// core group: group/resource, independent of the version it was written in), namespace ("" for
// cluster-scoped kinds) and name.
struct ObjectKey {
  std::string collection;
  std::string namespace_name;
  std::string name;
  friend auto operator<=>(const ObjectKey&, const ObjectKey&) = default;
  std::string str() const;
};

struct StoredObject {
  boost::json::value object;  // metadata.resourceVersion already set
  std::string text;           // compact JSON of object
  std::uint64_t resource_version = 0;
};
using ObjectPtr = std::shared_ptr<const StoredObject>;

enum class EventType { kAdded, kModified, kDeleted };
std::string_view event_type_name(EventType type);  // "ADDED", "MODIFIED", "DELETED"

struct StoreEvent {
  EventType type;
  ObjectKey key;
  ObjectPtr object;    // the new version; for kDeleted the last version, with the delete's rv
  ObjectPtr previous;  // the version before this event (null for kAdded)
  std::uint64_t resource_version = 0;
};

enum class CommitError { kAlreadyExists, kNotFound, kConflict, kStorage };

struct ListSnapshot {
  std::vector<std::pair<ObjectKey, ObjectPtr>> items;  // in key order
  std::uint64_t resource_version = 0;                  // the store's revision when taken
};

class ObjectStore {
 public:
  struct Options {
    std::size_t history_limit = 200000;
    // ...and at most this many bytes of object text, whichever limit is reached first.
    std::size_t history_bytes_limit = 512u * 1024 * 1024;
    std::string data_dir;  // empty: in memory only
    // Journal records written since the last snapshot before a compaction runs.
    std::size_t compact_after = 20000;
  };

  // Opens the store, reading the snapshot and journal from data_dir when set. Fails (message
  // names the file and the record) when the data cannot be read back.
  static tl::expected<std::unique_ptr<ObjectStore>, std::string> open(Options options);
  ~ObjectStore();

  std::uint64_t resource_version() const;

  ObjectPtr get(const ObjectKey& key) const;
  // Objects of a collection, optionally of one namespace, in key order, all at one revision.
  ListSnapshot list(std::string_view collection,
                    std::optional<std::string_view> namespace_name) const;
  // Every object of every collection whose metadata.ownerReferences name this uid.
  std::vector<ObjectPtr> dependents_of(std::string_view owner_uid) const;
  // Every object, in key order (garbage collection scans).
  std::vector<std::pair<ObjectKey, ObjectPtr>> all() const;
  // Every key in a namespace, across collections (namespace deletion).
  std::vector<ObjectKey> keys_in_namespace(std::string_view namespace_name) const;

  tl::expected<ObjectPtr, CommitError> create(const ObjectKey& key, boost::json::value object);
  // Commits when the stored version is still expected_rv (0: whatever is stored).
  tl::expected<ObjectPtr, CommitError> update(const ObjectKey& key, std::uint64_t expected_rv,
                                              boost::json::value object);
  // Returns the deleted object, stamped with the delete's resourceVersion.
  tl::expected<ObjectPtr, CommitError> remove(const ObjectKey& key, std::uint64_t expected_rv);

  // --- watch ---
  using WatchCallback = std::function<void(const StoreEvent&)>;
  struct WatchFilter {
    std::string collection;
    std::optional<std::string> namespace_name;
  };
  // Registers a watcher that receives, in order, every event after since_rv and then every new
  // one, until unwatch. since_rv == 0 means "from now". When since_rv is older than the retained
  // history, returns the oldest resourceVersion that can be resumed from (for the 410 message).
  tl::expected<std::uint64_t, std::uint64_t> watch(WatchFilter filter, std::uint64_t since_rv,
                                                   WatchCallback callback);
  void unwatch(std::uint64_t watch_id);
  // Calls fn under the store lock with the current revision: a bookmark sent from here is never
  // ahead of an event the watcher has not yet received.
  void with_revision(const std::function<void(std::uint64_t)>& fn) const;

  // The store-wide counters the server exposes as metrics.
  std::size_t object_count() const;
  std::size_t watcher_count() const;

 private:
  ObjectStore() = default;
  struct Journal;
  struct Watcher {
    WatchFilter filter;
    WatchCallback callback;
  };

  tl::expected<ObjectPtr, CommitError> commit_locked(const ObjectKey& key, EventType type,
                                                     std::optional<boost::json::value> object,
                                                     ObjectPtr previous);
  void dispatch_locked(const StoreEvent& event);
  std::string load(const Options& options);

  mutable std::mutex mutex_;
  std::map<ObjectKey, ObjectPtr> objects_;
  std::uint64_t revision_ = 0;
  std::deque<StoreEvent> history_;  // oldest first
  std::size_t history_limit_ = 0;
  std::size_t history_bytes_limit_ = 0;
  std::size_t history_bytes_ = 0;
  std::map<std::uint64_t, Watcher> watchers_;
  std::uint64_t next_watch_id_ = 1;
  std::unique_ptr<Journal> journal_;
};

// "too old resource version: 5 (120)" as kube-apiserver words it.
std::string too_old_resource_version_message(std::uint64_t requested, std::uint64_t oldest);

}  // namespace lambda::apiserver
