#include "common/http/wire.h"

#include <algorithm>
#include <array>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/status.hpp>
#include <cctype>
#include <limits>
#include <type_traits>

namespace lambda::http::wire {
namespace beast_http = boost::beast::http;
using boost::beast::error_code;
using boost::beast::string_view;

namespace {

struct Message {
  int version = 11;
  std::string method;
  std::string target;
  int status = 0;
  Headers headers;
  std::string body;
};

// Beast's parser reports each element through virtual calls; this one records them in a Message.
template <bool kIsRequest>
class RecordingParser final : public beast_http::basic_parser<kIsRequest> {
 public:
  explicit RecordingParser(Message& message) : message_(message) {}

 private:
  void on_request_impl(beast_http::verb, string_view method, string_view target, int version,
                       error_code& ec) override {
    if (version != 10 && version != 11) {
      ec = beast_http::error::bad_version;
      return;
    }
    message_.method.assign(method.data(), method.size());
    message_.target.assign(target.data(), target.size());
    message_.version = version;
  }
  void on_response_impl(int status, string_view, int version, error_code& ec) override {
    if (version != 10 && version != 11) {
      ec = beast_http::error::bad_version;
      return;
    }
    message_.status = status;
    message_.version = version;
  }
  void on_field_impl(beast_http::field, string_view name, string_view value, error_code&) override {
    message_.headers.emplace_back(std::string(name.data(), name.size()),
                                  std::string(value.data(), value.size()));
  }
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}
  std::size_t on_body_impl(string_view body, error_code&) override {
    message_.body.append(body.data(), body.size());
    return body.size();
  }
  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code&) override {
    message_.body.append(body.data(), body.size());
    return body.size();
  }
  void on_finish_impl(error_code&) override {}

  Message& message_;
};

ParseError to_parse_error(const error_code& ec) {
  if (ec == beast_http::error::header_limit) return ParseError::kHeaderTooLarge;
  if (ec == beast_http::error::body_limit) return ParseError::kBodyTooLarge;
  if (ec == beast_http::error::partial_message) return ParseError::kPartialMessage;
  return ParseError::kBadMessage;
}

}  // namespace

struct Parser::Impl {
  Message message;
  std::unique_ptr<RecordingParser<true>> request;
  std::unique_ptr<RecordingParser<false>> response;

  template <class F>
  decltype(auto) visit(F&& f) {
    if (request) return f(*request);
    return f(*response);
  }
  template <class F>
  decltype(auto) visit(F&& f) const {
    if (request) return f(static_cast<const RecordingParser<true>&>(*request));
    return f(static_cast<const RecordingParser<false>&>(*response));
  }
};

Parser::Parser(Kind kind, std::size_t header_limit, std::optional<std::uint64_t> body_limit)
    : impl_(std::make_unique<Impl>()) {
  if (kind == Kind::kRequest) {
    impl_->request = std::make_unique<RecordingParser<true>>(impl_->message);
  } else {
    impl_->response = std::make_unique<RecordingParser<false>>(impl_->message);
  }
  auto header = static_cast<std::uint32_t>(
      std::min<std::size_t>(header_limit, std::numeric_limits<std::uint32_t>::max()));
  impl_->visit([&](auto& p) {
    p.header_limit(header);
    // Two calls rather than one optional: g++ 12 -O2 reports a false maybe-uninitialized on a
    // boost::optional built conditionally.
    if (body_limit) {
      p.body_limit(*body_limit);
    } else {
      p.body_limit(boost::none);
    }
    p.eager(true);
  });
}

Parser::~Parser() = default;

tl::expected<std::size_t, ParseError> Parser::put(std::string_view data) {
  std::size_t total = 0;
  while (!done() && total < data.size()) {
    error_code ec;
    std::size_t n = impl_->visit([&](auto& p) {
      return p.put(boost::asio::const_buffer(data.data() + total, data.size() - total), ec);
    });
    total += n;
    if (ec == beast_http::error::need_more) break;
    if (ec) return tl::unexpected(to_parse_error(ec));
    if (n == 0) break;
  }
  return total;
}

tl::expected<void, ParseError> Parser::put_eof() {
  if (done()) return {};
  error_code ec;
  impl_->visit([&](auto& p) { p.put_eof(ec); });
  if (ec) return tl::unexpected(to_parse_error(ec));
  return {};
}

bool Parser::got_some() const {
  return impl_->visit([](const auto& p) { return p.got_some(); });
}
bool Parser::header_done() const {
  return impl_->visit([](const auto& p) { return p.is_header_done(); });
}
bool Parser::done() const {
  return impl_->visit([](const auto& p) { return p.is_done(); });
}
void Parser::skip_body() {
  impl_->visit([](auto& p) { p.skip(true); });
}
bool Parser::keep_alive() const {
  return impl_->visit([](const auto& p) { return p.keep_alive(); });
}
bool Parser::chunked() const {
  return impl_->visit([](const auto& p) { return p.chunked(); });
}
std::optional<std::uint64_t> Parser::content_length() const {
  auto length = impl_->visit([](const auto& p) { return p.content_length(); });
  if (!length) return std::nullopt;
  return *length;
}
int Parser::version() const { return impl_->message.version; }
const std::string& Parser::method() const { return impl_->message.method; }
const std::string& Parser::target() const { return impl_->message.target; }
int Parser::status() const { return impl_->message.status; }
const Headers& Parser::headers() const { return impl_->message.headers; }
Headers Parser::take_headers() { return std::move(impl_->message.headers); }
std::string& Parser::body() { return impl_->message.body; }
std::string Parser::take_body() {
  std::string out;
  out.swap(impl_->message.body);
  return out;
}

std::string_view reason_phrase(int status) {
  if (status < 100 || status > 999) return {};
  auto text = beast_http::obsolete_reason(static_cast<beast_http::status>(status));
  if (text == "<unknown-status>") return {};
  return std::string_view(text.data(), text.size());
}

bool is_token(std::string_view text) {
  if (text.empty()) return false;
  for (unsigned char c : text) {
    if (std::isalnum(c)) continue;
    if (std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) == std::string_view::npos)
      return false;
  }
  return true;
}

bool valid_header(std::string_view name, std::string_view value) {
  return is_token(name) && std::none_of(value.begin(), value.end(),
                                        [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool has_token(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    auto comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (iequals(item, token)) return true;
  }
  return false;
}

void append_headers(std::string& out, const Headers& headers, std::string_view also_skip) {
  static constexpr std::array<std::string_view, 4> kFraming = {
      "Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive"};
  for (const auto& [name, value] : headers) {
    if (!valid_header(name, value)) continue;
    if (std::any_of(kFraming.begin(), kFraming.end(),
                    [&header = name](std::string_view f) { return iequals(f, header); }))
      continue;
    if (!also_skip.empty() && iequals(also_skip, name)) continue;
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
}

void append_chunk(std::string& out, std::string_view data) {
  if (data.empty()) return;
  static constexpr char kHex[] = "0123456789abcdef";
  char digits[16];
  int n = 0;
  for (std::size_t size = data.size(); size != 0; size >>= 4) digits[n++] = kHex[size & 15];
  while (n > 0) out.push_back(digits[--n]);
  out += "\r\n";
  out += data;
  out += "\r\n";
}

}  // namespace lambda::http::wire
