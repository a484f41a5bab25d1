// Helpers shared by the renderers of each kind of child (internal to the render layer).
#pragma once

#include <boost/json.hpp>
#include <string>
#include <string_view>

#include "api/lambda_agent.h"
#include "render/render.h"

namespace lambda::render::internal {

namespace json = boost::json;

// What every renderer needs to know about the agent, computed once.
struct AgentContext {
  const api::LambdaAgent& agent;
  const api::LambdaAgentSpec& spec;
  const RenderOptions& options;
  std::string name;
  std::string ns;
  bool sidecar_enabled = false;
  bool eventing_enabled = false;
  bool metrics_enabled = false;
};

// A name of at most 63 characters: base-suffix, or a cut base with a hash of the whole.
std::string bounded_name(std::string_view base, std::string_view suffix);
// 64-bit FNV-1a as 16 hex digits: stable across platforms and releases.
std::string stable_hash(std::string_view text);

// Standard labels (app.kubernetes.io/*) of an agent's own child, plus the agent's labels.
json::object agent_labels(const AgentContext& ctx, std::string_view component);
// Labels of an object shared by the namespace's agents.
json::object shared_labels(std::string_view component);
// metadata with name, namespace, labels and, when the agent has a uid, its owner reference
// (controller for the agent's own children, plain owner for shared ones).
json::object object_meta(const AgentContext& ctx, std::string_view name, json::object labels,
                         bool controller);

json::value render_config_map(const AgentContext& ctx);
json::value render_knative_service(const AgentContext& ctx, std::string_view config_hash);
json::value render_metrics_service(const AgentContext& ctx);
json::value render_service_monitor(const AgentContext& ctx);
void render_eventing(const AgentContext& ctx, json::array& out);

}  // namespace lambda::render::internal
