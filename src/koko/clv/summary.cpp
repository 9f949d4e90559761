// Orders → (x, t_x, T, monetary, holdout purchases) per customer on a day grid. One pass over the orders in day
// order (a counting sort by day when they are not already in day order) with flat per-customer arrays.
#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "koko/clv/clv.hpp"
#include "koko/core/error.hpp"

namespace koko::clv {
namespace {

constexpr Day kNone = std::numeric_limits<Day>::max();

// Order indices in ascending day (stable), or empty when the orders already are.
std::vector<uint32_t> day_order(std::span<const Day> day, Day lo, Day hi) {
  bool sorted = true;
  for (size_t i = 1; i < day.size() && sorted; ++i) sorted = day[i - 1] <= day[i];
  if (sorted) return {};
  std::vector<uint32_t> start(static_cast<size_t>(hi - lo) + 2, 0);
  for (const Day d : day) ++start[static_cast<size_t>(d - lo) + 1];
  for (size_t i = 1; i < start.size(); ++i) start[i] += start[i - 1];
  std::vector<uint32_t> order(day.size());
  for (size_t i = 0; i < day.size(); ++i) order[start[static_cast<size_t>(day[i] - lo)]++] = static_cast<uint32_t>(i);
  return order;
}

// Per-customer state in one struct, so an order touches one cache line.
struct State {
  int64_t cur_sum = 0, rep_sum = 0;
  Day first = kNone, cur_day = kNone, last_hold = kNone;
  int32_t days = 0, hold = 0;
};

// True when every customer's orders are contiguous (e.g. a log sorted by customer): then each customer is summarised
// from its own few orders, sorted locally, without random access.
bool grouped_by_customer(std::span<const uint32_t> customer, uint32_t n_customers) {
  std::vector<uint64_t> seen((static_cast<size_t>(n_customers) + 63) / 64, 0);
  uint32_t prev = kGuest;
  for (const uint32_t c : customer) {
    if (c == prev || c == kGuest) continue;
    uint64_t& w = seen[c / 64];
    const uint64_t bit = uint64_t{1} << (c % 64);
    if (w & bit) return false;
    w |= bit;
    prev = c;
  }
  return true;
}

}  // namespace

Summary summarize(const OrdersView& o, uint32_t n_customers, const SummaryOptions& opt) {
  const size_t n = o.customer.size();
  if (o.day.size() != n || o.amount.size() != n)
    throw Error(ErrorCode::internal, "clv: order columns have different lengths");
  if (n >= std::numeric_limits<uint32_t>::max()) throw Error(ErrorCode::internal, "clv: too many orders");
  if (opt.unit_days < 1) throw Error(ErrorCode::usage, "the time unit must be at least one day", {}, "--unit day|week");
  Day lo = kNone, hi = std::numeric_limits<Day>::min();
  bool any_purchase = false;
  for (size_t i = 0; i < n; ++i) {
    if (o.customer[i] == kGuest) continue;
    if (o.customer[i] >= n_customers)
      throw Error(ErrorCode::internal, fmt::format("clv: customer key {} out of range", o.customer[i]));
    lo = std::min(lo, o.day[i]);
    hi = std::max(hi, o.day[i]);
    any_purchase = any_purchase || o.amount[i] >= 0;
  }
  if (!any_purchase)
    throw Error(ErrorCode::analysis, "there are no purchases by identified customers to summarise", {},
                "import orders with a customer ID column");

  Summary s;
  s.unit_days = opt.unit_days;
  s.first_order_day = lo;
  s.last_order_day = hi;
  s.calibration_end = opt.calibration_end.value_or(hi);
  s.holdout_end = opt.holdout_end.value_or(std::max(hi, s.calibration_end));
  if (s.calibration_end < lo)
    throw Error(ErrorCode::usage,
                fmt::format("the calibration period is empty: it ends on {}, before the first order ({})",
                            format_date(s.calibration_end), format_date(lo)),
                {}, fmt::format("use a --calibration-end between {} and {}", format_date(lo), format_date(hi)));
  if (s.holdout_end < s.calibration_end)
    throw Error(ErrorCode::usage, "the holdout ends before the calibration period does", {},
                "give --holdout-end after --calibration-end");
  if (opt.holdout_end && s.calibration_end >= hi && s.holdout_end > s.calibration_end)
    throw Error(ErrorCode::usage,
                fmt::format("the holdout ({} to {}) starts after the last order ({})",
                            format_date(s.calibration_end + 1), format_date(s.holdout_end), format_date(hi)),
                {}, fmt::format("use a --calibration-end before {} to keep a holdout", format_date(hi)));
  if (s.holdout_end > hi && s.holdout_end > s.calibration_end)
    s.warnings.push_back(fmt::format("the holdout runs to {}, past the last order ({}); purchases after it are counted as none",
                                     format_date(s.holdout_end), format_date(hi)));
  if (s.calibration_end > hi)
    s.warnings.push_back(fmt::format("the calibration period ends on {}, after the last order ({})",
                                     format_date(s.calibration_end), format_date(hi)));
  s.holdout_units = static_cast<double>(s.holdout_end - s.calibration_end) / opt.unit_days;
  const auto span_days = static_cast<size_t>(std::max(s.holdout_end, hi) - lo) + 1;
  s.first_purchases_by_day.assign(span_days, 0);
  s.repeat_days_by_day.assign(span_days, 0);

  std::vector<State> pc(n_customers);
  int64_t returns = 0;
  // One purchase (amount ≥ 0, not a guest), visited in day order per customer.
  auto purchase = [&](State& st, Day d, int64_t a) {
    if (d > s.holdout_end) return;
    const auto di = static_cast<size_t>(d - lo);
    if (d <= s.calibration_end) {
      if (st.first == kNone) {
        st.first = st.cur_day = d;
        st.cur_sum = a;
        st.days = 1;
        ++s.first_purchases_by_day[di];
      } else if (d == st.cur_day) {
        st.cur_sum += a;
      } else {
        if (st.cur_day != st.first) st.rep_sum += st.cur_sum;
        st.cur_day = d;
        st.cur_sum = a;
        ++st.days;
        ++s.repeat_days_by_day[di];
      }
    } else if (st.first != kNone) {
      if (st.last_hold != d) {
        st.last_hold = d;
        ++st.hold;
        ++s.repeat_days_by_day[di];
      }
    } else if (st.last_hold == kNone) {
      st.last_hold = d;  // first purchase after the calibration end: not in the cohort
      ++s.later_customers;
    }
  };
  if (grouped_by_customer(o.customer, n_customers)) {
    std::vector<std::pair<Day, int64_t>> mine;
    for (size_t i = 0; i < n;) {
      const uint32_t c = o.customer[i];
      size_t j = i;
      mine.clear();
      for (; j < n && o.customer[j] == c; ++j) {
        if (c == kGuest) continue;
        if (o.amount[j] < 0) ++returns;
        else mine.emplace_back(o.day[j], o.amount[j]);
      }
      if (c != kGuest) {
        std::stable_sort(mine.begin(), mine.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
        State st;
        for (const auto& [d, a] : mine) purchase(st, d, a);
        pc[c] = st;
      }
      i = j;
    }
  } else {
    const auto order = day_order(o.day, *std::min_element(o.day.begin(), o.day.end()),
                                 *std::max_element(o.day.begin(), o.day.end()));
    // Each order updates a random customer's state: fetch it a few dozen orders ahead.
    constexpr size_t kAhead = 32;
    for (size_t k = 0; k < n; ++k) {
      if (k + kAhead < n) {
        const uint32_t ahead = o.customer[order.empty() ? k + kAhead : order[k + kAhead]];
        if (ahead != kGuest) __builtin_prefetch(&pc[ahead], 1);
      }
      const size_t i = order.empty() ? k : order[k];
      const uint32_t c = o.customer[i];
      if (c == kGuest) continue;
      if (o.amount[i] < 0) {
        ++returns;
        continue;
      }
      purchase(pc[c], o.day[i], o.amount[i]);
    }
  }
  s.returns_ignored = returns;

  const double unit = opt.unit_days;
  for (uint32_t c = 0; c < n_customers; ++c) {
    State& st = pc[c];
    if (st.first == kNone) continue;
    if (st.cur_day != st.first) st.rep_sum += st.cur_sum;
    const int32_t x = st.days - 1;
    s.customer.push_back(c);
    s.first_day.push_back(st.first);
    s.x.push_back(x);
    s.t_x.push_back(static_cast<double>(st.cur_day - st.first) / unit);
    s.T.push_back(static_cast<double>(s.calibration_end - st.first) / unit);
    s.monetary.push_back(x > 0 ? static_cast<double>(st.rep_sum) / x / opt.minor_per_major : 0.0);
    s.x_holdout.push_back(st.hold);
    if (x > 0) ++s.repeaters;
    s.repeat_days_total += x;
  }
  if (s.customer.empty())
    throw Error(ErrorCode::usage, "no customer made a purchase on or before the calibration end", {},
                "use a later --calibration-end");
  bool any_time = false;
  for (double t : s.T) any_time = any_time || t > 0;
  if (!any_time)
    throw Error(ErrorCode::usage,
                fmt::format("the calibration period has zero length: every customer's first purchase is on {}",
                            format_date(s.calibration_end)),
                {}, "use a later --calibration-end");
  return s;
}

}  // namespace koko::clv
