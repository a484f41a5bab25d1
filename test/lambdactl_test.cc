// lambdactl as a user runs it: exit codes, what goes to stdout and stderr, every input form.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "api/test_util.h"
#include "common/json_yaml.h"

namespace {

using lambda::testing::read_project_file;

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout, then stderr when merged
};

// Runs a shell command line and collects its output and exit code.
CommandResult run_shell(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return result;
  char buffer[4096];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) result.output.append(buffer, n);
  int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

CommandResult run(const std::string& args, bool merge_stderr = true,
                  const std::string& stdin_text = "") {
  std::string command = std::string(LAMBDACTL) + " " + args;
  std::string input_file;
  if (!stdin_text.empty()) {
    input_file =
        std::filesystem::temp_directory_path() / ("lambdactl-stdin-" + std::to_string(::getpid()));
    std::ofstream(input_file) << stdin_text;
    command += " < " + input_file;
  }
  command += merge_stderr ? " 2>&1" : " 2>/dev/null";
  CommandResult result = run_shell(command);
  if (!input_file.empty()) std::filesystem::remove(input_file);
  return result;
}

std::string write_temp(const std::string& name, const std::string& text) {
  std::string path =
      std::filesystem::temp_directory_path() / (name + "-" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(path) << text;
  return path;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(Lambdactl, ValidateAcceptsTheExamples) {
  CommandResult r = run("validate -f examples/agent-bruno.yaml -f examples/minimal.yaml", false);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "examples/agent-bruno.yaml: LambdaAgent \"agent-bruno\" is valid"))
      << r.output;
  EXPECT_TRUE(contains(r.output, "examples/minimal.yaml: LambdaAgent \"hello-agent\" is valid"))
      << r.output;
}

TEST(Lambdactl, ValidatePrintsWarningsOnStderr) {
  CommandResult r = run("validate -f examples/agent-bruno.yaml");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(contains(r.output,
                       "Warning: examples/agent-bruno.yaml: LambdaAgent \"agent-bruno\": "
                       "spec.observability.metrics.port: port 9090 is reserved"))
      << r.output;
}

TEST(Lambdactl, ValidatePrintsEveryErrorAndExitsOne) {
  std::string path = write_temp("invalid", R"(apiVersion: lambda.knative.io/v1alpha1
kind: LambdaAgent
metadata: {name: broken}
spec:
  image: {repository: "Not/A:Repo"}
  ai: {model: m, temperature: 3.5, fallbackModle: x, provider: openai}
  scaling: {minReplicas: 4, maxReplicas: 2}
)");
  CommandResult r = run("validate -f " + path);
  EXPECT_EQ(r.exit_code, 1);
  for (const char* expected :
       {"LambdaAgent \"broken\" is invalid (5 errors)",
        "spec.image.repository: Invalid value: \"Not/A:Repo\"",
        "spec.ai.temperature: Invalid value: 3.5: must be between 0 and 2, inclusive",
        "spec.ai.fallbackModle: Unknown field: field not declared in schema; did you mean "
        "\"fallbackModel\"?",
        "spec.ai.apiKeySecret: Required value: provider \"openai\" needs an API key Secret",
        "spec.scaling.maxReplicas: Invalid value: 2: must be greater than or equal to minReplicas "
        "(4)"})
    EXPECT_TRUE(contains(r.output, expected)) << expected << "\n---\n" << r.output;
  std::filesystem::remove(path);
}

TEST(Lambdactl, ValidateChecksEveryDocumentOfAStream) {
  CommandResult r = run("validate -f -", true,
                        read_project_file("examples/minimal.yaml") + "---\n" +
                            "apiVersion: lambda.knative.io/v1alpha1\nkind: LambdaAgent\nmetadata: "
                            "{name: b}\nspec: {}\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.output, "<stdin>: LambdaAgent \"hello-agent\" is valid")) << r.output;
  EXPECT_TRUE(contains(r.output, "spec.image: Required value")) << r.output;
  EXPECT_TRUE(contains(r.output, "spec.ai: Required value")) << r.output;
}

TEST(Lambdactl, BrokenYamlNamesTheLine) {
  std::string path = write_temp("broken", "apiVersion: v1\nspec:\n  image: [unclosed\n");
  CommandResult r = run("validate -f " + path);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.output, "not valid YAML or JSON: line")) << r.output;
  std::filesystem::remove(path);
}

TEST(Lambdactl, MissingFileIsAClearError) {
  CommandResult r = run("validate -f /nonexistent/agent.yaml");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.output, "cannot read /nonexistent/agent.yaml")) << r.output;
}

TEST(Lambdactl, RenderYamlIsTheGoldenOutput) {
  CommandResult r = run("render -f examples/agent-bruno.yaml", false);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.output, read_project_file("testdata/golden/agent-bruno.yaml"));
}

TEST(Lambdactl, RenderJsonIsAKubernetesList) {
  CommandResult r = run("render -f examples/minimal.yaml -o json", false);
  ASSERT_EQ(r.exit_code, 0);
  auto list = lambda::common::parse_json(r.output);
  ASSERT_TRUE(list.has_value()) << r.output;
  EXPECT_EQ(list->at("kind"), "List");
  EXPECT_GE(list->at("items").as_array().size(), 4u);
}

TEST(Lambdactl, RenderRefusesAnInvalidAgentAndPrintsNothingOnStdout) {
  std::string path = write_temp("render-invalid",
                                "apiVersion: lambda.knative.io/v1alpha1\nkind: "
                                "LambdaAgent\nmetadata: {name: a}\nspec: {ai: {model: m}}\n");
  CommandResult r = run("render -f " + path, false);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.output, "");
  std::filesystem::remove(path);
}

TEST(Lambdactl, RenderNeedsANameNotAGenerateName) {
  std::string path = write_temp("generate-name",
                                "apiVersion: lambda.knative.io/v1alpha1\nkind: LambdaAgent\n"
                                "metadata: {generateName: agent-}\n"
                                "spec: {image: {repository: r, tag: '1'}, ai: {model: m}}\n");
  CommandResult r = run("render -f " + path);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.output, "metadata.name: Required value: render needs a name")) << r.output;
  EXPECT_EQ(run("validate -f " + path).exit_code, 0);
  std::filesystem::remove(path);
}

TEST(Lambdactl, DefaultShowsTheFilledInAgent) {
  CommandResult r = run("default -f examples/minimal.yaml", false);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(contains(r.output, "endpoint: http://ollama.ollama.svc.cluster.local:11434"))
      << r.output;
  EXPECT_TRUE(contains(r.output, "namespace: default")) << r.output;
}

TEST(Lambdactl, CrdIsTheCommittedFile) {
  CommandResult r = run("crd", false);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.output, read_project_file("config/crd/bases/lambda.knative.io_lambdaagents.yaml"));
}

TEST(Lambdactl, HelpTeachesTheCommands) {
  CommandResult r = run("--help", false);
  EXPECT_EQ(r.exit_code, 0);
  for (const char* word :
       {"validate", "render", "crd", "docs", "default", "Examples:", "Exit status"})
    EXPECT_TRUE(contains(r.output, word)) << word;
  r = run("render --help", false);
  EXPECT_TRUE(contains(r.output, "--agent-image")) << r.output;
}

TEST(Lambdactl, UsageErrorsExitTwo) {
  EXPECT_EQ(run("frobnicate").exit_code, 2);
  EXPECT_EQ(run("render").exit_code, 2);
  EXPECT_EQ(run("render -f examples/minimal.yaml -o xml").exit_code, 2);
}

TEST(Kustomize, ConfigBuildsWithRealKubectl) {
  CommandResult r = run_shell("kubectl kustomize config/ 2>&1");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "name: lambdaagents.lambda.knative.io"))
      << r.output.substr(0, 500);
}

}  // namespace
