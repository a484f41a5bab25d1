// Label and field selectors: the `labelSelector` and `fieldSelector` parameters of list and watch
// requests, and metav1.LabelSelector in object specs (Deployment.spec.selector, ...).
//
// Both follow k8s.io/apimachinery (pkg/labels, pkg/fields, metav1.LabelSelectorAsSelector): the
// same grammar, the same matching rules and the same error messages, so that kubectl shows the
// user what a real API server would have said, e.g.
//   unable to parse requirement: found ')', expected: in, notin, =, ==, !=, gt, lt
//   unable to parse requirement: <nil>: Invalid value: "a b": name part must consist of ...
//   invalid selector: 'a'; can't understand 'a'
// Requirements are kept sorted by key (labels) or by their text (fields), as apimachinery sorts
// them, so to_string() is canonical: kubectl and client-go send the same string for the same
// query, and a server can use it as a cache key.
//
// Ownership: value types; matches() reads the caller's labels without keeping them.
// Thread-safety: immutable once built; const methods may be called concurrently.
#pragma once

#include <boost/json/fwd.hpp>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

namespace lambda::kube {

class LabelSelector {
 public:
  // selection.Operator. kGreaterThan/kLessThan (`a>3`, `a<3`) exist in the string syntax only;
  // metav1.LabelSelector has In, NotIn, Exists and DoesNotExist.
  enum class Operator {
    kIn,
    kNotIn,
    kEquals,        // a=b
    kDoubleEquals,  // a==b (kept apart only so that to_string() gives back what was written)
    kNotEquals,
    kExists,
    kDoesNotExist,
    kGreaterThan,
    kLessThan,
  };

  struct Requirement {
    std::string key;
    Operator op = Operator::kExists;
    // One value for the (not-)equals and gt/lt operators, none for (does-not-)exist; parse()
    // keeps in/notin values sorted and unique, from_json() as given.
    std::vector<std::string> values;
    friend bool operator==(const Requirement&, const Requirement&) = default;
  };

  // Matches everything, like labels.Everything().
  LabelSelector() = default;
  static LabelSelector everything() { return LabelSelector(); }
  // Matches nothing, like labels.Nothing(); what a null metav1.LabelSelector means.
  static LabelSelector nothing();

  // The string syntax of labels.Parse: requirements separated by commas (all must hold), each
  // `k=v`, `k==v`, `k!=v`, `k in (v1,v2)`, `k notin (v1)`, `k`, `!k`, `k>5`, `k<5`; spaces
  // around tokens are ignored. Keys are qualified names with an optional DNS-subdomain prefix,
  // values label values (at most 63 characters). "" selects everything.
  static tl::expected<LabelSelector, std::string> parse(std::string_view text);

  // A metav1.LabelSelector as JSON ({matchLabels: {...}, matchExpressions: [{key, operator,
  // values}]}), as metav1.LabelSelectorAsSelector reads it: null selects nothing, {} everything.
  static tl::expected<LabelSelector, std::string> from_json(const boost::json::value& selector);

  // `labels` is metadata.labels and may be null (no labels). As in Kubernetes, `k!=v` and
  // `k notin (...)` hold for an object without label k. A label whose value is not a string (not
  // valid in Kubernetes) is present but equals no value.
  bool matches(const boost::json::object* labels) const;

  // True when the selector restricts nothing (matches every object).
  bool empty() const { return !nothing_ && requirements_.empty(); }
  bool is_nothing() const { return nothing_; }

  // Canonical form: requirements sorted by key, in/notin values sorted, `k in (a,b)`,
  // `!k`, ...; "" for everything and nothing alike (as apimachinery prints them).
  std::string to_string() const;

  const std::vector<Requirement>& requirements() const { return requirements_; }

 private:
  std::vector<Requirement> requirements_;
  bool nothing_ = false;
};

class FieldSelector {
 public:
  struct Requirement {
    std::string key;
    bool equals = true;  // false for `!=`
    std::string value;   // unescaped
    friend bool operator==(const Requirement&, const Requirement&) = default;
  };

  // The syntax of fields.ParseSelector: comma-separated `key=value`, `key==value`,
  // `key!=value`, nothing trimmed. In values, `\,` `\=` and `\\` stand for `,` `=` and `\`
  // (fields.EscapeValue); any other escape, or a bare `,`/`=` in a value, is an error. Keys are
  // not checked here: which fields a resource supports is the server's decision.
  static tl::expected<FieldSelector, std::string> parse(std::string_view text);

  const std::vector<Requirement>& requirements() const { return requirements_; }

  // field_value returns the object's value for a field key; a key without a value (nullopt)
  // compares as "", as fields.Set.Get does.
  bool matches(
      const std::function<std::optional<std::string>(std::string_view key)>& field_value) const;

  bool empty() const { return requirements_.empty(); }

  // `key=value` terms joined by commas, values escaped again.
  std::string to_string() const;

  // fields.EscapeValue: `\` -> `\\`, `,` -> `\,`, `=` -> `\=`.
  static std::string escape_value(std::string_view value);

 private:
  std::vector<Requirement> requirements_;
};

}  // namespace lambda::kube
