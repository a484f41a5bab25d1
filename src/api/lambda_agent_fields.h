// The field declarations of LambdaAgent v1alpha1: JSON name, description and constraints of
// every field, in one place. Internal to the api layer: include it only from the .cc files that
// implement a visitor (codec, defaults, validation, openapi schema, reference docs).
//
// A visitor V is called as v(member, "jsonName", FieldDoc) for each field, in declaration order.
// describe() takes a mutable reference; visitors that only read (the encoder, the schema
// builder) are handed a const_cast object and never write through it.
#pragma once

#include "api/defaults.h"
#include "api/field_doc.h"
#include "api/lambda_agent.h"

namespace lambda::api {

template <class T>
inline constexpr bool kIsApiObject = false;

#define LAMBDA_API_OBJECT(Type) \
  template <>                   \
  inline constexpr bool kIsApiObject<Type> = true

LAMBDA_API_OBJECT(OwnerReference);
LAMBDA_API_OBJECT(ObjectMeta);
LAMBDA_API_OBJECT(LocalObjectReference);
LAMBDA_API_OBJECT(KeySelector);
LAMBDA_API_OBJECT(ObjectFieldSelector);
LAMBDA_API_OBJECT(ResourceFieldSelector);
LAMBDA_API_OBJECT(EnvVarSource);
LAMBDA_API_OBJECT(EnvVar);
LAMBDA_API_OBJECT(EnvFromReference);
LAMBDA_API_OBJECT(EnvFromSource);
LAMBDA_API_OBJECT(ResourceRequirements);
LAMBDA_API_OBJECT(Condition);
LAMBDA_API_OBJECT(ImageSpec);
LAMBDA_API_OBJECT(KeyReference);
LAMBDA_API_OBJECT(AiSpec);
LAMBDA_API_OBJECT(IntentSpec);
LAMBDA_API_OBJECT(IntentDetectionSpec);
LAMBDA_API_OBJECT(HealthCheckSpec);
LAMBDA_API_OBJECT(BehaviorSpec);
LAMBDA_API_OBJECT(ScalingMetric);
LAMBDA_API_OBJECT(ScalingSpec);
LAMBDA_API_OBJECT(RabbitmqSpec);
LAMBDA_API_OBJECT(RouteTarget);
LAMBDA_API_OBJECT(IntentRoute);
LAMBDA_API_OBJECT(Subscription);
LAMBDA_API_OBJECT(DlqSpec);
LAMBDA_API_OBJECT(EventingSpec);
LAMBDA_API_OBJECT(AiMetricsSpec);
LAMBDA_API_OBJECT(MetricsSpec);
LAMBDA_API_OBJECT(TracingSpec);
LAMBDA_API_OBJECT(LoggingSpec);
LAMBDA_API_OBJECT(ObservabilitySpec);
LAMBDA_API_OBJECT(SidecarSpec);
LAMBDA_API_OBJECT(LambdaAgentSpec);
LAMBDA_API_OBJECT(AiStatus);
LAMBDA_API_OBJECT(LambdaAgentStatus);
LAMBDA_API_OBJECT(LambdaAgent);
#undef LAMBDA_API_OBJECT

inline constexpr std::int64_t kSecond = 1'000'000'000;
inline constexpr std::int64_t kHour = 3600 * kSecond;

// ---------------------------------------------------------------------------------------------
// Kubernetes types

template <class V>
void describe(V& v, OwnerReference& s) {
  v(s.api_version, "apiVersion", doc("API version of the owner."));
  v(s.kind, "kind", doc("Kind of the owner."));
  v(s.name, "name", doc("Name of the owner."));
  v(s.uid, "uid", doc("UID of the owner."));
  v(s.controller, "controller", doc("True if the owner is the managing controller."));
  v(s.block_owner_deletion, "blockOwnerDeletion",
    doc("If true, the owner cannot be deleted before this object."));
}

template <class V>
void describe(V& v, ObjectMeta& s) {
  v(s.name, "name",
    doc("Name of the agent, unique in its namespace.").formatted(Format::kDns1035Label));
  v(s.generate_name, "generateName", doc("Prefix for a server-generated name."));
  v(s.namespace_, "namespace", doc("Namespace of the agent.").formatted(Format::kDns1123Label));
  v(s.labels, "labels", doc("Labels, copied to every object the operator creates."));
  v(s.annotations, "annotations", doc("Annotations of the agent."));
  v(s.uid, "uid", doc("Set by the server."));
  v(s.resource_version, "resourceVersion", doc("Set by the server."));
  v(s.generation, "generation", doc("Set by the server; bumped on spec changes."));
  v(s.creation_timestamp, "creationTimestamp", doc("Set by the server."));
  v(s.deletion_timestamp, "deletionTimestamp", doc("Set by the server."));
  v(s.deletion_grace_period_seconds, "deletionGracePeriodSeconds", doc("Set by the server."));
  v(s.finalizers, "finalizers", doc("Finalizers."));
  v(s.owner_references, "ownerReferences", doc("Owners."));
  v(s.managed_fields, "managedFields", doc("Server-side apply field ownership."));
}

template <class V>
void describe(V& v, LocalObjectReference& s) {
  v(s.name, "name",
    doc("Name of the referenced object.").formatted(Format::kDns1123Subdomain).mandatory());
}

template <class V>
void describe(V& v, KeySelector& s) {
  v(s.name, "name",
    doc("Name of the ConfigMap or Secret.").formatted(Format::kDns1123Subdomain).mandatory());
  v(s.key, "key", doc("The key to select.").formatted(Format::kConfigMapKey).mandatory());
  v(s.optional, "optional", doc("Whether the ConfigMap or Secret or its key may be missing."));
}

template <class V>
void describe(V& v, ObjectFieldSelector& s) {
  v(s.api_version, "apiVersion", doc("Version of the schema the fieldPath is written in."));
  v(s.field_path, "fieldPath", doc("Path of the field to select.").mandatory());
}

template <class V>
void describe(V& v, ResourceFieldSelector& s) {
  v(s.container_name, "containerName", doc("Container name."));
  v(s.resource, "resource", doc("Resource to select.").mandatory());
  v(s.divisor, "divisor", doc("Output format of the exposed resource."));
}

template <class V>
void describe(V& v, EnvVarSource& s) {
  v(s.secret_key_ref, "secretKeyRef", doc("A key of a Secret in the agent's namespace."));
  v(s.config_map_key_ref, "configMapKeyRef", doc("A key of a ConfigMap in the agent's namespace."));
  v(s.field_ref, "fieldRef",
    doc("A field of the pod (downward API). Knative rejects this unless the cluster enables "
        "kubernetes.podspec-fieldref."));
  v(s.resource_field_ref, "resourceFieldRef", doc("A resource of the container."));
}

template <class V>
void describe(V& v, EnvVar& s) {
  v(s.name, "name", doc("Name of the variable.").formatted(Format::kEnvVarName).mandatory());
  v(s.value, "value", doc("Value of the variable."));
  v(s.value_from, "valueFrom", doc("Source for the value; exclusive with value."));
}

template <class V>
void describe(V& v, EnvFromReference& s) {
  v(s.name, "name",
    doc("Name of the ConfigMap or Secret.").formatted(Format::kDns1123Subdomain).mandatory());
  v(s.optional, "optional", doc("Whether it may be missing."));
}

template <class V>
void describe(V& v, EnvFromSource& s) {
  v(s.prefix, "prefix", doc("Prefix added to every key.").formatted(Format::kEnvVarName));
  v(s.config_map_ref, "configMapRef", doc("Every key of this ConfigMap becomes a variable."));
  v(s.secret_ref, "secretRef", doc("Every key of this Secret becomes a variable."));
}

template <class V>
void describe(V& v, ResourceRequirements& s) {
  v(s.requests, "requests",
    doc("Minimum resources, by name (cpu, memory, ...), as Kubernetes quantities: 100m, 256Mi."));
  v(s.limits, "limits", doc("Maximum resources; each must be >= its request."));
}

template <class V>
void describe(V& v, Condition& s) {
  v(s.type, "type",
    doc("Type of condition: Ready, AIConfigReady, EventingReady, ScalingReady.").mandatory());
  v(s.status, "status",
    doc("True, False or Unknown.").one_of({"True", "False", "Unknown"}).mandatory());
  v(s.observed_generation, "observedGeneration", doc("The generation the condition was set from."));
  v(s.last_transition_time, "lastTransitionTime",
    doc("When status last changed (RFC 3339); unchanged while status stays the same."));
  v(s.reason, "reason", doc("CamelCase reason for the last transition."));
  v(s.message, "message", doc("Human-readable detail."));
}

// ---------------------------------------------------------------------------------------------
// spec.image

template <class V>
void describe(V& v, ImageSpec& s) {
  v(s.repository, "repository",
    doc("Image repository, without tag or digest: localhost:5001/agent-bruno/chatbot.")
        .formatted(Format::kImageRepository)
        .mandatory());
  v(s.tag, "tag",
    doc("Image tag: 0.1.0. Without tag or digest the image is :latest.")
        .formatted(Format::kImageTag));
  v(s.digest, "digest",
    doc("Image digest (sha256:<64 hex>); pins the image and wins over tag for what is pulled.")
        .formatted(Format::kImageTag));
  v(s.pull_policy, "pullPolicy",
    doc("When the kubelet pulls the image.")
        .one_of({"Always", "IfNotPresent", "Never"})
        .computed("Always when the tag is latest or absent and there is no digest, else "
                  "IfNotPresent (Kubernetes' own rule)"));
  v(s.image_pull_secrets, "imagePullSecrets",
    doc("Secrets with credentials for a private registry.").keyed_by("name"));
}

// spec.ai

template <class V>
void describe(V& v, KeyReference& s) {
  v(s.name, "name",
    doc("Name of the object in the agent's namespace.")
        .formatted(Format::kDns1123Subdomain)
        .mandatory());
  v(s.key, "key", doc("Key within the object.").formatted(Format::kConfigMapKey).mandatory());
}

template <class V>
void describe(V& v, AiSpec& s) {
  v(s.provider, "provider",
    doc("LLM provider API the endpoint speaks. openai covers every OpenAI-compatible server "
        "(vLLM, llama.cpp, LocalAI); local is an OpenAI-compatible server with no default address.")
        .one_of({providers::kOllama, providers::kOpenAi, providers::kAnthropic, providers::kLocal})
        .default_to(providers::kOllama));
  v(s.endpoint, "endpoint",
    doc("Base URL of the provider: http://ollama.ollama.svc.cluster.local:11434, "
        "https://api.openai.com/v1. Credentials never go in the URL: use apiKeySecret.")
        .formatted(Format::kHttpUrl)
        .computed(
            "ollama: http://ollama.ollama.svc.cluster.local:11434; openai: "
            "https://api.openai.com/v1; anthropic: https://api.anthropic.com; local: required"));
  v(s.api_key_secret, "apiKeySecret",
    doc("Secret key holding the provider's API key; required for openai and anthropic. It is "
        "passed to containers through the environment and never logged."));
  v(s.model, "model",
    doc("Model name as the provider knows it: llama3.2:3b, gpt-4o-mini.")
        .formatted(Format::kModelName)
        .mandatory());
  v(s.fallback_model, "fallbackModel",
    doc("Model used when the primary fails before any output was sent (connect error, timeout, "
        "429, 5xx, unknown model).")
        .formatted(Format::kModelName));
  v(s.temperature, "temperature",
    doc("Sampling temperature applied when the application sends none. Unset: the provider's "
        "default.")
        .range(0, 2));
  v(s.max_tokens, "maxTokens",
    doc("Maximum tokens to generate when the application sets no limit.")
        .range(1, 1'000'000)
        .computed("anthropic: 4096 (its API requires a value); others: the provider's default"));
  v(s.top_p, "topP",
    doc("Nucleus sampling probability mass applied when the application sends none.").range(0, 1));
  v(s.max_context_messages, "maxContextMessages",
    doc("Messages of conversation history kept and sent with each request.")
        .range(1, 10'000)
        .default_to(20));
  v(s.context_window_size, "contextWindowSize",
    doc("Context window in tokens (Ollama num_ctx); history is trimmed to fit. Unset: the "
        "model's own.")
        .range(256, 10'000'000));
  v(s.system_prompt, "systemPrompt",
    doc("System prompt applied when the application sends none. Exclusive with systemPromptRef.")
        .length(0, 262'144));
  v(s.system_prompt_ref, "systemPromptRef",
    doc("ConfigMap key holding the system prompt. Exclusive with systemPrompt."));
}

// spec.behavior

template <class V>
void describe(V& v, IntentSpec& s) {
  v(s.name, "name",
    doc("Intent name, used in routes and in emitted event types.")
        .formatted(Format::kIntentName)
        .mandatory());
  v(s.keywords, "keywords",
    doc("Words or phrases that signal the intent, matched case-insensitively on word boundaries.")
        .mandatory()
        .at_most_items(256));
  v(s.confidence, "confidence",
    doc("Minimum confidence (0..1) for the intent to be reported.").range(0, 1).default_to(0.5));
}

template <class V>
void describe(V& v, IntentDetectionSpec& s) {
  v(s.enabled, "enabled", doc("Detect intents in user messages.").default_to(true));
  v(s.intents, "intents", doc("The intents to detect.").keyed_by("name").at_most_items(64));
}

template <class V>
void describe(V& v, HealthCheckSpec& s) {
  v(s.enabled, "enabled",
    doc("Probe the agent's container over HTTP for readiness. Without a healthCheck block "
        "Knative probes the port over TCP.")
        .default_to(true));
  v(s.path, "path", doc("HTTP path probed.").formatted(Format::kUrlPath).default_to("/health"));
  v(s.interval, "interval",
    doc("Time between probes, whole seconds from 1s to 1h.")
        .duration_range(kSecond, kHour)
        .default_to("10s"));
}

template <class V>
void describe(V& v, BehaviorSpec& s) {
  v(s.conversation_ttl, "conversationTTL",
    doc("How long an idle conversation's history is kept.")
        .duration_range(kSecond, 30 * 24 * kHour)
        .default_to("1h"));
  v(s.max_concurrent_conversations, "maxConcurrentConversations",
    doc("Conversations held at once per replica; the least recently used is dropped beyond it.")
        .range(1, 1'000'000)
        .default_to(100));
  v(s.emit_events, "emitEvents",
    doc("Emit CloudEvents (chat messages, detected intents) to the broker. Needs eventing.")
        .computed("true when spec.eventing is enabled, else false"));
  v(s.event_types, "eventTypes", doc("CloudEvent types this agent emits.").at_most_items(64));
  v(s.intent_detection, "intentDetection", doc("Intent detection on user messages."));
  v(s.health_check, "healthCheck", doc("Readiness probing of the agent's container."));
}

// spec.scaling

template <class V>
void describe(V& v, ScalingMetric& s) {
  v(s.type, "type",
    doc("concurrency or rps scale with Knative's KPA; cpu, memory or prometheus (a custom "
        "metric served by a metrics adapter) scale with Knative's HPA class.")
        .one_of({metric_types::kConcurrency, metric_types::kRps, metric_types::kCpu,
                 metric_types::kMemory, metric_types::kPrometheus})
        .mandatory());
  v(s.name, "name",
    doc("Metric name, for type prometheus: agent_active_conversations.")
        .formatted(Format::kPrometheusMetricName));
  v(s.target, "target",
    doc("Target value per replica: requests in flight, requests per second, CPU percent, "
        "memory MiB, or the custom metric's average value.")
        .at_least(0.01)
        .mandatory());
}

template <class V>
void describe(V& v, ScalingSpec& s) {
  v(s.min_replicas, "minReplicas",
    doc("Replicas kept running (Knative min-scale). Agents stay warm by default.")
        .range(0, 1000)
        .default_to(1));
  v(s.max_replicas, "maxReplicas",
    doc("Upper bound of replicas (Knative max-scale); unset: unlimited.").range(1, 1000));
  v(s.target_concurrency, "targetConcurrency",
    doc("Concurrent requests per replica the autoscaler aims for (Knative target). Unset: 100.")
        .range(1, 1000));
  v(s.container_concurrency, "containerConcurrency",
    doc("Hard limit of concurrent requests per replica; 0 means unlimited.")
        .range(0, 1000)
        .default_to(0));
  v(s.scale_down_delay, "scaleDownDelay",
    doc("How long lower demand must last before replicas are removed, 0s to 1h in whole "
        "seconds. With a cpu, memory or prometheus metric (the HPA class) only 5m, the HPA's own "
        "delay, is possible.")
        .duration_range(0, kHour));
  v(s.scale_to_zero_grace_period, "scaleToZeroGracePeriod",
    doc("How long the last replica is kept after traffic stops when minReplicas is 0 (Knative "
        "scale-to-zero-pod-retention-period), 0s to 1h. Must be 0s or unset while minReplicas >= "
        "1.")
        .duration_range(0, kHour));
  v(s.metrics, "metrics",
    doc("The metric the autoscaler follows. Knative scales a revision on one metric: at most one "
        "KPA metric (concurrency, rps) and one HPA metric (cpu, memory, prometheus); when both "
        "are given the HPA metric is used.")
        .at_most_items(5));
}

// spec.eventing

template <class V>
void describe(V& v, RabbitmqSpec& s) {
  v(s.cluster_name, "clusterName",
    doc("RabbitmqCluster the shared broker uses.").formatted(Format::kDns1123Label).mandatory());
  v(s.namespace_, "namespace",
    doc("Namespace of the RabbitmqCluster. Another namespace needs "
        "rabbitmq.com/topology-allowed-namespaces on the cluster.")
        .formatted(Format::kDns1123Label)
        .computed("the agent's namespace"));
  v(s.queue_type, "queueType",
    doc("RabbitMQ queue type of the broker.").one_of({"quorum", "classic"}).default_to("quorum"));
}

template <class V>
void describe(V& v, RouteTarget& s) {
  v(s.service, "service",
    doc("Kubernetes Service receiving the events.").formatted(Format::kDns1035Label).mandatory());
  v(s.namespace_, "namespace",
    doc("Namespace of the Service; it is reached by URI, so any namespace works.")
        .formatted(Format::kDns1123Label)
        .computed("the agent's namespace"));
}

template <class V>
void describe(V& v, IntentRoute& s) {
  v(s.intent, "intent",
    doc("An intent declared in behavior.intentDetection.intents.")
        .formatted(Format::kIntentName)
        .mandatory());
  v(s.event_type, "eventType",
    doc("CloudEvent type emitted when the intent is detected.")
        .formatted(Format::kCloudEventType)
        .mandatory());
  v(s.target, "target", doc("Where events of this route are delivered.").mandatory());
}

template <class V>
void describe(V& v, Subscription& s) {
  v(s.event_type, "eventType",
    doc("CloudEvent type to receive (exact match).")
        .formatted(Format::kCloudEventType)
        .mandatory());
  v(s.source, "source",
    doc("CloudEvent source to receive: exact, or a prefix ending in '*'. The RabbitMQ broker "
        "filters exact values only; a prefix is enforced where the event is received.")
        .formatted(Format::kCloudEventSource));
}

template <class V>
void describe(V& v, DlqSpec& s) {
  v(s.enabled, "enabled",
    doc("Send events that fail every retry to the namespace's dead-letter sink.").default_to(true));
  v(s.retry_max_attempts, "retryMaxAttempts",
    doc("Delivery retries before dead-lettering.").range(0, 100).default_to(3));
  v(s.retry_backoff_delay, "retryBackoffDelay",
    doc("First retry delay, ISO-8601: PT1S, PT0.5S.").default_to("PT1S"));
  v(s.backoff_policy, "backoffPolicy",
    doc("exponential doubles the delay each retry; linear multiplies it by the attempt.")
        .one_of({"exponential", "linear"})
        .default_to("exponential"));
}

template <class V>
void describe(V& v, EventingSpec& s) {
  v(s.enabled, "enabled", doc("Wire the agent to the namespace's broker.").default_to(true));
  v(s.event_source, "eventSource",
    doc("CloudEvent source of events the agent emits: /agent-bruno/chatbot.")
        .formatted(Format::kCloudEventSource)
        .computed("/<namespace>/<name>"));
  v(s.broker_name, "brokerName",
    doc("Broker shared by the agents of the namespace. At most 48 characters: eventing-rabbitmq "
        "names its ingress Service <broker>-broker-ingress.")
        .formatted(Format::kDns1035Label)
        .length(1, 48)
        .default_to(kDefaultBrokerName));
  v(s.rabbitmq, "rabbitmq",
    doc("RabbitMQ cluster behind the broker; required while eventing is enabled."));
  v(s.routing, "routing",
    doc("Intent routes: detected intents forwarded as events.").at_most_items(64));
  v(s.subscriptions, "subscriptions", doc("Events this agent receives.").at_most_items(64));
  v(s.dlq, "dlq",
    doc("Retries and dead-lettering of deliveries to this agent and its routes.")
        .default_to(boost::json::object()));
}

// spec.observability

template <class V>
void describe(V& v, AiMetricsSpec& s) {
  v(s.enabled, "enabled",
    doc("Export agent_tokens_total, agent_inference_duration_seconds, agent_model_errors_total, "
        "agent_conversations_active and related AI metrics.")
        .default_to(true));
}

template <class V>
void describe(V& v, MetricsSpec& s) {
  v(s.enabled, "enabled",
    doc("Serve Prometheus metrics and create a ServiceMonitor.").default_to(true));
  v(s.port, "port",
    doc("Port of the metrics endpoint. Knative reserves 8012, 8013, 8022, 9090, 9091 and 8008 "
        "in every pod: those are served on 9464 instead, with a warning.")
        .range(1, 65535)
        .default_to(kDefaultMetricsPort));
  v(s.path, "path",
    doc("HTTP path of the metrics endpoint.").formatted(Format::kUrlPath).default_to("/metrics"));
  v(s.ai_metrics, "aiMetrics", doc("AI-specific metrics.").default_to(boost::json::object()));
}

template <class V>
void describe(V& v, TracingSpec& s) {
  v(s.enabled, "enabled", doc("Export OpenTelemetry traces over OTLP.").default_to(true));
  v(s.endpoint, "endpoint",
    doc("OTLP endpoint: alloy.observability.svc:4317 (gRPC) or an http(s) URL.")
        .formatted(Format::kHostPort));
  v(s.sampling_rate, "samplingRate",
    doc("Fraction of traces sampled.").range(0, 1).default_to(1.0));
  v(s.capture_prompts, "capturePrompts",
    doc("Record prompts in spans (privacy: off by default).").default_to(false));
  v(s.capture_responses, "captureResponses",
    doc("Record responses in spans (privacy: off by default).").default_to(false));
}

template <class V>
void describe(V& v, LoggingSpec& s) {
  v(s.level, "level",
    doc("Log level.").one_of({"trace", "debug", "info", "warn", "error"}).default_to("info"));
  v(s.format, "format", doc("Log format.").one_of({"json", "text"}).default_to("json"));
  v(s.trace_context, "traceContext",
    doc("Add trace_id and span_id to log lines.").default_to(true));
}

template <class V>
void describe(V& v, ObservabilitySpec& s) {
  v(s.metrics, "metrics", doc("Prometheus metrics.").default_to(boost::json::object()));
  v(s.tracing, "tracing", doc("Distributed tracing; off unless this block is given."));
  v(s.logging, "logging", doc("Structured logging.").default_to(boost::json::object()));
}

template <class V>
void describe(V& v, SidecarSpec& s) {
  v(s.enabled, "enabled",
    doc("Inject the lambda-agent sidecar: applications reach the model through it on localhost "
        "and get fallback, defaults, context limits, intents and AI metrics.")
        .default_to(true));
  v(s.port, "port",
    doc("Loopback port the sidecar serves the LLM APIs on.")
        .range(1, 65535)
        .default_to(kDefaultSidecarPort));
  v(s.resources, "resources", doc("Resources of the sidecar container."));
}

template <class V>
void describe(V& v, LambdaAgentSpec& s) {
  v(s.image, "image", doc("The pre-built container image of the agent.").mandatory());
  v(s.ai, "ai", doc("LLM configuration.").mandatory());
  v(s.behavior, "behavior",
    doc("Conversations, events, intents and health checks.").default_to(boost::json::object()));
  v(s.scaling, "scaling", doc("Autoscaling, through Knative.").default_to(boost::json::object()));
  v(s.resources, "resources", doc("Resources of the agent's container."));
  v(s.eventing, "eventing",
    doc("CloudEvents wiring through the shared RabbitMQ broker; off unless this block is given."));
  v(s.observability, "observability",
    doc("Metrics, tracing and logging.").default_to(boost::json::object()));
  v(s.sidecar, "sidecar", doc("The lambda-agent AI sidecar.").default_to(boost::json::object()));
  v(s.env, "env", doc("Extra environment variables of the agent's container.").keyed_by("name"));
  v(s.env_from, "envFrom", doc("ConfigMaps and Secrets whose keys become environment variables."));
}

// status

template <class V>
void describe(V& v, AiStatus& s) {
  v(s.model_loaded, "modelLoaded", doc("The model endpoint answered and lists the model."));
  v(s.last_health_check, "lastHealthCheck",
    doc("When the model endpoint was last probed (RFC 3339)."));
  v(s.inference_latency_p99, "inferenceLatencyP99",
    doc("p99 inference latency from Prometheus: 1.2s."));
  v(s.active_conversations, "activeConversations", doc("Conversations held across replicas."));
}

template <class V>
void describe(V& v, LambdaAgentStatus& s) {
  v(s.phase, "phase",
    doc("Summary of the agent's state.")
        .one_of({phases::kPending, phases::kDeploying, phases::kReady, phases::kFailed}));
  v(s.ready, "ready", doc("True when the Ready condition is True."));
  v(s.url, "url", doc("URL of the agent's Knative Service."));
  v(s.image, "image", doc("Image reference deployed."));
  v(s.conditions, "conditions",
    doc("Ready, AIConfigReady, EventingReady, ScalingReady.").keyed_by("type"));
  v(s.ai_status, "aiStatus", doc("Observed AI health and load."));
  v(s.observed_generation, "observedGeneration",
    doc("The metadata.generation this status describes."));
}

template <class V>
void describe(V& v, LambdaAgent& s) {
  v(s.api_version, "apiVersion", doc("lambda.knative.io/v1alpha1").mandatory());
  v(s.kind, "kind", doc("LambdaAgent").mandatory());
  v(s.metadata, "metadata", doc("Standard object metadata.").mandatory());
  v(s.spec, "spec", doc("What the agent should be.").mandatory());
  v(s.status, "status", doc("What the operator observed."));
}

}  // namespace lambda::api
