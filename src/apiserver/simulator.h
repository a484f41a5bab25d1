// PlatformSimulator: stand-ins for the Knative Serving, Knative Eventing (RabbitMQ broker class)
// and prometheus-operator controllers, for the embedded API server, as kwok stands in for
// kubelets. It registers the upstream CRDs those projects install and writes the statuses their
// controllers would write, so that the operator's status logic can be exercised without a
// cluster. NOTHING RUNS: no revision, pod, exchange or queue exists; every status it writes is
// made up, and each says so in `status.annotations` (kSimulatedAnnotation).
//
// It is a client like any controller: it talks to the API server only through kube::Client
// (server-side apply of the CRDs, list+watch of the kinds, JSON merge patches of /status), so it
// works against any API server, not only the embedded one.
//
// What it writes (docs/apiserver.md has the full table):
// - serving.knative.dev/v1 Service: observedGeneration; conditions ConfigurationsReady,
//   RoutesReady, Ready; url (http://NAME.NS.EXTERNAL_DOMAIN, or the cluster-local form when
//   labelled networking.knative.dev/visibility=cluster-local); address.url
//   (http://NAME.NS.svc.CLUSTER_DOMAIN); latestCreatedRevisionName/latestReadyRevisionName
//   NAME-0000G (G = metadata.generation); traffic [{revisionName, latestRevision, percent: 100}].
// - eventing.knative.dev/v1 Broker of class RabbitMQBroker: observedGeneration; the conditions of
//   eventing-rabbitmq's broker (ExchangeReady, DLXReady, DeadLetterSinkReady, SecretReady,
//   IngressReady, Addressable, Ready); once Ready, address {name: http, url:
//   http://NAME-broker-ingress.NS.svc.CLUSTER_DOMAIN}. Brokers of other classes are left alone.
// - eventing.knative.dev/v1 Trigger on such a broker: observedGeneration; BrokerReady,
//   DependencyReady, SubscriberResolved, SubscriptionReady, DeadLetterSinkResolved,
//   OIDCIdentityCreated, Ready; subscriberUri and deadLetterSinkUri resolved from `ref`
//   (a Knative Service's or Broker's address, a core Service's DNS name) and/or `uri`.
// - RabbitmqBrokerConfig, ServiceMonitor, PodMonitor, PrometheusRule: CRDs only, no status
//   (eventing-rabbitmq sets none; prometheus-operator sets none unless a feature gate is on).
// Failure injection: the annotation kFailAnnotation ("reason") on any of the three kinds makes
// Ready False with that reason (message from kFailMessageAnnotation, if set).
// Status is written only when it differs from what is stored, and lastTransitionTime changes only
// when a condition's status does, so a steady cluster causes no writes.
//
// Guarantees: level-based (the status is a function of the stored objects, recomputed on every
// change); a watch that ends is resumed from its last resourceVersion, and after 410 Gone the
// kind is listed again. Caveats: statuses are written only after all kinds are listed once; the
// ready delay is measured from when this process first saw a generation.
//
// Lifetime: start() returns once the CRDs are established and the first lists are done; the
// destructor cancels the watches and joins every thread. Construct after the server starts and
// destroy before it stops. Thread-safety: the object has no public methods besides the destructor.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <tl/expected.hpp>

#include "kube/config.h"

namespace lambda::apiserver {

// Set on an object to make the simulator report it failed: Ready False with this reason.
inline constexpr std::string_view kFailAnnotation = "simulator.lambda.knative.io/fail";
// Optional message for that condition.
inline constexpr std::string_view kFailMessageAnnotation =
    "simulator.lambda.knative.io/fail-message";
// The key the simulator puts into status.annotations of everything it writes.
inline constexpr std::string_view kSimulatedAnnotation = "simulator.lambda.knative.io/simulated";
// The field manager of its writes (visible in managedFields).
inline constexpr std::string_view kSimulatorFieldManager = "lambda-platform-simulator";

struct SimulatorOptions {
  std::string cluster_domain = "cluster.local";
  // Domain of Knative Services' external URLs (Knative's config-domain).
  std::string external_domain = "example.com";
  // How long a new generation stays not ready (Ready Unknown) before it becomes Ready.
  std::chrono::milliseconds ready_delay{0};
  // How long start() waits for the CRDs to be established.
  std::chrono::milliseconds startup_timeout{std::chrono::seconds(30)};
  // One line per status written or error met (e.g. to stderr); none when empty.
  std::function<void(std::string_view)> log;
};

class PlatformSimulator {
 public:
  static tl::expected<std::unique_ptr<PlatformSimulator>, std::string> start(
      const kube::ClusterConnection& server, SimulatorOptions options = {});
  ~PlatformSimulator();
  PlatformSimulator(const PlatformSimulator&) = delete;
  PlatformSimulator& operator=(const PlatformSimulator&) = delete;

  struct Impl;

 private:
  explicit PlatformSimulator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lambda::apiserver
