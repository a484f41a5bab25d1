#include "api/defaults.h"

#include <algorithm>

#include "api/codec_internal.h"

namespace lambda::api {
namespace {

namespace json = boost::json;

class StaticDefaulter {
 public:
  template <class T>
  void operator()(std::optional<T>& member, std::string_view, const FieldDoc& doc) {
    if (!member && doc.default_value) {
      ErrorList impossible;
      T value{};
      // Declared defaults are decoded like user input, so a typo in a declaration fails the
      // defaults test instead of producing a half-set field.
      if (internal::Decoder(impossible).decode(*doc.default_value, value, FieldPath()))
        member = std::move(value);
    }
    if (member) descend(*member);
  }

 private:
  template <class T>
  void descend(T&) {}
  template <reflect::ApiObject T>
  void descend(T& object) {
    describe(*this, object);
  }
  template <reflect::ApiObject T>
  void descend(std::vector<T>& list) {
    for (auto& element : list) describe(*this, element);
  }
};

bool tag_means_latest(const ImageSpec& image) {
  if (image.digest) return false;
  return !image.tag || *image.tag == "latest";
}

}  // namespace

bool is_knative_reserved_port(std::int32_t port) {
  return std::find(std::begin(kKnativeReservedPorts), std::end(kKnativeReservedPorts), port) !=
         std::end(kKnativeReservedPorts);
}

std::string_view default_endpoint(std::string_view provider) {
  if (provider == providers::kOllama) return kDefaultOllamaEndpoint;
  if (provider == providers::kOpenAi) return kDefaultOpenAiEndpoint;
  if (provider == providers::kAnthropic) return kDefaultAnthropicEndpoint;
  return {};
}

void apply_defaults(LambdaAgent& agent) {
  StaticDefaulter defaulter;
  describe(defaulter, agent);

  // kubectl sends objects without a namespace to its context's namespace, "default" when unset.
  if (!agent.metadata) agent.metadata.emplace();
  ObjectMeta& meta = *agent.metadata;
  if (!meta.namespace_) meta.namespace_ = "default";
  const std::string& ns = *meta.namespace_;
  if (!agent.spec) return;
  LambdaAgentSpec& spec = *agent.spec;

  if (spec.image && !spec.image->pull_policy)
    spec.image->pull_policy = tag_means_latest(*spec.image) ? "Always" : "IfNotPresent";

  if (spec.ai) {
    AiSpec& ai = *spec.ai;
    if (!ai.endpoint && ai.provider) {
      std::string_view endpoint = default_endpoint(*ai.provider);
      if (!endpoint.empty()) ai.endpoint = std::string(endpoint);
    }
    if (!ai.max_tokens && ai.provider == providers::kAnthropic)
      ai.max_tokens = kDefaultAnthropicMaxTokens;
  }

  const bool eventing_enabled = spec.eventing && spec.eventing->enabled.value_or(false);
  if (spec.behavior && !spec.behavior->emit_events) spec.behavior->emit_events = eventing_enabled;

  if (spec.eventing) {
    EventingSpec& eventing = *spec.eventing;
    if (!eventing.event_source && meta.name) eventing.event_source = "/" + ns + "/" + *meta.name;
    if (eventing.rabbitmq && !eventing.rabbitmq->namespace_) eventing.rabbitmq->namespace_ = ns;
    if (eventing.routing) {
      for (auto& route : *eventing.routing)
        if (route.target && !route.target->namespace_) route.target->namespace_ = ns;
    }
  }
}

}  // namespace lambda::api
