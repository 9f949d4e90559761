// libFuzzer target over koko's input edge: the delimited-text and JSON Lines readers with every layout and
// encoding option, encoding detection and block-by-block conversion, and the field parsers (decimal, money, every
// date format, NFKC). Build and run with `make fuzz` (docs/fuzzing.md).
//
// The input is a file as it is (read with the defaults: layout and encoding detected, JSON Lines when it starts
// with '{'), or, when its first byte is 0x01, two option bytes and then the file: the first chooses the reader, the
// delimiter, a named encoding, gzip or padding; the second a chunk size and a padding length. Each run writes the
// file to /dev/shm (the readers take a path), reads it completely and checks what must always hold: a koko::Error
// is a fine answer to any input; anything else (a crash, a sanitizer report, another exception, a broken
// invariant) is a bug.
#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "koko/core/date.hpp"
#include "koko/core/error.hpp"
#include "koko/io/csv.hpp"
#include "koko/io/encoding.hpp"
#include "koko/io/fields.hpp"

namespace {

using namespace koko::io;

constexpr size_t kBlock = size_t{1} << 20;  // the reader's block size (csv.cpp)

// Stops the run with a message: libFuzzer saves the input as a crash.
[[noreturn]] void fail(const char* what, std::string_view detail = {}) {
  std::fprintf(stderr, "invariant broken: %s [%.*s]\n", what, static_cast<int>(std::min<size_t>(detail.size(), 200)),
               detail.data());
  std::abort();
}

void check(bool ok, const char* what, std::string_view detail = {}) {
  if (!ok) fail(what, detail);
}

// The file for this process, in memory-backed /dev/shm when there is one.
std::string scratch_path(const char* suffix) {
  static const std::string dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  return dir + "/koko-fuzz-" + std::to_string(getpid()) + suffix;
}

void write_file(const std::string& path, std::string_view bytes, bool gzip) {
  if (gzip) {
    gzFile gz = gzopen(path.c_str(), "wb1");
    if (!gz) fail("gzopen for writing", path);
    if (!bytes.empty() && gzwrite(gz, bytes.data(), static_cast<unsigned>(bytes.size())) <= 0) fail("gzwrite");
    gzclose(gz);
    return;
  }
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) fail("open for writing", path);
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n <= 0) fail("write");
    done += static_cast<size_t>(n);
  }
  close(fd);
}

constexpr DateFormat kFormats[] = {DateFormat::auto_detect, DateFormat::iso, DateFormat::yyyymmdd,
                                   DateFormat::ymd_slash,   DateFormat::mdy, DateFormat::dmy,
                                   DateFormat::excel};

// Every field parser on one value, with what must hold between them.
void check_field(std::string_view f) {
  if (f.size() > 4096) f = f.substr(0, 4096);
  const std::string_view t = trim(f);
  check(t.size() <= f.size(), "trim grows");

  const auto d = parse_decimal(f);
  if (d) {
    check(d->scale >= 0 && d->scale <= 6, "decimal scale out of range", f);
    (void)rescale(*d, 6);
  }
  const auto plain = parse_money(f, false);
  const auto yen = parse_money(f, true);
  // A backslash is a yen sign only in JPY: whatever parses without it parses the same with it.
  if (plain) {
    check(yen && yen->mantissa == plain->mantissa && yen->scale == plain->scale, "money differs in JPY", f);
  }
  for (const auto& m : {plain, yen}) {
    if (!m) continue;
    check(m->scale >= 0 && m->scale <= 6, "money scale out of range", f);
    // As the orders importer does: amounts under 10^12 units are converted to minor units.
    int64_t p = 1;
    for (int k = 0; k < m->scale; ++k) p *= 10;
    if (m->mantissa / p < 1'000'000'000'000 && -m->mantissa / p < 1'000'000'000'000)
      for (const int digits : {0, 2, 3}) (void)to_minor_units(*m, digits);
  }
  (void)parse_int(f);
  (void)normalise_id(f, true);
  (void)normalise_id(f, false);

  const koko::Day lo = koko::days_from_civil(1868, 1, 1), hi = koko::days_from_civil(10000, 1, 1);
  for (const DateFormat fmt : kFormats) {
    for (const int offset : {0, 540, -300}) {
      const auto day = parse_date(f, fmt, offset);
      if (day) check(*day >= lo - 1 && *day <= hi, "date out of range", f);
    }
    check(!date_hint(f, fmt).empty(), "empty date hint", f);
  }

  // NFKC is idempotent, and its output is UTF-8.
  const std::string once = nfkc(f);
  check(find_invalid_utf8(once) == std::string_view::npos, "nfkc output is not UTF-8", f);
  check(nfkc(once) == once, "nfkc is not idempotent", f);
}

// The options byte.
struct Mode {
  int reader = 0;  // 0 auto layout, 1 delimited (detected), 2 delimited (given), 3 whitespace, 4 JSON Lines
  char delimiter = ',';
  std::string encoding;  // empty: detected
  bool gzip = false;
  bool pad = false;
};

Mode mode_of(uint8_t b) {
  static const char* const kEncodings[] = {"", "", "utf-8", "cp932", "utf-16", "UTF-16BE", "windows-1252", "EUC-JP"};
  static const char kDelims[] = {',', ';', '\t', '|'};
  Mode m;
  m.reader = (b & 0x3) == 3 && (b & 0x80) ? 4 : (b & 0x3);
  m.delimiter = kDelims[(b >> 2) & 0x3];
  m.encoding = kEncodings[(b >> 4) & 0x7];
  m.gzip = (b & 0x80) != 0 && m.reader != 4 && ((b >> 2) & 0x1);
  m.pad = (b & 0x80) != 0 && m.reader != 4 && !m.gzip;
  return m;
}

bool is_filler(const Record& r) { return r.fields.size() == 2 && r.fields[0] == "x" && r.fields[1].size() > 1000; }

// Reads the whole file as an importer would, checking every record.
void read_file(const std::string& path, const Mode& m, bool padded) {
  CsvOptions o;
  o.encoding = m.encoding;
  if (m.reader == 1) o.layout = Layout::delimited;
  if (m.reader == 2) {
    o.layout = Layout::delimited;
    o.delimiter = m.delimiter;
  }
  if (m.reader == 3) o.layout = Layout::whitespace;
  try {
    const auto reader = open_records(path, o);
    for (const auto& h : reader->header()) check(find_invalid_utf8(h) == std::string_view::npos, "header not UTF-8");
    Record r;
    uint64_t last_line = 0, last_offset = 0;
    size_t checked = 0;
    while (reader->next(r)) {
      check(r.line > last_line || (last_line == 0 && r.line >= 1), "line numbers go back");
      check(r.byte_offset >= last_offset, "byte offsets go back");
      last_line = r.line;
      last_offset = r.byte_offset;
      check(!r.fields.empty(), "a record without fields");
      if (padded && is_filler(r)) continue;
      for (const auto f : r.fields) {
        check(find_invalid_utf8(f) == std::string_view::npos, "field not UTF-8", f);
        if (checked < 64) check_field(f);
      }
      ++checked;
    }
    check(!reader->next(r), "the end is not the end");
    (void)reader->compressed_bytes_read();
  } catch (const koko::Error& e) {
    check(!e.message.empty(), "an error without a message");
  }
}

// Block-by-block conversion must give what one call gives: the same text, or the same error.
void check_chunked(std::string_view bytes, const std::string& encoding, size_t chunk) {
  std::string whole, whole_error;
  try {
    ToUtf8 t(encoding);
    t.convert(bytes, true, whole, 0, "f");
  } catch (const koko::Error& e) {
    whole_error = e.message;
  }
  std::string parts, parts_error;
  try {
    ToUtf8 t(encoding);
    size_t at = 0;
    while (at < bytes.size()) {
      const size_t n = std::min(chunk, bytes.size() - at);
      t.convert(bytes.substr(at, n), false, parts, at, "f");
      at += n;
    }
    t.convert({}, true, parts, at, "f");
  } catch (const koko::Error& e) {
    parts_error = e.message;
  }
  check(whole_error == parts_error, "chunked conversion fails differently", whole_error + " | " + parts_error);
  if (!whole_error.empty()) return;
  check(whole == parts, "chunked conversion differs", encoding);
  check(find_invalid_utf8(whole) == std::string_view::npos, "converted text is not UTF-8", encoding);
  // Back to CP932 and windows-1252 (Excel exports): what can be written reads back the same.
  for (const char* target : {"cp932", "windows-1252"}) {
    try {
      const std::string back = from_utf8(whole, target, "row 1");
      std::string again;
      ToUtf8 t(canonical_encoding(target));
      t.convert(back, true, again, 0, "f");
      check(again == whole, "export does not read back the same", target);
    } catch (const koko::Error&) {
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Mode m;
  uint8_t tune = static_cast<uint8_t>(size);
  std::string_view body(reinterpret_cast<const char*>(data), size);
  if (size >= 3 && data[0] == 0x01) {
    m = mode_of(data[1]);
    tune = data[2];
    body.remove_prefix(3);
  } else if (!body.empty() && body[0] == '{') {
    m.reader = 4;
  }
  const size_t chunk = 1 + tune % 7;

  // Detection on the bytes as a first block and as a whole file.
  for (const bool at_eof : {true, false}) {
    try {
      const auto d = detect_encoding(body, at_eof, "f.csv");
      check(d.bom <= body.size(), "BOM longer than the file");
      check(!d.name.empty(), "no encoding name");
    } catch (const koko::Error& e) {
      check(!e.message.empty(), "an error without a message");
    }
  }
  for (const char* enc : {"ibm-943_P15A-2003", "UTF-16LE", "UTF-16BE", "windows-1252", "EUC-JP", "gb18030"})
    check_chunked(body, canonical_encoding(enc), chunk);

  // The file, optionally after a block's worth of filler so that it straddles the reader's block boundary: one
  // record whose second field is a long quoted run of x (cheaper to read than many short records).
  std::string file;
  const bool padded = m.pad && (tune & 0x7) == 0x7;  // an eighth of those asking: a padded run is slow
  if (padded) {
    // ASCII in the file's encoding: as is, or UTF-16 (LE after the BOM of "utf-16", or BE).
    const int kind = m.encoding == "utf-16" ? 1 : m.encoding == "UTF-16BE" ? 2 : 0;
    auto encode = [&](std::string_view ascii) {
      std::string out;
      for (const char c : ascii) {
        if (kind == 2) out += '\0';
        out += c;
        if (kind == 1) out += '\0';
      }
      return out;
    };
    static std::string xs[3];  // a block of x per kind, built once
    if (xs[kind].empty()) xs[kind] = encode(std::string(kBlock, 'x'));
    if (kind == 1) file = "\xFF\xFE";
    file += encode("x,\"");
    const std::string tail = encode("\"\n");
    const size_t target = kBlock - 64 + (tune >> 3) * 4;  // the data starts near the boundary
    file.append(xs[kind], 0, target - file.size() - tail.size());
    file += tail;
  }
  file.append(body);
  const std::string path = scratch_path(m.reader == 4 ? ".jsonl" : m.gzip ? ".csv.gz" : ".csv");
  write_file(path, file, m.gzip);
  read_file(path, m, padded);
  unlink(path.c_str());

  // Every line of the body as a field, as the importers see single values.
  size_t start = 0, lines = 0;
  while (start <= body.size() && lines < 16) {
    const size_t nl = body.find('\n', start);
    const std::string_view line =
        body.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    check_field(line);
    ++lines;
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return 0;
}
