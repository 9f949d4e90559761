#pragma once
// Texts in the workspace: import (one transaction, recorded with its checksum, bad rows rejected or skipped),
// the user dictionary, the trained sentiment model, search with keyword in context, and what analyses read.
//
// Storage: voice_texts (one row per text, + voice_texts_fts, an FTS5 trigram index built on the first search after
// a change), voice_dictionary, voice_models; columnar tables texts (per text), text_sentences, text_tokens
// (content words) and text_terms (the term dictionary tokens point into), for part 2 and Ikigai to reuse.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "koko/core/date.hpp"
#include "koko/io/orders.hpp"
#include "koko/store/workspace.hpp"
#include "koko/voice/voice.hpp"

namespace koko::voice {

// Accepted values of the source column (Japanese names are accepted too: インタビュー, レビュー, アンケート, SNS).
inline constexpr const char* kSources[] = {"interview", "review", "survey", "social", "keyword"};

void ensure_schema(store::Workspace& ws);

struct TextImportRequest {
  std::filesystem::path file;
  std::map<std::string, std::string> map;  // field=column overrides (text, source, id, customer_id, ...)
  std::string source;                      // for files without a source column (default review)
  std::string lang;                        // en | ja | empty = per text
  io::OnError on_error = io::OnError::fail;
  bool replace = false;
  std::filesystem::path rejects_file = "rejects.csv";
  std::string encoding;
  std::string date_format;
  unsigned threads = 0;  // 0 = every core
};

struct TextImportOutcome {
  store::ImportRecord record;
  std::vector<std::string> facts;
  std::vector<std::string> warnings;
  uint64_t rejected = 0;
};

// In one transaction: texts, sentences, tokens and lexicon sentiment (or the trained model's, when there is one).
TextImportOutcome import_texts(store::Workspace& ws, const TextImportRequest& req);

// The user dictionary. Adding or removing words re-tokenises the stored texts in the same transaction.
std::vector<UserEntry> load_dictionary(store::Workspace& ws);
struct DictionaryChange {
  size_t added = 0, removed = 0, unchanged = 0;
  uint64_t retokenised = 0;  // texts
};
DictionaryChange add_dictionary_words(store::Workspace& ws, const std::vector<UserEntry>& words, unsigned threads = 0);
DictionaryChange remove_dictionary_words(store::Workspace& ws, const std::vector<std::string>& words,
                                         unsigned threads = 0);
// Words from a CSV or TSV: a `word` column (or the first column) and an optional `pos` column.
std::vector<UserEntry> read_dictionary_file(const std::filesystem::path& file);

// Labelled texts for training or evaluation: a text column and a label column (positive / neutral / negative,
// pos / neu / neg, 1 / 0 / -1, ポジティブ / ニュートラル / ネガティブ) or a rating column (1–2, 3, 4–5).
struct LabelledFile {
  std::filesystem::path file;
  std::string text_column;    // default: text
  std::string label_column;   // default: label (when present)
  std::string rating_column;  // used instead of labels when given (or when there is a rating column and no label)
  std::string encoding;
};

struct TrainOutcome {
  uint64_t texts = 0;
  size_t features = 0;
  Quality holdout;          // trained on 80 %, measured on every fifth text
  uint64_t relabelled = 0;  // stored texts now labelled by the model
};
TrainOutcome train_sentiment(store::Workspace& ws, const LabelledFile& in, unsigned threads = 0);

struct EvalOutcome {
  uint64_t texts = 0;
  Quality lexicon;
  std::optional<Quality> model;  // when the workspace has a trained model
};
EvalOutcome evaluate_sentiment(store::Workspace& ws, const LabelledFile& in, unsigned threads = 0);

// Drops the trained model; stored texts go back to lexicon sentiment.
bool forget_sentiment_model(store::Workspace& ws);
std::optional<std::string> sentiment_model_summary(store::Workspace& ws);

// Search.
struct SearchQuery {
  std::vector<std::string> terms;  // all must occur, each as written (a phrase may have spaces); 1–2 character
                                   // terms take the LIKE path, longer ones FTS5
  std::string source;
  std::string segment;  // customers' segment attribute (config voice.segment_attribute)
  std::string segment_attribute = "segment";
  std::optional<Day> from, to;
  std::optional<int> sentiment;  // -1, 0, 1
  std::string lang;
  size_t limit = 50;    // KWIC lines
  size_t context = 20;  // characters either side
};

struct SearchLine {
  int64_t text = 0;  // voice_texts.id
  std::string text_id, source, date, customer_id;
  int label = 0;
  Kwic kwic;
};

struct SearchResult {
  uint64_t texts = 0;        // texts that match
  uint64_t occurrences = 0;  // of the first term in them
  std::vector<SearchLine> lines;
  bool fts_rebuilt = false;  // the index was (re)built for this search
  bool like_path = false;    // a short term used LIKE
};
SearchResult search_texts(store::Workspace& ws, const SearchQuery& q);

// What analyses (and part 2) read.
struct StoredText {
  int64_t id = 0;
  std::string source, customer_id;
  std::optional<Day> day;
  TextLang lang = TextLang::en;
  int label = 0;
  double score = 0;
};
std::vector<StoredText> load_texts(store::Workspace& ws);

struct StoredTokens {
  std::vector<int64_t> text;
  std::vector<uint32_t> sentence, begin, end, term, follows;
  std::vector<std::string> terms;         // term id → term (English stem, Japanese base form)
  std::vector<std::string> term_display;  // term id → the first surface seen (English "many" for the stem "mani")
  std::vector<std::string> term_pos;
  std::vector<TextLang> term_lang;
};
StoredTokens load_tokens(store::Workspace& ws);

// customer_id → segment, from the customers table's `attribute` column (empty when there is none).
std::map<std::string, std::string> customer_segments(store::Workspace& ws, const std::string& attribute);

}  // namespace koko::voice
