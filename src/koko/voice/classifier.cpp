// The trained sentiment classifier: TF-IDF features from koko's tokens (English words and word pairs, Japanese
// base forms and character 1–3-grams) → multinomial logistic regression with L2, fitted by L-BFGS.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <unordered_map>

#include "koko/core/error.hpp"
#include "koko/voice/utf8.hpp"
#include "koko/voice/voice.hpp"

namespace koko::voice {

namespace {

constexpr int kClasses = 3;

// Feature strings of one text, with repeats (counts come from repeats).
void text_features(const ProcessedText& t, std::vector<std::string>& out) {
  out.clear();
  const std::string_view text = t.text;
  for (size_t s = 0; s < t.sentences.size(); ++s) {
    const auto& sent = t.sentences[s];
    if (sent.lang == TextLang::ja) {
      // Character 1–3-grams, spaces excluded.
      std::vector<std::string_view> chars;
      const std::string_view st = text.substr(sent.span.begin, sent.span.end - sent.span.begin);
      for (size_t i = 0; i < st.size();) {
        size_t len = 1;
        detail::decode(st, i, len);
        if (st[i] != ' ') chars.push_back(st.substr(i, len));
        i += len;
      }
      for (size_t i = 0; i < chars.size(); ++i) {
        std::string g = "c:";
        for (size_t n = 0; n < 3 && i + n < chars.size(); ++n) {
          g.append(chars[i + n]);
          out.push_back(g);
        }
      }
    }
  }
  const Word* prev = nullptr;
  uint32_t prev_sentence = UINT32_MAX;
  for (size_t i = 0; i < t.words.size(); ++i) {
    const Word& w = t.words[i];
    const uint32_t s = t.word_sentence[i];
    if (w.pos == Pos::symbol) {
      if (w.lower == "!" || w.lower == "?") out.push_back(fmt::format("p:{}", w.lower));
      prev = nullptr;
      continue;
    }
    const bool ja = s < t.sentences.size() && t.sentences[s].lang == TextLang::ja;
    out.push_back(fmt::format("w:{}", ja ? w.term : w.lower));
    if (!ja) {
      if (w.term != w.lower) out.push_back(fmt::format("s:{}", w.term));
      if (prev != nullptr && prev_sentence == s) out.push_back(fmt::format("b:{} {}", prev->lower, w.lower));
    }
    prev = &w;
    prev_sentence = s;
  }
}

void softmax(std::array<double, 3>& z) {
  const double m = std::max({z[0], z[1], z[2]});
  double sum = 0;
  for (auto& v : z) {
    v = std::exp(v - m);
    sum += v;
  }
  for (auto& v : z) v /= sum;
}

struct Sparse {
  std::vector<uint32_t> offsets{0};
  std::vector<uint32_t> index;
  std::vector<float> value;
};

// Limited-memory BFGS with a backtracking (Armijo) line search: minimises f over x.
template <typename F>
void lbfgs(std::vector<double>& x, F&& f, int max_iterations) {
  const size_t n = x.size();
  constexpr int m = 10;
  std::vector<std::vector<double>> s_hist, y_hist;
  std::vector<double> rho_hist;
  std::vector<double> g(n), g_new(n), d(n), x_new(n);
  double fx = f(x, g);
  for (int it = 0; it < max_iterations; ++it) {
    // Two-loop recursion: d = -H g.
    d = g;
    std::vector<double> alpha(s_hist.size());
    for (size_t k = s_hist.size(); k-- > 0;) {
      alpha[k] = rho_hist[k] * std::inner_product(s_hist[k].begin(), s_hist[k].end(), d.begin(), 0.0);
      for (size_t j = 0; j < n; ++j) d[j] -= alpha[k] * y_hist[k][j];
    }
    if (!s_hist.empty()) {
      const auto& s = s_hist.back();
      const auto& y = y_hist.back();
      const double gamma = std::inner_product(s.begin(), s.end(), y.begin(), 0.0) /
                           std::inner_product(y.begin(), y.end(), y.begin(), 0.0);
      for (auto& v : d) v *= gamma;
    }
    for (size_t k = 0; k < s_hist.size(); ++k) {
      const double beta = rho_hist[k] * std::inner_product(y_hist[k].begin(), y_hist[k].end(), d.begin(), 0.0);
      for (size_t j = 0; j < n; ++j) d[j] += s_hist[k][j] * (alpha[k] - beta);
    }
    for (auto& v : d) v = -v;
    double slope = std::inner_product(g.begin(), g.end(), d.begin(), 0.0);
    if (slope >= 0) {  // not a descent direction: restart from the gradient
      for (size_t j = 0; j < n; ++j) d[j] = -g[j];
      slope = -std::inner_product(g.begin(), g.end(), g.begin(), 0.0);
      s_hist.clear();
      y_hist.clear();
      rho_hist.clear();
    }
    double step = s_hist.empty() ? 1.0 / std::max(1.0, std::sqrt(-slope)) : 1.0;
    double f_new = 0;
    bool moved = false;
    for (int ls = 0; ls < 40; ++ls) {
      for (size_t j = 0; j < n; ++j) x_new[j] = x[j] + step * d[j];
      f_new = f(x_new, g_new);
      if (f_new <= fx + 1e-4 * step * slope) {
        moved = true;
        break;
      }
      step *= 0.5;
    }
    if (!moved) break;
    std::vector<double> s(n), y(n);
    for (size_t j = 0; j < n; ++j) {
      s[j] = x_new[j] - x[j];
      y[j] = g_new[j] - g[j];
    }
    const double sy = std::inner_product(s.begin(), s.end(), y.begin(), 0.0);
    const double rel = std::abs(fx - f_new) / std::max({std::abs(fx), std::abs(f_new), 1.0});
    x.swap(x_new);
    g.swap(g_new);
    fx = f_new;
    if (sy > 1e-10) {
      if (s_hist.size() == m) {
        s_hist.erase(s_hist.begin());
        y_hist.erase(y_hist.begin());
        rho_hist.erase(rho_hist.begin());
      }
      s_hist.push_back(std::move(s));
      y_hist.push_back(std::move(y));
      rho_hist.push_back(1.0 / sy);
    }
    const double gmax =
        std::abs(*std::max_element(g.begin(), g.end(), [](double a, double b) { return std::abs(a) < std::abs(b); }));
    if (rel < 1e-7 || gmax < 1e-5) break;
  }
}

template <typename T>
void put(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof(v));
}

class Reader {
 public:
  explicit Reader(std::string_view b) : b_(b) {}
  template <typename T>
  T get() {
    need(sizeof(T));
    T v;
    std::memcpy(&v, b_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string_view bytes(size_t n) {
    need(n);
    auto s = b_.substr(pos_, n);
    pos_ += n;
    return s;
  }

 private:
  void need(size_t n) const {
    if (pos_ + n > b_.size())
      throw Error(ErrorCode::workspace, "the stored sentiment model is damaged", {},
                  "train it again with `koko voice sentiment train FILE`");
  }
  std::string_view b_;
  size_t pos_ = 0;
};

constexpr std::string_view kMagic = "koko-sentiment-1";

}  // namespace

std::vector<std::pair<uint32_t, float>> SentimentModel::vectorise(const ProcessedText& t) const {
  std::vector<std::string> f;
  text_features(t, f);
  std::unordered_map<uint32_t, float> counts;
  for (const auto& s : f) {
    const auto it = std::lower_bound(vocab_.begin(), vocab_.end(), s);
    if (it != vocab_.end() && *it == s) counts[static_cast<uint32_t>(it - vocab_.begin())] += 1;
  }
  std::vector<std::pair<uint32_t, float>> v(counts.begin(), counts.end());
  std::sort(v.begin(), v.end());
  double norm = 0;
  for (auto& [k, x] : v) {
    x *= idf_[k];
    norm += static_cast<double>(x) * x;
  }
  norm = std::sqrt(norm);
  if (norm > 0)
    for (auto& [k, x] : v) x = static_cast<float>(x / norm);
  return v;
}

SentimentModel SentimentModel::train(std::span<const LabelledText> data, const TrainOptions& opt) {
  if (data.empty()) throw Error(ErrorCode::input, "no labelled texts to train on", {}, "give texts with labels");
  // Document frequencies.
  std::unordered_map<std::string, uint32_t> df;
  std::vector<std::vector<std::string>> feats(data.size());
  for (size_t i = 0; i < data.size(); ++i) {
    text_features(*data[i].text, feats[i]);
    std::vector<std::string> uniq = feats[i];
    std::sort(uniq.begin(), uniq.end());
    uniq.erase(std::unique(uniq.begin(), uniq.end()), uniq.end());
    for (auto& s : uniq) ++df[s];
  }
  SentimentModel m;
  for (const auto& [s, n] : df)
    if (n >= static_cast<uint32_t>(opt.min_df)) m.vocab_.push_back(s);
  std::sort(m.vocab_.begin(), m.vocab_.end());
  const double n_docs = static_cast<double>(data.size());
  m.idf_.resize(m.vocab_.size());
  for (size_t k = 0; k < m.vocab_.size(); ++k)
    m.idf_[k] = static_cast<float>(std::log((1 + n_docs) / (1 + df[m.vocab_[k]])) + 1);
  m.trained_on_ = data.size();

  // The design matrix, row by row.
  Sparse X;
  std::vector<int> y(data.size());
  std::array<double, 3> class_n{};
  for (size_t i = 0; i < data.size(); ++i) {
    for (const auto& [k, v] : m.vectorise(*data[i].text)) {
      X.index.push_back(k);
      X.value.push_back(v);
    }
    X.offsets.push_back(static_cast<uint32_t>(X.index.size()));
    y[i] = std::clamp(data[i].label, -1, 1) + 1;
    class_n[static_cast<size_t>(y[i])] += 1;
  }
  std::array<double, 3> cw{1, 1, 1};
  if (opt.balanced)
    for (int k = 0; k < kClasses; ++k) cw[k] = class_n[k] > 0 ? n_docs / (kClasses * class_n[k]) : 0;

  const size_t F = m.vocab_.size();
  std::vector<double> theta(F * kClasses + kClasses, 0.0);
  auto objective = [&](const std::vector<double>& th, std::vector<double>& grad) {
    std::fill(grad.begin(), grad.end(), 0.0);
    double loss = 0;
    const double* b = th.data() + F * kClasses;
    for (size_t i = 0; i < data.size(); ++i) {
      std::array<double, 3> z{b[0], b[1], b[2]};
      for (uint32_t p = X.offsets[i]; p < X.offsets[i + 1]; ++p) {
        const double* w = th.data() + static_cast<size_t>(X.index[p]) * kClasses;
        const double x = X.value[p];
        z[0] += w[0] * x;
        z[1] += w[1] * x;
        z[2] += w[2] * x;
      }
      softmax(z);
      const auto yi = static_cast<size_t>(y[i]);
      const double c = opt.c * cw[yi];
      loss -= c * std::log(std::max(z[yi], 1e-300));
      std::array<double, 3> r{z[0] * c, z[1] * c, z[2] * c};
      r[yi] -= c;
      for (uint32_t p = X.offsets[i]; p < X.offsets[i + 1]; ++p) {
        double* gw = grad.data() + static_cast<size_t>(X.index[p]) * kClasses;
        const double x = X.value[p];
        gw[0] += r[0] * x;
        gw[1] += r[1] * x;
        gw[2] += r[2] * x;
      }
      double* gb = grad.data() + F * kClasses;
      gb[0] += r[0];
      gb[1] += r[1];
      gb[2] += r[2];
    }
    for (size_t j = 0; j < F * kClasses; ++j) {
      loss += 0.5 * th[j] * th[j];
      grad[j] += th[j];
    }
    return loss;
  };
  lbfgs(theta, objective, opt.max_iterations);
  m.weights_.resize(F * kClasses);
  for (size_t j = 0; j < F * kClasses; ++j) m.weights_[j] = static_cast<float>(theta[j]);
  for (int k = 0; k < kClasses; ++k) m.bias_[k] = static_cast<float>(theta[F * kClasses + k]);
  return m;
}

std::array<double, 3> SentimentModel::predict_proba(const ProcessedText& t) const {
  std::array<double, 3> z{bias_[0], bias_[1], bias_[2]};
  for (const auto& [k, x] : vectorise(t))
    for (int c = 0; c < kClasses; ++c) z[c] += static_cast<double>(weights_[static_cast<size_t>(k) * kClasses + c]) * x;
  softmax(z);
  return z;
}

int SentimentModel::predict(const ProcessedText& t) const {
  const auto p = predict_proba(t);
  return static_cast<int>(std::max_element(p.begin(), p.end()) - p.begin()) - 1;
}

std::vector<std::pair<std::string, double>> SentimentModel::top_features(int label, size_t n) const {
  const auto c = static_cast<size_t>(std::clamp(label, -1, 1) + 1);
  std::vector<std::pair<std::string, double>> all;
  for (size_t k = 0; k < vocab_.size(); ++k) all.emplace_back(vocab_[k], weights_[k * kClasses + c]);
  std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  if (all.size() > n) all.resize(n);
  return all;
}

std::string SentimentModel::serialise() const {
  std::string out(kMagic);
  put<uint64_t>(out, trained_on_);
  put<uint32_t>(out, static_cast<uint32_t>(vocab_.size()));
  for (const auto& s : vocab_) {
    put<uint32_t>(out, static_cast<uint32_t>(s.size()));
    out += s;
  }
  out.append(reinterpret_cast<const char*>(idf_.data()), idf_.size() * sizeof(float));
  out.append(reinterpret_cast<const char*>(weights_.data()), weights_.size() * sizeof(float));
  out.append(reinterpret_cast<const char*>(bias_.data()), bias_.size() * sizeof(float));
  return out;
}

SentimentModel SentimentModel::deserialise(std::string_view blob) {
  Reader r(blob);
  if (r.bytes(kMagic.size()) != kMagic)
    throw Error(ErrorCode::workspace, "the stored sentiment model is from another koko version", {},
                "train it again with `koko voice sentiment train FILE`");
  SentimentModel m;
  m.trained_on_ = r.get<uint64_t>();
  const auto n = r.get<uint32_t>();
  m.vocab_.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    const auto len = r.get<uint32_t>();
    m.vocab_.emplace_back(r.bytes(len));
  }
  m.idf_.resize(n);
  for (auto& v : m.idf_) v = r.get<float>();
  m.weights_.resize(static_cast<size_t>(n) * kClasses);
  for (auto& v : m.weights_) v = r.get<float>();
  for (auto& v : m.bias_) v = r.get<float>();
  return m;
}

Quality evaluate(std::span<const int> truth, std::span<const int> predicted) {
  Quality q;
  const size_t n = std::min(truth.size(), predicted.size());
  uint64_t right = 0;
  for (size_t i = 0; i < n; ++i) {
    const auto t = static_cast<size_t>(std::clamp(truth[i], -1, 1) + 1);
    const auto p = static_cast<size_t>(std::clamp(predicted[i], -1, 1) + 1);
    ++q.confusion[t][p];
    right += t == p ? 1 : 0;
  }
  double sum = 0;
  for (size_t c = 0; c < 3; ++c) {
    uint64_t tp = q.confusion[c][c], fp = 0, fn = 0;
    for (size_t k = 0; k < 3; ++k) {
      if (k == c) continue;
      fp += q.confusion[k][c];
      fn += q.confusion[c][k];
    }
    const double denom = 2.0 * static_cast<double>(tp) + static_cast<double>(fp + fn);
    q.f1[c] = denom > 0 ? 2.0 * static_cast<double>(tp) / denom : 0;
    sum += q.f1[c];
  }
  q.macro_f1 = sum / 3;
  q.accuracy = n ? static_cast<double>(right) / static_cast<double>(n) : 0;
  return q;
}

}  // namespace koko::voice
