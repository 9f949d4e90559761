// Tokens: English via ICU word breaks + Snowball stems, Japanese via MeCab's analysis (ipadic) as base forms and parts
// of speech. koko's own Viterbi over MeCab's dictionary (mecab_lattice.hpp) gives MeCab's answer for most sentences,
// faster; MeCab itself analyses the rest. User-dictionary entries are forced to be single tokens: MeCab gets a
// boundary constraint around each match (partial parsing), so no compiled dictionary is needed and a listed compound
// is never split.
#include <fmt/format.h>
#include <libstemmer.h>
#include <mecab.h>
#include <unicode/brkiter.h>
#include <unicode/utext.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "koko/core/error.hpp"
#include "koko/voice/intern.hpp"
#include "koko/voice/lexicon.hpp"
#include "koko/voice/mecab_lattice.hpp"
#include "koko/voice/utf8.hpp"
#include "koko/voice/voice.hpp"

namespace koko::voice {

namespace fs = std::filesystem;
using detail::ascii_lower;
using detail::decode;

// ---- User dictionary -----------------------------------------------------------------------------------------

UserDictionary::UserDictionary(std::vector<UserEntry> entries) : entries_(std::move(entries)), by_first_byte_(256) {
  for (uint32_t i = 0; i < entries_.size(); ++i) {
    const auto& e = entries_[i];
    lower_.push_back(ascii_lower(e.word));
    const char* pos = e.pos == "proper_noun" ? "名詞,固有名詞,一般" : "名詞,一般,*";
    features_.push_back(fmt::format("{},*,*,*,{},*,*", pos, e.word));
    if (!e.word.empty()) by_first_byte_[static_cast<unsigned char>(lower_.back()[0])].push_back(i);
  }
  for (auto& v : by_first_byte_)
    std::stable_sort(v.begin(), v.end(), [&](uint32_t a, uint32_t b) { return lower_[a].size() > lower_[b].size(); });
}

void UserDictionary::find(std::string_view s, std::vector<std::pair<Span, uint32_t>>& out) const {
  if (entries_.empty()) return;
  for (size_t i = 0; i < s.size();) {
    const auto& cands = by_first_byte_[static_cast<unsigned char>(ascii_lower(s[i]))];
    bool hit = false;
    for (uint32_t k : cands) {
      const std::string& w = lower_[k];
      if (i + w.size() > s.size()) continue;
      bool eq = true;
      for (size_t j = 0; j < w.size() && eq; ++j) eq = ascii_lower(s[i + j]) == w[j];
      if (!eq) continue;
      // An ASCII entry must not be part of a longer word ("app" in "apple").
      const auto word_char = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      };
      if (word_char(w.front()) && i > 0 && word_char(s[i - 1])) continue;
      if (word_char(w.back()) && i + w.size() < s.size() && word_char(s[i + w.size()])) continue;
      out.push_back({{static_cast<uint32_t>(i), static_cast<uint32_t>(i + w.size())}, k});
      i += w.size();
      hit = true;
      break;
    }
    if (!hit) {
      size_t len = 1;
      decode(s, i, len);
      i += len;
    }
  }
}

// ---- MeCab's dictionary ----------------------------------------------------------------------------------------

namespace {

constexpr const char* kDictionaryPackage = "mecab-ipadic-utf8";

bool has_utf8_sys_dic(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir / "dicrc", ec)) return false;
  std::ifstream in(dir / "sys.dic", std::ios::binary);
  if (!in) return false;
  std::array<char, 72> head{};
  in.read(head.data(), head.size());
  if (in.gcount() < 72) return false;
  return mecab_charset_is_utf8(std::string_view(head.data() + 40, 32));
}

}  // namespace

std::string find_mecab_dictionary() {
  if (const char* env = std::getenv("KOKO_MECAB_DICDIR"); env != nullptr && *env != '\0') {
    if (has_utf8_sys_dic(env)) return env;
    throw Error(ErrorCode::analysis, fmt::format("KOKO_MECAB_DICDIR={} holds no UTF-8 MeCab dictionary (sys.dic)", env),
                {},
                fmt::format("install Debian's {} (apt-get install {}) and unset KOKO_MECAB_DICDIR, or point it "
                            "at a UTF-8 ipadic folder",
                            kDictionaryPackage, kDictionaryPackage));
  }
  const fs::path preferred = "/var/lib/mecab/dic/ipadic-utf8";
  if (has_utf8_sys_dic(preferred)) return preferred.string();
  std::error_code ec;
  for (const fs::path rc : {"/etc/mecabrc", "/usr/local/etc/mecabrc"}) {
    const std::string dir = mecab_rc_value(rc.string(), "dicdir");
    if (dir.empty()) continue;
    const fs::path real = fs::canonical(dir, ec);
    if (!ec && has_utf8_sys_dic(real)) return real.string();
  }
  throw Error(ErrorCode::analysis, "MeCab's Japanese dictionary (UTF-8 ipadic) is not installed", {},
              fmt::format("install it: sudo apt-get install {} (scripts/install-deps does this)", kDictionaryPackage));
}

namespace {

// One MeCab model per process; taggers and lattices are per thread.
MeCab::Model& mecab_model() {
  static std::once_flag once;
  static MeCab::Model* model = nullptr;
  static std::string failure;
  std::call_once(once, [] {
    std::string dir;
    try {
      dir = find_mecab_dictionary();
    } catch (const Error& e) {
      failure = e.message + "\n" + e.hint;
      return;
    }
    // The dictionary's own dicrc as the rc file: the dictionary comes from -d alone, whatever /etc/mecabrc says.
    const std::string args = fmt::format("mecab -r {}/dicrc -d {}", dir, dir);
    model = MeCab::createModel(args.c_str());
    if (model == nullptr) {
      failure = fmt::format("MeCab could not load the dictionary in {}: {}", dir, MeCab::getLastError());
      return;
    }
  });
  if (model == nullptr) {
    const auto nl = failure.find('\n');
    throw Error(ErrorCode::analysis, failure.substr(0, nl), {},
                nl == std::string::npos ? fmt::format("reinstall {}", kDictionaryPackage) : failure.substr(nl + 1));
  }
  return *model;
}

// The same dictionary for koko's own Viterbi (mecab_lattice.hpp), which answers the sentences without user-dictionary
// constraints; MeCab answers the rest.
const MecabDictionary& mecab_dictionary() {
  static std::once_flag once;
  static std::unique_ptr<MecabDictionary> dictionary;
  static std::optional<Error> failure;
  std::call_once(once, [] {
    try {
      dictionary = std::make_unique<MecabDictionary>(find_mecab_dictionary());
    } catch (const Error& e) {
      failure = e;
    }
  });
  if (failure) throw *failure;
  return *dictionary;
}

// ipadic features: pos1,pos2,pos3,pos4,conjugation type,conjugation form,base form,reading,pronunciation.
Pos ja_pos(std::string_view f1, std::string_view f2) {
  if (f1 == "名詞") {
    if (f2 == "一般" || f2 == "サ変接続" || f2 == "副詞可能") return Pos::noun;
    if (f2 == "固有名詞") return Pos::proper_noun;
    if (f2 == "形容動詞語幹" || f2 == "ナイ形容詞語幹") return Pos::adjective;
    if (f2 == "数") return Pos::number;
    return Pos::function;
  }
  if (f1 == "動詞") return f2 == "自立" ? Pos::verb : Pos::function;
  if (f1 == "形容詞") return f2 == "自立" ? Pos::adjective : Pos::function;
  if (f1 == "副詞") return Pos::adverb;
  if (f1 == "記号") return Pos::symbol;
  return Pos::function;
}

// Words that turn a sentence ("…が", "けど", "しかし", "ただ、"): what follows them weighs more.
bool is_contrast(std::string_view f1, std::string_view f2, std::string_view term) {
  if (f1 == "助詞" && f2 == "接続助詞")
    return term == "が" || term == "けど" || term == "けれど" || term == "けれども" || term == "のに" ||
           term == "ものの";
  if (f1 == "接続詞")
    return term == "しかし" || term == "ただ" || term == "でも" || term == "だが" || term == "ですが" ||
           term == "ただし" || term == "けど" || term == "けれど" || term == "しかしながら" || term == "とはいえ";
  return false;
}

bool all_katakana(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size();) {
    size_t len = 1;
    const char32_t c = decode(s, i, len);
    if (!detail::is_katakana(c) || c == 0x30FB) return false;  // ・ separates words
    i += len;
  }
  return true;
}

// Letters, digits and the joiners of product names ("Wi-Fi", "A&B", "3.5mm").
bool ascii_word_piece(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '&' ||
          c == '.' || c == '_' || c == '\''))
      return false;
  return true;
}

// A word has at least one letter: ipadic tags stray ASCII symbols ("-", "/") as nouns.
bool has_letter(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    size_t len = 1;
    const char32_t c = decode(s, i, len);
    if (detail::is_japanese(c) || detail::is_latin_letter(c) || (c >= 0x370 && c < 0x2000)) return true;
    i += len;
  }
  return false;
}

bool is_content(TextLang lang, Pos pos, std::string_view term) {
  switch (pos) {
    case Pos::word:
    case Pos::noun:
    case Pos::proper_noun:
    case Pos::verb:
    case Pos::adjective:
    case Pos::adverb:
      break;
    case Pos::user:
      return true;
    default:
      return false;
  }
  if (!has_letter(term)) return false;
  if (lang == TextLang::ja) {
    size_t len = 1;
    const char32_t c = decode(term, 0, len);
    if (len == term.size() && detail::is_hiragana(c)) return false;  // one kana
  } else if (term.size() < 2) {
    return false;
  }
  return !is_stop_word(lang, term);
}

}  // namespace

// ---- The tokeniser -----------------------------------------------------------------------------------------------

struct Tokeniser::Impl {
  const UserDictionary* user = nullptr;
  std::vector<std::pair<Span, uint32_t>> matches;
  // English
  icu::BreakIterator* words_en = nullptr;
  UText* utext = nullptr;
  sb_stemmer* stemmer = nullptr;
  // Japanese (created on the first Japanese sentence): koko's lattice, and MeCab for constrained sentences
  std::unique_ptr<MecabLattice> fast;
  std::vector<Morph> morphs;
  MeCab::Tagger* tagger = nullptr;
  MeCab::Lattice* lattice = nullptr;

  // What a MeCab dictionary entry says never changes: it is worked out once per entry, keyed by the entry's
  // feature string (which lives in the mapped dictionary), as a finished word for the surface first seen with it.
  struct Entry {
    bool base_is_surface = false;  // unknown words and entries without a base form
    Word word;                     // term, pos, content, contrast and sentiment for surface `word.lower`
  };
  // The entries themselves sit in the open-addressing slots (keyed by feature pointer): one cache miss per lookup.
  struct Slot {
    const char* feature = nullptr;
    Entry entry;
  };
  std::vector<Slot> slots = std::vector<Slot>(1024);
  size_t used = 0;
  int shift = 64 - 10;

  static Entry describe(const char* feature, std::string_view surface) {
    // The first seven fields only, without measuring the whole feature string.
    std::array<std::string_view, 7> f{};
    size_t field = 0;
    for (const char* start = feature;; ++feature) {
      if (*feature == ',' || *feature == '\0') {
        f[field++] = std::string_view(start, static_cast<size_t>(feature - start));
        if (*feature == '\0' || field == f.size()) break;
        start = feature + 1;
      }
    }
    Entry e;
    Word& w = e.word;
    w.pos = ja_pos(f[0], f[1]);
    w.lower = detail::intern(surface);
    e.base_is_surface = f[6].empty() || f[6] == "*";
    w.term = e.base_is_surface ? w.lower : detail::intern(f[6]);
    w.contrast = !e.base_is_surface && is_contrast(f[0], f[1], w.term);
    w.content = is_content(TextLang::ja, w.pos, w.term);
    detail::set_sentiment(w, TextLang::ja);
    return e;
  }
  [[nodiscard]] size_t hash(const char* feature) const {
    return static_cast<size_t>((reinterpret_cast<uintptr_t>(feature) * 0x9E3779B97F4A7C15ull) >> shift);
  }
  // The next word's slot is fetched while this one is worked on.
  void prefetch(const char* feature) const {
    const Slot* p = &slots[hash(feature)];
    __builtin_prefetch(p);
    __builtin_prefetch(reinterpret_cast<const char*>(p) + sizeof(Slot) - 1);
  }
  // Open addressing on the feature pointer: one probe, no division, for the ~10 words of every sentence. The
  // reference is valid until the next call.
  const Entry& entry(const char* feature, std::string_view surface) {
    size_t h = hash(feature);
    for (; slots[h].feature != nullptr; h = (h + 1) & (slots.size() - 1))
      if (slots[h].feature == feature) return slots[h].entry;
    if ((used + 1) * 2 > slots.size()) {  // keep the table at most half full
      std::vector<Slot> old(slots.size() * 2);
      old.swap(slots);
      --shift;
      for (auto& o : old) {
        if (o.feature == nullptr) continue;
        size_t i = hash(o.feature);
        while (slots[i].feature != nullptr) i = (i + 1) & (slots.size() - 1);
        slots[i] = std::move(o);
      }
      h = hash(feature);
      while (slots[h].feature != nullptr) h = (h + 1) & (slots.size() - 1);
    }
    ++used;
    slots[h] = {feature, describe(feature, surface)};
    return slots[h].entry;
  }

  ~Impl() {
    delete words_en;
    if (utext != nullptr) utext_close(utext);
    if (stemmer != nullptr) sb_stemmer_delete(stemmer);
    delete lattice;
    delete tagger;
  }

  // English words seen before, by lower-case surface: stemmed and looked up once per tokeniser.
  std::unordered_map<std::string_view, Word> english_words;

  void english(std::string_view text, Span span, std::vector<Word>& out);
  void japanese(std::string_view text, Span span, std::vector<Word>& out);
  void mecab(std::string_view sentence);  // MeCab's words for the sentence, with the user-dictionary constraints
  // scored_as: the language whose lexicon scores the word (a Latin word in a Japanese sentence is scored as Japanese)
  void english_word(std::string_view text, uint32_t b, uint32_t e, bool number, TextLang scored_as,
                    std::vector<Word>& out);
};

Tokeniser::Tokeniser(const UserDictionary* user) : impl_(std::make_unique<Impl>()) {
  impl_->user = user;
  UErrorCode err = U_ZERO_ERROR;
  impl_->words_en = icu::BreakIterator::createWordInstance(icu::Locale::getEnglish(), err);
  if (U_FAILURE(err) || impl_->words_en == nullptr)
    throw Error(ErrorCode::internal, fmt::format("ICU word breaks unavailable: {}", u_errorName(err)), {},
                "reinstall libicu72");
  impl_->stemmer = sb_stemmer_new("english", nullptr);
  if (impl_->stemmer == nullptr)
    throw Error(ErrorCode::internal, "the Snowball English stemmer is unavailable", {}, "reinstall libstemmer0d");
}

Tokeniser::~Tokeniser() = default;

void Tokeniser::words(std::string_view text, Span span, TextLang lang, std::vector<Word>& out) {
  if (span.end <= span.begin) return;
  if (lang == TextLang::ja)
    impl_->japanese(text, span, out);
  else
    impl_->english(text, span, out);
}

void Tokeniser::Impl::english_word(std::string_view text, uint32_t b, uint32_t e, bool number, TextLang scored_as,
                                   std::vector<Word>& out) {
  const std::string_view surface = text.substr(b, e - b);
  thread_local std::string lowered;
  lowered.assign(surface);
  for (auto& c : lowered) c = ascii_lower(c);
  const auto it = number ? english_words.end() : english_words.find(std::string_view(lowered));
  Word& w = out.emplace_back();
  if (it != english_words.end()) {
    w = it->second;  // a word seen before: its stem, flags and English sentiment
  } else {
    w.lower = detail::intern(lowered);
    w.contrast = w.lower == "but" || w.lower == "however";
    if (number) {
      w.pos = Pos::number;
      w.term = w.lower;
    } else {
      // "don't" stems as "don't"; the stemmer wants the word without a possessive 's.
      std::string_view stem_in = w.lower;
      if (stem_in.size() > 2 && stem_in.ends_with("'s")) stem_in.remove_suffix(2);
      const sb_symbol* r = sb_stemmer_stem(stemmer, reinterpret_cast<const sb_symbol*>(stem_in.data()),
                                           static_cast<int>(stem_in.size()));
      w.term = r != nullptr ? detail::intern(std::string_view(reinterpret_cast<const char*>(r),
                                                              static_cast<size_t>(sb_stemmer_length(stemmer))))
                            : stem_in;
      w.pos = Pos::word;
    }
    w.content = is_content(TextLang::en, w.pos, w.lower) && !is_stop_word(TextLang::en, w.term);
    detail::set_sentiment(w, TextLang::en);
    if (!number) english_words.emplace(w.lower, w);
  }
  w.begin = b;
  w.end = e;
  bool upper = false, lower_seen = false;
  for (char c : surface) {
    upper = upper || (c >= 'A' && c <= 'Z');
    lower_seen = lower_seen || (c >= 'a' && c <= 'z');
  }
  w.caps = upper && !lower_seen && surface.size() > 1;
  if (scored_as != TextLang::en) detail::set_sentiment(w, scored_as);
}

void Tokeniser::Impl::english(std::string_view text, Span span, std::vector<Word>& out) {
  const std::string_view s = text.substr(span.begin, span.end - span.begin);
  matches.clear();
  if (user != nullptr) user->find(s, matches);
  size_t next_match = 0;
  UErrorCode err = U_ZERO_ERROR;
  utext = utext_openUTF8(utext, s.data(), static_cast<int64_t>(s.size()), &err);
  words_en->setText(utext, err);
  if (U_FAILURE(err)) return;
  int32_t prev = words_en->first();
  for (int32_t cur = words_en->next(); cur != icu::BreakIterator::DONE; prev = cur, cur = words_en->next()) {
    const int32_t status = words_en->getRuleStatus();
    const auto b = static_cast<uint32_t>(prev), e = static_cast<uint32_t>(cur);
    // A user entry replaces the words it covers.
    while (next_match < matches.size() && matches[next_match].first.end <= b) ++next_match;
    if (next_match < matches.size() && matches[next_match].first.begin < e) {
      const auto& [m, k] = matches[next_match];
      const bool emitted = !out.empty() && out.back().pos == Pos::user && out.back().begin == span.begin + m.begin;
      if (!emitted) {
        Word w;
        w.begin = span.begin + m.begin;
        w.end = span.begin + m.end;
        w.lower = detail::intern(ascii_lower(s.substr(m.begin, m.end - m.begin)));
        w.term = detail::intern(ascii_lower(user->entries()[k].word));
        w.pos = Pos::user;
        w.content = true;
        detail::set_sentiment(w, TextLang::en);
        out.push_back(std::move(w));
      }
      continue;
    }
    if (status >= UBRK_WORD_NUMBER && status < UBRK_WORD_NUMBER_LIMIT) {
      english_word(text, span.begin + b, span.begin + e, true, TextLang::en, out);
    } else if (status >= UBRK_WORD_LETTER && status < UBRK_WORD_IDEO_LIMIT) {
      english_word(text, span.begin + b, span.begin + e, false, TextLang::en, out);
    } else {
      // Punctuation and symbols are kept for sentiment ("!" adds emphasis); spaces are not words.
      const std::string_view p = s.substr(b, e - b);
      if (p.find_first_not_of(" \t\n") == std::string_view::npos) continue;
      Word w;
      w.begin = span.begin + b;
      w.end = span.begin + e;
      w.lower = w.term = detail::intern(p);
      w.pos = Pos::symbol;
      detail::set_sentiment(w, TextLang::en);
      out.push_back(std::move(w));
    }
  }
}

void Tokeniser::Impl::mecab(std::string_view s) {
  if (tagger == nullptr) {
    MeCab::Model& model = mecab_model();
    tagger = model.createTagger();
    lattice = model.createLattice();
    if (tagger == nullptr || lattice == nullptr)
      throw Error(ErrorCode::internal, fmt::format("MeCab failed: {}", MeCab::getLastError()), {},
                  "reinstall libmecab2");
  }
  lattice->set_sentence(s.data(), s.size());
  lattice->set_request_type(MECAB_ONE_BEST);  // MECAB_PARTIAL would read "surface\tfeature" lines
  for (const auto& [m, k] : matches) {
    lattice->set_boundary_constraint(m.begin, MECAB_TOKEN_BOUNDARY);
    lattice->set_boundary_constraint(m.end, MECAB_TOKEN_BOUNDARY);
    for (uint32_t p = m.begin + 1; p < m.end; ++p) lattice->set_boundary_constraint(p, MECAB_INSIDE_TOKEN);
    lattice->set_feature_constraint(m.begin, m.end, user->mecab_feature(k).c_str());
  }
  if (!tagger->parse(lattice))
    throw Error(ErrorCode::internal, fmt::format("MeCab could not parse a sentence: {}", lattice->what()));
  morphs.clear();
  for (const MeCab::Node* node = lattice->bos_node()->next; node != nullptr && node->stat != MECAB_EOS_NODE;
       node = node->next)
    morphs.push_back({static_cast<uint32_t>(node->surface - s.data()), node->length, node->feature});
}

void Tokeniser::Impl::japanese(std::string_view text, Span span, std::vector<Word>& out) {
  if (fast == nullptr) fast = std::make_unique<MecabLattice>(mecab_dictionary());
  const std::string_view s = text.substr(span.begin, span.end - span.begin);
  matches.clear();
  if (user != nullptr) user->find(s, matches);
  if (!matches.empty() || !fast->parse(s, morphs)) mecab(s);
  const size_t first = out.size();
  for (size_t i = 0; i < morphs.size(); ++i) {
    const Morph& m = morphs[i];
    if (m.length == 0) continue;
    if (i + 1 < morphs.size()) prefetch(morphs[i + 1].feature);
    const uint32_t b = m.begin;
    const std::string_view surface = s.substr(b, m.length);
    const bool user_node = !matches.empty() && std::any_of(matches.begin(), matches.end(), [&](const auto& um) {
      return um.first.begin == b && um.first.end == b + m.length;
    });
    if (user_node) {
      Word w;
      w.begin = span.begin + b;
      w.end = w.begin + m.length;
      w.lower = detail::intern(surface);
      w.pos = Pos::user;
      w.term = w.lower;
      w.content = is_content(TextLang::ja, w.pos, w.term);
      detail::set_sentiment(w, TextLang::ja);
      out.push_back(std::move(w));
      continue;
    }
    // Latin words inside Japanese text are English words: stem them the same way.
    if (static_cast<unsigned char>(surface[0]) < 0x80 &&
        ((surface[0] >= 'a' && surface[0] <= 'z') || (surface[0] >= 'A' && surface[0] <= 'Z'))) {
      english_word(text, span.begin + b, span.begin + b + m.length, false, TextLang::ja, out);
      continue;
    }
    const Entry& e = entry(m.feature, surface);
    if (e.word.lower == surface) {
      out.push_back(e.word);
    } else {
      // Another surface of the same entry (always so for unknown words): what depends on the surface is redone.
      Word& w = out.emplace_back();
      w.pos = e.word.pos;
      w.contrast = e.word.contrast;
      w.lower = detail::intern(surface);
      w.term = e.base_is_surface ? w.lower : e.word.term;
      w.content = e.base_is_surface ? is_content(TextLang::ja, w.pos, w.term) : e.word.content;
      detail::set_sentiment(w, TextLang::ja);
    }
    out.back().begin = span.begin + b;
    out.back().end = span.begin + b + m.length;
  }
  // Adjacent katakana nouns are one loanword compound (スマート + フォン → スマートフォン), and adjacent ASCII
  // pieces are one word (Wi + - + Fi → wi-fi).
  size_t keep = first;
  for (size_t i = first; i < out.size(); ++i) {
    Word& w = out[i];
    const bool kata = (w.pos == Pos::noun || w.pos == Pos::proper_noun) && all_katakana(w.lower);
    if (keep > first) {
      Word& prev = out[keep - 1];
      if (prev.end == w.begin && w.pos != Pos::user && prev.pos != Pos::user && ascii_word_piece(prev.lower) &&
          ascii_word_piece(w.lower)) {
        prev.lower = detail::intern(ascii_lower(std::string(prev.lower) + std::string(w.lower)));
        prev.term = prev.lower;
        prev.end = w.end;
        prev.pos = Pos::word;
        prev.content = is_content(TextLang::en, prev.pos, prev.term);
        detail::set_sentiment(prev, TextLang::ja);
        continue;
      }
      if (kata && prev.end == w.begin && (prev.pos == Pos::noun || prev.pos == Pos::proper_noun) &&
          all_katakana(prev.lower)) {
        prev.lower = detail::intern(std::string(prev.lower) + std::string(w.lower));
        prev.term = prev.lower;
        prev.end = w.end;
        prev.pos = Pos::noun;
        prev.content = is_content(TextLang::ja, prev.pos, prev.term);
        detail::set_sentiment(prev, TextLang::ja);
        continue;
      }
    }
    if (keep != i) out[keep] = std::move(w);
    ++keep;
  }
  out.resize(keep);
}

}  // namespace koko::voice
