#include "commands.hpp"

namespace koko::cli {

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
