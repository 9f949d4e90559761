#pragma once
// Text encodings at the edge: everything inside koko is UTF-8. Japanese and Excel exports arrive as Shift_JIS
// (CP932), UTF-16 or windows-1252; they are detected (never guessed) or named with --encoding, and converted
// block by block through ICU.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace koko::io {

struct DetectedEncoding {
  std::string name;    // "UTF-8", "UTF-16LE", "UTF-16BE", "windows-31j", ...
  size_t bom = 0;      // bytes of byte-order mark to skip
};

// From the first bytes of a file (at_eof: the file ends there). Throws koko::Error, showing the offending
// bytes and asking for --encoding, when the bytes are neither UTF-8 nor CP932 with multibyte characters.
DetectedEncoding detect_encoding(std::string_view head, bool at_eof, const std::string& file);

// The canonical name of an encoding the user named ("cp932", "sjis", "shift_jis", "utf16", "latin1", ...);
// throws koko::Error listing common names when ICU does not know it.
std::string canonical_encoding(const std::string& name);

bool is_utf8_name(const std::string& name);

// A streaming converter to UTF-8 that stops at the first byte sequence invalid in the source encoding.
class ToUtf8 {
 public:
  explicit ToUtf8(const std::string& encoding);
  ~ToUtf8();
  ToUtf8(const ToUtf8&) = delete;
  ToUtf8& operator=(const ToUtf8&) = delete;
  // Appends the UTF-8 of `in` to out; `offset` is in's position in the file, for errors. flush at the end.
  void convert(std::string_view in, bool flush, std::string& out, uint64_t offset, const std::string& file);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// UTF-8 → a target encoding (for Excel exports); throws koko::Error naming the first character that the
// target cannot hold, with `what` (e.g. "row 12") in the location.
std::string from_utf8(std::string_view utf8, const std::string& encoding, const std::string& what);

// NFKC (full-width digits and letters → ASCII, ￥ → ¥, ...); ASCII input is returned as is.
std::string nfkc(std::string_view s);

}  // namespace koko::io
