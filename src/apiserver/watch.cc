#include "apiserver/watch.h"

#include <boost/json.hpp>
#include <charconv>

#include "apiserver/object_meta.h"
#include "kube/selector.h"

namespace lambda::apiserver {
namespace json = boost::json;

using SteadyClock = std::chrono::steady_clock;

struct WatchHub::Session {
  std::shared_ptr<http::Exchange> exchange;
  ResourceTypePtr type;
  std::optional<kube::LabelSelector> labels;
  std::optional<kube::FieldSelector> fields;
  bool table = false;
  std::string include_object = "Metadata";
  bool bookmarks = false;
  SteadyClock::time_point deadline;
  SteadyClock::time_point next_bookmark;
  std::uint64_t store_watch_id = 0;
  std::atomic<bool> closed{false};
  bool registered = false;
};

namespace {
bool object_matches(const WatchHub::Session& s, const json::value& object) {
  if (s.labels) {
    auto* meta = metadata_of(object);
    const json::object* labels = nullptr;
    if (meta)
      if (auto* l = meta->if_contains("labels"); l && l->is_object()) labels = &l->get_object();
    if (!s.labels->matches(labels)) return false;
  }
  if (s.fields) {
    bool ok = s.fields->matches([&](std::string_view key) -> std::optional<std::string> {
      if (key == "metadata.name") return meta_string(object, "name");
      if (key == "metadata.namespace") return meta_string(object, "namespace");
      return std::nullopt;
    });
    if (!ok) return false;
  }
  return true;
}

std::string event_text(ApiServer::Impl& server, const WatchHub::Session& s, std::string_view type,
                       const ObjectPtr& object) {
  std::string out = "{\"type\":\"";
  out += type;
  out += "\",\"object\":";
  if (s.table) {
    json::object list_meta{{"resourceVersion", std::to_string(object->resource_version)}};
    out += json::serialize(server.to_table(*s.type, {object}, list_meta, s.include_object));
  } else {
    out += served_text(*s.type, object);
  }
  out += "}\n";
  return out;
}

bool send(WatchHub::Session& s, std::string text) {
  if (s.closed) return false;
  if (!s.exchange->write(std::move(text))) {
    s.closed = true;
    return false;
  }
  return true;
}
}  // namespace

WatchHub::WatchHub(ApiServer::Impl& server) : server_(server) {
  ticker_ = std::thread([this] { ticker_loop(); });
}

WatchHub::~WatchHub() {
  stop_all();
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (ticker_.joinable()) ticker_.join();
}

std::size_t WatchHub::session_count() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

void WatchHub::start(const std::shared_ptr<http::Exchange>& exchange, const RequestInfo& info,
                     std::string_view query, bool table) {
  auto session = std::make_shared<Session>();
  session->exchange = exchange;
  session->type = info.type;
  session->table = table;
  if (auto inc = http::query_value(query, "includeObject")) session->include_object = *inc;

  auto fail = [&](const kube::Status& status) { exchange->respond(status_response(status)); };
  if (auto text = http::query_value(query, "labelSelector"); text && !text->empty()) {
    auto parsed = kube::LabelSelector::parse(*text);
    if (!parsed) return fail(kube::bad_request("unable to parse requirement: " + parsed.error()));
    session->labels = std::move(*parsed);
  }
  if (auto text = http::query_value(query, "fieldSelector"); text && !text->empty()) {
    auto parsed = kube::FieldSelector::parse(*text);
    if (!parsed) return fail(kube::bad_request(parsed.error()));
    for (const auto& r : parsed->requirements())
      if (r.key != "metadata.name" && r.key != "metadata.namespace")
        return fail(kube::bad_request("field label not supported: " + r.key));
    session->fields = std::move(*parsed);
  }
  session->bookmarks = http::query_value(query, "allowWatchBookmarks").value_or("") == "true";
  auto now = SteadyClock::now();
  session->deadline = now + server_.options.default_watch_timeout;
  if (auto t = http::query_value(query, "timeoutSeconds")) {
    long long secs = 0;
    auto [p, ec] = std::from_chars(t->data(), t->data() + t->size(), secs);
    if (ec != std::errc() || p != t->data() + t->size() || secs < 0)
      return fail(kube::bad_request("invalid timeoutSeconds: \"" + *t + "\""));
    // Clamped: a huge value must not overflow the clock arithmetic.
    constexpr long long kMaxWatchSeconds = 24LL * 3600;
    if (secs > 0) session->deadline = now + std::chrono::seconds(std::min(secs, kMaxWatchSeconds));
  }
  session->next_bookmark = now + server_.options.bookmark_interval;

  std::string rv_text = http::query_value(query, "resourceVersion").value_or("");
  std::uint64_t since = 0;
  if (!rv_text.empty()) {
    auto [p, ec] = std::from_chars(rv_text.data(), rv_text.data() + rv_text.size(), since);
    if (ec != std::errc() || p != rv_text.data() + rv_text.size()) {
      kube::Status s = kube::bad_request("resourceVersion: Invalid value: \"" + rv_text +
                                         "\": must be a valid resourceVersion");
      return fail(s);
    }
  }

  // sendInitialEvents=true (the watch-list protocol) needs resourceVersionMatch=NotOlderThan and
  // bookmarks, as kube-apiserver requires.
  bool send_initial_events = http::query_value(query, "sendInitialEvents").value_or("") == "true";
  if (send_initial_events &&
      (http::query_value(query, "resourceVersionMatch").value_or("") != "NotOlderThan" ||
       !session->bookmarks))
    return fail(kube::invalid("meta.k8s.io", "ListOptions", "",
                              {{std::string(kube::cause::kFieldValueForbidden),
                                "Forbidden: sendInitialEvents requires setting "
                                "resourceVersionMatch to NotOlderThan and allowWatchBookmarks",
                                "sendInitialEvents"}}));

  http::Headers headers{
      {"Content-Type", table ? "application/json;as=Table;v=v1;g=meta.k8s.io" : "application/json"},
      {"Cache-Control", "no-cache, private"}};
  if (!exchange->start_stream(200, headers)) return;

  std::optional<std::string> ns;
  if (!info.namespace_name.empty()) ns = info.namespace_name;
  bool initial_events_end = false;
  if (since == 0 || send_initial_events) {
    // Unset or "0" (or sendInitialEvents): the current state first, as synthetic ADDED events,
    // then every change.
    auto snapshot = server_.store->list(info.type->collection(), ns);
    for (const auto& [key, obj] : snapshot.items)
      if (object_matches(*session, obj->object))
        if (!send(*session, event_text(server_, *session, "ADDED", obj))) return;
    since = snapshot.resource_version;
    initial_events_end = send_initial_events;
  }
  if (initial_events_end) {
    // The watch-list protocol: a bookmark marks where the initial state ends.
    json::object bookmark{{"kind", info.type->kind},
                          {"apiVersion", info.type->api_version()},
                          {"metadata",
                           {{"resourceVersion", std::to_string(since)},
                            {"annotations", {{"k8s.io/initial-events-end", "true"}}}}}};
    if (!send(*session, "{\"type\":\"BOOKMARK\",\"object\":" + json::serialize(bookmark) + "}\n"))
      return;
  }

  std::weak_ptr<Session> weak = session;
  ApiServer::Impl* server = &server_;
  auto registered = server_.store->watch(
      {info.type->collection(), ns}, since, [weak, server](const StoreEvent& e) {
        auto s = weak.lock();
        if (!s || s->closed) return;
        bool now_matches = e.type != EventType::kDeleted && object_matches(*s, e.object->object);
        bool was_matching = e.previous && object_matches(*s, e.previous->object);
        std::string_view type;
        switch (e.type) {
          case EventType::kAdded:
            if (now_matches) type = "ADDED";
            break;
          case EventType::kModified:
            if (now_matches)
              type = was_matching ? "MODIFIED" : "ADDED";
            else if (was_matching)
              type = "DELETED";
            break;
          case EventType::kDeleted:
            if (object_matches(*s, e.object->object)) type = "DELETED";
            break;
        }
        if (!type.empty()) send(*s, event_text(*server, *s, type, e.object));
      });
  if (!registered) {
    kube::Status gone = kube::gone(too_old_resource_version_message(since, registered.error()));
    send(*session, "{\"type\":\"ERROR\",\"object\":" + json::serialize(gone.to_json()) + "}\n");
    exchange->finish();
    return;
  }
  session->store_watch_id = *registered;
  session->registered = true;
  exchange->on_close([weak] {
    if (auto s = weak.lock()) s->closed = true;
  });
  {
    std::lock_guard lock(mutex_);
    sessions_.emplace(next_id_++, session);
  }
  wake_.notify_all();
}

void WatchHub::stop_all() {
  std::map<std::uint64_t, std::shared_ptr<Session>> sessions;
  {
    std::lock_guard lock(mutex_);
    sessions.swap(sessions_);
  }
  for (auto& [id, s] : sessions) {
    if (s->registered) server_.store->unwatch(s->store_watch_id);
    s->closed = true;
    s->exchange->finish();
  }
}

void WatchHub::ticker_loop() {
  constexpr auto kTick = std::chrono::milliseconds(100);
  std::unique_lock lock(mutex_);
  while (!stop_) {
    wake_.wait_for(lock, kTick);
    if (stop_) break;
    std::vector<std::pair<std::uint64_t, std::shared_ptr<Session>>> sessions(sessions_.begin(),
                                                                             sessions_.end());
    lock.unlock();
    auto now = SteadyClock::now();
    std::vector<std::uint64_t> ended;
    for (auto& entry : sessions) {
      // Not a structured binding: clang 14 cannot capture one (in with_revision's callback).
      const auto id = entry.first;
      auto& s = entry.second;
      if (s->closed || s->exchange->closed() || now >= s->deadline) {
        server_.store->unwatch(s->store_watch_id);
        s->closed = true;
        s->exchange->finish();  // a no-op when the peer is already gone
        ended.push_back(id);
        continue;
      }
      if (s->bookmarks && now >= s->next_bookmark) {
        s->next_bookmark = now + server_.options.bookmark_interval;
        server_.store->with_revision([&](std::uint64_t rv) {
          json::object bookmark{{"kind", s->type->kind},
                                {"apiVersion", s->type->api_version()},
                                {"metadata", {{"resourceVersion", std::to_string(rv)}}}};
          send(*s, "{\"type\":\"BOOKMARK\",\"object\":" + json::serialize(bookmark) + "}\n");
        });
      }
    }
    lock.lock();
    for (auto id : ended) sessions_.erase(id);
  }
}

}  // namespace lambda::apiserver
