#include "koko/core/date.hpp"

#include <fmt/format.h>

namespace koko {

std::string format_date(Day d) {
  const CivilDate c = civil_from_days(d);
  return fmt::format("{:04d}-{:02d}-{:02d}", c.year, c.month, c.day);
}

std::string format_month(int month_idx) {
  return fmt::format("{:04d}-{:02d}", month_idx / 12, month_idx % 12 + 1);
}

std::optional<Day> parse_iso_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  int v[3] = {0, 0, 0};
  const int start[3] = {0, 5, 8};
  const int len[3] = {4, 2, 2};
  for (int k = 0; k < 3; ++k) {
    for (int i = 0; i < len[k]; ++i) {
      const char c = s[static_cast<size_t>(start[k] + i)];
      if (c < '0' || c > '9') return std::nullopt;
      v[k] = v[k] * 10 + (c - '0');
    }
  }
  if (v[1] < 1 || v[1] > 12) return std::nullopt;
  if (v[2] < 1 || static_cast<unsigned>(v[2]) > days_in_month(v[0], static_cast<unsigned>(v[1]))) return std::nullopt;
  return days_from_civil(v[0], static_cast<unsigned>(v[1]), static_cast<unsigned>(v[2]));
}

}  // namespace koko
