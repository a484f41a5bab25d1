// meta.k8s.io/v1 Table output: what `kubectl get` asks for and prints as columns.
#include <boost/json.hpp>
#include <mutex>
#include <unordered_map>

#include "apiserver/api_server_internal.h"
#include "apiserver/json_path.h"
#include "apiserver/object_meta.h"

namespace lambda::apiserver {
namespace json = boost::json;

namespace {
// Printer-column paths are few and used for every row: parse each once.
const JsonPath* compiled_path(const std::string& text) {
  static std::mutex mutex;
  static std::unordered_map<std::string, std::unique_ptr<JsonPath>> cache;
  std::lock_guard lock(mutex);
  auto it = cache.find(text);
  if (it != cache.end()) return it->second.get();
  auto parsed = JsonPath::parse(text);
  auto& slot = cache[text];
  if (parsed) slot = std::make_unique<JsonPath>(std::move(*parsed));
  return slot.get();
}
}  // namespace

json::value ApiServer::Impl::to_table(const ResourceType& type,
                                      const std::vector<ObjectPtr>& objects,
                                      const json::value& list_metadata,
                                      std::string_view include_object) const {
  json::array columns;
  for (const auto& c : type.columns)
    columns.push_back(json::object{{"name", c.name},
                                   {"type", c.type},
                                   {"format", c.format},
                                   {"description", c.description},
                                   {"priority", c.priority}});
  json::array rows;
  for (const auto& obj : objects) {
    json::array cells;
    if (type.cells) {
      cells = type.cells(obj->object);
    } else {
      for (const auto& c : type.columns) {
        if (c.json_path.empty()) {  // the Name column
          cells.push_back(json::value(meta_string(obj->object, "name")));
          continue;
        }
        const JsonPath* path = compiled_path(c.json_path);
        cells.push_back(path ? printer_cell(path->evaluate(obj->object), c.type) : json::value());
      }
    }
    json::object row{{"cells", std::move(cells)}};
    if (include_object == "Object") {
      json::value copy = obj->object;
      copy.as_object()["apiVersion"] = type.api_version();
      row["object"] = std::move(copy);
    } else if (include_object != "None") {
      auto* meta = metadata_of(obj->object);
      row["object"] = json::object{{"kind", "PartialObjectMetadata"},
                                   {"apiVersion", "meta.k8s.io/v1"},
                                   {"metadata", meta ? json::value(*meta) : json::object()}};
    }
    rows.push_back(std::move(row));
  }
  return json::object{{"kind", "Table"},
                      {"apiVersion", "meta.k8s.io/v1"},
                      {"metadata", list_metadata},
                      {"columnDefinitions", std::move(columns)},
                      {"rows", std::move(rows)}};
}

}  // namespace lambda::apiserver
