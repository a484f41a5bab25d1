#include "kube/config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "common/json_yaml.h"

namespace lambda::kube {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Stand-ins with the PEM markers the loader looks for; nothing here parses them as X.509.
constexpr std::string_view kCaPem =
    "-----BEGIN CERTIFICATE-----\nY2EtY2VydA==\n-----END CERTIFICATE-----\n";
constexpr std::string_view kClientCertPem =
    "-----BEGIN CERTIFICATE-----\nY2xpZW50\n-----END CERTIFICATE-----\n";
constexpr std::string_view kClientKeyPem =
    "-----BEGIN EC PRIVATE KEY-----\nc2VjcmV0LWtleQ==\n-----END EC PRIVATE KEY-----\n";
// base64 of the three above, as `base64 -w0` prints them.
constexpr std::string_view kCaData =
    "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tClkyRXRZMlZ5ZEE9PQotLS0tLUVORCBDRVJUSUZJQ0FURS0tLS0tCg==";
constexpr std::string_view kClientCertData =
    "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tClkyeHBaVzUwCi0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K";
constexpr std::string_view kClientKeyData =
    "LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS0tLS0tCmMyVmpjbVYwTFd0bGVRPT0KLS0tLS1FTkQgRUMgUFJJVkFURSBL"
    "RVktLS0tLQo=";

// A fresh directory per test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "kube-config-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string path(std::string_view relative = {}) const {
    return relative.empty() ? path_.string() : (path_ / relative).string();
  }

  std::string write(std::string_view relative, std::string_view content) const {
    fs::path file = path_ / relative;
    fs::create_directories(file.parent_path());
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << content;
    return file.string();
  }

 private:
  fs::path path_;
};

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// A JSON string's text; anything else as compact JSON, so a mismatch shows what was there.
std::string text_of(const boost::json::value& v) {
  return v.is_string() ? std::string(v.get_string()) : common::to_json(v, false);
}

Getenv env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

ClusterConnection loaded(const KubeconfigOptions& options) {
  auto result = load_kubeconfig(options);
  EXPECT_TRUE(result.has_value()) << result.error();
  return result ? *result : ClusterConnection{};
}

std::string load_error(const KubeconfigOptions& options) {
  auto result = load_kubeconfig(options);
  EXPECT_FALSE(result.has_value()) << "loaded " << describe(*result);
  return result ? std::string() : result.error();
}

KubeconfigOptions explicit_file(const std::string& path, std::string context = {}) {
  return KubeconfigOptions{path, std::move(context), env_of({})};
}

constexpr std::string_view kSimpleKubeconfig = R"(apiVersion: v1
kind: Config
clusters:
- name: kind
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tClkyRXRZMlZ5ZEE9PQotLS0tLUVORCBDRVJUSUZJQ0FURS0tLS0tCg==
users:
- name: admin
  user:
    token: s3cr3t-token
contexts:
- name: kind-kind
  context:
    cluster: kind
    user: admin
    namespace: team-a
current-context: kind-kind
)";

// ---------------------------------------------------------------------------------------------
// load_kubeconfig

TEST(LoadKubeconfig, ExplicitFileGivesServerCaTokenNamespaceAndContext) {
  TempDir dir;
  std::string file = dir.write("config", kSimpleKubeconfig);
  ClusterConnection c = loaded(explicit_file(file));
  EXPECT_EQ(c.server, "https://127.0.0.1:6443");
  EXPECT_NE(c.ca_pem.find("-----BEGIN CERTIFICATE-----"), std::string::npos);
  EXPECT_EQ(c.bearer_token, "s3cr3t-token");
  EXPECT_EQ(c.namespace_name, "team-a");
  EXPECT_EQ(c.context_name, "kind-kind");
  EXPECT_EQ(c.source, "kubeconfig " + file);
  EXPECT_FALSE(c.insecure_skip_tls_verify);
}

TEST(LoadKubeconfig, KubeconfigFilesMergeWithTheFirstDefinitionOfEachNameWinning) {
  TempDir dir;
  std::string a = dir.write("a", R"(
clusters:
- name: shared
  cluster: {server: "https://from-a:6443"}
users:
- name: me
  user: {token: token-from-a}
contexts:
- name: ctx-a
  context: {cluster: shared, user: me}
)");
  std::string b = dir.write("b", R"(
clusters:
- name: shared
  cluster: {server: "https://from-b:6443"}
users:
- name: me
  user: {token: token-from-b}
contexts:
- name: ctx-b
  context: {cluster: shared, user: me, namespace: from-b}
current-context: ctx-b
)");
  std::string c = dir.write("c", R"(
contexts:
- name: ctx-c
  context: {cluster: shared, user: me}
current-context: ctx-c
)");
  std::string missing = dir.path("missing");
  ClusterConnection conn =
      loaded({"", "", env_of({{"KUBECONFIG", missing + ":" + a + "::" + b + ":" + c + ":" + a}})});
  EXPECT_EQ(conn.context_name, "ctx-b") << "current-context from the first file that sets it";
  EXPECT_EQ(conn.server, "https://from-a:6443") << "cluster \"shared\" from the first file";
  EXPECT_EQ(conn.bearer_token, "token-from-a");
  EXPECT_EQ(conn.namespace_name, "from-b");
  EXPECT_EQ(conn.source, "kubeconfig " + a + ":" + b + ":" + c);
}

TEST(LoadKubeconfig, AnEntryIsTakenWholeFromTheFirstFileEvenWhenALaterOneHasMoreFields) {
  TempDir dir;
  std::string a = dir.write("a", R"(
clusters: [{name: c, cluster: {server: "https://a"}}]
users: [{name: u, user: {token: only-token}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
)");
  std::string b = dir.write("b", std::string(R"(
users: [{name: u, user: {client-certificate-data: )") +
                                     std::string(kClientCertData) +
                                     ", client-key-data: " + std::string(kClientKeyData) + "}}]\n");
  ClusterConnection conn = loaded({"", "", env_of({{"KUBECONFIG", a + ":" + b}})});
  EXPECT_EQ(conn.bearer_token, "only-token");
  EXPECT_TRUE(conn.client_cert_pem.empty());
  EXPECT_TRUE(conn.client_key_pem.empty());
}

TEST(LoadKubeconfig, ContextOptionOverridesCurrentContext) {
  TempDir dir;
  std::string file = dir.write("config", R"(
clusters:
- {name: one, cluster: {server: "https://one"}}
- {name: two, cluster: {server: "https://two:8443/prefix/"}}
contexts:
- {name: first, context: {cluster: one}}
- {name: second, context: {cluster: two}}
current-context: first
)");
  ClusterConnection conn = loaded(explicit_file(file, "second"));
  EXPECT_EQ(conn.context_name, "second");
  EXPECT_EQ(conn.server, "https://two:8443/prefix") << "path kept, trailing slash dropped";
  EXPECT_EQ(conn.namespace_name, "default");
  EXPECT_EQ(describe(conn).find("auth none") != std::string::npos, true) << describe(conn);
}

TEST(LoadKubeconfig, DefaultsToTheHomeKubeconfig) {
  TempDir dir;
  std::string file = dir.write("home/.kube/config", kSimpleKubeconfig);
  ClusterConnection conn = loaded({"", "", env_of({{"HOME", dir.path("home")}})});
  EXPECT_EQ(conn.server, "https://127.0.0.1:6443");
  EXPECT_EQ(conn.source, "kubeconfig " + file);
}

TEST(LoadKubeconfig, MissingHomeKubeconfigIsAnErrorNamingThePath) {
  TempDir dir;
  std::string error = load_error({"", "", env_of({{"HOME", dir.path()}})});
  EXPECT_EQ(error, "no kubeconfig found: " + dir.path(".kube/config") + " does not exist");
}

TEST(LoadKubeconfig, MissingExplicitFileIsAnError) {
  TempDir dir;
  std::string error = load_error(explicit_file(dir.path("nope")));
  EXPECT_EQ(error, "cannot read kubeconfig " + dir.path("nope") + ": No such file or directory");
}

TEST(LoadKubeconfig, KubeconfigListingOnlyMissingFilesIsAnError) {
  TempDir dir;
  std::string error =
      load_error({"", "", env_of({{"KUBECONFIG", dir.path("x") + ":" + dir.path("y")}})});
  EXPECT_EQ(error, "no kubeconfig found: none of the KUBECONFIG files exists (" + dir.path("x") +
                       ", " + dir.path("y") + ")");
}

TEST(LoadKubeconfig, UnknownContextIsAnErrorListingTheFiles) {
  TempDir dir;
  std::string a = dir.write("a", kSimpleKubeconfig);
  std::string b = dir.write("b", "");
  std::string error = load_error({"", "prod", env_of({{"KUBECONFIG", a + ":" + b}})});
  EXPECT_EQ(error, "context \"prod\" not found in kubeconfig (files: " + a + ", " + b + ")");
}

TEST(LoadKubeconfig, NoCurrentContextAndNoContextOptionIsAnError) {
  TempDir dir;
  std::string file = dir.write("config", "clusters: [{name: c, cluster: {server: https://c}}]\n");
  std::string error = load_error(explicit_file(file));
  EXPECT_NE(error.find("no context chosen"), std::string::npos) << error;
  EXPECT_NE(error.find(file), std::string::npos) << error;
}

TEST(LoadKubeconfig, ContextWithoutClusterIsARequiredValueErrorAtItsPath) {
  TempDir dir;
  std::string file = dir.write("config", R"(
clusters: [{name: c, cluster: {server: "https://c"}}]
contexts:
- {name: a, context: {cluster: c}}
- {name: b, context: {cluster: c}}
- {name: broken, context: {user: u}}
current-context: broken
)");
  EXPECT_EQ(load_error(explicit_file(file)),
            file + ": contexts[2].context.cluster: Required value");
}

TEST(LoadKubeconfig, ContextNamingAnUndefinedClusterOrUserIsAnError) {
  TempDir dir;
  std::string file = dir.write("config", R"(
clusters: [{name: c, cluster: {server: "https://c"}}]
contexts:
- {name: no-cluster, context: {cluster: gone}}
- {name: no-user, context: {cluster: c, user: ghost}}
)");
  EXPECT_EQ(load_error(explicit_file(file, "no-cluster")),
            file + ": contexts[0].context.cluster: cluster \"gone\" not found in kubeconfig " +
                "(files: " + file + ")");
  EXPECT_EQ(load_error(explicit_file(file, "no-user")),
            file + ": contexts[1].context.user: user \"ghost\" not found in kubeconfig (files: " +
                file + ")");
}

TEST(LoadKubeconfig, ClusterWithoutServerIsAnError) {
  TempDir dir;
  std::string file = dir.write("config", R"(
clusters: [{name: c, cluster: {insecure-skip-tls-verify: true}}]
contexts: [{name: x, context: {cluster: c}}]
current-context: x
)");
  EXPECT_EQ(load_error(explicit_file(file)), file + ": clusters[0].cluster.server: Required value");
}

TEST(LoadKubeconfig, RelativePathsResolveAgainstTheFileThatNamedThem) {
  TempDir dir;
  dir.write("clusters/pki/ca.crt", kCaPem);
  dir.write("users/certs/client.crt", kClientCertPem);
  dir.write("users/certs/client.key", kClientKeyPem);
  dir.write("token", "file-token\n");
  std::string clusters = dir.write("clusters/config", R"(
clusters: [{name: c, cluster: {server: "https://c", certificate-authority: pki/ca.crt}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
)");
  std::string users = dir.write("users/config", R"(
users:
- name: u
  user:
    client-certificate: certs/client.crt
    client-key: ./certs/client.key
    tokenFile: ../token
)");
  ClusterConnection conn = loaded({"", "", env_of({{"KUBECONFIG", clusters + ":" + users}})});
  EXPECT_EQ(conn.ca_pem, kCaPem);
  EXPECT_EQ(conn.client_cert_pem, kClientCertPem);
  EXPECT_EQ(conn.client_key_pem, kClientKeyPem);
  EXPECT_EQ(conn.bearer_token_file, dir.path("token"));
  EXPECT_EQ(conn.bearer_token, "file-token") << "read at load, trimmed";
}

TEST(LoadKubeconfig, UnreadableReferencedFileIsAnErrorNamingFieldAndFile) {
  TempDir dir;
  std::string file = dir.write("config", R"(
clusters: [{name: c, cluster: {server: "https://c", certificate-authority: missing-ca.crt}}]
contexts: [{name: x, context: {cluster: c}}]
current-context: x
)");
  EXPECT_EQ(load_error(explicit_file(file)),
            file + ": clusters[0].cluster.certificate-authority: cannot read " +
                dir.path("missing-ca.crt") + ": No such file or directory");
}

TEST(LoadKubeconfig, DataFieldsAreBase64EvenWhenWrappedOverLines) {
  TempDir dir;
  std::string wrapped(kClientKeyData);
  wrapped.insert(40, "\\r\\n");  // a YAML escape: the value holds a real line break
  std::string file = dir.write(
      "config",
      "clusters: [{name: c, cluster: {server: \"https://c\", certificate-authority-data: " +
          std::string(kCaData) + "}}]\nusers:\n- name: u\n  user:\n" +
          "    client-certificate-data: " + std::string(kClientCertData) +
          "\n    client-key-data: \"" + wrapped +
          "\"\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n" + "current-context: x\n");
  ClusterConnection conn = loaded(explicit_file(file));
  EXPECT_EQ(conn.ca_pem, kCaPem);
  EXPECT_EQ(conn.client_cert_pem, kClientCertPem);
  EXPECT_EQ(conn.client_key_pem, kClientKeyPem);
}

TEST(LoadKubeconfig, BadBase64IsAnErrorNamingTheFieldButNotItsContent) {
  TempDir dir;
  std::string file = dir.write("config", R"(
clusters: [{name: c, cluster: {server: "https://c"}}]
users:
- name: fine
  user: {token: abc}
- name: broken
  user: {client-certificate-data: aGVsbG8=, client-key-data: "c2VjcmV0#bad"}
contexts: [{name: x, context: {cluster: c, user: fine}}]
current-context: x
)");
  std::string error = load_error(explicit_file(file));
  EXPECT_EQ(error, file + ": users[1].user.client-key-data: illegal base64 data at input byte 8");
  EXPECT_EQ(error.find("c2VjcmV0"), std::string::npos);
}

TEST(LoadKubeconfig, UnpaddedBase64IsAnErrorAsInGo) {
  TempDir dir;
  std::string file = dir.write("config", R"(
clusters: [{name: c, cluster: {server: "https://c", certificate-authority-data: aGVsbG8}}]
)");
  EXPECT_EQ(load_error(explicit_file(file)),
            file +
                ": clusters[0].cluster.certificate-authority-data: illegal base64 data at "
                "input byte 4");
}

TEST(LoadKubeconfig, Base64ErrorOffsetsAreThoseKubectlReports) {
  // Offsets measured with kubectl 1.32 (`kubectl config view` on the same data).
  struct Case {
    std::string_view yaml_value;  // as written inside a double-quoted YAML scalar
    int offset;
  };
  for (const Case& c : {Case{"a===", 1}, Case{"aGVsbG8=x", 8}, Case{"aG=sbG8=", 2}, Case{"a", 0},
                        Case{"aGVsbG8==", 8}, Case{"aGVs bG8=", 4}, Case{"=", 0}, Case{"aG=", 3},
                        Case{"aG=\\n", 4}, Case{"aGVsbG\\n8", 5}, Case{"aGVsbG8=\\r\\n=", 10}}) {
    TempDir dir;
    std::string file = dir.write("config",
                                 "clusters: [{name: c, cluster: {server: \"https://c\", "
                                 "certificate-authority-data: \"" +
                                     std::string(c.yaml_value) + "\"}}]\n");
    EXPECT_EQ(load_error(explicit_file(file)),
              file +
                  ": clusters[0].cluster.certificate-authority-data: illegal base64 data at "
                  "input byte " +
                  std::to_string(c.offset))
        << c.yaml_value;
  }
}

TEST(LoadKubeconfig, ExecPluginUserIsAnUnsupportedErrorNamingTheUser) {
  TempDir dir;
  std::string file = dir.write("config", R"(
clusters: [{name: eks, cluster: {server: "https://eks"}}]
users:
- name: aws-user
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: aws
      args: [eks, get-token]
contexts: [{name: x, context: {cluster: eks, user: aws-user}}]
current-context: x
)");
  std::string error = load_error(explicit_file(file));
  EXPECT_EQ(error.rfind(file + ": users[0].user.exec: user \"aws-user\" authenticates with an "
                               "exec credential plugin, which is not supported",
                        0),
            0u)
      << error;
}

TEST(LoadKubeconfig, AuthProviderUserIsAnUnsupportedError) {
  TempDir dir;
  std::string file = dir.write("config", R"(
clusters: [{name: gke, cluster: {server: "https://gke"}}]
users: [{name: gcp, user: {auth-provider: {name: gcp}}}]
contexts: [{name: x, context: {cluster: gke, user: gcp}}]
current-context: x
)");
  std::string error = load_error(explicit_file(file));
  EXPECT_NE(error.find(file + ": users[0].user.auth-provider: user \"gcp\""), std::string::npos)
      << error;
  EXPECT_NE(error.find("not supported"), std::string::npos) << error;
}

TEST(LoadKubeconfig, WrongTypesAreErrorsAtTheirPathWithoutQuotingValues) {
  TempDir dir;
  std::string file = dir.write("config", R"(
clusters:
- name: c
  cluster: {server: "https://c", insecure-skip-tls-verify: "true"}
users: [{name: u, user: {token: s3cr3t-token, password: [s3cr3t-password]}}]
)");
  EXPECT_EQ(load_error(explicit_file(file)),
            file +
                ": clusters[0].cluster.insecure-skip-tls-verify: must be a boolean, not a "
                "string");
  std::string users = dir.write("users", R"(
users: [{name: u, user: {token: s3cr3t-token, password: [s3cr3t-password]}}]
)");
  std::string error = load_error(explicit_file(users));
  EXPECT_EQ(error, users + ": users[0].user.password: must be a string, not a list");
  EXPECT_EQ(error.find("s3cr3t"), std::string::npos);
}

TEST(LoadKubeconfig, MalformedStructureIsAnErrorAtItsPathNeverACrash) {
  struct Case {
    std::string_view text;
    std::string_view error;  // after "<file>: "
  };
  const Case cases[] = {
      {"- a\n- b\n", "must be a kubeconfig mapping, not a list"},
      {"just text\n", "must be a kubeconfig mapping, not a string"},
      {"kind: Pod\n", "kind: Unsupported value: \"Pod\": supported values: \"Config\""},
      {"apiVersion: v2\n", "apiVersion: Unsupported value: \"v2\": supported values: \"v1\""},
      {"clusters: {a: b}\n", "clusters: must be a list, not a mapping"},
      {"clusters: [x]\n", "clusters[0]: must be a mapping, not a string"},
      {"users: [{name: [a]}]\n", "users[0].name: must be a string, not a list"},
      {"contexts: [{name: a, context: 3}]\n",
       "contexts[0].context: must be a mapping, not a number"},
      {"clusters: [{name: a, cluster: {server: 5}}]\n",
       "clusters[0].cluster.server: must be a string, not a number"},
      {"users: [{name: a, user: {exec: cmd}}]\n",
       "users[0].user.exec: must be a mapping, not a string"},
      {"current-context: {a: 1}\n", "current-context: must be a string, not a mapping"},
  };
  for (const Case& c : cases) {
    TempDir dir;
    std::string file = dir.write("config", c.text);
    EXPECT_EQ(load_error(explicit_file(file)), file + ": " + std::string(c.error)) << c.text;
  }
}

TEST(LoadKubeconfig, EveryTruncationOfAValidFileLoadsOrFailsWithAMessage) {
  TempDir dir;
  std::string full(kSimpleKubeconfig);
  for (std::size_t length = 0; length <= full.size(); ++length) {
    std::string file = dir.write("config", full.substr(0, length));
    auto result = load_kubeconfig(explicit_file(file));
    if (!result) {
      EXPECT_FALSE(result.error().empty()) << length;
      EXPECT_EQ(result.error().find("s3cr3t"), std::string::npos) << result.error();
    }
  }
  EXPECT_TRUE(load_kubeconfig(explicit_file(dir.write("config", full))).has_value());
}

TEST(LoadKubeconfig, ImpersonationAndProxyUrlAreUnsupportedErrors) {
  TempDir dir;
  std::string file = dir.write("config", R"(
clusters:
- {name: c, cluster: {server: "https://c"}}
- {name: proxied, cluster: {server: "https://p", proxy-url: "http://proxy:3128"}}
users: [{name: u, user: {token: t, as-groups: [system:masters]}}]
contexts:
- {name: impersonating, context: {cluster: c, user: u}}
- {name: proxied, context: {cluster: proxied}}
)");
  EXPECT_EQ(load_error(explicit_file(file, "impersonating")),
            file +
                ": users[0].user.as-groups: user \"u\" impersonates another user, which is not "
                "supported");
  EXPECT_EQ(load_error(explicit_file(file, "proxied")),
            file + ": clusters[1].cluster: proxy-url is not supported");
}

TEST(LoadKubeconfig, CaTogetherWithInsecureSkipTlsVerifyIsAnError) {
  TempDir dir;
  std::string file =
      dir.write("config",
                "clusters: [{name: c, cluster: {server: \"https://c\", "
                "insecure-skip-tls-verify: true, "
                "certificate-authority-data: " +
                    std::string(kCaData) + "}}]\n" +
                    "contexts: [{name: x, context: {cluster: c}}]\n" + "current-context: x\n");
  EXPECT_EQ(load_error(explicit_file(file)),
            file +
                ": clusters[0].cluster: specifying a root certificates file with the insecure "
                "flag is not allowed");
}

TEST(LoadKubeconfig, YamlSyntaxErrorNamesTheFileAndLine) {
  TempDir dir;
  std::string file = dir.write("config", "clusters:\n- name: c\n  cluster: [\n");
  std::string error = load_error(explicit_file(file));
  EXPECT_EQ(error.rfind(file + ": line ", 0), 0u) << error;
}

TEST(LoadKubeconfig, NameDefinedTwiceInOneFileIsAnError) {
  TempDir dir;
  std::string file = dir.write("config", R"(
clusters:
- {name: c, cluster: {server: "https://one"}}
- {name: c, cluster: {server: "https://two"}}
)");
  EXPECT_EQ(load_error(explicit_file(file)), file + ": clusters[1].name: Duplicate value: \"c\"");
}

TEST(LoadKubeconfig, NamespaceMustBeADns1123Label) {
  TempDir dir;
  std::string file = dir.write("config", R"(
clusters: [{name: c, cluster: {server: "https://c"}}]
contexts: [{name: x, context: {cluster: c, namespace: Team_A}}]
current-context: x
)");
  std::string error = load_error(explicit_file(file));
  EXPECT_EQ(error.rfind(file + ": contexts[0].context.namespace: Invalid value: \"Team_A\"", 0), 0u)
      << error;
}

TEST(LoadKubeconfig, TokenAndBasicAuthTogetherAreAnError) {
  TempDir dir;
  std::string file = dir.write("config", R"(
clusters: [{name: c, cluster: {server: "https://c"}}]
users: [{name: u, user: {token: t0ken, username: admin, password: hunter2}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
)");
  std::string error = load_error(explicit_file(file));
  EXPECT_NE(error.find("more than one authentication method found for \"u\""), std::string::npos)
      << error;
  EXPECT_EQ(error.find("t0ken"), std::string::npos);
  EXPECT_EQ(error.find("hunter2"), std::string::npos);
}

TEST(LoadKubeconfig, CaFileAndCaDataTogetherAreAnError) {
  TempDir dir;
  dir.write("ca.crt", kCaPem);
  std::string file =
      dir.write("config",
                "clusters: [{name: c, cluster: {server: \"https://c\", "
                "certificate-authority: ca.crt, "
                "certificate-authority-data: " +
                    std::string(kCaData) + "}}]\n" +
                    "contexts: [{name: x, context: {cluster: c}}]\n" + "current-context: x\n");
  EXPECT_EQ(load_error(explicit_file(file)),
            file +
                ": clusters[0].cluster: certificate-authority-data and certificate-authority "
                "are both specified");
}

TEST(LoadKubeconfig, InsecureSkipTlsVerifyWithoutCaIsAccepted) {
  TempDir dir;
  std::string file = dir.write("config", R"(
clusters: [{name: c, cluster: {server: "https://c", insecure-skip-tls-verify: true, tls-server-name: api.internal}}]
contexts: [{name: x, context: {cluster: c}}]
current-context: x
)");
  ClusterConnection conn = loaded(explicit_file(file));
  EXPECT_TRUE(conn.insecure_skip_tls_verify);
  EXPECT_EQ(conn.tls_server_name, "api.internal");
}

TEST(LoadKubeconfig, ClientCertificateWithoutKeyIsAnError) {
  TempDir dir;
  std::string file = dir.write("config",
                               "clusters: [{name: c, cluster: {server: \"https://c\"}}]\n"
                               "users: [{name: u, user: {client-certificate-data: " +
                                   std::string(kClientCertData) + "}}]\n" +
                                   "contexts: [{name: x, context: {cluster: c, user: "
                                   "u}}]\ncurrent-context: x\n");
  std::string error = load_error(explicit_file(file));
  EXPECT_NE(error.find("client-key-data or client-key must be specified for \"u\""),
            std::string::npos)
      << error;
}

TEST(LoadKubeconfig, ServerWithoutSchemeGetsHttpsOnlyWithTlsSettings) {
  TempDir dir;
  std::string file = dir.write("config", R"(
clusters:
- {name: tls, cluster: {server: "api:6443", insecure-skip-tls-verify: true}}
- {name: plain, cluster: {server: "localhost:8080"}}
users: [{name: u, user: {token: t}}]
contexts:
- {name: tls, context: {cluster: tls, user: u}}
- {name: plain, context: {cluster: plain, user: u}}
)");
  EXPECT_EQ(loaded(explicit_file(file, "tls")).server, "https://api:6443");
  ClusterConnection plain = loaded(explicit_file(file, "plain"));
  EXPECT_EQ(plain.server, "http://localhost:8080");
  EXPECT_TRUE(plain.bearer_token.empty()) << "credentials are never sent over plain http";
}

TEST(LoadKubeconfig, ServerThatIsNotAnHttpUrlIsAnError) {
  TempDir dir;
  std::string file = dir.write("config", R"(
clusters: [{name: c, cluster: {server: "ftp://files:21"}}]
contexts: [{name: x, context: {cluster: c}}]
current-context: x
)");
  EXPECT_EQ(load_error(explicit_file(file)),
            file + ": clusters[0].cluster.server: must be an http or https URL");
}

TEST(LoadKubeconfig, TokenFileAloneMustBeReadableAtLoad) {
  TempDir dir;
  std::string file = dir.write("config", R"(
clusters: [{name: c, cluster: {server: "https://c"}}]
users: [{name: u, user: {tokenFile: token}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
)");
  EXPECT_EQ(load_error(explicit_file(file)), file + ": users[0].user.tokenFile: cannot read " +
                                                 dir.path("token") + ": No such file or directory");
}

TEST(LoadKubeconfig, EmptyFileInTheListIsAnEmptyConfig) {
  TempDir dir;
  std::string empty = dir.write("empty", "");
  std::string comments = dir.write("comments", "# nothing here\n");
  std::string real = dir.write("real", kSimpleKubeconfig);
  ClusterConnection conn =
      loaded({"", "", env_of({{"KUBECONFIG", empty + ":" + comments + ":" + real}})});
  EXPECT_EQ(conn.context_name, "kind-kind");
}

// ---------------------------------------------------------------------------------------------
// in_cluster

TEST(InCluster, ReadsTheServiceAccountDirectory) {
  TempDir dir;
  dir.write("sa/token", "sa-token\n");
  dir.write("sa/ca.crt", kCaPem);
  dir.write("sa/namespace", "operators\n");
  auto conn = in_cluster(
      env_of({{"KUBERNETES_SERVICE_HOST", "10.96.0.1"}, {"KUBERNETES_SERVICE_PORT", "443"}}),
      dir.path("sa"));
  ASSERT_TRUE(conn.has_value()) << conn.error();
  EXPECT_EQ(conn->server, "https://10.96.0.1:443");
  EXPECT_EQ(conn->bearer_token, "sa-token");
  EXPECT_EQ(conn->bearer_token_file, dir.path("sa/token"));
  EXPECT_EQ(conn->ca_pem, kCaPem);
  EXPECT_EQ(conn->namespace_name, "operators");
  EXPECT_EQ(conn->source, "in-cluster");
}

TEST(InCluster, PutsAnIpv6HostInBrackets) {
  TempDir dir;
  dir.write("token", "t");
  auto conn = in_cluster(
      env_of({{"KUBERNETES_SERVICE_HOST", "fd00:10:96::1"}, {"KUBERNETES_SERVICE_PORT", "443"}}),
      dir.path());
  ASSERT_TRUE(conn.has_value()) << conn.error();
  EXPECT_EQ(conn->server, "https://[fd00:10:96::1]:443");
}

TEST(InCluster, WithoutServiceHostAndPortFailsWithClientGosMessage) {
  auto conn = in_cluster(env_of({{"KUBERNETES_SERVICE_HOST", "10.96.0.1"}}), "/nonexistent");
  ASSERT_FALSE(conn.has_value());
  EXPECT_EQ(conn.error(),
            "unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and "
            "KUBERNETES_SERVICE_PORT must be defined");
}

TEST(InCluster, MissingTokenIsAnErrorNamingTheFile) {
  TempDir dir;
  auto conn = in_cluster(
      env_of({{"KUBERNETES_SERVICE_HOST", "10.96.0.1"}, {"KUBERNETES_SERVICE_PORT", "443"}}),
      dir.path());
  ASSERT_FALSE(conn.has_value());
  EXPECT_EQ(conn.error(), "unable to load in-cluster configuration: cannot read " +
                              dir.path("token") + ": No such file or directory");
}

TEST(InCluster, PodNamespaceVariableWinsAndMissingFilesFallBackToDefaults) {
  TempDir dir;
  dir.write("token", "t");
  dir.write("namespace", "from-file");
  auto env = std::map<std::string, std::string>{{"KUBERNETES_SERVICE_HOST", "h"},
                                                {"KUBERNETES_SERVICE_PORT", "1"}};
  auto plain = in_cluster(env_of(env), dir.path());
  ASSERT_TRUE(plain.has_value()) << plain.error();
  EXPECT_EQ(plain->namespace_name, "from-file");
  EXPECT_TRUE(plain->ca_pem.empty()) << "a missing ca.crt is not an error, as in client-go";
  EXPECT_NE(describe(*plain).find("system trust store"), std::string::npos);

  env["POD_NAMESPACE"] = "from-env";
  auto with_env = in_cluster(env_of(env), dir.path());
  ASSERT_TRUE(with_env.has_value());
  EXPECT_EQ(with_env->namespace_name, "from-env");

  fs::remove(dir.path("namespace"));
  env.erase("POD_NAMESPACE");
  auto neither = in_cluster(env_of(env), dir.path());
  ASSERT_TRUE(neither.has_value());
  EXPECT_EQ(neither->namespace_name, "default");
}

// ---------------------------------------------------------------------------------------------
// load_default

class LoadDefault : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.write("sa/token", "sa-token");
    home_file_ = dir_.write("home/.kube/config", kSimpleKubeconfig);
    other_file_ = dir_.write("other", R"(
clusters: [{name: o, cluster: {server: "https://other"}}]
contexts: [{name: o, context: {cluster: o}}]
current-context: o
)");
  }
  std::map<std::string, std::string> env_{{"HOME", ""}};
  TempDir dir_;
  std::string home_file_, other_file_;

  std::map<std::string, std::string> in_pod() const {
    return {{"HOME", dir_.path("home")},
            {"KUBERNETES_SERVICE_HOST", "10.96.0.1"},
            {"KUBERNETES_SERVICE_PORT", "443"}};
  }
};

TEST_F(LoadDefault, ExplicitKubeconfigWinsOverEverything) {
  auto env = in_pod();
  env["KUBECONFIG"] = home_file_;
  auto conn = load_default(other_file_, "", env_of(env), dir_.path("sa"));
  ASSERT_TRUE(conn.has_value()) << conn.error();
  EXPECT_EQ(conn->server, "https://other");
  EXPECT_EQ(conn->source, "kubeconfig " + other_file_);
}

TEST_F(LoadDefault, KubeconfigVariableWinsOverInCluster) {
  auto env = in_pod();
  env["KUBECONFIG"] = other_file_;
  auto conn = load_default("", "", env_of(env), dir_.path("sa"));
  ASSERT_TRUE(conn.has_value()) << conn.error();
  EXPECT_EQ(conn->source, "kubeconfig " + other_file_);
}

TEST_F(LoadDefault, InClusterWhenTheServiceHostIsSet) {
  auto conn = load_default("", "", env_of(in_pod()), dir_.path("sa"));
  ASSERT_TRUE(conn.has_value()) << conn.error();
  EXPECT_EQ(conn->source, "in-cluster");
  EXPECT_EQ(conn->server, "https://10.96.0.1:443");
}

TEST_F(LoadDefault, HomeKubeconfigOutsideACluster) {
  auto conn = load_default("", "", env_of({{"HOME", dir_.path("home")}}), dir_.path("sa"));
  ASSERT_TRUE(conn.has_value()) << conn.error();
  EXPECT_EQ(conn->source, "kubeconfig " + home_file_);
}

TEST_F(LoadDefault, AContextNamesAKubeconfigEntrySoInClusterIsSkipped) {
  auto conn = load_default("", "kind-kind", env_of(in_pod()), dir_.path("sa"));
  ASSERT_TRUE(conn.has_value()) << conn.error();
  EXPECT_EQ(conn->source, "kubeconfig " + home_file_);
}

TEST_F(LoadDefault, FailedInClusterFallsBackToHomeAndReportsBothWhenThatFailsToo) {
  auto env = in_pod();
  auto fallback = load_default("", "", env_of(env), dir_.path("no-sa"));
  ASSERT_TRUE(fallback.has_value()) << fallback.error();
  EXPECT_EQ(fallback->source, "kubeconfig " + home_file_);

  env["HOME"] = dir_.path("nowhere");
  auto failed = load_default("", "", env_of(env), dir_.path("no-sa"));
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error(), "in-cluster: unable to load in-cluster configuration: cannot read " +
                                dir_.path("no-sa/token") +
                                ": No such file or directory; kubeconfig: no kubeconfig found: " +
                                dir_.path("nowhere/.kube/config") + " does not exist");
}

// ---------------------------------------------------------------------------------------------
// BearerToken

struct FakeClock {
  std::chrono::steady_clock::time_point now = std::chrono::steady_clock::time_point{} + 1h;
  BearerToken::Clock clock() {
    return [this] { return now; };
  }
};

TEST(BearerToken, WithoutAFileReturnsTheStaticToken) {
  ClusterConnection conn;
  conn.bearer_token = "static";
  BearerToken token(conn);
  EXPECT_EQ(token.current(), "static");
  EXPECT_EQ(token.last_error(), "");
}

TEST(BearerToken, RereadsTheFileWhenItsModificationTimeChanges) {
  TempDir dir;
  std::string file = dir.write("token", "first\n");
  ClusterConnection conn;
  conn.bearer_token_file = file;
  FakeClock clock;
  BearerToken token(conn, clock.clock());
  EXPECT_EQ(token.current(), "first");

  auto mtime = fs::last_write_time(file);
  dir.write("token", "second");
  fs::last_write_time(file, mtime + 1s);
  EXPECT_EQ(token.current(), "second") << "no clock advance needed";
}

TEST(BearerToken, RereadsAtLeastOnceAMinuteEvenWithTheSameModificationTime) {
  TempDir dir;
  std::string file = dir.write("token", "first");
  ClusterConnection conn;
  conn.bearer_token_file = file;
  FakeClock clock;
  BearerToken token(conn, clock.clock());
  EXPECT_EQ(token.current(), "first");

  auto mtime = fs::last_write_time(file);
  dir.write("token", "rotated");
  fs::last_write_time(file, mtime);
  clock.now += 59s;
  EXPECT_EQ(token.current(), "first") << "unchanged file, within the minute: cached";
  clock.now += 1s;
  EXPECT_EQ(token.current(), "rotated");
}

TEST(BearerToken, KeepsTheLastGoodTokenWhenTheFileDisappearsOrEmpties) {
  TempDir dir;
  std::string file = dir.write("token", "good-token");
  ClusterConnection conn;
  conn.bearer_token_file = file;
  conn.bearer_token = "static-fallback";
  FakeClock clock;
  BearerToken token(conn, clock.clock());
  EXPECT_EQ(token.current(), "good-token");

  fs::remove(file);
  clock.now += 61s;
  EXPECT_EQ(token.current(), "good-token");
  EXPECT_EQ(token.last_error(), "cannot read token file " + file + ": No such file or directory");

  dir.write("token", "  \n");
  clock.now += 61s;
  EXPECT_EQ(token.current(), "good-token");
  EXPECT_EQ(token.last_error(), "token file " + file + " is empty");
  EXPECT_EQ(token.last_error().find("good-token"), std::string::npos);

  dir.write("token", "new-token");
  clock.now += 61s;
  EXPECT_EQ(token.current(), "new-token");
  EXPECT_EQ(token.last_error(), "");
}

TEST(BearerToken, FallsBackToTheStaticTokenWhileTheFileWasNeverReadable) {
  TempDir dir;
  ClusterConnection conn;
  conn.bearer_token_file = dir.path("absent");
  conn.bearer_token = "static-fallback";
  FakeClock clock;
  BearerToken token(conn, clock.clock());
  EXPECT_EQ(token.current(), "static-fallback");
  EXPECT_NE(token.last_error(), "");
}

// ---------------------------------------------------------------------------------------------
// write_kubeconfig

ClusterConnection sample_connection() {
  ClusterConnection c;
  c.server = "https://api.example.test:6443";
  c.ca_pem = std::string(kCaPem);
  c.client_cert_pem = std::string(kClientCertPem);
  c.client_key_pem = std::string(kClientKeyPem);
  c.bearer_token = "written-token";
  c.namespace_name = "agents";
  c.tls_server_name = "kubernetes.default.svc";
  return c;
}

TEST(WriteKubeconfig, WhatIsWrittenLoadsBackAsTheSameConnection) {
  TempDir dir;
  std::string path = dir.path("out/kubeconfig");
  ClusterConnection original = sample_connection();
  auto written = write_kubeconfig({path, original, "lambda", "", ""});
  ASSERT_TRUE(written.has_value()) << written.error();

  ClusterConnection back = loaded(explicit_file(path));
  ClusterConnection expected = original;
  expected.context_name = "lambda";
  expected.source = "kubeconfig " + path;
  EXPECT_EQ(back, expected) << describe(back);
}

TEST(WriteKubeconfig, WritesMode0600AndLeavesNoTemporaryFiles) {
  TempDir dir;
  std::string path = dir.write("kubeconfig", "old content");
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                            fs::perms::others_read);
  auto written = write_kubeconfig({path, sample_connection(), "", "", ""});
  ASSERT_TRUE(written.has_value()) << written.error();
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_NE(read(path).find("kind: Config"), std::string::npos);
  int entries = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 1);
}

TEST(WriteKubeconfig, ConnectionWithoutServerIsRefused) {
  TempDir dir;
  auto written = write_kubeconfig({dir.path("k"), ClusterConnection{}, "", "", ""});
  ASSERT_FALSE(written.has_value());
  EXPECT_EQ(written.error(),
            "writing kubeconfig " + dir.path("k") + ": the connection has no server");
  EXPECT_FALSE(fs::exists(dir.path("k")));
}

TEST(WriteKubeconfig, NamesDefaultToTheContextAndTheContextToDefault) {
  TempDir dir;
  std::string path = dir.path("k");
  ClusterConnection c;
  c.server = "https://s";
  ASSERT_TRUE(write_kubeconfig({path, c, "", "", ""}).has_value());
  auto doc = common::parse_yaml(read(path));
  ASSERT_TRUE(doc.has_value());
  EXPECT_EQ(text_of(doc->at("current-context")), "default");
  EXPECT_EQ(text_of(doc->at("clusters").at(0).at("name")), "default");
  EXPECT_EQ(text_of(doc->at("users").at(0).at("name")), "default");

  ASSERT_TRUE(write_kubeconfig({path, c, "ctx", "my-cluster", "my-user"}).has_value());
  doc = common::parse_yaml(read(path));
  ASSERT_TRUE(doc.has_value());
  EXPECT_EQ(text_of(doc->at("contexts").at(0).at("context").at("cluster")), "my-cluster");
  EXPECT_EQ(text_of(doc->at("contexts").at(0).at("context").at("user")), "my-user");
}

// kubectl reads kubeconfig files itself, without a server: the strongest check that what we write
// is a kubeconfig and not just YAML.
TEST(WriteKubeconfig, RealKubectlAcceptsTheFile) {
  if (std::system("command -v kubectl >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "kubectl is not installed";
  }
  TempDir dir;
  std::string path = dir.path("kubeconfig");
  ClusterConnection original = sample_connection();
  ASSERT_TRUE(write_kubeconfig({path, original, "lambda", "", ""}).has_value());

  // A fresh HOME and no KUBECONFIG so that nothing but the file is read.
  std::string command = "env -u KUBECONFIG HOME=" + dir.path() +
                        " kubectl config view --kubeconfig " + path + " --raw -o json 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
  int status = ::pclose(pipe);
  ASSERT_EQ(status, 0) << output;

  auto view = common::parse_json(output);
  ASSERT_TRUE(view.has_value()) << output;
  EXPECT_EQ(text_of(view->at("current-context")), "lambda");
  EXPECT_EQ(text_of(view->at("clusters").at(0).at("cluster").at("server")), original.server);
  EXPECT_EQ(text_of(view->at("clusters").at(0).at("cluster").at("certificate-authority-data")),
            kCaData);
  EXPECT_EQ(text_of(view->at("users").at(0).at("user").at("token")), "written-token");
  EXPECT_EQ(text_of(view->at("users").at(0).at("user").at("client-key-data")), kClientKeyData);
  EXPECT_EQ(text_of(view->at("contexts").at(0).at("context").at("namespace")), "agents");
}

// ---------------------------------------------------------------------------------------------
// describe

TEST(Describe, NamesTheAuthKindButNeverTheSecret) {
  ClusterConnection c;
  c.server = "https://api:6443";
  c.context_name = "prod";
  c.source = "kubeconfig /root/.kube/config";
  EXPECT_EQ(describe(c),
            "server https://api:6443, context \"prod\", from kubeconfig /root/.kube/config, "
            "namespace default, auth none, TLS verified against the system trust store");

  c.bearer_token = "tok-123";
  EXPECT_NE(describe(c).find("auth bearer token,"), std::string::npos) << describe(c);
  c.bearer_token_file = "/var/run/token";
  EXPECT_NE(describe(c).find("auth bearer token file /var/run/token"), std::string::npos);
  c.bearer_token.clear();
  c.bearer_token_file.clear();
  c.client_cert_pem = std::string(kClientCertPem);
  c.client_key_pem = std::string(kClientKeyPem);
  c.ca_pem = std::string(kCaPem);
  EXPECT_NE(describe(c).find("auth client certificate, TLS verified against the configured CA"),
            std::string::npos)
      << describe(c);
  c.client_cert_pem.clear();
  c.client_key_pem.clear();
  c.username = "admin";
  c.password = "hunter2";
  std::string basic = describe(c);
  EXPECT_NE(basic.find("auth basic auth"), std::string::npos) << basic;
  for (std::string_view secret : {"tok-123", "hunter2", "c2VjcmV0", "PRIVATE KEY", "Y2EtY2VydA"}) {
    EXPECT_EQ(basic.find(secret), std::string::npos) << secret;
  }
}

TEST(Describe, SaysWhenTlsIsNotVerified) {
  ClusterConnection c;
  c.server = "https://api:6443";
  c.insecure_skip_tls_verify = true;
  EXPECT_NE(describe(c).find("insecure-skip-tls-verify"), std::string::npos);
  c.server = "http://localhost:8080";
  EXPECT_NE(describe(c).find("TLS none (plain http)"), std::string::npos);
}

}  // namespace
}  // namespace lambda::kube
