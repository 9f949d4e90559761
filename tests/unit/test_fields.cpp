// Unit tests for typed fields (src/koko/io/fields.hpp): money, dates, IDs. Expectations are worked out by hand.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "koko/core/date.hpp"
#include "koko/io/fields.hpp"

using koko::Day;
using koko::days_from_civil;
using koko::io::DateFormat;
using koko::io::Decimal;
using koko::io::normalise_id;
using koko::io::parse_date;
using koko::io::parse_date_format;
using koko::io::parse_decimal;
using koko::io::parse_int;
using koko::io::rescale;
using koko::io::round_scaled;
using koko::io::to_minor_units;
using koko::io::trim;

namespace {

using Dec = std::pair<int64_t, int>;  // {mantissa, scale}

std::optional<Dec> dec(std::string_view s) {
  const auto d = parse_decimal(s);
  if (!d) return std::nullopt;
  return Dec{d->mantissa, d->scale};
}

Day ymd(int y, unsigned m, unsigned d) { return days_from_civil(y, m, d); }

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

// ---------------------------------------------------------------------------------------------------------------
// parse_decimal

TEST(ParseDecimal, PlainNumbers) {
  EXPECT_EQ(dec("12.34"), Dec(1234, 2));
  EXPECT_EQ(dec("-5"), Dec(-5, 0));
  EXPECT_EQ(dec("+3"), Dec(3, 0));
  EXPECT_EQ(dec("0"), Dec(0, 0));
  EXPECT_EQ(dec("-0.5"), Dec(-5, 1));
  EXPECT_EQ(dec(".5"), Dec(5, 1));
  EXPECT_EQ(dec("5."), Dec(5, 0));
  EXPECT_EQ(dec("007"), Dec(7, 0));
  EXPECT_EQ(dec("12.340"), Dec(12340, 3));  // trailing zeros keep their scale
  EXPECT_EQ(dec(" 7.5 "), Dec(75, 1));      // surrounding spaces
  EXPECT_EQ(dec("\t7.5\r"), Dec(75, 1));
  EXPECT_EQ(dec("0.000001"), Dec(1, 6));    // six decimals is the most
  EXPECT_EQ(dec("1.123456"), Dec(1123456, 6));
  EXPECT_EQ(dec("922337203685477579"), Dec(922337203685477579, 0));
}

TEST(ParseDecimal, ThousandsSeparators) {
  EXPECT_EQ(dec("1,234.50"), Dec(123450, 2));
  EXPECT_EQ(dec("12,345"), Dec(12345, 0));
  EXPECT_EQ(dec("123,456"), Dec(123456, 0));
  EXPECT_EQ(dec("1,234,567.891"), Dec(1234567891, 3));
  EXPECT_EQ(dec("-1,000"), Dec(-1000, 0));
}

TEST(ParseDecimal, CurrencySigns) {
  EXPECT_EQ(dec("$12.34"), Dec(1234, 2));
  EXPECT_EQ(dec("-$4.00"), Dec(-400, 2));
  EXPECT_EQ(dec("$-4.00"), Dec(-400, 2));
  EXPECT_EQ(dec("+$4"), Dec(4, 0));
  EXPECT_EQ(dec("£3"), Dec(3, 0));
  EXPECT_EQ(dec("€1,000"), Dec(1000, 0));
  EXPECT_EQ(dec("¥1,200"), Dec(1200, 0));
  EXPECT_EQ(dec(" $1,234.56 "), Dec(123456, 2));
}

TEST(ParseDecimal, Rejects) {
  for (const char* s : {"", " ", "abc", "1,23", "12,3456", "1.2.3", "--1", "+-1", "-+1", "++1", "-$+4", "+$-4",
                        "1.1234567",
                        "0.0000001", ",123", "1,,234", "1,", "1234,567", "1,2345", "12a", "a12", "1 234", "(12.00)",
                        "1e5", "12.34.", "1.2,3", "$", "-", "+", ".", "-.", "$.", "-$-4", "$$1", "US$1", "12$",
                        "0x10"}) {
    EXPECT_EQ(dec(s), std::nullopt) << '"' << s << '"';
  }
}

TEST(ParseDecimal, RejectsOverflowingMantissas) {
  EXPECT_EQ(dec("99999999999999999999"), std::nullopt);
  EXPECT_EQ(dec("9223372036854775808"), std::nullopt);
  EXPECT_EQ(dec("-99999999999999999999"), std::nullopt);
  EXPECT_EQ(dec("99999999999999.999999"), std::nullopt);  // 20 digits in the mantissa
}

// ---------------------------------------------------------------------------------------------------------------
// to_minor_units, rescale, round_scaled

TEST(ToMinorUnits, RoundsHalfAwayFromZero) {
  EXPECT_EQ(to_minor_units({5, 3}, 2), 1);      // 0.005 → 1 cent
  EXPECT_EQ(to_minor_units({-5, 3}, 2), -1);    // -0.005 → -1 cent
  EXPECT_EQ(to_minor_units({49, 4}, 2), 0);     // 0.0049 → 0
  EXPECT_EQ(to_minor_units({-49, 4}, 2), 0);
  EXPECT_EQ(to_minor_units({4, 3}, 2), 0);
  EXPECT_EQ(to_minor_units({-4, 3}, 2), 0);
  EXPECT_EQ(to_minor_units({6, 3}, 2), 1);
  EXPECT_EQ(to_minor_units({12345, 3}, 2), 1235);    // 12.345
  EXPECT_EQ(to_minor_units({-12345, 3}, 2), -1235);
  EXPECT_EQ(to_minor_units({12344, 3}, 2), 1234);
  EXPECT_EQ(to_minor_units({-12344, 3}, 2), -1234);
  EXPECT_EQ(to_minor_units({1234999, 5}, 2), 1235);  // 12.34999
  EXPECT_EQ(to_minor_units({1234567, 6}, 3), 1235);  // three minor digits (e.g. KWD)
}

TEST(ToMinorUnits, ExactAndScaledUp) {
  EXPECT_EQ(to_minor_units({1234, 2}, 2), 1234);
  EXPECT_EQ(to_minor_units({5, 0}, 2), 500);
  EXPECT_EQ(to_minor_units({-5, 0}, 2), -500);
  EXPECT_EQ(to_minor_units({15, 1}, 2), 150);
  EXPECT_EQ(to_minor_units({0, 6}, 2), 0);
}

TEST(ToMinorUnits, ZeroMinorDigitsForYen) {
  EXPECT_EQ(to_minor_units({1200, 0}, 0), 1200);
  EXPECT_EQ(to_minor_units({15, 1}, 0), 2);     // 1.5 yen
  EXPECT_EQ(to_minor_units({-15, 1}, 0), -2);
  EXPECT_EQ(to_minor_units({14, 1}, 0), 1);
  EXPECT_EQ(to_minor_units({-14, 1}, 0), -1);
  EXPECT_EQ(to_minor_units({125, 1}, 0), 13);   // 12.5
  EXPECT_EQ(to_minor_units({1249, 2}, 0), 12);
  EXPECT_EQ(to_minor_units({499999, 6}, 0), 0);
  EXPECT_EQ(to_minor_units({500000, 6}, 0), 1);
  EXPECT_EQ(to_minor_units({-500000, 6}, 0), -1);
}

TEST(ToMinorUnits, FromParsedText) {
  EXPECT_EQ(to_minor_units(*parse_decimal("¥1,200"), 0), 1200);
  EXPECT_EQ(to_minor_units(*parse_decimal("$12.345"), 2), 1235);
  EXPECT_EQ(to_minor_units(*parse_decimal("-$0.005"), 2), -1);
  EXPECT_EQ(to_minor_units(*parse_decimal("0.0049"), 2), 0);
  EXPECT_EQ(to_minor_units(*parse_decimal("€1,000"), 2), 100000);
  EXPECT_EQ(to_minor_units(*parse_decimal("-12"), 2), -1200);
}

TEST(Rescale, ToAFixedScale) {
  EXPECT_EQ(rescale({1234, 2}, 6), 12340000);
  EXPECT_EQ(rescale({-5, 0}, 6), -5000000);
  EXPECT_EQ(rescale({1, 6}, 6), 1);
  EXPECT_EQ(rescale({0, 0}, 6), 0);
  EXPECT_EQ(rescale({kMax, 0}, 0), kMax);
  EXPECT_EQ(rescale({1, 0}, 18), int64_t{1'000'000'000'000'000'000});
}

TEST(Rescale, RefusesToLoseDigits) {
  EXPECT_EQ(rescale({1, 3}, 2), std::nullopt);
  EXPECT_EQ(rescale({1234567, 6}, 5), std::nullopt);
}

TEST(Rescale, OverflowIsNullopt) {
  // INT64_MAX / 10^6 = 9,223,372,036,854 (.775807).
  EXPECT_EQ(rescale({9'223'372'036'854, 0}, 6), int64_t{9'223'372'036'854'000'000});
  EXPECT_EQ(rescale({-9'223'372'036'854, 0}, 6), int64_t{-9'223'372'036'854'000'000});
  EXPECT_EQ(rescale({9'223'372'036'855, 0}, 6), std::nullopt);
  EXPECT_EQ(rescale({-9'223'372'036'855, 0}, 6), std::nullopt);
  EXPECT_EQ(rescale({922'337'203'685'477'579, 0}, 6), std::nullopt);
  EXPECT_EQ(rescale({10, 0}, 18), std::nullopt);
  // 10^19 does not fit in 64 bits: any non-zero value overflows.
  EXPECT_EQ(rescale({1, 0}, 19), std::nullopt);
  EXPECT_EQ(rescale({-1, 0}, 25), std::nullopt);
  EXPECT_EQ(rescale({0, 0}, 25), 0);
}

TEST(RoundScaled, HalfAwayFromZero) {
  EXPECT_EQ(round_scaled(12345, 3, 1), 123);   // 12.345 → 12.3
  EXPECT_EQ(round_scaled(12350, 3, 1), 124);   // 12.350 → 12.4
  EXPECT_EQ(round_scaled(-12350, 3, 1), -124);
  EXPECT_EQ(round_scaled(-12349, 3, 1), -123);
  EXPECT_EQ(round_scaled(3'990'000, 6, 2), 399);         // 2 × 1.995 = 3.99
  EXPECT_EQ(round_scaled(3 * 125'000, 6, 2), 38);        // 3 × 0.125 = 0.375
  EXPECT_EQ(round_scaled(-3 * 125'000, 6, 2), -38);
  EXPECT_EQ(round_scaled(4'999'999, 6, 2), 500);         // 4.999999 → 5.00
  EXPECT_EQ(round_scaled(4'994'999, 6, 2), 499);
  EXPECT_EQ(round_scaled(1'500'000, 6, 0), 2);
  EXPECT_EQ(round_scaled(-2'500'000, 6, 0), -3);
  EXPECT_EQ(round_scaled(0, 6, 2), 0);
}

TEST(RoundScaled, SameOrLargerScale) {
  EXPECT_EQ(round_scaled(7, 2, 2), 7);
  EXPECT_EQ(round_scaled(-7, 2, 2), -7);
  EXPECT_EQ(round_scaled(5, 0, 2), 500);
  EXPECT_EQ(round_scaled(-5, 0, 2), -500);
}

TEST(RoundScaled, ExtremeValues) {
  // INT64_MAX = 9.223372036854775807 × 10^18, INT64_MIN = -9.223372036854775808 × 10^18.
  EXPECT_EQ(round_scaled(kMax, 18, 0), 9);
  EXPECT_EQ(round_scaled(std::numeric_limits<int64_t>::min(), 18, 0), -9);
  EXPECT_EQ(round_scaled(kMax, 6, 2), 922'337'203'685'478);  // ...477.5807 rounds up
}

TEST(ParseInt, WholeNumbers) {
  EXPECT_EQ(parse_int("42"), 42);
  EXPECT_EQ(parse_int("-7"), -7);
  EXPECT_EQ(parse_int("+3"), 3);
  EXPECT_EQ(parse_int(" 12 "), 12);
  EXPECT_EQ(parse_int("007"), 7);
  EXPECT_EQ(parse_int("123456789012345678"), int64_t{123456789012345678});
  for (const char* s : {"", "-", "+", "1.0", "1,000", "12a", "1234567890123456789", "--1"})
    EXPECT_EQ(parse_int(s), std::nullopt) << '"' << s << '"';
}

// ---------------------------------------------------------------------------------------------------------------
// parse_date

TEST(ParseDate, AutoDetectsTheUnambiguousForms) {
  const Day d = ymd(2024, 3, 7);
  EXPECT_EQ(parse_date("20240307", DateFormat::auto_detect), d);
  EXPECT_EQ(parse_date("2024-03-07", DateFormat::auto_detect), d);
  EXPECT_EQ(parse_date("2024/03/07", DateFormat::auto_detect), d);
  EXPECT_EQ(parse_date("2024/3/7", DateFormat::auto_detect), d);
  EXPECT_EQ(parse_date("2024/3/07", DateFormat::auto_detect), d);
  EXPECT_EQ(parse_date("2024-03-07 10:15:00", DateFormat::auto_detect), d);
  EXPECT_EQ(parse_date("2024-03-07 10:15", DateFormat::auto_detect), d);
  EXPECT_EQ(parse_date("2024-03-07T10:15:00.123", DateFormat::auto_detect), d);
  EXPECT_EQ(parse_date("2024/03/07 23:59:59", DateFormat::auto_detect), d);
  EXPECT_EQ(parse_date(" 2024-03-07 ", DateFormat::auto_detect), d);
  EXPECT_EQ(parse_date("2024-03-07\r", DateFormat::auto_detect), d);
  EXPECT_EQ(parse_date("19970101", DateFormat::auto_detect), ymd(1997, 1, 1));
  EXPECT_EQ(parse_date("1970-01-01", DateFormat::auto_detect), 0);
}

TEST(ParseDate, DefaultOffsetIsUtc) {
  EXPECT_EQ(parse_date("2024-03-07T20:00:00-05:00", DateFormat::auto_detect), ymd(2024, 3, 8));
}

TEST(ParseDate, OffsetsConvertToTheWorkspaceDay) {
  // 23:30+09:00 is 14:30Z: 2024-03-07 in UTC, at +09:00 (23:30) and at -10:00 (04:30).
  EXPECT_EQ(parse_date("2024-03-07T23:30:00+09:00", DateFormat::auto_detect, 0), ymd(2024, 3, 7));
  EXPECT_EQ(parse_date("2024-03-07T23:30:00+09:00", DateFormat::auto_detect, 540), ymd(2024, 3, 7));
  EXPECT_EQ(parse_date("2024-03-07T23:30:00+09:00", DateFormat::auto_detect, -600), ymd(2024, 3, 7));
  // 02:00+09:00 is 17:00Z the day before.
  EXPECT_EQ(parse_date("2024-03-07T02:00:00+09:00", DateFormat::auto_detect, 0), ymd(2024, 3, 6));
  EXPECT_EQ(parse_date("2024-03-07T02:00:00+09:00", DateFormat::auto_detect, 540), ymd(2024, 3, 7));
  // 20:00-05:00 is 01:00Z the next day; 10:00 at +09:00; back to 20:00 on the 7th at -05:00.
  EXPECT_EQ(parse_date("2024-03-07T20:00:00-05:00", DateFormat::auto_detect, 0), ymd(2024, 3, 8));
  EXPECT_EQ(parse_date("2024-03-07T20:00:00-05:00", DateFormat::auto_detect, 540), ymd(2024, 3, 8));
  EXPECT_EQ(parse_date("2024-03-07T20:00:00-05:00", DateFormat::auto_detect, -300), ymd(2024, 3, 7));
  // Z, compact offsets and offsets without a colon.
  EXPECT_EQ(parse_date("2024-03-07T23:30:00Z", DateFormat::auto_detect, 0), ymd(2024, 3, 7));
  EXPECT_EQ(parse_date("2024-03-07T23:30:00Z", DateFormat::auto_detect, 540), ymd(2024, 3, 8));
  EXPECT_EQ(parse_date("2024-03-07T23:30:00.123+0900", DateFormat::auto_detect, 0), ymd(2024, 3, 7));
  EXPECT_EQ(parse_date("2024-03-07T08:00:00+09", DateFormat::auto_detect, 0), ymd(2024, 3, 6));
  EXPECT_EQ(parse_date("2024-03-07 08:00+09:30", DateFormat::auto_detect, 0), ymd(2024, 3, 6));
  EXPECT_EQ(parse_date("2024-03-07 09:30+09:30", DateFormat::auto_detect, 0), ymd(2024, 3, 7));
  // A timestamp without an offset is already local: never shifted.
  EXPECT_EQ(parse_date("2024-03-07 23:30:00", DateFormat::auto_detect, 540), ymd(2024, 3, 7));
  EXPECT_EQ(parse_date("2024-03-07 00:30:00", DateFormat::auto_detect, -600), ymd(2024, 3, 7));
}

TEST(ParseDate, OffsetsAcrossMonthYearAndEpochBoundaries) {
  EXPECT_EQ(parse_date("2024-01-01T00:30:00+01:00", DateFormat::iso), ymd(2023, 12, 31));
  EXPECT_EQ(parse_date("2023-12-31T23:30:00-01:00", DateFormat::iso), ymd(2024, 1, 1));
  EXPECT_EQ(parse_date("2024-02-28T22:00:00-03:00", DateFormat::iso), ymd(2024, 2, 29));
  EXPECT_EQ(parse_date("2023-02-28T22:00:00-03:00", DateFormat::iso), ymd(2023, 3, 1));
  EXPECT_EQ(parse_date("1970-01-01T00:30:00+01:00", DateFormat::iso), -1);  // 1969-12-31
  EXPECT_EQ(parse_date("1969-12-31T23:00:00-02:00", DateFormat::iso), 0);
  EXPECT_EQ(parse_date("1960-06-15T00:00:00+00:01", DateFormat::iso), ymd(1960, 6, 14));
}

TEST(ParseDate, ImpossibleDatesAreRejected) {
  for (const char* s : {"2024-02-30", "2023-02-29", "2024-13-01", "2024-00-10", "2024-01-00", "2024-04-31",
                        "1900-02-29", "20240230", "20230229", "20241301", "2023/02/29", "2024/13/1", "2024/4/31"}) {
    EXPECT_EQ(parse_date(s, DateFormat::auto_detect), std::nullopt) << s;
  }
  EXPECT_EQ(parse_date("2024-02-29", DateFormat::auto_detect), ymd(2024, 2, 29));
  EXPECT_EQ(parse_date("2000-02-29", DateFormat::auto_detect), ymd(2000, 2, 29));
  EXPECT_EQ(parse_date("2023-02-30", DateFormat::iso), std::nullopt);
  EXPECT_EQ(parse_date("20230229", DateFormat::yyyymmdd), std::nullopt);
  EXPECT_EQ(parse_date("2023/2/29", DateFormat::ymd_slash), std::nullopt);
  EXPECT_EQ(parse_date("02/29/2023", DateFormat::mdy), std::nullopt);
  EXPECT_EQ(parse_date("29/02/2023", DateFormat::dmy), std::nullopt);
  EXPECT_EQ(parse_date("31/04/2024", DateFormat::dmy), std::nullopt);
}

TEST(ParseDate, MalformedTextIsRejected) {
  for (const char* s : {"", "   ", "2024", "2024-3-7", "2024-03-7", "2024-03-07x", "2024-03-07T", "2024-03-07 10",
                        "2024-03-07T25:00", "2024-03-07T10:60", "2024-03-07T10:15:00+15:00",
                        "2024-03-07T10:15:00+09:0", "2024-03-07T10:15:00+09:00x", "2024-03-07T10:15:00ZZ",
                        "2024-03-07_10:15", "2024.03.07", "07.03.2024", "2024/3/7/", "2024/003/07", "24/03/07",
                        "202403", "2024030a", "March 7, 2024"}) {
    EXPECT_EQ(parse_date(s, DateFormat::auto_detect), std::nullopt) << '"' << s << '"';
  }
}

TEST(ParseDate, MonthDayOrderIsNeverGuessed) {
  EXPECT_EQ(parse_date("03/07/2024", DateFormat::auto_detect), std::nullopt);
  EXPECT_EQ(parse_date("3/7/2024", DateFormat::auto_detect), std::nullopt);
  EXPECT_EQ(parse_date("13/07/2024", DateFormat::auto_detect), std::nullopt);
  EXPECT_EQ(parse_date("03/07/2024", DateFormat::mdy), ymd(2024, 3, 7));   // March 7
  EXPECT_EQ(parse_date("03/07/2024", DateFormat::dmy), ymd(2024, 7, 3));   // 3 July
  EXPECT_EQ(parse_date("3/7/2024", DateFormat::mdy), ymd(2024, 3, 7));
  EXPECT_EQ(parse_date("3/7/2024", DateFormat::dmy), ymd(2024, 7, 3));
  EXPECT_EQ(parse_date("12/31/2024", DateFormat::mdy), ymd(2024, 12, 31));
  EXPECT_EQ(parse_date("12/31/2024", DateFormat::dmy), std::nullopt);
  EXPECT_EQ(parse_date("31/12/2024", DateFormat::dmy), ymd(2024, 12, 31));
  EXPECT_EQ(parse_date("31/12/2024", DateFormat::mdy), std::nullopt);
  EXPECT_EQ(parse_date("03/07/24", DateFormat::mdy), std::nullopt);
  EXPECT_EQ(parse_date("03/07/20245", DateFormat::mdy), std::nullopt);
  EXPECT_EQ(parse_date("03-07-2024", DateFormat::mdy), std::nullopt);
  EXPECT_EQ(parse_date("2024/03/07", DateFormat::mdy), std::nullopt);
  // With a time and an offset: 23:30+09:00 on March 7 is 14:30Z.
  EXPECT_EQ(parse_date("03/07/2024 23:30:00+09:00", DateFormat::mdy, 0), ymd(2024, 3, 7));
  EXPECT_EQ(parse_date("03/07/2024 10:00", DateFormat::dmy), ymd(2024, 7, 3));
  EXPECT_EQ(parse_date("07/03/2024 20:00:00-05:00", DateFormat::dmy, 0), ymd(2024, 3, 8));
}

TEST(ParseDate, ExplicitFormatsAcceptOnlyTheirOwnForm) {
  const Day d = ymd(2024, 3, 7);
  EXPECT_EQ(parse_date("2024-03-07", DateFormat::iso), d);
  EXPECT_EQ(parse_date("2024-03-07T20:00:00-05:00", DateFormat::iso), ymd(2024, 3, 8));
  EXPECT_EQ(parse_date("20240307", DateFormat::iso), std::nullopt);
  EXPECT_EQ(parse_date("2024/03/07", DateFormat::iso), std::nullopt);

  EXPECT_EQ(parse_date("20240307", DateFormat::yyyymmdd), d);
  EXPECT_EQ(parse_date(" 20240307 ", DateFormat::yyyymmdd), d);
  EXPECT_EQ(parse_date("2024-03-07", DateFormat::yyyymmdd), std::nullopt);
  EXPECT_EQ(parse_date("202403071", DateFormat::yyyymmdd), std::nullopt);
  EXPECT_EQ(parse_date("2024037", DateFormat::yyyymmdd), std::nullopt);

  EXPECT_EQ(parse_date("2024/3/7", DateFormat::ymd_slash), d);
  EXPECT_EQ(parse_date("2024/03/07", DateFormat::ymd_slash), d);
  EXPECT_EQ(parse_date("2024/03/7", DateFormat::ymd_slash), d);
  EXPECT_EQ(parse_date("2024/12/31 23:59", DateFormat::ymd_slash), ymd(2024, 12, 31));
  EXPECT_EQ(parse_date("2024/3/7 23:30:00+09:00", DateFormat::ymd_slash, 0), d);
  EXPECT_EQ(parse_date("2024/3/7 02:00:00+09:00", DateFormat::ymd_slash, 0), ymd(2024, 3, 6));
  EXPECT_EQ(parse_date("2024-03-07", DateFormat::ymd_slash), std::nullopt);
  EXPECT_EQ(parse_date("2024/3/7/", DateFormat::ymd_slash), std::nullopt);
  EXPECT_EQ(parse_date("2024/3/", DateFormat::ymd_slash), std::nullopt);
  EXPECT_EQ(parse_date("2024/", DateFormat::ymd_slash), std::nullopt);
  EXPECT_EQ(parse_date("20240307", DateFormat::ymd_slash), std::nullopt);
}

TEST(ParseDate, YearsOutsideTheSupportedRange) {
  EXPECT_EQ(parse_date("1899-12-31", DateFormat::iso), std::nullopt);
  EXPECT_EQ(parse_date("1900-01-01", DateFormat::iso), ymd(1900, 1, 1));
  EXPECT_EQ(parse_date("2200-12-31", DateFormat::iso), ymd(2200, 12, 31));
  EXPECT_EQ(parse_date("2201-01-01", DateFormat::iso), std::nullopt);
  EXPECT_EQ(parse_date("00000101", DateFormat::yyyymmdd), std::nullopt);
}

TEST(DateFormats, NamesAndExamples) {
  EXPECT_EQ(parse_date_format("auto"), DateFormat::auto_detect);
  EXPECT_EQ(parse_date_format("iso"), DateFormat::iso);
  EXPECT_EQ(parse_date_format("%Y-%m-%d"), DateFormat::iso);
  EXPECT_EQ(parse_date_format("yyyymmdd"), DateFormat::yyyymmdd);
  EXPECT_EQ(parse_date_format("%Y%m%d"), DateFormat::yyyymmdd);
  EXPECT_EQ(parse_date_format("ymd"), DateFormat::ymd_slash);
  EXPECT_EQ(parse_date_format("%Y/%m/%d"), DateFormat::ymd_slash);
  EXPECT_EQ(parse_date_format("mdy"), DateFormat::mdy);
  EXPECT_EQ(parse_date_format("%m/%d/%Y"), DateFormat::mdy);
  EXPECT_EQ(parse_date_format("dmy"), DateFormat::dmy);
  EXPECT_EQ(parse_date_format("%d/%m/%Y"), DateFormat::dmy);
  EXPECT_EQ(parse_date_format("ISO"), std::nullopt);
  EXPECT_EQ(parse_date_format(""), std::nullopt);
  EXPECT_EQ(parse_date_format("%d.%m.%Y"), std::nullopt);

  // Each example's first date parses, in its own format, to 2024-03-07.
  for (DateFormat f : {DateFormat::auto_detect, DateFormat::iso, DateFormat::yyyymmdd, DateFormat::ymd_slash,
                       DateFormat::mdy, DateFormat::dmy}) {
    const std::string_view example = koko::io::date_format_example(f);
    const std::string_view first = example.substr(0, example.find_first_of(" ,"));
    EXPECT_EQ(parse_date(first, f), ymd(2024, 3, 7)) << example;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// IDs

TEST(NormaliseId, StripsADecimalZeroOnlyWhenAsked) {
  EXPECT_EQ(normalise_id("17850.0", true), "17850");
  EXPECT_EQ(normalise_id("17850.0", false), "17850.0");
  EXPECT_EQ(normalise_id("17850.00", true), "17850");
  EXPECT_EQ(normalise_id("17850", true), "17850");
  EXPECT_EQ(normalise_id("0.0", true), "0");
  EXPECT_EQ(normalise_id("00012.0", true), "00012");  // leading zeros stay
  EXPECT_EQ(normalise_id(" 42.0\r", true), "42");
}

TEST(NormaliseId, KeepsEverythingElse) {
  for (const bool strip : {false, true}) {
    EXPECT_EQ(normalise_id("00012", strip), "00012");
    EXPECT_EQ(normalise_id(" A1 ", strip), "A1");
    EXPECT_EQ(normalise_id("\tA1\t", strip), "A1");
    EXPECT_EQ(normalise_id("1.5", strip), "1.5");
    EXPECT_EQ(normalise_id("1.50", strip), "1.50");
    EXPECT_EQ(normalise_id("A1.0", strip), "A1.0");
    EXPECT_EQ(normalise_id("-1.0", strip), "-1.0");
    EXPECT_EQ(normalise_id(".0", strip), ".0");
    EXPECT_EQ(normalise_id("1.0.0", strip), "1.0.0");
    EXPECT_EQ(normalise_id("1e3", strip), "1e3");
    EXPECT_EQ(normalise_id("顧客 7", strip), "顧客 7");
    EXPECT_EQ(normalise_id("", strip), "");
    EXPECT_EQ(normalise_id("   ", strip), "");
  }
}

TEST(Trim, SpacesTabsAndTrailingCr) {
  EXPECT_EQ(trim(" \tabc \t\r"), "abc");
  EXPECT_EQ(trim("a b"), "a b");
  EXPECT_EQ(trim(""), "");
  EXPECT_EQ(trim(" \t "), "");
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------------
// Japanese and Excel inputs: yen amounts, 円, full-width digits, Japanese and era dates, Excel serial days.

namespace {

using koko::io::date_hint;
using koko::io::parse_money;

std::optional<Dec> money(std::string_view s, bool yen) {
  const auto d = parse_money(s, yen);
  if (!d) return std::nullopt;
  return Dec{d->mantissa, d->scale};
}

bool mentions(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

TEST(ParseMoney, YenAsJapaneseShopsWriteIt) {
  for (const char* s : {"¥1,200", "￥１，２００", "1,200円", "１，２００円", "1200", "¥1200", "1,200 円", " ￥1,200 ",
                        "１２００"})
    EXPECT_EQ(money(s, true), Dec(1200, 0)) << s;
  // In a JPY field a backslash is the yen sign: byte 0x5C of Shift_JIS, shown as ¥ on Japanese Windows.
  EXPECT_EQ(money("\\1,200", true), Dec(1200, 0));
  EXPECT_EQ(money("-\\1,200", true), Dec(-1200, 0));
  EXPECT_EQ(money("-¥1,200", true), Dec(-1200, 0));
  EXPECT_EQ(money("−1,200円", true), std::nullopt) << "U+2212 MINUS SIGN is not NFKC-folded to '-'";
  EXPECT_EQ(money("－1,200円", true), Dec(-1200, 0)) << "full-width hyphen-minus U+FF0D";
  EXPECT_EQ(money("0円", true), Dec(0, 0));
  // The other currencies are unchanged, full width too.
  EXPECT_EQ(money("＄１２．３４", false), Dec(1234, 2));
  EXPECT_EQ(money("$12.34", false), Dec(1234, 2));
  EXPECT_EQ(money("£3", false), Dec(3, 0));
  EXPECT_EQ(money("€1,234.50", false), Dec(123450, 2));
}

TEST(ParseMoney, OneCurrencySignAtMost) {
  for (const bool yen : {false, true}) {
    for (const char* s : {"¥1,200円", "￥1,200円", "\\1,200円", "$$5", "¥¥5", "$¥5", "\\\\5", "1,200円円", "¥", "円",
                          "$", "¥-", "1.2.3円", "1,20円"})
      EXPECT_EQ(money(s, yen), std::nullopt) << s << (yen ? " (JPY)" : "");
  }
}

TEST(ParseMoney, BackslashIsYenOnlyInAJpyField) {
  EXPECT_EQ(money("\\1,200", false), std::nullopt);
  EXPECT_EQ(money("1\\200", true), std::nullopt) << "only as a leading sign";
  EXPECT_EQ(money("1,200\\", true), std::nullopt);
}

TEST(ParseDate, SlashedAndJapaneseDates) {
  const Day d = ymd(2024, 3, 7);
  for (const char* s : {"2024/03/07", "2024/3/7", "2024年3月7日", "2024年03月07日", "２０２４年３月７日",
                        "２０２４／０３／０７", "令和6年3月7日", "令和６年３月７日", "㋿6年3月7日"})
    EXPECT_EQ(parse_date(s, DateFormat::auto_detect), d) << s;
  // Japanese dates are read whatever the format named for the rest of the file.
  for (const DateFormat f : {DateFormat::iso, DateFormat::yyyymmdd, DateFormat::ymd_slash, DateFormat::mdy,
                             DateFormat::dmy, DateFormat::excel})
    EXPECT_EQ(parse_date("2024年3月7日", f), d);
  // With a time, as carts export it.
  EXPECT_EQ(parse_date("2024年3月7日 10:15", DateFormat::auto_detect), d);
  EXPECT_EQ(parse_date("2024/03/07 10:15:00", DateFormat::auto_detect), d);
}

TEST(ParseDate, EraDatesIncludingGannen) {
  EXPECT_EQ(parse_date("令和元年5月1日", DateFormat::auto_detect), ymd(2019, 5, 1));
  EXPECT_EQ(parse_date("平成31年4月30日", DateFormat::auto_detect), ymd(2019, 4, 30));
  EXPECT_EQ(parse_date("㍻31年4月30日", DateFormat::auto_detect), ymd(2019, 4, 30)) << "the square era sign";
  EXPECT_EQ(parse_date("平成元年1月8日", DateFormat::auto_detect), ymd(1989, 1, 8));
  EXPECT_EQ(parse_date("昭和64年1月7日", DateFormat::auto_detect), ymd(1989, 1, 7));
  EXPECT_EQ(parse_date("平成2年12月31日", DateFormat::auto_detect), ymd(1990, 12, 31));
  // Days outside their era never were.
  for (const char* s : {"平成31年5月1日", "令和元年4月30日", "平成元年1月7日", "昭和64年1月8日", "令和0年5月1日",
                        "元年5月1日", "令和元年元月1日"})
    EXPECT_EQ(parse_date(s, DateFormat::auto_detect), std::nullopt) << s;
}

TEST(ParseDate, ImpossibleJapaneseAndSlashedDates) {
  for (const char* s : {"2024/02/30", "2023/02/29", "2024/13/01", "2024/00/10", "2024/1/32", "2024年2月30日",
                        "2024年13月1日", "2024年3月", "2024年3月7", "3月7日", "2024年3月7日x", "2024/3/7/1"})
    EXPECT_EQ(parse_date(s, DateFormat::auto_detect), std::nullopt) << s;
  EXPECT_EQ(parse_date("2024/02/29", DateFormat::auto_detect), ymd(2024, 2, 29));
}

TEST(ParseDate, AmbiguousDayMonthNeedsAFormat) {
  EXPECT_EQ(parse_date("03/07/2024", DateFormat::auto_detect), std::nullopt);
  const std::string hint = date_hint("03/07/2024", DateFormat::auto_detect);
  EXPECT_TRUE(mentions(hint, "ambiguous")) << hint;
  EXPECT_TRUE(mentions(hint, "--date-format mdy")) << hint;
  EXPECT_TRUE(mentions(hint, "--date-format dmy")) << hint;
  EXPECT_TRUE(mentions(hint, "'03/07/2024'")) << hint;
  EXPECT_EQ(parse_date("03/07/2024", DateFormat::mdy), ymd(2024, 3, 7));
  EXPECT_EQ(parse_date("03/07/2024", DateFormat::dmy), ymd(2024, 7, 3));
  // Full width, the same.
  EXPECT_TRUE(mentions(date_hint("０３／０７／２０２４", DateFormat::auto_detect), "ambiguous"));
  // A named format that does not fit says what it expected.
  const std::string named = date_hint("2024-03-07", DateFormat::dmy);
  EXPECT_TRUE(mentions(named, "07/03/2024 (day first)")) << named;
  EXPECT_TRUE(mentions(named, "2024年3月7日")) << named;
}

TEST(ParseDate, ExcelSerialDays) {
  const auto excel = [](std::string_view s) { return parse_date(s, DateFormat::excel); };
  EXPECT_EQ(excel("1"), ymd(1900, 1, 1));
  EXPECT_EQ(excel("59"), ymd(1900, 2, 28));
  EXPECT_EQ(excel("60"), std::nullopt) << "Excel's 1900-02-29 never was";
  EXPECT_EQ(excel("61"), ymd(1900, 3, 1));
  EXPECT_EQ(excel("45358"), ymd(2024, 3, 7));
  EXPECT_EQ(excel("45358.75"), ymd(2024, 3, 7)) << "the fraction is the time of day";
  EXPECT_EQ(excel("45358.999999"), ymd(2024, 3, 7));
  EXPECT_EQ(excel("４５３５８"), ymd(2024, 3, 7));
  EXPECT_EQ(excel("2958465"), ymd(9999, 12, 31));
  for (const char* s : {"0", "-1", "0.5", "2958466", "", "abc", "45358x", "2024-03-07", "1e5"})
    EXPECT_EQ(excel(s), std::nullopt) << s;
  // Serial numbers are never guessed in the other formats.
  EXPECT_EQ(parse_date("45358", DateFormat::auto_detect), std::nullopt);
  EXPECT_TRUE(mentions(date_hint("x", DateFormat::excel), "45358"));
}

TEST(ParseDate, TimestampsWithASpaceBeforeTheOffset) {
  // Shopify: "2024-03-07 10:15:00 +0900" is 01:15 UTC.
  EXPECT_EQ(parse_date("2024-03-07 10:15:00 +0900", DateFormat::auto_detect), ymd(2024, 3, 7));
  EXPECT_EQ(parse_date("2024-03-07 10:15:00 +0900", DateFormat::iso, 540), ymd(2024, 3, 7));
  // 05:00 in Tokyo is the previous day in UTC, and the same day in a Tokyo workspace.
  EXPECT_EQ(parse_date("2024-03-07 05:00:00 +0900", DateFormat::auto_detect), ymd(2024, 3, 6));
  EXPECT_EQ(parse_date("2024-03-07 05:00:00 +0900", DateFormat::auto_detect, 540), ymd(2024, 3, 7));
  EXPECT_EQ(parse_date("2024-03-07 23:30:00 -0500", DateFormat::auto_detect), ymd(2024, 3, 8));
  EXPECT_EQ(parse_date("2024-03-07 10:15:00 +09:00", DateFormat::auto_detect), ymd(2024, 3, 7));
  for (const char* s : {"2024-03-07 10:15:00 +", "2024-03-07 10:15:00  +0900", "2024-03-07 10:15:00 +0960",
                        "2024-03-07 10:15:00 +1500", "2024-03-07 10:15:00 0900", "2024-03-07 10:15:00 +09000"})
    EXPECT_EQ(parse_date(s, DateFormat::auto_detect), std::nullopt) << s;
}

}  // namespace
