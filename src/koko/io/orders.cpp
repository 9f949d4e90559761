#include "koko/io/orders.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_set>

#include "koko/core/error.hpp"
#include "koko/core/money.hpp"
#include "koko/io/encoding.hpp"

namespace koko::io {

namespace {

// Common column names per field, compared case-insensitively with '_', '-' and spaces removed.
const std::map<std::string, std::vector<std::string>>& aliases() {
  static const std::map<std::string, std::vector<std::string>> a = {
      {"customer_id", {"customerid", "customer", "customerno", "customernumber", "clientid", "userid", "memberid",
                       "buyerid", "顧客id", "会員id", "顧客番号", "会員番号"}},
      {"order_date", {"orderdate", "date", "invoicedate", "purchasedate", "orderedat", "createdat", "注文日",
                      "購入日", "受注日"}},
      {"amount", {"amount", "total", "ordertotal", "revenue", "sales", "value", "dollarvalue", "金額", "合計金額",
                  "購入金額"}},
      {"order_id", {"orderid", "invoiceno", "invoice", "ordernumber", "orderno", "注文番号", "受注番号"}},
      {"quantity", {"quantity", "qty", "数量"}},
      {"unit_price", {"unitprice", "price", "単価"}},
      {"refund", {}},  // only when named: a refund column is never guessed
  };
  return a;
}

std::string fold(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '_' || c == '-' || c == ' ') continue;
    out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return out;
}

std::string join_fields(const Record& r, char delim) {
  std::string out;
  for (size_t i = 0; i < r.fields.size(); ++i) {
    if (i) out += delim ? delim : ' ';
    out += r.fields[i];
  }
  return out;
}

bool starts_with_any(std::string_view s, const std::vector<std::string>& prefixes) {
  return std::any_of(prefixes.begin(), prefixes.end(),
                     [&](const std::string& p) { return !p.empty() && s.starts_with(p); });
}

constexpr int64_t kMaxUnits = 1'000'000'000'000;  // 10^12 currency units

int64_t io_pow10(int n) {
  int64_t p = 1;
  while (n-- > 0) p *= 10;
  return p;
}

// A row-level problem: becomes an Error, or a reject with --on-error skip.
struct RowError {
  size_t column;  // 0-based; npos for the whole row
  std::string message;
  std::string hint;
};


}  // namespace

void PaddingWatch::see(std::string_view id) {
  if (id.empty() || !std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; })) return;
  ++numeric;
  if (id.size() > 1 && id[0] == '0') {
    ++padded;
    if (example_padded.empty()) example_padded = id;
  } else if (example_short.empty() || id.size() < example_short.size()) {
    example_short = id;
  }
  min_len = std::min(min_len, id.size());
  max_len = std::max(max_len, id.size());
}

void add_import_warnings(OrderImportStats& st, const PaddingWatch& padding, bool line_items, Day today) {
  if (padding.mixed()) {
    st.mixed_padding_ids = padding.padded;
    st.warnings.push_back(fmt::format(
        "customer IDs mix zero-padded and unpadded numbers ('{}' and '{}'): IDs are kept as text, so '0012' and "
        "'12' are different customers; fix the export or normalise the IDs if they mean the same customer",
        padding.example_padded, padding.example_short));
  }
  if (st.zero_value_returns)
    st.warnings.push_back(fmt::format("{} cancellations were worth nothing and are not counted as orders",
                                      format_count(static_cast<int64_t>(st.zero_value_returns))));
  if (st.regrouped_orders)
    st.warnings.push_back(fmt::format(
        "{} orders had line items apart from the rest of the order (same order ID, customer and day): their lines "
        "were added to the order",
        format_count(static_cast<int64_t>(st.regrouped_orders))));
  if (st.duplicate_order_ids)
    st.warnings.push_back(fmt::format(
        "{} order IDs appear again after other orders{}; each appearance was kept as its own order",
        format_count(static_cast<int64_t>(st.duplicate_order_ids)), line_items ? " (not consecutive line items of one order)" : ""));
  if (st.future_orders)
    st.warnings.push_back(fmt::format("{} orders are dated after today ({}): check the date format or time zone",
                                      format_count(static_cast<int64_t>(st.future_orders)),
                                      format_date(today)));
  if (st.guest_orders)
    st.warnings.push_back(fmt::format("{} orders ({} rows) have no customer ID: they count in totals, not in "
                                      "customer analyses",
                                      format_count(static_cast<int64_t>(st.guest_orders)),
                                      format_count(static_cast<int64_t>(st.guest_rows))));
}

void OrderBatch::clear() {
  customer.clear();
  day.clear();
  amount.clear();
  order_id.clear();
}

std::map<std::string, size_t> resolve_columns(const std::vector<std::string>& header, const Preset& preset,
                                              const std::map<std::string, std::string>& map,
                                              const std::vector<std::string>& required, const std::string& file,
                                              char delimiter) {
  std::map<std::string, size_t> out;
  auto find_exact = [&](const std::string& name) -> std::optional<size_t> {
    for (size_t i = 0; i < header.size(); ++i)
      if (header[i] == name) return i;
    for (size_t i = 0; i < header.size(); ++i)
      if (fold(header[i]) == fold(name)) return i;
    return std::nullopt;
  };
  const std::string header_list = fmt::format("{}", fmt::join(header, " | "));
  // A header read as one column that holds another delimiter: the file is delimited by that one, and no --map
  // can name its columns until it is read with the right delimiter.
  std::string delimiter_hint;
  if (header.size() == 1) {
    auto shown = [](char d) { return d == '\t' ? std::string("\\t") : std::string(1, d); };
    for (char d : {',', ';', '\t'}) {
      if (d == delimiter || header[0].find(d) == std::string::npos) continue;
      delimiter_hint = fmt::format(
          "the file looks '{}'-delimited but was read as {}: set delimiter = \"{}\" under [format] in the preset "
          "(or leave the delimiter out to detect it)\n  ",
          shown(d), delimiter == 0 ? std::string("whitespace-aligned") : "'" + shown(delimiter) + "'-delimited",
          d == '\t' ? std::string("tab") : shown(d));
      break;
    }
  }
  for (const auto& [field, names] : aliases()) {
    std::optional<std::string> named;
    if (auto m = map.find(field); m != map.end()) named = m->second;
    else if (auto p = preset.columns.find(field); p != preset.columns.end()) named = p->second;
    if (named) {
      auto idx = find_exact(*named);
      if (!idx)
        throw Error(ErrorCode::input, fmt::format("column '{}' (for {}) is not in the header", *named, field), file,
                    delimiter_hint + fmt::format("the header is: {}\n  use --map {}=COLUMN with one of these names",
                                                 header_list, field));
      out[field] = *idx;
      continue;
    }
    if (!preset.columns.empty() && std::find(required.begin(), required.end(), field) == required.end())
      continue;  // a preset names every optional column it wants
    for (const auto& alias : names) {
      if (auto idx = find_exact(alias)) {
        out[field] = *idx;
        break;
      }
    }
  }
  for (const auto& field : required) {
    if (out.contains(field)) continue;
    const std::string hint =
        delimiter_hint + fmt::format("the header is: {}\n  name the column with --map {}=COLUMN", header_list, field);
    throw Error(ErrorCode::input, fmt::format("required column '{}' not found", field), file, hint);
  }
  return out;
}

OrderImportStats import_orders(const std::filesystem::path& file, const OrderImportOptions& options,
                               Dictionary& dict, const std::function<void(OrderBatch&)>& sink,
                               const std::function<void(const Reject&)>& on_reject) {
  const Preset& preset = options.preset;
  const auto records = open_records(file, preset.csv);
  RecordReader& reader = *records;
  const std::string fname = file.string();
  const auto& header = reader.header();

  const bool has_amount_map = options.map.contains("amount") || preset.columns.contains("amount");
  std::vector<std::string> required = {"customer_id", "order_date"};
  const bool line_items = preset.line_items;
  const bool use_lines = !has_amount_map && (line_items || preset.columns.contains("unit_price"));
  if (use_lines) {
    required.insert(required.end(), {"quantity", "unit_price"});
  } else {
    required.emplace_back("amount");
  }
  if (line_items) required.emplace_back("order_id");
  auto cols = resolve_columns(header, preset, options.map, required, fname, reader.delimiter());
  if (!use_lines) {
    // quantity × unit_price is used only when there is no amount column.
    cols.erase("quantity");
    cols.erase("unit_price");
  }

  OrderImportStats st;
  for (const auto& [field, idx] : cols) st.mapping[field] = header[idx];
  const size_t c_cust = cols.at("customer_id"), c_date = cols.at("order_date");
  const bool has_order_id = cols.contains("order_id");
  const size_t c_order = has_order_id ? cols.at("order_id") : 0;
  const size_t c_amount = use_lines ? 0 : cols.at("amount");
  const size_t c_qty = use_lines ? cols.at("quantity") : 0, c_price = use_lines ? cols.at("unit_price") : 0;

  const bool first_row_amounts = line_items && preset.order_fields_on_first_row;
  std::string last_order_id;  // the previous row's order ID, for first-row amounts
  const bool has_refund = cols.contains("refund");
  const size_t c_refund = has_refund ? cols.at("refund") : 0;
  const bool yen = options.currency == "JPY";
  auto yen_ok = [&](std::string_view v) { return yen || !has_yen_sign(v); };
  constexpr int kLineScale = 6;  // line amounts are summed exactly in millionths, rounded once per order
  const size_t dict_before = dict.size();
  PaddingWatch padding;
  std::unordered_set<std::string> seen_orders, excluded_orders;
  OrderBatch batch;
  bool first_order = true;

  // The current batch's amounts stay unrounded until the batch is finished: line items of one order are summed
  // exactly, even when an order's lines are not all consecutive.
  std::vector<int64_t> scaled;
  std::vector<uint8_t> is_return_order;
  std::unordered_map<std::string, size_t> in_batch;  // order ID → position in the batch (line items)
  std::unordered_set<std::string> regrouped;         // orders whose lines were apart

  auto finish_batch = [&] {
    size_t kept = 0;  // orders are compacted in place: a cancellation worth nothing is no order
    std::vector<size_t> kept_index;
    for (size_t i = 0; i < scaled.size(); ++i) {
      int64_t amount = use_lines ? round_scaled(scaled[i], kLineScale, options.minor_digits) : scaled[i];
      if (is_return_order[i] && amount > 0) amount = -amount;  // a cancellation written with positive quantities
      if (is_return_order[i] && amount == 0) {
        ++st.zero_value_returns;
        continue;
      }
      const Day day = batch.day[i];
      const uint32_t customer = batch.customer[i];
      batch.customer[kept] = customer;
      batch.day[kept] = day;
      batch.amount.push_back(amount);
      kept_index.push_back(i);
      ++kept;
      ++st.orders;
      if (amount < 0) {
        ++st.return_orders;
        st.returned_amount += amount;
      } else {
        ++st.purchase_orders;
        st.gross_revenue += amount;
        if (amount == 0) ++st.zero_amount_orders;
      }
      st.net_revenue += amount;
      if (customer == kGuest) ++st.guest_orders;
      if (first_order || day < st.first_day) st.first_day = day;
      if (first_order || day > st.last_day) st.last_day = day;
      first_order = false;
      if (day > options.today) ++st.future_orders;
    }
    batch.customer.resize(kept);
    batch.day.resize(kept);
    if (kept != scaled.size()) {
      StringColumn ids;
      for (size_t i : kept_index) ids.push_back(batch.order_id[i]);
      batch.order_id = std::move(ids);
    }
    if (batch.size() > 0) sink(batch);
    batch.clear();
    scaled.clear();
    is_return_order.clear();
    in_batch.clear();
  };

  std::string first_reject;  // for the error when every row is rejected (no rejects file is written then)
  auto fail = [&](const Record& r, const RowError& e) {
    const std::string col =
        e.column == std::string::npos ? "" : fmt::format(":{}", e.column + 1);
    std::string msg = e.message;
    if (e.column != std::string::npos && e.column < header.size())
      msg = fmt::format("column '{}': {}", header[e.column], e.message);
    if (options.on_error == OnError::fail)
      throw Error(ErrorCode::input, msg, fmt::format("{}:{}{}", fname, r.line, col),
                  e.hint + (e.hint.empty() ? "" : "; ") + "or skip bad rows with --on-error skip");
    ++st.rows_rejected;
    if (first_reject.empty()) first_reject = fmt::format("line {}: {}", r.line, msg);
    on_reject(Reject{r.line, msg, join_fields(r, reader.delimiter())});
  };

  Record r;
  const size_t width = header.size();
  while (reader.next(r)) {
    ++st.rows_read;
    if ((st.rows_read & 0xFFFF) == 0 && options.progress)
      options.progress(reader.compressed_bytes_read(), reader.file_size(), st.rows_read);
    if (r.fields.size() != width) {
      fail(r, {std::string::npos,
               fmt::format("the row has {} fields but the header has {}", r.fields.size(), width),
               "check for an unquoted delimiter inside a value, or a missing value"});
      continue;
    }
    const std::string_view order_id = has_order_id ? trim(r.fields[c_order]) : std::string_view();
    if (!order_id.empty() && starts_with_any(order_id, preset.exclude_prefixes)) {
      ++st.rows_excluded[fmt::format("order ID prefix {}", order_id.substr(0, 1))];
      excluded_orders.emplace(order_id);
      continue;
    }
    // Order-level fields on the first row only (Shopify): the order's other rows add nothing.
    if (first_row_amounts && !scaled.empty() && !order_id.empty() && last_order_id == order_id) {
      ++st.rows_kept;
      continue;
    }
    const std::string_view cust = normalise_id(r.fields[c_cust], preset.strip_decimal_zero);
    const auto day = parse_date(r.fields[c_date], preset.date_format, options.utc_offset_minutes);
    if (!day) {
      fail(r, {c_date, fmt::format("'{}' is not a valid date", trim(r.fields[c_date])),
               date_hint(r.fields[c_date], preset.date_format)});
      continue;
    }
    int64_t value = 0;
    bool negative_quantity = false;
    if (use_lines) {
      const auto qty = parse_decimal(nfkc(r.fields[c_qty]));
      if (!yen_ok(r.fields[c_price])) {
        fail(r, {c_price, fmt::format("'{}' is in yen but the workspace currency is {}", trim(r.fields[c_price]),
                                      options.currency),
                 "import into a JPY workspace: koko init --currency JPY, or --currency JPY on the first import"});
        continue;
      }
      const auto price = parse_money(r.fields[c_price], yen);
      if (!qty || qty->scale != 0) {
        fail(r, {c_qty, fmt::format("'{}' is not a whole number", trim(r.fields[c_qty])), "expected e.g. 3 or -1"});
        continue;
      }
      const auto scaled_price = price ? rescale(*price, kLineScale) : std::nullopt;
      if (!scaled_price) {
        fail(r, {c_price, fmt::format("'{}' is not a number", trim(r.fields[c_price])), "expected e.g. 2.55"});
        continue;
      }
      negative_quantity = qty->mantissa < 0;
      if (__builtin_mul_overflow(qty->mantissa, *scaled_price, &value)) {
        fail(r, {c_price, "quantity × unit price is too large", "check the quantity and unit price columns"});
        continue;
      }
    } else {
      if (!yen_ok(r.fields[c_amount])) {
        fail(r, {c_amount, fmt::format("'{}' is in yen but the workspace currency is {}", trim(r.fields[c_amount]),
                                       options.currency),
                 "import into a JPY workspace: koko init --currency JPY, or --currency JPY on the first import"});
        continue;
      }
      const auto amount = parse_money(r.fields[c_amount], yen);
      if (!amount) {
        fail(r, {c_amount, fmt::format("'{}' is not an amount", trim(r.fields[c_amount])),
                 "expected e.g. 1234.50, -12, $1,234.50, ¥1,200 or 1,200円 (one currency sign)"});
        continue;
      }
      // Amounts up to a trillion (10^12) units of any currency; anything larger is a column mix-up.
      if (amount->mantissa / io_pow10(amount->scale) >= kMaxUnits || -amount->mantissa / io_pow10(amount->scale) >= kMaxUnits) {
        fail(r, {c_amount, fmt::format("'{}' is too large for an amount", trim(r.fields[c_amount])),
                 "check that the amount column holds money"});
        continue;
      }
      value = to_minor_units(*amount, options.minor_digits);
    }
    const bool is_return = !preset.return_prefix.empty() && order_id.starts_with(preset.return_prefix);
    if (cust.empty() && negative_quantity && !is_return && preset.exclude_guest_negative_quantity) {
      ++st.rows_excluded["stock adjustment (negative quantity, no customer)"];
      continue;
    }
    ++st.rows_kept;
    uint32_t key = kGuest;
    if (cust.empty()) {
      ++st.guest_rows;
    } else {
      const size_t before = dict.size();
      key = dict.intern(cust);
      if (dict.size() != before) padding.see(cust);
    }
    if (line_items) {
      // The next line of the current order, or a line of an earlier order of this batch (same customer and day).
      size_t pos = SIZE_MAX;
      if (!scaled.empty() && batch.order_id[scaled.size() - 1] == order_id) {
        pos = scaled.size() - 1;
      } else if (auto it = in_batch.find(std::string(order_id)); it != in_batch.end() &&
                 batch.customer[it->second] == key && batch.day[it->second] == *day) {
        pos = it->second;
        regrouped.emplace(order_id);
      }
      if (pos != SIZE_MAX) {
        if (__builtin_add_overflow(scaled[pos], value, &scaled[pos]))
          throw Error(ErrorCode::input, "an order's total is too large", fmt::format("{}:{}", fname, r.line),
                      "check the quantity and unit price columns");
        continue;
      }
    }
    if (scaled.size() >= options.batch_rows) finish_batch();
    if (has_order_id && !order_id.empty() && !seen_orders.emplace(order_id).second) ++st.duplicate_order_ids;
    if (line_items) in_batch.emplace(order_id, scaled.size());
    batch.customer.push_back(key);
    batch.day.push_back(*day);
    batch.order_id.push_back(order_id);
    scaled.push_back(value);
    is_return_order.push_back(is_return ? 1 : 0);
    last_order_id.assign(order_id);
    if (has_refund) {
      // A refund on the order's first row becomes a return dated at the order (the export has no refund date).
      const std::string_view text = trim(r.fields[c_refund]);
      const auto refund = text.empty() ? std::optional<Decimal>(Decimal{}) : parse_money(text, yen);
      if (!refund) {
        fail(r, {c_refund, fmt::format("'{}' is not an amount", text), "expected e.g. 12.50"});
      } else if (refund->mantissa != 0) {
        const int64_t minor = to_minor_units(*refund, options.minor_digits);
        batch.customer.push_back(key);
        batch.day.push_back(*day);
        batch.order_id.push_back(order_id);
        scaled.push_back(use_lines ? -(minor < 0 ? -minor : minor) * io_pow10(kLineScale - options.minor_digits)
                                   : -(minor < 0 ? -minor : minor));
        is_return_order.push_back(1);
        ++st.refunds;
      }
    }
  }
  finish_batch();
  if (options.progress) options.progress(reader.file_size(), reader.file_size(), st.rows_read);

  if (st.rows_read == 0)
    throw Error(ErrorCode::input, "the file has a header but no data rows", fname, "export the data again");
  if (st.orders == 0)
    throw Error(ErrorCode::input, "no orders were kept from the file", fname,
                st.rows_rejected ? fmt::format("every row was rejected, the first at {}; fix the file, the --map "
                                               "or the --date-format (a failed import writes no rejects file)",
                                               first_reject)
                                 : "check the preset's rules");
  st.excluded_orders = excluded_orders.size();
  st.new_customers = dict.size() - dict_before;

  st.regrouped_orders = regrouped.size();
  add_import_warnings(st, padding, line_items, options.today);
  return st;
}

}  // namespace koko::io
