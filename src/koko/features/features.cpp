#include "koko/features/features.hpp"

#include <xxhash.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <thread>

#include "koko/core/error.hpp"
#include "koko/core/huge_pages.hpp"

namespace koko::features {

std::string_view segment_name(Segment s) {
  switch (s) {
    case Segment::loyal:
      return "loyal";
    case Segment::general:
      return "general";
    case Segment::lapsed:
      return "lapsed";
  }
  return "";
}

std::string_view csv_header() {
  return "customer_id,first_date,last_date,recency_days,tenure_days,purchase_days,net_revenue,mean_order_value,"
         "segment\n";
}

CustomerTable::CustomerTable() {
  slots_.assign(1 << 16, 0);
  mask_ = slots_.size() - 1;
}

void CustomerTable::prefetch_candidate(uint64_t hash) const {
  const uint64_t slot = slots_[hash & mask_];
  if (slot == 0) return;
  __builtin_prefetch(&entry(static_cast<uint32_t>(slot & 0xFFFFFFFFu) - 1));
}

size_t CustomerTable::memory_bytes() const {
  return slots_.size() * sizeof(uint64_t) + entry_blocks_.size() * (sizeof(Entry) << kEntryShift) +
         arena_blocks_.size() * (size_t{1} << kArenaShift);
}

uint32_t CustomerTable::store_id(std::string_view id) {
  constexpr uint64_t kBlock = uint64_t{1} << kArenaShift;
  uint64_t off = arena_used_;
  if ((off & (kBlock - 1)) + id.size() > kBlock) off = (off + kBlock - 1) & ~(kBlock - 1);  // never split an ID
  if (off + id.size() > UINT32_MAX)
    throw Error(ErrorCode::input, "more than 4 GB of customer IDs", {}, "split the data by customer");
  while ((off >> kArenaShift) >= arena_blocks_.size()) arena_blocks_.push_back(std::make_unique<char[]>(kBlock));
  std::memcpy(arena_blocks_[off >> kArenaShift].get() + (off & (kBlock - 1)), id.data(), id.size());
  arena_used_ = off + id.size();
  return static_cast<uint32_t>(off);
}

uint32_t CustomerTable::intern(std::string_view id, uint64_t hash) {
  if ((size_ + 1) * 4 > slots_.size() * 3) grow();
  const uint64_t tag = hash & 0xFFFFFFFF00000000ull;
  const size_t head = std::min(id.size(), kInline);
  for (size_t s = hash & mask_;; s = (s + 1) & mask_) {
    const uint64_t slot = slots_[s];
    if (slot == 0) {
      if (size_ >= UINT32_MAX - 2 || id.size() > UINT16_MAX)
        throw Error(ErrorCode::input, "too many or too long customer IDs for one table", {},
                    "split the data by customer");
      const auto key = static_cast<uint32_t>(size_);
      if ((key >> kEntryShift) >= entry_blocks_.size())
        entry_blocks_.push_back(std::make_unique<Entry[]>(size_t{1} << kEntryShift));
      Entry& e = entry(key);
      e.agg.id_offset = store_id(id);
      e.agg.id_length = static_cast<uint16_t>(id.size());
      std::memcpy(e.head, id.data(), head);
      ++size_;
      slots_[s] = tag | (key + 1);
      return key;
    }
    if ((slot & 0xFFFFFFFF00000000ull) == tag) {
      const auto key = static_cast<uint32_t>(slot & 0xFFFFFFFFu) - 1;
      const Entry& e = entry(key);
      if (e.agg.id_length == id.size() && std::memcmp(e.head, id.data(), head) == 0 &&
          (id.size() <= kInline ||
           std::memcmp(arena_at(e.agg.id_offset) + kInline, id.data() + kInline, id.size() - kInline) == 0))
        return key;
    }
  }
}

void CustomerTable::grow() {
  const size_t n = slots_.size() * 2;
  slots_ = std::vector<uint64_t>();  // release the old slots before the new ones are allocated
  slots_.assign(n, 0);
  mask_ = n - 1;
  for (uint32_t k = 0; k < size_; ++k) {
    const auto& a = entry(k).agg;
    const uint64_t h = XXH3_64bits(arena_at(a.id_offset), a.id_length);
    size_t s = h & mask_;
    while (slots_[s] != 0) s = (s + 1) & mask_;
    slots_[s] = (h & 0xFFFFFFFF00000000ull) | (k + 1);
  }
}

PurchaseDayBits::PurchaseDayBits(Day lo, Day hi, size_t customers, size_t memory_budget)
    : lo_(lo), span_(static_cast<size_t>(std::max(0, hi - lo)) + 1), customers_(std::max<size_t>(customers, 1)) {
  words_ = (span_ + 63) / 64;
  per_pass_ = std::clamp<size_t>(memory_budget / (words_ * 8), 1, customers_);
}

void PurchaseDayBits::start(size_t partition) {
  begin_ = partition * per_pass_;
  end_ = std::min(customers_, begin_ + per_pass_);
  bits_.assign((end_ - begin_) * words_, 0);
}

void PurchaseDayBits::finish(const std::function<void(uint32_t, uint32_t)>& set) const {
  for (size_t k = begin_; k < end_; ++k) {
    uint32_t n = 0;
    for (size_t w = 0; w < words_; ++w)
      n += static_cast<uint32_t>(__builtin_popcountll(bits_[(k - begin_) * words_ + w]));
    set(static_cast<uint32_t>(k), n);
  }
}

namespace {
std::pair<Day, Day> purchase_range(const std::vector<CustomerAgg>& aggs) {
  Day lo = INT32_MAX, hi = INT32_MIN;
  for (const auto& a : aggs)
    if (a.flags & kHasPurchase) {
      lo = std::min(lo, a.first);
      hi = std::max(hi, a.last);
    }
  return {lo, hi};
}
}  // namespace

void count_purchase_days(std::span<const uint32_t> key, std::span<const Day> day, std::span<const int64_t> amount,
                         std::vector<CustomerAgg>& aggs, size_t memory_budget) {
  const auto [lo, hi] = purchase_range(aggs);
  if (hi < lo) return;
  PurchaseDayBits bits(lo, hi, aggs.size(), memory_budget);
  for (size_t p = 0; p < bits.partitions(); ++p) {
    bits.start(p);
    for (size_t i = 0; i < key.size(); ++i)
      if (amount[i] >= 0 && key[i] < aggs.size() && (aggs[key[i]].flags & kHasPurchase) && day[i] <= hi)
        bits.add(key[i], day[i]);
    bits.finish([&](uint32_t k, uint32_t n) { aggs[k].purchase_days = n; });
  }
}

KeyedAggregator::KeyedAggregator(size_t customers, Day as_of, unsigned threads)
    : aggs_(huge_page_vector<CustomerAgg>(customers)), as_of_(as_of), threads_(threads ? threads : 1) {}

void KeyedAggregator::add(std::span<const uint32_t> key, std::span<const Day> day, std::span<const int64_t> amount) {
  const auto n_keys = static_cast<uint32_t>(aggs_.size());
  const unsigned threads = key.size() >= (1u << 16) && n_keys >= (1u << 16) ? threads_ : 1;
  std::vector<Partial> part(threads);
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t)
    pool.emplace_back([&, t] {
      add_range(key, day, amount, static_cast<uint32_t>(uint64_t{n_keys} * t / threads),
                static_cast<uint32_t>(uint64_t{n_keys} * (t + 1) / threads), part[t]);
    });
  add_range(key, day, amount, 0, static_cast<uint32_t>(uint64_t{n_keys} / threads), part[0]);
  for (auto& th : pool) th.join();
  for (const auto& p : part) {
    max_day_ = std::max(max_day_, p.max_day);
    ordered_ = ordered_ && p.ordered;
  }
}

void KeyedAggregator::add_range(std::span<const uint32_t> key, std::span<const Day> day,
                                std::span<const int64_t> amount, uint32_t lo, uint32_t hi, Partial& out) {
  // Far enough ahead to cover a DRAM miss at 100M rows over 10M customers (8 was measured 15 % slower).
  constexpr size_t kAhead = 32;
  const size_t n = key.size();
  Day max_day = out.max_day;
  bool ordered = out.ordered;
  // Guests (UINT32_MAX) are never in [lo, hi).
  for (size_t i = 0; i < n; ++i) {
    if (i + kAhead < n && key[i + kAhead] >= lo && key[i + kAhead] < hi) __builtin_prefetch(&aggs_[key[i + kAhead]], 1);
    const uint32_t k = key[i];
    const Day d = day[i];
    if (k < lo || k >= hi || d > as_of_) continue;
    max_day = std::max(max_day, d);
    CustomerAgg& a = aggs_[k];
    a.net += amount[i];
    if (amount[i] < 0) continue;
    ++a.orders;
    if (!(a.flags & kHasPurchase)) {
      a.flags |= kHasPurchase;
      a.first = a.last = d;
      a.purchase_days = 1;
    } else if (d > a.last) {
      a.last = d;
      ++a.purchase_days;
    } else if (d < a.last) {
      ordered = false;
      a.first = std::min(a.first, d);
    }
  }
  out.max_day = max_day;
  out.ordered = ordered;
}

namespace {
char* put_int(char* p, int64_t v) { return std::to_chars(p, p + 24, v).ptr; }

char* put_date(char* p, Day d) {
  const CivilDate c = civil_from_days(d);
  auto two = [&](unsigned v) {
    *p++ = static_cast<char>('0' + v / 10);
    *p++ = static_cast<char>('0' + v % 10);
  };
  const int y = c.year;
  *p++ = static_cast<char>('0' + y / 1000 % 10);
  *p++ = static_cast<char>('0' + y / 100 % 10);
  two(static_cast<unsigned>(y % 100));
  *p++ = '-';
  two(c.month);
  *p++ = '-';
  two(c.day);
  return p;
}

char* put_money(char* p, int64_t minor, int digits) {
  if (digits == 0) return put_int(p, minor);
  int64_t div = 1;
  for (int i = 0; i < digits; ++i) div *= 10;
  if (minor < 0) {
    *p++ = '-';
    minor = -minor;
  }
  p = put_int(p, minor / div);
  *p++ = '.';
  int64_t frac = minor % div;
  char tmp[20];
  for (int i = digits - 1; i >= 0; --i) {
    tmp[i] = static_cast<char>('0' + frac % 10);
    frac /= 10;
  }
  std::memcpy(p, tmp, static_cast<size_t>(digits));
  return p + digits;
}

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0); }
}  // namespace

void format_rows(const std::function<const CustomerAgg&(uint32_t)>& agg_of,
                 const std::function<std::string_view(uint32_t)>& id_of, size_t begin, size_t end, Day as_of,
                 int minor_digits, const SegmentRules& rules, std::string& out) {
  char line[512];
  for (size_t k = begin; k < end; ++k) {
    const CustomerAgg& a = agg_of(static_cast<uint32_t>(k));
    if (!(a.flags & kHasPurchase)) continue;
    const std::string_view id = id_of(static_cast<uint32_t>(k));
    const bool quote = id.find_first_of(",\"\r\n") != std::string_view::npos;
    if (quote) {
      out += '"';
      for (char c : id) {
        if (c == '"') out += '"';
        out += c;
      }
      out += '"';
    } else {
      out.append(id);
    }
    char* p = line;
    *p++ = ',';
    p = put_date(p, a.first);
    *p++ = ',';
    p = put_date(p, a.last);
    *p++ = ',';
    p = put_int(p, as_of - a.last);
    *p++ = ',';
    p = put_int(p, a.last - a.first);
    *p++ = ',';
    p = put_int(p, a.purchase_days);
    *p++ = ',';
    p = put_money(p, a.net, minor_digits);
    *p++ = ',';
    const int64_t n = a.orders;
    p = put_money(p, floor_div(2 * a.net + n, 2 * n), minor_digits);
    *p++ = ',';
    const auto seg = segment_name(classify(a, as_of, rules));
    std::memcpy(p, seg.data(), seg.size());
    p += seg.size();
    *p++ = '\n';
    out.append(line, static_cast<size_t>(p - line));
  }
}

}  // namespace koko::features
