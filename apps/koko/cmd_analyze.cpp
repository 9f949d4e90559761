#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>

#include "commands.hpp"
#include "koko/analysis/analysis.hpp"
#include "koko/core/error.hpp"
#include "koko/core/progress.hpp"
#include "koko/ingest/ingest.hpp"
#include "koko/segment/glue.hpp"
#include "koko/voice/texts.hpp"

namespace koko::cli {

namespace fs = std::filesystem;

namespace {

// The input files of DIR: from koko.toml's [inputs.KIND] tables when present, else by name (orders.*, ...).
std::vector<ingest::ImportRequest> find_inputs(const fs::path& dir, const Config& cfg) {
  std::vector<ingest::ImportRequest> out;
  for (const std::string kind : {"orders", "customers", "survey", "texts"}) {
    ingest::ImportRequest req;
    req.kind = kind;
    req.rejects_file = fs::temp_directory_path() / fmt::format("koko-rejects-{}-{}.csv", kind, getpid());
    if (auto f = cfg.peek("inputs." + kind + ".file")) {
      req.file = dir / *f;
      if (!fs::exists(req.file))
        throw Error(ErrorCode::not_found, fmt::format("koko.toml names {} file '{}', which does not exist", kind, *f),
                    (dir / "koko.toml").string(), "fix inputs." + kind + ".file");
      req.preset = cfg.peek("inputs." + kind + ".preset").value_or("");
      if (auto p = cfg.peek("inputs." + kind + ".on_error"); p && *p == "skip") req.on_error = io::OnError::skip;
      out.push_back(req);
      continue;
    }
    std::vector<fs::path> matches;
    for (const auto& e : fs::directory_iterator(dir))
      if (e.is_regular_file() && e.path().filename().string().starts_with(kind + ".")) matches.push_back(e.path());
    std::sort(matches.begin(), matches.end());
    if (matches.size() > 1)
      throw Error(ErrorCode::usage, fmt::format("{} files match {}.*: {}", matches.size(), kind, matches[0].string()),
                  dir.string(), "keep one, or name it in koko.toml under [inputs." + kind + "]");
    if (matches.size() == 1) {
      req.file = matches[0];
      out.push_back(req);
    }
  }
  if (out.empty())
    throw Error(ErrorCode::not_found, "no input files found", dir.string(),
                "put orders.csv (and optionally customers.csv) there, or list the files in DIR/koko.toml");
  return out;
}

void write_report_from(store::Workspace& ws, const Config& cfg, Lang lang, const RunSummary& summary,
                       const fs::path& out) {
  const auto doc = build_report(ws, cfg, lang, summary);
  report::write_report(doc, out);
  info(fmt::format("report: {}", (out / "index.html").string()));
}

void print_summary(const RunSummary& s) {
  for (const auto& name : s.ran) info(fmt::format("ran {}", name));
  for (const auto& [name, input] : s.skipped) info(fmt::format("skipped {}: needs {}", name, input));
}

}  // namespace

void add_analyze(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand(
      "analyze", "Build a fresh workspace from the files in DIR, run every ready analysis and write the report");
  static std::string dir, out = "report", lang;
  cmd->add_option("DIR", dir, "Folder with orders.* (and customers.*), or a koko.toml naming them")->required();
  cmd->add_option("--out,-o", out, "Report folder (default ./report)");
  cmd->add_option("--lang", lang, "Report language: en or ja (default: from the locale)");
  cmd->footer("Example:\n  koko analyze data/sample --out report --lang ja");
  cmd->callback([&g] {
    g.run = [&g] {
      const Lang L = lang.empty() ? default_lang() : parse_lang(lang);
      if (!fs::is_directory(dir)) throw Error(ErrorCode::not_found, "no such folder", dir, "check the path");
      const fs::path cfg_file = fs::path(dir) / "koko.toml";
      const Config cfg = fs::exists(cfg_file) ? Config::load(cfg_file) : Config();
      const auto inputs = find_inputs(dir, cfg);

      // Never overwrite a workspace the user built by hand.
      const fs::path target = g.workspace;
      if (fs::exists(target)) {
        auto existing = store::Workspace::open(target, false);
        if (existing.meta("created_by").value_or("") != "analyze")
          throw Error(ErrorCode::usage, "this workspace holds your own imports; analyze builds a fresh one",
                      target.string(), "pass --workspace NEW.db, or delete the file if you no longer need it");
      }
      // Build beside the target and move it in place at the end: a failure leaves the old one untouched.
      const fs::path building = target.string() + ".building";
      for (const char* suffix : {"", "-wal", "-shm", "-journal"}) fs::remove(building.string() + suffix);
      RunSummary summary;
      {
        auto ws = store::Workspace::open(building, true);
        ws.set_meta("created_by", "analyze");
        if (auto c = cfg.peek("currency")) ws.set_meta("currency", *c);
        for (const auto& req : inputs) {
          if (req.kind == "texts") {  // voice of the customer: texts.csv / texts.jsonl
            voice::TextImportRequest t;
            t.file = req.file;
            t.on_error = req.on_error;
            t.rejects_file = req.rejects_file;
            const auto res = voice::import_texts(ws, t);
            info(fmt::format("imported texts from {}", req.file.string()));
            for (const auto& f : res.facts) info("  " + f);
            for (const auto& w : res.warnings) warn(w);
            continue;
          }
          const auto res = req.kind == "survey" ? segment::import_survey(ws, req) : ingest::import_file(ws, req);
          info(fmt::format("imported {} from {}", req.kind, req.file.string()));
          for (const auto& f : res.facts) info("  " + f);
          for (const auto& w : res.warnings) warn(w);
        }
        summary = run_ready(ws, cfg);
        print_summary(summary);
        write_report_from(ws, cfg, L, summary, out);
      }
      fs::rename(building, target);
      info(fmt::format("workspace: {}", target.string()));
      return 0;
    };
  });
}

void add_report(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("report", "Run the ready analyses on the workspace and write the report");
  static std::string out = "report", lang;
  cmd->add_option("--out,-o", out, "Report folder (default ./report)");
  cmd->add_option("--lang", lang, "Report language: en or ja (default: from the locale)");
  cmd->footer("Example:\n  koko --workspace shop.db report --out shop-report --lang ja");
  cmd->callback([&g] {
    g.run = [&g] {
      const Lang L = lang.empty() ? default_lang() : parse_lang(lang);
      auto ws = store::Workspace::open(g.workspace, false);
      const fs::path cfg_file = fs::path(g.workspace).parent_path() / "koko.toml";
      const Config cfg = fs::exists(cfg_file) ? Config::load(cfg_file) : Config();
      const auto summary = run_ready(ws, cfg);
      print_summary(summary);
      write_report_from(ws, cfg, L, summary, out);
      return 0;
    };
  });
}

}  // namespace koko::cli
