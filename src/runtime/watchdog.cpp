// The watchdog thread and the per-thread entries it watches.
#include "runtime/watchdog.hpp"

#include <atomic>
#include <condition_variable>
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
  void armed() {
    if (armed_.fetch_add(1, std::memory_order_acq_rel) == 0 && sleeping_.load()) {
      std::lock_guard lock(mutex_);
      cv_.notify_one();
    }
  }
  void disarmed() { armed_.fetch_sub(1, std::memory_order_acq_rel); }

 private:
  Watchdog() {
    std::thread([this] { run(); }).detach();
  }

  void run() {
    std::unique_lock lock(mutex_);
    for (;;) {
      if (armed_.load() == 0) {
        sleeping_.store(true);
        cv_.wait_for(lock, std::chrono::seconds(1), [&] { return armed_.load() > 0; });
        sleeping_.store(false);
        continue;
      }
      Clock::time_point now = Clock::now();
      for (const auto& e : entries_) {
        std::lock_guard el(e->mutex);
        if (e->state && !e->fired && e->deadline <= now) {
          e->fired = true;
          request_interrupt(*e->state, e->call_id);
        }
      }
      lock.unlock();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::shared_ptr<Entry>> entries_;
  std::atomic<int> armed_{0};
  std::atomic<bool> sleeping_{false};
};

// This thread's entry, registered with the watchdog for the thread's lifetime.
struct ThreadEntry {
  std::shared_ptr<Entry> entry = std::make_shared<Entry>();
  ThreadEntry() { Watchdog::get().add(entry); }
  ~ThreadEntry() { Watchdog::get().remove(entry.get()); }
};

Entry& thread_entry() {
  thread_local ThreadEntry te;
  return *te.entry;
}

}  // namespace

__thread int64_t tls_call_deadline_ns = 0;

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
  tls_call_deadline_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(deadline.time_since_epoch()).count();
  Watchdog::get().armed();
  return true;
}

void watchdog_disarm() {
  tls_call_deadline_ns = 0;
  Entry& e = thread_entry();
  {
    std::lock_guard lock(e.mutex);
    e.state = nullptr;
    e.deadline = Clock::time_point::max();
  }
  Watchdog::get().disarmed();
}

Clock::time_point watchdog_deadline() {
  Entry& e = thread_entry();
  std::lock_guard lock(e.mutex);
  return e.deadline;
}

}  // namespace wisp::rt
