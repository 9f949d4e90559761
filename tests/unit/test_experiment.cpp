// A/B kernels against independent reference values: tests/golden/experiment/reference.json, written by
// tests/fixtures/experiment/reference_values.py with scipy and statsmodels (closed forms where they have none).
// Closed-form and t-based outputs match to 1e-7 relative, quadrature- and bisection-based ones to 1e-6.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "koko/core/error.hpp"
#include "koko/experiment/experiment.hpp"
#include "koko/experiment/results.hpp"

using namespace koko;
using namespace koko::experiment;
using nlohmann::json;

namespace {

const json& reference() {
  static const json j = [] {
    const std::string path = std::string(KOKO_SOURCE_DIR) + "/tests/golden/experiment/reference.json";
    std::ifstream in(path);
    if (!in) throw std::runtime_error("missing " + path + ": run tests/fixtures/experiment/reference_values.py");
    return json::parse(in);
  }();
  return j;
}

std::vector<json> cases_of(const std::string& kind) {
  std::vector<json> out;
  for (const auto& c : reference()["cases"])
    if (c["kind"] == kind) out.push_back(c);
  return out;
}

// |actual − expected| ≤ tol·|expected| (with a floor far below any value compared); null = unbounded.
void expect_close(double actual, const json& expected, double tol, const std::string& what) {
  if (expected.is_null()) {
    EXPECT_TRUE(std::isinf(actual)) << what << " should be unbounded, got " << actual;
    return;
  }
  const double e = expected.get<double>();
  EXPECT_LE(std::abs(actual - e), tol * std::abs(e) + 1e-300)
      << what << ": koko " << actual << ", reference " << e << " (rel " << std::abs(actual - e) / std::abs(e) << ")";
}

MetricKind kind_of(const json& j) {
  const auto s = j.get<std::string>();
  return s == "proportion" ? MetricKind::proportion : s == "ratio" ? MetricKind::ratio : MetricKind::mean;
}
Scale scale_of(const json& j) { return j == "absolute" ? Scale::absolute : Scale::relative; }
Sided sided_of(const json& j) { return j == "greater" ? Sided::greater : j == "less" ? Sided::less : Sided::two; }

ArmStats arm_of(const json& a) {
  auto s = ArmStats::from_sums(a["n"].get<int64_t>(), a["sum"].get<double>(), a["sum_sq"].get<double>());
  if (a.contains("n_pre"))
    s.set_pre_sums(a["n_pre"].get<int64_t>(), a["pre_y_sum"], a["pre_y_sum_sq"], a["pre_sum"], a["pre_sum_sq"],
                   a["post_pre_sum"]);
  if (a.contains("den_sum")) s.set_denominator_sums(a["den_sum"], a["den_sum_sq"], a["num_den_sum"]);
  return s;
}

TEST(ExperimentReference, HasAtLeastThirtyCases) { EXPECT_GE(reference()["cases"].size(), 30u); }

TEST(ExperimentReference, WelchTTests) {
  const auto cases = cases_of("welch");
  ASSERT_GE(cases.size(), 15u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const auto& in = c["input"];
    const auto& ex = c["expected"];
    const double tol = c["tol"];
    const auto m =
        effect_moments(arm_of(in["control"]), arm_of(in["variant"]), kind_of(in["kind"]), scale_of(in["scale"]));
    ASSERT_TRUE(m.ok) << m.problem;
    expect_close(m.effect, ex["effect"], tol, "effect");
    expect_close(m.se, ex["se"], tol, "se");
    expect_close(m.df, ex["df"], tol, "df");
    const auto t = welch_test(m, in["alpha"], sided_of(in["sided"]));
    expect_close(t.p_value, ex["p_value"], tol, "p");
    expect_close(t.ci_low, ex["ci_low"], tol, "ci_low");
    expect_close(t.ci_high, ex["ci_high"], tol, "ci_high");
    if (ex.contains("t")) expect_close(t.t, ex["t"], tol, "t");
  }
}

// The issue's published numbers, spelled out.
TEST(ExperimentReference, KnownValuesFromTheIssue) {
  const auto m =
      effect_moments(proportion_arm(10000, 1000), proportion_arm(10000, 1100), MetricKind::proportion, Scale::relative);
  const auto t = welch_test(m, 0.05, Sided::two);
  EXPECT_NEAR(m.effect, 0.10, 1e-12);
  EXPECT_NEAR(t.ci_low, 0.010865, 5e-7);
  EXPECT_NEAR(t.ci_high, 0.189135, 5e-7);
  EXPECT_NEAR(t.p_value, 0.027890, 5e-7);
}

TEST(ExperimentReference, PooledZTests) {
  const auto cases = cases_of("ztest");
  ASSERT_GE(cases.size(), 2u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const auto& in = c["input"];
    const auto z = pooled_z_test(in["control"]["n"], in["control"]["sum"].get<int64_t>(), in["variant"]["n"],
                                 in["variant"]["sum"].get<int64_t>(), sided_of(in["sided"]));
    expect_close(z.z, c["expected"]["z"], c["tol"], "z");
    expect_close(z.p_value, c["expected"]["p_value"], c["tol"], "p");
  }
}

TEST(ExperimentReference, CupedFromSums) {
  const auto cases = cases_of("cuped");
  ASSERT_GE(cases.size(), 4u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const auto& in = c["input"];
    const auto& ex = c["expected"];
    const double tol = c["tol"];
    const ArmStats arms[] = {arm_of(in["control"]), arm_of(in["variant"])};
    const double theta = cuped_theta(arms);
    expect_close(theta, ex["theta"], tol, "theta");
    const auto m = effect_moments(arms[0], arms[1], kind_of(in["kind"]), scale_of(in["scale"]), theta);
    ASSERT_TRUE(m.ok) << m.problem;
    expect_close(m.effect, ex["effect"], tol, "effect");
    expect_close(m.se, ex["se"], tol, "se");
    expect_close(m.df, ex["df"], tol, "df");
    const auto t = welch_test(m, 0.05, Sided::two);
    expect_close(t.p_value, ex["p_value"], tol, "p");
    expect_close(t.ci_low, ex["ci_low"], tol, "ci_low");
    expect_close(t.ci_high, ex["ci_high"], tol, "ci_high");
    if (ex.contains("variance_reduction")) expect_close(m.variance_reduction, ex["variance_reduction"], tol, "vr");
  }
}

TEST(ExperimentReference, RatioMetricsFromSums) {
  const auto cases = cases_of("ratio");
  ASSERT_GE(cases.size(), 2u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const auto& in = c["input"];
    const auto& ex = c["expected"];
    const double tol = c["tol"];
    const auto m =
        effect_moments(arm_of(in["control"]), arm_of(in["variant"]), MetricKind::ratio, scale_of(in["scale"]));
    ASSERT_TRUE(m.ok) << m.problem;
    expect_close(m.effect, ex["effect"], tol, "effect");
    expect_close(m.se, ex["se"], tol, "se");
    expect_close(m.df, ex["df"], tol, "df");
    const auto t = welch_test(m, 0.05, Sided::two);
    expect_close(t.p_value, ex["p_value"], tol, "p");
    expect_close(t.ci_low, ex["ci_low"], tol, "ci_low");
    expect_close(t.ci_high, ex["ci_high"], tol, "ci_high");
  }
}

TEST(ExperimentReference, GaussianPosterior) {
  const auto cases = cases_of("bayes");
  ASSERT_GE(cases.size(), 3u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const auto& in = c["input"];
    const auto& ex = c["expected"];
    const double tol = c["tol"];
    const Scale scale = scale_of(in["scale"]);
    const auto m = effect_moments(arm_of(in["control"]), arm_of(in["variant"]), kind_of(in["kind"]), scale);
    const double sd = in["prior_sd"];
    const auto p = gaussian_posterior(m, scale, {in["prior_mean"].get<double>(), sd * sd}, in["alpha"]);
    expect_close(p.mean, ex["post_mean"], tol, "mean");
    expect_close(p.sd, ex["post_sd"], tol, "sd");
    expect_close(p.chance_to_beat, ex["chance_to_beat"], tol, "chance");
    expect_close(p.ci_low, ex["cred_low"], tol, "cred_low");
    expect_close(p.ci_high, ex["cred_high"], tol, "cred_high");
    expect_close(p.risk_control, ex["risk_control"], tol, "risk_control");
    expect_close(p.risk_variant, ex["risk_variant"], tol, "risk_variant");
  }
}

TEST(ExperimentReference, BetaBinomialByQuadrature) {
  const auto cases = cases_of("beta");
  ASSERT_GE(cases.size(), 3u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const auto& in = c["input"];
    const auto& ex = c["expected"];
    const double tol = c["tol"];
    const auto r = beta_binomial(in["control"]["users"], in["control"]["conversions"], in["variant"]["users"],
                                 in["variant"]["conversions"], in["prior"][0], in["prior"][1]);
    expect_close(r.chance_to_beat, ex["chance_to_beat"], tol, "chance");
    expect_close(r.risk_control, ex["risk_control"], tol, "risk_control");
    expect_close(r.risk_variant, ex["risk_variant"], tol, "risk_variant");
  }
}

TEST(ExperimentReference, ConfidenceSequences) {
  const auto cases = cases_of("sequential");
  ASSERT_GE(cases.size(), 3u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const auto& in = c["input"];
    const auto& ex = c["expected"];
    const auto m =
        effect_moments(arm_of(in["control"]), arm_of(in["variant"]), kind_of(in["kind"]), scale_of(in["scale"]));
    const auto s = confidence_sequence(m, in["alpha"], in["tuning"]);
    expect_close(s.ci_low, ex["ci_low"], 1e-7, "ci_low");
    expect_close(s.ci_high, ex["ci_high"], 1e-7, "ci_high");
    expect_close(s.p_value, ex["p_value"], 1e-6, "p (bisection)");
  }
}

TEST(ExperimentReference, SampleRatioMismatch) {
  const auto cases = cases_of("srm");
  ASSERT_GE(cases.size(), 2u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const auto units = c["input"]["units"].get<std::vector<int64_t>>();
    const auto weights = c["input"]["weights"].get<std::vector<double>>();
    const auto r = sample_ratio_mismatch(units, weights, 0.001);
    expect_close(r.chi2, c["expected"]["chi2"], c["tol"], "chi2");
    expect_close(r.p_value, c["expected"]["p_value"], c["tol"], "p");
    EXPECT_EQ(r.mismatch, c["expected"]["p_value"].get<double>() < 0.001);
  }
}

TEST(ExperimentReference, MultipleTestingCorrections) {
  const auto cases = cases_of("correction");
  ASSERT_GE(cases.size(), 2u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const auto p = c["input"]["p_values"].get<std::vector<double>>();
    const auto adj = c["input"]["method"] == "holm" ? holm_bonferroni(p) : benjamini_hochberg(p);
    const auto& ex = c["expected"]["adjusted"];
    ASSERT_EQ(adj.size(), ex.size());
    for (size_t i = 0; i < adj.size(); ++i) expect_close(adj[i], ex[i], c["tol"], "p[" + std::to_string(i) + "]");
  }
}

TEST(ExperimentReference, Planning) {
  const auto cases = cases_of("plan");
  ASSERT_GE(cases.size(), 3u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const auto& in = c["input"];
    const auto& ex = c["expected"];
    PlanInput p;
    p.kind = kind_of(in["kind"]);
    p.mean = in["mean"];
    p.sd = in["sd"];
    p.scale = scale_of(in["scale"]);
    p.alpha = in["alpha"];
    p.power = in["power"];
    expect_close(power_at(p, in["effect"], in["n"]), ex["power"], c["tol"], "power");
    const auto mde = minimum_detectable_effect(p, in["n"]);
    ASSERT_TRUE(mde.has_value());
    expect_close(*mde, ex["mde"], c["tol"], "mde");
    EXPECT_EQ(sample_size(p, in["effect"]), ex["sample_size"].get<int64_t>());
  }
}

// ---------------------------------------------------------------- bad input: errors or flags, never NaN

ExperimentData two_arm(ArmStats a, ArmStats b, MetricKind kind = MetricKind::proportion) {
  ExperimentData d;
  d.variants = {"control", "treatment"};
  d.units = {a.n, b.n};
  d.metrics = {{"m", kind, false, {}, {}}};
  d.stats = {{a, b}};
  return d;
}

void expect_no_nan(const ExperimentResult& r) {
  for (const auto& c : r.comparisons) {
    for (double v : {c.moments.effect, c.moments.se, c.moments.df, c.test.p_value, c.test.t, c.p_holm, c.p_bh,
                     c.sequential.ci_low, c.sequential.ci_high, c.sequential.p_value, c.bayes.mean, c.bayes.sd,
                     c.bayes.chance_to_beat, c.bayes.risk_control, c.bayes.risk_variant})
      EXPECT_FALSE(std::isnan(v));
  }
  EXPECT_FALSE(std::isnan(r.srm.p_value));
}

TEST(ExperimentBadInput, SingleVariantIsAnError) {
  ExperimentData d = two_arm(proportion_arm(100, 10), proportion_arm(100, 12));
  d.variants.pop_back();
  d.units.pop_back();
  d.stats[0].pop_back();
  try {
    analyze(d, {});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code, ErrorCode::analysis);
    EXPECT_NE(e.message.find("single variant"), std::string::npos) << e.message;
  }
}

TEST(ExperimentBadInput, VariantWithoutUnitsIsAnError) {
  const auto d = two_arm(proportion_arm(100, 10), proportion_arm(0, 0));
  try {
    analyze(d, {});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(e.message.find("'treatment' has no units"), std::string::npos) << e.message;
  }
}

TEST(ExperimentBadInput, ConversionsAboveUsersAndNegativeCountsAreErrors) {
  EXPECT_THROW(analyze(two_arm(proportion_arm(100, 120), proportion_arm(100, 12)), {}), Error);
  auto d = two_arm(proportion_arm(100, 10), proportion_arm(100, 12));
  d.units[1] = -5;
  EXPECT_THROW(analyze(d, {}), Error);
}

TEST(ExperimentBadInput, ZeroVarianceIsFlaggedNotNaN) {
  // No conversions anywhere: nothing to test, and every number stays finite.
  const auto r = analyze(two_arm(proportion_arm(500, 0), proportion_arm(500, 0)), {});
  expect_no_nan(r);
  for (const auto& c : r.comparisons) {
    EXPECT_FALSE(c.moments.ok);
    EXPECT_FALSE(c.significant);
  }
  bool flagged = false;
  for (const auto& f : r.findings) flagged = flagged || f.code == "zero_variance";
  EXPECT_TRUE(flagged);
}

TEST(ExperimentBadInput, ControlMeanZeroLeavesTheAbsoluteEffect) {
  const auto r = analyze(two_arm(proportion_arm(500, 0), proportion_arm(500, 9)), {});
  expect_no_nan(r);
  ASSERT_EQ(r.comparisons.size(), 2u);
  EXPECT_FALSE(r.comparisons[0].moments.ok);  // relative: undefined
  EXPECT_EQ(r.comparisons[0].moments.problem, "control mean is 0");
  EXPECT_TRUE(r.comparisons[1].moments.ok);  // absolute: one arm's variance is 0, the test still runs
  EXPECT_NEAR(r.comparisons[1].moments.df, 499, 1e-9);
}

TEST(ExperimentBadInput, TinyArmsAreFlagged) {
  const auto r = analyze(two_arm(proportion_arm(1, 1), proportion_arm(1, 0)), {});
  expect_no_nan(r);
  EXPECT_FALSE(r.comparisons[0].moments.ok);
  bool min_units = false;
  for (const auto& f : r.findings) min_units = min_units || f.code == "min_units";
  EXPECT_TRUE(min_units);
}

TEST(ExperimentBadInput, WrongNumberOfWeightsIsAUsageError) {
  Settings s;
  s.weights = {1, 1, 1};
  EXPECT_THROW(analyze(two_arm(proportion_arm(100, 10), proportion_arm(100, 12)), s), Error);
}

// ---------------------------------------------------------------- the whole experiment

TEST(ExperimentAnalyze, ThreeArmsCorrectedAcrossMetricsAndVariants) {
  ExperimentData d;
  d.variants = {"control", "b", "c"};
  d.units = {10000, 10000, 10000};
  d.metrics = {{"conversion", MetricKind::proportion, false, {}, {}}};
  d.stats = {{proportion_arm(10000, 1000), proportion_arm(10000, 1100), proportion_arm(10000, 1040)}};
  const auto r = analyze(d, {});
  ASSERT_EQ(r.comparisons.size(), 4u);
  const auto b = cases_of("welch");
  auto expected_p = [&](const std::string& name) {
    for (const auto& c : b)
      if (c["name"] == name) return c["expected"]["p_value"].get<double>();
    return -1.0;
  };
  const double pb = expected_p("three_arms_b_relative"), pc = expected_p("three_arms_c_relative");
  EXPECT_NEAR(r.comparisons[0].test.p_value, pb, 1e-7 * pb);
  EXPECT_NEAR(r.comparisons[2].test.p_value, pc, 1e-7 * pc);
  // Holm over the two relative p-values: the smaller one times 2, the larger one times 1 (monotone).
  EXPECT_NEAR(r.comparisons[0].p_holm, std::min(1.0, 2 * pb), 1e-12);
  EXPECT_NEAR(r.comparisons[2].p_holm, std::max(2 * pb, pc), 1e-12);
  EXPECT_FALSE(r.srm.mismatch);
  ASSERT_TRUE(r.comparisons[0].beta.has_value());
  ASSERT_TRUE(r.comparisons[1].pooled_z.has_value());
}

TEST(ExperimentAnalyze, TooEarlyAndSampleRatioMismatch) {
  auto d = two_arm(proportion_arm(5000, 500), proportion_arm(4500, 470));
  d.first_day = 19000;
  d.last_day = 19002;
  const auto r = analyze(d, {});
  std::set<std::string> codes;
  for (const auto& f : r.findings) codes.insert(f.code);
  EXPECT_TRUE(codes.contains("srm"));
  EXPECT_TRUE(codes.contains("too_early"));
  ASSERT_TRUE(r.days.has_value());
  EXPECT_EQ(*r.days, 3);
}

// ---------------------------------------------------------------- words: every finding and summary in EN and JA

TEST(ExperimentWords, EveryFindingHasASentenceInBothLanguages) {
  for (const char* code : {"srm", "min_units", "min_conversions", "too_early", "zero_variance", "control_zero",
                           "cuped_missing_pre", "cuped_zero_variance", "cuped_ratio"})
    for (const Lang lang : {Lang::en, Lang::ja}) {
      const auto text = describe({code, "revenue", "B", 12, 100}, lang);
      EXPECT_FALSE(text.empty()) << code;
      EXPECT_EQ(text.find('{'), std::string::npos) << code << ": " << text;
    }
}

TEST(ExperimentWords, TerminalSummary) {
  LoadedExperiment e;
  e.data = two_arm(proportion_arm(10000, 1000), proportion_arm(10000, 1100));
  e.summary.rows_read = e.summary.rows_kept = 20000;
  const auto r = analyze(e.data, {});
  const auto en = text_summary("known", e, r, {}, Lang::en);
  EXPECT_NE(en.find("+10.00%  [+1.09%, +18.91%]"), std::string::npos) << en;
  EXPECT_NE(en.find("0.0279"), std::string::npos) << en;
  const auto ja = text_summary("known", e, r, {}, Lang::ja);
  EXPECT_NE(ja.find("リフト"), std::string::npos) << ja;
}

}  // namespace
