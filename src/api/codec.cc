#include "api/codec.h"

#include "api/codec_internal.h"
#include "common/json_yaml.h"

namespace lambda::api {
namespace json = boost::json;
using internal::Decoder;
using internal::Encoder;

ErrorList decode(const json::value& in, LambdaAgent& out) {
  ErrorList errors;
  Decoder decoder(errors);
  out = LambdaAgent{};
  decoder.decode(in, out, FieldPath());
  return errors;
}

json::value encode(const LambdaAgent& agent) { return Encoder().encode(agent); }
json::value encode(const EnvVar& var) { return Encoder().encode(var); }
json::value encode(const EnvFromSource& source) { return Encoder().encode(source); }
json::value encode(const ResourceRequirements& resources) { return Encoder().encode(resources); }

std::vector<DecodedAgent> decode_documents(std::string_view text) {
  std::vector<DecodedAgent> out;
  auto documents = common::parse_yaml_documents(text);
  if (!documents) {
    DecodedAgent failed;
    failed.document = documents.error().document;
    failed.errors.invalid(FieldPath(), json::string("<document>"),
                          "not valid YAML or JSON: " + documents.error().to_string());
    out.push_back(std::move(failed));
    return out;
  }
  int index = 0;
  for (const auto& document : *documents) {
    DecodedAgent decoded;
    decoded.document = index++;
    if (!document.is_object()) {
      decoded.errors.type_invalid(FieldPath(), document, "a Kubernetes object");
    } else {
      decoded.errors = decode(document, decoded.agent);
    }
    out.push_back(std::move(decoded));
  }
  return out;
}

}  // namespace lambda::api
