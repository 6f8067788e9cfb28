// The one FIFO-with-deadline wait of the strategies (QueueCore: an instance or the permission to
// create one; ContextsCore: a context's place): callers queue in arrival order, each until its
// deadline; what frees up goes to the longest waiter.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>

namespace wisp::detail {

template <typename Grant>
class FifoWait {
 public:
  // With `lock` (the owner's mutex) held: true when nobody waits.
  bool empty() const { return waiters_.empty(); }

  // With `lock` held: queues the caller last and waits until grant() reaches it (returns what
  // was granted) or `deadline` passes (leaves the queue, returns nullopt). `lock` is held again
  // on return.
  std::optional<Grant> wait(std::unique_lock<std::mutex>& lock,
                            std::chrono::steady_clock::time_point deadline) {
    Waiter w;
    waiters_.push_back(&w);
    if (!w.cv.wait_until(lock, deadline, [&] { return w.grant.has_value(); })) {
      waiters_.erase(std::find(waiters_.begin(), waiters_.end(), &w));
      return std::nullopt;
    }
    return std::move(w.grant);
  }

  // With `lock` held and someone waiting (!empty()): hands `g` to the longest waiter.
  void grant(Grant g) {
    Waiter* w = waiters_.front();
    waiters_.pop_front();
    w->grant.emplace(std::move(g));
    w->cv.notify_one();
  }

 private:
  struct Waiter {
    std::condition_variable cv;
    std::optional<Grant> grant;
  };
  std::deque<Waiter*> waiters_;
};

}  // namespace wisp::detail
