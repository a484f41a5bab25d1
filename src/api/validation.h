// Validation of LambdaAgents, Kubernetes style: every error at once, each naming its field path
// (`spec.ai.temperature: Invalid value: 3.5: must be between 0 and 2, inclusive`), plus warnings
// where the platform will do something other than what was literally asked (a source wildcard the
// RabbitMQ broker cannot filter, a metrics port Knative reserves) saying what happens instead.
//
// These are plain functions of the api layer: the admission webhook, the operator, `lambdactl
// validate` and the sidecar all call the same ones.
#pragma once

#include <boost/json/value.hpp>

#include "api/field_error.h"
#include "api/lambda_agent.h"

namespace lambda::api {

struct ValidationResult {
  ErrorList errors;
  Warnings warnings;
  bool ok() const { return errors.empty(); }
};

// Validates an agent that apply_defaults has been run on.
ValidationResult validate(const LambdaAgent& defaulted_agent);

// decode + apply_defaults + validate: what every entry point does with user input. Errors of
// validation that lie under a field that failed to decode are dropped, since they would only
// repeat the decoding error in other words.
struct CheckedAgent {
  LambdaAgent agent;  // defaulted
  ErrorList errors;
  Warnings warnings;
  bool ok() const { return errors.empty(); }
};
CheckedAgent check_agent(const boost::json::value& document);

// The metrics port actually served: the requested one, or kDefaultMetricsPort when Knative
// reserves the requested port (validate() warns about it).
std::int32_t effective_metrics_port(const LambdaAgentSpec& defaulted_spec);

}  // namespace lambda::api
