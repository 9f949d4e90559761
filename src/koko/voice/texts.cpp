// Texts in the workspace: import, storage of texts / sentences / tokens, re-tokenising after dictionary changes.
#include "koko/voice/texts.hpp"

#include <fmt/format.h>
#include <xxhash.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <charconv>
#include <exception>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "koko/core/cores.hpp"
#include "koko/core/error.hpp"
#include "koko/core/money.hpp"
#include "koko/core/parallel.hpp"
#include "koko/core/progress.hpp"
#include "koko/ingest/ingest.hpp"
#include "koko/io/csv.hpp"
#include "koko/io/encoding.hpp"
#include "koko/io/fields.hpp"
#include "koko/store/statement.hpp"
#include "koko/voice/utf8.hpp"

namespace koko::voice {

namespace fs = std::filesystem;
using Stmt = store::Statement;

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS voice_texts(
  id INTEGER PRIMARY KEY, import_id INTEGER NOT NULL, line INTEGER, text_id TEXT, source TEXT NOT NULL,
  customer_id TEXT, place TEXT, date TEXT, day INTEGER, lang TEXT NOT NULL, lang_given TEXT, rating REAL,
  extra TEXT, text TEXT NOT NULL, sentences INTEGER NOT NULL, tokens INTEGER NOT NULL, score REAL NOT NULL,
  label INTEGER NOT NULL, method TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS voice_texts_import ON voice_texts(import_id);
CREATE VIRTUAL TABLE IF NOT EXISTS voice_texts_fts USING fts5(
  text, content='voice_texts', content_rowid='id', tokenize='trigram');
CREATE TABLE IF NOT EXISTS voice_dictionary(word TEXT PRIMARY KEY, pos TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS voice_models(name TEXT PRIMARY KEY, data BLOB NOT NULL, summary TEXT NOT NULL);
INSERT OR IGNORE INTO result_tables(name) VALUES('voice_texts'), ('voice_dictionary');
)sql";

unsigned thread_count(unsigned wanted) {
  if (wanted > 0) return wanted;
  return usable_cores();
}

// ---- Parallel processing -----------------------------------------------------------------------------------------

struct Pending {
  std::string raw;
  std::string lang_hint;
};

// The stored sentiment of a text: the trained model's when there is one, else the lexicon's.
struct Verdict {
  double score;
  int label;
  const char* method;
};
Verdict verdict(const ProcessedText& p, const SentimentModel* model) {
  if (model != nullptr) {
    const auto pr = model->predict_proba(p);
    return {pr[2] - pr[0], model->predict(p), "model"};
  }
  return {p.score, p.label, "lexicon"};
}

// What storing needs of one processed text, made on the worker thread: a text's words are ~70 bytes each and
// most are particles, so a batch of whole ProcessedTexts would stream hundreds of megabytes through memory.
struct Prepared {
  struct Token {                     // 48 bytes: the views first, so the small fields share their padding
    std::string_view term, display;  // views into the pool of words (Word's)
    uint32_t sentence, begin, end;
    Pos pos;
    TextLang lang;  // the sentence's
    bool follows;   // the word right before it (punctuation included) is the previous token of the sentence
  };
  std::string text;  // normalised
  TextLang lang = TextLang::en;
  std::vector<SentenceResult> sentences;
  std::vector<Token> tokens;  // content words
  Verdict verdict{};
};

// Moves the text and its sentences out of p (its word buffers stay, for the next text).
Prepared prepare(ProcessedText& p, const SentimentModel* model) {
  Prepared r;
  r.verdict = verdict(p, model);
  r.tokens.reserve(
      static_cast<size_t>(std::count_if(p.words.begin(), p.words.end(), [](const Word& w) { return w.content; })));
  size_t last_token_word = SIZE_MAX;
  for (size_t i = 0; i < p.words.size(); ++i) {
    const Word& w = p.words[i];
    if (!w.content) continue;
    const uint32_t sent = p.word_sentence[i];
    const TextLang lang = sent < p.sentences.size() ? p.sentences[sent].lang : p.lang;
    Prepared::Token t{};
    t.sentence = sent;
    t.begin = w.begin;
    t.end = w.end;
    t.pos = w.pos;
    t.lang = lang;
    t.follows = last_token_word != SIZE_MAX && last_token_word + 1 == i && p.word_sentence[last_token_word] == sent;
    t.term = w.term;
    t.display = lang == TextLang::ja ? w.term : w.lower;  // how people read it: "many", not the stem "mani"
    r.tokens.push_back(t);
    last_token_word = i;
  }
  r.text = std::move(p.text);
  r.lang = p.lang;
  r.sentences = std::move(p.sentences);
  return r;
}

// Processes texts on `threads` threads, thread t with tokeniser t; rethrows the first failure.
void process_all(std::vector<Pending>& in, std::vector<Prepared>& out, std::vector<std::unique_ptr<Tokeniser>>& toks,
                 const SentimentModel* model, size_t threads) {
  out.resize(in.size());
  parallel_indices(in.size(), static_cast<unsigned>(std::min(threads, toks.size())), [&](unsigned t, const auto& next) {
    ProcessedText scratch;
    for (size_t i = 0; next(i);) {
      process_text(in[i].raw, in[i].lang_hint, *toks[t], scratch);
      out[i] = prepare(scratch, model);
    }
  });
}

// Processes a batch on worker threads while the caller reads the next batch and stores the previous one.
class AsyncProcessor {
 public:
  AsyncProcessor(std::vector<std::unique_ptr<Tokeniser>>& toks, const SentimentModel* model)
      : toks_(toks), model_(model) {}
  ~AsyncProcessor() { join(); }
  AsyncProcessor(const AsyncProcessor&) = delete;
  AsyncProcessor& operator=(const AsyncProcessor&) = delete;

  void start(std::vector<Pending>& in, std::vector<Prepared>& out) {
    failure_ = nullptr;
    worker_ = std::thread([this, &in, &out] {
      try {
        process_all(in, out, toks_, model_, toks_.size());
      } catch (...) {
        failure_ = std::current_exception();  // rethrown by wait()
      }
    });
  }
  void wait() {
    join();
    if (failure_) std::rethrow_exception(std::exchange(failure_, nullptr));
  }

 private:
  void join() {
    if (worker_.joinable()) worker_.join();
  }
  std::vector<std::unique_ptr<Tokeniser>>& toks_;
  const SentimentModel* model_;
  std::thread worker_;
  std::exception_ptr failure_;
};

std::vector<std::unique_ptr<Tokeniser>> make_tokenisers(unsigned n, const UserDictionary* dict) {
  std::vector<std::unique_ptr<Tokeniser>> v;
  for (unsigned i = 0; i < n; ++i) v.push_back(std::make_unique<Tokeniser>(dict));
  return v;
}

// ---- The term dictionary and columnar writers --------------------------------------------------------------------

// Term → id for every (term, language) ever stored: a flat open-addressing table of (hash tag, id + 1) over an
// arena of the terms, one probe per token in the common case.
class Terms {
 public:
  explicit Terms(store::Workspace& ws) : slots_(1 << 12, 0), mask_((1 << 12) - 1) {
    ws.scan("text_terms", [&](const store::Chunk& c) {
      const auto& t = c.as<StringColumn>("term");
      const auto& l = c.as<std::vector<uint32_t>>("lang");
      for (size_t i = 0; i < t.size(); ++i) {
        const TextLang lang = l[i] == 1 ? TextLang::ja : TextLang::en;
        insert(t[i], lang, hash(t[i], static_cast<uint32_t>(lang)));
      }
    });
  }
  uint32_t id(std::string_view term, std::string_view display, Pos pos, TextLang lang) {
    const uint64_t h = hash(term, static_cast<uint32_t>(lang));
    for (size_t i = h & mask_; slots_[i] != 0; i = (i + 1) & mask_) {
      if ((slots_[i] >> 32) != (h >> 32)) continue;
      const auto k = static_cast<uint32_t>(slots_[i]) - 1;
      if (lang_[k] == lang && key(k) == term) return k;
    }
    fresh_term_.push_back(term);
    fresh_display_.push_back(display);
    fresh_pos_.push_back(pos_name(pos));
    fresh_lang_.push_back(static_cast<uint32_t>(lang));
    return insert(term, lang, h);
  }
  void save(store::Workspace& ws) {
    if (fresh_lang_.empty()) return;
    store::Chunk c;
    c.columns.push_back({"term", std::move(fresh_term_)});
    c.columns.push_back({"display", std::move(fresh_display_)});
    c.columns.push_back({"pos", std::move(fresh_pos_)});
    c.columns.push_back({"lang", std::move(fresh_lang_)});
    ws.append_chunk("text_terms", 0, c);  // the dictionary outlives the import that added a term
    fresh_term_ = {};
    fresh_display_ = {};
    fresh_pos_ = {};
    fresh_lang_ = {};
  }

 private:
  static uint64_t hash(std::string_view term, uint32_t lang) {
    return XXH3_64bits_withSeed(term.data(), term.size(), lang);
  }
  [[nodiscard]] std::string_view key(uint32_t k) const {
    return std::string_view(arena_).substr(offsets_[k], offsets_[k + 1] - offsets_[k]);
  }
  uint32_t insert(std::string_view term, TextLang lang, uint64_t h) {
    const auto k = static_cast<uint32_t>(lang_.size());
    arena_ += term;
    offsets_.push_back(arena_.size());
    lang_.push_back(lang);
    if (lang_.size() * 2 > slots_.size()) {  // at most half full
      slots_.assign(slots_.size() * 2, 0);
      mask_ = slots_.size() - 1;
      for (uint32_t j = 0; j + 1 < lang_.size(); ++j) place(hash(key(j), static_cast<uint32_t>(lang_[j])), j);
    }
    place(h, k);
    return k;
  }
  void place(uint64_t h, uint32_t k) {
    size_t i = h & mask_;
    while (slots_[i] != 0) i = (i + 1) & mask_;
    slots_[i] = (h & 0xFFFFFFFF00000000ull) | (static_cast<uint64_t>(k) + 1);
  }
  std::vector<uint64_t> slots_;
  size_t mask_;
  std::string arena_;
  std::vector<size_t> offsets_{0};
  std::vector<TextLang> lang_;
  StringColumn fresh_term_, fresh_display_, fresh_pos_;
  std::vector<uint32_t> fresh_lang_;
};

// Sentences and content tokens of stored texts, written as columnar chunks of the import that owns them.
class ColumnarWriter {
 public:
  ColumnarWriter(store::Workspace& ws, int64_t import_id, Terms& terms) : ws_(ws), import_(import_id), terms_(terms) {}

  void add(int64_t id, const Prepared& p, std::optional<Day> day) {
    for (const auto& s : p.sentences) {
      s_text_.push_back(id);
      s_begin_.push_back(s.span.begin);
      s_end_.push_back(s.span.end);
      s_lang_.push_back(static_cast<uint32_t>(s.lang));
      s_score_.push_back(s.score);
    }
    for (const auto& t : p.tokens) {
      t_text_.push_back(id);
      t_sentence_.push_back(t.sentence);
      t_begin_.push_back(t.begin);
      t_end_.push_back(t.end);
      t_term_.push_back(terms_.id(t.term, t.display, t.pos, t.lang));
      t_follows_.push_back(t.follows ? 1u : 0u);
    }
    x_id_.push_back(id);
    x_lang_.push_back(static_cast<uint32_t>(p.lang));
    x_day_.push_back(day.value_or(INT32_MIN));
    x_sentences_.push_back(static_cast<uint32_t>(p.sentences.size()));
    x_tokens_.push_back(static_cast<uint32_t>(p.tokens.size()));
    if (t_text_.size() >= kChunkRows) flush(tokens_, "text_tokens");
    if (s_text_.size() >= kChunkRows) flush(sentences_, "text_sentences");
    if (x_id_.size() >= kChunkRows) flush(texts_, "texts");
  }

  void finish() {
    flush(tokens_, "text_tokens");
    flush(sentences_, "text_sentences");
    flush(texts_, "texts");
  }

 private:
  // 256k rows a chunk: the columns being filled (7 MB for tokens) stay small enough to be reused warm, and packing
  // sees narrower ranges (1M rows measured 1-2 % slower end to end).
  static constexpr size_t kChunkRows = 1 << 18;

  // A column of a chunk that is filled, stored and emptied again: its storage is reserved once, so the columns of
  // the next chunk neither grow by copying nor touch fresh memory.
  template <typename T>
  static std::vector<T>& column(store::Chunk& c, const char* name) {
    assert(c.columns.size() < c.columns.capacity());
    auto& v =
        std::get<std::vector<T>>(c.columns.emplace_back(store::Column{name, std::vector<T>(), /*pack=*/true}).data);
    v.reserve(kChunkRows);
    return v;
  }
  void flush(store::Chunk& c, std::string_view table) {
    if (c.rows() == 0) return;
    ws_.append_chunk(table, import_, c);
    for (auto& col : c.columns) std::visit([](auto& v) { v.clear(); }, col.data);
  }

  store::Workspace& ws_;
  int64_t import_;
  Terms& terms_;
  // Room for every column up front: the references below must survive the columns added after them.
  static store::Chunk with_room(size_t columns) {
    store::Chunk c;
    c.columns.reserve(columns);
    return c;
  }
  store::Chunk tokens_ = with_room(6), sentences_ = with_room(5), texts_ = with_room(5);
  std::vector<int64_t>& t_text_ = column<int64_t>(tokens_, "text");
  std::vector<uint32_t>& t_sentence_ = column<uint32_t>(tokens_, "sentence");
  std::vector<uint32_t>& t_begin_ = column<uint32_t>(tokens_, "begin");
  std::vector<uint32_t>& t_end_ = column<uint32_t>(tokens_, "end");
  std::vector<uint32_t>& t_term_ = column<uint32_t>(tokens_, "term");
  std::vector<uint32_t>& t_follows_ = column<uint32_t>(tokens_, "follows");
  std::vector<int64_t>& s_text_ = column<int64_t>(sentences_, "text");
  std::vector<uint32_t>& s_begin_ = column<uint32_t>(sentences_, "begin");
  std::vector<uint32_t>& s_end_ = column<uint32_t>(sentences_, "end");
  std::vector<uint32_t>& s_lang_ = column<uint32_t>(sentences_, "lang");
  std::vector<double>& s_score_ = column<double>(sentences_, "score");
  std::vector<int64_t>& x_id_ = column<int64_t>(texts_, "text");
  std::vector<uint32_t>& x_lang_ = column<uint32_t>(texts_, "lang");
  std::vector<int32_t>& x_day_ = column<int32_t>(texts_, "day");
  std::vector<uint32_t>& x_sentences_ = column<uint32_t>(texts_, "sentences");
  std::vector<uint32_t>& x_tokens_ = column<uint32_t>(texts_, "tokens");
};

std::optional<SentimentModel> load_model(store::Workspace& ws) {
  Stmt s(ws.db(), "SELECT data FROM voice_models WHERE name='sentiment'");
  if (!s.step()) return std::nullopt;
  return SentimentModel::deserialise(s.blob(0));
}

// ---- Import --------------------------------------------------------------------------------------------------------

std::string lower(std::string_view s) { return detail::ascii_lower(s); }

// Field → column, from --map, then the field's own name, then common names, case-insensitively.
std::map<std::string, size_t> text_columns(const std::vector<std::string>& header,
                                           const std::map<std::string, std::string>& map, const std::string& file) {
  static const std::map<std::string, std::vector<std::string>> aliases = {
      {"text",
       {"text", "review", "review text", "review_text", "comment", "comments", "body", "content", "message", "本文",
        "テキスト", "コメント", "口コミ", "レビュー"}},
      {"source", {"source", "channel", "ソース", "種別"}},
      {"id", {"id", "text_id", "review_id", "コメントid"}},
      {"customer_id", {"customer_id", "customer id", "customer", "顧客id", "顧客番号"}},
      {"place", {"place", "store", "shop", "location", "店舗", "場所"}},
      {"date", {"date", "created_at", "posted_at", "timestamp", "日付", "投稿日"}},
      {"lang", {"lang", "language", "言語"}},
      {"rating", {"rating", "stars", "score", "評価"}},
  };
  std::map<std::string, size_t> out;
  for (const auto& [field, column] : map) {
    if (!aliases.contains(field))
      throw Error(ErrorCode::usage, fmt::format("--map {}: unknown field '{}'", field, field), {},
                  "fields: text, source, id, customer_id, place, date, lang, rating");
    const auto it = std::find(header.begin(), header.end(), column);
    if (it == header.end())
      throw Error(ErrorCode::usage, fmt::format("--map {}={}: the file has no column '{}'", field, column, column),
                  file, fmt::format("its columns: {}", fmt::join(header, ", ")));
    out[field] = static_cast<size_t>(it - header.begin());
  }
  for (const auto& [field, names] : aliases) {
    if (out.contains(field)) continue;
    for (const auto& n : names) {
      auto it = std::find_if(header.begin(), header.end(), [&](const std::string& h) { return lower(h) == n; });
      if (it != header.end()) {
        out[field] = static_cast<size_t>(it - header.begin());
        break;
      }
    }
  }
  if (!out.contains("text"))
    throw Error(ErrorCode::input, "no text column", file,
                fmt::format("name it text, or pass --map text=COLUMN (columns: {})", fmt::join(header, ", ")));
  return out;
}

std::optional<std::string> canonical_source(std::string_view v) {
  const std::string s = lower(io::trim(v));
  for (const char* k : kSources)
    if (s == k) return std::string(k);
  static const std::map<std::string_view, std::string_view> ja = {
      {"インタビュー", "interview"}, {"レビュー", "review"}, {"口コミ", "review"},
      {"アンケート", "survey"},      {"sns", "social"},      {"ソーシャル", "social"},
      {"キーワード", "keyword"}};
  if (auto it = ja.find(s); it != ja.end()) return std::string(it->second);
  return std::nullopt;
}

class Rejects {
 public:
  explicit Rejects(fs::path target) : target_(std::move(target)) {}
  ~Rejects() {
    if (out_.is_open()) {
      out_.close();
      std::error_code ec;
      fs::remove(tmp(), ec);
    }
  }
  Rejects(const Rejects&) = delete;
  Rejects& operator=(const Rejects&) = delete;
  void add(uint64_t line, const std::string& reason) {
    if (!out_.is_open()) {
      out_.open(tmp(), std::ios::binary | std::ios::trunc);
      if (!out_)
        throw Error(ErrorCode::usage, "cannot write the rejects file", target_.string(), "choose --rejects PATH");
      out_ << "line,reason\n";
    }
    std::string r = reason;
    std::replace(r.begin(), r.end(), '"', '\'');
    out_ << line << ",\"" << r << "\"\n";
    ++count_;
  }
  void publish() {
    if (!out_.is_open()) return;
    out_.close();
    fs::rename(tmp(), target_);
  }
  [[nodiscard]] uint64_t count() const { return count_; }

 private:
  [[nodiscard]] fs::path tmp() const { return target_.string() + ".tmp"; }
  fs::path target_;
  std::ofstream out_;
  uint64_t count_ = 0;
};

struct RowMeta {
  uint64_t line;
  std::string text_id, source, customer_id, place, date, lang_given, extra;
  std::optional<Day> day;
  std::optional<double> rating;
};

class TextInserter {
 public:
  explicit TextInserter(store::Workspace& ws)
      : s_(ws.db(),
           "INSERT INTO voice_texts(import_id, line, text_id, source, customer_id, place, date, day, lang, "
           "lang_given, rating, extra, text, sentences, tokens, score, label, method) "
           "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"),
        db_(ws.db()) {}
  // The strings are bound without a copy: they outlive the step, and the texts add up to the whole file.
  int64_t insert(int64_t import_id, const RowMeta& m, const Prepared& p) {
    const Verdict& v = p.verdict;
    s_.bind(1, import_id).bind(2, static_cast<int64_t>(m.line));
    bind_opt(3, m.text_id);
    s_.bind_static(4, m.source);
    bind_opt(5, m.customer_id);
    bind_opt(6, m.place);
    bind_opt(7, m.date);
    if (m.day)
      s_.bind(8, static_cast<int64_t>(*m.day));
    else
      s_.bind_null(8);
    s_.bind_static(9, lang_code(p.lang));
    bind_opt(10, m.lang_given);
    if (m.rating)
      s_.bind(11, *m.rating);
    else
      s_.bind_null(11);
    bind_opt(12, m.extra);
    s_.bind_static(13, p.text);
    s_.bind(14, static_cast<int64_t>(p.sentences.size())).bind(15, static_cast<int64_t>(p.tokens.size()));
    s_.bind(16, v.score).bind(17, static_cast<int64_t>(v.label)).bind_static(18, v.method);
    s_.step();
    s_.reset();
    return sqlite3_last_insert_rowid(db_);
  }

 private:
  void bind_opt(int i, const std::string& v) {
    if (v.empty())
      s_.bind_null(i);
    else
      s_.bind_static(i, v);
  }
  Stmt s_;
  sqlite3* db_;
};

void mark_index_stale(store::Workspace& ws) { ws.set_meta("voice_fts", "stale"); }

void delete_texts_of_import(store::Workspace& ws, int64_t import_id) {
  Stmt d(ws.db(), "DELETE FROM voice_texts WHERE import_id=?");
  d.bind(1, import_id);
  d.step();
}

// An 8 MB page cache for a transaction that writes every text's rows (SQLite's default is 2 MB): enough for the
// B-tree pages that change again and again, so they reach the WAL about once, while filled pages are written out as
// the work goes instead of all at the commit (a 256 MB cache made the commit, which no other thread can overlap,
// 0.2 s longer).
void use_bulk_write_cache(store::Workspace& ws) { ws.exec("PRAGMA cache_size=-8192"); }

}  // namespace

void ensure_schema(store::Workspace& ws) {
  if (ws.meta("voice_schema").value_or("") == "1") return;
  ws.exec(kSchema);
  ws.set_meta("voice_schema", "1");
}

TextImportOutcome import_texts(store::Workspace& ws, const TextImportRequest& req) {
  std::string default_source = "review";
  if (!req.source.empty()) {
    const auto s = canonical_source(req.source);
    if (!s)
      throw Error(ErrorCode::usage, fmt::format("unknown source '{}'", req.source), {},
                  "use interview, review, survey, social or keyword");
    default_source = *s;
  }
  if (!req.lang.empty() && req.lang != "en" && req.lang != "ja")
    throw Error(ErrorCode::usage, fmt::format("unknown language '{}'", req.lang), {}, "use --lang en or --lang ja");
  io::DateFormat date_format = io::DateFormat::auto_detect;
  if (!req.date_format.empty()) {
    auto f = io::parse_date_format(req.date_format);
    if (!f)
      throw Error(ErrorCode::usage, fmt::format("unknown date format '{}'", req.date_format), {},
                  "use one of auto, iso, yyyymmdd, ymd, mdy, dmy");
    date_format = *f;
  }
  const std::string checksum = store::file_checksum(req.file);
  use_bulk_write_cache(ws);
  store::Workspace::Transaction tx(ws);
  ensure_schema(ws);
  if (auto prior = ws.find_import("texts", checksum)) {
    if (!req.replace)
      throw Error(ErrorCode::usage,
                  fmt::format("this file was already imported as texts (import #{}, from {})", prior->id, prior->file),
                  req.file.string(), "pass --replace to import it again in place of the earlier import");
    delete_texts_of_import(ws, prior->id);
    ws.delete_import(prior->id);
  }

  io::CsvOptions csv;
  csv.encoding = req.encoding;
  std::unique_ptr<io::RecordReader> reader;
  try {
    reader = io::open_records(req.file, csv);
  } catch (const Error& e) {
    // A stray invalid byte makes the encoding undetectable; with --on-error skip, read UTF-8 and skip those rows.
    if (req.on_error == io::OnError::fail || e.code != ErrorCode::input || !req.encoding.empty()) throw;
    csv.encoding = "UTF-8";
    reader = io::open_records(req.file, csv);
  }
  const auto& header = reader->header();
  const auto cols = text_columns(header, req.map, req.file.string());
  auto col = [&](const char* f) -> std::optional<size_t> {
    auto it = cols.find(f);
    return it == cols.end() ? std::nullopt : std::optional(it->second);
  };
  const size_t c_text = *col("text");
  const auto c_source = col("source"), c_id = col("id"), c_customer = col("customer_id"), c_place = col("place"),
             c_date = col("date"), c_lang = col("lang"), c_rating = col("rating");
  std::vector<size_t> extra_cols;
  for (size_t i = 0; i < header.size(); ++i) {
    bool used = false;
    for (const auto& [f, c] : cols) used = used || c == i;
    if (!used) extra_cols.push_back(i);
  }

  store::ImportRecord rec;
  rec.kind = "texts";
  rec.file = req.file.string();
  rec.checksum = checksum;
  std::vector<std::string> mapping;
  for (const auto& [f, c] : cols) mapping.push_back(f + "=" + header[c]);
  rec.mapping = fmt::format("{}", fmt::join(mapping, ", "));
  rec.id = ws.add_import(rec);

  const auto dict_entries = load_dictionary(ws);
  const UserDictionary dict(dict_entries);
  auto toks = make_tokenisers(thread_count(req.threads), &dict);
  const auto model = load_model(ws);
  Terms terms(ws);
  ColumnarWriter writer(ws, rec.id, terms);
  TextInserter inserter(ws);
  Rejects rejects(req.rejects_file);

  std::unordered_set<std::string> known;
  for (auto& id : ingest::load_customer_ids(ws)) known.insert(std::move(id));

  uint64_t rows = 0, kept = 0, empty = 0, with_customer = 0, unknown_customer = 0, bytes = 0;
  std::map<std::string, uint64_t> by_source, by_lang;
  std::array<uint64_t, 3> labels{};
  std::optional<Day> first_day, last_day;
  Progress progress("importing " + req.file.filename().string(), 1000);
  struct Batch {
    std::vector<Pending> in;
    std::vector<RowMeta> metas;
    std::vector<Prepared> out;
  };
  Batch batch_a, batch_b;
  Batch* fill = &batch_a;  // being read
  Batch* work = &batch_b;  // being processed
  bool busy = false;
  const SentimentModel* sentiment_model = model ? &*model : nullptr;
  AsyncProcessor proc(toks, sentiment_model);
  // On a single core (the process's CPU affinity) there is nothing to overlap: each smaller batch is processed on
  // this thread and stored at once, while its tokens are still in the cache, sparing the thread switches that would
  // evict MeCab's dictionary.
  const bool one_core = usable_cores() == 1;
  auto store_batch = [&](Batch& b) {
    for (size_t i = 0; i < b.in.size(); ++i) {
      const Verdict& v = b.out[i].verdict;
      const int64_t id = inserter.insert(rec.id, b.metas[i], b.out[i]);
      writer.add(id, b.out[i], b.metas[i].day);
      ++by_source[b.metas[i].source];
      ++by_lang[std::string(lang_code(b.out[i].lang))];
      ++labels[static_cast<size_t>(v.label + 1)];
    }
    b.in.clear();
    b.metas.clear();
    b.out.clear();
  };
  auto flush_overlapped = [&](bool last) {
    if (busy) proc.wait();
    std::swap(fill, work);
    busy = !work->in.empty();
    if (busy) proc.start(work->in, work->out);
    store_batch(*fill);
    if (last && busy) {
      proc.wait();
      busy = false;
      store_batch(*work);
    }
  };
  // The batch just read goes to the workers; the one they finished is stored meanwhile.
  auto flush = [&](bool last) {
    if (one_core) {
      process_all(fill->in, fill->out, toks, sentiment_model, 1);
      store_batch(*fill);
    } else {
      flush_overlapped(last);
    }
    const uint64_t size = reader->file_size();
    progress.update(size ? std::min<uint64_t>(1000, reader->compressed_bytes_read() * 1000 / size) : 0, rows);
  };

  io::Record r;
  size_t batch_bytes = 0;
  const size_t batch_texts = one_core ? 256 : 2048, batch_limit = one_core ? 512u << 10 : 4u << 20;
  for (;;) {
    bool more = false;
    try {
      more = reader->next(r);
    } catch (const Error& e) {
      // Invalid UTF-8 and broken JSON lines: the reader has moved past the record, so it can be skipped.
      if (req.on_error == io::OnError::fail || e.code != ErrorCode::input) throw;
      ++rows;
      rejects.add(0, e.location + ": " + e.message);
      continue;
    }
    if (!more) break;
    ++rows;
    auto bad = [&](const std::string& why, size_t column, const std::string& hint) {
      const std::string loc = fmt::format("{}:{}:{}", req.file.string(), r.line, column + 1);
      if (req.on_error == io::OnError::fail)
        throw Error(ErrorCode::input, why, loc,
                    hint.empty() ? "fix the row or skip bad rows with --on-error skip" : hint);
      rejects.add(r.line, why);
    };
    if (r.fields.size() != header.size()) {
      bad(fmt::format("the row has {} fields but the header has {}", r.fields.size(), header.size()), 0, {});
      continue;
    }
    // Valid UTF-8: the CSV reader checks every field and the JSONL parser every string (invalid bytes are
    // reported with their offset above, where --on-error skip applies).
    const std::string_view raw = r.fields[c_text];
    if (io::trim(raw).empty()) {
      ++empty;
      continue;
    }
    RowMeta m;
    m.line = r.line;
    m.source = default_source;
    if (c_source && !io::trim(r.fields[*c_source]).empty()) {
      const auto s = canonical_source(r.fields[*c_source]);
      if (!s) {
        bad(fmt::format("column '{}': '{}' is not a source", header[*c_source], r.fields[*c_source]), *c_source,
            "use interview, review, survey, social or keyword; or skip bad rows with --on-error skip");
        continue;
      }
      m.source = *s;
    }
    if (c_id) m.text_id = std::string(io::trim(r.fields[*c_id]));
    if (c_customer) m.customer_id = std::string(io::normalise_id(r.fields[*c_customer], false));
    if (c_place) m.place = std::string(io::trim(r.fields[*c_place]));
    if (c_date && !io::trim(r.fields[*c_date]).empty()) {
      const std::string_view v = io::trim(r.fields[*c_date]);
      m.day = io::parse_date(v, date_format, 0);
      if (!m.day) {
        bad(fmt::format("column '{}': '{}' is not a date", header[*c_date], v), *c_date, io::date_hint(v, date_format));
        continue;
      }
      m.date = format_date(*m.day);
      first_day = first_day ? std::min(*first_day, *m.day) : *m.day;
      last_day = last_day ? std::max(*last_day, *m.day) : *m.day;
    }
    std::string lang_hint = req.lang;
    if (c_lang && !io::trim(r.fields[*c_lang]).empty()) {
      const std::string l = lower(io::trim(r.fields[*c_lang]));
      if (l != "en" && l != "ja") {
        bad(fmt::format("column '{}': '{}' is not en or ja", header[*c_lang], r.fields[*c_lang]), *c_lang, {});
        continue;
      }
      lang_hint = l;
    }
    m.lang_given = lang_hint;
    if (c_rating && !io::trim(r.fields[*c_rating]).empty()) {
      const std::string v = io::nfkc(io::trim(r.fields[*c_rating]));
      double x = 0;
      const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
      if (ec != std::errc() || p != v.data() + v.size()) {
        bad(fmt::format("column '{}': '{}' is not a number", header[*c_rating], v), *c_rating, {});
        continue;
      }
      m.rating = x;
    }
    if (!extra_cols.empty()) {
      nlohmann::json j = nlohmann::json::object();
      for (size_t c : extra_cols)
        if (io::find_invalid_utf8(r.fields[c]) == std::string_view::npos) j[header[c]] = std::string(r.fields[c]);
      m.extra = j.dump();
    }
    if (!m.customer_id.empty()) {
      ++with_customer;
      if (!known.contains(m.customer_id)) ++unknown_customer;
    }
    ++kept;
    bytes += raw.size();
    batch_bytes += raw.size();
    fill->in.push_back({std::string(raw), lang_hint});
    fill->metas.push_back(std::move(m));
    if (fill->in.size() >= batch_texts || batch_bytes >= batch_limit) {
      flush(false);
      batch_bytes = 0;
    }
  }
  flush(true);
  progress.finish();
  writer.finish();
  terms.save(ws);
  mark_index_stale(ws);
  if (rows == 0) throw Error(ErrorCode::input, "the file has a header but no rows", req.file.string(), "");

  TextImportOutcome out;
  const uint64_t rejected = rejects.count();
  out.facts.push_back(fmt::format("{} rows read, {} texts kept, {} rejected", format_count(static_cast<int64_t>(rows)),
                                  format_count(static_cast<int64_t>(kept)),
                                  format_count(static_cast<int64_t>(rejected))));
  if (empty) out.facts.push_back(fmt::format("{} empty texts left out", format_count(static_cast<int64_t>(empty))));
  std::vector<std::string> parts;
  for (const auto& [s, n] : by_source) parts.push_back(fmt::format("{} {}", format_count(static_cast<int64_t>(n)), s));
  if (!parts.empty()) out.facts.push_back("sources: " + fmt::format("{}", fmt::join(parts, ", ")));
  parts.clear();
  for (const auto& [l, n] : by_lang)
    parts.push_back(fmt::format("{} {}", format_count(static_cast<int64_t>(n)), l == "ja" ? "Japanese" : "English"));
  if (!parts.empty()) out.facts.push_back("languages: " + fmt::format("{}", fmt::join(parts, ", ")));
  out.facts.push_back(fmt::format("sentiment ({}): {} positive, {} neutral, {} negative",
                                  model ? "trained model" : "lexicon", format_count(static_cast<int64_t>(labels[2])),
                                  format_count(static_cast<int64_t>(labels[1])),
                                  format_count(static_cast<int64_t>(labels[0]))));
  if (first_day) out.facts.push_back(fmt::format("dates {} to {}", format_date(*first_day), format_date(*last_day)));
  if (with_customer)
    out.facts.push_back(fmt::format("{} texts with a customer ID ({} not among the workspace's customers, kept)",
                                    format_count(static_cast<int64_t>(with_customer)),
                                    format_count(static_cast<int64_t>(unknown_customer))));
  if (!extra_cols.empty()) {
    std::vector<std::string> names;
    for (size_t c : extra_cols) names.push_back(header[c]);
    out.facts.push_back(fmt::format("other columns kept: {}", fmt::join(names, ", ")));
  }
  if (unknown_customer)
    out.warnings.push_back(
        fmt::format("{} texts name a customer ID the workspace does not know yet; they are kept "
                    "and link once orders or customers with those IDs are imported",
                    format_count(static_cast<int64_t>(unknown_customer))));
  if (rejected) out.warnings.push_back(fmt::format("{} rows rejected: see {}", rejected, req.rejects_file.string()));
  rec.rows_read = static_cast<int64_t>(rows);
  rec.rows_kept = static_cast<int64_t>(kept);
  rec.rows_rejected = static_cast<int64_t>(rejected);
  rec.summary = fmt::format("{}", fmt::join(out.facts, "\n"));
  for (const auto& w : out.warnings) rec.summary += "\nwarning: " + w;
  ws.update_import(rec);
  out.record = rec;
  out.rejected = rejected;
  tx.commit();
  rejects.publish();
  (void)bytes;
  return out;
}

// ---- The user dictionary and re-tokenising -------------------------------------------------------------------------

std::vector<UserEntry> load_dictionary(store::Workspace& ws) {
  ensure_schema(ws);
  std::vector<UserEntry> out;
  Stmt s(ws.db(), "SELECT word, pos FROM voice_dictionary ORDER BY word");
  while (s.step()) out.push_back({s.text(0), s.text(1)});
  return out;
}

namespace {

// Re-reads every stored text with the current dictionary: new sentences, tokens and (lexicon) sentiment.
uint64_t retokenise(store::Workspace& ws, unsigned threads) {
  use_bulk_write_cache(ws);
  const auto entries = load_dictionary(ws);
  const UserDictionary dict(entries);
  auto toks = make_tokenisers(thread_count(threads), &dict);
  const auto model = load_model(ws);
  for (const char* t : {"texts", "text_sentences", "text_tokens"}) ws.drop_columnar(t);
  Terms terms(ws);
  std::vector<int64_t> imports;
  {
    Stmt s(ws.db(), "SELECT DISTINCT import_id FROM voice_texts ORDER BY import_id");
    while (s.step()) imports.push_back(s.i64(0));
  }
  Stmt upd(ws.db(), "UPDATE voice_texts SET sentences=?, tokens=?, score=?, label=?, method=? WHERE id=?");
  uint64_t n = 0;
  for (int64_t imp : imports) {
    ColumnarWriter writer(ws, imp, terms);
    std::vector<int64_t> ids;
    std::vector<std::optional<Day>> days;
    std::vector<Pending> batch;
    std::vector<Prepared> done;
    auto flush = [&] {
      process_all(batch, done, toks, model ? &*model : nullptr, toks.size());
      for (size_t i = 0; i < batch.size(); ++i) {
        writer.add(ids[i], done[i], days[i]);
        const auto tokens = static_cast<int64_t>(done[i].tokens.size());
        const Verdict& v = done[i].verdict;
        upd.bind(1, static_cast<int64_t>(done[i].sentences.size())).bind(2, tokens);
        upd.bind(3, v.score).bind(4, static_cast<int64_t>(v.label)).bind(5, std::string_view(v.method)).bind(6, ids[i]);
        upd.step();
        upd.reset();
      }
      n += batch.size();
      batch.clear();
      ids.clear();
      days.clear();
    };
    Stmt s(ws.db(), "SELECT id, text, lang_given, day FROM voice_texts WHERE import_id=? ORDER BY id");
    s.bind(1, imp);
    while (s.step()) {
      ids.push_back(s.i64(0));
      batch.push_back({s.text(1), s.text(2)});
      days.push_back(s.is_null(3) ? std::nullopt : std::optional<Day>(static_cast<Day>(s.i64(3))));
      if (batch.size() >= 4096) flush();
    }
    if (!batch.empty()) flush();
    writer.finish();
  }
  terms.save(ws);
  return n;
}

}  // namespace

DictionaryChange add_dictionary_words(store::Workspace& ws, const std::vector<UserEntry>& words, unsigned threads) {
  store::Workspace::Transaction tx(ws);
  ensure_schema(ws);
  DictionaryChange c;
  Stmt ins(ws.db(),
           "INSERT INTO voice_dictionary(word, pos) VALUES(?, ?) ON CONFLICT(word) DO UPDATE SET pos=excluded.pos "
           "WHERE pos <> excluded.pos");
  for (const auto& w : words) {
    const std::string word = normalise_text(w.word);
    if (word.empty()) continue;
    if (w.pos != "noun" && w.pos != "proper_noun")
      throw Error(ErrorCode::usage, fmt::format("'{}': unknown part of speech '{}'", w.word, w.pos), {},
                  "use noun or proper_noun");
    ins.bind(1, std::string_view(word)).bind(2, std::string_view(w.pos));
    ins.step();
    ins.reset();
    if (sqlite3_changes(ws.db()) > 0)
      ++c.added;
    else
      ++c.unchanged;
  }
  if (c.added > 0) c.retokenised = retokenise(ws, threads);
  tx.commit();
  return c;
}

DictionaryChange remove_dictionary_words(store::Workspace& ws, const std::vector<std::string>& words,
                                         unsigned threads) {
  store::Workspace::Transaction tx(ws);
  ensure_schema(ws);
  DictionaryChange c;
  Stmt del(ws.db(), "DELETE FROM voice_dictionary WHERE word=?");
  for (const auto& w : words) {
    const std::string word = normalise_text(w);
    del.bind(1, std::string_view(word));
    del.step();
    del.reset();
    if (sqlite3_changes(ws.db()) > 0)
      ++c.removed;
    else
      ++c.unchanged;
  }
  if (c.removed > 0) c.retokenised = retokenise(ws, threads);
  tx.commit();
  return c;
}

std::vector<UserEntry> read_dictionary_file(const fs::path& file) {
  auto reader = io::open_records(file);
  const auto& h = reader->header();
  size_t c_word = 0;
  std::optional<size_t> c_pos;
  for (size_t i = 0; i < h.size(); ++i) {
    const std::string n = lower(h[i]);
    if (n == "word" || n == "語" || n == "単語") c_word = i;
    if (n == "pos" || n == "品詞") c_pos = i;
  }
  std::vector<UserEntry> out;
  // A file without a recognised header is a plain list: its first line is a word too.
  const bool headerless = lower(h[c_word]) != "word" && h[c_word] != "語" && h[c_word] != "単語";
  if (headerless && !h.empty()) out.push_back({h[0], "noun"});
  io::Record r;
  while (reader->next(r)) {
    if (r.fields.size() <= c_word || io::trim(r.fields[c_word]).empty()) continue;
    UserEntry e{std::string(io::trim(r.fields[c_word])), "noun"};
    if (c_pos && *c_pos < r.fields.size() && !io::trim(r.fields[*c_pos]).empty()) {
      const std::string p = lower(io::trim(r.fields[*c_pos]));
      e.pos = p == "proper_noun" || p == "固有名詞" || p == "brand" ? "proper_noun" : "noun";
    }
    out.push_back(std::move(e));
  }
  return out;
}

// ---- What analyses read
// ----------------------------------------------------------------------------------------------

std::vector<StoredText> load_texts(store::Workspace& ws) {
  ensure_schema(ws);
  std::vector<StoredText> out;
  Stmt s(ws.db(), "SELECT id, source, customer_id, day, lang, label, score FROM voice_texts ORDER BY id");
  while (s.step()) {
    StoredText t;
    t.id = s.i64(0);
    t.source = s.text(1);
    t.customer_id = s.text(2);
    if (!s.is_null(3)) t.day = static_cast<Day>(s.i64(3));
    t.lang = s.text(4) == "ja" ? TextLang::ja : TextLang::en;
    t.label = static_cast<int>(s.i64(5));
    t.score = s.f64(6);
    out.push_back(std::move(t));
  }
  return out;
}

StoredTokens load_tokens(store::Workspace& ws) {
  StoredTokens t;
  ws.scan("text_terms", [&](const store::Chunk& c) {
    const auto& term = c.as<StringColumn>("term");
    const auto& display = c.as<StringColumn>("display");
    const auto& pos = c.as<StringColumn>("pos");
    const auto& lang = c.as<std::vector<uint32_t>>("lang");
    for (size_t i = 0; i < term.size(); ++i) {
      t.terms.emplace_back(term[i]);
      t.term_display.emplace_back(display[i]);
      t.term_pos.emplace_back(pos[i]);
      t.term_lang.push_back(static_cast<TextLang>(lang[i]));
    }
  });
  ws.scan("text_tokens", [&](const store::Chunk& c) {
    auto append = [](auto& dst, const auto& src) { dst.insert(dst.end(), src.begin(), src.end()); };
    append(t.text, c.as<std::vector<int64_t>>("text"));
    append(t.sentence, c.as<std::vector<uint32_t>>("sentence"));
    append(t.begin, c.as<std::vector<uint32_t>>("begin"));
    append(t.end, c.as<std::vector<uint32_t>>("end"));
    append(t.term, c.as<std::vector<uint32_t>>("term"));
    append(t.follows, c.as<std::vector<uint32_t>>("follows"));
  });
  return t;
}

std::map<std::string, std::string> customer_segments(store::Workspace& ws, const std::string& attribute) {
  std::map<std::string, std::string> out;
  if (ws.columnar_rows("customers") == 0) return out;
  const auto ids = ingest::load_customer_ids(ws);
  ws.scan("customers", [&](const store::Chunk& c) {
    const auto* col = c.find(attribute);
    if (col == nullptr || !std::holds_alternative<StringColumn>(col->data)) return;
    const auto& seg = std::get<StringColumn>(col->data);
    const auto& keys = c.as<std::vector<uint32_t>>("customer");
    for (size_t i = 0; i < keys.size(); ++i)
      if (keys[i] < ids.size() && !seg[i].empty()) out[ids[keys[i]]] = std::string(seg[i]);
  });
  return out;
}

}  // namespace koko::voice
