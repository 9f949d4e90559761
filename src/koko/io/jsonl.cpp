// JSON Lines: one object per line. The first object's keys are the header; later objects may omit keys
// (empty values) but may not add new ones (an error naming the key and line, so no value is dropped silently).
#include <fmt/format.h>
#include <zlib.h>

#include <nlohmann/json.hpp>

#include "koko/core/error.hpp"
#include "koko/io/csv.hpp"

namespace koko::io {

namespace {

class JsonlReader final : public RecordReader {
 public:
  explicit JsonlReader(const std::filesystem::path& p) : path_(p.string()) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(p, ec))
      throw Error(ErrorCode::not_found, "no such file", path_, "check the path (quote it if it has spaces)");
    size_ = std::filesystem::file_size(p, ec);
    gz_ = gzopen(path_.c_str(), "rb");
    if (!gz_) throw Error(ErrorCode::not_found, "cannot open the file", path_, "check its permissions");
    gzbuffer(gz_, 1 << 20);
    nlohmann::ordered_json first;
    // A constructor that throws runs no destructor: close the file here.
    try {
      if (!read_object(first))
        throw Error(ErrorCode::input, "the file is empty", path_, "write one JSON object per line");
    } catch (...) {
      gzclose(gz_);
      gz_ = nullptr;
      throw;
    }
    for (const auto& [k, v] : first.items()) header_.push_back(k);
    pending_ = std::move(first);
    has_pending_ = true;
  }
  ~JsonlReader() override {
    if (gz_) gzclose(gz_);
  }
  JsonlReader(const JsonlReader&) = delete;
  JsonlReader& operator=(const JsonlReader&) = delete;

  [[nodiscard]] const std::vector<std::string>& header() const override { return header_; }
  [[nodiscard]] const std::string& path() const override { return path_; }
  [[nodiscard]] char delimiter() const override { return ','; }
  [[nodiscard]] uint64_t compressed_bytes_read() const override {
    const auto off = gzoffset(gz_);
    return off < 0 ? 0 : static_cast<uint64_t>(off);
  }
  [[nodiscard]] uint64_t file_size() const override { return size_; }

  bool next(Record& out) override {
    nlohmann::ordered_json obj;
    if (has_pending_) {
      obj = std::move(pending_);
      has_pending_ = false;
    } else if (!read_object(obj)) {
      return false;
    }
    values_.assign(header_.size(), std::string());
    for (const auto& [k, v] : obj.items()) {
      const auto it = std::find(header_.begin(), header_.end(), k);
      if (it == header_.end())
        throw Error(ErrorCode::input, fmt::format("key '{}' is not in the first object's keys", k),
                    fmt::format("{}:{}", path_, line_no_), "give the first line every key (null for none)");
      std::string& dst = values_[static_cast<size_t>(it - header_.begin())];
      if (v.is_string()) dst = v.get<std::string>();
      else if (!v.is_null()) dst = v.dump();
    }
    out.fields.clear();
    for (const auto& s : values_) out.fields.emplace_back(s);
    out.line = line_no_;
    out.byte_offset = offset_;
    return true;
  }

 private:
  // Reads the next non-blank line as an object; false at the end.
  bool read_object(nlohmann::ordered_json& obj) {
    for (;;) {
      offset_ = next_offset_;
      if (!read_line()) return false;
      ++line_no_;
      if (line_.find_first_not_of(" \t\r") == std::string::npos) continue;
      try {
        obj = nlohmann::ordered_json::parse(line_);
      } catch (const nlohmann::json::parse_error& e) {
        throw Error(ErrorCode::input, fmt::format("invalid JSON: {}", e.what()),
                    fmt::format("{}:{}:{}", path_, line_no_, e.byte), "each line must be one JSON object");
      }
      if (!obj.is_object())
        throw Error(ErrorCode::input, "the line is not a JSON object", fmt::format("{}:{}", path_, line_no_),
                    "each line must be one {...} object");
      return true;
    }
  }
  bool read_line() {
    line_.clear();
    char buf[8192];
    for (;;) {
      if (!gzgets(gz_, buf, sizeof buf)) {
        int err = 0;
        gzerror(gz_, &err);
        if (err < 0) throw Error(ErrorCode::input, "cannot read the file", path_, "it may be truncated");
        return !line_.empty();
      }
      line_ += buf;
      if (!line_.empty() && line_.back() == '\n') break;
    }
    next_offset_ += line_.size();
    while (!line_.empty() && (line_.back() == '\n' || line_.back() == '\r')) line_.pop_back();
    return true;
  }

  std::string path_;
  uint64_t size_ = 0;
  gzFile gz_ = nullptr;
  std::vector<std::string> header_;
  std::vector<std::string> values_;
  std::string line_;
  uint64_t line_no_ = 0, offset_ = 0, next_offset_ = 0;
  nlohmann::ordered_json pending_;
  bool has_pending_ = false;
};

bool is_jsonl(const std::filesystem::path& p) {
  std::string name = p.filename().string();
  if (name.ends_with(".gz")) name.resize(name.size() - 3);
  return name.ends_with(".jsonl") || name.ends_with(".ndjson");
}

}  // namespace

std::unique_ptr<RecordReader> open_records(const std::filesystem::path& path, CsvOptions options) {
  if (is_jsonl(path)) return std::make_unique<JsonlReader>(path);
  return std::make_unique<CsvReader>(path, options);
}

}  // namespace koko::io
