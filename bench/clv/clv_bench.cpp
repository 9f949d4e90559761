// CLV benchmarks (fit time in-process, data already loaded). Built and run by bench/clv/run.
//   clv_bench gen --customers N --seed S --out FILE   simulated BG/NBD summary on a day grid: frequency,recency,T
//   clv_bench fit FILE [--model bgnbd|pareto_nbd|...] [--runs R]
//   clv_bench cdnow CDNOW_master.txt [--runs R]       Pareto/NBD (and the others) on the full cohort, weeks
//   clv_bench e2e --customers N [--seed S]             simulated orders → summary → BG/NBD + Gamma-Gamma → predict
// Simulation: CDNOW-like BG/NBD in days (r = 0.243, α = 4.414·7, a = 0.793, b = 2.426), first purchases spread
// over 84 days, calibration to day 273 (T from 189 to 273 days); the e2e orders add Gamma-Gamma spend
// (p = 6.25, q = 3.74, γ = 15.44) and a holdout to day 545.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "koko/clv/clv.hpp"

using namespace koko;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }
long peak_rss_mb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024;
}
std::string arg(int argc, char** argv, const std::string& name, const std::string& fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (argv[i] == name) return argv[i + 1];
  return fallback;
}

constexpr double kR = 0.243, kAlpha = 4.414 * 7, kA = 0.793, kB = 2.426;
constexpr int kCohortDays = 84, kCalEnd = 273, kHoldEnd = 545;

// One customer's purchase times (days since its first purchase, ascending), up to `horizon` days after day 0.
void simulate(std::mt19937_64& rng, double horizon, std::vector<double>& times) {
  times.clear();
  std::gamma_distribution<double> lam_d(kR, 1 / kAlpha);
  const double lambda = lam_d(rng);
  std::gamma_distribution<double> ga(kA, 1), gb(kB, 1);
  const double u = ga(rng), v = gb(rng), p = u / (u + v);
  std::exponential_distribution<double> gap(std::max(lambda, 1e-300));
  std::uniform_real_distribution<double> unif(0, 1);
  double t = 0;
  while (true) {
    t += gap(rng);
    if (t > horizon) break;
    times.push_back(t);
    if (unif(rng) < p) break;  // drops out after this purchase
  }
}

int gen(int argc, char** argv) {
  const long n = std::stol(arg(argc, argv, "--customers", "1000000"));
  std::mt19937_64 rng(std::stoull(arg(argc, argv, "--seed", "42")));
  const std::string out = arg(argc, argv, "--out", "clv-sim.csv");
  std::ofstream f(out);
  f << "frequency,recency,T\n";
  std::uniform_int_distribution<int> first(0, kCohortDays - 1);
  std::vector<double> times;
  for (long i = 0; i < n; ++i) {
    const int T = kCalEnd - first(rng);
    simulate(rng, T + 1, times);
    int x = 0, last = 0, prev = 0;
    for (double t : times) {
      const int d = static_cast<int>(t);
      if (d > T) break;
      if (d != prev && d > 0) ++x, last = d;
      prev = d;
    }
    f << x << ',' << last << ',' << T << '\n';
  }
  return 0;
}

struct Rows {
  std::vector<int32_t> x;
  std::vector<double> t_x, T;
};
Rows read_summary(const std::string& path) {
  Rows r;
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    int x = 0;
    double tx = 0, T = 0;
    if (std::sscanf(line.c_str(), "%d,%lf,%lf", &x, &tx, &T) != 3) continue;
    r.x.push_back(x);
    r.t_x.push_back(tx);
    r.T.push_back(T);
  }
  return r;
}

void time_fits(const clv::RfmView& v, clv::Model m, int runs, const std::string& label) {
  std::vector<double> times;
  clv::Fit f;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = Clock::now();
    f = clv::fit_model(m, v);
    times.push_back(seconds_since(t0));
  }
  std::sort(times.begin(), times.end());
  const double med = times[times.size() / 2];
  std::printf("%s %s: customers %zu, unique rows %lld, fit median %.4f s (min %.4f, max %.4f, %d runs), "
              "%d evaluations, %.3f ms per evaluation, LL %.2f%s\n",
              label.c_str(), std::string(clv::model_title(m)).c_str(), v.x.size(), static_cast<long long>(f.unique_rows),
              med, times.front(), times.back(), runs, f.evaluations, med / f.evaluations * 1000, f.log_likelihood,
              f.at_boundary ? " (boundary)" : "");
  std::printf("  params:");
  for (const auto& e : f.params) std::printf(" %s=%.6g", e.name.c_str(), e.value);
  std::printf("  [%s]\n", f.status.c_str());
}

int fit(int argc, char** argv) {
  const Rows r = read_summary(argv[2]);
  const auto m = clv::parse_model(arg(argc, argv, "--model", "bgnbd"));
  time_fits({r.x, r.t_x, r.T, {}}, *m, std::stoi(arg(argc, argv, "--runs", "5")), argv[2]);
  return 0;
}

int cdnow(int argc, char** argv) {
  std::ifstream in(argv[2]);
  std::string line;
  std::getline(in, line);
  std::vector<uint32_t> cust;
  std::vector<Day> day;
  std::vector<int64_t> amount;
  while (std::getline(in, line)) {
    std::istringstream ss(line);
    std::string id, date;
    int cds = 0;
    double value = 0;
    if (!(ss >> id >> date >> cds >> value)) continue;
    cust.push_back(static_cast<uint32_t>(std::stoul(id) - 1));
    day.push_back(days_from_civil(std::stoi(date.substr(0, 4)), static_cast<unsigned>(std::stoi(date.substr(4, 2))),
                                  static_cast<unsigned>(std::stoi(date.substr(6, 2)))));
    amount.push_back(std::llround(value * 100));
  }
  clv::SummaryOptions o;
  o.calibration_end = days_from_civil(1997, 9, 30);
  const auto t0 = Clock::now();
  const auto s = clv::summarize({cust, day, amount}, 23570, o);
  std::printf("CDNOW summary: %zu customers in %.4f s\n", s.customer.size(), seconds_since(t0));
  const int runs = std::stoi(arg(argc, argv, "--runs", "5"));
  for (const auto m : {clv::Model::pareto_nbd, clv::Model::bgnbd, clv::Model::mbgnbd})
    time_fits({s.x, s.t_x, s.T, {}}, m, runs, "CDNOW full");
  return 0;
}

int e2e(int argc, char** argv) {
  const long n = std::stol(arg(argc, argv, "--customers", "10000000"));
  std::mt19937_64 rng(std::stoull(arg(argc, argv, "--seed", "42")));
  std::vector<uint32_t> cust;
  std::vector<Day> day;
  std::vector<int64_t> amount;
  cust.reserve(static_cast<size_t>(n) * 3);
  day.reserve(static_cast<size_t>(n) * 3);
  amount.reserve(static_cast<size_t>(n) * 3);
  std::uniform_int_distribution<int> first(0, kCohortDays - 1);
  std::gamma_distribution<double> nu_d(3.74, 1 / 15.44);
  std::vector<double> times;
  for (long i = 0; i < n; ++i) {
    const int d0 = first(rng);
    simulate(rng, kHoldEnd - d0 + 1, times);
    std::gamma_distribution<double> value(6.25, 1 / nu_d(rng));
    auto add = [&](int d) {
      cust.push_back(static_cast<uint32_t>(i));
      day.push_back(d);
      amount.push_back(std::llround(value(rng) * 100));
    };
    add(d0);
    for (double t : times)
      if (d0 + static_cast<int>(t) <= kHoldEnd) add(d0 + static_cast<int>(t));
  }
  const bool day_order = arg(argc, argv, "--order", "customer") == "day";
  if (day_order) {  // as an order log is usually stored: by date (a stable counting sort; not timed)
    std::vector<size_t> start(kHoldEnd + 2, 0);
    for (Day d : day) ++start[static_cast<size_t>(d) + 1];
    for (size_t i = 1; i < start.size(); ++i) start[i] += start[i - 1];
    std::vector<uint32_t> c2(cust.size());
    std::vector<Day> d2(day.size());
    std::vector<int64_t> a2(amount.size());
    for (size_t i = 0; i < cust.size(); ++i) {
      const size_t k = start[static_cast<size_t>(day[i])]++;
      c2[k] = cust[i];
      d2[k] = day[i];
      a2[k] = amount[i];
    }
    cust.swap(c2);
    day.swap(d2);
    amount.swap(a2);
  }
  std::printf("orders: %zu for %ld customers in %s order (generated; not timed), RSS %ld MB\n", cust.size(), n,
              day_order ? "day" : "customer", peak_rss_mb());

  const auto t0 = Clock::now();
  clv::SummaryOptions o;
  o.calibration_end = kCalEnd;
  o.unit_days = 1;
  const auto s = clv::summarize({cust, day, amount}, static_cast<uint32_t>(n), o);
  const double t_sum = seconds_since(t0);
  { std::vector<uint32_t>().swap(cust); std::vector<Day>().swap(day); std::vector<int64_t>().swap(amount); }
  auto t1 = Clock::now();
  const auto f = clv::fit_bgnbd({s.x, s.t_x, s.T, {}});
  const double t_fit = seconds_since(t1);
  t1 = Clock::now();
  const auto gg = clv::fit_gamma_gamma(s.x, s.monetary);
  const double t_gg = seconds_since(t1);
  t1 = Clock::now();
  const auto pred = clv::predict(f, &gg, s, 365, clv::ValueOptions{0.1, 1.0, 10, 1});
  const double t_pred = seconds_since(t1);
  const double total = seconds_since(t0);
  double clv_sum = 0;
  for (double v : pred.clv) clv_sum += v;
  std::printf("e2e %ld customers: summary %.3f s, BG/NBD fit %.3f s (%d evaluations, %lld unique rows), Gamma-Gamma "
              "fit %.3f s (%d evaluations), predictions %.3f s, total %.3f s, peak RSS %ld MB\n",
              n, t_sum, t_fit, f.evaluations, static_cast<long long>(f.unique_rows), t_gg, gg.evaluations, t_pred,
              total, peak_rss_mb());
  std::printf("  BG/NBD r=%.4f alpha=%.3f a=%.4f b=%.4f (simulated with r=%.3f alpha=%.3f a=%.3f b=%.3f); "
              "Gamma-Gamma p=%.3f q=%.3f gamma=%.3f; mean CLV %.2f\n",
              f.param("r"), f.param("alpha"), f.param("a"), f.param("b"), kR, kAlpha, kA, kB, gg.param("p"),
              gg.param("q"), gg.param("gamma"), clv_sum / static_cast<double>(s.customer.size()));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "gen") return gen(argc, argv);
  if (mode == "fit" && argc > 2) return fit(argc, argv);
  if (mode == "cdnow" && argc > 2) return cdnow(argc, argv);
  if (mode == "e2e") return e2e(argc, argv);
  std::fprintf(stderr, "usage: clv_bench gen|fit FILE|cdnow FILE|e2e [options]\n");
  return 2;
}
