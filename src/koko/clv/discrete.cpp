// Discrete-time models. BG/BB (Fader, Hardie & Shang 2010): in each of n opportunities an alive customer
// transacts with probability p ~ Beta(α, β) and, after it, drops out with probability θ ~ Beta(γ, δ):
//   L = B(α+x, β+n−x)/B(α,β) · B(γ, δ+n)/B(γ,δ)
//     + Σ_{i=0}^{n−t_x−1} B(α+x, β+t_x−x+i)/B(α,β) · B(γ+1, δ+t_x+i)/B(γ,δ).
// sBG (Fader & Hardie 2007, "How to project customer retention"): churn probability θ ~ Beta(α, β) per period,
//   P(T = t) = B(α+1, β+t−1)/B(α,β),  S(t) = B(α, β+t)/B(α,β).
#include <fmt/format.h>

#include <array>
#include <cmath>

#include "koko/clv/detail.hpp"
#include "koko/core/error.hpp"

namespace koko::clv {
namespace {

// log B(a+i, b+j) − log B(a, b) and its derivatives in a and b.
struct LogBetaRatio {
  double v, da, db;
};
LogBetaRatio lbeta_ratio(double a, double b, double i, double j, bool grad) {
  LogBetaRatio r{detail::lbeta(a + i, b + j) - detail::lbeta(a, b), 0, 0};
  if (grad) {
    const double psi_all = detail::digamma(a + b + i + j), psi_ab = detail::digamma(a + b);
    r.da = detail::digamma(a + i) - psi_all - detail::digamma(a) + psi_ab;
    r.db = detail::digamma(b + j) - psi_all - detail::digamma(b) + psi_ab;
  }
  return r;
}

void check_rows(std::span<const DiscreteRow> rows) {
  double total = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    if (r.n < 1 || r.x < 0 || r.x > r.n || r.t_x < r.x || r.t_x > r.n || (r.x > 0 && r.t_x < 1) ||
        (r.x == 0 && r.t_x != 0) || !(r.weight >= 0))
      throw Error(ErrorCode::input,
                  fmt::format("row {}: frequency {}, recency {}, periods {} is not a valid BG/BB row", i + 1, r.x,
                              r.t_x, r.n),
                  {}, "0 ≤ frequency ≤ recency ≤ periods, recency = 0 exactly when frequency = 0");
    total += r.weight;
  }
  if (total < 2) throw Error(ErrorCode::analysis, "BG/BB needs at least two customers", {}, "add rows or weights");
}

detail::LogLik bgbb_loglik(std::span<const DiscreteRow> rows) {
  return [rows](std::span<const double> th, std::span<double> grad) {
    const double al = th[0], be = th[1], ga = th[2], de = th[3];
    const bool g = !grad.empty();
    double ll = 0, d[4] = {};
    std::vector<double> lv, w;
    std::vector<std::array<double, 4>> dv;
    for (const auto& r : rows) {
      lv.clear();
      dv.clear();
      const auto a0 = lbeta_ratio(al, be, r.x, r.n - r.x, g);
      const auto b0 = lbeta_ratio(ga, de, 0, r.n, g);
      lv.push_back(a0.v + b0.v);
      dv.push_back({a0.da, a0.db, b0.da, b0.db});
      for (int i = 0; i <= r.n - r.t_x - 1; ++i) {
        const auto ai = lbeta_ratio(al, be, r.x, r.t_x - r.x + i, g);
        const auto bi = lbeta_ratio(ga, de, 1, r.t_x + i, g);
        lv.push_back(ai.v + bi.v);
        dv.push_back({ai.da, ai.db, bi.da, bi.db});
      }
      double l = -detail::kInf;
      for (double v : lv) l = detail::log_add(l, v);
      ll += r.weight * l;
      if (!g) continue;
      for (size_t j = 0; j < lv.size(); ++j) {
        const double s = std::exp(lv[j] - l);
        for (int k = 0; k < 4; ++k) d[k] += r.weight * s * dv[j][static_cast<size_t>(k)];
      }
    }
    if (g)
      for (size_t k = 0; k < 4; ++k) grad[k] = d[k];
    return ll;
  };
}

void check_alive(std::span<const double> alive) {
  if (alive.size() < 3)
    throw Error(ErrorCode::analysis, "sBG needs the cohort size and at least two periods of survivors", {},
                "give alive counts for periods 0, 1, 2, ...");
  for (size_t t = 0; t < alive.size(); ++t) {
    if (!(alive[t] >= 0) || !std::isfinite(alive[t]) || (t > 0 && alive[t] > alive[t - 1]))
      throw Error(ErrorCode::input, fmt::format("period {}: {} subscribers is not a survival count", t, alive[t]), {},
                  "counts must be finite, non-negative and never rise");
  }
  if (!(alive[0] > 0)) throw Error(ErrorCode::input, "the cohort is empty", {}, "alive[0] is the cohort's size");
  if (alive.back() == alive.front())
    throw Error(ErrorCode::analysis, "no subscriber churned, so churn cannot be fitted", {},
                "add periods with cancellations");
}

detail::LogLik sbg_loglik(std::span<const double> alive) {
  return [alive](std::span<const double> th, std::span<double> grad) {
    const double al = th[0], be = th[1];
    const bool g = !grad.empty();
    double ll = 0, da = 0, db = 0;
    const size_t n = alive.size() - 1;
    for (size_t t = 1; t <= n; ++t) {
      const double lost = alive[t - 1] - alive[t];
      if (lost == 0) continue;
      const auto p = lbeta_ratio(al, be, 1, static_cast<double>(t) - 1, g);
      ll += lost * p.v;
      da += lost * p.da;
      db += lost * p.db;
    }
    if (alive[n] > 0) {
      const auto s = lbeta_ratio(al, be, 0, static_cast<double>(n), g);
      ll += alive[n] * s.v;
      da += alive[n] * s.da;
      db += alive[n] * s.db;
    }
    if (g) {
      grad[0] = da;
      grad[1] = db;
    }
    return ll;
  };
}

}  // namespace

Fit fit_bgbb(std::span<const DiscreteRow> rows, const FitOptions& options) {
  check_rows(rows);
  detail::Problem p;
  p.model = Model::bgbb;
  p.names = {"alpha", "beta", "gamma", "delta"};
  p.loglik = bgbb_loglik(rows);
  p.start = {1, 1, 1, 1};
  for (const auto& r : rows) p.weight += r.weight;
  p.rows = static_cast<int64_t>(std::llround(p.weight));
  p.unique_rows = static_cast<int64_t>(rows.size());
  return detail::maximise(p, options);
}

double bgbb_log_likelihood(std::span<const double> params, std::span<const DiscreteRow> rows) {
  check_rows(rows);
  return bgbb_loglik(rows)(params, {});
}

Fit fit_sbg(std::span<const double> alive, const FitOptions& options) {
  check_alive(alive);
  detail::Problem p;
  p.model = Model::sbg;
  p.names = {"alpha", "beta"};
  p.loglik = sbg_loglik(alive);
  p.start = {1, 1};
  p.weight = alive[0];
  p.rows = static_cast<int64_t>(std::llround(alive[0]));
  p.unique_rows = static_cast<int64_t>(alive.size());
  return detail::maximise(p, options);
}

double sbg_log_likelihood(std::span<const double> params, std::span<const double> alive) {
  check_alive(alive);
  return sbg_loglik(alive)(params, {});
}

}  // namespace koko::clv
