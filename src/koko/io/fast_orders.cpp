#include "koko/io/fast_orders.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

#include "koko/core/error.hpp"
#include "koko/io/csv.hpp"
#include "koko/io/encoding.hpp"
#include "koko/io/fields.hpp"

namespace koko::io {

namespace {

constexpr size_t kBlock = 16 << 20;

class Fd {
 public:
  explicit Fd(const std::filesystem::path& p) : fd_(::open(p.c_str(), O_RDONLY | O_CLOEXEC)) {
    if (fd_ < 0) throw Error(ErrorCode::not_found, "cannot open the file", p.string(), "check the path");
  }
  ~Fd() { ::close(fd_); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  [[nodiscard]] int get() const { return fd_; }

 private:
  int fd_;
};

size_t read_at(int fd, char* dst, size_t n, uint64_t offset) {
  size_t done = 0;
  while (done < n) {
    const ssize_t r = ::pread(fd, dst + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0) throw Error(ErrorCode::input, "cannot read the file", {}, "check the disk");
    if (r == 0) break;
    done += static_cast<size_t>(r);
  }
  return done;
}

// "12.34", "-5", "0.5": the common shapes, in minor units; false for anything else (then parse_money decides).
inline bool fast_amount(const char* p, const char* e, int digits, int64_t& out) {
  bool neg = false;
  if (p < e && *p == '-') {
    neg = true;
    ++p;
  }
  if (p == e) return false;
  int64_t v = 0;
  int n = 0;
  while (p < e && static_cast<unsigned>(*p - '0') < 10) {
    v = v * 10 + (*p++ - '0');
    if (++n > 15) return false;
  }
  if (n == 0) return false;
  int frac = 0;
  if (p < e && *p == '.') {
    ++p;
    while (p < e && static_cast<unsigned>(*p - '0') < 10) {
      if (frac == digits) return false;  // more decimals than the currency has: the general rounding decides
      v = v * 10 + (*p++ - '0');
      ++frac;
    }
  }
  if (p != e) return false;
  for (; frac < digits; ++frac) v *= 10;
  out = neg ? -v : v;
  return true;
}

// Parses one block's complete lines into batch. Throws NeedsGeneralPath for anything unusual.
void parse_block(FastBatch& b, const FastColumns& cols, const FastOptions& opt) {
  const char* const base = b.text.data();
  const char* p = base;
  const char* const end = base + b.text.size();
  const char* f[16];
  const char* fe[16];
  char last_date[16] = {};
  size_t last_date_len = 0;
  Day last_day = 0;
  while (p < end) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
    const char* le = nl ? nl : end;
    const char* next = nl ? nl + 1 : end;
    if (le > p && le[-1] == '\r') --le;
    if (le == p) {  // a blank line is no record
      p = next;
      continue;
    }
    size_t nf = 0;
    f[0] = p;
    unsigned char high = 0;
    for (const char* q = p; q < le; ++q) {
      const char c = *q;
      high |= static_cast<unsigned char>(c);
      if (c == cols.delimiter) {
        fe[nf] = q;
        if (++nf >= 16) throw NeedsGeneralPath{"too many columns"};
        f[nf] = q + 1;
      } else if (c == '"') {
        throw NeedsGeneralPath{"quoted fields"};
      }
    }
    fe[nf] = le;
    if (nf + 1 != cols.count) throw NeedsGeneralPath{"a ragged row"};
    if ((high & 0x80) && find_invalid_utf8(std::string_view(p, static_cast<size_t>(le - p))) != std::string_view::npos)
      throw NeedsGeneralPath{"invalid UTF-8"};

    // Customer ID, trimmed of spaces.
    const char* ib = f[cols.customer];
    const char* ie = fe[cols.customer];
    while (ib < ie && (*ib == ' ' || *ib == '\t')) ++ib;
    while (ie > ib && (ie[-1] == ' ' || ie[-1] == '\t')) --ie;
    const auto id_len = static_cast<size_t>(ie - ib);
    if (id_len > UINT16_MAX) throw NeedsGeneralPath{"a very long ID"};

    // Date: rows in date order repeat the previous row's date text.
    const char* db = f[cols.date];
    const auto dlen = static_cast<size_t>(fe[cols.date] - db);
    Day day;
    if (dlen == last_date_len && dlen <= sizeof last_date && std::memcmp(db, last_date, dlen) == 0 && dlen > 0) {
      day = last_day;
    } else {
      const auto parsed = parse_date(std::string_view(db, dlen), DateFormat::auto_detect, 0);
      if (!parsed) throw NeedsGeneralPath{"a date the fast path does not take"};
      day = *parsed;
      if (dlen <= sizeof last_date) {
        std::memcpy(last_date, db, dlen);
        last_date_len = dlen;
        last_day = day;
      }
    }

    int64_t amount = 0;
    if (!fast_amount(f[cols.amount], fe[cols.amount], opt.minor_digits, amount)) {
      const std::string_view text(f[cols.amount], static_cast<size_t>(fe[cols.amount] - f[cols.amount]));
      const auto m = parse_money(text, opt.yen);
      if (!m || (!opt.yen && has_yen_sign(text)))
        throw NeedsGeneralPath{"an amount the fast path does not take"};
      amount = to_minor_units(*m, opt.minor_digits);
    }

    b.id_offset.push_back(static_cast<uint32_t>(ib - base));
    b.id_length.push_back(static_cast<uint16_t>(id_len));
    b.hash.push_back(id_len ? XXH3_64bits(ib, id_len) : 0);
    b.day.push_back(day);
    b.amount.push_back(amount);
    p = next;
  }
}

}  // namespace

FastHeader read_fast_header(const std::filesystem::path& file) {
  const std::string name = file.filename().string();
  if (name.ends_with(".gz") || name.ends_with(".jsonl") || name.ends_with(".ndjson"))
    throw NeedsGeneralPath{"compressed or JSON input"};
  Fd fd(file);
  std::string head(1 << 16, '\0');
  head.resize(read_at(fd.get(), head.data(), head.size(), 0));
  FastHeader h;
  size_t start = 0;
  if (head.starts_with("\xEF\xBB\xBF")) start = 3;
  const DetectedEncoding enc = detect_encoding(std::string_view(head).substr(start), head.size() < (1 << 16), file.string());
  if (enc.name != "UTF-8" || enc.bom != 0) throw NeedsGeneralPath{"not UTF-8"};
  const size_t nl = head.find('\n', start);
  if (nl == std::string::npos) throw NeedsGeneralPath{"no complete header line in the first 64 KiB"};
  std::string_view line(head.data() + start, nl - start);
  if (line.ends_with('\r')) line.remove_suffix(1);
  if (line.find('"') != std::string_view::npos) throw NeedsGeneralPath{"a quoted header"};
  size_t best = 0;
  const char delims[3] = {',', ';', '\t'};
  size_t counts[3] = {0, 0, 0};
  for (char c : line)
    for (int k = 0; k < 3; ++k) counts[k] += c == delims[k];
  for (size_t k = 1; k < 3; ++k)
    if (counts[k] > counts[best]) best = k;
  if (counts[best] == 0) throw NeedsGeneralPath{"not a delimited file"};
  h.delimiter = delims[best];
  size_t b = 0;
  for (size_t i = 0; i <= line.size(); ++i) {
    if (i == line.size() || line[i] == h.delimiter) {
      h.names.emplace_back(trim(line.substr(b, i - b)));
      b = i + 1;
    }
  }
  h.data_offset = nl + 1;
  return h;
}

uint64_t scan_fast(const std::filesystem::path& file, const FastHeader& header, const FastColumns& cols,
                   const FastOptions& options, const std::function<void(const FastBatch&)>& consume) {
  Fd fd(file);
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(file, ec);

  // Producer: read a block, cut it at its last newline, carry the rest, parse. Three batches in flight.
  std::mutex m;
  std::condition_variable cv;
  std::deque<std::unique_ptr<FastBatch>> ready, free_list;
  for (int i = 0; i < 3; ++i) free_list.push_back(std::make_unique<FastBatch>());
  bool done = false, stop = false;
  std::exception_ptr failure;

  std::thread producer([&] {
    try {
      uint64_t offset = header.data_offset;
      std::string carry;
      for (;;) {
        std::unique_ptr<FastBatch> b;
        {
          std::unique_lock lock(m);
          cv.wait(lock, [&] { return !free_list.empty() || stop; });
          if (stop) return;
          b = std::move(free_list.front());
          free_list.pop_front();
        }
        const size_t have = carry.size();
        if (b->capacity < have + kBlock) {
          b->capacity = have + kBlock;
          b->storage = std::make_unique_for_overwrite<char[]>(b->capacity);
        }
        char* buf = b->storage.get();
        std::memcpy(buf, carry.data(), have);
        const size_t n = read_at(fd.get(), buf + have, kBlock, offset);
        offset += n;
        size_t len = have + n;
        const bool last = n == 0 || offset >= size;
        carry.clear();
        if (!last) {
          const char* cut = static_cast<const char*>(memrchr(buf, '\n', len));
          if (!cut) throw NeedsGeneralPath{"a line longer than 16 MiB"};
          const size_t keep = static_cast<size_t>(cut - buf) + 1;
          carry.assign(buf + keep, len - keep);
          len = keep;
        }
        b->text = std::string_view(buf, len);
        b->id_offset.clear();
        b->id_length.clear();
        b->hash.clear();
        b->day.clear();
        b->amount.clear();
        parse_block(*b, cols, options);
        {
          std::lock_guard lock(m);
          ready.push_back(std::move(b));
          if (last) done = true;
        }
        cv.notify_all();
        if (last) return;
      }
    } catch (...) {
      std::lock_guard lock(m);
      failure = std::current_exception();
      done = true;
      cv.notify_all();
    }
  });

  uint64_t rows = 0, bytes = header.data_offset;
  std::exception_ptr consumer_failure;
  for (;;) {
    std::unique_ptr<FastBatch> b;
    {
      std::unique_lock lock(m);
      cv.wait(lock, [&] { return !ready.empty() || done; });
      if (ready.empty()) break;
      b = std::move(ready.front());
      ready.pop_front();
    }
    try {
      consume(*b);
    } catch (...) {
      consumer_failure = std::current_exception();
      std::lock_guard lock(m);
      stop = true;
      cv.notify_all();
      break;
    }
    rows += b->size();
    bytes += b->text.size();
    if (options.progress) options.progress(std::min(size, bytes), size, rows);
    {
      std::lock_guard lock(m);
      free_list.push_back(std::move(b));
    }
    cv.notify_all();
  }
  {
    std::lock_guard lock(m);
    stop = true;
  }
  cv.notify_all();
  producer.join();
  if (consumer_failure) std::rethrow_exception(consumer_failure);
  if (failure) std::rethrow_exception(failure);
  return rows;
}

}  // namespace koko::io
