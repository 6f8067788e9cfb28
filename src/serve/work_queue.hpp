// A route's admission to its guest workers: at most `max_running` of its requests run at once on
// the route's worker threads, at most `max_waiting` more wait their turn (first come, first
// served), and a request beyond both is refused at once (503). Guest calls never run on the
// threads that read and write HTTP, so a route whose guest loops until its timeout holds only
// its own workers, and /healthz, /metrics and the other routes are not delayed.
#pragma once

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>

namespace wisp::serve {

class WorkQueue {
 public:
  WorkQueue(size_t max_running, size_t max_waiting)
      : max_running_(max_running), max_waiting_(max_waiting) {}

  // Runs `work` on `pool` now or when one of this queue's running jobs ends; false (and `work`
  // dropped) when max_running run and max_waiting wait already.
  bool submit(boost::asio::thread_pool& pool, std::function<void()> work);
  // Drops the jobs still waiting (the server is stopping; the pool runs nothing more).
  void drop_waiting();
  size_t running() const;
  size_t waiting() const;

 private:
  void start(boost::asio::thread_pool& pool, std::function<void()> work);

  const size_t max_running_, max_waiting_;
  mutable std::mutex mutex_;
  size_t running_ = 0;
  std::deque<std::function<void()>> waiting_;
};

}  // namespace wisp::serve
