#pragma once
// The experiment analysis in the workspace: stored inputs (sufficient statistics and the input's facts, as
// columnar tables experiment_stats and experiment_inputs), result tables, and the report section.
#include <map>
#include <string>
#include <vector>

#include "koko/core/config.hpp"
#include "koko/core/messages.hpp"
#include "koko/experiment/experiment.hpp"
#include "koko/experiment/input.hpp"
#include "koko/report/report.hpp"
#include "koko/store/workspace.hpp"

namespace koko::experiment {

// What the user chose on the command line (settings.<key>), what the experiment tests (tests, hypothesis), and
// anything else to keep with the experiment.
using Options = std::map<std::string, std::string>;

// Settings from the experiment's own options, else koko.toml's [experiment] keys, else the defaults.
Settings settings_from(const Config& config, const Options& options);

// Stores (replacing an experiment of the same name) the statistics and facts of one experiment.
void save_experiment(store::Workspace& ws, const std::string& name, const LoadedExperiment& e, const Options& options);

// The result tables of one experiment: experiment_results, experiment_variants, experiment_health,
// experiment_info (columns documented in docs/experiments.md).
std::vector<store::ResultTable> result_tables(const std::string& name, const LoadedExperiment& e,
                                              const ExperimentResult& r, const Settings& s, const Options& options);

// A readable summary of one experiment's results for the terminal.
std::string text_summary(const std::string& name, const LoadedExperiment& e, const ExperimentResult& r,
                         const Settings& s, Lang lang);

// The sentence for a health finding.
std::string describe(const Finding& f, Lang lang);

// Lift bars with their confidence intervals (and the always-valid sequence), one row per metric × variant.
struct IntervalRow {
  std::string label;
  double effect = 0, low = 0, high = 0;  // the interval drawn as a whisker
  double seq_low = 0, seq_high = 0;      // the confidence sequence, drawn thinner
  bool ok = true;
};
std::string interval_chart(const std::vector<IntervalRow>& rows, const report::ChartOptions& opt);

}  // namespace koko::experiment
