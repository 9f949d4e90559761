#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <regex>
#include <set>
#include <sstream>

#include "koko/core/error.hpp"
#include "koko/core/messages.hpp"
#include "koko/report/report.hpp"

using namespace koko;
using namespace koko::report;

namespace {

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Every key in the catalogue source, so a new key is checked without touching this test.
std::vector<std::string> catalogue_keys() {
  const std::string src = read_text(std::filesystem::path(KOKO_SOURCE_DIR) / "src/koko/core/messages.cpp");
  const std::regex key(R"re(Message\{"([a-z0-9_]+\.[a-z0-9_.]+)")re");
  std::vector<std::string> keys;
  for (auto it = std::sregex_iterator(src.begin(), src.end(), key); it != std::sregex_iterator(); ++it) {
    keys.push_back((*it)[1]);
  }
  return keys;
}

std::multiset<std::string> placeholders(std::string_view s) {
  std::multiset<std::string> out;
  const std::string text(s);
  const std::regex ph(R"(\{[^{}]*\})");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), ph); it != std::sregex_iterator(); ++it) {
    out.insert(it->str());
  }
  return out;
}

std::string lowercase_tag_name(std::string_view tag) {
  std::string name;
  for (const char c : tag) {
    if (c == ' ' || c == '\n' || c == '/' || c == '>') break;
    name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return name;
}

// A tiny well-formedness checker: every opened tag is closed in order (HTML void elements excepted).
// Returns an empty string when the markup is balanced, else what went wrong.
std::string unbalanced(std::string_view html) {
  static const std::set<std::string> kVoid = {"meta", "br", "hr", "img", "input", "link"};
  std::vector<std::string> open;
  for (size_t pos = html.find('<'); pos != std::string_view::npos; pos = html.find('<', pos + 1)) {
    const size_t end = html.find('>', pos);
    if (end == std::string_view::npos) return "unterminated tag";
    const std::string_view tag = html.substr(pos + 1, end - pos - 1);
    if (tag.starts_with("!")) continue;  // doctype
    if (tag.starts_with("/")) {
      const std::string name = lowercase_tag_name(tag.substr(1));
      if (open.empty() || open.back() != name) return "unexpected </" + name + ">";
      open.pop_back();
    } else if (!tag.ends_with("/")) {
      const std::string name = lowercase_tag_name(tag);
      if (kVoid.count(name) == 0) open.push_back(name);
      if (name == "style") pos = html.find("</style>", pos) - 1;  // CSS is not markup
    }
  }
  return open.empty() ? std::string() : "<" + open.back() + "> not closed";
}

void expect_clean_chart(const std::string& svg) {
  EXPECT_EQ(unbalanced(svg), "") << svg;
  EXPECT_TRUE(svg.starts_with("<svg ")) << svg;
  EXPECT_NE(svg.find("viewBox=\"0 0 "), std::string::npos);
  EXPECT_NE(svg.find("role=\"img\""), std::string::npos);
  EXPECT_NE(svg.find("<title>"), std::string::npos);
  std::string lower = svg;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_EQ(lower.find("nan"), std::string::npos) << svg;
  EXPECT_EQ(lower.find("inf"), std::string::npos) << svg;
  EXPECT_EQ(svg.find("font-family"), std::string::npos) << "fonts come from the page's CSS";
}

ChartOptions options(bool percent = false) {
  ChartOptions o;
  o.title = "Orders & revenue <test>";
  o.x_label = "Month";
  o.y_label = "Orders";
  o.percent = percent;
  return o;
}

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

Document sample_document(Lang lang) {
  Document doc(lang, msg(lang, "report.title").data(), tr(lang, "report.subtitle", "2024-03-31"));
  Table t{
      "overview_totals", {"Metric", "Value"}, {{"Customers", "1,234"}, {"Note", "a, \"quoted\"\nline"}}, {false, true}};
  doc.add_table(t);
  doc.add_table(Table{"overview_months", {"Month", "Orders"}, {{"2024-01", "10"}, {"2024-02", "12"}}, {false, true}});
  const std::string chart = bar_chart({"2024-01", "2024-02"}, {10, 12}, options());
  doc.add_section(Section{"overview", msg(lang, "overview.title").data(), "<p>intro</p>\n" + table_html(t) + chart});
  doc.add_section(Section{"empty", "Empty & <odd>", ""});
  return doc;
}

}  // namespace

// ---- messages ----------------------------------------------------------------------------------------------

TEST(Messages, EveryKeyHasBothLanguagesAndTheSamePlaceholders) {
  const auto keys = catalogue_keys();
  ASSERT_GE(keys.size(), 50u);
  for (const auto& key : keys) {
    const std::string_view en = msg(Lang::en, key);
    const std::string_view ja = msg(Lang::ja, key);
    EXPECT_FALSE(en.empty()) << key;
    EXPECT_FALSE(ja.empty()) << key;
    EXPECT_EQ(placeholders(en), placeholders(ja)) << key;
    for (const Lang lang : {Lang::en, Lang::ja}) {  // valid fmt syntax, no mixed automatic/manual indexing
      EXPECT_NO_THROW((void)tr(lang, key, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0)) << key;
    }
  }
}

// The keys the report and the CLI rely on; a rename must update them too.
TEST(Messages, KeysTheReportUsesExist) {
  std::istringstream used(R"(
    report.title report.subtitle report.generated_by report.toc report.csv_link report.skipped report.settings
    overview.title overview.intro overview.customers overview.orders overview.returns overview.guest_orders
    overview.gross_revenue overview.returned_amount overview.net_revenue overview.date_range overview.metric
    overview.value overview.finding_totals overview.repeat_title overview.finding_repeat overview.second_title
    overview.window_days overview.eligible overview.converted overview.rate overview.finding_second
    overview.finding_median_second overview.monthly_title overview.month overview.new_customers
    overview.active_customers overview.finding_monthly overview.cohort_title overview.cohort overview.cohort_size
    overview.months_since overview.censored_note overview.finding_cohort overview.concentration_title
    overview.top_share overview.revenue_share overview.finding_concentration overview.lorenz_title
    overview.customer_share cli.progress_rows cli.skipped_analysis)");
  for (std::string key; used >> key;) EXPECT_NO_THROW((void)msg(Lang::en, key)) << key;
}

TEST(Messages, FormatsWithPositionalArguments) {
  EXPECT_EQ(tr(Lang::en, "overview.finding_repeat", 31.4, "310", "1,000"),
            "31% of customers bought on more than one day (310 of 1,000).");
  EXPECT_EQ(tr(Lang::ja, "overview.finding_repeat", 31.4, "310", "1,000"),
            "顧客の31%（1,000人中310人）が、2日以上にわたって購入しています。");
  EXPECT_EQ(tr(Lang::en, "report.generated_by", "1.2.3"), "Made with koko 1.2.3");
}

TEST(Messages, UnknownKeyThrowsInternal) {
  try {
    (void)msg(Lang::en, "report.no_such_key");
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.code, ErrorCode::internal);
    EXPECT_NE(e.message.find("report.no_such_key"), std::string::npos);
  }
  EXPECT_THROW((void)msg(Lang::ja, ""), Error);
  EXPECT_THROW((void)msg(Lang::ja, "zzz"), Error);
}

TEST(Messages, ParsesLanguage) {
  EXPECT_EQ(parse_lang("en"), Lang::en);
  EXPECT_EQ(parse_lang("ja"), Lang::ja);
  try {
    (void)parse_lang("fr");
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.code, ErrorCode::usage);
    EXPECT_FALSE(e.hint.empty());
  }
  EXPECT_THROW((void)parse_lang(""), Error);
}

TEST(Messages, DefaultLanguageFollowsTheLocale) {
  ::setenv("LC_ALL", "", 1);
  ::setenv("LC_MESSAGES", "", 1);
  ::setenv("LANG", "ja_JP.UTF-8", 1);
  EXPECT_EQ(default_lang(), Lang::ja);
  ::setenv("LC_ALL", "C", 1);
  EXPECT_EQ(default_lang(), Lang::en);
  ::unsetenv("LC_ALL");
  ::unsetenv("LANG");
  EXPECT_EQ(default_lang(), Lang::en);
}

// ---- tables ------------------------------------------------------------------------------------------------

TEST(Report, EscapesHtml) {
  EXPECT_EQ(escape_html("a < b & \"c\" > 'd'"), "a &lt; b &amp; &quot;c&quot; &gt; &#39;d&#39;");
  EXPECT_EQ(escape_html("顧客起点"), "顧客起点");
  EXPECT_EQ(escape_html(""), "");
}

TEST(Report, TableHtmlEscapesAlignsAndLinksItsCsv) {
  const Table t{"second_purchase", {"Window", "Rate <%>"}, {{"30 & more", "12%"}, {"90"}}, {false, true}};
  const std::string html = table_html(t);
  EXPECT_EQ(unbalanced(html), "") << html;
  EXPECT_NE(html.find("<thead>"), std::string::npos);
  EXPECT_NE(html.find("<th class=\"num\">Rate &lt;%&gt;</th>"), std::string::npos) << html;
  EXPECT_NE(html.find("<td>30 &amp; more</td><td class=\"num\">12%</td>"), std::string::npos) << html;
  EXPECT_NE(html.find("<td>90</td><td class=\"num\"></td>"), std::string::npos) << "short rows are padded";
  EXPECT_NE(html.find("href=\"second_purchase.csv\""), std::string::npos);
}

TEST(Report, CsvQuotesPerRfc4180WithLfLineEnds) {
  const Table t{"t", {"name", "note"}, {{"a,b", "say \"hi\""}, {"line\nbreak", "cr\rhere"}, {"plain", ""}}, {}};
  EXPECT_EQ(table_csv(t),
            "name,note\n"
            "\"a,b\",\"say \"\"hi\"\"\"\n"
            "\"line\nbreak\",\"cr\rhere\"\n"
            "plain,\n");
}

// ---- charts ------------------------------------------------------------------------------------------------

TEST(Charts, BarChartIsWellFormedForOrdinaryEmptyZeroAndBadData) {
  expect_clean_chart(bar_chart({"2024-01", "2024-02", "2024-03"}, {1200, 3400.5, 980}, options()));
  expect_clean_chart(bar_chart({}, {}, options()));
  expect_clean_chart(bar_chart({"a", "b"}, {0, 0}, options(true)));
  expect_clean_chart(bar_chart({"a", "b", "c"}, {kNaN, kInf, -kInf}, options()));
  expect_clean_chart(bar_chart({"a", "b", "c"}, {-5, 3, 12}, ChartOptions{}));
}

TEST(Charts, BarChartHasOneBarPerValueAndNiceTicks) {
  const std::string svg = bar_chart({"a", "b", "c"}, {3, 7, 9.5}, options());
  size_t bars = 0;
  for (size_t p = svg.find("<rect"); p != std::string::npos; p = svg.find("<rect", p + 1)) ++bars;
  EXPECT_EQ(bars, 3u);
  EXPECT_NE(svg.find(">10</text>"), std::string::npos) << "axis ends on a round number: " << svg;
  EXPECT_NE(svg.find("Orders &amp; revenue &lt;test&gt;"), std::string::npos) << "title escaped";
}

TEST(Charts, PercentAxisShowsPercentages) {
  const std::string svg = bar_chart({"30", "90", "365"}, {0.12, 0.25, 0.37}, options(true));
  EXPECT_NE(svg.find(">40%</text>"), std::string::npos) << svg;
  EXPECT_NE(svg.find(">0%</text>"), std::string::npos) << svg;
}

TEST(Charts, LineChartDrawsEverySeriesWithALegend) {
  const std::vector<Series> series = {{"Orders", {10, 12, kNaN, 15}}, {"New customers", {4, 5, 6, 7}}, {"Empty", {}}};
  const std::string svg = line_chart({"Jan", "Feb", "Mar", "Apr"}, series, options());
  expect_clean_chart(svg);
  EXPECT_NE(svg.find(">New customers</text>"), std::string::npos);
  EXPECT_NE(svg.find("M"), std::string::npos);
  expect_clean_chart(line_chart({}, {}, options()));
  expect_clean_chart(line_chart({"a"}, {{"only", {0}}}, options(true)));
}

TEST(Charts, HeatmapColoursCellsAndLeavesMissingOnesBlank) {
  const std::vector<std::vector<std::optional<double>>> cells = {
      {1.0, 0.2, 0.1}, {1.0, 0.15, std::nullopt}, {1.0, std::nullopt, std::nullopt}};
  const std::string svg = heatmap({"2024-01", "2024-02", "2024-03"}, {"0", "1", "2"}, cells, options(true));
  expect_clean_chart(svg);
  size_t rects = 0;
  for (size_t p = svg.find("<rect"); p != std::string::npos; p = svg.find("<rect", p + 1)) ++rects;
  EXPECT_EQ(rects, 6u) << "one rect per value, none for nullopt";
  EXPECT_NE(svg.find(">100%</text>"), std::string::npos) << svg;
  EXPECT_NE(svg.find(">15%</text>"), std::string::npos) << svg;
  expect_clean_chart(heatmap({}, {}, {}, options(true)));
  expect_clean_chart(heatmap({"a"}, {"0"}, {{0.0}}, options(true)));
  expect_clean_chart(heatmap({"a"}, {"0", "1"}, {{kNaN, kInf}}, options()));
}

TEST(Charts, LorenzChartHasCurveAndDashedEquality) {
  const std::string svg = lorenz_chart({{0, 0}, {0.5, 0.1}, {0.9, 0.4}, {1, 1}}, options(true));
  expect_clean_chart(svg);
  EXPECT_NE(svg.find("stroke-dasharray"), std::string::npos);
  EXPECT_NE(svg.find(">100%</text>"), std::string::npos);
  EXPECT_NE(svg.find("<path"), std::string::npos);
  expect_clean_chart(lorenz_chart({}, options(true)));
  expect_clean_chart(lorenz_chart({{0, 0}, {kNaN, 0.5}, {1, 1}}, ChartOptions{}));
}

TEST(Charts, AreDeterministic) {
  const auto make = [] {
    return bar_chart({"a", "b"}, {1.0 / 3, 2.0 / 3}, options(true)) +
           line_chart({"a", "b"}, {{"s", {0.1, 0.7}}}, options()) + heatmap({"r"}, {"c"}, {{0.33}}, options(true)) +
           lorenz_chart({{0, 0}, {0.3, 0.1}, {1, 1}}, options());
  };
  EXPECT_EQ(make(), make());
}

// ---- document ----------------------------------------------------------------------------------------------

TEST(Document, IsACompleteSelfContainedPage) {
  for (const Lang lang : {Lang::en, Lang::ja}) {
    const std::string html = sample_document(lang).html();
    EXPECT_TRUE(html.starts_with("<!doctype html>\n"));
    EXPECT_NE(html.find(lang == Lang::ja ? "<html lang=\"ja\">" : "<html lang=\"en\">"), std::string::npos);
    EXPECT_NE(html.find("<meta charset=\"utf-8\">"), std::string::npos);
    EXPECT_NE(html.find("name=\"viewport\""), std::string::npos);
    EXPECT_NE(html.find("Hiragino Sans"), std::string::npos);
    EXPECT_NE(html.find("@media print"), std::string::npos);
    EXPECT_NE(html.find("<a href=\"#overview\">"), std::string::npos) << "table of contents";
    EXPECT_NE(html.find("<section id=\"overview\""), std::string::npos);
    EXPECT_NE(html.find("Empty &amp; &lt;odd&gt;"), std::string::npos);
    EXPECT_NE(html.find(tr(lang, "report.generated_by", KOKO_VERSION)), std::string::npos);
    EXPECT_EQ(html.find("http://"), std::string::npos) << "no network";
    EXPECT_EQ(html.find("https://"), std::string::npos) << "no network";
    EXPECT_EQ(html.find("url("), std::string::npos) << "no external resources";
    EXPECT_EQ(unbalanced(html), "");
  }
  EXPECT_NE(sample_document(Lang::ja).html().find("顧客起点レポート"), std::string::npos);
}

TEST(Document, IsDeterministic) { EXPECT_EQ(sample_document(Lang::ja).html(), sample_document(Lang::ja).html()); }

TEST(Document, WriteReportWritesIndexAndCsvs) {
  const auto dir = std::filesystem::path(::testing::TempDir()) / "koko_test_report" / "nested";
  std::filesystem::remove_all(dir.parent_path());
  const Document doc = sample_document(Lang::en);
  write_report(doc, dir);
  EXPECT_EQ(read_text(dir / "index.html"), doc.html());
  EXPECT_EQ(read_text(dir / "overview_totals.csv"), table_csv(doc.tables()[0]));
  EXPECT_EQ(read_text(dir / "overview_months.csv"), "Month,Orders\n2024-01,10\n2024-02,12\n");
  write_report(doc, dir);  // again, over the existing files
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    EXPECT_FALSE(e.path().filename().string().starts_with(".")) << "temp file left: " << e.path();
    ++files;
  }
  EXPECT_EQ(files, 3u);
  std::filesystem::remove_all(dir.parent_path());
}

TEST(Document, WriteReportRefusesUnsafeTableIds) {
  Document doc(Lang::en, "t", "s");
  doc.add_table(Table{"../escape", {"a"}, {}, {}});
  const auto dir = std::filesystem::path(::testing::TempDir()) / "koko_test_report_unsafe";
  EXPECT_THROW(write_report(doc, dir), Error);
  EXPECT_FALSE(std::filesystem::exists(dir / "index.html"));
  std::filesystem::remove_all(dir);
}
