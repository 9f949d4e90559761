#include "koko/store/columnar.hpp"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstring>
#include <optional>

#include "koko/core/error.hpp"

namespace koko::store {

namespace {
constexpr char kMagic[4] = {'K', 'O', 'C', '1'};

template <typename T>
void put(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

template <typename T>
void put_array(std::string& out, const std::vector<T>& v) {
  put<uint64_t>(out, v.size());
  out.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

// Type bytes: 0-4 are the ColumnData alternatives stored plain; a packed integer column adds kPacked.
constexpr uint8_t kPacked = 5;  // 5 = uint32, 6 = int32, 7 = int64

template <typename T>
constexpr bool is_integer_column = std::is_same_v<T, std::vector<uint32_t>> ||
                                   std::is_same_v<T, std::vector<int32_t>> || std::is_same_v<T, std::vector<int64_t>>;

// Frame of reference: every value as its offset from the smallest, in `bits` bits, little-endian in 64-bit words.
struct Packing {
  uint64_t min = 0;  // the smallest value's bit pattern, widened to 64 bits
  uint8_t bits = 0;
  [[nodiscard]] static size_t words(size_t n, unsigned bits) { return (n * bits + 63) / 64; }
};

template <typename T>
Packing plan_packing(const std::vector<T>& v) {
  if (v.empty()) return {};
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  const auto range =
      static_cast<uint64_t>(static_cast<int64_t>(*hi)) - static_cast<uint64_t>(static_cast<int64_t>(*lo));
  return {static_cast<uint64_t>(static_cast<int64_t>(*lo)), static_cast<uint8_t>(std::bit_width(range))};
}

// Packing pays when it saves a quarter of the plain bytes.
template <typename T>
bool worth_packing(const std::vector<T>& v, const Packing& p) {
  return Packing::words(v.size(), p.bits) * 8 + sizeof(uint64_t) + 1 <= v.size() * sizeof(T) * 3 / 4;
}

template <typename T>
void put_packed(std::string& out, const std::vector<T>& v, const Packing& p) {
  put<uint64_t>(out, v.size());
  put<uint64_t>(out, p.min);
  put<uint8_t>(out, p.bits);
  size_t at = out.size();
  out.resize(at + Packing::words(v.size(), p.bits) * sizeof(uint64_t));
  const auto emit = [&](uint64_t word) {
    std::memcpy(out.data() + at, &word, sizeof word);
    at += sizeof word;
  };
  uint64_t word = 0;
  unsigned used = 0;
  for (const T x : v) {
    const uint64_t d = static_cast<uint64_t>(static_cast<int64_t>(x)) - p.min;
    word |= d << used;
    used += p.bits;
    if (used >= 64) {
      emit(word);
      used -= 64;
      word = used == 0 ? 0 : d >> (p.bits - used);
    }
  }
  if (used > 0) emit(word);
  assert(at == out.size());
}

template <typename T>
void unpack(const std::vector<uint64_t>& words, size_t n, const Packing& p, std::vector<T>& v) {
  v.resize(n);
  if (p.bits == 0) {  // every value the same
    std::fill(v.begin(), v.end(), static_cast<T>(static_cast<int64_t>(p.min)));
    return;
  }
  const uint64_t mask = p.bits == 64 ? ~uint64_t{0} : (uint64_t{1} << p.bits) - 1;
  for (size_t i = 0; i < n; ++i) {
    const size_t bit = i * p.bits, w = bit / 64;
    const unsigned off = bit % 64;
    uint64_t d = words[w] >> off;
    if (off + p.bits > 64) d |= words[w + 1] << (64 - off);
    v[i] = static_cast<T>(static_cast<int64_t>((d & mask) + p.min));
  }
}

// Reads a chunk through `read(dst, bytes, offset)`: from memory, or straight from SQLite's blob into the
// columns' own storage (one copy, no intermediate buffer).
struct Cursor {
  const ChunkReader& read;
  size_t size = 0;
  size_t pos = 0;

  void need(size_t n) const {
    if (n > size || pos > size - n)
      throw Error(ErrorCode::workspace, "a stored chunk is damaged (truncated)", {},
                  "re-import the data into a fresh workspace");
  }
  void bytes(void* dst, size_t n) {
    need(n);
    if (n) read(dst, n, pos);
    pos += n;
  }
  template <typename T>
  T get() {
    T v;
    bytes(&v, sizeof v);
    return v;
  }
  // Into an existing vector: its capacity is reused, so scanning chunk after chunk allocates nothing.
  template <typename T>
  void get_array_into(std::vector<T>& v) {
    const auto n = get<uint64_t>();
    if (n > (size - pos) / sizeof(T)) need(size + 1);
    v.resize(n);
    bytes(v.data(), n * sizeof(T));
  }
};
}  // namespace

size_t Chunk::rows() const {
  if (columns.empty()) return 0;
  return std::visit([](const auto& v) { return v.size(); }, columns.front().data);
}

const Column* Chunk::find(std::string_view name) const {
  for (const auto& c : columns)
    if (c.name == name) return &c;
  return nullptr;
}

const Column& Chunk::get(std::string_view name) const {
  if (const Column* c = find(name)) return *c;
  throw Error(ErrorCode::internal, "stored chunk has no column '" + std::string(name) + "'");
}

std::string encode_chunk(const Chunk& c) {
  // The exact size first: a chunk is tens of megabytes, and growing the string would copy it several times.
  size_t size = 4 + sizeof(uint32_t);
  std::vector<std::optional<Packing>> packing(c.columns.size());
  for (size_t k = 0; k < c.columns.size(); ++k) {
    const Column& col = c.columns[k];
    size += sizeof(uint8_t) + sizeof(uint32_t) + col.name.size() + sizeof(uint64_t);
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, StringColumn>) {
            size += v.offsets.size() * sizeof(v.offsets[0]) + sizeof(uint64_t) + v.bytes.size();
          } else {
            if constexpr (is_integer_column<T>) {
              if (col.pack) {
                const Packing p = plan_packing(v);
                if (worth_packing(v, p)) {
                  packing[k] = p;
                  size += sizeof(uint64_t) + 1 + Packing::words(v.size(), p.bits) * 8;
                  return;
                }
              }
            }
            size += v.size() * sizeof(v[0]);
          }
        },
        col.data);
  }
  std::string out;
  out.reserve(size);
  out.append(kMagic, 4);
  put<uint32_t>(out, static_cast<uint32_t>(c.columns.size()));
  for (size_t k = 0; k < c.columns.size(); ++k) {
    const Column& col = c.columns[k];
    const auto type = static_cast<uint8_t>(col.data.index());
    put<uint8_t>(out, packing[k] ? static_cast<uint8_t>(kPacked + type) : type);
    put<uint32_t>(out, static_cast<uint32_t>(col.name.size()));
    out += col.name;
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, StringColumn>) {
            put_array(out, v.offsets);
            put<uint64_t>(out, v.bytes.size());
            out += v.bytes;
          } else if constexpr (is_integer_column<T>) {
            if (packing[k])
              put_packed(out, v, *packing[k]);
            else
              put_array(out, v);
          } else {
            put_array(out, v);
          }
        },
        col.data);
  }
  assert(out.size() == size);
  return out;
}

Chunk decode_chunk(std::string_view blob) {
  Chunk c;
  decode_chunk_into(blob, c);
  return c;
}

void decode_chunk_into(std::string_view blob, Chunk& c) {
  const ChunkReader read = [&](void* dst, size_t n, size_t offset) { std::memcpy(dst, blob.data() + offset, n); };
  decode_chunk_from(read, blob.size(), c);
}

void decode_chunk_from(const ChunkReader& read, size_t size, Chunk& c) {
  Cursor cur{read, size};
  char magic[4];
  cur.bytes(magic, 4);
  if (std::memcmp(magic, kMagic, 4) != 0)
    throw Error(ErrorCode::workspace, "a stored chunk is damaged (bad magic)", {}, "re-import the data");
  const auto ncols = cur.get<uint32_t>();
  if (ncols > (1u << 16))
    throw Error(ErrorCode::workspace, "a stored chunk is damaged (columns)", {}, "re-import the data");
  c.columns.resize(ncols);
  std::vector<uint64_t> words;  // a packed column's bits, before unpacking
  for (uint32_t k = 0; k < ncols; ++k) {
    Column& col = c.columns[k];
    const auto type = cur.get<uint8_t>();
    const auto name_len = cur.get<uint32_t>();
    cur.need(name_len);
    col.name.resize(name_len);
    cur.bytes(col.name.data(), name_len);
    // The same column type as the previous chunk's keeps its storage.
    auto array = [&]<typename T>() {
      if (!std::holds_alternative<std::vector<T>>(col.data)) col.data = std::vector<T>();
      cur.get_array_into(std::get<std::vector<T>>(col.data));
    };
    auto packed = [&]<typename T>() {
      if (!std::holds_alternative<std::vector<T>>(col.data)) col.data = std::vector<T>();
      const auto n = cur.get<uint64_t>();
      Packing p;
      p.min = cur.get<uint64_t>();
      p.bits = cur.get<uint8_t>();
      if (p.bits > 8 * sizeof(T) || n > (size_t{1} << 40))
        throw Error(ErrorCode::workspace, "a stored chunk is damaged (packed column)", {}, "re-import the data");
      const size_t nw = Packing::words(static_cast<size_t>(n), p.bits);
      cur.need(nw * sizeof(uint64_t));
      words.resize(nw);
      cur.bytes(words.data(), nw * sizeof(uint64_t));
      unpack(words, static_cast<size_t>(n), p, std::get<std::vector<T>>(col.data));
    };
    switch (type) {
      case 0:
        array.template operator()<uint32_t>();
        break;
      case 1:
        array.template operator()<int32_t>();
        break;
      case 2:
        array.template operator()<int64_t>();
        break;
      case 3:
        array.template operator()<double>();
        break;
      case kPacked + 0:
        packed.template operator()<uint32_t>();
        break;
      case kPacked + 1:
        packed.template operator()<int32_t>();
        break;
      case kPacked + 2:
        packed.template operator()<int64_t>();
        break;
      case 4: {
        if (!std::holds_alternative<StringColumn>(col.data)) col.data = StringColumn();
        auto& s = std::get<StringColumn>(col.data);
        cur.get_array_into(s.offsets);
        const auto n = cur.get<uint64_t>();
        cur.need(n);
        s.bytes.resize(n);
        cur.bytes(s.bytes.data(), n);
        if (s.offsets.empty() || s.offsets.back() != s.bytes.size())
          throw Error(ErrorCode::workspace, "a stored chunk is damaged (string offsets)", {}, "re-import the data");
        break;
      }
      default:
        throw Error(ErrorCode::workspace, "a stored chunk has an unknown column type", {}, "upgrade koko");
    }
  }
}

}  // namespace koko::store
