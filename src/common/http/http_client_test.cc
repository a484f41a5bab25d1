#include "common/http/http_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "common/http/http_server.h"
#include "common/http/http_test_util.h"

// g++ 12 warns about members left out of a designated initializer even when they have default
// member initializers; the options structs are meant to be written that way.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace lambda::http {
namespace {

using namespace std::chrono_literals;
using Kind = ClientError::Kind;

void echo(std::shared_ptr<Exchange> ex) {
  const Request& r = ex->request();
  ex->respond({200, {}, r.method + " " + r.target + " " + r.body});
}

std::unique_ptr<Server> start_server(ServerOptions options, Handler handler = echo) {
  auto server = Server::start(std::move(options), std::move(handler));
  EXPECT_TRUE(server) << server.error();
  return server ? std::move(*server) : nullptr;
}

std::string http_url(uint16_t port) { return "http://127.0.0.1:" + std::to_string(port); }

std::unique_ptr<Client> make_client(ClientOptions options) {
  auto client = Client::create(std::move(options));
  EXPECT_TRUE(client) << client.error();
  return client ? std::move(*client) : nullptr;
}

// A loopback listener that serves scripted connections from a thread: the test decides, per
// accepted connection, what to read and write.
class ScriptedServer {
 public:
  explicit ScriptedServer(std::function<void(int index, int fd)> script) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(fd_, 8);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this, script = std::move(script)] {
      for (int index = 0;; ++index) {
        int client = ::accept(fd_, nullptr, nullptr);
        if (client < 0) return;
        script(index, client);
        ::close(client);
      }
    });
  }
  ~ScriptedServer() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  uint16_t port() const { return port_; }

  // Reads one request header (the requests here have no body).
  static bool read_request(int fd) {
    std::string data;
    char c;
    while (data.find("\r\n\r\n") == std::string::npos) {
      if (::recv(fd, &c, 1, 0) != 1) return false;
      data.push_back(c);
    }
    return true;
  }
  static void write(int fd, std::string_view data) {
    ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
  }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
};

TEST(Client, ReusesOneKeepAliveConnectionForSequentialRequests) {
  auto server = start_server({});
  auto client = make_client({.base_url = http_url(server->port())});
  for (int i = 0; i < 100; ++i) {
    auto response = client->send({"GET", "/n/" + std::to_string(i), {}, ""});
    ASSERT_TRUE(response) << response.error().message;
    ASSERT_EQ(response->body, "GET /n/" + std::to_string(i) + " ");
  }
  EXPECT_EQ(client->connections_opened(), 1u);
}

TEST(Client, ServesManyThreadsAtOnceWithCorrectAnswers) {
  auto server = start_server({.threads = 2});
  auto client = make_client({.base_url = http_url(server->port())});
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        std::string body = std::to_string(t) + ":" + std::to_string(i);
        auto response = client->send({"POST", "/t", {}, body});
        if (!response || response->status != 200 || response->body != "POST /t " + body) ++wrong;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_LE(client->connections_opened(), 8u);
}

TEST(Client, PrependsTheBaseUrlPathPrefixToTargets) {
  auto server = start_server({});
  auto client = make_client({.base_url = http_url(server->port()) + "/k8s/"});
  auto response = client->send({"GET", "/api/v1?watch=1", {}, ""});
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->body, "GET /k8s/api/v1?watch=1 ");
}

TEST(Client, SendsHostAndContentLength) {
  Headers seen;
  std::mutex mu;
  auto server = start_server({}, [&](std::shared_ptr<Exchange> ex) {
    std::lock_guard lock(mu);
    seen = ex->request().headers;
    ex->respond({204, {}, ""});
  });
  auto client = make_client({.base_url = http_url(server->port())});
  auto response = client->send({"PATCH", "/p", {{"Content-Type", "application/json"}}, "{}"});
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 204);
  std::lock_guard lock(mu);
  EXPECT_EQ(find_header(seen, "Host"), "127.0.0.1:" + std::to_string(server->port()));
  EXPECT_EQ(find_header(seen, "Content-Length"), "2");
  EXPECT_EQ(find_header(seen, "Content-Type"), "application/json");
}

TEST(Client, HeadResponseHasNoBodyAndKeepsTheConnection) {
  auto server = start_server({});
  auto client = make_client({.base_url = http_url(server->port())});
  auto head = client->send({"HEAD", "/h", {}, ""});
  ASSERT_TRUE(head) << head.error().message;
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->body, "");
  EXPECT_EQ(find_header(head->headers, "Content-Length"), "8");
  auto next = client->send({"GET", "/g", {}, ""});
  ASSERT_TRUE(next) << next.error().message;
  EXPECT_EQ(next->body, "GET /g ");
  EXPECT_EQ(client->connections_opened(), 1u);
}

TEST(Client, DoesNotReuseAConnectionTheServerClosedWhileIdle) {
  auto server = start_server({.idle_timeout = 100ms});
  auto client = make_client({.base_url = http_url(server->port())});
  ASSERT_TRUE(client->send({"GET", "/1", {}, ""}));
  std::this_thread::sleep_for(300ms);
  auto response = client->send({"POST", "/2", {}, "not idempotent"});
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->body, "POST /2 not idempotent");
  EXPECT_EQ(client->connections_opened(), 2u);
}

TEST(Client, RetriesOnceOnAFreshConnectionWhenAReusedOneDiesBeforeAnswering) {
  // Connection 0 answers one request, then reads the next and closes without a word, as a
  // server does when its idle timeout races with a new request. Connection 1 answers.
  ScriptedServer scripted([](int index, int fd) {
    if (!ScriptedServer::read_request(fd)) return;
    ScriptedServer::write(
        fd, "HTTP/1.1 200 OK\r\nContent-Length: " + std::string(index == 0 ? "5" : "6") +
                "\r\n\r\n" + (index == 0 ? "first" : "second"));
    if (index == 0) ScriptedServer::read_request(fd);
  });
  auto client = make_client({.base_url = http_url(scripted.port())});
  auto first = client->send({"GET", "/", {}, ""});
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->body, "first");
  auto second = client->send({"GET", "/", {}, ""});
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->body, "second");
  EXPECT_EQ(client->connections_opened(), 2u);
}

TEST(Client, DoesNotRetryANonIdempotentRequestThatMayHaveBeenProcessed) {
  ScriptedServer scripted([](int index, int fd) {
    if (!ScriptedServer::read_request(fd)) return;
    if (index == 0) {
      ScriptedServer::write(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
      ScriptedServer::read_request(fd);
    }
  });
  auto client = make_client({.base_url = http_url(scripted.port())});
  ASSERT_TRUE(client->send({"GET", "/", {}, ""}));
  auto post = client->send({"POST", "/", {}, ""});
  ASSERT_FALSE(post);
  EXPECT_EQ(post.error().kind, Kind::kProtocol);
  EXPECT_EQ(client->connections_opened(), 1u);
}

TEST(Client, RequestTimeoutGivesTimeoutError) {
  std::vector<std::shared_ptr<Exchange>> kept;
  std::mutex mu;
  auto server = start_server({}, [&](std::shared_ptr<Exchange> ex) {
    std::lock_guard lock(mu);
    kept.push_back(std::move(ex));  // never answered
  });
  auto client = make_client({.base_url = http_url(server->port())});
  auto begin = std::chrono::steady_clock::now();
  auto response = client->send({"GET", "/", {}, ""}, 200ms);
  auto elapsed = std::chrono::steady_clock::now() - begin;
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().kind, Kind::kTimeout);
  EXPECT_GE(elapsed, 190ms);
  EXPECT_LT(elapsed, 2s);
}

TEST(Client, CancelAbortsASendInFlightPromptly) {
  std::vector<std::shared_ptr<Exchange>> kept;
  std::mutex mu;
  auto server = start_server({}, [&](std::shared_ptr<Exchange> ex) {
    std::lock_guard lock(mu);
    kept.push_back(std::move(ex));
  });
  auto client = make_client({.base_url = http_url(server->port())});
  auto cancel = std::make_shared<Cancellation>();
  std::thread canceller([&] {
    std::this_thread::sleep_for(100ms);
    cancel->cancel();
  });
  auto begin = std::chrono::steady_clock::now();
  auto response = client->send({"GET", "/", {}, ""}, 10s, cancel);
  canceller.join();
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().kind, Kind::kCancelled);
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 2s);
  // An already cancelled token fails at once.
  auto again = client->send({"GET", "/", {}, ""}, 10s, cancel);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, Kind::kCancelled);
}

TEST(Client, ServerSignedByAnotherCaGivesTlsError) {
  auto tls = testing::make_tls_material();
  auto other = create_certificate_authority("other", std::chrono::hours(1)).value();
  auto server = start_server({.tls = ServerTls{tls.server.cert_pem, tls.server.key_pem, ""}});
  auto client = make_client({.base_url = "https://127.0.0.1:" + std::to_string(server->port()),
                             .tls = ClientTls{.ca_pem = other.cert_pem}});
  auto response = client->send({"GET", "/", {}, ""});
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().kind, Kind::kTls);
  EXPECT_NE(response.error().message.find("certificate"), std::string::npos)
      << response.error().message;
}

TEST(Client, VerifiesTheHostNameOrIpAgainstTheSubjectAltNames) {
  auto tls = testing::make_tls_material();
  CertificateRequest only_name;
  only_name.dns_names = {"api.example"};
  auto named = issue_certificate(tls.ca, only_name).value();
  auto server = start_server({.tls = ServerTls{named.cert_pem, named.key_pem, ""}});
  std::string url = "https://127.0.0.1:" + std::to_string(server->port());

  auto by_ip = make_client({.base_url = url, .tls = ClientTls{.ca_pem = tls.ca.cert_pem}});
  auto refused = by_ip->send({"GET", "/", {}, ""});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, Kind::kTls);

  auto by_name = make_client(
      {.base_url = url, .tls = ClientTls{.ca_pem = tls.ca.cert_pem, .server_name = "api.example"}});
  auto accepted = by_name->send({"GET", "/", {}, ""});
  EXPECT_TRUE(accepted) << accepted.error().message;

  auto insecure = make_client({.base_url = url, .tls = ClientTls{.insecure_skip_verify = true}});
  EXPECT_TRUE(insecure->send({"GET", "/", {}, ""}));
}

TEST(Client, RefusedConnectionGivesConnectError) {
  uint16_t port;
  {
    auto server = start_server({});
    port = server->port();
  }
  auto client = make_client({.base_url = http_url(port)});
  auto response = client->send({"GET", "/", {}, ""});
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().kind, Kind::kConnect);
}

TEST(Client, ResponseLargerThanTheLimitGivesTooLarge) {
  auto server = start_server({}, [](std::shared_ptr<Exchange> ex) {
    ex->respond({200, {}, std::string(10000, 'x')});
  });
  auto client = make_client({.base_url = http_url(server->port()), .max_response_bytes = 1000});
  auto response = client->send({"GET", "/", {}, ""});
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().kind, Kind::kTooLarge);
}

TEST(Client, MalformedResponseGivesProtocolError) {
  ScriptedServer scripted([](int, int fd) {
    if (ScriptedServer::read_request(fd)) ScriptedServer::write(fd, "SMTP ready\r\n\r\n");
  });
  auto client = make_client({.base_url = http_url(scripted.port())});
  auto response = client->send({"GET", "/", {}, ""});
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().kind, Kind::kProtocol);
}

TEST(Client, CreateNamesWhatIsWrong) {
  auto no_scheme = Client::create({.base_url = "127.0.0.1:6443"});
  ASSERT_FALSE(no_scheme);
  EXPECT_NE(no_scheme.error().find("base URL"), std::string::npos);
  EXPECT_FALSE(Client::create({.base_url = "https://user@host/"}));
  EXPECT_FALSE(Client::create({.base_url = "http://host:99999"}));
  EXPECT_FALSE(Client::create({.base_url = "http://::1:80"}));
  EXPECT_TRUE(Client::create({.base_url = "http://[::1]:80/prefix"}));

  auto bad_cert =
      Client::create({.base_url = "https://127.0.0.1:1",
                      .tls = ClientTls{.ca_pem = testing::make_tls_material().ca.cert_pem,
                                       .client_cert_pem = "junk",
                                       .client_key_pem = "junk"}});
  ASSERT_FALSE(bad_cert);
  EXPECT_EQ(bad_cert.error().rfind("client certificate: ", 0), 0u) << bad_cert.error();

  auto bad_ca =
      Client::create({.base_url = "https://127.0.0.1:1", .tls = ClientTls{.ca_pem = "junk"}});
  ASSERT_FALSE(bad_ca);
  EXPECT_EQ(bad_ca.error().rfind("CA certificate: ", 0), 0u) << bad_ca.error();
}

TEST(Client, InvalidRequestTargetIsRefusedBeforeSending) {
  auto server = start_server({});
  auto client = make_client({.base_url = http_url(server->port())});
  auto response = client->send({"GET", "/a b\r\nX: y", {}, ""});
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().kind, Kind::kProtocol);
  EXPECT_EQ(client->connections_opened(), 0u);
}

TEST(ClientStream, CallbackReturningFalseStopsTheStream) {
  auto server = start_server({}, [](std::shared_ptr<Exchange> ex) {
    ex->start_stream(200, {});
    ex->write("one\n");  // and left open: the client has to stop it
  });
  auto client = make_client({.base_url = http_url(server->port())});
  int pieces = 0;
  auto result = client->stream(
      {"GET", "/watch", {}, ""}, [](int, const Headers&) { return true; },
      [&](std::string_view) {
        ++pieces;
        return false;
      },
      5s, nullptr);
  EXPECT_TRUE(result) << result.error().message;
  EXPECT_EQ(pieces, 1);
}

TEST(ClientStream, SilenceLongerThanTheIdleTimeoutGivesTimeout) {
  std::vector<std::shared_ptr<Exchange>> kept;
  std::mutex mu;
  auto server = start_server({}, [&](std::shared_ptr<Exchange> ex) {
    ex->start_stream(200, {});
    std::lock_guard lock(mu);
    kept.push_back(std::move(ex));
  });
  auto client = make_client({.base_url = http_url(server->port())});
  bool head = false;
  auto result = client->stream(
      {"GET", "/watch", {}, ""},
      [&](int status, const Headers&) {
        head = status == 200;
        return true;
      },
      [](std::string_view) { return true; }, 200ms, nullptr);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, Kind::kTimeout);
  EXPECT_TRUE(head);
}

TEST(ClientStream, ErrorStatusBodyGoesThroughOnData) {
  auto server = start_server({}, [](std::shared_ptr<Exchange> ex) {
    ex->respond({410, {}, R"({"kind":"Status","code":410})"});
  });
  auto client = make_client({.base_url = http_url(server->port())});
  int status = 0;
  std::string body;
  auto result = client->stream(
      {"GET", "/watch", {}, ""},
      [&](int s, const Headers&) {
        status = s;
        return true;
      },
      [&](std::string_view data) {
        body += data;
        return true;
      },
      5s, nullptr);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(status, 410);
  EXPECT_EQ(body, R"({"kind":"Status","code":410})");
}

TEST(ClientStream, LargeStreamArrivesWhileTheCallbackIsSlow) {
  // More than the client's backlog: the I/O thread has to wait for the callback.
  const std::string piece(256 * 1024, 'z');
  std::vector<std::thread> writers;
  std::mutex mu;
  auto server = start_server({}, [&](std::shared_ptr<Exchange> ex) {
    ex->start_stream(200, {});
    std::lock_guard lock(mu);
    writers.emplace_back([ex, &piece] {
      for (int i = 0; i < 16; ++i) {
        while (!ex->closed() && !ex->write(piece)) std::this_thread::sleep_for(1ms);
      }
      ex->finish();
    });
  });
  auto client = make_client({.base_url = http_url(server->port())});
  std::size_t received = 0;
  auto result = client->stream(
      {"GET", "/big", {}, ""}, nullptr,
      [&](std::string_view data) {
        received += data.size();
        std::this_thread::sleep_for(1ms);
        return true;
      },
      5s, nullptr);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(received, 16 * piece.size());
  for (auto& w : writers) w.join();
}

TEST(Cancellation, RunsSubscribersOnceAndLateSubscribersAtOnce) {
  Cancellation cancel;
  int calls = 0;
  auto id = cancel.subscribe([&] { ++calls; });
  auto removed = cancel.subscribe([&] { calls += 100; });
  cancel.unsubscribe(removed);
  EXPECT_NE(id, 0u);
  EXPECT_FALSE(cancel.cancelled());
  cancel.cancel();
  cancel.cancel();
  EXPECT_TRUE(cancel.cancelled());
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(cancel.subscribe([&] { ++calls; }), 0u);
  EXPECT_EQ(calls, 2);
}

}  // namespace
}  // namespace lambda::http
