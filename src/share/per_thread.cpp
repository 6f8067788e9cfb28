// PerThread: one instance per calling thread, parked in thread-local storage between leases
// (no lock, no waiting). A thread's instance lives until the thread exits.
#include <atomic>
#include <unordered_map>

#include "share/strategy_core.hpp"

namespace wisp::detail {

namespace {

std::atomic<uint64_t> g_next_id{1};

struct Parked {
  std::weak_ptr<StrategyCore> core;
  std::unique_ptr<LeaseSlot> slot;
  Parked() = default;
  Parked(Parked&&) = default;
  ~Parked() {
    if (!slot) return;
    slot.reset();
    if (auto c = core.lock()) c->count_destroyed();
  }
};

thread_local std::unordered_map<uint64_t, Parked> tl_parked;

class PerThreadCore : public StrategyCore {
 public:
  PerThreadCore(Template tmpl, Policy policy)
      : StrategyCore(StrategyKind::per_thread, std::move(tmpl), policy) {}

  std::unique_ptr<LeaseSlot> take(Clock::time_point) override {
    auto it = tl_parked.find(id_);
    if (it != tl_parked.end() && it->second.slot) return std::move(it->second.slot);
    return create();
  }

  void give_back(std::unique_ptr<LeaseSlot> slot) override {
    slot = settle(std::move(slot));
    if (!slot) return;
    Parked& p = tl_parked[id_];
    if (p.slot) {  // this thread already parked one (nested leases): keep just one
      slot.reset();
      count_destroyed();
      return;
    }
    p.core = weak_from_this();
    p.slot = std::move(slot);
  }

 private:
  const uint64_t id_ = g_next_id.fetch_add(1);
};

}  // namespace

std::shared_ptr<StrategyCore> make_per_thread_core(Template tmpl, Policy policy) {
  return std::make_shared<PerThreadCore>(std::move(tmpl), policy);
}

}  // namespace wisp::detail
