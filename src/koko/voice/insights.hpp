#pragma once
// Voice of the customer, part 2, over the workspace: themes of the stored texts, distinctive language between two
// groups of texts, the core experience of core customers and who reaches it, and the codebook researchers keep.
// Each loads what it needs, runs the kernels of themes.hpp and writes its result tables (the caller's transaction).
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "koko/store/workspace.hpp"
#include "koko/voice/themes.hpp"

namespace koko::voice {

struct Quote {
  int64_t text = 0;  // voice_texts.id
  std::string text_id, customer_id, date, source;
  int sentiment = 0;
  std::string quote;  // the text's sentence that carries the theme most
};

// ---- Themes --------------------------------------------------------------------------------------------------

struct ThemeRunOptions {
  ThemeOptions themes;
  VocabularyOptions vocab{3, 0.5};
  uint64_t phrase_min_count = 5;  // phrases (adjacent content words, by LLR) become features beside words
  size_t phrases = 200;
  double min_share = 0.4;   // a text whose best theme holds less of its weight is flagged low-confidence
  double also_share = 0.3;  // other themes holding at least this share are listed with the text (a text may
                            // express more than one theme; the core experience counts them)
  size_t min_texts = 20;    // a language with fewer texts gets no themes (said in the outcome)
  std::string lang;         // only this language; default every language with enough texts
};

struct ThemeSummary {
  std::string lang;
  uint32_t theme = 0;             // 1-based within its language
  std::string label;              // built from its top terms and phrases
  std::string name, description;  // from the codebook, when an entry matches
  uint64_t texts = 0, customers = 0, low_confidence = 0;
  double share = 0;                // of the language's texts
  std::vector<std::string> terms;  // top terms and phrases, strongest first
  std::vector<Quote> quotes;       // three representative quotes (distinct customers where possible)
};

struct ThemeLanguage {
  std::string lang;
  uint64_t texts = 0, features = 0, without_terms = 0;
  size_t k = 0;
  std::vector<std::pair<size_t, double>> coherence;  // (k, mean NPMI) tried
  int iterations = 0;
  bool converged = false;
};

struct ThemesOutcome {
  std::vector<ThemeLanguage> languages;
  std::vector<ThemeSummary> themes;
  std::vector<std::string> notes;  // languages left out and why
};

// Writes voice_themes, voice_theme_k and voice_quotes (one row per text: its theme, weight, sentiment, customer,
// quote and the other themes it holds strongly). Throws koko::Error when there are no texts, or none with terms
// left after stop words.
ThemesOutcome find_themes(store::Workspace& ws, const ThemeRunOptions& opt);
bool has_themes(store::Workspace& ws);

// ---- Codebook ------------------------------------------------------------------------------------------------

struct CodebookEntry {
  std::string name, description;
  std::vector<std::string> terms;
};
// CSV in: name, description, terms (separated by ; or |). Stored in the workspace; themes whose top terms match
// an entry's take its name and description from then on.
std::vector<CodebookEntry> read_codebook(const std::filesystem::path& file);
void store_codebook(store::Workspace& ws, const std::vector<CodebookEntry>& entries);
std::vector<CodebookEntry> load_codebook(store::Workspace& ws);
// The current themes as a codebook (name = the codebook name or the label).
std::string codebook_csv(store::Workspace& ws);

// ---- Distinctive language ------------------------------------------------------------------------------------

struct ContrastRequest {
  // core | segment | sentiment | source | lang | rating | place | a column kept from the texts file | a customer
  // attribute
  std::string group;
  std::string a, b;  // values; b empty = every other text. Defaults for core (core/other) and sentiment.
  size_t top = 25;   // per side and unit
  double alpha0 = 0;
  uint64_t min_texts = 10;
};

struct ContrastRow {
  std::string side;  // a or b: whose language it is
  std::string unit;  // term, phrase or theme
  std::string key;
  uint64_t count_a = 0, count_b = 0;  // occurrences (themes: texts)
  double share_a = 0, share_b = 0;    // share of the group's texts that hold it
  double delta = 0, z = 0;
};

struct ContrastOutcome {
  std::string group, a, b;
  uint64_t texts_a = 0, texts_b = 0;
  std::vector<ContrastRow> rows;
};

// Writes voice_contrast.
ContrastOutcome contrast(store::Workspace& ws, const ContrastRequest& req);

// ---- Core experience -----------------------------------------------------------------------------------------

struct CoreExperienceOptions {
  double min_z = 1.96;  // distinctive of core customers at about 95 %
  size_t themes = 3, phrases = 5;
  uint64_t min_core_texts = 5;
};

struct CoreItem {
  std::string kind;  // theme or phrase
  std::string key, lang;
  uint64_t core_customers = 0, other_customers = 0;  // who express it
  double core_share = 0, other_share = 0, z = 0;
  uint64_t dated = 0;  // core customers with a dated text expressing it and a first purchase
  std::optional<double> median_days, p25_days, p75_days;  // from first purchase to first expressing it
  std::vector<Quote> quotes;
};

struct CoreExperienceOutcome {
  uint64_t core_customers = 0, core_with_texts = 0, others_with_texts = 0;
  std::vector<CoreItem> items;
  uint64_t reached = 0, compared = 0;  // customers with texts who express the core experience, of all compared
  std::vector<ReachRow> reach;
};

// Needs the segment analysis (core customers) and themes. Writes voice_core_experience and voice_core_reach.
CoreExperienceOutcome core_experience(store::Workspace& ws, const CoreExperienceOptions& opt);

// Empties voice_contrast, voice_core_experience and voice_core_reach (their columns kept), so a run that cannot
// compute them leaves no stale rows from an earlier one.
void clear_core_results(store::Workspace& ws);

}  // namespace koko::voice
