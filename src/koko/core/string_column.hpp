#pragma once
// Many strings in one buffer: offsets + bytes, the layout of string columns in memory and in stored chunks.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace koko {

struct StringColumn {
  std::vector<uint64_t> offsets{0};  // offsets.size() == rows + 1
  std::string bytes;

  void push_back(std::string_view s) {
    bytes.append(s);
    offsets.push_back(bytes.size());
  }
  [[nodiscard]] size_t size() const { return offsets.size() - 1; }
  [[nodiscard]] std::string_view operator[](size_t i) const {
    return {bytes.data() + offsets[i], static_cast<size_t>(offsets[i + 1] - offsets[i])};
  }
  void clear() {
    offsets.assign(1, 0);
    bytes.clear();
  }
};

}  // namespace koko
