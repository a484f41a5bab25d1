// LambdaAgent <-> JSON (and so YAML), strict like `kubectl apply --validate=strict`: a field the
// schema does not declare is an error naming its path (with a "did you mean" for near misses),
// a value of the wrong type is an error naming its path, and decoding goes on after an error so
// that every problem of a document is reported at once.
//
// Round trips are exact: encode(decode(j)) == j for any j that decodes without error (null
// members, which Kubernetes treats as absent, are dropped), and decode(encode(a)) == a.
#pragma once

#include <boost/json/value.hpp>
#include <string_view>
#include <vector>

#include "api/field_error.h"
#include "api/lambda_agent.h"

namespace lambda::api {

// Fills out from json. out is complete for every field that decoded; see the returned errors for
// the rest.
ErrorList decode(const boost::json::value& json, LambdaAgent& out);

boost::json::value encode(const LambdaAgent& agent);

// The Kubernetes core/v1 types the spec embeds encode to exactly their Kubernetes JSON, which
// is what render puts into the containers it creates.
boost::json::value encode(const EnvVar& var);
boost::json::value encode(const EnvFromSource& source);
boost::json::value encode(const ResourceRequirements& resources);

// One agent read from text (YAML or JSON). Document-level problems (not YAML, not an object)
// come back as a single error at the root path.
struct DecodedAgent {
  LambdaAgent agent;
  ErrorList errors;
  int document = 0;  // index in a multi-document file
};

// Every document of a YAML/JSON stream. Documents whose kind is not LambdaAgent are reported as
// errors, so that `lambdactl validate -f` never silently skips part of a file.
std::vector<DecodedAgent> decode_documents(std::string_view text);

}  // namespace lambda::api
