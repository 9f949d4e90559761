#include "koko/store/columnar.hpp"

#include <cassert>
#include <cstring>

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
  for (const auto& col : c.columns) {
    size += sizeof(uint8_t) + sizeof(uint32_t) + col.name.size() + sizeof(uint64_t);
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, StringColumn>)
            size += v.offsets.size() * sizeof(v.offsets[0]) + sizeof(uint64_t) + v.bytes.size();
          else
            size += v.size() * sizeof(v[0]);
        },
        col.data);
  }
  std::string out;
  out.reserve(size);
  out.append(kMagic, 4);
  put<uint32_t>(out, static_cast<uint32_t>(c.columns.size()));
  for (const auto& col : c.columns) {
    put<uint8_t>(out, static_cast<uint8_t>(col.data.index()));
    put<uint32_t>(out, static_cast<uint32_t>(col.name.size()));
    out += col.name;
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, StringColumn>) {
            put_array(out, v.offsets);
            put<uint64_t>(out, v.bytes.size());
            out += v.bytes;
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
