// Calibration vs holdout, the papers' two standard checks: expected vs actual holdout purchases by calibration
// frequency (conditional expectations), and the cohort's cumulative repeat purchases over time (unconditional
// expectations summed over the customers' first-purchase days).
#include <algorithm>
#include <cmath>

#include "koko/clv/detail.hpp"

namespace koko::clv {

Validation validate(const Fit& purchases, const Summary& s, int max_frequency) {
  Validation v;
  if (s.holdout_units <= 0 || s.customer.empty()) return v;
  const Fit& f = purchases.effective();
  max_frequency = std::max(1, max_frequency);
  v.by_frequency.resize(static_cast<size_t>(max_frequency) + 1);
  for (int k = 0; k <= max_frequency; ++k) v.by_frequency[static_cast<size_t>(k)].x = k;
  double abs_err = 0;
  detail::ExpectedPurchases expected(f);
  for (size_t i = 0; i < s.customer.size(); ++i) {
    const double e = expected(s.x[i], s.t_x[i], s.T[i], s.holdout_units);
    const double a = s.x_holdout[i];
    auto& row = v.by_frequency[static_cast<size_t>(std::min(s.x[i], max_frequency))];
    ++row.customers;
    row.actual += a;
    row.expected += e;
    abs_err += std::fabs(e - a);
    v.total_actual += a;
    v.total_expected += e;
  }
  for (auto& row : v.by_frequency) {
    if (row.customers == 0) continue;
    row.actual /= static_cast<double>(row.customers);
    row.expected /= static_cast<double>(row.customers);
  }
  v.mae = abs_err / static_cast<double>(s.customer.size());
  v.total_pct_error = v.total_actual > 0 ? (v.total_expected - v.total_actual) / v.total_actual * 100 : 0;

  // Tracking: one point per 7 days from the first order day to the holdout end.
  const Day lo = s.first_order_day;
  const auto days = static_cast<int>(s.first_purchases_by_day.size());
  std::vector<double> e_new(static_cast<size_t>(days) + 1);
  for (int tau = 0; tau <= days; ++tau)
    e_new[static_cast<size_t>(tau)] = expected_purchases_new(f, static_cast<double>(tau) / s.unit_days);
  std::vector<double> actual_cum(static_cast<size_t>(days));
  double run = 0;
  for (int d = 0; d < days; ++d) actual_cum[static_cast<size_t>(d)] = run += static_cast<double>(s.repeat_days_by_day[static_cast<size_t>(d)]);
  double ape = 0;
  int ape_n = 0;
  for (int end = 6; end < days; end += 7) {
    TrackingPoint p;
    p.period_end = lo + end;
    p.actual = actual_cum[static_cast<size_t>(end)];
    for (int d = 0; d <= end; ++d) {
      const auto n0 = s.first_purchases_by_day[static_cast<size_t>(d)];
      if (n0 > 0) p.expected += static_cast<double>(n0) * e_new[static_cast<size_t>(end - d)];
    }
    if (p.period_end > s.calibration_end && p.period_end <= s.holdout_end && p.actual > 0) {
      ape += std::fabs(p.expected - p.actual) / p.actual;
      ++ape_n;
    }
    v.tracking.push_back(p);
  }
  v.tracking_mape = ape_n ? ape / ape_n * 100 : 0;
  return v;
}

}  // namespace koko::clv
