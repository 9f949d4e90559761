#include "koko/voice/mecab_lattice.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <limits>

#include "koko/core/error.hpp"
#include "koko/core/huge_pages.hpp"
#include "koko/voice/utf8.hpp"

namespace koko::voice {

namespace {

// ---- MeCab's file formats (MeCab 0.996, dictionary version 102) --------------------------------------------------

constexpr uint32_t kDictionaryMagic = 0xef718f77;  // stored XOR the file size
constexpr uint32_t kDictionaryVersion = 102;
constexpr size_t kHeaderBytes = 72;  // ten uint32 fields, then the charset in 32 bytes
constexpr size_t kCharMapSize = 0xffff;
constexpr size_t kMaxMatches = 512;  // MeCab's result buffer per position
constexpr size_t kMaxSentence = 65535;
constexpr int64_t kMaxCost = std::numeric_limits<int32_t>::max();  // MeCab's "too long sentence" bound

struct DoubleArrayUnit {
  int32_t base;
  uint32_t check;
};
static_assert(sizeof(DoubleArrayUnit) == 8);

struct Token {
  uint16_t lc;  // left context id
  uint16_t rc;  // right context id
  uint16_t posid;
  int16_t wcost;
  uint32_t feature;  // offset into the feature strings
  uint32_t compound;
};
static_assert(sizeof(Token) == 16);

// A character's classes as char.bin stores them: a bit set of classes, the class unknown words take, how many
// characters an unknown word of it may span one by one, whether a run of them forms one unknown word, and whether
// unknown words are proposed even where the dictionary matched.
struct CharClass {
  uint32_t bits = 0;
  [[nodiscard]] uint32_t types() const { return bits & 0x3ffff; }
  [[nodiscard]] uint32_t default_type() const { return (bits >> 18) & 0xff; }
  [[nodiscard]] uint32_t length() const { return (bits >> 26) & 0xf; }
  [[nodiscard]] bool group() const { return ((bits >> 30) & 1) != 0; }
  [[nodiscard]] bool invoke() const { return ((bits >> 31) & 1) != 0; }
  [[nodiscard]] bool kind_of(CharClass c) const { return (types() & c.types()) != 0; }
};

class MappedFile {
 public:
  explicit MappedFile(const std::string& path) : path_(path) {
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw broken("cannot be opened");
    struct stat st {};
    if (fstat(fd, &st) != 0 || st.st_size <= 0) {
      close(fd);
      throw broken("is empty");
    }
    size_ = static_cast<size_t>(st.st_size);
    void* p = mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED) throw broken("cannot be mapped");
    data_ = static_cast<const char*>(p);
  }
  ~MappedFile() {
    if (data_ != nullptr) munmap(const_cast<char*>(data_), size_);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  [[nodiscard]] const char* data() const { return data_; }
  [[nodiscard]] size_t size() const { return size_; }
  [[nodiscard]] uint32_t u32(size_t at) const {
    uint32_t v = 0;
    std::memcpy(&v, data_ + at, sizeof v);
    return v;
  }
  [[nodiscard]] Error broken(std::string_view what) const {
    return Error(ErrorCode::analysis, fmt::format("MeCab dictionary file {} {}", path_, what), {},
                 "reinstall mecab-ipadic-utf8 (apt-get install --reinstall mecab-ipadic-utf8), or point "
                 "KOKO_MECAB_DICDIR at a dictionary compiled by MeCab 0.996");
  }

 private:
  std::string path_;
  const char* data_ = nullptr;
  size_t size_ = 0;
};

// A compiled dictionary (sys.dic or unk.dic): a double array from surface bytes to runs of tokens.
struct Lexicon {
  const DoubleArrayUnit* units = nullptr;
  size_t unit_count = 0;
  const Token* tokens = nullptr;
  size_t token_count = 0;
  const char* features = nullptr;

  struct Match {
    uint32_t value;   // first token << 8 | token count
    uint32_t length;  // bytes matched
  };

  // Every dictionary key that is a prefix of key[0, len), shortest first (Darts' common prefix search). Returns the
  // number of matches, which may exceed `cap`; only the first `cap` are written.
  size_t common_prefixes(const char* key, size_t len, Match* out, size_t cap) const {
    size_t found = 0;
    auto b = static_cast<uint32_t>(units[0].base);
    for (size_t i = 0;; ++i) {
      if (b >= unit_count) return found;
      const DoubleArrayUnit& here = units[b];
      if (here.check == b && here.base < 0) {
        if (found < cap) out[found] = {static_cast<uint32_t>(-here.base - 1), static_cast<uint32_t>(i)};
        ++found;
      }
      if (i == len) return found;
      const uint32_t p = b + static_cast<unsigned char>(key[i]) + 1;
      if (p >= unit_count || units[p].check != b) return found;
      b = static_cast<uint32_t>(units[p].base);
    }
  }
};

// Reads and checks a dictionary file's header; the arrays point into `file`.
Lexicon read_lexicon(const MappedFile& file) {
  if (file.size() < 100) throw file.broken("is truncated");
  if ((file.u32(0) ^ kDictionaryMagic) != file.size()) throw file.broken("is not a MeCab dictionary or is damaged");
  if (file.u32(4) != kDictionaryVersion)
    throw file.broken(fmt::format("has dictionary version {}, koko reads version {}", file.u32(4), kDictionaryVersion));
  const uint64_t dsize = file.u32(24), tsize = file.u32(28), fsize = file.u32(32);
  if (kHeaderBytes + dsize + tsize + fsize != file.size() || dsize % sizeof(DoubleArrayUnit) != 0 ||
      tsize % sizeof(Token) != 0 || dsize == 0 || fsize == 0)
    throw file.broken("has section sizes that do not add up to its size");
  const char* p = file.data() + kHeaderBytes;
  Lexicon lex;
  lex.units = reinterpret_cast<const DoubleArrayUnit*>(p);
  lex.unit_count = dsize / sizeof(DoubleArrayUnit);
  lex.tokens = reinterpret_cast<const Token*>(p + dsize);
  lex.token_count = tsize / sizeof(Token);
  lex.features = p + dsize + tsize;
  if (lex.features[fsize - 1] != '\0') throw file.broken("has an unterminated feature string");
  for (size_t i = 0; i < lex.token_count; ++i)
    if (lex.tokens[i].feature >= fsize) throw file.broken("has a token whose feature lies past the end");
  return lex;
}

// MeCab's UTF-8 reading, quirks included: characters past U+FFFF and malformed bytes read as code 0.
inline uint32_t ucs2_at(const char* begin, const char* end, size_t& len) {
  const auto b0 = static_cast<unsigned char>(begin[0]);
  const size_t left = static_cast<size_t>(end - begin);
  if (b0 < 0x80) {
    len = 1;
    return b0;
  }
  if (left >= 2 && (b0 & 0xe0) == 0xc0) {
    len = 2;
    return ((b0 & 0x1fu) << 6) | (static_cast<unsigned char>(begin[1]) & 0x3fu);
  }
  if (left >= 3 && (b0 & 0xf0) == 0xe0) {
    len = 3;
    return ((b0 & 0x0fu) << 12) | ((static_cast<unsigned char>(begin[1]) & 0x3fu) << 6) |
           (static_cast<unsigned char>(begin[2]) & 0x3fu);
  }
  if (left >= 4 && (b0 & 0xf8) == 0xf0)
    len = 4;
  else if (left >= 5 && (b0 & 0xfc) == 0xf8)
    len = 5;
  else if (left >= 6 && (b0 & 0xfe) == 0xfc)
    len = 6;
  else
    len = 1;
  return 0;
}

}  // namespace

bool mecab_charset_is_utf8(std::string_view field) {
  const std::string charset = detail::ascii_lower(field.substr(0, field.find('\0')));
  return charset == "utf-8" || charset == "utf8";
}

std::string mecab_rc_value(const std::string& file, std::string_view key) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    const auto eq = line.find('=');
    if (line.empty() || line[0] == ';' || eq == std::string::npos) continue;
    auto trim = [](std::string s) {
      s.erase(0, s.find_first_not_of(" \t"));
      s.erase(s.find_last_not_of(" \t\r") + 1);
      return s;
    };
    if (trim(line.substr(0, eq)) == key) return trim(line.substr(eq + 1));
  }
  return {};
}

// ---- The dictionary ---------------------------------------------------------------------------------------------

struct MecabDictionary::Impl {
  MappedFile sys_file, unk_file, char_file, matrix_file;
  Lexicon sys, unk;
  // The double array and tokens of sys.dic and the connection matrix are read at random for every character: they
  // are copied onto huge pages. Feature strings are read only for the words of the best path and stay mapped.
  std::vector<char> hot;
  std::vector<int16_t> matrix;  // cost of (left word's rc, right word's lc): matrix[rc + lsize * lc]
  uint32_t lsize = 0, rsize = 0;
  const uint32_t* char_map = nullptr;  // CharClass bits by UCS-2 code
  CharClass space;
  struct UnknownTokens {
    const Token* first = nullptr;
    uint32_t count = 0;
  };
  std::vector<UnknownTokens> unknown;  // by character class
  size_t max_grouping = 24;
  std::string unknown_feature;  // dicrc's unk-feature, replacing unknown words' features when set

  explicit Impl(const std::string& dir)
      : sys_file(dir + "/sys.dic"),
        unk_file(dir + "/unk.dic"),
        char_file(dir + "/char.bin"),
        matrix_file(dir + "/matrix.bin"),
        sys(read_lexicon(sys_file)),
        unk(read_lexicon(unk_file)) {
    if (sys_file.u32(8) != 0) throw sys_file.broken("is not a system dictionary");
    const std::string_view charset(sys_file.data() + 40, 32);
    if (!mecab_charset_is_utf8(charset))
      throw sys_file.broken(
          fmt::format("is in {}, koko reads UTF-8 dictionaries", charset.substr(0, strnlen(charset.data(), 32))));
    // Connection matrix: two uint16 sizes, then lsize * rsize int16 costs.
    if (matrix_file.size() < 4) throw matrix_file.broken("is truncated");
    uint16_t sizes[2];
    std::memcpy(sizes, matrix_file.data(), sizeof sizes);
    lsize = sizes[0];
    rsize = sizes[1];
    if (lsize == 0 || rsize == 0 || 4 + size_t{2} * lsize * rsize != matrix_file.size())
      throw matrix_file.broken("has the wrong size");
    matrix = huge_page_vector<int16_t>(size_t{lsize} * rsize);
    std::memcpy(matrix.data(), matrix_file.data() + 4, matrix.size() * sizeof(int16_t));
    for (const Lexicon* lex : {&sys, &unk})
      for (size_t i = 0; i < lex->token_count; ++i)
        if (lex->tokens[i].rc >= lsize || lex->tokens[i].lc >= rsize)
          throw(lex == &sys ? sys_file : unk_file).broken("has context ids outside matrix.bin");

    // Character classes: a count, the class names (32 bytes each), then one uint32 per UCS-2 code below 0xffff.
    const uint32_t classes = char_file.size() >= 4 ? char_file.u32(0) : 0;
    if (classes == 0 || 4 + size_t{32} * classes + 4 * kCharMapSize != char_file.size())
      throw char_file.broken("has the wrong size");
    char_map = reinterpret_cast<const uint32_t*>(char_file.data() + 4 + size_t{32} * classes);
    for (uint32_t i = 0; i < classes; ++i) {
      const char* name = char_file.data() + 4 + size_t{32} * i;
      const std::string key(name, strnlen(name, 32));
      Lexicon::Match m[kMaxMatches];
      const size_t n = unk.common_prefixes(key.data(), key.size(), m, kMaxMatches);
      const Lexicon::Match* exact = nullptr;
      for (size_t k = 0; k < std::min(n, kMaxMatches); ++k)
        if (m[k].length == key.size()) exact = &m[k];
      if (exact == nullptr || (exact->value & 0xff) == 0)
        throw unk_file.broken(fmt::format("has no unknown-word entry for class {}", key));
      const uint32_t first = exact->value >> 8, count = exact->value & 0xff;
      if (size_t{first} + count > unk.token_count) throw unk_file.broken("has an entry past its tokens");
      unknown.push_back({unk.tokens + first, count});
    }
    for (size_t c = 0; c < kCharMapSize; ++c)
      if (CharClass{char_map[c]}.default_type() >= classes) throw char_file.broken("maps a character to no class");
    space = CharClass{char_map[0x20]};

    const std::string dicrc = dir + "/dicrc";
    if (const std::string g = mecab_rc_value(dicrc, "max-grouping-size"); !g.empty()) {
      const long v = std::strtol(g.c_str(), nullptr, 10);
      if (v > 0) max_grouping = static_cast<size_t>(v);
    }
    unknown_feature = mecab_rc_value(dicrc, "unk-feature");

    // The hot part of sys.dic onto huge pages; `sys` then reads from the copy.
    const size_t hot_bytes = sys.unit_count * sizeof(DoubleArrayUnit) + sys.token_count * sizeof(Token);
    hot = huge_page_vector<char>(hot_bytes);
    std::memcpy(hot.data(), sys.units, hot_bytes);
    sys.units = reinterpret_cast<const DoubleArrayUnit*>(hot.data());
    sys.tokens = reinterpret_cast<const Token*>(hot.data() + sys.unit_count * sizeof(DoubleArrayUnit));
  }

  // `outside` is set for U+FFFF, which MeCab looks up one entry past its table.
  [[nodiscard]] CharClass class_at(const char* p, const char* end, size_t& len, bool& outside) const {
    const uint32_t c = ucs2_at(p, end, len);
    if (c < kCharMapSize) return CharClass{char_map[c]};
    outside = true;
    return CharClass{};
  }
};

MecabDictionary::MecabDictionary(const std::string& dir) : impl_(std::make_unique<Impl>(dir)) {}
MecabDictionary::~MecabDictionary() = default;

// ---- The lattice ------------------------------------------------------------------------------------------------

namespace {

struct Node {
  int64_t cost = 0;  // best path cost from the start to this word, inclusive
  const Token* token = nullptr;
  uint32_t begin = 0;  // surface start (after skipped spaces)
  uint32_t end = 0;    // surface end
  int32_t prev = -1;   // best left neighbour
  int32_t enext = -1;  // next word ending at the same position (MeCab's order)
  bool unknown = false;
};

}  // namespace

struct MecabLattice::Scratch {
  std::vector<Node> nodes;
  std::vector<int32_t> end_head;  // by byte position: the last word connected that ends there
  struct Left {
    int64_t cost;
    uint32_t rc;
    int32_t node;
  };
  std::vector<Left> left;
  Lexicon::Match matches[kMaxMatches];
};

MecabLattice::MecabLattice(const MecabDictionary& dictionary)
    : dic_(dictionary.impl()), scratch_(std::make_unique<Scratch>()) {}
MecabLattice::~MecabLattice() = default;

bool MecabLattice::parse(std::string_view sentence, std::vector<Morph>& out) {
  out.clear();
  const size_t n = sentence.size();
  if (n >= kMaxSentence) return false;
  Scratch& s = *scratch_;
  const MecabDictionary::Impl& d = dic_;
  const char* text = sentence.data();
  const char* const end = text + n;
  s.nodes.clear();
  s.end_head.assign(n + 1, -1);
  s.nodes.push_back(Node{});  // the start of the sentence: cost 0, context id 0
  s.end_head[0] = 0;
  bool outside = false;

  for (size_t pos = 0; pos < n; ++pos) {
    if (s.end_head[pos] < 0) continue;
    const auto first = static_cast<int32_t>(s.nodes.size());

    // Words that may start here, in MeCab's order. Spaces before a word belong to no word.
    const char* begin2 = text + pos;
    CharClass cls;
    size_t char_len = 0;
    for (CharClass c = d.space; begin2 != end;) {
      cls = d.class_at(begin2, end, char_len, outside);
      if (!c.kind_of(cls)) break;
      begin2 += char_len;
      c = cls;
    }
    if (begin2 == end) return false;  // only spaces left: MeCab reads past the sentence here
    const auto word_begin = static_cast<uint32_t>(begin2 - text);
    const size_t found = d.sys.common_prefixes(begin2, static_cast<size_t>(end - begin2), s.matches, kMaxMatches);
    if (found > kMaxMatches) return false;
    for (size_t i = 0; i < found; ++i) {
      const uint32_t t = s.matches[i].value >> 8, count = s.matches[i].value & 0xff;
      if (size_t{t} + count > d.sys.token_count || s.matches[i].length == 0) return false;
      for (uint32_t j = 0; j < count; ++j) {
        Node& node = s.nodes.emplace_back();
        node.token = d.sys.tokens + t + j;
        node.begin = word_begin;
        node.end = word_begin + s.matches[i].length;
      }
    }
    if (s.nodes.size() == static_cast<size_t>(first) || cls.invoke()) {
      // Unknown words of the first character's class: the whole run of the class (when it groups), then its first
      // 1..length characters, as MeCab proposes them.
      const auto add_unknown = [&](const char* word_end) {
        const auto& u = d.unknown[cls.default_type()];
        for (uint32_t k = 0; k < u.count; ++k) {
          Node& node = s.nodes.emplace_back();
          node.token = u.first + k;
          node.begin = word_begin;
          node.end = static_cast<uint32_t>(word_end - text);
          node.unknown = true;
        }
      };
      const char* begin3 = begin2 + char_len;
      const char* group_end = nullptr;
      if (cls.group()) {
        const char* p = begin3;
        size_t run = 0, len = 0;
        for (CharClass c = cls; p != end; ++run) {
          const CharClass next = d.class_at(p, end, len, outside);
          if (!c.kind_of(next)) break;
          p += len;
          c = next;
        }
        if (run <= d.max_grouping) add_unknown(p);
        group_end = p;
      }
      for (uint32_t i = 1; i <= cls.length(); ++i) {
        if (begin3 == group_end) break;  // MeCab proposes nothing from where the run ends (begin3 then stays put)
        add_unknown(begin3);
        if (begin3 == end) break;  // MeCab looks at the byte past the sentence here, then stops either way
        size_t len = 0;
        if (!cls.kind_of(d.class_at(begin3, end, len, outside))) break;
        begin3 += len;
      }
      if (s.nodes.size() == static_cast<size_t>(first)) add_unknown(begin3);
    }

    // Connect each new word to the best word ending here. MeCab takes new words last-made first, scans the words
    // ending here last-connected first and keeps the first of equal costs.
    s.left.clear();
    for (int32_t i = s.end_head[pos]; i >= 0; i = s.nodes[i].enext) {
      const Node& l = s.nodes[i];
      s.left.push_back({l.cost, l.token != nullptr ? l.token->rc : 0u, i});
    }
    for (auto k = static_cast<int32_t>(s.nodes.size()); k-- > first;) {
      Node& r = s.nodes[k];
      const int16_t* row = d.matrix.data() + size_t{d.lsize} * r.token->lc;
      const int64_t wcost = r.token->wcost;
      int64_t best = kMaxCost;
      int32_t best_node = -1;
      for (const auto& l : s.left) {
        const int64_t c = l.cost + row[l.rc] + wcost;
        if (c < best) {
          best = c;
          best_node = l.node;
        }
      }
      if (best_node < 0) return false;
      r.cost = best;
      r.prev = best_node;
      r.enext = s.end_head[r.end];
      s.end_head[r.end] = k;
    }
  }

  // The end of the sentence connects to the words ending at the last position any word reaches.
  size_t last = n;
  while (s.end_head[last] < 0) --last;  // position 0 always has the start
  int64_t best = kMaxCost;
  int32_t best_node = -1;
  for (int32_t i = s.end_head[last]; i >= 0; i = s.nodes[i].enext) {
    const Node& l = s.nodes[i];
    const int64_t c = l.cost + d.matrix[l.token != nullptr ? l.token->rc : 0u];
    if (c < best) {
      best = c;
      best_node = i;
    }
  }
  if (best_node < 0 || outside) return false;
  for (int32_t i = best_node; i > 0; i = s.nodes[i].prev) {
    const Node& node = s.nodes[i];
    const bool override_feature = node.unknown && !d.unknown_feature.empty();
    const Lexicon& lex = node.unknown ? d.unk : d.sys;
    out.push_back({node.begin, node.end - node.begin,
                   override_feature ? d.unknown_feature.c_str() : lex.features + node.token->feature});
  }
  std::reverse(out.begin(), out.end());
  return true;
}

}  // namespace koko::voice
