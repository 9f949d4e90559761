// The market analysis: stored survey answers → 5seg / 9seg per wave with intervals, changes and panel flows
// between waves, and (when orders are stored) the consistency of self-reports with the order-based segments.
#include <fmt/format.h>

#include <cmath>
#include <map>
#include <unordered_map>

#include "koko/analysis/analysis.hpp"
#include "koko/core/error.hpp"
#include "koko/ingest/ingest.hpp"
#include "koko/segment/glue.hpp"
#include "koko/segment/internal.hpp"

namespace koko {

namespace {

using store::ResultTable;
using store::Value;
using namespace segment;

// The nine cells of the method: 1 loyal+, 2 loyal-, 3 general+, 4 general-, 5 lapsed+, 6 lapsed-,
// 7 aware non-buyer+, 8 aware non-buyer-, 9 unaware; 0 = an aware segment whose preference is unknown.
int64_t cell_number(size_t segment, size_t preference) {
  if (preference == 2) return 0;
  return static_cast<int64_t>(segment * 2 + preference + 1);
}

std::vector<Value> estimate_values(const ShareEstimate& e, double population) {
  std::vector<Value> v{e.respondents, e.weight, e.share, e.lo, e.hi};
  if (population > 0) {
    v.emplace_back(std::round(e.share * population));
    v.emplace_back(std::round(e.lo * population));
    v.emplace_back(std::round(e.hi * population));
  } else {
    v.insert(v.end(), 3, Value{});
  }
  return v;
}

const std::vector<std::string> kEstimateColumns = {"respondents", "weight",    "share",        "lo",
                                                   "hi",          "projected", "projected_lo", "projected_hi"};

// Order side per survey row: the respondent's CRM segment on the wave's date (3 = no purchase by then), or -1.
std::vector<int8_t> order_sides(store::Workspace& ws, const Config& cfg, const Survey& sv,
                                const std::vector<MarketMap>& maps, int64_t& unmatched,
                                std::map<std::string, Day>& wave_day) {
  std::vector<int8_t> side(sv.size(), -1);
  const auto ids = ingest::load_customer_ids(ws);
  std::unordered_map<std::string_view, uint32_t> key_of;
  for (uint32_t k = 0; k < ids.size(); ++k) key_of.emplace(ids[k], k);
  const CrmRules rules = detail::read_crm_rules(cfg);
  CustomerDays days;
  {
    const auto orders = ingest::load_orders(ws);
    days = index_orders({orders.customer, orders.day, orders.amount}, static_cast<uint32_t>(ids.size()));
  }
  for (const auto& m : maps) {
    const Day d = m.survey_date != kNoDay ? m.survey_date : days.last_order_day;
    wave_day[m.wave] = d;
    const Features f = compute_features(days, d);
    std::vector<int8_t> by_key(ids.size(), 3);
    for (size_t r = 0; r < f.size(); ++r)
      by_key[f.customer[r]] = static_cast<int8_t>(classify(f.recency_days[r], f.purchase_days[r], rules));
    for (size_t i = 0; i < sv.size(); ++i) {
      if (sv.wave[i] != m.wave || sv.customer_id[i].empty()) continue;
      const auto it = key_of.find(sv.customer_id[i]);
      if (it == key_of.end()) {
        ++unmatched;
        continue;
      }
      side[i] = by_key[it->second];
    }
  }
  return side;
}

}  // namespace

void run_market(RunContext& ctx) {
  store::Workspace& ws = ctx.ws;
  const Config& cfg = ctx.config;
  const auto pset = segment::detail::read_preference_settings(cfg);
  const double population = cfg.get_double("segment.market.population", 0);
  if (population < 0)
    throw Error{ErrorCode::usage, fmt::format("segment.market.population = {} is negative", population), "",
                "give the size of the surveyed market (e.g. --population 1200000), or 0 for shares only"};
  const Survey sv = load_survey(ws);
  const auto seg = classify_survey(sv, pset.market);
  const IntentScale scale = segment::detail::scale_for(pset.scale, sv.next_intent);
  std::vector<Preference> pref(sv.size());
  for (size_t i = 0; i < sv.size(); ++i) pref[i] = preference_of(sv.next_intent[i], scale, pset.market);
  const auto maps = market_maps(sv, seg, pref);

  ResultTable five{"market_5seg", {"wave", "segment"}, {}};
  ResultTable nine{"market_9seg", {"wave", "cell", "segment", "preference"}, {}};
  for (const auto& c : kEstimateColumns) {
    five.columns.push_back(c);
    nine.columns.push_back(c);
  }
  for (const auto& m : maps) {
    for (size_t g = 0; g < 5; ++g) {
      std::vector<Value> row{m.wave, std::string(kMarketNames[g])};
      for (auto& v : estimate_values(m.five[g], population)) row.push_back(std::move(v));
      five.rows.push_back(std::move(row));
    }
    for (size_t g = 0; g < 4; ++g)
      for (size_t p = 0; p < 3; ++p) {
        std::vector<Value> row{m.wave, cell_number(g, p), std::string(kMarketNames[g]),
                               std::string(kPreferenceNames[p])};
        for (auto& v : estimate_values(m.nine[g][p], population)) row.push_back(std::move(v));
        nine.rows.push_back(std::move(row));
      }
    std::vector<Value> row{m.wave, int64_t{9}, std::string("unaware"), std::string()};
    for (auto& v : estimate_values(m.five[4], population)) row.push_back(std::move(v));
    nine.rows.push_back(std::move(row));
  }

  // Changes between consecutive waves: independent-sample 95 % intervals of the difference at each wave's n_eff.
  ResultTable change{"market_change",
                     {"from_wave", "to_wave", "segment", "from_share", "to_share", "change", "change_lo", "change_hi"},
                     {}};
  ResultTable panel{"market_panel", {"from_wave", "to_wave", "from_segment", "to_segment", "respondents"}, {}};
  for (size_t w = 1; w < maps.size(); ++w) {
    const auto& a = maps[w - 1];
    const auto& b = maps[w];
    for (size_t g = 0; g < 5; ++g) {
      const double p1 = a.five[g].share, p2 = b.five[g].share;
      const double se =
          std::sqrt((a.n_eff > 0 ? p1 * (1 - p1) / a.n_eff : 0) + (b.n_eff > 0 ? p2 * (1 - p2) / b.n_eff : 0));
      constexpr double z = 1.959963984540054;
      change.rows.push_back(
          {a.wave, b.wave, std::string(kMarketNames[g]), p1, p2, p2 - p1, p2 - p1 - z * se, p2 - p1 + z * se});
    }
    const auto flows = panel_flows(sv, seg, a.wave, b.wave);
    for (size_t f = 0; f < 5; ++f)
      for (size_t t = 0; t < 5; ++t)
        panel.rows.push_back(
            {a.wave, b.wave, std::string(kMarketNames[f]), std::string(kMarketNames[t]), flows.counts[f][t]});
  }

  ResultTable cons{"market_consistency", {"self_reported", "loyal", "general", "lapsed", "no_purchase"}, {}};
  ResultTable summary{"market_summary", {"key", "value"}, {}};
  auto put = [&](const std::string& k, Value v) { summary.rows.push_back({k, std::move(v)}); };
  int64_t linked_ids = 0;
  for (const auto& c : sv.customer_id) linked_ids += c.empty() ? 0 : 1;
  put("respondents", static_cast<int64_t>(sv.size()));
  put("waves", static_cast<int64_t>(maps.size()));
  put("latest_wave", maps.empty() ? std::string() : maps.back().wave);
  put("scale", std::string(scale == IntentScale::five ? "1-5" : "0-10"));
  put("positive_min",
      int64_t{scale == IntentScale::five ? pset.market.positive_min_five : pset.market.positive_min_eleven});
  put("current_window_months", int64_t{pset.market.current_window_months});
  put("loyal_min_frequency", pset.market.loyal_min_frequency);
  put("population", population);
  put("customer_ids", linked_ids);
  if (ws.columnar_rows("orders") > 0 && linked_ids > 0) {
    int64_t unmatched = 0;
    std::map<std::string, Day> wave_day;
    const auto side = order_sides(ws, cfg, sv, maps, unmatched, wave_day);
    const auto c = consistency(seg, side);
    for (size_t g = 0; g < 5; ++g)
      cons.rows.push_back(
          {std::string(kMarketNames[g]), c.counts[g][0], c.counts[g][1], c.counts[g][2], c.counts[g][3]});
    put("linked", c.linked);
    put("agree", c.agree);
    put("unmatched_customer_ids", unmatched);
    for (const auto& [wave, day] : wave_day) put("orders_as_of:" + wave, format_date(day));
  }
  for (const auto& m : maps) {
    put("n_eff:" + m.wave, m.n_eff);
    if (m.survey_date != kNoDay) put("survey_date:" + m.wave, format_date(m.survey_date));
  }
  for (const auto& t : {summary, five, nine, change, panel, cons}) ws.write_table(t);
}

}  // namespace koko
