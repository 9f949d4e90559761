// Overview kernel: every expectation below is worked out by hand in the comment beside it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

#include "koko/core/date.hpp"
#include "koko/core/error.hpp"
#include "koko/overview/overview.hpp"

using namespace koko;
using namespace koko::overview;

namespace {

struct Order {
  uint32_t customer;
  Day day;
  int64_t amount;
};

// Owns the columns so the view's spans stay valid.
struct Orders {
  std::vector<uint32_t> customer;
  std::vector<Day> day;
  std::vector<int64_t> amount;

  explicit Orders(const std::vector<Order>& rows) {
    for (const Order& o : rows) {
      customer.push_back(o.customer);
      day.push_back(o.day);
      amount.push_back(o.amount);
    }
  }
  [[nodiscard]] OrdersView view() const { return {customer, day, amount}; }
};

Overview run(const std::vector<Order>& rows, uint32_t n_customers, const OverviewConfig& config = {}) {
  const Orders o(rows);
  return compute_overview(o.view(), n_customers, config);
}

constexpr Day ymd(int y, unsigned m, unsigned d) { return days_from_civil(y, m, d); }
constexpr int mon(int y, int m) { return y * 12 + m - 1; }

constexpr uint32_t A = 0, B = 1, C = 2, D = 3, E = 4, F = 5;

void expect_same(const Overview& x, const Overview& y) {
  EXPECT_EQ(x.customers, y.customers);
  EXPECT_EQ(x.orders, y.orders);
  EXPECT_EQ(x.returns, y.returns);
  EXPECT_EQ(x.guest_orders, y.guest_orders);
  EXPECT_EQ(x.gross_revenue, y.gross_revenue);
  EXPECT_EQ(x.returned_amount, y.returned_amount);
  EXPECT_EQ(x.net_revenue, y.net_revenue);
  EXPECT_EQ(x.first_day, y.first_day);
  EXPECT_EQ(x.last_day, y.last_day);
  EXPECT_EQ(x.repeat_customers, y.repeat_customers);
  EXPECT_EQ(x.repeat_rate, y.repeat_rate);
  ASSERT_EQ(x.second_purchase.size(), y.second_purchase.size());
  for (size_t i = 0; i < x.second_purchase.size(); ++i) {
    EXPECT_EQ(x.second_purchase[i].window_days, y.second_purchase[i].window_days);
    EXPECT_EQ(x.second_purchase[i].eligible, y.second_purchase[i].eligible);
    EXPECT_EQ(x.second_purchase[i].converted, y.second_purchase[i].converted);
    EXPECT_EQ(x.second_purchase[i].rate, y.second_purchase[i].rate);
  }
  EXPECT_EQ(x.second_purchasers, y.second_purchasers);
  EXPECT_EQ(x.median_days_to_second, y.median_days_to_second);
  ASSERT_EQ(x.months.size(), y.months.size());
  for (size_t i = 0; i < x.months.size(); ++i) {
    EXPECT_EQ(x.months[i].month, y.months[i].month);
    EXPECT_EQ(x.months[i].orders, y.months[i].orders);
    EXPECT_EQ(x.months[i].returns, y.months[i].returns);
    EXPECT_EQ(x.months[i].net_revenue, y.months[i].net_revenue);
    EXPECT_EQ(x.months[i].new_customers, y.months[i].new_customers);
    EXPECT_EQ(x.months[i].active_customers, y.months[i].active_customers);
  }
  EXPECT_EQ(x.cohorts.cohort_month, y.cohorts.cohort_month);
  EXPECT_EQ(x.cohorts.size, y.cohorts.size);
  EXPECT_EQ(x.cohorts.active, y.cohorts.active);
  EXPECT_EQ(x.cohorts.first_left_censored, y.cohorts.first_left_censored);
  ASSERT_EQ(x.concentration.size(), y.concentration.size());
  for (size_t i = 0; i < x.concentration.size(); ++i) {
    EXPECT_EQ(x.concentration[i].top_share, y.concentration[i].top_share);
    EXPECT_EQ(x.concentration[i].customers, y.concentration[i].customers);
    EXPECT_EQ(x.concentration[i].revenue_share, y.concentration[i].revenue_share);
  }
  ASSERT_EQ(x.lorenz.size(), y.lorenz.size());
  for (size_t i = 0; i < x.lorenz.size(); ++i) {
    EXPECT_EQ(x.lorenz[i].customer_share, y.lorenz[i].customer_share);
    EXPECT_EQ(x.lorenz[i].revenue_share, y.lorenz[i].revenue_share);
  }
}

// Four months, January to April 2024, used by the cohort, month and order-independence tests.
//   A: Jan 10 +100, Mar 2 +50                    first Jan
//   B: Jan 20 +200, Feb 3 +70, Apr 1 +30         first Jan
//   C: Mar 5 +40, Apr 10 +10, Apr 20 0           first Mar (zero amount is a purchase)
//   D: Jan 15 +80, Feb 10 -80 (return)           first Jan; the February return does not make D active
//   E: Feb 20 -15 (return only)                  not a customer
//   guest: Feb 14 +25
std::vector<Order> four_months() {
  return {
      {A, ymd(2024, 1, 10), 100}, {B, ymd(2024, 1, 20), 200}, {D, ymd(2024, 1, 15), 80},
      {B, ymd(2024, 2, 3), 70},   {D, ymd(2024, 2, 10), -80}, {kGuest, ymd(2024, 2, 14), 25},
      {E, ymd(2024, 2, 20), -15}, {A, ymd(2024, 3, 2), 50},   {C, ymd(2024, 3, 5), 40},
      {B, ymd(2024, 4, 1), 30},   {C, ymd(2024, 4, 10), 10},  {C, ymd(2024, 4, 20), 0},
  };
}

}  // namespace

TEST(Overview, NoOrdersIsAnAnalysisError) {
  try {
    run({}, 10);
    FAIL() << "expected koko::Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code, ErrorCode::analysis);
    EXPECT_EQ(e.message, "no orders to analyse");
    EXPECT_EQ(e.location, "");
    EXPECT_EQ(e.hint, "import orders first: koko import orders FILE");
  }
}

TEST(Overview, KeyOutOfRangeIsInternalError) {
  // n_customers = 2 allows keys 0 and 1 (and kGuest); key 2 is a bug upstream.
  try {
    run({{0, 1, 10}, {kGuest, 1, 5}, {2, 1, 10}}, 2);
    FAIL() << "expected koko::Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code, ErrorCode::internal);
  }
  EXPECT_NO_THROW(run({{0, 1, 10}, {1, 1, 10}, {kGuest, 1, 5}}, 2));
}

TEST(Overview, TotalsAndGuests) {
  // A: day 10 +100, day 12 -30 (return). guest: day 5 +40, day 20 -10. B: day 11 +60.
  // orders (purchases, guests included) = A10, guest5, B11 = 3; returns = A12, guest20 = 2; guest_orders = 2.
  // gross = 100 + 40 + 60 = 200; returned = -30 - 10 = -40; net = 160.
  // first_day = 5 and last_day = 20: both come from guest orders, the last one a return.
  // customers = A, B = 2 (the guest is never a customer); neither has two purchase days.
  const Overview o = run({{A, 10, 100}, {kGuest, 5, 40}, {A, 12, -30}, {B, 11, 60}, {kGuest, 20, -10}}, 2);
  EXPECT_EQ(o.customers, 2);
  EXPECT_EQ(o.orders, 3);
  EXPECT_EQ(o.returns, 2);
  EXPECT_EQ(o.guest_orders, 2);
  EXPECT_EQ(o.gross_revenue, 200);
  EXPECT_EQ(o.returned_amount, -40);
  EXPECT_EQ(o.net_revenue, 160);
  EXPECT_EQ(o.first_day, 5);
  EXPECT_EQ(o.last_day, 20);
  EXPECT_EQ(o.repeat_customers, 0);
  EXPECT_EQ(o.repeat_rate, 0.0);
  // All in January 1970: one month row, guests included in its totals but not in its customer counts.
  ASSERT_EQ(o.months.size(), 1u);
  EXPECT_EQ(o.months[0].month, mon(1970, 1));
  EXPECT_EQ(o.months[0].orders, 3);
  EXPECT_EQ(o.months[0].returns, 2);
  EXPECT_EQ(o.months[0].net_revenue, 160);
  EXPECT_EQ(o.months[0].new_customers, 2);
  EXPECT_EQ(o.months[0].active_customers, 2);
  // Concentration over A (net 70) and B (net 60), total 130: top 1 = A → 70/130.
  EXPECT_EQ(o.concentration[0].customers, 1);
  EXPECT_DOUBLE_EQ(o.concentration[0].revenue_share, 70.0 / 130.0);
}

TEST(Overview, OnlyGuestsGivesNoCustomerMetrics) {
  // Two guest purchases: orders = 2, customers = 0, no cohorts; concentration picks nobody; total customers' net
  // is 0, so every share is 0 and the Lorenz curve is the diagonal.
  OverviewConfig cfg;
  cfg.lorenz_points = 2;
  const Overview o = run({{kGuest, 3, 10}, {kGuest, 4, 20}}, 0, cfg);
  EXPECT_EQ(o.customers, 0);
  EXPECT_EQ(o.orders, 2);
  EXPECT_EQ(o.guest_orders, 2);
  EXPECT_EQ(o.repeat_rate, 0.0);
  EXPECT_TRUE(o.cohorts.cohort_month.empty());
  ASSERT_EQ(o.months.size(), 1u);
  EXPECT_EQ(o.months[0].active_customers, 0);
  for (const SecondPurchase& s : o.second_purchase) EXPECT_EQ(s.eligible, 0);
  for (const Concentration& c : o.concentration) {
    EXPECT_EQ(c.customers, 0);
    EXPECT_EQ(c.revenue_share, 0.0);
  }
  ASSERT_EQ(o.lorenz.size(), 3u);
  EXPECT_EQ(o.lorenz[1].customer_share, 0.5);
  EXPECT_EQ(o.lorenz[1].revenue_share, 0.5);
}

TEST(Overview, ZeroAmountOrdersArePurchases) {
  // A: day 1 amount 0 only → a customer with one purchase day. B: day 1 and day 4, both 0 → repeat customer, gap 3.
  // customers = 2, repeat = 1, repeat_rate = 0.5, orders = 3, returns = 0, gross = 0.
  const Overview o = run({{A, 1, 0}, {B, 1, 0}, {B, 4, 0}}, 2);
  EXPECT_EQ(o.customers, 2);
  EXPECT_EQ(o.orders, 3);
  EXPECT_EQ(o.returns, 0);
  EXPECT_EQ(o.gross_revenue, 0);
  EXPECT_EQ(o.repeat_customers, 1);
  EXPECT_EQ(o.repeat_rate, 0.5);
  EXPECT_EQ(o.second_purchasers, 1);
  EXPECT_EQ(o.median_days_to_second, 3.0);
}

TEST(Overview, ReturnsAreNotPurchaseDays) {
  // A: day 1 +50, day 9 -20 → one purchase day, not a repeat; net 30.
  // B: day 3 -40 only → never purchased, not a customer (its return still counts in returns and net revenue).
  // customers = 1, repeat = 0, second_purchasers = 0, returns = 2, net = 50 - 20 - 40 = -10, last_day = 9.
  const Overview o = run({{A, 1, 50}, {A, 9, -20}, {B, 3, -40}}, 2);
  EXPECT_EQ(o.customers, 1);
  EXPECT_EQ(o.repeat_customers, 0);
  EXPECT_EQ(o.second_purchasers, 0);
  EXPECT_EQ(o.median_days_to_second, 0.0);
  EXPECT_EQ(o.orders, 1);
  EXPECT_EQ(o.returns, 2);
  EXPECT_EQ(o.net_revenue, -10);
  EXPECT_EQ(o.last_day, 9);
  ASSERT_EQ(o.cohorts.size.size(), 1u);
  EXPECT_EQ(o.cohorts.size[0], 1);  // only A
  // Concentration over A alone (net 30): top 1 = A → 30/30 = 1.
  EXPECT_EQ(o.concentration[0].customers, 1);
  EXPECT_EQ(o.concentration[0].revenue_share, 1.0);
}

TEST(Overview, SameDayOrdersAreOnePurchaseDay) {
  // A buys three times on day 7 → one purchase day: customer, not a repeat. B buys day 7 twice and day 8 → repeat.
  // customers = 2, repeat = 1, orders = 6, median gap = 8 - 7 = 1.
  const Overview o = run({{A, 7, 10}, {A, 7, 20}, {A, 7, 30}, {B, 7, 5}, {B, 7, 5}, {B, 8, 5}}, 2);
  EXPECT_EQ(o.customers, 2);
  EXPECT_EQ(o.orders, 6);
  EXPECT_EQ(o.repeat_customers, 1);
  EXPECT_EQ(o.repeat_rate, 0.5);
  EXPECT_EQ(o.median_days_to_second, 1.0);
}

TEST(Overview, SecondPurchaseWindowsAndBoundaries) {
  // Days are plain integers; last_day = 100 (E's second order).
  //   A: 0, 30        gap 30        B: 0, 31    gap 31
  //   C: 0, 0, 5(-10) one purchase day (same-day repeat; the day-5 return is no purchase)
  //   D: 70           one day       E: 71, 100  gap 29      F: 10, 100  gap 90
  // W = 30: eligible iff 100 - first >= 30 iff first <= 70 → A B C D F = 5 (D observed exactly 30: eligible;
  //         E observed 29: not). Converted iff gap <= 30: A (exactly 30) = 1; B (31) and F (90) miss. rate 1/5.
  // W = 90: eligible iff first <= 10 → A B C F = 4. Converted: A (30), B (31), F (exactly 90) = 3. rate 3/4.
  // Repeat customers A B E F = 4 of 6. Gaps 29 30 31 90 → median (30 + 31) / 2 = 30.5.
  OverviewConfig cfg;
  cfg.windows = {30, 90};
  const Overview o = run(
      {
          {A, 0, 10}, {A, 30, 10}, {B, 0, 10}, {B, 31, 10}, {C, 0, 10}, {C, 0, 10}, {C, 5, -10},
          {D, 70, 10}, {E, 71, 10}, {E, 100, 10}, {F, 10, 10}, {F, 100, 10},
      },
      6, cfg);
  EXPECT_EQ(o.last_day, 100);
  EXPECT_EQ(o.customers, 6);
  EXPECT_EQ(o.repeat_customers, 4);
  EXPECT_DOUBLE_EQ(o.repeat_rate, 4.0 / 6.0);
  ASSERT_EQ(o.second_purchase.size(), 2u);
  EXPECT_EQ(o.second_purchase[0].window_days, 30);
  EXPECT_EQ(o.second_purchase[0].eligible, 5);
  EXPECT_EQ(o.second_purchase[0].converted, 1);
  EXPECT_DOUBLE_EQ(o.second_purchase[0].rate, 0.2);
  EXPECT_EQ(o.second_purchase[1].window_days, 90);
  EXPECT_EQ(o.second_purchase[1].eligible, 4);
  EXPECT_EQ(o.second_purchase[1].converted, 3);
  EXPECT_DOUBLE_EQ(o.second_purchase[1].rate, 0.75);
  EXPECT_EQ(o.second_purchasers, 4);
  EXPECT_EQ(o.median_days_to_second, 30.5);
}

TEST(Overview, NoEligibleCustomersGivesZeroRate) {
  // One customer, days 0 and 5, last_day 5: observed 5 < 30 → eligible 0, converted 0, rate 0 (not NaN).
  OverviewConfig cfg;
  cfg.windows = {30};
  const Overview o = run({{A, 0, 1}, {A, 5, 1}}, 1, cfg);
  EXPECT_EQ(o.second_purchase[0].eligible, 0);
  EXPECT_EQ(o.second_purchase[0].converted, 0);
  EXPECT_EQ(o.second_purchase[0].rate, 0.0);
}

TEST(Overview, MedianWithOddCount) {
  // Gaps A 29 (0→29), B 30 (0→30), C 31 (0→31) → median 30.
  const Overview o = run({{A, 0, 1}, {A, 29, 1}, {B, 0, 1}, {B, 30, 1}, {C, 0, 1}, {C, 31, 1}}, 3);
  EXPECT_EQ(o.second_purchasers, 3);
  EXPECT_EQ(o.median_days_to_second, 30.0);
}

TEST(Overview, UnsortedDaysFindFirstAndSecondPurchase) {
  // A's purchases arrive as days 50, 20, 35, 20 → first 20, second distinct 35, gap 15; last_day 50, observed 30.
  // W = 10: eligible, 15 > 10 → not converted. W = 15: eligible, converted (exactly 15).
  OverviewConfig cfg;
  cfg.windows = {10, 15};
  const Overview o = run({{A, 50, 1}, {A, 20, 1}, {A, 35, 1}, {A, 20, 1}}, 1, cfg);
  EXPECT_EQ(o.first_day, 20);
  EXPECT_EQ(o.repeat_customers, 1);
  EXPECT_EQ(o.median_days_to_second, 15.0);
  EXPECT_EQ(o.second_purchase[0].eligible, 1);
  EXPECT_EQ(o.second_purchase[0].converted, 0);
  EXPECT_EQ(o.second_purchase[1].eligible, 1);
  EXPECT_EQ(o.second_purchase[1].converted, 1);
}

TEST(Overview, UnsortedInputGivesTheSameResult) {
  std::vector<Order> rows = four_months();
  std::stable_sort(rows.begin(), rows.end(), [](const Order& x, const Order& y) { return x.day < y.day; });
  const Overview sorted = run(rows, 5);
  std::reverse(rows.begin(), rows.end());
  expect_same(sorted, run(rows, 5));
  std::mt19937 rng(12345);
  for (int trial = 0; trial < 5; ++trial) {
    std::shuffle(rows.begin(), rows.end(), rng);
    expect_same(sorted, run(rows, 5));
  }
}

TEST(Overview, MonthRowsAndCohortMatrix) {
  // See four_months(). Month rows Jan..Apr 2024:
  //   Jan: purchases A B D = 3, returns 0, net 100+200+80 = 380, new A B D = 3, active 3
  //   Feb: purchases B, guest = 2, returns D, E = 2, net 70+25-80-15 = 0, new 0, active B = 1
  //   Mar: purchases A C = 2, returns 0, net 50+40 = 90, new C = 1, active A C = 2
  //   Apr: purchases B C C = 3, returns 0, net 30+10+0 = 40, new 0, active B C = 2
  // Cohorts: Jan (A B D, size 3) and Mar (C, size 1); February has no new customer so no cohort row.
  // Last data month April: Jan row has k = 0..3 → [A B D, B, A, B] = [3, 1, 1, 1]; Mar row k = 0..1 → [1, 1]
  // (C buys twice in April but counts once).
  const Overview o = run(four_months(), 5);
  EXPECT_EQ(o.customers, 4);
  ASSERT_EQ(o.months.size(), 4u);
  const int64_t expected[4][6] = {
      {mon(2024, 1), 3, 0, 380, 3, 3},
      {mon(2024, 2), 2, 2, 0, 0, 1},
      {mon(2024, 3), 2, 0, 90, 1, 2},
      {mon(2024, 4), 3, 0, 40, 0, 2},
  };
  for (size_t m = 0; m < 4; ++m) {
    EXPECT_EQ(o.months[m].month, expected[m][0]) << m;
    EXPECT_EQ(o.months[m].orders, expected[m][1]) << m;
    EXPECT_EQ(o.months[m].returns, expected[m][2]) << m;
    EXPECT_EQ(o.months[m].net_revenue, expected[m][3]) << m;
    EXPECT_EQ(o.months[m].new_customers, expected[m][4]) << m;
    EXPECT_EQ(o.months[m].active_customers, expected[m][5]) << m;
  }
  EXPECT_EQ(o.cohorts.cohort_month, (std::vector<int>{mon(2024, 1), mon(2024, 3)}));
  EXPECT_EQ(o.cohorts.size, (std::vector<int64_t>{3, 1}));
  ASSERT_EQ(o.cohorts.active.size(), 2u);
  EXPECT_EQ(o.cohorts.active[0], (std::vector<int64_t>{3, 1, 1, 1}));
  EXPECT_EQ(o.cohorts.active[1], (std::vector<int64_t>{1, 1}));
  EXPECT_TRUE(o.cohorts.first_left_censored);
  // Repeat: A (Jan, Mar), B (Jan, Feb, Apr), C (Mar, Apr) = 3 of 4; D has one purchase day.
  EXPECT_EQ(o.repeat_customers, 3);
  EXPECT_EQ(o.repeat_rate, 0.75);
}

TEST(Overview, MonthGapsGetZeroRows) {
  // A: 2023-11-15 +10; B: 2024-02-01 +20, and A again 2024-02-28 +5. Months Nov, Dec, Jan, Feb: Dec and Jan
  // have no orders and get all-zero rows (across the year boundary).
  // Cohorts: Nov (A) with k = 0..3 → [1, 0, 0, 1]; Feb (B) with k = 0 → [1].
  const Overview o = run({{A, ymd(2023, 11, 15), 10}, {B, ymd(2024, 2, 1), 20}, {A, ymd(2024, 2, 28), 5}}, 2);
  ASSERT_EQ(o.months.size(), 4u);
  EXPECT_EQ(o.months[0].month, mon(2023, 11));
  EXPECT_EQ(o.months[1].month, mon(2023, 12));
  EXPECT_EQ(o.months[2].month, mon(2024, 1));
  EXPECT_EQ(o.months[3].month, mon(2024, 2));
  for (size_t m : {size_t{1}, size_t{2}}) {
    EXPECT_EQ(o.months[m].orders, 0);
    EXPECT_EQ(o.months[m].returns, 0);
    EXPECT_EQ(o.months[m].net_revenue, 0);
    EXPECT_EQ(o.months[m].new_customers, 0);
    EXPECT_EQ(o.months[m].active_customers, 0);
  }
  EXPECT_EQ(o.months[0].orders, 1);
  EXPECT_EQ(o.months[0].new_customers, 1);
  EXPECT_EQ(o.months[3].orders, 2);
  EXPECT_EQ(o.months[3].net_revenue, 25);
  EXPECT_EQ(o.months[3].new_customers, 1);
  EXPECT_EQ(o.months[3].active_customers, 2);
  EXPECT_EQ(o.cohorts.cohort_month, (std::vector<int>{mon(2023, 11), mon(2024, 2)}));
  EXPECT_EQ(o.cohorts.active[0], (std::vector<int64_t>{1, 0, 0, 1}));
  EXPECT_EQ(o.cohorts.active[1], (std::vector<int64_t>{1}));
}

TEST(Overview, ConcentrationRoundsUpTheTopCustomers) {
  // Nets: A 60, B 30, C 20, D 0 (zero-amount purchase), E 10 - 20 = -10 (purchase then a bigger return).
  // N = 5, customers' total net = 60 + 30 + 20 + 0 - 10 = 100.
  //   0.10 → ceil(0.5) = 1 → A = 60/100 = 0.6
  //   0.20 → ceil(1.0) = 1 → 0.6 (exactly 1, not 2)
  //   0.50 → ceil(2.5) = 3 → A B C = 110/100 = 1.1 (can exceed 1 when some customers net negative)
  //   0.00 → at least 1 → 0.6
  OverviewConfig cfg;
  cfg.top_shares = {0.10, 0.20, 0.50, 0.0};
  const Overview o = run({{A, 1, 60}, {B, 1, 30}, {C, 1, 20}, {D, 1, 0}, {E, 1, 10}, {E, 2, -20}}, 5, cfg);
  ASSERT_EQ(o.concentration.size(), 4u);
  EXPECT_EQ(o.concentration[0].top_share, 0.10);
  EXPECT_EQ(o.concentration[0].customers, 1);
  EXPECT_DOUBLE_EQ(o.concentration[0].revenue_share, 0.6);
  EXPECT_EQ(o.concentration[1].customers, 1);
  EXPECT_DOUBLE_EQ(o.concentration[1].revenue_share, 0.6);
  EXPECT_EQ(o.concentration[2].customers, 3);
  EXPECT_DOUBLE_EQ(o.concentration[2].revenue_share, 1.1);
  EXPECT_EQ(o.concentration[3].customers, 1);
  EXPECT_DOUBLE_EQ(o.concentration[3].revenue_share, 0.6);
}

TEST(Overview, ConcentrationToleratesFloatingPointProducts) {
  // 0.07 * 100 is 7.000000000000001 in doubles; the rule takes 7 customers, not 8.
  // Nets 1..100 (customer k buys k+1), total 5050; the top 7 are 94..100 = 7 * 97 = 679 → 679/5050.
  std::vector<Order> rows;
  for (uint32_t k = 0; k < 100; ++k) rows.push_back({k, 1, int64_t{k} + 1});
  OverviewConfig cfg;
  cfg.top_shares = {0.07};
  const Overview o = run(rows, 100, cfg);
  EXPECT_EQ(o.concentration[0].customers, 7);
  EXPECT_DOUBLE_EQ(o.concentration[0].revenue_share, 679.0 / 5050.0);
}

TEST(Overview, ConcentrationIsZeroWhenTotalNetIsNotPositive) {
  // A nets 10, B nets 10 - 30 = -20 → total -10 <= 0 → revenue_share 0; top 50% = ceil(1.0) = 1 customer.
  OverviewConfig cfg;
  cfg.top_shares = {0.5};
  const Overview o = run({{A, 1, 10}, {B, 1, 10}, {B, 2, -30}}, 2, cfg);
  EXPECT_EQ(o.concentration[0].customers, 1);
  EXPECT_EQ(o.concentration[0].revenue_share, 0.0);
}

TEST(Overview, LorenzCurve) {
  // Same nets as the concentration test; clamped at 0 and ascending: E 0, D 0, C 20, B 30, A 60; total 110.
  // lorenz_points = 4, N = 5: counts round(i * 5 / 4) = 0, round(1.25) = 1, round(2.5) = 3, round(3.75) = 4, 5.
  //   (0, 0), (0.25, 0), (0.5, 20/110), (0.75, 50/110), (1, 110/110 = 1).
  OverviewConfig cfg;
  cfg.lorenz_points = 4;
  const Overview o = run({{A, 1, 60}, {B, 1, 30}, {C, 1, 20}, {D, 1, 0}, {E, 1, 10}, {E, 2, -20}}, 5, cfg);
  ASSERT_EQ(o.lorenz.size(), 5u);
  const double xs[5] = {0, 0.25, 0.5, 0.75, 1};
  const double ys[5] = {0, 0, 20.0 / 110.0, 50.0 / 110.0, 1};
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(o.lorenz[i].customer_share, xs[i]) << i;
    EXPECT_DOUBLE_EQ(o.lorenz[i].revenue_share, ys[i]) << i;
  }
}

TEST(Overview, LorenzEndpointsWithDefaultPoints) {
  // Default 100 points → 101 entries, starting at (0, 0) and ending at (1, 1); customer_share i/100.
  const Overview o = run(four_months(), 5);
  ASSERT_EQ(o.lorenz.size(), 101u);
  EXPECT_EQ(o.lorenz.front().customer_share, 0.0);
  EXPECT_EQ(o.lorenz.front().revenue_share, 0.0);
  EXPECT_EQ(o.lorenz.back().customer_share, 1.0);
  EXPECT_EQ(o.lorenz.back().revenue_share, 1.0);
  EXPECT_EQ(o.lorenz[50].customer_share, 0.5);
  for (size_t i = 1; i < o.lorenz.size(); ++i) EXPECT_LE(o.lorenz[i - 1].revenue_share, o.lorenz[i].revenue_share);
}

TEST(Overview, LorenzIsTheDiagonalWhenNoPositiveRevenue) {
  // A and B buy only zero-amount items: total clamped net is 0, so revenue_share = customer_share.
  OverviewConfig cfg;
  cfg.lorenz_points = 4;
  const Overview o = run({{A, 1, 0}, {B, 2, 0}}, 2, cfg);
  ASSERT_EQ(o.lorenz.size(), 5u);
  for (const LorenzPoint& p : o.lorenz) EXPECT_EQ(p.revenue_share, p.customer_share);
}
