#pragma once
// Voice of the customer, part 2 kernels: themes (NMF on TF-IDF, NNDSVD start, the number of themes chosen by NPMI
// coherence), distinctive language (log-odds ratio with an informative Dirichlet prior, Monroe, Colaresi & Quinn
// 2008) and the attribute table of who reaches the core experience. Pure functions over plain structs.
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace koko::voice {

// Documents × features (term or phrase ids, as the caller numbers them), compressed rows with ascending columns.
struct DocTermMatrix {
  uint32_t features = 0;
  std::vector<uint64_t> row_start{0};
  std::vector<uint32_t> column;
  std::vector<float> value;
  [[nodiscard]] size_t docs() const { return row_start.size() - 1; }
  // Appends a document; entries in any order, repeated columns are summed.
  void add_row(std::vector<std::pair<uint32_t, float>> entries);
};

// Features kept for TF-IDF: in at least min_df documents and at most max_df of them (a share).
struct VocabularyOptions {
  uint32_t min_df = 2;
  double max_df = 0.5;
};

// Sublinear TF-IDF (1 + ln tf) × (ln((1 + n) / (1 + df)) + 1), rows L2-normalised (scikit-learn's smooth idf);
// columns renumbered to the kept features: kept[new] = old.
DocTermMatrix tfidf(const DocTermMatrix& counts, const VocabularyOptions& opt, std::vector<uint32_t>& kept);

struct NmfOptions {
  int max_iterations = 400;
  double tolerance = 1e-4;   // stop when an iteration lowers ||X − WH|| by less than this share of the start
  uint64_t seed = 20080601;  // the randomised SVD behind NNDSVD (same seed, same themes)
};

struct NmfModel {
  size_t docs = 0, k = 0, features = 0;
  std::vector<float> w;  // docs × k, row-major: each document's weight on each theme
  std::vector<float> h;  // k × features, row-major; rows have unit L2 norm (the scale is in w)
  int iterations = 0;
  bool converged = false;
  double start_error = 0, error = 0;  // ||X − WH||_F after NNDSVD and at the end
};

// X ≈ WH with W, H ≥ 0: NNDSVD start (Boutsidis & Gallopoulos 2008) from a seeded randomised SVD, then
// hierarchical alternating least squares (Cichocki & Phan 2009). Deterministic. k must be in [1, min(docs, features)].
NmfModel nmf(const DocTermMatrix& x, size_t k, const NmfOptions& opt = {});

// Which documents hold each feature (from a count matrix), for co-occurrence.
class Postings {
 public:
  explicit Postings(const DocTermMatrix& counts);
  [[nodiscard]] size_t docs() const { return docs_; }
  [[nodiscard]] std::span<const uint32_t> of(uint32_t feature) const;
  [[nodiscard]] uint64_t together(uint32_t a, uint32_t b) const;  // documents holding both

 private:
  size_t docs_ = 0;
  std::vector<uint64_t> start_;
  std::vector<uint32_t> doc_;
};

// Mean normalised PMI over the pairs of `top` (document co-occurrence; a pair never seen together scores −1).
double npmi_coherence(const Postings& p, std::span<const uint32_t> top);

// The strongest features of each theme, by weight (weights above a thousandth of the theme's largest).
std::vector<std::vector<uint32_t>> top_features(const NmfModel& m, size_t n);

struct ThemeOptions {
  size_t k = 0;  // fixed number of themes; 0 = choose by coherence in [k_min, k_max]
  size_t k_min = 4, k_max = 12;
  size_t coherence_terms = 10;
  NmfOptions nmf;
  unsigned threads = 0;  // fits run in parallel over k (0 = every core)
};

struct ThemeChoice {
  std::vector<std::pair<size_t, double>> coherence;  // (k, mean NPMI) for every k tried
  size_t k = 0;
  NmfModel model;
};

// Fits every k (capped by the documents and features) and keeps the most coherent; ties go to the smaller k.
// `counts` and `weights` must have the same rows and columns (weights = tfidf of counts, columns renumbered).
ThemeChoice choose_themes(const DocTermMatrix& weights, const DocTermMatrix& counts, const ThemeOptions& opt);

struct ThemeAssignment {
  uint32_t theme = 0;
  float weight = 0;  // the document's loading on its theme
  float share = 0;   // that loading over all its loadings, in [0, 1]
  bool low_confidence = false;
};

// Every document gets its best theme (no outlier bucket). A document whose share is below min_share is flagged;
// one with no loading at all (no kept feature) goes to the largest theme, flagged, weight 0.
std::vector<ThemeAssignment> assign_themes(const NmfModel& m, double min_share = 0.4);

// ---- Distinctive language ------------------------------------------------------------------------------------

struct LogOdds {
  double delta = 0;  // log-odds ratio, group a over group b
  double z = 0;      // delta / its standard deviation; positive = distinctive of a
};

// Monroe, Colaresi & Quinn (2008), eq. 16–20, with the informative prior α_w = alpha0 · (a_w + b_w) / (n_a + n_b)
// (the pooled corpus as background). alpha0 ≤ 0 means the pooled total (prior as strong as the data).
std::vector<LogOdds> log_odds_dirichlet(std::span<const double> a, std::span<const double> b, double alpha0 = 0);

// ---- Who reaches it ------------------------------------------------------------------------------------------

// One attribute's values for the customers compared (reached or not); empty = unknown.
struct AttributeColumn {
  std::string name;
  std::vector<std::string> values;
};

struct ReachRow {
  std::string attribute, level;  // level "" for a numeric attribute
  bool numeric = false;
  uint64_t reached = 0, not_reached = 0;            // customers with this level (numeric: with a value)
  double reached_share = 0, not_reached_share = 0;  // share of each group with this level
  double reach_rate = 0;                            // share of customers with this level who reached it
  double lift = 0;    // reach rate with the level / reach rate without it (numeric: ratio of means)
  double effect = 0;  // difference of shares in points (categorical) or Cohen's d (numeric)
  double z = 0;       // two-proportion z (categorical) or Welch t (numeric)
  double mean_reached = 0, mean_not_reached = 0;  // numeric only
};

// Categorical attributes: each level with at least min_count customers; numeric ones (≥ 90 % of known values
// parse as numbers): means and Cohen's d. Sorted by |z|, strongest first.
std::vector<ReachRow> reach_table(std::span<const AttributeColumn> attributes, std::span<const uint8_t> reached,
                                  uint64_t min_count = 5);

}  // namespace koko::voice
