#pragma once
// A prepared SQLite statement with koko's errors: the one wrapper the workspace and the result tables use.
#include <fmt/format.h>
#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "koko/core/error.hpp"

namespace koko::store {

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &s_, nullptr) != SQLITE_OK)
      throw Error(ErrorCode::workspace, fmt::format("workspace query failed: {}", sqlite3_errmsg(db)));
  }
  ~Statement() { sqlite3_finalize(s_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int i, int64_t v) { return check(sqlite3_bind_int64(s_, i, v)); }
  Statement& bind(int i, double v) { return check(sqlite3_bind_double(s_, i, v)); }
  Statement& bind(int i, std::string_view v) {
    return check(sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
  }
  Statement& bind_blob(int i, std::string_view v) {
    return check(sqlite3_bind_blob64(s_, i, v.data(), v.size(), SQLITE_TRANSIENT));
  }
  // Without a copy: v must stay alive until the statement is stepped (column chunks are megabytes; an insert of
  // row after row would otherwise copy each text once more).
  Statement& bind_static(int i, std::string_view v) {
    return check(sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC));
  }
  Statement& bind_blob_static(int i, std::string_view v) {
    return check(sqlite3_bind_blob64(s_, i, v.data(), v.size(), SQLITE_STATIC));
  }
  Statement& bind_null(int i) { return check(sqlite3_bind_null(s_, i)); }
  // True while a row is available.
  bool step() {
    const int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw Error(ErrorCode::workspace, fmt::format("workspace query failed: {}", sqlite3_errmsg(db_)));
  }
  void reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  int64_t i64(int c) { return sqlite3_column_int64(s_, c); }
  double f64(int c) { return sqlite3_column_double(s_, c); }
  bool is_null(int c) { return sqlite3_column_type(s_, c) == SQLITE_NULL; }
  std::string text(int c) {
    const auto* p = sqlite3_column_text(s_, c);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(s_, c)))
             : std::string();
  }
  std::string_view blob(int c) {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(s_, c));
    return {p, static_cast<size_t>(sqlite3_column_bytes(s_, c))};
  }
  sqlite3_stmt* raw() { return s_; }

 private:
  Statement& check(int rc) {
    if (rc != SQLITE_OK)
      throw Error(ErrorCode::workspace, fmt::format("workspace bind failed: {}", sqlite3_errmsg(db_)));
    return *this;
  }
  sqlite3* db_;
  sqlite3_stmt* s_ = nullptr;
};

}  // namespace koko::store
