// Stop words: frequent words that say little about what a text is about (koko's own lists). They stay in the
// word stream for sentiment (not, very, ない) and are left out of stored content tokens, phrases and themes.
#include <algorithm>
#include <string_view>
#include <vector>

#include "koko/voice/voice.hpp"

namespace koko::voice {

namespace {

// English lower-case surfaces and their Snowball stems.
constexpr std::string_view kEnglish[] = {
    "can't",   "don't",    "didn't",   "doesn't",    "isn't",   "wasn't",   "won't",      "wouldn't", "couldn't",
    "aren't",  "i'd",      "she's",    "he's",       "they're", "we're",    "that's",     "there's",  "what's",
    "let's",   "ve",       "a",        "about",      "abov",    "above",    "after",      "again",    "against",
    "all",     "also",     "am",       "an",         "and",     "ani",      "any",        "are",      "as",
    "at",      "be",       "becaus",   "because",    "been",    "befor",    "before",     "being",    "below",
    "between", "both",     "but",      "by",         "can",     "could",    "did",        "do",       "doe",
    "does",    "doing",    "don",      "down",       "dure",    "during",   "each",       "els",      "else",
    "etc",     "ever",     "few",      "for",        "from",    "further",  "get",        "gets",     "go",
    "goe",     "goes",     "got",      "had",        "has",     "have",     "having",     "he",       "her",
    "here",    "hers",     "herself",  "him",        "himself", "his",      "how",        "i",        "i'd",
    "i'll",    "i'm",      "i've",     "if",         "in",      "into",     "is",         "it",       "it'",
    "it's",    "its",      "itself",   "just",       "let",     "me",       "might",      "more",     "most",
    "much",    "must",     "my",       "myself",     "no",      "nor",      "not",        "now",      "of",
    "off",     "on",       "onc",      "once",       "one",     "onli",     "only",       "or",       "other",
    "our",     "ours",     "ourselv",  "ourselves",  "out",     "over",     "own",        "realli",   "really",
    "same",    "shall",    "she",      "should",     "so",      "some",     "still",      "such",     "than",
    "that",    "the",      "their",    "theirs",     "them",    "themselv", "themselves", "then",     "there",
    "these",   "they",     "thi",      "this",       "those",   "through",  "to",         "too",      "under",
    "until",   "up",       "us",       "use",        "veri",    "very",     "was",        "way",      "we",
    "were",    "what",     "when",     "where",      "whi",     "which",    "while",      "who",      "whom",
    "why",     "will",     "with",     "would",      "yet",     "you",      "you'r",      "you're",   "your",
    "yours",   "yourself", "yourselv", "yourselves", "'s",
};

// Japanese base forms (辞書形) of light verbs, formal nouns and degree adverbs.
constexpr std::string_view kJapanese[] = {
    "ない",   "無い",     "なし",     "無し",     "ぬ",     "ん",     "おる",   "ござる", "致す",     "いたす",
    "ある",   "いう",     "いく",     "いただく", "いる",   "いつも", "おる",   "かなり", "くださる", "くる",
    "くれる", "こと",     "これ",     "さん",     "しまう", "する",   "すごい", "すごく", "ぜひ",     "それ",
    "ため",   "たくさん", "ちょっと", "ところ",   "とても", "とき",   "できる", "なる",   "ほう",     "ほど",
    "まあ",   "また",     "まだ",     "みる",     "もう",   "もの",   "もらう", "やはり", "やや",     "よう",
    "よく",   "られる",   "れる",     "下さる",   "事",     "今回",   "来る",   "出来る", "初めて",   "少し",
    "少々",   "思う",     "感じ",     "方",       "是非",   "時",     "本当",   "本当に", "様",       "物",
    "特に",   "的",       "皆様",     "結構",     "若干",   "言う",   "非常",   "非常に", "頂く",
};

template <size_t N>
std::vector<std::string_view> sorted(const std::string_view (&a)[N]) {
  std::vector<std::string_view> v(a, a + N);
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

bool is_stop_word(TextLang lang, std::string_view term) {
  static const auto en = sorted(kEnglish);
  static const auto ja = sorted(kJapanese);
  const auto& list = lang == TextLang::ja ? ja : en;
  return std::binary_search(list.begin(), list.end(), term);
}

}  // namespace koko::voice
