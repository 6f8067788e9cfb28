// Threads: memory.atomic.wait32/wait64 and memory.atomic.notify. Waiters wait on a condition
// variable of their own, queued by address in one of 64 buckets (hash of the address), each a
// mutex and a FIFO list: a waiter compares the word under its bucket's lock before it queues, and
// notify takes the same lock, so no wake-up is lost between the comparison and the wait (the
// notifier's store comes before its notify). Both widths share the scheme (the address is the
// key: a wait32 and a wait64 on one address are woken by the same notify, as the spec has it).
// A waiter sleeps in slices of at most 10 ms and checks between them whether its guest call was
// interrupted (InterruptHandle) or passed its deadline (call timeout): then it leaves the queue
// and the call ends with Trap(timeout).
#include "runtime/atomic_wait.hpp"

#include <array>
#include <chrono>
#include <condition_variable>
#include <list>
#include <mutex>

#include "runtime/call_boundary.hpp"
#include "runtime/watchdog.hpp"

namespace wisp::rt {

namespace {

struct Waiter {
  void* addr = nullptr;
  bool woken = false;
  std::condition_variable cv;
};

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
  const bool forever = timeout_ns < 0;
  const Clock::time_point until =
      forever ? Clock::time_point::max() : Clock::now() + std::chrono::nanoseconds(timeout_ns);
  Bucket& b = bucket_of(p);
  std::unique_lock lock(b.mutex);
  uint64_t now = size == 8 ? __atomic_load_n(static_cast<uint64_t*>(p), __ATOMIC_SEQ_CST)
                           : __atomic_load_n(static_cast<uint32_t*>(p), __ATOMIC_SEQ_CST);
  if (now != expected) return kNotEqual;
  Waiter w;
  w.addr = p;
  auto it = b.waiters.insert(b.waiters.end(), &w);
  uint32_t result = kTimedOut;
  for (;;) {
    if (w.woken) return kWoken;  // notify took it off the queue
    if (call_interrupted()) {
      result = kInterrupted;
      break;
    }
    Clock::time_point t = Clock::now();
    if (t >= until) break;
    Clock::time_point slice_end = until - t > kSlice ? t + kSlice : until;
    w.cv.wait_until(lock, slice_end);
  }
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
  std::lock_guard lock(b.mutex);
  uint32_t woken = 0;
  for (auto it = b.waiters.begin(); it != b.waiters.end() && woken < count;) {
    Waiter* w = *it;
    if (w->addr != p) {
      ++it;
      continue;
    }
    it = b.waiters.erase(it);
    w->woken = true;
    w->cv.notify_one();
    ++woken;
  }
  return woken;
}

}  // namespace wisp::rt
