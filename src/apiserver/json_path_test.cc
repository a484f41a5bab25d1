#include "apiserver/json_path.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>

#include "common/json_yaml.h"

namespace lambda::apiserver {
namespace {

namespace json = boost::json;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

json::value yaml(std::string_view text) {
  auto parsed = common::parse_yaml(text);
  if (!parsed) ADD_FAILURE() << "test YAML does not parse: " << parsed.error().to_string();
  return parsed ? *parsed : json::value();
}

const json::value& agent() {
  static const json::value kAgent = yaml(R"(
apiVersion: lambda.knative.io/v1alpha1
kind: LambdaAgent
metadata:
  name: agent-bruno
  creationTimestamp: "2024-05-01T12:00:00Z"
  labels: {app: chatbot}
  annotations:
    a.b/c: dotted
    a: {b/c: nested}
spec:
  replicas: 3
  ratio: 0.5
  items:
  - {name: first, port: 80}
  - {name: second, port: 443}
  - {name: third, port: 8080}
status:
  conditions:
  - {type: Ready, status: "True", observedGeneration: 2}
  - {type: EventingReady, status: "False", observedGeneration: 1}
)");
  return kAgent;
}

std::vector<json::value> eval(std::string_view path, const json::value& root = agent()) {
  auto parsed = JsonPath::parse(path);
  if (!parsed) {
    ADD_FAILURE() << "does not parse: " << path << ": " << parsed.error();
    return {};
  }
  return parsed->evaluate(root);
}

std::string parse_error(std::string_view path) {
  auto parsed = JsonPath::parse(path);
  if (parsed) {
    ADD_FAILURE() << "parses: " << path;
    return {};
  }
  return parsed.error();
}

using Values = std::vector<json::value>;

TEST(JsonPath, SelectsFieldsByDottedPath) {
  EXPECT_EQ(eval(".spec.replicas"), Values{json::value(3)});
  EXPECT_EQ(eval(".metadata.labels.app"), Values{json::value("chatbot")});
  EXPECT_EQ(eval(".spec"), Values{agent().at("spec")});
}

TEST(JsonPath, AcceptsTheSamePathInBraces) {
  EXPECT_EQ(eval("{.spec.replicas}"), Values{json::value(3)});
  EXPECT_EQ(eval("{$.spec.replicas}"), Values{json::value(3)});
}

TEST(JsonPath, MissingFieldsSelectNothing) {
  EXPECT_TRUE(eval(".spec.missing").empty());
  EXPECT_TRUE(eval(".spec.replicas.deeper").empty());
  EXPECT_TRUE(eval(".status.url").empty());
}

TEST(JsonPath, FiltersSelectMatchingElements) {
  EXPECT_EQ(eval(R"(.status.conditions[?(@.type=="Ready")].status)"), Values{json::value("True")});
  EXPECT_EQ(eval(".status.conditions[?(@.type == 'EventingReady')].status"),
            Values{json::value("False")});
  EXPECT_EQ(eval(".spec.items[?(@.port>100)].name"),
            (Values{json::value("second"), json::value("third")}));
  EXPECT_EQ(eval(".spec.items[?(@.port<=80)].name"), Values{json::value("first")});
  EXPECT_EQ(eval(".status.conditions[?(@.observedGeneration!=2)].type"),
            Values{json::value("EventingReady")});
  EXPECT_EQ(eval(".spec.items[?(@.port)].port").size(), 3u);
}

TEST(JsonPath, FilterWithoutMatchSelectsNothing) {
  EXPECT_TRUE(eval(R"(.status.conditions[?(@.type=="Scaled")].status)").empty());
  EXPECT_TRUE(eval(R"(.status.missing[?(@.type=="Ready")].status)").empty());
}

TEST(JsonPath, ComparingDifferentKindsFailsTheWholePath) {
  // text/template refuses to compare a string with a number; kube-apiserver shows an empty cell.
  EXPECT_TRUE(eval(".spec.items[?(@.port=='80')].name").empty());
  EXPECT_TRUE(eval(".spec.items[?(@.name>1)].name").empty());
}

TEST(JsonPath, IndexesSlicesAndWildcards) {
  EXPECT_EQ(eval(".spec.items[0].name"), Values{json::value("first")});
  EXPECT_EQ(eval(".spec.items[-1].name"), Values{json::value("third")});
  EXPECT_EQ(eval(".spec.items[*].name"),
            (Values{json::value("first"), json::value("second"), json::value("third")}));
  EXPECT_EQ(eval(".spec.items[1:].port"), (Values{json::value(443), json::value(8080)}));
  EXPECT_EQ(eval(".spec.items[::2].port"), (Values{json::value(80), json::value(8080)}));
  EXPECT_EQ(eval(".spec.items[0,2].name"), (Values{json::value("first"), json::value("third")}));
  EXPECT_EQ(eval(".metadata.labels.*"), Values{json::value("chatbot")});
}

TEST(JsonPath, OutOfBoundsIndexFailsTheWholePath) {
  EXPECT_TRUE(eval(".spec.items[3].name").empty());
  EXPECT_TRUE(eval(".spec.replicas[0]").empty());
  EXPECT_TRUE(eval(".spec.items[5:1]").empty());
}

TEST(JsonPath, QuotedKeysAreReadAsPathsLikeKubernetesDoes) {
  // ['a.b/c'] is re-parsed as .a.b/c: the dot separates fields unless escaped.
  EXPECT_EQ(eval(R"(.metadata.annotations['a\.b/c'])"), Values{json::value("dotted")});
  EXPECT_EQ(eval(R"(.metadata.annotations.a\.b/c)"), Values{json::value("dotted")});
  EXPECT_EQ(eval(".metadata.annotations['a.b/c']"), Values{json::value("nested")});
  EXPECT_EQ(eval(".metadata['labels'].app"), Values{json::value("chatbot")});
}

TEST(JsonPath, RecursiveDescentFindsFieldsAtAnyDepth) {
  EXPECT_EQ(eval("..port"), (Values{json::value(80), json::value(443), json::value(8080)}));
}

TEST(JsonPath, LiteralsEvaluateToThemselves) {
  EXPECT_EQ(eval(R"({"text"})"), Values{json::value("text")});
  EXPECT_EQ(eval("{5}"), Values{json::value(5)});
}

TEST(JsonPath, IdentifiersOtherThanBooleansFailEvaluation) {
  EXPECT_TRUE(eval("{range .spec.items[*]}").empty());
}

TEST(JsonPath, SyntaxErrorsUseClientGoMessages) {
  EXPECT_EQ(parse_error(".spec.items[0"), "unterminated array");
  EXPECT_EQ(parse_error(".spec.items[abc]"), "invalid array index abc");
  EXPECT_EQ(parse_error(".spec.items[1:x]"), "invalid array index 1:x");
  EXPECT_EQ(parse_error(".spec.items[-]"), "array index - is not a number");
  EXPECT_EQ(parse_error(R"x(.status.conditions[?(@.type=="Ready")x"), "unterminated filter");
  EXPECT_EQ(parse_error(R"(.status.conditions[?(@.type=="Ready")x)"), "unclosed array expect ]");
  EXPECT_EQ(parse_error(".spec #"), "unrecognized character in action: U+0023 '#'");
  EXPECT_EQ(parse_error("{.spec"), "unclosed action");
  EXPECT_EQ(parse_error(".spec 'name"), "unterminated quoted string");
  EXPECT_EQ(parse_error("..a....b"), "invalid multiple recursive descent");
  EXPECT_EQ(parse_error(R"({"\q"})"), R"(unquote string "\q" error invalid syntax)");
  EXPECT_EQ(parse_error("{.a}{.b}"),
            "only one {...} expression is supported, found more after it: {.b}");
}

TEST(JsonPath, RemembersItsText) {
  auto parsed = JsonPath::parse(".spec.replicas");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->text(), ".spec.replicas");
}

// ---------------------------------------------------------------------------------------------
// printer_cell: the Table cell per column type.
// ---------------------------------------------------------------------------------------------

const auto kNow = std::chrono::system_clock::time_point(seconds(1714564800));  // 2024-05-01T12:00Z

TEST(PrinterCell, NoResultIsNull) {
  EXPECT_TRUE(printer_cell({}, "string", kNow).is_null());
  EXPECT_TRUE(
      printer_cell(eval(R"(.status.conditions[?(@.type=="Scaled")].status)"), "string", kNow)
          .is_null());
}

TEST(PrinterCell, StringColumnsPrintTheFirstResultAsGoDoes) {
  EXPECT_EQ(printer_cell(eval(".spec.items[*].name"), "string", kNow), "first");
  EXPECT_EQ(printer_cell({json::value(3)}, "string", kNow), "3");
  EXPECT_EQ(printer_cell({json::value(0.5)}, "string", kNow), "0.5");
  EXPECT_EQ(printer_cell({json::value(1e6)}, "string", kNow), "1e+06");
  EXPECT_EQ(printer_cell({json::value(true)}, "string", kNow), "true");
  EXPECT_EQ(printer_cell({yaml("{b: 1, a: [x]}")}, "string", kNow), R"({"a":["x"],"b":1})");
  EXPECT_EQ(printer_cell({json::value()}, "string", kNow), "<no value>");
}

TEST(PrinterCell, NumericAndBooleanColumnsKeepOnlyFittingValues) {
  EXPECT_EQ(printer_cell({json::value(3)}, "integer", kNow), json::value(3));
  EXPECT_EQ(printer_cell({json::value(3.9)}, "integer", kNow), json::value(3));
  EXPECT_TRUE(printer_cell({json::value("3")}, "integer", kNow).is_null());
  EXPECT_EQ(printer_cell({json::value(3)}, "number", kNow), json::value(3.0));
  EXPECT_TRUE(printer_cell({json::value(3)}, "number", kNow).is_double());
  EXPECT_EQ(printer_cell({json::value(true)}, "boolean", kNow), json::value(true));
  EXPECT_TRUE(printer_cell({json::value("true")}, "boolean", kNow).is_null());
  EXPECT_TRUE(printer_cell({json::value(1)}, "no-such-type", kNow).is_null());
  EXPECT_TRUE(printer_cell({json::value()}, "integer", kNow).is_null());
}

TEST(PrinterCell, DateColumnsShowTheAgeRelativeToNow) {
  EXPECT_EQ(printer_cell({json::value("2024-05-01T11:54:50Z")}, "date", kNow), "5m10s");
  EXPECT_EQ(printer_cell({json::value("2024-05-01T14:00:00+02:00")}, "date", kNow), "0s");
  EXPECT_EQ(printer_cell({json::value("2024-04-28T00:00:00.25Z")}, "date", kNow), "3d11h");
  EXPECT_EQ(printer_cell({json::value("2024-05-01T13:00:00Z")}, "date", kNow), "<invalid>");
  EXPECT_EQ(printer_cell({json::value("yesterday")}, "date", kNow), "<invalid>");
  EXPECT_EQ(printer_cell({json::value("2024-02-30T00:00:00Z")}, "date", kNow), "<invalid>");
  EXPECT_EQ(printer_cell({json::value("")}, "date", kNow), "<unknown>");
  EXPECT_EQ(printer_cell({json::value("0001-01-01T00:00:00Z")}, "date", kNow), "<unknown>");
  EXPECT_TRUE(printer_cell({json::value(5)}, "date", kNow).is_null());
  EXPECT_EQ(printer_cell(eval(".metadata.creationTimestamp"), "date", kNow + hours(50)), "2d2h");
}

TEST(HumanDuration, UsesTwoOrThreeSignificantFiguresLikeKubernetes) {
  EXPECT_EQ(human_duration(seconds(-1)), "0s");
  EXPECT_EQ(human_duration(seconds(-3)), "<invalid>");
  EXPECT_EQ(human_duration(seconds(0)), "0s");
  EXPECT_EQ(human_duration(seconds(119)), "119s");
  EXPECT_EQ(human_duration(minutes(2)), "2m");
  EXPECT_EQ(human_duration(minutes(9) + seconds(59)), "9m59s");
  EXPECT_EQ(human_duration(minutes(179)), "179m");
  EXPECT_EQ(human_duration(hours(3)), "3h");
  EXPECT_EQ(human_duration(hours(7) + minutes(30)), "7h30m");
  EXPECT_EQ(human_duration(hours(47)), "47h");
  EXPECT_EQ(human_duration(hours(48)), "2d");
  EXPECT_EQ(human_duration(hours(24 * 400)), "400d");
  EXPECT_EQ(human_duration(hours(24 * 365 * 3)), "3y");
  EXPECT_EQ(human_duration(hours(24 * (365 * 3 + 10))), "3y10d");
  EXPECT_EQ(human_duration(hours(24 * 365 * 9)), "9y");
}

}  // namespace
}  // namespace lambda::apiserver
