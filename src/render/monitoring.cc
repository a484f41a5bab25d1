// Prometheus-operator objects. Knative lets a revision declare one port (the serving one), so a
// PodMonitor cannot name the metrics port; a headless Service that selects the agent's pods and
// names the port gives the ServiceMonitor a target that works with every prometheus-operator.
#include "api/validation.h"
#include "render/render_internal.h"

namespace lambda::render::internal {

json::value render_metrics_service(const AgentContext& ctx) {
  std::int32_t port = api::effective_metrics_port(ctx.spec);
  return json::object{
      {"apiVersion", "v1"},
      {"kind", "Service"},
      {"metadata",
       object_meta(ctx, metrics_service_name(ctx.name), agent_labels(ctx, "metrics"), true)},
      {"spec", json::object{{"clusterIP", "None"},
                            {"selector", json::object{{"serving.knative.dev/service", ctx.name}}},
                            {"ports", json::array{json::object{{"name", "metrics"},
                                                               {"port", port},
                                                               {"targetPort", port},
                                                               {"protocol", "TCP"}}}}}},
  };
}

json::value render_service_monitor(const AgentContext& ctx) {
  const api::MetricsSpec& metrics = *ctx.spec.observability->metrics;
  return json::object{
      {"apiVersion", "monitoring.coreos.com/v1"},
      {"kind", "ServiceMonitor"},
      {"metadata", object_meta(ctx, ctx.name, agent_labels(ctx, "metrics"), true)},
      {"spec",
       json::object{
           {"selector", json::object{{"matchLabels",
                                      json::object{{kAgentLabel, ctx.name},
                                                   {"app.kubernetes.io/component", "metrics"}}}}},
           {"namespaceSelector", json::object{{"matchNames", json::array{json::string(ctx.ns)}}}},
           {"endpoints", json::array{json::object{{"port", "metrics"},
                                                  {"path", metrics.path.value_or("/metrics")},
                                                  {"interval", "30s"}}}},
       }},
  };
}

}  // namespace lambda::render::internal
