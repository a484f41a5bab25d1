#include "api/reference_docs.h"

#include <fmt/format.h>

#include <functional>

#include "api/environment_contract.h"
#include "api/reflect.h"
#include "common/json_yaml.h"

namespace lambda::api {
namespace {

struct FieldRow {
  std::string path;
  std::string type;
  const FieldDoc* doc;
};

// Walks the declarations of a type (not a value), calling back for every field with its path.
class DeclarationWalker {
 public:
  explicit DeclarationWalker(std::function<void(const FieldRow&)> emit) : emit_(std::move(emit)) {}

  template <reflect::ApiObject T>
  void walk(const std::string& prefix) {
    T object{};
    Visitor visitor{*this, prefix};
    describe(visitor, object);
  }

 private:
  struct Visitor {
    DeclarationWalker& walker;
    std::string prefix;
    template <class T>
    void operator()(std::optional<T>&, std::string_view name, const FieldDoc& doc) {
      std::string path = prefix.empty() ? std::string(name) : fmt::format("{}.{}", prefix, name);
      walker.emit_({path, type_name(static_cast<T*>(nullptr)), &doc});
      walker.descend(static_cast<T*>(nullptr), path);
    }
  };

  template <class T>
  void descend(T*, const std::string&) {}
  template <reflect::ApiObject T>
  void descend(T*, const std::string& path) {
    walk<T>(path);
  }
  template <reflect::ApiObject T>
  void descend(std::vector<T>*, const std::string& path) {
    walk<T>(path + "[]");
  }

  static std::string type_name(std::string*) { return "string"; }
  static std::string type_name(bool*) { return "boolean"; }
  static std::string type_name(std::int32_t*) { return "integer"; }
  static std::string type_name(std::int64_t*) { return "integer"; }
  static std::string type_name(double*) { return "number"; }
  static std::string type_name(Quantity*) { return "quantity"; }
  static std::string type_name(GoDuration*) { return "duration (Go: 10s, 5m, 1h)"; }
  static std::string type_name(IsoDuration*) { return "duration (ISO-8601: PT1S)"; }
  static std::string type_name(boost::json::value*) { return "any"; }
  template <class T>
  static std::string type_name(std::vector<T>*) {
    return "[]" + type_name(static_cast<T*>(nullptr));
  }
  template <class T>
  static std::string type_name(std::map<std::string, T>*) {
    return "map[string]" + type_name(static_cast<T*>(nullptr));
  }
  template <reflect::ApiObject T>
  static std::string type_name(T*) {
    return "object";
  }

  std::function<void(const FieldRow&)> emit_;
};

std::string cell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n')
      out += ' ';
    else
      out += c;
  }
  return out;
}

std::string constraints(const FieldDoc& doc) {
  std::vector<std::string> parts;
  if (doc.required) parts.push_back("required");
  if (!doc.enum_values.empty()) {
    std::string values;
    for (auto v : doc.enum_values) values += (values.empty() ? "" : ", ") + std::string(v);
    parts.push_back("one of: " + values);
  }
  auto number = [](double d) { return common::format_number(boost::json::value(d)); };
  if (doc.minimum && doc.maximum)
    parts.push_back(fmt::format("{}..{}", number(*doc.minimum), number(*doc.maximum)));
  else if (doc.minimum)
    parts.push_back(fmt::format(">= {}", number(*doc.minimum)));
  if (doc.min_duration_ns && doc.max_duration_ns)
    parts.push_back(fmt::format("{}..{}", GoDuration::canonical(*doc.min_duration_ns),
                                GoDuration::canonical(*doc.max_duration_ns)));
  if (doc.format != Format::kNone) parts.push_back(std::string(format_spec(doc.format).name));
  if (doc.max_length) parts.push_back(fmt::format("at most {} bytes", *doc.max_length));
  if (doc.max_items) parts.push_back(fmt::format("at most {} items", *doc.max_items));
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "; ") + p;
  return out;
}

std::string default_text(const FieldDoc& doc) {
  if (doc.default_value) return "`" + common::to_json(*doc.default_value, false) + "`";
  return cell(doc.computed_default);
}

}  // namespace

std::string api_reference_markdown() {
  std::string out =
      "# LambdaAgent v1alpha1 API reference\n\n"
      "Generated from the field declarations (`src/api/lambda_agent_fields.h`) by `lambdactl docs "
      "api`; do not edit by hand. `kubectl explain lambdaagent.spec` shows the same "
      "descriptions.\n\n"
      "| field | type | constraints | default | description |\n|---|---|---|---|---|\n";
  DeclarationWalker walker([&](const FieldRow& row) {
    if (row.path.starts_with("metadata.")) return;
    out += fmt::format("| `{}` | {} | {} | {} | {} |\n", row.path, cell(row.type),
                       cell(constraints(*row.doc)), default_text(*row.doc),
                       cell(row.doc->description));
  });
  walker.walk<LambdaAgent>("");
  return out;
}

std::string defaults_reference_markdown() {
  std::string out =
      "# LambdaAgent defaults\n\n"
      "Generated from the field declarations by `lambdactl docs defaults`; do not edit by hand.\n\n"
      "Every default is applied by one function, `apply_defaults` (`src/api/defaults.cc`), in the "
      "operator, in `lambdactl render` and in the sidecar. Static defaults are also published in "
      "the CRD schema, so the API server fills them in. A default applies only inside a block "
      "that is present, or that itself has a default (`{}`): for example `spec.eventing` has "
      "none, so an agent without an `eventing` block gets no broker or triggers, while one with "
      "`eventing: {rabbitmq: ...}` gets `enabled: true` and a dead-letter queue. When "
      "`metadata.namespace` is absent it is `default`, as with kubectl.\n\n"
      "| field | default |\n|---|---|\n";
  DeclarationWalker walker([&](const FieldRow& row) {
    if (row.doc->default_value || !row.doc->computed_default.empty())
      out += fmt::format("| `{}` | {} |\n", row.path, default_text(*row.doc));
  });
  walker.walk<LambdaAgent>("");
  return out;
}

std::string environment_reference_markdown() {
  std::string out =
      "# The environment contract\n\n"
      "Generated from `src/api/environment_contract.h` by `lambdactl docs environment`; do not "
      "edit by hand.\n\n"
      "The operator sets these variables in the agent's container. With the sidecar enabled "
      "(the default) the LLM variables point at it (`http://127.0.0.1:8181`), so images that "
      "read `OLLAMA_URL`, `OLLAMA_HOST`, `OPENAI_BASE_URL` or `ANTHROPIC_BASE_URL` get fallback, "
      "defaults, context limits and AI metrics unchanged, and never see the real API key. A "
      "variable of the same name in `spec.env` replaces the operator's value.\n\n"
      "| variable | set when | value |\n|---|---|---|\n";
  for (const auto& var : env::kEnvironmentContract)
    out += fmt::format("| `{}` | {} | {} |\n", var.name, cell(var.set_when), cell(var.meaning));
  return out;
}

}  // namespace lambda::api
