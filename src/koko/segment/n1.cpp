// N1 picks: one real, representative customer per segment to interview, plus diverse alternates.
// The medoid is exact over a deterministic sample (at most sample_max members, chosen by a hash of the customer
// key, so the same data give the same sample in any row order); distances are Euclidean in standardised units.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <numeric>
#include <thread>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include "koko/core/cores.hpp"
#include "koko/segment/segment.hpp"

namespace koko::segment {
namespace {

constexpr size_t kDims = 6;
constexpr int kLloydIterations = 5;

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Points in structure-of-arrays layout, padded to a multiple of 8 with copies of the last point's coordinates
// (their distances are computed and ignored).
struct Points {
  size_t n = 0;
  size_t padded = 0;
  std::array<std::vector<float>, kDims> x;

  [[nodiscard]] double dist(size_t a, size_t b) const {
    double s = 0;
    for (size_t d = 0; d < kDims; ++d) {
      const double t = static_cast<double>(x[d][a]) - x[d][b];
      s += t * t;
    }
    return std::sqrt(s);
  }
  [[nodiscard]] double dist_to(size_t a, const std::array<double, kDims>& c) const {
    double s = 0;
    for (size_t d = 0; d < kDims; ++d) {
      const double t = x[d][a] - c[d];
      s += t * t;
    }
    return std::sqrt(s);
  }
};

std::array<double, kDims> raw_features(const Features& f, uint32_t r) {
  auto l1p = [](double v) { return std::log1p(std::max(0.0, v)); };
  return {l1p(f.purchase_days[r]),
          l1p(static_cast<double>(f.net_revenue[r])),
          static_cast<double>(f.recency_days[r]),
          l1p(f.active_span_days[r]),
          l1p(f.mean_order_value[r]),
          std::isnan(f.regularity[r]) ? 0.0 : f.regularity[r]};
}

// Standardised (mean 0, sd 1 over the sample; a constant feature drops out as 0) coordinates of the sample.
Points standardise(const Features& f, std::span<const uint32_t> rows) {
  Points p;
  p.n = rows.size();
  p.padded = (p.n + 7) / 8 * 8;
  std::vector<std::array<double, kDims>> raw(p.n);
  std::array<double, kDims> mean{}, sd{};
  for (size_t i = 0; i < p.n; ++i) {
    raw[i] = raw_features(f, rows[i]);
    for (size_t d = 0; d < kDims; ++d) mean[d] += raw[i][d];
  }
  for (size_t d = 0; d < kDims; ++d) mean[d] /= static_cast<double>(p.n);
  for (size_t i = 0; i < p.n; ++i)
    for (size_t d = 0; d < kDims; ++d) sd[d] += (raw[i][d] - mean[d]) * (raw[i][d] - mean[d]);
  for (size_t d = 0; d < kDims; ++d) {
    sd[d] = std::sqrt(sd[d] / static_cast<double>(p.n));
    p.x[d].resize(p.padded);
    for (size_t i = 0; i < p.padded; ++i) {
      const size_t src = std::min(i, p.n - 1);
      p.x[d][i] = sd[d] > 1e-12 ? static_cast<float>((raw[src][d] - mean[d]) / sd[d]) : 0.0f;
    }
  }
  return p;
}

float pair_distance(const Points& p, const std::array<float, kDims>& xi, size_t j) {
  float s = 0;
  for (size_t d = 0; d < kDims; ++d) s += (p.x[d][j] - xi[d]) * (p.x[d][j] - xi[d]);
  return std::sqrt(s);
}

// Distances from point i to the points [j, end) (end a multiple of 8, j aligned to 8), added to col[j..] and,
// per lane, to lanes[8]. Every path performs the same single-precision operations in the same order (no fused
// multiply-add), so SSE2, AVX and scalar machines pick the same medoid.
using BlockFn = void (*)(const Points&, const std::array<float, kDims>&, size_t, size_t, float*, float*);

[[maybe_unused]] void block_scalar(const Points& p, const std::array<float, kDims>& xi, size_t j, size_t end,
                                   float* col, float* lanes) {
  for (; j < end; j += 8)
    for (size_t l = 0; l < 8; ++l) {
      const float dist = pair_distance(p, xi, j + l);
      lanes[l] += dist;
      col[j + l] += dist;
    }
}

#if defined(__SSE2__)
void block_sse2(const Points& p, const std::array<float, kDims>& xi, size_t j, size_t end, float* col, float* lanes) {
  __m128 lo = _mm_loadu_ps(lanes), hi = _mm_loadu_ps(lanes + 4);
  __m128 b[kDims];
  for (size_t d = 0; d < kDims; ++d) b[d] = _mm_set1_ps(xi[d]);
  for (; j < end; j += 8) {
    __m128 s0 = _mm_setzero_ps(), s1 = _mm_setzero_ps();
    for (size_t d = 0; d < kDims; ++d) {
      const __m128 t0 = _mm_sub_ps(_mm_load_ps(&p.x[d][j]), b[d]);
      const __m128 t1 = _mm_sub_ps(_mm_load_ps(&p.x[d][j + 4]), b[d]);
      s0 = _mm_add_ps(s0, _mm_mul_ps(t0, t0));
      s1 = _mm_add_ps(s1, _mm_mul_ps(t1, t1));
    }
    const __m128 d0 = _mm_sqrt_ps(s0), d1 = _mm_sqrt_ps(s1);
    lo = _mm_add_ps(lo, d0);
    hi = _mm_add_ps(hi, d1);
    _mm_storeu_ps(col + j, _mm_add_ps(_mm_loadu_ps(col + j), d0));
    _mm_storeu_ps(col + j + 4, _mm_add_ps(_mm_loadu_ps(col + j + 4), d1));
  }
  _mm_storeu_ps(lanes, lo);
  _mm_storeu_ps(lanes + 4, hi);
}

__attribute__((target("avx"))) void block_avx(const Points& p, const std::array<float, kDims>& xi, size_t j, size_t end,
                                              float* col, float* lanes) {
  __m256 acc = _mm256_loadu_ps(lanes);
  __m256 b[kDims];
  for (size_t d = 0; d < kDims; ++d) b[d] = _mm256_set1_ps(xi[d]);
  for (; j < end; j += 8) {
    __m256 s = _mm256_setzero_ps();
    for (size_t d = 0; d < kDims; ++d) {
      const __m256 t = _mm256_sub_ps(_mm256_loadu_ps(&p.x[d][j]), b[d]);
      s = _mm256_add_ps(s, _mm256_mul_ps(t, t));
    }
    const __m256 dist = _mm256_sqrt_ps(s);
    acc = _mm256_add_ps(acc, dist);
    _mm256_storeu_ps(col + j, _mm256_add_ps(_mm256_loadu_ps(col + j), dist));
  }
  _mm256_storeu_ps(lanes, acc);
}
#endif

BlockFn block_kernel() {
#if defined(__SSE2__)
  if (__builtin_cpu_supports("avx")) return block_avx;
  return block_sse2;
#else
  return block_scalar;
#endif
}

// Sum of distances from each point to all others, each pair computed once. Rows are dealt to kParts fixed
// partitions (row i to partition i % kParts), each with its own column sums, combined in partition order: the
// result does not depend on how many threads run the partitions.
constexpr size_t kParts = 8;

std::vector<double> distance_sums(const Points& p) {
  const BlockFn block = block_kernel();
  std::vector<std::vector<float>> col(kParts, std::vector<float>(p.padded, 0.0f));
  std::vector<double> row(p.n, 0.0);
  auto run_part = [&](size_t part) {
    float* c = col[part].data();
    for (size_t i = part; i < p.n; i += kParts) {
      std::array<float, kDims> xi{};
      for (size_t d = 0; d < kDims; ++d) xi[d] = p.x[d][i];
      double sum = 0;
      size_t j = i + 1;
      for (; j < p.n && j % 8 != 0; ++j) {
        const float dist = pair_distance(p, xi, j);
        sum += dist;
        c[j] += dist;
      }
      const size_t full = p.n / 8 * 8;  // blocks wholly inside the data
      alignas(32) float lanes[8] = {};
      if (j < full) block(p, xi, j, full, c, lanes);
      for (const float l : lanes) sum += l;
      for (j = std::max(j, full); j < p.n; ++j) {
        const float dist = pair_distance(p, xi, j);
        sum += dist;
        c[j] += dist;
      }
      row[i] = sum;
    }
  };
  const size_t threads = std::clamp<size_t>(usable_cores(), 1, kParts);
  if (threads == 1 || p.n < 2000) {
    for (size_t part = 0; part < kParts; ++part) run_part(part);
  } else {
    std::atomic<size_t> next{0};
    std::vector<std::thread> pool;
    for (size_t t = 0; t < threads; ++t)
      pool.emplace_back([&] {
        for (size_t part = next++; part < kParts; part = next++) run_part(part);
      });
    for (auto& th : pool) th.join();
  }
  std::vector<double> sums(row);
  for (size_t part = 0; part < kParts; ++part)
    for (size_t i = 0; i < p.n; ++i) sums[i] += col[part][i];
  return sums;
}

// Diverse alternates: k-means++ seeding from the medoid, a few Lloyd iterations with the medoid's centre fixed,
// then the member nearest each other centre, larger clusters first; farthest points fill any gap.
std::vector<size_t> spread(const Points& p, size_t medoid, size_t want, uint64_t seed) {
  std::vector<size_t> out;
  if (p.n <= 1 || want == 0) return out;
  if (p.n - 1 <= want) {
    for (size_t i = 0; i < p.n; ++i)
      if (i != medoid) out.push_back(i);
    std::stable_sort(out.begin(), out.end(), [&](size_t a, size_t b) { return p.dist(a, medoid) < p.dist(b, medoid); });
    return out;
  }
  // Seeding.
  std::vector<std::array<double, kDims>> centre;
  auto point = [&](size_t i) {
    std::array<double, kDims> c{};
    for (size_t d = 0; d < kDims; ++d) c[d] = p.x[d][i];
    return c;
  };
  centre.push_back(point(medoid));
  std::vector<double> d2(p.n);
  for (size_t i = 0; i < p.n; ++i) d2[i] = std::pow(p.dist(i, medoid), 2);
  uint64_t state = seed;
  for (size_t t = 0; t < want; ++t) {
    const double total = std::accumulate(d2.begin(), d2.end(), 0.0);
    if (total <= 0) break;
    state = splitmix64(state);
    const double u = static_cast<double>(state >> 11) * 0x1.0p-53 * total;
    double run = 0;
    size_t pick = p.n - 1;
    for (size_t i = 0; i < p.n; ++i) {
      run += d2[i];
      if (run > u && d2[i] > 0) {
        pick = i;
        break;
      }
    }
    centre.push_back(point(pick));
    for (size_t i = 0; i < p.n; ++i) d2[i] = std::min(d2[i], std::pow(p.dist_to(i, centre.back()), 2));
  }
  // Lloyd iterations; centre 0 stays at the medoid.
  const size_t k = centre.size();
  std::vector<size_t> label(p.n, 0);
  for (int it = 0; it < kLloydIterations; ++it) {
    for (size_t i = 0; i < p.n; ++i) {
      double best = std::numeric_limits<double>::infinity();
      for (size_t c = 0; c < k; ++c) {
        const double dc = p.dist_to(i, centre[c]);
        if (dc < best) {
          best = dc;
          label[i] = c;
        }
      }
    }
    std::vector<std::array<double, kDims>> sum(k, std::array<double, kDims>{});
    std::vector<size_t> count(k, 0);
    for (size_t i = 0; i < p.n; ++i) {
      ++count[label[i]];
      for (size_t d = 0; d < kDims; ++d) sum[label[i]][d] += p.x[d][i];
    }
    for (size_t c = 1; c < k; ++c)
      if (count[c] > 0)
        for (size_t d = 0; d < kDims; ++d) centre[c][d] = sum[c][d] / static_cast<double>(count[c]);
  }
  // The member nearest each centre, larger clusters first.
  std::vector<size_t> size(k, 0), nearest(k, p.n);
  std::vector<double> nearest_d(k, std::numeric_limits<double>::infinity());
  for (size_t i = 0; i < p.n; ++i) {
    const size_t c = label[i];
    ++size[c];
    const double dc = p.dist_to(i, centre[c]);
    if (i != medoid && dc < nearest_d[c]) {
      nearest_d[c] = dc;
      nearest[c] = i;
    }
  }
  std::vector<size_t> order(k - 1);
  std::iota(order.begin(), order.end(), size_t{1});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return size[a] > size[b]; });
  std::vector<bool> taken(p.n, false);
  taken[medoid] = true;
  for (const size_t c : order) {
    if (nearest[c] == p.n || taken[nearest[c]]) continue;
    taken[nearest[c]] = true;
    out.push_back(nearest[c]);
  }
  // Farthest-point fill for empty clusters.
  while (out.size() < want) {
    size_t far = p.n;
    double far_d = -1;
    for (size_t i = 0; i < p.n; ++i) {
      if (taken[i]) continue;
      double m = p.dist(i, medoid);
      for (const size_t o : out) m = std::min(m, p.dist(i, o));
      if (m > far_d) {
        far_d = m;
        far = i;
      }
    }
    if (far == p.n) break;
    taken[far] = true;
    out.push_back(far);
  }
  return out;
}

}  // namespace

std::optional<N1Pick> pick_n1(const Features& f, std::span<const uint32_t> rows, const N1Config& config) {
  if (rows.empty()) return std::nullopt;
  N1Pick out;
  out.candidates = rows.size();
  // Deterministic sample: the members with the smallest hash of (customer key, seed).
  std::vector<uint32_t> sample(rows.begin(), rows.end());
  if (sample.size() > config.sample_max && config.sample_max > 0) {
    auto h = [&](uint32_t r) { return splitmix64(f.customer[r] ^ splitmix64(config.seed)); };
    auto less = [&](uint32_t a, uint32_t b) {
      const uint64_t ha = h(a), hb = h(b);
      return ha != hb ? ha < hb : f.customer[a] < f.customer[b];
    };
    std::nth_element(sample.begin(), sample.begin() + static_cast<std::ptrdiff_t>(config.sample_max), sample.end(),
                     less);
    sample.resize(config.sample_max);
  }
  std::sort(sample.begin(), sample.end());
  out.sampled = sample.size();
  const Points p = standardise(f, sample);
  const auto sums = distance_sums(p);
  size_t medoid = 0;
  for (size_t i = 1; i < p.n; ++i)
    if (sums[i] < sums[medoid]) medoid = i;
  out.pick = sample[medoid];
  out.mean_distance = p.n > 1 ? sums[medoid] / static_cast<double>(p.n - 1) : 0.0;
  for (const size_t i : spread(p, medoid, config.alternates, splitmix64(config.seed + f.customer[out.pick])))
    out.alternates.push_back(sample[i]);
  return out;
}

}  // namespace koko::segment
