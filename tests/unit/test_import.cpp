// Golden imports: the real koko binary imports the shared CDNOW and Online Retail data sets, and every count and
// total it stores (read back with `koko export`) or prints (import facts, `koko status`) equals the independent
// values in tests/golden/imports/expected.json (made by tests/fixtures/expected_imports.py from the same files).
// Then `koko analyze` on a copy of each data set gives the overview numbers of the same JSON.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "csv_text.hpp"
#include "data_dir.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

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

// Runs the koko binary with args in cwd; stdout and stderr go to files in scratch, read back after the exit.
Result run_koko(const std::vector<std::string>& args, const fs::path& cwd, const fs::path& scratch) {
  const fs::path out_file = scratch / ".koko-stdout", err_file = scratch / ".koko-stderr";
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
  Result r;
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) return r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_text(out_file);
  r.err = read_text(err_file);
  return r;
}

std::string describe(const Result& r) {
  return "exit code " + std::to_string(r.code) + "\n--- stdout:\n" + r.out.substr(0, 2000) + "\n--- stderr:\n" +
         r.err.substr(0, 4000);
}

using koko_test::data_dir;

const json& expected() {
  static const json j = [] {
    const fs::path p = fs::path(KOKO_SOURCE_DIR) / "tests/golden/imports/expected.json";
    std::ifstream in(p);
    if (!in) throw std::runtime_error("cannot read " + p.string());
    return json::parse(in);
  }();
  return j;
}

struct Csv {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  [[nodiscard]] size_t col(const std::string& name) const {
    for (size_t i = 0; i < header.size(); ++i)
      if (header[i] == name) return i;
    throw std::runtime_error("no column " + name);
  }
};

Csv parse_csv(const std::string& text) {
  Csv c;
  auto rows = koko_test::csv_rows(text);
  if (rows.empty()) return c;
  c.header = std::move(rows.front());
  c.rows.assign(std::make_move_iterator(rows.begin() + 1), std::make_move_iterator(rows.end()));
  return c;
}

// "-1234.50" → -123450 minor units, exactly (never through a float). Throws for any other form.
int64_t minor_units(const std::string& s) {
  static const std::regex form(R"(^(-?)(\d+)\.(\d\d)$)");
  std::smatch m;
  if (!std::regex_match(s, m, form)) throw std::runtime_error("amount '" + s + "' is not -?D+.DD");
  const int64_t v = std::stoll(m[2].str()) * 100 + std::stoll(m[3].str());
  return m[1].length() ? -v : v;
}

// The first match of pattern in text: capture groups as strings; empty when it does not match.
std::vector<std::string> search_groups(const std::string& text, const std::string& pattern) {
  std::smatch m;
  if (!std::regex_search(text, m, std::regex(pattern))) return {};
  std::vector<std::string> g;
  for (size_t i = 1; i < m.size(); ++i) g.push_back(m[i].str());
  return g;
}

// "133,741" → 133741
int64_t count_of(const std::string& s) {
  std::string digits;
  for (char c : s)
    if (c != ',') digits += c;
  return std::stoll(digits);
}

// A printed amount such as "-£896,812.49" or "$2,500,315.63" → minor units.
int64_t printed_money(const std::string& sign_and_symbol, const std::string& number) {
  std::string digits;
  for (char c : number)
    if (c != ',' && c != '.') digits += c;
  const int64_t v = std::stoll(digits);
  return sign_and_symbol.find('-') != std::string::npos ? -v : v;
}

// Facts printed by an import (and repeated by `koko status`).
struct PrintedFacts {
  int64_t rows_read = -1, rows_kept = -1, rows_rejected = -1;
  int64_t orders = -1, purchases = -1, returns = -1, guests = -1;
  int64_t customers = -1;
  int64_t net = 0, gross = 0, returned = 0;
  std::string first_date, last_date;
  int64_t zero_amount_orders = 0;  // printed only when > 0
};

PrintedFacts parse_facts(const std::string& text) {
  PrintedFacts f;
  auto rows = search_groups(text, R"(([\d,]+) rows read, ([\d,]+) kept, ([\d,]+) rejected)");
  if (rows.size() == 3) {
    f.rows_read = count_of(rows[0]);
    f.rows_kept = count_of(rows[1]);
    f.rows_rejected = count_of(rows[2]);
  }
  auto orders = search_groups(text, R"(([\d,]+) orders and ([\d,]+) returns \(([\d,]+) of them without a customer\))");
  if (orders.size() == 3) {
    f.purchases = count_of(orders[0]);
    f.returns = count_of(orders[1]);
    f.orders = f.purchases + f.returns;
    f.guests = count_of(orders[2]);
  }
  auto customers = search_groups(text, R"(([\d,]+) customers \()");
  if (customers.size() == 1) f.customers = count_of(customers[0]);
  const std::string amount = R"(([^\d( ]*)([\d,]+\.\d\d))";
  auto money = search_groups(text, "net revenue " + amount + " \\(gross " + amount + ", returns " + amount + "\\)");
  if (money.size() == 6) {
    f.net = printed_money(money[0], money[1]);
    f.gross = printed_money(money[2], money[3]);
    f.returned = printed_money(money[4], money[5]);
  }
  auto dates = search_groups(text, R"(dates (\d{4}-\d\d-\d\d) to (\d{4}-\d\d-\d\d))");
  if (dates.size() == 2) {
    f.first_date = dates[0];
    f.last_date = dates[1];
  }
  auto zero = search_groups(text, R"(([\d,]+) zero-amount orders kept as purchases)");
  if (zero.size() == 1) f.zero_amount_orders = count_of(zero[0]);
  return f;
}

class GoldenImport : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "koko-test-import-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    ws_ = (dir_ / "ws.db").string();
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  Result koko(const std::vector<std::string>& args) { return run_koko(args, dir_, dir_); }

  // The path of a shared data file; the test fails with the data set's name when it is missing.
  static fs::path data_file(const std::string& relative) { return data_dir() / relative; }

  // `koko analyze` on a fresh folder holding the data file under `name` and a koko.toml naming the preset, then the
  // overview tables. Returns the summary (metric → value) and the second-purchase rows.
  void analyze_copy(const fs::path& source, const std::string& name, const std::string& preset,
                    const std::string& currency, std::map<std::string, std::string>& summary, Csv& second) {
    const fs::path in = dir_ / "input";
    fs::create_directories(in);
    fs::copy_file(source, in / name);
    std::ofstream(in / "koko.toml") << "currency = \"" << currency << "\"\n\n[inputs.orders]\nfile = \"" << name
                                    << "\"\npreset = \"" << preset << "\"\n";
    const std::string ws = (dir_ / "analyzed.db").string();
    const auto a = koko({"-w", ws, "analyze", in.string(), "--out", (dir_ / "report").string(), "--lang", "en"});
    ASSERT_EQ(a.code, 0) << describe(a);
    EXPECT_TRUE(fs::exists(dir_ / "report" / "index.html"));
    const auto s = koko({"-w", ws, "export", "overview_summary"});
    ASSERT_EQ(s.code, 0) << describe(s);
    const Csv sc = parse_csv(s.out);
    ASSERT_EQ(sc.header, (std::vector<std::string>{"metric", "value"}));
    for (const auto& row : sc.rows) {
      ASSERT_EQ(row.size(), 2u);
      summary[row[0]] = row[1];
    }
    const auto p = koko({"-w", ws, "export", "overview_second_purchase"});
    ASSERT_EQ(p.code, 0) << describe(p);
    second = parse_csv(p.out);
  }

  static void expect_overview(const json& e, const std::map<std::string, std::string>& summary, const Csv& second) {
    auto get = [&](const std::string& k) {
      auto it = summary.find(k);
      return it == summary.end() ? std::string("<missing " + k + ">") : it->second;
    };
    EXPECT_EQ(get("customers"), std::to_string(e["customers_with_purchase"].get<int64_t>()));
    EXPECT_EQ(get("last_date"), e["data_last_day"].get<std::string>());
    EXPECT_EQ(get("repeat_customers"), std::to_string(e["repeat_customers"].get<int64_t>()));
    EXPECT_NEAR(std::stod(get("repeat_rate")), e["repeat_rate"].get<double>(), 1e-6);
    EXPECT_EQ(get("second_purchasers"), std::to_string(e["customers_with_second_purchase"].get<int64_t>()));
    EXPECT_DOUBLE_EQ(std::stod(get("median_days_to_second")), e["median_days_to_second_purchase"].get<double>());

    ASSERT_EQ(second.header, (std::vector<std::string>{"window_days", "eligible", "converted", "rate"}));
    const auto& conv = e["second_purchase_conversion"];
    std::set<std::string> seen;
    for (const auto& row : second.rows) {
      ASSERT_EQ(row.size(), 4u);
      seen.insert(row[0]);
      if (!conv.contains(row[0])) continue;  // a window the expected values do not cover
      const auto& w = conv[row[0]];
      SCOPED_TRACE("window " + row[0]);
      EXPECT_EQ(row[1], std::to_string(w["denominator"].get<int64_t>()));
      EXPECT_EQ(row[2], std::to_string(w["numerator"].get<int64_t>()));
      EXPECT_NEAR(std::stod(row[3]), w["rate"].get<double>(), 1e-6);
    }
    for (const auto& [window, _] : conv.items()) EXPECT_TRUE(seen.contains(window)) << "no row for window " << window;
  }

  fs::path dir_;
  std::string ws_;
};

TEST_F(GoldenImport, CdnowOrders) {
  const json& e = expected()["cdnow"];
  const fs::path file = data_file(e["file"].get<std::string>());
  ASSERT_TRUE(fs::exists(file)) << "missing data set: cdnow (" << file << "); set KOKO_DATA";

  const auto imp = koko({"-w", ws_, "import", "orders", file.string(), "--preset", "cdnow"});
  ASSERT_EQ(imp.code, 0) << describe(imp);
  const auto orders_out = koko({"-w", ws_, "export", "orders"});
  ASSERT_EQ(orders_out.code, 0) << describe(orders_out);
  const auto ids_out = koko({"-w", ws_, "export", "customer_ids"});
  ASSERT_EQ(ids_out.code, 0) << describe(ids_out);

  // Recomputed from the exported orders.
  const Csv orders = parse_csv(orders_out.out);
  ASSERT_EQ(orders.header, (std::vector<std::string>{"customer_id", "order_date", "amount", "order_id"}));
  const size_t c_cust = orders.col("customer_id"), c_day = orders.col("order_date"), c_amt = orders.col("amount");
  std::set<std::string> customers;
  std::set<std::pair<std::string, std::string>> customer_days;
  std::map<std::string, std::set<std::string>> purchase_days;
  int64_t net = 0, zero = 0, negative = 0;
  std::string first = "9999-99-99", last = "0000-00-00";
  const std::regex padded_id(R"(^\d{5}$)");
  size_t unpadded = 0;
  for (const auto& row : orders.rows) {
    ASSERT_EQ(row.size(), 4u);
    const int64_t cents = minor_units(row[c_amt]);
    net += cents;
    if (cents == 0) ++zero;
    if (cents < 0) ++negative;
    else purchase_days[row[c_cust]].insert(row[c_day]);
    customers.insert(row[c_cust]);
    customer_days.emplace(row[c_cust], row[c_day]);
    first = std::min(first, row[c_day]);
    last = std::max(last, row[c_day]);
    if (!std::regex_match(row[c_cust], padded_id)) ++unpadded;
  }
  EXPECT_EQ(static_cast<int64_t>(orders.rows.size()), e["orders"].get<int64_t>());
  EXPECT_EQ(static_cast<int64_t>(customers.size()), e["customers"].get<int64_t>());
  EXPECT_EQ(zero, e["zero_amount_rows"].get<int64_t>());
  EXPECT_EQ(negative, e["negative_amount_rows"].get<int64_t>());
  EXPECT_EQ(net, e["net_revenue_cents"].get<int64_t>());
  EXPECT_EQ(first, e["first_date"].get<std::string>());
  EXPECT_EQ(last, e["last_date"].get<std::string>());
  EXPECT_EQ(static_cast<int64_t>(customer_days.size()), e["customer_days"].get<int64_t>());
  int64_t repeat = 0;
  for (const auto& [_, days] : purchase_days) repeat += days.size() >= 2 ? 1 : 0;
  EXPECT_EQ(repeat, e["repeat_customers"].get<int64_t>());

  // IDs stay text: zero-padded, "00001" first.
  EXPECT_EQ(unpadded, 0u) << "customer IDs lost their zero padding";
  EXPECT_TRUE(customers.contains("00001"));
  const Csv ids = parse_csv(ids_out.out);
  ASSERT_EQ(ids.header, (std::vector<std::string>{"customer_key", "customer_id"}));
  EXPECT_EQ(static_cast<int64_t>(ids.rows.size()), e["customers"].get<int64_t>());
  ASSERT_FALSE(ids.rows.empty());
  EXPECT_EQ(ids.rows.front(), (std::vector<std::string>{"0", "00001"}));
  std::set<std::string> id_set;
  for (const auto& r : ids.rows) id_set.insert(r.at(1));
  EXPECT_EQ(id_set, customers);

  // The import's printed facts and `koko status` say the same.
  const auto status = koko({"-w", ws_, "status"});
  ASSERT_EQ(status.code, 0) << describe(status);
  for (const auto* text : {&imp.err, &status.out}) {
    SCOPED_TRACE(*text);
    const auto f = parse_facts(*text);
    EXPECT_EQ(f.rows_read, e["rows"].get<int64_t>());
    EXPECT_EQ(f.rows_kept, e["rows"].get<int64_t>());
    EXPECT_EQ(f.rows_rejected, 0);
    EXPECT_EQ(f.orders, e["orders"].get<int64_t>());
    EXPECT_EQ(f.purchases, e["orders"].get<int64_t>() - e["negative_amount_rows"].get<int64_t>());
    EXPECT_EQ(f.returns, e["negative_amount_rows"].get<int64_t>());
    EXPECT_EQ(f.guests, 0);
    EXPECT_EQ(f.customers, e["customers"].get<int64_t>());
    EXPECT_EQ(f.net, e["net_revenue_cents"].get<int64_t>());
    EXPECT_EQ(f.gross, e["net_revenue_cents"].get<int64_t>());
    EXPECT_EQ(f.returned, 0);
    EXPECT_EQ(f.first_date, e["first_date"].get<std::string>());
    EXPECT_EQ(f.last_date, e["last_date"].get<std::string>());
    EXPECT_EQ(f.zero_amount_orders, e["zero_amount_rows"].get<int64_t>());
  }
  EXPECT_NE(status.out.find("preset=cdnow"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("currency USD"), std::string::npos) << status.out;
}

TEST_F(GoldenImport, OnlineRetailOrders) {
  const json& e = expected()["online_retail"];
  const fs::path file = data_file(e["file"].get<std::string>());
  ASSERT_TRUE(fs::exists(file)) << "missing data set: online-retail (" << file << "); set KOKO_DATA";

  const auto imp = koko({"-w", ws_, "import", "orders", file.string(), "--preset", "online-retail"});
  ASSERT_EQ(imp.code, 0) << describe(imp);
  const auto orders_out = koko({"-w", ws_, "export", "orders"});
  ASSERT_EQ(orders_out.code, 0) << describe(orders_out);
  const auto ids_out = koko({"-w", ws_, "export", "customer_ids"});
  ASSERT_EQ(ids_out.code, 0) << describe(ids_out);

  const Csv orders = parse_csv(orders_out.out);
  ASSERT_EQ(orders.header, (std::vector<std::string>{"customer_id", "order_date", "amount", "order_id"}));
  struct Totals {
    int64_t orders = 0, return_orders = 0, purchase_orders = 0, zero_purchases = 0, gross = 0, returned = 0, net = 0;
  };
  Totals all, cust, guest;
  std::set<std::string> customers, order_ids;
  std::map<std::string, std::set<std::string>> purchase_days;
  std::string first = "9999-99-99", last = "0000-00-00";
  int64_t returns_not_negative = 0, purchases_negative = 0, decimal_ids = 0;
  const std::regex numeric_id(R"(^\d+$)");
  for (const auto& row : orders.rows) {
    ASSERT_EQ(row.size(), 4u);
    const std::string& id = row[0];
    const std::string& day = row[1];
    const int64_t pence = minor_units(row[2]);
    const std::string& invoice = row[3];
    EXPECT_TRUE(order_ids.insert(invoice).second) << "invoice " << invoice << " exported as two orders";
    const bool is_return = invoice.starts_with("C");
    if (is_return && pence >= 0) ++returns_not_negative;
    if (!is_return && pence < 0) ++purchases_negative;
    if (!id.empty() && !std::regex_match(id, numeric_id)) ++decimal_ids;
    for (Totals* t : {&all, id.empty() ? &guest : &cust}) {
      ++t->orders;
      t->net += pence;
      if (pence < 0) {
        ++t->return_orders;
        t->returned += pence;
      } else {
        ++t->purchase_orders;
        t->gross += pence;
        if (pence == 0) ++t->zero_purchases;
      }
    }
    if (!id.empty()) {
      customers.insert(id);
      if (pence >= 0) purchase_days[id].insert(day);
    }
    first = std::min(first, day);
    last = std::max(last, day);
  }
  auto expect_totals = [](const Totals& t, const json& x, const char* group) {
    SCOPED_TRACE(group);
    EXPECT_EQ(t.orders, x["orders"].get<int64_t>());
    EXPECT_EQ(t.return_orders, x["return_orders"].get<int64_t>());
    EXPECT_EQ(t.purchase_orders, x["purchase_orders"].get<int64_t>());
    EXPECT_EQ(t.zero_purchases, x["zero_amount_purchase_orders"].get<int64_t>());
    EXPECT_EQ(t.gross, x["gross_revenue_pence"].get<int64_t>());
    EXPECT_EQ(t.returned, x["returned_pence"].get<int64_t>());
    EXPECT_EQ(t.net, x["net_revenue_pence"].get<int64_t>());
  };
  expect_totals(all, e["totals"]["all"], "all orders");
  expect_totals(cust, e["totals"]["customers"], "customer orders");
  expect_totals(guest, e["totals"]["guests"], "guest orders");
  EXPECT_EQ(all.orders, e["orders"].get<int64_t>());
  EXPECT_EQ(all.return_orders, e["return_orders"].get<int64_t>());
  EXPECT_EQ(all.purchase_orders, e["purchase_orders"].get<int64_t>());
  EXPECT_EQ(guest.orders, e["guest_orders"].get<int64_t>());
  EXPECT_EQ(cust.orders, e["customer_orders"].get<int64_t>());
  EXPECT_EQ(static_cast<int64_t>(customers.size()), e["customers"].get<int64_t>());
  EXPECT_EQ(static_cast<int64_t>(purchase_days.size()), e["customers_with_purchase_order"].get<int64_t>());
  int64_t repeat = 0;
  for (const auto& [_, days] : purchase_days) repeat += days.size() >= 2 ? 1 : 0;
  EXPECT_EQ(repeat, e["repeat_customers"].get<int64_t>());
  EXPECT_EQ(first, e["first_order_day"].get<std::string>());
  EXPECT_EQ(last, e["last_order_day"].get<std::string>());
  // One order per kept invoice: the distinct invoices less the excluded ones (whose invoices hold no kept row).
  EXPECT_EQ(static_cast<int64_t>(order_ids.size()),
            e["distinct_invoices_in_file"].get<int64_t>() - e["excluded_adjustment_invoices"].get<int64_t>() -
                e["excluded_stock_adjustment_invoices"].get<int64_t>());
  for (const auto& inv : e["checks"]["invoices_on_non_consecutive_rows_list"])
    EXPECT_TRUE(order_ids.contains(inv.get<std::string>())) << "invoice " << inv << " (lines apart) is missing";
  EXPECT_EQ(returns_not_negative, e["checks"]["return_orders_with_nonnegative_amount"].get<int64_t>());
  EXPECT_EQ(purchases_negative, e["checks"]["purchase_orders_with_negative_amount"].get<int64_t>());

  // IDs: "17850", never "17850.0".
  EXPECT_EQ(decimal_ids, 0) << "customer IDs kept their '.0'";
  EXPECT_TRUE(customers.contains("17850"));
  const Csv ids = parse_csv(ids_out.out);
  EXPECT_EQ(static_cast<int64_t>(ids.rows.size()), e["customers"].get<int64_t>());
  ASSERT_FALSE(ids.rows.empty());
  EXPECT_EQ(ids.rows.front(), (std::vector<std::string>{"0", "17850"}));

  // Printed facts: rows read/kept, excluded rows per rule, guest rows, and the same totals; `koko status` repeats
  // them from the workspace.
  const auto status = koko({"-w", ws_, "status"});
  ASSERT_EQ(status.code, 0) << describe(status);
  for (const auto* text : {&imp.err, &status.out}) {
    SCOPED_TRACE(*text);
    const auto f = parse_facts(*text);
    EXPECT_EQ(f.rows_read, e["input_rows"].get<int64_t>());
    EXPECT_EQ(f.rows_kept, e["kept_rows"].get<int64_t>());
    EXPECT_EQ(f.rows_rejected, 0);
    EXPECT_EQ(f.orders, e["orders"].get<int64_t>());
    EXPECT_EQ(f.purchases, e["purchase_orders"].get<int64_t>());
    EXPECT_EQ(f.returns, e["return_orders"].get<int64_t>());
    EXPECT_EQ(f.guests, e["guest_orders"].get<int64_t>());
    EXPECT_EQ(f.customers, e["customers"].get<int64_t>());
    EXPECT_EQ(f.gross, e["totals"]["all"]["gross_revenue_pence"].get<int64_t>());
    EXPECT_EQ(f.returned, e["totals"]["all"]["returned_pence"].get<int64_t>());
    EXPECT_EQ(f.net, e["totals"]["all"]["net_revenue_pence"].get<int64_t>());
    EXPECT_EQ(f.first_date, e["first_order_day"].get<std::string>());
    EXPECT_EQ(f.last_date, e["last_order_day"].get<std::string>());
    EXPECT_EQ(f.zero_amount_orders, e["totals"]["all"]["zero_amount_purchase_orders"].get<int64_t>());

    auto adj = search_groups(*text, R"(([\d,]+) rows excluded: order ID prefix A)");
    ASSERT_EQ(adj.size(), 1u) << "no count of excluded 'A' adjustment rows";
    EXPECT_EQ(count_of(adj[0]), e["excluded_adjustment_rows"].get<int64_t>());
    auto stock = search_groups(*text, R"(([\d,]+) rows excluded: stock adjustment)");
    ASSERT_EQ(stock.size(), 1u) << "no count of excluded stock adjustment rows";
    EXPECT_EQ(count_of(stock[0]), e["excluded_stock_adjustment_rows"].get<int64_t>());
    auto guests = search_groups(*text, R"(([\d,]+) orders \(([\d,]+) rows\) have no customer ID)");
    ASSERT_EQ(guests.size(), 2u) << "no guest-row warning";
    EXPECT_EQ(count_of(guests[0]), e["guest_orders"].get<int64_t>());
    EXPECT_EQ(count_of(guests[1]), e["guest_rows"].get<int64_t>());
    // Rows read = kept + excluded (nothing rejected).
    EXPECT_EQ(f.rows_read, f.rows_kept + count_of(adj[0]) + count_of(stock[0]));
  }
  EXPECT_NE(status.out.find("preset=online-retail"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("currency GBP"), std::string::npos) << status.out;
}

TEST_F(GoldenImport, CdnowOverview) {
  const json& e = expected()["cdnow"];
  const fs::path file = data_file(e["file"].get<std::string>());
  ASSERT_TRUE(fs::exists(file)) << "missing data set: cdnow (" << file << "); set KOKO_DATA";
  std::map<std::string, std::string> summary;
  Csv second;
  analyze_copy(file, "orders.txt", "cdnow", "USD", summary, second);
  if (HasFatalFailure()) return;
  expect_overview(e["overview"], summary, second);
  EXPECT_EQ(summary["first_date"], e["first_date"].get<std::string>());
  EXPECT_EQ(summary["net_revenue"], std::to_string(e["net_revenue_cents"].get<int64_t>()));
  EXPECT_EQ(summary["returns"], "0");
  EXPECT_EQ(summary["guest_orders"], "0");
}

TEST_F(GoldenImport, OnlineRetailOverview) {
  const json& e = expected()["online_retail"];
  const fs::path file = data_file(e["file"].get<std::string>());
  ASSERT_TRUE(fs::exists(file)) << "missing data set: online-retail (" << file << "); set KOKO_DATA";
  std::map<std::string, std::string> summary;
  Csv second;
  analyze_copy(file, "orders.csv.gz", "online-retail", "GBP", summary, second);
  if (HasFatalFailure()) return;
  expect_overview(e["overview"], summary, second);
  EXPECT_EQ(summary["first_date"], e["first_order_day"].get<std::string>());
  const json& all = e["totals"]["all"];
  EXPECT_EQ(summary["returns"], std::to_string(all["return_orders"].get<int64_t>()));
  EXPECT_EQ(summary["guest_orders"], std::to_string(e["guest_orders"].get<int64_t>()));
  EXPECT_EQ(summary["gross_revenue"], std::to_string(all["gross_revenue_pence"].get<int64_t>()));
  EXPECT_EQ(summary["returned_amount"], std::to_string(all["returned_pence"].get<int64_t>()));
  EXPECT_EQ(summary["net_revenue"], std::to_string(all["net_revenue_pence"].get<int64_t>()));
}

}  // namespace
