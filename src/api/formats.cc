// String formats: hand-written checks (no std::regex at run time: it recurses per character and
// is slow) that formats_test.cc holds to the published patterns.
#include "api/formats.h"

#include <array>
#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <boost/url/authority_view.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/scheme.hpp>
#include <boost/url/url_view.hpp>

namespace lambda::api {
namespace {

// The unanchored forms appear in messages, as Kubernetes quotes them; the anchored forms are the
// published patterns (a CRD `pattern` is searched, not matched, so it needs the anchors).
constexpr std::string_view kDns1123LabelFmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
constexpr std::string_view kDns1123SubdomainFmt =
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
constexpr std::string_view kDns1035LabelFmt = "[a-z]([-a-z0-9]*[a-z0-9])?";
constexpr std::string_view kImageTagFmt = "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|sha256:[a-f0-9]{64}";
constexpr std::string_view kUrlPathFmt = "/([-a-zA-Z0-9._~!$&'()*+,;=:@/]|%[0-9a-fA-F]{2})*";
constexpr std::string_view kPrintableFmt = "[!-~]+";
// Kubernetes' own env-var and config-key regexes; the published patterns below also encode
// Kubernetes' separate "must not be '.', '..' or start with '..'" rule.
constexpr std::string_view kEnvVarNameFmt = "[-._a-zA-Z][-._a-zA-Z0-9]*";
constexpr std::string_view kConfigMapKeyFmt = "[-._a-zA-Z0-9]+";
constexpr std::string_view kPrometheusMetricNameFmt = "[a-zA-Z_:][a-zA-Z0-9_:]*";

constexpr std::string_view kDns1123LabelMsg =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character";
constexpr std::string_view kDns1123SubdomainMsg =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character";
constexpr std::string_view kDns1035LabelMsg =
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character";
constexpr std::string_view kEnvVarNameMsg =
    "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', "
    "or '.', and must not start with a digit";
constexpr std::string_view kConfigMapKeyMsg =
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.'";
constexpr std::string_view kIntentNameMsg =
    "an intent name must consist of lower case alphanumeric characters or '-', and must start "
    "and end with an alphanumeric character";
constexpr std::string_view kImageTagMsg =
    "an image tag must consist of alphanumeric characters, '_', '.' or '-' and must not start "
    "with '.' or '-', or be a digest: 'sha256:' followed by 64 lower case hexadecimal digits";
constexpr std::string_view kImageRepositoryMsg =
    "an image repository must be '/'-separated path components of lower case alphanumeric "
    "characters joined within a component by '.', '_', '__' or '-', optionally after a registry "
    "host[:port] and '/', and without a tag or digest (e.g. 'nginx', or 'ghcr.io/org/app', or "
    "'localhost:5001/team/app')";
constexpr std::string_view kUrlPathMsg =
    "a URL path must start with '/' and consist of URL path characters (letters, digits and "
    "-._~!$&'()*+,;=:@/) or %-escapes, without a query or fragment";
constexpr std::string_view kCloudEventTypeMsg =
    "a CloudEvent type must be non-empty printable ASCII without whitespace";
constexpr std::string_view kModelNameMsg =
    "a model name must be non-empty printable ASCII without whitespace";
constexpr std::string_view kPrometheusMetricNameMsg =
    "a Prometheus metric name must consist of alphanumeric characters, '_' or ':', and must not "
    "start with a digit";
constexpr std::string_view kHttpUrlMsg =
    "must be an absolute http:// or https:// URL with a host (e.g. 'https://example.com/hook')";
constexpr std::string_view kHostPortMsg =
    "must be host:port with a port from 1 to 65535 (e.g. 'alloy.observability.svc:4317', or "
    "'[::1]:4317'), or an http:// or https:// URL";
constexpr std::string_view kCloudEventSourceMsg =
    "a CloudEvent source must be a URI-reference (RFC 3986), e.g. "
    "'/apis/v1/namespaces/default/pingsources/ping', or 'https://github.com/org/repo', or "
    "'urn:event:from:myapi'";

// A generous bound where the underlying rule has none: bounded strings keep the API server's
// CEL cost estimates for the schema low.
constexpr int kUrlMaxLength = 2048;

// kHttpUrl, kHostPort and kCloudEventSource publish no pattern: RFC 3986 with IPv6 literals and
// %-escapes is regular, but a faithful regex is too large to review, and a loose one would let the
// schema and the webhook disagree.
constexpr std::array<FormatSpec, 16> kSpecs = {{
    {Format::kNone, "none", "", std::nullopt, "any string"},
    {Format::kDns1123Label, "dns-1123-label", "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", 63,
     "a DNS-1123 label (lower case alphanumerics and '-', alphanumeric at both ends, at most 63)"},
    {Format::kDns1123Subdomain, "dns-1123-subdomain",
     "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", 253,
     "a DNS-1123 subdomain (DNS-1123 labels joined by '.', at most 253 characters)"},
    {Format::kDns1035Label, "dns-1035-label", "^[a-z]([-a-z0-9]*[a-z0-9])?$", 63,
     "a DNS-1035 label (like a DNS-1123 label but starting with a letter, at most 63)"},
    {Format::kImageRepository, "image-repository",
     "^(([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*|"
     "\\[[a-fA-F0-9:]+\\])(:[0-9]+)?/)?[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*"
     "(/[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*)*$",
     255,  // distribution's NameTotalLengthMax
     "a container image repository without tag or digest ('ghcr.io/org/app', 'nginx')"},
    {Format::kImageTag, "image-tag", "^([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|sha256:[a-f0-9]{64})$",
     128, "an image tag ('v1.2.3', 'latest') or digest ('sha256:' and 64 hex digits)"},
    {Format::kHttpUrl, "http-url", "", kUrlMaxLength,
     "an absolute http:// or https:// URL with a host and no credentials"},
    {Format::kHostPort, "host-port", "", kUrlMaxLength,
     "host:port ('alloy.observability.svc:4317') or an http:// or https:// URL"},
    {Format::kUrlPath, "url-path", "^/([-a-zA-Z0-9._~!$&'()*+,;=:@/]|%[0-9a-fA-F]{2})*$",
     kUrlMaxLength, "an HTTP path starting with '/' ('/health'), without query or fragment"},
    {Format::kCloudEventType, "cloudevent-type", "^[!-~]+$",
     255,  // CloudEvents sets none; see kUrlMaxLength
     "a CloudEvent type: printable ASCII without spaces, reverse-DNS style advised"},
    {Format::kCloudEventSource, "cloudevent-source", "", kUrlMaxLength,
     "a CloudEvent source: a URI-reference, optionally ending in '*' to match a prefix"},
    {Format::kEnvVarName, "env-var-name", "^([-_a-zA-Z]|\\.[-_a-zA-Z0-9])[-._a-zA-Z0-9]*$",
     1024,  // Kubernetes sets none; see kUrlMaxLength
     "an environment variable name (letters, digits, '_', '-', '.'; no leading digit or '..')"},
    {Format::kConfigMapKey, "configmap-key", "^\\.?[-_a-zA-Z0-9][-._a-zA-Z0-9]*$", 253,
     "a ConfigMap or Secret key (letters, digits, '_', '-', '.'; not '.', '..' or '..'-prefixed)"},
    {Format::kIntentName, "intent-name", "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", 63,
     "an intent name (lower case alphanumerics and '-', alphanumeric at both ends, at most 63)"},
    {Format::kPrometheusMetricName, "prometheus-metric-name", "^[a-zA-Z_:][a-zA-Z0-9_:]*$",
     255,  // Prometheus sets none; see kUrlMaxLength
     "a Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)"},
    {Format::kModelName, "model-name", "^[!-~]+$", 256,
     "a model name: printable ASCII without spaces ('llama3.2:3b')"},
}};

constexpr bool specs_follow_enum_order() {
  for (std::size_t i = 0; i < kSpecs.size(); ++i) {
    if (static_cast<std::size_t>(kSpecs[i].format) != i) return false;
  }
  return true;
}
static_assert(specs_follow_enum_order(), "kSpecs must list formats in enum order");

// --- Character classes --------------------------------------------------------------------

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_alpha(char c) { return is_lower(c) || is_upper(c); }
bool is_alnum(char c) { return is_alpha(c) || is_digit(c); }
bool is_lower_alnum(char c) { return is_lower(c) || is_digit(c); }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_lower_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); }
bool is_printable_ascii(char c) { return c >= '!' && c <= '~'; }
bool is_config_key_char(char c) { return is_alnum(c) || c == '-' || c == '_' || c == '.'; }

template <typename Predicate>
bool all_of(std::string_view s, Predicate predicate) {
  for (char c : s) {
    if (!predicate(c)) return false;
  }
  return true;
}

std::vector<std::string_view> split(std::string_view s, char separator) {
  std::vector<std::string_view> parts;
  while (true) {
    const std::size_t at = s.find(separator);
    parts.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return parts;
    s.remove_prefix(at + 1);
  }
}

// --- Messages -----------------------------------------------------------------------------

// Kubernetes' validation.RegexError wording.
std::string regex_error(std::string_view message, std::string_view fmt,
                        std::initializer_list<std::string_view> examples) {
  std::string out(message);
  out += " (";
  if (examples.size() > 0) {
    out += "e.g. ";
    bool first = true;
    for (std::string_view example : examples) {
      if (!first) out += "or ";
      first = false;
      out += "'";
      out += example;
      out += "', ";
    }
  }
  out += "regex used for validation is '";
  out += fmt;
  out += "')";
  return out;
}

std::string max_len_error(int length) {
  return "must be no more than " + std::to_string(length) + " characters";
}

// Kubernetes returns a list of errors; one detail string joins them.
std::optional<std::string> join(const std::vector<std::string>& errors) {
  if (errors.empty()) return std::nullopt;
  std::string out;
  for (const std::string& error : errors) {
    if (!out.empty()) out += "; ";
    out += error;
  }
  return out;
}

void check_length(Format format, std::string_view value, std::vector<std::string>& errors) {
  const std::optional<int> max_length = format_spec(format).max_length;
  if (max_length && value.size() > static_cast<std::size_t>(*max_length)) {
    errors.push_back(max_len_error(*max_length));
  }
}

// Kubernetes' hasChDirPrefix: such keys would escape the directory they are mounted in.
void check_chdir_prefix(std::string_view value, std::vector<std::string>& errors) {
  if (value == ".") {
    errors.emplace_back("must not be '.'");
  } else if (value == "..") {
    errors.emplace_back("must not be '..'");
  } else if (value.substr(0, 2) == "..") {
    errors.emplace_back("must not start with '..'");
  }
}

// --- DNS names ----------------------------------------------------------------------------

bool is_dns1123_label(std::string_view s) {
  return !s.empty() && is_lower_alnum(s.front()) && is_lower_alnum(s.back()) &&
         all_of(s, [](char c) { return is_lower_alnum(c) || c == '-'; });
}

bool is_dns1123_subdomain(std::string_view s) {
  for (std::string_view label : split(s, '.')) {
    if (!is_dns1123_label(label)) return false;
  }
  return true;
}

bool is_dns1035_label(std::string_view s) { return is_dns1123_label(s) && is_lower(s.front()); }

// A host name for host:port: RFC 1123 labels of any case, each at most 63 characters.
bool is_host_name(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  for (std::string_view label : split(s, '.')) {
    if (label.empty() || label.size() > 63 || !is_alnum(label.front()) || !is_alnum(label.back()) ||
        !all_of(label, [](char c) { return is_alnum(c) || c == '-'; }))
      return false;
  }
  return true;
}

// --- Image references (github.com/distribution/reference grammar) -------------------------

// domain-component: [a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
bool is_registry_domain_component(std::string_view s) {
  return !s.empty() && is_alnum(s.front()) && is_alnum(s.back()) &&
         all_of(s, [](char c) { return is_alnum(c) || c == '-'; });
}

// host [':' port], host being a domain name or a bracketed IPv6 address. Like distribution, the
// port is any run of digits.
bool is_registry_host(std::string_view s) {
  std::string_view host = s;
  std::string_view port;
  if (!s.empty() && s.front() == '[') {
    const std::size_t close = s.find(']');
    if (close == std::string_view::npos) return false;
    host = s.substr(0, close + 1);
    const std::string_view address = host.substr(1, host.size() - 2);
    if (address.empty() || !all_of(address, [](char c) { return is_hex(c) || c == ':'; }))
      return false;
    const std::string_view rest = s.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return false;
      port = rest.substr(1);
      if (port.empty()) return false;
    }
  } else {
    const std::size_t colon = s.find(':');
    if (colon != std::string_view::npos) {
      host = s.substr(0, colon);
      port = s.substr(colon + 1);
      if (port.empty()) return false;
    }
    for (std::string_view component : split(host, '.')) {
      if (!is_registry_domain_component(component)) return false;
    }
  }
  return all_of(port, is_digit);
}

// path-component: [a-z0-9]+ (separator [a-z0-9]+)*, separator: '.', '_', '__' or '-'+.
bool is_path_component(std::string_view s) {
  std::size_t pos = 0;
  while (true) {
    const std::size_t run_begin = pos;
    while (pos < s.size() && is_lower_alnum(s[pos])) ++pos;
    if (pos == run_begin) return false;
    if (pos == s.size()) return true;
    if (s[pos] == '.') {
      ++pos;
    } else if (s[pos] == '_') {
      ++pos;
      if (pos < s.size() && s[pos] == '_') ++pos;
    } else if (s[pos] == '-') {
      while (pos < s.size() && s[pos] == '-') ++pos;
    } else {
      return false;
    }
  }
}

bool is_remote_name(std::string_view s) {
  for (std::string_view component : split(s, '/')) {
    if (!is_path_component(component)) return false;
  }
  return true;
}

// name := [domain '/'] remote-name. The domain, when there is one, is everything before the
// first '/', since neither a host nor a port contains '/'.
bool is_image_repository(std::string_view s) {
  if (is_remote_name(s)) return true;
  const std::size_t slash = s.find('/');
  return slash != std::string_view::npos && is_registry_host(s.substr(0, slash)) &&
         is_remote_name(s.substr(slash + 1));
}

bool is_tag(std::string_view s) {
  return !s.empty() && (is_alnum(s.front()) || s.front() == '_') &&
         all_of(s, [](char c) { return is_alnum(c) || c == '_' || c == '.' || c == '-'; });
}

bool is_digest(std::string_view s) {
  constexpr std::string_view kPrefix = "sha256:";
  return s.size() == kPrefix.size() + 64 && s.substr(0, kPrefix.size()) == kPrefix &&
         all_of(s.substr(kPrefix.size()), is_lower_hex);
}

// Distribution's digest grammar, loosely: algorithm ':' hex. Only used to recognise what the
// user meant, never to accept.
bool looks_like_digest(std::string_view s) {
  const std::size_t colon = s.find(':');
  return colon != std::string_view::npos && colon > 0 &&
         all_of(
             s.substr(0, colon),
             [](char c) { return is_alnum(c) || c == '+' || c == '-' || c == '_' || c == '.'; }) &&
         s.size() > colon + 1 && all_of(s.substr(colon + 1), is_hex);
}

std::optional<std::string> check_image_repository(std::string_view value) {
  std::vector<std::string> errors;
  check_length(Format::kImageRepository, value, errors);
  if (is_image_repository(value)) return join(errors);
  if (!errors.empty()) {
    // Too long already; hints would only echo the long value back.
    errors.emplace_back(kImageRepositoryMsg);
    return join(errors);
  }

  // Recognise "name:tag" and "name@digest" so the message can say what to move where. Only
  // well-formed tags and digests are echoed, so no odd bytes reach the message.
  std::string_view name = value;
  std::string_view digest;
  std::string_view tag;
  const std::size_t at = name.find('@');
  const bool has_digest = at != std::string_view::npos;
  if (has_digest) {
    digest = name.substr(at + 1);
    name = name.substr(0, at);
  }
  const std::size_t last_slash = name.rfind('/');
  const std::size_t tag_search_from = last_slash == std::string_view::npos ? 0 : last_slash + 1;
  const std::size_t colon = name.find(':', tag_search_from);
  const bool has_tag = colon != std::string_view::npos;
  if (has_tag) {
    tag = name.substr(colon + 1);
    name = name.substr(0, colon);
  }
  const bool tag_ok = !has_tag || is_tag(tag);
  const bool digest_ok = !has_digest || looks_like_digest(digest);
  const bool found_reference = has_tag || has_digest;
  if (found_reference && tag_ok && digest_ok && is_image_repository(name)) {
    // "localhost:5001" or "ghcr.io:443" alone: a registry without an image, which Docker would
    // read as image "localhost" with tag "5001".
    const bool looks_like_registry =
        name == "localhost" || name.find('.') != std::string_view::npos;
    if (!has_digest && last_slash == std::string_view::npos && looks_like_registry &&
        all_of(tag, is_digit)) {
      errors.push_back("an image repository needs a path after the registry: '" +
                       std::string(value) + "' reads as image '" + std::string(name) +
                       "' with tag '" + std::string(tag) + "'; write e.g. '" + std::string(value) +
                       "/my-app'");
    } else if (!has_digest) {
      errors.push_back("an image repository must not include a tag (':" + std::string(tag) +
                       "'): give the tag separately, as the image tag");
    } else if (!has_tag) {
      errors.push_back("an image repository must not include a digest ('@" + std::string(digest) +
                       "'): give the digest separately, as the image tag, without the '@'");
    } else {
      errors.push_back("an image repository must not include a tag (':" + std::string(tag) +
                       "') or a digest ('@" + std::string(digest) +
                       "'): give one of them separately, as the image tag");
    }
    return join(errors);
  }
  std::string lowered(value);
  for (char& c : lowered) {
    if (is_upper(c)) c = static_cast<char>(c - 'A' + 'a');
  }
  if (!found_reference && is_image_repository(lowered)) {
    errors.emplace_back("an image repository's path must be lower case (e.g. '" + lowered + "')");
    return join(errors);
  }
  errors.emplace_back(kImageRepositoryMsg);
  return join(errors);
}

std::optional<std::string> check_image_tag(std::string_view value) {
  std::vector<std::string> errors;
  check_length(Format::kImageTag, value, errors);
  if (is_tag(value) || is_digest(value)) return join(errors);
  if (!value.empty() && value.front() == '@' && is_digest(value.substr(1))) {
    errors.emplace_back("a digest is written without the '@': '" + std::string(value.substr(1)) +
                        "'");
  } else {
    errors.push_back(regex_error(kImageTagMsg, kImageTagFmt, {"v1.2.3", "latest"}));
  }
  return join(errors);
}

// --- URLs ---------------------------------------------------------------------------------

bool is_port(std::string_view port) {
  if (port.empty() || port.size() > 5 || !all_of(port, is_digit)) return false;
  int number = 0;
  for (char c : port) number = number * 10 + (c - '0');
  return number >= 1 && number <= 65535;
}

// Shared by kHttpUrl and the URL form of kHostPort. Boost.URL is noexcept on these paths.
std::optional<std::string> http_url_error(std::string_view value) {
  const auto parsed = boost::urls::parse_absolute_uri(value);
  if (!parsed) {
    if (boost::urls::parse_uri(value)) {
      return std::string("the URL must not have a fragment ('#...'): servers never see it");
    }
    return std::string(kHttpUrlMsg);
  }
  const boost::urls::url_view& url = *parsed;
  if (url.scheme_id() != boost::urls::scheme::http &&
      url.scheme_id() != boost::urls::scheme::https) {
    return "the URL scheme must be http or https, not '" + std::string(url.scheme()) + "'";
  }
  if (!url.has_authority() || url.encoded_host().empty()) {
    return "the URL must have a host (e.g. 'https://example.com/hook')";
  }
  if (url.has_userinfo()) {
    return std::string(
        "the URL must not contain credentials ('user:password@'): URLs end up in logs; keep "
        "credentials in a Secret");
  }
  if (url.has_port() && !is_port(url.port())) {
    return std::string("the URL port must be a number from 1 to 65535");
  }
  return std::nullopt;
}

std::optional<std::string> check_http_url(std::string_view value) {
  std::vector<std::string> errors;
  check_length(Format::kHttpUrl, value, errors);
  if (std::optional<std::string> error = http_url_error(value)) errors.push_back(*error);
  return join(errors);
}

std::optional<std::string> host_port_error(std::string_view value) {
  if (value.find("://") != std::string_view::npos) return http_url_error(value);
  const auto parsed = boost::urls::parse_authority(value);
  if (!parsed || parsed->has_userinfo()) return std::string(kHostPortMsg);
  const boost::urls::authority_view& authority = *parsed;
  switch (authority.host_type()) {
    case boost::urls::host_type::ipv4:
    case boost::urls::host_type::ipv6:
      break;
    case boost::urls::host_type::name:
      if (!is_host_name(authority.encoded_host())) return std::string(kHostPortMsg);
      break;
    default:
      return std::string(kHostPortMsg);
  }
  if (!authority.has_port() || !is_port(authority.port())) return std::string(kHostPortMsg);
  return std::nullopt;
}

std::optional<std::string> check_host_port(std::string_view value) {
  std::vector<std::string> errors;
  check_length(Format::kHostPort, value, errors);
  if (std::optional<std::string> error = host_port_error(value)) errors.push_back(*error);
  return join(errors);
}

bool is_url_path(std::string_view s) {
  if (s.empty() || s.front() != '/') return false;
  constexpr std::string_view kPathPunctuation = "-._~!$&'()*+,;=:@/";
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (is_alnum(c) || kPathPunctuation.find(c) != std::string_view::npos) continue;
    if (c == '%' && i + 2 < s.size() && is_hex(s[i + 1]) && is_hex(s[i + 2])) {
      i += 2;
      continue;
    }
    return false;
  }
  return true;
}

std::optional<std::string> check_cloud_event_source(std::string_view value) {
  std::vector<std::string> errors;
  check_length(Format::kCloudEventSource, value, errors);
  const std::size_t star = value.find('*');
  if (value.empty()) {
    errors.emplace_back("a CloudEvent source must not be empty");
  } else if (star != std::string_view::npos && star != value.size() - 1) {
    errors.emplace_back(
        "'*' is allowed only as the last character of a CloudEvent source, "
        "where it matches any suffix");
  } else {
    // The part before a trailing '*' is the prefix a source must start with; it has to be a
    // URI-reference itself (RFC 3986 allows the empty one, so "*" alone matches any source).
    const std::string_view prefix = star == std::string_view::npos ? value : value.substr(0, star);
    if (!boost::urls::parse_uri_reference(prefix)) errors.emplace_back(kCloudEventSourceMsg);
  }
  return join(errors);
}

// --- Simple regex-shaped formats ----------------------------------------------------------

std::optional<std::string> check_dns1123_label(std::string_view value) {
  std::vector<std::string> errors;
  check_length(Format::kDns1123Label, value, errors);
  if (!is_dns1123_label(value)) {
    if (is_dns1123_subdomain(value)) {
      errors.emplace_back("must not contain dots");
    } else {
      errors.push_back(regex_error(kDns1123LabelMsg, kDns1123LabelFmt, {"my-name", "123-abc"}));
    }
  }
  return join(errors);
}

std::optional<std::string> check_simple(Format format, std::string_view value, bool ok,
                                        std::string_view message, std::string_view fmt,
                                        std::initializer_list<std::string_view> examples) {
  std::vector<std::string> errors;
  check_length(format, value, errors);
  if (!ok) errors.push_back(regex_error(message, fmt, examples));
  return join(errors);
}

bool is_env_var_name(std::string_view s) {
  return !s.empty() && !is_digit(s.front()) && all_of(s, is_config_key_char);
}

std::optional<std::string> check_env_var_name(std::string_view value) {
  std::vector<std::string> errors;
  check_length(Format::kEnvVarName, value, errors);
  if (!is_env_var_name(value)) {
    errors.push_back(
        regex_error(kEnvVarNameMsg, kEnvVarNameFmt, {"my.env-name", "MY_ENV.NAME", "MyEnvName1"}));
  }
  check_chdir_prefix(value, errors);
  return join(errors);
}

std::optional<std::string> check_config_map_key(std::string_view value) {
  std::vector<std::string> errors;
  check_length(Format::kConfigMapKey, value, errors);
  if (value.empty() || !all_of(value, is_config_key_char)) {
    errors.push_back(
        regex_error(kConfigMapKeyMsg, kConfigMapKeyFmt, {"key.name", "KEY_NAME", "key-name"}));
  }
  check_chdir_prefix(value, errors);
  return join(errors);
}

bool is_prometheus_metric_name(std::string_view s) {
  return !s.empty() && !is_digit(s.front()) &&
         all_of(s, [](char c) { return is_alnum(c) || c == '_' || c == ':'; });
}

bool is_printable(std::string_view s) { return !s.empty() && all_of(s, is_printable_ascii); }

}  // namespace

const FormatSpec& format_spec(Format format) {
  const auto index = static_cast<std::size_t>(format);
  return index < kSpecs.size() ? kSpecs[index] : kSpecs[0];
}

std::optional<std::string> check_format(Format format, std::string_view value) {
  // Boost.URL's parsers are noexcept, but building messages allocates; a bad_alloc is the only
  // exception left and becomes a message rather than escaping.
  try {
    switch (format) {
      case Format::kNone:
        return std::nullopt;
      case Format::kDns1123Label:
        return check_dns1123_label(value);
      case Format::kDns1123Subdomain:
        return check_simple(format, value, is_dns1123_subdomain(value), kDns1123SubdomainMsg,
                            kDns1123SubdomainFmt, {"example.com"});
      case Format::kDns1035Label:
        return check_simple(format, value, is_dns1035_label(value), kDns1035LabelMsg,
                            kDns1035LabelFmt, {"my-name", "abc-123"});
      case Format::kImageRepository:
        return check_image_repository(value);
      case Format::kImageTag:
        return check_image_tag(value);
      case Format::kHttpUrl:
        return check_http_url(value);
      case Format::kHostPort:
        return check_host_port(value);
      case Format::kUrlPath:
        return check_simple(format, value, is_url_path(value), kUrlPathMsg, kUrlPathFmt,
                            {"/health", "/metrics"});
      case Format::kCloudEventType:
        return check_simple(format, value, is_printable(value), kCloudEventTypeMsg, kPrintableFmt,
                            {"dev.lambda.agent.order.placed"});
      case Format::kCloudEventSource:
        return check_cloud_event_source(value);
      case Format::kEnvVarName:
        return check_env_var_name(value);
      case Format::kConfigMapKey:
        return check_config_map_key(value);
      case Format::kIntentName:
        return check_simple(format, value, is_dns1123_label(value), kIntentNameMsg,
                            kDns1123LabelFmt, {"summarize", "order-placed"});
      case Format::kPrometheusMetricName:
        return check_simple(format, value, is_prometheus_metric_name(value),
                            kPrometheusMetricNameMsg, kPrometheusMetricNameFmt,
                            {"http_requests_total", "lambda:tokens:rate5m"});
      case Format::kModelName:
        return check_simple(format, value, is_printable(value), kModelNameMsg, kPrintableFmt,
                            {"llama3.2:3b", "gpt-4o-mini"});
    }
    return std::nullopt;
  } catch (...) {
    return std::string("could not be validated");
  }
}

}  // namespace lambda::api
