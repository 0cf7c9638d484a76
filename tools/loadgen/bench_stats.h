// Figures shared by the benchmark tools.
#ifndef SUNLIGHT_TOOLS_LOADGEN_BENCH_STATS_H_
#define SUNLIGHT_TOOLS_LOADGEN_BENCH_STATS_H_

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace sunlight::bench {

// The q-quantile (0..1) of `values` by the nearest rank below; 0 for no values. Reorders them.
inline double Percentile(std::vector<double>& values, double q) {
  if (values.empty()) return 0;
  size_t index = static_cast<size_t>(q * static_cast<double>(values.size() - 1));
  std::nth_element(values.begin(), values.begin() + static_cast<long>(index), values.end());
  return values[index];
}

// The measured window of a closed loop whose client `threads` are running: after `warmup`,
// `measuring` is true for `duration`; then `stop` is set and the threads joined. Returns the
// seconds measured.
inline double RunWindow(absl::Duration warmup, absl::Duration duration,
                        std::atomic<bool>& measuring, std::atomic<bool>& stop,
                        std::vector<std::thread>& threads) {
  std::this_thread::sleep_for(absl::ToChronoNanoseconds(warmup));
  measuring = true;
  absl::Time started = absl::Now();
  std::this_thread::sleep_for(absl::ToChronoNanoseconds(duration));
  measuring = false;
  double seconds = absl::ToDoubleSeconds(absl::Now() - started);
  stop = true;
  for (auto& t : threads) t.join();
  return seconds;
}

// Every client's figures in one list.
inline std::vector<double> Merged(const std::vector<std::vector<double>>& per_client) {
  std::vector<double> all;
  for (const auto& l : per_client) all.insert(all.end(), l.begin(), l.end());
  return all;
}

}  // namespace sunlight::bench

#endif  // SUNLIGHT_TOOLS_LOADGEN_BENCH_STATS_H_
