// Planning: power, minimum detectable effect and sample size for a two-sided test (GrowthBook's frequentist
// power formulas: equal units per variant, the control's variance in both arms, the delta method for lifts).
#include <fmt/format.h>

#include <boost/math/distributions/normal.hpp>
#include <cmath>

#include "koko/core/error.hpp"
#include "koko/experiment/experiment.hpp"

namespace koko::experiment {

namespace {
namespace bm = boost::math;

void check(const PlanInput& in) {
  if (!(in.alpha > 0 && in.alpha < 1)) throw Error(ErrorCode::usage, "alpha must be between 0 and 1", {}, "e.g. 0.05");
  if (!(in.power > 0 && in.power < 1)) throw Error(ErrorCode::usage, "power must be between 0 and 1", {}, "e.g. 0.8");
  if (in.kind == MetricKind::proportion && !(in.mean > 0 && in.mean < 1))
    throw Error(ErrorCode::usage, "the baseline conversion rate must be between 0 and 1", {}, "e.g. --baseline 0.12");
  if (in.kind != MetricKind::proportion && !(in.sd > 0))
    throw Error(ErrorCode::usage, "a mean metric needs its standard deviation", {}, "pass --sd");
  if (in.scale == Scale::relative && !(in.mean > 0))
    throw Error(ErrorCode::usage, "a relative effect needs a positive baseline mean", {},
                "pass --baseline, or plan on the absolute scale");
}

double sigma2(const PlanInput& in) {
  return in.kind == MetricKind::proportion ? in.mean * (1 - in.mean) : in.sd * in.sd;
}

double effect_se(const PlanInput& in, double effect, double n) {
  const double v = sigma2(in) / n;
  if (in.scale == Scale::absolute) return std::sqrt(2 * v);
  const double ma = in.mean, mb = ma * (1 + effect);
  return std::sqrt(v * (1 / (ma * ma) + mb * mb / (ma * ma * ma * ma)));
}

}  // namespace

double power_at(const PlanInput& in, double effect, double n) {
  check(in);
  if (!(n > 0)) return 0;
  const bm::normal n01;
  const double z = bm::quantile(bm::complement(n01, in.alpha / 2));
  const double d = effect / effect_se(in, effect, n);
  return bm::cdf(bm::complement(n01, z - d)) + bm::cdf(n01, -z - d);
}

std::optional<double> minimum_detectable_effect(const PlanInput& in, double n) {
  check(in);
  if (!(n > 0)) return std::nullopt;
  const bm::normal n01;
  const double k = bm::quantile(bm::complement(n01, in.alpha / 2)) - bm::quantile(n01, 1 - in.power);
  const double v = sigma2(in) / n;
  if (in.scale == Scale::absolute) return k * std::sqrt(2 * v);
  // Solve (μ_b − μ_a)² = k² μ_a² Var(lift) for μ_b; a solution with a positive denominator needs
  // n > σ² k² / μ_a².
  const double ma = in.mean, a = 1 - v * k * k / (ma * ma);
  if (!(a > 0)) return std::nullopt;
  const double mb = (ma + std::sqrt(k * k * v * (1 + a))) / a;
  return (mb - ma) / ma;
}

int64_t sample_size(const PlanInput& in, double effect) {
  check(in);
  if (effect == 0) throw Error(ErrorCode::usage, "the effect to detect must not be 0", {}, "e.g. --mde 0.05");
  auto enough = [&](double n) { return power_at(in, effect, n) >= in.power; };
  double hi = 2;
  while (!enough(hi)) {
    hi *= 2;
    if (hi > 1e15)
      throw Error(ErrorCode::analysis, "no sample size reaches the target power for this effect", {},
                  "a relative effect near −100 % or a tiny effect; check --mde");
  }
  auto lo = static_cast<int64_t>(hi / 2), up = static_cast<int64_t>(hi);  // enough(up), lo may be enough too
  if (enough(static_cast<double>(lo))) up = lo, lo = 1;
  while (up - lo > 1) {
    const int64_t mid = lo + (up - lo) / 2;
    (enough(static_cast<double>(mid)) ? up : lo) = mid;
  }
  return up;
}

}  // namespace koko::experiment
