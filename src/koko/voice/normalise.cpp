// Normalisation, language by script, sentences, keyword in context.
#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>

#include <algorithm>
#include <array>

#include "koko/voice/utf8.hpp"
#include "koko/voice/voice.hpp"

namespace koko::voice {

using detail::decode;

std::string_view lang_code(TextLang l) { return l == TextLang::ja ? "ja" : "en"; }

std::string_view pos_name(Pos p) {
  static constexpr std::array<std::string_view, 10> names = {"word",   "noun",   "proper_noun", "verb",   "adjective",
                                                             "adverb", "number", "function",    "symbol", "user"};
  return names[static_cast<size_t>(p)];
}

namespace {

// Tags that end a line of text when removed.
bool is_block_tag(std::string_view name) {
  static constexpr std::array<std::string_view, 12> block = {"br", "p",  "div", "li", "tr",    "h1",
                                                             "h2", "h3", "ul",  "ol", "table", "hr"};
  return std::find(block.begin(), block.end(), name) != block.end();
}

// A tag starting at s[i] == '<': its length, or 0 when it is not one (so "a < b" stays text).
size_t tag_length(std::string_view s, size_t i, std::string& name) {
  size_t j = i + 1;
  if (j < s.size() && s[j] == '/') ++j;
  if (j < s.size() && s[j] == '!') {  // comments and doctypes
    const size_t close = s.find('>', j);
    return close == std::string_view::npos ? 0 : close + 1 - i;
  }
  const size_t name_start = j;
  while (j < s.size() && ((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z') || (s[j] >= '0' && s[j] <= '9')))
    ++j;
  if (j == name_start ||
      !((s[name_start] >= 'a' && s[name_start] <= 'z') || (s[name_start] >= 'A' && s[name_start] <= 'Z')))
    return 0;
  name = detail::ascii_lower(s.substr(name_start, j - name_start));
  if (j < s.size() && s[j] != '>' && s[j] != ' ' && s[j] != '/' && s[j] != '\t' && s[j] != '\n') return 0;
  const size_t close = s.find_first_of("<>", j);
  if (close == std::string_view::npos || s[close] != '>' || close - i > 512) return 0;
  return close + 1 - i;
}

// An entity at s[i] == '&': appends its text and returns its length, or 0 when it is not one.
size_t entity(std::string_view s, size_t i, std::string& out) {
  const size_t semi = s.find(';', i);
  if (semi == std::string_view::npos || semi - i > 10) return 0;
  const std::string_view name = s.substr(i + 1, semi - i - 1);
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 8> named = {{{"amp", "&"},
                                                                                          {"lt", "<"},
                                                                                          {"gt", ">"},
                                                                                          {"quot", "\""},
                                                                                          {"apos", "'"},
                                                                                          {"nbsp", " "},
                                                                                          {"#39", "'"},
                                                                                          {"hellip", "..."}}};
  for (const auto& [k, v] : named)
    if (name == k) {
      out += v;
      return semi + 1 - i;
    }
  if (name.size() >= 2 && name[0] == '#') {
    char32_t cp = 0;
    const bool hex = name[1] == 'x' || name[1] == 'X';
    for (size_t k = hex ? 2 : 1; k < name.size(); ++k) {
      const char c = name[k];
      int d = -1;
      if (c >= '0' && c <= '9')
        d = c - '0';
      else if (hex && c >= 'a' && c <= 'f')
        d = c - 'a' + 10;
      else if (hex && c >= 'A' && c <= 'F')
        d = c - 'A' + 10;
      if (d < 0 || cp > 0x10FFFF) return 0;
      cp = cp * (hex ? 16 : 10) + static_cast<char32_t>(d);
    }
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    detail::append_utf8(out, cp);
    return semi + 1 - i;
  }
  return 0;
}

std::string strip_markup(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::string name;
  for (size_t i = 0; i < s.size();) {
    const char c = s[i];
    if (c == '<') {
      if (const size_t n = tag_length(s, i, name)) {
        if (is_block_tag(name)) out += '\n';
        i += n;
        continue;
      }
    } else if (c == '&') {
      if (const size_t n = entity(s, i, out)) {
        i += n;
        continue;
      }
    }
    out += c;
    ++i;
  }
  return out;
}

// Into `out` (its storage reused text after text).
void nfkc_utf8(std::string_view s, std::string& out) {
  out.clear();
  UErrorCode err = U_ZERO_ERROR;
  const icu::Normalizer2* n = icu::Normalizer2::getNFKCInstance(err);
  if (U_SUCCESS(err)) {
    const icu::StringPiece piece(s.data(), static_cast<int32_t>(s.size()));
    // normalizeUTF8 copies the normalised stretches as they are: no separate check first (one pass, not two).
    out.reserve(s.size());
    icu::StringByteSink<std::string> sink(&out);
    n->normalizeUTF8(0, piece, sink, nullptr, err);
  }
  if (U_FAILURE(err)) out.assign(s);
}

// Bytes that may start a character the whitespace pass changes: controls and space, and the lead bytes of U+0085,
// U+00A0, U+02BC (C2, CA), U+2018/2019/200B-D/2028/2029/2060 (E2), U+3000 (E3 80 80) and U+FEFF (EF).
constexpr std::array<bool, 256> kMaybeSpecial = [] {
  std::array<bool, 256> t{};
  for (int b = 0; b <= 0x20; ++b) t[static_cast<size_t>(b)] = true;
  for (int b : {0xC2, 0xCA, 0xE2, 0xE3, 0xEF}) t[static_cast<size_t>(b)] = true;
  return t;
}();

}  // namespace

std::string normalise_text(std::string_view raw) {
  // Two memchr scans: find_first_of would test every byte against the set one by one.
  const bool markup = raw.find('<') != std::string_view::npos || raw.find('&') != std::string_view::npos;
  std::string stripped;
  if (markup) stripped = strip_markup(raw);
  std::string_view s = markup ? std::string_view(stripped) : raw;
  unsigned char high = 0;  // an OR over all bytes vectorises; a short-circuiting test would not
  for (char c : s) high |= static_cast<unsigned char>(c);
  const bool ascii = high < 0x80;
  thread_local std::string normalised;
  if (!ascii) {
    nfkc_utf8(s, normalised);
    s = normalised;
  }
  // Whitespace, apostrophes and zero-width characters, in one pass; runs of other characters are copied whole.
  std::string out;
  out.reserve(s.size());
  bool space = false, newline = false;
  const auto separate = [&] {
    if (!out.empty()) {
      if (newline)
        out += '\n';
      else if (space)
        out += ' ';
    }
    space = newline = false;
  };
  for (size_t i = 0; i < s.size();) {
    size_t j = i;
    while (j < s.size()) {
      const auto b = static_cast<unsigned char>(s[j]);
      if (!kMaybeSpecial[b]) {
        ++j;
      } else if (b == 0xE3 && j + 2 < s.size() && !(s[j + 1] == '\x80' && s[j + 2] == '\x80')) {
        j += 3;  // kana and CJK punctuation other than the ideographic space
      } else {
        break;
      }
    }
    if (j > i) {
      separate();
      out.append(s, i, j - i);
      i = j;
      continue;
    }
    size_t len = 1;
    const char32_t c = decode(s, i, len);
    if (c == '\r' || c == '\n' || c == 0x2028 || c == 0x2029 || c == 0x85) {
      newline = true;
      i += len;
      continue;
    }
    if (c == ' ' || c == '\t' || c == 0x3000 || c == 0xA0 || c == '\v' || c == '\f') {
      space = true;
      i += len;
      continue;
    }
    if (c == 0x200B || c == 0x200C || c == 0x200D || c == 0xFEFF || c == 0x2060 || (c < 0x20 && c != '\t')) {
      i += len;
      continue;
    }
    separate();
    if (c == 0x2019 || c == 0x2018 || c == 0x02BC)
      out += '\'';
    else
      out.append(s, i, len);
    i += len;
  }
  return out;
}

TextLang detect_language(std::string_view text) {
  size_t ja = 0, latin = 0;
  for (size_t i = 0, check = 256; i < text.size();) {
    if (i >= check) {  // stop once the rest cannot change the answer (a byte is at most one letter)
      const size_t rest = text.size() - i;
      if (ja > 0 && ja * 4 >= latin + rest) return TextLang::ja;
      if ((ja + rest) * 4 < latin) return TextLang::en;
      check = i + 256;
    }
    const auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x80) {  // ASCII: only letters count
      latin += ((b | 0x20) >= 'a' && (b | 0x20) <= 'z') ? 1 : 0;
      ++i;
      continue;
    }
    if (i + 2 < text.size()) {
      const auto b1 = static_cast<unsigned char>(text[i + 1]);
      // U+5000–U+9FFF: all CJK ideographs; U+3041–U+30FF: all kana.
      if ((b >= 0xE5 && b <= 0xE9) ||
          (b == 0xE3 && (b1 == 0x82 || b1 == 0x83 || (b1 == 0x81 && text[i + 2] != '\x80')))) {
        ++ja;
        i += 3;
        continue;
      }
    }
    size_t len = 1;
    const char32_t c = decode(text, i, len);
    if (detail::is_japanese(c))
      ++ja;
    else if (detail::is_latin_letter(c))
      ++latin;
    i += len;
  }
  // A Japanese character carries about as much as a short English word.
  return ja > 0 && ja * 4 >= latin ? TextLang::ja : TextLang::en;
}

namespace {

bool is_terminal(char32_t c) {
  return c == '.' || c == '!' || c == '?' || c == 0x3002 || c == 0xFF01 || c == 0xFF1F || c == 0x2026;
}
bool is_closing(char32_t c) {
  return c == '"' || c == '\'' || c == ')' || c == ']' || c == 0x300D || c == 0x300F || c == 0xFF09 || c == 0x3011;
}
bool is_space(char c) { return c == ' ' || c == '\n' || c == '\t'; }

void push_sentence(std::string_view text, uint32_t b, uint32_t e, size_t max_bytes, std::vector<Span>& out) {
  while (b < e && is_space(text[b])) ++b;
  while (e > b && is_space(text[e - 1])) --e;
  while (e - b > max_bytes) {
    // Cut a very long sentence at the last comma or space before the limit, else at a character boundary.
    uint32_t cut = b + static_cast<uint32_t>(max_bytes);
    while (cut > b && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    uint32_t best = cut;
    for (uint32_t k = cut; k > b + max_bytes / 2; --k) {
      const std::string_view tail = text.substr(k - 1, 1);
      if (tail == " " || tail == ",") {
        best = k;
        break;
      }
      if (k >= 3 && text.substr(k - 3, 3) == "\xE3\x80\x81") {  // 、
        best = k;
        break;
      }
    }
    out.push_back({b, best});
    b = best;
    while (b < e && is_space(text[b])) ++b;
  }
  if (e > b) out.push_back({b, e});
}

}  // namespace

std::vector<Span> split_sentences(std::string_view text, size_t max_bytes) {
  std::vector<Span> out;
  split_sentences(text, out, max_bytes);
  return out;
}

void split_sentences(std::string_view text, std::vector<Span>& out, size_t max_bytes) {
  out.clear();
  uint32_t start = 0;
  for (size_t i = 0; i < text.size();) {
    size_t len = 1;
    const char32_t c = decode(text, i, len);
    if (c == '\n') {
      push_sentence(text, start, static_cast<uint32_t>(i), max_bytes, out);
      start = static_cast<uint32_t>(i + 1);
      i += 1;
      continue;
    }
    if (!is_terminal(c)) {
      i += len;
      continue;
    }
    // Runs of terminals and closing quotes stay with the sentence ("!!", "。」", "...").
    size_t j = i + len;
    while (j < text.size()) {
      size_t l2 = 1;
      const char32_t d = decode(text, j, l2);
      if (!is_terminal(d) && !is_closing(d)) break;
      j += l2;
    }
    const bool ascii_stop = c == '.' || c == '!' || c == '?';
    // "3.5", "e.g." and "a.m." are not ends: an ASCII stop must be followed by a space or the end.
    if (!ascii_stop || j == text.size() || is_space(text[j])) {
      push_sentence(text, start, static_cast<uint32_t>(j), max_bytes, out);
      start = static_cast<uint32_t>(j);
    }
    i = j;
  }
  push_sentence(text, start, static_cast<uint32_t>(text.size()), max_bytes, out);
}

size_t display_width(std::string_view s) {
  size_t w = 0;
  for (size_t i = 0; i < s.size();) {
    size_t len = 1;
    const char32_t c = decode(s, i, len);
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) w += detail::is_wide(c) ? 2 : 1;
    i += len;
  }
  return w;
}

std::vector<Kwic> kwic(std::string_view text, std::string_view needle, size_t context) {
  std::vector<Kwic> out;
  if (needle.empty()) return out;
  const std::string hay = detail::ascii_lower(text), pin = detail::ascii_lower(needle);
  auto flat = [](std::string_view s) {
    std::string r(s);
    std::replace(r.begin(), r.end(), '\n', ' ');
    return r;
  };
  for (size_t pos = hay.find(pin); pos != std::string::npos; pos = hay.find(pin, pos + pin.size())) {
    // Walk back and forward `context` code points.
    size_t b = pos, n = 0;
    while (b > 0 && n < context) {
      --b;
      while (b > 0 && (static_cast<unsigned char>(text[b]) & 0xC0) == 0x80) --b;
      ++n;
    }
    size_t e = pos + pin.size();
    n = 0;
    while (e < text.size() && n < context) {
      size_t len = 1;
      decode(text, e, len);
      e += len;
      ++n;
    }
    out.push_back({static_cast<uint32_t>(pos), static_cast<uint32_t>(pos + pin.size()), flat(text.substr(b, pos - b)),
                   std::string(text.substr(pos, pin.size())),
                   flat(text.substr(pos + pin.size(), e - pos - pin.size()))});
  }
  return out;
}

}  // namespace koko::voice
