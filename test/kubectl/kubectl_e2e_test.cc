// kubectl (a real client) against the embedded API server: every step asserts on kubectl's own
// output, so what passes here is what a user sees.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include <boost/json.hpp>

#include "apiserver/api_server.h"
#include "apiserver/object_store.h"

namespace lambda {
namespace {
namespace fs = std::filesystem;

struct KubectlRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class KubectlTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    apiserver::ApiServerOptions options;
    options.bookmark_interval = std::chrono::seconds(1);
    auto started = apiserver::ApiServer::start(options);
    ASSERT_TRUE(started) << started.error();
    server_ = started->release();
    char tmpl[] = "/tmp/lambda-kubectl-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    ASSERT_TRUE(server_->write_kubeconfig((dir_ / "kubeconfig").string()));
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    fs::remove_all(dir_);
  }

  // Runs kubectl with the server's kubeconfig; stdin from `input`.
  static KubectlRun kubectl(const std::string& args, const std::string& input = "",
                            const std::string& env = "") {
    static int counter = 0;
    auto in = dir_ / ("in" + std::to_string(counter));
    auto out = dir_ / ("out" + std::to_string(counter));
    auto err = dir_ / ("err" + std::to_string(counter++));
    std::ofstream(in) << input;
    std::string cmd = "cd '" + std::string(LAMBDA_SOURCE_DIR) + "' && " + env + " HOME='" +
                      dir_.string() + "' KUBECONFIG='" + (dir_ / "kubeconfig").string() +
                      "' kubectl --cache-dir='" + (dir_ / "cache").string() +
                      "' --request-timeout=20s " + args + " <'" + in.string() + "' >'" +
                      out.string() + "' 2>'" + err.string() + "'";
    KubectlRun r;
    int status = std::system(cmd.c_str());
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = read_file(out);
    r.err = read_file(err);
    return r;
  }

  static void apply_crd() {
    auto r = kubectl("apply -f config/crd/bases/lambda.knative.io_lambdaagents.yaml");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  static apiserver::ApiServer* server_;
  static fs::path dir_;
};

apiserver::ApiServer* KubectlTest::server_ = nullptr;
fs::path KubectlTest::dir_;

#define EXPECT_CONTAINS(haystack, needle) \
  EXPECT_NE((haystack).find(needle), std::string::npos) << "in:\n" << (haystack)

TEST_F(KubectlTest, VersionAndApiResourcesIncludeTheCrdOnceApplied) {
  auto version = kubectl("version -o json");
  ASSERT_EQ(version.exit_code, 0) << version.err;
  EXPECT_CONTAINS(version.out, "\"gitVersion\": \"v1.32.0\"");
  apply_crd();
  auto r = kubectl("api-resources");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "lambdaagents");
  EXPECT_CONTAINS(r.out, "lambda.knative.io/v1alpha1");
  EXPECT_CONTAINS(r.out, "configmaps");
  auto crd = kubectl(
      "get crd lambdaagents.lambda.knative.io -o "
      "jsonpath='{.status.conditions[?(@.type==\"Established\")].status}'");
  ASSERT_EQ(crd.exit_code, 0) << crd.err;
  EXPECT_EQ(crd.out, "True");
}

TEST_F(KubectlTest, DryRunsOfTheCrdAndTheKustomizeBaseCreateNothing) {
  auto client =
      kubectl("apply --dry-run=client -f config/crd/bases/lambda.knative.io_lambdaagents.yaml");
  ASSERT_EQ(client.exit_code, 0) << client.err;
  EXPECT_CONTAINS(client.out,
                  "customresourcedefinition.apiextensions.k8s.io/lambdaagents.lambda.knative.io");
  EXPECT_CONTAINS(client.out, "(dry run)");
  auto kustomize = kubectl("apply --dry-run=server -k config/");
  ASSERT_EQ(kustomize.exit_code, 0) << kustomize.err;
  EXPECT_CONTAINS(kustomize.out, "(server dry run)");
  // The server validated the CRD (a broken one is refused) and stored nothing.
  auto broken = kubectl("apply --dry-run=server -f -",
                        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
                        "metadata: {name: things.example.com}\nspec: {group: example.com, scope: "
                        "Namespaced, names: {plural: things, kind: Thing}, versions: [{name: v1, "
                        "served: true, storage: true, schema: {openAPIV3Schema: {type: object, "
                        "properties: {spec: {}}}}}]}\n");
  EXPECT_NE(broken.exit_code, 0);
  EXPECT_CONTAINS(broken.err, "spec.versions[0].schema.openAPIV3Schema.properties[spec].type");
  auto none = kubectl("get crd things.example.com");
  EXPECT_NE(none.exit_code, 0);
}

TEST_F(KubectlTest, ClientSideApplyCreatesThenLeavesUnchangedThenConfigures) {
  apply_crd();
  auto created = kubectl("apply -f examples/minimal.yaml");
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_CONTAINS(created.out, "created");
  auto again = kubectl("apply -f examples/minimal.yaml");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_CONTAINS(again.out, "unchanged");
  auto cm = kubectl("apply -f -",
                    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {a: '1'}\n");
  ASSERT_EQ(cm.exit_code, 0) << cm.err;
  EXPECT_CONTAINS(cm.out, "configmap/cfg created");
  auto changed =
      kubectl("apply -f -",
              "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {a: '2', b: '3'}\n");
  ASSERT_EQ(changed.exit_code, 0) << changed.err;
  EXPECT_CONTAINS(changed.out, "configmap/cfg configured");
  auto get = kubectl("get configmap cfg -o jsonpath='{.data.a}{.data.b}'");
  EXPECT_EQ(get.out, "23");
}

TEST_F(KubectlTest, ServerSideApplyReportsConflictsAndForceTakesOwnership) {
  auto first = kubectl("apply --server-side --field-manager=alice -f -",
                       "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa}\ndata: {k: a}\n");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_CONTAINS(first.out, "configmap/ssa serverside-applied");
  auto conflict = kubectl("apply --server-side --field-manager=bob -f -",
                          "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa}\ndata: {k: b}\n");
  EXPECT_NE(conflict.exit_code, 0);
  EXPECT_CONTAINS(conflict.err, "conflict");
  EXPECT_CONTAINS(conflict.err, "alice");
  auto forced = kubectl("apply --server-side --force-conflicts --field-manager=bob -f -",
                        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa}\ndata: {k: b}\n");
  ASSERT_EQ(forced.exit_code, 0) << forced.err;
  auto managers = kubectl(
      "get cm ssa --show-managed-fields -o jsonpath='{.metadata.managedFields[*].manager}'");
  EXPECT_CONTAINS(managers.out, "bob");
}

TEST_F(KubectlTest, GetPrintsPrinterColumnsAndYamlAndJson) {
  apply_crd();
  ASSERT_EQ(
      kubectl("apply -f -", "apiVersion: v1\nkind: Namespace\nmetadata: {name: agent-bruno}\n")
          .exit_code,
      0);
  auto applied = kubectl("apply -f examples/agent-bruno.yaml");
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  auto table = kubectl("get lambdaagents -n agent-bruno");
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_CONTAINS(table.out, "NAME");
  EXPECT_CONTAINS(table.out, "MODEL");
  EXPECT_CONTAINS(table.out, "agent-bruno");
  auto wide = kubectl("get la -n agent-bruno -o wide");
  ASSERT_EQ(wide.exit_code, 0) << wide.err;
  EXPECT_CONTAINS(wide.out, "agent-bruno");
  auto yaml = kubectl("get la agent-bruno -n agent-bruno -o yaml");
  ASSERT_EQ(yaml.exit_code, 0) << yaml.err;
  EXPECT_CONTAINS(yaml.out, "kind: LambdaAgent");
  EXPECT_CONTAINS(yaml.out, "uid:");
  auto json = kubectl("get la agent-bruno -n agent-bruno -o json");
  EXPECT_CONTAINS(json.out, "\"apiVersion\": \"lambda.knative.io/v1alpha1\"");
}

TEST_F(KubectlTest, ExplainShowsTheCrdFieldDocumentation) {
  apply_crd();
  auto r = kubectl("explain lambdaagent.spec.ai");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "KIND:       LambdaAgent");
  EXPECT_CONTAINS(r.out, "provider");
  EXPECT_CONTAINS(r.out, "model");
}

TEST_F(KubectlTest, PatchAndEditChangeTheObject) {
  ASSERT_EQ(kubectl("apply -f -",
                    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: p}\ndata: {a: '1'}\n")
                .exit_code,
            0);
  auto merge = kubectl("patch configmap p --type merge -p '{\"data\":{\"a\":\"2\"}}'");
  ASSERT_EQ(merge.exit_code, 0) << merge.err;
  EXPECT_CONTAINS(merge.out, "configmap/p patched");
  auto json_patch = kubectl(
      "patch configmap p --type json -p '[{\"op\":\"add\",\"path\":\"/data/b\",\"value\":\"x\"}]'");
  ASSERT_EQ(json_patch.exit_code, 0) << json_patch.err;
  auto strategic = kubectl("patch configmap p -p '{\"data\":{\"c\":\"y\"}}'");
  ASSERT_EQ(strategic.exit_code, 0) << strategic.err;
  // The "editor" changes data.a from "2" to "9" in the file kubectl hands it.
  auto editor = dir_ / "editor.sh";
  std::ofstream(editor) << "#!/bin/sh\nsed -i 's/a: \"2\"/a: \"9\"/' \"$1\"\n";
  fs::permissions(editor, fs::perms::owner_all);
  auto edit = kubectl("edit configmap p", "", "KUBE_EDITOR='" + editor.string() + "'");
  ASSERT_EQ(edit.exit_code, 0) << edit.err;
  EXPECT_CONTAINS(edit.out, "configmap/p edited");
  auto get = kubectl("get configmap p -o jsonpath='{.data.a}{.data.b}{.data.c}'");
  EXPECT_EQ(get.out, "9xy");
}

TEST_F(KubectlTest, DeleteWaitsForAFinalizerThenCompletes) {
  ASSERT_EQ(kubectl("apply -f -",
                    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fin, finalizers: "
                    "[example.com/hold]}\n")
                .exit_code,
            0);
  auto del = kubectl("delete configmap fin --wait=false");
  ASSERT_EQ(del.exit_code, 0) << del.err;
  EXPECT_CONTAINS(del.out, "deleted");
  auto still = kubectl("get configmap fin -o jsonpath='{.metadata.deletionTimestamp}'");
  ASSERT_EQ(still.exit_code, 0) << still.err;
  EXPECT_FALSE(still.out.empty());
  auto release = kubectl(
      "patch configmap fin --type json -p "
      "'[{\"op\":\"remove\",\"path\":\"/metadata/finalizers\"}]'");
  ASSERT_EQ(release.exit_code, 0) << release.err;
  auto gone = kubectl("get configmap fin");
  EXPECT_NE(gone.exit_code, 0);
  EXPECT_CONTAINS(gone.err, "NotFound");
}

TEST_F(KubectlTest, WaitReturnsWhenTheConditionBecomesTrue) {
  apply_crd();
  ASSERT_EQ(kubectl("apply -f examples/minimal.yaml").exit_code, 0);
  auto name = kubectl("get -f examples/minimal.yaml -o jsonpath='{.metadata.name}'");
  struct {
    std::string out = "default";  // examples/minimal.yaml names no namespace
  } ns;
  auto waiter = std::async(std::launch::async, [&] {
    return kubectl("wait --for=condition=Ready lambdaagent/" + name.out + " -n " + ns.out +
                   " --timeout=20s");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  auto status =
      kubectl("patch lambdaagent " + name.out + " -n " + ns.out +
              " --subresource=status --type merge -p "
              "'{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",\"reason\":"
              "\"Test\",\"message\":\"ok\",\"lastTransitionTime\":\"2026-01-01T00:00:00Z\"}]}}'");
  ASSERT_EQ(status.exit_code, 0) << status.err;
  auto waited = waiter.get();
  ASSERT_EQ(waited.exit_code, 0) << waited.err;
  EXPECT_CONTAINS(waited.out, "condition met");
}

TEST_F(KubectlTest, GetWatchPrintsObjectsAsTheyChange) {
  auto watcher = std::async(std::launch::async, [&] {
    return kubectl("get configmaps -n kube-public --watch --request-timeout=3s");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  ASSERT_EQ(
      kubectl(
          "apply -f -",
          "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: watched, namespace: kube-public}\n")
          .exit_code,
      0);
  auto watched = watcher.get();
  EXPECT_CONTAINS(watched.out, "watched");
}

// `kubectl create <kind>` uses typed clients, which send protobuf bodies (-v=8 shows the
// Content-Type, so these tests notice if kubectl ever switches to JSON).
class KubectlCreateTest : public KubectlTest {
 protected:
  // Runs `kubectl create ARGS -v=8` and checks that it sent protobuf and printed `printed`.
  static void create_with_protobuf(const std::string& args, const std::string& printed) {
    auto r = kubectl("create " + args + " -v=8");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_CONTAINS(r.out, printed);
    EXPECT_CONTAINS(r.err, "Content-Type: application/vnd.kubernetes.protobuf");
  }
  // The object as the server stored it.
  static boost::json::value stored(const std::string& collection, const std::string& ns,
                                   const std::string& name) {
    auto obj = server_->store().get({collection, ns, name});
    return obj ? obj->object : boost::json::value();
  }
  static std::string jsonpath(const std::string& what, const std::string& path) {
    auto r = kubectl("get " + what + " -o jsonpath='" + path + "'");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }
};

TEST_F(KubectlCreateTest, CreateNamespaceSendsProtobufThatIsStored) {
  create_with_protobuf("namespace proto-ns", "namespace/proto-ns created");
  auto ns = stored("/namespaces", "", "proto-ns");
  ASSERT_TRUE(ns.is_object());
  EXPECT_EQ(ns.at("kind"), "Namespace");
  EXPECT_TRUE(ns.at_pointer("/metadata/creationTimestamp").is_string());
  EXPECT_FALSE(ns.at_pointer("/metadata/uid").as_string().empty());
  EXPECT_EQ(jsonpath("namespace proto-ns", "{.metadata.name}"), "proto-ns");
}

TEST_F(KubectlCreateTest, CreateConfigMapFromLiteralSendsProtobufThatIsStored) {
  create_with_protobuf("configmap proto-cm --from-literal=a=1 --from-literal=b=two",
                       "configmap/proto-cm created");
  auto cm = stored("/configmaps", "default", "proto-cm");
  ASSERT_TRUE(cm.is_object());
  EXPECT_EQ(cm.at("data"), boost::json::parse(R"({"a":"1","b":"two"})"));
  EXPECT_EQ(jsonpath("configmap proto-cm", "{.data.a}"), "1");
}

TEST_F(KubectlCreateTest, CreateSecretGenericSendsProtobufWithBase64Data) {
  create_with_protobuf("secret generic proto-secret --from-literal=k=v",
                       "secret/proto-secret created");
  auto secret = stored("/secrets", "default", "proto-secret");
  ASSERT_TRUE(secret.is_object());
  EXPECT_EQ(secret.at("type"), "Opaque");
  EXPECT_EQ(jsonpath("secret proto-secret", "{.data.k}"), "dg==");
}

TEST_F(KubectlCreateTest, CreateServiceAccountSendsProtobufThatIsStored) {
  create_with_protobuf("serviceaccount proto-sa", "serviceaccount/proto-sa created");
  EXPECT_TRUE(stored("/serviceaccounts", "default", "proto-sa").is_object());
  EXPECT_EQ(jsonpath("serviceaccount proto-sa", "{.metadata.name}"), "proto-sa");
}

TEST_F(KubectlCreateTest, CreateServiceClusterIpSendsProtobufWithPortsAndSelector) {
  create_with_protobuf("service clusterip proto-svc --tcp=80:8080", "service/proto-svc created");
  auto svc = stored("/services", "default", "proto-svc");
  ASSERT_TRUE(svc.is_object());
  EXPECT_EQ(svc.at("spec"),
            boost::json::parse(R"({"ports":[{"name":"80-8080","protocol":"TCP","port":80,)"
                               R"("targetPort":8080}],"selector":{"app":"proto-svc"},)"
                               R"("type":"ClusterIP"})"));
  EXPECT_EQ(jsonpath("service proto-svc",
                     "{.spec.ports[0].port}/{.spec.ports[0].targetPort}/{.spec.type}/"
                     "{.metadata.labels.app}"),
            "80/8080/ClusterIP/proto-svc");
  auto get = kubectl("get service proto-svc");
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_CONTAINS(get.out, "80/TCP");
}

}  // namespace
}  // namespace lambda
