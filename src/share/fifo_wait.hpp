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
  // again, still first in line. At `overdue_at` the caller marks itself overdue (front_overdue())
  // and, when first in line, tries once more: a timer of the caller's own, so that callers that
  // do not wait read no clock to tell whether the longest waiter has waited too long.
  template <typename TryTake>
  std::optional<Grant> wait(std::unique_lock<std::mutex>& lock,
                            std::chrono::steady_clock::time_point deadline, TryTake try_take,
                            std::chrono::steady_clock::time_point overdue_at) {
    Waiter w;
    waiters_.push_back(&w);
    auto leave = [&] { waiters_.erase(std::find(waiters_.begin(), waiters_.end(), &w)); };
    for (;;) {
      const bool timed = !w.overdue && overdue_at < deadline;
      bool signalled = w.cv.wait_until(lock, timed ? overdue_at : deadline,
                                       [&] { return w.grant.has_value() || w.woken; });
      if (w.grant) return std::move(w.grant);
      if (!signalled && !timed) {
        leave();
        return std::nullopt;
      }
      if (signalled) {
        w.woken = false;
      } else {
        w.overdue = true;
        if (waiters_.front() != &w) continue;  // not ahead of those who came first
      }
      if (std::optional<Grant> g = try_take()) {
        leave();
        return g;
      }
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

  // With `lock` held and someone waiting: whether the longest waiter has passed its
  // `overdue_at` (once its thread has run after its timer: a waiter not yet scheduled again
  // could not use a grant sooner anyway).
  bool front_overdue() const { return waiters_.front()->overdue; }

 private:
  struct Waiter {
    std::condition_variable cv;
    std::optional<Grant> grant;
    bool woken = false;
    bool overdue = false;
  };
  std::deque<Waiter*> waiters_;
};

}  // namespace wisp::detail
