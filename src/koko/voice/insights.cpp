// Voice part 2 over the workspace: load texts and tokens → features (words and phrases) → themes, contrasts, the
// core experience → result tables.
#include "koko/voice/insights.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "koko/core/error.hpp"
#include "koko/core/money.hpp"
#include "koko/core/progress.hpp"
#include "koko/ingest/ingest.hpp"
#include "koko/io/csv.hpp"
#include "koko/report/report.hpp"
#include "koko/segment/segment.hpp"
#include "koko/store/statement.hpp"
#include "koko/voice/texts.hpp"
#include "koko/voice/utf8.hpp"

namespace koko::voice {

namespace fs = std::filesystem;
using Stmt = store::Statement;
using store::ResultTable;
using store::Value;

namespace {

// ---- What every part reads -------------------------------------------------------------------------------------

struct TextRow {
  int64_t id = 0;
  std::string text_id, source, customer_id, date, place, lang, extra;
  std::optional<Day> day;
  std::optional<double> rating;
  int label = 0;
};

std::vector<TextRow> load_text_rows(store::Workspace& ws) {
  ensure_schema(ws);
  std::vector<TextRow> out;
  Stmt s(ws.db(),
         "SELECT id, text_id, source, customer_id, date, day, place, lang, rating, label, extra FROM voice_texts "
         "ORDER BY id");
  while (s.step()) {
    TextRow t;
    t.id = s.i64(0);
    t.text_id = s.text(1);
    t.source = s.text(2);
    t.customer_id = s.text(3);
    t.date = s.text(4);
    if (!s.is_null(5)) t.day = static_cast<Day>(s.i64(5));
    t.place = s.text(6);
    t.lang = s.text(7);
    if (!s.is_null(8)) t.rating = s.f64(8);
    t.label = static_cast<int>(s.i64(9));
    t.extra = s.text(10);
    out.push_back(std::move(t));
  }
  return out;
}

std::string sentiment_name(int label) { return label > 0 ? "positive" : (label < 0 ? "negative" : "neutral"); }

// The stored tokens of one language as collocations() reads them (a token follows the previous one when it comes
// straight after it in the same text), and that language's strongest phrases.
std::vector<Phrase> language_phrases(const StoredTokens& tok, TextLang lang, uint64_t min_count, size_t top) {
  std::vector<PhraseToken> pt;
  for (size_t i = 0; i < tok.term.size(); ++i) {
    const uint32_t term = tok.term[i];
    if (term >= tok.term_lang.size() || tok.term_lang[term] != lang) continue;
    const bool follows = tok.follows[i] != 0 && !pt.empty() && pt.back().text == static_cast<uint32_t>(tok.text[i]);
    pt.push_back({static_cast<uint32_t>(tok.text[i]), term, tok.begin[i], tok.end[i], lang, follows});
  }
  return collocations(pt, min_count, top);
}

uint64_t pair_key(uint32_t first, uint32_t second) { return (static_cast<uint64_t>(first) << 32) | second; }

std::string phrase_text(const StoredTokens& tok, const Phrase& p, TextLang lang) {
  return tok.term_display[p.first] + (lang == TextLang::ja ? "" : " ") + tok.term_display[p.second];
}

// A UTF-8 string cut to at most `bytes` at a character boundary, with an ellipsis when cut.
std::string clip(std::string_view s, size_t bytes) {
  if (s.size() <= bytes) return std::string(s);
  size_t end = bytes;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  const size_t space = s.rfind(' ', end);
  if (space != std::string_view::npos && space > bytes / 2) end = space;
  return std::string(s.substr(0, end)) + "…";
}

std::string one_line(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  return s;
}

// Features of one language: its content words, then its strongest phrases (pairs of adjacent content words).
struct Features {
  TextLang lang = TextLang::en;
  std::vector<size_t> texts;  // index into the text rows, in id order
  DocTermMatrix counts;
  std::vector<std::string> label;            // display form of each feature
  std::vector<std::vector<uint32_t>> terms;  // the stored term ids each feature is made of
  size_t words = 0;                          // features [0, words) are words, the rest phrases
};

Features build_features(const StoredTokens& tok, const std::vector<TextRow>& rows, TextLang lang,
                        const ThemeRunOptions& opt) {
  Features f;
  f.lang = lang;
  std::unordered_map<int64_t, size_t> doc_of;
  for (size_t i = 0; i < rows.size(); ++i)
    if ((rows[i].lang == "ja") == (lang == TextLang::ja)) {
      doc_of.emplace(rows[i].id, f.texts.size());
      f.texts.push_back(i);
    }
  std::unordered_map<uint32_t, uint32_t> word_feature;
  std::vector<PhraseToken> pt;
  for (size_t i = 0; i < tok.term.size(); ++i) {
    const uint32_t term = tok.term[i];
    if (term >= tok.term_lang.size() || tok.term_lang[term] != lang || !doc_of.contains(tok.text[i])) continue;
    if (word_feature.emplace(term, static_cast<uint32_t>(f.label.size())).second) {
      f.label.push_back(tok.term_display[term]);
      f.terms.push_back({term});
    }
    const bool follows = tok.follows[i] != 0 && !pt.empty() && pt.back().text == doc_of[tok.text[i]];
    pt.push_back({static_cast<uint32_t>(doc_of[tok.text[i]]), term, tok.begin[i], tok.end[i], lang, follows});
  }
  f.words = f.label.size();
  std::unordered_map<uint64_t, uint32_t> phrase_feature;
  for (const auto& p : collocations(pt, opt.phrase_min_count, opt.phrases)) {
    phrase_feature.emplace(pair_key(p.first, p.second), static_cast<uint32_t>(f.label.size()));
    f.label.push_back(phrase_text(tok, p, lang));
    f.terms.push_back({p.first, p.second});
  }
  std::vector<std::vector<std::pair<uint32_t, float>>> rows_of(f.texts.size());
  for (size_t i = 0; i < pt.size(); ++i) {
    rows_of[pt[i].text].emplace_back(word_feature[pt[i].term], 1.0f);
    if (i > 0 && pt[i].follows) {
      const auto it = phrase_feature.find(pair_key(pt[i - 1].term, pt[i].term));
      if (it != phrase_feature.end()) rows_of[pt[i].text].emplace_back(it->second, 1.0f);
    }
  }
  f.counts.features = static_cast<uint32_t>(f.label.size());
  for (auto& r : rows_of) f.counts.add_row(std::move(r));
  f.counts.features = static_cast<uint32_t>(f.label.size());
  return f;
}

// A theme's label: its strongest phrase (when one is among the top five) then words not already in it.
std::string theme_label(const Features& f, std::span<const uint32_t> top, size_t parts) {
  std::vector<std::string> out;
  std::set<uint32_t> used_terms;
  for (size_t i = 0; i < std::min<size_t>(5, top.size()); ++i)
    if (top[i] >= f.words) {
      out.push_back(f.label[top[i]]);
      used_terms.insert(f.terms[top[i]].begin(), f.terms[top[i]].end());
      break;
    }
  for (uint32_t feature : top) {
    if (out.size() >= parts) break;
    if (feature >= f.words) continue;
    if (used_terms.contains(f.terms[feature][0])) continue;
    used_terms.insert(f.terms[feature][0]);
    out.push_back(f.label[feature]);
  }
  return fmt::format("{}", fmt::join(out, f.lang == TextLang::ja ? "・" : " · "));
}

// Sentences of the texts, by voice_texts.id.
std::unordered_map<int64_t, std::vector<Span>> load_sentences(store::Workspace& ws) {
  std::unordered_map<int64_t, std::vector<Span>> out;
  ws.scan("text_sentences", [&](const store::Chunk& c) {
    const auto& text = c.as<std::vector<int64_t>>("text");
    const auto& begin = c.as<std::vector<uint32_t>>("begin");
    const auto& end = c.as<std::vector<uint32_t>>("end");
    for (size_t i = 0; i < text.size(); ++i) out[text[i]].push_back({begin[i], end[i]});
  });
  return out;
}

std::unordered_map<int64_t, std::string> load_bodies(store::Workspace& ws) {
  std::unordered_map<int64_t, std::string> out;
  Stmt s(ws.db(), "SELECT id, text FROM voice_texts");
  while (s.step()) out.emplace(s.i64(0), s.text(1));
  return out;
}

// ---- Codebook matching --------------------------------------------------------------------------------------

std::string lower(std::string_view s) { return detail::ascii_lower(s); }

// How many of an entry's terms are among a theme's top features (as written, or as the stem / base form).
size_t overlap(const CodebookEntry& e, const std::vector<std::string>& top_labels,
               const std::vector<std::string>& top_stems) {
  size_t n = 0;
  for (const auto& t : e.terms) {
    const auto l = lower(t);
    if (std::find(top_labels.begin(), top_labels.end(), l) != top_labels.end() ||
        std::find(top_stems.begin(), top_stems.end(), l) != top_stems.end())
      ++n;
  }
  return n;
}

}  // namespace

// ---- Themes --------------------------------------------------------------------------------------------------

bool has_themes(store::Workspace& ws) { return ws.has_table("voice_quotes") && ws.has_table("voice_themes"); }

ThemesOutcome find_themes(store::Workspace& ws, const ThemeRunOptions& opt) {
  const auto rows = load_text_rows(ws);
  if (rows.empty())
    throw Error(ErrorCode::input, "the workspace has no texts", ws.path().string(),
                "import texts first: koko voice import FILE");
  const auto tok = load_tokens(ws);
  const auto sentences = load_sentences(ws);
  const auto bodies = load_bodies(ws);
  const auto codebook = load_codebook(ws);
  // Each text's tokens are stored together: where they start and end.
  std::unordered_map<int64_t, std::pair<size_t, size_t>> token_range;
  for (size_t i = 0; i < tok.text.size();) {
    size_t j = i + 1;
    while (j < tok.text.size() && tok.text[j] == tok.text[i]) ++j;
    token_range[tok.text[i]] = {i, j};
    i = j;
  }
  ThemesOutcome out;
  ResultTable themes{
      "voice_themes",
      {"lang", "theme", "label", "name", "description", "texts", "share", "customers", "low_confidence", "terms"},
      {}};
  ResultTable coherence{"voice_theme_k", {"lang", "k", "coherence", "chosen"}, {}};
  ResultTable quotes{"voice_quotes",
                     {"lang", "theme", "label", "rank", "text", "text_id", "customer_id", "date", "source", "sentiment",
                      "weight", "share", "low_confidence", "quote", "also"},
                     {}};
  std::vector<std::string> errors;
  for (const auto lang : {TextLang::en, TextLang::ja}) {
    const std::string code(lang_code(lang));
    if (!opt.lang.empty() && opt.lang != code) continue;
    Features f = build_features(tok, rows, lang, opt);
    if (f.texts.empty()) continue;
    if (f.texts.size() < opt.min_texts) {
      out.notes.push_back(fmt::format("{} {} texts: too few for themes (at least {})", f.texts.size(),
                                      code == "ja" ? "Japanese" : "English", opt.min_texts));
      continue;
    }
    std::vector<uint32_t> kept;
    auto vocab = opt.vocab;
    // Small corpora keep words seen twice: min_df is at most a hundredth of the texts, and never below 2 unless
    // the setting itself is lower.
    const auto hundredth = static_cast<uint32_t>(f.texts.size() / 100);
    vocab.min_df = std::max(std::min(hundredth, opt.vocab.min_df), std::min<uint32_t>(2, opt.vocab.min_df));
    const DocTermMatrix weights = tfidf(f.counts, vocab, kept);
    if (weights.features == 0) {
      errors.push_back(fmt::format(
          "{} {} texts have no words left after stop words and the document-frequency limits (in at least {} "
          "texts, at most {:.0f} % of them)",
          f.texts.size(), code == "ja" ? "Japanese" : "English", vocab.min_df, vocab.max_df * 100));
      continue;
    }
    if (opt.themes.k > 0 && opt.themes.k > std::min<size_t>(f.texts.size(), weights.features))
      throw Error(ErrorCode::usage,
                  fmt::format("{} themes asked of {} {} texts with {} distinct terms", opt.themes.k, f.texts.size(),
                              code == "ja" ? "Japanese" : "English", weights.features),
                  {}, fmt::format("use --k {} or fewer", std::min<size_t>(f.texts.size(), weights.features)));
    // Counts with the same columns as the weights, for co-occurrence.
    DocTermMatrix counts;
    {
      std::vector<int64_t> renumber(f.counts.features, -1);
      for (size_t i = 0; i < kept.size(); ++i) renumber[kept[i]] = static_cast<int64_t>(i);
      for (size_t r = 0; r < f.counts.docs(); ++r) {
        std::vector<std::pair<uint32_t, float>> e;
        for (uint64_t i = f.counts.row_start[r]; i < f.counts.row_start[r + 1]; ++i)
          if (renumber[f.counts.column[i]] >= 0)
            e.emplace_back(static_cast<uint32_t>(renumber[f.counts.column[i]]), f.counts.value[i]);
        counts.add_row(std::move(e));
      }
      counts.features = weights.features;
    }
    const ThemeChoice choice = choose_themes(weights, counts, opt.themes);
    const auto assigned = assign_themes(choice.model, opt.min_share);
    const auto top = top_features(choice.model, 20);

    ThemeLanguage tl;
    tl.lang = code;
    tl.texts = f.texts.size();
    tl.features = weights.features;
    for (size_t r = 0; r < weights.docs(); ++r) tl.without_terms += weights.row_start[r + 1] == weights.row_start[r];
    tl.k = choice.k;
    tl.coherence = choice.coherence;
    tl.iterations = choice.model.iterations;
    tl.converged = choice.model.converged;
    for (const auto& [k, c] : choice.coherence)
      coherence.rows.push_back({code, static_cast<int64_t>(k), c, static_cast<int64_t>(k == choice.k)});

    // Per theme: texts, customers, labels, codebook names.
    const size_t k = choice.k;
    std::vector<ThemeSummary> summary(k);
    std::vector<std::set<std::string>> customers(k);
    std::vector<std::vector<size_t>> members(k);  // document indexes
    for (size_t d = 0; d < assigned.size(); ++d) {
      const auto& a = assigned[d];
      auto& s = summary[a.theme];
      ++s.texts;
      s.low_confidence += a.low_confidence ? 1 : 0;
      const auto& row = rows[f.texts[d]];
      if (!row.customer_id.empty()) customers[a.theme].insert(row.customer_id);
      members[a.theme].push_back(d);
    }
    std::vector<bool> entry_used(codebook.size(), false);
    for (size_t t = 0; t < k; ++t) {
      auto& s = summary[t];
      s.lang = code;
      s.theme = static_cast<uint32_t>(t + 1);
      std::vector<uint32_t> original;
      for (uint32_t c : top[t]) original.push_back(kept[c]);
      s.label = theme_label(f, original, 3);
      for (size_t i = 0; i < std::min<size_t>(10, original.size()); ++i) s.terms.push_back(f.label[original[i]]);
      s.customers = customers[t].size();
      s.share = static_cast<double>(s.texts) / static_cast<double>(f.texts.size());
      // The codebook entry with the most terms among the theme's top 20 (at least two, or its only term).
      std::vector<std::string> labels, stems;
      for (uint32_t c : original) {
        labels.push_back(lower(f.label[c]));
        std::string stem;
        for (uint32_t term : f.terms[c]) stem += (stem.empty() ? "" : " ") + lower(tok.terms[term]);
        stems.push_back(stem);
      }
      size_t best = codebook.size(), best_n = 0;
      for (size_t e = 0; e < codebook.size(); ++e) {
        if (entry_used[e]) continue;
        const size_t n = overlap(codebook[e], labels, stems);
        if (n > best_n && (n >= 2 || n == codebook[e].terms.size())) best = e, best_n = n;
      }
      if (best < codebook.size()) {
        entry_used[best] = true;
        s.name = codebook[best].name;
        s.description = codebook[best].description;
      }
    }

    // Quotes: each text's sentence with the most theme weight; members ranked by their loading.
    // Feature weights per stored term for the quote scores: a word's own weight on the theme.
    std::unordered_map<uint32_t, uint32_t> kept_of_term;
    for (size_t c = 0; c < kept.size(); ++c)
      if (kept[c] < f.words) kept_of_term.emplace(f.terms[kept[c]][0], static_cast<uint32_t>(c));
    auto best_sentence = [&](size_t d, uint32_t theme) {
      const auto& row = rows[f.texts[d]];
      const auto body = bodies.find(row.id);
      if (body == bodies.end()) return std::string();
      const auto sent = sentences.find(row.id);
      if (sent == sentences.end() || sent->second.empty()) return clip(one_line(body->second), 240);
      std::vector<double> score(sent->second.size(), 0);
      const float* h = choice.model.h.data() + static_cast<size_t>(theme) * choice.model.features;
      // A text without content words keeps its first sentence.
      if (const auto range = token_range.find(row.id); range != token_range.end())
        for (size_t i = range->second.first; i < range->second.second; ++i) {
          const auto c = kept_of_term.find(tok.term[i]);
          if (c != kept_of_term.end() && tok.sentence[i] < score.size()) score[tok.sentence[i]] += h[c->second];
        }
      const size_t best = static_cast<size_t>(std::max_element(score.begin(), score.end()) - score.begin());
      const auto& span = sent->second[best];
      if (span.end > body->second.size() || span.begin > span.end) return clip(one_line(body->second), 240);
      return clip(one_line(body->second.substr(span.begin, span.end - span.begin)), 240);
    };

    // Other themes a text holds strongly (at least opt.also_share of its weight), as their labels.
    auto also_of = [&](size_t d, size_t best) {
      const float* w = choice.model.w.data() + d * k;
      double sum = 0;
      for (size_t t = 0; t < k; ++t) sum += w[t];
      std::vector<std::string> out_labels;
      for (size_t t = 0; t < k; ++t)
        if (t != best && sum > 0 && w[t] / sum >= opt.also_share)
          out_labels.push_back(summary[t].name.empty() ? summary[t].label : summary[t].name);
      return fmt::format("{}", fmt::join(out_labels, "\n"));
    };
    for (size_t t = 0; t < k; ++t) {
      auto& m = members[t];
      std::stable_sort(m.begin(), m.end(), [&](size_t x, size_t y) {
        if (assigned[x].low_confidence != assigned[y].low_confidence) return !assigned[x].low_confidence;
        return assigned[x].weight > assigned[y].weight;
      });
      // Three quotes: different customers saying different things first; repeats only when nothing else is left.
      std::set<std::string> quoted_customers, quoted_sentences;
      for (size_t pass = 0; pass < 3 && summary[t].quotes.size() < 3; ++pass)
        for (size_t i = 0; i < m.size() && i < 2000; ++i) {
          if (summary[t].quotes.size() >= 3) break;
          const size_t d = m[i];
          const auto& row = rows[f.texts[d]];
          const bool already = std::any_of(summary[t].quotes.begin(), summary[t].quotes.end(),
                                           [&](const Quote& q) { return q.text == row.id; });
          if (already) continue;
          const bool same_customer = !row.customer_id.empty() && quoted_customers.contains(row.customer_id);
          std::string sentence = best_sentence(d, static_cast<uint32_t>(t));
          const bool same_words = quoted_sentences.contains(sentence);
          if ((pass == 0 && (same_customer || same_words)) || (pass == 1 && same_words)) continue;
          quoted_customers.insert(row.customer_id);
          quoted_sentences.insert(sentence);
          summary[t].quotes.push_back(
              {row.id, row.text_id, row.customer_id, row.date, row.source, row.label, std::move(sentence)});
        }
      // Ranks: the three representative quotes first, then the rest by their loading.
      std::stable_partition(m.begin(), m.end(), [&](size_t d) {
        return std::any_of(summary[t].quotes.begin(), summary[t].quotes.end(),
                           [&](const Quote& q) { return q.text == rows[f.texts[d]].id; });
      });
      std::stable_sort(m.begin(), m.begin() + static_cast<std::ptrdiff_t>(summary[t].quotes.size()),
                       [&](size_t x, size_t y) {
                         auto at = [&](size_t d) {
                           for (size_t i = 0; i < summary[t].quotes.size(); ++i)
                             if (summary[t].quotes[i].text == rows[f.texts[d]].id) return i;
                           return summary[t].quotes.size();
                         };
                         return at(x) < at(y);
                       });
      for (size_t r = 0; r < m.size(); ++r) {
        const size_t d = m[r];
        const auto& row = rows[f.texts[d]];
        const auto& a = assigned[d];
        quotes.rows.push_back(
            {code, static_cast<int64_t>(t + 1), summary[t].name.empty() ? summary[t].label : summary[t].name,
             static_cast<int64_t>(r + 1), row.id, row.text_id, row.customer_id, row.date, row.source,
             sentiment_name(row.label), static_cast<double>(a.weight), static_cast<double>(a.share),
             static_cast<int64_t>(a.low_confidence), best_sentence(d, static_cast<uint32_t>(t)), also_of(d, t)});
      }
    }
    for (auto& s : summary) {
      themes.rows.push_back({s.lang, static_cast<int64_t>(s.theme), s.label, s.name, s.description,
                             static_cast<int64_t>(s.texts), s.share, static_cast<int64_t>(s.customers),
                             static_cast<int64_t>(s.low_confidence), fmt::format("{}", fmt::join(s.terms, "; "))});
      out.themes.push_back(std::move(s));
    }
    out.languages.push_back(std::move(tl));
  }
  if (out.languages.empty()) {
    if (!errors.empty())
      throw Error(ErrorCode::input, errors.front(), {}, "import more texts, or lower voice.themes_min_df");
    throw Error(ErrorCode::input, out.notes.empty() ? std::string("no texts to find themes in") : out.notes.front(), {},
                "import more texts (themes need at least " + std::to_string(opt.min_texts) + " per language)");
  }
  for (auto& e : errors) out.notes.push_back(std::move(e));
  ws.write_table(themes);
  ws.write_table(coherence);
  ws.write_table(quotes);
  return out;
}

// ---- Codebook ------------------------------------------------------------------------------------------------

std::vector<CodebookEntry> read_codebook(const fs::path& file) {
  io::CsvOptions csv;
  const auto records = io::open_records(file, csv);
  const auto& header = records->header();
  auto column = [&](std::string_view name) -> std::optional<size_t> {
    for (size_t i = 0; i < header.size(); ++i)
      if (lower(header[i]) == name) return i;
    return std::nullopt;
  };
  const auto c_name = column("name"), c_desc = column("description"), c_terms = column("terms");
  if (!c_name || !c_terms)
    throw Error(ErrorCode::input, "a codebook needs name and terms columns (and optionally description)", file.string(),
                fmt::format("its columns: {}", fmt::join(header, ", ")));
  std::vector<CodebookEntry> out;
  io::Record r;
  while (records->next(r)) {
    auto at = [&](size_t c) { return c < r.fields.size() ? std::string(r.fields[c]) : std::string(); };
    CodebookEntry e;
    e.name = at(*c_name);
    if (c_desc) e.description = at(*c_desc);
    std::string terms = at(*c_terms);
    size_t start = 0;
    for (size_t i = 0; i <= terms.size(); ++i)
      if (i == terms.size() || terms[i] == ';' || terms[i] == '|') {
        std::string t = terms.substr(start, i - start);
        while (!t.empty() && t.front() == ' ') t.erase(t.begin());
        while (!t.empty() && t.back() == ' ') t.pop_back();
        if (!t.empty()) e.terms.push_back(t);
        start = i + 1;
      }
    if (e.name.empty())
      throw Error(ErrorCode::input, "a codebook row without a name", fmt::format("{}:{}", file.string(), r.line),
                  "give every theme a name");
    if (e.terms.empty())
      throw Error(ErrorCode::input, fmt::format("codebook theme '{}' has no terms", e.name),
                  fmt::format("{}:{}", file.string(), r.line), "list its terms separated by ;");
    out.push_back(std::move(e));
  }
  if (out.empty()) throw Error(ErrorCode::input, "the codebook has no rows", file.string(), "");
  return out;
}

void store_codebook(store::Workspace& ws, const std::vector<CodebookEntry>& entries) {
  ResultTable t{"voice_codebook", {"name", "description", "terms"}, {}};
  for (const auto& e : entries) t.rows.push_back({e.name, e.description, fmt::format("{}", fmt::join(e.terms, "; "))});
  ws.write_table(t);
}

std::vector<CodebookEntry> load_codebook(store::Workspace& ws) {
  std::vector<CodebookEntry> out;
  if (!ws.has_table("voice_codebook")) return out;
  for (const auto& r : ws.read_table("voice_codebook").rows) {
    CodebookEntry e;
    e.name = store::as_text(r[0]);
    e.description = store::as_text(r[1]);
    const std::string terms = store::as_text(r[2]);
    size_t start = 0;
    for (size_t i = 0; i <= terms.size(); ++i)
      if (i == terms.size() || terms[i] == ';') {
        std::string term = terms.substr(start, i - start);
        while (!term.empty() && term.front() == ' ') term.erase(term.begin());
        if (!term.empty()) e.terms.push_back(term);
        start = i + 1;
      }
    out.push_back(std::move(e));
  }
  return out;
}

std::string codebook_csv(store::Workspace& ws) {
  if (!ws.has_table("voice_themes"))
    throw Error(ErrorCode::input, "no themes yet", ws.path().string(), "run koko voice themes first");
  std::string out = "name,description,terms,lang,theme,texts\n";
  for (const auto& r : ws.read_table("voice_themes").rows) {
    const std::string name = store::as_text(r[3]).empty() ? store::as_text(r[2]) : store::as_text(r[3]);
    out += report::csv_field(name) + "," + report::csv_field(store::as_text(r[4])) + "," +
           report::csv_field(store::as_text(r[9])) + "," + store::as_text(r[0]) + "," + store::as_text(r[1]) + "," +
           store::as_text(r[5]) + "\n";
  }
  return out;
}

// ---- Groups of texts ------------------------------------------------------------------------------------------

namespace {

struct CoreFlags {
  std::unordered_map<std::string, int> is_core;  // customer_id → 1 core, 0 not
  std::unordered_map<std::string, std::string> segment;
  uint64_t core_customers = 0;
};

CoreFlags load_core(store::Workspace& ws) {
  CoreFlags out;
  if (ws.columnar_rows("segment_customers") == 0) return out;
  const auto ids = ingest::load_customer_ids(ws);
  ws.scan("segment_customers", [&](const store::Chunk& c) {
    const auto& key = c.as<std::vector<uint32_t>>("customer");
    const auto& core = c.as<std::vector<int32_t>>("is_core");
    const auto& seg = c.as<std::vector<int32_t>>("segment");
    for (size_t i = 0; i < key.size(); ++i) {
      if (key[i] >= ids.size()) continue;
      out.is_core[ids[key[i]]] = core[i] ? 1 : 0;
      out.core_customers += core[i] ? 1 : 0;
      if (seg[i] >= 0 && static_cast<size_t>(seg[i]) < segment::kBuyerNames.size())
        out.segment[ids[key[i]]] = std::string(segment::kBuyerNames[static_cast<size_t>(seg[i])]);
    }
  });
  return out;
}

// customer_id → that attribute of the customers table.
std::unordered_map<std::string, std::string> customer_attribute(store::Workspace& ws, const std::string& name) {
  std::unordered_map<std::string, std::string> out;
  for (auto& [id, v] : customer_segments(ws, name)) out.emplace(id, std::move(v));
  return out;
}

std::vector<std::string> customer_attribute_names(store::Workspace& ws) {
  std::vector<std::string> out;
  if (ws.columnar_rows("customers") == 0) return out;
  bool first = true;
  ws.scan("customers", [&](const store::Chunk& c) {
    if (!first) return;
    first = false;
    for (const auto& col : c.columns)
      if (col.name != "customer" && std::holds_alternative<StringColumn>(col.data)) out.push_back(col.name);
  });
  return out;
}

std::string format_rating(double r) {
  return r == std::floor(r) ? fmt::format("{}", static_cast<int64_t>(r)) : fmt::format("{}", r);
}

// Each text's value of the grouping column ("" = unknown, left out).
std::vector<std::string> group_values(store::Workspace& ws, const std::vector<TextRow>& rows, const std::string& g,
                                      const CoreFlags& core) {
  std::vector<std::string> out(rows.size());
  const auto lg = lower(g);
  if (lg == "core") {
    for (size_t i = 0; i < rows.size(); ++i) {
      const auto it = core.is_core.find(rows[i].customer_id);
      if (it != core.is_core.end()) out[i] = it->second ? "core" : "other";
    }
    return out;
  }
  if (lg == "segment" && !core.segment.empty()) {
    for (size_t i = 0; i < rows.size(); ++i) {
      const auto it = core.segment.find(rows[i].customer_id);
      if (it != core.segment.end()) out[i] = it->second;
    }
    return out;
  }
  if (lg == "sentiment") {
    for (size_t i = 0; i < rows.size(); ++i) out[i] = sentiment_name(rows[i].label);
    return out;
  }
  if (lg == "source" || lg == "lang" || lg == "place" || lg == "rating") {
    for (size_t i = 0; i < rows.size(); ++i)
      out[i] = lg == "source"  ? rows[i].source
               : lg == "lang"  ? rows[i].lang
               : lg == "place" ? rows[i].place
                               : (rows[i].rating ? format_rating(*rows[i].rating) : "");
    return out;
  }
  bool found = false;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].extra.empty()) continue;
    const auto j = nlohmann::json::parse(rows[i].extra, nullptr, false);
    if (!j.is_object() || !j.contains(g)) continue;
    found = true;
    const auto& v = j[g];
    out[i] = v.is_string() ? v.get<std::string>() : (v.is_null() ? "" : v.dump());
  }
  if (found) return out;
  const auto names = customer_attribute_names(ws);
  if (std::find(names.begin(), names.end(), g) != names.end()) {
    const auto attr = customer_attribute(ws, g);
    for (size_t i = 0; i < rows.size(); ++i) {
      const auto it = attr.find(rows[i].customer_id);
      if (it != attr.end()) out[i] = it->second;
    }
    return out;
  }
  std::set<std::string> extra_names;
  for (const auto& r : rows) {
    if (r.extra.empty()) continue;
    const auto j = nlohmann::json::parse(r.extra, nullptr, false);
    if (j.is_object())
      for (const auto& [k, v] : j.items()) extra_names.insert(k);
    if (extra_names.size() > 20) break;
  }
  std::vector<std::string> choices = {"core", "segment", "sentiment", "source", "lang", "rating", "place"};
  choices.insert(choices.end(), extra_names.begin(), extra_names.end());
  choices.insert(choices.end(), names.begin(), names.end());
  throw Error(ErrorCode::usage, fmt::format("no text column or customer attribute named '{}'", g), {},
              fmt::format("group by one of: {}", fmt::join(choices, ", ")));
}

}  // namespace

// The columns of the part-2 result tables that more than one function writes.
const std::vector<std::string> kContrastColumns = {"group",   "a",       "b",       "side",    "unit",  "key",
                                                   "count_a", "count_b", "share_a", "share_b", "delta", "z"};
const std::vector<std::string> kCoreColumns = {
    "rank",        "kind", "key",   "lang",        "core_customers", "core_share", "other_customers",
    "other_share", "z",    "dated", "median_days", "p25_days",       "p75_days",   "quotes"};
const std::vector<std::string> kReachColumns = {
    "attribute",  "level", "numeric", "reached", "not_reached",  "reached_share",   "not_reached_share",
    "reach_rate", "lift",  "effect",  "z",       "mean_reached", "mean_not_reached"};

// ---- Contrast ------------------------------------------------------------------------------------------------

ContrastOutcome contrast(store::Workspace& ws, const ContrastRequest& req) {
  const auto rows = load_text_rows(ws);
  if (rows.empty())
    throw Error(ErrorCode::input, "the workspace has no texts", ws.path().string(),
                "import texts first: koko voice import FILE");
  const auto core = load_core(ws);
  if (lower(req.group) == "core" && core.is_core.empty())
    throw Error(ErrorCode::input, "no core customers yet", ws.path().string(),
                "import orders and run koko analyze (the segment analysis scores core customers) first");
  const auto values = group_values(ws, rows, req.group, core);
  ContrastOutcome out;
  out.group = req.group;
  out.a = req.a;
  out.b = req.b;
  std::map<std::string, uint64_t> per_value;
  for (const auto& v : values)
    if (!v.empty()) ++per_value[v];
  auto counts_text = [&] {
    std::vector<std::string> parts;
    for (const auto& [v, n] : per_value) parts.push_back(fmt::format("{} {}", v, n));
    return parts.empty() ? std::string("no texts have a value") : fmt::format("{}", fmt::join(parts, ", "));
  };
  const auto lg = lower(req.group);
  if (out.a.empty()) {
    if (lg == "core") {
      out.a = "core", out.b = out.b.empty() ? "other" : out.b;
    } else if (lg == "sentiment") {
      out.a = "positive", out.b = out.b.empty() ? "negative" : out.b;
    } else {
      throw Error(ErrorCode::usage, fmt::format("which value of '{}' is group A?", req.group), {},
                  fmt::format("pass --a VALUE (and --b VALUE, default every other text); values: {}", counts_text()));
    }
  }
  if (lg == "core" && !per_value.contains("core"))
    throw Error(ErrorCode::input,
                fmt::format("none of the {} core customers has a text ({} texts)",
                            format_count(static_cast<int64_t>(core.core_customers)),
                            format_count(static_cast<int64_t>(rows.size()))),
                {}, "import texts with a customer_id column that matches the orders' customer IDs");
  if (!per_value.contains(out.a))
    throw Error(ErrorCode::usage, fmt::format("no texts have {} = '{}'", req.group, out.a), {},
                fmt::format("values: {}", counts_text()));
  if (!out.b.empty() && !per_value.contains(out.b))
    throw Error(ErrorCode::usage, fmt::format("no texts have {} = '{}'", req.group, out.b), {},
                fmt::format("values: {}", counts_text()));
  std::vector<int> side(rows.size(), -1);  // 0 = a, 1 = b
  for (size_t i = 0; i < rows.size(); ++i) {
    if (values[i].empty()) continue;
    if (values[i] == out.a)
      side[i] = 0;
    else if (out.b.empty() || values[i] == out.b)
      side[i] = 1;
  }
  for (int s : side) (s == 0 ? out.texts_a : out.texts_b) += s >= 0 ? 1 : 0;
  if (out.texts_a < req.min_texts || out.texts_b < req.min_texts)
    throw Error(
        ErrorCode::input,
        fmt::format("too few texts to compare: {} = '{}' has {}, {} has {} (at least {} each)", req.group, out.a,
                    out.texts_a, out.b.empty() ? "the rest" : "'" + out.b + "'", out.texts_b, req.min_texts),
        {}, fmt::format("choose groups with more texts (values: {})", counts_text()));
  if (out.b.empty()) out.b = "rest";

  std::unordered_map<int64_t, size_t> index_of;
  for (size_t i = 0; i < rows.size(); ++i) index_of.emplace(rows[i].id, i);
  const auto tok = load_tokens(ws);

  // Units: words, phrases (top collocations of each language) and themes (each text's best theme).
  struct Unit {
    std::string kind, key;
    double n[2] = {0, 0};
    uint64_t texts[2] = {0, 0};
  };
  std::vector<Unit> units;
  std::unordered_map<uint32_t, size_t> word_unit;
  std::unordered_map<uint64_t, size_t> phrase_unit;
  for (const auto lang : {TextLang::en, TextLang::ja})
    for (const auto& p : language_phrases(tok, lang, 5, 500)) {
      phrase_unit.emplace(pair_key(p.first, p.second), units.size());
      units.push_back({"phrase", phrase_text(tok, p, lang), {0, 0}, {0, 0}});
    }
  int64_t last_text = -1;
  uint32_t last_term = UINT32_MAX;
  std::unordered_set<size_t> seen;
  int current_side = -1;
  auto flush = [&] {
    if (current_side >= 0)
      for (size_t u : seen) ++units[u].texts[current_side];
    seen.clear();
  };
  for (size_t i = 0; i < tok.term.size(); ++i) {
    if (tok.text[i] != last_text) {
      flush();
      last_text = tok.text[i];
      last_term = UINT32_MAX;
      const auto it = index_of.find(tok.text[i]);
      current_side = it == index_of.end() ? -1 : side[it->second];
    }
    const uint32_t term = tok.term[i];
    if (current_side >= 0) {
      auto [w, fresh] = word_unit.emplace(term, units.size());
      if (fresh) units.push_back({"term", tok.term_display[term], {0, 0}, {0, 0}});
      units[w->second].n[current_side] += 1;
      seen.insert(w->second);
      if (tok.follows[i] && last_term != UINT32_MAX) {
        const auto p = phrase_unit.find(pair_key(last_term, term));
        if (p != phrase_unit.end()) {
          units[p->second].n[current_side] += 1;
          seen.insert(p->second);
        }
      }
    }
    last_term = term;
  }
  flush();
  if (has_themes(ws)) {
    std::map<std::string, size_t> theme_unit;
    for (const auto& r : ws.read_table("voice_quotes").rows) {
      const auto it = index_of.find(store::as_int(r[4]));
      if (it == index_of.end() || side[it->second] < 0) continue;
      const std::string key = store::as_text(r[2]);
      auto [u, fresh] = theme_unit.emplace(key, units.size());
      if (fresh) units.push_back({"theme", key, {0, 0}, {0, 0}});
      units[u->second].n[side[it->second]] += 1;
      units[u->second].texts[side[it->second]] += 1;
    }
  }
  ResultTable table{"voice_contrast", kContrastColumns, {}};
  for (const std::string kind : {"term", "phrase", "theme"}) {
    std::vector<double> a, b;
    std::vector<size_t> idx;
    for (size_t u = 0; u < units.size(); ++u)
      if (units[u].kind == kind && units[u].texts[0] + units[u].texts[1] >= 2) {
        idx.push_back(u);
        a.push_back(units[u].n[0]);
        b.push_back(units[u].n[1]);
      }
    if (idx.empty()) continue;
    const auto lo = log_odds_dirichlet(a, b, req.alpha0);
    std::vector<size_t> order(idx.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    auto emit = [&](size_t i, const char* s) {
      const auto& u = units[idx[i]];
      ContrastRow r;
      r.side = s;
      r.unit = kind;
      r.key = u.key;
      r.count_a = static_cast<uint64_t>(u.n[0]);
      r.count_b = static_cast<uint64_t>(u.n[1]);
      r.share_a = static_cast<double>(u.texts[0]) / static_cast<double>(out.texts_a);
      r.share_b = static_cast<double>(u.texts[1]) / static_cast<double>(out.texts_b);
      r.delta = lo[i].delta;
      r.z = lo[i].z;
      out.rows.push_back(r);
      table.rows.push_back({out.group, out.a, out.b, r.side, r.unit, r.key, static_cast<int64_t>(r.count_a),
                            static_cast<int64_t>(r.count_b), r.share_a, r.share_b, r.delta, r.z});
    };
    std::sort(order.begin(), order.end(), [&](size_t x, size_t y) {
      return lo[x].z != lo[y].z ? lo[x].z > lo[y].z : units[idx[x]].key < units[idx[y]].key;
    });
    for (size_t i = 0; i < std::min(req.top, order.size()) && lo[order[i]].z > 0; ++i) emit(order[i], "a");
    for (size_t i = 0; i < std::min(req.top, order.size()) && lo[order[order.size() - 1 - i]].z < 0; ++i)
      emit(order[order.size() - 1 - i], "b");
  }
  ws.write_table(table);
  return out;
}

// ---- Core experience -----------------------------------------------------------------------------------------

namespace {

std::optional<double> quantile(std::vector<double> v, double q) {
  if (v.empty()) return std::nullopt;
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

}  // namespace

CoreExperienceOutcome core_experience(store::Workspace& ws, const CoreExperienceOptions& opt) {
  const auto rows = load_text_rows(ws);
  const auto core = load_core(ws);
  if (core.is_core.empty())
    throw Error(ErrorCode::input, "no core customers yet", ws.path().string(),
                "import orders and run koko analyze (the segment analysis scores core customers) first");
  if (!has_themes(ws))
    throw Error(ErrorCode::input, "no themes yet", ws.path().string(), "run koko voice themes first");
  CoreExperienceOutcome out;
  out.core_customers = core.core_customers;
  // Customers with texts, and which themes and phrases each expresses (first dated text for each).
  struct Customer {
    int is_core = 0;
    std::map<std::string, std::optional<Day>> expressed;  // "theme:label" / "phrase:key" → first day
  };
  std::map<std::string, Customer> customers;
  std::unordered_map<int64_t, size_t> index_of;
  for (size_t i = 0; i < rows.size(); ++i) {
    index_of.emplace(rows[i].id, i);
    const auto it = core.is_core.find(rows[i].customer_id);
    if (it != core.is_core.end()) customers[rows[i].customer_id].is_core = it->second;
  }
  for (const auto& [id, c] : customers) (c.is_core ? out.core_with_texts : out.others_with_texts) += 1;
  if (out.core_with_texts == 0)
    throw Error(ErrorCode::input,
                fmt::format("none of the {} core customers has a text ({} texts, {} of them from customers the "
                            "segment analysis scored)",
                            format_count(static_cast<int64_t>(out.core_customers)),
                            format_count(static_cast<int64_t>(rows.size())),
                            format_count(static_cast<int64_t>(out.others_with_texts))),
                {}, "import texts with a customer_id column that matches the orders' customer IDs");
  if (out.core_with_texts < opt.min_core_texts || out.others_with_texts < opt.min_core_texts)
    throw Error(ErrorCode::input,
                fmt::format("too few customers with texts to compare: {} core, {} others (at least {} each)",
                            out.core_with_texts, out.others_with_texts, opt.min_core_texts),
                {}, "import more texts linked to customers");
  auto note = [&](const std::string& cust, const std::string& key, std::optional<Day> day) {
    const auto c = customers.find(cust);
    if (c == customers.end()) return;
    auto [it, fresh] = c->second.expressed.emplace(key, day);
    if (!fresh && day && (!it->second || *day < *it->second)) it->second = day;
  };
  const auto quote_rows = ws.read_table("voice_quotes").rows;
  std::map<std::string, std::string> theme_lang;
  for (const auto& r : quote_rows) {
    const auto it = index_of.find(store::as_int(r[4]));
    if (it == index_of.end()) continue;
    const std::string key = "theme:" + store::as_text(r[2]);
    theme_lang[key] = store::as_text(r[0]);
    note(rows[it->second].customer_id, key, rows[it->second].day);
    const std::string also = r.size() > 14 ? store::as_text(r[14]) : std::string();
    for (size_t start = 0; start < also.size();) {
      const size_t nl = std::min(also.find('\n', start), also.size());
      note(rows[it->second].customer_id, "theme:" + also.substr(start, nl - start), rows[it->second].day);
      start = nl + 1;
    }
  }
  // Phrases: the contrast's own phrase list, by customer.
  const auto tok = load_tokens(ws);
  std::unordered_map<uint64_t, std::string> phrase_key;
  for (const auto lang : {TextLang::en, TextLang::ja})
    for (const auto& p : language_phrases(tok, lang, 3, 500))
      phrase_key.emplace(pair_key(p.first, p.second), "phrase:" + phrase_text(tok, p, lang));
  for (size_t i = 1; i < tok.term.size(); ++i) {
    if (!tok.follows[i] || tok.text[i] != tok.text[i - 1]) continue;
    const auto p = phrase_key.find(pair_key(tok.term[i - 1], tok.term[i]));
    if (p == phrase_key.end()) continue;
    const auto it = index_of.find(tok.text[i]);
    if (it != index_of.end()) note(rows[it->second].customer_id, p->second, rows[it->second].day);
  }
  // First purchase of each customer, for the days until they first express it.
  std::unordered_map<std::string, Day> first_purchase;
  if (ws.columnar_rows("orders") > 0) {
    const auto ids = ingest::load_customer_ids(ws);
    const auto orders = ingest::load_orders(ws);
    std::vector<Day> first(ids.size(), std::numeric_limits<Day>::max());
    for (size_t i = 0; i < orders.customer.size(); ++i)
      if (orders.customer[i] < first.size() && orders.amount[i] >= 0)
        first[orders.customer[i]] = std::min(first[orders.customer[i]], orders.day[i]);
    for (size_t k = 0; k < ids.size(); ++k)
      if (first[k] != std::numeric_limits<Day>::max() && customers.contains(ids[k]))
        first_purchase.emplace(ids[k], first[k]);
  }
  // Counts per item, core vs others (customers), and the log-odds on customer counts.
  std::map<std::string, std::array<uint64_t, 2>> counts;
  for (const auto& [id, c] : customers)
    for (const auto& [key, day] : c.expressed) ++counts[key][c.is_core ? 0 : 1];
  std::vector<std::string> keys;
  std::vector<double> a, b;
  for (const auto& [key, n] : counts) {
    if (n[0] + n[1] < 3) continue;
    keys.push_back(key);
    a.push_back(static_cast<double>(n[0]));
    b.push_back(static_cast<double>(n[1]));
  }
  // Customers as units: each group's "corpus" is its customers' expressions, compared with the pooled prior.
  const auto lo = log_odds_dirichlet(a, b);
  std::vector<CoreItem> themes, phrases;
  for (size_t i = 0; i < keys.size(); ++i) {
    CoreItem item;
    const bool is_theme = keys[i].starts_with("theme:");
    item.kind = is_theme ? "theme" : "phrase";
    item.key = keys[i].substr(is_theme ? 6 : 7);
    item.lang = is_theme ? theme_lang[keys[i]] : "";
    item.core_customers = static_cast<uint64_t>(a[i]);
    item.other_customers = static_cast<uint64_t>(b[i]);
    item.core_share = a[i] / static_cast<double>(out.core_with_texts);
    item.other_share = b[i] / static_cast<double>(out.others_with_texts);
    item.z = lo[i].z;
    if (item.z < opt.min_z || item.core_share <= item.other_share) continue;
    (is_theme ? themes : phrases).push_back(std::move(item));
  }
  auto by_share = [](const CoreItem& x, const CoreItem& y) {
    return x.core_share != y.core_share ? x.core_share > y.core_share : x.key < y.key;
  };
  std::sort(themes.begin(), themes.end(), by_share);
  std::sort(phrases.begin(), phrases.end(), by_share);
  if (themes.size() > opt.themes) themes.resize(opt.themes);
  if (phrases.size() > opt.phrases) phrases.resize(opt.phrases);
  for (auto* list : {&themes, &phrases})
    for (auto& item : *list) out.items.push_back(std::move(item));
  // Days from first purchase to the first text expressing it, and quotes from core customers.
  for (auto& item : out.items) {
    const std::string key = item.kind + ":" + item.key;
    std::vector<double> days;
    for (const auto& [id, c] : customers) {
      if (!c.is_core) continue;
      const auto e = c.expressed.find(key);
      const auto fp = first_purchase.find(id);
      if (e == c.expressed.end() || !e->second || fp == first_purchase.end()) continue;
      days.push_back(static_cast<double>(*e->second - fp->second));
    }
    item.dated = days.size();
    item.median_days = quantile(days, 0.5);
    item.p25_days = quantile(days, 0.25);
    item.p75_days = quantile(days, 0.75);
    if (item.kind == "theme")
      for (const auto& r : quote_rows) {
        if (item.quotes.size() >= 3) break;
        if (store::as_text(r[2]) != item.key || store::as_int(r[12]) != 0) continue;
        const auto it = index_of.find(store::as_int(r[4]));
        if (it == index_of.end()) continue;
        const auto& row = rows[it->second];
        const auto c = core.is_core.find(row.customer_id);
        if (c == core.is_core.end() || !c->second) continue;
        // Three different things said, by three core customers.
        const std::string said = store::as_text(r[13]);
        if (std::any_of(item.quotes.begin(), item.quotes.end(), [&](const Quote& q) { return q.quote == said; }))
          continue;
        item.quotes.push_back({row.id, row.text_id, row.customer_id, row.date, row.source, row.label, said});
      }
  }
  ResultTable items{"voice_core_experience", kCoreColumns, {}};
  auto opt_value = [](const std::optional<double>& v) -> Value {
    if (v) return *v;
    return std::string();
  };
  for (size_t i = 0; i < out.items.size(); ++i) {
    const auto& it = out.items[i];
    std::vector<std::string> q;
    for (const auto& quote : it.quotes) q.push_back(quote.customer_id + ": " + quote.quote);
    items.rows.push_back({static_cast<int64_t>(i + 1), it.kind, it.key, it.lang,
                          static_cast<int64_t>(it.core_customers), it.core_share,
                          static_cast<int64_t>(it.other_customers), it.other_share, it.z,
                          static_cast<int64_t>(it.dated), opt_value(it.median_days), opt_value(it.p25_days),
                          opt_value(it.p75_days), fmt::format("{}", fmt::join(q, "\n"))});
  }
  ws.write_table(items);

  // Who reaches it: customers with texts who express any core-experience theme (phrases when no theme is
  // distinctive) against those who do not.
  std::vector<std::string> core_keys;
  for (const auto& it : out.items)
    if (it.kind == "theme") core_keys.push_back("theme:" + it.key);
  if (core_keys.empty())
    for (const auto& it : out.items) core_keys.push_back("phrase:" + it.key);
  ResultTable reach{"voice_core_reach", kReachColumns, {}};
  if (!core_keys.empty()) {
    std::vector<std::string> ids;
    std::vector<uint8_t> reached;
    for (const auto& [id, c] : customers) {
      ids.push_back(id);
      const bool r = std::any_of(core_keys.begin(), core_keys.end(),
                                 [&](const std::string& k) { return c.expressed.contains(k); });
      reached.push_back(r ? 1 : 0);
      out.reached += r ? 1 : 0;
    }
    out.compared = ids.size();
    std::vector<AttributeColumn> attrs;
    for (const auto& name : customer_attribute_names(ws)) {
      const auto values = customer_attribute(ws, name);
      AttributeColumn col{name, std::vector<std::string>(ids.size())};
      for (size_t i = 0; i < ids.size(); ++i) {
        const auto it = values.find(ids[i]);
        if (it != values.end()) col.values[i] = it->second;
      }
      attrs.push_back(std::move(col));
    }
    // First-purchase facts.
    if (ws.columnar_rows("orders") > 0) {
      const auto all_ids = ingest::load_customer_ids(ws);
      std::unordered_map<std::string, uint32_t> key_of;
      for (uint32_t k = 0; k < all_ids.size(); ++k)
        if (customers.contains(all_ids[k])) key_of.emplace(all_ids[k], k);
      const auto orders = ingest::load_orders(ws);
      std::unordered_map<uint32_t, std::pair<Day, int64_t>> first;  // key → (day, amount that day)
      for (size_t i = 0; i < orders.customer.size(); ++i) {
        if (orders.amount[i] < 0) continue;
        auto [it, fresh] = first.emplace(orders.customer[i], std::make_pair(orders.day[i], orders.amount[i]));
        if (fresh) continue;
        if (orders.day[i] < it->second.first)
          it->second = {orders.day[i], orders.amount[i]};
        else if (orders.day[i] == it->second.first)
          it->second.second += orders.amount[i];
      }
      AttributeColumn amount{"first purchase amount", std::vector<std::string>(ids.size())};
      AttributeColumn month{"first purchase month", std::vector<std::string>(ids.size())};
      for (size_t i = 0; i < ids.size(); ++i) {
        const auto k = key_of.find(ids[i]);
        if (k == key_of.end()) continue;
        const auto f = first.find(k->second);
        if (f == first.end()) continue;
        amount.values[i] = fmt::format("{:.2f}", static_cast<double>(f->second.second) / 100.0);
        month.values[i] = format_month(month_index(f->second.first));
      }
      attrs.push_back(std::move(amount));
      attrs.push_back(std::move(month));
    }
    out.reach = reach_table(attrs, reached, 5);
    for (const auto& r : out.reach)
      reach.rows.push_back({r.attribute, r.level, static_cast<int64_t>(r.numeric), static_cast<int64_t>(r.reached),
                            static_cast<int64_t>(r.not_reached), r.reached_share, r.not_reached_share, r.reach_rate,
                            r.lift, r.effect, r.z, r.mean_reached, r.mean_not_reached});
  }
  ws.write_table(reach);
  return out;
}

void clear_core_results(store::Workspace& ws) {
  ws.write_table({"voice_contrast", kContrastColumns, {}});
  ws.write_table({"voice_core_experience", kCoreColumns, {}});
  ws.write_table({"voice_core_reach", kReachColumns, {}});
}

}  // namespace koko::voice
