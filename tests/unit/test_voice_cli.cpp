// koko voice from the command line, as a user runs it: import (with bad input), the user dictionary, sentiment
// training and evaluation, search with KWIC, the report section and `koko analyze` with a texts file.
#include <gtest/gtest.h>
#include <sched.h>

#include <filesystem>
#include <string>

#include "data_dir.hpp"
#include "koko_run.hpp"

using namespace koko_test;

namespace {

const fs::path kFixtures = fs::path(KOKO_SOURCE_DIR) / "tests" / "fixtures" / "voice";

using koko_test::data_dir;

}  // namespace

TEST(VoiceCli, ImportHandwrittenTexts) {
  TempDir d;
  const auto r = koko(d, {"voice", "import", (kFixtures / "texts.csv").string()});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_TRUE(contains(r.err, "9 rows read, 8 texts kept, 0 rejected")) << r.err;
  EXPECT_TRUE(contains(r.err, "1 empty texts left out")) << r.err;
  EXPECT_TRUE(contains(r.err, "1 interview, 1 keyword, 4 review, 1 social, 1 survey")) << r.err;
  EXPECT_TRUE(contains(r.err, "other columns kept: branch")) << r.err;
  // No orders yet: every named customer is unknown, and every text is kept.
  EXPECT_TRUE(contains(r.err, "7 texts with a customer ID (7 not among the workspace's customers, kept)")) << r.err;
  EXPECT_TRUE(contains(r.err, "dates 2024-01-15 to 2024-03-07")) << r.err;

  // The same file twice is refused; --replace imports it again in its place.
  const auto again = koko(d, {"voice", "import", (kFixtures / "texts.csv").string()});
  EXPECT_EQ(again.code, 2) << describe(again);
  EXPECT_TRUE(contains(again.err, "already imported as texts")) << again.err;
  const auto replaced = koko(d, {"voice", "import", (kFixtures / "texts.csv").string(), "--replace"});
  EXPECT_EQ(replaced.code, 0) << describe(replaced);
  const auto texts = koko(d, {"export", "voice_texts"});
  ASSERT_EQ(texts.code, 0) << describe(texts);
  EXPECT_TRUE(contains(texts.out, "Full-width TEXT & emoji 👍 was fine")) << texts.out;  // NFKC, entity
  EXPECT_TRUE(contains(texts.out, "The room was dirty.\nNever again.")) << texts.out;   // <br>
  EXPECT_TRUE(contains(texts.out, "{\"\"branch\"\":\"\"渋谷\"\"}")) << texts.out;
  size_t rows = 0;
  for (char c : texts.out) rows += c == '\n' ? 1 : 0;
  EXPECT_GE(rows, 9u);  // header + 8 texts (one has a line break inside quotes)
}

TEST(VoiceCli, OneCoreImportStoresWhatTheThreadedOneDoes) {
  // On a single core the import tokenises on its reading thread instead of on workers; the stored texts,
  // sentences and tokens must not depend on it. The child inherits this process's CPU affinity.
  cpu_set_t all;
  ASSERT_EQ(sched_getaffinity(0, sizeof all, &all), 0);
  cpu_set_t one;
  CPU_ZERO(&one);
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &all)) {
      CPU_SET(c, &one);
      break;
    }
  const fs::path ja = data_dir() / "ja-quasi-reviews" / "quasi_japanese_reviews.csv";
  ASSERT_TRUE(fs::exists(ja)) << "missing data set: ja-quasi-reviews (" << ja << "); set KOKO_DATA";
  for (const fs::path& file : {fs::path(KOKO_SOURCE_DIR) / "data" / "sample" / "texts.csv", ja}) {
    TempDir single, threaded;
    ASSERT_EQ(sched_setaffinity(0, sizeof one, &one), 0);
    const auto r1 = koko(single, {"voice", "import", file.string(), "--threads", "2"});
    ASSERT_EQ(sched_setaffinity(0, sizeof all, &all), 0);
    ASSERT_EQ(r1.code, 0) << describe(r1);
    const auto r2 = koko(threaded, {"voice", "import", file.string(), "--threads", "2"});
    ASSERT_EQ(r2.code, 0) << describe(r2);
    for (const std::string table : {"texts", "text_sentences", "text_tokens", "text_terms"}) {
      const auto e1 = koko(single, {"export", table});
      const auto e2 = koko(threaded, {"export", table});
      ASSERT_EQ(e1.code, 0) << describe(e1);
      EXPECT_GT(e1.out.size(), 100u) << file << " " << table;
      EXPECT_TRUE(e1.out == e2.out) << file << " " << table << " differs";  // not printed: megabytes
    }
  }
}

TEST(VoiceCli, SearchFindsShortJapaneseTermsWithKwic) {
  TempDir d;
  ASSERT_EQ(koko(d, {"voice", "import", (kFixtures / "texts.csv").string()}).code, 0);
  // 朝食 and 接客 have two characters: FTS5 trigram cannot match them; the LIKE path does.
  auto r = koko(d, {"voice", "search", "朝食"});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_TRUE(contains(r.out, "[朝食] がとても美味しかったです。")) << r.out;
  EXPECT_TRUE(contains(r.out, "Great location.  [朝食] バイキング")) << r.out;
  EXPECT_TRUE(contains(r.err, "2 texts, 2 occurrences")) << r.err;
  r = koko(d, {"voice", "search", "接客"});
  EXPECT_TRUE(contains(r.err, "2 texts, 2 occurrences")) << r.err;
  r = koko(d, {"voice", "search", "接客", "--sentiment", "negative"});
  EXPECT_TRUE(contains(r.err, "1 texts, 1 occurrences")) << r.err;
  EXPECT_TRUE(contains(r.out, "social")) << r.out;
  // Three or more characters go through the trigram index, case-insensitively.
  r = koko(d, {"voice", "search", "BREAKFAST"});
  EXPECT_TRUE(contains(r.out, "[breakfast]")) << r.out;
  r = koko(d, {"voice", "search", "the room was"});
  EXPECT_TRUE(contains(r.err, "1 texts")) << r.err;
  // Filters.
  r = koko(d, {"voice", "search", "スタッフ", "--source", "survey"});
  EXPECT_TRUE(contains(r.err, "0 texts")) << r.err;
  r = koko(d, {"voice", "search", "朝食", "--from", "2024-03-01", "--out", "kwic.csv"});
  EXPECT_TRUE(contains(r.err, "1 texts")) << r.err;
  const auto csv = read_text(d.path / "kwic.csv");
  EXPECT_TRUE(contains(csv, "text,text_id,source,date,customer_id,sentiment,left,keyword,right\n")) << csv;
  EXPECT_TRUE(contains(csv, ",t8,interview,2024-03-05,C002,")) << csv;
}

TEST(VoiceCli, BadInput) {
  TempDir d;
  // Invalid UTF-8 in the second text: the error gives the byte offset; --on-error skip keeps the rest.
  write_text(d.path / "bad.csv", "text,source\n\"good text\",review\n\"bad \xFF\xFE text\",review\n\"fine\",review\n");
  auto r = koko(d, {"voice", "import", "bad.csv"});
  EXPECT_EQ(r.code, 3) << describe(r);
  EXPECT_TRUE(contains(r.err, "invalid UTF-8")) << r.err;
  EXPECT_TRUE(contains(r.err, "byte offset")) << r.err;
  EXPECT_FALSE(fs::exists(d.path / "v.db"));  // a failed first import leaves no workspace
  r = koko(d, {"voice", "import", "bad.csv", "--on-error", "skip", "--rejects", "rejected.csv"});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_TRUE(contains(r.err, "3 rows read, 2 texts kept, 1 rejected")) << r.err;
  EXPECT_TRUE(contains(read_text(d.path / "rejected.csv"), "invalid UTF-8")) << read_text(d.path / "rejected.csv");

  // An unknown source and a bad date name the column and the value.
  write_text(d.path / "src.csv", "text,source,date\nhello,blog,2024-01-01\nhi,review,yesterday\n");
  r = koko(d, {"voice", "import", "src.csv"});
  EXPECT_EQ(r.code, 3) << describe(r);
  EXPECT_TRUE(contains(r.err, "'blog' is not a source")) << r.err;
  r = koko(d, {"voice", "import", "src.csv", "--on-error", "skip"});
  EXPECT_TRUE(contains(r.err, "2 rows read, 0 texts kept, 2 rejected")) << r.err;

  // A single 5 MB text.
  std::string big = "text\n\"";
  while (big.size() < 5'000'000) big += "The dress is lovely but runs small. 生地がとても柔らかい。";
  big += "\"\n";
  write_text(d.path / "big.csv", big);
  r = koko(d, {"voice", "import", "big.csv", "--source", "review"});
  EXPECT_EQ(r.code, 0) << describe(r);
  EXPECT_TRUE(contains(r.err, "1 rows read, 1 texts kept")) << r.err;

  // No text column.
  write_text(d.path / "none.csv", "comment_id,stars\n1,5\n");
  r = koko(d, {"voice", "import", "none.csv"});
  EXPECT_EQ(r.code, 3) << describe(r);
  EXPECT_TRUE(contains(r.err, "--map text=COLUMN")) << r.err;
}

TEST(VoiceCli, MissingMecabDictionaryNamesThePackage) {
  TempDir d;
  setenv("KOKO_MECAB_DICDIR", "/nonexistent/ipadic", 1);
  const auto r = koko(d, {"voice", "import", (kFixtures / "texts.csv").string()});
  unsetenv("KOKO_MECAB_DICDIR");
  EXPECT_EQ(r.code, 6) << describe(r);
  EXPECT_TRUE(contains(r.err, "mecab-ipadic-utf8")) << r.err;
}

TEST(VoiceCli, DamagedMecabDictionaryIsAnErrorNamingTheFile) {
  TempDir d;
  const fs::path dic = d.path / "ipadic";
  fs::create_directories(dic);
  const fs::path installed = "/var/lib/mecab/dic/ipadic-utf8";  // where Debian's mecab-ipadic-utf8 puts it
  ASSERT_TRUE(fs::exists(installed / "sys.dic")) << "mecab-ipadic-utf8 is not installed";
  for (const char* f : {"sys.dic", "unk.dic", "char.bin", "matrix.bin", "dicrc"}) fs::copy_file(installed / f, dic / f);
  fs::resize_file(dic / "sys.dic", 4096);  // the header survives, the rest is gone
  setenv("KOKO_MECAB_DICDIR", dic.c_str(), 1);
  const auto r = koko(d, {"voice", "import", (kFixtures / "texts.csv").string()});
  unsetenv("KOKO_MECAB_DICDIR");
  EXPECT_EQ(r.code, 6) << describe(r);
  EXPECT_TRUE(contains(r.err, "sys.dic")) << r.err;
  EXPECT_TRUE(contains(r.err, "reinstall mecab-ipadic-utf8")) << r.err;
  // Nothing of the import was kept.
  EXPECT_NE(koko(d, {"voice", "search", "朝食"}).code, 0);
}

TEST(VoiceCli, UserDictionaryRetokenises) {
  TempDir d;
  ASSERT_EQ(koko(d, {"voice", "import", (kFixtures / "texts.csv").string()}).code, 0);
  auto terms = koko(d, {"voice", "tokens", "朝食バイキングは種類が少なかった"});
  EXPECT_TRUE(contains(terms.out, "*朝食\t朝食\tnoun\n*バイキング\t")) << terms.out;
  auto r = koko(d, {"voice", "dict", "add", "--file", (kFixtures / "dictionary.csv").string()});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_TRUE(contains(r.err, "3 words added, 0 already there; 8 texts re-tokenised")) << r.err;
  terms = koko(d, {"voice", "tokens", "朝食バイキングは種類が少なかった"});
  EXPECT_TRUE(contains(terms.out, "*朝食バイキング\t朝食バイキング\tuser\n")) << terms.out;
  EXPECT_TRUE(contains(terms.out, "sentiment -")) << terms.out;
  // The stored tokens changed too: the compound is now a phrase-free single term.
  r = koko(d, {"report", "--out", "rep"});
  EXPECT_TRUE(contains(read_text(d.path / "rep" / "voice_top_terms.csv"), "朝食バイキング"))
      << read_text(d.path / "rep" / "voice_top_terms.csv");
  r = koko(d, {"voice", "dict", "list"});
  EXPECT_TRUE(contains(r.out, "ユニクロ\tproper_noun")) << r.out;
  r = koko(d, {"voice", "dict", "add", "スマートフォン"});
  EXPECT_TRUE(contains(r.err, "1 words added")) << r.err;
  r = koko(d, {"voice", "dict", "remove", "ユニクロ"});
  EXPECT_TRUE(contains(r.err, "1 words removed")) << r.err;
}

TEST(VoiceCli, SentimentTrainEvalAndReport) {
  TempDir d;
  ASSERT_EQ(koko(d, {"voice", "import", (kFixtures / "texts.csv").string()}).code, 0);
  auto r = koko(d, {"voice", "sentiment", "eval", (kFixtures / "labelled.csv").string(), "--json"});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_TRUE(contains(r.out, "\"texts\": 30")) << r.out;
  EXPECT_TRUE(contains(r.out, "\"model\": null")) << r.out;
  r = koko(d, {"voice", "sentiment", "train", (kFixtures / "labelled.csv").string()});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_TRUE(contains(r.err, "8 stored texts relabelled")) << r.err;
  r = koko(d, {"voice", "sentiment", "show"});
  EXPECT_TRUE(contains(r.out, "trained on 30 texts")) << r.out;
  r = koko(d, {"voice", "sentiment", "eval", (kFixtures / "labelled.csv").string()});
  EXPECT_TRUE(contains(r.out, "classifier: macro-F1")) << r.out;

  r = koko(d, {"report", "--out", "rep", "--lang", "ja"});
  ASSERT_EQ(r.code, 0) << describe(r);
  const auto html = read_text(d.path / "rep" / "index.html");
  EXPECT_TRUE(contains(html, "顧客の声")) << html.substr(0, 500);
  EXPECT_TRUE(contains(html, "ソース別の感情"));
  EXPECT_TRUE(contains(html, "感情の推移"));
  EXPECT_TRUE(fs::exists(d.path / "rep" / "voice_sentiment_by_source.csv"));
  EXPECT_TRUE(fs::exists(d.path / "rep" / "voice_sentiment_monthly.csv"));
  r = koko(d, {"voice", "sentiment", "forget"});
  EXPECT_TRUE(contains(r.err, "classifier dropped")) << r.err;
  r = koko(d, {"report", "--out", "rep-en", "--lang", "en"});
  EXPECT_TRUE(contains(read_text(d.path / "rep-en" / "index.html"), "Voice of the customer"));
}

TEST(VoiceCli, AnalyzeFindsTextsFile) {
  TempDir d;
  const fs::path in = d.path / "in";
  fs::create_directories(in);
  fs::copy_file(kFixtures / "texts.csv", in / "texts.csv");
  const auto r = run_koko({"-w", (d.path / "a.db").string(), "analyze", in.string(), "--out", "rep"}, d.path);
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_TRUE(contains(r.err, "imported texts from")) << r.err;
  EXPECT_TRUE(contains(r.err, "ran voice")) << r.err;
  EXPECT_TRUE(contains(read_text(d.path / "rep" / "index.html"), "Voice of the customer"));
}

TEST(VoiceCli, RealReviewsEndToEnd) {
  TempDir d;
  const auto file = data_dir() / "womens-clothing-reviews" / "womens_clothing_reviews.csv.gz";
  ASSERT_TRUE(fs::exists(file)) << "missing data set: womens-clothing-reviews (" << file << "); set KOKO_DATA";
  auto r = koko(d, {"voice", "import", file.string(), "--map", "text=Review Text", "--map", "rating=Rating"});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_TRUE(contains(r.err, "23,486 rows read, 22,641 texts kept, 0 rejected")) << r.err;
  EXPECT_TRUE(contains(r.err, "845 empty texts left out")) << r.err;
  const auto ja = data_dir() / "ja-quasi-reviews" / "quasi_japanese_reviews.csv";
  ASSERT_TRUE(fs::exists(ja)) << "missing data set: ja-quasi-reviews (" << ja << "); set KOKO_DATA";
  r = koko(d, {"voice", "import", ja.string()});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_TRUE(contains(r.err, "758 rows read, 758 texts kept")) << r.err;
  r = koko(d, {"report", "--out", "rep"});
  ASSERT_EQ(r.code, 0) << describe(r);
  const auto phrases = koko(d, {"export", "voice_phrases"}).out;
  // Hand-checked collocations: fixed phrases of clothing reviews, and Japanese compounds that MeCab splits
  // (バイキング + 形式, 送迎 + バス).
  EXPECT_TRUE(contains(phrases, "en,well made,")) << phrases.substr(0, 1500);
  EXPECT_TRUE(contains(phrases, "en,skinny jeans,")) << phrases.substr(0, 1500);
  EXPECT_TRUE(contains(phrases, "en,runs large,")) << phrases.substr(0, 1500);
  EXPECT_TRUE(contains(phrases, "ja,バイキング形式,")) << phrases.substr(0, 3000);
  EXPECT_TRUE(contains(phrases, "ja,送迎バス,")) << phrases.substr(0, 3000);
  EXPECT_TRUE(contains(phrases, "\nja,")) << phrases.substr(0, 3000);
}

TEST(VoiceCli, JsonLines) {
  TempDir d;
  write_text(d.path / "posts.jsonl",
             "{\"text\": \"朝食が美味しかった\", \"source\": \"social\", \"date\": \"2024-05-01\", \"likes\": 3}\n"
             "{\"text\": \"Terrible service.\", \"source\": \"review\", \"date\": \"2024年5月2日\", \"likes\": 0}\n");
  auto r = koko(d, {"voice", "import", "posts.jsonl"});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_TRUE(contains(r.err, "2 rows read, 2 texts kept, 0 rejected")) << r.err;
  EXPECT_TRUE(contains(r.err, "sentiment (lexicon): 1 positive, 0 neutral, 1 negative")) << r.err;
  EXPECT_TRUE(contains(r.err, "dates 2024-05-01 to 2024-05-02")) << r.err;
  EXPECT_TRUE(contains(r.err, "other columns kept: likes")) << r.err;
  r = koko(d, {"voice", "search", "service", "--sentiment", "negative"});
  EXPECT_TRUE(contains(r.out, "Terrible  [service]")) << r.out;
}
