#pragma once
// Indices shared out to threads through one counter: the loop every parallel pass in koko runs.
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace koko {

// Runs worker(t, next) on `threads` threads, t = 0 on the calling thread (so per-thread state such as a tokeniser
// can be picked by t). A worker takes the indices below n with `for (size_t i; next(i);)`, each index going to one
// worker. The first exception stops every worker from taking more, and is rethrown once all have finished.
template <typename Worker>
void parallel_indices(size_t n, unsigned threads, Worker&& worker) {
  std::atomic<size_t> counter{0};
  std::exception_ptr failure;
  std::mutex m;
  const auto next = [&](size_t& i) {
    i = counter.fetch_add(1);
    return i < n;
  };
  const auto run = [&](unsigned t) {
    try {
      worker(t, next);
    } catch (...) {
      const std::lock_guard lock(m);
      if (!failure) failure = std::current_exception();
      counter = n;
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < std::max(threads, 1u); ++t) pool.emplace_back(run, t);
  run(0);
  for (auto& th : pool) th.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace koko
