// Contexts, the harder cases: protection keys and their fallback past 15 contexts, host functions
// asked to reach another context's region, replacement of the shared instance after a trap, and
// regions from the guest's own allocator (malloc/free exports).
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cstring>

#include "support/fixture.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

// update_value/get_value as in examples/guests/kv.c; peek/poke reach any address (a hostile or
// buggy guest); host_peek asks the host to read an address; boom traps.
constexpr const char* kKvWat = R"((module
  (import "env" "host_peek" (func $host_peek (param i32) (result i32)))
  (memory (export "memory") 1)
  (global $calls (mut i32) (i32.const 0))
  (func (export "update_value") (param $ctx i32) (param $v i32) (result i32)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (i32.store (local.get $ctx) (local.get $v))
    (i32.load (local.get $ctx)))
  (func (export "get_value") (param $ctx i32) (result i32) (i32.load (local.get $ctx)))
  (func (export "calls") (param $ctx i32) (result i32) (global.get $calls))
  (func (export "peek") (param $ctx i32) (param $addr i32) (result i32) (i32.load (local.get $addr)))
  (func (export "poke") (param $ctx i32) (param $addr i32) (i32.store (local.get $addr) (i32.const 666)))
  (func (export "ask_host") (param $ctx i32) (param $addr i32) (result i32)
    (call $host_peek (local.get $addr)))
  (func (export "boom") (param $ctx i32) (i32.store (local.get $ctx) (i32.const 5)) unreachable)
  (func (export "grow_and_store") (param $ctx i32) (param $v i32) (result i32) (local $at i32)
    (local.set $at (i32.mul (memory.grow (i32.const 1)) (i32.const 65536)))
    (i32.store (local.get $at) (local.get $v))
    (local.get $at))))";

// The same with a guest allocator: a bump allocator over memory past 64 KiB with a free list of
// one entry size (enough to show reuse).
constexpr const char* kAllocWat = R"((module
  (memory (export "memory") 4)
  (global $top (mut i32) (i32.const 65536))
  (global $freed (mut i32) (i32.const 0))
  (global $allocs (mut i32) (i32.const 0))
  (func (export "malloc") (param $n i32) (result i32) (local $p i32)
    (global.set $allocs (i32.add (global.get $allocs) (i32.const 1)))
    (if (global.get $freed) (then
      (local.set $p (global.get $freed)) (global.set $freed (i32.const 0)) (return (local.get $p))))
    (local.set $p (global.get $top))
    (global.set $top (i32.add (global.get $top) (local.get $n)))
    (local.get $p))
  (func (export "free") (param $p i32) (global.set $freed (local.get $p)))
  (func (export "allocs") (param $ctx i32) (result i32) (global.get $allocs))
  (func (export "update_value") (param $ctx i32) (param $v i32) (result i32)
    (i32.store (local.get $ctx) (local.get $v)) (i32.load (local.get $ctx)))
  (func (export "get_value") (param $ctx i32) (result i32) (i32.load (local.get $ctx)))
  (func (export "peek") (param $ctx i32) (param $addr i32) (result i32) (i32.load (local.get $addr)))
  (func (export "boom") (param $ctx i32) unreachable)))";

bool pkeys_available() {
  int k = pkey_alloc(0, 0);
  if (k < 0) return false;
  pkey_free(k);
  return true;
}

class ContextsIsolationTest : public TierTest {
 protected:
  Template kv_template() {
    Linker linker;
    linker.define_func("env", "host_peek", FuncType{{ValType::i32}, {ValType::i32}},
                       [](Caller& caller, std::span<const Value> args, std::span<Value> results) {
                         uint32_t addr = static_cast<uint32_t>(args[0].as_i32());
                         results[0] = Value::i32(caller.memory().load<int32_t>(addr));
                       });
    return linker.instantiate_template(compile(kKvWat), options());
  }
  static void expect_oob(const std::function<void()>& fn, const char* what) {
    try {
      fn();
      ADD_FAILURE() << what << ": no trap";
    } catch (const Trap& t) {
      EXPECT_EQ(t.kind(), TrapKind::out_of_bounds) << what << ": " << t.what();
    }
  }

  // Two contexts: a guest access from one to the other's region traps (read and write), the
  // other's value is untouched, and each trap replaced the shared instance.
  static void expect_isolated(Contexts& contexts) {
    auto a = contexts.open();
    auto b = contexts.open();
    b->call("update_value", {Value::i32(7)});
    expect_oob([&] { a->call("peek", {Value::i32(static_cast<int32_t>(b->ptr()))}); }, "read");
    expect_oob([&] { a->call("poke", {Value::i32(static_cast<int32_t>(b->ptr()))}); }, "write");
    EXPECT_EQ(b->call("get_value")[0].as_i32(), 7);  // untouched, and b still works
    EXPECT_EQ(contexts.replacements(), 2u);          // b's region was carried over both times
  }
};

TEST_P(ContextsIsolationTest, ProtectionKeysIsolateContexts) {
  if (!pkeys_available())
    GTEST_SKIP() << "no memory protection keys here (the CPU lacks PKU or the kernel pkeys): "
                    "MprotectIsolatesContexts tests the fallback this machine uses";
  Contexts contexts(kv_template());
  EXPECT_EQ(contexts.enforcement(), "pkeys");
  expect_isolated(contexts);
}

// Without protection keys (asked for here, or none on the CPU) each context calls through a
// view of the memory where the other regions are absent.
TEST_P(ContextsIsolationTest, ViewsIsolateContexts) {
  ContextsOptions o;
  o.use_pkeys = false;
  Contexts contexts(kv_template(), o);
  EXPECT_EQ(contexts.enforcement(), "views");
  expect_isolated(contexts);
  EXPECT_EQ(contexts.enforcement(), "views");  // the replacements have views again
}

// A Contexts' memory lives in a memfd mapped into slots (home and views): once the Contexts is
// gone those slots serve other instances, and none of them may see its data.
TEST_P(ContextsIsolationTest, ViewsLeaveNothingInTheirSlots) {
  constexpr int32_t kSecret = 0x5EC12E7;
  uint32_t secret_at = 0;
  Template t = kv_template();
  {
    ContextsOptions o;
    o.use_pkeys = false;
    Contexts contexts(t, o);
    ASSERT_EQ(contexts.enforcement(), "views");
    std::vector<std::unique_ptr<Contexts::Context>> all;
    for (int i = 0; i < 4; ++i) all.push_back(contexts.open());
    // Guest memory past the regions (closing a context zeroes only its region).
    secret_at =
        static_cast<uint32_t>(all[2]->call("grow_and_store", {Value::i32(kSecret)})[0].as_i32());
    EXPECT_EQ(all[0]->call("peek", {Value::i32(static_cast<int32_t>(secret_at))})[0].as_i32(),
              kSecret);
  }
  // Instances without a snapshot take clean slots, the most recently freed first (the home and
  // view slots of the Contexts); grown over the old regions, every page reads as zero.
  TemplateOptions scratch = options();
  scratch.snapshot.mode = SnapshotMode::off;
  Linker linker;
  linker.func_wrap("env", "host_peek", [](int32_t) { return 0; });
  Template plain = linker.instantiate_template(compile(kKvWat), scratch);
  std::vector<Instance> later;
  for (int i = 0; i < 12; ++i) {
    Instance inst = plain.instantiate();
    Memory mem = inst.memory();
    while (mem.size() < uint64_t{secret_at} + 4) ASSERT_TRUE(mem.grow(1).has_value());
    EXPECT_EQ(mem.load<int32_t>(secret_at), 0) << "instance " << i;
    later.push_back(std::move(inst));
  }
}

// Without keys and without views, isolation is by mprotect around each call.
TEST_P(ContextsIsolationTest, MprotectIsolatesContexts) {
  ContextsOptions o;
  o.use_pkeys = false;
  o.use_views = false;
  Contexts contexts(kv_template(), o);
  EXPECT_EQ(contexts.enforcement(), "mprotect");
  expect_isolated(contexts);
}

// Views and growth: pages the guest grows inside one context's call are shared by every context
// (they are not a region), regions made after the growth are still hidden from the others, and
// more contexts than views (64 kept) each keep their own value.
TEST_P(ContextsIsolationTest, ViewsFollowGrowthAndOutnumberTheirCache) {
  ContextsOptions o;
  o.use_pkeys = false;
  Contexts contexts(kv_template(), o);
  ASSERT_EQ(contexts.enforcement(), "views");
  auto a = contexts.open();
  auto b = contexts.open();
  int32_t at = a->call("grow_and_store", {Value::i32(4242)})[0].as_i32();
  EXPECT_EQ(b->call("peek", {Value::i32(at)})[0].as_i32(), 4242);  // b's view caught up
  EXPECT_EQ(a->call("peek", {Value::i32(at)})[0].as_i32(), 4242);
  std::vector<std::unique_ptr<Contexts::Context>> many;
  for (int i = 0; i < 100; ++i) {
    many.push_back(contexts.open());
    many.back()->call("update_value", {Value::i32(1000 + i)});
  }
  EXPECT_EQ(contexts.enforcement(), "views");
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(many[i]->call("get_value")[0].as_i32(), 1000 + i) << "context " << i;
  // A region made after the growth, from an old context, and the other way round.
  expect_oob([&] { a->call("peek", {Value::i32(static_cast<int32_t>(many[99]->ptr()))}); },
             "old -> new");
  expect_oob([&] { many[99]->call("peek", {Value::i32(static_cast<int32_t>(b->ptr()))}); },
             "new -> old");
  EXPECT_EQ(many[98]->call("get_value")[0].as_i32(), 1098);
  // Host access goes through the context's own view.
  std::vector<uint8_t> bytes = many[5]->read(0, 4);
  int32_t v = 0;
  std::memcpy(&v, bytes.data(), 4);
  EXPECT_EQ(v, 1005);
  // A closed context's region comes back zeroed to the next one.
  uint32_t ptr = many[7]->ptr();
  many[7].reset();
  auto again = contexts.open();
  EXPECT_EQ(again->ptr(), ptr);
  EXPECT_EQ(again->call("get_value")[0].as_i32(), 0);
}

TEST_P(ContextsIsolationTest, PastTheKeysContextsFallBackToMprotectAndStayIsolated) {
  if (!pkeys_available())
    GTEST_SKIP() << "no memory protection keys here (the CPU lacks PKU or the kernel pkeys): "
                    "nothing to run out of; MprotectIsolatesContexts tests mprotect alone";
  Contexts contexts(kv_template());
  std::vector<std::unique_ptr<Contexts::Context>> all;
  for (int i = 0; i < 20; ++i) all.push_back(contexts.open());
  EXPECT_EQ(contexts.enforcement(), "pkeys+mprotect");
  for (int i = 0; i < 20; ++i) all[i]->call("update_value", {Value::i32(100 + i)});
  // First (keyed) reads the last (keyless), and the other way round; both trap.
  expect_oob([&] { all[0]->call("peek", {Value::i32(static_cast<int32_t>(all[19]->ptr()))}); },
             "keyed -> keyless");
  expect_oob([&] { all[19]->call("peek", {Value::i32(static_cast<int32_t>(all[1]->ptr()))}); },
             "keyless -> keyed");
  expect_oob([&] { all[18]->call("peek", {Value::i32(static_cast<int32_t>(all[19]->ptr()))}); },
             "keyless -> keyless");
  // Every context kept its value; the two culprits were zeroed by the replacement.
  for (int i = 0; i < 20; ++i) {
    int32_t want = (i == 0 || i == 19 || i == 18) ? 0 : 100 + i;
    EXPECT_EQ(all[i]->call("get_value")[0].as_i32(), want) << "context " << i;
  }
}

TEST_P(ContextsIsolationTest, HostFunctionsCannotReachANeighboursRegion) {
  for (bool enforce : {true, false}) {
    ContextsOptions o;
    o.enforce = enforce;
    Contexts contexts(kv_template(), o);
    auto a = contexts.open();
    auto b = contexts.open();
    a->call("update_value", {Value::i32(31)});
    b->call("update_value", {Value::i32(32)});
    // Through the host: its own region and memory outside the regions are fine...
    EXPECT_EQ(a->call("ask_host", {Value::i32(static_cast<int32_t>(a->ptr()))})[0].as_i32(), 31);
    EXPECT_EQ(a->call("ask_host", {Value::i32(0)})[0].as_i32(), 0);
    // ...a neighbour's region is refused (checked access, both modes).
    try {
      a->call("ask_host", {Value::i32(static_cast<int32_t>(b->ptr()))});
      ADD_FAILURE() << "the host read another context's region (enforce=" << enforce << ")";
    } catch (const Trap& t) {
      EXPECT_EQ(t.kind(), TrapKind::out_of_bounds);
      EXPECT_NE(std::string(t.what()).find("another context"), std::string::npos) << t.what();
    }
    EXPECT_EQ(b->call("get_value")[0].as_i32(), 32);
  }
}

TEST_P(ContextsIsolationTest, ATrapReplacesTheInstanceAndKeepsTheOtherContexts) {
  Contexts contexts(kv_template());
  auto a = contexts.open();
  auto b = contexts.open();
  a->call("update_value", {Value::i32(1)});
  b->call("update_value", {Value::i32(2)});
  EXPECT_EQ(b->call("calls")[0].as_i32(), 2);
  EXPECT_TRAP(a->call("boom"), TrapKind::unreachable);
  EXPECT_EQ(contexts.replacements(), 1u);
  EXPECT_FALSE(contexts.instance().trapped());
  EXPECT_EQ(b->call("get_value")[0].as_i32(), 2);  // carried over
  EXPECT_EQ(a->call("get_value")[0].as_i32(), 0);  // the culprit's region is zeroed
  EXPECT_EQ(b->call("calls")[0].as_i32(), 0);      // guest globals start from the snapshot
  EXPECT_TRUE(a->valid());
  // Still isolated after the replacement.
  expect_oob([&] { a->call("peek", {Value::i32(static_cast<int32_t>(b->ptr()))}); }, "after");
  EXPECT_EQ(b->call("get_value")[0].as_i32(), 2);
}

TEST_P(ContextsIsolationTest, GuestAllocatorRegions) {
  Template t = Linker().instantiate_template(compile(kAllocWat), options());
  Contexts contexts(t);  // automatic: the module exports malloc and free
  EXPECT_EQ(contexts.region_source(), "guest_allocator");
  auto a = contexts.open();
  auto b = contexts.open();
  EXPECT_GE(a->ptr(), 65536u);
  EXPECT_EQ(a->ptr() % 4096, 0u);
  EXPECT_EQ(a->call("allocs")[0].as_i32(), 2);
  a->call("update_value", {Value::i32(5)});
  b->call("update_value", {Value::i32(6)});
  EXPECT_EQ(a->call("get_value")[0].as_i32(), 5);
  expect_oob([&] { a->call("peek", {Value::i32(static_cast<int32_t>(b->ptr()))}); }, "peek");
  // That trap invalidated every guest-allocated context.
  EXPECT_FALSE(b->valid());
  EXPECT_THROW(b->call("get_value"), Error);
  // New contexts work, and a freed block comes back zeroed.
  auto c = contexts.open();
  c->call("update_value", {Value::i32(9)});
  uint32_t ptr = c->ptr();
  c.reset();
  auto d = contexts.open();
  EXPECT_EQ(d->ptr(), ptr);
  EXPECT_EQ(d->call("get_value")[0].as_i32(), 0);
}

TEST_P(ContextsIsolationTest, AHostileAllocatorCannotHandOutALiveRegionTwice) {
  // malloc always returns the same block: the second context would overlap the first.
  Template t = Linker().instantiate_template(compile(R"((module (memory (export "memory") 4)
    (func (export "malloc") (param i32) (result i32) (i32.const 70000))
    (func (export "free") (param i32))
    (func (export "get_value") (param $ctx i32) (result i32) (i32.load (local.get $ctx)))))"),
                                             options());
  Contexts contexts(t);
  auto a = contexts.open();
  try {
    auto b = contexts.open();
    FAIL() << "two contexts share a region";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("overlaps"), std::string::npos) << e.what();
  }
  EXPECT_EQ(a->call("get_value")[0].as_i32(), 0);
  EXPECT_EQ(contexts.open_contexts(), 1u);
}

TEST_P(ContextsIsolationTest, GuestAllocatorRequiredButMissingIsAClearError) {
  ContextsOptions o;
  o.regions = RegionSource::guest_allocator;
  try {
    Contexts contexts(kv_template(), o);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("malloc"), std::string::npos) << e.what();
  }
}

TEST_P(ContextsIsolationTest, SlotsAreCleanForTheNextInstanceAfterContexts) {
  // Protection keys and PROT_NONE pages must not leak into the slot's next instance.
  Template t = kv_template();
  for (int round = 0; round < 3; ++round) {
    Contexts contexts(t);
    std::vector<std::unique_ptr<Contexts::Context>> all;
    for (int i = 0; i < 18; ++i) all.push_back(contexts.open());
    all[3]->call("update_value", {Value::i32(3)});
  }
  Template plain = Linker().instantiate_template(compile(kAllocWat), options());
  for (int i = 0; i < 8; ++i) {
    Instance inst = plain.instantiate();
    inst.memory().grow(40);
    std::vector<uint8_t> ones(40 * 65536, 1);
    inst.memory().write(65536, ones);  // every page writable by host
    EXPECT_EQ(inst.call("peek", {Value::i32(0), Value::i32(65536 * 30)})[0].as_i32(),
              0x01010101);  // and by the guest
  }
}

INSTANTIATE_TEST_SUITE_P(Tiers, ContextsIsolationTest, ::testing::Values(Tier::tier0, Tier::tier1),
                         [](const auto& info) { return tier_param_name(info.param); });

}  // namespace
}  // namespace wisp::test
