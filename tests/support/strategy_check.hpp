// Test support: strategies that check, when they are destroyed, that no reset failed. Reset
// verification is on in the unit tests (support/verify_reset.cpp), and a strategy turns a failed
// reset into a discard (DiscardReason::reset_failed) rather than an error anyone sees: a test
// that makes its strategies with checked_strategy() fails if state ever survived a reset.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "wisp/wisp.hpp"

namespace wisp::test {

struct ExpectNoFailedReset {
  void operator()(Strategy* s) const {
    StrategyStats st = s->stats();
    EXPECT_EQ(st.discards[static_cast<size_t>(DiscardReason::reset_failed)], 0u)
        << strategy_kind_name(s->kind()) << ": a reset failed: " << st.last_reset_error;
    delete s;
  }
};
using CheckedStrategy = std::unique_ptr<Strategy, ExpectNoFailedReset>;

inline CheckedStrategy checked_strategy(StrategyKind kind, Template tmpl, Policy policy = {}) {
  return CheckedStrategy(make_strategy(kind, std::move(tmpl), policy).release());
}

}  // namespace wisp::test
