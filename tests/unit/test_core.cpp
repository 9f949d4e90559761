#include <gtest/gtest.h>

#include "koko/core/date.hpp"

using namespace koko;

TEST(Date, RoundTripsCivilDates) {
  EXPECT_EQ(days_from_civil(1970, 1, 1), 0);
  EXPECT_EQ(days_from_civil(1997, 1, 1), 9862);
  EXPECT_EQ(format_date(days_from_civil(2024, 2, 29)), "2024-02-29");
  for (Day d = -800000; d < 800000; d += 997) {
    const CivilDate c = civil_from_days(d);
    EXPECT_EQ(days_from_civil(c.year, c.month, c.day), d);
  }
}

TEST(Date, ParsesStrictIso) {
  EXPECT_EQ(parse_iso_date("1997-09-30"), days_from_civil(1997, 9, 30));
  EXPECT_FALSE(parse_iso_date("2024-02-30"));
  EXPECT_FALSE(parse_iso_date("2023-02-29"));
  EXPECT_FALSE(parse_iso_date("2024-13-01"));
  EXPECT_FALSE(parse_iso_date("2024/01/01"));
  EXPECT_EQ(format_month(month_index(days_from_civil(1998, 6, 30))), "1998-06");
}
