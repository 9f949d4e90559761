#pragma once
// Presets: real exports described as data (TOML), not code. See docs/presets.md.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "koko/io/csv.hpp"
#include "koko/io/fields.hpp"

namespace koko::io {

struct Preset {
  std::string name = "default";
  std::string description;
  std::string kind = "orders";               // orders | customers
  CsvOptions csv;
  DateFormat date_format = DateFormat::auto_detect;
  std::string currency;                      // ISO code; empty = the workspace's
  std::map<std::string, std::string> columns;  // field → column name in the file
  bool strip_decimal_zero = false;           // IDs: "17850.0" → "17850"
  bool line_items = false;                   // rows are line items grouped into orders by order_id
  std::string return_prefix;                 // order IDs starting with it are returns
  std::vector<std::string> exclude_prefixes; // order IDs starting with one of them are not orders (counted)
  bool exclude_guest_negative_quantity = false;  // stock adjustments: negative quantity, no customer, no return
  bool order_fields_on_first_row = false;  // line items whose order-level amount is on the order's first row only
};

// Reads a preset file. Errors name the file, the key and the accepted values.
Preset load_preset(const std::filesystem::path& file);
// A preset by name from the preset folders (KOKO_PRESETS, <exe>/../presets, <source>/presets) or a file path.
Preset find_preset(const std::string& name_or_path);
std::vector<std::filesystem::path> preset_dirs();

}  // namespace koko::io
