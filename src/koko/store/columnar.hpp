#pragma once
// Columnar chunks: a table's rows as fixed-width arrays (strings as offsets + bytes; integers optionally
// bit-packed), serialised into one BLOB per chunk of up to ~1M rows. Pure encoding here; workspace.hpp stores and
// scans the blobs.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "koko/core/string_column.hpp"

namespace koko::store {

using koko::StringColumn;

using ColumnData =
    std::variant<std::vector<uint32_t>, std::vector<int32_t>, std::vector<int64_t>, std::vector<double>, StringColumn>;

struct Column {
  std::string name;
  ColumnData data;
  // Integers stored bit-packed as offsets from the chunk's smallest value (frame of reference), when that takes at
  // most three quarters of the plain size: for columns of small ranges (offsets, ids, flags). They decode to the
  // same vector either way, so readers never see the difference.
  bool pack = false;
};

struct Chunk {
  std::vector<Column> columns;

  [[nodiscard]] size_t rows() const;
  [[nodiscard]] const Column* find(std::string_view name) const;
  [[nodiscard]] const Column& get(std::string_view name) const;  // throws koko::Error if absent
  template <typename T>
  [[nodiscard]] const T& as(std::string_view name) const {
    return std::get<T>(get(name).data);
  }
};

std::string encode_chunk(const Chunk& c);
Chunk decode_chunk(std::string_view blob);  // throws koko::Error on a damaged blob
// The same into an existing chunk, reusing its columns' storage when the types match.
void decode_chunk_into(std::string_view blob, Chunk& c);
// From any source of `size` bytes: read(dst, bytes, offset) copies that range (e.g. sqlite3_blob_read).
using ChunkReader = std::function<void(void*, size_t, size_t)>;
void decode_chunk_from(const ChunkReader& read, size_t size, Chunk& c);

}  // namespace koko::store
