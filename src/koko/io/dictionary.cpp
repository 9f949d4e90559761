#include "koko/io/dictionary.hpp"

#include <xxhash.h>

#include "koko/core/error.hpp"

namespace koko::io {

uint32_t Dictionary::intern(std::string_view id) {
  if ((ids_.size() + 1) * 2 > slots_.size()) grow();
  const uint64_t h = XXH3_64bits(id.data(), id.size());
  const uint64_t tag = h & 0xFFFFFFFF00000000ull;
  for (size_t s = h & mask_;; s = (s + 1) & mask_) {
    const uint64_t slot = slots_[s];
    if (slot == 0) {
      if (ids_.size() >= UINT32_MAX - 2)
        throw Error(ErrorCode::input, "more than 4 billion distinct IDs", {}, "split the data");
      const auto key = static_cast<uint32_t>(ids_.size());
      ids_.push_back(id);
      hashes_.push_back(h);
      slots_[s] = tag | (key + 1);
      return key;
    }
    // The tag in the slot settles almost every mismatch without touching the stored ID.
    const auto key = static_cast<uint32_t>(slot & 0xFFFFFFFFu) - 1;
    if ((slot & 0xFFFFFFFF00000000ull) == tag && ids_[key] == id) return key;
  }
}

void Dictionary::grow() {
  const size_t n = slots_.empty() ? 1024 : slots_.size() * 2;
  slots_.assign(n, 0);
  mask_ = n - 1;
  for (uint32_t k = 0; k < hashes_.size(); ++k) {
    size_t s = hashes_[k] & mask_;
    while (slots_[s] != 0) s = (s + 1) & mask_;
    slots_[s] = (hashes_[k] & 0xFFFFFFFF00000000ull) | (k + 1);
  }
}

}  // namespace koko::io
