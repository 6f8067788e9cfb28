// The watchdog thread and the per-thread entries it watches.
#include "runtime/watchdog.hpp"

#include <pthread.h>
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <limits>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace wisp::rt {

namespace {

using Clock = std::chrono::steady_clock;

struct Entry {
  std::mutex mutex;  // held by the watchdog while it interrupts: `state` stays alive
  InterruptState* state = nullptr;
  uint64_t call_id = 0;
  Clock::time_point deadline = Clock::time_point::max();
  bool fired = false;
};

// This thread's entry (null until the thread first arms a call).
thread_local const Entry* tls_entry = nullptr;

class Watchdog {
 public:
  static Watchdog& get() {
    static Watchdog* w = new Watchdog();  // never destroyed: threads may arm during exit
    return *w;
  }
  void add(std::shared_ptr<Entry> e) {
    std::lock_guard lock(mutex_);
    entries_.push_back(std::move(e));
  }
  void remove(const Entry* e) {
    std::lock_guard lock(mutex_);
    std::erase_if(entries_, [&](const std::shared_ptr<Entry>& p) { return p.get() == e; });
  }
  // A call was armed with `deadline`: wake the watchdog only if it would sleep past it (or is
  // rescanning right now, when it may have missed the new entry). Usually no system call.
  void armed(Clock::time_point deadline) {
    if (needs_thread_.load(std::memory_order_acquire)) start_after_fork();
    int64_t wake = next_wake_ns_.load();
    if (wake == kScanning || deadline.time_since_epoch().count() < wake) {
      std::lock_guard lock(mutex_);
      cv_->notify_one();
    }
  }

 private:
  static constexpr int64_t kScanning = 0;
  Watchdog() {
    std::thread([this] { run(); }).detach();
    pthread_atfork([] { get().mutex_.lock(); }, [] { get().mutex_.unlock(); },
                   [] { get().after_fork_in_child(); });
  }

  // fork() copies the watchdog's state but not its thread. In the child (one thread, the one
  // that forked, which holds mutex_ since the prepare handler): keep only that thread's entry,
  // replace the condition variable (the vanished thread was waiting on it), and let the next
  // armed call start a new thread (no thread is started inside the fork handler).
  void after_fork_in_child() {
    const Entry* mine = tls_entry;
    std::erase_if(entries_, [&](const std::shared_ptr<Entry>& p) { return p.get() != mine; });
    (void)cv_.release();  // its state names the parent's waiter: leaked, never used again
    cv_ = std::make_unique<std::condition_variable>();
    next_wake_ns_.store(kScanning);
    needs_thread_.store(true, std::memory_order_release);
    mutex_.unlock();
  }
  void start_after_fork() {
    std::lock_guard lock(mutex_);
    if (!needs_thread_.load(std::memory_order_relaxed)) return;
    needs_thread_.store(false, std::memory_order_release);
    std::thread([this] { run(); }).detach();
  }

  // Sleeps until the earliest armed deadline (not polling), interrupts overdue calls.
  void run() {
    pthread_setname_np(pthread_self(), "wisp watchdog");
    std::unique_lock lock(mutex_);
    for (;;) {
      next_wake_ns_.store(kScanning);
      Clock::time_point now = Clock::now();
      Clock::time_point earliest = Clock::time_point::max();
      for (const auto& e : entries_) {
        std::lock_guard el(e->mutex);
        if (!e->state || e->fired) continue;
        if (e->deadline <= now) {
          e->fired = true;
          request_interrupt(*e->state, e->call_id);
        } else {
          earliest = std::min(earliest, e->deadline);
        }
      }
      if (earliest == Clock::time_point::max()) {
        next_wake_ns_.store(std::numeric_limits<int64_t>::max());
        cv_->wait(lock);
      } else {
        next_wake_ns_.store(earliest.time_since_epoch().count());
        cv_->wait_until(lock, earliest);
      }
    }
  }

  std::mutex mutex_;
  std::unique_ptr<std::condition_variable> cv_ = std::make_unique<std::condition_variable>();
  std::vector<std::shared_ptr<Entry>> entries_;
  std::atomic<int64_t> next_wake_ns_{kScanning};
  std::atomic<bool> needs_thread_{false};  // forked: the next armed call starts the thread
};

// This thread's entry, registered with the watchdog for the thread's lifetime.
struct ThreadEntry {
  std::shared_ptr<Entry> entry = std::make_shared<Entry>();
  ThreadEntry() {
    tls_entry = entry.get();
    Watchdog::get().add(entry);
  }
  ~ThreadEntry() { Watchdog::get().remove(entry.get()); }
};

Entry& thread_entry() {
  thread_local ThreadEntry te;
  return *te.entry;
}

}  // namespace

__thread int64_t tls_call_deadline_ns = 0;

namespace {

void set_tls_deadline(Clock::time_point deadline) {
  tls_call_deadline_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(deadline.time_since_epoch()).count();
}

}  // namespace

bool watchdog_arm(InterruptState* state, uint64_t call_id, Clock::time_point deadline) {
  Entry& e = thread_entry();
  {
    std::lock_guard lock(e.mutex);
    if (e.state != nullptr) return false;
    e.state = state;
    e.call_id = call_id;
    e.deadline = deadline;
    e.fired = false;
  }
  set_tls_deadline(deadline);
  Watchdog::get().armed(deadline);
  return true;
}

void watchdog_start() {
  Watchdog::get();
}

void watchdog_disarm() {
  tls_call_deadline_ns = 0;
  Entry& e = thread_entry();
  {
    std::lock_guard lock(e.mutex);
    e.state = nullptr;
    e.deadline = Clock::time_point::max();
  }
}

Clock::time_point watchdog_deadline() {
  Entry& e = thread_entry();
  std::lock_guard lock(e.mutex);
  return e.deadline;
}

DeadlinePause::DeadlinePause() : deadline_(Clock::time_point::max()) {
  if (tls_call_deadline_ns == 0) return;
  Entry& e = thread_entry();
  std::lock_guard lock(e.mutex);
  if (e.state == nullptr || e.fired) return;
  started_ = Clock::now();
  deadline_ = e.deadline;
  e.deadline = Clock::time_point::max();  // the watchdog skips it until resumed
  tls_call_deadline_ns = 0;
}

DeadlinePause::~DeadlinePause() {
  if (deadline_ == Clock::time_point::max()) return;
  Clock::time_point resumed = deadline_ + (Clock::now() - started_);
  Entry& e = thread_entry();
  {
    std::lock_guard lock(e.mutex);
    e.deadline = resumed;
  }
  set_tls_deadline(resumed);
  Watchdog::get().armed(resumed);
}

}  // namespace wisp::rt
