// Effect moments: the effect of a variant against the control on the absolute or relative scale, its standard
// error by the delta method, Welch–Satterthwaite degrees of freedom, and the CUPED regression adjustment.
#include <cmath>

#include "koko/experiment/experiment.hpp"

namespace koko::experiment {

namespace {

double dn(int64_t n) { return static_cast<double>(n); }

// Proportions use population moments (p(1 − p), as GrowthBook does); means and ratios sample moments.
double divisor(int64_t n, MetricKind kind) { return kind == MetricKind::proportion ? dn(n) : dn(n - 1); }

// The arm's covariate after imputing the pooled observed pre-period mean c for units without one.
struct Covariate {
  double x_mean = 0, x_m2 = 0, xy_c = 0;
};

Covariate impute(const ArmStats& a, double c) {
  const double n = dn(a.n), no = dn(a.n_pre), nm = dn(a.n - a.n_pre);
  Covariate out;
  out.x_mean = (no * a.pre_mean + nm * c) / n;
  const double dxo = a.pre_mean - out.x_mean, dxm = c - out.x_mean;
  out.x_m2 = a.pre_m2 + no * dxo * dxo + nm * dxm * dxm;
  out.xy_c = a.post_pre_c + no * dxo * (a.pre_y_mean - a.mean);
  if (nm > 0) {
    const double ym_mean = (n * a.mean - no * a.pre_y_mean) / nm;  // the metric over the units without pre
    out.xy_c += nm * dxm * (ym_mean - a.mean);
  }
  return out;
}

double pooled_pre_mean(std::span<const ArmStats> arms) {
  double n = 0, s = 0;
  for (const auto& a : arms) {
    n += dn(a.n_pre);
    s += dn(a.n_pre) * a.pre_mean;
  }
  return n > 0 ? s / n : 0.0;
}

double welch_df(double va, double na, double vb, double nb) {
  const double ta = va / na, tb = vb / nb;
  const double den = ta * ta / (na - 1) + tb * tb / (nb - 1);
  return den > 0 ? (ta + tb) * (ta + tb) / den : 0.0;
}

EffectMoments failed(EffectMoments m, std::string why) {
  m.ok = false;
  m.problem = std::move(why);
  m.effect = m.se = m.df = 0;
  return m;
}

}  // namespace

ArmStats ArmStats::from_sums(int64_t n, double sum, double sum_sq) {
  ArmStats a;
  a.n = n;
  if (n > 0) {
    a.mean = sum / dn(n);
    a.m2 = std::max(0.0, sum_sq - sum * a.mean);
  }
  return a;
}

void ArmStats::set_pre_sums(int64_t n_pre_units, double y_sum, double y_sum_sq, double x_sum, double x_sum_sq,
                            double xy_sum) {
  n_pre = n_pre_units;
  if (n_pre <= 0) return;
  const double k = dn(n_pre);
  pre_y_mean = y_sum / k;
  pre_y_m2 = std::max(0.0, y_sum_sq - y_sum * pre_y_mean);
  pre_mean = x_sum / k;
  pre_m2 = std::max(0.0, x_sum_sq - x_sum * pre_mean);
  post_pre_c = xy_sum - x_sum * pre_y_mean;
}

void ArmStats::set_denominator_sums(double d_sum, double d_sum_sq, double yd_sum) {
  if (n <= 0) return;
  den_mean = d_sum / dn(n);
  den_m2 = std::max(0.0, d_sum_sq - d_sum * den_mean);
  num_den_c = yd_sum - d_sum * mean;
}

ArmStats proportion_arm(int64_t users, int64_t conversions) {
  return ArmStats::from_sums(users, dn(conversions), dn(conversions));
}

double metric_mean(const ArmStats& a, MetricKind kind) {
  if (kind == MetricKind::ratio) return a.den_mean != 0 ? a.mean / a.den_mean : 0.0;
  return a.mean;
}

double unit_variance(const ArmStats& a, MetricKind kind) {
  if (a.n < 1 || (kind != MetricKind::proportion && a.n < 2)) return 0;
  const double d = divisor(a.n, kind);
  if (kind != MetricKind::ratio) return a.m2 / d;
  if (a.den_mean == 0) return 0;
  const double m = a.mean, dm = a.den_mean;
  const double v = (a.m2 / d) / (dm * dm) - 2 * (a.num_den_c / d) * m / (dm * dm * dm) +
                   (a.den_m2 / d) * m * m / (dm * dm * dm * dm);
  return std::max(0.0, v);
}

double cuped_theta(std::span<const ArmStats> arms) {
  const double c = pooled_pre_mean(arms);
  double n = 0, x = 0, y = 0;
  std::vector<Covariate> cov;
  for (const auto& a : arms) {
    cov.push_back(impute(a, c));
    n += dn(a.n);
    x += dn(a.n) * cov.back().x_mean;
    y += dn(a.n) * a.mean;
  }
  if (n <= 0) return 0;
  x /= n;
  y /= n;
  double m2 = 0, cxy = 0;
  for (size_t i = 0; i < arms.size(); ++i) {
    const double na = dn(arms[i].n), dx = cov[i].x_mean - x;
    m2 += cov[i].x_m2 + na * dx * dx;
    cxy += cov[i].xy_c + na * dx * (arms[i].mean - y);
  }
  return m2 > 0 ? cxy / m2 : 0.0;
}

EffectMoments effect_moments(const ArmStats& a, const ArmStats& b, MetricKind kind, Scale scale,
                             std::optional<double> theta) {
  EffectMoments m;
  m.n_total = dn(a.n) + dn(b.n);
  m.control_mean = metric_mean(a, kind);
  m.variant_mean = metric_mean(b, kind);
  if (a.n < 2 || b.n < 2) return failed(m, "fewer than 2 units in a variant");
  if (kind == MetricKind::ratio && (a.den_mean == 0 || b.den_mean == 0)) return failed(m, "denominator is 0");
  const double na = dn(a.n), nb = dn(b.n);
  const double ma = m.control_mean, mb = m.variant_mean;
  if (scale == Scale::relative && ma == 0) return failed(m, "control mean is 0");

  const double va = unit_variance(a, kind), vb = unit_variance(b, kind);
  double se_plain = 0;
  if (scale == Scale::absolute)
    se_plain = std::sqrt(va / na + vb / nb);
  else
    se_plain = std::sqrt(vb / (nb * ma * ma) + va * mb * mb / (na * ma * ma * ma * ma));

  if (!theta || kind == MetricKind::ratio) {
    m.var_control = va;
    m.var_variant = vb;
    m.effect = scale == Scale::absolute ? mb - ma : (mb - ma) / std::abs(ma);
    m.se = se_plain;
  } else {
    // CUPED: adjusted value y − θ·x per unit; the relative effect divides by the unadjusted control mean.
    const double t = *theta;
    const ArmStats arms[] = {a, b};
    const double c = pooled_pre_mean(arms);
    const Covariate ca = impute(a, c), cb = impute(b, c);
    const double da = divisor(a.n, kind), db = divisor(b.n, kind);
    const double adj_va = std::max(0.0, (a.m2 + t * t * ca.x_m2 - 2 * t * ca.xy_c) / da);
    const double adj_vb = std::max(0.0, (b.m2 + t * t * cb.x_m2 - 2 * t * cb.xy_c) / db);
    const double diff = (b.mean - t * cb.x_mean) - (a.mean - t * ca.x_mean);
    m.var_control = adj_va;
    m.var_variant = adj_vb;
    m.cuped = true;
    m.theta = t;
    if (scale == Scale::absolute) {
      m.effect = diff;
      m.se = std::sqrt(adj_va / na + adj_vb / nb);
    } else {
      m.effect = diff / std::abs(ma);
      const double v_trt = adj_vb / (nb * ma * ma);
      const double v_ctl =
          (a.m2 / da * mb * mb / (ma * ma) - 2 * t * (ca.xy_c / da) * mb / ma + t * t * ca.x_m2 / da) / (na * ma * ma);
      m.se = std::sqrt(std::max(0.0, v_trt + v_ctl));
    }
    m.se_unadjusted = se_plain;
    m.variance_reduction = se_plain > 0 ? 1 - (m.se * m.se) / (se_plain * se_plain) : 0.0;
  }
  m.df = welch_df(m.var_control, na, m.var_variant, nb);
  if (!(m.se > 0) || !(m.df > 0) || !std::isfinite(m.se)) return failed(m, "zero variance");
  m.ok = true;
  return m;
}

}  // namespace koko::experiment
