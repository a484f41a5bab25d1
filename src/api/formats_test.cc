// Specification of the string formats: what each accepts, how it explains a rejection, and that
// each published pattern accepts exactly what its check accepts.
#include "api/formats.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace lambda::api {
namespace {

constexpr Format kAllFormats[] = {
    Format::kNone,           Format::kDns1123Label,     Format::kDns1123Subdomain,
    Format::kDns1035Label,   Format::kImageRepository,  Format::kImageTag,
    Format::kHttpUrl,        Format::kHostPort,         Format::kUrlPath,
    Format::kCloudEventType, Format::kCloudEventSource, Format::kEnvVarName,
    Format::kConfigMapKey,   Format::kIntentName,       Format::kPrometheusMetricName,
    Format::kModelName,
};

std::string repeat(std::string_view unit, std::size_t times) {
  std::string out;
  for (std::size_t i = 0; i < times; ++i) out += unit;
  return out;
}

const std::string kDigest = "sha256:" + repeat("0123456789abcdef", 4);

struct Examples {
  Format format;
  std::vector<std::string> valid;
  std::vector<std::string> invalid;
};

// One table, so every example also joins the corpus the pattern-agreement test runs on.
const std::vector<Examples>& examples() {
  static const std::vector<Examples> table = {
      {Format::kDns1123Label,
       {"my-name", "123-abc", "a", "0", "a1-b2", "a--b", repeat("a", 63)},
       {"", "My-Name", "a.b", "-a", "a-", "a_b", " a", "a ", "\u00e4", "a\n", repeat("a", 64)}},
      {Format::kDns1123Subdomain,
       {"example.com", "a", "a.b.c", "a-b.c-d", "0.0", repeat("a", 64) + ".com", repeat("a", 253),
        repeat("a.", 126) + "a"},
       {"", "a..b", ".a", "a.", "A.com", "a_b.com", "a-.com", "-a.com", "a .com", "example.com\n",
        repeat("a", 254), repeat("a.", 127)}},
      {Format::kDns1035Label,
       {"my-name", "abc-123", "a", "a-0", repeat("a", 63)},
       {"", "1abc", "-a", "a-", "My-name", "a.b", "a_b", repeat("a", 64)}},
      {Format::kImageRepository,
       {"nginx", "library/nginx", "ghcr.io/a/b", "localhost:5001/agent-bruno/chatbot",
        "localhost/app", "registry.example.com:443/team/app", "[::1]:5000/app", "[fe80::1]/app",
        "192.168.1.10:5000/app", "a.b_c__d---e/f", "my-registry/app", "Registry.Example.COM/app",
        "a/b/c/d/e", "0/1", "a-b.example.com/x", "host:99999/app", repeat("a", 255),
        "ghcr.io/" + repeat("a", 247)},
       {"",
        "Nginx",
        "ghcr.io/Org/app",
        "nginx:1.25",
        "ghcr.io/a/b@" + kDigest,
        "ghcr.io/a/b:v1@" + kDigest,
        "localhost:5001",
        "nginx/",
        "/nginx",
        "a//b",
        "a/b/",
        "a..b",
        "a___b",
        "a_-b",
        "a-_b",
        "-a",
        "a-",
        ".a",
        "a.",
        "_a",
        "http://ghcr.io/a",
        "ghcr.io /a",
        "ghcr.io/a b",
        "[::1/app",
        "[]/app",
        "[::1]:/app",
        "[::g]/app",
        "host:/app",
        "host:abc/app",
        "-host.com/app",
        "host-.com/app",
        "ghcr.io:5000:1/app",
        "\u00fc/app",
        "a/\u00fc",
        "ghcr.io/a/b:",
        "a@",
        "nginx:latest\n",
        "a/b\n",
        repeat("a", 256),
        "ghcr.io/" + repeat("a", 248)}},
      {Format::kImageTag,
       {"v1.2.3", "latest", "_x", "1", "A-b.c_d", "v1..-", repeat("x", 128), kDigest},
       {"", ".v1", "-v1", "v1+build", "v 1", "v1:2", "\u00fc", "v1\n", repeat("x", 129),
        "sha256:" + repeat("a", 63), "sha256:" + repeat("A", 64), "sha512:" + repeat("a", 64),
        "sha256:" + repeat("a", 65), "@" + kDigest, "sha256:" + repeat("g", 64)}},
      {Format::kHttpUrl,
       {"https://example.com", "http://example.com/hook?x=1", "https://example.com:8443/a",
        "http://10.0.0.1:8080", "http://[::1]:8080/", "HTTPS://EXAMPLE.COM",
        "http://svc.ns.svc.cluster.local/x", "https://example.com/a%20b",
        "https://example.com/" + repeat("a", 2028)},
       {"",
        "example.com",
        "ftp://example.com",
        "https://user:pw@example.com",
        "https://@example.com",
        "https://user@example.com",
        "https:///path",
        "http:/path",
        "https://example.com/#frag",
        "https://example.com:0",
        "https://example.com:65536",
        "https://example.com:",
        "https://exa mple.com",
        "https://example.com/\u00e9",
        "mailto:a@b",
        "/relative",
        "//example.com",
        "https://",
        "https:",
        "http://a\n",
        "https://example.com/" + repeat("a", 2029)}},
      {Format::kHostPort,
       {"alloy.observability.svc:4317", "localhost:4317", "127.0.0.1:4317", "[::1]:4317",
        "Alloy.Example.com:1", "host:65535", "http://alloy:4318",
        "https://otel.example.com/v1/traces", "a-b:80"},
       {"",
        "alloy",
        "alloy:",
        "alloy:0",
        "alloy:65536",
        "alloy:123456",
        "alloy:abc",
        ":4317",
        "user@alloy:4317",
        "alloy:4317/path",
        "alloy_x:4317",
        "-alloy:4317",
        "alloy-:4317",
        "a..b:4317",
        "[::1]",
        "::1:4317",
        "grpc://alloy:4317",
        "https://u:p@h",
        "alloy :4317",
        "\u00e9:1",
        repeat("a", 64) + ":80"}},
      {Format::kUrlPath,
       {"/", "/health", "/metrics", "/a/b/c", "/a%20b", "/~user/-._~!$&'()*+,;=:@", "//double",
        "/" + repeat("a", 2047)},
       {"", "health", "/a b", "/a?b", "/a#b", "/%2", "/%zz", "/\u00e9", "/a\\b", "/a\"b", "/<x>",
        "/a\n", "/[x]", "/{x}", "/a|b", "/" + repeat("a", 2048)}},
      {Format::kCloudEventType,
       {"dev.lambda.agent.order.placed", "com.example.object.deleted.v2", "a", "!~",
        repeat("t", 255)},
       {"", "a b", "a\tb", "\u00e9", "a\n", "a\x7f", repeat("t", 256)}},
      {Format::kCloudEventSource,
       {"/apis/v1/namespaces/default/pingsources/ping", "https://github.com/org/repo",
        "urn:event:from:myapi", "*", "https://github.com/org/*", "mysource", "/a/b*",
        "//authority/x", "?q", "#f"},
       {"", "a*b", "**", "*a", "a b", "https://[::1/", "\u00e9", "%zz", "https://example.com/*x",
        "a\n", "https://example.com/" + repeat("a", 2029)}},
      {Format::kEnvVarName,
       {"MY_VAR", "my.env-name", "MY_ENV.NAME", "MyEnvName1", "_x", "-x", ".x", ".5", "a..b", "x",
        repeat("A", 1024)},
       {"", "1A", ".", "..", "..x", "A B", "A=B", "\u00e9", "A$", "A\n", repeat("A", 1025)}},
      {Format::kConfigMapKey,
       {"key.name", "KEY_NAME", "key-name", "1", ".a", "a..", "config.yaml", "-", "_",
        repeat("k", 253)},
       {"", ".", "..", "..a", "a/b", "a b", "a\n", "\u00e9", repeat("k", 254)}},
      {Format::kIntentName,
       {"summarize", "order-placed", "a1", "1", repeat("i", 63)},
       {"", "Summarize", "order_placed", "order.placed", "-a", "a-", repeat("i", 64)}},
      {Format::kPrometheusMetricName,
       {"http_requests_total", "lambda:tokens:rate5m", "_x", ":x", "A", repeat("m", 255)},
       {"", "1x", "a-b", "a.b", "a b", "\u00e9", "a\n", repeat("m", 256)}},
      {Format::kModelName,
       {"llama3.2:3b", "hf.co/org/model:Q4_K_M", "gpt-4o-mini", "x", repeat("m", 256)},
       {"", "llama 3", "a\tb", "\u00e9", "a\x7f", "a\n", repeat("m", 257)}},
  };
  return table;
}

std::vector<std::string> shared_corpus() {
  std::set<std::string> corpus;
  for (const Examples& entry : examples()) {
    corpus.insert(entry.valid.begin(), entry.valid.end());
    corpus.insert(entry.invalid.begin(), entry.invalid.end());
  }
  // Lengths around every limit, made of characters most formats accept.
  for (std::size_t length : {62u, 63u, 64u, 127u, 128u, 129u, 252u, 253u, 254u, 255u, 256u, 257u,
                             1023u, 1024u, 1025u, 2047u, 2048u, 2049u}) {
    corpus.insert(repeat("a", length));
    corpus.insert("/" + repeat("a", length - 1));
  }
  corpus.insert({"\t", " ", "\r\n", std::string("a\0b", 3), "\xff", "\xc3", "a\r"});
  return {corpus.begin(), corpus.end()};
}

std::string error_for(Format format, std::string_view value) {
  std::optional<std::string> error = check_format(format, value);
  EXPECT_TRUE(error.has_value()) << format_spec(format).name << " accepted \"" << value << "\"";
  return error.value_or("");
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

// ---- The table ------------------------------------------------------------------------------

TEST(FormatSpec, EveryFormatHasItsOwnSpecWithNameAndDescription) {
  std::set<std::string_view> names;
  for (Format format : kAllFormats) {
    const FormatSpec& spec = format_spec(format);
    EXPECT_EQ(spec.format, format);
    EXPECT_FALSE(spec.name.empty());
    EXPECT_FALSE(spec.description.empty());
    EXPECT_TRUE(names.insert(spec.name).second) << "duplicate name " << spec.name;
  }
}

TEST(FormatSpec, EveryFormatButNoneHasAMaximumLength) {
  for (Format format : kAllFormats) {
    const FormatSpec& spec = format_spec(format);
    EXPECT_EQ(spec.max_length.has_value(), format != Format::kNone) << spec.name;
  }
  EXPECT_EQ(format_spec(Format::kDns1123Label).max_length, 63);
  EXPECT_EQ(format_spec(Format::kDns1123Subdomain).max_length, 253);
  EXPECT_EQ(format_spec(Format::kImageRepository).max_length, 255);
  EXPECT_EQ(format_spec(Format::kModelName).max_length, 256);
}

TEST(FormatSpec, PatternsAreAnchoredAndUseOnlySyntaxSharedByRe2AndEcmaScript) {
  for (Format format : kAllFormats) {
    const std::string pattern(format_spec(format).pattern);
    if (pattern.empty()) continue;
    EXPECT_EQ(pattern.front(), '^') << pattern;
    EXPECT_EQ(pattern.back(), '$') << pattern;
    // RE2 has no look-around or back-references; \d \w \s and \b differ between engines once
    // Unicode is involved.
    for (std::string_view construct :
         {"(?=", "(?!", "(?<", "\\1", "\\2", "\\d", "\\w", "\\s", "\\b", "\\p", "\\u", "\\x"}) {
      EXPECT_FALSE(contains(pattern, construct)) << pattern << " uses " << construct;
    }
    for (char c : pattern) EXPECT_TRUE(c >= ' ' && c <= '~') << pattern << " is not ASCII";
    EXPECT_NO_THROW(std::regex(pattern, std::regex::ECMAScript)) << pattern;
  }
}

TEST(FormatSpec, FormatsARegexCannotCaptureHaveNoPattern) {
  EXPECT_TRUE(format_spec(Format::kNone).pattern.empty());
  EXPECT_TRUE(format_spec(Format::kHttpUrl).pattern.empty());
  EXPECT_TRUE(format_spec(Format::kHostPort).pattern.empty());
  EXPECT_TRUE(format_spec(Format::kCloudEventSource).pattern.empty());
  EXPECT_FALSE(format_spec(Format::kDns1123Label).pattern.empty());
}

TEST(FormatSpec, UnknownFormatValuesFallBackToNone) {
  const auto unknown = static_cast<Format>(999);
  EXPECT_EQ(format_spec(unknown).format, Format::kNone);
  EXPECT_FALSE(check_format(unknown, "anything").has_value());
}

TEST(CheckFormat, NoneAcceptsAnything) {
  for (const std::string& value : shared_corpus()) {
    EXPECT_FALSE(check_format(Format::kNone, value).has_value());
  }
}

TEST(CheckFormat, AcceptsEveryValidExample) {
  for (const Examples& entry : examples()) {
    for (const std::string& value : entry.valid) {
      std::optional<std::string> error = check_format(entry.format, value);
      EXPECT_FALSE(error.has_value())
          << format_spec(entry.format).name << " rejected \"" << value << "\": " << *error;
    }
  }
}

TEST(CheckFormat, RejectsEveryInvalidExample) {
  for (const Examples& entry : examples()) {
    for (const std::string& value : entry.invalid) {
      std::optional<std::string> error = check_format(entry.format, value);
      ASSERT_TRUE(error.has_value())
          << format_spec(entry.format).name << " accepted \"" << value << "\"";
      EXPECT_FALSE(error->empty());
    }
  }
}

// Each pattern, run the way the API server runs a CRD pattern (a search), together with the
// spec's maxLength, must accept exactly the strings check_format accepts.
TEST(CheckFormat, EveryPatternAgreesWithItsCheckOnTheSharedCorpus) {
  const std::vector<std::string> corpus = shared_corpus();
  int compared = 0;
  for (Format format : kAllFormats) {
    const FormatSpec& spec = format_spec(format);
    if (spec.pattern.empty()) continue;
    const std::regex pattern(std::string(spec.pattern), std::regex::ECMAScript);
    for (const std::string& value : corpus) {
      const bool schema_accepts =
          std::regex_search(value, pattern) &&
          (!spec.max_length || value.size() <= static_cast<std::size_t>(*spec.max_length));
      const bool check_accepts = !check_format(format, value).has_value();
      EXPECT_EQ(schema_accepts, check_accepts)
          << spec.name << " pattern and check disagree on \"" << value << "\"";
      ++compared;
    }
  }
  EXPECT_GT(compared, 1000);
}

// ---- Kubernetes names -----------------------------------------------------------------------

TEST(Dns1123Label, ExplainsARejectionInKubernetesWords) {
  EXPECT_EQ(error_for(Format::kDns1123Label, "My-Name"),
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or "
            "'-', and must start and end with an alphanumeric character (e.g. 'my-name', or "
            "'123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')");
}

TEST(Dns1123Label, SaysOnlyThatDotsAreNotAllowedForAValidSubdomain) {
  EXPECT_EQ(error_for(Format::kDns1123Label, "a.b"), "must not contain dots");
}

TEST(Dns1123Label, ReportsLengthAndPatternTogether) {
  EXPECT_EQ(error_for(Format::kDns1123Label, repeat("a", 64)),
            "must be no more than 63 characters");
  const std::string error = error_for(Format::kDns1123Label, repeat("A", 64));
  EXPECT_TRUE(contains(error, "must be no more than 63 characters; a lowercase RFC 1123 label"))
      << error;
}

TEST(Dns1123Subdomain, ExplainsARejectionInKubernetesWords) {
  EXPECT_EQ(error_for(Format::kDns1123Subdomain, "A.com"),
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
            "'-' or '.', and must start and end with an alphanumeric character (e.g. "
            "'example.com', regex used for validation is "
            "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
  EXPECT_EQ(error_for(Format::kDns1123Subdomain, repeat("a", 254)),
            "must be no more than 253 characters");
}

TEST(Dns1035Label, ExplainsARejectionInKubernetesWords) {
  EXPECT_EQ(error_for(Format::kDns1035Label, "1abc"),
            "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start "
            "with an alphabetic character, and end with an alphanumeric character (e.g. "
            "'my-name', or 'abc-123', regex used for validation is "
            "'[a-z]([-a-z0-9]*[a-z0-9])?')");
}

TEST(IntentName, UsesTheLabelRuleWithItsOwnWording) {
  EXPECT_FALSE(check_format(Format::kIntentName, "order-placed").has_value());
  const std::string error = error_for(Format::kIntentName, "Order_Placed");
  EXPECT_TRUE(contains(error, "an intent name must consist of lower case alphanumeric")) << error;
}

TEST(EnvVarName, ExplainsARejectionInKubernetesWords) {
  EXPECT_EQ(error_for(Format::kEnvVarName, "1A"),
            "a valid environment variable name must consist of alphabetic characters, digits, "
            "'_', '-', or '.', and must not start with a digit (e.g. 'my.env-name', or "
            "'MY_ENV.NAME', or 'MyEnvName1', regex used for validation is "
            "'[-._a-zA-Z][-._a-zA-Z0-9]*')");
}

TEST(EnvVarName, RejectsDotAndDotDotPrefixesLikeKubernetes) {
  EXPECT_EQ(error_for(Format::kEnvVarName, "."), "must not be '.'");
  EXPECT_EQ(error_for(Format::kEnvVarName, ".."), "must not be '..'");
  EXPECT_EQ(error_for(Format::kEnvVarName, "..x"), "must not start with '..'");
  EXPECT_FALSE(check_format(Format::kEnvVarName, ".x").has_value());
}

TEST(ConfigMapKey, ExplainsARejectionInKubernetesWords) {
  EXPECT_EQ(error_for(Format::kConfigMapKey, "a/b"),
            "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. "
            "'key.name', or 'KEY_NAME', or 'key-name', regex used for validation is "
            "'[-._a-zA-Z0-9]+')");
  EXPECT_EQ(error_for(Format::kConfigMapKey, ".."), "must not be '..'");
  EXPECT_EQ(error_for(Format::kConfigMapKey, "..a"), "must not start with '..'");
  EXPECT_EQ(error_for(Format::kConfigMapKey, repeat("k", 254)),
            "must be no more than 253 characters");
}

// ---- Images ---------------------------------------------------------------------------------

TEST(ImageRepository, AcceptsRegistryHostsWithPortsAndNestedPaths) {
  EXPECT_FALSE(check_format(Format::kImageRepository, "localhost:5001/agent-bruno/chatbot"));
  EXPECT_FALSE(check_format(Format::kImageRepository, "ghcr.io/a/b"));
  EXPECT_FALSE(check_format(Format::kImageRepository, "nginx"));
  EXPECT_FALSE(check_format(Format::kImageRepository, "[::1]:5000/app"));
}

TEST(ImageRepository, TellsTheUserToMoveATagToTheTagField) {
  EXPECT_EQ(error_for(Format::kImageRepository, "nginx:1.25"),
            "an image repository must not include a tag (':1.25'): give the tag separately, as "
            "the image tag");
  EXPECT_TRUE(contains(error_for(Format::kImageRepository, "localhost:5001/app:latest"),
                       "must not include a tag (':latest')"));
}

TEST(ImageRepository, TellsTheUserToMoveADigestToTheTagField) {
  EXPECT_EQ(error_for(Format::kImageRepository, "ghcr.io/a/b@" + kDigest),
            "an image repository must not include a digest ('@" + kDigest +
                "'): give the digest separately, as the image tag, without the '@'");
  EXPECT_TRUE(contains(error_for(Format::kImageRepository, "ghcr.io/a/b:v1@" + kDigest),
                       "must not include a tag (':v1') or a digest"));
}

TEST(ImageRepository, ExplainsThatARegistryAloneIsNotARepository) {
  EXPECT_EQ(error_for(Format::kImageRepository, "localhost:5001"),
            "an image repository needs a path after the registry: 'localhost:5001' reads as "
            "image 'localhost' with tag '5001'; write e.g. 'localhost:5001/my-app'");
}

TEST(ImageRepository, ExplainsThatARegistryWithADomainAloneIsNotARepository) {
  EXPECT_TRUE(contains(error_for(Format::kImageRepository, "ghcr.io:443"),
                       "reads as image 'ghcr.io' with tag '443'"));
  // Without a dot or "localhost" the first component is an image name, so ":5000" is a tag.
  EXPECT_TRUE(contains(error_for(Format::kImageRepository, "myreg:5000"),
                       "must not include a tag (':5000')"));
}

TEST(ImageRepository, DoesNotEchoAnOverlongValueBack) {
  const std::string value = "ghcr.io/a/" + repeat("B", 300) + ":v1";
  const std::string error = error_for(Format::kImageRepository, value);
  EXPECT_TRUE(contains(error, "must be no more than 255 characters; an image repository must be"))
      << error;
  EXPECT_FALSE(contains(error, "BBB")) << error;
}

TEST(ImageRepository, SuggestsLowerCaseForAnUpperCasePath) {
  EXPECT_EQ(error_for(Format::kImageRepository, "ghcr.io/MyOrg/App"),
            "an image repository's path must be lower case (e.g. 'ghcr.io/myorg/app')");
}

TEST(ImageRepository, NeverEchoesMalformedInputIntoTheMessage) {
  const std::string error = error_for(Format::kImageRepository, "a/b:\n\x1b[31m");
  EXPECT_FALSE(contains(error, "\x1b")) << error;
  EXPECT_TRUE(contains(error, "an image repository must be '/'-separated path components"));
}

TEST(ImageTag, AcceptsTagsAndSha256Digests) {
  EXPECT_FALSE(check_format(Format::kImageTag, "v1.2.3"));
  EXPECT_FALSE(check_format(Format::kImageTag, kDigest));
}

TEST(ImageTag, ExplainsThatADigestHasNoAtSign) {
  EXPECT_EQ(error_for(Format::kImageTag, "@" + kDigest),
            "a digest is written without the '@': '" + kDigest + "'");
  EXPECT_TRUE(contains(error_for(Format::kImageTag, "v1+build"),
                       "regex used for validation is '[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|"
                       "sha256:[a-f0-9]{64}'"));
}

// ---- URLs -----------------------------------------------------------------------------------

TEST(HttpUrl, RejectsCredentialsBecauseUrlsEndUpInLogs) {
  for (const char* url :
       {"https://user:pw@example.com", "https://user@example.com", "https://@example.com"}) {
    EXPECT_TRUE(contains(error_for(Format::kHttpUrl, url), "must not contain credentials")) << url;
  }
}

TEST(HttpUrl, ExplainsEachKindOfRejection) {
  EXPECT_EQ(error_for(Format::kHttpUrl, "ftp://example.com"),
            "the URL scheme must be http or https, not 'ftp'");
  EXPECT_TRUE(contains(error_for(Format::kHttpUrl, "https:///path"), "must have a host"));
  EXPECT_TRUE(contains(error_for(Format::kHttpUrl, "http:/path"), "must have a host"));
  EXPECT_TRUE(contains(error_for(Format::kHttpUrl, "https://a/#x"), "must not have a fragment"));
  EXPECT_TRUE(contains(error_for(Format::kHttpUrl, "https://a:65536"), "from 1 to 65535"));
  EXPECT_TRUE(contains(error_for(Format::kHttpUrl, "example.com"),
                       "must be an absolute http:// or https:// URL"));
  EXPECT_EQ(error_for(Format::kHttpUrl, "https://a/" + repeat("x", 2039)),
            "must be no more than 2048 characters");
}

TEST(HttpUrl, AcceptsSchemesInAnyCase) {
  EXPECT_FALSE(check_format(Format::kHttpUrl, "HTTPS://EXAMPLE.COM/Hook"));
  EXPECT_FALSE(check_format(Format::kHttpUrl, "Http://example.com"));
}

TEST(HostPort, AcceptsHostPortOrAnHttpUrl) {
  EXPECT_FALSE(check_format(Format::kHostPort, "alloy.observability.svc:4317"));
  EXPECT_FALSE(check_format(Format::kHostPort, "[::1]:4317"));
  EXPECT_FALSE(check_format(Format::kHostPort, "http://alloy.observability.svc:4318"));
}

TEST(HostPort, RequiresAPortFromOneTo65535) {
  for (const char* value : {"alloy", "alloy:", "alloy:0", "alloy:65536"}) {
    EXPECT_TRUE(contains(error_for(Format::kHostPort, value), "port from 1 to 65535")) << value;
  }
  EXPECT_FALSE(check_format(Format::kHostPort, "alloy:1"));
  EXPECT_FALSE(check_format(Format::kHostPort, "alloy:65535"));
}

TEST(HostPort, AppliesTheHttpUrlRulesToUrls) {
  EXPECT_TRUE(contains(error_for(Format::kHostPort, "https://u:p@alloy:4318"),
                       "must not contain credentials"));
  EXPECT_TRUE(
      contains(error_for(Format::kHostPort, "grpc://alloy:4317"), "scheme must be http or https"));
}

TEST(UrlPath, RequiresALeadingSlashAndNoQueryOrFragment) {
  EXPECT_FALSE(check_format(Format::kUrlPath, "/health"));
  EXPECT_TRUE(contains(error_for(Format::kUrlPath, "health"), "must start with '/'"));
  EXPECT_TRUE(contains(error_for(Format::kUrlPath, "/a?b"), "without a query or fragment"));
}

// ---- CloudEvents ----------------------------------------------------------------------------

TEST(CloudEventSource, AllowsAStarOnlyAsAFinalPrefixWildcard) {
  EXPECT_FALSE(check_format(Format::kCloudEventSource, "https://github.com/org/*"));
  EXPECT_FALSE(check_format(Format::kCloudEventSource, "*"));
  EXPECT_EQ(error_for(Format::kCloudEventSource, "a*b"),
            "'*' is allowed only as the last character of a CloudEvent source, where it matches "
            "any suffix");
  EXPECT_TRUE(contains(error_for(Format::kCloudEventSource, "**"), "only as the last character"));
}

TEST(CloudEventSource, RequiresANonEmptyUriReference) {
  EXPECT_EQ(error_for(Format::kCloudEventSource, ""), "a CloudEvent source must not be empty");
  EXPECT_TRUE(contains(error_for(Format::kCloudEventSource, "a b"), "must be a URI-reference"));
  EXPECT_FALSE(check_format(Format::kCloudEventSource, "urn:event:from:myapi"));
}

TEST(CloudEventType, RequiresPrintableAsciiWithoutWhitespace) {
  EXPECT_FALSE(check_format(Format::kCloudEventType, "dev.lambda.agent.order.placed"));
  EXPECT_TRUE(contains(error_for(Format::kCloudEventType, "order placed"),
                       "printable ASCII without whitespace"));
}

// ---- Others ---------------------------------------------------------------------------------

TEST(PrometheusMetricName, FollowsThePrometheusDataModel) {
  EXPECT_FALSE(check_format(Format::kPrometheusMetricName, "lambda_requests_total"));
  EXPECT_TRUE(contains(error_for(Format::kPrometheusMetricName, "lambda-requests"),
                       "regex used for validation is '[a-zA-Z_:][a-zA-Z0-9_:]*'"));
}

TEST(ModelName, AcceptsOllamaAndHubStyleNames) {
  EXPECT_FALSE(check_format(Format::kModelName, "llama3.2:3b"));
  EXPECT_FALSE(check_format(Format::kModelName, "hf.co/org/model:Q4_K_M"));
  EXPECT_TRUE(contains(error_for(Format::kModelName, "llama 3"), "without whitespace"));
}

}  // namespace
}  // namespace lambda::api
