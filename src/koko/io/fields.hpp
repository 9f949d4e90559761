#pragma once
// Typed fields: money as integer minor units, dates as local calendar days, opaque IDs.
// Parsers return std::nullopt on failure; callers turn that into an Error naming file:line:column.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "koko/core/date.hpp"

namespace koko::io {

// An exact decimal: value = mantissa / 10^scale.
struct Decimal {
  int64_t mantissa = 0;
  int scale = 0;
};

// "12.34", "-5", "1,234.50", "$12.34", "£3", "-$4.00", "(12.00)" is not accepted. Thousands separators must be
// well placed. Up to 6 decimals. Currency signs: $ £ € ¥.
std::optional<Decimal> parse_decimal(std::string_view s);

// Money as shops and spreadsheets write it: parse_decimal after NFKC (full-width digits, ￥ → ¥), plus a trailing
// 円 and, with yen = true, a leading backslash (the yen sign at byte 0x5C of Shift_JIS). One currency sign at most:
// "¥1,200円" and "$$5" are refused.
std::optional<Decimal> parse_money(std::string_view s, bool yen);

// True when the text carries a yen sign (円, ¥ or full-width ￥): such amounts need a JPY workspace.
bool has_yen_sign(std::string_view s);

// Rounds value * 10^minor_digits half away from zero to an integer.
int64_t to_minor_units(Decimal d, int minor_digits);

// value at a fixed scale (e.g. 6 for micro-units), for exact sums of quantity × unit price.
std::optional<int64_t> rescale(Decimal d, int scale);
int64_t round_scaled(int64_t value, int from_scale, int to_scale);  // half away from zero

std::optional<int64_t> parse_int(std::string_view s);

enum class DateFormat {
  auto_detect,  // YYYY-MM-DD[ HH:MM[:SS]][offset], YYYYMMDD, YYYY/MM/DD
  iso,          // YYYY-MM-DD with optional time and offset
  yyyymmdd,
  ymd_slash,    // YYYY/MM/DD or YYYY/M/D
  mdy,          // MM/DD/YYYY
  dmy,          // DD/MM/YYYY
  excel,        // Excel serial day numbers (1 = 1900-01-01, with Excel's phantom 1900-02-29 = 60)
};

std::optional<DateFormat> parse_date_format(std::string_view name);
std::string_view date_format_example(DateFormat f);

// Every format also accepts Japanese dates after NFKC: 2024年3月7日, 令和6年3月7日 (明治 to 令和, 元年 for year 1).
// The local calendar day of a date or timestamp. A timestamp with a UTC offset is converted to the workspace's
// fixed offset (utc_offset_minutes); one without an offset is taken as already local.
std::optional<Day> parse_date(std::string_view s, DateFormat f, int utc_offset_minutes = 0);

// What to tell a user whose value did not parse: the expected form, or why the value is ambiguous.
std::string date_hint(std::string_view value, DateFormat f);

// ID normalisation: trims spaces; with strip_decimal_zero "17850.0" → "17850".
std::string_view normalise_id(std::string_view s, bool strip_decimal_zero);

std::string_view trim(std::string_view s);

}  // namespace koko::io
