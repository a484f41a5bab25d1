// lambda-apiserver: the embedded Kubernetes API server on its own, for kubectl experiments and
// tests. It listens on loopback with TLS and a bearer token and writes a kubeconfig for them.
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "apiserver/api_server.h"
#include "apiserver/simulator.h"

namespace {
int wait_for_signal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}
}  // namespace

int main(int argc, char** argv) {
  // Block the signals before any thread starts, so that only sigwait sees them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  CLI::App app{
      "lambda-apiserver: an embedded Kubernetes API server (loopback, TLS, bearer token) that "
      "kubectl accepts. Not a cluster: nothing runs pods; with --simulate, the Knative and "
      "Prometheus-operator controllers are simulated."};
  lambda::apiserver::ApiServerOptions options;
  std::string kubeconfig_out;
  bool simulate = false;
  bool plain_http = false;
  int bookmark_seconds = 30;
  app.add_option("--port", options.port, "Port to listen on (0: any free port)")
      ->capture_default_str();
  app.add_option("--address", options.address, "Address to listen on")->capture_default_str();
  app.add_option("--kubeconfig-out", kubeconfig_out,
                 "Write a kubeconfig for this server here (mode 0600)");
  app.add_option("--data-dir", options.data_dir,
                 "Keep objects in this directory across restarts (default: memory only)");
  app.add_option("--token", options.token, "Bearer token clients must send (default: random)");
  app.add_flag("--simulate", simulate,
               "Simulate the Knative and Prometheus-operator controllers (statuses only)");
  lambda::apiserver::SimulatorOptions simulator_options;
  double ready_delay_seconds = 0;
  app.add_option("--simulate-cluster-domain", simulator_options.cluster_domain,
                 "With --simulate: the cluster domain of in-cluster URLs")
      ->capture_default_str();
  app.add_option("--simulate-domain", simulator_options.external_domain,
                 "With --simulate: the domain of Knative Services' external URLs")
      ->capture_default_str();
  app.add_option("--simulate-ready-delay", ready_delay_seconds,
                 "With --simulate: seconds a new generation stays not ready")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 3600.0));
  app.add_flag("--insecure-http", plain_http, "Serve plain HTTP instead of HTTPS (tests only)");
  app.add_option("--bookmark-interval", bookmark_seconds, "Seconds between watch bookmarks")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  CLI11_PARSE(app, argc, argv);
  options.tls = !plain_http;
  options.bookmark_interval = std::chrono::seconds(bookmark_seconds);

  auto server = lambda::apiserver::ApiServer::start(options);
  if (!server) {
    std::cerr << "lambda-apiserver: " << server.error() << "\n";
    return 1;
  }
  // The simulator talks to the server like any controller, through its own connection; it is
  // declared after the server so that it stops first.
  std::unique_ptr<lambda::apiserver::PlatformSimulator> simulator;
  if (simulate) {
    simulator_options.ready_delay =
        std::chrono::milliseconds(static_cast<std::int64_t>(ready_delay_seconds * 1000));
    simulator_options.log = [](std::string_view line) { std::cerr << line << std::endl; };
    auto started = lambda::apiserver::PlatformSimulator::start((*server)->connection(),
                                                               std::move(simulator_options));
    if (!started) {
      std::cerr << "lambda-apiserver: " << started.error() << "\n";
      return 1;
    }
    simulator = std::move(*started);
    std::cerr << "lambda-apiserver: simulating Knative Serving, Knative Eventing (RabbitMQ broker "
                 "class) and prometheus-operator controllers: statuses are made up, nothing runs"
              << std::endl;
  }
  if (!kubeconfig_out.empty()) {
    if (auto written = (*server)->write_kubeconfig(kubeconfig_out); !written) {
      std::cerr << "lambda-apiserver: " << written.error() << "\n";
      return 1;
    }
  }
  std::cout << "lambda-apiserver listening on " << (*server)->url() << std::endl;
  if (!kubeconfig_out.empty())
    std::cout << "kubeconfig written to " << kubeconfig_out
              << " (export KUBECONFIG=" << kubeconfig_out << ")" << std::endl;
  int sig = wait_for_signal();
  std::cerr << "lambda-apiserver: " << (sig == SIGTERM ? "SIGTERM" : "SIGINT")
            << ", shutting down\n";
  simulator.reset();
  (*server)->stop();
  return 0;
}
