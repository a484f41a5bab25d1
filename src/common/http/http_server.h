// An HTTP/1.1 server, optionally over TLS, for the embedded Kubernetes API server and admission
// webhooks: keep-alive connections, one request at a time per connection, answers given whole
// (respond) or streamed with chunked transfer encoding (start_stream / write / finish, for
// watches). Every read has a deadline (header, body, idle keep-alive) and bodies a size limit, so
// that a slow or hostile client holds at most one connection's worth of memory for bounded time.
//
// Ownership: Server owns its listening socket, connections and I/O threads; stop() or the
// destructor closes all of them. Each request is an Exchange handed to the Handler as a
// shared_ptr; the caller may keep it as long as it likes (answering later, from any thread):
// once its connection is gone, its methods do nothing and return false.
//
// Thread-safety: Server::port, stop and the destructor may be called from any thread (not from a
// handler or on_close callback: stop joins the I/O threads). Every Exchange method may be called
// from any thread at any time.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "common/http/http.h"

namespace lambda::http {

struct ServerTls {
  std::string cert_chain_pem;  // leaf first, then intermediates
  std::string private_key_pem;
  // When non-empty, clients are asked for (not required to present) a certificate; one that
  // verifies against this CA for client authentication becomes Exchange::peer().
  std::string client_ca_pem;
};

struct ServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 0;  // 0: any free port, see Server::port()
  std::optional<ServerTls> tls;
  std::size_t max_body_bytes = 3 * 1024 * 1024;  // larger bodies get 413
  std::size_t max_header_bytes = 64 * 1024;      // larger headers get 431
  // From accepting the connection (or seeing the first byte of a later request) to the end of
  // the request header, TLS handshake included: slowloris protection.
  std::chrono::milliseconds header_timeout{30000};
  // The whole request body must arrive within this, once the header is in.
  std::chrono::milliseconds body_timeout{60000};
  // A keep-alive connection waiting for its next request is closed after this; it also bounds
  // how long a single write may stall on a peer that does not read.
  std::chrono::milliseconds idle_timeout{120000};
  int threads = 1;
  // Bytes written to a stream but not yet sent; past this the connection is closed.
  std::size_t max_stream_buffer_bytes = 16 * 1024 * 1024;
};

// The subject of a verified TLS client certificate, as Kubernetes reads it: user and groups.
struct PeerIdentity {
  std::string common_name;
  std::vector<std::string> organizations;
};

// One request and its answer. Exactly one of respond() or start_stream() succeeds.
class Exchange final {
 public:
  struct Impl;  // defined by the server; nobody else can make an Exchange
  explicit Exchange(std::unique_ptr<Impl> impl);
  ~Exchange();
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  const Request& request() const;
  const std::string& remote_address() const;  // "ip:port" of the peer
  const std::optional<PeerIdentity>& peer() const;

  // The whole answer. Content-Length and Connection are set by the server (any given are
  // ignored); for HEAD the body is measured but not sent. False when already answered or the
  // connection is gone.
  bool respond(Response response);

  // Starts a chunked answer; for HTTP/1.0 clients the body is sent raw and the connection closed
  // at the end instead.
  bool start_stream(int status, Headers headers);
  // Queues one piece of the stream (empty pieces are dropped). False when the stream is not open
  // or the peer is gone, or when the queue would pass max_stream_buffer_bytes: then the
  // connection is closed, since a reader that slow must not make the server grow without bound.
  bool write(std::string data);
  // Ends the stream after the queued pieces; the connection then serves its next request.
  void finish();

  // Runs `callback` once, on some thread, when this exchange ends for any reason: answer sent,
  // stream finished, peer gone, server stopped. At once (on this thread) if it already ended.
  // Callbacks run without any lock held, so they may call back into the Exchange.
  void on_close(std::function<void()> callback);
  bool closed() const;

 private:
  std::unique_ptr<Impl> impl_;
};

// Called on an I/O thread for each request; it must not block long. It may answer at once or
// keep the Exchange and answer later from another thread. An exception it throws becomes a 500
// (when nothing was answered yet).
using Handler = std::function<void(std::shared_ptr<Exchange>)>;

class Server {
 public:
  // Binds, listens and starts the I/O threads. Errors name what failed ("listen on ...",
  // "server certificate: ...").
  static tl::expected<std::unique_ptr<Server>, std::string> start(ServerOptions options,
                                                                  Handler handler);
  ~Server();  // stop(std::chrono::seconds(1))
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  uint16_t port() const;

  // Stops accepting, closes idle connections and open streams at once (their on_close runs),
  // gives requests already being served until `grace` to be answered, then closes everything
  // and joins the I/O threads. Idempotent.
  void stop(std::chrono::milliseconds grace);

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lambda::http
