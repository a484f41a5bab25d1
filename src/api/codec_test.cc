#include "api/codec.h"

#include <gtest/gtest.h>

#include "api/test_util.h"

namespace lambda::api {
namespace {

using lambda::testing::read_project_file;
using lambda::testing::yaml;

TEST(Codec, AdrExampleRoundTripsExactly) {
  auto docs = common::parse_yaml_documents(read_project_file("examples/agent-bruno.yaml"));
  ASSERT_TRUE(docs.has_value());
  ASSERT_EQ(docs->size(), 1u);
  LambdaAgent agent;
  ErrorList errors = decode(docs->front(), agent);
  EXPECT_TRUE(errors.empty()) << errors.to_string();
  EXPECT_EQ(lambda::testing::canonical_text(encode(agent)),
            lambda::testing::canonical_text(docs->front()));
  EXPECT_EQ(common::to_yaml(lambda::testing::sorted(encode(agent))),
            common::to_yaml(lambda::testing::sorted(docs->front())));
  LambdaAgent again;
  EXPECT_TRUE(decode(encode(agent), again).empty());
  EXPECT_EQ(again, agent);
}

TEST(Codec, KeepsQuotedTagAsStringAndTypedValues) {
  LambdaAgent agent;
  ASSERT_TRUE(decode(yaml(R"(
apiVersion: lambda.knative.io/v1alpha1
kind: LambdaAgent
metadata: {name: a}
spec:
  image: {repository: r, tag: "0.1.0"}
  ai: {model: m, temperature: 0.7, maxTokens: 2048}
  resources: {requests: {cpu: 100m, memory: 256Mi}, limits: {cpu: 1}}
  behavior: {conversationTTL: 1h}
  eventing: {dlq: {retryBackoffDelay: PT1S}}
)"),
                     agent)
                  .empty());
  EXPECT_EQ(agent.spec->image->tag, "0.1.0");
  EXPECT_DOUBLE_EQ(*agent.spec->ai->temperature, 0.7);
  EXPECT_EQ(agent.spec->ai->max_tokens, 2048);
  EXPECT_EQ(agent.spec->resources->requests->at("cpu").milli_value(), 100);
  EXPECT_EQ(agent.spec->resources->requests->at("memory").value(), 256 * 1024 * 1024);
  EXPECT_EQ(agent.spec->resources->limits->at("cpu").value(), 1);
  EXPECT_EQ(agent.spec->behavior->conversation_ttl->nanoseconds(), 3600'000'000'000);
  EXPECT_EQ(agent.spec->eventing->dlq->retry_backoff_delay->nanoseconds(), 1'000'000'000);
  // A number stays a number on the way out; a string stays a string.
  boost::json::value out = encode(agent);
  EXPECT_TRUE(out.at("spec").at("resources").at("limits").at("cpu").is_int64());
  EXPECT_TRUE(out.at("spec").at("resources").at("requests").at("cpu").is_string());
}

TEST(Codec, UnknownFieldIsReportedWithPathAndSuggestion) {
  LambdaAgent agent;
  ErrorList errors = decode(yaml("spec: {ai: {model: m, fallbackModle: x}}"), agent);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors.errors()[0].type, ErrorType::kUnknownField);
  EXPECT_EQ(errors.errors()[0].path.str(), "spec.ai.fallbackModle");
  EXPECT_NE(errors.errors()[0].to_string().find("did you mean \"fallbackModel\"?"),
            std::string::npos)
      << errors.to_string();
  EXPECT_EQ(agent.spec->ai->model, "m");
}

TEST(Codec, ReportsEveryTypeErrorAndKeepsGoing) {
  LambdaAgent agent;
  ErrorList errors = decode(yaml(R"(
spec:
  ai: {model: 3, temperature: hot, maxTokens: 1.5}
  scaling: {minReplicas: "1"}
  resources: {requests: {cpu: lots}}
  behavior: {conversationTTL: 5 minutes}
)"),
                            agent);
  std::string all = errors.to_string();
  EXPECT_EQ(errors.size(), 6u) << all;
  EXPECT_NE(all.find("spec.ai.model: Invalid value: 3: must be a string"), std::string::npos)
      << all;
  EXPECT_NE(all.find("spec.ai.temperature: Invalid value: \"hot\": must be a number"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("spec.ai.maxTokens: Invalid value: 1.5: must be an integer"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("spec.scaling.minReplicas: Invalid value: \"1\": must be an integer"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("spec.resources.requests[cpu]: Invalid value: \"lots\""), std::string::npos)
      << all;
  EXPECT_NE(all.find("spec.behavior.conversationTTL: Invalid value: \"5 minutes\""),
            std::string::npos)
      << all;
}

TEST(Codec, NullMeansAbsent) {
  LambdaAgent agent;
  EXPECT_TRUE(decode(yaml("spec: {ai: {model: m, temperature: null}}"), agent).empty());
  EXPECT_FALSE(agent.spec->ai->temperature.has_value());
}

TEST(Codec, IntegralFloatIsAcceptedForIntegers) {
  LambdaAgent agent;
  EXPECT_TRUE(decode(yaml("spec: {scaling: {minReplicas: 2.0}}"), agent).empty());
  EXPECT_EQ(agent.spec->scaling->min_replicas, 2);
}

TEST(Codec, OutOfRangeIntegerIsAnError) {
  LambdaAgent agent;
  ErrorList errors = decode(yaml("spec: {scaling: {minReplicas: 4294967296}}"), agent);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors.errors()[0].to_string(),
            "spec.scaling.minReplicas: Invalid value: 4294967296: out of range");
}

TEST(Codec, NullListItemIsAnError) {
  LambdaAgent agent;
  ErrorList errors = decode(yaml("spec: {env: [null]}"), agent);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors.errors()[0].path.str(), "spec.env[0]");
}

TEST(Codec, DecodeDocumentsReportsYamlSyntaxErrorWithLine) {
  auto decoded = decode_documents("apiVersion: v1\nspec: [unclosed\n");
  ASSERT_EQ(decoded.size(), 1u);
  ASSERT_EQ(decoded[0].errors.size(), 1u);
  EXPECT_NE(decoded[0].errors.to_string().find("line"), std::string::npos)
      << decoded[0].errors.to_string();
}

TEST(Codec, DecodeDocumentsReadsEveryDocument) {
  auto decoded = decode_documents("metadata: {name: a}\n---\nmetadata: {name: b}\n---\n[1]\n");
  ASSERT_EQ(decoded.size(), 3u);
  EXPECT_EQ(decoded[1].agent.metadata->name, "b");
  EXPECT_FALSE(decoded[2].errors.empty());
}

}  // namespace
}  // namespace lambda::api
