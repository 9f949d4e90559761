// The voice analysis: stored texts and tokens → sentiment by source, month and segment, phrases, frequent
// words → result tables → report section (EN/JA).
#include "koko/analysis/analysis.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "koko/core/money.hpp"
#include "koko/ingest/ingest.hpp"
#include "koko/voice/texts.hpp"
#include "koko/voice/voice.hpp"

namespace koko {

namespace {

using store::ResultTable;
using store::Value;

using store::as_double;
using store::as_int;
using store::as_text;

std::string pct(double f) { return fmt::format("{:.1f} %", f * 100); }

ResultTable group_table(const std::string& name, const std::string& key,
                        const std::vector<voice::SentimentGroup>& groups) {
  ResultTable t{
      name,
      {key, "texts", "positive", "neutral", "negative", "positive_share", "negative_share", "net", "mean_score"},
      {}};
  for (const auto& g : groups)
    t.rows.push_back({g.key, static_cast<int64_t>(g.texts), static_cast<int64_t>(g.positive),
                      static_cast<int64_t>(g.neutral), static_cast<int64_t>(g.negative), g.positive_share(),
                      g.negative_share(), g.net(), g.mean_score});
  return t;
}

class VoiceAnalysis final : public Analysis {
 public:
  [[nodiscard]] std::string_view name() const override { return "voice"; }
  [[nodiscard]] std::vector<std::string> inputs() const override { return {"texts"}; }
  [[nodiscard]] std::vector<std::string> tables() const override {
    return {"voice_summary",           "voice_sentiment_by_source",
            "voice_sentiment_monthly", "voice_sentiment_by_segment",
            "voice_phrases",           "voice_top_terms"};
  }

  void run(RunContext& ctx) const override {
    auto& ws = ctx.ws;
    const auto texts = voice::load_texts(ws);
    const std::string attribute = ctx.config.get_string("voice.segment_attribute", "segment");
    const auto min_count = static_cast<uint64_t>(ctx.config.get_int("voice.phrases_min_count", 5));
    const auto top = static_cast<size_t>(ctx.config.get_int("voice.phrases_top", 20));

    std::unordered_set<std::string> known;
    for (auto& id : ingest::load_customer_ids(ws)) known.insert(std::move(id));
    const auto segments = voice::customer_segments(ws, attribute);

    std::vector<std::string> sources, months, segs;
    std::vector<int> labels;
    std::vector<double> scores;
    uint64_t ja = 0, with_customer = 0, unknown = 0;
    std::array<uint64_t, 3> per_label{};
    std::optional<Day> first, last;
    for (const auto& t : texts) {
      sources.push_back(t.source);
      months.push_back(t.day ? format_month(month_index(*t.day)) : std::string());
      const auto seg = segments.find(t.customer_id);
      segs.push_back(seg == segments.end() ? std::string() : seg->second);
      labels.push_back(t.label);
      scores.push_back(t.score);
      ja += t.lang == voice::TextLang::ja ? 1 : 0;
      ++per_label[static_cast<size_t>(std::clamp(t.label, -1, 1) + 1)];
      if (!t.customer_id.empty()) {
        ++with_customer;
        unknown += known.contains(t.customer_id) ? 0 : 1;
      }
      if (t.day) {
        first = first ? std::min(*first, *t.day) : *t.day;
        last = last ? std::max(*last, *t.day) : *t.day;
      }
    }
    const auto model = voice::sentiment_model_summary(ws);
    ResultTable summary{"voice_summary", {"metric", "value"}, {}};
    auto add = [&](const char* k, Value v) { summary.rows.push_back({std::string(k), std::move(v)}); };
    add("texts", static_cast<int64_t>(texts.size()));
    add("english", static_cast<int64_t>(texts.size() - ja));
    add("japanese", static_cast<int64_t>(ja));
    add("positive", static_cast<int64_t>(per_label[2]));
    add("neutral", static_cast<int64_t>(per_label[1]));
    add("negative", static_cast<int64_t>(per_label[0]));
    add("with_customer", static_cast<int64_t>(with_customer));
    add("unknown_customer", static_cast<int64_t>(unknown));
    add("method", std::string(model ? "model" : "lexicon"));
    add("first_date", first ? format_date(*first) : std::string());
    add("last_date", last ? format_date(*last) : std::string());
    ws.write_table(summary);
    ws.write_table(group_table("voice_sentiment_by_source", "source", voice::sentiment_by(sources, labels, scores)));
    ws.write_table(group_table("voice_sentiment_monthly", "month", voice::sentiment_by(months, labels, scores)));
    ws.write_table(group_table("voice_sentiment_by_segment", "segment", voice::sentiment_by(segs, labels, scores)));

    // Phrases and frequent words, per language.
    const auto tok = voice::load_tokens(ws);
    ResultTable phrases{"voice_phrases", {"lang", "phrase", "count", "llr"}, {}};
    ResultTable terms{"voice_top_terms", {"lang", "term", "pos", "count", "texts"}, {}};
    for (const auto lang : {voice::TextLang::en, voice::TextLang::ja}) {
      std::vector<voice::PhraseToken> pt;
      std::unordered_map<uint32_t, uint64_t> count, in_texts;
      int64_t last_text = -1;
      std::unordered_set<uint32_t> seen;
      for (size_t i = 0; i < tok.term.size(); ++i) {
        const uint32_t term = tok.term[i];
        if (term >= tok.term_lang.size() || tok.term_lang[term] != lang) continue;
        pt.push_back({static_cast<uint32_t>(tok.text[i]), term, tok.begin[i], tok.end[i], lang, tok.follows[i] != 0});
        ++count[term];
        if (tok.text[i] != last_text) {
          seen.clear();
          last_text = tok.text[i];
        }
        if (seen.insert(term).second) ++in_texts[term];
      }
      // A pair only counts when its second token directly follows the first in the token stream.
      for (size_t i = 1; i < pt.size(); ++i) pt[i].follows = pt[i].follows && pt[i - 1].text == pt[i].text;
      const std::string sep = lang == voice::TextLang::ja ? "" : " ";
      for (const auto& p : voice::collocations(pt, min_count, top))
        phrases.rows.push_back({std::string(voice::lang_code(lang)),
                                tok.term_display[p.first] + sep + tok.term_display[p.second],
                                static_cast<int64_t>(p.count), p.llr});
      std::vector<std::pair<uint32_t, uint64_t>> freq(count.begin(), count.end());
      std::sort(freq.begin(), freq.end(), [&](const auto& a, const auto& b) {
        return a.second != b.second ? a.second > b.second : tok.terms[a.first] < tok.terms[b.first];
      });
      if (freq.size() > top) freq.resize(top);
      for (const auto& [term, n] : freq)
        terms.rows.push_back({std::string(voice::lang_code(lang)), tok.term_display[term], tok.term_pos[term],
                              static_cast<int64_t>(n), static_cast<int64_t>(in_texts[term])});
    }
    ws.write_table(phrases);
    ws.write_table(terms);
    if (!ws.meta("data_as_of") && last) ws.set_meta("data_as_of", format_date(*last));
  }

  void report(store::Workspace& ws, const Config& config, report::Document& doc) const override {
    const Lang L = doc.lang();
    auto label = [&](const char* key) { return std::string(msg(L, key)); };
    auto p = [](const std::string& s) { return "<p class=\"finding\">" + report::escape_html(s) + "</p>"; };
    auto h3 = [](const std::string& s) { return "<h3>" + report::escape_html(s) + "</h3>"; };
    std::map<std::string, Value> m;
    for (const auto& row : ws.read_table("voice_summary").rows) m[as_text(row[0])] = row[1];
    const int64_t n = as_int(m["texts"]);
    std::string html = "<p>" + report::escape_html(label("voice.intro")) + "</p>";
    html += p(tr(L, "voice.finding_totals", format_count(n), format_count(as_int(m["english"])),
                 format_count(as_int(m["japanese"])), format_count(as_int(m["positive"])),
                 format_count(as_int(m["neutral"])), format_count(as_int(m["negative"]))));
    html +=
        "<p class=\"note\">" +
        report::escape_html(label(as_text(m["method"]) == "model" ? "voice.method_model" : "voice.method_lexicon")) +
        "</p>";
    if (as_int(m["with_customer"]) > 0)
      html += p(tr(L, "voice.finding_customers", format_count(as_int(m["with_customer"])),
                   format_count(as_int(m["unknown_customer"]))));

    const std::vector<std::string> cols = {label("voice.texts"), label("voice.positive"), label("voice.neutral"),
                                           label("voice.negative"), label("voice.net")};
    auto group_section = [&](const char* table, const char* key_label, const char* title) {
      const auto rows = ws.read_table(table).rows;
      if (rows.empty()) return std::string();
      std::string out = h3(label(title));
      report::Table t{table, {label(key_label)}, {}, {false, true, true, true, true, true}};
      t.columns.insert(t.columns.end(), cols.begin(), cols.end());
      std::vector<std::string> names;
      std::vector<double> pos, neg, net;
      for (const auto& r : rows) {
        t.rows.push_back({as_text(r[0]), format_count(as_int(r[1])), pct(as_double(r[5])),
                          pct(1 - as_double(r[5]) - as_double(r[6])), pct(as_double(r[6])),
                          fmt::format("{:+.1f}", as_double(r[7]) * 100)});
        names.push_back(as_text(r[0]));
        pos.push_back(as_double(r[5]));
        neg.push_back(as_double(r[6]));
        net.push_back(as_double(r[7]));
      }
      if (std::string_view(table) == "voice_sentiment_monthly") {
        if (rows.size() >= 2)
          out += report::line_chart(names, {{label("voice.positive"), pos}, {label("voice.negative"), neg}},
                                    {label(title), label("voice.month"), label("voice.share"), true, 640, 260});
      } else {
        const auto worst = std::min_element(net.begin(), net.end()) - net.begin();
        if (rows.size() >= 2)
          out +=
              p(tr(L, "voice.finding_worst", names[static_cast<size_t>(worst)], neg[static_cast<size_t>(worst)] * 100));
        out += report::bar_chart(names, neg, {label(title), label(key_label), label("voice.negative"), true, 640, 240});
      }
      out += report::table_html(t);
      doc.add_table(std::move(t));
      return out;
    };
    html += group_section("voice_sentiment_by_source", "voice.source", "voice.by_source_title");
    html += group_section("voice_sentiment_monthly", "voice.month", "voice.monthly_title");
    html += group_section("voice_sentiment_by_segment", "voice.segment", "voice.by_segment_title");

    const auto phrases = ws.read_table("voice_phrases").rows;
    if (!phrases.empty()) {
      html += h3(label("voice.phrases_title"));
      report::Table t{"voice_phrases",
                      {label("voice.lang"), label("voice.phrase"), label("voice.count"), "LLR"},
                      {},
                      {false, false, true, true}};
      for (const auto& r : phrases)
        t.rows.push_back(
            {as_text(r[0]), as_text(r[1]), format_count(as_int(r[2])), fmt::format("{:.1f}", as_double(r[3]))});
      html += report::table_html(t);
      doc.add_table(std::move(t));
    }
    const auto terms = ws.read_table("voice_top_terms").rows;
    if (!terms.empty()) {
      html += h3(label("voice.terms_title"));
      report::Table t{
          "voice_top_terms",
          {label("voice.lang"), label("voice.term"), label("voice.pos"), label("voice.count"), label("voice.texts")},
          {},
          {false, false, false, true, true}};
      for (const auto& r : terms)
        t.rows.push_back(
            {as_text(r[0]), as_text(r[1]), as_text(r[2]), format_count(as_int(r[3])), format_count(as_int(r[4]))});
      html += report::table_html(t);
      doc.add_table(std::move(t));
    }
    static_cast<void>(config);
    doc.add_section({"voice", label("voice.title"), html});
  }
};

}  // namespace

const Analysis& voice_analysis() {
  static const VoiceAnalysis a;
  return a;
}

}  // namespace koko
