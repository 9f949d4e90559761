#pragma once
// Customer lifetime value: probability models of repeat buying fitted by maximum likelihood, and what they
// predict per customer. Non-contractual: BG/NBD, MBG/NBD, Pareto/NBD (and their no-dropout limit, the NBD),
// spend: Gamma-Gamma; discrete opportunities: BG/BB; subscriptions: the shifted-beta-geometric (sBG).
// Pure kernels: plain structs in, plain structs out.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "koko/core/date.hpp"

namespace koko::clv {

inline constexpr uint32_t kGuest = UINT32_MAX;  // an order without a customer ID

// ---------------------------------------------------------------------------------------------------------------
// Summary: orders → one (x, t_x, T) row per customer on a day grid.

struct OrdersView {
  std::span<const uint32_t> customer;  // dense key or kGuest (skipped)
  std::span<const Day> day;
  std::span<const int64_t> amount;  // minor units; < 0 = return (never a purchase); 0 = a purchase
};

struct SummaryOptions {
  std::optional<Day> calibration_end;  // inclusive; default: the last order day (no holdout)
  std::optional<Day> holdout_end;      // inclusive; default: the last order day
  int unit_days = 7;                   // time unit of t_x and T: 1 = days, 7 = weeks
  double minor_per_major = 100;        // 100 for USD/GBP, 1 for JPY
};

struct Summary {
  // One entry per customer whose first purchase is on or before the calibration end, ascending key.
  std::vector<uint32_t> customer;
  std::vector<Day> first_day;
  std::vector<int32_t> x;          // repeat_days: purchase days after the first, up to the calibration end
  std::vector<double> t_x;         // last purchase day − first purchase day, in units
  std::vector<double> T;           // calibration end − first purchase day, in units
  std::vector<double> monetary;    // mean value of the repeat purchase days (major units); 0 when x = 0
  std::vector<int32_t> x_holdout;  // purchase days in the holdout (calibration end, holdout end]

  int unit_days = 7;
  Day first_order_day = 0, last_order_day = 0;
  Day calibration_end = 0, holdout_end = 0;  // holdout_end == calibration_end: no holdout
  double holdout_units = 0;                  // holdout length in units
  int64_t repeaters = 0;                     // customers with x > 0
  int64_t repeat_days_total = 0;             // Σ x
  int64_t later_customers = 0;               // first purchase after the calibration end (not in the summary)
  int64_t returns_ignored = 0;               // return rows of summarised customers (not purchases)
  // Per calendar day from first_order_day to holdout_end: new customers and repeat purchase days (cohort only).
  std::vector<int64_t> first_purchases_by_day;
  std::vector<int64_t> repeat_days_by_day;
  std::vector<std::string> warnings;
};

// Throws koko::Error (analysis) when no customer purchased on or before the calibration end.
Summary summarize(const OrdersView& orders, uint32_t n_customers, const SummaryOptions& options);

// ---------------------------------------------------------------------------------------------------------------
// Models and fits.

enum class Model { bgnbd, mbgnbd, pareto_nbd, nbd, gamma_gamma, bgbb, sbg };
std::string_view model_name(Model m);                 // "bgnbd", "mbgnbd", "pareto_nbd", ...
std::string_view model_title(Model m);                // "BG/NBD", "MBG/NBD", ...
std::optional<Model> parse_model(std::string_view s);  // accepts "pareto-nbd" and "pareto_nbd"

// Repeat-buying data: identical (x, t_x, T) rows are collapsed with weights inside the fits.
struct RfmView {
  std::span<const int32_t> x;
  std::span<const double> t_x;
  std::span<const double> T;
  std::span<const double> weight;  // empty = 1 per row
};

struct Estimate {
  std::string name;
  double value = 0;
  double se = 0;  // standard error from the Hessian of the log-likelihood; 0 when not available
};

struct Fit {
  Model model = Model::bgnbd;
  std::vector<Estimate> params;
  double log_likelihood = 0;
  int evaluations = 0;    // likelihood (+ gradient) evaluations
  int sample_evaluations = 0;  // Gamma-Gamma on millions: evaluations of the warm start fitted to a sample
  int iterations = 0;     // optimiser iterations (NLopt L-BFGS evaluations + Newton polish steps)
  bool converged = false;
  std::string status;     // in words: how the optimiser stopped
  int64_t rows = 0;       // customers (or weighted rows) used
  int64_t unique_rows = 0;
  double seconds = 0;     // wall time of the fit
  // The no-dropout boundary: the likelihood has no interior maximum; `limit` holds the NBD fit used instead.
  bool at_boundary = false;
  std::string note;  // words for the report when at_boundary or not converged
  std::vector<Fit> limit;  // 0 or 1 entry: the limiting model's fit
  // Gamma-Gamma: customers left out for a non-positive mean value.
  int64_t excluded = 0;

  [[nodiscard]] double param(std::string_view name) const;  // throws koko::Error for an unknown name
  [[nodiscard]] std::vector<double> values() const;
  // The model that predicts: the limit at the boundary, else this fit.
  [[nodiscard]] const Fit& effective() const { return at_boundary && !limit.empty() ? limit.front() : *this; }
};

struct FitOptions {
  std::vector<double> start;      // natural-scale starting values; empty = the model's default
  int max_evaluations = 3000;
  double boundary_ll_gap = 0.5;   // within this of the NBD limit's log-likelihood = the no-dropout boundary
  bool check_boundary = true;
};

Fit fit_bgnbd(const RfmView& data, const FitOptions& options = {});
Fit fit_mbgnbd(const RfmView& data, const FitOptions& options = {});
Fit fit_pareto_nbd(const RfmView& data, const FitOptions& options = {});
Fit fit_nbd(const RfmView& data, const FitOptions& options = {});
Fit fit_model(Model m, const RfmView& data, const FitOptions& options = {});  // the four above

// Total log-likelihood at natural-scale parameters (for checks and profile plots).
double log_likelihood(Model m, std::span<const double> params, const RfmView& data);

// Gamma-Gamma on repeat customers: x > 0 and monetary > 0 (non-positive values are excluded and counted).
Fit fit_gamma_gamma(std::span<const int32_t> x, std::span<const double> monetary, const FitOptions& options = {});
double gamma_gamma_log_likelihood(std::span<const double> params, std::span<const int32_t> x,
                                  std::span<const double> monetary);

// BG/BB: x repeat events in n discrete opportunities, the last at opportunity t_x (0 when x = 0).
struct DiscreteRow {
  int x = 0;
  int t_x = 0;
  int n = 0;
  double weight = 1;
};
Fit fit_bgbb(std::span<const DiscreteRow> rows, const FitOptions& options = {});
double bgbb_log_likelihood(std::span<const double> params, std::span<const DiscreteRow> rows);

// sBG: alive[t] = customers still subscribed at the end of period t (alive[0] = the cohort's size).
Fit fit_sbg(std::span<const double> alive, const FitOptions& options = {});
double sbg_log_likelihood(std::span<const double> params, std::span<const double> alive);

// ---------------------------------------------------------------------------------------------------------------
// Predictions.

struct ValueOptions {
  double annual_discount = 0.10;  // d; continuous rate per unit δ = ln(1 + d) / units per year
  double margin = 1.0;            // share of revenue kept
  double horizon_years = 10;      // the discrete-time sum for BG/NBD, MBG/NBD and the NBD (monthly steps)
  int unit_days = 7;
};
double units_per_year(int unit_days);         // 365.25 / unit_days
double discount_per_unit(const ValueOptions& v);  // δ

// One customer's (x, t_x, T) under a purchase model's natural parameters (use Fit::effective()).
double p_alive(const Fit& fit, int32_t x, double t_x, double T);
double expected_purchases(const Fit& fit, int32_t x, double t_x, double T, double t);  // in (T, T + t]
// Unconditional expected repeat purchases in (0, t] of a new customer.
double expected_purchases_new(const Fit& fit, double t);
// Discounted expected (residual) transactions: Pareto/NBD closed-form DERT (Fader, Hardie & Lee 2005),
// the others a monthly discrete-time sum over horizon_years.
double discounted_transactions(const Fit& fit, int32_t x, double t_x, double T, const ValueOptions& v);
// Gamma-Gamma expected average order value (population mean when x = 0; needs q > 1 there).
double expected_order_value(const Fit& spend, int32_t x, double monetary);

struct CustomerPredictions {
  std::vector<double> p_alive;
  std::vector<double> expected;        // purchases in the next `horizon` units
  std::vector<double> order_value;     // expected average order value (major units)
  std::vector<double> discounted;      // discounted expected transactions
  std::vector<double> clv;             // margin × order value × discounted
  std::vector<std::string> warnings;
};
// spend may be null (order value = each customer's own mean, or the mean over repeaters when x = 0).
CustomerPredictions predict(const Fit& purchases, const Fit* spend, const Summary& s, double horizon,
                            const ValueOptions& v);

// sBG: retention and survival per period, expected lifetime, DEL and DERL (Fader & Hardie 2007, 2010).
struct RetentionProjection {
  std::vector<double> retention;  // r_t for t = 1..periods
  std::vector<double> survival;   // S(t) for t = 0..periods
  double expected_lifetime = 0;   // E[T] in periods; infinite when α ≤ 1 → finite_lifetime = false
  bool finite_lifetime = false;
  double median_lifetime = 0;     // periods until S(t) ≤ 0.5
  double del = 0;                 // discounted expected lifetime of a new subscriber (payments at period starts)
};
RetentionProjection project_retention(const Fit& sbg, int periods, double discount_per_period);
// DERL of a subscriber who has renewed `renewals` times (is at the end of period renewals + 1, before deciding).
double sbg_derl(const Fit& sbg, int renewals, double discount_per_period);

// ---------------------------------------------------------------------------------------------------------------
// Validation: calibration vs holdout.

struct FrequencyRow {
  int x = 0;  // calibration repeat days; the last row holds x ≥ its value
  int64_t customers = 0;
  double actual = 0;    // mean holdout purchase days
  double expected = 0;  // mean expected holdout purchases
};
struct TrackingPoint {
  Day period_end = 0;
  double actual = 0;    // cumulative repeat purchase days of the cohort
  double expected = 0;
};
struct Validation {
  std::vector<FrequencyRow> by_frequency;
  std::vector<TrackingPoint> tracking;  // one point per unit (week) or per 7 days
  double mae = 0;                       // mean absolute error per customer, holdout purchases
  double total_actual = 0, total_expected = 0;
  double total_pct_error = 0;           // (expected − actual) / actual × 100
  double tracking_mape = 0;             // mean absolute % error of the cumulative curve in the holdout
};
Validation validate(const Fit& purchases, const Summary& s, int max_frequency = 7);

}  // namespace koko::clv
