// Duration value types used by the LambdaAgent API.
//
// GoDuration: Go's time.ParseDuration syntax ("1h", "5m", "10s", "0s", "1h30m", "1.5h",
// "300ms", "2us", "2µs", "100ns"; optional leading sign; "0" alone is allowed), which is what
// metav1.Duration accepts in Kubernetes objects. Kept as written, plus exact nanoseconds.
//
// IsoDuration: ISO-8601 durations as Knative's delivery spec reads them ("PT1S", "PT0.5S",
// "PT1M30S", "P1D", "P1DT2H", "PT2H"). Calendar components (years, months, weeks) have no fixed
// length and are rejected, since a retry backoff must be a fixed time. Fractions are allowed only
// on the last (smallest) component given, written with '.' (not ','); digits below a nanosecond
// are dropped, as Go's ParseDuration drops them. No sign: a negative backoff means nothing.
//
// Thread-safety: value types, immutable after parse.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

namespace lambda::api {

class GoDuration {
 public:
  // Errors are Go's, byte for byte: `time: invalid duration "five"`, `time: unknown unit "d" in
  // duration "1d"`, `time: missing unit in duration "10"`. Go reads everything up to the next
  // digit or '.' as the unit, so "5 minutes" gives `time: unknown unit " minutes" in duration
  // "5 minutes"`.
  static tl::expected<GoDuration, std::string> parse(std::string_view text);
  static GoDuration from_nanoseconds(std::int64_t ns);  // text becomes the canonical Go form

  const std::string& text() const { return text_; }
  std::chrono::nanoseconds value() const { return std::chrono::nanoseconds(ns_); }
  std::int64_t nanoseconds() const { return ns_; }
  bool is_whole_seconds() const { return ns_ % 1'000'000'000 == 0; }
  double seconds() const { return static_cast<double>(ns_) / 1e9; }

  // Go's Duration.String(): "1h0m0s", "5m0s", "1.5s", "300ms", "0s".
  static std::string canonical(std::int64_t ns);

  friend std::strong_ordering operator<=>(const GoDuration& a, const GoDuration& b) {
    return a.ns_ <=> b.ns_;
  }
  friend bool operator==(const GoDuration& a, const GoDuration& b) { return a.ns_ == b.ns_; }

  // Regular expression for the CRD schema (valid in RE2 and ECMAScript): the same language
  // parse() accepts, except that no regex can reject values outside the int64 range of
  // nanoseconds (about +-292 years).
  static constexpr std::string_view kPattern =
      "^[-+]?(0|(([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$";

 private:
  std::string text_;
  std::int64_t ns_ = 0;
};

class IsoDuration {
 public:
  static tl::expected<IsoDuration, std::string> parse(std::string_view text);

  const std::string& text() const { return text_; }
  std::chrono::nanoseconds value() const { return std::chrono::nanoseconds(ns_); }
  std::int64_t nanoseconds() const { return ns_; }

  friend std::strong_ordering operator<=>(const IsoDuration& a, const IsoDuration& b) {
    return a.ns_ <=> b.ns_;
  }
  friend bool operator==(const IsoDuration& a, const IsoDuration& b) { return a.ns_ == b.ns_; }

  // Regular expression for the CRD schema (valid in RE2 and ECMAScript, no look-ahead): one
  // branch per smallest component, so that a fraction can only sit on the last one and "P" or
  // "PT" alone cannot match. Accepts exactly what parse() accepts, except values beyond
  // INT64_MAX ns (~106751 days), which no regex can bound.
  static constexpr std::string_view kPattern =
      "^P([0-9]+(\\.[0-9]+)?D|([0-9]+D)?T([0-9]+(\\.[0-9]+)?H|([0-9]+H)?([0-9]+(\\.[0-9]+)?M|"
      "([0-9]+M)?[0-9]+(\\.[0-9]+)?S)))$";

 private:
  std::string text_;
  std::int64_t ns_ = 0;
};

}  // namespace lambda::api
