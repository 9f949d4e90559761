#include "koko/store/workspace.hpp"

#include <fmt/format.h>
#include <xxhash.h>

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <fstream>
#include <mutex>
#include <thread>

#include "koko/core/error.hpp"
#include "koko/store/statement.hpp"

namespace koko::store {

namespace {

using Stmt = Statement;

std::string quote_ident(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS imports(
  id INTEGER PRIMARY KEY, kind TEXT NOT NULL, file TEXT NOT NULL, checksum TEXT NOT NULL, preset TEXT,
  mapping TEXT, rows_read INTEGER, rows_kept INTEGER, rows_rejected INTEGER, summary TEXT);
CREATE TABLE IF NOT EXISTS col_chunks(
  tbl TEXT NOT NULL, seq INTEGER NOT NULL, import_id INTEGER, rows INTEGER NOT NULL, data BLOB NOT NULL,
  PRIMARY KEY(tbl, seq));
CREATE TABLE IF NOT EXISTS result_tables(name TEXT PRIMARY KEY);
)sql";

}  // namespace

Workspace::Workspace(std::filesystem::path path, sqlite3* db) : path_(std::move(path)), db_(db) {}

Workspace::Workspace(Workspace&& o) noexcept : path_(std::move(o.path_)), db_(o.db_) { o.db_ = nullptr; }

Workspace::~Workspace() {
  if (db_) sqlite3_close(db_);
}

Workspace Workspace::open(const std::filesystem::path& path, bool create) {
  std::error_code ec;
  const bool exists = std::filesystem::exists(path, ec);
  if (!exists && !create)
    throw Error(ErrorCode::not_found, "no workspace here", path.string(),
                "create one with `koko init` or point to it with --workspace PATH");
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
  if (sqlite3_open_v2(path.string().c_str(), &db, flags, nullptr) != SQLITE_OK) {
    std::string m = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    throw Error(ErrorCode::workspace, "cannot open the workspace: " + m, path.string(),
                "check that the folder exists and is writable");
  }
  Workspace ws(path, db);
  sqlite3_busy_timeout(db, 5000);
  ws.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
  ws.migrate();
  return ws;
}

void Workspace::migrate() {
  // Reject files that are not koko workspaces before touching them.
  {
    Stmt s(db_, "SELECT count(*) FROM sqlite_master WHERE type='table'");
    s.step();
    const int64_t tables = s.i64(0);
    if (tables > 0) {
      Stmt m(db_, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='meta'");
      m.step();
      if (m.i64(0) == 0)
        throw Error(ErrorCode::workspace, "this SQLite file is not a koko workspace", path_.string(),
                    "choose another path with --workspace");
    }
  }
  Transaction tx(*this);
  exec(kSchemaV1);
  const auto v = meta("schema_version");
  const int version = v ? std::stoi(*v) : 0;
  if (version > kSchemaVersion)
    throw Error(ErrorCode::workspace,
                fmt::format("the workspace has schema version {}, newer than this koko ({})", version, kSchemaVersion),
                path_.string(), "upgrade koko");
  // Forward migrations go here: if (version < 2) { ...; }
  if (version < kSchemaVersion) set_meta("schema_version", std::to_string(kSchemaVersion));
  tx.commit();
}

Workspace::Transaction::Transaction(Workspace& ws) : ws_(ws) { ws_.exec("BEGIN IMMEDIATE"); }
Workspace::Transaction::~Transaction() {
  if (!done_) sqlite3_exec(ws_.db_, "ROLLBACK", nullptr, nullptr, nullptr);
}
void Workspace::Transaction::commit() {
  ws_.exec("COMMIT");
  done_ = true;
}

void Workspace::exec(std::string_view sql) {
  char* err = nullptr;
  const std::string s(sql);
  if (sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string m = err ? err : "unknown error";
    sqlite3_free(err);
    const bool busy = m.find("locked") != std::string::npos;
    throw Error(ErrorCode::workspace, "workspace: " + m, path_.string(),
                busy ? "another koko process is using this workspace; wait for it to finish" : "");
  }
}

std::optional<std::string> Workspace::meta(std::string_view key) {
  Stmt s(db_, "SELECT value FROM meta WHERE key=?");
  s.bind(1, key);
  if (!s.step()) return std::nullopt;
  return s.text(0);
}

void Workspace::set_meta(std::string_view key, std::string_view value) {
  Stmt s(db_, "INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value");
  s.bind(1, key).bind(2, value);
  s.step();
}

int64_t Workspace::add_import(const ImportRecord& r) {
  Stmt s(db_,
         "INSERT INTO imports(kind, file, checksum, preset, mapping, rows_read, rows_kept, rows_rejected, summary) "
         "VALUES(?,?,?,?,?,?,?,?,?)");
  s.bind(1, r.kind).bind(2, r.file).bind(3, r.checksum).bind(4, r.preset).bind(5, r.mapping);
  s.bind(6, r.rows_read).bind(7, r.rows_kept).bind(8, r.rows_rejected).bind(9, r.summary);
  s.step();
  return sqlite3_last_insert_rowid(db_);
}

void Workspace::update_import(const ImportRecord& r) {
  Stmt s(db_,
         "UPDATE imports SET kind=?, file=?, checksum=?, preset=?, mapping=?, rows_read=?, rows_kept=?, "
         "rows_rejected=?, summary=? WHERE id=?");
  s.bind(1, r.kind).bind(2, r.file).bind(3, r.checksum).bind(4, r.preset).bind(5, r.mapping);
  s.bind(6, r.rows_read).bind(7, r.rows_kept).bind(8, r.rows_rejected).bind(9, r.summary).bind(10, r.id);
  s.step();
}

namespace {
ImportRecord read_import(Stmt& s) {
  ImportRecord r;
  r.id = s.i64(0);
  r.kind = s.text(1);
  r.file = s.text(2);
  r.checksum = s.text(3);
  r.preset = s.text(4);
  r.mapping = s.text(5);
  r.rows_read = s.i64(6);
  r.rows_kept = s.i64(7);
  r.rows_rejected = s.i64(8);
  r.summary = s.text(9);
  return r;
}
constexpr const char* kImportCols =
    "SELECT id, kind, file, checksum, preset, mapping, rows_read, rows_kept, rows_rejected, summary FROM imports";
}  // namespace

std::optional<ImportRecord> Workspace::find_import(std::string_view kind, std::string_view checksum) {
  Stmt s(db_, std::string(kImportCols) + " WHERE kind=? AND checksum=?");
  s.bind(1, kind).bind(2, checksum);
  if (!s.step()) return std::nullopt;
  return read_import(s);
}

std::vector<ImportRecord> Workspace::imports() {
  Stmt s(db_, std::string(kImportCols) + " ORDER BY id");
  std::vector<ImportRecord> out;
  while (s.step()) out.push_back(read_import(s));
  return out;
}

void Workspace::delete_import(int64_t id) {
  Stmt c(db_, "DELETE FROM col_chunks WHERE import_id=?");
  c.bind(1, id);
  c.step();
  Stmt s(db_, "DELETE FROM imports WHERE id=?");
  s.bind(1, id);
  s.step();
}

void Workspace::append_chunk(std::string_view table, int64_t import_id, const Chunk& chunk) {
  Stmt next(db_, "SELECT coalesce(max(seq), -1) + 1 FROM col_chunks WHERE tbl=?");
  next.bind(1, table);
  next.step();
  const int64_t seq = next.i64(0);
  const std::string blob = encode_chunk(chunk);
  Stmt s(db_, "INSERT INTO col_chunks(tbl, seq, import_id, rows, data) VALUES(?,?,?,?,?)");
  s.bind(1, table).bind(2, seq);
  if (import_id > 0) s.bind(3, import_id);
  else s.bind_null(3);
  s.bind(4, static_cast<int64_t>(chunk.rows())).bind_blob_static(5, blob);
  s.step();
}

namespace {

// Reads a table's chunks in order: each blob with sqlite3_blob_read straight into the columns of a reused chunk,
// so a scan of a hundred 16 MB chunks allocates (and page-faults) once and copies each byte once.
class ChunkCursor {
 public:
  ChunkCursor(sqlite3* db, std::string_view table)
      : db_(db), rows_(db, "SELECT rowid FROM col_chunks WHERE tbl=? ORDER BY seq") {
    rows_.bind(1, table);
  }
  ~ChunkCursor() {
    if (blob_) sqlite3_blob_close(blob_);
  }
  ChunkCursor(const ChunkCursor&) = delete;
  ChunkCursor& operator=(const ChunkCursor&) = delete;

  bool next(Chunk& chunk) {
    if (!rows_.step()) return false;
    const sqlite3_int64 rowid = rows_.i64(0);
    const int rc = blob_ ? sqlite3_blob_reopen(blob_, rowid)
                         : sqlite3_blob_open(db_, "main", "col_chunks", "data", rowid, 0, &blob_);
    if (rc != SQLITE_OK) throw failure();
    const ChunkReader read = [&](void* dst, size_t n, size_t offset) {
      if (sqlite3_blob_read(blob_, dst, static_cast<int>(n), static_cast<int>(offset)) != SQLITE_OK) throw failure();
    };
    decode_chunk_from(read, static_cast<size_t>(sqlite3_blob_bytes(blob_)), chunk);
    return true;
  }

 private:
  Error failure() const {
    return Error(ErrorCode::workspace, fmt::format("workspace read failed: {}", sqlite3_errmsg(db_)));
  }
  sqlite3* db_;
  Stmt rows_;
  sqlite3_blob* blob_ = nullptr;
};

}  // namespace

void Workspace::scan(std::string_view table, const std::function<void(const Chunk&)>& visit) {
  ChunkCursor cursor(db_, table);
  Chunk chunk;
  while (cursor.next(chunk)) visit(chunk);
}

void Workspace::scan_ahead(std::string_view table, const std::function<void(const Chunk&)>& visit) {
  // Two chunks: the reader fills one while the caller visits the other.
  ChunkCursor cursor(db_, table);
  Chunk slots[2];
  bool full[2] = {false, false}, done = false, stop = false;
  std::exception_ptr failed;
  std::mutex m;
  std::condition_variable cv;
  std::thread reader([&] {
    try {
      for (size_t i = 0;; ++i) {
        Chunk& slot = slots[i % 2];
        {
          std::unique_lock lock(m);
          cv.wait(lock, [&] { return !full[i % 2] || stop; });
          if (stop) return;
        }
        const bool more = cursor.next(slot);
        const std::lock_guard lock(m);
        if (!more) {
          done = true;
          cv.notify_all();
          return;
        }
        full[i % 2] = true;
        cv.notify_all();
      }
    } catch (...) {
      const std::lock_guard lock(m);
      failed = std::current_exception();
      done = true;
      cv.notify_all();
    }
  });
  auto finish = [&] {
    {
      const std::lock_guard lock(m);
      stop = true;
      cv.notify_all();
    }
    reader.join();
  };
  try {
    for (size_t i = 0;; ++i) {
      {
        std::unique_lock lock(m);
        cv.wait(lock, [&] { return full[i % 2] || done; });
        if (!full[i % 2]) break;  // done, and this slot was never filled
      }
      visit(slots[i % 2]);
      const std::lock_guard lock(m);
      full[i % 2] = false;
      cv.notify_all();
    }
  } catch (...) {
    finish();
    throw;
  }
  finish();
  if (failed) std::rethrow_exception(failed);
}

int64_t Workspace::columnar_rows(std::string_view table) {
  Stmt s(db_, "SELECT coalesce(sum(rows), 0) FROM col_chunks WHERE tbl=?");
  s.bind(1, table);
  s.step();
  return s.i64(0);
}

void Workspace::drop_columnar(std::string_view table) {
  Stmt s(db_, "DELETE FROM col_chunks WHERE tbl=?");
  s.bind(1, table);
  s.step();
}

void Workspace::write_table(const ResultTable& t) {
  exec("DROP TABLE IF EXISTS " + quote_ident(t.name));
  std::string cols, marks;
  for (size_t i = 0; i < t.columns.size(); ++i) {
    cols += (i ? ", " : "") + quote_ident(t.columns[i]);
    marks += i ? ",?" : "?";
  }
  exec(fmt::format("CREATE TABLE {} ({})", quote_ident(t.name), cols));
  Stmt reg(db_, "INSERT OR IGNORE INTO result_tables(name) VALUES(?)");
  reg.bind(1, t.name);
  reg.step();
  Stmt ins(db_, fmt::format("INSERT INTO {} VALUES({})", quote_ident(t.name), marks));
  for (const auto& row : t.rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      const int c = static_cast<int>(i) + 1;
      std::visit(
          [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::monostate>) ins.bind_null(c);
            else if constexpr (std::is_same_v<T, std::string>) ins.bind(c, std::string_view(v));
            else ins.bind(c, v);
          },
          row[i]);
    }
    ins.step();
    ins.reset();
  }
}

bool Workspace::has_table(std::string_view name) {
  Stmt s(db_, "SELECT 1 FROM result_tables WHERE name=?");
  s.bind(1, name);
  return s.step();
}

ResultTable Workspace::read_table(std::string_view name) {
  if (!has_table(name))
    throw Error(ErrorCode::not_found, fmt::format("no table named '{}' in the workspace", name), path_.string(),
                "list the tables with `koko export --list`");
  ResultTable t;
  t.name = name;
  Stmt s(db_, "SELECT * FROM " + quote_ident(name) + " ORDER BY rowid");
  const int n = sqlite3_column_count(s.raw());
  for (int i = 0; i < n; ++i) t.columns.emplace_back(sqlite3_column_name(s.raw(), i));
  while (s.step()) {
    std::vector<Value> row;
    for (int i = 0; i < n; ++i) {
      switch (sqlite3_column_type(s.raw(), i)) {
        case SQLITE_INTEGER: row.emplace_back(s.i64(i)); break;
        case SQLITE_FLOAT: row.emplace_back(sqlite3_column_double(s.raw(), i)); break;
        case SQLITE_NULL: row.emplace_back(std::monostate{}); break;
        default: row.emplace_back(s.text(i));
      }
    }
    t.rows.push_back(std::move(row));
  }
  return t;
}

std::vector<std::string> Workspace::table_names() {
  std::vector<std::string> out;
  Stmt a(db_, "SELECT name FROM result_tables UNION SELECT DISTINCT tbl FROM col_chunks ORDER BY 1");
  while (a.step()) out.push_back(a.text(0));
  return out;
}

int64_t as_int(const Value& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) return *i;
  if (const auto* d = std::get_if<double>(&v)) return static_cast<int64_t>(*d);
  return 0;
}

double as_double(const Value& v) {
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  return 0;
}

std::string as_text(const Value& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&v)) return fmt::format("{}", *d);
  return {};
}

std::string file_checksum(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::not_found, "cannot open the file", path.string(), "check the path");
  XXH3_state_t* st = XXH3_createState();
  XXH3_64bits_reset(st);
  std::string buf(1 << 20, '\0');
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    XXH3_64bits_update(st, buf.data(), static_cast<size_t>(in.gcount()));
  }
  const auto h = XXH3_64bits_digest(st);
  XXH3_freeState(st);
  return fmt::format("{:016x}", h);
}

}  // namespace koko::store
