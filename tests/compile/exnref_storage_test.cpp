// exnref globals and tables (final exception handling) on both tiers, with modules assembled
// byte by byte: an exnref kept in a global or a table outlives the call that caught it and
// throw_ref rethrows it in a later call; table.set/get/fill/grow/copy count references; an
// overwritten slot frees its exception (the runtime's exnref stats); a million stores stay
// bounded; an exception carrying an exnref keeps it alive; no snapshot of such a module.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "runtime/exnref_objects.hpp"
#include "support/binary.hpp"
#include "support/fixture.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

constexpr uint8_t kI32 = 0x7f, kExnref = 0x69, kEmpty = 0x40;
constexpr uint8_t kBlock = 0x02, kLoop = 0x03, kBrIf = 0x0d, kEnd = 0x0b, kThrow = 0x08,
                  kThrowRef = 0x0a, kTryTable = 0x1f, kLocalGet = 0x20, kLocalSet = 0x21,
                  kGlobalGet = 0x23, kGlobalSet = 0x24, kTableGet = 0x25, kTableSet = 0x26,
                  kI32Const = 0x41, kI32Add = 0x6a, kI32LtU = 0x49, kRefNull = 0xd0,
                  kRefIsNull = 0xd1, kUnreachable = 0x00, kPrefix = 0xfc;

// Types: 0 (i32)->(), 1 (i32)->(i32), 2 ()->(i32), 3 ()->(), 4 (i32 i32)->(),
// 5 (i32 i32 i32)->(), 6 (exnref)->() (tag 1: an exception that carries an exnref).
Bytes type_section() {
  Bytes s;
  put_leb(s, 7);
  for (const Bytes& t :
       {func_type_of({kI32}, {}), func_type_of({kI32}, {kI32}), func_type_of({}, {kI32}),
        func_type_of({}, {}), func_type_of({kI32, kI32}, {}), func_type_of({kI32, kI32, kI32}, {}),
        func_type_of({kExnref}, {})})
    s.insert(s.end(), t.begin(), t.end());
  return s;
}

// (block (result exnref) (try_table (catch_all_ref 0) <throw>) unreachable): the exnref.
Bytes caught(const Bytes& thrower) {
  Bytes b{kBlock, kExnref, kTryTable, kEmpty, 1, 0x03, 0};
  b.insert(b.end(), thrower.begin(), thrower.end());
  b.insert(b.end(), {kEnd, kUnreachable, kEnd});
  return b;
}

// (block (result i32) (try_table (catch $e 0) <exnref> throw_ref) unreachable): $e's value.
Bytes value_of(const Bytes& exnref) {
  Bytes b{kBlock, kI32, kTryTable, kEmpty, 1, 0x00, 0, 0};
  b.insert(b.end(), exnref.begin(), exnref.end());
  b.insert(b.end(), {kThrowRef, kEnd, kUnreachable, kEnd});
  return b;
}

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes storage_module() {
  const Bytes throw_arg0 = {kLocalGet, 0, kThrow, 0}, throw_arg1 = {kLocalGet, 1, kThrow, 0};
  const Bytes loop_body = cat({{kLoop, kEmpty},
                               caught({kLocalGet, 1, kThrow, 0}),
                               {kGlobalSet, 0, kLocalGet, 1, kI32Const, 1, kI32Add, kLocalSet, 1,
                                kLocalGet, 1, kLocalGet, 0, kI32LtU, kBrIf, 0, kEnd, kEnd}});
  const std::vector<ExportedFunc> funcs = {
      {"store", 0, cat({caught(throw_arg0), {kGlobalSet, 0, kEnd}})},
      {"rethrow", 2, cat({value_of({kGlobalGet, 0}), {kEnd}})},
      {"clear", 3, {kRefNull, kExnref, kGlobalSet, 0, kEnd}},
      {"tset", 4, cat({{kLocalGet, 0}, caught(throw_arg1), {kTableSet, 0, kEnd}})},
      {"tthrow", 1, cat({value_of({kLocalGet, 0, kTableGet, 0}), {kEnd}})},
      {"tnull", 1, {kLocalGet, 0, kTableGet, 0, kRefIsNull, kEnd}},
      {"tfill", 4, {kLocalGet, 0, kGlobalGet, 0, kLocalGet, 1, kPrefix, 17, 0, kEnd}},
      {"tgrow", 1, {kGlobalGet, 0, kLocalGet, 0, kPrefix, 15, 0, kEnd}},
      {"tcopy", 5, {kLocalGet, 0, kLocalGet, 1, kLocalGet, 2, kPrefix, 14, 0, 0, kEnd}},
      {"tclear", 4, {kLocalGet, 0, kRefNull, kExnref, kLocalGet, 1, kPrefix, 17, 0, kEnd}},
      {"loop_store", 0, loop_body, {1, 1, kI32}},  // one i32 local: the counter
      // The global's exnref, wrapped in a new exception of tag 1, replaces it in the global.
      {"nest", 3, cat({caught({kGlobalGet, 0, kThrow, 1}), {kGlobalSet, 0, kEnd}})},
      // Unwraps the global's tag-1 exception once (its exnref goes back in the global).
      {"unnest",
       3,
       {kBlock, kExnref, kTryTable, kEmpty, 1, 0x00, 1, 0, kGlobalGet, 0, kThrowRef, kEnd,
        kUnreachable, kEnd, kGlobalSet, 0, kEnd}},
  };
  const FuncSections s = exported_funcs(funcs);
  Bytes tables{1, kExnref, 0x01, 2, 100};                    // exnref, min 2, max 100
  Bytes tags{2, 0x00, 0x00, 0x00, 0x06};                     // $e (i32), $n (exnref)
  Bytes globals{1, kExnref, 0x01, kRefNull, kExnref, kEnd};  // (mut exnref) null
  return module_with({{1, type_section()},
                      {3, s.funcs},
                      {4, tables},
                      {13, tags},
                      {6, globals},
                      {7, s.exports},
                      {10, s.code}});
}

uint64_t live() {
  return rt::exnref_stats().live;
}

class ExnrefStorageTest : public TierTest {
 protected:
  Instance make() {
    Instance inst = Linker().instantiate(engine().compile(storage_module()), options());
    EXPECT_EQ(inst.tier(), tier());
    return inst;
  }
  int32_t i32(Instance& inst, const char* f, std::vector<Value> args = {}) {
    return inst.call(f, args)[0].as_i32();
  }
};

TEST_P(ExnrefStorageTest, AGlobalKeepsTheExceptionPastItsCall) {
  const uint64_t before = live();
  {
    Instance inst = make();
    EXPECT_TRAP(inst.call("rethrow"), TrapKind::null_reference);
    inst.call("store", {Value::i32(41)});
    EXPECT_EQ(live(), before + 1);  // kept by the global after the call returned
    EXPECT_EQ(i32(inst, "rethrow"), 41);
    EXPECT_EQ(i32(inst, "rethrow"), 41);  // the global still holds it
    inst.call("store", {Value::i32(42)});
    EXPECT_EQ(live(), before + 1);  // the overwritten one was freed
    EXPECT_EQ(i32(inst, "rethrow"), 42);
    inst.call("clear");
    EXPECT_EQ(live(), before);
    inst.call("store", {Value::i32(43)});
  }
  EXPECT_EQ(live(), before);  // the instance's teardown released its global
}

TEST_P(ExnrefStorageTest, TableSetGetFillGrowCopy) {
  const uint64_t before = live();
  {
    Instance inst = make();
    EXPECT_EQ(i32(inst, "tnull", {Value::i32(0)}), 1);
    inst.call("tset", {Value::i32(0), Value::i32(7)});
    inst.call("tset", {Value::i32(1), Value::i32(8)});
    EXPECT_EQ(live(), before + 2);
    EXPECT_EQ(i32(inst, "tthrow", {Value::i32(0)}), 7);
    EXPECT_EQ(i32(inst, "tthrow", {Value::i32(1)}), 8);
    EXPECT_TRAP(inst.call("tthrow", {Value::i32(2)}), TrapKind::out_of_bounds);
    inst.call("store", {Value::i32(9)});
    EXPECT_EQ(i32(inst, "tgrow", {Value::i32(3)}), 2);  // 3 new slots holding the global's
    EXPECT_EQ(i32(inst, "tthrow", {Value::i32(4)}), 9);
    inst.call("clear");
    EXPECT_EQ(live(), before + 3);                                      // the slots still hold 9
    inst.call("tcopy", {Value::i32(3), Value::i32(0), Value::i32(2)});  // 7 8 over 9 9
    EXPECT_EQ(i32(inst, "tthrow", {Value::i32(3)}), 7);
    EXPECT_EQ(i32(inst, "tthrow", {Value::i32(4)}), 8);
    EXPECT_EQ(i32(inst, "tthrow", {Value::i32(2)}), 9);
    inst.call("tcopy", {Value::i32(1), Value::i32(0), Value::i32(4)});  // overlapping
    EXPECT_EQ(i32(inst, "tthrow", {Value::i32(1)}), 7);
    EXPECT_EQ(i32(inst, "tthrow", {Value::i32(2)}), 8);
    EXPECT_EQ(i32(inst, "tthrow", {Value::i32(3)}), 9);
    EXPECT_EQ(i32(inst, "tthrow", {Value::i32(4)}), 7);
    inst.call("store", {Value::i32(5)});
    inst.call("tfill", {Value::i32(0), Value::i32(5)});
    EXPECT_EQ(live(), before + 1);  // 7, 8 and 9 were freed with their last slots
    for (int i = 0; i < 5; ++i) EXPECT_EQ(i32(inst, "tthrow", {Value::i32(i)}), 5);
    EXPECT_TRAP(inst.call("tfill", {Value::i32(4), Value::i32(2)}), TrapKind::out_of_bounds);
    inst.call("tclear", {Value::i32(0), Value::i32(5)});
    EXPECT_EQ(i32(inst, "tnull", {Value::i32(4)}), 1);
    EXPECT_EQ(live(), before + 1);  // the global's
    inst.call("tfill", {Value::i32(1), Value::i32(3)});
  }
  EXPECT_EQ(live(), before);  // table and global released at teardown
}

TEST_P(ExnrefStorageTest, AMillionStoresStayBounded) {
  const uint64_t before = live();
  Instance inst = make();
  // One call: each exnref is kept by the call until it returns (within its 64 MiB), then only
  // the global's last one lives.
  inst.call("loop_store", {Value::i32(1000000)});
  EXPECT_EQ(live(), before + 1);
  EXPECT_LE(rt::exnref_stats().retained_bytes, 1024u);
  // Many calls: each overwrite frees the previous exception at once.
  for (int i = 0; i < 20000; ++i) inst.call("store", {Value::i32(i)});
  EXPECT_EQ(live(), before + 1);
  EXPECT_EQ(i32(inst, "rethrow"), 19999);
}

TEST_P(ExnrefStorageTest, AnExceptionKeepsTheExnrefItCarries) {
  const uint64_t before = live();
  {
    Instance inst = make();
    inst.call("store", {Value::i32(77)});
    inst.call("nest");  // the global: $n(exn 77)
    inst.call("nest");  // $n($n(exn 77))
    EXPECT_EQ(live(), before + 3);
    inst.call("unnest");
    inst.call("unnest");
    EXPECT_EQ(i32(inst, "rethrow"), 77);  // the innermost outlived both calls that wrapped it
    EXPECT_EQ(live(), before + 1);
    inst.call("nest");
    inst.call("clear");  // frees the wrapper and, through it, 77
    EXPECT_EQ(live(), before);
  }
  EXPECT_EQ(live(), before);
}

TEST_P(ExnrefStorageTest, NoSnapshotOfExnrefStorage) {
  Instance inst = make();
  EXPECT_FALSE(inst.resettable());
  try {
    inst.reset();
    FAIL() << "reset an instance with an exnref global";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("exnref"), std::string::npos) << e.what();
  }
}

TEST_P(ExnrefStorageTest, ExnrefsStayInsideTheModule) {
  // An exported exnref global is refused by name (the host's values have no exnref).
  Bytes globals{1, kExnref, 0x00, kRefNull, kExnref, kEnd}, exports;
  put_leb(exports, 1);
  put_name(exports, "g");
  exports.push_back(0x03);
  exports.push_back(0);
  try {
    engine().compile(module_with({{1, type_section()}, {6, globals}, {7, exports}}));
    FAIL() << "compiled";
  } catch (const CompileError& e) {
    EXPECT_NE(std::string(e.what()).find("export \"g\" passes exnref"), std::string::npos)
        << e.what();
  }
  // A module's own exnref global compiles.
  EXPECT_NO_THROW(engine().compile(module_with({{1, type_section()}, {6, globals}})));
}

WISP_INSTANTIATE_TIERS(ExnrefStorageTest);

}  // namespace
}  // namespace wisp::test
