#include "koko/core/huge_pages.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <fstream>

namespace koko {

namespace {

constexpr uintptr_t kHuge = uintptr_t{2} << 20;

struct Mapping {
  uintptr_t lo = 0, hi = 0;
  uint64_t offset = 0;
};

bool transparent_huge_pages_usable() {
  std::ifstream f("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string modes;
  return std::getline(f, modes) && modes.find("[never]") == std::string::npos;
}

// The read-only, private-or-shared mappings of the file with this device and inode, of at least one huge page.
std::vector<Mapping> mappings_of(dev_t dev, ino_t ino) {
  std::vector<Mapping> out;
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    Mapping m;
    char perms[5] = {};
    unsigned major_no = 0, minor_no = 0;
    uint64_t inode = 0;
    if (std::sscanf(line.c_str(), "%" SCNxPTR "-%" SCNxPTR " %4s %" SCNx64 " %x:%x %" SCNu64, &m.lo, &m.hi, perms,
                    &m.offset, &major_no, &minor_no, &inode) != 7)
      continue;
    if (inode != ino || makedev(major_no, minor_no) != dev) continue;
    if (perms[0] != 'r' || perms[1] != '-' || perms[2] != '-' || m.hi - m.lo < kHuge) continue;
    out.push_back(m);
  }
  return out;
}

// Fills an anonymous huge-page region with the mapping's bytes and moves it over the mapping.
bool move_one(int fd, const Mapping& m) {
  const size_t len = m.hi - m.lo;
  void* raw = mmap(nullptr, len + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return false;
  // The copy must sit at the same offset within a huge page as the mapping, so that mremap moves whole huge pages.
  const auto start = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t base = start + ((m.lo - start) & (kHuge - 1));
  if (base > start) munmap(raw, base - start);
  munmap(reinterpret_cast<void*>(base + len), start + kHuge - base);
  void* copy = reinterpret_cast<void*>(base);
  madvise(copy, len, MADV_HUGEPAGE);
  // Bytes past the end of the file read as zeros in the mapping; they stay zero in the copy.
  for (size_t done = 0; done < len;) {
    const ssize_t n = pread(fd, static_cast<char*>(copy) + done, len - done, static_cast<off_t>(m.offset + done));
    if (n < 0) {
      munmap(copy, len);
      return false;
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  if (mprotect(copy, len, PROT_READ) != 0 ||
      mremap(copy, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, reinterpret_cast<void*>(m.lo)) == MAP_FAILED) {
    munmap(copy, len);
    return false;
  }
  return true;
}

}  // namespace

size_t move_file_mappings_to_huge_pages(const std::string& file) {
  if (!transparent_huge_pages_usable()) return 0;
  struct stat st {};
  if (stat(file.c_str(), &st) != 0) return 0;
  const int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  size_t moved = 0;
  for (const Mapping& m : mappings_of(st.st_dev, st.st_ino))
    if (move_one(fd, m)) moved += m.hi - m.lo;
  close(fd);
  return moved;
}

}  // namespace koko
