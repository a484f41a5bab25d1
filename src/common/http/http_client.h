// An HTTP/1.1 client, optionally over TLS, for the Kubernetes client and webhook calls: a pool of
// keep-alive connections to one base URL, whole-response requests (send) and streamed responses
// (stream, for watches), each with deadlines and cooperative cancellation.
//
// Ownership: a Client owns one background I/O thread and every connection it opened; the
// destructor closes them and joins the thread. No send()/stream() may still be running then.
//
// Thread-safety: send(), stream() and connections_opened() may be called from any number of
// threads at once. stream() runs its callbacks on the calling thread. Cancellation is
// thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <tl/expected.hpp>

#include "common/http/http.h"

namespace lambda::http {

struct ClientTls {
  std::string ca_pem;  // empty: the system's trusted CAs
  bool insecure_skip_verify = false;
  std::string client_cert_pem;  // both or neither
  std::string client_key_pem;
  std::string server_name;  // SNI and the name verified; empty: the host of base_url
};

struct ClientOptions {
  // "https://127.0.0.1:6443", "http://host:port", optionally with a path prefix
  // ("https://host/k8s") that is put before every request target.
  std::string base_url;
  std::optional<ClientTls> tls;  // for https:// URLs; defaults apply when absent
  std::chrono::milliseconds connect_timeout{10000};  // TCP connect plus TLS handshake
  std::chrono::milliseconds request_timeout{60000};  // send(): the whole exchange
  std::size_t max_idle_connections = 8;
  // Idle connections older than this are not reused (servers close theirs, Go's default is 90s).
  std::chrono::milliseconds idle_connection_timeout{90000};
  std::size_t max_response_bytes = 256 * 1024 * 1024;
};

struct ClientError {
  enum class Kind { kConnect, kTls, kTimeout, kProtocol, kCancelled, kTooLarge };
  Kind kind;
  std::string message;
};

std::string_view to_string(ClientError::Kind kind);

// A cancellation signal shared by any number of requests (and by layers above, which may
// subscribe to it too). cancel() makes every send()/stream() using it return kCancelled promptly.
class Cancellation {
 public:
  Cancellation() = default;
  Cancellation(const Cancellation&) = delete;
  Cancellation& operator=(const Cancellation&) = delete;

  void cancel();
  bool cancelled() const;

  // Runs `callback` when cancel() is called, on the cancelling thread, or at once on this thread
  // if it already was (then returns 0). Callbacks run under this object's lock: they must be
  // short and must not call into this Cancellation.
  std::uint64_t subscribe(std::function<void()> callback);
  // Once this returns, the callback is neither running nor will run.
  void unsubscribe(std::uint64_t id);

 private:
  mutable std::mutex mu_;
  bool cancelled_ = false;
  std::uint64_t next_id_ = 1;
  std::vector<std::pair<std::uint64_t, std::function<void()>>> callbacks_;
};

class Client {
 public:
  // Parses the URL and loads the TLS material; errors say which part is wrong ("base URL: ...",
  // "CA certificate: ...", "client certificate: ...").
  static tl::expected<std::unique_ptr<Client>, std::string> create(ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends `request` (target appended to the base URL's path prefix; Host and Content-Length set
  // here) and returns the whole response, whatever its status. `timeout` replaces
  // request_timeout. A request that fails on a reused connection before any byte of a response
  // arrived (the server had closed it) is sent again once on a fresh connection when that is safe:
  // idempotent methods, or the request could not be written at all.
  tl::expected<Response, ClientError> send(Request request,
                                           std::optional<std::chrono::milliseconds> timeout = {},
                                           std::shared_ptr<Cancellation> cancel = nullptr);

  // For watches: on_head once with the status and headers (within request_timeout), then
  // on_data with each piece of the body as it arrives, de-chunked. A callback returning false
  // ends the stream (and this returns success). Returns when the body ends, on error, on cancel,
  // or after `idle_timeout` without data. A non-2xx body goes through on_data too, limited to
  // max_response_bytes. Callbacks run on this thread, one at a time.
  tl::expected<void, ClientError> stream(
      Request request, std::function<bool(int status, const Headers& headers)> on_head,
      std::function<bool(std::string_view data)> on_data,
      std::optional<std::chrono::milliseconds> idle_timeout = {},
      std::shared_ptr<Cancellation> cancel = nullptr);

  // Connections opened so far (TCP connects that succeeded): makes keep-alive observable.
  std::size_t connections_opened() const;

  struct Impl;

 private:
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lambda::http
