// HTTP/1.1 messages as plain values, shared by the server (http_server.h) and the client
// (http_client.h). Nothing here includes Asio or Beast: layers above see only these types.
//
// Thread-safety: value types.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lambda::http {

// In the order received; names compared case-insensitively by find_header.
using Headers = std::vector<std::pair<std::string, std::string>>;

std::optional<std::string_view> find_header(const Headers& headers, std::string_view name);
// Replaces every header of that name (case-insensitive) with one value.
void set_header(Headers& headers, std::string_view name, std::string value);

struct Request {
  std::string method;  // "GET", "PATCH", ...
  std::string target;  // origin-form: path and query, e.g. "/api/v1/namespaces?limit=5"
  Headers headers;
  std::string body;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;
};

// Splits an origin-form target into its path (percent-decoded) and raw query (after '?').
struct Target {
  std::string path;
  std::string query;
};
Target split_target(std::string_view target);
// The decoded values of one query parameter, in order ("?a=1&a=2" -> {"1", "2"}).
std::vector<std::string> query_values(std::string_view query, std::string_view name);
std::optional<std::string> query_value(std::string_view query, std::string_view name);
std::string percent_encode(std::string_view text);  // for query values and path segments

}  // namespace lambda::http
