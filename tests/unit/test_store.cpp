#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "koko/core/error.hpp"
#include "koko/store/workspace.hpp"

using namespace koko;
using namespace koko::store;
namespace fs = std::filesystem;

namespace {
fs::path temp_db(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("koko-test-store-" + std::to_string(getpid()) + "-" + name);
  for (const char* s : {"", "-wal", "-shm"}) fs::remove(p.string() + s);
  return p;
}

Chunk sample_chunk() {
  Chunk c;
  c.columns.push_back({"key", std::vector<uint32_t>{1, 2, 4000000000u}});
  c.columns.push_back({"day", std::vector<int32_t>{-1, 0, 9862}});
  c.columns.push_back({"amount", std::vector<int64_t>{-5, 0, 123456789012}});
  c.columns.push_back({"score", std::vector<double>{0.5, -1e300, 3.25}});
  StringColumn s;
  s.push_back("00001");
  s.push_back("");
  s.push_back("顧客");
  c.columns.push_back({"id", s});
  return c;
}
}  // namespace

TEST(Columnar, RoundTripsEveryColumnType) {
  const Chunk c = sample_chunk();
  const Chunk d = decode_chunk(encode_chunk(c));
  ASSERT_EQ(d.columns.size(), 5u);
  EXPECT_EQ(d.rows(), 3u);
  EXPECT_EQ(d.as<std::vector<uint32_t>>("key"), (std::vector<uint32_t>{1, 2, 4000000000u}));
  EXPECT_EQ(d.as<std::vector<int32_t>>("day")[2], 9862);
  EXPECT_EQ(d.as<std::vector<int64_t>>("amount")[2], 123456789012);
  EXPECT_EQ(d.as<std::vector<double>>("score")[1], -1e300);
  const auto& s = d.as<StringColumn>("id");
  EXPECT_EQ(s[0], "00001");
  EXPECT_EQ(s[1], "");
  EXPECT_EQ(s[2], "顧客");
}

TEST(Columnar, DamagedBlobsAreErrorsNotCrashes) {
  const std::string blob = encode_chunk(sample_chunk());
  EXPECT_THROW(decode_chunk(blob.substr(0, blob.size() - 3)), Error);
  EXPECT_THROW(decode_chunk("XXXX"), Error);
  EXPECT_THROW(decode_chunk(""), Error);
  std::string bad_type = blob;
  bad_type[8] = 9;  // the first column's type byte
  EXPECT_THROW(decode_chunk(bad_type), Error);
}

TEST(Columnar, PackedIntegerColumnsRoundTripAndShrink) {
  std::vector<uint32_t> offsets, same(1000, 7), wide;
  std::vector<int32_t> signed_small;
  std::vector<int64_t> ids;
  for (uint32_t i = 0; i < 1000; ++i) {
    offsets.push_back(i * 7919 % 8191);        // 13 bits: values straddle the 64-bit words
    wide.push_back(i % 2 ? 0u : 4000000000u);  // the whole range: stays plain
    signed_small.push_back(static_cast<int32_t>(i % 300) - 150);
    ids.push_back(int64_t{1} << 40 | (i / 3));  // large values, a small range
  }
  const std::vector<int64_t> extremes{INT64_MIN, 0, INT64_MAX};
  Chunk plain;
  plain.columns.push_back({"offset", offsets});
  plain.columns.push_back({"same", same});
  plain.columns.push_back({"wide", wide});
  plain.columns.push_back({"signed", signed_small});
  plain.columns.push_back({"id", ids});
  Chunk packed = plain;
  for (auto& c : packed.columns) c.pack = true;
  const std::string a = encode_chunk(plain), b = encode_chunk(packed);
  // Each packed column saves its plain bytes less its packed words and 9 bytes of header (minimum, bit count):
  // offset 13 bits a row (204 words), same 0 bits, wide stays plain, signed and id 9 bits (141 words).
  EXPECT_EQ(a.size() - b.size(), (4000 - 9 - 204 * 8) + (4000 - 9) + 0 + (4000 - 9 - 141 * 8) + (8000 - 9 - 141 * 8));
  const Chunk d = decode_chunk(b);
  EXPECT_EQ(d.as<std::vector<uint32_t>>("offset"), offsets);
  EXPECT_EQ(d.as<std::vector<uint32_t>>("same"), same);
  EXPECT_EQ(d.as<std::vector<uint32_t>>("wide"), wide);
  EXPECT_EQ(d.as<std::vector<int32_t>>("signed"), signed_small);
  EXPECT_EQ(d.as<std::vector<int64_t>>("id"), ids);
  Chunk e;
  e.columns.push_back({"extremes", extremes, true});
  e.columns.push_back({"empty", std::vector<uint32_t>{}, true});
  EXPECT_EQ(decode_chunk(encode_chunk(e)).as<std::vector<int64_t>>("extremes"), extremes);
}

TEST(Columnar, DamagedPackedColumnsAreErrorsNotCrashes) {
  Chunk c;
  c.columns.push_back({"offset", std::vector<uint32_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, true});
  const std::string blob = encode_chunk(c);
  ASSERT_EQ(static_cast<uint8_t>(blob[8]), 5);  // a packed uint32 column
  EXPECT_THROW(decode_chunk(blob.substr(0, blob.size() - 1)), Error);
  const size_t at = 8 + 1 + 4 + 6;  // the row count
  std::string huge = blob;
  huge[at + 4] = '\x01';  // 2^32 rows with a handful of bytes: truncated, not a 16 GiB allocation
  EXPECT_THROW(decode_chunk(huge), Error);
  std::string bits = blob;
  bits[at + 16] = 40;  // more bits than a uint32 has
  EXPECT_THROW(decode_chunk(bits), Error);
}

TEST(Workspace, CreatesMigratesAndReopens) {
  const auto p = temp_db("create.db");
  {
    auto ws = Workspace::open(p, true);
    EXPECT_EQ(ws.meta("schema_version"), std::to_string(kSchemaVersion));
    ws.set_meta("currency", "JPY");
  }
  auto ws = Workspace::open(p, false);
  EXPECT_EQ(ws.meta("currency"), "JPY");
}

TEST(Workspace, MissingWorkspaceIsNotFound) {
  try {
    Workspace::open(temp_db("missing.db"), false);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code, ErrorCode::not_found);
    EXPECT_NE(e.hint.find("koko init"), std::string::npos);
  }
}

TEST(Workspace, RefusesNewerSchemaAndForeignFiles) {
  const auto p = temp_db("newer.db");
  {
    auto ws = Workspace::open(p, true);
    ws.set_meta("schema_version", std::to_string(kSchemaVersion + 1));
  }
  EXPECT_THROW(Workspace::open(p, false), Error);

  const auto q = temp_db("foreign.db");
  {
    auto ws = Workspace::open(q, true);
    ws.exec("DROP TABLE meta");
  }
  try {
    Workspace::open(q, false);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(e.message.find("not a koko workspace"), std::string::npos);
  }
}

TEST(Workspace, TransactionRollsBackUnlessCommitted) {
  const auto p = temp_db("tx.db");
  auto ws = Workspace::open(p, true);
  {
    Workspace::Transaction tx(ws);
    ws.append_chunk("orders", 0, sample_chunk());
    EXPECT_EQ(ws.columnar_rows("orders"), 3);
  }  // no commit
  EXPECT_EQ(ws.columnar_rows("orders"), 0);
  {
    Workspace::Transaction tx(ws);
    ws.append_chunk("orders", 0, sample_chunk());
    ws.append_chunk("orders", 0, sample_chunk());
    tx.commit();
  }
  EXPECT_EQ(ws.columnar_rows("orders"), 6);
  int chunks = 0;
  ws.scan("orders", [&](const Chunk& c) {
    ++chunks;
    EXPECT_EQ(c.rows(), 3u);
  });
  EXPECT_EQ(chunks, 2);
}

TEST(Workspace, DeletingAnImportRemovesItsChunksOnly) {
  auto ws = Workspace::open(temp_db("imports.db"), true);
  ImportRecord r;
  r.kind = "orders";
  r.file = "a.csv";
  r.checksum = "abc";
  const auto id = ws.add_import(r);
  ws.append_chunk("orders", id, sample_chunk());
  ws.append_chunk("customer_ids", 0, sample_chunk());
  ASSERT_TRUE(ws.find_import("orders", "abc"));
  ws.delete_import(id);
  EXPECT_FALSE(ws.find_import("orders", "abc"));
  EXPECT_EQ(ws.columnar_rows("orders"), 0);
  EXPECT_EQ(ws.columnar_rows("customer_ids"), 3);
}

TEST(Workspace, ResultTablesRoundTripWithTypesAndNulls) {
  auto ws = Workspace::open(temp_db("results.db"), true);
  ResultTable t{"overview_test", {"name", "count", "rate", "note"}, {}};
  t.rows.push_back({std::string("a \"quoted\" name"), int64_t{3}, 0.25, std::monostate{}});
  t.rows.push_back({std::string("b"), int64_t{-1}, 1e-9, std::string("x")});
  ws.write_table(t);
  ws.write_table(t);  // replaces, never appends
  const auto back = ws.read_table("overview_test");
  EXPECT_EQ(back.columns, t.columns);
  ASSERT_EQ(back.rows.size(), 2u);
  EXPECT_EQ(std::get<std::string>(back.rows[0][0]), "a \"quoted\" name");
  EXPECT_EQ(std::get<int64_t>(back.rows[1][1]), -1);
  EXPECT_DOUBLE_EQ(std::get<double>(back.rows[1][2]), 1e-9);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(back.rows[0][3]));
  EXPECT_THROW(ws.read_table("no_such_table"), Error);
}

TEST(Workspace, FileChecksumIsStableAndContentBased) {
  const auto a = fs::temp_directory_path() / ("koko-test-sum-a-" + std::to_string(getpid()));
  const auto b = fs::temp_directory_path() / ("koko-test-sum-b-" + std::to_string(getpid()));
  std::ofstream(a) << "customer_id,order_date,amount\n1,2024-01-01,3\n";
  std::ofstream(b) << "customer_id,order_date,amount\n1,2024-01-01,4\n";
  EXPECT_EQ(file_checksum(a), file_checksum(a));
  EXPECT_EQ(file_checksum(a).size(), 16u);
  EXPECT_NE(file_checksum(a), file_checksum(b));
}

// Scans reuse one chunk between blobs: chunks of different sizes and column types must still come back exactly;
// scan_ahead (a reader thread) must give the same chunks in the same order and pass on the visitor's errors.
TEST(Workspace, ScansReuseStorageAndReadAheadGivesTheSameChunks) {
  const auto p = temp_db("scan-ahead.db");
  auto ws = Workspace::open(p, true);
  std::vector<Chunk> written;
  for (uint32_t i = 0; i < 7; ++i) {
    Chunk c;
    std::vector<uint32_t> key(1000 + 997 * (i % 3));
    for (size_t k = 0; k < key.size(); ++k) key[k] = static_cast<uint32_t>(k * 31 + i);
    c.columns.push_back({"key", key});
    if (i == 4) {
      c.columns.push_back({"value", std::vector<double>(key.size(), 0.25)});  // another type in the same place
    } else {
      c.columns.push_back({"value", std::vector<int64_t>(key.size(), -static_cast<int64_t>(i))});
    }
    ws.append_chunk("t", 0, c);
    written.push_back(std::move(c));
  }
  auto same = [](const Chunk& a, const Chunk& b) {
    if (a.columns.size() != b.columns.size()) return false;
    for (size_t k = 0; k < a.columns.size(); ++k)
      if (a.columns[k].name != b.columns[k].name || a.columns[k].data.index() != b.columns[k].data.index())
        return false;
      else if (const auto* x = std::get_if<std::vector<uint32_t>>(&a.columns[k].data);
               x && *x != std::get<0>(b.columns[k].data))
        return false;
      else if (const auto* y = std::get_if<std::vector<int64_t>>(&a.columns[k].data);
               y && *y != std::get<2>(b.columns[k].data))
        return false;
      else if (const auto* z = std::get_if<std::vector<double>>(&a.columns[k].data);
               z && *z != std::get<3>(b.columns[k].data))
        return false;
    return true;
  };
  size_t n = 0;
  ws.scan("t", [&](const Chunk& c) { EXPECT_TRUE(same(c, written.at(n++))) << n; });
  EXPECT_EQ(n, 7u);
  n = 0;
  ws.scan_ahead("t", [&](const Chunk& c) { EXPECT_TRUE(same(c, written.at(n++))) << n; });
  EXPECT_EQ(n, 7u);
  n = 0;
  EXPECT_THROW(ws.scan_ahead("t",
                             [&](const Chunk&) {
                               if (++n == 3) throw koko::Error(koko::ErrorCode::analysis, "stop here");
                             }),
               koko::Error);
  EXPECT_EQ(n, 3u);
  ws.scan_ahead("empty", [&](const Chunk&) { ADD_FAILURE() << "no chunks"; });
}
