// The lift chart: a bar per metric × variant from 0 to the estimate, its confidence interval as a whisker and the
// always-valid confidence sequence as a thinner dashed line. Same conventions as report/charts.cpp: fixed
// "{:.1f}" coordinates, fonts from the page's CSS, and non-finite values never reach the page.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "koko/experiment/results.hpp"

namespace koko::experiment {

namespace {

constexpr const char* kInk = "#1f2933";
constexpr const char* kMuted = "#52606d";
constexpr const char* kGrid = "#e4e7eb";
constexpr const char* kWin = "#009e73";
constexpr const char* kLoss = "#d55e00";
constexpr const char* kFlat = "#9aa5b1";
constexpr double kRow = 30, kTop = 34, kBottom = 44, kLabel = 190, kRight = 24;

std::string c(double v) {
  if (!std::isfinite(v) || std::fabs(v) < 0.05) v = 0;
  return fmt::format("{:.1f}", v);
}

std::string tick_label(double v, double step, bool percent) {
  const double scale = percent ? 100 : 1;
  int decimals = 0;
  while (decimals < 6 && std::fabs(step * scale * std::pow(10.0, decimals) -
                                   std::round(step * scale * std::pow(10.0, decimals))) > 1e-6)
    ++decimals;
  double x = v * scale;
  if (std::fabs(x) < 0.5 * std::pow(10.0, -decimals)) x = 0;
  return fmt::format("{:.{}f}{}", x, decimals, percent ? "%" : "");
}

std::string value_label(double v, bool percent) {
  if (!std::isfinite(v)) return "–";
  return percent ? fmt::format("{:+.1f}%", v * 100) : fmt::format("{:+.4g}", v);
}

}  // namespace

std::string interval_chart(const std::vector<IntervalRow>& rows, const report::ChartOptions& opt) {
  double lo = 0, hi = 0;
  for (const auto& r : rows) {
    if (!r.ok) continue;
    for (double v : {r.effect, r.low, r.high, r.seq_low, r.seq_high})
      if (std::isfinite(v)) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
  }
  if (hi - lo <= 0) hi = lo + (opt.percent ? 0.01 : 1);
  // Round ticks of 1, 2, 2.5 or 5 × 10^k, about five of them.
  const double raw = (hi - lo) / 5, mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  lo = std::floor(lo / step) * step;
  hi = std::ceil(hi / step) * step;

  const double width = opt.width, plot = width - kLabel - kRight;
  const double height = kTop + kRow * static_cast<double>(rows.size()) + kBottom;
  auto x = [&](double v) { return kLabel + (std::clamp(v, lo, hi) - lo) / (hi - lo) * plot; };

  std::string out = fmt::format(
      "<svg class=\"chart\" viewBox=\"0 0 {0} {1}\" width=\"{0}\" height=\"{1}\" role=\"img\">\n<title>{2}</title>\n",
      c(width), c(height), report::escape_html(opt.title));
  out += fmt::format("<text x=\"{}\" y=\"18\" font-size=\"13\" font-weight=\"600\" fill=\"{}\">{}</text>\n", c(8), kInk,
                     report::escape_html(opt.title));
  const double bottom = kTop + kRow * static_cast<double>(rows.size());
  for (double t = lo; t <= hi + step / 2; t += step) {
    out += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"{3}\"/>\n", c(x(t)), c(kTop),
                       c(bottom), std::fabs(t) < step / 2 ? kMuted : kGrid);
    out += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\" fill=\"{}\">{}</text>\n",
                       c(x(t)), c(bottom + 16), kMuted, tick_label(t, step, opt.percent));
  }
  if (!opt.x_label.empty())
    out += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\" fill=\"{}\">{}</text>\n",
                       c(kLabel + plot / 2), c(bottom + 34), kMuted, report::escape_html(opt.x_label));
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    const double mid = kTop + kRow * (static_cast<double>(i) + 0.5);
    out += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\" fill=\"{}\">{}</text>\n",
                       c(kLabel - 8), c(mid + 4), kInk, report::escape_html(r.label));
    if (!r.ok) {
      out += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"{}\">–</text>\n", c(x(0) + 4), c(mid + 4),
                         kMuted);
      continue;
    }
    const char* fill = r.low > 0 ? kWin : r.high < 0 ? kLoss : kFlat;
    const double x0 = x(0), x1 = x(r.effect);
    out += fmt::format("<g><title>{}: {} ({} – {})</title>\n", report::escape_html(r.label),
                       value_label(r.effect, opt.percent), value_label(r.low, opt.percent),
                       value_label(r.high, opt.percent));
    out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"10\" fill=\"{}\" opacity=\"0.75\"/>\n",
                       c(std::min(x0, x1)), c(mid - 5), c(std::fabs(x1 - x0)), fill);
    if (std::isfinite(r.seq_low) && std::isfinite(r.seq_high))
      out += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-dasharray=\"3 3\"/>\n",
                         c(x(r.seq_low)), c(mid + 9), c(x(r.seq_high)), c(mid + 9), kMuted);
    const double a = std::isfinite(r.low) ? x(r.low) : kLabel, b = std::isfinite(r.high) ? x(r.high) : kLabel + plot;
    out += fmt::format("<line x1=\"{0}\" y1=\"{2}\" x2=\"{1}\" y2=\"{2}\" stroke=\"{3}\" stroke-width=\"2\"/>\n", c(a),
                       c(b), c(mid), kInk);
    for (double e : {a, b})
      out += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"{3}\" stroke-width=\"2\"/>\n",
                         c(e), c(mid - 5), c(mid + 5), kInk);
    out += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"3.5\" fill=\"{}\"/>\n</g>\n", c(x1), c(mid), kInk);
  }
  return out + "</svg>\n";
}

}  // namespace koko::experiment
