// Where and how to reach a Kubernetes API server, resolved the way client-go does it: kubeconfig
// files as clientcmd loads and merges them, the pod's service account as rest.InClusterConfig
// reads it, and the choice between the two as controller-runtime's GetConfig makes it.
//
// A ClusterConnection is a plain value holding everything the HTTP client needs (PEM text, not
// file names, except for the token file, which is re-read as it rotates; see BearerToken). It
// holds secrets: log it only through describe(). Error messages from this file name the file and
// the path inside it ("/root/.kube/config: contexts[2].context.cluster: Required value") and
// never quote a token, key, password or certificate.
//
// Deliberately not supported, each an error naming the user or cluster: exec credential plugins,
// auth-provider plugins, impersonation (as, as-groups, as-uid, as-user-extra) and proxy-url.
//
// Thread-safety: the free functions touch only the files and environment they are given and may
// run concurrently. BearerToken is safe to share between threads.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

namespace lambda::kube {

// Reads one environment variable; nullopt when unset. Injected so that tests never depend on the
// process environment. An empty function means the process environment.
using Getenv = std::function<std::optional<std::string>(std::string_view)>;

// The process environment, for production callers that want to pass one explicitly.
std::optional<std::string> process_getenv(std::string_view name);

inline constexpr std::string_view kServiceAccountDir =
    "/var/run/secrets/kubernetes.io/serviceaccount";

struct ClusterConnection {
  // https://host:port[/prefix] with no trailing slash, query or fragment. A kubeconfig server
  // without a scheme gets https:// when the cluster has any TLS setting and http:// otherwise,
  // as client-go's DefaultServerURL does.
  std::string server;
  std::string ca_pem;  // empty: the system's trust store
  bool insecure_skip_tls_verify = false;
  std::string tls_server_name;  // SNI and the name the certificate must match, when set
  std::string client_cert_pem, client_key_pem;
  // The token as loaded. When bearer_token_file is also set, the file wins and this is only the
  // fallback while the file cannot be read (client-go's bearer-token round tripper).
  std::string bearer_token;
  std::string bearer_token_file;  // absolute path
  std::string username, password;
  std::string namespace_name = "default";
  std::string context_name;  // empty in-cluster
  std::string source;        // "kubeconfig /root/.kube/config" or "in-cluster"

  friend bool operator==(const ClusterConnection&, const ClusterConnection&) = default;
};

struct KubeconfigOptions {
  std::string explicit_path;  // --kubeconfig: only this file, which must exist
  std::string context;        // --context: overrides current-context
  Getenv getenv;              // reads KUBECONFIG and HOME
};

// Loads kubeconfig files as clientcmd.ClientConfigLoadingRules does:
// - explicit_path alone when set (missing: an error); else every file in KUBECONFIG (split at
//   ':', empty entries and repeats dropped, missing files skipped); else $HOME/.kube/config.
// - Merging: for clusters, users and contexts the first file that defines a name wins, whole
//   (a later file's entry of the same name is ignored even for fields the first one lacks);
//   current-context comes from the first file that sets it. A name defined twice in one file is
//   an error, as it is to kubectl.
// - certificate-authority, client-certificate, client-key and tokenFile are resolved against
//   the directory of the file that named them; the *-data fields are base64 (standard alphabet,
//   padded; line breaks ignored), as Go decodes []byte.
// - Only the chosen context, its cluster and its user are checked for meaning (server present,
//   files readable, one of data or file, not token and basic auth together, a namespace that is a
//   DNS-1123 label); every entry of every file is checked for types and base64, as kubectl
//   refuses a file with a malformed entry anywhere.
// Stricter than clientcmd, which would carry on with an empty cluster or no credentials: no
// context chosen (neither options.context nor current-context), or a context naming a cluster or
// user that no file defines, is an error.
// For a plain http:// server the user's credentials and TLS settings are dropped, as client-go
// applies them only to TLS connections.
tl::expected<ClusterConnection, std::string> load_kubeconfig(const KubeconfigOptions& options);

// rest.InClusterConfig plus clientcmd's in-cluster namespace: server
// https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT (an IPv6 host in brackets), the
// service account token (bearer_token and bearer_token_file), ca.crt, and the namespace from
// $POD_NAMESPACE, else the namespace file, else "default". A missing or unreadable token is an
// error; a missing ca.crt is not (client-go only logs it): ca_pem stays empty and describe()
// shows that the system trust store is used.
tl::expected<ClusterConnection, std::string> in_cluster(
    const Getenv& getenv, std::string service_account_dir = std::string(kServiceAccountDir));

// controller-runtime's config.GetConfig: the --kubeconfig file when given; else the KUBECONFIG
// files when set; else in-cluster when KUBERNETES_SERVICE_HOST is set and no context was asked
// for (a context names a kubeconfig entry); else $HOME/.kube/config. When in-cluster fails, the
// home kubeconfig is tried, and if that fails too the error reports both. `source` says which
// was used. service_account_dir is passed to in_cluster.
tl::expected<ClusterConnection, std::string> load_default(
    std::string_view explicit_path, std::string_view context, const Getenv& getenv,
    std::string service_account_dir = std::string(kServiceAccountDir));

// The bearer token to send now. With a token file (projected service-account tokens rotate
// hourly), the file's trimmed content, re-read when its modification time changes and at least
// once a minute; a failed or empty read keeps the last good value (then the static token), as
// client-go's cached file token source does. Without a file, the static token. Thread-safe;
// current() may touch the file system, so call it once per request, not per byte.
class BearerToken {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  static constexpr std::chrono::seconds kRefreshInterval{60};

  // An empty clock means std::chrono::steady_clock.
  explicit BearerToken(const ClusterConnection& connection, Clock clock = {});

  std::string current();
  // Why the last re-read failed ("" after a good one), for a log line; never holds the token.
  std::string last_error() const;

 private:
  Clock clock_;
  std::string file_;
  std::string fallback_;
  mutable std::mutex mutex_;
  std::string value_;
  bool have_value_ = false;
  bool attempted_ = false;
  std::chrono::steady_clock::time_point last_read_{};
  std::optional<std::filesystem::file_time_type> last_mtime_;
  std::string last_error_;
};

struct KubeconfigToWrite {
  std::string path;
  // Written: server, ca_pem, insecure_skip_tls_verify, tls_server_name, bearer_token,
  // bearer_token_file, client_cert_pem/client_key_pem, username/password, namespace_name.
  ClusterConnection connection;
  std::string context_name;  // empty: connection.context_name, else "default"
  std::string cluster_name;  // empty: the context name
  std::string user_name;     // empty: the context name
};

// A kubeconfig kubectl accepts (apiVersion v1, kind Config, one cluster, user and context, that
// context current), written atomically (a temporary file in the same directory, fsync, rename)
// with mode 0600. Missing parent directories are created.
tl::expected<void, std::string> write_kubeconfig(const KubeconfigToWrite& request);

// One line for logs: server, context, source, namespace, TLS and the kind of authentication
// ("bearer token", "bearer token file /path", "client certificate", "basic auth", "none") --
// never a secret.
std::string describe(const ClusterConnection& connection);

}  // namespace lambda::kube
