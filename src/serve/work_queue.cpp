// A route's bounded admission to its worker threads (see work_queue.hpp).
#include "serve/work_queue.hpp"

#include <utility>

namespace wisp::serve {

bool WorkQueue::submit(boost::asio::thread_pool& pool, std::function<void()> work) {
  {
    std::lock_guard lock(mutex_);
    if (running_ >= max_running_) {
      if (waiting_.size() >= max_waiting_) return false;
      waiting_.push_back(std::move(work));
      return true;
    }
    ++running_;
  }
  start(pool, std::move(work));
  return true;
}

// Runs `work`, then the next waiting job in the same slot, or frees the slot.
void WorkQueue::start(boost::asio::thread_pool& pool, std::function<void()> work) {
  boost::asio::post(pool, [this, &pool, work = std::move(work)]() mutable {
    work();
    work = nullptr;  // what it holds (a connection) goes before the next job starts
    std::function<void()> next;
    {
      std::lock_guard lock(mutex_);
      if (waiting_.empty()) {
        --running_;
        return;
      }
      next = std::move(waiting_.front());
      waiting_.pop_front();
    }
    start(pool, std::move(next));
  });
}

void WorkQueue::drop_waiting() {
  std::deque<std::function<void()>> dropped;
  std::lock_guard lock(mutex_);
  dropped.swap(waiting_);
}

size_t WorkQueue::running() const {
  std::lock_guard lock(mutex_);
  return running_;
}

size_t WorkQueue::waiting() const {
  std::lock_guard lock(mutex_);
  return waiting_.size();
}

}  // namespace wisp::serve
