// The platform simulator against the embedded API server, both real, over HTTPS on loopback: the
// upstream CRDs become served, the golden render of agent-bruno becomes Ready with the addresses
// Knative and eventing-rabbitmq report, failures and generations show in status, a steady cluster
// causes no writes, and a watch that expires is listed again.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <thread>

#include "apiserver/api_server.h"
#include "apiserver/simulator.h"
#include "common/json_yaml.h"
#include "kube/client.h"
#include "kube/config.h"

namespace lambda {
namespace {
namespace json = boost::json;
using kube::ResourceRef;
using namespace std::chrono_literals;

const ResourceRef kKnativeServices{"serving.knative.dev", "v1", "services", "Service", true};
const ResourceRef kBrokers{"eventing.knative.dev", "v1", "brokers", "Broker", true};
const ResourceRef kTriggers{"eventing.knative.dev", "v1", "triggers", "Trigger", true};
const ResourceRef kBrokerConfigs{"eventing.knative.dev", "v1alpha1", "rabbitmqbrokerconfigs",
                                 "RabbitmqBrokerConfig", true};
const ResourceRef kServiceMonitors{"monitoring.coreos.com", "v1", "servicemonitors",
                                   "ServiceMonitor", true};
const ResourceRef kConfigMaps{"", "v1", "configmaps", "ConfigMap", true};
const ResourceRef kNamespaces{"", "v1", "namespaces", "Namespace", false};

std::string str(const json::value& v, std::initializer_list<std::string_view> path) {
  const json::value* cur = &v;
  for (auto k : path) {
    if (!cur->is_object() || !cur->get_object().contains(k)) return {};
    cur = &cur->get_object().at(k);
  }
  return cur->is_string() ? std::string(cur->get_string()) : json::serialize(*cur);
}

// status.conditions[type] as {status, reason}; empty when absent.
std::pair<std::string, std::string> condition(const json::value& object, std::string_view type) {
  const auto* s = object.as_object().if_contains("status");
  if (!s || !s->is_object()) return {};
  const auto* cs = s->get_object().if_contains("conditions");
  if (!cs || !cs->is_array()) return {};
  for (const auto& c : cs->get_array())
    if (str(c, {"type"}) == type) return {str(c, {"status"}), str(c, {"reason"})};
  return {};
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string read_source_file(const std::string& relative) {
  return read_text(std::string(LAMBDA_SOURCE_DIR) + "/" + relative);
}

json::value knative_service(const std::string& name, const std::string& ns,
                            const std::string& image = "example.com/app:1") {
  return json::object{
      {"apiVersion", "serving.knative.dev/v1"},
      {"kind", "Service"},
      {"metadata", {{"name", name}, {"namespace", ns}}},
      {"spec",
       {{"template", {{"spec", {{"containers", json::array{json::object{{"image", image}}}}}}}}}}};
}

class SimulatorTest : public ::testing::Test {
 protected:
  void SetUp() override { start(); }
  // The simulator stops before the server it watches.
  void TearDown() override {
    simulator_.reset();
    client_.reset();
    server_.reset();
  }

  void start(apiserver::ApiServerOptions server_options = {},
             apiserver::SimulatorOptions options = {}) {
    simulator_.reset();
    client_.reset();
    server_.reset();
    auto server = apiserver::ApiServer::start(server_options);
    ASSERT_TRUE(server) << server.error();
    server_ = std::move(*server);
    kube::ClientOptions client_options;
    client_options.qps = 0;
    auto client = kube::Client::create(server_->connection(), client_options);
    ASSERT_TRUE(client) << client.error();
    client_ = std::move(*client);
    options.log = [this](std::string_view line) {
      std::lock_guard lock(log_mutex_);
      log_ += std::string(line) + "\n";
    };
    auto simulator = apiserver::PlatformSimulator::start(server_->connection(), options);
    ASSERT_TRUE(simulator) << simulator.error();
    simulator_ = std::move(*simulator);
    ASSERT_TRUE(client_->create(
        kNamespaces, "",
        json::object{
            {"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "agent-bruno"}}}}));
  }

  std::string log() {
    std::lock_guard lock(log_mutex_);
    return log_;
  }

  // Server-side applies every document of the golden render, as the operator will.
  void apply_golden_agent_bruno() {
    auto documents =
        common::parse_yaml_documents(read_source_file("testdata/golden/agent-bruno.yaml"));
    ASSERT_TRUE(documents) << documents.error().to_string();
    ASSERT_GT(documents->size(), 5u);
    for (const auto& object : *documents) {
      auto ref = client_->resource_for(str(object, {"apiVersion"}), str(object, {"kind"}));
      ASSERT_TRUE(ref) << ref.error().message;
      auto applied = client_->apply(*ref, object, "lambda-operator");
      ASSERT_TRUE(applied) << str(object, {"kind"}) << ": " << applied.error().message;
    }
  }

  // Polls `ref ns/name` until `done` holds (or the time is up); returns the last object seen.
  json::value wait_for(const ResourceRef& ref, const std::string& ns, const std::string& name,
                       const std::function<bool(const json::value&)>& done,
                       std::chrono::milliseconds timeout = 10s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    json::value last;
    for (;;) {
      if (auto got = client_->get(ref, ns, name)) {
        last = *got;
        if (done(last)) return last;
      }
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << "timed out waiting for " << ref.kind << " " << ns << "/" << name
                      << "; last seen:\n"
                      << common::to_yaml(last) << "simulator log:\n"
                      << log();
        return last;
      }
      std::this_thread::sleep_for(20ms);
    }
  }

  json::value wait_ready(const ResourceRef& ref, const std::string& ns, const std::string& name,
                         std::string_view status = "True") {
    return wait_for(ref, ns, name, [&](const json::value& o) {
      return condition(o, "Ready").first == status &&
             str(o, {"status", "observedGeneration"}) == str(o, {"metadata", "generation"});
    });
  }

  // Writes the server has answered so far (apiserver_request_total of the write verbs).
  long writes_served() {
    auto metrics = client_->request("GET", "/metrics");
    EXPECT_TRUE(metrics);
    if (!metrics) return -1;
    long total = 0;
    std::istringstream lines(metrics->body);
    for (std::string line; std::getline(lines, line);) {
      if (!line.starts_with("apiserver_request_total{")) continue;
      for (const char* verb :
           {"verb=\"POST\"", "verb=\"PUT\"", "verb=\"PATCH\"", "verb=\"APPLY\"", "verb=\"DELETE\""})
        if (line.find(verb) != std::string::npos)
          total += std::stol(line.substr(line.rfind(' ') + 1));
    }
    return total;
  }

  // Declared first so that they outlive the simulator, which may log until it stops.
  std::mutex log_mutex_;
  std::string log_;
  std::unique_ptr<apiserver::ApiServer> server_;
  std::unique_ptr<kube::Client> client_;
  std::unique_ptr<apiserver::PlatformSimulator> simulator_;
};

TEST_F(SimulatorTest, RegistersTheUpstreamCrdsSoDiscoveryServesTheirKinds) {
  const std::pair<const char*, const char*> kinds[] = {
      {"serving.knative.dev/v1", "Service"},
      {"eventing.knative.dev/v1", "Broker"},
      {"eventing.knative.dev/v1", "Trigger"},
      {"eventing.knative.dev/v1alpha1", "RabbitmqBrokerConfig"},
      {"monitoring.coreos.com/v1", "ServiceMonitor"},
      {"monitoring.coreos.com/v1", "PodMonitor"},
      {"monitoring.coreos.com/v1", "PrometheusRule"},
  };
  const char* plurals[] = {
      "services",        "brokers",     "triggers",       "rabbitmqbrokerconfigs",
      "servicemonitors", "podmonitors", "prometheusrules"};
  for (std::size_t i = 0; i < std::size(kinds); ++i) {
    auto ref = client_->resource_for(kinds[i].first, kinds[i].second);
    ASSERT_TRUE(ref) << kinds[i].second << ": " << ref.error().message;
    EXPECT_EQ(ref->resource, plurals[i]);
    EXPECT_TRUE(ref->namespaced);
  }
  // kubectl's view: the group-version lists are discoverable.
  auto group = client_->request("GET", "/apis/monitoring.coreos.com/v1");
  ASSERT_TRUE(group);
  EXPECT_NE(group->body.find("\"shortNames\":[\"smon\"]"), std::string::npos) << group->body;
}

TEST_F(SimulatorTest, GoldenAgentBrunoBecomesReadyWithTheAddressesKnativeReports) {
  apply_golden_agent_bruno();
  auto ksvc = wait_ready(kKnativeServices, "agent-bruno", "agent-bruno");
  EXPECT_EQ(condition(ksvc, "ConfigurationsReady").first, "True");
  EXPECT_EQ(condition(ksvc, "RoutesReady").first, "True");
  EXPECT_EQ(str(ksvc, {"status", "url"}), "http://agent-bruno.agent-bruno.example.com");
  EXPECT_EQ(str(ksvc, {"status", "address", "url"}),
            "http://agent-bruno.agent-bruno.svc.cluster.local");
  EXPECT_EQ(str(ksvc, {"status", "latestCreatedRevisionName"}), "agent-bruno-00001");
  EXPECT_EQ(str(ksvc, {"status", "latestReadyRevisionName"}), "agent-bruno-00001");
  EXPECT_EQ(str(ksvc, {"status", "traffic"}),
            R"([{"revisionName":"agent-bruno-00001","latestRevision":true,"percent":100}])");
  EXPECT_NE(str(ksvc, {"status", "annotations", apiserver::kSimulatedAnnotation}), "");

  auto broker = wait_ready(kBrokers, "agent-bruno", "lambda-broker");
  for (const char* type : {"ExchangeReady", "DLXReady", "DeadLetterSinkReady", "SecretReady",
                           "IngressReady", "Addressable"})
    EXPECT_EQ(condition(broker, type).first, "True") << type;
  EXPECT_EQ(str(broker, {"status", "address", "url"}),
            "http://lambda-broker-broker-ingress.agent-bruno.svc.cluster.local");
  EXPECT_EQ(str(broker, {"metadata", "annotations", "eventing.knative.dev/broker.class"}),
            "RabbitMQBroker");

  auto subscription =
      wait_ready(kTriggers, "agent-bruno", "agent-bruno-sub-io-homelab-vuln-found-680777");
  for (const char* type : {"BrokerReady", "DependencyReady", "SubscriberResolved",
                           "SubscriptionReady", "DeadLetterSinkResolved"})
    EXPECT_EQ(condition(subscription, type).first, "True") << type;
  EXPECT_EQ(str(subscription, {"status", "subscriberUri"}),
            "http://agent-bruno.agent-bruno.svc.cluster.local");
  EXPECT_EQ(str(subscription, {"status", "deadLetterSinkUri"}),
            "http://lambda-broker-dlq.agent-bruno.svc.cluster.local");
  auto route = wait_ready(kTriggers, "agent-bruno", "agent-bruno-route-security-f16949");
  EXPECT_EQ(str(route, {"status", "subscriberUri"}),
            "http://vuln-scanner.agent-contracts.svc.cluster.local");

  // prometheus-operator and eventing-rabbitmq write no status on these.
  auto monitor = client_->get(kServiceMonitors, "agent-bruno", "agent-bruno");
  ASSERT_TRUE(monitor);
  EXPECT_FALSE(monitor->as_object().contains("status"));
  auto config = client_->get(kBrokerConfigs, "agent-bruno", "lambda-broker-config");
  ASSERT_TRUE(config);
  EXPECT_FALSE(config->as_object().contains("status"));
}

TEST_F(SimulatorTest, ClusterLocalVisibilityGivesTheInClusterUrl) {
  auto ksvc = knative_service("internal", "agent-bruno");
  ksvc.at("metadata").as_object()["labels"] =
      json::object{{"networking.knative.dev/visibility", "cluster-local"}};
  ASSERT_TRUE(client_->create(kKnativeServices, "agent-bruno", ksvc));
  auto ready = wait_ready(kKnativeServices, "agent-bruno", "internal");
  EXPECT_EQ(str(ready, {"status", "url"}), "http://internal.agent-bruno.svc.cluster.local");
}

TEST_F(SimulatorTest, FailAnnotationMakesReadyFalseWithItsReason) {
  auto ksvc = knative_service("broken", "agent-bruno");
  ksvc.at("metadata").as_object()["annotations"] = json::object{
      {apiserver::kFailAnnotation, "ContainerMissing"},
      {apiserver::kFailMessageAnnotation, "Unable to fetch image \"example.com/app:1\""}};
  ASSERT_TRUE(client_->create(kKnativeServices, "agent-bruno", ksvc));
  auto failed = wait_ready(kKnativeServices, "agent-bruno", "broken", "False");
  EXPECT_EQ(condition(failed, "Ready").second, "ContainerMissing");
  EXPECT_EQ(condition(failed, "ConfigurationsReady"),
            std::make_pair(std::string("False"), std::string("ContainerMissing")));
  EXPECT_EQ(str(failed, {"status", "latestCreatedRevisionName"}), "broken-00001");
  EXPECT_EQ(str(failed, {"status", "latestReadyRevisionName"}), "");

  // Removing the annotation heals it (a metadata change: same generation).
  json::value heal = json::object{
      {"metadata",
       {{"annotations",
         {{apiserver::kFailAnnotation, nullptr}, {apiserver::kFailMessageAnnotation, nullptr}}}}}};
  kube::PatchOptions po;
  po.field_manager = "test";
  ASSERT_TRUE(client_->patch(kKnativeServices, "agent-bruno", "broken", kube::PatchType::kJsonMerge,
                             heal, po));
  wait_ready(kKnativeServices, "agent-bruno", "broken");
}

TEST_F(SimulatorTest, AFailedBrokerFailsItsTriggers) {
  apply_golden_agent_bruno();
  wait_ready(kTriggers, "agent-bruno", "agent-bruno-route-status-da99d7");
  json::value fail = json::object{
      {"metadata", {{"annotations", {{apiserver::kFailAnnotation, "ExchangeFailure"}}}}}};
  kube::PatchOptions po;
  po.field_manager = "test";
  ASSERT_TRUE(client_->patch(kBrokers, "agent-bruno", "lambda-broker", kube::PatchType::kJsonMerge,
                             fail, po));
  auto broker = wait_ready(kBrokers, "agent-bruno", "lambda-broker", "False");
  EXPECT_EQ(condition(broker, "Ready").second, "ExchangeFailure");
  EXPECT_FALSE(broker.at("status").as_object().contains("address"));
  auto trigger = wait_ready(kTriggers, "agent-bruno", "agent-bruno-route-status-da99d7", "False");
  EXPECT_EQ(condition(trigger, "BrokerReady"),
            std::make_pair(std::string("False"), std::string("ExchangeFailure")));
}

TEST_F(SimulatorTest, GenerationBumpUpdatesObservedGenerationAndRevisionNames) {
  ASSERT_TRUE(
      client_->create(kKnativeServices, "agent-bruno", knative_service("app", "agent-bruno")));
  auto first = wait_ready(kKnativeServices, "agent-bruno", "app");
  std::string ready_since;
  for (const auto& c : first.at("status").at("conditions").as_array())
    if (str(c, {"type"}) == "Ready") ready_since = str(c, {"lastTransitionTime"});
  ASSERT_TRUE(client_->apply(kKnativeServices,
                             knative_service("app", "agent-bruno", "example.com/app:2"), "test"));
  auto second = wait_for(kKnativeServices, "agent-bruno", "app", [](const json::value& o) {
    return str(o, {"status", "observedGeneration"}) == "2";
  });
  EXPECT_EQ(str(second, {"metadata", "generation"}), "2");
  EXPECT_EQ(condition(second, "Ready").first, "True");
  EXPECT_EQ(str(second, {"status", "latestCreatedRevisionName"}), "app-00002");
  EXPECT_EQ(str(second, {"status", "latestReadyRevisionName"}), "app-00002");
  EXPECT_EQ(str(second, {"status", "traffic"}),
            R"([{"revisionName":"app-00002","latestRevision":true,"percent":100}])");
  // Ready stayed True throughout, so its transition time did not move.
  for (const auto& c : second.at("status").at("conditions").as_array())
    if (str(c, {"type"}) == "Ready") {
      EXPECT_EQ(str(c, {"lastTransitionTime"}), ready_since);
    }
}

TEST_F(SimulatorTest, SteadyClusterCausesNoWrites) {
  apply_golden_agent_bruno();
  for (const char* t : {"agent-bruno-sub-io-homelab-alert-fired-09867b",
                        "agent-bruno-sub-io-homelab-exploit-validated-8f0476",
                        "agent-bruno-sub-io-homelab-vuln-found-680777",
                        "agent-bruno-route-security-f16949", "agent-bruno-route-status-da99d7"})
    wait_ready(kTriggers, "agent-bruno", t);
  wait_ready(kKnativeServices, "agent-bruno", "lambda-broker-dlq");
  std::this_thread::sleep_for(200ms);  // let the watch events of the last writes settle
  long before = writes_served();
  auto versions = [&] {
    std::string all;
    for (const auto* ref : {&kKnativeServices, &kBrokers, &kTriggers}) {
      auto list = client_->list(*ref, "agent-bruno");
      EXPECT_TRUE(list);
      if (list)
        for (const auto& item : list->at("items").as_array())
          all += str(item, {"metadata", "name"}) + "@" +
                 str(item, {"metadata", "resourceVersion"}) + " ";
    }
    return all;
  };
  std::string versions_before = versions();
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(writes_served(), before) << log();
  EXPECT_EQ(versions(), versions_before);
}

TEST_F(SimulatorTest, ReadyDelayKeepsANewGenerationUnknownUntilItPasses) {
  apiserver::SimulatorOptions options;
  options.ready_delay = 800ms;
  start({}, options);
  auto created_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(
      client_->create(kKnativeServices, "agent-bruno", knative_service("slow", "agent-bruno")));
  auto pending = wait_for(kKnativeServices, "agent-bruno", "slow", [](const json::value& o) {
    return !condition(o, "Ready").first.empty();
  });
  EXPECT_EQ(condition(pending, "Ready"),
            std::make_pair(std::string("Unknown"), std::string("RevisionMissing")));
  EXPECT_EQ(str(pending, {"status", "latestCreatedRevisionName"}), "slow-00001");
  EXPECT_FALSE(pending.at("status").as_object().contains("traffic"));
  wait_ready(kKnativeServices, "agent-bruno", "slow");
  EXPECT_GE(std::chrono::steady_clock::now() - created_at, 800ms);
}

TEST_F(SimulatorTest, DependentsBecomeReadyWhenWhatTheyNeedAppears) {
  // A Trigger before its Broker, a Broker before its RabbitmqBrokerConfig, a Trigger before its
  // dead-letter sink.
  auto documents =
      common::parse_yaml_documents(read_source_file("testdata/golden/agent-bruno.yaml"));
  ASSERT_TRUE(documents);
  json::value broker, config, trigger, dead_letter_sink;
  for (const auto& d : *documents) {
    if (str(d, {"metadata", "name"}) == "lambda-broker-dlq") dead_letter_sink = d;
    if (str(d, {"kind"}) == "Broker") broker = d;
    if (str(d, {"kind"}) == "RabbitmqBrokerConfig") config = d;
    if (str(d, {"metadata", "name"}) == "agent-bruno-route-status-da99d7") trigger = d;
  }
  ASSERT_TRUE(client_->apply(kTriggers, trigger, "test"));
  auto orphan = wait_ready(kTriggers, "agent-bruno", "agent-bruno-route-status-da99d7", "False");
  EXPECT_EQ(condition(orphan, "BrokerReady"),
            std::make_pair(std::string("False"), std::string("BrokerDoesNotExist")));
  ASSERT_TRUE(client_->apply(kBrokers, broker, "test"));
  auto unconfigured = wait_ready(kBrokers, "agent-bruno", "lambda-broker", "False");
  EXPECT_EQ(condition(unconfigured, "ExchangeReady").second, "ExchangeCredentialsUnavailable");
  ASSERT_TRUE(client_->apply(kBrokerConfigs, config, "test"));
  wait_ready(kBrokers, "agent-bruno", "lambda-broker");
  // The broker is Ready, but the Trigger's dead-letter sink (a Knative Service) is missing.
  auto no_sink = wait_for(
      kTriggers, "agent-bruno", "agent-bruno-route-status-da99d7",
      [](const json::value& o) { return condition(o, "DeadLetterSinkResolved").first == "False"; });
  EXPECT_EQ(condition(no_sink, "DeadLetterSinkResolved").second,
            "Unable to get the DeadLetterSink URI");
  EXPECT_EQ(condition(no_sink, "Ready").first, "False");
  ASSERT_TRUE(client_->apply(kKnativeServices, dead_letter_sink, "test"));
  auto trigger_ready = wait_ready(kTriggers, "agent-bruno", "agent-bruno-route-status-da99d7");
  EXPECT_EQ(str(trigger_ready, {"status", "subscriberUri"}),
            "http://homepage-api.homepage.svc.cluster.local");
}

TEST_F(SimulatorTest, ListsAgainAfterItsWatchExpires) {
  apiserver::ApiServerOptions server_options;
  server_options.watch_history = 10;
  server_options.default_watch_timeout = 200ms;
  start(server_options);
  ASSERT_TRUE(
      client_->create(kKnativeServices, "agent-bruno", knative_service("before", "agent-bruno")));
  wait_ready(kKnativeServices, "agent-bruno", "before");
  // Enough unrelated writes that the simulator's last resourceVersion falls out of the history.
  for (int i = 0; i < 40; ++i)
    ASSERT_TRUE(client_->create(kConfigMaps, "agent-bruno",
                                json::object{{"apiVersion", "v1"},
                                             {"kind", "ConfigMap"},
                                             {"metadata", {{"name", "cm-" + std::to_string(i)}}}}));
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (log().find("expired (410)") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  EXPECT_NE(log().find("expired (410)"), std::string::npos) << log();
  ASSERT_TRUE(
      client_->create(kKnativeServices, "agent-bruno", knative_service("after", "agent-bruno")));
  wait_ready(kKnativeServices, "agent-bruno", "after");
}

TEST_F(SimulatorTest, StopsPromptlyWhileWatching) {
  auto started = std::chrono::steady_clock::now();
  simulator_.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  // Nothing reconciles any more: a new Service gets no status.
  ASSERT_TRUE(
      client_->create(kKnativeServices, "agent-bruno", knative_service("orphan", "agent-bruno")));
  std::this_thread::sleep_for(300ms);
  auto got = client_->get(kKnativeServices, "agent-bruno", "orphan");
  ASSERT_TRUE(got);
  EXPECT_FALSE(got->as_object().contains("status"));
}

// `lambda-apiserver --simulate` as a user runs it: it says on stderr that it simulates, serves
// the CRDs, makes a Knative Service Ready and exits cleanly on SIGTERM.
TEST(LambdaApiserverSimulate, AnnouncesTheSimulatorAndMakesKnativeServicesReady) {
  char tmpl[] = "/tmp/lambda-simulate-XXXXXX";
  std::filesystem::path dir = ::mkdtemp(tmpl);
  auto kubeconfig = dir / "kubeconfig";
  auto err = dir / "stderr";
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    int fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(fd, 2);
    int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::execl(LAMBDA_APISERVER, LAMBDA_APISERVER, "--simulate", "--kubeconfig-out",
            kubeconfig.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!std::filesystem::exists(kubeconfig) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  ASSERT_TRUE(std::filesystem::exists(kubeconfig)) << read_text(err.string());
  std::string stderr_text = read_text(err.string());
  EXPECT_NE(stderr_text.find("simulating Knative Serving, Knative Eventing (RabbitMQ broker class) "
                             "and prometheus-operator controllers: statuses are made up, nothing "
                             "runs"),
            std::string::npos)
      << stderr_text;
  kube::KubeconfigOptions ko;
  ko.explicit_path = kubeconfig.string();
  auto connection = kube::load_kubeconfig(ko);
  ASSERT_TRUE(connection) << connection.error();
  auto client = kube::Client::create(*connection);
  ASSERT_TRUE(client) << client.error();
  ASSERT_TRUE((*client)->create(
      kNamespaces, "",
      json::object{{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "demo"}}}}));
  ASSERT_TRUE((*client)->create(kKnativeServices, "demo", knative_service("hello", "demo")));
  std::string ready;
  while (ready != "True" && std::chrono::steady_clock::now() < deadline) {
    if (auto got = (*client)->get(kKnativeServices, "demo", "hello"))
      ready = condition(*got, "Ready").first;
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(ready, "True");
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace lambda
