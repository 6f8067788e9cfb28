// The one FIFO-with-deadline wait of the strategies (QueueCore: an instance or the permission to
// create one; ContextsCore: a context's place): callers queue in arrival order, each until its
// deadline. What frees up is either granted to the longest waiter (a handoff), or left for
// whoever takes it first while the longest waiter is woken to try (wake_front: see QueueCore for
// when each is used).
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

  // The same, but each time wake_front() wakes the caller it calls try_take() (with `lock` held;
  // returns std::optional<Grant>): a value ends the wait, nullopt (someone else was first) waits
  // again, still first in line.
  template <typename TryTake>
  std::optional<Grant> wait(std::unique_lock<std::mutex>& lock,
                            std::chrono::steady_clock::time_point deadline, TryTake try_take) {
    Waiter w;
    w.since = std::chrono::steady_clock::now();
    waiters_.push_back(&w);
    for (;;) {
      bool signalled =
          w.cv.wait_until(lock, deadline, [&] { return w.grant.has_value() || w.woken; });
      if (w.grant) return std::move(w.grant);
      if (signalled) {
        w.woken = false;
        if (std::optional<Grant> g = try_take()) {
          waiters_.erase(std::find(waiters_.begin(), waiters_.end(), &w));
          return g;
        }
        continue;
      }
      waiters_.erase(std::find(waiters_.begin(), waiters_.end(), &w));
      return std::nullopt;
    }
  }

  // With `lock` held and someone waiting (!empty()): hands `g` to the longest waiter.
  void grant(Grant g) {
    Waiter* w = waiters_.front();
    waiters_.pop_front();
    w->grant.emplace(std::move(g));
    w->cv.notify_one();
  }

  // With `lock` held and someone waiting: wakes the longest waiter to call its try_take(),
  // unless it is woken already and has not run yet (no second system call for it).
  void wake_front() {
    Waiter* w = waiters_.front();
    if (w->woken) return;
    w->woken = true;
    w->cv.notify_one();
  }

  // With `lock` held and someone waiting: when the longest waiter began to wait.
  std::chrono::steady_clock::time_point front_since() const { return waiters_.front()->since; }

 private:
  struct Waiter {
    std::condition_variable cv;
    std::optional<Grant> grant;
    bool woken = false;
    std::chrono::steady_clock::time_point since;
  };
  std::deque<Waiter*> waiters_;
};

}  // namespace wisp::detail
