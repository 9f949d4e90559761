#pragma once
// Streaming delimited-text reader: RFC 4180 quoting (embedded delimiters, quotes and newlines), CRLF or LF,
// a UTF-8 byte-order mark, delimiter detection among ',' ';' and tab, and whitespace-aligned columns.
// Plain and .gz files are read the same way, in large blocks: memory does not grow with the file.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace koko::io {

enum class Layout { auto_detect, delimited, whitespace };

struct CsvOptions {
  Layout layout = Layout::auto_detect;
  char delimiter = 0;  // used when layout == delimited; 0 = detect
  std::string encoding;  // empty = detect (BOM, UTF-8, CP932); else an ICU converter name or alias
};

// One record: fields as views into the reader's buffer, valid until the next call to next().
struct Record {
  std::vector<std::string_view> fields;
  uint64_t line = 0;         // physical line where the record starts (1-based)
  uint64_t byte_offset = 0;  // offset of the record's first byte in the (decompressed) input
};

// What the importers read: a header and records, from delimited text or JSON Lines.
class RecordReader {
 public:
  virtual ~RecordReader() = default;
  [[nodiscard]] virtual const std::vector<std::string>& header() const = 0;
  virtual bool next(Record& out) = 0;
  [[nodiscard]] virtual const std::string& path() const = 0;
  [[nodiscard]] virtual char delimiter() const = 0;  // for messages and rejects: 0 = whitespace, JSONL says ,
  [[nodiscard]] virtual uint64_t compressed_bytes_read() const = 0;
  [[nodiscard]] virtual uint64_t file_size() const = 0;
};

// JSON Lines for *.jsonl / *.ndjson (also .gz), delimited text otherwise.
std::unique_ptr<RecordReader> open_records(const std::filesystem::path& path, CsvOptions options = {});

class CsvReader final : public RecordReader {
 public:
  CsvReader(const std::filesystem::path& path, CsvOptions options = {});
  ~CsvReader() override;
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  // The header row. Throws koko::Error when the file is empty.
  [[nodiscard]] const std::vector<std::string>& header() const override { return header_; }
  // Reads the next data record; false at the end of the input. Throws koko::Error for an unterminated quote or
  // invalid UTF-8 (with the byte offset).
  bool next(Record& out) override;

  [[nodiscard]] const std::string& path() const override { return path_; }
  [[nodiscard]] char delimiter() const override { return delim_; }  // 0 for whitespace-aligned
  [[nodiscard]] bool whitespace_aligned() const { return delim_ == 0; }
  [[nodiscard]] const std::string& encoding() const { return encoding_; }  // as detected or named
  [[nodiscard]] uint64_t compressed_bytes_read() const override;   // for progress against file_size()
  [[nodiscard]] uint64_t file_size() const override { return file_size_; }

 private:
  bool fill();                       // refills buf_ from the source; false at end of input
  bool read_record(Record& out);     // raw parse of one record
  bool read_whitespace_record(Record& out);
  void check_utf8(const Record& r, std::string_view raw) const;

  struct Source;
  std::unique_ptr<Source> src_;
  std::string path_;
  uint64_t file_size_ = 0;
  size_t read_raw(char* dst, size_t cap);  // bytes from the file (decompressed); 0 at the end
  void open_encoding(const std::string& named);

  std::unique_ptr<class ToUtf8> to_utf8_;  // null for UTF-8 input
  std::string raw_;                        // undecoded bytes when transcoding
  uint64_t raw_offset_ = 0;                // file offset of raw_'s first byte
  std::string encoding_ = "UTF-8";
  std::string buf_;
  size_t pos_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
  uint64_t consumed_ = 0;  // bytes of input before buf_[0]
  uint64_t line_ = 1;
  char delim_ = ',';
  std::string scratch_;              // unescaped field bytes of the current record
  std::vector<size_t> bounds_;       // field boundaries in scratch_
  std::vector<std::string> header_;
};

// Returns the offset of the first invalid UTF-8 byte in s, or npos when s is valid UTF-8.
size_t find_invalid_utf8(std::string_view s);

}  // namespace koko::io
