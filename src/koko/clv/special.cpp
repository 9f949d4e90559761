// Quadrature rules and the one special function the closed-form DERT needs.
#include <Eigen/Eigenvalues>
#include <boost/math/quadrature/exp_sinh.hpp>
#include <cmath>

#include "koko/clv/detail.hpp"
#include "koko/core/error.hpp"

namespace koko::clv::detail {

// Golub–Welsch on the three-term recurrence of the Jacobi polynomials for (1−y)^(b−1) (1+y)^(a−1), y = 2p − 1.
Rule gauss_beta(double a, double b, int n) {
  const double al = b - 1, be = a - 1, s = al + be;
  Eigen::VectorXd diag(n), sub(std::max(n - 1, 0));
  for (int k = 0; k < n; ++k) {
    const double kk = k;
    diag(k) = k == 0 ? (be - al) / (s + 2) : (be * be - al * al) / ((2 * kk + s) * (2 * kk + s + 2));
    if (k == 0) continue;
    double bk;
    if (k == 1) {
      bk = 4 * (1 + al) * (1 + be) / ((2 + s) * (2 + s) * (3 + s));
    } else {
      const double t = 2 * kk + s;
      bk = 4 * kk * (kk + al) * (kk + be) * (kk + s) / (t * t * (t + 1) * (t - 1));
    }
    sub(k - 1) = std::sqrt(bk);
  }
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es;
  es.computeFromTridiagonal(diag, sub, Eigen::ComputeEigenvectors);
  if (es.info() != Eigen::Success) throw Error(ErrorCode::internal, "clv: Gauss rule for a Beta weight failed");
  Rule r;
  double total = 0;
  for (int i = 0; i < n; ++i) {
    const double v = es.eigenvectors()(0, i);
    r.node.push_back(std::clamp(0.5 * (1 + es.eigenvalues()(i)), 0.0, 1.0));
    r.weight.push_back(v * v);
    total += v * v;
  }
  for (double& w : r.weight) w /= total;
  return r;
}

namespace {
Rule make_legendre(int n) {
  Rule r;
  for (int i = 1; i <= n; ++i) {
    double x = std::cos(M_PI * (i - 0.25) / (n + 0.5)), dp = 1;
    for (int it = 0; it < 100; ++it) {  // Newton on P_n
      double p0 = 1, p1 = x;
      for (int k = 2; k <= n; ++k) {
        const double p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      dp = n * (x * p1 - p0) / (x * x - 1);
      const double dx = p1 / dp;
      x -= dx;
      if (std::fabs(dx) < 1e-16) break;
    }
    r.node.push_back(0.5 * (1 - x));
    r.weight.push_back(1.0 / ((1 - x * x) * dp * dp));  // 2/((1−x²)P'²) on [−1,1], halved on [0,1]
  }
  return r;
}
}  // namespace

const Rule& gauss_legendre10() {
  static const Rule r = make_legendre(10);
  return r;
}

double tricomi_ss_scaled(double s, double z) {
  if (!(s > 0) || !(z > 0)) throw Error(ErrorCode::internal, "clv: U(s, s, z) needs s > 0 and z > 0");
  boost::math::quadrature::exp_sinh<double> integrator;
  auto f = [s, z](double w) { return std::exp(-w - s * std::log1p(w / z)); };
  return integrator.integrate(f, 1e-13);
}

double alive_purchases(const Rule& rule, double n, double c, double t) {
  double sum = 0;
  for (size_t j = 0; j < rule.node.size(); ++j) {
    const double p = std::max(rule.node[j], 1e-300);
    sum += rule.weight[j] * -std::expm1(-n * std::log1p(p * t / c)) / p;
  }
  return sum;
}

}  // namespace koko::clv::detail
