#pragma once
// A/B validation: pure kernels over sufficient statistics (plain structs in, plain structs out). The formulas
// follow GrowthBook's published statistics documentation, so results compare number for number; the reference
// values come from tests/fixtures/experiment/reference_values.py (scipy, statsmodels). See docs/experiments.md.
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace koko::experiment {

enum class MetricKind { proportion, mean, ratio };
enum class Scale { relative, absolute };
enum class Sided { two, greater, less };  // greater: the alternative is "variant > control"

// Sufficient statistics of one metric in one variant. Moments are centred (m2 = Σ(y − ȳ)²), which keeps the
// variance exact when the mean is large next to the spread; from_sums builds them from n, Σy, Σy².
struct ArmStats {
  int64_t n = 0;    // units
  double mean = 0;  // metric value per unit (ratio metrics: the numerator)
  double m2 = 0;    // Σ(y − ȳ)²
  // Ratio metrics: the denominator and the co-moment Σ(y − ȳ)(d − d̄).
  double den_mean = 0, den_m2 = 0, num_den_c = 0;
  // CUPED: the units with a pre-period value (n_pre ≤ n); the others are adjusted as if their pre-period value
  // were the pooled mean of the observed ones, i.e. not at all.
  int64_t n_pre = 0;
  double pre_y_mean = 0, pre_y_m2 = 0;  // the metric over those units
  double pre_mean = 0, pre_m2 = 0;      // the covariate
  double post_pre_c = 0;                // Σ(y − ȳ)(x − x̄) over those units

  static ArmStats from_sums(int64_t n, double sum, double sum_sq);
  // Adds the covariate from sums over the n_pre units that have one (pre_y_*: the metric over those units).
  void set_pre_sums(int64_t n_pre, double y_sum, double y_sum_sq, double x_sum, double x_sum_sq, double xy_sum);
  void set_denominator_sums(double d_sum, double d_sum_sq, double yd_sum);
};

// Proportions: users and conversions (conversions ≤ users).
ArmStats proportion_arm(int64_t users, int64_t conversions);

// The effect of one variant against the control on one scale, and its standard error.
struct EffectMoments {
  bool ok = false;
  std::string problem;  // why nothing could be computed (zero variance, control mean 0, …)
  double effect = 0;    // absolute: m_b − m_a; relative: (m_b − m_a)/|m_a|
  double se = 0;
  double df = 0;            // Welch–Satterthwaite
  double n_total = 0;       // n_a + n_b
  double control_mean = 0;  // unadjusted
  double variant_mean = 0;
  double var_control = 0;  // per-unit variances used (CUPED: adjusted)
  double var_variant = 0;
  // CUPED
  bool cuped = false;
  double theta = 0;
  double se_unadjusted = 0;       // the same effect without the covariate
  double variance_reduction = 0;  // 1 − se² / se_unadjusted²
};

// Per-unit variance of an arm's metric: p(1 − p) for proportions, sample variance (n − 1) for means, the
// delta-method variance of Σy/Σd for ratios.
double unit_variance(const ArmStats& a, MetricKind kind);
double metric_mean(const ArmStats& a, MetricKind kind);  // ȳ, or Σy/Σd for ratios

// theta = cov(post, pre) / var(pre) over the pooled arms (with the missing pre-period values imputed).
double cuped_theta(std::span<const ArmStats> arms);

// Effect moments; theta set = CUPED (not for ratio metrics).
EffectMoments effect_moments(const ArmStats& control, const ArmStats& variant, MetricKind kind, Scale scale,
                             std::optional<double> theta = std::nullopt);

inline constexpr double kInf = std::numeric_limits<double>::infinity();

struct TTest {
  double t = 0;
  double p_value = 1;
  double ci_low = -kInf;  // −inf / +inf for the open end of a one-sided interval
  double ci_high = kInf;
};
// Welch t-test with Welch–Satterthwaite degrees of freedom at level alpha.
TTest welch_test(const EffectMoments& m, double alpha, Sided sided);

struct ZTest {
  double z = 0;
  double p_value = 1;
};
// Pooled two-proportion z-test of variant − control (statsmodels' proportions_ztest).
ZTest pooled_z_test(int64_t users_a, int64_t conv_a, int64_t users_b, int64_t conv_b, Sided sided);

// Always-valid asymptotic confidence sequence (Waudby-Smith et al. 2023), two-sided, N* = tuning total units.
double sequential_rho(double alpha, double tuning);
double sequential_halfwidth(double se, double n_total, double alpha, double tuning);
struct Sequential {
  double ci_low = 0, ci_high = 0;
  double p_value = 1;  // the smallest alpha whose sequence excludes 0 (bisection over alpha)
};
Sequential confidence_sequence(const EffectMoments& m, double alpha, double tuning);

// Gaussian model on the effect; the prior is given on the relative scale and rescaled by |control mean| for
// absolute effects. variance 0 = flat (improper) prior.
struct GaussianPrior {
  double mean = 0;
  double variance = 0;
  [[nodiscard]] bool proper() const { return variance > 0; }
};
struct Posterior {
  double mean = 0, sd = 0;
  double chance_to_beat = 0.5;  // P(effect > 0)
  double ci_low = 0, ci_high = 0;
  double risk_control = 0;  // expected loss of keeping the control: E[max(effect, 0)]
  double risk_variant = 0;  // expected loss of shipping the variant: E[max(−effect, 0)]
};
Posterior gaussian_posterior(const EffectMoments& m, Scale scale, GaussianPrior relative_prior, double alpha);

// Exact Beta-binomial for proportions: p ~ Beta(prior_a + conversions, prior_b + users − conversions) per arm.
// chance_to_beat = P(p_b > p_a) and the risks (E[max(p_b − p_a, 0)], E[max(p_a − p_b, 0)]) by quadrature.
struct BetaResult {
  double chance_to_beat = 0.5;
  double risk_control = 0;
  double risk_variant = 0;
};
BetaResult beta_binomial(int64_t users_a, int64_t conv_a, int64_t users_b, int64_t conv_b, double prior_a = 1,
                         double prior_b = 1);

// Sample ratio mismatch: chi-square of units per variant against the planned weights (any positive scale).
struct Srm {
  double chi2 = 0;
  double p_value = 1;
  std::vector<double> expected;
  bool mismatch = false;  // p_value < threshold
};
Srm sample_ratio_mismatch(std::span<const int64_t> units, std::span<const double> weights, double threshold);

// Adjusted p-values in the input order (statsmodels' multipletests 'holm' and 'fdr_bh').
std::vector<double> holm_bonferroni(std::span<const double> p);
std::vector<double> benjamini_hochberg(std::span<const double> p);

// Planning, two-sided, equal units per variant and the control's variance in both arms (GrowthBook's power
// formulas). Effects are on the given scale.
struct PlanInput {
  MetricKind kind = MetricKind::proportion;  // proportion (variance p(1 − p)) or mean (variance sd²)
  double mean = 0;                           // the control's mean (a conversion rate for proportions)
  double sd = 0;                             // means only
  Scale scale = Scale::relative;
  double alpha = 0.05;
  double power = 0.8;  // the target, for MDE and sample size
};
double power_at(const PlanInput& in, double effect, double n_per_variant);
// The smallest effect with the target power; nullopt when none exists at this n (too few units).
std::optional<double> minimum_detectable_effect(const PlanInput& in, double n_per_variant);
// The smallest units per variant with at least the target power.
int64_t sample_size(const PlanInput& in, double effect);

// ---------------------------------------------------------------- a whole experiment

struct MetricSpec {
  std::string name;
  MetricKind kind = MetricKind::mean;
  bool cuped = false;     // a pre-period covariate was given
  std::string numerator;  // ratio metrics: the columns, for display
  std::string denominator;
};

struct ExperimentData {
  std::vector<std::string> variants;  // [0] is the control
  std::vector<int64_t> units;         // per variant (for the sample-ratio check)
  std::vector<MetricSpec> metrics;
  std::vector<std::vector<ArmStats>> stats;    // [metric][variant]
  std::optional<int32_t> first_day, last_day;  // from the timestamps, when given (days since 1970-01-01)
};

enum class Correction { holm, bh, none };

struct Settings {
  double alpha = 0.05;
  Sided sided = Sided::two;
  GaussianPrior prior;        // relative scale; flat by default
  bool beta_binomial = true;  // exact Beta-binomial for proportions as well
  double beta_prior_a = 1, beta_prior_b = 1;
  double sequential_tuning = 5000;  // N*, total units
  std::vector<double> weights;      // planned traffic per variant; empty = equal
  double srm_threshold = 0.001;
  Correction correction = Correction::holm;  // which adjusted p-value decides "significant"
  int64_t min_units = 100;                   // per variant and metric
  int64_t min_conversions = 10;              // per variant, proportions
  int min_days = 7;                          // with timestamps: shorter is too early
};

// One metric × variant × scale.
struct Comparison {
  size_t metric = 0;
  size_t variant = 0;  // index into ExperimentData::variants (≥ 1)
  Scale scale = Scale::relative;
  EffectMoments moments;
  TTest test;                     // frequentist (Welch) at settings.alpha and settings.sided
  double p_holm = 1, p_bh = 1;    // across metrics × variants, per scale
  bool significant = false;       // by the chosen correction at alpha
  std::optional<ZTest> pooled_z;  // proportions, absolute scale
  Sequential sequential;
  Posterior bayes;
  std::optional<BetaResult> beta;  // proportions, absolute scale
};

// Health findings, with the numbers the report needs to word them (codes map to message keys).
struct Finding {
  std::string code;     // srm, min_units, min_conversions, too_early, zero_variance, control_zero,
                        // cuped_missing_pre, cuped_zero_variance, cuped_ratio (message key experiment.warn_<code>)
  std::string metric;   // may be empty
  std::string variant;  // may be empty
  double value = 0;
  double limit = 0;
};

struct ExperimentResult {
  std::vector<Comparison> comparisons;  // metric-major, then variant, then relative before absolute
  Srm srm;
  std::vector<Finding> findings;
  std::optional<int> days;  // from the timestamps
};

// Throws koko::Error (analysis) for fewer than two variants, a variant without units, negative counts or
// inconsistent statistics. Never returns NaN: what cannot be computed is flagged in EffectMoments::problem.
ExperimentResult analyze(const ExperimentData& data, const Settings& settings);

}  // namespace koko::experiment
