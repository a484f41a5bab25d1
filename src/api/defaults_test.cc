#include "api/defaults.h"

#include <gtest/gtest.h>

#include "api/codec.h"
#include "api/test_util.h"

namespace lambda::api {
namespace {

using lambda::testing::yaml;

LambdaAgent defaulted(std::string_view text) {
  LambdaAgent agent;
  ErrorList errors = decode(yaml(text), agent);
  EXPECT_TRUE(errors.empty()) << errors.to_string();
  apply_defaults(agent);
  return agent;
}

constexpr std::string_view kMinimal = R"(
apiVersion: lambda.knative.io/v1alpha1
kind: LambdaAgent
metadata: {name: hello}
spec:
  image: {repository: ghcr.io/x/hello, tag: "1.0"}
  ai: {model: llama3.2:3b}
)";

TEST(Defaults, MinimalAgentGetsOllamaWarmReplicaSidecarAndMetrics) {
  LambdaAgent agent = defaulted(kMinimal);
  const LambdaAgentSpec& spec = *agent.spec;
  EXPECT_EQ(agent.metadata->namespace_, "default");
  EXPECT_EQ(spec.ai->provider, "ollama");
  EXPECT_EQ(spec.ai->endpoint, "http://ollama.ollama.svc.cluster.local:11434");
  EXPECT_EQ(spec.ai->max_context_messages, 20);
  EXPECT_FALSE(spec.ai->temperature.has_value()) << "unset means the provider's own default";
  EXPECT_EQ(spec.image->pull_policy, "IfNotPresent");
  EXPECT_EQ(spec.scaling->min_replicas, 1);
  EXPECT_EQ(spec.scaling->container_concurrency, 0);
  EXPECT_EQ(spec.behavior->conversation_ttl->text(), "1h");
  EXPECT_EQ(spec.behavior->max_concurrent_conversations, 100);
  EXPECT_EQ(spec.behavior->emit_events, false);
  EXPECT_FALSE(spec.behavior->health_check.has_value()) << "no block: Knative's TCP probe";
  EXPECT_EQ(spec.sidecar->enabled, true);
  EXPECT_EQ(spec.sidecar->port, kDefaultSidecarPort);
  EXPECT_EQ(spec.observability->metrics->enabled, true);
  EXPECT_EQ(spec.observability->metrics->port, kDefaultMetricsPort);
  EXPECT_EQ(spec.observability->metrics->path, "/metrics");
  EXPECT_EQ(spec.observability->metrics->ai_metrics->enabled, true);
  EXPECT_FALSE(spec.observability->tracing.has_value());
  EXPECT_EQ(spec.observability->logging->level, "info");
  EXPECT_EQ(spec.observability->logging->format, "json");
  EXPECT_FALSE(spec.eventing.has_value()) << "no eventing block: no broker";
}

TEST(Defaults, LatestOrMissingTagPullsAlways) {
  LambdaAgent agent =
      defaulted("metadata: {name: a}\nspec: {image: {repository: r}, ai: {model: m}}");
  EXPECT_EQ(agent.spec->image->pull_policy, "Always");
  agent = defaulted(
      "metadata: {name: a}\nspec: {image: {repository: r, tag: latest, digest: 'sha256:00'}, ai: "
      "{model: m}}");
  EXPECT_EQ(agent.spec->image->pull_policy, "IfNotPresent");
}

TEST(Defaults, ProviderChoosesEndpointAndAnthropicGetsMaxTokens) {
  LambdaAgent agent = defaulted("metadata: {name: a}\nspec: {ai: {provider: anthropic, model: m}}");
  EXPECT_EQ(agent.spec->ai->endpoint, "https://api.anthropic.com");
  EXPECT_EQ(agent.spec->ai->max_tokens, kDefaultAnthropicMaxTokens);
  agent = defaulted("metadata: {name: a}\nspec: {ai: {provider: openai, model: m}}");
  EXPECT_EQ(agent.spec->ai->endpoint, "https://api.openai.com/v1");
  EXPECT_FALSE(agent.spec->ai->max_tokens.has_value());
  agent = defaulted("metadata: {name: a}\nspec: {ai: {provider: local, model: m}}");
  EXPECT_FALSE(agent.spec->ai->endpoint.has_value());
}

TEST(Defaults, EventingBlockGetsBrokerSourceDlqAndEmitsEvents) {
  LambdaAgent agent = defaulted(R"(
metadata: {name: bruno, namespace: agents}
spec:
  ai: {model: m}
  eventing:
    rabbitmq: {clusterName: rmq}
    routing: [{intent: security, eventType: a.b, target: {service: scanner}}]
)");
  const EventingSpec& eventing = *agent.spec->eventing;
  EXPECT_EQ(eventing.enabled, true);
  EXPECT_EQ(eventing.broker_name, "lambda-broker");
  EXPECT_EQ(eventing.event_source, "/agents/bruno");
  EXPECT_EQ(eventing.rabbitmq->namespace_, "agents");
  EXPECT_EQ(eventing.rabbitmq->queue_type, "quorum");
  EXPECT_EQ((*eventing.routing)[0].target->namespace_, "agents");
  EXPECT_EQ(eventing.dlq->enabled, true);
  EXPECT_EQ(eventing.dlq->retry_max_attempts, 3);
  EXPECT_EQ(eventing.dlq->retry_backoff_delay->text(), "PT1S");
  EXPECT_EQ(eventing.dlq->backoff_policy, "exponential");
  EXPECT_EQ(agent.spec->behavior->emit_events, true);
}

TEST(Defaults, HealthCheckBlockGetsPathAndInterval) {
  LambdaAgent agent =
      defaulted("metadata: {name: a}\nspec: {ai: {model: m}, behavior: {healthCheck: {}}}");
  EXPECT_EQ(agent.spec->behavior->health_check->enabled, true);
  EXPECT_EQ(agent.spec->behavior->health_check->path, "/health");
  EXPECT_EQ(agent.spec->behavior->health_check->interval->text(), "10s");
}

TEST(Defaults, NeverOverwritesWhatTheUserSet) {
  LambdaAgent agent = defaulted(R"(
metadata: {name: a, namespace: ns}
spec:
  ai: {model: m, provider: openai, endpoint: "http://vllm:8000/v1", maxContextMessages: 3}
  scaling: {minReplicas: 0}
  sidecar: {enabled: false}
)");
  EXPECT_EQ(agent.spec->ai->endpoint, "http://vllm:8000/v1");
  EXPECT_EQ(agent.spec->ai->max_context_messages, 3);
  EXPECT_EQ(agent.spec->scaling->min_replicas, 0);
  EXPECT_EQ(agent.spec->sidecar->enabled, false);
}

TEST(Defaults, AreIdempotent) {
  LambdaAgent once = defaulted(lambda::testing::read_project_file("examples/agent-bruno.yaml"));
  LambdaAgent twice = once;
  apply_defaults(twice);
  EXPECT_EQ(once, twice);
  EXPECT_EQ(encode(once), encode(twice));
}

TEST(Defaults, ReservedPortsAreKnatives) {
  for (int port : {8012, 8013, 8022, 9090, 9091, 8008})
    EXPECT_TRUE(is_knative_reserved_port(port)) << port;
  EXPECT_FALSE(is_knative_reserved_port(kDefaultMetricsPort));
  EXPECT_FALSE(is_knative_reserved_port(kDefaultSidecarPort));
}

}  // namespace
}  // namespace lambda::api
