// Kubernetes resource quantities ("256Mi", "500m", "1.5", "1e3", "2Gi"), parsed for real.
//
// Grammar (k8s.io/apimachinery/pkg/api/resource, quantity.go):
//   <quantity> ::= <signedNumber><suffix>
//   <suffix>   ::= <binarySI> | <decimalExponent> | <decimalSI>
//   <binarySI> ::= Ki | Mi | Gi | Ti | Pi | Ei
//   <decimalSI>::= n | u | m | "" | k | M | G | T | P | E
//   <decimalExponent> ::= "e" <signedNumber> | "E" <signedNumber>
// A Quantity keeps the text it was written with (so YAML round-trips exactly) and an exact
// value in nano-units for comparison (requests <= limits). Values whose magnitude exceeds what
// Kubernetes itself can hold (2^63-1 units) are rejected.
//
// Thread-safety: value type, immutable after parse.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

namespace lambda::api {

class Quantity {
 public:
  // Parses text. On failure the error is a sentence for a field error's detail, e.g.
  // "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'".
  static tl::expected<Quantity, std::string> parse(std::string_view text);
  // An integer written as a JSON number (`cpu: 2`) is a valid quantity too. INT64_MIN is held
  // as -(2^63-1), the cap Kubernetes applies.
  static Quantity from_integer(std::int64_t value);
  // A JSON number (`cpu: 0.5`) given as its canonical text: parsed like a string, but encoded back
  // as a number so that documents round-trip exactly.
  static tl::expected<Quantity, std::string> parse_number(std::string_view number_text);

  const std::string& text() const { return text_; }
  bool written_as_number() const { return written_as_number_; }
  // Exact value in units of 1e-9 (so "500m" == 500'000'000, "1Ki" == 1024'000'000'000). Finer
  // amounts round away from zero to a whole nano-unit, as in Kubernetes ("1e-10" == 1).
  __int128 nano_units() const { return nano_; }
  bool is_negative() const { return nano_ < 0; }
  bool is_zero() const { return nano_ == 0; }
  // Value rounded up (away from zero) to whole units / milli-units, as Kubernetes'
  // Value()/MilliValue(). milli_value() saturates at the int64 limits beyond ~9.2e15 units.
  std::int64_t value() const;
  std::int64_t milli_value() const;

  friend std::strong_ordering operator<=>(const Quantity& a, const Quantity& b) {
    return a.nano_ <=> b.nano_;
  }
  friend bool operator==(const Quantity& a, const Quantity& b) { return a.nano_ == b.nano_; }

  // The regular expression for the CRD schema: the one Kubernetes (controller-gen) publishes
  // for quantities, except that the exponent of "1e3" must be an integer, because Kubernetes'
  // parser rejects "1e1.5" although its published pattern lets it through. It accepts exactly
  // what parse() accepts except values too large in magnitude, which no regex can bound.
  // parse() also rejects Kubernetes' lenient leftovers "+", "-" and "." (which it reads as 0)
  // and never trims whitespace, so these agree too.
  static constexpr std::string_view kPattern =
      "^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?[0-9]+))?$";

 private:
  std::string text_;
  __int128 nano_ = 0;
  bool written_as_number_ = false;
};

}  // namespace lambda::api
