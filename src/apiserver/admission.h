// Admission webhooks (admissionregistration.k8s.io/v1) for the embedded API server: before a
// create, update or delete is stored, the MutatingWebhookConfigurations and then the
// ValidatingWebhookConfigurations in the ObjectStore are consulted, and each matching webhook is
// sent an admission.k8s.io/v1 AdmissionReview over HTTPS, as kube-apiserver does. Mutating
// webhooks may change the object with a JSON patch; any webhook may deny the request or attach
// warnings.
//
// What kube-apiserver does and this does too (with its messages):
// - order: mutating webhooks one after the other, by configuration name and then webhook order,
//   each seeing the object as patched so far; then validating webhooks, in the same order.
// - matching: rules (operations, apiGroups, apiVersions, resources with "*", "*/*", "pods/status"
//   and "pods/*", scope Cluster | Namespaced | *), namespaceSelector (labels of the object's
//   Namespace; a Namespace's own labels when it is the object; not applied to other cluster-scoped
//   kinds), objectSelector (labels of the object or of the old object). matchPolicy Equivalent is
//   treated as Exact: there is no version conversion here.
// - denial: the response's status.code (403 when absent or below 400) and the message
//   `admission webhook "NAME" denied the request: MESSAGE`.
// - call failures (unreachable, TLS, timeout, non-2xx, invalid response, wrong uid) obey
//   failurePolicy: Fail (the default) answers 500 InternalError
//   `Internal error occurred: failed calling webhook "NAME": ...`; Ignore skips the webhook.
// - a patch that cannot be applied, or that changes apiVersion, kind, name or namespace, is a
//   500 whatever the failure policy (as it is in kube-apiserver).
// - dry-run requests: a matching webhook must declare sideEffects None or NoneOnDryRun, else the
//   request is refused with 400 `admission webhook "NAME" does not support dry run`.
// - timeoutSeconds: default 10, clamped to 1..30; admissionReviewVersions must include v1.
// - Mutating- and ValidatingWebhookConfigurations (and the admission policy kinds) are never
//   themselves sent to webhooks, so that a broken webhook can always be removed.
//
// Differences (documented in docs/apiserver.md): validating webhooks are called one after the
// other, not in parallel (the first denial in order wins, deterministically); matchConditions are
// not evaluated (the webhook is called as if they held); reinvocationPolicy is ignored (no second
// round); clientConfig.service cannot be reached, since there is no cluster network, unless
// AdmissionOptions::resolve_service maps it to an address. Configurations are not validated when
// written, so every field is checked at call time and a malformed webhook counts as a call
// failure of that webhook.
//
// Ownership: AdmissionChain reads the store it is given (which must outlive it) at every call, so
// configuration changes apply to the next request. It owns a small cache of HTTPS clients, keyed
// by address, CA bundle and server name; each client owns one I/O thread.
//
// Thread-safety: mutate(), validate(), admit() and shutdown() may be called from any number of
// threads at once. Webhook responses are untrusted input: no response makes these functions
// throw or crash; at worst the request fails with a Status.
#pragma once

#include <boost/json/value.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <vector>

#include "kube/status.h"

namespace lambda::apiserver {

class ObjectStore;
struct ResourceType;

enum class AdmissionOperation { kCreate, kUpdate, kDelete };
std::string_view admission_operation_name(AdmissionOperation op);  // "CREATE", ...

// authentication.k8s.io/v1 UserInfo as sent to webhooks. The embedded server has one identity
// with every permission, which is what kube-apiserver reports for a cluster admin.
struct AdmissionUser {
  std::string username = "admin";
  std::vector<std::string> groups = {"system:masters", "system:authenticated"};
};

struct AdmissionRequest {
  AdmissionOperation operation = AdmissionOperation::kCreate;
  const ResourceType* type = nullptr;  // the endpoint's kind; not owned, outlives the call
  std::string subresource;             // "status", "finalize" or empty
  std::string namespace_name;          // empty for cluster-scoped kinds
  std::string name;                    // empty on CREATE with generateName
  boost::json::value object;           // null for DELETE
  const boost::json::value* old_object = nullptr;  // null for CREATE; not owned
  bool dry_run = false;
  AdmissionUser user;
  boost::json::value options;  // from admission_options()
};

struct AdmissionResult {
  boost::json::value object;          // after every mutating webhook's patch
  std::vector<std::string> warnings;  // response.warnings, sanitised for a Warning header
};

// The options object of an AdmissionReview: meta.k8s.io/v1 CreateOptions, UpdateOptions or
// DeleteOptions, with dryRun ["All"], fieldManager and propagationPolicy where given.
boost::json::value admission_options(AdmissionOperation op, bool dry_run,
                                     std::string_view field_manager,
                                     std::string_view propagation_policy = {});

// True for the kinds whose writes no webhook sees (their own configurations).
bool admission_exempt(std::string_view group, std::string_view resource);

struct AdmissionOptions {
  // clientConfig.service {namespace, name, port}: returns the base URL ("https://127.0.0.1:8443")
  // that reaches it, or nullopt when it cannot be reached. The certificate must still name
  // "<name>.<namespace>.svc", as it must in a cluster. Unset: every service is unreachable.
  std::function<std::optional<std::string>(std::string_view namespace_name, std::string_view name,
                                           int port)>
      resolve_service;
  // Upper bound of every call's timeout (timeoutSeconds is at most 30 s anyway); tests lower it
  // to exercise timeouts quickly.
  std::chrono::milliseconds max_timeout{std::chrono::seconds(30)};
  std::size_t max_cached_clients = 16;
  // Bodies larger than this are a call failure: one object is at most a few MiB.
  std::size_t max_response_bytes = 16u << 20;
};

class AdmissionChain {
 public:
  explicit AdmissionChain(const ObjectStore& store, AdmissionOptions options = {});
  ~AdmissionChain();
  AdmissionChain(const AdmissionChain&) = delete;
  AdmissionChain& operator=(const AdmissionChain&) = delete;

  // Runs the matching mutating webhooks; the result holds the patched request.object.
  tl::expected<AdmissionResult, kube::Status> mutate(AdmissionRequest request);
  // Runs the matching validating webhooks; returns their warnings.
  tl::expected<std::vector<std::string>, kube::Status> validate(const AdmissionRequest& request);
  // mutate() then validate() on the mutated object, warnings of both.
  tl::expected<AdmissionResult, kube::Status> admit(AdmissionRequest request);

  // Makes calls in flight and every later call fail at once (as call failures), so that a
  // server stopping is not held up by a slow webhook. Idempotent.
  void shutdown();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace lambda::apiserver
