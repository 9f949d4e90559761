#include "koko/io/encoding.hpp"

#include <fmt/format.h>
#include <unicode/normalizer2.h>
#include <unicode/ucnv.h>
#include <unicode/unistr.h>
#include <unicode/ustring.h>

#include <algorithm>
#include <vector>

#include "koko/core/error.hpp"
#include "koko/io/csv.hpp"

namespace koko::io {

namespace {

std::string hex_bytes(std::string_view s, size_t at, size_t n = 4) {
  std::string out;
  for (size_t k = at; k < std::min(s.size(), at + n); ++k)
    out += fmt::format("{}{:02X}", out.empty() ? "" : " ", static_cast<unsigned char>(s[k]));
  return out;
}

constexpr const char* kEncodingHint =
    "name the encoding with --encoding: cp932 (Shift_JIS, Japanese Excel), utf-16 (Excel \"Unicode text\"), "
    "windows-1252 (Western European Excel), or any ICU converter name";

struct Converter {
  UConverter* cnv = nullptr;
  explicit Converter(const std::string& name) {
    UErrorCode err = U_ZERO_ERROR;
    cnv = ucnv_open(name.c_str(), &err);  // "cp932" gives an ambiguous-alias warning: not a failure
    if (U_FAILURE(err) || !cnv)
      throw Error(ErrorCode::usage, fmt::format("unknown encoding '{}'", name), {}, kEncodingHint);
  }
  ~Converter() { ucnv_close(cnv); }
  Converter(const Converter&) = delete;
  Converter& operator=(const Converter&) = delete;
};

// The offset of the first byte sequence invalid in the encoding (npos when the bytes convert cleanly);
// `multibyte` tells whether any character before it took more than one byte.
size_t first_invalid(std::string_view bytes, const std::string& name, bool at_eof, bool& multibyte) {
  Converter c(name);
  UErrorCode err = U_ZERO_ERROR;
  ucnv_setToUCallBack(c.cnv, UCNV_TO_U_CALLBACK_STOP, nullptr, nullptr, nullptr, &err);
  std::vector<UChar> out(bytes.size() + 16);
  const char* src = bytes.data();
  UChar* dst = out.data();
  err = U_ZERO_ERROR;
  ucnv_toUnicode(c.cnv, &dst, out.data() + out.size(), &src, bytes.data() + bytes.size(), nullptr, at_eof, &err);
  size_t read = static_cast<size_t>(src - bytes.data());
  size_t bad = std::string_view::npos;
  if (U_FAILURE(err)) {
    char invalid[32];
    int8_t len = sizeof invalid;
    UErrorCode e2 = U_ZERO_ERROR;
    ucnv_getInvalidChars(c.cnv, invalid, &len, &e2);
    bad = read - std::min(read, static_cast<size_t>(U_SUCCESS(e2) && len > 0 ? len : 0));
    read = bad;
  }
  multibyte = static_cast<size_t>(dst - out.data()) < read;
  return bad;
}

// Stops at every character the target cannot hold. ICU's own UCNV_FROM_U_CALLBACK_STOP lets unassigned
// default-ignorable characters (soft hyphen, zero-width space, variation selectors) vanish without an error.
void stop_at_any_unmappable(const void*, UConverterFromUnicodeArgs*, const UChar*, int32_t, UChar32,
                            UConverterCallbackReason, UErrorCode*) {}

}  // namespace

bool is_utf8_name(const std::string& name) {
  std::string n;
  for (char c : name)
    if (c != '-' && c != '_') n += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return n == "utf8";
}

std::string canonical_encoding(const std::string& name) {
  std::string n;
  for (char c : name) n += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (is_utf8_name(n)) return "UTF-8";
  // Shift_JIS as Japanese Windows and Excel write it: the Microsoft mapping (wave dash 0x8160 → U+FF5E, NEC and
  // IBM extension rows), never the JIS X 0208 table that ICU calls "Shift_JIS".
  if (n == "cp932" || n == "sjis" || n == "shift_jis" || n == "shift-jis" || n == "windows-31j" || n == "ms932" ||
      n == "ibm-943")
    return "ibm-943_P15A-2003";
  if (n == "utf16" || n == "utf-16") return "UTF-16";
  // The converter ucnv_open picks for the name (throws with the hint for unknown names). Not
  // ucnv_getCanonicalName(name, ""): for "windows-1252" that names ibm-1252_P100-2000, which has no € at 0x80 and
  // reads 0x80-0x9F as C1 controls, and for "utf-16be" it finds nothing.
  Converter probe(n == "latin1" ? "windows-1252" : name);
  UErrorCode err = U_ZERO_ERROR;
  const char* canon = ucnv_getName(probe.cnv, &err);
  return U_SUCCESS(err) && canon ? std::string(canon) : name;
}

DetectedEncoding detect_encoding(std::string_view head, bool at_eof, const std::string& file) {
  if (head.starts_with("\xEF\xBB\xBF")) return {"UTF-8", 3};
  if (head.starts_with("\xFF\xFE")) return {"UTF-16LE", 2};
  if (head.starts_with("\xFE\xFF")) return {"UTF-16BE", 2};
  // UTF-16 without a BOM: ASCII-heavy text has a NUL in every other byte.
  const size_t probe = std::min<size_t>(head.size(), 4096) & ~size_t{1};
  size_t even_nul = 0, odd_nul = 0;
  for (size_t i = 0; i < probe; i += 2) {
    even_nul += head[i] == '\0';
    odd_nul += head[i + 1] == '\0';
  }
  if (probe >= 4) {
    if (odd_nul * 3 > probe / 2 && even_nul * 10 < probe / 2) return {"UTF-16LE", 0};
    if (even_nul * 3 > probe / 2 && odd_nul * 10 < probe / 2) return {"UTF-16BE", 0};
  }
  // UTF-8 when it validates (a multibyte character cut by the end of the sample is fine).
  size_t bad = find_invalid_utf8(head);
  if (bad != std::string_view::npos && !at_eof && head.size() - bad < 4) {
    const auto lead = static_cast<unsigned char>(head[bad]);
    const size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC2 ? 2 : 0;
    if (need > head.size() - bad) bad = std::string_view::npos;
  }
  if (bad == std::string_view::npos) return {"UTF-8", 0};
  // CP932 only when it converts cleanly and has multibyte characters: windows-1252 "£20" (A3 32 30) is valid
  // CP932 too (half-width katakana ｣), and must not turn into "｣20".
  bool multibyte = false;
  const size_t sjis_bad = first_invalid(head, "ibm-943_P15A-2003", at_eof, multibyte);
  if (sjis_bad == std::string_view::npos && multibyte) return {"ibm-943_P15A-2003", 0};
  // A file that reads as CP932 past its first non-UTF-8 byte may be Shift_JIS with a byte CP932 cannot read (a
  // Mac-only character, or a second encoding): then that byte is the one to show, not the first Japanese character.
  // (windows-1252 text can read as CP932 for a while too: "Ren\xE9e" is 馥; the message names both.)
  const bool sjis_further = sjis_bad != std::string_view::npos && sjis_bad > bad && multibyte;
  const size_t at = sjis_further ? sjis_bad : bad;
  // Point at the line and column of the first bad byte, as for any other bad value.
  const size_t line_start = head.rfind('\n', at) == std::string_view::npos ? 0 : head.rfind('\n', at) + 1;
  size_t line = 1, column = 1;
  for (size_t k = 0; k < line_start; ++k) line += head[k] == '\n';
  const size_t first_nl = head.find('\n');
  const std::string_view first_line = head.substr(0, first_nl);
  char delim = ',';
  for (char d : {';', '\t'})
    if (std::count(first_line.begin(), first_line.end(), d) > std::count(first_line.begin(), first_line.end(), delim))
      delim = d;
  bool quoted = false;
  for (size_t k = line_start; k < at; ++k) {
    if (head[k] == '"') quoted = !quoted;
    else if (!quoted && head[k] == delim) ++column;
  }
  if (sjis_further)
    throw Error(ErrorCode::input,
                fmt::format("invalid UTF-8: the bytes {} at byte offset {} are not UTF-8, and the file is not "
                            "Shift_JIS (CP932) either: read as CP932 it fails at byte offset {} (bytes {}, in the line "
                            "starting at byte offset {}): a character written by a Mac, or another encoding such as "
                            "windows-1252",
                            hex_bytes(head, bad), bad, at, hex_bytes(head, at), line_start),
                fmt::format("{}:{}:{}", file, line, column), kEncodingHint);
  throw Error(ErrorCode::input,
              fmt::format("invalid UTF-8: the bytes {} at byte offset {} (in the line starting at byte offset {}) are "
                          "not UTF-8, and the file is not Shift_JIS (CP932) either",
                          hex_bytes(head, bad), bad, line_start),
              fmt::format("{}:{}:{}", file, line, column), kEncodingHint);
}

struct ToUtf8::Impl {
  Converter cnv;
  std::vector<UChar> u16;
  // ICU is given whole lines: an invalid sequence then never straddles two calls, where ICU keeps some of its
  // bytes for a replay that the source pointer does not show, and the error offset would be off.
  std::string newline;  // "\n" in the source encoding ("0A", "0A 00" in UTF-16LE, ...); empty when unknown
  std::string carry;    // the bytes after the last newline, for the next call
  uint64_t start = 0;   // file offset of the first byte, for the newline's alignment (UTF-16, UTF-32)
  bool started = false;
  explicit Impl(const std::string& name) : cnv(name) {
    UErrorCode err = U_ZERO_ERROR;
    ucnv_setToUCallBack(cnv.cnv, UCNV_TO_U_CALLBACK_STOP, nullptr, nullptr, nullptr, &err);
    // "UTF-16" and "UTF-32" find their byte order in the data: no newline bytes to look for.
    const char* canon = ucnv_getName(cnv.cnv, &err);
    if (U_FAILURE(err) || !canon || std::string_view(canon) == "UTF-16" || std::string_view(canon) == "UTF-32") return;
    char nl[8];
    const UChar lf = u'\n';
    const int32_t n = ucnv_fromUChars(cnv.cnv, nl, sizeof nl, &lf, 1, &err);
    if (U_SUCCESS(err) && (n == 1 || n == 2 || n == 4)) newline.assign(nl, static_cast<size_t>(n));
    ucnv_resetFromUnicode(cnv.cnv);
  }
};

ToUtf8::ToUtf8(const std::string& encoding) : impl_(std::make_unique<Impl>(encoding)) {}
ToUtf8::~ToUtf8() = default;

void ToUtf8::convert(std::string_view in, bool flush, std::string& out, uint64_t offset, const std::string& file) {
  constexpr size_t kMaxCarry = size_t{64} << 10;  // a longer line is converted in pieces
  Impl& m = *impl_;
  if (!m.started) {
    m.start = offset;
    m.started = true;
  }
  std::string joined;
  std::string_view feed = in;
  uint64_t feed_offset = offset;
  const size_t carried = m.carry.size();  // holds no newline: the search starts after it
  if (!m.carry.empty()) {
    joined.reserve(m.carry.size() + in.size());
    joined.append(m.carry).append(in);
    feed = joined;
    feed_offset = offset - m.carry.size();
  }
  std::string next_carry;
  if (!flush && !m.newline.empty()) {
    const size_t width = m.newline.size();
    const size_t floor = carried >= width ? carried - (width - 1) : 0;
    size_t cut = std::string_view::npos;
    for (size_t p = feed.rfind(m.newline[0]);
         p != std::string_view::npos && p >= floor && cut == std::string_view::npos;
         p = p ? feed.rfind(m.newline[0], p - 1) : std::string_view::npos)
      if (feed.substr(p, width) == m.newline && (feed_offset + p - m.start) % width == 0) cut = p + width;
    if (cut != std::string_view::npos) {
      next_carry.assign(feed.substr(cut));
      feed = feed.substr(0, cut);
    } else if (feed.size() < kMaxCarry) {
      m.carry.assign(feed);  // no whole line yet
      return;
    }
  }
  // Each input byte yields at most two UTF-16 units (plus what an earlier partial character left behind).
  m.u16.resize(feed.size() * 2 + 16);
  const char* src = feed.data();
  UChar* dst = m.u16.data();
  UErrorCode err = U_ZERO_ERROR;
  ucnv_toUnicode(m.cnv.cnv, &dst, m.u16.data() + m.u16.size(), &src, feed.data() + feed.size(), nullptr, flush, &err);
  if (U_FAILURE(err)) {
    char bad[32];
    int8_t len = sizeof bad;
    UErrorCode e2 = U_ZERO_ERROR;
    ucnv_getInvalidChars(m.cnv.cnv, bad, &len, &e2);
    if (U_FAILURE(e2) || len < 0) len = 0;
    const uint64_t read = feed_offset + static_cast<uint64_t>(src - feed.data());
    const uint64_t at = read - std::min<uint64_t>(read, static_cast<uint64_t>(len));
    UErrorCode e3 = U_ZERO_ERROR;
    const char* name = ucnv_getName(m.cnv.cnv, &e3);
    throw Error(ErrorCode::input,
                fmt::format("bytes {} at byte offset {} are not valid {} (mixed encodings, or a character this "
                            "encoding cannot hold, such as one written by a Mac)",
                            hex_bytes(std::string_view(bad, static_cast<size_t>(len)), 0), at,
                            U_SUCCESS(e3) && name ? name : "in this encoding"),
                file, "re-save the file in one encoding (UTF-8 is safest), or name the right one with --encoding");
  }
  m.carry = std::move(next_carry);
  const auto units = static_cast<int32_t>(dst - m.u16.data());
  if (units == 0) return;
  int32_t need = 0;
  err = U_ZERO_ERROR;
  u_strToUTF8(nullptr, 0, &need, m.u16.data(), units, &err);
  const size_t at = out.size();
  out.resize(at + static_cast<size_t>(need));
  err = U_ZERO_ERROR;
  u_strToUTF8(out.data() + at, need, &need, m.u16.data(), units, &err);
}

std::string from_utf8(std::string_view utf8, const std::string& encoding, const std::string& what) {
  if (is_utf8_name(encoding)) return std::string(utf8);
  Converter c(canonical_encoding(encoding));
  UErrorCode err = U_ZERO_ERROR;
  ucnv_setFromUCallBack(c.cnv, stop_at_any_unmappable, nullptr, nullptr, nullptr, &err);
  const icu::UnicodeString u = icu::UnicodeString::fromUTF8(icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
  // Four bytes per UTF-16 unit is not always enough (ISO-2022 escape sequences): grow and convert again.
  std::string out(static_cast<size_t>(u.length()) * 4 + 16, '\0');
  int32_t n = 0;
  for (;;) {
    err = U_ZERO_ERROR;
    ucnv_resetFromUnicode(c.cnv);
    n = ucnv_fromUChars(c.cnv, out.data(), static_cast<int32_t>(out.size()), u.getBuffer(), u.length(), &err);
    if (err != U_BUFFER_OVERFLOW_ERROR) break;
    out.assign(static_cast<size_t>(n) + 16, '\0');
  }
  if (U_FAILURE(err)) {
    UChar bad[4] = {};
    int8_t len = 4;
    UErrorCode e2 = U_ZERO_ERROR;
    ucnv_getInvalidUChars(c.cnv, bad, &len, &e2);
    if (U_FAILURE(e2) || len <= 0) len = 0;
    const icu::UnicodeString bad_chars(bad, len);
    std::string ch;
    bad_chars.toUTF8String(ch);
    throw Error(ErrorCode::input,
                fmt::format("'{}' (U+{:04X}) cannot be written in {}", ch,
                            static_cast<uint32_t>(len > 0 ? bad_chars.char32At(0) : 0xFFFD), encoding),
                what, "export as UTF-8 with a BOM instead (leave out --encoding): Excel opens it correctly");
  }
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string nfkc(std::string_view s) {
  bool ascii = true;
  for (char c : s) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
  if (ascii) return std::string(s);
  UErrorCode err = U_ZERO_ERROR;
  const icu::Normalizer2* n = icu::Normalizer2::getNFKCInstance(err);
  if (U_FAILURE(err)) return std::string(s);
  const icu::UnicodeString in = icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), static_cast<int32_t>(s.size())));
  icu::UnicodeString out = n->normalize(in, err);
  if (U_FAILURE(err)) return std::string(s);
  std::string r;
  out.toUTF8String(r);
  return r;
}

}  // namespace koko::io
