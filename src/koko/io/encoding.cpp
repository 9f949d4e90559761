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

// True when the bytes convert cleanly; `multibyte` tells whether any character took more than one byte.
bool converts_cleanly(std::string_view bytes, const std::string& name, bool at_eof, bool& multibyte) {
  Converter c(name);
  UErrorCode err = U_ZERO_ERROR;
  ucnv_setToUCallBack(c.cnv, UCNV_TO_U_CALLBACK_STOP, nullptr, nullptr, nullptr, &err);
  std::vector<UChar> out(bytes.size() + 16);
  const char* src = bytes.data();
  UChar* dst = out.data();
  err = U_ZERO_ERROR;
  ucnv_toUnicode(c.cnv, &dst, out.data() + out.size(), &src, bytes.data() + bytes.size(), nullptr, at_eof, &err);
  multibyte = static_cast<size_t>(dst - out.data()) < bytes.size();
  return U_SUCCESS(err);
}

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
  if (n == "latin1" || n == "cp1252") return "windows-1252";
  UErrorCode err = U_ZERO_ERROR;
  const char* canon = ucnv_getCanonicalName(name.c_str(), "", &err);
  if (U_FAILURE(err) || !canon) {
    Converter probe(name);  // throws with the hint for unknown names
    return name;
  }
  return canon;
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
  if (converts_cleanly(head, "ibm-943_P15A-2003", at_eof, multibyte) && multibyte)
    return {"ibm-943_P15A-2003", 0};
  // Point at the line and column of the first bad byte, as for any other bad value.
  const size_t line_start = head.rfind('\n', bad) == std::string_view::npos ? 0 : head.rfind('\n', bad) + 1;
  size_t line = 1, column = 1;
  for (size_t k = 0; k < line_start; ++k) line += head[k] == '\n';
  const size_t first_nl = head.find('\n');
  const std::string_view first_line = head.substr(0, first_nl);
  char delim = ',';
  for (char d : {';', '\t'})
    if (std::count(first_line.begin(), first_line.end(), d) > std::count(first_line.begin(), first_line.end(), delim))
      delim = d;
  bool quoted = false;
  for (size_t k = line_start; k < bad; ++k) {
    if (head[k] == '"') quoted = !quoted;
    else if (!quoted && head[k] == delim) ++column;
  }
  throw Error(ErrorCode::input,
              fmt::format("invalid UTF-8: the bytes {} at byte offset {} (in the line starting at byte offset {}) are "
                          "not UTF-8, and the file is not Shift_JIS (CP932) either",
                          hex_bytes(head, bad), bad, line_start),
              fmt::format("{}:{}:{}", file, line, column), kEncodingHint);
}

struct ToUtf8::Impl {
  Converter cnv;
  std::vector<UChar> u16;
  explicit Impl(const std::string& name) : cnv(name) {
    UErrorCode err = U_ZERO_ERROR;
    ucnv_setToUCallBack(cnv.cnv, UCNV_TO_U_CALLBACK_STOP, nullptr, nullptr, nullptr, &err);
  }
};

ToUtf8::ToUtf8(const std::string& encoding) : impl_(std::make_unique<Impl>(encoding)) {}
ToUtf8::~ToUtf8() = default;

void ToUtf8::convert(std::string_view in, bool flush, std::string& out, uint64_t offset, const std::string& file) {
  // Each input byte yields at most two UTF-16 units (plus what an earlier partial character left behind).
  impl_->u16.resize(in.size() * 2 + 16);
  const char* src = in.data();
  UChar* dst = impl_->u16.data();
  UErrorCode err = U_ZERO_ERROR;
  ucnv_toUnicode(impl_->cnv.cnv, &dst, impl_->u16.data() + impl_->u16.size(), &src, in.data() + in.size(), nullptr,
                 flush, &err);
  if (U_FAILURE(err)) {
    char bad[8];
    int8_t len = sizeof bad;
    UErrorCode e2 = U_ZERO_ERROR;
    ucnv_getInvalidChars(impl_->cnv.cnv, bad, &len, &e2);
    const uint64_t at = offset + static_cast<uint64_t>(src - in.data()) - static_cast<uint64_t>(len);
    throw Error(ErrorCode::input,
                fmt::format("bytes {} at byte offset {} are not valid {} (mixed encodings, or a character this "
                            "encoding cannot hold, such as one written by a Mac)",
                            hex_bytes(std::string_view(bad, static_cast<size_t>(len)), 0), at,
                            ucnv_getName(impl_->cnv.cnv, &e2)),
                file, "re-save the file in one encoding (UTF-8 is safest), or name the right one with --encoding");
  }
  const auto units = static_cast<int32_t>(dst - impl_->u16.data());
  if (units == 0) return;
  int32_t need = 0;
  err = U_ZERO_ERROR;
  u_strToUTF8(nullptr, 0, &need, impl_->u16.data(), units, &err);
  const size_t at = out.size();
  out.resize(at + static_cast<size_t>(need));
  err = U_ZERO_ERROR;
  u_strToUTF8(out.data() + at, need, &need, impl_->u16.data(), units, &err);
}

std::string from_utf8(std::string_view utf8, const std::string& encoding, const std::string& what) {
  if (is_utf8_name(encoding)) return std::string(utf8);
  Converter c(canonical_encoding(encoding));
  UErrorCode err = U_ZERO_ERROR;
  ucnv_setFromUCallBack(c.cnv, UCNV_FROM_U_CALLBACK_STOP, nullptr, nullptr, nullptr, &err);
  const icu::UnicodeString u = icu::UnicodeString::fromUTF8(icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
  std::string out(static_cast<size_t>(u.length()) * 4 + 16, '\0');
  err = U_ZERO_ERROR;
  const int32_t n = ucnv_fromUChars(c.cnv, out.data(), static_cast<int32_t>(out.size()), u.getBuffer(), u.length(), &err);
  if (U_FAILURE(err)) {
    UChar bad[4];
    int8_t len = 4;
    UErrorCode e2 = U_ZERO_ERROR;
    ucnv_getInvalidUChars(c.cnv, bad, &len, &e2);
    std::string ch;
    icu::UnicodeString(bad, len).toUTF8String(ch);
    throw Error(ErrorCode::input,
                fmt::format("'{}' (U+{:04X}) cannot be written in {}", ch, static_cast<unsigned>(bad[0]), encoding),
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
