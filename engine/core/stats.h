// Summary statistics used by the player's report, the skew analysis, the benchmarks and the
// tests, so that a "p99" means the same everywhere.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

namespace lockstep {

/// The value at rank round(p × (n − 1)) of the sorted values (p in [0, 1]; 0 for none).
inline double percentile_of_sorted(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0.0;
  return sorted[std::min(sorted.size() - 1, std::size_t(p * double(sorted.size() - 1) + 0.5))];
}

/// The same for values in any order.
inline double percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  return percentile_of_sorted(values, p);
}

}  // namespace lockstep
