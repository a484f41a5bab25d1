// The agent's Knative Service (serving.knative.dev/v1): image, environment contract, probes,
// autoscaling annotations and, when enabled, the lambda-agent sidecar.
#include <fmt/format.h>

#include "api/codec.h"
#include "api/defaults.h"
#include "api/environment_contract.h"
#include "api/validation.h"
#include "common/json_yaml.h"
#include "render/render_internal.h"

namespace lambda::render::internal {
namespace {

namespace env = api::env;

std::string number(double d) { return common::format_number(json::value(d)); }

// An ordered list of env entries where a later set() of the same name replaces the earlier one.
class EnvList {
 public:
  void set(std::string_view name, std::string_view value) {
    put(json::object{{"name", name}, {"value", value}});
  }
  void set_from_secret(std::string_view name, const api::KeyReference& ref) {
    put(json::object{{"name", name},
                     {"valueFrom", json::object{{"secretKeyRef",
                                                 json::object{{"name", ref.name.value_or("")},
                                                              {"key", ref.key.value_or("")}}}}}});
  }
  void set_from_config_map(std::string_view name, const api::KeyReference& ref) {
    put(json::object{{"name", name},
                     {"valueFrom", json::object{{"configMapKeyRef",
                                                 json::object{{"name", ref.name.value_or("")},
                                                              {"key", ref.key.value_or("")}}}}}});
  }
  void put(json::object entry) {
    std::string_view name = entry.at("name").as_string();
    for (auto& existing : entries_) {
      if (existing.as_object().at("name").as_string() == name) {
        existing = std::move(entry);
        return;
      }
    }
    entries_.push_back(std::move(entry));
  }
  json::array take() { return std::move(entries_); }

 private:
  json::array entries_;
};

// OTLP exporters want a URL; the ADR writes host:port. 4317 is OTLP's gRPC port by convention.
void set_tracing_env(const AgentContext& ctx, EnvList& list) {
  const auto& obs = *ctx.spec.observability;
  list.set(env::kOtelServiceName, ctx.name);
  list.set(env::kOtelResourceAttributes,
           fmt::format("service.namespace={},lambda.agent={}", ctx.ns, ctx.name));
  bool capture = false;
  if (obs.tracing && obs.tracing->enabled.value_or(false) && obs.tracing->endpoint) {
    const api::TracingSpec& tracing = *obs.tracing;
    std::string endpoint = *tracing.endpoint;
    bool is_url = endpoint.starts_with("http://") || endpoint.starts_with("https://");
    if (!is_url) endpoint = "http://" + endpoint;
    bool grpc = endpoint.ends_with(":4317") || endpoint.ends_with(":4317/");
    list.set(env::kOtelEndpoint, endpoint);
    list.set(env::kOtelProtocol, grpc ? "grpc" : "http/protobuf");
    list.set(env::kOtelSampler, "parentbased_traceidratio");
    list.set(env::kOtelSamplerArg, number(tracing.sampling_rate.value_or(1.0)));
    capture = tracing.capture_prompts.value_or(false) && tracing.capture_responses.value_or(false);
  } else {
    // Only traces: OTEL_SDK_DISABLED would also silence metrics served through an OTel SDK.
    list.set(env::kOtelTracesExporter, "none");
  }
  list.set(env::kOtelCaptureContent, capture ? "true" : "false");
}

void set_logging_env(const AgentContext& ctx, EnvList& list) {
  const api::LoggingSpec& logging = *ctx.spec.observability->logging;
  list.set(env::kLogLevel, logging.level.value_or("info"));
  list.set(env::kLogFormat, logging.format.value_or("json"));
  list.set(env::kLogTraceContext, logging.trace_context.value_or(true) ? "true" : "false");
}

void set_eventing_env(const AgentContext& ctx, EnvList& list) {
  if (!ctx.eventing_enabled) return;
  const api::EventingSpec& eventing = *ctx.spec.eventing;
  std::string sink =
      broker_ingress_url(eventing.broker_name.value_or(std::string(api::kDefaultBrokerName)),
                         ctx.ns, ctx.options.cluster_domain);
  list.set(env::kSink, sink);
  list.set(env::kBrokerUrl, sink);
  if (eventing.event_source) list.set(env::kEventSource, *eventing.event_source);
}

// The broker cannot filter source prefixes: the receiver gets the full list to enforce them.
void set_subscriptions_env(const AgentContext& ctx, EnvList& list) {
  if (!ctx.eventing_enabled || !ctx.spec.eventing->subscriptions ||
      ctx.spec.eventing->subscriptions->empty())
    return;
  json::array subscriptions;
  for (const auto& sub : *ctx.spec.eventing->subscriptions) {
    json::object entry{{"type", sub.event_type.value_or("")}};
    if (sub.source) entry["source"] = *sub.source;
    subscriptions.push_back(std::move(entry));
  }
  list.set(env::kSubscriptions, common::to_json(subscriptions, false));
}

void set_metrics_env(const AgentContext& ctx, EnvList& list) {
  if (!ctx.metrics_enabled) return;
  list.set(env::kMetricsPort, std::to_string(api::effective_metrics_port(ctx.spec)));
  list.set(env::kMetricsPath, ctx.spec.observability->metrics->path.value_or("/metrics"));
}

json::array agent_container_env(const AgentContext& ctx) {
  const api::AiSpec& ai = *ctx.spec.ai;
  const std::string provider = ai.provider.value_or(std::string(api::providers::kOllama));
  const std::string model = ai.model.value_or("");
  std::string sidecar_url;
  if (ctx.sidecar_enabled)
    sidecar_url = fmt::format("http://127.0.0.1:{}",
                              ctx.spec.sidecar->port.value_or(api::kDefaultSidecarPort));
  const std::string endpoint = ctx.sidecar_enabled ? sidecar_url : ai.endpoint.value_or("");

  EnvList list;
  list.set(env::kAgentName, ctx.name);
  list.set(env::kAgentNamespace, ctx.ns);
  list.set(env::kAiProvider, provider);
  list.set(env::kAiEndpoint, endpoint);
  list.set(env::kAiModel, model);
  if (ai.fallback_model) list.set(env::kAiFallbackModel, *ai.fallback_model);
  if (ai.temperature) list.set(env::kAiTemperature, number(*ai.temperature));
  if (ai.max_tokens) list.set(env::kAiMaxTokens, std::to_string(*ai.max_tokens));
  if (ai.top_p) list.set(env::kAiTopP, number(*ai.top_p));
  if (ai.max_context_messages)
    list.set(env::kAiMaxContextMessages, std::to_string(*ai.max_context_messages));
  if (ai.context_window_size)
    list.set(env::kAiContextWindowSize, std::to_string(*ai.context_window_size));
  if (ai.system_prompt) list.set(env::kSystemPrompt, *ai.system_prompt);
  if (ai.system_prompt_ref) list.set_from_config_map(env::kSystemPrompt, *ai.system_prompt_ref);

  const bool ollama = ctx.sidecar_enabled || provider == api::providers::kOllama;
  const bool openai = ctx.sidecar_enabled || provider == api::providers::kOpenAi ||
                      provider == api::providers::kLocal;
  const bool anthropic = ctx.sidecar_enabled || provider == api::providers::kAnthropic;
  if (ollama) {
    list.set(env::kOllamaUrl, endpoint);
    list.set(env::kOllamaHost, endpoint);
    list.set(env::kOllamaModel, model);
  }
  if (openai) {
    list.set(env::kOpenAiBaseUrl, ctx.sidecar_enabled ? sidecar_url + "/v1" : endpoint);
    list.set(env::kOpenAiModel, model);
  }
  if (anthropic) {
    list.set(env::kAnthropicBaseUrl, endpoint);
    list.set(env::kAnthropicModel, model);
  }
  if (ctx.sidecar_enabled) {
    // The app never holds the real key; SDKs that refuse to start without one get a placeholder.
    list.set(env::kOpenAiApiKey, env::kSidecarApiKeyPlaceholder);
    list.set(env::kAnthropicApiKey, env::kSidecarApiKeyPlaceholder);
  } else if (ai.api_key_secret) {
    list.set_from_secret(env::kAiApiKey, *ai.api_key_secret);
    if (openai) list.set_from_secret(env::kOpenAiApiKey, *ai.api_key_secret);
    if (anthropic) list.set_from_secret(env::kAnthropicApiKey, *ai.api_key_secret);
  }

  const api::BehaviorSpec& behavior = *ctx.spec.behavior;
  list.set(env::kEmitEvents, behavior.emit_events.value_or(false) ? "true" : "false");
  if (behavior.event_types && !behavior.event_types->empty()) {
    std::string types;
    for (const auto& t : *behavior.event_types) types += (types.empty() ? "" : ",") + t;
    list.set(env::kEventTypes, types);
  }
  if (behavior.conversation_ttl) list.set(env::kConversationTtl, behavior.conversation_ttl->text());
  if (behavior.max_concurrent_conversations)
    list.set(env::kMaxConcurrentConversations,
             std::to_string(*behavior.max_concurrent_conversations));
  set_eventing_env(ctx, list);
  set_subscriptions_env(ctx, list);
  if (!ctx.sidecar_enabled) set_metrics_env(ctx, list);
  set_logging_env(ctx, list);
  set_tracing_env(ctx, list);

  if (ctx.spec.env)
    for (const auto& var : *ctx.spec.env) list.put(api::encode(var).as_object());
  return list.take();
}

json::array sidecar_env(const AgentContext& ctx) {
  const api::AiSpec& ai = *ctx.spec.ai;
  EnvList list;
  list.set(env::kSidecarConfig, fmt::format("{}/{}", kConfigMountPath, kConfigFileName));
  if (ai.api_key_secret) list.set_from_secret(env::kAiApiKey, *ai.api_key_secret);
  if (ai.system_prompt_ref) list.set_from_config_map(env::kSystemPrompt, *ai.system_prompt_ref);
  set_eventing_env(ctx, list);
  set_metrics_env(ctx, list);
  set_logging_env(ctx, list);
  set_tracing_env(ctx, list);
  return list.take();
}

json::object agent_container(const AgentContext& ctx) {
  const api::ImageSpec& image = *ctx.spec.image;
  json::object container{
      {"name", kAgentContainerName},
      {"image", image_reference(image)},
      {"imagePullPolicy", image.pull_policy.value_or("IfNotPresent")},
      // Knative allows exactly one declared port per revision; it marks the serving container.
      {"ports",
       json::array{json::object{{"name", "http1"}, {"containerPort", api::kUserContainerPort}}}},
      {"env", agent_container_env(ctx)},
  };
  if (ctx.spec.env_from && !ctx.spec.env_from->empty()) {
    json::array env_from;
    for (const auto& source : *ctx.spec.env_from) env_from.push_back(api::encode(source));
    container["envFrom"] = std::move(env_from);
  }
  if (ctx.spec.resources) container["resources"] = api::encode(*ctx.spec.resources);
  const auto& health = ctx.spec.behavior->health_check;
  if (health && health->enabled.value_or(false)) {
    // queue-proxy runs HTTP readiness probes of the serving container; the port is implied.
    container["readinessProbe"] = json::object{
        {"httpGet", json::object{{"path", health->path.value_or("/health")}}},
        {"periodSeconds", health->interval ? health->interval->nanoseconds() / 1'000'000'000 : 10},
    };
  }
  return container;
}

json::object sidecar_container(const AgentContext& ctx) {
  json::object container{
      {"name", kSidecarContainerName},
      {"image", ctx.options.agent_image},
      {"args", json::array{"--config",
                           json::string(fmt::format("{}/{}", kConfigMountPath, kConfigFileName))}},
      {"env", sidecar_env(ctx)},
      {"volumeMounts",
       json::array{json::object{
           {"name", "lambda-agent-config"}, {"mountPath", kConfigMountPath}, {"readOnly", true}}}},
  };
  if (ctx.spec.sidecar->resources)
    container["resources"] = api::encode(*ctx.spec.sidecar->resources);
  return container;
}

// Knative reads one metric per revision: an HPA-class metric (cpu, memory, prometheus) wins
// over a KPA one, as validation documents and warns.
const api::ScalingMetric* chosen_metric(const api::ScalingSpec& scaling) {
  if (!scaling.metrics) return nullptr;
  const api::ScalingMetric* kpa = nullptr;
  for (const auto& metric : *scaling.metrics) {
    const std::string type = metric.type.value_or("");
    if (type == api::metric_types::kConcurrency || type == api::metric_types::kRps) {
      if (!kpa) kpa = &metric;
    } else {
      return &metric;
    }
  }
  return kpa;
}

json::object autoscaling_annotations(const AgentContext& ctx, std::string_view config_hash) {
  const api::ScalingSpec& scaling = *ctx.spec.scaling;
  const api::ScalingMetric* metric = chosen_metric(scaling);
  std::string type =
      metric ? metric->type.value_or("") : std::string(api::metric_types::kConcurrency);
  bool hpa = type != api::metric_types::kConcurrency && type != api::metric_types::kRps;

  json::object annotations;
  annotations["autoscaling.knative.dev/class"] =
      hpa ? "hpa.autoscaling.knative.dev" : "kpa.autoscaling.knative.dev";
  annotations["autoscaling.knative.dev/metric"] =
      type == api::metric_types::kPrometheus ? metric->name.value_or("") : type;
  if (hpa) {
    annotations["autoscaling.knative.dev/target"] =
        std::to_string(static_cast<std::int64_t>(metric->target.value_or(0)));
  } else if (type == api::metric_types::kConcurrency && scaling.target_concurrency) {
    annotations["autoscaling.knative.dev/target"] = std::to_string(*scaling.target_concurrency);
  } else if (metric && metric->target) {
    annotations["autoscaling.knative.dev/target"] = number(*metric->target);
  }
  annotations["autoscaling.knative.dev/min-scale"] =
      std::to_string(scaling.min_replicas.value_or(1));
  if (scaling.max_replicas)
    annotations["autoscaling.knative.dev/max-scale"] = std::to_string(*scaling.max_replicas);
  // Under the HPA class validation allows only the HPA's own 5m scale-down delay, which needs
  // no annotation (Knative's window would slow scaling up too).
  if (scaling.scale_down_delay && !hpa)
    annotations["autoscaling.knative.dev/scale-down-delay"] = scaling.scale_down_delay->text();
  if (scaling.scale_to_zero_grace_period && scaling.min_replicas.value_or(1) == 0)
    annotations["autoscaling.knative.dev/scale-to-zero-pod-retention-period"] =
        scaling.scale_to_zero_grace_period->text();
  annotations[kConfigHashAnnotation] = config_hash;
  return annotations;
}

}  // namespace

json::value render_knative_service(const AgentContext& ctx, std::string_view config_hash) {
  json::array containers{agent_container(ctx)};
  if (ctx.sidecar_enabled) containers.push_back(sidecar_container(ctx));

  json::object pod_spec{
      {"containerConcurrency", ctx.spec.scaling->container_concurrency.value_or(0)}};
  if (ctx.spec.image->image_pull_secrets && !ctx.spec.image->image_pull_secrets->empty()) {
    json::array secrets;
    for (const auto& s : *ctx.spec.image->image_pull_secrets)
      secrets.push_back(json::object{{"name", s.name.value_or("")}});
    pod_spec["imagePullSecrets"] = std::move(secrets);
  }
  pod_spec["containers"] = std::move(containers);
  if (ctx.sidecar_enabled)
    pod_spec["volumes"] =
        json::array{json::object{{"name", "lambda-agent-config"},
                                 {"configMap", json::object{{"name", config_map_name(ctx.name)}}}}};

  return json::object{
      {"apiVersion", "serving.knative.dev/v1"},
      {"kind", "Service"},
      {"metadata", object_meta(ctx, ctx.name, agent_labels(ctx, "agent"), true)},
      {"spec",
       json::object{
           {"template",
            json::object{{"metadata",
                          json::object{{"labels", agent_labels(ctx, "agent")},
                                       {"annotations", autoscaling_annotations(ctx, config_hash)}}},
                         {"spec", std::move(pod_spec)}}}}},
  };
}

}  // namespace lambda::render::internal
