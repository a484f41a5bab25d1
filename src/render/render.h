// render: LambdaAgent -> the Kubernetes objects the operator applies. A pure, deterministic
// function (no clock, no network, no randomness): the same agent and options always give the
// same objects in the same order, which is what golden tests and `lambdactl render` rely on.
//
// The objects follow PLATFORM_FACTS.md: autoscaling annotations on the revision template, one
// declared port, probes only on the serving container, Triggers with exact-match attribute
// filters (what the RabbitMQ broker implements), delivery with a dead-letter sink that is itself
// rendered, and cross-namespace route targets by URI.
//
// Thread-safety: pure functions.
#pragma once

#include <boost/json/value.hpp>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "api/lambda_agent.h"

namespace lambda::render {

struct RenderOptions {
  // The lambda-agent image: the AI sidecar and the per-namespace dead-letter sink.
  std::string agent_image = "ghcr.io/lambda-agent/lambda-agent:0.1.0";
  std::string cluster_domain = "cluster.local";
  std::string field_manager = "lambda-operator";
};

// Labels that mark every object rendered for an agent; the operator prunes by them.
inline constexpr std::string_view kAgentLabel = "lambda.knative.io/agent";
// Objects shared by the agents of a namespace (broker, its config, dead-letter sink).
inline constexpr std::string_view kSharedLabel = "lambda.knative.io/shared";
inline constexpr std::string_view kConfigHashAnnotation = "lambda.knative.io/config-hash";
inline constexpr std::string_view kSourcePrefixAnnotation = "lambda.knative.io/source-prefix";
inline constexpr std::string_view kAgentContainerName = "agent";
inline constexpr std::string_view kSidecarContainerName = "lambda-agent";
inline constexpr std::string_view kConfigFileName = "agent.yaml";
inline constexpr std::string_view kConfigMountPath = "/etc/lambda-agent";

// Renders a defaulted, valid agent (api::check_agent gives one). Objects come in apply order:
// ConfigMap, Knative Service, metrics Service, ServiceMonitor, then the shared eventing objects
// (RabbitmqBrokerConfig, Broker, dead-letter sink) and the agent's Triggers.
std::vector<boost::json::value> render(const api::LambdaAgent& agent,
                                       const RenderOptions& options = {});

// Renders several agents into one list, as `lambdactl render` of a multi-agent file or the
// operator's view of a namespace needs: objects shared by a namespace's agents (the broker, its
// config, the dead-letter sink) appear once, with every agent's owner reference. Two agents that
// want different shared objects (say, brokers on different RabbitMQ clusters) are a conflict,
// reported as an error that names both agents and the object.
struct Combined {
  std::vector<boost::json::value> objects;
  std::vector<std::string> conflicts;
};
Combined render_all(const std::vector<api::LambdaAgent>& agents, const RenderOptions& options = {});

// Names of the agent's children, within Kubernetes' 63-character limit (a hash keeps long names
// unique).
std::string config_map_name(std::string_view agent_name);
std::string metrics_service_name(std::string_view agent_name);
std::string dead_letter_sink_name(std::string_view broker_name);
std::string broker_config_name(std::string_view broker_name);

// Where CloudEvents are POSTed: the RabbitMQ broker's ingress Service.
std::string broker_ingress_url(std::string_view broker, std::string_view ns,
                               std::string_view cluster_domain);

// The image reference deployed: repository[:tag][@digest].
std::string image_reference(const api::ImageSpec& image);

}  // namespace lambda::render
