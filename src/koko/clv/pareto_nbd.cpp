// Pareto/NBD (Schmittlein, Morrison & Colombo 1987) in the form of Fader & Hardie's 2005 derivation note:
//   L = Γ(r+x) α^r β^s / Γ(r) · [ (α+T)^-(r+x) (β+T)^-s + s·I ],   I = ∫_{t_x}^{T} (α+u)^-(r+x) (β+u)^-(s+1) du.
// I = F(t_x) − F(T) with F(τ) = ∫_τ^∞, a Gauss 2F1(A, b; A+1; y) / (A (max(α,β)+τ)^A), A = r+s+x. Boost 1.74 has
// no 2F1; after Euler's transformation 2F1(A, b; A+1; y) = (1−y)^{1−b} Σ_k (A+1−b)_k/(A+1)_k y^k the series has
// positive terms, each below y times the one before, so it is summed directly (with its parameter derivatives)
// while y ≤ 0.7. Beyond that, or when F(t_x) ≈ F(T), I is integrated directly: Gauss–Legendre panels in
// v = log(min(α,β)+u), where the integrand is log-concave.
#include <algorithm>
#include <cmath>
#include <vector>

#include "koko/clv/detail.hpp"

namespace koko::clv::detail {
namespace {

constexpr double kSeriesMax = 0.7;

struct LogF {
  double v = 0;       // log F or log I
  double d[4] = {};   // derivatives w.r.t. r, α, s, β
};

// The series' coefficients depend on x (and the parameters) but not on the row's time: within one likelihood
// evaluation they are computed once per distinct x and extended on demand, so a row's series is multiply-adds
// without divisions. c[k] = Π_{j≤k} (o+j−1)/(A+j); ho[k], ha[k] = c[k] times the harmonic sums that the r, s
// derivatives need.
struct SeriesCoefficients {
  double o = 0, A = 0, Ho = 0, HA = 0, logA = 0;
  std::vector<double> c{1.0}, ho{0.0}, ha{0.0};
  void reset(double o_, double A_) {
    o = o_, A = A_, Ho = 0, HA = 0, logA = std::log(A_);
    c.assign(1, 1.0);
    ho.assign(1, 0.0);
    ha.assign(1, 0.0);
  }
  void extend() {
    const size_t k = c.size();
    Ho += 1.0 / (o + static_cast<double>(k) - 1);
    HA += 1.0 / (A + static_cast<double>(k));
    const double ck = c.back() * (o + static_cast<double>(k) - 1) / (A + static_cast<double>(k));
    c.push_back(ck);
    ho.push_back(ck * Ho);
    ha.push_back(ck * HA);
  }
};

// log F(τ) by the Euler-transformed series; y = |α−β|/(max(α,β)+τ) ≤ kSeriesMax.
// logs: log(α+τ) and log(β+τ) when the caller has them (cached with the coefficients), else null.
LogF log_tail_series(double r, double al, double s, double be, double x, double tau,
                     SeriesCoefficients* cached = nullptr, const double* logs = nullptr) {
  const double p = r + x, A = r + s + x;
  const bool a_ge_b = al >= be;
  const double o = a_ge_b ? p : s + 1;  // the series' upper parameter
  const double y = a_ge_b ? (al - be) / (al + tau) : (be - al) / (be + tau);
  double term = 1, S = 1, So = 0, SA = 0, Sy = 0, Ho = 0, HA = 0;
  if (y > 0 && cached != nullptr) {
    auto& cf = *cached;
    double yk = 1;
    for (size_t k = 1; k < 2000; ++k) {
      if (k == cf.c.size()) cf.extend();
      yk *= y;
      term = cf.c[k] * yk;
      S += term;
      So += cf.ho[k] * yk;
      SA += cf.ha[k] * yk;
      Sy += static_cast<double>(k) * term;
      if (term < 1e-17 * S) break;
    }
    Sy /= y;
  } else if (y > 0) {
    for (int k = 1; k < 2000; ++k) {
      Ho += 1.0 / (o + k - 1);
      HA += 1.0 / (A + k);
      term *= (o + k - 1) / (A + k) * y;
      S += term;
      So += term * Ho;
      SA += term * HA;
      Sy += k * term;
      if (term < 1e-17 * S) break;
    }
    Sy /= y;
  }
  const double la = logs ? logs[0] : std::log(al + tau), lb = logs ? logs[1] : std::log(be + tau);
  const double logA = cached ? cached->logA : std::log(A);
  LogF f;
  if (a_ge_b) {
    f.v = -p * la - s * lb + std::log(S) - logA;
    f.d[0] = -la + (So - SA) / S - 1 / A;
    f.d[2] = -lb - SA / S - 1 / A;
    f.d[1] = -p / (al + tau) + Sy / S * (be + tau) / ((al + tau) * (al + tau));
    f.d[3] = -s / (be + tau) - Sy / S / (al + tau);
  } else {
    f.v = -(s + 1) * lb + (1 - p) * la + std::log(S) - logA;
    f.d[0] = -la - SA / S - 1 / A;
    f.d[2] = -lb + (So - SA) / S - 1 / A;
    f.d[1] = (1 - p) / (al + tau) - Sy / S / (be + tau);
    f.d[3] = -(s + 1) / (be + tau) + Sy / S * (al + tau) / ((be + tau) * (be + tau));
  }
  return f;
}

// log I by quadrature, I = ∫_{t0}^{t1} (α+u)^-p (β+u)^-q du, t0 < t1.
LogF log_integral_quadrature(double r, double al, double s, double be, double x, double t0, double t1) {
  const double p = r + x, q = s + 1;
  const double m = std::min(al, be), M = std::max(al, be);
  const bool alpha_small = al <= be;
  const double v0 = std::log(m + t0), v1 = std::log(m + t1);
  const auto& gl = gauss_legendre10();
  // log of the integrand in v, and the two logs it needs.
  auto eval = [&](double v, double& lal, double& lbe) {
    const double ev = std::exp(v);
    const double lother = std::log(M - m + ev);
    lal = alpha_small ? v : lother;
    lbe = alpha_small ? lother : v;
    return v - p * lal - q * lbe;
  };
  // The integrand is unimodal in v (its slope falls): start at the peak and walk out both ways until what is
  // left is negligible, so the work is a few dozen panels however far v0 lies from the mass (it once walked
  // from log 1e-10 in thousands of steps when the optimiser tried a tiny α or β).
  auto slope_at = [&](double v) {
    double lal, lbe;
    eval(v, lal, lbe);
    return 1 - p * std::exp(v - lal) - q * std::exp(v - lbe);
  };
  double peak = v0;
  if (slope_at(v0) > 0) {
    if (slope_at(v1) >= 0) {
      peak = v1;
    } else {
      double lo = v0, hi = v1;
      for (int i = 0; i < 100 && hi - lo > 1e-12 * std::max(1.0, std::fabs(hi)); ++i) {
        const double mid = 0.5 * (lo + hi);
        (slope_at(mid) > 0 ? lo : hi) = mid;
      }
      peak = 0.5 * (lo + hi);
    }
  }
  double lal0, lbe0;
  const double ref = eval(peak, lal0, lbe0);
  // Panels scaled to how fast the integrand falls at its peak (its slope there, or its curvature): p + q bounds
  // that but can be far larger (a huge r with a huge α is a near-deterministic rate, and p ~ 1e7).
  const double ka = alpha_small ? 0.0 : M - m, kb = alpha_small ? M - m : 0.0, ep = std::exp(peak);
  const double curvature = p * ka * ep / ((ka + ep) * (ka + ep)) + q * kb * ep / ((kb + ep) * (kb + ep));
  const double h = std::min(1.0, 3.0 / std::max({1.0, std::fabs(slope_at(peak)), std::sqrt(curvature)}));
  double S = 0, Sr = 0, Ss = 0, Sa = 0, Sb = 0;
  auto panel = [&](double a, double b) {
    for (size_t k = 0; k < gl.node.size(); ++k) {
      const double v = a + (b - a) * gl.node[k];
      double lal, lbe;
      const double lg = eval(v, lal, lbe);
      const double w = (b - a) * gl.weight[k] * std::exp(lg - ref);
      S += w;
      Sr -= w * lal;
      Ss -= w * lbe;
      Sa -= w * p * std::exp(-lal);
      Sb -= w * q * std::exp(-lbe);
    }
  };
  // Negligible: the rest of a log-concave tail beyond `edge`, bounded by its value over its slope.
  auto negligible = [&](double edge, double direction) {
    double lal, lbe;
    const double lend = eval(edge, lal, lbe);
    const double slope = direction * (1 - p * std::exp(edge - lal) - q * std::exp(edge - lbe));
    return slope < 0 && lend - ref - std::log(-slope) < std::log(S) - 39;
  };
  for (double a = peak; a < v1;) {
    const double b = std::min(v1, a + h);
    panel(a, b);
    if (negligible(b, 1)) break;
    a = b;
  }
  for (double b = peak; b > v0;) {
    const double a = std::max(v0, b - h);
    panel(a, b);
    if (negligible(a, -1)) break;
    b = a;
  }
  LogF f;
  f.v = ref + std::log(S);
  f.d[0] = Sr / S;
  f.d[1] = Sa / S;
  f.d[2] = Ss / S;
  f.d[3] = Sb / S;
  return f;
}

// log I and its derivatives for one row.
// logs (optional): log(α+t_x), log(β+t_x), log(α+T), log(β+T).
LogF log_integral(double r, double al, double s, double be, double x, double tx, double T,
                  SeriesCoefficients* cached = nullptr, const double* logs = nullptr) {
  const double y = std::fabs(al - be) / (std::max(al, be) + tx);
  if (y <= kSeriesMax) {
    const LogF a = log_tail_series(r, al, s, be, x, tx, cached, logs);
    const LogF b = log_tail_series(r, al, s, be, x, T, cached, logs ? logs + 2 : nullptr);
    const double ratio = std::exp(b.v - a.v);
    if (ratio < 0.9) {
      LogF f;
      f.v = a.v + std::log1p(-ratio);
      for (int i = 0; i < 4; ++i) f.d[i] = (a.d[i] - ratio * b.d[i]) / (1 - ratio);
      return f;
    }
  }
  return log_integral_quadrature(r, al, s, be, x, tx, T);
}

}  // namespace

LogLik pareto_nbd_loglik(const Collapsed& c) {
  return [&c](std::span<const double> th, std::span<double> grad) {
    const double r = th[0], al = th[1], s = th[2], be = th[3];
    const bool g = !grad.empty();
    const double lgr = std::lgamma(r), psi_r = g ? digamma(r) : 0;
    const double W = c.total_weight;
    double ll = W * (r * std::log(al) + s * std::log(be));
    double d[4] = {W * std::log(al), W * r / al, W * std::log(be), W * s / be};
    for (size_t k = 0; k < c.xs.size(); ++k) {
      ll += c.x_weight[k] * (std::lgamma(r + c.xs[k]) - lgr);
      if (g) d[0] += c.x_weight[k] * (digamma(r + c.xs[k]) - psi_r);
    }
    const double ls = std::log(s);
    // Per evaluation: the logs of each distinct time, and each distinct x's series coefficients (built lazily).
    std::vector<double> la(c.times.size()), lb(c.times.size());
    for (size_t i = 0; i < c.times.size(); ++i) {
      la[i] = std::log(al + c.times[i]);
      lb[i] = std::log(be + c.times[i]);
    }
    std::vector<SeriesCoefficients> series(c.xs.size());
    std::vector<char> ready(c.xs.size(), 0);
    for (const auto& row : c.rows) {
      const double x = c.xs[row.xi], tx = c.times[row.txi], T = c.times[row.Ti];
      const double p = r + x;
      const double laT = la[row.Ti], lbT = lb[row.Ti];
      const double lP = -p * laT - s * lbT;
      if (tx >= T) {  // no interval in which the customer could have dropped out unseen
        ll += row.w * lP;
        d[0] -= row.w * laT;
        d[1] -= row.w * p / (al + T);
        d[2] -= row.w * lbT;
        d[3] -= row.w * s / (be + T);
        continue;
      }
      if (!ready[row.xi]) {
        series[row.xi].reset(al >= be ? p : s + 1, r + s + x);
        ready[row.xi] = 1;
      }
      const double logs[4] = {la[row.txi], lb[row.txi], laT, lbT};
      const LogF I = log_integral(r, al, s, be, x, tx, T, &series[row.xi], logs);
      const double lI = ls + I.v;
      // log(e^lP + e^lI) and the two shares of the sum from one exp.
      const double diff = lP - lI, e = std::exp(-std::fabs(diff));
      const double lJ = std::max(lP, lI) + std::log1p(e);
      ll += row.w * lJ;
      if (!g) continue;
      const double big = 1.0 / (1.0 + e), small = e * big;
      const double wP = diff >= 0 ? big : small, wI = diff >= 0 ? small : big;
      d[0] += row.w * (wP * -laT + wI * I.d[0]);
      d[1] += row.w * (wP * -p / (al + T) + wI * I.d[1]);
      d[2] += row.w * (wP * -lbT + wI * (1 / s + I.d[2]));
      d[3] += row.w * (wP * -s / (be + T) + wI * I.d[3]);
    }
    if (g)
      for (int i = 0; i < 4; ++i) grad[static_cast<size_t>(i)] = d[i];
    return ll;
  };
}

// Exposed for predictions: log of the bracket J = (α+T)^-(r+x)(β+T)^-s + s·I and of its first term.
void pareto_nbd_bracket(double r, double al, double s, double be, double x, double tx, double T, double& lP,
                        double& lJ) {
  lP = -(r + x) * std::log(al + T) - s * std::log(be + T);
  if (tx >= T) {
    lJ = lP;
    return;
  }
  lJ = log_add(lP, std::log(s) + log_integral(r, al, s, be, x, tx, T).v);
}

}  // namespace koko::clv::detail
