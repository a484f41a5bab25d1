// The embedded Kubernetes API server: a real HTTPS endpoint on loopback that kubectl, client-go
// and our own kube client talk to as they would to kube-apiserver. Used in-process by tests,
// inside `lambda-operator dev`, and standalone as `lambda-apiserver`.
//
// What it serves (docs/apiserver.md has the details and the known differences):
// - discovery (/api, /apis, per group-version lists), /version, OpenAPI v3 (per group-version
//   documents, for `kubectl explain`, apply and field validation), /healthz /livez /readyz,
//   /metrics (apiserver_request_total by verb, group, version, resource, subresource and code);
// - the built-in kinds of builtin_resources.h, and every kind a CustomResourceDefinition
//   declares once it is created (pruning, defaulting, schema validation, status subresource,
//   printer columns);
// - get, list (pagination, label and field selectors, Table output), watch (bookmarks, resume,
//   410 Gone), create, update, patch (JSON merge, JSON patch, strategic merge for built-in
//   kinds, server-side apply with managedFields), delete (preconditions, propagation policies,
//   finalizers) and deletecollection; owner-reference garbage collection and namespace
//   deletion; admission webhooks registered in it.
//
// Authentication: a bearer token, or a client certificate issued by the server's own CA; the
// server writes a kubeconfig with the token for clients. Every authenticated user may do
// everything (there is no RBAC).
//
// Lifetime: start() returns a running server; stop() (or the destructor) closes watches, finishes
// in-flight requests within a grace period and joins every thread.
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <tl/expected.hpp>

#include "kube/config.h"

namespace lambda::apiserver {

class ObjectStore;
class ResourceRegistry;

struct ApiServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;  // 0: the kernel picks one
  bool tls = true;
  std::string data_dir;    // empty: in memory only
  std::string token;       // empty: a random one
  int threads = 2;         // I/O threads (TLS, HTTP parsing, watch flushing)
  int worker_threads = 4;  // threads serving resource requests (they may block on webhooks)
  // BOOKMARK events are sent to watches that asked for them this often (kube-apiserver: ~1 min).
  std::chrono::milliseconds bookmark_interval{std::chrono::seconds(30)};
  // Watches without timeoutSeconds end after this long (kube-apiserver: 30-60 min).
  std::chrono::milliseconds default_watch_timeout{std::chrono::minutes(30)};
  // Events kept for resuming watches; older resourceVersions get 410 Gone.
  std::size_t watch_history = 200000;
  // Paginated list snapshots kept for continue tokens, and for how long.
  std::chrono::seconds continue_ttl{300};
  std::string git_version = "v1.32.0";  // what /version reports (kubectl picks its skew by it)
};

class ApiServer {
 public:
  static tl::expected<std::unique_ptr<ApiServer>, std::string> start(ApiServerOptions options);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  std::uint16_t port() const;
  std::string url() const;            // "https://127.0.0.1:PORT"
  const std::string& ca_pem() const;  // empty without TLS
  const std::string& token() const;
  // How a client reaches this server: URL, CA and token (kube::write_kubeconfig writes it).
  kube::ClusterConnection connection(const std::string& context_name = "lambda-dev") const;
  // Writes a kubeconfig (0600, atomically) whose current context reaches this server.
  tl::expected<void, std::string> write_kubeconfig(
      const std::string& path, const std::string& context_name = "lambda-dev") const;
  // Issues a client certificate (PEM cert + key) for a user, accepted by this server.
  tl::expected<std::pair<std::string, std::string>, std::string> issue_client_certificate(
      const std::string& user) const;

  ObjectStore& store();
  ResourceRegistry& registry();

  void stop();

  struct Impl;

 private:
  explicit ApiServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lambda::apiserver
