#include "koko/features/features.hpp"

#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <charconv>
#include <cstring>

#include "koko/core/error.hpp"

namespace koko::features {

std::string_view segment_name(Segment s) {
  switch (s) {
    case Segment::loyal: return "loyal";
    case Segment::general: return "general";
    case Segment::lapsed: return "lapsed";
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
  __builtin_prefetch(&entries_[static_cast<uint32_t>(slot & 0xFFFFFFFFu) - 1]);
}

uint32_t CustomerTable::intern(std::string_view id, uint64_t hash) {
  if ((entries_.size() + 1) * 10 > slots_.size() * 6) grow();
  const uint64_t tag = hash & 0xFFFFFFFF00000000ull;
  const size_t head = std::min(id.size(), kInline);
  for (size_t s = hash & mask_;; s = (s + 1) & mask_) {
    const uint64_t slot = slots_[s];
    if (slot == 0) {
      if (entries_.size() >= UINT32_MAX - 2 || arena_.size() + id.size() > UINT32_MAX || id.size() > UINT16_MAX)
        throw Error(ErrorCode::input, "too many or too long customer IDs for one table", {},
                    "split the data by customer");
      const auto key = static_cast<uint32_t>(entries_.size());
      Entry& e = entries_.emplace_back();
      e.agg.id_offset = static_cast<uint32_t>(arena_.size());
      e.agg.id_length = static_cast<uint16_t>(id.size());
      std::memcpy(e.head, id.data(), head);
      arena_.append(id);
      slots_[s] = tag | (key + 1);
      return key;
    }
    if ((slot & 0xFFFFFFFF00000000ull) == tag) {
      const auto key = static_cast<uint32_t>(slot & 0xFFFFFFFFu) - 1;
      const Entry& e = entries_[key];
      if (e.agg.id_length == id.size() && std::memcmp(e.head, id.data(), head) == 0 &&
          (id.size() <= kInline ||
           std::memcmp(arena_.data() + e.agg.id_offset + kInline, id.data() + kInline, id.size() - kInline) == 0))
        return key;
    }
  }
}

void CustomerTable::grow() {
  const size_t n = slots_.size() * 2;
  slots_.assign(n, 0);
  mask_ = n - 1;
  for (uint32_t k = 0; k < entries_.size(); ++k) {
    const auto& a = entries_[k].agg;
    const uint64_t h = XXH3_64bits(arena_.data() + a.id_offset, a.id_length);
    size_t s = h & mask_;
    while (slots_[s] != 0) s = (s + 1) & mask_;
    slots_[s] = (h & 0xFFFFFFFF00000000ull) | (k + 1);
  }
}

void count_purchase_days(std::span<const uint32_t> key, std::span<const Day> day, std::span<const int64_t> amount,
                         std::vector<CustomerAgg>& aggs, size_t memory_budget) {
  Day lo = 0, hi = -1;
  for (const auto& a : aggs) {
    if (!(a.flags & kHasPurchase)) continue;
    if (hi < lo) lo = a.first, hi = a.last;
    lo = std::min(lo, a.first);
    hi = std::max(hi, a.last);
  }
  if (hi < lo) return;
  const size_t words = (static_cast<size_t>(hi - lo) + 64) / 64;  // bitmap words per customer
  const size_t per_pass = std::max<size_t>(1, memory_budget / (words * 8));
  std::vector<uint64_t> bits;
  for (size_t begin = 0; begin < aggs.size(); begin += per_pass) {
    const size_t end = std::min(aggs.size(), begin + per_pass);
    bits.assign((end - begin) * words, 0);
    for (size_t i = 0; i < key.size(); ++i) {
      const uint32_t k = key[i];
      if (k < begin || k >= end || amount[i] < 0) continue;
      const auto d = static_cast<size_t>(day[i] - lo);
      bits[(k - begin) * words + d / 64] |= uint64_t{1} << (d % 64);
    }
    for (size_t k = begin; k < end; ++k) {
      uint32_t n = 0;
      for (size_t w = 0; w < words; ++w) n += static_cast<uint32_t>(__builtin_popcountll(bits[(k - begin) * words + w]));
      aggs[k].purchase_days = n;
    }
  }
}

std::vector<CustomerAgg> aggregate(std::span<const uint32_t> key, std::span<const Day> day,
                                   std::span<const int64_t> amount, size_t n_customers, Day as_of,
                                   size_t memory_budget) {
  std::vector<CustomerAgg> aggs(n_customers);
  bool ordered = true;
  constexpr uint32_t kGuest = UINT32_MAX;
  for (size_t i = 0; i < key.size(); ++i) {
    const uint32_t k = key[i];
    if (k == kGuest || day[i] > as_of) continue;
    CustomerAgg& a = aggs[k];
    a.net += amount[i];
    if (amount[i] < 0) continue;
    ++a.orders;
    if (!(a.flags & kHasPurchase)) {
      a.flags |= kHasPurchase;
      a.first = a.last = day[i];
      a.purchase_days = 1;
    } else if (day[i] > a.last) {
      a.last = day[i];
      ++a.purchase_days;
    } else if (day[i] < a.last) {
      ordered = false;
      a.first = std::min(a.first, day[i]);
    }
  }
  if (!ordered) {
    // Recount over the orders up to as_of only.
    std::vector<uint32_t> k2;
    std::vector<Day> d2;
    std::vector<int64_t> a2;
    const bool all = std::all_of(day.begin(), day.end(), [&](Day d) { return d <= as_of; });
    if (all) {
      count_purchase_days(key, day, amount, aggs, memory_budget);
    } else {
      for (size_t i = 0; i < key.size(); ++i)
        if (key[i] != kGuest && day[i] <= as_of) {
          k2.push_back(key[i]);
          d2.push_back(day[i]);
          a2.push_back(amount[i]);
        }
      count_purchase_days(k2, d2, a2, aggs, memory_budget);
    }
  }
  return aggs;
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
