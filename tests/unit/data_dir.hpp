#pragma once
// Where the tests find the shared real data sets: $KOKO_DATA, else ../shared/data beside the source tree.
#include <cstdlib>
#include <filesystem>

namespace koko_test {

inline std::filesystem::path data_dir() {
  if (const char* d = std::getenv("KOKO_DATA"); d != nullptr && *d != '\0') return d;
  return std::filesystem::path(KOKO_SOURCE_DIR) / ".." / "shared" / "data";
}

}  // namespace koko_test
