// Unit tests for text encodings at the edge (src/koko/io/encoding.hpp) and the readers that use them. Every
// fixture is written byte by byte by the test: UTF-8 with a BOM, UTF-16LE/BE with and without a BOM (Excel's
// "Unicode text"), Shift_JIS as Japanese Windows writes it (CP932: wave dash, NEC and IBM extension rows, the yen
// sign at 0x5C), windows-1252, and files that mix encodings. Expected bytes were worked out by hand and checked
// against ICU's ibm-943_P15A-2003 table with `uconv`.
#include <gtest/gtest.h>
#include <zlib.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "koko/core/error.hpp"
#include "koko/io/csv.hpp"
#include "koko/io/encoding.hpp"

namespace fs = std::filesystem;
using koko::Error;
using koko::ErrorCode;
using koko::io::canonical_encoding;
using koko::io::CsvOptions;
using koko::io::CsvReader;
using koko::io::detect_encoding;
using koko::io::find_invalid_utf8;
using koko::io::from_utf8;
using koko::io::nfkc;
using koko::io::open_records;
using koko::io::Record;
using koko::io::RecordReader;
using koko::io::ToUtf8;

namespace {

constexpr size_t kBlock = size_t{1} << 20;  // the reader's block size (csv.cpp)
constexpr const char* kCp932 = "ibm-943_P15A-2003";

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

// "85 40" for the bytes 0x85 0x40, as error messages show them.
std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : bytes) {
    if (!out.empty()) out += ' ';
    out += kDigits[static_cast<unsigned char>(c) >> 4];
    out += kDigits[static_cast<unsigned char>(c) & 0xF];
  }
  return out;
}

// Runs f, which must throw koko::Error, and returns the error.
Error expect_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "expected koko::Error";
  return Error(ErrorCode::internal, "no error thrown");
}

// UTF-8 → UTF-16 (little or big endian), written out by hand so the fixtures do not depend on the code under test.
std::string utf16(std::string_view utf8, bool big_endian) {
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
std::string utf16le(std::string_view s) { return utf16(s, false); }
std::string utf16be(std::string_view s) { return utf16(s, true); }

// The same small order list in every encoding: Japanese names, an emoji (a surrogate pair in UTF-16), and CRLF.
const std::string kOrdersTsv =
    "customer_id\torder_date\tamount\r\n"
    "山田 太郎\t2024-03-07\t1200\r\n"
    "C-002\t2024-03-08\t99.50\r\n"
    "😀客\t2024-03-09\t\"3,000\"\r\n";
const std::vector<std::vector<std::string>> kOrdersRows = {
    {"山田 太郎", "2024-03-07", "1200"}, {"C-002", "2024-03-08", "99.50"}, {"😀客", "2024-03-09", "3,000"}};

// A CP932 orders file as Japanese Excel saves it. Each line with its UTF-8 reading:
//   顧客ID,注文日,金額
//   山田～太郎,2024/03/07,"\1,200"      wave dash 81 60 → U+FF5E; 5C stays a backslash (the yen sign in JPY)
//   ①番,2024年3月7日,"1,200円"           NEC special row 87 40 → ①
//   ⅰ組,令和6年3月8日,"１，２００円"    IBM extension FA 40 → ⅰ (U+2170); full-width digits
//   蕫,2024/3/9,"￥１，２００"           IBM extension FB 9C → 蕫 (U+856B); ￥ 81 8F
//   髙橋,2024-03-10,1200                 IBM extension FB FC → 髙 (U+9AD9)
const std::string kCp932Orders =
    "\x8C\xDA\x8Bq" "ID,\x92\x8D\x95\xB6\x93\xFA,\x8B\xE0\x8Az\r\n"
    "\x8ER\x93" "c\x81\x60\x91\xBE\x98Y,2024/03/07,\"\\1,200\"\r\n"
    "\x87\x40\x94\xD4,2024\x94N3\x8C\x8E" "7\x93\xFA,\"1,200\x89~\"\r\n"
    "\xFA\x40\x91g,\x97\xDF\x98" "a6\x94N3\x8C\x8E" "8\x93\xFA,\"\x82P\x81" "C\x82Q\x82O\x82O\x89~\"\r\n"
    "\xFB\x9C,2024/3/9,\"\x81\x8F\x82P\x81" "C\x82Q\x82O\x82O\"\r\n"
    "\xFB\xFC\x8B\xB4,2024-03-10,1200\r\n";
const std::vector<std::string> kCp932Header = {"顧客ID", "注文日", "金額"};
const std::vector<std::vector<std::string>> kCp932Rows = {
    {"山田～太郎", "2024/03/07", "\\1,200"},      {"①番", "2024年3月7日", "1,200円"},
    {"ⅰ組", "令和6年3月8日", "１，２００円"}, {"蕫", "2024/3/9", "￥１，２００"},
    {"髙橋", "2024-03-10", "1200"}};

struct Read {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<uint64_t> lines;
  std::string encoding;
  char delimiter = '?';
};

class EncodingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) /
           (std::string("koko_enc_") + info->test_suite_name() + "_" + info->name() + "_" +
            std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()) + "_" +
            std::to_string(counter++));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  fs::path write(const std::string& name, std::string_view bytes) {
    const fs::path p = dir_ / name;
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return p;
  }

  fs::path write_gz(const std::string& name, std::string_view bytes) {
    const fs::path p = dir_ / name;
    gzFile gz = gzopen(p.c_str(), "wb");
    EXPECT_NE(gz, nullptr);
    EXPECT_EQ(gzwrite(gz, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
    gzclose(gz);
    return p;
  }

  static Read read_all(const fs::path& p, CsvOptions o = {}) {
    CsvReader reader(p, o);
    Read out;
    out.header = reader.header();
    out.encoding = reader.encoding();
    out.delimiter = reader.delimiter();
    Record r;
    while (reader.next(r)) {
      out.rows.emplace_back(r.fields.begin(), r.fields.end());
      out.lines.push_back(r.line);
      for (auto f : r.fields) EXPECT_EQ(find_invalid_utf8(f), std::string_view::npos) << "fields are UTF-8";
    }
    EXPECT_FALSE(reader.next(r));
    return out;
  }

  fs::path dir_;
};

// ---------------------------------------------------------------------------------------------------------------
// detect_encoding

TEST(DetectEncoding, Utf8WithAndWithoutBom) {
  auto d = detect_encoding("\xEF\xBB\xBF" "a,b\n1,2\n", true, "f.csv");
  EXPECT_EQ(d.name, "UTF-8");
  EXPECT_EQ(d.bom, 3u);
  d = detect_encoding("a,b\n1,2\n", true, "f.csv");
  EXPECT_EQ(d.name, "UTF-8");
  EXPECT_EQ(d.bom, 0u);
  d = detect_encoding("顧客ID,金額\n山田,1200\n", true, "f.csv");
  EXPECT_EQ(d.name, "UTF-8");
  EXPECT_EQ(d.bom, 0u);
  d = detect_encoding("", true, "f.csv");
  EXPECT_EQ(d.name, "UTF-8");
}

TEST(DetectEncoding, Utf8CharacterCutByTheEndOfTheSample) {
  // The first block of a larger file may end inside a character: that is no reason to call it something else.
  for (const std::string_view cut : {"a,b\n\xE5", "a,b\n\xE5\xB1", "a,b\n\xF0\x9F\x98", "a,b\n\xC3"}) {
    const auto d = detect_encoding(cut, false, "f.csv");
    EXPECT_EQ(d.name, "UTF-8") << cut.size();
  }
}

TEST(DetectEncoding, Utf16ByItsByteOrderMark) {
  auto d = detect_encoding("\xFF\xFE" + utf16le("a\tb\n"), true, "f.txt");
  EXPECT_EQ(d.name, "UTF-16LE");
  EXPECT_EQ(d.bom, 2u);
  d = detect_encoding("\xFE\xFF" + utf16be("a\tb\n"), true, "f.txt");
  EXPECT_EQ(d.name, "UTF-16BE");
  EXPECT_EQ(d.bom, 2u);
}

TEST(DetectEncoding, Utf16WithoutABomByTheNulPattern) {
  const std::string text = "customer_id\tamount\n1\t2\n";
  auto d = detect_encoding(utf16le(text), true, "f.txt");
  EXPECT_EQ(d.name, "UTF-16LE");
  EXPECT_EQ(d.bom, 0u);
  d = detect_encoding(utf16be(text), true, "f.txt");
  EXPECT_EQ(d.name, "UTF-16BE");
  EXPECT_EQ(d.bom, 0u);
  // Japanese text among the ASCII keeps the pattern.
  d = detect_encoding(utf16le("id\tname\n1\t山田\n2\tSmith\n"), true, "f.txt");
  EXPECT_EQ(d.name, "UTF-16LE");
}

TEST(DetectEncoding, Cp932ByItsMultibyteCharacters) {
  const auto d = detect_encoding(kCp932Orders, true, "orders.csv");
  EXPECT_EQ(d.name, kCp932);
  EXPECT_EQ(d.bom, 0u);
  // Half-width katakana alone (one byte each) would be a guess: windows-1252 "£20" is the same bytes as "｣20".
  // Whole-width characters decide it.
  EXPECT_EQ(detect_encoding("id,name\n1,\x8ER\x93" "c\n", true, "f.csv").name, kCp932);
}

TEST(DetectEncoding, Windows1252PoundIsNotGuessedAsCp932) {
  // "item,price\nTea,£20\n" in windows-1252: A3 is half-width katakana ｣ in CP932.
  const std::string bytes = "item,price\nTea,\xA3" "20\n";
  const Error e = expect_error([&] { detect_encoding(bytes, true, "prices.csv"); });
  EXPECT_EQ(e.code, ErrorCode::input);
  EXPECT_TRUE(contains(e.message, "A3 32 30")) << e.message;
  EXPECT_TRUE(contains(e.message, "byte offset 15")) << e.message;
  EXPECT_TRUE(contains(e.message, "line starting at byte offset 11")) << e.message;
  EXPECT_EQ(e.location, "prices.csv:2:2");
  EXPECT_TRUE(contains(e.hint, "--encoding")) << e.hint;
  EXPECT_TRUE(contains(e.hint, "windows-1252")) << e.hint;
  EXPECT_TRUE(contains(e.hint, "cp932")) << e.hint;
}

TEST(DetectEncoding, BytesThatAreNeitherUtf8NorCp932) {
  // 85 40 is a Mac-only code (ICU's CP932 table has nothing there), after a real CP932 character.
  const std::string bytes = "id;name\n1;\x8ER\x93" "c\x85\x40\n";
  const Error e = expect_error([&] { detect_encoding(bytes, true, "mac.csv"); });
  EXPECT_TRUE(contains(e.message, "read as CP932 it fails at byte offset 14 (bytes 85 40")) << e.message;
  EXPECT_TRUE(contains(e.message, "in the line starting at byte offset 8")) << e.message;
  EXPECT_TRUE(contains(e.message, "the bytes 8E 52 93 63 at byte offset 10 are not UTF-8")) << e.message;
  EXPECT_EQ(e.location, "mac.csv:2:2") << "the ';' of the first line decides the column";
  EXPECT_TRUE(contains(e.hint, "--encoding")) << e.hint;
  // windows-1252 text can read as CP932 for a while ("Ren\xE9e" is 馥): the first non-UTF-8 bytes are named too,
  // and windows-1252 is suggested.
  const Error w = expect_error([&] { detect_encoding("name,city\nRen\xE9" "e,M\xFCnchen\n", true, "w.csv"); });
  EXPECT_TRUE(contains(w.message, "the bytes E9 65 2C 4D at byte offset 13 are not UTF-8")) << w.message;
  EXPECT_TRUE(contains(w.message, "fails at byte offset 17 (bytes FC 6E 63 68")) << w.message;
  EXPECT_TRUE(contains(w.message, "windows-1252")) << w.message;
  EXPECT_EQ(w.location, "w.csv:2:2");
  // Bytes that are not CP932 from the start are shown where UTF-8 fails.
  const Error u = expect_error([&] { detect_encoding("id,name\n1,\x85\x40\n", true, "x.csv"); });
  EXPECT_TRUE(contains(u.message, "the bytes 85 40 0A at byte offset 10")) << u.message;
  EXPECT_TRUE(contains(u.message, "not Shift_JIS (CP932) either")) << u.message;
}

// ---------------------------------------------------------------------------------------------------------------
// canonical_encoding

TEST(CanonicalEncoding, CommonNames) {
  for (const char* n : {"utf-8", "UTF8", "utf_8", "Utf-8"}) EXPECT_EQ(canonical_encoding(n), "UTF-8") << n;
  // Every Shift_JIS spelling is the Microsoft table (wave dash 81 60 → U+FF5E, NEC and IBM rows).
  for (const char* n : {"cp932", "CP932", "sjis", "SJIS", "shift_jis", "Shift_JIS", "shift-jis", "windows-31j",
                        "MS932", "ibm-943"})
    EXPECT_EQ(canonical_encoding(n), kCp932) << n;
  EXPECT_EQ(canonical_encoding("utf-16"), "UTF-16");
  EXPECT_EQ(canonical_encoding("UTF16"), "UTF-16");
  EXPECT_EQ(canonical_encoding("UTF-16LE"), "UTF-16LE");
  EXPECT_EQ(canonical_encoding("utf-16be"), "UTF-16BE");
  // latin1 as Excel means it: windows-1252 (€ at 80, not a C1 control).
  EXPECT_EQ(canonical_encoding("latin1"), canonical_encoding("windows-1252"));
  EXPECT_EQ(canonical_encoding("cp1252"), canonical_encoding("windows-1252"));
  EXPECT_FALSE(canonical_encoding("EUC-JP").empty());
}

TEST(CanonicalEncoding, UnknownNamesListTheCommonOnes) {
  const Error e = expect_error([] { canonical_encoding("klingon-8"); });
  EXPECT_EQ(e.code, ErrorCode::usage);
  EXPECT_TRUE(contains(e.message, "klingon-8")) << e.message;
  for (const char* n : {"--encoding", "cp932", "utf-16", "windows-1252"}) EXPECT_TRUE(contains(e.hint, n)) << e.hint;
}

// ---------------------------------------------------------------------------------------------------------------
// ToUtf8

std::string convert(const std::string& encoding, std::string_view bytes) {
  ToUtf8 t(canonical_encoding(encoding));
  std::string out;
  t.convert(bytes, true, out, 0, "f.csv");
  return out;
}

TEST(ToUtf8, Cp932AsJapaneseWindowsWritesIt) {
  EXPECT_EQ(convert("cp932", "\x81\x60"), "～");          // wave dash → FULLWIDTH TILDE U+FF5E
  EXPECT_EQ(convert("cp932", "\x81\x60"), "\xEF\xBD\x9E");
  EXPECT_EQ(convert("cp932", "\x81\x5F"), "＼");          // full-width reverse solidus U+FF3C
  EXPECT_EQ(convert("cp932", "\x81\x7C"), "－");          // minus → FULLWIDTH HYPHEN-MINUS U+FF0D
  EXPECT_EQ(convert("cp932", "\x87\x40\x87\x54\x87\x8A"), "①Ⅰ㈱");  // NEC special row 13
  EXPECT_EQ(convert("cp932", "\xED\x40"), "纊");          // NEC-selected IBM extension (row 89)
  EXPECT_EQ(convert("cp932", "\xEE\xEF"), "ⅰ");           // NEC-selected IBM extension (row 92)
  EXPECT_EQ(convert("cp932", "\xFA\x40"), "ⅰ");           // IBM extension (row 115): the same character
  EXPECT_EQ(convert("cp932", "\xFB\x9C"), "蕫");
  EXPECT_EQ(convert("cp932", "\xFB\xFC"), "髙");
  EXPECT_EQ(convert("cp932", "\\~"), "\\~") << "5C and 7E stay ASCII: a yen sign is the money parser's business";
  EXPECT_EQ(convert("cp932", "\xB1\xB2\xB3"), "ｱｲｳ");     // half-width katakana
  EXPECT_EQ(convert("cp932", "\xF0\x40"), "\xEE\x80\x80");  // user-defined area → private use U+E000
}

TEST(ToUtf8, OtherEncodings) {
  EXPECT_EQ(convert("windows-1252", "\xA3" "20 \x80" "5 caf\xE9"), "£20 €5 café");
  EXPECT_EQ(convert("latin1", "\x93quoted\x94"), "“quoted”");
  EXPECT_EQ(convert("UTF-16LE", utf16le("a😀")), "a😀");
  EXPECT_EQ(convert("UTF-16BE", utf16be("顧客")), "顧客");
  EXPECT_EQ(convert("EUC-JP", "\xB8\xDC\xB5\xD2"), "顧客");
}

TEST(ToUtf8, CharactersSplitAcrossCallsAreKept) {
  // A block may end inside a character: the converter carries the partial bytes over.
  ToUtf8 sj(kCp932);
  std::string out;
  sj.convert("a\x82", false, out, 0, "f");
  sj.convert("\xA0" "b\x87", false, out, 2, "f");
  sj.convert("\x40", true, out, 5, "f");
  EXPECT_EQ(out, "aあb①");
  // A surrogate pair split between its two units, and a unit split between its bytes.
  const std::string u = utf16le("x😀y");
  for (size_t cut = 1; cut < u.size(); ++cut) {
    ToUtf8 t("UTF-16LE");
    std::string o;
    t.convert(std::string_view(u).substr(0, cut), false, o, 0, "f");
    t.convert(std::string_view(u).substr(cut), true, o, cut, "f");
    EXPECT_EQ(o, "x😀y") << "cut at " << cut;
  }
}

TEST(ToUtf8, InvalidBytesAreLocatedByFileOffset) {
  // Mac-only codes, which ICU's CP932 table rejects: 85 40 and EB 40 (and a lead byte with a bad trail).
  for (const std::string bad : {"\x85\x40", "\xEB\x40", "\x88\x9E", "\x80", "\xA0", "\xFD"}) {
    ToUtf8 t(kCp932);
    std::string out;
    const Error e = expect_error([&] { t.convert("ab\x82\xA0" + bad + "cd", true, out, 1000, "mac.csv"); });
    EXPECT_EQ(e.code, ErrorCode::input);
    EXPECT_TRUE(contains(e.message, "at byte offset 1004")) << e.message;
    EXPECT_TRUE(contains(e.message, "bytes " + hex(bad.substr(0, 1)))) << e.message;
    EXPECT_EQ(e.location, "mac.csv");
    EXPECT_TRUE(contains(e.hint, "--encoding")) << e.hint;
  }
  // A lead byte cut by the end of the file.
  ToUtf8 t(kCp932);
  std::string out;
  t.convert("ab\x82", false, out, 0, "cut.csv");
  const Error e = expect_error([&] { t.convert("", true, out, 3, "cut.csv"); });
  EXPECT_TRUE(contains(e.message, "bytes 82 at byte offset 2")) << e.message;
}

// Found by fuzzing: an invalid sequence split between two blocks was reported a byte or two late, because ICU
// keeps bytes it must read again where the source pointer does not show them (GB18030 A3 32 30 20, EUC-JP
// 8F A1 0A, a lone UTF-16 lead surrogate followed by a unit split between blocks).
TEST(ToUtf8, ErrorOffsetsDoNotDependOnWhereBlocksEnd) {
  struct Case {
    const char* encoding;
    std::string bytes;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"gb18030", "P1,Tea shop,\xA3" "20 voucher\n", "bytes A3 at byte offset 12"},
      {"EUC-JP", "ab\x8F\xA1\n" "cd\n", "bytes 8F at byte offset 2"},
      {"UTF-16LE", std::string("a\0\x3D\xD8\x41\0b\0", 8), "bytes 3D D8 at byte offset 2"},
      {"UTF-16BE", std::string("\0a\xD8\x3D\0\x41\0\n", 8), "bytes D8 3D at byte offset 2"},
      {"cp932", "ab\x82\n" "cd", "bytes 82 at byte offset 2"},
  };
  for (const auto& c : cases) {
    const std::string encoding = canonical_encoding(c.encoding);
    const Error whole = expect_error([&] { convert(c.encoding, c.bytes); });
    EXPECT_TRUE(contains(whole.message, c.expected)) << c.encoding << ": " << whole.message;
    for (size_t chunk = 1; chunk <= c.bytes.size(); ++chunk) {
      const Error e = expect_error([&] {
        ToUtf8 t(encoding);
        std::string out;
        for (size_t at = 0; at < c.bytes.size(); at += chunk)
          t.convert(std::string_view(c.bytes).substr(at, chunk), false, out, at, "f.csv");
        t.convert({}, true, out, c.bytes.size(), "f.csv");
      });
      EXPECT_EQ(e.message, whole.message) << c.encoding << " in blocks of " << chunk;
    }
  }
}

TEST(ToUtf8, LoneSurrogatesAreInvalidUtf16) {
  ToUtf8 t("UTF-16LE");
  std::string out;
  const Error e = expect_error([&] { t.convert(std::string("a\0\x3D\xD8\n\0", 6), true, out, 2, "u16.txt"); });
  EXPECT_TRUE(contains(e.message, "3D D8")) << e.message;
  EXPECT_TRUE(contains(e.message, "byte offset 4")) << e.message;
}

// ---------------------------------------------------------------------------------------------------------------
// from_utf8 (Excel exports) and nfkc

TEST(FromUtf8, Cp932RoundTrip) {
  const std::string text = "山田～太郎,①,ⅰ,髙,\\1,200";
  const std::string bytes = from_utf8(text, "cp932", "row 1");
  EXPECT_EQ(bytes, "\x8ER\x93" "c\x81\x60\x91\xBE\x98Y,\x87\x40,\xFA\x40,\xFB\xFC,\\1,200")
      << "IBM extension characters are written in the IBM rows, as Windows does";
  EXPECT_EQ(convert("cp932", bytes), text);
  EXPECT_EQ(from_utf8("£20 €5", "windows-1252", "row 1"), "\xA3" "20 \x80" "5");
  EXPECT_EQ(from_utf8("as is 😀", "utf-8", "row 1"), "as is 😀");
}

TEST(FromUtf8, CharactersTheTargetCannotHoldAreNamed) {
  const Error e = expect_error([] { from_utf8("ok 😀", "cp932", "row 7"); });
  EXPECT_EQ(e.location, "row 7");
  EXPECT_TRUE(contains(e.message, "'😀' (U+1F600) cannot be written in cp932")) << e.message;
  EXPECT_TRUE(contains(e.hint, "UTF-8")) << e.hint;
  const Error y = expect_error([] { from_utf8("あ", "windows-1252", "row 2"); });
  EXPECT_TRUE(contains(y.message, "'あ' (U+3042)")) << y.message;
}

// Found by fuzzing (crash-b24e69e9): a windows-1252 soft hyphen (AD → U+00AD) vanished from a CP932 export
// instead of stopping it, because ICU's STOP callback skips default-ignorable characters it cannot map.
TEST(FromUtf8, InvisibleCharactersAreNotDroppedSilently) {
  for (const auto& [ch, code] : std::vector<std::pair<std::string, std::string>>{
           {"\u00AD", "U+00AD"}, {"\u200B", "U+200B"}, {"\uFE0F", "U+FE0F"}, {"\u2060", "U+2060"}}) {
    const Error e = expect_error([&] { from_utf8("a" + ch + "b", "cp932", "row 3"); });
    EXPECT_TRUE(contains(e.message, "(" + code + ") cannot be written in cp932")) << e.message;
    EXPECT_EQ(e.location, "row 3");
  }
  // The fuzzer's input: read as windows-1252, exported as CP932, it must stop (or read back the same).
  const std::string input(
      "\x00" "c\x00u\x00s\x00t\x00o\x00m\x00" "e\x00r\x00_\x00i\x00" "45358.37d\x00" "e\x00r\x00_\x00" "d\x00\xAD\x00t\x00"
      "e\x00\t~\x00" "9\x00" "9\x00.+09:00\x00" "50\x00" "0\x00" "0\x00\"\x00\r\x00\n",
      72);
  const std::string text = convert("windows-1252", input);
  ASSERT_TRUE(contains(text, "\u00AD"));
  const Error e = expect_error([&] { from_utf8(text, "cp932", "row 1"); });
  EXPECT_TRUE(contains(e.message, "U+00AD")) << e.message;
}

TEST(FromUtf8, StatefulEncodingsLongerThanFourBytesPerCharacter) {
  // ISO-2022 switches character sets with escape sequences: "\n中" is 9 bytes in ISO-2022-CN (the designation
  // resets at each line end), more than the 4 bytes per character a fixed buffer would allow.
  std::string cn, jp;
  for (int i = 0; i < 50; ++i) {
    cn += "\n中";
    jp += "aあ";
  }
  const std::string cn_bytes = from_utf8(cn, "ISO-2022-CN", "row 1");
  EXPECT_GT(cn_bytes.size(), cn.size());
  EXPECT_EQ(convert("ISO-2022-CN", cn_bytes), cn);
  const std::string jp_bytes = from_utf8(jp, "ISO-2022-JP", "row 1");
  EXPECT_EQ(convert("ISO-2022-JP", jp_bytes), jp);
}

TEST(Nfkc, FullWidthFormsBecomeAscii) {
  EXPECT_EQ(nfkc("１，２００"), "1,200");
  EXPECT_EQ(nfkc("￥１２００"), "¥1200");
  EXPECT_EQ(nfkc("＄１２．３４"), "$12.34");
  EXPECT_EQ(nfkc("２０２４／０３／０７"), "2024/03/07");
  EXPECT_EQ(nfkc("ＡＢＣ－１"), "ABC-1");
  EXPECT_EQ(nfkc("ｱｲｳ"), "アイウ");  // half-width katakana → full width
  EXPECT_EQ(nfkc("㍻"), "平成");     // the square era name
  EXPECT_EQ(nfkc("①"), "1");
  EXPECT_EQ(nfkc("plain ascii, kept\\"), "plain ascii, kept\\");
  EXPECT_EQ(nfkc(""), "");
  EXPECT_EQ(nfkc("顧客"), "顧客");
  // Invalid UTF-8 does not crash: it is replaced, and normalising again changes nothing.
  const std::string once = nfkc("a\xFF" "b");
  EXPECT_EQ(nfkc(once), once);
}

// ---------------------------------------------------------------------------------------------------------------
// The reader: every encoding gives the same records

TEST_F(EncodingTest, Utf8ByteOrderMarkIsNotPartOfTheHeader) {
  const auto r = read_all(write("bom.csv", "\xEF\xBB\xBF" "customer_id,amount\n1,2\n"));
  EXPECT_EQ(r.header, (std::vector<std::string>{"customer_id", "amount"}));
  EXPECT_EQ(r.encoding, "UTF-8");
  // Named explicitly, the BOM is skipped too.
  CsvOptions o;
  o.encoding = "utf-8";
  EXPECT_EQ(read_all(write("bom2.csv", "\xEF\xBB\xBF" "customer_id,amount\n1,2\n"), o).header[0], "customer_id");
  // Byte offsets stay file offsets: the first record starts after the BOM and the header.
  CsvReader reader(write("bom3.csv", "\xEF\xBB\xBF" "a,b\n1,2\n"));
  Record rec;
  ASSERT_TRUE(reader.next(rec));
  EXPECT_EQ(rec.byte_offset, 7u);
}

TEST_F(EncodingTest, ExcelUnicodeTextReadsLikeUtf8) {
  const auto expected = read_all(write("utf8.tsv", kOrdersTsv));
  EXPECT_EQ(expected.header, (std::vector<std::string>{"customer_id", "order_date", "amount"}));
  EXPECT_EQ(expected.rows, kOrdersRows);
  EXPECT_EQ(expected.delimiter, '\t');
  struct Case {
    std::string name, bytes, encoding;
  };
  const std::vector<Case> cases = {
      {"bom.tsv", "\xEF\xBB\xBF" + kOrdersTsv, "UTF-8"},
      {"le-bom.txt", "\xFF\xFE" + utf16le(kOrdersTsv), "UTF-16LE"},
      {"be-bom.txt", "\xFE\xFF" + utf16be(kOrdersTsv), "UTF-16BE"},
      {"le.txt", utf16le(kOrdersTsv), "UTF-16LE"},
      {"be.txt", utf16be(kOrdersTsv), "UTF-16BE"},
  };
  for (const auto& c : cases) {
    const auto r = read_all(write(c.name, c.bytes));
    EXPECT_EQ(r.encoding, c.encoding) << c.name;
    EXPECT_EQ(r.header, expected.header) << c.name;
    EXPECT_EQ(r.rows, expected.rows) << c.name;
    EXPECT_EQ(r.lines, expected.lines) << c.name;
    EXPECT_EQ(r.delimiter, '\t') << c.name;
  }
  // Named: "utf-16" reads either byte order by its BOM.
  CsvOptions o;
  o.encoding = "utf-16";
  EXPECT_EQ(read_all(write("n-le.txt", "\xFF\xFE" + utf16le(kOrdersTsv)), o).rows, kOrdersRows);
  EXPECT_EQ(read_all(write("n-be.txt", "\xFE\xFF" + utf16be(kOrdersTsv)), o).rows, kOrdersRows);
  o.encoding = "UTF-16BE";
  EXPECT_EQ(read_all(write("n-be2.txt", "\xFE\xFF" + utf16be(kOrdersTsv)), o).rows, kOrdersRows);
  // And gzip-compressed.
  EXPECT_EQ(read_all(write_gz("le.txt.gz", "\xFF\xFE" + utf16le(kOrdersTsv))).rows, kOrdersRows);
}

TEST_F(EncodingTest, Utf16WithAnOddLastByteIsAnError) {
  const std::string bytes = "\xFF\xFE" + utf16le("a\tb\n1\t2\n") + "x";
  const Error e = expect_error([&] { read_all(write("odd.txt", bytes)); });
  EXPECT_TRUE(contains(e.message, "byte offset 18")) << e.message;
  EXPECT_TRUE(contains(e.message, "UTF-16LE")) << e.message;
}

TEST_F(EncodingTest, EmptyUtf16FileWithABom) {
  const Error e = expect_error([&] { read_all(write("empty.txt", "\xFF\xFE")); });
  EXPECT_TRUE(contains(e.message, "the file is empty")) << e.message;
}

TEST_F(EncodingTest, Cp932IsDetectedAndConverted) {
  const auto r = read_all(write("orders.csv", kCp932Orders));
  EXPECT_EQ(r.encoding, kCp932);
  EXPECT_EQ(r.header, kCp932Header);
  EXPECT_EQ(r.rows, kCp932Rows);
  EXPECT_EQ(r.lines, (std::vector<uint64_t>{2, 3, 4, 5, 6}));
  EXPECT_EQ(read_all(write_gz("orders.csv.gz", kCp932Orders)).rows, kCp932Rows);
  // Named by any of its names, the same.
  for (const char* name : {"cp932", "sjis", "Shift_JIS", "windows-31j"}) {
    CsvOptions o;
    o.encoding = name;
    const auto n = read_all(write("named.csv", kCp932Orders), o);
    EXPECT_EQ(n.header, kCp932Header) << name;
    EXPECT_EQ(n.rows, kCp932Rows) << name;
  }
}

TEST_F(EncodingTest, Windows1252IsReadWhenNamed) {
  const std::string bytes = "item,price,note\nTea,\xA3" "20,caf\xE9\n";
  const Error e = expect_error([&] { read_all(write("prices.csv", bytes)); });
  EXPECT_TRUE(contains(e.message, "A3")) << e.message;
  EXPECT_TRUE(contains(e.hint, "--encoding")) << e.hint;
  CsvOptions o;
  o.encoding = "windows-1252";
  const auto r = read_all(write("prices.csv", bytes), o);
  EXPECT_EQ(r.rows, (std::vector<std::vector<std::string>>{{"Tea", "£20", "café"}}));
}

TEST_F(EncodingTest, Cp932WithMacOnlyBytesStopsAtTheirOffset) {
  // Detected: the first line is CP932, the Mac-only 85 40 comes in the second record (byte 23).
  const std::string head = "\x8C\xDA\x8Bq" "ID,\x8B\xE0\x8Az\n";  // 顧客ID,金額 (12 bytes)
  const std::string bytes = head + "\x8ER\x93" "c,1200\n" + "A\x85\x40,1\n";
  ASSERT_EQ(bytes.substr(23, 2), "\x85\x40");
  const Error d = expect_error([&] { read_all(write("mac.csv", bytes)); });
  EXPECT_TRUE(contains(d.message, "byte offset 23")) << d.message;
  EXPECT_TRUE(contains(d.message, "85 40")) << d.message;
  EXPECT_EQ(d.location, (dir_ / "mac.csv").string() + ":3:1");
  // Named as CP932: the converter stops at the same byte.
  CsvOptions o;
  o.encoding = "cp932";
  const Error n = expect_error([&] { read_all(write("mac.csv", bytes), o); });
  EXPECT_TRUE(contains(n.message, "bytes 85 40 at byte offset 23")) << n.message;
  EXPECT_TRUE(contains(n.message, "mixed encodings")) << n.message;
  EXPECT_EQ(n.location, (dir_ / "mac.csv").string());
  // EB 40, the other Mac-only row.
  const Error eb = expect_error([&] { read_all(write("mac2.csv", head + "\xEB\x40,1\n"), o); });
  EXPECT_TRUE(contains(eb.message, "bytes EB 40 at byte offset 12")) << eb.message;
}

TEST_F(EncodingTest, MixedEncodingsAfterTheFirstBlockStopAtTheLine) {
  // More than a block of valid UTF-8 (detected as UTF-8), then one CP932 line.
  std::string bytes = "customer_id,order_date,amount\n";
  uint64_t line = 1;
  while (bytes.size() < kBlock + 1000) {
    bytes += "顧客" + std::to_string(line) + ",2024-03-07,1200\n";
    ++line;
  }
  const uint64_t offset = bytes.size();
  bytes += "\x8ER\x93" "c,2024-03-07,1200\n";  // 山田 in CP932
  bytes += "last,2024-03-07,1\n";
  const Error e = expect_error([&] { read_all(write("mixed.csv", bytes)); });
  EXPECT_EQ(e.location, (dir_ / "mixed.csv").string() + ":" + std::to_string(line + 1) + ":1");
  EXPECT_TRUE(contains(e.message, "invalid UTF-8 (bytes 8E 52 93 63")) << e.message;
  EXPECT_TRUE(contains(e.message, "byte offset " + std::to_string(offset))) << e.message;
  EXPECT_TRUE(contains(e.hint, "--encoding")) << e.hint;
}

TEST_F(EncodingTest, CharactersAcrossTheBlockBoundary) {
  // CP932: a double-byte character whose lead byte is the last byte of the first block.
  std::string sj = "\x8C\xDA\x8Bq,v\n";  // 顧客,v
  while (sj.size() + 4 <= kBlock - 3) sj += "a,b\n";
  const std::string xs(kBlock - 1 - sj.size(), 'x');
  sj += xs;
  ASSERT_EQ(sj.size(), kBlock - 1);
  sj += "\x82\xA0,\x87\x40\n";  // あ,①
  const auto r = read_all(write("sj.csv", sj));
  EXPECT_EQ(r.encoding, kCp932);
  ASSERT_FALSE(r.rows.empty());
  EXPECT_EQ(r.rows.back(), (std::vector<std::string>{xs + "あ", "①"}));
  // UTF-16LE: an emoji whose surrogate pair straddles the boundary (the first block holds its lead unit).
  std::string u = "\xFF\xFE" + utf16le("id\tv\n");
  while (u.size() < kBlock - 2) u += utf16le((kBlock - 2 - u.size() >= 8) ? "a\tb\n" : "x");
  ASSERT_EQ(u.size(), kBlock - 2);
  u += utf16le("😀\t①\n");
  const auto w = read_all(write("u16.txt", u));
  ASSERT_FALSE(w.rows.empty());
  EXPECT_EQ(w.rows.back().front().substr(w.rows.back().front().size() - 4), "😀");
  EXPECT_EQ(w.rows.back().back(), "①");
  EXPECT_EQ(w.rows.size(), (kBlock - 2 - 12) / 8 + 1);
}

TEST_F(EncodingTest, Cp932OnlyAfterTheFirstBlockIsAskedFor) {
  // An ASCII first block says nothing about the encoding: UTF-8 is assumed, and the first CP932 byte stops the
  // read with a hint to name it. Named, the same file reads.
  std::string bytes = "id,name\n";
  while (bytes.size() < kBlock + 10) bytes += "1,abc\n";
  bytes += "2,\x8ER\x93" "c\n";
  const Error e = expect_error([&] { read_all(write("late.csv", bytes)); });
  EXPECT_TRUE(contains(e.hint, "--encoding")) << e.hint;
  CsvOptions o;
  o.encoding = "cp932";
  const auto r = read_all(write("late.csv", bytes), o);
  EXPECT_EQ(r.rows.back(), (std::vector<std::string>{"2", "山田"}));
}

TEST_F(EncodingTest, OpenRecordsPassesTheEncoding) {
  CsvOptions o;
  o.encoding = "cp932";
  const auto reader = open_records(write("orders.txt", kCp932Orders), o);
  EXPECT_EQ(reader->header(), kCp932Header);
  Record r;
  ASSERT_TRUE(reader->next(r));
  EXPECT_EQ(std::string(r.fields[0]), "山田～太郎");
}

TEST_F(EncodingTest, UnknownEncodingNameIsAUsageError) {
  CsvOptions o;
  o.encoding = "no-such-encoding";
  const Error e = expect_error([&] { read_all(write("a.csv", "a,b\n1,2\n"), o); });
  EXPECT_EQ(e.code, ErrorCode::usage);
  EXPECT_TRUE(contains(e.hint, "cp932")) << e.hint;
}

}  // namespace
