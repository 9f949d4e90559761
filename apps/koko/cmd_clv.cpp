// koko clv: fit the repeat-buying models, predict per customer (results in the workspace, CSV with --out), and fit
// the discrete (BG/BB) and subscription (sBG) models from summarised files.
#include <fmt/format.h>

#include <filesystem>
#include <fstream>

#include "commands.hpp"
#include "koko/analysis/analysis.hpp"
#include "koko/clv/clv.hpp"
#include "koko/core/error.hpp"
#include "koko/core/progress.hpp"
#include "koko/io/csv.hpp"

namespace koko::cli {

namespace fs = std::filesystem;

namespace {

struct ClvOptions {
  std::vector<std::string> models;
  std::string model, unit, calibration_end, holdout_end, summary_file, out;
  double horizon = 0, discount = -1, margin = -1, horizon_years = 0;
  std::string file;
  int periods = 10;
};

Config load_config(const std::string& workspace) {
  const fs::path cfg_file = fs::path(workspace).parent_path() / "koko.toml";
  return fs::exists(cfg_file) ? Config::load(cfg_file) : Config();
}

Config clv_config(const GlobalOptions& g, const ClvOptions& o) {
  Config cfg = load_config(g.workspace);
  if (!o.models.empty()) cfg.set("clv.models", fmt::format("{}", fmt::join(o.models, ",")));
  if (!o.model.empty()) cfg.set("clv.model", o.model);
  else if (o.models.size() == 1) cfg.set("clv.model", o.models.front());
  if (!o.unit.empty()) cfg.set("clv.unit", o.unit);
  if (!o.calibration_end.empty()) cfg.set("clv.calibration_end", o.calibration_end);
  if (!o.holdout_end.empty()) cfg.set("clv.holdout_end", o.holdout_end);
  if (!o.summary_file.empty()) cfg.set("clv.summary_file", o.summary_file);
  if (o.horizon > 0) cfg.set("clv.horizon", fmt::format("{}", o.horizon));
  if (o.discount >= 0) cfg.set("clv.discount_rate", fmt::format("{}", o.discount));
  if (o.margin >= 0) cfg.set("clv.margin", fmt::format("{}", o.margin));
  if (o.horizon_years > 0) cfg.set("clv.horizon_years", fmt::format("{}", o.horizon_years));
  return cfg;
}

std::string cell(const store::Value& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) return "";
        else if constexpr (std::is_same_v<T, std::string>) return x;
        else if constexpr (std::is_same_v<T, double>) return fmt::format("{:.6g}", x);
        else return std::to_string(x);
      },
      v);
}

std::string csv_cell(const store::Value& v) {
  std::string s = std::holds_alternative<double>(v) ? fmt::format("{}", std::get<double>(v)) : cell(v);
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

void run_clv(store::Workspace& ws, const Config& cfg) {
  const Analysis* a = find_analysis("clv");
  if (a == nullptr) throw Error(ErrorCode::internal, "the clv analysis is not registered");
  if (cfg.peek("clv.summary_file").value_or("").empty() && !a->missing_input(ws).empty())
    throw Error(ErrorCode::not_found, "the workspace has no orders and no CLV summary", ws.path().string(),
                "import orders (koko import orders FILE) or a summary (koko import clv-summary FILE --unit week), "
                "or fit a file directly: koko clv fit --summary FILE");
  store::Workspace::Transaction tx(ws);
  RunContext ctx{ws, cfg};
  a->run(ctx);
  tx.commit();
}

void print_fits(store::Workspace& ws) {
  std::map<std::string, std::string> params;
  for (const auto& row : ws.read_table("clv_parameters").rows)
    params[cell(row[0])] += fmt::format("  {} = {} (se {})", cell(row[1]), cell(row[2]), cell(row[3]));
  for (const auto& row : ws.read_table("clv_data").rows)
    if (cell(row[0]) == "error") fmt::print("clv: {}\n", cell(row[1]));
  for (const auto& row : ws.read_table("clv_models").rows) {
    const std::string m = cell(row[0]);
    fmt::print("{:<12} LL {:>12}{}\n", m, cell(row[1]), params[m]);
    if (cell(row[3]) == "1") fmt::print("{:<12} → predicts with the NBD:{}\n", "", params[m + ">nbd"]);
    fmt::print("{:<12} {}\n", "", cell(row[8]));
  }
  for (const auto& row : ws.read_table("clv_validation").rows)
    fmt::print("holdout {:<10} expected {:.1f} vs actual {:.0f} ({:+.1f}%), MAE {:.3f}\n", cell(row[0]),
               std::get<double>(row[3]), std::get<double>(row[2]), std::get<double>(row[4]), std::get<double>(row[1]));
}

void write_csv(store::Workspace& ws, const std::string& table, const std::string& path) {
  const auto t = ws.read_table(table);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw Error(ErrorCode::usage, "cannot write the file", path, "choose a writable path");
    for (size_t i = 0; i < t.columns.size(); ++i) f << (i ? "," : "") << t.columns[i];
    f << '\n';
    for (const auto& row : t.rows) {
      for (size_t i = 0; i < row.size(); ++i) f << (i ? "," : "") << csv_cell(row[i]);
      f << '\n';
    }
    if (!f.flush()) throw Error(ErrorCode::usage, "writing failed (disk full?)", path, "");
  }
  fs::rename(tmp, path);
  info(fmt::format("wrote {}", path));
}

std::vector<double> read_column(const std::string& path, std::initializer_list<const char*> names) {
  io::CsvReader r(path);
  int col = -1;
  for (size_t i = 0; i < r.header().size() && col < 0; ++i)
    for (const char* n : names)
      if (r.header()[i] == n) col = static_cast<int>(i);
  if (col < 0) throw Error(ErrorCode::input, fmt::format("no column {}", *names.begin()), path, "");
  std::vector<double> out;
  io::Record rec;
  while (r.next(rec)) out.push_back(std::stod(std::string(rec.fields.at(static_cast<size_t>(col)))));
  return out;
}

void store_fit(store::Workspace& ws, const std::string& table, const clv::Fit& f) {
  store::ResultTable t{table, {"parameter", "value", "se"}, {}};
  for (const auto& e : f.params) t.rows.push_back({e.name, e.value, e.se});
  t.rows.push_back({std::string("log_likelihood"), f.log_likelihood, 0.0});
  ws.write_table(t);
  fmt::print("{}: LL {:.2f}", clv::model_title(f.model), f.log_likelihood);
  for (const auto& e : f.params) fmt::print("  {} = {:.6g} (se {:.3g})", e.name, e.value, e.se);
  fmt::print("\n  {}\n", f.status);
}

}  // namespace

void add_clv(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("clv", "Customer lifetime value: fit repeat-buying models and predict per customer");
  cmd->require_subcommand(1);
  static ClvOptions o;

  auto common = [](CLI::App* c) {
    c->add_option("--model", o.models, "bgnbd, mbgnbd, pareto-nbd, nbd (repeatable; default the first three)");
    c->add_option("--unit", o.unit, "Time unit: week (default) or day")->check(CLI::IsMember({"week", "day"}));
    c->add_option("--calibration-end", o.calibration_end, "Last day of the calibration period (YYYY-MM-DD); later "
                                                          "orders are the holdout");
    c->add_option("--holdout-end", o.holdout_end, "Last day of the holdout (default: the last order)");
    c->add_option("--summary", o.summary_file, "Fit a summary file (x,t_x,T[,monetary]) instead of the orders");
  };

  auto* fit = cmd->add_subcommand("fit", "Fit the models (results: tables clv_models, clv_parameters, ...)");
  common(fit);
  fit->footer("Examples:\n  koko clv fit --unit week --calibration-end 1997-09-30\n"
              "  koko clv fit --model pareto-nbd --summary cdnow_customers_summary_with_transactions.csv");
  fit->callback([&g] {
    g.run = [&g] {
      auto ws = store::Workspace::open(g.workspace, !o.summary_file.empty());
      run_clv(ws, clv_config(g, o));
      print_fits(ws);
      info("results: koko export clv_parameters | clv_models | clv_customers; koko report");
      return 0;
    };
  });

  auto* predict = cmd->add_subcommand("predict", "Predict per customer: P(alive), purchases, order value, CLV");
  common(predict);
  predict->add_option("--horizon", o.horizon, "Units ahead for expected purchases (default 52 weeks / 365 days)");
  predict->add_option("--discount", o.discount, "Annual discount rate (default 0.10)");
  predict->add_option("--margin", o.margin, "Share of revenue kept (default 1.0)");
  predict->add_option("--years", o.horizon_years, "Years in the discrete-time CLV sum (default 10)");
  predict->add_option("--predict-with", o.model, "The model whose predictions are stored (default pareto-nbd)");
  predict->add_option("--out,-o", o.out, "Also write the per-customer predictions as CSV");
  predict->footer("Example:\n  koko clv predict --horizon 52 --margin 0.3 --out clv.csv");
  predict->callback([&g] {
    g.run = [&g] {
      auto ws = store::Workspace::open(g.workspace, !o.summary_file.empty());
      run_clv(ws, clv_config(g, o));
      print_fits(ws);
      if (!o.out.empty()) write_csv(ws, "clv_customers", o.out);
      info("per-customer predictions: table clv_customers (koko export clv_customers)");
      return 0;
    };
  });

  auto* bgbb = cmd->add_subcommand("bgbb", "Fit BG/BB to discrete opportunities: FILE with frequency,recency,periods,weights");
  bgbb->add_option("FILE", o.file, "e.g. donations.csv")->required();
  bgbb->callback([&g] {
    g.run = [&g] {
      const auto f = read_column(o.file, {"frequency", "x"}), r = read_column(o.file, {"recency", "t_x"});
      const auto n = read_column(o.file, {"periods", "n"});
      std::vector<double> w;
      try {
        w = read_column(o.file, {"weights", "weight", "count"});
      } catch (const Error&) {
        w.assign(f.size(), 1.0);
      }
      std::vector<clv::DiscreteRow> rows;
      for (size_t i = 0; i < f.size(); ++i)
        rows.push_back({static_cast<int>(f[i]), static_cast<int>(r[i]), static_cast<int>(n[i]), w[i]});
      const auto model = clv::fit_bgbb(rows);
      auto ws = store::Workspace::open(g.workspace, true);
      store_fit(ws, "clv_bgbb", model);
      return 0;
    };
  });

  auto* sbg = cmd->add_subcommand("sbg", "Fit the sBG to a cohort's survival: FILE with a column alive (period 0 first)");
  sbg->add_option("FILE", o.file, "alive per period, the cohort's size first")->required();
  sbg->add_option("--periods", o.periods, "Periods to project (default 10)");
  sbg->add_option("--discount", o.discount, "Discount rate per period for DEL/DERL (default 0.10)");
  sbg->callback([&g] {
    g.run = [&g] {
      const auto alive = read_column(o.file, {"alive", "survivors", "active"});
      const auto model = clv::fit_sbg(alive);
      const double d = o.discount >= 0 ? o.discount : 0.10;
      const auto proj = clv::project_retention(model, o.periods, d);
      auto ws = store::Workspace::open(g.workspace, true);
      store_fit(ws, "clv_sbg", model);
      store::ResultTable t{"clv_sbg_projection", {"period", "survival", "retention", "derl"}, {}};
      for (int k = 0; k <= o.periods; ++k)
        t.rows.push_back({int64_t{k}, proj.survival[static_cast<size_t>(k)],
                          k == 0 ? 0.0 : proj.retention[static_cast<size_t>(k - 1)], clv::sbg_derl(model, k, d)});
      ws.write_table(t);
      fmt::print("DEL {:.3f} periods; median lifetime {} periods; expected lifetime {}\n", proj.del,
                 proj.median_lifetime,
                 proj.finite_lifetime ? fmt::format("{:.2f}", proj.expected_lifetime) : std::string("infinite (alpha <= 1)"));
      return 0;
    };
  });
}

}  // namespace koko::cli
