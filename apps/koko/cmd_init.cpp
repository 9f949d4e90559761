#include <fmt/format.h>

#include <filesystem>

#include "commands.hpp"
#include "koko/core/error.hpp"
#include "koko/core/progress.hpp"
#include "koko/store/workspace.hpp"

namespace koko::cli {

void add_init(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("init", "Create a workspace");
  static std::string dir;
  static std::string currency;
  cmd->add_option("DIR", dir, "Folder for the workspace (created if missing); the workspace is DIR/koko.db");
  cmd->add_option("--currency", currency, "ISO currency of all amounts, e.g. USD, GBP, JPY (default: from the "
                                          "first import's preset, else USD)");
  cmd->footer("Example:\n  koko init shop && koko --workspace shop/koko.db import orders orders.csv");
  cmd->callback([&g, &app] {
    g.run = [&g, &app] {
      std::filesystem::path path = g.workspace;
      if (!dir.empty() && app.get_option("--workspace")->count() == 0) {
        std::filesystem::create_directories(dir);
        path = std::filesystem::path(dir) / "koko.db";
      }
      if (std::filesystem::exists(path))
        throw Error(ErrorCode::usage, "a file already exists here", path.string(),
                    "use it as it is, or choose another folder");
      auto ws = store::Workspace::open(path, true);
      if (!currency.empty()) {
        if (currency.size() != 3)
          throw Error(ErrorCode::usage, fmt::format("'{}' is not an ISO currency code", currency), {},
                      "use three letters such as USD, GBP, EUR or JPY");
        ws.set_meta("currency", currency);
      }
      info(fmt::format("created workspace {}", path.string()));
      return 0;
    };
  });
}

}  // namespace koko::cli
