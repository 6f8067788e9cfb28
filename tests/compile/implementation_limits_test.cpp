// wisp's documented implementation limits: what a module may declare and still compile and run
// on both tiers, and how WAT text is bounded before libwabt's recursive parser sees it. (Hostile
// code whose C would not follow its size: c_budget_test.cpp; hostile counts in the declarations:
// front_decoder_test.cpp.)
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "support/binary.hpp"
#include "support/wat.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

std::string repeat(std::string_view s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

// libwabt's text parser recurses per nesting level (a million folded blocks overflowed the
// caller's stack, and so did 100,000 plain `block ... end`): text nesting deeper than 20,064
// levels is refused before it is parsed.
TEST(ImplementationLimits, DeepWatIsRejectedBeforeParsing) {
  const size_t n = 1'000'000;
  std::string folded = "(module (func " + repeat("(block ", n) + repeat(")", n) + "))";
  try {
    wat_to_wasm(folded);
    ADD_FAILURE() << "no CompileError";
  } catch (const CompileError& e) {
    EXPECT_NE(std::string(e.what()).find("WAT: nests more than"), std::string::npos) << e.what();
  }
  std::string plain = "(module (func " + repeat("block ", n / 10) + repeat("end ", n / 10) + "))";
  EXPECT_THROW(wat_to_wasm(plain), CompileError);
  // Comments and strings do not count; 10,000 levels convert.
  std::string ok = "(module (func (export \"((((\") ;; ((((\n (; ( (; ( ;) ;) " +
                   repeat("(block ", 10'000) + repeat(")", 10'000) + "))";
  Engine::validate(wat_to_wasm(ok));
}

}  // namespace
}  // namespace wisp::test
