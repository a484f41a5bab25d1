#include "apiserver/structural_schema.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "common/json_yaml.h"

namespace lambda::apiserver {
namespace {

namespace json = boost::json;
using kube::StatusCause;

constexpr std::string_view kPrefix = "spec.versions[0].schema.openAPIV3Schema";

// The api layer's test helper reads project files the same way; it is not visible from here.
std::string read_project_file(std::string_view relative) {
  std::ifstream file(std::filesystem::path(LAMBDA_SOURCE_DIR) / relative, std::ios::binary);
  std::ostringstream buffer;
  buffer << file.rdbuf();
  return buffer.str();
}

json::value yaml(std::string_view text) {
  auto parsed = common::parse_yaml(text);
  if (!parsed) ADD_FAILURE() << "test YAML does not parse: " << parsed.error().to_string();
  return parsed ? *parsed : json::value();
}

std::string describe(const std::vector<StatusCause>& causes) {
  std::string out;
  for (const auto& c : causes) out += "\n  {" + c.type + ", " + c.field + ", " + c.message + "}";
  return out.empty() ? "\n  (none)" : out;
}

StatusCause cause(std::string_view type, std::string field, std::string message) {
  return StatusCause{std::string(type), std::move(message), std::move(field)};
}

// Compiles a schema the test expects to be valid (failing the test otherwise).
StructuralSchema schema(std::string_view text) {
  auto compiled = StructuralSchema::compile(yaml(text));
  if (!compiled) {
    ADD_FAILURE() << "schema does not compile:" << describe(compiled.error());
    return *StructuralSchema::compile(json::object{{"type", "object"}});
  }
  return *compiled;
}

std::vector<StatusCause> compile_errors(std::string_view text) {
  auto compiled = StructuralSchema::compile(yaml(text));
  if (compiled) return {};
  return compiled.error();
}

#define EXPECT_CAUSES(actual, ...)                                                             \
  do {                                                                                         \
    const std::vector<StatusCause> expected_causes{__VA_ARGS__};                               \
    const auto actual_causes = (actual);                                                       \
    EXPECT_EQ(actual_causes, expected_causes)                                                  \
        << "actual:" << describe(actual_causes) << "\nexpected:" << describe(expected_causes); \
  } while (false)

// A CR-shaped schema whose spec holds the properties given, indented for `spec.properties`.
std::string spec_schema(std::string_view properties, std::string_view spec_extra = "") {
  return "type: object\n"
         "properties:\n"
         "  apiVersion: {type: string}\n"
         "  kind: {type: string}\n"
         "  metadata: {type: object}\n"
         "  spec:\n"
         "    type: object\n" +
         std::string(spec_extra) + "    properties:\n" + std::string(properties);
}

std::vector<StatusCause> validate_spec(std::string_view properties, std::string_view spec_yaml,
                                       std::string_view spec_extra = "") {
  const auto s = schema(spec_schema(properties, spec_extra));
  json::object object{{"spec", yaml(spec_yaml)}};
  return s.validate(object);
}

// ---------------------------------------------------------------------------------------------
// Go formatting.
// ---------------------------------------------------------------------------------------------

TEST(GoFormat, FloatsPrintLikePercentVWithExponentFromAMillion) {
  EXPECT_EQ(go::format_float(0.7), "0.7");
  EXPECT_EQ(go::format_float(2), "2");
  EXPECT_EQ(go::format_float(-1.5), "-1.5");
  EXPECT_EQ(go::format_float(123456), "123456");
  EXPECT_EQ(go::format_float(1e6), "1e+06");
  EXPECT_EQ(go::format_float(1234567), "1.234567e+06");
  EXPECT_EQ(go::format_float(0.0001), "0.0001");
  EXPECT_EQ(go::format_float(0.00001), "1e-05");
  EXPECT_EQ(go::format_float(1e100), "1e+100");
}

TEST(GoFormat, QuoteEscapesLikeStrconvQuote) {
  EXPECT_EQ(go::quote("a\"b\\c\n"), R"("a\"b\\c\n")");
  EXPECT_EQ(go::quote("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
  EXPECT_EQ(go::quote("\x01\x7f"), R"("\x01\x7f")");
  EXPECT_EQ(go::quote("\xff"), R"("\xff")");
  EXPECT_EQ(go::quote("\xc2\xa0"), R"("\u00a0")");
}

TEST(GoFormat, MarshalSortsKeysAndEscapesHtml) {
  EXPECT_EQ(go::marshal(yaml("{b: 1, a: '<&>', c: [1.5, true, null]}")),
            R"({"a":"\u003c\u0026\u003e","b":1,"c":[1.5,true,null]})");
}

TEST(GoFormat, ValuesPrintAsFieldErrorBodiesDo) {
  EXPECT_EQ(go::format_value(json::value(5)), "5");
  EXPECT_EQ(go::format_value(json::value(0.5)), "0.5");
  EXPECT_EQ(go::format_value(json::value(true)), "true");
  EXPECT_EQ(go::format_value(json::value("x")), "\"x\"");
  EXPECT_EQ(go::format_value(json::value()), "null");
  EXPECT_EQ(go::format_value(yaml("{name: a}")), R"({"name":"a"})");
}

// ---------------------------------------------------------------------------------------------
// compile(): the CRD-side checks.
// ---------------------------------------------------------------------------------------------

TEST(StructuralSchemaCompile, RejectsAnObjectFieldWithoutType) {
  EXPECT_CAUSES(compile_errors(R"(
type: object
properties:
  spec:
    properties:
      replicas: {type: integer}
)"),
                cause(kube::cause::kFieldValueRequired,
                      "spec.versions[0].schema.openAPIV3Schema.properties[spec].type",
                      "Required value: must not be empty for specified object fields"));
}

TEST(StructuralSchemaCompile, RejectsItemsAndRootWithoutType) {
  EXPECT_CAUSES(
      compile_errors(R"(
properties:
  list:
    type: array
    items: {}
)"),
      cause(kube::cause::kFieldValueRequired, std::string(kPrefix) + ".properties[list].items.type",
            "Required value: must not be empty for specified array items"),
      cause(kube::cause::kFieldValueRequired, std::string(kPrefix) + ".type",
            "Required value: must not be empty at the root"));
}

TEST(StructuralSchemaCompile, AcceptsMissingTypeUnderPreserveUnknownFieldsAndIntOrString) {
  EXPECT_CAUSES(compile_errors(R"(
type: object
properties:
  anything: {x-kubernetes-preserve-unknown-fields: true}
  port: {x-kubernetes-int-or-string: true}
)"));
}

TEST(StructuralSchemaCompile, RejectsPropertiesTogetherWithAdditionalProperties) {
  EXPECT_CAUSES(compile_errors(R"(
type: object
properties:
  spec:
    type: object
    properties:
      a: {type: string}
    additionalProperties: {type: string}
)"),
                cause(kube::cause::kFieldValueForbidden,
                      std::string(kPrefix) + ".properties[spec].additionalProperties",
                      "Forbidden: additionalProperties and properties are mutual exclusive"));
}

TEST(StructuralSchemaCompile, RejectsUnknownTypeNames) {
  EXPECT_CAUSES(
      compile_errors(R"(
type: object
properties:
  a: {type: strin}
)"),
      cause(
          kube::cause::kFieldValueNotSupported, std::string(kPrefix) + ".properties[a].type",
          R"(Unsupported value: "strin": supported values: "array", "boolean", "integer", "number", "object", "string")"));
}

TEST(StructuralSchemaCompile, RejectsArraysWithoutItemsAndNonObjectRoots) {
  EXPECT_CAUSES(compile_errors("type: array\n"),
                cause(kube::cause::kFieldValueRequired, std::string(kPrefix) + ".items",
                      "Required value: must be specified"),
                cause(kube::cause::kFieldValueInvalid, std::string(kPrefix) + ".type",
                      R"(Invalid value: "array": must be object at the root)"));
}

TEST(StructuralSchemaCompile, RejectsUnsupportedKeywords) {
  EXPECT_CAUSES(
      compile_errors(R"(
type: object
properties:
  a:
    type: array
    uniqueItems: true
    items: {type: string}
  b:
    $ref: '#/definitions/x'
)"),
      cause(kube::cause::kFieldValueForbidden, std::string(kPrefix) + ".properties[a].uniqueItems",
            "Forbidden: uniqueItems cannot be set to true since the runtime complexity "
            "becomes quadratic"),
      cause(kube::cause::kFieldValueForbidden, std::string(kPrefix) + ".properties[b].$ref",
            "Forbidden: $ref is not supported"),
      cause(kube::cause::kFieldValueRequired, std::string(kPrefix) + ".properties[b].type",
            "Required value: must not be empty for specified object fields"));
}

TEST(StructuralSchemaCompile, RejectsValueValidationThatIsNotStructural) {
  EXPECT_CAUSES(compile_errors(R"(
type: object
properties:
  a:
    type: object
    anyOf:
    - type: object
      properties:
        b: {description: nested}
)"),
                cause(kube::cause::kFieldValueForbidden,
                      std::string(kPrefix) + ".properties[a].anyOf[0].properties[b].description",
                      "Forbidden: must be empty to be structural"),
                cause(kube::cause::kFieldValueForbidden,
                      std::string(kPrefix) + ".properties[a].anyOf[0].type",
                      "Forbidden: must be empty to be structural"));
}

TEST(StructuralSchemaCompile, RejectsValueValidationOfUndeclaredFieldsAtTheRoot) {
  EXPECT_CAUSES(compile_errors(R"(
type: object
properties:
  a: {type: string}
oneOf:
- required: [a]
- properties:
    b: {minLength: 1}
)"),
                cause(kube::cause::kFieldValueRequired, std::string(kPrefix) + ".properties[b]",
                      "Required value: because it is defined in " + std::string(kPrefix) +
                          ".oneOf[1].properties[b]"));
}

TEST(StructuralSchemaCompile, AcceptsTheIntOrStringAnyOfShape) {
  EXPECT_CAUSES(compile_errors(R"(
type: object
properties:
  q:
    anyOf:
    - type: integer
    - type: string
    x-kubernetes-int-or-string: true
)"));
}

TEST(StructuralSchemaCompile, RejectsPatternsThatDoNotCompile) {
  EXPECT_CAUSES(
      compile_errors(R"(
type: object
properties:
  a: {type: string, pattern: '(a'}
  b: {type: string, pattern: '(?=x)'}
  c: {type: string, pattern: 'a{1001}'}
)"),
      cause(kube::cause::kFieldValueInvalid, std::string(kPrefix) + ".properties[a].pattern",
            "Invalid value: \"(a\": must be a valid regular expression, but isn't: error "
            "parsing regexp: missing closing ): `(a`"),
      cause(kube::cause::kFieldValueInvalid, std::string(kPrefix) + ".properties[b].pattern",
            "Invalid value: \"(?=x)\": must be a valid regular expression, but isn't: "
            "error parsing regexp: invalid or unsupported Perl syntax: `(?=`"),
      cause(kube::cause::kFieldValueInvalid, std::string(kPrefix) + ".properties[c].pattern",
            "Invalid value: \"a{1001}\": must be a valid regular expression, but isn't: "
            "error parsing regexp: invalid repeat count: `{1001}`"));
}

TEST(StructuralSchemaCompile, RejectsSchemasNestedDeeperThanTheCap) {
  std::string text = "type: object\n";
  std::string indent;
  for (std::size_t i = 0; i < kMaxSchemaDepth + 5; ++i) {
    text += indent + "properties:\n" + indent + "  a:\n" + indent + "    type: object\n";
    indent += "    ";
  }
  const auto errors = compile_errors(text);
  ASSERT_EQ(errors.size(), 1u) << describe(errors);
  EXPECT_EQ(errors[0].type, kube::cause::kFieldValueForbidden);
  EXPECT_EQ(errors[0].message, "Forbidden: must not be nested more than 64 levels deep");
}

TEST(StructuralSchemaCompile, RejectsListMapsWhoseKeysMayBeMissing) {
  EXPECT_CAUSES(
      compile_errors(R"(
type: object
properties:
  ports:
    type: array
    x-kubernetes-list-type: map
    x-kubernetes-list-map-keys: [name, port]
    items:
      type: object
      required: [name]
      properties:
        name: {type: string}
)"),
      cause(kube::cause::kFieldValueInvalid,
            std::string(kPrefix) + ".properties[ports].x-kubernetes-list-map-keys",
            R"(Invalid value: ["name","port"]: entries must all be names of item properties)"));
  EXPECT_CAUSES(compile_errors(R"(
type: object
properties:
  ports:
    type: array
    x-kubernetes-list-type: map
    x-kubernetes-list-map-keys: [name]
    items:
      type: object
      properties:
        name: {type: string}
)"),
                cause(kube::cause::kFieldValueRequired,
                      std::string(kPrefix) + ".properties[ports].items.properties[name].default",
                      "Required value: this property is in x-kubernetes-list-map-keys, so it must "
                      "have a default or be a required property"));
}

TEST(StructuralSchemaCompile, RejectsDefaultsThatDoNotValidateOrAreNotPruned) {
  EXPECT_CAUSES(
      compile_errors(R"(
type: object
properties:
  replicas: {type: integer, default: three}
  spec:
    type: object
    properties:
      a: {type: string}
    default: {a: x, b: z}
)"),
      cause(kube::cause::kFieldValueTypeInvalid,
            std::string(kPrefix) + ".properties[replicas].default",
            // kube-openapi names the default's root "", hence the two spaces.
            R"(Invalid value: "string":  in body must be of type integer: "string")"),
      cause(kube::cause::kFieldValueInvalid, std::string(kPrefix) + ".properties[spec].default",
            R"(Invalid value: {"a":"x","b":"z"}: must not have unknown fields)"));
}

TEST(StructuralSchemaCompile, RejectsMetadataSchemasBeyondNameAndDefaultsInIt) {
  EXPECT_CAUSES(
      compile_errors(R"(
type: object
properties:
  metadata:
    type: object
    properties:
      labels: {type: object, default: {}}
)"),
      cause(kube::cause::kFieldValueForbidden,
            std::string(kPrefix) + ".properties[metadata].properties[labels].default",
            "Forbidden: must not be set in top-level metadata"),
      cause(kube::cause::kFieldValueForbidden, std::string(kPrefix) + ".properties[metadata]",
            "Forbidden: must not specify anything other than name and generateName, but "
            "metadata is implicitly specified"));
}

TEST(StructuralSchemaCompile, ReportsKeywordsOfTheWrongJsonTypeAndUsesTheGivenPrefix) {
  auto compiled = StructuralSchema::compile(
      yaml("{type: object, properties: {a: {type: string, maxLength: x}}}"),
      "spec.versions[2].schema.openAPIV3Schema");
  ASSERT_FALSE(compiled);
  EXPECT_CAUSES(compiled.error(),
                cause(kube::cause::kFieldValueTypeInvalid,
                      "spec.versions[2].schema.openAPIV3Schema.properties[a].maxLength",
                      R"(Invalid value: "x": must be an integer)"));
}

TEST(StructuralSchemaCompile, RefusesMalformedSchemasWithCausesInsteadOfFailing) {
  for (const char* text :
       {"null", "5", "[]", "{type: object, properties: []}", "{type: object, properties: {a: 5}}",
        "{type: object, items: 5}", "{type: array, items: [{type: string}]}",
        "{type: object, additionalProperties: 5}", "{type: object, required: [1]}",
        "{type: object, enum: 5}", "{type: object, allOf: {}}",
        "{type: object, properties: {a: {type: [string, 'null']}}}",
        "{type: object, x-kubernetes-list-type: set}"}) {
    const auto errors = compile_errors(text);
    EXPECT_FALSE(errors.empty()) << text;
    for (const auto& e : errors) {
      EXPECT_FALSE(e.type.empty()) << text;
      EXPECT_FALSE(e.message.empty()) << text;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// validate(): messages as kube-apiserver returns them for custom resources.
// ---------------------------------------------------------------------------------------------

TEST(StructuralSchemaValidate, BoundsReportTheBoundAsGoPrintsIt) {
  EXPECT_CAUSES(validate_spec("      replicas: {type: integer, maximum: 3}\n", "{replicas: 5}"),
                cause(kube::cause::kFieldValueInvalid, "spec.replicas",
                      "Invalid value: 5: spec.replicas in body should be less than or equal to 3"));
  EXPECT_CAUSES(
      validate_spec("      n: {type: integer, minimum: 0, exclusiveMinimum: true}\n", "{n: 0}"),
      cause(kube::cause::kFieldValueInvalid, "spec.n",
            "Invalid value: 0: spec.n in body should be greater than 0"));
  EXPECT_CAUSES(
      validate_spec("      t: {type: number, minimum: 0, maximum: 1000000}\n", "{t: -0.5}"),
      cause(kube::cause::kFieldValueInvalid, "spec.t",
            "Invalid value: -0.5: spec.t in body should be greater than or equal to 0"));
  EXPECT_CAUSES(validate_spec("      t: {type: number, maximum: 1000000}\n", "{t: 1000000.5}"),
                cause(kube::cause::kFieldValueInvalid, "spec.t",
                      "Invalid value: 1.0000005e+06: spec.t in body should be less than or equal "
                      "to 1e+06"));
  EXPECT_CAUSES(
      validate_spec("      t: {type: number, exclusiveMaximum: true, maximum: 2}\n", "{t: 2}"),
      cause(kube::cause::kFieldValueInvalid, "spec.t",
            "Invalid value: 2: spec.t in body should be less than 2"));
}

TEST(StructuralSchemaValidate, MultipleOfUsesIntegerOrFloatArithmeticLikeKubeOpenApi) {
  EXPECT_CAUSES(validate_spec("      n: {type: integer, multipleOf: 5}\n", "{n: 7}"),
                cause(kube::cause::kFieldValueInvalid, "spec.n",
                      "Invalid value: 7: spec.n in body should be a multiple of 5"));
  EXPECT_CAUSES(validate_spec("      x: {type: number, multipleOf: 0.25}\n", "{x: 0.3}"),
                cause(kube::cause::kFieldValueInvalid, "spec.x",
                      "Invalid value: 0.3: spec.x in body should be a multiple of 0.25"));
  EXPECT_CAUSES(validate_spec("      x: {type: number, multipleOf: 0.25}\n", "{x: 0.75}"));
}

TEST(StructuralSchemaValidate, WrongTypesAreTypeInvalidNamingTheJsonType) {
  EXPECT_CAUSES(
      validate_spec("      replicas: {type: integer}\n", "{replicas: '3'}"),
      cause(kube::cause::kFieldValueTypeInvalid, "spec.replicas",
            R"(Invalid value: "string": spec.replicas in body must be of type integer: "string")"));
  EXPECT_CAUSES(
      validate_spec("      replicas: {type: integer}\n", "{replicas: 3.5}"),
      cause(kube::cause::kFieldValueTypeInvalid, "spec.replicas",
            R"(Invalid value: "number": spec.replicas in body must be of type integer: "number")"));
  EXPECT_CAUSES(validate_spec("      replicas: {type: integer}\n", "{replicas: 3.0}"));
  EXPECT_CAUSES(
      validate_spec("      on: {type: boolean}\n", "{on: [true]}"),
      cause(kube::cause::kFieldValueTypeInvalid, "spec.on",
            R"(Invalid value: "array": spec.on in body must be of type boolean: "array")"));
}

TEST(StructuralSchemaValidate, NullIsATypeErrorUnlessNullable) {
  EXPECT_CAUSES(validate_spec("      a: {type: string}\n      b: {type: string, nullable: true}\n",
                              "{a: null, b: null}"),
                cause(kube::cause::kFieldValueTypeInvalid, "spec.a",
                      R"(Invalid value: "null": spec.a in body must be of type string: "null")"));
}

TEST(StructuralSchemaValidate, EnumViolationsListTheSupportedValues) {
  EXPECT_CAUSES(validate_spec("      mode: {type: string, enum: [a, b]}\n", "{mode: x}"),
                cause(kube::cause::kFieldValueNotSupported, "spec.mode",
                      R"(Unsupported value: "x": supported values: "a", "b")"));
  EXPECT_CAUSES(validate_spec("      n: {type: integer, enum: [1, 2]}\n", "{n: 3}"),
                cause(kube::cause::kFieldValueNotSupported, "spec.n",
                      R"(Unsupported value: 3: supported values: "1", "2")"));
}

TEST(StructuralSchemaValidate, MissingRequiredFieldsAreRequiredValues) {
  const auto s = schema(spec_schema("      name: {type: string}\n", "    required: [name]\n") +
                        "required: [spec]\n");
  EXPECT_CAUSES(s.validate(yaml("{spec: {}}")),
                cause(kube::cause::kFieldValueRequired, "spec.name", "Required value"));
  EXPECT_CAUSES(s.validate(yaml("{kind: X}")),
                cause(kube::cause::kFieldValueRequired, "spec", "Required value"));
}

TEST(StructuralSchemaValidate, StringLengthCountsCharactersAndPatternsMatchAnywhere) {
  const std::string props =
      "      name: {type: string, minLength: 3, maxLength: 3, pattern: '[a-z]'}\n";
  EXPECT_CAUSES(validate_spec(props, "{name: abcd}"),
                cause(kube::cause::kFieldValueTooLong, "spec.name",
                      "Too long: may not be more than 3 bytes"));
  EXPECT_CAUSES(validate_spec(props, "{name: ab}"),
                cause(kube::cause::kFieldValueInvalid, "spec.name",
                      R"(Invalid value: "ab": spec.name in body should be at least 3 chars long)"));
  EXPECT_CAUSES(validate_spec(props, "{name: \"h\xc3\xa9\xc3\xa9\"}"));
  EXPECT_CAUSES(validate_spec(props, "{name: \"ABC\"}"),
                cause(kube::cause::kFieldValueInvalid, "spec.name",
                      R"(Invalid value: "ABC": spec.name in body should match '[a-z]')"));
  EXPECT_CAUSES(
      validate_spec("      one: {type: string, maxLength: 1}\n", "{one: ab}"),
      cause(kube::cause::kFieldValueTooLong, "spec.one", "Too long: may not be more than 1 byte"));
}

TEST(StructuralSchemaValidate, PatternsFollowGoSyntaxWhereItDiffers) {
  const std::string props =
      "      a: {type: string, pattern: '(?i)^abc\\z'}\n"
      "      b: {type: string, pattern: '^\\Qa.b\\E$'}\n"
      "      c: {type: string, pattern: '^[]a]+$'}\n"
      "      d: {type: string, pattern: '^(?i)(abort|warn)?$'}\n";
  EXPECT_CAUSES(validate_spec(props, "{a: ABC, b: a.b, c: ']a]', d: Warn}"));
  EXPECT_CAUSES(
      validate_spec(props, "{d: warning}"),
      cause(kube::cause::kFieldValueInvalid, "spec.d",
            R"(Invalid value: "warning": spec.d in body should match '^(?i)(abort|warn)?$')"));
  EXPECT_CAUSES(validate_spec(props, "{b: axb}"),
                cause(kube::cause::kFieldValueInvalid, "spec.b",
                      R"(Invalid value: "axb": spec.b in body should match '^\Qa.b\E$')"));
}

TEST(StructuralSchemaValidate, PatternMatchingStaysLinearOnPathologicalInput) {
  // Backtracking would take exponential time on the first and quadratic time on the second.
  const auto s =
      schema(spec_schema("      a: {type: string, pattern: '^(a+)+$'}\n"
                         "      b: {type: string, pattern: '(a|b)*c'}\n"));
  const std::string input(kMaxPatternSubjectBytes - 1, 'a');
  json::object spec{{"a", input + "b"}, {"b", input}};
  const auto started = std::chrono::steady_clock::now();
  const auto causes = s.validate(json::object{{"spec", spec}});
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(20));
  ASSERT_EQ(causes.size(), 2u) << describe(causes);
  EXPECT_EQ(causes[0].field, "spec.a");
  EXPECT_EQ(causes[1].field, "spec.b");
}

TEST(StructuralSchemaCompile, RejectsPatternsLongerThanTheCap) {
  const std::string pattern(kMaxPatternBytes + 1, 'a');
  auto compiled = StructuralSchema::compile(json::object{
      {"type", "object"},
      {"properties", json::object{{"a", json::object{{"type", "string"}, {"pattern", pattern}}}}}});
  ASSERT_FALSE(compiled);
  EXPECT_CAUSES(
      compiled.error(),
      cause(kube::cause::kFieldValueInvalid, std::string(kPrefix) + ".properties[a].pattern",
            "Invalid value: \"" + pattern +
                "\": must be a valid regular expression, but isn't: error parsing regexp: "
                "expression too large: `" +
                pattern.substr(0, 32) + "`"));
}

TEST(StructuralSchemaValidate, StringsTooLongToMatchAPatternAreRefused) {
  const auto s = schema(spec_schema("      a: {type: string, pattern: '^a+$'}\n"));
  json::object spec{{"a", std::string(kMaxPatternSubjectBytes + 1, 'a')}};
  const auto causes = s.validate(json::object{{"spec", spec}});
  ASSERT_EQ(causes.size(), 1u);
  EXPECT_EQ(causes[0].type, kube::cause::kFieldValueInvalid);
  EXPECT_NE(causes[0].message.find("spec.a in body is too long to be matched against '^a+$'"),
            std::string::npos);
}

TEST(StructuralSchemaValidate, ItemAndPropertyCountsUseTooManyAndInvalid) {
  const std::string props =
      "      list: {type: array, items: {type: integer}, minItems: 2, maxItems: 2}\n"
      "      labels: {type: object, additionalProperties: {type: string}, minProperties: 1, "
      "maxProperties: 2}\n";
  EXPECT_CAUSES(
      validate_spec(props, "{list: [1, 2, 3], labels: {a: x, b: y, c: z}}"),
      cause(kube::cause::kFieldValueTooMany, "spec.list", "Too many: 3: must have at most 2 items"),
      cause(kube::cause::kFieldValueTooMany, "spec.labels",
            "Too many: 3: must have at most 2 items"));
  EXPECT_CAUSES(validate_spec(props, "{list: [1], labels: {}}"),
                cause(kube::cause::kFieldValueInvalid, "spec.list",
                      "Invalid value: 1: spec.list in body should have at least 2 items"),
                cause(kube::cause::kFieldValueInvalid, "spec.labels",
                      "Invalid value: 0: spec.labels in body should have at least 1 properties"));
}

TEST(StructuralSchemaValidate, NestedPathsUseDotsForKeysAndBracketsForIndices) {
  const std::string props =
      "      items:\n"
      "        type: array\n"
      "        items:\n"
      "          type: object\n"
      "          properties:\n"
      "            port: {type: integer, maximum: 10}\n"
      "      env: {type: object, additionalProperties: {type: string}}\n";
  EXPECT_CAUSES(
      validate_spec(props, "{items: [{port: 1}, {port: 11}], env: {HOME: 1}}"),
      cause(kube::cause::kFieldValueInvalid, "spec.items[1].port",
            "Invalid value: 11: spec.items[1].port in body should be less than or equal to 10"),
      cause(
          kube::cause::kFieldValueTypeInvalid, "spec.env.HOME",
          R"(Invalid value: "integer": spec.env.HOME in body must be of type string: "integer")"));
}

TEST(StructuralSchemaValidate, FormatsAreCheckedAndInt32IsNotRangeChecked) {
  const std::string props =
      "      at: {type: string, format: date-time}\n"
      "      day: {type: string, format: date}\n"
      "      data: {type: string, format: byte}\n"
      "      id: {type: string, format: uuid}\n"
      "      host: {type: string, format: hostname}\n"
      "      v4: {type: string, format: ipv4}\n"
      "      v6: {type: string, format: ipv6}\n"
      "      mail: {type: string, format: email}\n"
      "      n: {type: integer, format: int32}\n"
      "      other: {type: string, format: no-such-format}\n";
  EXPECT_CAUSES(validate_spec(props, R"({at: "2024-02-29T10:00:00.5+01:00", day: "2024-02-29",
      data: "aGVsbG8=", id: "123e4567-e89b-12d3-a456-426614174000", host: "api.example.com",
      v4: "10.0.0.1", v6: "fe80::1", mail: "Ops <ops@example.com>", n: 3000000000, other: "x"})"));
  EXPECT_CAUSES(
      validate_spec(props, R"({at: yesterday, day: "2023-02-29", data: "abc", id: "123",
          host: "-bad", v4: "10.0.0.01", v6: "1::2::3", mail: "nobody"})"),
      cause(
          kube::cause::kFieldValueTypeInvalid, "spec.at",
          R"(Invalid value: "yesterday": spec.at in body must be of type date-time: "yesterday")"),
      cause(kube::cause::kFieldValueTypeInvalid, "spec.day",
            R"(Invalid value: "2023-02-29": spec.day in body must be of type date: "2023-02-29")"),
      cause(kube::cause::kFieldValueTypeInvalid, "spec.data",
            R"(Invalid value: "abc": spec.data in body must be of type byte: "abc")"),
      cause(kube::cause::kFieldValueTypeInvalid, "spec.id",
            R"(Invalid value: "123": spec.id in body must be of type uuid: "123")"),
      cause(kube::cause::kFieldValueTypeInvalid, "spec.host",
            R"(Invalid value: "-bad": spec.host in body must be of type hostname: "-bad")"),
      cause(kube::cause::kFieldValueTypeInvalid, "spec.v4",
            R"(Invalid value: "10.0.0.01": spec.v4 in body must be of type ipv4: "10.0.0.01")"),
      cause(kube::cause::kFieldValueTypeInvalid, "spec.v6",
            R"(Invalid value: "1::2::3": spec.v6 in body must be of type ipv6: "1::2::3")"),
      cause(kube::cause::kFieldValueTypeInvalid, "spec.mail",
            R"(Invalid value: "nobody": spec.mail in body must be of type email: "nobody")"));
}

TEST(StructuralSchemaValidate, IntOrStringReportsTheTypeAndTheFailedAnyOf) {
  const std::string props =
      "      q:\n"
      "        anyOf: [{type: integer}, {type: string}]\n"
      "        pattern: '^[0-9]+m?$'\n"
      "        x-kubernetes-int-or-string: true\n";
  EXPECT_CAUSES(validate_spec(props, "{q: 5}"));
  EXPECT_CAUSES(validate_spec(props, "{q: 100m}"));
  EXPECT_CAUSES(validate_spec(props, "{q: 1x}"),
                cause(kube::cause::kFieldValueInvalid, "spec.q",
                      R"(Invalid value: "1x": spec.q in body should match '^[0-9]+m?$')"));
  EXPECT_CAUSES(
      validate_spec(props, "{q: true}"),
      cause(
          kube::cause::kFieldValueTypeInvalid, "spec.q",
          R"(Invalid value: "boolean": spec.q in body must be of type integer,string: "boolean")"),
      cause(kube::cause::kFieldValueInvalid, "<nil>",
            R"(Invalid value: "": "spec.q" must validate at least one schema (anyOf))"),
      cause(kube::cause::kFieldValueTypeInvalid, "spec.q",
            R"(Invalid value: "boolean": spec.q in body must be of type integer: "boolean")"));
}

TEST(StructuralSchemaValidate, OneOfAllOfAndNotReportCompositeErrors) {
  const std::string spec_extra =
      "    oneOf:\n"
      "    - required: [a]\n"
      "    - required: [b]\n"
      "    not:\n"
      "      required: [c]\n"
      "    allOf:\n"
      "    - properties: {a: {maxLength: 1}}\n"
      "    - properties: {a: {maxLength: 1}}\n";
  const std::string props =
      "      a: {type: string}\n      b: {type: string}\n      c: {type: string}\n";
  EXPECT_CAUSES(validate_spec(props, "{a: x}", spec_extra));
  EXPECT_CAUSES(
      validate_spec(props, "{a: x, b: z}", spec_extra),
      cause(
          kube::cause::kFieldValueInvalid, "<nil>",
          R"(Invalid value: "": "spec" must validate one and only one schema (oneOf). Found 2 valid alternatives)"));
  EXPECT_CAUSES(
      validate_spec(props, "{c: z}", spec_extra),
      cause(
          kube::cause::kFieldValueInvalid, "<nil>",
          R"(Invalid value: "": "spec" must validate one and only one schema (oneOf). Found none valid)"),
      cause(kube::cause::kFieldValueRequired, "spec.a", "Required value"),
      cause(kube::cause::kFieldValueInvalid, "<nil>",
            R"(Invalid value: "": "spec" must not validate the schema (not))"));
  // Both allOf branches fail with the same message: it is reported once.
  EXPECT_CAUSES(
      validate_spec(props, "{a: xy}", spec_extra),
      cause(kube::cause::kFieldValueTooLong, "spec.a", "Too long: may not be more than 1 byte"),
      cause(kube::cause::kFieldValueInvalid, "<nil>",
            R"(Invalid value: "": "spec" must validate all the schemas (allOf). None validated)"));
}

TEST(StructuralSchemaValidate, AdditionalPropertiesFalseForbidsOtherKeys) {
  EXPECT_CAUSES(
      validate_spec("      m: {type: object, additionalProperties: false}\n", "{m: {x: 1}}"),
      cause(kube::cause::kFieldValueInvalid, "spec.m",
            R"(Invalid value: "x": spec.m.x in body is a forbidden property)"));
}

TEST(StructuralSchemaValidate, ListTypeSetRejectsDuplicates) {
  const std::string props =
      "      tags: {type: array, x-kubernetes-list-type: set, items: {type: string}}\n"
      "      nums: {type: array, x-kubernetes-list-type: set, items: {type: number}}\n";
  EXPECT_CAUSES(
      validate_spec(props, "{tags: [a, b, a, a], nums: [1, 1.0, 2]}"),
      cause(kube::cause::kFieldValueDuplicate, "spec.tags[2]", R"(Duplicate value: "a")"));
}

TEST(StructuralSchemaValidate, ListTypeMapRejectsDuplicateKeysAndNonObjects) {
  const std::string props =
      "      env:\n"
      "        type: array\n"
      "        x-kubernetes-list-type: map\n"
      "        x-kubernetes-list-map-keys: [name]\n"
      "        items:\n"
      "          type: object\n"
      "          properties: {name: {type: string, default: unnamed}, value: {type: string}}\n"
      "      ports:\n"
      "        type: array\n"
      "        x-kubernetes-list-type: map\n"
      "        x-kubernetes-list-map-keys: [port, protocol]\n"
      "        items:\n"
      "          type: object\n"
      "          required: [port]\n"
      "          properties: {port: {type: integer}, protocol: {type: string, default: TCP}}\n";
  EXPECT_CAUSES(
      validate_spec(props, R"({env: [{name: A, value: "1"}, {name: A, value: "2"}, {value: x},
      {value: z}], ports: [{port: 80, protocol: TCP}, {port: 80, protocol: UDP}, {protocol: TCP, port: 80}]})"),
      cause(kube::cause::kFieldValueDuplicate, "spec.env[1]", R"(Duplicate value: {"name":"A"})"),
      cause(kube::cause::kFieldValueDuplicate, "spec.env[3]", "Duplicate value: {}"),
      cause(kube::cause::kFieldValueDuplicate, "spec.ports[2]",
            R"(Duplicate value: {"port":80,"protocol":"TCP"})"));
  EXPECT_CAUSES(
      validate_spec(props, "{env: [{name: A}, 5]}"),
      cause(kube::cause::kFieldValueTypeInvalid, "spec.env[1]",
            R"(Invalid value: "integer": spec.env[1] in body must be of type object: "integer")"),
      cause(kube::cause::kFieldValueInvalid, "spec.env[1]",
            "Invalid value: 5: must be an object for an array of list-type map"));
}

// ---------------------------------------------------------------------------------------------
// prune() and apply_defaults().
// ---------------------------------------------------------------------------------------------

TEST(StructuralSchemaPrune, RemovesUndeclaredFieldsAndReportsTheirPathsSorted) {
  const auto s = schema(spec_schema(
      "      name: {type: string}\n"
      "      items: {type: array, items: {type: object, properties: {a: {type: string}}}}\n"));
  auto object = yaml(R"(
apiVersion: v1
kind: X
metadata: {name: demo, labels: {a: b}, whatever: 1}
extra: 1
spec: {name: x, foo: {deep: 1}, items: [{a: x, bar: 1}, {b: 2}]}
)");
  EXPECT_EQ(s.prune(object), (std::vector<std::string>{"extra", "spec.foo", "spec.items[0].bar",
                                                       "spec.items[1].b"}));
  EXPECT_EQ(object, yaml(R"(
apiVersion: v1
kind: X
metadata: {name: demo, labels: {a: b}, whatever: 1}
spec: {name: x, items: [{a: x}, {}]}
)"));
}

TEST(StructuralSchemaPrune, KeepsPreservedSubtreesButPrunesDeclaredPartsInside) {
  const auto s =
      schema(spec_schema("      free:\n"
                         "        type: object\n"
                         "        x-kubernetes-preserve-unknown-fields: true\n"
                         "        properties:\n"
                         "          typed: {type: object, properties: {a: {type: string}}}\n"));
  auto object = yaml("{spec: {free: {anything: {goes: [1, {x: 2}]}, typed: {a: x, b: y}}}}");
  EXPECT_EQ(s.prune(object), std::vector<std::string>{"spec.free.typed.b"});
  EXPECT_EQ(object, yaml("{spec: {free: {anything: {goes: [1, {x: 2}]}, typed: {a: x}}}}"));
}

TEST(StructuralSchemaPrune, EmbeddedResourcesKeepTypeAndObjectMeta) {
  const auto s =
      schema(spec_schema("      template:\n"
                         "        type: object\n"
                         "        x-kubernetes-embedded-resource: true\n"
                         "        properties:\n"
                         "          spec: {type: object, properties: {image: {type: string}}}\n"));
  auto object = yaml(R"(
spec:
  template:
    apiVersion: v1
    kind: Pod
    metadata: {name: p, labels: {a: b}}
    spec: {image: x, other: y}
    status: {}
)");
  EXPECT_EQ(s.prune(object),
            (std::vector<std::string>{"spec.template.spec.other", "spec.template.status"}));
  EXPECT_EQ(object, yaml(R"(
spec:
  template:
    apiVersion: v1
    kind: Pod
    metadata: {name: p, labels: {a: b}}
    spec: {image: x}
)"));
}

TEST(StructuralSchemaPrune, AdditionalPropertiesTrueKeepsKeysButNotTheirUndeclaredContent) {
  const auto s = schema(spec_schema("      m: {type: object, additionalProperties: true}\n"));
  auto object = yaml("{spec: {m: {a: 1, b: {c: 2}}}}");
  EXPECT_EQ(s.prune(object), std::vector<std::string>{"spec.m.b.c"});
  EXPECT_EQ(object, yaml("{spec: {m: {a: 1, b: {}}}}"));
}

TEST(StructuralSchemaPrune, DropsNullsOfNonNullableFieldsWithoutDefaults) {
  const auto s =
      schema(spec_schema("      a: {type: string}\n"
                         "      b: {type: string, nullable: true}\n"
                         "      c: {type: string, default: x}\n"));
  auto object = yaml("{spec: {a: null, b: null, c: null}}");
  EXPECT_TRUE(s.prune(object).empty());
  EXPECT_EQ(object, yaml("{spec: {b: null, c: null}}"));
  s.apply_defaults(object);
  EXPECT_EQ(object, yaml("{spec: {b: null, c: x}}"));
}

TEST(StructuralSchemaDefaults, FillsMissingFieldsAndDefaultsDefaultObjectsFurther) {
  const auto s = schema(spec_schema(
      "      behavior:\n"
      "        type: object\n"
      "        default: {}\n"
      "        properties:\n"
      "          ttl: {type: string, default: 1h}\n"
      "          health:\n"
      "            type: object\n"
      "            default: {path: /x}\n"
      "            properties: {path: {type: string}, enabled: {type: boolean, default: true}}\n"
      "      replicas: {type: integer, default: 1}\n"
      "      ports:\n"
      "        type: array\n"
      "        items:\n"
      "          type: object\n"
      "          default: {}\n"
      "          properties: {protocol: {type: string, default: TCP}}\n"
      "      limits:\n"
      "        type: object\n"
      "        additionalProperties: {type: object, properties: {unit: {type: string, default: "
      "m}}}\n"));
  auto object =
      yaml("{spec: {replicas: 3, ports: [{protocol: UDP}, {}, null], limits: {cpu: {}}}}");
  s.apply_defaults(object);
  EXPECT_EQ(object, yaml(R"(
spec:
  replicas: 3
  ports: [{protocol: UDP}, {protocol: TCP}, {protocol: TCP}]
  limits: {cpu: {unit: m}}
  behavior: {ttl: 1h, health: {path: /x, enabled: true}}
)"));
}

TEST(StructuralSchemaDefaults, ReplacesNullsOnlyWhereTheSchemaIsNotNullable) {
  const auto s =
      schema(spec_schema("      a: {type: string, default: x}\n"
                         "      b: {type: string, default: z, nullable: true}\n"));
  auto object = yaml("{spec: {a: null, b: null}}");
  s.apply_defaults(object);
  EXPECT_EQ(object, yaml("{spec: {a: x, b: null}}"));
}

// ---------------------------------------------------------------------------------------------
// Read-only views.
// ---------------------------------------------------------------------------------------------

TEST(StructuralSchemaViews, AtEntersArrayItemsAndAdditionalPropertiesImplicitly) {
  const auto s = schema(spec_schema(
      "      env:\n"
      "        type: array\n"
      "        x-kubernetes-list-type: map\n"
      "        x-kubernetes-list-map-keys: [name]\n"
      "        items: {type: object, required: [name], properties: {name: {type: string}}}\n"
      "      labels: {type: object, x-kubernetes-map-type: atomic, additionalProperties: {type: "
      "string}}\n"
      "      tags: {type: array, items: {type: string}}\n"));
  ASSERT_NE(s.at({"spec", "env", "name"}), nullptr);
  EXPECT_EQ(*s.at({"spec", "env", "name"}), yaml("{type: string}"));
  ASSERT_NE(s.at({"spec", "labels", "anything"}), nullptr);
  EXPECT_EQ(*s.at({"spec", "labels", "anything"}), yaml("{type: string}"));
  EXPECT_EQ(s.at({"spec", "missing"}), nullptr);
  EXPECT_EQ(s.at({}), &s.json());
  EXPECT_EQ(s.list_type({"spec", "env"}), (ListType{"map", {"name"}}));
  EXPECT_EQ(s.list_type({"spec", "tags"}), (ListType{"atomic", {}}));
  EXPECT_EQ(s.list_type({"spec", "nope"}), (ListType{"atomic", {}}));
  EXPECT_TRUE(s.map_is_atomic({"spec", "labels"}));
  EXPECT_FALSE(s.map_is_atomic({"spec"}));
}

// ---------------------------------------------------------------------------------------------
// The project's own CRD.
// ---------------------------------------------------------------------------------------------

class LambdaAgentCrd : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto crd =
        yaml(read_project_file("config/crd/bases/lambda.knative.io_lambdaagents.yaml"));
    const auto* versions = crd.at("spec").at("versions").if_array();
    ASSERT_NE(versions, nullptr);
    auto compiled = StructuralSchema::compile((*versions)[0].at("schema").at("openAPIV3Schema"));
    ASSERT_TRUE(compiled) << describe(compiled.error());
    schema_.emplace(std::move(*compiled));
    agent_ = yaml(read_project_file("examples/agent-bruno.yaml"));
  }

  // prune + default + validate, as the server handles a create.
  std::vector<StatusCause> admit(json::value object, std::vector<std::string>* pruned = nullptr) {
    auto removed = schema_->prune(object);
    if (pruned != nullptr) *pruned = removed;
    schema_->apply_defaults(object);
    admitted_ = object;
    return schema_->validate(object);
  }

  json::object& spec() { return agent_.at("spec").as_object(); }

  std::optional<StructuralSchema> schema_;
  json::value agent_;
  json::value admitted_;
};

TEST_F(LambdaAgentCrd, TheAdrExampleIsAdmittedUnchangedExceptForDefaults) {
  std::vector<std::string> pruned;
  EXPECT_CAUSES(admit(agent_, &pruned));
  EXPECT_TRUE(pruned.empty()) << pruned.front();
  EXPECT_EQ(admitted_.at("spec").at("sidecar"), yaml("{enabled: true, port: 8181}"));
  EXPECT_EQ(admitted_.at("spec").at("eventing").at("brokerName"), "lambda-broker");
  EXPECT_EQ(admitted_.at("spec").at("eventing").at("rabbitmq").at("queueType"), "quorum");
  EXPECT_EQ(admitted_.at("metadata"), agent_.at("metadata"));
}

TEST_F(LambdaAgentCrd, TheMinimalExampleIsAdmitted) {
  EXPECT_CAUSES(admit(yaml(read_project_file("examples/minimal.yaml"))));
}

TEST_F(LambdaAgentCrd, OutOfRangeEnumAndMissingFieldsAreReportedLikeKubeApiserver) {
  spec()["scaling"].as_object()["minReplicas"] = 5000;
  spec()["ai"].as_object()["provider"] = "gemini";
  spec()["image"].as_object().erase("repository");
  EXPECT_CAUSES(
      admit(agent_),
      cause(kube::cause::kFieldValueRequired, "spec.image.repository", "Required value"),
      cause(
          kube::cause::kFieldValueNotSupported, "spec.ai.provider",
          R"(Unsupported value: "gemini": supported values: "ollama", "openai", "anthropic", "local")"),
      cause(kube::cause::kFieldValueInvalid, "spec.scaling.minReplicas",
            "Invalid value: 5000: spec.scaling.minReplicas in body should be less than or equal to "
            "1000"));
}

TEST_F(LambdaAgentCrd, PatternsLengthsAndQuantitiesAreChecked) {
  agent_.at("metadata").as_object()["name"] = std::string(64, 'a');
  spec()["image"].as_object()["tag"] = "bad tag!";
  spec()["resources"].as_object()["requests"].as_object()["cpu"] = true;
  EXPECT_CAUSES(
      admit(agent_),
      cause(kube::cause::kFieldValueTooLong, "metadata.name",
            "Too long: may not be more than 63 bytes"),
      cause(
          kube::cause::kFieldValueInvalid, "spec.image.tag",
          R"(Invalid value: "bad tag!": spec.image.tag in body should match '^([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|sha256:[a-f0-9]{64})$')"),
      cause(
          kube::cause::kFieldValueTypeInvalid, "spec.resources.requests.cpu",
          R"(Invalid value: "boolean": spec.resources.requests.cpu in body must be of type integer,string: "boolean")"),
      cause(
          kube::cause::kFieldValueInvalid, "<nil>",
          R"(Invalid value: "": "spec.resources.requests.cpu" must validate at least one schema (anyOf))"),
      cause(
          kube::cause::kFieldValueTypeInvalid, "spec.resources.requests.cpu",
          R"(Invalid value: "boolean": spec.resources.requests.cpu in body must be of type integer: "boolean")"));
}

TEST_F(LambdaAgentCrd, DuplicateIntentsAndUnknownFieldsAreCaught) {
  auto& intents =
      spec()["behavior"].as_object()["intentDetection"].as_object()["intents"].as_array();
  intents[1].as_object()["name"] = "security";
  spec()["scaling"].as_object()["burst"] = 3;
  std::vector<std::string> pruned;
  EXPECT_CAUSES(admit(agent_, &pruned),
                cause(kube::cause::kFieldValueDuplicate, "spec.behavior.intentDetection.intents[1]",
                      R"(Duplicate value: {"name":"security"})"));
  EXPECT_EQ(pruned, std::vector<std::string>{"spec.scaling.burst"});
}

TEST_F(LambdaAgentCrd, ObjectsOfTheWrongShapeAreRejectedWithoutFailing) {
  EXPECT_CAUSES(admit(json::value()),
                cause(kube::cause::kFieldValueTypeInvalid, "<nil>",
                      R"(Invalid value: "null":  in body must be of type object: "null")"));
  EXPECT_CAUSES(admit(json::array{1, 2}),
                cause(kube::cause::kFieldValueTypeInvalid, "<nil>",
                      R"(Invalid value: "array":  in body must be of type object: "array")"));
  EXPECT_CAUSES(
      admit(yaml("{spec: [1], status: 7}")),
      cause(kube::cause::kFieldValueTypeInvalid, "spec",
            R"(Invalid value: "array": spec in body must be of type object: "array")"),
      cause(kube::cause::kFieldValueTypeInvalid, "status",
            R"(Invalid value: "integer": status in body must be of type object: "integer")"));
}

TEST_F(LambdaAgentCrd, ServerSideApplyViewsSeeListTypes) {
  EXPECT_EQ(schema_->list_type({"spec", "env"}), (ListType{"map", {"name"}}));
  EXPECT_EQ(schema_->list_type({"status", "conditions"}), (ListType{"map", {"type"}}));
  EXPECT_EQ(schema_->list_type({"spec", "behavior", "eventTypes"}), (ListType{"atomic", {}}));
  ASSERT_NE(schema_->at({"spec", "scaling", "metrics", "target"}), nullptr);
  EXPECT_EQ(schema_->at({"spec", "scaling", "metrics", "target"})->at("type"), "number");
}

}  // namespace
}  // namespace lambda::apiserver
