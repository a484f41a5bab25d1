// Kubernetes JSONPath (k8s.io/client-go/util/jsonpath) as kube-apiserver evaluates a CRD's
// additionalPrinterColumns for `kubectl get` tables, and the cell each column type makes of it
// (apiextensions' tableconvertor).
//
// Accepted: one path, bare (".spec.replicas") or in braces ("{.spec.replicas}"), made of fields
// (.a, with `\.` escaping a dot), `.*`, `..` recursive descent, indices and slices ([0], [-1],
// [1:3], [::2], [*]), unions ([0,2]), quoted keys (['a'], which Kubernetes re-reads as a path, so
// ['a.b/c'] is a.b/c split at the dot and ['a\.b/c'] the key "a.b/c") and filters
// ([?(@.type=="Ready")], [?(@.n>1)], [?(@.x)] for existence). Text around the braces, several
// actions and range/end templates are refused. Parse errors use client-go's wording.
//
// Evaluation follows client-go with missing keys allowed: a missing field yields nothing, while
// an index out of bounds, filtering or indexing a non-array, or comparing values of different
// kinds is an error, and an error yields no result at all, which is what the table shows (an
// empty cell). Object members come out in document order (Go's is random).
//
// Ownership: a JsonPath is a small immutable value. Thread-safety: const members may be called
// concurrently.
#pragma once

#include <boost/json/value.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

namespace lambda::apiserver {

class JsonPath {
 public:
  static tl::expected<JsonPath, std::string> parse(std::string_view text);

  // The values the path selects, in order; empty when nothing matches or evaluation fails.
  std::vector<boost::json::value> evaluate(const boost::json::value& root) const;

  // The text given to parse().
  const std::string& text() const { return text_; }

  struct Node;  // the parsed path; an implementation detail

 private:
  JsonPath(std::string text, std::shared_ptr<const std::vector<Node>> nodes)
      : text_(std::move(text)), nodes_(std::move(nodes)) {}
  std::string text_;
  std::shared_ptr<const std::vector<Node>> nodes_;
};

// One Table cell for a printer column of `column_type` (integer, number, string, boolean, date)
// from the column's results, as kube-apiserver makes it: the first result only; null when there
// is none or it does not fit the type; strings as they are, numbers and booleans printed as Go
// prints them and objects/arrays as compact JSON for string columns; for date columns the age
// relative to `now` ("5m10s", "3d", "<invalid>" when unparsable, "<unknown>" when empty).
boost::json::value printer_cell(
    const std::vector<boost::json::value>& results, std::string_view column_type,
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// Kubernetes' duration.HumanDuration: "45s", "5m10s", "3h", "2d4h", "1y30d".
std::string human_duration(std::chrono::nanoseconds age);

}  // namespace lambda::apiserver
