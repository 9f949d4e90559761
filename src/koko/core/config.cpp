#include "koko/core/config.hpp"

#include <fmt/format.h>

#include <sstream>
#include <toml++/toml.h>

#include "koko/core/error.hpp"

namespace koko {

namespace {
void flatten(const toml::table& t, const std::string& prefix, std::map<std::string, std::string>& out) {
  for (const auto& [k, v] : t) {
    const std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    if (const auto* sub = v.as_table()) {
      flatten(*sub, key, out);
    } else if (const auto* s = v.as_string()) {
      out[key] = s->get();
    } else {
      std::ostringstream os;
      os << toml::toml_formatter(v);
      out[key] = os.str();
      if (v.is_array()) {
        // toml_formatter prints arrays as "[ 1, 2 ]"; normalise to "[1, 2]".
        std::string& text = out[key];
        if (text.starts_with("[ ")) text.erase(1, 1);
        if (text.ends_with(" ]")) text.erase(text.size() - 2, 1);
      }
    }
  }
}

template <typename T>
std::vector<T> parse_list(const std::string& key, const std::string& text) {
  std::string s = text;
  if (s.starts_with("[")) s = s.substr(1);
  if (s.ends_with("]")) s.pop_back();
  std::vector<T> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.find_first_not_of(' ') == std::string::npos) continue;
    try {
      if constexpr (std::is_same_v<T, int>) out.push_back(std::stoi(item));
      else out.push_back(std::stod(item));
    } catch (const std::exception&) {
      throw Error(ErrorCode::usage, fmt::format("setting {} = {}: '{}' is not a number", key, text, item), {},
                  "fix the value in koko.toml");
    }
  }
  return out;
}
}  // namespace

Config Config::load(const std::filesystem::path& file) {
  Config c;
  try {
    flatten(toml::parse_file(file.string()), "", c.values_);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    throw Error(ErrorCode::usage, fmt::format("invalid settings file: {}", e.description()),
                fmt::format("{}:{}:{}", file.string(), b.line, b.column), "see docs/configuration.md");
  }
  return c;
}

std::string Config::get_string(const std::string& key, const std::string& fallback) const {
  auto it = values_.find(key);
  const std::string v = it == values_.end() ? fallback : it->second;
  used_[key] = v;
  return v;
}

int Config::get_int(const std::string& key, int fallback) const {
  const std::string v = get_string(key, std::to_string(fallback));
  try {
    size_t pos = 0;
    const int r = std::stoi(v, &pos);
    if (pos == v.size()) return r;
  } catch (const std::exception&) {
  }
  throw Error(ErrorCode::usage, fmt::format("setting {} = {} is not a whole number", key, v), {},
              "fix the value in koko.toml");
}

double Config::get_double(const std::string& key, double fallback) const {
  const std::string v = get_string(key, fmt::format("{}", fallback));
  try {
    size_t pos = 0;
    const double r = std::stod(v, &pos);
    if (pos == v.size()) return r;
  } catch (const std::exception&) {
  }
  throw Error(ErrorCode::usage, fmt::format("setting {} = {} is not a number", key, v), {},
              "fix the value in koko.toml");
}

std::vector<int> Config::get_ints(const std::string& key, const std::vector<int>& fallback) const {
  const std::string v = get_string(key, fmt::format("[{}]", fmt::join(fallback, ", ")));
  return parse_list<int>(key, v);
}

std::vector<double> Config::get_doubles(const std::string& key, const std::vector<double>& fallback) const {
  const std::string v = get_string(key, fmt::format("[{}]", fmt::join(fallback, ", ")));
  return parse_list<double>(key, v);
}

}  // namespace koko
