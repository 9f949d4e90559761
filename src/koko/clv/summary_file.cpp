// CLV summary files: read and check every row, store as the columnar table clv_summary, read back.
#include "koko/clv/summary_file.hpp"

#include <fast_float/fast_float.h>
#include <fmt/format.h>

#include <cmath>
#include <optional>
#include <unordered_set>

#include "koko/core/error.hpp"
#include "koko/core/money.hpp"
#include "koko/io/csv.hpp"

namespace koko::clv {

namespace {

constexpr const char* kTable = "clv_summary";

std::optional<double> number(std::string_view f) {
  while (!f.empty() && f.front() == ' ') f.remove_prefix(1);
  while (!f.empty() && f.back() == ' ') f.remove_suffix(1);
  double v = 0;
  const auto r = fast_float::from_chars(f.data(), f.data() + f.size(), v);
  if (f.empty() || r.ec != std::errc() || r.ptr != f.data() + f.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

}  // namespace

SummaryFile read_summary(const std::filesystem::path& file, int unit_days, io::OnError on_error,
                         const std::filesystem::path& rejects_file) {
  if (on_error == io::OnError::skip)
    throw Error(ErrorCode::usage, "a CLV summary import stops at the first bad row", file.string(),
                "drop --on-error skip and fix the row it names");
  static_cast<void>(rejects_file);
  const auto records = io::open_records(file, io::CsvOptions{});
  const auto& h = records->header();
  auto col = [&](std::initializer_list<const char*> names) -> int {
    for (size_t i = 0; i < h.size(); ++i)
      for (const char* n : names)
        if (h[i] == n) return static_cast<int>(i);
    return -1;
  };
  const int cx = col({"x", "frequency"}), ct = col({"t_x", "recency"}), cT = col({"T", "t", "age"});
  const int cm = col({"monetary", "zbar", "monetary_value"}), cid = col({"customer_id", "ID", "id"});
  if (cx < 0 || ct < 0 || cT < 0)
    throw Error(ErrorCode::input,
                fmt::format("a CLV summary needs columns x (or frequency), t_x (or recency) and T; it has {}",
                            fmt::join(h, ", ")),
                file.string(), "rename the columns, e.g. ID,x,t_x,T,zbar");
  SummaryFile out;
  out.has_monetary = cm >= 0;
  Summary& s = out.summary;
  s.unit_days = unit_days;
  std::unordered_set<std::string> seen;
  io::Record rec;
  while (records->next(rec)) {
    ++out.rows;
    auto where = [&](int c) { return fmt::format("{}:{}:{}", file.string(), rec.line, c + 1); };
    if (rec.fields.size() != h.size())
      throw Error(ErrorCode::input,
                  fmt::format("the row has {} fields but the header has {}", rec.fields.size(), h.size()),
                  fmt::format("{}:{}", file.string(), rec.line), "every row needs a value in every column");
    auto num = [&](int c, const char* what) {
      const auto v = number(rec.fields[static_cast<size_t>(c)]);
      if (!v)
        throw Error(ErrorCode::input, fmt::format("{} '{}' is not a number", what, rec.fields[static_cast<size_t>(c)]),
                    where(c), "summaries hold numbers only");
      return *v;
    };
    const double x = num(cx, "x"), t_x = num(ct, "t_x"), T = num(cT, "T");
    if (x < 0 || x != std::floor(x) || x > 1e9)
      throw Error(ErrorCode::input, fmt::format("x = {} is not a count of repeat purchases", x), where(cx),
                  "x is a whole number ≥ 0");
    if (!(T > 0)) throw Error(ErrorCode::input, fmt::format("T = {} must be positive", T), where(cT), "");
    if (t_x < 0 || t_x > T)
      throw Error(ErrorCode::input, fmt::format("t_x = {} is outside [0, T = {}]", t_x, T), where(ct),
                  "t_x is the age at the last purchase: 0 ≤ t_x ≤ T");
    if (x == 0 && t_x != 0)
      throw Error(ErrorCode::input, fmt::format("t_x = {} with no repeat purchase (x = 0)", t_x), where(ct),
                  "a customer without repeat purchases has t_x = 0");
    double m = 0;
    if (cm >= 0 && !rec.fields[static_cast<size_t>(cm)].empty()) m = num(cm, "monetary");
    std::string id = cid >= 0 ? std::string(rec.fields[static_cast<size_t>(cid)]) : std::to_string(out.rows);
    if (id.empty()) throw Error(ErrorCode::input, "empty customer ID", where(cid), "");
    if (!seen.insert(id).second)
      throw Error(ErrorCode::input, fmt::format("customer '{}' appears twice", id), where(cid),
                  "a summary has one row per customer");
    s.customer.push_back(static_cast<uint32_t>(s.customer.size()));
    s.x.push_back(static_cast<int32_t>(x));
    s.t_x.push_back(t_x);
    s.T.push_back(T);
    s.monetary.push_back(m);
    s.x_holdout.push_back(0);
    s.first_day.push_back(0);
    if (x > 0) ++s.repeaters;
    s.repeat_days_total += static_cast<int64_t>(x);
    out.ids.push_back(std::move(id));
  }
  if (s.customer.empty()) throw Error(ErrorCode::input, "the summary has a header but no rows", file.string(), "");
  return out;
}

ingest::ImportOutcome import_summary(store::Workspace& ws, const ingest::ImportRequest& req, const std::string& unit) {
  if (unit != "week" && unit != "day")
    throw Error(ErrorCode::usage, fmt::format("--unit {}", unit), {}, "the summary's time unit: week or day");
  const auto f = read_summary(req.file, unit == "week" ? 7 : 1, req.on_error, req.rejects_file);
  for (const auto& r : ws.imports())
    if (r.kind == "clv-summary") ws.delete_import(r.id);
  ws.drop_columnar(kTable);
  store::ImportRecord rec;
  rec.kind = "clv-summary";
  rec.file = req.file.string();
  rec.checksum = store::file_checksum(req.file);
  rec.mapping = "unit=" + unit;
  rec.id = ws.add_import(rec);
  store::Chunk c;
  StringColumn ids;
  for (const auto& id : f.ids) ids.push_back(id);
  c.columns.push_back({"customer_id", std::move(ids)});
  c.columns.push_back({"x", f.summary.x});
  c.columns.push_back({"t_x", f.summary.t_x});
  c.columns.push_back({"T", f.summary.T});
  c.columns.push_back({"monetary", f.summary.monetary});
  ws.append_chunk(kTable, rec.id, c);
  ws.set_meta("clv_summary_unit", unit);
  ws.set_meta("clv_summary_monetary", f.has_monetary ? "1" : "0");

  ingest::ImportOutcome out;
  const auto& s = f.summary;
  out.facts.push_back(fmt::format("{} customers in {}s, {} with repeat purchases, {} repeat purchases in total",
                                  format_count(static_cast<int64_t>(s.customer.size())), unit,
                                  format_count(s.repeaters), format_count(s.repeat_days_total)));
  out.facts.push_back(f.has_monetary ? "monetary values kept for Gamma-Gamma"
                                     : "no monetary column: CLV in money needs one (purchases and P(alive) only)");
  out.facts.push_back("koko clv fit and koko analyze now fit this summary instead of the orders");
  rec.rows_read = static_cast<int64_t>(f.rows);
  rec.rows_kept = static_cast<int64_t>(f.rows);
  rec.summary = fmt::format("{}", fmt::join(out.facts, "\n"));
  ws.update_import(rec);
  out.record = rec;
  return out;
}

bool has_stored_summary(store::Workspace& ws) { return ws.columnar_rows(kTable) > 0; }

SummaryFile load_stored_summary(store::Workspace& ws) {
  SummaryFile out;
  const std::string unit = ws.meta("clv_summary_unit").value_or("week");
  out.has_monetary = ws.meta("clv_summary_monetary").value_or("0") == "1";
  Summary& s = out.summary;
  s.unit_days = unit == "day" ? 1 : 7;
  ws.scan(kTable, [&](const store::Chunk& c) {
    const auto& ids = c.as<StringColumn>("customer_id");
    const auto& x = c.as<std::vector<int32_t>>("x");
    const auto& t_x = c.as<std::vector<double>>("t_x");
    const auto& T = c.as<std::vector<double>>("T");
    const auto& m = c.as<std::vector<double>>("monetary");
    for (size_t i = 0; i < x.size(); ++i) {
      s.customer.push_back(static_cast<uint32_t>(s.customer.size()));
      s.x.push_back(x[i]);
      s.t_x.push_back(t_x[i]);
      s.T.push_back(T[i]);
      s.monetary.push_back(m[i]);
      s.x_holdout.push_back(0);
      s.first_day.push_back(0);
      if (x[i] > 0) ++s.repeaters;
      s.repeat_days_total += x[i];
      out.ids.emplace_back(ids[i]);
    }
  });
  out.rows = s.customer.size();
  return out;
}

}  // namespace koko::clv
