// Table-driven validation tests: each case is a small YAML patch on a valid base agent and the
// exact error it must produce (field path and error type, optionally a piece of the detail), or,
// for the second table, the warnings a still-valid agent must produce.
//
// A patch is deep-merged into the base: mappings merge key by key, a null value deletes the key,
// and anything else (scalars, lists) replaces what was there, so a list is always written whole.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "api/test_util.h"
#include "api/validation.h"
#include "common/json_yaml.h"

namespace lambda::api {
namespace {

namespace json = boost::json;
using lambda::testing::yaml;

// Valid, and without a single warning (BaseAgent.IsValidWithoutWarnings holds it to that), with
// every block present so that patches can reach any field.
constexpr std::string_view kBase = R"(
apiVersion: lambda.knative.io/v1alpha1
kind: LambdaAgent
metadata:
  name: table-agent
  namespace: tests
spec:
  image:
    repository: ghcr.io/example/table-agent
    tag: "1.0.0"
    pullPolicy: IfNotPresent
    imagePullSecrets: [{name: regcred}]
  ai:
    provider: ollama
    model: llama3.2:3b
    fallbackModel: llama3.2:1b
    temperature: 0.7
    maxTokens: 1024
    topP: 0.9
    maxContextMessages: 20
    contextWindowSize: 4096
    systemPrompt: You are a test agent.
  behavior:
    conversationTTL: 1h
    maxConcurrentConversations: 100
    emitEvents: true
    eventTypes: [dev.example.chat.message]
    intentDetection:
      enabled: true
      intents:
        - {name: billing, keywords: [invoice, refund], confidence: 0.7}
        - {name: status, keywords: [status, health]}
    healthCheck: {enabled: true, path: /health, interval: 10s}
  scaling:
    minReplicas: 1
    maxReplicas: 5
    targetConcurrency: 10
    containerConcurrency: 20
    scaleDownDelay: 5m
    metrics:
      - {type: concurrency, target: 10}
  resources:
    requests: {cpu: 100m, memory: 256Mi}
    limits: {cpu: 500m, memory: 512Mi}
  eventing:
    enabled: true
    eventSource: /tests/table-agent
    brokerName: lambda-broker
    rabbitmq: {clusterName: rabbitmq, namespace: rabbitmq-system, queueType: quorum}
    routing:
      - {intent: billing, eventType: dev.example.intent.billing, target: {service: billing-api, namespace: billing}}
    subscriptions:
      - {eventType: dev.example.order.placed, source: /shop/orders}
    dlq: {enabled: true, retryMaxAttempts: 3, retryBackoffDelay: PT1S, backoffPolicy: exponential}
  observability:
    metrics: {enabled: true, port: 9464, path: /metrics, aiMetrics: {enabled: true}}
    tracing: {enabled: true, endpoint: "alloy.observability.svc:4317", samplingRate: 0.5}
    logging: {level: info, format: json, traceContext: true}
  sidecar:
    enabled: true
    port: 8181
    resources:
      requests: {cpu: 10m, memory: 32Mi}
      limits: {cpu: 100m, memory: 64Mi}
  env:
    - {name: APP_MODE, value: test}
  envFrom:
    - configMapRef: {name: app-config}
)";

// Deep merge as described at the top of the file.
void merge_into(json::value& target, const json::value& patch) {
  if (!target.is_object() || !patch.is_object()) {
    target = patch;
    return;
  }
  json::object& object = target.as_object();
  for (const auto& member : patch.as_object()) {
    if (member.value().is_null()) {
      object.erase(member.key());
      continue;
    }
    json::value* existing = object.if_contains(member.key());
    if (existing && existing->is_object() && member.value().is_object()) {
      merge_into(*existing, member.value());
    } else {
      object[member.key()] = member.value();
    }
  }
}

json::value patched(std::string_view patch) {
  json::value document = yaml(kBase);
  if (!patch.empty()) merge_into(document, yaml(patch));
  return document;
}

std::string_view type_name(ErrorType type) {
  switch (type) {
    case ErrorType::kRequired:
      return "Required";
    case ErrorType::kInvalid:
      return "Invalid";
    case ErrorType::kNotSupported:
      return "NotSupported";
    case ErrorType::kForbidden:
      return "Forbidden";
    case ErrorType::kDuplicate:
      return "Duplicate";
    case ErrorType::kNotFound:
      return "NotFound";
    case ErrorType::kTooLong:
      return "TooLong";
    case ErrorType::kTooMany:
      return "TooMany";
    case ErrorType::kUnknownField:
      return "UnknownField";
    case ErrorType::kTypeInvalid:
      return "TypeInvalid";
  }
  return "?";
}

std::string joined(const Warnings& warnings) {
  std::string out;
  for (const auto& w : warnings) out += w.to_string() + "\n";
  return out;
}

// ---------------------------------------------------------------------------------------------
// The helper itself.

TEST(TablePatch, MergesDeletesAndReplacesListsWhole) {
  json::value base = yaml("a: {b: 1, c: [1, 2], d: {e: 1}}\nf: x");
  merge_into(base, yaml("a: {b: null, c: [3], d: {g: 2}}\nh: y"));
  EXPECT_EQ(lambda::testing::canonical_text(base),
            lambda::testing::canonical_text(yaml("a: {c: [3], d: {e: 1, g: 2}}\nf: x\nh: y")));
}

TEST(BaseAgent, IsValidWithoutWarnings) {
  CheckedAgent checked = check_agent(patched(""));
  EXPECT_TRUE(checked.ok()) << checked.errors.to_string();
  EXPECT_TRUE(checked.warnings.empty()) << joined(checked.warnings);
}

// ---------------------------------------------------------------------------------------------
// Invalid agents.

struct InvalidCase {
  std::string name;        // gtest name: [A-Za-z0-9_]
  std::string patch;       // YAML merged into kBase
  std::string path;        // exact field path of the expected error ("" is the document root)
  ErrorType type;          // exact type of that error
  std::string detail;      // a piece of its detail ("" = any)
  std::size_t errors = 1;  // how many errors the document has in all (0 = do not check)
};

void PrintTo(const InvalidCase& c, std::ostream* os) { *os << c.name; }

std::vector<InvalidCase> invalid_cases() {
  using enum ErrorType;
  std::vector<InvalidCase> cases = {
      // --- Unknown fields, at several depths, with "did you mean" ------------------------------
      {"UnknownTopLevelFieldSuggestsSpec", "specs: {}", "specs", kUnknownField,
       "did you mean \"spec\"?"},
      {"UnknownMetadataFieldSuggestsLabels", "metadata: {labls: {a: b}}", "metadata.labls",
       kUnknownField, "did you mean \"labels\"?"},
      {"UnknownSpecFieldSuggestsScaling", "spec: {scailng: {}}", "spec.scailng", kUnknownField,
       "did you mean \"scaling\"?"},
      {"UnknownAiFieldSuggestsFallbackModel", "spec: {ai: {fallbackModle: x}}",
       "spec.ai.fallbackModle", kUnknownField, "did you mean \"fallbackModel\"?"},
      {"UnknownDlqFieldSuggestsRetryMaxAttempts", "spec: {eventing: {dlq: {retryMaxAttemps: 1}}}",
       "spec.eventing.dlq.retryMaxAttemps", kUnknownField, "did you mean \"retryMaxAttempts\"?"},
      {"UnknownFieldInsideListItemSuggestsNamespace",
       "spec: {eventing: {routing: [{intent: billing, eventType: dev.example.intent.billing, "
       "target: {service: billing-api, namspace: billing}}]}}",
       "spec.eventing.routing[0].target.namspace", kUnknownField, "did you mean \"namespace\"?"},
      {"UnknownSidecarFieldSuggestsEnabled", "spec: {sidecar: {enabeld: false}}",
       "spec.sidecar.enabeld", kUnknownField, "did you mean \"enabled\"?"},
      {"UnknownStatusFieldSuggestsPhase", "status: {phse: Ready}", "status.phse", kUnknownField,
       "did you mean \"phase\"?"},
      {"UnknownFieldFarFromAnyNameHasNoSuggestion", "spec: {image: {xyz: 1}}", "spec.image.xyz",
       kUnknownField, "field not declared in schema"},
      // The unknown key leaves valueFrom without a source, which validation also reports.
      {"UnknownEnvSourceSuggestsSecretKeyRef",
       "spec: {env: [{name: TOKEN, valueFrom: {secretKeyReff: {name: s, key: k}}}]}",
       "spec.env[0].valueFrom.secretKeyReff", kUnknownField, "did you mean \"secretKeyRef\"?", 2},

      // --- Wrong types -------------------------------------------------------------------------
      {"StringForNumber", "spec: {ai: {temperature: hot}}", "spec.ai.temperature", kTypeInvalid,
       "must be a number"},
      {"StringForInteger", "spec: {scaling: {minReplicas: \"2\"}}", "spec.scaling.minReplicas",
       kTypeInvalid, "must be an integer"},
      {"FractionForInteger", "spec: {ai: {maxTokens: 1.5}}", "spec.ai.maxTokens", kTypeInvalid,
       "must be an integer"},
      {"NumberForString", "spec: {ai: {model: 42}}", "spec.ai.model", kTypeInvalid,
       "must be a string"},
      {"BoolForStringExplainsYamlBooleans", "spec: {image: {repository: true}}",
       "spec.image.repository", kTypeInvalid, "quote the value"},
      {"YesForEnvValueIsABoolean", "spec: {env: [{name: DEBUG, value: yes}]}", "spec.env[0].value",
       kTypeInvalid, "must be a string"},
      {"StringForBoolean", "spec: {eventing: {enabled: \"true\"}}", "spec.eventing.enabled",
       kTypeInvalid, "must be a boolean"},
      {"ObjectForList", "spec: {scaling: {metrics: {type: cpu, target: 80}}}",
       "spec.scaling.metrics", kTypeInvalid, "must be a list"},
      {"StringForList", "spec: {behavior: {eventTypes: dev.example.chat.message}}",
       "spec.behavior.eventTypes", kTypeInvalid, "must be a list"},
      {"ListForMap", "metadata: {labels: [a, b]}", "metadata.labels", kTypeInvalid,
       "must be a map"},
      {"StringForObject", "spec: {ai: llama}", "spec.ai", kTypeInvalid, "must be an object"},
      {"NumberForDuration", "spec: {behavior: {conversationTTL: 60}}",
       "spec.behavior.conversationTTL", kTypeInvalid, "duration string"},
      {"ListForQuantity", "spec: {resources: {requests: {cpu: [1]}}}",
       "spec.resources.requests[cpu]", kTypeInvalid, "must be a quantity"},
      {"NullListItem",
       "spec: {behavior: {intentDetection: {intents: [null]}}, eventing: {routing: null}}",
       "spec.behavior.intentDetection.intents[0]", kInvalid, "list items may not be null"},
      {"IntegerOverflowsInt32", "spec: {scaling: {maxReplicas: 3000000000}}",
       "spec.scaling.maxReplicas", kInvalid, "out of range"},
      // Regression (fixed in db310ab): an integer literal too large for 64 bits (read as a double)
      // was reported as "Invalid value: 100000000000000000000: must be an integer"; it is an
      // integer, out of range, as 18446744073709551615 (which fits uint64) already was.
      {"HugeIntegerIsOutOfRangeNotANonInteger",
       "spec: {scaling: {maxReplicas: 99999999999999999999}}", "spec.scaling.maxReplicas", kInvalid,
       "out of range"},

      // --- Enums -------------------------------------------------------------------------------
      {"UnsupportedProvider", "spec: {ai: {provider: gpt}}", "spec.ai.provider", kNotSupported,
       "supported values: \"ollama\", \"openai\", \"anthropic\", \"local\""},
      {"ProviderIsCaseSensitive", "spec: {ai: {provider: OpenAI}}", "spec.ai.provider",
       kNotSupported, ""},
      {"UnsupportedPullPolicy", "spec: {image: {pullPolicy: Sometimes}}", "spec.image.pullPolicy",
       kNotSupported, "\"Always\", \"IfNotPresent\", \"Never\""},
      {"UnsupportedQueueType", "spec: {eventing: {rabbitmq: {queueType: mirrored}}}",
       "spec.eventing.rabbitmq.queueType", kNotSupported, "\"quorum\", \"classic\""},
      {"UnsupportedBackoffPolicy", "spec: {eventing: {dlq: {backoffPolicy: quadratic}}}",
       "spec.eventing.dlq.backoffPolicy", kNotSupported, "\"exponential\", \"linear\""},
      {"UnsupportedLogLevel", "spec: {observability: {logging: {level: verbose}}}",
       "spec.observability.logging.level", kNotSupported,
       "\"trace\", \"debug\", \"info\", \"warn\", \"error\""},
      {"UnsupportedLogFormat", "spec: {observability: {logging: {format: xml}}}",
       "spec.observability.logging.format", kNotSupported, "\"json\", \"text\""},
      {"UnsupportedMetricType", "spec: {scaling: {metrics: [{type: latency, target: 10}]}}",
       "spec.scaling.metrics[0].type", kNotSupported,
       "\"concurrency\", \"rps\", \"cpu\", \"memory\", \"prometheus\""},
      // Regression (fixed in db310ab): the cross-field rules took every type but concurrency and
      // rps for an HPA metric, so an unsupported type also got "spec.scaling.minReplicas: Invalid
      // value: 0: must be at least 1 with a cpu, memory or prometheus metric".
      {"UnsupportedMetricTypeIsNotTreatedAsHpa",
       "spec: {scaling: {minReplicas: 0, metrics: [{type: latency, target: 10}]}}",
       "spec.scaling.metrics[0].type", kNotSupported, ""},
      {"UnsupportedConditionStatus", "status: {conditions: [{type: Ready, status: Maybe}]}",
       "status.conditions[0].status", kNotSupported, "\"True\", \"False\", \"Unknown\""},
      {"WrongApiVersion", "apiVersion: lambda.knative.io/v1beta1", "apiVersion", kNotSupported,
       "\"lambda.knative.io/v1alpha1\""},
      {"WrongKind", "kind: Agent", "kind", kNotSupported, "\"LambdaAgent\""},

      // --- Ranges ------------------------------------------------------------------------------
      {"TemperatureAboveTwo", "spec: {ai: {temperature: 3.5}}", "spec.ai.temperature", kInvalid,
       "must be between 0 and 2, inclusive"},
      {"TemperatureNegative", "spec: {ai: {temperature: -0.1}}", "spec.ai.temperature", kInvalid,
       "must be between 0 and 2, inclusive"},
      {"TopPAboveOne", "spec: {ai: {topP: 1.5}}", "spec.ai.topP", kInvalid,
       "must be between 0 and 1, inclusive"},
      {"MaxTokensZero", "spec: {ai: {maxTokens: 0}}", "spec.ai.maxTokens", kInvalid,
       "must be between 1 and 1000000, inclusive"},
      {"MaxTokensTooLarge", "spec: {ai: {maxTokens: 1000001, contextWindowSize: null}}",
       "spec.ai.maxTokens", kInvalid, "must be between 1 and 1000000, inclusive"},
      {"MaxContextMessagesZero", "spec: {ai: {maxContextMessages: 0}}",
       "spec.ai.maxContextMessages", kInvalid, "must be between 1 and 10000, inclusive"},
      {"ContextWindowTooSmall", "spec: {ai: {contextWindowSize: 100, maxTokens: null}}",
       "spec.ai.contextWindowSize", kInvalid, "must be between 256 and 10000000, inclusive"},
      {"ConfidenceAboveOne",
       "spec: {behavior: {intentDetection: {intents: [{name: billing, keywords: [invoice], "
       "confidence: 1.5}]}}}",
       "spec.behavior.intentDetection.intents[0].confidence", kInvalid,
       "must be between 0 and 1, inclusive"},
      {"MaxConcurrentConversationsZero", "spec: {behavior: {maxConcurrentConversations: 0}}",
       "spec.behavior.maxConcurrentConversations", kInvalid,
       "must be between 1 and 1000000, inclusive"},
      {"SidecarPortAbove65535", "spec: {sidecar: {port: 70000}}", "spec.sidecar.port", kInvalid,
       "must be between 1 and 65535, inclusive"},
      {"SidecarPortZero", "spec: {sidecar: {port: 0}}", "spec.sidecar.port", kInvalid,
       "must be between 1 and 65535, inclusive"},
      {"MetricsPortZero", "spec: {observability: {metrics: {port: 0}}}",
       "spec.observability.metrics.port", kInvalid, "must be between 1 and 65535, inclusive"},
      {"MinReplicasNegative", "spec: {scaling: {minReplicas: -1}}", "spec.scaling.minReplicas",
       kInvalid, "must be between 0 and 1000, inclusive"},
      {"MaxReplicasZero", "spec: {scaling: {minReplicas: 0, maxReplicas: 0}}",
       "spec.scaling.maxReplicas", kInvalid, "must be between 1 and 1000, inclusive"},
      {"MaxReplicasAboveLimit", "spec: {scaling: {maxReplicas: 1001}}", "spec.scaling.maxReplicas",
       kInvalid, "must be between 1 and 1000, inclusive"},
      {"ContainerConcurrencyAboveLimit", "spec: {scaling: {containerConcurrency: 1001}}",
       "spec.scaling.containerConcurrency", kInvalid, "must be between 0 and 1000, inclusive"},
      {"ContainerConcurrencyNegative", "spec: {scaling: {containerConcurrency: -1}}",
       "spec.scaling.containerConcurrency", kInvalid, "must be between 0 and 1000, inclusive"},
      {"TargetConcurrencyZero", "spec: {scaling: {targetConcurrency: 0, metrics: null}}",
       "spec.scaling.targetConcurrency", kInvalid, "must be between 1 and 1000, inclusive"},
      {"MetricTargetBelowMinimum",
       "spec: {scaling: {targetConcurrency: null, metrics: [{type: rps, target: 0}]}}",
       "spec.scaling.metrics[0].target", kInvalid, "must be greater than or equal to 0.01"},
      {"SamplingRateAboveOne", "spec: {observability: {tracing: {samplingRate: 1.5}}}",
       "spec.observability.tracing.samplingRate", kInvalid, "must be between 0 and 1, inclusive"},
      {"RetryMaxAttemptsAboveLimit", "spec: {eventing: {dlq: {retryMaxAttempts: 101}}}",
       "spec.eventing.dlq.retryMaxAttempts", kInvalid, "must be between 0 and 100, inclusive"},
      {"RetryMaxAttemptsNegative", "spec: {eventing: {dlq: {retryMaxAttempts: -1}}}",
       "spec.eventing.dlq.retryMaxAttempts", kInvalid, "must be between 0 and 100, inclusive"},

      // --- Formats -----------------------------------------------------------------------------
      {"NameNotDns1035Underscore", "metadata: {name: Table_Agent}", "metadata.name", kInvalid,
       "DNS-1035 label"},
      {"NameStartsWithDigit", "metadata: {name: 1agent}", "metadata.name", kInvalid,
       "DNS-1035 label"},
      {"NameTooLong", "metadata: {name: " + std::string(64, 'a') + "}", "metadata.name", kTooLong,
       "may not be more than 63 bytes"},
      // Regression (fixed in db310ab): labels were not validated, yet render copies them onto every
      // object it creates, which the API server then rejected. Kubernetes reports both key and
      // value errors at metadata.labels. Two non-UTF-8 keys also made render's output unreadable,
      // as for resource names below.
      {"LabelKeyNotValid", "metadata: {labels: {\"not a valid key!\": x}}", "metadata.labels",
       kInvalid, ""},
      {"LabelValueNotValid", "metadata: {labels: {team: \"not a valid value\"}}", "metadata.labels",
       kInvalid, ""},
      {"NamespaceUpperCase", "metadata: {namespace: Tests}", "metadata.namespace", kInvalid,
       "RFC 1123 label"},
      {"RepositoryWithTag", "spec: {image: {repository: \"ghcr.io/example/table-agent:1.0\"}}",
       "spec.image.repository", kInvalid, "must not include a tag (':1.0')"},
      {"RepositoryWithDigest",
       "spec: {image: {repository: \"ghcr.io/example/table-agent@sha256:" + std::string(64, 'a') +
           "\"}}",
       "spec.image.repository", kInvalid, "must not include a digest"},
      {"RepositoryUpperCase", "spec: {image: {repository: ghcr.io/Example/Agent}}",
       "spec.image.repository", kInvalid, "must be lower case"},
      {"RepositoryRegistryOnly", "spec: {image: {repository: \"localhost:5001\"}}",
       "spec.image.repository", kInvalid, "needs a path after the registry"},
      {"TagStartsWithDash", "spec: {image: {tag: \"-1.0\"}}", "spec.image.tag", kInvalid,
       "an image tag must"},
      {"TagWithAtDigest", "spec: {image: {tag: \"@sha256:" + std::string(64, 'b') + "\"}}",
       "spec.image.tag", kInvalid, "without the '@'"},
      {"DigestMalformed", "spec: {image: {digest: \"sha256:xyz\"}}", "spec.image.digest", kInvalid,
       ""},
      {"PullSecretNameInvalid", "spec: {image: {imagePullSecrets: [{name: Reg_Cred}]}}",
       "spec.image.imagePullSecrets[0].name", kInvalid, "RFC 1123 subdomain"},
      {"EndpointNotHttp", "spec: {ai: {endpoint: \"ftp://ollama:11434\"}}", "spec.ai.endpoint",
       kInvalid, "scheme must be http or https"},
      {"EndpointWithCredentials",
       "spec: {ai: {endpoint: \"https://user:secret@api.example.com/v1\"}}", "spec.ai.endpoint",
       kInvalid, "must not contain credentials"},
      {"EndpointWithFragment", "spec: {ai: {endpoint: \"http://ollama:11434/#x\"}}",
       "spec.ai.endpoint", kInvalid, "fragment"},
      {"EndpointNotAUrl", "spec: {ai: {endpoint: \"not a url\"}}", "spec.ai.endpoint", kInvalid,
       "absolute http:// or https:// URL"},
      {"EndpointPortOutOfRange", "spec: {ai: {endpoint: \"http://ollama:99999\"}}",
       "spec.ai.endpoint", kInvalid, "port must be a number from 1 to 65535"},
      {"TracingEndpointWithoutPort",
       "spec: {observability: {tracing: {endpoint: alloy.observability.svc}}}",
       "spec.observability.tracing.endpoint", kInvalid, "host:port"},
      {"TracingEndpointWithCredentials",
       "spec: {observability: {tracing: {endpoint: \"https://u:p@otel.example.com:4318\"}}}",
       "spec.observability.tracing.endpoint", kInvalid, "credentials"},
      {"HealthPathWithoutSlash", "spec: {behavior: {healthCheck: {path: health}}}",
       "spec.behavior.healthCheck.path", kInvalid, "must start with '/'"},
      {"MetricsPathWithQuery", "spec: {observability: {metrics: {path: \"/metrics?x=1\"}}}",
       "spec.observability.metrics.path", kInvalid, "without a query"},
      {"EventTypeWithSpace", "spec: {behavior: {eventTypes: [\"dev.example chat\"]}}",
       "spec.behavior.eventTypes[0]", kInvalid, "CloudEvent type"},
      {"EventTypeEmpty", "spec: {behavior: {eventTypes: [\"\"]}}", "spec.behavior.eventTypes[0]",
       kInvalid, "CloudEvent type"},
      {"RoutingEventTypeWithSpace",
       "spec: {eventing: {routing: [{intent: billing, eventType: \"billing event\", target: "
       "{service: billing-api}}]}}",
       "spec.eventing.routing[0].eventType", kInvalid, "CloudEvent type"},
      {"SubscriptionEventTypeNonAscii",
       "spec: {eventing: {subscriptions: [{eventType: \"dev.example.ordér\"}]}}",
       "spec.eventing.subscriptions[0].eventType", kInvalid, "CloudEvent type"},
      {"SubscriptionSourceWildcardInMiddle",
       "spec: {eventing: {subscriptions: [{eventType: dev.example.x, source: "
       "\"/shop/*/orders\"}]}}",
       "spec.eventing.subscriptions[0].source", kInvalid, "only as the last character"},
      {"EventSourceNotAUriReference", "spec: {eventing: {eventSource: \"/agents/table agent\"}}",
       "spec.eventing.eventSource", kInvalid, "URI-reference"},
      {"EnvNameStartsWithDigit", "spec: {env: [{name: 1VAR, value: x}]}", "spec.env[0].name",
       kInvalid, "environment variable name"},
      {"EnvNameWithSpace", "spec: {env: [{name: \"MY VAR\", value: x}]}", "spec.env[0].name",
       kInvalid, "environment variable name"},
      {"EnvNameDotDot", "spec: {env: [{name: \"..\", value: x}]}", "spec.env[0].name", kInvalid,
       "must not be '..'"},
      {"EnvFromPrefixStartsWithDigit",
       "spec: {envFrom: [{prefix: 1X_, configMapRef: {name: app-config}}]}",
       "spec.envFrom[0].prefix", kInvalid, "environment variable name"},
      {"SecretKeyWithSlash", "spec: {ai: {apiKeySecret: {name: creds, key: \"a/b\"}}}",
       "spec.ai.apiKeySecret.key", kInvalid, "config key"},
      {"PrometheusMetricNameWithDash",
       "spec: {scaling: {metrics: [{type: prometheus, name: agent-active, target: 50}]}}",
       "spec.scaling.metrics[0].name", kInvalid, "Prometheus metric name"},
      {"IntentNameUpperCase",
       "spec: {behavior: {intentDetection: {intents: [{name: Billing, keywords: [invoice]}]}}, "
       "eventing: {routing: null}}",
       "spec.behavior.intentDetection.intents[0].name", kInvalid, "intent name"},
      {"ClusterNameNotDnsLabel", "spec: {eventing: {rabbitmq: {clusterName: Rabbit.MQ}}}",
       "spec.eventing.rabbitmq.clusterName", kInvalid, ""},
      {"BrokerNameUnderscore", "spec: {eventing: {brokerName: my_broker}}",
       "spec.eventing.brokerName", kInvalid, "DNS-1035 label"},
      {"BrokerNameLongerThanItsIngressAllows",
       "spec: {eventing: {brokerName: " + std::string(49, 'b') + "}}", "spec.eventing.brokerName",
       kTooLong, "may not be more than 48 bytes"},
      {"TagThatIsADigest", "spec: {image: {tag: \"sha256:" + std::string(64, 'a') + "\"}}",
       "spec.image.tag", kInvalid, "is a digest: put it in spec.image.digest"},
      {"DigestThatIsATag", "spec: {image: {digest: v1.2.3}}", "spec.image.digest", kInvalid,
       "must be a digest"},
      {"EndpointWithQueryString", "spec: {ai: {endpoint: \"http://llm:8080/v1?api_key=secret\"}}",
       "spec.ai.endpoint", kInvalid, "must not have a query string"},
      {"RouteServiceStartsWithDigit",
       "spec: {eventing: {routing: [{intent: billing, eventType: dev.example.intent.billing, "
       "target: {service: 9-billing}}]}}",
       "spec.eventing.routing[0].target.service", kInvalid, "DNS-1035 label"},
      {"ModelWithSpace", "spec: {ai: {model: \"llama 3\"}}", "spec.ai.model", kInvalid,
       "model name"},
      {"ModelEmpty", "spec: {ai: {model: \"\"}}", "spec.ai.model", kInvalid, "model name"},

      // --- Durations ---------------------------------------------------------------------------
      {"GoDurationUnknownUnit", "spec: {behavior: {conversationTTL: 1d}}",
       "spec.behavior.conversationTTL", kInvalid, "time: unknown unit \"d\" in duration \"1d\""},
      {"GoDurationGivenIsoSyntax", "spec: {behavior: {conversationTTL: PT1H}}",
       "spec.behavior.conversationTTL", kInvalid, "time: invalid duration \"PT1H\""},
      {"GoDurationOverflow", "spec: {behavior: {conversationTTL: 9999999999h}}",
       "spec.behavior.conversationTTL", kInvalid, "time: invalid duration"},
      {"ConversationTtlAbove30Days", "spec: {behavior: {conversationTTL: 721h}}",
       "spec.behavior.conversationTTL", kInvalid, "must be between 1s and 720h0m0s, inclusive"},
      {"HealthIntervalZero", "spec: {behavior: {healthCheck: {interval: 0s}}}",
       "spec.behavior.healthCheck.interval", kInvalid, "must be between 1s and 1h0m0s, inclusive"},
      {"HealthIntervalFractional", "spec: {behavior: {healthCheck: {interval: 1.5s}}}",
       "spec.behavior.healthCheck.interval", kInvalid, "must be whole seconds"},
      {"ScaleDownDelayAboveOneHour", "spec: {scaling: {scaleDownDelay: 2h}}",
       "spec.scaling.scaleDownDelay", kInvalid, "must be between 0s and 1h0m0s, inclusive"},
      {"ScaleDownDelayFractional", "spec: {scaling: {scaleDownDelay: 1500ms}}",
       "spec.scaling.scaleDownDelay", kInvalid, "must be whole seconds"},
      {"ScaleToZeroGracePeriodNegative",
       "spec: {scaling: {minReplicas: 0, scaleToZeroGracePeriod: -5s}}",
       "spec.scaling.scaleToZeroGracePeriod", kInvalid, "must be between 0s and 1h0m0s, inclusive"},
      {"ScaleToZeroGracePeriodFractional",
       "spec: {scaling: {minReplicas: 0, scaleToZeroGracePeriod: 2.5s}}",
       "spec.scaling.scaleToZeroGracePeriod", kInvalid, "must be whole seconds"},
      {"IsoDurationGivenGoSyntax", "spec: {eventing: {dlq: {retryBackoffDelay: 1s}}}",
       "spec.eventing.dlq.retryBackoffDelay", kInvalid, ""},
      {"IsoDurationWithMonths", "spec: {eventing: {dlq: {retryBackoffDelay: P1M}}}",
       "spec.eventing.dlq.retryBackoffDelay", kInvalid,
       "years, months and weeks have no fixed length"},
      {"IsoDurationWithoutComponents", "spec: {eventing: {dlq: {retryBackoffDelay: PT}}}",
       "spec.eventing.dlq.retryBackoffDelay", kInvalid, ""},
      {"IsoDurationNegative", "spec: {eventing: {dlq: {retryBackoffDelay: -PT1S}}}",
       "spec.eventing.dlq.retryBackoffDelay", kInvalid, ""},

      // --- Quantities --------------------------------------------------------------------------
      {"QuantityMalformed", "spec: {resources: {requests: {cpu: 1.5.5}}}",
       "spec.resources.requests[cpu]", kInvalid, "quantities must match"},
      {"QuantityWithSpace", "spec: {resources: {requests: {memory: \"256 Mi\"}}}",
       "spec.resources.requests[memory]", kInvalid, ""},
      {"QuantityUnknownSuffix", "spec: {resources: {limits: {memory: 1GB}}}",
       "spec.resources.limits[memory]", kInvalid, ""},
      {"QuantityNegative", "spec: {resources: {requests: {cpu: -100m}}}",
       "spec.resources.requests[cpu]", kInvalid, "must be greater than or equal to 0"},
      {"QuantityNegativeLimit", "spec: {resources: {requests: null, limits: {cpu: \"-1\"}}}",
       "spec.resources.limits[cpu]", kInvalid, "must be greater than or equal to 0"},
      {"QuantityTooLarge", "spec: {resources: {limits: {memory: 9223372036854775807Ei}}}",
       "spec.resources.limits[memory]", kInvalid, "must not exceed"},
      {"RequestAboveLimit", "spec: {resources: {requests: {memory: 1Gi}, limits: {memory: 512Mi}}}",
       "spec.resources.requests[memory]", kInvalid,
       "must be less than or equal to memory limit of 512Mi"},
      {"RequestAboveLimitAcrossUnits",
       "spec: {resources: {requests: {memory: 1025Mi}, limits: {memory: 1Gi}}}",
       "spec.resources.requests[memory]", kInvalid,
       "must be less than or equal to memory limit of 1Gi"},
      {"RequestAboveLimitNumberVersusMilli",
       "spec: {resources: {requests: {cpu: 1}, limits: {cpu: 999m}}}",
       "spec.resources.requests[cpu]", kInvalid, "must be less than or equal to cpu limit of 999m"},
      // Regression (fixed in db310ab): any resource name was accepted; the API server then rejected
      // the Knative Service with "spec.containers[0].resources.requests[cpus]: Invalid value:
      // \"cpus\": must be a standard resource for containers", long after `lambdactl validate`
      // passed it.
      {"ResourceNameNotStandard", "spec: {resources: {requests: {cpus: 1}}}",
       "spec.resources.requests[cpus]", kInvalid, "must be a standard resource for containers"},
      // Regression (fixed in db310ab): extended resources (nvidia.com/gpu) cannot be overcommitted;
      // Kubernetes requires request == limit ("must be equal to nvidia.com/gpu limit"), and
      // validation accepted a lower request.
      {"ExtendedResourceRequestBelowLimit",
       "spec: {resources: {requests: {nvidia.com/gpu: 1}, limits: {nvidia.com/gpu: 2}}}",
       "spec.resources.requests[nvidia.com/gpu]", kInvalid,
       "must be equal to nvidia.com/gpu limit"},
      // Regression (fixed in db310ab), found by fuzzing: resource names that are not UTF-8 were
      // accepted, and two of them ("c\xF0u", "c\xF1u") are both written as "c\uFFFDu" by to_yaml,
      // so `lambdactl render` printed YAML that does not read back ("duplicate key").
      {"ResourceNameNotUtf8", "spec: {resources: {requests: {\"c\xF0u\": 1, \"c\xF1u\": 2}}}",
       "spec.resources.requests[c\xF0u]", kInvalid, "must be a standard resource for containers",
       2},
      {"SidecarRequestAboveLimit", "spec: {sidecar: {resources: {requests: {cpu: 200m}}}}",
       "spec.sidecar.resources.requests[cpu]", kInvalid,
       "must be less than or equal to cpu limit of 100m"},

      // --- Required fields ---------------------------------------------------------------------
      {"MissingApiVersion", "apiVersion: null", "apiVersion", kRequired, ""},
      {"MissingKind", "kind: null", "kind", kRequired, ""},
      {"MissingName", "metadata: {name: null}", "metadata.name", kRequired,
       "name or generateName is required"},
      {"MissingMetadata", "metadata: null", "metadata.name", kRequired,
       "name or generateName is required"},
      {"MissingSpec", "spec: null", "spec", kRequired, ""},
      {"MissingImage", "spec: {image: null}", "spec.image", kRequired, ""},
      {"MissingImageRepository", "spec: {image: {repository: null}}", "spec.image.repository",
       kRequired, ""},
      {"MissingAi", "spec: {ai: null}", "spec.ai", kRequired, ""},
      {"MissingModel", "spec: {ai: {model: null, fallbackModel: null}}", "spec.ai.model", kRequired,
       ""},
      {"MissingIntentKeywords",
       "spec: {behavior: {intentDetection: {intents: [{name: billing}, {name: status, keywords: "
       "[status]}]}}}",
       "spec.behavior.intentDetection.intents[0].keywords", kRequired, ""},
      {"EmptyIntentKeywords",
       "spec: {behavior: {intentDetection: {intents: [{name: billing, keywords: []}, {name: "
       "status, keywords: [status]}]}}}",
       "spec.behavior.intentDetection.intents[0].keywords", kRequired,
       "at least one keyword is required"},
      {"MissingIntentName",
       "spec: {behavior: {intentDetection: {intents: [{keywords: [invoice]}]}}, eventing: "
       "{routing: null}}",
       "spec.behavior.intentDetection.intents[0].name", kRequired, ""},
      {"MissingRouteTarget",
       "spec: {eventing: {routing: [{intent: billing, eventType: dev.example.intent.billing}]}}",
       "spec.eventing.routing[0].target", kRequired, ""},
      {"MissingRouteTargetService",
       "spec: {eventing: {routing: [{intent: billing, eventType: dev.example.intent.billing, "
       "target: {namespace: billing}}]}}",
       "spec.eventing.routing[0].target.service", kRequired, ""},
      {"MissingRouteEventType",
       "spec: {eventing: {routing: [{intent: billing, target: {service: billing-api}}]}}",
       "spec.eventing.routing[0].eventType", kRequired, ""},
      {"MissingSubscriptionEventType",
       "spec: {eventing: {subscriptions: [{source: /shop/orders}]}}",
       "spec.eventing.subscriptions[0].eventType", kRequired, ""},
      {"MissingRabbitmqWhileEventingEnabled", "spec: {eventing: {rabbitmq: null}}",
       "spec.eventing.rabbitmq", kRequired, "needs a RabbitMQ cluster"},
      {"MissingRabbitmqClusterName", "spec: {eventing: {rabbitmq: {clusterName: null}}}",
       "spec.eventing.rabbitmq.clusterName", kRequired, ""},
      {"MissingTracingEndpointWhileEnabled", "spec: {observability: {tracing: {endpoint: null}}}",
       "spec.observability.tracing.endpoint", kRequired, "tracing is enabled"},
      {"MissingMetricTarget", "spec: {scaling: {metrics: [{type: concurrency}]}}",
       "spec.scaling.metrics[0].target", kRequired, ""},
      {"MissingMetricType", "spec: {scaling: {metrics: [{target: 10}]}}",
       "spec.scaling.metrics[0].type", kRequired, ""},
      {"MissingEnvName", "spec: {env: [{value: x}]}", "spec.env[0].name", kRequired, ""},
      {"MissingSecretKeyRefKey",
       "spec: {env: [{name: TOKEN, valueFrom: {secretKeyRef: {name: creds}}}]}",
       "spec.env[0].valueFrom.secretKeyRef.key", kRequired, ""},
      {"MissingApiKeySecretName", "spec: {ai: {provider: openai, apiKeySecret: {key: api-key}}}",
       "spec.ai.apiKeySecret.name", kRequired, ""},
      {"MissingPullSecretName", "spec: {image: {imagePullSecrets: [{}]}}",
       "spec.image.imagePullSecrets[0].name", kRequired, ""},

      // --- Too long / too many -----------------------------------------------------------------
      {"SystemPromptTooLong", "spec: {ai: {systemPrompt: " + std::string(262'145, 'x') + "}}",
       "spec.ai.systemPrompt", kTooLong, "may not be more than 262144 bytes"},

      // --- Cross-field rules (validation.cc, one case per rule) --------------------------------
      {"MaxReplicasBelowMinReplicas", "spec: {scaling: {minReplicas: 3, maxReplicas: 2}}",
       "spec.scaling.maxReplicas", kInvalid, "must be greater than or equal to minReplicas (3)"},
      {"SystemPromptAndSystemPromptRef",
       "spec: {ai: {systemPromptRef: {name: prompts, key: system}}}", "spec.ai.systemPromptRef",
       kForbidden, "may not be set when systemPrompt is set"},
      {"RouteToUndeclaredIntent",
       "spec: {eventing: {routing: [{intent: shipping, eventType: dev.example.intent.shipping, "
       "target: {service: s}}]}}",
       "spec.eventing.routing[0].intent", kNotFound, "routes must name an intent declared"},
      {"RouteWhileIntentDetectionDisabled", "spec: {behavior: {intentDetection: {enabled: false}}}",
       "spec.eventing.routing[0].intent", kInvalid, "intent detection is disabled"},
      {"OpenAiWithoutApiKeySecret", "spec: {ai: {provider: openai}}", "spec.ai.apiKeySecret",
       kRequired, "provider \"openai\" needs an API key Secret"},
      {"AnthropicWithoutApiKeySecret", "spec: {ai: {provider: anthropic, topP: null}}",
       "spec.ai.apiKeySecret", kRequired, "provider \"anthropic\" needs an API key Secret"},
      {"LocalWithoutEndpoint", "spec: {ai: {provider: local}}", "spec.ai.endpoint", kRequired,
       "provider \"local\" has no default address"},
      {"ScaleToZeroGracePeriodWithWarmReplicas", "spec: {scaling: {scaleToZeroGracePeriod: 30s}}",
       "spec.scaling.scaleToZeroGracePeriod", kInvalid, "has no effect while minReplicas is 1"},
      {"PrometheusMetricWithoutName",
       "spec: {scaling: {metrics: [{type: prometheus, target: 50}]}}",
       "spec.scaling.metrics[0].name", kRequired, "a prometheus metric needs the name"},
      {"NameOnNonPrometheusMetric",
       "spec: {scaling: {metrics: [{type: concurrency, name: inflight, target: 10}]}}",
       "spec.scaling.metrics[0].name", kForbidden, "only a metric of type prometheus has a name"},
      {"DuplicateMetricType",
       "spec: {scaling: {metrics: [{type: concurrency, target: 10}, {type: concurrency, target: "
       "10}]}}",
       "spec.scaling.metrics[1].type", kDuplicate, ""},
      {"TwoKpaMetrics",
       "spec: {scaling: {metrics: [{type: concurrency, target: 10}, {type: rps, target: 5}]}}",
       "spec.scaling.metrics[1].type", kInvalid, "KPA scales on one metric"},
      {"TwoHpaMetrics",
       "spec: {scaling: {metrics: [{type: cpu, target: 80}, {type: memory, target: 256}]}}",
       "spec.scaling.metrics[1].type", kInvalid, "HPA class scales on one metric"},
      {"FractionalHpaTarget", "spec: {scaling: {metrics: [{type: cpu, target: 80.5}]}}",
       "spec.scaling.metrics[0].target", kInvalid, "must be a whole number >= 1"},
      {"HpaTargetBelowOne", "spec: {scaling: {metrics: [{type: memory, target: 0.5}]}}",
       "spec.scaling.metrics[0].target", kInvalid, "must be a whole number >= 1"},
      {"HpaWithMinReplicasZero",
       "spec: {scaling: {minReplicas: 0, metrics: [{type: cpu, target: 80}]}}",
       "spec.scaling.minReplicas", kInvalid, "the HPA class never scales to zero"},
      {"HpaScaleDownDelayOtherThanTheHpasOwn",
       "spec: {scaling: {scaleDownDelay: 2m, metrics: [{type: cpu, target: 80}]}}",
       "spec.scaling.scaleDownDelay", kInvalid,
       "must be 5m or unset with a cpu, memory or prometheus"},
      {"HpaScaleDownDelayZero",
       "spec: {scaling: {scaleDownDelay: 0s, metrics: [{type: cpu, target: 80}]}}",
       "spec.scaling.scaleDownDelay", kInvalid, "must be 5m or unset"},
      {"ConcurrencyTargetDiffersFromTargetConcurrency",
       "spec: {scaling: {metrics: [{type: concurrency, target: 20}]}}",
       "spec.scaling.metrics[0].target", kInvalid, "must equal targetConcurrency (10)"},
      {"TargetConcurrencyAboveContainerConcurrency",
       "spec: {scaling: {targetConcurrency: 30, containerConcurrency: 20, metrics: null}}",
       "spec.scaling.targetConcurrency", kInvalid, "must not exceed containerConcurrency (20)"},
      {"SidecarPortReservedByKnative", "spec: {sidecar: {port: 8012}}", "spec.sidecar.port",
       kInvalid, "reserved by Knative's queue-proxy"},
      {"SidecarPortIsAgentPort", "spec: {sidecar: {port: 8080}}", "spec.sidecar.port", kInvalid,
       "is the agent container's port (8080)"},
      {"MetricsPortCollidesWithSidecarPort", "spec: {observability: {metrics: {port: 8181}}}",
       "spec.observability.metrics.port", kInvalid, "collides with spec.sidecar.port (8181)"},
      // 9090 is reserved and remapped to 9464, which is where this sidecar listens.
      {"RemappedMetricsPortCollidesWithSidecarPort",
       "spec: {sidecar: {port: 9464}, observability: {metrics: {port: 9090}}}",
       "spec.observability.metrics.port", kInvalid, "collides with spec.sidecar.port (9464)"},
      // The metrics port is not written, so its default (9464) is what collides.
      {"SidecarPortOnDefaultMetricsPort",
       "spec: {sidecar: {port: 9464}, observability: {metrics: {port: null}}}",
       "spec.observability.metrics.port", kInvalid, "collides with spec.sidecar.port (9464)"},
      {"MetricsPortIsAgentPortWithSidecar", "spec: {observability: {metrics: {port: 8080}}}",
       "spec.observability.metrics.port", kInvalid, "is the agent container's port (8080)"},
      {"EmitEventsWithoutEventing", "spec: {eventing: null}", "spec.behavior.emitEvents", kInvalid,
       "requires spec.eventing to be enabled"},
      {"EmitEventsWithEventingDisabled",
       "spec: {eventing: {enabled: false, routing: null, subscriptions: null}}",
       "spec.behavior.emitEvents", kInvalid, "requires spec.eventing to be enabled"},
      {"DuplicateEnvName", "spec: {env: [{name: APP_MODE, value: a}, {name: APP_MODE, value: b}]}",
       "spec.env[1].name", kDuplicate, ""},
      {"EnvValueAndValueFrom",
       "spec: {env: [{name: TOKEN, value: x, valueFrom: {secretKeyRef: {name: creds, key: "
       "token}}}]}",
       "spec.env[0].valueFrom", kForbidden, "may not be set when value is set"},
      {"EnvValueFromTwoSources",
       "spec: {env: [{name: TOKEN, valueFrom: {secretKeyRef: {name: creds, key: token}, "
       "configMapKeyRef: {name: cfg, key: token}}}]}",
       "spec.env[0].valueFrom", kInvalid,
       "must specify exactly one of secretKeyRef, configMapKeyRef"},
      {"EnvValueFromNoSource", "spec: {env: [{name: TOKEN, valueFrom: {}}]}",
       "spec.env[0].valueFrom", kInvalid, "must specify exactly one of"},
      {"EnvNamePortIsReserved", "spec: {env: [{name: PORT, value: \"9000\"}]}", "spec.env[0].name",
       kInvalid, "is reserved by Knative"},
      {"EnvNameKServiceIsReserved", "spec: {env: [{name: K_SERVICE, value: x}]}",
       "spec.env[0].name", kInvalid, "is reserved by Knative"},
      {"EnvFromBothSources", "spec: {envFrom: [{configMapRef: {name: a}, secretRef: {name: b}}]}",
       "spec.envFrom[0]", kInvalid, "must specify exactly one of configMapRef, secretRef"},
      {"EnvFromNeitherSource", "spec: {envFrom: [{prefix: APP_}]}", "spec.envFrom[0]", kInvalid,
       "must specify exactly one of configMapRef, secretRef"},
      {"DuplicateIntentName",
       "spec: {behavior: {intentDetection: {intents: [{name: billing, keywords: [a]}, {name: "
       "billing, keywords: [b]}]}}}",
       "spec.behavior.intentDetection.intents[1].name", kDuplicate, ""},
      {"DuplicateKeywordIgnoringCase",
       "spec: {behavior: {intentDetection: {intents: [{name: billing, keywords: [invoice, "
       "Invoice]}]}}}",
       "spec.behavior.intentDetection.intents[0].keywords[1]", kDuplicate, ""},
      {"BlankKeyword",
       "spec: {behavior: {intentDetection: {intents: [{name: billing, keywords: [invoice, \"  "
       "\"]}]}}}",
       "spec.behavior.intentDetection.intents[0].keywords[1]", kInvalid, "must not be blank"},
      {"DuplicateSubscription",
       "spec: {eventing: {subscriptions: [{eventType: dev.example.x, source: /a}, {eventType: "
       "dev.example.x, source: /a}]}}",
       "spec.eventing.subscriptions[1]", kDuplicate, ""},
      {"DuplicateRoute",
       "spec: {eventing: {routing: [{intent: billing, eventType: dev.example.b, target: {service: "
       "s}}, "
       "{intent: billing, eventType: dev.example.b, target: {service: s}}]}}",
       "spec.eventing.routing[1]", kDuplicate, ""},
      {"DuplicateEventType", "spec: {behavior: {eventTypes: [dev.example.a, dev.example.a]}}",
       "spec.behavior.eventTypes[1]", kDuplicate, ""},
      {"DuplicatePullSecret",
       "spec: {image: {imagePullSecrets: [{name: regcred}, {name: regcred}]}}",
       "spec.image.imagePullSecrets[1].name", kDuplicate, ""},
      {"FallbackModelEqualsModel", "spec: {ai: {fallbackModel: llama3.2:3b}}",
       "spec.ai.fallbackModel", kInvalid, "must differ from model"},
      {"MaxTokensEqualsContextWindow", "spec: {ai: {maxTokens: 4096}}", "spec.ai.maxTokens",
       kInvalid, "must be less than contextWindowSize (4096)"},
      // Regression (fixed in db310ab): the user never wrote maxTokens; anthropic's default (4096)
      // exceeds the window, and the message "spec.ai.maxTokens: Invalid value: 4096: must be less
      // than contextWindowSize (2048)" did not say where 4096 came from.
      {"DefaultedAnthropicMaxTokensExceedsContextWindowSaysItIsTheDefault",
       "spec: {ai: {provider: anthropic, apiKeySecret: {name: creds, key: key}, topP: null, "
       "maxTokens: null, "
       "contextWindowSize: 2048}}",
       "spec.ai.maxTokens", kInvalid, "anthropic"},

      // Regression (fixed in db310ab): a list item that failed to decode was dropped, so the items
      // after it moved up one index and validation named them at the wrong path
      // ("spec.behavior.intentDetection.intents[0].keywords: Required value" for the second
      // intent).
      {"ErrorsAfterABadListItemKeepTheirIndex",
       "spec: {behavior: {intentDetection: {intents: [{name: billing, keywords: [invoice], "
       "confidence: high}, "
       "{name: status, keywords: []}]}}}",
       "spec.behavior.intentDetection.intents[1].keywords", kRequired,
       "at least one keyword is required", 2},
      // Regression (fixed in db310ab), same cause: "spec.env[0].name: Invalid value: \"PORT\": is
      // reserved by Knative" named the first variable, which is APP_MODE.
      {"EnvErrorsAfterABadItemKeepTheirIndex",
       "spec: {env: [{name: APP_MODE, value: 1}, {name: PORT, value: x}]}", "spec.env[1].name",
       kInvalid, "is reserved by Knative", 2},
      // Regression (fixed in db310ab), same cause: dropping the intent with a bad confidence made
      // its route "Not found: \"billing\": routes must name an intent declared in ...", although
      // billing is declared.
      {"BadIntentFieldDoesNotMakeItsRouteNotFound",
       "spec: {behavior: {intentDetection: {intents: [{name: billing, keywords: [invoice], "
       "confidence: high}, "
       "{name: status, keywords: [status]}]}}}",
       "spec.behavior.intentDetection.intents[0].confidence", kTypeInvalid, "must be a number"},
  };

  // Too many items: 65 event types where 64 are allowed.
  std::string event_types;
  for (int i = 0; i < 65; ++i)
    event_types += (i ? ", dev.example.t" : "dev.example.t") + std::to_string(i);
  cases.push_back({"TooManyEventTypes", "spec: {behavior: {eventTypes: [" + event_types + "]}}",
                   "spec.behavior.eventTypes", kTooMany, "must have at most 64 items"});
  return cases;
}

class InvalidAgent : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(InvalidAgent, ReportsTheExactPathAndType) {
  const InvalidCase& c = GetParam();
  json::value document = patched(c.patch);
  CheckedAgent checked;
  ASSERT_NO_THROW(checked = check_agent(document));
  std::string all;
  ASSERT_NO_THROW(all = checked.errors.to_string());
  ASSERT_FALSE(checked.ok()) << "accepted, with patch:\n" << c.patch.substr(0, 500);

  const auto& errors = checked.errors.errors();
  bool found = std::any_of(errors.begin(), errors.end(), [&](const FieldError& e) {
    return e.path.str() == c.path && e.type == c.type &&
           e.detail.find(c.detail) != std::string::npos;
  });
  EXPECT_TRUE(found) << "expected " << (c.path.empty() ? "<root>" : c.path) << " "
                     << type_name(c.type)
                     << (c.detail.empty() ? "" : " containing \"" + c.detail + "\"") << "; got:\n"
                     << all;
  std::string shown = (c.path.empty() ? std::string("<root>") : c.path) + ": ";
  EXPECT_NE(all.find(shown), std::string::npos) << all;
  if (c.errors) {
    EXPECT_EQ(errors.size(), c.errors) << all;
  }
}

INSTANTIATE_TEST_SUITE_P(Table, InvalidAgent, ::testing::ValuesIn(invalid_cases()),
                         [](const ::testing::TestParamInfo<InvalidCase>& info) {
                           return info.param.name;
                         });

// ---------------------------------------------------------------------------------------------
// Valid variations and the warnings that say what the platform does instead.

struct ExpectedWarning {
  std::string path;
  std::string message;  // a piece of it
};

struct ValidCase {
  std::string name;
  std::string patch;
  std::vector<ExpectedWarning> warnings;  // all of them: no other warning may appear
};

void PrintTo(const ValidCase& c, std::ostream* os) { *os << c.name; }

std::vector<ValidCase> valid_cases() {
  return {
      {"SourceWildcardIsEnforcedByTheReceiver",
       "spec: {eventing: {subscriptions: [{eventType: dev.example.x, source: \"/shop/*\"}]}}",
       {{"spec.eventing.subscriptions[0].source",
         "the RabbitMQ broker filters exact attributes only: the Trigger filters on type alone, so "
         "events of this type from any source reach the agent; the prefix \"/shop/\" is passed "
         "in LAMBDA_SUBSCRIPTIONS for the receiver to enforce"}}},
      {"SourceStarAloneNeedsNoWarning",
       "spec: {eventing: {subscriptions: [{eventType: dev.example.x, source: \"*\"}]}}",
       {}},
      {"ReservedMetricsPortIsRemapped",
       "spec: {observability: {metrics: {port: 9090}}}",
       {{"spec.observability.metrics.port",
         "port 9090 is reserved by Knative's queue-proxy in every pod; metrics are served on 9464 "
         "instead"}}},
      {"FieldRefNeedsAKnativeFeatureFlag",
       "spec: {env: [{name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]}",
       {{"spec.env[0].valueFrom.fieldRef",
         "Knative rejects fieldRef unless the cluster enables kubernetes.podspec-fieldref"}}},
      {"AnthropicTemperatureAndTopP",
       "spec: {ai: {provider: anthropic, apiKeySecret: {name: creds, key: key}, model: "
       "claude-3-5-haiku-latest, "
       "fallbackModel: null}}",
       {{"spec.ai.topP", "the sidecar sends only temperature to provider anthropic"}}},
      {"EventingDisabledWithRoutes",
       "spec: {behavior: {emitEvents: false, eventTypes: null}, eventing: {enabled: false}}",
       {{"spec.eventing", "eventing is disabled: its routes and subscriptions create nothing"}}},
      {"EventTypesWithoutEmitEvents",
       "spec: {behavior: {emitEvents: false}}",
       {{"spec.behavior.eventTypes", "no events are emitted while emitEvents is false"}}},
      {"EnvOverridesContractVariable",
       "spec: {env: [{name: LOG_LEVEL, value: debug}]}",
       {{"spec.env[0].name", "replaces the value the operator sets for LOG_LEVEL"}}},
      {"KpaAndHpaMetricsTogether",
       "spec: {scaling: {metrics: [{type: concurrency, target: 10}, {type: prometheus, name: "
       "agent_active, target: 50}]}}",
       {{"spec.scaling.targetConcurrency",
         "is not used: the autoscaler follows the prometheus metric"},
        {"spec.scaling.metrics[0]",
         "the prometheus metric (HPA class) is used and this one is not"},
        {"spec.scaling.metrics[1]",
         "needs Knative's autoscaler-hpa and a custom-metrics adapter"}}},
      {"IntentDetectionWithoutIntents",
       "spec: {behavior: {intentDetection: {intents: null}}, eventing: {routing: null}}",
       {{"spec.behavior.intentDetection.intents",
         "intent detection is enabled but declares no intents"}}},
      {"AiMetricsWithoutSidecar",
       "spec: {sidecar: {enabled: false}}",
       {{"spec.behavior.intentDetection",
         "the image itself must detect intents and emit each route's eventType"},
        {"spec.observability.metrics.aiMetrics",
         "the agent's image must export the agent_* metrics itself"}}},
      {"ScaleToZeroWithGracePeriod",
       "spec: {scaling: {minReplicas: 0, scaleToZeroGracePeriod: 30s}}",
       {}},
      {"HpaScaleDownDelayOfTheHpaItself",
       "spec: {scaling: {scaleDownDelay: 5m, targetConcurrency: null, metrics: [{type: cpu, "
       "target: 80}]}}",
       {}},
      {"TargetConcurrencyUnusedWithRps",
       "spec: {scaling: {metrics: [{type: rps, target: 20}]}}",
       {{"spec.scaling.targetConcurrency", "is not used: the autoscaler follows the rps metric"}}},
      {"GenerateNameInsteadOfName", "metadata: {name: null, generateName: table-agent-}", {}},
  };
}

class ValidAgent : public ::testing::TestWithParam<ValidCase> {};

TEST_P(ValidAgent, PassesWithTheseWarnings) {
  const ValidCase& c = GetParam();
  CheckedAgent checked;
  ASSERT_NO_THROW(checked = check_agent(patched(c.patch)));
  EXPECT_TRUE(checked.ok()) << checked.errors.to_string();
  std::string all = joined(checked.warnings);
  for (const auto& expected : c.warnings) {
    bool found =
        std::any_of(checked.warnings.begin(), checked.warnings.end(), [&](const Warning& w) {
          return w.path.str() == expected.path &&
                 w.message.find(expected.message) != std::string::npos;
        });
    EXPECT_TRUE(found) << "expected warning at " << expected.path << " containing \""
                       << expected.message << "\"; got:\n"
                       << all;
  }
  EXPECT_EQ(checked.warnings.size(), c.warnings.size()) << all;
}

INSTANTIATE_TEST_SUITE_P(Table, ValidAgent, ::testing::ValuesIn(valid_cases()),
                         [](const ::testing::TestParamInfo<ValidCase>& info) {
                           return info.param.name;
                         });

TEST(ValidAgent, ReservedMetricsPortIsServedOnTheDefaultPort) {
  CheckedAgent checked = check_agent(patched("spec: {observability: {metrics: {port: 9091}}}"));
  ASSERT_TRUE(checked.ok()) << checked.errors.to_string();
  EXPECT_EQ(effective_metrics_port(*checked.agent.spec), 9464);
}

}  // namespace
}  // namespace lambda::api
