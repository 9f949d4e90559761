#include <fmt/format.h>

#include "commands.hpp"
#include "koko/core/error.hpp"
#include "koko/core/progress.hpp"
#include "koko/core/money.hpp"
#include "koko/core/output_file.hpp"
#include "koko/ingest/features_file.hpp"
#include "koko/ingest/ingest.hpp"
#include "koko/store/workspace.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>

namespace koko::cli {

// "1.5G", "800M", "2048" (MiB when no unit).
size_t parse_memory(const std::string& s) {
  double v = 0;
  size_t pos = 0;
  try {
    v = std::stod(s, &pos);
  } catch (const std::exception&) {
    pos = 0;
  }
  const std::string unit = s.substr(pos);
  double mult = 1 << 20;
  if (unit == "G" || unit == "GB" || unit == "g") mult = 1 << 30;
  else if (unit == "M" || unit == "MB" || unit == "m" || unit.empty()) mult = 1 << 20;
  else pos = 0;
  if (pos == 0 || v <= 0)
    throw Error(ErrorCode::usage, fmt::format("'{}' is not a memory size", s), {}, "write e.g. 1.5G or 800M");
  return static_cast<size_t>(v * mult);
}

namespace {
// Features of the stored orders as of a date: the chunks are re-read, nothing is re-imported.
int from_workspace(const std::string& workspace, std::optional<Day> as_of, size_t memory, const std::string& out) {
  auto ws = store::Workspace::open(workspace, false);
  if (ws.columnar_rows("orders") == 0)
    throw Error(ErrorCode::not_found, "the workspace has no orders", workspace, "import orders first, or pass FILE");
  Day used = 0;
  const auto t0 = std::chrono::steady_clock::now();
  const auto aggs = ingest::features_from_store(ws, as_of, memory, used);
  detail(fmt::format("features of {} customers as of {} computed from the stored orders in {:.2f} s", aggs.size(),
                     format_date(used), std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()));
  const auto ids = ingest::load_customer_ids(ws);
  const int digits = currency_digits(ingest::workspace_currency(ws));
  OutputFile file(out);
  std::string buf(features::csv_header());
  for (size_t b = 0; b < aggs.size(); b += 1 << 16) {
    features::format_rows([&](uint32_t k) -> const features::CustomerAgg& { return aggs[k]; },
                          [&](uint32_t k) { return std::string_view(ids[k]); }, b,
                          std::min(aggs.size(), b + (1 << 16)), used, digits, features::SegmentRules{}, buf);
    file.write(buf);
    buf.clear();
  }
  file.commit();
  return 0;
}
}  // namespace

void add_features(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("features", "Orders file → one row per customer (first/last purchase, purchase "
                                             "days, net revenue, mean order value, CRM segment), storing nothing");
  static std::string file, out = "-", as_of, memory = "1.5G", preset, currency = "USD";
  static std::vector<std::string> maps;
  cmd->add_option("FILE", file,
                  "Orders: customer_id, order_date, amount (CSV/TSV, .gz, JSONL); without FILE, the workspace's "
                  "stored orders");
  cmd->add_option("--out,-o", out, "Output CSV (default: standard output)");
  cmd->add_option("--as-of", as_of, "Date the recency is measured at (default: the last order date)");
  cmd->add_option("--memory-limit", memory, "Memory for exact purchase days of unsorted input (default 1.5G)");
  cmd->add_option("--preset", preset, "A preset name or file");
  cmd->add_option("--map", maps, "field=column (repeatable)");
  cmd->add_option("--currency", currency, "ISO currency of the amounts (default USD)");
  cmd->footer(
      "Examples:\n  koko features orders.csv --out customers.csv\n"
      "  koko --workspace shop.db features --as-of 2024-03-31 --out customers-march.csv\n");
  cmd->callback([&g] {
    g.run = [&g] {
      std::optional<Day> as_of_day;
      if (!as_of.empty()) {
        as_of_day = parse_iso_date(as_of);
        if (!as_of_day)
          throw Error(ErrorCode::usage, fmt::format("--as-of '{}' is not a date", as_of), {}, "write YYYY-MM-DD");
      }
      if (file.empty()) return from_workspace(g.workspace, as_of_day, parse_memory(memory), out);
      ingest::FeaturesRequest req;
      req.file = file;
      if (!preset.empty()) req.preset = io::find_preset(preset);
      req.map = parse_map(maps, "customer_id=\"Customer No\"");
      req.currency = currency;
      req.memory_limit = parse_memory(memory);
      req.as_of = as_of_day;
      const auto r = ingest::features_from_file(req);
      ingest::write_features_csv(r, req.rules, out);
      detail(fmt::format("{} rows, {} customers, {} reader{}", r.rows, r.customers, r.fast_path ? "fast" : "general",
                         r.in_date_order ? "" : ", purchase days recounted (not in date order)"));
      return 0;
    };
  });
}

}  // namespace koko::cli
