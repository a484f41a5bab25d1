#include "apiserver/protobuf.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdint>
#include <random>
#include <string>

namespace lambda::apiserver {
namespace {
namespace json = boost::json;

// A protobuf encoder just big enough to write what client-go's generated Marshal writes.
class Pb {
 public:
  Pb& varint(std::uint32_t field, std::uint64_t v) {
    tag(field, 0);
    put_varint(v);
    return *this;
  }
  Pb& bytes(std::uint32_t field, std::string_view v) {
    tag(field, 2);
    put_varint(v.size());
    out_.append(v);
    return *this;
  }
  Pb& message(std::uint32_t field, const Pb& m) { return bytes(field, m.str()); }
  // A map<string, string|bytes> entry.
  Pb& entry(std::uint32_t field, std::string_view key, std::string_view value) {
    return message(field, Pb().bytes(1, key).bytes(2, value));
  }
  Pb& fixed32(std::uint32_t field) {
    tag(field, 5);
    out_.append("\x01\x02\x03\x04");
    return *this;
  }
  Pb& fixed64(std::uint32_t field) {
    tag(field, 1);
    out_.append("\x01\x02\x03\x04\x05\x06\x07\x08");
    return *this;
  }
  Pb& tag(std::uint32_t field, std::uint8_t wire_type) {
    put_varint((std::uint64_t{field} << 3) | wire_type);
    return *this;
  }
  Pb& raw(std::string_view b) {
    out_.append(b);
    return *this;
  }
  const std::string& str() const { return out_; }

 private:
  void put_varint(std::uint64_t v) {
    while (v >= 0x80) {
      out_ += static_cast<char>((v & 0x7f) | 0x80);
      v >>= 7;
    }
    out_ += static_cast<char>(v);
  }
  std::string out_;
};

const std::string kMagic("k8s\0", 4);

// The runtime.Unknown client-go writes around an object (empty encoding and content type).
std::string envelope(std::string_view api_version, std::string_view kind, const Pb& object) {
  return kMagic + Pb().message(1, Pb().bytes(1, api_version).bytes(2, kind))
                      .bytes(2, object.str())
                      .bytes(3, "")
                      .bytes(4, "")
                      .str();
}

// ObjectMeta as Go writes a fresh one: a name and an empty (zero) creationTimestamp.
Pb meta(std::string_view name) { return Pb().bytes(1, name).message(8, Pb()); }

Pb timestamp(std::int64_t seconds, std::int32_t nanos = 0) {
  return Pb()
      .varint(1, static_cast<std::uint64_t>(seconds))
      .varint(2, static_cast<std::uint64_t>(static_cast<std::int64_t>(nanos)));
}

json::value decoded(const std::string& body) {
  auto r = decode_kubernetes_protobuf(body);
  EXPECT_TRUE(r) << r.error();
  return r ? *r : json::value();
}

std::string text(const std::string& body) { return json::serialize(decoded(body)); }

std::string error_of(const std::string& body) {
  auto r = decode_kubernetes_protobuf(body);
  EXPECT_FALSE(r) << json::serialize(*r);
  return r ? std::string() : r.error();
}

#define EXPECT_CONTAINS(haystack, needle) \
  EXPECT_NE((haystack).find(needle), std::string::npos) << "in: " << (haystack)

// ---------------------------------------------------------------------------------------------
// Each kind

TEST(KubernetesProtobuf, ConfigMapIsTheJsonKubectlWouldHaveSent) {
  auto body = envelope("v1", "ConfigMap", Pb().message(1, meta("c")).entry(2, "a", "1"));
  EXPECT_EQ(text(body), R"({"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"c",)"
                        R"("creationTimestamp":null},"data":{"a":"1"}})");
}

TEST(KubernetesProtobuf, ConfigMapSortsKeysKeepsTheLastDuplicateAndEncodesBinaryData) {
  auto body = envelope("v1", "ConfigMap",
                       Pb().message(1, meta("c"))
                           .varint(4, 0)
                           .entry(2, "z", "26")
                           .entry(2, "b", "old")
                           .entry(2, "b", "2")
                           .entry(3, "bin", std::string("\x00\xff", 2)));
  EXPECT_EQ(text(body), R"({"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"c",)"
                        R"("creationTimestamp":null},"immutable":false,"data":{"b":"2","z":"26"},)"
                        R"("binaryData":{"bin":"AP8="}})");
}

TEST(KubernetesProtobuf, SecretDataBecomesBase64AndStringDataTypeAndImmutableAreKept) {
  auto body = envelope("v1", "Secret",
                       Pb().message(1, meta("s"))
                           .varint(5, 1)
                           .entry(2, "k", "v")
                           .entry(2, "empty", "")
                           .bytes(3, "Opaque")
                           .entry(4, "plain", "text"));
  EXPECT_EQ(text(body),
            R"({"kind":"Secret","apiVersion":"v1","metadata":{"name":"s",)"
            R"("creationTimestamp":null},"immutable":true,"data":{"empty":"","k":"dg=="},)"
            R"("stringData":{"plain":"text"},"type":"Opaque"})");
}

TEST(KubernetesProtobuf, NamespaceAlwaysHasSpecAndStatusAndKeepsFinalizersAndConditions) {
  EXPECT_EQ(text(envelope("v1", "Namespace",
                          Pb().message(1, meta("x")).message(2, Pb()).message(3, Pb()))),
            R"({"kind":"Namespace","apiVersion":"v1","metadata":{"name":"x",)"
            R"("creationTimestamp":null},"spec":{},"status":{}})");
  auto full = decoded(
      envelope("v1", "Namespace",
               Pb().message(1, meta("y"))
                   .message(2, Pb().bytes(1, "kubernetes"))
                   .message(3, Pb().bytes(1, "Terminating")
                                   .message(2, Pb().bytes(1, "NamespaceDeletionContentFailure")
                                                   .bytes(2, "False")
                                                   .message(4, timestamp(1714564800))
                                                   .bytes(5, "")
                                                   .bytes(6, "")))));
  EXPECT_EQ(full.at("spec"), json::parse(R"({"finalizers":["kubernetes"]})"));
  EXPECT_EQ(full.at("status"), json::parse(R"({"phase":"Terminating","conditions":[{"type":)"
                                           R"("NamespaceDeletionContentFailure","status":"False",)"
                                           R"("lastTransitionTime":"2024-05-01T12:00:00Z"}]})"));
}

TEST(KubernetesProtobuf, ServiceAccountKeepsSecretReferencesAndAFalseAutomount) {
  auto body = envelope("v1", "ServiceAccount",
                       Pb().message(1, meta("sa"))
                           .message(2, Pb().bytes(3, "token").bytes(2, "default"))
                           .message(3, Pb().bytes(1, "registry"))
                           .varint(4, 0));
  EXPECT_EQ(text(body),
            R"({"kind":"ServiceAccount","apiVersion":"v1","metadata":{"name":"sa",)"
            R"("creationTimestamp":null},"secrets":[{"namespace":"default","name":"token"}],)"
            R"("imagePullSecrets":[{"name":"registry"}],"automountServiceAccountToken":false})");
}

// What `kubectl create service clusterip svc --tcp=80:8080` writes: every non-pointer field,
// zero or not, as gogo-protobuf's Marshal does.
TEST(KubernetesProtobuf, ServiceIsTheJsonKubectlCreateServiceWouldHaveSent) {
  Pb port = Pb().bytes(1, "80-8080")
                .bytes(2, "TCP")
                .varint(3, 80)
                .message(4, Pb().varint(1, 0).varint(2, 8080).bytes(3, ""))
                .varint(5, 0);
  Pb spec = Pb().message(1, port)
                .entry(2, "app", "svc")
                .bytes(3, "")
                .bytes(4, "ClusterIP")
                .bytes(7, "")
                .bytes(8, "")
                .bytes(10, "")
                .bytes(11, "")
                .varint(12, 0)
                .varint(13, 0);
  Pb svc = Pb().message(1, meta("svc").entry(11, "app", "svc"))
               .message(2, spec)
               .message(3, Pb().message(1, Pb()));
  EXPECT_EQ(text(envelope("v1", "Service", svc)),
            R"({"kind":"Service","apiVersion":"v1","metadata":{"name":"svc",)"
            R"("creationTimestamp":null,"labels":{"app":"svc"}},"spec":{"ports":[{"name":)"
            R"("80-8080","protocol":"TCP","port":80,"targetPort":8080}],"selector":{"app":)"
            R"("svc"},"type":"ClusterIP"},"status":{"loadBalancer":{}}})");
}

TEST(KubernetesProtobuf, ServiceKeepsNamedTargetPortsPointersAndLoadBalancerStatus) {
  Pb spec = Pb().message(1, Pb().bytes(1, "web").varint(3, 443).bytes(6, "").message(
                                4, Pb().varint(1, 1).bytes(3, "https")))
                .message(1, Pb().varint(3, 53).bytes(2, "UDP"))  // no targetPort: Go writes 0
                .bytes(18, "10.0.0.1")
                .bytes(18, "fd00::1")
                .bytes(5, "192.0.2.1")
                .bytes(7, "ClientIP")
                .message(14, Pb().message(1, Pb().varint(1, 10800)))
                .bytes(19, "IPv4")
                .bytes(17, "PreferDualStack")
                .varint(20, 0)
                .bytes(22, "Local")
                .varint(12, 30000)
                .varint(13, 1);
  Pb status =
      Pb().message(1, Pb().message(1, Pb().bytes(1, "203.0.113.7")
                                          .bytes(3, "VIP")
                                          .message(4, Pb().varint(1, 443).bytes(2, "TCP"))));
  auto svc = decoded(
      envelope("v1", "Service", Pb().message(1, meta("s")).message(2, spec).message(3, status)));
  EXPECT_EQ(svc.at("spec"),
            json::parse(R"({"ports":[{"name":"web","appProtocol":"","port":443,)"
                        R"("targetPort":"https"},{"protocol":"UDP","port":53,"targetPort":0}],)"
                        R"("clusterIPs":["10.0.0.1","fd00::1"],"externalIPs":["192.0.2.1"],)"
                        R"("sessionAffinity":"ClientIP","healthCheckNodePort":30000,)"
                        R"("publishNotReadyAddresses":true,"sessionAffinityConfig":{"clientIP":)"
                        R"({"timeoutSeconds":10800}},"ipFamilies":["IPv4"],"ipFamilyPolicy":)"
                        R"("PreferDualStack","allocateLoadBalancerNodePorts":false,)"
                        R"("internalTrafficPolicy":"Local"})"));
  EXPECT_EQ(svc.at("status"),
            json::parse(R"({"loadBalancer":{"ingress":[{"ip":"203.0.113.7","ipMode":"VIP",)"
                        R"("ports":[{"port":443,"protocol":"TCP"}]}]}})"));
}

TEST(KubernetesProtobuf, EventWritesItsTimesReferencesAndUnsetStructsAsGoDoes) {
  Pb event = Pb().message(1, meta("e").bytes(3, "default"))
                 .message(2, Pb().bytes(1, "Pod").bytes(3, "p").bytes(7, "spec.containers{c}"))
                 .bytes(3, "Started")
                 .bytes(4, "Started container c")
                 .message(5, Pb().bytes(1, "kubelet"))
                 .message(6, timestamp(1714564800, 999))
                 .message(7, Pb())
                 .varint(8, 2)
                 .bytes(9, "Normal")
                 .message(10, timestamp(1714564800, 123456789))
                 .message(11, Pb().varint(1, 3).message(2, timestamp(-14182940, 5000)))
                 .message(13, Pb().bytes(1, "Node").bytes(3, "n1"));
  EXPECT_EQ(text(envelope("v1", "Event", event)),
            R"({"kind":"Event","apiVersion":"v1","metadata":{"name":"e","namespace":"default",)"
            R"("creationTimestamp":null},"involvedObject":{"kind":"Pod","name":"p",)"
            R"("fieldPath":"spec.containers{c}"},"reason":"Started","message":)"
            R"("Started container c","source":{"component":"kubelet"},"firstTimestamp":)"
            R"("2024-05-01T12:00:00Z","lastTimestamp":null,"count":2,"type":"Normal",)"
            R"("eventTime":"2024-05-01T12:00:00.123456Z","series":{"count":3,)"
            R"("lastObservedTime":"1969-07-20T20:17:40.000005Z"},"related":{"kind":"Node",)"
            R"("name":"n1"},"reportingComponent":"","reportingInstance":""})");
}

TEST(KubernetesProtobuf, LeaseWritesPresentPointersEvenWhenZero) {
  Pb spec = Pb().bytes(1, "")
                .varint(2, 0)
                .message(3, timestamp(1767323045, 1000))
                .message(4, timestamp(1767323045, 999999999))
                .varint(5, 7)
                .bytes(6, "OldestEmulationVersion");
  EXPECT_EQ(text(envelope("coordination.k8s.io/v1", "Lease",
                          Pb().message(1, meta("l")).message(2, spec))),
            R"({"kind":"Lease","apiVersion":"coordination.k8s.io/v1","metadata":{"name":"l",)"
            R"("creationTimestamp":null},"spec":{"holderIdentity":"","leaseDurationSeconds":0,)"
            R"("acquireTime":"2026-01-02T03:04:05.000001Z","renewTime":)"
            R"("2026-01-02T03:04:05.999999Z","leaseTransitions":7,"strategy":)"
            R"("OldestEmulationVersion"}})");
}

TEST(KubernetesProtobuf, DeleteOptionsFromAnyGroupVersionKeepZeroPointers) {
  Pb options = Pb().varint(1, 0)
                   .message(2, Pb().bytes(1, "1234-uid"))
                   .bytes(4, "Foreground")
                   .bytes(5, "All");
  for (std::string_view gv : {"v1", "meta.k8s.io/v1", "apps/v1"}) {
    auto o = decoded(envelope(gv, "DeleteOptions", options));
    EXPECT_EQ(o, json::parse(R"({"kind":"DeleteOptions","apiVersion":")" + std::string(gv) +
                             R"(","gracePeriodSeconds":0,"preconditions":{"uid":"1234-uid"},)"
                             R"("propagationPolicy":"Foreground","dryRun":["All"]})"));
  }
}

TEST(KubernetesProtobuf, ObjectMetaIsDecodedInFull) {
  Pb owner = Pb().bytes(1, "Deployment")
                 .bytes(3, "web")
                 .bytes(4, "owner-uid")
                 .bytes(5, "apps/v1")
                 .varint(6, 1)
                 .varint(7, 0);
  Pb managed = Pb().bytes(1, "kubectl-client-side-apply")
                   .bytes(2, "Update")
                   .bytes(3, "v1")
                   .message(4, timestamp(1714564800))
                   .bytes(6, "FieldsV1")
                   .message(7, Pb().bytes(1, R"({"f:data":{".":{},"f:a":{}}})"))
                   .bytes(8, "");
  Pb m = Pb().bytes(1, "")
             .bytes(2, "gen-")
             .bytes(3, "ns")
             .bytes(4, "")
             .bytes(5, "uid-1")
             .bytes(6, "42")
             .varint(7, 3)
             .message(8, timestamp(1714564800))
             .message(9, timestamp(1767323045))
             .varint(10, 30)
             .entry(11, "app", "web")
             .entry(12, "note", "hello")
             .message(13, owner)
             .bytes(14, "example.com/a")
             .bytes(14, "example.com/b")
             .message(17, managed);
  auto o = decoded(envelope("v1", "ConfigMap", Pb().message(1, m)));
  EXPECT_EQ(json::serialize(o.at("metadata")),
            R"({"generateName":"gen-","namespace":"ns","uid":"uid-1","resourceVersion":"42",)"
            R"("generation":3,"creationTimestamp":"2024-05-01T12:00:00Z","deletionTimestamp":)"
            R"("2026-01-02T03:04:05Z","deletionGracePeriodSeconds":30,"labels":{"app":"web"},)"
            R"("annotations":{"note":"hello"},"ownerReferences":[{"apiVersion":"apps/v1",)"
            R"("kind":"Deployment","name":"web","uid":"owner-uid","controller":true,)"
            R"("blockOwnerDeletion":false}],"finalizers":["example.com/a","example.com/b"],)"
            R"("managedFields":[{"manager":"kubectl-client-side-apply","operation":"Update",)"
            R"("apiVersion":"v1","time":"2024-05-01T12:00:00Z","fieldsType":"FieldsV1",)"
            R"("fieldsV1":{"f:data":{".":{},"f:a":{}}}}]})");
}

// ---------------------------------------------------------------------------------------------
// Protobuf and Go semantics

TEST(KubernetesProtobuf, TimesFollowGo) {
  auto created = [](const Pb& ts) {
    auto o = decoded(envelope("v1", "ConfigMap", Pb().message(1, Pb().message(8, ts))));
    return json::serialize(o.at_pointer("/metadata/creationTimestamp"));
  };
  EXPECT_EQ(created(timestamp(1714564800, 999999999)), R"("2024-05-01T12:00:00Z")");
  EXPECT_EQ(created(timestamp(0)), R"("1970-01-01T00:00:00Z")");
  EXPECT_EQ(created(timestamp(-62135596800)), "null");  // Go's zero time.Time
  EXPECT_EQ(created(timestamp(-62167219200)), R"("0000-01-01T00:00:00Z")");
  EXPECT_EQ(created(timestamp(253402300799)), R"("9999-12-31T23:59:59Z")");
  auto renew = [](const Pb& ts) {
    auto o =
        decoded(envelope("coordination.k8s.io/v1", "Lease", Pb().message(2, Pb().message(4, ts))));
    return json::serialize(o.at_pointer("/spec/renewTime"));
  };
  EXPECT_EQ(renew(timestamp(10, -1)), R"("1970-01-01T00:00:09.999999Z")");
  EXPECT_EQ(renew(timestamp(10, 2'000'000'001)), R"("1970-01-01T00:00:12.000000Z")");
  EXPECT_EQ(renew(Pb()), "null");
}

TEST(KubernetesProtobuf, SkipsUnknownFieldsOfEveryWireType) {
  Pb unknowns = Pb().varint(99, 12345)
                    .fixed32(98)
                    .fixed64(97)
                    .bytes(96, "ignored")
                    .tag(95, 3)  // a group holding fields and a nested group
                    .varint(1, 1)
                    .tag(2, 3)
                    .bytes(3, "x")
                    .tag(2, 4)
                    .tag(95, 4);
  auto body = envelope("v1", "ConfigMap",
                       Pb().raw(unknowns.str())
                           .message(1, Pb().raw(unknowns.str()).bytes(1, "c"))
                           .entry(2, "a", "1"));
  EXPECT_EQ(text(body), R"({"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"c",)"
                        R"("creationTimestamp":null},"data":{"a":"1"}})");
  // And in the envelope.
  std::string padded =
      kMagic + Pb().raw(unknowns.str()).str() + envelope("v1", "ConfigMap", Pb()).substr(4);
  EXPECT_EQ(text(padded),
            R"({"kind":"ConfigMap","apiVersion":"v1","metadata":{"creationTimestamp":null}})");
}

TEST(KubernetesProtobuf, MergesRepeatedSingularMessagesAndTheLastScalarWins) {
  auto body = envelope("v1", "Secret",
                       Pb().message(1, Pb().bytes(1, "first").bytes(3, "ns"))
                           .bytes(3, "Opaque")
                           .message(1, Pb().bytes(1, "second").entry(11, "a", "b"))
                           .bytes(3, "kubernetes.io/tls"));
  EXPECT_EQ(text(body),
            R"({"kind":"Secret","apiVersion":"v1","metadata":{"name":"second","namespace":"ns",)"
            R"("creationTimestamp":null,"labels":{"a":"b"}},"type":"kubernetes.io/tls"})");
}

TEST(KubernetesProtobuf, IntegersWrapAsGoDecodesThem) {
  auto svc = decoded(envelope(
      "v1", "Service",
      Pb().message(
          2, Pb().message(
                 1, Pb().varint(3, static_cast<std::uint64_t>(-1)).varint(5, 0x1'0000'0007ULL)))));
  EXPECT_EQ(svc.at_pointer("/spec/ports/0/port"), json::value(-1));
  EXPECT_EQ(svc.at_pointer("/spec/ports/0/nodePort"), json::value(7));
}

TEST(KubernetesProtobuf, BytesThatAreNotUtf8BecomeReplacementCharacters) {
  auto o = decoded(
      envelope("v1", "ConfigMap", Pb().entry(2, "k\xff", "a\xc3\x28z\xed\xa0\x80\xe2\x82\xac")));
  EXPECT_EQ(json::serialize(o.at("data")),
            "{\"k\xef\xbf\xbd\":\"a\xef\xbf\xbd(z\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
            "\xe2\x82\xac\"}");
}

// ---------------------------------------------------------------------------------------------
// Malformed and hostile input: errors, never crashes

TEST(KubernetesProtobuf, RejectsBodiesWithoutTheMagicPrefix) {
  EXPECT_CONTAINS(error_of(""), "k8s\\x00");
  EXPECT_CONTAINS(error_of("k8s"), "k8s\\x00");
  EXPECT_CONTAINS(error_of("{\"kind\":\"ConfigMap\"}"), "k8s\\x00");
  EXPECT_CONTAINS(error_of("k8s\x01" + envelope("v1", "ConfigMap", Pb()).substr(4)), "k8s\\x00");
}

TEST(KubernetesProtobuf, RejectsOtherKindsNamingThemAndTheDecodedOnes) {
  auto e = error_of(envelope("apps/v1", "Deployment", Pb().message(1, meta("d"))));
  EXPECT_CONTAINS(e, "not for apps/v1 Deployment");
  EXPECT_CONTAINS(e, "v1 ConfigMap");
  EXPECT_CONTAINS(e, "coordination.k8s.io/v1 Lease");
  EXPECT_CONTAINS(e, "send application/json");
  // events.k8s.io/v1 Event has other field numbers than v1 Event.
  EXPECT_CONTAINS(error_of(envelope("events.k8s.io/v1", "Event", Pb())),
                  "not for events.k8s.io/v1 Event");
  EXPECT_CONTAINS(error_of(kMagic + Pb().bytes(2, "raw").str()), "an object without a kind");
}

TEST(KubernetesProtobuf, RejectsContentEncodingsAndOtherContentTypes) {
  auto with = [](std::uint32_t field, std::string_view value) {
    return kMagic +
           Pb().message(1, Pb().bytes(1, "v1").bytes(2, "ConfigMap")).bytes(field, value).str();
  };
  EXPECT_CONTAINS(error_of(with(3, "gzip")), "content encoding \"gzip\"");
  EXPECT_CONTAINS(error_of(with(4, "application/json")), "holds application/json");
  EXPECT_TRUE(decode_kubernetes_protobuf(with(4, kProtobufMediaType)));
}

TEST(KubernetesProtobuf, RejectsTruncatedVarintsNamingWhere) {
  std::string body = envelope("v1", "ConfigMap", Pb().message(1, meta("c")));
  EXPECT_CONTAINS(error_of(kMagic + "\x8a"), "truncated varint");  // in the envelope's tag
  // Inside metadata: a tag for a varint field with no value after it.
  auto e = error_of(envelope("v1", "ConfigMap", Pb().message(1, Pb().raw("\x38\xff\xff"))));
  EXPECT_CONTAINS(e, "invalid protobuf ConfigMap at metadata: truncated varint");
  // Every prefix of a valid body is either valid or an error.
  for (std::size_t n = 0; n < body.size(); ++n) (void)decode_kubernetes_protobuf(body.substr(0, n));
}

TEST(KubernetesProtobuf, RejectsLengthsPastTheEnd) {
  EXPECT_CONTAINS(error_of(envelope("v1", "ConfigMap",
                                    Pb().message(1, Pb().raw("\x0a\x05"
                                                             "ab")))),
                  "at metadata: length 5 runs past the end (2 bytes left)");
  // A length near 2^64 must not wrap around the bounds check.
  EXPECT_CONTAINS(error_of(kMagic + "\x12\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"),
                  "runs past the end");
}

TEST(KubernetesProtobuf, RejectsVarintsLongerThanTenBytes) {
  EXPECT_CONTAINS(
      error_of(
          envelope("v1", "ConfigMap",
                   Pb().message(1, Pb().raw("\x38\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01")))),
      "varint overflows 64 bits");
  EXPECT_CONTAINS(
      error_of(envelope("v1", "ConfigMap",
                        Pb().message(1, Pb().raw("\x38\x80\x80\x80\x80\x80\x80\x80\x80\x80\x02")))),
      "varint overflows 64 bits");
}

TEST(KubernetesProtobuf, RejectsFieldNumberZeroAndInvalidWireTypes) {
  EXPECT_CONTAINS(error_of(kMagic + std::string("\x00\x01", 2)), "invalid field number 0");
  EXPECT_CONTAINS(error_of(kMagic + "\x0e"), "invalid wire type 6");
  EXPECT_CONTAINS(error_of(kMagic + "\x0f"), "invalid wire type 7");
  EXPECT_CONTAINS(error_of(kMagic + "\x0c"), "end-group tag of field 1 without a start-group tag");
}

TEST(KubernetesProtobuf, RejectsWrongWireTypesForKnownFields) {
  EXPECT_CONTAINS(error_of(envelope("v1", "ConfigMap", Pb().message(1, Pb().varint(1, 5)))),
                  "at metadata.name: wire type 0 where a length-delimited field belongs");
  EXPECT_CONTAINS(
      error_of(envelope("v1", "Service",
                        Pb().message(2, Pb().message(1, Pb()).message(1, Pb().bytes(3, "80"))))),
      "at spec.ports[1].port: wire type 2 where a varint belongs");
  EXPECT_CONTAINS(error_of(kMagic + Pb().varint(2, 1).str()), "field 2: not length-delimited");
}

TEST(KubernetesProtobuf, RejectsDeeplyNestedAndBrokenGroups) {
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += Pb().tag(50, 3).str();
  EXPECT_CONTAINS(error_of(envelope("v1", "ConfigMap", Pb().raw(deep))),
                  "groups nested deeper than 32");
  EXPECT_CONTAINS(error_of(envelope("v1", "ConfigMap", Pb().tag(50, 3).varint(1, 1))),
                  "group of field 50 is not terminated");
  EXPECT_CONTAINS(error_of(envelope("v1", "ConfigMap", Pb().tag(50, 3).tag(51, 4))),
                  "end-group tag of field 51 closes the group of field 50");
}

TEST(KubernetesProtobuf, RejectsImpossibleValues) {
  EXPECT_CONTAINS(
      error_of(envelope("v1", "Service",
                        Pb().message(2, Pb().message(1, Pb().message(4, Pb().varint(1, 2)))))),
      "at spec.ports[0].targetPort: impossible IntOrString type 2");
  EXPECT_CONTAINS(
      error_of(
          envelope("v1", "ConfigMap", Pb().message(1, Pb().message(8, timestamp(253402300800))))),
      "at metadata.creationTimestamp: timestamp 253402300800 is outside the years 0 to 9999");
  EXPECT_CONTAINS(
      error_of(envelope("v1", "ConfigMap", Pb().message(1, Pb().message(8, timestamp(INT64_MIN))))),
      "is outside the years 0 to 9999");
  auto managed = [](std::string_view fields) {
    return envelope("v1", "ConfigMap",
                    Pb().message(1, Pb().message(17, Pb().message(7, Pb().bytes(1, fields)))));
  };
  EXPECT_CONTAINS(error_of(managed("{")), "at metadata.managedFields[0].fieldsV1: not JSON");
  EXPECT_CONTAINS(error_of(managed(std::string(100000, '['))), "fieldsV1: not JSON");
}

// A seeded stand-in for the fuzzer: truncations and random mutations of real bodies must give a
// value or an error, never a crash (run it under the asan preset).
TEST(KubernetesProtobuf, SurvivesTruncationsAndRandomMutations) {
  Pb spec = Pb().message(1, Pb().bytes(1, "p").varint(3, 80).message(4, Pb().varint(2, 8080)))
                .entry(2, "app", "x")
                .message(14, Pb().message(1, Pb().varint(1, 5)));
  Pb meta_full = meta("svc")
                     .entry(11, "a", "b")
                     .message(13, Pb().bytes(1, "K").bytes(3, "n"))
                     .message(17, Pb().message(7, Pb().bytes(1, "{}")));
  std::vector<std::string> seeds = {
      envelope("v1", "Service", Pb().message(1, meta_full).message(2, spec)),
      envelope("v1", "Event",
               Pb().message(1, meta("e"))
                   .message(10, timestamp(5, 6))
                   .message(11, Pb().message(2, timestamp(7)))),
      envelope("v1", "Secret", Pb().message(1, meta("s")).entry(2, "k", "v")),
  };
  std::mt19937 rng(20240501);
  int decoded_ok = 0, errors = 0;
  for (const auto& seed : seeds) {
    for (std::size_t n = 0; n <= seed.size(); ++n)
      decode_kubernetes_protobuf(seed.substr(0, n)) ? ++decoded_ok : ++errors;
    for (int round = 0; round < 3000; ++round) {
      std::string body = seed;
      int edits = 1 + static_cast<int>(rng() % 4);
      for (int k = 0; k < edits; ++k) {
        std::size_t pos = 4 + rng() % (body.size() - 4);
        switch (rng() % 3) {
          case 0:
            body[pos] = static_cast<char>(rng());
            break;
          case 1:
            body.insert(pos, 1, static_cast<char>(rng()));
            break;
          default:
            if (body.size() > 5) body.erase(pos, 1);
        }
      }
      decode_kubernetes_protobuf(body) ? ++decoded_ok : ++errors;
    }
  }
  EXPECT_GT(decoded_ok, 0);
  EXPECT_GT(errors, 0);
}

}  // namespace
}  // namespace lambda::apiserver
