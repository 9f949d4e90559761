// Voice part 2 kernels on hand-built fixtures with known answers: TF-IDF, NPMI, NMF convergence, theme choice,
// log-odds z-scores (Monroe et al. 2008) and the who-reaches-it table.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "koko/core/error.hpp"
#include "koko/voice/themes.hpp"

using namespace koko::voice;

namespace {

DocTermMatrix matrix(const std::vector<std::vector<std::pair<uint32_t, float>>>& rows, uint32_t features) {
  DocTermMatrix m;
  for (const auto& r : rows) m.add_row(r);
  m.features = std::max(m.features, features);
  return m;
}

// Two blocks of rank one each: documents 0–5 use features 0–3, documents 6–11 features 4–7.
DocTermMatrix two_blocks() {
  std::vector<std::vector<std::pair<uint32_t, float>>> rows;
  for (uint32_t d = 0; d < 12; ++d) {
    const uint32_t base = d < 6 ? 0 : 4;
    std::vector<std::pair<uint32_t, float>> r;
    for (uint32_t f = 0; f < 4; ++f) r.emplace_back(base + f, static_cast<float>((1 + d % 3) * (1 + f)));
    rows.push_back(r);
  }
  return matrix(rows, 8);
}

}  // namespace

TEST(Themes, AddRowMergesAndSorts) {
  DocTermMatrix m;
  m.add_row({{3, 1}, {1, 2}, {3, 4}});
  m.add_row({});
  m.add_row({{0, 1}});
  ASSERT_EQ(m.docs(), 3u);
  EXPECT_EQ(m.features, 4u);
  EXPECT_EQ(m.column, (std::vector<uint32_t>{1, 3, 0}));
  EXPECT_EQ(m.value, (std::vector<float>{2, 5, 1}));
  EXPECT_EQ(m.row_start, (std::vector<uint64_t>{0, 2, 2, 3}));
}

TEST(Themes, TfidfMatchesHandComputation) {
  // 3 documents; feature 0 in all (dropped by max_df 0.9), 1 in two, 2 in one (dropped by min_df 2).
  const auto counts = matrix({{{0, 1}, {1, 2}}, {{0, 1}, {1, 1}, {2, 5}}, {{0, 3}}}, 3);
  std::vector<uint32_t> kept;
  const auto x = tfidf(counts, {.min_df = 2, .max_df = 0.9}, kept);
  EXPECT_EQ(kept, (std::vector<uint32_t>{1}));
  ASSERT_EQ(x.docs(), 3u);
  EXPECT_EQ(x.features, 1u);
  // One kept feature per document: L2 normalisation makes each present weight 1; document 2 is empty.
  EXPECT_EQ(x.row_start, (std::vector<uint64_t>{0, 1, 2, 2}));
  EXPECT_FLOAT_EQ(x.value[0], 1.0f);
  EXPECT_FLOAT_EQ(x.value[1], 1.0f);
  // Two kept features: idf(df=1 of n=2) = ln(3/2)+1, idf(df=2) = 1; tf 2 → 1+ln 2.
  const auto c2 = matrix({{{0, 2}, {1, 1}}, {{1, 1}}}, 2);
  const auto y = tfidf(c2, {.min_df = 1, .max_df = 1.0}, kept);
  const double a = (1 + std::log(2.0)) * (std::log(1.5) + 1), b = 1.0;
  EXPECT_NEAR(y.value[0], a / std::hypot(a, b), 1e-6);
  EXPECT_NEAR(y.value[1], b / std::hypot(a, b), 1e-6);
}

TEST(Themes, NpmiKnownValues) {
  // f0 and f1 in documents {0, 1}, f2 in {2, 3}, f3 in {0, 1, 2}.
  const auto counts = matrix({{{0, 1}, {1, 1}, {3, 1}}, {{0, 1}, {1, 1}, {3, 1}}, {{2, 1}, {3, 1}}, {{2, 1}}}, 4);
  const Postings p(counts);
  EXPECT_EQ(p.together(0, 1), 2u);
  EXPECT_EQ(p.together(0, 2), 0u);
  const uint32_t same[] = {0, 1};
  EXPECT_NEAR(npmi_coherence(p, same), 1.0, 1e-12);  // always together
  const uint32_t never[] = {0, 2};
  EXPECT_NEAR(npmi_coherence(p, never), -1.0, 1e-12);  // never together
  const uint32_t three[] = {0, 1, 2};
  EXPECT_NEAR(npmi_coherence(p, three), -1.0 / 3.0, 1e-12);
  const uint32_t partial[] = {0, 3};  // ln(0.5 / (0.5 · 0.75)) / −ln 0.5 = log2(4/3)
  EXPECT_NEAR(npmi_coherence(p, partial), 0.4150374992788437, 1e-12);
}

TEST(Themes, NmfRecoversBlocksAndConverges) {
  const auto x = two_blocks();
  const auto m = nmf(x, 2);
  EXPECT_TRUE(m.converged);
  EXPECT_GT(m.iterations, 0);
  EXPECT_LT(m.error, m.start_error + 1e-9);
  EXPECT_LT(m.error, 1e-3 * m.start_error + 1e-4);  // rank two: an exact fit
  const auto a = assign_themes(m);
  for (size_t d = 1; d < 6; ++d) EXPECT_EQ(a[d].theme, a[0].theme);
  for (size_t d = 7; d < 12; ++d) EXPECT_EQ(a[d].theme, a[6].theme);
  EXPECT_NE(a[0].theme, a[6].theme);
  for (const auto& t : a) {
    EXPECT_FALSE(t.low_confidence);
    EXPECT_GT(t.share, 0.99f);  // block-diagonal: no weight on the other theme
  }
  // Each theme's top features are its block's.
  const auto top = top_features(m, 4);
  for (uint32_t f : top[a[0].theme]) EXPECT_LT(f, 4u);
  for (uint32_t f : top[a[6].theme]) EXPECT_GE(f, 4u);
  // Deterministic: the same input gives the same bytes.
  const auto again = nmf(x, 2);
  EXPECT_EQ(m.w, again.w);
  EXPECT_EQ(m.h, again.h);
}

TEST(Themes, NmfErrorFallsMonotonically) {
  // A random non-negative matrix: HALS never raises the error.
  DocTermMatrix x;
  uint64_t s = 7;
  for (int d = 0; d < 40; ++d) {
    std::vector<std::pair<uint32_t, float>> r;
    for (uint32_t f = 0; f < 30; ++f) {
      s = s * 6364136223846793005ULL + 1442695040888963407ULL;
      if ((s >> 60) < 5) r.emplace_back(f, static_cast<float>((s >> 40) % 5 + 1));
    }
    x.add_row(r);
  }
  double last = 1e300;
  for (int it : {1, 2, 5, 20, 100}) {
    NmfOptions o;
    o.max_iterations = it;
    o.tolerance = 0;
    const auto m = nmf(x, 5, o);
    EXPECT_LE(m.error, last + 1e-6) << it;
    last = m.error;
  }
}

TEST(Themes, ChooseThemesPrefersTheTrueNumber) {
  // Three clean blocks of 3 features over 36 documents (each holds 2 of its block's 3): k = 3 is the most
  // coherent of 2..5, at NPMI ln(81/36) / ln 9 for every pair.
  std::vector<std::vector<std::pair<uint32_t, float>>> rows;
  for (uint32_t d = 0; d < 36; ++d) {
    const uint32_t base = (d % 3) * 3;
    std::vector<std::pair<uint32_t, float>> r;
    for (uint32_t f = 0; f < 3; ++f)
      if ((d / 3 + f) % 3 != 0) r.emplace_back(base + f, 1.0f);
    rows.push_back(r);
  }
  const auto counts = matrix(rows, 9);
  std::vector<uint32_t> kept;
  const auto w = tfidf(counts, {.min_df = 1, .max_df = 1.0}, kept);
  ASSERT_EQ(kept.size(), 9u);
  ThemeOptions o;
  o.k_min = 2;
  o.k_max = 5;
  o.coherence_terms = 5;
  const auto c = choose_themes(w, counts, o);
  for (const auto& [k, v] : c.coherence) std::printf("k %zu coherence %.4f\n", k, v);
  EXPECT_EQ(c.k, 3u);
  ASSERT_EQ(c.coherence.size(), 4u);
  EXPECT_EQ(c.coherence[1].first, 3u);
  EXPECT_NEAR(c.coherence[1].second, std::log(81.0 / 36) / std::log(9.0), 1e-9);
}

TEST(Themes, BadSizesAreClearErrors) {
  const auto x = two_blocks();
  try {
    (void)nmf(x, 13);
    FAIL() << "no error";
  } catch (const koko::Error& e) {
    EXPECT_NE(std::string(e.what()).find("13 themes asked of 12 texts"), std::string::npos) << e.what();
  }
  DocTermMatrix empty;
  empty.add_row({});
  EXPECT_THROW((void)choose_themes(empty, empty, {}), koko::Error);
}

TEST(Themes, EmptyDocumentsAreFlaggedNotDropped) {
  auto x = two_blocks();
  x.add_row({});
  const auto m = nmf(x, 2);
  const auto a = assign_themes(m);
  ASSERT_EQ(a.size(), 13u);
  EXPECT_TRUE(a[12].low_confidence);
  EXPECT_EQ(a[12].weight, 0.0f);
  EXPECT_LT(a[12].theme, 2u);
}

TEST(LogOdds, HandComputedZScores) {
  // a = (10, 0), b = (0, 10), alpha0 = 2 → α = (1, 1); δ_0 = ln(11/1) − ln(1/11) = 2 ln 11,
  // σ² = 1/11 + 1/1, z = 2 ln 11 / sqrt(12/11).
  const double a[] = {10, 0}, b[] = {0, 10};
  const auto r = log_odds_dirichlet(a, b, 2);
  EXPECT_NEAR(r[0].delta, 4.795790545596741, 1e-12);
  EXPECT_NEAR(r[0].z, 4.591619871475879, 1e-12);
  EXPECT_NEAR(r[1].z, -4.591619871475879, 1e-12);
  // Equal rates: zero. Default alpha0 = the pooled total (here 40): α = 40 · 10 / 40 = 10 for each word.
  const double c[] = {5, 15}, d[] = {5, 15};
  for (const auto& x : log_odds_dirichlet(c, d)) EXPECT_NEAR(x.z, 0, 1e-12);
  const double e[] = {8, 2}, f[] = {2, 8};
  const auto g = log_odds_dirichlet(e, f);
  // α = 10 each, n = 10 per group, α0 = 20: δ_0 = ln(18/12) − ln(12/18) = 2 ln 1.5; σ² = 1/18 + 1/12.
  EXPECT_NEAR(g[0].delta, 2 * std::log(1.5), 1e-12);
  EXPECT_NEAR(g[0].z, 2 * std::log(1.5) / std::sqrt(1.0 / 18 + 1.0 / 12), 1e-12);
  // A word neither group uses scores zero instead of NaN.
  const double h[] = {0, 4}, i[] = {0, 4};
  EXPECT_EQ(log_odds_dirichlet(h, i)[0].z, 0);
}

TEST(Reach, CategoricalAndNumeric) {
  // 10 customers: 4 reached. habit "many" 4 of them (3 reached), "one" 6 (1 reached).
  std::vector<AttributeColumn> cols(2);
  cols[0].name = "habit";
  cols[0].values = {"many", "many", "many", "one", "many", "one", "one", "one", "one", "one"};
  cols[1].name = "age";
  cols[1].values = {"30", "32", "34", "60", "50", "52", "48", "", "54", "56"};
  const std::vector<uint8_t> reached = {1, 1, 1, 1, 0, 0, 0, 0, 0, 0};
  const auto rows = reach_table(cols, reached, 4);
  const ReachRow* many = nullptr;
  const ReachRow* age = nullptr;
  for (const auto& r : rows) {
    if (r.attribute == "habit" && r.level == "many") many = &r;
    if (r.attribute == "age") age = &r;
  }
  ASSERT_NE(many, nullptr);
  EXPECT_EQ(many->reached, 3u);
  EXPECT_EQ(many->not_reached, 1u);
  EXPECT_DOUBLE_EQ(many->reached_share, 0.75);
  EXPECT_NEAR(many->not_reached_share, 1.0 / 6, 1e-12);
  EXPECT_DOUBLE_EQ(many->reach_rate, 0.75);
  EXPECT_NEAR(many->lift, 0.75 / (1.0 / 6), 1e-12);
  // Two-proportion z: p = 0.4, se = sqrt(0.24 · (1/4 + 1/6)).
  EXPECT_NEAR(many->z, (0.75 - 1.0 / 6) / std::sqrt(0.24 * (0.25 + 1.0 / 6)), 1e-12);
  ASSERT_NE(age, nullptr);
  EXPECT_TRUE(age->numeric);
  EXPECT_EQ(age->reached, 4u);
  EXPECT_EQ(age->not_reached, 5u);
  EXPECT_DOUBLE_EQ(age->mean_reached, 39.0);
  EXPECT_DOUBLE_EQ(age->mean_not_reached, 52.0);
  EXPECT_LT(age->effect, -1.0);  // Cohen's d: a large difference
}
