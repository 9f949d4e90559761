// Bayesian engine: a Gaussian model on the effect (flat or proper normal prior on the relative scale) and the
// exact Beta-binomial model for proportions, whose probabilities are integrals computed by adaptive quadrature.
#include <boost/math/distributions/beta.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <cmath>

#include "koko/experiment/experiment.hpp"

namespace koko::experiment {

namespace {
namespace bm = boost::math;

// P(Y > X) = ∫ f_Y(t) F_X(t) dt for independent Beta posteriors, by adaptive Gauss–Kronrod over pieces split
// where the mass of both lies (their means ± 2, 8 and 40 standard deviations). The tolerance (1e-10 relative to
// the integral, depth ≤ 8) is what double-precision incomplete Beta functions support with millions of users per
// arm: tighter ones only subdivide their rounding noise, at up to a million evaluations and seconds per integral.
double prob_greater(const bm::beta_distribution<>& y, const bm::beta_distribution<>& x) {
  std::vector<double> cuts{0.0, 1.0};
  for (const auto* d : {&x, &y}) {
    const double m = bm::mean(*d), s = bm::standard_deviation(*d);
    for (double k : {-40.0, -8.0, -2.0, 0.0, 2.0, 8.0, 40.0}) cuts.push_back(std::clamp(m + k * s, 0.0, 1.0));
  }
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  auto f = [&](double t) { return bm::pdf(y, t) * bm::cdf(x, t); };
  double total = 0;
  for (size_t i = 0; i + 1 < cuts.size(); ++i)
    total += bm::quadrature::gauss_kronrod<double, 61>::integrate(f, cuts[i], cuts[i + 1], 8, 1e-10);
  return std::clamp(total, 0.0, 1.0);
}

}  // namespace

Posterior gaussian_posterior(const EffectMoments& m, Scale scale, GaussianPrior prior, double alpha) {
  Posterior p;
  if (!m.ok) return p;
  if (scale == Scale::absolute) {
    const double ma = m.control_mean;
    prior = {prior.mean * std::abs(ma), prior.variance * ma * ma};
  }
  const double data_var = m.se * m.se;
  if (prior.proper()) {
    const double prec = 1 / data_var + 1 / prior.variance;
    p.mean = (m.effect / data_var + prior.mean / prior.variance) / prec;
    p.sd = std::sqrt(1 / prec);
  } else {
    p.mean = m.effect;
    p.sd = m.se;
  }
  const bm::normal post(p.mean, p.sd);
  p.chance_to_beat = bm::cdf(bm::complement(post, 0.0));
  p.ci_low = bm::quantile(post, alpha / 2);
  p.ci_high = bm::quantile(bm::complement(post, alpha / 2));
  // E[max(δ, 0)] and E[max(−δ, 0)] of δ ~ N(μ, σ²): the truncated-normal means times their probabilities.
  const bm::normal n01;
  const double z = p.mean / p.sd, phi = bm::pdf(n01, z);
  p.risk_control = std::max(0.0, p.mean * bm::cdf(n01, z) + p.sd * phi);
  p.risk_variant = std::max(0.0, -p.mean * bm::cdf(bm::complement(n01, z)) + p.sd * phi);
  return p;
}

BetaResult beta_binomial(int64_t users_a, int64_t conv_a, int64_t users_b, int64_t conv_b, double prior_a,
                         double prior_b) {
  auto d = [](int64_t conv, int64_t users, double pa, double pb) {
    return bm::beta_distribution<>(pa + static_cast<double>(conv), pb + static_cast<double>(users - conv));
  };
  const auto a = d(conv_a, users_a, prior_a, prior_b), b = d(conv_b, users_b, prior_a, prior_b);
  const auto a_plus = d(conv_a, users_a, prior_a + 1, prior_b), b_plus = d(conv_b, users_b, prior_a + 1, prior_b);
  BetaResult r;
  r.chance_to_beat = prob_greater(b, a);
  // E[max(p_b − p_a, 0)] = E[p_b·1{p_b > p_a}] − E[p_a·1{p_b > p_a}] = mean_b·P(B⁺ > A) − mean_a·P(B > A⁺), where
  // X⁺ ~ Beta(α + 1, β) is X size-biased: each term is an integral of a positive, smooth function.
  const double ma = bm::mean(a), mb = bm::mean(b);
  r.risk_control = std::max(0.0, mb * prob_greater(b_plus, a) - ma * prob_greater(b, a_plus));
  r.risk_variant = std::max(0.0, ma * prob_greater(a_plus, b) - mb * prob_greater(a, b_plus));
  return r;
}

}  // namespace koko::experiment
