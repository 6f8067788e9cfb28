// Threads (issue 12): the cost of atomics and of wait/notify in wisp against the same done
// natively, in one run.
//   BM_AtomicAdd/{tier0,tier1,native}: a loop of 4096 sequentially consistent 32-bit
//     fetch-and-adds on one word of a shared memory (native: std::atomic<int32_t>::fetch_add in
//     the same loop). Target: tier 1 within 1.2x of native.
//   BM_PingPong/{tier1,native}: two threads hand a token back and forth through one word: each
//     waits while the word holds the other's value, then stores its own and wakes the other
//     (wisp: memory.atomic.wait32 / notify in two instances sharing one memory; native: raw
//     futex(2) FUTEX_WAIT / FUTEX_WAKE). Time per round trip. Target: within 1.5x of native.
// Every form checks its final count, so the optimiser cannot drop the work.
#include <benchmark/benchmark.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "wisp/wisp.hpp"

namespace {

using wisp::Tier;
using wisp::Value;

constexpr int32_t kAdds = 4096;

// The ping-pong player `me` (1 or 2), `rounds` times: wait for its turn, pass the token.
constexpr const char* kPlayFunc = R"(
  (func (export "play") (param $me i32) (param $other i32) (param $rounds i32)
    (loop $round
      (block $mine
        (loop $wait
          (br_if $mine (i32.eq (i32.atomic.load (i32.const 64)) (local.get $me)))
          (drop (memory.atomic.wait32 (i32.const 64) (local.get $other) (i64.const -1)))
          (br $wait)))
      (i32.atomic.store (i32.const 64) (local.get $other))
      (drop (memory.atomic.notify (i32.const 64) (i32.const 1)))
      (br_if $round (local.tee $rounds (i32.sub (local.get $rounds) (i32.const 1))))))
)";

// Defines the shared memory (and counts into it); the second player imports it.
constexpr const char* kThreadsWat = R"((module
  (memory (export "mem") 1 1 shared)
  ;; adds 1 to the word at 0, n times; returns its value
  (func (export "count") (param $n i32) (result i32)
    (loop $l
      (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (i32.atomic.load (i32.const 0))))";
constexpr const char* kPlayerWat = R"((module (import "env" "mem" (memory 1 1 shared)))";

struct Env {
  Env() {
    wisp::EngineConfig config;
    config.background_tier1 = false;
    engine = std::make_unique<wisp::Engine>(config);
    module = std::make_unique<wisp::Module>(
        engine->compile(wisp::wat_to_wasm(std::string(kThreadsWat) + kPlayFunc + ")")));
    player = std::make_unique<wisp::Module>(
        engine->compile(wisp::wat_to_wasm(std::string(kPlayerWat) + kPlayFunc + ")")));
  }
  std::unique_ptr<wisp::Engine> engine;
  std::unique_ptr<wisp::Module> module;
  std::unique_ptr<wisp::Module> player;
};

Env& env() {
  static Env e;
  return e;
}

wisp::Instance instance(Tier tier) {
  wisp::TemplateOptions o;
  o.tier = tier;
  return wisp::Linker().instantiate(*env().module, o);
}

void atomic_add_wasm(benchmark::State& st, Tier tier) {
  wisp::Instance inst = instance(tier);
  auto count = inst.func<int32_t(int32_t)>("count");
  int64_t calls = 0;
  for (auto _ : st) {
    benchmark::DoNotOptimize(count(kAdds));
    ++calls;
  }
  if (inst.call("count", {Value::i32(1)})[0].as_i32() != static_cast<int32_t>(calls * kAdds + 1))
    st.SkipWithError("lost updates");
  st.SetItemsProcessed(calls * kAdds);
}

void atomic_add_native(benchmark::State& st) {
  static std::atomic<int32_t> word{0};
  word = 0;
  int64_t calls = 0;
  for (auto _ : st) {
    for (int32_t i = 0; i < kAdds; ++i) word.fetch_add(1, std::memory_order_seq_cst);
    benchmark::DoNotOptimize(word.load());
    ++calls;
  }
  if (word.load() != static_cast<int32_t>(calls * kAdds)) st.SkipWithError("lost updates");
  st.SetItemsProcessed(calls * kAdds);
}

constexpr int32_t kRounds = 2000;

void ping_pong_wasm(benchmark::State& st) {
  wisp::TemplateOptions o;
  o.tier = Tier::tier1;
  wisp::Instance a = wisp::Linker().instantiate(*env().module, o);
  wisp::Linker linker;
  linker.define("env", "mem", *a.get_export("mem"));
  wisp::Instance b = linker.instantiate(*env().player, o);
  auto play_a = a.func<void(int32_t, int32_t, int32_t)>("play");
  auto play_b = b.func<void(int32_t, int32_t, int32_t)>("play");
  a.memory().store<int32_t>(64, 1);
  for (auto _ : st) {
    std::thread t([&] { play_b(2, 1, kRounds); });
    play_a(1, 2, kRounds);
    t.join();
  }
  if (a.memory().load<int32_t>(64) != 1) st.SkipWithError("the token is lost");
  st.SetItemsProcessed(st.iterations() * kRounds);
}

long futex(std::atomic<int32_t>* word, int op, int32_t value) {
  return syscall(SYS_futex, reinterpret_cast<int32_t*>(word), op, value, nullptr, nullptr, 0);
}

void ping_pong_native(benchmark::State& st) {
  std::atomic<int32_t> word{1};
  auto play = [&](int32_t me, int32_t other, int32_t rounds) {
    for (int32_t r = 0; r < rounds; ++r) {
      while (word.load() != me) futex(&word, FUTEX_WAIT_PRIVATE, other);
      word.store(other);
      futex(&word, FUTEX_WAKE_PRIVATE, 1);
    }
  };
  for (auto _ : st) {
    std::thread t([&] { play(2, 1, kRounds); });
    play(1, 2, kRounds);
    t.join();
  }
  st.SetItemsProcessed(st.iterations() * kRounds);
}

}  // namespace

BENCHMARK_CAPTURE(atomic_add_wasm, tier0, Tier::tier0)->Name("BM_AtomicAdd/tier0");
BENCHMARK_CAPTURE(atomic_add_wasm, tier1, Tier::tier1)->Name("BM_AtomicAdd/tier1");
BENCHMARK(atomic_add_native)->Name("BM_AtomicAdd/native");
BENCHMARK(ping_pong_wasm)->Name("BM_PingPong/tier1")->UseRealTime();
BENCHMARK(ping_pong_native)->Name("BM_PingPong/native")->UseRealTime();

BENCHMARK_MAIN();
