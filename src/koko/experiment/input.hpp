#pragma once
// Experiment inputs, streamed into sufficient statistics: per-unit rows (variant, unit ID, metric values,
// optional pre-period values and timestamp) from CSV/TSV/JSONL (also .gz), or per-variant summaries (users and
// conversions, or n, sum and sum of squares). One row per unit is the contract: duplicates are found within a
// memory bound and either stop the analysis (the default, naming them) or are resolved by a policy.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "koko/experiment/experiment.hpp"
#include "koko/io/csv.hpp"

namespace koko::experiment {

enum class DuplicatePolicy { stop, first, exclude };

struct MetricColumn {
  std::string name;                // shown in results
  std::string column;              // the value (ratio metrics: the numerator)
  std::string denominator;         // ratio metrics only
  std::string pre;                 // pre-period column for CUPED; empty = none
  std::optional<MetricKind> kind;  // nullopt: proportion when every value is 0 or 1, else mean
};

// Keep a row only when `column` holds the value named for the row's variant (rows of other variants are kept).
struct RequireRule {
  std::string column;
  std::map<std::string, std::string> value_for_variant;
};

struct InputSpec {
  std::string variant_column;         // empty: detect (variant, group, arm, variation, bucket)
  std::string unit_column;            // empty: detect (unit_id, user_id, customer_id, visitor_id, …)
  std::string timestamp_column;       // empty: detect (timestamp, time, date, …); optional
  std::vector<MetricColumn> metrics;  // empty: every numeric column that has no other role
  bool auto_pre = true;               // pair metric X with a column X_pre / pre_X when present
  std::vector<RequireRule> require;
  std::string control;  // empty: a variant named control/baseline, else the first in the file
  DuplicatePolicy duplicates = DuplicatePolicy::stop;
  uint64_t memory_limit = uint64_t{256} << 20;  // bytes for duplicate detection
  std::filesystem::path spill_dir;              // empty: the system temp folder
  io::CsvOptions csv;
  std::function<void(uint64_t done, uint64_t total, uint64_t rows)> progress;  // bytes of the file
};

struct DuplicateExample {
  std::string unit;
  std::vector<uint64_t> lines;
  std::vector<std::string> variants;
  uint64_t rows = 0;
};

struct InputSummary {
  std::string file;
  bool per_unit = true;  // false: per-variant summaries
  uint64_t rows_read = 0;
  uint64_t rows_kept = 0;                                      // after rules and duplicates
  std::vector<std::pair<std::string, uint64_t>> rows_dropped;  // rule → rows
  std::map<std::string, std::string> mapping;                  // role → column
  // Duplicates: units seen more than once in one variant, and units seen in more than one variant.
  uint64_t dup_units_same_variant = 0, dup_rows_same_variant = 0;
  uint64_t dup_units_cross_variant = 0, dup_rows_cross_variant = 0;
  uint64_t dup_rows_removed = 0;
  DuplicatePolicy duplicate_policy = DuplicatePolicy::stop;
  std::vector<DuplicateExample> dup_examples;
  bool spilled = false;  // duplicate detection went to disk
  uint64_t spill_bytes = 0;
  uint64_t passes = 1;  // reads of the file
};

struct LoadedExperiment {
  ExperimentData data;
  InputSummary summary;
};

// Reads the file. Throws koko::Error with file:line:column for bad values, and (policy stop) for duplicates.
LoadedExperiment load_experiment(const std::filesystem::path& file, const InputSpec& spec);

// Experiment presets (presets/abtest.toml): column roles, metrics, cleaning rules, control and duplicate policy.
// See docs/experiments.md.
InputSpec load_experiment_preset(const std::filesystem::path& file);
InputSpec find_experiment_preset(const std::string& name_or_path);

std::string_view to_string(DuplicatePolicy p);
DuplicatePolicy parse_duplicate_policy(std::string_view s);  // stop | first | exclude; koko::Error otherwise

}  // namespace koko::experiment
