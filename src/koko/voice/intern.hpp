#pragma once
// Private: the pool of words the voice engine has seen. Each distinct string is stored once for the life of the
// process, so a Word's term and surface are views that never dangle and copying a word copies no characters.
// Thread-safe; memory grows with the vocabulary (distinct words), not with the amount of text.
#include <string_view>

namespace koko::voice::detail {

std::string_view intern(std::string_view s);

}  // namespace koko::voice::detail
