// A Kubernetes REST client, generic over group/version/resource, in the manner of client-go's
// dynamic client: objects are boost::json values, errors are metav1.Status values.
//
// - Connection and auth come from a ClusterConnection (config.h): TLS verification against the
//   cluster's CA, bearer tokens re-read when rotated, client certificates.
// - Requests share a pool of keep-alive connections and a client-side rate limit (QPS and
//   burst, as client-go's defaults are 5/10 and controller-runtime raises them).
// - Every failure is a Status: what the server said (reason, code, causes with field paths), or,
//   for failures before an answer, a Status with code 0 and reason kTransport.
// - watch() streams events to a callback and reports a resourceVersion that is too old (HTTP 410,
//   or an ERROR event with code 410) as a Status with code 410, so that callers re-list.
// - Discovery (kind -> resource, namespaced or not) is cached per group-version and refreshed
//   once on a miss.
//
// Thread-safety: every method may be called from any number of threads at once.
#pragma once

#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tl/expected.hpp>
#include <vector>

#include "common/http/http_client.h"
#include "kube/config.h"
#include "kube/rate_limiter.h"
#include "kube/status.h"

namespace lambda::kube {

namespace reason {
// Not a Kubernetes reason: the request got no answer (connect, TLS, timeout, cancelled).
inline constexpr std::string_view kTransport = "Transport";
}  // namespace reason

template <class T>
using Result = tl::expected<T, Status>;

// Where a kind is served.
struct ResourceRef {
  std::string group;  // "" for core
  std::string version;
  std::string resource;  // plural
  std::string kind;
  bool namespaced = true;
  std::string api_version() const { return group.empty() ? version : group + "/" + version; }
};

struct ClientOptions {
  double qps = 50;
  int burst = 100;
  std::chrono::milliseconds timeout{30000};
  std::string user_agent = "lambda-agent/0.1.0";
};

struct ListOptions {
  std::string label_selector;
  std::string field_selector;
  std::int64_t limit = 0;
  std::string continue_token;
  std::string resource_version;
  std::string resource_version_match;  // "", "NotOlderThan", "Exact"
};

struct WriteOptions {
  std::string field_manager;
  std::string field_validation;  // "", "Strict", "Warn", "Ignore"
  bool dry_run = false;
};

enum class PatchType { kJsonMerge, kJsonPatch, kStrategicMerge, kApply };

struct PatchOptions {
  std::string field_manager;  // required for kApply
  bool force = false;         // kApply: take fields other managers own
  bool dry_run = false;
  std::string subresource;  // "" or "status"
};

struct DeleteOptions {
  std::string propagation_policy;  // "", "Background", "Foreground", "Orphan"
  std::optional<std::string> precondition_uid;
  std::optional<std::string> precondition_resource_version;
  std::optional<std::int64_t> grace_period_seconds;
  bool dry_run = false;
};

struct WatchOptions {
  std::string resource_version;  // "" / "0": start with the current state as ADDED events
  std::string label_selector;
  std::string field_selector;
  bool allow_bookmarks = true;
  std::int64_t timeout_seconds = 0;                       // 0: the server's default
  std::optional<std::chrono::milliseconds> idle_timeout;  // give up after this much silence
};

struct WatchEvent {
  std::string type;  // ADDED MODIFIED DELETED BOOKMARK
  boost::json::value object;
  std::string resource_version() const;
};

class Client {
 public:
  static tl::expected<std::unique_ptr<Client>, std::string> create(
      const ClusterConnection& connection, ClientOptions options = {});
  ~Client();

  Result<boost::json::value> get(const ResourceRef& ref, std::string_view ns, std::string_view name,
                                 std::string_view subresource = "");
  // One page; the list's metadata has `continue` when there is more.
  Result<boost::json::value> list(const ResourceRef& ref, std::string_view ns,
                                  const ListOptions& options = {});
  // Every page, concatenated into one list (items in order, metadata of the last page).
  Result<boost::json::value> list_all(const ResourceRef& ref, std::string_view ns,
                                      ListOptions options = {});
  Result<boost::json::value> create(const ResourceRef& ref, std::string_view ns,
                                    const boost::json::value& object,
                                    const WriteOptions& options = {});
  // PUT of the object (name from its metadata); subresource "" or "status".
  Result<boost::json::value> update(const ResourceRef& ref, std::string_view ns,
                                    const boost::json::value& object,
                                    const WriteOptions& options = {},
                                    std::string_view subresource = "");
  Result<boost::json::value> patch(const ResourceRef& ref, std::string_view ns,
                                   std::string_view name, PatchType type,
                                   const boost::json::value& body, const PatchOptions& options);
  // Server-side apply of a whole object (name and namespace from its metadata).
  Result<boost::json::value> apply(const ResourceRef& ref, const boost::json::value& object,
                                   std::string_view field_manager, bool force = true,
                                   std::string_view subresource = "");
  Result<boost::json::value> remove(const ResourceRef& ref, std::string_view ns,
                                    std::string_view name, const DeleteOptions& options = {});

  // Streams events until the server ends the watch (returns success), on_event returns false
  // (success), `cancel` fires (Status with reason kTransport), or an error.
  tl::expected<void, Status> watch(const ResourceRef& ref, std::string_view ns,
                                   const WatchOptions& options,
                                   const std::function<bool(const WatchEvent&)>& on_event,
                                   std::shared_ptr<http::Cancellation> cancel = nullptr);

  // Discovery: where a kind is served. NotFound when the server does not serve it.
  Result<ResourceRef> resource_for(std::string_view api_version, std::string_view kind);
  void invalidate_discovery();

  // Any request; the body of a non-2xx answer becomes the Status.
  Result<http::Response> request(std::string method, std::string target, std::string body = {},
                                 std::string content_type = {});

  std::size_t connections_opened() const;

 private:
  Client() = default;
  std::string path_for(const ResourceRef& ref, std::string_view ns, std::string_view name,
                       std::string_view subresource) const;
  Result<boost::json::value> json_request(std::string method, std::string target, std::string body,
                                          std::string content_type);
  http::Request prepare(std::string method, std::string target, std::string body,
                        std::string content_type);

  std::unique_ptr<http::Client> http_;
  std::unique_ptr<BearerToken> token_;
  std::unique_ptr<RateLimiter> limiter_;
  ClientOptions options_;
  std::string basic_auth_;
  std::mutex discovery_mutex_;
  std::map<std::string, std::vector<ResourceRef>> discovery_;  // api_version -> resources
};

}  // namespace lambda::kube
