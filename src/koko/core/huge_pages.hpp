#pragma once
// Large tables read or updated at random run faster on huge pages: with 4 KiB pages each random access is usually
// a TLB miss as well as a cache miss. Linux gives transparent huge pages only where asked (madvise mode) and only
// to pages not yet touched, so: reserve, advise, then fill.
#include <sys/mman.h>

#include <cstdint>
#include <string>
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

// A library that maps a large read-only file (MeCab's dictionary) reads it through 4 KiB page-cache pages, which
// Linux does not merge into huge pages. This replaces each read-only mapping of `file` of at least 2 MiB in this
// process, at the same address, by an anonymous huge-page copy of the same bytes, so the library's pointers stay
// valid. Call it before any other thread reads those mappings. Returns the bytes moved; 0 when there is nothing to
// move or the system cannot (transparent huge pages off, no memory): the file mappings are then left as they were.
size_t move_file_mappings_to_huge_pages(const std::string& file);

}  // namespace koko
