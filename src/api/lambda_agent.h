// LambdaAgent v1alpha1 (lambda.knative.io): the API types, one C++ struct per JSON object.
//
// Every field is optional in C++ (std::optional) so that "absent" and "set to the default value"
// stay distinct: decode(encode(x)) == x and encode(decode(json)) == json. After apply_defaults()
// (defaults.h) the fields that have defaults are set, so readers of a defaulted agent may use
// value() on them; defaults.h and docs/reference/defaults.md list which.
//
// The JSON names, descriptions, enums, ranges, formats and static defaults of these fields are
// declared once, in lambda_agent_fields.h; decoding, encoding, defaulting, generic validation,
// the CRD's OpenAPI schema and the reference docs are all driven from there.
//
// Thread-safety: plain value types.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/duration.h"
#include "api/quantity.h"

namespace lambda::api {

inline constexpr std::string_view kGroup = "lambda.knative.io";
inline constexpr std::string_view kVersion = "v1alpha1";
inline constexpr std::string_view kApiVersion = "lambda.knative.io/v1alpha1";
inline constexpr std::string_view kKind = "LambdaAgent";
inline constexpr std::string_view kPlural = "lambdaagents";
inline constexpr std::string_view kSingular = "lambdaagent";
inline constexpr std::string_view kShortName = "la";
inline constexpr std::string_view kCategory = "lambda";

template <class T>
using Opt = std::optional<T>;
template <class T>
using List = std::optional<std::vector<T>>;
template <class T>
using StringMap = std::optional<std::map<std::string, T>>;

// ---------------------------------------------------------------------------------------------
// Kubernetes types reused by the spec (the subset of core/v1 and meta/v1 that LambdaAgent uses).

struct OwnerReference {
  Opt<std::string> api_version, kind, name, uid;
  Opt<bool> controller, block_owner_deletion;
  friend bool operator==(const OwnerReference&, const OwnerReference&) = default;
};

struct ObjectMeta {
  Opt<std::string> name, generate_name, namespace_;
  StringMap<std::string> labels, annotations;
  Opt<std::string> uid, resource_version;
  Opt<std::int64_t> generation;
  Opt<std::string> creation_timestamp, deletion_timestamp;
  Opt<std::int64_t> deletion_grace_period_seconds;
  List<std::string> finalizers;
  List<OwnerReference> owner_references;
  Opt<boost::json::value> managed_fields;  // kept opaque: only the API server interprets it
  friend bool operator==(const ObjectMeta&, const ObjectMeta&) = default;
};

struct LocalObjectReference {
  Opt<std::string> name;
  friend bool operator==(const LocalObjectReference&, const LocalObjectReference&) = default;
};

struct KeySelector {  // secretKeyRef / configMapKeyRef
  Opt<std::string> name, key;
  Opt<bool> optional;
  friend bool operator==(const KeySelector&, const KeySelector&) = default;
};

struct ObjectFieldSelector {
  Opt<std::string> api_version, field_path;
  friend bool operator==(const ObjectFieldSelector&, const ObjectFieldSelector&) = default;
};

struct ResourceFieldSelector {
  Opt<std::string> container_name, resource;
  Opt<Quantity> divisor;
  friend bool operator==(const ResourceFieldSelector&, const ResourceFieldSelector&) = default;
};

struct EnvVarSource {
  Opt<KeySelector> secret_key_ref, config_map_key_ref;
  Opt<ObjectFieldSelector> field_ref;
  Opt<ResourceFieldSelector> resource_field_ref;
  friend bool operator==(const EnvVarSource&, const EnvVarSource&) = default;
};

struct EnvVar {
  Opt<std::string> name, value;
  Opt<EnvVarSource> value_from;
  friend bool operator==(const EnvVar&, const EnvVar&) = default;
};

struct EnvFromReference {  // configMapRef / secretRef
  Opt<std::string> name;
  Opt<bool> optional;
  friend bool operator==(const EnvFromReference&, const EnvFromReference&) = default;
};

struct EnvFromSource {
  Opt<std::string> prefix;
  Opt<EnvFromReference> config_map_ref, secret_ref;
  friend bool operator==(const EnvFromSource&, const EnvFromSource&) = default;
};

struct ResourceRequirements {
  StringMap<Quantity> requests, limits;
  friend bool operator==(const ResourceRequirements&, const ResourceRequirements&) = default;
};

struct Condition {  // metav1.Condition
  Opt<std::string> type, status;
  Opt<std::int64_t> observed_generation;
  Opt<std::string> last_transition_time, reason, message;
  friend bool operator==(const Condition&, const Condition&) = default;
};

// ---------------------------------------------------------------------------------------------
// spec.image

struct ImageSpec {
  Opt<std::string> repository, tag, digest, pull_policy;
  List<LocalObjectReference> image_pull_secrets;
  friend bool operator==(const ImageSpec&, const ImageSpec&) = default;
};

// spec.ai

// A key of a Secret (apiKeySecret) or a ConfigMap (systemPromptRef) in the agent's namespace.
struct KeyReference {
  Opt<std::string> name, key;
  friend bool operator==(const KeyReference&, const KeyReference&) = default;
};

struct AiSpec {
  Opt<std::string> provider, endpoint;
  Opt<KeyReference> api_key_secret;
  Opt<std::string> model, fallback_model;
  Opt<double> temperature;
  Opt<std::int32_t> max_tokens;
  Opt<double> top_p;
  Opt<std::int32_t> max_context_messages, context_window_size;
  Opt<std::string> system_prompt;
  Opt<KeyReference> system_prompt_ref;
  friend bool operator==(const AiSpec&, const AiSpec&) = default;
};

// spec.behavior

struct IntentSpec {
  Opt<std::string> name;
  List<std::string> keywords;
  Opt<double> confidence;
  friend bool operator==(const IntentSpec&, const IntentSpec&) = default;
};

struct IntentDetectionSpec {
  Opt<bool> enabled;
  List<IntentSpec> intents;
  friend bool operator==(const IntentDetectionSpec&, const IntentDetectionSpec&) = default;
};

struct HealthCheckSpec {
  Opt<bool> enabled;
  Opt<std::string> path;
  Opt<GoDuration> interval;
  friend bool operator==(const HealthCheckSpec&, const HealthCheckSpec&) = default;
};

struct BehaviorSpec {
  Opt<GoDuration> conversation_ttl;
  Opt<std::int32_t> max_concurrent_conversations;
  Opt<bool> emit_events;
  List<std::string> event_types;
  Opt<IntentDetectionSpec> intent_detection;
  Opt<HealthCheckSpec> health_check;
  friend bool operator==(const BehaviorSpec&, const BehaviorSpec&) = default;
};

// spec.scaling

struct ScalingMetric {
  Opt<std::string> type, name;
  Opt<double> target;
  friend bool operator==(const ScalingMetric&, const ScalingMetric&) = default;
};

struct ScalingSpec {
  Opt<std::int32_t> min_replicas, max_replicas, target_concurrency, container_concurrency;
  Opt<GoDuration> scale_down_delay, scale_to_zero_grace_period;
  List<ScalingMetric> metrics;
  friend bool operator==(const ScalingSpec&, const ScalingSpec&) = default;
};

// spec.eventing

struct RabbitmqSpec {
  Opt<std::string> cluster_name, namespace_, queue_type;
  friend bool operator==(const RabbitmqSpec&, const RabbitmqSpec&) = default;
};

struct RouteTarget {
  Opt<std::string> service, namespace_;
  friend bool operator==(const RouteTarget&, const RouteTarget&) = default;
};

struct IntentRoute {
  Opt<std::string> intent, event_type;
  Opt<RouteTarget> target;
  friend bool operator==(const IntentRoute&, const IntentRoute&) = default;
};

struct Subscription {
  Opt<std::string> event_type, source;
  friend bool operator==(const Subscription&, const Subscription&) = default;
};

struct DlqSpec {
  Opt<bool> enabled;
  Opt<std::int32_t> retry_max_attempts;
  Opt<IsoDuration> retry_backoff_delay;
  Opt<std::string> backoff_policy;
  friend bool operator==(const DlqSpec&, const DlqSpec&) = default;
};

struct EventingSpec {
  Opt<bool> enabled;
  Opt<std::string> event_source, broker_name;
  Opt<RabbitmqSpec> rabbitmq;
  List<IntentRoute> routing;
  List<Subscription> subscriptions;
  Opt<DlqSpec> dlq;
  friend bool operator==(const EventingSpec&, const EventingSpec&) = default;
};

// spec.observability

struct AiMetricsSpec {
  Opt<bool> enabled;
  friend bool operator==(const AiMetricsSpec&, const AiMetricsSpec&) = default;
};

struct MetricsSpec {
  Opt<bool> enabled;
  Opt<std::int32_t> port;
  Opt<std::string> path;
  Opt<AiMetricsSpec> ai_metrics;
  friend bool operator==(const MetricsSpec&, const MetricsSpec&) = default;
};

struct TracingSpec {
  Opt<bool> enabled;
  Opt<std::string> endpoint;
  Opt<double> sampling_rate;
  Opt<bool> capture_prompts, capture_responses;
  friend bool operator==(const TracingSpec&, const TracingSpec&) = default;
};

struct LoggingSpec {
  Opt<std::string> level, format;
  Opt<bool> trace_context;
  friend bool operator==(const LoggingSpec&, const LoggingSpec&) = default;
};

struct ObservabilitySpec {
  Opt<MetricsSpec> metrics;
  Opt<TracingSpec> tracing;
  Opt<LoggingSpec> logging;
  friend bool operator==(const ObservabilitySpec&, const ObservabilitySpec&) = default;
};

// spec.sidecar: the lambda-agent data plane the operator injects (not in ADR-004's example; it is
// how "first-class AI config" reaches images that only read OLLAMA_URL & co.).

struct SidecarSpec {
  Opt<bool> enabled;
  Opt<std::int32_t> port;
  Opt<ResourceRequirements> resources;
  friend bool operator==(const SidecarSpec&, const SidecarSpec&) = default;
};

struct LambdaAgentSpec {
  Opt<ImageSpec> image;
  Opt<AiSpec> ai;
  Opt<BehaviorSpec> behavior;
  Opt<ScalingSpec> scaling;
  Opt<ResourceRequirements> resources;
  Opt<EventingSpec> eventing;
  Opt<ObservabilitySpec> observability;
  Opt<SidecarSpec> sidecar;
  List<EnvVar> env;
  List<EnvFromSource> env_from;
  friend bool operator==(const LambdaAgentSpec&, const LambdaAgentSpec&) = default;
};

// status

struct AiStatus {
  Opt<bool> model_loaded;
  Opt<std::string> last_health_check, inference_latency_p99;
  Opt<std::int32_t> active_conversations;
  friend bool operator==(const AiStatus&, const AiStatus&) = default;
};

struct LambdaAgentStatus {
  Opt<std::string> phase;
  Opt<bool> ready;
  Opt<std::string> url, image;
  List<Condition> conditions;
  Opt<AiStatus> ai_status;
  Opt<std::int64_t> observed_generation;
  friend bool operator==(const LambdaAgentStatus&, const LambdaAgentStatus&) = default;
};

struct LambdaAgent {
  Opt<std::string> api_version, kind;
  Opt<ObjectMeta> metadata;
  Opt<LambdaAgentSpec> spec;
  Opt<LambdaAgentStatus> status;
  friend bool operator==(const LambdaAgent&, const LambdaAgent&) = default;
};

// Enumerations, spelled once. Validation, the CRD schema and render all use these.
namespace providers {
inline constexpr std::string_view kOllama = "ollama";
inline constexpr std::string_view kOpenAi = "openai";
inline constexpr std::string_view kAnthropic = "anthropic";
inline constexpr std::string_view kLocal = "local";
}  // namespace providers

namespace phases {
inline constexpr std::string_view kPending = "Pending";
inline constexpr std::string_view kDeploying = "Deploying";
inline constexpr std::string_view kReady = "Ready";
inline constexpr std::string_view kFailed = "Failed";
}  // namespace phases

namespace condition_types {
inline constexpr std::string_view kReady = "Ready";
inline constexpr std::string_view kAiConfigReady = "AIConfigReady";
inline constexpr std::string_view kEventingReady = "EventingReady";
inline constexpr std::string_view kScalingReady = "ScalingReady";
}  // namespace condition_types

namespace metric_types {
inline constexpr std::string_view kConcurrency = "concurrency";
inline constexpr std::string_view kRps = "rps";
inline constexpr std::string_view kCpu = "cpu";
inline constexpr std::string_view kMemory = "memory";
inline constexpr std::string_view kPrometheus = "prometheus";
}  // namespace metric_types

}  // namespace lambda::api
