#include "koko/io/fields.hpp"

#include <array>
#include <limits>
#include <string>

#include <fmt/format.h>

#include "koko/io/encoding.hpp"

namespace koko::io {

namespace {
constexpr std::array<int64_t, 19> kPow10 = {1,
                                            10,
                                            100,
                                            1000,
                                            10000,
                                            100000,
                                            1000000,
                                            10000000,
                                            100000000,
                                            1000000000,
                                            10000000000,
                                            100000000000,
                                            1000000000000,
                                            10000000000000,
                                            100000000000000,
                                            1000000000000000,
                                            10000000000000000,
                                            100000000000000000,
                                            1000000000000000000};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Strips one leading currency sign (ASCII or UTF-8).
std::string_view strip_currency(std::string_view s) {
  for (std::string_view sign : {"$", "\xC2\xA3", "\xE2\x82\xAC", "\xC2\xA5"}) {
    if (s.starts_with(sign)) return s.substr(sign.size());
  }
  return s;
}

// Reads exactly n digits at s[i..] into v.
bool digits(std::string_view s, size_t i, size_t n, int& v) {
  if (i + n > s.size()) return false;
  v = 0;
  for (size_t k = i; k < i + n; ++k) {
    if (!is_digit(s[k])) return false;
    v = v * 10 + (s[k] - '0');
  }
  return true;
}

// Reads 1 or 2 digits at s[i..]; advances i.
bool digits12(std::string_view s, size_t& i, int& v) {
  if (i >= s.size() || !is_digit(s[i])) return false;
  v = s[i++] - '0';
  if (i < s.size() && is_digit(s[i])) v = v * 10 + (s[i++] - '0');
  return true;
}

std::optional<Day> make_day(int y, int m, int d) {
  if (y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1) return std::nullopt;
  if (static_cast<unsigned>(d) > days_in_month(y, static_cast<unsigned>(m))) return std::nullopt;
  return days_from_civil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
}

// Optional " HH:MM[:SS[.fff]]" or "THH:MM..." then an optional "Z" / "+09:00" / "+0900". Returns minutes since
// midnight and the offset in minutes (nullopt when none given), or false on malformed text.
bool parse_time_tail(std::string_view t, int& minutes, std::optional<int>& offset) {
  minutes = 0;
  offset.reset();
  if (t.empty()) return true;
  if (t[0] != ' ' && t[0] != 'T') return false;
  size_t i = 1;
  int hh = 0, mm = 0, ss = 0;
  // The hour may have one digit ("2024/3/8 9:00" from Japanese carts and Excel).
  if (!digits12(t, i, hh) || i >= t.size() || t[i] != ':' || !digits(t, i + 1, 2, mm)) return false;
  i += 3;
  if (i < t.size() && t[i] == ':') {
    if (!digits(t, i + 1, 2, ss)) return false;
    i += 3;
    if (i < t.size() && (t[i] == '.' || t[i] == ',')) {
      ++i;
      while (i < t.size() && is_digit(t[i])) ++i;
    }
  }
  if (hh > 24 || mm > 59 || ss > 60) return false;
  minutes = hh * 60 + mm;
  if (i == t.size()) return true;
  if (t[i] == ' ' && i + 1 < t.size()) ++i;  // "10:15:00 +0900" (Shopify)
  if (t[i] == 'Z' && i + 1 == t.size()) {
    offset = 0;
    return true;
  }
  if (t[i] != '+' && t[i] != '-') return false;
  const int sign = t[i] == '-' ? -1 : 1;
  int oh = 0, om = 0;
  if (!digits(t, i + 1, 2, oh)) return false;
  size_t j = i + 3;
  if (j < t.size() && t[j] == ':') ++j;
  if (j < t.size()) {
    if (!digits(t, j, 2, om)) return false;
    j += 2;
  }
  if (j != t.size() || oh > 14 || om > 59) return false;
  offset = sign * (oh * 60 + om);
  return true;
}

std::optional<Day> with_time(Day day, std::string_view tail, int utc_offset_minutes) {
  int minutes = 0;
  std::optional<int> offset;
  if (!parse_time_tail(tail, minutes, offset)) return std::nullopt;
  if (!offset) return day;  // a local time already
  const int64_t utc_minutes = int64_t{day} * 1440 + minutes - *offset + utc_offset_minutes;
  return static_cast<Day>(utc_minutes >= 0 ? utc_minutes / 1440 : (utc_minutes - 1439) / 1440);
}

std::optional<Day> parse_iso(std::string_view s, int off) {
  int y = 0, m = 0, d = 0;
  if (s.size() < 10 || !digits(s, 0, 4, y) || s[4] != '-' || !digits(s, 5, 2, m) || s[7] != '-' ||
      !digits(s, 8, 2, d))
    return std::nullopt;
  auto day = make_day(y, m, d);
  if (!day) return std::nullopt;
  return with_time(*day, s.substr(10), off);
}

std::optional<Day> parse_yyyymmdd(std::string_view s) {
  int y = 0, m = 0, d = 0;
  if (s.size() != 8 || !digits(s, 0, 4, y) || !digits(s, 4, 2, m) || !digits(s, 6, 2, d)) return std::nullopt;
  return make_day(y, m, d);
}

// a/b/c with 1–2 digit parts and a 4-digit year first (ymd) or last (mdy, dmy); an optional time tail.
std::optional<Day> parse_slashed(std::string_view s, DateFormat f, int off) {
  size_t i = 0;
  int a = 0, b = 0, c = 0;
  if (f == DateFormat::ymd_slash) {
    if (!digits(s, 0, 4, a) || s.size() < 5 || s[4] != '/') return std::nullopt;
    i = 5;
    if (!digits12(s, i, b) || i >= s.size() || s[i++] != '/' || !digits12(s, i, c)) return std::nullopt;
    auto day = make_day(a, b, c);
    return day ? with_time(*day, s.substr(i), off) : std::nullopt;
  }
  if (!digits12(s, i, a) || i >= s.size() || s[i++] != '/' || !digits12(s, i, b) || i >= s.size() ||
      s[i++] != '/' || !digits(s, i, 4, c))
    return std::nullopt;
  i += 4;
  auto day = f == DateFormat::mdy ? make_day(c, a, b) : make_day(c, b, a);
  return day ? with_time(*day, s.substr(i), off) : std::nullopt;
}
}  // namespace

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::optional<Decimal> parse_decimal(std::string_view s) {
  s = trim(s);
  bool neg = false, sign = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    sign = true;
    s.remove_prefix(1);
  }
  s = strip_currency(s);
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {  // "$-4.00"; a second sign ("+-1", "+$-4") is no number
    if (sign) return std::nullopt;
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  int64_t mant = 0;
  int scale = 0;
  size_t i = 0, int_digits = 0, group = 0;
  bool grouped = false, any = false;
  for (; i < s.size() && s[i] != '.'; ++i) {
    const char c = s[i];
    if (c == ',') {
      // Thousands separators: 1–3 digits first, then groups of exactly three.
      if (int_digits == 0 || (grouped ? group != 3 : int_digits > 3)) return std::nullopt;
      grouped = true;
      group = 0;
      continue;
    }
    if (!is_digit(c)) return std::nullopt;
    if (mant > (std::numeric_limits<int64_t>::max() - 9) / 10) return std::nullopt;
    mant = mant * 10 + (c - '0');
    ++int_digits;
    ++group;
    any = true;
  }
  if (grouped && group != 3) return std::nullopt;
  if (i < s.size()) {
    ++i;  // the decimal point
    for (; i < s.size(); ++i) {
      if (!is_digit(s[i]) || scale >= 6) return std::nullopt;
      if (mant > (std::numeric_limits<int64_t>::max() - 9) / 10) return std::nullopt;
      mant = mant * 10 + (s[i] - '0');
      ++scale;
      any = true;
    }
  }
  if (!any) return std::nullopt;
  return Decimal{neg ? -mant : mant, scale};
}

int64_t round_scaled(int64_t value, int from_scale, int to_scale) {
  if (to_scale >= from_scale) return value * kPow10[static_cast<size_t>(to_scale - from_scale)];
  const int64_t div = kPow10[static_cast<size_t>(from_scale - to_scale)];
  const int64_t q = value / div, r = value % div;
  if (2 * (r < 0 ? -r : r) >= div) return value < 0 ? q - 1 : q + 1;
  return q;
}

int64_t to_minor_units(Decimal d, int minor_digits) { return round_scaled(d.mantissa, d.scale, minor_digits); }

std::optional<int64_t> rescale(Decimal d, int scale) {
  if (scale < d.scale) return std::nullopt;
  if (scale - d.scale >= static_cast<int>(kPow10.size()))  // 10^19 and up do not fit in 64 bits
    return d.mantissa == 0 ? std::optional<int64_t>(0) : std::nullopt;
  const int64_t f = kPow10[static_cast<size_t>(scale - d.scale)];
  const int64_t limit = std::numeric_limits<int64_t>::max() / f;
  if (d.mantissa > limit || d.mantissa < -limit) return std::nullopt;
  return d.mantissa * f;
}

bool has_yen_sign(std::string_view s) {
  return s.find("円") != std::string_view::npos || s.find("\xC2\xA5") != std::string_view::npos ||
         s.find("\xEF\xBF\xA5") != std::string_view::npos;
}

std::optional<Decimal> parse_money(std::string_view raw, bool yen) {
  std::string s = nfkc(trim(raw));
  std::string_view v = trim(s);
  int signs = 0;
  if (v.ends_with("円")) {
    v.remove_suffix(std::string_view("円").size());
    v = trim(v);
    ++signs;
  }
  // Count the leading currency signs (after an optional minus) so that "¥1,200円" or "$$5" are refused.
  std::string_view body = v;
  if (!body.empty() && (body[0] == '-' || body[0] == '+')) body.remove_prefix(1);
  for (std::string_view sign : {"$", "\xC2\xA3", "\xE2\x82\xAC", "\xC2\xA5", "\\"}) {
    while (body.starts_with(sign)) {
      if (sign == "\\" && !yen) return std::nullopt;
      body.remove_prefix(sign.size());
      ++signs;
    }
  }
  if (signs > 1) return std::nullopt;
  if (yen) {
    std::string copy(v);
    const auto at = copy.find('\\');
    if (at != std::string::npos) copy.replace(at, 1, "\xC2\xA5");
    return parse_decimal(copy);
  }
  return parse_decimal(v);
}

std::optional<int64_t> parse_int(std::string_view s) {
  s = trim(s);
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty() || s.size() > 18) return std::nullopt;
  int64_t v = 0;
  for (char c : s) {
    if (!is_digit(c)) return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return neg ? -v : v;
}

std::optional<DateFormat> parse_date_format(std::string_view name) {
  if (name == "auto") return DateFormat::auto_detect;
  if (name == "iso" || name == "%Y-%m-%d") return DateFormat::iso;
  if (name == "yyyymmdd" || name == "%Y%m%d") return DateFormat::yyyymmdd;
  if (name == "ymd" || name == "%Y/%m/%d") return DateFormat::ymd_slash;
  if (name == "mdy" || name == "%m/%d/%Y") return DateFormat::mdy;
  if (name == "dmy" || name == "%d/%m/%Y") return DateFormat::dmy;
  if (name == "excel") return DateFormat::excel;
  return std::nullopt;
}

std::string_view date_format_example(DateFormat f) {
  switch (f) {
    case DateFormat::auto_detect: return "2024-03-07, 20240307 or 2024/03/07";
    case DateFormat::iso: return "2024-03-07 (optionally with a time and offset: 2024-03-07 10:15:00+09:00)";
    case DateFormat::yyyymmdd: return "20240307";
    case DateFormat::ymd_slash: return "2024/03/07";
    case DateFormat::mdy: return "03/07/2024 (month first)";
    case DateFormat::dmy: return "07/03/2024 (day first)";
    case DateFormat::excel: return "an Excel serial day number such as 45358";
  }
  return "";
}

namespace {
struct Era {
  const char* name;
  int first_year;  // the era's year 1 in the Gregorian calendar
  Day start;       // first day of the era
};
const Era kEras[] = {
    {"明治", 1868, days_from_civil(1868, 10, 23)}, {"大正", 1912, days_from_civil(1912, 7, 30)},
    {"昭和", 1926, days_from_civil(1926, 12, 25)}, {"平成", 1989, days_from_civil(1989, 1, 8)},
    {"令和", 2019, days_from_civil(2019, 5, 1)},
};

// 2024年3月7日, 令和6年3月7日, 令和元年5月1日 (after NFKC), with an optional time tail.
std::optional<Day> parse_japanese(std::string_view s, int off) {
  const Era* era = nullptr;
  for (const auto& e : kEras) {
    if (s.starts_with(e.name)) {
      era = &e;
      s.remove_prefix(std::string_view(e.name).size());
      break;
    }
  }
  auto number = [&](std::string_view unit, int& v) {
    size_t i = 0;
    v = 0;
    if (era && unit == "年" && s.starts_with("元")) {
      s.remove_prefix(std::string_view("元").size());
      v = 1;
    } else {
      while (i < s.size() && is_digit(s[i]) && i < 4) v = v * 10 + (s[i++] - '0');
      if (i == 0) return false;
      s.remove_prefix(i);
    }
    if (!s.starts_with(unit)) return false;
    s.remove_prefix(unit.size());
    return true;
  };
  int y = 0, m = 0, d = 0;
  if (!number("年", y) || !number("月", m) || !number("日", d)) return std::nullopt;
  if (era) y += era->first_year - 1;
  auto day = make_day(y, m, d);
  if (!day) return std::nullopt;
  if (era) {
    const Era* next = era + 1 < std::end(kEras) ? era + 1 : nullptr;
    if (*day < era->start || (next && *day >= next->start)) return std::nullopt;  // 平成31年5月1日 does not exist
  }
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  const std::string tail = s.empty() ? std::string() : " " + std::string(s);  // "2024年3月7日 10:15"
  return with_time(*day, tail, off);
}

std::optional<Day> parse_excel(std::string_view s) {
  const auto d = parse_decimal(s);
  if (!d || d->mantissa <= 0) return std::nullopt;
  int64_t serial = d->mantissa;
  for (int k = 0; k < d->scale; ++k) serial /= 10;  // the fraction is the time of day
  // 0.5 is day 0 ("1900-01-00"); 1900-02-29 never was; 9999-12-31 is the last.
  if (serial < 1 || serial == 60 || serial > 2958465) return std::nullopt;
  const Day base = days_from_civil(1899, 12, 31);             // serial 1 = 1900-01-01
  return static_cast<Day>(base + serial - (serial > 60 ? 1 : 0));
}
}  // namespace

std::optional<Day> parse_date(std::string_view raw, DateFormat f, int utc_offset_minutes) {
  const std::string normalised = nfkc(trim(raw));
  const std::string_view s = normalised;
  if (s.find("年") != std::string_view::npos) return parse_japanese(s, utc_offset_minutes);
  switch (f) {
    case DateFormat::iso: return parse_iso(s, utc_offset_minutes);
    case DateFormat::yyyymmdd: return parse_yyyymmdd(s);
    case DateFormat::excel: return parse_excel(s);
    case DateFormat::ymd_slash:
    case DateFormat::mdy:
    case DateFormat::dmy: return parse_slashed(s, f, utc_offset_minutes);
    case DateFormat::auto_detect:
      // "2024/3/7" is 8 characters too: the slash decides before the length.
      if (s.size() >= 8 && s[4] == '/') return parse_slashed(s, DateFormat::ymd_slash, utc_offset_minutes);
      if (s.size() == 8) return parse_yyyymmdd(s);
      if (s.size() >= 10 && s[4] == '-') return parse_iso(s, utc_offset_minutes);
      return std::nullopt;  // 03/07/2024 is ambiguous: --date-format mdy or dmy
  }
  return std::nullopt;
}

std::string date_hint(std::string_view value, DateFormat f) {
  const std::string v = nfkc(trim(value));
  size_t i = 0;
  int a = 0, b = 0;
  const bool slashed_day_first = digits12(v, i, a) && i < v.size() && v[i++] == '/' && digits12(v, i, b) &&
                                 i < v.size() && v[i] == '/';
  if (f == DateFormat::auto_detect && slashed_day_first)
    return fmt::format("'{}' is ambiguous (month/day or day/month?): pass --date-format mdy or --date-format dmy",
                       trim(value));
  return fmt::format("expected {}, or 2024年3月7日; set --date-format if the file uses another form",
                     date_format_example(f));
}

std::string_view normalise_id(std::string_view s, bool strip_decimal_zero) {
  s = trim(s);
  if (strip_decimal_zero) {
    size_t dot = s.find('.');
    if (dot != std::string_view::npos && dot > 0) {
      bool zeros = true;
      for (size_t k = dot + 1; k < s.size(); ++k) zeros = zeros && s[k] == '0';
      bool digits_before = true;
      for (size_t k = 0; k < dot; ++k) digits_before = digits_before && is_digit(s[k]);
      if (zeros && digits_before) s = s.substr(0, dot);
    }
  }
  return s;
}

}  // namespace koko::io
