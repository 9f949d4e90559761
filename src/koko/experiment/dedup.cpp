#include "koko/experiment/dedup.hpp"

#include <fmt/format.h>
#include <stdlib.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <queue>

#include "koko/core/error.hpp"

namespace koko::experiment::detail {

namespace {

constexpr size_t kPartitions = 256;
constexpr size_t kDeepBlock = (8 << 10) / sizeof(UnitRecord);  // records per block below the first split
constexpr int kLastLevel = 16;                                 // all 128 hash bits used

bool same_unit(const UnitRecord& a, const UnitRecord& b) { return a.hash_hi == b.hash_hi && a.hash_lo == b.hash_lo; }

bool by_unit_then_line(const UnitRecord& a, const UnitRecord& b) {
  if (a.hash_hi != b.hash_hi) return a.hash_hi < b.hash_hi;
  if (a.hash_lo != b.hash_lo) return a.hash_lo < b.hash_lo;
  return a.line() < b.line();
}

// The partition of a record at a level: the level-th byte of the hash, most significant first.
size_t partition_of(const UnitRecord& r, int level) {
  const uint64_t word = level < 8 ? r.hash_hi : r.hash_lo;
  return static_cast<size_t>((word >> (56 - 8 * (level % 8))) & 0xff);
}

Error spill_error(const std::filesystem::path& dir, const char* what) {
  return Error(ErrorCode::input,
               fmt::format("cannot {} a temporary file for duplicate detection: {}", what, std::strerror(errno)),
               dir.string(), "free disk space there, or pass --spill-dir with a folder on a larger disk");
}

void keep_example(DuplicateSummary& out, DuplicateGroup g, size_t max_examples) {
  if (max_examples == 0) return;
  auto& ex = out.examples;
  if (ex.size() == max_examples && ex.back().lines.front() < g.lines.front()) return;
  ex.push_back(std::move(g));
  std::sort(ex.begin(), ex.end(),
            [](const DuplicateGroup& a, const DuplicateGroup& b) { return a.lines.front() < b.lines.front(); });
  if (ex.size() > max_examples) ex.pop_back();
}

void count_group(DuplicateSummary& out, const std::vector<uint32_t>& variants, uint64_t rows) {
  if (variants.size() > 1) {
    ++out.units_cross_variant;
    out.rows_cross_variant += rows;
  } else {
    ++out.units_same_variant;
    out.rows_same_variant += rows;
  }
}

}  // namespace

UnitRecord unit_record(std::string_view unit_id, uint32_t variant, uint64_t line) {
  const XXH128_hash_t h = XXH3_128bits(unit_id.data(), unit_id.size());
  return {h.high64, h.low64, (static_cast<uint64_t>(variant) << 48) | (line & ((uint64_t{1} << 48) - 1))};
}

// ---------------------------------------------------------------- SpillFile

SpillFile::SpillFile(const std::filesystem::path& dir) {
  std::string tmpl = (dir / "koko-spill-XXXXXX").string();
  const int fd = mkstemp(tmpl.data());
  if (fd < 0) throw spill_error(dir, "create");
  unlink(tmpl.c_str());  // nothing is left behind, even after kill -9
  f_ = fdopen(fd, "w+b");
  if (!f_) {
    close(fd);
    throw spill_error(dir, "open");
  }
  path_ = dir;
}

SpillFile::~SpillFile() {
  if (f_) fclose(f_);
}

void SpillFile::write(const void* data, size_t n) {
  if (n == 0) return;
  if (fwrite(data, 1, n, f_) != n) throw spill_error(path_, "write");
  bytes_ += n;
}

void SpillFile::rewind_for_reading() {
  if (fflush(f_) != 0) throw spill_error(path_, "write");
  if (fseek(f_, 0, SEEK_SET) != 0) throw spill_error(path_, "read");
}

size_t SpillFile::read(void* data, size_t n) { return fread(data, 1, n, f_); }

void SpillFile::read_at(uint64_t offset, void* data, size_t n) {
  auto* p = static_cast<char*>(data);
  while (n > 0) {
    const ssize_t got = pread(fileno(f_), p, n, static_cast<off_t>(offset));
    if (got <= 0) throw spill_error(path_, "read");
    p += got;
    n -= static_cast<size_t>(got);
    offset += static_cast<uint64_t>(got);
  }
}

// ---------------------------------------------------------------- LineSet

struct LineSet::Merge {
  struct Run {
    SpillFile* file;
    std::vector<uint64_t> buf;
    size_t pos = 0;
    bool refill() {
      buf.resize(8192);
      const size_t got = file->read(buf.data(), buf.size() * sizeof(uint64_t)) / sizeof(uint64_t);
      buf.resize(got);
      pos = 0;
      return got > 0;
    }
  };
  std::vector<Run> runs;
  using Head = std::pair<uint64_t, size_t>;  // value, run
  std::priority_queue<Head, std::vector<Head>, std::greater<>> heap;

  void push_next(size_t r) {
    auto& run = runs[r];
    if (run.pos == run.buf.size() && !run.refill()) return;
    heap.emplace(run.buf[run.pos++], r);
  }
};

LineSet::LineSet(uint64_t memory_limit, std::filesystem::path dir)
    : limit_(std::max<uint64_t>(memory_limit / sizeof(uint64_t), 1024)), dir_(std::move(dir)) {}
LineSet::~LineSet() = default;
LineSet::LineSet(LineSet&&) noexcept = default;
LineSet& LineSet::operator=(LineSet&&) noexcept = default;

void LineSet::add(uint64_t line) {
  if (buf_.capacity() == 0) buf_.reserve(limit_);
  buf_.push_back(line);
  ++size_;
  if (buf_.size() >= limit_) spill_run();
}

void LineSet::spill_run() {
  std::sort(buf_.begin(), buf_.end());
  auto f = std::make_unique<SpillFile>(dir_);
  f->write(buf_.data(), buf_.size() * sizeof(uint64_t));
  runs_.push_back(std::move(f));
  buf_.clear();
}

void LineSet::finish() {
  if (runs_.empty()) {
    std::sort(buf_.begin(), buf_.end());
    return;
  }
  if (!buf_.empty()) spill_run();
  std::vector<uint64_t>().swap(buf_);
  merge_ = std::make_unique<Merge>();
  for (auto& f : runs_) {
    f->rewind_for_reading();
    merge_->runs.push_back({f.get(), {}, 0});
  }
  for (size_t r = 0; r < merge_->runs.size(); ++r) merge_->push_next(r);
}

bool LineSet::contains_next(uint64_t line) {
  if (!merge_) {
    while (pos_ < buf_.size() && buf_[pos_] < line) ++pos_;
    return pos_ < buf_.size() && buf_[pos_] == line;
  }
  auto& h = merge_->heap;
  while (!h.empty() && h.top().first < line) {
    const size_t r = h.top().second;
    h.pop();
    merge_->push_next(r);
  }
  return !h.empty() && h.top().first == line;
}

uint64_t LineSet::spill_bytes() const {
  uint64_t b = 0;
  for (const auto& f : runs_) b += f->bytes();
  return b;
}

// ---------------------------------------------------------------- DuplicateFinder

// 256 partitions of records by one byte of the hash, written as blocks of one temporary file.
struct DuplicateFinder::Partitions {
  struct Block {
    uint64_t offset;
    uint32_t records;
  };
  SpillFile file;
  int level;
  size_t block;
  std::vector<std::vector<UnitRecord>> bufs;
  std::vector<std::vector<Block>> blocks;
  std::vector<uint64_t> records;

  Partitions(const std::filesystem::path& dir, int lvl, size_t block_records)
      : file(dir), level(lvl), block(block_records), bufs(kPartitions), blocks(kPartitions), records(kPartitions, 0) {}
  void add(const UnitRecord& r) {
    const size_t p = partition_of(r, level);
    auto& b = bufs[p];
    if (b.capacity() < block) b.reserve(block);
    b.push_back(r);
    if (b.size() == block) flush(p);
  }
  void flush(size_t p) {
    auto& b = bufs[p];
    if (b.empty()) return;
    blocks[p].push_back({file.bytes(), static_cast<uint32_t>(b.size())});
    records[p] += b.size();
    file.write(b.data(), b.size() * sizeof(UnitRecord));
    b.clear();
  }
  void finish() {
    for (size_t p = 0; p < kPartitions; ++p) {
      flush(p);
      std::vector<UnitRecord>().swap(bufs[p]);
    }
    file.rewind_for_reading();
  }
  // Visits partition p's records block by block.
  template <typename F>
  void each(size_t p, F f) {
    std::vector<UnitRecord> buf;
    for (const auto& b : blocks[p]) {
      buf.resize(b.records);
      file.read_at(b.offset, buf.data(), b.records * sizeof(UnitRecord));
      for (const auto& r : buf) f(r);
    }
  }
  void read_all(size_t p, std::vector<UnitRecord>& out) {
    out.resize(records[p]);
    size_t at = 0;
    for (const auto& b : blocks[p]) {
      file.read_at(b.offset, out.data() + at, b.records * sizeof(UnitRecord));
      at += b.records;
    }
  }
};

DuplicateFinder::DuplicateFinder(uint64_t memory_limit, uint64_t block_bytes, std::filesystem::path spill_dir)
    : limit_records_(std::max<uint64_t>(memory_limit / sizeof(UnitRecord), 1024)),
      block_records_(std::clamp<size_t>(block_bytes / sizeof(UnitRecord), kDeepBlock, (64 << 10) / sizeof(UnitRecord))),
      dir_(std::move(spill_dir)) {}

DuplicateFinder::~DuplicateFinder() = default;

void DuplicateFinder::add(const UnitRecord& r) {
  if (parts_) {
    parts_->add(r);
    return;
  }
  // Reserved once: growing by doubling would briefly hold two copies and overshoot the bound.
  if (mem_.capacity() == 0) mem_.reserve(limit_records_);
  mem_.push_back(r);
  if (mem_.size() >= limit_records_) to_partitions();
}

void DuplicateFinder::to_partitions() {
  parts_ = std::make_unique<Partitions>(dir_, 0, block_records_);
  for (const auto& r : mem_) parts_->add(r);
  std::vector<UnitRecord>().swap(mem_);
}

void DuplicateFinder::scan_sorted(std::vector<UnitRecord>& recs, Job& job) {
  std::sort(recs.begin(), recs.end(), by_unit_then_line);
  for (size_t i = 0; i < recs.size();) {
    size_t j = i + 1;
    while (j < recs.size() && same_unit(recs[i], recs[j])) ++j;
    if (j - i > 1) {
      DuplicateGroup g;
      g.first = recs[i];
      g.rows = j - i;
      for (size_t k = i; k < j; ++k) {
        if (g.lines.size() < 10) g.lines.push_back(recs[k].line());
        g.variants.push_back(recs[k].variant());
        if (job.policy == Policy::exclude || (job.policy == Policy::first && k > i)) job.removals.add(recs[k].line());
      }
      std::sort(g.variants.begin(), g.variants.end());
      g.variants.erase(std::unique(g.variants.begin(), g.variants.end()), g.variants.end());
      count_group(job.out, g.variants, g.rows);
      keep_example(job.out, std::move(g), job.max_examples);
    }
    i = j;
  }
}

void DuplicateFinder::process(Partitions& parts, size_t p, Job& job) {
  const uint64_t n = parts.records[p];
  if (n == 0) return;
  if (n <= limit_records_) {
    std::vector<UnitRecord> recs;
    parts.read_all(p, recs);
    job.out.peak_records = std::max(job.out.peak_records, n);
    scan_sorted(recs, job);
    return;
  }
  const int next = parts.level + 1;
  if (next >= kLastLevel) {
    // Every record here has the same 128-bit hash: one unit seen n times. Two streaming passes.
    DuplicateGroup g;
    g.rows = n;
    uint64_t min_line = UINT64_MAX;
    parts.each(p, [&](const UnitRecord& r) {
      if (r.line() < min_line) {
        min_line = r.line();
        g.first = r;
      }
      if (std::find(g.variants.begin(), g.variants.end(), r.variant()) == g.variants.end())
        g.variants.push_back(r.variant());
      g.lines.push_back(r.line());
      std::sort(g.lines.begin(), g.lines.end());
      if (g.lines.size() > 10) g.lines.pop_back();
    });
    std::sort(g.variants.begin(), g.variants.end());
    parts.each(p, [&](const UnitRecord& r) {
      if (job.policy == Policy::exclude || (job.policy == Policy::first && r.line() != min_line))
        job.removals.add(r.line());
    });
    count_group(job.out, g.variants, g.rows);
    keep_example(job.out, std::move(g), job.max_examples);
    return;
  }
  Partitions split(dir_, next, kDeepBlock);
  parts.each(p, [&](const UnitRecord& r) { split.add(r); });
  split.finish();
  job.out.spill_bytes += split.file.bytes();
  for (size_t q = 0; q < kPartitions; ++q) process(split, q, job);
}

DuplicateSummary DuplicateFinder::finish(Policy policy, LineSet& removals, size_t max_examples) {
  DuplicateSummary out;
  Job job{policy, removals, max_examples, out};
  if (!parts_) {
    out.peak_records = mem_.size();
    scan_sorted(mem_, job);
    std::vector<UnitRecord>().swap(mem_);
  } else {
    parts_->finish();
    out.spilled = true;
    out.spill_bytes = parts_->file.bytes();
    out.peak_records = limit_records_;
    for (size_t p = 0; p < kPartitions; ++p) process(*parts_, p, job);
    parts_.reset();
  }
  removals.finish();
  out.spill_bytes += removals.spill_bytes();
  return out;
}

}  // namespace koko::experiment::detail
