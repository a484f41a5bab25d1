// libFuzzer target for the embedded API server's request handling, end to end over HTTP: routing
// of paths, query parameters, content negotiation, body decoding, patches, server-side apply,
// deletes with preconditions, lists with selectors and pagination, watches, OpenAPI.
//
// One ApiServer (plain HTTP on loopback, in memory) runs per process, with the LambdaAgent CRD
// and a few objects; it is replaced by a fresh one every kRequestsPerServer inputs so that state
// (objects, namespaces being deleted, a deleted CRD) does not pile up. Each input is one request;
// the only promises checked are the server's own: every request gets an answer (any status), and
// the server stays healthy (/healthz, and a read through the store, every kHealthCheckEvery
// inputs). Answers with a 5xx status are not failures but are printed (the first few of each
// kind), for a human to judge.
//
// Input format, line by line ("$c" picks entry c of a table below, c in 0-9a-z, modulo its size):
//   METHOD           a token ("GET", "BREW"), or "$c" from kMethods
//   PATH             "$c" expands to a known prefix or segment; bytes a request target cannot
//                    carry (controls, space, '?', '#', DEL) are percent-encoded, the rest
//                    (including
//                    '%', so broken escapes too) are sent as written; a leading '/' is added
//   QUERY            name=value pairs joined by '&'; a name "$c" is a known parameter name;
//                    names and values encoded as in PATH ('?' kept)
//   CONTENT-TYPE     "$c" from kContentTypes, empty for none, or the line as written
//   HEADER...        "Name: value" lines, or "$c" from kHeaders, up to an empty line
//   BODY             the rest, as is
// For example:
//   PATCH
//   $1
//   fieldManager=fuzz&force=true
//   $4
//
//   {"apiVersion":"lambda.knative.io/v1alpha1","kind":"LambdaAgent","metadata":{"name":"a"}}
//
// Watches are kept short: a GET or HEAD the server reads as a watch gets timeoutSeconds 0 or 1
// in place of any the input had (the server's default watch timeout is one second too), and the
// client stops reading after the response head.
//
// Built with -fsanitize=fuzzer by fuzz/CMakeLists.txt; fuzz/replay_main.cc replays a corpus
// through the same function in ordinary builds (test/fuzz_replay.cmake).
#include <array>
#include <boost/json.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/crd.h"
#include "apiserver/api_server.h"
#include "common/http/http.h"
#include "common/http/http_client.h"

namespace {

namespace json = boost::json;
using namespace lambda;

constexpr std::size_t kRequestsPerServer = 2000;
constexpr std::size_t kHealthCheckEvery = 100;
constexpr std::chrono::milliseconds kRequestTimeout{10000};
constexpr std::size_t kMaxReportedServerErrors = 20;

constexpr std::array<std::string_view, 12> kMethods = {"GET",   "HEAD",   "POST",     "PUT",
                                                       "PATCH", "DELETE", "OPTIONS",  "TRACE",
                                                       "get",   "BREW",   "PROPFIND", "CONNECT"};

constexpr std::array<std::string_view, 36> kPathPieces = {
    "api/v1/namespaces/default/configmaps/x",
    "apis/lambda.knative.io/v1alpha1/namespaces/default/lambdaagents/a",
    "status",
    "openapi/v3",
    "api/v1/namespaces/default/services/s",
    "api/v1/namespaces/default/secrets/t",
    "apis/apiextensions.k8s.io/v1/customresourcedefinitions/lambdaagents.lambda.knative.io",
    "api/v1/namespaces/default",
    "api/v1/namespaces",
    "apis/lambda.knative.io/v1alpha1",
    "api/v1/namespaces/default/configmaps",
    "apis/lambda.knative.io/v1alpha1/namespaces/default/lambdaagents",
    "apis/lambda.knative.io/v1alpha1/lambdaagents",
    "apis/coordination.k8s.io/v1/namespaces/default/leases",
    "api/v1/namespaces/default/events",
    "api/v1/namespaces/default/serviceaccounts",
    "apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations",
    "openapi/v3/apis/lambda.knative.io/v1alpha1",
    "openapi/v3/api/v1",
    "finalize",
    "api/v1/configmaps",
    "apis",
    "api",
    "version",
    "healthz",
    "metrics",
    "api/v1/namespaces/kube-system",
    "apis/apiextensions.k8s.io/v1/customresourcedefinitions",
    "api/v1/namespaces/default/services",
    "api/v1/namespaces/default/secrets",
    "%2F",
    "%00",
    "..",
    "namespaces",
    "apis/apiextensions.k8s.io/v1",
    "apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations",
};

constexpr std::array<std::string_view, 21> kQueryNames = {
    "labelSelector",  "fieldSelector",       "limit",
    "continue",       "resourceVersion",     "watch",
    "timeoutSeconds", "fieldManager",        "force",
    "dryRun",         "propagationPolicy",   "fieldValidation",
    "includeObject",  "allowWatchBookmarks", "resourceVersionMatch",
    "hash",           "gracePeriodSeconds",  "orphanDependents",
    "verbose",        "sendInitialEvents",   "pretty",
};

constexpr std::array<std::string_view, 10> kContentTypes = {
    "application/json",
    "application/merge-patch+json",
    "application/json-patch+json",
    "application/strategic-merge-patch+json",
    "application/apply-patch+yaml",
    "application/yaml",
    "application/json; charset=utf-8",
    "application/vnd.kubernetes.protobuf",
    "text/plain",
    "application/apply-patch+json",
};

constexpr std::array<std::pair<std::string_view, std::string_view>, 8> kHeaders = {{
    {"Accept", "application/json;as=Table;v=v1;g=meta.k8s.io"},
    {"Accept", "application/json;as=Table;v=v1;g=meta.k8s.io, application/json"},
    {"Accept", "application/yaml"},
    {"Accept", "application/vnd.kubernetes.protobuf"},
    {"Accept", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"},
    {"Authorization", "Bearer not-the-token"},
    {"If-None-Match", "\"0\""},
    {"User-Agent", "kubectl/v1.32.0 (linux/amd64) kubernetes/fuzz"},
}};

// Headers the client frames the request with: an input setting them would only break the
// framing on the client's side.
constexpr std::array<std::string_view, 9> kReservedHeaders = {
    "host", "content-length", "transfer-encoding", "connection", "expect", "upgrade",
    "te",   "trailer",        "keep-alive"};

[[noreturn]] void fail(std::string_view what, std::string_view detail) {
  std::fprintf(stderr, "apiserver_request_fuzz: %.*s\n%.*s\n", static_cast<int>(what.size()),
               what.data(), static_cast<int>(detail.size()), detail.data());
  std::fflush(stderr);
  std::abort();
}

// "$c" -> the index c names (0-9, then a-z); nullopt when `text` is no such reference.
std::optional<std::size_t> reference(std::string_view text) {
  if (text.size() != 2 || text[0] != '$') return std::nullopt;
  const char c = text[1];
  if (c >= '0' && c <= '9') return static_cast<std::size_t>(c - '0');
  if (c >= 'a' && c <= 'z') return static_cast<std::size_t>(c - 'a') + 10;
  return std::nullopt;
}

template <class T, std::size_t N>
std::optional<T> pick(std::string_view text, const std::array<T, N>& table) {
  if (auto index = reference(text)) return table[*index % N];
  return std::nullopt;
}

bool is_token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text)
    if (!is_token_char(c)) return false;
  return true;
}

void append_escaped(std::string& out, unsigned char c) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out.push_back('%');
  out.push_back(kHex[c >> 4]);
  out.push_back(kHex[c & 15]);
}

// Bytes a request target cannot carry are escaped; `also` names more ('?' in a path).
std::string encode_target_part(std::string_view text, std::string_view also) {
  std::string out;
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7f || ch == '#' || also.find(ch) != std::string_view::npos)
      append_escaped(out, c);
    else
      out.push_back(ch);
  }
  return out;
}

// "$c" pieces expand to known ones; the text between them is encoded.
std::string build_path(std::string_view line) {
  std::string out;
  std::size_t literal_start = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] != '$' || i + 1 >= line.size()) continue;
    if (auto piece = pick(line.substr(i, 2), kPathPieces)) {
      out += encode_target_part(line.substr(literal_start, i - literal_start), "?");
      out += *piece;
      ++i;
      literal_start = i + 1;
    }
  }
  out += encode_target_part(line.substr(literal_start), "?");
  if (out.empty() || out.front() != '/') out.insert(out.begin(), '/');
  return out;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  for (;;) {
    const auto at = text.find(separator);
    parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return parts;
    text.remove_prefix(at + 1);
  }
}

std::string build_query(std::string_view line) {
  if (line.empty()) return {};
  std::string out;
  for (std::string_view pair : split(line, '&')) {
    if (!out.empty()) out.push_back('&');
    const auto eq = pair.find('=');
    const std::string_view name = pair.substr(0, eq);
    if (auto known = pick(name, kQueryNames))
      out += *known;
    else
      out += encode_target_part(name, "");
    if (eq != std::string_view::npos) {
      out.push_back('=');
      out += encode_target_part(pair.substr(eq + 1), "");
    }
  }
  return out;
}

// A watch the server would hold open gets a short timeoutSeconds, whatever the input asked for.
std::string bound_watch(std::string_view method, std::string query) {
  if (method != "GET" && method != "HEAD") return query;
  const auto watch = http::query_value(query, "watch");
  if (!watch || (*watch != "true" && *watch != "1")) return query;
  const bool zero = http::query_value(query, "timeoutSeconds") == std::optional<std::string>("0");
  std::string out;
  for (std::string_view pair : split(query, '&')) {
    if (http::query_value(pair, "timeoutSeconds")) continue;
    out += pair;
    out.push_back('&');
  }
  out += zero ? "timeoutSeconds=0" : "timeoutSeconds=1";
  return out;
}

std::string header_value(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  std::string out;
  for (char c : text)
    if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) out.push_back(c);
  return out;
}

bool is_reserved_header(std::string_view name) {
  for (std::string_view reserved : kReservedHeaders) {
    if (name.size() != reserved.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < name.size() && same; ++i) same = (name[i] | 0x20) == reserved[i];
    if (same) return true;
  }
  return false;
}

struct Decoded {
  http::Request request;
  bool watch = false;
};

Decoded decode_request(std::string_view text, const std::string& token) {
  // One line at a time; a missing line is an empty one.
  auto next_line = [&text]() {
    const auto eol = text.find('\n');
    const std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    return line;
  };
  Decoded out;
  http::Request& request = out.request;

  const std::string_view method_line = next_line();
  if (auto known = pick(method_line, kMethods))
    request.method = *known;
  else if (is_token(method_line) && method_line.size() <= 24)
    request.method = method_line;
  else
    request.method = kMethods[method_line.size() % kMethods.size()];

  const std::string path = build_path(next_line());
  const std::string query = bound_watch(request.method, build_query(next_line()));
  request.target = query.empty() ? path : path + "?" + query;
  {
    const auto watch = http::query_value(query, "watch");
    out.watch = (request.method == "GET" || request.method == "HEAD") && watch &&
                (*watch == "true" || *watch == "1");
  }

  request.headers.emplace_back("Authorization", "Bearer " + token);
  const std::string_view content_type = next_line();
  if (auto known = pick(content_type, kContentTypes))
    request.headers.emplace_back("Content-Type", std::string(*known));
  else if (!content_type.empty())
    request.headers.emplace_back("Content-Type", header_value(content_type));

  for (std::string_view line = next_line(); !line.empty(); line = next_line()) {
    std::string_view name, value;
    if (auto preset = pick(line, kHeaders)) {
      name = preset->first;
      value = preset->second;
    } else {
      const auto colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      name = line.substr(0, colon);
      value = line.substr(colon + 1);
    }
    if (!is_token(name) || is_reserved_header(name)) continue;
    http::set_header(request.headers, name, header_value(value));
  }
  request.body = std::string(text);
  return out;
}

std::string describe(const http::Request& request) {
  std::string out = request.method + " " + request.target + "\n";
  for (const auto& [name, value] : request.headers) out += name + ": " + value + "\n";
  out += "(body: " + std::to_string(request.body.size()) + " bytes)\n";
  out += request.body.substr(0, 2048);
  return out;
}

json::value seed_object(std::string_view api_version, std::string_view kind, std::string_view name,
                        json::object rest) {
  rest["apiVersion"] = api_version;
  rest["kind"] = kind;
  rest["metadata"] = json::object{{"name", name},
                                  {"namespace", "default"},
                                  {"labels", {{"app", "x"}, {"tier", "fuzz"}}},
                                  {"annotations", {{"note", "seed"}}}};
  return rest;
}

// The server, a client to it, and the counters of one fuzzing process.
class Harness {
 public:
  Harness() { restart(); }

  void run(std::string_view input) {
    if (requests_ > 0 && requests_ % kRequestsPerServer == 0) restart();
    if (requests_ % kHealthCheckEvery == 0) check_health();
    ++requests_;
    Decoded decoded = decode_request(input, server_->token());
    if (decoded.watch)
      send_watch(std::move(decoded.request));
    else
      send(std::move(decoded.request));
  }

  void stop() {
    client_.reset();
    if (server_) server_->stop();
  }

 private:
  void restart() {
    client_.reset();
    server_.reset();
    apiserver::ApiServerOptions options;
    options.tls = false;
    options.bookmark_interval = std::chrono::milliseconds(200);
    options.default_watch_timeout = std::chrono::seconds(1);
    options.watch_history = 1000;
    auto server = apiserver::ApiServer::start(options);
    if (!server) fail("the API server does not start", server.error());
    server_ = std::move(*server);
    http::ClientOptions client_options;
    client_options.base_url = server_->url();
    client_options.connect_timeout = std::chrono::milliseconds(5000);
    client_options.request_timeout = kRequestTimeout;
    client_options.max_idle_connections = 4;
    auto client = http::Client::create(client_options);
    if (!client) fail("no client", client.error());
    client_ = std::move(*client);

    create("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", api::lambda_agent_crd());
    create("/api/v1/namespaces/default/configmaps",
           seed_object("v1", "ConfigMap", "x", {{"data", {{"k", "v"}, {"other", "w"}}}}));
    create("/api/v1/namespaces/default/secrets",
           seed_object("v1", "Secret", "t", {{"type", "Opaque"}, {"data", {{"k", "dg=="}}}}));
    create("/api/v1/namespaces/default/services",
           seed_object("v1", "Service", "s",
                       {{"spec",
                         {{"selector", {{"app", "x"}}},
                          {"ports", json::array{{{"name", "http"}, {"port", 80}},
                                                {{"name", "metrics"}, {"port", 9464}}}}}}}));
    create("/apis/lambda.knative.io/v1alpha1/namespaces/default/lambdaagents",
           seed_object("lambda.knative.io/v1alpha1", "LambdaAgent", "a",
                       {{"spec",
                         {{"image", {{"repository", "ghcr.io/example/a"}, {"tag", "1.0.0"}}},
                          {"ai", {{"model", "llama3.2:3b"}}}}}}));
  }

  void create(std::string target, const json::value& object) {
    http::Request request{"POST", std::move(target), {}, json::serialize(object)};
    request.headers.emplace_back("Authorization", "Bearer " + server_->token());
    request.headers.emplace_back("Content-Type", "application/json");
    const std::string description = describe(request);
    auto response = client_->send(std::move(request));
    if (!response) fail("no answer to a seed object", response.error().message);
    if (response->status != 201) fail("seed object refused", description + "\n" + response->body);
  }

  void check_health() {
    auto healthz = client_->send({"GET", "/healthz", {}, {}});
    if (!healthz) fail("no answer from /healthz", healthz.error().message);
    if (healthz->status != 200 || healthz->body != "ok")
      fail("/healthz is not ok", std::to_string(healthz->status) + " " + healthz->body);
    // Through authentication and the store: a lock left held would hang here. Any status will
    // do: the input may have deleted the namespace.
    http::Request read{"GET", "/api/v1/namespaces/kube-system", {}, {}};
    read.headers.emplace_back("Authorization", "Bearer " + server_->token());
    auto namespace_read = client_->send(std::move(read));
    if (!namespace_read) fail("no answer to a read", namespace_read.error().message);
  }

  void send(http::Request request) {
    const std::string description = describe(request);
    auto response = client_->send(std::move(request));
    if (!response)
      fail("no answer (" + std::string(http::to_string(response.error().kind)) +
               "): " + response.error().message,
           description);
    note_status(response->status, response->body, description);
  }

  void send_watch(http::Request request) {
    const std::string description = describe(request);
    int status = 0;
    auto streamed = client_->stream(
        std::move(request),
        [&status](int code, const http::Headers&) {
          status = code;
          return false;  // the head is the answer; the events are not waited for
        },
        [](std::string_view) { return false; }, kRequestTimeout);
    if (status == 0)
      fail("no answer to a watch" +
               (streamed ? std::string() : " (" + streamed.error().message + ")"),
           description);
    note_status(status, {}, description);
  }

  // 5xx answers are worth a look but are not crashes: print the first of each status and body.
  void note_status(int status, std::string_view body, const std::string& description) {
    if (status < 500) return;
    std::string what = std::to_string(status) + " " + std::string(body.substr(0, 200));
    if (reported_.size() >= kMaxReportedServerErrors || !reported_.insert(what).second) return;
    std::fprintf(stderr, "apiserver_request_fuzz: server error %s\n  for %s\n", what.c_str(),
                 description.substr(0, 400).c_str());
  }

  std::unique_ptr<apiserver::ApiServer> server_;
  std::unique_ptr<http::Client> client_;
  std::size_t requests_ = 0;
  std::set<std::string> reported_;
};

Harness& harness() {
  // Never destroyed: stopped at exit instead, before the statics its threads use go away.
  static Harness* const instance = [] {
    auto* created = new Harness();
    std::atexit([] { harness().stop(); });
    return created;
  }();
  return *instance;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  harness().run(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
