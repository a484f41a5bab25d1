// Admission webhooks end to end: configurations created through the API with the real kube
// client, an HTTPS webhook server on loopback, and the embedded API server calling it on writes.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "apiserver/admission_test_util.h"
#include "apiserver/api_server.h"
#include "kube/client.h"

namespace lambda {
namespace {
namespace json = boost::json;
using apiserver::testing::allow;
using apiserver::testing::deny;
using apiserver::testing::patch_with;
using apiserver::testing::webhook;
using apiserver::testing::webhook_configuration;
using apiserver::testing::WebhookServer;
using kube::ResourceRef;

const ResourceRef kConfigMaps{"", "v1", "configmaps", "ConfigMap", true};
const ResourceRef kValidatingConfigs{"admissionregistration.k8s.io", "v1",
                                     "validatingwebhookconfigurations",
                                     "ValidatingWebhookConfiguration", false};
const ResourceRef kMutatingConfigs{"admissionregistration.k8s.io", "v1",
                                   "mutatingwebhookconfigurations", "MutatingWebhookConfiguration",
                                   false};

json::value config_map(const std::string& name, json::object data) {
  return json::object{{"apiVersion", "v1"},
                      {"kind", "ConfigMap"},
                      {"metadata", {{"name", name}, {"namespace", "default"}}},
                      {"data", std::move(data)}};
}

// The webhook a team would write: /validate refuses ConfigMaps with a key "forbidden",
// /mutate labels every object it is sent (a DELETE carries none and is allowed as it is).
http::Response policy(const std::string& path, const json::value& review) {
  const auto& object = review.at("request").at("object");
  if (!object.is_object()) return allow(review);
  if (path == "/validate") {
    auto* data = object.is_object() ? object.as_object().if_contains("data") : nullptr;
    if (data && data->is_object() && data->as_object().contains("forbidden"))
      return deny(review, "data.forbidden is not allowed");
    return allow(review);
  }
  const auto& meta = object.at("metadata").as_object();
  if (meta.contains("labels"))
    return patch_with(review, json::array{json::object{{"op", "add"},
                                                       {"path", "/metadata/labels/admitted-by"},
                                                       {"value", "policy-webhook"}}});
  return patch_with(review,
                    json::array{json::object{{"op", "add"},
                                             {"path", "/metadata/labels"},
                                             {"value", {{"admitted-by", "policy-webhook"}}}}});
}

class AdmissionEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = apiserver::ApiServer::start({});
    ASSERT_TRUE(started) << started.error();
    server_ = std::move(*started);
    auto client = kube::Client::create(server_->connection());
    ASSERT_TRUE(client) << client.error();
    client_ = std::move(*client);
    hook_ = WebhookServer::start(policy);
  }

  void register_webhooks() {
    auto validating = client_->create(
        kValidatingConfigs, "",
        webhook_configuration(
            "ValidatingWebhookConfiguration", "policy",
            json::array{webhook("deny.example.com", hook_->url("/validate"), hook_->ca_bundle())}));
    ASSERT_TRUE(validating) << validating.error().message;
    auto mutating = client_->create(
        kMutatingConfigs, "",
        webhook_configuration(
            "MutatingWebhookConfiguration", "policy",
            json::array{webhook("label.example.com", hook_->url("/mutate"), hook_->ca_bundle())}));
    ASSERT_TRUE(mutating) << mutating.error().message;
  }

  std::unique_ptr<apiserver::ApiServer> server_;
  std::unique_ptr<kube::Client> client_;
  std::unique_ptr<WebhookServer> hook_;
};

TEST_F(AdmissionEndToEnd, ValidatingWebhookRejectsAndMutatingWebhookLabelsConfigMaps) {
  register_webhooks();

  auto admitted = client_->create(kConfigMaps, "default", config_map("fine", {{"a", "1"}}));
  ASSERT_TRUE(admitted) << admitted.error().message;
  EXPECT_EQ(admitted->at("metadata").at("labels").at("admitted-by").as_string(), "policy-webhook");
  auto stored = client_->get(kConfigMaps, "default", "fine");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->at("metadata").at("labels").at("admitted-by").as_string(), "policy-webhook");

  auto rejected = client_->create(kConfigMaps, "default", config_map("bad", {{"forbidden", "1"}}));
  ASSERT_FALSE(rejected);
  EXPECT_EQ(rejected.error().code, 403);
  EXPECT_EQ(rejected.error().message,
            "admission webhook \"deny.example.com\" denied the request: data.forbidden is not "
            "allowed");
  EXPECT_FALSE(client_->get(kConfigMaps, "default", "bad"));

  // Updates go through both webhooks too: the stored object keeps its label and stays unchanged
  // when the update is refused.
  json::value changed = *stored;
  changed.at("data").as_object()["forbidden"] = "now";
  auto refused_update = client_->update(kConfigMaps, "default", changed);
  ASSERT_FALSE(refused_update);
  EXPECT_EQ(refused_update.error().code, 403);
  auto after = client_->get(kConfigMaps, "default", "fine");
  ASSERT_TRUE(after);
  EXPECT_FALSE(after->at("data").as_object().contains("forbidden"));

  // Deleting goes to the validating webhook with the object as oldObject, and is allowed.
  std::size_t before_delete = hook_->calls();
  ASSERT_TRUE(client_->remove(kConfigMaps, "default", "fine"));
  auto reviews = hook_->reviews();
  ASSERT_GT(reviews.size(), before_delete);
  const auto& last = reviews.back().at("request");
  EXPECT_EQ(last.at("operation").as_string(), "DELETE");
  EXPECT_EQ(last.at("oldObject").at("metadata").at("name").as_string(), "fine");
}

TEST_F(AdmissionEndToEnd, DryRunAndGenerateNameReachWebhooksAsInKubeApiserver) {
  register_webhooks();
  // generateName: mutating webhooks see the request before a name is generated; the stored
  // object has both the generated name and the webhook's label.
  json::value generated = config_map("", {{"a", "1"}});
  auto& meta = generated.at("metadata").as_object();
  meta.erase("name");
  meta["generateName"] = "gen-";
  auto created = client_->create(kConfigMaps, "default", generated);
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_TRUE(std::string(created->at("metadata").at("name").as_string()).starts_with("gen-"));
  EXPECT_EQ(created->at("metadata").at("labels").at("admitted-by").as_string(), "policy-webhook");
  auto reviews = hook_->reviews();
  ASSERT_EQ(reviews.size(), 2u);  // mutating, then validating
  EXPECT_FALSE(reviews[0].at("request").as_object().contains("name"));
  EXPECT_EQ(reviews[1].at("request").at("name"), created->at("metadata").at("name"));

  // Dry run: webhooks declaring sideEffects None are asked, with dryRun true, and nothing is
  // stored.
  kube::WriteOptions dry;
  dry.dry_run = true;
  auto rehearsed = client_->create(kConfigMaps, "default", config_map("dry", {{"a", "1"}}), dry);
  ASSERT_TRUE(rehearsed) << rehearsed.error().message;
  EXPECT_EQ(rehearsed->at("metadata").at("labels").at("admitted-by").as_string(), "policy-webhook");
  EXPECT_EQ(hook_->reviews().back().at("request").at("dryRun"), json::value(true));
  EXPECT_FALSE(client_->get(kConfigMaps, "default", "dry"));

  // A webhook with side effects refuses dry runs before it is called.
  auto effects = client_->get(kValidatingConfigs, "", "policy");
  ASSERT_TRUE(effects);
  effects->at("webhooks").as_array()[0].as_object()["sideEffects"] = "Some";
  ASSERT_TRUE(client_->update(kValidatingConfigs, "", *effects));
  auto refused = client_->create(kConfigMaps, "default", config_map("dry", {{"a", "1"}}), dry);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, 400);
  EXPECT_EQ(refused.error().message,
            "admission webhook \"deny.example.com\" does not support dry run");
}

TEST_F(AdmissionEndToEnd, AnUnreachableWebhookFailsWritesUntilItsConfigurationIsDeleted) {
  hook_->stop();  // the webhook is gone, its configuration stays
  register_webhooks();

  auto failed = client_->create(kConfigMaps, "default", config_map("c", {{"a", "1"}}));
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, 500);
  EXPECT_NE(failed.error().message.find("failed calling webhook \"label.example.com\""),
            std::string::npos)
      << failed.error().message;

  // The configurations themselves are never sent to webhooks, so they can always be removed.
  ASSERT_TRUE(client_->remove(kMutatingConfigs, "", "policy"));
  ASSERT_TRUE(client_->remove(kValidatingConfigs, "", "policy"));
  EXPECT_TRUE(client_->create(kConfigMaps, "default", config_map("c", {{"a", "1"}})));
}

TEST_F(AdmissionEndToEnd, WebhookWarningsReachTheClientAsWarningHeaders) {
  auto warner = WebhookServer::start([](const std::string&, const json::value& review) {
    return apiserver::testing::review_response(
        review, {{"allowed", true}, {"warnings", json::array{"prefer labels over data"}}});
  });
  ASSERT_TRUE(client_->create(
      kValidatingConfigs, "",
      webhook_configuration(
          "ValidatingWebhookConfiguration", "warn",
          json::array{webhook("warn.example.com", warner->url(), warner->ca_bundle())})));
  auto response =
      client_->request("POST", "/api/v1/namespaces/default/configmaps",
                       json::serialize(config_map("w", {{"a", "1"}})), "application/json");
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(http::find_header(response->headers, "Warning").value_or(""),
            "299 - \"prefer labels over data\"");
}

}  // namespace
}  // namespace lambda
