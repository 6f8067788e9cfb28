// Final exception handling (try_table, throw_ref, exnref) on both tiers, with modules assembled
// here byte by byte (wabt 1.0.32 cannot read them): catch, catch_ref, catch_all, catch_all_ref
// branching to their labels with the exception's values, throw_ref of a caught exnref (the same
// exception, values and all), throw_ref of null, exceptions nothing catches, many exnrefs in one
// call, and what wisp refuses (exnref across the module's interface).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "support/binary.hpp"
#include "support/fixture.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

constexpr uint8_t kI32 = 0x7f, kExnref = 0x69;

// Types: 0 (i32)->(), 1 (i32)->(i32), 2 ()->(i32), 3 ()->(i32 exnref), 4 ()->(exnref).
Bytes type_section() {
  Bytes s;
  put_leb(s, 5);
  for (const Bytes& t :
       {func_type_of({kI32}, {}), func_type_of({kI32}, {kI32}), func_type_of({}, {kI32}),
        func_type_of({}, {kI32, kExnref}), func_type_of({}, {kExnref})})
    s.insert(s.end(), t.begin(), t.end());
  return s;
}

Bytes module_of(const std::vector<ExportedFunc>& funcs) {
  const FuncSections s = exported_funcs(funcs);
  const Bytes tags{1, 0x00, 0x00};  // one tag: attribute 0, type 0 (i32)
  return module_with({{1, type_section()}, {3, s.funcs}, {13, tags}, {7, s.exports}, {10, s.code}});
}

// Opcodes used below.
constexpr uint8_t kBlock = 0x02, kLoop = 0x03, kBrIf = 0x0d, kEnd = 0x0b, kThrow = 0x08,
                  kThrowRef = 0x0a, kTryTable = 0x1f, kLocalGet = 0x20, kLocalSet = 0x21,
                  kI32Const = 0x41, kI32Add = 0x6a, kI32LtU = 0x49, kDrop = 0x1a, kRefNull = 0xd0,
                  kRefIsNull = 0xd1, kUnreachable = 0x00;
constexpr uint8_t kEmpty = 0x40;

Bytes exnref_module() {
  return module_of({
      // (block (result i32) (try_table (catch $e 0) (throw $e (local.get 0))) (i32.const -1))
      {"catch_tag",
       1,
       {kBlock, kI32, kTryTable, kEmpty, 1, 0x00, 0, 0, kLocalGet, 0, kThrow, 0, kEnd, kI32Const,
        0x7f, kEnd, kEnd}},
      // An inner try_table catches with catch_ref; throw_ref rethrows the same exception to an
      // outer try_table, which catches the tag with its value.
      {"rethrow_ref",
       1,
       {kBlock,    kI32,      kTryTable, kEmpty, 1,    0x00,         0,    0,
        kBlock,    0x03,      kTryTable, kEmpty, 1,    0x01,         0,    0,
        kLocalGet, 0,         kThrow,    0,      kEnd, kUnreachable, kEnd, kThrowRef,
        kEnd,      kI32Const, 0x7e,      kEnd,   kEnd}},
      // catch_all_ref: an exnref that is not null.
      {"all_ref",
       2,
       {kBlock, 0x04, kTryTable, kEmpty, 1, 0x03, 0, kI32Const, 5, kThrow, 0, kEnd, kUnreachable,
        kEnd, kRefIsNull, kEnd}},
      // catch_all: no values; the branch skips the fallthrough's 0.
      {"all",
       2,
       {kBlock, kEmpty, kTryTable, kEmpty, 1, 0x02, 0, kI32Const, 5, kThrow, 0, kEnd, kI32Const, 0,
        0x0f /* return */, kEnd, kI32Const, 9, kEnd}},
      // throw_ref of null traps.
      {"throw_null", 2, {kRefNull, kExnref, kThrowRef, kEnd}},
      {"uncaught", 0, {kLocalGet, 0, kThrow, 0, kEnd}},
  });
}

class ExnrefTest : public TierTest {
 protected:
  Instance instantiate_bytes(const Bytes& bytes) {
    Instance inst = Linker().instantiate(engine().compile(bytes), options());
    EXPECT_EQ(inst.tier(), tier());
    return inst;
  }
};

TEST_P(ExnrefTest, CatchClausesBranchWithTheExceptionsValues) {
  Instance inst = instantiate_bytes(exnref_module());
  EXPECT_EQ(inst.call("catch_tag", {Value::i32(42)})[0], Value::i32(42));
  EXPECT_EQ(inst.call("rethrow_ref", {Value::i32(-7)})[0], Value::i32(-7));
  EXPECT_EQ(inst.call("all_ref")[0], Value::i32(0));
  EXPECT_EQ(inst.call("all")[0], Value::i32(9));
  EXPECT_TRAP(inst.call("throw_null"), TrapKind::null_reference);
  EXPECT_TRAP(inst.call("uncaught", {Value::i32(1)}), TrapKind::uncaught_exception);
  EXPECT_TRUE(std::find(inst.module().features().begin(), inst.module().features().end(),
                        "exnref") != inst.module().features().end());
}

TEST_P(ExnrefTest, ManyExnrefsInOneCallAndAcrossCalls) {
  // (loop (block (result exnref) (try_table (catch_all_ref 0) (throw $e (i32.const 1)))
  //  unreachable) drop; i += 1; br_if loop (i < n)) i: 20,000 exnrefs in one call, three calls.
  Bytes body = {kLoop,        kEmpty,    kBlock,    0x04,      kTryTable, kEmpty,    1,
                0x03,         0,         kI32Const, 1,         kThrow,    0,         kEnd,
                kUnreachable, kEnd,      kDrop,     kLocalGet, 1,         kI32Const, 1,
                kI32Add,      kLocalSet, 1,         kLocalGet, 1,         kLocalGet, 0,
                kI32LtU,      kBrIf,     0,         kEnd,      kLocalGet, 1,         kEnd};
  // One function with a local (i32) for the counter.
  Bytes fs{1, 1}, exports, code;
  put_leb(exports, 1);
  put_name(exports, "many");
  exports.push_back(0x00);
  exports.push_back(0);
  Bytes entry{1, 1, kI32};  // one local group: 1 x i32
  entry.insert(entry.end(), body.begin(), body.end());
  put_leb(code, 1);
  put_leb(code, entry.size());
  code.insert(code.end(), entry.begin(), entry.end());
  Bytes tags{1, 0x00, 0x00};
  Instance inst = instantiate_bytes(
      module_with({{1, type_section()}, {3, fs}, {13, tags}, {7, exports}, {10, code}}));
  for (int call = 0; call < 3; ++call)
    EXPECT_EQ(inst.call("many", {Value::i32(20000)})[0], Value::i32(20000));
}

TEST_P(ExnrefTest, ExnrefsStayInsideFunctions) {
  // A function exporting an exnref result is refused by name (exnref globals and tables of the
  // module's own work: exnref_storage_test.cpp).
  Bytes fs{1, 4}, exports, code{1, 4, 0x00, kRefNull, kExnref, kEnd};
  put_leb(exports, 1);
  put_name(exports, "f");
  exports.push_back(0x00);
  exports.push_back(0);
  try {
    engine().compile(module_with({{1, type_section()}, {3, fs}, {7, exports}, {10, code}}));
    FAIL() << "compiled";
  } catch (const CompileError& e) {
    EXPECT_NE(std::string(e.what()).find("exnref"), std::string::npos) << e.what();
  }
}

TEST_P(ExnrefTest, TheSwitchTurnsItOff) {
  EngineConfig off = engine_config(tier(), cache_dir());
  off.proposals.exnref = false;
  try {
    Engine(off).compile(exnref_module());
    FAIL() << "compiled with exnref off";
  } catch (const CompileError& e) {
    EXPECT_NE(std::string(e.what()).find("(exnref) (turned off"), std::string::npos) << e.what();
  }
}

WISP_INSTANTIATE_TIERS(ExnrefTest);

}  // namespace
}  // namespace wisp::test
