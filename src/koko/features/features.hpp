#pragma once
// Per-customer features from orders: first and last purchase, purchase days, orders, net revenue, mean order value
// and the CRM segment (loyal / general / lapsed). The hot path of koko: orders → one row per customer.
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "koko/core/date.hpp"

namespace koko::features {

// One customer's running totals: 32 bytes, so a lookup touches one cache line.
struct CustomerAgg {
  Day first = 0;               // first purchase day
  Day last = 0;                // last purchase day
  uint32_t purchase_days = 0;  // distinct days with a purchase
  uint32_t orders = 0;         // purchase orders (amount >= 0)
  int64_t net = 0;             // all amounts, returns included, minor units
  uint32_t id_offset = 0;      // the ID's bytes in the table's arena
  uint16_t id_length = 0;
  uint16_t flags = 0;          // kHasPurchase
};
static_assert(sizeof(CustomerAgg) == 32);
inline constexpr uint16_t kHasPurchase = 1;

// The CRM map's rules (config keys segment.current.max_recency_days, segment.loyal.max_recency_days,
// segment.loyal.min_purchase_days).
struct SegmentRules {
  int current_max_recency_days = 365;
  int loyal_max_recency_days = 180;
  int loyal_min_purchase_days = 4;
};

enum class Segment : uint8_t { loyal, general, lapsed };
std::string_view segment_name(Segment s);

inline Segment classify(const CustomerAgg& c, Day as_of, const SegmentRules& r) {
  const int recency = as_of - c.last;
  if (static_cast<int>(c.purchase_days) >= r.loyal_min_purchase_days && recency <= r.loyal_max_recency_days)
    return Segment::loyal;
  if (recency <= r.current_max_recency_days) return Segment::general;
  return Segment::lapsed;
}

// Opaque customer IDs → dense keys with their aggregates: a flat open-addressing table of (hash tag, key). Each
// customer's aggregate sits beside the first 32 bytes of its ID in one 64-byte line, so a lookup that finds its
// customer touches two cache lines: the slot and that line. Keys are dense in order of first appearance.
class CustomerTable {
 public:
  CustomerTable();
  // The key of id (hash = XXH3-64 of its bytes), inserting it when new.
  uint32_t intern(std::string_view id, uint64_t hash);
  [[nodiscard]] size_t size() const { return size_; }
  [[nodiscard]] std::string_view id(uint32_t key) const {
    const auto& a = entry(key).agg;
    return {arena_at(a.id_offset), a.id_length};
  }
  CustomerAgg& agg(uint32_t key) { return entry(key).agg; }
  [[nodiscard]] const CustomerAgg& agg(uint32_t key) const { return entry(key).agg; }
  [[nodiscard]] size_t memory_bytes() const;  // what the table holds now

  // Prefetch hints for a batch pipeline: the slot for a hash, then its likely customer's line.
  void prefetch_slot(uint64_t hash) const { __builtin_prefetch(&slots_[hash & mask_]); }
  void prefetch_candidate(uint64_t hash) const;

  // Adds one order to a key; false when the customer's orders are not in date order (purchase_days then needs
  // the exact recount of count_purchase_days).
  bool add(uint32_t key, Day day, int64_t amount) {
    CustomerAgg& a = entry(key).agg;
    a.net += amount;
    if (amount < 0) return true;  // a return: never a purchase or a purchase day
    ++a.orders;
    if (!(a.flags & kHasPurchase)) {
      a.flags |= kHasPurchase;
      a.first = a.last = day;
      a.purchase_days = 1;
      return true;
    }
    if (day > a.last) {
      a.last = day;
      ++a.purchase_days;
      return true;
    }
    if (day == a.last) return true;
    if (day < a.first) a.first = day;
    return false;
  }

 private:
  static constexpr size_t kInline = 32;
  struct alignas(64) Entry {
    CustomerAgg agg;
    char head[kInline];  // the ID's first bytes, compared before the arena is touched
  };
  // Entries and ID bytes live in fixed blocks that never move: growing costs no copy and no doubled peak.
  static constexpr unsigned kEntryShift = 16;            // 65,536 entries (4 MiB) a block
  static constexpr unsigned kArenaShift = 22;            // 4 MiB of ID bytes a block
  Entry& entry(uint32_t k) { return entry_blocks_[k >> kEntryShift][k & ((1u << kEntryShift) - 1)]; }
  [[nodiscard]] const Entry& entry(uint32_t k) const {
    return entry_blocks_[k >> kEntryShift][k & ((1u << kEntryShift) - 1)];
  }
  [[nodiscard]] const char* arena_at(uint32_t off) const {
    return arena_blocks_[off >> kArenaShift].get() + (off & ((1u << kArenaShift) - 1));
  }
  uint32_t store_id(std::string_view id);
  void grow();
  std::vector<uint64_t> slots_;  // (hash >> 32) << 32 | (key + 1); 0 = empty
  size_t mask_ = 0;
  size_t size_ = 0;
  std::vector<std::unique_ptr<Entry[]>> entry_blocks_;
  std::vector<std::unique_ptr<char[]>> arena_blocks_;  // every ID's bytes, for id() and the bytes past kInline
  uint64_t arena_used_ = 0;                              // bytes of the arena in use (offsets are 32-bit)
};

// Exact purchase days for orders in any order: one bit per customer and day over [lo, hi], for the customers
// [begin, end) that fit the memory given; callers pass over the orders once per partition.
class PurchaseDayBits {
 public:
  PurchaseDayBits(Day lo, Day hi, size_t customers, size_t memory_budget);
  [[nodiscard]] size_t partitions() const { return (customers_ + per_pass_ - 1) / per_pass_; }
  void start(size_t partition);  // clears the bitmaps for that partition's customers
  void add(uint32_t key, Day day) {
    if (key < begin_ || key >= end_ || day < lo_) return;
    const auto off = static_cast<size_t>(day - lo_);
    if (off >= span_) return;
    bits_[(key - begin_) * words_ + off / 64] |= uint64_t{1} << (off % 64);
  }
  // Writes the partition's counts through set(key, purchase_days).
  void finish(const std::function<void(uint32_t, uint32_t)>& set) const;

 private:
  Day lo_;
  size_t span_, words_, customers_, per_pass_, begin_ = 0, end_ = 0;
  std::vector<uint64_t> bits_;
};

// Purchase days for orders in any order (in memory: the stored-orders and general paths).
void count_purchase_days(std::span<const uint32_t> key, std::span<const Day> day, std::span<const int64_t> amount,
                         std::vector<CustomerAgg>& aggs, size_t memory_budget);

// Aggregates orders with dense keys chunk by chunk, as of a date (later orders are ignored); when some customer's
// orders come out of date order, in_date_order() turns false and purchase days need PurchaseDayBits.
class KeyedAggregator {
 public:
  // threads > 1: each chunk is aggregated by that many threads, each owning a range of customer keys (every
  // customer is still updated by one thread in row order, so the result is the same).
  KeyedAggregator(size_t customers, Day as_of, unsigned threads = 1);
  void add(std::span<const uint32_t> key, std::span<const Day> day, std::span<const int64_t> amount);
  [[nodiscard]] bool in_date_order() const { return ordered_; }
  std::vector<CustomerAgg>& aggs() { return aggs_; }
  [[nodiscard]] Day max_day() const { return max_day_; }

 private:
  struct Partial {
    Day max_day = INT32_MIN;
    bool ordered = true;
  };
  // Rows whose key is in [lo, hi).
  void add_range(std::span<const uint32_t> key, std::span<const Day> day, std::span<const int64_t> amount, uint32_t lo,
                 uint32_t hi, Partial& out);
  std::vector<CustomerAgg> aggs_;
  Day as_of_;
  unsigned threads_ = 1;
  Day max_day_ = INT32_MIN;
  bool ordered_ = true;
};

// Formats customers [begin, end) as CSV lines: customer_id,first_date,last_date,recency_days,tenure_days,
// purchase_days,net_revenue,mean_order_value,segment. Customers without a purchase are left out.
// mean_order_value = (2·net + n) div (2·n) minor units over n purchase orders.
void format_rows(const std::function<const CustomerAgg&(uint32_t)>& agg_of,
                 const std::function<std::string_view(uint32_t)>& id_of, size_t begin, size_t end, Day as_of,
                 int minor_digits, const SegmentRules& rules, std::string& out);
std::string_view csv_header();

}  // namespace koko::features
