// HTTP/1.1 on the wire, shared by http_server.cc and http_client.cc: an incremental parser for
// requests and responses (Beast's, behind a small interface so that this header stays free of
// Beast) and the few serializers both sides need. Internal to common/http.
//
// Thread-safety: a Parser is used by one thread at a time; the functions are reentrant.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "common/http/http.h"

namespace lambda::http::wire {

enum class ParseError {
  kBadMessage,      // malformed; the connection cannot be used further
  kHeaderTooLarge,  // the header passed its limit
  kBodyTooLarge,    // the body (or its announced Content-Length) passed its limit
  kPartialMessage,  // end of input in the middle of a message
};

// One message, parsed incrementally from whatever pieces of input arrive. The body is collected
// into body() (de-chunked); the caller may take it piece by piece with take_body().
class Parser {
 public:
  enum class Kind { kRequest, kResponse };
  // body_limit: none means unlimited.
  Parser(Kind kind, std::size_t header_limit, std::optional<std::uint64_t> body_limit);
  ~Parser();
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;

  // Parses as much of `data` as it can and returns how many bytes it consumed. Until done(), the
  // caller keeps the unconsumed bytes, appends more input and calls again (a header is consumed
  // only once it is complete). Input after the end of the message is left unconsumed.
  tl::expected<std::size_t, ParseError> put(std::string_view data);
  // The peer closed: completes a body delimited by end of input, else kPartialMessage.
  tl::expected<void, ParseError> put_eof();

  bool got_some() const;
  bool header_done() const;
  bool done() const;
  // A response to HEAD, or a 1xx/204/304: no body follows the header. Call before the header.
  void skip_body();

  // Valid once header_done().
  bool keep_alive() const;
  bool chunked() const;
  std::optional<std::uint64_t> content_length() const;
  int version() const;  // 10 or 11
  const std::string& method() const;
  const std::string& target() const;
  int status() const;
  const Headers& headers() const;
  Headers take_headers();

  std::string& body();
  std::string take_body();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "OK" for 200, "" for codes without a registered phrase.
std::string_view reason_phrase(int status);

// Header names are tokens and values carry no CR, LF or NUL: anything else a caller put in a
// Headers list is dropped rather than written, so that no input can split a message.
bool valid_header(std::string_view name, std::string_view value);
bool is_token(std::string_view text);

// Appends "name: value\r\n" for each valid header whose name is none of Content-Length,
// Transfer-Encoding, Connection, Keep-Alive (framing is the serializer's job) nor `also_skip`.
void append_headers(std::string& out, const Headers& headers, std::string_view also_skip = {});

// Appends one chunk of chunked transfer encoding; empty data appends nothing.
void append_chunk(std::string& out, std::string_view data);
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

bool iequals(std::string_view a, std::string_view b);
// True when a comma-separated header value lists `token` (case-insensitive), as in
// "Connection: keep-alive, Upgrade".
bool has_token(std::string_view list, std::string_view token);

}  // namespace lambda::http::wire
