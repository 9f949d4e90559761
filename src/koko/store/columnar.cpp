#include "koko/store/columnar.hpp"

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

struct Cursor {
  std::string_view s;
  size_t pos = 0;

  void need(size_t n) const {
    if (pos + n > s.size())
      throw Error(ErrorCode::workspace, "a stored chunk is damaged (truncated)", {},
                  "re-import the data into a fresh workspace");
  }
  template <typename T>
  T get() {
    need(sizeof(T));
    T v;
    std::memcpy(&v, s.data() + pos, sizeof v);
    pos += sizeof v;
    return v;
  }
  template <typename T>
  std::vector<T> get_array() {
    const auto n = get<uint64_t>();
    need(n * sizeof(T));
    std::vector<T> v(n);
    std::memcpy(v.data(), s.data() + pos, n * sizeof(T));
    pos += n * sizeof(T);
    return v;
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
  std::string out(kMagic, 4);
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
  return out;
}

Chunk decode_chunk(std::string_view blob) {
  Cursor cur{blob};
  cur.need(4);
  if (std::memcmp(blob.data(), kMagic, 4) != 0)
    throw Error(ErrorCode::workspace, "a stored chunk is damaged (bad magic)", {}, "re-import the data");
  cur.pos = 4;
  Chunk c;
  const auto ncols = cur.get<uint32_t>();
  for (uint32_t k = 0; k < ncols; ++k) {
    Column col;
    const auto type = cur.get<uint8_t>();
    const auto name_len = cur.get<uint32_t>();
    cur.need(name_len);
    col.name.assign(blob.data() + cur.pos, name_len);
    cur.pos += name_len;
    switch (type) {
      case 0: col.data = cur.get_array<uint32_t>(); break;
      case 1: col.data = cur.get_array<int32_t>(); break;
      case 2: col.data = cur.get_array<int64_t>(); break;
      case 3: col.data = cur.get_array<double>(); break;
      case 4: {
        StringColumn s;
        s.offsets = cur.get_array<uint64_t>();
        const auto n = cur.get<uint64_t>();
        cur.need(n);
        s.bytes.assign(blob.data() + cur.pos, n);
        cur.pos += n;
        if (s.offsets.empty() || s.offsets.back() != s.bytes.size())
          throw Error(ErrorCode::workspace, "a stored chunk is damaged (string offsets)", {}, "re-import the data");
        col.data = std::move(s);
        break;
      }
      default: throw Error(ErrorCode::workspace, "a stored chunk has an unknown column type", {}, "upgrade koko");
    }
    c.columns.push_back(std::move(col));
  }
  return c;
}

}  // namespace koko::store
