// `koko clv` as a user meets it: the real binary on the shared CDNOW data, in a temporary folder.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "data_dir.hpp"

namespace fs = std::filesystem;

namespace {

using koko_test::data_dir;

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Result {
  int code = -1;
  std::string out, err;
};

class ClvCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("koko-clv-cli-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  Result koko(const std::string& args) {
    const std::string cmd = "cd '" + dir_.string() + "' && LC_ALL=C '" KOKO_BINARY "' -w ws.db " + args +
                            " >out.txt 2>err.txt";
    Result r;
    const int status = std::system(cmd.c_str());
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = read_text(dir_ / "out.txt");
    r.err = read_text(dir_ / "err.txt");
    return r;
  }
  void import_cdnow() {
    const fs::path master = data_dir() / "cdnow" / "CDNOW_master.txt";
    ASSERT_TRUE(fs::exists(master)) << "missing data set: cdnow/CDNOW_master.txt (set KOKO_DATA)";
    const auto r = koko("import orders '" + master.string() + "' --preset cdnow");
    ASSERT_EQ(r.code, 0) << r.err;
  }
  fs::path dir_;
};

}  // namespace

TEST_F(ClvCli, FitPredictExportReport) {
  import_cdnow();
  auto r = koko("clv fit --unit week --calibration-end 1997-09-30");
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* m : {"bgnbd", "mbgnbd", "pareto_nbd", "gamma_gamma", "holdout"})
    EXPECT_NE(r.out.find(m), std::string::npos) << m << "\n" << r.out;
  EXPECT_NE(r.out.find("converged"), std::string::npos);

  r = koko("clv predict --calibration-end 1997-09-30 --model bgnbd --horizon 39 --margin 0.3 --out clv.csv");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string csv = read_text(dir_ / "clv.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 23571);
  EXPECT_EQ(csv.find("nan"), std::string::npos);
  EXPECT_EQ(csv.find("inf"), std::string::npos);

  r = koko("export clv_parameters");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("bgnbd,alpha,"), std::string::npos) << r.out;

  r = koko("report --out rep --lang en");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string html = read_text(dir_ / "rep" / "index.html");
  EXPECT_NE(html.find("Customer lifetime value"), std::string::npos);
  EXPECT_TRUE(fs::exists(dir_ / "rep" / "clv_customers.csv"));
}

TEST_F(ClvCli, FitsASummaryFile) {
  const fs::path sample = data_dir() / "cdnow" / "cdnow_customers_summary_with_transactions.csv";
  ASSERT_TRUE(fs::exists(sample)) << "missing data set: cdnow/cdnow_customers_summary_with_transactions.csv";
  const auto r = koko("clv fit --model bgnbd --summary '" + sample.string() + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("r = 0.24"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("-9582.4"), std::string::npos) << r.out;
}

TEST_F(ClvCli, ClearErrors) {
  auto r = koko("clv fit");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("hint"), std::string::npos) << r.err;
  import_cdnow();
  r = koko("clv fit --calibration-end 1990-01-01");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("calibration period is empty"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("hint: use a --calibration-end between 1997-01-01 and 1998-06-30"), std::string::npos) << r.err;
  r = koko("clv fit --calibration-end 1998-06-30 --holdout-end 1998-12-31");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("starts after the last order"), std::string::npos) << r.err;
  r = koko("clv fit --model nonsense");
  EXPECT_EQ(r.code, 2) << r.err;
}

TEST_F(ClvCli, ImportedSummaryIsFittedByClvAndReport) {
  const fs::path sample = data_dir() / "cdnow" / "cdnow_customers_summary_with_transactions.csv";
  ASSERT_TRUE(fs::exists(sample)) << "missing data set: cdnow summary (set KOKO_DATA)";
  auto r = koko("import clv-summary '" + sample.string() + "' --unit week");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("2,357 customers in weeks, 946 with repeat purchases, 2,457 repeat purchases in total"),
            std::string::npos)
      << r.err;
  r = koko("clv fit");
  ASSERT_EQ(r.code, 0) << r.err;
  // Fader, Hardie & Lee (2005): BG/NBD r = 0.243, α = 4.414, a = 0.793, b = 2.426, LL −9582.4.
  EXPECT_NE(r.out.find("LL     -9582.43  r = 0.2425"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("alpha = 4.413"), std::string::npos) << r.out;
  // Without orders, `koko report` runs the CLV analysis on the summary, with the file's customer IDs.
  r = koko("report --out rep --lang en");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("ran clv"), std::string::npos) << r.err;
  r = koko("export clv_data");
  EXPECT_NE(r.out.find("source,imported summary"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("unit,week"), std::string::npos) << r.out;
  r = koko("export clv_customers");
  EXPECT_NE(r.out.find("\n2357,"), std::string::npos) << r.out.substr(0, 400);
}

TEST_F(ClvCli, BadSummaryRowsNameTheLine) {
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  };
  write("late.csv", "ID,x,t_x,T\n1,2,30,38\n2,1,40,38\n");
  auto r = koko("import clv-summary late.csv");
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_NE(r.err.find("t_x = 40 is outside [0, T = 38]"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("late.csv:3:3"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir_ / "ws.db")) << "a failed first import leaves no workspace";
  write("short.csv", "ID,x,t_x,T\n1,2,30,38\n2,1\n");
  r = koko("import clv-summary short.csv");
  EXPECT_NE(r.err.find("the row has 2 fields but the header has 4"), std::string::npos) << r.err;
  write("frac.csv", "ID,x,t_x,T\n1,2.5,30,38\n");
  r = koko("import clv-summary frac.csv");
  EXPECT_NE(r.err.find("x = 2.5 is not a count of repeat purchases"), std::string::npos) << r.err;
  write("zero.csv", "ID,x,t_x,T\n1,0,3,38\n");
  r = koko("import clv-summary zero.csv");
  EXPECT_NE(r.err.find("t_x = 3 with no repeat purchase (x = 0)"), std::string::npos) << r.err;
  write("dup.csv", "ID,x,t_x,T\n1,0,0,38\n1,1,3,38\n");
  r = koko("import clv-summary dup.csv");
  EXPECT_NE(r.err.find("customer '1' appears twice"), std::string::npos) << r.err;
  write("cols.csv", "ID,n,t_x,T\n1,0,0,38\n");
  r = koko("import clv-summary cols.csv");
  EXPECT_NE(r.err.find("needs columns x (or frequency), t_x (or recency) and T; it has ID, n, t_x, T"),
            std::string::npos)
      << r.err;
  // The same checks guard `koko clv fit --summary FILE` (a short row was silently skipped before).
  r = koko("clv fit --summary short.csv");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("the row has 2 fields but the header has 4"), std::string::npos) << r.err;
}
