// JSON and YAML text <-> boost::json::value, the one in-memory form every layer above works on.
//
// YAML is read the way kubectl reads it. sigs.k8s.io/yaml converts YAML to JSON through
// gopkg.in/yaml.v2, whose plain-scalar resolution is YAML 1.1's, not the 1.2 core schema's; we
// follow go-yaml v2 so that a manifest means the same here as it does to kubectl:
// - null: `null` `Null` `NULL` `~` and the empty scalar.
// - booleans: `true` `True` `TRUE` `false` `False` `FALSE` and also the YAML 1.1 words `yes` `Yes`
//   `YES` `no` `No` `NO` `on` `On` `ON` `off` `Off` `OFF` `y` `Y` `n` `N` (`enabled: yes` is the
//   boolean true to kubectl, and `value: yes` in an env var fails there as a non-string).
// - integers: optional sign; decimal, 0x hex, 0o octal, 0b binary, and a leading 0 meaning octal
//   (`defaultMode: 0644` is 420, as the Kubernetes docs promise); `_` separators are ignored.
//   int64 when it fits, else uint64 when it fits, else a double if the text is a decimal literal.
// - floats: `1.5`, `.5`, `1.`, `1e3`, `-2.5E-3` -> double. `.inf`/`.nan` (any case variant) are an
//   error, since JSON cannot represent them. A literal too large for a double stays a string, as
//   in go-yaml.
// - everything else, and every quoted scalar ("0.1.0", 'true'), is a string. Timestamps stay
//   strings.
// Tags: !!str, !!int, !!float, !!bool, !!null, !!timestamp (kept as a string), !!map, !!seq and
// the non-specific `!` are honoured; any other tag is an error (go-yaml would ignore it).
// Mapping keys must be scalars and are taken as their text, even when they look like another
// type (`1: x` -> "1", `on: x` -> "on"; sigs.k8s.io/yaml would normalise those to "1" and
// "true"). A null or empty key is an error. A duplicate key is an error naming the key and the
// line of its first occurrence. Merge keys (`<<: *base`, `<<: [*a, *b]`) are supported: explicit
// keys override merged ones, earlier merged mappings override later ones. Anchors and aliases are
// resolved into copies; an alias inside the node it names is an error. To stop alias bombs, a
// stream may expand to at most kMaxYamlNodes nodes and 64 MiB of text through aliases, and no
// value may nest deeper than kMaxNestingDepth containers (the same depth limit applies to JSON).
// Documents after the first must start with `---` (or follow a `...`): yaml-cpp would quietly
// begin a new document at a stray top-level line such as `b: 1` after `- a`, which kubectl
// rejects, and so do we.
//
// JSON is read strictly (RFC 8259: no comments, no trailing commas, valid UTF-8); a leading byte
// order mark is ignored, duplicate keys are an error (as in YAML), and numbers outside double's
// range are an error. Integers become int64 (or uint64 when only that fits), everything else a
// correctly rounded double.
//
// Error positions: line and column are 1-based; columns count bytes. In a multi-document stream
// the line is counted from the start of the stream.
//
// Output is deterministic (object members in insertion order) so that golden files are stable:
// - to_yaml writes block style with two-space indentation, sequences under a key at the key's own
//   indentation (`containers:\n- name: a\n  image: b`), `{}`/`[]` for empty collections, `null`
//   for null. Strings are plain unless a YAML 1.1 or 1.2 reader would take them for something
//   else ("1", "0x1F", "1e3", "true", "yes", "on", "y", "null", "~", "", "2024-01-01",
//   "1:30") -- those get double quotes, as go-yaml writes them -- or YAML syntax gets in the way
//   (leading indicator or space, ": ", " #", tabs) -- single quotes ('*'). Strings with control
//   characters, or bytes that are not UTF-8 (written as U+FFFD), are double-quoted with escapes.
//   Multi-line strings use block literals (`|`, `|-` without a final newline, `|+` with several),
//   falling back to double quotes when a line ends in whitespace or the first line starts with
//   whitespace. Keys longer than about 1000 bytes are written as explicit `? key` entries.
//   Numbers use format_number. Non-finite doubles are written as null.
// - to_json pretty-prints with two-space indentation (or compact), same number rules; control
//   characters are escaped (\n, \t, ... or \u00XX), other UTF-8 is written as is, invalid UTF-8
//   bytes become \ufffd.
// Every output of to_yaml reads back through parse_yaml as the same value, except that integral
// doubles come back as integers (1.0 is written "1"), -0.0 as 0, non-finite doubles as null and
// invalid UTF-8 as U+FFFD; and to_yaml_documents reads back through parse_yaml_documents minus
// its null documents, which are skipped.
// The writers recurse once per nesting level; values from the parsers are at most
// kMaxNestingDepth deep.
//
// The parsers report every failure as a ParseError and never throw.
//
// Thread-safety: all functions are pure and may be called concurrently.
#pragma once

#include <boost/json/value.hpp>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

namespace lambda::common {

// Deepest nesting of arrays/objects (sequences/mappings) the parsers accept; the 256th level is
// fine, the 257th an error.
inline constexpr std::size_t kMaxNestingDepth = 256;

// Most nodes (scalars, keys, containers) one YAML stream may produce once aliases are expanded
// (billion-laughs guard).
inline constexpr std::size_t kMaxYamlNodes = 1'000'000;

// Where and why a document could not be read. line/column are 1-based; 0 when unknown.
struct ParseError {
  std::string message;
  int line = 0;
  int column = 0;
  // 0-based index of the offending YAML document among the documents parse_yaml_documents would
  // have returned (empty documents are not counted); 0 for JSON.
  int document = 0;

  std::string to_string() const;  // "line 3, column 7: mapping values are not allowed here"
};

// One JSON document. Trailing garbage is an error.
tl::expected<boost::json::value, ParseError> parse_json(std::string_view text);

// Exactly one YAML document (a leading `---` is fine). JSON is valid YAML and is accepted too,
// within YAML's limit of 1024 characters for a key written as `"key": value`.
// Empty documents are ignored as in parse_yaml_documents; if there is no other, the result is
// null. More than one non-empty document is an error.
tl::expected<boost::json::value, ParseError> parse_yaml(std::string_view text);

// A `---`-separated stream. Empty documents (only comments or nothing) and documents that are
// just null are skipped, as kubectl does.
tl::expected<std::vector<boost::json::value>, ParseError> parse_yaml_documents(
    std::string_view text);

// Block-style YAML for one value, ending in a newline.
std::string to_yaml(const boost::json::value& value);

// Several documents joined by `---` lines, as `kubectl get -o yaml` of a list would print them
// when split.
std::string to_yaml_documents(const std::vector<boost::json::value>& documents);

// JSON text. pretty=true: two-space indentation and a trailing newline.
std::string to_json(const boost::json::value& value, bool pretty = true);

// A JSON number in its canonical text, as Go's encoding/json writes it: integers as digits;
// doubles in shortest round-trip form, positional when 1e-6 <= |x| < 1e21 (0.7, 100, -0) and
// exponential otherwise (1e+21, 1e-7). Non-finite doubles give "null"; a non-number gives its
// compact JSON. Used by to_yaml/to_json and by error messages.
std::string format_number(const boost::json::value& number);

}  // namespace lambda::common
