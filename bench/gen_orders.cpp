// gen_orders — deterministic generator of a realistic order log for benchmarks.
//
//   gen_orders --rows N [--seed S] [--shuffle] [--out FILE]
//
// Writes CSV `customer_id,order_date,amount` (header line; date YYYY-MM-DD; amount with 2 decimals) to FILE or
// stdout, and a one-line summary to stderr.
//
// The model (all numbers are constants below):
// - customers = rows / 10, joining over 2021-01-01 .. 2023-12-31 with a growing rate (the join density rises
//   linearly to 1 + kJoinGrowth times its starting value) times a seasonal/weekday intensity.
// - About half the customers buy once (on their join day). The others buy on their join day and then k-1 more
//   times, uniformly in "business time" (the seasonal intensity) over an active span after the join day, so
//   their later purchases fall on later days. k = 2 + their share of the remaining orders, proportional to a
//   log-normal purchase rate times the span: the top 1 % of customers place roughly 15-20 % of the orders.
//   The total is exactly N rows.
// - Amounts: each customer has a log-normal typical amount; each order is log-normal around it.
// - IDs are opaque strings C000000001.. assigned through a random permutation, so ID order != join order.
// - Rows come out in date order (each day's rows in random order); --shuffle emits the same rows in a uniformly
//   random order (two-pass shuffle through temporary files when the rows do not fit one in-memory chunk).
//
// Determinism: one std::mt19937_64 stream, consumed in a fixed order, and our own uniform / Box-Muller
// transforms (the std:: distributions differ between standard libraries). Output is byte-identical for a seed
// on a given platform; across platforms it relies only on std::log/exp/sqrt/sin/cos/pow of the C library.
//
// Memory: about 20 bytes per customer (+ 4-8 bytes per customer of day buckets), otherwise independent of the
// row count; 100M rows = 10M customers: 281 MB peak RSS measured. --shuffle adds one chunk of 2^24 rows
// (160 MB) plus temporary files of 10 bytes per row.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <numbers>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "koko/core/date.hpp"

namespace {

// ---- model constants -------------------------------------------------------------------------------------
constexpr int kRowsPerCustomer = 10;        // customers = rows / 10
constexpr double kOneTimeShare = 0.5;       // share of customers who buy once
constexpr double kJoinGrowth = 2.0;         // join density at the end = (1 + growth) x at the start
constexpr double kRateSigma = 1.05;         // log-normal sigma of the repeat buyers' purchase rate
constexpr double kRateZCap = 4.5;           // truncate the rate's normal deviate (no absurd whales)
constexpr double kExposureFloor = 30.0;     // business-days added to every span in the order-count weight
constexpr double kCustomerMedian = 40.0;    // typical amount of the median customer
constexpr double kCustomerSigma = 0.75;     // log-normal sigma of the customers' typical amount
constexpr double kOrderSigma = 0.45;        // log-normal sigma of an order around its customer's typical amount
constexpr uint32_t kMaxCents = 9'999'999;   // 99,999.99
constexpr uint64_t kShuffleChunk = uint64_t{1} << 24;  // rows per in-memory shuffle chunk

// ---- random numbers ----------------------------------------------------------------------------------------
struct Rng {
  std::mt19937_64 g;
  explicit Rng(uint64_t seed) : g(seed) {}
  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(g() >> 11) * 0x1.0p-53; }
  // Uniform in (0, 1].
  double uniform_pos() { return static_cast<double>((g() >> 11) + 1) * 0x1.0p-53; }
  // Uniform integer in [0, n) (Lemire's multiply-shift; the tiny bias is irrelevant here and deterministic).
  uint64_t below(uint64_t n) { return static_cast<uint64_t>((static_cast<U128>(g()) * n) >> 64); }
  __extension__ typedef unsigned __int128 U128;  // GCC/Clang extension; __extension__ keeps -Wpedantic quiet
  // Standard normal via Box-Muller; the second value of each pair is kept for the next call.
  double normal() {
    if (has_spare) {
      has_spare = false;
      return spare;
    }
    const double r = std::sqrt(-2.0 * std::log(uniform_pos()));
    const double t = 2.0 * std::numbers::pi * uniform();
    spare = r * std::sin(t);
    has_spare = true;
    return r * std::cos(t);
  }
  double spare = 0;
  bool has_spare = false;
};

// ---- output ------------------------------------------------------------------------------------------------
class Writer {
 public:
  explicit Writer(std::FILE* f) : f_(f), buf_(new char[kSize]) {}
  ~Writer() { flush(); }
  char* reserve(size_t n) {  // room for n more bytes
    if (len_ + n > kSize) flush();
    return buf_.get() + len_;
  }
  void commit(size_t n) { len_ += n; }
  void write(std::string_view s) {
    std::memcpy(reserve(s.size()), s.data(), s.size());
    commit(s.size());
  }
  void flush() {
    if (len_ > 0 && std::fwrite(buf_.get(), 1, len_, f_) != len_) {
      std::perror("gen_orders: write");
      std::exit(1);
    }
    total_ += len_;
    len_ = 0;
  }
  uint64_t bytes() const { return total_ + len_; }

 private:
  static constexpr size_t kSize = size_t{8} << 20;
  std::FILE* f_;
  std::unique_ptr<char[]> buf_;
  size_t len_ = 0;
  uint64_t total_ = 0;
};

struct Digits2 {  // "00".."99"
  char d[200];
  constexpr Digits2() : d() {
    for (int i = 0; i < 100; ++i) {
      d[2 * i] = static_cast<char>('0' + i / 10);
      d[2 * i + 1] = static_cast<char>('0' + i % 10);
    }
  }
};
constexpr Digits2 kDigits2;

// One CSV row: "C#########,YYYY-MM-DD,amount\n". Returns the bytes written (at most 10+1+11+8+1 = 31).
size_t format_row(char* p, uint32_t id_number, const char* date11, uint32_t cents) {
  char* const start = p;
  *p++ = 'C';
  uint32_t v = id_number;  // 9 digits, zero-padded
  p[8] = static_cast<char>('0' + v % 10);
  v /= 10;
  for (int i = 6; i >= 0; i -= 2) {
    std::memcpy(p + i, kDigits2.d + 2 * (v % 100), 2);
    v /= 100;
  }
  p[9] = ',';
  p += 10;
  std::memcpy(p, date11, 11);  // "YYYY-MM-DD,"
  p += 11;
  uint32_t units = cents / 100;
  char tmp[10];
  int n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + units % 10);
    units /= 10;
  } while (units != 0);
  while (n > 0) *p++ = tmp[--n];
  *p++ = '.';
  std::memcpy(p, kDigits2.d + 2 * (cents % 100), 2);
  p += 2;
  *p++ = '\n';
  return static_cast<size_t>(p - start);
}

// A row kept for --shuffle: 10 bytes.
struct PackedRow {
  unsigned char b[10];
  static PackedRow make(uint32_t id, uint16_t day, uint32_t cents) {
    PackedRow r;
    std::memcpy(r.b, &id, 4);
    std::memcpy(r.b + 4, &day, 2);
    std::memcpy(r.b + 6, &cents, 4);
    return r;
  }
  uint32_t id() const { uint32_t v; std::memcpy(&v, b, 4); return v; }
  uint16_t day() const { uint16_t v; std::memcpy(&v, b + 4, 2); return v; }
  uint32_t cents() const { uint32_t v; std::memcpy(&v, b + 6, 4); return v; }
};
static_assert(sizeof(PackedRow) == 10);

[[noreturn]] void usage(const char* msg) {
  if (msg != nullptr) std::fprintf(stderr, "gen_orders: %s\n", msg);
  std::fprintf(stderr, "usage: gen_orders --rows N [--seed S] [--shuffle] [--out FILE]\n");
  std::exit(2);
}

uint64_t parse_u64(const char* s, const char* what) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || s[0] == '-') usage((std::string("bad ") + what).c_str());
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t rows = 0;
  bool have_rows = false;
  uint64_t seed = 1;
  bool shuffle = false;
  const char* out_path = nullptr;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) usage(("missing value for " + std::string(a)).c_str());
      return argv[++i];
    };
    if (a == "--rows") {
      rows = parse_u64(value(), "--rows");
      have_rows = true;
    } else if (a == "--seed") {
      seed = parse_u64(value(), "--seed");
    } else if (a == "--shuffle") {
      shuffle = true;
    } else if (a == "--out") {
      out_path = value();
    } else if (a == "-h" || a == "--help") {
      usage(nullptr);
    } else {
      usage(("unknown argument " + std::string(a)).c_str());
    }
  }
  if (!have_rows) usage("--rows is required");
  const uint64_t customers64 = std::max<uint64_t>(1, rows / kRowsPerCustomer);
  if (customers64 > 999'999'999ULL) usage("--rows too large (customer IDs have 9 digits)");
  const auto t0 = std::chrono::steady_clock::now();

  // ---- calendar: 2021-01-01 .. 2023-12-31 ------------------------------------------------------------------
  const koko::Day first_day = koko::days_from_civil(2021, 1, 1);
  const koko::Day last_day = koko::days_from_civil(2023, 12, 31);
  const int D = last_day - first_day + 1;  // 1095
  std::vector<char> date_text(static_cast<size_t>(D) * 11);
  // Shopping intensity per day: month seasonality x weekday pattern.
  constexpr double kMonth[12] = {0.85, 0.85, 0.95, 0.95, 1.0, 0.95, 0.95, 0.95, 1.0, 1.05, 1.3, 1.45};
  constexpr double kWeekday[7] = {0.8, 1.05, 1.05, 1.05, 1.05, 1.0, 0.85};  // Sunday .. Saturday
  std::vector<float> cum_business(static_cast<size_t>(D) + 1, 0.0f);  // float on purpose: see below
  std::vector<double> cum_join(static_cast<size_t>(D) + 1, 0.0);
  {
    double cb = 0, cj = 0;
    for (int i = 0; i < D; ++i) {
      const koko::Day d = first_day + i;
      std::memcpy(&date_text[static_cast<size_t>(i) * 11], (koko::format_date(d) + ",").data(), 11);
      const koko::CivilDate c = koko::civil_from_days(d);
      const int weekday = ((d % 7) + 7 + 4) % 7;  // 1970-01-01 was a Thursday (4)
      const double intensity = kMonth[c.month - 1] * kWeekday[weekday];
      cb += intensity;
      cj += intensity * (1.0 + kJoinGrowth * i / (D - 1));
      cum_business[static_cast<size_t>(i) + 1] = static_cast<float>(cb);
      cum_join[static_cast<size_t>(i) + 1] = cj;
    }
  }
  // Business time -> day index: the day whose interval [cum[d], cum[d+1]) holds t.
  auto business_day = [&](float t) {
    const auto it = std::upper_bound(cum_business.begin() + 1, cum_business.end(), t);
    return static_cast<int>(it - cum_business.begin()) - 1;
  };

  // ---- customers ---------------------------------------------------------------------------------------------
  Rng rng(seed);
  const auto C = static_cast<uint32_t>(customers64);
  std::vector<uint16_t> join(C);
  // Per-customer state in one 20-byte record, so the hot loop touches one cache line per order.
  struct Customer {
    float pos = 0;           // current position in business time (start of the active span at first)
    float end = 0;           // end of the active span, business time
    float typical = 0;       // the customer's typical amount
    uint32_t remaining = 1;  // orders still to place (1 = the join-day order only)
    uint32_t id = 0;         // number in the customer ID (random permutation of 1..C)
  };
  std::vector<Customer> cust(C);
  std::vector<float> weight(C, 0.0f);         // temporary: repeat buyers' order-count weight
  double weight_sum = 0;
  uint64_t repeaters = 0;
  for (uint32_t i = 0; i < C; ++i) {
    const double u_join = rng.uniform() * cum_join[static_cast<size_t>(D)];
    const int j = static_cast<int>(std::upper_bound(cum_join.begin() + 1, cum_join.end(), u_join) -
                                   cum_join.begin()) - 1;
    join[i] = static_cast<uint16_t>(std::min(j, D - 1));
    const bool repeat = rng.uniform() >= kOneTimeShare;
    const double f = std::sqrt(rng.uniform_pos());  // active span as a share of the time left (mean 2/3)
    const double z_rate = std::clamp(rng.normal(), -kRateZCap, kRateZCap);
    cust[i].typical = static_cast<float>(kCustomerMedian * std::exp(kCustomerSigma * rng.normal()));
    if (repeat && join[i] < D - 1) {  // joiners on the very last day have no later day to come back on
      const float start = cum_business[join[i] + 1u];  // start of the next day
      const float avail = cum_business[static_cast<size_t>(D)] - start;
      const float span = static_cast<float>(avail * f);
      cust[i].pos = start;
      cust[i].end = std::min(start + span, cum_business[static_cast<size_t>(D)]);
      const double w = std::exp(kRateSigma * z_rate) * (span + kExposureFloor);
      weight[i] = static_cast<float>(w);
      weight_sum += weight[i];
      cust[i].remaining = 2;
      ++repeaters;
    }
  }
  // Share the orders left over after the base ones (1 per one-timer, 2 per repeater) among the repeaters in
  // proportion to their weights; consecutive floors of the running sum give integers summing to exactly `extra`.
  const uint64_t base = C + repeaters;
  if (base > rows) {  // only for tiny --rows: fall back to one-time buyers until the base fits
    uint64_t excess = base - rows;
    for (uint32_t i = 0; i < C && excess > 0; ++i)
      if (cust[i].remaining == 2) {
        cust[i].remaining = 1;
        weight_sum -= weight[i];
        weight[i] = 0;
        --repeaters;
        --excess;
      }
  }
  if (repeaters == 0 && rows > C) {  // only for tiny --rows: someone must take the remaining orders
    cust[0].pos = cum_business[join[0]];  // from the join day (same-day orders if it is the last day)
    cust[0].end = cum_business[static_cast<size_t>(D)];
    cust[0].remaining = 2;
    weight[0] = 1.0f;
    weight_sum = 1.0;
    repeaters = 1;
  }
  const uint64_t extra = rows - (static_cast<uint64_t>(C) + repeaters);
  if (rows == 0)
    for (Customer& c : cust) c.remaining = 0;
  {
    double running = 0;
    uint64_t given = 0;
    for (uint32_t i = 0; i < C && extra > 0; ++i) {
      if (weight[i] == 0) continue;
      running += weight[i];
      const uint64_t upto = std::min<uint64_t>(extra, static_cast<uint64_t>(running / weight_sum * static_cast<double>(extra)));
      cust[i].remaining += static_cast<uint32_t>(upto - given);
      given = upto;
    }
    if (given < extra) {  // rounding left-overs (at most a few): give them to the last repeater
      for (uint32_t i = C; i-- > 0;)
        if (weight[i] != 0) {
          cust[i].remaining += static_cast<uint32_t>(extra - given);
          break;
        }
    }
    std::vector<float>().swap(weight);
  }
  // Concentration: share of all orders placed by the top 1 % of customers.
  double top1_share = 0;
  uint64_t one_timers = 0;
  {
    std::vector<uint32_t> counts(C);
    for (uint32_t i = 0; i < C; ++i) counts[i] = cust[i].remaining;
    for (uint32_t c : counts) one_timers += c == 1;
    const size_t top = std::max<size_t>(1, C / 100);
    std::nth_element(counts.begin(), counts.begin() + static_cast<std::ptrdiff_t>(top), counts.end(),
                     std::greater<>());
    uint64_t s = 0;
    for (size_t k = 0; k < top; ++k) s += counts[k];
    top1_share = rows > 0 ? static_cast<double>(s) / static_cast<double>(rows) : 0.0;
  }
  // Opaque IDs: customer i gets a number from a random permutation of 1..C (Fisher-Yates).
  for (uint32_t i = 0; i < C; ++i) cust[i].id = i + 1;
  for (uint32_t i = C; i > 1; --i) std::swap(cust[i - 1].id, cust[rng.below(i)].id);

  // ---- output ------------------------------------------------------------------------------------------------
  std::FILE* out = stdout;
  if (out_path != nullptr) {
    out = std::fopen(out_path, "wb");
    if (out == nullptr) {
      std::perror(out_path);
      return 1;
    }
  }
  Writer w(out);
  w.write("customer_id,order_date,amount\n");

  // Shuffle mode: rows go to `piles` random piles (memory for one pile, temporary files for more), then each
  // pile is shuffled and written. Random pile + uniform shuffle within piles = a uniform permutation.
  Rng shuffle_rng(seed ^ 0x9E3779B97F4A7C15ULL);
  const uint64_t piles = shuffle ? std::max<uint64_t>(1, (rows + kShuffleChunk - 1) / kShuffleChunk) : 0;
  std::vector<PackedRow> memory_pile;
  std::vector<std::FILE*> pile_files;
  if (piles > 1) {
    for (uint64_t k = 0; k < piles; ++k) {
      std::FILE* f = std::tmpfile();
      if (f == nullptr) {
        std::perror("gen_orders: tmpfile");
        return 1;
      }
      pile_files.push_back(f);
    }
  } else if (piles == 1) {
    memory_pile.reserve(rows);
  }
  std::vector<std::vector<PackedRow>> pile_buffers(pile_files.size());

  auto emit = [&](uint32_t id, int day, uint32_t cents) {
    if (!shuffle) {
      w.commit(format_row(w.reserve(32), id, &date_text[static_cast<size_t>(day) * 11],
                          cents));
    } else if (piles == 1) {
      memory_pile.push_back(PackedRow::make(id, static_cast<uint16_t>(day), cents));
    } else {
      const uint64_t k = shuffle_rng.below(piles);
      auto& b = pile_buffers[k];
      b.push_back(PackedRow::make(id, static_cast<uint16_t>(day), cents));
      if (b.size() == 65536) {
        std::fwrite(b.data(), sizeof(PackedRow), b.size(), pile_files[k]);
        b.clear();
      }
    }
  };

  // Day buckets: customers whose next order falls on that day. Every customer sits in exactly one bucket (or
  // none once done), so the buckets hold at most C entries in total.
  std::vector<std::vector<uint32_t>> bucket(static_cast<size_t>(D));
  {
    std::vector<uint32_t> per_day(static_cast<size_t>(D), 0);
    for (uint32_t i = 0; i < C; ++i) ++per_day[join[i]];
    for (int d = 0; d < D; ++d) bucket[static_cast<size_t>(d)].reserve(per_day[static_cast<size_t>(d)]);
    for (uint32_t i = 0; i < C; ++i)
      if (cust[i].remaining > 0) bucket[join[i]].push_back(i);
    std::vector<uint16_t>().swap(join);
  }
  const double order_mu = -0.5 * kOrderSigma * kOrderSigma;  // so an order's mean equals the typical amount
  uint64_t written = 0;
  for (int d = 0; d < D; ++d) {
    auto& today = bucket[static_cast<size_t>(d)];
    for (size_t k = today.size(); k > 1; --k) std::swap(today[k - 1], today[rng.below(k)]);
    for (size_t k = 0; k < today.size(); ++k) {  // today may grow: same-day repeat orders are appended
      const uint32_t ci = today[k];
      Customer& c = cust[ci];
      const double amount = c.typical * std::exp(order_mu + kOrderSigma * rng.normal());
      const auto cents = static_cast<uint32_t>(
          std::clamp(std::round(amount * 100.0), 1.0, static_cast<double>(kMaxCents)));
      emit(c.id, d, cents);
      ++written;
      const uint32_t m = --c.remaining;
      if (m == 0) continue;
      // Next of m points uniform on (pos, end), in increasing order: pos + (end - pos) * (1 - U^(1/m)).
      const double p = c.pos;
      const double next = p + (c.end - p) * (1.0 - std::pow(rng.uniform_pos(), 1.0 / m));
      c.pos = std::clamp(static_cast<float>(next), c.pos, c.end);
      const int nd = std::clamp(business_day(c.pos), d, D - 1);
      bucket[static_cast<size_t>(nd)].push_back(ci);
    }
    std::vector<uint32_t>().swap(today);
  }
  if (written != rows) {
    std::fprintf(stderr, "gen_orders: internal error: wrote %llu of %llu rows\n",
                 static_cast<unsigned long long>(written), static_cast<unsigned long long>(rows));
    return 1;
  }

  if (shuffle) {
    // Free the generator's state before the second pass.
    std::vector<Customer>().swap(cust);
    auto write_pile = [&](std::vector<PackedRow>& pile) {
      for (size_t k = pile.size(); k > 1; --k) std::swap(pile[k - 1], pile[shuffle_rng.below(k)]);
      for (const PackedRow& r : pile)
        w.commit(format_row(w.reserve(32), r.id(), &date_text[static_cast<size_t>(r.day()) * 11], r.cents()));
    };
    if (piles == 1) {
      write_pile(memory_pile);
    } else {
      std::vector<PackedRow> pile;
      for (uint64_t k = 0; k < piles; ++k) {
        std::FILE* f = pile_files[k];
        auto& b = pile_buffers[k];
        if (!b.empty()) std::fwrite(b.data(), sizeof(PackedRow), b.size(), f);
        std::vector<PackedRow>().swap(b);
        const long n = std::ftell(f) / static_cast<long>(sizeof(PackedRow));
        std::rewind(f);
        pile.resize(static_cast<size_t>(n));
        if (std::fread(pile.data(), sizeof(PackedRow), pile.size(), f) != pile.size()) {
          std::perror("gen_orders: reading temporary file");
          return 1;
        }
        std::fclose(f);
        write_pile(pile);
      }
    }
  }
  w.flush();
  if (out != stdout) std::fclose(out);
  else std::fflush(stdout);

  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr,
               "gen_orders: %llu rows, %u customers (%.1f%% buy once), top 1%% of customers place %.1f%% of orders; "
               "%.1f MB in %.2f s (%.0f MB/s)%s\n",
               static_cast<unsigned long long>(rows), C, 100.0 * static_cast<double>(one_timers) / C,
               100.0 * top1_share, static_cast<double>(w.bytes()) / 1e6, secs,
               static_cast<double>(w.bytes()) / 1e6 / std::max(secs, 1e-9), shuffle ? ", shuffled" : "");
  return 0;
}
