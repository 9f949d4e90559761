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

// A string with its hash, worked out once per intern() call: it picks the shard and then the bucket.
struct Key {
  std::string_view s;
  uint64_t hash;
  bool operator==(const Key& o) const { return s == o.s; }
};
struct KeyHash {
  size_t operator()(const Key& k) const { return static_cast<size_t>(k.hash); }
};

// One lock per shard keeps two tokenising threads from waiting on each other.
struct Shard {
  std::mutex m;
  std::unordered_set<Key, KeyHash> words;
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
  Shard& shard = (*shards)[(h >> 32) % kShards];  // the high bits, so each shard's buckets see all the low ones
  std::lock_guard lock(shard.m);
  if (const auto it = shard.words.find(Key{s, h}); it != shard.words.end()) return it->s;
  const std::string_view stored = shard.store(s);
  shard.words.insert(Key{stored, h});
  return stored;
}

}  // namespace koko::voice::detail
