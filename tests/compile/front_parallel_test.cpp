// Unit tests of validate_module on a module large enough to be validated on several threads
// (src/compile/front/validate.cpp): the verdict, the error and its offset, the refusal and the
// features it records must be those of validating the functions one after another, whichever
// thread meets which function.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "compile/front/func_validator.hpp"
#include "support/binary.hpp"
#include "wisp/error.hpp"

namespace wisp::test {
namespace {

using namespace detail::front;

constexpr uint32_t kFuncs = 4000;
constexpr size_t kBodyOps = 200;  // `i32.const 0; drop` pairs: 600 bytes of code per function

// What function `func`'s body holds in place of two of its filler pairs, at the body's middle
// (at most 6 bytes; the rest is nop).
struct Special {
  uint32_t func = 0;
  Bytes ops;
};

// A module of kFuncs functions () -> () of about 600 bytes each (2.4 MB of code: more than one
// thread's share), with `specials` patched in; offsets[i] is where function i's middle pair is.
Bytes big_module(const std::vector<Special>& specials, std::vector<size_t>* offsets = nullptr) {
  Bytes types;
  put_leb(types, 1);
  put_bytes(types, {0x60, 0, 0});
  Bytes funcs;
  put_leb(funcs, kFuncs);
  for (uint32_t i = 0; i < kFuncs; ++i) put_leb(funcs, 0);
  Bytes code;
  put_leb(code, kFuncs);
  std::vector<size_t> middles;
  for (uint32_t i = 0; i < kFuncs; ++i) {
    Bytes body{0x00};  // no locals
    size_t middle = 0;
    for (size_t k = 0; k < kBodyOps; ++k) {
      if (k == kBodyOps / 2) middle = body.size();
      put_bytes(body, {0x41, 0x00, 0x1a});
    }
    body.push_back(0x0b);
    for (const Special& s : specials) {
      if (s.func != i) continue;
      std::fill(body.begin() + middle, body.begin() + middle + 6, 0x01);
      std::copy(s.ops.begin(), s.ops.end(), body.begin() + middle);
    }
    put_leb(code, body.size());
    middles.push_back(code.size() + middle);
    code.insert(code.end(), body.begin(), body.end());
  }
  Bytes m = module_with({{1, types}, {3, funcs}});
  // The code section's payload starts after its id and its size's LEB.
  Bytes size_leb;
  put_leb(size_leb, code.size());
  const size_t code_start = m.size() + 1 + size_leb.size();
  put_section(m, 10, code);
  if (offsets)
    for (size_t mid : middles) offsets->push_back(code_start + mid);
  return m;
}

CompileError validate_error(const Bytes& bytes) {
  try {
    validate_module(bytes, FeatureSet{});
  } catch (const CompileError& e) {
    return e;
  }
  ADD_FAILURE() << "the module validated, but an error was expected";
  return CompileError("validated");
}

const Bytes kBadAdd = {0x6a};                        // i32.add on an empty stack
const Bytes kExtend = {0x41, 0x00, 0xc0, 0x1a};      // i32.const 0; i32.extend8_s; drop
const Bytes kSimd = {0x41, 0x00, 0xfd, 0x0f, 0x1a};  // i32.const 0; i8x16.splat; drop: SIMD

std::string function_label(const char* n) {  // "function 12:", as the error says
  return std::string("function ") + n + ":";
}

TEST(FrontParallelValidation, AValidModuleKeepsTheFeaturesOfEveryThreadsFunctions) {
  // Only the last function (the last thread's share) uses sign extension.
  ModuleDecl d = validate_module(big_module({{kFuncs - 1, kExtend}}), FeatureSet{});
  EXPECT_EQ(d.num_defined_funcs(), kFuncs);
  EXPECT_TRUE(d.wasm2_features & static_cast<uint32_t>(Wasm2Feature::sign_extension));
  ModuleDecl plain = validate_module(big_module({}), FeatureSet{});
  EXPECT_FALSE(plain.wasm2_features & static_cast<uint32_t>(Wasm2Feature::sign_extension));
}

TEST(FrontParallelValidation, TheLowestInvalidFunctionIsReportedAtItsOffset) {
  std::vector<size_t> at;
  Bytes m = big_module({{100, kBadAdd}, {3900, kBadAdd}}, &at);
  CompileError e = validate_error(m);
  EXPECT_NE(e.message().find(function_label("100")), std::string::npos) << e.what();
  EXPECT_EQ(e.offset(), at[100]) << e.what();
  // Only a function near the end (another thread's share): it is found, at its own offset.
  at.clear();
  Bytes late = big_module({{3900, kBadAdd}}, &at);
  CompileError l = validate_error(late);
  EXPECT_NE(l.message().find(function_label("3900")), std::string::npos) << l.what();
  EXPECT_EQ(l.offset(), at[3900]) << l.what();
}

TEST(FrontParallelValidation, AnErrorBeforeAnUnsupportedProposalWinsAndViceVersa) {
  // Sequential validation stops at function 10's type error and never meets the SIMD operator.
  CompileError first_invalid = validate_error(big_module({{10, kBadAdd}, {3000, kSimd}}));
  EXPECT_NE(first_invalid.message().find(function_label("10")), std::string::npos)
      << first_invalid.what();
  EXPECT_EQ(first_invalid.message().find("unsupported"), std::string::npos) << first_invalid.what();
  // The other way round, the refusal names SIMD.
  CompileError first_simd = validate_error(big_module({{10, kSimd}, {3000, kBadAdd}}));
  EXPECT_NE(first_simd.message().find("unsupported: this module needs SIMD"), std::string::npos)
      << first_simd.what();
}

}  // namespace
}  // namespace wisp::test
