#include "koko/core/money.hpp"

#include <fmt/format.h>

namespace koko {

int currency_digits(const std::string& code) {
  if (code == "JPY" || code == "KRW" || code == "VND" || code == "CLP" || code == "ISK") return 0;
  return 2;
}

std::string format_count(int64_t n) {
  const bool neg = n < 0;
  std::string digits = std::to_string(neg ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return neg ? "-" + out : out;
}

std::string format_money(int64_t minor, const std::string& currency) {
  const int d = currency_digits(currency);
  const bool neg = minor < 0;
  const int64_t a = neg ? -minor : minor;
  int64_t div = 1;
  for (int i = 0; i < d; ++i) div *= 10;
  std::string num = format_count(a / div);
  if (d > 0) num += fmt::format(".{:0{}d}", a % div, d);
  std::string sign;
  if (currency == "USD") sign = "$";
  else if (currency == "GBP") sign = "£";
  else if (currency == "EUR") sign = "€";
  else if (currency == "JPY") sign = "¥";
  if (sign.empty()) return (neg ? "-" : "") + num + " " + currency;
  return (neg ? "-" : "") + sign + num;
}

}  // namespace koko
