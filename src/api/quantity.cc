// Kubernetes resource quantities: exact parsing into nano-units.
#include "api/quantity.h"

#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace lambda::api {
namespace {

// Kubernetes' own wording (quantity.go ErrFormatWrong / ErrSuffix), so users who search for the
// message find the Kubernetes documentation.
constexpr std::string_view kFormatError =
    "quantities must match the regular expression "
    "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
constexpr std::string_view kSuffixError = "unable to parse quantity's suffix";
constexpr std::string_view kRangeError =
    "quantities must not exceed 9223372036854775807 (2^63-1) in magnitude, the largest value "
    "Kubernetes can hold";

constexpr __int128 kNanoPerUnit = 1'000'000'000;
constexpr __int128 kMaxNano =
    static_cast<__int128>(std::numeric_limits<std::int64_t>::max()) * kNanoPerUnit;
// 10^29 > kMaxNano (~9.2e27), and 10^38 still fits in __int128, so any digit string of at most
// this many digits converts without overflow and longer ones are out of range for certain.
constexpr std::size_t kMaxDigits = 30;
// Exponents beyond this cannot produce an in-range non-zero value, nor a zero one from a
// non-zero significand, whatever the number of digits a sane input has; saturating here keeps
// the arithmetic below free of overflow.
constexpr std::int64_t kExponentLimit = std::int64_t{1} << 40;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

struct Suffix {
  int binary_exponent = 0;            // multiply by 2^binary_exponent
  std::int64_t decimal_exponent = 0;  // multiply by 10^decimal_exponent
};

std::optional<Suffix> parse_suffix(std::string_view s) {
  if (s.empty()) return Suffix{};
  if (s.size() == 2 && s[1] == 'i') {
    switch (s[0]) {
      case 'K':
        return Suffix{10, 0};
      case 'M':
        return Suffix{20, 0};
      case 'G':
        return Suffix{30, 0};
      case 'T':
        return Suffix{40, 0};
      case 'P':
        return Suffix{50, 0};
      case 'E':
        return Suffix{60, 0};
      default:
        return std::nullopt;
    }
  }
  if (s.size() == 1) {
    switch (s[0]) {
      case 'n':
        return Suffix{0, -9};
      case 'u':
        return Suffix{0, -6};
      case 'm':
        return Suffix{0, -3};
      case 'k':
        return Suffix{0, 3};
      case 'M':
        return Suffix{0, 6};
      case 'G':
        return Suffix{0, 9};
      case 'T':
        return Suffix{0, 12};
      case 'P':
        return Suffix{0, 15};
      case 'E':
        return Suffix{0, 18};  // exa, not an exponent: "1E" is 10^18 in Kubernetes too
      default:
        return std::nullopt;
    }
  }
  if (s[0] != 'e' && s[0] != 'E') return std::nullopt;
  std::size_t pos = 1;
  bool negative = false;
  if (s[pos] == '+' || s[pos] == '-') {
    negative = s[pos] == '-';
    ++pos;
  }
  if (pos == s.size()) return std::nullopt;
  std::int64_t exponent = 0;
  for (; pos < s.size(); ++pos) {
    if (!is_digit(s[pos])) return std::nullopt;
    if (exponent < kExponentLimit) exponent = exponent * 10 + (s[pos] - '0');
  }
  return Suffix{0, negative ? -exponent : exponent};
}

// True when s looks like what Kubernetes scans as a suffix ([eEinumkKMGTP]*[-+]?[0-9]*), so that
// a bad suffix gets Kubernetes' suffix message rather than the format one.
bool looks_like_suffix(std::string_view s) {
  std::size_t pos = 0;
  while (pos < s.size() && std::string_view("eEinumkKMGTP").find(s[pos]) != std::string_view::npos)
    ++pos;
  if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) ++pos;
  while (pos < s.size() && is_digit(s[pos])) ++pos;
  return pos == s.size();
}

// Multiplies a decimal digit string in place by a small factor.
void multiply_digits(std::string& digits, unsigned factor) {
  unsigned carry = 0;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    unsigned product = static_cast<unsigned>(*it - '0') * factor + carry;
    *it = static_cast<char>('0' + product % 10);
    carry = product / 10;
  }
  while (carry > 0) {
    digits.insert(digits.begin(), static_cast<char>('0' + carry % 10));
    carry /= 10;
  }
}

__int128 digits_to_int(std::string_view digits) {
  __int128 value = 0;
  for (char c : digits) value = value * 10 + (c - '0');
  return value;
}

// significand * 2^binary_exponent * 10^e10 nano-units, where significand is a decimal digit
// string of any length, rounded away from zero to a whole nano-unit as Kubernetes does (so a
// request for a tiny amount still gets some). nullopt when out of range. Works on the digit
// string rather than a fixed-width integer because inputs may carry any number of digits.
std::optional<__int128> magnitude_in_nanos(std::string significand, int binary_exponent,
                                           std::int64_t e10) {
  std::size_t first = significand.find_first_not_of('0');
  if (first == std::string::npos) return 0;
  significand.erase(0, first);
  std::size_t last = significand.find_last_not_of('0');
  e10 += static_cast<std::int64_t>(significand.size() - 1 - last);
  significand.erase(last + 1);
  for (int b = 0; b < binary_exponent; b += 10) multiply_digits(significand, 1024);

  const auto size = static_cast<std::int64_t>(significand.size());
  __int128 magnitude = 0;
  if (e10 >= 0) {
    if (size + e10 > static_cast<std::int64_t>(kMaxDigits)) return std::nullopt;
    magnitude = digits_to_int(significand);
    for (std::int64_t i = 0; i < e10; ++i) magnitude *= 10;
  } else {
    const std::int64_t fraction_digits = -e10;
    if (fraction_digits >= size) {
      magnitude = 1;  // a non-zero amount below one nano-unit rounds up to one
    } else {
      std::string_view all(significand);
      std::string_view whole = all.substr(0, static_cast<std::size_t>(size - fraction_digits));
      std::string_view fraction = all.substr(whole.size());
      if (whole.size() > kMaxDigits) return std::nullopt;
      magnitude = digits_to_int(whole);
      if (fraction.find_first_not_of('0') != std::string_view::npos) ++magnitude;
    }
  }
  if (magnitude > kMaxNano) return std::nullopt;
  return magnitude;
}

// Divides rounding away from zero, as Kubernetes' Value()/MilliValue() do for int64 amounts.
__int128 divide_away_from_zero(__int128 value, __int128 divisor) {
  __int128 quotient = value / divisor;
  if (value % divisor != 0) quotient += value < 0 ? -1 : 1;
  return quotient;
}

std::int64_t saturate(__int128 value) {
  constexpr auto kMin = std::numeric_limits<std::int64_t>::min();
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  if (value < kMin) return kMin;
  if (value > kMax) return kMax;
  return static_cast<std::int64_t>(value);
}

}  // namespace

tl::expected<Quantity, std::string> Quantity::parse(std::string_view text) {
  std::size_t pos = 0;
  bool negative = false;
  if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    negative = text[pos] == '-';
    ++pos;
  }
  const std::size_t whole_begin = pos;
  while (pos < text.size() && is_digit(text[pos])) ++pos;
  std::string_view whole = text.substr(whole_begin, pos - whole_begin);
  std::string_view fraction;
  if (pos < text.size() && text[pos] == '.') {
    const std::size_t fraction_begin = ++pos;
    while (pos < text.size() && is_digit(text[pos])) ++pos;
    fraction = text.substr(fraction_begin, pos - fraction_begin);
  }
  if (whole.empty() && fraction.empty()) return tl::unexpected(std::string(kFormatError));

  std::string_view suffix_text = text.substr(pos);
  std::optional<Suffix> suffix = parse_suffix(suffix_text);
  if (!suffix) {
    return tl::unexpected(
        std::string(looks_like_suffix(suffix_text) ? kSuffixError : kFormatError));
  }

  std::string significand;
  significand.reserve(whole.size() + fraction.size());
  significand.append(whole).append(fraction);
  // Digit counts are bounded by the input size, so this sum cannot overflow.
  const std::int64_t e10 =
      suffix->decimal_exponent + 9 - static_cast<std::int64_t>(fraction.size());
  std::optional<__int128> magnitude =
      magnitude_in_nanos(std::move(significand), suffix->binary_exponent, e10);
  if (!magnitude) return tl::unexpected(std::string(kRangeError));

  Quantity quantity;
  quantity.text_ = std::string(text);
  quantity.nano_ = negative ? -*magnitude : *magnitude;
  return quantity;
}

Quantity Quantity::from_integer(std::int64_t value) {
  Quantity quantity;
  quantity.text_ = std::to_string(value);
  quantity.written_as_number_ = true;
  // Kubernetes caps magnitudes at 2^63-1, so INT64_MIN is held as -(2^63-1) there too.
  const std::int64_t capped = value == std::numeric_limits<std::int64_t>::min()
                                  ? -std::numeric_limits<std::int64_t>::max()
                                  : value;
  quantity.nano_ = static_cast<__int128>(capped) * kNanoPerUnit;
  return quantity;
}

std::int64_t Quantity::value() const {
  // |nano_| <= (2^63-1)*10^9, so whole units always fit.
  return saturate(divide_away_from_zero(nano_, kNanoPerUnit));
}

std::int64_t Quantity::milli_value() const {
  // Milli-units of quantities above ~9.2e15 do not fit in int64; saturate rather than wrap.
  return saturate(divide_away_from_zero(nano_, 1'000'000));
}

tl::expected<Quantity, std::string> Quantity::parse_number(std::string_view number_text) {
  auto parsed = parse(number_text);
  if (parsed) parsed->written_as_number_ = true;
  return parsed;
}

}  // namespace lambda::api
