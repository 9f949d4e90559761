#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <iostream>

#include "commands.hpp"
#include "koko/core/error.hpp"
#include "koko/core/money.hpp"
#include "koko/core/progress.hpp"
#include "koko/ingest/ingest.hpp"

namespace koko::cli {

namespace {

std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string plain_amount(int64_t minor, int digits) {
  if (digits == 0) return std::to_string(minor);
  const bool neg = minor < 0;
  const int64_t a = neg ? -minor : minor;
  int64_t div = 1;
  for (int i = 0; i < digits; ++i) div *= 10;
  return fmt::format("{}{}.{:0{}d}", neg ? "-" : "", a / div, a % div, digits);
}

std::string value_text(const store::Value& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) return "";
        else if constexpr (std::is_same_v<T, std::string>) return csv_field(x);
        else if constexpr (std::is_same_v<T, double>) return fmt::format("{}", x);
        else return std::to_string(x);
      },
      v);
}

void export_table(store::Workspace& ws, const std::string& table, std::ostream& out) {
  const auto ids = ingest::load_customer_ids(ws);
  auto id_of = [&](uint32_t k) { return k == io::kGuest ? std::string() : csv_field(ids.at(k)); };
  if (table == "orders") {
    const int digits = currency_digits(ingest::workspace_currency(ws));
    out << "customer_id,order_date,amount,order_id\n";
    ws.scan("orders", [&](const store::Chunk& c) {
      const auto& cu = c.as<std::vector<uint32_t>>("customer");
      const auto& d = c.as<std::vector<int32_t>>("day");
      const auto& a = c.as<std::vector<int64_t>>("amount");
      const auto& o = c.as<StringColumn>("order_id");
      for (size_t i = 0; i < cu.size(); ++i)
        out << id_of(cu[i]) << ',' << format_date(d[i]) << ',' << plain_amount(a[i], digits) << ','
            << csv_field(o[i]) << '\n';
    });
  } else if (table == "customer_ids") {
    out << "customer_key,customer_id\n";
    for (size_t i = 0; i < ids.size(); ++i) out << i << ',' << csv_field(ids[i]) << '\n';
  } else if (table == "customers") {
    bool header = false;
    ws.scan("customers", [&](const store::Chunk& c) {
      if (!header) {
        out << "customer_id";
        for (size_t k = 1; k < c.columns.size(); ++k) out << ',' << csv_field(c.columns[k].name);
        out << '\n';
        header = true;
      }
      const auto& keys = c.as<std::vector<uint32_t>>("customer");
      for (size_t i = 0; i < keys.size(); ++i) {
        out << id_of(keys[i]);
        for (size_t k = 1; k < c.columns.size(); ++k) out << ',' << csv_field(std::get<StringColumn>(c.columns[k].data)[i]);
        out << '\n';
      }
    });
  } else {
    const auto t = ws.read_table(table);
    for (size_t i = 0; i < t.columns.size(); ++i) out << (i ? "," : "") << csv_field(t.columns[i]);
    out << '\n';
    for (const auto& row : t.rows) {
      for (size_t i = 0; i < row.size(); ++i) out << (i ? "," : "") << value_text(row[i]);
      out << '\n';
    }
  }
}

}  // namespace

void add_export(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("export", "Write a workspace table as CSV (stdout, or --out FILE)");
  static std::string table, out_file;
  static bool list = false;
  cmd->add_option("TABLE", table, "orders, customers, customer_ids or any result table (see --list)");
  cmd->add_option("--out,-o", out_file, "Output file (written atomically)");
  cmd->add_flag("--list", list, "List the tables");
  cmd->footer("Examples:\n  koko export --list\n  koko export overview_monthly --out monthly.csv");
  cmd->callback([&g] {
    g.run = [&g] {
      auto ws = store::Workspace::open(g.workspace, false);
      if (list || table.empty()) {
        for (const auto& n : ws.table_names()) fmt::print("{}\n", n);
        return 0;
      }
      const auto names = ws.table_names();
      if (std::find(names.begin(), names.end(), table) == names.end())
        throw Error(ErrorCode::not_found, fmt::format("no table named '{}'", table), g.workspace,
                    fmt::format("tables: {}", fmt::join(names, ", ")));
      if (out_file.empty()) {
        export_table(ws, table, std::cout);
        std::cout.flush();
        return 0;
      }
      const std::string tmp = out_file + ".tmp";
      {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        if (!f) throw Error(ErrorCode::usage, "cannot write the file", out_file, "choose a writable path");
        export_table(ws, table, f);
        if (!f.flush()) throw Error(ErrorCode::usage, "writing failed (disk full?)", out_file, "");
      }
      std::filesystem::rename(tmp, out_file);
      info(fmt::format("wrote {}", out_file));
      return 0;
    };
  });
}

void add_status(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("status", "Show the workspace: imports, tables, currency");
  cmd->footer("Example:\n  koko --workspace shop.db status");
  cmd->callback([&g] {
    g.run = [&g] {
      auto ws = store::Workspace::open(g.workspace, false);
      fmt::print("workspace {} (schema {}, currency {})\n", g.workspace, ws.meta("schema_version").value_or("?"),
                 ingest::workspace_currency(ws));
      for (const auto& r : ws.imports()) {
        fmt::print("import #{} {} {} [{}] preset={} checksum={}\n", r.id, r.kind, r.file, r.mapping,
                   r.preset.empty() ? "-" : r.preset, r.checksum);
        std::string s = r.summary;
        size_t pos = 0;
        while (pos < s.size()) {
          const auto nl = s.find('\n', pos);
          fmt::print("  {}\n", s.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos));
          if (nl == std::string::npos) break;
          pos = nl + 1;
        }
      }
      fmt::print("tables: {}\n", fmt::join(ws.table_names(), ", "));
      return 0;
    };
  });
}

}  // namespace koko::cli
