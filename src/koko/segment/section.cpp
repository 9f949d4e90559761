// The report sections: the market map (5seg / 9seg from the survey, waves, consistency) and the CRM map with 9seg,
// transitions, core customers, the holdout check, N1 cards and the customer lists. Read from stored results only.
#include <fmt/format.h>

#include <cmath>
#include <map>

#include "koko/analysis/analysis.hpp"
#include "koko/core/money.hpp"
#include "koko/ingest/ingest.hpp"
#include "koko/segment/internal.hpp"

namespace koko {
namespace {

using store::ResultTable;
using store::Value;
using namespace segment;
using segment::detail::as_double;
using segment::detail::as_int;
using segment::detail::as_text;
using segment::detail::column;

std::string pct(double f) { return fmt::format("{:.1f} %", f * 100); }
std::string span_pct(double lo, double hi) { return fmt::format("{:.1f}–{:.1f} %", lo * 100, hi * 100); }
std::string finding(const std::string& s) { return "<p class=\"finding\">" + report::escape_html(s) + "</p>\n"; }
std::string note(const std::string& s) { return "<p class=\"note\">" + report::escape_html(s) + "</p>\n"; }
std::string para(const std::string& s) { return "<p>" + report::escape_html(s) + "</p>\n"; }
std::string h3(const std::string& s) { return "<h3>" + report::escape_html(s) + "</h3>\n"; }
std::string label(Lang L, const char* key) { return std::string(msg(L, key)); }

std::map<std::string, Value> key_values(store::Workspace& ws, const char* table) {
  std::map<std::string, Value> m;
  if (!ws.has_table(table)) return m;
  for (const auto& row : ws.read_table(table).rows) m[as_text(row[0])] = row[1];
  return m;
}

// Horizontal bars of shares with their 95 % interval as whiskers.
std::string interval_chart(const std::vector<std::string>& labels, const std::vector<ShareEstimate>& e,
                           const std::string& title) {
  constexpr double kLabelW = 190, kValueW = 170, kRow = 30, kTop = 34, kWidth = 680;
  const double plot = kWidth - kLabelW - kValueW;
  double hi = 0;
  for (const auto& x : e) hi = std::max(hi, x.hi);
  const double step = hi > 0.5 ? 0.2 : hi > 0.2 ? 0.1 : 0.05;
  const double top = std::max(step, std::ceil(hi / step - 1e-9) * step);
  auto x = [&](double v) { return kLabelW + plot * v / top; };
  const double height = kTop + kRow * static_cast<double>(e.size()) + 26;
  std::string out = fmt::format(
      "<svg class=\"chart\" viewBox=\"0 0 {0} {1:.0f}\" width=\"{0}\" height=\"{1:.0f}\" "
      "role=\"img\">\n<title>{2}</title>\n"
      "<text x=\"8\" y=\"18\" font-size=\"13\" font-weight=\"600\" fill=\"#1f2933\">{2}</text>\n",
      kWidth, height, report::escape_html(title));
  const double bottom = kTop + kRow * static_cast<double>(e.size());
  for (double t = 0; t <= top + 1e-9; t += step) {
    out += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"#e4e7eb\"/>\n", x(t),
                       kTop - 4, bottom);
    out += fmt::format(
        "<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"11\" fill=\"#52606d\" text-anchor=\"middle\">{:.0f}%"
        "</text>\n",
        x(t), bottom + 16, t * 100);
  }
  for (size_t i = 0; i < e.size(); ++i) {
    const double y = kTop + kRow * static_cast<double>(i);
    const std::string tip = fmt::format("{}: {} ({})", labels[i], pct(e[i].share), span_pct(e[i].lo, e[i].hi));
    out +=
        fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"12\" fill=\"#1f2933\" text-anchor=\"end\">{}</text>\n",
                    kLabelW - 8, y + 17, report::escape_html(labels[i]));
    out += fmt::format(
        "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"18\" fill=\"#0072b2\" "
        "fill-opacity=\"0.75\"><title>{}</title></rect>\n",
        kLabelW, y + 4, x(e[i].share) - kLabelW, report::escape_html(tip));
    const double ym = y + 13;
    out += fmt::format(
        "<line x1=\"{0:.1f}\" y1=\"{2:.1f}\" x2=\"{1:.1f}\" y2=\"{2:.1f}\" stroke=\"#1f2933\" "
        "stroke-width=\"1.5\"/>\n",
        x(e[i].lo), x(e[i].hi), ym);
    for (const double v : {e[i].lo, e[i].hi})
      out += fmt::format(
          "<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"#1f2933\" "
          "stroke-width=\"1.5\"/>\n",
          x(v), ym - 5, ym + 5);
    out += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"11\" fill=\"#52606d\">{} ({})</text>\n",
                       kWidth - kValueW + 8, y + 17, pct(e[i].share), span_pct(e[i].lo, e[i].hi));
  }
  return out + "</svg>\n";
}

ShareEstimate estimate_of(const ResultTable& t, const std::vector<Value>& row) {
  ShareEstimate e;
  e.respondents = as_int(column(t, row, "respondents"));
  e.weight = as_double(column(t, row, "weight"));
  e.share = as_double(column(t, row, "share"));
  e.lo = as_double(column(t, row, "lo"));
  e.hi = as_double(column(t, row, "hi"));
  return e;
}

std::string projected(const ResultTable& t, const std::vector<Value>& row, const char* name) {
  const Value& v = column(t, row, name);
  return std::holds_alternative<std::monostate>(v) ? std::string("–") : format_count(as_int(v));
}

// ---- market ----------------------------------------------------------------------------------------------------

std::string market_five(Lang L, const ResultTable& five, const std::string& latest, bool projected_cols,
                        report::Document& doc) {
  std::string html;
  std::vector<std::string> labels;
  std::vector<ShareEstimate> est;
  report::Table t{"market_5seg",
                  {label(L, "segment.wave"), label(L, "segment.segment"), label(L, "segment.respondents"),
                   label(L, "segment.share"), label(L, "segment.interval")},
                  {},
                  {false, false, true, true, true, true, true}};
  if (projected_cols) {
    t.columns.push_back(label(L, "segment.projected"));
    t.columns.push_back(label(L, "segment.projected_interval"));
  }
  for (const auto& row : five.rows) {
    const std::string wave = as_text(column(five, row, "wave"));
    const auto e = estimate_of(five, row);
    const std::string seg = segment::detail::segment_label(L, as_text(column(five, row, "segment")));
    std::vector<std::string> cells{wave, seg, format_count(e.respondents), pct(e.share), span_pct(e.lo, e.hi)};
    if (projected_cols) {
      cells.push_back(projected(five, row, "projected"));
      cells.push_back(projected(five, row, "projected_lo") + "–" + projected(five, row, "projected_hi"));
    }
    t.rows.push_back(std::move(cells));
    if (wave != latest) continue;
    labels.push_back(seg);
    est.push_back(e);
  }
  if (est.size() == 5) {
    html += finding(tr(L, "segment.finding_market", est[0].share * 100, est[0].lo * 100, est[0].hi * 100,
                       est[4].share * 100, (est[0].share + est[1].share) * 100));
    html += interval_chart(labels, est, tr(L, "segment.chart_market", latest));
  }
  html += report::table_html(t);
  doc.add_table(std::move(t));
  return html;
}

std::string market_nine(Lang L, const ResultTable& nine, const std::string& latest, bool projected_cols,
                        report::Document& doc) {
  std::vector<std::string> rows,
      cols = {segment::detail::preference_label(L, 1), segment::detail::preference_label(L, 0),
              segment::detail::preference_label(L, -1)};
  std::vector<std::vector<std::optional<double>>> cells(4, std::vector<std::optional<double>>(3));
  for (size_t g = 0; g < 4; ++g) rows.push_back(segment::detail::segment_label(L, kMarketNames[g]));
  report::Table t{"market_9seg",
                  {label(L, "segment.wave"), label(L, "segment.cell"), label(L, "segment.segment"),
                   label(L, "segment.respondents"), label(L, "segment.share"), label(L, "segment.interval")},
                  {},
                  {false, true, false, true, true, true, true, true}};
  if (projected_cols) {
    t.columns.push_back(label(L, "segment.projected"));
    t.columns.push_back(label(L, "segment.projected_interval"));
  }
  double unaware = 0, positive = 0;
  for (const auto& row : nine.rows) {
    const std::string wave = as_text(column(nine, row, "wave"));
    const auto e = estimate_of(nine, row);
    const int64_t cell = as_int(column(nine, row, "cell"));
    const std::string seg = as_text(column(nine, row, "segment"));
    const std::string pref = as_text(column(nine, row, "preference"));
    const std::string name =
        pref.empty() ? segment::detail::segment_label(L, seg) : segment::detail::group_label(L, seg + "/" + pref);
    std::vector<std::string> r{wave,         cell > 0 ? std::to_string(cell) : std::string("–"),
                               name,         format_count(e.respondents),
                               pct(e.share), span_pct(e.lo, e.hi)};
    if (projected_cols) {
      r.push_back(projected(nine, row, "projected"));
      r.push_back(projected(nine, row, "projected_lo") + "–" + projected(nine, row, "projected_hi"));
    }
    t.rows.push_back(std::move(r));
    if (wave != latest) continue;
    if (pref.empty()) {
      unaware = e.share;
      continue;
    }
    for (size_t g = 0; g < 4; ++g)
      for (size_t p = 0; p < 3; ++p)
        if (seg == kMarketNames[g] && pref == kPreferenceNames[p]) cells[g][p] = e.share;
    if (pref == "positive") positive += e.share;
  }
  report::Table shown = t;
  shown.rows.clear();
  for (const auto& r : t.rows)
    if (r[0] == latest) shown.rows.push_back(r);
  std::string html = h3(tr(L, "segment.nine_title", latest));
  html += para(label(L, "segment.nine_intro"));
  html += finding(tr(L, "segment.finding_nine", positive * 100, unaware * 100));
  html += report::heatmap(
      rows, cols, cells,
      {tr(L, "segment.chart_nine", latest), label(L, "segment.preference"), label(L, "segment.segment"), true, 640, 0});
  html += report::table_html(shown);
  doc.add_table(std::move(t));
  return html;
}

std::string market_waves(Lang L, store::Workspace& ws, report::Document& doc) {
  const auto change = ws.read_table("market_change");
  if (change.rows.empty()) return {};
  std::string html = h3(label(L, "segment.waves_title"));
  report::Table t{"market_change",
                  {label(L, "segment.from_wave"), label(L, "segment.to_wave"), label(L, "segment.segment"),
                   label(L, "segment.from_share"), label(L, "segment.to_share"), label(L, "segment.change"),
                   label(L, "segment.change_interval")},
                  {},
                  {false, false, false, true, true, true, true}};
  std::string biggest;
  double biggest_abs = 0;
  for (const auto& row : change.rows) {
    const double c = as_double(column(change, row, "change"));
    const double lo = as_double(column(change, row, "change_lo")), hi = as_double(column(change, row, "change_hi"));
    const std::string seg = segment::detail::segment_label(L, as_text(column(change, row, "segment")));
    t.rows.push_back({as_text(column(change, row, "from_wave")), as_text(column(change, row, "to_wave")), seg,
                      pct(as_double(column(change, row, "from_share"))),
                      pct(as_double(column(change, row, "to_share"))), fmt::format("{:+.1f}", c * 100),
                      fmt::format("{:+.1f} – {:+.1f}", lo * 100, hi * 100)});
    if ((lo > 0 || hi < 0) && std::fabs(c) > biggest_abs) {
      biggest_abs = std::fabs(c);
      biggest = tr(L, "segment.finding_change", seg, c * 100, as_text(column(change, row, "from_wave")),
                   as_text(column(change, row, "to_wave")));
    }
  }
  html += finding(biggest.empty() ? label(L, "segment.finding_no_change") : biggest);
  html += report::table_html(t);
  doc.add_table(std::move(t));

  // Panel flows of the last pair of waves.
  const auto panel = ws.read_table("market_panel");
  std::map<std::pair<std::string, std::string>, std::array<std::array<int64_t, 5>, 5>> flows;
  for (const auto& row : panel.rows) {
    auto& m = flows[{as_text(column(panel, row, "from_wave")), as_text(column(panel, row, "to_wave"))}];
    size_t f = 0, to = 0;
    for (size_t g = 0; g < 5; ++g) {
      if (as_text(column(panel, row, "from_segment")) == kMarketNames[g]) f = g;
      if (as_text(column(panel, row, "to_segment")) == kMarketNames[g]) to = g;
    }
    m[f][to] = as_int(column(panel, row, "respondents"));
  }
  report::Table pt{"market_panel",
                   {label(L, "segment.from_wave"), label(L, "segment.to_wave"), label(L, "segment.from_segment")},
                   {},
                   {}};
  for (size_t g = 0; g < 5; ++g) pt.columns.push_back(segment::detail::segment_label(L, kMarketNames[g]));
  pt.numeric = {false, false, false, true, true, true, true, true};
  std::string last_html;
  for (const auto& [waves, m] : flows) {
    int64_t n = 0;
    std::vector<std::string> labels;
    std::vector<std::vector<std::optional<double>>> cells;
    for (size_t f = 0; f < 5; ++f) {
      labels.push_back(segment::detail::segment_label(L, kMarketNames[f]));
      std::vector<std::string> r{waves.first, waves.second, labels.back()};
      int64_t row_n = 0;
      for (size_t to = 0; to < 5; ++to) {
        r.push_back(format_count(m[f][to]));
        row_n += m[f][to];
      }
      n += row_n;
      std::vector<std::optional<double>> c(5);
      for (size_t to = 0; to < 5; ++to)
        if (row_n > 0) c[to] = static_cast<double>(m[f][to]) / static_cast<double>(row_n);
      cells.push_back(std::move(c));
      pt.rows.push_back(std::move(r));
    }
    if (n == 0) continue;
    const int64_t loyal_n = m[0][0] + m[0][1] + m[0][2] + m[0][3] + m[0][4];
    last_html = h3(tr(L, "segment.panel_title", waves.first, waves.second));
    last_html += finding(tr(L, "segment.finding_panel", format_count(n), waves.first, waves.second,
                            loyal_n > 0 ? 100.0 * static_cast<double>(m[0][0]) / static_cast<double>(loyal_n) : 0.0));
    last_html += report::heatmap(
        labels, labels, cells,
        {tr(L, "segment.chart_panel", waves.first, waves.second), tr(L, "segment.wave_segment", waves.second),
         tr(L, "segment.wave_segment", waves.first), true, 760, 0});
  }
  if (!last_html.empty()) {
    html += last_html + report::table_html(pt);
    doc.add_table(std::move(pt));
  }
  return html;
}

std::string market_consistency(Lang L, store::Workspace& ws, std::map<std::string, Value>& m, report::Document& doc) {
  const auto cons = ws.read_table("market_consistency");
  if (cons.rows.empty()) return {};
  std::string html = h3(label(L, "segment.consistency_title"));
  html += para(label(L, "segment.consistency_intro"));
  const int64_t linked = as_int(m["linked"]);
  if (linked > 0)
    html += finding(tr(L, "segment.finding_consistency", format_count(linked),
                       100.0 * static_cast<double>(as_int(m["agree"])) / static_cast<double>(linked)));
  if (as_int(m["unmatched_customer_ids"]) > 0)
    html += note(tr(L, "segment.unmatched_ids", format_count(as_int(m["unmatched_customer_ids"]))));
  report::Table t{"market_consistency", {label(L, "segment.self_reported")}, {}, {false, true, true, true, true}};
  for (const auto n : kOrderSideNames) t.columns.push_back(segment::detail::segment_label(L, n));
  for (const auto& row : cons.rows) {
    std::vector<std::string> r{segment::detail::segment_label(L, as_text(row[0]))};
    for (size_t c = 1; c < row.size(); ++c) r.push_back(format_count(as_int(row[c])));
    t.rows.push_back(std::move(r));
  }
  html += report::table_html(t);
  doc.add_table(std::move(t));
  return html;
}

// ---- CRM map ---------------------------------------------------------------------------------------------------

std::string crm_map_html(Lang L, store::Workspace& ws, const std::string& cur, std::map<std::string, Value>& m,
                         report::Document& doc) {
  const auto map = ws.read_table("segment_crm_map");
  std::string html;
  std::array<int64_t, 3> n{};
  std::array<double, 3> share{}, rev{};
  report::Table t{
      "segment_crm_map",
      {label(L, "segment.segment"), label(L, "segment.customers"), label(L, "segment.share"),
       label(L, "segment.net_revenue"), label(L, "segment.revenue_share"), label(L, "segment.mean_purchase_days")},
      {},
      {false, true, true, true, true, true}};
  std::vector<std::string> labels;
  std::vector<double> values;
  for (size_t s = 0; s < map.rows.size() && s < 3; ++s) {
    const auto& row = map.rows[s];
    n[s] = as_int(column(map, row, "customers"));
    share[s] = as_double(column(map, row, "share"));
    rev[s] = as_double(column(map, row, "revenue_share"));
    labels.push_back(segment::detail::segment_label(L, as_text(row[0])));
    values.push_back(share[s]);
    const int64_t pdays = as_int(column(map, row, "purchase_days"));
    t.rows.push_back({labels.back(), format_count(n[s]), pct(share[s]),
                      format_money(as_int(column(map, row, "net_revenue")), cur), pct(rev[s]),
                      n[s] > 0 ? fmt::format("{:.1f}", static_cast<double>(pdays) / static_cast<double>(n[s])) : "–"});
  }
  html += finding(tr(L, "segment.finding_crm", as_text(m["as_of"]), format_count(n[0]), share[0] * 100, rev[0] * 100,
                     format_count(n[1]), format_count(n[2])));
  html += report::bar_chart(labels, values,
                            {tr(L, "segment.chart_crm", as_text(m["as_of"])), label(L, "segment.segment"),
                             label(L, "segment.share"), true, 520, 240});
  html += report::table_html(t);
  doc.add_table(std::move(t));

  // 9seg buyer rows.
  const auto nine = ws.read_table("segment_crm_9seg");
  html += h3(label(L, "segment.crm_nine_title"));
  const int64_t known = as_int(m["preference_known"]);
  html += note(tr(L, "segment.preference_known", format_count(known), format_count(as_int(m["preference_from_survey"])),
                  format_count(as_int(m["preference_from_customers"]))));
  report::Table nt{"segment_crm_9seg",
                   {label(L, "segment.segment"), segment::detail::preference_label(L, 1),
                    segment::detail::preference_label(L, 0), segment::detail::preference_label(L, -1)},
                   {},
                   {false, true, true, true}};
  std::vector<std::vector<std::optional<double>>> cells;
  for (size_t s = 0; s < 3; ++s) {
    std::vector<std::string> r{segment::detail::segment_label(L, kBuyerNames[s])};
    std::vector<std::optional<double>> c;
    for (size_t p = 0; p < 3; ++p) {
      const auto& row = nine.rows.at(s * 3 + p);
      r.push_back(format_count(as_int(column(nine, row, "customers"))));
      c.emplace_back(as_double(column(nine, row, "share")));
    }
    nt.rows.push_back(std::move(r));
    cells.push_back(std::move(c));
  }
  if (known > 0)
    html += report::heatmap(labels,
                            nt.columns.size() > 1 ? std::vector<std::string>(nt.columns.begin() + 1, nt.columns.end())
                                                  : std::vector<std::string>{},
                            cells,
                            {label(L, "segment.crm_nine_title"), label(L, "segment.preference"),
                             label(L, "segment.segment"), true, 560, 0});
  html += report::table_html(nt);
  doc.add_table(std::move(nt));
  return html;
}

std::string transitions_html(Lang L, store::Workspace& ws, const std::string& cur, std::map<std::string, Value>& m,
                             report::Document& doc) {
  const auto tr_table = ws.read_table("segment_transitions");
  const std::string from = as_text(m["compare_from"]), to = as_text(m["compare_to"]);
  std::string html = h3(tr(L, "segment.transitions_title", from, to));
  std::array<std::array<int64_t, 3>, 4> n{};
  std::array<std::array<int64_t, 3>, 4> rev{};
  for (size_t i = 0; i < tr_table.rows.size() && i < 12; ++i) {
    n[i / 3][i % 3] = as_int(column(tr_table, tr_table.rows[i], "customers"));
    rev[i / 3][i % 3] = as_int(column(tr_table, tr_table.rows[i], "net_revenue"));
  }
  auto row_total = [&](size_t r) { return n[r][0] + n[r][1] + n[r][2]; };
  const int64_t loyal = row_total(0), general = row_total(1);
  html += finding(tr(L, "segment.finding_loyal_lapsed", format_count(n[0][2]), format_count(loyal), from, to,
                     loyal > 0 ? 100.0 * static_cast<double>(n[0][2]) / static_cast<double>(loyal) : 0.0));
  html += finding(tr(L, "segment.finding_general_loyal", format_count(n[1][0]), format_count(general),
                     general > 0 ? 100.0 * static_cast<double>(n[1][0]) / static_cast<double>(general) : 0.0,
                     format_money(rev[1][0], cur)));
  std::vector<std::string> rows, cols;
  std::vector<std::vector<std::optional<double>>> cells;
  for (size_t c = 0; c < 3; ++c) cols.push_back(segment::detail::segment_label(L, kBuyerNames[c]));
  report::Table t{"segment_transitions",
                  {label(L, "segment.from_segment"), label(L, "segment.to_segment"), label(L, "segment.customers"),
                   label(L, "segment.row_share"), label(L, "segment.net_revenue_period")},
                  {},
                  {false, false, true, true, true}};
  for (size_t r = 0; r < 4; ++r) {
    rows.push_back(segment::detail::segment_label(L, kFromNames[r]));
    std::vector<std::optional<double>> c(3);
    const int64_t total = row_total(r);
    for (size_t k = 0; k < 3; ++k) {
      const double share = total > 0 ? static_cast<double>(n[r][k]) / static_cast<double>(total) : 0.0;
      if (total > 0) c[k] = share;
      t.rows.push_back({rows.back(), cols[k], format_count(n[r][k]), pct(share), format_money(rev[r][k], cur)});
    }
    cells.push_back(std::move(c));
  }
  html += report::heatmap(rows, cols, cells,
                          {tr(L, "segment.chart_transitions", from, to), tr(L, "segment.segment_on", to),
                           tr(L, "segment.segment_on", from), true, 720, 0});
  html += report::table_html(t);
  doc.add_table(std::move(t));
  return html;
}

std::string component_cell(const Value& v) {
  return std::holds_alternative<std::monostate>(v) ? std::string("–") : fmt::format("{:.0f}", as_double(v) * 100);
}

std::string core_html(Lang L, store::Workspace& ws, const std::string& cur, std::map<std::string, Value>& m,
                      report::Document& doc) {
  std::string html = h3(label(L, "segment.core_title"));
  html += para(label(L, "segment.core_intro"));
  const auto weights = ws.read_table("segment_core_weights");
  report::Table wt{"segment_core_weights",
                   {label(L, "segment.component"), label(L, "segment.weight"), label(L, "segment.known_customers")},
                   {},
                   {false, true, true}};
  for (const auto& row : weights.rows)
    wt.rows.push_back({label(L, ("segment.component_" + as_text(row[0])).c_str()),
                       fmt::format("{:.2f}", as_double(row[1])), format_count(as_int(row[2]))});
  html += report::table_html(wt);
  doc.add_table(std::move(wt));

  const auto val = ws.read_table("segment_validation");
  for (const auto& row : val.rows) {
    html += finding(tr(L, "segment.finding_validation", as_text(column(val, row, "calibration_end")),
                       as_text(column(val, row, "holdout_end")), as_double(m["core_top_share"]) * 100,
                       format_count(as_int(column(val, row, "top_customers"))),
                       as_double(column(val, row, "core_capture")) * 100,
                       as_double(column(val, row, "rfm_capture")) * 100));
  }

  const auto top = ws.read_table("segment_core_top");
  html += finding(
      tr(L, "segment.finding_core", format_count(as_int(m["core_customers"])), as_double(m["core_top_share"]) * 100));
  report::Table full{"segment_core",
                     {label(L, "segment.rank"), label(L, "segment.customer"), label(L, "segment.segment"),
                      label(L, "segment.core_score")},
                     {},
                     {true, false, false, true, true, true, true, true, true, true, true, false}};
  for (const auto c : kComponentNames)
    full.columns.push_back(label(L, ("segment.component_short_" + std::string(c)).c_str()));
  full.columns.push_back(label(L, "segment.reason"));
  for (const auto& row : top.rows) {
    const auto f = segment::detail::facts_from_row(top, row);
    const std::string group = f.segment + (f.preference == 1 ? "/positive" : f.preference == 0 ? "/negative" : "");
    std::vector<std::string> r{std::to_string(as_int(row[0])), f.customer_id, segment::detail::group_label(L, group),
                               fmt::format("{:.1f}", f.core_score)};
    for (const auto c : kComponentNames) r.push_back(component_cell(column(top, row, "c_" + std::string(c))));
    r.push_back(segment::detail::reason_line(L, f));
    full.rows.push_back(std::move(r));
  }
  report::Table shown = full;
  if (shown.rows.size() > 20) shown.rows.resize(20);
  html += report::table_html(shown);
  html += note(label(L, "segment.core_components_note"));
  doc.add_table(std::move(full));
  static_cast<void>(cur);
  return html;
}

std::string n1_html(Lang L, store::Workspace& ws, const std::string& cur, report::Document& doc) {
  const auto n1 = ws.read_table("segment_n1");
  std::string html = h3(label(L, "segment.n1_title"));
  html += para(label(L, "segment.n1_intro"));
  std::map<std::string, std::vector<std::string>> alternates;
  report::Table t{"segment_n1",
                  {label(L, "segment.group_col"), label(L, "segment.role"), label(L, "segment.rank"),
                   label(L, "segment.customer"), label(L, "segment.core_score"), label(L, "segment.reason")},
                  {},
                  {false, false, true, false, true, false}};
  for (const auto& row : n1.rows) {
    const auto f = segment::detail::facts_from_row(n1, row);
    const std::string group = as_text(column(n1, row, "group"));
    const std::string role = as_text(column(n1, row, "role"));
    if (role == "alternate") alternates[group].push_back(f.customer_id);
    t.rows.push_back({segment::detail::group_label(L, group),
                      label(L, role == "pick" ? "segment.role_pick" : "segment.role_alternate"),
                      std::to_string(as_int(column(n1, row, "rank"))), f.customer_id,
                      fmt::format("{:.1f}", f.core_score), segment::detail::reason_line(L, f)});
  }
  constexpr const char* kCard =
      "<div class=\"n1-card\" style=\"border:1px solid #d9dee4;border-radius:6px;padding:4px 16px 8px;margin:14px "
      "0\">\n";
  for (const auto& row : n1.rows) {
    if (as_text(column(n1, row, "role")) != "pick") continue;
    const auto f = segment::detail::facts_from_row(n1, row);
    const std::string group = as_text(column(n1, row, "group"));
    html += kCard;
    html += "<h4>" +
            report::escape_html(tr(L, "segment.n1_card_title", segment::detail::group_label(L, group), f.customer_id)) +
            "</h4>\n";
    html += para(segment::detail::reason_line(L, f));
    html += note(tr(L, "segment.guide_picked", format_count(as_int(column(n1, row, "candidates"))),
                    format_count(as_int(column(n1, row, "sampled")))));
    html += "<ol>\n";
    for (const auto& [q, prefill] : segment::detail::guide_questions(L, f, cur))
      html += "<li><strong>" + report::escape_html(q) + "</strong><br><span class=\"note\">" +
              report::escape_html(prefill) + "</span></li>\n";
    html += "</ol>\n";
    if (!alternates[group].empty())
      html += note(tr(L, "segment.n1_alternates", fmt::format("{}", fmt::join(alternates[group], ", "))));
    html += "</div>\n";
  }
  html += report::table_html(t);
  doc.add_table(std::move(t));
  return html;
}

// Every customer with segment, 9seg, core score and reason: the list a marketing-automation or LINE upload takes.
void customers_table(Lang L, store::Workspace& ws, report::Document& doc) {
  const auto ids = ingest::load_customer_ids(ws);
  report::Table t{
      "segment_customers", {"customer_id", "segment", "9seg", "core_score", "core_customer", "reason"}, {}, {}};
  segment::detail::for_each_list_row(ws, L, [&](const segment::detail::ListRow& r) {
    t.rows.push_back({ids.at(r.key), std::string(kBuyerNames[r.segment]), r.nine, fmt::format("{:.1f}", r.core_score),
                      r.is_core ? "yes" : "no", r.reason});
  });
  doc.add_table(std::move(t));
}

}  // namespace

void market_report(store::Workspace& ws, const Config& config, report::Document& doc) {
  const Lang L = doc.lang();
  auto m = key_values(ws, "market_summary");
  const std::string latest = as_text(m["latest_wave"]);
  const bool population = as_double(m["population"]) > 0;
  std::string html = para(label(L, "segment.market_intro"));
  html += note(tr(L, "segment.market_rules", as_int(m["current_window_months"]), as_double(m["loyal_min_frequency"]),
                  as_int(m["positive_min"]), as_text(m["scale"])));
  if (population) html += note(tr(L, "segment.population_note", format_count(as_int(m["population"]))));
  const auto five = ws.read_table("market_5seg");
  int64_t respondents = 0;
  for (const auto& row : five.rows)
    if (as_text(column(five, row, "wave")) == latest) respondents += as_int(column(five, row, "respondents"));
  html += h3(tr(L, "segment.five_title", latest, format_count(respondents), as_double(m["n_eff:" + latest])));
  html += market_five(L, five, latest, population, doc);
  html += market_nine(L, ws.read_table("market_9seg"), latest, population, doc);
  html += market_waves(L, ws, doc);
  html += market_consistency(L, ws, m, doc);
  static_cast<void>(config);
  doc.add_section({"market", label(L, "segment.market_title"), html});
}

void segment_report(store::Workspace& ws, const Config& config, report::Document& doc) {
  const Lang L = doc.lang();
  const std::string cur = ingest::workspace_currency(ws);
  auto m = key_values(ws, "segment_summary");
  std::string html = para(label(L, "segment.crm_intro"));
  html += note(tr(L, "segment.crm_rules", as_int(m["current_max_recency_days"]), as_int(m["loyal_max_recency_days"]),
                  as_int(m["loyal_min_purchase_days"])));
  html += crm_map_html(L, ws, cur, m, doc);
  html += transitions_html(L, ws, cur, m, doc);
  html += core_html(L, ws, cur, m, doc);
  html += n1_html(L, ws, cur, doc);
  html += h3(label(L, "segment.lists_title"));
  html += para(label(L, "segment.lists_intro"));
  html += "<p class=\"note\"><a href=\"segment_customers.csv\">segment_customers.csv</a></p>\n";
  if (as_int(m["contact_excluded"]) > 0)
    html += note(tr(L, "segment.contact_excluded", format_count(as_int(m["contact_excluded"]))));
  customers_table(L, ws, doc);
  static_cast<void>(config);
  doc.add_section({"segments", label(L, "segment.crm_title"), html});
}

}  // namespace koko
