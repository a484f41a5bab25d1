// apiserver_bench: list and watch-fanout throughput of the embedded API server on this machine,
// through the real kube client over HTTPS on loopback.
//
// Prints, measured side by side in one run (machines here are shared and noisy):
// - list: a full list of N objects (one request), objects per second, and the ratio to a list of
//   the same objects straight from the store (the cost of HTTP, TLS and JSON);
// - watch fan-out: events delivered per second to W concurrent watches while M writes happen,
//   and the ratio to the same writes with one watch.
// Usage: apiserver_bench [objects=10000] [watches=100] [writes=500]
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "apiserver/api_server.h"
#include "apiserver/object_store.h"
#include "kube/client.h"

namespace {
namespace json = boost::json;
using Clock = std::chrono::steady_clock;
const lambda::kube::ResourceRef kConfigMaps{"", "v1", "configmaps", "ConfigMap", true};

json::value config_map(const std::string& name) {
  return json::object{
      {"apiVersion", "v1"},
      {"kind", "ConfigMap"},
      {"metadata", {{"name", name}, {"namespace", "default"}, {"labels", {{"app", "bench"}}}}},
      {"data", {{"key", "a value of some length to look like configuration"}}}};
}

// Resident memory of this process (server, clients and benchmark together), in MiB.
double rss_mib() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return 0;
  char line[256];
  double kib = 0;
  while (std::fgets(line, sizeof line, f))
    if (std::sscanf(line, "VmRSS: %lf kB", &kib) == 1) break;
  std::fclose(f);
  return kib / 1024;
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::unique_ptr<lambda::kube::Client> client_for(lambda::apiserver::ApiServer& server) {
  lambda::kube::ClientOptions o;
  o.qps = 0;
  o.timeout = std::chrono::seconds(120);
  auto c = lambda::kube::Client::create(server.connection(), o);
  if (!c) {
    std::fprintf(stderr, "client: %s\n", c.error().c_str());
    std::exit(1);
  }
  return std::move(*c);
}

// Events per second delivered to `watches` watchers for `writes` updates.
double fanout(lambda::apiserver::ApiServer& server, int watches, int writes) {
  std::atomic<long> delivered{0};
  std::vector<std::thread> threads;
  std::vector<std::unique_ptr<lambda::kube::Client>> clients;
  auto writer = client_for(server);
  lambda::kube::ListOptions first_page;
  first_page.limit = 1;
  auto rv = writer->list(kConfigMaps, "default", first_page);
  std::string start_rv(rv->at("metadata").at("resourceVersion").as_string());
  std::atomic<int> ready{0};
  for (int w = 0; w < watches; ++w) clients.push_back(client_for(server));
  for (int w = 0; w < watches; ++w) {
    threads.emplace_back([&, w] {
      lambda::kube::WatchOptions o;
      o.resource_version = start_rv;
      o.allow_bookmarks = false;
      o.field_selector = "metadata.name=fan";
      int seen = 0;
      ready++;
      clients[w]->watch(kConfigMaps, "default", o, [&](const lambda::kube::WatchEvent&) {
        delivered++;
        return ++seen < writes;
      });
    });
  }
  while (ready < watches) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto t0 = Clock::now();
  json::value obj = config_map("fan");
  for (int i = 0; i < writes; ++i) {
    obj.at("data").as_object()["key"] = std::to_string(i);
    lambda::kube::PatchOptions po;
    po.field_manager = "bench";
    po.force = true;
    if (!writer->patch(kConfigMaps, "default", "fan", lambda::kube::PatchType::kApply, obj, po)) {
      std::fprintf(stderr, "write failed\n");
      std::exit(1);
    }
  }
  for (auto& t : threads) t.join();
  double secs = seconds_since(t0);
  return static_cast<double>(delivered.load()) / secs;
}
}  // namespace

int main(int argc, char** argv) {
  int objects = argc > 1 ? std::atoi(argv[1]) : 10000;
  int watches = argc > 2 ? std::atoi(argv[2]) : 100;
  int writes = argc > 3 ? std::atoi(argv[3]) : 500;
  lambda::apiserver::ApiServerOptions options;
  auto server = lambda::apiserver::ApiServer::start(options);
  if (!server) {
    std::fprintf(stderr, "start: %s\n", server.error().c_str());
    return 1;
  }
  auto client = client_for(**server);

  auto t0 = Clock::now();
  for (int i = 0; i < objects; ++i) {
    if (!client->create(kConfigMaps, "default", config_map("cm-" + std::to_string(i)))) {
      std::fprintf(stderr, "create %d failed\n", i);
      return 1;
    }
  }
  double create_secs = seconds_since(t0);
  std::printf(
      "create: %d objects in %.2f s = %.0f objects/s (one client, sequential); "
      "process RSS %.0f MiB\n",
      objects, create_secs, objects / create_secs, rss_mib());

  constexpr int kRounds = 5;
  double http_secs = 1e9, store_secs = 1e9;
  std::size_t listed = 0;
  for (int r = 0; r < kRounds; ++r) {
    auto t = Clock::now();
    auto list = client->list(kConfigMaps, "default");
    http_secs = std::min(http_secs, seconds_since(t));
    listed = list ? list->at("items").as_array().size() : 0;
    t = Clock::now();
    auto snapshot = (*server)->store().list("/configmaps", std::string_view("default"));
    std::size_t bytes = 0;
    for (const auto& [k, o] : snapshot.items) bytes += o->text.size();
    store_secs = std::min(store_secs, seconds_since(t));
    if (bytes == 0) return 1;
  }
  std::printf(
      "list: %zu objects over HTTPS in %.3f s = %.0f objects/s; store alone %.4f s; "
      "ratio HTTPS/store %.1fx (best of %d)\n",
      listed, http_secs, listed / http_secs, store_secs, http_secs / store_secs, kRounds);

  double one = fanout(**server, 1, writes);
  double many = fanout(**server, watches, writes);
  std::printf(
      "watch fan-out: %d watches x %d writes: %.0f events/s delivered; 1 watch: %.0f "
      "events/s; ratio %.1fx; %zu objects stored\n",
      watches, writes, many, one, many / one, (*server)->store().object_count());
  std::printf("process RSS after the fan-out: %.0f MiB\n", rss_mib());
  return 0;
}
