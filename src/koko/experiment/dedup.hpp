#pragma once
// Duplicate units within a memory bound (private to experiment/). Each row leaves a 24-byte record: the 128-bit
// XXH3 hash of its unit ID, its variant and its line. Records stay in memory until the bound is reached, then go
// to 256 partitions by hash (blocks of one temporary file); each partition is sorted on its own (split again when
// it is still too big), so memory holds one partition, never all units. Equal 128-bit hashes are taken as equal IDs:
// with 10⁹ units the chance of a collision is below 10⁻²⁰.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace koko::experiment::detail {

struct UnitRecord {
  uint64_t hash_hi = 0;
  uint64_t hash_lo = 0;
  uint64_t variant_line = 0;  // variant << 48 | line
  [[nodiscard]] uint32_t variant() const { return static_cast<uint32_t>(variant_line >> 48); }
  [[nodiscard]] uint64_t line() const { return variant_line & ((uint64_t{1} << 48) - 1); }
};
static_assert(sizeof(UnitRecord) == 24);

UnitRecord unit_record(std::string_view unit_id, uint32_t variant, uint64_t line);

// A temporary file deleted when it goes out of scope.
class SpillFile {
 public:
  explicit SpillFile(const std::filesystem::path& dir);
  ~SpillFile();
  SpillFile(const SpillFile&) = delete;
  SpillFile& operator=(const SpillFile&) = delete;
  void write(const void* data, size_t bytes);
  void rewind_for_reading();  // flushes and seeks to the start
  size_t read(void* data, size_t bytes);
  void read_at(uint64_t offset, void* data, size_t bytes);  // after rewind_for_reading
  [[nodiscard]] uint64_t bytes() const { return bytes_; }

 private:
  std::filesystem::path path_;
  FILE* f_ = nullptr;
  uint64_t bytes_ = 0;
};

// Line numbers to skip, any order in, ascending out; sorted runs spill to disk beyond the bound.
class LineSet {
 public:
  LineSet(uint64_t memory_limit, std::filesystem::path dir);
  ~LineSet();
  LineSet(LineSet&&) noexcept;
  LineSet& operator=(LineSet&&) noexcept;
  void add(uint64_t line);
  void finish();                                    // after the last add
  [[nodiscard]] bool contains_next(uint64_t line);  // ascending queries only
  [[nodiscard]] uint64_t size() const { return size_; }
  [[nodiscard]] uint64_t spill_bytes() const;

 private:
  void spill_run();
  uint64_t limit_;
  std::filesystem::path dir_;
  std::vector<uint64_t> buf_;
  std::vector<std::unique_ptr<SpillFile>> runs_;
  struct Merge;
  std::unique_ptr<Merge> merge_;
  size_t pos_ = 0;  // in buf_ when nothing spilled
  uint64_t size_ = 0;
};

enum class Policy { stop, first, exclude };

struct DuplicateGroup {
  UnitRecord first;                // the earliest row (its hash identifies the unit)
  std::vector<uint64_t> lines;     // ascending (at most 10 kept)
  std::vector<uint32_t> variants;  // distinct, ascending
  uint64_t rows = 0;
};

struct DuplicateSummary {
  uint64_t units_same_variant = 0;   // seen more than once, always in one variant
  uint64_t rows_same_variant = 0;    // all their rows
  uint64_t units_cross_variant = 0;  // seen in more than one variant
  uint64_t rows_cross_variant = 0;
  std::vector<DuplicateGroup> examples;  // the earliest in the file
  bool spilled = false;
  uint64_t spill_bytes = 0;
  uint64_t peak_records = 0;  // records held in memory at once
};

class DuplicateFinder {
 public:
  // memory_limit: bytes of records held at once; block_bytes: the write buffer of each of the 256 partitions.
  DuplicateFinder(uint64_t memory_limit, uint64_t block_bytes, std::filesystem::path spill_dir);
  ~DuplicateFinder();
  DuplicateFinder(const DuplicateFinder&) = delete;
  DuplicateFinder& operator=(const DuplicateFinder&) = delete;
  void add(const UnitRecord& r);
  // The duplicates, and the lines the policy removes (first: all but each unit's earliest row; exclude: all rows
  // of duplicated units; stop: none).
  DuplicateSummary finish(Policy policy, LineSet& removals, size_t max_examples);

 private:
  struct Partitions;
  struct Job {
    Policy policy;
    LineSet& removals;
    size_t max_examples;
    DuplicateSummary& out;
  };
  void to_partitions();
  void scan_sorted(std::vector<UnitRecord>& recs, Job& job);
  void process(Partitions& parts, size_t p, Job& job);

  uint64_t limit_records_;
  size_t block_records_;
  std::filesystem::path dir_;
  std::vector<UnitRecord> mem_;
  std::unique_ptr<Partitions> parts_;
};

}  // namespace koko::experiment::detail
