// Internals of ApiServer shared by its .cc files (api_server.cc: HTTP front and non-resource
// endpoints; rest.cc: the verbs on resources; watch.cc: watch streams; controllers.cc: garbage
// collection and namespace deletion; openapi.cc; table.cc). Not a public interface.
#pragma once

#include <atomic>
#include <boost/json/value.hpp>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <tl/expected.hpp>
#include <vector>

#include "apiserver/admission.h"
#include "apiserver/api_server.h"
#include "apiserver/object_store.h"
#include "apiserver/resource_registry.h"
#include "common/http/http_server.h"
#include "common/http/tls.h"
#include "kube/status.h"

namespace lambda::apiserver {

// What a request is about, parsed from its path (k8s.io/apiserver's RequestInfo).
struct RequestInfo {
  bool resource_request = false;
  std::string verb;  // get list watch create update patch delete deletecollection
  std::string group;
  std::string version;
  std::string resource;
  std::string subresource;
  std::string namespace_name;
  std::string name;
  ResourceTypePtr type;
};

// An answer being built: status code, body, and warnings for the Warning header.
struct Reply {
  int code = 200;
  boost::json::value body;
  std::string raw_body;  // when set, sent instead of body (lists built from stored text)
  std::vector<std::string> warnings;
};
using Result = tl::expected<Reply, kube::Status>;

// Counts of requests by labels, exposed as apiserver_request_total.
class RequestMetrics {
 public:
  void count(const RequestInfo& info, int code);
  std::string exposition() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::uint64_t> counts_;  // label set text -> count
};

// A paginated list's remaining items, kept so that continue tokens read one consistent
// snapshot (as etcd serves a paginated list at one revision).
class ContinueCache {
 public:
  // At most kMaxEntries snapshots are kept (the oldest goes first), so clients that never read
  // their next page cannot make the server grow without bound.
  static constexpr std::size_t kMaxEntries = 256;
  explicit ContinueCache(std::chrono::seconds ttl) : ttl_(ttl) {}
  // Keeps the snapshot for a list of `scope` (collection and namespace); returns its id.
  std::string put(std::string scope, std::shared_ptr<const ListSnapshot> snapshot);
  // Null when unknown, expired, or taken for another scope.
  std::shared_ptr<const ListSnapshot> get(const std::string& id, const std::string& scope);

 private:
  struct Entry {
    std::string scope;
    std::shared_ptr<const ListSnapshot> snapshot;
    std::chrono::steady_clock::time_point expires;
  };
  std::mutex mutex_;
  std::map<std::string, Entry> entries_;
  std::chrono::seconds ttl_;
  std::uint64_t next_ = 1;
};

class WatchHub;
struct OpenApiCache;

// A fixed set of threads running posted tasks in order of posting.
class WorkerPool {
 public:
  explicit WorkerPool(int threads);
  ~WorkerPool();  // runs what is queued, then joins
  void post(std::function<void()> task);

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};
std::shared_ptr<OpenApiCache> make_openapi_cache();

struct ApiServer::Impl {
  ApiServerOptions options;
  std::unique_ptr<ObjectStore> store;
  std::unique_ptr<AdmissionChain> admission;  // webhooks of the store's configurations
  ResourceRegistry registry;
  std::optional<http::CertificateAuthority> ca;
  std::string token;
  RequestMetrics metrics;
  std::unique_ptr<ContinueCache> continues;
  std::unique_ptr<WatchHub> watches;
  std::unique_ptr<WorkerPool> workers;
  std::unique_ptr<http::Server> http;
  std::atomic<bool> stopping{false};
  std::shared_ptr<OpenApiCache> openapi_cache = make_openapi_cache();

  // Background work: garbage collection, namespace deletion. Woken after deletions.
  std::thread controller_thread;
  std::mutex controller_mutex;
  std::condition_variable controller_wake;
  bool controller_pending = false;
  bool controller_stop = false;

  std::atomic<std::uint16_t> port{0};

  ~Impl();
  // Closes watches, stops the HTTP server and the controllers; idempotent.
  void shutdown();

  void handle(const std::shared_ptr<http::Exchange>& exchange);
  void serve_resource(const std::shared_ptr<http::Exchange>& exchange, RequestInfo info,
                      const std::string& query, bool table);
  void answer(const std::shared_ptr<http::Exchange>& exchange, const RequestInfo& info,
              Result result);

  // --- rest.cc ---
  Result get(const RequestInfo& info, const http::Request& req, std::string_view query);
  Result list(const RequestInfo& info, const http::Request& req, std::string_view query);
  Result create(const RequestInfo& info, const http::Request& req, std::string_view query);
  Result update(const RequestInfo& info, const http::Request& req, std::string_view query);
  Result patch(const RequestInfo& info, const http::Request& req, std::string_view query);
  Result remove(const RequestInfo& info, const http::Request& req, std::string_view query);
  Result remove_collection(const RequestInfo& info, const http::Request& req,
                           std::string_view query);

  // Shared write path: create or replace `object` (already decoded), running every step the
  // real server runs (metadata, schema, status rules, generation, managedFields, admission).
  struct WriteOptions {
    bool dry_run = false;
    std::string field_manager;
    std::string field_validation = "Strict";  // Strict | Warn | Ignore
    bool managed_fields_done = false;         // server-side apply computed them already
  };
  Result create_object(const RequestInfo& info, boost::json::value object,
                       const WriteOptions& options);
  Result update_object(const RequestInfo& info, boost::json::value object, ObjectPtr current,
                       const WriteOptions& options, bool require_resource_version);
  // Deletes now or marks for deletion (finalizers); used by DELETE, GC and namespace deletion.
  // `admit`: run admission webhooks (client requests); the server's own deletions do not.
  Result delete_object(const ResourceType& type, const ObjectKey& key,
                       std::string propagation_policy, std::optional<std::string> uid_precondition,
                       std::optional<std::string> rv_precondition, bool dry_run,
                       bool admit = false);

  // --- controllers.cc ---
  void start_controllers();
  void wake_controllers();
  void controller_loop();
  bool collect_garbage_once();
  bool finalize_namespaces_once();
  void on_crd_changed(const boost::json::value* crd);  // null: deleted
  void register_stored_crds();

  // --- table.cc ---
  boost::json::value to_table(const ResourceType& type, const std::vector<ObjectPtr>& objects,
                              const boost::json::value& list_metadata,
                              std::string_view include_object) const;

  // --- openapi.cc ---
  boost::json::value openapi_v3_index() const;
  std::string openapi_v2_document() const;
  // The document of a group-version ("apis/apps/v1") and its hash.
  std::optional<std::pair<std::string, std::string>> openapi_v3_document(
      std::string_view group_version) const;

  ObjectKey key_for(const ResourceType& type, std::string_view ns, std::string_view name) const {
    return {type.collection(), type.namespaced ? std::string(ns) : std::string(),
            std::string(name)};
  }
};

// The stored object as served in a request's version (custom resources with several versions
// share one storage; with conversion "None" only apiVersion differs).
std::string served_text(const ResourceType& type, const ObjectPtr& object);

// JSON for an HTTP answer.
http::Response json_response(int code, const boost::json::value& body);
http::Response status_response(const kube::Status& status);

// What the request's Accept header asks for.
struct Negotiated {
  bool table = false;
  bool acceptable = true;  // something we can produce (JSON) is accepted
};
Negotiated negotiate(const http::Request& req);

}  // namespace lambda::apiserver
