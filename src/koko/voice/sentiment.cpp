// Lexicon sentiment, per sentence, with the rules that make word lists work: intensifiers, negation, contrast
// ("but", "が", "ただ"), emphasis. English follows VADER's published rules and constants; Japanese applies the same
// ideas to Japanese word order (negation follows the word it negates: 美味しくない, 問題ありません).
#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_map>

#include "koko/voice/lexicon.hpp"
#include "koko/voice/voice.hpp"

namespace koko::voice {

namespace {

constexpr double kBoost = 0.293;      // VADER's B_INCR
constexpr double kCapsBoost = 0.733;  // VADER's C_INCR
constexpr double kNegate = -0.74;     // VADER's N_SCALAR
constexpr double kAlpha = 15;         // VADER's normalisation constant

using Lexicon = std::unordered_map<std::string_view, double>;

const Lexicon& english_lexicon() {
  static const Lexicon lex = [] {
    Lexicon m;
    m.reserve(detail::kVaderLexiconSize + detail::kKokoEnglishSize);
    for (size_t i = 0; i < detail::kVaderLexiconSize; ++i)
      m[detail::kVaderLexicon[i].word] = detail::kVaderLexicon[i].valence;
    for (size_t i = 0; i < detail::kKokoEnglishSize; ++i)
      m[detail::kKokoEnglish[i].word] = detail::kKokoEnglish[i].valence;
    return m;
  }();
  return lex;
}

const Lexicon& japanese_lexicon() {
  static const Lexicon lex = [] {
    Lexicon m;
    for (size_t i = 0; i < detail::kKokoJapaneseSize; ++i)
      m[detail::kKokoJapanese[i].word] = detail::kKokoJapanese[i].valence;
    return m;
  }();
  return lex;
}

const Lexicon& english_boosters() {
  static const Lexicon m = {
      {"absolutely", kBoost},    {"amazingly", kBoost},  {"awfully", kBoost},       {"completely", kBoost},
      {"considerably", kBoost},  {"decidedly", kBoost},  {"deeply", kBoost},        {"enormously", kBoost},
      {"entirely", kBoost},      {"especially", kBoost}, {"exceptionally", kBoost}, {"extremely", kBoost},
      {"fabulously", kBoost},    {"fully", kBoost},      {"greatly", kBoost},       {"highly", kBoost},
      {"hugely", kBoost},        {"incredibly", kBoost}, {"intensely", kBoost},     {"majorly", kBoost},
      {"more", kBoost},          {"most", kBoost},       {"particularly", kBoost},  {"purely", kBoost},
      {"quite", kBoost},         {"really", kBoost},     {"remarkably", kBoost},    {"so", kBoost},
      {"substantially", kBoost}, {"thoroughly", kBoost}, {"totally", kBoost},       {"tremendously", kBoost},
      {"unbelievably", kBoost},  {"unusually", kBoost},  {"utterly", kBoost},       {"very", kBoost},
      {"super", kBoost},         {"almost", -kBoost},    {"barely", -kBoost},       {"hardly", -kBoost},
      {"kinda", -kBoost},        {"less", -kBoost},      {"little", -kBoost},       {"marginally", -kBoost},
      {"occasionally", -kBoost}, {"partly", -kBoost},    {"scarcely", -kBoost},     {"slightly", -kBoost},
      {"somewhat", -kBoost},     {"sorta", -kBoost},     {"fairly", -kBoost},       {"pretty", kBoost * 0.5},
  };
  return m;
}

const Lexicon& japanese_boosters() {
  static const Lexicon m = {
      {"とても", kBoost},      {"とっても", kBoost},     {"非常", kBoost},     {"大変", kBoost},
      {"たいへん", kBoost},    {"すごい", kBoost},       {"凄い", kBoost},     {"すっごい", kBoost},
      {"本当に", kBoost},      {"本当", kBoost},         {"ほんとう", kBoost}, {"ほんと", kBoost},
      {"かなり", kBoost},      {"めちゃくちゃ", kBoost}, {"めっちゃ", kBoost}, {"超", kBoost},
      {"特に", kBoost},        {"実に", kBoost},         {"大", kBoost},       {"最も", kBoost},
      {"極めて", kBoost},      {"大いに", kBoost},       {"さらに", kBoost},   {"更に", kBoost},
      {"一番", kBoost},        {"心から", kBoost},       {"少し", -kBoost},    {"ちょっと", -kBoost},
      {"やや", -kBoost},       {"若干", -kBoost},        {"多少", -kBoost},    {"少々", -kBoost},
      {"まあまあ", -kBoost},   {"わりと", -kBoost},      {"割と", -kBoost},    {"比較的", -kBoost},
      {"ちょっぴり", -kBoost}, {"いささか", -kBoost},
  };
  return m;
}

bool english_negation(std::string_view w) {
  static constexpr std::string_view list[] = {
      "aint",    "arent",  "cannot",  "cant",    "couldnt", "darent",  "didnt",    "doesnt", "dont",  "hadnt",
      "hasnt",   "havent", "isnt",    "mightnt", "mustnt",  "neither", "neednt",   "never",  "none",  "nope",
      "nor",     "not",    "nothing", "nowhere", "oughtnt", "shant",   "shouldnt", "uhuh",   "wasnt", "werent",
      "without", "wont",   "wouldnt", "rarely",  "seldom",  "despite", "no",
  };
  if (w.find("n't") != std::string_view::npos) return true;
  return std::find(std::begin(list), std::end(list), w) != std::end(list);
}

bool japanese_negation(std::string_view t) {
  return t == "ない" || t == "無い" || t == "ぬ" || t == "ん" || t == "なし" || t == "無し" || t == "ず";
}

double sign(double v) { return v > 0 ? 1.0 : (v < 0 ? -1.0 : 0.0); }

// Exclamation and question marks amplify the sum (VADER's punctuation emphasis).
double punctuation_emphasis(std::string_view s) {
  const auto bangs = std::min<size_t>(4, static_cast<size_t>(std::count(s.begin(), s.end(), '!')));
  size_t questions = static_cast<size_t>(std::count(s.begin(), s.end(), '?'));
  double q = 0;
  if (questions > 1) q = questions <= 3 ? static_cast<double>(questions) * 0.18 : 0.96;
  return static_cast<double>(bangs) * 0.292 + q;
}

double finish(std::vector<double>& valences, const std::vector<char>& after_contrast, bool has_contrast,
              std::string_view sentence) {
  double sum = 0;
  for (size_t i = 0; i < valences.size(); ++i) {
    double v = valences[i];
    if (has_contrast) v *= after_contrast[i] ? 1.5 : 0.5;
    sum += v;
  }
  if (sum == 0) return 0;
  sum += sign(sum) * punctuation_emphasis(sentence);
  const double c = sum / std::sqrt(sum * sum + kAlpha);
  return std::clamp(c, -1.0, 1.0);
}

// Per-thread scratch for one sentence: no allocation per sentence.
struct Scratch {
  std::vector<const Word*> words;
  std::vector<double> valences;
  std::vector<char> after;
  void reset(size_t n) {
    valences.assign(n, 0.0);
    after.assign(n, 0);
  }
};
Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

double english_score(std::string_view sentence, std::span<const Word> all) {
  Scratch& sc = scratch();
  auto& words = sc.words;
  words.clear();
  for (const auto& w : all)
    if (w.pos != Pos::symbol) words.push_back(&w);
  size_t caps = 0;
  for (const auto* w : words) caps += w->caps ? 1 : 0;
  const bool caps_differ = caps > 0 && caps < words.size();
  sc.reset(words.size());
  auto& val = sc.valences;
  auto& after = sc.after;
  bool contrast = false;
  for (size_t i = 0; i < words.size(); ++i) {
    const Word& w = *words[i];
    after[i] = contrast ? 1 : 0;
    if (w.contrast && !contrast) {
      contrast = true;
      continue;
    }
    if (w.boost != 0 || w.valence == 0) continue;
    double v = w.valence;
    if (w.lower == "like" && i > 0 && words[i - 1]->pos != Pos::word) continue;  // "like" as a preposition
    if (w.caps && caps_differ) v += sign(v) * kCapsBoost;
    for (size_t k = 1; k <= 3 && k <= i; ++k) {
      const Word& p = *words[i - k];
      if (p.boost != 0) {
        double s = p.boost;
        if (p.caps && caps_differ) s += sign(s) * kCapsBoost;
        s *= k == 1 ? 1.0 : (k == 2 ? 0.95 : 0.9);
        v += v > 0 ? s : -s;
      }
    }
    for (size_t k = 1; k <= 3 && k <= i; ++k) {
      if (words[i - k]->negation) {
        v *= kNegate;
        break;
      }
    }
    // Hopes that were let down: "wanted to love it", "hoped to like".
    if (v > 0 && i >= 2 && words[i - 1]->lower == "to" &&
        (words[i - 2]->lower == "wanted" || words[i - 2]->lower == "hoped" || words[i - 2]->lower == "want"))
      v = -1.5;
    val[i] = v;
  }
  // "too" before an adjective is a fit or size complaint: "too small", "too long".
  for (size_t i = 0; i + 1 < words.size(); ++i) {
    if (words[i]->lower != "too") continue;
    if (i > 0 && words[i - 1]->negation) continue;  // "not too big"
    const std::string_view next = words[i + 1]->lower;
    if (next == "much" || next == "many" || next == "!") continue;
    val[i + 1] = std::min(val[i + 1], 0.0) - 1.0;
  }
  return finish(val, after, contrast, sentence);
}

double japanese_score(std::string_view sentence, std::span<const Word> words) {
  Scratch& sc = scratch();
  sc.reset(words.size());
  auto& val = sc.valences;
  auto& after = sc.after;
  bool contrast = false, again = false;
  for (size_t i = 0; i < words.size(); ++i) {
    const Word& w = words[i];
    after[i] = contrast ? 1 : 0;
    if (w.pos == Pos::symbol) continue;
    if (w.contrast) {
      contrast = true;
      continue;
    }
    const std::string_view term = w.term;  // views compare lengths first: no memcmp for most words
    if (term == "また" || term == "再び" || term == "ぜひ" || term == "是非") again = true;
    double v = 0;
    if (term == "たい" && again) {
      v = 2.0;  // また行きたい, また利用したい: the strongest praise a review gives
    } else if (term == "なる" && i >= 2 && words[i - 1].term == "に" && words[i - 2].term == "気") {
      v = -1.2;  // 気になる: something bothered them
    } else {
      v = w.valence;
    }
    if (term == "少し" && i > 0 && words[i - 1].term == "もう") v = -0.8;  // もう少し…: wanting more
    if (v == 0) continue;
    // A conditional is a wish, not a fact: 広ければ (if only it were wide).
    if (v > 0 && i + 1 < words.size() && words[i + 1].lower == "ば") v = -0.5 * v;
    // "…ば良かった", "…たら良かった": a wish, i.e. a complaint.
    if (v > 0 && i > 0 && (term == "良い" || term == "よい" || term == "いい")) {
      const std::string_view p = words[i - 1].lower;
      if (p == "ば" || p == "たら" || p == "なら" || p == "と") v = -1.0;
    }
    for (size_t k = 1; k <= 3 && k <= i; ++k) {
      if (const double b = words[i - k].boost; b != 0) {
        const double s = b * (k == 1 ? 1.0 : (k == 2 ? 0.95 : 0.9));
        v += v > 0 ? s : -s;
      }
    }
    // Negation follows: scan the words up to the next content word or punctuation.
    for (size_t j = i + 1; j < words.size(); ++j) {
      const Word& n = words[j];
      if (n.negation) {
        v *= kNegate;
        break;
      }
      if (n.pos == Pos::symbol || n.contrast || n.content) break;
    }
    val[i] = v;
  }
  return finish(val, after, contrast, sentence);
}

}  // namespace

void detail::set_sentiment(Word& w, TextLang lang) {
  if (lang == TextLang::ja) {
    const auto& lex = japanese_lexicon();
    auto it = lex.find(w.term);
    if (it == lex.end()) it = lex.find(w.lower);
    w.valence = it == lex.end() ? 0.0f : static_cast<float>(it->second);
    const auto b = japanese_boosters().find(w.term);
    w.boost = b == japanese_boosters().end() ? 0.0 : b->second;
    w.negation = japanese_negation(w.term);
  } else {
    const auto it = english_lexicon().find(w.lower);
    w.valence = it == english_lexicon().end() ? 0.0f : static_cast<float>(it->second);
    const auto b = english_boosters().find(w.lower);
    w.boost = b == english_boosters().end() ? 0.0 : b->second;
    w.negation = english_negation(w.lower);
  }
}

double lexicon_sentence_score(std::string_view text, Span sentence, TextLang lang, std::span<const Word> words) {
  const std::string_view s = text.substr(sentence.begin, sentence.end - sentence.begin);
  return lang == TextLang::ja ? japanese_score(s, words) : english_score(s, words);
}

int label_of(double score, const Thresholds& t) {
  if (score >= t.positive) return 1;
  if (score <= t.negative) return -1;
  return 0;
}

Thresholds default_thresholds(TextLang lang) {
  // English reviews praise by habit: a 3-star review still averages mildly positive words, so positive starts
  // higher. Chosen once on the training 80 % of the English clothing reviews (docs/voice.md); never on test data.
  if (lang == TextLang::en) return {0.15, -0.05};
  return {0.05, -0.05};
}

ProcessedText process_text(std::string_view raw, std::string_view lang_hint, Tokeniser& tok) {
  ProcessedText t;
  process_text(raw, lang_hint, tok, t);
  return t;
}

void process_text(std::string_view raw, std::string_view lang_hint, Tokeniser& tok, ProcessedText& t) {
  t.sentences.clear();
  t.words.clear();
  t.word_sentence.clear();
  t.text = normalise_text(raw);
  t.lang = lang_hint == "ja" ? TextLang::ja : (lang_hint == "en" ? TextLang::en : detect_language(t.text));
  thread_local std::vector<Span> spans;  // reused text after text
  split_sentences(t.text, spans);
  t.sentences.reserve(spans.size());
  t.words.reserve(t.text.size() / 4);  // about one word per 4 bytes in either language: no regrowth
  // Only a text with both Latin letters and Japanese characters needs a language per sentence.
  bool latin = false, kana_kanji = false;
  for (unsigned char c : t.text) {
    latin = latin || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    kana_kanji = kana_kanji || (c >= 0xE3 && c <= 0xE9);
  }
  const bool mixed = lang_hint.empty() && latin && kana_kanji;
  for (const Span& sp : spans) {
    const std::string_view s = std::string_view(t.text).substr(sp.begin, sp.end - sp.begin);
    // Each sentence in its own script: a Japanese review may quote an English sentence and vice versa.
    TextLang lang = t.lang;
    if (mixed) {
      bool letters = false, japanese = false;
      for (unsigned char c : s) {
        letters = letters || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c >= 0xE3;
        japanese = japanese || c >= 0xE3;
      }
      if (letters) lang = japanese ? detect_language(s) : TextLang::en;
    }
    const size_t first = t.words.size();
    tok.words(t.text, sp, lang, t.words);
    const auto n = static_cast<uint32_t>(t.sentences.size());
    t.word_sentence.resize(t.words.size(), n);
    const double score =
        lexicon_sentence_score(t.text, sp, lang, std::span<const Word>(t.words.data() + first, t.words.size() - first));
    t.sentences.push_back({sp, lang, score});
  }
  // A text's score is the mean of its sentences' scores (a long review does not saturate the way one sum would).
  double sum = 0;
  for (const auto& s : t.sentences) sum += s.score;
  t.score = t.sentences.empty() ? 0 : sum / static_cast<double>(t.sentences.size());
  t.label = label_of(t.score, default_thresholds(t.lang));
}

}  // namespace koko::voice
