#pragma once
// The labelled real data the voice tests measure quality on, and the fixed splits (also used by bench/voice_peers.py):
// - English: womens-clothing-reviews, text = Title + ". " + Review Text (rows with an empty Review Text left out),
//   label from Rating (1–2 negative, 3 neutral, 4–5 positive); test = rows whose index (first column) % 5 == 4,
//   train = the other 80 %.
// - Japanese: ja-hotel-review-sentences/pn.tsv (CC BY-NC-SA: read in place, nothing derived is kept); train =
//   its train split, evaluation = dev + test (1,665 sentences).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "data_dir.hpp"
#include "koko/io/csv.hpp"

namespace koko_test {

struct LabelledRow {
  std::string text;
  int label = 0;  // -1, 0, 1
  bool test = false;
};

inline std::string clothing_text(std::string_view title, std::string_view review) {
  if (title.empty()) return std::string(review);
  std::string t(title);
  const char last = t.back();
  if (last != '.' && last != '!' && last != '?') t += '.';
  return t + " " + std::string(review);
}

inline std::vector<LabelledRow> clothing_reviews() {
  const auto file = data_dir() / "womens-clothing-reviews" / "womens_clothing_reviews.csv.gz";
  std::vector<LabelledRow> rows;
  if (!std::filesystem::exists(file)) {
    ADD_FAILURE() << "missing data set: womens-clothing-reviews (" << file << "); set KOKO_DATA";
    return rows;
  }
  auto reader = koko::io::open_records(file);
  koko::io::Record r;
  while (reader->next(r)) {
    if (r.fields.size() < 6 || r.fields[4].empty()) continue;
    const int index = std::stoi(std::string(r.fields[0]));
    const int rating = std::stoi(std::string(r.fields[5]));
    rows.push_back({clothing_text(r.fields[3], r.fields[4]), rating <= 2 ? -1 : (rating == 3 ? 0 : 1), index % 5 == 4});
  }
  return rows;
}

inline std::vector<LabelledRow> hotel_sentences() {
  const auto file = data_dir() / "ja-hotel-review-sentences" / "pn.tsv";
  std::vector<LabelledRow> rows;
  std::ifstream in(file);
  if (!in) {
    ADD_FAILURE() << "missing data set: ja-hotel-review-sentences (" << file << "); set KOKO_DATA";
    return rows;
  }
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    size_t start = 0;
    for (size_t i = 0; i <= line.size(); ++i)
      if (i == line.size() || line[i] == '\t') {
        f.push_back(line.substr(start, i - start));
        start = i + 1;
      }
    if (f.size() < 5) continue;
    rows.push_back({f[2], std::stoi(f[1]), f[4] != "train"});
  }
  return rows;
}

}  // namespace koko_test
