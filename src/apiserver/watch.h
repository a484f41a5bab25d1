// Watch streams of the embedded API server: one session per `?watch=true` request, fed by the
// object store's events in commit order, filtered by label and field selectors (an object that
// stops matching is sent as DELETED, one that starts matching as ADDED, as kube-apiserver does),
// with BOOKMARK events and timeouts driven by one ticker thread.
//
// Thread-safety: all methods may be called from any thread. Sessions write to their Exchange
// only under the store's lock, so a watcher sees events and bookmarks in resourceVersion order.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "apiserver/api_server_internal.h"

namespace lambda::apiserver {

class WatchHub {
 public:
  explicit WatchHub(ApiServer::Impl& server);
  ~WatchHub();

  // Answers the watch request on `exchange`: an error Status, or a stream of events.
  void start(const std::shared_ptr<http::Exchange>& exchange, const RequestInfo& info,
             std::string_view query, bool table);
  // Ends every stream (server shutdown).
  void stop_all();
  std::size_t session_count() const;

  struct Session;

 private:
  void ticker_loop();

  ApiServer::Impl& server_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::map<std::uint64_t, std::shared_ptr<Session>> sessions_;
  std::uint64_t next_id_ = 1;
  bool stop_ = false;
  std::thread ticker_;
};

}  // namespace lambda::apiserver
