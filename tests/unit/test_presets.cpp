// The shipped shop presets on fixtures written from the exports' published column lists, and Excel exports.
// Expected values are worked out by hand in the comments.
#include <gtest/gtest.h>

#include "koko_run.hpp"

using namespace koko_test;

namespace {
const fs::path kGolden = fs::path(KOKO_SOURCE_DIR) / "tests" / "golden" / "presets";
}

TEST(Presets, ShopifyOrdersExport) {
  TempDir dir;
  const std::string ws = (dir.path / "ws.db").string();
  const auto r = run_koko({"-w", ws, "import", "orders", (kGolden / "shopify" / "orders_export.csv").string(),
                           "--preset", "shopify"},
                          dir.path);
  ASSERT_EQ(r.code, 0) << describe(r);
  // 7 line-item rows form 4 orders; #1002's refund of 500.00 is a return on its order's day.
  EXPECT_TRUE(contains(r.err, "7 rows read, 7 kept, 0 rejected")) << describe(r);
  EXPECT_TRUE(contains(r.err, "4 orders and 1 returns")) << describe(r);
  // Subtotals 3000.00 + 1500.00 + 4200.50 + 0.00 = 8700.50; net 8700.50 - 500.00 = 8200.50.
  EXPECT_TRUE(contains(r.err, "net revenue $8,200.50 (gross $8,700.50, returns -$500.00)")) << describe(r);
  const auto e = run_koko({"-w", ws, "export", "orders"}, dir.path);
  // Created at with offsets: 10:15:32 +0900 is 01:15Z on 03-07; 23:30 -0500 is 04:30Z on 03-08;
  // 2024-04-02 00:30 +0900 is 2024-04-01 15:30Z (the workspace keeps UTC days).
  EXPECT_EQ(e.out,
            "customer_id,order_date,amount,order_id\n"
            "a@example.com,2024-03-07,3000.00,#1001\n"
            "b@example.com,2024-03-08,1500.00,#1002\n"
            "b@example.com,2024-03-08,-500.00,#1002\n"
            "a@example.com,2024-04-01,4200.50,#1003\n"
            "c@example.com,2024-04-01,0.00,#1004\n")
      << describe(e);
}

TEST(Presets, ShopifyAmountCanBeTheTotal) {
  TempDir dir;
  const std::string ws = (dir.path / "ws.db").string();
  const auto r = run_koko({"-w", ws, "import", "orders", (kGolden / "shopify" / "orders_export.csv").string(),
                           "--preset", "shopify", "--map", "amount=Total"},
                          dir.path);
  ASSERT_EQ(r.code, 0) << describe(r);
  // Totals 3300.00 + 1620.00 + 4200.50 + 0.00 = 9120.50, less the 500.00 refund.
  EXPECT_TRUE(contains(r.err, "net revenue $8,620.50 (gross $9,120.50, returns -$500.00)")) << describe(r);
}

TEST(Presets, JapaneseCartExportInCp932) {
  TempDir dir;
  const std::string ws = (dir.path / "作業 フォルダ" / "koko.db").string();
  fs::create_directories(dir.path / "作業 フォルダ");
  const auto r = run_koko(
      {"-w", ws, "import", "orders", (kGolden / "ja-cart" / "注文データ.csv").string(), "--preset", "ja-cart"},
      dir.path);
  ASSERT_EQ(r.code, 0) << describe(r);
  // A0001: 2 × 1,200円 + 1 × ￥３３０ = 2,730; A0002: 1 × \1,800 (0x5C is the yen sign) = 1,800;
  // A0003: 2,980; R0001 returns the mug: -1,800. Gross 7,510, net 5,710.
  EXPECT_TRUE(contains(r.err, "3 orders and 1 returns")) << describe(r);
  EXPECT_TRUE(contains(r.err, "net revenue ¥5,710 (gross ¥7,510, returns -¥1,800)")) << describe(r);
  const auto e = run_koko({"-w", ws, "export", "orders"}, dir.path);
  EXPECT_EQ(e.out,
            "customer_id,order_date,amount,order_id\n"
            "M001,2024-03-07,2730,A0001\n"
            "M002,2024-03-08,1800,A0002\n"
            "M001,2024-04-01,2980,A0003\n"
            "M002,2024-04-03,-1800,R0001\n")
      << describe(e);
}

TEST(ExcelExport, Utf8WithBomAndCrlf) {
  TempDir dir;
  const std::string ws = (dir.path / "ws.db").string();
  write_text(dir.path / "customers.csv", "customer_id,氏名\nM001,山田 太郎\n");
  ASSERT_EQ(run_koko({"-w", ws, "import", "customers", "customers.csv"}, dir.path).code, 0);
  const auto r = run_koko({"-w", ws, "export", "customers", "--excel", "--out", "顧客.csv"}, dir.path);
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_EQ(read_text(dir.path / "顧客.csv"), "\xEF\xBB\xBF" "customer_id,氏名\r\nM001,山田 太郎\r\n");
}

TEST(ExcelExport, Cp932WritesShiftJisAndRefusesWhatItCannotHold) {
  TempDir dir;
  const std::string ws = (dir.path / "ws.db").string();
  write_text(dir.path / "customers.csv", "customer_id,氏名\nM001,山田\n");
  ASSERT_EQ(run_koko({"-w", ws, "import", "customers", "customers.csv"}, dir.path).code, 0);
  const auto r = run_koko({"-w", ws, "export", "customers", "--excel", "--encoding", "cp932", "--out", "sjis.csv"},
                          dir.path);
  ASSERT_EQ(r.code, 0) << describe(r);
  // 氏 = 0x8E81, 名 = 0x96BC, 山 = 0x8E52, 田 = 0x9363 in CP932.
  EXPECT_EQ(read_text(dir.path / "sjis.csv"), "customer_id,\x8E\x81\x96\xBC\r\nM001,\x8E\x52\x93\x63\r\n");

  write_text(dir.path / "more.csv", "customer_id,氏名\nM002,José\n");
  ASSERT_EQ(run_koko({"-w", ws, "import", "customers", "more.csv"}, dir.path).code, 0);
  const auto bad = run_koko({"-w", ws, "export", "customers", "--excel", "--encoding", "cp932", "--out", "x.csv"},
                            dir.path);
  EXPECT_EQ(bad.code, 3) << describe(bad);
  EXPECT_TRUE(contains(bad.err, "line 2 of the export: 'é' (U+00E9) cannot be written in cp932")) << describe(bad);
  EXPECT_FALSE(fs::exists(dir.path / "x.csv"));
  EXPECT_FALSE(fs::exists(dir.path / "x.csv.tmp"));
}

TEST(ExcelExport, EncodingWithoutExcelIsAUsageError) {
  TempDir dir;
  const std::string ws = (dir.path / "ws.db").string();
  write_text(dir.path / "customers.csv", "customer_id\nM001\n");
  ASSERT_EQ(run_koko({"-w", ws, "import", "customers", "customers.csv"}, dir.path).code, 0);
  const auto r = run_koko({"-w", ws, "export", "customers", "--encoding", "cp932"}, dir.path);
  EXPECT_EQ(r.code, 2) << describe(r);
}
