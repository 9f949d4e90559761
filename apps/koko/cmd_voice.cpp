// koko voice import | dict | sentiment | search: the text engine from the command line.
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "commands.hpp"
#include "koko/core/error.hpp"
#include "koko/core/money.hpp"
#include "koko/core/output_file.hpp"
#include "koko/core/progress.hpp"
#include "koko/io/fields.hpp"
#include "koko/report/report.hpp"
#include "koko/voice/insights.hpp"
#include "koko/voice/texts.hpp"

namespace koko::cli {

namespace fs = std::filesystem;

namespace {

std::optional<Day> parse_day(const std::string& s, const char* option) {
  if (s.empty()) return std::nullopt;
  const auto d = io::parse_date(s, io::DateFormat::auto_detect, 0);
  if (!d) throw Error(ErrorCode::usage, fmt::format("{} '{}' is not a date", option, s), {}, "use YYYY-MM-DD");
  return d;
}

std::string label_name(int label) { return label > 0 ? "positive" : (label < 0 ? "negative" : "neutral"); }

// Left context right-aligned to `width` terminal columns, so keywords line up (KH Coder's KWIC view).
std::string pad_left(const std::string& s, size_t width) {
  const size_t w = voice::display_width(s);
  return w >= width ? s : std::string(width - w, ' ') + s;
}

void print_quality(const char* name, const voice::Quality& q) {
  fmt::print("{}: macro-F1 {:.3f}, accuracy {:.3f} (F1 negative {:.3f}, neutral {:.3f}, positive {:.3f})\n", name,
             q.macro_f1, q.accuracy, q.f1[0], q.f1[1], q.f1[2]);
  fmt::print("  confusion (rows truth, columns predicted: negative neutral positive)\n");
  const char* names[] = {"negative", "neutral ", "positive"};
  for (size_t t = 0; t < 3; ++t)
    fmt::print("  {} {:>8} {:>8} {:>8}\n", names[t], q.confusion[t][0], q.confusion[t][1], q.confusion[t][2]);
}

std::string quality_json(const voice::Quality& q) {
  return fmt::format("{{\"macro_f1\": {:.6f}, \"accuracy\": {:.6f}, \"f1\": [{:.6f}, {:.6f}, {:.6f}]}}", q.macro_f1,
                     q.accuracy, q.f1[0], q.f1[1], q.f1[2]);
}

void add_voice_import(CLI::App& voice, GlobalOptions& g) {
  auto* cmd = voice.add_subcommand("import",
                                   "Import texts (CSV / TSV / JSONL): tokens, sentiment and search in one transaction");
  static std::string file, source, lang, on_error = "fail", rejects = "rejects.csv", encoding, date_format;
  static std::vector<std::string> maps;
  static bool replace = false;
  static unsigned threads = 0;
  cmd->add_option("FILE", file, "Texts with a text column; also source, id, customer_id, place, date, lang, rating")
      ->required();
  cmd->add_option("--map", maps, "field=column, e.g. --map text=\"Review Text\" (repeatable)");
  cmd->add_option("--source", source,
                  "interview, review, survey, social or keyword, for files without a source column");
  cmd->add_option("--lang", lang, "en or ja for every text (default: per text, by script)")
      ->check(CLI::IsMember({"en", "ja"}));
  cmd->add_option("--on-error", on_error, "fail (default) or skip: bad rows go to the rejects file")
      ->check(CLI::IsMember({"fail", "skip"}));
  cmd->add_option("--rejects", rejects, "Where skipped rows go (default rejects.csv)");
  cmd->add_option("--encoding", encoding, "utf-8, cp932, utf-16, ... (default: detected)");
  cmd->add_option("--date-format", date_format, "auto (default), iso, yyyymmdd, ymd, mdy, dmy");
  cmd->add_option("--threads", threads, "Tokenising threads (default: every core the process may use)");
  cmd->add_flag("--replace", replace, "Replace an earlier import of the same file");
  cmd->footer(
      "Examples:\n"
      "  koko voice import reviews.csv --map text=\"Review Text\" --source review\n"
      "  koko voice import interviews.jsonl --source interview --lang ja\n"
      "  koko voice import posts.csv --on-error skip --rejects bad-posts.csv");
  cmd->callback([&g] {
    g.run = [&g] {
      voice::TextImportRequest req;
      req.file = file;
      req.map = parse_map(maps, "text=\"Review Text\"");
      req.source = source;
      req.lang = lang;
      req.on_error = on_error == "skip" ? io::OnError::skip : io::OnError::fail;
      req.rejects_file = rejects;
      req.encoding = encoding;
      req.date_format = date_format;
      req.replace = replace;
      req.threads = threads;
      const bool existed = fs::exists(g.workspace);
      voice::TextImportOutcome out;
      try {
        auto ws = store::Workspace::open(g.workspace, true);
        out = voice::import_texts(ws, req);
      } catch (...) {
        if (!existed)
          for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(g.workspace + suffix);
        throw;
      }
      info(fmt::format("imported texts from {} (import #{})", file, out.record.id));
      for (const auto& f : out.facts) info("  " + f);
      for (const auto& w : out.warnings) warn(w);
      return 0;
    };
  });
}

void add_voice_dict(CLI::App& voice, GlobalOptions& g) {
  auto* dict = voice.add_subcommand("dict", "The user dictionary: compounds and brand names that are never split");
  dict->require_subcommand(1);
  auto* add = dict->add_subcommand("add", "Add words (re-tokenises the stored texts)");
  static std::vector<std::string> words;
  static std::string file, pos = "noun";
  add->add_option("WORD", words, "Words, e.g. スマートフォン 朝食会場 \"Apple Watch\"");
  add->add_option("--file", file, "A CSV/TSV with a word column (and optional pos), or one word per line");
  add->add_option("--pos", pos, "noun (default) or proper_noun (brands, places)")
      ->check(CLI::IsMember({"noun", "proper_noun"}));
  add->footer("Examples:\n  koko voice dict add スマートフォン 朝食会場\n  koko voice dict add --file brands.csv");
  add->callback([&g] {
    g.run = [&g] {
      std::vector<voice::UserEntry> entries;
      for (const auto& w : words) entries.push_back({w, pos});
      if (!file.empty())
        for (auto& e : voice::read_dictionary_file(file)) entries.push_back(std::move(e));
      if (entries.empty()) throw Error(ErrorCode::usage, "no words to add", {}, "give words or --file FILE");
      auto ws = store::Workspace::open(g.workspace, true);
      const auto c = voice::add_dictionary_words(ws, entries);
      info(fmt::format("{} words added, {} already there; {} texts re-tokenised", c.added, c.unchanged,
                       format_count(static_cast<int64_t>(c.retokenised))));
      return 0;
    };
  });
  auto* remove = dict->add_subcommand("remove", "Remove words (re-tokenises the stored texts)");
  static std::vector<std::string> gone;
  remove->add_option("WORD", gone, "Words to remove")->required();
  remove->callback([&g] {
    g.run = [&g] {
      auto ws = store::Workspace::open(g.workspace, false);
      const auto c = voice::remove_dictionary_words(ws, gone);
      info(fmt::format("{} words removed, {} not found; {} texts re-tokenised", c.removed, c.unchanged,
                       format_count(static_cast<int64_t>(c.retokenised))));
      return 0;
    };
  });
  auto* list = dict->add_subcommand("list", "List the user dictionary");
  list->callback([&g] {
    g.run = [&g] {
      auto ws = store::Workspace::open(g.workspace, false);
      for (const auto& e : voice::load_dictionary(ws)) fmt::print("{}\t{}\n", e.word, e.pos);
      return 0;
    };
  });
}

void add_voice_sentiment(CLI::App& voice, GlobalOptions& g) {
  auto* sent = voice.add_subcommand("sentiment", "Train, evaluate or show the sentiment classifier");
  sent->require_subcommand(1);
  static voice::LabelledFile in;
  static std::string file;
  static bool json = false;
  auto labelled_options = [](CLI::App* c) {
    c->add_option("FILE", file, "CSV/TSV/JSONL with a text column and a label (or rating) column")->required();
    c->add_option("--text", in.text_column, "The text column (default: text)");
    c->add_option("--label", in.label_column, "The label column: positive / neutral / negative or 1 / 0 / -1");
    c->add_option("--rating", in.rating_column, "A 1-5 rating column instead: 1-2 negative, 3 neutral, 4-5 positive");
    c->add_option("--encoding", in.encoding, "utf-8, cp932, ... (default: detected)");
  };
  auto* train = sent->add_subcommand("train", "Train a classifier on your labelled texts and relabel the stored texts");
  labelled_options(train);
  train->footer(
      "Examples:\n  koko voice sentiment train labelled.csv\n"
      "  koko voice sentiment train reviews.csv --text \"Review Text\" --rating Rating");
  train->callback([&g] {
    g.run = [&g] {
      in.file = file;
      auto ws = store::Workspace::open(g.workspace, true);
      const auto out = voice::train_sentiment(ws, in);
      info(fmt::format("trained on {} texts ({} features); holdout (every fifth text) macro-F1 {:.3f}",
                       format_count(static_cast<int64_t>(out.texts)), format_count(static_cast<int64_t>(out.features)),
                       out.holdout.macro_f1));
      info(fmt::format("{} stored texts relabelled by the classifier",
                       format_count(static_cast<int64_t>(out.relabelled))));
      return 0;
    };
  });
  auto* eval = sent->add_subcommand("eval", "Macro-F1 of the lexicon (and the trained classifier) on a labelled file");
  labelled_options(eval);
  eval->add_flag("--json", json, "Print the numbers as JSON");
  eval->callback([&g] {
    g.run = [&g] {
      in.file = file;
      auto ws = store::Workspace::open(g.workspace, true);
      const auto out = voice::evaluate_sentiment(ws, in);
      if (json) {
        fmt::print("{{\"texts\": {}, \"lexicon\": {}, \"model\": {}}}\n", out.texts, quality_json(out.lexicon),
                   out.model ? quality_json(*out.model) : "null");
        return 0;
      }
      fmt::print("{} labelled texts\n", format_count(static_cast<int64_t>(out.texts)));
      print_quality("lexicon", out.lexicon);
      if (out.model)
        print_quality("classifier", *out.model);
      else
        fmt::print("classifier: none trained (koko voice sentiment train FILE)\n");
      return 0;
    };
  });
  auto* show = sent->add_subcommand("show", "Which sentiment method the workspace uses");
  show->callback([&g] {
    g.run = [&g] {
      auto ws = store::Workspace::open(g.workspace, false);
      const auto s = voice::sentiment_model_summary(ws);
      fmt::print("{}\n", s ? "classifier: " + *s : std::string("lexicon (no classifier trained)"));
      return 0;
    };
  });
  auto* forget = sent->add_subcommand("forget", "Drop the trained classifier: texts go back to the lexicon");
  forget->callback([&g] {
    g.run = [&g] {
      auto ws = store::Workspace::open(g.workspace, false);
      info(voice::forget_sentiment_model(ws) ? "classifier dropped; texts relabelled by the lexicon"
                                             : "no classifier was trained");
      return 0;
    };
  });
}

void add_voice_search(CLI::App& voice, GlobalOptions& g) {
  auto* cmd = voice.add_subcommand("search", "Find texts and show each match in context (KWIC)");
  static std::vector<std::string> terms;
  static std::string source, segment, from, to, sentiment, lang, out;
  static size_t limit = 50, context = 20;
  cmd->add_option("QUERY", terms, "Words that must all occur (any length: 朝食, 接客, \"true to size\")")->required();
  cmd->add_option("--source", source, "Only this source")
      ->check(CLI::IsMember({"interview", "review", "survey", "social", "keyword"}));
  cmd->add_option("--segment", segment, "Only texts of customers in this segment (customers' segment column)");
  cmd->add_option("--from", from, "Only texts dated on or after (YYYY-MM-DD)");
  cmd->add_option("--to", to, "Only texts dated on or before (YYYY-MM-DD)");
  cmd->add_option("--sentiment", sentiment, "positive, neutral or negative")
      ->check(CLI::IsMember({"positive", "neutral", "negative"}));
  cmd->add_option("--lang", lang, "en or ja")->check(CLI::IsMember({"en", "ja"}));
  cmd->add_option("--limit", limit, "Lines to show (default 50)");
  cmd->add_option("--context", context, "Characters either side (default 20)");
  cmd->add_option("--out", out, "Also write every line as CSV");
  cmd->footer(
      "Examples:\n  koko voice search 朝食\n  koko voice search \"true to size\" --sentiment negative\n"
      "  koko voice search 接客 --source review --from 2024-01-01 --out kwic.csv");
  cmd->callback([&g] {
    g.run = [&g] {
      voice::SearchQuery q;
      q.terms = terms;
      q.source = source;
      q.segment = segment;
      q.from = parse_day(from, "--from");
      q.to = parse_day(to, "--to");
      if (!sentiment.empty()) q.sentiment = sentiment == "positive" ? 1 : (sentiment == "negative" ? -1 : 0);
      q.lang = lang;
      q.limit = out.empty() ? limit : SIZE_MAX;
      q.context = context;
      auto ws = store::Workspace::open(g.workspace, false);
      const auto r = voice::search_texts(ws, q);
      if (r.fts_rebuilt) detail("built the search index");
      const size_t shown = std::min(limit, r.lines.size());
      for (size_t i = 0; i < shown; ++i) {
        const auto& l = r.lines[i];
        fmt::print("{:>6} {:<9} {:<10} {:<8} {} [{}] {}\n", l.text, l.source, l.date.empty() ? "-" : l.date,
                   label_name(l.label), pad_left(l.kwic.left, context), l.kwic.keyword, l.kwic.right);
      }
      if (!out.empty()) {
        std::ofstream f(out, std::ios::binary | std::ios::trunc);
        if (!f) throw Error(ErrorCode::usage, "cannot write the file", out, "choose --out PATH");
        f << "text,text_id,source,date,customer_id,sentiment,left,keyword,right\n";
        for (const auto& l : r.lines)
          f << l.text << ',' << report::csv_field(l.text_id) << ',' << l.source << ',' << l.date << ','
            << report::csv_field(l.customer_id) << ',' << label_name(l.label) << ',' << report::csv_field(l.kwic.left)
            << ',' << report::csv_field(l.kwic.keyword) << ',' << report::csv_field(l.kwic.right) << '\n';
      }
      info(fmt::format("{} texts, {} occurrences{}", format_count(static_cast<int64_t>(r.texts)),
                       format_count(static_cast<int64_t>(r.occurrences)),
                       shown < r.lines.size() || r.occurrences > shown ? fmt::format(" ({} shown)", shown) : ""));
      return 0;
    };
  });
}

void add_voice_tokens(CLI::App& voice, GlobalOptions& g) {
  auto* cmd = voice.add_subcommand("tokens", "Show how koko splits a text: words, base forms, parts of speech");
  static std::vector<std::string> texts;
  cmd->add_option("TEXT", texts, "One or more texts")->required();
  cmd->footer(
      "Example:\n  koko voice tokens スマートフォンを買いました\n  (content words are marked *; the workspace's user "
      "dictionary applies)");
  cmd->callback([&g] {
    g.run = [&g] {
      std::vector<voice::UserEntry> entries;
      if (fs::exists(g.workspace)) {
        auto ws = store::Workspace::open(g.workspace, false);
        entries = voice::load_dictionary(ws);
      }
      const voice::UserDictionary dict(entries);
      voice::Tokeniser tok(&dict);
      for (const auto& t : texts) {
        const auto p = voice::process_text(t, "", tok);
        for (size_t i = 0; i < p.words.size(); ++i) {
          const auto& w = p.words[i];
          if (w.pos == voice::Pos::symbol) continue;
          fmt::print("{}{}\t{}\t{}\n", w.content ? "*" : " ", p.text.substr(w.begin, w.end - w.begin), w.term,
                     voice::pos_name(w.pos));
        }
        fmt::print("sentiment {:+.3f} ({})\n", p.score, label_name(p.label));
      }
      return 0;
    };
  });
}

void write_file(const std::string& path, const std::string& bytes) {
  OutputFile f(path);
  f.write(bytes);
  f.commit();
}

void print_quote(const voice::Quote& q) {
  fmt::print("      \"{}\" — {}{}\n", q.quote, q.customer_id.empty() ? q.source : q.customer_id,
             q.date.empty() ? "" : ", " + q.date);
}

void add_voice_themes(CLI::App& voice, GlobalOptions& g) {
  auto* cmd = voice.add_subcommand("themes",
                                   "Find themes in the stored texts (NMF; the number chosen by coherence) with quotes");
  static size_t k = 0, k_min = 4, k_max = 12;
  static double min_share = 0.4;
  static std::string lang, codebook, export_codebook;
  static unsigned threads = 0;
  cmd->add_option("--k", k, "Exactly this many themes (default: the most coherent of --k-min..--k-max)");
  cmd->add_option("--k-min", k_min, "Fewest themes to try (default 4)");
  cmd->add_option("--k-max", k_max, "Most themes to try (default 12)");
  cmd->add_option("--lang", lang, "Only en or ja texts")->check(CLI::IsMember({"en", "ja"}));
  cmd->add_option("--min-share", min_share, "Flag texts whose best theme holds less of their weight (default 0.4)");
  cmd->add_option("--codebook", codebook,
                  "A codebook CSV (name, description, terms): kept in the workspace; "
                  "themes whose top terms match an entry take its name");
  cmd->add_option("--export-codebook", export_codebook, "Write the themes as a codebook CSV to edit by hand");
  cmd->add_option("--threads", threads, "Fits in parallel (default: every core the process may use)");
  cmd->footer(
      "Examples:\n  koko voice themes\n  koko voice themes --k 8 --export-codebook codebook.csv\n"
      "  koko voice themes --codebook codebook.csv      (after renaming themes by hand)\n"
      "  koko export voice_quotes                       (every text: theme, sentiment, customer, quote)");
  cmd->callback([&g] {
    g.run = [&g] {
      if (k_min > k_max)
        throw Error(ErrorCode::usage, fmt::format("--k-min {} is above --k-max {}", k_min, k_max), {}, "swap them");
      voice::ThemeRunOptions opt;
      opt.themes.k = k;
      opt.themes.k_min = k_min;
      opt.themes.k_max = k_max;
      opt.themes.threads = threads;
      opt.min_share = min_share;
      opt.lang = lang;
      auto ws = store::Workspace::open(g.workspace, false);
      store::Workspace::Transaction tx(ws);
      if (!codebook.empty()) {
        const auto entries = voice::read_codebook(codebook);
        voice::store_codebook(ws, entries);
        info(fmt::format("codebook: {} themes from {}", entries.size(), codebook));
      }
      const auto out = voice::find_themes(ws, opt);
      tx.commit();
      for (const auto& n : out.notes) warn(n);
      for (const auto& l : out.languages) {
        std::vector<std::string> tried;
        for (const auto& [kk, c] : l.coherence) tried.push_back(fmt::format("{}: {:.3f}", kk, c));
        fmt::print("{} texts ({}): {} themes over {} terms and phrases; coherence (NPMI) by k: {}\n",
                   format_count(static_cast<int64_t>(l.texts)), l.lang, l.k,
                   format_count(static_cast<int64_t>(l.features)), fmt::join(tried, ", "));
        if (l.without_terms)
          fmt::print("  {} texts have no kept term: given the largest theme, flagged low-confidence\n",
                     format_count(static_cast<int64_t>(l.without_terms)));
        if (!l.converged) warn(fmt::format("NMF stopped after {} iterations before converging", l.iterations));
      }
      for (const auto& t : out.themes) {
        fmt::print("\n{} {:>2}  {}{}\n", t.lang, t.theme, t.name.empty() ? t.label : t.name,
                   t.name.empty() ? "" : "  (" + t.label + ")");
        fmt::print("      {} texts ({:.1f} %), {} customers, {} low-confidence\n",
                   format_count(static_cast<int64_t>(t.texts)), t.share * 100,
                   format_count(static_cast<int64_t>(t.customers)),
                   format_count(static_cast<int64_t>(t.low_confidence)));
        fmt::print("      {}\n", fmt::join(t.terms, ", "));
        for (const auto& q : t.quotes) print_quote(q);
      }
      if (!export_codebook.empty()) {
        write_file(export_codebook, voice::codebook_csv(ws));
        info(fmt::format("codebook written to {}", export_codebook));
      }
      return 0;
    };
  });
}

void add_voice_contrast(CLI::App& voice, GlobalOptions& g) {
  auto* cmd = voice.add_subcommand("contrast",
                                   "Words, phrases and themes that set one group of texts apart "
                                   "(log-odds with an informative Dirichlet prior)");
  static voice::ContrastRequest req;
  static std::string unit, out;
  cmd->add_option("--group", req.group,
                  "core, segment, sentiment, source, lang, rating, place, a column of the texts file or a "
                  "customer attribute")
      ->required();
  cmd->add_option("--a", req.a, "The value of group A (default for core: core; for sentiment: positive)");
  cmd->add_option("--b", req.b, "The value of group B (default: every other text)");
  cmd->add_option("--top", req.top, "Rows per side and unit (default 25)");
  cmd->add_option("--unit", unit, "Only term, phrase or theme")->check(CLI::IsMember({"term", "phrase", "theme"}));
  cmd->add_option("--min-texts", req.min_texts, "Fewest texts a group may have (default 10)");
  cmd->add_option("--prior", req.alpha0,
                  "alpha0, the weight of the pooled-corpus prior (default: the pooled word count; smaller lets rare "
                  "words rank higher)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--out", out, "Also write every row as CSV");
  cmd->footer(
      "Examples:\n  koko voice contrast --group core\n"
      "  koko voice contrast --group \"Recommended IND\" --a 1 --b 0\n"
      "  koko voice contrast --group segment --a loyal --b lapsed --unit phrase");
  cmd->callback([&g] {
    g.run = [&g] {
      auto ws = store::Workspace::open(g.workspace, false);
      store::Workspace::Transaction tx(ws);
      const auto r = voice::contrast(ws, req);
      tx.commit();
      fmt::print("{}: A = {} ({} texts), B = {} ({} texts)\n", r.group, r.a,
                 format_count(static_cast<int64_t>(r.texts_a)), r.b, format_count(static_cast<int64_t>(r.texts_b)));
      std::string csv = "side,unit,key,count_a,count_b,share_a,share_b,delta,z\n";
      std::string last;
      for (const auto& row : r.rows) {
        csv +=
            fmt::format("{},{},{},{},{},{:.6f},{:.6f},{:.6f},{:.6f}\n", row.side, row.unit, report::csv_field(row.key),
                        row.count_a, row.count_b, row.share_a, row.share_b, row.delta, row.z);
        if (!unit.empty() && row.unit != unit) continue;
        const std::string head = row.unit + " " + row.side;
        if (head != last) {
          fmt::print("\n{}s distinctive of {}:\n", row.unit, row.side == "a" ? r.a : r.b);
          last = head;
        }
        fmt::print("  {:<28} z {:+6.1f}   {:>5.1f} % of A's texts, {:>5.1f} % of B's\n", row.key, row.z,
                   row.share_a * 100, row.share_b * 100);
      }
      if (!out.empty()) write_file(out, csv);
      return 0;
    };
  });
}

void add_voice_core(CLI::App& voice, GlobalOptions& g) {
  auto* cmd = voice.add_subcommand(
      "core-experience", "The themes and phrases core customers share (and others don't), and who reaches them");
  static double min_z = 1.96;
  cmd->add_option("--min-z", min_z, "How distinctive of core customers an item must be (default 1.96)");
  cmd->footer(
      "Needs core customers (koko analyze with orders) and themes (koko voice themes).\n"
      "Example:\n  koko voice core-experience");
  cmd->callback([&g] {
    g.run = [&g] {
      auto ws = store::Workspace::open(g.workspace, false);
      store::Workspace::Transaction tx(ws);
      voice::CoreExperienceOptions opt;
      opt.min_z = min_z;
      const auto r = voice::core_experience(ws, opt);
      tx.commit();
      fmt::print("{} core customers; {} of them wrote, and {} other customers\n",
                 format_count(static_cast<int64_t>(r.core_customers)),
                 format_count(static_cast<int64_t>(r.core_with_texts)),
                 format_count(static_cast<int64_t>(r.others_with_texts)));
      if (r.items.empty()) {
        fmt::print("no theme or phrase is distinctive of core customers at z ≥ {:.2f}\n", min_z);
        return 0;
      }
      for (const auto& it : r.items) {
        fmt::print("\n{} {}: {:.0f} % of core customers express it vs {:.0f} % of others (z {:.1f})\n", it.kind, it.key,
                   it.core_share * 100, it.other_share * 100, it.z);
        if (it.median_days)
          fmt::print(
              "      first expressed a median of {:.0f} days after the first purchase (quartiles {:.0f}–{:.0f}; "
              "{} customers)\n",
              *it.median_days, *it.p25_days, *it.p75_days, it.dated);
        for (const auto& q : it.quotes) print_quote(q);
      }
      if (!r.reach.empty()) {
        fmt::print("\nwho reaches it: {} of {} customers with texts express it\n",
                   format_count(static_cast<int64_t>(r.reached)), format_count(static_cast<int64_t>(r.compared)));
        for (size_t i = 0; i < std::min<size_t>(12, r.reach.size()); ++i) {
          const auto& x = r.reach[i];
          if (x.numeric)
            fmt::print("  {:<24} {:<22} mean {:.1f} vs {:.1f} (d {:+.2f}, z {:+.1f})\n", x.attribute, "",
                       x.mean_reached, x.mean_not_reached, x.effect, x.z);
          else
            fmt::print("  {:<24} {:<22} {:>5.1f} % vs {:>5.1f} %, reach rate {:.0f} % (lift {:.2f}, z {:+.1f}; n {})\n",
                       x.attribute, x.level, x.reached_share * 100, x.not_reached_share * 100, x.reach_rate * 100,
                       x.lift, x.z, x.reached + x.not_reached);
        }
      }
      return 0;
    };
  });
}

}  // namespace

void add_voice(CLI::App& app, GlobalOptions& g) {
  auto* voice = app.add_subcommand(
      "voice",
      "Voice of the customer: import texts, user dictionary, sentiment, search, themes, contrast, core experience");
  voice->require_subcommand(1);
  add_voice_import(*voice, g);
  add_voice_dict(*voice, g);
  add_voice_sentiment(*voice, g);
  add_voice_search(*voice, g);
  add_voice_tokens(*voice, g);
  add_voice_themes(*voice, g);
  add_voice_contrast(*voice, g);
  add_voice_core(*voice, g);
}

}  // namespace koko::cli
