#pragma once
// Opaque IDs → dense keys 0..n-1 in order of first appearance: a flat open-addressing table over one string
// buffer, so millions of IDs cost two arrays and no per-ID allocation.
#include <cstdint>
#include <string_view>
#include <vector>

#include "koko/core/string_column.hpp"

namespace koko::io {

class Dictionary {
 public:
  uint32_t intern(std::string_view id);  // the key of id, adding it when new
  [[nodiscard]] size_t size() const { return ids_.size(); }
  [[nodiscard]] std::string_view id(size_t key) const { return ids_[key]; }

  size_t stored = 0;  // keys below this are already in the workspace

 private:
  void grow();
  StringColumn ids_;
  std::vector<uint64_t> hashes_;  // per key, for growing
  std::vector<uint64_t> slots_;   // (upper 32 bits of the hash) << 32 | (key + 1); 0 = empty
  size_t mask_ = 0;
};

}  // namespace koko::io
