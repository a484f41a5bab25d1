// The environment contract: every variable the operator sets in an agent's containers, named
// once here. Images that speak the contract can run without the sidecar; with the sidecar on,
// the variables existing images and the official SDKs already read (OLLAMA_URL, OLLAMA_HOST,
// OPENAI_BASE_URL, ANTHROPIC_BASE_URL, ...) point at it, so an unchanged image gets fallback,
// context limits, intents, metrics and traces. docs/reference/environment.md is generated from
// kEnvironmentContract.
//
// A variable the user sets in spec.env with one of these names replaces the operator's value
// (validation warns about it).
#pragma once

#include <span>
#include <string_view>

namespace lambda::api::env {

// The LambdaAgent's own contract.
inline constexpr std::string_view kAgentName = "LAMBDA_AGENT_NAME";
inline constexpr std::string_view kAgentNamespace = "LAMBDA_AGENT_NAMESPACE";
inline constexpr std::string_view kAiProvider = "AI_PROVIDER";
inline constexpr std::string_view kAiEndpoint = "AI_ENDPOINT";
inline constexpr std::string_view kAiModel = "AI_MODEL";
inline constexpr std::string_view kAiFallbackModel = "AI_FALLBACK_MODEL";
inline constexpr std::string_view kAiTemperature = "AI_TEMPERATURE";
inline constexpr std::string_view kAiMaxTokens = "AI_MAX_TOKENS";
inline constexpr std::string_view kAiTopP = "AI_TOP_P";
inline constexpr std::string_view kAiMaxContextMessages = "AI_MAX_CONTEXT_MESSAGES";
inline constexpr std::string_view kAiContextWindowSize = "AI_CONTEXT_WINDOW_SIZE";
inline constexpr std::string_view kAiApiKey = "AI_API_KEY";
inline constexpr std::string_view kSystemPrompt = "SYSTEM_PROMPT";
inline constexpr std::string_view kEmitEvents = "EMIT_EVENTS";
inline constexpr std::string_view kEventSource = "EVENT_SOURCE";
inline constexpr std::string_view kEventTypes = "EVENT_TYPES";
inline constexpr std::string_view kSink = "K_SINK";
inline constexpr std::string_view kSubscriptions = "LAMBDA_SUBSCRIPTIONS";
inline constexpr std::string_view kConversationTtl = "CONVERSATION_TTL";
inline constexpr std::string_view kMaxConcurrentConversations = "MAX_CONCURRENT_CONVERSATIONS";
inline constexpr std::string_view kBrokerUrl = "KNATIVE_BROKER_URL";
inline constexpr std::string_view kMetricsPort = "METRICS_PORT";
inline constexpr std::string_view kMetricsPath = "METRICS_PATH";
inline constexpr std::string_view kLogLevel = "LOG_LEVEL";
inline constexpr std::string_view kLogFormat = "LOG_FORMAT";
inline constexpr std::string_view kLogTraceContext = "LOG_TRACE_CONTEXT";
inline constexpr std::string_view kSidecarConfig = "LAMBDA_AGENT_CONFIG";

// What existing images and the official SDKs read.
inline constexpr std::string_view kOllamaUrl = "OLLAMA_URL";
inline constexpr std::string_view kOllamaHost = "OLLAMA_HOST";
inline constexpr std::string_view kOllamaModel = "OLLAMA_MODEL";
inline constexpr std::string_view kOpenAiBaseUrl = "OPENAI_BASE_URL";
inline constexpr std::string_view kOpenAiApiKey = "OPENAI_API_KEY";
inline constexpr std::string_view kOpenAiModel = "OPENAI_MODEL";
inline constexpr std::string_view kAnthropicBaseUrl = "ANTHROPIC_BASE_URL";
inline constexpr std::string_view kAnthropicApiKey = "ANTHROPIC_API_KEY";
inline constexpr std::string_view kAnthropicModel = "ANTHROPIC_MODEL";

// OpenTelemetry's standard variables.
inline constexpr std::string_view kOtelServiceName = "OTEL_SERVICE_NAME";
inline constexpr std::string_view kOtelResourceAttributes = "OTEL_RESOURCE_ATTRIBUTES";
inline constexpr std::string_view kOtelTracesExporter = "OTEL_TRACES_EXPORTER";
inline constexpr std::string_view kOtelEndpoint = "OTEL_EXPORTER_OTLP_ENDPOINT";
inline constexpr std::string_view kOtelProtocol = "OTEL_EXPORTER_OTLP_PROTOCOL";
inline constexpr std::string_view kOtelSampler = "OTEL_TRACES_SAMPLER";
inline constexpr std::string_view kOtelSamplerArg = "OTEL_TRACES_SAMPLER_ARG";
inline constexpr std::string_view kOtelCaptureContent =
    "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT";

// With the sidecar on, the app never sees the real API key: SDKs that insist on one get this
// placeholder, and the sidecar sends the real key upstream.
inline constexpr std::string_view kSidecarApiKeyPlaceholder = "lambda-agent-sidecar";

struct EnvVarDoc {
  std::string_view name;
  std::string_view set_when;
  std::string_view meaning;
};

inline constexpr EnvVarDoc kEnvironmentContract[] = {
    {kAgentName, "always", "metadata.name of the LambdaAgent"},
    {kAgentNamespace, "always", "metadata.namespace of the LambdaAgent"},
    {kAiProvider, "always", "spec.ai.provider: the API dialect AI_ENDPOINT speaks"},
    {kAiEndpoint, "always",
     "where the app sends LLM calls: the sidecar (http://127.0.0.1:<sidecar.port>) when enabled, "
     "else spec.ai.endpoint"},
    {kAiModel, "always", "spec.ai.model"},
    {kAiFallbackModel, "spec.ai.fallbackModel set",
     "spec.ai.fallbackModel (the sidecar applies it itself)"},
    {kAiTemperature, "spec.ai.temperature set", "spec.ai.temperature"},
    {kAiMaxTokens, "spec.ai.maxTokens set or defaulted", "spec.ai.maxTokens"},
    {kAiTopP, "spec.ai.topP set", "spec.ai.topP"},
    {kAiMaxContextMessages, "always", "spec.ai.maxContextMessages"},
    {kAiContextWindowSize, "spec.ai.contextWindowSize set", "spec.ai.contextWindowSize"},
    {kAiApiKey, "spec.ai.apiKeySecret set",
     "the API key, from the Secret (in the sidecar only, when it is enabled)"},
    {kSystemPrompt, "systemPrompt or systemPromptRef set",
     "the system prompt (from the ConfigMap key for systemPromptRef)"},
    {kEmitEvents, "always", "spec.behavior.emitEvents: \"true\" or \"false\""},
    {kEventSource, "eventing enabled", "spec.eventing.eventSource"},
    {kEventTypes, "spec.behavior.eventTypes set",
     "comma-separated CloudEvent types the agent emits"},
    {kSubscriptions, "eventing enabled with subscriptions",
     "JSON list of {type, source} the agent subscribes to; a source ending in * is a prefix the "
     "receiver must enforce, since the RabbitMQ broker filters exact values only"},
    {kConversationTtl, "always", "spec.behavior.conversationTTL (Go duration)"},
    {kMaxConcurrentConversations, "always", "spec.behavior.maxConcurrentConversations"},
    {kSink, "eventing enabled", "URL of the broker's ingress, where CloudEvents are POSTed"},
    {kBrokerUrl, "eventing enabled", "same as K_SINK, for images that read this name"},
    {kMetricsPort, "metrics enabled",
     "port the metrics are served on: set in the sidecar when it is enabled, else in the app; "
     "a port Knative reserves is replaced by 9464"},
    {kMetricsPath, "metrics enabled", "HTTP path of the metrics"},
    {kLogLevel, "always", "spec.observability.logging.level"},
    {kLogFormat, "always", "spec.observability.logging.format"},
    {kLogTraceContext, "always", "spec.observability.logging.traceContext"},
    {kSidecarConfig, "sidecar container",
     "path of the mounted agent configuration the sidecar reads"},
    {kOllamaUrl, "sidecar on, or provider ollama",
     "Ollama base URL (the sidecar speaks Ollama's API)"},
    {kOllamaHost, "sidecar on, or provider ollama",
     "Ollama base URL, as the official ollama SDKs read it"},
    {kOllamaModel, "sidecar on, or provider ollama", "spec.ai.model"},
    {kOpenAiBaseUrl, "sidecar on, or provider openai/local",
     "OpenAI-compatible base URL ending in /v1"},
    {kOpenAiApiKey, "sidecar on, or provider openai/local with a key",
     "the placeholder lambda-agent-sidecar with the sidecar on, else the key"},
    {kOpenAiModel, "sidecar on, or provider openai/local", "spec.ai.model"},
    {kAnthropicBaseUrl, "sidecar on, or provider anthropic", "Anthropic base URL"},
    {kAnthropicApiKey, "sidecar on, or provider anthropic",
     "the placeholder lambda-agent-sidecar with the sidecar on, else the key"},
    {kAnthropicModel, "sidecar on, or provider anthropic", "spec.ai.model"},
    {kOtelServiceName, "always", "metadata.name"},
    {kOtelResourceAttributes, "always", "service.namespace and lambda.agent attributes"},
    {kOtelTracesExporter, "tracing disabled",
     "\"none\": OpenTelemetry SDKs export no traces (metrics are unaffected)"},
    {kOtelEndpoint, "tracing enabled", "OTLP endpoint as a URL (http:// added to host:port)"},
    {kOtelProtocol, "tracing enabled", "grpc for port 4317, else http/protobuf"},
    {kOtelSampler, "tracing enabled", "parentbased_traceidratio"},
    {kOtelSamplerArg, "tracing enabled", "spec.observability.tracing.samplingRate"},
    {kOtelCaptureContent, "always",
     "\"true\" only when both capturePrompts and captureResponses are true"},
};

inline bool is_contract_variable(std::string_view name) {
  for (const auto& var : kEnvironmentContract)
    if (var.name == name) return true;
  return false;
}

}  // namespace lambda::api::env
