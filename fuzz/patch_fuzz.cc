// libFuzzer target for what the API server applies to stored objects, in process: the three
// patch formats (patch.h), server-side apply and managedFields (managed_fields.h), label and
// field selectors (kube/selector.h), and the LambdaAgent CRD's structural schema
// (structural_schema.h: prune, defaults, validation).
//
// Input: one flags byte, a selector line, a document, and a patch:
//   FLAGS SELECTOR '\n' DOCUMENT "\n%%\n" PATCH
// DOCUMENT and PATCH are JSON, or YAML when they are not JSON; an input whose document or patch
// parses as neither only goes through the selectors. No "\n%%\n": the patch is null.
// FLAGS bits: 0 force (apply), 1 status is a subresource (apply and update leave it alone),
// 2 the status subresource is written, 3-4 the kind whose strategic-merge schema is used
// (Service, Pod, Deployment, ConfigMap), 5 PATCH is also compiled as a CRD schema and DOCUMENT
// checked against it, 6 apply creates (no live object).
//
// Besides "no crash, no sanitizer report, no leak", it checks promises the headers make:
// - patch.h: a JSON merge patch is idempotent (RFC 7386): applying it to its own result
//   changes nothing;
// - selector.h: to_string() is canonical, so it parses back to the same requirements;
// - managed_fields.h: a FieldSet reads back from the fieldsV1 it writes.
// A broken promise aborts with a message, which libFuzzer reports as a crash.
//
// Built with -fsanitize=fuzzer by fuzz/CMakeLists.txt; fuzz/replay_main.cc replays a corpus
// through the same function in ordinary builds (test/fuzz_replay.cmake).
#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "api/crd.h"
#include "apiserver/managed_fields.h"
#include "apiserver/patch.h"
#include "apiserver/structural_schema.h"
#include "common/json_yaml.h"
#include "kube/selector.h"

namespace {

namespace json = boost::json;
using namespace lambda;
using namespace lambda::apiserver;

constexpr std::string_view kSeparator = "\n%%\n";
constexpr std::string_view kNow = "2026-01-01T00:00:00Z";

struct Kind {
  std::string_view group;
  std::string_view kind;
};
constexpr std::array<Kind, 4> kStrategicKinds = {
    {{"", "Service"}, {"", "Pod"}, {"apps", "Deployment"}, {"", "ConfigMap"}}};

enum Flag : unsigned {
  kForce = 1u << 0,
  kIgnoreStatus = 1u << 1,
  kStatusSubresource = 1u << 2,
  kCompilePatchAsSchema = 1u << 5,
  kApplyCreates = 1u << 6,
};

[[noreturn]] void fail(std::string_view what, std::string_view detail) {
  std::fprintf(stderr, "patch_fuzz: %.*s\n%.*s\n", static_cast<int>(what.size()), what.data(),
               static_cast<int>(detail.size()), detail.data());
  std::fflush(stderr);
  __builtin_trap();
}

std::optional<json::value> parse_document(std::string_view text) {
  if (auto parsed = common::parse_json(text)) return std::move(*parsed);
  if (auto parsed = common::parse_yaml(text)) return std::move(*parsed);
  return std::nullopt;
}

const json::object* object_at(const json::value& value, std::string_view key) {
  const auto* object = value.if_object();
  const auto* member = object ? object->if_contains(key) : nullptr;
  return member ? member->if_object() : nullptr;
}

const json::value* metadata_member(const json::value& value, std::string_view key) {
  const auto* metadata = object_at(value, "metadata");
  return metadata ? metadata->if_contains(key) : nullptr;
}

std::optional<std::string> metadata_string(const json::value& value, std::string_view key) {
  const auto* member = metadata_member(value, key);
  if (!member || !member->is_string()) return std::nullopt;
  return std::string(member->get_string());
}

// The LambdaAgent schema, compiled once, and what the server derives from it for apply.
struct AgentSchema {
  StructuralSchema schema;
  SchemaLookup lookup;
  AtomicMapLookup atomic_maps;
};

const AgentSchema& agent_schema() {
  static const AgentSchema* const compiled = [] {
    auto schema = StructuralSchema::compile(api::lambda_agent_openapi_schema());
    if (!schema) {
      std::string causes;
      for (const auto& cause : schema.error()) causes += cause.field + ": " + cause.message + "\n";
      fail("the LambdaAgent schema does not compile", causes);
    }
    auto* out = new AgentSchema{*schema, {}, {}};
    const StructuralSchema shared = *schema;
    const SchemaLookup metadata_lists = default_schema_lookup();
    out->lookup =
        [shared, metadata_lists](const std::vector<std::string>& path) -> std::optional<ListInfo> {
      const ListType type = shared.list_type(path);
      if (type.type == "map") return ListInfo{ListInfo::Type::kMap, type.map_keys};
      if (type.type == "set") return ListInfo{ListInfo::Type::kSet, {}};
      return metadata_lists(path);
    };
    out->atomic_maps = [shared](const std::vector<std::string>& path) {
      return shared.map_is_atomic(path);
    };
    return out;
  }();
  return *compiled;
}

void check_selectors(std::string_view text, const json::value& document) {
  const auto* labels_value = metadata_member(document, "labels");
  const json::object* labels = labels_value ? labels_value->if_object() : nullptr;

  if (auto selector = kube::LabelSelector::parse(text)) {
    (void)selector->matches(labels);
    const std::string canonical = selector->to_string();
    auto again = kube::LabelSelector::parse(canonical);
    if (!again) fail("a label selector's to_string() does not parse: " + again.error(), canonical);
    if (again->requirements() != selector->requirements())
      fail("a label selector's to_string() parses to other requirements", canonical);
  } else {
    (void)selector.error().size();
  }

  if (auto selector = kube::FieldSelector::parse(text)) {
    (void)selector->matches([&document](std::string_view key) -> std::optional<std::string> {
      if (key == "metadata.name") return metadata_string(document, "name");
      if (key == "metadata.namespace") return metadata_string(document, "namespace");
      return std::nullopt;
    });
    const std::string canonical = selector->to_string();
    auto again = kube::FieldSelector::parse(canonical);
    if (!again) fail("a field selector's to_string() does not parse: " + again.error(), canonical);
    // Terms are ANDed, so their order carries no meaning; and it is not stable across a round
    // trip: like apimachinery, parse() sorts the raw terms, and "a==z" sorts before "a=b" while
    // its canonical "a=z" sorts after. Compare the requirements as sets.
    auto as_set = [](std::vector<kube::FieldSelector::Requirement> r) {
      std::sort(r.begin(), r.end(), [](const auto& x, const auto& y) {
        return std::tie(x.key, x.equals, x.value) < std::tie(y.key, y.equals, y.value);
      });
      return r;
    };
    if (as_set(again->requirements()) != as_set(selector->requirements()))
      fail("a field selector's to_string() parses to other requirements", canonical);
  }

  // metav1.LabelSelector objects, as a Deployment's spec.selector.
  if (auto selector = kube::LabelSelector::from_json(document)) {
    (void)selector->matches(labels);
    (void)selector->to_string();
  }
}

void check_merge_patch(const json::value& document, const json::value& patch) {
  auto once = json_merge_patch(document, patch);
  if (!once) return;
  auto twice = json_merge_patch(*once, patch);
  if (!twice)
    fail("a JSON merge patch that applied once fails on its own result: " + twice.error().message,
         json::serialize(*once) + "\n" + json::serialize(patch));
  if (*twice != *once)
    fail("a JSON merge patch is not idempotent",
         json::serialize(*once) + "\n---\n" + json::serialize(*twice));
}

void check_schema(const StructuralSchema& schema, json::value object) {
  for (const auto& field : schema.prune(object)) (void)field.size();
  schema.apply_defaults(object);
  for (const auto& cause : schema.validate(object)) (void)cause.message.size();
}

void check_field_set(const json::value& fields_v1) {
  auto set = FieldSet::from_fields_v1(fields_v1);
  if (!set) return;
  (void)set->size();
  for (const auto& path : set->paths()) (void)path_to_string(path);
  const json::value written = set->to_fields_v1();
  auto again = FieldSet::from_fields_v1(written);
  if (!again) fail("a FieldSet's fieldsV1 does not read back: " + again.error(), "");
  if (!(*again == *set)) fail("a FieldSet reads back differently", json::serialize(written));
  (void)set->union_with(*again).difference(*set).recursive_difference(*again).empty();
}

void check_managed_fields(const json::value& document, const json::value& patch,
                          const json::value* merged, unsigned flags) {
  const AgentSchema& agent = agent_schema();
  if (const auto* managed = metadata_member(document, "managedFields")) {
    (void)validate_managed_fields(*managed);
    if (auto entries = decode_managed_fields(*managed))
      (void)encode_managed_fields(std::move(*entries));
  }
  check_field_set(patch);
  if (!patch.is_object()) return;
  (void)fields_of(patch, agent.lookup, (flags & kIgnoreStatus) != 0, agent.atomic_maps);

  const bool live_object = document.is_object() && (flags & kApplyCreates) == 0;
  ApplyOptions apply_options;
  apply_options.manager = "fuzz";
  apply_options.force = (flags & kForce) != 0;
  apply_options.now = kNow;
  apply_options.lookup = agent.lookup;
  apply_options.ignore_status = (flags & kIgnoreStatus) != 0;
  apply_options.atomic_maps = agent.atomic_maps;
  if (flags & kStatusSubresource) apply_options.subresource = "status";
  auto applied = apply(live_object ? &document : nullptr, patch, apply_options);
  if (applied) {
    (void)json::serialize(*applied);
  } else {
    (void)applied.error().message();
    (void)applied.error().status();
  }

  UpdateOptions update_options;
  update_options.manager = "fuzz-update";
  update_options.now = kNow;
  update_options.lookup = agent.lookup;
  update_options.ignore_status = (flags & kIgnoreStatus) != 0;
  update_options.atomic_maps = agent.atomic_maps;
  if (flags & kStatusSubresource) update_options.subresource = "status";
  (void)update_managed_fields(nullptr, patch, update_options);
  if (document.is_object()) {
    (void)update_managed_fields(&document, patch, update_options);
    if (merged && merged->is_object())
      (void)update_managed_fields(&document, *merged, update_options);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const unsigned flags = data[0];
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  const auto eol = text.find('\n');
  const std::string_view selector = text.substr(0, eol);
  text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
  const auto separator = text.find(kSeparator);
  const std::string_view document_text = text.substr(0, separator);
  const std::string_view patch_text = separator == std::string_view::npos
                                          ? std::string_view()
                                          : text.substr(separator + kSeparator.size());

  std::optional<json::value> document = parse_document(document_text);
  check_selectors(selector, document ? *document : json::value());
  if (!document) return 0;
  std::optional<json::value> patch =
      separator == std::string_view::npos ? json::value() : parse_document(patch_text);
  if (!patch) return 0;

  check_merge_patch(*document, *patch);
  auto merged = json_merge_patch(*document, *patch);
  if (auto patched = json_patch(*document, *patch); !patched) (void)patched.error().message.size();
  const Kind& kind = kStrategicKinds[(flags >> 3) & 3u];
  if (auto patched =
          strategic_merge_patch(*document, *patch, PatchSchema::for_kind(kind.group, kind.kind));
      !patched)
    (void)patched.error().message.size();

  check_managed_fields(*document, *patch, merged ? &*merged : nullptr, flags);

  const StructuralSchema& schema = agent_schema().schema;
  check_schema(schema, *document);
  if (merged) check_schema(schema, *merged);
  if (flags & kCompilePatchAsSchema) {
    if (auto compiled = StructuralSchema::compile(*patch)) {
      check_schema(*compiled, *document);
      (void)compiled->list_type({"spec"});
    }
  }
  return 0;
}
