// The overview analysis: stored orders → compute_overview → result tables → report section.
#include <fmt/format.h>

#include <cmath>

#include "koko/analysis/analysis.hpp"
#include "koko/core/money.hpp"
#include "koko/ingest/ingest.hpp"
#include "koko/overview/overview.hpp"

namespace koko {

namespace {

using store::ResultTable;
using store::Value;
using store::as_double;
using store::as_int;
using store::as_text;

std::string pct(double fraction) { return fmt::format("{:.1f} %", fraction * 100); }


std::vector<ResultTable> to_tables(const overview::Overview& o) {
  ResultTable summary{"overview_summary", {"metric", "value"}, {}};
  auto add = [&](const char* k, Value v) { summary.rows.push_back({std::string(k), std::move(v)}); };
  add("customers", o.customers);
  add("orders", o.orders);
  add("returns", o.returns);
  add("guest_orders", o.guest_orders);
  add("gross_revenue", o.gross_revenue);
  add("returned_amount", o.returned_amount);
  add("net_revenue", o.net_revenue);
  add("first_date", format_date(o.first_day));
  add("last_date", format_date(o.last_day));
  add("repeat_customers", o.repeat_customers);
  add("repeat_rate", o.repeat_rate);
  add("second_purchasers", o.second_purchasers);
  add("median_days_to_second", o.median_days_to_second);

  ResultTable second{"overview_second_purchase", {"window_days", "eligible", "converted", "rate"}, {}};
  for (const auto& s : o.second_purchase)
    second.rows.push_back({int64_t{s.window_days}, s.eligible, s.converted, s.rate});

  ResultTable months{"overview_monthly",
                     {"month", "orders", "returns", "net_revenue", "new_customers", "active_customers"},
                     {}};
  for (const auto& m : o.months)
    months.rows.push_back(
        {format_month(m.month), m.orders, m.returns, m.net_revenue, m.new_customers, m.active_customers});

  ResultTable cohorts{"overview_cohorts", {"cohort", "customers", "months_since_first", "active", "rate", "note"}, {}};
  for (size_t c = 0; c < o.cohorts.cohort_month.size(); ++c) {
    const auto size = o.cohorts.size[c];
    for (size_t k = 0; k < o.cohorts.active[c].size(); ++k) {
      const auto a = o.cohorts.active[c][k];
      cohorts.rows.push_back({format_month(o.cohorts.cohort_month[c]), size, static_cast<int64_t>(k), a,
                              size ? static_cast<double>(a) / static_cast<double>(size) : 0.0,
                              std::string(c == 0 && o.cohorts.first_left_censored ? "left-censored" : "")});
    }
  }

  ResultTable conc{"overview_concentration", {"top_share", "customers", "revenue_share"}, {}};
  for (const auto& c : o.concentration) conc.rows.push_back({c.top_share, c.customers, c.revenue_share});

  ResultTable lorenz{"overview_lorenz", {"customer_share", "revenue_share"}, {}};
  for (const auto& p : o.lorenz) lorenz.rows.push_back({p.customer_share, p.revenue_share});
  return {summary, second, months, cohorts, conc, lorenz};
}

class OverviewAnalysis final : public Analysis {
 public:
  [[nodiscard]] std::string_view name() const override { return "overview"; }
  [[nodiscard]] std::vector<std::string> inputs() const override { return {"orders"}; }
  [[nodiscard]] std::vector<std::string> tables() const override {
    return {"overview_summary", "overview_second_purchase", "overview_monthly",
            "overview_cohorts", "overview_concentration",   "overview_lorenz"};
  }

  void run(RunContext& ctx) const override {
    const auto orders = ingest::load_orders(ctx.ws);
    const auto n_customers = static_cast<uint32_t>(ctx.ws.columnar_rows("customer_ids"));
    overview::OverviewConfig cfg;
    cfg.windows = ctx.config.get_ints("overview.second_purchase_windows", cfg.windows);
    cfg.top_shares = ctx.config.get_doubles("overview.top_shares", cfg.top_shares);
    const auto o = overview::compute_overview({orders.customer, orders.day, orders.amount}, n_customers, cfg);
    ctx.ws.set_meta("data_as_of", format_date(o.last_day));
    for (const auto& t : to_tables(o)) ctx.ws.write_table(t);
  }

  void report(store::Workspace& ws, const Config& config, report::Document& doc) const override {
    const Lang L = doc.lang();
    const std::string cur = ingest::workspace_currency(ws);
    auto money = [&](int64_t v) { return format_money(v, cur); };
    auto label = [&](const char* key) { return std::string(msg(L, key)); };
    auto p = [](const std::string& s) { return "<p class=\"finding\">" + report::escape_html(s) + "</p>"; };
    auto h3 = [](const std::string& s) { return "<h3>" + report::escape_html(s) + "</h3>"; };

    std::map<std::string, Value> m;
    for (const auto& row : ws.read_table("overview_summary").rows) m[as_text(row[0])] = row[1];
    const int64_t customers = as_int(m["customers"]);

    std::string html = "<p>" + report::escape_html(label("overview.intro")) + "</p>";

    // Totals.
    html += p(tr(L, "overview.finding_totals", format_count(customers), format_count(as_int(m["orders"])),
                 as_text(m["first_date"]), as_text(m["last_date"]), money(as_int(m["net_revenue"]))));
    report::Table totals{"overview_totals", {label("overview.metric"), label("overview.value")}, {}, {false, true}};
    totals.rows = {
        {label("overview.customers"), format_count(customers)},
        {label("overview.orders"), format_count(as_int(m["orders"]))},
        {label("overview.returns"), format_count(as_int(m["returns"]))},
        {label("overview.guest_orders"), format_count(as_int(m["guest_orders"]))},
        {label("overview.gross_revenue"), money(as_int(m["gross_revenue"]))},
        {label("overview.returned_amount"), money(as_int(m["returned_amount"]))},
        {label("overview.net_revenue"), money(as_int(m["net_revenue"]))},
        {label("overview.date_range"), as_text(m["first_date"]) + " – " + as_text(m["last_date"])},
    };
    html += report::table_html(totals);
    doc.add_table(std::move(totals));

    // Repeat rate and second purchase.
    html += h3(label("overview.repeat_title"));
    html += p(tr(L, "overview.finding_repeat", as_double(m["repeat_rate"]) * 100,
                 format_count(as_int(m["repeat_customers"])), format_count(customers)));
    html += h3(label("overview.second_title"));
    report::Table second{"overview_second_purchase",
                         {label("overview.window_days"), label("overview.eligible"), label("overview.converted"),
                          label("overview.rate")},
                         {},
                         {true, true, true, true}};
    std::vector<std::string> bar_labels;
    std::vector<double> bar_values;
    for (const auto& row : ws.read_table("overview_second_purchase").rows) {
      const int64_t w = as_int(row[0]);
      const int64_t eligible = as_int(row[1]);
      const double rate = as_double(row[3]);
      second.rows.push_back({std::to_string(w), format_count(eligible), format_count(as_int(row[2])), pct(rate)});
      if (eligible > 0) html += p(tr(L, "overview.finding_second", rate * 100, w));
      bar_labels.push_back(fmt::format("{}", w));
      bar_values.push_back(rate);
    }
    if (as_int(m["second_purchasers"]) > 0)
      html += p(tr(L, "overview.finding_median_second", as_double(m["median_days_to_second"])));
    html += report::bar_chart(bar_labels, bar_values,
                              {label("overview.second_title"), label("overview.window_days"), label("overview.rate"),
                               true, 640, 240});
    html += report::table_html(second);
    doc.add_table(std::move(second));

    // Monthly.
    html += h3(label("overview.monthly_title"));
    report::Table monthly{"overview_monthly",
                          {label("overview.month"), label("overview.orders"), label("overview.returns"),
                           label("overview.net_revenue"), label("overview.new_customers"),
                           label("overview.active_customers")},
                          {},
                          {false, true, true, true, true, true}};
    std::vector<std::string> month_labels;
    std::vector<double> month_orders, month_revenue;
    std::string busiest;
    int64_t busiest_orders = -1;
    for (const auto& row : ws.read_table("overview_monthly").rows) {
      const std::string month = as_text(row[0]);
      monthly.rows.push_back({month, format_count(as_int(row[1])), format_count(as_int(row[2])),
                              money(as_int(row[3])), format_count(as_int(row[4])), format_count(as_int(row[5]))});
      month_labels.push_back(month);
      month_orders.push_back(static_cast<double>(as_int(row[1])));
      month_revenue.push_back(static_cast<double>(as_int(row[3])) / std::pow(10.0, currency_digits(cur)));
      if (as_int(row[1]) > busiest_orders) {
        busiest_orders = as_int(row[1]);
        busiest = month;
      }
    }
    html += p(tr(L, "overview.finding_monthly", busiest, format_count(busiest_orders)));
    html += report::line_chart(month_labels, {{label("overview.orders"), month_orders}},
                               {label("overview.monthly_title"), label("overview.month"), label("overview.orders"),
                                false, 640, 260});
    html += report::bar_chart(month_labels, month_revenue,
                              {label("overview.net_revenue") + " (" + cur + ")", label("overview.month"),
                               label("overview.net_revenue"), false, 640, 260});
    html += report::table_html(monthly);
    doc.add_table(std::move(monthly));

    // Cohorts.
    html += h3(label("overview.cohort_title"));
    const auto cohort_rows = ws.read_table("overview_cohorts").rows;
    std::vector<std::string> cohort_labels;
    std::vector<std::vector<std::optional<double>>> cells;
    size_t max_k = 0;
    double month1_sum = 0;
    int month1_n = 0;
    for (const auto& row : cohort_rows) {
      const std::string c = as_text(row[0]);
      if (cohort_labels.empty() || cohort_labels.back() != c) {
        cohort_labels.push_back(c);
        cells.emplace_back();
      }
      const auto k = static_cast<size_t>(as_int(row[2]));
      cells.back().resize(k + 1);
      cells.back()[k] = as_double(row[4]);
      max_k = std::max(max_k, k);
      if (k == 1 && cohort_labels.size() > 1) {  // the left-censored first cohort is left out of the average
        month1_sum += as_double(row[4]);
        ++month1_n;
      }
    }
    for (auto& r : cells) r.resize(max_k + 1);
    if (month1_n > 0) html += p(tr(L, "overview.finding_cohort", month1_sum / month1_n * 100));
    html += "<p class=\"note\">" + report::escape_html(label("overview.censored_note")) + "</p>";
    std::vector<std::string> k_labels;
    for (size_t k = 0; k <= max_k; ++k) k_labels.push_back(std::to_string(k));
    html += report::heatmap(cohort_labels, k_labels, cells,
                            {label("overview.cohort_title"), label("overview.months_since"), label("overview.cohort"),
                             true, 720, std::max(200, 28 * static_cast<int>(cohort_labels.size()) + 80)});
    report::Table cohort_table{"overview_cohorts",
                               {label("overview.cohort"), label("overview.cohort_size"), label("overview.months_since"),
                                label("overview.active_customers"), label("overview.rate")},
                               {},
                               {false, true, true, true, true}};
    for (const auto& row : cohort_rows)
      cohort_table.rows.push_back({as_text(row[0]) + (as_text(row[5]).empty() ? "" : " *"),
                                   format_count(as_int(row[1])), std::to_string(as_int(row[2])),
                                   format_count(as_int(row[3])), pct(as_double(row[4]))});
    doc.add_table(std::move(cohort_table));
    html += "<p class=\"note\"><a href=\"overview_cohorts.csv\">overview_cohorts.csv</a></p>";

    // Concentration.
    html += h3(label("overview.concentration_title"));
    report::Table conc{"overview_concentration",
                       {label("overview.top_share"), label("overview.customers"), label("overview.revenue_share")},
                       {},
                       {true, true, true}};
    for (const auto& row : ws.read_table("overview_concentration").rows) {
      conc.rows.push_back({pct(as_double(row[0])), format_count(as_int(row[1])), pct(as_double(row[2]))});
      html += p(tr(L, "overview.finding_concentration", as_double(row[0]) * 100, as_double(row[2]) * 100));
    }
    std::vector<std::pair<double, double>> lorenz;
    for (const auto& row : ws.read_table("overview_lorenz").rows)
      lorenz.emplace_back(as_double(row[0]), as_double(row[1]));
    html += report::lorenz_chart(lorenz, {label("overview.lorenz_title"), label("overview.customer_share"),
                                          label("overview.revenue_share"), true, 360, 360});
    html += report::table_html(conc);
    doc.add_table(std::move(conc));
    static_cast<void>(config);

    doc.add_section({"overview", label("overview.title"), html});
  }
};

}  // namespace

const Analysis& overview_analysis() {
  static const OverviewAnalysis a;
  return a;
}

}  // namespace koko
