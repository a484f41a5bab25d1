// Helpers for the admission webhook tests (test-only; no library code includes this): a real
// HTTPS webhook server on loopback whose certificate comes from its own CA, answering
// AdmissionReviews with whatever the test decides, and builders for webhook configurations and
// responses.
//
// Ownership: WebhookServer owns its http::Server; requests it holds unanswered (hang mode) are
// dropped when it stops. Thread-safety: the handler runs on the server's I/O thread; reviews()
// and the counters may be read from the test thread at any time.
#pragma once

#include <boost/json.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "common/http/http_server.h"
#include "common/http/tls.h"
#include "common/json_yaml.h"

namespace lambda::apiserver::testing {
namespace json = boost::json;

inline std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  auto byte = [&](std::size_t k) {
    return static_cast<unsigned>(static_cast<unsigned char>(in[k]));
  };
  for (; i + 2 < in.size(); i += 3) {
    unsigned n = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out += {kAlphabet[n >> 18], kAlphabet[(n >> 12) & 63], kAlphabet[(n >> 6) & 63],
            kAlphabet[n & 63]};
  }
  if (i + 1 == in.size()) {
    unsigned n = byte(i) << 16;
    out += {kAlphabet[n >> 18], kAlphabet[(n >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    unsigned n = (byte(i) << 16) | (byte(i + 1) << 8);
    out += {kAlphabet[n >> 18], kAlphabet[(n >> 12) & 63], kAlphabet[(n >> 6) & 63], '='};
  }
  return out;
}

// An AdmissionReview answer to `review` with these response fields (uid filled in).
inline http::Response review_response(const json::value& review, json::object response) {
  response["uid"] = review.at("request").at("uid");
  json::object body{{"apiVersion", "admission.k8s.io/v1"},
                    {"kind", "AdmissionReview"},
                    {"response", std::move(response)}};
  http::Response r;
  r.headers.emplace_back("Content-Type", "application/json");
  r.body = json::serialize(body);
  return r;
}

inline http::Response allow(const json::value& review) {
  return review_response(review, {{"allowed", true}});
}

inline http::Response deny(const json::value& review, const std::string& message, int code = 0) {
  json::object status{{"message", message}};
  if (code) status["code"] = code;
  return review_response(review, {{"allowed", false}, {"status", std::move(status)}});
}

inline http::Response patch_with(const json::value& review, const json::array& operations) {
  return review_response(review, {{"allowed", true},
                                  {"patchType", "JSONPatch"},
                                  {"patch", base64(json::serialize(operations))}});
}

class WebhookServer {
 public:
  // The answer for a request to `path` carrying `review`.
  using Responder = std::function<http::Response(const std::string& path, const json::value&)>;

  // A TLS server on 127.0.0.1 whose certificate also names `dns_names` (e.g. a service's
  // "name.namespace.svc").
  static std::unique_ptr<WebhookServer> start(Responder responder,
                                              std::vector<std::string> dns_names = {}) {
    auto server = std::unique_ptr<WebhookServer>(new WebhookServer());
    server->responder_ = std::move(responder);
    server->ca_ = http::create_certificate_authority("webhook-ca", std::chrono::hours(24)).value();
    http::CertificateRequest req;
    req.common_name = "webhook";
    req.dns_names = {"localhost"};
    for (auto& d : dns_names) req.dns_names.push_back(std::move(d));
    req.ip_addresses = {"127.0.0.1"};
    auto cert = http::issue_certificate(server->ca_, req).value();
    http::ServerOptions options;
    options.tls = http::ServerTls{cert.cert_pem, cert.key_pem, ""};
    WebhookServer* raw = server.get();
    server->server_ = http::Server::start(options, [raw](std::shared_ptr<http::Exchange> ex) {
                        raw->handle(ex);
                      }).value();
    server->port_ = server->server_->port();
    return server;
  }

  ~WebhookServer() { stop(); }

  // Afterwards nothing listens on the port: connections are refused.
  void stop() {
    if (server_) server_->stop(std::chrono::milliseconds(0));
    server_.reset();
  }

  std::string url(const std::string& path = "/") const { return base_url() + path; }
  std::string base_url() const { return "https://127.0.0.1:" + std::to_string(port_); }
  std::string ca_bundle() const { return base64(ca_.cert_pem); }

  // Requests are then kept unanswered, as by a webhook that hangs.
  void hang() {
    std::lock_guard lock(mutex_);
    hang_ = true;
  }

  std::vector<json::value> reviews() const {
    std::lock_guard lock(mutex_);
    return reviews_;
  }
  std::size_t calls() const {
    std::lock_guard lock(mutex_);
    return reviews_.size();
  }
  std::vector<std::string> paths() const {
    std::lock_guard lock(mutex_);
    return paths_;
  }
  std::size_t distinct_peers() const {
    std::lock_guard lock(mutex_);
    return peers_.size();
  }
  std::string last_target() const {
    std::lock_guard lock(mutex_);
    return last_target_;
  }

 private:
  WebhookServer() = default;

  void handle(const std::shared_ptr<http::Exchange>& exchange) {
    const auto& req = exchange->request();
    auto target = http::split_target(req.target);
    auto parsed = common::parse_json(req.body);
    json::value review = parsed ? std::move(*parsed) : json::value();
    {
      std::lock_guard lock(mutex_);
      reviews_.push_back(review);
      paths_.push_back(target.path);
      peers_.insert(exchange->remote_address());
      last_target_ = req.target;
      if (hang_) {
        held_.push_back(exchange);
        return;
      }
    }
    exchange->respond(responder_(target.path, review));
  }

  Responder responder_;
  http::CertificateAuthority ca_;
  std::unique_ptr<http::Server> server_;
  std::uint16_t port_ = 0;
  mutable std::mutex mutex_;
  bool hang_ = false;
  std::vector<json::value> reviews_;
  std::vector<std::string> paths_;
  std::set<std::string> peers_;
  std::string last_target_;
  std::vector<std::shared_ptr<http::Exchange>> held_;
};

// A webhook entry of a configuration, calling `url`, with every operation on ConfigMaps by
// default; `extra` members replace or add fields.
inline json::object webhook(const std::string& name, const std::string& url,
                            const std::string& ca_bundle, json::object extra = {}) {
  json::object w{
      {"name", name},
      {"clientConfig", {{"url", url}, {"caBundle", ca_bundle}}},
      {"rules", json::array{json::object{{"operations", json::array{"CREATE", "UPDATE", "DELETE"}},
                                         {"apiGroups", json::array{""}},
                                         {"apiVersions", json::array{"v1"}},
                                         {"resources", json::array{"configmaps"}}}}},
      {"sideEffects", "None"},
      {"admissionReviewVersions", json::array{"v1"}},
  };
  for (auto& [k, v] : extra) w[k] = v;
  return w;
}

inline json::value webhook_configuration(const std::string& kind, const std::string& name,
                                         json::array webhooks) {
  return json::object{{"apiVersion", "admissionregistration.k8s.io/v1"},
                      {"kind", kind},
                      {"metadata", {{"name", name}}},
                      {"webhooks", std::move(webhooks)}};
}

}  // namespace lambda::apiserver::testing
