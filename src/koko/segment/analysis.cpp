// The segment analysis: stored orders (+ survey answers and customer attributes when present) → features as of a
// date → CRM map, 9seg, transitions, core score, N1 picks, the holdout check → result tables and the columnar
// per-customer table "segment_customers".
#include "koko/analysis/analysis.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <unordered_map>

#include "koko/core/error.hpp"
#include "koko/core/progress.hpp"
#include "koko/ingest/ingest.hpp"
#include "koko/segment/glue.hpp"
#include "koko/segment/internal.hpp"

namespace koko {

void segment_report(store::Workspace& ws, const Config& config, report::Document& doc);  // section.cpp
void market_report(store::Workspace& ws, const Config& config, report::Document& doc);   // section.cpp
void run_market(RunContext& ctx);                                                        // market.cpp

namespace {

using store::ResultTable;
using store::Value;
using namespace segment;
using segment::detail::config_date;
using segment::detail::scale_for;

constexpr size_t kChunkRows = 1 << 20;
constexpr size_t kCoreTableMax = 1000;  // rows of segment_core_top; the full list is in segment_customers

struct Settings {
  CrmRules rules;
  Day as_of = 0;
  Day compare_from = 0;
  Day compare_to = 0;
  CoreWeights weights;
  double top_share = 0.10;
  N1Config n1;
  std::optional<Day> calibration_end;
  std::string preference_column, nps_column, contact_column;
  detail::PreferenceSettings pref;
};

// with_attributes: customers.csv or a survey is stored, so preference settings apply.
Settings read_settings(const Config& cfg, const CustomerDays& days, bool with_attributes) {
  Settings s;
  s.rules = detail::read_crm_rules(cfg);
  s.as_of = config_date(cfg, "segment.as_of", days.last_order_day);
  if (s.as_of < days.first_order_day)
    throw Error{ErrorCode::usage,
                fmt::format("the as-of date {} is before the first order ({})", format_date(s.as_of),
                            format_date(days.first_order_day)),
                "", fmt::format("choose --as-of (segment.as_of) on or after {}", format_date(days.first_order_day))};
  s.compare_to = config_date(cfg, "segment.compare.to", s.as_of);
  const int back = cfg.get_int("segment.compare.days", 180);
  s.compare_from = config_date(cfg, "segment.compare.from", s.compare_to - back);
  for (size_t c = 0; c < kComponents; ++c)
    s.weights.w[c] = cfg.get_double("segment.core.weight." + std::string(kComponentNames[c]), s.weights.w[c]);
  s.weights.promoter_min_nps = cfg.get_int("segment.nps.promoter_min", 9);
  s.top_share = cfg.get_double("segment.core.top_share", 0.10);
  if (!(s.top_share > 0 && s.top_share <= 1))
    throw Error{ErrorCode::usage, fmt::format("segment.core.top_share = {} is not a share in (0, 1]", s.top_share), "",
                "e.g. 0.1 for the top 10 %"};
  s.n1.sample_max = static_cast<size_t>(std::max(2, cfg.get_int("segment.n1.sample_max", 20000)));
  s.n1.alternates = static_cast<size_t>(std::max(0, cfg.get_int("segment.n1.alternates", 10)));
  s.n1.seed = static_cast<uint64_t>(cfg.get_int("segment.n1.seed", 1));
  if (cfg.peek("segment.validation.calibration_end"))
    s.calibration_end = config_date(cfg, "segment.validation.calibration_end", days.first_order_day);
  if (!with_attributes) return s;
  s.preference_column = cfg.get_string("segment.customers.preference_column", "preference");
  s.nps_column = cfg.get_string("segment.customers.nps_column", "nps");
  s.contact_column = cfg.get_string("segment.customers.contact_column", "contact_ok");
  s.pref = detail::read_preference_settings(cfg);
  return s;
}

// What is known about each customer key beyond the orders: preference, NPS, consent to be contacted.
struct Attributes {
  std::vector<Preference> preference;
  std::vector<int8_t> nps;
  std::vector<int8_t> contact;  // -1 unknown, 0 must not be contacted, 1 may be
  std::vector<int8_t> source;   // of the preference: 0 none, 1 customers.csv, 2 a linked respondent
  int64_t unmatched_survey_ids = 0;
};

void customer_columns(store::Workspace& ws, const std::vector<std::string>& ids, const Settings& s, Attributes& a) {
  std::vector<std::pair<uint32_t, int8_t>> pref_answers;  // key, 0..10 (scale decided over the whole column)
  bool pref_from_nps = false;
  ws.scan("customers", [&](const store::Chunk& c) {
    const auto& keys = c.as<std::vector<uint32_t>>("customer");
    auto strings = [&](const std::string& name) -> const StringColumn* {
      const auto* col = name.empty() ? nullptr : c.find(name);
      return col ? std::get_if<StringColumn>(&col->data) : nullptr;
    };
    const auto* pref = strings(s.preference_column);
    const auto* nps = strings(s.nps_column);
    const auto* contact = strings(s.contact_column);
    pref_from_nps = pref == nullptr && nps != nullptr;
    for (size_t i = 0; i < keys.size(); ++i) {
      const uint32_t k = keys[i];
      auto bad = [&](const std::string& column, std::string_view v, const char* expected) {
        throw Error{ErrorCode::input,
                    fmt::format("column '{}' of customer '{}': '{}' is not {}", column, ids.at(k), v, expected),
                    "customers", "fix the value (or leave it empty when unknown) and import customers again"};
      };
      int v = 0;
      if (pref) {
        const Cell r = parse_whole((*pref)[i], 10, v);
        if (r == Cell::invalid) bad(s.preference_column, (*pref)[i], "on the 1-5 or 0-10 scale");
        if (r == Cell::ok) pref_answers.emplace_back(k, static_cast<int8_t>(v));
      }
      if (nps) {
        const Cell r = parse_whole((*nps)[i], 10, v);
        if (r == Cell::invalid) bad(s.nps_column, (*nps)[i], "an NPS answer 0-10");
        if (r == Cell::ok) {
          a.nps[k] = static_cast<int8_t>(v);
          if (pref_from_nps) pref_answers.emplace_back(k, static_cast<int8_t>(v));
        }
      }
      if (contact) {
        bool ok = true;
        const Cell r = parse_yes_no((*contact)[i], ok);
        if (r == Cell::invalid) bad(s.contact_column, (*contact)[i], "yes or no");
        if (r == Cell::ok) a.contact[k] = ok ? 1 : 0;
      }
    }
  });
  std::vector<int8_t> answers;
  for (const auto& [k, v] : pref_answers) answers.push_back(v);
  const IntentScale scale = pref_from_nps ? IntentScale::eleven : scale_for(s.pref.scale, answers);
  for (const auto& [k, v] : pref_answers) {
    a.preference[k] = preference_of(v, scale, s.pref.market);
    a.source[k] = 1;
  }
}

// A linked respondent's latest answers win over customers.csv.
void survey_answers(store::Workspace& ws, const std::vector<std::string>& ids, const Settings& s, Attributes& a) {
  const Survey sv = load_survey(ws);
  std::unordered_map<std::string_view, uint32_t> key_of;
  for (uint32_t k = 0; k < ids.size(); ++k) key_of.emplace(ids[k], k);
  const auto waves = wave_order(sv);
  std::unordered_map<std::string_view, size_t> rank;
  for (size_t w = 0; w < waves.size(); ++w) rank.emplace(waves[w], w);
  const IntentScale scale = scale_for(s.pref.scale, sv.next_intent);
  std::vector<int64_t> intent_wave(ids.size(), -1), nps_wave(ids.size(), -1);  // wave rank of the answer used
  for (size_t i = 0; i < sv.size(); ++i) {
    if (sv.customer_id[i].empty()) continue;
    const auto it = key_of.find(sv.customer_id[i]);
    if (it == key_of.end()) {
      ++a.unmatched_survey_ids;
      continue;
    }
    const uint32_t k = it->second;
    const auto r = static_cast<int64_t>(rank.at(sv.wave[i]));
    if (sv.next_intent[i] >= 0 && r > intent_wave[k]) {
      a.preference[k] = preference_of(sv.next_intent[i], scale, s.pref.market);
      a.source[k] = 2;
      intent_wave[k] = r;
    }
    if (sv.nps[i] >= 0 && r > nps_wave[k]) {
      a.nps[k] = sv.nps[i];
      nps_wave[k] = r;
    }
  }
}

Attributes load_attributes(store::Workspace& ws, const std::vector<std::string>& ids, const Settings& s) {
  Attributes a;
  a.preference.assign(ids.size(), Preference::unknown);
  a.nps.assign(ids.size(), -1);
  a.contact.assign(ids.size(), -1);
  a.source.assign(ids.size(), 0);
  if (ws.columnar_rows("customers") > 0) customer_columns(ws, ids, s, a);
  if (ws.columnar_rows("survey") > 0) survey_answers(ws, ids, s, a);
  return a;
}

store::Chunk customers_chunk(const Features& f, size_t b, size_t e, std::span<const Buyer> seg,
                             const std::vector<Preference>& pref, const std::vector<int8_t>& nps,
                             const std::vector<int8_t>& contact, const CoreScores& core,
                             const std::vector<bool>& is_core) {
  auto slice = [&](const auto& v) { return std::vector<std::decay_t<decltype(v[0])>>(v.begin() + b, v.begin() + e); };
  store::Chunk c;
  c.columns.push_back({"customer", slice(f.customer)});
  c.columns.push_back({"first_purchase", slice(f.first_purchase)});
  c.columns.push_back({"last_purchase", slice(f.last_purchase)});
  c.columns.push_back({"purchase_days", slice(f.purchase_days)});
  c.columns.push_back({"orders", slice(f.orders)});
  c.columns.push_back({"net_revenue", slice(f.net_revenue)});
  c.columns.push_back({"mean_order_value", slice(f.mean_order_value)});
  c.columns.push_back({"tenure_days", slice(f.tenure_days)});
  c.columns.push_back({"recency_days", slice(f.recency_days)});
  c.columns.push_back({"active_span_days", slice(f.active_span_days)});
  c.columns.push_back({"gap_mean_days", slice(f.gap_mean_days)});
  c.columns.push_back({"regularity", slice(f.regularity)});
  std::vector<int32_t> s(e - b), p(e - b), n(e - b), k(e - b), core_flag(e - b);
  std::vector<double> score(e - b);
  for (size_t i = b; i < e; ++i) {
    s[i - b] = static_cast<int32_t>(seg[i]);
    p[i - b] = static_cast<int32_t>(pref[i]);
    n[i - b] = nps[i];
    k[i - b] = contact[i];
    core_flag[i - b] = is_core[i] ? 1 : 0;
    score[i - b] = core.score[i];
  }
  c.columns.push_back({"segment", std::move(s)});
  c.columns.push_back({"preference", std::move(p)});
  c.columns.push_back({"nps", std::move(n)});
  c.columns.push_back({"contact_ok", std::move(k)});
  c.columns.push_back({"core_score", std::move(score)});
  c.columns.push_back({"is_core", std::move(core_flag)});
  return c;
}

double ratio(int64_t a, int64_t b) { return b == 0 ? 0.0 : static_cast<double>(a) / static_cast<double>(b); }

ResultTable map_table(const CrmMap& m) {
  ResultTable t{
      "segment_crm_map", {"segment", "customers", "share", "net_revenue", "revenue_share", "purchase_days"}, {}};
  int64_t revenue = 0;
  for (const auto& c : m.segment) revenue += c.net_revenue;
  for (size_t s = 0; s < 3; ++s) {
    const auto& c = m.segment[s];
    t.rows.push_back({std::string(kBuyerNames[s]), c.customers, ratio(c.customers, m.customers), c.net_revenue,
                      ratio(c.net_revenue, revenue), c.purchase_days});
  }
  return t;
}

ResultTable nine_table(const CrmMap& m) {
  ResultTable t{"segment_crm_9seg", {"segment", "preference", "customers", "share", "net_revenue"}, {}};
  for (size_t s = 0; s < 3; ++s)
    for (size_t p = 0; p < 3; ++p) {
      const auto& c = m.nine[s][p];
      t.rows.push_back({std::string(kBuyerNames[s]), std::string(kPreferenceNames[p]), c.customers,
                        ratio(c.customers, m.customers), c.net_revenue});
    }
  return t;
}

ResultTable transitions_table(const Transitions& tr) {
  ResultTable t{"segment_transitions", {"from_segment", "to_segment", "customers", "net_revenue"}, {}};
  for (size_t r = 0; r < 4; ++r)
    for (size_t c = 0; c < 3; ++c)
      t.rows.push_back(
          {std::string(kFromNames[r]), std::string(kBuyerNames[c]), tr.customers[r][c], tr.net_revenue[r][c]});
  return t;
}

class SegmentAnalysis final : public Analysis {
 public:
  [[nodiscard]] std::string_view name() const override { return "segment"; }
  [[nodiscard]] std::vector<std::string> inputs() const override { return {"orders"}; }
  [[nodiscard]] std::vector<std::string> tables() const override {
    return {"segment_summary",  "segment_crm_map", "segment_crm_9seg",   "segment_transitions", "segment_core_weights",
            "segment_core_top", "segment_n1",      "segment_validation", "segment_customers"};
  }

  void run(RunContext& ctx) const override {
    // Stage timings (wall, and CPU of all threads) for --verbose and the benchmark (bench/segment).
    auto cpu_now = [] {
      timespec ts{};
      clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
      return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
    };
    auto t0 = std::chrono::steady_clock::now();
    double c0 = cpu_now();
    auto lap = [&](const char* stage) {
      const auto now = std::chrono::steady_clock::now();
      const double c = cpu_now();
      koko::detail(fmt::format("segment: {} {:.3f} s (cpu {:.3f} s)", stage,
                               std::chrono::duration<double>(now - t0).count(), c - c0));
      t0 = now;
      c0 = c;
    };
    store::Workspace& ws = ctx.ws;
    const auto ids = ingest::load_customer_ids(ws);
    lap("load_ids");
    CustomerDays days;
    {
      const auto orders = ingest::load_orders(ws);
      lap("load_orders");
      days = index_orders({orders.customer, orders.day, orders.amount}, static_cast<uint32_t>(ids.size()));
    }
    lap("index_orders");
    const bool with_attributes = ws.columnar_rows("customers") > 0 || ws.columnar_rows("survey") > 0;
    const Settings s = read_settings(ctx.config, days, with_attributes);
    const Features f = compute_features(days, s.as_of);
    lap("features");
    if (f.size() == 0)
      throw Error{ErrorCode::analysis, fmt::format("no customer bought on or before {}", format_date(s.as_of)), "",
                  "choose a later --as-of date"};
    const auto seg = crm_segments(f, s.rules);
    const Attributes attr = load_attributes(ws, ids, s);
    lap("attributes");
    std::vector<Preference> pref(f.size());
    std::vector<int8_t> nps(f.size()), contact(f.size());
    int64_t pref_known = 0, nps_known = 0, no_contact = 0, from_survey = 0, from_customers = 0;
    for (size_t i = 0; i < f.size(); ++i) {
      pref[i] = attr.preference[f.customer[i]];
      nps[i] = attr.nps[f.customer[i]];
      contact[i] = attr.contact[f.customer[i]];
      pref_known += pref[i] != Preference::unknown ? 1 : 0;
      nps_known += nps[i] >= 0 ? 1 : 0;
      no_contact += contact[i] == 0 ? 1 : 0;
      from_survey += attr.source[f.customer[i]] == 2 ? 1 : 0;
      from_customers += attr.source[f.customer[i]] == 1 ? 1 : 0;
    }
    const CrmMap map = crm_map(f, seg, pref);
    const Transitions tr = crm_transitions(days, s.compare_from, s.compare_to, s.rules);
    lap("crm_map");
    const CoreScores core = core_scores(f, pref, nps, s.weights);
    const auto top = top_k(core.score, f.customer, ids, top_count(f.size(), s.top_share));
    lap("core_score");
    std::vector<bool> is_core(f.size(), false);
    for (const uint32_t r : top) is_core[r] = true;

    auto facts = [&](uint32_t r) {
      return detail::facts_of(f, r, ids[f.customer[r]], seg[r], pref[r], nps[r], core.score[r]);
    };

    // Core table: the top rows with their components.
    ResultTable core_top{"segment_core_top", {"rank"}, {}};
    for (const auto c : kComponentNames) core_top.columns.push_back("c_" + std::string(c));
    for (const auto& c : detail::fact_columns()) core_top.columns.push_back(c);
    for (size_t i = 0; i < std::min(top.size(), kCoreTableMax); ++i) {
      std::vector<Value> row{static_cast<int64_t>(i + 1)};
      for (size_t c = 0; c < kComponents; ++c) {
        const float v = core.component[c][top[i]];
        if (std::isnan(v))
          row.emplace_back(std::monostate{});
        else
          row.emplace_back(static_cast<double>(v));
      }
      for (auto& v : detail::fact_values(facts(top[i]))) row.push_back(std::move(v));
      core_top.rows.push_back(std::move(row));
    }
    ResultTable weights{"segment_core_weights", {"component", "weight", "known_customers"}, {}};
    for (size_t c = 0; c < kComponents; ++c) {
      int64_t known = 0;
      for (const float v : core.component[c]) known += std::isnan(v) ? 0 : 1;
      weights.rows.push_back({std::string(kComponentNames[c]), s.weights.w[c], known});
    }

    // N1 picks: each buyer segment, and each 9seg cell whose preference is known.
    ResultTable n1{"segment_n1", {"group", "role", "rank", "candidates", "sampled", "mean_distance"}, {}};
    for (const auto& c : detail::fact_columns()) n1.columns.push_back(c);
    std::vector<std::pair<std::string, std::vector<uint32_t>>> groups;
    for (size_t g = 0; g < 3; ++g) groups.emplace_back(std::string(kBuyerNames[g]), std::vector<uint32_t>{});
    for (size_t g = 0; g < 3; ++g)
      for (size_t p = 0; p < 2; ++p)
        groups.emplace_back(std::string(kBuyerNames[g]) + "/" + std::string(kPreferenceNames[p]),
                            std::vector<uint32_t>{});
    for (uint32_t r = 0; r < f.size(); ++r) {
      if (contact[r] == 0) continue;  // never anyone who said no to contact
      const auto g = static_cast<size_t>(seg[r]);
      groups[g].second.push_back(r);
      if (pref[r] != Preference::unknown) groups[3 + g * 2 + preference_index(pref[r])].second.push_back(r);
    }
    for (const auto& [group, rows] : groups) {
      const auto pick = pick_n1(f, rows, s.n1);
      if (!pick) continue;
      auto add = [&](const char* role, size_t rank, uint32_t r) {
        std::vector<Value> row{group,
                               std::string(role),
                               static_cast<int64_t>(rank),
                               static_cast<int64_t>(pick->candidates),
                               static_cast<int64_t>(pick->sampled),
                               Value{}};
        if (rank == 0) row.back() = pick->mean_distance;
        for (auto& v : detail::fact_values(facts(r))) row.push_back(std::move(v));
        n1.rows.push_back(std::move(row));
      };
      add("pick", 0, pick->pick);
      for (size_t a = 0; a < pick->alternates.size(); ++a) add("alternate", a + 1, pick->alternates[a]);
    }

    lap("n1");
    ResultTable validation{"segment_validation",
                           {"calibration_end", "holdout_end", "customers", "top_customers", "holdout_net_revenue",
                            "core_capture", "rfm_capture"},
                           {}};
    if (s.calibration_end) {
      const auto h = holdout_check(days, *s.calibration_end, ids, s.weights, s.top_share);
      validation.rows.push_back({format_date(h.calibration_end), format_date(h.holdout_end), h.customers, h.top,
                                 h.holdout_net_revenue, h.core_capture, h.rfm_capture});
      lap("validation");
    }

    ResultTable summary{"segment_summary", {"key", "value"}, {}};
    auto put = [&](const char* k, Value v) { summary.rows.push_back({std::string(k), std::move(v)}); };
    put("as_of", format_date(s.as_of));
    put("first_order", format_date(days.first_order_day));
    put("last_order", format_date(days.last_order_day));
    put("customers", static_cast<int64_t>(f.size()));
    put("compare_from", format_date(tr.from));
    put("compare_to", format_date(tr.to));
    put("current_max_recency_days", int64_t{s.rules.current_max_recency_days});
    put("loyal_max_recency_days", int64_t{s.rules.loyal_max_recency_days});
    put("loyal_min_purchase_days", int64_t{s.rules.loyal_min_purchase_days});
    put("preference_known", pref_known);
    put("preference_from_survey", from_survey);
    put("preference_from_customers", from_customers);
    put("nps_known", nps_known);
    put("contact_excluded", no_contact);
    put("unmatched_survey_ids", attr.unmatched_survey_ids);
    put("core_top_share", s.top_share);
    put("core_customers", static_cast<int64_t>(top.size()));
    put("n1_sample_max", static_cast<int64_t>(s.n1.sample_max));

    ws.drop_columnar("segment_customers");
    for (size_t b = 0; b < f.size(); b += kChunkRows)
      ws.append_chunk(
          "segment_customers", 0,
          customers_chunk(f, b, std::min(f.size(), b + kChunkRows), seg, pref, nps, contact, core, is_core));
    for (const auto& t :
         {summary, map_table(map), nine_table(map), transitions_table(tr), weights, core_top, n1, validation})
      ws.write_table(t);
    lap("save");
  }

  void report(store::Workspace& ws, const Config& config, report::Document& doc) const override {
    segment_report(ws, config, doc);
  }
};

class MarketAnalysis final : public Analysis {
 public:
  [[nodiscard]] std::string_view name() const override { return "market"; }
  [[nodiscard]] std::vector<std::string> inputs() const override { return {"survey"}; }
  [[nodiscard]] std::vector<std::string> tables() const override {
    return {"market_summary", "market_5seg", "market_9seg", "market_change", "market_panel", "market_consistency"};
  }
  void run(RunContext& ctx) const override { run_market(ctx); }
  void report(store::Workspace& ws, const Config& config, report::Document& doc) const override {
    market_report(ws, config, doc);
  }
};

}  // namespace

namespace segment::detail {

Day config_date(const Config& cfg, const std::string& key, Day fallback) {
  const auto raw = cfg.peek(key);
  if (!raw || raw->empty()) {
    cfg.get_string(key, format_date(fallback));  // recorded as used
    return fallback;
  }
  const auto d = parse_iso_date(*raw);
  if (!d)
    throw Error{ErrorCode::usage, fmt::format("setting {} = {} is not a date", key, *raw), "",
                "write the date as YYYY-MM-DD (in koko.toml or on the command line)"};
  cfg.get_string(key, *raw);
  return *d;
}

CrmRules read_crm_rules(const Config& cfg) {
  CrmRules r;
  r.current_max_recency_days = cfg.get_int("segment.current.max_recency_days", r.current_max_recency_days);
  r.loyal_max_recency_days = cfg.get_int("segment.loyal.max_recency_days", r.loyal_max_recency_days);
  r.loyal_min_purchase_days = cfg.get_int("segment.loyal.min_purchase_days", r.loyal_min_purchase_days);
  check_rules(r);
  return r;
}

PreferenceSettings read_preference_settings(const Config& cfg) {
  PreferenceSettings p;
  p.market.current_window_months = cfg.get_int("segment.market.current_window_months", 12);
  p.market.loyal_min_frequency = cfg.get_double("segment.market.loyal_min_frequency", 4);
  p.market.positive_min_five = cfg.get_int("segment.preference.positive_min", 4);
  p.market.positive_min_eleven = cfg.get_int("segment.preference.positive_min_0_10", 7);
  check_market_rules(p.market);
  p.scale = cfg.get_string("segment.preference.scale", "auto");
  if (p.scale != "auto" && p.scale != "1-5" && p.scale != "0-10")
    throw Error{ErrorCode::usage, fmt::format("segment.preference.scale = {} is not auto, 1-5 or 0-10", p.scale), "",
                "set it to auto (an answer of 0 or 6-10 anywhere means 0-10), 1-5 or 0-10"};
  return p;
}

IntentScale scale_for(const std::string& setting, std::span<const int8_t> answers) {
  if (setting == "1-5") return IntentScale::five;
  if (setting == "0-10") return IntentScale::eleven;
  return detect_scale(answers);
}

}  // namespace segment::detail

const Analysis& segment_analysis() {
  static const SegmentAnalysis a;
  return a;
}

const Analysis& market_analysis() {
  static const MarketAnalysis a;
  return a;
}

}  // namespace koko
