// koko: the command line. One verb per pipeline step; `koko analyze DIR` runs the whole pipeline.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

#include "commands.hpp"
#include "koko/core/error.hpp"
#include "koko/core/progress.hpp"

int main(int argc, char** argv) {
  using namespace koko;
  CLI::App app{"koko — customer-first marketing analytics (顧客起点マーケティング)", "koko"};
  app.set_version_flag("--version", std::string("koko ") + KOKO_VERSION);
  app.require_subcommand(1);
  app.footer(
      "Exit codes: 0 success, 2 wrong usage, 3 bad input data, 4 workspace problem, 5 not found, "
      "6 analysis cannot run, 70 internal error.\nStart with: koko analyze data/sample --out report\n");

  cli::GlobalOptions g;
  app.add_option("--workspace,-w", g.workspace, "Workspace file (default ./koko.db)");
  bool quiet = false, verbose = false;
  app.add_flag("--quiet,-q", quiet, "Print errors and results only");
  app.add_flag("--verbose,-v", verbose, "Print more detail");

  cli::add_commands(app, g);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : static_cast<int>(ErrorCode::usage);
  }
  if (quiet) set_verbosity(Verbosity::quiet);
  if (verbose) set_verbosity(Verbosity::verbose);
  try {
    return g.run();
  } catch (const Error& e) {
    fmt::print(stderr, "koko: error: {}\n", e.describe());
    return static_cast<int>(e.code);
  } catch (const std::exception& e) {
    fmt::print(stderr, "koko: internal error: {}\n  hint: please report this with the command you ran\n", e.what());
    return static_cast<int>(ErrorCode::internal);
  }
}
