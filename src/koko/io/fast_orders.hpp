#pragma once
// The fast orders reader: plain UTF-8 delimited files without quotes are parsed in 16 MiB blocks on a second
// thread while the caller's thread consumes the parsed batches. Anything unusual (quotes, other encodings, .gz,
// a value the fast parsers do not take) raises NeedsGeneralPath, and the caller uses the general reader, which
// names file:line:column for a bad value. So both paths give the same results and the same errors.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string_view>
#include <string>
#include <vector>

#include "koko/core/date.hpp"

namespace koko::io {

struct NeedsGeneralPath {
  std::string reason;
};

struct FastColumns {
  size_t customer = 0, date = 0, amount = 0;
  size_t count = 0;     // fields per row
  char delimiter = ',';
};

// One block's rows. IDs point into `text`, which lives as long as the batch.
struct FastBatch {
  // The block's bytes (not zero-filled on reuse: reading fills them); text is the used part.
  std::unique_ptr<char[]> storage;
  size_t capacity = 0;
  std::string_view text;
  std::vector<uint32_t> id_offset;  // into text
  std::vector<uint16_t> id_length;  // 0 = no customer (a guest order)
  std::vector<uint64_t> hash;       // XXH3-64 of the ID
  std::vector<Day> day;
  std::vector<int64_t> amount;      // minor units
  [[nodiscard]] size_t size() const { return day.size(); }
  [[nodiscard]] std::string_view id(size_t i) const { return {text.data() + id_offset[i], id_length[i]}; }
};

struct FastOptions {
  int minor_digits = 2;
  bool yen = false;
  std::function<void(uint64_t bytes_done, uint64_t bytes_total, uint64_t rows)> progress;
};

// Reads the header of a plain file; throws NeedsGeneralPath for files the fast path does not take.
struct FastHeader {
  std::vector<std::string> names;
  char delimiter = ',';
  uint64_t data_offset = 0;  // first byte after the header line
};
FastHeader read_fast_header(const std::filesystem::path& file);

// Parses the rows after the header; consume runs on the caller's thread, in file order. Returns rows read.
uint64_t scan_fast(const std::filesystem::path& file, const FastHeader& header, const FastColumns& cols,
                   const FastOptions& options, const std::function<void(const FastBatch&)>& consume);

}  // namespace koko::io
