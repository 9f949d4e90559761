#pragma once
// The workspace side of segments: the survey import, loading stored answers, and the files `koko segment`
// writes (per-segment customer lists, N1 interview guides).
#include <filesystem>
#include <vector>

#include "koko/core/messages.hpp"
#include "koko/ingest/ingest.hpp"
#include "koko/segment/segment.hpp"

namespace koko::segment {

// `koko import survey FILE`: one transaction; the answers become the columnar table "survey" (several files,
// e.g. one per wave, add up; the same file twice is refused unless req.replace). Errors name file:line:column.
ingest::ImportOutcome import_survey(store::Workspace& ws, const ingest::ImportRequest& req);

// Every stored answer. Throws koko::Error (input) when a respondent answers twice in one wave.
Survey load_survey(store::Workspace& ws);

// Writes, from the stored results of the segment analysis, DIR/customers-<segment>.csv (customer_id, segment,
// 9seg, core score, reason) and DIR/n1-<group>.md interview guides; returns the files written.
std::vector<std::filesystem::path> write_exports(store::Workspace& ws, Lang lang, const std::filesystem::path& dir);

}  // namespace koko::segment
