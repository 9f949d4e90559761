#include <fmt/format.h>

#include "koko/analysis/analysis.hpp"
#include "koko/core/date.hpp"
#include "koko/core/error.hpp"
#include "koko/core/progress.hpp"

namespace koko {

const Analysis& overview_analysis();  // overview/analysis.cpp
const Analysis& market_analysis();    // segment/analysis.cpp: the market map from a survey
const Analysis& segment_analysis();   // segment/analysis.cpp: CRM map, core customers, N1
const Analysis& clv_analysis();       // clv/analysis.cpp
const Analysis& voice_analysis();     // voice/analysis.cpp
const Analysis& themes_analysis();    // voice/themes_analysis.cpp: themes, contrast, core experience
const Analysis& experiment_analysis();  // experiment/analysis.cpp

const std::vector<const Analysis*>& registry() {
  static const std::vector<const Analysis*> all = {
      &overview_analysis(), &market_analysis(), &segment_analysis(),    &clv_analysis(),
      &voice_analysis(),    &themes_analysis(), &experiment_analysis(),
  };
  return all;
}

const Analysis* find_analysis(std::string_view name) {
  for (const auto* a : registry())
    if (a->name() == name) return a;
  return nullptr;
}

RunSummary run_ready(store::Workspace& ws, const Config& config) {
  RunSummary s;
  for (const auto* a : registry()) {
    std::string missing = a->missing_input(ws);
    for (const auto& dep : a->after())
      if (std::find(s.ran.begin(), s.ran.end(), dep) == s.ran.end()) missing = dep;
    if (!missing.empty()) {
      s.skipped.emplace_back(a->name(), missing);
      continue;
    }
    detail(fmt::format("running {}", a->name()));
    store::Workspace::Transaction tx(ws);
    RunContext ctx{ws, config};
    a->run(ctx);
    tx.commit();
    s.ran.emplace_back(a->name());
  }
  return s;
}

report::Document build_report(store::Workspace& ws, const Config& config, Lang lang, const RunSummary& summary) {
  const std::string as_of = ws.meta("data_as_of").value_or("-");
  report::Document doc(lang, std::string(msg(lang, "report.title")), tr(lang, "report.subtitle", as_of));
  for (const auto* a : registry()) {
    if (std::find(summary.ran.begin(), summary.ran.end(), a->name()) != summary.ran.end())
      a->report(ws, config, doc);
  }
  if (!summary.skipped.empty()) {
    std::string html = "<ul>";
    for (const auto& [name, input] : summary.skipped)
      html += "<li>" + report::escape_html(tr(lang, "report.skipped", fmt::format("{} ({})", name, input))) +
              "</li>";
    html += "</ul>";
    doc.add_section({"skipped", std::string(msg(lang, "report.skipped_title")), html});
  }
  // The settings used, so every number can be traced to its rule.
  report::Table settings{"settings", {std::string(msg(lang, "report.setting")), std::string(msg(lang, "report.value"))}, {}, {}};
  for (const auto& [k, v] : config.used()) settings.rows.push_back({k, v});
  if (!settings.rows.empty()) {
    doc.add_section({"settings", std::string(msg(lang, "report.settings")), report::table_html(settings)});
    doc.add_table(std::move(settings));
  }
  return doc;
}

}  // namespace koko
