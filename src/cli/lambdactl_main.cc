// lambdactl: the LambdaAgent API offline. Prints the CRD, validates agents and renders the exact
// objects the operator would apply (for GitOps review and CI checks without a cluster).
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "api/codec.h"
#include "api/crd.h"
#include "api/defaults.h"
#include "api/reference_docs.h"
#include "api/validation.h"
#include "common/json_yaml.h"
#include "render/render.h"

namespace {

namespace json = boost::json;
using lambda::api::CheckedAgent;

struct Input {
  std::string name;  // file name for messages
  std::string text;
};

bool read_input(const std::string& path, Input& out) {
  out.name = path == "-" ? "<stdin>" : path;
  std::ostringstream buffer;
  if (path == "-") {
    buffer << std::cin.rdbuf();
  } else {
    std::ifstream file(path, std::ios::binary);
    if (!file) {
      fmt::print(stderr, "error: cannot read {}: no such file or not readable\n", path);
      return false;
    }
    buffer << file.rdbuf();
  }
  out.text = buffer.str();
  return true;
}

std::string describe_agent(const lambda::api::LambdaAgent& agent, int document) {
  if (agent.metadata && agent.metadata->name)
    return fmt::format("LambdaAgent \"{}\"", *agent.metadata->name);
  return fmt::format("document {}", document + 1);
}

// Decodes, defaults and validates every document of every file; prints errors and warnings to
// stderr as kubectl does. Returns the agents that passed, or nothing if any failed.
bool check_files(const std::vector<std::string>& files, std::vector<CheckedAgent>& passed,
                 bool quiet_ok) {
  bool all_ok = true;
  for (const auto& path : files) {
    Input input;
    if (!read_input(path, input)) {
      all_ok = false;
      continue;
    }
    auto documents = lambda::common::parse_yaml_documents(input.text);
    if (!documents) {
      fmt::print(stderr, "error: {}: not valid YAML or JSON: {}\n", input.name,
                 documents.error().to_string());
      all_ok = false;
      continue;
    }
    if (documents->empty()) {
      fmt::print(stderr, "error: {}: no objects found\n", input.name);
      all_ok = false;
    }
    for (std::size_t i = 0; i < documents->size(); ++i) {
      CheckedAgent checked = lambda::api::check_agent((*documents)[i]);
      std::string what = describe_agent(checked.agent, static_cast<int>(i));
      for (const auto& warning : checked.warnings)
        fmt::print(stderr, "Warning: {}: {}: {}\n", input.name, what, warning.to_string());
      if (!checked.ok()) {
        all_ok = false;
        fmt::print(stderr, "error: {}: {} is invalid ({} error{}):\n", input.name, what,
                   checked.errors.size(), checked.errors.size() == 1 ? "" : "s");
        for (const auto& error : checked.errors.errors())
          fmt::print(stderr, "  * {}\n", error.to_string());
        continue;
      }
      if (!quiet_ok) fmt::print("{}: {} is valid\n", input.name, what);
      passed.push_back(std::move(checked));
    }
  }
  return all_ok;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "lambdactl: work with LambdaAgent resources (lambda.knative.io/v1alpha1) without a cluster.\n"
      "Validate agents with every error and its field path, see the exact Kubernetes objects the\n"
      "operator will create for them, and print the CRD.",
      "lambdactl"};
  app.require_subcommand(1);
  app.footer(
      "Examples:\n"
      "  lambdactl validate -f examples/agent-bruno.yaml\n"
      "  lambdactl render -f examples/agent-bruno.yaml                 # multi-document YAML\n"
      "  lambdactl render -f examples/agent-bruno.yaml -o json         # a v1 List\n"
      "  lambdactl crd | kubectl apply -f -\n"
      "  lambdactl docs defaults                                       # every default, as "
      "Markdown\n"
      "\nExit status: 0 on success, 1 when an agent is invalid, 2 on usage errors.");

  auto* crd = app.add_subcommand("crd", "Print the LambdaAgent CustomResourceDefinition");
  std::string crd_output = "yaml";
  crd->add_option("-o,--output", crd_output, "Output format")
      ->check(CLI::IsMember({"yaml", "json"}));

  auto* validate = app.add_subcommand(
      "validate",
      "Validate LambdaAgents: print every error with its field path; exit 1 if any is invalid");
  std::vector<std::string> validate_files;
  validate
      ->add_option("-f,--filename", validate_files,
                   "YAML or JSON files (multi-document), or - for stdin")
      ->required();

  auto* render = app.add_subcommand(
      "render", "Print the objects the operator will apply for each agent (defaults applied)");
  std::vector<std::string> render_files;
  std::string render_output = "yaml";
  lambda::render::RenderOptions options;
  render
      ->add_option("-f,--filename", render_files,
                   "YAML or JSON files (multi-document), or - for stdin")
      ->required();
  render->add_option("-o,--output", render_output, "yaml: a multi-document stream; json: a v1 List")
      ->check(CLI::IsMember({"yaml", "json"}));
  render
      ->add_option("--agent-image", options.agent_image,
                   "lambda-agent image for the sidecar and dead-letter sink")
      ->capture_default_str();
  render->add_option("--cluster-domain", options.cluster_domain, "Cluster DNS domain used in URLs")
      ->capture_default_str();

  auto* defaults = app.add_subcommand(
      "default", "Print agents with every default filled in (what the operator reads)");
  std::vector<std::string> default_files;
  defaults->add_option("-f,--filename", default_files, "YAML or JSON files, or - for stdin")
      ->required();

  auto* docs = app.add_subcommand("docs", "Print generated reference documentation as Markdown");
  std::string docs_topic;
  docs->add_option("topic", docs_topic, "api | defaults | environment")
      ->required()
      ->check(CLI::IsMember({"api", "defaults", "environment"}));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  if (*crd) {
    json::value object = lambda::api::lambda_agent_crd();
    std::fputs(
        (crd_output == "json" ? lambda::common::to_json(object) : lambda::common::to_yaml(object))
            .c_str(),
        stdout);
    return 0;
  }
  if (*docs) {
    std::string text = docs_topic == "api"        ? lambda::api::api_reference_markdown()
                       : docs_topic == "defaults" ? lambda::api::defaults_reference_markdown()
                                                  : lambda::api::environment_reference_markdown();
    std::fputs(text.c_str(), stdout);
    return 0;
  }
  if (*validate) {
    std::vector<CheckedAgent> passed;
    return check_files(validate_files, passed, false) ? 0 : 1;
  }
  if (*defaults) {
    std::vector<CheckedAgent> passed;
    bool ok = check_files(default_files, passed, true);
    if (!ok) return 1;
    std::vector<json::value> documents;
    for (const auto& agent : passed) documents.push_back(lambda::api::encode(agent.agent));
    std::fputs(lambda::common::to_yaml_documents(documents).c_str(), stdout);
    return 0;
  }
  if (*render) {
    std::vector<CheckedAgent> passed;
    if (!check_files(render_files, passed, true)) return 1;
    std::vector<lambda::api::LambdaAgent> agents;
    for (auto& checked : passed) {
      // The API server turns generateName into a name; offline there is no name to derive from.
      if (!checked.agent.metadata->name) {
        fmt::print(stderr,
                   "error: metadata.name: Required value: render needs a name (generateName is "
                   "resolved by the API server)\n");
        return 1;
      }
      agents.push_back(std::move(checked.agent));
    }
    lambda::render::Combined combined = lambda::render::render_all(agents, options);
    for (const auto& conflict : combined.conflicts) fmt::print(stderr, "error: {}\n", conflict);
    if (!combined.conflicts.empty()) return 1;
    std::vector<json::value>& objects = combined.objects;
    if (render_output == "json") {
      json::array items;
      for (auto& object : objects) items.push_back(std::move(object));
      json::value list =
          json::object{{"apiVersion", "v1"}, {"kind", "List"}, {"items", std::move(items)}};
      std::fputs(lambda::common::to_json(list).c_str(), stdout);
    } else {
      std::fputs(lambda::common::to_yaml_documents(objects).c_str(), stdout);
    }
    return 0;
  }
  return 2;
}
