// Voice part 2 from the command line on real data: distinctive language of recommended vs not-recommended clothing
// reviews, themes that separate Japanese hotel and sightseeing reviews, the core experience on the bundled
// sample, the codebook round trip, and every bad input the issue names.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>

#include "csv_text.hpp"
#include "data_dir.hpp"
#include "koko_run.hpp"

using namespace koko_test;

namespace {

using koko_test::data_dir;

size_t column(const std::vector<std::string>& header, const std::string& name) {
  for (size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return i;
  ADD_FAILURE() << "no column " << name;
  return 0;
}

}  // namespace

TEST(ThemesCli, ClothingReviewsRecommendedVsNot) {
  TempDir d;
  const auto file = data_dir() / "womens-clothing-reviews" / "womens_clothing_reviews.csv.gz";
  ASSERT_TRUE(fs::exists(file)) << "missing data set: womens-clothing-reviews (" << file << "); set KOKO_DATA";
  auto r = koko(d, {"voice", "import", file.string(), "--map", "text=Review Text", "--map", "rating=Rating"});
  ASSERT_EQ(r.code, 0) << describe(r);
  r = koko(d, {"voice", "contrast", "--group", "Recommended IND", "--a", "0", "--b", "1", "--top", "25", "--out",
               "contrast.csv"});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_TRUE(contains(r.out, "A = 0 (4,101 texts), B = 1 (18,540 texts)")) << r.out;
  const auto rows = csv_rows(read_text(d.path / "contrast.csv"));
  ASSERT_GT(rows.size(), 50u);
  const auto& h = rows[0];
  const size_t side = column(h, "side"), unit = column(h, "unit"), key = column(h, "key"), z = column(h, "z");
  std::set<std::string> not_recommended, recommended;
  for (size_t i = 1; i < rows.size(); ++i) {
    if (rows[i][unit] != "term") continue;
    (rows[i][side] == "a" ? not_recommended : recommended).insert(rows[i][key]);
    if (rows[i][side] == "a") {
      EXPECT_GT(std::stod(rows[i][z]), 0) << rows[i][key];
    } else {
      EXPECT_LT(std::stod(rows[i][z]), 0) << rows[i][key];
    }
  }
  EXPECT_EQ(not_recommended.size(), 25u);
  EXPECT_EQ(recommended.size(), 25u);
  // The plain log-odds reference words of the issue: at least 4 of each six among the top 25 of the right side.
  auto hits = [](const std::set<std::string>& top, std::initializer_list<const char*> words) {
    size_t n = 0;
    for (const char* w : words) n += top.contains(w) ? 1 : 0;
    return n;
  };
  EXPECT_GE(hits(not_recommended, {"disappointed", "unfortunately", "cheap", "returned", "unflattering", "sadly"}), 4u)
      << r.out;
  EXPECT_GE(hits(recommended, {"love", "perfect", "great", "comfortable", "soft", "compliments"}), 4u) << r.out;
  // Phrases are contrasted too.
  EXPECT_TRUE(contains(r.out, "phrases distinctive of 0:")) << r.out;
}

TEST(ThemesCli, JapaneseHotelAndSightseeingReviewsSeparate) {
  TempDir d;
  const auto file = data_dir() / "ja-quasi-reviews" / "quasi_japanese_reviews.csv";
  ASSERT_TRUE(fs::exists(file)) << "missing data set: ja-quasi-reviews (" << file << "); set KOKO_DATA";
  auto r = koko(d, {"voice", "import", file.string(), "--map", "id=review_id"});
  ASSERT_EQ(r.code, 0) << describe(r);
  r = koko(d, {"voice", "themes"});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_TRUE(contains(r.out, "758 texts (ja): ")) << r.out;
  const auto first = koko(d, {"export", "voice_quotes"}).out;
  const auto quotes = csv_rows(first);
  ASSERT_EQ(quotes.size(), 759u);
  const auto& h = quotes[0];
  const size_t theme = column(h, "theme"), text_id = column(h, "text_id"), quote = column(h, "quote");
  std::map<std::string, std::map<std::string, int>> kinds;  // theme → kind → texts
  for (size_t i = 1; i < quotes.size(); ++i) {
    const auto& id = quotes[i][text_id];
    const std::string kind = contains(id, ".hotel.") ? "hotel" : (contains(id, ".spot.") ? "spot" : "?");
    ++kinds[quotes[i][theme]][kind];
    EXPECT_FALSE(quotes[i][quote].empty()) << id;
  }
  int majority = 0;
  for (const auto& [t, k] : kinds) {
    int best = 0;
    for (const auto& [kind, n] : k) best = std::max(best, n);
    majority += best;
  }
  const double purity = majority / 758.0;
  EXPECT_GE(purity, 0.85) << r.out;
  EXPECT_GE(kinds.size(), 4u);
  EXPECT_LE(kinds.size(), 12u);
  // The number of themes was chosen by coherence over 4..12, and is reported.
  const auto k = csv_rows(koko(d, {"export", "voice_theme_k"}).out);
  EXPECT_EQ(k.size(), 10u);
  // Same input, same themes.
  r = koko(d, {"voice", "themes"});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_EQ(koko(d, {"export", "voice_quotes"}).out, first);
}

TEST(ThemesCli, SampleShowsTheCoreExperience) {
  TempDir d;
  const fs::path sample = fs::path(KOKO_SOURCE_DIR) / "data" / "sample";
  auto r = koko(d, {"analyze", sample.string(), "--out", "rep", "--lang", "en"});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_TRUE(contains(r.err, "ran themes")) << r.err;
  const auto html = read_text(d.path / "rep" / "index.html");
  EXPECT_TRUE(contains(html, "Themes and the core experience"));
  EXPECT_TRUE(contains(html, "The texts in this sample are synthetic"));
  EXPECT_TRUE(contains(html, "of core customers express"));
  EXPECT_TRUE(contains(html, "Who can reach it"));
  EXPECT_TRUE(contains(html, "Distinctive language: core vs other"));
  // The generator built in a discovery experience of engaged customers, first told months after the first purchase.
  const auto core = csv_rows(koko(d, {"export", "voice_core_experience"}).out);
  ASSERT_GE(core.size(), 2u);
  const auto& h = core[0];
  EXPECT_EQ(core[1][column(h, "kind")], "theme");
  EXPECT_TRUE(contains(core[1][column(h, "key")], "new artist")) << core[1][column(h, "key")];
  EXPECT_GT(std::stod(core[1][column(h, "core_share")]), 4 * std::stod(core[1][column(h, "other_share")]));
  EXPECT_GT(std::stod(core[1][column(h, "median_days")]), 90);
  // ... and more often among customers who tried many stores.
  const auto reach = csv_rows(koko(d, {"export", "voice_core_reach"}).out);
  ASSERT_GE(reach.size(), 2u);
  EXPECT_EQ(reach[1][column(reach[0], "attribute")], "music_habit");
  EXPECT_EQ(reach[1][column(reach[0], "level")], "tried many stores");
  EXPECT_GT(std::stod(reach[1][column(reach[0], "lift")]), 1.5);
  r = koko(d, {"voice", "core-experience"});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_TRUE(contains(r.out, "% of core customers express it vs")) << r.out;
  EXPECT_TRUE(contains(r.out, "who reaches it:")) << r.out;
  r = koko(d, {"report", "--out", "rep-ja", "--lang", "ja"});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_TRUE(contains(read_text(d.path / "rep-ja" / "index.html"), "コア体験"));
}

TEST(ThemesCli, CodebookRoundTrip) {
  TempDir d;
  const fs::path sample = fs::path(KOKO_SOURCE_DIR) / "data" / "sample";
  auto r = koko(d, {"voice", "import", (sample / "texts.csv").string()});
  ASSERT_EQ(r.code, 0) << describe(r);
  r = koko(d, {"voice", "themes", "--k", "6", "--export-codebook", "codebook.csv"});
  ASSERT_EQ(r.code, 0) << describe(r);
  auto book = csv_rows(read_text(d.path / "codebook.csv"));
  ASSERT_EQ(book.size(), 7u);
  EXPECT_EQ(book[0][0], "name");
  // A researcher names the discovery theme and keeps it.
  std::string edited = "name,description,terms\n";
  for (size_t i = 1; i < book.size(); ++i) {
    const bool discovery = contains(book[i][2], "discovering");
    edited += (discovery ? std::string("Finding new music") : book[i][0]) + "," +
              (discovery ? "Customers discover artists and genres through samples" : "") + ",\"" + book[i][2] + "\"\n";
  }
  write_text(d.path / "mine.csv", edited);
  r = koko(d, {"voice", "themes", "--k", "6", "--codebook", "mine.csv"});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_TRUE(contains(r.out, "Finding new music")) << r.out;
  // Kept in the workspace: a later run without --codebook keeps the name.
  r = koko(d, {"voice", "themes", "--k", "6"});
  EXPECT_TRUE(contains(r.out, "Finding new music")) << r.out;
  EXPECT_TRUE(contains(koko(d, {"export", "voice_quotes"}).out, "Finding new music"));
  write_text(d.path / "bad.csv", "name,description\nA,b\n");
  r = koko(d, {"voice", "themes", "--codebook", "bad.csv"});
  EXPECT_NE(r.code, 0);
  EXPECT_TRUE(contains(r.err, "a codebook needs name and terms columns")) << r.err;
}

TEST(ThemesCli, BadInput) {
  TempDir d;
  // 30 texts over 10 words, each word in 9 of them.
  const char* words[] = {"shipping", "packaging", "price", "discount", "search",
                         "checkout", "gift",      "jazz",  "imports",  "refund"};
  std::string csv = "id,kind,text\n";
  for (int i = 0; i < 30; ++i)
    csv += "T" + std::to_string(i) + "," + (i < 28 ? "a" : "b") + "," + words[i % 10] + " " + words[(i + 3) % 10] +
           " " + words[(i + 7) % 10] + "\n";
  write_text(d.path / "texts.csv", csv);
  auto r = koko(d, {"voice", "themes"});
  EXPECT_NE(r.code, 0);
  EXPECT_TRUE(contains(r.err, "no such workspace") || contains(r.err, "workspace")) << r.err;
  r = koko(d, {"voice", "import", "texts.csv"});
  ASSERT_EQ(r.code, 0) << describe(r);
  // k larger than the texts and terms.
  r = koko(d, {"voice", "themes", "--k", "50"});
  EXPECT_NE(r.code, 0);
  EXPECT_TRUE(contains(r.err, "50 themes asked of 30 English texts with 10 distinct terms")) << r.err;
  EXPECT_TRUE(contains(r.err, "--k 10 or fewer")) << r.err;
  r = koko(d, {"voice", "themes", "--k", "3"});
  EXPECT_EQ(r.code, 0) << describe(r);
  // Groups with too few texts, with the counts.
  r = koko(d, {"voice", "contrast", "--group", "kind", "--a", "a", "--b", "b"});
  EXPECT_NE(r.code, 0);
  EXPECT_TRUE(contains(r.err, "too few texts to compare: kind = 'a' has 28, 'b' has 2 (at least 10 each)")) << r.err;
  r = koko(d, {"voice", "contrast", "--group", "kind"});
  EXPECT_NE(r.code, 0);
  EXPECT_TRUE(contains(r.err, "which value of 'kind' is group A?")) << r.err;
  EXPECT_TRUE(contains(r.err, "a 28, b 2")) << r.err;
  r = koko(d, {"voice", "contrast", "--group", "nope"});
  EXPECT_NE(r.code, 0);
  EXPECT_TRUE(contains(r.err, "no text column or customer attribute named 'nope'")) << r.err;
  EXPECT_TRUE(contains(r.err, "kind")) << r.err;
  // No core customers yet, then core customers none of whom wrote.
  r = koko(d, {"voice", "contrast", "--group", "core"});
  EXPECT_NE(r.code, 0);
  EXPECT_TRUE(contains(r.err, "no core customers yet")) << r.err;
  std::string orders = "customer_id,order_id,date,amount\n";
  for (int c = 0; c < 40; ++c)
    for (int o = 0; o <= c % 6; ++o)
      orders += "C" + std::to_string(c) + ",O" + std::to_string(c) + "-" + std::to_string(o) + ",2024-0" +
                std::to_string(1 + o) + "-1" + std::to_string(c % 10) + "," + std::to_string(20 + c) + ".00\n";
  write_text(d.path / "orders.csv", orders);
  ASSERT_EQ(koko(d, {"import", "orders", "orders.csv"}).code, 0);
  r = koko(d, {"report", "--out", "rep"});
  ASSERT_EQ(r.code, 0) << describe(r);
  r = koko(d, {"voice", "core-experience"});
  EXPECT_NE(r.code, 0);
  EXPECT_TRUE(contains(r.err, "core customers has a text (30 texts")) << r.err;
  EXPECT_TRUE(contains(r.err, "customer_id")) << r.err;
}

TEST(ThemesCli, TooFewTextsAndOnlyStopWords) {
  TempDir d;
  std::string few = "text\n";
  for (int i = 0; i < 5; ++i) few += "Great jazz imports arrived quickly.\n";
  write_text(d.path / "few.csv", few);
  ASSERT_EQ(koko(d, {"voice", "import", "few.csv"}).code, 0);
  auto r = koko(d, {"voice", "themes"});
  EXPECT_NE(r.code, 0);
  EXPECT_TRUE(contains(r.err, "5 English texts: too few for themes (at least 20)")) << r.err;
  TempDir e;
  std::string stop = "text\n";
  for (int i = 0; i < 25; ++i) stop += (i % 2 ? "It is what it is.\n" : "And then there was this.\n");
  write_text(e.path / "stop.csv", stop);
  ASSERT_EQ(koko(e, {"voice", "import", "stop.csv"}).code, 0);
  r = koko(e, {"voice", "themes"});
  EXPECT_NE(r.code, 0);
  EXPECT_TRUE(contains(r.err, "25 English texts have no words left after stop words")) << r.err;
}

TEST(ThemesCli, ColumnarTablesExportAndAWeakerPrior) {
  TempDir d;
  const fs::path sample = fs::path(KOKO_SOURCE_DIR) / "data" / "sample";
  auto r = koko(d, {"voice", "import", (sample / "texts.csv").string()});
  ASSERT_EQ(r.code, 0) << describe(r);
  // Columnar tables export as stored (the token stream, one row per content word).
  r = koko(d, {"export", "text_tokens"});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_TRUE(r.out.starts_with("text,sentence,begin,end,term,follows\n")) << r.out.substr(0, 200);
  EXPECT_GT(std::count(r.out.begin(), r.out.end(), '\n'), 3000);
  r = koko(d, {"export", "text_terms"});
  EXPECT_TRUE(r.out.starts_with("term,display,pos,lang\n")) << r.out.substr(0, 200);
  // A smaller prior weight shrinks less: the same word's log-odds ratio moves away from zero.
  r = koko(d, {"voice", "contrast", "--group", "source", "--a", "interview", "--unit", "term", "--out", "strong.csv"});
  ASSERT_EQ(r.code, 0) << describe(r);
  r = koko(d, {"voice", "contrast", "--group", "source", "--a", "interview", "--unit", "term", "--prior", "100",
               "--out", "weak.csv"});
  ASSERT_EQ(r.code, 0) << describe(r);
  const auto strong = csv_rows(read_text(d.path / "strong.csv")), weak = csv_rows(read_text(d.path / "weak.csv"));
  ASSERT_GT(strong.size(), 2u);
  ASSERT_GT(weak.size(), 2u);
  std::map<std::string, double> weak_delta;
  for (size_t i = 1; i < weak.size(); ++i) weak_delta[weak[i][2]] = std::stod(weak[i][7]);
  size_t compared = 0;
  for (size_t i = 1; i < strong.size(); ++i) {
    const auto it = weak_delta.find(strong[i][2]);
    if (it == weak_delta.end()) continue;
    ++compared;
    EXPECT_GT(std::abs(it->second), std::abs(std::stod(strong[i][7]))) << strong[i][2];
  }
  EXPECT_GT(compared, 10u);
  r = koko(d, {"voice", "contrast", "--group", "source", "--a", "interview", "--prior", "-1"});
  EXPECT_NE(r.code, 0);
}
