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

// ∫ f over [lo, hi] split at the given interior points, each piece by adaptive Gauss–Kronrod.
template <typename F>
double integrate(F f, std::vector<double> cuts) {
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  double total = 0;
  for (size_t i = 0; i + 1 < cuts.size(); ++i) {
    if (!(cuts[i + 1] > cuts[i])) continue;
    double err = 0;
    total += bm::quadrature::gauss_kronrod<double, 61>::integrate(f, cuts[i], cuts[i + 1], 20, 1e-13, &err);
  }
  return total;
}

// Where the mass of both posteriors lies: a generous window around each mean, split at the means.
std::vector<double> cuts_for(const bm::beta_distribution<>& a, const bm::beta_distribution<>& b) {
  std::vector<double> cuts;
  for (const auto* d : {&a, &b}) {
    const double m = bm::mean(*d), s = bm::standard_deviation(*d);
    for (double k : {-40.0, -8.0, -2.0, 0.0, 2.0, 8.0, 40.0}) cuts.push_back(std::clamp(m + k * s, 0.0, 1.0));
  }
  return cuts;
}

// E[max(q − x, 0)] for q ~ d: mean·P(q⁺ > x) − x·P(q > x), q⁺ the size-biased Beta(α + 1, β).
double expected_excess(const bm::beta_distribution<>& d, const bm::beta_distribution<>& plus, double x) {
  const double v = bm::mean(d) * bm::cdf(bm::complement(plus, x)) - x * bm::cdf(bm::complement(d, x));
  return std::max(0.0, v);
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
  const auto cuts = cuts_for(a, b);
  BetaResult r;
  // P(p_b > p_a) = ∫ f_b(x) F_a(x) dx.
  r.chance_to_beat = std::clamp(integrate([&](double x) { return bm::pdf(b, x) * bm::cdf(a, x); }, cuts), 0.0, 1.0);
  // Keeping the control loses E[max(p_b − p_a, 0)] = ∫ f_a(x) E[max(p_b − x, 0)] dx; shipping the variant loses
  // E[max(p_a − p_b, 0)].
  r.risk_control = integrate([&](double x) { return bm::pdf(a, x) * expected_excess(b, b_plus, x); }, cuts);
  r.risk_variant = integrate([&](double x) { return bm::pdf(b, x) * expected_excess(a, a_plus, x); }, cuts);
  return r;
}

}  // namespace koko::experiment
