// Threads: memory.atomic.wait32/wait64 and memory.atomic.notify. Waiters are queued by address
// in one of 64 buckets (hash of the address), each a mutex and a FIFO list: a waiter compares the
// word under its bucket's lock before it queues, and notify takes the same lock, so no wake-up
// is lost between the comparison and the wait (the notifier's store comes before its notify).
// Both widths share the scheme (the address is the key: a wait32 and a wait64 on one address are
// woken by the same notify, as the spec has it). Each waiter sleeps on a futex word of its own:
// notify marks the waiters it takes off the queue under the lock and wakes them after releasing
// it (one FUTEX_WAKE each, so a woken thread does not run into the notifier's lock). A waiter
// sleeps in slices of at most 10 ms and checks between them whether its guest call was
// interrupted (InterruptHandle) or passed its deadline (call timeout): then it leaves the queue
// and the call ends with Trap(timeout).
#include "runtime/atomic_wait.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <list>
#include <mutex>
#include <vector>

#include "runtime/call_boundary.hpp"
#include "runtime/watchdog.hpp"

namespace wisp::rt {

namespace {

struct Waiter {
  void* addr = nullptr;
  // 0 while queued; 1 once a notify took it off the queue (written under the bucket's lock,
  // after which the notifier only passes its address to FUTEX_WAKE: a stale wake-up of whatever
  // lives there later is harmless, since futex users must tolerate spurious wake-ups).
  std::atomic<uint32_t> woken{0};
};

// Sleeps while `word` holds 0, for at most `ns` (returns early on a wake-up or a signal).
void futex_sleep(std::atomic<uint32_t>* word, int64_t ns) {
  timespec ts{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT_PRIVATE, 0, &ts, nullptr, 0);
}

void futex_wake(std::atomic<uint32_t>* word) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

struct Bucket {
  std::mutex mutex;
  std::list<Waiter*> waiters;  // FIFO
};

std::array<Bucket, 64> g_buckets;

Bucket& bucket_of(void* p) {
  uintptr_t a = reinterpret_cast<uintptr_t>(p);
  return g_buckets[(a >> 2 ^ a >> 8 ^ a >> 14) % g_buckets.size()];
}

bool call_interrupted() {
  CallFrame* f = tls_frame;
  if (f != nullptr && f->interrupt != nullptr &&
      f->interrupt->requested.load(std::memory_order_acquire) == f->call_id)
    return true;
  return call_deadline_passed();
}

constexpr uint32_t kWoken = 0, kNotEqual = 1, kTimedOut = 2, kInterrupted = 3;
constexpr auto kSlice = std::chrono::milliseconds(10);

uint32_t wait_in_host(void* p, uint64_t expected, int64_t timeout_ns, uint32_t size) {
  using Clock = std::chrono::steady_clock;
  // Negative: no timeout; one past what the clock can reach (near INT64_MAX ns) is none either.
  const Clock::time_point start = Clock::now();
  const bool forever =
      timeout_ns < 0 || std::chrono::nanoseconds(timeout_ns) >= Clock::time_point::max() - start;
  const Clock::time_point until =
      forever ? Clock::time_point::max() : start + std::chrono::nanoseconds(timeout_ns);
  Bucket& b = bucket_of(p);
  std::unique_lock lock(b.mutex);
  uint64_t now = size == 8 ? __atomic_load_n(static_cast<uint64_t*>(p), __ATOMIC_SEQ_CST)
                           : __atomic_load_n(static_cast<uint32_t*>(p), __ATOMIC_SEQ_CST);
  if (now != expected) return kNotEqual;
  Waiter w;
  w.addr = p;
  auto it = b.waiters.insert(b.waiters.end(), &w);
  lock.unlock();
  uint32_t result = kTimedOut;
  for (;;) {
    if (w.woken.load(std::memory_order_acquire)) return kWoken;  // notify dequeued it
    if (call_interrupted()) {
      result = kInterrupted;
      break;
    }
    Clock::time_point t = Clock::now();
    if (t >= until) break;
    Clock::time_point slice_end = until - t > kSlice ? t + kSlice : until;
    futex_sleep(&w.woken,
                std::chrono::duration_cast<std::chrono::nanoseconds>(slice_end - t).count());
  }
  lock.lock();
  if (w.woken.load(std::memory_order_acquire)) return kWoken;  // notified meanwhile: dequeued
  b.waiters.erase(it);
  return result;
}

}  // namespace

uint32_t atomic_wait(void* p, uint64_t expected, int64_t timeout_ns, uint32_t size) {
  uint32_t r;
  {
    InHostScope in_runtime;  // the watchdog's signal must not unwind out of the lock
    r = wait_in_host(p, expected, timeout_ns, size);
  }
  if (r == kInterrupted) trap_if_interrupted("memory.atomic.wait");
  return r == kInterrupted ? kTimedOut : r;
}

uint32_t atomic_notify(void* p, uint32_t count) {
  InHostScope in_runtime;
  Bucket& b = bucket_of(p);
  std::array<std::atomic<uint32_t>*, 8> few;
  std::vector<std::atomic<uint32_t>*> many;
  uint32_t woken = 0;
  {
    std::lock_guard lock(b.mutex);
    for (auto it = b.waiters.begin(); it != b.waiters.end() && woken < count;) {
      Waiter* w = *it;
      if (w->addr != p) {
        ++it;
        continue;
      }
      it = b.waiters.erase(it);
      w->woken.store(1, std::memory_order_release);
      if (woken < few.size()) {
        few[woken] = &w->woken;
      } else {
        many.push_back(&w->woken);
      }
      ++woken;
    }
  }
  for (uint32_t i = 0; i < woken && i < few.size(); ++i) futex_wake(few[i]);
  for (std::atomic<uint32_t>* word : many) futex_wake(word);
  return woken;
}

}  // namespace wisp::rt
