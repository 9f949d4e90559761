#pragma once
// Overview and diagnosis: the company's own challenge in numbers (repeat rate, second-purchase conversion,
// cohort retention, revenue concentration). Pure kernel: plain structs in, plain structs out.
#include <cstdint>
#include <span>
#include <vector>

#include "koko/core/date.hpp"

namespace koko::overview {

inline constexpr uint32_t kGuest = UINT32_MAX;  // an order without a customer ID

// One row per order. amount < 0 is a return: it reduces net revenue and is never a purchase or a purchase day.
// amount == 0 is a purchase (free items, samples).
struct OrdersView {
  std::span<const uint32_t> customer;  // dense customer key, or kGuest
  std::span<const Day> day;            // local calendar day
  std::span<const int64_t> amount;     // minor units of the workspace currency
};

struct OverviewConfig {
  std::vector<int> windows{30, 90, 365};            // second-purchase windows, days
  std::vector<double> top_shares{0.01, 0.10, 0.20}; // revenue concentration cut-offs
  int lorenz_points = 100;                          // points on the Lorenz curve (plus the origin)
};

struct MonthRow {
  int month;                 // month index = year*12 + month-1 (see core/date.hpp)
  int64_t orders;            // purchase orders (amount >= 0), guests included
  int64_t returns;           // return orders (amount < 0), guests included
  int64_t net_revenue;       // sum of all amounts in the month, guests included
  int64_t new_customers;     // customers whose first purchase falls in the month
  int64_t active_customers;  // customers with a purchase in the month
};

struct SecondPurchase {
  int window_days;
  int64_t eligible;   // customers observed for >= window_days after their first purchase
  int64_t converted;  // of those, customers whose second purchase day is within window_days of the first
  double rate;        // converted / eligible (0 when eligible == 0)
};

struct CohortMatrix {
  std::vector<int> cohort_month;             // month index of each cohort (first purchase month), ascending
  std::vector<int64_t> size;                 // customers per cohort
  std::vector<std::vector<int64_t>> active;  // [cohort][k]: customers with a purchase k months after the cohort
  bool first_left_censored = true;           // the first cohort holds everyone who bought before the data starts
};

struct Concentration {
  double top_share;       // e.g. 0.10
  int64_t customers;      // ceil(top_share * customers with purchases)
  double revenue_share;   // their share of customers' net revenue
};

struct LorenzPoint {
  double customer_share;  // cumulative share of customers, ascending by net revenue
  double revenue_share;   // cumulative share of net revenue (negative net revenue counted as 0)
};

struct Overview {
  int64_t customers = 0;        // customers with at least one purchase
  int64_t orders = 0;           // purchase orders, guests included
  int64_t returns = 0;          // return orders, guests included
  int64_t guest_orders = 0;     // orders (purchases or returns) without a customer
  int64_t gross_revenue = 0;    // sum of purchase amounts
  int64_t returned_amount = 0;  // sum of return amounts (<= 0)
  int64_t net_revenue = 0;      // gross_revenue + returned_amount
  Day first_day = 0;            // first and last order day (any order)
  Day last_day = 0;
  int64_t repeat_customers = 0; // customers with >= 2 purchase days
  double repeat_rate = 0;       // repeat_customers / customers
  std::vector<SecondPurchase> second_purchase;  // one per configured window
  int64_t second_purchasers = 0;                // customers with a second purchase day
  double median_days_to_second = 0;             // over second_purchasers (mean of the middle two when even)
  std::vector<MonthRow> months;                 // every calendar month from first_day to last_day
  CohortMatrix cohorts;
  std::vector<Concentration> concentration;     // one per configured top share
  std::vector<LorenzPoint> lorenz;
};

// n_customers bounds the dense keys (key < n_customers or kGuest). Throws koko::Error when there are no orders.
Overview compute_overview(const OrdersView& orders, uint32_t n_customers, const OverviewConfig& config);

}  // namespace koko::overview
