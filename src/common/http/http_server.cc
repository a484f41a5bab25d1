#include "common/http/http_server.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "common/http/wire.h"

namespace lambda::http {
namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;
constexpr auto kUse = asio::as_tuple(asio::use_awaitable);

constexpr std::size_t kReadChunk = 16 * 1024;
// After an error answer the connection drains what the client is still sending for a moment
// before closing: closing with unread input makes the kernel send a reset, and the client may
// then lose the answer that explains why (413, 400).
constexpr std::chrono::milliseconds kLingerTime{500};
constexpr std::size_t kLingerBytes = 1024 * 1024;

class Connection;

template <auto Free>
struct Deleter {
  template <class T>
  void operator()(T* p) const {
    Free(p);
  }
};
using StorePtr = std::unique_ptr<X509_STORE, Deleter<X509_STORE_free>>;

std::string format_endpoint(const tcp::endpoint& endpoint) {
  auto address = endpoint.address();
  std::string host = address.to_string();
  if (address.is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(endpoint.port());
}

}  // namespace

// The state an Exchange shares with its connection. Everything under `mu` may be touched from any
// thread; the connection reads the outbox on its strand.
struct Exchange::Impl {
  enum class State { kPending, kResponded, kStreaming, kFinishing, kAborted, kClosed };

  Request request;
  std::string remote_address;
  std::optional<PeerIdentity> peer;
  std::size_t max_stream_buffer_bytes = 0;

  mutable std::mutex mu;
  State state = State::kPending;
  std::weak_ptr<Connection> connection;  // reset when the exchange ends
  std::optional<Response> response;
  std::optional<std::pair<int, Headers>> stream_head;
  std::deque<std::string> chunks;
  std::size_t queued_bytes = 0;  // in `chunks` and being written
  bool finish_requested = false;
  bool wake_posted = false;
  std::vector<std::function<void()>> on_close;
};

namespace {

struct Outbox {
  std::optional<Response> response;
  std::optional<std::pair<int, Headers>> stream_head;
  std::deque<std::string> chunks;
  std::size_t chunk_bytes = 0;
  bool finish = false;
};

enum class Phase { kHandshake, kIdle, kReading, kExchange, kStreaming };

}  // namespace

struct Server::Impl {
  ServerOptions options;
  Handler handler;

  std::mutex mu;
  std::condition_variable connections_changed;
  std::unordered_map<Connection*, std::weak_ptr<Connection>> connections;
  bool stopped = false;

  std::optional<ssl::context> tls;
  StorePtr client_ca;
  // Declared after the bookkeeping above: connections still owned by queued handlers are
  // destroyed with the io_context and unregister themselves.
  asio::io_context ioc;
  tcp::acceptor acceptor{asio::make_strand(ioc)};
  uint16_t port = 0;
  std::vector<std::thread> threads;

  void spawn_connection(tcp::socket socket);
  asio::awaitable<void> accept_loop();
};

namespace {

std::optional<PeerIdentity> identity_of(X509* cert) {
  PeerIdentity identity;
  X509_NAME* name = X509_get_subject_name(cert);
  auto text = [](X509_NAME_ENTRY* entry) {
    unsigned char* utf8 = nullptr;
    int size = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(entry));
    std::string out;
    if (size >= 0) out.assign(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(size));
    OPENSSL_free(utf8);
    return out;
  };
  for (int i = -1; (i = X509_NAME_get_index_by_NID(name, NID_commonName, i)) >= 0;)
    identity.common_name = text(X509_NAME_get_entry(name, i));
  for (int i = -1; (i = X509_NAME_get_index_by_NID(name, NID_organizationName, i)) >= 0;)
    identity.organizations.push_back(text(X509_NAME_get_entry(name, i)));
  return identity;
}

// The handshake accepts any client certificate (Kubernetes' "request, don't require"): whether
// one verifies against the client CA decides only whether the request carries an identity.
std::optional<PeerIdentity> verified_peer(SSL* ssl, X509_STORE* store) {
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (cert == nullptr || store == nullptr) return std::nullopt;
  std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX_free>> ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), store, cert, SSL_get_peer_cert_chain(ssl)) != 1)
    return std::nullopt;
  X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_CLIENT);
  if (X509_verify_cert(ctx.get()) != 1) return std::nullopt;
  return identity_of(cert);
}

int accept_any_client_certificate(int, X509_STORE_CTX*) { return 1; }

int select_http11(SSL*, const unsigned char** out, unsigned char* out_len, const unsigned char* in,
                  unsigned int in_len, void*) {
  static const unsigned char kHttp11[] = "\x08http/1.1";
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, out_len, kHttp11, sizeof kHttp11 - 1, in, in_len) !=
      OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

tl::expected<void, std::string> configure_tls(Server::Impl& impl, const ServerTls& tls) {
  impl.tls.emplace(ssl::context::tls_server);
  SSL_CTX* ctx = impl.tls->native_handle();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  impl.tls->set_options(ssl::context::default_workarounds | ssl::context::no_compression);
  error_code ec;
  impl.tls->use_certificate_chain(asio::buffer(tls.cert_chain_pem), ec);
  if (ec) return tl::unexpected("server certificate: " + ec.message());
  impl.tls->use_private_key(asio::buffer(tls.private_key_pem), ssl::context::pem, ec);
  if (ec) return tl::unexpected("server private key: " + ec.message());
  if (SSL_CTX_check_private_key(ctx) != 1)
    return tl::unexpected(std::string("server private key: does not match the certificate"));
  SSL_CTX_set_alpn_select_cb(ctx, select_http11, nullptr);
  if (tls.client_ca_pem.empty()) return {};

  // The CA's names go into the CertificateRequest so that clients holding several
  // certificates (Go, curl) pick one this server can verify.
  impl.client_ca.reset(X509_STORE_new());
  STACK_OF(X509_NAME)* names = sk_X509_NAME_new_null();
  std::unique_ptr<BIO, Deleter<BIO_free>> bio(
      BIO_new_mem_buf(tls.client_ca_pem.data(), static_cast<int>(tls.client_ca_pem.size())));
  int count = 0;
  while (bio && impl.client_ca && names) {
    std::unique_ptr<X509, Deleter<X509_free>> cert(
        PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) break;
    X509_STORE_add_cert(impl.client_ca.get(), cert.get());
    sk_X509_NAME_push(names, X509_NAME_dup(X509_get_subject_name(cert.get())));
    ++count;
  }
  ERR_clear_error();
  if (count == 0) {
    sk_X509_NAME_pop_free(names, X509_NAME_free);
    return tl::unexpected(std::string("client CA: no certificate in PEM"));
  }
  SSL_CTX_set_client_CA_list(ctx, names);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, accept_any_client_certificate);
  // Required once peers are verified, or session resumption fails.
  static const unsigned char kSessionContext[] = "lambda-http";
  SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);
  return {};
}

// One accepted connection. All its state is touched on its strand only; Exchanges reach it by
// posting there.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Server::Impl& server, tcp::socket socket)
      : server_(server),
        executor_(socket.get_executor()),
        read_timer_(executor_),
        write_timer_(executor_),
        event_(executor_) {
    error_code ec;
    auto endpoint = socket.remote_endpoint(ec);
    if (!ec) remote_ = format_endpoint(endpoint);
    socket.set_option(tcp::no_delay(true), ec);
    if (server.tls) {
      tls_.emplace(std::move(socket), *server.tls);
    } else {
      plain_.emplace(std::move(socket));
    }
  }

  ~Connection() {
    end_exchange();
    std::lock_guard lock(server_.mu);
    server_.connections.erase(this);
    server_.connections_changed.notify_all();
  }

  const asio::any_io_executor& executor() const { return executor_; }

  static asio::awaitable<void> run(std::shared_ptr<Connection> self) {
    try {
      co_await self->serve();
    } catch (...) {
    }
    self->close();
  }

  // From any thread.
  void post_wake() {
    asio::post(executor_, [self = shared_from_this()] { self->event_.cancel(); });
  }
  void post_close() {
    asio::post(executor_, [self = shared_from_this()] { self->close(); });
  }

  // On the strand: the server is stopping. Idle connections and streams end now; a request
  // being served gets its answer, then the connection closes.
  void begin_shutdown() {
    stopping_ = true;
    if (phase_ == Phase::kHandshake || phase_ == Phase::kIdle || phase_ == Phase::kStreaming)
      close();
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    error_code ec;
    socket().shutdown(tcp::socket::shutdown_both, ec);
    socket().close(ec);
    read_timer_.cancel();
    write_timer_.cancel();
    event_.cancel();
    end_exchange();
  }

 private:
  tcp::socket& socket() { return tls_ ? tls_->next_layer() : *plain_; }

  asio::awaitable<std::tuple<error_code, std::size_t>> read_some(asio::mutable_buffer buffer) {
    if (tls_) co_return co_await tls_->async_read_some(buffer, kUse);
    co_return co_await plain_->async_read_some(buffer, kUse);
  }

  // Writes all of `data` within idle_timeout; false when the connection is gone.
  asio::awaitable<bool> write_all(std::string_view data) {
    if (closed_) co_return false;
    if (data.empty()) co_return true;
    arm_write(server_.options.idle_timeout);
    error_code ec;
    if (tls_) {
      std::tie(ec, std::ignore) = co_await asio::async_write(*tls_, asio::buffer(data), kUse);
    } else {
      std::tie(ec, std::ignore) = co_await asio::async_write(*plain_, asio::buffer(data), kUse);
    }
    disarm_write();
    co_return !ec && !closed_;
  }

  // Deadlines close the connection, which fails whatever operation is pending. The generation
  // tells a stale expiry (one that raced with disarm) from a live one.
  void arm_read(std::chrono::milliseconds timeout) {
    read_timer_.expires_after(timeout);
    read_timer_.async_wait([self = shared_from_this(), gen = ++read_gen_](error_code ec) {
      if (!ec && gen == self->read_gen_) self->close();
    });
  }
  void disarm_read() {
    ++read_gen_;
    read_timer_.cancel();
  }
  void arm_write(std::chrono::milliseconds timeout) {
    write_timer_.expires_after(timeout);
    write_timer_.async_wait([self = shared_from_this(), gen = ++write_gen_](error_code ec) {
      if (!ec && gen == self->write_gen_) self->close();
    });
  }
  void disarm_write() {
    ++write_gen_;
    write_timer_.cancel();
  }

  // Waits until something may have changed: the outbox, the watch read, closing. Callers check
  // their condition before waiting, on the strand, so no wake-up is lost.
  asio::awaitable<void> wait_event() {
    event_.expires_at(asio::steady_timer::time_point::max());
    co_await event_.async_wait(kUse);
  }

  // Keeps a read pending while a request is being answered, so that a client that goes away is
  // noticed at once (its exchange closes) even when nothing is being written. What it reads is
  // the start of the next request and stays in the input buffer.
  void start_watch() {
    if (watching_ || closed_ || in_.size() > 0) return;
    watching_ = true;
    auto handler = [self = shared_from_this()](error_code ec, std::size_t n) {
      self->watching_ = false;
      if (ec) {
        self->close();
        return;
      }
      self->in_.commit(n);
      self->event_.cancel();
    };
    if (tls_) {
      tls_->async_read_some(in_.prepare(kReadChunk), handler);
    } else {
      plain_->async_read_some(in_.prepare(kReadChunk), handler);
    }
  }

  enum class ReadResult { kOk, kClosed, kBad, kHeaderTooLarge, kBodyTooLarge };

  // Feeds buffered and then fresh input to the parser until the header (or the whole message)
  // is in.
  asio::awaitable<ReadResult> read_message(wire::Parser& parser, bool header_only) {
    for (;;) {
      if (in_.size() > 0) {
        auto data = in_.data();
        auto used =
            parser.put(std::string_view(static_cast<const char*>(data.data()), data.size()));
        if (!used) {
          switch (used.error()) {
            case wire::ParseError::kHeaderTooLarge:
              co_return ReadResult::kHeaderTooLarge;
            case wire::ParseError::kBodyTooLarge:
              co_return ReadResult::kBodyTooLarge;
            default:
              co_return ReadResult::kBad;
          }
        }
        in_.consume(*used);
      }
      if (header_only ? parser.header_done() : parser.done()) co_return ReadResult::kOk;
      if (closed_) co_return ReadResult::kClosed;
      auto [ec, n] = co_await read_some(in_.prepare(kReadChunk));
      if (ec || closed_) co_return ReadResult::kClosed;
      in_.commit(n);
    }
  }

  asio::awaitable<void> answer_error_and_close(int status, std::string_view body) {
    std::string out = "HTTP/1.1 " + std::to_string(status) + " ";
    out += wire::reason_phrase(status);
    out += "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ";
    out += std::to_string(body.size());
    out += "\r\nConnection: close\r\n\r\n";
    out += body;
    disarm_read();
    if (co_await write_all(out)) co_await linger();
    close();
  }

  asio::awaitable<void> linger() {
    error_code ec;
    socket().shutdown(tcp::socket::shutdown_send, ec);
    arm_read(kLingerTime);
    std::size_t drained = 0;
    while (!closed_ && drained < kLingerBytes) {
      in_.consume(in_.size());
      // Below TLS: the peer's records no longer matter, only that the kernel buffer is read.
      auto [read_ec, n] = co_await socket().async_read_some(in_.prepare(kReadChunk), kUse);
      if (read_ec) break;
      drained += n;
    }
    disarm_read();
  }

  Outbox take_outbox(Exchange::Impl& ex) {
    std::lock_guard lock(ex.mu);
    ex.wake_posted = false;
    Outbox box;
    box.response = std::move(ex.response);
    ex.response.reset();
    box.stream_head = std::move(ex.stream_head);
    ex.stream_head.reset();
    box.chunks.swap(ex.chunks);
    for (const auto& c : box.chunks) box.chunk_bytes += c.size();
    box.finish = ex.finish_requested && ex.chunks.empty();
    return box;
  }

  void release_bytes(Exchange::Impl& ex, std::size_t n) {
    std::lock_guard lock(ex.mu);
    ex.queued_bytes -= std::min(ex.queued_bytes, n);
  }

  void end_exchange() {
    if (!current_) return;
    std::shared_ptr<Exchange> exchange = std::move(current_);
    Exchange::Impl* ex = current_impl_;
    current_.reset();
    current_impl_ = nullptr;
    std::vector<std::function<void()>> callbacks;
    {
      std::lock_guard lock(ex->mu);
      ex->state = Exchange::Impl::State::kClosed;
      ex->connection.reset();
      ex->chunks.clear();
      ex->queued_bytes = 0;
      callbacks.swap(ex->on_close);
    }
    for (auto& callback : callbacks) {
      try {
        callback();
      } catch (...) {
      }
    }
  }

  static std::string response_head(int status, const Headers& headers) {
    std::string out = "HTTP/1.1 " + std::to_string(status) + " ";
    out += wire::reason_phrase(status);
    out += "\r\n";
    wire::append_headers(out, headers);
    return out;
  }

  asio::awaitable<void> serve() {
    const ServerOptions& options = server_.options;
    arm_read(options.header_timeout);
    if (tls_) {
      phase_ = Phase::kHandshake;
      auto [ec] = co_await tls_->async_handshake(ssl::stream_base::server, kUse);
      if (ec || closed_) co_return;
      peer_ = verified_peer(tls_->native_handle(), server_.client_ca.get());
    }
    bool first = true;
    while (!closed_) {
      // Wait for the first byte of the next request.
      phase_ = Phase::kIdle;
      if (stopping_) co_return;
      if (!first) arm_read(options.idle_timeout);
      if (in_.size() == 0) {
        if (watching_) {
          while (watching_ && !closed_) co_await wait_event();
        } else {
          auto [ec, n] = co_await read_some(in_.prepare(kReadChunk));
          if (ec) co_return;
          in_.commit(n);
        }
        if (closed_) co_return;
      }
      if (!first) arm_read(options.header_timeout);
      first = false;

      phase_ = Phase::kReading;
      wire::Parser parser(wire::Parser::Kind::kRequest, options.max_header_bytes,
                          options.max_body_bytes);
      ReadResult result = co_await read_message(parser, /*header_only=*/true);
      if (result == ReadResult::kOk && !parser.done()) {
        auto expect = find_header(parser.headers(), "Expect");
        if (parser.version() == 11 && expect && wire::iequals(*expect, "100-continue")) {
          if (!co_await write_all("HTTP/1.1 100 Continue\r\n\r\n")) co_return;
        }
        arm_read(options.body_timeout);
        result = co_await read_message(parser, /*header_only=*/false);
      }
      switch (result) {
        case ReadResult::kOk:
          break;
        case ReadResult::kClosed:
          co_return;
        case ReadResult::kBad:
          co_await answer_error_and_close(400, "malformed HTTP request\n");
          co_return;
        case ReadResult::kHeaderTooLarge:
          co_await answer_error_and_close(431, "request header too large\n");
          co_return;
        case ReadResult::kBodyTooLarge:
          co_await answer_error_and_close(413, "request body too large\n");
          co_return;
      }
      disarm_read();

      const bool head = parser.method() == "HEAD";
      const int version = parser.version();
      bool keep_alive = parser.keep_alive();
      auto impl = std::make_unique<Exchange::Impl>();
      impl->request.method = parser.method();
      impl->request.target = parser.target();
      impl->request.headers = parser.take_headers();
      impl->request.body = parser.take_body();
      impl->remote_address = remote_;
      impl->peer = peer_;
      impl->max_stream_buffer_bytes = options.max_stream_buffer_bytes;
      impl->connection = weak_from_this();
      Exchange::Impl* ex = impl.get();
      auto exchange = std::make_shared<Exchange>(std::move(impl));
      current_ = exchange;
      current_impl_ = ex;

      phase_ = Phase::kExchange;
      start_watch();
      try {
        server_.handler(exchange);
      } catch (...) {
        exchange->respond(Response{
            500, {{"Content-Type", "text/plain; charset=utf-8"}}, "internal server error\n"});
      }

      Outbox box;
      for (;;) {
        if (closed_) co_return;
        box = take_outbox(*ex);
        if (box.response || box.stream_head) break;
        co_await wait_event();
      }

      if (box.response) {
        Response& response = *box.response;
        int status = response.status >= 200 && response.status <= 999 ? response.status : 500;
        if (auto c = find_header(response.headers, "Connection"); c && wire::has_token(*c, "close"))
          keep_alive = false;
        bool close_after = !keep_alive || stopping_;
        std::string out = response_head(status, response.headers);
        bool no_body = status == 204 || status == 304;
        if (!no_body) out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
        if (close_after) {
          out += "Connection: close\r\n";
        } else if (version == 10) {
          out += "Connection: keep-alive\r\n";
        }
        out += "\r\n";
        if (!head && !no_body) out += response.body;
        bool written = co_await write_all(out);
        end_exchange();
        if (!written || close_after) co_return;
        continue;
      }

      phase_ = Phase::kStreaming;
      if (stopping_) co_return;
      // HTTP/1.0 has no chunked encoding: the end of the body is the end of the connection.
      const bool chunked = version == 11;
      auto& [status, headers] = *box.stream_head;
      std::string out = response_head(status >= 200 && status <= 999 ? status : 500, headers);
      out += chunked ? "Transfer-Encoding: chunked\r\n" : "Connection: close\r\n";
      out += "\r\n";
      for (;;) {
        if (!head) {
          for (const auto& chunk : box.chunks) {
            if (chunked) {
              wire::append_chunk(out, chunk);
            } else {
              out += chunk;
            }
          }
          if (box.finish && chunked) out += wire::kLastChunk;
        }
        bool written = co_await write_all(out);
        release_bytes(*ex, box.chunk_bytes);
        if (!written) co_return;
        if (box.finish) break;
        out.clear();
        for (;;) {
          if (closed_) co_return;
          box = take_outbox(*ex);
          if (!box.chunks.empty() || box.finish) break;
          co_await wait_event();
        }
      }
      end_exchange();
      if (!chunked || !keep_alive || stopping_) co_return;
    }
  }

  Server::Impl& server_;
  asio::any_io_executor executor_;
  std::optional<tcp::socket> plain_;
  std::optional<ssl::stream<tcp::socket>> tls_;
  asio::steady_timer read_timer_;
  asio::steady_timer write_timer_;
  asio::steady_timer event_;
  std::uint64_t read_gen_ = 0;
  std::uint64_t write_gen_ = 0;
  boost::beast::flat_buffer in_;
  std::string remote_;
  std::optional<PeerIdentity> peer_;
  Phase phase_ = Phase::kHandshake;
  bool closed_ = false;
  bool stopping_ = false;
  bool watching_ = false;
  std::shared_ptr<Exchange> current_;
  Exchange::Impl* current_impl_ = nullptr;
};

}  // namespace

void Server::Impl::spawn_connection(tcp::socket socket) {
  auto connection = std::make_shared<Connection>(*this, std::move(socket));
  {
    std::lock_guard lock(mu);
    if (stopped) return;  // the destructor closes the socket
    connections.emplace(connection.get(), connection);
  }
  asio::co_spawn(connection->executor(), Connection::run(connection), [](std::exception_ptr) {});
}

asio::awaitable<void> Server::Impl::accept_loop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(asio::make_strand(ioc), kUse);
    if (!acceptor.is_open()) co_return;
    if (ec) {
      // Out of descriptors or memory: back off instead of spinning; the error may pass.
      asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(50));
      co_await pause.async_wait(kUse);
      continue;
    }
    spawn_connection(tcp::socket(std::move(socket)));
  }
}

// Exchange ---------------------------------------------------------------------------------------

Exchange::Exchange(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Exchange::~Exchange() = default;

const Request& Exchange::request() const { return impl_->request; }
const std::string& Exchange::remote_address() const { return impl_->remote_address; }
const std::optional<PeerIdentity>& Exchange::peer() const { return impl_->peer; }

bool Exchange::respond(Response response) {
  std::shared_ptr<Connection> connection;  // released after the lock: it may be the last owner
  std::lock_guard lock(impl_->mu);
  if (impl_->state != Impl::State::kPending) return false;
  connection = impl_->connection.lock();
  if (!connection) return false;
  impl_->state = Impl::State::kResponded;
  impl_->response = std::move(response);
  impl_->wake_posted = true;
  connection->post_wake();
  return true;
}

bool Exchange::start_stream(int status, Headers headers) {
  std::shared_ptr<Connection> connection;
  std::lock_guard lock(impl_->mu);
  if (impl_->state != Impl::State::kPending) return false;
  connection = impl_->connection.lock();
  if (!connection) return false;
  impl_->state = Impl::State::kStreaming;
  impl_->stream_head.emplace(status, std::move(headers));
  impl_->wake_posted = true;
  connection->post_wake();
  return true;
}

bool Exchange::write(std::string data) {
  std::shared_ptr<Connection> connection;
  std::lock_guard lock(impl_->mu);
  if (impl_->state != Impl::State::kStreaming) return false;
  connection = impl_->connection.lock();
  if (!connection) return false;
  if (data.empty()) return true;
  if (impl_->queued_bytes + data.size() > impl_->max_stream_buffer_bytes) {
    impl_->state = Impl::State::kAborted;
    connection->post_close();
    return false;
  }
  impl_->queued_bytes += data.size();
  impl_->chunks.push_back(std::move(data));
  if (!impl_->wake_posted) {
    impl_->wake_posted = true;
    connection->post_wake();
  }
  return true;
}

void Exchange::finish() {
  std::shared_ptr<Connection> connection;
  std::lock_guard lock(impl_->mu);
  if (impl_->state != Impl::State::kStreaming) return;
  connection = impl_->connection.lock();
  if (!connection) return;
  impl_->state = Impl::State::kFinishing;
  impl_->finish_requested = true;
  impl_->wake_posted = true;
  connection->post_wake();
}

void Exchange::on_close(std::function<void()> callback) {
  if (!callback) return;
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->state != Impl::State::kClosed) {
      impl_->on_close.push_back(std::move(callback));
      return;
    }
  }
  callback();
}

bool Exchange::closed() const {
  std::lock_guard lock(impl_->mu);
  return impl_->state == Impl::State::kClosed;
}

// Server -----------------------------------------------------------------------------------------

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() { stop(std::chrono::seconds(1)); }

uint16_t Server::port() const { return impl_->port; }

tl::expected<std::unique_ptr<Server>, std::string> Server::start(ServerOptions options,
                                                                 Handler handler) {
  if (!handler) return tl::unexpected(std::string("server handler is empty"));
  try {
    auto impl = std::make_unique<Impl>();
    impl->options = std::move(options);
    impl->handler = std::move(handler);
    const ServerOptions& opts = impl->options;
    if (opts.tls) {
      if (auto configured = configure_tls(*impl, *opts.tls); !configured)
        return tl::unexpected(configured.error());
    }
    error_code ec;
    auto address = asio::ip::make_address(opts.address, ec);
    if (ec) return tl::unexpected("invalid listen address \"" + opts.address + "\"");
    tcp::endpoint endpoint(address, opts.port);
    std::string where = "listen on " + format_endpoint(endpoint) + ": ";
    impl->acceptor.open(endpoint.protocol(), ec);
    if (!ec) impl->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) impl->acceptor.bind(endpoint, ec);
    if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return tl::unexpected(where + ec.message());
    impl->port = impl->acceptor.local_endpoint(ec).port();

    Impl* raw = impl.get();
    asio::co_spawn(raw->acceptor.get_executor(), raw->accept_loop(), [](std::exception_ptr) {});
    int threads = std::max(1, opts.threads);
    for (int i = 0; i < threads; ++i) {
      raw->threads.emplace_back([raw] {
        for (;;) {
          try {
            raw->ioc.run();
            return;
          } catch (...) {
          }
        }
      });
    }
    return std::unique_ptr<Server>(new Server(std::move(impl)));
  } catch (const std::exception& e) {
    return tl::unexpected(std::string("start server: ") + e.what());
  }
}

void Server::stop(std::chrono::milliseconds grace) {
  Impl& impl = *impl_;
  std::vector<std::weak_ptr<Connection>> open;
  {
    std::lock_guard lock(impl.mu);
    if (impl.stopped) return;
    impl.stopped = true;
    for (const auto& [_, weak] : impl.connections) open.push_back(weak);
  }
  asio::post(impl.acceptor.get_executor(), [&impl] {
    error_code ec;
    impl.acceptor.close(ec);
  });
  for (const auto& weak : open) {
    if (auto c = weak.lock()) asio::post(c->executor(), [c] { c->begin_shutdown(); });
  }
  open.clear();
  std::unique_lock lock(impl.mu);
  if (!impl.connections_changed.wait_for(lock, grace, [&] { return impl.connections.empty(); })) {
    for (const auto& [_, weak] : impl.connections) open.push_back(weak);
    lock.unlock();
    for (const auto& weak : open) {
      if (auto c = weak.lock()) asio::post(c->executor(), [c] { c->close(); });
    }
    lock.lock();
    impl.connections_changed.wait_for(lock, std::chrono::seconds(5),
                                      [&] { return impl.connections.empty(); });
  }
  lock.unlock();
  impl.ioc.stop();
  for (auto& thread : impl.threads) thread.join();
  impl.threads.clear();
}

}  // namespace lambda::http
