// Nesting limits on hostile code: checked on the raw bytes before libwabt builds its IR, and
// validation runs on the compile thread's big stack (both once overflowed the caller's stack).
#include <gtest/gtest.h>

#include <pthread.h>

#include <chrono>
#include <exception>
#include <functional>
#include <string>

#include "support/binary.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

// The limits of src/compile/nesting_check.hpp.
constexpr size_t kMaxNesting = 10000;
constexpr size_t kMaxIndentNesting = 2000;

// A module exporting "f" () -> () whose body is `open` × depth, `middle`, `end` × depth.
Bytes nested(size_t depth, std::initializer_list<uint8_t> open, const Bytes& middle = {}) {
  Bytes body{0x00};  // no locals
  body.reserve(depth * (open.size() + 1) + middle.size() + 2);
  for (size_t i = 0; i < depth; ++i) body.insert(body.end(), open.begin(), open.end());
  body.insert(body.end(), middle.begin(), middle.end());
  body.insert(body.end(), depth + 1, 0x0b);
  Bytes code{0x01};
  put_leb(code, body.size());
  code.insert(code.end(), body.begin(), body.end());
  Bytes exports{0x01};
  put_name(exports, "f");
  put_bytes(exports, {0x00, 0x00});
  return module_with({{1, {0x01, 0x60, 0x00, 0x00}}, {3, {0x01, 0x00}}, {7, exports}, {10, code}});
}

const std::initializer_list<uint8_t> kBlock{0x02, 0x40};
const std::initializer_list<uint8_t> kLoop{0x03, 0x40};
const std::initializer_list<uint8_t> kIf{0x41, 0x01, 0x04, 0x40};  // i32.const 1; if

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

TEST(Nesting, MillionNestedBlocksAreRejectedQuicklyByValidate) {
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

TEST(Nesting, MillionNestedBlocksAreRejectedByCompile) {
  Bytes m = nested(1'000'000, kBlock);
  Engine engine(tier0_only());
  CompileError e = compile_error([&] { engine.compile(m); });
  EXPECT_NE(std::string(e.what()).find("nests blocks"), std::string::npos) << e.what();
}

TEST(Nesting, BlockLimitIsExact) {
  Engine engine(tier0_only());
  Module ok = engine.compile(nested(kMaxNesting, kBlock));
  EXPECT_EQ(ok.exports().size(), 1u);
  EXPECT_THROW(Engine::validate(nested(kMaxNesting + 1, kBlock)), CompileError);
}

// The IR of 10,000 nested blocks is destroyed recursively by libwabt: more than a small thread
// stack holds. validate() must not run that on the caller's stack.
TEST(Nesting, ValidateOfDeepModuleRunsOffACallersSmallStack) {
  Bytes m = nested(kMaxNesting, kBlock);
  struct Job {
    const Bytes* m;
    std::exception_ptr error;
  } job{&m, nullptr};
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 128 << 10);
  pthread_t thread;
  ASSERT_EQ(pthread_create(
                &thread, &attr,
                [](void* p) -> void* {
                  auto* j = static_cast<Job*>(p);
                  try {
                    Engine::validate(*j->m);
                  } catch (...) {
                    j->error = std::current_exception();
                  }
                  return nullptr;
                },
                &job),
            0);
  pthread_attr_destroy(&attr);
  pthread_join(thread, nullptr);
  EXPECT_FALSE(job.error);
}

// Nested ifs and loops indent the C writer's output: C grows with the square of their depth
// (10,000 ifs in 50 KB of wasm made 300 MB of C). Over kMaxIndentNesting is an error.
TEST(Nesting, DeepIfsAreLimited) {
  CompileError e = compile_error([&] { Engine::validate(nested(kMaxIndentNesting + 1, kIf)); });
  EXPECT_NE(std::string(e.what()).find("ifs and loops"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("limit 2000"), std::string::npos) << e.what();
  EXPECT_THROW(Engine::validate(nested(10'000, kIf)), CompileError);
  EXPECT_THROW(Engine::validate(nested(kMaxIndentNesting + 1, kLoop)), CompileError);
  // Blocks do not indent: they may nest deeper.
  Engine::validate(nested(kMaxIndentNesting + 1, kBlock));
}

TEST(Nesting, IfsAtTheLimitCompile) {
  Engine engine(tier0_only());
  Module m = engine.compile(nested(kMaxIndentNesting, kIf));
  EXPECT_LT(m.stats().c_source_bytes, 20u << 20);
}

// Under the depth limit, a long body deep inside loops still costs indentation per line: a
// budget over the whole module catches it.
TEST(Nesting, IndentationBudgetCatchesLongBodiesDeepInside) {
  Bytes middle;
  for (int i = 0; i < 10'000; ++i) put_bytes(middle, {0x41, 0x00, 0x1a});  // i32.const 0; drop
  CompileError e = compile_error([&] { Engine::validate(nested(1000, kLoop, middle)); });
  EXPECT_NE(std::string(e.what()).find("indentation"), std::string::npos) << e.what();
  // The same body under 100 loops is fine.
  Engine::validate(nested(100, kLoop, middle));
}

std::string repeat(std::string_view s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

// libwabt's text parser recurses per nesting level (a million folded blocks overflowed the
// caller's stack, and so did 100,000 plain `block ... end`).
TEST(Nesting, DeepWatIsRejectedBeforeParsing) {
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
