// String formats that LambdaAgent fields must follow, each defined once: a check used by
// validation and, where one exists, the regular expression published in the CRD schema so that
// the API server rejects the same values even without our webhook.
//
// Every pattern here is valid both in RE2 (what kube-apiserver uses for CRD `pattern`) and in
// ECMAScript (std::regex, ajv); formats_test.cc proves that each pattern accepts exactly what its
// check accepts on a shared corpus.
//
// Thread-safety: pure functions over immutable tables.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace lambda::api {

enum class Format {
  kNone,
  kDns1123Label,      // Kubernetes object names of most kinds: [a-z0-9]([-a-z0-9]*[a-z0-9])?, <=63
  kDns1123Subdomain,  // ConfigMap/Secret names: labels joined by '.', <=253
  kDns1035Label,      // Knative Service names: like a label but starting with a letter, <=63
  kImageRepository,  // "localhost:5001/agent-bruno/chatbot", "ghcr.io/a/b", "nginx" (no tag/digest)
  kImageTag,         // [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}, or a digest "sha256:<64 hex>"
  kHttpUrl,          // absolute http:// or https:// URL with a host (Boost.URL parses it)
  kHostPort,         // "alloy.observability.svc:4317", or an http(s) URL; OTLP endpoints
  kUrlPath,          // HTTP path beginning with '/': "/health", "/metrics"
  kCloudEventType,   // non-empty, printable ASCII without spaces, reverse-DNS style advised
  kCloudEventSource,      // URI-reference; '*' only as the last character (a prefix wildcard)
  kEnvVarName,            // C identifier-ish: [-._a-zA-Z][-._a-zA-Z0-9]* (Kubernetes' relaxed rule)
  kConfigMapKey,          // [-._a-zA-Z0-9]+, <=253
  kIntentName,            // lower-case: [a-z0-9]([-a-z0-9]*[a-z0-9])?, <=63, used in event types
  kPrometheusMetricName,  // [a-zA-Z_:][a-zA-Z0-9_:]*
  kModelName,             // non-empty printable ASCII, no whitespace, <=256: "llama3.2:3b"
};

struct FormatSpec {
  Format format;
  std::string_view name;          // short name for docs: "dns-1123-label"
  std::string_view pattern;       // for the CRD schema; empty when a regex cannot say it well
  std::optional<int> max_length;  // also published as maxLength
  std::string_view description;   // one line for docs: "a DNS-1123 label (lower-case ...)"
};

const FormatSpec& format_spec(Format format);

// nullopt when value is valid; otherwise the detail of an Invalid-value error, phrased like
// Kubernetes' own messages, e.g. "a lowercase RFC 1123 label must consist of lower case
// alphanumeric characters or '-', and must start and end with an alphanumeric character
// (e.g. 'my-name', or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')".
std::optional<std::string> check_format(Format format, std::string_view value);

}  // namespace lambda::api
