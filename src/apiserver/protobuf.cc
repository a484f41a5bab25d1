#include "apiserver/protobuf.h"

#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <span>
#include <vector>

#include "common/base64.h"
#include "common/json_yaml.h"

namespace lambda::apiserver {
namespace json = boost::json;

namespace {

// ---------------------------------------------------------------------------------------------
// The wire format (protobuf encoding: varints, tags, length-delimited fields, groups)

enum WireType : std::uint8_t {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kFixed32 = 5,
};
constexpr std::uint64_t kMaxFieldNumber = (std::uint64_t{1} << 29) - 1;

struct WireField {
  std::uint32_t number = 0;
  std::uint8_t wire_type = 0;
  std::uint64_t varint = 0;  // kVarint
  std::string_view bytes;    // kLengthDelimited
};

// Reads fields off one message's bytes. Groups and fixed-width values are consumed whole and
// reported only by their wire type: no field of the kinds we decode uses them.
class WireReader {
 public:
  explicit WireReader(std::string_view data) : data_(data) {}
  bool done() const { return pos_ >= data_.size(); }

  tl::expected<WireField, std::string> next() {
    auto tag = read_tag();
    if (!tag) return tl::unexpected(tag.error());
    WireField f;
    f.number = tag->first;
    f.wire_type = tag->second;
    switch (f.wire_type) {
      case kVarint: {
        auto v = varint();
        if (!v) return tl::unexpected(v.error());
        f.varint = *v;
        return f;
      }
      case kLengthDelimited: {
        auto n = varint();
        if (!n) return tl::unexpected(n.error());
        auto b = take(*n);
        if (!b) return tl::unexpected(b.error());
        f.bytes = *b;
        return f;
      }
      case kStartGroup: {
        auto skipped = skip_group(f.number);
        if (!skipped) return tl::unexpected(skipped.error());
        return f;
      }
      case kEndGroup:
        return tl::unexpected("end-group tag of field " + std::to_string(f.number) +
                              " without a start-group tag");
      default: {
        auto fixed = skip_scalar(f.wire_type);
        if (!fixed) return tl::unexpected(fixed.error());
        return f;
      }
    }
  }

 private:
  tl::expected<std::uint64_t, std::string> varint() {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) return tl::unexpected(std::string("truncated varint"));
      auto b = static_cast<std::uint8_t>(data_[pos_++]);
      // The tenth byte holds bit 63 only; anything more would not fit in 64 bits.
      if (shift == 63 && b > 1) return tl::unexpected(std::string("varint overflows 64 bits"));
      value |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return value;
    }
    return tl::unexpected(std::string("varint overflows 64 bits"));
  }

  tl::expected<std::string_view, std::string> take(std::uint64_t n) {
    std::size_t left = data_.size() - pos_;
    if (n > left)
      return tl::unexpected("length " + std::to_string(n) + " runs past the end (" +
                            std::to_string(left) + " bytes left)");
    auto out = data_.substr(pos_, static_cast<std::size_t>(n));
    pos_ += static_cast<std::size_t>(n);
    return out;
  }

  tl::expected<std::pair<std::uint32_t, std::uint8_t>, std::string> read_tag() {
    auto key = varint();
    if (!key) return tl::unexpected(key.error());
    std::uint64_t number = *key >> 3;
    if (number == 0 || number > kMaxFieldNumber)
      return tl::unexpected("invalid field number " + std::to_string(number));
    return std::pair{static_cast<std::uint32_t>(number), static_cast<std::uint8_t>(*key & 7)};
  }

  tl::expected<void, std::string> skip_scalar(std::uint8_t wire_type) {
    tl::expected<std::string_view, std::string> skipped;
    switch (wire_type) {
      case kVarint: {
        auto v = varint();
        if (!v) return tl::unexpected(v.error());
        return {};
      }
      case kFixed64:
        skipped = take(8);
        break;
      case kFixed32:
        skipped = take(4);
        break;
      case kLengthDelimited: {
        auto n = varint();
        if (!n) return tl::unexpected(n.error());
        skipped = take(*n);
        break;
      }
      default:
        return tl::unexpected("invalid wire type " + std::to_string(wire_type));
    }
    if (!skipped) return tl::unexpected(skipped.error());
    return {};
  }

  // Iterative, so that nesting costs a bounded vector rather than stack frames.
  tl::expected<void, std::string> skip_group(std::uint32_t number) {
    std::vector<std::uint32_t> open{number};
    while (!open.empty()) {
      if (done())
        return tl::unexpected("group of field " + std::to_string(open.back()) +
                              " is not terminated");
      auto tag = read_tag();
      if (!tag) return tl::unexpected(tag.error());
      auto [field, wire_type] = *tag;
      if (wire_type == kStartGroup) {
        if (open.size() >= kMaxProtobufDepth)
          return tl::unexpected("groups nested deeper than " + std::to_string(kMaxProtobufDepth));
        open.push_back(field);
      } else if (wire_type == kEndGroup) {
        if (field != open.back())
          return tl::unexpected("end-group tag of field " + std::to_string(field) +
                                " closes the group of field " + std::to_string(open.back()));
        open.pop_back();
      } else {
        auto skipped = skip_scalar(wire_type);
        if (!skipped) return tl::unexpected(skipped.error());
      }
    }
    return {};
  }

  std::string_view data_;
  std::size_t pos_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Schemas: the fields of each message, in Go struct order (which is JSON order)

enum class Type : std::uint8_t {
  kString,
  kBool,
  kInt32,
  kInt64,
  kMessage,
  kStringMap,    // map<string, string>
  kBytesMap,     // map<string, bytes>: base64 values
  kTime,         // metav1.Time: RFC 3339, seconds
  kMicroTime,    // metav1.MicroTime: RFC 3339, microseconds
  kIntOrString,  // intstr.IntOrString: a JSON number or string
  kFieldsV1,     // metav1.FieldsV1: raw JSON
};

// How Go's encoding/json writes the field.
enum class Emit : std::uint8_t {
  kOmitEmpty,  // omitempty on a value, slice or map: left out when zero or empty
  kAlways,     // no omitempty, or a struct (omitempty never omits one): written even when absent
  kIfPresent,  // a pointer: written when it was on the wire, even when zero
};

struct Message;
struct Field {
  std::uint32_t number;
  std::string_view name;
  Type type;
  Emit emit;
  bool repeated;
  const Message* message;
};
struct Message {
  std::span<const Field> fields;
};

using enum Type;
using enum Emit;

constexpr Field field(std::uint32_t number, std::string_view name, Type type = kString,
                      Emit emit = kOmitEmpty) {
  return {number, name, type, emit, false, nullptr};
}
constexpr Field nested(std::uint32_t number, std::string_view name, const Message& message,
                       Emit emit) {
  return {number, name, kMessage, emit, false, &message};
}
constexpr Field strings(std::uint32_t number, std::string_view name) {
  return {number, name, kString, kOmitEmpty, true, nullptr};
}
constexpr Field list_of(std::uint32_t number, std::string_view name, const Message& message) {
  return {number, name, kMessage, kOmitEmpty, true, &message};
}

// k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto

constexpr Field kOwnerReferenceFields[] = {
    field(5, "apiVersion", kString, kAlways),  field(1, "kind", kString, kAlways),
    field(3, "name", kString, kAlways),        field(4, "uid", kString, kAlways),
    field(6, "controller", kBool, kIfPresent), field(7, "blockOwnerDeletion", kBool, kIfPresent),
};
constexpr Message kOwnerReference{kOwnerReferenceFields};

constexpr Field kManagedFieldsEntryFields[] = {
    field(1, "manager"),     field(2, "operation"),
    field(3, "apiVersion"),  field(4, "time", kTime, kIfPresent),
    field(6, "fieldsType"),  field(7, "fieldsV1", kFieldsV1, kIfPresent),
    field(8, "subresource"),
};
constexpr Message kManagedFieldsEntry{kManagedFieldsEntryFields};

constexpr Field kObjectMetaFields[] = {
    field(1, "name"),
    field(2, "generateName"),
    field(3, "namespace"),
    field(4, "selfLink"),
    field(5, "uid"),
    field(6, "resourceVersion"),
    field(7, "generation", kInt64),
    field(8, "creationTimestamp", kTime, kAlways),
    field(9, "deletionTimestamp", kTime, kIfPresent),
    field(10, "deletionGracePeriodSeconds", kInt64, kIfPresent),
    field(11, "labels", kStringMap),
    field(12, "annotations", kStringMap),
    list_of(13, "ownerReferences", kOwnerReference),
    strings(14, "finalizers"),
    list_of(17, "managedFields", kManagedFieldsEntry),
};
constexpr Message kObjectMeta{kObjectMetaFields};

constexpr Field kConditionFields[] = {
    field(1, "type", kString, kAlways),     field(2, "status", kString, kAlways),
    field(3, "observedGeneration", kInt64), field(4, "lastTransitionTime", kTime, kAlways),
    field(5, "reason", kString, kAlways),   field(6, "message", kString, kAlways),
};
constexpr Message kCondition{kConditionFields};

constexpr Field kPreconditionsFields[] = {
    field(1, "uid", kString, kIfPresent),
    field(2, "resourceVersion", kString, kIfPresent),
};
constexpr Message kPreconditions{kPreconditionsFields};

constexpr Field kDeleteOptionsFields[] = {
    field(1, "gracePeriodSeconds", kInt64, kIfPresent),
    nested(2, "preconditions", kPreconditions, kIfPresent),
    field(3, "orphanDependents", kBool, kIfPresent),
    field(4, "propagationPolicy", kString, kIfPresent),
    strings(5, "dryRun"),
};
constexpr Message kDeleteOptions{kDeleteOptionsFields};

// k8s.io/api/core/v1/generated.proto

constexpr Field kObjectReferenceFields[] = {
    field(1, "kind"),       field(2, "namespace"),       field(3, "name"),      field(4, "uid"),
    field(5, "apiVersion"), field(6, "resourceVersion"), field(7, "fieldPath"),
};
constexpr Message kObjectReference{kObjectReferenceFields};

constexpr Field kLocalObjectReferenceFields[] = {field(1, "name")};
constexpr Message kLocalObjectReference{kLocalObjectReferenceFields};

constexpr Field kConfigMapFields[] = {
    nested(1, "metadata", kObjectMeta, kAlways),
    field(4, "immutable", kBool, kIfPresent),
    field(2, "data", kStringMap),
    field(3, "binaryData", kBytesMap),
};
constexpr Message kConfigMap{kConfigMapFields};

constexpr Field kSecretFields[] = {
    nested(1, "metadata", kObjectMeta, kAlways),
    field(5, "immutable", kBool, kIfPresent),
    field(2, "data", kBytesMap),
    field(4, "stringData", kStringMap),
    field(3, "type"),
};
constexpr Message kSecret{kSecretFields};

constexpr Field kNamespaceSpecFields[] = {strings(1, "finalizers")};
constexpr Message kNamespaceSpec{kNamespaceSpecFields};

constexpr Field kNamespaceConditionFields[] = {
    field(1, "type", kString, kAlways),
    field(2, "status", kString, kAlways),
    field(4, "lastTransitionTime", kTime, kAlways),
    field(5, "reason"),
    field(6, "message"),
};
constexpr Message kNamespaceCondition{kNamespaceConditionFields};

constexpr Field kNamespaceStatusFields[] = {
    field(1, "phase"),
    list_of(2, "conditions", kNamespaceCondition),
};
constexpr Message kNamespaceStatus{kNamespaceStatusFields};

constexpr Field kNamespaceFields[] = {
    nested(1, "metadata", kObjectMeta, kAlways),
    nested(2, "spec", kNamespaceSpec, kAlways),
    nested(3, "status", kNamespaceStatus, kAlways),
};
constexpr Message kNamespace{kNamespaceFields};

constexpr Field kServiceAccountFields[] = {
    nested(1, "metadata", kObjectMeta, kAlways),
    list_of(2, "secrets", kObjectReference),
    list_of(3, "imagePullSecrets", kLocalObjectReference),
    field(4, "automountServiceAccountToken", kBool, kIfPresent),
};
constexpr Message kServiceAccount{kServiceAccountFields};

constexpr Field kServicePortFields[] = {
    field(1, "name"),
    field(2, "protocol"),
    field(6, "appProtocol", kString, kIfPresent),
    field(3, "port", kInt32, kAlways),
    field(4, "targetPort", kIntOrString, kAlways),
    field(5, "nodePort", kInt32),
};
constexpr Message kServicePort{kServicePortFields};

constexpr Field kClientIPConfigFields[] = {field(1, "timeoutSeconds", kInt32, kIfPresent)};
constexpr Message kClientIPConfig{kClientIPConfigFields};

constexpr Field kSessionAffinityConfigFields[] = {
    nested(1, "clientIP", kClientIPConfig, kIfPresent)};
constexpr Message kSessionAffinityConfig{kSessionAffinityConfigFields};

constexpr Field kServiceSpecFields[] = {
    list_of(1, "ports", kServicePort),
    field(2, "selector", kStringMap),
    field(3, "clusterIP"),
    strings(18, "clusterIPs"),
    field(4, "type"),
    strings(5, "externalIPs"),
    field(7, "sessionAffinity"),
    field(8, "loadBalancerIP"),
    strings(9, "loadBalancerSourceRanges"),
    field(10, "externalName"),
    field(11, "externalTrafficPolicy"),
    field(12, "healthCheckNodePort", kInt32),
    field(13, "publishNotReadyAddresses", kBool),
    nested(14, "sessionAffinityConfig", kSessionAffinityConfig, kIfPresent),
    strings(19, "ipFamilies"),
    field(17, "ipFamilyPolicy", kString, kIfPresent),
    field(20, "allocateLoadBalancerNodePorts", kBool, kIfPresent),
    field(21, "loadBalancerClass", kString, kIfPresent),
    field(22, "internalTrafficPolicy", kString, kIfPresent),
};
constexpr Message kServiceSpec{kServiceSpecFields};

constexpr Field kPortStatusFields[] = {
    field(1, "port", kInt32, kAlways),
    field(2, "protocol", kString, kAlways),
    field(3, "error", kString, kIfPresent),
};
constexpr Message kPortStatus{kPortStatusFields};

constexpr Field kLoadBalancerIngressFields[] = {
    field(1, "ip"),
    field(2, "hostname"),
    field(3, "ipMode", kString, kIfPresent),
    list_of(4, "ports", kPortStatus),
};
constexpr Message kLoadBalancerIngress{kLoadBalancerIngressFields};

constexpr Field kLoadBalancerStatusFields[] = {list_of(1, "ingress", kLoadBalancerIngress)};
constexpr Message kLoadBalancerStatus{kLoadBalancerStatusFields};

constexpr Field kServiceStatusFields[] = {
    nested(1, "loadBalancer", kLoadBalancerStatus, kAlways),
    list_of(2, "conditions", kCondition),
};
constexpr Message kServiceStatus{kServiceStatusFields};

constexpr Field kServiceFields[] = {
    nested(1, "metadata", kObjectMeta, kAlways),
    nested(2, "spec", kServiceSpec, kAlways),
    nested(3, "status", kServiceStatus, kAlways),
};
constexpr Message kService{kServiceFields};

constexpr Field kEventSourceFields[] = {field(1, "component"), field(2, "host")};
constexpr Message kEventSource{kEventSourceFields};

constexpr Field kEventSeriesFields[] = {
    field(1, "count", kInt32),
    field(2, "lastObservedTime", kMicroTime, kAlways),
};
constexpr Message kEventSeries{kEventSeriesFields};

constexpr Field kEventFields[] = {
    nested(1, "metadata", kObjectMeta, kAlways),
    nested(2, "involvedObject", kObjectReference, kAlways),
    field(3, "reason"),
    field(4, "message"),
    nested(5, "source", kEventSource, kAlways),
    field(6, "firstTimestamp", kTime, kAlways),
    field(7, "lastTimestamp", kTime, kAlways),
    field(8, "count", kInt32),
    field(9, "type"),
    field(10, "eventTime", kMicroTime, kAlways),
    nested(11, "series", kEventSeries, kIfPresent),
    field(12, "action"),
    nested(13, "related", kObjectReference, kIfPresent),
    field(14, "reportingComponent", kString, kAlways),
    field(15, "reportingInstance", kString, kAlways),
};
constexpr Message kEvent{kEventFields};

// k8s.io/api/coordination/v1/generated.proto (strategy and preferredHolder: Kubernetes 1.31)

constexpr Field kLeaseSpecFields[] = {
    field(1, "holderIdentity", kString, kIfPresent),
    field(2, "leaseDurationSeconds", kInt32, kIfPresent),
    field(3, "acquireTime", kMicroTime, kIfPresent),
    field(4, "renewTime", kMicroTime, kIfPresent),
    field(5, "leaseTransitions", kInt32, kIfPresent),
    field(6, "strategy", kString, kIfPresent),
    field(7, "preferredHolder", kString, kIfPresent),
};
constexpr Message kLeaseSpec{kLeaseSpecFields};

constexpr Field kLeaseFields[] = {
    nested(1, "metadata", kObjectMeta, kAlways),
    nested(2, "spec", kLeaseSpec, kAlways),
};
constexpr Message kLease{kLeaseFields};

struct KnownKind {
  std::string_view api_version;  // empty: any
  std::string_view kind;
  const Message* message;
};
constexpr KnownKind kKnownKinds[] = {
    {"v1", "ConfigMap", &kConfigMap},
    {"v1", "Secret", &kSecret},
    {"v1", "Namespace", &kNamespace},
    {"v1", "ServiceAccount", &kServiceAccount},
    {"v1", "Service", &kService},
    {"v1", "Event", &kEvent},
    {"coordination.k8s.io/v1", "Lease", &kLease},
    {"", "DeleteOptions", &kDeleteOptions},
};

// ---------------------------------------------------------------------------------------------
// Values

struct DecodeError {
  std::string path;  // "metadata.ownerReferences[0].uid"; empty at the message itself
  std::string message;
};
template <typename T>
using Decoded = tl::expected<T, DecodeError>;

tl::unexpected<DecodeError> fail(std::string message) {
  return tl::unexpected(DecodeError{{}, std::move(message)});
}

tl::unexpected<DecodeError> inside(std::string_view name, DecodeError e) {
  std::string path(name);
  if (!e.path.empty()) path += (e.path.front() == '[' ? "" : ".") + e.path;
  e.path = std::move(path);
  return tl::unexpected(std::move(e));
}

// Go's encoding/json writes each byte that does not start a valid UTF-8 sequence as U+FFFD.
std::string go_json_string(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  std::size_t i = 0;
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(in[k]); };
  while (i < in.size()) {
    unsigned char b = byte(i);
    std::size_t n = 0;
    unsigned char lo = 0x80, hi = 0xbf;  // the allowed range of the second byte
    if (b < 0x80) {
      n = 1;
    } else if (b >= 0xc2 && b <= 0xdf) {
      n = 2;
    } else if (b >= 0xe0 && b <= 0xef) {
      n = 3;
      if (b == 0xe0) lo = 0xa0;  // overlong
      if (b == 0xed) hi = 0x9f;  // surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      n = 4;
      if (b == 0xf0) lo = 0x90;  // overlong
      if (b == 0xf4) hi = 0x8f;  // above U+10FFFF
    }
    bool valid = n > 0 && i + n <= in.size();
    for (std::size_t k = 1; valid && k < n; ++k) {
      unsigned char c = byte(i + k);
      valid = k == 1 ? (c >= lo && c <= hi) : (c >= 0x80 && c <= 0xbf);
    }
    if (valid) {
      out.append(in.substr(i, n));
      i += n;
    } else {
      out += "\xef\xbf\xbd";
      ++i;
    }
  }
  return out;
}

Decoded<std::pair<std::int64_t, std::int32_t>> decode_timestamp(std::string_view bytes) {
  std::int64_t seconds = 0;
  std::int32_t nanos = 0;
  WireReader r(bytes);
  while (!r.done()) {
    auto f = r.next();
    if (!f) return fail(f.error());
    if (f->number != 1 && f->number != 2) continue;
    if (f->wire_type != kVarint)
      return inside(f->number == 1 ? "seconds" : "nanos", {{}, "not a varint"});
    if (f->number == 1)
      seconds = static_cast<std::int64_t>(f->varint);
    else
      nanos = static_cast<std::int32_t>(static_cast<std::uint32_t>(f->varint));
  }
  return std::pair{seconds, nanos};
}

constexpr std::int64_t kGoZeroTimeSeconds = -62135596800;  // 0001-01-01T00:00:00Z, time.Time{}
constexpr std::int64_t kYear0Seconds = -62167219200;       // 0000-01-01T00:00:00Z
constexpr std::int64_t kYear10000Seconds = 253402300800;   // 10000-01-01T00:00:00Z
constexpr std::int64_t kNanosPerSecond = 1'000'000'000;

// metav1.Time and MicroTime. An empty message is Go's zero time, which marshals as null; Time
// keeps whole seconds only (metav1.Time.Unmarshal drops the nanos); years outside 0..9999 fail
// in Go's MarshalJSON and fail here.
Decoded<json::value> decode_time(std::string_view bytes, bool micro) {
  if (bytes.empty()) return json::value(nullptr);
  auto ts = decode_timestamp(bytes);
  if (!ts) return tl::unexpected(ts.error());
  // Not a structured binding: clang 14 cannot capture one in the lambda below.
  std::int64_t seconds = ts->first;
  std::int64_t nanos = ts->second;
  auto out_of_range = [&] {
    return fail("timestamp " + std::to_string(seconds) + " is outside the years 0 to 9999");
  };
  // Checked before the nanos are folded in, which moves the seconds by at most 3.
  if (seconds < kYear0Seconds - 3 || seconds > kYear10000Seconds + 3) return out_of_range();
  std::int64_t ns = micro ? nanos : 0;
  seconds += ns / kNanosPerSecond;
  ns %= kNanosPerSecond;
  if (ns < 0) {
    ns += kNanosPerSecond;
    --seconds;
  }
  if (seconds == kGoZeroTimeSeconds && ns == 0) return json::value(nullptr);
  if (seconds < kYear0Seconds || seconds >= kYear10000Seconds) return out_of_range();

  using namespace std::chrono;
  auto day = floor<days>(sys_seconds(seconds * 1s));
  year_month_day ymd{day};
  hh_mm_ss hms{sys_seconds(seconds * 1s) - day};
  char text[80];
  int n = std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02d", int(ymd.year()),
                        unsigned(ymd.month()), unsigned(ymd.day()), int(hms.hours().count()),
                        int(hms.minutes().count()), int(hms.seconds().count()));
  std::string out(text, static_cast<std::size_t>(n));
  if (micro) {
    std::snprintf(text, sizeof text, ".%06d", static_cast<int>(ns / 1000));
    out += text;
  }
  out += 'Z';
  return json::value(out);
}

Decoded<json::value> decode_int_or_string(std::string_view bytes) {
  std::int64_t type = 0;
  std::int32_t int_val = 0;
  std::string_view str_val;
  WireReader r(bytes);
  while (!r.done()) {
    auto f = r.next();
    if (!f) return fail(f.error());
    if (f->number == 1 || f->number == 2) {
      if (f->wire_type != kVarint)
        return inside(f->number == 1 ? "type" : "intVal", {{}, "not a varint"});
      if (f->number == 1)
        type = static_cast<std::int64_t>(f->varint);
      else
        int_val = static_cast<std::int32_t>(static_cast<std::uint32_t>(f->varint));
    } else if (f->number == 3) {
      if (f->wire_type != kLengthDelimited) return inside("strVal", {{}, "not length-delimited"});
      str_val = f->bytes;
    }
  }
  if (type == 0) return json::value(int_val);
  if (type == 1) return json::value(go_json_string(str_val));
  return fail("impossible IntOrString type " + std::to_string(type));
}

// FieldsV1 holds its JSON text in field 1; Go's MarshalJSON writes that text as it is.
Decoded<json::value> decode_fields_v1(std::string_view bytes) {
  std::string_view raw;
  WireReader r(bytes);
  while (!r.done()) {
    auto f = r.next();
    if (!f) return fail(f.error());
    if (f->number != 1) continue;
    if (f->wire_type != kLengthDelimited) return inside("Raw", {{}, "not length-delimited"});
    raw = f->bytes;
  }
  if (raw.empty()) return json::value(nullptr);
  auto parsed = common::parse_json(raw);
  if (!parsed) return fail("not JSON: " + parsed.error().to_string());
  return std::move(*parsed);
}

// One map<string, string|bytes> entry: key = 1, value = 2, either may be missing ("").
Decoded<std::pair<std::string, json::value>> decode_map_entry(std::string_view bytes,
                                                              bool bytes_value) {
  std::string_view key, value;
  WireReader r(bytes);
  while (!r.done()) {
    auto f = r.next();
    if (!f) return fail(f.error());
    if (f->number != 1 && f->number != 2) continue;
    if (f->wire_type != kLengthDelimited)
      return inside(f->number == 1 ? "key" : "value", {{}, "not length-delimited"});
    (f->number == 1 ? key : value) = f->bytes;
  }
  json::value v =
      bytes_value ? json::value(common::base64_encode(value)) : json::value(go_json_string(value));
  return std::pair{go_json_string(key), std::move(v)};
}

// What one field collected from the wire.
struct Slot {
  bool present = false;
  std::uint64_t varint = 0;
  std::string_view bytes;  // the last occurrence, or `merged`
  std::string merged;      // the occurrences of a singular message, concatenated
  json::array items;
  std::map<std::string, json::value> entries;  // sorted, as encoding/json writes maps
};

bool is_varint(Type t) { return t == kBool || t == kInt32 || t == kInt64; }

bool is_empty(const json::value& v) {
  switch (v.kind()) {
    case json::kind::string:
      return v.get_string().empty();
    case json::kind::int64:
      return v.get_int64() == 0;
    case json::kind::bool_:
      return !v.get_bool();
    case json::kind::object:
      return v.get_object().empty();
    case json::kind::array:
      return v.get_array().empty();
    default:
      return false;
  }
}

Decoded<json::object> decode_message(const Message& message, std::string_view bytes,
                                     std::size_t depth);

Decoded<json::value> field_value(const Field& f, Slot& slot, std::size_t depth) {
  switch (f.type) {
    case kString:
      return json::value(go_json_string(slot.bytes));
    case kBool:
      return json::value(slot.varint != 0);
    case kInt32:
      return json::value(static_cast<std::int32_t>(static_cast<std::uint32_t>(slot.varint)));
    case kInt64:
      return json::value(static_cast<std::int64_t>(slot.varint));
    case kMessage: {
      auto o = decode_message(*f.message, slot.bytes, depth + 1);
      if (!o) return tl::unexpected(o.error());
      return json::value(std::move(*o));
    }
    case kStringMap:
    case kBytesMap: {
      json::object o;
      for (auto& [k, v] : slot.entries) o.emplace(k, std::move(v));
      return json::value(std::move(o));
    }
    case kTime:
    case kMicroTime:
      return decode_time(slot.bytes, f.type == kMicroTime);
    case kIntOrString:
      return decode_int_or_string(slot.bytes);
    case kFieldsV1:
      return decode_fields_v1(slot.bytes);
  }
  return fail("unknown field type");
}

Decoded<json::object> decode_message(const Message& message, std::string_view bytes,
                                     std::size_t depth) {
  if (depth > kMaxProtobufDepth)
    return fail("messages nested deeper than " + std::to_string(kMaxProtobufDepth));
  std::vector<Slot> slots(message.fields.size());
  WireReader r(bytes);
  while (!r.done()) {
    auto wire = r.next();
    if (!wire) return fail(wire.error());
    std::size_t i = 0;
    while (i < message.fields.size() && message.fields[i].number != wire->number) ++i;
    if (i == message.fields.size()) continue;  // unknown: skipped, as protobuf does
    const Field& f = message.fields[i];
    Slot& slot = slots[i];
    bool want_varint = !f.repeated && is_varint(f.type);
    if (wire->wire_type != (want_varint ? kVarint : kLengthDelimited))
      return inside(f.name,
                    {{},
                     "wire type " + std::to_string(wire->wire_type) + " where " +
                         (want_varint ? "a varint" : "a length-delimited field") + " belongs"});
    slot.present = true;
    if (f.repeated) {
      if (f.type == kMessage) {
        auto item = decode_message(*f.message, wire->bytes, depth + 1);
        if (!item)
          return inside(std::string(f.name) + "[" + std::to_string(slot.items.size()) + "]",
                        std::move(item.error()));
        slot.items.emplace_back(std::move(*item));
      } else {
        slot.items.emplace_back(go_json_string(wire->bytes));
      }
    } else if (f.type == kStringMap || f.type == kBytesMap) {
      if (depth + 1 > kMaxProtobufDepth)
        return fail("messages nested deeper than " + std::to_string(kMaxProtobufDepth));
      auto entry = decode_map_entry(wire->bytes, f.type == kBytesMap);
      if (!entry) return inside(f.name, std::move(entry.error()));
      slot.entries.insert_or_assign(std::move(entry->first), std::move(entry->second));
    } else if (want_varint) {
      slot.varint = wire->varint;
    } else if (f.type == kString || (slot.merged.empty() && slot.bytes.empty())) {
      slot.bytes = wire->bytes;
    } else {
      // A singular message seen again: protobuf merges the two, which is what decoding their
      // concatenation does.
      if (slot.merged.empty()) slot.merged.assign(slot.bytes);
      slot.merged.append(wire->bytes);
      slot.bytes = slot.merged;
    }
  }

  json::object out;
  out.reserve(message.fields.size());
  for (std::size_t i = 0; i < message.fields.size(); ++i) {
    const Field& f = message.fields[i];
    Slot& slot = slots[i];
    if (f.repeated) {
      if (!slot.items.empty()) out.emplace(f.name, std::move(slot.items));
      continue;
    }
    if (!slot.present && f.emit != kAlways) continue;
    auto value = field_value(f, slot, depth);
    if (!value) return inside(f.name, std::move(value.error()));
    if (f.emit == kOmitEmpty && is_empty(*value)) continue;
    out.emplace(f.name, std::move(*value));
  }
  return out;
}

std::string known_kinds_text() {
  std::string out;
  for (const auto& k : kKnownKinds) {
    if (!out.empty()) out += ", ";
    if (!k.api_version.empty()) out += std::string(k.api_version) + " ";
    out += k.kind;
  }
  return out;
}

}  // namespace

tl::expected<json::value, std::string> decode_kubernetes_protobuf(std::string_view body) {
  constexpr std::string_view kMagic("k8s\0", 4);
  if (!body.starts_with(kMagic))
    return tl::unexpected(
        std::string("the body does not start with the Kubernetes protobuf prefix \"k8s\\x00\""));
  body.remove_prefix(kMagic.size());

  // runtime.Unknown {typeMeta = 1 {apiVersion = 1, kind = 2}, raw = 2, contentEncoding = 3,
  // contentType = 4}.
  std::string_view api_version, kind, raw, content_encoding, content_type;
  auto envelope_error = [](std::string_view where, const std::string& what) {
    return tl::unexpected(
        "the protobuf envelope (runtime.Unknown) is malformed: " + std::string(where) + what);
  };
  WireReader r(body);
  while (!r.done()) {
    auto f = r.next();
    if (!f) return envelope_error("", f.error());
    if (f->number > 4) continue;
    if (f->wire_type != kLengthDelimited)
      return envelope_error("field " + std::to_string(f->number) + ": ", "not length-delimited");
    if (f->number == 1) {
      WireReader tm(f->bytes);
      while (!tm.done()) {
        auto t = tm.next();
        if (!t) return envelope_error("typeMeta: ", t.error());
        if (t->number != 1 && t->number != 2) continue;
        if (t->wire_type != kLengthDelimited)
          return envelope_error("typeMeta: ",
                                "field " + std::to_string(t->number) + " is not length-delimited");
        (t->number == 1 ? api_version : kind) = t->bytes;
      }
    } else {
      (f->number == 2 ? raw : f->number == 3 ? content_encoding : content_type) = f->bytes;
    }
  }
  if (!content_encoding.empty())
    return tl::unexpected("protobuf content encoding \"" + go_json_string(content_encoding) +
                          "\" is not supported");
  if (!content_type.empty() && content_type != kProtobufMediaType)
    return tl::unexpected("the protobuf envelope holds " + go_json_string(content_type) + ", not " +
                          std::string(kProtobufMediaType));

  const KnownKind* known = nullptr;
  for (const auto& k : kKnownKinds) {
    if (k.kind == kind && (k.api_version.empty() || k.api_version == api_version)) {
      known = &k;
      break;
    }
  }
  if (!known) {
    std::string named = go_json_string(api_version);
    if (!named.empty()) named += " ";
    named += kind.empty() ? std::string("an object without a kind") : go_json_string(kind);
    return tl::unexpected("protobuf bodies are decoded for " + known_kinds_text() + ", not for " +
                          named + "; send application/json");
  }

  auto decoded = decode_message(*known->message, raw, 1);
  if (!decoded) {
    std::string where = decoded.error().path.empty() ? "" : " at " + decoded.error().path;
    return tl::unexpected("invalid protobuf " + std::string(known->kind) + where + ": " +
                          decoded.error().message);
  }
  json::object out;
  out.reserve(decoded->size() + 2);
  out.emplace("kind", go_json_string(kind));
  out.emplace("apiVersion", go_json_string(api_version));
  for (auto& [k, v] : *decoded) out.emplace(k, std::move(v));
  return json::value(std::move(out));
}

}  // namespace lambda::apiserver
