// The maximum-likelihood driver shared by every model: rows collapsed with weights, log-scale parameters,
// NLopt L-BFGS on the analytic gradient, a Newton polish on a finite-difference Hessian of that gradient, and
// standard errors from the same Hessian.
#include <fmt/format.h>
#include <nlopt.h>

#include <algorithm>
#include <array>
#include <boost/math/special_functions/digamma.hpp>
#include <chrono>
#include <cmath>
#include <cstring>
#include <type_traits>
#include <utility>

#include "koko/clv/detail.hpp"
#include "koko/core/error.hpp"

namespace koko::clv {

namespace detail {

double digamma(double x) { return boost::math::digamma(x); }

namespace {

void check_sizes(const RfmView& d) {
  const size_t n = d.x.size();
  if (d.t_x.size() != n || d.T.size() != n || (!d.weight.empty() && d.weight.size() != n))
    throw Error(ErrorCode::internal, "clv: x, t_x, T and weight have different lengths");
}

// One row's check; the message names the row.
inline void check_row(const RfmView& d, size_t i) {
  const double w = d.weight.empty() ? 1.0 : d.weight[i];
  if (d.x[i] < 0 || !std::isfinite(d.t_x[i]) || !std::isfinite(d.T[i]) || d.t_x[i] < 0 || d.t_x[i] > d.T[i] ||
      (d.x[i] == 0 && d.t_x[i] != 0) || !std::isfinite(w) || w < 0)
    throw Error(ErrorCode::input,
                fmt::format("row {}: x = {}, t_x = {}, T = {} is not a valid summary", i + 1, d.x[i], d.t_x[i], d.T[i]),
                {}, "x ≥ 0, 0 ≤ t_x ≤ T, t_x = 0 when x = 0, weights ≥ 0");
}

}  // namespace

void check_rfm(const RfmView& d) {
  check_sizes(d);
  for (size_t i = 0; i < d.x.size(); ++i) check_row(d, i);
}

namespace {

// Open addressing on 64-bit keys → dense indices; the slot array stays small relative to the rows.
class Interner {
 public:
  explicit Interner(size_t expected) {
    size_t cap = 64;
    while (cap < expected * 2) cap <<= 1;
    keys_.assign(cap, 0);
    vals_.assign(cap, UINT32_MAX);
    mask_ = cap - 1;
  }
  // Returns (index, inserted).
  std::pair<uint32_t, bool> intern(uint64_t key) {
    if (size_ * 2 >= keys_.size()) grow();
    size_t h = hash(key) & mask_;
    while (true) {
      if (vals_[h] == UINT32_MAX) {
        keys_[h] = key;
        vals_[h] = static_cast<uint32_t>(size_++);
        return {vals_[h], true};
      }
      if (keys_[h] == key) return {vals_[h], false};
      h = (h + 1) & mask_;
    }
  }

 private:
  static uint64_t hash(uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return k;
  }
  void grow() {
    std::vector<uint64_t> k = std::move(keys_);
    std::vector<uint32_t> v = std::move(vals_);
    keys_.assign(k.size() * 2, 0);
    vals_.assign(k.size() * 2, UINT32_MAX);
    mask_ = keys_.size() - 1;
    for (size_t i = 0; i < k.size(); ++i) {
      if (v[i] == UINT32_MAX) continue;
      size_t h = hash(k[i]) & mask_;
      while (vals_[h] != UINT32_MAX) h = (h + 1) & mask_;
      keys_[h] = k[i];
      vals_[h] = v[i];
    }
  }
  std::vector<uint64_t> keys_;
  std::vector<uint32_t> vals_;
  size_t mask_ = 0, size_ = 0;
};

uint64_t bits_of(double v) {
  if (v == 0) v = 0;  // -0 and 0 are one time
  uint64_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

}  // namespace

Collapsed collapse(const RfmView& d) {
  check_sizes(d);
  Collapsed c;
  const size_t n = d.x.size();
  c.input_rows = static_cast<int64_t>(n);
  Interner times(256), xs(64), rows(std::min<size_t>(n, 1 << 16));
  auto time_index = [&](double t) {
    const auto [i, fresh] = times.intern(bits_of(t));
    if (fresh) c.times.push_back(t == 0 ? 0.0 : t);
    return i;
  };
  // Small counts index an array directly; times go through a direct-mapped cache (one multiply and a compare)
  // in front of the interner.
  std::vector<uint32_t> x_slot;
  constexpr int32_t kDirectX = 1 << 16;
  auto x_index = [&](int32_t x) {
    if (x < kDirectX) {
      if (static_cast<size_t>(x) >= x_slot.size()) x_slot.resize(static_cast<size_t>(x) + 1, UINT32_MAX);
      uint32_t& slot = x_slot[static_cast<size_t>(x)];
      if (slot == UINT32_MAX) {
        slot = xs.intern(static_cast<uint64_t>(x)).first;
        c.xs.push_back(x);
        c.x_weight.push_back(0);
      }
      return slot;
    }
    const auto [xi, fresh] = xs.intern(static_cast<uint64_t>(x));
    if (fresh) {
      c.xs.push_back(x);
      c.x_weight.push_back(0);
    }
    return xi;
  };
  struct CacheSlot {
    uint64_t bits = 0;
    uint32_t index = UINT32_MAX;
  };
  std::vector<CacheSlot> time_cache(4096);
  auto grid_index = [&](double t) {
    const uint64_t b = bits_of(t);
    auto& slot = time_cache[(b * 0x9E3779B97F4A7C15ULL) >> 52];
    if (slot.index != UINT32_MAX && slot.bits == b) return slot.index;
    slot = {b, time_index(t)};
    return slot.index;
  };
  if (d.weight.empty()) {
    // Unweighted (every summary from orders): one pass learns the distinct x and times, a second packs each row
    // into a key, and a radix sort brings equal rows together — a third of the time of hashing a million rows,
    // and the merged rows come out in (x, t_x, T) order.
    for (size_t i = 0; i < n; ++i) {
      check_row(d, i);
      c.x_weight[x_index(d.x[i])] += 1;
      grid_index(d.t_x[i]);
      grid_index(d.T[i]);
    }
    c.total_weight = static_cast<double>(n);
    auto bits = [](size_t values) {
      int b = 1;
      while (b < 32 && (size_t{1} << b) < values) ++b;
      return b;
    };
    const int bx = bits(c.xs.size()), bt = bits(c.times.size()), total = bx + 2 * bt;
    auto merge = [&](auto& keys) {
      using Key = typename std::decay_t<decltype(keys)>::value_type;
      for (size_t i = 0; i < n; ++i)
        keys[i] = static_cast<Key>((Key{x_index(d.x[i])} << (2 * bt)) | (Key{grid_index(d.t_x[i])} << bt) |
                                   Key{grid_index(d.T[i])});
      std::vector<Key> tmp(n);
      constexpr int kDigit = 11;
      constexpr size_t kBuckets = size_t{1} << kDigit;
      std::vector<size_t> count(kBuckets);
      for (int shift = 0; shift < total; shift += kDigit) {
        std::fill(count.begin(), count.end(), 0);
        for (const Key k : keys) ++count[(k >> shift) & (kBuckets - 1)];
        size_t at = 0;
        for (auto& b : count) at += std::exchange(b, at);
        for (const Key k : keys) tmp[count[(k >> shift) & (kBuckets - 1)]++] = k;
        keys.swap(tmp);
      }
      const Key tmask = static_cast<Key>((Key{1} << bt) - 1);
      for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && keys[j] == keys[i]) ++j;
        const Key k = keys[i];
        c.rows.push_back({static_cast<uint32_t>(k >> (2 * bt)), static_cast<uint32_t>((k >> bt) & tmask),
                          static_cast<uint32_t>(k & tmask), static_cast<double>(j - i)});
        i = j;
      }
    };
    if (total <= 32) {
      std::vector<uint32_t> keys(n);
      merge(keys);
    } else if (total <= 64) {
      std::vector<uint64_t> keys(n);
      merge(keys);
    } else {
      for (size_t i = 0; i < n; ++i) c.rows.push_back({x_index(d.x[i]), grid_index(d.t_x[i]), grid_index(d.T[i]), 1.0});
    }
    return c;
  }
  for (size_t i = 0; i < n; ++i) check_row(d, i);
  for (size_t i = 0; i < n; ++i) {
    const double w = d.weight[i];
    if (w == 0) continue;
    const uint32_t xi = x_index(d.x[i]);
    const uint32_t ti = grid_index(d.t_x[i]);
    const uint32_t Ti = grid_index(d.T[i]);
    c.x_weight[xi] += w;
    c.total_weight += w;
    // 20 + 22 + 22 bits; beyond that, rows are simply not merged.
    if (xi < (1u << 20) && ti < (1u << 22) && Ti < (1u << 22)) {
      const uint64_t key = (uint64_t{xi} << 44) | (uint64_t{ti} << 22) | Ti;
      const auto [ri, fresh] = rows.intern(key);
      if (fresh) c.rows.push_back({xi, ti, Ti, 0});
      c.rows[ri].w += w;
    } else {
      c.rows.push_back({xi, ti, Ti, w});
    }
  }
  return c;
}

namespace {

struct Driver {
  const Problem& p;
  size_t n;
  int evals = 0;
  std::vector<double> theta, g;
  std::vector<double> best_phi;
  double best_f = kInf;

  // f = −LL / W at log-parameters phi; grad (may be null) = d f / d phi.
  double eval(const double* phi, double* grad) {
    ++evals;
    for (size_t i = 0; i < n; ++i) theta[i] = std::exp(phi[i]);
    std::fill(g.begin(), g.end(), 0.0);
    const double ll = p.loglik(theta, grad ? std::span<double>(g) : std::span<double>());
    double f = std::isfinite(ll) ? -ll / p.weight : 1e300;
    if (grad) {
      for (size_t i = 0; i < n; ++i) {
        grad[i] = -g[i] * theta[i] / p.weight;
        if (!std::isfinite(grad[i])) {
          grad[i] = 0;
          f = 1e300;
        }
      }
    }
    if (f < best_f) {
      best_f = f;
      best_phi.assign(phi, phi + n);
    }
    return f;
  }
};

double nlopt_objective(unsigned n, const double* x, double* grad, void* data) {
  static_cast<void>(n);
  return static_cast<Driver*>(data)->eval(x, grad);
}

const char* nlopt_words(nlopt_result r) {
  switch (r) {
    case NLOPT_SUCCESS: return "success";
    case NLOPT_STOPVAL_REACHED: return "target value reached";
    case NLOPT_FTOL_REACHED: return "relative change in the likelihood below tolerance";
    case NLOPT_XTOL_REACHED: return "relative change in the parameters below tolerance";
    case NLOPT_MAXEVAL_REACHED: return "evaluation limit reached";
    case NLOPT_MAXTIME_REACHED: return "time limit reached";
    case NLOPT_FAILURE: return "failed";
    case NLOPT_INVALID_ARGS: return "invalid arguments";
    case NLOPT_OUT_OF_MEMORY: return "out of memory";
    case NLOPT_ROUNDOFF_LIMITED: return "stopped by round-off (at the optimum to machine precision)";
    case NLOPT_FORCED_STOP: return "stopped";
    default: break;
  }
  return "unknown";
}

constexpr double kLogBound = 18.0;  // parameters within e^±18 ≈ 1.5e-8 .. 6.6e7

// In-place Cholesky of a small symmetric matrix; false when it is not positive definite.
bool cholesky(std::vector<double>& a, size_t n) {
  for (size_t j = 0; j < n; ++j) {
    double d = a[j * n + j];
    for (size_t k = 0; k < j; ++k) d -= a[j * n + k] * a[j * n + k];
    if (!(d > 0) || !std::isfinite(d)) return false;
    a[j * n + j] = std::sqrt(d);
    for (size_t i = j + 1; i < n; ++i) {
      double s = a[i * n + j];
      for (size_t k = 0; k < j; ++k) s -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = s / a[j * n + j];
    }
  }
  return true;
}

std::vector<double> cholesky_solve(const std::vector<double>& l, size_t n, std::vector<double> b) {
  for (size_t i = 0; i < n; ++i) {
    for (size_t k = 0; k < i; ++k) b[i] -= l[i * n + k] * b[k];
    b[i] /= l[i * n + i];
  }
  for (size_t i = n; i-- > 0;) {
    for (size_t k = i + 1; k < n; ++k) b[i] -= l[k * n + i] * b[k];
    b[i] /= l[i * n + i];
  }
  return b;
}

// Hessian of f in phi by central differences of the analytic gradient.
std::vector<double> hessian(Driver& d, const std::vector<double>& phi) {
  const size_t n = phi.size();
  std::vector<double> h(n * n), gp(n), gm(n), x = phi;
  for (size_t j = 0; j < n; ++j) {
    const double step = 1e-4;
    x[j] = phi[j] + step;
    d.eval(x.data(), gp.data());
    x[j] = phi[j] - step;
    d.eval(x.data(), gm.data());
    x[j] = phi[j];
    for (size_t i = 0; i < n; ++i) h[i * n + j] = (gp[i] - gm[i]) / (2 * step);
  }
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < i; ++j) h[i * n + j] = h[j * n + i] = 0.5 * (h[i * n + j] + h[j * n + i]);
  return h;
}

// The same by forward differences from a gradient already known at phi: half the evaluations, for the standard
// errors at an optimum (an error of order 1e-4 relative, far below a standard error's own precision).
std::vector<double> hessian_forward(Driver& d, const std::vector<double>& phi, const std::vector<double>& g0) {
  const size_t n = phi.size();
  std::vector<double> h(n * n), gp(n), x = phi;
  for (size_t j = 0; j < n; ++j) {
    const double step = 1e-4;
    x[j] = phi[j] + step;
    d.eval(x.data(), gp.data());
    x[j] = phi[j];
    for (size_t i = 0; i < n; ++i) h[i * n + j] = (gp[i] - g0[i]) / step;
  }
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < i; ++j) h[i * n + j] = h[j * n + i] = 0.5 * (h[i * n + j] + h[j * n + i]);
  return h;
}

double max_abs(const std::vector<double>& v) {
  double m = 0;
  for (double x : v) m = std::max(m, std::fabs(x));
  return m;
}

}  // namespace

Fit maximise(const Problem& p, const FitOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  const size_t n = p.names.size();
  Driver d{p, n, 0, {}, {}, {}, kInf};
  d.theta.assign(n, 0);
  d.g.assign(n, 0);
  std::vector<double> phi(n);
  const std::vector<double>& start = options.start.size() == n ? options.start : p.start;
  for (size_t i = 0; i < n; ++i) phi[i] = std::clamp(std::log(std::max(start[i], 1e-8)), -kLogBound, kLogBound);

  nlopt_opt opt = nlopt_create(NLOPT_LD_LBFGS, static_cast<unsigned>(n));
  nlopt_set_lower_bounds1(opt, -kLogBound);
  nlopt_set_upper_bounds1(opt, kLogBound);
  nlopt_set_min_objective(opt, nlopt_objective, &d);
  nlopt_set_ftol_rel(opt, 1e-13);
  nlopt_set_xtol_rel(opt, 1e-9);
  nlopt_set_maxeval(opt, options.max_evaluations);
  double fmin = 0;
  const nlopt_result res = nlopt_optimize(opt, phi.data(), &fmin);
  nlopt_destroy(opt);
  if (!d.best_phi.empty()) phi = d.best_phi;
  const int lbfgs_evals = d.evals;

  // Newton polish: one to three steps take L-BFGS's answer to the optimum to machine precision; the last Hessian
  // (at the final point) gives the standard errors.
  std::vector<double> grad(n);
  double f = d.eval(phi.data(), grad.data());
  int newton_steps = 0;
  bool pd = false;
  std::vector<double> h;
  bool h_current = false;
  for (int it = 0; it < 3 && max_abs(grad) >= 1e-6; ++it) {
    h = hessian(d, phi);
    h_current = true;
    std::vector<double> l = h;
    pd = cholesky(l, n);
    if (!pd || max_abs(grad) < 1e-10) break;
    std::vector<double> minus_g(n);
    for (size_t i = 0; i < n; ++i) minus_g[i] = -grad[i];
    const auto step = cholesky_solve(l, n, minus_g);
    double scale = 1;
    bool moved = false;
    std::vector<double> trial(n), tgrad(n);
    for (int k = 0; k < 30; ++k, scale *= 0.5) {
      for (size_t i = 0; i < n; ++i) trial[i] = std::clamp(phi[i] + scale * step[i], -kLogBound, kLogBound);
      const double ft = d.eval(trial.data(), tgrad.data());
      if (ft <= f && (ft < f || max_abs(tgrad) < max_abs(grad))) {
        phi = trial;
        grad = tgrad;
        f = ft;
        moved = true;
        break;
      }
    }
    if (!moved) break;
    ++newton_steps;
    h_current = false;
    if (max_abs(grad) < 1e-10) break;
  }
  if (!h_current) {
    h = max_abs(grad) < 1e-6 ? hessian_forward(d, phi, grad) : hessian(d, phi);
    std::vector<double> l = h;
    pd = cholesky(l, n);
  }

  Fit fit;
  fit.model = p.model;
  fit.log_likelihood = -f * p.weight;
  fit.evaluations = d.evals;
  fit.iterations = lbfgs_evals + newton_steps;
  fit.rows = p.rows;
  fit.unique_rows = p.unique_rows;
  const double gmax = max_abs(grad);
  bool at_bound = false;
  for (double v : phi) at_bound = at_bound || std::fabs(v) >= kLogBound - 1e-6;
  fit.converged = pd && gmax < 1e-6 && !at_bound && std::isfinite(fit.log_likelihood);

  // Covariance of phi = (W·H)^-1; SE(θ) = θ·SE(φ).
  std::vector<double> se(n, 0);
  if (pd) {
    std::vector<double> l = h;
    for (double& v : l) v *= p.weight;
    if (cholesky(l, n)) {
      for (size_t j = 0; j < n; ++j) {
        std::vector<double> e(n, 0);
        e[j] = 1;
        const auto col = cholesky_solve(l, n, e);
        se[j] = col[j] > 0 ? std::exp(phi[j]) * std::sqrt(col[j]) : 0;
      }
    }
  }
  for (size_t i = 0; i < n; ++i) fit.params.push_back({p.names[i], std::exp(phi[i]), std::isfinite(se[i]) ? se[i] : 0});
  fit.status = fmt::format("{} after {} L-BFGS evaluations and {} Newton steps ({}; largest scaled gradient {:.1e}{}{})",
                           fit.converged ? "converged" : "did not converge", lbfgs_evals, newton_steps,
                           nlopt_words(res), gmax, pd ? "" : "; the Hessian is not positive definite",
                           at_bound ? "; a parameter reached its bound" : "");
  fit.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return fit;
}

}  // namespace detail

double Fit::param(std::string_view name) const {
  for (const auto& e : params)
    if (e.name == name) return e.value;
  throw Error(ErrorCode::internal, fmt::format("clv: model {} has no parameter '{}'", model_name(model), name));
}

std::vector<double> Fit::values() const {
  std::vector<double> v;
  for (const auto& e : params) v.push_back(e.value);
  return v;
}

namespace {
struct ModelName {
  Model m;
  std::string_view name, title;
};
constexpr std::array kModels = {
    ModelName{Model::bgnbd, "bgnbd", "BG/NBD"},           ModelName{Model::mbgnbd, "mbgnbd", "MBG/NBD"},
    ModelName{Model::pareto_nbd, "pareto_nbd", "Pareto/NBD"}, ModelName{Model::nbd, "nbd", "NBD"},
    ModelName{Model::gamma_gamma, "gamma_gamma", "Gamma-Gamma"}, ModelName{Model::bgbb, "bgbb", "BG/BB"},
    ModelName{Model::sbg, "sbg", "sBG"},
};
}  // namespace

std::string_view model_name(Model m) {
  for (const auto& e : kModels)
    if (e.m == m) return e.name;
  return "?";
}
std::string_view model_title(Model m) {
  for (const auto& e : kModels)
    if (e.m == m) return e.title;
  return "?";
}
std::optional<Model> parse_model(std::string_view s) {
  std::string k(s);
  std::replace(k.begin(), k.end(), '-', '_');
  std::replace(k.begin(), k.end(), '/', '_');
  std::transform(k.begin(), k.end(), k.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (k == "pnbd" || k == "paretonbd") k = "pareto_nbd";
  if (k == "bg_nbd") k = "bgnbd";
  if (k == "mbg_nbd") k = "mbgnbd";
  if (k == "gg") k = "gamma_gamma";
  if (k == "bg_bb") k = "bgbb";
  for (const auto& e : kModels)
    if (e.name == k) return e.m;
  return std::nullopt;
}

}  // namespace koko::clv
