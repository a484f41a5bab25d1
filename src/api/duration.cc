// Go (metav1.Duration) and ISO-8601 (Knative delivery) durations.
#include "api/duration.h"

#include <array>
#include <cstddef>
#include <limits>
#include <string>
#include <string_view>

namespace lambda::api {
namespace {

constexpr std::uint64_t kNanosecond = 1;
constexpr std::uint64_t kMicrosecond = 1000 * kNanosecond;
constexpr std::uint64_t kMillisecond = 1000 * kMicrosecond;
constexpr std::uint64_t kSecond = 1000 * kMillisecond;
constexpr std::uint64_t kMinute = 60 * kSecond;
constexpr std::uint64_t kHour = 60 * kMinute;
constexpr std::uint64_t kDay = 24 * kHour;
constexpr std::uint64_t kTwoTo63 = std::uint64_t{1} << 63;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Go's time.quote: control and non-ASCII bytes become \xNN, so an error message never carries
// raw bytes from the input into logs or terminals.
std::string go_quote(std::string_view s) {
  constexpr std::string_view kHex = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (char c : s) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x80 || byte < 0x20) {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xF];
    } else {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
  }
  out += '"';
  return out;
}

std::string invalid_go_duration(std::string_view original) {
  return "time: invalid duration " + go_quote(original);
}

std::uint64_t go_unit(std::string_view unit) {
  if (unit == "ns") return kNanosecond;
  if (unit == "us") return kMicrosecond;
  if (unit == "\u00b5s") return kMicrosecond;  // micro sign
  if (unit == "\u03bcs") return kMicrosecond;  // Greek small letter mu
  if (unit == "ms") return kMillisecond;
  if (unit == "s") return kSecond;
  if (unit == "m") return kMinute;
  if (unit == "h") return kHour;
  return 0;
}

// Prepends v's last `precision` decimal digits to out as a fraction (".25"), dropping trailing
// zeros and the point when nothing is left, and returns v without those digits.
std::uint64_t format_fraction(std::string& out, std::uint64_t v, int precision) {
  std::string digits;
  bool print = false;
  for (int i = 0; i < precision; ++i) {
    const auto digit = static_cast<char>('0' + v % 10);
    print = print || digit != '0';
    if (print) digits.insert(digits.begin(), digit);
    v /= 10;
  }
  if (print) out.insert(0, "." + digits);
  return v;
}

void prepend_int(std::string& out, std::uint64_t v) { out.insert(0, std::to_string(v)); }

}  // namespace

// A port of Go's time.ParseDuration, down to its float arithmetic for fractions, so that a value
// accepted here means the same number of nanoseconds to the API server.
tl::expected<GoDuration, std::string> GoDuration::parse(std::string_view text) {
  const std::string_view original = text;
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  GoDuration result;
  result.text_ = std::string(original);
  if (s == "0") return result;
  if (s.empty()) return tl::unexpected(invalid_go_duration(original));

  std::uint64_t total = 0;
  while (!s.empty()) {
    if (!(s[0] == '.' || is_digit(s[0]))) return tl::unexpected(invalid_go_duration(original));

    std::uint64_t whole = 0;
    std::size_t i = 0;
    for (; i < s.size() && is_digit(s[i]); ++i) {
      if (whole > kTwoTo63 / 10) return tl::unexpected(invalid_go_duration(original));
      whole = whole * 10 + static_cast<std::uint64_t>(s[i] - '0');
      if (whole > kTwoTo63) return tl::unexpected(invalid_go_duration(original));
    }
    const bool has_whole = i > 0;
    s.remove_prefix(i);

    // Go stops accumulating fraction digits once they would overflow, rather than failing.
    std::uint64_t fraction = 0;
    double scale = 1;
    bool has_fraction = false;
    if (!s.empty() && s[0] == '.') {
      s.remove_prefix(1);
      bool overflow = false;
      std::size_t j = 0;
      for (; j < s.size() && is_digit(s[j]); ++j) {
        if (overflow) continue;
        if (fraction > (kTwoTo63 - 1) / 10) {
          overflow = true;
          continue;
        }
        const std::uint64_t next = fraction * 10 + static_cast<std::uint64_t>(s[j] - '0');
        if (next > kTwoTo63) {
          overflow = true;
          continue;
        }
        fraction = next;
        scale *= 10;
      }
      has_fraction = j > 0;
      s.remove_prefix(j);
    }
    if (!has_whole && !has_fraction) return tl::unexpected(invalid_go_duration(original));

    std::size_t unit_length = 0;
    while (unit_length < s.size() && s[unit_length] != '.' && !is_digit(s[unit_length]))
      ++unit_length;
    if (unit_length == 0) {
      return tl::unexpected("time: missing unit in duration " + go_quote(original));
    }
    const std::string_view unit_text = s.substr(0, unit_length);
    s.remove_prefix(unit_length);
    const std::uint64_t unit = go_unit(unit_text);
    if (unit == 0) {
      return tl::unexpected("time: unknown unit " + go_quote(unit_text) + " in duration " +
                            go_quote(original));
    }

    if (whole > kTwoTo63 / unit) return tl::unexpected(invalid_go_duration(original));
    std::uint64_t component = whole * unit;
    if (fraction > 0) {
      // Below one unit, so the conversion is always in range.
      component += static_cast<std::uint64_t>(static_cast<double>(fraction) *
                                              (static_cast<double>(unit) / scale));
      if (component > kTwoTo63) return tl::unexpected(invalid_go_duration(original));
    }
    total += component;
    if (total > kTwoTo63) return tl::unexpected(invalid_go_duration(original));
  }
  if (negative) {
    // Two's complement negation of the magnitude; 2^63 maps to INT64_MIN as in Go.
    result.ns_ = static_cast<std::int64_t>(~total + 1);
    return result;
  }
  if (total > kTwoTo63 - 1) return tl::unexpected(invalid_go_duration(original));
  result.ns_ = static_cast<std::int64_t>(total);
  return result;
}

GoDuration GoDuration::from_nanoseconds(std::int64_t ns) {
  GoDuration duration;
  duration.ns_ = ns;
  duration.text_ = canonical(ns);
  return duration;
}

// Go's Duration.String(): h/m/s above a second, a single smaller unit below it.
std::string GoDuration::canonical(std::int64_t ns) {
  const bool negative = ns < 0;
  // The magnitude in unsigned arithmetic, which also handles INT64_MIN.
  std::uint64_t u = static_cast<std::uint64_t>(ns);
  if (negative) u = ~u + 1;

  std::string out;
  if (u < kSecond) {
    int precision = 0;
    if (u == 0) return "0s";
    if (u < kMicrosecond) {
      out = "ns";
      precision = 0;
    } else if (u < kMillisecond) {
      out = "\u00b5s";  // Go prints the micro sign, U+00B5
      precision = 3;
    } else {
      out = "ms";
      precision = 6;
    }
    u = format_fraction(out, u, precision);
    prepend_int(out, u);
  } else {
    out = "s";
    u = format_fraction(out, u, 9);
    prepend_int(out, u % 60);
    u /= 60;
    if (u > 0) {
      out.insert(0, "m");
      prepend_int(out, u % 60);
      u /= 60;
      // Hours are the largest unit: days vary in length.
      if (u > 0) {
        out.insert(0, "h");
        prepend_int(out, u);
      }
    }
  }
  if (negative) out.insert(0, "-");
  return out;
}

namespace {

std::string invalid_iso_duration(std::string_view text) {
  return "invalid ISO-8601 duration " + go_quote(text) +
         ": must look like P[nD][T[nH][nM][nS]] with at least one component, e.g. \"PT1S\", "
         "\"PT0.5S\", \"PT1M30S\", \"P1D\" or \"P1DT2H\"";
}

// Adds digits * unit to total, saturating just above INT64_MAX so any overflow stays visible.
__int128 add_scaled(__int128 total, std::string_view digits, std::uint64_t unit) {
  constexpr __int128 kCap = static_cast<__int128>(std::numeric_limits<std::int64_t>::max()) + 1;
  __int128 whole = 0;
  for (char c : digits) {
    whole = whole * 10 + (c - '0');
    if (whole > kCap) return kCap;
  }
  total += whole * unit;
  return total > kCap ? kCap : total;
}

// floor(0.<digits> * unit), exactly, for any number of digits: long multiplication from the
// right, whose final carry is the whole part of the product.
std::uint64_t fraction_of_unit(std::string_view digits, std::uint64_t unit) {
  std::uint64_t carry = 0;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    carry = (static_cast<std::uint64_t>(*it - '0') * unit + carry) / 10;
  }
  return carry;
}

}  // namespace

tl::expected<IsoDuration, std::string> IsoDuration::parse(std::string_view text) {
  if (text.empty() || text[0] != 'P') return tl::unexpected(invalid_iso_duration(text));

  // Ranks give the required order: D, then (after T) H, M, S.
  enum Rank { kNoRank = -1, kDays = 0, kHours = 1, kMinutes = 2, kSeconds = 3 };
  constexpr std::array<std::uint64_t, 4> kUnits = {kDay, kHour, kMinute, kSecond};

  std::size_t pos = 1;
  bool in_time = false;
  bool time_has_component = false;
  bool previous_had_fraction = false;
  int last_rank = kNoRank;
  __int128 total = 0;
  while (pos < text.size()) {
    if (text[pos] == 'T') {
      if (in_time) return tl::unexpected(invalid_iso_duration(text));
      in_time = true;
      ++pos;
      continue;
    }
    const std::size_t whole_begin = pos;
    while (pos < text.size() && is_digit(text[pos])) ++pos;
    const std::string_view whole = text.substr(whole_begin, pos - whole_begin);
    if (whole.empty()) return tl::unexpected(invalid_iso_duration(text));
    std::string_view fraction;
    bool has_point = false;
    if (pos < text.size() && text[pos] == '.') {
      has_point = true;
      const std::size_t fraction_begin = ++pos;
      while (pos < text.size() && is_digit(text[pos])) ++pos;
      fraction = text.substr(fraction_begin, pos - fraction_begin);
      if (fraction.empty()) return tl::unexpected(invalid_iso_duration(text));
    }
    if (pos == text.size()) return tl::unexpected(invalid_iso_duration(text));
    const char designator = text[pos++];

    int rank = kNoRank;
    if (!in_time) {
      if (designator == 'Y' || designator == 'M' || designator == 'W') {
        return tl::unexpected("invalid ISO-8601 duration " + go_quote(text) +
                              ": years, months and weeks have no fixed length; use days and "
                              "time components instead, e.g. \"P7D\" or \"PT12H\"");
      }
      if (designator == 'D') rank = kDays;
    } else if (designator == 'H') {
      rank = kHours;
    } else if (designator == 'M') {
      rank = kMinutes;
    } else if (designator == 'S') {
      rank = kSeconds;
    }
    if (rank == kNoRank || rank <= last_rank) return tl::unexpected(invalid_iso_duration(text));
    if (previous_had_fraction) {
      return tl::unexpected("invalid ISO-8601 duration " + go_quote(text) +
                            ": only the last component may have a fraction");
    }
    last_rank = rank;
    previous_had_fraction = has_point;
    if (in_time) time_has_component = true;

    const std::uint64_t unit = kUnits[static_cast<std::size_t>(rank)];
    total = add_scaled(total, whole, unit);
    total += fraction_of_unit(fraction, unit);
  }
  if (last_rank == kNoRank || (in_time && !time_has_component)) {
    return tl::unexpected(invalid_iso_duration(text));
  }
  if (total > std::numeric_limits<std::int64_t>::max()) {
    return tl::unexpected("ISO-8601 duration " + go_quote(text) +
                          " is out of range: the longest is 106751 days (about 292 years)");
  }
  IsoDuration duration;
  duration.text_ = std::string(text);
  duration.ns_ = static_cast<std::int64_t>(total);
  return duration;
}

}  // namespace lambda::api
