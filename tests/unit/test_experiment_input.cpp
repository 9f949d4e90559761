// Experiment inputs streamed into sufficient statistics: the unit-level fixtures against the reference values
// (tests/golden/experiment/reference.json), duplicate detection in and out of memory, per-variant summaries,
// bad input, and the real two-arm log (shared data abtest/) after its documented cleaning.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "data_dir.hpp"
#include "koko/core/error.hpp"
#include "koko/experiment/experiment.hpp"
#include "koko/experiment/input.hpp"

using namespace koko;
using namespace koko::experiment;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const fs::path kSource = KOKO_SOURCE_DIR;

using koko_test::data_dir;

const json& reference() {
  static const json j = json::parse(std::ifstream(kSource / "tests/golden/experiment/reference.json"));
  return j;
}

const json& ref_case(const std::string& name) {
  for (const auto& c : reference()["cases"])
    if (c["name"] == name) return c;
  throw std::runtime_error("no reference case " + name);
}

void expect_close(double actual, const json& expected, double tol, const std::string& what) {
  const double e = expected.get<double>();
  EXPECT_LE(std::abs(actual - e), tol * std::abs(e) + 1e-300) << what << ": koko " << actual << ", reference " << e;
}

class TempDir {
 public:
  TempDir() {
    std::string t = (fs::temp_directory_path() / "koko-test-exp-XXXXXX").string();
    if (!mkdtemp(t.data())) throw std::runtime_error("mkdtemp");
    path = t;
  }
  ~TempDir() { fs::remove_all(path); }
  fs::path write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name, std::ios::binary) << text;
    return path / name;
  }
  fs::path path;
};

const Comparison& find(const ExperimentResult& r, const ExperimentData& d, const std::string& metric, Scale scale,
                       size_t variant = 1) {
  for (const auto& c : r.comparisons)
    if (d.metrics[c.metric].name == metric && c.scale == scale && c.variant == variant) return c;
  throw std::runtime_error("no comparison for " + metric);
}

void expect_matches(const Comparison& c, const json& ref) {
  const auto& ex = ref["expected"];
  const double tol = ref["tol"];
  ASSERT_TRUE(c.moments.ok) << c.moments.problem;
  expect_close(c.moments.effect, ex["effect"], tol, "effect");
  expect_close(c.moments.se, ex["se"], tol, "se");
  expect_close(c.moments.df, ex["df"], tol, "df");
  expect_close(c.test.p_value, ex["p_value"], tol, "p");
  expect_close(c.test.ci_low, ex["ci_low"], tol, "ci_low");
  expect_close(c.test.ci_high, ex["ci_high"], tol, "ci_high");
  if (ex.contains("theta")) expect_close(c.moments.theta, ex["theta"], tol, "theta");
  if (ex.contains("variance_reduction"))
    expect_close(c.moments.variance_reduction, ex["variance_reduction"], tol, "vr");
}

InputSpec with_control(const std::string& control) {
  InputSpec s;
  s.control = control;
  return s;
}

InputSpec with_metric(const std::string& column, std::optional<MetricKind> kind = std::nullopt) {
  InputSpec s;
  s.metrics = {{column, column, {}, {}, kind}};
  return s;
}

InputSpec fixture_spec() {
  InputSpec s;
  s.metrics = {{"revenue", "revenue", {}, {}, std::nullopt},
               {"converted", "converted", {}, {}, std::nullopt},
               {"revenue_per_order", "revenue", "orders", {}, std::nullopt}};
  return s;
}

// ---------------------------------------------------------------- unit-level fixtures

TEST(ExperimentInput, CupedAndRatioFixturesMatchTheReference) {
  const auto loaded = load_experiment(kSource / "tests/fixtures/experiment/units_cuped.csv", fixture_spec());
  const auto& d = loaded.data;
  ASSERT_EQ(d.variants.size(), 2u);
  EXPECT_EQ(d.variants[0], "control");
  EXPECT_EQ(d.metrics[0].kind, MetricKind::mean);
  EXPECT_TRUE(d.metrics[0].cuped);                       // revenue_pre paired by name
  EXPECT_EQ(d.metrics[1].kind, MetricKind::proportion);  // 0/1 values
  EXPECT_TRUE(d.metrics[1].cuped);
  EXPECT_EQ(d.metrics[2].kind, MetricKind::ratio);
  EXPECT_EQ(loaded.summary.rows_kept, 3000u);
  const auto r = analyze(d, {});
  expect_matches(find(r, d, "revenue", Scale::absolute), ref_case("cuped_revenue_absolute"));
  expect_matches(find(r, d, "revenue", Scale::relative), ref_case("cuped_revenue_relative"));
  expect_matches(find(r, d, "converted", Scale::absolute), ref_case("cuped_conversion_absolute"));
  expect_matches(find(r, d, "converted", Scale::relative), ref_case("cuped_conversion_relative"));
  expect_matches(find(r, d, "revenue_per_order", Scale::absolute), ref_case("ratio_revenue_per_order_absolute"));
  expect_matches(find(r, d, "revenue_per_order", Scale::relative), ref_case("ratio_revenue_per_order_relative"));
}

TEST(ExperimentInput, MissingPrePeriodValuesFallBackAndSaySo) {
  const auto loaded =
      load_experiment(kSource / "tests/fixtures/experiment/units_cuped_missing_pre.csv", fixture_spec());
  const auto& d = loaded.data;
  const auto r = analyze(d, {});
  expect_matches(find(r, d, "revenue", Scale::absolute), ref_case("cuped_revenue_missing_pre_absolute"));
  expect_matches(find(r, d, "revenue", Scale::relative), ref_case("cuped_revenue_missing_pre_relative"));
  int64_t missing = 0;
  for (const auto& f : r.findings)
    if (f.code == "cuped_missing_pre" && f.metric == "revenue") missing += static_cast<int64_t>(f.value);
  EXPECT_GT(missing, 100);
  EXPECT_LT(missing, 400);
}

TEST(ExperimentInput, MetricsAndPrePeriodColumnsAreDetected) {
  const auto loaded = load_experiment(kSource / "tests/fixtures/experiment/units_cuped.csv", {});
  std::vector<std::string> names;
  for (const auto& m : loaded.data.metrics) names.push_back(m.name);
  EXPECT_EQ(names, (std::vector<std::string>{"revenue", "orders", "converted"}));
  EXPECT_EQ(loaded.summary.mapping.at("unit_id"), "unit_id");
  EXPECT_EQ(loaded.summary.mapping.at("variant"), "variant");
}

// ---------------------------------------------------------------- duplicates

const std::string kDupFile =
    "user,arm,spend\n"
    "u1,A,1\n"
    "u2,B,2\n"
    "u3,A,3\n"
    "u1,A,4\n"  // line 5: u1 again in A
    "u4,B,5\n"
    "u3,B,6\n"  // line 7: u3 now in B
    "u5,A,7\n"
    "u6,B,8\n";

TEST(ExperimentDuplicates, StopByDefaultAndNameThem) {
  TempDir t;
  const auto f = t.write("dups.csv", kDupFile);
  try {
    load_experiment(f, {});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code, ErrorCode::input);
    EXPECT_NE(e.message.find("1 unit(s) appear more than once in the same variant (2 rows)"), std::string::npos)
        << e.message;
    EXPECT_NE(e.message.find("1 unit(s) appear in more than one variant (2 rows)"), std::string::npos) << e.message;
    EXPECT_NE(e.message.find("'u1' (2 rows: lines 2, 5; variant A)"), std::string::npos) << e.message;
    EXPECT_NE(e.message.find("'u3' (2 rows: lines 4, 7; variants A, B)"), std::string::npos) << e.message;
    EXPECT_NE(e.hint.find("--duplicates first"), std::string::npos);
  }
}

TEST(ExperimentDuplicates, FirstKeepsEachUnitsFirstRow) {
  TempDir t;
  InputSpec s;
  s.duplicates = DuplicatePolicy::first;
  const auto l = load_experiment(t.write("dups.csv", kDupFile), s);
  EXPECT_EQ(l.summary.dup_rows_removed, 2u);
  EXPECT_EQ(l.summary.passes, 2u);
  EXPECT_EQ(l.data.units, (std::vector<int64_t>{3, 3}));  // A: u1 u3 u5; B: u2 u4 u6 (u3's B row goes)
  EXPECT_NEAR(l.data.stats[0][0].mean * static_cast<double>(l.data.stats[0][0].n), 1 + 3 + 7, 1e-12);
  ASSERT_EQ(l.summary.dup_examples.size(), 2u);
  EXPECT_EQ(l.summary.dup_examples[0].unit, "u1");
}

TEST(ExperimentDuplicates, ExcludeDropsEveryRowOfADuplicatedUnit) {
  TempDir t;
  InputSpec s;
  s.duplicates = DuplicatePolicy::exclude;
  const auto l = load_experiment(t.write("dups.csv", kDupFile), s);
  EXPECT_EQ(l.summary.dup_rows_removed, 4u);
  EXPECT_EQ(l.data.units, (std::vector<int64_t>{1, 3}));  // A: u5; B: u2 u4 u6
  EXPECT_EQ(l.summary.dup_examples[1].unit, "u3");
}

// A log large enough to spill under a tiny bound gives exactly what the in-memory path gives.
TEST(ExperimentDuplicates, SpillingToDiskChangesNothing) {
  TempDir t;
  std::mt19937_64 rng(7);
  std::string text = "unit_id,variant,value,value_pre\n";
  const int rows = 300000;
  for (int i = 0; i < rows; ++i) {
    const uint64_t u = (rng() % 50 == 0) ? rng() % 2000 : static_cast<uint64_t>(i) + 10000;  // ~2 % repeats
    text += "id" + std::to_string(u) + (rng() % 2 ? ",control," : ",test,") + std::to_string(rng() % 1000) + "," +
            (rng() % 10 ? std::to_string(rng() % 900) : "") + "\n";
  }
  const auto f = t.write("big.csv", text);
  for (const auto policy : {DuplicatePolicy::first, DuplicatePolicy::exclude}) {
    InputSpec mem, disk;
    mem.duplicates = disk.duplicates = policy;
    disk.memory_limit = 24 * 1024;  // 1,024 records: partitions split twice, removals spill in runs
    disk.spill_dir = t.path;
    const auto a = load_experiment(f, mem);
    const auto b = load_experiment(f, disk);
    EXPECT_FALSE(a.summary.spilled);
    EXPECT_TRUE(b.summary.spilled);
    EXPECT_GT(b.summary.spill_bytes, 0u);
    EXPECT_GT(a.summary.dup_units_same_variant + a.summary.dup_units_cross_variant, 100u);
    EXPECT_EQ(a.summary.dup_units_same_variant, b.summary.dup_units_same_variant);
    EXPECT_EQ(a.summary.dup_units_cross_variant, b.summary.dup_units_cross_variant);
    EXPECT_EQ(a.summary.dup_rows_same_variant, b.summary.dup_rows_same_variant);
    EXPECT_EQ(a.summary.dup_rows_removed, b.summary.dup_rows_removed);
    EXPECT_EQ(a.data.units, b.data.units);
    ASSERT_EQ(a.summary.dup_examples.size(), b.summary.dup_examples.size());
    for (size_t i = 0; i < a.summary.dup_examples.size(); ++i) {
      EXPECT_EQ(a.summary.dup_examples[i].unit, b.summary.dup_examples[i].unit);
      EXPECT_EQ(a.summary.dup_examples[i].lines, b.summary.dup_examples[i].lines);
    }
    for (size_t v = 0; v < 2; ++v) {
      EXPECT_EQ(a.data.stats[0][v].mean, b.data.stats[0][v].mean);
      EXPECT_EQ(a.data.stats[0][v].m2, b.data.stats[0][v].m2);
      EXPECT_EQ(a.data.stats[0][v].n_pre, b.data.stats[0][v].n_pre);
    }
  }
  // Nothing is left in the spill folder.
  size_t leftovers = 0;
  for (const auto& e : fs::directory_iterator(t.path)) leftovers += e.path().filename() != "big.csv";
  EXPECT_EQ(leftovers, 0u);
}

// One unit repeated beyond the bound: its partition cannot be split by hash, so it is resolved by streaming.
TEST(ExperimentDuplicates, OneUnitRepeatedBeyondTheBound) {
  TempDir t;
  std::string text = "unit_id,variant,value\n";
  for (int i = 0; i < 2000; ++i) text += "bot,A," + std::to_string(i % 7) + "\n";
  for (int i = 0; i < 1000; ++i)
    text += "u" + std::to_string(i) + (i % 2 ? ",A," : ",B,") + std::to_string(i % 5) + "\n";
  const auto f = t.write("bot.csv", text);
  InputSpec s;
  s.duplicates = DuplicatePolicy::first;
  s.memory_limit = 24 * 1024;
  s.spill_dir = t.path;
  const auto l = load_experiment(f, s);
  EXPECT_TRUE(l.summary.spilled);
  EXPECT_EQ(l.summary.dup_units_same_variant, 1u);
  EXPECT_EQ(l.summary.dup_rows_same_variant, 2000u);
  EXPECT_EQ(l.summary.dup_rows_removed, 1999u);
  ASSERT_EQ(l.summary.dup_examples.size(), 1u);
  EXPECT_EQ(l.summary.dup_examples[0].unit, "bot");
  EXPECT_EQ(l.summary.dup_examples[0].lines.front(), 2u);
  EXPECT_EQ(l.data.units, (std::vector<int64_t>{501, 500}));  // A: the bot's first row + 500 units
}

// ---------------------------------------------------------------- per-variant summaries and bad input

TEST(ExperimentInput, PerVariantSummaries) {
  TempDir t;
  const auto f = t.write("s.csv", "variant,users,conversions\ncontrol,10000,1000\ntreatment,10000,1100\n");
  const auto l = load_experiment(f, {});
  EXPECT_FALSE(l.summary.per_unit);
  const auto r = analyze(l.data, {});
  expect_matches(find(r, l.data, "conversion", Scale::relative), ref_case("known_relative_two_sided"));
  expect_matches(find(r, l.data, "conversion", Scale::absolute), ref_case("known_absolute_two_sided"));

  const auto g = t.write("m.csv", "metric,variant,n,sum,sum_squares\nrev,B,5," + std::to_string(5 * 2.0) +
                                      ",30\n"
                                      "rev,A,4,6,12\n");
  const auto m = load_experiment(g, with_control("A"));
  EXPECT_EQ(m.data.variants, (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(m.data.metrics[0].kind, MetricKind::mean);
}

void expect_error(const std::function<void()>& f, const std::string& part, const std::string& location = {}) {
  try {
    f();
    FAIL() << "expected an error containing: " << part;
  } catch (const Error& e) {
    EXPECT_NE(e.describe().find(part), std::string::npos) << e.describe();
    if (!location.empty()) {
      EXPECT_EQ(e.location.substr(e.location.rfind('/') + 1), location) << e.location;
    }
  }
}

TEST(ExperimentBadInput, SummaryErrorsAreLocated) {
  TempDir t;
  expect_error([&] { load_experiment(t.write("a.csv", "variant,users,conversions\nA,100,120\nB,100,3\n"), {}); },
               "120 conversions > 100 users", "a.csv:2:3");
  expect_error([&] { load_experiment(t.write("b.csv", "variant,users,conversions\nA,100,12\nB,-4,3\n"), {}); },
               "whole number", "b.csv:3:2");
  expect_error([&] { load_experiment(t.write("c.csv", "variant,users,conversions\nA,100,12\nB,0,0\n"), {}); },
               "variant 'B' has no units", "c.csv:3:2");
  expect_error([&] { load_experiment(t.write("d.csv", "variant,users,conversions\nA,100,12\nB,100,-1\n"), {}); },
               "negative conversions", "d.csv:3:3");
}

TEST(ExperimentBadInput, UnitErrorsAreLocated) {
  TempDir t;
  expect_error([&] { load_experiment(t.write("a.csv", "id,variant,rev\n1,A,3\n2,B,x\n"), with_metric("rev")); },
               "'x' is not a number", "a.csv:3:3");
  expect_error([&] { load_experiment(t.write("b.csv", "id,variant,rev\n1,A,3\n2,B,\n"), with_metric("rev")); },
               "empty value", "b.csv:3:3");
  expect_error([&] { load_experiment(t.write("c.csv", "id,variant,rev\n1,A,3\n2,B,4\n"), with_control("Z")); },
               "unknown control 'Z'");
  expect_error([&] { analyze(load_experiment(t.write("d.csv", "id,variant,rev\n1,A,3\n2,A,4\n"), {}).data, {}); },
               "single variant");
  expect_error(
      [&] {
        load_experiment(t.write("e.csv", "id,group,conv\n1,A,1\n2,B,2\n"), with_metric("conv", MetricKind::proportion));
      },
      "values other than 0 and 1");
}

TEST(ExperimentBadInput, ZeroVarianceMetricIsFlagged) {
  TempDir t;
  std::string text = "id,variant,clicks\n";
  for (int i = 0; i < 300; ++i) text += std::to_string(i) + (i % 2 ? ",A" : ",B") + ",0\n";
  const auto l = load_experiment(t.write("z.csv", text), {});
  const auto r = analyze(l.data, {});
  for (const auto& c : r.comparisons) {
    EXPECT_FALSE(c.moments.ok);
    EXPECT_FALSE(std::isnan(c.test.p_value));
  }
  bool flagged = false;
  for (const auto& f : r.findings) flagged = flagged || f.code == "zero_variance";
  EXPECT_TRUE(flagged);
}

// ---------------------------------------------------------------- the real two-arm log

TEST(ExperimentRealData, AbtestAfterItsDocumentedCleaning) {
  const fs::path file = data_dir() / "abtest" / "ab_data_prefix_clean.csv";
  ASSERT_TRUE(fs::exists(file)) << "missing data set: abtest (" << file << "); set KOKO_DATA";
  const auto l = load_experiment(file, find_experiment_preset("abtest"));
  const auto& d = l.data;
  ASSERT_EQ(d.variants, (std::vector<std::string>{"control", "treatment"}));
  EXPECT_EQ(l.summary.rows_read, 57828u);
  ASSERT_EQ(l.summary.rows_dropped.size(), 1u);
  EXPECT_EQ(l.summary.rows_dropped[0].second, 791u);
  EXPECT_EQ(l.summary.dup_rows_removed, 1u);
  EXPECT_EQ(l.summary.rows_kept, 57036u);
  // SOURCE.md: control 28,521 users / 3,472 conversions, treatment 28,515 / 3,387.
  EXPECT_EQ(d.units, (std::vector<int64_t>{28521, 28515}));
  const auto& conv = d.stats[0];
  EXPECT_EQ(conv[0].n, 28521);
  EXPECT_EQ(std::llround(conv[0].mean * 28521), 3472);
  EXPECT_EQ(conv[1].n, 28515);
  EXPECT_EQ(std::llround(conv[1].mean * 28515), 3387);
  EXPECT_EQ(d.metrics[0].kind, MetricKind::proportion);
  ASSERT_TRUE(d.first_day && d.last_day);

  const auto r = analyze(d, {});
  expect_matches(find(r, d, "converted", Scale::relative), ref_case("abtest_relative_two_sided"));
  expect_matches(find(r, d, "converted", Scale::absolute), ref_case("abtest_absolute_two_sided"));
  const auto& z = ref_case("abtest_pooled_z");
  const auto& c = find(r, d, "converted", Scale::absolute);
  ASSERT_TRUE(c.pooled_z.has_value());
  expect_close(c.pooled_z->z, z["expected"]["z"], 1e-7, "z");
  expect_close(c.pooled_z->p_value, z["expected"]["p_value"], 1e-7, "z p");
  ASSERT_TRUE(c.beta.has_value());
  expect_close(c.beta->chance_to_beat, ref_case("beta_abtest")["expected"]["chance_to_beat"], 1e-6, "beta");
  expect_close(r.srm.p_value, ref_case("srm_abtest_even")["expected"]["p_value"], 1e-7, "srm");
  EXPECT_FALSE(r.srm.mismatch);
}

TEST(ExperimentRealData, AbtestWithoutCleaningStopsOnDuplicates) {
  const fs::path file = data_dir() / "abtest" / "ab_data_prefix_clean.csv";
  ASSERT_TRUE(fs::exists(file)) << "missing data set: abtest (" << file << "); set KOKO_DATA";
  InputSpec s;
  s.metrics = {{"converted", "converted", {}, {}, std::nullopt}};
  expect_error([&] { load_experiment(file, s); }, "appear in more than one variant");
}

}  // namespace
