// The market map: survey respondents placed in the five segments by the documented rules, weighted shares with
// 95 % intervals at the effective sample size, 9seg by next-purchase preference, panel flows between waves and
// the consistency of self-reports with orders.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <unordered_map>

#include "koko/core/error.hpp"
#include "koko/segment/segment.hpp"

namespace koko::segment {
namespace {

// Trimmed, full-width ASCII (U+FF01..U+FF5E) folded to ASCII, ASCII lower-cased; the ideographic space trims too.
std::string normalise_cell(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == 0xEF && i + 2 < s.size()) {
      const auto b1 = static_cast<unsigned char>(s[i + 1]), b2 = static_cast<unsigned char>(s[i + 2]);
      const unsigned cp = ((c & 0x0Fu) << 12) | ((b1 & 0x3Fu) << 6) | (b2 & 0x3Fu);
      if (cp >= 0xFF01 && cp <= 0xFF5E) {
        out += static_cast<char>(cp - 0xFEE0);
        i += 3;
        continue;
      }
    }
    if (c == 0xE3 && i + 2 < s.size() && s[i + 1] == '\x80' && s[i + 2] == '\x80') {  // U+3000
      out += ' ';
      i += 3;
      continue;
    }
    out += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    ++i;
  }
  const auto b = out.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  const auto e = out.find_last_not_of(" \t\r\n");
  return out.substr(b, e - b + 1);
}

Day add_months(Day d, int months) {
  const CivilDate c = civil_from_days(d);
  const int mi = c.year * 12 + static_cast<int>(c.month) - 1 + months;
  const int y = mi >= 0 ? mi / 12 : (mi - 11) / 12;
  const auto m = static_cast<unsigned>(mi - y * 12 + 1);
  return days_from_civil(y, m, std::min(c.day, days_in_month(y, m)));
}

[[noreturn]] void unplaceable(const Survey& s, size_t i, const std::string& why, const std::string& hint) {
  throw Error{ErrorCode::input, fmt::format("respondent '{}': {}", s.respondent[i], why),
              fmt::format("{}:{}", s.file[i], s.line[i]), hint};
}

bool is_current(const Survey& s, size_t i, const MarketRules& r) {
  if (s.bought_within[i] >= 0) return s.bought_within[i] == 1;
  if (s.last_bought_months[i] >= 0) return s.last_bought_months[i] <= r.current_window_months;
  if (s.last_bought_day[i] != kNoDay) {
    if (s.survey_date[i] == kNoDay)
      unplaceable(s, i, "last_bought is a date but the row has no survey_date to measure the window from",
                  "add a survey_date column, or answer last_bought in months since the last purchase");
    return s.last_bought_day[i] >= add_months(s.survey_date[i], -r.current_window_months);
  }
  unplaceable(s, i, "bought before, but neither last_bought nor bought_within is answered",
              "answer last_bought (a date or months ago) or bought_within (yes/no) for every buyer");
}

}  // namespace

Cell parse_yes_no(std::string_view raw, bool& out) {
  const std::string s = normalise_cell(raw);
  if (s.empty()) return Cell::empty;
  static const std::array<std::string_view, 10> kYes = {"yes", "y", "true", "t", "1", "はい", "あり", "有", "○", "◯"};
  static const std::array<std::string_view, 10> kNo = {"no", "n", "false", "f", "0", "いいえ", "なし", "無", "×", "✕"};
  if (std::find(kYes.begin(), kYes.end(), s) != kYes.end()) {
    out = true;
    return Cell::ok;
  }
  if (std::find(kNo.begin(), kNo.end(), s) != kNo.end()) {
    out = false;
    return Cell::ok;
  }
  return Cell::invalid;
}

Cell parse_amount(std::string_view raw, double& out) {
  const std::string s = normalise_cell(raw);
  if (s.empty()) return Cell::empty;
  if (s.find_first_not_of("0123456789.") != std::string::npos) return Cell::invalid;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size() || !std::isfinite(out)) return Cell::invalid;
  return Cell::ok;
}

Cell parse_whole(std::string_view raw, int max, int& out) {
  double v = 0;
  const Cell c = parse_amount(raw, v);
  if (c != Cell::ok) return c;
  if (v != std::floor(v) || v > max) return Cell::invalid;
  out = static_cast<int>(v);
  return Cell::ok;
}

void check_market_rules(const MarketRules& r) {
  if (r.current_window_months < 1)
    throw Error{
        ErrorCode::usage,
        fmt::format("segment.market.current_window_months = {}: the current window is empty", r.current_window_months),
        "", "set it to 1 or more months (default 12)"};
  if (!(r.loyal_min_frequency > 0))
    throw Error{ErrorCode::usage,
                fmt::format("segment.market.loyal_min_frequency = {}: every current buyer would be loyal, so the "
                            "general segment is impossible",
                            r.loyal_min_frequency),
                "", "set it above 0 (default 4 purchases)"};
  if (r.positive_min_five < 2 || r.positive_min_five > 5)
    throw Error{ErrorCode::usage,
                fmt::format("segment.preference.positive_min = {} leaves no positive or no negative answer on the 1-5 "
                            "scale",
                            r.positive_min_five),
                "", "choose 2..5 (default 4: 4-5 positive, 1-3 negative)"};
  if (r.positive_min_eleven < 1 || r.positive_min_eleven > 10)
    throw Error{ErrorCode::usage,
                fmt::format("segment.preference.positive_min_0_10 = {} leaves no positive or no negative answer on "
                            "the 0-10 scale",
                            r.positive_min_eleven),
                "", "choose 1..10 (default 7)"};
}

IntentScale detect_scale(std::span<const int8_t> answers) {
  for (const int8_t a : answers)
    if (a == 0 || a > 5) return IntentScale::eleven;
  return IntentScale::five;
}

Preference preference_of(int8_t answer, IntentScale scale, const MarketRules& r) {
  if (answer < 0) return Preference::unknown;
  const int cut = scale == IntentScale::five ? r.positive_min_five : r.positive_min_eleven;
  return answer >= cut ? Preference::positive : Preference::negative;
}

std::vector<Market> classify_survey(const Survey& s, const MarketRules& r) {
  std::vector<Market> out(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s.ever_bought[i] == 1) {  // a buyer is aware whatever the aware answer says
      if (!is_current(s, i, r)) {
        out[i] = Market::lapsed;
        continue;
      }
      if (std::isnan(s.frequency[i]))
        unplaceable(s, i, "a current buyer without purchase_frequency",
                    "answer purchase_frequency (a number of purchases) for every current buyer");
      out[i] = s.frequency[i] >= r.loyal_min_frequency ? Market::loyal : Market::general;
    } else if (s.aware[i] == 1) {
      if (s.ever_bought[i] < 0)
        unplaceable(s, i, "aware, but ever_bought is not answered",
                    "answer ever_bought (yes/no) for every aware "
                    "respondent");
      out[i] = Market::aware_non_buyer;
    } else {
      out[i] = Market::unaware;
    }
  }
  return out;
}

ShareEstimate estimate_share(int64_t respondents, double weight_in, double weight_total, double n_eff) {
  ShareEstimate e;
  e.respondents = respondents;
  e.weight = weight_in;
  if (weight_total <= 0 || n_eff <= 0) return e;
  constexpr double z = 1.959963984540054;
  const double p = weight_in / weight_total;
  const double n = n_eff;
  const double denom = 1 + z * z / n;
  const double centre = (p + z * z / (2 * n)) / denom;
  const double half = z * std::sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom;
  e.share = p;
  e.lo = std::max(0.0, centre - half);
  e.hi = std::min(1.0, centre + half);
  return e;
}

std::vector<std::string> wave_order(const Survey& s) {
  std::vector<std::string> waves(s.wave.begin(), s.wave.end());
  std::sort(waves.begin(), waves.end());
  waves.erase(std::unique(waves.begin(), waves.end()), waves.end());
  std::vector<double> num(waves.size());
  bool numeric = true;
  for (size_t i = 0; i < waves.size() && numeric; ++i) {
    const auto& w = waves[i];
    const auto r = std::from_chars(w.data(), w.data() + w.size(), num[i]);
    numeric = r.ec == std::errc() && r.ptr == w.data() + w.size();
  }
  if (numeric) {
    std::vector<size_t> idx(waves.size());
    for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
    std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return num[a] < num[b]; });
    std::vector<std::string> sorted;
    for (const size_t i : idx) sorted.push_back(waves[i]);
    waves = std::move(sorted);
  }
  return waves;
}

std::vector<MarketMap> market_maps(const Survey& s, std::span<const Market> seg, std::span<const Preference> pref) {
  std::vector<MarketMap> out;
  for (const auto& wave : wave_order(s)) {
    MarketMap m;
    m.wave = wave;
    double w2 = 0;
    std::array<double, 5> w5{};
    std::array<int64_t, 5> n5{};
    std::array<std::array<double, 3>, 4> w9{};
    std::array<std::array<int64_t, 3>, 4> n9{};
    for (size_t i = 0; i < s.size(); ++i) {
      if (s.wave[i] != wave) continue;
      const double w = s.weight[i];
      ++m.respondents;
      m.weight_total += w;
      w2 += w * w;
      if (s.survey_date[i] != kNoDay) m.survey_date = std::max(m.survey_date, s.survey_date[i]);
      const auto g = static_cast<size_t>(seg[i]);
      w5[g] += w;
      ++n5[g];
      if (seg[i] != Market::unaware) {
        const size_t p = preference_index(pref.empty() ? Preference::unknown : pref[i]);
        w9[g][p] += w;
        ++n9[g][p];
      }
    }
    m.n_eff = w2 > 0 ? m.weight_total * m.weight_total / w2 : 0;
    for (size_t g = 0; g < 5; ++g) m.five[g] = estimate_share(n5[g], w5[g], m.weight_total, m.n_eff);
    for (size_t g = 0; g < 4; ++g)
      for (size_t p = 0; p < 3; ++p) m.nine[g][p] = estimate_share(n9[g][p], w9[g][p], m.weight_total, m.n_eff);
    out.push_back(std::move(m));
  }
  return out;
}

PanelFlows panel_flows(const Survey& s, std::span<const Market> seg, const std::string& from_wave,
                       const std::string& to_wave) {
  PanelFlows f;
  f.from_wave = from_wave;
  f.to_wave = to_wave;
  std::unordered_map<std::string_view, size_t> before;
  for (size_t i = 0; i < s.size(); ++i)
    if (s.wave[i] == from_wave) before.emplace(s.respondent[i], i);
  for (size_t i = 0; i < s.size(); ++i) {
    if (s.wave[i] != to_wave) continue;
    const auto it = before.find(s.respondent[i]);
    if (it == before.end()) continue;
    ++f.panel;
    ++f.counts[static_cast<size_t>(seg[it->second])][static_cast<size_t>(seg[i])];
  }
  return f;
}

Consistency consistency(std::span<const Market> self, std::span<const int8_t> order_side) {
  Consistency c;
  for (size_t i = 0; i < self.size(); ++i) {
    if (order_side[i] < 0) continue;
    const auto o = static_cast<size_t>(order_side[i]);
    const auto m = static_cast<size_t>(self[i]);
    ++c.linked;
    ++c.counts[m][o];
    if ((m < 3 && o == m) || (m >= 3 && o == 3)) ++c.agree;
  }
  return c;
}

}  // namespace koko::segment
