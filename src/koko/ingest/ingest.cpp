#include "koko/ingest/ingest.hpp"

#include <fmt/format.h>
#include <xxhash.h>

#include <chrono>
#include <fstream>

#include "koko/core/error.hpp"
#include "koko/core/money.hpp"
#include "koko/core/progress.hpp"
#include "koko/ingest/features_file.hpp"
#include "koko/report/report.hpp"

namespace koko::ingest {

namespace {

Day today() {
  const auto now = std::chrono::system_clock::now();
  return static_cast<Day>(std::chrono::duration_cast<std::chrono::hours>(now.time_since_epoch()).count() / 24);
}

// Rejected rows go to a temporary file that becomes rejects.csv only when the import commits.
class RejectsFile {
 public:
  explicit RejectsFile(std::filesystem::path target) : target_(std::move(target)) {}
  ~RejectsFile() {
    if (out_.is_open()) {
      out_.close();
      std::error_code ec;
      std::filesystem::remove(tmp(), ec);
    }
  }
  void add(const io::Reject& r) {
    if (!out_.is_open()) {
      out_.open(tmp(), std::ios::binary | std::ios::trunc);
      if (!out_)
        throw Error(ErrorCode::usage, "cannot write the rejects file", target_.string(), "choose --rejects PATH");
      out_ << "line,reason,row\n";
    }
    out_ << r.line << ',' << report::csv_field(r.reason) << ',' << report::csv_field(r.raw) << '\n';
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

store::Chunk order_chunk(const io::OrderBatch& b) {
  store::Chunk c;
  c.columns.push_back({"customer", b.customer});
  c.columns.push_back({"day", b.day});
  c.columns.push_back({"amount", b.amount});
  // Files without order IDs store none (8 bytes a row of empty offsets otherwise).
  if (!b.order_id.bytes.empty()) c.columns.push_back({"order_id", b.order_id});
  return c;
}

void check_not_imported(store::Workspace& ws, const ImportRequest& req, const std::string& checksum) {
  auto prior = ws.find_import(req.kind, checksum);
  if (!prior) return;
  if (!req.replace)
    throw Error(ErrorCode::usage,
                fmt::format("this file was already imported as {} (import #{}, from {})", req.kind, prior->id,
                            prior->file),
                req.file.string(), "pass --replace to import it again in place of the earlier import");
  ws.delete_import(prior->id);
}

std::string mapping_text(const std::map<std::string, std::string>& m) {
  std::vector<std::string> parts;
  for (const auto& [k, v] : m) parts.push_back(k + "=" + v);
  return fmt::format("{}", fmt::join(parts, ", "));
}

ImportOutcome import_orders_file(store::Workspace& ws, const ImportRequest& req, const io::Preset& preset,
                                 const std::string& checksum) {
  // The workspace's currency is fixed by the first orders import.
  std::string currency = workspace_currency(ws);
  const bool has_orders = ws.columnar_rows("orders") > 0;
  const std::string wanted = !req.currency.empty() ? req.currency : preset.currency;
  if (!wanted.empty() && wanted != currency) {
    if (has_orders || ws.meta("currency"))
      throw Error(ErrorCode::usage,
                  fmt::format("the file's currency {} differs from the workspace's {}", wanted, currency),
                  req.file.string(), "use one workspace per currency");
    currency = wanted;
    ws.set_meta("currency", currency);
  }

  io::OrderImportOptions opt;
  opt.preset = preset;
  opt.map = req.map;
  opt.on_error = req.on_error;
  opt.minor_digits = currency_digits(currency);
  opt.currency = currency;
  if (!req.encoding.empty()) opt.preset.csv.encoding = req.encoding;
  opt.today = today();
  if (!req.date_format.empty()) {
    auto f = io::parse_date_format(req.date_format);
    if (!f)
      throw Error(ErrorCode::usage, fmt::format("unknown date format '{}'", req.date_format), {},
                  "use one of auto, iso, yyyymmdd, ymd, mdy, dmy");
    opt.preset.date_format = *f;
  }
  // Progress in permille of the file's bytes, with rows read beside it.
  Progress progress("importing " + req.file.filename().string(), 1000);
  opt.progress = [&](uint64_t done, uint64_t total, uint64_t rows) {
    progress.update(total ? done * 1000 / total : 0, rows);
  };

  store::ImportRecord rec;
  rec.kind = "orders";
  rec.file = req.file.string();
  rec.checksum = checksum;
  rec.preset = preset.name;
  rec.id = ws.add_import(rec);

  // The workspace's customers keep their keys: both readers start from the stored dictionary.
  const auto stored_ids = load_customer_ids(ws);
  features::CustomerTable table;
  for (const auto& id : stored_ids) table.intern(id, XXH3_64bits(id.data(), id.size()));
  const bool had_orders = ws.columnar_rows("orders") > 0;

  RejectsFile rejects(req.rejects_file);
  io::OrderImportStats st;
  std::vector<std::string_view> new_ids;
  io::Dictionary dict;
  auto fast = fast_import_orders(ws, rec.id, req.file, opt.preset, req.map, currency, opt.today, table);
  if (fast) {
    st = fast->stats;
    for (size_t k = stored_ids.size(); k < table.size(); ++k) new_ids.push_back(table.id(static_cast<uint32_t>(k)));
  } else {
    for (const auto& id : stored_ids) dict.intern(id);
    dict.stored = dict.size();
    st = io::import_orders(
        req.file, opt, dict, [&](io::OrderBatch& b) { ws.append_chunk("orders", rec.id, order_chunk(b)); },
        [&](const io::Reject& r) { rejects.add(r); });
    for (size_t k = dict.stored; k < dict.size(); ++k) new_ids.push_back(dict.id(k));
  }
  progress.finish();

  if (!new_ids.empty()) {
    StringColumn ids;
    for (auto id : new_ids) ids.push_back(id);
    store::Chunk c;
    c.columns.push_back({"customer_id", std::move(ids)});
    ws.append_chunk("customer_ids", 0, c);  // dictionary chunks outlive the import that added them
  }
  // Per-customer features over every stored order: straight from the fast reader's table when this file holds
  // all of them, else recomputed from the stored chunks.
  store_customer_features(ws, fast && !had_orders ? &table : nullptr, fast && fast->in_date_order,
                          fast ? fast->max_day : 0, size_t{1} << 30);

  ImportOutcome out;
  out.facts.push_back(fmt::format("{} rows read, {} kept, {} rejected", format_count(st.rows_read),
                                  format_count(st.rows_kept), format_count(st.rows_rejected)));
  for (const auto& [reason, n] : st.rows_excluded)
    out.facts.push_back(fmt::format("{} rows excluded: {}", format_count(n), reason));
  // "orders" means purchase orders everywhere (the overview too); returns are counted beside them.
  out.facts.push_back(fmt::format("{} orders and {} returns ({} of them without a customer)",
                                  format_count(st.purchase_orders), format_count(st.return_orders),
                                  format_count(st.guest_orders)));
  out.facts.push_back(fmt::format("{} customers ({} new)", format_count(stored_ids.size() + new_ids.size()),
                                  format_count(st.new_customers)));
  out.facts.push_back(fmt::format("net revenue {} (gross {}, returns {})", format_money(st.net_revenue, currency),
                                  format_money(st.gross_revenue, currency),
                                  format_money(st.returned_amount, currency)));
  out.facts.push_back(fmt::format("dates {} to {}", format_date(st.first_day), format_date(st.last_day)));
  if (st.refunds)
    out.facts.push_back(fmt::format("{} refunds recorded as returns on their order's date", format_count(st.refunds)));
  if (st.zero_amount_orders)
    out.facts.push_back(fmt::format("{} zero-amount orders kept as purchases", format_count(st.zero_amount_orders)));
  out.warnings = st.warnings;
  out.rejected = st.rows_rejected;
  if (st.rows_rejected)
    out.warnings.push_back(fmt::format("{} rows rejected: see {}", st.rows_rejected, req.rejects_file.string()));

  rec.mapping = mapping_text(st.mapping);
  rec.rows_read = static_cast<int64_t>(st.rows_read);
  rec.rows_kept = static_cast<int64_t>(st.rows_kept);
  rec.rows_rejected = static_cast<int64_t>(st.rows_rejected);
  rec.summary = fmt::format("{}", fmt::join(out.facts, "\n"));
  for (const auto& w : out.warnings) rec.summary += "\nwarning: " + w;
  ws.update_import(rec);
  out.record = rec;
  rejects.publish();
  return out;
}

ImportOutcome import_customers_file(store::Workspace& ws, const ImportRequest& req, const io::Preset& preset) {
  io::CsvOptions csv = preset.csv;
  if (!req.encoding.empty()) csv.encoding = req.encoding;
  const auto records = io::open_records(req.file, csv);
  io::RecordReader& reader = *records;
  const auto& header = reader.header();
  const auto cols = io::resolve_columns(header, preset, req.map, {"customer_id"}, req.file.string(),
                                        reader.delimiter());
  const size_t c_id = cols.at("customer_id");

  // One customers table at a time: a new customers import replaces the previous one.
  for (const auto& r : ws.imports())
    if (r.kind == "customers") ws.delete_import(r.id);
  ws.drop_columnar("customers");

  store::ImportRecord rec;
  rec.kind = "customers";
  rec.file = req.file.string();
  rec.checksum = store::file_checksum(req.file);
  rec.preset = preset.name;
  rec.mapping = "customer_id=" + header[c_id];
  rec.id = ws.add_import(rec);

  io::Dictionary dict;
  for (auto& id : load_customer_ids(ws)) dict.intern(id);
  dict.stored = dict.size();

  std::vector<uint32_t> keys;
  std::vector<StringColumn> attrs(header.size());
  std::unordered_map<uint32_t, int> seen;
  uint64_t duplicates = 0, rows = 0, rejected = 0;
  RejectsFile rejects(req.rejects_file);
  io::Record r;
  while (reader.next(r)) {
    ++rows;
    auto bad = [&](const std::string& why, const std::string& loc) {
      if (req.on_error == io::OnError::fail)
        throw Error(ErrorCode::input, why, loc, "fix the row or skip bad rows with --on-error skip");
      ++rejected;
      rejects.add({r.line, why, ""});
    };
    if (r.fields.size() != header.size()) {
      bad(fmt::format("the row has {} fields but the header has {}", r.fields.size(), header.size()),
          fmt::format("{}:{}", req.file.string(), r.line));
      continue;
    }
    const auto id = io::normalise_id(r.fields[c_id], preset.strip_decimal_zero);
    if (id.empty()) {
      bad("empty customer ID", fmt::format("{}:{}:{}", req.file.string(), r.line, c_id + 1));
      continue;
    }
    const uint32_t key = dict.intern(id);
    if (seen[key]++ > 0) ++duplicates;
    keys.push_back(key);
    for (size_t i = 0; i < header.size(); ++i) attrs[i].push_back(r.fields[i]);
  }
  if (rows == 0) throw Error(ErrorCode::input, "the file has a header but no data rows", req.file.string(), "");

  store::Chunk c;
  c.columns.push_back({"customer", keys});
  for (size_t i = 0; i < header.size(); ++i)
    if (i != c_id) c.columns.push_back({header[i], std::move(attrs[i])});
  ws.append_chunk("customers", rec.id, c);
  if (dict.size() > dict.stored) {
    StringColumn ids;
    for (size_t i = dict.stored; i < dict.size(); ++i) ids.push_back(dict.id(i));
    store::Chunk d;
    d.columns.push_back({"customer_id", std::move(ids)});
    ws.append_chunk("customer_ids", 0, d);
  }

  ImportOutcome out;
  out.facts.push_back(fmt::format("{} customers read with {} attributes", format_count(static_cast<int64_t>(rows)),
                                  header.size() - 1));
  out.facts.push_back(fmt::format("{} customers not seen in orders", dict.size() - dict.stored));
  if (duplicates) out.warnings.push_back(fmt::format("{} rows repeat an earlier customer ID; all kept", duplicates));
  if (rejected) out.warnings.push_back(fmt::format("{} rows rejected: see {}", rejected, req.rejects_file.string()));
  out.rejected = rejected;
  rec.rows_read = static_cast<int64_t>(rows);
  rec.rows_kept = static_cast<int64_t>(rows - rejected);
  rec.rows_rejected = static_cast<int64_t>(rejected);
  rec.summary = fmt::format("{}", fmt::join(out.facts, "\n"));
  ws.update_import(rec);
  out.record = rec;
  rejects.publish();
  return out;
}

}  // namespace

std::string workspace_currency(store::Workspace& ws) { return ws.meta("currency").value_or("USD"); }

ImportOutcome import_file(store::Workspace& ws, const ImportRequest& req) {
  if (req.kind != "orders" && req.kind != "customers")
    throw Error(ErrorCode::usage, fmt::format("cannot import '{}'", req.kind), {}, "import orders or customers");
  io::Preset preset;
  if (!req.preset.empty()) preset = io::find_preset(req.preset);
  if (!req.preset.empty() && preset.kind != req.kind)
    throw Error(ErrorCode::usage, fmt::format("preset '{}' is for {}, not {}", preset.name, preset.kind, req.kind),
                {}, "choose a preset of the right kind");
  const std::string checksum = store::file_checksum(req.file);
  store::Workspace::Transaction tx(ws);
  check_not_imported(ws, req, checksum);
  ImportOutcome out = req.kind == "orders" ? import_orders_file(ws, req, preset, checksum)
                                           : import_customers_file(ws, req, preset);
  tx.commit();
  return out;
}

OrdersTable load_orders(store::Workspace& ws) {
  OrdersTable t;
  const auto n = static_cast<size_t>(ws.columnar_rows("orders"));
  t.customer.reserve(n);
  t.day.reserve(n);
  t.amount.reserve(n);
  ws.scan("orders", [&](const store::Chunk& c) {
    const auto& cu = c.as<std::vector<uint32_t>>("customer");
    const auto& d = c.as<std::vector<int32_t>>("day");
    const auto& a = c.as<std::vector<int64_t>>("amount");
    t.customer.insert(t.customer.end(), cu.begin(), cu.end());
    t.day.insert(t.day.end(), d.begin(), d.end());
    t.amount.insert(t.amount.end(), a.begin(), a.end());
  });
  return t;
}

std::vector<std::string> load_customer_ids(store::Workspace& ws) {
  std::vector<std::string> ids;
  ws.scan("customer_ids", [&](const store::Chunk& c) {
    const auto& s = c.as<StringColumn>("customer_id");
    for (size_t i = 0; i < s.size(); ++i) ids.emplace_back(s[i]);
  });
  return ids;
}

}  // namespace koko::ingest
