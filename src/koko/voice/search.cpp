// Search: FTS5 with the trigram tokenizer for terms of 3+ characters (any language), and LIKE over the texts for
// 1–2 character terms (朝食, 接客), which a trigram index cannot answer (../shared/PLATFORM.md). Results are
// keyword-in-context lines, as KH Coder users expect.
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "koko/core/error.hpp"
#include "koko/store/statement.hpp"
#include "koko/voice/texts.hpp"
#include "koko/voice/utf8.hpp"

namespace koko::voice {

using Stmt = store::Statement;

namespace {

size_t code_points(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

std::string fts_phrase(std::string_view term) {
  std::string out = "\"";
  for (char c : term) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string like_pattern(std::string_view term) {
  std::string out = "%";
  for (char c : term) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  return out + "%";
}

// The trigram index is built on the first search after texts change (one pass over the texts, in its own
// transaction), so imports stay as fast as the tokeniser.
bool refresh_index(store::Workspace& ws) {
  if (ws.meta("voice_fts").value_or("stale") == "ready") return false;
  store::Workspace::Transaction tx(ws);
  ws.exec("INSERT INTO voice_texts_fts(voice_texts_fts) VALUES('rebuild')");
  ws.set_meta("voice_fts", "ready");
  tx.commit();
  return true;
}

}  // namespace

SearchResult search_texts(store::Workspace& ws, const SearchQuery& q) {
  ensure_schema(ws);
  std::vector<std::string> terms;
  for (const auto& t : q.terms) {
    std::string n = normalise_text(t);
    std::replace(n.begin(), n.end(), '\n', ' ');
    if (!n.empty()) terms.push_back(std::move(n));
  }
  if (terms.empty())
    throw Error(ErrorCode::usage, "nothing to search for", {}, "give one or more words, e.g. koko voice search 朝食");
  SearchResult out;
  out.fts_rebuilt = refresh_index(ws);

  std::string sql =
      "SELECT id, coalesce(text_id, ''), source, coalesce(date, ''), coalesce(customer_id, ''), label, "
      "text FROM voice_texts WHERE 1";
  struct Bind {
    bool numeric;
    int64_t n;
    std::string s;
  };
  std::vector<Bind> binds;
  for (const auto& t : terms) {
    if (code_points(t) >= 3) {
      sql += " AND id IN (SELECT rowid FROM voice_texts_fts WHERE voice_texts_fts MATCH ?)";
      binds.push_back({false, 0, fts_phrase(t)});
    } else {
      sql += " AND text LIKE ? ESCAPE '\\'";
      binds.push_back({false, 0, like_pattern(t)});
      out.like_path = true;
    }
  }
  if (!q.source.empty()) {
    sql += " AND source = ?";
    binds.push_back({false, 0, q.source});
  }
  if (!q.lang.empty()) {
    sql += " AND lang = ?";
    binds.push_back({false, 0, q.lang});
  }
  if (q.from) {
    sql += " AND day >= ?";
    binds.push_back({true, static_cast<int64_t>(*q.from), {}});
  }
  if (q.to) {
    sql += " AND day <= ?";
    binds.push_back({true, static_cast<int64_t>(*q.to), {}});
  }
  if (q.sentiment) {
    sql += " AND label = ?";
    binds.push_back({true, static_cast<int64_t>(*q.sentiment), {}});
  }
  sql += " ORDER BY id";
  std::set<std::string> in_segment;
  if (!q.segment.empty()) {
    const auto segs = customer_segments(ws, q.segment_attribute);
    if (segs.empty())
      throw Error(ErrorCode::not_found, fmt::format("no customer has a '{}' attribute", q.segment_attribute), {},
                  "import customers with a segment column (koko import customers FILE)");
    for (const auto& [id, s] : segs)
      if (s == q.segment) in_segment.insert(id);
  }
  Stmt s(ws.db(), sql);
  for (size_t i = 0; i < binds.size(); ++i) {
    const int c = static_cast<int>(i) + 1;
    if (binds[i].numeric)
      s.bind(c, binds[i].n);
    else
      s.bind(c, std::string_view(binds[i].s));
  }
  while (s.step()) {
    const std::string customer = s.text(4);
    if (!q.segment.empty() && !in_segment.contains(customer)) continue;
    ++out.texts;
    const std::string text = s.text(6);
    const auto lines = kwic(text, terms[0], q.context);
    out.occurrences += lines.size();
    for (const auto& k : lines) {
      if (out.lines.size() >= q.limit) break;
      out.lines.push_back({s.i64(0), s.text(1), s.text(2), s.text(3), customer, static_cast<int>(s.i64(5)), k});
    }
  }
  return out;
}

}  // namespace koko::voice
