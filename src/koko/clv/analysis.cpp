// The CLV analysis: stored orders (or a summary file) → summary → model fits → predictions and holdout
// validation → result tables → report section. Settings (koko.toml [clv] or the `koko clv` options):
//   clv.unit = week|day, clv.calibration_end = DATE, clv.holdout_end = DATE, clv.models = [..], clv.model = primary,
//   clv.horizon (units; default one year), clv.discount_rate, clv.margin, clv.horizon_years, clv.summary_file,
//   clv.segments_table (a result table with customer_id and segment columns).
#include "koko/analysis/analysis.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "koko/clv/clv.hpp"
#include "koko/clv/summary_file.hpp"
#include "koko/core/error.hpp"
#include "koko/core/money.hpp"
#include "koko/core/progress.hpp"
#include "koko/ingest/ingest.hpp"
#include "koko/io/csv.hpp"

namespace koko {
namespace {

using store::ResultTable;
using store::Value;
using store::as_double;
using store::as_int;
using store::as_text;

double finite(double v) { return std::isfinite(v) ? v : 0.0; }

std::optional<Day> config_date(const Config& cfg, const std::string& key) {
  const std::string s = cfg.get_string(key, "");
  if (s.empty()) return std::nullopt;
  const auto d = parse_iso_date(s);
  if (!d) throw Error(ErrorCode::usage, fmt::format("{} = '{}' is not a date", key, s), {}, "use YYYY-MM-DD");
  return d;
}

struct Settings {
  clv::SummaryOptions summary;
  std::vector<clv::Model> models;
  clv::Model primary = clv::Model::pareto_nbd;
  double horizon = 52;
  clv::ValueOptions value;
  std::string summary_file, segments_table;
};

Settings read_settings(const Config& cfg) {
  Settings st;
  const std::string unit = cfg.get_string("clv.unit", "week");
  if (unit != "week" && unit != "day")
    throw Error(ErrorCode::usage, fmt::format("clv.unit = '{}'", unit), {}, "use week or day");
  st.summary.unit_days = unit == "week" ? 7 : 1;
  st.summary.calibration_end = config_date(cfg, "clv.calibration_end");
  st.summary.holdout_end = config_date(cfg, "clv.holdout_end");
  const std::string models = cfg.get_string("clv.models", "bgnbd,mbgnbd,pareto_nbd");
  std::string cur;
  for (const char ch : models + ",") {
    if (ch == ',' || ch == ' ' || ch == '[' || ch == ']' || ch == '"') {
      if (!cur.empty()) {
        const auto m = clv::parse_model(cur);
        if (!m || *m == clv::Model::gamma_gamma || *m == clv::Model::bgbb || *m == clv::Model::sbg)
          throw Error(ErrorCode::usage, fmt::format("clv.models: unknown repeat-buying model '{}'", cur), {},
                      "choose from bgnbd, mbgnbd, pareto_nbd, nbd");
        if (std::find(st.models.begin(), st.models.end(), *m) == st.models.end()) st.models.push_back(*m);
      }
      cur.clear();
    } else {
      cur += ch;
    }
  }
  const auto primary = clv::parse_model(cfg.get_string("clv.model", "pareto_nbd"));
  if (!primary) throw Error(ErrorCode::usage, "clv.model is not a model", {}, "bgnbd, mbgnbd, pareto_nbd or nbd");
  st.primary = *primary;
  if (std::find(st.models.begin(), st.models.end(), st.primary) == st.models.end()) st.models.push_back(st.primary);
  st.horizon = cfg.get_double("clv.horizon", st.summary.unit_days == 7 ? 52.0 : 365.0);
  st.value.annual_discount = cfg.get_double("clv.discount_rate", 0.10);
  st.value.margin = cfg.get_double("clv.margin", 1.0);
  st.value.horizon_years = cfg.get_double("clv.horizon_years", 10);
  st.value.unit_days = st.summary.unit_days;
  if (!(st.horizon > 0)) throw Error(ErrorCode::usage, "clv.horizon must be positive", {}, "e.g. --horizon 52");
  if (!(st.value.annual_discount > 0))
    throw Error(ErrorCode::usage, "clv.discount_rate must be positive", {}, "e.g. --discount 0.1");
  st.summary_file = cfg.peek("clv.summary_file").value_or("");
  st.segments_table = cfg.get_string("clv.segments_table", "crm_customers");
  return st;
}

std::string fmt_num(double v) { return fmt::format("{:.6g}", v); }

class ClvAnalysis final : public Analysis {
 public:
  [[nodiscard]] std::string_view name() const override { return "clv"; }
  [[nodiscard]] std::vector<std::string> inputs() const override { return {"orders"}; }
  // Orders, or a summary imported with `koko import clv-summary`.
  [[nodiscard]] std::string missing_input(store::Workspace& ws) const override {
    return ws.columnar_rows("orders") > 0 || clv::has_stored_summary(ws) ? std::string() : std::string("orders");
  }
  [[nodiscard]] std::vector<std::string> tables() const override {
    return {"clv_data", "clv_models", "clv_parameters", "clv_customers", "clv_frequency", "clv_tracking",
            "clv_validation", "clv_segments"};
  }

  void run(RunContext& ctx) const override {
    Settings st = read_settings(ctx.config);
    if (st.summary_file.empty() && clv::has_stored_summary(ctx.ws)) {
      // An imported summary is fitted in its own time unit (and a year ahead unless clv.horizon says otherwise).
      const int unit_days = ctx.ws.meta("clv_summary_unit").value_or("week") == "day" ? 1 : 7;
      if (unit_days != st.summary.unit_days && !ctx.config.peek("clv.horizon")) st.horizon = unit_days == 7 ? 52 : 365;
      st.summary.unit_days = st.value.unit_days = unit_days;
    }
    try {
      run_with(ctx, st);
    } catch (const Error& e) {
      // In `koko analyze`, data the models cannot use is a finding, not a failure; explicit settings still fail.
      const bool user_set = st.summary.calibration_end || st.summary.holdout_end || !st.summary_file.empty();
      if (e.code != ErrorCode::analysis && (e.code != ErrorCode::usage || user_set)) throw;
      warn("clv: " + e.describe());
      ResultTable data{"clv_data", {"metric", "value"}, {{std::string("error"), e.message}, {std::string("hint"), e.hint}}};
      ctx.ws.write_table(data);
      for (const auto& t : tables())
        if (t != "clv_data") ctx.ws.write_table(ResultTable{t, {"empty"}, {}});
    }
  }

  static void run_with(RunContext& ctx, const Settings& st) {
    std::string currency = ingest::workspace_currency(ctx.ws);
    clv::SummaryOptions so = st.summary;
    so.minor_per_major = std::pow(10.0, currency_digits(currency));
    clv::Summary s;
    std::vector<std::string> ids;
    std::string source = "orders";
    if (!st.summary_file.empty()) {
      auto f = clv::read_summary(st.summary_file, so.unit_days);
      s = std::move(f.summary);
      ids = std::move(f.ids);
      source = st.summary_file;
    } else if (clv::has_stored_summary(ctx.ws)) {
      // `koko import clv-summary`: fitted in its own time unit.
      auto f = clv::load_stored_summary(ctx.ws);
      s = std::move(f.summary);
      ids = std::move(f.ids);
      source = "imported summary";
    } else {
      const auto orders = ingest::load_orders(ctx.ws);
      ids = ingest::load_customer_ids(ctx.ws);
      s = clv::summarize({orders.customer, orders.day, orders.amount}, static_cast<uint32_t>(ids.size()), so);
    }
    for (const auto& w : s.warnings) warn("clv: " + w);

    ResultTable data{"clv_data", {"metric", "value"}, {}};
    auto add = [&](const char* k, Value v) { data.rows.push_back({std::string(k), std::move(v)}); };
    add("source", source);
    add("unit", std::string(so.unit_days == 7 ? "week" : "day"));
    add("customers", static_cast<int64_t>(s.customer.size()));
    add("repeaters", s.repeaters);
    add("repeat_days", s.repeat_days_total);
    if (source == "orders") {
      add("first_order", format_date(s.first_order_day));
      add("calibration_end", format_date(s.calibration_end));
      add("holdout_end", format_date(s.holdout_end));
      add("holdout_units", s.holdout_units);
      add("later_customers", s.later_customers);
      add("returns_ignored", s.returns_ignored);
    }
    add("horizon", st.horizon);
    add("discount_rate", st.value.annual_discount);
    add("margin", st.value.margin);
    add("horizon_years", st.value.horizon_years);
    add("currency", currency);
    for (const auto& w : s.warnings) add("warning", w);

    ResultTable models{"clv_models",
                       {"model", "log_likelihood", "converged", "at_boundary", "predicting_model", "evaluations",
                        "iterations", "unique_rows", "status", "note"},
                       {}};
    ResultTable params{"clv_parameters", {"model", "parameter", "value", "se"}, {}};
    ResultTable freq{"clv_frequency", {"model", "x", "customers", "actual", "expected"}, {}};
    ResultTable track{"clv_tracking", {"model", "period_end", "actual", "expected"}, {}};
    ResultTable valid{"clv_validation",
                      {"model", "mae", "total_actual", "total_expected", "total_pct_error", "tracking_mape"},
                      {}};
    const clv::RfmView view{s.x, s.t_x, s.T, {}};
    std::optional<clv::Fit> primary;
    for (const auto m : st.models) {
      clv::Fit f;
      try {
        f = clv::fit_model(m, view);
      } catch (const Error& e) {
        if (e.code != ErrorCode::analysis) throw;
        models.rows.push_back({std::string(clv::model_name(m)), Value{}, int64_t{0}, int64_t{0}, std::string(), int64_t{0},
                               int64_t{0}, int64_t{0}, "error: " + e.message, e.hint});
        continue;
      }
      if (f.at_boundary) warn(f.note);
      else if (!f.converged) warn(fmt::format("clv: {} {}", clv::model_title(m), f.status));
      const clv::Fit& eff = f.effective();
      models.rows.push_back({std::string(clv::model_name(m)), finite(f.log_likelihood), int64_t{f.converged},
                             int64_t{f.at_boundary}, std::string(clv::model_name(eff.model)),
                             int64_t{f.evaluations}, int64_t{f.iterations}, f.unique_rows, f.status, f.note});
      for (const auto& e : f.params)
        params.rows.push_back({std::string(clv::model_name(m)), e.name, finite(e.value), finite(e.se)});
      if (f.at_boundary)
        for (const auto& e : eff.params)
          params.rows.push_back({std::string(clv::model_name(m)) + ">nbd", e.name, finite(e.value), finite(e.se)});
      if (s.holdout_units > 0) {
        const auto v = clv::validate(f, s);
        for (const auto& row : v.by_frequency)
          freq.rows.push_back({std::string(clv::model_name(m)), int64_t{row.x}, row.customers, row.actual, row.expected});
        for (const auto& p : v.tracking)
          track.rows.push_back({std::string(clv::model_name(m)), format_date(p.period_end), p.actual, p.expected});
        valid.rows.push_back({std::string(clv::model_name(m)), v.mae, v.total_actual, v.total_expected,
                              v.total_pct_error, v.tracking_mape});
      }
      if (m == st.primary) primary = f;
    }

    // Spend.
    std::optional<clv::Fit> spend;
    try {
      spend = clv::fit_gamma_gamma(s.x, s.monetary);
      models.rows.push_back({std::string("gamma_gamma"), finite(spend->log_likelihood), int64_t{spend->converged},
                             int64_t{0}, std::string("gamma_gamma"), int64_t{spend->evaluations},
                             int64_t{spend->iterations}, spend->rows, spend->status, spend->note});
      for (const auto& e : spend->params)
        params.rows.push_back({std::string("gamma_gamma"), e.name, finite(e.value), finite(e.se)});
      if (spend->excluded > 0) warn("clv: " + spend->note);
    } catch (const Error& e) {
      if (e.code != ErrorCode::analysis) throw;
      models.rows.push_back({std::string("gamma_gamma"), Value{}, int64_t{0}, int64_t{0}, std::string(), int64_t{0},
                             int64_t{0}, int64_t{0}, "error: " + e.message, e.hint});
    }

    ResultTable cust{"clv_customers",
                     {"customer_id", "x", "t_x", "T", "monetary", "x_holdout", "p_alive", "expected", "order_value",
                      "discounted_transactions", "clv"},
                     {}};
    ResultTable segs{"clv_segments", {"segment", "customers", "mean_p_alive", "expected", "clv_total", "clv_mean"}, {}};
    if (primary) {
      const auto pred = clv::predict(*primary, spend ? &*spend : nullptr, s, st.horizon, st.value);
      for (const auto& w : pred.warnings) warn("clv: " + w);
      cust.rows.reserve(s.customer.size());
      for (size_t i = 0; i < s.customer.size(); ++i)
        cust.rows.push_back({ids.at(s.customer[i]), int64_t{s.x[i]}, s.t_x[i], s.T[i], s.monetary[i],
                             int64_t{s.x_holdout[i]}, pred.p_alive[i], pred.expected[i], pred.order_value[i],
                             pred.discounted[i], pred.clv[i]});
      segments(ctx.ws, st.segments_table, ids, s, pred, segs);
    }
    for (const auto* t : {&data, &models, &params, &cust, &freq, &track, &valid, &segs}) ctx.ws.write_table(*t);
  }

  void report(store::Workspace& ws, const Config& config, report::Document& doc) const override;

 private:
  // Aggregates per CRM segment when a segment table (customer_id, segment) exists.
  static void segments(store::Workspace& ws, const std::string& table, const std::vector<std::string>& ids,
                       const clv::Summary& s, const clv::CustomerPredictions& pred, ResultTable& out) {
    if (table.empty() || !ws.has_table(table)) return;
    const auto t = ws.read_table(table);
    const auto ci = std::find(t.columns.begin(), t.columns.end(), "customer_id");
    const auto si = std::find(t.columns.begin(), t.columns.end(), "segment");
    if (ci == t.columns.end() || si == t.columns.end()) return;
    std::map<std::string, std::string> seg_of;
    for (const auto& row : t.rows)
      seg_of[as_text(row[static_cast<size_t>(ci - t.columns.begin())])] = as_text(row[static_cast<size_t>(si - t.columns.begin())]);
    struct Agg {
      int64_t n = 0;
      double pa = 0, e = 0, clv = 0;
    };
    std::map<std::string, Agg> agg;
    for (size_t i = 0; i < s.customer.size(); ++i) {
      const auto it = seg_of.find(ids.at(s.customer[i]));
      auto& a = agg[it == seg_of.end() ? std::string("-") : it->second];
      ++a.n;
      a.pa += pred.p_alive[i];
      a.e += pred.expected[i];
      a.clv += pred.clv[i];
    }
    for (const auto& [k, a] : agg)
      out.rows.push_back({k, a.n, a.pa / static_cast<double>(a.n), a.e, a.clv, a.clv / static_cast<double>(a.n)});
  }
};

void ClvAnalysis::report(store::Workspace& ws, const Config& config, report::Document& doc) const {
  static_cast<void>(config);
  const Lang L = doc.lang();
  auto label = [&](const char* key) { return std::string(msg(L, key)); };
  auto p = [](const std::string& t) { return "<p class=\"finding\">" + report::escape_html(t) + "</p>"; };
  auto note = [](const std::string& t) { return "<p class=\"note\">" + report::escape_html(t) + "</p>"; };
  auto h3 = [](const std::string& t) { return "<h3>" + report::escape_html(t) + "</h3>"; };
  if (!ws.has_table("clv_data")) return;
  std::map<std::string, Value> d;
  for (const auto& row : ws.read_table("clv_data").rows) d[as_text(row[0])] = row[1];
  const std::string unit = as_text(d["unit"]) == "day" ? label("clv.unit_day") : label("clv.unit_week");
  const std::string currency = as_text(d["currency"]);
  if (d.count("error")) {
    doc.add_section({"clv", label("clv.title"),
                     note(as_text(d["error"]) + (as_text(d["hint"]).empty() ? "" : " — " + as_text(d["hint"])))});
    return;
  }

  std::string html = "<p>" + report::escape_html(label("clv.intro")) + "</p>";
  html += p(tr(L, "clv.finding_data", format_count(as_int(d["customers"])), format_count(as_int(d["repeaters"])),
               format_count(as_int(d["repeat_days"])), unit));
  if (d.count("calibration_end"))
    html += note(tr(L, "clv.calibration", as_text(d["first_order"]), as_text(d["calibration_end"]),
                    as_text(d["holdout_end"])));

  // Models and parameters.
  html += h3(label("clv.models_title"));
  report::Table mt{"clv_models",
                   {label("clv.model"), label("clv.parameters"), label("clv.log_likelihood"), label("clv.status")},
                   {},
                   {false, false, true, false}};
  std::map<std::string, std::string> param_text;
  for (const auto& row : ws.read_table("clv_parameters").rows) {
    auto& s = param_text[as_text(row[0])];
    s += fmt::format("{}{} = {} (±{})", s.empty() ? "" : ", ", as_text(row[1]), fmt_num(as_double(row[2])),
                     fmt_num(as_double(row[3])));
  }
  std::string primary_note;
  for (const auto& row : ws.read_table("clv_models").rows) {
    const std::string m = as_text(row[0]);
    const auto model = clv::parse_model(m);
    const std::string title = model ? std::string(clv::model_title(*model)) : m;
    const bool boundary = as_int(row[3]) != 0;
    std::string status = as_text(row[8]);
    mt.rows.push_back({title, param_text[m] + (boundary ? "; NBD: " + param_text[m + ">nbd"] : ""),
                       std::holds_alternative<std::monostate>(row[1]) ? "-" : fmt::format("{:.2f}", as_double(row[1])),
                       boundary ? label("clv.boundary") : status});
    if (!as_text(row[9]).empty()) html += note(title + ": " + as_text(row[9]));
  }
  html += report::table_html(mt);
  doc.add_table(std::move(mt));

  // Validation.
  if (ws.has_table("clv_validation") && !ws.read_table("clv_validation").rows.empty()) {
    html += h3(label("clv.validation_title"));
    for (const auto& row : ws.read_table("clv_validation").rows) {
      const auto model = clv::parse_model(as_text(row[0]));
      html += p(tr(L, "clv.finding_validation", model ? std::string(clv::model_title(*model)) : as_text(row[0]),
                   as_double(row[2]), as_double(row[3]), as_double(row[4]), as_double(row[1]), as_double(row[5])));
    }
    std::map<std::string, std::vector<std::vector<Value>>> by_model;
    for (const auto& row : ws.read_table("clv_frequency").rows) by_model[as_text(row[0])].push_back(row);
    for (const auto& [m, rows] : by_model) {
      std::vector<std::string> xs;
      std::vector<double> act, exp;
      for (size_t i = 0; i < rows.size(); ++i) {
        xs.push_back(std::to_string(as_int(rows[i][1])) + (i + 1 == rows.size() ? "+" : ""));
        act.push_back(as_double(rows[i][3]));
        exp.push_back(as_double(rows[i][4]));
      }
      const auto model = clv::parse_model(m);
      const std::string title = model ? std::string(clv::model_title(*model)) : m;
      html += report::line_chart(xs, {{label("clv.actual"), act}, {title, exp}},
                                 {label("clv.frequency_chart") + " — " + title, label("clv.calibration_x"),
                                  label("clv.holdout_purchases"), false, 640, 260});
    }
    std::map<std::string, std::vector<std::vector<Value>>> tracks;
    for (const auto& row : ws.read_table("clv_tracking").rows) tracks[as_text(row[0])].push_back(row);
    if (!tracks.empty()) {
      std::vector<std::string> xs;
      std::vector<report::Series> series;
      series.push_back({label("clv.actual"), {}});
      for (const auto& row : tracks.begin()->second) {
        xs.push_back(as_text(row[1]));
        series[0].values.push_back(as_double(row[2]));
      }
      for (const auto& [m, rows] : tracks) {
        const auto model = clv::parse_model(m);
        report::Series s{model ? std::string(clv::model_title(*model)) : m, {}};
        for (const auto& row : rows) s.values.push_back(as_double(row[3]));
        series.push_back(std::move(s));
      }
      html += report::line_chart(xs, series, {label("clv.tracking_chart"), label("clv.week_ending"),
                                              label("clv.cumulative"), false, 720, 280});
    }
  }

  // Customers: the value distribution and the top customers.
  const auto cust = ws.read_table("clv_customers");
  if (!cust.rows.empty()) {
    html += h3(label("clv.value_title"));
    std::vector<double> values;
    double total = 0, alive = 0, expected = 0;
    for (const auto& row : cust.rows) {
      values.push_back(as_double(row[10]));
      total += values.back();
      alive += as_double(row[6]);
      expected += as_double(row[7]);
    }
    const double n = static_cast<double>(cust.rows.size());
    html += p(tr(L, "clv.finding_value", format_money(std::llround(total * std::pow(10.0, currency_digits(currency))), currency),
                 alive / n * 100, expected, as_double(d["horizon"]), unit));
    std::vector<size_t> order(cust.rows.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return values[a] > values[b]; });
    std::vector<std::string> deciles;
    std::vector<double> shares;
    for (int k = 0; k < 10; ++k) {
      const size_t from = order.size() * static_cast<size_t>(k) / 10, to = order.size() * static_cast<size_t>(k + 1) / 10;
      double sum = 0;
      for (size_t i = from; i < to; ++i) sum += values[order[i]];
      deciles.push_back(std::to_string(k + 1));
      shares.push_back(total > 0 ? sum / total : 0);
    }
    html += report::bar_chart(deciles, shares, {label("clv.decile_chart"), label("clv.decile"), label("clv.share"), true, 640, 240});
    report::Table top{"clv_top_customers",
                      {label("clv.customer"), "x", "P(alive)", label("clv.expected"), label("clv.order_value"),
                       label("clv.clv")},
                      {},
                      {false, true, true, true, true, true}};
    for (size_t k = 0; k < std::min<size_t>(20, order.size()); ++k) {
      const auto& row = cust.rows[order[k]];
      top.rows.push_back({as_text(row[0]), std::to_string(as_int(row[1])), fmt::format("{:.3f}", as_double(row[6])),
                          fmt::format("{:.2f}", as_double(row[7])), fmt::format("{:.2f}", as_double(row[8])),
                          fmt::format("{:.2f}", as_double(row[10]))});
    }
    html += report::table_html(top);
    doc.add_table(std::move(top));
    html += note(tr(L, "clv.value_note", as_double(d["discount_rate"]) * 100, as_double(d["margin"]) * 100,
                    as_double(d["horizon_years"])));
    html += "<p class=\"note\"><a href=\"clv_customers.csv\">clv_customers.csv</a></p>";
    report::Table all{"clv_customers", cust.columns, {}, {}};
    for (const auto& row : cust.rows) {
      std::vector<std::string> cells;
      for (const auto& v : row) cells.push_back(as_text(v));
      all.rows.push_back(std::move(cells));
    }
    doc.add_table(std::move(all));
  }
  const auto segs = ws.read_table("clv_segments");
  if (!segs.rows.empty()) {
    report::Table st{"clv_segments",
                     {label("clv.segment"), label("clv.customers"), "P(alive)", label("clv.expected"), label("clv.clv")},
                     {},
                     {false, true, true, true, true}};
    for (const auto& row : segs.rows)
      st.rows.push_back({as_text(row[0]), format_count(as_int(row[1])), fmt::format("{:.3f}", as_double(row[2])),
                         fmt::format("{:.1f}", as_double(row[3])), fmt::format("{:.2f}", as_double(row[4]))});
    html += h3(label("clv.segments_title")) + report::table_html(st);
    doc.add_table(std::move(st));
  }
  doc.add_section({"clv", label("clv.title"), html});
}

}  // namespace

const Analysis& clv_analysis() {
  static const ClvAnalysis a;
  return a;
}

}  // namespace koko
