#pragma once
// Private to the segment glue (analysis.cpp, section.cpp, guide.cpp): the facts a reason line and an interview
// guide are written from, how they are stored in result tables, and labels.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "koko/core/config.hpp"
#include "koko/core/messages.hpp"
#include "koko/segment/segment.hpp"
#include "koko/store/workspace.hpp"

namespace koko::segment::detail {

// One customer's facts as of the map's date, as stored in segment_core_top and segment_n1.
struct CustomerFacts {
  std::string customer_id;
  int64_t key = 0;
  std::string segment;  // loyal | general | lapsed
  int preference = -1;  // -1 unknown, 0 negative, 1 positive
  int nps = -1;         // -1 unknown
  Day as_of = 0;
  Day first_purchase = 0;
  Day last_purchase = 0;
  int64_t purchase_days = 0;
  int64_t orders = 0;
  int64_t net_revenue = 0;
  double mean_order_value = 0;
  int64_t recency_days = 0;
  int64_t active_span_days = 0;
  double gap_mean_days = 0;  // NaN with one purchase day
  double regularity = 0;     // NaN under three purchase days
  double core_score = 0;
};

// The fact columns, in order, appended to a result table's own columns.
const std::vector<std::string>& fact_columns();
std::vector<store::Value> fact_values(const CustomerFacts& f);
CustomerFacts facts_from_row(const store::ResultTable& t, const std::vector<store::Value>& row);
CustomerFacts facts_of(const Features& f, size_t row, const std::string& customer_id, Buyer seg, Preference pref,
                       int nps, double core_score);

// Settings shared by the segment and market analyses (keys and defaults in docs/segments.md).
CrmRules read_crm_rules(const Config& cfg);
struct PreferenceSettings {
  MarketRules market;
  std::string scale;  // auto | 1-5 | 0-10
};
PreferenceSettings read_preference_settings(const Config& cfg);
IntentScale scale_for(const std::string& setting, std::span<const int8_t> answers);
// A YYYY-MM-DD setting, or the fallback (recorded as the value used).
Day config_date(const Config& cfg, const std::string& key, Day fallback);

int64_t as_int(const store::Value& v);
double as_double(const store::Value& v);
std::string as_text(const store::Value& v);
// The value of column `name` in row (monostate when the table has no such column).
const store::Value& column(const store::ResultTable& t, const std::vector<store::Value>& row, std::string_view name);

// "Loyal" / "ロイヤル顧客"; a 9seg group "loyal/positive" → "Loyal · positive".
std::string segment_label(Lang lang, std::string_view name);
std::string group_label(Lang lang, std::string_view group);
std::string preference_label(Lang lang, int preference);
// "45 days", "8 months", "3.2 years" (and Japanese).
std::string span_text(Lang lang, int64_t days);
// "12 purchase days over 3 years, every ~40 days, last 12 days ago, NPS 10".
std::string reason_line(Lang lang, const CustomerFacts& f);
// One row of a customer list: what a marketing-automation or LINE upload takes.
struct ListRow {
  uint32_t key = 0;
  size_t segment = 0;  // Buyer
  std::string nine;    // "loyal/positive"
  double core_score = 0;
  bool is_core = false;
  std::string reason;  // in the report's or the command's language
};
// Every customer of the stored segment_customers table, in key order.
void for_each_list_row(store::Workspace& ws, Lang lang, const std::function<void(const ListRow&)>& visit);

// The markdown interview guide for one N1 pick.
std::string guide_markdown(Lang lang, std::string_view group, const CustomerFacts& pick,
                           const std::vector<std::string>& alternates, int64_t candidates, int64_t sampled,
                           const std::string& currency);
// The six interview questions, each with its prefilled fact, for the report's N1 cards.
std::vector<std::pair<std::string, std::string>> guide_questions(Lang lang, const CustomerFacts& pick,
                                                                 const std::string& currency);

}  // namespace koko::segment::detail
