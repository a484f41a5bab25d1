#include "api/validation.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "api/codec.h"
#include "api/codec_internal.h"
#include "api/defaults.h"
#include "api/environment_contract.h"

namespace lambda::api {
namespace {

namespace json = boost::json;

std::string number_text(double d) { return common::format_number(json::value(d)); }

bool is_ascii_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// The name part of a label key, or a label value: ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9].
bool is_label_name(std::string_view s) {
  if (s.empty() || s.size() > 63 || !is_ascii_alnum(s.front()) || !is_ascii_alnum(s.back()))
    return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return is_ascii_alnum(c) || c == '-' || c == '_' || c == '.'; });
}

// Kubernetes' IsQualifiedName: [prefix/]name, the prefix a DNS-1123 subdomain.
std::optional<std::string> check_qualified_name(std::string_view key) {
  std::string_view name = key;
  if (auto slash = key.find('/'); slash != std::string_view::npos) {
    std::string_view prefix = key.substr(0, slash);
    name = key.substr(slash + 1);
    if (prefix.empty() || check_format(Format::kDns1123Subdomain, prefix))
      return "prefix part must be a lowercase RFC 1123 subdomain (e.g. 'example.com')";
  }
  if (!is_label_name(name))
    return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start "
           "and end with an alphanumeric character, at most 63 characters (e.g. 'MyName', "
           "'my.name', '123-abc')";
  return std::nullopt;
}

std::optional<std::string> check_label_value(std::string_view value) {
  if (value.empty() || is_label_name(value)) return std::nullopt;
  return "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "
         "or '.', and must start and end with an alphanumeric character, at most 63 characters";
}

// What Kubernetes accepts in a container's resources: the standard names, hugepages-<size>, or
// an extended resource with a domain (nvidia.com/gpu).
std::optional<std::string> check_resource_name(std::string_view name) {
  if (name == "cpu" || name == "memory" || name == "ephemeral-storage") return std::nullopt;
  if (name.starts_with("hugepages-") && Quantity::parse(name.substr(10))) return std::nullopt;
  if (name.find('/') != std::string_view::npos && !check_qualified_name(name)) return std::nullopt;
  return "must be a standard resource for containers (cpu, memory, ephemeral-storage, "
         "hugepages-<size>) or an extended resource with a domain (e.g. nvidia.com/gpu)";
}

// Checks each field against its declaration: required, enum, range, format, length, items.
class DeclaredConstraints {
 public:
  explicit DeclaredConstraints(ErrorList& errors) : errors_(errors) {}

  template <reflect::ApiObject T>
  void check_object(const T& object, const FieldPath& path) {
    Visitor visitor{*this, path};
    reflect::describe_const(visitor, object);
  }

 private:
  struct Visitor {
    DeclaredConstraints& self;
    FieldPath path;
    template <class T>
    void operator()(const std::optional<T>& member, std::string_view name, const FieldDoc& doc) {
      FieldPath p = path.child(name);
      if (!member) {
        if (doc.required) self.errors_.required(p);
        return;
      }
      self.check(*member, p, doc);
    }
  };

  void check(const std::string& value, const FieldPath& path, const FieldDoc& doc) {
    if (!doc.enum_values.empty()) {
      if (std::find(doc.enum_values.begin(), doc.enum_values.end(), value) == doc.enum_values.end())
        errors_.not_supported(path, json::string(value), doc.enum_values);
      return;
    }
    if (doc.format != Format::kNone) {
      const FormatSpec& spec = format_spec(doc.format);
      if (spec.max_length && value.size() > static_cast<std::size_t>(*spec.max_length)) {
        errors_.too_long(path, *spec.max_length);
        return;
      }
      if (auto problem = check_format(doc.format, value))
        errors_.invalid(path, json::string(value), *problem);
    }
    if (doc.max_length && value.size() > *doc.max_length) errors_.too_long(path, *doc.max_length);
    if (doc.min_length && value.size() < *doc.min_length)
      errors_.invalid(path, json::string(value),
                      fmt::format("must be at least {} bytes", *doc.min_length));
  }

  void check(bool, const FieldPath&, const FieldDoc&) {}
  void check(const json::value&, const FieldPath&, const FieldDoc&) {}
  void check(std::int32_t value, const FieldPath& path, const FieldDoc& doc) {
    check_range(static_cast<double>(value), json::value(static_cast<std::int64_t>(value)), path,
                doc);
  }
  void check(std::int64_t value, const FieldPath& path, const FieldDoc& doc) {
    check_range(static_cast<double>(value), json::value(value), path, doc);
  }
  void check(double value, const FieldPath& path, const FieldDoc& doc) {
    check_range(value, json::value(value), path, doc);
  }

  void check(const Quantity& value, const FieldPath& path, const FieldDoc&) {
    if (value.is_negative())
      errors_.invalid(path, json::string(value.text()), "must be greater than or equal to 0");
  }

  void check(const GoDuration& value, const FieldPath& path, const FieldDoc& doc) {
    std::int64_t ns = value.nanoseconds();
    if (doc.min_duration_ns && doc.max_duration_ns &&
        (ns < *doc.min_duration_ns || ns > *doc.max_duration_ns)) {
      errors_.invalid(path, json::string(value.text()),
                      fmt::format("must be between {} and {}, inclusive",
                                  GoDuration::canonical(*doc.min_duration_ns),
                                  GoDuration::canonical(*doc.max_duration_ns)));
    } else if (ns < 0) {
      errors_.invalid(path, json::string(value.text()), "must not be negative");
    }
  }

  void check(const IsoDuration& value, const FieldPath& path, const FieldDoc&) {
    if (value.nanoseconds() < 0)
      errors_.invalid(path, json::string(value.text()), "must not be negative");
  }

  template <class T>
  void check(const std::vector<T>& list, const FieldPath& path, const FieldDoc& doc) {
    if (doc.max_items && list.size() > *doc.max_items)
      errors_.too_many(path, list.size(), *doc.max_items);
    if constexpr (reflect::ApiObject<T>) {
      if (!doc.list_map_key.empty()) check_unique_keys(list, path, doc.list_map_key);
    }
    for (std::size_t i = 0; i < list.size(); ++i) check(list[i], path.index(i), FieldDoc{});
  }

  template <class T>
  void check(const std::map<std::string, T>& map, const FieldPath& path, const FieldDoc&) {
    for (const auto& [key, value] : map) check(value, path.key(key), FieldDoc{});
  }

  template <reflect::ApiObject T>
  void check(const T& object, const FieldPath& path, const FieldDoc&) {
    check_object(object, path);
  }

  void check_range(double value, json::value shown, const FieldPath& path, const FieldDoc& doc) {
    if (doc.minimum && doc.maximum && (value < *doc.minimum || value > *doc.maximum)) {
      errors_.invalid(path, std::move(shown),
                      fmt::format("must be between {} and {}, inclusive", number_text(*doc.minimum),
                                  number_text(*doc.maximum)));
    } else if (doc.minimum && !doc.maximum && value < *doc.minimum) {
      errors_.invalid(
          path, std::move(shown),
          fmt::format("must be greater than or equal to {}", number_text(*doc.minimum)));
    }
  }

  template <class T>
  void check_unique_keys(const std::vector<T>& list, const FieldPath& path, std::string_view key) {
    std::set<std::string> seen;
    for (std::size_t i = 0; i < list.size(); ++i) {
      json::value encoded = internal::Encoder().encode(list[i]);
      const json::value* k = encoded.as_object().if_contains(key);
      if (!k || !k->is_string()) continue;  // a missing key is reported as Required
      std::string text(k->get_string());
      if (!seen.insert(text).second)
        errors_.duplicate(path.index(i).child(key), json::string(text));
    }
  }

  ErrorList& errors_;
};

// The rules that span fields or need the platform's knowledge (PLATFORM_FACTS.md).
class CrossFieldRules {
 public:
  CrossFieldRules(const LambdaAgent& agent, ValidationResult& out)
      : agent_(agent), errors_(out.errors), warnings_(out.warnings) {}

  void run() {
    check_type_meta();
    check_metadata();
    if (!agent_.spec) return;
    const LambdaAgentSpec& spec = *agent_.spec;
    FieldPath path("spec");
    if (spec.image) check_image(*spec.image, path.child("image"));
    if (spec.ai) check_ai(*spec.ai, path.child("ai"));
    if (spec.behavior) check_behavior(spec, path.child("behavior"));
    if (spec.scaling) check_scaling(*spec.scaling, path.child("scaling"));
    if (spec.resources) check_resources(*spec.resources, path.child("resources"));
    if (spec.sidecar && spec.sidecar->resources)
      check_resources(*spec.sidecar->resources, path.child("sidecar").child("resources"));
    check_eventing(spec, path.child("eventing"));
    check_ports(spec, path);
    check_sidecar_features(spec, path);
    if (spec.observability) check_observability(spec, path.child("observability"));
    if (spec.env) check_env(*spec.env, path.child("env"));
    if (spec.env_from) check_env_from(*spec.env_from, path.child("envFrom"));
  }

 private:
  void check_type_meta() {
    if (agent_.api_version && *agent_.api_version != kApiVersion)
      errors_.not_supported(FieldPath("apiVersion"), json::string(*agent_.api_version),
                            {kApiVersion});
    if (agent_.kind && *agent_.kind != kKind)
      errors_.not_supported(FieldPath("kind"), json::string(*agent_.kind), {kKind});
  }

  void check_metadata() {
    if (!agent_.metadata) return;
    const ObjectMeta& meta = *agent_.metadata;
    if (!meta.name && !meta.generate_name)
      errors_.required(FieldPath("metadata.name"), "name or generateName is required");
    // Render copies the labels onto every object it creates: a bad one would be rejected there.
    if (meta.labels) {
      for (const auto& [key, value] : *meta.labels) {
        if (auto problem = check_qualified_name(key))
          errors_.invalid(FieldPath("metadata.labels"), json::string(key), *problem);
        if (auto problem = check_label_value(value))
          errors_.invalid(FieldPath("metadata.labels"), json::string(value), *problem);
      }
    }
    if (meta.annotations) {
      for (const auto& [key, value] : *meta.annotations)
        if (auto problem = check_qualified_name(key))
          errors_.invalid(FieldPath("metadata.annotations"), json::string(key), *problem);
    }
  }

  void check_image(const ImageSpec& image, const FieldPath& path) {
    if (image.tag && image.tag->starts_with("sha256:"))
      errors_.invalid(path.child("tag"), json::string(*image.tag),
                      "is a digest: put it in spec.image.digest");
    if (image.digest && !image.digest->starts_with("sha256:"))
      errors_.invalid(path.child("digest"), json::string(*image.digest),
                      "must be a digest, sha256:<64 hex digits>; a tag goes in spec.image.tag");
    // Knative resolves tags to digests from its controller's pod, where localhost is itself.
    if (image.repository && !image.digest &&
        (image.repository->starts_with("localhost") || image.repository->starts_with("127.")))
      warnings_.push_back(
          {path.child("repository"),
           "Knative resolves image tags from its controller, where this loopback registry is "
           "not reachable: add it to registries-skipping-tag-resolving in config-deployment, or "
           "pin a digest"});
  }

  void check_ai(const AiSpec& ai, const FieldPath& path) {
    if (ai.endpoint && ai.endpoint->find('?') != std::string::npos)
      errors_.invalid(path.child("endpoint"), json::string(*ai.endpoint),
                      "must not have a query string: SDKs append paths to the base URL, and "
                      "credentials belong in apiKeySecret");
    const std::string provider = ai.provider.value_or("");
    bool cloud = provider == providers::kOpenAi || provider == providers::kAnthropic;
    if (cloud && !ai.api_key_secret)
      errors_.required(path.child("apiKeySecret"),
                       fmt::format("provider \"{}\" needs an API key Secret", provider));
    if (provider == providers::kLocal && !ai.endpoint)
      errors_.required(path.child("endpoint"), "provider \"local\" has no default address");
    if (ai.system_prompt && ai.system_prompt_ref)
      errors_.forbidden(path.child("systemPromptRef"), "may not be set when systemPrompt is set");
    if (ai.fallback_model && ai.model && *ai.fallback_model == *ai.model)
      errors_.invalid(path.child("fallbackModel"), json::string(*ai.fallback_model),
                      "must differ from model");
    if (ai.max_tokens && ai.context_window_size && *ai.max_tokens >= *ai.context_window_size) {
      std::string detail =
          fmt::format("must be less than contextWindowSize ({})", *ai.context_window_size);
      if (provider == providers::kAnthropic && *ai.max_tokens == kDefaultAnthropicMaxTokens)
        detail +=
            fmt::format("; {} is also the default for provider anthropic when maxTokens is not set",
                        kDefaultAnthropicMaxTokens);
      errors_.invalid(path.child("maxTokens"), *ai.max_tokens, std::move(detail));
    }
    if (provider == providers::kAnthropic && ai.temperature && ai.top_p)
      warnings_.push_back({path.child("topP"),
                           "recent Anthropic models reject requests that set both temperature and "
                           "topP; the sidecar sends only temperature to provider anthropic"});
  }

  void check_behavior(const LambdaAgentSpec& spec, const FieldPath& path) {
    const BehaviorSpec& behavior = *spec.behavior;
    bool eventing_enabled = spec.eventing && spec.eventing->enabled.value_or(false);
    if (behavior.emit_events.value_or(false) && !eventing_enabled)
      errors_.invalid(path.child("emitEvents"), true,
                      "requires spec.eventing to be enabled (events need a broker)");
    if (behavior.event_types) {
      std::set<std::string> seen;
      for (std::size_t i = 0; i < behavior.event_types->size(); ++i) {
        const std::string& type = (*behavior.event_types)[i];
        FieldPath p = path.child("eventTypes").index(i);
        if (auto problem = check_format(Format::kCloudEventType, type))
          errors_.invalid(p, json::string(type), *problem);
        if (!seen.insert(type).second) errors_.duplicate(p, json::string(type));
      }
      if (!behavior.emit_events.value_or(false) && !behavior.event_types->empty())
        warnings_.push_back(
            {path.child("eventTypes"), "no events are emitted while emitEvents is false"});
    }
    if (behavior.intent_detection)
      check_intents(*behavior.intent_detection, path.child("intentDetection"));
    if (behavior.health_check && behavior.health_check->interval &&
        !behavior.health_check->interval->is_whole_seconds())
      errors_.invalid(path.child("healthCheck").child("interval"),
                      json::string(behavior.health_check->interval->text()),
                      "must be whole seconds (it becomes the probe's periodSeconds)");
  }

  void check_intents(const IntentDetectionSpec& detection, const FieldPath& path) {
    if (!detection.intents) {
      if (detection.enabled.value_or(false))
        warnings_.push_back(
            {path.child("intents"), "intent detection is enabled but declares no intents"});
      return;
    }
    for (std::size_t i = 0; i < detection.intents->size(); ++i) {
      const IntentSpec& intent = (*detection.intents)[i];
      FieldPath p = path.child("intents").index(i);
      if (!intent.keywords) continue;
      if (intent.keywords->empty())
        errors_.required(p.child("keywords"), "at least one keyword is required");
      std::set<std::string> seen;
      for (std::size_t k = 0; k < intent.keywords->size(); ++k) {
        std::string lowered;
        for (char c : (*intent.keywords)[k])
          lowered += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        bool blank = lowered.find_first_not_of(" \t\r\n") == std::string::npos;
        if (blank)
          errors_.invalid(p.child("keywords").index(k), json::string((*intent.keywords)[k]),
                          "must not be blank");
        else if (!seen.insert(lowered).second)
          errors_.duplicate(p.child("keywords").index(k), json::string((*intent.keywords)[k]));
      }
    }
  }

  void check_scaling(const ScalingSpec& scaling, const FieldPath& path) {
    if (scaling.min_replicas && scaling.max_replicas &&
        *scaling.max_replicas < *scaling.min_replicas)
      errors_.invalid(
          path.child("maxReplicas"), *scaling.max_replicas,
          fmt::format("must be greater than or equal to minReplicas ({})", *scaling.min_replicas));
    if (scaling.scale_to_zero_grace_period &&
        scaling.scale_to_zero_grace_period->nanoseconds() > 0 &&
        scaling.min_replicas.value_or(0) >= 1)
      errors_.invalid(
          path.child("scaleToZeroGracePeriod"),
          json::string(scaling.scale_to_zero_grace_period->text()),
          fmt::format("has no effect while minReplicas is {} (the agent never scales to zero); "
                      "set it to 0s or set minReplicas to 0",
                      *scaling.min_replicas));
    for (auto [duration, name] :
         {std::pair{&scaling.scale_down_delay, "scaleDownDelay"},
          std::pair{&scaling.scale_to_zero_grace_period, "scaleToZeroGracePeriod"}}) {
      if (*duration && !(*duration)->is_whole_seconds())
        errors_.invalid(path.child(name), json::string((*duration)->text()),
                        "must be whole seconds (Knative's rule)");
    }
    if (scaling.target_concurrency && scaling.container_concurrency.value_or(0) > 0 &&
        *scaling.target_concurrency > *scaling.container_concurrency)
      errors_.invalid(
          path.child("targetConcurrency"), *scaling.target_concurrency,
          fmt::format("must not exceed containerConcurrency ({})", *scaling.container_concurrency));
    if (scaling.metrics) check_metrics(scaling, path);
  }

  static bool is_kpa_metric(std::string_view type) {
    return type == metric_types::kConcurrency || type == metric_types::kRps;
  }
  static bool is_hpa_metric(std::string_view type) {
    return type == metric_types::kCpu || type == metric_types::kMemory ||
           type == metric_types::kPrometheus;
  }

  void check_metrics(const ScalingSpec& scaling, const FieldPath& path) {
    const auto& metrics = *scaling.metrics;
    std::optional<std::size_t> kpa, hpa;
    std::set<std::string> types;
    for (std::size_t i = 0; i < metrics.size(); ++i) {
      const ScalingMetric& metric = metrics[i];
      FieldPath p = path.child("metrics").index(i);
      if (!metric.type) continue;
      const std::string& type = *metric.type;
      if (!types.insert(type).second) {
        errors_.duplicate(p.child("type"), json::string(type));
        continue;
      }
      if (type == metric_types::kPrometheus && !metric.name)
        errors_.required(p.child("name"), "a prometheus metric needs the name of the metric");
      if (type != metric_types::kPrometheus && metric.name)
        errors_.forbidden(p.child("name"), "only a metric of type prometheus has a name");
      if (!is_kpa_metric(type) && !is_hpa_metric(type)) continue;  // reported as Unsupported value
      if (is_kpa_metric(type)) {
        if (kpa)
          errors_.invalid(p.child("type"), json::string(type),
                          "Knative's KPA scales on one metric: concurrency or rps, not both");
        kpa = i;
      } else {
        if (hpa)
          errors_.invalid(
              p.child("type"), json::string(type),
              "Knative's HPA class scales on one metric: one of cpu, memory, prometheus");
        hpa = i;
        // Knative sets the HPA's AverageValue to int64(target): a fraction would be cut to 0.
        if (metric.target &&
            (*metric.target < 1 ||
             *metric.target != static_cast<double>(static_cast<std::int64_t>(*metric.target))))
          errors_.invalid(p.child("target"), *metric.target,
                          "must be a whole number >= 1 for cpu, memory and prometheus metrics "
                          "(Knative truncates it)");
      }
      if (type == metric_types::kConcurrency && metric.target && scaling.target_concurrency &&
          *metric.target != static_cast<double>(*scaling.target_concurrency))
        errors_.invalid(p.child("target"), *metric.target,
                        fmt::format("must equal targetConcurrency ({}) when both are set",
                                    *scaling.target_concurrency));
    }
    const ScalingMetric* used = hpa ? &metrics[*hpa] : kpa ? &metrics[*kpa] : nullptr;
    if (used && scaling.target_concurrency && used->type != metric_types::kConcurrency)
      warnings_.push_back(
          {path.child("targetConcurrency"),
           fmt::format("is not used: the autoscaler follows the {} metric; containerConcurrency "
                       "is the per-replica limit",
                       *used->type)});
    if (hpa) {
      if (kpa)
        warnings_.push_back({path.child("metrics").index(*kpa),
                             fmt::format("Knative scales a revision on one metric: the {} metric "
                                         "(HPA class) is used and this one is not; "
                                         "containerConcurrency still caps requests per replica",
                                         *metrics[*hpa].type)});
      if (scaling.min_replicas && *scaling.min_replicas < 1)
        errors_.invalid(path.child("minReplicas"), *scaling.min_replicas,
                        "must be at least 1 with a cpu, memory or prometheus metric (the HPA class "
                        "never scales to zero)");
      // Knative's only HPA knob, the window annotation, sets the HPA's scale-up stabilization
      // too (serving pkg/reconciler/autoscaling/hpa/resources/hpa.go), so it cannot express a
      // scale-down delay; the HPA itself waits kHpaScaleDownStabilization before scaling down.
      if (scaling.scale_down_delay &&
          scaling.scale_down_delay->nanoseconds() != kHpaScaleDownStabilizationNs)
        errors_.invalid(path.child("scaleDownDelay"),
                        json::string(scaling.scale_down_delay->text()),
                        "must be 5m or unset with a cpu, memory or prometheus metric: the "
                        "Kubernetes HPA always waits 5m before scaling down, and Knative's "
                        "window annotation would delay scaling up as well");
      if (*metrics[*hpa].type == metric_types::kPrometheus)
        warnings_.push_back(
            {path.child("metrics").index(*hpa),
             "scaling on a Prometheus metric needs Knative's autoscaler-hpa and a "
             "custom-metrics adapter (e.g. prometheus-adapter) serving this metric"});
    }
  }

  void check_resources(const ResourceRequirements& resources, const FieldPath& path) {
    for (auto [list, list_name] :
         {std::pair{&resources.requests, "requests"}, std::pair{&resources.limits, "limits"}}) {
      if (!*list) continue;
      for (const auto& entry : **list)
        if (auto problem = check_resource_name(entry.first))
          errors_.invalid(path.child(list_name).key(entry.first), json::string(entry.first),
                          *problem);
    }
    if (!resources.requests || !resources.limits) return;
    for (const auto& [name, request] : *resources.requests) {
      auto limit = resources.limits->find(name);
      if (limit == resources.limits->end()) continue;
      // Extended resources (a name with a domain: nvidia.com/gpu) cannot be overcommitted.
      bool extended = name.find('/') != std::string::npos;
      if (extended && request != limit->second)
        errors_.invalid(path.child("requests").key(name), json::string(request.text()),
                        fmt::format("must be equal to {} limit of {}", name, limit->second.text()));
      else if (request > limit->second)
        errors_.invalid(path.child("requests").key(name), json::string(request.text()),
                        fmt::format("must be less than or equal to {} limit of {}", name,
                                    limit->second.text()));
    }
  }

  void check_eventing(const LambdaAgentSpec& spec, const FieldPath& path) {
    if (!spec.eventing) return;
    const EventingSpec& eventing = *spec.eventing;
    if (!eventing.enabled.value_or(false)) {
      if ((eventing.routing && !eventing.routing->empty()) ||
          (eventing.subscriptions && !eventing.subscriptions->empty()))
        warnings_.push_back(
            {path, "eventing is disabled: its routes and subscriptions create nothing"});
      return;
    }
    if (!eventing.rabbitmq)
      errors_.required(path.child("rabbitmq"), "the shared broker needs a RabbitMQ cluster");

    std::set<std::string> declared;
    bool detection_on = false;
    if (spec.behavior && spec.behavior->intent_detection) {
      detection_on = spec.behavior->intent_detection->enabled.value_or(false);
      if (spec.behavior->intent_detection->intents)
        for (const auto& intent : *spec.behavior->intent_detection->intents)
          if (intent.name) declared.insert(*intent.name);
    }
    if (eventing.routing) {
      std::set<std::string> seen;
      for (std::size_t i = 0; i < eventing.routing->size(); ++i) {
        const IntentRoute& route = (*eventing.routing)[i];
        FieldPath p = path.child("routing").index(i);
        if (route.intent && !declared.contains(*route.intent))
          errors_.not_found(
              p.child("intent"), json::string(*route.intent),
              "routes must name an intent declared in spec.behavior.intentDetection.intents");
        else if (route.intent && !detection_on)
          errors_.invalid(p.child("intent"), json::string(*route.intent),
                          "intent detection is disabled, so this route would never fire");
        if (!seen.insert(common::to_json(internal::Encoder().encode(route), false)).second)
          errors_.duplicate(p, json::string(route.intent.value_or("")));
      }
    }
    if (eventing.subscriptions) {
      std::set<std::pair<std::string, std::string>> seen;
      for (std::size_t i = 0; i < eventing.subscriptions->size(); ++i) {
        const Subscription& sub = (*eventing.subscriptions)[i];
        FieldPath p = path.child("subscriptions").index(i);
        if (!seen.insert({sub.event_type.value_or(""), sub.source.value_or("")}).second)
          errors_.duplicate(p, json::string(sub.event_type.value_or("")));
        if (sub.source && sub.source->ends_with('*') && *sub.source != "*")
          warnings_.push_back(
              {p.child("source"),
               fmt::format("the RabbitMQ broker filters exact attributes only: the Trigger "
                           "filters on type alone, so events of this type from any source "
                           "reach the agent; the prefix \"{}\" is passed in "
                           "LAMBDA_SUBSCRIPTIONS for the receiver to enforce",
                           sub.source->substr(0, sub.source->size() - 1))});
      }
    }
  }

  void check_ports(const LambdaAgentSpec& spec, const FieldPath& path) {
    bool sidecar_on = spec.sidecar && spec.sidecar->enabled.value_or(false);
    std::optional<std::int32_t> sidecar_port;
    if (sidecar_on && spec.sidecar->port) {
      sidecar_port = *spec.sidecar->port;
      FieldPath p = path.child("sidecar").child("port");
      if (is_knative_reserved_port(*sidecar_port))
        errors_.invalid(p, *sidecar_port,
                        "is reserved by Knative's queue-proxy in every pod (8012, 8013, 8022, "
                        "9090, 9091, 8008)");
      else if (*sidecar_port == kUserContainerPort)
        errors_.invalid(p, *sidecar_port, "is the agent container's port (8080)");
    }
    if (!spec.observability || !spec.observability->metrics) return;
    const MetricsSpec& metrics = *spec.observability->metrics;
    if (!metrics.enabled.value_or(false) || !metrics.port) return;
    FieldPath p = path.child("observability").child("metrics").child("port");
    std::int32_t effective = effective_metrics_port(spec);
    if (effective != *metrics.port)
      warnings_.push_back(
          {p, fmt::format("port {} is reserved by Knative's queue-proxy in every pod; "
                          "metrics are served on {} instead",
                          *metrics.port, effective)});
    if (sidecar_port && effective == *sidecar_port)
      errors_.invalid(p, *metrics.port,
                      fmt::format("collides with spec.sidecar.port ({})", *sidecar_port));
    else if (effective == kUserContainerPort && sidecar_on)
      errors_.invalid(
          p, *metrics.port,
          "is the agent container's port (8080); the sidecar serves metrics on its own port");
  }

  void check_sidecar_features(const LambdaAgentSpec& spec, const FieldPath& path) {
    bool sidecar_on = spec.sidecar && spec.sidecar->enabled.value_or(false);
    if (sidecar_on || !spec.behavior || !spec.behavior->intent_detection ||
        !spec.behavior->intent_detection->enabled.value_or(false))
      return;
    warnings_.push_back(
        {path.child("behavior").child("intentDetection"),
         "intent detection runs in the lambda-agent sidecar, which is disabled: the image itself "
         "must detect intents and emit each route's eventType"});
  }

  void check_observability(const LambdaAgentSpec& spec, const FieldPath& path) {
    const ObservabilitySpec& obs = *spec.observability;
    if (obs.tracing && obs.tracing->enabled.value_or(false) && !obs.tracing->endpoint)
      errors_.required(path.child("tracing").child("endpoint"), "tracing is enabled");
    bool sidecar_on = spec.sidecar && spec.sidecar->enabled.value_or(false);
    if (!sidecar_on && obs.metrics && obs.metrics->ai_metrics &&
        obs.metrics->ai_metrics->enabled.value_or(false) && obs.metrics->enabled.value_or(false))
      warnings_.push_back(
          {path.child("metrics").child("aiMetrics"),
           "the sidecar is disabled: the agent's image must export the agent_* metrics itself"});
  }

  void check_env(const std::vector<EnvVar>& env, const FieldPath& path) {
    static constexpr std::string_view kReserved[] = {"PORT", "K_SERVICE", "K_CONFIGURATION",
                                                     "K_REVISION"};
    for (std::size_t i = 0; i < env.size(); ++i) {
      const EnvVar& var = env[i];
      FieldPath p = path.index(i);
      if (var.name &&
          std::find(std::begin(kReserved), std::end(kReserved), *var.name) != std::end(kReserved))
        errors_.invalid(p.child("name"), json::string(*var.name), "is reserved by Knative");
      if (var.name && env::is_contract_variable(*var.name))
        warnings_.push_back(
            {p.child("name"), fmt::format("replaces the value the operator sets for {} "
                                          "(docs/reference/environment.md)",
                                          *var.name)});
      if (var.value && var.value_from)
        errors_.forbidden(p.child("valueFrom"), "may not be set when value is set");
      if (var.value_from) {
        const EnvVarSource& from = *var.value_from;
        int sources = (from.secret_key_ref ? 1 : 0) + (from.config_map_key_ref ? 1 : 0) +
                      (from.field_ref ? 1 : 0) + (from.resource_field_ref ? 1 : 0);
        if (sources != 1)
          errors_.invalid(p.child("valueFrom"), json::value(sources),
                          "must specify exactly one of secretKeyRef, configMapKeyRef, fieldRef, "
                          "resourceFieldRef");
        if (from.field_ref)
          warnings_.push_back(
              {p.child("valueFrom").child("fieldRef"),
               "Knative rejects fieldRef unless the cluster enables kubernetes.podspec-fieldref"});
      }
    }
  }

  void check_env_from(const std::vector<EnvFromSource>& env_from, const FieldPath& path) {
    for (std::size_t i = 0; i < env_from.size(); ++i) {
      const EnvFromSource& source = env_from[i];
      if (source.config_map_ref.has_value() == source.secret_ref.has_value())
        errors_.invalid(path.index(i), json::string(source.prefix.value_or("")),
                        "must specify exactly one of configMapRef, secretRef");
    }
  }

  const LambdaAgent& agent_;
  ErrorList& errors_;
  Warnings& warnings_;
};

}  // namespace

std::int32_t effective_metrics_port(const LambdaAgentSpec& spec) {
  std::int32_t port = kDefaultMetricsPort;
  if (spec.observability && spec.observability->metrics && spec.observability->metrics->port)
    port = *spec.observability->metrics->port;
  return is_knative_reserved_port(port) ? kDefaultMetricsPort : port;
}

ValidationResult validate(const LambdaAgent& agent) {
  ValidationResult result;
  DeclaredConstraints(result.errors).check_object(agent, FieldPath());
  CrossFieldRules(agent, result).run();
  return result;
}

CheckedAgent check_agent(const json::value& document) {
  CheckedAgent checked;
  checked.errors = decode(document, checked.agent);
  apply_defaults(checked.agent);
  ValidationResult validation = validate(checked.agent);
  for (const auto& error : validation.errors.errors())
    if (!checked.errors.has_error_at_or_above(error.path)) checked.errors.add(error);
  checked.warnings = std::move(validation.warnings);
  return checked;
}

}  // namespace lambda::api
