#include "common/http/http.h"

#include <algorithm>
#include <cctype>

namespace lambda::http {
namespace {
bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%' && i + 2 < text.size()) {
      int hi = hex_value(text[i + 1]), lo = hex_value(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && c == '+' ? ' ' : c);
  }
  return out;
}
}  // namespace

std::optional<std::string_view> find_header(const Headers& headers, std::string_view name) {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return std::string_view(v);
  return std::nullopt;
}

void set_header(Headers& headers, std::string_view name, std::string value) {
  std::erase_if(headers, [&](const auto& h) { return iequals(h.first, name); });
  headers.emplace_back(std::string(name), std::move(value));
}

Target split_target(std::string_view target) {
  auto q = target.find('?');
  Target t;
  t.path = percent_decode(target.substr(0, q), false);
  if (q != std::string_view::npos) t.query = std::string(target.substr(q + 1));
  return t;
}

std::vector<std::string> query_values(std::string_view query, std::string_view name) {
  std::vector<std::string> out;
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    auto eq = pair.find('=');
    std::string key = percent_decode(pair.substr(0, eq), true);
    if (key != name) continue;
    out.push_back(eq == std::string_view::npos ? std::string()
                                               : percent_decode(pair.substr(eq + 1), true));
  }
  return out;
}

std::optional<std::string> query_value(std::string_view query, std::string_view name) {
  auto all = query_values(query, name);
  if (all.empty()) return std::nullopt;
  return all.front();
}

std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace lambda::http
