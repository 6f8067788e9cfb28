// Hostile code against wisp's own front end and C emitter: small inputs that spell out much more
// C than their size (declared locals, wide calls, br_tables carrying values to many labels, wide
// exports) are refused by the module's C budget (emit::c_budget) with a clear error, and deep
// nesting, which the emitter turns into flat C, neither overflows a stack nor is refused.
#include <gtest/gtest.h>

#include <exception>
#include <functional>
#include <string>

#include "compile/big_stack.hpp"
#include "compile/emit/c_module.hpp"
#include "compile/front/func_validator.hpp"
#include "support/binary.hpp"
#include "support/fixture.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

// Eager tier 0: the whole module's C before compile() returns (lazily, the budget applies to each
// batch when it is compiled: LazyTier0.ABatchOverTheBudgetTrapsWithTheReason).
EngineConfig tier0_only() {
  EngineConfig c;
  c.enable_tier1 = false;
  c.lazy_tier0 = false;
  return c;
}

// The CompileError that compiling `m` on tier 0 throws ("none" and a test failure if none).
std::string compile_error(const Bytes& m) {
  try {
    Engine(tier0_only()).compile(m);
  } catch (const CompileError& e) {
    return e.what();
  }
  ADD_FAILURE() << "compiled without a CompileError";
  return "none";
}

bool over_budget(const std::string& e) {
  return e.find("module too large to translate") != std::string::npos &&
         e.find("MiB, the budget for this module") != std::string::npos;
}

// Runs fn on a thread with a 128 KiB stack; returns what it threw, if anything.
std::exception_ptr on_small_stack(const std::function<void()>& fn) {
  try {
    detail::on_stack_of(128 << 10, fn);
  } catch (...) {
    return std::current_exception();
  }
  return nullptr;
}

// A body declaring `n` i32 locals.
Bytes many_locals(uint32_t n) {
  Bytes body{0x01};
  put_leb(body, n);
  put_bytes(body, {0x7f, 0x0b});
  return body;
}

TEST(CBudget, TheBudgetFollowsTheCodeNotDataOrCustomSections) {
  Bytes small = module_of({func_type(0, 0)}, {0}, {{0x00, 0x0b}});
  detail::front::ModuleDecl decl = detail::front::validate_module(small, {});
  const uint64_t base = detail::emit::c_budget(decl, small.size());
  EXPECT_EQ(base, detail::emit::kCBudgetBase + detail::emit::kCBudgetPerByte * small.size());
  Bytes padded = small;
  Bytes custom;
  put_name(custom, "padding");
  custom.resize(custom.size() + 4096);
  put_section(padded, 0, custom);
  detail::front::ModuleDecl padded_decl = detail::front::validate_module(padded, {});
  // The custom section's header bytes count, its contents do not.
  EXPECT_LT(detail::emit::c_budget(padded_decl, padded.size()),
            base + detail::emit::kCBudgetPerByte * 16);
}

// 100 functions each declaring 50,000 locals: 821 bytes, every local declared in C.
TEST(CBudget, LocalsAcrossFunctionsAreBudgeted) {
  Bytes m = module_of({func_type(0, 0)}, std::vector<uint32_t>(100, 0),
                      std::vector<Bytes>(100, many_locals(50'000)));
  ASSERT_LT(m.size(), 1000u);
  std::string e = compile_error(m);
  EXPECT_TRUE(over_budget(e)) << e;
  // A few such functions are fine.
  Module ok = Engine(tier0_only())
                  .compile(module_of({func_type(0, 0)}, {0, 0},
                                     {many_locals(50'000), many_locals(50'000)}));
  EXPECT_GT(ok.stats().c_source_bytes, 100'000u);
}

// Custom sections never become C: 2 MiB of one buy the same functions no budget.
TEST(CBudget, CustomSectionsDoNotRaiseTheBudget) {
  Bytes m = module_of({func_type(0, 0)}, std::vector<uint32_t>(100, 0),
                      std::vector<Bytes>(100, many_locals(50'000)));
  Bytes custom;
  put_name(custom, "padding");
  custom.resize(custom.size() + (2u << 20));
  put_section(m, 0, custom);
  std::string e = compile_error(m);
  EXPECT_TRUE(over_budget(e)) << e;
}

// Calls between 1,000-result and 1,000-parameter functions: 4 bytes of wasm each, each argument
// and result moved in C.
TEST(CBudget, WideCallsAreBudgeted) {
  Bytes producer{0x00};
  for (int i = 0; i < 1000; ++i) put_bytes(producer, {0x41, 0x00});
  producer.push_back(0x0b);
  Bytes caller{0x00};
  for (int i = 0; i < 2000; ++i) put_bytes(caller, {0x10, 0x01, 0x10, 0x02});  // call 1; call 2
  caller.push_back(0x0b);
  Bytes m = module_of({func_type(0, 0), func_type(0, 1000), func_type(1000, 0)}, {0, 1, 2},
                      {caller, producer, {0x00, 0x0b}});
  std::string e = compile_error(m);
  EXPECT_TRUE(over_budget(e)) << e;
  EXPECT_NE(e.find("function 0"), std::string::npos) << e;
}

// 5,000 nested blocks of 1,000 results, each entered one value higher than its parent, and a
// br_table to each: the 1,000 values are copied to each distinct target's slots (5,000,000
// moves from 47 KB of wasm). Refused while the function is emitted.
TEST(CBudget, BrTablesCarryingValuesToManyLabelsAreBudgeted) {
  const uint32_t depth = 5000;
  Bytes body{0x00};
  for (uint32_t i = 0; i < depth; ++i) put_bytes(body, {0x41, 0x00, 0x02, 0x01});  // c; block
  for (int i = 0; i < 1000; ++i) put_bytes(body, {0x41, 0x00});
  put_bytes(body, {0x41, 0x00, 0x0e});  // the index; br_table
  put_leb(body, depth - 1);
  for (uint32_t i = 0; i < depth; ++i) put_leb(body, i);
  for (uint32_t i = 0; i < depth; ++i) put_bytes(body, {0x0b, 0x0c, 0x00});  // end; br 0
  body.push_back(0x0b);
  Bytes m = module_of({func_type(0, 1000), func_type(0, 1000)}, {0}, {body});
  detail::front::validate_module(m, {});  // valid: only its translation is refused
  std::string e = compile_error(m);
  EXPECT_TRUE(over_budget(e)) << e;
}

// One 1,000-parameter function exported 20,000 times.
TEST(CBudget, ExportsOfWideFunctionsStayWithinTheBudget) {
  Bytes exports;
  put_leb(exports, 20'000);
  for (int i = 0; i < 20'000; ++i) {
    put_name(exports, "e" + std::to_string(i));
    put_bytes(exports, {0x00, 0x00});
  }
  Bytes m = module_of({func_type(1000, 0)}, {0}, {{0x00, 0x0b}}, exports);
  // Either translated within the budget (exports share one trampoline per function) or refused
  // by it: never more C than the budget.
  try {
    Module mod = Engine(tier0_only()).compile(m);
    detail::front::ModuleDecl decl = detail::front::validate_module(m, {});
    EXPECT_LE(mod.stats().c_source_bytes, detail::emit::c_budget(decl, m.size()));
    EXPECT_EQ(mod.exports().size(), 20'000u);
  } catch (const CompileError& e) {
    EXPECT_TRUE(over_budget(e.what())) << e.what();
  }
}

// Nesting becomes labels and gotos, not nested C: 100,000 nested blocks, ifs and loops compile
// and run, and neither validation nor compilation runs on the caller's (small) stack.
TEST(CBudget, DeepNestingCompilesFlatAndOffASmallStack) {
  for (const auto* open : {&kBlock, &kIf, &kLoop}) {
    Bytes m = nested(100'000, *open);
    std::exception_ptr error = on_small_stack([&] {
      Engine::validate(m);
      Module mod = Engine(tier0_only()).compile(m);
      Instance inst = Linker().instantiate(mod);
      inst.call("f");
    });
    EXPECT_FALSE(error);
  }
}

// After a tier-1 cache hit no C exists; tier 0 is translated on demand by whichever thread
// instantiates first: not on that thread's stack.
TEST(CBudget, OnDemandTier0TranslationRunsOffACallersSmallStack) {
  Bytes m = nested(50'000, kBlock);
  TempDir cache;
  EngineConfig config = engine_config(Tier::tier1, cache.path());
  { Engine(config).compile(m); }
  Engine second(config);
  Module mod = second.compile(m);
  ASSERT_TRUE(mod.stats().tier1_from_cache);
  std::exception_ptr error = on_small_stack([&] {
    TemplateOptions o;
    o.tier = Tier::tier0;
    Instance inst = Linker().instantiate(mod, o);
    inst.call("f");
  });
  EXPECT_FALSE(error);
}

}  // namespace
}  // namespace wisp::test
