// Inline SVG charts. Output is deterministic: fixed "{:.1f}" coordinates, no locale, no randomness, and
// non-finite inputs are drawn as 0 (bars) or gaps (lines, heatmap cells), so "nan"/"inf" never reach the page.
// Fonts come from the page's CSS; sizes are in user units so a chart scales with its viewBox.
#include <algorithm>
#include <array>
#include <cmath>

#include "koko/report/report.hpp"

namespace koko::report {
namespace {

constexpr std::array<const char*, 6> kPalette = {"#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9"};
constexpr const char* kInk = "#1f2933";
constexpr const char* kMuted = "#52606d";
constexpr const char* kGrid = "#e4e7eb";
constexpr const char* kAxisLine = "#9aa5b1";
constexpr double kFont = 11;
constexpr double kTitleFont = 13;
constexpr double kRight = 16;

// ---- numbers ---------------------------------------------------------------------------------------------

double finite_or_zero(double v) { return std::isfinite(v) ? v : 0.0; }

// An SVG coordinate or length.
std::string coord(double v) {
  v = finite_or_zero(v);
  if (std::fabs(v) < 0.05) v = 0;  // no "-0.0"
  return fmt::format("{:.1f}", v);
}

// Fixed decimals with thousands separators, e.g. 1234567.8 → "1,234,567.8"; never "-0".
std::string format_fixed(double v, int decimals) {
  v = finite_or_zero(v);
  if (std::fabs(v) < 0.5 * std::pow(10.0, -decimals)) v = 0;
  std::string s = fmt::format("{:.{}f}", v, decimals);
  const auto start = static_cast<ptrdiff_t>(s[0] == '-' ? 1 : 0);
  auto dot = static_cast<ptrdiff_t>(std::min(s.find('.'), s.size()));
  for (dot -= 3; dot > start; dot -= 3) s.insert(static_cast<size_t>(dot), ",");
  return s;
}

// A value for a tooltip or a heatmap cell.
std::string format_value(double v, bool percent) {
  if (percent) {
    const double p = v * 100;
    return format_fixed(p, std::fabs(p) < 9.95 && p != 0 ? 1 : 0) + "%";  // 9.96 % shows as "10%"
  }
  const double a = std::fabs(v);
  const bool whole = a >= 100 || std::fabs(v - std::round(v)) < 1e-9;
  return format_fixed(v, whole ? 0 : a >= 10 ? 1 : 2);
}

// The fewest decimals that show step exactly (0.25 → 2, 5 → 0).
int decimals_for(double step) {
  for (int d = 0; d < 6; ++d) {
    const double scaled = step * std::pow(10.0, d);
    if (std::fabs(scaled - std::round(scaled)) < 1e-6 * std::max(1.0, scaled)) return d;
  }
  return 6;
}

// ---- axes ------------------------------------------------------------------------------------------------

// A value axis with "nice" round ticks (1, 2, 2.5 or 5 × 10^k) that always includes zero.
struct Axis {
  double lo = 0;
  double hi = 1;
  double step = 0.2;
  bool percent = false;

  [[nodiscard]] int ticks() const { return static_cast<int>(std::lround((hi - lo) / step)); }
  [[nodiscard]] double tick(int i) const { return lo + step * i; }
  [[nodiscard]] std::string label(double v) const {
    const double scale = percent ? 100 : 1;
    return format_fixed(v * scale, decimals_for(step * scale)) + (percent ? "%" : "");
  }
};

Axis nice_axis(double lo, double hi, bool percent) {
  lo = std::min(finite_or_zero(lo), 0.0);
  hi = std::max(finite_or_zero(hi), 0.0);
  if (hi - lo <= 0) hi = lo + 1;  // empty or all-zero data
  const double raw = (hi - lo) / 5;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double norm = raw / magnitude;
  const double step = magnitude * (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5 : norm <= 5 ? 5 : 10);
  return {std::floor(lo / step + 1e-9) * step, std::ceil(hi / step - 1e-9) * step, step, percent};
}

Axis axis_over(const std::vector<double>& values, bool percent) {
  double lo = 0;
  double hi = 0;
  for (const double v : values) {
    if (!std::isfinite(v)) continue;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  return nice_axis(lo, hi, percent);
}

// Rough rendered width of a label: CJK glyphs are about twice as wide as Latin ones.
double text_width(std::string_view s, double size) {
  double em = 0;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0xE0) {
      em += 1.0;  // lead byte of a 3- or 4-byte sequence: CJK and other wide glyphs
    } else if (c < 0x80 || c >= 0xC0) {
      em += 0.6;  // ASCII or a 2-byte sequence; continuation bytes add nothing
    }
  }
  return em * size;
}

double widest_tick_label(const Axis& a) {
  double w = 0;
  for (int i = 0; i <= a.ticks(); ++i) w = std::max(w, text_width(a.label(a.tick(i)), kFont));
  return w;
}

// ---- drawing primitives ----------------------------------------------------------------------------------

// The plot area, in SVG user units.
struct Frame {
  double left = 0;
  double top = 0;
  double width = 0;
  double height = 0;
  [[nodiscard]] double right() const { return left + width; }
  [[nodiscard]] double bottom() const { return top + height; }
  [[nodiscard]] double y(const Axis& a, double v) const { return bottom() - height * (v - a.lo) / (a.hi - a.lo); }
};

std::string text(double x, double y, std::string_view s, std::string_view attrs) {
  return fmt::format("<text x=\"{}\" y=\"{}\" {}>{}</text>\n", coord(x), coord(y), attrs, escape_html(s));
}

std::string line(double x1, double y1, double x2, double y2, std::string_view attrs) {
  return fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" {}/>\n", coord(x1), coord(y1), coord(x2), coord(y2),
                     attrs);
}

std::string rect(double x, double y, double w, double h, std::string_view fill, std::string_view tooltip) {
  return fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{}</title></rect>\n",
                     coord(x), coord(y), coord(std::max(w, 0.0)), coord(std::max(h, 0.0)), fill, escape_html(tooltip));
}

double title_space(const ChartOptions& opt) { return opt.title.empty() ? 10 : 30; }

std::string svg_open(double width, double height, const ChartOptions& opt) {
  const long w = std::lround(width);
  const long h = std::lround(height);
  std::string out = fmt::format(
      "<svg class=\"chart\" viewBox=\"0 0 {0} {1}\" width=\"{0}\" height=\"{1}\" role=\"img\">\n<title>{2}</title>\n",
      w, h, escape_html(opt.title));
  if (!opt.title.empty()) {
    out += text(8, 18, opt.title, fmt::format("font-size=\"{}\" font-weight=\"600\" fill=\"{}\"", kTitleFont, kInk));
  }
  return out;
}

std::string svg_close() { return "</svg>\n"; }

std::string tick_attrs(std::string_view anchor) {
  return fmt::format("font-size=\"{}\" fill=\"{}\" text-anchor=\"{}\"", kFont, kMuted, anchor);
}

// Horizontal grid lines with their labels, and a darker line at zero.
std::string y_grid(const Frame& f, const Axis& a) {
  std::string out;
  const std::string grid = fmt::format("stroke=\"{}\"", kGrid);
  for (int i = 0; i <= a.ticks(); ++i) {
    const double y = f.y(a, a.tick(i));
    out += line(f.left, y, f.right(), y, grid);
    out += text(f.left - 6, y + 4, a.label(a.tick(i)), tick_attrs("end"));
  }
  const double zero = f.y(a, 0);
  return out + line(f.left, zero, f.right(), zero, fmt::format("stroke=\"{}\"", kAxisLine));
}

std::string axis_title_attrs() {
  return fmt::format("font-size=\"{}\" fill=\"{}\" text-anchor=\"middle\"", kFont, kInk);
}

// The axis titles: x centred under the plot, y rotated along the left edge.
std::string axis_titles(const Frame& f, const ChartOptions& opt, double svg_height) {
  std::string out;
  const std::string attrs = axis_title_attrs();
  if (!opt.x_label.empty()) out += text(f.left + f.width / 2, svg_height - 6, opt.x_label, attrs);
  if (!opt.y_label.empty()) {
    out += text(-(f.top + f.height / 2), 14, opt.y_label, attrs + " transform=\"rotate(-90)\"");
  }
  return out;
}

// Category labels under the plot, thinned out so they never overlap.
std::string x_categories(const Frame& f, const std::vector<std::string>& labels, size_t n) {
  if (n == 0) return {};
  const double band = f.width / static_cast<double>(n);
  double widest = 0;
  for (size_t i = 0; i < std::min(n, labels.size()); ++i) widest = std::max(widest, text_width(labels[i], kFont));
  const auto every = static_cast<size_t>(std::max(1.0, std::ceil((widest + 8) / band)));
  std::string out;
  for (size_t i = 0; i < std::min(n, labels.size()); i += every) {
    out += text(f.left + band * (static_cast<double>(i) + 0.5), f.bottom() + 16, labels[i], tick_attrs("middle"));
  }
  return out;
}

// The plot area of a bar or line chart, leaving room for titles, tick labels and extra_top (a legend).
Frame category_frame(const ChartOptions& opt, const Axis& a, double extra_top) {
  Frame f;
  f.left = 8 + (opt.y_label.empty() ? 0 : 18) + widest_tick_label(a) + 6;
  f.top = title_space(opt) + extra_top;
  f.width = std::max(10.0, opt.width - f.left - kRight);
  f.height = std::max(10.0, opt.height - f.top - 24 - (opt.x_label.empty() ? 0 : 18));
  return f;
}

std::string category_tooltip(const std::vector<std::string>& labels, size_t i, std::string_view series, double v,
                             bool percent) {
  std::string tip = i < labels.size() ? labels[i] : std::string();
  if (!series.empty()) tip += fmt::format(" · {}", series);
  return tip + ": " + format_value(v, percent);
}

// ---- line chart pieces -----------------------------------------------------------------------------------

struct LegendLayout {
  std::vector<std::pair<double, double>> at;  // top-left of each entry's swatch
  double height = 0;
};

LegendLayout legend_layout(const std::vector<Series>& series, const ChartOptions& opt) {
  LegendLayout out;
  const double row = 18;
  double x = 8;
  double y = title_space(opt);
  for (const auto& s : series) {
    const double w = 14 + text_width(s.label, kFont) + 16;
    if (x > 8 && x + w > opt.width - kRight) {
      x = 8;
      y += row;
    }
    out.at.emplace_back(x, y);
    x += w;
  }
  out.height = series.empty() ? 0 : y + row + 4 - title_space(opt);
  return out;
}

std::string legend(const std::vector<Series>& series, const LegendLayout& layout) {
  std::string out;
  for (size_t i = 0; i < series.size(); ++i) {
    const auto [x, y] = layout.at[i];
    out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{}\"/>\n", coord(x), coord(y + 1),
                       kPalette[i % kPalette.size()]);
    out += text(x + 14, y + 10, series[i].label, tick_attrs("start"));
  }
  return out;
}

// One series as a path; non-finite values leave a gap. Dots with tooltips when there are few points.
std::string series_path(const Frame& f, const Axis& a, const Series& s, size_t n, const char* colour,
                        const std::vector<std::string>& x_labels, bool percent) {
  const double band = f.width / static_cast<double>(n);
  std::string d;
  std::string dots;
  bool pen_down = false;
  for (size_t i = 0; i < std::min(n, s.values.size()); ++i) {
    const double v = s.values[i];
    if (!std::isfinite(v)) {
      pen_down = false;
      continue;
    }
    const std::string x = coord(f.left + band * (static_cast<double>(i) + 0.5));
    const std::string y = coord(f.y(a, v));
    d += fmt::format("{}{} {} ", pen_down ? "L" : "M", x, y);
    pen_down = true;
    if (n <= 60) {
      dots += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"2.5\" fill=\"{}\"><title>{}</title></circle>\n", x, y,
                          colour, escape_html(category_tooltip(x_labels, i, s.label, v, percent)));
    }
  }
  if (d.empty()) return {};
  d.pop_back();
  return fmt::format("<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\" stroke-linejoin=\"round\"/>\n", d,
                     colour) +
         dots;
}

// ---- heatmap pieces --------------------------------------------------------------------------------------

// A single-hue sequential scale: t = 0 is a pale blue, t = 1 a deep blue.
std::string sequential_colour(double t) {
  constexpr std::array<double, 3> kLight = {0xf0, 0xf5, 0xfa};
  constexpr std::array<double, 3> kDark = {0x08, 0x45, 0x94};
  std::array<long, 3> rgb{};
  for (size_t k = 0; k < 3; ++k) rgb[k] = std::lround(kLight[k] + (kDark[k] - kLight[k]) * t);
  return fmt::format("#{:02x}{:02x}{:02x}", rgb[0], rgb[1], rgb[2]);
}

double max_cell(const std::vector<std::vector<std::optional<double>>>& cells) {
  double m = 0;
  for (const auto& row : cells) {
    for (const auto& c : row) {
      if (c && std::isfinite(*c)) m = std::max(m, *c);
    }
  }
  return m;
}

size_t max_columns(const std::vector<std::string>& col_labels,
                   const std::vector<std::vector<std::optional<double>>>& cells) {
  size_t n = col_labels.size();
  for (const auto& row : cells) n = std::max(n, row.size());
  return n;
}

struct Grid {
  Frame frame;
  size_t rows = 0;
  size_t cols = 0;
  [[nodiscard]] double cell_w() const { return frame.width / static_cast<double>(std::max<size_t>(cols, 1)); }
  [[nodiscard]] double cell_h() const { return frame.height / static_cast<double>(std::max<size_t>(rows, 1)); }
};

Grid heatmap_grid(const std::vector<std::string>& row_labels, size_t rows, size_t cols, const ChartOptions& opt) {
  double widest = 0;
  for (const auto& l : row_labels) widest = std::max(widest, text_width(l, kFont));
  Grid g{{}, rows, cols};
  g.frame.left = 8 + (opt.y_label.empty() ? 0 : 18) + widest + 6;
  g.frame.top = title_space(opt) + (opt.x_label.empty() ? 0 : 18) + 18;
  g.frame.width = std::max(10.0, opt.width - g.frame.left - kRight);
  g.frame.height = 22.0 * static_cast<double>(rows);
  return g;
}

std::string heatmap_labels(const Grid& g, const std::vector<std::string>& row_labels,
                           const std::vector<std::string>& col_labels) {
  std::string out;
  for (size_t r = 0; r < std::min(g.rows, row_labels.size()); ++r) {
    const double y = g.frame.top + g.cell_h() * (static_cast<double>(r) + 0.5) + 4;
    out += text(g.frame.left - 6, y, row_labels[r], tick_attrs("end"));
  }
  Frame header = g.frame;
  header.height = 0;
  header.top = g.frame.top - 22;  // x_categories draws at bottom + 16
  return out + x_categories(header, col_labels, g.cols);
}

std::string heatmap_cell(const Grid& g, size_t r, size_t c, double t, std::string_view tooltip,
                         std::string_view value_text) {
  const double x = g.frame.left + g.cell_w() * static_cast<double>(c);
  const double y = g.frame.top + g.cell_h() * static_cast<double>(r);
  std::string out = fmt::format(
      "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\" stroke=\"#ffffff\"><title>{}</title></rect>\n",
      coord(x), coord(y), coord(g.cell_w()), coord(g.cell_h()), sequential_colour(t), escape_html(tooltip));
  if (text_width(value_text, 10) + 4 <= g.cell_w()) {
    const std::string attrs =
        fmt::format("font-size=\"10\" fill=\"{}\" text-anchor=\"middle\"", t > 0.55 ? "#ffffff" : kInk);
    out += text(x + g.cell_w() / 2, y + g.cell_h() / 2 + 3.5, value_text, attrs);
  }
  return out;
}

std::string heatmap_cells(const Grid& g, const std::vector<std::string>& row_labels,
                          const std::vector<std::string>& col_labels,
                          const std::vector<std::vector<std::optional<double>>>& cells, bool percent) {
  const double top_value = max_cell(cells) > 0 ? max_cell(cells) : 1;
  std::string out;
  for (size_t r = 0; r < cells.size(); ++r) {
    for (size_t c = 0; c < cells[r].size(); ++c) {
      const auto& cell = cells[r][c];
      if (!cell || !std::isfinite(*cell)) continue;  // no value: drawn blank
      // A square-root scale keeps small retention rates distinguishable next to month 0's 100 %.
      const double t = std::sqrt(std::clamp(*cell / top_value, 0.0, 1.0));
      const std::string value_text = format_value(*cell, percent);
      const std::string tooltip = (r < row_labels.size() ? row_labels[r] : std::string()) + " · " +
                                  (c < col_labels.size() ? col_labels[c] : std::string()) + ": " + value_text;
      out += heatmap_cell(g, r, c, t, tooltip, value_text);
    }
  }
  return out;
}

// ---- Lorenz pieces ---------------------------------------------------------------------------------------

// A square plot: both axes run 0–100 %.
Frame lorenz_frame(const Axis& a, const ChartOptions& opt) {
  Frame f;
  f.left = 8 + (opt.y_label.empty() ? 0 : 18) + widest_tick_label(a) + 6;
  f.top = title_space(opt);
  const double side = std::min(opt.width - f.left - kRight, opt.height - f.top - 24 - (opt.x_label.empty() ? 0 : 18));
  f.width = std::max(40.0, side);
  f.height = f.width;
  return f;
}

std::string x_grid(const Frame& f, const Axis& a) {
  std::string out;
  for (int i = 0; i <= a.ticks(); ++i) {
    const double x = f.left + f.width * (a.tick(i) - a.lo) / (a.hi - a.lo);
    out += line(x, f.top, x, f.bottom(), fmt::format("stroke=\"{}\"", kGrid));
    out += text(x, f.bottom() + 16, a.label(a.tick(i)), tick_attrs("middle"));
  }
  return out;
}

// The curve, with the area between it and the diagonal (the inequality) lightly filled.
std::string lorenz_curve(const Frame& f, const Axis& a, const std::vector<std::pair<double, double>>& points) {
  std::string d;
  for (const auto& [px, py] : points) {
    if (!std::isfinite(px) || !std::isfinite(py)) continue;
    const double x = f.left + f.width * std::clamp(px, 0.0, 1.0);
    const double y = f.y(a, std::clamp(py, 0.0, 1.0));
    d += fmt::format("{}{} {} ", d.empty() ? "M" : "L", coord(x), coord(y));
  }
  if (d.empty()) return {};
  std::string out = fmt::format("<path d=\"{}L{} {} Z\" fill=\"{}\" fill-opacity=\"0.12\" stroke=\"none\"/>\n", d,
                                coord(f.left), coord(f.bottom()), kPalette[0]);
  d.pop_back();
  return out + fmt::format("<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"/>\n", d, kPalette[0]);
}

}  // namespace

std::string bar_chart(const std::vector<std::string>& labels, const std::vector<double>& values,
                      const ChartOptions& opt) {
  const Axis a = axis_over(values, opt.percent);
  const Frame f = category_frame(opt, a, 0);
  std::string out = svg_open(opt.width, opt.height, opt) + y_grid(f, a);
  const double band = values.empty() ? 0 : f.width / static_cast<double>(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    const double v = finite_or_zero(values[i]);
    const double y0 = f.y(a, 0);
    const double y1 = f.y(a, v);
    out += rect(f.left + band * (static_cast<double>(i) + 0.1), std::min(y0, y1), band * 0.8, std::fabs(y1 - y0),
                kPalette[0], category_tooltip(labels, i, {}, v, opt.percent));
  }
  out += x_categories(f, labels, values.size()) + axis_titles(f, opt, opt.height);
  return out + svg_close();
}

std::string line_chart(const std::vector<std::string>& x_labels, const std::vector<Series>& series,
                       const ChartOptions& opt) {
  std::vector<double> all;
  size_t n = x_labels.size();
  for (const auto& s : series) {
    all.insert(all.end(), s.values.begin(), s.values.end());
    n = std::max(n, s.values.size());
  }
  const Axis a = axis_over(all, opt.percent);
  const LegendLayout legend_at = legend_layout(series, opt);
  const Frame f = category_frame(opt, a, legend_at.height);
  std::string out = svg_open(opt.width, opt.height, opt) + legend(series, legend_at) + y_grid(f, a);
  for (size_t k = 0; k < series.size() && n > 0; ++k) {
    out += series_path(f, a, series[k], n, kPalette[k % kPalette.size()], x_labels, opt.percent);
  }
  out += x_categories(f, x_labels, n) + axis_titles(f, opt, opt.height);
  return out + svg_close();
}

std::string heatmap(const std::vector<std::string>& row_labels, const std::vector<std::string>& col_labels,
                    const std::vector<std::vector<std::optional<double>>>& cells, const ChartOptions& opt) {
  // The height follows the number of rows; opt.height is not used.
  const size_t rows = std::max(row_labels.size(), cells.size());
  const Grid g = heatmap_grid(row_labels, rows, max_columns(col_labels, cells), opt);
  const double height = g.frame.bottom() + 8;
  std::string out = svg_open(opt.width, height, opt) + heatmap_labels(g, row_labels, col_labels);
  out += heatmap_cells(g, row_labels, col_labels, cells, opt.percent);
  ChartOptions y_only = opt;
  y_only.x_label.clear();  // the x title goes above the column labels, not under the grid
  out += axis_titles(g.frame, y_only, height);
  if (!opt.x_label.empty()) {
    out += text(g.frame.left + g.frame.width / 2, title_space(opt) + 12, opt.x_label, axis_title_attrs());
  }
  return out + svg_close();
}

std::string lorenz_chart(const std::vector<std::pair<double, double>>& points, const ChartOptions& opt) {
  const Axis a{0, 1, 0.2, true};
  const Frame f = lorenz_frame(a, opt);
  const double width = f.right() + kRight;
  const double height = f.bottom() + 24 + (opt.x_label.empty() ? 0 : 18);
  std::string out = svg_open(width, height, opt) + y_grid(f, a) + x_grid(f, a);
  out += line(f.left, f.bottom(), f.right(), f.top,
              fmt::format("stroke=\"{}\" stroke-width=\"1.5\" stroke-dasharray=\"5 4\"", kMuted));
  out += lorenz_curve(f, a, points);
  return out + axis_titles(f, opt, height) + svg_close();
}

}  // namespace koko::report
