#include "api/validation.h"

#include <gtest/gtest.h>

#include "api/test_util.h"

namespace lambda::api {
namespace {

using lambda::testing::read_project_file;
using lambda::testing::yaml;

std::string joined(const Warnings& warnings) {
  std::string out;
  for (const auto& w : warnings) out += w.to_string() + "\n";
  return out;
}

TEST(Validation, AdrExampleIsValidWithWarningsThatSayWhatHappensInstead) {
  auto document = common::parse_yaml(read_project_file("examples/agent-bruno.yaml"));
  ASSERT_TRUE(document.has_value());
  CheckedAgent checked = check_agent(*document);
  EXPECT_TRUE(checked.ok()) << checked.errors.to_string();
  std::string warnings = joined(checked.warnings);
  EXPECT_NE(
      warnings.find(
          "spec.observability.metrics.port: port 9090 is reserved by Knative's queue-proxy in "
          "every pod; metrics are served on 9464 instead"),
      std::string::npos)
      << warnings;
  for (int i = 0; i < 3; ++i)
    EXPECT_NE(warnings.find("spec.eventing.subscriptions[" + std::to_string(i) +
                            "].source: the RabbitMQ broker filters exact attributes only"),
              std::string::npos)
        << warnings;
  EXPECT_NE(warnings.find("spec.scaling.metrics[0]: Knative scales a revision on one metric"),
            std::string::npos)
      << warnings;
  EXPECT_EQ(effective_metrics_port(*checked.agent.spec), 9464);
}

TEST(Validation, MinimalExampleIsValidWithoutWarnings) {
  auto document = common::parse_yaml(read_project_file("examples/minimal.yaml"));
  ASSERT_TRUE(document.has_value());
  CheckedAgent checked = check_agent(*document);
  EXPECT_TRUE(checked.ok()) << checked.errors.to_string();
  EXPECT_TRUE(checked.warnings.empty()) << joined(checked.warnings);
}

TEST(Validation, ReportsAllErrorsAtOnce) {
  CheckedAgent checked = check_agent(yaml(R"(
apiVersion: lambda.knative.io/v1alpha1
kind: LambdaAgent
metadata: {name: a}
spec:
  image: {repository: r}
  ai: {model: m, temperature: 3.5, topP: 2, provider: gpt}
  scaling: {minReplicas: 3, maxReplicas: 2}
)"));
  EXPECT_EQ(checked.errors.size(), 4u) << checked.errors.to_string();
  std::string all = checked.errors.to_string();
  EXPECT_NE(all.find("spec.ai.temperature: Invalid value: 3.5: must be between 0 and 2, inclusive"),
            std::string::npos)
      << all;
  EXPECT_NE(
      all.find(
          "spec.ai.provider: Unsupported value: \"gpt\": supported values: \"ollama\", \"openai\", "
          "\"anthropic\", \"local\""),
      std::string::npos)
      << all;
  EXPECT_NE(all.find("spec.scaling.maxReplicas: Invalid value: 2: must be greater than or equal to "
                     "minReplicas (3)"),
            std::string::npos)
      << all;
}

TEST(Validation, DecodeErrorsAreNotRepeatedByValidation) {
  CheckedAgent checked = check_agent(yaml(R"(
apiVersion: lambda.knative.io/v1alpha1
kind: LambdaAgent
metadata: {name: a}
spec:
  image: {repository: r}
  ai: "llama"
)"));
  ASSERT_EQ(checked.errors.size(), 1u) << checked.errors.to_string();
  EXPECT_EQ(checked.errors.errors()[0].path.str(), "spec.ai");
}

}  // namespace
}  // namespace lambda::api
