// Per-customer features: orders are grouped once by customer and day (a counting sort by customer, then each
// customer's days in order), so every as-of date, calibration split or comparison is one linear scan.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <thread>

#include "koko/core/cores.hpp"
#include "koko/core/error.hpp"
#include "koko/segment/segment.hpp"

namespace koko::segment {
namespace {

bool by_day(const DayEntry& a, const DayEntry& b) { return a.day < b.day || (a.day == b.day && a.net < b.net); }

// Customers [k_lo, k_hi): scatter their orders into days[] at their offsets (one random write per order), sort
// each customer's entries by day when the file was not in date order, and collapse them to one entry per day,
// written from the range's first offset on. Returns the end of the collapsed range.
uint64_t build_range(const OrdersView& o, std::span<const uint64_t> start, uint32_t k_lo, uint32_t k_hi,
                     std::vector<DayEntry>& days, std::vector<uint64_t>& new_start) {
  std::vector<uint64_t> fill(start.begin() + k_lo, start.begin() + k_hi);
  for (size_t i = 0; i < o.customer.size(); ++i) {
    const uint32_t c = o.customer[i];
    if (c < k_lo || c >= k_hi) continue;  // guests (kGuest) are above every range
    days[fill[c - k_lo]++] = {o.day[i], o.amount[i] >= 0 ? 1 : 0, o.amount[i]};
  }
  uint64_t w = start[k_lo];
  for (uint32_t k = k_lo; k < k_hi; ++k) {
    const auto b = days.begin() + static_cast<std::ptrdiff_t>(start[k]);
    const auto e = days.begin() + static_cast<std::ptrdiff_t>(start[k + 1]);
    if (!std::is_sorted(b, e, [](const DayEntry& x, const DayEntry& y) { return x.day < y.day; }))
      std::sort(b, e, by_day);
    new_start[k] = w;
    for (auto it = b; it != e; ++it) {  // w never passes it: the collapse is in place
      const DayEntry cur = *it;
      if (w > new_start[k] && days[w - 1].day == cur.day) {
        days[w - 1].orders += cur.orders;
        days[w - 1].net += cur.net;
      } else {
        days[w++] = cur;
      }
    }
  }
  return w;
}

}  // namespace

CustomerDays index_orders(const OrdersView& o, uint32_t n_customers) {
  const size_t n = o.customer.size();
  if (o.day.size() != n || o.amount.size() != n)
    throw Error{ErrorCode::internal, "segment: order columns have different lengths"};
  if (n == 0)
    throw Error{ErrorCode::analysis, "no orders to analyse", "", "import orders first: koko import orders FILE"};

  CustomerDays out;
  out.first_order_day = *std::min_element(o.day.begin(), o.day.end());
  out.last_order_day = *std::max_element(o.day.begin(), o.day.end());
  std::vector<uint64_t> start(static_cast<size_t>(n_customers) + 1, 0);
  for (size_t i = 0; i < n; ++i) {
    const uint32_t c = o.customer[i];
    if (c == kGuest) continue;
    if (c >= n_customers)
      throw Error{ErrorCode::internal, "segment: customer key " + std::to_string(c) + " out of range"};
    ++start[c + 1];
  }
  for (size_t k = 0; k < n_customers; ++k) start[k + 1] += start[k];

  // Key ranges of about equal rows, one per thread: the scatter is bound by memory latency, so two threads on
  // two cores halve it. The result does not depend on the number of ranges.
  const uint64_t rows = start.back();
  const size_t parts = rows < (1u << 20) ? 1 : std::clamp<size_t>(usable_cores(), 1, 4);
  std::vector<uint32_t> cut{0};
  for (size_t p = 1; p < parts; ++p) {
    const auto at = std::lower_bound(start.begin(), start.end(), rows * p / parts);
    cut.push_back(std::max(cut.back(), static_cast<uint32_t>(at - start.begin())));
  }
  cut.push_back(n_customers);
  out.days.resize(rows);
  out.start.assign(static_cast<size_t>(n_customers) + 1, 0);
  std::vector<uint64_t> end(parts);
  if (parts == 1) {
    end[0] = build_range(o, start, 0, n_customers, out.days, out.start);
  } else {
    std::vector<std::thread> pool;
    for (size_t p = 0; p < parts; ++p)
      pool.emplace_back([&, p] { end[p] = build_range(o, start, cut[p], cut[p + 1], out.days, out.start); });
    for (auto& t : pool) t.join();
  }
  // Close the gaps the collapse left between ranges.
  uint64_t w = end[0];
  for (size_t p = 1; p < parts; ++p) {
    const uint64_t from = start[cut[p]];
    std::copy(out.days.begin() + static_cast<std::ptrdiff_t>(from),
              out.days.begin() + static_cast<std::ptrdiff_t>(end[p]),
              out.days.begin() + static_cast<std::ptrdiff_t>(w));
    for (uint32_t k = cut[p]; k < cut[p + 1]; ++k) out.start[k] -= from - w;
    w += end[p] - from;
  }
  out.start[n_customers] = w;
  out.days.resize(w);
  return out;
}

Features compute_features(const CustomerDays& d, Day as_of) {
  Features f;
  f.as_of = as_of;
  const uint32_t n = d.customers();
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  for (uint32_t k = 0; k < n; ++k) {
    Day first = kNoDay, last = kNoDay;
    int32_t pdays = 0, orders = 0;
    int64_t net = 0;
    double gap_sum = 0, gap_sq = 0;
    for (uint64_t i = d.start[k]; i < d.start[k + 1] && d.days[i].day <= as_of; ++i) {
      const DayEntry& e = d.days[i];
      net += e.net;
      if (e.orders == 0) continue;
      if (pdays > 0) {
        const double g = e.day - last;
        gap_sum += g;
        gap_sq += g * g;
      } else {
        first = e.day;
      }
      last = e.day;
      ++pdays;
      orders += e.orders;
    }
    if (pdays == 0) continue;
    f.customer.push_back(k);
    f.first_purchase.push_back(first);
    f.last_purchase.push_back(last);
    f.purchase_days.push_back(pdays);
    f.orders.push_back(orders);
    f.net_revenue.push_back(net);
    f.mean_order_value.push_back(static_cast<double>(net) / orders);
    f.tenure_days.push_back(as_of - first);
    f.recency_days.push_back(as_of - last);
    f.active_span_days.push_back(last - first);
    const int32_t gaps = pdays - 1;
    const double mean = gaps > 0 ? gap_sum / gaps : kNaN;
    f.gap_mean_days.push_back(mean);
    if (gaps >= 2) {
      const double var = std::max(0.0, gap_sq / gaps - mean * mean);
      f.regularity.push_back(1.0 / (1.0 + std::sqrt(var) / mean));
    } else {
      f.regularity.push_back(kNaN);
    }
  }
  return f;
}

std::vector<int64_t> net_between(const CustomerDays& d, Day after, Day upto) {
  const uint32_t n = d.customers();
  std::vector<int64_t> out(n, 0);
  for (uint32_t k = 0; k < n; ++k) {
    // Days are ascending: skip to the first day after `after`, stop past `upto`.
    const auto b = d.days.begin() + static_cast<std::ptrdiff_t>(d.start[k]);
    const auto e = d.days.begin() + static_cast<std::ptrdiff_t>(d.start[k + 1]);
    auto it = std::partition_point(b, e, [after](const DayEntry& x) { return x.day <= after; });
    for (; it != e && it->day <= upto; ++it) out[k] += it->net;
  }
  return out;
}

}  // namespace koko::segment
