// `wisp bench`'s "state carried over" column: a measurement, not a label. Two leases of a fresh
// strategy, one after the other on one thread, each make the benchmarked call; what the second
// lease finds tells whether the first lease's writes carried over.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "wisp/strategy.hpp"

namespace wisp::cli {

// What the probe saw, as the table prints it:
//   "yes (lease 2 saw lease 1's writes)"  the instance state at lease 2's start is what lease 1
//                                          left (memory, exported globals)
//   "yes (results 1, then 2)"              the second call answered differently (state the
//                                          probe cannot see directly: a non-exported global, or
//                                          under contexts anything outside the region)
//   "no (lease 2 started clean)"           lease 1 wrote, lease 2 started from the initial state
//   "no (same results, region zeroed)"     contexts: same answers, each lease a zeroed region
//   "no (same results, no write seen)"     same answers, and no change to memory or exported
//                                          globals (a stateless call, or state kept elsewhere
//                                          that a new lease does not see)
//   "partly (...)"                         lease 2 started neither clean nor where lease 1 left
//   "unknown (...)"                        a probe call failed
// Under contexts, `args` excludes the context pointer (the lease passes it first).
std::string bench_probe_state(StrategyKind kind, const Template& tmpl, const Policy& policy,
                              std::string_view export_name, std::span<const Value> args);

}  // namespace wisp::cli
