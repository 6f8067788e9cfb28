// The Contexts strategy: every lease is a new context (a zeroed region) of one shared instance,
// closed (zeroed) when the lease ends. At most ContextsOptions::max_contexts leases at once;
// waiters beyond that are served in arrival order until their deadline.
#include <condition_variable>
#include <deque>

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
      Waiter me;
      waiters_.push_back(&me);
      bool got = me.cv.wait_until(lock, deadline, [&] { return me.granted; });
      if (!got) {
        std::erase(waiters_, &me);
        lock.unlock();
        count_wait(Clock::now() - start, true);
        throw Unavailable("contexts: all " + std::to_string(policy_.contexts.max_contexts) +
                          " contexts are leased (deadline reached)");
      }
      count_wait(Clock::now() - start, false);
    }
    ++leased_;
    lock.unlock();
    auto slot = std::make_unique<LeaseSlot>();
    try {
      slot->context = contexts_.open();
    } catch (...) {
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
  struct Waiter {
    std::condition_variable cv;
    bool granted = false;
  };

  // A lease ended (or never started): its place goes to the longest waiter.
  void finish() {
    std::lock_guard lock(mutex_);
    if (!waiters_.empty()) {
      Waiter* w = waiters_.front();
      waiters_.pop_front();
      w->granted = true;
      w->cv.notify_one();
      return;  // the place passes on: leased_ unchanged
    }
    --leased_;
  }

  // Traps replace the shared instance: count each as a discard and a create.
  void note_replacements() {
    uint64_t now = contexts_.replacements();
    uint64_t seen = seen_replacements_.exchange(now);
    for (uint64_t i = seen; i < now; ++i) {
      count_discard(DiscardReason::trapped);
      count_created();
    }
  }

  Contexts contexts_;
  std::mutex mutex_;
  std::deque<Waiter*> waiters_;
  uint32_t leased_ = 0;
  std::atomic<uint64_t> seen_replacements_{0};
};

}  // namespace

std::shared_ptr<StrategyCore> make_contexts_core(Template tmpl, Policy policy) {
  return std::make_shared<ContextsCore>(std::move(tmpl), std::move(policy));
}

}  // namespace wisp::detail
