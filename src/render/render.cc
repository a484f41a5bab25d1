#include "render/render.h"

#include "api/codec.h"
#include "common/json_yaml.h"
#include "render/render_internal.h"

namespace lambda::render {
namespace internal {

json::object agent_labels(const AgentContext& ctx, std::string_view component) {
  json::object labels;
  if (ctx.agent.metadata && ctx.agent.metadata->labels)
    for (const auto& [key, value] : *ctx.agent.metadata->labels) labels[key] = value;
  labels["app.kubernetes.io/name"] = ctx.name;
  labels["app.kubernetes.io/instance"] = ctx.name;
  labels["app.kubernetes.io/component"] = component;
  labels["app.kubernetes.io/part-of"] = "lambda-agent";
  labels["app.kubernetes.io/managed-by"] = ctx.options.field_manager;
  labels[kAgentLabel] = ctx.name;
  return labels;
}

json::object shared_labels(std::string_view component) {
  return json::object{{"app.kubernetes.io/component", component},
                      {"app.kubernetes.io/part-of", "lambda-agent"},
                      {"app.kubernetes.io/managed-by", "lambda-operator"},
                      {kSharedLabel, "true"}};
}

json::object object_meta(const AgentContext& ctx, std::string_view name, json::object labels, bool controller) {
  json::object meta{{"name", name}, {"namespace", ctx.ns}, {"labels", std::move(labels)}};
  const auto& agent_meta = *ctx.agent.metadata;
  // Without a uid (an agent rendered from a file, not read from a cluster) no owner reference
  // can be valid; the operator always has one.
  if (agent_meta.uid) {
    json::object owner{{"apiVersion", api::kApiVersion},
                       {"kind", api::kKind},
                       {"name", ctx.name},
                       {"uid", *agent_meta.uid}};
    if (controller) {
      owner["controller"] = true;
      owner["blockOwnerDeletion"] = true;
    }
    meta["ownerReferences"] = json::array{std::move(owner)};
  }
  return meta;
}

// The sidecar reads the agent itself (the same types and defaults as the operator), so the
// ConfigMap carries the defaulted agent without its status and server-set metadata.
json::value render_config_map(const AgentContext& ctx) {
  api::LambdaAgent config;
  config.api_version = std::string(api::kApiVersion);
  config.kind = std::string(api::kKind);
  config.metadata.emplace();
  config.metadata->name = ctx.name;
  config.metadata->namespace_ = ctx.ns;
  config.spec = ctx.spec;
  return json::object{
      {"apiVersion", "v1"},
      {"kind", "ConfigMap"},
      {"metadata", object_meta(ctx, config_map_name(ctx.name), agent_labels(ctx, "config"), true)},
      {"data", json::object{{kConfigFileName, common::to_yaml(api::encode(config))}}},
  };
}

}  // namespace internal

std::vector<boost::json::value> render(const api::LambdaAgent& agent, const RenderOptions& options) {
  using namespace internal;
  const api::LambdaAgentSpec& spec = *agent.spec;
  AgentContext ctx{agent, spec, options, agent.metadata->name.value_or(""), agent.metadata->namespace_.value_or("default")};
  ctx.sidecar_enabled = spec.sidecar && spec.sidecar->enabled.value_or(false);
  ctx.eventing_enabled = spec.eventing && spec.eventing->enabled.value_or(false);
  ctx.metrics_enabled = spec.observability && spec.observability->metrics &&
                        spec.observability->metrics->enabled.value_or(false);

  std::vector<json::value> out;
  json::value config_map = render_config_map(ctx);
  std::string config_hash = stable_hash(common::to_json(config_map.at("data"), false));
  out.push_back(std::move(config_map));
  out.push_back(render_knative_service(ctx, config_hash));
  if (ctx.metrics_enabled) {
    out.push_back(render_metrics_service(ctx));
    out.push_back(render_service_monitor(ctx));
  }
  if (ctx.eventing_enabled) {
    json::array eventing;
    render_eventing(ctx, eventing);
    for (auto& object : eventing) out.push_back(std::move(object));
  }
  return out;
}

}  // namespace lambda::render
