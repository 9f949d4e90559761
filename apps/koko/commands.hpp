#pragma once
#include <CLI/CLI.hpp>

#include <functional>
#include <map>
#include <string_view>
#include <vector>
#include <string>

namespace koko::cli {

struct GlobalOptions {
  std::string workspace = "koko.db";
  std::function<int()> run;  // set by the chosen subcommand's callback
};

void add_commands(CLI::App& app, GlobalOptions& g);

// --map field=column pairs (repeatable) → field → column; `example` shows the form in the error's hint.
std::map<std::string, std::string> parse_map(const std::vector<std::string>& pairs, std::string_view example);

}  // namespace koko::cli

namespace koko::cli {
void add_init(CLI::App& app, GlobalOptions& g);
void add_import(CLI::App& app, GlobalOptions& g);
void add_analyze(CLI::App& app, GlobalOptions& g);
void add_report(CLI::App& app, GlobalOptions& g);
void add_export(CLI::App& app, GlobalOptions& g);
void add_status(CLI::App& app, GlobalOptions& g);
void add_segment(CLI::App& app, GlobalOptions& g);
void add_clv(CLI::App& app, GlobalOptions& g);
void add_features(CLI::App& app, GlobalOptions& g);
void add_voice(CLI::App& app, GlobalOptions& g);
void add_experiment(CLI::App& app, GlobalOptions& g);
}  // namespace koko::cli
