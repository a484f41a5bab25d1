#include "common/json_yaml.h"

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <exception>
#include <limits>
#include <optional>
#include <sstream>
#include <unordered_map>
#include <utility>

namespace lambda::common {
namespace {

namespace json = boost::json;

// ---------------------------------------------------------------------------------------------
// UTF-8

struct CodePoint {
  char32_t value = 0;
  std::size_t length = 1;
  bool valid = false;
};

// Strict decoding (no overlongs, no surrogates, nothing above U+10FFFF), because the writers must
// know exactly which bytes they can pass through untouched.
CodePoint decode_utf8(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char lead = byte(i);
  CodePoint cp;
  if (lead < 0x80) return {lead, 1, true};
  std::size_t length = 0;
  char32_t min = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2, min = 0x80, cp.value = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3, min = 0x800, cp.value = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4, min = 0x10000, cp.value = lead & 0x07;
  } else {
    return cp;
  }
  if (i + length > s.size()) return cp;
  for (std::size_t k = 1; k < length; ++k) {
    const unsigned char c = byte(i + k);
    if ((c & 0xC0) != 0x80) return cp;
    cp.value = (cp.value << 6) | (c & 0x3F);
  }
  if (cp.value < min || cp.value > 0x10FFFF || (cp.value >= 0xD800 && cp.value <= 0xDFFF)) {
    return CodePoint{};
  }
  cp.length = length;
  cp.valid = true;
  return cp;
}

// ---------------------------------------------------------------------------------------------
// Numbers

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Which way a decimal literal falls outside double's range, judged from its text: std::from_chars
// reports both overflow and underflow as result_out_of_range without telling them apart.
bool literal_is_at_least_one(std::string_view text) {
  std::size_t i = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
  // Decimal exponent of the first significant digit, before applying the literal's exponent.
  long long position = 0;
  bool found = false;
  for (; i < text.size() && is_digit(text[i]); ++i) {
    if (found) {
      ++position;
    } else if (text[i] != '0') {
      found = true;
    }
  }
  if (i < text.size() && text[i] == '.') {
    long long zeros = 0;
    for (++i; i < text.size() && is_digit(text[i]); ++i) {
      if (found) continue;
      if (text[i] == '0') {
        ++zeros;
      } else {
        found = true;
        position = -(zeros + 1);
      }
    }
  }
  if (!found) return false;
  long long exponent = 0;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool negative = false;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';
    for (; i < text.size() && is_digit(text[i]); ++i) {
      if (exponent < 1'000'000'000) exponent = exponent * 10 + (text[i] - '0');
    }
    if (negative) exponent = -exponent;
  }
  return position + exponent >= 0;
}

enum class DoubleParse { kOk, kOverflow, kSyntax };

// Correctly rounded decimal -> double (Boost.JSON 1.81 may be off by an ulp). Underflow yields
// zero, as Go's strconv.ParseFloat does.
DoubleParse parse_double(std::string_view text, double& out) {
  std::string_view digits = text;
  if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
  const char* end = digits.data() + digits.size();
  auto [ptr, ec] = std::from_chars(digits.data(), end, out);
  if (ptr != end) return DoubleParse::kSyntax;
  if (ec == std::errc::result_out_of_range) {
    if (literal_is_at_least_one(text)) return DoubleParse::kOverflow;
    out = (!digits.empty() && digits.front() == '-') ? -0.0 : 0.0;
    return DoubleParse::kOk;
  }
  if (ec != std::errc()) return DoubleParse::kSyntax;
  return std::isfinite(out) ? DoubleParse::kOk : DoubleParse::kOverflow;
}

std::string format_double(double d) {
  if (!std::isfinite(d)) return "null";
  if (d == 0) return std::signbit(d) ? "-0" : "0";
  char buffer[64];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, d, std::chars_format::scientific);
  std::string scientific(buffer, result.ptr);
  const double magnitude = std::fabs(d);
  if (magnitude < 1e-6 || magnitude >= 1e21) {
    // Go's encoding/json writes 1e-7, not C's 1e-07.
    const std::size_t n = scientific.size();
    if (n >= 4 && scientific[n - 4] == 'e' && scientific[n - 3] == '-' &&
        scientific[n - 2] == '0') {
      scientific.erase(n - 2, 1);
    }
    return scientific;
  }
  // Lay the shortest digits out in positional notation ourselves: to_chars' fixed format prints
  // the exact binary value (1.2345678901234568e20 as 123456789012345683968) where Go prints the
  // shortest digits padded with zeros (123456789012345680000).
  std::string_view view = scientific;
  const bool negative = view.front() == '-';
  if (negative) view.remove_prefix(1);
  const std::size_t e = view.find('e');
  std::string digits;
  for (char c : view.substr(0, e)) {
    if (c != '.') digits += c;
  }
  std::string_view exponent_text = view.substr(e + 1);
  if (!exponent_text.empty() && exponent_text.front() == '+') exponent_text.remove_prefix(1);
  int exponent = 0;
  std::from_chars(exponent_text.data(), exponent_text.data() + exponent_text.size(), exponent);
  std::string out = negative ? "-" : "";
  if (exponent >= 0) {
    const std::size_t integer_length = static_cast<std::size_t>(exponent) + 1;
    if (digits.size() <= integer_length) {
      out += digits;
      out.append(integer_length - digits.size(), '0');
    } else {
      out.append(digits, 0, integer_length);
      out += '.';
      out.append(digits, integer_length);
    }
  } else {
    out += "0.";
    out.append(static_cast<std::size_t>(-exponent - 1), '0');
    out += digits;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// YAML scalar resolution, following gopkg.in/yaml.v2 (which sigs.k8s.io/yaml uses) so that a
// manifest means here what it means to kubectl.

constexpr std::string_view kNullWords[] = {"", "~", "null", "Null", "NULL"};
constexpr std::string_view kTrueWords[] = {"y",  "Y",  "yes",  "Yes",  "YES", "on",
                                           "On", "ON", "true", "True", "TRUE"};
constexpr std::string_view kFalseWords[] = {"n",   "N",   "no",    "No",    "NO",   "off",
                                            "Off", "OFF", "false", "False", "FALSE"};
constexpr std::string_view kNonFiniteWords[] = {".inf",  ".Inf",  ".INF",  "+.inf",
                                                "+.Inf", "+.INF", "-.inf", "-.Inf",
                                                "-.INF", ".nan",  ".NaN",  ".NAN"};

template <std::size_t N>
bool one_of(std::string_view s, const std::string_view (&words)[N]) {
  return std::find(std::begin(words), std::end(words), s) != std::end(words);
}

std::string without_underscores(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c != '_') out += c;
  }
  return out;
}

int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'z') return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  return 99;
}

// Go's strconv.ParseUint(s, 0, 64): 0x/0o/0b prefixes, and a bare leading 0 means octal.
std::optional<std::uint64_t> parse_go_unsigned(std::string_view s) {
  if (s.empty()) return std::nullopt;
  int base = 10;
  if (s[0] == '0') {
    const char p = s.size() >= 3 ? static_cast<char>(s[1] | 0x20) : '\0';
    if (p == 'x') {
      base = 16, s.remove_prefix(2);
    } else if (p == 'o') {
      base = 8, s.remove_prefix(2);
    } else if (p == 'b') {
      base = 2, s.remove_prefix(2);
    } else {
      base = 8, s.remove_prefix(1);
    }
  }
  std::uint64_t value = 0;
  for (char c : s) {
    const int d = digit_value(c);
    if (d >= base) return std::nullopt;
    if (value > (std::numeric_limits<std::uint64_t>::max() - static_cast<unsigned>(d)) /
                    static_cast<unsigned>(base)) {
      return std::nullopt;
    }
    value = value * static_cast<unsigned>(base) + static_cast<unsigned>(d);
  }
  return value;
}

// ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ -- go-yaml's yamlStyleFloat, which is also
// the YAML 1.2 core schema float syntax.
bool is_float_syntax(std::string_view s) {
  std::size_t i = 0;
  const std::size_t n = s.size();
  const auto digits = [&] {
    const std::size_t start = i;
    while (i < n && is_digit(s[i])) ++i;
    return i > start;
  };
  if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
  if (i < n && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  } else {
    if (!digits()) return false;
    if (i < n && s[i] == '.') {
      ++i;
      digits();
    }
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == n;
}

// Integer syntax in any base Go's ParseInt(s, 0, 64) knows, ignoring range.
bool is_int_syntax(std::string_view s) {
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) s.remove_prefix(1);
  if (s.empty()) return false;
  int base = 10;
  if (s.size() >= 3 && s[0] == '0') {
    const char p = static_cast<char>(s[1] | 0x20);
    if (p == 'x' || p == 'o' || p == 'b') {
      base = p == 'x' ? 16 : p == 'o' ? 8 : 2;
      s.remove_prefix(2);
    }
  }
  return std::all_of(s.begin(), s.end(), [&](char c) { return digit_value(c) < base; });
}

struct Resolved {
  enum class Kind { kNull, kBool, kInt, kFloat, kString, kNonFinite };
  Kind kind = Kind::kString;
  json::value value;
};

// The value a plain (unquoted, untagged) scalar stands for.
Resolved resolve_plain(std::string_view text) {
  using Kind = Resolved::Kind;
  if (one_of(text, kNullWords)) return {Kind::kNull, nullptr};
  if (one_of(text, kTrueWords)) return {Kind::kBool, true};
  if (one_of(text, kFalseWords)) return {Kind::kBool, false};
  if (one_of(text, kNonFiniteWords)) return {Kind::kNonFinite, nullptr};
  const char first = text.front();
  if (first == '.') {
    // go-yaml hands these to strconv.ParseFloat as they are; Go accepts '_' only between digits.
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '_' &&
          (i == 0 || i + 1 == text.size() || !is_digit(text[i - 1]) || !is_digit(text[i + 1]))) {
        return {Kind::kString, json::string(text)};
      }
    }
    const std::string plain = without_underscores(text);
    double d = 0;
    if (is_float_syntax(plain) && parse_double(plain, d) == DoubleParse::kOk) {
      return {Kind::kFloat, d};
    }
    return {Kind::kString, json::string(text)};
  }
  if (!is_digit(first) && first != '+' && first != '-') return {Kind::kString, json::string(text)};

  const std::string plain = without_underscores(text);
  std::string_view unsigned_part = plain;
  const bool negative = !plain.empty() && plain[0] == '-';
  if (!plain.empty() && (plain[0] == '+' || plain[0] == '-')) unsigned_part.remove_prefix(1);
  if (auto magnitude = parse_go_unsigned(unsigned_part)) {
    constexpr std::uint64_t kInt64Limit = std::uint64_t{1} << 63;
    if (!negative && *magnitude < kInt64Limit) {
      return {Kind::kInt, static_cast<std::int64_t>(*magnitude)};
    }
    if (negative && *magnitude <= kInt64Limit) {
      // Negate in unsigned arithmetic so that -2^63 does not overflow.
      return {Kind::kInt, static_cast<std::int64_t>(~*magnitude + 1)};
    }
    if (!negative && plain[0] != '+') return {Kind::kInt, *magnitude};
  }
  if (is_float_syntax(plain)) {
    double d = 0;
    // An overflowing literal stays a string: strconv.ParseFloat fails and go-yaml gives up.
    if (parse_double(plain, d) == DoubleParse::kOk) return {Kind::kFloat, d};
  }
  return {Kind::kString, json::string(text)};
}

// ---------------------------------------------------------------------------------------------
// YAML reading

constexpr std::size_t kMaxAliasBytes = std::size_t{64} << 20;
// YAML's limit on implicit keys (`key: value`, `{"key": value}`), which yaml-cpp enforces.
constexpr std::size_t kMaxImplicitKeyLength = 1024;
constexpr std::string_view kLongKeyMessage =
    "a mapping key may be at most 1024 characters long unless written as an explicit `? key`";
constexpr std::string_view kYamlTagPrefix = "tag:yaml.org,2002:";

// Thrown from the event handler; never leaves this file.
struct Failure {
  std::string message;
  YAML::Mark mark;
};

[[noreturn]] void fail(std::string message, const YAML::Mark& mark) {
  throw Failure{std::move(message), mark};
}

std::string display_tag(std::string_view tag) {
  if (tag.starts_with(kYamlTagPrefix)) return "!!" + std::string(tag.substr(kYamlTagPrefix.size()));
  return std::string(tag);
}

std::string quoted(std::string_view s) { return to_json(json::string(s), false); }

std::string depth_message() {
  return fmt::format("nesting is deeper than {} levels", kMaxNestingDepth);
}

// Builds JSON values straight from yaml-cpp's parse events, so that we see tags, anchors and
// positions, can detect duplicate keys, and can bound alias expansion before copying anything.
class YamlBuilder final : public YAML::EventHandler {
 public:
  std::vector<json::value>& documents() { return documents_; }
  const std::vector<YAML::Mark>& document_marks() const { return document_marks_; }
  // Index the document being read would have had among the returned (non-empty) documents.
  int document_index() const { return static_cast<int>(documents_.size()); }

  // `source` is the text yaml-cpp reads, without a UTF-8 byte order mark (marks do not count it);
  // empty when mark positions cannot be mapped back to it.
  explicit YamlBuilder(std::string_view source) : source_(source) {}

  void OnDocumentStart(const YAML::Mark& mark) override {
    // yaml-cpp quietly starts a new document where a reader following the spec (go-yaml, and so
    // kubectl) reports an error, e.g. at `b: 1` in "- a\nb: 1". Such input is almost always a
    // mistake, so insist on the `---` the spec requires.
    if (documents_started_++ > 0 && !source_.empty() && !starts_document(source_, mark.pos)) {
      fail("unexpected content after the end of the document (a new document must start with ---)",
           mark);
    }
    anchors_.clear();
    stack_.clear();
    root_ = nullptr;
    document_mark_ = mark;
  }

  void OnDocumentEnd() override {
    // kubectl skips documents that are empty or decode to null.
    if (!root_.is_null()) {
      documents_.push_back(std::move(root_));
      document_marks_.push_back(document_mark_);
    }
    root_ = nullptr;
  }

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (expecting_key()) {
      // yaml-cpp reports an over-long key in a flow mapping as a null key at the key's start.
      if (long_key_at(mark.pos)) fail(std::string(kLongKeyMessage), mark);
      fail("a mapping key is empty or null; quote it (\"null\") to use the text as a key", mark);
    }
    count(1, 0, mark);
    Node node;
    remember(anchor, node);
    deliver(std::move(node), mark);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& text) override {
    count(1, text.size(), mark);
    Node node;
    node.key_text = text;
    if (expecting_key()) {
      check_scalar_tag(tag, mark);
      node.merge_key = tag == "?" && text == "<<";
      // The key's own value matters only if an alias reuses it as a value; resolution may fail
      // (".inf") without the key itself being wrong.
      if (anchor != YAML::NullAnchor) {
        try {
          node.value = resolve(tag, text, mark);
        } catch (const Failure&) {
          node.value = json::string(text);
        }
      }
    } else {
      node.value = resolve(tag, text, mark);
    }
    remember(anchor, node);
    deliver(std::move(node), mark);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) fail("alias refers to an unknown anchor", mark);
    const Anchored& anchored = it->second;
    if (!anchored.complete) {
      fail(fmt::format("alias *{} refers to a node that contains the alias", anchored.name), mark);
    }
    alias_bytes_ += anchored.bytes;
    if (alias_bytes_ > kMaxAliasBytes) {
      fail(fmt::format("aliases expand to more than {} MiB of text", kMaxAliasBytes >> 20), mark);
    }
    count(anchored.nodes, anchored.bytes, mark);
    if (stack_.size() + anchored.height > kMaxNestingDepth) fail(depth_message(), mark);
    Node node(anchored.value, anchored.key_text);
    node.height = anchored.height;
    deliver(std::move(node), mark);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(mark, tag, anchor, false);
  }
  void OnSequenceEnd() override { close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(mark, tag, anchor, true);
  }
  void OnMapEnd() override { close(); }

  void OnAnchor(const YAML::Mark&, const std::string& name) override { anchor_name_ = name; }

 private:
  // A finished value on its way into its parent.
  struct Node {
    explicit Node(json::value v = nullptr, std::optional<std::string> key = std::nullopt)
        : value(std::move(v)), key_text(std::move(key)) {}

    json::value value;
    std::optional<std::string> key_text;  // what the node means as a mapping key (scalars only)
    std::size_t height = 0;               // containers on the longest path down from here
    bool merge_key = false;
  };

  struct Anchored {
    json::value value;
    std::optional<std::string> key_text;
    std::size_t nodes = 1;
    std::size_t bytes = 0;
    std::size_t height = 0;
    bool complete = false;
    std::string name;
  };

  struct Frame {
    bool is_map = false;
    json::value value;
    YAML::Mark mark;
    YAML::anchor_t anchor = YAML::NullAnchor;
    std::size_t first_node = 0;
    std::size_t first_byte = 0;
    std::size_t height = 1;
    // Mapping state: the key waiting for its value, and where each explicit key first appeared.
    bool has_key = false;
    bool merge = false;
    std::string key;
    YAML::Mark key_mark;
    std::unordered_map<std::string, int> key_lines;
  };

  bool expecting_key() const {
    return !stack_.empty() && stack_.back().is_map && !stack_.back().has_key;
  }

  void count(std::size_t nodes, std::size_t bytes, const YAML::Mark& mark) {
    nodes_ += nodes;
    bytes_ += bytes;
    if (nodes_ > kMaxYamlNodes) {
      fail(fmt::format("the input has more than {} nodes once aliases are expanded", kMaxYamlNodes),
           mark);
    }
  }

  void check_scalar_tag(const std::string& tag, const YAML::Mark& mark) {
    static constexpr std::string_view kKnown[] = {"str",  "int",  "float",
                                                  "bool", "null", "timestamp"};
    if (tag == "?" || tag == "!") return;
    if (tag.starts_with(kYamlTagPrefix) &&
        one_of(std::string_view(tag).substr(kYamlTagPrefix.size()), kKnown)) {
      return;
    }
    fail(fmt::format("unsupported tag {} on a scalar", display_tag(tag)), mark);
  }

  json::value resolve(const std::string& tag, const std::string& text, const YAML::Mark& mark) {
    using Kind = Resolved::Kind;
    check_scalar_tag(tag, mark);
    if (tag == "!") return json::string(text);
    const std::string_view name =
        tag == "?" ? std::string_view() : std::string_view(tag).substr(kYamlTagPrefix.size());
    if (name == "str" || name == "timestamp") return json::string(text);
    Resolved resolved = resolve_plain(text);
    const auto wrong = [&] {
      fail(fmt::format("cannot read {} as {}", quoted(text), display_tag(tag)), mark);
    };
    if (resolved.kind == Kind::kNonFinite) {
      fail(fmt::format("{} is not a finite number; JSON cannot represent infinity or NaN", text),
           mark);
    }
    if (name.empty()) return std::move(resolved.value);
    if (name == "null" && resolved.kind != Kind::kNull) wrong();
    if (name == "bool" && resolved.kind != Kind::kBool) wrong();
    if (name == "int" && resolved.kind != Kind::kInt) wrong();
    if (name == "float") {
      if (resolved.kind == Kind::kInt) return resolved.value.to_number<double>();
      if (resolved.kind != Kind::kFloat) wrong();
    }
    return std::move(resolved.value);
  }

  void remember(YAML::anchor_t anchor, const Node& node) {
    if (anchor == YAML::NullAnchor) return;
    Anchored& anchored = anchors_[anchor];
    anchored = Anchored{};
    anchored.value = node.value;
    anchored.key_text = node.key_text;
    anchored.bytes = node.key_text ? node.key_text->size() : 0;
    anchored.complete = true;
    anchored.name = std::exchange(anchor_name_, {});
  }

  void open(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor, bool is_map) {
    if (tag != "?" && tag != "!" && tag != std::string(kYamlTagPrefix) + (is_map ? "map" : "seq")) {
      fail(fmt::format("unsupported tag {} on a {}", display_tag(tag),
                       is_map ? "mapping" : "sequence"),
           mark);
    }
    if (expecting_key()) fail("mapping keys must be scalars", mark);
    if (stack_.size() >= kMaxNestingDepth) fail(depth_message(), mark);
    count(1, 0, mark);
    Frame frame;
    frame.is_map = is_map;
    frame.value = is_map ? json::value(json::object()) : json::value(json::array());
    frame.mark = mark;
    frame.anchor = anchor;
    frame.first_node = nodes_ - 1;
    frame.first_byte = bytes_;
    if (anchor != YAML::NullAnchor) {
      Anchored& anchored = anchors_[anchor];
      anchored = Anchored{};
      anchored.name = std::exchange(anchor_name_, {});
    }
    stack_.push_back(std::move(frame));
  }

  void close() {
    if (stack_.back().has_key) deliver(Node(), stack_.back().key_mark);
    Frame frame = std::move(stack_.back());
    stack_.pop_back();
    Node node(std::move(frame.value));
    node.height = frame.height;
    if (frame.anchor != YAML::NullAnchor) {
      Anchored& anchored = anchors_[frame.anchor];
      anchored.value = node.value;
      anchored.nodes = nodes_ - frame.first_node;
      anchored.bytes = bytes_ - frame.first_byte;
      anchored.height = frame.height;
      anchored.complete = true;
    }
    deliver(std::move(node), frame.mark);
  }

  void deliver(Node node, const YAML::Mark& mark) {
    if (stack_.empty()) {
      root_ = std::move(node.value);
      return;
    }
    Frame& top = stack_.back();
    if (!top.is_map) {
      top.value.get_array().push_back(std::move(node.value));
      top.height = std::max(top.height, node.height + 1);
      return;
    }
    if (!top.has_key) {
      if (!node.key_text) fail("mapping keys must be scalars", mark);
      top.has_key = true;
      top.key = std::move(*node.key_text);
      top.key_mark = mark;
      top.merge = node.merge_key;
      return;
    }
    top.has_key = false;
    top.height = std::max(top.height, node.height + 1);
    auto [it, inserted] = top.key_lines.emplace(top.key, top.key_mark.line + 1);
    if (!inserted) {
      fail(fmt::format("duplicate key {} (first defined on line {})", quoted(top.key), it->second),
           top.key_mark);
    }
    json::object& object = top.value.get_object();
    if (top.merge) {
      merge(object, std::move(node.value), top.key_mark);
    } else {
      // Assignment (not insertion) so an explicit key overrides one brought in by `<<`.
      object[top.key] = std::move(node.value);
    }
  }

  // YAML merge keys (`<<: *defaults`), which go-yaml and therefore kubectl support. Keys already
  // present win, and among several merged mappings the earlier one wins, as the spec says.
  static void merge(json::object& target, json::value source, const YAML::Mark& mark) {
    const auto merge_one = [&](json::object& from) {
      for (auto& member : from) {
        if (!target.contains(member.key())) target.emplace(member.key(), std::move(member.value()));
      }
    };
    if (source.is_object()) {
      merge_one(source.get_object());
      return;
    }
    if (source.is_array()) {
      for (auto& element : source.get_array()) {
        if (!element.is_object()) {
          fail("the value of a merge key (<<) must be a mapping or a sequence of mappings", mark);
        }
        merge_one(element.get_object());
      }
      return;
    }
    fail("the value of a merge key (<<) must be a mapping or a sequence of mappings", mark);
  }

  // Whether a key too long for an implicit key starts at `pos`: quoted keys are measured to their
  // closing quote, plain ones to the next flow indicator or line break.
  bool long_key_at(int pos) const {
    if (pos < 0 || static_cast<std::size_t>(pos) >= source_.size()) return false;
    const std::string_view rest = source_.substr(static_cast<std::size_t>(pos));
    std::size_t end = rest.size();
    if (rest.front() == '"' || rest.front() == '\'') {
      const char quote = rest.front();
      for (std::size_t i = 1; i < rest.size(); ++i) {
        if (quote == '"' && rest[i] == '\\') {
          ++i;
        } else if (rest[i] == quote) {
          if (quote == '\'' && i + 1 < rest.size() && rest[i + 1] == '\'') {
            ++i;
            continue;
          }
          end = i + 1;
          break;
        }
      }
    } else {
      end = std::min(rest.find_first_of(",]}\n"), rest.find(": "));
    }
    // Somewhat below the limit: readers disagree on exactly what they count, and a genuinely
    // null key is never this long.
    return end != std::string_view::npos && end > kMaxImplicitKeyLength - 24;
  }

  // Whether a document beginning at `pos` begins the way the spec allows: with `---`, or right
  // after a document that ended with `...` (comments and blank lines in between).
  static bool starts_document(std::string_view source, int pos) {
    if (pos < 0 || static_cast<std::size_t>(pos) > source.size()) return true;
    std::size_t end = static_cast<std::size_t>(pos);
    if (source.substr(end).starts_with("---")) return true;
    while (true) {
      const std::size_t newline = end == 0 ? std::string_view::npos : source.rfind('\n', end - 1);
      const std::size_t start = newline == std::string_view::npos ? 0 : newline + 1;
      std::string_view line = source.substr(start, end - start);
      const std::size_t first = line.find_first_not_of(" \t\r");
      line = first == std::string_view::npos ? std::string_view() : line.substr(first);
      if (!line.empty() && line.front() != '#') {
        return line.starts_with("...") && (line.size() == 3 || line[3] == ' ' || line[3] == '\t' ||
                                           line[3] == '\r' || line[3] == '#');
      }
      if (start == 0) return false;
      end = start - 1;
    }
  }

  std::string_view source_;
  int documents_started_ = 0;
  std::vector<json::value> documents_;
  std::vector<YAML::Mark> document_marks_;
  YAML::Mark document_mark_;
  json::value root_;
  std::vector<Frame> stack_;
  std::unordered_map<YAML::anchor_t, Anchored> anchors_;
  std::string anchor_name_;
  std::size_t nodes_ = 0;
  std::size_t bytes_ = 0;
  std::size_t alias_bytes_ = 0;
};

ParseError error_at(std::string message, const YAML::Mark& mark, int document) {
  ParseError error;
  error.message = std::move(message);
  if (!mark.is_null() && mark.line >= 0) {
    error.line = mark.line + 1;
    error.column = mark.column + 1;
  }
  error.document = document;
  return error;
}

// The text yaml-cpp's marks index into, or empty if they do not index into `text` (yaml-cpp
// transcodes UTF-16/32 input, which it recognises by a byte order mark or by NUL bytes).
std::string_view mark_source(std::string_view text) {
  if (text.find('\0') != std::string_view::npos) return {};
  if (text.starts_with("\xFE\xFF") || text.starts_with("\xFF\xFE")) return {};
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  return text;
}

std::optional<ParseError> read_yaml(std::string_view text, YamlBuilder& builder) {
  try {
    std::istringstream input{std::string(text)};
    YAML::Parser parser(input);
    while (parser.HandleNextDocument(builder)) {
    }
    return std::nullopt;
  } catch (const Failure& failure) {
    return error_at(failure.message, failure.mark, builder.document_index());
  } catch (const YAML::Exception& e) {
    // A plain or quoted key past the limit makes yaml-cpp fail at the `:` that follows it.
    if (e.mark.column > static_cast<int>(kMaxImplicitKeyLength) && e.msg == "illegal map value") {
      return error_at(e.msg + " (" + std::string(kLongKeyMessage) + ")", e.mark,
                      builder.document_index());
    }
    return error_at(e.msg, e.mark, builder.document_index());
  } catch (const std::exception& e) {
    return error_at(e.what(), YAML::Mark::null_mark(), builder.document_index());
  } catch (...) {
    return error_at("unexpected error while reading YAML", YAML::Mark::null_mark(),
                    builder.document_index());
  }
}

// ---------------------------------------------------------------------------------------------
// JSON reading

// Builds the value itself (rather than using boost::json::parse) to reject duplicate keys, which
// Boost.JSON silently collapses, and to round numbers correctly.
class JsonHandler {
 public:
  static constexpr std::size_t max_array_size = std::numeric_limits<std::size_t>::max();
  static constexpr std::size_t max_object_size = std::numeric_limits<std::size_t>::max();
  static constexpr std::size_t max_string_size = std::numeric_limits<std::size_t>::max();
  static constexpr std::size_t max_key_size = std::numeric_limits<std::size_t>::max();

  enum class Problem { kNone, kDuplicateKey, kNumberRange };

  json::value root;
  Problem problem = Problem::kNone;
  std::string problem_text;

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_array_begin(json::error_code&) {
    stack_.push_back({json::array(), {}});
    return true;
  }
  bool on_array_end(std::size_t, json::error_code&) { return close(); }
  bool on_object_begin(json::error_code&) {
    stack_.push_back({json::object(), {}});
    return true;
  }
  bool on_object_end(std::size_t, json::error_code&) { return close(); }
  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    text_.append(s.data(), s.size());
    return true;
  }
  bool on_string(json::string_view s, std::size_t, json::error_code&) {
    text_.append(s.data(), s.size());
    add(json::string(text_));
    text_.clear();
    return true;
  }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    text_.append(s.data(), s.size());
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code& ec) {
    text_.append(s.data(), s.size());
    Frame& top = stack_.back();
    if (top.value.get_object().contains(text_)) {
      problem = Problem::kDuplicateKey;
      problem_text = text_;
      ec = json::error::syntax;
      return false;
    }
    top.key = std::move(text_);
    text_.clear();
    return true;
  }
  bool on_number_part(json::string_view s, json::error_code&) {
    number_.append(s.data(), s.size());
    return true;
  }
  bool on_int64(std::int64_t i, json::string_view, json::error_code&) {
    number_.clear();
    add(i);
    return true;
  }
  bool on_uint64(std::uint64_t u, json::string_view, json::error_code&) {
    number_.clear();
    add(u);
    return true;
  }
  bool on_double(double, json::string_view s, json::error_code& ec) {
    number_.append(s.data(), s.size());
    double d = 0;
    if (parse_double(number_, d) != DoubleParse::kOk) {
      problem = Problem::kNumberRange;
      problem_text = number_;
      ec = json::error::syntax;
      return false;
    }
    number_.clear();
    add(d);
    return true;
  }
  bool on_bool(bool b, json::error_code&) {
    add(b);
    return true;
  }
  bool on_null(json::error_code&) {
    add(nullptr);
    return true;
  }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

 private:
  struct Frame {
    json::value value;
    std::string key;
  };

  void add(json::value v) {
    if (stack_.empty()) {
      root = std::move(v);
      return;
    }
    Frame& top = stack_.back();
    if (top.value.is_array()) {
      top.value.get_array().push_back(std::move(v));
    } else {
      top.value.get_object().emplace(top.key, std::move(v));
    }
  }

  bool close() {
    json::value v = std::move(stack_.back().value);
    stack_.pop_back();
    add(std::move(v));
    return true;
  }

  std::vector<Frame> stack_;
  std::string text_;
  std::string number_;
};

bool is_json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

ParseError error_at_offset(std::string_view text, std::size_t offset, std::string message) {
  ParseError error;
  error.message = std::move(message);
  error.line = 1;
  error.column = 1;
  offset = std::min(offset, text.size());
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++error.line;
      error.column = 1;
    } else {
      ++error.column;
    }
  }
  return error;
}

// The opening quote of the key whose closing quote Boost.JSON stopped at (or just before).
std::size_t key_start(std::string_view text, std::size_t stop) {
  if (text.empty()) return 0;
  std::size_t close = std::min(stop, text.size() - 1);
  while (close > 0 && text[close] != '"') --close;
  for (std::size_t i = close; i > 0; --i) {
    if (text[i - 1] != '"') continue;
    // Inside the key every quote is escaped, so the first unescaped one is the opening quote.
    std::size_t backslashes = 0;
    for (std::size_t k = i - 1; k > 0 && text[k - 1] == '\\'; --k) ++backslashes;
    if (backslashes % 2 == 0) return i - 1;
  }
  return stop;
}

// ---------------------------------------------------------------------------------------------
// JSON writing

constexpr char kHexLower[] = "0123456789abcdef";
constexpr char kHexUpper[] = "0123456789ABCDEF";

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (std::size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const CodePoint cp = decode_utf8(s, i);
      if (cp.valid) {
        out.append(s, i, cp.length);
        i += cp.length;
      } else {
        // JSON text must be UTF-8; Go's encoding/json makes the same substitution.
        out += "\\ufffd";
        ++i;
      }
      continue;
    }
    ++i;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHexLower[c >> 4];
          out += kHexLower[c & 0xF];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void write_json(std::string& out, const json::value& v, bool pretty, std::size_t indent) {
  const auto newline = [&](std::size_t spaces) {
    if (!pretty) return;
    out += '\n';
    out.append(spaces, ' ');
  };
  switch (v.kind()) {
    case json::kind::null:
      out += "null";
      return;
    case json::kind::bool_:
      out += v.get_bool() ? "true" : "false";
      return;
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      out += format_number(v);
      return;
    case json::kind::string:
      append_json_string(out, v.get_string());
      return;
    case json::kind::array: {
      const json::array& array = v.get_array();
      if (array.empty()) {
        out += "[]";
        return;
      }
      out += '[';
      for (std::size_t i = 0; i < array.size(); ++i) {
        if (i > 0) out += ',';
        newline(indent + 2);
        write_json(out, array[i], pretty, indent + 2);
      }
      newline(indent);
      out += ']';
      return;
    }
    case json::kind::object: {
      const json::object& object = v.get_object();
      if (object.empty()) {
        out += "{}";
        return;
      }
      out += '{';
      bool first = true;
      for (const auto& member : object) {
        if (!first) out += ',';
        first = false;
        newline(indent + 2);
        append_json_string(out, member.key());
        out += pretty ? ": " : ":";
        write_json(out, member.value(), pretty, indent + 2);
      }
      newline(indent);
      out += '}';
      return;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// YAML writing

// True when some character cannot appear verbatim in a plain or single-quoted scalar: line
// breaks (including YAML 1.1's NEL, LS and PS), other controls, the BOM, non-characters, and
// bytes that are not UTF-8. With allow_newline, '\n' is tolerated (for block literals).
bool needs_escape(std::string_view s, bool allow_newline) {
  for (std::size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c == '\n' ? !allow_newline : (c < 0x20 && c != '\t') || c == 0x7F) return true;
      ++i;
      continue;
    }
    const CodePoint cp = decode_utf8(s, i);
    if (!cp.valid) return true;
    const char32_t v = cp.value;
    if (v <= 0x9F || v == 0x2028 || v == 0x2029 || v == 0xFEFF || v == 0xFFFE || v == 0xFFFF) {
      return true;
    }
    i += cp.length;
  }
  return false;
}

bool looks_like_timestamp(std::string_view s) {
  std::size_t i = 0;
  const auto digits = [&](std::size_t min, std::size_t max) {
    std::size_t n = 0;
    while (i < s.size() && n < max && is_digit(s[i])) ++i, ++n;
    return n >= min;
  };
  if (!digits(4, 4) || i >= s.size() || s[i++] != '-') return false;
  if (!digits(1, 2) || i >= s.size() || s[i++] != '-') return false;
  if (!digits(1, 2)) return false;
  if (i == s.size()) return true;
  if (s[i] != 'T' && s[i] != 't' && s[i] != ' ' && s[i] != '\t') return false;
  return s.find_first_not_of("0123456789:.+-Zz Tt\t", i) == std::string_view::npos;
}

// YAML 1.1 sexagesimal numbers (1:30, 190:20:30.15), which go-yaml quotes when it writes.
bool looks_like_base60(std::string_view s) {
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  if (i >= s.size() || !is_digit(s[i])) return false;
  while (i < s.size() && (is_digit(s[i]) || s[i] == '_')) ++i;
  bool groups = false;
  while (i < s.size() && s[i] == ':') {
    ++i;
    std::size_t n = 0;
    while (i < s.size() && is_digit(s[i]) && n < 2) ++i, ++n;
    if (n == 0 || (n == 2 && s[i - 2] > '5')) return false;
    groups = true;
  }
  if (!groups) return false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && (is_digit(s[i]) || s[i] == '_')) ++i;
  }
  return i == s.size();
}

// Whether some YAML reader -- ours, go-yaml v2 (YAML 1.1), or a YAML 1.2 core-schema one -- could
// take the plain scalar for something other than this string.
bool plain_would_resolve_otherwise(std::string_view s) {
  if (one_of(s, kNullWords) || one_of(s, kTrueWords) || one_of(s, kFalseWords) ||
      one_of(s, kNonFiniteWords) || s == "<<" || s == "=") {
    return true;
  }
  const char first = s.front();
  if (is_digit(first) || first == '+' || first == '-' || first == '.') {
    const std::string plain = without_underscores(s);
    if (is_int_syntax(plain) || is_float_syntax(plain)) return true;
  }
  return looks_like_timestamp(s) || looks_like_base60(s);
}

// Whether a string that needs no escapes may be written without quotes in block context.
bool plain_allowed(std::string_view s) {
  constexpr std::string_view kIndicators = "-?:,[]{}#&*!|>'\"%@`";
  if (s.empty() || s.front() == ' ' || s.back() == ' ' || s.back() == ':') return false;
  if (s.find('\t') != std::string_view::npos) return false;
  // A leading dash is harmless unless it reads as a sequence entry; allowing it keeps command
  // lines (`- --port=80`) readable.
  if (s.front() == '-') {
    if (s.size() == 1 || s[1] == ' ') return false;
  } else if (kIndicators.find(s.front()) != std::string_view::npos) {
    return false;
  }
  if (s.starts_with("---") || s.starts_with("...")) return false;
  if (s.find(": ") != std::string_view::npos || s.find(" #") != std::string_view::npos) {
    return false;
  }
  return !plain_would_resolve_otherwise(s);
}

void append_yaml_double_quoted(std::string& out, std::string_view s) {
  out += '"';
  const auto hex4 = [&](char32_t v) {
    out += "\\u";
    for (int shift = 12; shift >= 0; shift -= 4) out += kHexUpper[(v >> shift) & 0xF];
  };
  for (std::size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const CodePoint cp = decode_utf8(s, i);
      if (!cp.valid) {
        // YAML has no way to write a raw byte; substitute like to_json does.
        hex4(0xFFFD);
        ++i;
        continue;
      }
      const char32_t v = cp.value;
      if (v <= 0x9F || v == 0x2028 || v == 0x2029 || v == 0xFEFF || v == 0xFFFE || v == 0xFFFF) {
        hex4(v);
      } else {
        out.append(s, i, cp.length);
      }
      i += cp.length;
      continue;
    }
    ++i;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\0':
        out += "\\0";
        break;
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\v':
        out += "\\v";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\r':
        out += "\\r";
        break;
      case 0x1B:
        out += "\\e";
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          out += "\\x";
          out += kHexUpper[c >> 4];
          out += kHexUpper[c & 0xF];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void append_yaml_single_quoted(std::string& out, std::string_view s) {
  out += '\'';
  for (char c : s) {
    if (c == '\'') out += '\'';
    out += c;
  }
  out += '\'';
}

// A string on one line, quoted the way go-yaml (and so kubectl) would: double quotes when the
// plain text would read as another type ("1", "true") or needs escapes, single quotes when only
// YAML syntax is in the way ('*', ': x').
void append_yaml_inline_string(std::string& out, std::string_view s) {
  if (needs_escape(s, false) || plain_would_resolve_otherwise(s)) {
    append_yaml_double_quoted(out, s);
  } else if (plain_allowed(s)) {
    out += s;
  } else {
    append_yaml_single_quoted(out, s);
  }
}

// Whether `|` can reproduce the string exactly. Trailing whitespace on a line would survive but
// is routinely stripped by editors, and a leading space on the first line would need an
// indentation indicator; both go double-quoted instead.
bool literal_allowed(std::string_view s) {
  if (s.find('\n') == std::string_view::npos) return false;
  if (s.find_first_not_of('\n') == std::string_view::npos) return false;
  if (needs_escape(s, true)) return false;
  bool seen_content = false;
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t end = s.find('\n', start);
    if (end == std::string_view::npos) end = s.size();
    const std::string_view line = s.substr(start, end - start);
    if (!line.empty()) {
      if (line.back() == ' ' || line.back() == '\t') return false;
      if (!seen_content && (line.front() == ' ' || line.front() == '\t')) return false;
      seen_content = true;
    }
    start = end + 1;
  }
  return true;
}

void append_literal(std::string& out, std::string_view s, std::size_t indent) {
  std::size_t trailing = 0;
  while (trailing < s.size() && s[s.size() - 1 - trailing] == '\n') ++trailing;
  out += trailing == 0 ? "|-\n" : trailing == 1 ? "|\n" : "|+\n";
  const std::string_view body = s.substr(0, s.size() - trailing);
  std::size_t start = 0;
  while (start <= body.size()) {
    std::size_t end = body.find('\n', start);
    if (end == std::string_view::npos) end = body.size();
    if (end > start) {
      out.append(indent, ' ');
      out.append(body, start, end - start);
    }
    out += '\n';
    start = end + 1;
  }
  // With `|+` every newline past the first is an empty line of its own.
  if (trailing > 1) out.append(trailing - 1, '\n');
}

// Keys near kMaxImplicitKeyLength are written as explicit `? key` entries (with some margin, as
// readers differ in whether they count bytes or characters and where the key ends).
constexpr std::size_t kMaxImplicitKey = 1000;

class YamlWriter {
 public:
  std::string out;

  void document(const json::value& v) {
    if (is_block_collection(v)) {
      collection(v, 0);
    } else {
      scalar(v, 2);
    }
  }

 private:
  static bool is_block_collection(const json::value& v) {
    return (v.is_object() && !v.get_object().empty()) || (v.is_array() && !v.get_array().empty());
  }

  // A value that fits after "key: " or "- ": everything but non-empty collections. Block
  // literals continue on the following lines at `indent`.
  void scalar(const json::value& v, std::size_t indent) {
    switch (v.kind()) {
      case json::kind::null:
        out += "null";
        break;
      case json::kind::bool_:
        out += v.get_bool() ? "true" : "false";
        break;
      case json::kind::int64:
      case json::kind::uint64:
      case json::kind::double_:
        out += format_number(v);
        break;
      case json::kind::string: {
        const std::string_view s = v.get_string();
        if (literal_allowed(s)) {
          append_literal(out, s, indent);
          return;
        }
        append_yaml_inline_string(out, s);
        break;
      }
      case json::kind::array:
        out += "[]";
        break;
      case json::kind::object:
        out += "{}";
        break;
    }
    out += '\n';
  }

  // A non-empty collection whose first entry starts at the cursor, which is at column `indent`.
  void collection(const json::value& v, std::size_t indent) {
    bool first = true;
    if (v.is_array()) {
      for (const auto& element : v.get_array()) {
        if (!first) out.append(indent, ' ');
        first = false;
        out += "- ";
        if (is_block_collection(element)) {
          collection(element, indent + 2);
        } else {
          scalar(element, indent + 2);
        }
      }
      return;
    }
    for (const auto& member : v.get_object()) {
      if (!first) out.append(indent, ' ');
      first = false;
      std::string key;
      append_yaml_inline_string(key, member.key());
      if (key.size() > kMaxImplicitKey) {
        out += "? ";
        out += key;
        out += '\n';
        out.append(indent, ' ');
        out += ':';
      } else {
        out += key;
        out += ':';
      }
      value_after_key(member.value(), indent);
    }
  }

  void value_after_key(const json::value& v, std::size_t indent) {
    if (!is_block_collection(v)) {
      out += ' ';
      scalar(v, indent + 2);
      return;
    }
    out += '\n';
    // Sequences stay at the key's indentation, as kubectl prints them.
    const std::size_t child = v.is_object() ? indent + 2 : indent;
    out.append(child, ' ');
    collection(v, child);
  }
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Public API

std::string ParseError::to_string() const {
  if (line <= 0) return message;
  if (column <= 0) return fmt::format("line {}: {}", line, message);
  return fmt::format("line {}, column {}: {}", line, column, message);
}

tl::expected<boost::json::value, ParseError> parse_json(std::string_view text) {
  std::size_t offset = 0;
  // RFC 8259 lets a parser ignore a byte order mark; files saved by some Windows editors have one.
  if (text.starts_with("\xEF\xBB\xBF")) offset = 3;
  const std::string_view body = text.substr(offset);
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return tl::unexpected(error_at_offset(text, text.size(), "empty JSON document"));
  }
  json::parse_options options;
  options.max_depth = kMaxNestingDepth;
  try {
    json::basic_parser<JsonHandler> parser(options);
    json::error_code ec;
    const std::size_t consumed = parser.write_some(false, body.data(), body.size(), ec);
    if (ec) {
      const JsonHandler& handler = parser.handler();
      switch (handler.problem) {
        case JsonHandler::Problem::kDuplicateKey:
          return tl::unexpected(
              error_at_offset(text, key_start(text, offset + consumed),
                              fmt::format("duplicate key {}", quoted(handler.problem_text))));
        case JsonHandler::Problem::kNumberRange: {
          const std::size_t end = offset + consumed;
          const std::size_t start =
              end >= handler.problem_text.size() ? end - handler.problem_text.size() : end;
          return tl::unexpected(error_at_offset(
              text, start,
              fmt::format("number {} is out of range for a double", handler.problem_text)));
        }
        case JsonHandler::Problem::kNone:
          break;
      }
      std::string message = ec == json::error::too_deep ? depth_message() : ec.message();
      return tl::unexpected(error_at_offset(text, offset + consumed, std::move(message)));
    }
    std::size_t rest = consumed;
    while (rest < body.size() && is_json_space(body[rest])) ++rest;
    if (rest < body.size()) {
      return tl::unexpected(
          error_at_offset(text, offset + rest, "unexpected text after the JSON value"));
    }
    return std::move(parser.handler().root);
  } catch (const std::exception& e) {
    return tl::unexpected(ParseError{e.what()});
  } catch (...) {
    return tl::unexpected(ParseError{"unexpected error while reading JSON"});
  }
}

tl::expected<std::vector<boost::json::value>, ParseError> parse_yaml_documents(
    std::string_view text) {
  YamlBuilder builder(mark_source(text));
  if (auto error = read_yaml(text, builder)) return tl::unexpected(std::move(*error));
  return std::move(builder.documents());
}

tl::expected<boost::json::value, ParseError> parse_yaml(std::string_view text) {
  YamlBuilder builder(mark_source(text));
  if (auto error = read_yaml(text, builder)) return tl::unexpected(std::move(*error));
  auto& documents = builder.documents();
  if (documents.empty()) return json::value(nullptr);
  if (documents.size() > 1) {
    return tl::unexpected(
        error_at(fmt::format("expected a single YAML document but found {}", documents.size()),
                 builder.document_marks()[1], 1));
  }
  return std::move(documents.front());
}

std::string to_yaml(const boost::json::value& value) {
  YamlWriter writer;
  writer.document(value);
  return std::move(writer.out);
}

std::string to_yaml_documents(const std::vector<boost::json::value>& documents) {
  std::string out;
  for (std::size_t i = 0; i < documents.size(); ++i) {
    if (i > 0) out += "---\n";
    out += to_yaml(documents[i]);
  }
  return out;
}

std::string to_json(const boost::json::value& value, bool pretty) {
  std::string out;
  write_json(out, value, pretty, 0);
  if (pretty) out += '\n';
  return out;
}

std::string format_number(const boost::json::value& number) {
  char buffer[32];
  switch (number.kind()) {
    case json::kind::int64: {
      auto result = std::to_chars(buffer, buffer + sizeof buffer, number.get_int64());
      return std::string(buffer, result.ptr);
    }
    case json::kind::uint64: {
      auto result = std::to_chars(buffer, buffer + sizeof buffer, number.get_uint64());
      return std::string(buffer, result.ptr);
    }
    case json::kind::double_:
      return format_double(number.get_double());
    default:
      return to_json(number, false);
  }
}

}  // namespace lambda::common
