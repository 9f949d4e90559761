// Frequentist tests: Welch t-test, the pooled two-proportion z-test and always-valid confidence sequences.
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>

#include "koko/experiment/experiment.hpp"

namespace koko::experiment {

namespace {
namespace bm = boost::math;
}  // namespace

TTest welch_test(const EffectMoments& m, double alpha, Sided sided) {
  TTest r;
  if (!m.ok) return r;
  const bm::students_t dist(m.df);
  r.t = m.effect / m.se;
  switch (sided) {
    case Sided::two: {
      r.p_value = std::min(1.0, 2 * bm::cdf(bm::complement(dist, std::abs(r.t))));
      const double w = bm::quantile(bm::complement(dist, alpha / 2)) * m.se;
      r.ci_low = m.effect - w;
      r.ci_high = m.effect + w;
      break;
    }
    case Sided::greater:
      r.p_value = bm::cdf(bm::complement(dist, r.t));
      r.ci_low = m.effect - bm::quantile(bm::complement(dist, alpha)) * m.se;
      break;
    case Sided::less:
      r.p_value = bm::cdf(dist, r.t);
      r.ci_high = m.effect + bm::quantile(bm::complement(dist, alpha)) * m.se;
      break;
  }
  return r;
}

ZTest pooled_z_test(int64_t users_a, int64_t conv_a, int64_t users_b, int64_t conv_b, Sided sided) {
  ZTest r;
  const double na = static_cast<double>(users_a), nb = static_cast<double>(users_b);
  if (na <= 0 || nb <= 0) return r;
  const double pa = static_cast<double>(conv_a) / na, pb = static_cast<double>(conv_b) / nb;
  const double p = static_cast<double>(conv_a + conv_b) / (na + nb);
  const double se = std::sqrt(p * (1 - p) * (1 / na + 1 / nb));
  if (!(se > 0)) return r;
  r.z = (pb - pa) / se;
  const bm::normal n01;
  switch (sided) {
    case Sided::two:
      r.p_value = std::min(1.0, 2 * bm::cdf(bm::complement(n01, std::abs(r.z))));
      break;
    case Sided::greater:
      r.p_value = bm::cdf(bm::complement(n01, r.z));
      break;
    case Sided::less:
      r.p_value = bm::cdf(n01, r.z);
      break;
  }
  return r;
}

double sequential_rho(double alpha, double tuning) {
  const double l = -2 * std::log(alpha);
  return std::sqrt((l + std::log(l + 1)) / tuning);
}

double sequential_halfwidth(double se, double n, double alpha, double tuning) {
  const double rho = sequential_rho(alpha, tuning);
  const double nr2 = n * rho * rho;
  return se * std::sqrt(n) * std::sqrt(2 * (nr2 + 1) / (nr2 * n) * std::log(std::sqrt(nr2 + 1) / alpha));
}

Sequential confidence_sequence(const EffectMoments& m, double alpha, double tuning) {
  Sequential r;
  if (!m.ok) return r;
  const double hw = sequential_halfwidth(m.se, m.n_total, alpha, tuning);
  r.ci_low = m.effect - hw;
  r.ci_high = m.effect + hw;
  // The half-width falls as alpha grows: bisect log(alpha) for the level where the sequence just excludes 0.
  const double target = std::abs(m.effect);
  auto excludes = [&](double log_a) { return sequential_halfwidth(m.se, m.n_total, std::exp(log_a), tuning) < target; };
  double lo = std::log(1e-300), hi = std::log1p(-1e-15);
  if (!excludes(hi)) return r;  // p = 1
  if (excludes(lo)) {
    r.p_value = 1e-300;
    return r;
  }
  for (int i = 0; i < 200 && hi - lo > 1e-15 * std::abs(hi + lo) / 2 + 1e-300; ++i) {
    const double mid = (lo + hi) / 2;
    if (mid <= lo || mid >= hi) break;
    (excludes(mid) ? hi : lo) = mid;
  }
  r.p_value = std::exp(hi);
  return r;
}

}  // namespace koko::experiment
