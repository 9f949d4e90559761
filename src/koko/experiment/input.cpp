// Experiment inputs → sufficient statistics, in one streaming pass (a second one only when duplicates must be
// removed or named). Memory: the variants × metrics accumulators plus the duplicate finder's bound.
#include "koko/experiment/input.hpp"

#include <fast_float/fast_float.h>
#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cmath>

#include "koko/core/date.hpp"
#include "koko/core/error.hpp"
#include "koko/experiment/dedup.hpp"
#include "koko/io/fields.hpp"
#include "koko/io/preset.hpp"

namespace koko::experiment {

namespace {

namespace fs = std::filesystem;
using io::Record;

constexpr size_t kNone = SIZE_MAX;
constexpr size_t kMaxVariants = 64;
constexpr size_t kMaxExamples = 5;

std::string canon(std::string_view s) {
  std::string out;
  for (char c : s)
    if (c != '_' && c != '-' && c != ' ' && c != '.')
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

size_t find_column(const std::vector<std::string>& header, std::string_view name) {
  for (size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return i;
  const std::string c = canon(name);
  for (size_t i = 0; i < header.size(); ++i)
    if (canon(header[i]) == c) return i;
  return kNone;
}

size_t detect_column(const std::vector<std::string>& header, std::initializer_list<std::string_view> names) {
  for (const auto n : names)
    if (const size_t i = find_column(header, n); i != kNone) return i;
  return kNone;
}

std::string where(const std::string& file, uint64_t line, size_t col) {
  return col == kNone ? fmt::format("{}:{}", file, line) : fmt::format("{}:{}:{}", file, line, col + 1);
}

std::optional<double> parse_number(std::string_view s) {
  s = io::trim(s);
  if (s.empty()) return std::nullopt;
  if (s.front() == '+') s.remove_prefix(1);
  double v = 0;
  const auto r = fast_float::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec == std::errc() && r.ptr == s.data() + s.size() && std::isfinite(v)) return v;
  const std::string c = canon(s);
  if (c == "true" || c == "yes") return 1.0;
  if (c == "false" || c == "no") return 0.0;
  return std::nullopt;
}

// The local day of a timestamp: a fast path for ISO dates without a UTC offset (the common log format), the
// full date parser otherwise.
class DayParser {
 public:
  std::optional<Day> operator()(std::string_view s) {
    s = io::trim(s);
    if (s.size() >= 10 && s[4] == '-' && s[7] == '-' && (s.size() == 10 || s[10] == ' ' || s[10] == 'T') &&
        s.substr(10).find_first_of("+Zz") == std::string_view::npos &&
        s.substr(10).find('-') == std::string_view::npos) {
      if (s.substr(0, 10) == last_) return last_day_;
      if (auto d = parse_iso_date(s.substr(0, 10))) {
        last_.assign(s.substr(0, 10));
        last_day_ = *d;
        return d;
      }
    }
    return io::parse_date(s, io::DateFormat::auto_detect);
  }

 private:
  std::string last_;
  Day last_day_ = 0;
};

// Σ over units, shifted by the first value seen (so centred moments keep their precision), in long double.
struct Sums {
  long double a = 0, aa = 0;
  void add(long double x) {
    a += x;
    aa += x * x;
  }
};

struct Acc {
  uint64_t n = 0;
  Sums y;
  // units with a pre-period value
  uint64_t n_pre = 0;
  Sums y_pre, x;
  long double xy = 0;
  // ratio denominator
  Sums d;
  long double yd = 0;
};

struct MetricPlan {
  MetricColumn spec;
  size_t col = kNone, den_col = kNone, pre_col = kNone;
  bool all_binary = true;
  bool shifts_set = false, pre_shift_set = false;
  double ky = 0, kx = 0, kd = 0;  // shifts
};

ArmStats to_arm(const Acc& a, const MetricPlan& m) {
  ArmStats s;
  s.n = static_cast<int64_t>(a.n);
  if (a.n == 0) return s;
  const long double n = static_cast<long double>(a.n);
  s.mean = static_cast<double>(m.ky + a.y.a / n);
  s.m2 = static_cast<double>(std::max<long double>(0, a.y.aa - a.y.a * a.y.a / n));
  if (m.den_col != kNone) {
    s.den_mean = static_cast<double>(m.kd + a.d.a / n);
    s.den_m2 = static_cast<double>(std::max<long double>(0, a.d.aa - a.d.a * a.d.a / n));
    s.num_den_c = static_cast<double>(a.yd - a.y.a * a.d.a / n);
  }
  if (m.pre_col != kNone && a.n_pre > 0) {
    const long double k = static_cast<long double>(a.n_pre);
    s.n_pre = static_cast<int64_t>(a.n_pre);
    s.pre_y_mean = static_cast<double>(m.ky + a.y_pre.a / k);
    s.pre_y_m2 = static_cast<double>(std::max<long double>(0, a.y_pre.aa - a.y_pre.a * a.y_pre.a / k));
    s.pre_mean = static_cast<double>(m.kx + a.x.a / k);
    s.pre_m2 = static_cast<double>(std::max<long double>(0, a.x.aa - a.x.a * a.x.a / k));
    s.post_pre_c = static_cast<double>(a.xy - a.x.a * a.y_pre.a / k);
  }
  return s;
}

struct Rule {
  size_t col = kNone;
  std::string column;
  std::vector<std::pair<std::string, std::string>> values;  // variant → required value
  uint64_t dropped = 0;
};

// One streaming pass over the unit rows.
class UnitPass {
 public:
  UnitPass(const fs::path& file, const InputSpec& spec) : file_(file), spec_(spec) {}

  // Opens the reader and resolves the columns (on the first pass), reading the first record for detection.
  void open();
  // Streams every row. finder: pass 1 records units; removals: lines to skip; examples: lines whose unit IDs
  // are wanted (stop_after: stop once the last of them is read).
  void run(detail::DuplicateFinder* finder, detail::LineSet* removals, std::map<uint64_t, std::string>* example_ids,
           uint64_t stop_after = UINT64_MAX);
  void reset_statistics();
  LoadedExperiment result(InputSummary summary);

  std::vector<std::string> variants;  // in order of first appearance
  uint64_t rows_read = 0, rows_kept = 0;
  std::vector<Rule> rules;
  std::map<std::string, std::string> mapping;

 private:
  size_t variant_index(std::string_view v, const Record& r);
  void add_row(const Record& r, size_t v);
  void check_metric_columns();

  fs::path file_;
  const InputSpec& spec_;
  std::string fname_;
  std::unique_ptr<io::RecordReader> reader_;
  Record first_;
  bool has_first_ = false;
  bool resolved_ = false;
  size_t c_variant_ = kNone, c_unit_ = kNone, c_time_ = kNone;
  std::vector<MetricPlan> metrics_;
  std::vector<std::vector<Acc>> acc_;  // [metric][variant]
  std::vector<uint64_t> units_;
  std::optional<Day> first_day_, last_day_;
  DayParser day_parser_;
  size_t last_variant_ = 0;
};

void UnitPass::open() {
  reader_ = io::open_records(file_, spec_.csv);
  fname_ = file_.string();
  has_first_ = reader_->next(first_);
  if (!has_first_)
    throw Error(ErrorCode::input, "the file has a header but no data rows", fname_, "export the data again");
  if (resolved_) return;
  resolved_ = true;
  const auto& header = reader_->header();
  auto named = [&](const std::string& name, const char* role) {
    const size_t c = find_column(header, name);
    if (c == kNone)
      throw Error(ErrorCode::input, fmt::format("column '{}' (for {}) is not in the header", name, role), fname_,
                  fmt::format("columns: {}", fmt::join(header, ", ")));
    return c;
  };
  c_variant_ = spec_.variant_column.empty()
                   ? detect_column(header, {"variant", "group", "arm", "variation", "bucket", "treatment_group",
                                            "experiment_group", "test_group"})
                   : named(spec_.variant_column, "the variant");
  if (c_variant_ == kNone)
    throw Error(ErrorCode::input, "no variant column found", fname_,
                "name it with --variant COLUMN (looked for variant, group, arm, variation, bucket)");
  c_unit_ = spec_.unit_column.empty()
                ? detect_column(header, {"unit_id", "unit", "user_id", "user", "customer_id", "customer", "visitor_id",
                                         "visitor", "client_id", "session_id", "id"})
                : named(spec_.unit_column, "the unit ID");
  if (c_unit_ == kNone)
    throw Error(ErrorCode::input, "no unit ID column found", fname_,
                "name it with --unit COLUMN (looked for unit_id, user_id, customer_id, visitor_id, id); a file of "
                "per-variant totals needs users and conversions, or n, sum and sum_squares columns");
  c_time_ = spec_.timestamp_column.empty() ? detect_column(header, {"timestamp", "time", "ts", "datetime", "date",
                                                                    "exposure_time", "assigned_at", "event_time"})
                                           : named(spec_.timestamp_column, "the timestamp");
  mapping["variant"] = header[c_variant_];
  mapping["unit_id"] = header[c_unit_];
  if (c_time_ != kNone) mapping["timestamp"] = header[c_time_];

  for (const auto& req : spec_.require) {
    Rule r;
    r.col = named(req.column, "a rule");
    r.column = header[r.col];
    for (const auto& [v, val] : req.value_for_variant) r.values.emplace_back(v, val);
    rules.push_back(std::move(r));
  }

  std::vector<MetricColumn> wanted = spec_.metrics;
  std::vector<bool> used(header.size(), false);
  for (size_t c : {c_variant_, c_unit_, c_time_})
    if (c != kNone) used[c] = true;
  for (const auto& r : rules) used[r.col] = true;
  if (wanted.empty()) {
    // Every column holding a number in the first row, except pre-period partners of another column.
    for (size_t c = 0; c < header.size(); ++c) {
      if (used[c] || c >= first_.fields.size() || !parse_number(first_.fields[c])) continue;
      const std::string k = canon(header[c]);
      bool is_pre = false;
      for (size_t o = 0; o < header.size(); ++o) {
        const std::string ko = canon(header[o]);
        if (o != c && (k == ko + "pre" || k == "pre" + ko)) is_pre = true;
      }
      if (!is_pre) wanted.push_back({header[c], header[c], {}, {}, std::nullopt});
    }
    if (wanted.empty())
      throw Error(ErrorCode::input, "no numeric metric columns found", fname_,
                  "name the metrics with --metric COLUMN (e.g. --metric converted --metric revenue)");
  }
  for (auto& w : wanted) {
    MetricPlan p;
    p.spec = w;
    if (p.spec.column.empty()) p.spec.column = p.spec.name;
    p.col = named(p.spec.column, "a metric");
    if (!p.spec.denominator.empty()) {
      p.den_col = named(p.spec.denominator, "a ratio denominator");
      p.spec.kind = MetricKind::ratio;
    }
    if (!p.spec.pre.empty()) {
      p.pre_col = named(p.spec.pre, "a pre-period value");
    } else if (spec_.auto_pre && p.den_col == kNone) {
      for (const auto& cand : {header[p.col] + "_pre", "pre_" + header[p.col]})
        if (const size_t c = find_column(header, cand); c != kNone) p.pre_col = c;
    }
    if (p.pre_col != kNone) p.spec.pre = header[p.pre_col];
    mapping["metric " + p.spec.name] = header[p.col] + (p.den_col != kNone ? " / " + header[p.den_col] : "") +
                                       (p.pre_col != kNone ? " (pre: " + header[p.pre_col] + ")" : "");
    metrics_.push_back(std::move(p));
  }
  acc_.assign(metrics_.size(), {});
}

void UnitPass::reset_statistics() {
  for (auto& m : acc_) m.assign(m.size(), Acc{});
  units_.assign(units_.size(), 0);
  for (auto& m : metrics_) m.all_binary = true;
  first_day_.reset();
  last_day_.reset();
  rows_read = rows_kept = 0;
  for (auto& r : rules) r.dropped = 0;
}

size_t UnitPass::variant_index(std::string_view v, const Record& r) {
  if (last_variant_ < variants.size() && variants[last_variant_] == v) return last_variant_;
  for (size_t i = 0; i < variants.size(); ++i)
    if (variants[i] == v) return last_variant_ = i;
  if (v.empty())
    throw Error(ErrorCode::input, "empty variant", where(fname_, r.line, c_variant_),
                "every row needs the variant its unit was assigned to");
  if (variants.size() == kMaxVariants)
    throw Error(ErrorCode::input, fmt::format("more than {} distinct variants", kMaxVariants),
                where(fname_, r.line, c_variant_),
                fmt::format("is '{}' the variant column? name it with --variant COLUMN", mapping["variant"]));
  variants.emplace_back(v);
  units_.push_back(0);
  for (auto& m : acc_) m.emplace_back();
  return last_variant_ = variants.size() - 1;
}

void UnitPass::add_row(const Record& r, size_t v) {
  const auto& header = reader_->header();
  ++units_[v];
  for (size_t k = 0; k < metrics_.size(); ++k) {
    auto& m = metrics_[k];
    auto value = [&](size_t col, bool required) -> std::optional<double> {
      const std::string_view raw = col < r.fields.size() ? r.fields[col] : std::string_view();
      auto x = parse_number(raw);
      if (!x && (required || !io::trim(raw).empty()))
        throw Error(ErrorCode::input,
                    io::trim(raw).empty()
                        ? fmt::format("column '{}': empty value", header[col])
                        : fmt::format("column '{}': '{}' is not a number", header[col], io::trim(raw)),
                    where(fname_, r.line, col),
                    required ? "every unit needs a value (0 when it did nothing)" : "leave it empty when unknown");
      return x;
    };
    const double y = *value(m.col, true);
    const bool has_d = m.den_col != kNone;
    const double d = has_d ? *value(m.den_col, true) : 0.0;
    const std::optional<double> pre = m.pre_col != kNone ? value(m.pre_col, false) : std::nullopt;
    const bool has_x = pre.has_value();
    const double x = pre.value_or(0.0);
    if (!m.shifts_set) {
      m.ky = y;
      m.kd = d;
      m.shifts_set = true;
    }
    if (has_x && !m.pre_shift_set) {
      m.kx = x;
      m.pre_shift_set = true;
    }
    if (y != 0 && y != 1) m.all_binary = false;
    auto& a = acc_[k][v];
    const long double yy = static_cast<long double>(y) - m.ky;
    ++a.n;
    a.y.add(yy);
    if (has_d) {
      const long double dd = static_cast<long double>(d) - m.kd;
      a.d.add(dd);
      a.yd += yy * dd;
    }
    if (has_x) {
      const long double xx = static_cast<long double>(x) - m.kx;
      ++a.n_pre;
      a.y_pre.add(yy);
      a.x.add(xx);
      a.xy += xx * yy;
    }
  }
  if (c_time_ != kNone && c_time_ < r.fields.size()) {
    const std::string_view raw = r.fields[c_time_];
    if (!io::trim(raw).empty()) {
      const auto day = day_parser_(raw);
      if (!day)
        throw Error(ErrorCode::input, fmt::format("column '{}': '{}' is not a date or timestamp", header[c_time_], raw),
                    where(fname_, r.line, c_time_), "use ISO 8601 (2024-03-07 12:30:00), or drop the column");
      if (!first_day_ || *day < *first_day_) first_day_ = day;
      if (!last_day_ || *day > *last_day_) last_day_ = day;
    }
  }
}

void UnitPass::run(detail::DuplicateFinder* finder, detail::LineSet* removals,
                   std::map<uint64_t, std::string>* example_ids, uint64_t stop_after) {
  Record r;
  bool more = has_first_;
  if (has_first_) r = first_;
  uint64_t next_progress = 0;
  while (more) {
    ++rows_read;
    if (spec_.progress && rows_read >= next_progress) {
      spec_.progress(reader_->compressed_bytes_read(), reader_->file_size(), rows_read);
      next_progress = rows_read + (1 << 16);
    }
    if (r.line > stop_after) break;
    const std::string_view variant = c_variant_ < r.fields.size() ? io::trim(r.fields[c_variant_]) : std::string_view();
    bool keep = true;
    for (auto& rule : rules) {
      const std::string_view val = rule.col < r.fields.size() ? io::trim(r.fields[rule.col]) : std::string_view();
      for (const auto& [v, want] : rule.values)
        if (v == variant && val != want) {
          keep = false;
          ++rule.dropped;
          break;
        }
      if (!keep) break;
    }
    const std::string_view unit = c_unit_ < r.fields.size() ? io::trim(r.fields[c_unit_]) : std::string_view();
    if (keep && example_ids) {
      if (auto it = example_ids->find(r.line); it != example_ids->end()) it->second.assign(unit);
    }
    if (keep && removals && removals->contains_next(r.line)) keep = false;
    if (keep) {
      const size_t v = variant_index(variant, r);
      if (unit.empty())
        throw Error(ErrorCode::input, "empty unit ID", where(fname_, r.line, c_unit_),
                    "every row needs the ID of the unit (user, visitor, customer) it measures");
      add_row(r, v);
      ++rows_kept;
      if (finder) finder->add(detail::unit_record(unit, static_cast<uint32_t>(v), r.line));
    }
    more = reader_->next(r);
  }
  if (spec_.progress) spec_.progress(reader_->file_size(), reader_->file_size(), rows_read);
  reader_.reset();
}

LoadedExperiment UnitPass::result(InputSummary summary) {
  if (variants.empty())
    throw Error(ErrorCode::analysis, "no rows were kept", fname_,
                rules.empty() ? "check the file" : "check the cleaning rules: they dropped every row");
  // The control first, then the others in order of first appearance.
  size_t control = kNone;
  if (!spec_.control.empty()) {
    for (size_t i = 0; i < variants.size(); ++i)
      if (variants[i] == spec_.control) control = i;
    if (control == kNone)
      throw Error(ErrorCode::not_found, fmt::format("unknown control '{}'", spec_.control), fname_,
                  fmt::format("the variants are: {}", fmt::join(variants, ", ")));
  } else {
    for (const char* name : {"control", "baseline", "ctrl", "a", "original", "default"})
      for (size_t i = 0; i < variants.size() && control == kNone; ++i)
        if (canon(variants[i]) == name) control = i;
    if (control == kNone) control = 0;
  }
  std::vector<size_t> order{control};
  for (size_t i = 0; i < variants.size(); ++i)
    if (i != control) order.push_back(i);

  LoadedExperiment out;
  auto& d = out.data;
  for (size_t i : order) {
    d.variants.push_back(variants[i]);
    d.units.push_back(static_cast<int64_t>(units_[i]));
  }
  for (size_t k = 0; k < metrics_.size(); ++k) {
    auto& m = metrics_[k];
    MetricSpec ms;
    ms.name = m.spec.name;
    ms.kind = m.spec.kind.value_or(m.all_binary ? MetricKind::proportion : MetricKind::mean);
    if (m.spec.kind == MetricKind::proportion && !m.all_binary)
      throw Error(ErrorCode::input,
                  fmt::format("metric '{}' is a proportion but has values other than 0 and 1", m.spec.name), fname_,
                  "declare it as a mean, or fix the values");
    ms.cuped = m.pre_col != kNone;
    ms.numerator = m.spec.column;
    ms.denominator = m.spec.denominator;
    d.metrics.push_back(ms);
    std::vector<ArmStats> arms;
    for (size_t i : order) arms.push_back(to_arm(acc_[k][i], m));
    d.stats.push_back(std::move(arms));
  }
  d.first_day = first_day_;
  d.last_day = last_day_;
  summary.rows_read = rows_read;
  summary.rows_kept = rows_kept;
  // One count per rule (its variant requirements together).
  for (const auto& r : rules) {
    std::vector<std::string> parts;
    for (const auto& [v, want] : r.values) parts.push_back(fmt::format("{} → {}", v, want));
    summary.rows_dropped.emplace_back(
        fmt::format("{} disagrees with the variant ({})", r.column, fmt::join(parts, ", ")), r.dropped);
  }
  summary.mapping = mapping;
  summary.mapping["control"] = variants[control];
  out.summary = std::move(summary);
  return out;
}

// ---------------------------------------------------------------- per-variant summaries

bool is_summary_header(const std::vector<std::string>& header) {
  const bool counts = detect_column(header, {"users", "n", "units", "count"}) != kNone;
  const bool conv = detect_column(header, {"conversions", "successes", "converted"}) != kNone;
  const bool sums = detect_column(header, {"sum"}) != kNone &&
                    detect_column(header, {"sum_squares", "sum_sq", "sum_of_squares"}) != kNone;
  const bool unit = detect_column(header, {"unit_id", "unit", "user_id", "customer_id", "visitor_id", "id"}) != kNone;
  return counts && (conv || sums) && !unit;
}

LoadedExperiment load_summaries(const fs::path& file, const InputSpec& spec) {
  auto reader = io::open_records(file, spec.csv);
  const std::string fname = file.string();
  const auto& h = reader->header();
  const size_t c_var = spec.variant_column.empty()
                           ? detect_column(h, {"variant", "group", "arm", "variation", "bucket"})
                           : find_column(h, spec.variant_column);
  if (c_var == kNone) throw Error(ErrorCode::input, "no variant column found", fname, "name it with --variant COLUMN");
  const size_t c_metric = detect_column(h, {"metric"});
  const size_t c_n = detect_column(h, {"users", "n", "units", "count"});
  const size_t c_conv = detect_column(h, {"conversions", "successes", "converted"});
  const size_t c_sum = detect_column(h, {"sum"});
  const size_t c_ss = detect_column(h, {"sum_squares", "sum_sq", "sum_of_squares"});
  const size_t c_psum = detect_column(h, {"pre_sum"});
  const size_t c_pss = detect_column(h, {"pre_sum_squares", "pre_sum_sq"});
  const size_t c_prod = detect_column(h, {"sum_products", "post_pre_sum", "sum_of_products"});
  const bool cuped = c_psum != kNone && c_pss != kNone && c_prod != kNone;

  std::vector<std::string> variants, metrics;
  std::map<std::pair<std::string, std::string>, ArmStats> cells;
  std::vector<MetricKind> kinds;
  Record r;
  uint64_t rows = 0;
  while (reader->next(r)) {
    ++rows;
    auto field = [&](size_t c) { return c < r.fields.size() ? io::trim(r.fields[c]) : std::string_view(); };
    auto number = [&](size_t c, const char* what) {
      const auto v = parse_number(field(c));
      if (!v)
        throw Error(ErrorCode::input, fmt::format("column '{}': '{}' is not a number", h[c], field(c)),
                    where(fname, r.line, c), fmt::format("the {} of the variant", what));
      return *v;
    };
    const std::string variant(field(c_var));
    const std::string metric =
        c_metric != kNone ? std::string(field(c_metric)) : (c_conv != kNone ? "conversion" : "value");
    if (variant.empty()) throw Error(ErrorCode::input, "empty variant", where(fname, r.line, c_var));
    const double n = number(c_n, "units");
    if (n < 0 || n != std::floor(n))
      throw Error(ErrorCode::input,
                  fmt::format("column '{}': units must be a whole number ≥ 0, not {}", h[c_n], field(c_n)),
                  where(fname, r.line, c_n), "check the export");
    if (n == 0)
      throw Error(ErrorCode::analysis, fmt::format("variant '{}' has no units", variant), where(fname, r.line, c_n),
                  "drop the row, or check that the variant received traffic");
    ArmStats a;
    MetricKind kind = MetricKind::mean;
    if (c_conv != kNone && !field(c_conv).empty()) {
      const double c = number(c_conv, "conversions");
      if (c < 0)
        throw Error(ErrorCode::input, fmt::format("column '{}': negative conversions", h[c_conv]),
                    where(fname, r.line, c_conv));
      if (c > n)
        throw Error(ErrorCode::input, fmt::format("{} conversions > {} users", field(c_conv), field(c_n)),
                    where(fname, r.line, c_conv), "conversions count units that converted at least once");
      a = proportion_arm(static_cast<int64_t>(n), std::llround(c));
      kind = MetricKind::proportion;
    } else {
      if (c_sum == kNone || c_ss == kNone)
        throw Error(ErrorCode::input, "a mean metric needs sum and sum_squares columns", where(fname, r.line, kNone));
      const double s = number(c_sum, "sum"), ss = number(c_ss, "sum of squares");
      if (ss < 0 || ss * n < s * s * (1 - 1e-12))
        throw Error(ErrorCode::input, "the sum of squares is smaller than sum²/n: not the totals of one variant",
                    where(fname, r.line, c_ss), "sum_squares is Σ value² over the units");
      a = ArmStats::from_sums(static_cast<int64_t>(n), s, ss);
    }
    if (cuped && !field(c_psum).empty())
      a.set_pre_sums(a.n, a.mean * n, a.m2 + a.mean * a.mean * n, number(c_psum, "pre-period sum"),
                     number(c_pss, "pre-period sum of squares"), number(c_prod, "sum of products"));
    if (std::find(variants.begin(), variants.end(), variant) == variants.end()) variants.push_back(variant);
    if (std::find(metrics.begin(), metrics.end(), metric) == metrics.end()) {
      metrics.push_back(metric);
      kinds.push_back(kind);
    }
    if (!cells.emplace(std::pair{metric, variant}, a).second)
      throw Error(ErrorCode::input, fmt::format("variant '{}' appears twice for metric '{}'", variant, metric),
                  where(fname, r.line, c_var), "one row per variant (and metric)");
  }
  // Reuse the unit path's control rule.
  size_t control = kNone;
  if (!spec.control.empty()) {
    for (size_t i = 0; i < variants.size(); ++i)
      if (variants[i] == spec.control) control = i;
    if (control == kNone)
      throw Error(ErrorCode::not_found, fmt::format("unknown control '{}'", spec.control), fname,
                  fmt::format("the variants are: {}", fmt::join(variants, ", ")));
  } else {
    for (const char* name : {"control", "baseline", "ctrl", "a", "original", "default"})
      for (size_t i = 0; i < variants.size() && control == kNone; ++i)
        if (canon(variants[i]) == name) control = i;
    if (control == kNone) control = 0;
  }
  LoadedExperiment out;
  auto& d = out.data;
  std::vector<size_t> order{control};
  for (size_t i = 0; i < variants.size(); ++i)
    if (i != control) order.push_back(i);
  for (size_t i : order) d.variants.push_back(variants[i]);
  for (size_t k = 0; k < metrics.size(); ++k) {
    MetricSpec ms{metrics[k], kinds[k], cuped, metrics[k], {}};
    std::vector<ArmStats> arms;
    for (const auto& v : d.variants) {
      auto it = cells.find({metrics[k], v});
      if (it == cells.end())
        throw Error(ErrorCode::input, fmt::format("metric '{}' has no row for variant '{}'", metrics[k], v), fname,
                    "give every metric one row per variant");
      arms.push_back(it->second);
    }
    d.metrics.push_back(ms);
    d.stats.push_back(std::move(arms));
  }
  for (size_t v = 0; v < d.variants.size(); ++v) d.units.push_back(d.stats.empty() ? 0 : d.stats[0][v].n);
  out.summary.file = fname;
  out.summary.per_unit = false;
  out.summary.rows_read = out.summary.rows_kept = rows;
  out.summary.mapping["control"] = variants.empty() ? "" : variants[control];
  return out;
}

fs::path spill_dir(const InputSpec& spec) {
  return spec.spill_dir.empty() ? fs::temp_directory_path() : spec.spill_dir;
}

std::string ids_example(const DuplicateExample& e) {
  return fmt::format("'{}' ({} rows: line{} {}{}; variant{} {})", e.unit, e.rows, e.lines.size() > 1 ? "s" : "",
                     fmt::join(e.lines, ", "), e.rows > e.lines.size() ? ", …" : "", e.variants.size() > 1 ? "s" : "",
                     fmt::join(e.variants, ", "));
}

}  // namespace

std::string_view to_string(DuplicatePolicy p) {
  switch (p) {
    case DuplicatePolicy::stop:
      return "stop";
    case DuplicatePolicy::first:
      return "first";
    case DuplicatePolicy::exclude:
      return "exclude";
  }
  return "stop";
}

DuplicatePolicy parse_duplicate_policy(std::string_view s) {
  if (s == "stop") return DuplicatePolicy::stop;
  if (s == "first") return DuplicatePolicy::first;
  if (s == "exclude") return DuplicatePolicy::exclude;
  throw Error(ErrorCode::usage, fmt::format("unknown duplicate policy '{}'", s), {},
              "use --duplicates stop (the default), first or exclude");
}

LoadedExperiment load_experiment(const fs::path& file, const InputSpec& spec) {
  {
    auto probe = io::open_records(file, spec.csv);
    if (spec.unit_column.empty() && is_summary_header(probe->header())) return load_summaries(file, spec);
  }
  UnitPass pass(file, spec);
  pass.open();
  const auto dir = spill_dir(spec);
  // The bound, for the whole process: 24 MB for the program and the reader, then of the rest three quarters for
  // the finder's records, an eighth for the lines to remove and an eighth for the partitions' write buffers.
  const uint64_t usable = spec.memory_limit > (48 << 20) ? spec.memory_limit - (24 << 20) : spec.memory_limit / 2;
  detail::DuplicateFinder finder(usable / 4 * 3, usable / 8 / 256, dir);
  pass.run(&finder, nullptr, nullptr);
  detail::LineSet removals(usable / 8, dir);
  const detail::Policy policy = spec.duplicates == DuplicatePolicy::stop    ? detail::Policy::stop
                                : spec.duplicates == DuplicatePolicy::first ? detail::Policy::first
                                                                            : detail::Policy::exclude;
  const auto dups = finder.finish(policy, removals, kMaxExamples);

  InputSummary summary;
  summary.file = file.string();
  summary.duplicate_policy = spec.duplicates;
  summary.dup_units_same_variant = dups.units_same_variant;
  summary.dup_rows_same_variant = dups.rows_same_variant;
  summary.dup_units_cross_variant = dups.units_cross_variant;
  summary.dup_rows_cross_variant = dups.rows_cross_variant;
  summary.spilled = dups.spilled;
  summary.spill_bytes = dups.spill_bytes;
  const bool any = dups.units_same_variant + dups.units_cross_variant > 0;
  if (!any) return pass.result(summary);

  // Name the examples: their unit IDs are read again from the file (the finder holds only hashes).
  std::map<uint64_t, std::string> ids;
  uint64_t last_line = 0;
  for (const auto& g : dups.examples) {
    ids[g.lines.front()];
    last_line = std::max(last_line, g.lines.front());
  }
  const std::vector<std::string> variants = pass.variants;
  auto examples = [&] {
    std::vector<DuplicateExample> out;
    for (const auto& g : dups.examples) {
      DuplicateExample e;
      e.unit = ids[g.lines.front()];
      e.lines = g.lines;
      e.rows = g.rows;
      for (uint32_t v : g.variants) e.variants.push_back(variants.at(v));
      out.push_back(std::move(e));
    }
    return out;
  };
  if (spec.duplicates == DuplicatePolicy::stop) {
    pass.reset_statistics();
    pass.open();
    pass.run(nullptr, nullptr, &ids, last_line);
    const auto ex = examples();
    std::vector<std::string> named;
    for (const auto& e : ex) named.push_back(ids_example(e));
    throw Error(
        ErrorCode::input,
        fmt::format("one row per unit is expected, but {} unit(s) appear more than once in the same variant ({} rows) "
                    "and {} unit(s) appear in more than one variant ({} rows); first: {}",
                    dups.units_same_variant, dups.rows_same_variant, dups.units_cross_variant, dups.rows_cross_variant,
                    fmt::join(named, "; ")),
        file.string(),
        "keep each unit's first row with --duplicates first, or drop every duplicated unit with --duplicates exclude");
  }
  summary.dup_rows_removed = removals.size();
  summary.passes = 2;
  pass.reset_statistics();
  pass.open();
  pass.run(nullptr, &removals, &ids);
  summary.dup_examples = examples();
  return pass.result(summary);
}

// ---------------------------------------------------------------- presets

InputSpec load_experiment_preset(const fs::path& file) {
  toml::table t;
  try {
    t = toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    throw Error(ErrorCode::usage, fmt::format("invalid preset: {}", e.description()),
                fmt::format("{}:{}:{}", file.string(), b.line, b.column), "see docs/experiments.md for the format");
  }
  auto bad = [&](const std::string& key, const std::string& what) {
    return Error(ErrorCode::usage, fmt::format("preset key '{}': {}", key, what), file.string(),
                 "see docs/experiments.md for the accepted keys");
  };
  if (t["kind"].value_or(std::string("experiment")) != "experiment")
    throw bad("kind", "an experiment preset has kind = \"experiment\"");
  InputSpec s;
  const std::string delim = t["format"]["delimiter"].value_or(std::string());
  if (delim == "tab" || delim == "\t")
    s.csv.delimiter = '\t';
  else if (delim.size() == 1)
    s.csv.delimiter = delim[0];
  else if (!delim.empty())
    throw bad("format.delimiter", "one character or \"tab\"");
  if (s.csv.delimiter) s.csv.layout = io::Layout::delimited;
  s.unit_column = t["columns"]["unit_id"].value_or(std::string());
  s.variant_column = t["columns"]["variant"].value_or(std::string());
  s.timestamp_column = t["columns"]["timestamp"].value_or(std::string());
  if (auto* metrics = t["metrics"].as_table()) {
    for (const auto& [k, v] : *metrics) {
      MetricColumn m;
      m.name = std::string(k.str());
      m.column = m.name;
      std::string kind;
      if (auto str = v.value<std::string>()) {
        kind = *str;
      } else if (auto* tbl = v.as_table()) {
        m.column = (*tbl)["column"].value_or(m.name);
        m.denominator = (*tbl)["denominator"].value_or(std::string());
        m.pre = (*tbl)["pre"].value_or(std::string());
        kind = (*tbl)["kind"].value_or(std::string());
      } else {
        throw bad("metrics." + m.name, "a kind (\"proportion\", \"mean\", \"ratio\", \"auto\") or a table");
      }
      if (kind == "proportion")
        m.kind = MetricKind::proportion;
      else if (kind == "mean")
        m.kind = MetricKind::mean;
      else if (kind == "ratio")
        m.kind = MetricKind::ratio;
      else if (!kind.empty() && kind != "auto")
        throw bad("metrics." + m.name, "kind must be proportion, mean, ratio or auto");
      if (m.kind == MetricKind::ratio && m.denominator.empty())
        throw bad("metrics." + m.name, "a ratio needs denominator");
      s.metrics.push_back(std::move(m));
    }
  }
  s.control = t["experiment"]["control"].value_or(std::string());
  if (auto d = t["experiment"]["duplicates"].value<std::string>()) s.duplicates = parse_duplicate_policy(*d);
  if (auto* rules = t["require"].as_array()) {
    for (const auto& node : *rules) {
      const auto* rt = node.as_table();
      if (!rt) throw bad("require", "an array of tables ([[require]])");
      RequireRule r;
      r.column = (*rt)["column"].value_or(std::string());
      if (r.column.empty()) throw bad("require.column", "names the column to check");
      if (const auto* vals = (*rt)["values"].as_table())
        for (const auto& [k, v] : *vals) r.value_for_variant[std::string(k.str())] = v.value_or(std::string());
      if (r.value_for_variant.empty()) throw bad("require.values", "maps each variant to its required value");
      s.require.push_back(std::move(r));
    }
  }
  return s;
}

InputSpec find_experiment_preset(const std::string& name_or_path) {
  std::error_code ec;
  if (name_or_path.find('/') != std::string::npos || name_or_path.ends_with(".toml")) {
    if (!fs::exists(name_or_path, ec))
      throw Error(ErrorCode::not_found, "no such preset file", name_or_path, "check the path");
    return load_experiment_preset(name_or_path);
  }
  for (const auto& d : io::preset_dirs()) {
    const auto f = d / (name_or_path + ".toml");
    if (fs::exists(f, ec)) return load_experiment_preset(f);
  }
  throw Error(ErrorCode::not_found, fmt::format("no experiment preset named '{}'", name_or_path), {},
              "experiment presets ship as presets/abtest.toml; or pass a preset file path");
}

}  // namespace koko::experiment
