#include "api/crd.h"

#include <gtest/gtest.h>

#include <functional>

#include "api/reference_docs.h"
#include "api/test_util.h"
#include "common/json_yaml.h"

namespace lambda::api {
namespace {

namespace json = boost::json;
using lambda::testing::read_project_file;

constexpr const char* kCrdPath = "config/crd/bases/lambda.knative.io_lambdaagents.yaml";

TEST(Crd, CommittedYamlMatchesTheTypes) {
  std::string generated = common::to_yaml(lambda_agent_crd());
  std::string committed = read_project_file(kCrdPath);
  EXPECT_EQ(committed, generated)
      << kCrdPath << " is stale: regenerate it with `build/dev/src/cli/lambdactl crd > " << kCrdPath
      << "`";
}

TEST(Crd, ReferenceDocsAreCurrent) {
  EXPECT_EQ(read_project_file("docs/reference/api.md"), api_reference_markdown())
      << "regenerate: lambdactl docs api > docs/reference/api.md";
  EXPECT_EQ(read_project_file("docs/reference/defaults.md"), defaults_reference_markdown())
      << "regenerate: lambdactl docs defaults > docs/reference/defaults.md";
  EXPECT_EQ(read_project_file("docs/reference/environment.md"), environment_reference_markdown())
      << "regenerate: lambdactl docs environment > docs/reference/environment.md";
}

TEST(Crd, HasStatusSubresourcePrinterColumnsShortNameAndCategory) {
  json::value crd = lambda_agent_crd();
  const json::value& version = crd.at("spec").at("versions").at(0);
  EXPECT_TRUE(version.at("subresources").at("status").is_object());
  std::vector<std::string> names;
  for (const auto& column : version.at("additionalPrinterColumns").as_array())
    names.emplace_back(column.at("name").as_string());
  for (const char* wanted : {"Phase", "Ready", "Model", "URL", "Age"})
    EXPECT_NE(std::find(names.begin(), names.end(), wanted), names.end()) << wanted;
  EXPECT_EQ(crd.at("spec").at("names").at("shortNames").at(0), "la");
  EXPECT_EQ(crd.at("spec").at("names").at("categories").at(0), "lambda");
  EXPECT_EQ(crd.at("metadata").at("name"), "lambdaagents.lambda.knative.io");
}

// Kubernetes' structural schema rules: every node has a type (or int-or-string /
// preserve-unknown-fields), every property has a description, defaults validate.
TEST(Crd, SchemaIsStructuralAndDescribed) {
  json::value schema = lambda_agent_openapi_schema();
  std::function<void(const json::value&, const std::string&)> walk = [&](const json::value& node,
                                                                         const std::string& path) {
    const json::object& object = node.as_object();
    bool typed = object.contains("type") || object.contains("x-kubernetes-int-or-string") ||
                 object.contains("x-kubernetes-preserve-unknown-fields");
    EXPECT_TRUE(typed) << path << " has no type";
    if (path != "metadata" && path.find("metadata") == std::string::npos) {
      EXPECT_TRUE(object.contains("description") || path.ends_with("[]") || path.ends_with("{}") ||
                  path.empty())
          << path << " has no description";
    }
    if (const auto* properties = object.if_contains("properties"))
      for (const auto& p : properties->as_object())
        walk(p.value(), path.empty() ? std::string(p.key()) : path + "." + std::string(p.key()));
    if (const auto* items = object.if_contains("items")) walk(*items, path + "[]");
    if (const auto* additional = object.if_contains("additionalProperties"))
      walk(*additional, path + "{}");
    if (const auto* type = object.if_contains("type");
        type && *type == "string" && object.contains("default")) {
      EXPECT_TRUE(object.at("default").is_string()) << path;
    }
  };
  walk(schema, "");
}

TEST(Crd, PublishesConstraintsForExplainAndTheApiServer) {
  json::value schema = lambda_agent_openapi_schema();
  const json::value& ai = schema.at("properties").at("spec").at("properties").at("ai");
  EXPECT_EQ(ai.at("required"), (json::array{"model"}));
  const json::value& temperature = ai.at("properties").at("temperature");
  EXPECT_EQ(temperature.at("minimum"), 0);
  EXPECT_EQ(temperature.at("maximum"), 2);
  EXPECT_EQ(ai.at("properties").at("provider").at("default"), "ollama");
  EXPECT_EQ(ai.at("properties").at("provider").at("enum").as_array().size(), 4u);
  const json::value& env = schema.at("properties").at("spec").at("properties").at("env");
  EXPECT_EQ(env.at("x-kubernetes-list-type"), "map");
  const json::value& cpu = schema.at("properties")
                               .at("spec")
                               .at("properties")
                               .at("resources")
                               .at("properties")
                               .at("requests")
                               .at("additionalProperties");
  EXPECT_EQ(cpu.at("x-kubernetes-int-or-string"), true);
}

}  // namespace
}  // namespace lambda::api
