// Eventing objects: the namespace's shared RabbitMQ broker (with its config and dead-letter
// sink) and the agent's Triggers for subscriptions and intent routes.
#include <fmt/format.h>

#include <map>
#include <set>

#include "api/defaults.h"
#include "render/render_internal.h"

namespace lambda::render::internal {
namespace {

std::string slug(std::string_view text) {
  std::string out;
  for (char c : text) {
    char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    bool alnum = (lower >= 'a' && lower <= 'z') || (lower >= '0' && lower <= '9');
    if (alnum)
      out += lower;
    else if (!out.empty() && out.back() != '-')
      out += '-';
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

// The trigger's name carries a readable part and a hash of what makes it unique, so that
// reordering the spec's lists never renames (and so never recreates) a Trigger.
std::string trigger_name(const AgentContext& ctx, std::string_view kind, std::string_view readable,
                         std::string_view identity) {
  std::string hash = stable_hash(identity).substr(0, 6);
  std::string base = fmt::format("{}-{}-{}", ctx.name, kind, slug(readable));
  constexpr std::size_t kMax = 63;
  if (base.size() + 1 + hash.size() > kMax) base = base.substr(0, kMax - 1 - hash.size());
  while (!base.empty() && base.back() == '-') base.pop_back();
  return fmt::format("{}-{}", base, hash);
}

struct EventingNames {
  std::string broker;
  std::string dead_letter_sink;
};

json::object delivery(const AgentContext& ctx, const EventingNames& names) {
  const api::DlqSpec& dlq = *ctx.spec.eventing->dlq;
  json::object out{{"retry", dlq.retry_max_attempts.value_or(3)},
                   {"backoffPolicy", dlq.backoff_policy.value_or("exponential")},
                   {"backoffDelay", dlq.retry_backoff_delay ? dlq.retry_backoff_delay->text()
                                                            : std::string("PT1S")}};
  if (dlq.enabled.value_or(false))
    out["deadLetterSink"] =
        json::object{{"ref", json::object{{"apiVersion", "serving.knative.dev/v1"},
                                          {"kind", "Service"},
                                          {"name", names.dead_letter_sink}}}};
  return out;
}

json::object trigger(const AgentContext& ctx, const EventingNames& names, std::string name,
                     std::string_view component, json::object filter_attributes,
                     json::object subscriber, json::object annotations) {
  json::object meta = object_meta(ctx, name, agent_labels(ctx, component), true);
  if (!annotations.empty()) meta["annotations"] = std::move(annotations);
  return json::object{
      {"apiVersion", "eventing.knative.dev/v1"},
      {"kind", "Trigger"},
      {"metadata", std::move(meta)},
      {"spec", json::object{{"broker", names.broker},
                            {"filter", json::object{{"attributes", std::move(filter_attributes)}}},
                            {"subscriber", std::move(subscriber)},
                            {"delivery", delivery(ctx, names)}}},
  };
}

// One Trigger per distinct filter the broker can express. A source the broker cannot filter
// (a prefix) widens the Trigger of its type to a type-only filter, and that Trigger then covers
// every subscription of the type, so no event is delivered twice.
void subscription_triggers(const AgentContext& ctx, const EventingNames& names, json::array& out) {
  const auto& subscriptions = *ctx.spec.eventing->subscriptions;
  std::map<std::string, std::vector<const api::Subscription*>> by_type;
  for (const auto& sub : subscriptions) by_type[sub.event_type.value_or("")].push_back(&sub);
  json::object agent_ref{{"ref", json::object{{"apiVersion", "serving.knative.dev/v1"},
                                              {"kind", "Service"},
                                              {"name", ctx.name}}}};

  for (const auto& [type, subs] : by_type) {
    bool type_only = false, unrestricted = false;
    std::set<std::string> accepted;
    for (const auto* sub : subs) {
      std::string source = sub->source.value_or("");
      if (source.empty() || source == "*") {
        type_only = unrestricted = true;
      } else if (source.ends_with('*')) {
        type_only = true;
        accepted.insert(source);
      } else {
        accepted.insert(source);
      }
    }
    if (type_only) {
      json::object annotations;
      if (!unrestricted) {
        std::string list;
        for (const auto& s : accepted) list += (list.empty() ? "" : ",") + s;
        annotations[kSourcePrefixAnnotation] = list;
      }
      out.push_back(trigger(ctx, names, trigger_name(ctx, "sub", type, type), "subscription",
                            json::object{{"type", type}}, agent_ref, std::move(annotations)));
      continue;
    }
    for (const auto& source : accepted)
      out.push_back(trigger(ctx, names, trigger_name(ctx, "sub", type, type + "\n" + source),
                            "subscription", json::object{{"type", type}, {"source", source}},
                            agent_ref, {}));
  }
}

void route_triggers(const AgentContext& ctx, const EventingNames& names, json::array& out) {
  const api::EventingSpec& eventing = *ctx.spec.eventing;
  for (const auto& route : *eventing.routing) {
    const api::RouteTarget& target = *route.target;
    std::string uri = fmt::format("http://{}.{}.svc.{}", target.service.value_or(""),
                                  target.namespace_.value_or(ctx.ns), ctx.options.cluster_domain);
    std::string event_type = route.event_type.value_or("");
    out.push_back(trigger(
        ctx, names, trigger_name(ctx, "route", route.intent.value_or(""), event_type + "\n" + uri),
        "route", json::object{{"type", event_type}, {"source", eventing.event_source.value_or("")}},
        json::object{{"uri", uri}}, {}));
  }
}

json::object shared_meta(const AgentContext& ctx, std::string_view name,
                         std::string_view component) {
  return object_meta(ctx, name, shared_labels(component), false);
}

}  // namespace

void render_eventing(const AgentContext& ctx, json::array& out) {
  const api::EventingSpec& eventing = *ctx.spec.eventing;
  EventingNames names;
  names.broker = eventing.broker_name.value_or(std::string(api::kDefaultBrokerName));
  names.dead_letter_sink = dead_letter_sink_name(names.broker);
  const api::RabbitmqSpec& rabbitmq = *eventing.rabbitmq;

  out.push_back(json::object{
      {"apiVersion", "eventing.knative.dev/v1alpha1"},
      {"kind", "RabbitmqBrokerConfig"},
      {"metadata", shared_meta(ctx, broker_config_name(names.broker), "broker")},
      {"spec", json::object{{"rabbitmqClusterReference",
                             json::object{{"name", rabbitmq.cluster_name.value_or("")},
                                          {"namespace", rabbitmq.namespace_.value_or(ctx.ns)}}},
                            {"queueType", rabbitmq.queue_type.value_or("quorum")}}},
  });

  json::object broker_meta = shared_meta(ctx, names.broker, "broker");
  broker_meta["annotations"] =
      json::object{{"eventing.knative.dev/broker.class", "RabbitMQBroker"}};
  out.push_back(json::object{
      {"apiVersion", "eventing.knative.dev/v1"},
      {"kind", "Broker"},
      {"metadata", std::move(broker_meta)},
      {"spec", json::object{{"config", json::object{{"apiVersion", "eventing.knative.dev/v1alpha1"},
                                                    {"kind", "RabbitmqBrokerConfig"},
                                                    {"name", broker_config_name(names.broker)}}}}},
  });

  json::array triggers;
  if (eventing.subscriptions) subscription_triggers(ctx, names, triggers);
  if (eventing.routing) route_triggers(ctx, names, triggers);

  // The sink exists whenever something can dead-letter into it: the first implementation
  // pointed its DLQ at a Service nothing created.
  if (!triggers.empty() && eventing.dlq->enabled.value_or(false)) {
    json::object template_meta{
        {"labels", shared_labels("dead-letter-sink")},
        {"annotations", json::object{{"autoscaling.knative.dev/min-scale", "1"}}}};
    out.push_back(json::object{
        {"apiVersion", "serving.knative.dev/v1"},
        {"kind", "Service"},
        {"metadata", shared_meta(ctx, names.dead_letter_sink, "dead-letter-sink")},
        {"spec",
         json::object{
             {"template",
              json::object{{"metadata", std::move(template_meta)},
                           {"spec", json::object{{"containers",
                                                  json::array{json::object{
                                                      {"name", "dead-letter-sink"},
                                                      {"image", ctx.options.agent_image},
                                                      {"args", json::array{"dead-letter-sink"}},
                                                      {"ports", json::array{json::object{
                                                                    {"name", "http1"},
                                                                    {"containerPort", 8080}}}},
                                                  }}}}}}}}},
    });
  }
  for (auto& t : triggers) out.push_back(std::move(t));
}

}  // namespace lambda::render::internal
