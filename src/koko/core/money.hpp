#pragma once
// Money is integer minor units of the workspace currency; formatting is for people, never for computing.
#include <cstdint>
#include <string>

namespace koko {

int currency_digits(const std::string& code);  // JPY 0, most others 2
// "$1,234.56", "£-12.00" → "-£12.00", "¥1,200"; unknown codes as "1,234.56 CHF".
std::string format_money(int64_t minor, const std::string& currency);
// Plain number with thousands separators: 23570 → "23,570".
std::string format_count(int64_t n);

}  // namespace koko
