// Per-customer predictions: P(alive), expected purchases, discounted expected transactions and CLV; the sBG's
// retention projection, DEL and DERL.
//
// BG/NBD and MBG/NBD: an alive customer with purchase rate λ ~ Gamma(r+x, α+T) and dropout probability
// p ~ Beta(a, b+x) (MBG/NBD: b+x+1) expects (1 − e^{−λpt})/p purchases in the next t; integrating λ gives
// E_p[(1 − (1 + pt/(α+T))^{−(r+x)}) / p], which a 32-point Gauss rule for that Beta integrates (Golub–Welsch).
// Discounted expected transactions for these models are a discrete-time sum over months:
//   DET = Σ_{k=1}^{12·years} e^{−δ t_k} (E[X(t_k)] − E[X(t_{k−1})]),  t_k = k months.
// Pareto/NBD: DERT = P(alive) · (r+x)/(α+T) · (β+T)^s δ^{s−1} Ψ(s, s; δ(β+T)) (Fader, Hardie & Lee 2005), with
// (β+T)^s δ^{s−1} Ψ(s, s; z) = h(s, z)/δ and h(s, z) = ∫_0^∞ e^{−w}(1 + w/z)^{−s} dw (never Γ(1−s, z) for s ≥ 1).
#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <exception>
#include <thread>
#include <unordered_map>

#include "koko/clv/detail.hpp"
#include "koko/core/cores.hpp"
#include "koko/core/error.hpp"

namespace koko::clv {
namespace {

constexpr int kRuleNodes = 32;

bool bg_type(Model m) { return m == Model::bgnbd || m == Model::mbgnbd; }

void require_purchase_model(const Fit& f) {
  if (f.model != Model::bgnbd && f.model != Model::mbgnbd && f.model != Model::pareto_nbd && f.model != Model::nbd)
    throw Error(ErrorCode::internal, fmt::format("clv: {} does not predict purchases", model_title(f.model)));
}

// Beta posterior of the dropout probability of an alive customer.
detail::Rule dropout_rule(const Fit& f, int32_t x) {
  const double e = f.model == Model::mbgnbd ? 1 : 0;
  return detail::gauss_beta(f.param("a"), f.param("b") + x + e, kRuleNodes);
}

// Σ_k e^{−δ t_k} (E[X(t_k)] − E[X(t_{k−1})]) for an alive customer, by the Gauss rule over p.
double alive_discounted(const detail::Rule& rule, double n, double c, double delta, double step, int K) {
  double total = 0;
  for (size_t j = 0; j < rule.node.size(); ++j) {
    const double p = std::max(rule.node[j], 1e-300);
    double sum = 0, prev = 0;  // prev = log((1 + p t_{k−1}/c)^{−n})
    for (int k = 1; k <= K; ++k) {
      const double cur = -n * std::log1p(p * k * step / c);
      sum += std::exp(-delta * k * step) * std::exp(prev) * -std::expm1(cur - prev);
      prev = cur;
    }
    total += rule.weight[j] * sum / p;
  }
  return total;
}

double logistic_neg(double u) { return u > 0 ? std::exp(-u) / (1 + std::exp(-u)) : 1 / (1 + std::exp(u)); }

int months(const ValueOptions& v) { return std::max(1, static_cast<int>(std::lround(12 * v.horizon_years))); }
double month_units(const ValueOptions& v) { return 365.25 / 12 / v.unit_days; }

}  // namespace

double units_per_year(int unit_days) { return 365.25 / unit_days; }
double discount_per_unit(const ValueOptions& v) {
  if (!(v.annual_discount > -1)) throw Error(ErrorCode::usage, "the discount rate must be above -100%", {}, "e.g. --discount 0.1");
  return std::log1p(v.annual_discount) / units_per_year(v.unit_days);
}

double p_alive(const Fit& fit, int32_t x, double t_x, double T) {
  const Fit& f = fit.effective();
  require_purchase_model(f);
  switch (f.model) {
    case Model::nbd: return 1.0;
    case Model::bgnbd:
    case Model::mbgnbd: {
      const double e = f.model == Model::mbgnbd ? 1 : 0;
      if (x == 0 && e == 0) return 1.0;
      const double r = f.param("r"), al = f.param("alpha"), a = f.param("a"), b = f.param("b");
      const double u = std::log(a) - std::log(b + x + e - 1) + (r + x) * (std::log(al + T) - std::log(al + t_x));
      return logistic_neg(u);
    }
    default: {
      double lP, lJ;
      detail::pareto_nbd_bracket(f.param("r"), f.param("alpha"), f.param("s"), f.param("beta"), x, t_x, T, lP, lJ);
      return std::min(1.0, std::exp(lP - lJ));
    }
  }
}

double expected_purchases(const Fit& fit, int32_t x, double t_x, double T, double t) {
  const Fit& f = fit.effective();
  require_purchase_model(f);
  if (t <= 0) return 0;
  const double r = f.param("r"), al = f.param("alpha");
  switch (f.model) {
    case Model::nbd: return (r + x) / (al + T) * t;
    case Model::bgnbd:
    case Model::mbgnbd:
      return p_alive(f, x, t_x, T) * detail::alive_purchases(dropout_rule(f, x), r + x, al + T, t);
    default: {
      const double s = f.param("s"), be = f.param("beta");
      return p_alive(f, x, t_x, T) * (r + x) * (be + T) / (al + T) *
             detail::expm1_ratio(s - 1, std::log1p(t / (be + T)));
    }
  }
}

namespace detail {
double ExpectedPurchases::operator()(int32_t x, double t_x, double T, double t) {
  if (!bg_type(f_.model)) return expected_purchases(f_, x, t_x, T, t);
  if (t <= 0) return 0;
  auto it = rules_.find(x);
  if (it == rules_.end()) it = rules_.emplace(x, dropout_rule(f_, x)).first;
  return p_alive(f_, x, t_x, T) * alive_purchases(it->second, f_.param("r") + x, f_.param("alpha") + T, t);
}
}  // namespace detail

double expected_purchases_new(const Fit& fit, double t) {
  const Fit& f = fit.effective();
  require_purchase_model(f);
  if (t <= 0) return 0;
  const double r = f.param("r"), al = f.param("alpha");
  switch (f.model) {
    case Model::nbd: return r * t / al;
    case Model::bgnbd:
      return detail::alive_purchases(detail::gauss_beta(f.param("a"), f.param("b"), kRuleNodes), r, al, t);
    case Model::mbgnbd: {
      const double a = f.param("a"), b = f.param("b");  // alive after the first purchase with probability 1 − p
      return b / (a + b) * detail::alive_purchases(detail::gauss_beta(a, b + 1, kRuleNodes), r, al, t);
    }
    default: {
      const double s = f.param("s"), be = f.param("beta");
      return r * be / al * detail::expm1_ratio(s - 1, std::log1p(t / be));
    }
  }
}

double discounted_transactions(const Fit& fit, int32_t x, double t_x, double T, const ValueOptions& v) {
  const Fit& f = fit.effective();
  require_purchase_model(f);
  const double delta = discount_per_unit(v);
  if (!(delta > 0)) throw Error(ErrorCode::usage, "a positive discount rate is needed for lifetime value", {}, "--discount 0.1");
  const double r = f.param("r"), al = f.param("alpha");
  switch (f.model) {
    case Model::nbd: {
      const double step = month_units(v);
      double sum = 0;
      for (int k = 1; k <= months(v); ++k) sum += std::exp(-delta * k * step);
      return (r + x) / (al + T) * step * sum;
    }
    case Model::bgnbd:
    case Model::mbgnbd:
      return p_alive(f, x, t_x, T) *
             alive_discounted(dropout_rule(f, x), r + x, al + T, delta, month_units(v), months(v));
    default: {
      const double s = f.param("s"), be = f.param("beta");
      return p_alive(f, x, t_x, T) * (r + x) / (al + T) * detail::tricomi_ss_scaled(s, delta * (be + T)) / delta;
    }
  }
}

CustomerPredictions predict(const Fit& purchases, const Fit* spend, const Summary& s, double horizon,
                            const ValueOptions& v) {
  const Fit& f = purchases.effective();
  require_purchase_model(f);
  const size_t n = s.customer.size();
  CustomerPredictions out;
  out.p_alive.resize(n);
  out.expected.resize(n);
  out.order_value.resize(n);
  out.discounted.resize(n);
  out.clv.resize(n);
  const double delta = discount_per_unit(v);
  if (!(delta > 0)) throw Error(ErrorCode::usage, "a positive discount rate is needed for lifetime value", {}, "--discount 0.1");

  // Mean value over repeat customers: the fallback order value.
  double msum = 0;
  int64_t mcount = 0;
  for (size_t i = 0; i < n; ++i)
    if (s.x[i] > 0 && s.monetary[i] > 0) {
      msum += s.monetary[i];
      ++mcount;
    }
  const double mean_value = mcount ? msum / static_cast<double>(mcount) : 0;
  const bool spend_population_ok = spend != nullptr && spend->param("q") > 1;

  // Customers are independent: large summaries are predicted in two fixed halves on two threads, each with its
  // own caches (rules per x; the alive-customer sums per (x, T), which every customer with the same x and T
  // shares), so the numbers do not depend on the split.
  const double r = f.param("r"), al = f.param("alpha");
  auto key = [](int32_t x, double T) {
    uint64_t b;
    std::memcpy(&b, &T, sizeof b);
    return (static_cast<uint64_t>(static_cast<uint32_t>(x)) * 0x9E3779B97F4A7C15ULL) ^ b;
  };
  auto predict_range = [&](size_t from, size_t to, int64_t& bad) {
    std::unordered_map<int32_t, detail::Rule> rules;
    struct Shared {
      double expected_alive, discounted_alive;
    };
    std::unordered_map<uint64_t, Shared> shared;
    std::unordered_map<uint64_t, double> tricomi;
    for (size_t i = from; i < to; ++i) {
      const int32_t x = s.x[i];
      const double tx = s.t_x[i], T = s.T[i];
      const double pa = p_alive(f, x, tx, T);
      double e = 0, det = 0;
      if (bg_type(f.model)) {
        auto it = shared.find(key(x, T));
        if (it == shared.end()) {
          auto rit = rules.find(x);
          if (rit == rules.end()) rit = rules.emplace(x, dropout_rule(f, x)).first;
          const Shared sh{detail::alive_purchases(rit->second, r + x, al + T, horizon),
                          alive_discounted(rit->second, r + x, al + T, delta, month_units(v), months(v))};
          it = shared.emplace(key(x, T), sh).first;
        }
        e = pa * it->second.expected_alive;
        det = pa * it->second.discounted_alive;
      } else if (f.model == Model::pareto_nbd) {
        const double sp = f.param("s"), be = f.param("beta");
        e = expected_purchases(f, x, tx, T, horizon);
        auto it = tricomi.find(key(0, T));
        if (it == tricomi.end()) it = tricomi.emplace(key(0, T), detail::tricomi_ss_scaled(sp, delta * (be + T))).first;
        det = pa * (r + x) / (al + T) * it->second / delta;
      } else {
        e = expected_purchases(f, x, tx, T, horizon);
        det = discounted_transactions(f, x, tx, T, v);
      }
      double value;
      if (spend != nullptr && (x > 0 && s.monetary[i] > 0)) value = expected_order_value(*spend, x, s.monetary[i]);
      else if (spend_population_ok) value = expected_order_value(*spend, 0, 0);
      else value = x > 0 && s.monetary[i] > 0 ? s.monetary[i] : mean_value;
      double clv = v.margin * value * det;
      double* fields[] = {&e, &det, &value, &clv};
      double p = pa;
      bool ok = std::isfinite(p);
      for (double* d : fields) ok = ok && std::isfinite(*d);
      if (!ok) {
        ++bad;
        p = std::isfinite(p) ? p : 0;
        for (double* d : fields)
          if (!std::isfinite(*d)) *d = 0;
      }
      out.p_alive[i] = p;
      out.expected[i] = e;
      out.discounted[i] = det;
      out.order_value[i] = value;
      out.clv[i] = clv;
    }
  };
  int64_t bad = 0, bad_second = 0;
  constexpr size_t kParallelCustomers = 200'000;
  if (n >= kParallelCustomers && usable_cores() > 1) {
    std::exception_ptr failed;
    std::thread second([&] {
      try {
        predict_range(n / 2, n, bad_second);
      } catch (...) {
        failed = std::current_exception();
      }
    });
    try {
      predict_range(0, n / 2, bad);
    } catch (...) {
      second.join();
      throw;
    }
    second.join();
    if (failed) std::rethrow_exception(failed);
  } else {
    predict_range(0, n, bad);
  }
  bad += bad_second;
  if (bad > 0)
    out.warnings.push_back(fmt::format("{} customers had a prediction that could not be computed; it is shown as 0", bad));
  if (spend != nullptr && !spend_population_ok)
    out.warnings.push_back(
        "the Gamma-Gamma q ≤ 1 gives no finite population mean order value; customers without repeat purchases get "
        "the repeat customers' mean value instead");
  return out;
}

// ---- sBG -----------------------------------------------------------------------------------------------------------

RetentionProjection project_retention(const Fit& sbg, int periods, double discount_per_period) {
  if (sbg.model != Model::sbg) throw Error(ErrorCode::internal, "clv: project_retention needs an sBG fit");
  if (!(discount_per_period > 0))
    throw Error(ErrorCode::usage, "a positive discount rate is needed for the discounted expected lifetime", {},
                "--discount 0.1");
  const double a = sbg.param("alpha"), b = sbg.param("beta");
  RetentionProjection p;
  p.survival.push_back(1.0);
  for (int t = 1; t <= periods; ++t) {
    const double rt = (b + t - 1) / (a + b + t - 1);
    p.retention.push_back(rt);
    p.survival.push_back(p.survival.back() * rt);
  }
  p.finite_lifetime = a > 1;
  p.expected_lifetime = p.finite_lifetime ? (a + b - 1) / (a - 1) : 0;
  // Median: the first period whose end finds at most half the cohort.
  double S = 1;
  for (int t = 1; t < 1000000; ++t) {
    S *= (b + t - 1) / (a + b + t - 1);
    if (S <= 0.5) {
      p.median_lifetime = t;
      break;
    }
  }
  // DEL = Σ_{t≥0} S(t) / (1+d)^t  (= 2F1(1, β; α+β; 1/(1+d)), Fader & Hardie 2010).
  const double v = 1 / (1 + discount_per_period);
  double term = 1, sum = 1;
  for (int t = 1; t < 100000 && term > 1e-16 * sum; ++t) {
    term *= v * (b + t - 1) / (a + b + t - 1);
    sum += term;
  }
  p.del = sum;
  return p;
}

double sbg_derl(const Fit& sbg, int renewals, double discount_per_period) {
  if (sbg.model != Model::sbg) throw Error(ErrorCode::internal, "clv: sbg_derl needs an sBG fit");
  if (!(discount_per_period > 0))
    throw Error(ErrorCode::usage, "a positive discount rate is needed for DERL", {}, "--discount 0.1");
  const double a = sbg.param("alpha"), b = sbg.param("beta");
  const double v = 1 / (1 + discount_per_period);
  // Σ_{j≥1} v^{j−1} S(k+j)/S(k), k = renewals  (= (β+k)/(α+β+k) 2F1(1, β+k+1; α+β+k+1; v)).
  const double k = renewals;
  double term = (b + k) / (a + b + k), sum = term;
  for (int j = 2; j < 100000 && term > 1e-16 * sum; ++j) {
    term *= v * (b + k + j - 1) / (a + b + k + j - 1);
    sum += term;
  }
  return sum;
}

}  // namespace koko::clv
