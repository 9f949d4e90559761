// koko's Viterbi over MeCab's dictionary (voice/mecab_lattice) against MeCab itself: the same words, offsets and
// features for every sentence of the Japanese corpora in the shared data, and for sentences built to reach MeCab's
// corner cases (spaces, long runs of one character class, characters past U+FFFF, malformed bytes).
#include <gtest/gtest.h>
#include <mecab.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "data_dir.hpp"
#include "koko/core/error.hpp"
#include "koko/io/csv.hpp"
#include "koko/voice/mecab_lattice.hpp"
#include "koko/voice/voice.hpp"

using namespace koko;
using namespace koko::voice;

namespace {

struct Seen {
  uint32_t begin = 0, length = 0;
  std::string feature;
  bool operator==(const Seen&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Seen& w) {
  return os << w.begin << "+" << w.length << " " << w.feature;
}

class Both {
 public:
  Both() : dir_(find_mecab_dictionary()), dictionary_(dir_), lattice_(dictionary_) {
    const std::string args = "mecab -r " + dir_ + "/dicrc -d " + dir_;
    model_.reset(MeCab::createModel(args.c_str()));
    tagger_.reset(model_->createTagger());
    mecab_lattice_.reset(model_->createLattice());
  }

  std::vector<Seen> mecab(std::string_view s) {
    mecab_lattice_->set_sentence(s.data(), s.size());
    mecab_lattice_->set_request_type(MECAB_ONE_BEST);
    std::vector<Seen> out;
    if (!tagger_->parse(mecab_lattice_.get())) return out;
    for (const MeCab::Node* n = mecab_lattice_->bos_node()->next; n != nullptr && n->stat != MECAB_EOS_NODE;
         n = n->next)
      out.push_back({static_cast<uint32_t>(n->surface - s.data()), n->length, n->feature});
    return out;
  }

  // nullopt-like: false when koko leaves the sentence to MeCab.
  bool koko(std::string_view s, std::vector<Seen>& out) {
    out.clear();
    if (!lattice_.parse(s, morphs_)) return false;
    for (const auto& m : morphs_) out.push_back({m.begin, m.length, m.feature});
    return true;
  }

  // Compares one sentence; returns whether koko analysed it itself.
  bool same(std::string_view s) {
    std::vector<Seen> ours;
    if (!koko(s, ours)) return false;
    const auto theirs = mecab(s);
    EXPECT_EQ(ours, theirs) << "sentence: " << s;
    return true;
  }

 private:
  std::string dir_;
  MecabDictionary dictionary_;
  MecabLattice lattice_;
  std::vector<Morph> morphs_;
  std::unique_ptr<MeCab::Model> model_;
  std::unique_ptr<MeCab::Tagger> tagger_;
  std::unique_ptr<MeCab::Lattice> mecab_lattice_;
};

std::vector<std::string> corpus_texts() {
  std::vector<std::string> texts;
  const auto data = koko_test::data_dir();
  for (const char* name : {"pn.tsv", "rhr.tsv"}) {
    std::ifstream in(data / "ja-hotel-review-sentences" / name);
    EXPECT_TRUE(in.good()) << "missing data set: ja-hotel-review-sentences; set KOKO_DATA";
    std::string line;
    while (std::getline(in, line)) {
      // id, label, text (pn.tsv) or id, text, ... (rhr.tsv): every tab-separated field with Japanese in it.
      size_t start = 0;
      for (size_t tab; start <= line.size(); start = tab + 1) {
        tab = line.find('\t', start);
        if (tab == std::string::npos) tab = line.size();
        const std::string field = line.substr(start, tab - start);
        if (field.size() > 6) texts.push_back(field);
      }
    }
  }
  const auto quasi = data / "ja-quasi-reviews" / "quasi_japanese_reviews.csv";
  EXPECT_TRUE(std::filesystem::exists(quasi)) << "missing data set: ja-quasi-reviews; set KOKO_DATA";
  if (std::filesystem::exists(quasi)) {
    auto reader = io::open_records(quasi);
    io::Record r;
    while (reader->next(r))
      for (const auto& f : r.fields)
        if (f.size() > 6) texts.emplace_back(f);
  }
  return texts;
}

}  // namespace

TEST(MecabLattice, SameWordsAsMeCabOnEverySentenceOfTheJapaneseCorpora) {
  Both both;
  size_t sentences = 0, ours = 0;
  std::vector<Span> spans;
  for (const std::string& raw : corpus_texts()) {
    // As the import sees them (normalised, in sentences), and whole and raw as well.
    const std::string text = normalise_text(raw);
    split_sentences(text, spans);
    for (const Span& sp : spans) {
      ++sentences;
      ours += both.same(std::string_view(text).substr(sp.begin, sp.end - sp.begin)) ? 1 : 0;
    }
    ++sentences;
    ours += both.same(raw) ? 1 : 0;
    if (::testing::Test::HasFailure()) break;
  }
  EXPECT_GT(sentences, 40000u);
  // Left to MeCab: only texts ending in spaces or a line break (none in these corpora today).
  EXPECT_GT(ours, sentences * 99 / 100) << ours << " of " << sentences;
}

TEST(MecabLattice, SameWordsAsMeCabAtItsCornerCases) {
  Both both;
  const std::vector<std::string> cases = {
      "スマートフォンを買いました。",
      "  先頭に空白 と 途中 の 空白。",
      "ｶﾀｶﾅ半角とＡＢＣ全角とabc123と１２３。",
      std::string(30, 'a') + "とアアアアアアアアアアアアアアアアアアアアアアアアアアアアアア（長い片仮名）",
      "ΑΒΓ ギリシャ Кириллица 混在",
      "絵文字😀👍🏻と記号♪★※、〜〜〜！！？？",
      "漢数字の三千五百二十一円と12,345円と3.14",
      "\xe2\x80\x8bゼロ幅\xc2\xa0空白",
      "ひらがなだけのぶんしょうです",
      "A",
      "。",
      "ー",
      "一",
      "\xef\xbf\xbd置換文字",
      "malformed \xe3\x81 bytes \xff here",
      "tab\tと\n改行",
  };
  size_t ours = 0;
  for (const auto& c : cases) ours += both.same(c) ? 1 : 0;
  EXPECT_EQ(ours, cases.size());
}

TEST(MecabLattice, SameWordsAsMeCabOnRandomMixturesOfEveryCharacterClass) {
  // Runs of each class in any order stress the unknown-word rules: grouping (and its 24-character cap), the
  // 1..length proposals, class changes inside a run, spaces between and around words, characters past U+FFFF and
  // stray bytes. Fixed seed: the same 20,000 strings every run.
  const std::vector<std::string> pieces = {"あ",       "の",
                                           "が",       "ー",
                                           "ア",       "カ",
                                           "ン",       "ヴ",
                                           "ｱ",        "ﾞ",
                                           "日",       "本",
                                           "語",       "〇",
                                           "一",       "二",
                                           "万",       "円",
                                           "、",       "。",
                                           "！",       "？",
                                           "「",       "」",
                                           "・",       "…",
                                           "a",        "Z",
                                           "q",        "0",
                                           "7",        ".",
                                           ",",        "-",
                                           "'",        " ",
                                           "  ",       "\t",
                                           "\n",       "Ａ",
                                           "１",       "Ω",
                                           "ж",        "é",
                                           "😀",        "👍🏻",
                                           "\xe3\x81", "\xff",
                                           "\xc2\xa0", "\xe2\x80\x8b",
                                           "ｽﾏｰﾄ",     "スマートフォン",
                                           "東京都",   "123",
                                           "3.14",     "iPhone",
                                           "Wi-Fi",    "ＡＢＣ",
                                           "ａｂｃ",   "ΑΒΓ",
                                           "Кот",      "\u3000",
                                           "※",        "♪",
                                           "〜"};
  Both both;
  uint64_t state = 42;
  auto next = [&] {  // splitmix64
    state += 0x9e3779b97f4a7c15ull;
    uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  };
  size_t ours = 0;
  for (int n = 0; n < 20000 && !::testing::Test::HasFailure(); ++n) {
    std::string s;
    const size_t count = 1 + next() % 30;
    for (size_t i = 0; i < count; ++i) {
      const std::string& piece = pieces[next() % pieces.size()];
      const size_t repeat = next() % 8 == 0 ? 1 + next() % 30 : 1;  // sometimes a long run of one piece
      for (size_t r = 0; r < repeat; ++r) s += piece;
    }
    ours += both.same(s) ? 1 : 0;
  }
  // Strings ending in a space class are left to MeCab: about a tenth of these.
  EXPECT_GT(ours, 15000u);
}

TEST(MecabLattice, LeavesToMeCabWhatItCannotAnswerTheSameWay) {
  Both both;
  std::vector<Seen> out;
  EXPECT_FALSE(both.koko("末尾に空白 ", out));                   // MeCab reads past the sentence
  EXPECT_FALSE(both.koko("   ", out));                           // spaces only
  EXPECT_FALSE(both.koko(std::string(70000, 'a'), out));         // past MeCab's 65,535-byte lookups
  EXPECT_FALSE(both.koko("U+FFFF \xef\xbf\xbf は表の外", out));  // MeCab reads past its character table
  EXPECT_TRUE(both.koko("", out));
  EXPECT_TRUE(out.empty());
}

TEST(MecabLattice, BrokenDictionaryFilesAreErrorsNamingTheFile) {
  const auto dir = std::filesystem::temp_directory_path() / ("koko-mecab-dic-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string real = find_mecab_dictionary();
  for (const char* f : {"sys.dic", "unk.dic", "char.bin", "matrix.bin", "dicrc"})
    std::filesystem::copy_file(std::string(real) + "/" + f, dir / f, std::filesystem::copy_options::overwrite_existing);
  EXPECT_NO_THROW(MecabDictionary d(dir.string()));
  std::filesystem::resize_file(dir / "sys.dic", 1000);
  try {
    MecabDictionary d(dir.string());
    ADD_FAILURE() << "a truncated sys.dic loaded";
  } catch (const Error& e) {
    EXPECT_NE(e.message.find("sys.dic"), std::string::npos) << e.message;
    EXPECT_NE(e.hint.find("mecab-ipadic-utf8"), std::string::npos) << e.hint;
  }
  std::filesystem::copy_file(std::string(real) + "/sys.dic", dir / "sys.dic",
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::resize_file(dir / "matrix.bin", 100);
  EXPECT_THROW(MecabDictionary d(dir.string()), Error);
  std::filesystem::remove(dir / "matrix.bin");
  EXPECT_THROW(MecabDictionary d(dir.string()), Error);
  std::filesystem::remove_all(dir);
}
