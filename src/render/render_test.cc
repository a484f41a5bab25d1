#include "render/render.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "api/test_util.h"
#include "api/validation.h"
#include "common/json_yaml.h"

namespace lambda::render {
namespace {

namespace json = boost::json;
using lambda::testing::project_path;
using lambda::testing::read_project_file;
using lambda::testing::yaml;

std::string_view str(const json::value& v) {
  return v.is_string() ? std::string_view(v.get_string().data(), v.get_string().size())
                       : std::string_view();
}

api::LambdaAgent checked(const json::value& document) {
  api::CheckedAgent c = api::check_agent(document);
  EXPECT_TRUE(c.ok()) << c.errors.to_string();
  return c.agent;
}

api::LambdaAgent example(const std::string& name) {
  auto document = common::parse_yaml(read_project_file("examples/" + name + ".yaml"));
  EXPECT_TRUE(document.has_value());
  return checked(document ? *document : json::value());
}

const json::value* find(const std::vector<json::value>& objects, std::string_view kind,
                        std::string_view name) {
  for (const auto& o : objects)
    if (str(o.at("kind")) == kind && str(o.at("metadata").at("name")) == name) return &o;
  return nullptr;
}

std::string env_value(const json::value& container, std::string_view name) {
  for (const auto& e : container.at("env").as_array())
    if (str(e.at("name")) == name)
      return e.as_object().contains("value") ? std::string(e.at("value").as_string()) : "<ref>";
  return "<unset>";
}

// Golden files: testdata/golden/<example>.yaml is `lambdactl render -f examples/<example>.yaml`.
// Regenerate all with scripts/update-golden.sh and review the diff.
class Golden : public ::testing::TestWithParam<std::string> {};

TEST_P(Golden, RenderMatchesCommittedFile) {
  std::string name = GetParam();
  std::string rendered = common::to_yaml_documents(render(example(name)));
  std::string path = "testdata/golden/" + name + ".yaml";
  if (std::getenv("LAMBDA_UPDATE_GOLDEN")) {
    std::ofstream(project_path(path), std::ios::binary) << rendered;
    GTEST_SKIP() << "updated " << path;
  }
  EXPECT_EQ(read_project_file(path), rendered)
      << path << " differs: run scripts/update-golden.sh and review the diff";
}

std::vector<std::string> example_names() {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(project_path("examples")))
    if (entry.path().extension() == ".yaml") names.push_back(entry.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

INSTANTIATE_TEST_SUITE_P(Examples, Golden, ::testing::ValuesIn(example_names()),
                         [](const auto& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

TEST(Render, IsDeterministic) {
  api::LambdaAgent agent = example("agent-bruno");
  EXPECT_EQ(common::to_yaml_documents(render(agent)), common::to_yaml_documents(render(agent)));
}

TEST(Render, AdrExampleProducesEveryChild) {
  auto objects = render(example("agent-bruno"));
  ASSERT_NE(find(objects, "ConfigMap", "agent-bruno-lambda-agent"), nullptr);
  ASSERT_NE(find(objects, "Service", "agent-bruno"), nullptr);
  ASSERT_NE(find(objects, "Service", "agent-bruno-metrics"), nullptr);
  ASSERT_NE(find(objects, "ServiceMonitor", "agent-bruno"), nullptr);
  ASSERT_NE(find(objects, "RabbitmqBrokerConfig", "lambda-broker-config"), nullptr);
  ASSERT_NE(find(objects, "Broker", "lambda-broker"), nullptr);
  ASSERT_NE(find(objects, "Service", "lambda-broker-dlq"), nullptr)
      << "the dead-letter sink must exist";
  int triggers = 0;
  for (const auto& o : objects) triggers += o.at("kind") == "Trigger";
  EXPECT_EQ(triggers, 5) << "3 subscriptions + 2 routes";
}

TEST(Render, KnativeServiceFollowsThePlatform) {
  auto objects = render(example("agent-bruno"));
  const json::value& ksvc = *find(objects, "Service", "agent-bruno");
  EXPECT_EQ(ksvc.at("apiVersion"), "serving.knative.dev/v1");
  const json::value& annotations = ksvc.at("spec").at("template").at("metadata").at("annotations");
  EXPECT_EQ(annotations.at("autoscaling.knative.dev/min-scale"), "1");
  EXPECT_EQ(annotations.at("autoscaling.knative.dev/max-scale"), "5");
  // The ADR's prometheus metric selects the HPA class; scaleDownDelay becomes its window.
  EXPECT_EQ(annotations.at("autoscaling.knative.dev/class"), "hpa.autoscaling.knative.dev");
  EXPECT_EQ(annotations.at("autoscaling.knative.dev/metric"), "agent_active_conversations");
  EXPECT_EQ(annotations.at("autoscaling.knative.dev/target"), "50");
  // scaleDownDelay 5m is the HPA's own scale-down delay; Knative's window would slow scale-up.
  EXPECT_FALSE(annotations.as_object().contains("autoscaling.knative.dev/window"));
  EXPECT_FALSE(annotations.as_object().contains("autoscaling.knative.dev/scale-down-delay"));
  EXPECT_FALSE(ksvc.at("metadata").as_object().contains("annotations"))
      << "autoscaling belongs on the template";
  const json::value& pod = ksvc.at("spec").at("template").at("spec");
  EXPECT_EQ(pod.at("containerConcurrency"), 10);
  int declared_ports = 0;
  for (const auto& c : pod.at("containers").as_array()) {
    if (c.as_object().contains("ports"))
      declared_ports += static_cast<int>(c.at("ports").as_array().size());
    if (c.at("name") != "agent") {
      EXPECT_FALSE(c.as_object().contains("readinessProbe")) << "probe on a sidecar";
    }
    EXPECT_EQ(env_value(c, "PORT"), "<unset>");
  }
  EXPECT_EQ(declared_ports, 1);
  const json::value& agent = pod.at("containers").at(0);
  EXPECT_EQ(agent.at("image"), "localhost:5001/agent-bruno/chatbot:0.1.0");
  EXPECT_EQ(agent.at("readinessProbe").at("httpGet").at("path"), "/health");
  EXPECT_EQ(agent.at("readinessProbe").at("periodSeconds"), 10);
  EXPECT_EQ(env_value(agent, "OLLAMA_URL"), "http://127.0.0.1:8181");
  EXPECT_EQ(env_value(agent, "OPENAI_BASE_URL"), "http://127.0.0.1:8181/v1");
  EXPECT_EQ(env_value(agent, "AI_MODEL"), "llama3.2:3b");
  EXPECT_EQ(env_value(agent, "AI_FALLBACK_MODEL"), "llama3.2:1b");
  EXPECT_EQ(env_value(agent, "K_SINK"),
            "http://lambda-broker-broker-ingress.agent-bruno.svc.cluster.local");
  EXPECT_EQ(env_value(agent, "OTEL_EXPORTER_OTLP_ENDPOINT"), "http://alloy.observability.svc:4317");
  EXPECT_EQ(env_value(agent, "OTEL_EXPORTER_OTLP_PROTOCOL"), "grpc");
  EXPECT_EQ(env_value(agent, "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"), "false");
  EXPECT_EQ(env_value(agent, "EMIT_EVENTS"), "true");
  EXPECT_EQ(env_value(agent, "LAMBDA_SUBSCRIPTIONS"),
            R"([{"type":"io.homelab.vuln.found","source":"/agent-contracts/*"},)"
            R"({"type":"io.homelab.exploit.validated","source":"/agent-contracts/*"},)"
            R"({"type":"io.homelab.alert.fired","source":"/alertmanager/*"}])");
  const json::value& sidecar = pod.at("containers").at(1);
  EXPECT_EQ(env_value(sidecar, "METRICS_PORT"), "9464") << "the remapped port, not 9090";
  EXPECT_EQ(env_value(agent, "METRICS_PORT"), "<unset>") << "the sidecar serves the metrics";
  for (const auto& c : pod.at("containers").as_array())
    for (int reserved : {8012, 8013, 8022, 9090, 9091, 8008}) {
      std::string text = common::to_json(c, false);
      EXPECT_EQ(text.find("\"containerPort\":" + std::to_string(reserved)), std::string::npos);
    }
}

TEST(Render, SubscriptionsWithWildcardSourcesFilterOnTypeAndCarryThePrefix) {
  auto objects = render(example("agent-bruno"));
  int subscriptions = 0;
  for (const auto& o : objects) {
    if (o.at("kind") != "Trigger" ||
        o.at("metadata").at("labels").at("app.kubernetes.io/component") != "subscription")
      continue;
    ++subscriptions;
    const json::value& filter = o.at("spec").at("filter").at("attributes");
    EXPECT_FALSE(filter.as_object().contains("source")) << "RabbitMQ cannot filter a prefix";
    EXPECT_EQ(o.at("metadata").at("annotations").at(kSourcePrefixAnnotation).as_string().back(),
              '*');
    EXPECT_EQ(o.at("spec").at("subscriber").at("ref").at("name"), "agent-bruno");
    EXPECT_EQ(o.at("spec").at("delivery").at("retry"), 3);
    EXPECT_EQ(o.at("spec").at("delivery").at("backoffDelay"), "PT1S");
    EXPECT_EQ(o.at("spec").at("delivery").at("deadLetterSink").at("ref").at("name"),
              "lambda-broker-dlq");
    EXPECT_LE(o.at("metadata").at("name").as_string().size(), 63u);
  }
  EXPECT_EQ(subscriptions, 3);
}

TEST(Render, RoutesReachOtherNamespacesByUriAndFilterOnTheAgentsSource) {
  auto objects = render(example("agent-bruno"));
  std::set<std::string> uris;
  for (const auto& o : objects) {
    if (o.at("kind") != "Trigger" ||
        o.at("metadata").at("labels").at("app.kubernetes.io/component") != "route")
      continue;
    uris.insert(std::string(o.at("spec").at("subscriber").at("uri").as_string()));
    EXPECT_EQ(o.at("spec").at("filter").at("attributes").at("source"), "/agent-bruno/chatbot");
    EXPECT_EQ(o.at("spec").at("broker"), "lambda-broker");
  }
  EXPECT_EQ(uris, (std::set<std::string>{"http://vuln-scanner.agent-contracts.svc.cluster.local",
                                         "http://homepage-api.homepage.svc.cluster.local"}));
}

TEST(Render, SameTypeSubscriptionsNeverDeliverTwice) {
  auto objects = render(checked(yaml(R"(
apiVersion: lambda.knative.io/v1alpha1
kind: LambdaAgent
metadata: {name: a, namespace: ns}
spec:
  image: {repository: r, tag: "1"}
  ai: {model: m}
  eventing:
    rabbitmq: {clusterName: rmq}
    subscriptions:
    - {eventType: x.y, source: /a/*}
    - {eventType: x.y, source: /b/exact}
    - {eventType: z.w, source: /c/one}
    - {eventType: z.w, source: /c/two}
)")));
  std::vector<std::string> filters;
  for (const auto& o : objects)
    if (o.at("kind") == "Trigger")
      filters.push_back(common::to_json(o.at("spec").at("filter"), false));
  EXPECT_EQ(filters.size(), 3u);
  EXPECT_NE(std::find(filters.begin(), filters.end(), R"({"attributes":{"type":"x.y"}})"),
            filters.end());
}

TEST(Render, TracingOffDisablesOnlyTraces) {
  auto objects = render(example("minimal"));
  const json::value& agent = find(objects, "Service", "hello-agent")
                                 ->at("spec")
                                 .at("template")
                                 .at("spec")
                                 .at("containers")
                                 .at(0);
  EXPECT_EQ(env_value(agent, "OTEL_TRACES_EXPORTER"), "none");
  EXPECT_EQ(env_value(agent, "OTEL_SDK_DISABLED"), "<unset>") << "it would silence metrics too";
}

TEST(Render, SidecarConfigCarriesNoAppEnvironment) {
  auto objects = render(example("agent-bruno"));
  std::string config(find(objects, "ConfigMap", "agent-bruno-lambda-agent")
                         ->at("data")
                         .at("agent.yaml")
                         .as_string());
  EXPECT_EQ(config.find("EMIT_EVENTS"), std::string::npos) << config;
  EXPECT_EQ(config.find("envFrom"), std::string::npos) << config;
}

TEST(Render, OwnerReferencesNeedTheAgentsUid) {
  api::LambdaAgent agent = example("agent-bruno");
  for (const auto& o : render(agent))
    EXPECT_FALSE(o.at("metadata").as_object().contains("ownerReferences"));
  agent.metadata->uid = "0b9f4c1e-8a55-4f5b-9d0e-3c2d1e0f9a77";
  for (const auto& o : render(agent)) {
    const json::value& owner = o.at("metadata").at("ownerReferences").at(0);
    EXPECT_EQ(owner.at("uid"), "0b9f4c1e-8a55-4f5b-9d0e-3c2d1e0f9a77");
    bool shared = o.at("metadata").at("labels").as_object().contains(kSharedLabel);
    EXPECT_EQ(owner.as_object().contains("controller"), !shared) << common::to_json(o, false);
  }
}

TEST(Render, SidecarOffPointsTheSdksAtTheProviderWithTheKeyFromTheSecret) {
  auto objects = render(checked(yaml(R"(
apiVersion: lambda.knative.io/v1alpha1
kind: LambdaAgent
metadata: {name: a}
spec:
  image: {repository: r, tag: "1"}
  ai: {provider: anthropic, model: claude, apiKeySecret: {name: keys, key: anthropic}}
  sidecar: {enabled: false}
)")));
  const json::value& pod = find(objects, "Service", "a")->at("spec").at("template").at("spec");
  ASSERT_EQ(pod.at("containers").as_array().size(), 1u);
  const json::value& agent = pod.at("containers").at(0);
  EXPECT_EQ(env_value(agent, "ANTHROPIC_BASE_URL"), "https://api.anthropic.com");
  EXPECT_EQ(env_value(agent, "ANTHROPIC_API_KEY"), "<ref>");
  EXPECT_EQ(env_value(agent, "OLLAMA_URL"), "<unset>");
  EXPECT_EQ(env_value(agent, "AI_MAX_TOKENS"), "4096");
}

TEST(Render, SidecarOnKeepsTheRealKeyOutOfTheAppContainer) {
  auto objects = render(checked(yaml(R"(
apiVersion: lambda.knative.io/v1alpha1
kind: LambdaAgent
metadata: {name: a}
spec:
  image: {repository: r, tag: "1"}
  ai: {provider: openai, model: gpt-4o-mini, apiKeySecret: {name: keys, key: openai}}
)")));
  const json::value& pod = find(objects, "Service", "a")->at("spec").at("template").at("spec");
  const json::value& agent = pod.at("containers").at(0);
  EXPECT_EQ(env_value(agent, "OPENAI_API_KEY"), "lambda-agent-sidecar");
  EXPECT_EQ(common::to_json(agent, false).find("secretKeyRef"), std::string::npos);
  const json::value& sidecar = pod.at("containers").at(1);
  EXPECT_EQ(env_value(sidecar, "AI_API_KEY"), "<ref>");
}

TEST(Render, UserEnvReplacesTheOperatorsValue) {
  auto objects = render(checked(yaml(R"(
apiVersion: lambda.knative.io/v1alpha1
kind: LambdaAgent
metadata: {name: a}
spec:
  image: {repository: r, tag: "1"}
  ai: {model: m}
  env: [{name: LOG_LEVEL, value: debug}, {name: EXTRA, value: "1"}]
)")));
  const json::value& agent =
      find(objects, "Service", "a")->at("spec").at("template").at("spec").at("containers").at(0);
  EXPECT_EQ(env_value(agent, "LOG_LEVEL"), "debug");
  EXPECT_EQ(env_value(agent, "EXTRA"), "1");
  int count = 0;
  for (const auto& e : agent.at("env").as_array()) count += e.at("name") == "LOG_LEVEL";
  EXPECT_EQ(count, 1);
}

TEST(Render, LongNamesStayWithinKubernetesLimits) {
  std::string name(63, 'a');
  auto objects = render(checked(
      yaml("apiVersion: lambda.knative.io/v1alpha1\nkind: LambdaAgent\nmetadata: {name: " + name +
           "}\nspec: {image: {repository: r, tag: '1'}, ai: {model: m}, eventing: {rabbitmq: "
           "{clusterName: c}, subscriptions: [{eventType: "
           "a.very.long.event.type.name.that.goes.on}]}}")));
  std::set<std::string> names;
  for (const auto& o : objects) {
    std::string n(o.at("metadata").at("name").as_string());
    EXPECT_LE(n.size(), 63u) << n;
    EXPECT_NE(n.back(), '-') << n;
    names.insert(std::string(o.at("kind").as_string()) + "/" + n);
  }
  EXPECT_EQ(names.size(), objects.size());
}

TEST(RenderAll, SharedBrokerAppearsOnceWithEveryOwner) {
  auto agent = [](std::string name, std::string uid, std::string cluster) {
    api::LambdaAgent a = checked(
        yaml("apiVersion: lambda.knative.io/v1alpha1\nkind: LambdaAgent\nmetadata: {name: " + name +
             ", namespace: ns, uid: " + uid +
             "}\nspec: {image: {repository: r, tag: '1'}, ai: "
             "{model: m}, eventing: {rabbitmq: {clusterName: " +
             cluster + "}, subscriptions: [{eventType: a.b}]}}"));
    return a;
  };
  Combined combined = render_all({agent("one", "u1", "rmq"), agent("two", "u2", "rmq")});
  EXPECT_TRUE(combined.conflicts.empty());
  int brokers = 0;
  for (const auto& o : combined.objects) {
    if (str(o.at("kind")) != "Broker") continue;
    ++brokers;
    EXPECT_EQ(o.at("metadata").at("ownerReferences").as_array().size(), 2u);
  }
  EXPECT_EQ(brokers, 1);
  const json::value* sink = find(combined.objects, "Service", "lambda-broker-dlq");
  ASSERT_NE(sink, nullptr);
  EXPECT_EQ(sink->at("metadata").at("ownerReferences").as_array().size(), 2u);
}

TEST(RenderAll, DifferentBrokerWishesAreAConflictNamingBothAgents) {
  auto agent = [](std::string name, std::string cluster) {
    return checked(
        yaml("apiVersion: lambda.knative.io/v1alpha1\nkind: LambdaAgent\nmetadata: {name: " + name +
             ", namespace: ns}\nspec: {image: {repository: r, tag: '1'}, ai: {model: m}, eventing: "
             "{rabbitmq: {clusterName: " +
             cluster + "}}}"));
  };
  Combined combined = render_all({agent("one", "rmq-a"), agent("two", "rmq-b")});
  ASSERT_EQ(combined.conflicts.size(), 1u);
  EXPECT_NE(combined.conflicts[0].find(
                "RabbitmqBrokerConfig ns/lambda-broker-config: agents \"one\" and \"two\""),
            std::string::npos)
      << combined.conflicts[0];
}

}  // namespace
}  // namespace lambda::render
