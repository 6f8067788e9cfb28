// The API dynamic linking added to instances, on both tiers: host globals (wisp::Global,
// Linker::define_global) shared by the host and the modules importing them, and funcref table
// views (Instance::table: grow, set an element to a function export, bounds and ownership
// checks).
#include <gtest/gtest.h>

#include "support/fixture.hpp"

namespace wisp::test {
namespace {

class HostGlobalsTablesTest : public TierTest {};

TEST_P(HostGlobalsTablesTest, HostGlobalsAreSharedWithTheModulesImportingThem) {
  Global base(ValType::i32, false, Value::i32(1000));
  Global counter(ValType::i64, true, Value::i64(7));
  Linker linker;
  linker.define_global("env", "base", base);
  linker.define_global("env", "counter", counter);
  Instance inst = instantiate(R"((module
      (import "env" "base" (global $b i32))
      (import "env" "counter" (global $c (mut i64)))
      (memory 1)
      (data (global.get $b) "\2a")
      (func (export "at_base") (result i32) (i32.load8_u (global.get $b)))
      (func (export "bump") (global.set $c (i64.add (global.get $c) (i64.const 1))))
      (func (export "get") (result i64) (global.get $c))))",
                              linker);
  EXPECT_EQ(inst.call("at_base").at(0).as_i32(), 42);  // the data segment went to the base
  inst.call("bump");
  EXPECT_EQ(counter.get().as_i64(), 8);  // the guest's write, seen by the host
  counter.set(Value::i64(100));
  EXPECT_EQ(inst.call("get").at(0).as_i64(), 100);  // the host's write, seen by the guest
  EXPECT_FALSE(inst.resettable());                  // it imports a mutable global

  EXPECT_THROW(base.set(Value::i32(1)), Error);     // immutable
  EXPECT_THROW(counter.set(Value::i32(1)), Error);  // wrong type
  EXPECT_THROW(Global(ValType::i32, true, Value::f32(1)), Error);
  // Importers must match type and mutability exactly.
  Linker wrong;
  wrong.define_global("env", "g", base);
  EXPECT_THROW(wrong.instantiate(compile(R"((module (import "env" "g" (global (mut i32)))))")),
               LinkError);
  EXPECT_THROW(linker.define_global("env", "base", base), LinkError);  // defined twice
}

TEST_P(HostGlobalsTablesTest, TablesGrowAndTakeFunctionsOfInstancesThatImportThem) {
  Instance owner = instantiate(R"((module
      (table (export "t") 1 funcref)
      (type $ii (func (param i32) (result i32)))
      (func (export "call") (param i32 i32) (result i32)
        (call_indirect (type $ii) (local.get 1) (local.get 0)))))");
  Table table = owner.table("t");
  EXPECT_EQ(table.size(), 1u);
  EXPECT_TRUE(table.is_null(0));
  ASSERT_EQ(table.grow(2), std::optional<uint32_t>(1));
  EXPECT_EQ(table.size(), 3u);

  Linker linker;
  linker.define("env", "t", *owner.get_export("t"));
  Instance user = instantiate(R"((module
      (import "env" "t" (table 3 funcref))
      (func (export "triple") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 3)))))",
                              linker);
  table.set(2, *user.get_export("triple"));
  EXPECT_FALSE(table.is_null(2));
  EXPECT_EQ(owner.call("call", {Value::i32(2), Value::i32(14)}).at(0).as_i32(), 42);

  // Out of bounds, not a function, a function of an instance that does not import the table.
  EXPECT_TRAP(table.set(3, *user.get_export("triple")), TrapKind::out_of_bounds);
  EXPECT_THROW(table.set(0, *owner.get_export("t")), Error);
  Instance stranger = instantiate(R"((module (func (export "f") (param i32) (result i32)
      (local.get 0))))");
  EXPECT_THROW(table.set(0, *stranger.get_export("f")), Error);
  EXPECT_THROW(owner.table("call"), Error);  // not a table

  // The importer's end clears its elements: a call through one traps instead of running freed
  // code.
  user = Instance();
  EXPECT_TRUE(table.is_null(2));
  EXPECT_TRAP(owner.call("call", {Value::i32(2), Value::i32(1)}), TrapKind::indirect_call);
}

INSTANTIATE_TEST_SUITE_P(Tiers, HostGlobalsTablesTest, ::testing::Values(Tier::tier0, Tier::tier1),
                         [](const auto& info) { return tier_param_name(info.param); });

}  // namespace
}  // namespace wisp::test
