#include "koko/io/preset.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <toml++/toml.h>

#include <algorithm>

#include "koko/core/error.hpp"

namespace koko::io {

namespace {
const std::vector<std::string> kKnownFields = {"customer_id", "order_date", "amount",    "order_id",
                                               "quantity",    "unit_price", "refund"};

std::filesystem::path exe_dir() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path() : p.parent_path();
}
}  // namespace

Preset load_preset(const std::filesystem::path& file) {
  toml::table t;
  try {
    t = toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    throw Error(ErrorCode::usage, fmt::format("invalid preset: {}", e.description()),
                fmt::format("{}:{}:{}", file.string(), b.line, b.column), "see docs/presets.md for the format");
  }
  const std::string where = file.string();
  auto bad = [&](const std::string& key, const std::string& what) {
    return Error(ErrorCode::usage, fmt::format("preset key '{}': {}", key, what), where,
                 "see docs/presets.md for the accepted keys and values");
  };
  Preset p;
  p.name = t["name"].value_or(file.stem().string());
  p.description = t["description"].value_or(std::string());
  p.kind = t["kind"].value_or(std::string("orders"));
  if (p.kind != "orders" && p.kind != "customers") throw bad("kind", "must be \"orders\" or \"customers\"");

  const std::string layout = t["format"]["layout"].value_or(std::string("auto"));
  if (layout == "auto") p.csv.layout = Layout::auto_detect;
  else if (layout == "delimited") p.csv.layout = Layout::delimited;
  else if (layout == "whitespace") p.csv.layout = Layout::whitespace;
  else throw bad("format.layout", "must be auto, delimited or whitespace");
  const std::string delim = t["format"]["delimiter"].value_or(std::string());
  if (delim == "\\t" || delim == "\t" || delim == "tab") p.csv.delimiter = '\t';
  else if (delim.size() == 1) p.csv.delimiter = delim[0];
  else if (!delim.empty()) throw bad("format.delimiter", "must be one character or \"tab\"");
  if (p.csv.delimiter) p.csv.layout = Layout::delimited;
  const std::string df = t["format"]["date_format"].value_or(std::string("auto"));
  const auto parsed = parse_date_format(df);
  if (!parsed) throw bad("format.date_format", "must be auto, iso, yyyymmdd, ymd, mdy or dmy");
  p.date_format = *parsed;
  p.currency = t["format"]["currency"].value_or(std::string());
  p.csv.encoding = t["format"]["encoding"].value_or(std::string());

  if (auto* cols = t["columns"].as_table()) {
    for (const auto& [k, v] : *cols) {
      const std::string key(k.str());
      if (p.kind == "orders" &&
          std::find(kKnownFields.begin(), kKnownFields.end(), key) == kKnownFields.end())
        throw bad("columns." + key, fmt::format("unknown field; known fields: {}", fmt::join(kKnownFields, ", ")));
      auto s = v.value<std::string>();
      if (!s) throw bad("columns." + key, "must be a column name in quotes");
      p.columns[key] = *s;
    }
  }
  p.strip_decimal_zero = t["ids"]["strip_decimal_zero"].value_or(false);
  p.line_items = t["orders"]["line_items"].value_or(false);
  p.return_prefix = t["orders"]["return_prefix"].value_or(std::string());
  if (auto* arr = t["orders"]["exclude_prefixes"].as_array())
    for (const auto& e : *arr) p.exclude_prefixes.push_back(e.value_or(std::string()));
  p.exclude_guest_negative_quantity = t["orders"]["exclude_guest_negative_quantity"].value_or(false);
  p.order_fields_on_first_row = t["orders"]["order_fields_on_first_row"].value_or(false);
  if (p.line_items && !p.columns.contains("order_id"))
    throw bad("orders.line_items", "line items need columns.order_id to group them into orders");
  return p;
}

std::vector<std::filesystem::path> preset_dirs() {
  std::vector<std::filesystem::path> dirs;
  if (const char* env = std::getenv("KOKO_PRESETS")) dirs.emplace_back(env);
  const auto exe = exe_dir();
  if (!exe.empty()) {
    dirs.push_back(exe / "presets");
    dirs.push_back(exe.parent_path() / "presets");
    dirs.push_back(exe.parent_path() / "share" / "koko" / "presets");
  }
#ifdef KOKO_SOURCE_PRESETS
  dirs.emplace_back(KOKO_SOURCE_PRESETS);
#endif
  return dirs;
}

Preset find_preset(const std::string& name_or_path) {
  std::error_code ec;
  if (name_or_path.find('/') != std::string::npos || name_or_path.ends_with(".toml")) {
    if (!std::filesystem::exists(name_or_path, ec))
      throw Error(ErrorCode::not_found, "no such preset file", name_or_path, "check the path");
    return load_preset(name_or_path);
  }
  std::vector<std::string> known;
  for (const auto& d : preset_dirs()) {
    const auto f = d / (name_or_path + ".toml");
    if (std::filesystem::exists(f, ec)) return load_preset(f);
    if (std::filesystem::is_directory(d, ec))
      for (const auto& e : std::filesystem::directory_iterator(d, ec))
        if (e.path().extension() == ".toml") known.push_back(e.path().stem().string());
  }
  std::sort(known.begin(), known.end());
  known.erase(std::unique(known.begin(), known.end()), known.end());
  throw Error(ErrorCode::not_found, fmt::format("no preset named '{}'", name_or_path), {},
              known.empty() ? "pass a preset file path" : fmt::format("known presets: {}", fmt::join(known, ", ")));
}

}  // namespace koko::io
