// The LambdaAgent CustomResourceDefinition (apiextensions.k8s.io/v1), generated from the field
// declarations: a structural OpenAPI v3 schema with descriptions (what `kubectl explain` shows),
// enums, ranges, patterns and defaults, the status subresource and printer columns.
// config/crd/ holds the generated YAML; crd_test fails when it drifts from the types
// (regenerate with `lambdactl crd > config/crd/bases/lambda.knative.io_lambdaagents.yaml`).
#pragma once

#include <boost/json/value.hpp>

namespace lambda::api {

// The openAPIV3Schema of the LambdaAgent kind.
boost::json::value lambda_agent_openapi_schema();

// The whole CustomResourceDefinition object.
boost::json::value lambda_agent_crd();

}  // namespace lambda::api
