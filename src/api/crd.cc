#include "api/crd.h"

#include <fmt/format.h>

#include "api/reflect.h"

namespace lambda::api {
namespace {

namespace json = boost::json;

class SchemaBuilder {
 public:
  json::object schema_of(const std::string&) { return {{"type", "string"}}; }
  json::object schema_of(bool) { return {{"type", "boolean"}}; }
  json::object schema_of(std::int32_t) { return {{"type", "integer"}, {"format", "int32"}}; }
  json::object schema_of(std::int64_t) { return {{"type", "integer"}, {"format", "int64"}}; }
  json::object schema_of(double) { return {{"type", "number"}}; }
  json::object schema_of(const Quantity&) {
    return {
        {"anyOf", json::array{json::object{{"type", "integer"}}, json::object{{"type", "string"}}}},
        {"pattern", Quantity::kPattern},
        {"x-kubernetes-int-or-string", true}};
  }
  json::object schema_of(const GoDuration&) {
    return {{"type", "string"}, {"pattern", GoDuration::kPattern}};
  }
  json::object schema_of(const IsoDuration&) {
    return {{"type", "string"}, {"pattern", IsoDuration::kPattern}};
  }
  json::object schema_of(const json::value&) {
    return {{"x-kubernetes-preserve-unknown-fields", true}};
  }

  template <class T>
  json::object schema_of(const std::vector<T>&) {
    return {{"type", "array"}, {"items", schema_of(T{})}};
  }

  template <class T>
  json::object schema_of(const std::map<std::string, T>&) {
    return {{"type", "object"}, {"additionalProperties", schema_of(T{})}};
  }

  template <reflect::ApiObject T>
  json::object schema_of(const T& object) {
    json::object properties;
    json::array required;
    MemberVisitor visitor{*this, properties, required};
    reflect::describe_const(visitor, object);
    json::object out{{"type", "object"}, {"properties", std::move(properties)}};
    if (!required.empty()) out["required"] = std::move(required);
    return out;
  }

 private:
  struct MemberVisitor {
    SchemaBuilder& builder;
    json::object& properties;
    json::array& required;

    template <class T>
    void operator()(const std::optional<T>&, std::string_view name, const FieldDoc& doc) {
      json::object schema = builder.schema_of(T{});
      decorate(schema, doc, std::is_same_v<T, std::string>);
      properties[name] = std::move(schema);
      if (doc.required) required.push_back(json::string(name));
    }
  };

  // Integral bounds print as integers (minimum: 0, not 0.0) so the schema reads like upstream
  // CRDs.
  static json::value bound(double d) {
    auto i = static_cast<std::int64_t>(d);
    return static_cast<double>(i) == d ? json::value(i) : json::value(d);
  }

  static void decorate(json::object& schema, const FieldDoc& doc, bool is_string) {
    json::object decorated;
    decorated["description"] = doc.description;
    for (auto& member : schema) decorated[member.key()] = member.value();
    if (!doc.enum_values.empty()) {
      json::array values;
      for (auto v : doc.enum_values) values.push_back(json::string(v));
      decorated["enum"] = std::move(values);
    }
    if (doc.minimum) decorated["minimum"] = bound(*doc.minimum);
    if (doc.maximum) decorated["maximum"] = bound(*doc.maximum);
    if (is_string && doc.format != Format::kNone) {
      const FormatSpec& spec = format_spec(doc.format);
      if (!spec.pattern.empty()) decorated["pattern"] = spec.pattern;
      if (spec.max_length) decorated["maxLength"] = *spec.max_length;
    }
    if (doc.min_length) decorated["minLength"] = *doc.min_length;
    if (doc.max_length) decorated["maxLength"] = *doc.max_length;
    if (doc.max_items) decorated["maxItems"] = *doc.max_items;
    if (!doc.list_map_key.empty()) {
      decorated["x-kubernetes-list-type"] = "map";
      decorated["x-kubernetes-list-map-keys"] = json::array{json::string(doc.list_map_key)};
    }
    if (doc.default_value) decorated["default"] = *doc.default_value;
    schema = std::move(decorated);
  }
};

json::object printer_column(std::string_view name, std::string_view type, std::string_view path,
                            std::string_view description, int priority = 0) {
  json::object column{
      {"name", name}, {"type", type}, {"jsonPath", path}, {"description", description}};
  if (priority) column["priority"] = priority;
  return column;
}

}  // namespace

json::value lambda_agent_openapi_schema() {
  SchemaBuilder builder;
  json::object spec = builder.schema_of(LambdaAgentSpec{});
  json::object status = builder.schema_of(LambdaAgentStatus{});
  spec["description"] =
      "What the agent should be: a pre-built image, its LLM configuration, behaviour, scaling, "
      "eventing and observability.";
  status["description"] = "What the operator observed.";
  json::value schema = json::object{
      {"description",
       "LambdaAgent runs an AI agent from a pre-built image on Knative, with first-class LLM "
       "configuration, intent routing over CloudEvents, autoscaling and AI observability."},
      {"type", "object"},
      {"required", json::array{"spec"}},
      {"properties",
       json::object{
           {"apiVersion", json::object{{"type", "string"},
                                       {"description",
                                        "APIVersion defines the versioned schema of "
                                        "this representation of an object."}}},
           {"kind", json::object{{"type", "string"},
                                 {"description",
                                  "Kind is a string value representing the REST "
                                  "resource this object represents."}}},
           // Kubernetes lets a CRD constrain only name and generateName in metadata; the
           // agent's name becomes its Knative Service's, a DNS-1035 label.
           {"metadata",
            json::object{
                {"type", "object"},
                {"properties",
                 json::object{{"name", json::object{{"type", "string"},
                                                    {"maxLength", 63},
                                                    {"pattern", format_spec(Format::kDns1035Label)
                                                                    .pattern}}}}}}},
           {"spec", std::move(spec)},
           {"status", std::move(status)},
       }},
  };
  return schema;
}

json::value lambda_agent_crd() {
  json::array columns{
      printer_column("Phase", "string", ".status.phase", "Summary of the agent's state"),
      printer_column("Ready", "string", ".status.conditions[?(@.type==\"Ready\")].status",
                     "Whether the agent serves requests"),
      printer_column("Model", "string", ".spec.ai.model", "LLM model"),
      printer_column("URL", "string", ".status.url", "URL of the agent"),
      printer_column("Age", "date", ".metadata.creationTimestamp", "Time since creation"),
      printer_column("Provider", "string", ".spec.ai.provider", "LLM provider", 1),
      printer_column("Image", "string", ".status.image", "Image deployed", 1),
  };
  json::object version{
      {"name", kVersion},
      {"served", true},
      {"storage", true},
      {"subresources", json::object{{"status", json::object{}}}},
      {"additionalPrinterColumns", std::move(columns)},
      {"schema", json::object{{"openAPIV3Schema", lambda_agent_openapi_schema()}}},
  };
  return json::object{
      {"apiVersion", "apiextensions.k8s.io/v1"},
      {"kind", "CustomResourceDefinition"},
      {"metadata",
       json::object{{"name", fmt::format("{}.{}", kPlural, kGroup)},
                    {"labels", json::object{{"app.kubernetes.io/name", "lambda-agent"},
                                            {"app.kubernetes.io/part-of", "lambda-agent"}}}}},
      {"spec",
       json::object{
           {"group", kGroup},
           {"names", json::object{{"kind", kKind},
                                  {"listKind", fmt::format("{}List", kKind)},
                                  {"plural", kPlural},
                                  {"singular", kSingular},
                                  {"shortNames", json::array{json::string(kShortName)}},
                                  {"categories", json::array{json::string(kCategory)}}}},
           {"scope", "Namespaced"},
           {"versions", json::array{std::move(version)}},
       }},
  };
}

}  // namespace lambda::api
