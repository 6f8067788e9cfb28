// Linker: import resolution errors, and modules linked against another instance's exports.
#include <gtest/gtest.h>

#include <string>

#include "support/fixture.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

class LinkerTest : public TierTest {
 protected:
  // The LinkError message of instantiating `wat_text` with `linker`.
  std::string link_error(const char* wat_text, const Linker& linker) {
    Module m = compile(wat_text);
    try {
      linker.instantiate_template(m, options());
    } catch (const LinkError& e) {
      return e.what();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "not a LinkError: " << e.what();
      return {};
    }
    ADD_FAILURE() << "linked";
    return {};
  }
};

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

TEST_P(LinkerTest, MissingImportNamesModuleAndField) {
  std::string msg = link_error(
      R"((module (import "wasi_snapshot_preview1" "fd_write"
                   (func (param i32 i32 i32 i32) (result i32)))))",
      Linker());
  EXPECT_TRUE(contains(msg, "wasi_snapshot_preview1")) << msg;
  EXPECT_TRUE(contains(msg, "fd_write")) << msg;
}

TEST_P(LinkerTest, MistypedFunctionNamesBothTypes) {
  Linker linker;
  linker.func_wrap("env", "f", [](int32_t x) { return x; });
  std::string msg = link_error(R"((module (import "env" "f" (func (param i64)))))", linker);
  EXPECT_TRUE(contains(msg, "env")) << msg;
  EXPECT_TRUE(contains(msg, FuncType{{ValType::i64}, {}}.to_string())) << msg;
  EXPECT_TRUE(contains(msg, FuncType{{ValType::i32}, {ValType::i32}}.to_string())) << msg;
}

TEST_P(LinkerTest, WrongKindOrShapeIsALinkError) {
  Instance provider = instantiate(R"((module
    (func (export "fn"))
    (memory (export "mem") 1)
    (table (export "tab") 2 funcref)
    (global (export "g") i32 (i32.const 1))
    (global (export "gm") (mut i32) (i32.const 1))))");
  Linker linker;
  linker.define_instance("p", provider);
  link_error(R"((module (import "p" "fn" (memory 1))))", linker);
  link_error(R"((module (import "p" "mem" (func))))", linker);
  link_error(R"((module (import "p" "mem" (memory 2))))", linker);         // too small
  link_error(R"((module (import "p" "mem" (memory 1 1))))", linker);       // provider allows 10
  link_error(R"((module (import "p" "tab" (table 3 funcref))))", linker);  // too small
  link_error(R"((module (import "p" "tab" (table 1 externref))))", linker);
  link_error(R"((module (import "p" "g" (global (mut i32)))))", linker);  // mutability
  link_error(R"((module (import "p" "gm" (global i32))))", linker);
  link_error(R"((module (import "p" "g" (global i64))))", linker);
  // Subtyping that is allowed: a smaller declared minimum.
  EXPECT_NO_THROW(
      linker.instantiate(compile(R"((module (import "p" "tab" (table 1 funcref))))"), options()));
}

TEST_P(LinkerTest, DuplicateDefinitions) {
  Linker linker;
  linker.func_wrap("env", "f", []() {});
  EXPECT_THROW(linker.func_wrap("env", "f", []() {}), LinkError);
  linker.allow_shadowing(true);
  linker.func_wrap("env", "f", []() { return int32_t{2}; });
  Instance inst = instantiate(R"((module (import "env" "f" (func $f (result i32)))
                                   (func (export "g") (result i32) (call $f))))",
                              linker);
  EXPECT_EQ(inst.call("g")[0], Value::i32(2));
}

constexpr const char* kProviderWat = R"((module
  (type $i_i (func (param i32) (result i32)))
  (memory (export "mem") 1 10)
  (table (export "tab") 4 funcref)
  (global (export "counter") (mut i32) (i32.const 10))
  (func $double (export "double") (type $i_i) (i32.mul (local.get 0) (i32.const 2)))
  (elem (i32.const 0) $double)
  (func (export "peek") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "poke") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "bump") (global.set 0 (i32.add (global.get 0) (i32.const 1))))
  (func (export "call_slot") (param i32 i32) (result i32)
    (call_indirect (type $i_i) (local.get 1) (local.get 0)))
  (func (export "size") (result i32) (memory.size))))";

constexpr const char* kConsumerWat = R"((module
  (type $i_i (func (param i32) (result i32)))
  (import "p" "double" (func $double (param i32) (result i32)))
  (import "p" "mem" (memory 1))
  (import "p" "tab" (table 4 funcref))
  (import "p" "counter" (global $counter (mut i32)))
  (func $triple (type $i_i) (i32.mul (local.get 0) (i32.const 3)))
  (elem (i32.const 1) $triple)
  (func (export "quad") (param i32) (result i32) (call $double (call $double (local.get 0))))
  (func (export "peek") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "poke") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "get_counter") (result i32) (global.get $counter))
  (func (export "set_counter") (param i32) (global.set $counter (local.get 0)))
  (func (export "call_slot") (param i32 i32) (result i32)
    (call_indirect (type $i_i) (local.get 1) (local.get 0)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))))";

class SharedInstanceTest : public TierTest {
 protected:
  void SetUp() override {
    provider_ = instantiate(kProviderWat);
    Linker linker;
    linker.define_instance("p", provider_);
    consumer_ = instantiate(kConsumerWat, linker);
  }
  Instance provider_;
  Instance consumer_;
};

TEST_P(SharedInstanceTest, Functions) {
  EXPECT_EQ(consumer_.call("quad", {Value::i32(5)})[0], Value::i32(20));
}

TEST_P(SharedInstanceTest, MemoryIsSharedBothWays) {
  consumer_.call("poke", {Value::i32(128), Value::i32(1234)});
  EXPECT_EQ(provider_.call("peek", {Value::i32(128)})[0], Value::i32(1234));
  provider_.call("poke", {Value::i32(256), Value::i32(-7)});
  EXPECT_EQ(consumer_.call("peek", {Value::i32(256)})[0], Value::i32(-7));
  EXPECT_EQ(provider_.memory().load<int32_t>(128), 1234);
  // Growth by one is seen by the other, and by host views of both.
  EXPECT_EQ(consumer_.call("grow", {Value::i32(2)})[0], Value::i32(1));
  EXPECT_EQ(provider_.call("size")[0], Value::i32(3));
  EXPECT_EQ(provider_.memory().pages(), 3u);
  provider_.call("poke", {Value::i32(2 * 65536 + 4), Value::i32(99)});
  EXPECT_EQ(consumer_.call("peek", {Value::i32(2 * 65536 + 4)})[0], Value::i32(99));
}

TEST_P(SharedInstanceTest, GlobalIsSharedBothWays) {
  EXPECT_EQ(consumer_.call("get_counter")[0], Value::i32(10));
  provider_.call("bump");
  EXPECT_EQ(consumer_.call("get_counter")[0], Value::i32(11));
  consumer_.call("set_counter", {Value::i32(50)});
  EXPECT_EQ(provider_.global_get("counter"), Value::i32(50));
  provider_.global_set("counter", Value::i32(60));
  EXPECT_EQ(consumer_.call("get_counter")[0], Value::i32(60));
}

TEST_P(SharedInstanceTest, TableIsSharedBothWays) {
  // Slot 0: the provider's $double; slot 1: the consumer's $triple (its element segment).
  EXPECT_EQ(consumer_.call("call_slot", {Value::i32(0), Value::i32(4)})[0], Value::i32(8));
  EXPECT_EQ(provider_.call("call_slot", {Value::i32(1), Value::i32(4)})[0], Value::i32(12));
  EXPECT_TRAP(provider_.call("call_slot", {Value::i32(2), Value::i32(4)}), TrapKind::indirect_call);
}

// The consumer keeps what it imported alive after the provider's handle and the linker are gone.
TEST_P(SharedInstanceTest, ImportsOutliveTheProviderHandle) {
  Linker linker;
  linker.define_instance("p", provider_);
  Instance consumer = linker.instantiate(compile(kConsumerWat), options());
  provider_ = Instance();
  consumer_ = Instance();
  linker = Linker();
  consumer.call("poke", {Value::i32(16), Value::i32(5)});
  EXPECT_EQ(consumer.call("peek", {Value::i32(16)})[0], Value::i32(5));
  EXPECT_EQ(consumer.call("quad", {Value::i32(3)})[0], Value::i32(12));
  EXPECT_EQ(consumer.call("call_slot", {Value::i32(0), Value::i32(1)})[0], Value::i32(2));
}

TEST_P(SharedInstanceTest, TrapInAnImportedFunction) {
  Linker linker;
  linker.define_instance("p", provider_);
  Instance caller = instantiate(R"((module
    (import "p" "call_slot" (func $slot (param i32 i32) (result i32)))
    (func (export "run") (param i32) (result i32) (call $slot (local.get 0) (i32.const 1)))))",
                                linker);
  EXPECT_EQ(caller.call("run", {Value::i32(0)})[0], Value::i32(2));
  EXPECT_TRAP(caller.call("run", {Value::i32(3)}), TrapKind::indirect_call);  // null slot
  EXPECT_TRUE(caller.trapped());
  EXPECT_EQ(caller.call("run", {Value::i32(0)})[0], Value::i32(2));
  EXPECT_EQ(provider_.call("call_slot", {Value::i32(0), Value::i32(5)})[0], Value::i32(10));
}

TEST_P(SharedInstanceTest, DefineSingleExterns) {
  std::optional<Extern> mem = provider_.get_export("mem");
  ASSERT_TRUE(mem.has_value());
  EXPECT_EQ(mem->kind, ExternKind::memory);
  EXPECT_FALSE(provider_.get_export("nope").has_value());
  Linker linker;
  linker.define("env", "memory", *mem);
  Instance reader = instantiate(R"((module (import "env" "memory" (memory 1))
      (func (export "peek") (param i32) (result i32) (i32.load (local.get 0)))))",
                                linker);
  provider_.call("poke", {Value::i32(8), Value::i32(77)});
  EXPECT_EQ(reader.call("peek", {Value::i32(8)})[0], Value::i32(77));
}

TEST_P(LinkerTest, TemplateInstancesAreIndependent) {
  Template t = Linker().instantiate_template(compile(kProviderWat), options());
  EXPECT_EQ(t.options().tier, tier());
  EXPECT_TRUE(t.module().find_export("double").has_value());
  Instance a = t.instantiate();
  Instance b = t.instantiate();
  a.call("poke", {Value::i32(0), Value::i32(1)});
  a.call("bump");
  EXPECT_EQ(b.call("peek", {Value::i32(0)})[0], Value::i32(0));
  EXPECT_EQ(b.global_get("counter"), Value::i32(10));
  EXPECT_EQ(a.global_get("counter"), Value::i32(11));
}

// A module that wrote its own function into an imported table, then went away: calling that
// entry must trap (uninitialized element), never run freed code.
TEST_P(LinkerTest, DeadInstanceFuncrefsAreClearedFromImportedTables) {
  Instance owner = instantiate(R"((module (table (export "tab") 4 funcref)
      (func (export "call") (param i32) (result i32) (call_indirect (result i32) (local.get 0)))))");
  Linker linker;
  linker.define_instance("owner", owner);
  {
    Instance writer = instantiate(R"((module (import "owner" "tab" (table 4 funcref))
        (func $seven (result i32) (i32.const 7))
        (elem (i32.const 1) $seven)
        (func (export "put") (table.set 0 (i32.const 2) (ref.func $seven)))
        (elem declare func $seven)))",
                                  linker);
    writer.call("put");
    EXPECT_EQ(owner.call("call", {Value::i32(1)})[0], Value::i32(7));
    EXPECT_EQ(owner.call("call", {Value::i32(2)})[0], Value::i32(7));
  }
  EXPECT_TRAP(owner.call("call", {Value::i32(1)}), TrapKind::indirect_call);
  EXPECT_TRAP(owner.call("call", {Value::i32(2)}), TrapKind::indirect_call);
}

// Spec store semantics: a module whose instantiation failed after its element segments wrote
// into an imported table stays callable through that table.
TEST_P(LinkerTest, FailedInstantiationKeepsItsTableEntriesCallable) {
  Instance owner = instantiate(R"((module (table (export "tab") 4 funcref)
      (func (export "call") (param i32) (result i32) (call_indirect (result i32) (local.get 0)))))");
  Linker linker;
  linker.define_instance("owner", owner);
  EXPECT_TRAP(linker.instantiate(compile(R"((module (import "owner" "tab" (table 4 funcref))
      (func $five (result i32) (i32.const 5))
      (elem (i32.const 0) $five)
      (elem (i32.const 3) $five $five)))"),
                                 options()),
              TrapKind::out_of_bounds);
  EXPECT_EQ(owner.call("call", {Value::i32(0)})[0], Value::i32(5));
}

// An instance on one tier calling a function of an instance on the other: multi-value results
// cross from libtcc's code to cc's and back (a struct mixing float and integer results was
// returned in different registers by the two compilers).
TEST(CrossTierLinkTest, MultiValueResultsCrossTiers) {
  TempDir cache;
  Engine engine(engine_config(Tier::tier1, cache.path()));
  Module provider = engine.compile(wat(R"((module
      (func (export "swap") (param i64 f64) (result f64 i64) (local.get 1) (local.get 0))
      (func (export "mixed") (result i32 f32 i64) (i32.const 3) (f32.const 0.5) (i64.const -4))
      (func (export "pair") (result f32 f64) (f32.const 1.5) (f64.const 2.5))))"));
  Module caller = engine.compile(wat(R"((module
      (import "p" "swap" (func $swap (param i64 f64) (result f64 i64)))
      (import "p" "mixed" (func $mixed (result i32 f32 i64)))
      (import "p" "pair" (func $pair (result f32 f64)))
      (func (export "swap") (param i64 f64) (result f64 i64) (call $swap (local.get 0) (local.get 1)))
      (func (export "mixed") (result i32 f32 i64) (call $mixed))
      (func (export "pair") (result f32 f64) (call $pair))))"));
  for (Tier provider_tier : {Tier::tier0, Tier::tier1}) {
    for (Tier caller_tier : {Tier::tier0, Tier::tier1}) {
      SCOPED_TRACE(std::string(tier_name(provider_tier)) + " called from " +
                   tier_name(caller_tier));
      TemplateOptions po, co;
      po.tier = provider_tier;
      co.tier = caller_tier;
      Instance p = Linker().instantiate(provider, po);
      Linker linker;
      linker.define_instance("p", p);
      Instance c = linker.instantiate(caller, co);
      ASSERT_EQ(p.tier(), provider_tier);
      ASSERT_EQ(c.tier(), caller_tier);
      EXPECT_EQ(c.call("swap", {Value::i64(7), Value::f64(2.5)}),
                (std::vector<Value>{Value::f64(2.5), Value::i64(7)}));
      EXPECT_EQ(c.call("mixed"),
                (std::vector<Value>{Value::i32(3), Value::f32(0.5f), Value::i64(-4)}));
      EXPECT_EQ(c.call("pair"), (std::vector<Value>{Value::f32(1.5f), Value::f64(2.5)}));
    }
  }
}

WISP_INSTANTIATE_TIERS(LinkerTest);
WISP_INSTANTIATE_TIERS(SharedInstanceTest);

}  // namespace
}  // namespace wisp::test
