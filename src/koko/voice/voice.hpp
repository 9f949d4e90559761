#pragma once
// Voice of the customer, the text engine: normalise → sentences → tokens (ICU + Snowball for English, MeCab for
// Japanese, a user dictionary for compounds and brands) → sentiment (a lexicon, or a classifier trained on the
// user's labelled texts) → phrases and keyword-in-context lines. Pure kernels: no SQLite, no files.
#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace koko::voice {

enum class TextLang : uint8_t { en = 0, ja = 1 };
std::string_view lang_code(TextLang l);  // "en" / "ja"

// Coarse part of speech. English words are not tagged (word); Japanese ones come from MeCab (ipadic).
enum class Pos : uint8_t { word = 0, noun, proper_noun, verb, adjective, adverb, number, function, symbol, user };
std::string_view pos_name(Pos p);  // "word", "noun", ..., "user" (a user-dictionary entry)

// ---- Normalisation -------------------------------------------------------------------------------------------

// NFKC with width folding (full-width ASCII → ASCII, half-width katakana → full-width), HTML tags and entities
// removed (<br> and block tags become line breaks), typographic apostrophes made plain, zero-width characters
// dropped, runs of spaces collapsed, CRLF → LF, trimmed. Emoji and symbols are kept. Input must be valid UTF-8.
std::string normalise_text(std::string_view raw);

// Japanese when kana and kanji make up at least a fifth of the letters, else English.
TextLang detect_language(std::string_view text);

struct Span {
  uint32_t begin = 0;  // byte offsets into the normalised text
  uint32_t end = 0;
};

// Sentences end at . ! ? 。！？ (with closing quotes and brackets) and at line breaks; a sentence longer than
// max_bytes is cut at a comma or space (or a character boundary) so one 5 MB text never becomes one sentence.
std::vector<Span> split_sentences(std::string_view text, size_t max_bytes = 2000);
void split_sentences(std::string_view text, std::vector<Span>& out, size_t max_bytes = 2000);  // into out, reused

// ---- Tokens --------------------------------------------------------------------------------------------------

// Every word of a sentence: what sentiment reads. Content words (not stop words, not function words) are kept.
struct Word {
  uint32_t begin = 0, end = 0;  // byte offsets into the normalised text
  // Views into koko's pool of words (valid for the life of the process): copying a word copies no characters.
  std::string_view term;   // English: lower-case Snowball stem; Japanese: base form (辞書形)
  std::string_view lower;  // English: the lower-case surface; Japanese: the surface
  Pos pos = Pos::word;
  bool content = false;   // a content word that is not a stop word
  bool caps = false;      // English: written in capitals (emphasis)
  bool contrast = false;  // but, however; が (conjunctive), けど, しかし, ただ
  // What the sentiment lexicon of the sentence's language says about the word, looked up by the tokeniser (once
  // per dictionary entry in Japanese), so scoring a sentence hashes nothing.
  bool negation = false;  // not, never, n't; ない, ぬ, ず, なし
  float valence = 0;      // lexicon valence (VADER's scale, -4 … +4); 0 when the word is not a sentiment word
  double boost = 0;       // an intensifier's step (very, とても: +0.293) or a dampener's (slightly, 少し: -0.293)
};

// Compounds and brand names that must never be split (`koko voice dict add スマートフォン`).
struct UserEntry {
  std::string word;          // as normalise_text writes it
  std::string pos = "noun";  // noun | proper_noun
};

class UserDictionary {
 public:
  UserDictionary() = default;
  explicit UserDictionary(std::vector<UserEntry> entries);
  [[nodiscard]] bool empty() const { return entries_.empty(); }
  [[nodiscard]] const std::vector<UserEntry>& entries() const { return entries_; }
  // Leftmost-longest, non-overlapping matches in s (ASCII letters match case-insensitively); entry index each.
  void find(std::string_view s, std::vector<std::pair<Span, uint32_t>>& out) const;
  [[nodiscard]] const std::string& mecab_feature(uint32_t i) const { return features_[i]; }

 private:
  std::vector<UserEntry> entries_;
  std::vector<std::string> lower_;                    // entries, ASCII-lower-cased
  std::vector<std::string> features_;                 // the MeCab feature each entry is forced to
  std::vector<std::vector<uint32_t>> by_first_byte_;  // candidate entries by first byte, longest first
};

// Where MeCab's dictionary is: KOKO_MECAB_DICDIR, else ipadic-utf8 (Debian's mecab-ipadic-utf8), else the
// /etc/mecabrc chain when it leads to a UTF-8 ipadic. Throws koko::Error naming the package when none is found.
std::string find_mecab_dictionary();

// One per thread (MeCab taggers, ICU break iterators and Snowball stemmers are not shared); the MeCab model is
// loaded once per process and shared.
class Tokeniser {
 public:
  explicit Tokeniser(const UserDictionary* user = nullptr);
  ~Tokeniser();
  Tokeniser(const Tokeniser&) = delete;
  Tokeniser& operator=(const Tokeniser&) = delete;

  // Appends the words of text[span] in `lang` to out (offsets into text).
  void words(std::string_view text, Span span, TextLang lang, std::vector<Word>& out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

bool is_stop_word(TextLang lang, std::string_view term);

// ---- Sentiment -----------------------------------------------------------------------------------------------

// Valence of a sentence's words from koko's lexicons: English is VADER's (MIT, C.J. Hutto) with its booster,
// negation, "but" and capitals rules plus koko's review words; Japanese is koko's own lexicon with negation
// (ない, ません, ず, なし) and intensifiers (とても, 少し). Returns the normalised compound in [-1, 1].
double lexicon_sentence_score(std::string_view text, Span sentence, TextLang lang, std::span<const Word> words);

// -1 negative, 0 neutral, 1 positive (sentences use the defaults below, texts their language's).
struct Thresholds {
  double positive = 0.05;
  double negative = -0.05;
};
int label_of(double score, const Thresholds& t);
Thresholds default_thresholds(TextLang lang);

// ---- The whole pipeline for one text -------------------------------------------------------------------------

struct SentenceResult {
  Span span;
  TextLang lang;
  double score;  // lexicon compound
};

struct ProcessedText {
  std::string text;  // normalised
  TextLang lang = TextLang::en;
  std::vector<SentenceResult> sentences;
  std::vector<Word> words;              // all words (sentiment, classifier features)
  std::vector<uint32_t> word_sentence;  // sentence index of each word
  double score = 0;                     // lexicon text score
  int label = 0;
};

// lang_hint: "en", "ja" or empty (detect per text; sentences are tokenised by their own script).
ProcessedText process_text(std::string_view raw, std::string_view lang_hint, Tokeniser& tok);
// The same into `out`, reusing its buffers (a worker processing many texts allocates its word vectors once).
void process_text(std::string_view raw, std::string_view lang_hint, Tokeniser& tok, ProcessedText& out);

// ---- Classifier (trained on the user's labelled texts) -------------------------------------------------------

struct LabelledText {
  const ProcessedText* text;
  int label;  // -1, 0, 1
};

struct TrainOptions {
  double c = 4.0;  // inverse L2 strength, as scikit-learn's C
  int min_df = 2;  // features seen in fewer training texts are dropped
  int max_iterations = 300;
  bool balanced = true;  // class weights inversely proportional to class frequency (macro-F1 is the goal)
};

// Multinomial logistic regression over TF-IDF features: words (English stems and surfaces with bigrams, Japanese
// base forms) and character 1–3-grams of Japanese text. Deterministic.
class SentimentModel {
 public:
  static SentimentModel train(std::span<const LabelledText> data, const TrainOptions& opt);
  static SentimentModel deserialise(std::string_view blob);  // throws koko::Error on a damaged blob
  [[nodiscard]] std::string serialise() const;
  // Probabilities of negative, neutral, positive.
  [[nodiscard]] std::array<double, 3> predict_proba(const ProcessedText& t) const;
  [[nodiscard]] int predict(const ProcessedText& t) const;
  [[nodiscard]] size_t features() const { return vocab_.size(); }
  [[nodiscard]] uint64_t trained_on() const { return trained_on_; }
  // The strongest features of a class (-1, 0, 1), for people to check what it learnt.
  [[nodiscard]] std::vector<std::pair<std::string, double>> top_features(int label, size_t n) const;

 private:
  std::vector<std::string> vocab_;  // sorted
  std::vector<float> idf_;
  std::vector<float> weights_;  // [feature * 3 + class], class 0 = negative
  std::array<float, 3> bias_{};
  uint64_t trained_on_ = 0;
  [[nodiscard]] std::vector<std::pair<uint32_t, float>> vectorise(const ProcessedText& t) const;
};

struct Quality {
  double macro_f1 = 0;
  double accuracy = 0;
  std::array<std::array<uint64_t, 3>, 3> confusion{};  // [truth][predicted], index = label + 1
  std::array<double, 3> f1{};
};
Quality evaluate(std::span<const int> truth, std::span<const int> predicted);

// ---- Phrases -------------------------------------------------------------------------------------------------

// Adjacent content-word pairs scored by Dunning's log-likelihood ratio (English pairs may have stop words between
// them only when written together, e.g. "true to size" is not a pair; Japanese pairs must touch in the text).
struct PhraseToken {
  uint32_t text;  // which text
  uint32_t term;  // term id
  uint32_t begin, end;
  TextLang lang;
  bool follows;  // directly follows the previous token of the same sentence (no content word between)
};
struct Phrase {
  uint32_t first, second;  // term ids
  uint64_t count;
  double llr;
};
std::vector<Phrase> collocations(std::span<const PhraseToken> tokens, uint64_t min_count, size_t top);

// ---- Sentiment by group (source, month, segment) ----------------------------------------------------------------

struct SentimentGroup {
  std::string key;
  uint64_t texts = 0, positive = 0, neutral = 0, negative = 0;
  double mean_score = 0;
  [[nodiscard]] double positive_share() const {
    return texts ? static_cast<double>(positive) / static_cast<double>(texts) : 0;
  }
  [[nodiscard]] double negative_share() const {
    return texts ? static_cast<double>(negative) / static_cast<double>(texts) : 0;
  }
  [[nodiscard]] double net() const { return positive_share() - negative_share(); }
};
// One group per distinct key (empty keys skipped), sorted by key.
std::vector<SentimentGroup> sentiment_by(std::span<const std::string> keys, std::span<const int> labels,
                                         std::span<const double> scores);

// ---- Keyword in context --------------------------------------------------------------------------------------

struct Kwic {
  uint32_t begin, end;  // the match, bytes in the text
  std::string left, keyword, right;
};
// Every occurrence of `needle` (ASCII case-insensitive) in text, with up to `context` characters either side
// (line breaks shown as spaces).
std::vector<Kwic> kwic(std::string_view text, std::string_view needle, size_t context);

// Terminal columns a UTF-8 string takes (East Asian wide characters count 2).
size_t display_width(std::string_view s);

}  // namespace koko::voice
