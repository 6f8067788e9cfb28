// The one FIFO-with-deadline wait of the strategies (QueueCore: an instance or the permission to
// create one; ContextsCore: a context's place): callers queue in arrival order, each until its
// deadline. What frees up is either granted to the longest waiter (a handoff), or offered: left
// for whoever takes it first (see QueueCore for when each is used).
//
// Under contention (QueueCore's wait with try_take) the rule is turns of a fixed length: the
// caller first in line starts a timer of its own when it gets there. Until it expires the
// thread that holds the thing may give it back and take it again at will (a thread leasing in
// a loop keeps its CPU's caches and pays no wake-up); when it expires the first in line is
// "overdue" and the next release grants the thing to it. Meanwhile:
//  - the first in line is woken once to try for what is offered (a holder that has stopped
//    leases leaves it free), and if the holder has taken it again it parks: later offers do not
//    wake it (each wake is a system call by the holder and cache lines pulled to another CPU),
//    it looks again after kParkedPoll, then after twice as long each time (each look is a
//    timer interrupt, on a VM often on the holder's CPU), and takes the thing only if nothing
//    was offered since its last look (the holder has stopped: the thing stays idle at most two
//    looks, and never past the turn);
//  - when its timer expires it spins for up to kSpinForGrant, awake, so that the grant costs
//    no wake-up (on a VM a sleeping thread takes tens of microseconds to run again: with a
//    handoff per turn that was the dead time of the whole queue);
//  - leaving the line (granted or having taken it), it wakes the next in line to start its
//    timer, from its own thread: the holder's releases make no system call for it. The next in
//    line parks at once (the thing has just been taken).
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

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

  // The same under the turns described at the top: try_take() (called with `lock` held; returns
  // std::optional<Grant>) takes what was offered, nullopt when someone else was first; `turn` is
  // the time the holder keeps the thing once the caller is first in line.
  template <typename TryTake>
  std::optional<Grant> wait(std::unique_lock<std::mutex>& lock,
                            std::chrono::steady_clock::time_point deadline, TryTake try_take,
                            std::chrono::steady_clock::duration turn) {
    using Clock = std::chrono::steady_clock;
    Waiter w;
    waiters_.push_back(&w);
    if (waiters_.front() == &w) w.overdue_at = Clock::now() + turn;
    auto leave = [&] {
      waiters_.erase(std::find(waiters_.begin(), waiters_.end(), &w));
      wake_new_front();
    };
    uint64_t offers_seen = 0;
    Clock::duration poll_every = kParkedPoll;
    for (;;) {
      enum class Wake { deadline, overdue, poll } why = Wake::deadline;
      Clock::time_point until = deadline;
      if (!w.overdue && w.overdue_at && *w.overdue_at < until) {
        until = *w.overdue_at;
        why = Wake::overdue;
      }
      if (w.parked && !w.overdue) {
        Clock::time_point poll_at = Clock::now() + poll_every;
        if (poll_at < until) {
          until = poll_at;
          why = Wake::poll;
        }
      }
      bool signalled = w.cv.wait_until(lock, until, [&] { return w.grant.has_value() || w.woken; });
      if (w.grant) {
        wake_new_front();
        return std::move(w.grant);
      }
      if (signalled) {
        w.woken = false;
        if (!w.overdue_at) {
          // First in line now, because the one before took the thing: it is in use, so the
          // caller parks at once (trying now would only take it from its new holder between
          // two of its leases, and hand the line a wake-up per lease).
          w.overdue_at = Clock::now() + turn;
          w.parked = true;
          offers_seen = offers_;
          continue;
        }
      } else if (why == Wake::deadline) {
        leave();
        return std::nullopt;
      } else if (why == Wake::poll && offers_ != offers_seen) {
        offers_seen = offers_;  // the holder still leases: leave it the thing
        poll_every *= 2;
        continue;
      }
      if (std::optional<Grant> g = try_take()) {
        leave();
        return g;
      }
      w.parked = true;
      offers_seen = offers_;
      if (why == Wake::poll) poll_every *= 2;  // held through a long call
      if (why == Wake::overdue && !signalled) {
        w.overdue = true;  // the next release grants to us: wait for it awake, briefly
        if (spin_for_grant(lock, w)) {
          wake_new_front();
          return std::move(w.grant);
        }
      }
    }
  }

  // With `lock` held and someone waiting (!empty()): hands `g` to the longest waiter.
  void grant(Grant g) {
    Waiter* w = waiters_.front();
    waiters_.pop_front();
    w->grant.emplace(std::move(g));
    w->granted.store(true, std::memory_order_release);
    w->cv.notify_one();  // no system call when it spins (it is not waiting on the variable)
  }

  // With `lock` held and someone waiting: something was offered. Wakes the longest waiter to
  // try for it unless it is woken already and has not run yet, or parked (it polls) and not
  // `wake_parked` (the owner knows the thing is not being taken again: another lies idle).
  void offer(bool wake_parked = false) {
    ++offers_;
    Waiter* w = waiters_.front();
    if (w->woken || (w->parked && !wake_parked)) return;
    w->woken = true;
    w->cv.notify_one();
  }

  // With `lock` held and someone waiting: whether the longest waiter's turn timer has expired
  // (once its thread has run after it: a waiter not yet scheduled again could not use a grant
  // sooner anyway).
  bool front_overdue() const { return waiters_.front()->overdue; }

 private:
  struct Waiter {
    std::condition_variable cv;
    std::optional<Grant> grant;
    std::atomic<bool> granted{false};  // grant is set: read without the lock while spinning
    bool woken = false;
    bool overdue = false;
    bool parked = false;  // tried after an offer and found the thing taken: polls instead
    std::optional<std::chrono::steady_clock::time_point> overdue_at;  // set once first in line
  };

  // The new first in line (if it has not started its turn timer) is woken to start it.
  void wake_new_front() {
    if (waiters_.empty()) return;
    Waiter* f = waiters_.front();
    if (f->overdue_at || f->woken) return;
    f->woken = true;
    f->cv.notify_one();
  }

  // With `lock` held: releases it and spins until `w` is granted or kSpinForGrant passes (only
  // with another CPU to spin on), then takes it again. True when granted.
  static bool spin_for_grant(std::unique_lock<std::mutex>& lock, Waiter& w) {
    static const bool spin = std::thread::hardware_concurrency() > 1;
    if (!spin) return false;
    lock.unlock();
    const auto end = std::chrono::steady_clock::now() + kSpinForGrant;
    for (unsigned i = 1; !w.granted.load(std::memory_order_acquire); ++i) {
      cpu_relax();
      if (i % 64 == 0 && std::chrono::steady_clock::now() > end) break;
    }
    lock.lock();
    return w.grant.has_value();
  }

  static void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
  }

  static constexpr std::chrono::microseconds kParkedPoll{100};
  static constexpr std::chrono::microseconds kSpinForGrant{50};
  std::deque<Waiter*> waiters_;
  uint64_t offers_ = 0;
};

}  // namespace wisp::detail
