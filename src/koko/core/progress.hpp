#pragma once
// A progress bar with rate and ETA on a terminal (stderr); silent when stderr is not a terminal or --quiet.
#include <chrono>
#include <cstdint>
#include <string>

namespace koko {

enum class Verbosity { quiet, normal, verbose };
Verbosity verbosity();
void set_verbosity(Verbosity v);

// Messages for people on stderr: info is hidden by --quiet, detail shown only with --verbose.
void info(const std::string& line);
void detail(const std::string& line);
void warn(const std::string& line);

class Progress {
 public:
  // total and done are in `unit`s of work (e.g. bytes); rows are shown beside them.
  explicit Progress(std::string label, uint64_t total);
  ~Progress();
  void update(uint64_t done, uint64_t rows = 0);
  void finish();
  [[nodiscard]] bool enabled() const { return enabled_; }

 private:
  std::string label_;
  uint64_t total_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace koko
