// Segment kernels on hand-computed fixtures: features (returns, zero amounts, same-day orders, unordered input),
// every CRM rule at its boundary, transitions, percentile ranks and ties, the core score, the holdout check, N1
// picks, survey cells in many spellings, the market rules, weighted intervals, panel flows and consistency.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <random>

#include "koko/core/error.hpp"
#include "koko/segment/segment.hpp"

namespace seg = koko::segment;
using koko::Day;

namespace {

struct Orders {
  std::vector<uint32_t> customer;
  std::vector<Day> day;
  std::vector<int64_t> amount;
  void add(uint32_t c, Day d, int64_t a) {
    customer.push_back(c);
    day.push_back(d);
    amount.push_back(a);
  }
  [[nodiscard]] seg::OrdersView view() const { return {customer, day, amount}; }
};

// Customer 0: two orders on day 10, a return on day 20, a zero-amount purchase on day 40, a purchase on day 100.
// Customer 1: a return only. Customer 2: one purchase on day 50. A guest order on day 5.
Orders fixture() {
  Orders o;
  o.add(0, 10, 50);
  o.add(0, 10, 25);
  o.add(0, 20, -10);
  o.add(0, 40, 0);
  o.add(0, 100, 30);
  o.add(1, 30, -5);
  o.add(2, 50, 10);
  o.add(seg::kGuest, 5, 99);
  return o;
}

seg::Features features_at(const Orders& o, Day as_of, uint32_t n = 3) {
  return seg::compute_features(seg::index_orders(o.view(), n), as_of);
}

}  // namespace

TEST(SegmentFeatures, HandComputed) {
  const auto f = features_at(fixture(), 100);
  ASSERT_EQ(f.size(), 2u);  // customer 1 never purchased
  EXPECT_EQ(f.customer[0], 0u);
  EXPECT_EQ(f.first_purchase[0], 10);
  EXPECT_EQ(f.last_purchase[0], 100);
  EXPECT_EQ(f.purchase_days[0], 3);  // 10, 40 (zero amount), 100; day 20 is a return only
  EXPECT_EQ(f.orders[0], 4);
  EXPECT_EQ(f.net_revenue[0], 95);
  EXPECT_DOUBLE_EQ(f.mean_order_value[0], 23.75);
  EXPECT_EQ(f.tenure_days[0], 90);
  EXPECT_EQ(f.recency_days[0], 0);
  EXPECT_EQ(f.active_span_days[0], 90);
  EXPECT_DOUBLE_EQ(f.gap_mean_days[0], 45);                  // gaps 30 and 60
  EXPECT_DOUBLE_EQ(f.regularity[0], 1.0 / (1 + 15.0 / 45));  // sd 15
  EXPECT_EQ(f.customer[1], 2u);
  EXPECT_EQ(f.purchase_days[1], 1);
  EXPECT_EQ(f.recency_days[1], 50);
  EXPECT_TRUE(std::isnan(f.gap_mean_days[1]));
  EXPECT_TRUE(std::isnan(f.regularity[1]));
}

TEST(SegmentFeatures, AsOfCutsOrdersAfterIt) {
  const auto f = features_at(fixture(), 40);
  ASSERT_EQ(f.size(), 1u);  // customer 2 buys first on day 50
  EXPECT_EQ(f.purchase_days[0], 2);
  EXPECT_EQ(f.orders[0], 3);
  EXPECT_EQ(f.net_revenue[0], 65);  // the return on day 20 counts in net revenue
  EXPECT_DOUBLE_EQ(f.gap_mean_days[0], 30);
  EXPECT_TRUE(std::isnan(f.regularity[0]));  // one gap: no rhythm yet
}

TEST(SegmentFeatures, RowOrderDoesNotMatter) {
  const Orders o = fixture();
  std::vector<size_t> idx(o.day.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::mt19937 rng(7);
  for (int t = 0; t < 5; ++t) {
    std::shuffle(idx.begin(), idx.end(), rng);
    Orders s;
    for (const size_t i : idx) s.add(o.customer[i], o.day[i], o.amount[i]);
    const auto a = features_at(o, 100), b = features_at(s, 100);
    EXPECT_EQ(a.customer, b.customer);
    EXPECT_EQ(a.purchase_days, b.purchase_days);
    EXPECT_EQ(a.net_revenue, b.net_revenue);
    EXPECT_EQ(a.orders, b.orders);
    EXPECT_DOUBLE_EQ(a.regularity[0], b.regularity[0]);
  }
}

// Over 2^20 rows the index is built by several threads over key ranges: the same features as a plain per-customer
// computation, whatever the row order.
TEST(SegmentFeatures, LargeShuffledInputMatchesAPlainComputation) {
  Orders o;
  std::mt19937 rng(11);
  const uint32_t n = 60000;
  for (size_t i = 0; i < 1'300'000; ++i)
    o.add(static_cast<uint32_t>(rng() % n), static_cast<Day>(rng() % 1000), static_cast<int64_t>(rng() % 200) - 20);
  const Day as_of = 800;
  const auto f = features_at(o, as_of, n);
  std::vector<std::map<Day, std::pair<int, int64_t>>> by(n);  // day → purchase orders, net
  for (size_t i = 0; i < o.day.size(); ++i) {
    if (o.day[i] > as_of) continue;
    auto& e = by[o.customer[i]][o.day[i]];
    e.first += o.amount[i] >= 0 ? 1 : 0;
    e.second += o.amount[i];
  }
  size_t row = 0;
  for (uint32_t c = 0; c < n; ++c) {
    int pdays = 0, orders = 0;
    int64_t net = 0;
    Day last = 0;
    for (const auto& [d, e] : by[c]) {
      net += e.second;
      orders += e.first;
      if (e.first > 0) {
        ++pdays;
        last = d;
      }
    }
    if (pdays == 0) continue;
    ASSERT_LT(row, f.size());
    EXPECT_EQ(f.customer[row], c);
    EXPECT_EQ(f.purchase_days[row], pdays);
    EXPECT_EQ(f.orders[row], orders);
    EXPECT_EQ(f.net_revenue[row], net);
    EXPECT_EQ(f.last_purchase[row], last);
    ++row;
  }
  EXPECT_EQ(row, f.size());
}

TEST(SegmentFeatures, NetBetweenAndErrors) {
  const auto d = seg::index_orders(fixture().view(), 3);
  EXPECT_EQ(d.first_order_day, 5);
  EXPECT_EQ(d.last_order_day, 100);
  const auto net = seg::net_between(d, 10, 100);  // (10, 100]
  EXPECT_EQ(net[0], 20);                          // -10 + 0 + 30
  EXPECT_EQ(net[1], -5);
  EXPECT_EQ(net[2], 10);
  Orders none;
  EXPECT_THROW(seg::index_orders(none.view(), 0), koko::Error);
  Orders bad;
  bad.add(5, 1, 1);
  EXPECT_THROW(seg::index_orders(bad.view(), 3), koko::Error);
}

TEST(SegmentCrm, RulesAtTheirBoundaries) {
  const seg::CrmRules r;  // 365 / 180 / 4
  EXPECT_EQ(seg::classify(180, 4, r), seg::Buyer::loyal);
  EXPECT_EQ(seg::classify(181, 4, r), seg::Buyer::general);
  EXPECT_EQ(seg::classify(0, 3, r), seg::Buyer::general);
  EXPECT_EQ(seg::classify(365, 1, r), seg::Buyer::general);
  EXPECT_EQ(seg::classify(366, 1, r), seg::Buyer::lapsed);
  EXPECT_EQ(seg::classify(366, 50, r), seg::Buyer::lapsed);
  EXPECT_NO_THROW(seg::check_rules(r));
}

TEST(SegmentCrm, ImpossibleThresholdsSayWhatToChange) {
  auto message = [](seg::CrmRules r) {
    try {
      seg::check_rules(r);
    } catch (const koko::Error& e) {
      return e.describe();
    }
    return std::string();
  };
  EXPECT_NE(message({365, 400, 4}).find("segment.loyal.max_recency_days"), std::string::npos);
  EXPECT_NE(message({365, 180, 0}).find("segment.loyal.min_purchase_days"), std::string::npos);
  EXPECT_NE(message({365, 365, 1}).find("general segment is impossible"), std::string::npos);
  EXPECT_NE(message({-1, -1, 4}).find("negative"), std::string::npos);
}

TEST(SegmentCrm, MapAndNineSeg) {
  Orders o;
  // At 300: customer 0 (4 purchase days, last on 200) is loyal; customer 1 (one purchase at -100) lapsed;
  // customer 2 (one purchase at 250) general.
  for (Day d : {100, 120, 150, 200}) o.add(0, d, 10);
  o.add(1, -100, 7);
  o.add(2, 250, 5);
  const auto f = features_at(o, 300);
  const auto s = seg::crm_segments(f, {});
  EXPECT_EQ(s, (std::vector<seg::Buyer>{seg::Buyer::loyal, seg::Buyer::lapsed, seg::Buyer::general}));
  const std::vector<seg::Preference> pref = {seg::Preference::positive, seg::Preference::unknown,
                                             seg::Preference::negative};
  const auto m = seg::crm_map(f, s, pref);
  EXPECT_EQ(m.customers, 3);
  EXPECT_EQ(m.segment[0].customers, 1);
  EXPECT_EQ(m.segment[0].net_revenue, 40);
  EXPECT_EQ(m.segment[0].purchase_days, 4);
  EXPECT_EQ(m.nine[0][0].customers, 1);  // loyal, positive
  EXPECT_EQ(m.nine[1][1].customers, 1);  // general, negative
  EXPECT_EQ(m.nine[2][2].customers, 1);  // lapsed, unknown
  const auto unknown = seg::crm_map(f, s, {});
  EXPECT_EQ(unknown.nine[0][2].customers, 1);
}

TEST(SegmentCrm, TransitionsCountCustomersAndRevenue) {
  Orders o;
  for (Day d : {0, 10, 20, 30}) o.add(0, d, 10);  // loyal on 100; lapsed on 600
  o.add(1, 50, 5);                                // general on 100; general on 300 after buying again
  o.add(1, 250, 8);
  o.add(2, 200, 9);  // new after 100
  o.add(3, 0, 1);    // general on 100, lapsed on 600
  const auto d = seg::index_orders(o.view(), 4);
  const auto t = seg::crm_transitions(d, 100, 300, {});
  EXPECT_EQ(t.customers[0][1], 1);  // loyal → general (last purchase 270 days before)
  EXPECT_EQ(t.customers[1][1], 2);  // general → general: customers 1 and 3
  EXPECT_EQ(t.net_revenue[1][1], 8);
  EXPECT_EQ(t.customers[3][1], 1);  // new → general
  EXPECT_EQ(t.net_revenue[3][1], 9);
  const auto late = seg::crm_transitions(d, 100, 600, {});
  EXPECT_EQ(late.customers[0][2], 1);  // loyal → lapsed
  EXPECT_THROW(seg::crm_transitions(d, 300, 300, {}), koko::Error);
  EXPECT_THROW(seg::crm_transitions(d, 300, 100, {}), koko::Error);
}

TEST(SegmentCore, PercentileRanksAverageTies) {
  const std::vector<double> v = {10, 20, 20, 30};
  EXPECT_EQ(seg::percentile_ranks(v), (std::vector<double>{0.25, 0.625, 0.625, 1.0}));
  const std::vector<double> same = {5, 5, 5};
  EXPECT_EQ(seg::percentile_ranks(same), (std::vector<double>{2.0 / 3, 2.0 / 3, 2.0 / 3}));
}

TEST(SegmentCore, TopKBreaksTiesByCustomerIdAscending) {
  const std::vector<double> score = {5, 9, 5, 5, 1};
  const std::vector<uint32_t> customer = {0, 1, 2, 3, 4};
  const std::vector<std::string> ids = {"c", "z", "a", "b", "d"};
  EXPECT_EQ(seg::top_k(score, customer, ids, 3), (std::vector<uint32_t>{1, 2, 3}));  // 9, then a, b (not c)
  EXPECT_EQ(seg::top_count(23570, 0.10), 2357u);
  EXPECT_EQ(seg::top_count(2960, 0.10), 296u);
  EXPECT_EQ(seg::top_count(5, 0.10), 1u);
  EXPECT_EQ(seg::top_count(0, 0.10), 0u);
}

TEST(SegmentCore, ComponentsAndUnknownsLeftOut) {
  Orders o;
  for (Day d : {0, 10, 20, 30}) o.add(0, d, 100);  // regular: gaps 10, 10, 10 → regularity 1
  o.add(1, 25, 10);
  const auto f = features_at(o, 30, 2);
  seg::CoreWeights w;
  w.w = {1, 1, 1, 1, 1, 1, 1};
  const std::vector<seg::Preference> pref = {seg::Preference::positive, seg::Preference::unknown};
  const std::vector<int8_t> nps = {10, 6};
  const auto s = seg::core_scores(f, pref, nps, w);
  // Customer 0: recency rank 1 (last on 30), frequency 1, monetary 1, tenure 1, regularity 1, preference 1,
  // advocacy 1 → 100. Customer 1: recency 0.5, frequency 0.5, monetary 0.5, tenure 0.5, regularity 0,
  // preference unknown (left out), advocacy 0 → (0.5 * 4 + 0 + 0) / 6.
  EXPECT_DOUBLE_EQ(s.score[0], 100.0);
  EXPECT_NEAR(s.score[1], 100.0 * 2.0 / 6, 1e-9);
  EXPECT_TRUE(std::isnan(s.component[seg::Component::preference][1]));
  EXPECT_FLOAT_EQ(s.component[seg::Component::advocacy][1], 0.0f);
  const auto rfm = seg::rfm_scores(f);
  EXPECT_DOUBLE_EQ(rfm[0], 3.0);
  EXPECT_DOUBLE_EQ(rfm[1], 1.5);
  w.w = {0, 0, 0, 0, 0, 1, 1};
  EXPECT_THROW(seg::core_scores(f, pref, nps, w), koko::Error);
  w.w = {1, -1, 0, 0, 0, 0, 0};
  EXPECT_THROW(seg::core_scores(f, pref, nps, w), koko::Error);
}

TEST(SegmentCore, HoldoutCheckHandComputed) {
  Orders o;
  // Calibration up to day 100. Customer 0 (id "a"): 3 days, 300 → top by both; holdout 50.
  // Customer 1 ("b"): 1 day, 10; holdout 200. Customer 2 ("c"): 2 days, 20; holdout 0. Customer 3 ("d"): 1 day, 5.
  for (Day d : {10, 50, 90}) o.add(0, d, 100);
  o.add(1, 20, 10);
  o.add(2, 30, 10);
  o.add(2, 95, 10);
  o.add(3, 5, 5);
  o.add(0, 150, 50);
  o.add(1, 160, 200);
  o.add(3, 170, -20);
  const auto d = seg::index_orders(o.view(), 4);
  const std::vector<std::string> ids = {"a", "b", "c", "d"};
  const auto h = seg::holdout_check(d, 100, ids, {}, 0.25);
  EXPECT_EQ(h.customers, 4);
  EXPECT_EQ(h.top, 1);
  EXPECT_EQ(h.holdout_net_revenue, 230);  // 50 + 200 - 20
  EXPECT_DOUBLE_EQ(h.core_capture, 50.0 / 230);
  EXPECT_DOUBLE_EQ(h.rfm_capture, 50.0 / 230);
  EXPECT_THROW(seg::holdout_check(d, 170, ids, {}, 0.25), koko::Error);  // empty holdout
  EXPECT_THROW(seg::holdout_check(d, 1, ids, {}, 0.25), koko::Error);    // nobody bought yet
}

TEST(SegmentN1, MedoidIsTheMiddleCustomer) {
  Orders o;
  // One purchase each on a different day: only recency varies, so the medoid is the median customer.
  const std::vector<Day> days = {990, 980, 970, 960, 100};
  for (uint32_t c = 0; c < days.size(); ++c) o.add(c, days[c], 10);
  const auto f = features_at(o, 1000, 5);
  std::vector<uint32_t> rows = {0, 1, 2, 3, 4};
  const auto p = seg::pick_n1(f, rows, {});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->pick, 2u);
  EXPECT_EQ(p->alternates.size(), 4u);  // everyone else, nearest first
  EXPECT_EQ(p->alternates.front(), 1u);
  EXPECT_EQ(std::count(p->alternates.begin(), p->alternates.end(), 2u), 0);
  EXPECT_FALSE(seg::pick_n1(f, {}, {}));
}

TEST(SegmentN1, DeterministicSampleAndDiverseAlternates) {
  Orders o;
  std::mt19937 rng(3);
  const uint32_t n = 3000;
  for (uint32_t c = 0; c < n; ++c) {
    const int k = 1 + static_cast<int>(rng() % 8);
    for (int j = 0; j < k; ++j) o.add(c, static_cast<Day>(rng() % 700), 100 + static_cast<int64_t>(rng() % 5000));
  }
  const auto f = features_at(o, 700, n);
  std::vector<uint32_t> rows(f.size());
  std::iota(rows.begin(), rows.end(), 0u);
  seg::N1Config cfg;
  cfg.sample_max = 1000;
  const auto a = seg::pick_n1(f, rows, cfg);
  std::vector<uint32_t> reversed(rows.rbegin(), rows.rend());
  const auto b = seg::pick_n1(f, reversed, cfg);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->sampled, 1000u);
  EXPECT_EQ(a->candidates, f.size());
  EXPECT_EQ(a->pick, b->pick);
  EXPECT_EQ(a->alternates, b->alternates);
  ASSERT_EQ(a->alternates.size(), 10u);
  std::vector<uint32_t> all = a->alternates;
  all.push_back(a->pick);
  std::sort(all.begin(), all.end());
  EXPECT_EQ(std::unique(all.begin(), all.end()), all.end());
  // Diverse: the alternates do not all share the pick's purchase days.
  int differ = 0;
  for (const uint32_t r : a->alternates) differ += f.purchase_days[r] != f.purchase_days[a->pick] ? 1 : 0;
  EXPECT_GE(differ, 5);
}

TEST(SegmentSurvey, CellsInManySpellings) {
  bool v = false;
  for (const char* yes : {"yes", "Y", "TRUE", "t", "1", "はい", "ｙｅｓ", " Yes ", "あり", "○"}) {
    EXPECT_EQ(seg::parse_yes_no(yes, v), seg::Cell::ok) << yes;
    EXPECT_TRUE(v) << yes;
  }
  for (const char* no : {"no", "N", "False", "f", "0", "いいえ", "なし", "×", "０"}) {
    EXPECT_EQ(seg::parse_yes_no(no, v), seg::Cell::ok) << no;
    EXPECT_FALSE(v) << no;
  }
  EXPECT_EQ(seg::parse_yes_no("", v), seg::Cell::empty);
  EXPECT_EQ(seg::parse_yes_no("　", v), seg::Cell::empty);
  EXPECT_EQ(seg::parse_yes_no("maybe", v), seg::Cell::invalid);
  EXPECT_EQ(seg::parse_yes_no("2", v), seg::Cell::invalid);
  int n = 0;
  EXPECT_EQ(seg::parse_whole("４", 10, n), seg::Cell::ok);
  EXPECT_EQ(n, 4);
  EXPECT_EQ(seg::parse_whole("4.0", 10, n), seg::Cell::ok);
  EXPECT_EQ(seg::parse_whole("10", 10, n), seg::Cell::ok);
  EXPECT_EQ(seg::parse_whole("11", 10, n), seg::Cell::invalid);
  EXPECT_EQ(seg::parse_whole("4.5", 10, n), seg::Cell::invalid);
  EXPECT_EQ(seg::parse_whole("-1", 10, n), seg::Cell::invalid);
  EXPECT_EQ(seg::parse_whole("very likely", 10, n), seg::Cell::invalid);
  double x = 0;
  EXPECT_EQ(seg::parse_amount("1.25", x), seg::Cell::ok);
  EXPECT_DOUBLE_EQ(x, 1.25);
  EXPECT_EQ(seg::parse_amount("1e3", x), seg::Cell::invalid);
}

namespace {

// A survey with one row per call; unanswered fields as the importer stores them.
struct SurveyBuilder {
  seg::Survey s;
  size_t add(const std::string& id, int aware, int ever, int within = -1, int months = -1, double freq = NAN,
             int intent = -1, double weight = 1, const std::string& wave = "1", Day last_day = seg::kNoDay,
             Day answered = seg::kNoDay) {
    s.respondent.push_back(id);
    s.wave.push_back(wave);
    s.customer_id.emplace_back();
    s.aware.push_back(static_cast<int8_t>(aware));
    s.ever_bought.push_back(static_cast<int8_t>(ever));
    s.bought_within.push_back(static_cast<int8_t>(within));
    s.last_bought_months.push_back(months);
    s.last_bought_day.push_back(last_day);
    s.frequency.push_back(freq);
    s.next_intent.push_back(static_cast<int8_t>(intent));
    s.nps.push_back(-1);
    s.weight.push_back(weight);
    s.survey_date.push_back(answered);
    s.line.push_back(static_cast<int64_t>(s.respondent.size() + 1));
    s.file.emplace_back("survey.csv");
    return s.respondent.size() - 1;
  }
};

}  // namespace

TEST(SegmentSurvey, MarketRulesAtTheirBoundaries) {
  SurveyBuilder b;
  b.add("loyal", 1, 1, 1, -1, 4);
  b.add("general", 1, 1, 1, -1, 3.5);
  b.add("months12", 1, 1, -1, 12, 1);
  b.add("months13", 1, 1, -1, 13, 1);
  b.add("anb", 1, 0);
  b.add("unaware", 0, -1);
  b.add("buyer_says_unaware", 0, 1, 0);  // a buyer is aware whatever the aware answer says
  const Day answered = koko::days_from_civil(2024, 3, 31);
  b.add("date_edge", 1, 1, -1, -1, 1, -1, 1, "1", koko::days_from_civil(2023, 3, 31), answered);
  b.add("date_out", 1, 1, -1, -1, 1, -1, 1, "1", koko::days_from_civil(2023, 3, 30), answered);
  const auto m = seg::classify_survey(b.s, {});
  using M = seg::Market;
  EXPECT_EQ(m, (std::vector<M>{M::loyal, M::general, M::general, M::lapsed, M::aware_non_buyer, M::unaware, M::lapsed,
                               M::general, M::lapsed}));
}

TEST(SegmentSurvey, UnplaceableRespondentsNameTheirLine) {
  SurveyBuilder b;
  b.add("ok", 1, 0);
  b.add("no_window", 1, 1);
  try {
    seg::classify_survey(b.s, {});
    FAIL();
  } catch (const koko::Error& e) {
    EXPECT_EQ(e.location, "survey.csv:3");
    EXPECT_NE(e.message.find("no_window"), std::string::npos);
  }
  SurveyBuilder c;
  c.add("no_frequency", 1, 1, 1);
  EXPECT_THROW(seg::classify_survey(c.s, {}), koko::Error);
  SurveyBuilder d;
  d.add("date_without_survey_date", 1, 1, -1, -1, 2, -1, 1, "1", 100);
  EXPECT_THROW(seg::classify_survey(d.s, {}), koko::Error);
  EXPECT_THROW(seg::check_market_rules({0, 4, 4, 7}), koko::Error);
  EXPECT_THROW(seg::check_market_rules({12, 0, 4, 7}), koko::Error);
  EXPECT_THROW(seg::check_market_rules({12, 4, 1, 7}), koko::Error);
}

TEST(SegmentSurvey, PreferenceScales) {
  const std::vector<int8_t> five = {1, 5, 3, -1};
  const std::vector<int8_t> eleven = {1, 5, 7, -1};
  const std::vector<int8_t> zero = {0, 3};
  EXPECT_EQ(seg::detect_scale(five), seg::IntentScale::five);
  EXPECT_EQ(seg::detect_scale(eleven), seg::IntentScale::eleven);
  EXPECT_EQ(seg::detect_scale(zero), seg::IntentScale::eleven);
  const seg::MarketRules r;
  EXPECT_EQ(seg::preference_of(4, seg::IntentScale::five, r), seg::Preference::positive);
  EXPECT_EQ(seg::preference_of(3, seg::IntentScale::five, r), seg::Preference::negative);
  EXPECT_EQ(seg::preference_of(7, seg::IntentScale::eleven, r), seg::Preference::positive);
  EXPECT_EQ(seg::preference_of(6, seg::IntentScale::eleven, r), seg::Preference::negative);
  EXPECT_EQ(seg::preference_of(-1, seg::IntentScale::five, r), seg::Preference::unknown);
}

TEST(SegmentSurvey, WilsonIntervalAtTheEffectiveSampleSize) {
  const auto e = seg::estimate_share(50, 50, 100, 100);
  EXPECT_DOUBLE_EQ(e.share, 0.5);
  EXPECT_NEAR(e.lo, 0.40383, 1e-5);  // Wilson 95 % for 50 / 100
  EXPECT_NEAR(e.hi, 0.59617, 1e-5);
  const auto zero = seg::estimate_share(0, 0, 10, 10);
  EXPECT_NEAR(zero.lo, 0, 1e-12);
  EXPECT_NEAR(zero.hi, 0.27753, 1e-5);
}

TEST(SegmentSurvey, WeightedMapsHandComputed) {
  SurveyBuilder b;
  // Weights 1, 1, 2, 2: n_eff = 6^2 / 10 = 3.6. Loyal weight 1 + 2 = 3 → share 0.5.
  b.add("r1", 1, 1, 1, -1, 5, 5, 1);
  b.add("r2", 1, 0, -1, -1, NAN, 2, 1);
  b.add("r3", 1, 1, 1, -1, 9, -1, 2);
  b.add("r4", 0, 0, -1, -1, NAN, -1, 2);
  const auto m = seg::classify_survey(b.s, {});
  std::vector<seg::Preference> pref;
  for (const int8_t a : b.s.next_intent) pref.push_back(seg::preference_of(a, seg::IntentScale::five, {}));
  const auto maps = seg::market_maps(b.s, m, pref);
  ASSERT_EQ(maps.size(), 1u);
  EXPECT_DOUBLE_EQ(maps[0].n_eff, 3.6);
  EXPECT_EQ(maps[0].respondents, 4);
  EXPECT_DOUBLE_EQ(maps[0].five[0].share, 0.5);
  EXPECT_EQ(maps[0].five[0].respondents, 2);
  EXPECT_DOUBLE_EQ(maps[0].five[3].share, 1.0 / 6);
  EXPECT_DOUBLE_EQ(maps[0].five[4].share, 2.0 / 6);
  EXPECT_DOUBLE_EQ(maps[0].nine[0][0].share, 1.0 / 6);  // loyal positive: r1
  EXPECT_DOUBLE_EQ(maps[0].nine[0][2].share, 2.0 / 6);  // loyal unknown: r3
  EXPECT_DOUBLE_EQ(maps[0].nine[3][1].share, 1.0 / 6);  // aware non-buyer negative: r2
  const auto ref = seg::estimate_share(2, 3, 6, 3.6);
  EXPECT_DOUBLE_EQ(maps[0].five[0].lo, ref.lo);
}

TEST(SegmentSurvey, WavesPanelAndConsistency) {
  SurveyBuilder b;
  b.add("a", 1, 1, 1, -1, 5, -1, 1, "10");
  b.add("b", 1, 0, -1, -1, NAN, -1, 1, "10");
  b.add("a", 1, 1, 0, -1, 1, -1, 1, "2");
  b.add("b", 1, 1, 1, -1, 1, -1, 1, "2");
  b.add("c", 0, 0, -1, -1, NAN, -1, 1, "2");
  EXPECT_EQ(seg::wave_order(b.s), (std::vector<std::string>{"2", "10"}));
  const auto m = seg::classify_survey(b.s, {});
  const auto f = seg::panel_flows(b.s, m, "2", "10");
  EXPECT_EQ(f.panel, 2);
  EXPECT_EQ(f.counts[2][0], 1);  // a: lapsed → loyal
  EXPECT_EQ(f.counts[1][3], 1);  // b: general → aware non-buyer
  const std::vector<int8_t> side = {0, 3, 2, 1, -1};
  const auto c = seg::consistency(m, side);
  EXPECT_EQ(c.linked, 4);
  EXPECT_EQ(c.agree, 4);
  const std::vector<int8_t> wrong = {1, 0, -1, -1, -1};
  EXPECT_EQ(seg::consistency(m, wrong).agree, 0);
}
