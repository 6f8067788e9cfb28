// Feature gate: unsupported proposals fail naming the feature; supported ones are reported and run.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
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
  std::vector<std::string> any_of;  // the message names the feature with one of these words
};

std::vector<UnsupportedCase> unsupported_cases() {
  return {
      {"simd",
       R"((module (func (export "f") (result i32)
                    (i32x4.extract_lane 0 (v128.const i32x4 1 2 3 4)))))",
       {"simd", "v128"}},
      {"simd_unused_function",
       R"((module (func (drop (v128.const i64x2 0 0)))))",
       {"simd", "v128"}},
      {"threads_atomics",
       R"((module (memory 1 1 shared)
                            (func (export "f") (result i32) (i32.atomic.load (i32.const 0)))))",
       {"thread", "atomic", "shared"}},
      {"threads_shared_memory", R"((module (memory 1 1 shared)))", {"thread", "atomic", "shared"}},
      {"threads_atomic_on_unshared",
       R"((module (memory 1)
                (func (export "f") (result i32)
                  (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))))",
       {"thread", "atomic"}},
      {"tail_call", R"((module (func $f (export "f") (result i32) (return_call $f))))", {"tail"}},
      {"tail_call_indirect",
       R"((module (type $t (func)) (table 1 funcref)
                               (func (return_call_indirect (type $t) (i32.const 0)))))",
       {"tail"}},
      {"memory64", R"((module (memory i64 1)))", {"memory64", "memory 64", "64-bit"}},
      {"extended_const",
       R"((module (global (export "g") i32 (i32.add (i32.const 1) (i32.const 2)))))",
       {"extended-const", "extended const", "extended_const"}},
      {"multi_memory",
       R"((module (memory 1) (memory 1)))",
       {"multi-memory", "multi memory", "multiple memories", "multi_memory"}},
  };
}

class UnsupportedFeatureTest : public ::testing::TestWithParam<UnsupportedCase> {
 protected:
  TempDir cache_;
  Engine engine_{engine_config(Tier::tier0, cache_.path())};
};

TEST_P(UnsupportedFeatureTest, IsACompileErrorNamingTheFeature) {
  const UnsupportedCase& c = GetParam();
  std::vector<uint8_t> bytes = wat(c.wat);
  try {
    engine_.compile(bytes);
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
TEST_P(FeaturesTest, ExceptionsWorkOrAreRejectedByName) {
  const char* text = R"((module
    (tag $e (param i32))
    (func $throw (export "throw") (param i32) (throw $e (local.get 0)))
    (func (export "catch") (param i32) (result i32)
      (try (result i32)
        (do (call $throw (local.get 0)) (i32.const -1))
        (catch $e (i32.add (i32.const 1)))))
    (func (export "ok") (result i32) (i32.const 7))))";
  std::optional<Module> m;
  try {
    m = compile(text);
  } catch (const CompileError& e) {
    EXPECT_NE(lower(e.message()).find("exception"), std::string::npos) << e.message();
    return;
  }
  EXPECT_TRUE(std::any_of(m->features().begin(), m->features().end(),
                          [](const std::string& f) { return f.find("exception") != f.npos; }));
  Instance inst = Linker().instantiate(*m, options());
  EXPECT_EQ(inst.call("catch", {Value::i32(41)})[0], Value::i32(42));
  EXPECT_TRAP(inst.call("throw", {Value::i32(1)}), TrapKind::uncaught_exception);
  EXPECT_EQ(inst.call("ok")[0], Value::i32(7));
}

WISP_INSTANTIATE_TIERS(FeaturesTest);

}  // namespace
}  // namespace wisp::test
