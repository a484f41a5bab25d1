// The built-in kinds the embedded API server stores (those the operator and kubectl need), and
// the custom kinds a CustomResourceDefinition declares.
//
// Thread-safety: free functions over values.
#pragma once

#include <boost/json/value.hpp>
#include <chrono>
#include <tl/expected.hpp>
#include <vector>

#include "apiserver/resource_registry.h"
#include "kube/status.h"

namespace lambda::apiserver {

// core/v1 Namespace, ConfigMap, Secret, Service, ServiceAccount, Event; coordination.k8s.io/v1
// Lease; apiextensions.k8s.io/v1 CustomResourceDefinition; admissionregistration.k8s.io/v1
// Mutating- and ValidatingWebhookConfiguration. Each with the Table columns kube-apiserver prints.
void register_builtin_resources(ResourceRegistry& registry);

// Checks a CustomResourceDefinition as apiextensions-apiserver does (names, scope, versions, one
// storage version, structural schemas) and returns the kinds it serves. Causes carry field paths
// from the CRD's root ("spec.versions[0].schema.openAPIV3Schema.type").
tl::expected<std::vector<ResourceType>, std::vector<kube::StatusCause>> custom_resource_types(
    const boost::json::value& crd);

// The status kube-apiserver's CRD controllers write once the names are accepted: conditions
// NamesAccepted and Established, acceptedNames, storedVersions.
boost::json::value established_crd_status(const boost::json::value& crd, std::string_view now);

// Cell text of an age column for a creationTimestamp, as of `now`.
std::string age_cell(const boost::json::value& object, std::chrono::system_clock::time_point now);

}  // namespace lambda::apiserver
