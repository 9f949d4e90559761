#pragma once
// Large tables read or updated at random run faster on huge pages: with 4 KiB pages each random access is usually
// a TLB miss as well as a cache miss. Linux gives transparent huge pages only where asked (madvise mode) and only
// to pages not yet touched, so: reserve, advise, then fill.
#include <sys/mman.h>

#include <cstdint>
#include <vector>

namespace koko {

template <typename T>
std::vector<T> huge_page_vector(size_t n) {
  std::vector<T> v;
  v.reserve(n);
  const auto begin = reinterpret_cast<uintptr_t>(v.data());
  constexpr uintptr_t kHuge = uintptr_t{2} << 20;
  const uintptr_t lo = (begin + kHuge - 1) & ~(kHuge - 1), hi = (begin + n * sizeof(T)) & ~(kHuge - 1);
  if (hi > lo) madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_HUGEPAGE);  // advice only: failure is harmless
  v.resize(n);
  return v;
}

}  // namespace koko
