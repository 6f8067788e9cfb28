// The Contexts strategy: every lease is a new context (a zeroed region) of one shared instance,
// closed (zeroed) when the lease ends. At most ContextsOptions::max_contexts leases at once;
// waiters beyond that are served in arrival order until their deadline.
#include <array>

#include "share/context_regions.hpp"
#include "share/strategy_core.hpp"
#include "wisp/contexts.hpp"

namespace wisp::detail {

namespace {

class ContextsCore : public StrategyCore {
 public:
  ContextsCore(Template tmpl, Policy policy)
      : StrategyCore(StrategyKind::contexts, tmpl, policy), contexts_(tmpl, policy.contexts) {
    count_created();
  }

  std::unique_ptr<LeaseSlot> take(Clock::time_point deadline) override {
    std::unique_lock lock(mutex_);
    if (leased_ >= policy_.contexts.max_contexts || !waiters_.empty()) {
      Clock::time_point start = Clock::now();
      if (!waiters_.wait(lock, deadline)) {
        lock.unlock();
        count_wait(Clock::now() - start, true);
        throw Unavailable("contexts: all " + std::to_string(policy_.contexts.max_contexts) +
                          " contexts are leased (deadline reached)");
      }
      count_wait(Clock::now() - start, false);  // the place passed on: leased_ counts it
    } else {
      ++leased_;
    }
    lock.unlock();
    auto slot = std::make_unique<LeaseSlot>();
    try {
      slot->context = contexts_.open();
      slot->id = slot->context->ptr();
    } catch (...) {
      note_replacements();
      finish();
      throw;
    }
    note_replacements();
    return slot;
  }

  void give_back(std::unique_ptr<LeaseSlot> slot) override {
    slot->context.reset();  // zeroes the region
    note_replacements();
    finish();
  }

 private:
  struct Place {};  // what a waiter is granted: a leased context's place

  // A lease ended (or never started): its place goes to the longest waiter.
  void finish() {
    std::lock_guard lock(mutex_);
    if (!waiters_.empty()) {
      waiters_.grant(Place{});  // the place passes on: leased_ unchanged
      return;
    }
    --leased_;
  }

  // Each replacement of the shared instance is a discard, with the reason of the trap that lost
  // it (trapped, exited, timed_out, resource_limit), and a create.
  void note_replacements() {
    std::array<uint64_t, kReasons> now;
    {
      std::lock_guard lock(contexts_.impl()->mutex);
      now = contexts_.impl()->replaced_by;
    }
    std::lock_guard lock(seen_mutex_);
    for (size_t r = 0; r < kReasons; ++r) {
      for (; seen_[r] < now[r]; ++seen_[r]) {
        count_discard(static_cast<DiscardReason>(r));
        count_created();
      }
    }
  }

  static constexpr size_t kReasons = static_cast<size_t>(DiscardReason::count_);
  Contexts contexts_;
  std::mutex mutex_;
  FifoWait<Place> waiters_;
  uint32_t leased_ = 0;
  std::mutex seen_mutex_;
  std::array<uint64_t, kReasons> seen_{};
};

}  // namespace

std::shared_ptr<StrategyCore> make_contexts_core(Template tmpl, Policy policy) {
  return std::make_shared<ContextsCore>(std::move(tmpl), std::move(policy));
}

}  // namespace wisp::detail
