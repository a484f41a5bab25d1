// AdmissionChain against real HTTPS webhooks on loopback (admission_test_util.h), with the
// configurations in an in-memory ObjectStore.
#include "apiserver/admission.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <future>
#include <thread>

#include "apiserver/admission_test_util.h"
#include "apiserver/object_store.h"
#include "apiserver/resource_registry.h"

namespace lambda::apiserver {
namespace {
namespace json = boost::json;
using testing::allow;
using testing::base64;
using testing::deny;
using testing::patch_with;
using testing::review_response;
using testing::webhook;
using testing::webhook_configuration;
using testing::WebhookServer;

constexpr const char* kMutating = "MutatingWebhookConfiguration";
constexpr const char* kValidating = "ValidatingWebhookConfiguration";

ResourceType make_type(std::string group, std::string resource, std::string kind, bool namespaced) {
  ResourceType t;
  t.group = std::move(group);
  t.version = "v1";
  t.resource = std::move(resource);
  t.kind = std::move(kind);
  t.namespaced = namespaced;
  return t;
}

json::value config_map(const std::string& name, json::object labels = {}) {
  return json::object{{"apiVersion", "v1"},
                      {"kind", "ConfigMap"},
                      {"metadata", {{"name", name}, {"namespace", "default"}, {"labels", labels}}},
                      {"data", {{"k", "v"}}}};
}

std::string label(const json::value& object, const std::string& key) {
  auto* labels = object.at("metadata").as_object().if_contains("labels");
  if (!labels || !labels->is_object()) return "";
  auto* v = labels->as_object().if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : "";
}

class AdmissionChainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = ObjectStore::open({}).value();
    add_namespace("default", {});
    add_namespace("team-a", {{"team", "a"}});
    add_namespace("team-b", {{"team", "b"}});
    chain_ = std::make_unique<AdmissionChain>(*store_, options_);
  }

  void add_namespace(const std::string& name, json::object labels) {
    labels["kubernetes.io/metadata.name"] = name;
    ASSERT_TRUE(store_->create(
        {"/namespaces", "", name},
        json::object{{"apiVersion", "v1"},
                     {"kind", "Namespace"},
                     {"metadata", {{"name", name}, {"labels", std::move(labels)}}}}));
  }

  // Stores (or replaces) a configuration, as a client writing it through the API would.
  void put_config(const std::string& kind, const std::string& name, json::array webhooks) {
    std::string collection = std::string("admissionregistration.k8s.io/") +
                             (kind == kMutating ? "mutating" : "validating") +
                             "webhookconfigurations";
    ObjectKey key{collection, "", name};
    auto object = webhook_configuration(kind, name, std::move(webhooks));
    if (store_->get(key))
      ASSERT_TRUE(store_->update(key, 0, std::move(object)));
    else
      ASSERT_TRUE(store_->create(key, std::move(object)));
  }

  void remove_config(const std::string& kind, const std::string& name) {
    std::string collection = std::string("admissionregistration.k8s.io/") +
                             (kind == kMutating ? "mutating" : "validating") +
                             "webhookconfigurations";
    ASSERT_TRUE(store_->remove({collection, "", name}, 0));
  }

  AdmissionRequest request(AdmissionOperation op, json::value object,
                           const json::value* old = nullptr, const ResourceType* type = nullptr,
                           std::string ns = "default") {
    AdmissionRequest r;
    r.operation = op;
    r.type = type ? type : &config_maps_;
    r.namespace_name = std::move(ns);
    const json::value& named = object.is_null() ? *old : object;
    r.name = std::string(named.at("metadata").at("name").as_string());
    r.object = std::move(object);
    r.old_object = old;
    r.options = admission_options(op, false, "test");
    return r;
  }

  AdmissionRequest create(json::value object) {
    return request(AdmissionOperation::kCreate, std::move(object));
  }

  // A port nothing listens on: a server's, after it stopped.
  static std::uint16_t closed_port() {
    auto s = http::Server::start({}, [](std::shared_ptr<http::Exchange>) {}).value();
    auto port = s->port();
    s->stop(std::chrono::milliseconds(0));
    return port;
  }

  AdmissionOptions options_;
  std::unique_ptr<ObjectStore> store_;
  std::unique_ptr<AdmissionChain> chain_;
  ResourceType config_maps_ = make_type("", "configmaps", "ConfigMap", true);
};

TEST_F(AdmissionChainTest, MutatingWebhookPatchIsAppliedAndSeesAFullAdmissionReview) {
  auto hook = WebhookServer::start([](const std::string&, const json::value& review) {
    return patch_with(review,
                      json::array{json::object{
                          {"op", "add"}, {"path", "/metadata/labels/added"}, {"value", "yes"}}});
  });
  put_config(kMutating, "labeler",
             json::array{webhook("label.example.com", hook->url("/mutate"), hook->ca_bundle())});

  auto result = chain_->mutate(create(config_map("c1")));
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(label(result->object, "added"), "yes");
  EXPECT_EQ(result->object.at("data").at("k").as_string(), "v");

  ASSERT_EQ(hook->calls(), 1u);
  EXPECT_EQ(hook->last_target(), "/mutate?timeout=10s");
  auto review = hook->reviews()[0];
  EXPECT_EQ(review.at("apiVersion").as_string(), "admission.k8s.io/v1");
  EXPECT_EQ(review.at("kind").as_string(), "AdmissionReview");
  const auto& r = review.at("request");
  EXPECT_FALSE(r.at("uid").as_string().empty());
  EXPECT_EQ(r.at("kind"), (json::value{{"group", ""}, {"version", "v1"}, {"kind", "ConfigMap"}}));
  EXPECT_EQ(r.at("resource"),
            (json::value{{"group", ""}, {"version", "v1"}, {"resource", "configmaps"}}));
  EXPECT_EQ(r.at("requestKind"), r.at("kind"));
  EXPECT_EQ(r.at("requestResource"), r.at("resource"));
  EXPECT_FALSE(r.as_object().contains("subResource"));
  EXPECT_EQ(r.at("name").as_string(), "c1");
  EXPECT_EQ(r.at("namespace").as_string(), "default");
  EXPECT_EQ(r.at("operation").as_string(), "CREATE");
  EXPECT_EQ(r.at("userInfo").at("username").as_string(), "admin");
  EXPECT_EQ(r.at("userInfo").at("groups"), (json::array{"system:masters", "system:authenticated"}));
  EXPECT_EQ(r.at("object"), config_map("c1"));
  EXPECT_TRUE(r.at("oldObject").is_null());
  EXPECT_EQ(r.at("dryRun"), json::value(false));
  EXPECT_EQ(r.at("options").at("kind").as_string(), "CreateOptions");
  EXPECT_EQ(r.at("options").at("fieldManager").as_string(), "test");
}

TEST_F(AdmissionChainTest,
       MutatingWebhooksRunByConfigurationNameThenWebhookOrderOnThePatchedObject) {
  // Each webhook appends its path to an annotation it finds already set by the previous ones.
  auto hook = WebhookServer::start([](const std::string& path, const json::value& review) {
    const auto& meta = review.at("request").at("object").at("metadata").as_object();
    auto* ann = meta.if_contains("annotations");
    if (!ann)
      return patch_with(review, json::array{json::object{{"op", "add"},
                                                         {"path", "/metadata/annotations"},
                                                         {"value", {{"order", path}}}}});
    std::string order = std::string(ann->at("order").as_string()) + path;
    return patch_with(
        review, json::array{json::object{
                    {"op", "replace"}, {"path", "/metadata/annotations/order"}, {"value", order}}});
  });
  std::string ca = hook->ca_bundle();
  put_config(kMutating, "b-second", json::array{webhook("b1.example.com", hook->url("/b1"), ca)});
  put_config(kMutating, "a-first",
             json::array{webhook("a1.example.com", hook->url("/a1"), ca),
                         webhook("a2.example.com", hook->url("/a2"), ca)});

  auto result = chain_->mutate(create(config_map("c1")));
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->object.at("metadata").at("annotations").at("order").as_string(), "/a1/a2/b1");
}

TEST_F(AdmissionChainTest, ValidatingWebhookDenialCarriesItsCodeAndMessage) {
  auto hook = WebhookServer::start([](const std::string& path, const json::value& review) {
    if (path == "/coded") return deny(review, "names must start with team-", 422);
    if (path == "/reason")
      return review_response(review, {{"allowed", false}, {"status", {{"reason", "NotPolite"}}}});
    return review_response(review, {{"allowed", false}});
  });
  std::string ca = hook->ca_bundle();

  put_config(kValidating, "v", json::array{webhook("coded.example.com", hook->url("/coded"), ca)});
  auto coded = chain_->validate(create(config_map("c1")));
  ASSERT_FALSE(coded);
  EXPECT_EQ(coded.error().code, 422);
  EXPECT_EQ(coded.error().message,
            "admission webhook \"coded.example.com\" denied the request: names must start with "
            "team-");

  put_config(kValidating, "v",
             json::array{webhook("reason.example.com", hook->url("/reason"), ca)});
  auto reasoned = chain_->validate(create(config_map("c1")));
  ASSERT_FALSE(reasoned);
  EXPECT_EQ(reasoned.error().code, 403);
  EXPECT_EQ(reasoned.error().reason, "NotPolite");
  EXPECT_EQ(reasoned.error().message,
            "admission webhook \"reason.example.com\" denied the request: NotPolite");

  put_config(kValidating, "v", json::array{webhook("bare.example.com", hook->url("/bare"), ca)});
  auto bare = chain_->validate(create(config_map("c1")));
  ASSERT_FALSE(bare);
  EXPECT_EQ(bare.error().code, 403);
  EXPECT_EQ(bare.error().message,
            "admission webhook \"bare.example.com\" denied the request without explanation");
}

TEST_F(AdmissionChainTest, UnreachableWebhookFailsTheRequestUnderFailurePolicyFail) {
  std::string url = "https://127.0.0.1:" + std::to_string(closed_port()) + "/check";
  put_config(kValidating, "v", json::array{webhook("down.example.com", url, "")});

  auto result = chain_->validate(create(config_map("c1")));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, 500);
  EXPECT_EQ(result.error().reason, "InternalError");
  EXPECT_TRUE(result.error().message.starts_with(
      "Internal error occurred: failed calling webhook \"down.example.com\": failed to call "
      "webhook: Post \"" +
      url + "?timeout=10s\": "))
      << result.error().message;
}

TEST_F(AdmissionChainTest, UnreachableWebhookIsSkippedUnderFailurePolicyIgnore) {
  std::string url = "https://127.0.0.1:" + std::to_string(closed_port()) + "/";
  put_config(kValidating, "v",
             json::array{webhook("down.example.com", url, "", {{"failurePolicy", "Ignore"}})});
  put_config(kMutating, "m",
             json::array{webhook("down.example.com", url, "", {{"failurePolicy", "Ignore"}})});

  auto result = chain_->admit(create(config_map("c1")));
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->object, config_map("c1"));
}

TEST_F(AdmissionChainTest, WebhookThatDoesNotAnswerInTimeIsACallFailure) {
  options_.max_timeout = std::chrono::milliseconds(200);
  SetUp();
  auto hook = WebhookServer::start(
      [](const std::string&, const json::value& review) { return allow(review); });
  hook->hang();
  put_config(kValidating, "v",
             json::array{webhook("slow.example.com", hook->url(), hook->ca_bundle(),
                                 {{"timeoutSeconds", 1}})});

  auto started = std::chrono::steady_clock::now();
  auto result = chain_->validate(create(config_map("c1")));
  auto took = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, 500);
  EXPECT_EQ(result.error().message,
            "Internal error occurred: failed calling webhook \"slow.example.com\": failed to call "
            "webhook: Post \"" +
                hook->url() + "?timeout=1s\": context deadline exceeded");
  EXPECT_LT(took, std::chrono::seconds(2));

  put_config(kValidating, "v",
             json::array{webhook("slow.example.com", hook->url(), hook->ca_bundle(),
                                 {{"timeoutSeconds", 1}, {"failurePolicy", "Ignore"}})});
  EXPECT_TRUE(chain_->validate(create(config_map("c1"))));
}

TEST_F(AdmissionChainTest, RulesSelectOperationsGroupsVersionsResourcesAndScope) {
  auto hook = WebhookServer::start(
      [](const std::string&, const json::value& review) { return deny(review, "matched"); });
  ResourceType namespaces = make_type("", "namespaces", "Namespace", false);
  json::value ns_object =
      json::object{{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "new-ns"}}}};
  struct Case {
    const char* what;
    json::object rule;
    bool namespace_request;
    bool called;
  };
  auto rule = [](json::array ops, json::array groups, json::array versions, json::array resources,
                 const char* scope = nullptr) {
    json::object r{{"operations", std::move(ops)},
                   {"apiGroups", std::move(groups)},
                   {"apiVersions", std::move(versions)},
                   {"resources", std::move(resources)}};
    if (scope) r["scope"] = scope;
    return r;
  };
  std::vector<Case> cases = {
      {"exact", rule({"CREATE"}, {""}, {"v1"}, {"configmaps"}), false, true},
      {"other operation", rule({"UPDATE", "DELETE"}, {""}, {"v1"}, {"configmaps"}), false, false},
      {"any operation", rule({"*"}, {""}, {"v1"}, {"configmaps"}), false, true},
      {"other group", rule({"*"}, {"apps"}, {"v1"}, {"configmaps"}), false, false},
      {"any group", rule({"*"}, {"*"}, {"v1"}, {"configmaps"}), false, true},
      {"other version", rule({"*"}, {""}, {"v2"}, {"configmaps"}), false, false},
      {"any version", rule({"*"}, {""}, {"*"}, {"configmaps"}), false, true},
      {"other resource", rule({"*"}, {""}, {"v1"}, {"secrets"}), false, false},
      {"any resource", rule({"*"}, {""}, {"v1"}, {"*"}), false, true},
      {"namespaced scope", rule({"*"}, {""}, {"v1"}, {"*"}, "Namespaced"), false, true},
      {"cluster scope", rule({"*"}, {""}, {"v1"}, {"*"}, "Cluster"), false, false},
      {"Namespace is cluster-scoped", rule({"*"}, {""}, {"v1"}, {"*"}, "Cluster"), true, true},
      {"Namespace is not namespaced", rule({"*"}, {""}, {"v1"}, {"*"}, "Namespaced"), true, false},
  };
  for (const auto& c : cases) {
    put_config(kValidating, "v",
               json::array{webhook("rules.example.com", hook->url(), hook->ca_bundle(),
                                   {{"rules", json::array{c.rule}}})});
    auto r = c.namespace_request ? chain_->validate(request(AdmissionOperation::kCreate, ns_object,
                                                            nullptr, &namespaces, ""))
                                 : chain_->validate(create(config_map("c1")));
    EXPECT_EQ(!r, c.called) << c.what;
    if (!r) {
      EXPECT_EQ(r.error().message,
                "admission webhook \"rules.example.com\" denied the request: matched")
          << c.what;
    }
  }
}

TEST_F(AdmissionChainTest, SubresourceRulesNameTheSubresource) {
  auto hook = WebhookServer::start(
      [](const std::string&, const json::value& review) { return deny(review, "matched"); });
  ResourceType pods = make_type("", "pods", "Pod", true);
  json::value pod = json::object{{"apiVersion", "v1"},
                                 {"kind", "Pod"},
                                 {"metadata", {{"name", "p"}, {"namespace", "default"}}}};
  struct Case {
    const char* resource;
    bool main;
    bool status;
  };
  for (const auto& c : std::vector<Case>{{"pods", true, false},
                                         {"pods/status", false, true},
                                         {"pods/*", true, true},
                                         {"*", true, false},
                                         {"*/status", false, true},
                                         {"*/*", true, true}}) {
    put_config(
        kValidating, "v",
        json::array{webhook(
            "sub.example.com", hook->url(), hook->ca_bundle(),
            {{"rules", json::array{json::object{{"operations", json::array{"UPDATE"}},
                                                {"apiGroups", json::array{""}},
                                                {"apiVersions", json::array{"v1"}},
                                                {"resources", json::array{c.resource}}}}}})});
    auto main = request(AdmissionOperation::kUpdate, pod, &pod, &pods);
    auto status = request(AdmissionOperation::kUpdate, pod, &pod, &pods);
    status.subresource = "status";
    EXPECT_EQ(!chain_->validate(main), c.main) << c.resource;
    EXPECT_EQ(!chain_->validate(status), c.status) << c.resource << " on pods/status";
  }
  auto reviews = hook->reviews();
  ASSERT_FALSE(reviews.empty());
  EXPECT_EQ(reviews.back().at("request").at("subResource").as_string(), "status");
}

TEST_F(AdmissionChainTest, NamespaceSelectorReadsTheLabelsOfTheObjectsNamespace) {
  auto hook = WebhookServer::start(
      [](const std::string&, const json::value& review) { return deny(review, "matched"); });
  put_config(kValidating, "v",
             json::array{
                 webhook("ns.example.com", hook->url(), hook->ca_bundle(),
                         {{"namespaceSelector", {{"matchLabels", {{"team", "a"}}}}},
                          {"rules", json::array{json::object{{"operations", json::array{"*"}},
                                                             {"apiGroups", json::array{"*"}},
                                                             {"apiVersions", json::array{"*"}},
                                                             {"resources", json::array{"*"}}}}}})});
  auto in = [&](const std::string& ns) {
    auto object = config_map("c1");
    object.at("metadata").as_object()["namespace"] = ns;
    return request(AdmissionOperation::kCreate, object, nullptr, nullptr, ns);
  };
  EXPECT_FALSE(chain_->validate(in("team-a")));
  EXPECT_TRUE(chain_->validate(in("team-b")));
  EXPECT_TRUE(chain_->validate(in("default")));

  // Cluster-scoped kinds are not exempted by a namespace selector...
  ResourceType crds = make_type("apiextensions.k8s.io", "customresourcedefinitions",
                                "CustomResourceDefinition", false);
  json::value crd = json::object{{"metadata", {{"name", "things.example.com"}}}};
  EXPECT_FALSE(chain_->validate(request(AdmissionOperation::kCreate, crd, nullptr, &crds, "")));
  // ...but a Namespace is judged by its own labels.
  ResourceType namespaces = make_type("", "namespaces", "Namespace", false);
  json::value ns_a = json::object{{"metadata", {{"name", "x"}, {"labels", {{"team", "a"}}}}}};
  json::value ns_c = json::object{{"metadata", {{"name", "y"}, {"labels", {{"team", "c"}}}}}};
  EXPECT_FALSE(
      chain_->validate(request(AdmissionOperation::kCreate, ns_a, nullptr, &namespaces, "")));
  EXPECT_TRUE(
      chain_->validate(request(AdmissionOperation::kCreate, ns_c, nullptr, &namespaces, "")));
}

TEST_F(AdmissionChainTest, ObjectSelectorMatchesTheNewOrTheOldObject) {
  auto hook = WebhookServer::start(
      [](const std::string&, const json::value& review) { return deny(review, "matched"); });
  put_config(kValidating, "v",
             json::array{webhook(
                 "obj.example.com", hook->url(), hook->ca_bundle(),
                 {{"objectSelector",
                   {{"matchExpressions",
                     json::array{json::object{{"key", "guarded"}, {"operator", "Exists"}}}}}}})});
  auto guarded = config_map("c1", {{"guarded", "true"}});
  auto plain = config_map("c1");
  EXPECT_FALSE(chain_->validate(create(guarded)));
  EXPECT_TRUE(chain_->validate(create(plain)));
  // Removing the label is still seen: the old object matches.
  EXPECT_FALSE(chain_->validate(request(AdmissionOperation::kUpdate, plain, &guarded)));
  EXPECT_FALSE(chain_->validate(request(AdmissionOperation::kDelete, nullptr, &guarded)));
  EXPECT_TRUE(chain_->validate(request(AdmissionOperation::kDelete, nullptr, &plain)));
}

TEST_F(AdmissionChainTest, DryRunNeedsSideEffectsNoneOrNoneOnDryRun) {
  auto hook = WebhookServer::start(
      [](const std::string&, const json::value& review) { return allow(review); });
  std::string ca = hook->ca_bundle();
  auto dry = create(config_map("c1"));
  dry.dry_run = true;
  dry.options = admission_options(AdmissionOperation::kCreate, true, "test");

  put_config(
      kValidating, "v",
      json::array{webhook("effects.example.com", hook->url(), ca, {{"sideEffects", "Some"}})});
  auto refused = chain_->validate(dry);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, 400);
  EXPECT_EQ(refused.error().reason, "BadRequest");
  EXPECT_EQ(refused.error().message,
            "admission webhook \"effects.example.com\" does not support dry run");
  EXPECT_EQ(hook->calls(), 0u);
  // Not a dry run: the webhook is called.
  EXPECT_TRUE(chain_->validate(create(config_map("c1"))));
  EXPECT_EQ(hook->calls(), 1u);

  put_config(kValidating, "v",
             json::array{webhook("effects.example.com", hook->url(), ca,
                                 {{"sideEffects", "NoneOnDryRun"}})});
  ASSERT_TRUE(chain_->validate(dry));
  auto review = hook->reviews().back();
  EXPECT_EQ(review.at("request").at("dryRun"), json::value(true));
  EXPECT_EQ(review.at("request").at("options").at("dryRun"), (json::array{"All"}));
}

TEST_F(AdmissionChainTest, WarningsOfEveryWebhookAreReturnedAndUnsafeOnesDropped) {
  auto hook = WebhookServer::start([](const std::string& path, const json::value& review) {
    if (path == "/m")
      return review_response(
          review,
          {{"allowed", true},
           {"warnings", json::array{"from mutating", "injected\r\nX: y", "", "from mutating",
                                    "next\xC2\x85line", std::string(5000, 'w'), "na\xC3\xAFve"}}});
    return review_response(review,
                           {{"allowed", true}, {"warnings", json::array{"from validating"}}});
  });
  put_config(kMutating, "m",
             json::array{webhook("m.example.com", hook->url("/m"), hook->ca_bundle())});
  put_config(kValidating, "v",
             json::array{webhook("v.example.com", hook->url("/v"), hook->ca_bundle())});
  auto result = chain_->admit(create(config_map("c1")));
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->warnings,
            (std::vector<std::string>{"from mutating", "na\xC3\xAFve", "from validating"}));
}

TEST_F(AdmissionChainTest, ResponseWithAnotherUidIsACallFailure) {
  auto hook = WebhookServer::start([](const std::string&, const json::value& review) {
    json::value other = review;
    other.at("request").as_object()["uid"] = "not-the-one";
    return allow(other);
  });
  put_config(kValidating, "v",
             json::array{webhook("uid.example.com", hook->url(), hook->ca_bundle())});
  auto result = chain_->validate(create(config_map("c1")));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, 500);
  std::string uid(hook->reviews()[0].at("request").at("uid").as_string());
  EXPECT_EQ(result.error().message,
            "Internal error occurred: failed calling webhook \"uid.example.com\": received invalid "
            "webhook response: expected response.uid=\"" +
                uid + "\", got \"not-the-one\"");
}

TEST_F(AdmissionChainTest, HostileResponsesFailTheRequestAndNeverCrash) {
  auto raw = [](int status, std::string body) {
    http::Response r;
    r.status = status;
    r.body = std::move(body);
    return r;
  };
  std::string deep(5000, '[');
  std::vector<std::function<http::Response(const json::value&)>> answers = {
      [&](const json::value&) { return raw(200, "not json"); },
      [&](const json::value&) { return raw(200, deep); },
      [&](const json::value&) { return raw(200, "[1,2,3]"); },
      [&](const json::value&) { return raw(500, "{}"); },
      [&](const json::value&) { return raw(200, "{\"response\": 7}"); },
      [&](const json::value& r) {
        return review_response(r, {{"allowed", "yes"}});
      },
      [&](const json::value& r) {
        return review_response(r, {{"allowed", false}, {"status", "nope"}});
      },
      [&](const json::value& r) {
        return review_response(r, {{"allowed", true}, {"warnings", json::array{1, 2}}});
      },
      [&](const json::value& r) {
        return review_response(r,
                               {{"allowed", true}, {"patchType", "JSONPatch"}, {"patch", "%%%"}});
      },
      [&](const json::value& r) {
        return review_response(r, {{"allowed", true}, {"patch", base64("[]")}});
      },
      [&](const json::value& r) {
        return review_response(
            r, {{"allowed", true}, {"patchType", "MergePatch"}, {"patch", base64("{}")}});
      },
      [&](const json::value& r) {
        return review_response(
            r, {{"allowed", true}, {"patchType", "JSONPatch"}, {"patch", base64("{not json")}});
      },
      [&](const json::value& r) {
        return review_response(
            r,
            {{"allowed", true}, {"patchType", "JSONPatch"}, {"patch", base64("{\"op\":\"add\"}")}});
      },
      [&](const json::value& r) {
        return patch_with(
            r, json::array{json::object{{"op", "test"}, {"path", "/data/k"}, {"value", "other"}}});
      },
      [&](const json::value& r) {
        return patch_with(
            r, json::array{json::object{{"op", "replace"}, {"path", ""}, {"value", "a string"}}});
      },
      [&](const json::value& r) {
        return patch_with(
            r, json::array{json::object{{"op", "replace"}, {"path", "/metadata"}, {"value", 3}}});
      },
      [&](const json::value& r) {
        return patch_with(
            r, json::array{json::object{
                   {"op", "replace"}, {"path", "/metadata/namespace"}, {"value", "kube-system"}}});
      },
      [&](const json::value& r) {
        return patch_with(r, json::array{json::object{
                                 {"op", "replace"}, {"path", "/kind"}, {"value", "Secret"}}});
      },
      [&](const json::value& r) {
        return patch_with(r,
                          json::array{json::object{{"op", "remove"}, {"path", "/metadata/name"}}});
      },
  };
  std::size_t which = 0;
  std::mutex mutex;
  auto hook = WebhookServer::start([&](const std::string&, const json::value& review) {
    std::lock_guard lock(mutex);
    return answers[which](review);
  });
  put_config(kMutating, "m",
             json::array{webhook("hostile.example.com", hook->url(), hook->ca_bundle())});
  for (std::size_t i = 0; i < answers.size(); ++i) {
    {
      std::lock_guard lock(mutex);
      which = i;
    }
    auto result = chain_->mutate(create(config_map("c1")));
    ASSERT_FALSE(result) << "answer " << i << " was accepted";
    EXPECT_EQ(result.error().code, 500) << "answer " << i << ": " << result.error().message;
    EXPECT_EQ(result.error().reason, "InternalError") << "answer " << i;
  }
  // The same answers from a webhook that may fail are ignored where they are call failures; the
  // rest (patches that cannot apply) still fail the request, as in kube-apiserver.
  std::size_t ignored = 0;
  put_config(kMutating, "m",
             json::array{webhook("hostile.example.com", hook->url(), hook->ca_bundle(),
                                 {{"failurePolicy", "Ignore"}})});
  for (std::size_t i = 0; i < answers.size(); ++i) {
    {
      std::lock_guard lock(mutex);
      which = i;
    }
    auto result = chain_->mutate(create(config_map("c1")));
    if (result) {
      ++ignored;
      EXPECT_EQ(result->object, config_map("c1")) << "answer " << i;
    }
  }
  EXPECT_EQ(ignored, 11u);
}

TEST_F(AdmissionChainTest, DeleteSendsTheDeletedObjectAsOldObjectAndCannotBePatched) {
  auto hook = WebhookServer::start([](const std::string& path, const json::value& review) {
    if (path == "/patch")
      return patch_with(
          review,
          json::array{json::object{{"op", "add"}, {"path", "/metadata/labels/x"}, {"value", "y"}}});
    return allow(review);
  });
  auto gone = config_map("c1");
  put_config(kValidating, "v",
             json::array{webhook("v.example.com", hook->url(), hook->ca_bundle())});
  auto del = request(AdmissionOperation::kDelete, nullptr, &gone);
  del.options = admission_options(AdmissionOperation::kDelete, false, "", "Foreground");
  ASSERT_TRUE(chain_->admit(del));
  auto r = hook->reviews().back().at("request");
  EXPECT_EQ(r.at("operation").as_string(), "DELETE");
  EXPECT_TRUE(r.at("object").is_null());
  EXPECT_EQ(r.at("oldObject"), gone);
  EXPECT_EQ(r.at("options").at("kind").as_string(), "DeleteOptions");
  EXPECT_EQ(r.at("options").at("propagationPolicy").as_string(), "Foreground");

  put_config(kMutating, "m",
             json::array{webhook("m.example.com", hook->url("/patch"), hook->ca_bundle())});
  auto patched = chain_->admit(request(AdmissionOperation::kDelete, nullptr, &gone));
  ASSERT_FALSE(patched);
  EXPECT_EQ(patched.error().code, 500);
  EXPECT_EQ(patched.error().message,
            "Internal error occurred: admission webhook \"m.example.com\" attempted to modify the "
            "object, which is not supported for this operation");
}

TEST_F(AdmissionChainTest, WebhookConfigurationKindsAreNeverSentToWebhooks) {
  auto hook = WebhookServer::start(
      [](const std::string&, const json::value& review) { return deny(review, "no"); });
  json::object everything{{"rules", json::array{json::object{{"operations", json::array{"*"}},
                                                             {"apiGroups", json::array{"*"}},
                                                             {"apiVersions", json::array{"*"}},
                                                             {"resources", json::array{"*"}}}}}};
  put_config(kValidating, "v",
             json::array{webhook("all.example.com", hook->url(), hook->ca_bundle(), everything)});
  ResourceType vwc = make_type("admissionregistration.k8s.io", "validatingwebhookconfigurations",
                               kValidating, false);
  json::value config = webhook_configuration(kValidating, "other", json::array{});
  EXPECT_TRUE(chain_->validate(request(AdmissionOperation::kCreate, config, nullptr, &vwc, "")));
  EXPECT_TRUE(chain_->validate(request(AdmissionOperation::kDelete, nullptr, &config, &vwc, "")));
  EXPECT_EQ(hook->calls(), 0u);
  EXPECT_FALSE(chain_->validate(create(config_map("c1"))));
}

TEST_F(AdmissionChainTest, ServiceReferencesAreUnreachableUnlessResolved) {
  auto hook = WebhookServer::start(
      [](const std::string&, const json::value& review) { return deny(review, "via service"); },
      {"hook.webhooks.svc"});
  json::object by_service{
      {"clientConfig",
       {{"service",
         {{"namespace", "webhooks"}, {"name", "hook"}, {"path", "/check"}, {"port", 8443}}},
        {"caBundle", hook->ca_bundle()}}}};
  put_config(kValidating, "v", json::array{webhook("svc.example.com", "", "", by_service)});

  auto unreachable = chain_->validate(create(config_map("c1")));
  ASSERT_FALSE(unreachable);
  EXPECT_EQ(unreachable.error().code, 500);
  EXPECT_EQ(unreachable.error().message,
            "Internal error occurred: failed calling webhook \"svc.example.com\": failed to call "
            "webhook: Post \"https://hook.webhooks.svc:8443/check?timeout=10s\": service "
            "\"webhooks/hook\" cannot be reached: the embedded API server has no cluster network");

  options_.resolve_service = [&](std::string_view ns, std::string_view name,
                                 int port) -> std::optional<std::string> {
    if (ns == "webhooks" && name == "hook" && port == 8443) return hook->base_url();
    return std::nullopt;
  };
  chain_ = std::make_unique<AdmissionChain>(*store_, options_);
  auto resolved = chain_->validate(create(config_map("c1")));
  ASSERT_FALSE(resolved);
  EXPECT_EQ(resolved.error().message,
            "admission webhook \"svc.example.com\" denied the request: via service");
  EXPECT_EQ(hook->paths().back(), "/check");
}

TEST_F(AdmissionChainTest, ConfigurationChangesApplyToTheNextRequest) {
  auto hook = WebhookServer::start(
      [](const std::string&, const json::value& review) { return deny(review, "no"); });
  EXPECT_TRUE(chain_->validate(create(config_map("c1"))));
  put_config(kValidating, "v",
             json::array{webhook("v.example.com", hook->url(), hook->ca_bundle())});
  EXPECT_FALSE(chain_->validate(create(config_map("c1"))));
  remove_config(kValidating, "v");
  EXPECT_TRUE(chain_->validate(create(config_map("c1"))));
  EXPECT_EQ(hook->calls(), 1u);
}

TEST_F(AdmissionChainTest, RepeatedCallsReuseOneConnection) {
  auto hook = WebhookServer::start(
      [](const std::string&, const json::value& review) { return allow(review); });
  put_config(kValidating, "v",
             json::array{webhook("v.example.com", hook->url(), hook->ca_bundle())});
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(chain_->validate(create(config_map("c1"))));
  EXPECT_EQ(hook->calls(), 10u);
  EXPECT_EQ(hook->distinct_peers(), 1u);
}

TEST_F(AdmissionChainTest, MalformedWebhooksFailTheirCallsUnderTheirFailurePolicy) {
  auto hook = WebhookServer::start(
      [](const std::string&, const json::value& review) { return allow(review); });
  std::string ca = hook->ca_bundle();
  struct Case {
    json::object fields;
    std::string reason;
  };
  std::vector<Case> cases = {
      {{{"admissionReviewVersions", json::array{"v1beta1"}}},
       "could not create admission objects: webhook does not accept known AdmissionReview "
       "versions (this server sends v1)"},
      {{{"clientConfig", {{"url", hook->url()}, {"caBundle", "!!"}}}},
       "could not get REST client: caBundle is not valid base64"},
      {{{"clientConfig", {{"url", "http://127.0.0.1:1/"}}}},
       "could not get REST client: invalid URL: 'https' is the only allowed URL scheme"},
      {{{"clientConfig", json::object{}}},
       "could not get REST client: clientConfig needs exactly one of url and service"},
      {{{"objectSelector", {{"matchLabels", {{"bad key!", "x"}}}}}}, ""},
  };
  for (const auto& c : cases) {
    put_config(kValidating, "v",
               json::array{webhook("bad.example.com", hook->url(), ca, c.fields)});
    auto r = chain_->validate(create(config_map("c1")));
    ASSERT_FALSE(r) << c.reason;
    EXPECT_EQ(r.error().code, 500);
    if (!c.reason.empty()) {
      EXPECT_EQ(r.error().message,
                "Internal error occurred: failed calling webhook \"bad.example.com\": " + c.reason);
    }
    auto ignoring = c.fields;
    ignoring["failurePolicy"] = "Ignore";
    put_config(kValidating, "v",
               json::array{webhook("bad.example.com", hook->url(), ca, ignoring)});
    EXPECT_TRUE(chain_->validate(create(config_map("c1")))) << c.reason;
  }
  EXPECT_EQ(hook->calls(), 0u);
}

TEST_F(AdmissionChainTest, ShutdownEndsACallInFlightAtOnce) {
  auto hook = WebhookServer::start(
      [](const std::string&, const json::value& review) { return allow(review); });
  hook->hang();
  put_config(kValidating, "v",
             json::array{webhook("slow.example.com", hook->url(), hook->ca_bundle(),
                                 {{"timeoutSeconds", 30}})});
  auto started = std::chrono::steady_clock::now();
  auto pending =
      std::async(std::launch::async, [&] { return chain_->validate(create(config_map("c1"))); });
  while (hook->calls() == 0 && std::chrono::steady_clock::now() - started < std::chrono::seconds(5))
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  chain_->shutdown();
  auto result = pending.get();
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, 500);
  EXPECT_NE(result.error().message.find("shutting down"), std::string::npos)
      << result.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

TEST(AdmissionOptions, DescribeTheOperationAsKubeApiserverDoes) {
  EXPECT_EQ(admission_options(AdmissionOperation::kCreate, true, "kubectl"),
            (json::value{{"kind", "CreateOptions"},
                         {"apiVersion", "meta.k8s.io/v1"},
                         {"dryRun", json::array{"All"}},
                         {"fieldManager", "kubectl"}}));
  EXPECT_EQ(admission_options(AdmissionOperation::kDelete, false, "ignored", "Orphan"),
            (json::value{{"kind", "DeleteOptions"},
                         {"apiVersion", "meta.k8s.io/v1"},
                         {"propagationPolicy", "Orphan"}}));
  EXPECT_TRUE(admission_exempt("admissionregistration.k8s.io", "mutatingwebhookconfigurations"));
  EXPECT_FALSE(admission_exempt("", "configmaps"));
}

}  // namespace
}  // namespace lambda::apiserver
