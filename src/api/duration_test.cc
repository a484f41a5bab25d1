// Specification of GoDuration (Go's time.ParseDuration / Duration.String) and IsoDuration.
// Expected values and error texts below were produced by Go 1.19's time package.
#include "api/duration.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <regex>
#include <string>
#include <vector>

namespace lambda::api {
namespace {

constexpr std::int64_t kSecond = 1'000'000'000;
constexpr std::int64_t kMinute = 60 * kSecond;
constexpr std::int64_t kHour = 60 * kMinute;
constexpr std::int64_t kDay = 24 * kHour;
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();

std::int64_t go_ns(std::string_view text) {
  auto duration = GoDuration::parse(text);
  EXPECT_TRUE(duration.has_value()) << text << ": " << duration.error();
  return duration ? duration->nanoseconds() : -1;
}

std::string go_error(std::string_view text) {
  auto duration = GoDuration::parse(text);
  EXPECT_FALSE(duration.has_value()) << text << " parsed";
  return duration ? std::string() : duration.error();
}

std::int64_t iso_ns(std::string_view text) {
  auto duration = IsoDuration::parse(text);
  EXPECT_TRUE(duration.has_value()) << text << ": " << duration.error();
  return duration ? duration->nanoseconds() : -1;
}

std::string iso_error(std::string_view text) {
  auto duration = IsoDuration::parse(text);
  EXPECT_FALSE(duration.has_value()) << text << " parsed";
  return duration ? std::string() : duration.error();
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

// ---- GoDuration ------------------------------------------------------------------------------

TEST(GoDuration, ParsesEveryGoUnit) {
  EXPECT_EQ(go_ns("100ns"), 100);
  EXPECT_EQ(go_ns("2us"), 2'000);
  EXPECT_EQ(go_ns("2\u00b5s"), 2'000);  // micro sign
  EXPECT_EQ(go_ns("2\u03bcs"), 2'000);  // Greek mu
  EXPECT_EQ(go_ns("300ms"), 300'000'000);
  EXPECT_EQ(go_ns("10s"), 10 * kSecond);
  EXPECT_EQ(go_ns("5m"), 5 * kMinute);
  EXPECT_EQ(go_ns("1h"), kHour);
}

TEST(GoDuration, ParsesFractionsOfAnyUnit) {
  EXPECT_EQ(go_ns("1.5h"), 90 * kMinute);
  EXPECT_EQ(go_ns(".5s"), 500'000'000);
  EXPECT_EQ(go_ns("1.s"), kSecond);
  EXPECT_EQ(go_ns("2.2ms"), 2'200'000);
  EXPECT_EQ(go_ns("1.000000001s"), 1'000'000'001);
}

TEST(GoDuration, TruncatesBelowANanosecondLikeGo) {
  EXPECT_EQ(go_ns("0.1ns"), 0);
  EXPECT_EQ(go_ns("1.9ns"), 1);
  EXPECT_EQ(go_ns("0.0000000001s"), 0);
  EXPECT_EQ(go_ns("1.23456789012345678901234567890s"), 1'234'567'890);
}

TEST(GoDuration, ReproducesGoFloatArithmeticForFractions) {
  EXPECT_EQ(go_ns("0.1234567891234567891h"), 444'444'440'844);
  EXPECT_EQ(go_ns("9.999999999h"), 35'999'999'996'400);
  EXPECT_EQ(go_ns("3.333333333333h"), 11'999'999'999'998);
  EXPECT_EQ(go_ns("0.99999999999999999999999999999h"), kHour);
  EXPECT_EQ(go_ns("1.0000000000000000001h"), kHour);
  EXPECT_EQ(go_ns("2562047.788015215h"), 9'223'372'036'854'774'000);
  EXPECT_EQ(go_ns("2562047.7880152155h"), 9'223'372'036'854'775'800);
}

TEST(GoDuration, AddsMultipleComponentsInAnyOrder) {
  EXPECT_EQ(go_ns("1h30m"), 90 * kMinute);
  EXPECT_EQ(go_ns("30m1h"), 90 * kMinute);
  EXPECT_EQ(go_ns("1h1h"), 2 * kHour);
  EXPECT_EQ(go_ns("1h30m15.5s"), 5'415'500'000'000);
  EXPECT_EQ(go_ns("1s.5s"), 1'500'000'000);
  EXPECT_EQ(go_ns("1ns1ns"), 2);
}

TEST(GoDuration, AcceptsSignsAndABareZero) {
  EXPECT_EQ(go_ns("0"), 0);
  EXPECT_EQ(go_ns("+0"), 0);
  EXPECT_EQ(go_ns("-0"), 0);
  EXPECT_EQ(go_ns("0s"), 0);
  EXPECT_EQ(go_ns("-0s"), 0);
  EXPECT_EQ(go_ns("-1.5h"), -90 * kMinute);
  EXPECT_EQ(go_ns("+5s"), 5 * kSecond);
}

TEST(GoDuration, RejectsTextThatIsNotANumberWithGoInvalidDurationMessage) {
  EXPECT_EQ(go_error(""), R"(time: invalid duration "")");
  EXPECT_EQ(go_error("+"), R"(time: invalid duration "+")");
  EXPECT_EQ(go_error("-"), R"(time: invalid duration "-")");
  EXPECT_EQ(go_error("."), R"(time: invalid duration ".")");
  EXPECT_EQ(go_error(".s"), R"(time: invalid duration ".s")");
  EXPECT_EQ(go_error("-.s"), R"(time: invalid duration "-.s")");
  EXPECT_EQ(go_error("s"), R"(time: invalid duration "s")");
  EXPECT_EQ(go_error("five"), R"(time: invalid duration "five")");
  EXPECT_EQ(go_error(" 1s"), R"(time: invalid duration " 1s")");
  EXPECT_EQ(go_error("--1s"), R"(time: invalid duration "--1s")");
  EXPECT_EQ(go_error("+-1s"), R"(time: invalid duration "+-1s")");
}

TEST(GoDuration, RejectsMissingUnitWithGoMessage) {
  EXPECT_EQ(go_error("10"), R"(time: missing unit in duration "10")");
  EXPECT_EQ(go_error("00"), R"(time: missing unit in duration "00")");
  EXPECT_EQ(go_error("1.5"), R"(time: missing unit in duration "1.5")");
  EXPECT_EQ(go_error("1."), R"(time: missing unit in duration "1.")");
  EXPECT_EQ(go_error("1s.5"), R"(time: missing unit in duration "1s.5")");
  EXPECT_EQ(go_error("1..5s"), R"(time: missing unit in duration "1..5s")");
}

TEST(GoDuration, RejectsUnknownUnitsWithGoMessage) {
  EXPECT_EQ(go_error("1d"), R"(time: unknown unit "d" in duration "1d")");
  EXPECT_EQ(go_error("1H"), R"(time: unknown unit "H" in duration "1H")");
  EXPECT_EQ(go_error("1sec"), R"(time: unknown unit "sec" in duration "1sec")");
  EXPECT_EQ(go_error("1e3s"), R"(time: unknown unit "e" in duration "1e3s")");
  EXPECT_EQ(go_error("1,5s"), R"(time: unknown unit "," in duration "1,5s")");
  // Go reads everything up to the next digit or '.' as the unit, spaces and signs included.
  EXPECT_EQ(go_error("5 minutes"), R"(time: unknown unit " minutes" in duration "5 minutes")");
  EXPECT_EQ(go_error("1h 30m"), R"(time: unknown unit "h " in duration "1h 30m")");
  EXPECT_EQ(go_error("1h-1m"), R"(time: unknown unit "h-" in duration "1h-1m")");
  EXPECT_EQ(go_error("1s "), R"(time: unknown unit "s " in duration "1s ")");
}

TEST(GoDuration, QuotesNonAsciiControlAndQuoteCharactersLikeGo) {
  EXPECT_EQ(go_error("1\u00e9"), R"(time: unknown unit "\xc3\xa9" in duration "1\xc3\xa9")");
  EXPECT_EQ(go_error("1\u00b5"), R"(time: unknown unit "\xc2\xb5" in duration "1\xc2\xb5")");
  EXPECT_EQ(go_error("\uff11s"), R"(time: invalid duration "\xef\xbc\x91s")");
  EXPECT_EQ(go_error("1\ts"), R"(time: unknown unit "\x09s" in duration "1\x09s")");
  EXPECT_EQ(go_error(std::string_view("1h\0", 3)),
            R"(time: unknown unit "h\x00" in duration "1h\x00")");
  EXPECT_EQ(go_error("1\"s"), R"(time: unknown unit "\"s" in duration "1\"s")");
  EXPECT_EQ(go_error("1\\s"), R"(time: unknown unit "\\s" in duration "1\\s")");
}

TEST(GoDuration, AcceptsTheFullInt64RangeAndRejectsBeyondIt) {
  EXPECT_EQ(go_ns("9223372036854775807ns"), kMax);
  EXPECT_EQ(go_ns("-9223372036854775808ns"), kMin);
  EXPECT_EQ(go_ns("2562047h47m16.854775807s"), kMax);
  EXPECT_EQ(go_ns("-2562047h47m16.854775808s"), kMin);
  EXPECT_EQ(go_ns("9223372036.854775807s"), kMax);
  for (const char* text :
       {"9223372036854775808ns", "-9223372036854775809ns", "2562047h47m16.854775808s", "2562048h",
        "9223372036854775808000ns", "18446744073709551616ns", "9223372036.854775808s",
        "99999999999999999999999999999h"}) {
    EXPECT_EQ(go_error(text), "time: invalid duration \"" + std::string(text) + "\"");
  }
}

TEST(GoDuration, KeepsTheTextAsWritten) {
  auto duration = GoDuration::parse("90s");
  ASSERT_TRUE(duration.has_value());
  EXPECT_EQ(duration->text(), "90s");
  EXPECT_EQ(duration->value(), std::chrono::seconds(90));
  EXPECT_EQ(GoDuration::parse("0")->text(), "0");
}

TEST(GoDuration, ComparesByValueNotByText) {
  EXPECT_EQ(*GoDuration::parse("60s"), *GoDuration::parse("1m"));
  EXPECT_EQ(*GoDuration::parse("1h"), *GoDuration::parse("3600000ms"));
  EXPECT_LT(*GoDuration::parse("59s"), *GoDuration::parse("1m"));
  EXPECT_GT(*GoDuration::parse("1ns"), *GoDuration::parse("-1h"));
}

TEST(GoDuration, ReportsWholeSecondsAndFractionalSeconds) {
  EXPECT_TRUE(GoDuration::parse("2m")->is_whole_seconds());
  EXPECT_TRUE(GoDuration::parse("0")->is_whole_seconds());
  EXPECT_FALSE(GoDuration::parse("1.5s")->is_whole_seconds());
  EXPECT_DOUBLE_EQ(GoDuration::parse("1.5s")->seconds(), 1.5);
  EXPECT_DOUBLE_EQ(GoDuration::parse("-250ms")->seconds(), -0.25);
}

TEST(GoDuration, CanonicalIsGoDurationString) {
  EXPECT_EQ(GoDuration::canonical(0), "0s");
  EXPECT_EQ(GoDuration::canonical(1), "1ns");
  EXPECT_EQ(GoDuration::canonical(-1), "-1ns");
  EXPECT_EQ(GoDuration::canonical(999), "999ns");
  EXPECT_EQ(GoDuration::canonical(1'000), "1\u00b5s");
  EXPECT_EQ(GoDuration::canonical(1'100), "1.1\u00b5s");
  EXPECT_EQ(GoDuration::canonical(2'200'000), "2.2ms");
  EXPECT_EQ(GoDuration::canonical(300'000'000), "300ms");
  EXPECT_EQ(GoDuration::canonical(999'999'999), "999.999999ms");
  EXPECT_EQ(GoDuration::canonical(kSecond), "1s");
  EXPECT_EQ(GoDuration::canonical(1'500'000'000), "1.5s");
  EXPECT_EQ(GoDuration::canonical(5 * kMinute), "5m0s");
  EXPECT_EQ(GoDuration::canonical(4 * kMinute + 5'001'000'000), "4m5.001s");
  EXPECT_EQ(GoDuration::canonical(kHour), "1h0m0s");
  EXPECT_EQ(GoDuration::canonical(8 * kMinute + 1), "8m0.000000001s");
  EXPECT_EQ(GoDuration::canonical(-(5 * kHour + 6 * kMinute + 7'001'000'000)), "-5h6m7.001s");
  EXPECT_EQ(GoDuration::canonical(kMax), "2562047h47m16.854775807s");
  EXPECT_EQ(GoDuration::canonical(kMin), "-2562047h47m16.854775808s");
}

TEST(GoDuration, CanonicalTextParsesBackToTheSameValue) {
  for (std::int64_t ns : {std::int64_t{0}, std::int64_t{1}, std::int64_t{-1}, std::int64_t{1'001},
                          std::int64_t{999'999'999}, 61 * kSecond + 5, -25 * kHour - 1, kMax, kMin,
                          std::int64_t{123'456'789'012'345}}) {
    EXPECT_EQ(go_ns(GoDuration::canonical(ns)), ns) << GoDuration::canonical(ns);
  }
}

TEST(GoDuration, FromNanosecondsUsesTheCanonicalText) {
  GoDuration duration = GoDuration::from_nanoseconds(90 * kSecond);
  EXPECT_EQ(duration.text(), "1m30s");
  EXPECT_EQ(duration.nanoseconds(), 90 * kSecond);
  EXPECT_EQ(GoDuration::from_nanoseconds(0).text(), "0s");
}

std::vector<std::string> go_duration_corpus() {
  return {"0",
          "+0",
          "-0",
          "00",
          "0.0",
          "0s",
          "1ns",
          "1us",
          "1\u00b5s",
          "1\u03bcs",
          "1ms",
          "1s",
          "1m",
          "1h",
          "1.5h",
          ".5s",
          "1.s",
          "0.1ns",
          "1h30m",
          "30m1h",
          "1h1h",
          "1h30m15.5s",
          "-1.5h",
          "+5s",
          "",
          "+",
          "-",
          ".",
          "..",
          ".s",
          "-.s",
          "s",
          "five",
          "1h 30m",
          "1d",
          "10",
          "1.5",
          "1H",
          "5 minutes",
          "1h-1m",
          " 1s",
          "1s ",
          "1e3s",
          "1\u00e9",
          "1\"s",
          "1\ts",
          "\u221e",
          "9223372036854775807ns",
          "-9223372036854775808ns",
          "1s.5s",
          "1s.5",
          "1..5s",
          "1.5.5s",
          "0h",
          "1\u00b5",
          "1\u03bc",
          "1msec",
          "1M",
          "1S",
          "1NS",
          "1.",
          "+-1s",
          "--1s",
          "1,5s",
          "\uff11s",
          "1s\u00a0",
          "1mss",
          "1hm",
          "1sm",
          "1m1",
          "h",
          "1h\n",
          "\n1h",
          "0.",
          "0.s",
          "-1",
          "1ns.",
          "1\u00b5\u00b5s",
          "1uss",
          "1Ms",
          "1.5\u03bcs",
          "+.5m",
          "-.5m",
          "0 s",
          "1_000s"};
}

// Well-formed but beyond the int64 range of nanoseconds: parse() rejects them and no regex can.
std::vector<std::string> go_duration_out_of_range() {
  return {"9223372036854775808ns", "-9223372036854775809ns", "2562048h",
          "99999999999999999999999999999h", "9223372036.854775808s"};
}

TEST(GoDuration, PatternAcceptsExactlyWhatParseAccepts) {
  const std::regex pattern(std::string(GoDuration::kPattern), std::regex::ECMAScript);
  for (const std::string& text : go_duration_corpus()) {
    EXPECT_EQ(std::regex_search(text, pattern), GoDuration::parse(text).has_value())
        << "pattern and parse disagree on \"" << text << "\"";
  }
  for (const std::string& text : go_duration_out_of_range()) {
    EXPECT_TRUE(std::regex_search(text, pattern)) << text;
    EXPECT_FALSE(GoDuration::parse(text).has_value()) << text;
  }
}

// ---- IsoDuration -----------------------------------------------------------------------------

TEST(IsoDuration, ParsesTimeComponents) {
  EXPECT_EQ(iso_ns("PT1S"), kSecond);
  EXPECT_EQ(iso_ns("PT2H"), 2 * kHour);
  EXPECT_EQ(iso_ns("PT1M30S"), 90 * kSecond);
  EXPECT_EQ(iso_ns("PT1H30M15S"), kHour + 30 * kMinute + 15 * kSecond);
  EXPECT_EQ(iso_ns("PT1H15S"), kHour + 15 * kSecond);
  EXPECT_EQ(iso_ns("PT0S"), 0);
  EXPECT_EQ(iso_ns("PT90M"), 90 * kMinute);
  EXPECT_EQ(iso_ns("PT007S"), 7 * kSecond);
}

TEST(IsoDuration, ParsesDaysAsTwentyFourHours) {
  EXPECT_EQ(iso_ns("P1D"), kDay);
  EXPECT_EQ(iso_ns("P1DT2H"), kDay + 2 * kHour);
  EXPECT_EQ(iso_ns("P2DT3H4M5S"), 2 * kDay + 3 * kHour + 4 * kMinute + 5 * kSecond);
  EXPECT_EQ(iso_ns("P0D"), 0);
}

TEST(IsoDuration, AcceptsAFractionOnTheLastComponent) {
  EXPECT_EQ(iso_ns("PT0.5S"), 500'000'000);
  EXPECT_EQ(iso_ns("PT1.5M"), 90 * kSecond);
  EXPECT_EQ(iso_ns("PT0.25H"), 15 * kMinute);
  EXPECT_EQ(iso_ns("P1.5D"), 36 * kHour);
  EXPECT_EQ(iso_ns("PT1M0.25S"), kMinute + 250'000'000);
  EXPECT_EQ(iso_ns("P1DT1.5H"), kDay + 90 * kMinute);
  EXPECT_EQ(iso_ns("PT0.000000001S"), 1);
}

TEST(IsoDuration, DropsDigitsBelowANanosecond) {
  EXPECT_EQ(iso_ns("PT0.0000000001S"), 0);
  EXPECT_EQ(iso_ns("PT1.9999999999S"), 1'999'999'999);
  EXPECT_EQ(iso_ns("PT0.123456789012H"), 444'444'440'443);  // 444444440443.2 exactly
  EXPECT_EQ(iso_ns("PT0.33333333333333333333333333333333333M"), 19'999'999'999);
}

TEST(IsoDuration, RejectsYearsMonthsAndWeeksBecauseTheyHaveNoFixedLength) {
  for (const char* text : {"P1Y", "P1M", "P1W", "P1Y2M", "P1MT1S", "P1.5Y", "P0W"}) {
    EXPECT_TRUE(contains(iso_error(text), "years, months and weeks have no fixed length")) << text;
  }
}

TEST(IsoDuration, RejectsAFractionBeforeTheLastComponent) {
  for (const char* text : {"PT1.5H30M", "P1.5DT1H", "PT0.5M1S"}) {
    EXPECT_TRUE(contains(iso_error(text), "only the last component may have a fraction")) << text;
  }
}

TEST(IsoDuration, RejectsDesignatorsWithoutComponents) {
  for (const char* text : {"", "P", "PT", "P1DT", "T1S", "1S", "PTS", "PD"}) {
    EXPECT_TRUE(contains(iso_error(text), "must look like P[nD][T[nH][nM][nS]]")) << text;
  }
}

TEST(IsoDuration, RejectsComponentsOutOfOrderOrRepeated) {
  for (const char* text : {"PT1S1M", "PT1M1H", "PT1H1H", "P1DT1D", "PT1HT1M", "P1D1D", "PT1D",
                           "P1H", "P1S", "PT1S1S"}) {
    EXPECT_FALSE(IsoDuration::parse(text).has_value()) << text;
  }
}

TEST(IsoDuration, RejectsMalformedNumbersSignsCaseAndWhitespace) {
  for (const char* text :
       {"PT.5S", "PT1.S", "PT1,5S", "PT-1S", "-PT1S", "+PT1S", "pt1s", "PT1s", "Pt1S", "PT 1S",
        "PT1S ", " PT1S", "PT1\uff33", "PT\uff11S", "PT1e3S", "PT1.5.5S", "PT0x1S", "P1DT\n1H"}) {
    EXPECT_FALSE(IsoDuration::parse(text).has_value()) << text;
  }
}

TEST(IsoDuration, AcceptsUpToInt64NanosecondsAndRejectsBeyond) {
  EXPECT_EQ(iso_ns("P106751D"), 106'751 * kDay);
  EXPECT_EQ(iso_ns("PT2562047H47M16.854775807S"), kMax);
  for (const char* text :
       {"P106752D", "PT2562047H47M16.854775808S", "PT9223372036854775808S",
        "PT99999999999999999999999999999999S", "P99999999999999999999D", "P106751DT99999999H"}) {
    EXPECT_TRUE(contains(iso_error(text), "is out of range")) << text;
  }
}

TEST(IsoDuration, KeepsTheTextAndComparesByValue) {
  auto duration = IsoDuration::parse("PT60S");
  ASSERT_TRUE(duration.has_value());
  EXPECT_EQ(duration->text(), "PT60S");
  EXPECT_EQ(duration->value(), std::chrono::minutes(1));
  EXPECT_EQ(*duration, *IsoDuration::parse("PT1M"));
  EXPECT_LT(*IsoDuration::parse("PT59S"), *duration);
  EXPECT_GT(*IsoDuration::parse("P1D"), *IsoDuration::parse("PT23H59M59.999S"));
}

TEST(IsoDuration, QuotesTheOffendingTextSafely) {
  EXPECT_TRUE(contains(iso_error("PT1\n"), R"("PT1\x0a")"));
  EXPECT_TRUE(contains(iso_error("P\"1"), R"("P\"1")"));
}

std::vector<std::string> iso_duration_corpus() {
  return {"PT1S",
          "PT0.5S",
          "PT1M30S",
          "P1D",
          "P1DT2H",
          "PT2H",
          "PT1H30M15S",
          "PT1H15S",
          "P1.5D",
          "PT1.5M",
          "PT0.25H",
          "PT1M0.25S",
          "P1DT1.5H",
          "P2DT3H4M5.5S",
          "PT0S",
          "P0D",
          "PT007S",
          "PT0.0000000001S",
          "P106751D",
          "P106752D",
          "PT9223372036854775808S",
          "",
          "P",
          "PT",
          "P1DT",
          "T1S",
          "1S",
          "PTS",
          "PD",
          "P1Y",
          "P1M",
          "P1W",
          "P1Y2M",
          "P1MT1S",
          "PT1.5H30M",
          "P1.5DT1H",
          "PT0.5M1S",
          "PT1S1M",
          "PT1M1H",
          "PT1H1H",
          "P1DT1D",
          "PT1HT1M",
          "P1D1D",
          "PT1D",
          "P1H",
          "P1S",
          "PT.5S",
          "PT1.S",
          "PT1,5S",
          "PT-1S",
          "-PT1S",
          "pt1s",
          "PT1s",
          "PT 1S",
          "PT1S ",
          " PT1S",
          "PT1\uff33",
          "PT1e3S",
          "PT1.5.5S",
          "P1DT\n1H",
          "PT1S\n",
          "\nPT1S",
          "PDT1S",
          "P1D2H",
          "PT1H2D",
          "P1DT1H1M1S1",
          "PT1",
          "P1",
          "PP1D",
          "PT1H30M15.123456789S",
          "P1.D",
          "PT1.5S0.5S"};
}

TEST(IsoDuration, PatternAcceptsExactlyWhatParseAccepts) {
  const std::regex pattern(std::string(IsoDuration::kPattern), std::regex::ECMAScript);
  for (const std::string& text : iso_duration_corpus()) {
    const bool matches = std::regex_search(text, pattern);
    auto parsed = IsoDuration::parse(text);
    if (!parsed && contains(parsed.error(), "is out of range")) {
      EXPECT_TRUE(matches) << "pattern rejects in-grammar but too long \"" << text << "\"";
    } else {
      EXPECT_EQ(matches, parsed.has_value()) << "pattern and parse disagree on \"" << text << "\"";
    }
  }
}

}  // namespace
}  // namespace lambda::api
