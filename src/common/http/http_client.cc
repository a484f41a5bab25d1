#include "common/http/http_client.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <thread>

#include "common/http/wire.h"

namespace lambda::http {
namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using Kind = ClientError::Kind;
constexpr auto kUse = asio::as_tuple(asio::use_awaitable);

constexpr std::size_t kReadChunk = 16 * 1024;
constexpr std::size_t kMaxHeaderBytes = 1024 * 1024;
// Undelivered stream data beyond which the I/O thread stops reading until the caller catches up.
constexpr std::size_t kStreamBacklog = 1024 * 1024;

struct BaseUrl {
  bool https = false;
  std::string host;  // without brackets
  std::string port;
  std::string authority;  // the Host header, as written in the URL
  std::string prefix;     // path prefix without a trailing '/'
};

bool iequals_prefix(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && wire::iequals(text.substr(0, prefix.size()), prefix);
}

tl::expected<BaseUrl, std::string> parse_base_url(std::string_view url) {
  BaseUrl out;
  if (iequals_prefix(url, "https://")) {
    out.https = true;
    url.remove_prefix(8);
  } else if (iequals_prefix(url, "http://")) {
    url.remove_prefix(7);
  } else {
    return tl::unexpected(std::string("scheme must be http:// or https://"));
  }
  auto slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : url.substr(slash);
  if (authority.find_first_of("@?#") != std::string_view::npos ||
      path.find_first_of("?# ") != std::string_view::npos) {
    return tl::unexpected(std::string("only scheme, host, port and path are allowed"));
  }
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return tl::unexpected(std::string("unclosed '['"));
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return tl::unexpected(std::string("junk after ']'"));
      port = after.substr(1);
    }
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (host.find(':') != std::string_view::npos)
      return tl::unexpected(std::string("IPv6 addresses need brackets"));
  }
  if (host.empty()) return tl::unexpected(std::string("no host"));
  if (!port.empty()) {
    unsigned long value = 0;
    for (char c : port) {
      if (c < '0' || c > '9' || value > 65535)
        return tl::unexpected("bad port \"" + std::string(port) + "\"");
      value = value * 10 + static_cast<unsigned long>(c - '0');
    }
    if (value == 0 || value > 65535)
      return tl::unexpected("bad port \"" + std::string(port) + "\"");
  }
  out.host = std::string(host);
  out.port = port.empty() ? (out.https ? "443" : "80") : std::string(port);
  out.authority = std::string(authority);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  out.prefix = std::string(path);
  return out;
}

bool is_ip_literal(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

bool is_idempotent(const Request& request) {
  for (std::string_view m : {"GET", "HEAD", "OPTIONS", "TRACE"})
    if (request.method == m) return true;
  return find_header(request.headers, "Idempotency-Key").has_value() ||
         find_header(request.headers, "X-Idempotency-Key").has_value();
}

tl::expected<std::string, ClientError> serialize_request(const BaseUrl& url,
                                                         const Request& request) {
  if (!wire::is_token(request.method))
    return tl::unexpected(
        ClientError{Kind::kProtocol, "invalid method \"" + request.method + "\""});
  std::string target = request.target.empty() ? "/" : request.target;
  if (target.front() != '/')
    return tl::unexpected(ClientError{Kind::kProtocol, "request target must start with '/'"});
  for (unsigned char c : target) {
    if (c <= 0x20 || c == 0x7f)
      return tl::unexpected(ClientError{Kind::kProtocol, "invalid character in request target"});
  }
  std::string out = request.method + " " + url.prefix + target + " HTTP/1.1\r\nHost: ";
  out += url.authority;
  out += "\r\n";
  wire::append_headers(out, request.headers, "Host");
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT" ||
      request.method == "PATCH") {
    out += "Content-Length: " + std::to_string(request.body.size()) + "\r\n";
  }
  if (auto c = find_header(request.headers, "Connection"); c && wire::has_token(*c, "close"))
    out += "Connection: close\r\n";
  out += "\r\n";
  out += request.body;
  return out;
}

struct Connection {
  std::optional<tcp::socket> plain;
  std::optional<ssl::stream<tcp::socket>> tls;
  boost::beast::flat_buffer in;
  std::chrono::steady_clock::time_point idle_since;

  tcp::socket& socket() { return tls ? tls->next_layer() : *plain; }

  asio::awaitable<std::tuple<error_code, std::size_t>> read_some(asio::mutable_buffer buffer) {
    if (tls) co_return co_await tls->async_read_some(buffer, kUse);
    co_return co_await plain->async_read_some(buffer, kUse);
  }

  asio::awaitable<error_code> write_all(std::string_view data) {
    error_code ec;
    if (tls) {
      std::tie(ec, std::ignore) = co_await asio::async_write(*tls, asio::buffer(data), kUse);
    } else {
      std::tie(ec, std::ignore) = co_await asio::async_write(*plain, asio::buffer(data), kUse);
    }
    co_return ec;
  }

  // An idle HTTP connection has nothing to read: a byte or an end of file means the server is
  // closing it (or sent a TLS alert), and a request sent on it would be lost.
  bool looks_alive() {
    if (in.size() > 0) return false;
    char byte;
    ssize_t n = ::recv(socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
};

// One send() or stream(), shared by the calling thread and the I/O thread.
struct Call {
  Call(asio::io_context& ioc, Request r)
      : request(std::move(r)), wake(ioc), deadline(ioc), idle(ioc) {}

  Request request;
  std::string wire_request;
  bool streaming = false;
  std::chrono::milliseconds timeout{0};
  std::optional<std::chrono::milliseconds> idle_timeout;

  // I/O thread only. abort() makes whatever the call waits for fail at once: it closes the
  // socket or cancels the resolver in use, or wakes the backpressure wait.
  std::optional<ClientError> abort_error;
  tcp::socket* active_socket = nullptr;
  tcp::resolver* active_resolver = nullptr;
  asio::steady_timer wake;
  asio::steady_timer deadline;
  asio::steady_timer idle;
  std::uint64_t idle_gen = 0;

  bool finished = false;

  void abort(ClientError error) {
    if (finished || abort_error) return;
    abort_error = std::move(error);
    error_code ec;
    if (active_socket) active_socket->close(ec);
    if (active_resolver) active_resolver->cancel();
    wake.cancel();
  }

  // Shared with the caller, under mu.
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  std::optional<ClientError> error;
  Response response;
  std::optional<std::pair<int, Headers>> head;
  std::string data;
  bool consumer_stopped = false;
  bool producer_waiting = false;

  void finish(std::optional<ClientError> e) {
    finished = true;
    std::lock_guard lock(mu);
    done = true;
    error = std::move(e);
    cv.notify_all();
  }
};

struct Outcome {
  std::optional<ClientError> error;
  bool response_started = false;
  bool write_failed = false;
  bool reusable = false;
};

std::string tls_failure(ssl::stream<tcp::socket>& stream, const error_code& ec) {
  long verify = SSL_get_verify_result(stream.native_handle());
  if (verify != X509_V_OK)
    return std::string("certificate verify failed: ") + X509_verify_cert_error_string(verify);
  return ec.message();
}

}  // namespace

std::string_view to_string(ClientError::Kind kind) {
  switch (kind) {
    case Kind::kConnect:
      return "connect";
    case Kind::kTls:
      return "tls";
    case Kind::kTimeout:
      return "timeout";
    case Kind::kProtocol:
      return "protocol";
    case Kind::kCancelled:
      return "cancelled";
    case Kind::kTooLarge:
      return "too large";
  }
  return "unknown";
}

// Cancellation ----------------------------------------------------------------------------------

void Cancellation::cancel() {
  std::lock_guard lock(mu_);
  if (cancelled_) return;
  cancelled_ = true;
  for (auto& [id, callback] : callbacks_) {
    try {
      callback();
    } catch (...) {
    }
  }
  callbacks_.clear();
}

bool Cancellation::cancelled() const {
  std::lock_guard lock(mu_);
  return cancelled_;
}

std::uint64_t Cancellation::subscribe(std::function<void()> callback) {
  {
    std::lock_guard lock(mu_);
    if (!cancelled_) {
      callbacks_.emplace_back(next_id_, std::move(callback));
      return next_id_++;
    }
  }
  if (callback) callback();
  return 0;
}

void Cancellation::unsubscribe(std::uint64_t id) {
  std::lock_guard lock(mu_);
  std::erase_if(callbacks_, [id](const auto& entry) { return entry.first == id; });
}

// Client ----------------------------------------------------------------------------------------

struct Client::Impl {
  ClientOptions options;
  BaseUrl url;
  std::string tls_name;
  bool tls_name_is_ip = false;
  bool verify_peer = true;
  std::optional<ssl::context> tls;
  std::atomic<std::size_t> opened{0};
  asio::io_context ioc{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{ioc.get_executor()};
  // Declared after the io_context so that its sockets close first.
  std::deque<std::unique_ptr<Connection>> idle;  // I/O thread only; most recent at the back
  std::thread thread;

  std::unique_ptr<Connection> take_idle() {
    auto now = std::chrono::steady_clock::now();
    while (!idle.empty()) {
      std::unique_ptr<Connection> c = std::move(idle.back());
      idle.pop_back();
      if (now - c->idle_since < options.idle_connection_timeout && c->looks_alive()) return c;
    }
    return nullptr;
  }

  void put_idle(std::unique_ptr<Connection> c) {
    if (options.max_idle_connections == 0) return;
    while (idle.size() >= options.max_idle_connections) idle.pop_front();
    c->idle_since = std::chrono::steady_clock::now();
    idle.push_back(std::move(c));
  }

  ClientError failure(Call& call, Kind kind, std::string message) {
    if (call.abort_error) return *call.abort_error;
    return ClientError{kind, std::move(message)};
  }

  asio::awaitable<tl::expected<std::unique_ptr<Connection>, ClientError>> connect(Call& call) {
    // What the connect deadline closes. The timer's handler may already be queued when the
    // connect completes, so it checks `live`, which the frame clears on the way out.
    struct Watch {
      bool live = true;
      bool expired = false;
      tcp::resolver* resolver = nullptr;
      tcp::socket* socket = nullptr;
    };
    auto watch = std::make_shared<Watch>();
    struct Unwatch {
      Watch& watch;
      Call& call;
      ~Unwatch() {
        watch.live = false;
        call.active_resolver = nullptr;
      }
    } unwatch{*watch, call};
    asio::steady_timer timer(ioc, options.connect_timeout);
    timer.async_wait([watch](error_code ec) {
      if (ec || !watch->live) return;
      watch->expired = true;
      error_code ignored;
      if (watch->resolver) watch->resolver->cancel();
      if (watch->socket) watch->socket->close(ignored);
    });
    // Reports an error, naming a connect timeout as such.
    auto fail = [&](Kind kind, std::string message) {
      if (watch->expired && !call.abort_error) {
        return ClientError{Kind::kTimeout, "connect to " + url.authority + ": timed out after " +
                                               std::to_string(options.connect_timeout.count()) +
                                               "ms"};
      }
      return failure(call, kind, std::move(message));
    };

    tcp::resolver resolver(ioc);
    watch->resolver = call.active_resolver = &resolver;
    auto [resolve_ec, endpoints] = co_await resolver.async_resolve(url.host, url.port, kUse);
    watch->resolver = call.active_resolver = nullptr;
    if (resolve_ec || call.abort_error || watch->expired) {
      co_return tl::unexpected(
          fail(Kind::kConnect, "resolve " + url.host + ": " + resolve_ec.message()));
    }
    auto connection = std::make_unique<Connection>();
    tcp::socket socket(ioc);
    watch->socket = call.active_socket = &socket;
    auto [connect_ec, endpoint] = co_await asio::async_connect(socket, endpoints, kUse);
    if (connect_ec || call.abort_error || watch->expired) {
      co_return tl::unexpected(
          fail(Kind::kConnect, "connect to " + url.authority + ": " + connect_ec.message()));
    }
    ++opened;
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    if (!tls) {
      connection->plain.emplace(std::move(socket));
      co_return connection;
    }

    connection->tls.emplace(std::move(socket), *tls);
    watch->socket = call.active_socket = &connection->tls->next_layer();
    SSL* ssl = connection->tls->native_handle();
    // SNI carries host names only (RFC 6066); IP literals are verified against IP SANs.
    if (!tls_name_is_ip) SSL_set_tlsext_host_name(ssl, tls_name.c_str());
    if (verify_peer) {
      X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
      if (tls_name_is_ip) {
        X509_VERIFY_PARAM_set1_ip_asc(param, tls_name.c_str());
      } else {
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        X509_VERIFY_PARAM_set1_host(param, tls_name.c_str(), tls_name.size());
      }
    }
    auto [handshake_ec] = co_await connection->tls->async_handshake(ssl::stream_base::client, kUse);
    if (handshake_ec || call.abort_error || watch->expired) {
      co_return tl::unexpected(fail(Kind::kTls, "TLS handshake with " + url.authority + ": " +
                                                    tls_failure(*connection->tls, handshake_ec)));
    }
    co_return connection;
  }

  // Hands a piece of a stream to the calling thread; waits while it is far behind. False when the
  // caller stopped or the call was aborted.
  asio::awaitable<bool> deliver(Call& call, std::optional<std::pair<int, Headers>> head,
                                std::string data) {
    {
      std::lock_guard lock(call.mu);
      if (call.consumer_stopped) co_return false;
      if (head) call.head = std::move(head);
      call.data += data;
      call.cv.notify_all();
    }
    for (;;) {
      {
        std::lock_guard lock(call.mu);
        if (call.consumer_stopped) co_return false;
        if (call.data.size() <= kStreamBacklog) break;
        call.producer_waiting = true;
      }
      if (call.abort_error) co_return false;
      call.wake.expires_at(asio::steady_timer::time_point::max());
      co_await call.wake.async_wait(kUse);
      if (call.abort_error) co_return false;
    }
    co_return !call.abort_error;
  }

  void arm_idle(Call& call, const std::shared_ptr<Call>& self) {
    if (!call.idle_timeout) return;
    call.idle.expires_after(*call.idle_timeout);
    call.idle.async_wait(
        [self, gen = ++call.idle_gen, ms = call.idle_timeout->count()](error_code ec) {
          if (!ec && gen == self->idle_gen)
            self->abort(ClientError{Kind::kTimeout, "no data for " + std::to_string(ms) + "ms"});
        });
  }
  void disarm_idle(Call& call) {
    ++call.idle_gen;
    call.idle.cancel();
  }

  asio::awaitable<Outcome> exchange(Connection& conn, const std::shared_ptr<Call>& self) {
    Call& call = *self;
    Outcome out;
    call.active_socket = &conn.socket();
    struct Release {
      Call& call;
      ~Release() { call.active_socket = nullptr; }
    } release{call};
    if (auto ec = co_await conn.write_all(call.wire_request); ec || call.abort_error) {
      out.write_failed = true;
      out.error = failure(call, Kind::kProtocol, "write request: " + ec.message());
      co_return out;
    }

    const bool head_request = call.request.method == "HEAD";
    std::optional<wire::Parser> parser;
    auto new_parser = [&] {
      std::optional<std::uint64_t> limit;
      if (!call.streaming) limit = options.max_response_bytes;
      parser.emplace(wire::Parser::Kind::kResponse, kMaxHeaderBytes, limit);
      if (head_request) parser->skip_body();
    };
    new_parser();
    bool head_delivered = false;
    bool success_status = false;
    bool eof = false;
    std::size_t delivered = 0;
    for (;;) {
      if (conn.in.size() > 0) {
        out.response_started = true;
        auto data = conn.in.data();
        auto used =
            parser->put(std::string_view(static_cast<const char*>(data.data()), data.size()));
        if (!used) {
          if (used.error() == wire::ParseError::kBodyTooLarge) {
            out.error = failure(
                call, Kind::kTooLarge,
                "response body exceeds " + std::to_string(options.max_response_bytes) + " bytes");
          } else {
            out.error = failure(call, Kind::kProtocol, "malformed HTTP response");
          }
          co_return out;
        }
        conn.in.consume(*used);
      }
      if (parser->header_done()) {
        int status = parser->status();
        if (status >= 100 && status < 200 && status != 101 && parser->done()) {
          new_parser();  // an interim answer (100 Continue, 103 Early Hints): the real one follows
          continue;
        }
        if (call.streaming) {
          std::optional<std::pair<int, Headers>> head;
          if (!head_delivered) {
            head_delivered = true;
            success_status = status >= 200 && status < 300;
            head.emplace(status, parser->headers());
            call.deadline.cancel();  // the head is in: from now on only idle_timeout applies
          }
          std::string piece = parser->take_body();
          delivered += piece.size();
          if (!success_status && delivered > options.max_response_bytes) {
            out.error = failure(call, Kind::kTooLarge,
                                "error response body exceeds " +
                                    std::to_string(options.max_response_bytes) + " bytes");
            co_return out;
          }
          if ((head || !piece.empty()) &&
              !co_await deliver(call, std::move(head), std::move(piece))) {
            out.error = failure(call, Kind::kCancelled, "stopped by the caller");
            co_return out;
          }
        }
      }
      if (parser->done()) break;
      if (eof) {
        out.error = failure(call, Kind::kProtocol, "connection closed before the response ended");
        co_return out;
      }
      if (head_delivered) arm_idle(call, self);
      auto [ec, n] = co_await conn.read_some(conn.in.prepare(kReadChunk));
      if (head_delivered) disarm_idle(call);
      if (call.abort_error) {
        out.error = *call.abort_error;
        co_return out;
      }
      if (ec == asio::error::eof || ec == ssl::error::stream_truncated) {
        eof = true;
        if (parser->got_some() && parser->put_eof()) continue;
        out.error = failure(call, Kind::kProtocol,
                            out.response_started ? "connection closed before the response ended"
                                                 : "connection closed before any response");
        co_return out;
      }
      if (ec) {
        out.error = failure(call, Kind::kProtocol, "read response: " + ec.message());
        co_return out;
      }
      conn.in.commit(n);
    }
    auto close = find_header(call.request.headers, "Connection");
    out.reusable = !eof && parser->keep_alive() && conn.in.size() == 0 &&
                   !(close && wire::has_token(*close, "close"));
    if (!call.streaming) {
      call.response.status = parser->status();
      call.response.headers = parser->take_headers();
      call.response.body = parser->take_body();
    }
    co_return out;
  }

  asio::awaitable<void> perform(std::shared_ptr<Call> self) {
    Call& call = *self;
    call.deadline.expires_after(call.timeout);
    call.deadline.async_wait([self, ms = call.timeout.count()](error_code ec) {
      if (!ec)
        self->abort(ClientError{Kind::kTimeout, "timed out after " + std::to_string(ms) + "ms"});
    });
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (call.abort_error) break;
      std::unique_ptr<Connection> conn = take_idle();
      const bool reused = conn != nullptr;
      if (!conn) {
        auto connected = co_await connect(call);
        if (!connected) {
          call.deadline.cancel();
          call.finish(connected.error());
          co_return;
        }
        conn = std::move(*connected);
      }
      if (call.abort_error) break;
      Outcome outcome = co_await exchange(*conn, self);
      if (!outcome.error) {
        call.deadline.cancel();
        if (outcome.reusable) put_idle(std::move(conn));
        call.finish(std::nullopt);
        co_return;
      }
      if (!call.abort_error && reused && !outcome.response_started &&
          (outcome.write_failed || is_idempotent(call.request))) {
        continue;  // the server had closed the idle connection: try once on a fresh one
      }
      call.deadline.cancel();
      call.finish(outcome.error);
      co_return;
    }
    call.deadline.cancel();
    call.finish(call.abort_error ? *call.abort_error
                                 : ClientError{Kind::kProtocol, "request failed"});
  }

  // Starts `call` on the I/O thread, wired to `cancel`; returns the subscription to undo.
  std::uint64_t start(const std::shared_ptr<Call>& call,
                      const std::shared_ptr<Cancellation>& cancel) {
    asio::co_spawn(ioc, perform(call), [call](std::exception_ptr e) {
      if (!e) return;
      // Only allocation failures can get here; the caller must not hang.
      std::lock_guard lock(call->mu);
      if (!call->done) {
        call->done = true;
        call->error = ClientError{Kind::kProtocol, "internal error"};
        call->cv.notify_all();
      }
    });
    if (!cancel) return 0;
    return cancel->subscribe([this, call] {
      asio::post(ioc, [call] { call->abort(ClientError{Kind::kCancelled, "cancelled"}); });
    });
  }
};

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Client::~Client() {
  impl_->work.reset();
  impl_->ioc.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
  impl_->idle.clear();
}

std::size_t Client::connections_opened() const { return impl_->opened.load(); }

tl::expected<std::unique_ptr<Client>, std::string> Client::create(ClientOptions options) {
  try {
    auto impl = std::make_unique<Impl>();
    auto url = parse_base_url(options.base_url);
    if (!url) return tl::unexpected("base URL \"" + options.base_url + "\": " + url.error());
    impl->url = std::move(*url);
    if (impl->url.https) {
      ClientTls tls = options.tls.value_or(ClientTls{});
      impl->tls.emplace(ssl::context::tls_client);
      SSL_CTX* ctx = impl->tls->native_handle();
      SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
      static const unsigned char kHttp11[] = "\x08http/1.1";
      SSL_CTX_set_alpn_protos(ctx, kHttp11, sizeof kHttp11 - 1);
      error_code ec;
      impl->verify_peer = !tls.insecure_skip_verify;
      impl->tls->set_verify_mode(impl->verify_peer ? ssl::verify_peer : ssl::verify_none);
      if (!tls.ca_pem.empty()) {
        impl->tls->add_certificate_authority(asio::buffer(tls.ca_pem), ec);
        if (ec) return tl::unexpected("CA certificate: " + ec.message());
      } else {
        impl->tls->set_default_verify_paths(ec);
        if (ec) return tl::unexpected("system CA certificates: " + ec.message());
      }
      if (tls.client_cert_pem.empty() != tls.client_key_pem.empty())
        return tl::unexpected(std::string("client certificate: certificate and key go together"));
      if (!tls.client_cert_pem.empty()) {
        impl->tls->use_certificate_chain(asio::buffer(tls.client_cert_pem), ec);
        if (ec) return tl::unexpected("client certificate: " + ec.message());
        impl->tls->use_private_key(asio::buffer(tls.client_key_pem), ssl::context::pem, ec);
        if (ec) return tl::unexpected("client key: " + ec.message());
        if (SSL_CTX_check_private_key(ctx) != 1)
          return tl::unexpected(std::string("client key: does not match the client certificate"));
      }
      impl->tls_name = tls.server_name.empty() ? impl->url.host : tls.server_name;
      impl->tls_name_is_ip = is_ip_literal(impl->tls_name);
    } else if (options.tls) {
      return tl::unexpected("base URL \"" + options.base_url + "\": TLS options need https://");
    }
    impl->options = std::move(options);
    Impl* raw = impl.get();
    raw->thread = std::thread([raw] {
      for (;;) {
        try {
          raw->ioc.run();
          return;
        } catch (...) {
        }
      }
    });
    return std::unique_ptr<Client>(new Client(std::move(impl)));
  } catch (const std::exception& e) {
    return tl::unexpected(std::string("create client: ") + e.what());
  }
}

tl::expected<Response, ClientError> Client::send(Request request,
                                                 std::optional<std::chrono::milliseconds> timeout,
                                                 std::shared_ptr<Cancellation> cancel) {
  if (cancel && cancel->cancelled())
    return tl::unexpected(ClientError{Kind::kCancelled, "cancelled"});
  auto wire_request = serialize_request(impl_->url, request);
  if (!wire_request) return tl::unexpected(wire_request.error());
  auto call = std::make_shared<Call>(impl_->ioc, std::move(request));
  call->wire_request = std::move(*wire_request);
  call->timeout = timeout.value_or(impl_->options.request_timeout);
  std::uint64_t subscription = impl_->start(call, cancel);
  std::unique_lock lock(call->mu);
  call->cv.wait(lock, [&] { return call->done; });
  lock.unlock();
  if (cancel) cancel->unsubscribe(subscription);
  if (call->error) return tl::unexpected(std::move(*call->error));
  return std::move(call->response);
}

tl::expected<void, ClientError> Client::stream(
    Request request, std::function<bool(int status, const Headers& headers)> on_head,
    std::function<bool(std::string_view data)> on_data,
    std::optional<std::chrono::milliseconds> idle_timeout, std::shared_ptr<Cancellation> cancel) {
  if (cancel && cancel->cancelled())
    return tl::unexpected(ClientError{Kind::kCancelled, "cancelled"});
  auto wire_request = serialize_request(impl_->url, request);
  if (!wire_request) return tl::unexpected(wire_request.error());
  auto call = std::make_shared<Call>(impl_->ioc, std::move(request));
  call->wire_request = std::move(*wire_request);
  call->streaming = true;
  call->timeout = impl_->options.request_timeout;
  call->idle_timeout = idle_timeout;
  std::uint64_t subscription = impl_->start(call, cancel);

  bool stopped = false;
  std::optional<ClientError> callback_error;
  for (;;) {
    std::unique_lock lock(call->mu);
    call->cv.wait(lock, [&] { return call->head || !call->data.empty() || call->done; });
    auto head = std::move(call->head);
    call->head.reset();
    std::string data;
    data.swap(call->data);
    const bool done = call->done;
    const bool wake = call->producer_waiting;
    call->producer_waiting = false;
    lock.unlock();
    if (wake) asio::post(impl_->ioc, [call] { call->wake.cancel(); });
    if (!stopped) {
      try {
        if (head && on_head && !on_head(head->first, head->second)) stopped = true;
        if (!stopped && !data.empty() && on_data && !on_data(data)) stopped = true;
      } catch (const std::exception& e) {
        stopped = true;
        callback_error =
            ClientError{Kind::kProtocol, std::string("stream callback threw: ") + e.what()};
      } catch (...) {
        stopped = true;
        callback_error = ClientError{Kind::kProtocol, "stream callback threw"};
      }
      if (stopped) {
        {
          std::lock_guard stop_lock(call->mu);
          call->consumer_stopped = true;
        }
        asio::post(impl_->ioc, [call] {
          call->abort(ClientError{Kind::kCancelled, "stopped by the caller"});
        });
      }
    }
    if (done) break;
  }
  if (cancel) cancel->unsubscribe(subscription);
  if (callback_error) return tl::unexpected(std::move(*callback_error));
  if (stopped) return {};
  std::lock_guard lock(call->mu);
  if (call->error) return tl::unexpected(std::move(*call->error));
  return {};
}

}  // namespace lambda::http
