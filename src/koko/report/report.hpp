#pragma once
// The report: one self-contained index.html (inline CSS and SVG, no network) plus one CSV per table.
// Everything here builds strings; only write_report touches the file system.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "koko/core/messages.hpp"

namespace koko::report {

struct Table {
  std::string id;                              // file name stem of its CSV: <id>.csv
  std::vector<std::string> columns;            // header labels (already translated)
  std::vector<std::vector<std::string>> rows;  // cells, already formatted
  std::vector<bool> numeric;                   // per column: right-aligned in HTML (may be empty = none)
};

std::string escape_html(std::string_view s);
std::string table_html(const Table& t);  // <table> with a link to its CSV
std::string table_csv(const Table& t);   // RFC 4180, LF line ends, header row first
// One RFC 4180 field: quoted (quotes doubled) when it holds a comma, quote or line break.
std::string csv_field(std::string_view s);

struct ChartOptions {
  std::string title;
  std::string x_label;
  std::string y_label;
  bool percent = false;  // format values/axis as percentages (values given as fractions 0..1)
  int width = 640;
  int height = 280;
};

struct Series {
  std::string label;
  std::vector<double> values;
};

std::string bar_chart(const std::vector<std::string>& labels, const std::vector<double>& values,
                      const ChartOptions& opt);
std::string line_chart(const std::vector<std::string>& x_labels, const std::vector<Series>& series,
                       const ChartOptions& opt);
// cells[row][col]; nullopt = no value (drawn blank). Values in 0..1 when opt.percent.
std::string heatmap(const std::vector<std::string>& row_labels, const std::vector<std::string>& col_labels,
                    const std::vector<std::vector<std::optional<double>>>& cells, const ChartOptions& opt);
// points (x, y) in [0,1]², ascending x, starting at (0,0); draws the curve and the equality diagonal.
std::string lorenz_chart(const std::vector<std::pair<double, double>>& points, const ChartOptions& opt);

struct Section {
  std::string id;     // anchor
  std::string title;
  std::string html;   // body: paragraphs, tables, charts
};

class Document {
 public:
  Document(Lang lang, std::string title, std::string subtitle);
  void add_section(Section s);
  void add_table(Table t);  // registered for CSV export; embed table_html(t) in a section yourself
  [[nodiscard]] std::string html() const;  // the whole page; deterministic
  [[nodiscard]] const std::vector<Table>& tables() const { return tables_; }
  [[nodiscard]] Lang lang() const { return lang_; }

 private:
  Lang lang_;
  std::string title_;
  std::string subtitle_;
  std::vector<Section> sections_;
  std::vector<Table> tables_;
};

// Writes out_dir/index.html and out_dir/<table id>.csv atomically (temp file + rename each).
void write_report(const Document& doc, const std::filesystem::path& out_dir);

}  // namespace koko::report
