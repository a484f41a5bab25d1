#include "apiserver/object_store.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>

namespace lambda::apiserver {
namespace {
namespace json = boost::json;

json::value config_map(std::string name, std::string value) {
  return json::object{{"apiVersion", "v1"},
                      {"kind", "ConfigMap"},
                      {"metadata", {{"name", name}, {"namespace", "ns"}}},
                      {"data", {{"k", value}}}};
}

ObjectKey key(std::string name) { return {"/configmaps", "ns", std::move(name)}; }

std::unique_ptr<ObjectStore> memory_store(std::size_t history = 1000) {
  ObjectStore::Options options;
  options.history_limit = history;
  return std::move(*ObjectStore::open(options));
}

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/lambda-store-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

TEST(ObjectStore, EveryWriteTakesTheNextGlobalResourceVersion) {
  auto store = memory_store();
  auto a = store->create(key("a"), config_map("a", "1"));
  auto b = store->create({"/secrets", "ns", "b"}, config_map("b", "1"));
  ASSERT_TRUE(a && b);
  EXPECT_EQ((*a)->resource_version + 1, (*b)->resource_version);
  EXPECT_EQ((*b)->object.at("metadata").at("resourceVersion").as_string(),
            std::to_string((*b)->resource_version));
  EXPECT_EQ(store->resource_version(), (*b)->resource_version);
}

TEST(ObjectStore, StaleUpdateIsAConflictAndChangesNothing) {
  auto store = memory_store();
  auto a = store->create(key("a"), config_map("a", "1"));
  ASSERT_TRUE(store->update(key("a"), (*a)->resource_version, config_map("a", "2")));
  auto stale = store->update(key("a"), (*a)->resource_version, config_map("a", "3"));
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error(), CommitError::kConflict);
  EXPECT_EQ(store->get(key("a"))->object.at("data").at("k").as_string(), "2");
}

TEST(ObjectStore, CreateOfAnExistingKeyFails) {
  auto store = memory_store();
  ASSERT_TRUE(store->create(key("a"), config_map("a", "1")));
  EXPECT_EQ(store->create(key("a"), config_map("a", "1")).error(), CommitError::kAlreadyExists);
}

TEST(ObjectStore, ListIsInKeyOrderAndScopedToNamespace) {
  auto store = memory_store();
  store->create(key("b"), config_map("b", "1"));
  store->create(key("a"), config_map("a", "1"));
  store->create({"/configmaps", "other", "c"}, config_map("c", "1"));
  auto all = store->list("/configmaps", std::nullopt);
  ASSERT_EQ(all.items.size(), 3u);
  EXPECT_EQ(all.items[0].first.name, "a");
  auto ns = store->list("/configmaps", std::string_view("ns"));
  ASSERT_EQ(ns.items.size(), 2u);
  EXPECT_EQ(ns.items[1].first.name, "b");
}

TEST(ObjectStore, WatchReplaysEventsAfterTheGivenVersionThenFollows) {
  auto store = memory_store();
  auto a = store->create(key("a"), config_map("a", "1"));
  store->update(key("a"), 0, config_map("a", "2"));
  std::vector<std::string> seen;
  auto id =
      store->watch({"/configmaps", std::nullopt}, (*a)->resource_version, [&](const StoreEvent& e) {
        seen.push_back(std::string(event_type_name(e.type)) + ":" +
                       std::string(e.object->object.at("data").at("k").as_string()));
      });
  ASSERT_TRUE(id);
  store->remove(key("a"), 0);
  EXPECT_EQ(seen, (std::vector<std::string>{"MODIFIED:2", "DELETED:2"}));
  store->unwatch(*id);
  store->create(key("a"), config_map("a", "3"));
  EXPECT_EQ(seen.size(), 2u);
}

TEST(ObjectStore, WatchFromBeforeTheRetainedHistoryIsTooOld) {
  auto store = memory_store(/*history=*/2);
  for (int i = 0; i < 5; ++i) store->create(key("o" + std::to_string(i)), config_map("o", "1"));
  auto result = store->watch({"/configmaps", std::nullopt}, 1, [](const StoreEvent&) {});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error(), 4u);
  EXPECT_EQ(too_old_resource_version_message(1, 4), "too old resource version: 1 (4)");
  EXPECT_TRUE(store->watch({"/configmaps", std::nullopt}, 3, [](const StoreEvent&) {}));
}

TEST(ObjectStore, DependentsAreFoundByOwnerUid) {
  auto store = memory_store();
  auto child = config_map("child", "1");
  child.as_object()["metadata"].as_object()["ownerReferences"] =
      json::array{json::object{{"uid", "u-1"}, {"name", "p"}, {"kind", "X"}, {"apiVersion", "v1"}}};
  store->create(key("child"), child);
  store->create(key("other"), config_map("other", "1"));
  auto deps = store->dependents_of("u-1");
  ASSERT_EQ(deps.size(), 1u);
  EXPECT_EQ(deps[0]->object.at("metadata").at("name").as_string(), "child");
}

TEST(ObjectStore, DataDirectoryKeepsEveryAcknowledgedWriteAcrossRestarts) {
  TempDir dir;
  ObjectStore::Options options;
  options.data_dir = dir.path.string();
  options.compact_after = 3;  // forces a snapshot in the middle
  std::uint64_t last = 0;
  {
    auto store = std::move(*ObjectStore::open(options));
    for (int i = 0; i < 5; ++i) store->create(key("o" + std::to_string(i)), config_map("o", "1"));
    store->update(key("o1"), 0, config_map("o1", "2"));
    store->remove(key("o2"), 0);
    last = store->resource_version();
  }
  auto reopened = ObjectStore::open(options);
  ASSERT_TRUE(reopened) << reopened.error();
  auto& store = *reopened;
  EXPECT_EQ(store->resource_version(), last);
  EXPECT_EQ(store->object_count(), 4u);
  EXPECT_EQ(store->get(key("o1"))->object.at("data").at("k").as_string(), "2");
  EXPECT_EQ(store->get(key("o2")), nullptr);
  // The counter continues where it was: no resourceVersion is ever handed out twice.
  auto next = store->create(key("new"), config_map("new", "1"));
  EXPECT_EQ((*next)->resource_version, last + 1);
}

TEST(ObjectStore, TornLastJournalRecordIsDroppedAndEarlierOnesKept) {
  TempDir dir;
  ObjectStore::Options options;
  options.data_dir = dir.path.string();
  {
    auto store = std::move(*ObjectStore::open(options));
    store->create(key("a"), config_map("a", "1"));
  }
  // A crash in the middle of the next append: the record has no newline, so it was never
  // acknowledged.
  std::ofstream(dir.path / "journal.jsonl", std::ios::app) << "{\"rv\":2,\"op\":\"put\",\"ke";
  auto reopened = ObjectStore::open(options);
  ASSERT_TRUE(reopened) << reopened.error();
  EXPECT_EQ((*reopened)->object_count(), 1u);
  EXPECT_TRUE((*reopened)->create(key("b"), config_map("b", "1")));
  auto again = ObjectStore::open(options);
  ASSERT_TRUE(again) << again.error();
  EXPECT_EQ((*again)->object_count(), 2u);
}

TEST(ObjectStore, DamagedJournalIsReportedWithFileAndLine) {
  TempDir dir;
  std::ofstream(dir.path / "journal.jsonl") << "not json\n";
  ObjectStore::Options options;
  options.data_dir = dir.path.string();
  auto opened = ObjectStore::open(options);
  ASSERT_FALSE(opened);
  EXPECT_NE(opened.error().find("journal.jsonl:1: damaged journal record"), std::string::npos)
      << opened.error();
}

}  // namespace
}  // namespace lambda::apiserver

namespace lambda::apiserver {
namespace {

TEST(ObjectStore, HistoryIsAlsoBoundedByBytes) {
  ObjectStore::Options options;
  options.history_bytes_limit = 1000;  // a few events' worth
  auto store = std::move(*ObjectStore::open(options));
  for (int i = 0; i < 50; ++i)
    store->create({"/configmaps", "ns", "o" + std::to_string(i)},
                  config_map("o", std::string(100, 'x')));
  auto old = store->watch({"/configmaps", std::nullopt}, 1, [](const StoreEvent&) {});
  EXPECT_FALSE(old) << "a watch from the first write should be too old";
  auto recent = store->watch({"/configmaps", std::nullopt}, 49, [](const StoreEvent&) {});
  EXPECT_TRUE(recent);
}

}  // namespace
}  // namespace lambda::apiserver
