#pragma once
// Private: the sentiment lexicons (valence on VADER's scale, -4 … +4) and the word lists of the rules.
#include <cstddef>

namespace koko::voice::detail {

struct LexiconEntry {
  const char* word;
  float valence;
};

extern const LexiconEntry kVaderLexicon[];  // lexicon_en_vader.cpp (MIT, VADER)
extern const size_t kVaderLexiconSize;
extern const LexiconEntry kKokoEnglish[];  // lexicon_koko.cpp: koko's review words, overriding VADER's
extern const size_t kKokoEnglishSize;
extern const LexiconEntry kKokoJapanese[];  // lexicon_koko.cpp: koko's Japanese lexicon (base forms)
extern const size_t kKokoJapaneseSize;

}  // namespace koko::voice::detail
