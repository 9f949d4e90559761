// `koko experiment analyze` and `koko experiment plan` as a user runs them: the real binary, the real abtest log,
// with and without a workspace, the report section, and bad input stopping with a located message.
#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "data_dir.hpp"
#include "koko_run.hpp"

using namespace koko_test;

namespace {

const fs::path kSource = KOKO_SOURCE_DIR;

fs::path abtest_file() { return data_dir() / "abtest" / "ab_data_prefix_clean.csv"; }

// The CSV's rows as maps, header → cell (no quoted commas in these files' numeric cells).
std::vector<std::map<std::string, std::string>> read_csv(const fs::path& p) {
  std::istringstream in(read_text(p));
  std::string line;
  std::vector<std::string> header;
  std::vector<std::map<std::string, std::string>> rows;
  auto split = [](const std::string& s) {
    std::vector<std::string> out;
    std::string cur;
    bool q = false;
    for (char c : s) {
      if (c == '"')
        q = !q;
      else if (c == ',' && !q)
        out.push_back(std::exchange(cur, {}));
      else
        cur += c;
    }
    out.push_back(cur);
    return out;
  };
  while (std::getline(in, line)) {
    if (header.empty()) {
      header = split(line);
      continue;
    }
    const auto cells = split(line);
    std::map<std::string, std::string> row;
    for (size_t i = 0; i < header.size() && i < cells.size(); ++i) row[header[i]] = cells[i];
    rows.push_back(row);
  }
  return rows;
}

double ref_value(const std::string& name, const std::string& field) {
  static const auto j = nlohmann::json::parse(read_text(kSource / "tests/golden/experiment/reference.json"));
  for (const auto& c : j["cases"])
    if (c["name"] == name) return c["expected"][field].get<double>();
  throw std::runtime_error("no reference case " + name);
}

TEST(ExperimentCli, AbtestEndToEndWithoutAWorkspace) {
  ASSERT_TRUE(fs::exists(abtest_file())) << "missing data set: abtest (" << abtest_file() << "); set KOKO_DATA";
  TempDir t;
  const auto r =
      run_koko({"experiment", "analyze", abtest_file().string(), "--preset", "abtest", "--out", "r.csv"}, t.path);
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_TRUE(contains(r.out, "57,036 units in 2 variants, control control")) << r.out;
  EXPECT_TRUE(contains(r.out, "791 rows dropped: landing_page disagrees")) << r.out;
  EXPECT_TRUE(contains(r.out, "28,521 / 28,515")) << r.out;
  EXPECT_TRUE(contains(r.out, "Health checks passed")) << r.out;
  EXPECT_FALSE(fs::exists(t.path / "koko.db"));  // no workspace unless asked or present
  const auto rows = read_csv(t.path / "r.csv");
  ASSERT_EQ(rows.size(), 2u);
  const auto& rel = rows[0];
  EXPECT_EQ(rel.at("scale"), "relative");
  EXPECT_NEAR(std::stod(rel.at("effect")), ref_value("abtest_relative_two_sided", "effect"), 1e-12);
  EXPECT_NEAR(std::stod(rel.at("ci_low")), ref_value("abtest_relative_two_sided", "ci_low"), 1e-9);
  EXPECT_NEAR(std::stod(rel.at("ci_high")), ref_value("abtest_relative_two_sided", "ci_high"), 1e-9);
  EXPECT_NEAR(std::stod(rel.at("p_value")), ref_value("abtest_relative_two_sided", "p_value"), 1e-9);
  EXPECT_NEAR(std::stod(rows[1].at("p_pooled")), ref_value("abtest_pooled_z", "p_value"), 1e-9);
  for (const auto& row : rows)
    for (const auto& [k, v] : row) EXPECT_FALSE(contains(v, "nan") || contains(v, "inf")) << k << "=" << v;
}

TEST(ExperimentCli, WorkspaceResultsAndReportSection) {
  ASSERT_TRUE(fs::exists(abtest_file())) << "missing data set: abtest (" << abtest_file() << "); set KOKO_DATA";
  TempDir t;
  const auto r = run_koko({"-w", "ab.db", "experiment", "analyze", abtest_file().string(), "--preset", "abtest",
                           "--tests", "message:new-landing-page", "--name", "landing"},
                          t.path);
  ASSERT_EQ(r.code, 0) << describe(r);
  ASSERT_TRUE(fs::exists(t.path / "report" / "index.html"));
  const auto html = read_text(t.path / "report" / "index.html");
  EXPECT_TRUE(contains(html, "id=\"experiment\""));
  EXPECT_TRUE(contains(html, "This test checks the message &#39;new-landing-page&#39;."));
  EXPECT_TRUE(contains(html, "<svg class=\"chart\""));
  EXPECT_FALSE(contains(html, "nan"));
  EXPECT_TRUE(fs::exists(t.path / "report" / "experiment_results.csv"));

  const auto tables = run_koko({"-w", "ab.db", "export", "--list"}, t.path);
  for (const char* name : {"experiment_results", "experiment_variants", "experiment_health", "experiment_info"})
    EXPECT_TRUE(contains(tables.out, name)) << tables.out;
  const auto exported = run_koko({"-w", "ab.db", "export", "experiment_info"}, t.path);
  EXPECT_TRUE(contains(exported.out, "landing,tests,message:new-landing-page")) << exported.out;

  // `koko report` recomputes from the stored statistics, in Japanese too.
  const auto ja = run_koko({"-w", "ab.db", "report", "--out", "ja", "--lang", "ja"}, t.path);
  ASSERT_EQ(ja.code, 0) << describe(ja);
  EXPECT_TRUE(contains(read_text(t.path / "ja" / "index.html"), "A/Bテスト"));

  // A rerun under the same name replaces it; another name is added beside it.
  ASSERT_EQ(run_koko({"-w", "ab.db", "experiment", "analyze", abtest_file().string(), "--preset", "abtest", "--name",
                      "landing", "--alpha", "0.1"},
                     t.path)
                .code,
            0);
  ASSERT_EQ(run_koko({"-w", "ab.db", "experiment", "analyze",
                      (kSource / "tests/fixtures/experiment/units_cuped.csv").string(), "--name", "cuped"},
                     t.path)
                .code,
            0);
  const auto results = run_koko({"-w", "ab.db", "export", "experiment_info"}, t.path);
  EXPECT_TRUE(contains(results.out, "landing,alpha,0.1")) << results.out;
  EXPECT_TRUE(contains(results.out, "cuped,control,control")) << results.out;
}

TEST(ExperimentCli, DuplicatesStopByDefault) {
  TempDir t;
  write_text(t.path / "d.csv", "user_id,group,converted\n1,control,0\n2,treatment,1\n1,treatment,1\n");
  const auto r = run_koko({"experiment", "analyze", "d.csv"}, t.path);
  EXPECT_EQ(r.code, 3) << describe(r);
  EXPECT_TRUE(contains(r.err, "'1' (2 rows: lines 2, 4; variants control, treatment)")) << r.err;
  EXPECT_TRUE(contains(r.err, "--duplicates first")) << r.err;
}

TEST(ExperimentCli, BadInputIsLocated) {
  TempDir t;
  write_text(t.path / "s.csv", "variant,users,conversions\ncontrol,100,120\ntreatment,100,10\n");
  const auto a = run_koko({"experiment", "analyze", "s.csv"}, t.path);
  EXPECT_EQ(a.code, 3) << describe(a);
  EXPECT_TRUE(contains(a.err, "s.csv:2:3: 120 conversions > 100 users")) << a.err;
  write_text(t.path / "one.csv", "variant,users,conversions\ncontrol,100,12\n");
  const auto b = run_koko({"experiment", "analyze", "one.csv"}, t.path);
  EXPECT_EQ(b.code, 6) << describe(b);
  EXPECT_TRUE(contains(b.err, "single variant")) << b.err;
  write_text(t.path / "ok.csv", "variant,users,conversions\nA,50,6\nB,50,9\n");
  const auto c = run_koko({"experiment", "analyze", "ok.csv", "--control", "X"}, t.path);
  EXPECT_EQ(c.code, 5) << describe(c);
  EXPECT_TRUE(contains(c.err, "unknown control 'X'") && contains(c.err, "the variants are: A, B")) << c.err;
  const auto d = run_koko({"experiment", "analyze", "ok.csv"}, t.path);
  EXPECT_EQ(d.code, 0) << describe(d);
  EXPECT_TRUE(contains(d.out, "A has 50 units; wait for at least 100 before reading the results.")) << d.out;
  EXPECT_TRUE(contains(d.out, "conversion: A has 6 conversions")) << d.out;
}

TEST(ExperimentCli, Plan) {
  TempDir t;
  const auto r = run_koko({"experiment", "plan", "--baseline", "0.10", "--mde", "0.05", "--units", "30000"}, t.path);
  ASSERT_EQ(r.code, 0) << describe(r);
  // tests/golden/experiment/reference.json, plan_conversion_relative.
  EXPECT_TRUE(contains(r.out,
                       "Units per variant for 80% power to detect a 5.00% effect: 59,409 (118,818 in total "
                       "over 2 variants)."))
      << r.out;
  EXPECT_TRUE(contains(r.out, "Power with 30,000 units per variant for a 5.00% effect: 51.2%.")) << r.out;
  EXPECT_TRUE(contains(r.out, "7.11% relative")) << r.out;
  const auto m = run_koko(
      {"experiment", "plan", "--baseline", "48", "--sd", "55", "--mde", "1.5", "--absolute", "--alpha", "0.1"}, t.path);
  ASSERT_EQ(m.code, 0) << describe(m);
  EXPECT_TRUE(contains(m.out, ": 16,624 (")) << m.out;
  const auto bad = run_koko({"experiment", "plan", "--baseline", "1.5", "--mde", "0.05"}, t.path);
  EXPECT_EQ(bad.code, 2) << describe(bad);
}

}  // namespace
