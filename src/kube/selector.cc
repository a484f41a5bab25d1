#include "kube/selector.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <cstdint>
#include <set>
#include <utility>

namespace lambda::kube {
namespace json = boost::json;

namespace {

// ---------------------------------------------------------------------------------------------
// Error text in the shape of k8s.io/apimachinery/pkg/util/validation/field.

// Go's %q: printable UTF-8 stays as it is, everything else is escaped.
std::string go_quote(std::string_view s) {
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\a':
          out += "\\a";
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
        case '\v':
          out += "\\v";
          break;
        default:
          if (c < 0x20 || c == 0x7f) {
            out += fmt::format("\\x{:02x}", c);
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    // Multi-byte sequence: copy it when well formed, escape the first byte otherwise.
    std::size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
    bool ok = len != 0 && c < 0xf5 && i + len <= s.size();
    for (std::size_t k = 1; ok && k < len; ++k) {
      ok = (static_cast<unsigned char>(s[i + k]) & 0xc0) == 0x80;
    }
    if (ok) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out += fmt::format("\\x{:02x}", c);
      ++i;
    }
  }
  out += '"';
  return out;
}

// How field.ErrorBody prints a []string bad value: encoding/json, nil as null.
std::string json_list(const std::vector<std::string>& values, bool nil_when_empty) {
  if (values.empty() && nil_when_empty) return "null";
  json::array a;
  for (const auto& v : values) a.emplace_back(v);
  return json::serialize(a);
}

std::string invalid(std::string_view field, std::string_view quoted_value,
                    std::string_view detail) {
  return fmt::format("{}: Invalid value: {}: {}", field, quoted_value, detail);
}

// utilerrors.NewAggregate(...).Error(): one message alone, several deduplicated in brackets.
std::string aggregate(const std::vector<std::string>& messages) {
  if (messages.size() == 1) return messages.front();
  std::vector<std::string> seen;
  for (const auto& m : messages) {
    if (std::find(seen.begin(), seen.end(), m) == seen.end()) seen.push_back(m);
  }
  if (seen.size() == 1) return seen.front();
  std::string out = "[";
  for (std::size_t i = 0; i < seen.size(); ++i) {
    if (i > 0) out += ", ";
    out += seen[i];
  }
  return out + "]";
}

// ---------------------------------------------------------------------------------------------
// k8s.io/apimachinery/pkg/util/validation: qualified names and label values.

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]
bool is_qualified_name_part(std::string_view s) {
  if (s.empty() || !is_alnum(s.front()) || !is_alnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return is_alnum(c) || c == '-' || c == '_' || c == '.'; });
}

bool is_dns1123_label(std::string_view s) {
  auto lower_alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (s.empty() || !lower_alnum(s.front()) || !lower_alnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) { return lower_alnum(c) || c == '-'; });
}

bool is_dns1123_subdomain_syntax(std::string_view s) {
  while (true) {
    auto dot = s.find('.');
    if (!is_dns1123_label(s.substr(0, dot))) return false;
    if (dot == std::string_view::npos) return true;
    s.remove_prefix(dot + 1);
  }
}

// validation.RegexError.
std::string regex_error(std::string_view msg, std::string_view regex,
                        std::initializer_list<std::string_view> examples) {
  std::string out(msg);
  out += " (e.g. ";
  bool first = true;
  for (auto e : examples) {
    if (!first) out += " or ";
    first = false;
    out += fmt::format("'{}', ", e);
  }
  out += fmt::format("regex used for validation is '{}')", regex);
  return out;
}

constexpr std::string_view kQualifiedNameFmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
constexpr std::string_view kQualifiedNameErrMsg =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character";
constexpr std::size_t kQualifiedNameMaxLength = 63;
constexpr std::size_t kLabelValueMaxLength = 63;
constexpr std::size_t kDns1123SubdomainMaxLength = 253;

std::vector<std::string> validate_qualified_name(std::string_view value) {
  std::vector<std::string> errs;
  std::string_view name = value;
  const auto slashes = std::count(value.begin(), value.end(), '/');
  if (slashes > 1) {
    errs.push_back(
        "a qualified name " +
        regex_error(kQualifiedNameErrMsg, kQualifiedNameFmt, {"MyName", "my.name", "123-abc"}) +
        " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
    return errs;
  }
  if (slashes == 1) {
    const auto slash = value.find('/');
    const std::string_view prefix = value.substr(0, slash);
    name = value.substr(slash + 1);
    if (prefix.empty()) {
      errs.push_back("prefix part must be non-empty");
    } else {
      if (prefix.size() > kDns1123SubdomainMaxLength) {
        errs.push_back(fmt::format("prefix part must be no more than {} characters",
                                   kDns1123SubdomainMaxLength));
      }
      if (!is_dns1123_subdomain_syntax(prefix)) {
        errs.push_back(
            "prefix part " +
            regex_error("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                        "characters, '-' or '.', and must start and end with an alphanumeric "
                        "character",
                        "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*",
                        {"example.com"}));
      }
    }
  }
  if (name.empty()) {
    errs.push_back("name part must be non-empty");
  } else if (name.size() > kQualifiedNameMaxLength) {
    errs.push_back(
        fmt::format("name part must be no more than {} characters", kQualifiedNameMaxLength));
  }
  if (!is_qualified_name_part(name)) {
    errs.push_back("name part " + regex_error(kQualifiedNameErrMsg, kQualifiedNameFmt,
                                              {"MyName", "my.name", "123-abc"}));
  }
  return errs;
}

std::vector<std::string> validate_label_value(std::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > kLabelValueMaxLength) {
    errs.push_back(fmt::format("must be no more than {} characters", kLabelValueMaxLength));
  }
  if (!value.empty() && !is_qualified_name_part(value)) {
    errs.push_back(regex_error(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "
        "or '.', and must start and end with an alphanumeric character",
        "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?", {"MyValue", "my_value", "12345"}));
  }
  return errs;
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += sep;
    out += parts[i];
  }
  return out;
}

// validateLabelKey with the field path the caller has (`<nil>` when parsing a string, `key` in
// NewRequirement).
std::optional<std::string> key_error(std::string_view key, std::string_view field) {
  auto errs = validate_qualified_name(key);
  if (errs.empty()) return std::nullopt;
  return invalid(field, go_quote(key), join(errs, "; "));
}

bool parse_int64(std::string_view s, std::int64_t& out) {
  // strconv.ParseInt(s, 10, 64) accepts a leading '+' or '-'.
  std::string_view digits = s;
  bool negative = false;
  if (!digits.empty() && (digits.front() == '+' || digits.front() == '-')) {
    negative = digits.front() == '-';
    digits.remove_prefix(1);
  }
  if (digits.empty()) return false;
  std::uint64_t magnitude = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) return false;
  constexpr std::uint64_t kMaxPositive = static_cast<std::uint64_t>(INT64_MAX);
  if (negative) {
    if (magnitude > kMaxPositive + 1) return false;
    out = magnitude == kMaxPositive + 1 ? INT64_MIN : -static_cast<std::int64_t>(magnitude);
  } else {
    if (magnitude > kMaxPositive) return false;
    out = static_cast<std::int64_t>(magnitude);
  }
  return true;
}

using Operator = LabelSelector::Operator;
using Requirement = LabelSelector::Requirement;

// labels.NewRequirement: validates and reports every problem at once.
tl::expected<Requirement, std::string> new_requirement(std::string key, Operator op,
                                                       std::vector<std::string> values) {
  std::vector<std::string> errs;
  if (auto e = key_error(key, "key")) errs.push_back(*e);
  switch (op) {
    case Operator::kIn:
    case Operator::kNotIn:
      if (values.empty()) {
        errs.push_back(invalid("values", json_list(values, true),
                               "for 'in', 'notin' operators, values set can't be empty"));
      }
      break;
    case Operator::kEquals:
    case Operator::kDoubleEquals:
    case Operator::kNotEquals:
      if (values.size() != 1) {
        errs.push_back(invalid("values", json_list(values, true),
                               "exact-match compatibility requires one single value"));
      }
      break;
    case Operator::kExists:
    case Operator::kDoesNotExist:
      if (!values.empty()) {
        errs.push_back(invalid("values", json_list(values, true),
                               "values set must be empty for exists and does not exist"));
      }
      break;
    case Operator::kGreaterThan:
    case Operator::kLessThan:
      if (values.size() != 1) {
        errs.push_back(invalid("values", json_list(values, true),
                               "for 'Gt', 'Lt' operators, exactly one value is required"));
      }
      for (std::size_t i = 0; i < values.size(); ++i) {
        std::int64_t ignored = 0;
        if (!parse_int64(values[i], ignored)) {
          errs.push_back(invalid(fmt::format("values[{}]", i), go_quote(values[i]),
                                 "for 'Gt', 'Lt' operators, the value must be an integer"));
        }
      }
      break;
  }
  for (std::size_t i = 0; i < values.size(); ++i) {
    auto value_errs = validate_label_value(values[i]);
    if (!value_errs.empty()) {
      errs.push_back(invalid(fmt::format("values[{}][{}]", i, key), go_quote(values[i]),
                             join(value_errs, "; ")));
    }
  }
  if (!errs.empty()) return tl::unexpected(aggregate(errs));
  return Requirement{std::move(key), op, std::move(values)};
}

// ---------------------------------------------------------------------------------------------
// The label selector lexer and parser. They reproduce labels.Lexer and labels.Parser token by
// token, because their error messages quote the token they stopped at.

enum class Token {
  kError,
  kEnd,
  kClosePar,
  kComma,
  kDoesNotExist,  // !
  kDoubleEquals,
  kEquals,
  kGreaterThan,
  kIdentifier,
  kIn,
  kLessThan,
  kNotEquals,
  kNotIn,
  kOpenPar,
};

std::optional<Token> keyword_token(std::string_view s) {
  static constexpr std::pair<std::string_view, Token> kTokens[] = {
      {")", Token::kClosePar},      {",", Token::kComma},    {"!", Token::kDoesNotExist},
      {"==", Token::kDoubleEquals}, {"=", Token::kEquals},   {">", Token::kGreaterThan},
      {"in", Token::kIn},           {"<", Token::kLessThan}, {"!=", Token::kNotEquals},
      {"notin", Token::kNotIn},     {"(", Token::kOpenPar},
  };
  for (const auto& [text, token] : kTokens) {
    if (text == s) return token;
  }
  return std::nullopt;
}

bool is_whitespace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool is_special_symbol(char c) {
  return c == '=' || c == '!' || c == '(' || c == ')' || c == ',' || c == '>' || c == '<';
}

struct Scanned {
  Token token;
  std::string literal;
};

class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  Scanned lex() {
    char c = read();
    while (is_whitespace(c)) c = read();
    // A NUL byte ends the input, as in the Go lexer (which uses 0 as its end marker).
    if (c == 0) return {Token::kEnd, ""};
    unread();
    return is_special_symbol(c) ? scan_special_symbol() : scan_identifier_or_keyword();
  }

 private:
  char read() { return pos_ < s_.size() ? s_[pos_++] : 0; }
  void unread() { --pos_; }

  Scanned scan_identifier_or_keyword() {
    std::string buffer;
    while (true) {
      char c = read();
      if (c == 0) break;
      if (is_special_symbol(c) || is_whitespace(c)) {
        unread();
        break;
      }
      buffer += c;
    }
    if (auto t = keyword_token(buffer)) return {*t, buffer};
    return {Token::kIdentifier, buffer};
  }

  // The longest run of special symbols that still forms a token ("!=" rather than "!").
  Scanned scan_special_symbol() {
    std::string buffer;
    std::optional<Scanned> last;
    while (true) {
      char c = read();
      if (c == 0) break;
      if (!is_special_symbol(c)) {
        unread();
        break;
      }
      buffer += c;
      if (auto t = keyword_token(buffer)) {
        last = Scanned{*t, buffer};
      } else if (last) {
        unread();
        break;
      }
    }
    if (!last) return {Token::kError, fmt::format("error expected: keyword found '{}'", buffer)};
    return *last;
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

enum class Context { kKeyAndOperator, kValues };

class Parser {
 public:
  explicit Parser(std::string_view text) {
    Lexer lexer(text);
    while (true) {
      items_.push_back(lexer.lex());
      if (items_.back().token == Token::kEnd) break;
    }
  }

  tl::expected<std::vector<Requirement>, std::string> parse() {
    std::vector<Requirement> requirements;
    while (true) {
      auto [tok, lit] = lookahead(Context::kValues);
      switch (tok) {
        case Token::kIdentifier:
        case Token::kDoesNotExist: {
          auto r = parse_requirement();
          if (!r) return tl::unexpected("unable to parse requirement: " + r.error());
          requirements.push_back(std::move(*r));
          auto [t, l] = consume(Context::kValues);
          if (t == Token::kEnd) return requirements;
          if (t == Token::kComma) {
            auto [t2, l2] = lookahead(Context::kValues);
            if (t2 != Token::kIdentifier && t2 != Token::kDoesNotExist) {
              return tl::unexpected(fmt::format("found '{}', expected: identifier after ','", l2));
            }
            break;
          }
          return tl::unexpected(fmt::format("found '{}', expected: ',' or 'end of string'", l));
        }
        case Token::kEnd:
          return requirements;
        default:
          return tl::unexpected(
              fmt::format("found '{}', expected: !, identifier, or 'end of string'", lit));
      }
    }
  }

 private:
  std::pair<Token, std::string> lookahead(Context context) const {
    const auto& item = items_[std::min(pos_, items_.size() - 1)];
    return {in_context(item.token, context), item.literal};
  }

  std::pair<Token, std::string> consume(Context context) {
    // The token list ends with kEnd and the grammar never reads past it; the clamp only keeps
    // a future mistake from reading out of bounds.
    const auto& item = items_[std::min(pos_, items_.size() - 1)];
    if (pos_ < items_.size()) ++pos_;
    return {in_context(item.token, context), item.literal};
  }

  // `in` and `notin` are plain values where values are expected: `x in (in)`.
  static Token in_context(Token t, Context context) {
    if (context == Context::kValues && (t == Token::kIn || t == Token::kNotIn)) {
      return Token::kIdentifier;
    }
    return t;
  }

  tl::expected<Requirement, std::string> parse_requirement() {
    std::optional<Operator> op;
    auto [tok, key] = consume(Context::kValues);
    if (tok == Token::kDoesNotExist) {
      op = Operator::kDoesNotExist;
      std::tie(tok, key) = consume(Context::kValues);
    }
    if (tok != Token::kIdentifier) {
      return tl::unexpected(fmt::format("found '{}', expected: identifier", key));
    }
    if (auto e = key_error(key, "<nil>")) return tl::unexpected(*e);
    auto next = lookahead(Context::kValues).first;
    if (next == Token::kEnd || next == Token::kComma) {
      if (!op) op = Operator::kExists;
    }
    if (op == Operator::kExists || op == Operator::kDoesNotExist) {
      return new_requirement(std::move(key), *op, {});
    }
    auto [op_tok, op_lit] = consume(Context::kKeyAndOperator);
    switch (op_tok) {
      case Token::kIn:
        op = Operator::kIn;
        break;
      case Token::kEquals:
        op = Operator::kEquals;
        break;
      case Token::kDoubleEquals:
        op = Operator::kDoubleEquals;
        break;
      case Token::kGreaterThan:
        op = Operator::kGreaterThan;
        break;
      case Token::kLessThan:
        op = Operator::kLessThan;
        break;
      case Token::kNotIn:
        op = Operator::kNotIn;
        break;
      case Token::kNotEquals:
        op = Operator::kNotEquals;
        break;
      default:
        return tl::unexpected(
            fmt::format("found '{}', expected: in, notin, =, ==, !=, gt, lt", op_lit));
    }
    auto values =
        (*op == Operator::kIn || *op == Operator::kNotIn) ? parse_values() : parse_exact_value();
    if (!values) return tl::unexpected(values.error());
    return new_requirement(std::move(key), *op,
                           std::vector<std::string>(values->begin(), values->end()));
  }

  // `(a,b,c)`; empty entries stand for the empty value: `()`, `(,a)`, `(a,)`.
  tl::expected<std::set<std::string>, std::string> parse_values() {
    auto [tok, lit] = consume(Context::kValues);
    if (tok != Token::kOpenPar) return tl::unexpected(fmt::format("found '{}' expected: '('", lit));
    std::tie(tok, lit) = lookahead(Context::kValues);
    switch (tok) {
      case Token::kIdentifier:
      case Token::kComma: {
        auto s = parse_identifiers_list();
        if (!s) return s;
        if (consume(Context::kValues).first != Token::kClosePar) {
          return tl::unexpected(fmt::format("found '{}', expected: ')'", lit));
        }
        return s;
      }
      case Token::kClosePar:
        consume(Context::kValues);
        return std::set<std::string>{""};
      default:
        return tl::unexpected(fmt::format("found '{}', expected: ',', ')' or identifier", lit));
    }
  }

  tl::expected<std::set<std::string>, std::string> parse_identifiers_list() {
    std::set<std::string> s;
    while (true) {
      auto [tok, lit] = consume(Context::kValues);
      if (tok == Token::kIdentifier) {
        s.insert(lit);
        auto [tok2, lit2] = lookahead(Context::kValues);
        if (tok2 == Token::kComma) continue;
        if (tok2 == Token::kClosePar) return s;
        return tl::unexpected(fmt::format("found '{}', expected: ',' or ')'", lit2));
      }
      if (tok == Token::kComma) {
        if (s.empty()) s.insert("");
        auto tok2 = lookahead(Context::kValues).first;
        if (tok2 == Token::kClosePar) {
          s.insert("");
          return s;
        }
        if (tok2 == Token::kComma) {
          consume(Context::kValues);
          s.insert("");
        }
        continue;
      }
      return tl::unexpected(fmt::format("found '{}', expected: ',', or identifier", lit));
    }
  }

  tl::expected<std::set<std::string>, std::string> parse_exact_value() {
    auto next = lookahead(Context::kValues).first;
    if (next == Token::kEnd || next == Token::kComma) return std::set<std::string>{""};
    auto [tok, lit] = consume(Context::kValues);
    if (tok == Token::kIdentifier) return std::set<std::string>{lit};
    return tl::unexpected(fmt::format("found '{}', expected: identifier", lit));
  }

  std::vector<Scanned> items_;
  std::size_t pos_ = 0;
};

void sort_by_key(std::vector<Requirement>& requirements) {
  std::stable_sort(requirements.begin(), requirements.end(),
                   [](const Requirement& a, const Requirement& b) { return a.key < b.key; });
}

bool requirement_matches(const Requirement& r, const json::object* labels) {
  const json::value* label = labels ? labels->if_contains(r.key) : nullptr;
  const bool has = label != nullptr;
  std::optional<std::string_view> value;
  if (label && label->is_string()) value = std::string_view(label->get_string());
  auto has_value = [&] {
    return value && std::find(r.values.begin(), r.values.end(), *value) != r.values.end();
  };
  switch (r.op) {
    case Operator::kIn:
    case Operator::kEquals:
    case Operator::kDoubleEquals:
      return has && has_value();
    case Operator::kNotIn:
    case Operator::kNotEquals:
      return !has || !has_value();
    case Operator::kExists:
      return has;
    case Operator::kDoesNotExist:
      return !has;
    case Operator::kGreaterThan:
    case Operator::kLessThan: {
      std::int64_t actual = 0;
      std::int64_t wanted = 0;
      if (!value || r.values.size() != 1 || !parse_int64(*value, actual) ||
          !parse_int64(r.values.front(), wanted)) {
        return false;
      }
      return r.op == Operator::kGreaterThan ? actual > wanted : actual < wanted;
    }
  }
  return false;
}

std::string requirement_string(const Requirement& r) {
  std::string out;
  if (r.op == Operator::kDoesNotExist) out += '!';
  out += r.key;
  switch (r.op) {
    case Operator::kExists:
    case Operator::kDoesNotExist:
      return out;
    case Operator::kEquals:
      out += '=';
      break;
    case Operator::kDoubleEquals:
      out += "==";
      break;
    case Operator::kNotEquals:
      out += "!=";
      break;
    case Operator::kIn:
      out += " in (";
      break;
    case Operator::kNotIn:
      out += " notin (";
      break;
    case Operator::kGreaterThan:
      out += '>';
      break;
    case Operator::kLessThan:
      out += '<';
      break;
  }
  std::vector<std::string> values = r.values;
  std::sort(values.begin(), values.end());
  out += join(values, ",");
  if (r.op == Operator::kIn || r.op == Operator::kNotIn) out += ')';
  return out;
}

// Reads a JSON array of strings (null or absent: empty).
tl::expected<std::vector<std::string>, std::string> string_list(const json::value* v,
                                                                std::string_view what) {
  std::vector<std::string> out;
  if (!v || v->is_null()) return out;
  if (!v->is_array()) return tl::unexpected(fmt::format("{} must be a list of strings", what));
  for (const auto& item : v->get_array()) {
    if (!item.is_string()) return tl::unexpected(fmt::format("{} must be a list of strings", what));
    out.emplace_back(item.get_string());
  }
  return out;
}

}  // namespace

LabelSelector LabelSelector::nothing() {
  LabelSelector s;
  s.nothing_ = true;
  return s;
}

tl::expected<LabelSelector, std::string> LabelSelector::parse(std::string_view text) {
  Parser parser(text);
  auto requirements = parser.parse();
  if (!requirements) return tl::unexpected(requirements.error());
  LabelSelector s;
  s.requirements_ = std::move(*requirements);
  sort_by_key(s.requirements_);
  return s;
}

tl::expected<LabelSelector, std::string> LabelSelector::from_json(const json::value& selector) {
  if (selector.is_null()) return nothing();
  if (!selector.is_object())
    return tl::unexpected(std::string("a label selector must be an object"));
  const auto& o = selector.get_object();
  LabelSelector s;
  if (const auto* labels = o.if_contains("matchLabels"); labels && !labels->is_null()) {
    if (!labels->is_object()) {
      return tl::unexpected(std::string("matchLabels must be a map of strings"));
    }
    for (const auto& [key, value] : labels->get_object()) {
      if (!value.is_string()) {
        return tl::unexpected(std::string("matchLabels must be a map of strings"));
      }
      auto r =
          new_requirement(std::string(key), Operator::kEquals, {std::string(value.get_string())});
      if (!r) return tl::unexpected(r.error());
      s.requirements_.push_back(std::move(*r));
    }
  }
  if (const auto* exprs = o.if_contains("matchExpressions"); exprs && !exprs->is_null()) {
    if (!exprs->is_array()) {
      return tl::unexpected(std::string("matchExpressions must be a list"));
    }
    for (const auto& e : exprs->get_array()) {
      if (!e.is_object()) {
        return tl::unexpected(std::string("matchExpressions must be a list of objects"));
      }
      const auto& eo = e.get_object();
      const auto* key = eo.if_contains("key");
      const auto* op = eo.if_contains("operator");
      if ((key && !key->is_string() && !key->is_null()) ||
          (op && !op->is_string() && !op->is_null())) {
        return tl::unexpected(std::string("matchExpressions key and operator must be strings"));
      }
      const std::string key_text = key && key->is_string() ? std::string(key->get_string()) : "";
      const std::string op_text = op && op->is_string() ? std::string(op->get_string()) : "";
      Operator parsed_op;
      if (op_text == "In") {
        parsed_op = Operator::kIn;
      } else if (op_text == "NotIn") {
        parsed_op = Operator::kNotIn;
      } else if (op_text == "Exists") {
        parsed_op = Operator::kExists;
      } else if (op_text == "DoesNotExist") {
        parsed_op = Operator::kDoesNotExist;
      } else {
        return tl::unexpected(
            fmt::format("{} is not a valid label selector operator", go_quote(op_text)));
      }
      auto values = string_list(eo.if_contains("values"), "matchExpressions values");
      if (!values) return tl::unexpected(values.error());
      auto r = new_requirement(key_text, parsed_op, std::move(*values));
      if (!r) return tl::unexpected(r.error());
      s.requirements_.push_back(std::move(*r));
    }
  }
  sort_by_key(s.requirements_);
  return s;
}

bool LabelSelector::matches(const json::object* labels) const {
  if (nothing_) return false;
  return std::all_of(requirements_.begin(), requirements_.end(),
                     [&](const Requirement& r) { return requirement_matches(r, labels); });
}

std::string LabelSelector::to_string() const {
  std::vector<std::string> parts;
  parts.reserve(requirements_.size());
  for (const auto& r : requirements_) parts.push_back(requirement_string(r));
  return join(parts, ",");
}

// ---------------------------------------------------------------------------------------------
// Field selectors (k8s.io/apimachinery/pkg/fields).

namespace {

// Splits at commas not escaped by a backslash; escapes stay in the terms.
std::vector<std::string_view> split_terms(std::string_view text) {
  std::vector<std::string_view> terms;
  if (text.empty()) return terms;
  std::size_t start = 0;
  bool escaped = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (escaped) {
      escaped = false;
    } else if (text[i] == '\\') {
      escaped = true;
    } else if (text[i] == ',') {
      terms.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  terms.push_back(text.substr(start));
  return terms;
}

std::size_t utf8_length(unsigned char lead) {
  return lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
}

tl::expected<std::string, std::string> unescape_value(std::string_view s) {
  std::string out;
  bool escaped = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (escaped) {
      if (c != '\\' && c != ',' && c != '=') {
        // Name the whole character after the backslash, as Go (which walks runes) does.
        const auto len = std::min(utf8_length(static_cast<unsigned char>(c)), s.size() - i);
        return tl::unexpected(
            fmt::format("invalid field selector: invalid escape sequence: \\{}", s.substr(i, len)));
      }
      out += c;
      escaped = false;
    } else if (c == '\\') {
      escaped = true;
    } else if (c == ',' || c == '=') {
      // Go prints the rune with %v, which is its code point.
      return tl::unexpected(
          fmt::format("invalid field selector: unescaped character in value: {}", int(c)));
    } else {
      out += c;
    }
  }
  if (escaped)
    return tl::unexpected(std::string("invalid field selector: invalid escape sequence: \\"));
  return out;
}

}  // namespace

tl::expected<FieldSelector, std::string> FieldSelector::parse(std::string_view text) {
  auto terms = split_terms(text);
  std::sort(terms.begin(), terms.end());
  FieldSelector s;
  for (auto term : terms) {
    if (term.empty()) continue;
    // Keys cannot be escaped, so the first operator in the term splits it; "!=" and "==" are
    // tried before "=" at each position.
    std::optional<Requirement> r;
    for (std::size_t i = 0; i < term.size() && !r; ++i) {
      auto rest = term.substr(i);
      std::size_t op_len = 0;
      bool equals = true;
      if (rest.starts_with("!=")) {
        op_len = 2;
        equals = false;
      } else if (rest.starts_with("==")) {
        op_len = 2;
      } else if (rest.starts_with("=")) {
        op_len = 1;
      } else {
        continue;
      }
      auto value = unescape_value(term.substr(i + op_len));
      if (!value) return tl::unexpected(value.error());
      r = Requirement{std::string(term.substr(0, i)), equals, std::move(*value)};
    }
    if (!r) {
      return tl::unexpected(
          fmt::format("invalid selector: '{}'; can't understand '{}'", text, term));
    }
    s.requirements_.push_back(std::move(*r));
  }
  return s;
}

bool FieldSelector::matches(
    const std::function<std::optional<std::string>(std::string_view key)>& field_value) const {
  for (const auto& r : requirements_) {
    const std::string actual = field_value ? field_value(r.key).value_or("") : "";
    if ((actual == r.value) != r.equals) return false;
  }
  return true;
}

std::string FieldSelector::to_string() const {
  std::string out;
  for (std::size_t i = 0; i < requirements_.size(); ++i) {
    if (i > 0) out += ',';
    const auto& r = requirements_[i];
    out += r.key;
    out += r.equals ? "=" : "!=";
    out += escape_value(r.value);
  }
  return out;
}

std::string FieldSelector::escape_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\' || c == ',' || c == '=') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace lambda::kube
