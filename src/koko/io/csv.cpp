#include "koko/io/csv.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <array>

#include "koko/core/error.hpp"
#include "koko/io/encoding.hpp"

namespace koko::io {

namespace {
constexpr size_t kBlock = 1 << 20;

}  // namespace

// zlib's gzread reads plain files as they are, so one source serves .csv and .csv.gz alike.
struct CsvReader::Source {
  gzFile gz = nullptr;
  ~Source() {
    if (gz) gzclose(gz);
  }
};

size_t find_invalid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) { ++i; continue; }
    size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; if (c == 0xE0) lo = 0xA0; if (c == 0xED) hi = 0x9F; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; if (c == 0xF0) lo = 0x90; if (c == 0xF4) hi = 0x8F; }
    else return i;
    if (i + len > n) return i;
    if (p[i + 1] < lo || p[i + 1] > hi) return i;
    for (size_t k = 2; k < len; ++k)
      if ((p[i + k] & 0xC0) != 0x80) return i;
    i += len;
  }
  return std::string_view::npos;
}

CsvReader::CsvReader(const std::filesystem::path& path, CsvOptions options)
    : src_(std::make_unique<Source>()), path_(path.string()) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw Error(ErrorCode::not_found, "no such file", path_, "check the path (quote it if it has spaces)");
  file_size_ = std::filesystem::file_size(path, ec);
  src_->gz = gzopen(path_.c_str(), "rb");
  if (!src_->gz) throw Error(ErrorCode::not_found, "cannot open the file", path_, "check its permissions");
  gzbuffer(src_->gz, kBlock);
  buf_.resize(kBlock);

  // The encoding is detected (or named) first; a byte-order mark is never part of the first column's name.
  open_encoding(options.encoding);

  // Detect the layout from the first non-blank line (outside quotes); blank lines before the header are skipped
  // as records anyway.
  size_t i = pos_;
  while (i < end_ && (buf_[i] == '\n' || buf_[i] == '\r')) ++i;
  const size_t first_start = i;
  std::array<size_t, 3> counts{};  // , ; tab
  bool quoted = false, spaces = false;
  while (i < end_ && (quoted || (buf_[i] != '\n' && buf_[i] != '\r'))) {
    const char c = buf_[i];
    if (c == '"') quoted = !quoted;
    else if (!quoted && c == ',') ++counts[0];
    else if (!quoted && c == ';') ++counts[1];
    else if (!quoted && c == '\t') ++counts[2];
    else if (!quoted && c == ' ' && i > first_start && buf_[i - 1] == ' ') spaces = true;
    ++i;
  }
  const std::array<char, 3> delims{',', ';', '\t'};
  if (options.layout == Layout::whitespace) {
    delim_ = 0;
  } else if (options.layout == Layout::delimited && options.delimiter != 0) {
    delim_ = options.delimiter;
  } else {
    size_t best = 0;
    for (size_t k = 1; k < 3; ++k)
      if (counts[k] > counts[best]) best = k;
    if (counts[best] > 0) delim_ = delims[best];
    else delim_ = (options.layout == Layout::auto_detect && spaces) ? '\0' : ',';
    if (options.layout == Layout::auto_detect && counts[best] == 0 && !spaces) {
      // A single name followed by single spaces ("id date amount") is also whitespace-aligned.
      std::string_view first(buf_.data() + first_start, i - first_start);
      if (first.find(' ') != std::string_view::npos) delim_ = '\0';
    }
  }

  Record r;
  if (!next(r))
    throw Error(ErrorCode::input, "the file is empty", path_, "export the data again with a header row");
  for (auto f : r.fields) header_.emplace_back(f);
}

CsvReader::~CsvReader() = default;

uint64_t CsvReader::compressed_bytes_read() const {
  const auto off = gzoffset(src_->gz);
  return off < 0 ? 0 : static_cast<uint64_t>(off);
}

size_t CsvReader::read_raw(char* dst, size_t cap) {
  const int n = gzread(src_->gz, dst, static_cast<unsigned>(cap));
  if (n < 0) {
    int errnum = 0;
    const char* msg = gzerror(src_->gz, &errnum);
    throw Error(ErrorCode::input, fmt::format("cannot read the file: {}", msg), path_,
                "the file may be truncated or not really gzip-compressed");
  }
  return static_cast<size_t>(n);
}

bool CsvReader::fill() {
  if (eof_) return false;
  // Keep the unread tail; callers only refill when it is empty, so this is a plain reset.
  consumed_ += pos_;
  const size_t keep = end_ - pos_;
  if (keep > 0) buf_.replace(0, keep, buf_, pos_, keep);
  pos_ = 0;
  end_ = keep;
  if (!to_utf8_) {
    if (buf_.size() < kBlock) buf_.resize(kBlock);
    const size_t n = read_raw(buf_.data() + end_, buf_.size() - end_);
    if (n == 0) {
      eof_ = true;
      return end_ > pos_;
    }
    end_ += n;
    return true;
  }
  // Transcoding: decode raw blocks until some UTF-8 comes out (a block may end inside a character).
  buf_.resize(end_);
  while (buf_.size() == end_) {
    raw_.resize(kBlock);
    const size_t n = read_raw(raw_.data(), raw_.size());
    to_utf8_->convert(std::string_view(raw_.data(), n), n == 0, buf_, raw_offset_, path_);
    raw_offset_ += n;
    if (n == 0) {
      eof_ = true;
      break;
    }
  }
  end_ = buf_.size();
  return end_ > pos_;
}

void CsvReader::open_encoding(const std::string& named) {
  // Sniff the first block, then hand it to the decoder (or keep it as UTF-8).
  raw_.resize(kBlock);
  const size_t n = read_raw(raw_.data(), raw_.size());
  const std::string_view head(raw_.data(), n);
  DetectedEncoding enc;
  if (named.empty()) {
    enc = detect_encoding(head, n < kBlock, path_);
  } else {
    enc.name = canonical_encoding(named);
    if (is_utf8_name(enc.name) && head.starts_with("\xEF\xBB\xBF")) enc.bom = 3;
    if (enc.name.starts_with("UTF-16") && (head.starts_with("\xFF\xFE") || head.starts_with("\xFE\xFF"))) enc.bom = 2;
  }
  encoding_ = enc.name;
  buf_.clear();
  if (is_utf8_name(enc.name)) {
    buf_.assign(head.substr(enc.bom));
    buf_.resize(std::max(buf_.size(), kBlock));
    end_ = n - enc.bom;
    consumed_ = enc.bom;
    if (n == 0) eof_ = true;
    return;
  }
  to_utf8_ = std::make_unique<ToUtf8>(enc.name == "UTF-16" ? (head.starts_with("\xFE\xFF") ? "UTF-16BE" : "UTF-16LE")
                                                           : enc.name);
  to_utf8_->convert(head.substr(enc.bom), n < kBlock, buf_, enc.bom, path_);
  raw_offset_ = n;
  end_ = buf_.size();
  if (n < kBlock) eof_ = true;
}

bool CsvReader::next(Record& out) {
  for (;;) {
    const bool got = delim_ == 0 ? read_whitespace_record(out) : read_record(out);
    if (!got) return false;
    // A completely blank line is no record.
    if (out.fields.size() == 1 && out.fields[0].empty()) continue;
    return true;
  }
}

void CsvReader::check_utf8(const Record& r, std::string_view raw) const {
  // Field by field: raw holds the fields back to back, so the end of one field and the start of the next could
  // otherwise spell a valid sequence ("\xC3" then "\xA9" reads as "é").
  size_t bad = std::string_view::npos, col = 0;
  for (size_t k = 0; k < r.fields.size(); ++k) {
    const size_t b = find_invalid_utf8(r.fields[k]);
    if (b != std::string_view::npos) {
      bad = static_cast<size_t>(r.fields[k].data() - raw.data()) + b;
      col = k;
      break;
    }
  }
  if (bad == std::string_view::npos) return;
  std::string bytes;
  for (size_t k = bad; k < std::min(raw.size(), bad + 4); ++k)
    bytes += fmt::format("{:02X} ", static_cast<unsigned char>(raw[k]));
  throw Error(ErrorCode::input,
              fmt::format("invalid UTF-8 (bytes {}) in record starting at byte offset {}", bytes, r.byte_offset),
              fmt::format("{}:{}:{}", path_, r.line, col + 1),
              "the file is not UTF-8: re-save it as UTF-8 (CSV UTF-8 in Excel) or name its encoding with --encoding");
}

bool CsvReader::read_record(Record& out) {
  scratch_.clear();
  bounds_.clear();
  if (pos_ == end_ && !fill()) return false;
  out.line = line_;
  out.byte_offset = consumed_ + pos_;
  const uint64_t start_line = line_;
  bool in_quotes = false;
  bool field_start = true;
  bool ended = false;
  while (!ended) {
    if (pos_ == end_ && !fill()) {
      if (in_quotes)
        throw Error(ErrorCode::input, "unterminated quoted field (a \" opens a field that never closes)",
                    fmt::format("{}:{}", path_, start_line),
                    "check for a stray double quote in this record; quotes inside a field are written \"\"");
      break;
    }
    const char c = buf_[pos_++];
    if (in_quotes) {
      if (c == '"') {
        if (pos_ == end_) fill();
        if (pos_ < end_ && buf_[pos_] == '"') {
          scratch_ += '"';
          ++pos_;
        } else {
          in_quotes = false;
        }
      } else {
        if (c == '\n') ++line_;
        scratch_ += c;
      }
      continue;
    }
    if (c == delim_) {
      bounds_.push_back(scratch_.size());
      field_start = true;
      continue;
    }
    if (c == '\n') {
      ++line_;
      ended = true;
      break;
    }
    if (c == '\r') {
      if (pos_ == end_) fill();
      if (pos_ < end_ && buf_[pos_] == '\n') ++pos_;
      ++line_;
      ended = true;
      break;
    }
    if (c == '"' && field_start) {
      in_quotes = true;
      field_start = false;
      continue;
    }
    field_start = false;
    scratch_ += c;
  }
  bounds_.push_back(scratch_.size());
  out.fields.clear();
  size_t b = 0;
  for (size_t e : bounds_) {
    out.fields.emplace_back(scratch_.data() + b, e - b);
    b = e;
  }
  check_utf8(out, scratch_);
  return true;
}

bool CsvReader::read_whitespace_record(Record& out) {
  scratch_.clear();
  bounds_.clear();
  if (pos_ == end_ && !fill()) return false;
  out.line = line_;
  out.byte_offset = consumed_ + pos_;
  bool in_field = false;
  std::vector<size_t> starts;
  for (;;) {
    if (pos_ == end_ && !fill()) break;
    const char c = buf_[pos_++];
    if (c == '\n') {
      ++line_;
      break;
    }
    if (c == '\r') {
      if (pos_ == end_) fill();
      if (pos_ < end_ && buf_[pos_] == '\n') ++pos_;
      ++line_;
      break;
    }
    if (c == ' ' || c == '\t') {
      if (in_field) bounds_.push_back(scratch_.size());
      in_field = false;
      continue;
    }
    if (!in_field) starts.push_back(scratch_.size());
    in_field = true;
    scratch_ += c;
  }
  if (in_field) bounds_.push_back(scratch_.size());
  out.fields.clear();
  if (starts.empty()) {
    out.fields.emplace_back();
  } else {
    for (size_t k = 0; k < starts.size(); ++k)
      out.fields.emplace_back(scratch_.data() + starts[k], bounds_[k] - starts[k]);
  }
  check_utf8(out, scratch_);
  return true;
}

}  // namespace koko::io
