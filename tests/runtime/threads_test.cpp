// Concurrency: instances computing and trapping on several threads at once; concurrent compiles.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "support/fixture.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

constexpr const char* kWorkWat = R"((module
  (memory (export "memory") 1)
  (global $calls (export "calls") (mut i32) (i32.const 0))
  (func $fib (export "fib") (param i32) (result i32)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  (func (export "fill") (param $v i32) (result i32)
    (local $i i32) (local $sum i32)
    (loop $l
      (i32.store8 (local.get $i) (local.get $v))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 4096))))
    (local.set $i (i32.const 0))
    (loop $l
      (local.set $sum (i32.add (local.get $sum) (i32.load8_u (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 4096))))
    (local.get $sum))
  (func (export "div") (param i32 i32) (result i32) (i32.div_u (local.get 0) (local.get 1)))
  (func (export "oob") (param i32) (result i32)
    (i32.load (i32.add (local.get 0) (i32.const 65536))))
  (func $rec (export "recurse") (param i32) (result i32)
    (local $r i32)
    (local.set $r (call $rec (i32.add (local.get 0) (i32.const 1))))
    (i32.store (i32.and (local.get 0) (i32.const 0xffc)) (local.get $r))
    (local.get $r))))";

class ThreadsTest : public TierTest {};

TEST_P(ThreadsTest, EightThreadsComputeAndTrapConcurrently) {
  Template t = Linker().instantiate_template(compile(kWorkWat), options());
  constexpr int kThreads = 8;
  constexpr int kIterations = 200;
  std::atomic<int> wrong{0}, missed_traps{0}, done{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int id = 0; id < kThreads; ++id) {
    threads.emplace_back([&, id] {
      Instance inst = t.instantiate();
      auto fib = inst.func<int32_t(int32_t)>("fib");
      auto fill = inst.func<int32_t(int32_t)>("fill");
      auto div = inst.func<int32_t(int32_t, int32_t)>("div");
      auto oob = inst.func<int32_t(int32_t)>("oob");
      while (!go.load()) std::this_thread::yield();
      for (int i = 0; i < kIterations; ++i) {
        if (fib(12) != 144) ++wrong;
        // Each instance writes its own id into its own memory: no cross-talk.
        if (fill(id) != id * 4096) ++wrong;
        if (div(100, id + 1) != 100 / (id + 1)) ++wrong;
        try {
          switch ((i + id) % 3) {
            case 0:
              div(1, 0);
              break;
            case 1:
              oob(i);
              break;
            default:
              inst.call("recurse", {Value::i32(0)});
              break;
          }
          ++missed_traps;
        } catch (const Trap& trap) {
          TrapKind expected = (i + id) % 3 == 0   ? TrapKind::divide_by_zero
                              : (i + id) % 3 == 1 ? TrapKind::out_of_bounds
                                                  : TrapKind::stack_exhausted;
          if (trap.kind() != expected) ++wrong;
        }
      }
      if (inst.memory().read(0, 1)[0] != id) ++wrong;
      ++done;
    });
  }
  go = true;
  for (auto& th : threads) th.join();
  EXPECT_EQ(done.load(), kThreads);
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(missed_traps.load(), 0);
}

// One instance handed from thread to thread (used by one thread at a time).
TEST_P(ThreadsTest, InstanceMovesBetweenThreads) {
  Instance inst = instantiate(kWorkWat);
  for (int round = 0; round < 4; ++round) {
    std::thread th([&] {
      EXPECT_EQ(inst.call("fib", {Value::i32(10)})[0], Value::i32(55));
      EXPECT_TRAP(inst.call("div", {Value::i32(1), Value::i32(0)}), TrapKind::divide_by_zero);
    });
    th.join();
  }
  EXPECT_GT(inst.global_get("calls").as_i32(), 4 * 100);
}

// Compiling on several threads at once (libtcc is serialised inside the engine).
TEST_P(ThreadsTest, ConcurrentCompiles) {
  constexpr int kThreads = 4;
  engine();  // created before the threads share it
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int id = 0; id < kThreads; ++id) {
    threads.emplace_back([&, id] {
      std::string text = "(module (func (export \"f\") (result i32) (i32.const " +
                         std::to_string(1000 + id) + ")))";
      Module m = compile(text);
      Instance inst = Linker().instantiate(m, options());
      if (inst.call("f")[0] == Value::i32(1000 + id)) ++ok;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), kThreads);
}

WISP_INSTANTIATE_TIERS(ThreadsTest);

}  // namespace
}  // namespace wisp::test
