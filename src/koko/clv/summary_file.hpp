#pragma once
// CLV summaries that are already computed (x, t_x, T and optionally monetary per customer): read with every row
// checked, stored in the workspace (`koko import clv-summary FILE`) and read back by the CLV analysis.
#include <filesystem>
#include <string>
#include <vector>

#include "koko/clv/clv.hpp"
#include "koko/ingest/ingest.hpp"
#include "koko/store/workspace.hpp"

namespace koko::clv {

struct SummaryFile {
  Summary summary;
  std::vector<std::string> ids;  // customer_id / ID column, else the row number
  bool has_monetary = false;
  uint64_t rows = 0;
};

// Columns x (or frequency), t_x (or recency), T (or age), optionally monetary (zbar, monetary_value) and an ID
// (customer_id, ID, id). Every row must have 0 ≤ t_x ≤ T, T > 0, x a whole number ≥ 0 and t_x = 0 when x = 0;
// a row that breaks one is an error naming file, line and column (or, with on_error skip, a rejected row).
SummaryFile read_summary(const std::filesystem::path& file, int unit_days, io::OnError on_error = io::OnError::fail,
                         const std::filesystem::path& rejects_file = "rejects.csv");

// In the caller's transaction: replaces an earlier clv-summary import. unit: "week" or "day".
ingest::ImportOutcome import_summary(store::Workspace& ws, const ingest::ImportRequest& req, const std::string& unit);

// The stored summary, if any (unit_days from the import).
bool has_stored_summary(store::Workspace& ws);
SummaryFile load_stored_summary(store::Workspace& ws);

}  // namespace koko::clv
