// PerThread: one instance per calling thread, parked in thread-local storage between leases
// (no lock, no waiting). A parked instance is freed by whichever ends first: its thread (at exit)
// or its strategy (when the last reference to it goes).
#include <atomic>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "share/strategy_core.hpp"

namespace wisp::detail {

namespace {

std::atomic<uint64_t> g_next_id{1};

// One thread's parked instance of one strategy, shared by the thread's map and the strategy's
// registry; exchanging the pointer decides which side frees the instance.
struct Cell {
  std::atomic<LeaseSlot*> slot{nullptr};
  ~Cell() { delete slot.exchange(nullptr); }
};

struct Parked {
  std::weak_ptr<StrategyCore> core;
  std::shared_ptr<Cell> cell;
  Parked() = default;
  Parked(Parked&&) = default;
  ~Parked() {
    if (!cell) return;
    if (LeaseSlot* s = cell->slot.exchange(nullptr)) {
      delete s;
      if (auto c = core.lock()) c->count_destroyed();
    }
  }
};

thread_local std::unordered_map<uint64_t, Parked> tl_parked;

class PerThreadCore : public StrategyCore {
 public:
  PerThreadCore(Template tmpl, Policy policy)
      : StrategyCore(StrategyKind::per_thread, std::move(tmpl), policy) {}

  // No lease is out and no thread can reach this strategy any more: every parked instance goes.
  ~PerThreadCore() override {
    std::lock_guard lock(cells_mutex_);
    for (const auto& cell : cells_) delete cell->slot.exchange(nullptr);
  }

  std::unique_ptr<LeaseSlot> take(Clock::time_point) override {
    auto it = tl_parked.find(id_);
    if (it != tl_parked.end()) {
      if (LeaseSlot* s = it->second.cell->slot.exchange(nullptr))
        return std::unique_ptr<LeaseSlot>(s);
    }
    return create();
  }

  void give_back(std::unique_ptr<LeaseSlot> slot) override {
    slot = settle(std::move(slot));
    if (!slot) return;
    auto it = tl_parked.find(id_);
    if (it == tl_parked.end()) it = park_here();
    if (LeaseSlot* old = it->second.cell->slot.exchange(slot.release())) {
      // this thread already parked one (nested leases): keep just one
      delete old;
      count_destroyed();
    }
  }

 private:
  // This thread's first lease of this strategy: a cell in the thread's map and in the registry.
  // Entries of strategies that are gone are dropped from the thread's map on the way.
  std::unordered_map<uint64_t, Parked>::iterator park_here() {
    std::erase_if(tl_parked, [](const auto& e) { return e.second.core.expired(); });
    Parked p;
    p.core = weak_from_this();
    p.cell = std::make_shared<Cell>();
    {
      std::lock_guard lock(cells_mutex_);
      // Cells only the registry still holds belong to threads that have exited.
      std::erase_if(cells_, [](const std::shared_ptr<Cell>& c) { return c.use_count() == 1; });
      cells_.push_back(p.cell);
    }
    return tl_parked.emplace(id_, std::move(p)).first;
  }

  const uint64_t id_ = g_next_id.fetch_add(1);
  std::mutex cells_mutex_;
  std::vector<std::shared_ptr<Cell>> cells_;
};

}  // namespace

std::shared_ptr<StrategyCore> make_per_thread_core(Template tmpl, Policy policy) {
  return std::make_shared<PerThreadCore>(std::move(tmpl), policy);
}

}  // namespace wisp::detail
