// Feature gate: unsupported proposals fail naming the feature; supported ones are reported and run.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "support/fixture.hpp"
#include "support/wat.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

struct UnsupportedCase {
  const char* name;
  const char* wat;
  std::vector<std::string> any_of;   // the message names the feature with one of these words
  const char* turned_off = nullptr;  // a proposal wisp runs, turned off in EngineConfig
};

std::vector<UnsupportedCase> unsupported_cases() {
  return {
      {"simd",
       R"((module (func (export "f") (result i32)
                    (i32x4.extract_lane 0 (v128.const i32x4 1 2 3 4)))))",
       {"simd", "v128"},
       "simd"},
      {"simd_unused_function",
       R"((module (func (drop (v128.const i64x2 0 0)))))",
       {"simd", "v128"},
       "simd"},
      {"simd_global", R"((module (global v128 (v128.const i64x2 0 0))))", {"simd", "v128"}, "simd"},
      {"relaxed_simd",
       R"((module (func (export "f") (param v128 v128) (result v128)
                    (i8x16.relaxed_swizzle (local.get 0) (local.get 1)))))",
       {"relaxed-simd", "relaxed simd", "relaxed_simd"},
       "relaxed-simd"},
      {"threads_atomics",
       R"((module (memory 1 1 shared)
                            (func (export "f") (result i32) (i32.atomic.load (i32.const 0)))))",
       {"thread", "atomic", "shared"},
       "threads"},
      {"threads_shared_memory",
       R"((module (memory 1 1 shared)))",
       {"thread", "atomic", "shared"},
       "threads"},
      {"threads_atomic_on_unshared",
       R"((module (memory 1)
                (func (export "f") (result i32)
                  (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))))",
       {"thread", "atomic"},
       "threads"},
      {"tail_call",
       R"((module (func $f (export "f") (result i32) (return_call $f))))",
       {"tail"},
       "tail-call"},
      {"tail_call_indirect",
       R"((module (type $t (func)) (table 1 funcref)
                               (func (return_call_indirect (type $t) (i32.const 0)))))",
       {"tail"},
       "tail-call"},
      {"memory64", R"((module (memory i64 1)))", {"memory64", "memory 64", "64-bit"}, "memory64"},
      {"extended_const",
       R"((module (global (export "g") i32 (i32.add (i32.const 1) (i32.const 2)))))",
       {"extended-const", "extended const", "extended_const"},
       "extended-const"},
      {"multi_memory",
       R"((module (memory 1) (memory 1)))",
       {"multi-memory", "multi memory", "multiple memories", "multi_memory"},
       "multi-memory"},
  };
}

class UnsupportedFeatureTest : public ::testing::TestWithParam<UnsupportedCase> {
 protected:
  TempDir cache_;
};

TEST_P(UnsupportedFeatureTest, IsACompileErrorNamingTheFeature) {
  const UnsupportedCase& c = GetParam();
  EngineConfig config = engine_config(Tier::tier0, cache_.path());
  if (c.turned_off) {
    ASSERT_TRUE(config.proposals.set(c.turned_off, false));
  }
  Engine engine(config);
  std::vector<uint8_t> bytes = wat(c.wat);
  try {
    engine.compile(bytes);
    FAIL() << c.name << " module compiled";
  } catch (const CompileError& e) {
    std::string msg = lower(e.message());
    bool named = std::any_of(c.any_of.begin(), c.any_of.end(), [&](const std::string& w) {
      return msg.find(w) != std::string::npos;
    });
    EXPECT_TRUE(named) << "message does not name the feature: " << e.message();
  } catch (const std::exception& e) {
    FAIL() << "not a CompileError: " << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(Proposals, UnsupportedFeatureTest,
                         ::testing::ValuesIn(unsupported_cases()),
                         [](const auto& info) { return std::string(info.param.name); });

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

class FeaturesTest : public TierTest {};

TEST_P(FeaturesTest, MvpModuleReportsNoFeatures) {
  Module m = compile(R"((module (func (export "add") (param i32 i32) (result i32)
                          (i32.add (local.get 0) (local.get 1)))))");
  EXPECT_TRUE(m.features().empty()) << "first: " << m.features().front();
}

TEST_P(FeaturesTest, MultiValueIsReportedAndWorks) {
  Module m = compile(R"((module (func (export "swap") (param i32 i64) (result i64 i32)
                          (local.get 1) (local.get 0))))");
  EXPECT_TRUE(has(m.features(), "multi-value"));
  Instance inst = Linker().instantiate(m, options());
  std::vector<Value> r = inst.call("swap", {Value::i32(-5), Value::i64(1LL << 40)});
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0], Value::i64(1LL << 40));
  EXPECT_EQ(r[1], Value::i32(-5));
}

TEST_P(FeaturesTest, BulkMemoryIsReportedAndWorks) {
  Module m = compile(R"((module (memory (export "memory") 1)
    (data $d "abcdef")
    (func (export "run")
      (memory.fill (i32.const 100) (i32.const 0x2a) (i32.const 8))
      (memory.copy (i32.const 200) (i32.const 100) (i32.const 4))
      (memory.init $d (i32.const 300) (i32.const 1) (i32.const 3))
      (data.drop $d))
    (func (export "fill_oob") (memory.fill (i32.const 65530) (i32.const 1) (i32.const 7)))))");
  EXPECT_TRUE(has(m.features(), "bulk-memory"));
  Instance inst = Linker().instantiate(m, options());
  inst.call("run");
  Memory mem = inst.memory();
  EXPECT_EQ(mem.read(100, 9), std::vector<uint8_t>({42, 42, 42, 42, 42, 42, 42, 42, 0}));
  EXPECT_EQ(mem.read(200, 5), std::vector<uint8_t>({42, 42, 42, 42, 0}));
  EXPECT_EQ(mem.read_string(300, 3), "bcd");
  // An out-of-bounds fill traps before writing anything.
  EXPECT_TRAP(inst.call("fill_oob"), TrapKind::out_of_bounds);
  EXPECT_EQ(mem.read(65530, 6), std::vector<uint8_t>(6, 0));
}

TEST_P(FeaturesTest, ReferenceTypesAreReportedAndWork) {
  Module m = compile(R"((module
    (table $t (export "refs") 4 externref)
    (func (export "put") (param i32 externref) (table.set $t (local.get 0) (local.get 1)))
    (func (export "get") (param i32) (result externref) (table.get $t (local.get 0)))
    (func (export "is_null") (param externref) (result i32) (ref.is_null (local.get 0)))))");
  EXPECT_TRUE(has(m.features(), "reference-types"));
  Instance inst = Linker().instantiate(m, options());
  int host_object = 0;
  inst.call("put", {Value::i32(2), Value::externref(&host_object)});
  std::vector<Value> r = inst.call("get", {Value::i32(2)});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].type(), ValType::externref);
  EXPECT_EQ(r[0].as_externref(), &host_object);
  EXPECT_EQ(inst.call("is_null", {Value::null_of(ValType::externref)})[0], Value::i32(1));
  EXPECT_EQ(inst.call("is_null", {Value::externref(&host_object)})[0], Value::i32(0));
  EXPECT_TRUE(inst.call("get", {Value::i32(0)})[0].is_null_ref());
  EXPECT_TRAP(inst.call("get", {Value::i32(4)}), TrapKind::out_of_bounds);
}

// Exception handling: either supported (try/catch work, an uncaught throw is
// Trap(uncaught_exception)) or rejected with a CompileError naming the feature.
TEST_P(FeaturesTest, ExceptionsAreReportedAndWork) {
  Module m = compile(R"((module
    (tag $e (param i32))
    (func $throw (export "throw") (param i32) (throw $e (local.get 0)))
    (func (export "catch") (param i32) (result i32)
      (try (result i32)
        (do (call $throw (local.get 0)) (i32.const -1))
        (catch $e (i32.add (i32.const 1)))))
    (func (export "ok") (result i32) (i32.const 7))))");
  EXPECT_TRUE(has(m.features(), "exceptions"));
  Instance inst = Linker().instantiate(m, options());
  EXPECT_EQ(inst.call("catch", {Value::i32(41)})[0], Value::i32(42));
  EXPECT_TRAP(inst.call("throw", {Value::i32(1)}), TrapKind::uncaught_exception);
  EXPECT_EQ(inst.call("ok")[0], Value::i32(7));
}

// extended-const: add/sub/mul of constants and imported globals in global initialisers, data
// and element segment offsets.
TEST_P(FeaturesTest, ExtendedConstantExpressionsAreReportedAndWork) {
  Module m = compile(R"((module
    (import "env" "base" (global $base i32))
    (memory (export "memory") 1)
    (table 8 funcref)
    (global (export "g") i32 (i32.sub (i32.mul (global.get $base) (i32.const 3)) (i32.const 1)))
    (global (export "wide") i64 (i64.add (i64.const 0x100000000) (i64.const -1)))
    (data (i32.add (global.get $base) (i32.const 96)) "hi")
    (elem (i32.sub (global.get $base) (i32.const 98)) $seven)
    (func $seven (result i32) (i32.const 7))
    (func (export "call") (param i32) (result i32) (call_indirect (result i32) (local.get 0)))))");
  EXPECT_TRUE(has(m.features(), "extended-const"));
  Linker linker;
  Instance env = Linker().instantiate(
      compile(R"((module (global (export "base") i32 (i32.const 100))))"), options());
  linker.define_instance("env", env);
  Instance inst = linker.instantiate(m, options());
  EXPECT_EQ(inst.global_get("g"), Value::i32(299));
  EXPECT_EQ(inst.global_get("wide"), Value::i64(0xffffffffLL));
  EXPECT_EQ(inst.memory().read_string(196, 2), "hi");
  EXPECT_EQ(inst.call("call", {Value::i32(2)})[0], Value::i32(7));
  // A data offset that wraps around to past the memory traps at instantiation.
  Module wraps = compile(R"((module (import "env" "base" (global i32)) (memory 1)
    (data (i32.mul (global.get 0) (i32.const 0x10000)) "x")))");
  EXPECT_TRAP(linker.instantiate(wraps, options()), TrapKind::out_of_bounds);
}

// Tail calls: chains of any length in constant stack (direct, indirect, mutual), multi-value
// and many-parameter signatures, and callees that have no tail variant here (an import, a
// function of another instance), which are called and returned from.
TEST_P(FeaturesTest, TailCallsRunInConstantStack) {
  Module lib = compile(R"((module
    (func (export "twice") (param i64) (result i64) (i64.mul (local.get 0) (i64.const 2)))))");
  Instance other = Linker().instantiate(lib, options());
  Linker linker;
  linker.define_instance("lib", other);
  Module m = compile(R"((module
    (import "lib" "twice" (func $twice (param i64) (result i64)))
    (type $ll (func (param i64 i64) (result i64)))
    (table $t 4 funcref)
    (elem (table $t) (i32.const 0) func $sum $even $odd)
    (func $sum (param $n i64) (param $acc i64) (result i64)
      (if (i64.eqz (local.get $n)) (then (return (local.get $acc))))
      (return_call_indirect $t (type $ll)
        (i64.sub (local.get $n) (i64.const 1)) (i64.add (local.get $acc) (local.get $n))
        (i32.const 0)))
    (func $even (param $n i64) (param $x i64) (result i64)
      (if (i64.eqz (local.get $n)) (then (return (i64.const 1))))
      (return_call $odd (i64.sub (local.get $n) (i64.const 1)) (local.get $x)))
    (func $odd (param $n i64) (param $x i64) (result i64)
      (if (i64.eqz (local.get $n)) (then (return (i64.const 0))))
      (return_call $even (i64.sub (local.get $n) (i64.const 1)) (local.get $x)))
    (func (export "sum") (param i64) (result i64) (return_call $sum (local.get 0) (i64.const 0)))
    (func (export "even") (param i64) (result i64) (return_call $even (local.get 0) (i64.const 0)))
    (func $swap (param i32 f64 i32) (result f64 i32 i32)
      (if (i32.eqz (local.get 0)) (then (return (local.get 1) (local.get 2) (local.get 0))))
      (return_call $swap (i32.sub (local.get 0) (i32.const 1)) (local.get 1) (local.get 2)))
    (func (export "swap") (param i32) (result f64 i32 i32)
      (return_call $swap (local.get 0) (f64.const 2.5) (i32.const 9)))
    (func $wide (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)
                (result i32)
      (if (i32.eqz (local.get 0)) (then (return (i32.add (local.get 1) (local.get 17)))))
      (return_call $wide (i32.sub (local.get 0) (i32.const 1)) (i32.add (local.get 1) (i32.const 1))
        (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
        (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
        (i32.const 0) (i32.const 0) (i32.const 0) (local.get 17)))
    (func (export "wide") (param i32) (result i32)
      (return_call $wide (local.get 0) (i32.const 0)
        (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
        (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
        (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 1000)))
    (func (export "to_import") (param i64) (result i64) (return_call $twice (local.get 0)))
    (func (export "to_other_instance") (param funcref i64) (result i64)
      (table.set $t (i32.const 3) (local.get 0))
      (return_call_indirect $t (type $ll) (local.get 1) (i64.const 0) (i32.const 3)))
    (func (export "plain") (param i64) (result i64) (call $twice (local.get 0)))
    (func $recurse (export "recurse") (param i64) (result i64)
      (i64.add (i64.const 1) (call $recurse (local.get 0))))))");
  EXPECT_TRUE(has(m.features(), "tail-call"));
  Instance inst = linker.instantiate(m, options());
  // A million tail calls of each kind: a stack frame each would exhaust the stack.
  EXPECT_EQ(inst.call("sum", {Value::i64(1000000)})[0], Value::i64(500000500000LL));
  EXPECT_EQ(inst.call("even", {Value::i64(1000001)})[0], Value::i64(0));
  EXPECT_EQ(inst.call("even", {Value::i64(1000000)})[0], Value::i64(1));
  std::vector<Value> r = inst.call("swap", {Value::i32(100000)});
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0], Value::f64(2.5));
  EXPECT_EQ(r[1], Value::i32(9));
  EXPECT_EQ(r[2], Value::i32(0));
  EXPECT_EQ(inst.call("wide", {Value::i32(200000)})[0], Value::i32(201000));
  EXPECT_EQ(inst.call("to_import", {Value::i64(21)})[0], Value::i64(42));
  // A function of another instance, reached through a table: called there, and returned from.
  Module adder = compile(R"((module (elem declare func $add)
    (func $add (param i64 i64) (result i64) (i64.add (local.get 0) (i64.const 5)))
    (func (export "ref") (result funcref) (ref.func $add))))");
  Instance add_inst = Linker().instantiate(adder, options());
  Value add_ref = add_inst.call("ref")[0];
  EXPECT_EQ(inst.call("to_other_instance", {add_ref, Value::i64(37)})[0], Value::i64(42));
  // Ordinary recursion still ends in stack_exhausted, and the instance stays usable.
  EXPECT_TRAP(inst.call("recurse", {Value::i64(0)}), TrapKind::stack_exhausted);
  EXPECT_EQ(inst.call("sum", {Value::i64(10)})[0], Value::i64(55));
}

// memory64: i64 addresses, sizes and deltas; accesses past 4 GiB (address or offset) trap; bulk
// operators take i64 operands; data offsets are i64.
TEST_P(FeaturesTest, Memory64AddressesAreCheckedAndWork) {
  Module m = compile(R"((module
    (import "env" "base" (global $base i64))
    (memory (export "memory") i64 1 3)
    (data (i64.add (global.get $base) (i64.const 16)) "abc")
    (data (i64.const 100) "xyz")
    (data $p "passive")
    (func (export "load") (param i64) (result i32) (i32.load8_u (local.get 0)))
    (func (export "load_far") (param i64) (result i64) (i64.load offset=0xffffffff (local.get 0)))
    (func (export "store") (param i64 i64) (i64.store offset=8 (local.get 0) (local.get 1)))
    (func (export "size") (result i64) (memory.size))
    (func (export "grow") (param i64) (result i64) (memory.grow (local.get 0)))
    (func (export "fill") (param i64 i32 i64) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
    (func (export "copy") (param i64 i64 i64) (memory.copy (local.get 0) (local.get 1) (local.get 2)))
    (func (export "init") (param i64 i32 i32) (memory.init $p (local.get 0) (local.get 1) (local.get 2)))))");
  EXPECT_TRUE(has(m.features(), "memory64"));
  ASSERT_TRUE(m.find_export("memory").has_value());
  EXPECT_TRUE(m.find_export("memory")->type.memory.is64);
  Linker linker;
  Instance env = Linker().instantiate(
      compile(R"((module (global (export "base") i64 (i64.const 1000))))"), options());
  linker.define_instance("env", env);
  Instance inst = linker.instantiate(m, options());
  EXPECT_EQ(inst.memory().read_string(1016, 3), "abc");
  EXPECT_EQ(inst.call("load", {Value::i64(101)})[0], Value::i32('y'));
  EXPECT_TRAP(inst.call("load", {Value::i64(65536)}), TrapKind::out_of_bounds);
  EXPECT_TRAP(inst.call("load", {Value::i64(1LL << 32)}), TrapKind::out_of_bounds);
  EXPECT_TRAP(inst.call("load", {Value::i64(-1)}), TrapKind::out_of_bounds);
  EXPECT_TRAP(inst.call("load_far", {Value::i64(0)}), TrapKind::out_of_bounds);  // the guard
  EXPECT_TRAP(inst.call("load_far", {Value::i64(1)}), TrapKind::out_of_bounds);  // 4 GiB
  inst.call("store", {Value::i64(200), Value::i64(0x0102030405060708LL)});
  EXPECT_EQ(inst.memory().read(208, 2), std::vector<uint8_t>({8, 7}));
  EXPECT_TRAP(inst.call("store", {Value::i64(65528), Value::i64(1)}), TrapKind::out_of_bounds);
  EXPECT_EQ(inst.call("size")[0], Value::i64(1));
  EXPECT_EQ(inst.call("grow", {Value::i64(1LL << 32)})[0], Value::i64(-1));
  EXPECT_EQ(inst.call("grow", {Value::i64(3)})[0], Value::i64(-1));  // past the maximum
  EXPECT_EQ(inst.call("grow", {Value::i64(2)})[0], Value::i64(1));
  EXPECT_EQ(inst.call("size")[0], Value::i64(3));
  inst.call("fill", {Value::i64(300), Value::i32('q'), Value::i64(4)});
  EXPECT_EQ(inst.memory().read_string(300, 4), "qqqq");
  EXPECT_TRAP(inst.call("fill", {Value::i64(1LL << 32), Value::i32(0), Value::i64(0)}),
              TrapKind::out_of_bounds);
  inst.call("copy", {Value::i64(400), Value::i64(1016), Value::i64(3)});
  EXPECT_EQ(inst.memory().read_string(400, 3), "abc");
  EXPECT_TRAP(inst.call("copy", {Value::i64(0), Value::i64(-2), Value::i64(4)}),
              TrapKind::out_of_bounds);
  inst.call("init", {Value::i64(500), Value::i32(2), Value::i32(3)});
  EXPECT_EQ(inst.memory().read_string(500, 3), "ssi");
  EXPECT_TRAP(inst.call("init", {Value::i64(1LL << 33), Value::i32(0), Value::i32(1)}),
              TrapKind::out_of_bounds);
  // A 32-bit memory does not satisfy a 64-bit memory import.
  Module wants64 = compile(R"((module (import "env" "mem" (memory i64 1))))");
  Instance has32 =
      Linker().instantiate(compile(R"((module (memory (export "mem") 1)))"), options());
  Linker l2;
  l2.define_instance("env", has32);
  EXPECT_THROW(l2.instantiate(wants64, options()), LinkError);
}

// multi-memory: loads, stores, data segments, grow and copy per memory; instances of one
// template never share a memory (snapshots of several memories: tests/snapshot/multi_memory_*).
TEST_P(FeaturesTest, MultipleMemoriesAreApartAndWork) {
  Module m = compile(R"((module
    (memory $a (export "a") 1)
    (memory $b (export "b") 1 4)
    (data (memory $b) (i32.const 8) "memory b")
    (data (memory $a) (i32.const 8) "memory a")
    (func (export "load_b") (param i32) (result i32) (i32.load8_u $b (local.get 0)))
    (func (export "store_b") (param i32 i32) (i32.store8 $b (local.get 0) (local.get 1)))
    (func (export "grow_b") (param i32) (result i32) (memory.grow $b (local.get 0)))
    (func (export "size_a") (result i32) (memory.size $a))
    (func (export "copy_b_to_a") (param i32 i32 i32)
      (memory.copy $a $b (local.get 0) (local.get 1) (local.get 2)))))");
  EXPECT_TRUE(has(m.features(), "multi-memory"));
  Template t = Linker().instantiate_template(m, options());
  EXPECT_EQ(t.snapshot_info().memories, 2u);
  Instance one = t.instantiate();
  Instance two = t.instantiate();
  EXPECT_EQ(one.memory("a").read_string(8, 8), "memory a");
  EXPECT_EQ(one.memory("b").read_string(8, 8), "memory b");
  EXPECT_EQ(one.call("load_b", {Value::i32(15)})[0], Value::i32('b'));
  one.call("store_b", {Value::i32(100), Value::i32(42)});
  EXPECT_EQ(one.call("load_b", {Value::i32(100)})[0], Value::i32(42));
  EXPECT_EQ(two.call("load_b", {Value::i32(100)})[0], Value::i32(0));  // its own memory b
  EXPECT_EQ(one.memory("a").read(100, 1), std::vector<uint8_t>{0});
  EXPECT_EQ(one.call("grow_b", {Value::i32(2)})[0], Value::i32(1));
  EXPECT_EQ(one.call("grow_b", {Value::i32(2)})[0], Value::i32(-1));  // past b's maximum
  EXPECT_EQ(one.call("size_a")[0], Value::i32(1));
  EXPECT_EQ(two.memory("b").pages(), 1u);
  one.call("copy_b_to_a", {Value::i32(200), Value::i32(8), Value::i32(8)});
  EXPECT_EQ(one.memory("a").read_string(200, 8), "memory b");
  EXPECT_TRAP(one.call("load_b", {Value::i32(3 * 65536)}), TrapKind::out_of_bounds);
  EXPECT_TRAP(one.call("copy_b_to_a", {Value::i32(65535), Value::i32(0), Value::i32(2)}),
              TrapKind::out_of_bounds);
}

TEST_P(FeaturesTest, SimdValuesCrossEveryBoundary) {
  // v128 through the C++ API (params, results, multi-value, globals), locals, select, memory,
  // a host function, and a tail call's argument buffer.
  Linker linker;
  linker.define_func("host", "swap_halves", FuncType{{ValType::v128}, {ValType::v128}},
                     [](Caller&, std::span<const Value> args, std::span<Value> results) {
                       V128 in = args[0].as_v128();
                       results[0] = Value::v128(V128::from_halves(in.hi(), in.lo()));
                     });
  Instance inst = instantiate(R"((module
    (import "host" "swap_halves" (func $swap (param v128) (result v128)))
    (memory (export "memory") 1)
    (global $g (export "g") (mut v128) (v128.const i32x4 1 2 3 4))
    (func (export "add") (param v128 v128) (result v128) (i32x4.add (local.get 0) (local.get 1)))
    (func (export "pick") (param v128 v128 i32) (result v128)
      (select (local.get 0) (local.get 1) (local.get 2)))
    (func (export "two") (param v128) (result v128 i32 v128)
      (local v128)
      (local.set 1 (i8x16.splat (i32.const 7)))
      (local.get 0) (i32x4.extract_lane 3 (local.get 0)) (local.get 1))
    (func (export "swap") (param v128) (result v128) (call $swap (local.get 0)))
    (func (export "global_plus") (param v128) (result v128)
      (global.set $g (i64x2.add (global.get $g) (local.get 0)))
      (global.get $g))
    (func (export "roundtrip") (param i32 v128) (result v128)
      (v128.store offset=3 (local.get 0) (local.get 1))
      (v128.load offset=3 (local.get 0)))
    (func $count (param v128 i32) (result v128)
      (if (result v128) (i32.eqz (local.get 1)) (then (local.get 0))
        (else (return_call $count (i32x4.add (local.get 0) (v128.const i32x4 1 1 1 1))
                                  (i32.sub (local.get 1) (i32.const 1))))))
    (func (export "count") (param v128 i32) (result v128)
      (call $count (local.get 0) (local.get 1)))))",
                              linker);
  const V128 a = u32x4(1, 2, 3, 0xffffffffu), b = u32x4(10, 20, 30, 1);
  EXPECT_EQ(inst.call("add", {Value::v128(a), Value::v128(b)})[0],
            Value::v128(u32x4(11, 22, 33, 0)));
  EXPECT_EQ(inst.call("pick", {Value::v128(a), Value::v128(b), Value::i32(1)})[0], Value::v128(a));
  EXPECT_EQ(inst.call("pick", {Value::v128(a), Value::v128(b), Value::i32(0)})[0], Value::v128(b));
  std::vector<Value> two = inst.call("two", {Value::v128(a)});
  ASSERT_EQ(two.size(), 3u);
  EXPECT_EQ(two[0], Value::v128(a));
  EXPECT_EQ(two[1], Value::i32(-1));
  EXPECT_EQ(two[2], Value::v128(u32x4(0x07070707u, 0x07070707u, 0x07070707u, 0x07070707u)));
  EXPECT_EQ(inst.call("swap", {Value::v128(a)})[0], Value::v128(u32x4(3, 0xffffffffu, 1, 2)));
  EXPECT_EQ(inst.call("global_plus", {Value::v128(u32x4(1, 0, 0, 0))})[0],
            Value::v128(u32x4(2, 2, 3, 4)));
  EXPECT_EQ(inst.global_get("g"), Value::v128(u32x4(2, 2, 3, 4)));
  inst.global_set("g", Value::v128(b));
  EXPECT_EQ(inst.call("global_plus", {Value::v128(V128{})})[0], Value::v128(b));
  EXPECT_EQ(inst.call("roundtrip", {Value::i32(100), Value::v128(a)})[0], Value::v128(a));
  EXPECT_EQ(inst.memory().load<uint32_t>(103 + 12), 0xffffffffu);
  EXPECT_TRAP(inst.call("roundtrip", {Value::i32(65536 - 18), Value::v128(a)}),
              TrapKind::out_of_bounds);
  EXPECT_EQ(inst.memory().read(65536 - 15, 15), std::vector<uint8_t>(15, 0)) << "partial store";
  EXPECT_EQ(inst.call("count", {Value::v128(a), Value::i32(1000000)})[0],
            Value::v128(u32x4(1000001, 1000002, 1000003, 999999)));
  EXPECT_TRUE(has(inst.module().features(), "simd"));
}

TEST_P(FeaturesTest, SimdFunctionsCallAcrossTiers) {
  // An instance on the other tier calls this one's v128 function and the other way round: both
  // tiers pass v128 in the same registers.
  const char* kLib = R"((module
    (func (export "mix") (param i32 v128 f32 v128) (result v128)
      (i32x4.add (i32x4.add (local.get 1) (local.get 3))
                 (i32x4.splat (i32.add (local.get 0) (i32.trunc_f32_s (local.get 2))))))))";
  const Tier other = tier() == Tier::tier0 ? Tier::tier1 : Tier::tier0;
  Engine other_engine(engine_config(other, cache_dir()));
  TemplateOptions other_options;
  other_options.tier = other;
  Instance lib = Linker().instantiate(other_engine.compile(wat(kLib)), other_options);
  ASSERT_EQ(lib.tier(), other);
  Linker linker;
  linker.define_instance("lib", lib);
  Instance user = instantiate(R"((module
    (import "lib" "mix" (func $mix (param i32 v128 f32 v128) (result v128)))
    (func (export "go") (param v128 v128) (result v128)
      (call $mix (i32.const 5) (local.get 0) (f32.const 3) (local.get 1)))))",
                              linker);
  EXPECT_EQ(
      user.call("go", {Value::v128(u32x4(1, 2, 3, 4)), Value::v128(u32x4(10, 20, 30, 40))})[0],
      Value::v128(u32x4(19, 30, 41, 52)));
}

WISP_INSTANTIATE_TIERS(FeaturesTest);

}  // namespace
}  // namespace wisp::test
