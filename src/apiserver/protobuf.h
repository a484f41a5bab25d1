// Kubernetes protobuf request bodies (Content-Type application/vnd.kubernetes.protobuf) turned
// into the JSON object the rest of the server works on.
//
// kubectl's typed clients (`kubectl create configmap|namespace|secret|serviceaccount|service`)
// send protobuf, not JSON. The body is the 4-byte prefix "k8s\0" and a runtime.Unknown
// {typeMeta {apiVersion, kind}, raw, contentEncoding, contentType} whose `raw` is the object's
// generated.proto message. We decode `raw` by kind, with field numbers from the public
// Kubernetes generated.proto files, for:
//   v1 ConfigMap, Secret, Namespace, ServiceAccount, Service, Event;
//   coordination.k8s.io/v1 Lease; DeleteOptions (any apiVersion; it is registered in all).
// ObjectMeta is decoded in full (managedFields included). Any other kind is an error naming it.
//
// The result is the JSON that Go's encoding/json would write for the decoded Go struct, which is
// what kubectl would have sent had it used JSON: Kubernetes JSON field names in Go struct order,
// `kind` and `apiVersion` first; omitempty scalars, slices and maps left out when empty; pointer
// fields written whenever they were on the wire (gracePeriodSeconds: 0, immutable: false);
// struct-valued fields always written ("status": {"loadBalancer": {}}); zero metav1.Time as null
// ("creationTimestamp": null); Time as RFC 3339 seconds (protobuf nanos dropped, as Go does),
// MicroTime with six fractional digits; []byte as padded base64; map keys sorted; strings that
// are not UTF-8 get U+FFFD for each bad byte.
//
// Protobuf semantics: unknown fields of every wire type are skipped (groups included); for a
// singular field the last occurrence wins, and repeated occurrences of a singular message are
// merged. Hostile input never crashes: every varint and length is bounds-checked, groups and
// messages may nest at most kMaxProtobufDepth deep, and errors are values naming the field path.
//
// Not decoded (skipped as unknown fields): fields newer than the generated.proto files this was
// written from, among them ServiceSpec.trafficDistribution and
// DeleteOptions.ignoreStoreReadErrorWithClusterBreakingPotential.
//
// Thread-safety: pure function. The result owns its memory; it does not point into `body`.
#pragma once

#include <boost/json/value.hpp>
#include <cstddef>
#include <string>
#include <string_view>
#include <tl/expected.hpp>

namespace lambda::apiserver {

inline constexpr std::string_view kProtobufMediaType = "application/vnd.kubernetes.protobuf";
// Nesting of messages and groups; the kinds above nest 5 messages deep at most.
inline constexpr std::size_t kMaxProtobufDepth = 32;

// The error says what is wrong and where ("metadata.labels: truncated varint"), or which kinds
// are decoded when the body holds another one.
tl::expected<boost::json::value, std::string> decode_kubernetes_protobuf(std::string_view body);

}  // namespace lambda::apiserver
