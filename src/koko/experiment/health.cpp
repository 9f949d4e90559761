// Health checks: sample ratio mismatch and multiple-testing corrections.
#include <fmt/format.h>

#include <algorithm>
#include <boost/math/distributions/chi_squared.hpp>
#include <numeric>

#include "koko/core/error.hpp"
#include "koko/experiment/experiment.hpp"

namespace koko::experiment {

namespace {

// Indices of p in ascending order of value (stable, so ties keep their input order).
std::vector<size_t> ascending(std::span<const double> p) {
  std::vector<size_t> idx(p.size());
  std::iota(idx.begin(), idx.end(), size_t{0});
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return p[a] < p[b]; });
  return idx;
}

}  // namespace

Srm sample_ratio_mismatch(std::span<const int64_t> units, std::span<const double> weights, double threshold) {
  if (units.size() < 2) throw Error(ErrorCode::analysis, "the sample-ratio check needs at least two variants");
  std::vector<double> w(weights.begin(), weights.end());
  if (w.empty()) w.assign(units.size(), 1.0);
  if (w.size() != units.size())
    throw Error(ErrorCode::usage, fmt::format("{} planned weights for {} variants", w.size(), units.size()), {},
                "give one weight per variant, control first (e.g. --weights 50,50)");
  double wsum = 0, total = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    if (!(w[i] > 0)) throw Error(ErrorCode::usage, "planned weights must be positive", {}, "e.g. --weights 50,50");
    if (units[i] < 0) throw Error(ErrorCode::analysis, "negative unit count");
    wsum += w[i];
    total += static_cast<double>(units[i]);
  }
  Srm r;
  for (size_t i = 0; i < w.size(); ++i) {
    const double e = w[i] / wsum * total;
    r.expected.push_back(e);
    const double d = static_cast<double>(units[i]) - e;
    if (e > 0) r.chi2 += d * d / e;
  }
  const boost::math::chi_squared dist(static_cast<double>(units.size() - 1));
  r.p_value = total > 0 ? boost::math::cdf(boost::math::complement(dist, r.chi2)) : 1.0;
  r.mismatch = r.p_value < threshold;
  return r;
}

std::vector<double> holm_bonferroni(std::span<const double> p) {
  const auto idx = ascending(p);
  const double m = static_cast<double>(p.size());
  std::vector<double> out(p.size());
  double running = 0;
  for (size_t k = 0; k < idx.size(); ++k) {
    running = std::max(running, std::min(1.0, (m - static_cast<double>(k)) * p[idx[k]]));
    out[idx[k]] = running;
  }
  return out;
}

std::vector<double> benjamini_hochberg(std::span<const double> p) {
  const auto idx = ascending(p);
  const double m = static_cast<double>(p.size());
  std::vector<double> out(p.size());
  double running = 1;
  for (size_t k = idx.size(); k-- > 0;) {
    running = std::min(running, m / static_cast<double>(k + 1) * p[idx[k]]);
    out[idx[k]] = std::min(1.0, running);
  }
  return out;
}

}  // namespace koko::experiment
