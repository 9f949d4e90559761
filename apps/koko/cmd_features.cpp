#include <fmt/format.h>

#include "commands.hpp"
#include "koko/core/error.hpp"
#include "koko/core/progress.hpp"
#include "koko/ingest/features_file.hpp"

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

void add_features(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("features", "Orders file → one row per customer (first/last purchase, purchase "
                                             "days, net revenue, mean order value, CRM segment), storing nothing");
  static std::string file, out = "-", as_of, memory = "1.5G", preset, currency = "USD";
  static std::vector<std::string> maps;
  cmd->add_option("FILE", file, "Orders: customer_id, order_date, amount (CSV/TSV, .gz, JSONL)")->required();
  cmd->add_option("--out,-o", out, "Output CSV (default: standard output)");
  cmd->add_option("--as-of", as_of, "Date the recency is measured at (default: the last order date)");
  cmd->add_option("--memory-limit", memory, "Memory for exact purchase days of unsorted input (default 1.5G)");
  cmd->add_option("--preset", preset, "A preset name or file");
  cmd->add_option("--map", maps, "field=column (repeatable)");
  cmd->add_option("--currency", currency, "ISO currency of the amounts (default USD)");
  cmd->footer("Example:\n  koko features orders.csv --out customers.csv\n");
  cmd->callback([&g] {
    g.run = [] {
      ingest::FeaturesRequest req;
      req.file = file;
      if (!preset.empty()) req.preset = io::find_preset(preset);
      for (const auto& m : maps) {
        const auto eq = m.find('=');
        if (eq == std::string::npos) throw Error(ErrorCode::usage, "--map needs field=column", {}, "");
        req.map[m.substr(0, eq)] = m.substr(eq + 1);
      }
      req.currency = currency;
      req.memory_limit = parse_memory(memory);
      if (!as_of.empty()) {
        req.as_of = parse_iso_date(as_of);
        if (!req.as_of) throw Error(ErrorCode::usage, fmt::format("--as-of '{}' is not a date", as_of), {}, "write YYYY-MM-DD");
      }
      const auto r = ingest::features_from_file(req);
      ingest::write_features_csv(r, req.rules, out);
      detail(fmt::format("{} rows, {} customers, {} reader{}", r.rows, r.customers, r.fast_path ? "fast" : "general",
                         r.in_date_order ? "" : ", purchase days recounted (not in date order)"));
      return 0;
    };
  });
}

}  // namespace koko::cli
