// The trained sentiment model in the workspace: train from the user's labelled file, evaluate, apply to texts.
#include <fmt/format.h>

#include <algorithm>

#include "koko/core/cores.hpp"
#include "koko/core/error.hpp"
#include "koko/core/money.hpp"
#include "koko/core/parallel.hpp"
#include "koko/io/csv.hpp"
#include "koko/io/encoding.hpp"
#include "koko/io/fields.hpp"
#include "koko/store/statement.hpp"
#include "koko/voice/texts.hpp"
#include "koko/voice/utf8.hpp"

namespace koko::voice {

using Stmt = store::Statement;

namespace {

struct Labelled {
  std::vector<std::string> texts;
  std::vector<int> labels;
};

std::optional<int> parse_label(std::string_view v) {
  const std::string s = detail::ascii_lower(io::nfkc(io::trim(v)));
  if (s == "positive" || s == "pos" || s == "1" || s == "+1" || s == "ポジティブ" || s == "肯定") return 1;
  if (s == "neutral" || s == "neu" || s == "0" || s == "ニュートラル" || s == "中立") return 0;
  if (s == "negative" || s == "neg" || s == "-1" || s == "ネガティブ" || s == "否定") return -1;
  return std::nullopt;
}

std::optional<int> label_from_rating(std::string_view v) {
  const std::string s = io::nfkc(io::trim(v));
  const auto r = io::parse_int(s);
  if (!r || *r < 1 || *r > 5) return std::nullopt;
  return *r <= 2 ? -1 : (*r == 3 ? 0 : 1);
}

Labelled read_labelled(const LabelledFile& in) {
  io::CsvOptions csv;
  csv.encoding = in.encoding;
  auto reader = io::open_records(in.file, csv);
  const auto& h = reader->header();
  auto find = [&](const std::string& wanted, std::initializer_list<const char*> fallback) -> std::optional<size_t> {
    for (size_t i = 0; i < h.size(); ++i)
      if (!wanted.empty() && h[i] == wanted) return i;
    if (!wanted.empty())
      throw Error(ErrorCode::usage, fmt::format("the file has no column '{}'", wanted), in.file.string(),
                  fmt::format("its columns: {}", fmt::join(h, ", ")));
    for (const char* f : fallback)
      for (size_t i = 0; i < h.size(); ++i)
        if (detail::ascii_lower(h[i]) == f) return i;
    return std::nullopt;
  };
  const auto c_text = find(in.text_column, {"text", "review text", "review", "comment", "sentence", "本文"});
  if (!c_text) throw Error(ErrorCode::input, "no text column", in.file.string(), "name it text or pass --text COLUMN");
  std::optional<size_t> c_label, c_rating;
  if (!in.rating_column.empty())
    c_rating = find(in.rating_column, {});
  else
    c_label = find(in.label_column, {"label", "sentiment", "polarity", "ラベル"});
  if (!c_label && !c_rating) c_rating = find({}, {"rating", "stars", "評価"});
  if (!c_label && !c_rating)
    throw Error(ErrorCode::input, "no label or rating column", in.file.string(),
                "name it label (positive / neutral / negative) or pass --label COLUMN or --rating COLUMN");
  Labelled out;
  io::Record r;
  while (reader->next(r)) {
    if (r.fields.size() != h.size()) continue;
    const std::string_view text = r.fields[*c_text];
    if (io::trim(text).empty()) continue;
    const std::string_view lv = r.fields[c_label ? *c_label : *c_rating];
    const auto y = c_label ? parse_label(lv) : label_from_rating(lv);
    if (!y)
      throw Error(ErrorCode::input,
                  fmt::format("column '{}': '{}' is not a {}", h[c_label ? *c_label : *c_rating], lv,
                              c_label ? "label" : "rating from 1 to 5"),
                  fmt::format("{}:{}", in.file.string(), r.line),
                  c_label ? "use positive / neutral / negative (or 1 / 0 / -1)" : "ratings are whole stars 1-5");
    out.texts.emplace_back(text);
    out.labels.push_back(*y);
  }
  if (out.texts.empty()) throw Error(ErrorCode::input, "no labelled texts in the file", in.file.string(), "");
  return out;
}

std::vector<ProcessedText> process_many(const std::vector<std::string>& texts, const UserDictionary& dict,
                                        unsigned threads) {
  std::vector<ProcessedText> out(texts.size());
  parallel_indices(texts.size(), threads > 0 ? threads : usable_cores(), [&](unsigned, const auto& next) {
    Tokeniser tok(&dict);
    for (size_t i = 0; next(i);) out[i] = process_text(texts[i], "", tok);
  });
  return out;
}

std::optional<SentimentModel> stored_model(store::Workspace& ws) {
  Stmt s(ws.db(), "SELECT data FROM voice_models WHERE name='sentiment'");
  if (!s.step()) return std::nullopt;
  return SentimentModel::deserialise(s.blob(0));
}

// Every stored text relabelled by `model` (or by the lexicon when there is none).
uint64_t relabel(store::Workspace& ws, const SentimentModel* model, unsigned threads) {
  const UserDictionary dict(load_dictionary(ws));
  std::vector<int64_t> ids;
  std::vector<std::string> texts;
  {
    Stmt s(ws.db(), "SELECT id, text FROM voice_texts ORDER BY id");
    while (s.step()) {
      ids.push_back(s.i64(0));
      texts.push_back(s.text(1));
    }
  }
  const auto processed = process_many(texts, dict, threads);
  Stmt upd(ws.db(), "UPDATE voice_texts SET score=?, label=?, method=? WHERE id=?");
  for (size_t i = 0; i < ids.size(); ++i) {
    const auto& p = processed[i];
    double score = p.score;
    int label = p.label;
    if (model != nullptr) {
      const auto pr = model->predict_proba(p);
      score = pr[2] - pr[0];
      label = model->predict(p);
    }
    upd.bind(1, score).bind(2, static_cast<int64_t>(label)).bind(3, std::string_view(model ? "model" : "lexicon"));
    upd.bind(4, ids[i]);
    upd.step();
    upd.reset();
  }
  return ids.size();
}

}  // namespace

TrainOutcome train_sentiment(store::Workspace& ws, const LabelledFile& in, unsigned threads) {
  const auto data = read_labelled(in);
  store::Workspace::Transaction tx(ws);
  ensure_schema(ws);
  const UserDictionary dict(load_dictionary(ws));
  const auto processed = process_many(data.texts, dict, threads);
  std::array<uint64_t, 3> per_class{};
  for (int y : data.labels) ++per_class[static_cast<size_t>(y + 1)];
  if (std::count(per_class.begin(), per_class.end(), 0) > 1)
    throw Error(ErrorCode::input, "the labels have only one class", in.file.string(),
                "label positive, neutral and negative texts (at least two of them)");
  // A holdout estimate first (every fifth text), then the model on everything.
  std::vector<LabelledText> fit, all;
  std::vector<size_t> held;
  for (size_t i = 0; i < processed.size(); ++i) {
    all.push_back({&processed[i], data.labels[i]});
    if (i % 5 == 4)
      held.push_back(i);
    else
      fit.push_back({&processed[i], data.labels[i]});
  }
  TrainOutcome out;
  out.texts = processed.size();
  if (!held.empty() && fit.size() >= 10) {
    const auto m = SentimentModel::train(fit, TrainOptions{});
    std::vector<int> truth, pred;
    for (size_t i : held) {
      truth.push_back(data.labels[i]);
      pred.push_back(m.predict(processed[i]));
    }
    out.holdout = evaluate(truth, pred);
  }
  const auto model = SentimentModel::train(all, TrainOptions{});
  out.features = model.features();
  const std::string summary = fmt::format(
      "trained on {} texts from {} ({} positive, {} neutral, {} negative); {} features; holdout macro-F1 {:.3f}",
      format_count(static_cast<int64_t>(out.texts)), in.file.filename().string(),
      format_count(static_cast<int64_t>(per_class[2])), format_count(static_cast<int64_t>(per_class[1])),
      format_count(static_cast<int64_t>(per_class[0])), format_count(static_cast<int64_t>(out.features)),
      out.holdout.macro_f1);
  Stmt s(ws.db(),
         "INSERT INTO voice_models(name, data, summary) VALUES('sentiment', ?, ?) "
         "ON CONFLICT(name) DO UPDATE SET data=excluded.data, summary=excluded.summary");
  s.bind_blob(1, model.serialise()).bind(2, std::string_view(summary));
  s.step();
  out.relabelled = relabel(ws, &model, threads);
  tx.commit();
  return out;
}

EvalOutcome evaluate_sentiment(store::Workspace& ws, const LabelledFile& in, unsigned threads) {
  const auto data = read_labelled(in);
  ensure_schema(ws);
  const UserDictionary dict(load_dictionary(ws));
  const auto processed = process_many(data.texts, dict, threads);
  EvalOutcome out;
  out.texts = processed.size();
  std::vector<int> lex;
  for (const auto& p : processed) lex.push_back(p.label);
  out.lexicon = evaluate(data.labels, lex);
  if (const auto model = stored_model(ws)) {
    std::vector<int> pred;
    for (const auto& p : processed) pred.push_back(model->predict(p));
    out.model = evaluate(data.labels, pred);
  }
  return out;
}

bool forget_sentiment_model(store::Workspace& ws) {
  store::Workspace::Transaction tx(ws);
  ensure_schema(ws);
  Stmt s(ws.db(), "DELETE FROM voice_models WHERE name='sentiment'");
  s.step();
  const bool had = sqlite3_changes(ws.db()) > 0;
  if (had) relabel(ws, nullptr, 0);
  tx.commit();
  return had;
}

std::optional<std::string> sentiment_model_summary(store::Workspace& ws) {
  ensure_schema(ws);
  Stmt s(ws.db(), "SELECT summary FROM voice_models WHERE name='sentiment'");
  if (!s.step()) return std::nullopt;
  return s.text(0);
}

}  // namespace koko::voice
