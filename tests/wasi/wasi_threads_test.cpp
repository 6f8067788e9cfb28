// wasi-threads on both tiers (tests/wasi/guests/threads.c): threads counting into the shared
// memory with atomics and joined by wait/notify, spawn past WasiConfig::max_threads (the error,
// then the pool's threads reused), a trap in a thread ending the group while main waits, proc_exit
// in a thread while main waits or spins, main's proc_exit and return stopping waiting threads
// (every other thread is interrupted), and the refusals (no shared memory, no wasi_thread_start).
#include <gtest/gtest.h>

#include <chrono>

#include "support/fixture.hpp"
#include "wasi/wasi_support.hpp"

namespace wisp::test {
namespace {

using Clock = std::chrono::steady_clock;

struct ThreadsRun {
  std::optional<int> exit_code;      // proc_exit
  std::optional<int> ctx_exit_code;  // what the shared context recorded
  std::optional<Trap> trap;
  std::string out, err;
  uint32_t spawned = 0, peak = 0;
  double seconds = 0;
};

class WasiThreadsTest : public ::testing::TestWithParam<Tier> {
 protected:
  Tier tier() const { return GetParam(); }
  Module guest() { return wasi_engine(tier()).compile_file(wasi_guest("threads")); }

  ThreadsRun run(std::vector<std::string> args, uint32_t max_threads = 16) {
    Module module = guest();
    Linker linker;
    add_wasi(linker, module);
    WasiConfig config = buffered_config(std::move(args));
    config.max_threads = max_threads;
    TemplateOptions options;
    options.tier = tier();
    ThreadsRun r;
    auto t0 = Clock::now();
    {
      WasiThreads group(wasi_engine(tier()), module, linker, config, options);
      EXPECT_EQ(group.main_instance().tier(), tier());
      try {
        group.run();
      } catch (const WasiExit& e) {
        r.exit_code = e.code();
      } catch (const Trap& e) {
        r.trap = e;
      }
      r.out = group.ctx()->stdout_data();
      r.err = group.ctx()->stderr_data();
      r.ctx_exit_code = group.ctx()->exit_code();
      r.spawned = group.threads_spawned();
      r.peak = group.peak_threads();
    }
    r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    return r;
  }
};

TEST_P(WasiThreadsTest, ThreadsCountIntoSharedMemoryAndJoin) {
  ThreadsRun r = run({"threads", "count", "8", "20000"});
  EXPECT_FALSE(r.trap) << r.trap->what();
  EXPECT_TRUE(!r.exit_code || *r.exit_code == 0);  // main returned (_start returns)
  EXPECT_EQ(r.out, "threads=8 counter=160000\n");
  EXPECT_EQ(r.spawned, 8u);
}

TEST_P(WasiThreadsTest, SpawnPastTheLimitFailsAndThePoolIsReused) {
  ThreadsRun r = run({"threads", "limit", "64"}, 5);
  EXPECT_FALSE(r.trap) << r.trap->what();
  EXPECT_EQ(r.out, "spawned=5 error=" + std::to_string(kWasiThreadSpawnAgain) + "\nagain=5\n");
  EXPECT_EQ(r.spawned, 10u);
  EXPECT_EQ(r.peak, 5u);
}

TEST_P(WasiThreadsTest, TrapInAThreadEndsTheGroupWhileMainWaits) {
  ThreadsRun r = run({"threads", "trap"});
  ASSERT_TRUE(r.trap);
  EXPECT_EQ(r.trap->kind(), TrapKind::unreachable) << r.trap->what();
  EXPECT_NE(r.trap->detail().find("thread 1"), std::string::npos) << r.trap->detail();
  EXPECT_FALSE(r.exit_code);
  EXPECT_EQ(r.out, "main waits\n");
  EXPECT_LT(r.seconds, 10);
}

TEST_P(WasiThreadsTest, ProcExitInAThreadEndsTheGroupWhileMainWaits) {
  ThreadsRun r = run({"threads", "exit", "17"});
  EXPECT_FALSE(r.trap) << r.trap->what();
  EXPECT_EQ(r.exit_code, 17);
  EXPECT_EQ(r.ctx_exit_code, 17);
  EXPECT_EQ(r.out, "main waits\nthread exits\n");
}

TEST_P(WasiThreadsTest, ProcExitInAThreadStopsABusyMain) {
  ThreadsRun r = run({"threads", "busy", "9"});
  EXPECT_FALSE(r.trap) << r.trap->what();
  EXPECT_EQ(r.exit_code, 9);
}

TEST_P(WasiThreadsTest, MainExitStopsWaitingThreads) {
  ThreadsRun r = run({"threads", "main_exit"});
  EXPECT_FALSE(r.trap) << r.trap->what();
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "4 threads wait\n");
}

TEST_P(WasiThreadsTest, MainReturnStopsWaitingThreads) {
  ThreadsRun r = run({"threads", "main_return"});
  EXPECT_FALSE(r.trap) << r.trap->what();
  EXPECT_TRUE(!r.exit_code || *r.exit_code == 0);
  EXPECT_EQ(r.out, "4 threads wait\n");
}

// A group's threads are all gone when run() returns: many groups in a row leave no thread and
// no memory behind (each ends with threads blocked in wait).
TEST_P(WasiThreadsTest, GroupsInARowEndCleanly) {
  for (int i = 0; i < 5; ++i) {
    ThreadsRun r = run({"threads", i % 2 ? "trap" : "exit", "5"});
    EXPECT_TRUE(r.trap || r.exit_code == 5);
  }
}

TEST_P(WasiThreadsTest, RefusesAModuleWithoutSharedMemoryOrStart) {
  Engine& engine = wasi_engine(tier());
  Linker linker;
  TemplateOptions options;
  options.tier = tier();
  Module own_memory = engine.compile(wat(R"((module
    (import "wasi" "thread-spawn" (func (param i32) (result i32)))
    (memory 1 1 shared)
    (func (export "wasi_thread_start") (param i32 i32))
    (func (export "_start"))))"));
  EXPECT_TRUE(imports_wasi_threads(own_memory));
  try {
    WasiThreads group(engine, own_memory, linker, WasiConfig{}, options);
    ADD_FAILURE() << "a module defining its memory was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("imports no shared memory"), std::string::npos)
        << e.what();
  }
  Module no_start = engine.compile(wat(R"((module
    (import "wasi" "thread-spawn" (func (param i32) (result i32)))
    (import "env" "memory" (memory 1 1 shared))
    (func (export "_start"))))"));
  try {
    WasiThreads group(engine, no_start, linker, WasiConfig{}, options);
    ADD_FAILURE() << "a module without wasi_thread_start was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("wasi_thread_start"), std::string::npos) << e.what();
  }
}

// The proposal's own smallest case, in text: the spawned thread stores its TID and argument and
// notifies; main checks them and exits with 22. Once with a memory the group makes, once with
// the embedder's own (defined in the linker), which then holds what the thread wrote.
TEST_P(WasiThreadsTest, TidAndArgumentReachTheThread) {
  Engine& engine = wasi_engine(tier());
  Module module = engine.compile(wat(R"((module
    (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
    (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
    (import "foo" "bar" (memory 1 1 shared))
    (func (export "wasi_thread_start") (param i32 i32)
      (i32.store (i32.const 4) (local.get 0))
      (i32.store (i32.const 8) (local.get 1))
      (i32.atomic.store (i32.const 0) (i32.const 1))
      (drop (memory.atomic.notify (i32.const 0) (i32.const 1))))
    (func (export "_start") (local i32)
      (local.set 0 (call $spawn (i32.const 12345)))
      (if (i32.le_s (local.get 0) (i32.const 0)) (then unreachable))
      (drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1)))
      (if (i32.ne (local.get 0) (i32.load (i32.const 4))) (then unreachable))
      (if (i32.ne (i32.const 12345) (i32.load (i32.const 8))) (then unreachable))
      (call $exit (i32.const 22)))))"));
  TemplateOptions options;
  options.tier = tier();
  for (bool host_memory : {false, true}) {
    SCOPED_TRACE(host_memory ? "the embedder's memory" : "a memory the group makes");
    Linker linker;
    add_wasi(linker, module);
    Instance memory_owner;
    if (host_memory) {  // the linker defines the memory: the group uses it
      memory_owner = Linker().instantiate(
          engine.compile(wat(R"((module (memory (export "m") 1 1 shared)))")), options);
      linker.define("foo", "bar", *memory_owner.get_export("m"));
    }
    WasiThreads group(engine, module, linker, WasiConfig{}, options);
    try {
      group.run();
      ADD_FAILURE() << "no exit";
    } catch (const WasiExit& e) {
      EXPECT_EQ(e.code(), 22);
    }
    if (host_memory) {
      EXPECT_EQ(memory_owner.memory().load<int32_t>(8), 12345);
    }
  }
}

WISP_INSTANTIATE_TIERS(WasiThreadsTest);

}  // namespace
}  // namespace wisp::test
