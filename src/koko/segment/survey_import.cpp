// `koko import survey FILE`: a brand survey (one row per respondent and wave) read, checked cell by cell and stored
// as typed columns. Every refusal names file:line:column, the value and the spellings that are accepted.
#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <unordered_map>

#include "koko/core/error.hpp"
#include "koko/core/money.hpp"
#include "koko/io/csv.hpp"
#include "koko/io/fields.hpp"
#include "koko/segment/glue.hpp"

namespace koko::segment {
namespace {

struct Field {
  std::string_view name;
  std::vector<std::string_view> aliases;  // header names recognised without --map
};

// The survey's fields; every other column is kept as free text.
const std::vector<Field>& fields() {
  static const std::vector<Field> f = {
      {"respondent_id", {"respondent_id", "respondent", "回答者ID", "回答者id", "回答者番号"}},
      {"aware", {"aware", "awareness", "認知"}},
      {"ever_bought", {"ever_bought", "purchased", "購入経験"}},
      {"last_bought", {"last_bought", "最終購入", "最終購入時期"}},
      {"bought_within", {"bought_within", "current_buyer", "直近購入"}},
      {"purchase_frequency", {"purchase_frequency", "frequency", "購入頻度", "購入回数"}},
      {"next_intent", {"next_intent", "purchase_intent", "intent", "次回購入意向"}},
      {"weight", {"weight", "ウェイト", "ウエイト"}},
      {"wave", {"wave", "調査回"}},
      {"customer_id", {"customer_id", "顧客ID", "顧客id"}},
      {"nps", {"nps", "NPS", "推奨度"}},
      {"survey_date", {"survey_date", "answered_on", "回答日"}},
  };
  return f;
}

std::string fold(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return out;
}

std::map<std::string, size_t> resolve(const std::vector<std::string>& header,
                                      const std::map<std::string, std::string>& map, const std::string& file) {
  const std::string listed = fmt::format("{}", fmt::join(header, " | "));
  auto find = [&](std::string_view name) -> std::optional<size_t> {
    for (size_t i = 0; i < header.size(); ++i)
      if (fold(io::trim(header[i])) == fold(name)) return i;
    return std::nullopt;
  };
  for (const auto& [field, column] : map) {
    bool known = false;
    for (const auto& f : fields()) known = known || f.name == field;
    if (!known)
      throw Error{ErrorCode::usage, fmt::format("--map {}=...: a survey has no field '{}'", field, field), "",
                  "survey fields: respondent_id, aware, ever_bought, last_bought, bought_within, purchase_frequency, "
                  "next_intent, weight, wave, customer_id, nps, survey_date"};
  }
  std::map<std::string, size_t> out;
  for (const auto& f : fields()) {
    const std::string name(f.name);
    if (auto m = map.find(name); m != map.end()) {
      auto idx = find(m->second);
      if (!idx)
        throw Error{ErrorCode::input, fmt::format("column '{}' (for {}) is not in the header", m->second, name), file,
                    fmt::format("the header is: {}\n  use --map {}=COLUMN with one of these names", listed, name)};
      out[name] = *idx;
      continue;
    }
    for (const auto alias : f.aliases)
      if (auto idx = find(alias)) {
        out[name] = *idx;
        break;
      }
  }
  for (const char* required : {"respondent_id", "aware", "ever_bought", "purchase_frequency"})
    if (!out.contains(required))
      throw Error{ErrorCode::input, fmt::format("required column '{}' not found", required), file,
                  fmt::format("the header is: {}\n  name the column with --map {}=COLUMN", listed, required)};
  if (!out.contains("last_bought") && !out.contains("bought_within"))
    throw Error{ErrorCode::input, "the survey needs a last_bought or a bought_within column", file,
                fmt::format("the header is: {}\n  name one with --map last_bought=COLUMN (a date or months since the "
                            "last purchase) or --map bought_within=COLUMN (yes/no)",
                            listed)};
  return out;
}

// Rejected rows go to a temporary file that becomes the rejects file only when the import commits.
class Rejects {
 public:
  explicit Rejects(std::filesystem::path target) : target_(std::move(target)) {}
  ~Rejects() {
    if (!out_.is_open()) return;
    out_.close();
    std::error_code ec;
    std::filesystem::remove(tmp(), ec);
  }
  Rejects(const Rejects&) = delete;
  Rejects& operator=(const Rejects&) = delete;
  void add(uint64_t line, const std::string& reason) {
    if (!out_.is_open()) {
      out_.open(tmp(), std::ios::binary | std::ios::trunc);
      if (!out_)
        throw Error{ErrorCode::usage, "cannot write the rejects file", target_.string(), "choose --rejects PATH"};
      out_ << "line,reason\n";
    }
    std::string quoted = "\"";
    for (const char c : reason) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    out_ << line << ',' << quoted << "\"\n";
    ++count_;
  }
  void publish() {
    if (!out_.is_open()) return;
    out_.close();
    std::filesystem::rename(tmp(), target_);
  }
  [[nodiscard]] uint64_t count() const { return count_; }

 private:
  [[nodiscard]] std::filesystem::path tmp() const { return target_.string() + ".tmp"; }
  std::filesystem::path target_;
  std::ofstream out_;
  uint64_t count_ = 0;
};

// A bad cell: the value, the column and what is accepted.
struct BadCell {
  std::string message;
  std::string location;
  std::string hint;
};

// The typed columns of one import, as stored.
struct Columns {
  StringColumn respondent, wave, customer_id;
  std::vector<int32_t> aware, ever_bought, bought_within, last_bought_months, last_bought_day, next_intent, nps,
      survey_date;
  std::vector<double> frequency, weight;
  std::vector<int64_t> line;
  std::vector<StringColumn> text;
  [[nodiscard]] size_t size() const { return respondent.size(); }
};

// One parsed row before it is appended.
struct Row {
  std::string respondent, wave, customer_id;
  int aware = -1, ever = -1, within = -1, months = -1, intent = -1, nps = -1;
  Day last_day = kNoDay, answered = kNoDay;
  double frequency = 0, weight = 1;
};

void append(Columns& out, const Row& w, const io::Record& r, const std::vector<size_t>& text_cols) {
  out.respondent.push_back(w.respondent);
  out.wave.push_back(w.wave);
  out.customer_id.push_back(w.customer_id);
  out.aware.push_back(w.aware);
  out.ever_bought.push_back(w.ever);
  out.bought_within.push_back(w.within);
  out.last_bought_months.push_back(w.months);
  out.last_bought_day.push_back(w.last_day);
  out.frequency.push_back(w.frequency);
  out.next_intent.push_back(w.intent);
  out.nps.push_back(w.nps);
  out.weight.push_back(w.weight);
  out.survey_date.push_back(w.answered);
  out.line.push_back(static_cast<int64_t>(r.line));
  for (size_t t = 0; t < text_cols.size(); ++t) out.text[t].push_back(r.fields[text_cols[t]]);
}

class RowParser {
 public:
  RowParser(const io::RecordReader& reader, std::map<std::string, size_t> cols, io::DateFormat date_format)
      : reader_(reader), cols_(std::move(cols)), date_format_(date_format) {}

  // Parses one record; throws BadCell for the first bad cell.
  Row parse(const io::Record& r) {
    record_ = &r;
    Row w;
    w.respondent = std::string(io::trim(cell("respondent_id")));
    if (w.respondent.empty()) bad("respondent_id", "an empty respondent_id", "give every row a respondent_id");
    w.wave = has("wave") && !io::trim(cell("wave")).empty() ? std::string(io::trim(cell("wave"))) : "1";
    w.aware = yes_no("aware", true);
    w.ever = yes_no("ever_bought", false);
    if (w.ever < 0 && w.aware == 1)
      bad("ever_bought", "ever_bought is empty for an aware respondent", "answer yes or no for every aware respondent");
    if (has("bought_within")) w.within = yes_no("bought_within", false);
    if (has("last_bought")) last_bought(w.months, w.last_day);
    w.frequency = std::nan("");
    if (has("purchase_frequency")) {
      const Cell c = parse_amount(cell("purchase_frequency"), w.frequency);
      if (c == Cell::invalid)
        bad("purchase_frequency", fmt::format("'{}' is not a number of purchases", cell("purchase_frequency")),
            "write a number such as 0, 3 or 12");
      if (c == Cell::empty) w.frequency = std::nan("");
    }
    if (has("next_intent")) w.intent = whole("next_intent", "the 1-5 or 0-10 scale");
    if (has("nps")) w.nps = whole("nps", "the 0-10 scale");
    if (has("weight")) {
      const Cell c = parse_amount(cell("weight"), w.weight);
      if (c == Cell::empty)
        bad("weight", "the weight is missing",
            "give every respondent a positive weight, or drop the weight column "
            "for equal weights");
      if (c == Cell::invalid || !(w.weight > 0))
        bad("weight", fmt::format("'{}' is not a positive weight", cell("weight")),
            "give every respondent a positive weight (e.g. 0.8 or 1.25), or drop the weight column for equal weights");
    }
    if (has("survey_date") && !io::trim(cell("survey_date")).empty()) w.answered = date("survey_date");
    if (w.last_day != kNoDay && w.answered == kNoDay)
      bad("last_bought",
          fmt::format("'{}' is a date, but the row has no survey_date to measure the window from", cell("last_bought")),
          "add a survey_date column, or answer last_bought in months since the last purchase");
    if (has("customer_id")) w.customer_id = std::string(io::normalise_id(cell("customer_id"), true));
    return w;
  }

  [[nodiscard]] bool has(const std::string& f) const { return cols_.contains(f); }

 private:
  [[nodiscard]] std::string_view cell(const std::string& f) const { return record_->fields[cols_.at(f)]; }

  [[noreturn]] void bad(const std::string& f, const std::string& what, const std::string& hint) const {
    throw BadCell{fmt::format("column '{}': {}", f, what),
                  fmt::format("{}:{}:{}", reader_.path(), record_->line, cols_.at(f) + 1), hint};
  }

  int yes_no(const std::string& f, bool required) const {
    bool v = false;
    const Cell c = parse_yes_no(cell(f), v);
    if (c == Cell::invalid)
      bad(f, fmt::format("'{}' is not yes or no", cell(f)), "use yes/no, y/n, true/false, 1/0 or はい/いいえ");
    if (c == Cell::empty) {
      if (required) bad(f, "the answer is empty", "answer yes or no in every row");
      return -1;
    }
    return v ? 1 : 0;
  }

  int whole(const std::string& f, const char* scale) const {
    int v = 0;
    const Cell c = parse_whole(cell(f), 10, v);
    if (c == Cell::invalid)
      bad(f, fmt::format("'{}' is not on {}", cell(f), scale), "write a whole number such as 4 (or leave it empty)");
    return c == Cell::empty ? -1 : v;
  }

  Day date(const std::string& f) const {
    const auto d = io::parse_date(io::trim(cell(f)), date_format_);
    if (!d) bad(f, fmt::format("'{}' is not a date", cell(f)), io::date_hint(cell(f), date_format_));
    return *d;
  }

  // A date, or a whole number of months since the last purchase.
  void last_bought(int& months, Day& day) const {
    const std::string_view v = io::trim(cell("last_bought"));
    if (v.empty()) return;
    int m = 0;
    if (parse_whole(v, 1200, m) == Cell::ok) {
      months = m;
      return;
    }
    const auto d = io::parse_date(v, date_format_);
    if (!d)
      bad("last_bought", fmt::format("'{}' is neither a date nor a number of months", v),
          "write the date of the last purchase (2024-03-07) or the months since it (3)");
    day = *d;
  }

  const io::RecordReader& reader_;
  std::map<std::string, size_t> cols_;
  io::DateFormat date_format_;
  const io::Record* record_ = nullptr;
};

store::Chunk to_chunk(Columns&& c, const std::vector<std::string>& text_names, int64_t import_id) {
  const size_t n = c.size();
  store::Chunk k;
  k.columns.push_back({"respondent_id", std::move(c.respondent)});
  k.columns.push_back({"wave", std::move(c.wave)});
  k.columns.push_back({"customer_id", std::move(c.customer_id)});
  k.columns.push_back({"aware", std::move(c.aware)});
  k.columns.push_back({"ever_bought", std::move(c.ever_bought)});
  k.columns.push_back({"bought_within", std::move(c.bought_within)});
  k.columns.push_back({"last_bought_months", std::move(c.last_bought_months)});
  k.columns.push_back({"last_bought_day", std::move(c.last_bought_day)});
  k.columns.push_back({"purchase_frequency", std::move(c.frequency)});
  k.columns.push_back({"next_intent", std::move(c.next_intent)});
  k.columns.push_back({"nps", std::move(c.nps)});
  k.columns.push_back({"weight", std::move(c.weight)});
  k.columns.push_back({"survey_date", std::move(c.survey_date)});
  k.columns.push_back({"line", std::move(c.line)});
  k.columns.push_back({"import", std::vector<int64_t>(n, import_id)});
  for (size_t t = 0; t < text_names.size(); ++t) k.columns.push_back({"text:" + text_names[t], std::move(c.text[t])});
  return k;
}

}  // namespace

ingest::ImportOutcome import_survey(store::Workspace& ws, const ingest::ImportRequest& req) {
  if (!req.preset.empty())
    throw Error{ErrorCode::usage,
                "presets describe orders and customers files, not surveys",
                {},
                "leave out --preset; name survey columns with --map field=column"};
  io::DateFormat date_format = io::DateFormat::auto_detect;
  if (!req.date_format.empty()) {
    auto f = io::parse_date_format(req.date_format);
    if (!f)
      throw Error{ErrorCode::usage,
                  fmt::format("unknown date format '{}'", req.date_format),
                  {},
                  "use one of auto, iso, yyyymmdd, ymd, mdy, dmy"};
    date_format = *f;
  }
  const std::string checksum = store::file_checksum(req.file);
  store::Workspace::Transaction tx(ws);
  if (auto prior = ws.find_import("survey", checksum)) {
    if (!req.replace)
      throw Error{ErrorCode::usage,
                  fmt::format("this file was already imported as survey (import #{}, from {})", prior->id, prior->file),
                  req.file.string(), "pass --replace to import it again in place of the earlier import"};
    ws.delete_import(prior->id);
  }

  io::CsvOptions csv;
  csv.encoding = req.encoding;
  const auto reader = io::open_records(req.file, csv);
  const auto& header = reader->header();
  const auto cols = resolve(header, req.map, req.file.string());
  std::vector<size_t> text_cols;
  std::vector<std::string> text_names;
  std::set<size_t> used;
  for (const auto& [f, i] : cols) used.insert(i);
  for (size_t i = 0; i < header.size(); ++i)
    if (!used.contains(i)) {
      text_cols.push_back(i);
      text_names.push_back(header[i]);
    }

  store::ImportRecord rec;
  rec.kind = "survey";
  rec.file = req.file.string();
  rec.checksum = checksum;
  std::vector<std::string> mapping;
  for (const auto& [f, i] : cols) mapping.push_back(f + "=" + header[i]);
  rec.mapping = fmt::format("{}", fmt::join(mapping, ", "));
  rec.id = ws.add_import(rec);

  Columns out;
  out.text.resize(text_cols.size());
  RowParser parser(*reader, cols, date_format);
  Rejects rejects(req.rejects_file);
  std::unordered_map<std::string, uint64_t> seen;  // respondent \x1f wave → line
  uint64_t rows = 0;
  io::Record r;
  while (reader->next(r)) {
    ++rows;
    try {
      if (r.fields.size() != header.size())
        throw BadCell{fmt::format("the row has {} fields but the header has {}", r.fields.size(), header.size()),
                      fmt::format("{}:{}", req.file.string(), r.line), "fix the row's quoting or delimiters"};
      const Row row = parser.parse(r);
      if (auto [it, fresh] = seen.emplace(row.respondent + '\x1f' + row.wave, r.line); !fresh)
        throw BadCell{fmt::format("respondent '{}' answers twice in wave {} (first on line {})", row.respondent,
                                  row.wave, it->second),
                      fmt::format("{}:{}", req.file.string(), r.line),
                      "keep one row per respondent and wave; a panel respondent appears once per wave"};
      append(out, row, r, text_cols);
    } catch (const BadCell& b) {
      if (req.on_error == io::OnError::fail) throw Error{ErrorCode::input, b.message, b.location, b.hint};
      rejects.add(r.line, b.location + ": " + b.message);
    }
  }
  if (rows == 0) throw Error{ErrorCode::input, "the file has a header but no data rows", req.file.string(), ""};
  if (out.size() == 0)
    throw Error{ErrorCode::input, "every row was rejected", req.file.string(), "see " + req.rejects_file.string()};

  // Facts for the user and the import record.
  std::set<std::string> waves;
  int64_t linked = 0, matched = 0;
  std::unordered_map<std::string, uint32_t> known;
  const auto ids = ingest::load_customer_ids(ws);
  for (uint32_t k = 0; k < ids.size(); ++k) known.emplace(ids[k], k);
  for (size_t i = 0; i < out.size(); ++i) {
    waves.emplace(out.wave[i]);
    if (out.customer_id[i].empty()) continue;
    ++linked;
    if (known.contains(std::string(out.customer_id[i]))) ++matched;
  }
  ingest::ImportOutcome res;
  const auto kept = static_cast<int64_t>(out.size());
  res.facts.push_back(fmt::format("{} rows read, {} kept, {} rejected", format_count(static_cast<int64_t>(rows)),
                                  format_count(kept), format_count(static_cast<int64_t>(rejects.count()))));
  res.facts.push_back(fmt::format("{} waves: {}", waves.size(), fmt::join(waves, ", ")));
  res.facts.push_back(cols.contains("weight")
                          ? std::string("weighted (weight column)")
                          : std::string("unweighted (no weight column: every respondent counts 1)"));
  if (cols.contains("customer_id"))
    res.facts.push_back(fmt::format("{} respondents give a customer ID; {} of them match a customer",
                                    format_count(linked), format_count(matched)));
  if (!text_names.empty()) res.facts.push_back(fmt::format("free-text columns: {}", fmt::join(text_names, ", ")));
  if (linked > matched && !ids.empty())
    res.warnings.push_back(fmt::format("{} survey customer IDs match no customer in the workspace; they stay unlinked",
                                       format_count(linked - matched)));
  if (rejects.count())
    res.warnings.push_back(fmt::format("{} rows rejected: see {}", rejects.count(), req.rejects_file.string()));
  res.rejected = rejects.count();

  ws.append_chunk("survey", rec.id, to_chunk(std::move(out), text_names, rec.id));
  rec.rows_read = static_cast<int64_t>(rows);
  rec.rows_kept = kept;
  rec.rows_rejected = static_cast<int64_t>(rejects.count());
  rec.summary = fmt::format("{}", fmt::join(res.facts, "\n"));
  for (const auto& w : res.warnings) rec.summary += "\nwarning: " + w;
  ws.update_import(rec);
  res.record = rec;
  tx.commit();
  rejects.publish();
  return res;
}

Survey load_survey(store::Workspace& ws) {
  std::map<int64_t, std::string> files;
  for (const auto& r : ws.imports()) files[r.id] = r.file;
  Survey s;
  ws.scan("survey", [&](const store::Chunk& c) {
    const auto& resp = c.as<StringColumn>("respondent_id");
    const auto& wave = c.as<StringColumn>("wave");
    const auto& cust = c.as<StringColumn>("customer_id");
    auto i32 = [&](const char* name) -> const std::vector<int32_t>& { return c.as<std::vector<int32_t>>(name); };
    const auto& freq = c.as<std::vector<double>>("purchase_frequency");
    const auto& weight = c.as<std::vector<double>>("weight");
    const auto& line = c.as<std::vector<int64_t>>("line");
    const auto& imp = c.as<std::vector<int64_t>>("import");
    for (size_t i = 0; i < resp.size(); ++i) {
      s.respondent.emplace_back(resp[i]);
      s.wave.emplace_back(wave[i]);
      s.customer_id.emplace_back(cust[i]);
      s.aware.push_back(static_cast<int8_t>(i32("aware")[i]));
      s.ever_bought.push_back(static_cast<int8_t>(i32("ever_bought")[i]));
      s.bought_within.push_back(static_cast<int8_t>(i32("bought_within")[i]));
      s.last_bought_months.push_back(i32("last_bought_months")[i]);
      s.last_bought_day.push_back(i32("last_bought_day")[i]);
      s.frequency.push_back(freq[i]);
      s.next_intent.push_back(static_cast<int8_t>(i32("next_intent")[i]));
      s.nps.push_back(static_cast<int8_t>(i32("nps")[i]));
      s.weight.push_back(weight[i]);
      s.survey_date.push_back(i32("survey_date")[i]);
      s.line.push_back(line[i]);
      s.file.push_back(files.contains(imp[i]) ? files[imp[i]] : std::string("survey"));
    }
  });
  // One answer per respondent and wave, across files too.
  std::unordered_map<std::string, size_t> seen;
  for (size_t i = 0; i < s.size(); ++i) {
    auto [it, fresh] = seen.emplace(s.respondent[i] + '\x1f' + s.wave[i], i);
    if (!fresh)
      throw Error{ErrorCode::input,
                  fmt::format("respondent '{}' answers twice in wave {} (also {}:{})", s.respondent[i], s.wave[i],
                              s.file[it->second], s.line[it->second]),
                  fmt::format("{}:{}", s.file[i], s.line[i]),
                  "give each file its own wave column value, or re-import with --replace"};
  }
  return s;
}

}  // namespace koko::segment
