#pragma once
// One message catalogue for the report and the CLI, in English and Japanese.
#include <fmt/args.h>
#include <fmt/format.h>

#include <string>
#include <string_view>

namespace koko {

enum class Lang { en, ja };

// "en" / "ja"; throws koko::Error (usage) for anything else.
Lang parse_lang(std::string_view s);
// The default language from the environment (LC_ALL, LC_MESSAGES, LANG starting with "ja" → ja), else en.
Lang default_lang();

// The catalogue text for key; throws koko::Error (internal) for an unknown key, so a typo fails in tests.
std::string_view msg(Lang lang, std::string_view key);

// The catalogue text with fmt-style named or positional arguments filled in: tr(lang, "overview.repeat", 0.31).
template <typename... Args>
std::string tr(Lang lang, std::string_view key, Args&&... args) {
  return fmt::vformat(msg(lang, key), fmt::make_format_args(args...));
}

}  // namespace koko
