#include "apiserver/patch.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <unordered_map>
#include <utility>

#include "common/json_yaml.h"

namespace lambda::apiserver {
namespace json = boost::json;

namespace {

using Status = tl::expected<void, PatchError>;

tl::unexpected<PatchError> bad_request(std::string message) {
  return tl::unexpected(PatchError{400, std::move(message)});
}

tl::unexpected<PatchError> unprocessable(std::string message) {
  return tl::unexpected(PatchError{422, std::move(message)});
}

std::string compact(const json::value& v) { return common::to_json(v, false); }

// ---------------------------------------------------------------------------------------------
// Shared helpers.

// Containers on the deepest path (a scalar is 0), without recursion; counting stops just past
// `limit`.
std::size_t nesting_depth(const json::value& root, std::size_t limit) {
  std::vector<std::pair<const json::value*, std::size_t>> stack{{&root, 0}};
  std::size_t deepest = 0;
  while (!stack.empty()) {
    auto [v, depth] = stack.back();
    stack.pop_back();
    if (!v->is_object() && !v->is_array()) continue;
    ++depth;
    deepest = std::max(deepest, depth);
    if (deepest > limit) return deepest;
    if (v->is_object()) {
      for (const auto& kv : v->get_object()) stack.emplace_back(&kv.value(), depth);
    } else {
      for (const auto& item : v->get_array()) stack.emplace_back(&item, depth);
    }
  }
  return deepest;
}

Status check_depths(const json::value& target, const json::value& patch) {
  if (nesting_depth(patch, kMaxPatchDepth) > kMaxPatchDepth) {
    return bad_request(fmt::format("the patch nests deeper than {} levels", kMaxPatchDepth));
  }
  if (nesting_depth(target, kMaxPatchDepth) > kMaxPatchDepth) {
    return unprocessable(fmt::format("the document nests deeper than {} levels", kMaxPatchDepth));
  }
  return {};
}

bool is_number(const json::value& v) { return v.is_int64() || v.is_uint64() || v.is_double(); }

// Exact comparison of a double with an integer (no rounding of the integer to double).
bool double_equals_int(double d, std::int64_t i) {
  if (!std::isfinite(d) || std::trunc(d) != d) return false;
  if (d < -9223372036854775808.0 || d >= 9223372036854775808.0) return false;
  return static_cast<std::int64_t>(d) == i;
}

bool double_equals_uint(double d, std::uint64_t u) {
  if (!std::isfinite(d) || std::trunc(d) != d) return false;
  if (d < 0 || d >= 18446744073709551616.0) return false;
  return static_cast<std::uint64_t>(d) == u;
}

bool numbers_equal(const json::value& a, const json::value& b) {
  if (a.is_double() && b.is_double()) return a.get_double() == b.get_double();
  if (a.is_double()) return numbers_equal(b, a);
  if (b.is_double()) {
    return a.is_int64() ? double_equals_int(b.get_double(), a.get_int64())
                        : double_equals_uint(b.get_double(), a.get_uint64());
  }
  if (a.is_int64() && b.is_int64()) return a.get_int64() == b.get_int64();
  if (a.is_uint64() && b.is_uint64()) return a.get_uint64() == b.get_uint64();
  const std::int64_t i = a.is_int64() ? a.get_int64() : b.get_int64();
  const std::uint64_t u = a.is_uint64() ? a.get_uint64() : b.get_uint64();
  return i >= 0 && static_cast<std::uint64_t>(i) == u;
}

// JSON equality: numbers by value, objects regardless of member order. Recurses once per level;
// callers have checked the depth of both values.
bool json_equal(const json::value& a, const json::value& b) {
  if (is_number(a) && is_number(b)) return numbers_equal(a, b);
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case json::kind::null:
      return true;
    case json::kind::bool_:
      return a.get_bool() == b.get_bool();
    case json::kind::string:
      return a.get_string() == b.get_string();
    case json::kind::array: {
      const auto& x = a.get_array();
      const auto& y = b.get_array();
      if (x.size() != y.size()) return false;
      for (std::size_t i = 0; i < x.size(); ++i) {
        if (!json_equal(x[i], y[i])) return false;
      }
      return true;
    }
    case json::kind::object: {
      const auto& x = a.get_object();
      const auto& y = b.get_object();
      if (x.size() != y.size()) return false;
      for (const auto& kv : x) {
        const auto* other = y.if_contains(kv.key());
        if (!other || !json_equal(kv.value(), *other)) return false;
      }
      return true;
    }
    default:
      return false;  // numbers are handled above
  }
}

// ---------------------------------------------------------------------------------------------
// JSON merge patch.

void merge_patch_into(json::value& target, const json::value& patch) {
  if (!patch.is_object()) {
    target = patch;
    return;
  }
  if (!target.is_object()) target = json::object();
  auto& members = target.get_object();
  for (const auto& kv : patch.get_object()) {
    if (kv.value().is_null()) {
      members.stable_erase(kv.key());
    } else {
      merge_patch_into(members[kv.key()], kv.value());
    }
  }
}

// ---------------------------------------------------------------------------------------------
// JSON patch.

enum class OpKind { kAdd, kRemove, kReplace, kMove, kCopy, kTest };

struct Operation {
  OpKind kind;
  std::string name;
  std::string path_text;
  std::vector<std::string> path;
  std::string from_text;
  std::vector<std::string> from;
  const json::value* value = nullptr;
};

// RFC 6901. nullopt for a pointer that is neither "" nor starts with '/', or has a '~' not
// followed by 0 or 1.
std::optional<std::vector<std::string>> parse_pointer(std::string_view text) {
  std::vector<std::string> tokens;
  if (text.empty()) return tokens;
  if (text.front() != '/') return std::nullopt;
  text.remove_prefix(1);
  while (true) {
    const auto slash = text.find('/');
    const std::string_view raw = text.substr(0, slash);
    std::string token;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '~') {
        token += raw[i];
      } else if (i + 1 < raw.size() && (raw[i + 1] == '0' || raw[i + 1] == '1')) {
        token += raw[i + 1] == '0' ? '~' : '/';
        ++i;
      } else {
        return std::nullopt;
      }
    }
    tokens.push_back(std::move(token));
    if (slash == std::string_view::npos) return tokens;
    text.remove_prefix(slash + 1);
  }
}

std::string_view go_type_of(const json::value& v) {
  switch (v.kind()) {
    case json::kind::object:
      return "object";
    case json::kind::array:
      return "array";
    case json::kind::string:
      return "string";
    case json::kind::bool_:
      return "bool";
    case json::kind::null:
      return "null";
    default:
      return "number";
  }
}

tl::expected<std::vector<Operation>, PatchError> decode_json_patch(const json::value& patch) {
  if (!patch.is_array()) {
    // The text kube-apiserver answers when the body is not a list.
    return bad_request(fmt::format(
        "json: cannot unmarshal {} into Go value of type jsonpatch.Patch", go_type_of(patch)));
  }
  const auto& ops = patch.get_array();
  if (ops.size() > kMaxJsonPatchOperations) {
    return tl::unexpected(
        PatchError{413, fmt::format("The allowed maximum operations in a JSON patch is {}, got {}",
                                    kMaxJsonPatchOperations, ops.size())});
  }
  std::vector<Operation> out;
  out.reserve(ops.size());
  for (const auto& item : ops) {
    if (!item.is_object()) {
      return bad_request(fmt::format(
          "json: cannot unmarshal {} into Go value of type jsonpatch.Operation", go_type_of(item)));
    }
    const auto& o = item.get_object();
    Operation op;
    const auto* kind = o.if_contains("op");
    op.name = kind && kind->is_string() ? std::string(kind->get_string()) : "unknown";
    static const std::pair<std::string_view, OpKind> kKinds[] = {
        {"add", OpKind::kAdd},   {"remove", OpKind::kRemove}, {"replace", OpKind::kReplace},
        {"move", OpKind::kMove}, {"copy", OpKind::kCopy},     {"test", OpKind::kTest}};
    auto known = std::find_if(std::begin(kKinds), std::end(kKinds),
                              [&](const auto& k) { return k.first == op.name; });
    if (known == std::end(kKinds)) return bad_request("Unexpected kind: " + op.name);
    op.kind = known->second;

    auto pointer = [&](std::string_view field, std::string& text,
                       std::vector<std::string>& tokens) -> Status {
      const auto* v = o.if_contains(field);
      if (!v || v->is_null()) {
        return bad_request(fmt::format(
            "{} operation failed to decode {}: operation missing {} field: missing value", op.name,
            field, field));
      }
      if (!v->is_string()) {
        return bad_request(fmt::format("{} operation failed to decode {}: {} must be a string",
                                       op.name, field, field));
      }
      text = std::string(v->get_string());
      auto parsed = parse_pointer(text);
      if (!parsed) {
        return bad_request(fmt::format("{} operation has an invalid JSON pointer in {}: \"{}\"",
                                       op.name, field, text));
      }
      tokens = std::move(*parsed);
      return {};
    };
    if (auto s = pointer("path", op.path_text, op.path); !s) return tl::unexpected(s.error());
    if (op.kind == OpKind::kMove || op.kind == OpKind::kCopy) {
      if (auto s = pointer("from", op.from_text, op.from); !s) return tl::unexpected(s.error());
    }
    if (op.kind == OpKind::kAdd || op.kind == OpKind::kReplace || op.kind == OpKind::kTest) {
      op.value = o.if_contains("value");
      if (!op.value) {
        return bad_request(fmt::format("{} operation has no value: missing value", op.name));
      }
    }
    out.push_back(std::move(op));
  }
  return out;
}

// The position a token names in an array: "0" or digits without a leading zero, below the size
// (up to the size, or "-", where the end may be named). The error text follows evanphx.
tl::expected<std::size_t, std::string> array_position(const json::array& a, std::string_view token,
                                                      bool end_allowed) {
  if (token == "-" && end_allowed) return a.size();
  const bool digits = !token.empty() && std::all_of(token.begin(), token.end(),
                                                    [](char c) { return c >= '0' && c <= '9'; });
  if (!digits || (token.size() > 1 && token.front() == '0')) {
    return tl::unexpected(fmt::format("value was not a proper array index: '{}'", token));
  }
  std::size_t index = 0;
  for (char c : token) {
    if (index > (a.size() + 1) * 10) break;  // already out of range; avoid overflow
    index = index * 10 + static_cast<std::size_t>(c - '0');
  }
  if (index > a.size() || (index == a.size() && !end_allowed)) {
    return tl::unexpected(
        fmt::format("Unable to access invalid index: {}: invalid index referenced", token));
  }
  return index;
}

json::value* child_of(json::value& v, const std::string& token) {
  if (v.is_object()) return v.get_object().if_contains(token);
  if (v.is_array()) {
    auto pos = array_position(v.get_array(), token, false);
    return pos ? &v.get_array()[*pos] : nullptr;
  }
  return nullptr;
}

// The container holding the pointer's last token; null when the way there does not exist.
json::value* find_parent(json::value& doc, const std::vector<std::string>& tokens) {
  json::value* current = &doc;
  for (std::size_t i = 0; i + 1 < tokens.size(); ++i) {
    current = child_of(*current, tokens[i]);
    if (!current) return nullptr;
  }
  return current->is_object() || current->is_array() ? current : nullptr;
}

// Approximate size of the value as JSON text, without recursion; also its nesting depth.
std::pair<std::size_t, std::size_t> size_and_depth(const json::value& root) {
  std::vector<std::pair<const json::value*, std::size_t>> stack{{&root, 0}};
  std::size_t bytes = 0;
  std::size_t deepest = 0;
  while (!stack.empty()) {
    auto [v, depth] = stack.back();
    stack.pop_back();
    switch (v->kind()) {
      case json::kind::object:
        deepest = std::max(deepest, depth + 1);
        bytes += 2;
        for (const auto& kv : v->get_object()) {
          bytes += kv.key().size() + 4;
          stack.emplace_back(&kv.value(), depth + 1);
        }
        break;
      case json::kind::array:
        deepest = std::max(deepest, depth + 1);
        bytes += 2;
        for (const auto& item : v->get_array()) {
          bytes += 1;
          stack.emplace_back(&item, depth + 1);
        }
        break;
      case json::kind::string:
        bytes += v->get_string().size() + 2;
        break;
      default:
        bytes += 8;
        break;
    }
  }
  return {bytes, deepest};
}

class JsonPatcher {
 public:
  explicit JsonPatcher(json::value doc) : doc_(std::move(doc)) {}

  Status apply(const Operation& op) {
    switch (op.kind) {
      case OpKind::kAdd:
        return add(op);
      case OpKind::kRemove:
        return remove(op);
      case OpKind::kReplace:
        return replace(op);
      case OpKind::kMove:
        return move(op);
      case OpKind::kCopy:
        return copy(op);
      case OpKind::kTest:
        return test(op);
    }
    return {};
  }

  json::value take() { return std::move(doc_); }

 private:
  Status check_depth(const Operation& op, std::size_t path_tokens, const json::value& value) {
    const std::size_t room = kMaxPatchDepth - std::min(path_tokens, kMaxPatchDepth);
    if (path_tokens > kMaxPatchDepth || nesting_depth(value, room) > room) {
      return unprocessable(
          fmt::format("{} operation for path '{}' would nest the document deeper than {} levels",
                      op.name, op.path_text, kMaxPatchDepth));
    }
    return {};
  }

  enum class Inserted { kDone, kNoParent, kBadIndex };

  // Puts `value` where `path` points, as RFC 6902's "add" does; a bad array index is described
  // in *index_error.
  Inserted insert(const std::vector<std::string>& path, json::value value,
                  std::string* index_error) {
    if (path.empty()) {
      doc_ = std::move(value);
      return Inserted::kDone;
    }
    json::value* parent = find_parent(doc_, path);
    if (!parent) return Inserted::kNoParent;
    if (parent->is_object()) {
      parent->get_object()[path.back()] = std::move(value);
      return Inserted::kDone;
    }
    auto& a = parent->get_array();
    auto pos = array_position(a, path.back(), true);
    if (!pos) {
      *index_error = pos.error();
      return Inserted::kBadIndex;
    }
    a.insert(a.begin() + static_cast<std::ptrdiff_t>(*pos), std::move(value));
    return Inserted::kDone;
  }

  Status add(const Operation& op) {
    if (auto s = check_depth(op, op.path.size(), *op.value); !s) return s;
    std::string index_error;
    auto done = insert(op.path, *op.value, &index_error);
    if (done == Inserted::kNoParent) {
      return unprocessable(
          fmt::format("add operation does not apply: doc is missing path: \"{}\": missing value",
                      op.path_text));
    }
    if (done == Inserted::kBadIndex) {
      return unprocessable(
          fmt::format("error in add for path: '{}': {}", op.path_text, index_error));
    }
    return {};
  }

  Status remove(const Operation& op) {
    json::value* parent = op.path.empty() ? nullptr : find_parent(doc_, op.path);
    if (!parent) {
      return unprocessable(
          fmt::format("remove operation does not apply: doc is missing path: \"{}\": missing value",
                      op.path_text));
    }
    if (parent->is_object()) {
      if (parent->get_object().stable_erase(op.path.back()) == 0) {
        return unprocessable(fmt::format(
            "error in remove for path: '{}': Unable to remove nonexistent key: {}: missing value",
            op.path_text, op.path.back()));
      }
      return {};
    }
    auto& a = parent->get_array();
    auto pos = array_position(a, op.path.back(), false);
    if (!pos) {
      return unprocessable(
          fmt::format("error in remove for path: '{}': {}", op.path_text, pos.error()));
    }
    a.erase(a.begin() + static_cast<std::ptrdiff_t>(*pos));
    return {};
  }

  Status replace(const Operation& op) {
    if (auto s = check_depth(op, op.path.size(), *op.value); !s) return s;
    if (op.path.empty()) {
      doc_ = *op.value;
      return {};
    }
    json::value* parent = find_parent(doc_, op.path);
    if (!parent) {
      return unprocessable(
          fmt::format("replace operation does not apply: doc is missing path: {}: missing value",
                      op.path_text));
    }
    json::value* slot = child_of(*parent, op.path.back());
    if (!slot) {
      return unprocessable(fmt::format(
          "replace operation does not apply: doc is missing key: {}: missing value", op.path_text));
    }
    *slot = *op.value;
    return {};
  }

  static bool is_proper_prefix(const std::vector<std::string>& prefix,
                               const std::vector<std::string>& path) {
    return prefix.size() < path.size() && std::equal(prefix.begin(), prefix.end(), path.begin());
  }

  // The value at `from`, taken out of the document (move) or copied (copy).
  tl::expected<json::value, std::string> extract(const Operation& op, bool take) {
    if (op.from.empty()) return take ? std::move(doc_) : doc_;
    json::value* parent = find_parent(doc_, op.from);
    if (!parent) {
      return tl::unexpected(
          fmt::format("{} operation does not apply: doc is missing from path: {}: "
                      "missing value",
                      op.name, op.from_text));
    }
    if (parent->is_object()) {
      auto& o = parent->get_object();
      auto it = o.find(op.from.back());
      if (it == o.end()) {
        return tl::unexpected(
            fmt::format("{} operation does not apply: doc is missing from path: "
                        "{}: missing value",
                        op.name, op.from_text));
      }
      if (!take) return it->value();
      json::value v = std::move(it->value());
      o.stable_erase(it);
      return v;
    }
    auto& a = parent->get_array();
    auto pos = array_position(a, op.from.back(), false);
    if (!pos) {
      return tl::unexpected(
          fmt::format("error in {} for from: '{}': {}", op.name, op.from_text, pos.error()));
    }
    if (!take) return a[*pos];
    json::value v = std::move(a[*pos]);
    a.erase(a.begin() + static_cast<std::ptrdiff_t>(*pos));
    return v;
  }

  Status move(const Operation& op) {
    if (is_proper_prefix(op.from, op.path)) {
      return unprocessable(
          fmt::format("move operation does not apply: cannot move \"{}\" into its own child \"{}\"",
                      op.from_text, op.path_text));
    }
    if (op.from == op.path) {
      // Nothing moves, but the location must exist.
      if (!op.path.empty()) {
        json::value* parent = find_parent(doc_, op.from);
        if (!parent || !child_of(*parent, op.from.back())) {
          return unprocessable(
              fmt::format("move operation does not apply: doc is missing from "
                          "path: {}: missing value",
                          op.from_text));
        }
      }
      return {};
    }
    // Moving to a deeper place can deepen the document; check before anything changes.
    if (op.path.size() > op.from.size()) {
      json::value* parent = find_parent(doc_, op.from);
      json::value* source = parent ? child_of(*parent, op.from.back()) : nullptr;
      if (source) {
        if (auto s = check_depth(op, op.path.size(), *source); !s) return s;
      }
    }
    auto value = extract(op, true);
    if (!value) return unprocessable(value.error());
    std::string index_error;
    auto done = insert(op.path, std::move(*value), &index_error);
    if (done == Inserted::kNoParent) {
      return unprocessable(fmt::format(
          "move operation does not apply: doc is missing destination path: {}: missing value",
          op.path_text));
    }
    if (done == Inserted::kBadIndex) {
      return unprocessable(
          fmt::format("error in move for path: '{}': {}", op.path_text, index_error));
    }
    return {};
  }

  Status copy(const Operation& op) {
    // Size and depth are measured before copying, so that a refused copy costs no memory.
    const json::value* source = &doc_;
    if (!op.from.empty()) {
      json::value* parent = find_parent(doc_, op.from);
      source = parent ? child_of(*parent, op.from.back()) : nullptr;
    }
    if (source) {
      auto [bytes, depth] = size_and_depth(*source);
      copied_bytes_ += bytes;
      if (copied_bytes_ > kMaxJsonPatchCopyBytes) {
        return unprocessable(
            fmt::format("Unable to complete the copy, the accumulated size increase of copy is {}, "
                        "exceeding the limit {}",
                        copied_bytes_, kMaxJsonPatchCopyBytes));
      }
      if (op.path.size() + depth > kMaxPatchDepth) {
        return unprocessable(fmt::format(
            "copy operation for path '{}' would nest the document deeper than {} levels",
            op.path_text, kMaxPatchDepth));
      }
    }
    auto value = extract(op, false);
    if (!value) return unprocessable(value.error());
    std::string index_error;
    auto done = insert(op.path, std::move(*value), &index_error);
    if (done == Inserted::kNoParent) {
      return unprocessable(fmt::format(
          "copy operation does not apply: doc is missing destination path: {}: missing value",
          op.path_text));
    }
    if (done == Inserted::kBadIndex) {
      return unprocessable(fmt::format("error while adding value during copy: {}", index_error));
    }
    return {};
  }

  Status test(const Operation& op) {
    const json::value* actual = &doc_;
    if (!op.path.empty()) {
      json::value* parent = find_parent(doc_, op.path);
      if (!parent) {
        return unprocessable(fmt::format(
            "test operation does not apply: is missing path: {}: missing value", op.path_text));
      }
      if (parent->is_array()) {
        auto pos = array_position(parent->get_array(), op.path.back(), false);
        if (!pos) {
          return unprocessable(
              fmt::format("error in test for path: '{}': {}", op.path_text, pos.error()));
        }
        actual = &parent->get_array()[*pos];
      } else {
        actual = parent->get_object().if_contains(op.path.back());
      }
    }
    if (!actual || !json_equal(*actual, *op.value)) {
      return unprocessable(fmt::format("testing value {} failed: test failed", op.path_text));
    }
    return {};
  }

  json::value doc_;
  std::size_t copied_bytes_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Strategic merge patch.

constexpr std::string_view kDirectiveMarker = "$patch";
constexpr std::string_view kRetainKeys = "$retainKeys";
constexpr std::string_view kDeleteFromPrimitiveList = "$deleteFromPrimitiveList";
constexpr std::string_view kSetElementOrder = "$setElementOrder";

// Reflect kinds as apimachinery's mergepatch errors name them.
std::string_view go_kind_of(const json::value& v) {
  switch (v.kind()) {
    case json::kind::object:
      return "map";
    case json::kind::array:
      return "slice";
    case json::kind::string:
      return "string";
    case json::kind::bool_:
      return "bool";
    case json::kind::null:
      return "invalid";
    default:
      return "float64";
  }
}

// A text that is equal for equal scalars (numbers by value), used to find list elements by
// value or merge key in constant time.
std::string identity(const json::value& v) {
  switch (v.kind()) {
    case json::kind::string:
      return "s" + std::string(v.get_string());
    case json::kind::null:
      return "n";
    case json::kind::bool_:
      return v.get_bool() ? "t" : "f";
    case json::kind::object:
    case json::kind::array:
      return "j" + compact(v);
    default:
      return "#" + common::format_number(v);
  }
}

// The field a prefixed directive names: "$setElementOrder/containers" -> "containers".
std::optional<std::string> directive_field(std::string_view key, std::string_view prefix) {
  if (!key.starts_with(prefix) || key.size() <= prefix.size() || key[prefix.size()] != '/') {
    return std::nullopt;
  }
  return std::string(key.substr(prefix.size() + 1));
}

std::string directive_text(const json::value& d) {
  return d.is_string() ? std::string(d.get_string()) : compact(d);
}

tl::unexpected<PatchError> no_merge_key(int code, const json::value& element,
                                        std::string_view merge_key) {
  return tl::unexpected(PatchError{
      code,
      fmt::format("map: {} does not contain declared merge key: {}", compact(element), merge_key)});
}

// Positions of elements in a list, by merge key value (objects) or by value (primitives).
class ListIndex {
 public:
  explicit ListIndex(std::string merge_key) : merge_key_(std::move(merge_key)) {}
  ListIndex(const json::array& list, std::string merge_key) : merge_key_(std::move(merge_key)) {
    for (const auto& e : list) add(e);
  }

  // Records the next position; an element already known keeps its first position.
  void add(const json::value& element) {
    if (auto id = key_of(element)) positions_.emplace(std::move(*id), size_);
    ++size_;
  }

  // The identity an element is found by; nullopt for an object without the merge key.
  std::optional<std::string> key_of(const json::value& element) const {
    if (merge_key_.empty()) return identity(element);
    if (!element.is_object()) return std::nullopt;
    const auto* v = element.get_object().if_contains(merge_key_);
    if (!v) return std::nullopt;
    return identity(*v);
  }

  std::optional<std::size_t> find(const json::value& element) const {
    auto id = key_of(element);
    if (!id) return std::nullopt;
    auto it = positions_.find(*id);
    if (it == positions_.end()) return std::nullopt;
    return it->second;
  }

 private:
  std::string merge_key_;
  std::unordered_map<std::string, std::size_t> positions_;
  std::size_t size_ = 0;
};

// Sorts by position in `order`; elements not in it keep their relative order at the end.
void sort_by(std::vector<json::value>& items, const ListIndex& order) {
  std::vector<std::pair<std::size_t, std::size_t>> keys;
  keys.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    keys.emplace_back(order.find(items[i]).value_or(std::numeric_limits<std::size_t>::max()), i);
  }
  std::stable_sort(keys.begin(), keys.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<json::value> sorted;
  sorted.reserve(items.size());
  for (const auto& k : keys) sorted.push_back(std::move(items[k.second]));
  items = std::move(sorted);
}

// apimachinery's mergeSortedSlice: server-only elements (left) are interleaved into the patch's
// elements (right); a left element goes first only when both are in the old list and it came
// before there.
json::array interleave(std::vector<json::value> left, std::vector<json::value> right,
                       const ListIndex& server_order) {
  json::array out;
  out.reserve(left.size() + right.size());
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < left.size() || j < right.size()) {
    bool take_left = j >= right.size();
    if (i < left.size() && j < right.size()) {
      auto li = server_order.find(left[i]);
      auto ri = server_order.find(right[j]);
      take_left = li && ri && *li < *ri;
    }
    if (take_left) {
      out.push_back(std::move(left[i++]));
    } else {
      out.push_back(std::move(right[j++]));
    }
  }
  return out;
}

class StrategicMerger {
 public:
  explicit StrategicMerger(const PatchSchema& schema) : schema_(schema) {}

  Status merge_object(json::object& original, const json::object& patch, std::size_t depth) {
    // The inputs' depth was checked; this is a backstop for the recursion.
    if (depth > 4 * kMaxPatchDepth) return unprocessable("the patch nests too deeply");
    if (const auto* directive = patch.if_contains(kDirectiveMarker)) {
      if (directive->is_string() && directive->get_string() == "replace") {
        json::object rest = patch;
        rest.stable_erase(kDirectiveMarker);
        original = json::object();
        return merge_object(original, rest, depth + 1);
      }
      if (directive->is_string() && directive->get_string() == "delete") {
        original = json::object();
        return {};
      }
      return bad_request(fmt::format("unknown patch type: {} in map: {}",
                                     directive_text(*directive), compact(patch)));
    }
    if (auto s = retain_keys(original, patch); !s) return s;

    std::set<std::string> ordered;  // lists already merged together with their $setElementOrder
    for (const auto& kv : patch) {
      if (!kv.key().starts_with(kSetElementOrder)) continue;
      auto field = directive_field(kv.key(), kSetElementOrder);
      if (!field || !kv.value().is_array()) {
        return bad_request("invalid patch format of setElementOrder list");
      }
      if (auto s = merge_with_order(original, patch, *field, kv.value().get_array(), depth); !s) {
        return s;
      }
      ordered.insert(*field);
    }

    // Deletions from primitive lists come after the merges, as they do for a list that has a
    // $setElementOrder (apimachinery leaves the order to Go's map iteration otherwise).
    for (int pass = 0; pass < 2; ++pass) {
      for (const auto& kv : patch) {
        const std::string_view key = kv.key();
        if (key == kRetainKeys || key.starts_with(kSetElementOrder)) continue;
        const bool delete_list = key.starts_with(kDeleteFromPrimitiveList);
        if (delete_list != (pass == 1)) continue;
        std::string field(key);
        if (delete_list) {
          auto f = directive_field(key, kDeleteFromPrimitiveList);
          if (!f) return bad_request("invalid patch format of primitive list");
          field = std::move(*f);
        } else if (ordered.count(field)) {
          continue;
        }
        if (auto s = merge_field(original, field, kv.value(), delete_list, depth); !s) return s;
      }
    }
    return {};
  }

 private:
  struct PathGuard {
    PathGuard(std::vector<std::string>& path, const std::string& field) : path_(path) {
      path_.push_back(field);
    }
    ~PathGuard() { path_.pop_back(); }
    PathGuard(const PathGuard&) = delete;
    PathGuard& operator=(const PathGuard&) = delete;
    std::vector<std::string>& path_;
  };

  Status retain_keys(json::object& original, const json::object& patch) {
    const auto* retain = patch.if_contains(kRetainKeys);
    if (!retain) return {};
    if (!retain->is_array()) return bad_request("invalid patch format of retainKeys");
    std::set<std::string, std::less<>> keep;
    for (const auto& k : retain->get_array()) {
      if (k.is_string()) keep.emplace(k.get_string());
    }
    for (const auto& kv : patch) {
      const std::string_view key = kv.key();
      if (kv.value().is_null() || key == kRetainKeys || key.starts_with(kDeleteFromPrimitiveList) ||
          key.starts_with(kSetElementOrder)) {
        continue;
      }
      if (!keep.count(key)) return bad_request("invalid patch format of retainKeys");
    }
    json::object kept;
    for (auto& kv : original) {
      if (keep.count(kv.key())) kept.emplace(kv.key(), std::move(kv.value()));
    }
    original = std::move(kept);
    return {};
  }

  // A value for a field the document does not have yet: the patch applied to an empty value,
  // so that its nulls and directives do not end up in the document.
  tl::expected<json::value, PatchError> fresh(const json::value& patch, std::size_t depth) {
    if (patch.is_object()) {
      json::object o;
      if (auto s = merge_object(o, patch.get_object(), depth + 1); !s) {
        return tl::unexpected(s.error());
      }
      return o;
    }
    if (patch.is_array()) {
      json::value list = json::array();
      if (auto s = merge_list_field(list, patch.get_array(), false, depth + 1); !s) {
        return tl::unexpected(s.error());
      }
      return list;
    }
    return patch;
  }

  Status merge_field(json::object& original, const std::string& field, const json::value& patch,
                     bool delete_list, std::size_t depth) {
    PathGuard guard(path_, field);
    if (patch.is_null()) {
      original.stable_erase(field);
      return {};
    }
    json::value* current = original.if_contains(field);
    const bool same_container_kind = current && ((current->is_object() && patch.is_object()) ||
                                                 (current->is_array() && patch.is_array()));
    if (!same_container_kind) {
      if (delete_list) return {};  // nothing to delete from
      auto value = fresh(patch, depth);
      if (!value) return tl::unexpected(value.error());
      original[field] = std::move(*value);
      return {};
    }
    if (current->is_object()) {
      return merge_object(current->get_object(), patch.get_object(), depth + 1);
    }
    return merge_list_field(*current, patch.get_array(), delete_list, depth + 1);
  }

  Status merge_list_field(json::value& current, const json::array& patch, bool delete_list,
                          std::size_t depth) {
    auto strategy = schema_.list_strategy(path_);
    if (delete_list || (strategy && strategy->merge)) {
      return merge_list(current.get_array(), patch, strategy ? strategy->merge_key : "",
                        delete_list, depth);
    }
    current = patch;
    return {};
  }

  // All elements must have one type, and lists of lists are not supported.
  Status check_element_types(const json::array& original, const json::array& patch) {
    std::optional<std::string_view> type;
    for (const auto* list : {&patch, &original}) {
      for (const auto& e : *list) {
        if (e.is_array()) {
          return unprocessable("lists of lists are not supported");
        }
        auto t = go_kind_of(e);
        if (!type) {
          type = t;
        } else if (*type != t) {
          // Mixed types within the patch make a malformed patch; against the document, a patch
          // that does not fit.
          return tl::unexpected(PatchError{
              list == &patch ? 400 : 422, fmt::format("list element types are not identical: {} {}",
                                                      compact(original), compact(patch))});
        }
      }
    }
    return {};
  }

  Status merge_list(json::array& original, const json::array& patch, const std::string& merge_key,
                    bool delete_list, std::size_t depth) {
    if (original.empty() && patch.empty()) return {};
    if (auto s = check_element_types(original, patch); !s) return s;
    const bool objects = (!patch.empty() ? patch.front() : original.front()).is_object();
    if (!objects) return merge_primitive_list(original, patch, merge_key, delete_list);
    if (delete_list) return bad_request("invalid patch format of primitive list");
    if (merge_key.empty()) {
      return unprocessable(fmt::format("cannot merge lists without merge key for {}", path_text()));
    }

    // Elements with a $patch directive first: deletions and a whole-list replace.
    std::vector<const json::value*> items;
    std::set<std::string> deleted;
    bool replace = false;
    for (const auto& e : patch) {
      const auto& o = e.get_object();
      const auto* directive = o.if_contains(kDirectiveMarker);
      if (!directive) {
        const auto* key = o.if_contains(merge_key);
        if (!key) return no_merge_key(400, e, merge_key);
        items.push_back(&e);
        continue;
      }
      const std::string d = directive->is_string() ? std::string(directive->get_string()) : "";
      if (d == "delete") {
        const auto* key = o.if_contains(merge_key);
        if (!key) return no_merge_key(400, e, merge_key);
        deleted.insert(identity(*key));
      } else if (d == "replace") {
        replace = true;
      } else if (d == "merge") {
        return bad_request("merging lists cannot yet be specified in the patch");
      } else {
        return bad_request(fmt::format("unknown patch type: {} in map: {}",
                                       directive_text(*directive), compact(e)));
      }
    }

    json::array base;
    if (!replace) {
      for (auto& e : original) {
        const auto* key = e.get_object().if_contains(merge_key);
        if (key && deleted.count(identity(*key))) continue;
        base.push_back(std::move(e));
      }
    }
    const ListIndex server_order(base, merge_key);
    ListIndex patch_order(merge_key);
    for (const auto* item : items) patch_order.add(*item);

    // Merge each element into its namesake, or add it.
    ListIndex position(base, merge_key);
    for (const auto* item : items) {
      if (auto i = position.find(*item)) {
        if (auto s = merge_object(base[*i].get_object(), item->get_object(), depth + 1); !s) {
          return s;
        }
        continue;
      }
      json::object added;
      if (auto s = merge_object(added, item->get_object(), depth + 1); !s) return s;
      base.push_back(std::move(added));
      position.add(base.back());
    }

    std::vector<json::value> patch_items;
    std::vector<json::value> server_only;
    for (auto& e : base) {
      if (!e.get_object().contains(merge_key)) return no_merge_key(422, e, merge_key);
      (patch_order.find(e) ? patch_items : server_only).push_back(std::move(e));
    }
    sort_by(patch_items, patch_order);
    sort_by(server_only, server_order);
    original = interleave(std::move(server_only), std::move(patch_items), server_order);
    return {};
  }

  Status merge_primitive_list(json::array& original, const json::array& patch,
                              const std::string& merge_key, bool delete_list) {
    if (delete_list) {
      std::set<std::string> remove;
      for (const auto& e : patch) remove.insert(identity(e));
      json::array kept;
      for (auto& e : original) {
        if (!remove.count(identity(e))) kept.push_back(std::move(e));
      }
      original = std::move(kept);
      return {};
    }
    if (!merge_key.empty()) {
      const auto& e = !patch.empty() ? patch.front() : original.front();
      return unprocessable(fmt::format("expected a map, but received a {}", go_kind_of(e)));
    }
    const ListIndex server_order(original, "");
    const ListIndex patch_order(patch, "");
    std::set<std::string> seen;
    std::vector<json::value> patch_items;
    std::vector<json::value> server_only;
    for (const json::array* list : std::initializer_list<const json::array*>{&original, &patch}) {
      for (const auto& e : *list) {
        if (!seen.insert(identity(e)).second) continue;
        (patch_order.find(e) ? patch_items : server_only).push_back(e);
      }
    }
    sort_by(patch_items, patch_order);
    sort_by(server_only, server_order);
    original = interleave(std::move(server_only), std::move(patch_items), server_order);
    return {};
  }

  // apimachinery's validatePatchWithSetOrderList: the patch list's elements must appear in the
  // order list, in the same relative order (deletions and other directives aside).
  Status validate_order(const json::array* patch_list, const json::array& order,
                        const std::string& merge_key) {
    if (!patch_list || patch_list->empty() || order.empty()) return {};
    std::vector<const json::value*> elements;
    for (const auto& e : *patch_list) {
      if (!merge_key.empty() && !e.is_object()) {
        return bad_request(fmt::format("expected a map, but received a {}", go_kind_of(e)));
      }
      if (e.is_object() && e.get_object().contains(kDirectiveMarker)) continue;
      elements.push_back(&e);
    }
    auto key_of = [&](const json::value& e) -> tl::expected<std::string, PatchError> {
      if (merge_key.empty()) return identity(e);
      if (!e.is_object()) {
        return bad_request(fmt::format("expected a map, but received a {}", go_kind_of(e)));
      }
      const auto* k = e.get_object().if_contains(merge_key);
      if (!k) return no_merge_key(400, e, merge_key);
      return identity(*k);
    };
    std::size_t p = 0;
    std::size_t o = 0;
    while (p < elements.size() && o < order.size()) {
      auto left = key_of(*elements[p]);
      if (!left) return tl::unexpected(left.error());
      auto right = key_of(order[o]);
      if (!right) return tl::unexpected(right.error());
      if (*left == *right) ++p;
      ++o;
    }
    if (p < elements.size()) {
      return bad_request(fmt::format("The order in patch list:\n{}\n doesn't match {} list:\n{}\n",
                                     compact(*patch_list), kSetElementOrder, compact(order)));
    }
    return {};
  }

  // A list field together with its $setElementOrder directive.
  Status merge_with_order(json::object& original, const json::object& patch,
                          const std::string& field, const json::array& order, std::size_t depth) {
    PathGuard guard(path_, field);
    const json::value* current = original.if_contains(field);
    const json::value* patch_value = patch.if_contains(field);
    if (current && !current->is_array()) {
      return unprocessable(
          fmt::format("expected a slice, but received a {}", go_kind_of(*current)));
    }
    if (patch_value && !patch_value->is_array()) {
      return bad_request(
          fmt::format("expected a slice, but received a {}", go_kind_of(*patch_value)));
    }
    const json::array* patch_list = patch_value ? &patch_value->get_array() : nullptr;
    auto strategy = schema_.list_strategy(path_);
    const std::string merge_key = strategy ? strategy->merge_key : "";
    if (auto s = validate_order(patch_list, order, merge_key); !s) return s;
    if (!current && !patch_list) return {};

    const json::array empty;
    const json::array& before = current ? current->get_array() : empty;
    json::value merged = before;
    if (patch_list) {
      if (auto s = merge_list_field(merged, *patch_list, false, depth + 1); !s) return s;
    }
    json::array& list = merged.get_array();
    if (list.empty()) {
      original[field] = std::move(merged);
      return {};
    }
    if (!merge_key.empty()) {
      for (const auto& e : order) {
        if (!e.is_object()) {
          return bad_request(fmt::format("expected a map, but received a {}", go_kind_of(e)));
        }
      }
      for (const auto& e : list) {
        if (!e.is_object()) {
          return unprocessable(fmt::format("expected a map, but received a {}", go_kind_of(e)));
        }
        if (!e.get_object().contains(merge_key)) return no_merge_key(422, e, merge_key);
      }
    }
    const ListIndex order_index(order, merge_key);
    const ListIndex server_order(before, merge_key);
    std::vector<json::value> patch_items;
    std::vector<json::value> server_only;
    for (auto& e : list) {
      (order_index.find(e) ? patch_items : server_only).push_back(std::move(e));
    }
    sort_by(patch_items, order_index);
    sort_by(server_only, server_order);
    original[field] = interleave(std::move(server_only), std::move(patch_items), server_order);
    return {};
  }

  std::string path_text() const {
    std::string out;
    for (const auto& p : path_) {
      if (!out.empty()) out += '.';
      out += p;
    }
    return out;
  }

  const PatchSchema& schema_;
  std::vector<std::string> path_;
};

// ---------------------------------------------------------------------------------------------
// Built-in list strategies.

using StrategyTable = std::map<std::vector<std::string>, ListStrategy>;

void add_entry(StrategyTable& table, std::vector<std::string> prefix,
               std::initializer_list<std::string> rest, std::string merge_key) {
  prefix.insert(prefix.end(), rest.begin(), rest.end());
  table[std::move(prefix)] = ListStrategy{std::move(merge_key), true};
}

void add_object_meta(StrategyTable& table, const std::vector<std::string>& meta) {
  add_entry(table, meta, {"finalizers"}, "");
  add_entry(table, meta, {"ownerReferences"}, "uid");
}

void add_pod_spec(StrategyTable& table, const std::vector<std::string>& spec) {
  for (const char* containers : {"containers", "initContainers", "ephemeralContainers"}) {
    add_entry(table, spec, {containers}, "name");
    add_entry(table, spec, {containers, "ports"}, "containerPort");
    add_entry(table, spec, {containers, "env"}, "name");
    add_entry(table, spec, {containers, "volumeMounts"}, "mountPath");
    add_entry(table, spec, {containers, "volumeDevices"}, "devicePath");
  }
  add_entry(table, spec, {"volumes"}, "name");
  add_entry(table, spec, {"imagePullSecrets"}, "name");
  add_entry(table, spec, {"hostAliases"}, "ip");
  add_entry(table, spec, {"topologySpreadConstraints"}, "topologyKey");
  add_entry(table, spec, {"schedulingGates"}, "name");
  add_entry(table, spec, {"resourceClaims"}, "name");
}

void add_pod_template(StrategyTable& table, const std::vector<std::string>& template_path) {
  auto meta = template_path;
  meta.push_back("metadata");
  add_object_meta(table, meta);
  auto spec = template_path;
  spec.push_back("spec");
  add_pod_spec(table, spec);
}

void add_status_conditions(StrategyTable& table) {
  add_entry(table, {"status"}, {"conditions"}, "type");
}

}  // namespace

tl::expected<json::value, PatchError> json_merge_patch(const json::value& target,
                                                       const json::value& patch) {
  if (auto s = check_depths(target, patch); !s) return tl::unexpected(s.error());
  json::value result = target;
  merge_patch_into(result, patch);
  return result;
}

tl::expected<json::value, PatchError> json_patch(const json::value& target,
                                                 const json::value& patch) {
  if (auto s = check_depths(target, patch); !s) return tl::unexpected(s.error());
  auto ops = decode_json_patch(patch);
  if (!ops) return tl::unexpected(ops.error());
  JsonPatcher patcher(target);
  for (const auto& op : *ops) {
    if (auto s = patcher.apply(op); !s) return tl::unexpected(s.error());
  }
  return patcher.take();
}

tl::expected<json::value, PatchError> strategic_merge_patch(const json::value& target,
                                                            const json::value& patch,
                                                            const PatchSchema& schema) {
  if (patch.is_null()) return target;
  if (!patch.is_object()) return bad_request("invalid JSON document");
  if (!target.is_object()) return unprocessable("invalid JSON document");
  if (auto s = check_depths(target, patch); !s) return tl::unexpected(s.error());
  json::value result = target;
  StrategicMerger merger(schema);
  if (auto s = merger.merge_object(result.get_object(), patch.get_object(), 0); !s) {
    return tl::unexpected(s.error());
  }
  return result;
}

PatchSchema PatchSchema::for_kind(std::string_view group, std::string_view kind) {
  auto table = std::make_shared<StrategyTable>();
  add_object_meta(*table, {"metadata"});
  if (group.empty()) {
    if (kind == "Pod") {
      add_pod_spec(*table, {"spec"});
      add_status_conditions(*table);
      add_entry(*table, {"status"}, {"podIPs"}, "ip");
      add_entry(*table, {"status"}, {"hostIPs"}, "ip");
      add_entry(*table, {"status"}, {"resourceClaimStatuses"}, "name");
    } else if (kind == "PodTemplate") {
      add_pod_template(*table, {"template"});
    } else if (kind == "Service") {
      add_entry(*table, {"spec"}, {"ports"}, "port");
      add_status_conditions(*table);
    } else if (kind == "Namespace") {
      add_status_conditions(*table);
    }
    // ConfigMap, Secret and Event have no list with a patch strategy beyond their metadata.
  } else if (group == "apps") {
    if (kind == "Deployment" || kind == "ReplicaSet" || kind == "StatefulSet" ||
        kind == "DaemonSet") {
      add_pod_template(*table, {"spec", "template"});
      add_status_conditions(*table);
    }
  } else if (group == "batch") {
    if (kind == "Job") {
      add_pod_template(*table, {"spec", "template"});
      add_status_conditions(*table);
    } else if (kind == "CronJob") {
      add_object_meta(*table, {"spec", "jobTemplate", "metadata"});
      add_pod_template(*table, {"spec", "jobTemplate", "spec", "template"});
    }
  }
  // coordination.k8s.io Lease and events.k8s.io Event: metadata only.
  return PatchSchema([table = std::shared_ptr<const StrategyTable>(std::move(table))](
                         const std::vector<std::string>& path) -> std::optional<ListStrategy> {
    auto it = table->find(path);
    if (it == table->end()) return std::nullopt;
    return it->second;
  });
}

}  // namespace lambda::apiserver
