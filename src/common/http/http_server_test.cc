#include "common/http/http_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "common/http/http_client.h"
#include "common/http/http_test_util.h"

// g++ 12 warns about members left out of a designated initializer even when they have default
// member initializers; the options structs are meant to be written that way.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace lambda::http {
namespace {

using namespace std::chrono_literals;
using testing::RawConnection;

// Answers every request with its method, target and body, and an X-Peer header when a client
// certificate identified the caller.
void echo(std::shared_ptr<Exchange> ex) {
  const Request& r = ex->request();
  Response response{
      200, {{"Content-Type", "text/plain"}}, r.method + " " + r.target + " " + r.body};
  if (ex->peer()) response.headers.emplace_back("X-Peer", ex->peer()->common_name);
  ex->respond(std::move(response));
}

std::unique_ptr<Server> start_server(ServerOptions options, Handler handler = echo) {
  auto server = Server::start(std::move(options), std::move(handler));
  EXPECT_TRUE(server) << server.error();
  return server ? std::move(*server) : nullptr;
}

std::unique_ptr<Client> plain_client(uint16_t port) {
  return Client::create({.base_url = "http://127.0.0.1:" + std::to_string(port)}).value();
}

// Keeps exchanges a test answers later, and the threads that answer them.
struct Pending {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::shared_ptr<Exchange>> exchanges;

  Handler handler() {
    return [this](std::shared_ptr<Exchange> ex) {
      std::lock_guard lock(mu);
      exchanges.push_back(std::move(ex));
      cv.notify_all();
    };
  }
  std::shared_ptr<Exchange> wait(std::size_t index = 0) {
    std::unique_lock lock(mu);
    if (!cv.wait_for(lock, 5s, [&] { return exchanges.size() > index; })) return nullptr;
    return exchanges[index];
  }
};

// A promise that on_close fulfils, to measure how promptly it runs.
std::future<void> closed_future(Exchange& ex) {
  auto promise = std::make_shared<std::promise<void>>();
  ex.on_close([promise] { promise->set_value(); });
  return promise->get_future();
}

TEST(Server, RoundTripsRequestAndResponseOverPlainHttp) {
  auto server = start_server({});
  auto client = plain_client(server->port());
  auto response = client->send({"POST", "/api/v1/pods?limit=5", {{"X-Test", "1"}}, "hello"});
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "POST /api/v1/pods?limit=5 hello");
  EXPECT_EQ(find_header(response->headers, "content-length"), "31");
}

TEST(Server, RoundTripsOverTlsWithTheCaInTheClient) {
  auto tls = testing::make_tls_material();
  auto server = start_server({.tls = ServerTls{tls.server.cert_pem, tls.server.key_pem, ""}});
  auto client = Client::create({.base_url = "https://127.0.0.1:" + std::to_string(server->port()),
                                .tls = ClientTls{.ca_pem = tls.ca.cert_pem}})
                    .value();
  auto response = client->send({"GET", "/healthz", {}, ""});
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->body, "GET /healthz ");
}

TEST(Server, HeadAnswerCarriesContentLengthButNoBody) {
  auto server = start_server({});
  RawConnection raw(server->port());
  ASSERT_TRUE(raw.send("HEAD /x HTTP/1.1\r\nHost: a\r\n\r\n"));
  std::string head = raw.read_until("\r\n\r\n");
  EXPECT_NE(head.find("Content-Length: 8\r\n"), std::string::npos) << head;
  // The next answer on the connection starts right after the header: no body was sent.
  ASSERT_TRUE(raw.send("GET /y HTTP/1.1\r\nHost: a\r\n\r\n"));
  std::string rest = head.substr(head.find("\r\n\r\n") + 4) + raw.read_until("GET /y ");
  EXPECT_EQ(rest.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << rest;
}

TEST(Server, AnswersExpectContinueBeforeTheBodyIsSent) {
  auto server = start_server({});
  RawConnection raw(server->port());
  ASSERT_TRUE(
      raw.send("PUT /u HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"));
  EXPECT_EQ(raw.read_until("\r\n\r\n"), "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_TRUE(raw.send("data"));
  EXPECT_NE(raw.read_until("PUT /u data").find("PUT /u data"), std::string::npos);
}

TEST(Server, AnswersPipelinedRequestsOneAfterAnotherInOrder) {
  auto server = start_server({});
  RawConnection raw(server->port());
  ASSERT_TRUE(raw.send("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n"));
  std::string both = raw.read_until("GET /2 ");
  auto first = both.find("GET /1 ");
  auto second = both.find("GET /2 ");
  ASSERT_NE(first, std::string::npos) << both;
  ASSERT_NE(second, std::string::npos) << both;
  EXPECT_LT(first, second);
}

TEST(Server, DecodesChunkedRequestBodies) {
  auto server = start_server({});
  RawConnection raw(server->port());
  ASSERT_TRUE(
      raw.send("POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
               "chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"));
  EXPECT_NE(raw.read_until("abcde").find("POST /c abcde"), std::string::npos);
}

TEST(Server, RejectsBodyOverTheLimitWith413) {
  auto server = start_server({.max_body_bytes = 1024});
  auto client = plain_client(server->port());
  auto response = client->send({"POST", "/big", {}, std::string(4096, 'x')});
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 413);
  EXPECT_FALSE(response->body.empty());
  auto fits = client->send({"POST", "/small", {}, std::string(1024, 'x')});
  ASSERT_TRUE(fits) << fits.error().message;
  EXPECT_EQ(fits->status, 200);
}

TEST(Server, RejectsChunkedBodyThatGrowsPastTheLimitWith413) {
  auto server = start_server({.max_body_bytes = 10});
  RawConnection raw(server->port());
  ASSERT_TRUE(
      raw.send("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
               "chunked\r\n\r\n8\r\n12345678\r\n8\r\n12345678\r\n"));
  std::string answer;
  EXPECT_TRUE(raw.wait_closed(3s, &answer));
  EXPECT_EQ(answer.rfind("HTTP/1.1 413 ", 0), 0u) << answer;
}

TEST(Server, RejectsMalformedRequestWith400AndCloses) {
  auto server = start_server({});
  RawConnection raw(server->port());
  ASSERT_TRUE(raw.send("NOT HTTP AT ALL\r\n\r\n"));
  std::string answer;
  EXPECT_TRUE(raw.wait_closed(3s, &answer));
  EXPECT_EQ(answer.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << answer;
  EXPECT_NE(answer.find("Connection: close"), std::string::npos);
}

TEST(Server, RejectsHeaderOverTheLimitWith431) {
  auto server = start_server({.max_header_bytes = 1024});
  RawConnection raw(server->port());
  ASSERT_TRUE(raw.send("GET / HTTP/1.1\r\nX-Big: " + std::string(2048, 'a') + "\r\n\r\n"));
  std::string answer;
  EXPECT_TRUE(raw.wait_closed(3s, &answer));
  EXPECT_EQ(answer.rfind("HTTP/1.1 431 ", 0), 0u) << answer;
}

TEST(Server, ClosesConnectionWhoseHeaderDoesNotArriveInTime) {
  auto server = start_server({.header_timeout = 200ms});
  RawConnection raw(server->port());
  ASSERT_TRUE(raw.send("GET / HTTP/1.1\r\nHost: a\r\n"));  // and then nothing
  auto begin = std::chrono::steady_clock::now();
  EXPECT_TRUE(raw.wait_closed(3s));
  auto elapsed = std::chrono::steady_clock::now() - begin;
  EXPECT_GE(elapsed, 150ms);
  EXPECT_LT(elapsed, 2s);
}

TEST(Server, ClosesKeepAliveConnectionIdleForTooLong) {
  auto server = start_server({.idle_timeout = 200ms});
  RawConnection raw(server->port());
  ASSERT_TRUE(raw.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
  EXPECT_NE(raw.read_until("GET / ").find("200 OK"), std::string::npos);
  auto begin = std::chrono::steady_clock::now();
  EXPECT_TRUE(raw.wait_closed(3s));
  EXPECT_GE(std::chrono::steady_clock::now() - begin, 150ms);
}

TEST(Server, HandlerExceptionBecomes500) {
  auto server = start_server({}, [](std::shared_ptr<Exchange>) { throw std::runtime_error("x"); });
  auto response = plain_client(server->port())->send({"GET", "/", {}, ""});
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 500);
}

TEST(Server, HeaderValuesThatWouldSplitTheResponseAreDropped) {
  auto server = start_server({}, [](std::shared_ptr<Exchange> ex) {
    ex->respond({200, {{"X-Good", "yes"}, {"X-Bad", "a\r\nX-Injected: 1"}}, "ok"});
  });
  auto response = plain_client(server->port())->send({"GET", "/", {}, ""});
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(find_header(response->headers, "X-Good"), "yes");
  EXPECT_FALSE(find_header(response->headers, "X-Injected"));
  EXPECT_FALSE(find_header(response->headers, "X-Bad"));
}

TEST(Server, AnswersGivenLaterFromAnotherThreadAreDelivered) {
  Pending pending;
  auto server = start_server({}, pending.handler());
  auto client = plain_client(server->port());
  std::thread answerer([&] {
    auto ex = pending.wait();
    ASSERT_TRUE(ex);
    std::this_thread::sleep_for(20ms);
    EXPECT_TRUE(ex->respond({201, {}, "later"}));
    EXPECT_FALSE(ex->respond({200, {}, "twice"}));
  });
  auto response = client->send({"GET", "/", {}, ""});
  answerer.join();
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->body, "later");
}

TEST(Server, StreamOfThousandChunksFromAnotherThreadArrivesCompleteAndInOrder) {
  std::vector<std::thread> writers;
  std::mutex writers_mu;
  auto server = start_server({}, [&](std::shared_ptr<Exchange> ex) {
    ASSERT_TRUE(ex->start_stream(200, {{"Content-Type", "application/json"}}));
    std::lock_guard lock(writers_mu);
    writers.emplace_back([ex] {
      for (int i = 0; i < 1000; ++i) ASSERT_TRUE(ex->write(std::to_string(i) + "\n"));
      ex->finish();
    });
  });
  auto client = plain_client(server->port());
  std::string body;
  int status = 0;
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
  EXPECT_EQ(status, 200);
  std::string expected;
  for (int i = 0; i < 1000; ++i) expected += std::to_string(i) + "\n";
  EXPECT_EQ(body, expected);
  // The connection serves the next request after the stream: keep-alive holds.
  auto next = client->send({"GET", "/after", {}, ""});
  EXPECT_TRUE(next);
  EXPECT_EQ(client->connections_opened(), 1u);
  for (auto& w : writers) w.join();
}

TEST(Server, StreamOverTlsArrivesCompleteWhileTheServerWatchesForDisconnects) {
  // Over TLS the pending read that watches for the client leaving shares the TLS stream with the
  // writes of the chunks.
  auto tls = testing::make_tls_material();
  std::vector<std::thread> writers;
  std::mutex writers_mu;
  auto server = start_server({.tls = ServerTls{tls.server.cert_pem, tls.server.key_pem, ""}},
                             [&](std::shared_ptr<Exchange> ex) {
                               ex->start_stream(200, {});
                               std::lock_guard lock(writers_mu);
                               writers.emplace_back([ex] {
                                 for (int i = 0; i < 1000; ++i) ex->write(std::to_string(i) + ",");
                                 ex->finish();
                               });
                             });
  auto client = Client::create({.base_url = "https://localhost:" + std::to_string(server->port()),
                                .tls = ClientTls{.ca_pem = tls.ca.cert_pem}})
                    .value();
  std::string body;
  auto result = client->stream(
      {"GET", "/watch", {}, ""}, nullptr,
      [&](std::string_view data) {
        body += data;
        return true;
      },
      5s, nullptr);
  ASSERT_TRUE(result) << result.error().message;
  std::string expected;
  for (int i = 0; i < 1000; ++i) expected += std::to_string(i) + ",";
  EXPECT_EQ(body, expected);
  for (auto& w : writers) w.join();
}

TEST(Server, ClientCancellingAStreamFiresOnClosePromptly) {
  Pending pending;
  auto server = start_server({}, [&](std::shared_ptr<Exchange> ex) {
    ex->start_stream(200, {});
    ex->write("first\n");
    pending.handler()(ex);
  });
  auto client = plain_client(server->port());
  auto cancel = std::make_shared<Cancellation>();
  std::future<void> closed;
  auto result = client->stream(
      {"GET", "/watch", {}, ""}, nullptr,
      [&](std::string_view) {
        auto ex = pending.wait();
        closed = closed_future(*ex);
        cancel->cancel();
        return true;
      },
      std::nullopt, cancel);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ClientError::Kind::kCancelled);
  ASSERT_TRUE(closed.valid());
  EXPECT_EQ(closed.wait_for(2s), std::future_status::ready);
  EXPECT_TRUE(pending.wait()->closed());
  EXPECT_FALSE(pending.wait()->write("more"));
}

TEST(Server, ClientLeavingWhileHandlerWorksFiresOnClose) {
  Pending pending;
  auto server = start_server({}, pending.handler());
  std::future<void> closed;
  {
    RawConnection raw(server->port());
    ASSERT_TRUE(raw.send("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n"));
    auto ex = pending.wait();
    ASSERT_TRUE(ex);
    closed = closed_future(*ex);
  }
  EXPECT_EQ(closed.wait_for(2s), std::future_status::ready);
  EXPECT_FALSE(pending.wait()->respond({200, {}, "too late"}));
}

TEST(Server, StopClosesOpenStreamsAndFiresTheirOnClose) {
  Pending pending;
  auto server = start_server({}, [&](std::shared_ptr<Exchange> ex) {
    ex->start_stream(200, {});
    ex->write("x");
    pending.handler()(ex);
  });
  auto client = plain_client(server->port());
  std::thread watcher([&] {
    auto result = client->stream({"GET", "/watch", {}, ""}, nullptr, nullptr, 5s, nullptr);
    EXPECT_FALSE(result);  // the body ended without its last chunk
  });
  auto ex = pending.wait();
  ASSERT_TRUE(ex);
  auto closed = closed_future(*ex);
  auto begin = std::chrono::steady_clock::now();
  server->stop(5s);
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 2s);  // streams do not wait for grace
  EXPECT_EQ(closed.wait_for(0s), std::future_status::ready);
  watcher.join();
}

TEST(Server, StopLetsARequestInFlightBeAnsweredWithinGrace) {
  Pending pending;
  auto server = start_server({}, pending.handler());
  auto client = plain_client(server->port());
  std::future<tl::expected<Response, ClientError>> response = std::async(std::launch::async, [&] {
    return client->send({"GET", "/", {}, ""});
  });
  auto ex = pending.wait();
  ASSERT_TRUE(ex);
  std::thread answerer([ex] {
    std::this_thread::sleep_for(100ms);
    ex->respond({200, {}, "in time"});
  });
  server->stop(3s);
  answerer.join();
  auto r = response.get();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->body, "in time");
}

TEST(Server, StopAfterGraceClosesUnansweredRequests) {
  Pending pending;
  auto server = start_server({}, pending.handler());
  auto client = plain_client(server->port());
  auto response = std::async(std::launch::async, [&] {
    return client->send({"GET", "/", {}, ""});
  });
  auto ex = pending.wait();
  ASSERT_TRUE(ex);
  auto closed = closed_future(*ex);
  server->stop(100ms);
  EXPECT_EQ(closed.wait_for(0s), std::future_status::ready);
  EXPECT_FALSE(response.get());
  EXPECT_FALSE(ex->respond({200, {}, "after stop"}));
}

TEST(Server, WriteFailsOnceASlowReadersQueuePassesTheLimit) {
  Pending pending;
  auto server =
      start_server({.max_stream_buffer_bytes = 256 * 1024}, [&](std::shared_ptr<Exchange> ex) {
        ex->start_stream(200, {});
        pending.handler()(ex);
      });
  RawConnection raw(server->port(), /*receive_buffer=*/4096);
  ASSERT_TRUE(raw.send("GET /watch HTTP/1.1\r\nHost: a\r\n\r\n"));  // and never read
  auto ex = pending.wait();
  ASSERT_TRUE(ex);
  auto closed = closed_future(*ex);
  const std::string piece(64 * 1024, 'x');
  std::size_t accepted = 0;
  while (accepted < (256u << 20) && ex->write(piece)) accepted += piece.size();
  EXPECT_LT(accepted, 256u << 20) << "write never refused";
  EXPECT_FALSE(ex->write("more"));
  EXPECT_EQ(closed.wait_for(2s), std::future_status::ready);
}

TEST(Server, VerifiedClientCertificateBecomesThePeerIdentity) {
  auto tls = testing::make_tls_material();
  CertificateRequest alice;
  alice.common_name = "alice";
  alice.organizations = {"system:masters", "devs"};
  alice.server_auth = false;
  alice.client_auth = true;
  auto alice_cert = issue_certificate(tls.ca, alice).value();
  std::optional<PeerIdentity> seen;
  std::mutex mu;
  auto server =
      start_server({.tls = ServerTls{tls.server.cert_pem, tls.server.key_pem, tls.ca.cert_pem}},
                   [&](std::shared_ptr<Exchange> ex) {
                     std::lock_guard lock(mu);
                     seen = ex->peer();
                     ex->respond({200, {}, "ok"});
                   });
  std::string url = "https://127.0.0.1:" + std::to_string(server->port());
  auto with_cert = Client::create({.base_url = url,
                                   .tls = ClientTls{.ca_pem = tls.ca.cert_pem,
                                                    .client_cert_pem = alice_cert.cert_pem,
                                                    .client_key_pem = alice_cert.key_pem}})
                       .value();
  ASSERT_TRUE(with_cert->send({"GET", "/", {}, ""}));
  {
    std::lock_guard lock(mu);
    ASSERT_TRUE(seen);
    EXPECT_EQ(seen->common_name, "alice");
    EXPECT_EQ(seen->organizations, (std::vector<std::string>{"system:masters", "devs"}));
  }

  auto without = Client::create({.base_url = url, .tls = ClientTls{.ca_pem = tls.ca.cert_pem}});
  ASSERT_TRUE((*without)->send({"GET", "/", {}, ""}));
  {
    std::lock_guard lock(mu);
    EXPECT_FALSE(seen);
  }

  // A certificate from another CA is not an identity (but does not fail the handshake).
  auto stranger_ca = create_certificate_authority("stranger", std::chrono::hours(1)).value();
  auto mallory = issue_certificate(stranger_ca, alice).value();
  auto forged = Client::create({.base_url = url,
                                .tls = ClientTls{.ca_pem = tls.ca.cert_pem,
                                                 .client_cert_pem = mallory.cert_pem,
                                                 .client_key_pem = mallory.key_pem}});
  auto response = (*forged)->send({"GET", "/", {}, ""});
  ASSERT_TRUE(response) << response.error().message;
  std::lock_guard lock(mu);
  EXPECT_FALSE(seen);
}

TEST(Server, CurlFetchesTheBodyOverTlsTrustingTheCa) {
  if (!testing::have_program("curl")) GTEST_SKIP() << "curl is not installed";
  auto tls = testing::make_tls_material();
  auto server = start_server({.tls = ServerTls{tls.server.cert_pem, tls.server.key_pem, ""}});
  testing::TempFile ca(tls.ca.cert_pem);
  std::string out =
      testing::run_command("curl -sS --max-time 10 --cacert " + ca.path() +
                           " https://127.0.0.1:" + std::to_string(server->port()) + "/from-curl");
  EXPECT_EQ(out, "GET /from-curl ");
}

TEST(Server, SelectsAlpnHttp11WhenTheClientAlsoOffersH2) {
  if (!testing::have_program("openssl")) GTEST_SKIP() << "openssl is not installed";
  auto tls = testing::make_tls_material();
  auto server = start_server({.tls = ServerTls{tls.server.cert_pem, tls.server.key_pem, ""}});
  testing::TempFile ca(tls.ca.cert_pem);
  std::string out = testing::run_command(
      "timeout 10 openssl s_client -connect 127.0.0.1:" + std::to_string(server->port()) +
      " -alpn h2,http/1.1 -CAfile " + ca.path() + " </dev/null");
  EXPECT_NE(out.find("ALPN protocol: http/1.1"), std::string::npos) << out;
  EXPECT_NE(out.find("Verify return code: 0 (ok)"), std::string::npos) << out;
}

TEST(Server, StartReportsUnusableCertificateAndBusyPort) {
  auto bad = Server::start({.tls = ServerTls{"not a pem", "nor this", ""}}, echo);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("server certificate"), std::string::npos) << bad.error();

  auto first = start_server({});
  auto busy = Server::start({.port = first->port()}, echo);
  ASSERT_FALSE(busy);
  EXPECT_NE(busy.error().find("listen on 127.0.0.1:"), std::string::npos) << busy.error();

  EXPECT_FALSE(Server::start({.address = "not-an-ip"}, echo));
}

}  // namespace
}  // namespace lambda::http
