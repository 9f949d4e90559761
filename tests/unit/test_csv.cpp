// Unit tests for the delimited-text and JSON Lines readers (src/koko/io/csv.hpp).
// Every input is a small hand-made file in a fresh temporary directory; expectations are worked out by hand.
#include <gtest/gtest.h>
#include <zlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "koko/core/error.hpp"
#include "koko/io/csv.hpp"

namespace fs = std::filesystem;
using koko::Error;
using koko::ErrorCode;
using koko::io::CsvOptions;
using koko::io::CsvReader;
using koko::io::find_invalid_utf8;
using koko::io::Layout;
using koko::io::open_records;
using koko::io::Record;
using koko::io::RecordReader;

namespace {

constexpr size_t kBlock = size_t{1} << 20;  // the reader's block size (csv.cpp)
constexpr size_t npos = std::string_view::npos;

using Rows = std::vector<std::vector<std::string>>;

struct Read {
  std::vector<std::string> header;
  Rows rows;
  std::vector<uint64_t> lines;
  std::vector<uint64_t> offsets;
  char delimiter = '?';
};

Read read_all(RecordReader& reader) {
  Read out;
  out.header = reader.header();
  out.delimiter = reader.delimiter();
  Record r;
  while (reader.next(r)) {
    out.rows.emplace_back(r.fields.begin(), r.fields.end());
    out.lines.push_back(r.line);
    out.offsets.push_back(r.byte_offset);
  }
  // The end stays the end.
  EXPECT_FALSE(reader.next(r));
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

class CsvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) /
           (std::string("koko_csv_") + info->test_suite_name() + "_" + info->name() + "_" +
            std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()) + "_" +
            std::to_string(counter++));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  fs::path write(const std::string& name, std::string_view bytes) const {
    const fs::path p = dir_ / name;
    std::ofstream f(p, std::ios::binary);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    EXPECT_TRUE(f.good()) << p;
    return p;
  }

  fs::path write_gz(const std::string& name, std::string_view bytes) const {
    const fs::path p = dir_ / name;
    gzFile gz = gzopen(p.string().c_str(), "wb");
    EXPECT_NE(gz, nullptr) << p;
    if (!gz) return p;
    size_t done = 0;
    while (done < bytes.size()) {
      const size_t n = std::min<size_t>(bytes.size() - done, size_t{1} << 24);
      EXPECT_EQ(gzwrite(gz, bytes.data() + done, static_cast<unsigned>(n)), static_cast<int>(n));
      done += n;
    }
    EXPECT_EQ(gzclose(gz), Z_OK);
    return p;
  }

  Read read_csv(std::string_view bytes, CsvOptions options = {}, const std::string& name = "in.csv") const {
    CsvReader reader(write(name, bytes), options);
    return read_all(reader);
  }

  fs::path dir_;
};

// ---------------------------------------------------------------------------------------------------------------
// RFC 4180 quoting

TEST_F(CsvTest, QuotedFieldsHoldDelimitersAndEscapedQuotes) {
  const Read r = read_csv(
      "id,name,amount\n"
      "1,\"Smith, John\",\"12.50\"\n"
      "2,\"He said \"\"hi\"\"\",3\n"
      "3,\"\",\"\"\"\"\n"
      "4,,\n");
  EXPECT_EQ(r.delimiter, ',');
  EXPECT_EQ(r.header, (std::vector<std::string>{"id", "name", "amount"}));
  EXPECT_EQ(r.rows, (Rows{{"1", "Smith, John", "12.50"},
                          {"2", "He said \"hi\"", "3"},
                          {"3", "", "\""},
                          {"4", "", ""}}));
  EXPECT_EQ(r.lines, (std::vector<uint64_t>{2, 3, 4, 5}));
  // "id,name,amount\n" is 15 bytes; "1,\"Smith, John\",\"12.50\"\n" is 24.
  EXPECT_EQ(r.offsets[0], 15u);
  EXPECT_EQ(r.offsets[1], 39u);
}

TEST_F(CsvTest, QuotesInsideAnUnquotedFieldAreKeptAsText) {
  const Read r = read_csv("a,b\n5\"5,x\"y\n");
  EXPECT_EQ(r.rows, (Rows{{"5\"5", "x\"y"}}));
}

TEST_F(CsvTest, EmbeddedNewlinesAdvanceTheLineOfTheNextRecord) {
  const std::string text =
      "id,note\n"                     // line 1
      "1,\"line one\nline two\"\n"    // lines 2-3
      "2,\"a\r\nb\r\nc\",z\r\n"       // lines 4-6
      "3,x\n"                         // line 7
      "4,\"\n\n\"\n"                  // lines 8-10
      "5,y\n";                        // line 11
  const Read r = read_csv(text);
  EXPECT_EQ(r.rows, (Rows{{"1", "line one\nline two"}, {"2", "a\r\nb\r\nc", "z"}, {"3", "x"}, {"4", "\n\n"},
                          {"5", "y"}}));
  EXPECT_EQ(r.lines, (std::vector<uint64_t>{2, 4, 7, 8, 11}));
  ASSERT_EQ(r.offsets.size(), 5u);
  EXPECT_EQ(r.offsets[0], 8u);
  EXPECT_EQ(r.offsets[1], text.find("2,\""));
  EXPECT_EQ(r.offsets[2], text.find("3,x"));
  EXPECT_EQ(r.offsets[4], text.find("5,y"));
}

TEST_F(CsvTest, QuotedHeaderWithEmbeddedNewline) {
  const Read r = read_csv("\"customer\nid\",amount\n7,1\n");
  EXPECT_EQ(r.header, (std::vector<std::string>{"customer\nid", "amount"}));
  EXPECT_EQ(r.rows, (Rows{{"7", "1"}}));
  EXPECT_EQ(r.lines, (std::vector<uint64_t>{3}));
}

// ---------------------------------------------------------------------------------------------------------------
// Line ends

TEST_F(CsvTest, CrlfLineEnds) {
  const Read r = read_csv("a,b\r\n1,2\r\n3,4\r\n");
  EXPECT_EQ(r.header, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r.rows, (Rows{{"1", "2"}, {"3", "4"}}));
  EXPECT_EQ(r.lines, (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(r.offsets, (std::vector<uint64_t>{5, 10}));
}

TEST_F(CsvTest, LfLineEnds) {
  const Read r = read_csv("a,b\n1,2\n3,4\n");
  EXPECT_EQ(r.rows, (Rows{{"1", "2"}, {"3", "4"}}));
  EXPECT_EQ(r.lines, (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(r.offsets, (std::vector<uint64_t>{4, 8}));
}

TEST_F(CsvTest, MixedAndBareCrLineEnds) {
  const Read r = read_csv("a,b\r\n1,2\n3,4\r5,6\r\n");
  EXPECT_EQ(r.rows, (Rows{{"1", "2"}, {"3", "4"}, {"5", "6"}}));
  EXPECT_EQ(r.lines, (std::vector<uint64_t>{2, 3, 4}));
}

TEST_F(CsvTest, FileWithoutTrailingNewline) {
  EXPECT_EQ(read_csv("a,b\n1,2\n3,4").rows, (Rows{{"1", "2"}, {"3", "4"}}));
  EXPECT_EQ(read_csv("a,b\r\n1,\"x,y\"").rows, (Rows{{"1", "x,y"}}));
  EXPECT_EQ(read_csv("a,b\n1,").rows, (Rows{{"1", ""}}));
  const Read header_only = read_csv("a,b");
  EXPECT_EQ(header_only.header, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(header_only.rows.empty());
}

// ---------------------------------------------------------------------------------------------------------------
// Byte-order mark and delimiter detection

TEST_F(CsvTest, Utf8BomIsStrippedFromTheFirstHeaderName) {
  const Read r = read_csv("\xEF\xBB\xBFid,amount\n1,2\n");
  EXPECT_EQ(r.header, (std::vector<std::string>{"id", "amount"}));
  EXPECT_EQ(r.rows, (Rows{{"1", "2"}}));
  EXPECT_EQ(r.lines, (std::vector<uint64_t>{2}));
  EXPECT_EQ(r.offsets, (std::vector<uint64_t>{3 + 10}));  // offsets count the BOM

  // A BOM before a quoted name and a semicolon delimiter.
  const Read q = read_csv("\xEF\xBB\xBF\"id\";\"amount\"\r\n1;2\r\n");
  EXPECT_EQ(q.delimiter, ';');
  EXPECT_EQ(q.header, (std::vector<std::string>{"id", "amount"}));
  EXPECT_EQ(q.rows, (Rows{{"1", "2"}}));
}

TEST_F(CsvTest, OnlyALeadingBomIsStripped) {
  // A BOM-like sequence later in the file is data.
  const Read r = read_csv("id\n\xEF\xBB\xBFx\n");
  EXPECT_EQ(r.rows, (Rows{{"\xEF\xBB\xBFx"}}));
}

TEST_F(CsvTest, DetectsComma) {
  const Read r = read_csv("id,date,amount\n1,2024-03-07,12.50\n");
  EXPECT_EQ(r.delimiter, ',');
  EXPECT_EQ(r.rows, (Rows{{"1", "2024-03-07", "12.50"}}));
}

TEST_F(CsvTest, DetectsSemicolonAndKeepsDecimalCommas) {
  const Read r = read_csv("id;date;amount\n1;07.03.2024;12,50\n2;08.03.2024;\"1.234,50\"\n");
  EXPECT_EQ(r.delimiter, ';');
  EXPECT_EQ(r.header, (std::vector<std::string>{"id", "date", "amount"}));
  EXPECT_EQ(r.rows, (Rows{{"1", "07.03.2024", "12,50"}, {"2", "08.03.2024", "1.234,50"}}));
}

TEST_F(CsvTest, DetectsTab) {
  const Read r = read_csv("id\tname\tamount\n1\tA, B; C\t3\n");
  EXPECT_EQ(r.delimiter, '\t');
  EXPECT_EQ(r.rows, (Rows{{"1", "A, B; C", "3"}}));
}

TEST_F(CsvTest, QuotedHeaderWithCommasInASemicolonFile) {
  const Read r = read_csv("\"Name, full\";\"City, State\";amount\n\"Doe, J\";\"Austin, TX\";5\n");
  EXPECT_EQ(r.delimiter, ';');
  EXPECT_EQ(r.header, (std::vector<std::string>{"Name, full", "City, State", "amount"}));
  EXPECT_EQ(r.rows, (Rows{{"Doe, J", "Austin, TX", "5"}}));
}

TEST_F(CsvTest, DetectionLooksOnlyAtTheHeaderLine) {
  // The data rows hold many commas, the header only semicolons.
  const Read r = read_csv("a;b\n1,1,1,1;2,2,2,2\n");
  EXPECT_EQ(r.delimiter, ';');
  EXPECT_EQ(r.rows, (Rows{{"1,1,1,1", "2,2,2,2"}}));
}

TEST_F(CsvTest, SingleColumnFileIsCommaDelimited) {
  const Read r = read_csv("customer_id\n00012\nA-7\n");
  EXPECT_EQ(r.delimiter, ',');
  EXPECT_EQ(r.header, (std::vector<std::string>{"customer_id"}));
  EXPECT_EQ(r.rows, (Rows{{"00012"}, {"A-7"}}));
}

TEST_F(CsvTest, ExplicitDelimiterOverridesDetection) {
  CsvOptions pipe;
  pipe.layout = Layout::delimited;
  pipe.delimiter = '|';
  const Read r = read_csv("a|b,c\n1|2,3\n", pipe);
  EXPECT_EQ(r.delimiter, '|');
  EXPECT_EQ(r.header, (std::vector<std::string>{"a", "b,c"}));
  EXPECT_EQ(r.rows, (Rows{{"1", "2,3"}}));

  CsvOptions comma;
  comma.layout = Layout::delimited;
  comma.delimiter = ',';
  const Read c = read_csv("a;b,c\n1;2,3\n", comma);
  EXPECT_EQ(c.header, (std::vector<std::string>{"a;b", "c"}));

  // Delimited with no delimiter given: detected, but never whitespace-aligned.
  CsvOptions detect;
  detect.layout = Layout::delimited;
  const Read d = read_csv("a;b\n1;2\n", detect);
  EXPECT_EQ(d.delimiter, ';');
  const Read s = read_csv("a  b\n1  2\n", detect);
  EXPECT_EQ(s.delimiter, ',');
  EXPECT_EQ(s.rows, (Rows{{"1  2"}}));
}

TEST_F(CsvTest, LeadingBlankLinesDoNotHideTheDelimiter) {
  const Read r = read_csv("\r\n\na;b\n1;2\n");
  EXPECT_EQ(r.delimiter, ';');
  EXPECT_EQ(r.header, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r.rows, (Rows{{"1", "2"}}));
  EXPECT_EQ(r.lines, (std::vector<uint64_t>{4}));
}

// ---------------------------------------------------------------------------------------------------------------
// Whitespace-aligned columns

constexpr std::string_view kCdnow =
    " 00001 19970101  1  11.77\r\n"
    " 00002 19970112  1  12.00\r\n"
    " 00002 19970112  5  77.00\r\n"
    " 00003 19970102  2  20.76\r\n";

TEST_F(CsvTest, CdnowLinesAreWhitespaceAligned) {
  CsvReader reader(write("CDNOW_master.txt", kCdnow));
  EXPECT_TRUE(reader.whitespace_aligned());
  EXPECT_EQ(reader.delimiter(), '\0');
  const Read r = read_all(reader);
  // The first line is the header row (the preset names the columns of a headerless file elsewhere).
  EXPECT_EQ(r.header, (std::vector<std::string>{"00001", "19970101", "1", "11.77"}));
  EXPECT_EQ(r.rows, (Rows{{"00002", "19970112", "1", "12.00"},
                          {"00002", "19970112", "5", "77.00"},
                          {"00003", "19970102", "2", "20.76"}}));
  EXPECT_EQ(r.lines, (std::vector<uint64_t>{2, 3, 4}));
  EXPECT_EQ(r.offsets, (std::vector<uint64_t>{27, 54, 81}));
}

TEST_F(CsvTest, WhitespaceHeaderWithSingleSpacesIsDetected) {
  const Read r = read_csv(std::string("customer_id date cds dollar_value\r\n") + std::string(kCdnow));
  EXPECT_EQ(r.delimiter, '\0');
  EXPECT_EQ(r.header, (std::vector<std::string>{"customer_id", "date", "cds", "dollar_value"}));
  ASSERT_EQ(r.rows.size(), 4u);
  EXPECT_EQ(r.rows[0], (std::vector<std::string>{"00001", "19970101", "1", "11.77"}));
  EXPECT_EQ(r.lines.front(), 2u);
}

TEST_F(CsvTest, ExplicitWhitespaceLayoutSplitsOnRunsOfSpacesAndTabs) {
  CsvOptions ws;
  ws.layout = Layout::whitespace;
  const Read r = read_csv(
      "id date amount\n"
      "\t  1 \t 20240307    5.00   \n"
      "   \n"           // only spaces: blank
      "\n"
      "2 20240308 6\r\n"
      "  3   20240309   7",  // no trailing newline
      ws);
  EXPECT_EQ(r.delimiter, '\0');
  EXPECT_EQ(r.header, (std::vector<std::string>{"id", "date", "amount"}));
  EXPECT_EQ(r.rows, (Rows{{"1", "20240307", "5.00"}, {"2", "20240308", "6"}, {"3", "20240309", "7"}}));
  EXPECT_EQ(r.lines, (std::vector<uint64_t>{2, 5, 6}));
}

TEST_F(CsvTest, WhitespaceLayoutDoesNotInterpretCommasOrQuotes) {
  CsvOptions ws;
  ws.layout = Layout::whitespace;
  const Read r = read_csv("a b\n1,5 \"x\n", ws);
  EXPECT_EQ(r.rows, (Rows{{"1,5", "\"x"}}));
}

// ---------------------------------------------------------------------------------------------------------------
// Blank lines

TEST_F(CsvTest, BlankLinesAreSkippedButCounted) {
  const Read r = read_csv("a,b\n\n1,2\n\r\n\n3,4\n\n");
  EXPECT_EQ(r.rows, (Rows{{"1", "2"}, {"3", "4"}}));
  EXPECT_EQ(r.lines, (std::vector<uint64_t>{3, 6}));
  EXPECT_EQ(r.offsets, (std::vector<uint64_t>{5, 12}));
}

TEST_F(CsvTest, RowOfEmptyFieldsIsNotBlank) {
  const Read r = read_csv("a,b\n,\n");
  EXPECT_EQ(r.rows, (Rows{{"", ""}}));
}

// ---------------------------------------------------------------------------------------------------------------
// gzip

TEST_F(CsvTest, GzipFileReadsLikeThePlainOne) {
  const std::string text =
      "\xEF\xBB\xBF" "id;name;amount\r\n"
      "1;\"Doe; J\";12,50\r\n"
      "\r\n"
      "2;\"multi\nline\";3\r\n"
      "3;\xE6\x97\xA5\xE6\x9C\xAC;4";
  CsvReader plain(write("orders.csv", text));
  CsvReader gz(write_gz("orders.csv.gz", text));
  const Read a = read_all(plain);
  const Read b = read_all(gz);
  EXPECT_EQ(a.delimiter, ';');
  EXPECT_EQ(b.delimiter, ';');
  EXPECT_EQ(a.header, (std::vector<std::string>{"id", "name", "amount"}));
  EXPECT_EQ(a.rows, (Rows{{"1", "Doe; J", "12,50"}, {"2", "multi\nline", "3"}, {"3", "日本", "4"}}));
  EXPECT_EQ(a.lines, (std::vector<uint64_t>{2, 4, 6}));
  EXPECT_EQ(b.header, a.header);
  EXPECT_EQ(b.rows, a.rows);
  EXPECT_EQ(b.lines, a.lines);
  EXPECT_EQ(b.offsets, a.offsets);  // offsets are in the decompressed input

  EXPECT_EQ(gz.file_size(), fs::file_size(dir_ / "orders.csv.gz"));
  EXPECT_EQ(plain.file_size(), text.size());
  EXPECT_GT(gz.compressed_bytes_read(), 0u);
  EXPECT_LE(gz.compressed_bytes_read(), gz.file_size());
}

TEST_F(CsvTest, GzipWhitespaceFile) {
  CsvReader gz(write_gz("CDNOW_master.txt.gz", kCdnow));
  EXPECT_TRUE(gz.whitespace_aligned());
  const Read r = read_all(gz);
  EXPECT_EQ(r.rows.size(), 3u);
  EXPECT_EQ(r.rows.back(), (std::vector<std::string>{"00003", "19970102", "2", "20.76"}));
}

TEST_F(CsvTest, OpenRecordsReadsCsvAndGzipCsv) {
  const std::string text = "a,b\n1,2\n";
  auto plain = open_records(write("t.csv", text));
  auto gz = open_records(write_gz("t.csv.gz", text));
  EXPECT_NE(dynamic_cast<CsvReader*>(plain.get()), nullptr);
  EXPECT_NE(dynamic_cast<CsvReader*>(gz.get()), nullptr);
  EXPECT_EQ(read_all(*plain).rows, (Rows{{"1", "2"}}));
  EXPECT_EQ(read_all(*gz).rows, (Rows{{"1", "2"}}));
  EXPECT_EQ(plain->path(), (dir_ / "t.csv").string());
}

// ---------------------------------------------------------------------------------------------------------------
// Records larger than a block, and records straddling a block boundary

TEST_F(CsvTest, QuotedFieldOfThreeMegabytes) {
  // 3,000,000 bytes of text with an escaped quote every 100,000 bytes and a newline every 250,000.
  std::string blob;
  blob.reserve(3'000'000);
  size_t newlines = 0;
  for (size_t i = 0; i < 3'000'000; ++i) {
    if (i % 100'000 == 99'999) {
      blob += '"';
    } else if (i % 250'000 == 249'999) {
      blob += '\n';
      ++newlines;
    } else {
      blob += static_cast<char>('a' + i % 26);
    }
  }
  ASSERT_EQ(newlines, 6u);  // every other newline position is taken by a quote
  std::string escaped;
  for (char c : blob) {
    if (c == '"') escaped += '"';
    escaped += c;
  }
  const std::string text = "id,blob,tail\n1,\"" + escaped + "\",end\n2,x,y\n";
  for (const bool gz : {false, true}) {
    SCOPED_TRACE(gz ? "gzip" : "plain");
    CsvReader reader(gz ? write_gz("big.csv.gz", text) : write("big.csv", text));
    Record r;
    ASSERT_TRUE(reader.next(r));
    ASSERT_EQ(r.fields.size(), 3u);
    EXPECT_EQ(r.fields[0], "1");
    EXPECT_EQ(r.fields[1].size(), blob.size());
    EXPECT_TRUE(r.fields[1] == blob);
    EXPECT_EQ(r.fields[2], "end");
    EXPECT_EQ(r.line, 2u);
    EXPECT_EQ(r.byte_offset, 13u);
    ASSERT_TRUE(reader.next(r));
    EXPECT_EQ(r.fields, (std::vector<std::string_view>{"2", "x", "y"}));
    EXPECT_EQ(r.line, 2u + newlines + 1);
    EXPECT_EQ(r.byte_offset, text.size() - 6);
    EXPECT_FALSE(reader.next(r));
  }
}

TEST_F(CsvTest, UnquotedRecordLongerThanABlock) {
  std::string text = "a,b\n";
  const std::string longfield(kBlock + kBlock / 2, 'z');
  text += "1," + longfield + "\n";
  std::string many;
  for (int i = 0; i < 300'000; ++i) many += (i ? "," : "") + std::to_string(i % 10);
  text += many + "\r\n2,q";
  const Read r = read_csv(text);
  ASSERT_EQ(r.rows.size(), 3u);
  EXPECT_EQ(r.rows[0].size(), 2u);
  EXPECT_TRUE(r.rows[0][1] == longfield);
  EXPECT_EQ(r.rows[1].size(), 300'000u);
  EXPECT_EQ(r.rows[1][299'999], "9");
  EXPECT_EQ(r.rows[2], (std::vector<std::string>{"2", "q"}));
  EXPECT_EQ(r.lines, (std::vector<uint64_t>{2, 3, 4}));
  EXPECT_EQ(r.offsets[2], text.size() - 3);
}

// Places a critical record so that each of its bytes in turn is the last byte of the first block.
TEST_F(CsvTest, RecordStraddlingTheBlockBoundary) {
  const std::string header = "a,b\n";
  const std::string critical = "1,\"p\"\"q\xC3\xA9\r\nr\"\r\n2,z\r\n";
  for (size_t k = 1; k <= critical.size() + 1; ++k) {
    SCOPED_TRACE("critical record starts " + std::to_string(k) + " bytes before the block end");
    const size_t filler_len = kBlock - k - header.size();  // "f," + x... + "\n"
    const std::string filler = "f," + std::string(filler_len - 3, 'x') + "\n";
    const std::string text = header + filler + critical;
    ASSERT_EQ(text.find(critical), kBlock - k);
    const Read r = read_csv(text, {}, "straddle" + std::to_string(k) + ".csv");
    ASSERT_EQ(r.rows.size(), 3u);
    EXPECT_EQ(r.rows[0][1].size(), filler_len - 3);
    EXPECT_EQ(r.rows[1], (std::vector<std::string>{"1", "p\"q\xC3\xA9\r\nr"}));
    EXPECT_EQ(r.rows[2], (std::vector<std::string>{"2", "z"}));
    EXPECT_EQ(r.lines, (std::vector<uint64_t>{2, 3, 5}));
    EXPECT_EQ(r.offsets[1], kBlock - k);
    EXPECT_EQ(r.offsets[2], text.size() - 5);
  }
}

TEST_F(CsvTest, WhitespaceRecordStraddlingTheBlockBoundary) {
  CsvOptions ws;
  ws.layout = Layout::whitespace;
  const std::string header = "a b\n";
  const std::string critical = " 00001  19970101\r\n 2 3\r\n";
  for (size_t k = 1; k <= critical.size() + 1; ++k) {
    SCOPED_TRACE(k);
    const size_t filler_len = kBlock - k - header.size();
    const std::string filler = "f " + std::string(filler_len - 3, 'x') + "\n";
    const Read r = read_csv(header + filler + critical, ws, "ws" + std::to_string(k) + ".txt");
    ASSERT_EQ(r.rows.size(), 3u);
    EXPECT_EQ(r.rows[1], (std::vector<std::string>{"00001", "19970101"}));
    EXPECT_EQ(r.rows[2], (std::vector<std::string>{"2", "3"}));
    EXPECT_EQ(r.lines, (std::vector<uint64_t>{2, 3, 4}));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Errors

TEST_F(CsvTest, EmptyFileIsAnInputError) {
  for (const std::string_view text : {std::string_view(""), std::string_view("\xEF\xBB\xBF"),
                                      std::string_view("\n\r\n\n")}) {
    const fs::path p = write("empty.csv", text);
    const Error e = expect_error([&] { CsvReader reader(p); });
    EXPECT_EQ(e.code, ErrorCode::input);
    EXPECT_NE(e.message.find("empty"), std::string::npos) << e.message;
    EXPECT_EQ(e.location, p.string());
  }
  const fs::path gz = write_gz("empty.csv.gz", "");
  const Error e = expect_error([&] { open_records(gz); });
  EXPECT_EQ(e.code, ErrorCode::input);
  EXPECT_NE(e.message.find("empty"), std::string::npos);
}

TEST_F(CsvTest, MissingFileIsNotFound) {
  const Error e = expect_error([&] { CsvReader reader(dir_ / "nope.csv"); });
  EXPECT_EQ(e.code, ErrorCode::not_found);
  const Error d = expect_error([&] { CsvReader reader(dir_); });  // a directory is no file
  EXPECT_EQ(d.code, ErrorCode::not_found);
}

TEST_F(CsvTest, UnterminatedQuoteNamesTheLineWhereTheRecordStarted) {
  const fs::path p = write("open.csv",
                           "a,b\n"
                           "1,2\n"
                           "\n"
                           "3,\"open\n"  // line 4
                           "more\n"
                           "4,5\n");
  CsvReader reader(p);
  Record r;
  ASSERT_TRUE(reader.next(r));
  EXPECT_EQ(r.line, 2u);
  const Error e = expect_error([&] { reader.next(r); });
  EXPECT_EQ(e.code, ErrorCode::input);
  EXPECT_EQ(e.location, p.string() + ":4");
  EXPECT_NE(e.message.find("unterminated"), std::string::npos) << e.message;
  EXPECT_FALSE(e.hint.empty());
}

TEST_F(CsvTest, UnterminatedQuoteInTheHeader) {
  const fs::path p = write("open_header.csv", "\"a,b\n1,2\n");
  const Error e = expect_error([&] { CsvReader reader(p); });
  EXPECT_EQ(e.code, ErrorCode::input);
  EXPECT_EQ(e.location, p.string() + ":1");
}

// Reading as UTF-8 by name skips detection, so every record is validated where it stands.
CsvOptions utf8_only(CsvOptions o = {}) {
  o.encoding = "utf-8";
  return o;
}

TEST_F(CsvTest, InvalidUtf8NamesOffsetLineAndColumn) {
  // "id,name\n" is 8 bytes and "1,ok\n" 5, so the bad record starts at byte 13 on line 3; \xE9 is Latin-1 é.
  const fs::path p = write("latin1.csv", "id,name\n1,ok\n2,caf\xE9\n3,x\n");
  CsvReader reader(p, utf8_only());
  Record r;
  ASSERT_TRUE(reader.next(r));
  const Error e = expect_error([&] { reader.next(r); });
  EXPECT_EQ(e.code, ErrorCode::input);
  EXPECT_EQ(e.location, p.string() + ":3:2");
  EXPECT_NE(e.message.find("UTF-8"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("13"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("E9"), std::string::npos) << e.message;
  EXPECT_NE(e.hint.find("--encoding"), std::string::npos) << e.hint;
}

TEST_F(CsvTest, InvalidUtf8InTheHeaderAndInQuotedFields) {
  const fs::path h = write("bad_header.csv", "id,\x82\xA0\n1,2\n");  // Shift_JIS
  const Error eh = expect_error([&] { CsvReader reader(h, utf8_only()); });
  EXPECT_EQ(eh.location, h.string() + ":1:2");
  EXPECT_NE(eh.hint.find("--encoding"), std::string::npos);

  // A quoted multi-line field: the record starts on line 2, column 3.
  const fs::path q = write("bad_quoted.csv", "a,b,c\n1,2,\"x\ny\xFF\"\n");
  CsvReader reader(q, utf8_only());
  Record r;
  const Error eq = expect_error([&] { reader.next(r); });
  EXPECT_EQ(eq.location, q.string() + ":2:3");
  EXPECT_NE(eq.message.find("FF"), std::string::npos) << eq.message;
  EXPECT_NE(eq.message.find("6"), std::string::npos) << eq.message;
}

TEST_F(CsvTest, InvalidUtf8SplitAcrossTwoFieldsIsStillInvalid) {
  // Each field alone is invalid (a lead byte without its continuation, a lone continuation byte), even though
  // the two bytes together would spell "é".
  const fs::path p = write("split.csv", "a,b\n1\xC3,\xA9x\n");
  CsvReader reader(p, utf8_only());
  Record r;
  const Error e = expect_error([&] { reader.next(r); });
  EXPECT_EQ(e.code, ErrorCode::input);
  EXPECT_EQ(e.location, p.string() + ":2:1");

  CsvOptions ws = utf8_only();
  ws.layout = Layout::whitespace;
  const fs::path w = write("split.txt", "a b\n1\xC3 \xA9x\n");
  CsvReader wreader(w, ws);
  const Error ew = expect_error([&] { wreader.next(r); });
  EXPECT_EQ(ew.location, w.string() + ":2:1");
}

TEST_F(CsvTest, InvalidUtf8InAWhitespaceFile) {
  const fs::path p = write("ws_bad.txt", " 00001 19970101  1  11.77\r\n 00002 1997\xA0" "0112  1  12.00\r\n");
  CsvReader reader(p, utf8_only());
  ASSERT_TRUE(reader.whitespace_aligned());
  Record r;
  const Error e = expect_error([&] { reader.next(r); });
  EXPECT_EQ(e.location, p.string() + ":2:2");
  EXPECT_NE(e.message.find("27"), std::string::npos) << e.message;
  EXPECT_NE(e.hint.find("--encoding"), std::string::npos);
}

TEST_F(CsvTest, ValidMultibyteTextPasses) {
  const Read r = read_csv(
      "顧客ID,商品,金額\n"
      "C-001,\"コーヒー豆, 深煎り\",¥1,200\n"
      "C-002,😀 emoji,€3\n");
  EXPECT_EQ(r.header, (std::vector<std::string>{"顧客ID", "商品", "金額"}));
  EXPECT_EQ(r.rows, (Rows{{"C-001", "コーヒー豆, 深煎り", "¥1", "200"}, {"C-002", "😀 emoji", "€3"}}));
}

// ---------------------------------------------------------------------------------------------------------------
// find_invalid_utf8

TEST(FindInvalidUtf8, AcceptsValidText) {
  EXPECT_EQ(find_invalid_utf8(""), npos);
  EXPECT_EQ(find_invalid_utf8("plain ASCII, 123\r\n\t"), npos);
  EXPECT_EQ(find_invalid_utf8(std::string_view("nul\0byte", 8)), npos);
  EXPECT_EQ(find_invalid_utf8("caf\xC3\xA9"), npos);               // é
  EXPECT_EQ(find_invalid_utf8("\xC2\x80"), npos);                  // U+0080, smallest 2-byte
  EXPECT_EQ(find_invalid_utf8("\xDF\xBF"), npos);                  // U+07FF
  EXPECT_EQ(find_invalid_utf8("\xE0\xA0\x80"), npos);              // U+0800, smallest 3-byte
  EXPECT_EQ(find_invalid_utf8("\xED\x9F\xBF"), npos);              // U+D7FF, just below the surrogates
  EXPECT_EQ(find_invalid_utf8("\xEE\x80\x80"), npos);              // U+E000, just above
  EXPECT_EQ(find_invalid_utf8("\xEF\xBF\xBF"), npos);              // U+FFFF
  EXPECT_EQ(find_invalid_utf8("\xF0\x90\x80\x80"), npos);          // U+10000, smallest 4-byte
  EXPECT_EQ(find_invalid_utf8("\xF0\x9F\x98\x80"), npos);          // 😀
  EXPECT_EQ(find_invalid_utf8("ok 😀🎉 ok"), npos);
  EXPECT_EQ(find_invalid_utf8("\xF4\x8F\xBF\xBF"), npos);          // U+10FFFF, the largest
  EXPECT_EQ(find_invalid_utf8("日本語のテキスト、顧客ＩＤ１２３"), npos);
  EXPECT_EQ(find_invalid_utf8("\xEF\xBB\xBF"), npos);              // a BOM is a valid character
}

TEST(FindInvalidUtf8, RejectsOverlongForms) {
  EXPECT_EQ(find_invalid_utf8("\xC0\x80"), 0u);                    // overlong NUL
  EXPECT_EQ(find_invalid_utf8("ab\xC0\xAF"), 2u);                  // overlong '/'
  EXPECT_EQ(find_invalid_utf8("a\xC1\xBF"), 1u);
  EXPECT_EQ(find_invalid_utf8("\xE0\x80\x80"), 0u);
  EXPECT_EQ(find_invalid_utf8("x\xE0\x9F\xBF"), 1u);               // U+07FF in three bytes
  EXPECT_EQ(find_invalid_utf8("\xF0\x80\x80\x80"), 0u);
  EXPECT_EQ(find_invalid_utf8("\xF0\x8F\xBF\xBF"), 0u);            // U+FFFF in four bytes
}

TEST(FindInvalidUtf8, RejectsSurrogatesAndOutOfRange) {
  EXPECT_EQ(find_invalid_utf8("\xED\xA0\x80"), 0u);                // U+D800
  EXPECT_EQ(find_invalid_utf8("ok\xED\xBF\xBF"), 2u);              // U+DFFF
  EXPECT_EQ(find_invalid_utf8("\xED\xA0\xBD\xED\xB8\x80"), 0u);    // CESU-8 surrogate pair for 😀
  EXPECT_EQ(find_invalid_utf8("\xF4\x90\x80\x80"), 0u);            // U+110000
  EXPECT_EQ(find_invalid_utf8("\xF5\x80\x80\x80"), 0u);
  EXPECT_EQ(find_invalid_utf8("\xF8\x88\x80\x80\x80"), 0u);        // 5-byte form
  EXPECT_EQ(find_invalid_utf8("\xFE"), 0u);
  EXPECT_EQ(find_invalid_utf8("abc\xFF"), 3u);
}

TEST(FindInvalidUtf8, RejectsTruncatedAndStrayBytes) {
  EXPECT_EQ(find_invalid_utf8("\xC3"), 0u);
  EXPECT_EQ(find_invalid_utf8("ab\xE3\x81"), 2u);                  // あ without its last byte
  EXPECT_EQ(find_invalid_utf8("\xF0\x9F\x98"), 0u);                // 😀 without its last byte
  EXPECT_EQ(find_invalid_utf8("\xF0\x9F\x98 x"), 0u);
  EXPECT_EQ(find_invalid_utf8("\xE3\x81" "A"), 0u);                // continuation replaced by ASCII
  EXPECT_EQ(find_invalid_utf8("\xC3\xC3\xA9"), 0u);
  EXPECT_EQ(find_invalid_utf8("\x80"), 0u);                        // lone continuation bytes
  EXPECT_EQ(find_invalid_utf8("\xC3\xA9\xA9"), 2u);
  EXPECT_EQ(find_invalid_utf8("日本\xFF語"), 6u);                   // offset after two 3-byte characters
  EXPECT_EQ(find_invalid_utf8("caf\xE9"), 3u);                     // Latin-1
  EXPECT_EQ(find_invalid_utf8("\x93\xFA\x96\x7B"), 0u);            // 日本 in Shift_JIS
}

// ---------------------------------------------------------------------------------------------------------------
// JSON Lines

TEST_F(CsvTest, JsonlHeaderFromTheFirstObjectMissingKeysEmptyNumbersAsText) {
  const std::string line1 = R"({"id":"A1","amount":12.5,"qty":3,"ok":true,"note":null})";
  const std::string text = line1 + "\n" +
                           R"({"id":"B2","qty":-1})" "\n"
                           "\n"
                           R"(  {"amount":"7","id":"C3","note":"日本 \"q\""}  )" "\r\n"
                           R"({"id":"D4","amount":1234567.89,"qty":12345678901234567890,"note":{"k":[1,2]}})";
  auto reader = open_records(write("orders.jsonl", text));
  EXPECT_EQ(dynamic_cast<CsvReader*>(reader.get()), nullptr);
  const Read r = read_all(*reader);
  EXPECT_EQ(r.header, (std::vector<std::string>{"id", "amount", "qty", "ok", "note"}));
  EXPECT_EQ(r.rows, (Rows{{"A1", "12.5", "3", "true", ""},
                          {"B2", "", "-1", "", ""},
                          {"C3", "7", "", "", "日本 \"q\""},
                          {"D4", "1234567.89", "12345678901234567890", "", R"({"k":[1,2]})"}}));
  EXPECT_EQ(r.lines, (std::vector<uint64_t>{1, 2, 4, 5}));
  ASSERT_EQ(r.offsets.size(), 4u);
  EXPECT_EQ(r.offsets[0], 0u);
  EXPECT_EQ(r.offsets[1], line1.size() + 1);
  EXPECT_EQ(r.offsets[3], text.find(R"({"id":"D4")"));
  EXPECT_EQ(reader->path(), (dir_ / "orders.jsonl").string());
  EXPECT_EQ(reader->file_size(), text.size());
}

TEST_F(CsvTest, JsonlGzipAndNdjson) {
  const std::string text = "{\"customer\":\"00012\",\"day\":\"2024-03-07\"}\n{\"customer\":\"7\"}\n";
  auto gz = open_records(write_gz("events.jsonl.gz", text));
  auto nd = open_records(write("events.ndjson", text));
  const Read a = read_all(*gz);
  const Read b = read_all(*nd);
  EXPECT_EQ(a.header, (std::vector<std::string>{"customer", "day"}));
  EXPECT_EQ(a.rows, (Rows{{"00012", "2024-03-07"}, {"7", ""}}));
  EXPECT_EQ(b.rows, a.rows);
  EXPECT_EQ(b.lines, a.lines);
}

TEST_F(CsvTest, JsonlUnknownKeyIsAnErrorWithItsLine) {
  const fs::path p = write("extra.jsonl", "{\"id\":1}\n\n{\"id\":2,\"extra\":3}\n");
  auto reader = open_records(p);
  Record r;
  ASSERT_TRUE(reader->next(r));
  EXPECT_EQ(r.fields, (std::vector<std::string_view>{"1"}));
  const Error e = expect_error([&] { reader->next(r); });
  EXPECT_EQ(e.code, ErrorCode::input);
  EXPECT_EQ(e.location, p.string() + ":3");
  EXPECT_NE(e.message.find("extra"), std::string::npos) << e.message;
}

TEST_F(CsvTest, JsonlInvalidJsonIsAnErrorWithItsLine) {
  const fs::path p = write("bad.jsonl", "{\"id\":1}\n{\"id\":2}\n{\"id\":\n{\"id\":4}\n");
  auto reader = open_records(p);
  Record r;
  ASSERT_TRUE(reader->next(r));
  ASSERT_TRUE(reader->next(r));
  const Error e = expect_error([&] { reader->next(r); });
  EXPECT_EQ(e.code, ErrorCode::input);
  EXPECT_EQ(e.location.rfind(p.string() + ":3:", 0), 0u) << e.location;
  EXPECT_NE(e.message.find("JSON"), std::string::npos) << e.message;

  const fs::path first = write("bad_first.jsonl", "{id:1}\n");
  const Error ef = expect_error([&] { open_records(first); });
  EXPECT_EQ(ef.code, ErrorCode::input);
  EXPECT_EQ(ef.location.rfind(first.string() + ":1:", 0), 0u) << ef.location;
}

TEST_F(CsvTest, JsonlLineThatIsNotAnObject) {
  const fs::path p = write("array.jsonl", "{\"id\":1}\n[1,2]\n");
  auto reader = open_records(p);
  Record r;
  ASSERT_TRUE(reader->next(r));
  const Error e = expect_error([&] { reader->next(r); });
  EXPECT_EQ(e.code, ErrorCode::input);
  EXPECT_EQ(e.location, p.string() + ":2");
}

TEST_F(CsvTest, JsonlEmptyOrMissing) {
  for (const std::string_view text : {std::string_view(""), std::string_view("\n \r\n")}) {
    const fs::path p = write("empty.jsonl", text);
    const Error e = expect_error([&] { open_records(p); });
    EXPECT_EQ(e.code, ErrorCode::input);
    EXPECT_NE(e.message.find("empty"), std::string::npos) << e.message;
  }
  const Error m = expect_error([&] { open_records(dir_ / "missing.jsonl"); });
  EXPECT_EQ(m.code, ErrorCode::not_found);
}

size_t open_descriptors() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

TEST_F(CsvTest, FailedOpensCloseTheirFiles) {
  if (!fs::exists("/proc/self/fd")) GTEST_SKIP() << "needs /proc/self/fd";
  const fs::path bad_json = write("bad.jsonl", "{id:1}\n");
  const fs::path empty_json = write("empty.jsonl", "");
  const fs::path empty_csv = write("empty.csv", "");
  const fs::path open_quote = write("open.csv", "\"a,b\n");
  const size_t before = open_descriptors();
  for (int k = 0; k < 20; ++k) {
    for (const fs::path& p : {bad_json, empty_json, empty_csv, open_quote}) {
      try {
        open_records(p);
        ADD_FAILURE() << p;
      } catch (const Error&) {
      }
    }
  }
  EXPECT_EQ(open_descriptors(), before);
}

TEST_F(CsvTest, JsonlLongLine) {
  const std::string big(100'000, 'v');  // longer than the line reader's 8 KiB chunks
  const std::string text = "{\"k\":\"" + big + "\"}\n{\"k\":\"w\"}\n";
  auto reader = open_records(write("long.jsonl", text));
  const Read r = read_all(*reader);
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_TRUE(r.rows[0][0] == big);
  EXPECT_EQ(r.rows[1][0], "w");
  EXPECT_EQ(r.lines, (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(r.offsets[1], big.size() + 9);  // {"k":" + big + "}\n
}

}  // namespace
