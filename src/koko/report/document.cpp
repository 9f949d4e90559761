// The page around the sections, and writing it to disk.
#include <fstream>
#include <set>

#include "koko/core/error.hpp"
#include "koko/report/report.hpp"

namespace koko::report {
namespace {

// Inline and self-contained: system fonts only (with the common Japanese ones), no external resources.
constexpr std::string_view kStyle = R"css(
:root {
  --ink: #1f2933; --muted: #52606d; --line: #d9dee4; --soft: #f5f7fa; --accent: #0072b2;
  --font: system-ui, -apple-system, "Segoe UI", "Hiragino Sans", "Hiragino Kaku Gothic ProN", "Noto Sans CJK JP",
    "Noto Sans JP", "IPAexGothic", "IPAGothic", Meiryo, sans-serif;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body { margin: 0; color: var(--ink); background: #fff; font-family: var(--font); font-size: 16px; line-height: 1.6; }
html:lang(ja) body { line-height: 1.8; }
.page { max-width: 980px; margin: 0 auto; padding: 32px 24px 48px; }
a { color: var(--accent); }
h1 { font-size: 1.8rem; line-height: 1.3; margin: 0 0 4px; }
h2 { font-size: 1.35rem; line-height: 1.4; margin: 48px 0 12px; padding-bottom: 6px; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.1rem; margin: 28px 0 8px; }
p { margin: 8px 0 12px; max-width: 48em; }
.report-header { padding-bottom: 16px; border-bottom: 3px solid var(--accent); }
.subtitle { margin: 0; color: var(--muted); }
.toc { margin: 24px 0 0; padding: 12px 20px; background: var(--soft); border: 1px solid var(--line); border-radius: 6px; }
.toc h2 { font-size: 1rem; margin: 0 0 4px; padding: 0; border: 0; }
.toc ol { margin: 0; padding-left: 1.5em; }
.finding { padding: 8px 14px; background: var(--soft); border-left: 4px solid var(--accent); }
.note { color: var(--muted); font-size: 0.9rem; }
blockquote.quote { margin: 6px 0 10px; padding: 4px 14px; border-left: 3px solid var(--line); max-width: 46em; }
.card { margin: 12px 0 20px; padding: 12px 18px; border: 1px solid var(--line); border-radius: 6px; }
.card .big { font-size: 1.2rem; font-weight: 600; }
h4 { font-size: 1rem; margin: 18px 0 4px; }
.table-block { margin: 12px 0 24px; }
.table-scroll { overflow-x: auto; -webkit-overflow-scrolling: touch; }
table { border-collapse: collapse; font-size: 0.9rem; font-variant-numeric: tabular-nums; }
th, td { padding: 6px 12px; text-align: left; white-space: nowrap; border-bottom: 1px solid var(--line); }
thead th { font-weight: 600; vertical-align: bottom; border-bottom: 2px solid var(--ink); }
tbody tr:nth-child(even) { background: var(--soft); }
.num { text-align: right; }
a.csv { display: inline-block; margin-top: 4px; font-size: 0.8rem; color: var(--muted); }
svg.chart { display: block; max-width: 100%; height: auto; margin: 16px 0 24px; }
footer { margin-top: 56px; padding-top: 12px; border-top: 1px solid var(--line); color: var(--muted); font-size: 0.85rem; }
@media (max-width: 600px) {
  body { font-size: 15px; }
  .page { padding: 20px 14px 32px; }
  h1 { font-size: 1.45rem; }
  h2 { font-size: 1.2rem; margin-top: 36px; }
  th, td { padding: 5px 8px; }
}
@media print {
  body { font-size: 10.5pt; }
  .page { max-width: none; padding: 0; }
  main > section { break-before: page; }
  h2, h3 { break-after: avoid; }
  svg.chart, .table-block, .finding { break-inside: avoid; }
  .table-scroll { overflow: visible; }
  a { color: inherit; text-decoration: none; }
  a.csv { display: none; }
  tbody tr:nth-child(even), .toc, .finding { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
)css";

std::string head(Lang lang, std::string_view title) {
  return fmt::format(
      "<!doctype html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n"
      "<style>{}</style>\n</head>\n",
      lang == Lang::ja ? "ja" : "en", escape_html(title), kStyle);
}

std::string toc(Lang lang, const std::vector<Section>& sections) {
  std::string out =
      fmt::format("<nav class=\"toc\" aria-labelledby=\"toc-title\">\n<h2 id=\"toc-title\">{}</h2>\n<ol>\n",
                  escape_html(msg(lang, "report.toc")));
  for (const auto& s : sections) {
    out += fmt::format("<li><a href=\"#{}\">{}</a></li>\n", escape_html(s.id), escape_html(s.title));
  }
  return out + "</ol>\n</nav>\n";
}

std::string section_html(const Section& s) {
  return fmt::format(
      "<section id=\"{0}\" aria-labelledby=\"{0}-title\">\n<h2 id=\"{0}-title\">{1}</h2>\n{2}</section>\n",
      escape_html(s.id), escape_html(s.title), s.html);
}

// A table id becomes a file name: keep it to a plain stem so it cannot leave out_dir.
void check_file_stem(const std::string& id) {
  const bool plain =
      !id.empty() && id.front() != '.' &&
      id.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") == std::string::npos;
  if (!plain) throw Error(ErrorCode::internal, fmt::format("table id '{}' is not a plain file name stem", id));
}

// Writes to a hidden temp file beside the target, then renames it over the target.
void write_atomically(const std::filesystem::path& target, std::string_view content) {
  std::filesystem::path tmp = target;
  tmp.replace_filename("." + target.filename().string() + ".tmp");
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.close();
    if (!out) {
      std::error_code ignored;
      std::filesystem::remove(tmp, ignored);
      throw Error(ErrorCode::usage, "cannot write the report file", target.string(),
                  "check that the output directory is writable and the disk is not full");
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, target, ec);
  if (ec) {
    throw Error(ErrorCode::usage, fmt::format("cannot write the report file: {}", ec.message()), target.string(),
                "check that the output directory is writable");
  }
}

}  // namespace

Document::Document(Lang lang, std::string title, std::string subtitle)
    : lang_(lang), title_(std::move(title)), subtitle_(std::move(subtitle)) {}

void Document::add_section(Section s) { sections_.push_back(std::move(s)); }

void Document::add_table(Table t) { tables_.push_back(std::move(t)); }

std::string Document::html() const {
  std::string out = head(lang_, title_);
  out += "<body>\n<div class=\"page\">\n<header class=\"report-header\">\n";
  out += fmt::format("<h1>{}</h1>\n<p class=\"subtitle\">{}</p>\n</header>\n", escape_html(title_),
                     escape_html(subtitle_));
  out += toc(lang_, sections_) + "<main>\n";
  for (const auto& s : sections_) out += section_html(s);
  out += fmt::format("</main>\n<footer>{}</footer>\n</div>\n</body>\n</html>\n",
                     escape_html(tr(lang_, "report.generated_by", KOKO_VERSION)));
  return out;
}

void write_report(const Document& doc, const std::filesystem::path& out_dir) {
  std::set<std::string> seen;
  for (const auto& t : doc.tables()) {
    check_file_stem(t.id);
    if (!seen.insert(t.id).second) throw Error(ErrorCode::internal, fmt::format("two tables share the id '{}'", t.id));
  }
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) {
    throw Error(ErrorCode::usage, fmt::format("cannot create the report directory: {}", ec.message()), out_dir.string(),
                "choose an output directory you can write to");
  }
  for (const auto& t : doc.tables()) write_atomically(out_dir / (t.id + ".csv"), table_csv(t));
  write_atomically(out_dir / "index.html", doc.html());  // last: a complete index.html means a complete report
}

}  // namespace koko::report
