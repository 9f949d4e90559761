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

#include <fstream>

#include "koko/core/config.hpp"
#include "koko/core/error.hpp"
#include "koko/core/money.hpp"
#include "koko/core/progress.hpp"

TEST(Money, FormatsMinorUnitsPerCurrency) {
  EXPECT_EQ(format_money(250031563, "USD"), "$2,500,315.63");
  EXPECT_EQ(format_money(-89681249, "GBP"), "-£896,812.49");
  EXPECT_EQ(format_money(1200, "JPY"), "¥1,200");
  EXPECT_EQ(format_money(5, "EUR"), "€0.05");
  EXPECT_EQ(format_money(123456, "CHF"), "1,234.56 CHF");
  EXPECT_EQ(format_count(0), "0");
  EXPECT_EQ(format_count(999), "999");
  EXPECT_EQ(format_count(1000), "1,000");
  EXPECT_EQ(format_count(-23570), "-23,570");
  EXPECT_EQ(currency_digits("JPY"), 0);
  EXPECT_EQ(currency_digits("USD"), 2);
}

TEST(Config, ReadsTomlAndRecordsWhatWasUsed) {
  const auto p = std::filesystem::temp_directory_path() / ("koko-test-config-" + std::to_string(getpid()) + ".toml");
  std::ofstream(p) << "currency = \"JPY\"\n[overview]\nsecond_purchase_windows = [7, 30]\n"
                      "[inputs.orders]\nfile = \"orders.csv\"\n";
  const Config c = Config::load(p);
  EXPECT_EQ(c.get_ints("overview.second_purchase_windows", {30, 90, 365}), (std::vector<int>{7, 30}));
  EXPECT_EQ(c.get_doubles("overview.top_shares", {0.01, 0.1}), (std::vector<double>{0.01, 0.1}));
  EXPECT_EQ(c.peek("inputs.orders.file"), "orders.csv");
  // peek does not count as a setting used; get_* does, defaults included.
  EXPECT_EQ(c.used().size(), 2u);
  EXPECT_EQ(c.used().at("overview.top_shares"), "[0.01, 0.1]");
}

TEST(Config, BadValuesAndSyntaxAreErrorsWithLocations) {
  const auto p = std::filesystem::temp_directory_path() / ("koko-test-config-bad-" + std::to_string(getpid()) + ".toml");
  std::ofstream(p) << "[overview]\nsecond_purchase_windows = [\"a\"]\nx = \n";
  try {
    Config::load(p);
    FAIL() << "expected a parse error";
  } catch (const Error& e) {
    EXPECT_NE(e.location.find(":3:"), std::string::npos) << e.location;
  }
  Config c;
  c.set("overview.windows", "[30, x]");
  EXPECT_THROW(c.get_ints("overview.windows", {}), Error);
  c.set("n", "3.5");
  EXPECT_THROW(c.get_int("n", 1), Error);
}

TEST(Progress, IsSilentWhenStderrIsNotATerminal) {
  // ctest pipes stderr, so the bar must stay off.
  Progress p("test", 100);
  EXPECT_FALSE(p.enabled());
  p.update(50, 1000);
  p.finish();
}

#include "koko/core/output_file.hpp"

TEST(OutputFile, WritesAllOrNothingAndNeverReplacesADevice) {
  const auto dir = std::filesystem::temp_directory_path();
  const auto p = (dir / ("koko-test-out-" + std::to_string(getpid()) + ".csv")).string();
  {
    OutputFile f(p);
    f.write("half");
  }  // not committed: nothing left behind
  EXPECT_FALSE(std::filesystem::exists(p));
  EXPECT_FALSE(std::filesystem::exists(p + ".tmp"));
  {
    OutputFile f(p);
    f.write("a,b\n");
    f.commit();
  }
  std::ifstream in(p);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "a,b");
  {
    OutputFile f("/dev/null");
    f.write("discarded");
    f.commit();
  }
  EXPECT_TRUE(std::filesystem::is_character_file("/dev/null"));
}
