#pragma once
// Calendar days as plain integers: days since 1970-01-01 (proleptic Gregorian), so date arithmetic is subtraction.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace koko {

using Day = int32_t;

struct CivilDate {
  int year;
  unsigned month;  // 1..12
  unsigned day;    // 1..31
};

// Howard Hinnant's days_from_civil / civil_from_days algorithms (public domain formulas).
constexpr Day days_from_civil(int y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<Day>(era * 146097 + static_cast<int>(doe) - 719468);
}

constexpr CivilDate civil_from_days(Day z0) {
  const int z = z0 + 719468;
  const int era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int y = static_cast<int>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {m <= 2 ? y + 1 : y, m, d};
}

constexpr bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

constexpr unsigned days_in_month(int y, unsigned m) {
  constexpr unsigned k[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : k[m - 1];
}

// Month index (year*12 + month-1), for grouping by calendar month.
constexpr int month_index(Day d) {
  const CivilDate c = civil_from_days(d);
  return c.year * 12 + static_cast<int>(c.month) - 1;
}
constexpr Day first_day_of_month_index(int mi) {
  return days_from_civil(mi / 12, static_cast<unsigned>(mi % 12) + 1, 1);
}

std::string format_date(Day d);             // YYYY-MM-DD
std::string format_month(int month_idx);    // YYYY-MM
std::optional<Day> parse_iso_date(std::string_view s);  // strict YYYY-MM-DD

}  // namespace koko
