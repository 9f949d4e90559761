#include <fmt/format.h>

#include <filesystem>

#include "commands.hpp"
#include "koko/clv/summary_file.hpp"
#include "koko/core/error.hpp"
#include "koko/core/progress.hpp"
#include "koko/ingest/ingest.hpp"
#include "koko/segment/glue.hpp"

namespace koko::cli {

void add_import(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand(
      "import", "Import orders, customers, a survey or a CLV summary into the workspace (one transaction)");
  static std::string kind, file, preset, on_error = "fail", rejects = "rejects.csv", date_format, encoding, currency,
                                         unit = "week";
  static std::vector<std::string> maps;
  static bool replace = false;
  cmd->add_option("KIND", kind, "What the file holds")
      ->required()
      ->check(CLI::IsMember({"orders", "customers", "survey", "clv-summary"}));
  cmd->add_option("FILE", file, "CSV, TSV, whitespace-aligned text or JSONL; .gz is read directly")->required();
  cmd->add_option("--preset", preset, "A preset name (cdnow, online-retail, ...) or a preset .toml file");
  cmd->add_option("--map", maps, "field=column, e.g. --map customer_id=\"Customer No\" (repeatable)");
  cmd->add_option("--on-error", on_error, "fail: stop at the first bad row (default); skip: write bad rows to the "
                                          "rejects file and go on")
      ->check(CLI::IsMember({"fail", "skip"}));
  cmd->add_option("--rejects", rejects, "Where skipped rows go (default rejects.csv)");
  cmd->add_option("--date-format", date_format, "auto (default), iso, yyyymmdd, ymd, mdy, dmy or excel");
  cmd->add_option("--encoding", encoding,
                  "utf-8, cp932 (Shift_JIS), utf-16, windows-1252 or any ICU name (default: detected)");
  cmd->add_option("--currency", currency, "ISO currency of the amounts (JPY, USD, ...); fixes the workspace's");
  cmd->add_flag("--replace", replace, "Replace an earlier import of the same file");
  cmd->add_option("--unit", unit, "clv-summary only: the time unit of t_x and T (week, the default, or day)")
      ->check(CLI::IsMember({"week", "day"}));
  cmd->footer(
      "Examples:\n"
      "  koko import orders CDNOW_master.txt --preset cdnow\n"
      "  koko import orders online_retail.csv.gz --preset online-retail --on-error skip\n"
      "  koko import orders export.csv --map customer_id=\"Customer No\" --map amount=Total\n"
      "  koko import orders 注文データ.csv --encoding cp932 --currency JPY\n"
      "  koko import customers customers.csv\n"
      "  koko import survey survey.csv --map next_intent=Q7   (columns: docs/segments.md)\n"
      "  koko import clv-summary summary.csv --unit week     (ID,x,t_x,T[,zbar]: docs/clv.md)");
  cmd->callback([&g] {
    g.run = [&g] {
      ingest::ImportRequest req;
      req.kind = kind;
      req.file = file;
      req.preset = preset;
      req.map = parse_map(maps, "customer_id=\"Customer No\"");
      req.on_error = on_error == "skip" ? io::OnError::skip : io::OnError::fail;
      req.replace = replace;
      req.rejects_file = rejects;
      req.date_format = date_format;
      req.encoding = encoding;
      req.currency = currency;
      // A failed first import leaves no empty workspace behind.
      const bool existed = std::filesystem::exists(g.workspace);
      ingest::ImportOutcome out;
      try {
        auto ws = store::Workspace::open(g.workspace, true);
        if (kind == "clv-summary") {
          store::Workspace::Transaction tx(ws);
          out = clv::import_summary(ws, req, unit);
          tx.commit();
        } else {
          out = kind == "survey" ? segment::import_survey(ws, req) : ingest::import_file(ws, req);
        }
      } catch (...) {
        if (!existed)
          for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(g.workspace + suffix);
        throw;
      }
      info(fmt::format("imported {} from {} (import #{})", kind, file, out.record.id));
      for (const auto& f : out.facts) info("  " + f);
      for (const auto& w : out.warnings) warn(w);
      return 0;
    };
  });
}

}  // namespace koko::cli
