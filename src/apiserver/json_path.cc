#include "apiserver/json_path.h"

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <deque>
#include <limits>
#include <optional>

#include "apiserver/structural_schema.h"

namespace lambda::apiserver {

namespace json = boost::json;

struct JsonPath::Node {
  enum class Type {
    kField,
    kWildcard,
    kRecursive,
    kArray,
    kFilter,
    kUnion,
    kText,
    kInt,
    kFloat,
    kBool,
    kIdentifier,
  };
  struct Param {
    std::int64_t value = 0;
    bool known = false;
    bool derived = false;
  };

  Type type = Type::kField;
  std::string text;  // field name, text literal or identifier
  std::int64_t int_value = 0;
  double float_value = 0;
  bool bool_value = false;
  Param params[3];                       // kArray: start, end, step
  std::vector<Node> left;                // kFilter
  std::vector<Node> right;               // kFilter
  std::string op;                        // kFilter: "==", "<", ..., "exists"
  std::vector<std::vector<Node>> lists;  // kUnion
};

namespace {

using Node = JsonPath::Node;
using Nodes = std::vector<Node>;

constexpr char32_t kEof = 0xFFFFFFFF;

// Sub-expressions (unions, quoted keys, filter operands) are parsed recursively; real paths
// nest two or three levels.
constexpr int kMaxParseDepth = 8;

bool is_space(char32_t r) { return r == ' ' || r == '\t'; }
bool is_end_of_line(char32_t r) { return r == '\r' || r == '\n'; }
bool is_digit(char32_t r) { return r >= '0' && r <= '9'; }

bool is_terminator(char32_t r) {
  if (is_space(r) || is_end_of_line(r)) return true;
  switch (r) {
    case kEof:
    case '.':
    case ',':
    case '[':
    case ']':
    case '$':
    case '@':
    case '{':
    case '}':
      return true;
    default:
      return false;
  }
}

// unicode.IsLetter/IsDigit without tables: every non-ASCII rune counts as a letter.
bool is_alphanumeric(char32_t r) {
  return r == '_' || is_digit(r) || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') ||
         (r >= 0x80 && r != kEof);
}

void append_utf8(std::string& out, char32_t r) {
  if (r < 0x80) {
    out += static_cast<char>(r);
  } else if (r < 0x800) {
    out += static_cast<char>(0xC0 | (r >> 6));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else if (r < 0x10000) {
    out += static_cast<char>(0xE0 | (r >> 12));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (r >> 18));
    out += static_cast<char>(0x80 | ((r >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  }
}

// fmt's %#U: "U+0023 '#'" (the character only when printable).
std::string format_rune(char32_t r) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "U+%04X", static_cast<unsigned>(r));
  std::string out = buffer;
  if ((r >= 0x20 && r < 0x7F) || r >= 0xA0) {
    out += " '";
    append_utf8(out, r);
    out += "'";
  }
  return out;
}

std::optional<std::int64_t> parse_int(std::string_view s) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  if (s.empty() || (s[0] == '-' && s.size() == 1)) return std::nullopt;
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

bool is_hex(char c) {
  return is_digit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f') ||
         (c >= 'A' && c <= 'F');
}

// jsonpath.UnquoteExtend: strconv.Unquote that also takes single-quoted strings.
tl::expected<std::string, std::string> unquote_extend(std::string_view s) {
  const auto syntax = tl::unexpected(std::string("invalid syntax"));
  if (s.size() < 2 || s.front() != s.back() || (s.front() != '"' && s.front() != '\'')) {
    return syntax;
  }
  const char quote = s.front();
  s = s.substr(1, s.size() - 2);
  std::string out;
  while (!s.empty()) {
    const char c = s[0];
    if (c == quote) return syntax;
    if (c != '\\') {
      out += c;
      s.remove_prefix(1);
      continue;
    }
    if (s.size() < 2) return syntax;
    const char e = s[1];
    s.remove_prefix(2);
    switch (e) {
      case 'a':
        out += '\a';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'v':
        out += '\v';
        break;
      case '\\':
        out += '\\';
        break;
      case '\'':
      case '"':
        if (e != quote) return syntax;
        out += e;
        break;
      case 'x':
      case 'u':
      case 'U': {
        const std::size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        if (s.size() < n || !std::all_of(s.begin(), s.begin() + static_cast<long>(n), is_hex)) {
          return syntax;
        }
        std::uint32_t value = 0;
        std::from_chars(s.data(), s.data() + n, value, 16);
        s.remove_prefix(n);
        if (e == 'x') {
          out += static_cast<char>(value);
        } else {
          if (value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return syntax;
          append_utf8(out, value);
        }
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          if (s.size() < 2 || s[0] < '0' || s[0] > '7' || s[1] < '0' || s[1] > '7') return syntax;
          const int value = (e - '0') * 64 + (s[0] - '0') * 8 + (s[1] - '0');
          if (value > 255) return syntax;
          out += static_cast<char>(value);
          s.remove_prefix(2);
          break;
        }
        return syntax;
    }
  }
  return out;
}

// A port of client-go's jsonpath parser, limited to one action.
class Parser {
 public:
  Parser(std::string_view input, int depth) : in_(input), depth_(depth) {}

  // Parses "{...}" at the start of the input; `rest` is what follows the closing brace.
  tl::expected<Nodes, std::string> parse_action(std::string_view& rest) {
    if (depth_ > kMaxParseDepth) return tl::unexpected(std::string("path nests too deeply"));
    if (in_.empty() || in_[0] != '{') return tl::unexpected(std::string("expected {"));
    pos_ = start_ = 1;
    Nodes nodes;
    if (auto ok = inside_action(nodes); !ok) return tl::unexpected(ok.error());
    rest = in_.substr(pos_);
    return nodes;
  }

 private:
  char32_t next() {
    if (pos_ >= in_.size()) {
      width_ = 0;
      return kEof;
    }
    const auto c = static_cast<unsigned char>(in_[pos_]);
    char32_t r = c;
    width_ = 1;
    if (c >= 0x80) {
      // Enough of UTF-8 to step over multi-byte characters; validity does not matter here.
      width_ = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
      width_ = std::min(width_, in_.size() - pos_);
      if (width_ == 1) {
        pos_ += 1;
        return 0xFFFD;
      }
      r = c & (0x3F >> (width_ - 1));
      for (std::size_t k = 1; k < width_; ++k) {
        r = (r << 6) | (static_cast<unsigned char>(in_[pos_ + k]) & 0x3F);
      }
    }
    pos_ += width_;
    return r;
  }
  void backup() { pos_ -= width_; }
  char32_t peek() {
    const char32_t r = next();
    backup();
    return r;
  }
  std::string_view consume_text() {
    const auto text = in_.substr(start_, pos_ - start_);
    start_ = pos_;
    return text;
  }
  bool starts_with(std::string_view prefix) const {
    return in_.substr(pos_).substr(0, prefix.size()) == prefix;
  }

  // A nested expression, parsed as client-go's parseAction does: "{" + text + "}".
  tl::expected<Nodes, std::string> sub_action(std::string_view text) const {
    const std::string wrapped = "{" + std::string(text) + "}";
    Parser sub(wrapped, depth_ + 1);
    std::string_view ignored;
    return sub.parse_action(ignored);
  }

  tl::expected<void, std::string> inside_action(Nodes& cur) {
    for (;;) {
      if (starts_with("}")) {
        pos_ += 1;
        consume_text();
        return {};
      }
      if (starts_with("[?(")) {
        if (auto ok = parse_filter(cur); !ok) return ok;
        continue;
      }
      if (starts_with("..")) {
        if (auto ok = parse_recursive(cur); !ok) return ok;
        continue;
      }
      const char32_t r = next();
      if (r == kEof || is_end_of_line(r)) return tl::unexpected(std::string("unclosed action"));
      tl::expected<void, std::string> ok;
      if (r == ' ' || r == '@' || r == '$') {
        consume_text();
      } else if (r == '[') {
        ok = parse_array(cur);
      } else if (r == '"' || r == '\'') {
        ok = parse_quote(cur, r);
      } else if (r == '.') {
        ok = parse_field(cur);
      } else if (r == '+' || r == '-' || is_digit(r)) {
        backup();
        ok = parse_number(cur);
      } else if (is_alphanumeric(r)) {
        backup();
        ok = parse_identifier(cur);
      } else {
        return tl::unexpected("unrecognized character in action: " + format_rune(r));
      }
      if (!ok) return ok;
    }
  }

  bool advance() {
    const char32_t r = next();
    if (r == '\\') {
      next();
    } else if (is_terminator(r)) {
      backup();
      return false;
    }
    return true;
  }

  tl::expected<void, std::string> parse_field(Nodes& cur) {
    consume_text();
    while (advance()) {
    }
    const std::string_view value = consume_text();
    Node node;
    if (value == "*") {
      node.type = Node::Type::kWildcard;
    } else {
      node.type = Node::Type::kField;
      for (char c : value) {
        if (c != '\\') node.text += c;
      }
    }
    cur.push_back(std::move(node));
    return {};
  }

  tl::expected<void, std::string> parse_recursive(Nodes& cur) {
    if (!cur.empty() && cur.back().type == Node::Type::kRecursive) {
      return tl::unexpected(std::string("invalid multiple recursive descent"));
    }
    pos_ += 2;
    consume_text();
    Node node;
    node.type = Node::Type::kRecursive;
    cur.push_back(std::move(node));
    if (is_alphanumeric(peek())) return parse_field(cur);
    return {};
  }

  tl::expected<void, std::string> parse_number(Nodes& cur) {
    char32_t r = peek();
    if (r == '+' || r == '-') next();
    for (;;) {
      r = next();
      if (r != '.' && !is_digit(r)) {
        backup();
        break;
      }
    }
    const std::string_view value = consume_text();
    Node node;
    if (const auto i = parse_int(value)) {
      node.type = Node::Type::kInt;
      node.int_value = *i;
    } else {
      std::string_view digits = value;
      if (!digits.empty() && digits[0] == '+') digits.remove_prefix(1);
      double d = 0;
      const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), d);
      if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
        return tl::unexpected("cannot parse number " + std::string(value));
      }
      node.type = Node::Type::kFloat;
      node.float_value = d;
    }
    cur.push_back(std::move(node));
    return {};
  }

  tl::expected<void, std::string> parse_array(Nodes& cur) {
    for (;;) {
      const char32_t r = next();
      if (r == kEof || r == '\n') return tl::unexpected(std::string("unterminated array"));
      if (r == ']') break;
    }
    std::string_view text = consume_text();
    text = text.substr(1, text.size() - 2);
    if (text == "*") text = ":";

    // Union: [a,b].
    if (text.find(',') != std::string_view::npos) {
      Node node;
      node.type = Node::Type::kUnion;
      std::size_t start = 0;
      for (;;) {
        const auto comma = text.find(',', start);
        std::string_view part =
            text.substr(start, comma == std::string_view::npos ? comma : comma - start);
        while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
        while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
        auto list = sub_action("[" + std::string(part) + "]");
        if (!list) return tl::unexpected(list.error());
        node.lists.push_back(std::move(*list));
        if (comma == std::string_view::npos) break;
        start = comma + 1;
      }
      cur.push_back(std::move(node));
      return {};
    }

    // Dict key: ['key'], re-read as the path ".key".
    if (text.size() >= 2 && text.front() == '\'' && text.back() == '\'' &&
        text.substr(1, text.size() - 2).find('\'') == std::string_view::npos) {
      auto list = sub_action("." + std::string(text.substr(1, text.size() - 2)));
      if (!list) return tl::unexpected(list.error());
      for (auto& node : *list) cur.push_back(std::move(node));
      return {};
    }

    // Slice: ^(-?\d*)(:-?\d*)?(:-?\d*)?$
    std::string_view groups[3];
    std::size_t i = 0;
    const auto signed_digits = [&](std::size_t from) {
      std::size_t j = from;
      if (j < text.size() && text[j] == '-') ++j;
      while (j < text.size() && is_digit(static_cast<unsigned char>(text[j]))) ++j;
      return j;
    };
    std::size_t end = signed_digits(0);
    groups[0] = text.substr(0, end);
    i = end;
    for (int g = 1; g < 3 && i < text.size() && text[i] == ':'; ++g) {
      end = signed_digits(i + 1);
      groups[g] = text.substr(i, end - i);
      i = end;
    }
    if (i != text.size()) return tl::unexpected("invalid array index " + std::string(text));
    Node node;
    node.type = Node::Type::kArray;
    for (int g = 0; g < 3; ++g) {
      auto& param = node.params[g];
      std::string_view value = groups[g];
      if (!value.empty()) {
        if (g > 0) value.remove_prefix(1);
        if (g > 0 && value.empty()) {
          param.known = false;
        } else {
          const auto parsed = parse_int(value);
          if (!parsed)
            return tl::unexpected("array index " + std::string(value) + " is not a number");
          param.known = true;
          param.value = *parsed;
        }
      } else if (g == 1) {
        param.known = true;
        param.value = node.params[0].value + 1;
        param.derived = true;
      }
    }
    cur.push_back(std::move(node));
    return {};
  }

  tl::expected<void, std::string> parse_filter(Nodes& cur) {
    pos_ += 3;
    consume_text();
    bool begin = false;
    bool end = false;
    char32_t pair = 0;
    for (;;) {
      const char32_t r = next();
      if (r == kEof || r == '\n') return tl::unexpected(std::string("unterminated filter"));
      if (r == '"' || r == '\'') {
        if (!begin) {
          begin = true;
          pair = r;
          continue;
        }
        if (in_[pos_ - 2] != '\\' && r == pair) end = true;
      } else if (r == ')') {
        if (begin == end) break;
      }
    }
    if (next() != ']') return tl::unexpected(std::string("unclosed array expect ]"));
    std::string_view text = consume_text();
    text = text.substr(0, text.size() - 2);

    // ^([^!<>=]+)([!<>=~]+)(.+?)$
    const auto is_operator = [](char c) {
      return std::string_view("!<>=~").find(c) != std::string_view::npos;
    };
    std::size_t left_end = 0;
    while (left_end < text.size() &&
           std::string_view("!<>=").find(text[left_end]) == std::string_view::npos) {
      ++left_end;
    }
    std::size_t op_end = left_end;
    while (op_end < text.size() && is_operator(text[op_end])) ++op_end;
    if (op_end == text.size() && op_end - left_end > 1) --op_end;  // (.+?) needs one character
    Node node;
    node.type = Node::Type::kFilter;
    if (left_end == 0 || op_end == left_end || op_end == text.size()) {
      auto left = sub_action(text);
      if (!left) return tl::unexpected(left.error());
      node.left = std::move(*left);
      node.op = "exists";
    } else {
      auto left = sub_action(text.substr(0, left_end));
      if (!left) return tl::unexpected(left.error());
      auto right = sub_action(text.substr(op_end));
      if (!right) return tl::unexpected(right.error());
      node.left = std::move(*left);
      node.right = std::move(*right);
      node.op = std::string(text.substr(left_end, op_end - left_end));
    }
    cur.push_back(std::move(node));
    return {};
  }

  tl::expected<void, std::string> parse_quote(Nodes& cur, char32_t quote) {
    for (;;) {
      const char32_t r = next();
      if (r == kEof || r == '\n') return tl::unexpected(std::string("unterminated quoted string"));
      if (r == quote && in_[pos_ - 2] != '\\') break;
    }
    const std::string_view value = consume_text();
    auto text = unquote_extend(value);
    if (!text) {
      return tl::unexpected("unquote string " + std::string(value) + " error " + text.error());
    }
    Node node;
    node.type = Node::Type::kText;
    node.text = std::move(*text);
    cur.push_back(std::move(node));
    return {};
  }

  tl::expected<void, std::string> parse_identifier(Nodes& cur) {
    for (;;) {
      if (is_terminator(next())) {
        backup();
        break;
      }
    }
    const std::string_view value = consume_text();
    Node node;
    if (value == "true" || value == "false") {
      node.type = Node::Type::kBool;
      node.bool_value = value == "true";
    } else {
      node.type = Node::Type::kIdentifier;
      node.text = std::string(value);
    }
    cur.push_back(std::move(node));
    return {};
  }

  std::string_view in_;
  std::size_t pos_ = 0;
  std::size_t start_ = 0;
  std::size_t width_ = 0;
  int depth_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Evaluation, following client-go's JSONPath with AllowMissingKeys(true). Like the Go code,
// each step returns values even when it fails, since a filter's `exists` looks at them.
// ---------------------------------------------------------------------------------------------

// A value on the way: a JSON value, or a byte of a string (what Go's wildcard yields for
// strings, compared as an unsigned integer).
struct Item {
  const json::value* value = nullptr;
  bool byte = false;
};
using Items = std::vector<Item>;

struct Outcome {
  Items items;
  bool failed = false;
};

enum class BasicKind { kInvalid, kBool, kInt, kUint, kFloat, kString };

class Evaluator {
 public:
  Outcome list(const Items& input, const Nodes& nodes) {
    Items current = input;
    for (const auto& node : nodes) {
      Outcome step = walk(current, node);
      if (step.failed) return step;
      current = std::move(step.items);
    }
    return {std::move(current), false};
  }

 private:
  const json::value* own(json::value v) {
    arena_.push_back(std::move(v));
    return &arena_.back();
  }

  Outcome walk(const Items& input, const Node& node) {
    switch (node.type) {
      case Node::Type::kText:
        return {{Item{own(json::value(node.text))}}, false};
      case Node::Type::kInt:
      case Node::Type::kFloat:
      case Node::Type::kBool: {
        const json::value* literal =
            own(node.type == Node::Type::kInt     ? json::value(node.int_value)
                : node.type == Node::Type::kFloat ? json::value(node.float_value)
                                                  : json::value(node.bool_value));
        return {Items(input.size(), Item{literal}), false};
      }
      case Node::Type::kField:
        return field(input, node);
      case Node::Type::kArray:
        return array(input, node);
      case Node::Type::kFilter:
        return filter(input, node);
      case Node::Type::kWildcard:
        return wildcard(input);
      case Node::Type::kRecursive:
        return recursive(input);
      case Node::Type::kUnion: {
        Items out;
        for (const auto& nodes : node.lists) {
          Outcome part = list(input, nodes);
          if (part.failed) return {input, true};
          out.insert(out.end(), part.items.begin(), part.items.end());
        }
        return {std::move(out), false};
      }
      case Node::Type::kIdentifier:
        return {input, true};  // range/end templates are not served
    }
    return {input, true};
  }

  static bool is_nil(const Item& item) { return !item.byte && item.value->is_null(); }

  Outcome field(const Items& input, const Node& node) {
    Items out;
    for (const auto& item : input) {
      if (is_nil(item) || item.byte || !item.value->is_object()) continue;
      if (const auto* v = item.value->get_object().if_contains(node.text)) out.push_back({v});
    }
    return {std::move(out), false};
  }

  Outcome array(const Items& input, const Node& node) {
    Items out;
    for (const auto& item : input) {
      if (is_nil(item)) continue;
      if (item.byte || !item.value->is_array()) return {input, true};
      const auto& a = item.value->get_array();
      const auto length = static_cast<std::int64_t>(a.size());
      Node::Param params[3] = {node.params[0], node.params[1], node.params[2]};
      if (!params[0].known) params[0].value = 0;
      if (params[0].value < 0) params[0].value += length;
      if (!params[1].known) params[1].value = length;
      if (params[1].value < 0 || (params[1].value == 0 && params[1].derived)) {
        params[1].value += length;
      }
      if (params[1].value == params[0].value) return {std::move(out), false};
      if (params[0].value >= length || params[0].value < 0) return {input, true};
      if (params[1].value > length || params[1].value < 0) return {input, true};
      if (params[0].value > params[1].value) return {input, true};
      std::int64_t step = 1;
      if (params[2].known) {
        if (params[2].value <= 0) return {input, true};
        step = params[2].value;
      }
      for (std::int64_t i = params[0].value; i < params[1].value; i += step) {
        out.push_back({&a[static_cast<std::size_t>(i)]});
      }
    }
    return {std::move(out), false};
  }

  // The children Go's wildcard and recursive descent see: members, elements, or a string's bytes.
  void children(const Item& item, Items& out) {
    if (item.byte) return;
    const json::value& v = *item.value;
    if (v.is_object()) {
      for (const auto& m : v.get_object()) out.push_back({&m.value()});
    } else if (v.is_array()) {
      for (const auto& e : v.get_array()) out.push_back({&e});
    } else if (v.is_string()) {
      for (unsigned char c : v.get_string())
        out.push_back({own(json::value(std::int64_t{c})), true});
    }
  }

  Outcome wildcard(const Items& input) {
    Items out;
    for (const auto& item : input) {
      if (!is_nil(item)) children(item, out);
    }
    return {std::move(out), false};
  }

  Outcome recursive(const Items& input) {
    Items out;
    for (const auto& item : input) {
      if (is_nil(item)) continue;
      Items kids;
      children(item, kids);
      if (kids.empty()) continue;
      out.push_back(item);
      Outcome deeper = recursive(kids);
      out.insert(out.end(), deeper.items.begin(), deeper.items.end());
    }
    return {std::move(out), false};
  }

  static BasicKind basic_kind(const Item& item) {
    if (item.byte) return BasicKind::kUint;
    switch (item.value->kind()) {
      case json::kind::bool_:
        return BasicKind::kBool;
      case json::kind::int64:
        return BasicKind::kInt;
      case json::kind::uint64:
      case json::kind::double_:
        return BasicKind::kFloat;
      case json::kind::string:
        return BasicKind::kString;
      default:
        return BasicKind::kInvalid;
    }
  }

  static double number(const Item& item) {
    const auto& v = *item.value;
    return v.is_int64()    ? static_cast<double>(v.get_int64())
           : v.is_uint64() ? static_cast<double>(v.get_uint64())
                           : v.get_double();
  }

  // text/template's eq and lt: same basic kinds only (signed/unsigned integers mix).
  static std::optional<bool> equal(const Item& a, const Item& b) {
    const BasicKind ka = basic_kind(a);
    const BasicKind kb = basic_kind(b);
    if (ka == BasicKind::kInvalid || kb == BasicKind::kInvalid) return std::nullopt;
    if (ka != kb) {
      if ((ka == BasicKind::kInt && kb == BasicKind::kUint) ||
          (ka == BasicKind::kUint && kb == BasicKind::kInt)) {
        return a.value->as_int64() == b.value->as_int64();
      }
      return std::nullopt;
    }
    switch (ka) {
      case BasicKind::kBool:
        return a.value->get_bool() == b.value->get_bool();
      case BasicKind::kInt:
      case BasicKind::kUint:
        return a.value->as_int64() == b.value->as_int64();
      case BasicKind::kFloat:
        return number(a) == number(b);
      case BasicKind::kString:
        return a.value->get_string() == b.value->get_string();
      default:
        return std::nullopt;
    }
  }

  static std::optional<bool> less(const Item& a, const Item& b) {
    const BasicKind ka = basic_kind(a);
    const BasicKind kb = basic_kind(b);
    if (ka == BasicKind::kInvalid || kb == BasicKind::kInvalid) return std::nullopt;
    if (ka != kb) {
      if ((ka == BasicKind::kInt && kb == BasicKind::kUint) ||
          (ka == BasicKind::kUint && kb == BasicKind::kInt)) {
        return a.value->as_int64() < b.value->as_int64();
      }
      return std::nullopt;
    }
    switch (ka) {
      case BasicKind::kInt:
      case BasicKind::kUint:
        return a.value->as_int64() < b.value->as_int64();
      case BasicKind::kFloat:
        return number(a) < number(b);
      case BasicKind::kString:
        return a.value->get_string() < b.value->get_string();
      default:
        return std::nullopt;  // booleans are not ordered
    }
  }

  static std::optional<bool> compare(std::string_view op, const Item& a, const Item& b) {
    if (op == "==") return equal(a, b);
    if (op == "!=") {
      const auto e = equal(a, b);
      return e ? std::optional<bool>(!*e) : std::nullopt;
    }
    if (op == "<") return less(a, b);
    if (op == ">=") {
      const auto l = less(a, b);
      return l ? std::optional<bool>(!*l) : std::nullopt;
    }
    if (op == "<=" || op == ">") {
      const auto l = less(a, b);
      if (!l) return std::nullopt;
      bool le = *l;
      if (!le) {
        const auto e = equal(a, b);
        if (!e) return std::nullopt;
        le = *e;
      }
      return op == "<=" ? le : !le;
    }
    return std::nullopt;  // unrecognized filter operator
  }

  Outcome filter(const Items& input, const Node& node) {
    Items out;
    for (const auto& item : input) {
      if (item.byte || !item.value->is_array()) return {input, true};
      for (const auto& element : item.value->get_array()) {
        const Items here{Item{&element}};
        Outcome lefts = list(here, node.left);
        if (node.op == "exists") {
          if (!lefts.items.empty()) out.push_back({&element});
          continue;
        }
        if (lefts.failed) return {input, true};
        if (lefts.items.empty()) continue;
        if (lefts.items.size() > 1) return {input, true};
        Outcome rights = list(here, node.right);
        if (rights.failed) return {input, true};
        if (rights.items.empty()) continue;
        if (rights.items.size() > 1) return {input, true};
        const auto pass = compare(node.op, lefts.items[0], rights.items[0]);
        if (!pass) return {std::move(out), true};
        if (*pass) out.push_back({&element});
      }
    }
    return {std::move(out), false};
  }

  std::deque<json::value> arena_;
};

// time.Parse(time.RFC3339, s) as seconds and nanoseconds since the Unix epoch.
struct Instant {
  std::int64_t seconds = 0;
  std::int64_t nanos = 0;
};

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::optional<Instant> parse_rfc3339(std::string_view s) {
  const auto digits = [&](std::size_t at, std::size_t n) -> std::optional<int> {
    if (at + n > s.size()) return std::nullopt;
    int value = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (!is_digit(static_cast<unsigned char>(s[i]))) return std::nullopt;
      value = value * 10 + (s[i] - '0');
    }
    return value;
  };
  const auto year = digits(0, 4);
  const auto month = digits(5, 2);
  const auto day = digits(8, 2);
  const auto hour = digits(11, 2);
  const auto minute = digits(14, 2);
  const auto second = digits(17, 2);
  if (!year || !month || !day || !hour || !minute || !second || s[4] != '-' || s[7] != '-' ||
      s[10] != 'T' || s[13] != ':' || s[16] != ':') {
    return std::nullopt;
  }
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (*month < 1 || *month > 12 || *hour > 23 || *minute > 59 || *second > 59) return std::nullopt;
  const bool leap = *year % 4 == 0 && (*year % 100 != 0 || *year % 400 == 0);
  const int days_in_month = *month == 2 && leap ? 29 : kDays[*month - 1];
  if (*day < 1 || *day > days_in_month) return std::nullopt;
  std::size_t i = 19;
  std::int64_t nanos = 0;
  if (i + 1 < s.size() && (s[i] == '.' || s[i] == ',') &&
      is_digit(static_cast<unsigned char>(s[i + 1]))) {
    ++i;
    int scale = 0;
    while (i < s.size() && is_digit(static_cast<unsigned char>(s[i]))) {
      if (scale < 9) {
        nanos = nanos * 10 + (s[i] - '0');
        ++scale;
      }
      ++i;
    }
    for (; scale < 9; ++scale) nanos *= 10;
  }
  std::int64_t offset = 0;
  const auto zone = s.substr(i);
  if (zone == "Z") {
    offset = 0;
  } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
    const auto zh = digits(i + 1, 2);
    const auto zm = digits(i + 4, 2);
    if (!zh || !zm || *zh > 23 || *zm > 59) return std::nullopt;
    offset = (*zh * 3600 + *zm * 60) * (zone[0] == '-' ? -1 : 1);
  } else {
    return std::nullopt;
  }
  const std::int64_t seconds =
      days_from_civil(*year, static_cast<unsigned>(*month), static_cast<unsigned>(*day)) * 86400 +
      *hour * 3600 + *minute * 60 + *second - offset;
  return Instant{seconds, nanos};
}

std::int64_t go_float_to_int64(double value) {
  constexpr double kTwo63 = 9223372036854775808.0;
  if (std::isnan(value) || value >= kTwo63 || value < -kTwo63) {
    return std::numeric_limits<std::int64_t>::min();
  }
  return static_cast<std::int64_t>(value);
}

}  // namespace

tl::expected<JsonPath, std::string> JsonPath::parse(std::string_view text) {
  // kube-apiserver wraps the CRD's jsonPath in braces itself; an already braced path is accepted.
  const std::string wrapped =
      !text.empty() && text.front() == '{' ? std::string(text) : "{" + std::string(text) + "}";
  Parser parser(wrapped, 0);
  std::string_view rest;
  auto nodes = parser.parse_action(rest);
  if (!nodes) return tl::unexpected(nodes.error());
  if (!rest.empty()) {
    return tl::unexpected("only one {...} expression is supported, found more after it: " +
                          std::string(rest));
  }
  return JsonPath(std::string(text), std::make_shared<const Nodes>(std::move(*nodes)));
}

std::vector<json::value> JsonPath::evaluate(const json::value& root) const {
  Evaluator evaluator;
  Outcome outcome = evaluator.list({Item{&root}}, *nodes_);
  std::vector<json::value> out;
  if (outcome.failed) return out;
  out.reserve(outcome.items.size());
  for (const auto& item : outcome.items) out.push_back(*item.value);
  return out;
}

std::string human_duration(std::chrono::nanoseconds age) {
  const std::int64_t d = age.count();
  const std::int64_t seconds = d / 1'000'000'000;
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 60 * 2) return std::to_string(seconds) + "s";
  const std::int64_t minutes = d / 60'000'000'000;
  if (minutes < 10) {
    const std::int64_t s = seconds % 60;
    return s == 0 ? std::to_string(minutes) + "m"
                  : std::to_string(minutes) + "m" + std::to_string(s) + "s";
  }
  if (minutes < 60 * 3) return std::to_string(minutes) + "m";
  const std::int64_t hours = d / 3'600'000'000'000;
  if (hours < 8) {
    const std::int64_t m = minutes % 60;
    return m == 0 ? std::to_string(hours) + "h"
                  : std::to_string(hours) + "h" + std::to_string(m) + "m";
  }
  if (hours < 48) return std::to_string(hours) + "h";
  if (hours < 24 * 8) {
    const std::int64_t h = hours % 24;
    return h == 0 ? std::to_string(hours / 24) + "d"
                  : std::to_string(hours / 24) + "d" + std::to_string(h) + "h";
  }
  if (hours < 24 * 365 * 2) return std::to_string(hours / 24) + "d";
  if (hours < 24 * 365 * 8) {
    const std::int64_t dy = (hours / 24) % 365;
    return dy == 0 ? std::to_string(hours / 24 / 365) + "y"
                   : std::to_string(hours / 24 / 365) + "y" + std::to_string(dy) + "d";
  }
  return std::to_string(hours / 24 / 365) + "y";
}

json::value printer_cell(const std::vector<json::value>& results, std::string_view column_type,
                         std::chrono::system_clock::time_point now) {
  if (results.empty()) return nullptr;
  const json::value& value = results.front();
  if (column_type == "string") {
    // JSONPath.PrintResults: containers as JSON, the rest as fmt.Fprint prints it.
    switch (value.kind()) {
      case json::kind::null:
        return "<no value>";
      case json::kind::string:
        return value.get_string();
      case json::kind::bool_:
        return value.get_bool() ? "true" : "false";
      case json::kind::int64:
        return json::string(std::to_string(value.get_int64()));
      case json::kind::uint64:
        return json::string(go::format_float(static_cast<double>(value.get_uint64())));
      case json::kind::double_:
        return json::string(go::format_float(value.get_double()));
      default:
        return json::string(go::marshal(value));
    }
  }
  if (value.is_null()) return nullptr;
  if (column_type == "integer") {
    if (value.is_int64()) return value.get_int64();
    if (value.is_double()) return go_float_to_int64(value.get_double());
    if (value.is_uint64()) return go_float_to_int64(static_cast<double>(value.get_uint64()));
  } else if (column_type == "number") {
    if (value.is_number()) return value.to_number<double>();
  } else if (column_type == "boolean") {
    if (value.is_bool()) return value.get_bool();
  } else if (column_type == "date") {
    if (value.is_string()) {
      const std::string_view text = value.get_string();
      if (text.empty() || text == "null") return "<unknown>";
      const auto instant = parse_rfc3339(text);
      if (!instant) return "<invalid>";
      constexpr std::int64_t kZeroTime = -62135596800;  // 0001-01-01T00:00:00Z
      if (instant->seconds == kZeroTime && instant->nanos == 0) return "<unknown>";
      const auto since_epoch =
          std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch());
      const std::int64_t now_seconds = since_epoch.count() / 1'000'000'000;
      const std::int64_t now_nanos = since_epoch.count() % 1'000'000'000;
      // time.Since saturates; ages beyond ~292 years are printed as that.
      const __int128 age = (static_cast<__int128>(now_seconds) - instant->seconds) * 1'000'000'000 +
                           (now_nanos - instant->nanos);
      const __int128 clamped = std::clamp<__int128>(age, std::numeric_limits<std::int64_t>::min(),
                                                    std::numeric_limits<std::int64_t>::max());
      return json::string(
          human_duration(std::chrono::nanoseconds(static_cast<std::int64_t>(clamped))));
    }
  }
  return nullptr;
}

}  // namespace lambda::apiserver
