#pragma once
// Rules and thresholds with documented defaults, overridable in koko.toml ("section.key = value").
// Every value an analysis reads is remembered, so the report can print the settings it used.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace koko {

class Config {
 public:
  Config() = default;
  // Reads koko.toml; nested tables become dotted keys ("overview.windows"). Errors name file:line:column.
  static Config load(const std::filesystem::path& file);

  void set(const std::string& key, const std::string& value) { values_[key] = value; }
  [[nodiscard]] bool has(const std::string& key) const { return values_.contains(key); }
  // The raw value without recording it as a setting used (for file lists and the like).
  [[nodiscard]] std::optional<std::string> peek(const std::string& key) const {
    auto it = values_.find(key);
    return it == values_.end() ? std::nullopt : std::optional(it->second);
  }

  int get_int(const std::string& key, int fallback) const;
  double get_double(const std::string& key, double fallback) const;
  std::string get_string(const std::string& key, const std::string& fallback) const;
  std::vector<int> get_ints(const std::string& key, const std::vector<int>& fallback) const;
  std::vector<double> get_doubles(const std::string& key, const std::vector<double>& fallback) const;

  // key → value as used (defaults included), sorted by key.
  [[nodiscard]] const std::map<std::string, std::string>& used() const { return used_; }

 private:
  std::map<std::string, std::string> values_;  // raw text: "30", "[30, 90]", "abc"
  mutable std::map<std::string, std::string> used_;
};

}  // namespace koko
