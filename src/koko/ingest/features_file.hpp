#pragma once
// Orders file → one row per customer (the like-for-like job of the fast-import benchmark): the fast reader when
// the file allows it, the general reader otherwise; in date order or not (exact purchase days either way).
#include <cstdint>
#include <filesystem>
#include <string>

#include "koko/features/features.hpp"
#include "koko/io/orders.hpp"

namespace koko::ingest {

struct FeaturesRequest {
  std::filesystem::path file;
  io::Preset preset;                       // columns, date format, rules; the default preset by default
  std::map<std::string, std::string> map;  // --map field=column
  std::string currency = "USD";
  std::optional<Day> as_of;                // default: the last order day in the file
  size_t memory_limit = size_t{1536} << 20;
  features::SegmentRules rules;
  bool force_general = false;              // for tests: the general reader only
};

struct FeaturesResult {
  features::CustomerTable table;  // keys in order of first appearance
  Day as_of = 0;
  uint64_t rows = 0;
  uint64_t customers = 0;         // with at least one purchase
  bool fast_path = false;
  bool in_date_order = true;
  std::string general_reason;     // why the general reader was used
  int minor_digits = 2;
};

FeaturesResult features_from_file(const FeaturesRequest& req);

// Writes the per-customer CSV (header + rows) atomically to out; "-" = stdout.
void write_features_csv(const FeaturesResult& r, const features::SegmentRules& rules, const std::string& out);

}  // namespace koko::ingest

namespace koko::store {
class Workspace;
}

namespace koko::ingest {

// The fast reader for `koko import orders`: plain UTF-8 files with customer_id, order_date and amount (no order
// IDs, line items or preset rules). Writes the orders as chunks (1M rows each) and fills `table` (preloaded with
// the workspace's customer dictionary, so keys stay the workspace's). Returns nullopt, with nothing written,
// when the file needs the general reader.
struct FastImport {
  io::OrderImportStats stats;
  bool in_date_order = true;
  Day max_day = 0;
};
std::optional<FastImport> fast_import_orders(store::Workspace& ws, int64_t import_id, const std::filesystem::path& file,
                                             const io::Preset& preset, const std::map<std::string, std::string>& map,
                                             const std::string& currency, Day today, features::CustomerTable& table);

// Recomputes the stored per-customer features (columnar table customer_features, meta features_as_of) from
// `table` when it covers every stored order (in_date_order tells whether its purchase days are exact), else from
// the stored orders.
void store_customer_features(store::Workspace& ws, features::CustomerTable* table, bool in_date_order,
                             Day max_day, size_t memory_limit);

// Per-customer aggregates of the stored orders as of a date (default: the last order day), streaming chunk by
// chunk; purchase days are exact for any order of the chunks.
std::vector<features::CustomerAgg> features_from_store(store::Workspace& ws, std::optional<Day> as_of,
                                                       size_t memory_limit, Day& as_of_used);

// The stored features as CSV (header + rows), in key order.
void export_customer_features(store::Workspace& ws, const features::SegmentRules& rules, std::ostream& out);

}  // namespace koko::ingest
