// on_big_stack: a joinable pthread with a large stack, exceptions carried back to the caller.
#include "compile/big_stack.hpp"

#include <pthread.h>

#include <cstddef>
#include <exception>

namespace wisp::detail {

void on_big_stack(const std::function<void()>& fn) {
  constexpr size_t kStack = 256ull << 20;
  struct Job {
    const std::function<void()>* fn;
    std::exception_ptr error;
  } job{&fn, nullptr};
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, kStack);
  pthread_t thread;
  auto body = [](void* p) -> void* {
    auto* j = static_cast<Job*>(p);
    try {
      (*j->fn)();
    } catch (...) {
      j->error = std::current_exception();
    }
    return nullptr;
  };
  int rc = pthread_create(&thread, &attr, body, &job);
  pthread_attr_destroy(&attr);
  if (rc != 0) return fn();  // no thread available: run here
  pthread_join(thread, nullptr);
  if (job.error) std::rethrow_exception(job.error);
}

}  // namespace wisp::detail
