#pragma once
// Private to src/koko/clv: collapsing identical rows, the maximum-likelihood driver and small numerical helpers.
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "koko/clv/clv.hpp"

namespace koko::clv::detail {

inline constexpr double kInf = std::numeric_limits<double>::infinity();

// log(exp(a) + exp(b)) without overflow; either may be -inf.
inline double log_add(double a, double b) {
  if (a < b) std::swap(a, b);
  if (b == -kInf) return a;
  return a + std::log1p(std::exp(b - a));
}

inline double lbeta(double a, double b) { return std::lgamma(a) + std::lgamma(b) - std::lgamma(a + b); }
double digamma(double x);

// (1 - exp(-e·L)) / e, → L as e → 0: the difference of two powers divided by the exponent, without cancellation.
inline double expm1_ratio(double e, double L) {
  if (std::fabs(e * L) < 1e-8) return L * (1 - 0.5 * e * L);
  return -std::expm1(-e * L) / e;
}

// Identical (x, t_x, T) rows as one row with a weight; x and times are interned so a likelihood evaluation computes
// each log(α + τ) once per distinct time and each Γ/B term once per distinct x.
struct Collapsed {
  std::vector<double> times;   // distinct time values (t_x and T), any order
  std::vector<int32_t> xs;     // distinct x values, any order
  std::vector<double> x_weight;  // total weight per x index
  struct Row {
    uint32_t xi, txi, Ti;
    double w;
  };
  std::vector<Row> rows;
  double total_weight = 0;
  int64_t input_rows = 0;
};
Collapsed collapse(const RfmView& data);
// Checks shapes and values (x ≥ 0, 0 ≤ t_x ≤ T, finite); throws koko::Error naming the first bad row.
void check_rfm(const RfmView& data);

// A log-likelihood over natural-scale parameters; fills d LL / d θ when grad is not empty.
using LogLik = std::function<double(std::span<const double> theta, std::span<double> grad)>;

struct Problem {
  Model model;
  std::vector<std::string> names;
  LogLik loglik;
  std::vector<double> start;
  double weight = 1;  // total weight, to scale the objective to O(1)
  int64_t rows = 0, unique_rows = 0;
};
// Maximises over log-scale parameters with NLopt L-BFGS and the analytic gradient, polishes with Newton steps on
// a finite-difference Hessian of that gradient, and reports standard errors from the Hessian (delta method).
Fit maximise(const Problem& p, const FitOptions& options);

// Log-likelihoods over collapsed rows (the Collapsed must outlive the returned function).
LogLik bgnbd_loglik(const Collapsed& c, bool modified);  // modified = MBG/NBD
LogLik nbd_loglik(const Collapsed& c);
LogLik pareto_nbd_loglik(const Collapsed& c);
// Pareto/NBD: log of the first term and of the whole bracket of the likelihood (for P(alive) and DERT).
void pareto_nbd_bracket(double r, double al, double s, double be, double x, double tx, double T, double& lP,
                        double& lJ);
Problem rfm_problem(Model m, const Collapsed& c, std::vector<double> start);
// Fits the NBD on the same rows and marks `fit` as at the no-dropout boundary when its log-likelihood is within
// options.boundary_ll_gap of the NBD's.
void check_boundary(Fit& fit, const Collapsed& c, const FitOptions& options, const Fit& nbd);

// Nodes and weights of an n-point Gauss rule for the Beta(a, b) distribution on (0, 1) (Golub–Welsch).
struct Rule {
  std::vector<double> node, weight;
};
Rule gauss_beta(double a, double b, int n);
// 10-point Gauss–Legendre on [0, 1].
const Rule& gauss_legendre10();

// h(s, z) = ∫_0^∞ e^{-w} (1 + w/z)^{-s} dw = z^s e^z Γ(1 − s, z) = z^s U(s, s, z), for s > 0, z > 0.
double tricomi_ss_scaled(double s, double z);

// Posterior-mean purchases in (0, t] of an alive BG/NBD-type customer: E_p[(1 − (1 + p t / c)^{-n}) / p] with
// p ~ Beta(a, b), by the Gauss rule `rule` for that Beta.
double alive_purchases(const Rule& rule, double n, double c, double t);

// expected_purchases with the Gauss rule of each x computed once (for many customers under one fit).
class ExpectedPurchases {
 public:
  explicit ExpectedPurchases(const Fit& fit) : f_(fit.effective()) {}
  double operator()(int32_t x, double t_x, double T, double t);

 private:
  const Fit& f_;
  std::unordered_map<int32_t, Rule> rules_;
};

}  // namespace koko::clv::detail
