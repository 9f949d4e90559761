#include <fmt/format.h>

#include <filesystem>

#include "commands.hpp"
#include "koko/analysis/analysis.hpp"
#include "koko/core/error.hpp"
#include "koko/core/money.hpp"
#include "koko/core/progress.hpp"
#include "koko/ingest/ingest.hpp"
#include "koko/segment/glue.hpp"

namespace koko::cli {

namespace fs = std::filesystem;

namespace {

std::string text_of(const store::Value& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&v)) return fmt::format("{}", *d);
  return {};
}
int64_t int_of(const store::Value& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) return *i;
  if (const auto* d = std::get_if<double>(&v)) return static_cast<int64_t>(*d);
  return 0;
}
double double_of(const store::Value& v) {
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  return 0;
}

void run_one(store::Workspace& ws, const Config& cfg, const char* name) {
  const Analysis* a = find_analysis(name);
  if (a == nullptr) throw Error(ErrorCode::internal, fmt::format("no analysis named {}", name));
  store::Workspace::Transaction tx(ws);
  RunContext ctx{ws, cfg};
  a->run(ctx);
  tx.commit();
}

// What the user sees on the terminal: the maps in numbers; the report and the files hold the rest.
void print_results(store::Workspace& ws) {
  const std::string cur = ingest::workspace_currency(ws);
  std::map<std::string, store::Value> s;
  for (const auto& row : ws.read_table("segment_summary").rows) s[text_of(row[0])] = row[1];
  fmt::print("CRM map as of {} ({} customers)\n", text_of(s["as_of"]), format_count(int_of(s["customers"])));
  for (const auto& row : ws.read_table("segment_crm_map").rows)
    fmt::print("  {:<8} {:>10} {:>6.1f} %  net revenue {} ({:.1f} %)\n", text_of(row[0]), format_count(int_of(row[1])),
               double_of(row[2]) * 100, format_money(int_of(row[3]), cur), double_of(row[4]) * 100);
  std::map<std::pair<std::string, std::string>, int64_t> moved;
  std::map<std::string, int64_t> from_total;
  for (const auto& row : ws.read_table("segment_transitions").rows) {
    moved[{text_of(row[0]), text_of(row[1])}] = int_of(row[2]);
    from_total[text_of(row[0])] += int_of(row[2]);
  }
  fmt::print("from {} to {}: loyal -> lapsed {} of {}, general -> loyal {} of {}\n", text_of(s["compare_from"]),
             text_of(s["compare_to"]), format_count(moved[{"loyal", "lapsed"}]), format_count(from_total["loyal"]),
             format_count(moved[{"general", "loyal"}]), format_count(from_total["general"]));
  fmt::print("core customers: {} (top {:.0f} % by core score)\n", format_count(int_of(s["core_customers"])),
             double_of(s["core_top_share"]) * 100);
  for (const auto& row : ws.read_table("segment_validation").rows)
    fmt::print("holdout after {}: top {} capture {:.1f} % of net revenue by core score, {:.1f} % by plain RFM\n",
               text_of(row[0]), format_count(int_of(row[3])), double_of(row[5]) * 100, double_of(row[6]) * 100);
  const auto n1 = ws.read_table("segment_n1");
  for (const auto& row : n1.rows)
    if (text_of(row[1]) == "pick") fmt::print("N1 {}: customer {}\n", text_of(row[0]), text_of(row[6]));
}

// The market map of the latest wave, when a survey was analysed.
void print_market(store::Workspace& ws) {
  if (!ws.has_table("market_summary")) return;
  std::map<std::string, store::Value> m;
  for (const auto& row : ws.read_table("market_summary").rows) m[text_of(row[0])] = row[1];
  const std::string wave = text_of(m["latest_wave"]);
  fmt::print("market map, wave {} ({} respondents in {} waves):\n", wave, format_count(int_of(m["respondents"])),
             int_of(m["waves"]));
  for (const auto& row : ws.read_table("market_5seg").rows)
    if (text_of(row[0]) == wave)
      fmt::print("  {:<16} {:>6.1f} %  (95 % interval {:.1f}-{:.1f} %)\n", text_of(row[1]), double_of(row[4]) * 100,
                 double_of(row[5]) * 100, double_of(row[6]) * 100);
  if (int_of(m["linked"]) > 0)
    fmt::print("consistency: {:.0f} % of {} linked respondents agree with their orders\n",
               100.0 * double_of(m["agree"]) / double_of(m["linked"]), format_count(int_of(m["linked"])));
}

}  // namespace

void add_segment(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand(
      "segment",
      "CRM map (loyal / general / lapsed), 9seg, transitions, core customers and N1 picks; the market map "
      "when a survey is imported. Writes per-segment lists and interview guides to --out");
  static std::string as_of, population, validate, out = "segments", lang;
  static std::vector<std::string> compare;
  cmd->add_option("--as-of", as_of, "Date of the map, YYYY-MM-DD (default: the last order day)");
  cmd->add_option("--compare", compare, "Transitions between two dates: --compare FROM TO")->expected(2);
  cmd->add_option("--population", population, "Size of the surveyed market, to project the market map's shares");
  cmd->add_option("--validate", validate,
                  "Check the core score against plain RFM: calibration up to this date, holdout after it");
  cmd->add_option("--out,-o", out, "Folder for the customer lists and N1 guides (default ./segments)");
  cmd->add_option("--lang", lang, "Language of reasons and guides: en or ja (default: from the locale)");
  cmd->footer(
      "Examples:\n  koko segment\n  koko segment --as-of 1997-12-31 --compare 1997-09-30 1997-12-31\n"
      "  koko segment --validate 1997-09-30 --out cdnow-segments --lang ja\n"
      "  koko import survey survey.csv && koko segment --population 1200000\n"
      "Settings (koko.toml, section [segment]): see docs/segments.md");
  cmd->callback([&g] {
    g.run = [&g] {
      const Lang L = lang.empty() ? default_lang() : parse_lang(lang);
      auto ws = store::Workspace::open(g.workspace, false);
      const fs::path cfg_file = fs::path(g.workspace).parent_path() / "koko.toml";
      Config cfg = fs::exists(cfg_file) ? Config::load(cfg_file) : Config();
      if (!as_of.empty()) cfg.set("segment.as_of", as_of);
      if (compare.size() == 2) {
        cfg.set("segment.compare.from", compare[0]);
        cfg.set("segment.compare.to", compare[1]);
      }
      if (!population.empty()) cfg.set("segment.market.population", population);
      if (!validate.empty()) cfg.set("segment.validation.calibration_end", validate);
      if (ws.columnar_rows("orders") == 0 && ws.columnar_rows("survey") == 0)
        throw Error(ErrorCode::analysis, "the workspace has no orders and no survey", g.workspace,
                    "import orders (koko import orders FILE) or a survey (koko import survey FILE) first");
      if (ws.columnar_rows("survey") > 0) run_one(ws, cfg, "market");
      if (ws.columnar_rows("orders") == 0) {
        print_market(ws);
        info("no orders: only the market map was made; the report shows it (koko report)");
        return 0;
      }
      run_one(ws, cfg, "segment");
      print_results(ws);
      print_market(ws);
      for (const auto& f : segment::write_exports(ws, L, out)) info(fmt::format("wrote {}", f.string()));
      return 0;
    };
  });
}

}  // namespace koko::cli
