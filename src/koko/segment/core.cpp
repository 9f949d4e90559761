// The core score (who keeps choosing us) and its check against plain RFM on a holdout period.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "koko/core/error.hpp"
#include "koko/segment/segment.hpp"

namespace koko::segment {
namespace {

constexpr float kUnknown = std::numeric_limits<float>::quiet_NaN();

// Average 1-based rank of each value's ties, divided by n.
template <typename T>
std::vector<double> ranks_of(std::span<const T> v) {
  const size_t n = v.size();
  std::vector<std::pair<T, uint32_t>> sorted(n);
  for (size_t i = 0; i < n; ++i) sorted[i] = {v[i], static_cast<uint32_t>(i)};
  std::sort(sorted.begin(), sorted.end());
  std::vector<double> out(n);
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j + 1 < n && sorted[j + 1].first == sorted[i].first) ++j;
    const double rank = (static_cast<double>(i + 1) + static_cast<double>(j + 1)) / 2.0 / static_cast<double>(n);
    for (size_t t = i; t <= j; ++t) out[sorted[t].second] = rank;
    i = j + 1;
  }
  return out;
}

// The same for whole numbers over a modest range: a counting pass instead of a sort.
std::vector<double> ranks_of_small(std::span<const int32_t> v) {
  if (v.empty()) return {};
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  const auto range = static_cast<uint64_t>(int64_t{*hi} - *lo) + 1;
  if (range > 4 * v.size() + 1024) return ranks_of(v);
  std::vector<uint32_t> count(range, 0);
  for (const int32_t x : v) ++count[static_cast<size_t>(x - *lo)];
  std::vector<double> rank(range);
  const double n = static_cast<double>(v.size());
  uint64_t below = 0;
  for (size_t k = 0; k < range; ++k) {
    rank[k] = (static_cast<double>(below + 1) + static_cast<double>(below + count[k])) / 2.0 / n;
    below += count[k];
  }
  std::vector<double> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = rank[static_cast<size_t>(v[i] - *lo)];
  return out;
}

std::vector<int32_t> negated(std::span<const int32_t> v) {
  std::vector<int32_t> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = -v[i];
  return out;
}

void check_weights(const CoreWeights& w) {
  for (size_t c = 0; c < kComponents; ++c)
    if (!(w.w[c] >= 0))
      throw Error{ErrorCode::usage, fmt::format("segment.core.weight.{} = {} is negative", kComponentNames[c], w.w[c]),
                  "", "set every core weight to 0 or more"};
  double orders_side = 0;
  for (size_t c = 0; c < Component::preference; ++c) orders_side += w.w[c];
  if (orders_side <= 0)
    throw Error{ErrorCode::usage, "the core weights of recency, frequency, monetary, tenure and regularity are all 0",
                "",
                "give at least one of segment.core.weight.recency, .frequency, .monetary, .tenure, .regularity a "
                "positive weight"};
}

double capture(std::span<const uint32_t> top, std::span<const uint32_t> customer, const std::vector<int64_t>& holdout,
               int64_t total) {
  int64_t sum = 0;
  for (const uint32_t row : top) sum += holdout[customer[row]];
  return total > 0 ? static_cast<double>(sum) / static_cast<double>(total) : 0.0;
}

}  // namespace

std::vector<double> percentile_ranks(std::span<const double> values) { return ranks_of(values); }

CoreScores core_scores(const Features& f, std::span<const Preference> preference, std::span<const int8_t> nps,
                       const CoreWeights& weights) {
  check_weights(weights);
  const size_t n = f.size();
  if ((!preference.empty() && preference.size() != n) || (!nps.empty() && nps.size() != n))
    throw Error{ErrorCode::internal, "segment: core_scores inputs have different lengths"};
  CoreScores s;
  auto as_float = [](const std::vector<double>& v) { return std::vector<float>(v.begin(), v.end()); };
  const auto neg_recency = negated(f.recency_days);
  s.component[Component::recency] = as_float(ranks_of_small(neg_recency));
  s.component[Component::frequency] = as_float(ranks_of_small(f.purchase_days));
  s.component[Component::monetary] = as_float(ranks_of(std::span<const int64_t>(f.net_revenue)));
  s.component[Component::tenure] = as_float(ranks_of_small(f.active_span_days));
  auto& reg = s.component[Component::regularity];
  reg.resize(n);
  for (size_t i = 0; i < n; ++i) reg[i] = std::isnan(f.regularity[i]) ? 0.0f : static_cast<float>(f.regularity[i]);
  auto& pref = s.component[Component::preference];
  auto& adv = s.component[Component::advocacy];
  pref.assign(n, kUnknown);
  adv.assign(n, kUnknown);
  for (size_t i = 0; i < n; ++i) {
    if (!preference.empty() && preference[i] != Preference::unknown)
      pref[i] = preference[i] == Preference::positive ? 1.0f : 0.0f;
    if (!nps.empty() && nps[i] >= 0) adv[i] = nps[i] >= weights.promoter_min_nps ? 1.0f : 0.0f;
  }
  s.score.resize(n);
  for (size_t i = 0; i < n; ++i) {
    double num = 0, den = 0;
    for (size_t c = 0; c < kComponents; ++c) {
      const float v = s.component[c][i];
      if (std::isnan(v)) continue;
      num += weights.w[c] * v;
      den += weights.w[c];
    }
    s.score[i] = den > 0 ? 100.0 * num / den : 0.0;
  }
  return s;
}

std::vector<double> rfm_scores(const Features& f) {
  const auto neg_recency = negated(f.recency_days);
  const auto r = ranks_of_small(neg_recency);
  const auto fr = ranks_of_small(f.purchase_days);
  const auto m = ranks_of(std::span<const int64_t>(f.net_revenue));
  std::vector<double> out(f.size());
  for (size_t i = 0; i < out.size(); ++i) out[i] = r[i] + fr[i] + m[i];
  return out;
}

size_t top_count(size_t n, double share) {
  if (n == 0) return 0;
  const auto k = static_cast<size_t>(std::ceil(share * static_cast<double>(n) - 1e-9));
  return std::clamp<size_t>(k, 1, n);
}

std::vector<uint32_t> top_k(std::span<const double> score, std::span<const uint32_t> customer,
                            const std::vector<std::string>& ids, size_t k) {
  std::vector<uint32_t> rows(score.size());
  std::iota(rows.begin(), rows.end(), 0u);
  auto better = [&](uint32_t a, uint32_t b) {
    if (score[a] != score[b]) return score[a] > score[b];
    return ids[customer[a]] < ids[customer[b]];
  };
  k = std::min(k, rows.size());
  if (k < rows.size())
    std::nth_element(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(k), rows.end(), better);
  rows.resize(k);
  std::sort(rows.begin(), rows.end(), better);
  return rows;
}

HoldoutCheck holdout_check(const CustomerDays& days, Day calibration_end, const std::vector<std::string>& ids,
                           const CoreWeights& weights, double top_share) {
  HoldoutCheck h;
  h.calibration_end = calibration_end;
  h.holdout_end = days.last_order_day;
  if (calibration_end >= days.last_order_day)
    throw Error{ErrorCode::usage,
                fmt::format("the holdout after {} is empty: the last order is on {}", format_date(calibration_end),
                            format_date(days.last_order_day)),
                "", "choose a calibration end before the last order day (segment.validation.calibration_end)"};
  const Features f = compute_features(days, calibration_end);
  if (f.size() == 0)
    throw Error{
        ErrorCode::usage,
        fmt::format("no customer bought on or before the calibration end {}", format_date(calibration_end)), "",
        fmt::format("choose a calibration end on or after the first order day {}", format_date(days.first_order_day))};
  const auto holdout = net_between(days, calibration_end, h.holdout_end);
  for (const uint32_t c : f.customer) h.holdout_net_revenue += holdout[c];
  h.customers = static_cast<int64_t>(f.size());
  const size_t k = top_count(f.size(), top_share);
  h.top = static_cast<int64_t>(k);
  const auto core = core_scores(f, {}, {}, weights);
  const auto rfm = rfm_scores(f);
  h.core_capture = capture(top_k(core.score, f.customer, ids, k), f.customer, holdout, h.holdout_net_revenue);
  h.rfm_capture = capture(top_k(rfm, f.customer, ids, k), f.customer, holdout, h.holdout_net_revenue);
  return h;
}

}  // namespace koko::segment
