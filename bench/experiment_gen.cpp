// experiment_gen — deterministic A/B test unit log for benchmarks.
//
//   experiment_gen --rows N [--seed S] [--dup-rate R] [--out FILE]
//
// Writes CSV `unit_id,variant,revenue,revenue_pre,converted,converted_pre` (header line), one row per unit:
// two variants (A = control, B) split 50/50, revenue with 2 decimals correlated with its pre-period value
// (so CUPED removes most of the variance), a 0/1 conversion correlated with the pre-period conversion, and a
// small true lift in B. IDs are opaque strings (a bijective scramble of the row number, so no order). With
// --dup-rate R, that share of rows repeats an earlier unit (to time the duplicate policies).
// Determinism: one std::mt19937_64 stream and our own uniform/normal transforms.
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>

namespace {

double uniform(std::mt19937_64& g) { return static_cast<double>(g() >> 11) * 0x1.0p-53; }

double normal(std::mt19937_64& g) {
  const double u = uniform(g) + 0x1.0p-54, v = uniform(g);
  return std::sqrt(-2 * std::log(u)) * std::cos(6.283185307179586 * v);
}

// A bijection on 64-bit integers (splitmix64's finaliser): distinct rows get distinct IDs.
uint64_t scramble(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t rows = 1000000, seed = 42;
  double dup_rate = 0;
  const char* out = nullptr;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "experiment_gen: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--rows")
      rows = std::strtoull(next(), nullptr, 10);
    else if (a == "--seed")
      seed = std::strtoull(next(), nullptr, 10);
    else if (a == "--dup-rate")
      dup_rate = std::strtod(next(), nullptr);
    else if (a == "--out")
      out = next();
    else {
      std::fprintf(stderr, "usage: experiment_gen --rows N [--seed S] [--dup-rate R] [--out FILE]\n");
      return 2;
    }
  }
  FILE* f = out ? std::fopen(out, "wb") : stdout;
  if (!f) {
    std::perror(out);
    return 1;
  }
  static char buf[1 << 20];
  std::setvbuf(f, buf, _IOFBF, sizeof buf);
  std::mt19937_64 g(seed);
  std::fputs("unit_id,variant,revenue,revenue_pre,converted,converted_pre\n", f);
  uint64_t dups = 0;
  for (uint64_t r = 0; r < rows; ++r) {
    uint64_t unit = r;
    if (dup_rate > 0 && r > 0 && uniform(g) < dup_rate) {
      unit = static_cast<uint64_t>(uniform(g) * static_cast<double>(r));
      ++dups;
    }
    const bool b = (scramble(unit ^ seed) & 1) != 0;
    const double pre = std::exp(3.2 + 0.8 * normal(g));
    const double post = std::max(0.0, 0.85 * pre + 8 * normal(g) + 4 + (b ? 0.6 : 0.0));
    const int conv_pre = uniform(g) < 0.2 ? 1 : 0;
    const int conv = uniform(g) < 0.08 + 0.3 * conv_pre + (b ? 0.004 : 0.0) ? 1 : 0;
    std::fprintf(f, "u%016" PRIx64 ",%c,%.2f,%.2f,%d,%d\n", scramble(unit + 0x9e3779b97f4a7c15ULL), b ? 'B' : 'A', post,
                 pre, conv, conv_pre);
  }
  if (std::fclose(f) != 0) {
    std::perror("experiment_gen");
    return 1;
  }
  std::fprintf(stderr, "experiment_gen: %" PRIu64 " rows (%" PRIu64 " repeated units), seed %" PRIu64 "\n", rows, dups,
               seed);
  return 0;
}
