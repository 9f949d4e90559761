#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <iostream>

#include "commands.hpp"
#include "koko/core/error.hpp"
#include "koko/core/money.hpp"
#include "koko/core/output_file.hpp"
#include "koko/core/progress.hpp"
#include "koko/ingest/features_file.hpp"
#include "koko/ingest/ingest.hpp"
#include "koko/io/encoding.hpp"
#include "koko/report/report.hpp"

namespace koko::cli {

namespace {

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
        else if constexpr (std::is_same_v<T, std::string>)
          return report::csv_field(x);
        else if constexpr (std::is_same_v<T, double>) return fmt::format("{}", x);
        else return std::to_string(x);
      },
      v);
}

void export_table(store::Workspace& ws, const std::string& table, std::ostream& out) {
  const auto ids = ingest::load_customer_ids(ws);
  auto id_of = [&](uint32_t k) { return k == io::kGuest ? std::string() : report::csv_field(ids.at(k)); };
  if (table == "orders") {
    const int digits = currency_digits(ingest::workspace_currency(ws));
    out << "customer_id,order_date,amount,order_id\n";
    ws.scan("orders", [&](const store::Chunk& c) {
      const auto& cu = c.as<std::vector<uint32_t>>("customer");
      const auto& d = c.as<std::vector<int32_t>>("day");
      const auto& a = c.as<std::vector<int64_t>>("amount");
      const auto* o = c.find("order_id");
      const auto* order_ids = o ? &std::get<StringColumn>(o->data) : nullptr;
      for (size_t i = 0; i < cu.size(); ++i)
        out << id_of(cu[i]) << ',' << format_date(d[i]) << ',' << plain_amount(a[i], digits) << ','
            << (order_ids ? report::csv_field((*order_ids)[i]) : std::string()) << '\n';
    });
  } else if (table == "customer_features") {
    ingest::export_customer_features(ws, features::SegmentRules{}, out);
  } else if (table == "customer_ids") {
    out << "customer_key,customer_id\n";
    for (size_t i = 0; i < ids.size(); ++i) out << i << ',' << report::csv_field(ids[i]) << '\n';
  } else if (table == "customers") {
    bool header = false;
    ws.scan("customers", [&](const store::Chunk& c) {
      if (!header) {
        out << "customer_id";
        for (size_t k = 1; k < c.columns.size(); ++k) out << ',' << report::csv_field(c.columns[k].name);
        out << '\n';
        header = true;
      }
      const auto& keys = c.as<std::vector<uint32_t>>("customer");
      for (size_t i = 0; i < keys.size(); ++i) {
        out << id_of(keys[i]);
        for (size_t k = 1; k < c.columns.size(); ++k)
          out << ',' << report::csv_field(std::get<StringColumn>(c.columns[k].data)[i]);
        out << '\n';
      }
    });
  } else if (!ws.has_table(table) && ws.columnar_rows(table) > 0) {
    // Any other columnar table (segment_customers, texts, text_tokens, clv_summary, ...): its columns as stored,
    // with a `customer` key written as the customer's ID.
    bool header = false;
    ws.scan(table, [&](const store::Chunk& c) {
      if (!header) {
        for (size_t k = 0; k < c.columns.size(); ++k)
          out << (k ? "," : "")
              << report::csv_field(c.columns[k].name == "customer" ? "customer_id" : c.columns[k].name);
        out << '\n';
        header = true;
      }
      const size_t rows = c.rows();
      for (size_t i = 0; i < rows; ++i) {
        for (size_t k = 0; k < c.columns.size(); ++k) {
          if (k) out << ',';
          const auto& col = c.columns[k];
          std::visit(
              [&](const auto& v) {
                using T = std::decay_t<decltype(v)>;
                if constexpr (std::is_same_v<T, StringColumn>) {
                  out << report::csv_field(v[i]);
                } else if constexpr (std::is_same_v<T, std::vector<uint32_t>>) {
                  if (col.name == "customer") out << id_of(v[i]);
                  else out << v[i];
                } else if constexpr (std::is_same_v<T, std::vector<double>>) {
                  out << fmt::format("{}", v[i]);
                } else {
                  out << v[i];
                }
              },
              col.data);
        }
        out << '\n';
      }
    });
  } else {
    const auto t = ws.read_table(table);
    for (size_t i = 0; i < t.columns.size(); ++i) out << (i ? "," : "") << report::csv_field(t.columns[i]);
    out << '\n';
    for (const auto& row : t.rows) {
      for (size_t i = 0; i < row.size(); ++i) out << (i ? "," : "") << value_text(row[i]);
      out << '\n';
    }
  }
}

// Re-encodes what is written through it, line by line, for Excel: CRLF line ends and, for CP932, an error naming
// the first line holding a character CP932 cannot write (never a silent '?').
class ExcelBuf : public std::streambuf {
 public:
  ExcelBuf(std::ostream& out, std::string encoding) : out_(out), encoding_(std::move(encoding)) {}
  ~ExcelBuf() override = default;
  void finish() { emit(true); }

 protected:
  int_type overflow(int_type c) override {
    if (c != traits_type::eof()) pending_ += static_cast<char>(c);
    if (pending_.size() >= (1 << 20)) emit(false);
    return c;
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    pending_.append(s, static_cast<size_t>(n));
    if (pending_.size() >= (1 << 20)) emit(false);
    return n;
  }

 private:
  void emit(bool all) {
    const size_t cut = all ? pending_.size() : pending_.rfind('\n') + 1;
    if (cut == 0 || cut == std::string::npos + 1) return;
    std::string text;
    size_t start = 0;
    while (start < cut) {
      size_t nl = pending_.find('\n', start);
      if (nl == std::string::npos || nl >= cut) nl = cut;
      ++line_;
      text += io::from_utf8(std::string_view(pending_).substr(start, nl - start), encoding_,
                            fmt::format("line {} of the export", line_));
      if (nl < cut) text += "\r\n";
      start = nl + 1;
    }
    out_ << text;
    pending_.erase(0, cut);
  }
  std::ostream& out_;
  std::string encoding_;
  std::string pending_;
  uint64_t line_ = 0;
};

}  // namespace

void add_export(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("export", "Write a workspace table as CSV (stdout, or --out FILE)");
  static std::string table, out_file, encoding = "utf-8";
  static bool list = false, excel = false;
  cmd->add_option("TABLE", table, "orders, customers, customer_ids or any result table (see --list)");
  cmd->add_option("--out,-o", out_file, "Output file (written atomically)");
  cmd->add_flag("--list", list, "List the tables");
  cmd->add_flag("--excel", excel, "For Excel: UTF-8 with a byte-order mark and CRLF line ends (Japanese text opens "
                                  "correctly), or CP932 with --encoding cp932");
  cmd->add_option("--encoding", encoding, "With --excel: utf-8 (default) or cp932 (Shift_JIS)");
  cmd->footer(
      "Examples:\n  koko export --list\n  koko export overview_monthly --out monthly.csv\n"
      "  koko export customers --excel --out 顧客.csv\n  koko export orders --excel --encoding cp932 --out orders.csv");
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
      if (!excel && !io::is_utf8_name(encoding))
        throw Error(ErrorCode::usage, "--encoding applies to --excel exports", {},
                    "add --excel, or leave out --encoding for plain UTF-8");
      // Plain exports are UTF-8 as stored; Excel exports are re-encoded line by line.
      auto write = [&](std::ostream& os) {
        if (!excel) return export_table(ws, table, os);
        if (io::is_utf8_name(encoding)) os << "\xEF\xBB\xBF";
        ExcelBuf buf(os, encoding);
        std::ostream converted(&buf);
        export_table(ws, table, converted);
        converted.flush();
        buf.finish();
      };
      if (out_file.empty()) {
        write(std::cout);
        std::cout.flush();
        return 0;
      }
      const bool in_place = write_in_place(out_file);  // /dev/null or a pipe: never renamed over
      const std::string tmp = in_place ? out_file : out_file + ".tmp";
      {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        if (!f) throw Error(ErrorCode::usage, "cannot write the file", out_file, "choose a writable path");
        try {
          write(f);
        } catch (...) {
          f.close();
          if (!in_place) std::filesystem::remove(tmp);  // never half a file
          throw;
        }
        if (!f.flush()) throw Error(ErrorCode::usage, "writing failed (disk full?)", out_file, "");
      }
      if (!in_place) std::filesystem::rename(tmp, out_file);
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
