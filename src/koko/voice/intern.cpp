#include "koko/voice/intern.hpp"

#include <xxhash.h>

#include <array>
#include <cstring>
#include <memory>
#include <mutex>
#include <unordered_set>
#include <vector>

namespace koko::voice::detail {

namespace {

struct Hash {
  size_t operator()(std::string_view s) const { return XXH3_64bits(s.data(), s.size()); }
};

// One lock per shard keeps two tokenising threads from waiting on each other.
struct Shard {
  std::mutex m;
  std::unordered_set<std::string_view, Hash> words;
  std::vector<std::unique_ptr<char[]>> blocks;
  size_t left = 0;  // free bytes at the end of the last block
  char* next = nullptr;

  std::string_view store(std::string_view s) {
    constexpr size_t kBlock = 64 << 10;
    char* p = nullptr;
    if (s.size() > kBlock / 4) {  // a long string gets a block of its own
      blocks.push_back(std::make_unique<char[]>(s.size()));
      p = blocks.back().get();
    } else {
      if (left < s.size()) {
        blocks.push_back(std::make_unique<char[]>(kBlock));
        next = blocks.back().get();
        left = kBlock;
      }
      p = next;
      next += s.size();
      left -= s.size();
    }
    if (!s.empty()) std::memcpy(p, s.data(), s.size());
    return {p, s.size()};
  }
};

constexpr size_t kShards = 32;

}  // namespace

std::string_view intern(std::string_view s) {
  // Never destroyed: views may be read while other static objects are torn down at exit.
  static auto* shards = new std::array<Shard, kShards>();
  const uint64_t h = XXH3_64bits(s.data(), s.size());
  Shard& shard = (*shards)[h % kShards];
  std::lock_guard lock(shard.m);
  if (const auto it = shard.words.find(s); it != shard.words.end()) return *it;
  const std::string_view stored = shard.store(s);
  shard.words.insert(stored);
  return stored;
}

}  // namespace koko::voice::detail
