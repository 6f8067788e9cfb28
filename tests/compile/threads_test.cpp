// Threads on both tiers: atomic read-modify-write results (narrow ones zero-extend, narrow
// cmpxchg compares the wrapped expected value), the "unaligned atomic" and out-of-bounds traps,
// wait on an unshared memory, wait's not-equal and timed-out results, notify counts, two host
// threads calling two instances that share one memory (no lost updates; a waiter woken by the
// other thread's notify), waits ended by an interrupt and by the call timeout, shared/unshared
// import matching, snapshots of a module that defines a shared memory, and tier-0 and tier-1 code
// counting into one memory at once.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "support/fixture.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

constexpr const char* kAtomics = R"((module
  (memory (export "mem") 1 1 shared)
  (func (export "store64") (param i32 i64) (i64.atomic.store (local.get 0) (local.get 1)))
  (func (export "load64") (param i32) (result i64) (i64.atomic.load (local.get 0)))
  (func (export "load8") (param i32) (result i32) (i32.atomic.load8_u (local.get 0)))
  (func (export "add32") (param i32 i32) (result i32)
    (i32.atomic.rmw.add (local.get 0) (local.get 1)))
  (func (export "add8") (param i32 i32) (result i32)
    (i32.atomic.rmw8.add_u (local.get 0) (local.get 1)))
  (func (export "sub16") (param i32 i32) (result i32)
    (i32.atomic.rmw16.sub_u (local.get 0) (local.get 1)))
  (func (export "and64") (param i32 i64) (result i64)
    (i64.atomic.rmw.and (local.get 0) (local.get 1)))
  (func (export "or32_64") (param i32 i64) (result i64)
    (i64.atomic.rmw32.or_u (local.get 0) (local.get 1)))
  (func (export "xor8_64") (param i32 i64) (result i64)
    (i64.atomic.rmw8.xor_u (local.get 0) (local.get 1)))
  (func (export "xchg16_64") (param i32 i64) (result i64)
    (i64.atomic.rmw16.xchg_u (local.get 0) (local.get 1)))
  (func (export "cas32") (param i32 i32 i32) (result i32)
    (i32.atomic.rmw.cmpxchg (local.get 0) (local.get 1) (local.get 2)))
  (func (export "cas8") (param i32 i32 i32) (result i32)
    (i32.atomic.rmw8.cmpxchg_u (local.get 0) (local.get 1) (local.get 2)))
  (func (export "cas64") (param i32 i64 i64) (result i64)
    (i64.atomic.rmw.cmpxchg (local.get 0) (local.get 1) (local.get 2)))
  (func (export "load_off") (param i32) (result i32) (i32.atomic.load offset=4 (local.get 0)))
  (func (export "fence") (atomic.fence))
  (func (export "wait32") (param i32 i32 i64) (result i32)
    (memory.atomic.wait32 (local.get 0) (local.get 1) (local.get 2)))
  (func (export "wait64") (param i32 i64 i64) (result i32)
    (memory.atomic.wait64 (local.get 0) (local.get 1) (local.get 2)))
  (func (export "notify") (param i32 i32) (result i32)
    (memory.atomic.notify (local.get 0) (local.get 1)))
  ;; adds 1 to the counter at 0, n times
  (func (export "count") (param i32)
    (loop $l
      (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
      (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))))
)";

class WasmThreadsTest : public TierTest {
 protected:
  uint64_t u64(Instance& inst, const char* f, std::vector<Value> args) {
    return static_cast<uint64_t>(inst.call(f, args)[0].as_i64());
  }
  uint32_t u32(Instance& inst, const char* f, std::vector<Value> args) {
    return static_cast<uint32_t>(inst.call(f, args)[0].as_i32());
  }
};

TEST_P(WasmThreadsTest, ReadModifyWriteResults) {
  Instance inst = instantiate(kAtomics);
  auto i32 = [](uint32_t v) { return Value::i32(static_cast<int32_t>(v)); };
  auto i64 = [](uint64_t v) { return Value::i64(static_cast<int64_t>(v)); };
  inst.call("store64", {i32(0), i64(0x11223344556677ffull)});
  EXPECT_EQ(u64(inst, "load64", {i32(0)}), 0x11223344556677ffull);
  EXPECT_EQ(u32(inst, "load8", {i32(0)}), 0xffu);
  // rmw8.add_u: the old byte, zero-extended; the byte wraps (0xff + 0x1ff -> 0xfe), the rest stays.
  EXPECT_EQ(u32(inst, "add8", {i32(0), i32(0x1ff)}), 0xffu);
  EXPECT_EQ(u64(inst, "load64", {i32(0)}), 0x11223344556677feull);
  EXPECT_EQ(u32(inst, "add32", {i32(0), i32(2)}), 0x556677feu);
  EXPECT_EQ(u64(inst, "load64", {i32(0)}), 0x1122334455667800ull);
  EXPECT_EQ(u32(inst, "sub16", {i32(0), i32(1)}), 0x7800u);
  EXPECT_EQ(u64(inst, "load64", {i32(0)}), 0x11223344556677ffull);
  EXPECT_EQ(u64(inst, "and64", {i32(0), i64(0xff00ff00ff00ff00ull)}), 0x11223344556677ffull);
  EXPECT_EQ(u64(inst, "load64", {i32(0)}), 0x1100330055007700ull);
  EXPECT_EQ(u64(inst, "or32_64", {i32(4), i64(0xffffffff000000ffull)}), 0x11003300ull);
  EXPECT_EQ(u64(inst, "load64", {i32(0)}), 0x110033ff55007700ull);
  EXPECT_EQ(u64(inst, "xor8_64", {i32(7), i64(0xf1)}), 0x11ull);
  EXPECT_EQ(u64(inst, "xchg16_64", {i32(2), i64(0xabcdbeefull)}), 0x5500ull);
  EXPECT_EQ(u64(inst, "load64", {i32(0)}), 0xe00033ffbeef7700ull);
  // cmpxchg: the old value; stores only when it equals the expected one (narrow: wrapped).
  EXPECT_EQ(u32(inst, "cas32", {i32(0), i32(1), i32(5)}), 0xbeef7700u);
  EXPECT_EQ(u32(inst, "cas32", {i32(0), i32(0xbeef7700u), i32(5)}), 0xbeef7700u);
  EXPECT_EQ(u32(inst, "cas8", {i32(0), i32(0x105), i32(0x1aa)}), 5u);
  EXPECT_EQ(u64(inst, "cas64", {i32(0), i64(0xe00033ff000000aaull), i64(7)}),
            0xe00033ff000000aaull);
  EXPECT_EQ(u64(inst, "load64", {i32(0)}), 7u);
  EXPECT_EQ(u32(inst, "load_off", {i32(0)}), 0u);
  inst.call("fence");
}

TEST_P(WasmThreadsTest, UnalignedAndOutOfBoundsAccessesTrap) {
  Instance inst = instantiate(kAtomics);
  EXPECT_TRAP(inst.call("load64", {Value::i32(4)}), TrapKind::unaligned_atomic);
  EXPECT_TRAP(inst.call("add32", {Value::i32(2), Value::i32(1)}), TrapKind::unaligned_atomic);
  EXPECT_TRAP(inst.call("load_off", {Value::i32(1)}), TrapKind::unaligned_atomic);
  EXPECT_TRAP(inst.call("wait32", {Value::i32(1), Value::i32(0), Value::i64(0)}),
              TrapKind::unaligned_atomic);
  EXPECT_TRAP(inst.call("notify", {Value::i32(2), Value::i32(1)}), TrapKind::unaligned_atomic);
  EXPECT_EQ(u32(inst, "load8", {Value::i32(65535)}), 0u);  // a byte is always aligned
  EXPECT_TRAP(inst.call("add32", {Value::i32(65536), Value::i32(1)}), TrapKind::out_of_bounds);
  EXPECT_TRAP(inst.call("notify", {Value::i32(65536), Value::i32(1)}), TrapKind::out_of_bounds);
  EXPECT_TRAP(inst.call("wait64", {Value::i32(65536), Value::i64(0), Value::i64(0)}),
              TrapKind::out_of_bounds);
}

TEST_P(WasmThreadsTest, WaitOnAnUnsharedMemoryTrapsAndNotifyWakesNone) {
  Instance inst = instantiate(R"((module (memory 1)
    (func (export "wait32") (param i32) (result i32)
      (memory.atomic.wait32 (local.get 0) (i32.const 0) (i64.const 0)))
    (func (export "notify") (param i32) (result i32)
      (memory.atomic.notify (local.get 0) (i32.const 1)))))");
  EXPECT_TRAP(inst.call("wait32", {Value::i32(0)}), TrapKind::expected_shared_memory);
  EXPECT_EQ(inst.call("notify", {Value::i32(0)})[0].as_i32(), 0);
  EXPECT_TRAP(inst.call("notify", {Value::i32(65536)}), TrapKind::out_of_bounds);
}

TEST_P(WasmThreadsTest, WaitResultsWithoutANotifier) {
  Instance inst = instantiate(kAtomics);
  inst.call("store64", {Value::i32(8), Value::i64(5)});
  // Not equal: 1 (whatever the timeout).
  EXPECT_EQ(u32(inst, "wait32", {Value::i32(8), Value::i32(4), Value::i64(-1)}), 1u);
  EXPECT_EQ(u32(inst, "wait64", {Value::i32(8), Value::i64(4), Value::i64(-1)}), 1u);
  // Equal, nobody notifies: 2 (timed out), with a zero and a short timeout.
  EXPECT_EQ(u32(inst, "wait32", {Value::i32(8), Value::i32(5), Value::i64(0)}), 2u);
  EXPECT_EQ(u32(inst, "wait64", {Value::i32(8), Value::i64(5), Value::i64(1000000)}), 2u);
  EXPECT_EQ(u32(inst, "notify", {Value::i32(8), Value::i32(10)}), 0u);
}

// Two instances on two host threads share the first one's memory (the second imports it).
TEST_P(WasmThreadsTest, TwoThreadsShareAMemoryThroughAnImport) {
  Instance a = instantiate(kAtomics);
  Linker linker;
  linker.define_instance("a", a);
  Instance b = instantiate(R"((module
    (import "a" "mem" (memory 1 1 shared))
    (func (export "count") (param i32)
      (loop $l
        (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
        (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1))))))
    (func (export "wait32") (param i32 i32 i64) (result i32)
      (memory.atomic.wait32 (local.get 0) (local.get 1) (local.get 2)))))",
                           linker);
  constexpr int32_t kEach = 200000;
  std::thread other([&] { b.call("count", {Value::i32(kEach)}); });
  a.call("count", {Value::i32(kEach)});
  other.join();
  EXPECT_EQ(u32(a, "add32", {Value::i32(0), Value::i32(0)}), uint32_t{2 * kEach});

  // b's thread waits on the word at 16 (forever); a's thread notifies it until one is woken.
  std::atomic<int32_t> waited{-1};
  std::thread waiter([&] {
    waited = b.call("wait32", {Value::i32(16), Value::i32(0), Value::i64(-1)})[0].as_i32();
  });
  uint32_t woken = 0;
  while (woken == 0) {
    woken = u32(a, "notify", {Value::i32(16), Value::i32(5)});
    if (woken == 0) std::this_thread::yield();
  }
  waiter.join();
  EXPECT_EQ(woken, 1u);
  EXPECT_EQ(waited.load(), 0);
}

TEST_P(WasmThreadsTest, AnInterruptEndsAWait) {
  Instance inst = instantiate(kAtomics);
  InterruptHandle handle = inst.interrupt_handle();
  std::thread stopper([&] {
    while (!handle.interrupt()) std::this_thread::yield();
  });
  EXPECT_TRAP(inst.call("wait32", {Value::i32(0), Value::i32(0), Value::i64(-1)}),
              TrapKind::timeout);
  stopper.join();
}

TEST_P(WasmThreadsTest, TheCallTimeoutEndsAWait) {
  Instance inst = instantiate(kAtomics);
  inst.set_call_timeout(std::chrono::milliseconds(30));
  EXPECT_TRAP(inst.call("wait64", {Value::i32(0), Value::i64(0), Value::i64(-1)}),
              TrapKind::timeout);
}

TEST_P(WasmThreadsTest, SharedAndUnsharedMemoriesDoNotLinkToEachOther) {
  Instance a = instantiate(R"((module (memory (export "shared") 1 1 shared)
                                      (memory (export "plain") 1 1)))");
  Linker linker;
  linker.define_instance("a", a);
  try {
    instantiate(R"((module (import "a" "shared" (memory 1 1))))", linker);
    ADD_FAILURE() << "an unshared import linked to a shared memory";
  } catch (const LinkError& e) {
    EXPECT_NE(std::string(e.what()).find("incompatible import type"), std::string::npos);
  }
  try {
    instantiate(R"((module (import "a" "plain" (memory 1 1 shared))))", linker);
    ADD_FAILURE() << "a shared import linked to an unshared memory";
  } catch (const LinkError& e) {
    EXPECT_NE(std::string(e.what()).find("incompatible import type"), std::string::npos);
  }
  instantiate(R"((module (import "a" "shared" (memory 1 1 shared))))", linker);  // links
}

// A module that defines a shared memory snapshots (tests/snapshot/shared_memory_snapshot_test).
TEST_P(WasmThreadsTest, AModuleThatDefinesASharedMemoryIsSnapshotted) {
  Template shared =
      Linker().instantiate_template(compile("(module (memory 1 1 shared))"), options());
  EXPECT_TRUE(shared.snapshot_info().available) << shared.snapshot_info().unavailable_reason;
  Instance inst = shared.instantiate();
  EXPECT_TRUE(inst.resettable());
}

WISP_INSTANTIATE_TIERS(WasmThreadsTest);

// Tier-0 and tier-1 code update one memory at once (libtcc's assembly and cc's builtins agree).
TEST(WasmThreadsMixedTiers, TierZeroAndTierOneCountIntoOneMemory) {
  TempDir cache;
  Engine engine(engine_config(Tier::tier1, shared_tier1_cache_or(cache.path())));
  Module m = engine.compile(wat(kAtomics));
  TemplateOptions t0, t1;
  t0.tier = Tier::tier0;
  t1.tier = Tier::tier1;
  Instance a = Linker().instantiate(m, t0);
  Linker linker;
  linker.define_instance("a", a);
  Instance b = linker.instantiate(engine.compile(wat(R"((module
    (import "a" "mem" (memory 1 1 shared))
    (func (export "count") (param i32)
      (loop $l
        (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
        (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1))))))))")),
                                  t1);
  ASSERT_EQ(a.tier(), Tier::tier0);
  ASSERT_EQ(b.tier(), Tier::tier1);
  constexpr int32_t kEach = 200000;
  std::thread other([&] { b.call("count", {Value::i32(kEach)}); });
  a.call("count", {Value::i32(kEach)});
  other.join();
  EXPECT_EQ(a.call("add32", {Value::i32(0), Value::i32(0)})[0].as_i32(), 2 * kEach);
}

}  // namespace
}  // namespace wisp::test
