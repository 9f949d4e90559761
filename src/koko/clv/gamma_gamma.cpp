// Gamma-Gamma spend model (Fader & Hardie 2013, "The Gamma-Gamma model of monetary value"): each of a customer's
// x repeat transactions is Gamma(p, ν), ν ~ Gamma(q, γ) across customers; the density of the mean value m̄ is
//   f(m̄ | x) = Γ(px+q) / (Γ(px) Γ(q)) · γ^q x^{px} m̄^{px−1} / (γ + x m̄)^{px+q}.
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <map>

#include "koko/clv/detail.hpp"
#include "koko/core/error.hpp"

namespace koko::clv {
namespace {

struct SpendRows {
  std::vector<int32_t> xs;          // distinct x
  std::vector<double> x_weight;     // customers per distinct x
  std::vector<uint32_t> xi;         // per customer: index into xs
  std::vector<double> m, log_mx;    // mean value, log(m·x)
  int64_t excluded = 0;
};

SpendRows spend_rows(std::span<const int32_t> x, std::span<const double> monetary) {
  if (x.size() != monetary.size()) throw Error(ErrorCode::internal, "clv: x and monetary have different lengths");
  SpendRows s;
  std::map<int32_t, uint32_t> index;
  for (size_t i = 0; i < x.size(); ++i) {
    if (x[i] <= 0) continue;
    if (!(monetary[i] > 0) || !std::isfinite(monetary[i])) {
      ++s.excluded;
      continue;
    }
    auto [it, fresh] = index.try_emplace(x[i], static_cast<uint32_t>(s.xs.size()));
    if (fresh) {
      s.xs.push_back(x[i]);
      s.x_weight.push_back(0);
    }
    s.x_weight[it->second] += 1;
    s.xi.push_back(it->second);
    s.m.push_back(monetary[i]);
    s.log_mx.push_back(std::log(monetary[i] * x[i]));
  }
  return s;
}

detail::LogLik spend_loglik(const SpendRows& s) {
  return [&s](std::span<const double> th, std::span<double> grad) {
    const double p = th[0], q = th[1], g = th[2];
    const bool want = !grad.empty();
    const size_t nx = s.xs.size();
    std::vector<double> c(nx), dpc(nx), dqc(nx);
    const double lgq = std::lgamma(q), psi_q = want ? detail::digamma(q) : 0;
    double ll = 0, dp = 0, dq = 0, dg = 0;
    for (size_t k = 0; k < nx; ++k) {
      const double x = s.xs[k];
      c[k] = std::lgamma(p * x + q) - std::lgamma(p * x) - lgq + q * std::log(g) + std::log(x);
      ll += s.x_weight[k] * c[k];
      if (want) {
        const double psi_pxq = detail::digamma(p * x + q);
        dp += s.x_weight[k] * x * (psi_pxq - detail::digamma(p * x));
        dq += s.x_weight[k] * (psi_pxq - psi_q + std::log(g));
        dg += s.x_weight[k] * q / g;
      }
    }
    for (size_t i = 0; i < s.m.size(); ++i) {
      const double x = s.xs[s.xi[i]];
      const double lgm = std::log(g + s.m[i] * x);
      ll += (p * x - 1) * s.log_mx[i] - (p * x + q) * lgm;
      if (want) {
        dp += x * (s.log_mx[i] - lgm);
        dq -= lgm;
        dg -= (p * x + q) / (g + s.m[i] * x);
      }
    }
    if (want) {
      grad[0] = dp;
      grad[1] = dq;
      grad[2] = dg;
    }
    return ll;
  };
}

}  // namespace

Fit fit_gamma_gamma(std::span<const int32_t> x, std::span<const double> monetary, const FitOptions& options) {
  const SpendRows s = spend_rows(x, monetary);
  if (s.m.size() < 2)
    throw Error(ErrorCode::analysis,
                fmt::format("Gamma-Gamma needs at least two repeat customers with a positive mean order value ({} found, "
                            "{} excluded for a non-positive value)",
                            s.m.size(), s.excluded),
                {}, "use a later --calibration-end or more orders");
  double mean = 0;
  for (double v : s.m) mean += v;
  mean /= static_cast<double>(s.m.size());
  detail::Problem p;
  p.model = Model::gamma_gamma;
  p.names = {"p", "q", "gamma"};
  p.loglik = spend_loglik(s);
  p.start = {1.0, 3.0, 2.0 * mean};
  // Millions of repeat customers: start from the fit to an evenly spaced sample of about 100,000 of them, so the
  // full likelihood (one log per customer) is evaluated a few times instead of a few dozen.
  constexpr size_t kSample = 100'000;
  int warm_evaluations = 0;
  if (s.m.size() > 2 * kSample && options.start.empty()) {
    const size_t stride = x.size() / kSample + 1;
    std::vector<int32_t> xs;
    std::vector<double> ms;
    for (size_t i = 0; i < x.size(); i += stride) {
      xs.push_back(x[i]);
      ms.push_back(monetary[i]);
    }
    const SpendRows sample = spend_rows(xs, ms);
    if (sample.m.size() >= 2) {
      detail::Problem q = p;
      q.loglik = spend_loglik(sample);
      q.weight = static_cast<double>(sample.m.size());
      const Fit warm = detail::maximise(q, options);
      if (warm.converged) p.start = {warm.param("p"), warm.param("q"), warm.param("gamma")};
      warm_evaluations = warm.evaluations;
    }
  }
  p.weight = static_cast<double>(s.m.size());
  p.rows = static_cast<int64_t>(s.m.size());
  p.unique_rows = p.rows;
  Fit fit = detail::maximise(p, options);
  fit.sample_evaluations = warm_evaluations;
  fit.excluded = s.excluded;
  if (fit.excluded > 0)
    fit.note = fmt::format("{} repeat customers with a non-positive mean order value were left out of the Gamma-Gamma fit.",
                           fit.excluded);
  if (fit.param("q") <= 1)
    fit.note += std::string(fit.note.empty() ? "" : " ") +
                "q ≤ 1: the population mean order value is infinite, so customers without repeat purchases are given the "
                "mean of the repeat customers' values instead.";
  return fit;
}

double gamma_gamma_log_likelihood(std::span<const double> params, std::span<const int32_t> x,
                                  std::span<const double> monetary) {
  const SpendRows s = spend_rows(x, monetary);
  return spend_loglik(s)(params, {});
}

double expected_order_value(const Fit& spend, int32_t x, double monetary) {
  const double p = spend.param("p"), q = spend.param("q"), g = spend.param("gamma");
  if (x <= 0 || !(monetary > 0)) return q > 1 ? p * g / (q - 1) : 0.0;
  const double px = p * x;
  // (γ + x m̄) p / (px + q − 1): a weighted average of the population mean and the customer's own mean.
  return p * (g + x * monetary) / (px + q - 1);
}

}  // namespace koko::clv
