// The koko command line as a user meets it: the real binary on small files written by each test, in a temporary
// folder. Bad input must stop the import with a located, actionable message and leave the workspace as it was.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;

namespace {

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_text(const fs::path& p, std::string_view text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

struct Result {
  int code = -1;
  std::string out, err;
};

std::string describe(const Result& r) {
  return "exit code " + std::to_string(r.code) + "\n--- stdout:\n" + r.out.substr(0, 2000) + "\n--- stderr:\n" +
         r.err.substr(0, 4000);
}

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

// Starts koko with args in cwd, stdout and stderr to files; returns the child's pid.
pid_t spawn_koko(const std::vector<std::string>& args, const fs::path& cwd, const fs::path& out_file,
                 const fs::path& err_file) {
  const pid_t pid = fork();
  if (pid == 0) {
    if (chdir(cwd.c_str()) != 0) _exit(126);
    const int o = open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int e = open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (o < 0 || e < 0) _exit(126);
    dup2(o, STDOUT_FILENO);
    dup2(e, STDERR_FILENO);
    setenv("LC_ALL", "C", 1);  // English messages whatever the machine's locale
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(KOKO_BINARY));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(KOKO_BINARY, argv.data());
    _exit(127);
  }
  return pid;
}

const std::string kHeader = "customer_id,order_date,amount\n";

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "koko-test-cli-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    ws_ = (dir_ / "ws.db").string();
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  Result koko(const std::vector<std::string>& args) {
    const fs::path out = dir_ / ".stdout", err = dir_ / ".stderr";
    const pid_t pid = spawn_koko(args, dir_, out, err);
    Result r;
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid) return r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = read_text(out);
    r.err = read_text(err);
    return r;
  }

  fs::path file(const std::string& name, std::string_view text) {
    write_text(dir_ / name, text);
    return dir_ / name;
  }

  // What a user can see of the workspace: `status`, the table list and the orders.
  std::string snapshot() {
    std::string s;
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"-w", ws_, "status"}, {"-w", ws_, "export", "--list"}, {"-w", ws_, "export", "orders"}}) {
      const auto r = koko(args);
      s += "$ koko " + args.back() + " -> " + std::to_string(r.code) + "\n" + r.out;
    }
    return s;
  }

  // A workspace with one good import, so a failed import has something to leave untouched.
  void prior_import() {
    if (prior_done_) return;
    prior_done_ = true;
    const auto r = koko({"-w", ws_, "import", "orders",
                         file("prior.csv", kHeader + "P1,2023-05-01,10.00\nP2,2023-05-02,20.50\n").string()});
    ASSERT_EQ(r.code, 0) << describe(r);
  }

  // Imports a bad file into a workspace that has a prior import: expects the exit code, and the workspace exactly
  // as before (same status, tables and orders). Returns the failed run for the message checks.
  Result failed_import(const std::string& name, std::string_view text, std::vector<std::string> extra = {},
                       int code = 3) {
    prior_import();
    const std::string before = snapshot();
    std::vector<std::string> args = {"-w", ws_, "import", "orders", file(name, text).string()};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = koko(args);
    EXPECT_EQ(r.code, code) << describe(r);
    EXPECT_TRUE(r.out.empty()) << describe(r);
    EXPECT_TRUE(contains(r.err, "koko: error: ")) << describe(r);
    EXPECT_EQ(snapshot(), before) << "the failed import changed the workspace";
    return r;
  }

  fs::path dir_;
  std::string ws_;
  bool prior_done_ = false;
};

// ---- bad input -------------------------------------------------------------------------------------------------

TEST_F(Cli, EmptyFile) {
  // Into a new workspace: nothing is recorded and there is no orders table.
  const auto fresh = koko({"-w", ws_, "import", "orders", file("empty.csv", "").string()});
  EXPECT_EQ(fresh.code, 3) << describe(fresh);
  EXPECT_TRUE(contains(fresh.err, "empty.csv: the file is empty")) << describe(fresh);
  EXPECT_FALSE(fs::exists(ws_)) << "a failed first import must not leave an empty workspace behind";
  const auto r = failed_import("empty2.csv", "");
  EXPECT_TRUE(contains(r.err, "the file is empty")) << describe(r);
  EXPECT_TRUE(contains(r.err, "hint: ")) << describe(r);
}

TEST_F(Cli, HeaderOnly) {
  const auto r = failed_import("header.csv", kHeader);
  EXPECT_TRUE(contains(r.err, "header.csv: the file has a header but no data rows")) << describe(r);
}

TEST_F(Cli, MissingRequiredColumn) {
  const auto r = failed_import("missing.csv", "customer_id,amount\n1,2.00\n");
  EXPECT_TRUE(contains(r.err, "required column 'order_date' not found")) << describe(r);
  EXPECT_TRUE(contains(r.err, "customer_id | amount")) << "the header found is printed\n" << describe(r);
  EXPECT_TRUE(contains(r.err, "--map order_date=")) << describe(r);
}

TEST_F(Cli, WrongDelimiter) {
  // A ';' file read with a preset that forces ','.
  file("comma.toml", "name = \"comma\"\nkind = \"orders\"\n[format]\nlayout = \"delimited\"\ndelimiter = \",\"\n");
  const std::string body = "a;b;c\n1;2024-01-01;3\n";
  const auto mapped = failed_import("semi.csv", body,
                                    {"--preset", (dir_ / "comma.toml").string(), "--map", "customer_id=a", "--map",
                                     "order_date=b", "--map", "amount=c"});
  EXPECT_TRUE(contains(mapped.err, "';'-delimited")) << describe(mapped);
  EXPECT_TRUE(contains(mapped.err, "a;b;c")) << describe(mapped);
  const auto unmapped = failed_import("semi2.csv", body, {"--preset", (dir_ / "comma.toml").string()});
  EXPECT_TRUE(contains(unmapped.err, "';'-delimited")) << describe(unmapped);
  EXPECT_TRUE(contains(unmapped.err, "--map customer_id=")) << describe(unmapped);
  // Without the preset the delimiter is detected and the same file imports.
  const auto detected = koko({"-w", (dir_ / "detected.db").string(), "import", "orders", (dir_ / "semi.csv").string(),
                              "--map", "customer_id=a", "--map", "order_date=b", "--map", "amount=c"});
  EXPECT_EQ(detected.code, 0) << describe(detected);
}

TEST_F(Cli, InvalidUtf8) {
  // Header 30 bytes + first row 15 bytes: the bad record starts at byte 45.
  const auto r = failed_import("latin1.csv", kHeader + "1,2024-01-01,3\n2,2024-01-02,\xff\xfe\n");
  EXPECT_TRUE(contains(r.err, "latin1.csv:3:3")) << describe(r);
  EXPECT_TRUE(contains(r.err, "invalid UTF-8")) << describe(r);
  EXPECT_TRUE(contains(r.err, "byte offset 45")) << describe(r);
  EXPECT_TRUE(contains(r.err, "--encoding")) << describe(r);
}

TEST_F(Cli, UnparsableAmount) {
  const auto a = failed_import("amount.csv", kHeader + "1,2024-01-01,3\n2,2024-01-02,12.5x\n");
  EXPECT_TRUE(contains(a.err, "amount.csv:3:3")) << describe(a);
  EXPECT_TRUE(contains(a.err, "'12.5x'")) << describe(a);
  EXPECT_TRUE(contains(a.err, "column 'amount'")) << describe(a);
  EXPECT_TRUE(contains(a.err, "expected e.g. 1234.50")) << describe(a);
  EXPECT_TRUE(contains(a.err, "--on-error skip")) << describe(a);
  // Badly placed thousands separators are no amount either.
  const auto g = failed_import("amount2.csv", kHeader + "1,2024-01-01,\"1,23.00\"\n");
  EXPECT_TRUE(contains(g.err, "amount2.csv:2:3")) << describe(g);
  EXPECT_TRUE(contains(g.err, "'1,23.00'")) << describe(g);
}

TEST_F(Cli, UnparsableDate) {
  const auto r = failed_import("date.csv", kHeader + "1,2024-01-01,3\n2,2024-13-02,5\n");
  EXPECT_TRUE(contains(r.err, "date.csv:3:2")) << describe(r);
  EXPECT_TRUE(contains(r.err, "'2024-13-02'")) << describe(r);
  EXPECT_TRUE(contains(r.err, "column 'order_date'")) << describe(r);
  EXPECT_TRUE(contains(r.err, "expected 2024-03-07")) << describe(r);
  EXPECT_TRUE(contains(r.err, "--date-format")) << describe(r);
  // A date with a named format that does not fit it says which form was expected.
  const auto f = failed_import("date2.csv", kHeader + "1,03/07/2024,3\n", {"--date-format", "yyyymmdd"});
  EXPECT_TRUE(contains(f.err, "date2.csv:2:2")) << describe(f);
  EXPECT_TRUE(contains(f.err, "expected 20240307")) << describe(f);
}

TEST_F(Cli, UnterminatedQuote) {
  const auto r = failed_import("quote.csv", kHeader + "1,2024-01-01,3\n\"2,2024-01-02,5\n3,2024-01-03,4\n");
  EXPECT_TRUE(contains(r.err, "quote.csv:3")) << describe(r);
  EXPECT_TRUE(contains(r.err, "unterminated quoted field")) << describe(r);
}

TEST_F(Cli, RaggedRow) {
  const auto r = failed_import("ragged.csv", kHeader + "1,2024-01-01,3\n2,2024-01-02\n");
  EXPECT_TRUE(contains(r.err, "ragged.csv:3")) << describe(r);
  EXPECT_TRUE(contains(r.err, "2 fields but the header has 3")) << describe(r);
}

// ---- behaviour -------------------------------------------------------------------------------------------------

TEST_F(Cli, NegativeAmountsAreReturns) {
  const auto r = koko({"-w", ws_, "import", "orders",
                       file("neg.csv", kHeader + "1,2024-01-01,10.00\n1,2024-01-05,-4.50\n2,2024-01-02,3\n").string()});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_TRUE(contains(r.err, "2 orders and 1 returns (0 of them without a customer)")) << describe(r);
  EXPECT_TRUE(contains(r.err, "net revenue $8.50 (gross $13.00, returns -$4.50)")) << describe(r);
  const auto e = koko({"-w", ws_, "export", "orders"});
  EXPECT_EQ(e.out,
            "customer_id,order_date,amount,order_id\n1,2024-01-01,10.00,\n1,2024-01-05,-4.50,\n2,2024-01-02,3.00,\n");
}

TEST_F(Cli, FutureDateWarns) {
  const auto r = koko({"-w", ws_, "import", "orders",
                       file("future.csv", kHeader + "1,2024-01-01,10.00\n2,2199-01-05,4.50\n").string()});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_TRUE(contains(r.err, "warning: 1 orders are dated after today")) << describe(r);
  const auto s = koko({"-w", ws_, "status"});
  EXPECT_TRUE(contains(s.out, "dated after today")) << "the warning is kept with the import\n" << s.out;
}

TEST_F(Cli, DuplicateOrderIdsWarn) {
  const auto r = koko({"-w", ws_, "import", "orders",
                       file("dup.csv",
                            "order_id,customer_id,order_date,amount\nA1,1,2024-01-01,10\nA2,2,2024-01-05,4.50\n"
                            "A1,3,2024-01-06,1\nA2,2,2024-01-07,1\nA3,2,2024-01-07,1\n")
                           .string()});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_TRUE(contains(r.err, "warning: 2 order IDs appear again")) << describe(r);
  EXPECT_TRUE(contains(r.err, "5 orders")) << "each appearance is its own order\n" << describe(r);
}

TEST_F(Cli, MixedZeroPaddingWarns) {
  const auto r = koko({"-w", ws_, "import", "orders",
                       file("pad.csv", kHeader + "00012,2024-01-01,10\n12,2024-01-05,4.50\n00013,2024-01-05,1\n")
                           .string()});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_TRUE(contains(r.err, "warning: customer IDs mix zero-padded and unpadded")) << describe(r);
  EXPECT_TRUE(contains(r.err, "3 customers")) << "'00012' and '12' stay two customers\n" << describe(r);
  // Consistent padding (CDNOW style) is no warning.
  const auto ok = koko({"-w", (dir_ / "ok.db").string(), "import", "orders",
                        file("padded.csv", kHeader + "00012,2024-01-01,10\n00120,2024-01-05,4.50\n").string()});
  ASSERT_EQ(ok.code, 0) << describe(ok);
  EXPECT_FALSE(contains(ok.err, "zero-padded")) << describe(ok);
}

TEST_F(Cli, OnErrorSkipWritesRejects) {
  const auto f = file("skip.csv", kHeader +
                                      "1,2024-01-01,10.00\n2,2024-01-05,x\n3,2024-02-30,1\n4,2024-01-01,2,3\n"
                                      "5,2024-01-03,7\n");
  const auto r = koko({"-w", ws_, "import", "orders", f.string(), "--on-error", "skip", "--rejects",
                       (dir_ / "bad rows.csv").string()});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_TRUE(contains(r.err, "5 rows read, 2 kept, 3 rejected")) << describe(r);
  EXPECT_TRUE(contains(r.err, "3 rows rejected: see")) << describe(r);
  EXPECT_EQ(read_text(dir_ / "bad rows.csv"),
            "line,reason,row\n"
            "3,column 'amount': 'x' is not an amount,\"2,2024-01-05,x\"\n"
            "4,column 'order_date': '2024-02-30' is not a valid date,\"3,2024-02-30,1\"\n"
            "5,the row has 4 fields but the header has 3,\"4,2024-01-01,2,3\"\n");
  const auto e = koko({"-w", ws_, "export", "orders"});
  EXPECT_EQ(e.out, "customer_id,order_date,amount,order_id\n1,2024-01-01,10.00,\n5,2024-01-03,7.00,\n");
}

TEST_F(Cli, EveryRowRejectedSaysWhy) {
  // No rejects file is written by a failed import, so the error itself must say what was wrong.
  const auto r = failed_import("allbad.csv", kHeader + "1,2024-01-xx,10.00\n2,2024-01-05,x\n",
                               {"--on-error", "skip", "--rejects", (dir_ / "rj.csv").string()});
  EXPECT_TRUE(contains(r.err, "no orders were kept")) << describe(r);
  EXPECT_TRUE(contains(r.err, "line 2")) << describe(r);
  EXPECT_TRUE(contains(r.err, "'2024-01-xx'")) << describe(r);
  EXPECT_FALSE(fs::exists(dir_ / "rj.csv"));
  EXPECT_FALSE(fs::exists(dir_ / "rj.csv.tmp"));
}

TEST_F(Cli, SameFileTwiceRefusedReplaceWorks) {
  const auto f = file("orders.csv", kHeader + "1,2024-01-01,10.00\n2,2024-01-05,4.50\n1,2024-02-01,-1.25\n");
  const auto first = koko({"-w", ws_, "import", "orders", f.string()});
  ASSERT_EQ(first.code, 0) << describe(first);
  const std::string orders = koko({"-w", ws_, "export", "orders"}).out;
  const std::string before = snapshot();

  const auto again = koko({"-w", ws_, "import", "orders", f.string()});
  EXPECT_EQ(again.code, 2) << describe(again);
  EXPECT_TRUE(contains(again.err, "already imported")) << describe(again);
  EXPECT_TRUE(contains(again.err, "--replace")) << describe(again);
  EXPECT_EQ(snapshot(), before);

  // The same bytes under another name are the same file.
  fs::copy_file(f, dir_ / "copy.csv");
  const auto copy = koko({"-w", ws_, "import", "orders", (dir_ / "copy.csv").string()});
  EXPECT_EQ(copy.code, 2) << describe(copy);

  const auto replaced = koko({"-w", ws_, "import", "orders", f.string(), "--replace"});
  ASSERT_EQ(replaced.code, 0) << describe(replaced);
  EXPECT_EQ(koko({"-w", ws_, "export", "orders"}).out, orders) << "--replace gives the same orders";
  const auto status = koko({"-w", ws_, "status"});
  size_t imports = 0;
  for (size_t p = status.out.find("import #"); p != std::string::npos; p = status.out.find("import #", p + 1))
    ++imports;
  EXPECT_EQ(imports, 1u) << status.out;
  EXPECT_TRUE(contains(status.out, "net revenue $13.25 (gross $14.50, returns -$1.25)")) << status.out;
  EXPECT_TRUE(contains(replaced.err, "net revenue $13.25 (gross $14.50, returns -$1.25)")) << describe(replaced);
}

TEST_F(Cli, MapOverrides) {
  // "total" would be found by name; --map picks "net" instead, and names the other columns.
  const auto f = file("mapped.csv", "client,when,total,net\nK-1,2024-03-01,99.00,80.00\nK-2,2024-03-02,10,9.5\n");
  const auto r = koko({"-w", ws_, "import", "orders", f.string(), "--map", "customer_id=client", "--map",
                       "order_date=when", "--map", "amount=net"});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_EQ(koko({"-w", ws_, "export", "orders"}).out,
            "customer_id,order_date,amount,order_id\nK-1,2024-03-01,80.00,\nK-2,2024-03-02,9.50,\n");
  const auto status = koko({"-w", ws_, "status"});
  EXPECT_TRUE(contains(status.out, "amount=net, customer_id=client, order_date=when")) << status.out;
  // --map also overrides a preset's column.
  file("p.toml", "name = \"p\"\nkind = \"orders\"\n[columns]\ncustomer_id = \"client\"\norder_date = \"when\"\n"
                 "amount = \"total\"\n");
  const auto p = koko({"-w", (dir_ / "p.db").string(), "import", "orders", f.string(), "--preset",
                       (dir_ / "p.toml").string(), "--map", "amount=net"});
  ASSERT_EQ(p.code, 0) << describe(p);
  EXPECT_TRUE(contains(p.err, "net revenue $89.50")) << describe(p);
  // A malformed --map is a usage error.
  const auto bad = koko({"-w", ws_, "import", "orders", f.string(), "--map", "amount"});
  EXPECT_EQ(bad.code, 2) << describe(bad);
}

TEST_F(Cli, JsonlImports) {
  const auto f = file("orders.jsonl",
                      "{\"customer_id\":\"007\",\"order_date\":\"2024-01-01\",\"amount\":12.5}\n"
                      "{\"customer_id\":\"008\",\"order_date\":\"2024-01-02\",\"amount\":\"3.00\"}\n"
                      "\n"
                      "{\"order_date\":\"2024-02-01\",\"amount\":-2,\"customer_id\":\"007\"}\n");
  const auto r = koko({"-w", ws_, "import", "orders", f.string()});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_EQ(koko({"-w", ws_, "export", "orders"}).out,
            "customer_id,order_date,amount,order_id\n007,2024-01-01,12.50,\n008,2024-01-02,3.00,\n"
            "007,2024-02-01,-2.00,\n");
  // A bad line is located.
  const auto bad = failed_import("bad.jsonl", "{\"customer_id\":\"1\",\"order_date\":\"2024-01-01\",\"amount\":1}\n"
                                              "{\"customer_id\":\"2\", oops}\n");
  EXPECT_TRUE(contains(bad.err, "bad.jsonl:2")) << describe(bad);
}

TEST_F(Cli, CustomersImportAndExport) {
  ASSERT_EQ(koko({"-w", ws_, "import", "orders", file("o.csv", kHeader + "007,2024-01-01,5\n").string()}).code, 0);
  const auto f = file("customers.csv",
                      "customer_id,name,segment,city\n007,\"Doe, Jane\",gold,Tokyo\n009,Bob,silver,\n");
  const auto r = koko({"-w", ws_, "import", "customers", f.string()});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_TRUE(contains(r.err, "2 customers read with 3 attributes")) << describe(r);
  EXPECT_TRUE(contains(r.err, "1 customers not seen in orders")) << describe(r);
  const auto e = koko({"-w", ws_, "export", "customers"});
  ASSERT_EQ(e.code, 0) << describe(e);
  EXPECT_EQ(e.out, "customer_id,name,segment,city\n007,\"Doe, Jane\",gold,Tokyo\n009,Bob,silver,\n");
  EXPECT_EQ(koko({"-w", ws_, "export", "customer_ids"}).out, "customer_key,customer_id\n0,007\n1,009\n");
}

TEST_F(Cli, AnalyzeTwiceIsByteIdentical) {
  const fs::path sample = fs::path(KOKO_SOURCE_DIR) / "data" / "sample";
  ASSERT_TRUE(fs::exists(sample / "koko.toml")) << "missing data set: data/sample (" << sample << ")";
  const fs::path out = dir_ / "report";
  auto outputs = [&] {
    std::map<std::string, std::string> files;
    for (const auto& e : fs::recursive_directory_iterator(out))
      if (e.is_regular_file()) files[fs::relative(e.path(), out).string()] = read_text(e.path());
    return files;
  };
  const auto a = koko({"-w", ws_, "analyze", sample.string(), "--out", out.string(), "--lang", "en"});
  ASSERT_EQ(a.code, 0) << describe(a);
  const auto first = outputs();
  ASSERT_TRUE(first.contains("index.html"));
  EXPECT_GT(first.size(), 1u) << "the report has a CSV per table";
  const auto summary = koko({"-w", ws_, "export", "overview_summary"}).out;

  const auto b = koko({"-w", ws_, "analyze", sample.string(), "--out", out.string(), "--lang", "en"});
  ASSERT_EQ(b.code, 0) << describe(b);
  const auto second = outputs();
  ASSERT_EQ(first.size(), second.size());
  for (const auto& [name, bytes] : first) EXPECT_TRUE(second.at(name) == bytes) << name << " differs between runs";
  EXPECT_EQ(koko({"-w", ws_, "export", "overview_summary"}).out, summary);
  EXPECT_FALSE(fs::exists(ws_ + ".building"));
}

TEST_F(Cli, AnalyzeRefusesAnImportWorkspace) {
  prior_import();
  const std::string before = snapshot();
  const fs::path in = dir_ / "in";
  fs::create_directories(in);
  write_text(in / "orders.csv", kHeader + "9,2024-01-01,1\n");
  const auto r = koko({"-w", ws_, "analyze", in.string(), "--out", (dir_ / "report").string()});
  EXPECT_EQ(r.code, 2) << describe(r);
  EXPECT_TRUE(contains(r.err, "--workspace")) << describe(r);
  EXPECT_EQ(snapshot(), before);
  EXPECT_FALSE(fs::exists(dir_ / "report" / "index.html"));
}

TEST_F(Cli, ExitCodes) {
  prior_import();
  // 2: wrong usage.
  EXPECT_EQ(koko({"--no-such-option"}).code, 2);
  EXPECT_EQ(koko({"-w", ws_, "import"}).code, 2);
  EXPECT_EQ(koko({"-w", ws_, "import", "things", "x.csv"}).code, 2);
  EXPECT_EQ(koko({"-w", ws_, "import", "orders", "x.csv", "--on-error", "maybe"}).code, 2);
  EXPECT_EQ(koko({"-w", ws_, "import", "orders", file("new.csv", kHeader + "1,2024-01-01,1\n").string(),
                  "--date-format", "julian"})
                .code,
            2);
  // 3: bad input data.
  EXPECT_EQ(koko({"-w", ws_, "import", "orders", file("bad.csv", kHeader + "1,2024-01-01,abc\n").string()}).code, 3);
  // 5: not found.
  const auto missing = koko({"-w", ws_, "import", "orders", (dir_ / "no-such.csv").string()});
  EXPECT_EQ(missing.code, 5) << describe(missing);
  EXPECT_TRUE(contains(missing.err, "no-such.csv")) << describe(missing);
  EXPECT_EQ(koko({"-w", ws_, "export", "no_such_table"}).code, 5);
  EXPECT_EQ(koko({"-w", (dir_ / "none.db").string(), "status"}).code, 5);
  EXPECT_FALSE(fs::exists(dir_ / "none.db")) << "status does not create a workspace";
  EXPECT_EQ(koko({"-w", (dir_ / "new.db").string(), "analyze", (dir_ / "no-such-dir").string()}).code, 5);
  EXPECT_EQ(koko({"-w", ws_, "import", "orders", (dir_ / "prior.csv").string(), "--preset", "no-such-preset",
                  "--replace"})
                .code,
            5);
  // 0.
  EXPECT_EQ(koko({"-w", ws_, "status"}).code, 0);
}

TEST_F(Cli, EverySubcommandHelpHasAnExample) {
  for (const std::string cmd : {"init", "import", "analyze", "report", "export", "status"}) {
    const auto r = koko({cmd, "--help"});
    EXPECT_EQ(r.code, 0) << cmd << "\n" << describe(r);
    EXPECT_TRUE(contains(r.out, "Example")) << cmd << " --help has no example\n" << describe(r);
    EXPECT_TRUE(contains(r.out, "koko ")) << cmd;
  }
  const auto top = koko({"--help"});
  EXPECT_EQ(top.code, 0);
  EXPECT_TRUE(contains(top.out, "Exit codes")) << top.out;
}

TEST_F(Cli, Version) {
  const auto r = koko({"--version"});
  EXPECT_EQ(r.code, 0) << describe(r);
  EXPECT_EQ(r.out, std::string("koko ") + KOKO_VERSION + "\n");
}

// ---- kill -9 in the middle of an import -----------------------------------------------------------------------

// 3M orders (~76 MB): big enough that the import is still writing when it is killed.
fs::path big_orders(const fs::path& dir) {
  const fs::path p = dir / "big.csv";
  std::ofstream out(p, std::ios::binary);
  std::string buf;
  buf.reserve(1 << 22);
  buf += kHeader;
  char num[24];
  auto add_num = [&](uint64_t v, int width) {
    auto [end, ec] = std::to_chars(num, num + sizeof num, v);
    for (int pad = width - static_cast<int>(end - num); pad > 0; --pad) buf += '0';
    buf.append(num, end);
  };
  for (uint64_t i = 0; i < 3'000'000; ++i) {
    buf += 'C';
    add_num(i % 200'000, 0);
    buf += ",2023-";
    add_num(i % 12 + 1, 2);
    buf += '-';
    add_num(i % 28 + 1, 2);
    buf += ',';
    add_num(i % 997, 0);
    buf += '.';
    add_num(i % 100, 2);
    buf += '\n';
    if (buf.size() > (1 << 22) - 64) {
      out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
      buf.clear();
    }
  }
  out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
  return p;
}

uint64_t size_or_zero(const fs::path& p) {
  std::error_code ec;
  const auto n = fs::file_size(p, ec);
  return ec ? 0 : n;
}

TEST_F(Cli, KillDuringImportLeavesTheWorkspaceAsItWas) {
  prior_import();
  const std::string before = snapshot();
  const fs::path big = big_orders(dir_);
  const fs::path wal = ws_ + "-wal";

  const uint64_t wal_before = size_or_zero(wal);
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = spawn_koko({"-w", ws_, "import", "orders", big.string()}, dir_, dir_ / ".big-out",
                               dir_ / ".big-err");
  ASSERT_GT(pid, 0);
  // Kill once the import has written a good part of its transaction to the WAL (or after 0.3 s at least, and
  // at most 10 s).
  bool exited = false;
  int status = 0;
  for (;;) {
    if (waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
      break;
    }
    const auto elapsed = std::chrono::steady_clock::now() - start;
    if ((size_or_zero(wal) > wal_before + (8u << 20) && elapsed > std::chrono::milliseconds(300)) ||
        elapsed > std::chrono::seconds(10))
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ASSERT_FALSE(exited) << "the import finished before it could be killed (exit status " << status
                       << "); make the file bigger\n"
                       << read_text(dir_ / ".big-err");
  const uint64_t wal_at_kill = size_or_zero(wal);
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  RecordProperty("killed_after_ms", static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                         std::chrono::steady_clock::now() - start)
                                                         .count()));
  RecordProperty("wal_bytes_at_kill", std::to_string(wal_at_kill));
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;
  EXPECT_GT(wal_at_kill, wal_before) << "killed before the import wrote anything: the test proves little";

  // The workspace opens, shows only the prior import, and its orders are intact.
  const std::string after = snapshot();
  EXPECT_EQ(after, before);
  EXPECT_FALSE(contains(after, "big.csv")) << after;

  // A fresh workspace killed the same way holds no import and no orders table.
  const std::string fresh = (dir_ / "fresh.db").string();
  const pid_t pid2 = spawn_koko({"-w", fresh, "import", "orders", big.string()}, dir_, dir_ / ".big-out",
                                dir_ / ".big-err");
  ASSERT_GT(pid2, 0);
  const auto start2 = std::chrono::steady_clock::now();
  while (size_or_zero(fresh + "-wal") < (8u << 20) &&
         std::chrono::steady_clock::now() - start2 < std::chrono::seconds(10) && waitpid(pid2, &status, WNOHANG) == 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  ASSERT_EQ(kill(pid2, SIGKILL), 0) << "the import already ended";
  ASSERT_EQ(waitpid(pid2, &status, 0), pid2);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the import ended before the kill: " << read_text(dir_ / ".big-err");
  const auto s = koko({"-w", fresh, "status"});
  ASSERT_EQ(s.code, 0) << describe(s);
  EXPECT_FALSE(contains(s.out, "import #")) << s.out;
  EXPECT_FALSE(contains(s.out, "orders")) << s.out;
  const auto list = koko({"-w", fresh, "export", "--list"});
  EXPECT_EQ(list.code, 0) << describe(list);
  EXPECT_EQ(list.out, "");
  // ... and takes the same import afterwards.
  const auto redo = koko({"-w", fresh, "import", "orders", (dir_ / "prior.csv").string()});
  EXPECT_EQ(redo.code, 0) << describe(redo);
}

}  // namespace
