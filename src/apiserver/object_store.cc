#include "apiserver/object_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "common/json_yaml.h"

namespace lambda::apiserver {
namespace json = boost::json;

namespace {
constexpr std::string_view kJournalFile = "journal.jsonl";
constexpr std::string_view kSnapshotFile = "snapshot.json";
constexpr std::string_view kSnapshotTempFile = "snapshot.json.tmp";

json::object key_json(const ObjectKey& key) {
  return json::object{{"c", key.collection}, {"ns", key.namespace_name}, {"n", key.name}};
}

std::optional<ObjectKey> key_from_json(const json::value& v) {
  if (!v.is_object()) return std::nullopt;
  const auto& o = v.get_object();
  auto str = [&](std::string_view k) -> const json::string* {
    auto* p = o.if_contains(k);
    return p && p->is_string() ? &p->get_string() : nullptr;
  };
  auto c = str("c"), ns = str("ns"), n = str("n");
  if (!c || !ns || !n) return std::nullopt;
  return ObjectKey{std::string(*c), std::string(*ns), std::string(*n)};
}

ObjectPtr make_version(json::value object, std::uint64_t rv) {
  auto stored = std::make_shared<StoredObject>();
  if (object.is_object()) {
    auto& meta = object.as_object()["metadata"];
    if (!meta.is_object()) meta = json::object();
    meta.as_object()["resourceVersion"] = std::to_string(rv);
  }
  stored->text = json::serialize(object);
  stored->object = std::move(object);
  stored->resource_version = rv;
  return stored;
}

bool references_owner(const json::value& object, std::string_view uid) {
  auto* meta = object.is_object() ? object.get_object().if_contains("metadata") : nullptr;
  auto* refs =
      meta && meta->is_object() ? meta->get_object().if_contains("ownerReferences") : nullptr;
  if (!refs || !refs->is_array()) return false;
  for (const auto& r : refs->get_array()) {
    auto* u = r.is_object() ? r.get_object().if_contains("uid") : nullptr;
    if (u && u->is_string() && u->get_string() == uid) return true;
  }
  return false;
}

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool sync_directory(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return false;
  bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}
}  // namespace

std::string ObjectKey::str() const {
  return collection + "/" + (namespace_name.empty() ? "" : namespace_name + "/") + name;
}

std::string_view event_type_name(EventType type) {
  switch (type) {
    case EventType::kAdded:
      return "ADDED";
    case EventType::kModified:
      return "MODIFIED";
    case EventType::kDeleted:
      return "DELETED";
  }
  return "ERROR";
}

std::string too_old_resource_version_message(std::uint64_t requested, std::uint64_t oldest) {
  return "too old resource version: " + std::to_string(requested) + " (" + std::to_string(oldest) +
         ")";
}

// An append-only file of committed writes, flushed before each commit returns, compacted into a
// snapshot file now and then.
struct ObjectStore::Journal {
  std::filesystem::path dir;
  int fd = -1;
  std::size_t records_since_snapshot = 0;
  std::size_t compact_after = 0;

  ~Journal() {
    if (fd >= 0) ::close(fd);
  }

  std::string open_for_append() {
    fd = ::open((dir / kJournalFile).c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    return fd < 0 ? errno_text((dir / kJournalFile).string()) : std::string();
  }

  // On failure the journal is cut back to where it was, so that a record nobody acknowledged
  // neither survives a restart nor leaves a damaged line in the middle.
  bool append(std::string_view line) {
    off_t before = ::lseek(fd, 0, SEEK_END);
    if (before >= 0 && write_all(fd, line) && ::fdatasync(fd) == 0) return true;
    if (before >= 0 && ::ftruncate(fd, before) == 0) (void)::fdatasync(fd);
    return false;
  }

  // Writes every object as of `revision` to the snapshot file, then starts an empty journal.
  std::string compact(const std::map<ObjectKey, ObjectPtr>& objects, std::uint64_t revision) {
    std::string text = "{\"revision\":" + std::to_string(revision) + ",\"objects\":[";
    bool first = true;
    for (const auto& [key, obj] : objects) {
      if (!first) text += ",\n";
      first = false;
      text += "{\"key\":" + json::serialize(key_json(key)) + ",\"object\":" + obj->text + "}";
    }
    text += "]}\n";
    auto tmp = dir / kSnapshotTempFile;
    int out = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0) return errno_text(tmp.string());
    bool ok = write_all(out, text) && ::fsync(out) == 0;
    ::close(out);
    if (!ok) return errno_text(tmp.string());
    std::error_code ec;
    std::filesystem::rename(tmp, dir / kSnapshotFile, ec);
    if (ec) return tmp.string() + ": " + ec.message();
    if (!sync_directory(dir)) return errno_text(dir.string());
    // The snapshot now holds everything the journal did: start the journal afresh.
    ::close(fd);
    fd = ::open((dir / kJournalFile).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC,
                0600);
    if (fd < 0) return errno_text((dir / kJournalFile).string());
    records_since_snapshot = 0;
    return {};
  }
};

tl::expected<std::unique_ptr<ObjectStore>, std::string> ObjectStore::open(Options options) {
  std::unique_ptr<ObjectStore> store(new ObjectStore());
  store->history_limit_ = std::max<std::size_t>(options.history_limit, 1);
  store->history_bytes_limit_ = std::max<std::size_t>(options.history_bytes_limit, 1);
  if (!options.data_dir.empty()) {
    if (auto error = store->load(options); !error.empty()) return tl::unexpected(error);
  }
  return store;
}

ObjectStore::~ObjectStore() = default;

std::string ObjectStore::load(const Options& options) {
  namespace fs = std::filesystem;
  fs::path dir(options.data_dir);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return dir.string() + ": " + ec.message();

  auto read_file = [](const fs::path& p, std::string& out) {
    std::ifstream in(p, std::ios::binary);
    if (!in) return false;
    out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return true;
  };

  std::string text;
  if (read_file(dir / kSnapshotFile, text)) {
    auto parsed = common::parse_json(text);
    auto where = (dir / kSnapshotFile).string();
    if (!parsed || !parsed->is_object()) return where + ": not a snapshot written by this server";
    const auto& o = parsed->get_object();
    auto* rev = o.if_contains("revision");
    auto* objs = o.if_contains("objects");
    if (!rev || !rev->is_int64() || !objs || !objs->is_array())
      return where + ": not a snapshot written by this server";
    revision_ = static_cast<std::uint64_t>(rev->get_int64());
    std::size_t i = 0;
    for (const auto& entry : objs->get_array()) {
      auto key = entry.is_object() ? key_from_json(entry.get_object().contains("key")
                                                       ? entry.get_object().at("key")
                                                       : json::value())
                                   : std::nullopt;
      auto* object = entry.is_object() ? entry.get_object().if_contains("object") : nullptr;
      if (!key || !object || !object->is_object())
        return where + ": objects[" + std::to_string(i) + "] is damaged";
      std::uint64_t rv = 0;
      if (auto* meta = object->get_object().if_contains("metadata"); meta && meta->is_object())
        if (auto* r = meta->get_object().if_contains("resourceVersion"); r && r->is_string())
          rv = std::strtoull(r->get_string().c_str(), nullptr, 10);
      objects_[*key] = make_version(*object, rv);
      ++i;
    }
  }

  text.clear();
  read_file(dir / kJournalFile, text);
  std::size_t line_no = 0, pos = 0, records = 0;
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    ++line_no;
    if (end == std::string::npos) {
      // A last line without its newline is a write that never completed (the crash came before
      // fdatasync returned), so it was never acknowledged: drop it.
      break;
    }
    std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    auto where = (dir / kJournalFile).string() + ":" + std::to_string(line_no);
    auto parsed = common::parse_json(line);
    if (!parsed || !parsed->is_object()) return where + ": damaged journal record";
    const auto& rec = parsed->get_object();
    auto* rv_value = rec.if_contains("rv");
    auto* op = rec.if_contains("op");
    auto key = rec.contains("key") ? key_from_json(rec.at("key")) : std::nullopt;
    if (!rv_value || !rv_value->is_int64() || !op || !op->is_string() || !key)
      return where + ": damaged journal record";
    auto rv = static_cast<std::uint64_t>(rv_value->get_int64());
    if (rv <= revision_) continue;  // already in the snapshot
    if (op->get_string() == "put") {
      auto* object = rec.if_contains("object");
      if (!object || !object->is_object()) return where + ": damaged journal record";
      objects_[*key] = make_version(*object, rv);
    } else if (op->get_string() == "delete") {
      objects_.erase(*key);
    } else {
      return where + ": unknown journal operation";
    }
    revision_ = rv;
    ++records;
  }

  journal_ = std::make_unique<Journal>();
  journal_->dir = dir;
  journal_->compact_after = std::max<std::size_t>(options.compact_after, 1);
  if (auto error = journal_->open_for_append(); !error.empty()) return error;
  journal_->records_since_snapshot = records;
  if (pos < text.size()) {
    // Rewrite without the torn tail so that the next append starts on a clean line.
    if (auto error = journal_->compact(objects_, revision_); !error.empty()) return error;
  }
  return {};
}

std::uint64_t ObjectStore::resource_version() const {
  std::lock_guard lock(mutex_);
  return revision_;
}

ObjectPtr ObjectStore::get(const ObjectKey& key) const {
  std::lock_guard lock(mutex_);
  auto it = objects_.find(key);
  return it == objects_.end() ? nullptr : it->second;
}

ListSnapshot ObjectStore::list(std::string_view collection,
                               std::optional<std::string_view> namespace_name) const {
  ListSnapshot out;
  std::lock_guard lock(mutex_);
  out.resource_version = revision_;
  ObjectKey from{std::string(collection), namespace_name ? std::string(*namespace_name) : "", ""};
  for (auto it = objects_.lower_bound(from); it != objects_.end(); ++it) {
    if (it->first.collection != collection) break;
    if (namespace_name && it->first.namespace_name != *namespace_name) break;
    out.items.emplace_back(it->first, it->second);
  }
  return out;
}

std::vector<ObjectPtr> ObjectStore::dependents_of(std::string_view owner_uid) const {
  std::vector<ObjectPtr> out;
  std::lock_guard lock(mutex_);
  for (const auto& [key, obj] : objects_)
    if (references_owner(obj->object, owner_uid)) out.push_back(obj);
  return out;
}

std::vector<std::pair<ObjectKey, ObjectPtr>> ObjectStore::all() const {
  std::lock_guard lock(mutex_);
  return {objects_.begin(), objects_.end()};
}

std::vector<ObjectKey> ObjectStore::keys_in_namespace(std::string_view namespace_name) const {
  std::vector<ObjectKey> out;
  std::lock_guard lock(mutex_);
  for (const auto& [key, obj] : objects_)
    if (key.namespace_name == namespace_name) out.push_back(key);
  return out;
}

tl::expected<ObjectPtr, CommitError> ObjectStore::create(const ObjectKey& key, json::value object) {
  std::lock_guard lock(mutex_);
  if (objects_.contains(key)) return tl::unexpected(CommitError::kAlreadyExists);
  return commit_locked(key, EventType::kAdded, std::move(object), nullptr);
}

tl::expected<ObjectPtr, CommitError> ObjectStore::update(const ObjectKey& key,
                                                         std::uint64_t expected_rv,
                                                         json::value object) {
  std::lock_guard lock(mutex_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return tl::unexpected(CommitError::kNotFound);
  if (expected_rv != 0 && it->second->resource_version != expected_rv)
    return tl::unexpected(CommitError::kConflict);
  return commit_locked(key, EventType::kModified, std::move(object), it->second);
}

tl::expected<ObjectPtr, CommitError> ObjectStore::remove(const ObjectKey& key,
                                                         std::uint64_t expected_rv) {
  std::lock_guard lock(mutex_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return tl::unexpected(CommitError::kNotFound);
  if (expected_rv != 0 && it->second->resource_version != expected_rv)
    return tl::unexpected(CommitError::kConflict);
  return commit_locked(key, EventType::kDeleted, std::nullopt, it->second);
}

tl::expected<ObjectPtr, CommitError> ObjectStore::commit_locked(const ObjectKey& key,
                                                                EventType type,
                                                                std::optional<json::value> object,
                                                                ObjectPtr previous) {
  std::uint64_t rv = revision_ + 1;
  // A deletion's event carries the last state stamped with the deletion's revision, as
  // kube-apiserver's watch does.
  ObjectPtr version = make_version(object ? std::move(*object) : previous->object, rv);
  if (journal_) {
    std::string line = "{\"rv\":" + std::to_string(rv) + ",\"op\":\"" +
                       (type == EventType::kDeleted ? "delete" : "put") +
                       "\",\"key\":" + json::serialize(key_json(key));
    if (type != EventType::kDeleted) line += ",\"object\":" + version->text;
    line += "}\n";
    if (!journal_->append(line)) return tl::unexpected(CommitError::kStorage);
  }
  revision_ = rv;
  if (type == EventType::kDeleted)
    objects_.erase(key);
  else
    objects_[key] = version;
  StoreEvent event{type, key, version, std::move(previous), rv};
  history_.push_back(event);
  history_bytes_ += version->text.size();
  dispatch_locked(history_.back());
  while (history_.size() > history_limit_ ||
         (history_bytes_ > history_bytes_limit_ && history_.size() > 1)) {
    history_bytes_ -= history_.front().object->text.size();
    history_.pop_front();
  }
  if (journal_ && ++journal_->records_since_snapshot >= journal_->compact_after) {
    // A failed compaction loses nothing (the journal still has every record); try again later.
    (void)journal_->compact(objects_, revision_);
  }
  return version;
}

void ObjectStore::dispatch_locked(const StoreEvent& event) {
  for (auto& [id, w] : watchers_) {
    if (w.filter.collection != event.key.collection) continue;
    if (w.filter.namespace_name && *w.filter.namespace_name != event.key.namespace_name) continue;
    w.callback(event);
  }
}

tl::expected<std::uint64_t, std::uint64_t> ObjectStore::watch(WatchFilter filter,
                                                              std::uint64_t since_rv,
                                                              WatchCallback callback) {
  std::lock_guard lock(mutex_);
  if (since_rv != 0 && since_rv < revision_) {
    // Every event after since_rv must still be in the history.
    std::uint64_t oldest = history_.empty() ? revision_ + 1 : history_.front().resource_version;
    if (since_rv + 1 < oldest) return tl::unexpected(oldest);
    for (const auto& event : history_) {
      if (event.resource_version <= since_rv) continue;
      if (event.key.collection != filter.collection) continue;
      if (filter.namespace_name && *filter.namespace_name != event.key.namespace_name) continue;
      callback(event);
    }
  }
  auto id = next_watch_id_++;
  watchers_.emplace(id, Watcher{std::move(filter), std::move(callback)});
  return id;
}

void ObjectStore::unwatch(std::uint64_t watch_id) {
  std::lock_guard lock(mutex_);
  watchers_.erase(watch_id);
}

void ObjectStore::with_revision(const std::function<void(std::uint64_t)>& fn) const {
  std::lock_guard lock(mutex_);
  fn(revision_);
}

std::size_t ObjectStore::object_count() const {
  std::lock_guard lock(mutex_);
  return objects_.size();
}

std::size_t ObjectStore::watcher_count() const {
  std::lock_guard lock(mutex_);
  return watchers_.size();
}

}  // namespace lambda::apiserver
