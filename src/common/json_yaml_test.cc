#include "common/json_yaml.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace lambda::common {
namespace {

namespace json = boost::json;

// Expected values are written as JSON and read with Boost.JSON's own parser, so that the
// expectations do not depend on the code under test.
json::value json_text(std::string_view text) { return json::parse(text); }

json::value yaml(std::string_view text) {
  auto result = parse_yaml(text);
  EXPECT_TRUE(result.has_value()) << text << "\n-> " << result.error().to_string();
  return result ? *result : json::value();
}

ParseError yaml_error(std::string_view text) {
  auto result = parse_yaml(text);
  EXPECT_FALSE(result.has_value()) << text << "\n-> " << to_json(*result, false);
  return result ? ParseError{} : result.error();
}

json::value json_ok(std::string_view text) {
  auto result = parse_json(text);
  EXPECT_TRUE(result.has_value()) << text << "\n-> " << result.error().to_string();
  return result ? *result : json::value();
}

ParseError json_error(std::string_view text) {
  auto result = parse_json(text);
  EXPECT_FALSE(result.has_value()) << text << "\n-> " << to_json(*result, false);
  return result ? ParseError{} : result.error();
}

// The value of `v:` in a one-line YAML mapping.
json::value scalar(std::string_view text) {
  json::value doc = yaml("v: " + std::string(text));
  return doc.is_object() && doc.get_object().contains("v") ? doc.at("v") : json::value();
}

// Equality that also insists on the same number kind (json::value == treats int64 1 and uint64 1
// as equal).
::testing::AssertionResult same(const json::value& actual, const json::value& expected) {
  if (actual == expected && to_json(actual, false) == to_json(expected, false) &&
      actual.kind() == expected.kind()) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << to_json(actual, false) << " (kind " << json::to_string(actual.kind())
         << ") != " << to_json(expected, false) << " (kind " << json::to_string(expected.kind())
         << ")";
}

// What a value becomes after any trip through text: integral doubles turn into integers.
json::value normalized(const json::value& v) {
  auto result = parse_json(to_json(v, false));
  EXPECT_TRUE(result.has_value());
  return result ? *result : json::value();
}

// ---------------------------------------------------------------------------------------------
// format_number

TEST(FormatNumber, Integers) {
  EXPECT_EQ(format_number(json::value(0)), "0");
  EXPECT_EQ(format_number(json::value(-42)), "-42");
  EXPECT_EQ(format_number(json::value(std::numeric_limits<std::int64_t>::min())),
            "-9223372036854775808");
  EXPECT_EQ(format_number(json::value(std::numeric_limits<std::int64_t>::max())),
            "9223372036854775807");
  EXPECT_EQ(format_number(json::value(std::numeric_limits<std::uint64_t>::max())),
            "18446744073709551615");
}

TEST(FormatNumber, DoublesLikeGoEncodingJson) {
  const std::pair<double, std::string_view> cases[] = {
      {0.7, "0.7"},
      {1.0, "1"},
      {100.0, "100"},
      {-2.5, "-2.5"},
      {0.1 + 0.2, "0.30000000000000004"},
      {123456.789, "123456.789"},
      {1e20, "100000000000000000000"},
      {1.2345678901234568e20, "123456789012345680000"},
      {1e21, "1e+21"},
      {1.5e300, "1.5e+300"},
      {1e-6, "0.000001"},
      {1.5e-6, "0.0000015"},
      {1e-7, "1e-7"},
      {-1.25e-7, "-1.25e-7"},
      {1e-100, "1e-100"},
      {5e-324, "5e-324"},
      {std::numeric_limits<double>::max(), "1.7976931348623157e+308"},
      {0.0, "0"},
      {-0.0, "-0"},
  };
  for (const auto& [value, text] : cases) {
    EXPECT_EQ(format_number(json::value(value)), text) << value;
  }
}

TEST(FormatNumber, NotBoostsExponentForm) {
  // Boost.JSON's serializer writes 7E-1; golden files want 0.7.
  EXPECT_EQ(json::serialize(json::value(0.7)), "7E-1");
  EXPECT_EQ(format_number(json::value(0.7)), "0.7");
}

TEST(FormatNumber, ShortestRoundTrip) {
  std::mt19937_64 random(20240601);
  for (int i = 0; i < 20000; ++i) {
    double d = 0;
    const std::uint64_t bits = random();
    std::memcpy(&d, &bits, sizeof d);
    if (!std::isfinite(d)) continue;
    const std::string text = format_number(json::value(d));
    double back = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), back);
    ASSERT_EQ(ec, std::errc()) << text;
    ASSERT_EQ(ptr, text.data() + text.size()) << text;
    ASSERT_EQ(back, d) << text;
    // Shortest: no more significant digits than std::to_chars' shortest form needs.
    char shortest[64];
    auto end =
        std::to_chars(shortest, shortest + sizeof shortest, d, std::chars_format::scientific).ptr;
    std::string_view mantissa(shortest, end);
    mantissa = mantissa.substr(0, mantissa.find('e'));
    std::size_t digits = 0;
    for (char c : mantissa) digits += c >= '0' && c <= '9';
    std::size_t significant = 0;
    std::string_view body = std::string_view(text).substr(0, text.find('e'));
    const std::size_t first = body.find_first_of("123456789");
    if (first != std::string_view::npos) {
      body = body.substr(first);
      const std::size_t last = body.find_last_of("123456789");
      for (char c : body.substr(0, last + 1)) significant += c >= '0' && c <= '9';
    }
    ASSERT_LE(significant, digits) << text;
  }
}

TEST(FormatNumber, NonFiniteAndNonNumbers) {
  EXPECT_EQ(format_number(json::value(std::numeric_limits<double>::infinity())), "null");
  EXPECT_EQ(format_number(json::value(std::nan(""))), "null");
  EXPECT_EQ(format_number(json::value("7")), "\"7\"");
  EXPECT_EQ(format_number(json::value(true)), "true");
}

// ---------------------------------------------------------------------------------------------
// to_json

TEST(JsonWrite, CompactAndPretty) {
  const json::value v = json_text(R"({"a":1,"b":[true,null,"x"],"c":{},"d":[],"e":{"f":0.5}})");
  EXPECT_EQ(to_json(v, false), R"({"a":1,"b":[true,null,"x"],"c":{},"d":[],"e":{"f":0.5}})");
  EXPECT_EQ(to_json(v),
            "{\n"
            "  \"a\": 1,\n"
            "  \"b\": [\n"
            "    true,\n"
            "    null,\n"
            "    \"x\"\n"
            "  ],\n"
            "  \"c\": {},\n"
            "  \"d\": [],\n"
            "  \"e\": {\n"
            "    \"f\": 0.5\n"
            "  }\n"
            "}\n");
}

TEST(JsonWrite, Scalars) {
  EXPECT_EQ(to_json(json::value(), false), "null");
  EXPECT_EQ(to_json(json::value(), true), "null\n");
  EXPECT_EQ(to_json(json::value(0.7), false), "0.7");
  EXPECT_EQ(to_json(json::value(3.0), false), "3");
  EXPECT_EQ(to_json(json::value(std::numeric_limits<double>::infinity()), false), "null");
  EXPECT_EQ(to_json(json::array(), true), "[]\n");
}

TEST(JsonWrite, StringEscapes) {
  EXPECT_EQ(to_json(json::value("q\"b\\s/"), false), R"("q\"b\\s/")");
  EXPECT_EQ(to_json(json::value("\b\f\n\r\t"), false), R"("\b\f\n\r\t")");
  EXPECT_EQ(to_json(json::value(std::string("\x01\x1f\x7f", 3)), false), "\"\\u0001\\u001f\x7f\"");
  EXPECT_EQ(to_json(json::value(std::string("nul\0x", 5)), false), R"("nul\u0000x")");
  // Non-ASCII stays UTF-8, including U+2028 which JSON allows raw.
  EXPECT_EQ(to_json(json::value("héllo 😀 \u2028"), false), "\"héllo 😀 \u2028\"");
}

TEST(JsonWrite, InvalidUtf8BecomesReplacementCharacter) {
  EXPECT_EQ(to_json(json::value("a\xff"
                                "b\xc3"),
                    false),
            R"("a\ufffdb\ufffd")");
  EXPECT_EQ(to_json(json::value("\xed\xa0\x80"), false), R"("\ufffd\ufffd\ufffd")");  // surrogate
  EXPECT_EQ(to_json(json::value("\xc0\xaf"), false), R"("\ufffd\ufffd")");            // overlong
}

TEST(JsonWrite, KeysAreEscapedAndOrderIsKept) {
  json::object o;
  o["z"] = 1;
  o["a\"b"] = 2;
  o["\n"] = 3;
  EXPECT_EQ(to_json(o, false), R"({"z":1,"a\"b":2,"\n":3})");
}

// ---------------------------------------------------------------------------------------------
// parse_json

TEST(JsonParse, Values) {
  EXPECT_TRUE(same(json_ok(R"({"a": [1, -2, 0.5, true, false, null, "s"]})"),
                   json_text(R"({"a": [1, -2, 0.5, true, false, null, "s"]})")));
  EXPECT_TRUE(same(json_ok("  \"x\"  \n"), json::value("x")));
  EXPECT_TRUE(same(json_ok("42"), json::value(42)));
}

TEST(JsonParse, NumberKinds) {
  EXPECT_TRUE(same(json_ok("9223372036854775807"), json::value(INT64_MAX)));
  EXPECT_TRUE(same(json_ok("-9223372036854775808"), json::value(INT64_MIN)));
  EXPECT_TRUE(same(json_ok("18446744073709551615"), json::value(UINT64_MAX)));
  EXPECT_TRUE(same(json_ok("18446744073709551616"), json::value(18446744073709551616.0)));
  EXPECT_TRUE(same(json_ok("1.0"), json::value(1.0)));
  EXPECT_TRUE(same(json_ok("1e2"), json::value(100.0)));
  EXPECT_TRUE(same(json_ok("-0.0"), json::value(-0.0)));
  EXPECT_TRUE(same(json_ok("1e-400"), json::value(0.0)));  // underflow is zero, as in Go
}

TEST(JsonParse, DoublesAreCorrectlyRounded) {
  // Just above the midpoint between 1 and the next double: must round up.
  EXPECT_EQ(json_ok("1.00000000000000011102230246251565404236316680908203126").as_double(),
            1.0000000000000002);
  EXPECT_EQ(json_ok("0.1").as_double(), 0.1);
  EXPECT_EQ(json_ok("2.2250738585072011e-308").as_double(), 2.2250738585072011e-308);
  EXPECT_EQ(json_ok("4.9406564584124654e-324").as_double(), 5e-324);
}

TEST(JsonParse, SyntaxErrorPosition) {
  const ParseError error = json_error("{\n  \"a\": 1,\n  \"b\": x\n}");
  EXPECT_EQ(error.line, 3);
  EXPECT_EQ(error.column, 8);
  EXPECT_EQ(error.document, 0);
  EXPECT_EQ(error.to_string().rfind("line 3, column 8: ", 0), 0u) << error.to_string();
}

TEST(JsonParse, RejectsTrailingGarbage) {
  const ParseError error = json_error("[1, 2]\n  x");
  EXPECT_EQ(error.line, 2);
  EXPECT_EQ(error.column, 3);
  EXPECT_NE(error.message.find("after the JSON value"), std::string::npos);
  EXPECT_TRUE(json_error("{} {}").line == 1);
  EXPECT_TRUE(same(json_ok("[1]  \r\n\t "), json_text("[1]")));
}

TEST(JsonParse, StrictSyntax) {
  EXPECT_EQ(json_error("[1, 2,]").column, 7);
  EXPECT_EQ(json_error("{\"a\": 1,}").column, 9);
  EXPECT_GT(json_error("// c\n{}").line, 0);
  EXPECT_GT(json_error("{'a': 1}").line, 0);
  EXPECT_GT(json_error("NaN").line, 0);
  EXPECT_GT(json_error("01").line, 0);
  EXPECT_GT(json_error("\"a\tb\"").line, 0);   // raw control character in a string
  EXPECT_GT(json_error("\"a\xff\"").line, 0);  // not UTF-8
}

TEST(JsonParse, EmptyAndIncomplete) {
  EXPECT_EQ(json_error("").message, "empty JSON document");
  EXPECT_EQ(json_error(" \n ").line, 2);
  const ParseError error = json_error("[1,\n 2");
  EXPECT_EQ(error.line, 2);
  EXPECT_EQ(error.column, 3);
}

TEST(JsonParse, DuplicateKey) {
  const ParseError error = json_error("{\n  \"a\": 1,\n  \"a\": 2\n}");
  EXPECT_EQ(error.line, 3);
  EXPECT_EQ(error.column, 3);
  EXPECT_NE(error.message.find("duplicate key \"a\""), std::string::npos) << error.message;
  const ParseError nested = json_error(R"({"x": {"k\"q": 1, "k\"q": 2}})");
  EXPECT_EQ(nested.column, 19);
  EXPECT_NE(nested.message.find(R"("k\"q")"), std::string::npos) << nested.message;
  // The same key in different objects is fine.
  EXPECT_TRUE(same(json_ok(R"({"a": {"a": 1}, "b": {"a": 2}})"),
                   json_text(R"({"a":{"a":1},"b":{"a":2}})")));
}

TEST(JsonParse, NumberOutOfRange) {
  const ParseError error = json_error("{\"a\":\n  -1e400}");
  EXPECT_EQ(error.line, 2);
  EXPECT_EQ(error.column, 3);
  EXPECT_NE(error.message.find("-1e400"), std::string::npos) << error.message;
}

TEST(JsonParse, DepthLimit) {
  const std::size_t n = kMaxNestingDepth;
  EXPECT_TRUE(json_ok(std::string(n, '[') + std::string(n, ']')).is_array());
  const ParseError error = json_error(std::string(n + 1, '[') + std::string(n + 1, ']'));
  EXPECT_EQ(error.column, static_cast<int>(n + 1));
  EXPECT_NE(error.message.find("256"), std::string::npos) << error.message;
  // Far deeper input fails just as cleanly (no recursion in the parser).
  EXPECT_GT(json_error(std::string(1'000'000, '[')).line, 0);
}

TEST(JsonParse, ByteOrderMarkIsIgnored) {
  EXPECT_TRUE(same(json_ok("\xEF\xBB\xBF{\"a\": 1}"), json_text(R"({"a":1})")));
  EXPECT_EQ(json_error("\xEF\xBB\xBF{\"a\": x}").column, 10);  // columns count the BOM's bytes
}

TEST(JsonParse, UnicodeEscapes) {
  EXPECT_TRUE(same(json_ok(R"("\u00e9\ud83d\ude00\n")"), json::value("é😀\n")));
  EXPECT_TRUE(same(json_ok("\"é😀\""), json::value("é😀")));
}

TEST(JsonRoundTrip, JsonToValueToJson) {
  const std::string text =
      R"({"kind":"Pod","n":[0,-1,0.25,1e+21,1e-7,18446744073709551615],"s":"a\"\\\n\u0001é",)"
      R"("o":{"x":null,"y":[{}],"z":[]},"b":false})";
  const json::value v = json_ok(text);
  EXPECT_EQ(to_json(v, false), text);
  EXPECT_TRUE(same(json_ok(to_json(v, true)), v));
}

// ---------------------------------------------------------------------------------------------
// parse_yaml: scalar resolution

TEST(YamlParse, PlainScalarResolution) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      // null
      {"null", "null"},
      {"Null", "null"},
      {"NULL", "null"},
      {"~", "null"},
      {"", "null"},
      {"nULL", "\"nULL\""},
      // booleans (YAML 1.2 spellings)
      {"true", "true"},
      {"True", "true"},
      {"TRUE", "true"},
      {"false", "false"},
      {"False", "false"},
      {"FALSE", "false"},
      {"tRUE", "\"tRUE\""},
      // integers
      {"0", "0"},
      {"42", "42"},
      {"-42", "-42"},
      {"+42", "42"},
      {"-0", "0"},
      {"0x1F", "31"},
      {"0X1f", "31"},
      {"-0x10", "-16"},
      {"0o17", "15"},
      {"0b101", "5"},
      {"1_000_000", "1000000"},
      {"9223372036854775807", "9223372036854775807"},
      {"-9223372036854775808", "-9223372036854775808"},
      {"9223372036854775808", "9223372036854775808"},  // uint64
      {"18446744073709551615", "18446744073709551615"},
      {"18446744073709551616", "1.8446744073709552e19"},  // too big for uint64: double
      {"-9223372036854775809", "-9.223372036854775809e18"},
      {"0xFFFFFFFFFFFFFFFFFF", "\"0xFFFFFFFFFFFFFFFFFF\""},  // too big, not decimal: string
      // floats
      {"1.5", "1.5"},
      {"-1.5", "-1.5"},
      {"1.0", "1.0"},
      {"1.", "1.0"},
      {".5", "0.5"},
      {"-.5", "-0.5"},
      {"+.5", "0.5"},
      {"1e3", "1000.0"},
      {"1E3", "1000.0"},
      {"1e+3", "1000.0"},
      {"2.5e-3", "0.0025"},
      {".5e1", "5.0"},
      {"1e400", "\"1e400\""},  // go-yaml keeps an overflowing literal as a string
      {"1e-400", "0.0"},
      // strings that look a little like numbers
      {"0.1.0", "\"0.1.0\""},
      {"1.2.3.4", "\"1.2.3.4\""},
      {"10.96.0.1", "\"10.96.0.1\""},
      {"1e", "\"1e\""},
      {"0x", "\"0x\""},
      {"0xZZ", "\"0xZZ\""},
      {"+", "\"+\""},
      {".", "\".\""},
      {"_1", "\"_1\""},
      {"1_", "1"},
      {"1:30", "\"1:30\""},
      {"2024-01-01", "\"2024-01-01\""},
      {"2024-01-01T00:00:00Z", "\"2024-01-01T00:00:00Z\""},
      {"100Mi", "\"100Mi\""},
      {"500m", "\"500m\""},
      {"0.5Gi", "\"0.5Gi\""},
      {"infinity", "\"infinity\""},
      {"nan", "\"nan\""},
      {"<<", "\"<<\""},
      {"=", "\"=\""},
  };
  for (const auto& [text, expected] : cases) {
    EXPECT_TRUE(same(scalar(text), json_text(expected))) << "v: " << text;
  }
}

TEST(YamlParse, Yaml11BooleansLikeKubectl) {
  // sigs.k8s.io/yaml uses go-yaml v2, which resolves YAML 1.1 booleans. kubectl would send
  // `enabled: yes` as true, so we must too.
  for (std::string_view word : {"yes", "Yes", "YES", "on", "On", "ON", "y", "Y"}) {
    EXPECT_TRUE(same(scalar(word), json::value(true))) << word;
  }
  for (std::string_view word : {"no", "No", "NO", "off", "Off", "OFF", "n", "N"}) {
    EXPECT_TRUE(same(scalar(word), json::value(false))) << word;
  }
  for (std::string_view word : {"yEs", "oN", "Nope", "yes!", "y es"}) {
    EXPECT_TRUE(same(scalar(word), json::value(word))) << word;
  }
}

TEST(YamlParse, LeadingZeroIsOctalLikeKubectl) {
  // Kubernetes documents `defaultMode: 0644` as octal in YAML.
  EXPECT_TRUE(same(scalar("0644"), json::value(420)));
  EXPECT_TRUE(same(scalar("0400"), json::value(256)));
  EXPECT_TRUE(same(scalar("0o644"), json::value(420)));
  EXPECT_TRUE(same(scalar("00"), json::value(0)));
  // Not valid octal, but a valid decimal float literal: go-yaml reads 8.0.
  EXPECT_TRUE(same(scalar("08"), json::value(8.0)));
  EXPECT_TRUE(same(scalar("0644.5"), json::value(644.5)));
}

TEST(YamlParse, QuotedNumberStaysString) {
  EXPECT_TRUE(same(scalar("\"1\""), json::value("1")));
  EXPECT_TRUE(same(scalar("'1.5'"), json::value("1.5")));
  EXPECT_TRUE(same(scalar("\"0x1F\""), json::value("0x1F")));
  EXPECT_TRUE(same(scalar("\"0.1.0\""), json::value("0.1.0")));
  EXPECT_TRUE(same(scalar("'1e3'"), json::value("1e3")));
}

TEST(YamlParse, QuotedBoolAndNullStayStrings) {
  EXPECT_TRUE(same(scalar("\"true\""), json::value("true")));
  EXPECT_TRUE(same(scalar("'yes'"), json::value("yes")));
  EXPECT_TRUE(same(scalar("\"null\""), json::value("null")));
  EXPECT_TRUE(same(scalar("'~'"), json::value("~")));
  EXPECT_TRUE(same(scalar("\"\""), json::value("")));
  EXPECT_TRUE(same(scalar("''"), json::value("")));
  EXPECT_TRUE(same(scalar("\".inf\""), json::value(".inf")));
}

TEST(YamlParse, BlockScalarsAreStrings) {
  EXPECT_TRUE(same(yaml("v: |\n  1\n"), json_text(R"({"v":"1\n"})")));
  EXPECT_TRUE(same(yaml("v: |-\n  true\n"), json_text(R"({"v":"true"})")));
  EXPECT_TRUE(same(yaml("v: >\n  a\n  b\n\n  c\n"), json_text(R"({"v":"a b\nc\n"})")));
  EXPECT_TRUE(same(yaml("v: |+\n  a\n\n"), json_text(R"({"v":"a\n\n"})")));
  EXPECT_TRUE(same(yaml("v: |2-\n    indented\n  x\n"), json_text(R"({"v":"  indented\nx"})")));
}

TEST(YamlParse, InfinityAndNanAreErrors) {
  for (std::string_view word : {".inf", "-.Inf", "+.INF", ".nan", ".NaN"}) {
    const ParseError error = yaml_error("a: 1\nb: " + std::string(word));
    EXPECT_EQ(error.line, 2) << word;
    EXPECT_EQ(error.column, 4) << word;
    EXPECT_NE(error.message.find("infinity or NaN"), std::string::npos) << error.message;
  }
  EXPECT_GT(yaml_error("a: !!float .inf").line, 0);
}

TEST(YamlParse, StandardTags) {
  EXPECT_TRUE(same(scalar("!!str 123"), json::value("123")));
  EXPECT_TRUE(same(scalar("!!str true"), json::value("true")));
  EXPECT_TRUE(same(scalar("!!str"), json::value("")));
  EXPECT_TRUE(same(scalar("!!int \"12\""), json::value(12)));
  EXPECT_TRUE(same(scalar("!!float 1"), json::value(1.0)));
  EXPECT_TRUE(same(scalar("!!float 2.5"), json::value(2.5)));
  EXPECT_TRUE(same(scalar("!!bool yes"), json::value(true)));
  EXPECT_TRUE(same(scalar("!!null ~"), json::value()));
  EXPECT_TRUE(same(scalar("!!timestamp 2024-01-01"), json::value("2024-01-01")));
  EXPECT_TRUE(same(scalar("! 12"), json::value("12")));  // non-specific tag: a string
  EXPECT_TRUE(same(scalar("!<tag:yaml.org,2002:str> 5"), json::value("5")));
  EXPECT_TRUE(same(scalar("!!map {a: 1}"), json_text(R"({"a":1})")));
  EXPECT_TRUE(same(scalar("!!seq [1]"), json_text("[1]")));
  EXPECT_TRUE(
      same(yaml("%TAG !e! tag:yaml.org,2002:\n---\nv: !e!str 1\n"), json_text(R"({"v":"1"})")));
}

TEST(YamlParse, TagMismatchIsAnError) {
  const ParseError error = yaml_error("a: !!int abc");
  EXPECT_EQ(error.line, 1);
  EXPECT_EQ(error.column, 4);
  EXPECT_NE(error.message.find("!!int"), std::string::npos) << error.message;
  EXPECT_GT(yaml_error("a: !!int 1.5").line, 0);
  EXPECT_GT(yaml_error("a: !!bool 1").line, 0);
  EXPECT_GT(yaml_error("a: !!null x").line, 0);
  EXPECT_GT(yaml_error("a: !!float abc").line, 0);
  EXPECT_GT(yaml_error("a: !!str [1]").line, 0);
  EXPECT_GT(yaml_error("a: !!map x").line, 0);
}

TEST(YamlParse, UnknownTagsAreErrors) {
  const ParseError custom = yaml_error("a: 1\nb: !Ref x");
  EXPECT_EQ(custom.line, 2);
  EXPECT_NE(custom.message.find("!Ref"), std::string::npos) << custom.message;
  EXPECT_NE(yaml_error("a: !!binary aGk=").message.find("!!binary"), std::string::npos);
  EXPECT_GT(yaml_error("a: !!set {x}").line, 0);
  EXPECT_GT(yaml_error("a: !foo [1]").line, 0);
  EXPECT_GT(yaml_error("!foo k: v").line, 0);
}

// ---------------------------------------------------------------------------------------------
// parse_yaml: structure

TEST(YamlParse, KubernetesManifest) {
  const json::value v = yaml(R"(# a comment
apiVersion: v1
kind: Pod
metadata:
  name: web   # trailing comment
  labels: {app: web, tier: "1"}
spec:
  containers:
  - name: app
    image: nginx:1.25
    args: ["--port=80", -v]
    ports:
      - containerPort: 80
        protocol: TCP
    env:
    - name: DEBUG
      value: "true"
  restartPolicy: Always
)");
  EXPECT_TRUE(same(v, json_text(R"({"apiVersion":"v1","kind":"Pod",
      "metadata":{"name":"web","labels":{"app":"web","tier":"1"}},
      "spec":{"containers":[{"name":"app","image":"nginx:1.25","args":["--port=80","-v"],
        "ports":[{"containerPort":80,"protocol":"TCP"}],
        "env":[{"name":"DEBUG","value":"true"}]}],
        "restartPolicy":"Always"}})")));
}

TEST(YamlParse, JsonIsYaml) {
  const std::string text =
      R"({"a": [1, 2.5, "x", true, null, {"b": "\u00e9\n"}], "c": {}, "d": -7, "e": "\/"})";
  EXPECT_TRUE(same(yaml(text), json_ok(text)));
}

TEST(YamlParse, KeysAreTheirText) {
  EXPECT_TRUE(
      same(yaml("1: a\n2.50: b\n0x10: c\non: d\ntrue: e\n\"q\": f\n'~': g\n"),
           json_text(R"({"1":"a","2.50":"b","0x10":"c","on":"d","true":"e","q":"f","~":"g"})")));
  EXPECT_TRUE(same(yaml(".inf: a"), json_text(R"({".inf":"a"})")));
  EXPECT_TRUE(same(yaml("? |\n  multi\n  line\n: v\n"), json_text(R"({"multi\nline\n":"v"})")));
}

TEST(YamlParse, NullKeysAreErrors) {
  EXPECT_EQ(yaml_error("a: 1\n~: 2").line, 2);
  EXPECT_GT(yaml_error("null: 2").line, 0);
  EXPECT_GT(yaml_error(": 2").line, 0);
  EXPECT_NE(yaml_error("a: 1\nnull: 2").message.find("quote"), std::string::npos);
  EXPECT_TRUE(same(yaml("\"null\": 2"), json_text(R"({"null":2})")));
}

TEST(YamlParse, LongImplicitKeysAreErrors) {
  const std::string key(1100, 'k');
  const ParseError block = yaml_error("a: 1\n" + key + ": 2\n");
  EXPECT_EQ(block.line, 2);
  EXPECT_NE(block.message.find("1024"), std::string::npos) << block.message;
  const ParseError flow = yaml_error("{\"a\": 1, \"" + key + "\": 2}");
  EXPECT_EQ(flow.column, 10);
  EXPECT_NE(flow.message.find("1024"), std::string::npos) << flow.message;
  // The explicit form has no limit, and parse_json none either.
  EXPECT_TRUE(same(yaml("? " + key + "\n: 2\n"), json::object{{key, 2}}));
  EXPECT_TRUE(same(json_ok("{\"" + key + "\": 2}"), json::object{{key, 2}}));
}

TEST(YamlParse, LoneDashIsASequenceEntry) {
  // As in go-yaml, `-` followed by a line break starts a sequence entry, which is not allowed here.
  EXPECT_EQ(yaml_error("a: 1\nv: -\n").line, 2);
  EXPECT_TRUE(same(yaml("v: '-'"), json_text(R"({"v":"-"})")));
}

TEST(YamlParse, CollectionKeysAreErrors) {
  EXPECT_NE(yaml_error("[a]: 1").message.find("scalars"), std::string::npos);
  EXPECT_GT(yaml_error("? {a: 1}\n: 1").line, 0);
  EXPECT_GT(yaml_error("x: &k [a]\ny:\n  *k : 1").line, 0);
}

TEST(YamlParse, DuplicateKeysAreErrors) {
  const ParseError error = yaml_error("a: 1\nb: 2\na: 3\n");
  EXPECT_EQ(error.line, 3);
  EXPECT_EQ(error.column, 1);
  EXPECT_NE(error.message.find("duplicate key \"a\""), std::string::npos) << error.message;
  EXPECT_NE(error.message.find("line 1"), std::string::npos) << error.message;

  const ParseError nested = yaml_error("spec:\n  x: 1\n  y: 2\n  x: 3\n");
  EXPECT_EQ(nested.line, 4);
  EXPECT_EQ(nested.column, 3);
  EXPECT_NE(nested.message.find("line 2"), std::string::npos) << nested.message;

  EXPECT_EQ(yaml_error("{a: 1, b: 2, a: 3}").column, 14);
  EXPECT_GT(yaml_error("a: 1\n\"a\": 2").line, 0);  // quoting does not make a different key
  EXPECT_GT(yaml_error("1: x\n'1': y").line, 0);
  // The same key in sibling mappings is fine.
  EXPECT_TRUE(same(yaml("- a: 1\n- a: 2\n"), json_text(R"([{"a":1},{"a":2}])")));
}

TEST(YamlParse, AnchorsAndAliases) {
  EXPECT_TRUE(same(yaml("base: &b {x: 1, y: [2]}\ncopy: *b\nlist: [*b, *b]\n"),
                   json_text(R"({"base":{"x":1,"y":[2]},"copy":{"x":1,"y":[2]},
                         "list":[{"x":1,"y":[2]},{"x":1,"y":[2]}]})")));
  EXPECT_TRUE(same(yaml("a: &n 5\nb: *n\nc: &s '5'\nd: *s\n"),
                   json_text(R"({"a":5,"b":5,"c":"5","d":"5"})")));
  EXPECT_TRUE(same(yaml("a: &k name\n*k : v\n"), json_text(R"({"a":"name","name":"v"})")));
  EXPECT_TRUE(same(yaml("a: &e\nb: *e\n"), json_text(R"({"a":null,"b":null})")));
  // Redefining an anchor later refers to the newer node from then on.
  EXPECT_TRUE(
      same(yaml("a: &x 1\nb: *x\nc: &x 2\nd: *x\n"), json_text(R"({"a":1,"b":1,"c":2,"d":2})")));
}

TEST(YamlParse, UnknownAliasIsAnError) {
  const ParseError error = yaml_error("a: 1\nb: *nope\n");
  EXPECT_EQ(error.line, 2);
}

TEST(YamlParse, RecursiveAliasIsAnError) {
  const ParseError error = yaml_error("a: &a\n  b: *a\n");
  EXPECT_EQ(error.line, 2);
  EXPECT_NE(error.message.find("*a"), std::string::npos) << error.message;
  EXPECT_GT(yaml_error("&x [1, [*x]]").line, 0);
}

TEST(YamlParse, MergeKeys) {
  EXPECT_TRUE(same(yaml(R"(base: &base {a: 1, b: 2}
other: &other {b: 20, c: 30}
one:
  <<: *base
  b: 3
many:
  <<: [*base, *other]
  d: 4
before:
  b: 5
  <<: *base
inline:
  <<: {z: 0}
)"),
                   json_text(R"({"base":{"a":1,"b":2},"other":{"b":20,"c":30},
                         "one":{"a":1,"b":3},
                         "many":{"a":1,"b":2,"c":30,"d":4},
                         "before":{"b":5,"a":1},
                         "inline":{"z":0}})")));
  // A quoted "<<" is an ordinary key.
  EXPECT_TRUE(same(yaml("\"<<\": {a: 1}"), json_text(R"({"<<":{"a":1}})")));
}

TEST(YamlParse, BadMergeKeysAreErrors) {
  EXPECT_NE(yaml_error("a:\n  <<: 1\n").message.find("merge"), std::string::npos);
  EXPECT_GT(yaml_error("a:\n  <<: [{x: 1}, 2]\n").line, 0);
  EXPECT_NE(yaml_error("b: &b {x: 1}\na:\n  <<: *b\n  <<: *b\n").message.find("duplicate"),
            std::string::npos);
  EXPECT_GT(yaml_error("a:\n  x: 1\n  x: 2\n  <<: {y: 1}\n").line, 0);
}

TEST(YamlParse, AliasBombIsStopped) {
  std::string text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'j'; ++c) {
    const char prev = static_cast<char>(c - 1);
    text += fmt::format("{0}: &{0} [*{1}, *{1}, *{1}, *{1}, *{1}, *{1}, *{1}, *{1}, *{1}, *{1}]\n",
                        c, prev);
  }
  const ParseError error = yaml_error(text);
  EXPECT_GT(error.line, 1);
  EXPECT_NE(error.message.find(std::to_string(kMaxYamlNodes)), std::string::npos) << error.message;
}

TEST(YamlParse, AliasOfHugeStringIsStopped) {
  const std::string big(4 << 20, 'x');
  std::string text = "a: &a " + big + "\nb: [";
  for (int i = 0; i < 20; ++i) text += "*a, ";
  text += "*a]\n";
  const ParseError error = yaml_error(text);
  EXPECT_EQ(error.line, 2);
  EXPECT_NE(error.message.find("MiB"), std::string::npos) << error.message;
}

TEST(YamlParse, ManyNodesWithoutAliasesAreFine) {
  std::string text = "[";
  for (int i = 0; i < 20000; ++i) text += "1,";
  text += "2]";
  EXPECT_EQ(yaml(text).as_array().size(), 20001u);
}

std::string nested_flow(std::size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

TEST(YamlParse, DepthLimit) {
  const std::size_t n = kMaxNestingDepth;
  json::value v = yaml(nested_flow(n));
  std::size_t depth = 0;
  for (const json::value* p = &v; p->is_array();
       p = p->as_array().empty() ? nullptr : &p->as_array()[0]) {
    ++depth;
    if (p->as_array().empty()) break;
  }
  EXPECT_EQ(depth, n);
  const ParseError error = yaml_error(nested_flow(n + 1));
  EXPECT_EQ(error.line, 1);
  EXPECT_EQ(error.column, static_cast<int>(n + 1));
  EXPECT_NE(error.message.find("256"), std::string::npos) << error.message;
}

TEST(YamlParse, DeepBlockNestingIsAnError) {
  std::string text;
  for (std::size_t i = 0; i <= kMaxNestingDepth; ++i) {
    text.append(i, ' ');
    text += "k:\n";
  }
  text.append(kMaxNestingDepth + 1, ' ');
  text += "v\n";
  const ParseError error = yaml_error(text);
  EXPECT_EQ(error.line, static_cast<int>(kMaxNestingDepth) + 1);  // where the 257th mapping starts
  EXPECT_NE(error.message.find("deeper"), std::string::npos) << error.message;
}

TEST(YamlParse, VeryDeepInputFailsWithoutCrashing) {
  EXPECT_GT(yaml_error(std::string(100'000, '[')).line, 0);
  EXPECT_GT(yaml_error(std::string(100'000, '{')).line, 0);
  std::string dashes;
  for (int i = 0; i < 5000; ++i) dashes += "- ";
  EXPECT_GT(yaml_error(dashes + "x").line, 0);
}

TEST(YamlParse, AliasesCannotExceedDepth) {
  const std::size_t half = kMaxNestingDepth / 2 + 1;
  const std::string text = "a: &a " + nested_flow(half) + "\nb: " + std::string(half, '[') + "*a" +
                           std::string(half, ']');
  const ParseError error = yaml_error(text);
  EXPECT_EQ(error.line, 2);
  EXPECT_NE(error.message.find("deeper"), std::string::npos) << error.message;
}

// ---------------------------------------------------------------------------------------------
// parse_yaml: streams

TEST(YamlParse, MultiDocumentStream) {
  auto docs = parse_yaml_documents(R"(---
# only a comment
---
a: 1
---
...
---
null
---
~
---
- b
--- # comment after the marker
c
...
)");
  ASSERT_TRUE(docs.has_value()) << docs.error().to_string();
  ASSERT_EQ(docs->size(), 3u);
  EXPECT_TRUE(same((*docs)[0], json_text(R"({"a":1})")));
  EXPECT_TRUE(same((*docs)[1], json_text(R"(["b"])")));
  EXPECT_TRUE(same((*docs)[2], json::value("c")));
}

TEST(YamlParse, EmptyStreams) {
  for (std::string_view text :
       {"", "\n", "# nothing\n", "---\n", "---\n...\n", "--- \n---\n# x\n"}) {
    auto docs = parse_yaml_documents(text);
    ASSERT_TRUE(docs.has_value()) << text;
    EXPECT_TRUE(docs->empty()) << text;
    EXPECT_TRUE(same(yaml(text), json::value())) << text;
  }
}

TEST(YamlParse, LeadingDocumentMarker) {
  EXPECT_TRUE(same(yaml("---\na: 1\n"), json_text(R"({"a":1})")));
  EXPECT_TRUE(same(yaml("--- a"), json::value("a")));
  EXPECT_TRUE(same(yaml("%YAML 1.2\n---\na: 1\n"), json_text(R"({"a":1})")));
  EXPECT_TRUE(same(yaml("a: 1\n---\n"), json_text(R"({"a":1})")));
  EXPECT_TRUE(same(yaml("---\n---\na: 1\n---\n"), json_text(R"({"a":1})")));
}

TEST(YamlParse, SingleDocumentExpected) {
  const ParseError error = yaml_error("a: 1\n---\nb: 2\n");
  EXPECT_EQ(error.line, 2);
  EXPECT_EQ(error.document, 1);
  EXPECT_NE(error.message.find("found 2"), std::string::npos) << error.message;
}

TEST(YamlParse, DocumentsAfterExplicitEnd) {
  auto docs = parse_yaml_documents("a: 1\n...\n# between\n\nb: 2\n");
  ASSERT_TRUE(docs.has_value()) << docs.error().to_string();
  EXPECT_EQ(docs->size(), 2u);
}

TEST(YamlParse, MisplacedTopLevelContentIsAnError) {
  // yaml-cpp would silently start a second document at `b: 1`; kubectl rejects this input.
  const ParseError error = yaml_error("- a\n# c\nb: 1\n");
  EXPECT_EQ(error.line, 3);
  EXPECT_EQ(error.column, 1);
  EXPECT_FALSE(parse_yaml_documents("\"a\"\n\"b\"\n").has_value());
  EXPECT_FALSE(parse_yaml_documents("a: 1\n---\n- x\ny: 2\n").has_value());
}

TEST(YamlParse, ErrorReportsDocumentIndex) {
  auto result = parse_yaml_documents("a: 1\n---\n# empty\n---\nb: 2\n---\nc: [\n");
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().document, 2);  // the third non-empty document
  EXPECT_EQ(result.error().line, 8);      // lines count from the start of the stream
}

// ---------------------------------------------------------------------------------------------
// parse_yaml: errors and text details

TEST(YamlParse, SyntaxErrorPositions) {
  const ParseError map_value = yaml_error("a: 1\nb: c: d\n");
  EXPECT_EQ(map_value.line, 2);
  EXPECT_EQ(map_value.column, 5);
  EXPECT_FALSE(map_value.message.empty());

  const ParseError indent = yaml_error("a:\n  b: 1\n c: 2\n");
  EXPECT_EQ(indent.line, 3);

  const ParseError quote = yaml_error("a: \"abc\nb: 1");
  EXPECT_EQ(quote.line, 2);

  const ParseError flow = yaml_error("a: [1, 2\nb: 1\n");
  EXPECT_GT(flow.line, 0);
}

TEST(YamlParse, ErrorToString) {
  EXPECT_EQ((ParseError{"boom", 3, 7}).to_string(), "line 3, column 7: boom");
  EXPECT_EQ((ParseError{"boom", 3, 0}).to_string(), "line 3: boom");
  EXPECT_EQ((ParseError{"boom"}).to_string(), "boom");
  EXPECT_EQ(yaml_error("a: 1\nb: c: d\n").to_string().rfind("line 2, column 5: ", 0), 0u);
}

TEST(YamlParse, CrlfInput) {
  const std::string lf = "a: 1\nb:\n  - x\n  - \"y\"\nc: |\n  l1\n  l2\nd: >-\n  f1\n  f2\n";
  std::string crlf;
  for (char c : lf) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  const json::value expected = json_text(R"({"a":1,"b":["x","y"],"c":"l1\nl2\n","d":"f1 f2"})");
  EXPECT_TRUE(same(yaml(lf), expected));
  EXPECT_TRUE(same(yaml(crlf), expected));
  EXPECT_EQ(yaml_error("a: 1\r\nb: c: d\r\n").line, 2);
}

TEST(YamlParse, Tabs) {
  EXPECT_TRUE(same(yaml("a: x\ty\n"), json_text(R"({"a":"x\ty"})")));
  EXPECT_TRUE(same(yaml("a:\t1\n"), json_text(R"({"a":1})")));
  EXPECT_TRUE(same(yaml("a: 1\t# comment\n"), json_text(R"({"a":1})")));
  EXPECT_TRUE(same(yaml("a: \"\\tq\"\n"), json_text(R"({"a":"\tq"})")));
  // Tabs cannot indent.
  EXPECT_EQ(yaml_error("a:\n\tb: 1\n").line, 2);
}

TEST(YamlParse, Unicode) {
  EXPECT_TRUE(same(yaml("名前: 値\nemoji: 😀\nescaped: \"\\u00e9\\U0001F600\\x41\"\n"),
                   json_text(R"({"名前":"値","emoji":"😀","escaped":"é😀A"})")));
  EXPECT_TRUE(same(yaml("\xEF\xBB\xBF"
                        "a: 1\n"),
                   json_text(R"({"a":1})")));
  auto docs = parse_yaml_documents(
      "\xEF\xBB\xBF"
      "a: 1\n---\nb: 2\n");
  ASSERT_TRUE(docs.has_value()) << docs.error().to_string();
  EXPECT_EQ(docs->size(), 2u);
}

TEST(YamlParse, FlowCollections) {
  EXPECT_TRUE(same(yaml("{a: [1, {b: c}], d: [], e: {}, 'f': \"g\"}"),
                   json_text(R"({"a":[1,{"b":"c"}],"d":[],"e":{},"f":"g"})")));
  EXPECT_TRUE(same(yaml("[a: 1, b]"), json_text(R"([{"a":1},"b"])")));
}

TEST(YamlParse, NeverThrows) {
  // A grab bag of malformed input; each must come back as an error or a value, never an exception.
  const std::string_view inputs[] = {"[",
                                     "]",
                                     "{",
                                     "}",
                                     "&",
                                     "*",
                                     "!",
                                     "|",
                                     ">",
                                     "%",
                                     "@",
                                     "`",
                                     "- - - -",
                                     "? ? ?",
                                     ": : :",
                                     "a: &",
                                     "a: *",
                                     "!!",
                                     "'",
                                     "\"\\",
                                     "\"\\x\"",
                                     "\"\\uZZZZ\"",
                                     "---\n...\n...",
                                     "\t",
                                     "a:\n- b\n-c",
                                     "&a &b c",
                                     "!a !b c",
                                     std::string_view("\0\0\0", 3),
                                     "\xff\xfe",
                                     "\xfe\xff\0a"};
  for (std::string_view input : inputs) {
    EXPECT_NO_THROW({
      auto one = parse_yaml(input);
      auto all = parse_yaml_documents(input);
      EXPECT_EQ(one.has_value() || !one.error().message.empty(), true);
      EXPECT_EQ(all.has_value() || !all.error().message.empty(), true);
    }) << input;
  }
}

// ---------------------------------------------------------------------------------------------
// to_yaml

TEST(YamlWrite, KubectlLayout) {
  const json::value v = json_text(R"({"apiVersion":"v1","kind":"Pod",
      "metadata":{"name":"web","labels":{"app":"web"},"annotations":{}},
      "spec":{"containers":[{"name":"a","image":"b","args":["--port=80","-v"],
                             "ports":[{"containerPort":80}],"env":[]},
                            {"name":"c","command":["sh","-c","echo hi\nexit 0\n"]}],
              "matrix":[[1,2],[],[{"x":null}]],"ratio":0.5,"on":true}})");
  EXPECT_EQ(to_yaml(v),
            "apiVersion: v1\n"
            "kind: Pod\n"
            "metadata:\n"
            "  name: web\n"
            "  labels:\n"
            "    app: web\n"
            "  annotations: {}\n"
            "spec:\n"
            "  containers:\n"
            "  - name: a\n"
            "    image: b\n"
            "    args:\n"
            "    - --port=80\n"
            "    - -v\n"
            "    ports:\n"
            "    - containerPort: 80\n"
            "    env: []\n"
            "  - name: c\n"
            "    command:\n"
            "    - sh\n"
            "    - -c\n"
            "    - |\n"
            "      echo hi\n"
            "      exit 0\n"
            "  matrix:\n"
            "  - - 1\n"
            "    - 2\n"
            "  - []\n"
            "  - - x: null\n"
            "  ratio: 0.5\n"
            "  \"on\": true\n");
}

TEST(YamlWrite, TopLevelValues) {
  EXPECT_EQ(to_yaml(json::value()), "null\n");
  EXPECT_EQ(to_yaml(json::object()), "{}\n");
  EXPECT_EQ(to_yaml(json::array()), "[]\n");
  EXPECT_EQ(to_yaml(json::value("x")), "x\n");
  EXPECT_EQ(to_yaml(json::value(true)), "true\n");
  EXPECT_EQ(to_yaml(json::value(0.25)), "0.25\n");
  EXPECT_EQ(to_yaml(json_text(R"(["a",{"b":1}])")), "- a\n- b: 1\n");
  EXPECT_EQ(to_yaml(json::value("a\nb")), "|-\n  a\n  b\n");
}

TEST(YamlWrite, Numbers) {
  EXPECT_EQ(to_yaml(json_text(
                R"({"a":1.0,"b":0.7,"c":1e21,"d":-0.0,"e":18446744073709551615,"f":1e-7})")),
            "a: 1\nb: 0.7\nc: 1e+21\nd: -0\ne: 18446744073709551615\nf: 1e-7\n");
  json::object o;
  o["inf"] = std::numeric_limits<double>::infinity();
  EXPECT_EQ(to_yaml(o), "inf: null\n");
}

TEST(YamlWrite, StringQuoting) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      // Plain.
      {"hello", "hello"},
      {"hello world", "hello world"},
      {"0.1.0", "0.1.0"},
      {"10.96.0.1", "10.96.0.1"},
      {"nginx:1.25", "nginx:1.25"},
      {"http://x/y?z#w", "http://x/y?z#w"},
      {"--port=80", "--port=80"},
      {"-v", "-v"},
      {"a-b", "a-b"},
      {"it's", "it's"},
      {"say \"hi\"", "say \"hi\""},
      {"a,b[0]{x}", "a,b[0]{x}"},
      {"100Mi", "100Mi"},
      {"é😀", "é😀"},
      {"nope", "nope"},
      {"<<x", "<<x"},
      // Would read as another type: double quotes, as go-yaml writes them.
      {"", R"("")"},
      {"1", R"("1")"},
      {"-1", R"("-1")"},
      {"1.5", R"("1.5")"},
      {"1e3", R"("1e3")"},
      {"1e400", R"("1e400")"},
      {".5", R"(".5")"},
      {"0x1F", R"("0x1F")"},
      {"0o17", R"("0o17")"},
      {"0b1", R"("0b1")"},
      {"0644", R"("0644")"},
      {"1_000", R"("1_000")"},
      {"true", R"("true")"},
      {"False", R"("False")"},
      {"yes", R"("yes")"},
      {"no", R"("no")"},
      {"on", R"("on")"},
      {"off", R"("off")"},
      {"y", R"("y")"},
      {"N", R"("N")"},
      {"null", R"("null")"},
      {"~", R"("~")"},
      {".inf", R"(".inf")"},
      {"-.Inf", R"("-.Inf")"},
      {".nan", R"(".nan")"},
      {"<<", R"("<<")"},
      {"=", R"("=")"},
      {"2024-01-01", R"("2024-01-01")"},
      {"2024-01-01T10:00:00Z", R"("2024-01-01T10:00:00Z")"},
      {"1:30", R"("1:30")"},
      {"-1:30:00.5", R"("-1:30:00.5")"},
      // YAML syntax in the way: single quotes.
      {"*", "'*'"},
      {"- x", "'- x'"},
      {"-", "'-'"},
      {"a: b", "'a: b'"},
      {"a:", "'a:'"},
      {"a #b", "'a #b'"},
      {" lead", "' lead'"},
      {"trail ", "'trail '"},
      {"tab\there", "'tab\there'"},
      {"'quoted'", "'''quoted'''"},
      {"\"dq\"", "'\"dq\"'"},
      {"---", "'---'"},
      {"--- x", "'--- x'"},
      {"...", "'...'"},
      {"? x", "'? x'"},
      {"?x", "'?x'"},
      {":x", "':x'"},
      {",x", "',x'"},
      {"[x", "'[x'"},
      {"]x", "']x'"},
      {"{x", "'{x'"},
      {"}x", "'}x'"},
      {"#x", "'#x'"},
      {"&x", "'&x'"},
      {"!x", "'!x'"},
      {"|x", "'|x'"},
      {">x", "'>x'"},
      {"%x", "'%x'"},
      {"@x", "'@x'"},
      {"`x", "'`x'"},
      // Needs escapes: double quotes.
      {"line\r\nbreak", R"("line\r\nbreak")"},
      {"bell\a", R"("bell\a")"},
      {std::string_view("nul\0", 4), R"("nul\0")"},
      {"esc\x1b", R"("esc\e")"},
      {"del\x7f", R"("del\x7F")"},
      {"nel\u0085", R"("nel\u0085")"},
      {"ls\u2028", R"("ls\u2028")"},
      {"bom\uFEFF", R"("bom\uFEFF")"},
      {"bad\xff", R"("bad\uFFFD")"},
      {"back\\slash\a", R"("back\\slash\a")"},
  };
  for (const auto& [text, expected] : cases) {
    json::object o;
    o["k"] = text;
    EXPECT_EQ(to_yaml(o), "k: " + std::string(expected) + "\n") << text;
  }
}

TEST(YamlWrite, KeyQuoting) {
  json::object o;
  o["plain"] = 1;
  o["1"] = 2;
  o["yes"] = 3;
  o["a: b"] = 4;
  o["<<"] = 5;
  o["multi\nline"] = 6;
  o[""] = 7;
  EXPECT_EQ(to_yaml(o),
            "plain: 1\n\"1\": 2\n\"yes\": 3\n'a: b': 4\n\"<<\": 5\n\"multi\\nline\": 6\n\"\": 7\n");
}

TEST(YamlWrite, LongKeysUseExplicitSyntax) {
  const std::string key(1500, 'k');
  json::object o;
  o[key] = json::array{1};
  o["short"] = json::object{{key, "v"}};
  const std::string text = to_yaml(o);
  EXPECT_EQ(text.rfind("? " + key + "\n:\n- 1\nshort:\n  ? " + key + "\n  : v\n", 0), 0u) << text;
  EXPECT_TRUE(same(yaml(text), o));
}

TEST(YamlWrite, BlockLiterals) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"a\nb", "k: |-\n  a\n  b\n"},
      {"a\nb\n", "k: |\n  a\n  b\n"},
      {"a\nb\n\n", "k: |+\n  a\n  b\n\n"},
      {"a\n\nb", "k: |-\n  a\n\n  b\n"},
      {"\n\na", "k: |-\n\n\n  a\n"},
      {"a\n  indented\n", "k: |\n  a\n    indented\n"},
      {"# not a comment\n- not a list\n", "k: |\n  # not a comment\n  - not a list\n"},
      {"x: y\n---\n", "k: |\n  x: y\n  ---\n"},
      {"tab\tinside\n", "k: |\n  tab\tinside\n"},
      // Not representable as a literal: double quotes.
      {"trailing \nspace", R"(k: "trailing \nspace")"
                           "\n"},
      {" leading\nspace", R"(k: " leading\nspace")"
                          "\n"},
      {"\n", R"(k: "\n")"
             "\n"},
      {"cr\r\nlf", R"(k: "cr\r\nlf")"
                   "\n"},
  };
  for (const auto& [text, expected] : cases) {
    json::object o;
    o["k"] = text;
    const std::string out = to_yaml(o);
    EXPECT_EQ(out, expected) << text;
    EXPECT_TRUE(same(yaml(out), o)) << out;
  }
}

TEST(YamlWrite, BlockLiteralIndentationFollowsNesting) {
  const json::value v = json_text(R"({"a":[{"script":"x\ny\n"},"p\nq"],"b":{"c":"m\nn"}})");
  const std::string expected =
      "a:\n"
      "- script: |\n"
      "    x\n"
      "    y\n"
      "- |-\n"
      "  p\n"
      "  q\n"
      "b:\n"
      "  c: |-\n"
      "    m\n"
      "    n\n";
  EXPECT_EQ(to_yaml(v), expected);
  EXPECT_TRUE(same(yaml(expected), v));
}

TEST(YamlWrite, Documents) {
  const std::vector<json::value> docs = {json_text(R"({"a":1})"), json_text(R"(["x"])"),
                                         json::value("s")};
  const std::string text = to_yaml_documents(docs);
  EXPECT_EQ(text, "a: 1\n---\n- x\n---\ns\n");
  auto back = parse_yaml_documents(text);
  ASSERT_TRUE(back.has_value()) << back.error().to_string();
  ASSERT_EQ(back->size(), 3u);
  for (std::size_t i = 0; i < docs.size(); ++i) EXPECT_TRUE(same((*back)[i], docs[i]));
  EXPECT_EQ(to_yaml_documents({}), "");
  EXPECT_EQ(to_yaml_documents({json_text("{}")}), "{}\n");
}

TEST(YamlWrite, StringsThatLookLikeDocumentMarkersRoundTrip) {
  const std::vector<json::value> docs = {json::value("---"), json::value("..."),
                                         json::value("a\n---\nb")};
  auto back = parse_yaml_documents(to_yaml_documents(docs));
  ASSERT_TRUE(back.has_value()) << back.error().to_string();
  ASSERT_EQ(back->size(), 3u);
  for (std::size_t i = 0; i < docs.size(); ++i) EXPECT_TRUE(same((*back)[i], docs[i]));
}

// ---------------------------------------------------------------------------------------------
// Round trips

// Strings designed to hit every quoting rule, combined at random.
class NastyStrings {
 public:
  explicit NastyStrings(std::mt19937& random) : random_(random) {}

  std::string next() {
    // Every few strings, lines of ordinary text: the material block literals are made of.
    if (std::uniform_int_distribution<int>(0, 5)(random_) == 0) {
      static const std::vector<std::string> kLines = {
          "",           "",      "text", "two words", "  indented", "# hash",   "- dash",
          "key: value", "\ttab", "---",  "...",       "é😀",         "'q' \"d\""};
      std::string out;
      const int n = std::uniform_int_distribution<int>(1, 5)(random_);
      for (int i = 0; i < n; ++i) {
        out += kLines[std::uniform_int_distribution<std::size_t>(0, kLines.size() - 1)(random_)];
        out += '\n';
      }
      if (std::uniform_int_distribution<int>(0, 2)(random_) == 0) out.pop_back();
      return out;
    }
    static const std::vector<std::string> kPieces = {"",
                                                     "a",
                                                     "Z",
                                                     "word",
                                                     " ",
                                                     "  ",
                                                     "\t",
                                                     "\n",
                                                     "\n\n",
                                                     "\r",
                                                     "\r\n",
                                                     ":",
                                                     ": ",
                                                     " :",
                                                     "#",
                                                     " #",
                                                     "# ",
                                                     "-",
                                                     "- ",
                                                     "--",
                                                     "---",
                                                     "...",
                                                     "?",
                                                     "? ",
                                                     ",",
                                                     "[",
                                                     "]",
                                                     "{",
                                                     "}",
                                                     "&",
                                                     "*",
                                                     "!",
                                                     "|",
                                                     ">",
                                                     "'",
                                                     "\"",
                                                     "''",
                                                     "%",
                                                     "@",
                                                     "`",
                                                     "\\",
                                                     "\\n",
                                                     "<<",
                                                     "=",
                                                     "~",
                                                     "null",
                                                     "Null",
                                                     "true",
                                                     "False",
                                                     "yes",
                                                     "No",
                                                     "on",
                                                     "OFF",
                                                     "y",
                                                     "n",
                                                     "0",
                                                     "1",
                                                     "-1",
                                                     "+1",
                                                     "0.5",
                                                     ".5",
                                                     "1.",
                                                     "1e3",
                                                     "1E-3",
                                                     "0x1F",
                                                     "0o17",
                                                     "0b1",
                                                     "0644",
                                                     "08",
                                                     "1_000",
                                                     ".inf",
                                                     "-.inf",
                                                     ".NaN",
                                                     "0.1.0",
                                                     "1:30",
                                                     "2024-01-01",
                                                     "2024-01-01T00:00:00Z",
                                                     "é",
                                                     "名前",
                                                     "😀",
                                                     "\u00a0",
                                                     "\u0085",
                                                     "\u2028",
                                                     "\u2029",
                                                     "\uFEFF",
                                                     "\uFFFF",
                                                     std::string("\0", 1),
                                                     "\x01",
                                                     "\x1b",
                                                     "\x7f",
                                                     "\u0080",
                                                     "\u009f",
                                                     "%YAML",
                                                     "!!str",
                                                     "&anchor",
                                                     "*alias",
                                                     "key: value",
                                                     "- item",
                                                     "|-",
                                                     ">+",
                                                     "\"quoted\"",
                                                     "'single'",
                                                     "a'b",
                                                     "a\"b",
                                                     "trailing ",
                                                     " leading",
                                                     "x\n  indented",
                                                     "tab\there",
                                                     "http://h:80/p?q#f",
                                                     "{a: 1}",
                                                     "[1, 2]",
                                                     "#!shebang",
                                                     "@at",
                                                     "\u3000"};
    std::uniform_int_distribution<int> count(0, 4);
    std::uniform_int_distribution<std::size_t> pick(0, kPieces.size() - 1);
    std::string out;
    const int n = count(random_);
    for (int i = 0; i < n; ++i) out += kPieces[pick(random_)];
    if (std::uniform_int_distribution<int>(0, 60)(random_) == 0) {
      out += std::string(std::uniform_int_distribution<int>(900, 1300)(random_), 'L');
    }
    return out;
  }

 private:
  std::mt19937& random_;
};

class ValueGenerator {
 public:
  explicit ValueGenerator(std::uint32_t seed) : random_(seed), strings_(random_) {}

  json::value value(int depth) {
    const int kind = std::uniform_int_distribution<int>(0, depth > 0 ? 9 : 6)(random_);
    switch (kind) {
      case 0:
        return nullptr;
      case 1:
        return std::uniform_int_distribution<int>(0, 1)(random_) == 1;
      case 2:
        return std::uniform_int_distribution<std::int64_t>(INT64_MIN, INT64_MAX)(random_) >>
               std::uniform_int_distribution<int>(0, 63)(random_);
      case 3:
        return std::uniform_int_distribution<std::uint64_t>(0, UINT64_MAX)(random_);
      case 4:
        return random_double();
      case 5:
      case 6:
        return json::string(strings_.next());
      case 7:
      case 8: {
        json::object o;
        const int n = std::uniform_int_distribution<int>(0, 4)(random_);
        for (int i = 0; i < n; ++i) o[strings_.next()] = value(depth - 1);
        return o;
      }
      default: {
        json::array a;
        const int n = std::uniform_int_distribution<int>(0, 4)(random_);
        for (int i = 0; i < n; ++i) a.push_back(value(depth - 1));
        return a;
      }
    }
  }

 private:
  double random_double() {
    switch (std::uniform_int_distribution<int>(0, 3)(random_)) {
      case 0: {
        double d = 0;
        std::uint64_t bits = std::uniform_int_distribution<std::uint64_t>(0, UINT64_MAX)(random_);
        std::memcpy(&d, &bits, sizeof d);
        return std::isfinite(d) ? d : 0.5;
      }
      case 1:
        return std::uniform_int_distribution<int>(-1000, 1000)(random_) / 8.0;
      case 2:
        return std::ldexp(1.0, std::uniform_int_distribution<int>(-1074, 1023)(random_));
      default:
        return std::uniform_real_distribution<double>(-1e6, 1e6)(random_);
    }
  }

  std::mt19937 random_;
  NastyStrings strings_;
};

TEST(YamlRoundTrip, GeneratedValues) {
  ValueGenerator generator(12345);
  // How often each writer rule fired, to make sure the generator exercises all of them.
  int explicit_keys = 0, literals = 0, single_quoted = 0, double_quoted = 0, escapes = 0;
  for (int i = 0; i < 3000; ++i) {
    const json::value v = generator.value(4);
    const json::value expected = normalized(v);
    const std::string text = to_yaml(v);
    explicit_keys += text.find("? ") != std::string::npos;
    literals += text.find(": |") != std::string::npos || text.find("- |") != std::string::npos;
    single_quoted += text.find(": '") != std::string::npos;
    double_quoted += text.find(": \"") != std::string::npos;
    escapes += text.find("\\u") != std::string::npos || text.find("\\x") != std::string::npos;
    auto back = parse_yaml(text);
    ASSERT_TRUE(back.has_value()) << "iteration " << i << "\n"
                                  << text << "\n-> " << back.error().to_string();
    ASSERT_TRUE(same(*back, expected) || (expected.is_null() && back->is_null()))
        << "iteration " << i << "\n"
        << text;
    // Writing is deterministic and stable under a round trip.
    ASSERT_EQ(to_yaml(*back), to_yaml(expected)) << "iteration " << i;
  }
  EXPECT_GT(explicit_keys, 10);
  EXPECT_GT(literals, 100);
  EXPECT_GT(single_quoted, 100);
  EXPECT_GT(double_quoted, 100);
  EXPECT_GT(escapes, 100);
}

TEST(YamlRoundTrip, GeneratedDocumentStreams) {
  ValueGenerator generator(777);
  for (int i = 0; i < 300; ++i) {
    std::vector<json::value> docs;
    const int n = 1 + i % 4;
    for (int k = 0; k < n; ++k) {
      json::value v = normalized(generator.value(3));
      if (!v.is_null()) docs.push_back(std::move(v));  // null documents are skipped on reading
    }
    const std::string text = to_yaml_documents(docs);
    auto back = parse_yaml_documents(text);
    ASSERT_TRUE(back.has_value()) << text << "\n-> " << back.error().to_string();
    ASSERT_EQ(back->size(), docs.size()) << text;
    for (std::size_t k = 0; k < docs.size(); ++k) ASSERT_TRUE(same((*back)[k], docs[k])) << text;
  }
}

// Length of the longest key as JSON text (escapes included), which is what YAML's limit on
// implicit keys applies to.
std::size_t longest_key(const json::value& v) {
  std::size_t longest = 0;
  if (v.is_array()) {
    for (const auto& e : v.get_array()) longest = std::max(longest, longest_key(e));
  }
  if (v.is_object()) {
    for (const auto& m : v.get_object()) {
      longest =
          std::max({longest, to_json(json::string(m.key()), false).size(), longest_key(m.value())});
    }
  }
  return longest;
}

TEST(JsonRoundTrip, GeneratedValues) {
  ValueGenerator generator(4242);
  int long_keys = 0;
  for (int i = 0; i < 3000; ++i) {
    const json::value v = generator.value(4);
    for (bool pretty : {false, true}) {
      const std::string text = to_json(v, pretty);
      auto back = parse_json(text);
      ASSERT_TRUE(back.has_value()) << text << "\n-> " << back.error().to_string();
      ASSERT_TRUE(same(*back, normalized(v))) << text;
      ASSERT_EQ(to_json(*back, pretty), text);
      // JSON is YAML: our YAML reader must agree with our JSON reader on our own JSON output,
      // except that YAML limits keys in `{"key": value}` to 1024 characters.
      auto as_yaml = parse_yaml(text);
      if (longest_key(v) > 1000 && !as_yaml.has_value()) {
        ASSERT_NE(as_yaml.error().message.find("1024"), std::string::npos)
            << as_yaml.error().message;
        ++long_keys;
        continue;
      }
      ASSERT_TRUE(as_yaml.has_value()) << text << "\n-> " << as_yaml.error().to_string();
      ASSERT_TRUE(same(*as_yaml, *back) || back->is_null()) << text;
    }
  }
  EXPECT_GT(long_keys, 0);
}

TEST(YamlRoundTrip, YamlToJsonToYamlToJson) {
  const std::string_view inputs[] = {
      R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web, version: "1.0"}
spec:
  replicas: 3
  template:
    spec:
      containers:
      - name: web
        image: nginx
        env:
        - {name: A, value: "yes"}
        - name: B
          value: '0644'
        command: [sh, -c, "echo hi\nexit 0\n"]
        resources:
          limits: {cpu: 500m, memory: 128Mi}
      volumes:
      - name: cfg
        configMap:
          defaultMode: 0644
)",
      "a: &x {b: [1, 2.5, -3e-7, 1e21]}\nc: *x\nd:\n  <<: *x\n  e: ~\n",
      "- |\n  literal\n   text\n- >\n  folded\n  text\n- \"tab\\tand\\u00e9\"\n- ''\n- 'it''s'\n",
      "keys:\n  1: one\n  on: two\n  0x10: three\n  \"multi\\nline\": four\n",
      "\"\": empty key\n? explicit\n: value\n",
  };
  for (std::string_view input : inputs) {
    const json::value first = yaml(input);
    const std::string json1 = to_json(first);
    const json::value via_json = json_ok(json1);
    const std::string yaml2 = to_yaml(via_json);
    const json::value second = yaml(yaml2);
    EXPECT_EQ(to_json(second), json1) << yaml2;
    EXPECT_EQ(to_yaml(second), yaml2);
  }
}

}  // namespace
}  // namespace lambda::common
