#include "koko/ingest/features_file.hpp"

#include <fmt/format.h>
#include <xxhash.h>

#include <cstdio>
#include <fstream>
#include <ostream>
#include <thread>

#include "koko/core/cores.hpp"
#include "koko/core/error.hpp"
#include "koko/core/money.hpp"
#include "koko/core/output_file.hpp"
#include "koko/core/progress.hpp"
#include "koko/ingest/ingest.hpp"
#include "koko/io/encoding.hpp"
#include "koko/io/fast_orders.hpp"
#include "koko/store/workspace.hpp"

namespace koko::ingest {

namespace {

using features::CustomerAgg;
using features::CustomerTable;

bool fast_path_allowed(const FeaturesRequest& req) {
  const io::Preset& p = req.preset;
  return !req.force_general && !p.line_items && p.exclude_prefixes.empty() && p.return_prefix.empty() &&
         !p.strip_decimal_zero && !p.exclude_guest_negative_quantity && p.csv.layout != io::Layout::whitespace &&
         (p.csv.encoding.empty() || io::is_utf8_name(p.csv.encoding)) &&
         (p.date_format == io::DateFormat::auto_detect || p.date_format == io::DateFormat::iso) &&
         !p.columns.contains("quantity") && !p.columns.contains("unit_price") && !req.map.contains("quantity") &&
         !req.map.contains("unit_price");
}

// The (key, day) pairs of purchases, kept for an exact recount of purchase days when the input is not in date
// order. They are kept from the start for the first block; if that block is already out of order (a shuffled
// file), the rest goes to an unlinked temporary file, read back once per bitmap partition instead of parsing and
// hashing the input again.
class PairSpill {
 public:
  ~PairSpill() {
    if (f_) std::fclose(f_);
  }
  [[nodiscard]] bool active() const { return f_ != nullptr; }
  void keep(uint32_t key, Day d) {
    buf_.push_back(uint64_t{key} << 32 | static_cast<uint32_t>(d));
    if (f_ && buf_.size() >= (1 << 16)) flush();
  }
  // After the first block: spill when it was out of order, else forget the pairs (and keep no more).
  void decide(bool out_of_order) {
    decided_ = true;
    if (out_of_order) {
      f_ = std::tmpfile();
      if (!f_) throw Error(ErrorCode::internal, "cannot create a temporary file", {}, "check TMPDIR and disk space");
      flush();
    } else {
      buf_ = {};
    }
  }
  [[nodiscard]] bool deciding() const { return !decided_; }
  template <typename F>
  void replay(F&& f) {
    flush();
    std::rewind(f_);
    std::vector<uint64_t> chunk(1 << 16);
    size_t n;
    while ((n = std::fread(chunk.data(), sizeof(uint64_t), chunk.size(), f_)) > 0)
      for (size_t i = 0; i < n; ++i) f(static_cast<uint32_t>(chunk[i] >> 32), static_cast<Day>(chunk[i] & 0xFFFFFFFFu));
  }

 private:
  void flush() {
    if (!buf_.empty() && std::fwrite(buf_.data(), sizeof(uint64_t), buf_.size(), f_) != buf_.size())
      throw Error(ErrorCode::input, "cannot write the temporary file (disk full?)", {}, "free space in TMPDIR");
    buf_.clear();
  }
  std::FILE* f_ = nullptr;
  std::vector<uint64_t> buf_;
  bool decided_ = false;
};

// Adds a batch's orders to the table; lookups run a few rows ahead of the updates so that cache misses overlap.
void absorb(const io::FastBatch& b, CustomerTable& t, Day as_of, FeaturesResult& res, Day& max_day, PairSpill& spill) {
  const size_t n = b.size();
  const bool keep = spill.deciding() || spill.active();
  // Two stages in flight: the hash slot 16 rows ahead, then the customer's line 8 ahead.
  constexpr size_t kAhead = 16;
  for (size_t i = 0; i < std::min(n, kAhead); ++i) t.prefetch_slot(b.hash[i]);
  for (size_t i = 0; i < n; ++i) {
    if (i + kAhead < n) t.prefetch_slot(b.hash[i + kAhead]);
    if (i + kAhead / 2 < n) t.prefetch_candidate(b.hash[i + kAhead / 2]);
    const Day d = b.day[i];
    if (d > as_of) continue;
    max_day = std::max(max_day, d);
    if (b.id_length[i] == 0) continue;  // a guest order: in totals elsewhere, never a customer
    const uint32_t key = t.intern(b.id(i), b.hash[i]);
    if (!t.add(key, d, b.amount[i])) res.in_date_order = false;
    if (keep && b.amount[i] >= 0) spill.keep(key, d);
  }
  if (spill.deciding()) spill.decide(!res.in_date_order);
}

void recount_days_fast(const FeaturesRequest& req, const io::FastHeader& h, const io::FastColumns& cols,
                       const io::FastOptions& opt, FeaturesResult& res, Day as_of, PairSpill& spill) {
  CustomerTable& t = res.table;
  const size_t customers = t.size();
  Day lo = INT32_MAX, hi = INT32_MIN;
  for (uint32_t k = 0; k < customers; ++k)
    if (const auto& a = t.agg(k); a.flags & features::kHasPurchase) {
      lo = std::min(lo, a.first);
      hi = std::max(hi, a.last);
    }
  if (hi < lo) return;
  // What the table already holds stays; the bitmaps get the rest of the memory limit (at least 64 MiB).
  // Reading holds three 16 MiB blocks and their parsed rows (~40 MiB each) besides the table.
  const size_t used = t.memory_bytes() + (160 << 20);
  const size_t budget = req.memory_limit > used + (64 << 20) ? req.memory_limit - used : (64 << 20);
  features::PurchaseDayBits bits(lo, hi, customers, budget);
  for (size_t p = 0; p < bits.partitions(); ++p) {
    bits.start(p);
    if (spill.active()) {
      spill.replay([&](uint32_t key, Day d) { bits.add(key, d); });
    } else {
      io::scan_fast(req.file, h, cols, opt, [&](const io::FastBatch& b) {
        for (size_t i = 0; i < b.size(); ++i) {
          if (b.id_length[i] == 0 || b.amount[i] < 0 || b.day[i] > as_of) continue;
          bits.add(t.intern(b.id(i), b.hash[i]), b.day[i]);
        }
      });
    }
    bits.finish([&](uint32_t k, uint32_t n) { t.agg(k).purchase_days = n; });
  }
}

bool try_fast(const FeaturesRequest& req, FeaturesResult& res) {
  if (!fast_path_allowed(req)) {
    res.general_reason = "the preset needs the general reader";
    return false;
  }
  try {
    const io::FastHeader h = io::read_fast_header(req.file);
    if (req.preset.csv.delimiter != 0 && req.preset.csv.delimiter != h.delimiter)
      throw io::NeedsGeneralPath{"the preset names another delimiter"};
    const auto cols_map = io::resolve_columns(h.names, req.preset, req.map, {"customer_id", "order_date", "amount"},
                                              req.file.string(), h.delimiter);
    io::FastColumns cols{cols_map.at("customer_id"), cols_map.at("order_date"), cols_map.at("amount"), h.names.size(),
                         h.delimiter};
    io::FastOptions opt;
    opt.minor_digits = res.minor_digits;
    opt.yen = req.currency == "JPY";
    Progress progress("reading " + req.file.filename().string(), 1000);
    opt.progress = [&](uint64_t done, uint64_t total, uint64_t rows) {
      progress.update(total ? done * 1000 / total : 0, rows);
    };
    const Day as_of_limit = req.as_of.value_or(INT32_MAX);
    Day max_day = INT32_MIN;
    PairSpill spill;
    res.rows = io::scan_fast(req.file, h, cols, opt, [&](const io::FastBatch& b) {
      absorb(b, res.table, as_of_limit, res, max_day, spill);
    });
    progress.finish();
    res.as_of = req.as_of.value_or(max_day);
    opt.progress = nullptr;
    if (!res.in_date_order) recount_days_fast(req, h, cols, opt, res, as_of_limit, spill);
    res.fast_path = true;
    return true;
  } catch (const io::NeedsGeneralPath& e) {
    res.general_reason = e.reason;
    return false;
  }
}

void run_general(const FeaturesRequest& req, FeaturesResult& res) {
  io::OrderImportOptions opt;
  opt.preset = req.preset;
  opt.map = req.map;
  opt.minor_digits = res.minor_digits;
  opt.currency = req.currency;
  opt.today = INT32_MAX;
  io::Dictionary dict;
  std::vector<uint32_t> keys;
  std::vector<Day> days;
  std::vector<int64_t> amounts;
  std::vector<uint32_t> table_key;  // dictionary key → table key
  const Day as_of_limit = req.as_of.value_or(INT32_MAX);
  Day max_day = INT32_MIN;
  const auto st = io::import_orders(
      req.file, opt, dict,
      [&](io::OrderBatch& b) {
        for (size_t i = 0; i < b.size(); ++i) {
          if (b.day[i] > as_of_limit) continue;
          max_day = std::max(max_day, b.day[i]);
          if (b.customer[i] == io::kGuest) continue;
          while (table_key.size() < dict.size()) {
            const auto id = dict.id(table_key.size());
            table_key.push_back(res.table.intern(id, XXH3_64bits(id.data(), id.size())));
          }
          const uint32_t key = table_key[b.customer[i]];
          if (!res.table.add(key, b.day[i], b.amount[i])) res.in_date_order = false;
          keys.push_back(key);
          days.push_back(b.day[i]);
          amounts.push_back(b.amount[i]);
        }
      },
      [](const io::Reject&) {});
  res.rows = st.rows_read;
  res.as_of = req.as_of.value_or(max_day);
  if (!res.in_date_order) {
    std::vector<CustomerAgg> aggs(res.table.size());
    for (uint32_t k = 0; k < aggs.size(); ++k) aggs[k] = res.table.agg(k);
    features::count_purchase_days(keys, days, amounts, aggs, req.memory_limit / 2);
    for (uint32_t k = 0; k < aggs.size(); ++k) res.table.agg(k).purchase_days = aggs[k].purchase_days;
  }
}

}  // namespace

FeaturesResult features_from_file(const FeaturesRequest& req) {
  FeaturesResult res;
  res.minor_digits = currency_digits(req.currency);
  if (!try_fast(req, res)) {
    const std::string reason = res.general_reason;
    res = FeaturesResult{};
    res.minor_digits = currency_digits(req.currency);
    res.general_reason = reason;
    detail(fmt::format("general reader: {}", reason));
    run_general(req, res);
  }
  for (uint32_t k = 0; k < res.table.size(); ++k)
    res.customers += (res.table.agg(k).flags & features::kHasPurchase) ? 1 : 0;
  if (res.customers == 0)
    throw Error(ErrorCode::input, "no customer has a purchase in the file", req.file.string(),
                "check the customer_id and amount columns (--map)");
  return res;
}

void write_features_csv(const FeaturesResult& r, const features::SegmentRules& rules, const std::string& out) {
  const size_t n = r.table.size();
  auto agg_of = [&](uint32_t k) -> const CustomerAgg& { return r.table.agg(k); };
  auto id_of = [&](uint32_t k) { return r.table.id(k); };
  OutputFile file(out);
  std::string buf(features::csv_header());
  constexpr size_t kStep = 1 << 16;
  for (size_t b = 0; b < n; b += kStep) {
    features::format_rows(agg_of, id_of, b, std::min(n, b + kStep), r.as_of, r.minor_digits, rules, buf);
    file.write(buf);
    buf.clear();
  }
  file.commit();
}

}  // namespace koko::ingest

namespace koko::ingest {

namespace {
bool fast_import_allowed(const io::Preset& p, const std::map<std::string, std::string>& map) {
  FeaturesRequest probe;
  probe.preset = p;
  probe.map = map;
  return fast_path_allowed(probe) && !p.columns.contains("order_id") && !map.contains("order_id") &&
         !p.columns.contains("refund");
}

store::Chunk fast_chunk(std::vector<uint32_t>& c, std::vector<Day>& d, std::vector<int64_t>& a) {
  store::Chunk chunk;
  chunk.columns.push_back({"customer", std::move(c)});
  chunk.columns.push_back({"day", std::move(d)});
  chunk.columns.push_back({"amount", std::move(a)});
  c = {};
  d = {};
  a = {};
  return chunk;
}
}  // namespace

std::optional<FastImport> fast_import_orders(store::Workspace& ws, int64_t import_id, const std::filesystem::path& file,
                                             const io::Preset& preset, const std::map<std::string, std::string>& map,
                                             const std::string& currency, Day today, features::CustomerTable& table) {
  if (!fast_import_allowed(preset, map)) return std::nullopt;
  FastImport out;
  io::OrderImportStats& st = out.stats;
  io::FastHeader h;
  std::map<std::string, size_t> cols_map;
  try {
    h = io::read_fast_header(file);
    if (preset.csv.delimiter != 0 && preset.csv.delimiter != h.delimiter) return std::nullopt;
    // The general reader would take an order_id column when the file has one: leave such files to it.
    cols_map = io::resolve_columns(h.names, preset, map, {"customer_id", "order_date", "amount"}, file.string(),
                                   h.delimiter);
  } catch (const io::NeedsGeneralPath&) {
    return std::nullopt;
  }
  if (cols_map.contains("order_id") || cols_map.contains("quantity") || cols_map.contains("unit_price"))
    return std::nullopt;
  for (const auto& [field, idx] : cols_map) st.mapping[field] = h.names[idx];
  const io::FastColumns cols{cols_map.at("customer_id"), cols_map.at("order_date"), cols_map.at("amount"),
                             h.names.size(), h.delimiter};
  io::FastOptions opt;
  opt.minor_digits = currency_digits(currency);
  opt.yen = currency == "JPY";
  Progress progress("importing " + file.filename().string(), 1000);
  opt.progress = [&](uint64_t done, uint64_t total, uint64_t rows) {
    progress.update(total ? done * 1000 / total : 0, rows);
  };

  const size_t stored = table.size();
  constexpr size_t kChunk = 1 << 20;
  std::vector<uint32_t> ck;
  std::vector<Day> cd;
  std::vector<int64_t> ca;
  bool first = true;
  ws.exec("SAVEPOINT fast_import");
  try {
    st.rows_read = io::scan_fast(file, h, cols, opt, [&](const io::FastBatch& b) {
      const size_t n = b.size();
      constexpr size_t kAhead = 16;
      for (size_t i = 0; i < std::min(n, kAhead); ++i) table.prefetch_slot(b.hash[i]);
      for (size_t i = 0; i < n; ++i) {
        if (i + kAhead < n) table.prefetch_slot(b.hash[i + kAhead]);
        if (i + kAhead / 2 < n) table.prefetch_candidate(b.hash[i + kAhead / 2]);
        const Day d = b.day[i];
        const int64_t amount = b.amount[i];
        uint32_t key = io::kGuest;
        if (b.id_length[i] == 0) {
          ++st.guest_orders;
          ++st.guest_rows;
        } else {
          key = table.intern(b.id(i), b.hash[i]);
          if (!table.add(key, d, amount)) out.in_date_order = false;
        }
        if (amount < 0) {
          ++st.return_orders;
          st.returned_amount += amount;
        } else {
          ++st.purchase_orders;
          st.gross_revenue += amount;
          st.zero_amount_orders += amount == 0;
        }
        if (first || d < st.first_day) st.first_day = d;
        if (first || d > st.last_day) st.last_day = d;
        first = false;
        st.future_orders += d > today;
        ck.push_back(key);
        cd.push_back(d);
        ca.push_back(amount);
        if (ck.size() == kChunk) ws.append_chunk("orders", import_id, fast_chunk(ck, cd, ca));
      }
    });
    if (!ck.empty()) ws.append_chunk("orders", import_id, fast_chunk(ck, cd, ca));
  } catch (const io::NeedsGeneralPath&) {
    ws.exec("ROLLBACK TO fast_import; RELEASE fast_import");
    // Forget the customers this attempt added: the general reader starts from the stored dictionary.
    features::CustomerTable fresh;
    for (uint32_t k = 0; k < stored; ++k) {
      const auto id = table.id(k);
      fresh.intern(id, XXH3_64bits(id.data(), id.size()));
    }
    table = std::move(fresh);
    return std::nullopt;
  }
  ws.exec("RELEASE fast_import");
  progress.finish();
  if (st.rows_read == 0)
    throw Error(ErrorCode::input, "the file has a header but no data rows", file.string(), "export the data again");
  st.rows_kept = st.rows_read;
  st.orders = st.rows_read;
  st.net_revenue = st.gross_revenue + st.returned_amount;
  st.new_customers = table.size() - stored;
  io::PaddingWatch padding;
  for (size_t k = stored; k < table.size(); ++k) padding.see(table.id(static_cast<uint32_t>(k)));
  io::add_import_warnings(st, padding, false, today);
  out.max_day = st.last_day;
  return out;
}

std::vector<CustomerAgg> features_from_store(store::Workspace& ws, std::optional<Day> as_of, size_t memory_limit,
                                             Day& as_of_used) {
  const auto n = static_cast<size_t>(ws.columnar_rows("customer_ids"));
  features::KeyedAggregator agg(n, as_of.value_or(INT32_MAX), usable_cores());
  ws.scan_ahead("orders", [&](const store::Chunk& c) {
    agg.add(c.as<std::vector<uint32_t>>("customer"), c.as<std::vector<int32_t>>("day"),
            c.as<std::vector<int64_t>>("amount"));
  });
  as_of_used = as_of.value_or(agg.max_day());
  auto& aggs = agg.aggs();
  if (!agg.in_date_order()) {
    Day lo = INT32_MAX, hi = INT32_MIN;
    for (const auto& a : aggs)
      if (a.flags & features::kHasPurchase) {
        lo = std::min(lo, a.first);
        hi = std::max(hi, a.last);
      }
    features::PurchaseDayBits bits(lo, hi, n, memory_limit > n * 40 ? memory_limit - n * 40 : (64 << 20));
    for (size_t p = 0; p < bits.partitions(); ++p) {
      bits.start(p);
      ws.scan("orders", [&](const store::Chunk& c) {
        const auto& key = c.as<std::vector<uint32_t>>("customer");
        const auto& day = c.as<std::vector<int32_t>>("day");
        const auto& amount = c.as<std::vector<int64_t>>("amount");
        for (size_t i = 0; i < key.size(); ++i)
          if (key[i] != io::kGuest && amount[i] >= 0 && day[i] <= as_of_used) bits.add(key[i], day[i]);
      });
      bits.finish([&](uint32_t k, uint32_t c) { aggs[k].purchase_days = c; });
    }
  }
  return std::move(aggs);
}

void store_customer_features(store::Workspace& ws, features::CustomerTable* table, bool in_date_order, Day max_day,
                             size_t memory_limit) {
  std::vector<CustomerAgg> aggs;
  Day as_of = max_day;
  if (table && in_date_order) {
    aggs.resize(table->size());
    for (uint32_t k = 0; k < aggs.size(); ++k) aggs[k] = table->agg(k);
  } else {
    aggs = features_from_store(ws, std::nullopt, memory_limit, as_of);
  }
  std::vector<uint32_t> key;
  std::vector<Day> first, last;
  std::vector<uint32_t> purchase_days, orders_n;
  std::vector<int64_t> net;
  for (uint32_t k = 0; k < aggs.size(); ++k) {
    const auto& a = aggs[k];
    if (!(a.flags & features::kHasPurchase)) continue;
    key.push_back(k);
    first.push_back(a.first);
    last.push_back(a.last);
    purchase_days.push_back(a.purchase_days);
    orders_n.push_back(a.orders);
    net.push_back(a.net);
  }
  ws.drop_columnar("customer_features");
  store::Chunk c;
  c.columns.push_back({"customer", std::move(key)});
  c.columns.push_back({"first_day", std::move(first)});
  c.columns.push_back({"last_day", std::move(last)});
  c.columns.push_back({"purchase_days", std::move(purchase_days)});
  c.columns.push_back({"orders", std::move(orders_n)});
  c.columns.push_back({"net", std::move(net)});
  ws.append_chunk("customer_features", 0, c);
  ws.set_meta("features_as_of", format_date(as_of));
}

void export_customer_features(store::Workspace& ws, const features::SegmentRules& rules, std::ostream& out) {
  const auto ids = load_customer_ids(ws);
  const int digits = currency_digits(workspace_currency(ws));
  const auto as_of = parse_iso_date(ws.meta("features_as_of").value_or(""));
  if (!as_of)
    throw Error(ErrorCode::not_found, "the workspace has no customer features", ws.path().string(),
                "import orders first");
  out << features::csv_header();
  std::string buf;
  ws.scan("customer_features", [&](const store::Chunk& c) {
    const auto& key = c.as<std::vector<uint32_t>>("customer");
    const auto& first = c.as<std::vector<int32_t>>("first_day");
    const auto& last = c.as<std::vector<int32_t>>("last_day");
    const auto& pd = c.as<std::vector<uint32_t>>("purchase_days");
    const auto& on = c.as<std::vector<uint32_t>>("orders");
    const auto& net = c.as<std::vector<int64_t>>("net");
    CustomerAgg a;
    auto agg_of = [&](uint32_t i) -> const CustomerAgg& {
      a.first = first[i];
      a.last = last[i];
      a.purchase_days = pd[i];
      a.orders = on[i];
      a.net = net[i];
      a.flags = features::kHasPurchase;
      return a;
    };
    auto id_of = [&](uint32_t i) { return std::string_view(ids.at(key[i])); };
    for (size_t b = 0; b < key.size(); b += 1 << 16) {
      buf.clear();
      features::format_rows(agg_of, id_of, b, std::min(key.size(), b + (1 << 16)), *as_of, digits, rules, buf);
      out << buf;
    }
  });
}

}  // namespace koko::ingest
