// The kube client against the embedded API server, both real, over HTTPS on loopback: pagination,
// optimistic concurrency, watch resume and 410, server-side apply, garbage collection.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

#include "apiserver/api_server.h"
#include "kube/client.h"

namespace lambda {
namespace {
namespace json = boost::json;
using kube::ResourceRef;

const ResourceRef kConfigMaps{"", "v1", "configmaps", "ConfigMap", true};
const ResourceRef kNamespaces{"", "v1", "namespaces", "Namespace", false};

json::value config_map(const std::string& name, const std::string& value,
                       const std::string& ns = "default") {
  return json::object{{"apiVersion", "v1"},
                      {"kind", "ConfigMap"},
                      {"metadata", {{"name", name}, {"namespace", ns}}},
                      {"data", {{"k", value}}}};
}

std::string meta(const json::value& v, const char* key) {
  return std::string(v.at("metadata").at(key).as_string());
}

class KubeClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    apiserver::ApiServerOptions options;
    options.watch_history = history_;
    options.bookmark_interval = std::chrono::milliseconds(200);
    auto started = apiserver::ApiServer::start(options);
    ASSERT_TRUE(started) << started.error();
    server_ = std::move(*started);
    kube::ClientOptions client_options;
    client_options.qps = 0;  // unlimited: the tests measure the server, not the limiter
    auto client = kube::Client::create(server_->connection(), client_options);
    ASSERT_TRUE(client) << client.error();
    client_ = std::move(*client);
  }

  std::size_t history_ = 200000;
  std::unique_ptr<apiserver::ApiServer> server_;
  std::unique_ptr<kube::Client> client_;
};

TEST_F(KubeClientTest, ListPaginatesOverTwoThousandObjectsWithoutLossOrRepeat) {
  for (int i = 0; i < 2000; ++i)
    ASSERT_TRUE(
        client_->create(kConfigMaps, "default", config_map("cm-" + std::to_string(i), "v")));
  kube::ListOptions o;
  o.limit = 150;
  std::set<std::string> names;
  int pages = 0;
  std::string rv;
  for (;;) {
    auto page = client_->list(kConfigMaps, "default", o);
    ASSERT_TRUE(page) << page.error().message;
    ++pages;
    if (rv.empty()) rv = meta(*page, "resourceVersion");
    // Every page reports the revision of the first: one consistent snapshot.
    EXPECT_EQ(meta(*page, "resourceVersion"), rv);
    for (const auto& item : page->at("items").as_array())
      EXPECT_TRUE(names.insert(meta(item, "name")).second) << "repeated " << meta(item, "name");
    if (pages == 1) {  // a write in the middle must not show up in the paginated list
      ASSERT_TRUE(client_->create(kConfigMaps, "default", config_map("zz-late", "v")));
    }
    auto* c = page->at("metadata").as_object().if_contains("continue");
    if (!c) break;
    o.continue_token = std::string(c->as_string());
  }
  EXPECT_EQ(names.size(), 2000u);
  EXPECT_EQ(pages, 14);
  auto all = client_->list_all(kConfigMaps, "default");
  ASSERT_TRUE(all);
  EXPECT_EQ(all->at("items").as_array().size(), 2001u);
}

TEST_F(KubeClientTest, StaleUpdateIsAConflict) {
  auto created = client_->create(kConfigMaps, "default", config_map("c", "1"));
  ASSERT_TRUE(created);
  json::value first = *created;
  first.at("data").as_object()["k"] = "2";
  ASSERT_TRUE(client_->update(kConfigMaps, "default", first));
  json::value stale = *created;
  stale.at("data").as_object()["k"] = "3";
  auto r = client_->update(kConfigMaps, "default", stale);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 409);
  EXPECT_EQ(r.error().reason, "Conflict");
  EXPECT_NE(r.error().message.find("the object has been modified"), std::string::npos);
}

TEST_F(KubeClientTest, NotFoundAndInvalidComeBackAsTypedStatus) {
  auto missing = client_->get(kConfigMaps, "default", "nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, 404);
  EXPECT_EQ(missing.error().message, "configmaps \"nope\" not found");
  auto bad = client_->create(kConfigMaps, "default", config_map("Not_Valid", "1"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, 422);
  ASSERT_FALSE(bad.error().causes.empty());
  EXPECT_EQ(bad.error().causes[0].field, "metadata.name");
}

TEST_F(KubeClientTest, WatchResumesAfterADroppedConnectionWithoutLossOrDuplicates) {
  auto start = client_->list(kConfigMaps, "default");
  ASSERT_TRUE(start);
  std::string rv = meta(*start, "resourceVersion");
  std::thread writer([&] {
    for (int i = 0; i < 200; ++i)
      ASSERT_TRUE(
          client_->create(kConfigMaps, "default", config_map("w-" + std::to_string(i), "v")));
  });
  std::vector<std::string> seen;
  int connections = 0;
  while (seen.size() < 200 && connections < 50) {
    ++connections;
    kube::WatchOptions o;
    o.resource_version = rv;
    int in_this_connection = 0;
    auto r = client_->watch(kConfigMaps, "default", o, [&](const kube::WatchEvent& e) {
      rv = e.resource_version();
      if (e.type == "BOOKMARK") return true;
      EXPECT_EQ(e.type, "ADDED");
      seen.push_back(meta(e.object, "name"));
      // Drop the connection every 37 events, as a flaky network would.
      return ++in_this_connection < 37 && seen.size() < 200;
    });
    ASSERT_TRUE(r) << r.error().message;
  }
  writer.join();
  ASSERT_EQ(seen.size(), 200u);
  for (int i = 0; i < 200; ++i) EXPECT_EQ(seen[i], "w-" + std::to_string(i));
  EXPECT_GT(connections, 5);
}

TEST_F(KubeClientTest, WatchFromACompactedVersionIsGone) {
  history_ = 10;
  SetUp();
  for (int i = 0; i < 30; ++i)
    ASSERT_TRUE(client_->create(kConfigMaps, "default", config_map("g-" + std::to_string(i), "v")));
  kube::WatchOptions o;
  o.resource_version = "2";
  auto r = client_->watch(kConfigMaps, "default", o, [](const kube::WatchEvent&) { return true; });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 410);
  EXPECT_NE(r.error().message.find("too old resource version"), std::string::npos);
}

TEST_F(KubeClientTest, ServerSideApplyConflictsUnlessForced) {
  ASSERT_TRUE(client_->apply(kConfigMaps, config_map("ssa", "a"), "alice", false));
  auto conflict = client_->apply(kConfigMaps, config_map("ssa", "b"), "bob", false);
  ASSERT_FALSE(conflict);
  EXPECT_EQ(conflict.error().code, 409);
  EXPECT_NE(conflict.error().message.find("alice"), std::string::npos);
  auto forced = client_->apply(kConfigMaps, config_map("ssa", "b"), "bob", true);
  ASSERT_TRUE(forced) << forced.error().message;
  EXPECT_EQ(forced->at("data").at("k").as_string(), "b");
  // Re-applying the same configuration changes nothing: no new resourceVersion.
  auto again = client_->apply(kConfigMaps, config_map("ssa", "b"), "bob", true);
  ASSERT_TRUE(again);
  EXPECT_EQ(meta(*again, "resourceVersion"), meta(*forced, "resourceVersion"));
}

TEST_F(KubeClientTest, OwnerReferencesCascadeInBackgroundAndForeground) {
  auto owner = client_->create(kConfigMaps, "default", config_map("owner", "1"));
  ASSERT_TRUE(owner);
  auto child = config_map("child", "1");
  child.at("metadata").as_object()["ownerReferences"] =
      json::array{json::object{{"apiVersion", "v1"},
                               {"kind", "ConfigMap"},
                               {"name", "owner"},
                               {"uid", meta(*owner, "uid")}}};
  ASSERT_TRUE(client_->create(kConfigMaps, "default", child));
  ASSERT_TRUE(client_->remove(kConfigMaps, "default", "owner"));
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    gone = !client_->get(kConfigMaps, "default", "child");
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(gone) << "the dependent was not garbage collected";

  auto owner2 = client_->create(kConfigMaps, "default", config_map("owner2", "1"));
  auto child2 = config_map("child2", "1");
  child2.at("metadata").as_object()["ownerReferences"] =
      json::array{json::object{{"apiVersion", "v1"},
                               {"kind", "ConfigMap"},
                               {"name", "owner2"},
                               {"uid", meta(*owner2, "uid")},
                               {"blockOwnerDeletion", true}}};
  ASSERT_TRUE(client_->create(kConfigMaps, "default", child2));
  kube::DeleteOptions foreground;
  foreground.propagation_policy = "Foreground";
  auto deleting = client_->remove(kConfigMaps, "default", "owner2", foreground);
  ASSERT_TRUE(deleting);
  bool both_gone = false;
  for (int i = 0; i < 100 && !both_gone; ++i) {
    both_gone = !client_->get(kConfigMaps, "default", "owner2") &&
                !client_->get(kConfigMaps, "default", "child2");
    if (!both_gone) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(both_gone);
}

TEST_F(KubeClientTest, NamespaceDeletionRemovesItsContent) {
  ASSERT_TRUE(client_->create(
      kNamespaces, "",
      json::object{
          {"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "doomed"}}}}));
  ASSERT_TRUE(client_->create(kConfigMaps, "doomed", config_map("x", "1", "doomed")));
  ASSERT_TRUE(client_->remove(kNamespaces, "", "doomed"));
  auto refused = client_->create(kConfigMaps, "doomed", config_map("y", "1", "doomed"));
  // Either still terminating (403) or already gone (404): never created.
  ASSERT_FALSE(refused);
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    gone = !client_->get(kNamespaces, "", "doomed");
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(gone);
  EXPECT_FALSE(client_->get(kConfigMaps, "doomed", "x"));
}

TEST_F(KubeClientTest, DiscoveryFindsBuiltInAndCustomKinds) {
  auto cm = client_->resource_for("v1", "ConfigMap");
  ASSERT_TRUE(cm);
  EXPECT_EQ(cm->resource, "configmaps");
  EXPECT_TRUE(cm->namespaced);
  auto lease = client_->resource_for("coordination.k8s.io/v1", "Lease");
  ASSERT_TRUE(lease);
  EXPECT_EQ(lease->resource, "leases");
  auto missing = client_->resource_for("lambda.knative.io/v1alpha1", "LambdaAgent");
  EXPECT_FALSE(missing);
}

TEST_F(KubeClientTest, KeepAliveReusesConnections) {
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(client_->get(kNamespaces, "", "default"));
  EXPECT_LE(client_->connections_opened(), 2u);
}

}  // namespace
}  // namespace lambda

namespace lambda {
namespace {

TEST(ApiServerPersistence, RestartWithTheSameDataDirectoryKeepsEveryObject) {
  char tmpl[] = "/tmp/lambda-apiserver-data-XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  apiserver::ApiServerOptions options;
  options.data_dir = dir;
  std::string rv;
  {
    auto server = apiserver::ApiServer::start(options);
    ASSERT_TRUE(server) << server.error();
    auto client = kube::Client::create((*server)->connection());
    ASSERT_TRUE(client);
    for (int i = 0; i < 20; ++i)
      ASSERT_TRUE(
          (*client)->create(kConfigMaps, "default", config_map("p-" + std::to_string(i), "v")));
    auto last = (*client)->get(kConfigMaps, "default", "p-19");
    rv = meta(*last, "resourceVersion");
  }
  auto server = apiserver::ApiServer::start(options);
  ASSERT_TRUE(server) << server.error();
  auto client = kube::Client::create((*server)->connection());
  auto all = (*client)->list(kConfigMaps, "default");
  ASSERT_TRUE(all);
  EXPECT_EQ(all->at("items").as_array().size(), 20u);
  auto again = (*client)->get(kConfigMaps, "default", "p-19");
  ASSERT_TRUE(again);
  EXPECT_EQ(meta(*again, "resourceVersion"), rv);
  auto next = (*client)->create(kConfigMaps, "default", config_map("after", "v"));
  ASSERT_TRUE(next);
  EXPECT_GT(std::stoull(meta(*next, "resourceVersion")), std::stoull(rv));
  std::filesystem::remove_all(dir);
}

TEST(ApiServerMetrics, RequestTotalCountsWritesByVerbResourceAndCode) {
  auto server = apiserver::ApiServer::start({});
  ASSERT_TRUE(server) << server.error();
  auto client = kube::Client::create((*server)->connection());
  for (int i = 0; i < 7; ++i)
    ASSERT_TRUE(
        (*client)->create(kConfigMaps, "default", config_map("m-" + std::to_string(i), "v")));
  EXPECT_FALSE((*client)->create(kConfigMaps, "default", config_map("m-0", "v")));
  auto metrics = (*client)->request("GET", "/metrics");
  ASSERT_TRUE(metrics);
  const std::string& text = metrics->body;
  auto line_for = [&](const std::string& code) {
    std::string needle = "apiserver_request_total{code=\"" + code +
                         "\",component=\"apiserver\",group=\"\",resource=\"configmaps\",scope="
                         "\"namespace\",subresource=\"\",verb=\"POST\",version=\"v1\"} ";
    auto pos = text.find(needle);
    if (pos == std::string::npos) return std::string("missing");
    return text.substr(pos + needle.size(), text.find('\n', pos) - pos - needle.size());
  };
  EXPECT_EQ(line_for("201"), "7") << text;
  EXPECT_EQ(line_for("409"), "1") << text;
}

TEST(ApiServerAuth, RequestsWithoutTheTokenAreUnauthorized) {
  auto server = apiserver::ApiServer::start({});
  ASSERT_TRUE(server);
  auto connection = (*server)->connection();
  connection.bearer_token = "wrong";
  auto client = kube::Client::create(connection);
  auto r = (*client)->get(kNamespaces, "", "default");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 401);
  auto health = (*client)->request("GET", "/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->body, "ok");
}

}  // namespace
}  // namespace lambda

namespace lambda {
namespace {

TEST(ApiServerAuth, ClientCertificateIssuedByTheServerAuthenticates) {
  auto server = apiserver::ApiServer::start({});
  ASSERT_TRUE(server);
  auto cert = (*server)->issue_client_certificate("alice");
  ASSERT_TRUE(cert) << cert.error();
  auto connection = (*server)->connection();
  connection.bearer_token.clear();
  connection.client_cert_pem = cert->first;
  connection.client_key_pem = cert->second;
  auto client = kube::Client::create(connection);
  ASSERT_TRUE(client) << client.error();
  auto r = (*client)->get(kNamespaces, "", "default");
  ASSERT_TRUE(r) << r.error().message;
}

TEST(ApiServerAuth, WrittenKubeconfigLoadsAndConnectsWithTlsVerification) {
  auto server = apiserver::ApiServer::start({});
  ASSERT_TRUE(server);
  char tmpl[] = "/tmp/lambda-kubeconfig-XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  ASSERT_TRUE((*server)->write_kubeconfig(dir + "/config"));
  kube::KubeconfigOptions options;
  options.explicit_path = dir + "/config";
  auto loaded = kube::load_kubeconfig(options);
  ASSERT_TRUE(loaded) << loaded.error();
  EXPECT_FALSE(loaded->ca_pem.empty());
  EXPECT_FALSE(loaded->insecure_skip_tls_verify);
  auto client = kube::Client::create(*loaded);
  ASSERT_TRUE(client);
  EXPECT_TRUE((*client)->get(kNamespaces, "", "kube-system"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace lambda

namespace lambda {
namespace {

TEST(ApiServerOpenApi, PublishesVersionThreeDocumentsAndAVersionTwoDocument) {
  auto server = apiserver::ApiServer::start({});
  ASSERT_TRUE(server);
  auto client = kube::Client::create((*server)->connection());
  auto index = (*client)->request("GET", "/openapi/v3");
  ASSERT_TRUE(index);
  EXPECT_NE(index->body.find("\"api/v1\""), std::string::npos);
  EXPECT_NE(index->body.find("\"apis/apiextensions.k8s.io/v1\""), std::string::npos);
  auto core = (*client)->request("GET", "/openapi/v3/api/v1");
  ASSERT_TRUE(core);
  // kubectl leaves field validation to the server when a PATCH operation declares it.
  EXPECT_NE(core->body.find("\"fieldValidation\""), std::string::npos);
  EXPECT_NE(core->body.find("io.k8s.api.core.v1.ConfigMap"), std::string::npos);
  auto v2 = (*client)->request("GET", "/openapi/v2");
  ASSERT_TRUE(v2);
  EXPECT_NE(v2->body.find("\"swagger\":\"2.0\""), std::string::npos);
  EXPECT_NE(v2->body.find("#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"),
            std::string::npos);
}

}  // namespace
}  // namespace lambda

namespace lambda {
namespace {

class GarbageCollection : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = apiserver::ApiServer::start({});
    ASSERT_TRUE(started);
    server_ = std::move(*started);
    client_ = std::move(*kube::Client::create(server_->connection()));
  }
  json::value owned_by(const std::string& name, const std::vector<json::value>& owners) {
    auto cm = config_map(name, "1");
    json::array refs;
    for (const auto& o : owners)
      refs.push_back(json::object{{"apiVersion", "v1"},
                                  {"kind", "ConfigMap"},
                                  {"name", meta(o, "name")},
                                  {"uid", meta(o, "uid")},
                                  {"blockOwnerDeletion", true}});
    cm.at("metadata").as_object()["ownerReferences"] = std::move(refs);
    return *client_->create(kConfigMaps, "default", cm);
  }
  bool eventually_gone(const std::string& name) {
    for (int i = 0; i < 100; ++i) {
      if (!client_->get(kConfigMaps, "default", name)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(30));
    }
    return false;
  }
  std::unique_ptr<apiserver::ApiServer> server_;
  std::unique_ptr<kube::Client> client_;
};

TEST_F(GarbageCollection, ForegroundDeletionOfOneOwnerKeepsADependentAnotherOwnerHolds) {
  auto a = *client_->create(kConfigMaps, "default", config_map("a", "1"));
  auto b = *client_->create(kConfigMaps, "default", config_map("b", "1"));
  owned_by("d", {a, b});
  kube::DeleteOptions foreground;
  foreground.propagation_policy = "Foreground";
  ASSERT_TRUE(client_->remove(kConfigMaps, "default", "a", foreground));
  EXPECT_TRUE(eventually_gone("a"));
  auto d = client_->get(kConfigMaps, "default", "d");
  ASSERT_TRUE(d) << "a dependent with a live owner was deleted";
  const auto& refs = d->at("metadata").at("ownerReferences").as_array();
  ASSERT_EQ(refs.size(), 1u);
  EXPECT_EQ(refs[0].at("name").as_string(), "b");
}

TEST_F(GarbageCollection, OrphanPolicyKeepsDependentsAndDropsTheirReference) {
  auto owner = *client_->create(kConfigMaps, "default", config_map("o", "1"));
  owned_by("kept", {owner});
  kube::DeleteOptions orphan;
  orphan.propagation_policy = "Orphan";
  ASSERT_TRUE(client_->remove(kConfigMaps, "default", "o", orphan));
  EXPECT_TRUE(eventually_gone("o"));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto kept = client_->get(kConfigMaps, "default", "kept");
  ASSERT_TRUE(kept);
  EXPECT_FALSE(kept->at("metadata").as_object().contains("ownerReferences"));
}

TEST_F(GarbageCollection, OwnerReferenceWithoutUidIsRejected) {
  auto cm = config_map("bad-ref", "1");
  cm.at("metadata").as_object()["ownerReferences"] =
      json::array{json::object{{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"name", "x"}}};
  auto r = client_->create(kConfigMaps, "default", cm);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 422);
  EXPECT_EQ(r.error().causes.at(0).field, "metadata.ownerReferences[0].uid");
}

TEST(ApiServerRules, BuiltInNamespacesCannotBeDeletedAndSubresourcesCannotBeDeleted) {
  auto server = apiserver::ApiServer::start({});
  auto client = std::move(*kube::Client::create((*server)->connection()));
  auto r = client->remove(kNamespaces, "", "default");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 403);
  EXPECT_EQ(r.error().message,
            "namespaces \"default\" is forbidden: this namespace may not be deleted");
  auto sub = client->request("DELETE", "/api/v1/namespaces/kube-public/status");
  ASSERT_FALSE(sub);
  EXPECT_EQ(sub.error().code, 405);
}

TEST(ApiServerRules, WatchListSendsTheInitialStateThenAnEndBookmark) {
  auto server = apiserver::ApiServer::start({});
  auto client = std::move(*kube::Client::create((*server)->connection()));
  ASSERT_TRUE(client->create(kConfigMaps, "default", config_map("one", "1")));
  std::vector<std::string> seen;
  auto target =
      "/api/v1/namespaces/default/configmaps?watch=true&sendInitialEvents=true&"
      "resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=1";
  auto r = client->request("GET", target);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_NE(r->body.find("\"type\":\"ADDED\""), std::string::npos);
  EXPECT_NE(r->body.find("\"k8s.io/initial-events-end\":\"true\""), std::string::npos);
  auto refused = client->request(
      "GET", "/api/v1/namespaces/default/configmaps?watch=true&sendInitialEvents=true");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, 422);
}

}  // namespace
}  // namespace lambda
