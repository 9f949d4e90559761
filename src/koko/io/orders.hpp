#pragma once
// Orders import: a delimited or whitespace-aligned file → orders (dense customer key, local day, amount in
// minor units), streamed in batches to a sink. Line items are grouped into orders by order ID when the preset
// says so. Bad rows either stop the import (the default) or go to the rejects sink.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "koko/core/date.hpp"
#include "koko/core/string_column.hpp"
#include "koko/io/dictionary.hpp"
#include "koko/io/preset.hpp"

namespace koko::io {

inline constexpr uint32_t kGuest = UINT32_MAX;


struct OrderBatch {
  std::vector<uint32_t> customer;  // dense key or kGuest
  std::vector<Day> day;
  std::vector<int64_t> amount;     // minor units; < 0 = return
  StringColumn order_id;           // empty strings when the file has no order IDs
  [[nodiscard]] size_t size() const { return day.size(); }
  void clear();
};

enum class OnError { fail, skip };

struct OrderImportOptions {
  Preset preset;
  std::map<std::string, std::string> map;  // --map field=column overrides
  OnError on_error = OnError::fail;
  int minor_digits = 2;
  std::string currency = "USD";            // the workspace's: a yen amount in a non-JPY workspace is an error
  int utc_offset_minutes = 0;
  Day today = 0;                           // dates after it are counted as future dates
  size_t batch_rows = 1 << 20;
  std::function<void(uint64_t done, uint64_t total, uint64_t rows)> progress;  // bytes of the file
};

struct Reject {
  uint64_t line;
  std::string reason;
  std::string raw;  // the record's fields joined by the file's delimiter
};

struct OrderImportStats {
  uint64_t rows_read = 0;
  uint64_t rows_kept = 0;
  uint64_t rows_rejected = 0;
  std::map<std::string, uint64_t> rows_excluded;  // reason → rows (adjustments, stock corrections)
  uint64_t excluded_orders = 0;                   // distinct order IDs excluded
  uint64_t guest_rows = 0;
  uint64_t orders = 0;
  uint64_t purchase_orders = 0;
  uint64_t return_orders = 0;
  uint64_t guest_orders = 0;
  uint64_t zero_amount_orders = 0;
  int64_t gross_revenue = 0;    // purchases
  int64_t returned_amount = 0;  // returns (<= 0)
  int64_t net_revenue = 0;
  Day first_day = 0;
  Day last_day = 0;
  uint64_t future_orders = 0;
  uint64_t duplicate_order_ids = 0;   // order IDs seen again as a different order
  uint64_t regrouped_orders = 0;
  uint64_t zero_value_returns = 0;
  uint64_t refunds = 0;               // returns made from a refund column    // cancellations summing to zero: not orders      // orders whose line items were not all consecutive
  uint64_t mixed_padding_ids = 0;     // numeric IDs with leading zeros when others have none
  uint64_t new_customers = 0;
  std::map<std::string, std::string> mapping;  // field → column used
  std::vector<std::string> warnings;
};

// Watches numeric IDs for mixed zero-padding ("00012" and "12" in one file are different customers).
struct PaddingWatch {
  uint64_t padded = 0, numeric = 0;
  size_t min_len = SIZE_MAX, max_len = 0;
  std::string example_padded, example_short;
  void see(std::string_view id);
  [[nodiscard]] bool mixed() const { return padded > 0 && min_len != max_len && !example_short.empty(); }
};

// The warnings every orders import prints, from its stats (both readers use it).
void add_import_warnings(OrderImportStats& st, const PaddingWatch& padding, bool line_items, Day today);

// Reads the file and calls sink with each full batch (and the last partial one). Throws koko::Error for bad
// input unless options.on_error == skip, in which case bad rows go to on_reject.
OrderImportStats import_orders(const std::filesystem::path& file, const OrderImportOptions& options,
                               Dictionary& dict, const std::function<void(OrderBatch&)>& sink,
                               const std::function<void(const Reject&)>& on_reject);

// Resolves each field to a header column: --map first, then the preset, then common names. Returns
// field → column index; throws for a missing required field, naming the header found and --map.
std::map<std::string, size_t> resolve_columns(const std::vector<std::string>& header, const Preset& preset,
                                              const std::map<std::string, std::string>& map,
                                              const std::vector<std::string>& required, const std::string& file,
                                              char delimiter);

}  // namespace koko::io
