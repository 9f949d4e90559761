// Tables: HTML for the page, CSV for the files beside it.
#include <algorithm>

#include "koko/report/report.hpp"

namespace koko::report {
namespace {

bool is_numeric(const Table& t, size_t col) { return col < t.numeric.size() && t.numeric[col]; }

size_t column_count(const Table& t) {
  size_t n = t.columns.size();
  for (const auto& row : t.rows) n = std::max(n, row.size());
  return n;
}

// One <tr>; short rows are padded so every row has the same number of cells.
std::string row_html(const Table& t, const std::vector<std::string>& cells, std::string_view tag, size_t ncols) {
  std::string out = "<tr>";
  for (size_t c = 0; c < ncols; ++c) {
    out += fmt::format("<{}{}>", tag, is_numeric(t, c) ? " class=\"num\"" : "");
    if (c < cells.size()) out += escape_html(cells[c]);
    out += fmt::format("</{}>", tag);
  }
  return out + "</tr>\n";
}

std::string csv_record(const std::vector<std::string>& cells) {
  std::string out;
  for (size_t c = 0; c < cells.size(); ++c) {
    if (c > 0) out += ',';
    out += csv_field(cells[c]);
  }
  return out + '\n';
}

}  // namespace

std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

std::string escape_html(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string table_html(const Table& t) {
  std::string out = "<div class=\"table-block\">\n<div class=\"table-scroll\">\n<table>\n<thead>\n";
  const size_t ncols = column_count(t);
  out += row_html(t, t.columns, "th", ncols);
  out += "</thead>\n<tbody>\n";
  for (const auto& row : t.rows) out += row_html(t, row, "td", ncols);
  out += "</tbody>\n</table>\n</div>\n";
  out += fmt::format("<a class=\"csv\" href=\"{0}.csv\" download>CSV</a>\n</div>\n", escape_html(t.id));
  return out;
}

std::string table_csv(const Table& t) {
  std::string out = csv_record(t.columns);
  for (const auto& row : t.rows) out += csv_record(row);
  return out;
}

}  // namespace koko::report
