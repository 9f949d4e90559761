#pragma once
// Import = io readers → store, in one transaction: all or nothing, even on kill -9.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "koko/io/orders.hpp"
#include "koko/store/workspace.hpp"

namespace koko::ingest {

struct ImportRequest {
  std::string kind;                        // orders | customers
  std::filesystem::path file;
  std::string preset;                      // name or path; empty = default column names
  std::map<std::string, std::string> map;  // --map field=column
  io::OnError on_error = io::OnError::fail;
  bool replace = false;                    // replace an earlier import of the same file
  std::filesystem::path rejects_file = "rejects.csv";
  std::string date_format;                 // overrides the preset's when not empty
  std::string encoding;                    // overrides the preset's / detection when not empty
  std::string currency;                    // ISO code; sets the workspace's on its first orders import
};

struct ImportOutcome {
  store::ImportRecord record;
  std::vector<std::string> facts;     // "69,659 rows read", ...
  std::vector<std::string> warnings;
  uint64_t rejected = 0;
};

ImportOutcome import_file(store::Workspace& ws, const ImportRequest& req);

// The workspace's currency (meta "currency"; USD until an import or `koko init --currency` sets it).
std::string workspace_currency(store::Workspace& ws);

// Stored facts for the analyses.
struct OrdersTable {
  std::vector<uint32_t> customer;
  std::vector<Day> day;
  std::vector<int64_t> amount;
};
OrdersTable load_orders(store::Workspace& ws);
std::vector<std::string> load_customer_ids(store::Workspace& ws);

}  // namespace koko::ingest
