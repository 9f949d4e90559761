// Phrases: adjacent content-word pairs that occur together far more often than chance, by Dunning's
// log-likelihood ratio (G²) on the 2×2 table of first word × second word. Works the same for both languages.
#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>

#include "koko/voice/voice.hpp"

namespace koko::voice {

namespace {

double xlogx(double k, double expected) { return k > 0 ? k * std::log(k / expected) : 0.0; }

// G² for the 2×2 contingency table [[k11, k12], [k21, k22]].
double llr(double k11, double k12, double k21, double k22) {
  const double n = k11 + k12 + k21 + k22;
  const double r1 = k11 + k12, r2 = k21 + k22, c1 = k11 + k21, c2 = k12 + k22;
  return 2.0 * (xlogx(k11, r1 * c1 / n) + xlogx(k12, r1 * c2 / n) + xlogx(k21, r2 * c1 / n) + xlogx(k22, r2 * c2 / n));
}

}  // namespace

std::vector<Phrase> collocations(std::span<const PhraseToken> tokens, uint64_t min_count, size_t top) {
  std::unordered_map<uint32_t, uint64_t> first, second;
  std::unordered_map<uint64_t, uint64_t> pairs;
  uint64_t n = 0;
  for (size_t i = 1; i < tokens.size(); ++i) {
    const auto& a = tokens[i - 1];
    const auto& b = tokens[i];
    if (!b.follows || a.text != b.text) continue;
    ++n;
    ++first[a.term];
    ++second[b.term];
    ++pairs[(static_cast<uint64_t>(a.term) << 32) | b.term];
  }
  std::vector<Phrase> out;
  for (const auto& [key, k11] : pairs) {
    if (k11 < min_count) continue;
    const auto a = static_cast<uint32_t>(key >> 32), b = static_cast<uint32_t>(key & 0xFFFFFFFFu);
    if (a == b) continue;
    const double k12 = static_cast<double>(first[a] - k11), k21 = static_cast<double>(second[b] - k11);
    const double k22 = static_cast<double>(n) - static_cast<double>(k11) - k12 - k21;
    if (static_cast<double>(k11) * k22 <= k12 * k21) continue;  // together less often than chance
    out.push_back({a, b, k11, llr(static_cast<double>(k11), k12, k21, k22)});
  }
  std::sort(out.begin(), out.end(), [](const Phrase& x, const Phrase& y) {
    if (x.llr != y.llr) return x.llr > y.llr;
    if (x.first != y.first) return x.first < y.first;
    return x.second < y.second;
  });
  if (out.size() > top) out.resize(top);
  return out;
}

}  // namespace koko::voice

namespace koko::voice {

std::vector<SentimentGroup> sentiment_by(std::span<const std::string> keys, std::span<const int> labels,
                                         std::span<const double> scores) {
  std::map<std::string, SentimentGroup> groups;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (keys[i].empty()) continue;
    auto& g = groups[keys[i]];
    g.key = keys[i];
    ++g.texts;
    if (labels[i] > 0)
      ++g.positive;
    else if (labels[i] < 0)
      ++g.negative;
    else
      ++g.neutral;
    g.mean_score += scores[i];
  }
  std::vector<SentimentGroup> out;
  for (auto& [k, g] : groups) {
    g.mean_score /= static_cast<double>(g.texts);
    out.push_back(std::move(g));
  }
  return out;
}

}  // namespace koko::voice
