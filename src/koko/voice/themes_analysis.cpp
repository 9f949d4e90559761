// The themes analysis: stored texts → themes, the language of core customers against the others (or positive
// against negative texts), the core experience and who reaches it → result tables → report section (EN/JA).
#include <fmt/format.h>

#include <algorithm>

#include "koko/analysis/analysis.hpp"
#include "koko/core/error.hpp"
#include "koko/core/money.hpp"
#include "koko/core/progress.hpp"
#include "koko/voice/insights.hpp"

namespace koko {

namespace {

using store::as_double;
using store::as_int;
using store::as_text;

std::string pct(double f) { return fmt::format("{:.0f} %", f * 100); }

voice::ThemeRunOptions theme_options(const Config& c) {
  voice::ThemeRunOptions o;
  o.themes.k = static_cast<size_t>(std::max(0, c.get_int("voice.themes_k", 0)));
  o.themes.k_min = static_cast<size_t>(std::max(1, c.get_int("voice.themes_k_min", 4)));
  o.themes.k_max = static_cast<size_t>(std::max(1, c.get_int("voice.themes_k_max", 12)));
  o.vocab.min_df = static_cast<uint32_t>(std::max(1, c.get_int("voice.themes_min_df", 3)));
  o.vocab.max_df = c.get_double("voice.themes_max_df", 0.5);
  o.min_share = c.get_double("voice.themes_min_share", 0.4);
  return o;
}

class ThemesAnalysis final : public Analysis {
 public:
  [[nodiscard]] std::string_view name() const override { return "themes"; }
  [[nodiscard]] std::vector<std::string> inputs() const override { return {"texts"}; }
  [[nodiscard]] std::vector<std::string> after() const override { return {"voice"}; }
  [[nodiscard]] std::vector<std::string> tables() const override {
    return {"voice_themes",   "voice_theme_k",         "voice_quotes",
            "voice_contrast", "voice_core_experience", "voice_core_reach"};
  }

  void run(RunContext& ctx) const override {
    auto& ws = ctx.ws;
    voice::clear_core_results(ws);
    try {
      const auto themes = voice::find_themes(ws, theme_options(ctx.config));
      for (const auto& n : themes.notes) warn(n);
    } catch (const Error& e) {
      if (e.code != ErrorCode::input) throw;
      warn(fmt::format("themes: {}", e.what()));
      return;
    }
    // Core customers against the others when the segment analysis found them and they wrote; else positive
    // against negative texts.
    const double min_z = ctx.config.get_double("voice.core_min_z", 1.96);
    bool core_done = false;
    if (ws.columnar_rows("segment_customers") > 0) {
      try {
        voice::ContrastRequest req;
        req.group = "core";
        req.top = 15;
        (void)voice::contrast(ws, req);
        voice::CoreExperienceOptions opt;
        opt.min_z = min_z;
        (void)voice::core_experience(ws, opt);
        core_done = true;
      } catch (const Error& e) {
        if (e.code != ErrorCode::input) throw;
        detail(fmt::format("core experience left out: {}", e.what()));
      }
    }
    if (!core_done) {
      try {
        voice::ContrastRequest req;
        req.group = "sentiment";
        req.top = 15;
        (void)voice::contrast(ws, req);
      } catch (const Error& e) {
        if (e.code != ErrorCode::input && e.code != ErrorCode::usage) throw;
        detail(fmt::format("contrast left out: {}", e.what()));
      }
    }
  }

  void report(store::Workspace& ws, const Config& config, report::Document& doc) const override {
    if (!ws.has_table("voice_themes")) return;
    const Lang L = doc.lang();
    auto label = [&](const char* key) { return std::string(msg(L, key)); };
    auto esc = [](const std::string& s) { return report::escape_html(s); };
    auto p = [&](const std::string& s) { return "<p class=\"finding\">" + esc(s) + "</p>"; };
    auto h3 = [&](const std::string& s) { return "<h3>" + esc(s) + "</h3>"; };
    auto quote_html = [&](const std::string& who, const std::string& text) {
      return "<blockquote class=\"quote\">" + esc(text) +
             (who.empty() ? "" : " <span class=\"note\">— " + esc(who) + "</span>") + "</blockquote>";
    };
    std::string html = "<p>" + esc(label("themes.intro")) + "</p>";
    if (const auto note = config.peek("inputs.texts.note")) html += "<p class=\"note\">" + esc(*note) + "</p>";

    // Themes: bars of texts per theme, a table, three quotes each.
    const auto themes = ws.read_table("voice_themes").rows;
    const auto ks = ws.read_table("voice_theme_k").rows;
    for (const auto& k : ks) {
      if (as_int(k[3]) != 1) continue;
      const auto tried =
          std::count_if(ks.begin(), ks.end(), [&](const auto& o) { return as_text(o[0]) == as_text(k[0]); });
      html += p(tr(L, "themes.finding_k", as_text(k[0]) == "ja" ? label("themes.japanese") : label("themes.english"),
                   as_int(k[1]), fmt::format("{:.3f}", as_double(k[2])), tried));
    }
    std::vector<std::string> names;
    std::vector<double> shares;
    report::Table t{"voice_themes",
                    {label("themes.theme"), label("voice.lang"), label("voice.texts"), label("voice.share"),
                     label("themes.customers"), label("themes.low_confidence"), label("themes.terms")},
                    {},
                    {false, false, true, true, true, true, false}};
    std::map<std::pair<std::string, int64_t>, std::vector<std::vector<store::Value>>> quotes;
    for (const auto& r : ws.read_table("voice_quotes").rows)
      if (as_int(r[3]) <= 3) quotes[{as_text(r[0]), as_int(r[1])}].push_back(r);
    std::string quote_block;
    for (const auto& r : themes) {
      const std::string name = as_text(r[3]).empty() ? as_text(r[2]) : as_text(r[3]);
      names.push_back(name);
      shares.push_back(as_double(r[6]));
      t.rows.push_back({name, as_text(r[0]), format_count(as_int(r[5])), pct(as_double(r[6])),
                        format_count(as_int(r[7])), format_count(as_int(r[8])), as_text(r[9])});
      quote_block += "<h4>" + esc(name) + "</h4>";
      if (!as_text(r[4]).empty()) quote_block += "<p class=\"note\">" + esc(as_text(r[4])) + "</p>";
      for (const auto& q : quotes[{as_text(r[0]), as_int(r[1])}])
        quote_block += quote_html(as_text(q[6]).empty() ? as_text(q[8]) : as_text(q[6]), as_text(q[13]));
    }
    html += h3(label("themes.themes_title"));
    html += report::bar_chart(names, shares,
                              {label("themes.themes_title"), label("themes.theme"), label("voice.share"), true, 640,
                               std::max(240, 40 + 28 * static_cast<int>(names.size()))});
    html += report::table_html(t);
    doc.add_table(std::move(t));
    html += h3(label("themes.quotes_title")) + quote_block;

    // The core experience card.
    const auto core = ws.has_table("voice_core_experience") ? ws.read_table("voice_core_experience").rows
                                                            : std::vector<std::vector<store::Value>>{};
    if (!core.empty() && core.front().size() >= 14) {
      html += h3(label("themes.core_title"));
      const auto& top = core.front();
      std::string card = "<div class=\"card\">";
      card += "<p class=\"big\">" +
              esc(tr(L, "themes.core_headline", as_text(top[2]), pct(as_double(top[5])), pct(as_double(top[7])))) +
              "</p>";
      if (as_int(top[9]) > 0 && !as_text(top[10]).empty())
        card += "<p>" +
                esc(tr(L, "themes.core_days", fmt::format("{:.0f}", as_double(top[10])),
                       fmt::format("{:.0f}", as_double(top[11])), fmt::format("{:.0f}", as_double(top[12])),
                       as_int(top[9]))) +
                "</p>";
      for (const auto& line : split_lines(as_text(top[13]))) {
        const auto colon = line.find(": ");
        card += colon == std::string::npos ? quote_html("", line)
                                           : quote_html(line.substr(0, colon), line.substr(colon + 2));
      }
      card += "</div>";
      html += card;
      report::Table c{"voice_core_experience",
                      {label("themes.kind"), label("themes.item"), label("themes.core_share"),
                       label("themes.other_share"), "z", label("themes.median_days")},
                      {},
                      {false, false, true, true, true, true}};
      for (const auto& r : core)
        c.rows.push_back({as_text(r[1]) == "theme" ? label("themes.theme") : label("voice.phrase"), as_text(r[2]),
                          pct(as_double(r[5])), pct(as_double(r[7])), fmt::format("{:.1f}", as_double(r[8])),
                          as_text(r[10]).empty() ? "-" : fmt::format("{:.0f}", as_double(r[10]))});
      html += report::table_html(c);
      doc.add_table(std::move(c));
      const auto reach = ws.read_table("voice_core_reach").rows;
      if (!reach.empty() && reach.front().size() >= 13) {
        html += h3(label("themes.reach_title"));
        html += "<p>" + esc(label("themes.reach_intro")) + "</p>";
        report::Table rt{"voice_core_reach",
                         {label("themes.attribute"), label("themes.level"), label("themes.reached_share"),
                          label("themes.not_reached_share"), label("themes.reach_rate"), label("themes.lift"), "z"},
                         {},
                         {false, false, true, true, true, true, true}};
        for (size_t i = 0; i < std::min<size_t>(12, reach.size()); ++i) {
          const auto& r = reach[i];
          const bool numeric = as_int(r[2]) != 0;
          rt.rows.push_back({as_text(r[0]), numeric ? label("themes.mean") : as_text(r[1]),
                             numeric ? fmt::format("{:.1f}", as_double(r[11])) : pct(as_double(r[5])),
                             numeric ? fmt::format("{:.1f}", as_double(r[12])) : pct(as_double(r[6])),
                             numeric ? "-" : pct(as_double(r[7])), fmt::format("{:.2f}", as_double(r[8])),
                             fmt::format("{:.1f}", as_double(r[10]))});
        }
        html += report::table_html(rt);
        doc.add_table(std::move(rt));
      }
    }

    // Distinctive language.
    const auto contrast = ws.has_table("voice_contrast") ? ws.read_table("voice_contrast").rows
                                                         : std::vector<std::vector<store::Value>>{};
    if (!contrast.empty() && contrast.front().size() >= 12) {
      const std::string a = as_text(contrast.front()[1]), b = as_text(contrast.front()[2]);
      html += h3(tr(L, "themes.contrast_title", a, b));
      html += "<p>" + esc(label("themes.contrast_intro")) + "</p>";
      report::Table ct{"voice_contrast",
                       {label("themes.side"), label("themes.kind"), label("themes.item"), label("themes.share_a"),
                        label("themes.share_b"), "z"},
                       {},
                       {false, false, false, true, true, true}};
      for (const auto& r : contrast) {
        if (as_text(r[4]) == "term" && ct.rows.size() > 40) continue;
        ct.rows.push_back({as_text(r[3]) == "a" ? a : b, as_text(r[4]), as_text(r[5]), pct(as_double(r[8])),
                           pct(as_double(r[9])), fmt::format("{:+.1f}", as_double(r[11]))});
      }
      html += report::table_html(ct);
      doc.add_table(std::move(ct));
    }
    doc.add_section({"themes", label("themes.title"), html});
  }

 private:
  static std::vector<std::string> split_lines(const std::string& s) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start < s.size()) {
      const size_t nl = s.find('\n', start);
      out.push_back(s.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
      if (nl == std::string::npos) break;
      start = nl + 1;
    }
    return out;
  }
};

}  // namespace

const Analysis& themes_analysis() {
  static const ThemesAnalysis a;
  return a;
}

}  // namespace koko
