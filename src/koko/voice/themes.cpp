// Themes: TF-IDF → NMF (NNDSVD start, HALS updates) → NPMI coherence over k → one best theme per document.
#include "koko/voice/themes.hpp"

#include <fmt/format.h>

#include <Eigen/Dense>
#include <Eigen/SparseCore>
#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <numeric>
#include <optional>
#include <random>

#include "koko/core/cores.hpp"
#include "koko/core/error.hpp"
#include "koko/core/parallel.hpp"

namespace koko::voice {

namespace {

using Sparse = Eigen::SparseMatrix<float, Eigen::RowMajor, int64_t>;
using Dense = Eigen::MatrixXf;
using DenseD = Eigen::MatrixXd;

Sparse to_eigen(const DocTermMatrix& x) {
  std::vector<Eigen::Triplet<float, int64_t>> t;
  t.reserve(x.column.size());
  for (size_t r = 0; r < x.docs(); ++r)
    for (uint64_t i = x.row_start[r]; i < x.row_start[r + 1]; ++i)
      t.emplace_back(static_cast<int64_t>(r), static_cast<int64_t>(x.column[i]), x.value[i]);
  Sparse s(static_cast<int64_t>(x.docs()), static_cast<int64_t>(x.features));
  s.setFromTriplets(t.begin(), t.end());
  return s;
}

DenseD orthonormal(const DenseD& y) {
  Eigen::HouseholderQR<DenseD> qr(y);
  return qr.householderQ() * DenseD::Identity(y.rows(), y.cols());
}

// Top-k singular triplets of X by a randomised range finder with power iterations (Halko, Martinsson & Tropp
// 2011). The test matrix comes from a seeded Mersenne Twister (its output is fixed by the standard).
struct Svd {
  DenseD u;  // docs × k
  Eigen::VectorXd s;
  DenseD v;  // features × k
};

Svd truncated_svd(const Sparse& x, size_t k, uint64_t seed) {
  const auto n = x.rows(), m = x.cols();
  const auto l = std::min<int64_t>(static_cast<int64_t>(k) + 10, std::min(n, m));
  std::mt19937_64 rng(seed);
  DenseD omega(m, l);
  for (int64_t j = 0; j < l; ++j)
    for (int64_t i = 0; i < m; ++i) omega(i, j) = static_cast<double>(rng() >> 11) * 0x1.0p-53 * 2.0 - 1.0;
  const Eigen::SparseMatrix<double, Eigen::RowMajor, int64_t> xd = x.cast<double>();
  DenseD q = orthonormal(xd * omega);
  for (int it = 0; it < 4; ++it) {
    const DenseD z = orthonormal(xd.transpose() * q);
    q = orthonormal(xd * z);
  }
  const DenseD b = (xd.transpose() * q).transpose();  // l × m
  Eigen::BDCSVD<DenseD> svd(b, Eigen::ComputeThinU | Eigen::ComputeThinV);
  Svd out;
  const auto kk = static_cast<int64_t>(k);
  out.u = (q * svd.matrixU()).leftCols(kk);
  out.s = svd.singularValues().head(kk);
  out.v = svd.matrixV().leftCols(kk);
  return out;
}

// NNDSVD (Boutsidis & Gallopoulos 2008): each singular pair split into its positive and negative parts, the larger
// kept. Zeros stay zeros; HALS's additive updates can still move them.
void nndsvd(const Sparse& x, size_t k, uint64_t seed, Dense& w, Dense& h) {
  const Svd svd = truncated_svd(x, k, seed);
  const auto n = x.rows(), m = x.cols();
  w = Dense::Zero(n, static_cast<int64_t>(k));
  h = Dense::Zero(static_cast<int64_t>(k), m);
  for (int64_t j = 0; j < static_cast<int64_t>(k); ++j) {
    const Eigen::VectorXd u = svd.u.col(j), v = svd.v.col(j);
    const double s = svd.s(j);
    if (j == 0) {
      w.col(0) = (std::sqrt(s) * u.cwiseAbs()).cast<float>();
      h.row(0) = (std::sqrt(s) * v.cwiseAbs()).transpose().cast<float>();
      continue;
    }
    const Eigen::VectorXd up = u.cwiseMax(0.0), un = (-u).cwiseMax(0.0);
    const Eigen::VectorXd vp = v.cwiseMax(0.0), vn = (-v).cwiseMax(0.0);
    const double nup = up.norm(), nvp = vp.norm(), nun = un.norm(), nvn = vn.norm();
    const double mp = nup * nvp, mn = nun * nvn;
    if (mp == 0 && mn == 0) continue;
    const bool pos = mp >= mn;
    const double sigma = pos ? mp : mn;
    const double scale = std::sqrt(s * sigma);
    w.col(j) = (scale * (pos ? up / nup : un / nun)).cast<float>();
    h.row(j) = (scale * (pos ? vp / nvp : vn / nvn)).transpose().cast<float>();
  }
}

}  // namespace

void DocTermMatrix::add_row(std::vector<std::pair<uint32_t, float>> entries) {
  std::sort(entries.begin(), entries.end());
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].first >= features) features = entries[i].first + 1;
    if (!column.empty() && column.size() > row_start.back() && column.back() == entries[i].first) {
      value.back() += entries[i].second;
      continue;
    }
    column.push_back(entries[i].first);
    value.push_back(entries[i].second);
  }
  row_start.push_back(column.size());
}

DocTermMatrix tfidf(const DocTermMatrix& counts, const VocabularyOptions& opt, std::vector<uint32_t>& kept) {
  const size_t n = counts.docs();
  std::vector<uint32_t> df(counts.features, 0);
  for (uint32_t c : counts.column) ++df[c];
  const auto max_df = static_cast<uint64_t>(std::floor(opt.max_df * static_cast<double>(n)));
  std::vector<int64_t> renumber(counts.features, -1);
  std::vector<float> idf;
  kept.clear();
  for (uint32_t f = 0; f < counts.features; ++f) {
    if (df[f] < opt.min_df || df[f] > std::max<uint64_t>(max_df, 1)) continue;
    renumber[f] = static_cast<int64_t>(kept.size());
    kept.push_back(f);
    idf.push_back(static_cast<float>(std::log((1.0 + static_cast<double>(n)) / (1.0 + df[f])) + 1.0));
  }
  DocTermMatrix out;
  out.features = static_cast<uint32_t>(kept.size());
  out.row_start.reserve(n + 1);
  for (size_t r = 0; r < n; ++r) {
    const uint64_t first = out.column.size();
    double norm = 0;
    for (uint64_t i = counts.row_start[r]; i < counts.row_start[r + 1]; ++i) {
      const int64_t c = renumber[counts.column[i]];
      if (c < 0 || counts.value[i] <= 0) continue;
      const float v = (1.0f + std::log(counts.value[i])) * idf[static_cast<size_t>(c)];
      out.column.push_back(static_cast<uint32_t>(c));
      out.value.push_back(v);
      norm += static_cast<double>(v) * v;
    }
    if (norm > 0) {
      const auto inv = static_cast<float>(1.0 / std::sqrt(norm));
      for (uint64_t i = first; i < out.column.size(); ++i) out.value[i] *= inv;
    }
    out.row_start.push_back(out.column.size());
  }
  return out;
}

NmfModel nmf(const DocTermMatrix& xm, size_t k, const NmfOptions& opt) {
  if (k == 0 || k > xm.docs() || k > xm.features)
    throw Error(ErrorCode::usage,
                fmt::format("{} themes asked of {} texts with {} distinct terms", k, xm.docs(), xm.features), {},
                "ask for at most as many themes as there are texts and terms");
  const Sparse x = to_eigen(xm);
  const Sparse xt = x.transpose();
  Dense w, h;
  nndsvd(x, k, opt.seed, w, h);
  const double x2 = x.cast<double>().squaredNorm();
  const auto kk = static_cast<int64_t>(k);
  auto error_of = [&](const Dense& xht, const Dense& hht) {
    const Dense wtw = w.transpose() * w;
    const double e2 = x2 - 2.0 * (w.cast<double>().array() * xht.cast<double>().array()).sum() +
                      (wtw.cast<double>().array() * hht.cast<double>().array()).sum();
    return std::sqrt(std::max(0.0, e2));
  };
  NmfModel out;
  {
    const Dense xht = x * h.transpose();
    out.start_error = error_of(xht, h * h.transpose());
  }
  double previous = out.start_error;
  out.error = previous;
  for (int it = 1; it <= opt.max_iterations; ++it) {
    // H, one row at a time (Gauss–Seidel), against W^T X and W^T W.
    const Dense wtx = (xt * w).transpose();  // k × features
    const Dense wtw = w.transpose() * w;
    for (int64_t t = 0; t < kk; ++t) {
      if (wtw(t, t) <= 0) continue;
      h.row(t) = (h.row(t) + (wtx.row(t) - wtw.row(t) * h) / wtw(t, t)).cwiseMax(0.0f);
    }
    // W, one column at a time, against X H^T and H H^T.
    const Dense xht = x * h.transpose();  // docs × k
    const Dense hht = h * h.transpose();
    for (int64_t t = 0; t < kk; ++t) {
      if (hht(t, t) <= 0) continue;
      w.col(t) = (w.col(t) + (xht.col(t) - w * hht.col(t)) / hht(t, t)).cwiseMax(0.0f);
    }
    out.iterations = it;
    out.error = error_of(xht, hht);
    if (previous - out.error < opt.tolerance * out.start_error) {
      out.converged = true;
      break;
    }
    previous = out.error;
  }
  // Unit-norm theme rows: w then reads in the units of a document's (unit-norm) TF-IDF vector.
  for (int64_t t = 0; t < kk; ++t) {
    const float norm = h.row(t).norm();
    if (norm <= 0) continue;
    h.row(t) /= norm;
    w.col(t) *= norm;
  }
  out.docs = xm.docs();
  out.k = k;
  out.features = xm.features;
  out.w.resize(out.docs * k);
  out.h.resize(k * out.features);
  Eigen::Map<Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(out.w.data(), x.rows(), kk) = w;
  Eigen::Map<Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(out.h.data(), kk, x.cols()) = h;
  return out;
}

Postings::Postings(const DocTermMatrix& counts) : docs_(counts.docs()), start_(counts.features + 1, 0) {
  for (uint32_t c : counts.column) ++start_[c + 1];
  std::partial_sum(start_.begin(), start_.end(), start_.begin());
  doc_.resize(counts.column.size());
  std::vector<uint64_t> at(start_.begin(), start_.end() - 1);
  for (size_t r = 0; r < counts.docs(); ++r)
    for (uint64_t i = counts.row_start[r]; i < counts.row_start[r + 1]; ++i)
      doc_[at[counts.column[i]]++] = static_cast<uint32_t>(r);
}

std::span<const uint32_t> Postings::of(uint32_t f) const {
  if (f + 1 >= start_.size()) return {};
  return {doc_.data() + start_[f], doc_.data() + start_[f + 1]};
}

uint64_t Postings::together(uint32_t a, uint32_t b) const {
  const auto x = of(a), y = of(b);
  uint64_t n = 0;
  size_t i = 0, j = 0;
  while (i < x.size() && j < y.size()) {
    if (x[i] < y[j]) {
      ++i;
    } else if (y[j] < x[i]) {
      ++j;
    } else {
      ++n, ++i, ++j;
    }
  }
  return n;
}

double npmi_coherence(const Postings& p, std::span<const uint32_t> top) {
  const auto n = static_cast<double>(p.docs());
  double sum = 0;
  size_t pairs = 0;
  for (size_t i = 0; i < top.size(); ++i)
    for (size_t j = i + 1; j < top.size(); ++j) {
      ++pairs;
      const auto both = static_cast<double>(p.together(top[i], top[j]));
      if (both == 0) {
        sum -= 1;
        continue;
      }
      const double pij = both / n;
      const double pi = static_cast<double>(p.of(top[i]).size()) / n;
      const double pj = static_cast<double>(p.of(top[j]).size()) / n;
      sum += pij >= 1.0 ? 1.0 : std::log(pij / (pi * pj)) / -std::log(pij);
    }
  return pairs ? sum / static_cast<double>(pairs) : 0;
}

std::vector<std::vector<uint32_t>> top_features(const NmfModel& m, size_t n) {
  std::vector<std::vector<uint32_t>> out(m.k);
  for (size_t t = 0; t < m.k; ++t) {
    const float* row = m.h.data() + t * m.features;
    // Weights under a thousandth of the theme's largest are rounding, not membership.
    const float floor = m.features ? *std::max_element(row, row + m.features) * 1e-3f : 0.0f;
    std::vector<uint32_t> idx;
    for (uint32_t f = 0; f < m.features; ++f)
      if (row[f] > floor) idx.push_back(f);
    const size_t keep = std::min(n, idx.size());
    std::partial_sort(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(keep), idx.end(),
                      [&](uint32_t a, uint32_t b) { return row[a] != row[b] ? row[a] > row[b] : a < b; });
    idx.resize(keep);
    out[t] = std::move(idx);
  }
  return out;
}

ThemeChoice choose_themes(const DocTermMatrix& weights, const DocTermMatrix& counts, const ThemeOptions& opt) {
  const size_t cap = std::min(weights.docs(), static_cast<size_t>(weights.features));
  if (cap == 0)
    throw Error(ErrorCode::input, "no terms left to find themes in", {},
                "import more texts, or lower voice.themes_min_df");
  std::vector<size_t> ks;
  if (opt.k > 0) {
    if (opt.k > cap)
      throw Error(
          ErrorCode::usage,
          fmt::format("{} themes asked of {} texts with {} distinct terms", opt.k, weights.docs(), weights.features),
          {}, fmt::format("use --k {} or fewer", cap));
    ks.push_back(opt.k);
  } else {
    for (size_t k = std::max<size_t>(opt.k_min, 1); k <= std::min(opt.k_max, cap); ++k) ks.push_back(k);
    if (ks.empty()) ks.push_back(std::min(std::max<size_t>(opt.k_min, 1), cap));
  }
  const Postings postings(counts);
  std::vector<NmfModel> models(ks.size());
  std::vector<double> coherence(ks.size(), 0);
  const unsigned threads =
      std::min<unsigned>(opt.threads ? opt.threads : usable_cores(), static_cast<unsigned>(ks.size()));
  parallel_indices(ks.size(), threads, [&](unsigned, const auto& next) {
    for (size_t i = 0; next(i);) {
      models[i] = nmf(weights, ks[i], opt.nmf);
      double sum = 0;
      const auto top = top_features(models[i], opt.coherence_terms);
      for (const auto& t : top) sum += npmi_coherence(postings, t);
      coherence[i] = top.empty() ? -1 : sum / static_cast<double>(top.size());
    }
  });
  ThemeChoice out;
  size_t best = 0;
  for (size_t i = 0; i < ks.size(); ++i) {
    out.coherence.emplace_back(ks[i], coherence[i]);
    if (coherence[i] > coherence[best] + 1e-12) best = i;
  }
  out.k = ks[best];
  out.model = std::move(models[best]);
  return out;
}

std::vector<ThemeAssignment> assign_themes(const NmfModel& m, double min_share) {
  std::vector<ThemeAssignment> out(m.docs);
  std::vector<uint64_t> size(m.k, 0);
  for (size_t d = 0; d < m.docs; ++d) {
    const float* row = m.w.data() + d * m.k;
    const auto best = static_cast<uint32_t>(std::max_element(row, row + m.k) - row);
    double sum = 0;
    for (size_t t = 0; t < m.k; ++t) sum += row[t];
    auto& a = out[d];
    a.theme = best;
    a.weight = row[best];
    a.share = sum > 0 ? static_cast<float>(row[best] / sum) : 0.0f;
    a.low_confidence = sum <= 0 || a.share < min_share;
    if (sum > 0) ++size[best];
  }
  const auto largest = static_cast<uint32_t>(std::max_element(size.begin(), size.end()) - size.begin());
  for (auto& a : out)
    if (a.weight <= 0) a.theme = largest;
  return out;
}

std::vector<LogOdds> log_odds_dirichlet(std::span<const double> a, std::span<const double> b, double alpha0) {
  if (a.size() != b.size()) throw Error(ErrorCode::internal, "log_odds_dirichlet: groups of different sizes");
  const double na = std::accumulate(a.begin(), a.end(), 0.0), nb = std::accumulate(b.begin(), b.end(), 0.0);
  const double total = na + nb;
  if (alpha0 <= 0) alpha0 = total;
  std::vector<LogOdds> out(a.size());
  if (total <= 0) return out;
  for (size_t w = 0; w < a.size(); ++w) {
    const double alpha = alpha0 * (a[w] + b[w]) / total;
    if (alpha <= 0) continue;
    const double la = std::log((a[w] + alpha) / (na + alpha0 - a[w] - alpha));
    const double lb = std::log((b[w] + alpha) / (nb + alpha0 - b[w] - alpha));
    out[w].delta = la - lb;
    out[w].z = out[w].delta / std::sqrt(1.0 / (a[w] + alpha) + 1.0 / (b[w] + alpha));
  }
  return out;
}

namespace {

std::optional<double> as_number(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || *end != '\0' || !std::isfinite(v)) return std::nullopt;
  return v;
}

double two_proportion_z(double x1, double n1, double x2, double n2) {
  if (n1 <= 0 || n2 <= 0) return 0;
  const double p = (x1 + x2) / (n1 + n2);
  const double se = std::sqrt(p * (1 - p) * (1 / n1 + 1 / n2));
  return se > 0 ? (x1 / n1 - x2 / n2) / se : 0;
}

}  // namespace

std::vector<ReachRow> reach_table(std::span<const AttributeColumn> attributes, std::span<const uint8_t> reached,
                                  uint64_t min_count) {
  std::vector<ReachRow> out;
  uint64_t total_reached = 0;
  for (uint8_t r : reached) total_reached += r ? 1 : 0;
  const uint64_t total_not = reached.size() - total_reached;
  for (const auto& a : attributes) {
    if (a.values.size() != reached.size())
      throw Error(ErrorCode::internal, "reach_table: attribute and reached of different lengths");
    uint64_t known = 0, numeric = 0;
    for (const auto& v : a.values) {
      if (v.empty()) continue;
      ++known;
      numeric += as_number(v) ? 1 : 0;
    }
    if (known == 0) continue;
    if (static_cast<double>(numeric) >= 0.9 * static_cast<double>(known)) {
      double s[2] = {0, 0}, s2[2] = {0, 0};
      uint64_t n[2] = {0, 0};
      for (size_t i = 0; i < reached.size(); ++i) {
        const auto v = as_number(a.values[i]);
        if (!v) continue;
        const int g = reached[i] ? 0 : 1;
        s[g] += *v, s2[g] += *v * *v, ++n[g];
      }
      if (n[0] < 2 || n[1] < 2) continue;
      ReachRow r;
      r.attribute = a.name;
      r.numeric = true;
      r.reached = n[0], r.not_reached = n[1];
      r.reached_share = static_cast<double>(n[0]) / std::max<double>(1, static_cast<double>(total_reached));
      r.not_reached_share = static_cast<double>(n[1]) / std::max<double>(1, static_cast<double>(total_not));
      const double m0 = s[0] / static_cast<double>(n[0]), m1 = s[1] / static_cast<double>(n[1]);
      const double v0 = (s2[0] - static_cast<double>(n[0]) * m0 * m0) / static_cast<double>(n[0] - 1);
      const double v1 = (s2[1] - static_cast<double>(n[1]) * m1 * m1) / static_cast<double>(n[1] - 1);
      const double pooled =
          std::sqrt(std::max(0.0, ((static_cast<double>(n[0]) - 1) * v0 + (static_cast<double>(n[1]) - 1) * v1) /
                                      static_cast<double>(n[0] + n[1] - 2)));
      r.mean_reached = m0, r.mean_not_reached = m1;
      r.effect = pooled > 0 ? (m0 - m1) / pooled : 0;
      const double se = std::sqrt(std::max(0.0, v0 / static_cast<double>(n[0]) + v1 / static_cast<double>(n[1])));
      r.z = se > 0 ? (m0 - m1) / se : 0;
      r.lift = m1 != 0 ? m0 / m1 : 0;
      r.reach_rate = static_cast<double>(n[0]) / static_cast<double>(n[0] + n[1]);
      out.push_back(std::move(r));
      continue;
    }
    std::map<std::string, std::array<uint64_t, 2>> levels;
    for (size_t i = 0; i < reached.size(); ++i)
      if (!a.values[i].empty()) ++levels[a.values[i]][reached[i] ? 0 : 1];
    if (levels.size() < 2) continue;
    for (const auto& [level, c] : levels) {
      if (c[0] + c[1] < min_count) continue;
      ReachRow r;
      r.attribute = a.name;
      r.level = level;
      r.reached = c[0], r.not_reached = c[1];
      r.reached_share = total_reached ? static_cast<double>(c[0]) / static_cast<double>(total_reached) : 0;
      r.not_reached_share = total_not ? static_cast<double>(c[1]) / static_cast<double>(total_not) : 0;
      const double with = static_cast<double>(c[0] + c[1]);
      const double without = static_cast<double>(reached.size()) - with;
      const double reached_without = static_cast<double>(total_reached - c[0]);
      r.reach_rate = static_cast<double>(c[0]) / with;
      const double rate_without = without > 0 ? reached_without / without : 0;
      r.lift = rate_without > 0 ? r.reach_rate / rate_without : 0;
      r.effect = r.reached_share - r.not_reached_share;
      r.z = two_proportion_z(static_cast<double>(c[0]), with, reached_without, without);
      out.push_back(std::move(r));
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const ReachRow& x, const ReachRow& y) {
    if (std::abs(x.z) != std::abs(y.z)) return std::abs(x.z) > std::abs(y.z);
    if (x.attribute != y.attribute) return x.attribute < y.attribute;
    return x.level < y.level;
  });
  return out;
}

}  // namespace koko::voice
