#include "apiserver/patch.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "common/json_yaml.h"

namespace lambda::apiserver {
namespace {

namespace json = boost::json;

json::value j(std::string_view text) {
  auto v = common::parse_json(text);
  EXPECT_TRUE(v.has_value()) << text << " -> " << v.error().to_string();
  return v ? *v : json::value();
}

using Result = tl::expected<json::value, PatchError>;

// json::value's == compares objects regardless of member order and arrays in order, which is
// what the patch formats promise.
::testing::AssertionResult yields(const Result& result, std::string_view expected) {
  if (!result) {
    return ::testing::AssertionFailure()
           << "failed with " << result.error().http_code << ": " << result.error().message;
  }
  if (*result != j(expected)) {
    return ::testing::AssertionFailure()
           << "got " << common::to_json(*result, false) << "\nwant " << expected;
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult fails(const Result& result, int code, std::string_view message = {}) {
  if (result) {
    return ::testing::AssertionFailure() << "succeeded with " << common::to_json(*result, false);
  }
  if (result.error().http_code != code) {
    return ::testing::AssertionFailure() << "code " << result.error().http_code << " ("
                                         << result.error().message << "), want " << code;
  }
  if (!message.empty() && result.error().message != message) {
    return ::testing::AssertionFailure()
           << "message\n  " << result.error().message << "\nwant\n  " << message;
  }
  return ::testing::AssertionSuccess();
}

Result merge(std::string_view target, std::string_view patch) {
  return json_merge_patch(j(target), j(patch));
}

Result jpatch(std::string_view target, std::string_view patch) {
  return json_patch(j(target), j(patch));
}

Result smp(std::string_view group, std::string_view kind, std::string_view target,
           std::string_view patch) {
  return strategic_merge_patch(j(target), j(patch), PatchSchema::for_kind(group, kind));
}

// {"a":{"a":...{"a":leaf}}} with `levels` objects, built without recursion.
json::value chain(std::size_t levels, json::value leaf = json::object()) {
  json::value v = std::move(leaf);
  for (std::size_t i = 0; i < levels; ++i) {
    json::object o;
    o["a"] = std::move(v);
    v = std::move(o);
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// JSON merge patch

TEST(JsonMergePatch, FollowsEveryExampleOfRfc7386AppendixA) {
  struct Case {
    const char* target;
    const char* patch;
    const char* result;
  };
  const Case cases[] = {
      {R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
      {R"({"a":"b"})", R"({"a":null})", R"({})"},
      {R"({"a":"b","b":"c"})", R"({"a":null})", R"({"b":"c"})"},
      {R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})"},
      {R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})", R"({"a":{"b":"d"}})"},
      {R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
      {R"(["a","b"])", R"(["c","d"])", R"(["c","d"])"},
      {R"({"a":"b"})", R"(["c"])", R"(["c"])"},
      {R"({"a":"foo"})", R"(null)", R"(null)"},
      {R"({"a":"foo"})", R"("bar")", R"("bar")"},
      {R"({"e":null})", R"({"a":1})", R"({"e":null,"a":1})"},
      {R"([1,2])", R"({"a":"b","c":null})", R"({"a":"b"})"},
      {R"({})", R"({"a":{"bb":{"ccc":null}}})", R"({"a":{"bb":{}}})"},
  };
  for (const auto& c : cases) {
    EXPECT_TRUE(yields(merge(c.target, c.patch), c.result)) << c.target << " + " << c.patch;
  }
}

TEST(JsonMergePatch, KeepsNullsInsideArraysAndLeavesTheInputsAlone) {
  const json::value target = j(R"({"a":{"b":1},"keep":true})");
  const json::value patch = j(R"({"a":{"b":null,"c":[null,{"d":null}]}})");
  const json::value target_before = target;
  const json::value patch_before = patch;
  EXPECT_TRUE(
      yields(json_merge_patch(target, patch), R"({"a":{"c":[null,{"d":null}]},"keep":true})"));
  EXPECT_EQ(target, target_before);
  EXPECT_EQ(patch, patch_before);
}

// ---------------------------------------------------------------------------------------------
// JSON patch: RFC 6902 appendix A, in order.

TEST(JsonPatch, A1AddsAnObjectMember) {
  EXPECT_TRUE(yields(jpatch(R"({"foo":"bar"})", R"([{"op":"add","path":"/baz","value":"qux"}])"),
                     R"({"baz":"qux","foo":"bar"})"));
}

TEST(JsonPatch, A2AddsAnArrayElement) {
  EXPECT_TRUE(
      yields(jpatch(R"({"foo":["bar","baz"]})", R"([{"op":"add","path":"/foo/1","value":"qux"}])"),
             R"({"foo":["bar","qux","baz"]})"));
}

TEST(JsonPatch, A3RemovesAnObjectMember) {
  EXPECT_TRUE(yields(jpatch(R"({"baz":"qux","foo":"bar"})", R"([{"op":"remove","path":"/baz"}])"),
                     R"({"foo":"bar"})"));
}

TEST(JsonPatch, A4RemovesAnArrayElement) {
  EXPECT_TRUE(
      yields(jpatch(R"({"foo":["bar","qux","baz"]})", R"([{"op":"remove","path":"/foo/1"}])"),
             R"({"foo":["bar","baz"]})"));
}

TEST(JsonPatch, A5ReplacesAValue) {
  EXPECT_TRUE(yields(
      jpatch(R"({"baz":"qux","foo":"bar"})", R"([{"op":"replace","path":"/baz","value":"boo"}])"),
      R"({"baz":"boo","foo":"bar"})"));
}

TEST(JsonPatch, A6MovesAValue) {
  EXPECT_TRUE(yields(jpatch(R"({"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}})",
                            R"([{"op":"move","from":"/foo/waldo","path":"/qux/thud"}])"),
                     R"({"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}})"));
}

TEST(JsonPatch, A7MovesAnArrayElement) {
  EXPECT_TRUE(yields(jpatch(R"({"foo":["all","grass","cows","eat"]})",
                            R"([{"op":"move","from":"/foo/1","path":"/foo/3"}])"),
                     R"({"foo":["all","cows","eat","grass"]})"));
}

TEST(JsonPatch, A8TestsValuesSuccessfully) {
  EXPECT_TRUE(yields(jpatch(R"({"baz":"qux","foo":["a",2,"c"]})",
                            R"([{"op":"test","path":"/baz","value":"qux"},
                                {"op":"test","path":"/foo/1","value":2}])"),
                     R"({"baz":"qux","foo":["a",2,"c"]})"));
}

TEST(JsonPatch, A9FailedTestIsAnError) {
  EXPECT_TRUE(fails(jpatch(R"({"baz":"qux"})", R"([{"op":"test","path":"/baz","value":"bar"}])"),
                    422, "testing value /baz failed: test failed"));
}

TEST(JsonPatch, A10AddsANestedMemberObject) {
  EXPECT_TRUE(yields(
      jpatch(R"({"foo":"bar"})", R"([{"op":"add","path":"/child","value":{"grandchild":{}}}])"),
      R"({"foo":"bar","child":{"grandchild":{}}})"));
}

TEST(JsonPatch, A11IgnoresUnrecognizedMembers) {
  EXPECT_TRUE(
      yields(jpatch(R"({"foo":"bar"})", R"([{"op":"add","path":"/baz","value":"qux","xyz":123}])"),
             R"({"foo":"bar","baz":"qux"})"));
}

TEST(JsonPatch, A12AddingToANonexistentTargetIsAnError) {
  EXPECT_TRUE(
      fails(jpatch(R"({"foo":"bar"})", R"([{"op":"add","path":"/baz/bat","value":"qux"}])"), 422,
            "add operation does not apply: doc is missing path: \"/baz/bat\": missing value"));
}

TEST(JsonPatch, A13DuplicateMembersMakeAnInvalidPatchDocument) {
  // The strict JSON reader refuses the document before it can become a patch.
  EXPECT_FALSE(common::parse_json(R"([{"op":"add","path":"/baz","value":"qux","op":"remove"}])")
                   .has_value());
  // An operation whose op is not a string is refused as malformed.
  EXPECT_TRUE(fails(jpatch(R"({})", R"([{"op":["add"],"path":"/baz","value":"qux"}])"), 400,
                    "Unexpected kind: unknown"));
}

TEST(JsonPatch, A14EscapesAreDecodedInOrder) {
  EXPECT_TRUE(yields(jpatch(R"({"/":9,"~1":10})", R"([{"op":"test","path":"/~01","value":10}])"),
                     R"({"/":9,"~1":10})"));
}

TEST(JsonPatch, A15AStringIsNotEqualToANumber) {
  EXPECT_TRUE(fails(jpatch(R"({"/":9,"~1":10})", R"([{"op":"test","path":"/~01","value":"10"}])"),
                    422, "testing value /~01 failed: test failed"));
}

TEST(JsonPatch, A16AddsAnArrayValue) {
  EXPECT_TRUE(yields(
      jpatch(R"({"foo":["bar"]})", R"([{"op":"add","path":"/foo/-","value":["abc","def"]}])"),
      R"({"foo":["bar",["abc","def"]]})"));
}

// ---------------------------------------------------------------------------------------------
// JSON patch: beyond the appendix.

TEST(JsonPatch, FailedTestOperationLeavesDocumentUnchanged) {
  const json::value target = j(R"({"b":1,"list":[1,2]})");
  const json::value before = target;
  auto result = json_patch(target, j(R"([{"op":"add","path":"/a","value":1},
                                         {"op":"remove","path":"/list/0"},
                                         {"op":"test","path":"/b","value":2}])"));
  EXPECT_TRUE(fails(result, 422, "testing value /b failed: test failed"));
  EXPECT_EQ(target, before);
}

TEST(JsonPatch, ArrayIndicesFollowRfc6901) {
  const char* doc = R"({"foo":["a","b"]})";
  EXPECT_TRUE(yields(jpatch(doc, R"([{"op":"add","path":"/foo/2","value":"c"}])"),
                     R"({"foo":["a","b","c"]})"));
  EXPECT_TRUE(fails(jpatch(doc, R"([{"op":"add","path":"/foo/01","value":"c"}])"), 422,
                    "error in add for path: '/foo/01': value was not a proper array index: '01'"));
  EXPECT_TRUE(fails(jpatch(doc, R"([{"op":"add","path":"/foo/3","value":"c"}])"), 422,
                    "error in add for path: '/foo/3': Unable to access invalid index: 3: invalid "
                    "index referenced"));
  EXPECT_TRUE(fails(jpatch(doc, R"([{"op":"add","path":"/foo/-1","value":"c"}])"), 422));
  EXPECT_TRUE(fails(jpatch(doc, R"([{"op":"remove","path":"/foo/-"}])"), 422,
                    "error in remove for path: '/foo/-': value was not a proper array index: '-'"));
  EXPECT_TRUE(fails(jpatch(doc, R"([{"op":"remove","path":"/foo/2"}])"), 422));
  EXPECT_TRUE(fails(jpatch(doc, R"([{"op":"replace","path":"/foo/2","value":"c"}])"), 422,
                    "replace operation does not apply: doc is missing key: /foo/2: missing value"));
  EXPECT_TRUE(
      fails(jpatch(doc, R"([{"op":"add","path":"/foo/99999999999999999999999","value":1}])"), 422));
  EXPECT_TRUE(yields(jpatch(doc, R"([{"op":"test","path":"/foo/1","value":"b"}])"), doc));
}

TEST(JsonPatch, MissingTargetsAreReportedLikeEvanphxJsonPatch) {
  EXPECT_TRUE(fails(jpatch(R"({"spec":{}})", R"([{"op":"add","path":"/spec/foo/bar","value":1}])"),
                    422,
                    "add operation does not apply: doc is missing path: \"/spec/foo/bar\": missing "
                    "value"));
  EXPECT_TRUE(fails(jpatch(R"({})", R"([{"op":"remove","path":"/spec/nodeSelector"}])"), 422,
                    "remove operation does not apply: doc is missing path: "
                    "\"/spec/nodeSelector\": missing value"));
  EXPECT_TRUE(fails(jpatch(R"({})", R"([{"op":"remove","path":"/x"}])"), 422,
                    "error in remove for path: '/x': Unable to remove nonexistent key: x: missing "
                    "value"));
  EXPECT_TRUE(fails(jpatch(R"({})", R"([{"op":"replace","path":"/x","value":1}])"), 422,
                    "replace operation does not apply: doc is missing key: /x: missing value"));
  EXPECT_TRUE(fails(jpatch(R"({})", R"([{"op":"replace","path":"/x/y","value":1}])"), 422,
                    "replace operation does not apply: doc is missing path: /x/y: missing value"));
  EXPECT_TRUE(fails(jpatch(R"({})", R"([{"op":"move","from":"/x","path":"/y"}])"), 422,
                    "move operation does not apply: doc is missing from path: /x: missing value"));
  EXPECT_TRUE(fails(jpatch(R"({"x":1})", R"([{"op":"move","from":"/x","path":"/a/b"}])"), 422,
                    "move operation does not apply: doc is missing destination path: /a/b: missing "
                    "value"));
  EXPECT_TRUE(fails(jpatch(R"({"x":1})", R"([{"op":"copy","from":"/x","path":"/a/b"}])"), 422,
                    "copy operation does not apply: doc is missing destination path: /a/b: missing "
                    "value"));
  EXPECT_TRUE(fails(jpatch(R"({})", R"([{"op":"test","path":"/a/b","value":1}])"), 422,
                    "test operation does not apply: is missing path: /a/b: missing value"));
  EXPECT_TRUE(fails(jpatch(R"({})", R"([{"op":"test","path":"/a","value":null}])"), 422));
  EXPECT_TRUE(fails(jpatch(R"({"a":"text"})", R"([{"op":"add","path":"/a/b","value":1}])"), 422));
}

TEST(JsonPatch, MalformedPatchDocumentsAreBadRequests) {
  EXPECT_TRUE(fails(jpatch("{}", R"({"op":"add"})"), 400,
                    "json: cannot unmarshal object into Go value of type jsonpatch.Patch"));
  EXPECT_TRUE(fails(jpatch("{}", R"([1])"), 400,
                    "json: cannot unmarshal number into Go value of type jsonpatch.Operation"));
  EXPECT_TRUE(fails(jpatch("{}", R"([{"op":"frob","path":"/a"}])"), 400, "Unexpected kind: frob"));
  EXPECT_TRUE(fails(jpatch("{}", R"([{"path":"/a"}])"), 400, "Unexpected kind: unknown"));
  EXPECT_TRUE(fails(jpatch("{}", R"([{"op":"add","value":1}])"), 400,
                    "add operation failed to decode path: operation missing path field: missing "
                    "value"));
  EXPECT_TRUE(fails(jpatch("{}", R"([{"op":"move","path":"/a"}])"), 400,
                    "move operation failed to decode from: operation missing from field: missing "
                    "value"));
  EXPECT_TRUE(fails(jpatch("{}", R"([{"op":"add","path":"/a"}])"), 400));
  EXPECT_TRUE(fails(jpatch("{}", R"([{"op":"add","path":"a","value":1}])"), 400));
  EXPECT_TRUE(fails(jpatch("{}", R"([{"op":"add","path":"/a~2","value":1}])"), 400));
  EXPECT_TRUE(fails(jpatch("{}", R"([{"op":"add","path":"/a~","value":1}])"), 400));
  EXPECT_TRUE(fails(jpatch("{}", R"([{"op":"add","path":7,"value":1}])"), 400));
  // A malformed operation anywhere stops the patch before the first operation runs.
  EXPECT_TRUE(
      fails(jpatch("{}", R"([{"op":"test","path":"/nope","value":1},{"op":"frob"}])"), 400));
}

TEST(JsonPatch, MoreThanTenThousandOperationsAreRefused) {
  json::array ops;
  for (int i = 0; i <= 10'000; ++i) ops.push_back(j(R"({"op":"test","path":"","value":{}})"));
  EXPECT_TRUE(fails(json_patch(json::object(), ops), 413,
                    "The allowed maximum operations in a JSON patch is 10000, got 10001"));
  ops.pop_back();
  EXPECT_TRUE(yields(json_patch(json::object(), ops), "{}"));
}

TEST(JsonPatch, PointersDecodeEscapesAndNameTheRoot) {
  EXPECT_TRUE(
      yields(jpatch(R"({"a/b":{"c~d":1}})", R"([{"op":"replace","path":"/a~1b/c~0d","value":2}])"),
             R"({"a/b":{"c~d":2}})"));
  EXPECT_TRUE(yields(jpatch(R"({"a":1})", R"([{"op":"add","path":"","value":[1]}])"), "[1]"));
  EXPECT_TRUE(yields(jpatch(R"({"a":1})", R"([{"op":"replace","path":"","value":{"b":2}}])"),
                     R"({"b":2})"));
  EXPECT_TRUE(yields(jpatch(R"({"":{"x":1}})", R"([{"op":"test","path":"/","value":{"x":1}}])"),
                     R"({"":{"x":1}})"));
  EXPECT_TRUE(fails(jpatch(R"({"a":1})", R"([{"op":"remove","path":""}])"), 422));
}

TEST(JsonPatch, AddReplacesAnExistingMember) {
  EXPECT_TRUE(yields(jpatch(R"({"a":1,"b":2})", R"([{"op":"add","path":"/a","value":3}])"),
                     R"({"a":3,"b":2})"));
}

TEST(JsonPatch, TestComparesNumbersByValueAndObjectsIgnoringOrder) {
  const char* doc = R"({"n":1,"o":{"x":1,"y":[2,3]},"big":18446744073709551615})";
  EXPECT_TRUE(yields(jpatch(doc, R"([{"op":"test","path":"/n","value":1.0},
                                      {"op":"test","path":"/o","value":{"y":[2,3],"x":1}},
                                      {"op":"test","path":"/big","value":18446744073709551615}])"),
                     doc));
  EXPECT_TRUE(fails(jpatch(doc, R"([{"op":"test","path":"/o","value":{"x":1,"y":[3,2]}}])"), 422));
  EXPECT_TRUE(fails(jpatch(doc, R"([{"op":"test","path":"/n","value":1.5}])"), 422));
  EXPECT_TRUE(fails(jpatch(doc, R"([{"op":"test","path":"/n","value":true}])"), 422));
}

TEST(JsonPatch, MoveAndCopyFollowRfc6902) {
  EXPECT_TRUE(yields(jpatch(R"({"a":{"b":1}})", R"([{"op":"copy","from":"/a","path":"/c"},
                                                   {"op":"replace","path":"/c/b","value":2}])"),
                     R"({"a":{"b":1},"c":{"b":2}})"));
  EXPECT_TRUE(yields(jpatch(R"({"a":[1,2,3]})", R"([{"op":"move","from":"/a/0","path":"/a/-"}])"),
                     R"({"a":[2,3,1]})"));
  EXPECT_TRUE(
      yields(jpatch(R"({"a":1})", R"([{"op":"move","from":"/a","path":"/a"}])"), R"({"a":1})"));
  EXPECT_TRUE(
      yields(jpatch(R"({"a":{"b":{"c":1}}})", R"([{"op":"move","from":"/a/b","path":"/a"}])"),
             R"({"a":{"c":1}})"));
  EXPECT_TRUE(fails(jpatch(R"({"a":{"b":1}})", R"([{"op":"move","from":"/a","path":"/a/b/c"}])"),
                    422,
                    "move operation does not apply: cannot move \"/a\" into its own child "
                    "\"/a/b/c\""));
  EXPECT_TRUE(yields(jpatch(R"({"a":{"b":1}})", R"([{"op":"copy","from":"","path":"/a/self"}])"),
                     R"({"a":{"b":1,"self":{"a":{"b":1}}}})"));
}

TEST(JsonPatch, CopiesThatWouldExhaustMemoryAreRefused) {
  json::object doc;
  doc["a"] = std::string(1 << 20, 'x');
  json::array ops;
  for (int i = 0; i < 20; ++i) {
    ops.push_back(j(R"({"op":"copy","from":"/a","path":"/b-)" + std::to_string(i) + R"("})"));
  }
  auto result = json_patch(doc, ops);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().http_code, 422);
  EXPECT_TRUE(result.error().message.starts_with(
      "Unable to complete the copy, the accumulated size increase of copy is"))
      << result.error().message;
}

TEST(JsonPatch, OperationsCannotNestTheDocumentPastTheDepthLimit) {
  json::object doc;
  doc["a"] = chain(60);
  doc["x"] = chain(60);
  std::string deep_path;
  for (int i = 0; i < 50; ++i) deep_path += "/a";
  deep_path += "/b";
  auto op = [&](std::string_view kind) {
    json::object o;
    o["op"] = kind;
    o["from"] = "/x";
    o["path"] = deep_path;
    o["value"] = chain(60);
    return json::value(json::array{o});
  };
  EXPECT_TRUE(fails(json_patch(doc, op("move")), 422));
  EXPECT_TRUE(fails(json_patch(doc, op("copy")), 422));
  EXPECT_TRUE(fails(json_patch(doc, op("add")), 422));
  EXPECT_TRUE(fails(json_patch(doc, op("replace")), 422));
}

// ---------------------------------------------------------------------------------------------
// Strategic merge patch.

constexpr const char* kPod = R"({
  "apiVersion": "v1", "kind": "Pod",
  "metadata": {"name": "web", "labels": {"app": "web"}, "finalizers": ["a.io/x", "b.io/y"]},
  "spec": {
    "containers": [
      {"name": "app", "image": "app:v1", "args": ["--a", "--b"],
       "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
       "ports": [{"containerPort": 8080, "protocol": "TCP"}]},
      {"name": "sidecar", "image": "side:v1"}
    ],
    "volumes": [{"name": "data", "emptyDir": {}}],
    "tolerations": [{"key": "k1", "operator": "Exists"}]
  }
})";

TEST(StrategicMergePatch, ContainersMergeByName) {
  auto result = smp("", "Pod", kPod, R"({"spec":{"containers":[
      {"name":"app","image":"app:v2","env":[{"name":"B","value":"22"}]}]}})");
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->at_pointer("/spec/containers"), j(R"([
      {"name": "app", "image": "app:v2", "args": ["--a", "--b"],
       "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "22"}],
       "ports": [{"containerPort": 8080, "protocol": "TCP"}]},
      {"name": "sidecar", "image": "side:v1"}])"));
}

TEST(StrategicMergePatch, NewListElementsComeFirstWithoutAnOrderDirective) {
  // apimachinery places elements named only by the patch before the server's elements.
  auto result = smp("", "Pod", kPod, R"({"spec":{"containers":[{"name":"init","image":"i"}]}})");
  ASSERT_TRUE(result.has_value()) << result.error().message;
  const auto& containers = result->at_pointer("/spec/containers").as_array();
  ASSERT_EQ(containers.size(), 3u);
  EXPECT_EQ(containers[0].at("name"), "init");
  EXPECT_EQ(containers[1].at("name"), "app");
  EXPECT_EQ(containers[2].at("name"), "sidecar");
}

TEST(StrategicMergePatch, DeploymentPodTemplateListsMergeByTheirKeys) {
  const char* deployment = R"({"apiVersion":"apps/v1","kind":"Deployment","spec":{"template":{
      "metadata":{"labels":{"app":"web"}},
      "spec":{"containers":[{"name":"app","image":"v1",
                             "volumeMounts":[{"name":"data","mountPath":"/data"}]}]}}}})";
  auto result = smp("apps", "Deployment", deployment, R"({"spec":{"template":{"spec":{
      "containers":[{"name":"app","volumeMounts":[{"name":"cache","mountPath":"/cache"}]}]}}}})");
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->at_pointer("/spec/template/spec/containers/0"),
            j(R"({"name":"app","image":"v1","volumeMounts":[
                  {"name":"cache","mountPath":"/cache"},{"name":"data","mountPath":"/data"}]})"));
}

TEST(StrategicMergePatch, PatchDeleteOnAListElementRemovesThatElement) {
  EXPECT_TRUE(
      yields(smp("", "Pod", R"({"spec":{"containers":[{"name":"a"},{"name":"b"},{"name":"c"}]}})",
                 R"({"spec":{"containers":[{"name":"b","$patch":"delete"}]}})"),
             R"({"spec":{"containers":[{"name":"a"},{"name":"c"}]}})"));
}

TEST(StrategicMergePatch, PatchReplaceOnAListReplacesTheWholeList) {
  EXPECT_TRUE(
      yields(smp("", "Pod", R"({"spec":{"containers":[{"name":"a","image":"x"},{"name":"b"}]}})",
                 R"({"spec":{"containers":[{"$patch":"replace"},{"name":"c","image":null}]}})"),
             R"({"spec":{"containers":[{"name":"c"}]}})"));
}

TEST(StrategicMergePatch, PatchReplaceAndDeleteInAMap) {
  const char* target = R"({"metadata":{"labels":{"a":"1","b":"2"},"annotations":{"x":"y"}}})";
  EXPECT_TRUE(yields(
      smp("", "ConfigMap", target, R"({"metadata":{"labels":{"$patch":"replace","c":"3"}}})"),
      R"({"metadata":{"labels":{"c":"3"},"annotations":{"x":"y"}}})"));
  EXPECT_TRUE(
      yields(smp("", "ConfigMap", target, R"({"metadata":{"annotations":{"$patch":"delete"}}})"),
             R"({"metadata":{"labels":{"a":"1","b":"2"},"annotations":{}}})"));
}

TEST(StrategicMergePatch, NullDeletesAKeyAndListsWithoutStrategyAreReplaced) {
  auto result = smp("", "Pod", kPod, R"({"metadata":{"labels":null},"spec":{
      "tolerations":[{"key":"k2","operator":"Exists"}],
      "containers":[{"name":"app","args":["--c"],"image":null}]}})");
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_FALSE(result->at("metadata").as_object().contains("labels"));
  EXPECT_EQ(result->at_pointer("/spec/tolerations"), j(R"([{"key":"k2","operator":"Exists"}])"));
  EXPECT_EQ(result->at_pointer("/spec/containers/0/args"), j(R"(["--c"])"));
  EXPECT_FALSE(result->at_pointer("/spec/containers/0").as_object().contains("image"));
}

TEST(StrategicMergePatch, UnknownKindsBehaveLikeJsonMergePatch) {
  EXPECT_TRUE(yields(smp("example.com", "Widget", R"({"spec":{"items":[1,2],"m":{"a":1,"b":2}}})",
                         R"({"spec":{"items":[3],"m":{"a":null,"c":3}}})"),
                     R"({"spec":{"items":[3],"m":{"b":2,"c":3}}})"));
}

TEST(StrategicMergePatch, RetainKeysDropsUnlistedKeys) {
  const char* deployment =
      R"({"spec":{"replicas":2,"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}}}})";
  EXPECT_TRUE(yields(smp("apps", "Deployment", deployment,
                         R"({"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}})"),
                     R"({"spec":{"replicas":2,"strategy":{"type":"Recreate"}}})"));
  EXPECT_TRUE(fails(smp("apps", "Deployment", deployment,
                        R"({"spec":{"strategy":{"$retainKeys":["type"],"rollingUpdate":{}}}})"),
                    400, "invalid patch format of retainKeys"));
  EXPECT_TRUE(fails(
      smp("apps", "Deployment", deployment, R"({"spec":{"strategy":{"$retainKeys":"type"}}})"), 400,
      "invalid patch format of retainKeys"));
}

TEST(StrategicMergePatch, RetainKeysInsideAMergedListElement) {
  EXPECT_TRUE(yields(
      smp("", "Pod",
          R"({"spec":{"volumes":[{"name":"data","emptyDir":{}},{"name":"tmp","emptyDir":{}}]}})",
          R"({"spec":{"volumes":[{"$retainKeys":["configMap","name"],"name":"data",
                                  "configMap":{"name":"cfg"}}]}})"),
      R"({"spec":{"volumes":[{"name":"data","configMap":{"name":"cfg"}},
                             {"name":"tmp","emptyDir":{}}]}})"));
}

TEST(StrategicMergePatch, SetElementOrderOrdersTheMergedList) {
  const char* pod = R"({"spec":{"containers":[{"name":"a"},{"name":"b"},{"name":"c"}]}})";
  EXPECT_TRUE(yields(
      smp("", "Pod", pod,
          R"({"spec":{"$setElementOrder/containers":[{"name":"c"},{"name":"a"},{"name":"b"}]}})"),
      R"({"spec":{"containers":[{"name":"c"},{"name":"a"},{"name":"b"}]}})"));
  // A new element lands where the order list puts it; the server-only element "b" is interleaved
  // by its old position: still before "c", which followed it.
  EXPECT_TRUE(yields(
      smp("", "Pod", pod,
          R"({"spec":{"$setElementOrder/containers":[{"name":"a"},{"name":"d"},{"name":"c"}],
                      "containers":[{"name":"d","image":"d"}]}})"),
      R"({"spec":{"containers":[{"name":"a"},{"name":"d","image":"d"},{"name":"b"},{"name":"c"}]}})"));
  EXPECT_TRUE(yields(smp("", "Pod", R"({"metadata":{"finalizers":["x","y","z"]}})",
                         R"({"metadata":{"$setElementOrder/finalizers":["z","x","y"]}})"),
                     R"({"metadata":{"finalizers":["z","x","y"]}})"));
}

TEST(StrategicMergePatch, SetElementOrderMustAgreeWithThePatchList) {
  EXPECT_TRUE(fails(smp("", "Pod", R"({"spec":{"containers":[{"name":"a"}]}})",
                        R"({"spec":{"$setElementOrder/containers":[{"name":"a"}],
                                    "containers":[{"name":"b"}]}})"),
                    400));
  EXPECT_TRUE(fails(smp("", "Pod", R"({})", R"({"spec":{"$setElementOrder/containers":{}}})"), 400,
                    "invalid patch format of setElementOrder list"));
}

TEST(StrategicMergePatch, PrimitiveListsWithMergeStrategyAreSets) {
  EXPECT_TRUE(yields(smp("", "Pod", R"({"metadata":{"finalizers":["x","y"]}})",
                         R"({"metadata":{"finalizers":["y","z"]}})"),
                     R"({"metadata":{"finalizers":["x","y","z"]}})"));
  EXPECT_TRUE(yields(smp("", "Pod", R"({"metadata":{"finalizers":["x","y"]}})",
                         R"({"metadata":{"finalizers":["z"]}})"),
                     R"({"metadata":{"finalizers":["z","x","y"]}})"));
}

TEST(StrategicMergePatch, DeleteFromPrimitiveListRemovesValues) {
  EXPECT_TRUE(yields(smp("", "Secret", R"({"metadata":{"finalizers":["a","b","c","b"]}})",
                         R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["b"]}})"),
                     R"({"metadata":{"finalizers":["a","c"]}})"));
  // With additions in the same patch, the deletion applies last.
  EXPECT_TRUE(yields(smp("", "Secret", R"({"metadata":{"finalizers":["a","b"]}})",
                         R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["b"],
                                         "finalizers":["d"]}})"),
                     R"({"metadata":{"finalizers":["d","a"]}})"));
  // Nothing to delete from: nothing happens.
  EXPECT_TRUE(yields(smp("", "Secret", R"({"metadata":{}})",
                         R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["b"]}})"),
                     R"({"metadata":{}})"));
}

TEST(StrategicMergePatch, OwnerReferencesMergeByUid) {
  EXPECT_TRUE(yields(
      smp("", "ConfigMap",
          R"({"metadata":{"ownerReferences":[{"uid":"1","name":"a"},{"uid":"2","name":"b"}]}})",
          R"({"metadata":{"ownerReferences":[{"uid":"2","controller":true},{"uid":"1","$patch":"delete"}]}})"),
      R"({"metadata":{"ownerReferences":[{"uid":"2","name":"b","controller":true}]}})"));
}

TEST(StrategicMergePatch, ThreeWayApplyPatchForAConfigMap) {
  // The shape kubectl apply sends: changed and added keys, null for keys dropped from the
  // configuration, and the new last-applied annotation.
  const char* live = R"({"apiVersion":"v1","kind":"ConfigMap",
      "metadata":{"name":"cfg","namespace":"default","resourceVersion":"7",
        "annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"old\":true}\n",
                       "owner":"ops"}},
      "data":{"a":"1","b":"2","added-by-server":"x"}})";
  const char* patch = R"({"data":{"a":null,"b":"3","c":"4"},
      "metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"new\":true}\n"}}})";
  EXPECT_TRUE(yields(smp("", "ConfigMap", live, patch), R"({"apiVersion":"v1","kind":"ConfigMap",
      "metadata":{"name":"cfg","namespace":"default","resourceVersion":"7",
        "annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"new\":true}\n",
                       "owner":"ops"}},
      "data":{"b":"3","added-by-server":"x","c":"4"}})"));
}

TEST(StrategicMergePatch, ThreeWayApplyPatchForAService) {
  // Configuration went from ports http:80 + metrics:9090 to https:443 + http:80 (new target
  // port); the server added a port of its own (9100) and set clusterIP.
  const char* live = R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"web"},
      "spec":{"clusterIP":"10.0.0.5","type":"ClusterIP","selector":{"app":"web"},
        "ports":[{"name":"http","port":80,"protocol":"TCP","targetPort":8080},
                 {"name":"metrics","port":9090,"protocol":"TCP","targetPort":9090},
                 {"name":"node","port":9100,"protocol":"TCP","targetPort":9100}]}})";
  const char* patch =
      R"({"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}\n"}},
      "spec":{"$setElementOrder/ports":[{"port":443},{"port":80}],
              "ports":[{"name":"https","port":443,"targetPort":8443},
                       {"port":80,"targetPort":8081},
                       {"$patch":"delete","port":9090}],
              "selector":{"app":"web2"}}})";
  EXPECT_TRUE(yields(smp("", "Service", live, patch), R"({"apiVersion":"v1","kind":"Service",
      "metadata":{"name":"web","annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}\n"}},
      "spec":{"clusterIP":"10.0.0.5","type":"ClusterIP","selector":{"app":"web2"},
        "ports":[{"name":"https","port":443,"targetPort":8443},
                 {"name":"http","port":80,"protocol":"TCP","targetPort":8081},
                 {"name":"node","port":9100,"protocol":"TCP","targetPort":9100}]}})"));
}

TEST(StrategicMergePatch, FieldsAbsentFromTheDocumentAreBuiltWithoutDirectivesOrNulls) {
  EXPECT_TRUE(yields(smp("", "Pod", R"({"metadata":{"name":"p"}})",
                         R"({"metadata":{"labels":{"a":"1","b":null}},
                             "spec":{"containers":[{"name":"a","image":"i","args":null},
                                                   {"name":"gone","$patch":"delete"}]}})"),
                     R"({"metadata":{"name":"p","labels":{"a":"1"}},
                         "spec":{"containers":[{"name":"a","image":"i"}]}})"));
}

TEST(StrategicMergePatch, DirectiveErrorsAreReported) {
  const char* pod = R"({"metadata":{"labels":{}},"spec":{"containers":[{"name":"a"}]}})";
  EXPECT_TRUE(fails(smp("", "Pod", pod, R"({"metadata":{"labels":{"$patch":"merge"}}})"), 400,
                    R"(unknown patch type: merge in map: {"$patch":"merge"})"));
  EXPECT_TRUE(fails(smp("", "Pod", pod, R"({"spec":{"containers":[{"$patch":"merge"}]}})"), 400,
                    "merging lists cannot yet be specified in the patch"));
  EXPECT_TRUE(
      fails(smp("", "Pod", pod, R"({"spec":{"containers":[{"$patch":"frob","name":"a"}]}})"), 400,
            R"(unknown patch type: frob in map: {"$patch":"frob","name":"a"})"));
  EXPECT_TRUE(fails(smp("", "Pod", pod, R"({"spec":{"containers":[{"$patch":"delete"}]}})"), 400,
                    R"(map: {"$patch":"delete"} does not contain declared merge key: name)"));
  EXPECT_TRUE(fails(smp("", "Pod", pod, R"({"spec":{"containers":[{"image":"x"}]}})"), 400,
                    R"(map: {"image":"x"} does not contain declared merge key: name)"));
  EXPECT_TRUE(fails(smp("", "Pod", pod, R"({"metadata":{"$deleteFromPrimitiveList":["x"]}})"), 400,
                    "invalid patch format of primitive list"));
  EXPECT_TRUE(fails(smp("", "Pod", pod, R"({"metadata":{"finalizers":[["x"]]}})"), 422,
                    "lists of lists are not supported"));
  EXPECT_TRUE(fails(smp("", "Pod", pod, R"({"metadata":{"finalizers":["x",1]}})"), 400));
  EXPECT_TRUE(fails(smp("", "Pod", R"({"metadata":{"finalizers":["x"]}})",
                        R"({"metadata":{"finalizers":[{"a":1}]}})"),
                    422));
}

TEST(StrategicMergePatch, PatchMustBeAnObject) {
  EXPECT_TRUE(fails(smp("", "Pod", "{}", "[]"), 400, "invalid JSON document"));
  EXPECT_TRUE(fails(smp("", "Pod", "{}", R"("x")"), 400, "invalid JSON document"));
  EXPECT_TRUE(yields(smp("", "Pod", R"({"a":1})", "null"), R"({"a":1})"));
  EXPECT_TRUE(yields(smp("", "Pod", R"({"a":1})", R"({"$patch":"delete"})"), "{}"));
}

TEST(StrategicMergePatch, InputsAreNeverModified) {
  const json::value target = j(kPod);
  const json::value patch = j(R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["a.io/x"]},
      "spec":{"$setElementOrder/containers":[{"name":"sidecar"},{"name":"app"}],
              "containers":[{"name":"app","$retainKeys":["name","image"],"image":"v3"}]}})");
  const json::value target_before = target;
  const json::value patch_before = patch;
  auto result = strategic_merge_patch(target, patch, PatchSchema::for_kind("", "Pod"));
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->at_pointer("/spec/containers"),
            j(R"([{"name":"sidecar","image":"side:v1"},{"name":"app","image":"v3"}])"));
  EXPECT_EQ(result->at_pointer("/metadata/finalizers"), j(R"(["b.io/y"])"));
  EXPECT_EQ(target, target_before);
  EXPECT_EQ(patch, patch_before);
}

TEST(StrategicMergePatch, SchemaFromAFunctionDrivesCustomKinds) {
  PatchSchema schema([](const std::vector<std::string>& path) -> std::optional<ListStrategy> {
    if (path == std::vector<std::string>{"spec", "tools"}) return ListStrategy{"name", true};
    if (path == std::vector<std::string>{"spec", "tags"}) return ListStrategy{"", true};
    return std::nullopt;
  });
  auto result = strategic_merge_patch(
      j(R"({"spec":{"tools":[{"name":"search","url":"a"}],"tags":["x"],"other":[1]}})"),
      j(R"({"spec":{"tools":[{"name":"search","timeout":3}],"tags":["y"],"other":[2]}})"), schema);
  EXPECT_TRUE(yields(result, R"({"spec":{"tools":[{"name":"search","url":"a","timeout":3}],
                                         "tags":["y","x"],"other":[2]}})"));
}

TEST(PatchSchema, BuiltInTablesFollowTheKubernetesApiTags) {
  auto strategy = [](std::string_view group, std::string_view kind, std::vector<std::string> path) {
    return PatchSchema::for_kind(group, kind).list_strategy(path);
  };
  const ListStrategy set{"", true};
  EXPECT_EQ(strategy("example.com", "Anything", {"metadata", "finalizers"}), set);
  EXPECT_EQ(strategy("coordination.k8s.io", "Lease", {"metadata", "ownerReferences"}),
            (ListStrategy{"uid", true}));
  EXPECT_EQ(strategy("", "Service", {"spec", "ports"}), (ListStrategy{"port", true}));
  EXPECT_EQ(strategy("", "Pod", {"spec", "containers", "ports"}),
            (ListStrategy{"containerPort", true}));
  EXPECT_EQ(strategy("", "Pod", {"spec", "initContainers", "env"}), (ListStrategy{"name", true}));
  EXPECT_EQ(strategy("", "Pod", {"spec", "containers", "volumeMounts"}),
            (ListStrategy{"mountPath", true}));
  EXPECT_EQ(strategy("", "Pod", {"spec", "imagePullSecrets"}), (ListStrategy{"name", true}));
  EXPECT_EQ(strategy("apps", "Deployment", {"spec", "template", "spec", "volumes"}),
            (ListStrategy{"name", true}));
  EXPECT_EQ(strategy("apps", "Deployment", {"spec", "template", "metadata", "finalizers"}), set);
  EXPECT_EQ(strategy("", "Namespace", {"status", "conditions"}), (ListStrategy{"type", true}));
  EXPECT_FALSE(strategy("", "Pod", {"spec", "tolerations"}).has_value());
  EXPECT_FALSE(strategy("", "ConfigMap", {"spec", "containers"}).has_value());
  EXPECT_FALSE(strategy("", "Deployment", {"spec", "template", "spec", "containers"}).has_value());
  EXPECT_FALSE(PatchSchema().list_strategy({"metadata", "finalizers"}).has_value());
}

// ---------------------------------------------------------------------------------------------
// Robustness: arbitrary documents and patches give a value or a 4xx, never a crash.

class RandomJson {
 public:
  explicit RandomJson(unsigned seed) : rng_(seed) {}

  json::value value(int depth) {
    switch (depth <= 0 ? rng_() % 4 : rng_() % 7) {
      case 0:
        return nullptr;
      case 1:
        return static_cast<std::int64_t>(rng_() % 4);
      case 2:
        return pick(kScalars);
      case 3:
        return rng_() % 2 == 0;
      case 4:
      case 5: {
        json::object o;
        const auto n = rng_() % 4;
        for (unsigned i = 0; i < n; ++i) o[pick(kKeys)] = value(depth - 1);
        return o;
      }
      default: {
        json::array a;
        const auto n = rng_() % 4;
        for (unsigned i = 0; i < n; ++i) a.push_back(value(depth - 1));
        return a;
      }
    }
  }

  json::value object(int depth) {
    json::object o;
    const auto n = 1 + rng_() % 4;
    for (unsigned i = 0; i < n; ++i) o[pick(kKeys)] = value(depth - 1);
    return o;
  }

  json::value json_patch_ops() {
    json::array ops;
    const auto n = rng_() % 4;
    for (unsigned i = 0; i < n; ++i) {
      json::object op;
      op["op"] = pick(kOps);
      op["path"] = pointer();
      if (rng_() % 2) op["from"] = pointer();
      if (rng_() % 4) op["value"] = value(2);
      ops.push_back(std::move(op));
    }
    return ops;
  }

 private:
  static constexpr const char* kScalars[] = {"a", "b", "replace", "delete", "merge", "name"};
  static constexpr const char* kKeys[] = {"name",
                                          "containers",
                                          "finalizers",
                                          "metadata",
                                          "spec",
                                          "a",
                                          "$patch",
                                          "$retainKeys",
                                          "$setElementOrder/containers",
                                          "$setElementOrder/finalizers",
                                          "$deleteFromPrimitiveList/finalizers",
                                          "$deleteFromPrimitiveList"};
  static constexpr const char* kOps[] = {"add", "remove", "replace", "move", "copy", "test", "x"};

  template <std::size_t N>
  const char* pick(const char* const (&options)[N]) {
    return options[rng_() % N];
  }

  std::string pointer() {
    static constexpr const char* kTokens[] = {"a", "name", "0", "1", "-", "01", "~0", "~1", "spec"};
    std::string p;
    const auto n = rng_() % 4;
    for (unsigned i = 0; i < n; ++i) p += std::string("/") + pick(kTokens);
    return p;
  }

  std::mt19937 rng_;
};

::testing::AssertionResult value_or_client_error(const Result& r) {
  if (r || r.error().http_code == 400 || r.error().http_code == 422) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << r.error().http_code << " " << r.error().message;
}

TEST(PatchRobustness, ArbitraryInputsGiveAResultOrAClientError) {
  RandomJson random(4242);
  PatchSchema schema([](const std::vector<std::string>& path) -> std::optional<ListStrategy> {
    if (!path.empty() && path.back() == "containers") return ListStrategy{"name", true};
    if (!path.empty() && path.back() == "finalizers") return ListStrategy{"", true};
    return std::nullopt;
  });
  int merged = 0;
  int patched = 0;
  for (int i = 0; i < 5000; ++i) {
    const json::value target = random.object(5);
    const json::value patch = random.object(5);
    const json::value target_copy = target;
    EXPECT_TRUE(value_or_client_error(json_merge_patch(target, patch)));
    auto smp = strategic_merge_patch(target, patch, schema);
    EXPECT_TRUE(value_or_client_error(smp));
    merged += smp.has_value();
    auto jp = json_patch(target, random.json_patch_ops());
    EXPECT_TRUE(value_or_client_error(jp));
    patched += jp.has_value();
    ASSERT_EQ(target, target_copy);
  }
  // The inputs are varied enough that many patches apply, not only the error paths.
  EXPECT_GT(merged, 1000);
  EXPECT_GT(patched, 1000);
}

// ---------------------------------------------------------------------------------------------
// Depth limits, for all three formats.

TEST(PatchDepth, TwoHundredDeepDocumentsAreErrorsNotCrashes) {
  const json::value deep = chain(200);
  const json::value shallow = j(R"({"a":1})");
  EXPECT_TRUE(fails(json_merge_patch(deep, j(R"({"b":1})")), 422));
  EXPECT_TRUE(fails(json_merge_patch(shallow, deep), 400));
  EXPECT_TRUE(fails(json_patch(deep, j(R"([{"op":"add","path":"/b","value":1}])")), 422));
  json::array ops{json::object{{"op", "add"}, {"path", "/b"}, {"value", deep}}};
  EXPECT_TRUE(fails(json_patch(shallow, ops), 400));
  const auto schema = PatchSchema::for_kind("", "Pod");
  EXPECT_TRUE(fails(strategic_merge_patch(deep, j(R"({"b":1})"), schema), 422));
  EXPECT_TRUE(fails(strategic_merge_patch(shallow, deep, schema), 400));
  // A hundred levels are fine.
  EXPECT_TRUE(json_merge_patch(chain(99), chain(99, json::value(1))).has_value());
}

}  // namespace
}  // namespace lambda::apiserver
