#include "common/base64.h"

#include <fmt/format.h>

#include <array>
#include <cstdint>

namespace lambda::common {
namespace {
// base64 as Go's encoding/json decodes []byte: the standard alphabet with padding; '\r' and '\n'
// are skipped. The error gives the offset Go would ("illegal base64 data at input byte 4").

int base64_digit(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

tl::expected<std::string, std::string> base64_decode(std::string_view text) {
  auto illegal = [](std::size_t at) {
    return tl::unexpected(fmt::format("illegal base64 data at input byte {}", at));
  };
  std::string out;
  out.reserve(text.size() / 4 * 3);
  std::size_t i = 0;
  while (true) {
    std::array<int, 4> digits{};
    std::size_t count = 0;
    std::size_t padding = 0;
    while (count < 4) {
      while (i < text.size() && (text[i] == '\r' || text[i] == '\n')) ++i;
      if (i == text.size()) break;
      char c = text[i];
      if (c == '=') {
        // Padding only after two or three digits, filling the quantum, and ending the input.
        // The offsets reported are Go's (encoding/base64 decodeQuantum).
        if (count < 2) return illegal(i);
        padding = 4 - count;
        ++i;
        if (padding == 2) {
          while (i < text.size() && (text[i] == '\r' || text[i] == '\n')) ++i;
          if (i == text.size()) return illegal(text.size());
          if (text[i] != '=') return illegal(i - 1);
          ++i;
        }
        while (i < text.size() && (text[i] == '\r' || text[i] == '\n')) ++i;
        if (i != text.size()) return illegal(i);
        break;
      }
      int digit = base64_digit(c);
      if (digit < 0) return illegal(i);
      digits[count++] = digit;
      ++i;
    }
    if (count == 0) return out;
    if (padding == 0 && count < 4) return illegal(text.size() - count);
    std::uint32_t bits = 0;
    for (std::size_t k = 0; k < 4; ++k) bits = (bits << 6) | static_cast<std::uint32_t>(digits[k]);
    out.push_back(static_cast<char>((bits >> 16) & 0xff));
    if (count >= 3) out.push_back(static_cast<char>((bits >> 8) & 0xff));
    if (count == 4) out.push_back(static_cast<char>(bits & 0xff));
    if (padding > 0) return out;
  }
}

std::string base64_encode(std::string_view data) {
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    std::uint32_t bits = (static_cast<unsigned char>(data[i]) << 16) |
                         (static_cast<unsigned char>(data[i + 1]) << 8) |
                         static_cast<unsigned char>(data[i + 2]);
    for (int shift = 18; shift >= 0; shift -= 6) out.push_back(kAlphabet[(bits >> shift) & 63]);
  }
  std::size_t rest = data.size() - i;
  if (rest > 0) {
    std::uint32_t bits = static_cast<unsigned char>(data[i]) << 16;
    if (rest == 2) bits |= static_cast<unsigned char>(data[i + 1]) << 8;
    out.push_back(kAlphabet[(bits >> 18) & 63]);
    out.push_back(kAlphabet[(bits >> 12) & 63]);
    out.push_back(rest == 2 ? kAlphabet[(bits >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

}  // namespace lambda::common
