// `koko segment`, `koko import survey` and the segment/market report as a user meets them: hand-computed fixtures
// (tests/fixtures/segment), bad survey input, clear errors for impossible settings, CDNOW segment counts checked
// by an independent SQL query (sqlite3 over the exported orders), and the core score's holdout check on CDNOW and
// Online Retail.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <sstream>

#include "data_dir.hpp"
#include "koko_run.hpp"

namespace fs = std::filesystem;
using koko_test::contains;
using koko_test::describe;
using koko_test::read_text;
using koko_test::run_koko;
using koko_test::TempDir;
using koko_test::write_text;

namespace {

const fs::path kFixtures = fs::path(KOKO_SOURCE_DIR) / "tests" / "fixtures" / "segment";

using koko_test::data_dir;

fs::path data_file(const std::string& rel) {
  const fs::path p = data_dir() / rel;
  if (!fs::exists(p)) ADD_FAILURE() << "missing data set " << p << " (set KOKO_DATA to the shared data folder)";
  return p;
}

// CSV rows as field vectors (no quoted commas in the tables read here).
std::vector<std::vector<std::string>> csv_rows(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::string cell;
    std::istringstream ls(line);
    while (std::getline(ls, cell, ',')) f.push_back(cell);
    rows.push_back(f);
  }
  return rows;
}

// segment → customers from `koko export segment_crm_map`.
std::map<std::string, std::string> crm_counts(const fs::path& dir) {
  const auto r = run_koko({"export", "segment_crm_map"}, dir);
  EXPECT_EQ(r.code, 0) << describe(r);
  std::map<std::string, std::string> out;
  for (const auto& row : csv_rows(r.out))
    if (row.size() > 1 && row[0] != "segment") out[row[0]] = row[1];
  return out;
}

void fixture_workspace(const TempDir& t) {
  for (const char* f : {"orders.csv", "customers.csv", "survey.csv"}) fs::copy_file(kFixtures / f, t.path / f);
  for (const auto& args : std::vector<std::vector<std::string>>{{"import", "orders", "orders.csv"},
                                                                {"import", "customers", "customers.csv"},
                                                                {"import", "survey", "survey.csv"}}) {
    const auto r = run_koko(args, t.path);
    EXPECT_EQ(r.code, 0) << describe(r);
  }
}

// HTML-escaped text as it appears in the page.
std::string koko_test_escape(std::string_view s) {
  std::string out;
  for (const char c : s) out += c == '"' ? std::string("&quot;") : c == '\'' ? std::string("&#39;") : std::string(1, c);
  return out;
}

}  // namespace

TEST(SegmentCli, HandFixtureMapsPicksAndExports) {
  TempDir t;
  fixture_workspace(t);
  const auto r = run_koko({"segment", "--out", "out", "--lang", "en"}, t.path);
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_TRUE(contains(r.out, "CRM map as of 2024-12-31 (5 customers)")) << r.out;
  const auto counts = crm_counts(t.path);
  EXPECT_EQ(counts.at("loyal"), "1");
  EXPECT_EQ(counts.at("general"), "3");
  EXPECT_EQ(counts.at("lapsed"), "1");

  // 9seg: survey answers (latest wave) override customers.csv; C has no preference anywhere.
  const auto nine = run_koko({"export", "segment_crm_9seg"}, t.path);
  EXPECT_TRUE(contains(nine.out, "loyal,positive,1,")) << nine.out;
  EXPECT_TRUE(contains(nine.out, "general,positive,1,")) << nine.out;
  EXPECT_TRUE(contains(nine.out, "general,negative,1,")) << nine.out;
  EXPECT_TRUE(contains(nine.out, "general,unknown,1,")) << nine.out;
  EXPECT_TRUE(contains(nine.out, "lapsed,positive,1,")) << nine.out;

  // A (the only loyal customer) must never be contacted: no loyal pick at all; D is the lapsed pick.
  const auto n1 = run_koko({"export", "segment_n1"}, t.path);
  EXPECT_FALSE(contains(n1.out, "\nloyal,")) << n1.out;
  EXPECT_FALSE(contains(n1.out, ",A,")) << n1.out;
  EXPECT_TRUE(contains(n1.out, "lapsed,pick,0,1,1,")) << n1.out;
  EXPECT_TRUE(fs::exists(t.path / "out" / "n1-lapsed.md"));
  EXPECT_TRUE(fs::exists(t.path / "out" / "n1-general-negative.md"));
  EXPECT_FALSE(fs::exists(t.path / "out" / "n1-loyal.md"));
  const std::string guide = read_text(t.path / "out" / "n1-lapsed.md");
  EXPECT_TRUE(contains(guide, "Customer D")) << guide;
  EXPECT_TRUE(contains(guide, "How did you first come to know us?")) << guide;
  EXPECT_TRUE(contains(guide, "First purchase on 2023-12-31")) << guide;

  // Lists per segment, with 9seg, core score and reason.
  const std::string loyal = read_text(t.path / "out" / "customers-loyal.csv");
  EXPECT_TRUE(contains(loyal, "customer_id,segment,9seg,core_score,core_customer,reason\n")) << loyal;
  EXPECT_TRUE(contains(loyal, "A,loyal,loyal/positive,")) << loyal;
  EXPECT_TRUE(contains(loyal, "4 purchase days over 6 months, every ~59 days, last 180 days ago")) << loyal;
  EXPECT_TRUE(contains(loyal, "intends to buy again, NPS 9")) << loyal;
  EXPECT_EQ(csv_rows(read_text(t.path / "out" / "customers-general.csv")).size(), 4u);

  // Market map: wave 2 is the latest; the consistency table links A and B (Q matches no customer).
  EXPECT_TRUE(contains(r.out, "market map, wave 2 (9 respondents in 2 waves)")) << r.out;
  EXPECT_TRUE(contains(r.out, "consistency: 50 % of 4 linked respondents agree with their orders")) << r.out;
  const auto five = run_koko({"export", "market_5seg"}, t.path);
  EXPECT_TRUE(contains(five.out, "1,aware_non_buyer,1,2,0.2857142857142857,")) << five.out;
  EXPECT_TRUE(contains(five.out, "2,loyal,2,2,0.3333333333333333,")) << five.out;
  const auto summary = run_koko({"export", "market_summary"}, t.path);
  EXPECT_TRUE(contains(summary.out, "unmatched_customer_ids,1\n")) << summary.out;
  EXPECT_TRUE(contains(summary.out, "n_eff:1,4.4545454545454")) << summary.out;
  const auto panel = run_koko({"export", "market_panel"}, t.path);
  EXPECT_TRUE(contains(panel.out, "1,2,lapsed,loyal,1\n")) << panel.out;
  EXPECT_TRUE(contains(panel.out, "1,2,loyal,loyal,1\n")) << panel.out;
}

// `make run`'s sample (CDNOW orders + the synthetic two-wave survey): every segment section, the same bytes on a
// rerun, and Japanese labels from the catalogue.
TEST(SegmentCli, SampleReportInBothLanguagesIsReproducible) {
  TempDir t;
  const std::string sample = (fs::path(KOKO_SOURCE_DIR) / "data" / "sample").string();
  for (const char* run : {"a", "b"}) {
    const auto r = run_koko({"-w", std::string(run) + ".db", "analyze", sample, "--out", run, "--lang", "en"}, t.path);
    ASSERT_EQ(r.code, 0) << describe(r);
    EXPECT_TRUE(contains(r.err, "ran market")) << describe(r);
    EXPECT_TRUE(contains(r.err, "ran segment")) << describe(r);
  }
  const std::string html = read_text(t.path / "a" / "index.html");
  EXPECT_EQ(html, read_text(t.path / "b" / "index.html"));
  for (const char* csv : {"segment_customers.csv", "segment_n1.csv", "market_5seg.csv", "market_consistency.csv"})
    EXPECT_EQ(read_text(t.path / "a" / csv), read_text(t.path / "b" / csv)) << csv;
  for (const char* part : {"id=\"market\"", "id=\"segments\"", "Five segments — wave 2", "9seg — wave 2",
                           "Respondents of both waves 1 and 2", "Consistency: self-reported vs orders",
                           "Movement from 1998-01-01 to 1998-06-30", "Check on the holdout after 1997-09-30",
                           "N1: one real customer per segment", "Projected to a market of 200,000 people"})
    EXPECT_TRUE(contains(html, part) || contains(html, koko_test_escape(part))) << part;
  const auto r = run_koko({"-w", "ja.db", "analyze", sample, "--out", "ja", "--lang", "ja"}, t.path);
  ASSERT_EQ(r.code, 0) << describe(r);
  const std::string ja = read_text(t.path / "ja" / "index.html");
  for (const char* part :
       {"市場の5セグマップ", "9セグマップ", "ロイヤル顧客", "コア顧客", "N1：セグメントごとの実在の1人", "整合性"})
    EXPECT_TRUE(contains(ja, part)) << part;
}

TEST(SegmentCli, SurveyValuesInManySpellingsAndBadOnes) {
  TempDir t;
  write_text(t.path / "ok.csv",
             "回答者ID,認知,購入経験,最終購入,購入頻度,次回購入意向,ウェイト\n"
             "a,はい,はい,3,５,4,1\nb,ｙｅｓ,No,,,2,1.5\nc,いいえ,,,,,2\nd,true,t,14,1,1,0.5\n");
  auto r = run_koko({"import", "survey", "ok.csv"}, t.path);
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_TRUE(contains(r.err + r.out, "4 rows read, 4 kept, 0 rejected")) << describe(r);
  // A survey alone makes the market map: a loyal (3 months, 5 purchases), an aware non-buyer, an unaware, a lapsed
  // (14 months ago); weights 1, 1.5, 2, 0.5.
  r = run_koko({"segment"}, t.path);
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_TRUE(contains(r.out, "market map, wave 1 (4 respondents in 1 waves)")) << describe(r);
  const auto five = run_koko({"export", "market_5seg"}, t.path).out;
  EXPECT_TRUE(contains(five, "1,loyal,1,1,0.2,")) << five;
  EXPECT_TRUE(contains(five, "1,lapsed,1,0.5,0.1,")) << five;
  EXPECT_TRUE(contains(five, "1,aware_non_buyer,1,1.5,0.3,")) << five;
  EXPECT_TRUE(contains(five, "1,unaware,1,2,0.4,")) << five;

  struct Case {
    std::string body;
    std::string location, words;
  };
  const std::vector<Case> cases = {
      {"respondent_id,aware,ever_bought,bought_within,purchase_frequency\nx,maybe,yes,yes,3\n", "bad.csv:2:2",
       "column 'aware': 'maybe' is not yes or no"},
      {"respondent_id,aware,ever_bought,bought_within,purchase_frequency,next_intent\nx,yes,yes,yes,3,very\n",
       "bad.csv:2:6", "'very' is not on the 1-5 or 0-10 scale"},
      {"respondent_id,aware,ever_bought,bought_within,purchase_frequency,weight\nx,yes,yes,yes,3,0\n", "bad.csv:2:6",
       "'0' is not a positive weight"},
      {"respondent_id,aware,ever_bought,bought_within,purchase_frequency,weight\nx,yes,yes,yes,3,\n", "bad.csv:2:6",
       "the weight is missing"},
      {"respondent_id,aware,ever_bought,bought_within,purchase_frequency\nx,yes,yes,yes,3\nx,no,,,\n", "bad.csv:3",
       "answers twice in wave 1 (first on line 2)"},
      {"respondent_id,aware,ever_bought,purchase_frequency\nx,yes,yes,3\n", "bad.csv",
       "needs a last_bought or a bought_within column"},
      {"respondent_id,aware,ever_bought,last_bought,purchase_frequency\nx,yes,yes,last spring,3\n", "bad.csv:2:4",
       "'last spring' is neither a date nor a number of months"},
      {"respondent_id,aware,ever_bought,last_bought,purchase_frequency\nx,yes,yes,2024-01-15,3\n", "bad.csv:2:4",
       "is a date, but the row has no survey_date"},
  };
  for (const auto& c : cases) {
    write_text(t.path / "bad.csv", c.body);
    r = run_koko({"import", "survey", "bad.csv"}, t.path);
    EXPECT_EQ(r.code, 3) << describe(r);
    EXPECT_TRUE(contains(r.err, c.location + ": ")) << describe(r);
    EXPECT_TRUE(contains(r.err, c.words)) << describe(r);
    EXPECT_TRUE(contains(r.err, "hint: ")) << describe(r);
  }
  // Nothing of the refused files was stored.
  r = run_koko({"status"}, t.path);
  EXPECT_FALSE(contains(r.out, "bad.csv")) << r.out;
  // The same file twice is refused; --on-error skip keeps the good rows.
  r = run_koko({"import", "survey", "ok.csv"}, t.path);
  EXPECT_EQ(r.code, 2) << describe(r);
  write_text(t.path / "mixed.csv",
             "respondent_id,aware,ever_bought,bought_within,purchase_frequency\nx,yes,yes,yes,3\ny,perhaps,no,,\n");
  r = run_koko({"import", "survey", "mixed.csv", "--on-error", "skip", "--rejects", "rej.csv"}, t.path);
  EXPECT_EQ(r.code, 0) << describe(r);
  EXPECT_TRUE(contains(read_text(t.path / "rej.csv"), "mixed.csv:3:2: column 'aware': 'perhaps'"));
}

TEST(SegmentCli, ClearErrorsSayWhatToChange) {
  TempDir t;
  fs::copy_file(kFixtures / "orders.csv", t.path / "orders.csv");
  ASSERT_EQ(run_koko({"import", "orders", "orders.csv"}, t.path).code, 0);
  auto r = run_koko({"segment", "--as-of", "2020-01-01"}, t.path);
  EXPECT_EQ(r.code, 2) << describe(r);
  EXPECT_TRUE(contains(r.err, "before the first order (2023-12-31)")) << describe(r);
  EXPECT_TRUE(contains(r.err, "on or after 2023-12-31")) << describe(r);
  r = run_koko({"segment", "--compare", "2024-06-30", "2024-06-30"}, t.path);
  EXPECT_EQ(r.code, 2) << describe(r);
  EXPECT_TRUE(contains(r.err, "the comparison window 2024-06-30 to 2024-06-30 is empty")) << describe(r);
  r = run_koko({"segment", "--validate", "2025-01-01"}, t.path);
  EXPECT_EQ(r.code, 2) << describe(r);
  EXPECT_TRUE(contains(r.err, "holdout after 2025-01-01 is empty")) << describe(r);
  r = run_koko({"segment", "--as-of", "31/12/2024"}, t.path);
  EXPECT_EQ(r.code, 2) << describe(r);
  EXPECT_TRUE(contains(r.err, "is not a date")) << describe(r);
  write_text(t.path / "koko.toml", "[segment.loyal]\nmax_recency_days = 400\n");
  r = run_koko({"segment"}, t.path);
  EXPECT_EQ(r.code, 2) << describe(r);
  EXPECT_TRUE(contains(r.err, "a loyal customer must be a current buyer")) << describe(r);
  write_text(t.path / "koko.toml", "[segment.loyal]\nmax_recency_days = 365\nmin_purchase_days = 1\n");
  r = run_koko({"segment"}, t.path);
  EXPECT_EQ(r.code, 2) << describe(r);
  EXPECT_TRUE(contains(r.err, "the general segment is impossible")) << describe(r);
  write_text(t.path / "koko.toml", "[segment.loyal]\nmax_recency_days = 90\n");
  r = run_koko({"segment", "--out", "o"}, t.path);
  EXPECT_EQ(r.code, 0) << describe(r);
  EXPECT_EQ(crm_counts(t.path).at("loyal"), "0");  // A's last purchase is 180 days back
  write_text(t.path / "customers.csv", "customer_id,contact_ok\nA,maybe\n");
  ASSERT_EQ(run_koko({"import", "customers", "customers.csv"}, t.path).code, 0);
  r = run_koko({"segment"}, t.path);
  EXPECT_EQ(r.code, 3) << describe(r);
  EXPECT_TRUE(contains(r.err, "customers: column 'contact_ok' of customer 'A': 'maybe' is not yes or no"))
      << describe(r);
}

// The CRM map of CDNOW against an independent SQL query over the exported orders.
TEST(SegmentCli, CdnowCountsMatchSqlite) {
  TempDir t;
  ASSERT_EQ(
      run_koko({"import", "orders", data_file("cdnow/CDNOW_master.txt").string(), "--preset", "cdnow"}, t.path).code,
      0);
  ASSERT_EQ(run_koko({"export", "orders", "--out", "orders.csv"}, t.path).code, 0);
  for (const std::string as_of : {"1998-06-30", "1997-12-31", "1997-06-30"}) {
    const auto r = run_koko({"segment", "--as-of", as_of, "--out", "o"}, t.path);
    ASSERT_EQ(r.code, 0) << describe(r);
    const auto ours = crm_counts(t.path);
    const std::string sql =
        ".mode csv\n"
        "CREATE TABLE o(customer_id TEXT, order_date TEXT, amount REAL, order_id TEXT);\n"
        ".import --skip 1 orders.csv o\n"
        ".mode list\n.separator ,\n"
        "WITH c AS (SELECT customer_id, COUNT(DISTINCT order_date) AS pd, julianday('" +
        as_of +
        "') - julianday(MAX(order_date)) AS rec FROM o WHERE amount >= 0 AND customer_id <> '' AND order_date <= '" +
        as_of +
        "' GROUP BY customer_id) "
        "SELECT CASE WHEN pd >= 4 AND rec <= 180 THEN 'loyal' WHEN rec <= 365 THEN 'general' ELSE 'lapsed' END AS s, "
        "COUNT(*) FROM c GROUP BY s ORDER BY s;\n";
    write_text(t.path / "check.sql", sql);
    const std::string cmd = "cd '" + t.path.string() + "' && sqlite3 :memory: < check.sql > sql.out 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << read_text(t.path / "sql.out");
    std::map<std::string, std::string> theirs;
    for (const auto& row : csv_rows(read_text(t.path / "sql.out"))) theirs[row.at(0)] = row.at(1);
    for (const char* s : {"loyal", "general", "lapsed"})
      EXPECT_EQ(ours.at(s), theirs.contains(s) ? theirs[s] : "0") << s << " as of " << as_of << "\n"
                                                                  << read_text(t.path / "sql.out");
  }
}

// The core score finds those who stay at least as well as plain RFM (gate: core >= RFM - 0.02).
TEST(SegmentCli, CoreScoreHoldoutCheck) {
  struct Case {
    std::string file, preset, calibration_end;
    double core, rfm;  // as published in docs/segments.md
  };
  const std::vector<Case> cases = {
      {"cdnow/CDNOW_master.txt", "cdnow", "1997-09-30", 0.5121, 0.5191},
      {"online-retail/online_retail.csv.gz", "online-retail", "2011-06-30", 0.5122, 0.5223},
  };
  for (const auto& c : cases) {
    TempDir t;
    ASSERT_EQ(run_koko({"-q", "import", "orders", data_file(c.file).string(), "--preset", c.preset}, t.path).code, 0);
    const auto r = run_koko({"segment", "--validate", c.calibration_end, "--out", "o"}, t.path);
    ASSERT_EQ(r.code, 0) << describe(r);
    const auto rows = csv_rows(run_koko({"export", "segment_validation"}, t.path).out);
    ASSERT_EQ(rows.size(), 2u);
    const double core = std::stod(rows[1].at(5)), rfm = std::stod(rows[1].at(6));
    EXPECT_GE(core, rfm - 0.02) << c.file;
    EXPECT_NEAR(core, c.core, 5e-5) << c.file;
    EXPECT_NEAR(rfm, c.rfm, 5e-5) << c.file;
  }
}

// CDNOW against tests/golden/segment/cdnow: 9seg, transitions, the holdout check and the N1 picks.
TEST(SegmentCli, CdnowGolden) {
  TempDir t;
  ASSERT_EQ(
      run_koko({"-q", "import", "orders", data_file("cdnow/CDNOW_master.txt").string(), "--preset", "cdnow"}, t.path)
          .code,
      0);
  const auto r = run_koko({"segment", "--validate", "1997-09-30", "--out", "o"}, t.path);
  ASSERT_EQ(r.code, 0) << describe(r);
  const fs::path golden = fs::path(KOKO_SOURCE_DIR) / "tests" / "golden" / "segment" / "cdnow";
  for (const char* table : {"segment_crm_map", "segment_crm_9seg", "segment_transitions", "segment_validation"}) {
    const auto e = run_koko({"export", table}, t.path);
    EXPECT_EQ(e.out, read_text(golden / (std::string(table) + ".csv"))) << table;
  }
  std::string picks = "group,role,candidates,sampled,customer_id\n";
  for (const auto& row : csv_rows(run_koko({"export", "segment_n1"}, t.path).out))
    if (row.size() > 6 && row[1] == "pick")
      picks += row[0] + "," + row[1] + "," + row[3] + "," + row[4] + "," + row[6] + "\n";
  EXPECT_EQ(picks, read_text(golden / "segment_n1_picks.csv"));
}
