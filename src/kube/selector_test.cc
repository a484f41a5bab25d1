#include "kube/selector.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace lambda::kube {
namespace {

namespace json = boost::json;

LabelSelector label_selector(std::string_view text) {
  auto s = LabelSelector::parse(text);
  EXPECT_TRUE(s.has_value()) << text << " -> " << s.error();
  return s ? *s : LabelSelector::nothing();
}

std::string label_error(std::string_view text) {
  auto s = LabelSelector::parse(text);
  EXPECT_FALSE(s.has_value()) << text << " -> " << s->to_string();
  return s ? std::string() : s.error();
}

std::string selector_json_error(std::string_view json_text) {
  auto s = LabelSelector::from_json(json::parse(json_text));
  EXPECT_FALSE(s.has_value()) << json_text;
  return s ? std::string() : s.error();
}

bool matches(const LabelSelector& s, std::string_view labels_json) {
  json::value labels = json::parse(labels_json);
  return s.matches(&labels.as_object());
}

const std::string kNamePartRule =
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
    "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const std::string kLabelValueRule =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  "
    "or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

TEST(LabelSelector, EmptyTextSelectsEverything) {
  auto s = label_selector("");
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.to_string(), "");
  EXPECT_TRUE(s.matches(nullptr));
  EXPECT_TRUE(matches(s, R"({"a":"b"})"));
  EXPECT_TRUE(label_selector("   ").empty());
}

TEST(LabelSelector, EqualityFormsMatchTheLabelValue) {
  for (auto text : {"app=web", "app==web", "app = web"}) {
    auto s = label_selector(text);
    EXPECT_TRUE(matches(s, R"({"app":"web"})")) << text;
    EXPECT_FALSE(matches(s, R"({"app":"db"})")) << text;
    EXPECT_FALSE(matches(s, R"({})")) << text;
    EXPECT_FALSE(s.matches(nullptr)) << text;
  }
  EXPECT_EQ(label_selector("app==web").to_string(), "app==web");
  EXPECT_EQ(label_selector(" app = web ").to_string(), "app=web");
}

TEST(LabelSelector, NotEqualsMatchesObjectsWithoutTheLabel) {
  auto s = label_selector("tier!=frontend");
  EXPECT_TRUE(matches(s, R"({"app":"web"})"));
  EXPECT_TRUE(s.matches(nullptr));
  EXPECT_TRUE(matches(s, R"({"tier":"backend"})"));
  EXPECT_FALSE(matches(s, R"({"tier":"frontend"})"));
  EXPECT_EQ(s.to_string(), "tier!=frontend");
}

TEST(LabelSelector, SetBasedRequirementsFollowKubernetes) {
  auto in = label_selector("env in (prod, staging)");
  EXPECT_TRUE(matches(in, R"({"env":"staging"})"));
  EXPECT_FALSE(matches(in, R"({"env":"dev"})"));
  EXPECT_FALSE(matches(in, R"({})"));

  auto notin = label_selector("env notin (prod)");
  EXPECT_TRUE(matches(notin, R"({"env":"dev"})"));
  EXPECT_TRUE(matches(notin, R"({})"));
  EXPECT_FALSE(matches(notin, R"({"env":"prod"})"));

  auto exists = label_selector("env");
  EXPECT_TRUE(matches(exists, R"({"env":""})"));
  EXPECT_FALSE(matches(exists, R"({"app":"x"})"));

  auto absent = label_selector("!env");
  EXPECT_FALSE(matches(absent, R"({"env":""})"));
  EXPECT_TRUE(matches(absent, R"({"app":"x"})"));
  EXPECT_EQ(absent.to_string(), "!env");
}

TEST(LabelSelector, AllRequirementsMustHold) {
  auto s = label_selector("app=web,env in (prod),!canary");
  EXPECT_TRUE(matches(s, R"({"app":"web","env":"prod"})"));
  EXPECT_FALSE(matches(s, R"({"app":"web","env":"prod","canary":"true"})"));
  EXPECT_FALSE(matches(s, R"({"app":"web","env":"dev"})"));
}

TEST(LabelSelector, ToStringSortsRequirementsByKeyAndValues) {
  EXPECT_EQ(label_selector("b=1,a=2,!c").to_string(), "a=2,b=1,!c");
  EXPECT_EQ(label_selector("x in (b,a,b)").to_string(), "x in (a,b)");
  EXPECT_EQ(label_selector("x notin (b,a)").to_string(), "x notin (a,b)");
  EXPECT_EQ(label_selector("k>5").to_string(), "k>5");
}

TEST(LabelSelector, EmptyEntriesInASetStandForTheEmptyValue) {
  auto s = label_selector("x in (,a)");
  ASSERT_EQ(s.requirements().size(), 1u);
  EXPECT_EQ(s.requirements()[0].values, (std::vector<std::string>{"", "a"}));
  EXPECT_EQ(label_selector("x in ()").requirements()[0].values, std::vector<std::string>{""});
  EXPECT_EQ(label_selector("x=").requirements()[0].values, std::vector<std::string>{""});
  EXPECT_TRUE(matches(label_selector("x in ()"), R"({"x":""})"));
}

TEST(LabelSelector, InAndNotinAreValuesInsideParentheses) {
  auto s = label_selector("x in (in,notin)");
  EXPECT_EQ(s.requirements()[0].values, (std::vector<std::string>{"in", "notin"}));
  EXPECT_TRUE(matches(s, R"({"x":"notin"})"));
}

TEST(LabelSelector, KeysMayCarryADnsSubdomainPrefix) {
  auto s = label_selector("app.kubernetes.io/name=web");
  EXPECT_TRUE(matches(s, R"({"app.kubernetes.io/name":"web"})"));
}

TEST(LabelSelector, GreaterAndLessThanCompareIntegers) {
  auto gt = label_selector("replicas>3");
  EXPECT_TRUE(matches(gt, R"({"replicas":"4"})"));
  EXPECT_FALSE(matches(gt, R"({"replicas":"3"})"));
  EXPECT_FALSE(matches(gt, R"({"replicas":"many"})"));
  EXPECT_FALSE(matches(gt, R"({})"));
  EXPECT_TRUE(matches(label_selector("replicas<3"), R"({"replicas":"2"})"));
}

TEST(LabelSelector, NonStringLabelValueIsPresentButEqualsNothing) {
  EXPECT_FALSE(matches(label_selector("a=1"), R"({"a":1})"));
  EXPECT_TRUE(matches(label_selector("a!=1"), R"({"a":1})"));
  EXPECT_TRUE(matches(label_selector("a"), R"({"a":1})"));
}

TEST(LabelSelector, SyntaxErrorsQuoteTheTokenLikeApimachinery) {
  EXPECT_EQ(label_error("x ("),
            "unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt");
  EXPECT_EQ(label_error("env IN (a)"),
            "unable to parse requirement: found 'IN', expected: in, notin, =, ==, !=, gt, lt");
  EXPECT_EQ(label_error("type=app,versionv1.0.1)"),
            "unable to parse requirement: found ')', expected: in, notin, =, ==, !=, gt, lt");
  EXPECT_EQ(label_error("e!!!!!ss"),
            "unable to parse requirement: found '!', expected: in, notin, =, ==, !=, gt, lt");
  EXPECT_EQ(label_error("a=b c"), "found 'c', expected: ',' or 'end of string'");
  EXPECT_EQ(label_error("a=b,"), "found '', expected: identifier after ','");
  EXPECT_EQ(label_error(",a"), "found ',', expected: !, identifier, or 'end of string'");
  EXPECT_EQ(label_error("a in (x y)"),
            "unable to parse requirement: found 'y', expected: ',' or ')'");
  EXPECT_EQ(label_error("a in x"), "unable to parse requirement: found 'x' expected: '('");
  EXPECT_EQ(label_error("a in (x,"),
            "unable to parse requirement: found '', expected: ',', or identifier");
  EXPECT_EQ(label_error("a in"), "unable to parse requirement: found '' expected: '('");
  EXPECT_EQ(label_error("a = = b"), "unable to parse requirement: found '=', expected: identifier");
  EXPECT_EQ(label_error("!"), "unable to parse requirement: found '', expected: identifier");
}

TEST(LabelSelector, InvalidKeysAreReportedWithTheNilFieldPath) {
  EXPECT_EQ(
      label_error("app:monolith"),
      "unable to parse requirement: <nil>: Invalid value: \"app:monolith\": " + kNamePartRule);
  EXPECT_EQ(label_error("a/b/c ?=? def"),
            "unable to parse requirement: <nil>: Invalid value: \"a/b/c\": a qualified name must "
            "consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
            "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
            "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS "
            "subdomain prefix and '/' (e.g. 'example.com/MyName')");
  EXPECT_EQ(label_error("app.kubernetes_io/name=x"),
            "unable to parse requirement: <nil>: Invalid value: \"app.kubernetes_io/name\": "
            "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
            "characters, '-' or '.', and must start and end with an alphanumeric character (e.g. "
            "'example.com', regex used for validation is "
            "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
  EXPECT_EQ(label_error("/a"),
            "unable to parse requirement: <nil>: Invalid value: \"/a\": prefix part must be "
            "non-empty");
  EXPECT_EQ(label_error(std::string(64, 'k')),
            "unable to parse requirement: <nil>: Invalid value: \"" + std::string(64, 'k') +
                "\": name part must be no more than 63 characters");
}

TEST(LabelSelector, InvalidValuesNameTheValueIndexAndKey) {
  EXPECT_EQ(label_error("app=demo-{nginx}"),
            "unable to parse requirement: values[0][app]: Invalid value: \"demo-{nginx}\": " +
                kLabelValueRule);
  EXPECT_EQ(label_error("a=" + std::string(64, 'v')),
            "unable to parse requirement: values[0][a]: Invalid value: \"" + std::string(64, 'v') +
                "\": must be no more than 63 characters");
  EXPECT_EQ(label_error("environment>qa"),
            "unable to parse requirement: values[0]: Invalid value: \"qa\": for 'Gt', 'Lt' "
            "operators, the value must be an integer");
  // Several problems in one requirement are aggregated in brackets.
  EXPECT_EQ(
      label_error("a in (ok,-x-,_y_)"),
      "unable to parse requirement: [values[0][a]: Invalid value: \"-x-\": " + kLabelValueRule +
          ", values[1][a]: Invalid value: \"_y_\": " + kLabelValueRule + "]");
}

TEST(LabelSelector, ArbitraryInputNeverCrashesAndCanonicalFormRoundTrips) {
  std::mt19937 rng(20240601);
  std::string alphabet = "ab=!(), in\tnotin<>-_./\\";
  alphabet += '\0';  // the Go lexer's end marker, inside the text
  alphabet += "xy9";
  int parsed = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    const int len = static_cast<int>(rng() % 16);
    for (int k = 0; k < len; ++k) text += alphabet[rng() % alphabet.size()];
    auto s = LabelSelector::parse(text);
    if (!s) continue;
    ++parsed;
    auto again = LabelSelector::parse(s->to_string());
    ASSERT_TRUE(again.has_value()) << text << " -> " << s->to_string() << " -> " << again.error();
    EXPECT_EQ(again->to_string(), s->to_string()) << text;
  }
  EXPECT_GT(parsed, 100);
}

TEST(LabelSelector, FromJsonCombinesMatchLabelsAndMatchExpressions) {
  auto s = LabelSelector::from_json(json::parse(R"({
    "matchLabels": {"app": "web"},
    "matchExpressions": [
      {"key": "tier", "operator": "In", "values": ["frontend", "edge"]},
      {"key": "canary", "operator": "DoesNotExist"},
      {"key": "env", "operator": "NotIn", "values": ["dev"]},
      {"key": "team", "operator": "Exists"}
    ]})"));
  ASSERT_TRUE(s.has_value()) << s.error();
  EXPECT_EQ(s->to_string(), "app=web,!canary,env notin (dev),team,tier in (edge,frontend)");
  EXPECT_TRUE(matches(*s, R"({"app":"web","tier":"edge","team":"a"})"));
  EXPECT_FALSE(matches(*s, R"({"app":"web","tier":"edge","team":"a","canary":"1"})"));
  EXPECT_FALSE(matches(*s, R"({"app":"web","tier":"edge"})"));
}

TEST(LabelSelector, FromJsonNullSelectsNothingAndEmptySelectsEverything) {
  auto none = LabelSelector::from_json(json::value(nullptr));
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->is_nothing());
  EXPECT_FALSE(none->empty());
  EXPECT_FALSE(none->matches(nullptr));

  auto all = LabelSelector::from_json(json::parse("{}"));
  ASSERT_TRUE(all.has_value());
  EXPECT_TRUE(all->empty());
  EXPECT_TRUE(all->matches(nullptr));
}

TEST(LabelSelector, FromJsonReportsErrorsLikeLabelSelectorAsSelector) {
  EXPECT_EQ(selector_json_error(R"({"matchExpressions":[{"key":"name","operator":"Seriously"}]})"),
            "\"Seriously\" is not a valid label selector operator");
  EXPECT_EQ(selector_json_error(R"({"matchExpressions":[{"key":"name","operator":"In"}]})"),
            "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty");
  EXPECT_EQ(selector_json_error(
                R"({"matchExpressions":[{"key":"a","operator":"Exists","values":["x"]}]})"),
            "values: Invalid value: [\"x\"]: values set must be empty for exists and does not "
            "exist");
  EXPECT_EQ(selector_json_error(R"({"matchLabels":{"a b":"c"}})"),
            "key: Invalid value: \"a b\": " + kNamePartRule);
  EXPECT_EQ(selector_json_error(R"({"matchLabels":{"a":"c d"}})"),
            "values[0][a]: Invalid value: \"c d\": " + kLabelValueRule);
  EXPECT_FALSE(selector_json_error(R"({"matchLabels":{"a":1}})").empty());
  EXPECT_FALSE(selector_json_error(R"({"matchExpressions":{}})").empty());
  EXPECT_FALSE(selector_json_error(R"("app=web")").empty());
}

TEST(FieldSelector, EmptyTextSelectsEverything) {
  auto s = FieldSelector::parse("");
  ASSERT_TRUE(s.has_value());
  EXPECT_TRUE(s->empty());
  EXPECT_EQ(s->to_string(), "");
  EXPECT_TRUE(s->matches([](std::string_view) { return std::nullopt; }));
}

TEST(FieldSelector, ParsesTermsSortedByTheirText) {
  auto s = FieldSelector::parse("metadata.namespace!=kube-system,metadata.name==web");
  ASSERT_TRUE(s.has_value()) << s.error();
  ASSERT_EQ(s->requirements().size(), 2u);
  EXPECT_EQ(s->requirements()[0], (FieldSelector::Requirement{"metadata.name", true, "web"}));
  EXPECT_EQ(s->requirements()[1],
            (FieldSelector::Requirement{"metadata.namespace", false, "kube-system"}));
  EXPECT_EQ(s->to_string(), "metadata.name=web,metadata.namespace!=kube-system");
}

TEST(FieldSelector, MatchesThroughTheServersFieldAccessor) {
  auto s = *FieldSelector::parse("metadata.name=web,status.phase!=Failed");
  std::map<std::string, std::string, std::less<>> fields = {{"metadata.name", "web"},
                                                            {"status.phase", "Running"}};
  auto lookup = [&](std::string_view key) -> std::optional<std::string> {
    auto it = fields.find(key);
    if (it == fields.end()) return std::nullopt;
    return it->second;
  };
  EXPECT_TRUE(s.matches(lookup));
  fields["status.phase"] = "Failed";
  EXPECT_FALSE(s.matches(lookup));
}

TEST(FieldSelector, AMissingFieldComparesAsEmpty) {
  auto none = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
  EXPECT_TRUE(FieldSelector::parse("spec.nodeName=")->matches(none));
  EXPECT_FALSE(FieldSelector::parse("spec.nodeName!=")->matches(none));
  EXPECT_FALSE(FieldSelector::parse("spec.nodeName=n1")->matches(none));
}

TEST(FieldSelector, BackslashEscapesCommaEqualsAndBackslashInValues) {
  auto s = FieldSelector::parse(R"(metadata.name=a\,b\=c\\d,x=y)");
  ASSERT_TRUE(s.has_value()) << s.error();
  ASSERT_EQ(s->requirements().size(), 2u);
  EXPECT_EQ(s->requirements()[0].value, R"(a,b=c\d)");
  EXPECT_EQ(s->to_string(), R"(metadata.name=a\,b\=c\\d,x=y)");
  EXPECT_EQ(FieldSelector::escape_value(R"(a,b=c\d)"), R"(a\,b\=c\\d)");
}

TEST(FieldSelector, KeysAreTakenVerbatimUpToTheFirstOperator) {
  auto s = FieldSelector::parse("a b = c");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->requirements()[0], (FieldSelector::Requirement{"a b ", true, " c"}));
  auto empty_terms = FieldSelector::parse("a=1,,b=2,");
  ASSERT_TRUE(empty_terms.has_value());
  EXPECT_EQ(empty_terms->requirements().size(), 2u);
}

TEST(FieldSelector, ErrorsMatchApimachinery) {
  auto error = [](std::string_view text) {
    auto s = FieldSelector::parse(text);
    EXPECT_FALSE(s.has_value()) << text;
    return s ? std::string() : s.error();
  };
  EXPECT_EQ(error("metadata.name"),
            "invalid selector: 'metadata.name'; can't understand 'metadata.name'");
  EXPECT_EQ(error("a=1,b"), "invalid selector: 'a=1,b'; can't understand 'b'");
  EXPECT_EQ(error("a=b=c"), "invalid field selector: unescaped character in value: 61");
  EXPECT_EQ(error(R"(a=b\x)"), R"(invalid field selector: invalid escape sequence: \x)");
  EXPECT_EQ(error(R"(a=b\)"), R"(invalid field selector: invalid escape sequence: \)");
}

}  // namespace
}  // namespace lambda::kube
