#include "apiserver/managed_fields.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/json_yaml.h"

namespace lambda::apiserver {
namespace {
namespace json = boost::json;

json::value parse(std::string_view text) {
  auto v = common::parse_json(text);
  EXPECT_TRUE(v.has_value()) << text;
  return v ? *v : json::value();
}

FieldSet fields(std::string_view text) {
  auto set = FieldSet::parse(text);
  EXPECT_TRUE(set.has_value()) << (set ? "" : set.error());
  return set ? *set : FieldSet();
}

Path path(std::initializer_list<PathElement> elements) { return Path(elements); }
PathElement f(std::string name) { return PathElement::field(std::move(name)); }
PathElement k(std::string name, json::value v) {
  return PathElement::keyed({{std::move(name), std::move(v)}});
}

// The lists of a Deployment, as kube-apiserver's OpenAPI describes them.
SchemaLookup deployment_lookup() {
  return [base = default_schema_lookup()](
             const std::vector<std::string>& p) -> std::optional<ListInfo> {
    if (auto known = base(p)) return known;
    const std::vector<std::string> containers = {"spec", "template", "spec", "containers"};
    if (p == containers) return ListInfo{ListInfo::Type::kMap, {"name"}};
    auto ports = containers;
    ports.push_back("ports");
    if (p == ports) {
      return ListInfo{ListInfo::Type::kMap, {"containerPort", "protocol"}, {{"protocol", "TCP"}}};
    }
    return std::nullopt;
  };
}

AtomicMapLookup deployment_atomic_maps() {
  return [](const std::vector<std::string>& p) {
    return p == std::vector<std::string>{"spec", "selector"};
  };
}

ApplyOptions apply_as(std::string manager, std::string now = "2024-05-01T10:00:00Z") {
  ApplyOptions o;
  o.manager = std::move(manager);
  o.api_version = "v1";
  o.now = std::move(now);
  o.lookup = default_schema_lookup();
  return o;
}

UpdateOptions update_as(std::string manager, std::string now = "2024-05-01T09:00:00Z") {
  UpdateOptions o;
  o.manager = std::move(manager);
  o.api_version = "v1";
  o.now = std::move(now);
  o.lookup = default_schema_lookup();
  return o;
}

const json::array& entries_of(const json::value& object) {
  return object.at("metadata").at("managedFields").as_array();
}

// The fieldsV1 of the entry of `manager` (and `operation`), compact; "" when there is none.
std::string fields_of_entry(const json::value& object, std::string_view manager,
                            std::string_view operation = "") {
  const auto* md = object.as_object().if_contains("metadata");
  const auto* list = md ? md->as_object().if_contains("managedFields") : nullptr;
  if (!list) return "";
  for (const auto& e : list->as_array()) {
    const auto& o = e.as_object();
    if (o.at("manager").as_string() != manager) continue;
    if (!operation.empty() && o.at("operation").as_string() != operation) continue;
    return common::to_json(o.at("fieldsV1"), false);
  }
  return "";
}

json::value apply_ok(const json::value* live, std::string_view config, const ApplyOptions& o) {
  auto result = apply(live, parse(config), o);
  EXPECT_TRUE(result.has_value()) << (result ? "" : result.error().message());
  return result ? *result : json::value();
}

constexpr std::string_view kConfigMap =
    R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm","namespace":"default"},)"
    R"("data":{"key":"a"}})";

// ---------------------------------------------------------------------------------------------
// FieldSet

TEST(FieldSet, RoundTripsTheFieldsV1OfADeploymentByteForByte) {
  const std::string text =
      R"({"f:metadata":{"f:annotations":{".":{},"f:deployment.kubernetes.io/revision":{}},)"
      R"("f:labels":{"f:app":{}}},"f:spec":{"f:replicas":{},"f:selector":{},)"
      R"("f:strategy":{"f:rollingUpdate":{".":{},"f:maxSurge":{},"f:maxUnavailable":{}},)"
      R"("f:type":{}},"f:template":{"f:metadata":{"f:labels":{"f:app":{}}},)"
      R"("f:spec":{"f:containers":{"k:{\"name\":\"nginx\"}":{".":{},"f:args":{},"f:image":{},)"
      R"("f:name":{},"f:ports":{"k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{".":{},)"
      R"("f:containerPort":{},"f:protocol":{}}},"f:resources":{"f:limits":{"f:cpu":{}}}}}}}}})";
  auto set = FieldSet::parse(text);
  ASSERT_TRUE(set.has_value()) << set.error();
  EXPECT_EQ(set->to_json(), text);
  EXPECT_EQ(set->size(), 18u);
  EXPECT_TRUE(set->contains(path(
      {f("spec"), f("template"), f("spec"), f("containers"), k("name", "nginx"), f("image")})));
  EXPECT_TRUE(set->contains(path({f("spec"), f("strategy"), f("rollingUpdate")})));
  auto again = FieldSet::from_fields_v1(set->to_fields_v1());
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(*again, *set);
}

TEST(FieldSet, SerializesInStructuredMergeDiffOrderWhateverTheInputOrder) {
  const FieldSet set =
      fields(R"({"i:2":{},"v:true":{},"v:\"b\"":{},"v:1":{},"k:{\"b\":2,\"a\":1}":{},"f:z":{},)"
             R"("f:a":{"f:b":{},".":{}},"f:B":{}})");
  EXPECT_EQ(set.to_json(), R"({"f:B":{},"f:a":{".":{},"f:b":{}},"f:z":{},"k:{\"a\":1,\"b\":2}":{},)"
                           R"("v:1":{},"v:\"b\"":{},"v:true":{},"i:2":{}})");
}

TEST(FieldSet, MalformedFieldsV1IsAnErrorNotACrash) {
  const std::vector<std::string> bad = {
      R"([])",
      R"({"f:a":"x"})",
      R"({"f:a":{"f:b":[]}})",
      R"({"x":{}})",
      R"({"fa":{}})",
      R"({"k:{\"name\"":{}})",
      R"({"k:[1]":{}})",
      R"({"v:":{}})",
      R"({"i:one":{}})",
      R"({"f:a":{"k:{not json}":{}}})",
  };
  for (const auto& text : bad) {
    auto set = FieldSet::parse(text);
    EXPECT_FALSE(set.has_value()) << text;
  }
  std::string deep;
  for (int i = 0; i < 101; ++i) deep += R"({"f:a":)";
  deep += "{}";
  for (int i = 0; i < 101; ++i) deep += "}";
  auto too_deep = FieldSet::parse(deep);
  ASSERT_FALSE(too_deep.has_value());
  EXPECT_NE(too_deep.error().find("deeper than 100"), std::string::npos) << too_deep.error();
  auto error = FieldSet::parse(R"({"f:spec":{"k:{bad":{}}})");
  ASSERT_FALSE(error.has_value());
  EXPECT_NE(error.error().find("fieldsV1 at .spec"), std::string::npos) << error.error();
}

TEST(FieldSet, DropsPathElementKindsItDoesNotKnowAndReadsNullAsEmpty) {
  const FieldSet set = fields(R"({"f:a":{"x:future":{}},"f:b":null,"z:c":{}})");
  EXPECT_EQ(set.to_json(), R"({"f:a":{},"f:b":{}})");
  EXPECT_TRUE(FieldSet::from_fields_v1(json::value())->empty());
}

TEST(FieldSet, OwningAChildDoesNotOwnItsParent) {
  const FieldSet set = fields(R"({"f:spec":{"f:replicas":{}}})");
  EXPECT_TRUE(set.contains(path({f("spec"), f("replicas")})));
  EXPECT_FALSE(set.contains(path({f("spec")})));
  EXPECT_FALSE(set.contains(path({f("spec"), f("replicas"), f("x")})));
  EXPECT_FALSE(set.contains(Path()));
}

TEST(FieldSet, UnionIntersectionAndDifferenceWorkPathByPath) {
  const FieldSet a = fields(R"({"f:data":{".":{},"f:x":{},"f:y":{}},"f:spec":{"f:a":{}}})");
  const FieldSet b = fields(R"({"f:data":{"f:y":{},"f:z":{}},"f:status":{}})");
  EXPECT_EQ(a.union_with(b).to_json(),
            R"({"f:data":{".":{},"f:x":{},"f:y":{},"f:z":{}},"f:spec":{"f:a":{}},"f:status":{}})");
  EXPECT_EQ(a.intersection(b).to_json(), R"({"f:data":{"f:y":{}}})");
  EXPECT_EQ(a.difference(b).to_json(), R"({"f:data":{".":{},"f:x":{}},"f:spec":{"f:a":{}}})");
  EXPECT_TRUE(a.difference(a).empty());
  EXPECT_EQ(a.intersection(FieldSet()), FieldSet());
}

TEST(FieldSet, RecursiveDifferenceRemovesWholeSubtrees) {
  const FieldSet a = fields(R"({"f:spec":{"f:a":{}},"f:status":{"f:phase":{},"f:x":{"f:y":{}}}})");
  const FieldSet status = fields(R"({"f:status":{}})");
  EXPECT_EQ(a.recursive_difference(status).to_json(), R"({"f:spec":{"f:a":{}}})");
  EXPECT_EQ(a.difference(status), a);
}

TEST(FieldSet, PrintsPathsAsKubeApiserverDoesInConflicts) {
  EXPECT_EQ(path_to_string(path({f("spec"), f("containers"), k("name", "c"), f("image")})),
            R"(.spec.containers[name="c"].image)");
  EXPECT_EQ(path_to_string(path({f("spec"), f("ports"),
                                 PathElement::keyed({{"protocol", "TCP"}, {"containerPort", 80}}),
                                 f("name")})),
            R"(.spec.ports[containerPort=80,protocol="TCP"].name)");
  EXPECT_EQ(path_to_string(path({f("metadata"), f("finalizers"), PathElement::set_item("a\"b")})),
            R"(.metadata.finalizers[="a\"b"])");
  EXPECT_EQ(path_to_string(path({f("x"), PathElement::at(3)})), ".x[3]");
  EXPECT_EQ(PathElement::set_item(2.5).to_string(), "[=2.5]");
  EXPECT_EQ(PathElement::set_item(1e6).to_string(), "[=1e+06]");
  EXPECT_EQ(PathElement::set_item(true).to_string(), "[=true]");
  EXPECT_EQ(PathElement::set_item("tab\there").to_string(), R"([="tab\there"])");
  EXPECT_EQ(PathElement::set_item("\x01\xff\xc3\xa9").to_string(), R"([="\x01\xffé"])");
}

TEST(FieldSet, ListsPathsMembersFirstThenSubtrees) {
  const FieldSet set = fields(R"({"f:a":{},"f:b":{".":{},"f:x":{}},"f:c":{}})");
  std::vector<std::string> printed;
  for (const auto& p : set.paths()) printed.push_back(path_to_string(p));
  EXPECT_EQ(printed, (std::vector<std::string>{".a", ".b", ".c", ".b.x"}));
}

TEST(FieldSet, RefusesPathsLongerThanTheLimit) {
  FieldSet set;
  EXPECT_FALSE(set.insert(Path(101, f("a"))));
  EXPECT_TRUE(set.insert(Path(100, f("a"))));
  EXPECT_FALSE(set.insert(Path()));
  EXPECT_EQ(set.size(), 1u);
}

// ---------------------------------------------------------------------------------------------
// fields_of

TEST(FieldsOf, OwnsLeavesListMapItemsAndSetItemsButNotServerFields) {
  const json::value deployment = parse(R"({
    "apiVersion":"apps/v1","kind":"Deployment",
    "metadata":{"name":"web","namespace":"default","uid":"u1","resourceVersion":"7",
                "generation":2,"creationTimestamp":"2024-01-01T00:00:00Z",
                "labels":{"app":"web"},"finalizers":["a","b"]},
    "spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},
            "template":{"spec":{"containers":[{"name":"web","image":"nginx",
                                               "args":["-v"],"ports":[{"containerPort":80}]}]}}},
    "status":{"replicas":2}})");
  const FieldSet owned =
      fields_of(deployment, deployment_lookup(), /*ignore_status=*/true, deployment_atomic_maps());
  EXPECT_EQ(
      owned.to_json(),
      R"({"f:metadata":{"f:finalizers":{"v:\"a\"":{},"v:\"b\"":{}},"f:labels":{"f:app":{}}},)"
      R"("f:spec":{"f:replicas":{},"f:selector":{},"f:template":{"f:spec":{"f:containers":)"
      R"({"k:{\"name\":\"web\"}":{".":{},"f:args":{},"f:image":{},"f:name":{},"f:ports":)"
      R"({"k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{}}}}}}}}})");
}

TEST(FieldsOf, TakesAtomicListsAndEmptyObjectsAsTheFieldItselfAndStatusUnlessSeparate) {
  const json::value object =
      parse(R"({"spec":{"resources":{},"args":["a","b"],"env":null},"status":{"phase":"Ready"}})");
  EXPECT_EQ(fields_of(object, default_schema_lookup()).to_json(),
            R"({"f:spec":{"f:args":{},"f:env":{},"f:resources":{}},"f:status":{"f:phase":{}}})");
  EXPECT_EQ(fields_of(object, default_schema_lookup(), true).to_json(),
            R"({"f:spec":{"f:args":{},"f:env":{},"f:resources":{}}})");
  EXPECT_TRUE(fields_of(parse("[1]"), default_schema_lookup()).empty());
}

TEST(FieldsOf, OwnsAListWhoseItemsCannotBeKeyedAsOneValue) {
  const json::value object = parse(R"({"metadata":{"ownerReferences":[{"name":"no-uid"}]}})");
  EXPECT_EQ(fields_of(object, default_schema_lookup()).to_json(),
            R"({"f:metadata":{"f:ownerReferences":{}}})");
}

// ---------------------------------------------------------------------------------------------
// apply

TEST(Apply, CreatesTheObjectWithOneApplyEntry) {
  const json::value created = apply_ok(nullptr, kConfigMap, apply_as("kubectl"));
  EXPECT_EQ(created.at("data").at("key"), "a");
  const auto& entries = entries_of(created);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(common::to_json(entries[0], false),
            R"({"manager":"kubectl","operation":"Apply","apiVersion":"v1",)"
            R"("time":"2024-05-01T10:00:00Z","fieldsType":"FieldsV1",)"
            R"("fieldsV1":{"f:data":{"f:key":{}}}})");
}

TEST(Apply, TakesTheEntryApiVersionFromTheConfigurationWhenNotGiven) {
  ApplyOptions o = apply_as("kubectl");
  o.api_version.clear();
  const json::value created = apply_ok(nullptr, kConfigMap, o);
  EXPECT_EQ(entries_of(created)[0].at("apiVersion"), "v1");
  EXPECT_TRUE(decode_managed_fields(created.at("metadata").at("managedFields")).has_value());
}

TEST(Apply, ReapplyOmittingAFieldRemovesIt) {
  const json::value v1 = apply_ok(
      nullptr,
      R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm","labels":{"a":"1","b":"2"}},)"
      R"("data":{"key":"a","gone":"x"}})",
      apply_as("kubectl"));
  const json::value v2 = apply_ok(
      &v1,
      R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm","labels":{"a":"1"}},)"
      R"("data":{"key":"a"}})",
      apply_as("kubectl", "2024-05-01T11:00:00Z"));
  EXPECT_EQ(common::to_json(v2.at("data"), false), R"({"key":"a"})");
  EXPECT_EQ(common::to_json(v2.at("metadata").at("labels"), false), R"({"a":"1"})");
  EXPECT_EQ(fields_of_entry(v2, "kubectl"),
            R"({"f:data":{"f:key":{}},"f:metadata":{"f:labels":{"f:a":{}}}})");
  const json::value v3 =
      apply_ok(&v2, R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm"}})",
               apply_as("kubectl", "2024-05-01T12:00:00Z"));
  EXPECT_FALSE(v3.as_object().contains("data"));
  EXPECT_FALSE(v3.at("metadata").as_object().contains("labels"));
  EXPECT_EQ(v3.at("metadata").at("name"), "cm");
  EXPECT_FALSE(v3.at("metadata").as_object().contains("managedFields"));
}

TEST(Apply, ReapplyKeepsAFieldAnotherManagerStillOwns) {
  const json::value v1 = apply_ok(nullptr, kConfigMap, apply_as("kubectl"));
  const json::value v2 = apply_ok(&v1, kConfigMap, apply_as("helm"));
  const json::value v3 =
      apply_ok(&v2, R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm"}})",
               apply_as("kubectl"));
  EXPECT_EQ(v3.at("data").at("key"), "a");
  EXPECT_EQ(fields_of_entry(v3, "kubectl"), "");
  EXPECT_EQ(fields_of_entry(v3, "helm"), R"({"f:data":{"f:key":{}}})");
}

TEST(Apply, ManagersApplyingTheSameValueShareItWithoutConflict) {
  const json::value v1 = apply_ok(nullptr, kConfigMap, apply_as("kubectl"));
  const json::value v2 = apply_ok(&v1, kConfigMap, apply_as("operator"));
  EXPECT_EQ(entries_of(v2).size(), 2u);
  EXPECT_EQ(fields_of_entry(v2, "kubectl"), R"({"f:data":{"f:key":{}}})");
  EXPECT_EQ(fields_of_entry(v2, "operator"), R"({"f:data":{"f:key":{}}})");
}

TEST(Apply, ADifferentValueConflictsWithKubeApiserversMessage) {
  const json::value v1 = apply_ok(nullptr, kConfigMap, apply_as("kubectl"));
  auto refused = apply(&v1,
                       parse(R"({"apiVersion":"v1","kind":"ConfigMap",)"
                             R"("metadata":{"name":"cm"},"data":{"key":"b"}})"),
                       apply_as("operator"));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().message(),
            R"(Apply failed with 1 conflict: conflict with "kubectl": .data.key)");
  const auto causes = refused.error().causes();
  ASSERT_EQ(causes.size(), 1u);
  EXPECT_EQ(causes[0],
            (kube::StatusCause{"FieldManagerConflict", R"(conflict with "kubectl")", ".data.key"}));
  const kube::Status status = refused.error().status();
  EXPECT_EQ(status.code, 409);
  EXPECT_EQ(status.reason, "Conflict");
}

TEST(Apply, ConflictsWithClientSideApplyNameTheUpdateEntrysApiVersion) {
  // kubectl apply (client-side) creates with an Update entry; kubectl apply --server-side then
  // meets it.
  const json::value created =
      update_managed_fields(nullptr, parse(kConfigMap), update_as("kubectl-client-side-apply"));
  auto refused = apply(&created,
                       parse(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm"},)"
                             R"("data":{"key":"b"}})"),
                       apply_as("kubectl"));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(
      refused.error().message(),
      R"(Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: .data.key)");
  EXPECT_EQ(refused.error().causes()[0].message,
            R"(conflict with "kubectl-client-side-apply" using v1)");
}

TEST(Apply, SeveralConflictsAreListedPerManagerInKubeApiserversLayout) {
  json::value live = update_managed_fields(
      nullptr,
      parse(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm"},)"
            R"("data":{"a":"1","b":"1"}})"),
      update_as("kubectl-client-side-apply"));
  live = apply_ok(&live,
                  R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm"},)"
                  R"("data":{"a":"1","b":"1","c":"1"}})",
                  apply_as("argocd"));
  auto refused = apply(&live,
                       parse(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm"},)"
                             R"("data":{"a":"2","b":"2","c":"2"}})"),
                       apply_as("kubectl"));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().message(),
            "Apply failed with 5 conflicts: conflicts with \"argocd\":\n"
            "- .data.a\n- .data.b\n- .data.c\n"
            "conflicts with \"kubectl-client-side-apply\" using v1:\n"
            "- .data.a\n- .data.b");
  EXPECT_EQ(refused.error().causes().size(), 5u);
}

TEST(Apply, ForceMovesOwnershipToTheApplier) {
  const json::value v1 = apply_ok(
      nullptr,
      R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm"},"data":{"key":"a","x":"1"}})",
      apply_as("kubectl"));
  ApplyOptions forced = apply_as("operator");
  forced.force = true;
  const json::value v2 = apply_ok(
      &v1, R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm"},"data":{"key":"b"}})",
      forced);
  EXPECT_EQ(v2.at("data").at("key"), "b");
  EXPECT_EQ(fields_of_entry(v2, "operator"), R"({"f:data":{"f:key":{}}})");
  EXPECT_EQ(fields_of_entry(v2, "kubectl"), R"({"f:data":{"f:x":{}}})");
}

TEST(Apply, MergesContainersByNameKeepingOtherManagersContainers) {
  ApplyOptions kubectl = apply_as("kubectl");
  kubectl.lookup = deployment_lookup();
  kubectl.atomic_maps = deployment_atomic_maps();
  kubectl.api_version = "apps/v1";
  const json::value v1 = apply_ok(nullptr, R"({"apiVersion":"apps/v1","kind":"Deployment",
      "metadata":{"name":"web"},
      "spec":{"selector":{"matchLabels":{"app":"web"}},"template":{"spec":{"containers":[
        {"name":"web","image":"nginx:1","ports":[{"containerPort":80}]}]}}}})",
                                  kubectl);
  ApplyOptions mesh = kubectl;
  mesh.manager = "mesh-injector";
  const json::value v2 = apply_ok(&v1, R"({"apiVersion":"apps/v1","kind":"Deployment",
      "metadata":{"name":"web"},
      "spec":{"template":{"spec":{"containers":[{"name":"proxy","image":"envoy"}]}}}})",
                                  mesh);
  const json::value v3 = apply_ok(&v2, R"({"apiVersion":"apps/v1","kind":"Deployment",
      "metadata":{"name":"web"},
      "spec":{"selector":{"matchLabels":{"app":"web"}},"template":{"spec":{"containers":[
        {"name":"web","image":"nginx:2","ports":[{"containerPort":80,"protocol":"TCP"}]}]}}}})",
                                  kubectl);
  const auto& containers = v3.at("spec").at("template").at("spec").at("containers").as_array();
  ASSERT_EQ(containers.size(), 2u);
  EXPECT_EQ(containers[0].at("name"), "web");
  EXPECT_EQ(containers[0].at("image"), "nginx:2");
  EXPECT_EQ(containers[0].at("ports").as_array().size(), 1u);
  EXPECT_EQ(containers[1].at("name"), "proxy");
  EXPECT_EQ(fields_of_entry(v3, "mesh-injector"),
            R"({"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"proxy\"}":)"
            R"({".":{},"f:image":{},"f:name":{}}}}}}})");
}

TEST(Apply, ReplacesAnAtomicMapWholeAndConflictsOnItAsOneField) {
  ApplyOptions kubectl = apply_as("kubectl");
  kubectl.api_version = "apps/v1";
  kubectl.atomic_maps = deployment_atomic_maps();
  const json::value v1 = apply_ok(nullptr, R"({"apiVersion":"apps/v1","kind":"Deployment",
      "metadata":{"name":"w"},"spec":{"selector":{"matchLabels":{"app":"w","tier":"web"}}}})",
                                  kubectl);
  ApplyOptions other = kubectl;
  other.manager = "other";
  auto refused = apply(&v1, parse(R"({"apiVersion":"apps/v1","kind":"Deployment",
      "metadata":{"name":"w"},"spec":{"selector":{"matchLabels":{"app":"w"}}}})"),
                       other);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().message(),
            R"(Apply failed with 1 conflict: conflict with "kubectl": .spec.selector)");
  const json::value v2 = apply_ok(&v1, R"({"apiVersion":"apps/v1","kind":"Deployment",
      "metadata":{"name":"w"},"spec":{"selector":{"matchLabels":{"app":"w"}}}})",
                                  kubectl);
  EXPECT_EQ(common::to_json(v2.at("spec").at("selector"), false), R"({"matchLabels":{"app":"w"}})");
}

TEST(Apply, OrdersListMapItemsAsStructuredMergeDiffDoes) {
  ApplyOptions o = apply_as("kubectl");
  o.lookup = deployment_lookup();
  json::value live = parse(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"w"},
      "spec":{"template":{"spec":{"containers":[{"name":"x"},{"name":"a"},{"name":"y"},
      {"name":"b"}]}}}})");
  live = update_managed_fields(nullptr, live, update_as("creator"));
  const json::value merged = apply_ok(&live, R"({"apiVersion":"apps/v1","kind":"Deployment",
      "metadata":{"name":"w"},"spec":{"template":{"spec":{"containers":[{"name":"b"},
      {"name":"n"},{"name":"a"}]}}}})",
                                      o);
  std::vector<std::string> names;
  for (const auto& c : merged.at("spec").at("template").at("spec").at("containers").as_array()) {
    names.emplace_back(c.at("name").as_string());
  }
  EXPECT_EQ(names, (std::vector<std::string>{"x", "y", "b", "n", "a"}));
}

TEST(Apply, UnionsFinalizersAsASet) {
  const json::value v1 = apply_ok(nullptr,
                                  R"({"apiVersion":"v1","kind":"ConfigMap",)"
                                  R"("metadata":{"name":"cm","finalizers":["a/one"]}})",
                                  apply_as("kubectl"));
  const json::value v2 = apply_ok(&v1,
                                  R"({"apiVersion":"v1","kind":"ConfigMap",)"
                                  R"("metadata":{"name":"cm","finalizers":["b/two","a/one"]}})",
                                  apply_as("operator"));
  // The new item goes where the configuration puts it, before the shared one.
  EXPECT_EQ(common::to_json(v2.at("metadata").at("finalizers"), false), R"(["b/two","a/one"])");
  EXPECT_EQ(fields_of_entry(v2, "operator"),
            R"({"f:metadata":{"f:finalizers":{"v:\"a/one\"":{},"v:\"b/two\"":{}}}})");
  const json::value v3 = apply_ok(&v2,
                                  R"({"apiVersion":"v1","kind":"ConfigMap",)"
                                  R"("metadata":{"name":"cm","finalizers":["b/two"]}})",
                                  apply_as("operator"));
  EXPECT_EQ(common::to_json(v3.at("metadata").at("finalizers"), false), R"(["b/two","a/one"])")
      << "a/one is still kubectl's";
}

TEST(Apply, NamesListItemsThatOmitADefaultedKeyField) {
  ApplyOptions o = apply_as("kubectl");
  o.lookup = deployment_lookup();
  const json::value live = apply_ok(nullptr, R"({"apiVersion":"apps/v1","kind":"Deployment",
      "metadata":{"name":"w"},"spec":{"template":{"spec":{"containers":[{"name":"c",
      "ports":[{"containerPort":80}]}]}}}})",
                                    o);
  EXPECT_NE(
      fields_of_entry(live, "kubectl").find(R"(k:{\"containerPort\":80,\"protocol\":\"TCP\"})"),
      std::string::npos);
}

TEST(Apply, GivesAnUntrackedObjectsFieldsToBeforeFirstApply) {
  json::value live = parse(kConfigMap);
  live.as_object()["metadata"].as_object()["uid"] = "u-1";
  auto refused = apply(&live,
                       parse(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm"},)"
                             R"("data":{"key":"b"}})"),
                       apply_as("kubectl"));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(
      refused.error().message(),
      R"(Apply failed with 1 conflict: conflict with "before-first-apply" using v1: .data.key)");
  const json::value same = apply_ok(&live, kConfigMap, apply_as("kubectl"));
  EXPECT_EQ(fields_of_entry(same, "before-first-apply", "Update"),
            R"({"f:data":{".":{},"f:key":{}}})");
  EXPECT_EQ(fields_of_entry(same, "kubectl", "Apply"), R"({"f:data":{"f:key":{}}})");
  EXPECT_EQ(same.at("metadata").at("uid"), "u-1");
}

TEST(Apply, KeepsServerSetMetadataFromTheLiveObject) {
  json::value live = apply_ok(nullptr, kConfigMap, apply_as("kubectl"));
  auto& md = live.as_object()["metadata"].as_object();
  md["uid"] = "u-1";
  md["resourceVersion"] = "42";
  md["creationTimestamp"] = "2024-01-01T00:00:00Z";
  const json::value next =
      apply_ok(&live,
               R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm","uid":"forged",)"
               R"("creationTimestamp":null,"resourceVersion":"1"},"data":{"key":"a"}})",
               apply_as("kubectl"));
  EXPECT_EQ(next.at("metadata").at("uid"), "u-1");
  EXPECT_EQ(next.at("metadata").at("resourceVersion"), "42");
  EXPECT_EQ(next.at("metadata").at("creationTimestamp"), "2024-01-01T00:00:00Z");
  const json::value created = apply_ok(
      nullptr,
      R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm","creationTimestamp":null}})",
      apply_as("kubectl"));
  EXPECT_FALSE(created.at("metadata").as_object().contains("creationTimestamp"));
}

TEST(Apply, LeavesStatusAloneWhenItHasItsOwnSubresource) {
  ApplyOptions o = apply_as("kubectl");
  o.ignore_status = true;
  json::value live = apply_ok(
      nullptr, R"({"apiVersion":"v1","kind":"Thing","metadata":{"name":"t"},"spec":{"a":1}})", o);
  live.as_object()["status"] = parse(R"({"phase":"Ready"})");
  const json::value next = apply_ok(&live,
                                    R"({"apiVersion":"v1","kind":"Thing","metadata":{"name":"t"},)"
                                    R"("spec":{"a":1},"status":{"phase":"Hacked"}})",
                                    o);
  EXPECT_EQ(next.at("status").at("phase"), "Ready");
  EXPECT_EQ(fields_of_entry(next, "kubectl"), R"({"f:spec":{"f:a":{}}})");

  ApplyOptions status = apply_as("controller");
  status.subresource = "status";
  const json::value reported =
      apply_ok(&next,
               R"({"apiVersion":"v1","kind":"Thing","metadata":{"name":"t"},)"
               R"("spec":{"a":2},"status":{"phase":"Done"}})",
               status);
  EXPECT_EQ(reported.at("status").at("phase"), "Done");
  EXPECT_EQ(reported.at("spec").at("a"), 1);
  bool found = false;
  for (const auto& e : entries_of(reported)) {
    if (e.at("manager") != "controller") continue;
    found = true;
    EXPECT_EQ(e.at("subresource"), "status");
    EXPECT_EQ(common::to_json(e.at("fieldsV1"), false), R"({"f:status":{"f:phase":{}}})");
  }
  EXPECT_TRUE(found);
}

TEST(Apply, KeepsTheEntryTimeWhenNothingChanges) {
  const json::value v1 = apply_ok(nullptr, kConfigMap, apply_as("kubectl", "2024-05-01T10:00:00Z"));
  const json::value v2 = apply_ok(&v1, kConfigMap, apply_as("kubectl", "2024-06-01T10:00:00Z"));
  EXPECT_EQ(entries_of(v2)[0].at("time"), "2024-05-01T10:00:00Z");
  EXPECT_EQ(v1, v2);
}

TEST(Apply, RefusesConfigurationsItCannotApply) {
  auto with_managed_fields = apply(
      nullptr,
      parse(
          R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm","managedFields":[]}})"),
      apply_as("kubectl"));
  ASSERT_FALSE(with_managed_fields.has_value());
  EXPECT_EQ(with_managed_fields.error().message(), "metadata.managedFields must be nil");
  EXPECT_EQ(with_managed_fields.error().status().code, 400);

  ApplyOptions o = apply_as("kubectl");
  o.lookup = deployment_lookup();
  auto duplicate = apply(nullptr, parse(R"({"apiVersion":"apps/v1","kind":"Deployment",
      "metadata":{"name":"w"},"spec":{"template":{"spec":{"containers":[{"name":"c"},
      {"name":"c"}]}}}})"),
                         o);
  ASSERT_FALSE(duplicate.has_value());
  EXPECT_EQ(duplicate.error().message(),
            "failed to create typed patch object (apps/v1, Kind=Deployment): "
            R"(.spec.template.spec.containers: duplicate entries for key [name="c"])");
  auto missing_key = apply(nullptr, parse(R"({"apiVersion":"apps/v1","kind":"Deployment",
      "metadata":{"name":"w"},"spec":{"template":{"spec":{"containers":[{"image":"x"}]}}}})"),
                           o);
  ASSERT_FALSE(missing_key.has_value());
  EXPECT_NE(missing_key.error().message().find(R"(omits key field "name")"), std::string::npos);

  std::string deep = R"({"apiVersion":"v1","kind":"X","metadata":{"name":"x"},"spec":)";
  for (int i = 0; i < 150; ++i) deep += R"({"a":)";
  deep += "1";
  for (int i = 0; i < 150; ++i) deep += "}";
  deep += "}";
  auto too_deep = apply(nullptr, parse(deep), apply_as("kubectl"));
  ASSERT_FALSE(too_deep.has_value());
  EXPECT_NE(too_deep.error().message().find("deeper than 100"), std::string::npos);
  EXPECT_FALSE(apply(nullptr, parse("[]"), apply_as("kubectl")).has_value());
}

TEST(Apply, SurvivesMalformedManagedFieldsOnTheLiveObject) {
  json::value live = parse(kConfigMap);
  live.as_object()["metadata"].as_object()["managedFields"] =
      parse(R"([{"manager":"x","operation":"Apply","apiVersion":"v1","fieldsType":"FieldsV1",)"
            R"("fieldsV1":{"f:data":"broken"}}])");
  const json::value next = apply_ok(&live, kConfigMap, apply_as("kubectl"));
  EXPECT_EQ(fields_of_entry(next, "kubectl"), R"({"f:data":{"f:key":{}}})");
}

// ---------------------------------------------------------------------------------------------
// update_managed_fields

TEST(UpdateManagedFields, CreateOwnsEveryFieldWithMarkersForNewContainers) {
  const json::value created = update_managed_fields(
      nullptr,
      parse(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm","annotations":)"
            R"({"kubectl.kubernetes.io/last-applied-configuration":"{}"}},"data":{"key":"a"}})"),
      update_as("kubectl-client-side-apply"));
  const auto& entries = entries_of(created);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(common::to_json(entries[0], false),
            R"({"manager":"kubectl-client-side-apply","operation":"Update","apiVersion":"v1",)"
            R"("time":"2024-05-01T09:00:00Z","fieldsType":"FieldsV1","fieldsV1":)"
            R"({"f:data":{".":{},"f:key":{}},"f:metadata":{"f:annotations":{".":{},)"
            R"("f:kubectl.kubernetes.io/last-applied-configuration":{}}}}})");
}

TEST(UpdateManagedFields, UpdateAfterApplyTransfersChangedFields) {
  const json::value applied = apply_ok(
      nullptr,
      R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm"},"data":{"key":"a","x":"1"}})",
      apply_as("kubectl"));
  json::value edited = applied;
  edited.as_object()["data"].as_object()["key"] = "b";
  edited.as_object()["data"].as_object()["new"] = "n";
  const json::value updated = update_managed_fields(&applied, edited, update_as("kube-controller"));
  EXPECT_EQ(fields_of_entry(updated, "kubectl"), R"({"f:data":{"f:x":{}}})");
  EXPECT_EQ(fields_of_entry(updated, "kube-controller"), R"({"f:data":{"f:key":{},"f:new":{}}})");
  auto refused = apply(&updated,
                       parse(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm"},)"
                             R"("data":{"key":"a","x":"1"}})"),
                       apply_as("kubectl"));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().message(),
            R"(Apply failed with 1 conflict: conflict with "kube-controller" using v1: .data.key)");
}

TEST(UpdateManagedFields, RemovedFieldsLeaveEveryEntry) {
  const json::value v1 = apply_ok(
      nullptr,
      R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm"},"data":{"key":"a","x":"1"}})",
      apply_as("kubectl"));
  json::value edited = v1;
  edited.as_object()["data"] = parse(R"({"x":"1"})");
  const json::value v2 = update_managed_fields(&v1, edited, update_as("editor"));
  EXPECT_EQ(fields_of_entry(v2, "kubectl"), R"({"f:data":{"f:x":{}}})");
  EXPECT_EQ(fields_of_entry(v2, "editor"), "");
  EXPECT_EQ(entries_of(v2).size(), 1u);
}

TEST(UpdateManagedFields, AnUnchangedObjectKeepsItsEntriesAndTimes) {
  const json::value v1 =
      update_managed_fields(nullptr, parse(kConfigMap), update_as("a", "2024-01-01T00:00:00Z"));
  const json::value v2 = update_managed_fields(&v1, v1, update_as("b", "2024-02-01T00:00:00Z"));
  EXPECT_EQ(v1, v2);
  json::value without = v1;
  without.as_object()["metadata"].as_object().erase("managedFields");
  EXPECT_EQ(update_managed_fields(&v1, without, update_as("b")), v1)
      << "a client that does not know managedFields cannot drop it";
}

TEST(UpdateManagedFields, LetsTheRequestReplaceOrResetTheList) {
  const json::value v1 = update_managed_fields(nullptr, parse(kConfigMap), update_as("creator"));
  for (const char* reset : {"[]", "[{}]"}) {
    json::value request = v1;
    request.as_object()["metadata"].as_object()["managedFields"] = parse(reset);
    const json::value cleared = update_managed_fields(&v1, request, update_as("editor"));
    EXPECT_FALSE(cleared.at("metadata").as_object().contains("managedFields")) << reset;
    json::value edited = cleared;
    edited.as_object()["data"].as_object()["key"] = "z";
    EXPECT_FALSE(update_managed_fields(&cleared, edited, update_as("editor"))
                     .at("metadata")
                     .as_object()
                     .contains("managedFields"))
        << "an object whose managedFields were cleared stays untracked";
  }
  json::value request = v1;
  request.as_object()["metadata"].as_object()["managedFields"] =
      parse(R"([{"manager":"someone","operation":"Update","apiVersion":"v1",)"
            R"("fieldsType":"FieldsV1","fieldsV1":{"f:data":{"f:key":{}}}}])");
  const json::value replaced = update_managed_fields(&v1, request, update_as("editor"));
  EXPECT_EQ(fields_of_entry(replaced, "someone"), R"({"f:data":{"f:key":{}}})");
  EXPECT_EQ(fields_of_entry(replaced, "creator"), "");

  request.as_object()["metadata"].as_object()["managedFields"] =
      parse(R"([{"manager":"someone","operation":"Patch"}])");
  EXPECT_EQ(update_managed_fields(&v1, request, update_as("editor")), v1)
      << "a list that does not decode is ignored";
}

TEST(UpdateManagedFields, KeepsStatusSubresourceEntriesApart) {
  const json::value v1 = update_managed_fields(
      nullptr,
      parse(R"({"apiVersion":"v1","kind":"Thing","metadata":{"name":"t"},"spec":{"a":1}})"),
      update_as("controller"));
  json::value reported = v1;
  reported.as_object()["status"] = parse(R"({"phase":"Ready"})");
  reported.as_object()["spec"].as_object()["a"] = 5;  // not the status subresource's to change
  UpdateOptions o = update_as("controller");
  o.subresource = "status";
  const json::value v2 = update_managed_fields(&v1, reported, o);
  const auto& entries = entries_of(v2);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(common::to_json(entries[1], false),
            R"({"manager":"controller","operation":"Update","apiVersion":"v1",)"
            R"("time":"2024-05-01T09:00:00Z","fieldsType":"FieldsV1",)"
            R"("fieldsV1":{"f:status":{".":{},"f:phase":{}}},"subresource":"status"})");
  EXPECT_EQ(common::to_json(entries[0].at("fieldsV1"), false), R"({"f:spec":{".":{},"f:a":{}}})");
}

TEST(UpdateManagedFields, SurvivesObjectsNestedBeyondTheLimit) {
  std::string deep = R"({"metadata":{"name":"x"},"spec":)";
  for (int i = 0; i < 250; ++i) deep += R"({"a":)";
  deep += "1";
  for (int i = 0; i < 250; ++i) deep += "}";
  deep += "}";
  const json::value object = parse(deep);
  const json::value created = update_managed_fields(nullptr, object, update_as("creator"));
  ASSERT_EQ(entries_of(created).size(), 1u);
  auto owned = FieldSet::from_fields_v1(entries_of(created)[0].at("fieldsV1"));
  ASSERT_TRUE(owned.has_value()) << owned.error();
  const FieldSet applied = fields_of(object, default_schema_lookup());
  ASSERT_EQ(applied.paths().size(), 1u);
  EXPECT_LE(applied.paths()[0].size(), kMaxFieldDepth) << "the deep rest is owned as one value";
  json::value edited = created;
  edited.as_object()["spec"] = 2;
  const json::value updated = update_managed_fields(&created, edited, update_as("editor"));
  EXPECT_EQ(fields_of_entry(updated, "editor"), R"({"f:spec":{}})");
}

// ---------------------------------------------------------------------------------------------
// Entries and validation

TEST(ManagedFieldsEntries, SortApplyBeforeUpdateThenByTimeAndManager) {
  std::vector<ManagedFieldsEntry> entries;
  const FieldSet some = fields(R"({"f:a":{}})");
  entries.push_back({"b", "Update", "v1", "2024-01-02T00:00:00Z", "", some});
  entries.push_back({"a", "Update", "v1", "2024-01-02T00:00:00+01:00", "", some});
  entries.push_back({"z", "Apply", "v1", "2024-09-01T00:00:00Z", "", some});
  entries.push_back({"empty", "Apply", "v1", "2024-01-01T00:00:00Z", "", FieldSet()});
  const json::value list = encode_managed_fields(entries);
  std::vector<std::string> managers;
  for (const auto& e : list.as_array()) managers.emplace_back(e.at("manager").as_string());
  EXPECT_EQ(managers, (std::vector<std::string>{"z", "a", "b"}));
  auto decoded = decode_managed_fields(list);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->size(), 3u);
  EXPECT_EQ((*decoded)[0].fields, some);
}

TEST(ManagedFieldsEntries, DecodeRefusesWhatKubeApiserverRefuses) {
  EXPECT_FALSE(decode_managed_fields(parse(R"([{"manager":"m","operation":"Patch",)"
                                           R"("apiVersion":"v1","fieldsType":"FieldsV1"}])"))
                   .has_value());
  EXPECT_FALSE(decode_managed_fields(parse(R"([{"manager":"m","operation":"Update",)"
                                           R"("fieldsType":"FieldsV1"}])"))
                   .has_value());
  auto missing_type =
      decode_managed_fields(parse(R"([{"manager":"m","operation":"Update","apiVersion":"v1"}])"));
  ASSERT_FALSE(missing_type.has_value());
  EXPECT_EQ(missing_type.error(), "missing fieldsType in managed fields entry 0");
  EXPECT_FALSE(decode_managed_fields(parse(R"({"not":"a list"})")).has_value());
}

TEST(ValidateManagedFields, ReportsEachBadEntryWithKubeApiserversFieldPaths) {
  const json::value list =
      parse(R"([{"manager":"ok","operation":"Update","apiVersion":"v1","fieldsType":"FieldsV1",)"
            R"("fieldsV1":{"f:a":{}}},)"
            R"({"manager":"m","operation":"Patch","fieldsType":"FieldsV2","fieldsV1":{"f:a":1}},)"
            R"("not an entry"])");
  auto result = validate_managed_fields(list);
  ASSERT_FALSE(result.has_value());
  const auto& causes = result.error();
  ASSERT_EQ(causes.size(), 4u);
  EXPECT_EQ(causes[0], (kube::StatusCause{"FieldValueInvalid",
                                          R"(Invalid value: "Patch": must be `Apply` or `Update`)",
                                          "metadata.managedFields[1].operation"}));
  EXPECT_EQ(causes[1], (kube::StatusCause{"FieldValueInvalid",
                                          R"(Invalid value: "FieldsV2": must be `FieldsV1`)",
                                          "metadata.managedFields[1].fieldsType"}));
  EXPECT_EQ(causes[2].field, "metadata.managedFields[1].fieldsV1");
  EXPECT_EQ(causes[3].field, "metadata.managedFields[2]");
  auto long_manager = validate_managed_fields(
      json::array{json::object{{"manager", std::string(129, 'm')}, {"operation", "Apply"}}});
  ASSERT_FALSE(long_manager.has_value());
  EXPECT_EQ(long_manager.error()[0].message, "Too long: may not be more than 128 bytes");
  EXPECT_EQ(long_manager.error()[0].field, "metadata.managedFields[0].manager");
}

TEST(ValidateManagedFields, AcceptsTheResetFormsAndWellFormedLists) {
  EXPECT_TRUE(validate_managed_fields(parse("[]")).has_value());
  EXPECT_TRUE(validate_managed_fields(parse("[{}]")).has_value());
  EXPECT_TRUE(validate_managed_fields(json::value()).has_value());
  const json::value created = apply_ok(nullptr, kConfigMap, apply_as("kubectl"));
  EXPECT_TRUE(validate_managed_fields(created.at("metadata").at("managedFields")).has_value());
}

}  // namespace
}  // namespace lambda::apiserver
