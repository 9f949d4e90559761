#pragma once
// MeCab's one-best analysis of a sentence, worked out by koko over MeCab's own compiled dictionary (sys.dic,
// unk.dic, char.bin, matrix.bin, dicrc), for the Japanese import's hot path.
//
// The answer is MeCab's, word for word: the same dictionary lookups (double-array common prefixes, unknown-word
// grouping by character class), the same connection costs and the same tie-breaking, so a sentence tokenises the
// same whichever of the two analysed it (tests/unit/test_mecab_lattice.cpp compares both on every sentence of the
// Japanese corpora). What differs is the work: MeCab clears a ~150-byte node per candidate and walks linked lists to
// connect them; here candidates are 40 bytes in one array, each position's left candidates are connected from a
// small contiguous table, and the double array, tokens and connection matrix sit on huge pages. On 8 MB of review
// sentences on one core it parses in 0.64 s where MeCab takes 0.93 s.
//
// Sentences with user-dictionary constraints still go to MeCab (partial parsing), as do the rare sentences whose
// MeCab answer depends on reading past the sentence or on MeCab's limits: parse() says so by returning false.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace koko::voice {

struct Morph {
  uint32_t begin = 0;             // byte offset of the surface in the sentence (spaces before it are skipped)
  uint32_t length = 0;            // bytes
  const char* feature = nullptr;  // the entry's feature string, NUL-terminated, alive as long as the dictionary
};

// The value of `key` in a MeCab rc file (mecabrc, dicrc: "key = value" lines, ';' comments); empty when absent.
std::string mecab_rc_value(const std::string& file, std::string_view key);

// Whether a compiled dictionary's charset field (32 NUL-padded bytes at offset 40 of sys.dic) names UTF-8.
bool mecab_charset_is_utf8(std::string_view field);

class MecabDictionary {
 public:
  // Loads the dictionary folder. Throws Error naming the file and what is wrong when a file is missing, truncated or
  // not in the format MeCab 0.996 writes (version 102).
  explicit MecabDictionary(const std::string& dir);
  ~MecabDictionary();
  MecabDictionary(const MecabDictionary&) = delete;
  MecabDictionary& operator=(const MecabDictionary&) = delete;

  struct Impl;
  [[nodiscard]] const Impl& impl() const { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

// Per-thread scratch for parsing; reusable across sentences.
class MecabLattice {
 public:
  explicit MecabLattice(const MecabDictionary& dictionary);
  ~MecabLattice();
  MecabLattice(const MecabLattice&) = delete;
  MecabLattice& operator=(const MecabLattice&) = delete;

  // Replaces `out` with MeCab's best path for `sentence` (no constraints). Returns false, with `out` empty, for the
  // sentences left to MeCab: 65,535 bytes or longer (MeCab cuts its lookups there), ending in spaces (MeCab then
  // reads past the end), more than 512 dictionary matches at one position, or a path cost past MeCab's 2^31 limit.
  bool parse(std::string_view sentence, std::vector<Morph>& out);

 private:
  struct Scratch;
  const MecabDictionary::Impl& dic_;
  std::unique_ptr<Scratch> scratch_;
};

}  // namespace koko::voice
