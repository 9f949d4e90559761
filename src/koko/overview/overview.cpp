// Overview kernel: a few streaming passes over the order arrays plus flat per-customer arrays indexed by the dense
// key. Only the median and the concentration/Lorenz curve sort; everything else is O(rows + customers + months).
#include "koko/overview/overview.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>

#include "koko/core/error.hpp"

namespace koko::overview {
namespace {

constexpr Day kNoDay = std::numeric_limits<Day>::max();

// Per-customer state, one flat array per field, indexed by the dense customer key.
struct Customers {
  std::vector<Day> first;    // first purchase day, kNoDay when the key never purchased
  std::vector<Day> second;   // second distinct purchase day, kNoDay when none
  std::vector<int64_t> net;  // sum of all amounts, returns included

  explicit Customers(uint32_t n) : first(n, kNoDay), second(n, kNoDay), net(n, 0) {}
  [[nodiscard]] bool purchased(size_t c) const { return first[c] != kNoDay; }
};

double ratio(int64_t num, int64_t den) { return den == 0 ? 0.0 : static_cast<double>(num) / static_cast<double>(den); }

void check_input(const OrdersView& orders, const OverviewConfig& config) {
  const size_t n = orders.customer.size();
  if (orders.day.size() != n || orders.amount.size() != n) {
    throw Error{ErrorCode::internal, "overview: order columns have different lengths"};
  }
  if (n == 0) throw Error{ErrorCode::analysis, "no orders to analyse", "", "import orders first: koko import orders FILE"};
  if (config.lorenz_points < 1) {
    throw Error{ErrorCode::analysis, "overview: lorenz_points must be at least 1", "", "set lorenz_points >= 1"};
  }
}

// Keeps the smallest and second-smallest distinct purchase day, so input order does not matter.
void add_purchase_day(Customers& cs, uint32_t c, Day d) {
  if (d < cs.first[c]) {
    cs.second[c] = cs.first[c];
    cs.first[c] = d;
  } else if (d > cs.first[c] && d < cs.second[c]) {
    cs.second[c] = d;
  }
}

// Pass 1: totals, the day range and per-customer first/second purchase day and net revenue.
void scan_orders(const OrdersView& orders, uint32_t n_customers, Overview& out, Customers& cs) {
  Day lo = kNoDay;
  Day hi = std::numeric_limits<Day>::min();
  for (size_t i = 0; i < orders.customer.size(); ++i) {
    const uint32_t c = orders.customer[i];
    const Day d = orders.day[i];
    const int64_t a = orders.amount[i];
    lo = std::min(lo, d);
    hi = std::max(hi, d);
    if (a >= 0) {
      ++out.orders;
      out.gross_revenue += a;
    } else {
      ++out.returns;
      out.returned_amount += a;
    }
    if (c == kGuest) {
      ++out.guest_orders;
      continue;
    }
    if (c >= n_customers) {
      throw Error{ErrorCode::internal, "overview: customer key " + std::to_string(c) + " out of range (n_customers " +
                                           std::to_string(n_customers) + ")"};
    }
    cs.net[c] += a;
    if (a >= 0) add_purchase_day(cs, c, d);
  }
  out.net_revenue = out.gross_revenue + out.returned_amount;
  out.first_day = lo;
  out.last_day = hi;
}

void repeat_and_second_purchase(const Customers& cs, const OverviewConfig& config, Overview& out) {
  std::vector<int64_t> eligible(config.windows.size(), 0);
  std::vector<int64_t> converted(config.windows.size(), 0);
  std::vector<int32_t> gaps;  // days from first to second purchase, for the median
  for (size_t c = 0; c < cs.first.size(); ++c) {
    if (!cs.purchased(c)) continue;
    ++out.customers;
    const int64_t observed = int64_t{out.last_day} - cs.first[c];
    const bool has_second = cs.second[c] != kNoDay;
    const int64_t gap = has_second ? int64_t{cs.second[c]} - cs.first[c] : 0;
    if (has_second) gaps.push_back(static_cast<int32_t>(gap));
    for (size_t w = 0; w < config.windows.size(); ++w) {
      if (observed < config.windows[w]) continue;
      ++eligible[w];
      if (has_second && gap <= config.windows[w]) ++converted[w];
    }
  }
  out.repeat_customers = static_cast<int64_t>(gaps.size());
  out.repeat_rate = ratio(out.repeat_customers, out.customers);
  out.second_purchasers = out.repeat_customers;
  for (size_t w = 0; w < config.windows.size(); ++w) {
    out.second_purchase.push_back({config.windows[w], eligible[w], converted[w], ratio(converted[w], eligible[w])});
  }
  if (gaps.empty()) return;
  const size_t mid = gaps.size() / 2;
  std::nth_element(gaps.begin(), gaps.begin() + static_cast<std::ptrdiff_t>(mid), gaps.end());
  const double upper = gaps[mid];
  if (gaps.size() % 2 == 1) {
    out.median_days_to_second = upper;
  } else {
    const double lower = *std::max_element(gaps.begin(), gaps.begin() + static_cast<std::ptrdiff_t>(mid));
    out.median_days_to_second = (lower + upper) / 2.0;
  }
}

// Month totals (every calendar month in range), new customers and the cohort rows; then active customers per month
// and per cohort from purchase rows bucketed by month (a counting sort), so each (customer, month) counts once.
void months_and_cohorts(const OrdersView& orders, const Customers& cs, Overview& out) {
  const int m0 = month_index(out.first_day);
  const int n_months = month_index(out.last_day) - m0 + 1;
  out.months.resize(static_cast<size_t>(n_months));
  for (int m = 0; m < n_months; ++m) out.months[static_cast<size_t>(m)] = {m0 + m, 0, 0, 0, 0, 0};

  std::vector<size_t> bucket_start(static_cast<size_t>(n_months) + 1, 0);
  for (size_t i = 0; i < orders.customer.size(); ++i) {
    MonthRow& row = out.months[static_cast<size_t>(month_index(orders.day[i]) - m0)];
    const int64_t a = orders.amount[i];
    ++(a >= 0 ? row.orders : row.returns);
    row.net_revenue += a;
    if (a >= 0 && orders.customer[i] != kGuest) ++bucket_start[static_cast<size_t>(row.month - m0) + 1];
  }
  for (size_t m = 0; m < static_cast<size_t>(n_months); ++m) bucket_start[m + 1] += bucket_start[m];

  std::vector<uint32_t> bucket(bucket_start.back());
  std::vector<size_t> fill(bucket_start.begin(), bucket_start.end() - 1);
  for (size_t i = 0; i < orders.customer.size(); ++i) {
    const uint32_t c = orders.customer[i];
    if (orders.amount[i] < 0 || c == kGuest) continue;
    bucket[fill[static_cast<size_t>(month_index(orders.day[i]) - m0)]++] = c;
  }

  std::vector<int32_t> cohort_of_customer(cs.first.size(), -1);  // month offset of the first purchase
  for (size_t c = 0; c < cs.first.size(); ++c) {
    if (!cs.purchased(c)) continue;
    cohort_of_customer[c] = month_index(cs.first[c]) - m0;
    ++out.months[static_cast<size_t>(cohort_of_customer[c])].new_customers;
  }

  CohortMatrix& cm = out.cohorts;
  std::vector<int32_t> cohort_row(static_cast<size_t>(n_months), -1);  // month offset -> cohort index
  for (int m = 0; m < n_months; ++m) {
    const MonthRow& row = out.months[static_cast<size_t>(m)];
    if (row.new_customers == 0) continue;
    cohort_row[static_cast<size_t>(m)] = static_cast<int32_t>(cm.cohort_month.size());
    cm.cohort_month.push_back(row.month);
    cm.size.push_back(row.new_customers);
    cm.active.emplace_back(static_cast<size_t>(n_months - m), 0);
  }
  cm.first_left_censored = true;

  std::vector<int32_t> seen_in(cs.first.size(), -1);  // last month offset the customer was counted in
  for (int m = 0; m < n_months; ++m) {
    const size_t mu = static_cast<size_t>(m);
    for (size_t j = bucket_start[mu]; j < bucket_start[mu + 1]; ++j) {
      const uint32_t c = bucket[j];
      if (seen_in[c] == m) continue;
      seen_in[c] = m;
      ++out.months[mu].active_customers;
      const int32_t co = cohort_of_customer[c];
      ++cm.active[static_cast<size_t>(cohort_row[static_cast<size_t>(co)])][static_cast<size_t>(m - co)];
    }
  }
}

// Concentration (top shares of customers by net revenue) and the Lorenz curve, from one ascending sort.
void concentration_and_lorenz(const Customers& cs, const OverviewConfig& config, Overview& out) {
  std::vector<int64_t> net;
  net.reserve(static_cast<size_t>(out.customers));
  for (size_t c = 0; c < cs.first.size(); ++c) {
    if (cs.purchased(c)) net.push_back(cs.net[c]);
  }
  std::sort(net.begin(), net.end());
  const int64_t n = static_cast<int64_t>(net.size());

  std::vector<int64_t> prefix(net.size() + 1, 0);  // prefix[i] = sum of the i smallest
  for (size_t i = 0; i < net.size(); ++i) prefix[i + 1] = prefix[i] + net[i];
  const int64_t total = prefix.back();
  for (const double share : config.top_shares) {
    int64_t k = static_cast<int64_t>(std::ceil(share * static_cast<double>(n) - 1e-9));
    k = n == 0 ? 0 : std::clamp<int64_t>(k, 1, n);
    const int64_t top = total - prefix[static_cast<size_t>(n - k)];
    out.concentration.push_back({share, k, total > 0 ? static_cast<double>(top) / static_cast<double>(total) : 0.0});
  }

  // Ascending by net is also ascending by max(net, 0), so the same order serves the Lorenz curve.
  int64_t positive_total = 0;
  for (const int64_t v : net) positive_total += std::max<int64_t>(v, 0);
  const int64_t points = config.lorenz_points;
  int64_t taken = 0;
  int64_t cumulative = 0;
  for (int64_t i = 0; i <= points; ++i) {
    const int64_t upto = (2 * i * n + points) / (2 * points);  // round(i * n / points), halves up
    for (; taken < upto; ++taken) cumulative += std::max<int64_t>(net[static_cast<size_t>(taken)], 0);
    const double x = static_cast<double>(i) / static_cast<double>(points);
    const double y = positive_total > 0 ? static_cast<double>(cumulative) / static_cast<double>(positive_total) : x;
    out.lorenz.push_back({x, y});
  }
  out.lorenz.back() = {1.0, 1.0};
}

}  // namespace

Overview compute_overview(const OrdersView& orders, uint32_t n_customers, const OverviewConfig& config) {
  check_input(orders, config);
  Overview out;
  Customers cs(n_customers);
  scan_orders(orders, n_customers, out, cs);
  repeat_and_second_purchase(cs, config, out);
  months_and_cohorts(orders, cs, out);
  concentration_and_lorenz(cs, config, out);
  return out;
}

}  // namespace koko::overview
