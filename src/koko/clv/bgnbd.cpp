// BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way"), MBG/NBD (Batislam, Denizel &
// Filiztekin 2007) and their common no-dropout limit, the NBD. Per evaluation, each log(α + τ) is computed once per
// distinct time and each Γ/B term once per distinct x; a row costs one exp and one log1p.
#include <fmt/format.h>

#include <cmath>

#include "koko/clv/detail.hpp"
#include "koko/core/error.hpp"

namespace koko::clv {
namespace detail {

LogLik bgnbd_loglik(const Collapsed& c, bool modified) {
  return [&c, modified](std::span<const double> th, std::span<double> grad) {
    const double r = th[0], al = th[1], a = th[2], b = th[3];
    const double e = modified ? 1.0 : 0.0;
    const size_t nt = c.times.size(), nx = c.xs.size();
    std::vector<double> lt(nt), it(nt);
    for (size_t i = 0; i < nt; ++i) {
      lt[i] = std::log(al + c.times[i]);
      it[i] = 1.0 / (al + c.times[i]);
    }
    const bool g = !grad.empty();
    const double lgr = std::lgamma(r), lbab = lbeta(a, b);
    const double psi_r = g ? digamma(r) : 0, psi_ab = g ? digamma(a + b) : 0, psi_b = g ? digamma(b) : 0;
    std::vector<double> la(nx), W2(nx, 0.0);
    std::vector<char> has2(nx);
    double ll = 0, dr = 0, da = 0, db = 0;
    for (size_t k = 0; k < nx; ++k) {
      const double x = c.xs[k], wx = c.x_weight[k];
      ll += wx * (std::lgamma(r + x) - lgr + lbeta(a, b + x + e) - lbab);
      has2[k] = static_cast<char>(x > 0 || modified);
      la[k] = has2[k] ? std::log(a) - std::log(b + x + e - 1) : 0;
      if (g) {
        const double psi_abx = digamma(a + b + x + e);
        dr += wx * (digamma(r + x) - psi_r);
        da += wx * (psi_ab - psi_abx);
        db += wx * (digamma(b + x + e) - psi_abx - psi_b + psi_ab);
      }
    }
    const double W = c.total_weight;
    ll += W * r * std::log(al);
    double sum = 0, gr = 0, gal = 0;
    for (const auto& row : c.rows) {
      const double n = r + c.xs[row.xi];
      const double u1 = -n * lt[row.Ti];
      if (!has2[row.xi]) {
        sum += row.w * u1;
        gr -= row.w * lt[row.Ti];
        gal -= row.w * n * it[row.Ti];
        continue;
      }
      const double u2 = la[row.xi] - n * lt[row.txi];
      const double d = u2 - u1;
      const double q = std::exp(-std::fabs(d));
      const double big = 1.0 / (1.0 + q), small = q * big;
      const double w2 = d > 0 ? big : small, w1 = 1.0 - w2;
      sum += row.w * (std::max(u1, u2) + std::log1p(q));
      gr -= row.w * (w1 * lt[row.Ti] + w2 * lt[row.txi]);
      gal -= row.w * n * (w1 * it[row.Ti] + w2 * it[row.txi]);
      W2[row.xi] += row.w * w2;
    }
    ll += sum;
    if (g) {
      for (size_t k = 0; k < nx; ++k) {
        if (!has2[k]) continue;
        da += W2[k] / a;
        db -= W2[k] / (b + c.xs[k] + e - 1);
      }
      grad[0] = dr + W * std::log(al) + gr;
      grad[1] = W * r / al + gal;
      grad[2] = da;
      grad[3] = db;
    }
    return ll;
  };
}

LogLik nbd_loglik(const Collapsed& c) {
  return [&c](std::span<const double> th, std::span<double> grad) {
    const double r = th[0], al = th[1];
    const size_t nt = c.times.size();
    std::vector<double> lt(nt), it(nt);
    for (size_t i = 0; i < nt; ++i) {
      lt[i] = std::log(al + c.times[i]);
      it[i] = 1.0 / (al + c.times[i]);
    }
    const bool g = !grad.empty();
    const double lgr = std::lgamma(r), psi_r = g ? digamma(r) : 0;
    double ll = 0, dr = 0;
    for (size_t k = 0; k < c.xs.size(); ++k) {
      ll += c.x_weight[k] * (std::lgamma(r + c.xs[k]) - lgr);
      if (g) dr += c.x_weight[k] * (digamma(r + c.xs[k]) - psi_r);
    }
    const double W = c.total_weight;
    ll += W * r * std::log(al);
    double gal = 0;
    for (const auto& row : c.rows) {
      const double n = r + c.xs[row.xi];
      ll -= row.w * n * lt[row.Ti];
      dr -= row.w * lt[row.Ti];
      gal -= row.w * n * it[row.Ti];
    }
    if (g) {
      grad[0] = dr + W * std::log(al);
      grad[1] = W * r / al + gal;
    }
    return ll;
  };
}

Problem rfm_problem(Model m, const Collapsed& c, std::vector<double> start) {
  Problem p;
  p.model = m;
  p.weight = c.total_weight;
  p.rows = static_cast<int64_t>(std::llround(c.total_weight));
  p.unique_rows = static_cast<int64_t>(c.rows.size());
  p.start = std::move(start);
  switch (m) {
    case Model::bgnbd:
    case Model::mbgnbd:
      p.names = {"r", "alpha", "a", "b"};
      p.loglik = bgnbd_loglik(c, m == Model::mbgnbd);
      break;
    case Model::nbd:
      p.names = {"r", "alpha"};
      p.loglik = nbd_loglik(c);
      break;
    case Model::pareto_nbd:
      p.names = {"r", "alpha", "s", "beta"};
      p.loglik = pareto_nbd_loglik(c);
      break;
    default: throw Error(ErrorCode::internal, "clv: not a repeat-buying model");
  }
  return p;
}

void check_boundary(Fit& fit, const Collapsed& c, const FitOptions& options, const Fit& nbd) {
  static_cast<void>(c);
  const double gap = fit.log_likelihood - nbd.log_likelihood;
  if (gap >= options.boundary_ll_gap) return;
  fit.at_boundary = true;
  fit.converged = false;
  fit.limit = {nbd};
  fit.note = fmt::format(
      "The {0} likelihood has no interior maximum on this data: it keeps rising towards the no-dropout boundary, "
      "where the model becomes the NBD (customers never drop out). Its best log-likelihood ({1:.2f}) is within "
      "{2} of the NBD's ({3:.2f}), so the dropout parameters are not identified and any optimiser stops at arbitrary "
      "values. koko reports the NBD's parameters (r = {4:.4g}, alpha = {5:.4g}) and its predictions, with P(alive) = 1. "
      "To measure dropout, use a longer calibration period or include customers who have stopped buying.",
      model_title(fit.model), fit.log_likelihood, options.boundary_ll_gap, nbd.log_likelihood, nbd.param("r"),
      nbd.param("alpha"));
}

}  // namespace detail

namespace {

void require_repeaters(const detail::Collapsed& c) {
  if (c.total_weight < 2)
    throw Error(ErrorCode::analysis, "at least two customers are needed to fit a repeat-buying model", {},
                "import more orders, or move --calibration-end later");
  bool any = false;
  for (size_t k = 0; k < c.xs.size(); ++k) any = any || (c.xs[k] > 0 && c.x_weight[k] > 0);
  if (!any)
    throw Error(ErrorCode::analysis,
                "every customer bought on only one day in the calibration period, so repeat buying cannot be fitted",
                {}, "move --calibration-end later so that repeat purchases fall inside it, or import more orders");
}

// Moment-based start for the NBD: with r = 1, E[x] = T / α.
std::vector<double> nbd_start(const detail::Collapsed& c) {
  double sx = 0, sT = 0;
  for (const auto& row : c.rows) {
    sx += row.w * c.xs[row.xi];
    sT += row.w * c.times[row.Ti];
  }
  const double alpha = std::max(1e-3, sT / std::max(sx, 1e-3));
  return {1.0, alpha};
}

Fit fit_nbd_collapsed(const detail::Collapsed& c, const FitOptions& options) {
  FitOptions o = options;
  if (o.start.size() != 2) o.start.clear();
  return detail::maximise(detail::rfm_problem(Model::nbd, c, nbd_start(c)), o);
}

Fit fit_rfm(Model m, const RfmView& data, const FitOptions& options) {
  const auto c = detail::collapse(data);
  require_repeaters(c);
  if (m == Model::nbd) return fit_nbd_collapsed(c, options);
  const Fit nbd = fit_nbd_collapsed(c, {});
  const double r0 = nbd.param("r"), a0 = nbd.param("alpha");
  std::vector<double> start = m == Model::pareto_nbd ? std::vector<double>{r0, a0, 1.0, a0}
                                                     : std::vector<double>{r0, a0, 1.0, 3.0};
  Fit fit = detail::maximise(detail::rfm_problem(m, c, start), options);
  // A second start guards against a poor local stop: keep the better of the two.
  if (!fit.converged) {
    FitOptions o = options;
    o.start = m == Model::pareto_nbd ? std::vector<double>{1.0, a0, 1.0, 1.0} : std::vector<double>{1.0, a0, 1.0, 1.0};
    Fit again = detail::maximise(detail::rfm_problem(m, c, start), o);
    again.evaluations += fit.evaluations;
    if (again.log_likelihood > fit.log_likelihood) fit = again;
  }
  fit.evaluations += nbd.evaluations;
  if (options.check_boundary) detail::check_boundary(fit, c, options, nbd);
  return fit;
}

}  // namespace

Fit fit_bgnbd(const RfmView& data, const FitOptions& options) { return fit_rfm(Model::bgnbd, data, options); }
Fit fit_mbgnbd(const RfmView& data, const FitOptions& options) { return fit_rfm(Model::mbgnbd, data, options); }
Fit fit_pareto_nbd(const RfmView& data, const FitOptions& options) {
  return fit_rfm(Model::pareto_nbd, data, options);
}
Fit fit_nbd(const RfmView& data, const FitOptions& options) { return fit_rfm(Model::nbd, data, options); }

Fit fit_model(Model m, const RfmView& data, const FitOptions& options) {
  switch (m) {
    case Model::bgnbd:
    case Model::mbgnbd:
    case Model::pareto_nbd:
    case Model::nbd: return fit_rfm(m, data, options);
    default:
      throw Error(ErrorCode::usage, fmt::format("{} is not fitted from (x, t_x, T) rows", model_title(m)), {},
                  "use bgnbd, mbgnbd, pareto_nbd or nbd");
  }
}

double log_likelihood(Model m, std::span<const double> params, const RfmView& data) {
  const auto c = detail::collapse(data);
  const auto p = detail::rfm_problem(m, c, {});
  if (params.size() != p.names.size()) throw Error(ErrorCode::internal, "clv: wrong number of parameters");
  return p.loglik(params, {});
}

}  // namespace koko::clv
