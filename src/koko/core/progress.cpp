#include "koko/core/progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace koko {

namespace {
Verbosity g_verbosity = Verbosity::normal;

std::string human(double v) {
  if (v >= 1e9) return fmt::format("{:.1f}G", v / 1e9);
  if (v >= 1e6) return fmt::format("{:.1f}M", v / 1e6);
  if (v >= 1e3) return fmt::format("{:.1f}k", v / 1e3);
  return fmt::format("{:.0f}", v);
}
}  // namespace

Verbosity verbosity() { return g_verbosity; }
void set_verbosity(Verbosity v) { g_verbosity = v; }

void info(const std::string& line) {
  if (g_verbosity != Verbosity::quiet) fmt::print(stderr, "{}\n", line);
}
void detail(const std::string& line) {
  if (g_verbosity == Verbosity::verbose) fmt::print(stderr, "{}\n", line);
}
void warn(const std::string& line) {
  if (g_verbosity != Verbosity::quiet) fmt::print(stderr, "warning: {}\n", line);
}

Progress::Progress(std::string label, uint64_t total)
    : label_(std::move(label)),
      total_(total),
      enabled_(g_verbosity != Verbosity::quiet && isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

Progress::~Progress() { finish(); }

void Progress::update(uint64_t done, uint64_t rows) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  drawn_ = true;
  const double secs = std::chrono::duration<double>(now - start_).count();
  const double frac = total_ ? std::min(1.0, static_cast<double>(done) / static_cast<double>(total_)) : 0.0;
  const int width = 24;
  const int filled = static_cast<int>(frac * width);
  std::string bar(static_cast<size_t>(filled), '#');
  bar.append(static_cast<size_t>(width - filled), ' ');
  const double rate = secs > 0 ? static_cast<double>(rows) / secs : 0;
  const double eta = frac > 0.01 ? secs * (1 - frac) / frac : 0;
  fmt::print(stderr, "\r{} [{}] {:3.0f}%  {} rows  {} rows/s  ETA {:.0f}s   ", label_, bar, frac * 100,
             human(static_cast<double>(rows)), human(rate), eta);
  std::fflush(stderr);
}

void Progress::finish() {
  if (enabled_ && drawn_) {
    fmt::print(stderr, "\r{:80}\r", "");
    std::fflush(stderr);
  }
  drawn_ = false;
  enabled_ = false;
}

}  // namespace koko
