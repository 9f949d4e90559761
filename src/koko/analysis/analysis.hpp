#pragma once
// One interface for every analysis: its name, the inputs and analyses it needs, the result tables it owns,
// run (load from the store → pure kernels → save, inside the caller's transaction) and its report section.
// A new capability is a new folder + one line in registry.cpp.
#include <string>
#include <string_view>
#include <vector>

#include "koko/core/config.hpp"
#include "koko/report/report.hpp"
#include "koko/store/workspace.hpp"

namespace koko {

struct RunContext {
  store::Workspace& ws;
  const Config& config;
};

class Analysis {
 public:
  virtual ~Analysis() = default;
  [[nodiscard]] virtual std::string_view name() const = 0;
  // Stored inputs it needs, e.g. "orders"; run only when each has rows.
  [[nodiscard]] virtual std::vector<std::string> inputs() const = 0;
  // The first stored input that has no rows ("" = ready); by default from inputs().
  [[nodiscard]] virtual std::string missing_input(store::Workspace& ws) const {
    for (const auto& in : inputs())
      if (ws.columnar_rows(in) == 0) return in;
    return {};
  }
  // Analyses whose results it reads; they run first.
  [[nodiscard]] virtual std::vector<std::string> after() const { return {}; }
  // Result tables it writes (each also a CSV beside the report).
  [[nodiscard]] virtual std::vector<std::string> tables() const = 0;
  virtual void run(RunContext& ctx) const = 0;
  // Adds its section (and tables) to the report from its stored results.
  virtual void report(store::Workspace& ws, const Config& config, report::Document& doc) const = 0;
};

// Every analysis, in dependency order.
const std::vector<const Analysis*>& registry();
const Analysis* find_analysis(std::string_view name);

struct RunSummary {
  std::vector<std::string> ran;
  std::vector<std::pair<std::string, std::string>> skipped;  // name, missing input
};

// Runs every analysis whose inputs exist, each in its own transaction.
RunSummary run_ready(store::Workspace& ws, const Config& config);
// Builds the report from the stored results of the analyses that ran.
report::Document build_report(store::Workspace& ws, const Config& config, Lang lang, const RunSummary& summary);

}  // namespace koko
