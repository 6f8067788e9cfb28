// The main thread's stack bounds found without /proc/self/maps (rt::main_thread_stack) agree
// with glibc's pthread_getattr_np; other threads are left to glibc.
#include <gtest/gtest.h>
#include <pthread.h>

#include <thread>

#include "runtime/call_boundary.hpp"

namespace wisp::test {
namespace {

TEST(StackBounds, MainThreadMatchesGlibc) {
  uintptr_t lo = 0, hi = 0;
  if (!rt::main_thread_stack(&lo, &hi)) GTEST_SKIP() << "not on the main thread";
  pthread_attr_t attr;
  ASSERT_EQ(pthread_getattr_np(pthread_self(), &attr), 0);
  void* addr = nullptr;
  size_t size = 0;
  pthread_attr_getstack(&attr, &addr, &size);
  pthread_attr_destroy(&attr);
  EXPECT_EQ(lo, reinterpret_cast<uintptr_t>(addr));
  EXPECT_EQ(hi, reinterpret_cast<uintptr_t>(addr) + size);
}

TEST(StackBounds, OtherThreadsAskGlibc) {
  bool found = true;
  std::thread([&] {
    uintptr_t lo = 0, hi = 0;
    found = rt::main_thread_stack(&lo, &hi);
  }).join();
  EXPECT_FALSE(found);
}

}  // namespace
}  // namespace wisp::test
