#include "render/render.h"

#include <fmt/format.h>

#include <map>

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

json::object object_meta(const AgentContext& ctx, std::string_view name, json::object labels,
                         bool controller) {
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
  // The sidecar does not need the app's environment, and a value a user put there should not
  // be copied into one more object.
  config.spec->env.reset();
  config.spec->env_from.reset();
  return json::object{
      {"apiVersion", "v1"},
      {"kind", "ConfigMap"},
      {"metadata", object_meta(ctx, config_map_name(ctx.name), agent_labels(ctx, "config"), true)},
      {"data", json::object{{kConfigFileName, common::to_yaml(api::encode(config))}}},
  };
}

}  // namespace internal

std::vector<boost::json::value> render(const api::LambdaAgent& agent,
                                       const RenderOptions& options) {
  using namespace internal;
  const api::LambdaAgentSpec& spec = *agent.spec;
  AgentContext ctx{agent, spec, options, agent.metadata->name.value_or(""),
                   agent.metadata->namespace_.value_or("default")};
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

Combined render_all(const std::vector<api::LambdaAgent>& agents, const RenderOptions& options) {
  namespace json = boost::json;
  Combined combined;
  struct SharedEntry {
    std::size_t index;
    std::string first_agent;
  };
  std::map<std::string, SharedEntry> shared;
  for (const auto& agent : agents) {
    std::string agent_name = agent.metadata->name.value_or("");
    for (auto& object : render(agent, options)) {
      const json::object& meta = object.at("metadata").as_object();
      const json::value* labels = meta.if_contains("labels");
      bool is_shared = labels && labels->as_object().contains(kSharedLabel);
      if (!is_shared) {
        combined.objects.push_back(std::move(object));
        continue;
      }
      std::string key = common::to_json(json::array{object.at("apiVersion"), object.at("kind"),
                                                    meta.at("namespace"), meta.at("name")},
                                        false);
      auto [it, inserted] =
          shared.try_emplace(key, SharedEntry{combined.objects.size(), agent_name});
      if (inserted) {
        combined.objects.push_back(std::move(object));
        continue;
      }
      json::value& existing = combined.objects[it->second.index];
      if (existing.at("spec") != object.at("spec")) {
        combined.conflicts.push_back(fmt::format(
            "{} {}/{}: agents \"{}\" and \"{}\" want different specs for this shared object; make "
            "their "
            "spec.eventing settings agree or use different brokerName values",
            std::string_view(object.at("kind").as_string()),
            std::string_view(meta.at("namespace").as_string()),
            std::string_view(meta.at("name").as_string()), it->second.first_agent, agent_name));
        continue;
      }
      if (const json::value* owners = meta.if_contains("ownerReferences")) {
        json::object& existing_meta = existing.at("metadata").as_object();
        json::value& merged = existing_meta["ownerReferences"];
        if (!merged.is_array()) merged.emplace_array();
        for (const auto& owner : owners->as_array()) merged.as_array().push_back(owner);
      }
    }
  }
  return combined;
}

}  // namespace lambda::render
