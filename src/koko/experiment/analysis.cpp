// The experiment analysis: stored sufficient statistics → analyze → result tables → report section.
#include "koko/analysis/analysis.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>

#include "koko/core/date.hpp"
#include "koko/core/error.hpp"
#include "koko/experiment/results.hpp"

namespace koko {

namespace experiment {

namespace {

using store::Chunk;
using store::ResultTable;
using store::Value;

constexpr const char* kStats = "experiment_stats";
constexpr const char* kInputs = "experiment_inputs";
constexpr int32_t kNoDay = INT32_MIN;

std::string_view kind_name(MetricKind k) {
  return k == MetricKind::proportion ? "proportion" : k == MetricKind::ratio ? "ratio" : "mean";
}
MetricKind parse_kind(std::string_view s) {
  return s == "proportion" ? MetricKind::proportion : s == "ratio" ? MetricKind::ratio : MetricKind::mean;
}
std::string_view scale_name(Scale s) { return s == Scale::relative ? "relative" : "absolute"; }
std::string_view sided_name(Sided s) {
  return s == Sided::two ? "two-sided" : s == Sided::greater ? "greater" : "less";
}
std::string_view correction_name(Correction c) {
  return c == Correction::holm ? "holm" : c == Correction::bh ? "bh" : "none";
}

Value num(double v) { return std::isfinite(v) ? Value(v) : Value(std::monostate{}); }
Value integer(int64_t v) { return Value(v); }
Value text(std::string_view s) { return Value(std::string(s)); }

double to_double(const std::string& key, const std::string& s) {
  double v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size() || !std::isfinite(v))
    throw Error(ErrorCode::usage, fmt::format("{}: '{}' is not a number", key, s), {}, "e.g. 0.05");
  return v;
}

std::vector<double> to_doubles(const std::string& key, const std::string& s) {
  std::vector<double> out;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t comma = std::min(s.find(',', start), s.size());
    std::string part = s.substr(start, comma - start);
    part.erase(0, part.find_first_not_of(" []"));
    part.erase(part.find_last_not_of(" []") + 1);
    if (!part.empty()) out.push_back(to_double(key, part));
    start = comma + 1;
  }
  return out;
}

// ---------------------------------------------------------------- stored inputs

struct Stored {
  std::string name;
  LoadedExperiment e;
  Options options;
};

std::string as_text(const Value& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&v)) return fmt::format("{}", *d);
  return {};
}
double as_double(const Value& v) {
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  return std::nan("");
}
int64_t as_int(const Value& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) return *i;
  if (const auto* d = std::get_if<double>(&v)) return static_cast<int64_t>(*d);
  return 0;
}

// Input facts as key/value strings (kept with the statistics, for the report).
Options facts_of(const InputSummary& s) {
  Options f;
  f["input.file"] = s.file;
  f["input.per_unit"] = s.per_unit ? "1" : "0";
  f["input.rows_read"] = std::to_string(s.rows_read);
  f["input.rows_kept"] = std::to_string(s.rows_kept);
  for (size_t i = 0; i < s.rows_dropped.size(); ++i)
    f[fmt::format("input.dropped.{:03}", i)] = fmt::format("{}\t{}", s.rows_dropped[i].second, s.rows_dropped[i].first);
  for (const auto& [role, col] : s.mapping) f["input.map." + role] = col;
  f["input.dup_units_same_variant"] = std::to_string(s.dup_units_same_variant);
  f["input.dup_rows_same_variant"] = std::to_string(s.dup_rows_same_variant);
  f["input.dup_units_cross_variant"] = std::to_string(s.dup_units_cross_variant);
  f["input.dup_rows_cross_variant"] = std::to_string(s.dup_rows_cross_variant);
  f["input.dup_rows_removed"] = std::to_string(s.dup_rows_removed);
  f["input.duplicate_policy"] = std::string(to_string(s.duplicate_policy));
  for (size_t i = 0; i < s.dup_examples.size(); ++i) {
    const auto& e = s.dup_examples[i];
    f[fmt::format("input.dup_example.{:03}", i)] =
        fmt::format("{}\t{}\t{}\t{}", e.unit, e.rows, fmt::join(e.lines, ","), fmt::join(e.variants, ","));
  }
  f["input.spilled"] = s.spilled ? "1" : "0";
  f["input.spill_bytes"] = std::to_string(s.spill_bytes);
  return f;
}

uint64_t to_u64(const Options& o, const std::string& key) {
  auto it = o.find(key);
  if (it == o.end()) return 0;
  uint64_t v = 0;
  std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
  return v;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i)
    if (i == s.size() || s[i] == sep) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  return out;
}

InputSummary summary_of(const Options& f) {
  InputSummary s;
  auto get = [&](const std::string& k) {
    auto it = f.find(k);
    return it == f.end() ? std::string() : it->second;
  };
  s.file = get("input.file");
  s.per_unit = get("input.per_unit") != "0";
  s.rows_read = to_u64(f, "input.rows_read");
  s.rows_kept = to_u64(f, "input.rows_kept");
  s.dup_units_same_variant = to_u64(f, "input.dup_units_same_variant");
  s.dup_rows_same_variant = to_u64(f, "input.dup_rows_same_variant");
  s.dup_units_cross_variant = to_u64(f, "input.dup_units_cross_variant");
  s.dup_rows_cross_variant = to_u64(f, "input.dup_rows_cross_variant");
  s.dup_rows_removed = to_u64(f, "input.dup_rows_removed");
  if (const auto p = get("input.duplicate_policy"); !p.empty()) s.duplicate_policy = parse_duplicate_policy(p);
  s.spilled = get("input.spilled") == "1";
  s.spill_bytes = to_u64(f, "input.spill_bytes");
  for (const auto& [k, v] : f) {
    if (k.starts_with("input.dropped.")) {
      const auto tab = v.find('\t');
      uint64_t rows = 0;
      std::from_chars(v.data(), v.data() + tab, rows);
      s.rows_dropped.emplace_back(v.substr(tab + 1), rows);
    } else if (k.starts_with("input.map.")) {
      s.mapping[k.substr(10)] = v;
    } else if (k.starts_with("input.dup_example.")) {
      const auto parts = split(v, '\t');
      if (parts.size() != 4) continue;
      DuplicateExample e;
      e.unit = parts[0];
      e.rows = std::stoull(parts[1]);
      for (const auto& l : split(parts[2], ',')) e.lines.push_back(std::stoull(l));
      e.variants = split(parts[3], ',');
      s.dup_examples.push_back(std::move(e));
    }
  }
  return s;
}

struct StatsColumns {
  StringColumn experiment, metric, kind, numerator, denominator, variant;
  std::vector<int32_t> cuped, first_day, last_day;
  std::vector<int64_t> units, n, n_pre;
  std::vector<double> mean, m2, den_mean, den_m2, num_den_c, pre_y_mean, pre_y_m2, pre_mean, pre_m2, post_pre_c;

  void add(const std::string& name, const ExperimentData& d, size_t m, size_t v) {
    const auto& spec = d.metrics[m];
    const auto& a = d.stats[m][v];
    experiment.push_back(name);
    metric.push_back(spec.name);
    kind.push_back(kind_name(spec.kind));
    numerator.push_back(spec.numerator);
    denominator.push_back(spec.denominator);
    variant.push_back(d.variants[v]);
    cuped.push_back(spec.cuped ? 1 : 0);
    first_day.push_back(d.first_day.value_or(kNoDay));
    last_day.push_back(d.last_day.value_or(kNoDay));
    units.push_back(d.units[v]);
    n.push_back(a.n);
    n_pre.push_back(a.n_pre);
    for (auto [col, val] : {std::pair{&mean, a.mean},
                            {&m2, a.m2},
                            {&den_mean, a.den_mean},
                            {&den_m2, a.den_m2},
                            {&num_den_c, a.num_den_c},
                            {&pre_y_mean, a.pre_y_mean},
                            {&pre_y_m2, a.pre_y_m2},
                            {&pre_mean, a.pre_mean},
                            {&pre_m2, a.pre_m2},
                            {&post_pre_c, a.post_pre_c}})
      col->push_back(val);
  }
  Chunk chunk() && {
    Chunk c;
    c.columns = {{"experiment", std::move(experiment)},
                 {"metric", std::move(metric)},
                 {"kind", std::move(kind)},
                 {"numerator", std::move(numerator)},
                 {"denominator", std::move(denominator)},
                 {"variant", std::move(variant)},
                 {"cuped", std::move(cuped)},
                 {"first_day", std::move(first_day)},
                 {"last_day", std::move(last_day)},
                 {"units", std::move(units)},
                 {"n", std::move(n)},
                 {"n_pre", std::move(n_pre)},
                 {"mean", std::move(mean)},
                 {"m2", std::move(m2)},
                 {"den_mean", std::move(den_mean)},
                 {"den_m2", std::move(den_m2)},
                 {"num_den_c", std::move(num_den_c)},
                 {"pre_y_mean", std::move(pre_y_mean)},
                 {"pre_y_m2", std::move(pre_y_m2)},
                 {"pre_mean", std::move(pre_mean)},
                 {"pre_m2", std::move(pre_m2)},
                 {"post_pre_c", std::move(post_pre_c)}};
    return c;
  }
};

std::vector<Stored> load_all(store::Workspace& ws) {
  std::map<std::string, Stored> by_name;
  ws.scan(kInputs, [&](const Chunk& c) {
    const auto& e = c.as<StringColumn>("experiment");
    const auto& k = c.as<StringColumn>("key");
    const auto& v = c.as<StringColumn>("value");
    for (size_t i = 0; i < e.size(); ++i) {
      auto& s = by_name[std::string(e[i])];
      s.name = e[i];
      s.options[std::string(k[i])] = v[i];
    }
  });
  ws.scan(kStats, [&](const Chunk& c) {
    const auto& e = c.as<StringColumn>("experiment");
    const auto& metric = c.as<StringColumn>("metric");
    const auto& kind = c.as<StringColumn>("kind");
    const auto& num = c.as<StringColumn>("numerator");
    const auto& den = c.as<StringColumn>("denominator");
    const auto& variant = c.as<StringColumn>("variant");
    const auto& cuped = c.as<std::vector<int32_t>>("cuped");
    const auto& fd = c.as<std::vector<int32_t>>("first_day");
    const auto& ld = c.as<std::vector<int32_t>>("last_day");
    const auto& units = c.as<std::vector<int64_t>>("units");
    const auto& n = c.as<std::vector<int64_t>>("n");
    const auto& n_pre = c.as<std::vector<int64_t>>("n_pre");
    auto d = [&](const char* col) -> const std::vector<double>& { return c.as<std::vector<double>>(col); };
    for (size_t i = 0; i < e.size(); ++i) {
      auto& s = by_name[std::string(e[i])];
      s.name = e[i];
      auto& data = s.e.data;
      size_t m = 0;
      while (m < data.metrics.size() && data.metrics[m].name != metric[i]) ++m;
      if (m == data.metrics.size()) {
        data.metrics.push_back(
            {std::string(metric[i]), parse_kind(kind[i]), cuped[i] != 0, std::string(num[i]), std::string(den[i])});
        data.stats.emplace_back();
      }
      size_t v = 0;
      while (v < data.variants.size() && data.variants[v] != variant[i]) ++v;
      if (v == data.variants.size()) {
        data.variants.emplace_back(variant[i]);
        data.units.push_back(units[i]);
      }
      if (fd[i] != kNoDay) data.first_day = fd[i];
      if (ld[i] != kNoDay) data.last_day = ld[i];
      ArmStats a;
      a.n = n[i];
      a.mean = d("mean")[i];
      a.m2 = d("m2")[i];
      a.den_mean = d("den_mean")[i];
      a.den_m2 = d("den_m2")[i];
      a.num_den_c = d("num_den_c")[i];
      a.n_pre = n_pre[i];
      a.pre_y_mean = d("pre_y_mean")[i];
      a.pre_y_m2 = d("pre_y_m2")[i];
      a.pre_mean = d("pre_mean")[i];
      a.pre_m2 = d("pre_m2")[i];
      a.post_pre_c = d("post_pre_c")[i];
      if (data.stats[m].size() <= v) data.stats[m].resize(v + 1);
      data.stats[m][v] = a;
    }
  });
  std::vector<Stored> out;
  for (auto& [name, s] : by_name) {
    s.e.summary = summary_of(s.options);
    out.push_back(std::move(s));
  }
  return out;
}

// ---------------------------------------------------------------- formatting

bool is_percent(MetricKind k) { return k == MetricKind::proportion; }

std::string fmt_mean(double v, MetricKind k) {
  if (!std::isfinite(v)) return "–";
  if (is_percent(k)) return fmt::format("{:.2f}%", v * 100);
  return std::fabs(v) >= 1000 ? fmt::format("{:.0f}", v) : fmt::format("{:.4g}", v);
}
std::string fmt_effect(double v, Scale s, MetricKind k) {
  if (!std::isfinite(v)) return "–";
  if (s == Scale::relative) return fmt::format("{:+.2f}%", v * 100);
  if (is_percent(k)) return fmt::format("{:+.2f} pp", v * 100);
  return fmt::format("{:+.4g}", v);
}
std::string fmt_p(double p) {
  if (!std::isfinite(p)) return "–";
  return p < 0.0001 ? "<0.0001" : fmt::format("{:.4f}", p);
}
std::string fmt_pct(double v) { return std::isfinite(v) ? fmt::format("{:.1f}%", v * 100) : "–"; }
std::string fmt_interval(double lo, double hi, Scale s, MetricKind k) {
  return fmt::format("[{}, {}]", std::isfinite(lo) ? fmt_effect(lo, s, k) : "−∞",
                     std::isfinite(hi) ? fmt_effect(hi, s, k) : "+∞");
}
std::string level(double alpha) { return fmt::format("{:g}", (1 - alpha) * 100); }
std::string fmt_risk(double v, Scale s, MetricKind k) {
  if (!std::isfinite(v)) return "–";
  if (s == Scale::relative) return fmt::format("{:.2f}%", v * 100);
  return is_percent(k) ? fmt::format("{:.3f} pp", v * 100) : fmt::format("{:.4g}", v);
}

std::string fmt_count(uint64_t v) {
  std::string s = std::to_string(v);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<size_t>(i), ",");
  return s;
}

}  // namespace

// ---------------------------------------------------------------- public glue

Settings settings_from(const Config& config, const Options& options) {
  auto opt = [&](const std::string& key) -> std::optional<std::string> {
    auto it = options.find("settings." + key);
    return it == options.end() ? std::nullopt : std::optional(it->second);
  };
  Settings s;
  auto dbl = [&](const std::string& key, double fallback) {
    if (auto v = opt(key)) return to_double("--" + key, *v);
    return config.get_double("experiment." + key, fallback);
  };
  auto str = [&](const std::string& key, const std::string& fallback) {
    if (auto v = opt(key)) return *v;
    return config.get_string("experiment." + key, fallback);
  };
  s.alpha = dbl("alpha", s.alpha);
  const std::string sided = str("sided", "two");
  if (sided == "two")
    s.sided = Sided::two;
  else if (sided == "greater")
    s.sided = Sided::greater;
  else if (sided == "less")
    s.sided = Sided::less;
  else
    throw Error(ErrorCode::usage, fmt::format("unknown test direction '{}'", sided), {}, "use two, greater or less");
  const double prior_sd = dbl("prior_sd", 0);
  s.prior = {dbl("prior_mean", 0), prior_sd * prior_sd};
  s.beta_binomial = str("beta_binomial", "true") != "false";
  const auto bp = opt("beta_prior") ? to_doubles("--beta-prior", *opt("beta_prior"))
                                    : config.get_doubles("experiment.beta_prior", {1, 1});
  if (bp.size() != 2 || !(bp[0] > 0 && bp[1] > 0))
    throw Error(ErrorCode::usage, "the Beta prior is two positive numbers", {}, "e.g. beta_prior = [1, 1]");
  s.beta_prior_a = bp[0];
  s.beta_prior_b = bp[1];
  s.sequential_tuning = dbl("sequential_tuning", s.sequential_tuning);
  s.weights = opt("weights") ? to_doubles("--weights", *opt("weights")) : config.get_doubles("experiment.weights", {});
  s.srm_threshold = dbl("srm_threshold", s.srm_threshold);
  const std::string corr = str("correction", "holm");
  if (corr == "holm")
    s.correction = Correction::holm;
  else if (corr == "bh")
    s.correction = Correction::bh;
  else if (corr == "none")
    s.correction = Correction::none;
  else
    throw Error(ErrorCode::usage, fmt::format("unknown correction '{}'", corr), {}, "use holm, bh or none");
  s.min_units = static_cast<int64_t>(dbl("min_units", static_cast<double>(s.min_units)));
  s.min_conversions = static_cast<int64_t>(dbl("min_conversions", static_cast<double>(s.min_conversions)));
  s.min_days = static_cast<int>(dbl("min_days", s.min_days));
  return s;
}

void save_experiment(store::Workspace& ws, const std::string& name, const LoadedExperiment& e, const Options& options) {
  // Keep the other experiments: rewrite both tables without this one, then append it.
  StatsColumns stats;
  StringColumn exp, key, value;
  for (const auto& s : load_all(ws)) {
    if (s.name == name) continue;
    for (size_t m = 0; m < s.e.data.metrics.size(); ++m)
      for (size_t v = 0; v < s.e.data.variants.size(); ++v) stats.add(s.name, s.e.data, m, v);
    for (const auto& [k, v] : s.options) {
      exp.push_back(s.name);
      key.push_back(k);
      value.push_back(v);
    }
  }
  for (size_t m = 0; m < e.data.metrics.size(); ++m)
    for (size_t v = 0; v < e.data.variants.size(); ++v) stats.add(name, e.data, m, v);
  Options all = facts_of(e.summary);
  for (const auto& [k, v] : options) all[k] = v;
  for (const auto& [k, v] : all) {
    exp.push_back(name);
    key.push_back(k);
    value.push_back(v);
  }
  ws.drop_columnar(kStats);
  ws.drop_columnar(kInputs);
  ws.append_chunk(kStats, 0, std::move(stats).chunk());
  Chunk in;
  in.columns = {{"experiment", std::move(exp)}, {"key", std::move(key)}, {"value", std::move(value)}};
  ws.append_chunk(kInputs, 0, in);
}

std::vector<ResultTable> result_tables(const std::string& name, const LoadedExperiment& e, const ExperimentResult& r,
                                       const Settings& s, const Options& options) {
  const auto& d = e.data;
  ResultTable results{"experiment_results",
                      {"experiment",
                       "metric",
                       "kind",
                       "variant",
                       "control",
                       "scale",
                       "units_control",
                       "units_variant",
                       "mean_control",
                       "mean_variant",
                       "effect",
                       "se",
                       "df",
                       "ci_low",
                       "ci_high",
                       "p_value",
                       "p_holm",
                       "p_bh",
                       "significant",
                       "z_pooled",
                       "p_pooled",
                       "seq_ci_low",
                       "seq_ci_high",
                       "seq_p_value",
                       "chance_to_beat",
                       "cred_low",
                       "cred_high",
                       "risk_control",
                       "risk_variant",
                       "beta_chance_to_beat",
                       "beta_risk_control",
                       "beta_risk_variant",
                       "cuped",
                       "theta",
                       "variance_reduction",
                       "problem"},
                      {}};
  for (const auto& c : r.comparisons) {
    const auto& spec = d.metrics[c.metric];
    const auto& m = c.moments;
    const bool ok = m.ok;
    auto okv = [&](double v) { return ok ? num(v) : Value(std::monostate{}); };
    std::vector<Value> row = {text(name),
                              text(spec.name),
                              text(kind_name(spec.kind)),
                              text(d.variants[c.variant]),
                              text(d.variants[0]),
                              text(scale_name(c.scale)),
                              integer(d.stats[c.metric][0].n),
                              integer(d.stats[c.metric][c.variant].n),
                              num(m.control_mean),
                              num(m.variant_mean),
                              okv(m.effect),
                              okv(m.se),
                              okv(m.df),
                              okv(c.test.ci_low),
                              okv(c.test.ci_high),
                              okv(c.test.p_value),
                              okv(c.p_holm),
                              okv(c.p_bh),
                              integer(c.significant ? 1 : 0)};
    if (c.pooled_z)
      row.insert(row.end(), {num(c.pooled_z->z), num(c.pooled_z->p_value)});
    else
      row.insert(row.end(), {Value(), Value()});
    row.insert(row.end(), {okv(c.sequential.ci_low), okv(c.sequential.ci_high), okv(c.sequential.p_value),
                           okv(c.bayes.chance_to_beat), okv(c.bayes.ci_low), okv(c.bayes.ci_high),
                           okv(c.bayes.risk_control), okv(c.bayes.risk_variant)});
    if (c.beta)
      row.insert(row.end(), {num(c.beta->chance_to_beat), num(c.beta->risk_control), num(c.beta->risk_variant)});
    else
      row.insert(row.end(), {Value(), Value(), Value()});
    row.insert(row.end(), {integer(m.cuped ? 1 : 0), m.cuped ? num(m.theta) : Value(),
                           m.cuped && ok ? num(m.variance_reduction) : Value(), text(m.problem)});
    results.rows.push_back(std::move(row));
  }

  ResultTable variants{"experiment_variants",
                       {"experiment", "variant", "role", "units", "share", "planned_share", "expected_units"},
                       {}};
  double total = 0, wsum = 0;
  for (auto u : d.units) total += static_cast<double>(u);
  std::vector<double> w = s.weights.empty() ? std::vector<double>(d.units.size(), 1.0) : s.weights;
  for (double x : w) wsum += x;
  for (size_t v = 0; v < d.variants.size(); ++v)
    variants.rows.push_back({text(name), text(d.variants[v]), text(v == 0 ? "control" : "variant"), integer(d.units[v]),
                             num(total > 0 ? static_cast<double>(d.units[v]) / total : 0), num(w.at(v) / wsum),
                             num(v < r.srm.expected.size() ? r.srm.expected[v] : 0)});

  ResultTable health{
      "experiment_health", {"experiment", "check", "metric", "variant", "value", "limit", "message"}, {}};
  for (const auto& f : r.findings)
    health.rows.push_back({text(name), text(f.code), text(f.metric), text(f.variant), num(f.value), num(f.limit),
                           text(describe(f, Lang::en))});

  ResultTable info{"experiment_info", {"experiment", "key", "value"}, {}};
  auto add = [&](const std::string& k, const std::string& v) { info.rows.push_back({text(name), text(k), text(v)}); };
  add("file", e.summary.file);
  add("control", d.variants[0]);
  add("variants", std::to_string(d.variants.size()));
  add("units", fmt::format("{}", static_cast<int64_t>(total)));
  add("rows_read", std::to_string(e.summary.rows_read));
  add("rows_kept", std::to_string(e.summary.rows_kept));
  for (const auto& [rule, rows] : e.summary.rows_dropped) add("dropped: " + rule, std::to_string(rows));
  add("duplicate_policy", std::string(to_string(e.summary.duplicate_policy)));
  add("duplicate_units_same_variant", std::to_string(e.summary.dup_units_same_variant));
  add("duplicate_units_cross_variant", std::to_string(e.summary.dup_units_cross_variant));
  add("duplicate_rows_removed", std::to_string(e.summary.dup_rows_removed));
  if (d.first_day && d.last_day) {
    add("first_date", format_date(*d.first_day));
    add("last_date", format_date(*d.last_day));
    add("days", std::to_string(*d.last_day - *d.first_day + 1));
  }
  add("srm_chi2", fmt::format("{}", r.srm.chi2));
  add("srm_p_value", fmt::format("{}", r.srm.p_value));
  add("alpha", fmt::format("{}", s.alpha));
  add("sided", std::string(sided_name(s.sided)));
  add("correction", std::string(correction_name(s.correction)));
  add("prior",
      s.prior.proper() ? fmt::format("N({}, {}²) on the lift", s.prior.mean, std::sqrt(s.prior.variance)) : "flat");
  add("beta_prior", fmt::format("Beta({}, {})", s.beta_prior_a, s.beta_prior_b));
  add("sequential_tuning", fmt::format("{}", s.sequential_tuning));
  for (const char* k : {"tests", "hypothesis"})
    if (auto it = options.find(k); it != options.end()) add(k, it->second);
  return {results, variants, health, info};
}

std::string describe(const Finding& f, Lang lang) {
  return tr(lang, "experiment.warn_" + f.code, f.metric, f.variant, f.value, f.limit);
}

std::string text_summary(const std::string& name, const LoadedExperiment& e, const ExperimentResult& r,
                         const Settings& s, Lang L) {
  const auto& d = e.data;
  std::string out;
  int64_t total = 0;
  for (auto u : d.units) total += u;
  out += tr(L, "experiment.cli_header", name, fmt_count(static_cast<uint64_t>(total)), d.variants.size(), d.variants[0],
            fmt_count(e.summary.rows_read), fmt_count(e.summary.rows_kept)) +
         "\n";
  for (const auto& [rule, rows] : e.summary.rows_dropped)
    out += "  " + tr(L, "experiment.dropped", fmt_count(rows), rule) + "\n";
  if (e.summary.dup_units_same_variant + e.summary.dup_units_cross_variant > 0)
    out += "  " +
           tr(L, "experiment.duplicates", e.summary.dup_units_same_variant, e.summary.dup_rows_same_variant,
              e.summary.dup_units_cross_variant, e.summary.dup_rows_cross_variant,
              to_string(e.summary.duplicate_policy), e.summary.dup_rows_removed) +
           "\n";
  const std::string lvl = level(s.alpha);
  std::vector<std::vector<std::string>> rows{
      {std::string(msg(L, "experiment.metric")), std::string(msg(L, "experiment.variant")),
       std::string(msg(L, "experiment.units")), std::string(msg(L, "experiment.mean_control")),
       std::string(msg(L, "experiment.mean_variant")), std::string(msg(L, "experiment.lift")),
       tr(L, "experiment.ci", lvl), std::string(msg(L, "experiment.abs_effect")),
       std::string(msg(L, "experiment.p_value")), tr(L, "experiment.p_adjusted", correction_name(s.correction)),
       std::string(msg(L, "experiment.chance_to_beat")), std::string(msg(L, "experiment.sequential"))}};
  for (size_t i = 0; i + 1 < r.comparisons.size(); i += 2) {
    const auto& rel = r.comparisons[i];
    const auto& abs = r.comparisons[i + 1];
    const auto& spec = d.metrics[rel.metric];
    const double adj = s.correction == Correction::bh     ? rel.p_bh
                       : s.correction == Correction::holm ? rel.p_holm
                                                          : rel.test.p_value;
    const bool ok = rel.moments.ok;
    rows.push_back(
        {spec.name + (rel.moments.cuped ? " (CUPED)" : ""), d.variants[rel.variant] + (rel.significant ? " *" : ""),
         fmt::format("{} / {}", fmt_count(static_cast<uint64_t>(d.stats[rel.metric][0].n)),
                     fmt_count(static_cast<uint64_t>(d.stats[rel.metric][rel.variant].n))),
         fmt_mean(rel.moments.control_mean, spec.kind), fmt_mean(rel.moments.variant_mean, spec.kind),
         ok ? fmt_effect(rel.moments.effect, Scale::relative, spec.kind) : "–",
         ok ? fmt_interval(rel.test.ci_low, rel.test.ci_high, Scale::relative, spec.kind) : rel.moments.problem,
         abs.moments.ok ? fmt_effect(abs.moments.effect, Scale::absolute, spec.kind) : "–",
         ok ? fmt_p(rel.test.p_value) : "–", ok ? fmt_p(adj) : "–",
         ok ? fmt_pct(rel.beta ? rel.beta->chance_to_beat : rel.bayes.chance_to_beat) : "–",
         ok ? fmt_interval(rel.sequential.ci_low, rel.sequential.ci_high, Scale::relative, spec.kind) : "–"});
  }
  // Columns padded to their widest cell (by code points, so Japanese headers line up roughly).
  auto width = [](const std::string& cell_text) {
    size_t w = 0;
    for (unsigned char ch : cell_text) w += (ch & 0xC0) != 0x80;
    return w;
  };
  std::vector<size_t> wid(rows[0].size(), 0);
  for (const auto& row : rows)
    for (size_t k = 0; k < row.size(); ++k) wid[k] = std::max(wid[k], width(row[k]));
  for (const auto& row : rows) {
    std::string line;
    for (size_t k = 0; k < row.size(); ++k) line += row[k] + std::string(wid[k] - width(row[k]) + 2, ' ');
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  out += tr(L, "experiment.cli_footer", lvl, sided_name(s.sided), correction_name(s.correction), s.alpha) + "\n";
  if (r.findings.empty()) out += tr(L, "experiment.health_ok", fmt_p(r.srm.p_value)) + "\n";
  for (const auto& f : r.findings) out += "! " + describe(f, L) + "\n";
  return out;
}

}  // namespace experiment

namespace {

using experiment::Stored;
using store::ResultTable;
using store::Value;

std::string v_text(const Value& v) { return experiment::as_text(v); }
double v_num(const Value& v) { return experiment::as_double(v); }

class ExperimentAnalysis final : public Analysis {
 public:
  [[nodiscard]] std::string_view name() const override { return "experiment"; }
  [[nodiscard]] std::vector<std::string> inputs() const override { return {experiment::kStats}; }
  [[nodiscard]] std::vector<std::string> tables() const override {
    return {"experiment_results", "experiment_variants", "experiment_health", "experiment_info"};
  }

  void run(RunContext& ctx) const override {
    std::vector<ResultTable> all;
    for (const auto& s : experiment::load_all(ctx.ws)) {
      const auto settings = experiment::settings_from(ctx.config, s.options);
      const auto r = experiment::analyze(s.e.data, settings);
      auto tables = experiment::result_tables(s.name, s.e, r, settings, s.options);
      if (all.empty()) {
        all = std::move(tables);
        continue;
      }
      for (size_t i = 0; i < all.size(); ++i)
        for (auto& row : tables[i].rows) all[i].rows.push_back(std::move(row));
    }
    for (const auto& t : all) ctx.ws.write_table(t);
  }

  void report(store::Workspace& ws, const Config& config, report::Document& doc) const override;
};

void ExperimentAnalysis::report(store::Workspace& ws, const Config& config, report::Document& doc) const {
  using namespace experiment;
  const Lang L = doc.lang();
  auto label = [&](const char* key) { return std::string(msg(L, key)); };
  auto esc = [](const std::string& s) { return report::escape_html(s); };
  auto p = [&](const std::string& s) { return "<p class=\"finding\">" + esc(s) + "</p>"; };
  static_cast<void>(config);

  const auto results = ws.read_table("experiment_results").rows;
  const auto variants = ws.read_table("experiment_variants").rows;
  const auto health = ws.read_table("experiment_health").rows;
  const auto info_rows = ws.read_table("experiment_info").rows;
  std::vector<std::string> names;
  std::map<std::string, std::map<std::string, std::string>> info;
  for (const auto& row : info_rows) {
    const auto n = v_text(row[0]);
    if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
    info[n][v_text(row[1])] = v_text(row[2]);
  }

  std::string html = "<p>" + esc(label("experiment.intro")) + "</p>";
  report::Table table{"experiment_results",
                      {label("experiment.experiment"), label("experiment.metric"), label("experiment.variant"),
                       label("experiment.units"), label("experiment.mean_control"), label("experiment.mean_variant"),
                       label("experiment.lift"), label("experiment.interval"), label("experiment.p_value"),
                       tr(L, "experiment.p_adjusted", "Holm / BH"), label("experiment.chance_to_beat"),
                       label("experiment.sequential"), label("experiment.significant")},
                      {},
                      {false, false, false, true, true, true, true, true, true, true, true, true, false}};
  for (const auto& name : names) {
    auto& in = info[name];
    const double alpha = std::stod(in.count("alpha") ? in["alpha"] : "0.05");
    const std::string lvl = level(alpha);
    html += "<h3>" + esc(name) + "</h3>";
    if (in.count("tests")) {
      const auto t = in["tests"];
      const auto colon = t.find(':');
      html += p(tr(L, "experiment.tests", colon == std::string::npos ? std::string("idea") : t.substr(0, colon),
                   colon == std::string::npos ? t : t.substr(colon + 1)));
    }
    if (in.count("hypothesis")) html += p(tr(L, "experiment.hypothesis", in["hypothesis"]));
    auto big = [](const std::string& v) {
      uint64_t x = 0;
      std::from_chars(v.data(), v.data() + v.size(), x);
      return fmt_count(x);
    };
    html += p(tr(L, "experiment.facts", big(in["units"]), in["variants"], in["control"], big(in["rows_read"]),
                 big(in["rows_kept"])));
    if (in.count("days")) html += p(tr(L, "experiment.days", in["days"], in["first_date"], in["last_date"]));

    std::vector<IntervalRow> bars;
    for (const auto& row : results) {
      if (v_text(row[0]) != name) continue;
      const auto metric = v_text(row[1]);
      const MetricKind kind = parse_kind(v_text(row[2]));
      const auto variant = v_text(row[3]), control = v_text(row[4]);
      const Scale scale = v_text(row[5]) == "relative" ? Scale::relative : Scale::absolute;
      if (scale != Scale::relative) continue;
      const bool ok = v_text(row[35]).empty();
      const double effect = v_num(row[10]), lo = v_num(row[13]), hi = v_num(row[14]), pv = v_num(row[15]);
      const double chance = std::isfinite(v_num(row[29])) ? v_num(row[29]) : v_num(row[24]);
      const double risk = std::isfinite(v_num(row[31])) ? v_num(row[31]) : v_num(row[28]);
      const double adjusted = in["correction"] == "bh"     ? v_num(row[17])
                              : in["correction"] == "none" ? pv
                                                           : v_num(row[16]);
      if (!ok) {
        html += p(tr(L, "experiment.finding_none", variant, control, metric, v_text(row[35])));
      } else {
        const char* key = as_int(row[18]) && lo > 0   ? "experiment.finding_win"
                          : as_int(row[18]) && hi < 0 ? "experiment.finding_loss"
                                                      : "experiment.finding_flat";
        html += p(tr(L, key, variant, control, metric, fmt_effect(effect, scale, kind), lvl,
                     fmt_effect(lo, scale, kind), fmt_effect(hi, scale, kind), fmt_p(pv)));
        html += p(tr(L, "experiment.finding_bayes", variant, control, metric, fmt_pct(chance),
                     std::isfinite(v_num(row[31])) ? fmt_risk(risk, Scale::absolute, kind)
                                                   : fmt_risk(risk, Scale::relative, kind)));
      }
      bars.push_back({metric + " · " + variant, ok ? effect : 0, lo, hi, v_num(row[21]), v_num(row[22]), ok});
      table.rows.push_back({name, metric + (as_int(row[32]) ? " (CUPED)" : ""), variant,
                            fmt::format("{} / {}", fmt_count(static_cast<uint64_t>(as_int(row[6]))),
                                        fmt_count(static_cast<uint64_t>(as_int(row[7])))),
                            fmt_mean(v_num(row[8]), kind), fmt_mean(v_num(row[9]), kind),
                            ok ? fmt_effect(effect, scale, kind) : "–", ok ? fmt_interval(lo, hi, scale, kind) : "–",
                            ok ? fmt_p(pv) : "–", ok ? fmt_p(adjusted) : "–", ok ? fmt_pct(chance) : "–",
                            ok ? fmt_interval(v_num(row[21]), v_num(row[22]), scale, kind) : "–",
                            label(as_int(row[18]) ? "experiment.yes" : "experiment.no")});
    }
    if (!bars.empty())
      html += interval_chart(bars, {tr(L, "experiment.chart_title", lvl), label("experiment.lift"), "", true, 720, 0});
    bool any = false;
    for (const auto& row : health)
      if (v_text(row[0]) == name) {
        Finding f{v_text(row[1]), v_text(row[2]), v_text(row[3]), v_num(row[4]), v_num(row[5])};
        html += "<p class=\"finding warning\">⚠ " + esc(describe(f, L)) + "</p>";
        any = true;
      }
    if (!any)
      html += p(tr(L, "experiment.health_ok", fmt_p(std::stod(in.count("srm_p_value") ? in["srm_p_value"] : "1"))));
    for (const auto& [k, v] : in)
      if (k.starts_with("dropped: "))
        html += "<p class=\"note\">" + esc(tr(L, "experiment.dropped", big(v), k.substr(9))) + "</p>";
    if (in.count("duplicate_rows_removed") && in["duplicate_rows_removed"] != "0")
      html += "<p class=\"note\">" +
              esc(tr(L, "experiment.duplicates_removed", in["duplicate_rows_removed"], in["duplicate_policy"])) +
              "</p>";
    html += "<p class=\"note\">" +
            esc(tr(L, "experiment.settings_note", lvl, in["sided"], in["correction"], in["prior"],
                   in["sequential_tuning"])) +
            "</p>";
  }
  html += report::table_html(table);
  doc.add_table(std::move(table));

  report::Table vt{"experiment_variants",
                   {label("experiment.experiment"), label("experiment.variant"), label("experiment.units"),
                    label("experiment.share"), label("experiment.planned_share"), label("experiment.expected_units")},
                   {},
                   {false, false, true, true, true, true}};
  for (const auto& row : variants)
    vt.rows.push_back({v_text(row[0]), v_text(row[1]), fmt_count(static_cast<uint64_t>(as_int(row[3]))),
                       fmt_pct(v_num(row[4])), fmt_pct(v_num(row[5])),
                       fmt_count(static_cast<uint64_t>(std::llround(std::max(0.0, v_num(row[6])))))});
  html += report::table_html(vt);
  doc.add_table(std::move(vt));
  doc.add_section({"experiment", label("experiment.title"), html});
}

}  // namespace

const Analysis& experiment_analysis() {
  static const ExperimentAnalysis a;
  return a;
}

}  // namespace koko
