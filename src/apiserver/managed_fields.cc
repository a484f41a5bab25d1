#include "apiserver/managed_fields.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <map>
#include <set>
#include <system_error>

#include <boost/json.hpp>

#include "common/json_yaml.h"

namespace lambda::apiserver {
namespace json = boost::json;
using Node = FieldSet::Node;

// The algorithms below build sets node by node; FieldSet keeps its trie private otherwise so that
// callers cannot break its invariants (sorted children, no empty subtrees).
struct FieldSetAccess {
  static Node& root(FieldSet& set) { return set.root_; }
  static FieldSet make(Node root) {
    FieldSet set;
    set.root_ = std::move(root);
    return set;
  }
};

namespace {

// Walkers stop one short of the limit so that a list item's fields still fit in kMaxFieldDepth.
constexpr std::size_t kWalkDepth = kMaxFieldDepth - 1;

constexpr std::array<std::string_view, 9> kServerMetadata = {
    "name",     "namespace",         "uid",           "resourceVersion",  "generation",
    "selfLink", "creationTimestamp", "managedFields", "deletionTimestamp"};

// Kept from the live object by apply (name and namespace come from the configuration).
constexpr std::array<std::string_view, 6> kSystemMetadata = {
    "uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp", "selfLink"};

constexpr std::string_view kBeforeFirstApply = "before-first-apply";
constexpr std::size_t kFieldManagerMaxLength = 128;

template <class T>
int three_way(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

int sign(int v) { return v < 0 ? -1 : (v > 0 ? 1 : 0); }

// ---------------------------------------------------------------------------------------------
// Values: structured-merge-diff's total order and equality, Go's formatting.

// Numbers first, then strings, booleans, lists, maps and null, as value.Compare orders them.
int kind_rank(const json::value& v) {
  switch (v.kind()) {
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      return 0;
    case json::kind::string:
      return 1;
    case json::kind::bool_:
      return 2;
    case json::kind::array:
      return 3;
    case json::kind::object:
      return 4;
    case json::kind::null:
      return 5;
  }
  return 5;
}

double to_double(const json::value& v) {
  if (v.is_double()) return v.get_double();
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  return static_cast<double>(v.get_uint64());
}

// Integers compare exactly; a double against anything compares numerically, as in Go.
int compare_numbers(const json::value& a, const json::value& b) {
  if (a.is_double() || b.is_double()) return three_way(to_double(a), to_double(b));
  if (a.is_int64() && b.is_int64()) return three_way(a.get_int64(), b.get_int64());
  if (a.is_uint64() && b.is_uint64()) return three_way(a.get_uint64(), b.get_uint64());
  if (a.is_int64()) {
    if (a.get_int64() < 0) return -1;
    return three_way(static_cast<std::uint64_t>(a.get_int64()), b.get_uint64());
  }
  if (b.get_int64() < 0) return 1;
  return three_way(a.get_uint64(), static_cast<std::uint64_t>(b.get_int64()));
}

std::vector<std::string_view> sorted_keys(const json::object& o) {
  std::vector<std::string_view> keys;
  keys.reserve(o.size());
  for (const auto& kv : o) keys.push_back(kv.key());
  std::sort(keys.begin(), keys.end());
  return keys;
}

int compare_values(const json::value& a, const json::value& b, std::size_t depth = 0) {
  if (int c = three_way(kind_rank(a), kind_rank(b)); c != 0) return c;
  switch (a.kind()) {
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      return compare_numbers(a, b);
    case json::kind::string:
      return sign(std::string_view(a.get_string()).compare(std::string_view(b.get_string())));
    case json::kind::bool_:
      return three_way(a.get_bool(), b.get_bool());
    case json::kind::null:
      return 0;
    case json::kind::array:
    case json::kind::object:
      break;
  }
  // Past any depth our parsers produce, fall back to the (non-recursive) serializer rather than
  // recurse further into a hostile value.
  if (depth >= common::kMaxNestingDepth)
    return sign(json::serialize(a).compare(json::serialize(b)));
  if (a.is_array()) {
    const auto& x = a.get_array();
    const auto& y = b.get_array();
    for (std::size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (int c = compare_values(x[i], y[i], depth + 1); c != 0) return c;
    }
    return three_way(x.size(), y.size());
  }
  const auto& x = a.get_object();
  const auto& y = b.get_object();
  auto xk = sorted_keys(x);
  auto yk = sorted_keys(y);
  for (std::size_t i = 0; i < xk.size() && i < yk.size(); ++i) {
    if (int c = sign(xk[i].compare(yk[i])); c != 0) return c;
    if (int c = compare_values(x.at(xk[i]), y.at(yk[i]), depth + 1); c != 0) return c;
  }
  return three_way(xk.size(), yk.size());
}

bool values_equal(const json::value& a, const json::value& b) { return compare_values(a, b) == 0; }

// Maps with their keys sorted, for "v:" elements: Go writes map values deterministically.
json::value sorted_copy(const json::value& v, std::size_t depth = 0) {
  if (depth >= common::kMaxNestingDepth) return v;
  if (const auto* a = v.if_array()) {
    json::array out;
    out.reserve(a->size());
    for (const auto& item : *a) out.push_back(sorted_copy(item, depth + 1));
    return out;
  }
  if (const auto* o = v.if_object()) {
    json::object out;
    out.reserve(o->size());
    for (auto key : sorted_keys(*o)) out.emplace(key, sorted_copy(o->at(key), depth + 1));
    return out;
  }
  return v;
}

// Decodes one UTF-8 sequence at s[i]; returns its length, or 0 when invalid.
std::size_t utf8_rune(std::string_view s, std::size_t i, char32_t& rune) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  std::size_t n = b0 < 0x80           ? 1
                  : (b0 >> 5) == 0x6  ? 2
                  : (b0 >> 4) == 0xE  ? 3
                  : (b0 >> 3) == 0x1E ? 4
                                      : 0;
  if (n == 0 || i + n > s.size()) return 0;
  if (n == 1) {
    rune = b0;
    return 1;
  }
  char32_t r = b0 & (0x7F >> n);
  for (std::size_t k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    r = (r << 6) | (b & 0x3F);
  }
  static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (r < kMin[n] || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) return 0;
  rune = r;
  return n;
}

// Characters Go's strconv.IsPrint rejects among those a manifest plausibly holds.
bool go_printable(char32_t r) {
  if (r < 0x20 || r == 0x7F) return false;
  if (r >= 0x80 && r <= 0xA0) return false;
  return r != 0xAD && r != 0x2028 && r != 0x2029 && r != 0xFEFF && (r < 0x200B || r > 0x200F);
}

// Go's %q.
std::string go_quote(std::string_view s) {
  std::string out = "\"";
  char buf[16];
  for (std::size_t i = 0; i < s.size();) {
    char32_t r = 0;
    std::size_t n = utf8_rune(s, i, r);
    if (n == 0) {
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(s[i]));
      out += buf;
      ++i;
      continue;
    }
    static constexpr std::pair<char32_t, std::string_view> kEscapes[] = {
        {'"', "\\\""}, {'\\', "\\\\"}, {'\a', "\\a"}, {'\b', "\\b"}, {'\f', "\\f"},
        {'\n', "\\n"}, {'\r', "\\r"},  {'\t', "\\t"}, {'\v', "\\v"}};
    auto escape = std::find_if(std::begin(kEscapes), std::end(kEscapes),
                               [r](const auto& e) { return e.first == r; });
    if (escape != std::end(kEscapes)) {
      out += escape->second;
    } else if (go_printable(r)) {
      out.append(s.substr(i, n));
    } else {
      const char* format = r < 0x80 ? "\\x%02x" : r <= 0xFFFF ? "\\u%04x" : "\\U%08x";
      std::snprintf(buf, sizeof buf, format, static_cast<unsigned>(r));
      out += buf;
    }
    i += n;
  }
  out += '"';
  return out;
}

// Go's %v of a float64 (strconv's shortest %g): exponent form when the exponent is < -4 or >= 6.
std::string go_float(double d) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  if (ec != std::errc()) return "NaN";
  std::string_view sci(buf, static_cast<std::size_t>(end - buf));
  if (sci == "inf" || sci == "-inf" || sci == "nan" || sci == "-nan") {
    return sci == "inf" ? "+Inf" : sci == "-inf" ? "-Inf" : "NaN";
  }
  std::string out;
  if (sci.front() == '-') {
    out += '-';
    sci.remove_prefix(1);
  }
  const std::size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e)) {
    if (c != '.') digits += c;
  }
  int exp = 0;
  std::from_chars(sci.data() + e + 1 + (sci[e + 1] == '+' ? 1 : 0), sci.data() + sci.size(), exp);
  if (exp < -4 || exp >= 6) {
    out += digits[0];
    if (digits.size() > 1) out.append(".").append(digits.substr(1));
    char tail[16];
    std::snprintf(tail, sizeof tail, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
    return out + tail;
  }
  if (exp < 0) return out + "0." + std::string(static_cast<std::size_t>(-exp - 1), '0') + digits;
  const auto whole = static_cast<std::size_t>(exp) + 1;
  if (digits.size() <= whole) return out + digits + std::string(whole - digits.size(), '0');
  return out + digits.substr(0, whole) + "." + digits.substr(whole);
}

// structured-merge-diff's value.ToString, used in printed paths.
std::string value_to_string(const json::value& v, std::size_t depth = 0) {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return v.get_bool() ? "true" : "false";
    case json::kind::int64:
      return std::to_string(v.get_int64());
    case json::kind::uint64:
      return std::to_string(v.get_uint64());
    case json::kind::double_:
      return go_float(v.get_double());
    case json::kind::string:
      return go_quote(v.get_string());
    case json::kind::array:
    case json::kind::object:
      break;
  }
  if (depth >= common::kMaxNestingDepth) return json::serialize(v);
  std::string out;
  if (const auto* a = v.if_array()) {
    out = "[";
    for (std::size_t i = 0; i < a->size(); ++i) {
      if (i > 0) out += ',';
      out += value_to_string((*a)[i], depth + 1);
    }
    return out + "]";
  }
  for (const auto& kv : v.get_object()) {
    out.append(kv.key()).append("=").append(value_to_string(kv.value(), depth + 1));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// RFC3339 -> Unix seconds (managedFields entries sort by time).

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::optional<std::int64_t> unix_seconds(std::string_view t) {
  auto number = [&](std::size_t pos, std::size_t len) -> std::optional<int> {
    if (pos + len > t.size()) return std::nullopt;
    int v = 0;
    for (std::size_t i = pos; i < pos + len; ++i) {
      if (t[i] < '0' || t[i] > '9') return std::nullopt;
      v = v * 10 + (t[i] - '0');
    }
    return v;
  };
  auto at = [&](std::size_t pos, char c) { return pos < t.size() && t[pos] == c; };
  auto year = number(0, 4), month = number(5, 2), day = number(8, 2);
  auto hour = number(11, 2), minute = number(14, 2), second = number(17, 2);
  if (!year || !month || !day || !hour || !minute || !second || !at(4, '-') || !at(7, '-') ||
      !(at(10, 'T') || at(10, 't')) || !at(13, ':') || !at(16, ':')) {
    return std::nullopt;
  }
  if (*month < 1 || *month > 12 || *day < 1 || *day > 31 || *hour > 23 || *minute > 59 ||
      *second > 60) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  if (at(pos, '.')) {
    ++pos;
    const std::size_t start = pos;
    while (pos < t.size() && t[pos] >= '0' && t[pos] <= '9') ++pos;
    if (pos == start) return std::nullopt;
  }
  std::int64_t offset = 0;
  if (at(pos, 'Z') || at(pos, 'z')) {
    ++pos;
  } else if (at(pos, '+') || at(pos, '-')) {
    auto oh = number(pos + 1, 2), om = number(pos + 4, 2);
    if (!oh || !om || !at(pos + 3, ':')) return std::nullopt;
    offset = (*oh * 60 + *om) * 60 * (t[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != t.size()) return std::nullopt;
  const std::int64_t days =
      days_from_civil(*year, static_cast<unsigned>(*month), static_cast<unsigned>(*day));
  return days * 86400 + *hour * 3600 + *minute * 60 + *second - offset;
}

// ---------------------------------------------------------------------------------------------
// Trie operations.

auto child_position(const std::vector<std::pair<PathElement, Node>>& children,
                    const PathElement& pe) {
  return std::lower_bound(children.begin(), children.end(), pe,
                          [](const auto& child, const PathElement& e) { return child.first < e; });
}

const Node* find_child(const Node& node, const PathElement& pe) {
  auto it = child_position(node.children, pe);
  return it != node.children.end() && it->first == pe ? &it->second : nullptr;
}

Node* find_child(Node& node, const PathElement& pe) {
  return const_cast<Node*>(find_child(static_cast<const Node&>(node), pe));
}

Node& child_at(Node& node, const PathElement& pe) {
  auto it = child_position(node.children, pe);
  if (it != node.children.end() && it->first == pe)
    return node.children[static_cast<std::size_t>(it - node.children.begin())].second;
  const auto offset = it - node.children.begin();
  node.children.insert(node.children.begin() + offset, {pe, Node{}});
  return node.children[static_cast<std::size_t>(offset)].second;
}

bool is_empty(const Node& node) { return !node.member && node.children.empty(); }

bool nodes_equal(const Node& a, const Node& b) {
  if (a.member != b.member || a.children.size() != b.children.size()) return false;
  for (std::size_t i = 0; i < a.children.size(); ++i) {
    if (!(a.children[i].first == b.children[i].first)) return false;
    if (!nodes_equal(a.children[i].second, b.children[i].second)) return false;
  }
  return true;
}

// Walks the sorted children of a and b together: each(pe, a_child or null, b_child or null).
template <class F>
void zip_children(const Node& a, const Node& b, F&& each) {
  std::size_t i = 0, j = 0;
  while (i < a.children.size() || j < b.children.size()) {
    int c = i == a.children.size()   ? 1
            : j == b.children.size() ? -1
                                     : compare(a.children[i].first, b.children[j].first);
    if (c < 0) {
      each(a.children[i].first, &a.children[i].second, nullptr);
      ++i;
    } else if (c > 0) {
      each(b.children[j].first, nullptr, &b.children[j].second);
      ++j;
    } else {
      each(a.children[i].first, &a.children[i].second, &b.children[j].second);
      ++i;
      ++j;
    }
  }
}

Node unite(const Node& a, const Node& b) {
  Node out;
  out.member = a.member || b.member;
  zip_children(a, b, [&](const PathElement& pe, const Node* x, const Node* y) {
    out.children.emplace_back(pe, x && y ? unite(*x, *y) : x ? *x : *y);
  });
  return out;
}

Node intersect(const Node& a, const Node& b) {
  Node out;
  out.member = a.member && b.member;
  zip_children(a, b, [&](const PathElement& pe, const Node* x, const Node* y) {
    if (!x || !y) return;
    Node child = intersect(*x, *y);
    if (!is_empty(child)) out.children.emplace_back(pe, std::move(child));
  });
  return out;
}

Node subtract(const Node& a, const Node& b) {
  Node out;
  out.member = a.member && !b.member;
  zip_children(a, b, [&](const PathElement& pe, const Node* x, const Node* y) {
    if (!x) return;
    Node child = y ? subtract(*x, *y) : *x;
    if (!is_empty(child)) out.children.emplace_back(pe, std::move(child));
  });
  return out;
}

Node subtract_recursive(const Node& a, const Node& b) {
  Node out;
  out.member = a.member && !b.member;
  zip_children(a, b, [&](const PathElement& pe, const Node* x, const Node* y) {
    if (!x || (y && y->member)) return;
    Node child = y ? subtract_recursive(*x, *y) : *x;
    if (!is_empty(child)) out.children.emplace_back(pe, std::move(child));
  });
  return out;
}

void write_contents(const Node& node, json::object& out) {
  for (const auto& [pe, child] : node.children) {
    json::object sub;
    if (child.member && !child.children.empty()) sub.emplace(".", json::object());
    write_contents(child, sub);
    out.emplace(pe.serialize(), std::move(sub));
  }
}

std::string where(const Path& at) {
  return at.empty() ? std::string("fieldsV1") : "fieldsV1 at " + path_to_string(at);
}

// Reads one FieldsV1 level into `into`; `self` reports a "." key. The value of every key must
// be an object (null reads as an empty one, as structured-merge-diff's reader takes it).
tl::expected<void, std::string> read_contents(const json::object& obj, Node& into, bool& self,
                                              Path& at) {
  for (const auto& kv : obj) {
    const std::string_view key = kv.key();
    if (key == ".") {
      self = true;
      continue;
    }
    auto pe = PathElement::parse(key);
    if (!pe) return tl::unexpected(where(at) + ": key " + go_quote(key) + ": " + pe.error());
    if (!*pe) continue;
    const json::object* child_obj = kv.value().if_object();
    if (!child_obj && !kv.value().is_null()) {
      return tl::unexpected(where(at) + ": the value of " + go_quote(key) + " must be an object");
    }
    if (at.size() >= kMaxFieldDepth) {
      return tl::unexpected(where(at) + ": nested deeper than " + std::to_string(kMaxFieldDepth) +
                            " levels");
    }
    Node child;
    bool child_self = false;
    at.push_back(**pe);
    tl::expected<void, std::string> read;
    if (child_obj) read = read_contents(*child_obj, child, child_self, at);
    at.pop_back();
    if (!read) return read;
    child.member = child_self || child.children.empty();
    Node& slot = child_at(into, **pe);
    slot = unite(slot, child);
  }
  return {};
}

void collect_paths(const Node& node, Path& prefix, std::vector<Path>& out) {
  for (const auto& [pe, child] : node.children) {
    if (!child.member) continue;
    prefix.push_back(pe);
    out.push_back(prefix);
    prefix.pop_back();
  }
  for (const auto& [pe, child] : node.children) {
    if (child.children.empty()) continue;
    prefix.push_back(pe);
    collect_paths(child, prefix, out);
    prefix.pop_back();
  }
}

std::size_t count_members(const Node& node) {
  std::size_t n = node.member ? 1 : 0;
  for (const auto& child : node.children) n += count_members(child.second);
  return n;
}

// structured-merge-diff's EnsureNamedFieldsAreMembers without a schema: a field that has owned
// fields below it counts as owned itself, so that pruning can drop a whole struct whose every
// owned field went away. The root's metadata is exempt: it always exists.
Node ensure_named(const Node& node, bool at_root) {
  Node out;
  out.member = node.member;
  out.children.reserve(node.children.size());
  for (const auto& [pe, child] : node.children) {
    Node c = ensure_named(child, false);
    if (pe.kind == PathElement::Kind::kField && !child.children.empty() &&
        !(at_root && pe.name == "metadata")) {
      c.member = true;
    }
    out.children.emplace_back(pe, std::move(c));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Object shape.

std::optional<ListInfo> builtin_list(const std::vector<std::string>& names) {
  if (names.size() == 2 && names[0] == "metadata") {
    if (names[1] == "finalizers") return ListInfo{ListInfo::Type::kSet, {}};
    if (names[1] == "ownerReferences") return ListInfo{ListInfo::Type::kMap, {"uid"}};
  }
  return std::nullopt;
}

class Shape {
 public:
  Shape(const SchemaLookup& lists, const AtomicMapLookup& maps) : lists_(lists), maps_(maps) {}

  ListInfo list_at(const std::vector<std::string>& names) const {
    std::optional<ListInfo> info;
    if (lists_) {
      try {
        info = lists_(names);
      } catch (...) {
        info.reset();
      }
    }
    if (!info) info = builtin_list(names);
    if (!info || (info->type == ListInfo::Type::kMap && info->keys.empty())) return ListInfo{};
    return *info;
  }

  bool atomic_map(const std::vector<std::string>& names) const {
    if (!maps_) return false;
    try {
      return maps_(names);
    } catch (...) {
      return false;
    }
  }

 private:
  const SchemaLookup& lists_;
  const AtomicMapLookup& maps_;
};

// Where a walk is: the path so far and the field names the lookups want.
struct Walk {
  const Shape& shape;
  Path path;
  std::vector<std::string> names;
};

// Descends one step for the life of the scope.
class Step {
 public:
  Step(Walk& w, std::string_view field) : w_(w), named_(true) {
    w_.path.push_back(PathElement::field(std::string(field)));
    w_.names.emplace_back(field);
  }
  Step(Walk& w, const PathElement& item) : w_(w), named_(false) { w_.path.push_back(item); }
  ~Step() {
    w_.path.pop_back();
    if (named_) w_.names.pop_back();
  }
  Step(const Step&) = delete;
  Step& operator=(const Step&) = delete;

 private:
  Walk& w_;
  bool named_;
};

tl::expected<PathElement, std::string> item_element(const json::value& item, const ListInfo& info) {
  if (info.type == ListInfo::Type::kSet) {
    if (item.is_object()) {
      return tl::unexpected(
          std::string("associative list without keys has an element that's a map type"));
    }
    if (item.is_array()) {
      return tl::unexpected(
          std::string("associative list without keys has an element that's a list type"));
    }
    return PathElement::set_item(item);
  }
  const json::object* o = item.if_object();
  if (!o) {
    return tl::unexpected(
        std::string("associative list with keys has an element that's not a map"));
  }
  PathElement::KeyFields fields;
  for (const auto& key : info.keys) {
    if (const json::value* v = o->if_contains(key)) {
      fields.emplace_back(key, *v);
      continue;
    }
    auto d = std::find_if(info.key_defaults.begin(), info.key_defaults.end(),
                          [&](const auto& kv) { return kv.first == key; });
    if (d == info.key_defaults.end()) {
      return tl::unexpected("associative list with keys has an element that omits key field " +
                            go_quote(key) + " (and doesn't have default value)");
    }
    fields.emplace_back(key, d->second);
  }
  return PathElement::keyed(std::move(fields));
}

tl::expected<std::vector<PathElement>, std::string> item_elements(const json::array& items,
                                                                  const ListInfo& info) {
  std::vector<PathElement> out;
  out.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    auto pe = item_element(items[i], info);
    if (!pe) return tl::unexpected("element " + std::to_string(i) + ": " + pe.error());
    out.push_back(std::move(*pe));
  }
  return out;
}

// Which top-level parts of an object a request may not touch.
struct Ignore {
  bool status = false;          // status has its own subresource
  bool all_but_status = false;  // this request is that subresource
};

bool server_metadata(std::string_view name) {
  return std::find(kServerMetadata.begin(), kServerMetadata.end(), name) != kServerMetadata.end();
}

// Removes what no manager may own (kube-apiserver's stripMetaManager) and what the request may not
// change (its reset fields).
void filter(FieldSet& set, const Ignore& ignore) {
  Node& root = FieldSetAccess::root(set);
  std::erase_if(root.children, [&](const auto& child) {
    const PathElement& pe = child.first;
    if (pe.kind != PathElement::Kind::kField) return false;
    if (pe.name == "apiVersion" || pe.name == "kind") return true;
    if (pe.name == "status") return ignore.status;
    return ignore.all_but_status;
  });
  if (Node* metadata = find_child(root, PathElement::field("metadata"))) {
    metadata->member = false;
    std::erase_if(metadata->children, [](const auto& child) {
      return child.first.kind == PathElement::Kind::kField && server_metadata(child.first.name);
    });
    if (is_empty(*metadata)) {
      std::erase_if(root.children, [](const auto& child) { return is_empty(child.second); });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Walks over objects.

void own(const json::value& v, Walk& w, FieldSet& out);

void own_fields(const json::object& o, Walk& w, FieldSet& out) {
  for (const auto& kv : o) {
    Step step(w, kv.key());
    own(kv.value(), w, out);
  }
}

void own(const json::value& v, Walk& w, FieldSet& out) {
  if (w.path.size() >= kWalkDepth) {
    out.insert(w.path);
    return;
  }
  if (const auto* o = v.if_object()) {
    if (o->empty() || w.shape.atomic_map(w.names)) {
      out.insert(w.path);
    } else {
      own_fields(*o, w, out);
    }
    return;
  }
  if (const auto* a = v.if_array()) {
    const ListInfo info = w.shape.list_at(w.names);
    if (info.type == ListInfo::Type::kAtomic) {
      out.insert(w.path);
      return;
    }
    auto elements = item_elements(*a, info);
    if (!elements) {
      // Items that cannot be named are owned together, as one value.
      out.insert(w.path);
      return;
    }
    for (std::size_t i = 0; i < a->size(); ++i) {
      Step step(w, (*elements)[i]);
      out.insert(w.path);
      if (info.type == ListInfo::Type::kMap) own_fields((*a)[i].get_object(), w, out);
    }
    return;
  }
  out.insert(w.path);
}

FieldSet owned_fields(const json::object& object, const Shape& shape, const Ignore& ignore) {
  Walk w{shape, {}, {}};
  FieldSet out;
  own_fields(object, w, out);
  filter(out, ignore);
  return out;
}

// Rejects what structured-merge-diff cannot type: list-map items without their keys, duplicate
// items.
std::optional<std::string> check_lists(const json::value& v, Walk& w) {
  if (w.path.size() >= kWalkDepth) return std::nullopt;
  if (const auto* o = v.if_object()) {
    if (!w.path.empty() && w.shape.atomic_map(w.names)) return std::nullopt;
    for (const auto& kv : *o) {
      Step step(w, kv.key());
      if (auto err = check_lists(kv.value(), w)) return err;
    }
    return std::nullopt;
  }
  const auto* a = v.if_array();
  if (!a) return std::nullopt;
  const ListInfo info = w.shape.list_at(w.names);
  if (info.type == ListInfo::Type::kAtomic) return std::nullopt;
  auto elements = item_elements(*a, info);
  if (!elements) return path_to_string(w.path) + ": " + elements.error();
  std::set<PathElement> seen;
  for (std::size_t i = 0; i < a->size(); ++i) {
    const PathElement& pe = (*elements)[i];
    if (!seen.insert(pe).second) {
      return path_to_string(w.path) + ": duplicate entries for key " + pe.to_string();
    }
    if (info.type != ListInfo::Type::kMap) continue;
    Step step(w, pe);
    if (auto err = check_lists((*a)[i], w)) return err;
  }
  return std::nullopt;
}

json::value merge_value(const json::value* lhs, const json::value& rhs, Walk& w);

json::object merge_fields(const json::object& lhs, const json::object& rhs, Walk& w) {
  json::object out = lhs;
  for (const auto& kv : rhs) {
    Step step(w, kv.key());
    if (json::value* existing = out.if_contains(kv.key())) {
      json::value merged = merge_value(existing, kv.value(), w);
      *existing = std::move(merged);
    } else {
      out[kv.key()] = kv.value();
    }
  }
  return out;
}

// structured-merge-diff's list merge: live items keep their places, items both sides have follow
// the configuration's order, the configuration's new items come where it puts them.
std::optional<json::array> merge_list(const json::array& lhs, const json::array& rhs,
                                      const ListInfo& info, Walk& w) {
  auto lpe = item_elements(lhs, info);
  auto rpe = item_elements(rhs, info);
  if (!lpe || !rpe) return std::nullopt;
  std::map<PathElement, std::size_t> observed_l, observed_r;
  std::vector<std::size_t> r_order;
  for (std::size_t i = 0; i < rhs.size(); ++i) {
    if (observed_r.emplace((*rpe)[i], i).second) r_order.push_back(i);
  }
  for (std::size_t i = 0; i < lhs.size(); ++i) observed_l.emplace((*lpe)[i], i);
  std::vector<const PathElement*> shared;
  for (std::size_t i : r_order) {
    if (observed_l.count((*rpe)[i])) shared.push_back(&(*rpe)[i]);
  }
  std::size_t shared_at = 0;
  auto next_shared = [&]() -> const PathElement* {
    return shared_at < shared.size() ? shared[shared_at] : nullptr;
  };
  std::set<PathElement> merged_r;
  json::array out;
  auto take = [&](const PathElement& pe, const json::value* l, const json::value* r) {
    Step step(w, pe);
    if (!r) {
      out.push_back(*l);
    } else if (info.type == ListInfo::Type::kMap) {
      out.push_back(merge_value(l, *r, w));
    } else {
      out.push_back(*r);
    }
  };
  std::size_t li = 0, ri = 0;
  while (li < lhs.size() || ri < r_order.size()) {
    if (li < lhs.size() && ri < r_order.size()) {
      const PathElement& pe = (*lpe)[li];
      if (pe == (*rpe)[r_order[ri]]) {
        merged_r.insert(pe);
        take(pe, &lhs[li], &rhs[r_order[ri]]);
        ++li;
        ++ri;
        ++shared_at;
        continue;
      }
      const PathElement* want = next_shared();
      if (observed_r.count(pe) && want && !(*want == pe)) {
        ++li;  // a shared item, but not the one due now
        continue;
      }
    }
    if (li < lhs.size()) {
      const PathElement& pe = (*lpe)[li];
      if (!observed_r.count(pe)) {
        take(pe, &lhs[li], nullptr);
        ++li;
        continue;
      }
      if (merged_r.count(pe)) {
        ++li;
        continue;
      }
    }
    if (ri < r_order.size()) {
      const PathElement& pe = (*rpe)[r_order[ri]];
      merged_r.insert(pe);
      auto l = observed_l.find(pe);
      take(pe, l == observed_l.end() ? nullptr : &lhs[l->second], &rhs[r_order[ri]]);
      ++ri;
      if (const PathElement* want = next_shared(); want && *want == pe) ++shared_at;
    }
  }
  return out;
}

json::value merge_value(const json::value* lhs, const json::value& rhs, Walk& w) {
  if (!lhs || w.path.size() >= kWalkDepth) return rhs;
  if (lhs->is_object() && rhs.is_object() && !w.shape.atomic_map(w.names)) {
    return merge_fields(lhs->get_object(), rhs.get_object(), w);
  }
  if (lhs->is_array() && rhs.is_array()) {
    const ListInfo info = w.shape.list_at(w.names);
    if (info.type != ListInfo::Type::kAtomic) {
      if (auto merged = merge_list(lhs->get_array(), rhs.get_array(), info, w)) return *merged;
    }
  }
  return rhs;
}

// structured-merge-diff's Comparison: leaves added, changed or removed, and granular containers
// (maps, list-maps, sets, list items) that appeared or disappeared as a whole.
struct Diff {
  FieldSet added, modified, removed;
};

void diff(const json::value* lhs, const json::value* rhs, Walk& w, Diff& d);

void diff_fields(const json::object* lhs, const json::object* rhs, Walk& w, Diff& d) {
  if (lhs) {
    for (const auto& kv : *lhs) {
      Step step(w, kv.key());
      diff(&kv.value(), rhs ? rhs->if_contains(kv.key()) : nullptr, w, d);
    }
  }
  if (rhs) {
    for (const auto& kv : *rhs) {
      if (lhs && lhs->contains(kv.key())) continue;
      Step step(w, kv.key());
      diff(nullptr, &kv.value(), w, d);
    }
  }
}

// Index of the first item per element; nullopt when some item cannot be named.
std::optional<std::pair<std::vector<PathElement>, std::vector<std::size_t>>> index_items(
    const json::array* items, const ListInfo& info) {
  std::pair<std::vector<PathElement>, std::vector<std::size_t>> out;
  if (!items) return out;
  auto elements = item_elements(*items, info);
  if (!elements) return std::nullopt;
  std::set<PathElement> seen;
  for (std::size_t i = 0; i < items->size(); ++i) {
    if (!seen.insert((*elements)[i]).second) continue;
    out.first.push_back((*elements)[i]);
    out.second.push_back(i);
  }
  return out;
}

void mark_container(const json::value* lhs, const json::value* rhs, Walk& w, Diff& d) {
  if (!lhs) {
    d.added.insert(w.path);
  } else if (!rhs) {
    d.removed.insert(w.path);
  }
}

bool diff_granular(const json::value* lhs, const json::value* rhs, Walk& w, Diff& d) {
  const json::value* some = lhs ? lhs : rhs;
  if (some->is_object() && (!lhs || lhs->is_object()) && (!rhs || rhs->is_object())) {
    if (w.shape.atomic_map(w.names)) return false;
    const json::object* lo = lhs ? &lhs->get_object() : nullptr;
    const json::object* ro = rhs ? &rhs->get_object() : nullptr;
    if ((!lo || lo->empty()) && (!ro || ro->empty())) return false;
    diff_fields(lo, ro, w, d);
    mark_container(lhs, rhs, w, d);
    return true;
  }
  if (some->is_array() && (!lhs || lhs->is_array()) && (!rhs || rhs->is_array())) {
    const ListInfo info = w.shape.list_at(w.names);
    if (info.type == ListInfo::Type::kAtomic) return false;
    const json::array* la = lhs ? &lhs->get_array() : nullptr;
    const json::array* ra = rhs ? &rhs->get_array() : nullptr;
    if ((!la || la->empty()) && (!ra || ra->empty())) return false;
    auto li = index_items(la, info);
    auto ri = index_items(ra, info);
    if (!li || !ri) return false;
    std::map<PathElement, std::size_t> r_index;
    for (std::size_t k = 0; k < ri->first.size(); ++k) r_index.emplace(ri->first[k], ri->second[k]);
    std::set<PathElement> in_lhs;
    for (std::size_t k = 0; k < li->first.size(); ++k) {
      const PathElement& pe = li->first[k];
      in_lhs.insert(pe);
      auto r = r_index.find(pe);
      Step step(w, pe);
      diff(&(*la)[li->second[k]], r == r_index.end() ? nullptr : &(*ra)[r->second], w, d);
    }
    for (std::size_t k = 0; k < ri->first.size(); ++k) {
      if (in_lhs.count(ri->first[k])) continue;
      Step step(w, ri->first[k]);
      diff(nullptr, &(*ra)[ri->second[k]], w, d);
    }
    mark_container(lhs, rhs, w, d);
    return true;
  }
  return false;
}

bool is_container(const json::value& v) { return v.is_object() || v.is_array(); }

void diff(const json::value* lhs, const json::value* rhs, Walk& w, Diff& d) {
  if (w.path.size() < kWalkDepth && diff_granular(lhs, rhs, w, d)) return;
  if (!lhs) {
    d.added.insert(w.path);
    return;
  }
  if (!rhs) {
    d.removed.insert(w.path);
    return;
  }
  if (values_equal(*lhs, *rhs)) return;
  d.modified.insert(w.path);
  if (w.path.size() >= kWalkDepth || (!is_container(*lhs) && !is_container(*rhs))) return;
  // A value that changed shape: what lay below the old one is gone, what lies below the new one
  // is new.
  FieldSet self;
  self.insert(w.path);
  FieldSet below;
  own(*lhs, w, below);
  d.removed = d.removed.union_with(below.difference(self));
  below = FieldSet();
  own(*rhs, w, below);
  d.added = d.added.union_with(below.difference(self));
}

Diff diff_objects(const json::object& lhs, const json::object& rhs, const Shape& shape,
                  const Ignore& ignore) {
  Walk w{shape, {}, {}};
  Diff d;
  diff_fields(&lhs, &rhs, w, d);
  filter(d.added, ignore);
  filter(d.modified, ignore);
  filter(d.removed, ignore);
  return d;
}

// structured-merge-diff's RemoveItems: drops every member path (with what lies below it).
void remove_items(json::value& v, const Node& set, Walk& w) {
  if (w.path.size() >= kWalkDepth) return;
  if (auto* o = v.if_object()) {
    for (const auto& [pe, child] : set.children) {
      if (pe.kind != PathElement::Kind::kField) continue;
      json::value* field = o->if_contains(pe.name);
      if (!field) continue;
      if (child.member) {
        // Rebuilt rather than erased: Boost 1.81's object::erase moves the last member into the
        // hole, and the order of an object's fields is what users read back.
        json::object kept;
        kept.reserve(o->size());
        for (auto& kv : *o) {
          if (kv.key() != pe.name) kept.emplace(kv.key(), std::move(kv.value()));
        }
        *o = std::move(kept);
        continue;
      }
      Step step(w, pe.name);
      remove_items(*field, child, w);
    }
    return;
  }
  auto* a = v.if_array();
  if (!a) return;
  const ListInfo info = w.shape.list_at(w.names);
  if (info.type == ListInfo::Type::kAtomic) return;
  auto elements = item_elements(*a, info);
  if (!elements) return;
  json::array kept;
  kept.reserve(a->size());
  for (std::size_t i = 0; i < a->size(); ++i) {
    const Node* child = find_child(set, (*elements)[i]);
    if (child && child->member) continue;
    if (child) {
      Step step(w, (*elements)[i]);
      remove_items((*a)[i], *child, w);
    }
    kept.push_back(std::move((*a)[i]));
  }
  *a = std::move(kept);
}

// ---------------------------------------------------------------------------------------------
// managedFields entries.

// kube-apiserver's BuildManagerIdentifier: the entry's JSON without fields and time, and without
// apiVersion for appliers, so one applier keeps one entry across versions.
std::string identity(std::string_view manager, std::string_view operation,
                     std::string_view api_version, std::string_view subresource) {
  json::object o;
  if (!manager.empty()) o["manager"] = manager;
  if (!operation.empty()) o["operation"] = operation;
  if (operation != "Apply" && !api_version.empty()) o["apiVersion"] = api_version;
  if (!subresource.empty()) o["subresource"] = subresource;
  return common::to_json(o, false);
}

std::string identity(const ManagedFieldsEntry& e) {
  return identity(e.manager, e.operation, e.api_version, e.subresource);
}

using Managers = std::map<std::string, ManagedFieldsEntry>;

std::string string_member(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

tl::expected<Managers, std::string> decode_managers(const json::value& list) {
  auto entries = decode_managed_fields(list);
  if (!entries) return tl::unexpected(entries.error());
  Managers out;
  for (auto& e : *entries) {
    std::string id = identity(e);
    out[std::move(id)] = std::move(e);
  }
  return out;
}

json::value encode_managers(Managers managers) {
  std::vector<ManagedFieldsEntry> entries;
  entries.reserve(managers.size());
  for (auto& [id, e] : managers) entries.push_back(std::move(e));
  return encode_managed_fields(std::move(entries));
}

// The reset forms a client sends to clear managedFields: [] or [{}] (one entry whose every field
// is Go's zero value).
bool is_reset(const json::value& list) {
  const auto* a = list.if_array();
  if (!a) return false;
  if (a->empty()) return true;
  if (a->size() != 1) return false;
  const auto* o = (*a)[0].if_object();
  if (!o) return false;
  return std::all_of(o->begin(), o->end(), [](const auto& kv) {
    const json::value& v = kv.value();
    return v.is_null() || (v.is_string() && v.get_string().empty());
  });
}

const json::value* metadata_member(const json::value& object, std::string_view key) {
  const auto* o = object.if_object();
  if (!o) return nullptr;
  const json::value* md = o->if_contains("metadata");
  if (!md || !md->is_object()) return nullptr;
  return md->get_object().if_contains(key);
}

// The object without metadata.managedFields.
json::object without_managed_fields(const json::object& object) {
  json::object out = object;
  if (json::value* md = out.if_contains("metadata"); md && md->is_object()) {
    json::object& m = md->get_object();
    if (m.contains("managedFields")) {
      json::object kept;
      kept.reserve(m.size());
      for (auto& kv : m) {
        if (kv.key() != "managedFields") kept.emplace(kv.key(), std::move(kv.value()));
      }
      m = std::move(kept);
    }
  }
  return out;
}

void set_managed_fields(json::object& object, json::value list) {
  const auto* entries = list.if_array();
  const bool empty = !entries || entries->empty();
  json::value* md = object.if_contains("metadata");
  if (!md || !md->is_object()) {
    if (empty) return;
    object["metadata"] = json::object();
    md = object.if_contains("metadata");
  }
  json::object& m = md->get_object();
  if (empty) {
    object = without_managed_fields(object);
    return;
  }
  m["managedFields"] = std::move(list);
}

// "apps/v1, Kind=Deployment", as Go prints a GroupVersionKind.
std::string group_version_kind(const json::object& applied) {
  const std::string api_version = string_member(applied, "apiVersion");
  const auto slash = api_version.find('/');
  const std::string gv = slash == std::string::npos ? "/" + api_version : api_version;
  return gv + ", Kind=" + string_member(applied, "kind");
}

bool nests_deeper_than(const json::value& v, std::size_t limit) {
  std::vector<std::pair<const json::value*, std::size_t>> stack{{&v, 0}};
  while (!stack.empty()) {
    auto [p, depth] = stack.back();
    stack.pop_back();
    if (const auto* a = p->if_array()) {
      if (depth + 1 > limit) return true;
      for (const auto& item : *a) stack.emplace_back(&item, depth + 1);
    } else if (const auto* o = p->if_object()) {
      if (depth + 1 > limit) return true;
      for (const auto& kv : *o) stack.emplace_back(&kv.value(), depth + 1);
    }
  }
  return false;
}

// The part of a configuration a request may apply.
json::object applicable_config(const json::object& applied, const Ignore& ignore) {
  json::object out;
  for (const auto& kv : applied) {
    const std::string_view key = kv.key();
    if (key == "status" && ignore.status) continue;
    if (ignore.all_but_status && key != "status" && key != "apiVersion" && key != "kind") {
      if (key == "metadata" && kv.value().is_object()) {
        json::object md;
        for (const auto& m : kv.value().get_object()) {
          if (m.key() == "name" || m.key() == "namespace") md.emplace(m.key(), m.value());
        }
        out.emplace(key, std::move(md));
      }
      continue;
    }
    out.emplace(key, kv.value());
  }
  return out;
}

// Server-set metadata comes from the live object, whatever the configuration said.
void keep_system_metadata(json::object& merged, const json::object& base) {
  const json::value* base_md = base.if_contains("metadata");
  json::value* md = merged.if_contains("metadata");
  if (!md || !md->is_object()) return;
  json::object& m = md->get_object();
  json::object out;
  out.reserve(m.size());
  for (auto& kv : m) {
    const bool system = std::find(kSystemMetadata.begin(), kSystemMetadata.end(), kv.key()) !=
                        kSystemMetadata.end();
    if (!system) {
      out.emplace(kv.key(), std::move(kv.value()));
      continue;
    }
    const json::value* live =
        base_md && base_md->is_object() ? base_md->get_object().if_contains(kv.key()) : nullptr;
    if (live) out.emplace(kv.key(), *live);
  }
  if (base_md && base_md->is_object()) {
    for (const auto& kv : base_md->get_object()) {
      const bool system = std::find(kSystemMetadata.begin(), kSystemMetadata.end(), kv.key()) !=
                          kSystemMetadata.end();
      if (system && !out.contains(kv.key())) out.emplace(kv.key(), kv.value());
    }
  }
  m = std::move(out);
}

// kube-apiserver's printManager.
std::string describe_manager(const Conflict& c) {
  std::string out = go_quote(c.manager);
  if (!c.subresource.empty()) out += " with subresource " + go_quote(c.subresource);
  if (c.operation == "Update") out += " using " + c.api_version;
  return out;
}

std::vector<Conflict> grouped(std::vector<Conflict> conflicts) {
  std::stable_sort(conflicts.begin(), conflicts.end(), [](const Conflict& a, const Conflict& b) {
    return identity(a.manager, a.operation, a.api_version, a.subresource) <
           identity(b.manager, b.operation, b.api_version, b.subresource);
  });
  return conflicts;
}

bool same_manager(const Conflict& a, const Conflict& b) {
  return a.manager == b.manager && a.operation == b.operation && a.subresource == b.subresource &&
         (a.operation == "Apply" || a.api_version == b.api_version);
}

kube::StatusCause invalid(std::string field, const json::value& value, std::string_view detail) {
  std::string shown =
      value.is_string() ? go_quote(value.get_string()) : common::to_json(value, false);
  if (shown.size() > 120) shown = shown.substr(0, 117) + "...";
  return {std::string(kube::cause::kFieldValueInvalid),
          "Invalid value: " + shown + ": " + std::string(detail), std::move(field)};
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// PathElement

PathElement PathElement::field(std::string name) {
  PathElement pe;
  pe.kind = Kind::kField;
  pe.name = std::move(name);
  return pe;
}

PathElement PathElement::keyed(KeyFields fields) {
  PathElement pe;
  pe.kind = Kind::kKey;
  std::stable_sort(fields.begin(), fields.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  pe.key = std::move(fields);
  return pe;
}

PathElement PathElement::set_item(boost::json::value value) {
  PathElement pe;
  pe.kind = Kind::kValue;
  pe.value = std::move(value);
  return pe;
}

PathElement PathElement::at(std::int64_t index) {
  PathElement pe;
  pe.kind = Kind::kIndex;
  pe.index = index;
  return pe;
}

std::string PathElement::serialize() const {
  switch (kind) {
    case Kind::kField:
      return "f:" + name;
    case Kind::kKey: {
      json::object o;
      for (const auto& [k, v] : key) o.emplace(k, sorted_copy(v));
      return "k:" + common::to_json(o, false);
    }
    case Kind::kValue:
      return "v:" + common::to_json(sorted_copy(value), false);
    case Kind::kIndex:
      return "i:" + std::to_string(index);
  }
  return {};
}

tl::expected<std::optional<PathElement>, std::string> PathElement::parse(std::string_view text) {
  if (text.size() < 2) return tl::unexpected(std::string("key must be 2 characters long"));
  if (text[1] != ':') return tl::unexpected("missing colon: " + std::string(text));
  const std::string_view body = text.substr(2);
  switch (text[0]) {
    case 'f':
      return PathElement::field(std::string(body));
    case 'v': {
      auto v = common::parse_json(body);
      if (!v) return tl::unexpected("invalid value: " + v.error().to_string());
      return PathElement::set_item(std::move(*v));
    }
    case 'k': {
      auto v = common::parse_json(body);
      if (!v) return tl::unexpected("invalid key: " + v.error().to_string());
      if (!v->is_object()) return tl::unexpected(std::string("invalid key: expected an object"));
      KeyFields fields;
      for (const auto& kv : v->get_object()) fields.emplace_back(kv.key(), kv.value());
      return PathElement::keyed(std::move(fields));
    }
    case 'i': {
      std::int64_t i = 0;
      auto [end, ec] = std::from_chars(body.data(), body.data() + body.size(), i);
      if (ec != std::errc() || end != body.data() + body.size() || body.empty()) {
        return tl::unexpected("invalid index: " + go_quote(body));
      }
      return PathElement::at(i);
    }
    default:
      return std::optional<PathElement>();
  }
}

std::string PathElement::to_string() const {
  switch (kind) {
    case Kind::kField:
      return "." + name;
    case Kind::kKey: {
      std::string out = "[";
      for (std::size_t i = 0; i < key.size(); ++i) {
        if (i > 0) out += ',';
        out.append(key[i].first).append("=").append(value_to_string(key[i].second));
      }
      return out + "]";
    }
    case Kind::kValue:
      return "[=" + value_to_string(value) + "]";
    case Kind::kIndex:
      return "[" + std::to_string(index) + "]";
  }
  return "{{invalid path element}}";
}

int compare(const PathElement& a, const PathElement& b) {
  if (int c = three_way(static_cast<int>(a.kind), static_cast<int>(b.kind)); c != 0) return c;
  switch (a.kind) {
    case PathElement::Kind::kField:
      return sign(a.name.compare(b.name));
    case PathElement::Kind::kKey:
      for (std::size_t i = 0; i < a.key.size() && i < b.key.size(); ++i) {
        if (int c = sign(a.key[i].first.compare(b.key[i].first)); c != 0) return c;
        if (int c = compare_values(a.key[i].second, b.key[i].second); c != 0) return c;
      }
      return three_way(a.key.size(), b.key.size());
    case PathElement::Kind::kValue:
      return compare_values(a.value, b.value);
    case PathElement::Kind::kIndex:
      return three_way(a.index, b.index);
  }
  return 0;
}

std::string path_to_string(const Path& path) {
  std::string out;
  for (const auto& pe : path) out += pe.to_string();
  return out;
}

// ---------------------------------------------------------------------------------------------
// FieldSet

tl::expected<FieldSet, std::string> FieldSet::from_fields_v1(const boost::json::value& fields_v1) {
  if (fields_v1.is_null()) return FieldSet();
  const auto* o = fields_v1.if_object();
  if (!o) return tl::unexpected(std::string("fieldsV1: must be a JSON object"));
  Node root;
  bool self = false;
  Path at;
  if (auto read = read_contents(*o, root, self, at); !read) return tl::unexpected(read.error());
  root.member = false;  // the root itself is never a field
  return FieldSetAccess::make(std::move(root));
}

tl::expected<FieldSet, std::string> FieldSet::parse(std::string_view json_text) {
  auto v = common::parse_json(json_text);
  if (!v) return tl::unexpected("fieldsV1: " + v.error().to_string());
  return from_fields_v1(*v);
}

boost::json::value FieldSet::to_fields_v1() const {
  json::object out;
  write_contents(root_, out);
  return out;
}

std::string FieldSet::to_json() const { return common::to_json(to_fields_v1(), false); }

bool FieldSet::insert(const Path& path) {
  if (path.empty() || path.size() > kMaxFieldDepth) return false;
  Node* node = &root_;
  for (const auto& pe : path) node = &child_at(*node, pe);
  node->member = true;
  return true;
}

bool FieldSet::contains(const Path& path) const {
  const Node* node = &root_;
  for (const auto& pe : path) {
    node = find_child(*node, pe);
    if (!node) return false;
  }
  return !path.empty() && node->member;
}

std::size_t FieldSet::size() const { return count_members(root_); }

std::vector<Path> FieldSet::paths() const {
  std::vector<Path> out;
  Path prefix;
  collect_paths(root_, prefix, out);
  return out;
}

FieldSet FieldSet::union_with(const FieldSet& other) const {
  return FieldSetAccess::make(unite(root_, other.root_));
}

FieldSet FieldSet::intersection(const FieldSet& other) const {
  return FieldSetAccess::make(intersect(root_, other.root_));
}

FieldSet FieldSet::difference(const FieldSet& other) const {
  return FieldSetAccess::make(subtract(root_, other.root_));
}

FieldSet FieldSet::recursive_difference(const FieldSet& other) const {
  return FieldSetAccess::make(subtract_recursive(root_, other.root_));
}

bool operator==(const FieldSet& a, const FieldSet& b) { return nodes_equal(a.root_, b.root_); }

// ---------------------------------------------------------------------------------------------
// Schema and field sets of objects

SchemaLookup default_schema_lookup() {
  return [](const std::vector<std::string>& path) { return builtin_list(path); };
}

FieldSet fields_of(const boost::json::value& object, const SchemaLookup& lookup, bool ignore_status,
                   const AtomicMapLookup& atomic_maps) {
  const auto* o = object.if_object();
  if (!o) return FieldSet();
  Shape shape(lookup, atomic_maps);
  return owned_fields(*o, shape, Ignore{ignore_status, false});
}

// ---------------------------------------------------------------------------------------------
// Conflicts

std::string ApplyConflicts::message() const {
  if (conflicts.empty()) return bad_request;
  if (conflicts.size() == 1) {
    return "Apply failed with 1 conflict: conflict with " + describe_manager(conflicts[0]) + ": " +
           conflicts[0].path;
  }
  const auto sorted = grouped(conflicts);
  std::string out = "Apply failed with " + std::to_string(sorted.size()) + " conflicts: ";
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    if (i == 0 || !same_manager(sorted[i - 1], sorted[i])) {
      if (i > 0) out += '\n';
      out += "conflicts with " + describe_manager(sorted[i]) + ":";
    }
    out += "\n- " + sorted[i].path;
  }
  return out;
}

std::vector<kube::StatusCause> ApplyConflicts::causes() const {
  std::vector<kube::StatusCause> out;
  out.reserve(conflicts.size());
  for (const auto& c : grouped(conflicts)) {
    out.push_back({std::string(kube::cause::kFieldManagerConflict),
                   "conflict with " + describe_manager(c), c.path});
  }
  return out;
}

kube::Status ApplyConflicts::status() const {
  kube::Status s;
  if (conflicts.empty()) {
    s.code = 400;
    s.reason = std::string(kube::reason::kBadRequest);
    s.message = bad_request;
    return s;
  }
  s.code = 409;
  s.reason = std::string(kube::reason::kConflict);
  s.message = message();
  s.causes = causes();
  return s;
}

// ---------------------------------------------------------------------------------------------
// Apply

tl::expected<boost::json::value, ApplyConflicts> apply(const boost::json::value* live,
                                                       const boost::json::value& applied,
                                                       const ApplyOptions& options) {
  auto refuse = [](std::string why) {
    ApplyConflicts c;
    c.bad_request = std::move(why);
    return tl::unexpected(std::move(c));
  };
  const auto* applied_object = applied.if_object();
  if (!applied_object) return refuse("the applied configuration must be a JSON object");
  if (live && !live->is_object()) return refuse("the live object is not a JSON object");
  if (nests_deeper_than(applied, kMaxFieldDepth)) {
    return refuse("the applied configuration nests deeper than " + std::to_string(kMaxFieldDepth) +
                  " levels");
  }
  if (const auto* mf = metadata_member(applied, "managedFields"); mf && !mf->is_null()) {
    return refuse("metadata.managedFields must be nil");
  }

  // An entry without apiVersion would make the whole list undecodable next time.
  const std::string api_version = options.api_version.empty()
                                      ? string_member(*applied_object, "apiVersion")
                                      : options.api_version;
  const Ignore ignore{options.ignore_status, options.subresource == "status"};
  const Shape shape(options.lookup, options.atomic_maps);
  const json::object config = applicable_config(*applied_object, ignore);
  {
    Walk w{shape, {}, {}};
    if (auto err = check_lists(config, w)) {
      return refuse("failed to create typed patch object (" + group_version_kind(*applied_object) +
                    "): " + *err);
    }
  }

  const json::object base = live ? without_managed_fields(live->get_object()) : json::object();
  Managers managers;
  if (live) {
    if (const auto* mf = metadata_member(*live, "managedFields")) {
      if (auto decoded = decode_managers(*mf)) managers = std::move(*decoded);
    }
    if (managers.empty()) {
      // Fields set before anyone applied belong to "before-first-apply", so that a first apply
      // that would change them conflicts instead of silently taking them.
      const Diff d = diff_objects(json::object(), base, shape, ignore);
      FieldSet owned = d.added.union_with(d.modified);
      if (!owned.empty()) {
        ManagedFieldsEntry e{std::string(kBeforeFirstApply),
                             "Update",
                             api_version,
                             options.now,
                             options.subresource,
                             std::move(owned)};
        managers[identity(e)] = std::move(e);
      }
    }
  }

  const std::string key = identity(options.manager, "Apply", "", options.subresource);
  FieldSet last;
  std::string last_time;
  if (auto it = managers.find(key); it != managers.end()) {
    last = it->second.fields;
    last_time = it->second.time;
  }
  const FieldSet applied_fields = owned_fields(config, shape, ignore);

  Walk w{shape, {}, {}};
  json::object merged = merge_fields(base, config, w);
  if (!last.empty()) {
    // Prune what this manager applied last time, omits now, and nobody else owns.
    FieldSet owned = applied_fields;
    for (const auto& [id, e] : managers) {
      if (id != key) owned = owned.union_with(e.fields);
    }
    const Node gone = subtract(ensure_named(last.root(), true), ensure_named(owned.root(), true));
    json::value pruned = std::move(merged);
    remove_items(pruned, gone, w);
    merged = std::move(pruned.get_object());
  }
  keep_system_metadata(merged, base);

  const Diff d = diff_objects(base, merged, shape, ignore);
  const FieldSet changed = d.modified.union_with(d.added);
  std::vector<Conflict> conflicts;
  for (const auto& [id, e] : managers) {
    if (id == key) continue;
    for (const auto& path : e.fields.intersection(changed).paths()) {
      conflicts.push_back(
          {e.manager, path_to_string(path), e.operation, e.api_version, e.subresource});
    }
  }
  if (!options.force && !conflicts.empty()) {
    ApplyConflicts c;
    c.conflicts = grouped(std::move(conflicts));
    return tl::unexpected(std::move(c));
  }
  for (auto& [id, e] : managers) {
    if (id != key) e.fields = e.fields.difference(changed).difference(d.removed);
  }
  const bool object_changed = !values_equal(json::value(base), json::value(merged));
  ManagedFieldsEntry& mine = managers[key];
  mine.manager = options.manager;
  mine.operation = "Apply";
  mine.api_version = api_version;
  mine.subresource = options.subresource;
  mine.fields = applied_fields;
  // An apply that changes nothing keeps its entry's time, as kube-apiserver does.
  mine.time = object_changed || last_time.empty() ? options.now : last_time;

  set_managed_fields(merged, encode_managers(std::move(managers)));
  return json::value(std::move(merged));
}

// ---------------------------------------------------------------------------------------------
// Update

boost::json::value update_managed_fields(const boost::json::value* old_object,
                                         const boost::json::value& new_object,
                                         const UpdateOptions& options) {
  const auto* new_o = new_object.if_object();
  if (!new_o || (old_object && !old_object->is_object())) return new_object;

  auto from_old = [&]() -> Managers {
    if (!old_object) return {};
    const auto* mf = metadata_member(*old_object, "managedFields");
    if (!mf) return {};
    auto decoded = decode_managers(*mf);
    return decoded ? std::move(*decoded) : Managers();
  };
  Managers managers;
  const json::value* requested = metadata_member(new_object, "managedFields");
  if (!options.subresource.empty() || !requested) {
    // A subresource request cannot rewrite managedFields.
    managers = from_old();
  } else if (!is_reset(*requested)) {
    auto decoded = decode_managers(*requested);
    managers = decoded && !decoded->empty() ? std::move(*decoded) : from_old();
  }

  json::object result = without_managed_fields(*new_o);
  if (old_object && managers.empty()) return result;  // an untracked object stays untracked

  const std::string api_version =
      options.api_version.empty() ? string_member(*new_o, "apiVersion") : options.api_version;
  const Ignore ignore{options.ignore_status, options.subresource == "status"};
  const Shape shape(options.lookup, options.atomic_maps);
  const json::object old_fields =
      old_object ? without_managed_fields(old_object->get_object()) : json::object();
  const Diff d = diff_objects(old_fields, result, shape, ignore);
  const FieldSet changed = d.modified.union_with(d.added);
  for (auto& [id, e] : managers) e.fields = e.fields.difference(changed).difference(d.removed);
  if (!changed.empty()) {
    ManagedFieldsEntry e{options.manager,     "Update",  api_version, options.now,
                         options.subresource, FieldSet()};
    ManagedFieldsEntry& mine = managers[identity(e)];
    e.fields = mine.fields.union_with(changed);
    mine = std::move(e);
  }
  set_managed_fields(result, encode_managers(std::move(managers)));
  return result;
}

// ---------------------------------------------------------------------------------------------
// Entries

tl::expected<std::vector<ManagedFieldsEntry>, std::string> decode_managed_fields(
    const boost::json::value& list) {
  if (list.is_null()) return std::vector<ManagedFieldsEntry>();
  const auto* a = list.if_array();
  if (!a) return tl::unexpected(std::string("managedFields must be a list"));
  std::map<std::string, ManagedFieldsEntry> by_identity;
  std::vector<std::string> order;
  for (std::size_t i = 0; i < a->size(); ++i) {
    const std::string n = std::to_string(i);
    const auto* o = (*a)[i].if_object();
    if (!o) return tl::unexpected("managed fields entry " + n + " is not an object");
    ManagedFieldsEntry e;
    e.manager = string_member(*o, "manager");
    e.operation = string_member(*o, "operation");
    e.api_version = string_member(*o, "apiVersion");
    e.time = string_member(*o, "time");
    e.subresource = string_member(*o, "subresource");
    if (e.operation != "Apply" && e.operation != "Update") {
      return tl::unexpected("managed fields entry " + n +
                            ": operation must be `Apply` or `Update`");
    }
    if (e.api_version.empty()) {
      return tl::unexpected("managed fields entry " + n + ": apiVersion must not be empty");
    }
    const std::string fields_type = string_member(*o, "fieldsType");
    if (fields_type.empty())
      return tl::unexpected("missing fieldsType in managed fields entry " + n);
    if (fields_type != "FieldsV1") {
      return tl::unexpected("invalid fieldsType " + go_quote(fields_type) +
                            " in managed fields entry " + n);
    }
    if (const json::value* f = o->if_contains("fieldsV1")) {
      auto set = FieldSet::from_fields_v1(*f);
      if (!set) return tl::unexpected("managed fields entry " + n + ": " + set.error());
      e.fields = std::move(*set);
    }
    std::string id = identity(e);
    if (!by_identity.count(id)) order.push_back(id);
    by_identity[id] = std::move(e);
  }
  std::vector<ManagedFieldsEntry> out;
  out.reserve(order.size());
  for (const auto& id : order) out.push_back(std::move(by_identity[id]));
  return out;
}

boost::json::value encode_managed_fields(std::vector<ManagedFieldsEntry> entries) {
  std::erase_if(entries, [](const ManagedFieldsEntry& e) { return e.fields.empty(); });
  std::stable_sort(entries.begin(), entries.end(), [](const auto& p, const auto& q) {
    if (p.operation != q.operation) return p.operation < q.operation;
    const auto ps = unix_seconds(p.time).value_or(0), qs = unix_seconds(q.time).value_or(0);
    if (ps != qs) return ps < qs;
    if (p.manager != q.manager) return p.manager < q.manager;
    if (p.api_version != q.api_version) return p.api_version < q.api_version;
    return p.subresource < q.subresource;
  });
  json::array out;
  out.reserve(entries.size());
  for (const auto& e : entries) {
    json::object o;
    if (!e.manager.empty()) o["manager"] = e.manager;
    o["operation"] = e.operation;
    o["apiVersion"] = e.api_version;
    if (!e.time.empty()) o["time"] = e.time;
    o["fieldsType"] = "FieldsV1";
    o["fieldsV1"] = e.fields.to_fields_v1();
    if (!e.subresource.empty()) o["subresource"] = e.subresource;
    out.push_back(std::move(o));
  }
  return out;
}

tl::expected<void, std::vector<kube::StatusCause>> validate_managed_fields(
    const boost::json::value& list) {
  const std::string base = "metadata.managedFields";
  if (list.is_null() || is_reset(list)) return {};
  const auto* a = list.if_array();
  if (!a) {
    return tl::unexpected(std::vector<kube::StatusCause>{
        {std::string(kube::cause::kFieldValueTypeInvalid),
         "Invalid value: " + common::to_json(list, false).substr(0, 120) + ": must be a list",
         base}});
  }
  std::vector<kube::StatusCause> causes;
  for (std::size_t i = 0; i < a->size(); ++i) {
    const std::string at = base + "[" + std::to_string(i) + "]";
    const auto* o = (*a)[i].if_object();
    if (!o) {
      causes.push_back({std::string(kube::cause::kFieldValueTypeInvalid),
                        "Invalid value: " + common::to_json((*a)[i], false).substr(0, 120) +
                            ": must be an object",
                        at});
      continue;
    }
    for (std::string_view name :
         {"manager", "operation", "apiVersion", "time", "fieldsType", "subresource"}) {
      const json::value* v = o->if_contains(name);
      if (v && !v->is_null() && !v->is_string()) {
        causes.push_back(invalid(at + "." + std::string(name), *v, "must be a string"));
      }
    }
    const json::value operation = json::string(string_member(*o, "operation"));
    if (operation.get_string() != "Apply" && operation.get_string() != "Update") {
      causes.push_back(invalid(at + ".operation", operation, "must be `Apply` or `Update`"));
    }
    const std::string fields_type = string_member(*o, "fieldsType");
    if (!fields_type.empty() && fields_type != "FieldsV1") {
      causes.push_back(
          invalid(at + ".fieldsType", json::string(fields_type), "must be `FieldsV1`"));
    }
    const std::string manager = string_member(*o, "manager");
    if (manager.size() > kFieldManagerMaxLength) {
      causes.push_back(
          {std::string(kube::cause::kFieldValueTooLong),
           "Too long: may not be more than " + std::to_string(kFieldManagerMaxLength) + " bytes",
           at + ".manager"});
    } else {
      for (std::size_t p = 0; p < manager.size();) {
        char32_t r = 0;
        std::size_t n = utf8_rune(manager, p, r);
        if (n == 0 || !go_printable(r)) {
          char buf[96];
          std::snprintf(buf, sizeof buf, "invalid character U+%04X (at position %zu)",
                        n == 0 ? 0xFFFDu : static_cast<unsigned>(r), p);
          causes.push_back(invalid(at + ".manager", json::string(manager), buf));
          break;
        }
        p += n;
      }
    }
    const std::string time = string_member(*o, "time");
    if (!time.empty() && !unix_seconds(time)) {
      causes.push_back(invalid(at + ".time", json::string(time), "must be an RFC3339 time"));
    }
    if (const json::value* f = o->if_contains("fieldsV1")) {
      if (auto set = FieldSet::from_fields_v1(*f); !set) {
        causes.push_back(invalid(at + ".fieldsV1", *f, set.error()));
      }
    }
  }
  if (causes.empty()) return {};
  return tl::unexpected(std::move(causes));
}

}  // namespace lambda::apiserver
