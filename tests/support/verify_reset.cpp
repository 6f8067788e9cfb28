// Reset verification (SnapshotOptions::verify_reset: every reset compares memory, globals and
// tables with the snapshot, and throws on a difference) is on for every template of the unit
// tests, as if WISP_VERIFY_RESET=1 were set, unless the environment sets it already (=0 turns
// it off). Strategies count a failed reset as a discard (reset_failed): tests check that count
// with support/strategy_check.hpp.
#include <cstdlib>

namespace {
[[maybe_unused]] const bool kVerifyResetInTests = [] {
  setenv("WISP_VERIFY_RESET", "1", /*overwrite=*/0);
  return true;
}();
}  // namespace
