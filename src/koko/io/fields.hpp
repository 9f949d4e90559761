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
};

std::optional<DateFormat> parse_date_format(std::string_view name);
std::string_view date_format_example(DateFormat f);

// The local calendar day of a date or timestamp. A timestamp with a UTC offset is converted to the workspace's
// fixed offset (utc_offset_minutes); one without an offset is taken as already local.
std::optional<Day> parse_date(std::string_view s, DateFormat f, int utc_offset_minutes = 0);

// ID normalisation: trims spaces; with strip_decimal_zero "17850.0" → "17850".
std::string_view normalise_id(std::string_view s, bool strip_decimal_zero);

std::string_view trim(std::string_view s);

}  // namespace koko::io
