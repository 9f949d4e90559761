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

// ---- encodings, yen, Japanese dates and paths ----------------------------------------------------------------
// Byte fixtures written by hand: CP932 as Japanese Excel saves it, UTF-16 as Excel's "Unicode text", windows-1252.

namespace {

// UTF-8 → UTF-16 (little or big endian), by hand.
std::string to_utf16(std::string_view utf8, bool big_endian) {
  std::string out;
  auto unit = [&](uint32_t u) {
    const char hi = static_cast<char>((u >> 8) & 0xFF), lo = static_cast<char>(u & 0xFF);
    out += big_endian ? hi : lo;
    out += big_endian ? lo : hi;
  };
  for (size_t i = 0; i < utf8.size();) {
    const auto c = static_cast<unsigned char>(utf8[i]);
    const size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1Fu) : len == 3 ? (c & 0x0Fu) : (c & 0x07u);
    for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(utf8[i + k]) & 0x3Fu);
    i += len;
    if (cp >= 0x10000) {
      unit(0xD800 + ((cp - 0x10000) >> 10));
      unit(0xDC00 + ((cp - 0x10000) & 0x3FF));
    } else {
      unit(cp);
    }
  }
  return out;
}

// CP932 orders (CRLF), each line with its UTF-8 reading:
//   顧客ID,注文日,金額
//   山田～太郎,2024/03/07,"\1,200"      wave dash 81 60 → U+FF5E; 5C is the yen sign in a JPY workspace
//   ①番,2024年3月7日,"1,200円"           NEC special row 87 40
//   ⅰ組,令和6年3月8日,"１，２００円"    IBM extension FA 40 → U+2170; full-width digits
//   蕫,2024/3/9,"￥１，２００"           IBM extension FB 9C → U+856B
//   髙橋,2024-03-10,1200                 IBM extension FB FC → U+9AD9
const std::string kCp932Header = "\x8C\xDA\x8Bq" "ID,\x92\x8D\x95\xB6\x93\xFA,\x8B\xE0\x8Az\r\n";
const std::string kCp932Orders =
    kCp932Header +
    "\x8ER\x93" "c\x81\x60\x91\xBE\x98Y,2024/03/07,\"\\1,200\"\r\n"
    "\x87\x40\x94\xD4,2024\x94N3\x8C\x8E" "7\x93\xFA,\"1,200\x89~\"\r\n"
    "\xFA\x40\x91g,\x97\xDF\x98" "a6\x94N3\x8C\x8E" "8\x93\xFA,\"\x82P\x81" "C\x82Q\x82O\x82O\x89~\"\r\n"
    "\xFB\x9C,2024/3/9,\"\x81\x8F\x82P\x81" "C\x82Q\x82O\x82O\"\r\n"
    "\xFB\xFC\x8B\xB4,2024-03-10,1200\r\n";
const std::string kCp932Export =
    "customer_id,order_date,amount,order_id\n"
    "山田～太郎,2024-03-07,1200,\n"
    "①番,2024-03-07,1200,\n"
    "ⅰ組,2024-03-08,1200,\n"
    "蕫,2024-03-09,1200,\n"
    "髙橋,2024-03-10,1200,\n";

TEST_F(Cli, EveryEncodingImportsTheSameOrders) {
  const std::string tsv =
      "customer_id\torder_date\tamount\r\n"
      "山田\t2024-03-07\t1200\r\n"
      "C-2\t2024/3/8\t99.50\r\n"
      "😀\t2024年3月9日\t\"3,000\"\r\n";
  const std::string expected =
      "customer_id,order_date,amount,order_id\n山田,2024-03-07,1200.00,\nC-2,2024-03-08,99.50,\n"
      "😀,2024-03-09,3000.00,\n";
  struct Case {
    std::string name, bytes;
    std::vector<std::string> extra;
  };
  const std::vector<Case> cases = {
      {"utf8.txt", tsv, {}},
      {"utf8-bom.txt", "\xEF\xBB\xBF" + tsv, {}},
      {"utf16le-bom.txt", "\xFF\xFE" + to_utf16(tsv, false), {}},
      {"utf16be-bom.txt", "\xFE\xFF" + to_utf16(tsv, true), {}},
      {"utf16le.txt", to_utf16(tsv, false), {}},
      {"utf16be.txt", to_utf16(tsv, true), {}},
      {"named-le.txt", "\xFF\xFE" + to_utf16(tsv, false), {"--encoding", "utf-16"}},
      {"named-be.txt", "\xFE\xFF" + to_utf16(tsv, true), {"--encoding", "UTF-16"}},
      {"named-be2.txt", "\xFE\xFF" + to_utf16(tsv, true), {"--encoding", "utf-16be"}},
      {"named-utf8.txt", "\xEF\xBB\xBF" + tsv, {"--encoding", "utf-8"}},
  };
  for (const auto& c : cases) {
    const std::string ws = (dir_ / (c.name + ".db")).string();
    std::vector<std::string> args = {"-w", ws, "import", "orders", file(c.name, c.bytes).string()};
    args.insert(args.end(), c.extra.begin(), c.extra.end());
    const auto r = koko(args);
    ASSERT_EQ(r.code, 0) << c.name << "\n" << describe(r);
    EXPECT_EQ(koko({"-w", ws, "export", "orders"}).out, expected) << c.name;
  }
}

TEST_F(Cli, Cp932OrdersInAJpyWorkspace) {
  const auto f = file("orders-sjis.csv", kCp932Orders);
  const std::string ws = (dir_ / "jpy.db").string();
  const auto r = koko({"-w", ws, "import", "orders", f.string(), "--currency", "JPY"});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_TRUE(contains(r.err, "5 rows read")) << describe(r);
  EXPECT_EQ(koko({"-w", ws, "export", "orders"}).out, kCp932Export);
  EXPECT_TRUE(contains(koko({"-w", ws, "status"}).out, "currency JPY"));
  // Named by any of its names, the same orders.
  for (const char* name : {"cp932", "sjis", "Shift_JIS", "windows-31j"}) {
    const std::string named = (dir_ / (std::string(name) + ".db")).string();
    const auto n = koko({"-w", named, "import", "orders", f.string(), "--currency", "JPY", "--encoding", name});
    ASSERT_EQ(n.code, 0) << name << "\n" << describe(n);
    EXPECT_EQ(koko({"-w", named, "export", "orders"}).out, kCp932Export) << name;
  }
  // An unknown name is a usage error that lists the common ones, and writes nothing.
  const std::string bad = (dir_ / "bad.db").string();
  const auto u = koko({"-w", bad, "import", "orders", f.string(), "--encoding", "shift-jis-2004x"});
  EXPECT_EQ(u.code, 2) << describe(u);
  EXPECT_TRUE(contains(u.err, "unknown encoding 'shift-jis-2004x'")) << describe(u);
  EXPECT_TRUE(contains(u.err, "cp932")) << describe(u);
  EXPECT_FALSE(fs::exists(bad));
}

TEST_F(Cli, YenAmountsNeedAJpyWorkspace) {
  const auto a = failed_import("yen.csv", kHeader + "1,2024-01-01,3\n2,2024-01-02,\"¥1,200\"\n");
  EXPECT_TRUE(contains(a.err, "yen.csv:3:3")) << describe(a);
  EXPECT_TRUE(contains(a.err, "'¥1,200' is in yen but the workspace currency is USD")) << describe(a);
  EXPECT_TRUE(contains(a.err, "--currency JPY")) << describe(a);
  for (const std::string amount : {"\"1,200円\"", "￥１２００", "1200円"}) {
    const auto b = failed_import("yen2.csv", kHeader + "1,2024-01-01," + amount + "\n");
    EXPECT_TRUE(contains(b.err, "is in yen but the workspace currency is USD")) << describe(b);
    EXPECT_TRUE(contains(b.err, "--currency JPY")) << describe(b);
  }
  // A CP932 file with yen amounts, the same.
  const auto c = failed_import("sjis-yen.csv", kCp932Header + "\x8ER\x93" "c,2024/03/07,\"1,200\x89~\"\r\n");
  EXPECT_TRUE(contains(c.err, "sjis-yen.csv:2:3")) << describe(c);
  EXPECT_TRUE(contains(c.err, "column '金額': '1,200円' is in yen")) << describe(c);
  // A workspace's currency is fixed: JPY amounts do not join a USD workspace.
  const auto d = failed_import("sjis-yen2.csv", kCp932Orders, {"--currency", "JPY"}, 2);
  EXPECT_TRUE(contains(d.err, "differs from the workspace's USD")) << describe(d);
}

TEST_F(Cli, MoneyFormsInAJpyWorkspace) {
  ws_ = (dir_ / "jpy.db").string();
  ASSERT_EQ(koko({"-w", ws_, "init", "--currency", "JPY"}).code, 0);
  const auto r = koko({"-w", ws_, "import", "orders",
                       file("money.csv", kHeader + "a,2024-03-01,\"¥1,200\"\nb,2024-03-01,\"￥１，２００\"\n"
                                                   "c,2024-03-01,\"1,200円\"\nd,2024-03-01,\"\\1,200\"\n"
                                                   "e,2024-03-01,\"１，２００円\"\nf,2024-03-01,-¥300\n")
                           .string()});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_EQ(koko({"-w", ws_, "export", "orders"}).out,
            "customer_id,order_date,amount,order_id\na,2024-03-01,1200,\nb,2024-03-01,1200,\nc,2024-03-01,1200,\n"
            "d,2024-03-01,1200,\ne,2024-03-01,1200,\nf,2024-03-01,-300,\n");
  // Two currency signs are no amount; the failed imports leave the JPY workspace as it was.
  for (const std::string amount : {"\"¥1,200円\"", "$$5", "\"\\\\1,200\""}) {
    const auto f = failed_import("two-signs.csv", kHeader + "z,2024-03-02," + amount + "\n");
    EXPECT_TRUE(contains(f.err, "two-signs.csv:2:3")) << describe(f);
    EXPECT_TRUE(contains(f.err, "is not an amount")) << describe(f);
    EXPECT_TRUE(contains(f.err, "one currency sign")) << describe(f);
  }
}

TEST_F(Cli, Windows1252IsNotGuessed) {
  // "£20" in windows-1252 is A3 32 30: valid CP932 too (half-width katakana), so it must be named.
  const std::string customers = "customer_id,name,note\nP1,Tea shop,\xA3" "20 voucher\nP2,Caf\xE9,\n";
  const auto fresh = koko({"-w", (dir_ / "fresh.db").string(), "import", "orders",
                           file("w1252.csv", kHeader + "1,2024-01-01,3\n2,2024-01-02,\xA3" "20\n").string()});
  EXPECT_EQ(fresh.code, 3) << describe(fresh);
  EXPECT_TRUE(contains(fresh.err, "w1252.csv:3:3")) << describe(fresh);
  EXPECT_TRUE(contains(fresh.err, "A3 32 30")) << describe(fresh);
  EXPECT_TRUE(contains(fresh.err, "--encoding")) << describe(fresh);
  EXPECT_TRUE(contains(fresh.err, "windows-1252")) << describe(fresh);
  EXPECT_FALSE(fs::exists(dir_ / "fresh.db")) << "a failed first import leaves no workspace";

  prior_import();
  const std::string before = snapshot();
  const auto guessed = koko({"-w", ws_, "import", "customers", file("customers.csv", customers).string()});
  EXPECT_EQ(guessed.code, 3) << describe(guessed);
  EXPECT_TRUE(contains(guessed.err, "A3 32 30")) << describe(guessed);
  EXPECT_TRUE(contains(guessed.err, "--encoding")) << describe(guessed);
  EXPECT_EQ(snapshot(), before);
  EXPECT_NE(koko({"-w", ws_, "export", "customers"}).code, 0) << "no customers table was written";

  const auto named = koko({"-w", ws_, "import", "customers", (dir_ / "customers.csv").string(), "--encoding",
                           "windows-1252"});
  ASSERT_EQ(named.code, 0) << describe(named);
  EXPECT_EQ(koko({"-w", ws_, "export", "customers"}).out,
            "customer_id,name,note\nP1,Tea shop,£20 voucher\nP2,Café,\n");
  // The other spellings of the name read it the same way (€ at 80, not a control character).
  const auto euro = koko({"-w", (dir_ / "euro.db").string(), "import", "customers",
                          file("euro.csv", "customer_id,note\nE1,\x80" "5 off\n").string(), "--encoding", "cp1252"});
  ASSERT_EQ(euro.code, 0) << describe(euro);
  EXPECT_EQ(koko({"-w", (dir_ / "euro.db").string(), "export", "customers"}).out, "customer_id,note\nE1,€5 off\n");
}

TEST_F(Cli, MixedEncodingsStopAtTheLine) {
  // More than a megabyte of UTF-8, then a line in CP932: detection saw UTF-8, the reader stops at that line.
  std::string text = kHeader;
  uint64_t line = 1;
  while (text.size() < (size_t{1} << 20) + 4096) {
    text += "顧客" + std::to_string(line) + ",2024-03-07,12.00\n";
    ++line;
  }
  const uint64_t offset = text.size();
  text += "\x8ER\x93" "c,2024-03-07,12.00\n";
  const auto r = failed_import("mixed.csv", text);
  EXPECT_TRUE(contains(r.err, "mixed.csv:" + std::to_string(line + 1) + ":1:")) << describe(r);
  EXPECT_TRUE(contains(r.err, "invalid UTF-8 (bytes 8E 52 93 63")) << describe(r);
  EXPECT_TRUE(contains(r.err, "byte offset " + std::to_string(offset))) << describe(r);
  EXPECT_TRUE(contains(r.err, "--encoding")) << describe(r);
}

TEST_F(Cli, Cp932WithMacOnlyBytesStopsAtTheirOffset) {
  // 85 40 is a Mac-only code that CP932 (ICU's ibm-943_P15A-2003) does not have; it follows two good records.
  const std::string good = kCp932Header + "\x8ER\x93" "c,2024/03/07,1200\r\n";
  const std::string text = good + "A\x85\x40,2024/03/08,1200\r\n";
  const uint64_t offset = good.size() + 1;
  const auto d = failed_import("mac.csv", text);
  EXPECT_TRUE(contains(d.err, "mac.csv:3:1")) << describe(d);
  EXPECT_TRUE(contains(d.err, "read as CP932 it fails at byte offset " + std::to_string(offset) + " (bytes 85 40"))
      << describe(d);
  EXPECT_TRUE(contains(d.err, "--encoding")) << describe(d);
  // Into a fresh JPY workspace: the same error, and no workspace file.
  const auto fresh = koko({"-w", (dir_ / "fresh.db").string(), "import", "orders", (dir_ / "mac.csv").string(),
                           "--currency", "JPY"});
  EXPECT_EQ(fresh.code, 3) << describe(fresh);
  EXPECT_TRUE(contains(fresh.err, "(bytes 85 40")) << describe(fresh);
  EXPECT_FALSE(fs::exists(dir_ / "fresh.db"));
  // Named, the converter stops at the same byte.
  const auto named = failed_import("mac2.csv", text, {"--encoding", "cp932"});
  EXPECT_TRUE(contains(named.err, "bytes 85 40 at byte offset " + std::to_string(offset))) << describe(named);
  const auto eb = failed_import("mac3.csv", good + "\xEB\x40,2024/03/08,1200\r\n", {"--encoding", "sjis"});
  EXPECT_TRUE(contains(eb.err, "bytes EB 40 at byte offset " + std::to_string(good.size()))) << describe(eb);
}

TEST_F(Cli, AmbiguousDatesNeedADateFormat) {
  const auto r = failed_import("amb.csv", kHeader + "1,03/07/2024,3\n");
  EXPECT_TRUE(contains(r.err, "amb.csv:2:2")) << describe(r);
  EXPECT_TRUE(contains(r.err, "'03/07/2024' is ambiguous")) << describe(r);
  EXPECT_TRUE(contains(r.err, "--date-format mdy")) << describe(r);
  EXPECT_TRUE(contains(r.err, "--date-format dmy")) << describe(r);
  for (const auto& [format, day] : std::vector<std::pair<std::string, std::string>>{{"mdy", "2024-03-07"},
                                                                                  {"dmy", "2024-07-03"}}) {
    const std::string ws = (dir_ / (format + ".db")).string();
    const auto ok = koko({"-w", ws, "import", "orders", (dir_ / "amb.csv").string(), "--date-format", format});
    ASSERT_EQ(ok.code, 0) << describe(ok);
    EXPECT_EQ(koko({"-w", ws, "export", "orders"}).out, "customer_id,order_date,amount,order_id\n1," + day + ",3.00,\n");
  }
}

TEST_F(Cli, JapaneseEraAndTimestampDates) {
  const auto r = koko({"-w", ws_, "import", "orders",
                       file("dates.csv", kHeader +
                                             "a,2024/03/07,1\nb,2024/3/7,1\nc,2024年3月7日,1\nd,２０２４年３月７日,1\n"
                                             "e,令和6年3月7日,1\nf,令和元年5月1日,1\ng,平成31年4月30日,1\n"
                                             "h,2024-03-07 10:15:00 +0900,1\ni,2024-03-07 05:00:00 +0900,1\n")
                           .string()});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_EQ(koko({"-w", ws_, "export", "orders"}).out,
            "customer_id,order_date,amount,order_id\na,2024-03-07,1.00,\nb,2024-03-07,1.00,\nc,2024-03-07,1.00,\n"
            "d,2024-03-07,1.00,\ne,2024-03-07,1.00,\nf,2019-05-01,1.00,\ng,2019-04-30,1.00,\nh,2024-03-07,1.00,\n"
            "i,2024-03-06,1.00,\n")
      << "the workspace is UTC: 05:00 in Tokyo is the day before";
  const auto heisei = failed_import("heisei.csv", kHeader + "1,平成31年4月30日,3\n2,平成31年5月1日,3\n");
  EXPECT_TRUE(contains(heisei.err, "heisei.csv:3:2")) << describe(heisei);
  EXPECT_TRUE(contains(heisei.err, "'平成31年5月1日' is not a valid date")) << describe(heisei);
  const auto feb = failed_import("feb.csv", kHeader + "1,2024/02/30,3\n");
  EXPECT_TRUE(contains(feb.err, "feb.csv:2:2")) << describe(feb);
  EXPECT_TRUE(contains(feb.err, "'2024/02/30' is not a valid date")) << describe(feb);
}

TEST_F(Cli, ExcelSerialDates) {
  const std::string ws = (dir_ / "excel.db").string();
  const auto r = koko({"-w", ws, "import", "orders",
                       file("excel.csv", kHeader + "a,1,1\nb,59,1\nc,61,1\nd,45358,1\ne,45358.75,1\n").string(),
                       "--date-format", "excel"});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_EQ(koko({"-w", ws, "export", "orders"}).out,
            "customer_id,order_date,amount,order_id\na,1900-01-01,1.00,\nb,1900-02-28,1.00,\nc,1900-03-01,1.00,\n"
            "d,2024-03-07,1.00,\ne,2024-03-07,1.00,\n");
  const auto phantom = failed_import("phantom.csv", kHeader + "a,45358,1\nb,60,1\n", {"--date-format", "excel"});
  EXPECT_TRUE(contains(phantom.err, "phantom.csv:3:2")) << describe(phantom);
  EXPECT_TRUE(contains(phantom.err, "'60' is not a valid date")) << describe(phantom);
  EXPECT_TRUE(contains(phantom.err, "Excel serial day number")) << describe(phantom);
}

TEST_F(Cli, JapaneseHeadersWithMap) {
  // お客様番号,受付日,税込金額 in CP932: no common column name, so --map names them.
  const std::string header = "\x82\xA8\x8Bq\x97l\x94\xD4\x8D\x86,\x8E\xF3\x95t\x93\xFA,\x90\xC5\x8D\x9E\x8B\xE0\x8Az\r\n";
  const std::string text = header + "\x8ER\x93" "c,2024\x94N3\x8C\x8E" "7\x93\xFA,1200\r\nA-1,2024/3/8,500\r\n";
  const auto unmapped = failed_import("jp-header.csv", text);
  EXPECT_TRUE(contains(unmapped.err, "required column 'customer_id' not found")) << describe(unmapped);
  EXPECT_TRUE(contains(unmapped.err, "お客様番号 | 受付日 | 税込金額")) << describe(unmapped);
  EXPECT_TRUE(contains(unmapped.err, "--map customer_id=")) << describe(unmapped);
  const std::string ws = (dir_ / "jp.db").string();
  const auto r = koko({"-w", ws, "import", "orders", (dir_ / "jp-header.csv").string(), "--currency", "JPY", "--map",
                       "customer_id=お客様番号", "--map", "order_date=受付日", "--map", "amount=税込金額"});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_EQ(koko({"-w", ws, "export", "orders"}).out,
            "customer_id,order_date,amount,order_id\n山田,2024-03-07,1200,\nA-1,2024-03-08,500,\n");
  EXPECT_TRUE(contains(koko({"-w", ws, "status"}).out, "amount=税込金額, customer_id=お客様番号, order_date=受付日"));
  // A --map naming a column that is not there lists the Japanese header.
  const auto wrong = failed_import("jp-header2.csv", text, {"--map", "customer_id=会員番号"});
  EXPECT_TRUE(contains(wrong.err, "column '会員番号' (for customer_id) is not in the header")) << describe(wrong);
  EXPECT_TRUE(contains(wrong.err, "お客様番号 | 受付日 | 税込金額")) << describe(wrong);
  // Common Japanese names are found without --map; --map with them works too.
  const std::string common = "会員番号,購入日,合計金額\n7,2024-03-07,1200\n";
  const std::string ws2 = (dir_ / "jp2.db").string();
  ASSERT_EQ(koko({"-w", ws2, "import", "orders", file("common.csv", common).string(), "--currency", "JPY"}).code, 0);
  const std::string ws3 = (dir_ / "jp3.db").string();
  const auto m = koko({"-w", ws3, "import", "orders", (dir_ / "common.csv").string(), "--currency", "JPY", "--map",
                       "customer_id=会員番号"});
  ASSERT_EQ(m.code, 0) << describe(m);
  EXPECT_EQ(koko({"-w", ws2, "export", "orders"}).out, koko({"-w", ws3, "export", "orders"}).out);
}

TEST_F(Cli, JapanesePathsForImportAnalyzeAndReport) {
  const fs::path data = dir_ / "顧客 データ";
  const fs::path work = dir_ / "作業 フォルダ";
  fs::create_directories(data);
  fs::create_directories(work);
  // A year of CP932 orders from 40 customers with Japanese IDs.
  std::string text = kCp932Header;
  for (int c = 0; c < 40; ++c) {
    for (int k = 0; k <= c % 4; ++k) {
      const int month = 1 + (c + 3 * k) % 12, day = 1 + (c * 7 + k) % 28;
      text += "\x8C\xDA\x8Bq" + std::to_string(c) + ",2023/" + std::to_string(month) + "/" + std::to_string(day) +
              ",\"" + std::to_string(1000 + 100 * c) + "\x89~\"\r\n";
    }
  }
  write_text(data / "注文 2024.csv", text);
  const std::string ws = (work / "koko.db").string();
  const auto r = koko({"-w", ws, "import", "orders", (data / "注文 2024.csv").string(), "--currency", "JPY"});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_TRUE(contains(r.err, "注文 2024.csv")) << describe(r);
  const auto status = koko({"-w", ws, "status"});
  EXPECT_TRUE(contains(status.out, "注文 2024.csv")) << status.out;
  EXPECT_TRUE(contains(status.out, "作業 フォルダ")) << status.out;
  const auto exported = koko({"-w", ws, "export", "orders"});
  EXPECT_TRUE(contains(exported.out, "顧客0,2023-01-01,1000,")) << exported.out.substr(0, 500);

  const auto rep = koko({"-w", ws, "report", "--out", (work / "レポート").string(), "--lang", "ja"});
  ASSERT_EQ(rep.code, 0) << describe(rep);
  EXPECT_TRUE(fs::exists(work / "レポート" / "index.html"));

  // analyze finds the file through koko.toml in the Japanese folder.
  write_text(data / "koko.toml", "currency = \"JPY\"\n[inputs.orders]\nfile = \"注文 2024.csv\"\n");
  const std::string analyzed = (work / "分析 結果.db").string();
  const auto a = koko({"-w", analyzed, "analyze", data.string(), "--out", (work / "分析 レポート").string(), "--lang",
                       "en"});
  ASSERT_EQ(a.code, 0) << describe(a);
  EXPECT_TRUE(fs::exists(work / "分析 レポート" / "index.html"));
  EXPECT_TRUE(fs::exists(analyzed));
  EXPECT_EQ(koko({"-w", analyzed, "export", "orders"}).out, exported.out);
}

}  // namespace
