// A whole experiment: every metric × variant × scale through the frequentist, sequential and Bayesian kernels,
// multiple-testing corrections across metrics × variants, and the health checks.
#include <fmt/format.h>

#include <cmath>

#include "koko/core/error.hpp"
#include "koko/experiment/experiment.hpp"

namespace koko::experiment {

namespace {

void validate(const ExperimentData& d, const Settings& s) {
  if (d.variants.size() < 2)
    throw Error(ErrorCode::analysis,
                d.variants.empty() ? "the experiment has no variants"
                                   : fmt::format("the experiment has a single variant ('{}')", d.variants[0]),
                {}, "an A/B test compares at least two variants: check the variant column and any filters");
  if (d.units.size() != d.variants.size() || d.stats.size() != d.metrics.size())
    throw Error(ErrorCode::internal, "experiment statistics do not match the variants and metrics");
  for (size_t v = 0; v < d.variants.size(); ++v) {
    if (d.units[v] < 0)
      throw Error(ErrorCode::analysis, fmt::format("variant '{}' has a negative unit count", d.variants[v]));
    if (d.units[v] == 0)
      throw Error(ErrorCode::analysis, fmt::format("variant '{}' has no units", d.variants[v]), {},
                  "remove it from the plan (--weights) or check the filters that dropped its rows");
  }
  if (d.metrics.empty()) throw Error(ErrorCode::analysis, "no metrics to analyse", {}, "name them with --metric");
  for (size_t m = 0; m < d.metrics.size(); ++m) {
    if (d.stats[m].size() != d.variants.size())
      throw Error(ErrorCode::internal, "experiment statistics do not match the variants");
    for (size_t v = 0; v < d.variants.size(); ++v) {
      const auto& a = d.stats[m][v];
      if (a.n < 0 || a.m2 < 0 || a.n_pre < 0 || a.n_pre > a.n || !std::isfinite(a.mean) || !std::isfinite(a.m2))
        throw Error(ErrorCode::analysis, fmt::format("inconsistent statistics for metric '{}' in variant '{}'",
                                                     d.metrics[m].name, d.variants[v]));
      if (d.metrics[m].kind == MetricKind::proportion && (a.mean < 0 || a.mean > 1))
        throw Error(ErrorCode::analysis,
                    fmt::format("metric '{}' in variant '{}': conversions must lie between 0 and the users",
                                d.metrics[m].name, d.variants[v]));
    }
  }
  if (!(s.alpha > 0 && s.alpha < 1))
    throw Error(ErrorCode::usage, "alpha must be between 0 and 1", {}, "e.g. --alpha 0.05");
  if (!(s.sequential_tuning > 0)) throw Error(ErrorCode::usage, "the sequential tuning N* must be positive");
  if (s.prior.variance < 0) throw Error(ErrorCode::usage, "the prior variance must not be negative");
}

int64_t conversions(const ArmStats& a) { return std::llround(a.mean * static_cast<double>(a.n)); }

void health(const ExperimentData& d, const Settings& s, ExperimentResult& r) {
  if (r.srm.mismatch) r.findings.push_back({"srm", "", "", r.srm.p_value, s.srm_threshold});
  for (size_t v = 0; v < d.variants.size(); ++v)
    if (d.units[v] < s.min_units)
      r.findings.push_back(
          {"min_units", "", d.variants[v], static_cast<double>(d.units[v]), static_cast<double>(s.min_units)});
  if (d.first_day && d.last_day) {
    r.days = *d.last_day - *d.first_day + 1;
    if (*r.days < s.min_days)
      r.findings.push_back({"too_early", "", "", static_cast<double>(*r.days), double(s.min_days)});
  }
  for (size_t m = 0; m < d.metrics.size(); ++m) {
    const auto& spec = d.metrics[m];
    const auto& arms = d.stats[m];
    for (size_t v = 0; v < d.variants.size(); ++v) {
      const auto& a = arms[v];
      if (spec.kind == MetricKind::proportion) {
        const int64_t c = conversions(a);
        if (std::min(c, a.n - c) < s.min_conversions)
          r.findings.push_back({"min_conversions", spec.name, d.variants[v], static_cast<double>(std::min(c, a.n - c)),
                                static_cast<double>(s.min_conversions)});
      }
      if (a.n >= 2 && unit_variance(a, spec.kind) == 0)
        r.findings.push_back({"zero_variance", spec.name, d.variants[v], metric_mean(a, spec.kind), 0});
      if (spec.cuped && spec.kind != MetricKind::ratio && a.n_pre < a.n)
        r.findings.push_back({"cuped_missing_pre", spec.name, d.variants[v], static_cast<double>(a.n - a.n_pre),
                              static_cast<double>(a.n)});
    }
    if (metric_mean(arms[0], spec.kind) == 0) r.findings.push_back({"control_zero", spec.name, d.variants[0], 0, 0});
    if (spec.cuped && spec.kind == MetricKind::ratio) r.findings.push_back({"cuped_ratio", spec.name, "", 0, 0});
    if (spec.cuped && spec.kind != MetricKind::ratio) {
      bool any_pre_var = false;
      for (const auto& a : arms) any_pre_var = any_pre_var || a.pre_m2 > 0;
      if (!any_pre_var) r.findings.push_back({"cuped_zero_variance", spec.name, "", 0, 0});
    }
  }
}

void correct(const Settings& s, ExperimentResult& r) {
  for (const Scale scale : {Scale::relative, Scale::absolute}) {
    std::vector<size_t> idx;
    std::vector<double> p;
    for (size_t i = 0; i < r.comparisons.size(); ++i)
      if (r.comparisons[i].scale == scale && r.comparisons[i].moments.ok) {
        idx.push_back(i);
        p.push_back(r.comparisons[i].test.p_value);
      }
    const auto holm = holm_bonferroni(p), bh = benjamini_hochberg(p);
    for (size_t k = 0; k < idx.size(); ++k) {
      auto& c = r.comparisons[idx[k]];
      c.p_holm = holm[k];
      c.p_bh = bh[k];
      const double decisive = s.correction == Correction::holm ? c.p_holm
                              : s.correction == Correction::bh ? c.p_bh
                                                               : c.test.p_value;
      c.significant = decisive < s.alpha;
    }
  }
}

}  // namespace

ExperimentResult analyze(const ExperimentData& d, const Settings& s) {
  validate(d, s);
  ExperimentResult r;
  r.srm = sample_ratio_mismatch(d.units, s.weights, s.srm_threshold);
  for (size_t m = 0; m < d.metrics.size(); ++m) {
    const auto& spec = d.metrics[m];
    const auto& control = d.stats[m][0];
    for (size_t v = 1; v < d.variants.size(); ++v) {
      const auto& variant = d.stats[m][v];
      std::optional<double> theta;
      if (spec.cuped && spec.kind != MetricKind::ratio) {
        const ArmStats pair[] = {control, variant};
        theta = cuped_theta(pair);
      }
      std::optional<ZTest> z;
      std::optional<BetaResult> beta;
      if (spec.kind == MetricKind::proportion) {
        z = pooled_z_test(control.n, conversions(control), variant.n, conversions(variant), s.sided);
        if (s.beta_binomial)
          beta = beta_binomial(control.n, conversions(control), variant.n, conversions(variant), s.beta_prior_a,
                               s.beta_prior_b);
      }
      for (const Scale scale : {Scale::relative, Scale::absolute}) {
        Comparison c;
        c.metric = m;
        c.variant = v;
        c.scale = scale;
        c.moments = effect_moments(control, variant, spec.kind, scale, theta);
        c.test = welch_test(c.moments, s.alpha, s.sided);
        c.sequential = confidence_sequence(c.moments, s.alpha, s.sequential_tuning);
        c.bayes = gaussian_posterior(c.moments, scale, s.prior, s.alpha);
        c.pooled_z = z;
        c.beta = beta;
        r.comparisons.push_back(std::move(c));
      }
    }
  }
  correct(s, r);
  health(d, s, r);
  return r;
}

}  // namespace koko::experiment
