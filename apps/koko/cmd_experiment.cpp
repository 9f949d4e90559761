// koko experiment: analyse an A/B test from a file of units (or of per-variant totals), and plan one.
#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "commands.hpp"
#include "koko/analysis/analysis.hpp"
#include "koko/core/error.hpp"
#include "koko/core/progress.hpp"
#include "koko/experiment/results.hpp"

namespace koko::cli {

namespace fs = std::filesystem;

namespace {

struct AnalyzeOptions {
  std::string file, preset, control, variant, unit, timestamp, duplicates, spill_dir, name, tests, hypothesis;
  std::string out, report_dir, lang, sided, correction, weights, beta_prior;
  std::vector<std::string> metrics, pre;
  double alpha = -1, prior_mean = 0, prior_sd = -1, tuning = -1, memory_mb = 256;
  bool no_beta = false, no_workspace = false, no_pre = false;
};

struct PlanOptions {
  double baseline = -1, sd = -1, mde = 0, alpha = 0.05, power = 0.8, units = 0;
  int variants = 2;
  bool absolute = false;
  std::string kind, lang;
};

Config load_config(const std::string& workspace) {
  const fs::path cfg_file = fs::path(workspace).parent_path() / "koko.toml";
  return fs::exists(cfg_file) ? Config::load(cfg_file) : Config();
}

// NAME, NAME:KIND, NAME=COLUMN[:KIND] or NAME=NUMERATOR/DENOMINATOR (a ratio metric).
experiment::MetricColumn parse_metric(const std::string& arg) {
  experiment::MetricColumn m;
  std::string s = arg;
  if (const auto colon = s.rfind(':'); colon != std::string::npos) {
    const std::string kind = s.substr(colon + 1);
    if (kind == "proportion")
      m.kind = experiment::MetricKind::proportion;
    else if (kind == "mean")
      m.kind = experiment::MetricKind::mean;
    else if (kind == "ratio")
      m.kind = experiment::MetricKind::ratio;
    else if (kind != "auto")
      throw Error(ErrorCode::usage, fmt::format("--metric {}: unknown kind '{}'", arg, kind), {},
                  "kinds: proportion, mean, ratio, auto (e.g. --metric revenue:mean)");
    s = s.substr(0, colon);
  }
  const auto eq = s.find('=');
  m.name = s.substr(0, eq);
  const std::string expr = eq == std::string::npos ? m.name : s.substr(eq + 1);
  if (const auto slash = expr.find('/'); slash != std::string::npos) {
    m.column = expr.substr(0, slash);
    m.denominator = expr.substr(slash + 1);
    m.kind = experiment::MetricKind::ratio;
  } else {
    m.column = expr;
  }
  if (m.name.empty() || m.column.empty() || (m.kind == experiment::MetricKind::ratio && m.denominator.empty()))
    throw Error(ErrorCode::usage,
                fmt::format("--metric '{}' is not NAME[=COLUMN or NUMERATOR/DENOMINATOR][:KIND]", arg), {},
                "e.g. --metric converted, --metric revenue:mean, --metric aov=revenue/orders");
  return m;
}

experiment::InputSpec input_spec(const AnalyzeOptions& o) {
  auto spec = o.preset.empty() ? experiment::InputSpec{} : experiment::find_experiment_preset(o.preset);
  if (!o.variant.empty()) spec.variant_column = o.variant;
  if (!o.unit.empty()) spec.unit_column = o.unit;
  if (!o.timestamp.empty()) spec.timestamp_column = o.timestamp;
  if (!o.control.empty()) spec.control = o.control;
  if (!o.duplicates.empty()) spec.duplicates = experiment::parse_duplicate_policy(o.duplicates);
  if (!o.metrics.empty()) {
    spec.metrics.clear();
    for (const auto& m : o.metrics) spec.metrics.push_back(parse_metric(m));
  }
  for (const auto& p : o.pre) {
    const auto eq = p.find('=');
    if (eq == std::string::npos)
      throw Error(ErrorCode::usage, fmt::format("--pre '{}' is not METRIC=COLUMN", p), {},
                  "e.g. --pre revenue=revenue_before");
    const std::string metric = p.substr(0, eq);
    auto it = std::find_if(spec.metrics.begin(), spec.metrics.end(), [&](const auto& m) { return m.name == metric; });
    if (it == spec.metrics.end()) {
      spec.metrics.push_back({metric, metric, {}, {}, std::nullopt});
      it = spec.metrics.end() - 1;
    }
    it->pre = p.substr(eq + 1);
  }
  spec.auto_pre = !o.no_pre;
  if (!(o.memory_mb >= 1))
    throw Error(ErrorCode::usage, "--memory-limit is in MB and at least 1", {}, "e.g. --memory-limit 256");
  spec.memory_limit = static_cast<uint64_t>(o.memory_mb * 1024 * 1024);
  if (!o.spill_dir.empty()) spec.spill_dir = o.spill_dir;
  return spec;
}

experiment::Options options_of(const AnalyzeOptions& o) {
  experiment::Options opts;
  if (o.alpha >= 0) opts["settings.alpha"] = fmt::format("{}", o.alpha);
  if (!o.sided.empty()) opts["settings.sided"] = o.sided;
  if (o.prior_sd >= 0) {
    opts["settings.prior_sd"] = fmt::format("{}", o.prior_sd);
    opts["settings.prior_mean"] = fmt::format("{}", o.prior_mean);
  }
  if (o.tuning >= 0) opts["settings.sequential_tuning"] = fmt::format("{}", o.tuning);
  if (!o.weights.empty()) opts["settings.weights"] = o.weights;
  if (!o.correction.empty()) opts["settings.correction"] = o.correction;
  if (o.no_beta) opts["settings.beta_binomial"] = "false";
  if (!o.beta_prior.empty()) opts["settings.beta_prior"] = o.beta_prior;
  if (!o.tests.empty()) opts["tests"] = o.tests;
  if (!o.hypothesis.empty()) opts["hypothesis"] = o.hypothesis;
  return opts;
}

std::string csv_cell(const store::Value& v) {
  const std::string s = std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>)
          return "";
        else if constexpr (std::is_same_v<T, std::string>)
          return x;
        else if constexpr (std::is_same_v<T, double>)
          return fmt::format("{}", x);
        else
          return std::to_string(x);
      },
      v);
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

void write_csv(const store::ResultTable& t, const std::string& path) {
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

// Stores the experiment, runs the analysis in one transaction, and writes the report (when out is not empty).
void store_and_report(store::Workspace& ws, const Config& cfg, const std::string& name,
                      const experiment::LoadedExperiment& e, const experiment::Options& opts, Lang L,
                      const fs::path& out) {
  const Analysis* a = find_analysis("experiment");
  if (a == nullptr) throw Error(ErrorCode::internal, "the experiment analysis is not registered");
  {
    store::Workspace::Transaction tx(ws);
    experiment::save_experiment(ws, name, e, opts);
    RunContext ctx{ws, cfg};
    a->run(ctx);
    tx.commit();
  }
  if (out.empty()) return;
  RunSummary summary;
  summary.ran = {"experiment"};
  report::write_report(build_report(ws, cfg, L, summary), out);
  info(fmt::format("report: {}", (out / "index.html").string()));
}

int run_analyze(const GlobalOptions& g, const AnalyzeOptions& o, bool workspace_given) {
  const Lang L = o.lang.empty() ? default_lang() : parse_lang(o.lang);
  auto spec = input_spec(o);
  const uint64_t size = fs::is_regular_file(o.file) ? fs::file_size(o.file) : 0;
  Progress progress("reading", size);
  spec.progress = [&](uint64_t done, uint64_t, uint64_t rows) { progress.update(done, rows); };
  const auto loaded = experiment::load_experiment(o.file, spec);
  progress.finish();
  const std::string name = o.name.empty() ? fs::path(o.file).stem().string() : o.name;
  const auto opts = options_of(o);
  const bool use_ws = !o.no_workspace && (workspace_given || fs::exists(g.workspace));
  const Config cfg = load_config(use_ws ? g.workspace : std::string("."));
  const auto settings = experiment::settings_from(cfg, opts);
  const auto result = experiment::analyze(loaded.data, settings);
  fmt::print("{}", experiment::text_summary(name, loaded, result, settings, L));
  std::fflush(stdout);
  if (!o.out.empty()) write_csv(experiment::result_tables(name, loaded, result, settings, opts)[0], o.out);

  if (use_ws) {
    auto ws = store::Workspace::open(g.workspace, true);
    store_and_report(ws, cfg, name, loaded, opts, L,
                     o.report_dir.empty() ? fs::path("report") : fs::path(o.report_dir));
    info(
        fmt::format("workspace: {} (tables experiment_results, experiment_variants, experiment_health, "
                    "experiment_info)",
                    g.workspace));
  } else if (!o.report_dir.empty()) {
    // No workspace: build the report through a temporary one, removed afterwards.
    const fs::path tmp = fs::temp_directory_path() / fmt::format("koko-experiment-{}.db", getpid());
    struct Cleanup {
      fs::path p;
      ~Cleanup() {
        std::error_code ec;
        for (const char* suffix : {"", "-wal", "-shm", "-journal"}) fs::remove(p.string() + suffix, ec);
      }
    } cleanup{tmp};
    auto ws = store::Workspace::open(tmp, true);
    store_and_report(ws, cfg, name, loaded, opts, L, o.report_dir);
  }
  return 0;
}

std::string plan_effect(double v, experiment::Scale s, experiment::MetricKind k) {
  if (s == experiment::Scale::relative) return fmt::format("{:.2f}%", v * 100);
  return k == experiment::MetricKind::proportion ? fmt::format("{:.3f} pp", v * 100) : fmt::format("{:.4g}", v);
}

std::string count(double v) {
  std::string s = fmt::format("{:.0f}", v);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<size_t>(i), ",");
  return s;
}

int run_plan(const PlanOptions& o) {
  const Lang L = o.lang.empty() ? default_lang() : parse_lang(o.lang);
  experiment::PlanInput in;
  in.kind = o.kind == "mean" || (o.kind.empty() && o.sd > 0) ? experiment::MetricKind::mean
                                                             : experiment::MetricKind::proportion;
  in.mean = o.baseline;
  in.sd = o.sd;
  in.alpha = o.alpha;
  in.power = o.power;
  in.scale = o.absolute ? experiment::Scale::absolute : experiment::Scale::relative;
  if (o.mde == 0 && o.units <= 0)
    throw Error(ErrorCode::usage, "nothing to plan", {},
                "give --mde (the effect to detect: sample size) and/or --units (per variant: power and MDE)");
  if (o.variants < 2) throw Error(ErrorCode::usage, "an experiment has at least 2 variants", {}, "--variants 2");
  const std::string power = fmt::format("{:.0f}%", o.power * 100);
  if (o.mde != 0) {
    const auto n = experiment::sample_size(in, o.mde);
    fmt::print("{}\n", tr(L, "experiment.plan_sample", power, plan_effect(o.mde, in.scale, in.kind),
                          count(static_cast<double>(n)), count(static_cast<double>(n) * o.variants), o.variants));
    if (o.units > 0)
      fmt::print("{}\n", tr(L, "experiment.plan_power", count(o.units), plan_effect(o.mde, in.scale, in.kind),
                            fmt::format("{:.1f}%", experiment::power_at(in, o.mde, o.units) * 100)));
  }
  if (o.units > 0) {
    auto rel = in, abs = in;
    rel.scale = experiment::Scale::relative;
    abs.scale = experiment::Scale::absolute;
    const auto mde_rel = o.baseline > 0 ? experiment::minimum_detectable_effect(rel, o.units) : std::nullopt;
    const auto mde_abs = experiment::minimum_detectable_effect(abs, o.units);
    if (!mde_rel && o.baseline > 0) {
      fmt::print("{}\n", tr(L, "experiment.plan_no_mde", count(o.units), power));
    } else {
      fmt::print("{}\n", tr(L, "experiment.plan_mde", count(o.units), power,
                            mde_rel ? plan_effect(*mde_rel, rel.scale, in.kind) : std::string("–"),
                            plan_effect(mde_abs.value_or(0), abs.scale, in.kind)));
    }
  }
  return 0;
}

}  // namespace

void add_experiment(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("experiment", "A/B tests: analyse one from a file, or plan its sample size");
  cmd->require_subcommand(1);

  static AnalyzeOptions a;
  auto* an = cmd->add_subcommand(
      "analyze",
      "Analyse an A/B test: per-unit rows (variant, unit ID, metrics, optional pre-period and timestamp) or "
      "per-variant totals");
  an->add_option("FILE", a.file, "CSV/TSV/JSONL (also .gz) of units, or of per-variant totals")->required();
  an->add_option("--preset", a.preset, "Experiment preset: a name (abtest) or a .toml file");
  an->add_option("--control", a.control, "The control variant (default: one named control/baseline/A, else the first)");
  an->add_option("--metric", a.metrics,
                 "Metric: NAME, NAME:KIND (proportion|mean), NAME=COLUMN or NAME=NUMERATOR/DENOMINATOR (ratio); "
                 "repeatable; default: every numeric column");
  an->add_option("--pre", a.pre, "Pre-period column for CUPED: METRIC=COLUMN (default: METRIC_pre when present)");
  an->add_flag("--no-pre", a.no_pre, "Do not pair metrics with METRIC_pre columns");
  an->add_option("--variant", a.variant, "Variant column (default: variant, group, arm, …)");
  an->add_option("--unit", a.unit, "Unit ID column (default: unit_id, user_id, customer_id, …)");
  an->add_option("--timestamp", a.timestamp, "Timestamp column, for the too-early check (default: timestamp, date, …)");
  an->add_option("--duplicates", a.duplicates, "A unit seen twice: stop (default, names them), first, exclude")
      ->check(CLI::IsMember({"stop", "first", "exclude"}));
  an->add_option("--memory-limit", a.memory_mb, "MB for duplicate detection; beyond it, spill to disk (default 256)");
  an->add_option("--spill-dir", a.spill_dir, "Folder for spill files (default: the temp folder)");
  an->add_option("--alpha", a.alpha, "Significance level (default 0.05, or experiment.alpha in koko.toml)");
  an->add_option("--sided", a.sided, "two (default), greater (variant better) or less")
      ->check(CLI::IsMember({"two", "greater", "less"}));
  an->add_option("--correction", a.correction, "Across metrics × variants: holm (default), bh or none")
      ->check(CLI::IsMember({"holm", "bh", "none"}));
  an->add_option("--prior-sd", a.prior_sd, "Proper normal prior on the lift: its standard deviation (default: flat)");
  an->add_option("--prior-mean", a.prior_mean, "Its mean (default 0)");
  an->add_flag("--no-beta", a.no_beta, "Skip the exact Beta-binomial model for proportions");
  an->add_option("--beta-prior", a.beta_prior, "Beta prior a,b for proportions (default 1,1)");
  an->add_option("--tuning", a.tuning, "Sequential tuning N*, total units (default 5000)");
  an->add_option("--weights", a.weights, "Planned traffic per variant, control first (e.g. 50,50; default equal)");
  an->add_option("--name", a.name, "Experiment name (default: the file name); a rerun replaces it");
  an->add_option("--tests", a.tests, "What it tests: KIND:ID, e.g. message:spring-mail-b or idea:42");
  an->add_option("--hypothesis", a.hypothesis, "The hypothesis, in a sentence");
  an->add_option("--out,-o", a.out, "Write the full results (both scales, every statistic) as CSV");
  an->add_option("--report", a.report_dir, "Report folder (default report/ when a workspace is used)");
  an->add_flag("--no-workspace", a.no_workspace, "Do not store the results even if koko.db exists");
  an->add_option("--lang", a.lang, "en or ja (default: from the locale)");
  an->footer(
      "Examples:\n"
      "  koko experiment analyze ab_data.csv --preset abtest\n"
      "  koko experiment analyze units.csv --metric converted --metric revenue:mean --pre revenue=revenue_before\n"
      "  koko -w shop.db experiment analyze test.csv --tests message:welcome-b --out results.csv\n"
      "Results go to the workspace when --workspace is given or koko.db exists (and to report/).");
  an->callback([&g, an] {
    const bool given = an->get_parent()->get_parent()->get_option("--workspace")->count() > 0;
    g.run = [&g, given] { return run_analyze(g, a, given); };
  });

  static PlanOptions p;
  auto* pl = cmd->add_subcommand("plan", "Sample size, power and minimum detectable effect for a two-sided test");
  pl->add_option("--baseline", p.baseline, "Control conversion rate (0–1) or mean")->required();
  pl->add_option("--sd", p.sd, "Standard deviation per unit (a mean metric)");
  pl->add_option("--kind", p.kind, "proportion or mean (default: mean when --sd is given)")
      ->check(CLI::IsMember({"proportion", "mean"}));
  pl->add_option("--mde", p.mde, "Effect to detect: relative lift (0.05 = +5%), or absolute with --absolute");
  pl->add_flag("--absolute", p.absolute, "--mde is an absolute difference");
  pl->add_option("--units", p.units, "Units per variant you expect: gives the power and the MDE");
  pl->add_option("--alpha", p.alpha, "Significance level (default 0.05)");
  pl->add_option("--power", p.power, "Target power (default 0.8)");
  pl->add_option("--variants", p.variants, "Variants including the control (default 2)");
  pl->add_option("--lang", p.lang, "en or ja (default: from the locale)");
  pl->footer(
      "Examples:\n  koko experiment plan --baseline 0.12 --mde 0.05\n"
      "  koko experiment plan --baseline 48 --sd 55 --units 20000");
  pl->callback([&g] { g.run = [] { return run_plan(p); }; });
}

}  // namespace koko::cli
