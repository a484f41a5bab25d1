// Defaulting of LambdaAgents: one function, apply_defaults, fills every field that has a
// default. Static defaults live in the field declarations (lambda_agent_fields.h) and are also
// published in the CRD schema; defaults that depend on other fields (the endpoint of a provider,
// the event source from the agent's name) are computed here. docs/reference/defaults.md is
// generated from the same declarations (reference_docs.h), and a test keeps it current.
//
// Defaulting is idempotent: apply_defaults(apply_defaults(x)) == apply_defaults(x).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "api/lambda_agent.h"

namespace lambda::api {

// Ports inside the agent's pod. Knative's queue-proxy shares the pod network and reserves
// 8012, 8013, 8022, 9090, 9091 and 8008; the user container serves on 8080 (Knative's PORT).
inline constexpr std::int32_t kUserContainerPort = 8080;
inline constexpr std::int32_t kDefaultSidecarPort = 8181;
// 9464 is the port OpenTelemetry's Prometheus exporters use by convention.
inline constexpr std::int32_t kDefaultMetricsPort = 9464;
inline constexpr std::int32_t kKnativeReservedPorts[] = {8012, 8013, 8022, 9090, 9091, 8008};

inline constexpr std::string_view kDefaultBrokerName = "lambda-broker";
// The Kubernetes HPA's default scale-down stabilization window (5 minutes).
inline constexpr std::int64_t kHpaScaleDownStabilizationNs = 300'000'000'000;
inline constexpr std::string_view kDefaultOllamaEndpoint =
    "http://ollama.ollama.svc.cluster.local:11434";
inline constexpr std::string_view kDefaultOpenAiEndpoint = "https://api.openai.com/v1";
inline constexpr std::string_view kDefaultAnthropicEndpoint = "https://api.anthropic.com";
// The Anthropic Messages API requires max_tokens; other providers default it themselves.
inline constexpr std::int32_t kDefaultAnthropicMaxTokens = 4096;

bool is_knative_reserved_port(std::int32_t port);

// Fills defaults in place. Fields already set are never changed.
void apply_defaults(LambdaAgent& agent);

// The endpoint a provider is reached at when spec.ai.endpoint is not set; empty for "local",
// which has no conventional address.
std::string_view default_endpoint(std::string_view provider);

}  // namespace lambda::api
