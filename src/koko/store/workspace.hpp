#pragma once
// The workspace: one SQLite file holding imports, columnar fact tables (orders, the customer dictionary,
// customer attributes) and analysis results. Every import and analysis run is one transaction.
#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "koko/store/columnar.hpp"

namespace koko::store {

inline constexpr int kSchemaVersion = 1;

struct ImportRecord {
  int64_t id = 0;
  std::string kind;      // orders | customers
  std::string file;      // as given on the command line
  std::string checksum;  // XXH3-64 of the file's bytes, hex
  std::string preset;
  std::string mapping;   // field=column pairs actually used
  int64_t rows_read = 0;
  int64_t rows_kept = 0;
  int64_t rows_rejected = 0;
  std::string summary;   // one line per fact and warning, for `koko status`
};

using Value = std::variant<std::monostate, int64_t, double, std::string>;

// Reading result cells: numbers as either type, text as written (numbers formatted); a NULL reads as 0 or "".
int64_t as_int(const Value& v);
double as_double(const Value& v);
std::string as_text(const Value& v);

// An ordinary SQLite table of results, written whole (replacing the previous one).
struct ResultTable {
  std::string name;
  std::vector<std::string> columns;
  std::vector<std::vector<Value>> rows;
};

class Workspace {
 public:
  // Opens (create = true: creates when missing) and migrates to kSchemaVersion.
  static Workspace open(const std::filesystem::path& path, bool create);
  Workspace(Workspace&&) noexcept;
  Workspace& operator=(Workspace&&) = delete;
  Workspace(const Workspace&) = delete;
  ~Workspace();

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  sqlite3* db() { return db_; }

  // All-or-nothing unit of work; rolls back unless commit() was called.
  class Transaction {
   public:
    explicit Transaction(Workspace& ws);
    ~Transaction();
    void commit();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;

   private:
    Workspace& ws_;
    bool done_ = false;
  };

  void exec(std::string_view sql);
  std::optional<std::string> meta(std::string_view key);
  void set_meta(std::string_view key, std::string_view value);

  // Imports.
  int64_t add_import(const ImportRecord& r);
  void update_import(const ImportRecord& r);  // by r.id
  std::optional<ImportRecord> find_import(std::string_view kind, std::string_view checksum);
  std::vector<ImportRecord> imports();
  void delete_import(int64_t id);  // the record and every chunk it wrote

  // Columnar tables: chunks appended in order; scan() visits them in that order.
  void append_chunk(std::string_view table, int64_t import_id, const Chunk& chunk);
  void scan(std::string_view table, const std::function<void(const Chunk&)>& visit);
  // The same, with the next chunk read and decoded on a second thread while `visit` works on this one. `visit`
  // must not use the workspace (the reader thread does).
  void scan_ahead(std::string_view table, const std::function<void(const Chunk&)>& visit);
  int64_t columnar_rows(std::string_view table);
  void drop_columnar(std::string_view table);

  // Result tables.
  void write_table(const ResultTable& t);
  ResultTable read_table(std::string_view name);
  bool has_table(std::string_view name);
  std::vector<std::string> table_names();  // result and columnar tables, sorted

 private:
  Workspace(std::filesystem::path path, sqlite3* db);
  void migrate();

  std::filesystem::path path_;
  sqlite3* db_ = nullptr;
};

// XXH3-64 of a file's bytes as 16 hex digits.
std::string file_checksum(const std::filesystem::path& path);

}  // namespace koko::store
