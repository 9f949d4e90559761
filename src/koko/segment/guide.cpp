// Words for people: segment labels, one-line reasons, N1 interview guides (EN/JA) and the per-segment lists that
// `koko segment --out DIR` writes for a marketing-automation or LINE upload.
#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <map>

#include "koko/core/error.hpp"
#include "koko/core/money.hpp"
#include "koko/ingest/ingest.hpp"
#include "koko/report/report.hpp"
#include "koko/segment/glue.hpp"
#include "koko/segment/internal.hpp"

namespace koko::segment {
namespace detail {

using store::Value;

int64_t as_int(const Value& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) return *i;
  if (const auto* d = std::get_if<double>(&v)) return static_cast<int64_t>(*d);
  return 0;
}
double as_double(const Value& v) {
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  return std::nan("");
}
std::string as_text(const Value& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  return {};
}

const Value& column(const store::ResultTable& t, const std::vector<Value>& row, std::string_view name) {
  static const Value none;
  for (size_t i = 0; i < t.columns.size() && i < row.size(); ++i)
    if (t.columns[i] == name) return row[i];
  return none;
}

const std::vector<std::string>& fact_columns() {
  static const std::vector<std::string> c = {
      "customer_id",    "customer_key",     "segment",       "preference", "nps",         "as_of",
      "first_purchase", "last_purchase",    "purchase_days", "orders",     "net_revenue", "mean_order_value",
      "recency_days",   "active_span_days", "gap_mean_days", "regularity", "core_score"};
  return c;
}

std::vector<Value> fact_values(const CustomerFacts& f) {
  auto maybe = [](double v) {
    Value out;
    if (!std::isnan(v)) out = v;
    return out;
  };
  return {f.customer_id,
          f.key,
          f.segment,
          int64_t{f.preference},
          int64_t{f.nps},
          format_date(f.as_of),
          format_date(f.first_purchase),
          format_date(f.last_purchase),
          f.purchase_days,
          f.orders,
          f.net_revenue,
          f.mean_order_value,
          f.recency_days,
          f.active_span_days,
          maybe(f.gap_mean_days),
          maybe(f.regularity),
          f.core_score};
}

CustomerFacts facts_from_row(const store::ResultTable& t, const std::vector<Value>& row) {
  auto get = [&](std::string_view n) -> const Value& { return column(t, row, n); };
  auto day = [&](std::string_view n) { return parse_iso_date(as_text(get(n))).value_or(0); };
  CustomerFacts f;
  f.customer_id = as_text(get("customer_id"));
  f.key = as_int(get("customer_key"));
  f.segment = as_text(get("segment"));
  f.preference = static_cast<int>(as_int(get("preference")));
  f.nps = static_cast<int>(as_int(get("nps")));
  f.as_of = day("as_of");
  f.first_purchase = day("first_purchase");
  f.last_purchase = day("last_purchase");
  f.purchase_days = as_int(get("purchase_days"));
  f.orders = as_int(get("orders"));
  f.net_revenue = as_int(get("net_revenue"));
  f.mean_order_value = as_double(get("mean_order_value"));
  f.recency_days = as_int(get("recency_days"));
  f.active_span_days = as_int(get("active_span_days"));
  f.gap_mean_days = as_double(get("gap_mean_days"));
  f.regularity = as_double(get("regularity"));
  f.core_score = as_double(get("core_score"));
  return f;
}

CustomerFacts facts_of(const Features& f, size_t r, const std::string& customer_id, Buyer seg, Preference pref, int nps,
                       double core_score) {
  CustomerFacts c;
  c.customer_id = customer_id;
  c.key = f.customer[r];
  c.segment = std::string(kBuyerNames[static_cast<size_t>(seg)]);
  c.preference = static_cast<int>(pref);
  c.nps = nps;
  c.as_of = f.as_of;
  c.first_purchase = f.first_purchase[r];
  c.last_purchase = f.last_purchase[r];
  c.purchase_days = f.purchase_days[r];
  c.orders = f.orders[r];
  c.net_revenue = f.net_revenue[r];
  c.mean_order_value = f.mean_order_value[r];
  c.recency_days = f.recency_days[r];
  c.active_span_days = f.active_span_days[r];
  c.gap_mean_days = f.gap_mean_days[r];
  c.regularity = f.regularity[r];
  c.core_score = core_score;
  return c;
}

std::string segment_label(Lang lang, std::string_view name) {
  return std::string(msg(lang, "segment.name_" + std::string(name)));
}

std::string preference_label(Lang lang, int preference) {
  return std::string(msg(lang, preference == 1   ? "segment.pref_positive"
                               : preference == 0 ? "segment.pref_negative"
                                                 : "segment.pref_unknown"));
}

std::string group_label(Lang lang, std::string_view group) {
  const auto slash = group.find('/');
  if (slash == std::string_view::npos) return segment_label(lang, group);
  const auto pref = group.substr(slash + 1);
  return tr(lang, "segment.group", segment_label(lang, group.substr(0, slash)),
            preference_label(lang, pref == "positive"   ? 1
                                   : pref == "negative" ? 0
                                                        : -1));
}

std::string span_text(Lang lang, int64_t days) {
  if (days < 60) return tr(lang, "segment.span_days", days);
  if (days < 730) return tr(lang, "segment.span_months", std::llround(static_cast<double>(days) / 30.4375));
  std::string years = fmt::format("{:.1f}", static_cast<double>(days) / 365.25);
  if (years.ends_with(".0")) years.resize(years.size() - 2);
  return tr(lang, "segment.span_years", years);
}

std::string days_ago(Lang lang, int64_t days) {
  if (days == 0) return std::string(msg(lang, "segment.days_ago_zero"));
  if (days == 1) return std::string(msg(lang, "segment.days_ago_one"));
  return tr(lang, "segment.days_ago", days);
}

std::string reason_line(Lang lang, const CustomerFacts& f) {
  std::string s = f.purchase_days <= 1
                      ? tr(lang, "segment.reason_one", days_ago(lang, f.recency_days))
                      : tr(lang, "segment.reason_many", f.purchase_days, span_text(lang, f.active_span_days));
  if (f.purchase_days > 1) {
    if (!std::isnan(f.gap_mean_days)) s += tr(lang, "segment.reason_every", f.gap_mean_days);
    s += tr(lang, "segment.reason_last", days_ago(lang, f.recency_days));
  }
  if (f.preference == 1) s += msg(lang, "segment.reason_intent");
  if (f.preference == 0) s += msg(lang, "segment.reason_no_intent");
  if (f.nps >= 0) s += tr(lang, "segment.reason_nps", f.nps);
  return s;
}

std::vector<std::pair<std::string, std::string>> guide_questions(Lang lang, const CustomerFacts& f,
                                                                 const std::string& currency) {
  const std::string first = format_date(f.first_purchase);
  std::vector<std::pair<std::string, std::string>> q;
  q.emplace_back(msg(lang, "segment.q1"), tr(lang, "segment.p1", first));
  q.emplace_back(msg(lang, "segment.q2"), f.purchase_days <= 1 ? tr(lang, "segment.p2_one", first)
                                                               : tr(lang, "segment.p2", f.purchase_days, f.orders));
  q.emplace_back(msg(lang, "segment.q3"), std::isnan(f.gap_mean_days) ? std::string(msg(lang, "segment.p3_none"))
                                                                      : tr(lang, "segment.p3", f.gap_mean_days));
  q.emplace_back(msg(lang, "segment.q4"),
                 tr(lang, "segment.p4", format_money(std::llround(f.mean_order_value), currency),
                    format_money(f.net_revenue, currency)));
  q.emplace_back(msg(lang, "segment.q5"),
                 tr(lang, "segment.p5", format_date(f.last_purchase), days_ago(lang, f.recency_days)));
  q.emplace_back(msg(lang, "segment.q6"),
                 f.nps >= 0 ? tr(lang, "segment.p6_nps", f.nps) : std::string(msg(lang, "segment.p6_unknown")));
  return q;
}

std::string guide_markdown(Lang lang, std::string_view group, const CustomerFacts& f,
                           const std::vector<std::string>& alternates, int64_t candidates, int64_t sampled,
                           const std::string& currency) {
  std::string md = "# " + tr(lang, "segment.guide_title", group_label(lang, group)) + "\n\n";
  md += "**" + tr(lang, "segment.guide_customer", f.customer_id) + "** — " + reason_line(lang, f) + "\n\n";
  md += tr(lang, "segment.guide_picked", format_count(candidates), format_count(sampled)) + "\n\n";
  md += "## " + tr(lang, "segment.guide_facts", format_date(f.as_of)) + "\n\n";
  md += "- " + tr(lang, "segment.fact_first", format_date(f.first_purchase)) + "\n";
  md += "- " + tr(lang, "segment.fact_last", format_date(f.last_purchase), f.recency_days) + "\n";
  md += "- " +
        tr(lang, "segment.fact_volume", f.purchase_days, f.orders, format_money(f.net_revenue, currency),
           format_money(std::llround(f.mean_order_value), currency)) +
        "\n";
  if (!std::isnan(f.gap_mean_days)) md += "- " + tr(lang, "segment.fact_rhythm", f.gap_mean_days) + "\n";
  md += "- " + tr(lang, "segment.fact_core", f.core_score, reason_line(lang, f)) + "\n";
  md += "- " + tr(lang, "segment.fact_preference", preference_label(lang, f.preference)) + "\n";
  md += "- " +
        tr(lang, "segment.fact_nps",
           f.nps >= 0 ? std::to_string(f.nps) : std::string(msg(lang, "segment.pref_unknown"))) +
        "\n\n";
  md += "## " + std::string(msg(lang, "segment.guide_questions")) + "\n\n";
  int n = 0;
  for (const auto& [question, prefill] : guide_questions(lang, f, currency)) {
    md += fmt::format("{}. **{}**\n   - {}\n   - {}\n\n", ++n, question, prefill, msg(lang, "segment.guide_answer"));
  }
  if (!alternates.empty()) {
    md += "## " + std::string(msg(lang, "segment.guide_alternates")) + "\n\n";
    for (const auto& a : alternates) md += "- " + a + "\n";
    md += "\n";
  }
  return md;
}

void for_each_list_row(store::Workspace& ws, Lang lang, const std::function<void(const ListRow&)>& visit) {
  ws.scan("segment_customers", [&](const store::Chunk& c) {
    const auto& key = c.as<std::vector<uint32_t>>("customer");
    const auto& seg = c.as<std::vector<int32_t>>("segment");
    const auto& pref = c.as<std::vector<int32_t>>("preference");
    const auto& nps = c.as<std::vector<int32_t>>("nps");
    const auto& score = c.as<std::vector<double>>("core_score");
    const auto& is_core = c.as<std::vector<int32_t>>("is_core");
    const auto& pd = c.as<std::vector<int32_t>>("purchase_days");
    const auto& rec = c.as<std::vector<int32_t>>("recency_days");
    const auto& span = c.as<std::vector<int32_t>>("active_span_days");
    const auto& gap = c.as<std::vector<double>>("gap_mean_days");
    ListRow r;
    CustomerFacts f;
    for (size_t i = 0; i < key.size(); ++i) {
      f.purchase_days = pd[i];
      f.recency_days = rec[i];
      f.active_span_days = span[i];
      f.gap_mean_days = gap[i];
      f.preference = pref[i];
      f.nps = nps[i];
      r.key = key[i];
      r.segment = static_cast<size_t>(seg[i]);
      r.nine = std::string(kBuyerNames[r.segment]) + "/" +
               std::string(kPreferenceNames[preference_index(static_cast<Preference>(pref[i]))]);
      r.core_score = score[i];
      r.is_core = is_core[i] != 0;
      r.reason = reason_line(lang, f);
      visit(r);
    }
  });
}

}  // namespace detail

namespace {

void write_file(const std::filesystem::path& path, const std::string& text) {
  const auto tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush())
      throw Error{ErrorCode::usage, "cannot write the file", path.string(), "choose a writable --out folder"};
  }
  std::filesystem::rename(tmp, path);
}

std::string file_stem(std::string_view group) {
  std::string s(group);
  for (char& c : s)
    if (c == '/') c = '-';
  return s;
}

}  // namespace

std::vector<std::filesystem::path> write_exports(store::Workspace& ws, Lang lang, const std::filesystem::path& dir) {
  if (!ws.has_table("segment_n1") || ws.columnar_rows("segment_customers") == 0)
    throw Error{ErrorCode::not_found, "the workspace has no segment results", ws.path().string(),
                "run `koko segment` (or `koko report`) first"};
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    throw Error{ErrorCode::usage, "cannot create the folder: " + ec.message(), dir.string(), "choose another --out"};
  const auto ids = ingest::load_customer_ids(ws);
  const std::string currency = ingest::workspace_currency(ws);
  Day as_of = 0;
  for (const auto& row : ws.read_table("segment_summary").rows)
    if (detail::as_text(row[0]) == "as_of") as_of = parse_iso_date(detail::as_text(row[1])).value_or(0);

  // Per-segment lists.
  std::array<std::string, 3> lists;
  for (auto& l : lists) l = "customer_id,segment,9seg,core_score,core_customer,reason\n";
  detail::for_each_list_row(ws, lang, [&](const detail::ListRow& r) {
    const std::string name(kBuyerNames[r.segment]);
    lists[r.segment] += fmt::format("{},{},{},{:.1f},{},{}\n", report::csv_field(ids.at(r.key)), name, r.nine,
                                    r.core_score, r.is_core ? "yes" : "no", report::csv_field(r.reason));
  });
  std::vector<std::filesystem::path> written;
  for (size_t s = 0; s < 3; ++s) {
    written.push_back(dir / ("customers-" + std::string(kBuyerNames[s]) + ".csv"));
    write_file(written.back(), lists[s]);
  }

  // N1 guides.
  const auto n1 = ws.read_table("segment_n1");
  std::map<std::string, std::vector<std::string>> alternates;
  for (const auto& row : n1.rows)
    if (detail::as_text(detail::column(n1, row, "role")) == "alternate")
      alternates[detail::as_text(detail::column(n1, row, "group"))].push_back(
          detail::as_text(detail::column(n1, row, "customer_id")));
  for (const auto& row : n1.rows) {
    if (detail::as_text(detail::column(n1, row, "role")) != "pick") continue;
    const std::string group = detail::as_text(detail::column(n1, row, "group"));
    auto facts = detail::facts_from_row(n1, row);
    if (facts.as_of == 0) facts.as_of = as_of;
    written.push_back(dir / ("n1-" + file_stem(group) + ".md"));
    write_file(written.back(), detail::guide_markdown(lang, group, facts, alternates[group],
                                                      detail::as_int(detail::column(n1, row, "candidates")),
                                                      detail::as_int(detail::column(n1, row, "sampled")), currency));
  }
  return written;
}

}  // namespace koko::segment
