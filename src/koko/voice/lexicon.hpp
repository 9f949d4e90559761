#pragma once
// Private: the sentiment lexicons (valence on VADER's scale, -4 … +4) and the word lists of the rules.
#include <cstddef>

#include "koko/voice/voice.hpp"

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

// What the lexicon of a language says about one word (English: the lower-case surface; Japanese: the base form,
// and the surface when the base form is not listed). Defined in sentiment.cpp, called by the tokeniser.
void set_sentiment(Word& w, TextLang lang);

}  // namespace koko::voice::detail
