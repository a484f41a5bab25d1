#include "apiserver/simulator.h"

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <condition_variable>
#include <ctime>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "common/http/http_client.h"
#include "common/json_yaml.h"
#include "kube/client.h"

namespace lambda::embedded {
extern const std::string_view kKnativeServicesCrd;
extern const std::string_view kKnativeBrokersCrd;
extern const std::string_view kKnativeTriggersCrd;
extern const std::string_view kRabbitmqBrokerConfigsCrd;
extern const std::string_view kServiceMonitorsCrd;
extern const std::string_view kPodMonitorsCrd;
extern const std::string_view kPrometheusRulesCrd;
}  // namespace lambda::embedded

namespace lambda::apiserver {
namespace {
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

const kube::ResourceRef kCrds{"apiextensions.k8s.io", "v1", "customresourcedefinitions",
                              "CustomResourceDefinition", false};

// The kinds the simulator watches. RabbitmqBrokerConfig has no status of its own; it is watched
// because a Broker's readiness depends on the config it names.
enum Kind { kService = 0, kBroker, kTrigger, kBrokerConfig, kKindCount };

const kube::ResourceRef kRefs[kKindCount] = {
    {"serving.knative.dev", "v1", "services", "Service", true},
    {"eventing.knative.dev", "v1", "brokers", "Broker", true},
    {"eventing.knative.dev", "v1", "triggers", "Trigger", true},
    {"eventing.knative.dev", "v1alpha1", "rabbitmqbrokerconfigs", "RabbitmqBrokerConfig", true},
};

constexpr std::string_view kRabbitBrokerClass = "RabbitMQBroker";
constexpr std::string_view kBrokerClassAnnotation = "eventing.knative.dev/broker.class";
constexpr std::string_view kVisibilityLabel = "networking.knative.dev/visibility";
constexpr std::string_view kSimulatedNote =
    "made up by the lambda platform simulator (lambda-apiserver --simulate): nothing runs";
constexpr std::chrono::milliseconds kRetryDelay{1000};

// ---- JSON helpers -------------------------------------------------------------------------

const json::value* find_path(const json::value& v, std::initializer_list<std::string_view> path) {
  const json::value* cur = &v;
  for (auto key : path) {
    if (!cur->is_object()) return nullptr;
    cur = cur->get_object().if_contains(key);
    if (!cur) return nullptr;
  }
  return cur;
}

std::string string_at(const json::value& v, std::initializer_list<std::string_view> path) {
  const json::value* found = find_path(v, path);
  return found && found->is_string() ? std::string(found->get_string()) : std::string();
}

std::int64_t generation_of(const json::value& object) {
  const json::value* g = find_path(object, {"metadata", "generation"});
  if (g && g->is_int64()) return g->get_int64();
  if (g && g->is_uint64()) return static_cast<std::int64_t>(g->get_uint64());
  return 1;
}

std::string annotation(const json::value& object, std::string_view key) {
  return string_at(object, {"metadata", "annotations", key});
}

bool has_annotation(const json::value& object, std::string_view key) {
  const json::value* a = find_path(object, {"metadata", "annotations"});
  return a && a->is_object() && a->get_object().contains(key);
}

// A JSON merge patch (RFC 7386) that turns `from` into `to`.
json::object merge_diff(const json::object& from, const json::object& to) {
  json::object patch;
  for (const auto& [key, value] : from)
    if (!to.contains(key)) patch[key] = nullptr;
  for (const auto& [key, value] : to) {
    const json::value* old = from.if_contains(key);
    if (old && old->is_object() && value.is_object()) {
      json::object sub = merge_diff(old->get_object(), value.get_object());
      if (!sub.empty()) patch[key] = std::move(sub);
    } else if (!old || *old != value) {
      patch[key] = value;
    }
  }
  return patch;
}

// resourceVersions are opaque, but the embedded server (like etcd) hands out increasing integers;
// comparing them when both parse keeps a stale watch event from replacing a fresher write.
bool older_than(const std::string& a, const std::string& b) {
  try {
    return std::stoull(a) < std::stoull(b);
  } catch (...) {
    return false;
  }
}

std::string rfc3339_now() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string revision_suffix(std::int64_t generation) {
  std::string digits = std::to_string(std::max<std::int64_t>(generation, 0));
  if (digits.size() < 5) digits.insert(0, 5 - digits.size(), '0');
  return digits;
}

// ---- Knative conditions ---------------------------------------------------------------------

struct Condition {
  std::string type;
  std::string status;  // "True", "False", "Unknown"
  std::string reason;
  std::string message;
};

Condition cond_true(std::string type, std::string reason = {}, std::string message = {}) {
  return {std::move(type), "True", std::move(reason), std::move(message)};
}
Condition cond_false(std::string type, std::string reason, std::string message) {
  return {std::move(type), "False", std::move(reason), std::move(message)};
}
Condition cond_unknown(std::string type, std::string reason = {}, std::string message = {}) {
  return {std::move(type), "Unknown", std::move(reason), std::move(message)};
}

// A Knative "living" condition set: `dependents` in the set's order (missing ones are Unknown,
// as InitializeConditions leaves them), Ready derived from them (the first False, else the first
// Unknown, else True) unless `ready` overrides it. Conditions come out sorted by type, as
// knative.dev/pkg sorts them; lastTransitionTime is kept from `current` while a condition's
// status is unchanged, so that re-deriving the same state writes nothing.
json::array conditions_json(const std::vector<std::string>& set,
                            const std::vector<Condition>& dependents,
                            std::optional<Condition> ready, const json::value* current,
                            const std::string& now) {
  std::vector<Condition> all;
  for (const auto& type : set) {
    auto it = std::find_if(dependents.begin(), dependents.end(),
                           [&](const Condition& c) { return c.type == type; });
    all.push_back(it != dependents.end() ? *it : cond_unknown(type));
  }
  if (!ready) {
    auto first = [&](std::string_view status) -> const Condition* {
      for (const auto& c : all)
        if (c.status == status) return &c;
      return nullptr;
    };
    if (const Condition* f = first("False"))
      ready = cond_false("Ready", f->reason, f->message);
    else if (const Condition* u = first("Unknown"))
      ready = cond_unknown("Ready", u->reason, u->message);
    else
      ready = cond_true("Ready");
  }
  ready->type = "Ready";
  all.push_back(*ready);
  std::sort(all.begin(), all.end(),
            [](const Condition& a, const Condition& b) { return a.type < b.type; });
  json::array out;
  for (const auto& c : all) {
    std::string since = now;
    if (current && current->is_array()) {
      for (const auto& old : current->get_array()) {
        if (string_at(old, {"type"}) == c.type && string_at(old, {"status"}) == c.status) {
          std::string kept = string_at(old, {"lastTransitionTime"});
          if (!kept.empty()) since = kept;
        }
      }
    }
    json::object o{{"type", c.type}, {"status", c.status}};
    if (!c.reason.empty()) o["reason"] = c.reason;
    if (!c.message.empty()) o["message"] = c.message;
    o["lastTransitionTime"] = since;
    out.push_back(std::move(o));
  }
  return out;
}

std::optional<Condition> ready_condition(const json::value& object) {
  const json::value* conditions = find_path(object, {"status", "conditions"});
  if (!conditions || !conditions->is_array()) return std::nullopt;
  for (const auto& c : conditions->get_array())
    if (string_at(c, {"type"}) == "Ready")
      return Condition{"Ready", string_at(c, {"status"}), string_at(c, {"reason"}),
                       string_at(c, {"message"})};
  return std::nullopt;
}

// "Ready=False (Reason)" for the log line of a write.
std::string ready_summary(const json::array& conditions) {
  for (const auto& c : conditions) {
    if (string_at(c, {"type"}) != "Ready") continue;
    std::string reason = string_at(c, {"reason"});
    return "Ready=" + string_at(c, {"status"}) + (reason.empty() ? "" : " (" + reason + ")");
  }
  return "Ready unset";
}

struct Key {
  Kind kind;
  std::string ns;
  std::string name;
  auto operator<=>(const Key&) const = default;
  std::string cache_key() const { return ns + "/" + name; }
};

// What a reconcile decided: the status fields this controller owns (absent ones are removed),
// and when to look again (a pending ready delay).
struct Desired {
  bool skip = false;  // not ours (another broker class): write nothing
  json::object owned;
  std::optional<Clock::time_point> requeue_at;
  std::string summary;  // for the log
};

const std::vector<std::string> kOwnedFields[kKindCount] = {
    {"observedGeneration", "conditions", "url", "address", "latestCreatedRevisionName",
     "latestReadyRevisionName", "traffic"},
    {"observedGeneration", "conditions", "address", "deadLetterSinkUri"},
    {"observedGeneration", "conditions", "subscriberUri", "deadLetterSinkUri"},
    {},
};

}  // namespace

struct PlatformSimulator::Impl {
  SimulatorOptions options;
  std::unique_ptr<kube::Client> client;
  std::shared_ptr<http::Cancellation> cancel = std::make_shared<http::Cancellation>();
  std::atomic<bool> stopping{false};

  std::mutex mu;
  std::condition_variable cv;
  std::map<std::string, json::value> cache[kKindCount];  // "ns/name" -> object
  bool synced[kKindCount] = {};
  std::set<Key> pending;
  std::multimap<Clock::time_point, Key> delayed;
  // When this process first saw each (uid, generation): the start of its ready delay.
  std::map<Key, std::tuple<std::string, std::int64_t, Clock::time_point>> first_seen;
  // The last status written and what the server stored for it: if the server normalises a
  // field (schema defaults, pruning), the two differ forever; this stops a write loop.
  std::map<Key, std::pair<json::object, json::value>> last_write;

  std::vector<std::thread> threads;

  ~Impl() { stop(); }

  void log(const std::string& line) const {
    if (options.log) options.log("simulator: " + line);
  }

  void stop() {
    if (stopping.exchange(true)) return;
    cancel->cancel();
    cv.notify_all();
    for (auto& t : threads)
      if (t.joinable()) t.join();
  }

  // Sleeps, waking early when stopping; false when stopping.
  bool pause(std::chrono::milliseconds d) {
    std::unique_lock lock(mu);
    cv.wait_for(lock, d, [&] { return stopping.load(); });
    return !stopping;
  }

  std::optional<json::value> lookup(Kind kind, const std::string& ns, const std::string& name) {
    std::lock_guard lock(mu);
    auto it = cache[kind].find(ns + "/" + name);
    if (it == cache[kind].end()) return std::nullopt;
    return it->second;
  }

  // ---- installation ----

  tl::expected<void, std::string> install_crds() {
    const std::string_view documents[] = {
        embedded::kKnativeServicesCrd, embedded::kKnativeBrokersCrd,
        embedded::kKnativeTriggersCrd, embedded::kRabbitmqBrokerConfigsCrd,
        embedded::kServiceMonitorsCrd, embedded::kPodMonitorsCrd,
        embedded::kPrometheusRulesCrd,
    };
    std::vector<std::string> names;
    for (auto text : documents) {
      auto parsed = common::parse_yaml_documents(text);
      if (!parsed) return tl::unexpected("embedded CRD: " + parsed.error().to_string());
      for (const auto& crd : *parsed) {
        auto applied = client->apply(kCrds, crd, kSimulatorFieldManager, /*force=*/true);
        if (!applied)
          return tl::unexpected("applying CRD " + string_at(crd, {"metadata", "name"}) + ": " +
                                applied.error().message);
        names.push_back(string_at(crd, {"metadata", "name"}));
      }
    }
    auto deadline = Clock::now() + options.startup_timeout;
    for (const auto& name : names) {
      for (;;) {
        auto crd = client->get(kCrds, "", name);
        bool established = false;
        if (crd)
          if (const json::value* cs = find_path(*crd, {"status", "conditions"});
              cs && cs->is_array())
            for (const auto& c : cs->get_array())
              established |=
                  string_at(c, {"type"}) == "Established" && string_at(c, {"status"}) == "True";
        if (established) break;
        if (Clock::now() > deadline)
          return tl::unexpected("CRD " + name + " was not established within the startup timeout");
        if (!pause(std::chrono::milliseconds(50))) return tl::unexpected(std::string("stopped"));
      }
    }
    client->invalidate_discovery();
    for (const auto& ref : kRefs)
      if (auto served = client->resource_for(ref.api_version(), ref.kind); !served)
        return tl::unexpected(ref.kind + " is not served: " + served.error().message);
    return {};
  }

  // ---- informers ----

  void enqueue_locked(const Key& key) { pending.insert(key); }

  // Who must be looked at again when `key` changed (level-based: recomputing is always safe).
  void enqueue_dependents_locked(const Key& key) {
    enqueue_locked(key);
    auto all_of = [&](Kind kind, const std::string* ns) {
      for (const auto& [k, obj] : cache[kind]) {
        std::string obj_ns = string_at(obj, {"metadata", "namespace"});
        if (ns && obj_ns != *ns) continue;
        enqueue_locked({kind, obj_ns, string_at(obj, {"metadata", "name"})});
      }
    };
    switch (key.kind) {
      case kService:  // an address that Triggers and Brokers may resolve, in any namespace
        all_of(kTrigger, nullptr);
        all_of(kBroker, nullptr);
        break;
      case kBroker:
        all_of(kTrigger, nullptr);
        break;
      case kBrokerConfig:
        all_of(kBroker, &key.ns);
        break;
      default:
        break;
    }
  }

  void apply_event_locked(Kind kind, const std::string& type, const json::value& object) {
    Key key{kind, string_at(object, {"metadata", "namespace"}),
            string_at(object, {"metadata", "name"})};
    auto& store = cache[kind];
    if (type == "DELETED") {
      store.erase(key.cache_key());
      first_seen.erase(key);
      last_write.erase(key);
    } else {
      auto it = store.find(key.cache_key());
      if (it != store.end() && older_than(string_at(object, {"metadata", "resourceVersion"}),
                                          string_at(it->second, {"metadata", "resourceVersion"})))
        return;
      store[key.cache_key()] = object;
    }
    enqueue_dependents_locked(key);
  }

  void informer(Kind kind) {
    const kube::ResourceRef& ref = kRefs[kind];
    std::string rv;
    while (!stopping) {
      if (rv.empty()) {
        auto list = client->list_all(ref, "");
        if (!list) {
          log("listing " + ref.resource + ": " + list.error().message);
          if (!pause(kRetryDelay)) return;
          continue;
        }
        rv = string_at(*list, {"metadata", "resourceVersion"});
        std::lock_guard lock(mu);
        std::set<std::string> listed;
        if (const json::value* items = find_path(*list, {"items"}); items && items->is_array())
          for (const auto& item : items->get_array()) {
            listed.insert(string_at(item, {"metadata", "namespace"}) + "/" +
                          string_at(item, {"metadata", "name"}));
            apply_event_locked(kind, "ADDED", item);
          }
        std::vector<json::value> gone;
        for (const auto& [k, obj] : cache[kind])
          if (!listed.count(k)) gone.push_back(obj);
        for (const auto& obj : gone) apply_event_locked(kind, "DELETED", obj);
        synced[kind] = true;
        cv.notify_all();
      }
      kube::WatchOptions o;
      o.resource_version = rv;
      o.allow_bookmarks = true;
      auto watched = client->watch(
          ref, "", o,
          [&](const kube::WatchEvent& e) {
            if (stopping) return false;
            if (std::string v = e.resource_version(); !v.empty()) rv = v;
            if (e.type == "ADDED" || e.type == "MODIFIED" || e.type == "DELETED") {
              std::lock_guard lock(mu);
              apply_event_locked(kind, e.type, e.object);
              cv.notify_all();
            }
            return true;
          },
          cancel);
      if (stopping) return;
      if (!watched) {
        if (watched.error().code == 410) {
          log("watch of " + ref.resource + " expired (410): listing again");
          rv.clear();
          continue;
        }
        log("watching " + ref.resource + ": " + watched.error().message);
        if (!pause(kRetryDelay)) return;
      }
      // A watch the server ended normally resumes from the last resourceVersion seen.
    }
  }

  // ---- the work queue ----

  void worker() {
    std::unique_lock lock(mu);
    for (;;) {
      auto now = Clock::now();
      while (!delayed.empty() && delayed.begin()->first <= now) {
        pending.insert(delayed.begin()->second);
        delayed.erase(delayed.begin());
      }
      bool all_synced = std::all_of(std::begin(synced), std::end(synced), [](bool s) { return s; });
      if (stopping) return;
      if (all_synced && !pending.empty()) {
        Key key = *pending.begin();
        pending.erase(pending.begin());
        lock.unlock();
        reconcile(key);
        lock.lock();
        continue;
      }
      if (!delayed.empty())
        cv.wait_until(lock, delayed.begin()->first);
      else
        cv.wait(lock);
    }
  }

  void requeue_at(const Key& key, Clock::time_point when) {
    std::lock_guard lock(mu);
    delayed.emplace(when, key);
    cv.notify_all();
  }

  // When the ready delay of this generation ends (now, without a delay).
  Clock::time_point ready_at(const Key& key, const json::value& object) {
    std::string uid = string_at(object, {"metadata", "uid"});
    std::int64_t generation = generation_of(object);
    std::lock_guard lock(mu);
    auto& seen = first_seen[key];
    if (std::get<0>(seen) != uid || std::get<1>(seen) != generation)
      seen = {uid, generation, Clock::now()};
    return std::get<2>(seen) + options.ready_delay;
  }

  void reconcile(const Key& key) {
    auto object = lookup(key.kind, key.ns, key.name);
    if (!object || key.kind == kBrokerConfig) return;
    // A deleting object keeps its last status: its controller is finalizing, not reconciling.
    if (find_path(*object, {"metadata", "deletionTimestamp"})) return;

    Desired desired;
    switch (key.kind) {
      case kService:
        desired = desire_service(key, *object);
        break;
      case kBroker:
        desired = desire_broker(key, *object);
        break;
      case kTrigger:
        desired = desire_trigger(key, *object);
        break;
      default:
        return;
    }
    if (desired.skip) return;
    if (desired.requeue_at) requeue_at(key, *desired.requeue_at);

    json::object current;
    if (const json::value* s = find_path(*object, {"status"}); s && s->is_object())
      current = s->get_object();
    json::object target = current;
    for (const auto& field : kOwnedFields[key.kind]) target.erase(field);
    for (const auto& [k, v] : desired.owned) target[k] = v;
    json::object notes;
    if (const json::value* a = current.if_contains("annotations"); a && a->is_object())
      notes = a->get_object();
    notes[kSimulatedAnnotation] = kSimulatedNote;
    target["annotations"] = std::move(notes);
    if (target == current) return;
    {
      std::lock_guard lock(mu);
      auto it = last_write.find(key);
      if (it != last_write.end() && it->second.first == target &&
          it->second.second == json::value(current))
        return;
    }

    kube::PatchOptions po;
    po.field_manager = std::string(kSimulatorFieldManager);
    po.subresource = "status";
    json::object body{{"status", merge_diff(current, target)}};
    auto written =
        client->patch(kRefs[key.kind], key.ns, key.name, kube::PatchType::kJsonMerge, body, po);
    if (!written) {
      if (written.error().code == 404) return;  // deleted meanwhile; the watch will say so
      log(kRefs[key.kind].kind + " " + key.cache_key() +
          ": writing status: " + written.error().message);
      requeue_at(key, Clock::now() + kRetryDelay);
      return;
    }
    log(kRefs[key.kind].kind + " " + key.cache_key() + ": " + desired.summary);
    std::lock_guard lock(mu);
    json::value stored = json::object{};
    if (const json::value* s = find_path(*written, {"status"})) stored = *s;
    last_write[key] = {target, stored};
    // Our own write is the freshest state; the watch event that follows changes nothing.
    auto it = cache[key.kind].find(key.cache_key());
    if (it != cache[key.kind].end() &&
        !older_than(string_at(*written, {"metadata", "resourceVersion"}),
                    string_at(it->second, {"metadata", "resourceVersion"})))
      it->second = *written;
  }

  // ---- destinations (knative.dev/pkg resolver) ----

  // The URL a duck-typed destination {ref, uri} resolves to, or why it does not.
  tl::expected<std::string, std::string> resolve(const json::value& destination,
                                                 const std::string& default_ns) {
    std::string uri = string_at(destination, {"uri"});
    const json::value* ref = find_path(destination, {"ref"});
    if (!ref || !ref->is_object()) {
      if (uri.empty()) return tl::unexpected(std::string("destination missing Ref and URI"));
      if (uri.find("://") == std::string::npos)
        return tl::unexpected("URI is not absolute (both scheme and host should be non-empty): " +
                              uri);
      return uri;
    }
    std::string api_version = string_at(*ref, {"apiVersion"});
    std::string kind = string_at(*ref, {"kind"});
    std::string name = string_at(*ref, {"name"});
    std::string ns = string_at(*ref, {"namespace"});
    if (ns.empty()) ns = default_ns;
    std::string group = api_version.substr(0, api_version.find('/'));
    std::string base;
    if (kind == "Service" && api_version == "v1") {
      // Core Services are special-cased by the resolver: callable by their DNS name.
      base = "http://" + name + "." + ns + ".svc." + options.cluster_domain + "/";
    } else if ((kind == "Service" && group == "serving.knative.dev") ||
               (kind == "Broker" && group == "eventing.knative.dev")) {
      Kind k = kind == "Service" ? kService : kBroker;
      auto target = lookup(k, ns, name);
      if (!target)
        return tl::unexpected("failed to get object " + ns + "/" + name + ": " + kRefs[k].resource +
                              "." + kRefs[k].group + " \"" + name + "\" not found");
      base = string_at(*target, {"status", "address", "url"});
      if (base.empty())
        return tl::unexpected("address not set for " + api_version + " " + kind + " " + ns + "/" +
                              name);
    } else {
      return tl::unexpected("the simulator does not resolve " + api_version + " " + kind +
                            " (only Knative Services, Brokers and core Services)");
    }
    if (uri.empty()) return base;
    if (uri.find("://") != std::string::npos) return uri;
    if (uri.front() == '/') {
      auto host_end = base.find('/', base.find("://") + 3);
      return base.substr(0, host_end) + uri;
    }
    return base + (base.back() == '/' ? "" : "/") + uri;
  }

  // ---- Knative Serving: Service ----

  Desired desire_service(const Key& key, const json::value& ksvc) {
    Desired d;
    std::string now = rfc3339_now();
    std::int64_t generation = generation_of(ksvc);
    std::string revision = string_at(ksvc, {"spec", "template", "metadata", "name"});
    if (revision.empty()) revision = key.name + "-" + revision_suffix(generation);
    bool cluster_local =
        string_at(ksvc, {"metadata", "labels", kVisibilityLabel}) == "cluster-local";
    std::string host_ns = key.name + "." + key.ns;
    std::string internal = "http://" + host_ns + ".svc." + options.cluster_domain;
    std::string url =
        cluster_local ? internal : "http://" + host_ns + "." + options.external_domain;
    std::string previous_ready = string_at(ksvc, {"status", "latestReadyRevisionName"});
    if (previous_ready == revision) previous_ready.clear();
    bool failed = has_annotation(ksvc, kFailAnnotation);
    auto ready_time = ready_at(key, ksvc);
    bool pending = !failed && Clock::now() < ready_time;
    if (pending) d.requeue_at = ready_time;

    std::string serving;  // the revision traffic goes to
    std::vector<Condition> deps;
    std::optional<Condition> ready;
    std::string waiting = "Configuration \"" + key.name + "\" does not have any ready Revision.";
    if (failed) {
      std::string reason = annotation(ksvc, kFailAnnotation);
      if (reason.empty()) reason = "SimulatedFailure";
      std::string message = annotation(ksvc, kFailMessageAnnotation);
      if (message.empty())
        message = "Revision \"" + revision + "\" failed (simulated by annotation " +
                  std::string(kFailAnnotation) + ")";
      deps.push_back(cond_false("ConfigurationsReady", reason, message));
      ready = cond_false("Ready", reason, message);
      serving = previous_ready;
    } else if (pending) {
      deps.push_back(cond_unknown(
          "ConfigurationsReady", "RevisionMissing",
          "Configuration \"" + key.name + "\" is waiting for a Revision to become ready."));
      serving = previous_ready;
    } else {
      deps.push_back(cond_true("ConfigurationsReady"));
      serving = revision;
    }
    if (!serving.empty())
      deps.push_back(cond_true("RoutesReady"));
    else if (failed)
      deps.push_back(cond_false("RoutesReady", "RevisionMissing", waiting));
    else
      deps.push_back(cond_unknown("RoutesReady", "RevisionMissing", waiting));

    json::object& s = d.owned;
    s["observedGeneration"] = generation;
    s["conditions"] = conditions_json({"ConfigurationsReady", "RoutesReady"}, deps, ready,
                                      find_path(ksvc, {"status", "conditions"}), now);
    s["url"] = url;
    s["address"] = json::object{{"url", internal}};
    s["latestCreatedRevisionName"] = revision;
    if (!serving.empty()) {
      s["latestReadyRevisionName"] = serving;
      s["traffic"] = traffic(ksvc, serving, key, cluster_local);
    }
    d.summary = ready_summary(s["conditions"].as_array()) + ", revision " + revision;
    return d;
  }

  // status.traffic: spec.traffic with `latestRevision` targets resolved (Knative's default,
  // when spec.traffic is empty, is all traffic to the latest ready revision).
  json::array traffic(const json::value& ksvc, const std::string& latest_ready, const Key& key,
                      bool cluster_local) {
    json::array out;
    const json::value* spec = find_path(ksvc, {"spec", "traffic"});
    if (!spec || !spec->is_array() || spec->get_array().empty()) {
      out.push_back(
          json::object{{"revisionName", latest_ready}, {"latestRevision", true}, {"percent", 100}});
      return out;
    }
    for (const auto& t : spec->get_array()) {
      if (!t.is_object()) continue;
      const auto& in = t.get_object();
      json::object o;
      std::string named = string_at(t, {"revisionName"});
      const json::value* latest = in.if_contains("latestRevision");
      bool follows_latest = latest ? latest->is_bool() && latest->get_bool() : named.empty();
      o["revisionName"] = follows_latest || named.empty() ? latest_ready : named;
      o["latestRevision"] = follows_latest;
      if (const json::value* p = in.if_contains("percent")) o["percent"] = *p;
      if (std::string tag = string_at(t, {"tag"}); !tag.empty()) {
        o["tag"] = tag;
        o["url"] = "http://" + tag + "-" + key.name + "." + key.ns + "." +
                   (cluster_local ? "svc." + options.cluster_domain : options.external_domain);
      }
      out.push_back(std::move(o));
    }
    return out;
  }

  // ---- Knative Eventing: Broker (eventing-rabbitmq) ----

  Desired desire_broker(const Key& key, const json::value& broker) {
    Desired d;
    if (annotation(broker, kBrokerClassAnnotation) != kRabbitBrokerClass) {
      d.skip = true;  // another class's controller would own it; none runs here
      return d;
    }
    std::string now = rfc3339_now();
    static const std::vector<std::string> kSet = {"ExchangeReady",       "DLXReady",
                                                  "DeadLetterSinkReady", "SecretReady",
                                                  "IngressReady",        "Addressable"};
    std::vector<Condition> deps;
    std::optional<Condition> ready;
    bool failed = has_annotation(broker, kFailAnnotation);
    auto ready_time = ready_at(key, broker);
    bool pending = !failed && Clock::now() < ready_time;
    if (pending) d.requeue_at = ready_time;
    std::string dead_letter_uri;
    bool ready_so_far = true;

    // 1. The exchange needs the RabbitMQ cluster the config names.
    const json::value* config = find_path(broker, {"spec", "config"});
    std::string config_kind = config ? string_at(*config, {"kind"}) : "";
    std::string config_error;
    if (!config || !config->is_object()) {
      config_error = "broker.spec.config is required";
    } else if (config_kind == "RabbitmqBrokerConfig") {
      std::string ns = string_at(*config, {"namespace"});
      std::string name = string_at(*config, {"name"});
      if (!lookup(kBrokerConfig, ns.empty() ? key.ns : ns, name))
        config_error = "rabbitmqbrokerconfigs.eventing.knative.dev \"" + name + "\" not found";
    } else if (config_kind != "RabbitmqCluster") {
      config_error =
          "Broker.Spec.Config configuration not supported, only [kind: RabbitmqBrokerConfig, "
          "apiVersion: eventing.knative.dev/v1alpha1]";
    }
    if (!config_error.empty()) {
      deps.push_back(cond_false("ExchangeReady", "ExchangeCredentialsUnavailable",
                                "Failed to get arguments for creating exchange: " + config_error));
      ready_so_far = false;
    } else {
      deps.push_back(cond_true("ExchangeReady"));
    }

    // 2. Dead letters: a DLX, a DLQ and a dispatcher when the broker has a dead-letter sink.
    if (ready_so_far) {
      if (const json::value* sink = find_path(broker, {"spec", "delivery", "deadLetterSink"})) {
        auto resolved = resolve(*sink, key.ns);
        deps.push_back(cond_true("DLXReady"));
        if (resolved) {
          dead_letter_uri = *resolved;
          deps.push_back(cond_true("DeadLetterSinkReady"));
        } else {
          deps.push_back(cond_false("DeadLetterSinkReady",
                                    "Unable to get the DeadLetterSink's Addressable",
                                    resolved.error()));
        }
      } else {
        const char* kNone = "No dead letter sink is configured.";
        deps.push_back(cond_true("DLXReady", "DeadLetterSinkNotConfigured", kNone));
        deps.push_back(cond_true("DeadLetterSinkReady", "DeadLetterSinkNotConfigured", kNone));
      }
      deps.push_back(cond_true("SecretReady"));
      // 3. The ingress Deployment and Service; ready once its endpoints are.
      std::string ingress = key.name + "-broker-ingress";
      if (failed) {
        std::string reason = annotation(broker, kFailAnnotation);
        if (reason.empty()) reason = "SimulatedFailure";
        std::string message = annotation(broker, kFailMessageAnnotation);
        if (message.empty())
          message = "simulated failure (annotation " + std::string(kFailAnnotation) + ")";
        deps.push_back(cond_false("IngressReady", reason, message));
        ready = cond_false("Ready", reason, message);
      } else if (pending) {
        deps.push_back(cond_false("IngressReady", "EndpointsUnavailable",
                                  "Endpoints \"" + ingress + "\" are unavailable."));
      } else {
        deps.push_back(cond_true("IngressReady"));
        deps.push_back(cond_true("Addressable"));
      }
    }

    json::object& s = d.owned;
    s["observedGeneration"] = generation_of(broker);
    json::array conditions =
        conditions_json(kSet, deps, ready, find_path(broker, {"status", "conditions"}), now);
    bool is_ready = false;
    for (const auto& c : conditions)
      is_ready |= string_at(c, {"type"}) == "Ready" && string_at(c, {"status"}) == "True";
    s["conditions"] = std::move(conditions);
    // PLATFORM_FACTS: the address is published only once the broker is Ready.
    if (is_ready)
      s["address"] = json::object{{"name", "http"},
                                  {"url", "http://" + key.name + "-broker-ingress." + key.ns +
                                              ".svc." + options.cluster_domain}};
    if (!dead_letter_uri.empty()) s["deadLetterSinkUri"] = dead_letter_uri;
    d.summary = ready_summary(s["conditions"].as_array());
    return d;
  }

  // ---- Knative Eventing: Trigger (eventing-rabbitmq) ----

  Desired desire_trigger(const Key& key, const json::value& trigger) {
    Desired d;
    std::string now = rfc3339_now();
    static const std::vector<std::string> kSet = {
        "BrokerReady",        "SubscriptionReady",      "DependencyReady",
        "SubscriberResolved", "DeadLetterSinkResolved", "OIDCIdentityCreated"};
    std::vector<Condition> deps;
    std::optional<Condition> ready;
    deps.push_back(
        cond_true("OIDCIdentityCreated",
                  "authentication-oidc feature not yet supported for this Broker class"));
    std::string broker_name = string_at(trigger, {"spec", "broker"});
    auto broker = lookup(kBroker, key.ns, broker_name);
    std::string subscriber_uri;
    std::string dead_letter_uri;
    if (!broker) {
      deps.push_back(cond_false("BrokerReady", "BrokerDoesNotExist",
                                "Broker \"" + broker_name + "\" does not exist"));
    } else if (annotation(*broker, kBrokerClassAnnotation) != kRabbitBrokerClass) {
      d.skip = true;  // eventing-rabbitmq ignores Triggers of other brokers
      return d;
    } else {
      auto broker_ready = ready_condition(*broker);
      if (!broker_ready)
        deps.push_back(cond_unknown("BrokerReady", "BrokerNotConfigured",
                                    "Broker has not yet been reconciled."));
      else
        deps.push_back(
            {"BrokerReady", broker_ready->status, broker_ready->reason, broker_ready->message});
      if (broker_ready && broker_ready->status == "True") {
        bool dependencies_ok = true;
        if (has_annotation(trigger, kFailAnnotation)) {
          std::string reason = annotation(trigger, kFailAnnotation);
          if (reason.empty()) reason = "SimulatedFailure";
          std::string message = annotation(trigger, kFailMessageAnnotation);
          if (message.empty())
            message = "simulated failure (annotation " + std::string(kFailAnnotation) + ")";
          deps.push_back(cond_false("DependencyReady", reason, message));
          ready = cond_false("Ready", reason, message);
          dependencies_ok = false;
        } else {
          deps.push_back(cond_true("DependencyReady"));
        }
        if (const json::value* sink = find_path(trigger, {"spec", "delivery", "deadLetterSink"});
            sink && dependencies_ok) {
          auto resolved = resolve(*sink, key.ns);
          if (resolved) {
            dead_letter_uri = *resolved;
            deps.push_back(cond_true("DeadLetterSinkResolved"));
          } else {
            deps.push_back(cond_false("DeadLetterSinkResolved",
                                      "Unable to get the DeadLetterSink URI", resolved.error()));
            dependencies_ok = false;
          }
        } else if (dependencies_ok) {
          deps.push_back(cond_true("DeadLetterSinkResolved", "DeadLetterSinkNotConfigured",
                                   "No dead letter sink is configured."));
        }
        if (dependencies_ok) {
          const json::value* subscriber = find_path(trigger, {"spec", "subscriber"});
          tl::expected<std::string, std::string> resolved =
              tl::unexpected<std::string>("spec.subscriber is missing");
          if (subscriber) resolved = resolve(*subscriber, key.ns);
          if (resolved) {
            subscriber_uri = *resolved;
            deps.push_back(cond_true("SubscriberResolved"));
            deps.push_back(cond_true("SubscriptionReady"));
          } else {
            deps.push_back(cond_false("SubscriberResolved", "Unable to get the Subscriber's URI",
                                      resolved.error()));
          }
        }
      }
    }
    json::object& s = d.owned;
    s["observedGeneration"] = generation_of(trigger);
    json::array conditions =
        conditions_json(kSet, deps, ready, find_path(trigger, {"status", "conditions"}), now);
    d.summary = ready_summary(conditions) +
                (subscriber_uri.empty() ? std::string() : ", subscriber " + subscriber_uri);
    s["conditions"] = std::move(conditions);
    if (!subscriber_uri.empty()) s["subscriberUri"] = subscriber_uri;
    if (!dead_letter_uri.empty()) s["deadLetterSinkUri"] = dead_letter_uri;
    return d;
  }
};

PlatformSimulator::PlatformSimulator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

PlatformSimulator::~PlatformSimulator() {
  if (impl_) impl_->stop();
}

tl::expected<std::unique_ptr<PlatformSimulator>, std::string> PlatformSimulator::start(
    const kube::ClusterConnection& server, SimulatorOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  auto client = kube::Client::create(server);
  if (!client) return tl::unexpected("simulator: " + client.error());
  impl->client = std::move(*client);
  if (auto installed = impl->install_crds(); !installed)
    return tl::unexpected("simulator: " + installed.error());
  Impl* raw = impl.get();
  for (int k = 0; k < kKindCount; ++k)
    raw->threads.emplace_back([raw, k] { raw->informer(static_cast<Kind>(k)); });
  raw->threads.emplace_back([raw] { raw->worker(); });
  {
    std::unique_lock lock(raw->mu);
    bool synced = raw->cv.wait_for(lock, raw->options.startup_timeout, [&] {
      return std::all_of(std::begin(raw->synced), std::end(raw->synced), [](bool s) { return s; });
    });
    if (!synced) {
      lock.unlock();
      return tl::unexpected(std::string("simulator: the first lists did not complete in time"));
    }
  }
  return std::unique_ptr<PlatformSimulator>(new PlatformSimulator(std::move(impl)));
}

}  // namespace lambda::apiserver
