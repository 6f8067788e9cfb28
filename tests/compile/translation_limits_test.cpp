// Translation limits of the libwabt front end (WISP_FRONT_END=wabt, the old path, pinned here by
// the fixture) on hostile code, checked on the raw bytes before libwabt builds its IR: nesting
// (which once overflowed the caller's stack, as did validation on it) and small inputs whose C
// translation would be enormous. wisp's own front end: c_budget_test.cpp.
#include <gtest/gtest.h>

#include <pthread.h>

#include <chrono>
#include <cstdlib>
#include <exception>
#include <functional>
#include <stdexcept>
#include <string>

#include "support/binary.hpp"
#include "support/wat.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

// The limits of src/compile/translation_limits.hpp.
constexpr size_t kMaxNesting = 10000;
constexpr size_t kMaxIndentNesting = 2000;

CompileError compile_error(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const CompileError& e) {
    return e;
  }
  ADD_FAILURE() << "no CompileError";
  return CompileError("none");
}

EngineConfig tier0_only() {
  EngineConfig c;
  c.enable_tier1 = false;
  return c;
}

// Runs fn on a thread with a 128 KiB stack; returns what it threw, if anything.
std::exception_ptr on_small_stack(const std::function<void()>& fn) {
  struct Job {
    const std::function<void()>* fn;
    std::exception_ptr error;
  } job{&fn, nullptr};
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 128 << 10);
  pthread_t thread;
  auto body = [](void* p) -> void* {
    auto* j = static_cast<Job*>(p);
    try {
      (*j->fn)();
    } catch (...) {
      j->error = std::current_exception();
    }
    return nullptr;
  };
  if (pthread_create(&thread, &attr, body, &job) != 0) {
    pthread_attr_destroy(&attr);
    throw std::runtime_error("pthread_create failed");
  }
  pthread_attr_destroy(&attr);
  pthread_join(thread, nullptr);
  return job.error;
}

// Every test here runs with libwabt's front end.
class TranslationLimits : public ::testing::Test {
 protected:
  void SetUp() override { setenv("WISP_FRONT_END", "wabt", 1); }
  void TearDown() override { unsetenv("WISP_FRONT_END"); }
};

TEST_F(TranslationLimits, MillionNestedBlocksAreRejectedQuicklyByValidate) {
  Bytes m = nested(1'000'000, kBlock);
  auto t0 = std::chrono::steady_clock::now();
  CompileError e = compile_error([&] { Engine::validate(m); });
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  EXPECT_NE(std::string(e.what()).find("limit 10000"), std::string::npos) << e.what();
  // The offset is that of the block that went past the limit, inside the code section.
  ASSERT_NE(e.offset(), CompileError::npos);
  EXPECT_GT(e.offset(), 2 * kMaxNesting);
  EXPECT_LT(e.offset(), 2 * kMaxNesting + 64);
}

TEST_F(TranslationLimits, MillionNestedBlocksAreRejectedByCompile) {
  Bytes m = nested(1'000'000, kBlock);
  Engine engine(tier0_only());
  auto t0 = std::chrono::steady_clock::now();
  CompileError e = compile_error([&] { engine.compile(m); });
  // Before any IR is built (building and freeing the IR took 2.4 s, and 9M levels overflowed).
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));
  EXPECT_NE(std::string(e.what()).find("nests blocks"), std::string::npos) << e.what();
}

TEST_F(TranslationLimits, BlockLimitIsExact) {
  Engine engine(tier0_only());
  Module ok = engine.compile(nested(kMaxNesting, kBlock));
  EXPECT_EQ(ok.exports().size(), 1u);
  EXPECT_THROW(Engine::validate(nested(kMaxNesting + 1, kBlock)), CompileError);
}

// The IR of 10,000 nested blocks is destroyed recursively by libwabt: more than a small thread
// stack holds. validate() must not run that on the caller's stack.
TEST_F(TranslationLimits, ValidateOfDeepModuleRunsOffACallersSmallStack) {
  Bytes m = nested(kMaxNesting, kBlock);
  EXPECT_FALSE(on_small_stack([&] { Engine::validate(m); }));
}

// After a tier-1 cache hit no C exists; tier 0 is translated on demand by whichever thread
// instantiates first. That translation (libwabt's C writer recurses per block) and libtcc must
// not run on the caller's stack either.
TEST_F(TranslationLimits, OnDemandTier0TranslationRunsOffACallersSmallStack) {
  Bytes m = nested(kMaxNesting - 1, kBlock);
  TempDir cache;
  { Engine(engine_config(Tier::tier1, cache.path())).compile(m); }
  Engine second(engine_config(Tier::tier1, cache.path()));
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

// Nested ifs and loops indent the C writer's output: C grows with the square of their depth
// (10,000 ifs in 50 KB of wasm made 300 MB of C). Over kMaxIndentNesting is an error.
TEST_F(TranslationLimits, DeepIfsAreLimited) {
  CompileError e = compile_error([&] { Engine::validate(nested(kMaxIndentNesting + 1, kIf)); });
  EXPECT_NE(std::string(e.what()).find("ifs and loops"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("limit 2000"), std::string::npos) << e.what();
  EXPECT_THROW(Engine::validate(nested(10'000, kIf)), CompileError);
  EXPECT_THROW(Engine::validate(nested(kMaxIndentNesting + 1, kLoop)), CompileError);
  // Blocks do not indent: they may nest deeper.
  Engine::validate(nested(kMaxIndentNesting + 1, kBlock));
}

TEST_F(TranslationLimits, IfsAtTheLimitCompile) {
  Engine engine(tier0_only());
  Module m = engine.compile(nested(kMaxIndentNesting, kIf));
  EXPECT_LT(m.stats().c_source_bytes, 20u << 20);
}

// Under the depth limit, a long body deep inside loops still costs indentation per line: the
// module's C budget catches it (1,000 loops around 50,000 instructions: 100 MB of C).
TEST_F(TranslationLimits, IndentationBudgetCatchesLongBodiesDeepInside) {
  Bytes middle;
  for (int i = 0; i < 25'000; ++i) put_bytes(middle, {0x41, 0x00, 0x1a});  // i32.const 0; drop
  CompileError e = compile_error([&] { Engine::validate(nested(1000, kLoop, middle)); });
  EXPECT_NE(std::string(e.what()).find("through its nested ifs and loops"), std::string::npos)
      << e.what();
  // The same body under 100 loops is fine.
  Engine::validate(nested(100, kLoop, middle));
}

std::string what(const std::function<void()>& fn) {
  return compile_error(fn).what();
}

// 100 functions each declaring 50,000 locals: 821 bytes that wabt's C writer turned into 83 MB
// of C (10 s, 550 MB of memory). Each local is declared in C.
TEST_F(TranslationLimits, LocalsAcrossFunctionsAreBudgeted) {
  Bytes body{0x01};  // one local declaration: 50,000 i32
  put_leb(body, 50'000);
  put_bytes(body, {0x7f, 0x0b});
  Bytes m =
      module_of({func_type(0, 0)}, std::vector<uint32_t>(100, 0), std::vector<Bytes>(100, body));
  EXPECT_LT(m.size(), 1000u);
  std::string e = what([&] { Engine::validate(m); });
  EXPECT_NE(e.find("through its locals"), std::string::npos) << e;
  // A few such functions are fine.
  Engine::validate(module_of({func_type(0, 0)}, {0, 0}, {body, body}));
}

// Data and custom sections never reach the C compiler, so they must not buy budget: the same
// functions after a 2 MiB custom section are still rejected.
TEST_F(TranslationLimits, CustomSectionsDoNotRaiseTheBudget) {
  Bytes body{0x01};
  put_leb(body, 50'000);
  put_bytes(body, {0x7f, 0x0b});
  Bytes m =
      module_of({func_type(0, 0)}, std::vector<uint32_t>(100, 0), std::vector<Bytes>(100, body));
  Bytes custom;
  put_name(custom, "padding");
  custom.resize(custom.size() + (2u << 20));
  put_section(m, 0, custom);
  std::string e = what([&] { Engine::validate(m); });
  EXPECT_NE(e.find("through its locals"), std::string::npos) << e;
}

// Calls between 1,000-result and 1,000-parameter functions: 4 bytes each, 36 KB of C each.
TEST_F(TranslationLimits, WideCallsAreBudgeted) {
  Bytes producer{0x00};
  for (int i = 0; i < 1000; ++i) put_bytes(producer, {0x41, 0x00});
  producer.push_back(0x0b);
  Bytes caller{0x00};
  for (int i = 0; i < 1000; ++i) put_bytes(caller, {0x10, 0x01, 0x10, 0x02});  // call 1; call 2
  caller.push_back(0x0b);
  Bytes m = module_of({func_type(0, 0), func_type(0, 1000), func_type(1000, 0)}, {0, 1, 2},
                      {caller, producer, {0x00, 0x0b}});
  std::string e = what([&] { Engine::validate(m); });
  EXPECT_NE(e.find("through its calls"), std::string::npos) << e;
}

// br_table to a label carrying 100 values from a shifted stack copies them per target: 10 KB of
// wasm made 19 MB of C.
TEST_F(TranslationLimits, BranchesCarryingValuesAreBudgeted) {
  Bytes body{0x00, 0x02, 0x01};  // block (type 1: 100 results)
  for (int i = 0; i < 102; ++i) put_bytes(body, {0x41, 0x00});
  body.push_back(0x0e);  // br_table
  put_leb(body, 20'000);
  body.insert(body.end(), 20'001, 0x00);
  body.push_back(0x0b);
  body.insert(body.end(), 100, 0x1a);  // drop the block's results
  body.push_back(0x0b);
  Bytes m = module_of({func_type(0, 0), func_type(0, 100)}, {0}, {body});
  std::string e = what([&] { Engine::validate(m); });
  EXPECT_NE(e.find("through its branches carrying values"), std::string::npos) << e;
}

// One function with a 1,000-parameter signature exported 20,000 times: a wrapper per export.
TEST_F(TranslationLimits, ExportsOfWideFunctionsAreBudgeted) {
  Bytes exports;
  put_leb(exports, 20'000);
  for (int i = 0; i < 20'000; ++i) {
    put_name(exports, "e" + std::to_string(i));
    put_bytes(exports, {0x00, 0x00});
  }
  Bytes m = module_of({func_type(1000, 0)}, {0}, {{0x00, 0x0b}}, exports);
  std::string e = what([&] { Engine::validate(m); });
  EXPECT_NE(e.find("through its exports"), std::string::npos) << e;
}

std::string repeat(std::string_view s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

// libwabt's text parser recurses per nesting level (a million folded blocks overflowed the
// caller's stack, and so did 100,000 plain `block ... end`).
TEST_F(TranslationLimits, DeepWatIsRejectedBeforeParsing) {
  const size_t n = 1'000'000;
  std::string folded = "(module (func " + repeat("(block ", n) + repeat(")", n) + "))";
  CompileError e = compile_error([&] { wat_to_wasm(folded); });
  EXPECT_NE(std::string(e.what()).find("WAT: nests more than"), std::string::npos) << e.what();
  std::string plain = "(module (func " + repeat("block ", n / 10) + repeat("end ", n / 10) + "))";
  EXPECT_THROW(wat_to_wasm(plain), CompileError);
  // Comments and strings do not count; depth within the binary limit converts.
  std::string ok = "(module (func (export \"((((\") ;; ((((\n (; ( (; ( ;) ;) " +
                   repeat("(block ", kMaxNesting) + repeat(")", kMaxNesting) + "))";
  Engine::validate(wat_to_wasm(ok));
}

}  // namespace
}  // namespace wisp::test
