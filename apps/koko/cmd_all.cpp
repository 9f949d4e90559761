#include "commands.hpp"

#include <fmt/format.h>

#include "koko/core/error.hpp"

namespace koko::cli {

std::map<std::string, std::string> parse_map(const std::vector<std::string>& pairs, std::string_view example) {
  std::map<std::string, std::string> out;
  for (const auto& p : pairs) {
    const auto eq = p.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == p.size())
      throw Error(ErrorCode::usage, fmt::format("--map '{}' is not field=column", p), {},
                  fmt::format("e.g. --map {}", example));
    out[p.substr(0, eq)] = p.substr(eq + 1);
  }
  return out;
}

void add_commands(CLI::App& app, GlobalOptions& g) {
  add_init(app, g);
  add_import(app, g);
  add_analyze(app, g);
  add_report(app, g);
  add_export(app, g);
  add_status(app, g);
  add_segment(app, g);
  add_clv(app, g);
  add_features(app, g);
  add_voice(app, g);
  add_experiment(app, g);
}

}  // namespace koko::cli
