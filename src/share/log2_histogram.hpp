// Log2 histograms of durations in nanoseconds (bucket i counts [2^i, 2^(i+1)) ns): the bucket of
// a duration and a quantile's upper bound. Used by strategy and route statistics.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <span>

namespace wisp::detail {

inline size_t log2_bucket(uint64_t ns, size_t buckets) {
  return std::min<size_t>(std::bit_width(std::max<uint64_t>(ns, 1)) - 1, buckets - 1);
}

// The q-quantile (0..1) as the upper bound of the bucket holding it, in ns (0 if empty).
inline double log2_quantile(std::span<const uint64_t> histogram, double q) {
  uint64_t total = 0;
  for (uint64_t c : histogram) total += c;
  if (total == 0) return 0;
  uint64_t want = static_cast<uint64_t>(q * static_cast<double>(total - 1)) + 1;
  uint64_t seen = 0;
  for (size_t i = 0; i < histogram.size(); ++i) {
    seen += histogram[i];
    if (seen >= want) return static_cast<double>(uint64_t{2} << i);
  }
  return 0;
}

}  // namespace wisp::detail
