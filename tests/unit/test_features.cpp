// Orders → one row per customer: the kernel's rules by hand, and the fast and general readers against an
// independent computation on a generated file, in date order and shuffled.
#include <gtest/gtest.h>
#include <xxhash.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "koko/core/error.hpp"
#include "koko/features/features.hpp"
#include "koko/ingest/features_file.hpp"

using namespace koko;
using namespace koko::features;
namespace fs = std::filesystem;

namespace {

uint64_t h(std::string_view s) { return XXH3_64bits(s.data(), s.size()); }

fs::path temp_file(const std::string& name, const std::string& text) {
  const fs::path p = fs::temp_directory_path() / ("koko-test-features-" + std::to_string(getpid()) + "-" + name);
  std::ofstream(p, std::ios::binary) << text;
  return p;
}

std::string run(const fs::path& file, bool general, size_t memory = size_t{256} << 20) {
  ingest::FeaturesRequest req;
  req.file = file;
  req.force_general = general;
  req.memory_limit = memory;
  const auto r = ingest::features_from_file(req);
  const fs::path out = file.string() + (general ? ".general.csv" : ".fast.csv");
  ingest::write_features_csv(r, req.rules, out.string());
  std::ifstream in(out);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string sorted_lines(const std::string& csv) {
  std::istringstream in(csv);
  std::string header, line;
  std::getline(in, header);
  std::vector<std::string> lines;
  while (std::getline(in, line)) lines.push_back(line);
  std::sort(lines.begin(), lines.end());
  std::string out = header + "\n";
  for (const auto& l : lines) out += l + "\n";
  return out;
}

}  // namespace

TEST(FeaturesKernel, SegmentRulesAtTheirBoundaries) {
  const SegmentRules r;  // loyal: >= 4 purchase days and recency <= 180; general: recency <= 365
  CustomerAgg a;
  a.flags = kHasPurchase;
  a.last = 1000;
  a.purchase_days = 4;
  EXPECT_EQ(classify(a, 1180, r), Segment::loyal);    // recency 180
  EXPECT_EQ(classify(a, 1181, r), Segment::general);  // recency 181
  EXPECT_EQ(classify(a, 1365, r), Segment::general);  // recency 365
  EXPECT_EQ(classify(a, 1366, r), Segment::lapsed);   // recency 366
  a.purchase_days = 3;
  EXPECT_EQ(classify(a, 1000, r), Segment::general);  // too few purchase days for loyal
}

TEST(FeaturesKernel, AddCountsDistinctDaysAndKeepsReturnsOutOfPurchases) {
  CustomerTable t;
  const uint32_t k = t.intern("C1", h("C1"));
  EXPECT_EQ(t.intern("C1", h("C1")), k);
  EXPECT_TRUE(t.add(k, 10, 500));
  EXPECT_TRUE(t.add(k, 10, 0));     // same day, a zero-amount purchase: an order, not a new day
  EXPECT_TRUE(t.add(k, 12, -200));  // a return: net only
  EXPECT_TRUE(t.add(k, 15, 100));
  EXPECT_FALSE(t.add(k, 11, 100));  // out of date order: the caller must recount
  const CustomerAgg& a = t.agg(k);
  EXPECT_EQ(a.first, 10);
  EXPECT_EQ(a.last, 15);
  EXPECT_EQ(a.orders, 4u);
  EXPECT_EQ(a.net, 500 + 0 - 200 + 100 + 100);
}

TEST(FeaturesKernel, FormatsMoneyAndMeanWithFloorDivision) {
  CustomerTable t;
  const uint32_t a = t.intern("A", h("A"));
  t.add(a, 0, 100);
  t.add(a, 1, 101);
  t.add(a, 2, 100);  // net 301 over 3 orders: (602 + 3) div 6 = 100 → 1.00
  const uint32_t b = t.intern("B,\"x\"", h("B,\"x\""));
  t.add(b, 0, 5);    // net 0.05; mean (10 + 1) div 2 = 5
  t.add(b, 1, -50);  // a return: net -0.45; mean over 1 order: (-90 + 1) div 2 = floor(-44.5) = -45
  const uint32_t c = t.intern("C", h("C"));
  t.add(c, 3, -10);  // only a return: no purchase, no row
  std::string out;
  format_rows([&](uint32_t k) -> const CustomerAgg& { return t.agg(k); }, [&](uint32_t k) { return t.id(k); }, 0,
              t.size(), 2, 2, SegmentRules{}, out);
  EXPECT_EQ(out,
            "A,1970-01-01,1970-01-03,0,2,3,3.01,1.00,general\n"
            "\"B,\"\"x\"\"\",1970-01-01,1970-01-01,2,0,1,-0.45,-0.45,general\n");
}

TEST(FeaturesKernel, BitmapRecountMatchesDistinctDaysInAnyPartitioning) {
  std::vector<uint32_t> key = {0, 1, 0, 0, 1, 2, 0};
  std::vector<Day> day = {5, 9, 3, 5, 200, 7, 70};
  std::vector<int64_t> amount = {1, 1, 1, 1, 1, 1, -1};  // the last is a return: not a purchase day
  for (size_t budget : {size_t{8}, size_t{64}, size_t{1} << 20}) {
    std::vector<CustomerAgg> aggs(3);
    for (size_t i = 0; i < key.size(); ++i) {
      aggs[key[i]].flags = kHasPurchase;
      aggs[key[i]].first = std::min(aggs[key[i]].first == 0 ? day[i] : aggs[key[i]].first, day[i]);
      aggs[key[i]].last = std::max(aggs[key[i]].last, day[i]);
    }
    count_purchase_days(key, day, amount, aggs, budget);
    EXPECT_EQ(aggs[0].purchase_days, 2u) << budget;  // days 3 and 5
    EXPECT_EQ(aggs[1].purchase_days, 2u) << budget;  // days 9 and 200
    EXPECT_EQ(aggs[2].purchase_days, 1u) << budget;
  }
}

// A generated order log checked against a plain std::map computation written here.
class GeneratedFile : public ::testing::Test {
 protected:
  struct Row {
    std::string id;
    Day day;
    int64_t cents;
  };
  static std::vector<Row> generate(uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<Row> rows;
    for (Day d = days_from_civil(2023, 1, 1); d < days_from_civil(2024, 7, 1); ++d) {
      const int n = static_cast<int>(rng() % 40);
      for (int i = 0; i < n; ++i) {
        const uint32_t c = static_cast<uint32_t>(rng() % 3000);
        rows.push_back({"C" + std::to_string(c * 7919 % 100000), d, static_cast<int64_t>(rng() % 20000) + 1});
      }
    }
    return rows;
  }
  static std::string to_csv(const std::vector<Row>& rows) {
    std::string s = "customer_id,order_date,amount\n";
    for (const auto& r : rows)
      s += r.id + "," + format_date(r.day) + "," + std::to_string(r.cents / 100) + "." +
           (r.cents % 100 < 10 ? "0" : "") + std::to_string(r.cents % 100) + "\n";
    return s;
  }
  static std::string expected(const std::vector<Row>& rows) {
    struct C {
      Day first = INT32_MAX, last = INT32_MIN;
      std::set<Day> days;
      int64_t net = 0, n = 0;
    };
    std::map<std::string, C> m;
    Day max_day = INT32_MIN;
    for (const auto& r : rows) {
      auto& c = m[r.id];
      c.first = std::min(c.first, r.day);
      c.last = std::max(c.last, r.day);
      c.days.insert(r.day);
      c.net += r.cents;
      ++c.n;
      max_day = std::max(max_day, r.day);
    }
    std::string s = "customer_id,first_date,last_date,recency_days,tenure_days,purchase_days,net_revenue,"
                    "mean_order_value,segment\n";
    for (const auto& [id, c] : m) {
      const int recency = max_day - c.last;
      const auto pd = static_cast<int>(c.days.size());
      const char* seg = pd >= 4 && recency <= 180 ? "loyal" : recency <= 365 ? "general" : "lapsed";
      const int64_t mean = (2 * c.net + c.n) / (2 * c.n);
      auto money = [](int64_t v) {
        return std::to_string(v / 100) + "." + (v % 100 < 10 ? "0" : "") + std::to_string(v % 100);
      };
      s += id + "," + format_date(c.first) + "," + format_date(c.last) + "," + std::to_string(recency) + "," +
           std::to_string(c.last - c.first) + "," + std::to_string(pd) + "," + money(c.net) + "," + money(mean) +
           "," + seg + "\n";
    }
    return sorted_lines(s);
  }
};

TEST_F(GeneratedFile, FastAndGeneralReadersMatchAnIndependentComputation) {
  const auto rows = generate(7);
  ASSERT_GT(rows.size(), 5000u);
  const fs::path f = temp_file("ordered.csv", to_csv(rows));
  const std::string want = expected(rows);
  const std::string fast = run(f, false);
  EXPECT_EQ(sorted_lines(fast), want);
  EXPECT_EQ(run(f, true), fast);  // same rows in the same order: byte-identical
}

TEST_F(GeneratedFile, ShuffledInputGivesExactPurchaseDaysEvenInTinyMemory) {
  auto rows = generate(11);
  const std::string want = expected(rows);
  std::mt19937 rng(3);
  std::shuffle(rows.begin(), rows.end(), rng);
  const fs::path f = temp_file("shuffled.csv", to_csv(rows));
  EXPECT_EQ(sorted_lines(run(f, false)), want);
  EXPECT_EQ(sorted_lines(run(f, false, 1 << 16)), want);  // many bitmap passes
  EXPECT_EQ(sorted_lines(run(f, true)), want);
}

TEST(FeaturesFile, QuotedFilesTakeTheGeneralReaderWithTheSameResult) {
  const fs::path plain = temp_file("plain.csv", "customer_id,order_date,amount\nA,2024-01-01,1.50\nB,2024-01-02,2\n");
  const fs::path quoted =
      temp_file("quoted.csv", "customer_id,order_date,amount\n\"A\",2024-01-01,1.50\nB,2024-01-02,\"2\"\n");
  EXPECT_EQ(run(quoted, false), run(plain, false));
}

TEST(FeaturesFile, BadValuesAreLocatedErrors) {
  const fs::path f = temp_file("bad.csv", "customer_id,order_date,amount\nA,2024-01-01,1.50\nB,2024-13-02,2\n");
  try {
    run(f, false);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(e.location.find("bad.csv:3:2"), std::string::npos) << e.location;
  }
}

#include <sstream>

#include "koko/ingest/ingest.hpp"
#include "koko/store/workspace.hpp"

namespace {
struct Stored {
  std::string features;  // export_customer_features
  std::string orders;    // key,day,amount per stored order
};

Stored import_and_export(const fs::path& file, const std::string& name) {
  const fs::path ws_path = fs::temp_directory_path() / ("koko-test-features-ws-" + std::to_string(getpid()) + name);
  for (const char* s : {"", "-wal", "-shm"}) fs::remove(ws_path.string() + s);
  auto ws = store::Workspace::open(ws_path, true);
  ingest::ImportRequest req;
  req.kind = "orders";
  req.file = file;
  ingest::import_file(ws, req);
  Stored out;
  std::ostringstream f;
  ingest::export_customer_features(ws, SegmentRules{}, f);
  out.features = f.str();
  const auto orders = ingest::load_orders(ws);
  for (size_t i = 0; i < orders.day.size(); ++i)
    out.orders += std::to_string(orders.customer[i]) + "," + std::to_string(orders.day[i]) + "," +
                  std::to_string(orders.amount[i]) + "\n";
  return out;
}
}  // namespace

TEST_F(GeneratedFile, FastAndGeneralImportsStoreTheSameOrdersAndFeatures) {
  for (const bool shuffled : {false, true}) {
    auto rows = generate(5);
    if (shuffled) {
      std::mt19937 rng(9);
      std::shuffle(rows.begin(), rows.end(), rng);
    }
    const std::string csv = to_csv(rows);
    const fs::path plain = temp_file("import-plain.csv", csv);
    // The same rows with one quoted ID take the general reader.
    std::string quoted_csv = csv;
    const size_t second_line = quoted_csv.find('\n') + 1;
    quoted_csv.insert(quoted_csv.find(',', second_line), "\"");
    quoted_csv.insert(second_line, "\"");
    const fs::path quoted = temp_file("import-quoted.csv", quoted_csv);
    const Stored fast = import_and_export(plain, "fast");
    const Stored general = import_and_export(quoted, "general");
    EXPECT_EQ(fast.orders, general.orders) << shuffled;
    EXPECT_EQ(fast.features, general.features) << shuffled;
    // The stored features are the like-for-like output.
    EXPECT_EQ(sorted_lines(fast.features), expected(rows)) << shuffled;
  }
}

TEST_F(GeneratedFile, LateDisorderIsRecountedByReadingTheFileAgain) {
  // Sorted for more than the first 16 MiB block, then one customer's orders out of order: the reader only finds
  // out late, so it recounts purchase days by reading the file again rather than from kept pairs.
  std::vector<Row> rows;
  for (uint32_t seed = 100; rows.size() < 800000; ++seed) {
    auto more = generate(seed);
    for (auto& r : more) r.day += static_cast<Day>((seed - 100) * 600);
    rows.insert(rows.end(), more.begin(), more.end());
  }
  std::swap(rows[rows.size() - 10], rows[rows.size() - 5000]);
  const std::string csv = to_csv(rows);
  ASSERT_GT(csv.size(), size_t{17} << 20);
  const fs::path f = temp_file("late.csv", csv);
  EXPECT_EQ(sorted_lines(run(f, false)), expected(rows));
}

// The store re-read aggregates each chunk on several threads, each owning a range of customer keys: the result
// must be the serial one, field for field, with disorder and returns and guests mixed in.
TEST(KeyedAggregator, ThreadsGiveTheSerialResult) {
  constexpr uint32_t kCustomers = 100'000;
  std::mt19937_64 rng(7);
  std::vector<uint32_t> key;
  std::vector<koko::Day> day;
  std::vector<int64_t> amount;
  for (int i = 0; i < 300'000; ++i) {
    const uint64_t r = rng();
    key.push_back(r % 97 == 0 ? UINT32_MAX : static_cast<uint32_t>(r % kCustomers));
    day.push_back(static_cast<koko::Day>(19000 + i / 500 - ((r >> 20) % 50 == 0 ? 30 : 0)));
    amount.push_back((r >> 32) % 13 == 0 ? -500 : static_cast<int64_t>((r >> 40) % 10000));
  }
  koko::features::KeyedAggregator serial(kCustomers, 19400, 1), parallel(kCustomers, 19400, 2);
  for (size_t b = 0; b < key.size(); b += 100'000) {
    const size_t e = std::min(key.size(), b + 100'000);
    for (auto* a : {&serial, &parallel})
      a->add(std::span(key).subspan(b, e - b), std::span(day).subspan(b, e - b), std::span(amount).subspan(b, e - b));
  }
  EXPECT_EQ(serial.max_day(), parallel.max_day());
  EXPECT_EQ(serial.in_date_order(), parallel.in_date_order());
  EXPECT_FALSE(serial.in_date_order());
  const auto& s = serial.aggs();
  const auto& p = parallel.aggs();
  ASSERT_EQ(s.size(), p.size());
  size_t buyers = 0;
  for (size_t k = 0; k < s.size(); ++k) {
    ASSERT_EQ(s[k].first, p[k].first) << k;
    ASSERT_EQ(s[k].last, p[k].last) << k;
    ASSERT_EQ(s[k].purchase_days, p[k].purchase_days) << k;
    ASSERT_EQ(s[k].orders, p[k].orders) << k;
    ASSERT_EQ(s[k].net, p[k].net) << k;
    ASSERT_EQ(s[k].flags, p[k].flags) << k;
    buyers += (s[k].flags & koko::features::kHasPurchase) ? 1 : 0;
  }
  EXPECT_GT(buyers, 80'000u);  // two thirds of the rows are on or before the as-of date
  EXPECT_LT(buyers, size_t{kCustomers});
}
