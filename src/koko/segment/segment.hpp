#pragma once
// Segment maps of customer-first marketing (顧客起点マーケティング): per-customer features from orders, the CRM map
// (loyal / general / lapsed) with 9seg preference, transitions between two dates, the core score and N1 picks; and
// the market map (5seg / 9seg) from a brand survey. Pure kernels: plain structs in, plain structs out.
#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "koko/core/date.hpp"

namespace koko::segment {

inline constexpr uint32_t kGuest = UINT32_MAX;  // an order without a customer ID
inline constexpr Day kNoDay = std::numeric_limits<Day>::min();

// One row per order: amount < 0 is a return (never a purchase or a purchase day); 0 is a purchase.
struct OrdersView {
  std::span<const uint32_t> customer;  // dense customer key, or kGuest
  std::span<const Day> day;
  std::span<const int64_t> amount;  // minor units
};

// ---- features ------------------------------------------------------------------------------------------------

// One customer's orders on one day.
struct DayEntry {
  Day day = 0;
  int32_t orders = 0;  // purchase orders that day; 0 = returns only
  int64_t net = 0;     // every amount that day, returns included
};

// Orders grouped by customer and day, days ascending within a customer: every as-of date is a scan of this.
struct CustomerDays {
  std::vector<uint64_t> start;  // customer k's days are days[start[k]] .. days[start[k + 1] - 1]
  std::vector<DayEntry> days;
  Day first_order_day = 0;  // over all orders, guests included
  Day last_order_day = 0;
  [[nodiscard]] uint32_t customers() const { return start.empty() ? 0 : static_cast<uint32_t>(start.size() - 1); }
};

// Throws koko::Error (analysis) when there are no orders.
CustomerDays index_orders(const OrdersView& orders, uint32_t n_customers);

// Features as of a day: only orders on or before as_of count. One row per customer with a purchase by then,
// ascending by key.
struct Features {
  Day as_of = 0;
  std::vector<uint32_t> customer;
  std::vector<Day> first_purchase;
  std::vector<Day> last_purchase;
  std::vector<int32_t> purchase_days;     // distinct days with a purchase
  std::vector<int32_t> orders;            // purchase orders
  std::vector<int64_t> net_revenue;       // returns included, minor units
  std::vector<double> mean_order_value;   // net_revenue / orders
  std::vector<int32_t> tenure_days;       // as_of - first purchase
  std::vector<int32_t> recency_days;      // as_of - last purchase
  std::vector<int32_t> active_span_days;  // last - first purchase: how long they have kept buying
  std::vector<double> gap_mean_days;      // mean days between purchase days; NaN with one purchase day
  std::vector<double> regularity;         // 1 / (1 + CV of those gaps), in (0, 1]; NaN under three purchase days
  [[nodiscard]] size_t size() const { return customer.size(); }
};

Features compute_features(const CustomerDays& days, Day as_of);

// Net revenue per customer key over the days in (after, upto].
std::vector<int64_t> net_between(const CustomerDays& days, Day after, Day upto);

// ---- CRM map -------------------------------------------------------------------------------------------------

enum class Buyer : uint8_t { loyal, general, lapsed };
inline constexpr std::array<std::string_view, 3> kBuyerNames = {"loyal", "general", "lapsed"};

// Config keys segment.current.max_recency_days, segment.loyal.max_recency_days, segment.loyal.min_purchase_days.
struct CrmRules {
  int current_max_recency_days = 365;
  int loyal_max_recency_days = 180;
  int loyal_min_purchase_days = 4;
};

// Throws koko::Error (usage) naming the setting to change when a rule makes a segment impossible.
void check_rules(const CrmRules& rules);

// loyal: recency <= loyal.max_recency_days and purchase_days >= loyal.min_purchase_days; general: any other
// current buyer (recency <= current.max_recency_days); lapsed: the rest.
inline Buyer classify(int32_t recency_days, int32_t purchase_days, const CrmRules& r) {
  if (purchase_days >= r.loyal_min_purchase_days && recency_days <= r.loyal_max_recency_days) return Buyer::loyal;
  if (recency_days <= r.current_max_recency_days) return Buyer::general;
  return Buyer::lapsed;
}

std::vector<Buyer> crm_segments(const Features& f, const CrmRules& rules);

// Next-purchase preference: positive / negative where an answer is known, never guessed.
enum class Preference : int8_t { unknown = -1, negative = 0, positive = 1 };
inline constexpr std::array<std::string_view, 3> kPreferenceNames = {"positive", "negative", "unknown"};
inline size_t preference_index(Preference p) {
  return p == Preference::positive ? 0 : p == Preference::negative ? 1 : 2;
}

struct CrmCell {
  int64_t customers = 0;
  int64_t net_revenue = 0;
  int64_t purchase_days = 0;
};

struct CrmMap {
  Day as_of = 0;
  int64_t customers = 0;
  std::array<CrmCell, 3> segment{};              // by Buyer
  std::array<std::array<CrmCell, 3>, 3> nine{};  // [Buyer][positive, negative, unknown]
};

// preference: one per features row, or empty (all unknown).
CrmMap crm_map(const Features& f, std::span<const Buyer> seg, std::span<const Preference> preference);

// Customers and their net revenue in (from, to], by segment on `from` (rows: loyal, general, lapsed, new = no
// purchase by `from`) and on `to` (columns: loyal, general, lapsed). Throws koko::Error (usage) unless from < to.
struct Transitions {
  Day from = 0;
  Day to = 0;
  std::array<std::array<int64_t, 3>, 4> customers{};
  std::array<std::array<int64_t, 3>, 4> net_revenue{};
};
inline constexpr std::array<std::string_view, 4> kFromNames = {"loyal", "general", "lapsed", "new"};

Transitions crm_transitions(const CustomerDays& days, Day from, Day to, const CrmRules& rules);

// ---- core score ----------------------------------------------------------------------------------------------

// Who keeps choosing us: each component in [0, 1], the score is their weighted mean over the known ones × 100.
enum Component : uint8_t { recency, frequency, monetary, tenure, regularity, preference, advocacy };
inline constexpr size_t kComponents = 7;
inline constexpr std::array<std::string_view, kComponents> kComponentNames = {
    "recency", "frequency", "monetary", "tenure", "regularity", "preference", "advocacy"};

struct CoreWeights {
  std::array<double, kComponents> w = {0.30, 0.30, 0.20, 0.10, 0.10, 0.15, 0.10};
  int promoter_min_nps = 9;  // advocacy: NPS at or above it
};

struct CoreScores {
  std::vector<double> score;                              // 0..100
  std::array<std::vector<float>, kComponents> component;  // NaN = unknown, left out of the mean
};

// recency, frequency (purchase_days), monetary (net_revenue) and tenure (active span) are percentile ranks among
// the customers (average rank for ties, more recent = higher); regularity is 1 / (1 + CV of the gaps), 0 under
// three purchase days; preference 1 / 0 where known; advocacy 1 when NPS >= promoter_min_nps, 0 below, where
// known. preference and nps: one per features row or empty; nps -1 = unknown.
CoreScores core_scores(const Features& f, std::span<const Preference> preference, std::span<const int8_t> nps,
                       const CoreWeights& weights);

// Percentile rank of each value: average 1-based rank of its ties / n.
std::vector<double> percentile_ranks(std::span<const double> values);

// Plain RFM: the sum of the percentile ranks of recency (more recent = higher), purchase_days and net_revenue.
std::vector<double> rfm_scores(const Features& f);

// ceil(share × n), at least 1 when n > 0.
size_t top_count(size_t n, double share);

// The rows of the k highest scores, highest first; ties broken by customer_id (ids[key]) ascending.
std::vector<uint32_t> top_k(std::span<const double> score, std::span<const uint32_t> customer,
                            const std::vector<std::string>& ids, size_t k);

// The validation of the core score against plain RFM: features on calibration_end, the share of the holdout's net
// revenue (calibration customers, days after calibration_end up to holdout_end) captured by the top share of
// calibration customers by each score.
struct HoldoutCheck {
  Day calibration_end = 0;
  Day holdout_end = 0;
  int64_t customers = 0;
  int64_t top = 0;
  int64_t holdout_net_revenue = 0;
  double core_capture = 0;
  double rfm_capture = 0;
};

// Throws koko::Error (usage) for an empty calibration or holdout window.
HoldoutCheck holdout_check(const CustomerDays& days, Day calibration_end, const std::vector<std::string>& ids,
                           const CoreWeights& weights, double top_share);

// ---- N1 ------------------------------------------------------------------------------------------------------

struct N1Config {
  size_t sample_max = 20000;  // exact medoid over a deterministic sample of at most this many members
  size_t alternates = 10;
  uint64_t seed = 1;
};

struct N1Pick {
  uint32_t pick = 0;                 // features row of the medoid
  std::vector<uint32_t> alternates;  // features rows, diverse, in the order chosen
  size_t candidates = 0;             // members considered (contactable)
  size_t sampled = 0;                // members the medoid was computed over
  double mean_distance = 0;          // the pick's mean distance to the sample, in standard deviations
};

// The most representative member of `rows` (features rows): the medoid in the standardised space of
// log(1 + purchase_days), log(1 + net revenue), recency, log(1 + active span), log(1 + mean order value) and
// regularity, plus alternates spread over the segment (k-means++ seeding, the member nearest each cluster's
// centre). Deterministic; nullopt when rows is empty.
std::optional<N1Pick> pick_n1(const Features& f, std::span<const uint32_t> rows, const N1Config& config);

// ---- market map (survey) -------------------------------------------------------------------------------------

enum class Market : uint8_t { loyal, general, lapsed, aware_non_buyer, unaware };
inline constexpr std::array<std::string_view, 5> kMarketNames = {"loyal", "general", "lapsed", "aware_non_buyer",
                                                                 "unaware"};

// Typed answers, one row per respondent and wave; -1, NaN or kNoDay = not answered.
struct Survey {
  std::vector<std::string> respondent;
  std::vector<std::string> wave;
  std::vector<std::string> customer_id;  // as written; empty = not linked
  std::vector<int8_t> aware;             // 1 yes, 0 no
  std::vector<int8_t> ever_bought;
  std::vector<int8_t> bought_within;        // bought within the current window
  std::vector<int32_t> last_bought_months;  // months since the last purchase
  std::vector<Day> last_bought_day;
  std::vector<double> frequency;    // purchases, as the questionnaire asked
  std::vector<int8_t> next_intent;  // 1-5 or 0-10
  std::vector<int8_t> nps;          // 0-10
  std::vector<double> weight;
  std::vector<Day> survey_date;
  std::vector<int64_t> line;  // line in its file, for messages
  std::vector<std::string> file;
  [[nodiscard]] size_t size() const { return respondent.size(); }
};

// Cell parsers for the spellings surveys use; `empty` for a blank cell.
enum class Cell : uint8_t { empty, ok, invalid };
// yes/no, y/n, true/false, t/f, 1/0, はい/いいえ, あり/なし, 有/無, ○/× (case and width insensitive).
Cell parse_yes_no(std::string_view s, bool& out);
// A whole number 0..max (full-width digits too; "4.0" accepted).
Cell parse_whole(std::string_view s, int max, int& out);
// A non-negative number.
Cell parse_amount(std::string_view s, double& out);

enum class IntentScale : uint8_t { five, eleven };  // 1-5 or 0-10

// Config keys segment.market.*, segment.preference.*.
struct MarketRules {
  int current_window_months = 12;  // bought within this many months = current buyer
  double loyal_min_frequency = 4;  // a current buyer with at least this frequency is loyal
  int positive_min_five = 4;       // next_intent 4-5 of 5 = positive
  int positive_min_eleven = 7;     // next_intent 7-10 of 0-10 = positive
};

void check_market_rules(const MarketRules& rules);

// eleven when any answer is 0 or above 5, else five.
IntentScale detect_scale(std::span<const int8_t> answers);
Preference preference_of(int8_t answer, IntentScale scale, const MarketRules& rules);

// Throws koko::Error (input) naming the file and line of a respondent that cannot be placed (a bought-before
// respondent without last_bought / bought_within, a last_bought date without a survey_date, ...).
std::vector<Market> classify_survey(const Survey& s, const MarketRules& rules);

// A weighted share with its 95 % Wilson interval at the effective sample size.
struct ShareEstimate {
  int64_t respondents = 0;
  double weight = 0;
  double share = 0;
  double lo = 0;
  double hi = 0;
};
ShareEstimate estimate_share(int64_t respondents, double weight_in, double weight_total, double n_eff);

struct MarketMap {
  std::string wave;
  int64_t respondents = 0;
  double weight_total = 0;
  double n_eff = 0;          // (sum w)^2 / sum w^2
  Day survey_date = kNoDay;  // the wave's last answer date, when known
  std::array<ShareEstimate, 5> five{};
  std::array<std::array<ShareEstimate, 3>, 4> nine{};  // [aware segment][positive, negative, unknown]
};

// The waves in order: numerically when every label is a number, else by text.
std::vector<std::string> wave_order(const Survey& s);
std::vector<MarketMap> market_maps(const Survey& s, std::span<const Market> seg, std::span<const Preference> pref);

// Respondents answering in both waves (same respondent_id): from-segment × to-segment counts.
struct PanelFlows {
  std::string from_wave;
  std::string to_wave;
  int64_t panel = 0;
  std::array<std::array<int64_t, 5>, 5> counts{};
};
PanelFlows panel_flows(const Survey& s, std::span<const Market> seg, const std::string& from_wave,
                       const std::string& to_wave);

// Self-reported segment vs the order-based one for respondents linked to a customer.
inline constexpr std::array<std::string_view, 4> kOrderSideNames = {"loyal", "general", "lapsed", "no_purchase"};
struct Consistency {
  int64_t linked = 0;
  int64_t agree = 0;                               // same buyer segment, or a non-buyer without purchases
  std::array<std::array<int64_t, 4>, 5> counts{};  // [self-reported][loyal, general, lapsed, no purchase]
};
// order_side: per survey row, 0..2 = Buyer, 3 = no purchase, -1 = not linked.
Consistency consistency(std::span<const Market> self, std::span<const int8_t> order_side);

}  // namespace koko::segment
