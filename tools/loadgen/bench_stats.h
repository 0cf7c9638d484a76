// Figures shared by the benchmark tools.
#ifndef SUNLIGHT_TOOLS_LOADGEN_BENCH_STATS_H_
#define SUNLIGHT_TOOLS_LOADGEN_BENCH_STATS_H_

#include <algorithm>
#include <vector>

namespace sunlight::bench {

// The q-quantile (0..1) of `values` by the nearest rank below; 0 for no values. Reorders them.
inline double Percentile(std::vector<double>& values, double q) {
  if (values.empty()) return 0;
  size_t index = static_cast<size_t>(q * static_cast<double>(values.size() - 1));
  std::nth_element(values.begin(), values.begin() + static_cast<long>(index), values.end());
  return values[index];
}

}  // namespace sunlight::bench

#endif  // SUNLIGHT_TOOLS_LOADGEN_BENCH_STATS_H_
