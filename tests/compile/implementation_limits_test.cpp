// wisp's documented implementation limits (README, "Implementation limits"; the constants in
// src/compile/front/module_decoder.hpp) on the code that must stay within them: function types
// of up to 1,000 parameters compile and run on both tiers, a br_table of a million targets
// becomes data rather than a million case labels and builds on tier 1, and 100,000 functions or
// 200,000 globals compile on lazy tier 0 in a time proportional to their number (measured
// against a module a tenth their size in the same run: no absolute time bound). And WAT text is
// bounded before libwabt's recursive parser sees it. (Hostile code whose C would not follow its
// size: c_budget_test.cpp; hostile counts in the declarations: front_decoder_test.cpp.)
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support/binary.hpp"
#include "support/fixture.hpp"
#include "support/wat.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

// i32.const `v` (a signed LEB128 immediate).
void put_i32_const(Bytes& out, int32_t v) {
  out.push_back(0x41);
  int64_t x = v;
  for (;;) {
    uint8_t byte = x & 0x7f;
    x >>= 7;
    bool done = (x == 0 && !(byte & 0x40)) || (x == -1 && (byte & 0x40));
    out.push_back(done ? byte : byte | 0x80);
    if (done) return;
  }
}

// Appends an export of function `index` named `name`.
void put_func_export(Bytes& exports, std::string_view name, uint32_t index) {
  put_name(exports, name);
  exports.push_back(0x00);
  put_leb(exports, index);
}

// Sections in order: each (id, payload) present if its payload is not empty.
Bytes module_from(const std::vector<std::pair<uint8_t, Bytes>>& sections) {
  Bytes m = wasm_header();
  for (const auto& [id, payload] : sections)
    if (!payload.empty()) put_section(m, id, payload);
  return m;
}

// What `wide` below computes from its arguments.
uint32_t fold(const std::vector<uint32_t>& args) {
  uint32_t acc = 0;
  for (uint32_t a : args) acc = acc * 31 + a;
  return acc;
}

// Function 0, "wide": `n` i32 parameters, folded in order by fold(). Function 1, "call_wide": no
// parameters, calls wide with 1..n (a wasm-to-wasm call of that signature).
Bytes wide_module(uint32_t n) {
  Bytes types;
  put_leb(types, 2);
  Bytes wide = func_type(n, 1), caller = func_type(0, 1);
  types.insert(types.end(), wide.begin(), wide.end());
  types.insert(types.end(), caller.begin(), caller.end());
  Bytes body{0x00, 0x41, 0x00};  // no locals; i32.const 0 (the accumulator)
  for (uint32_t k = 0; k < n; ++k) {
    put_bytes(body, {0x41, 31, 0x6c, 0x20});  // i32.const 31; i32.mul; local.get k
    put_leb(body, k);
    body.push_back(0x6a);  // i32.add
  }
  body.push_back(0x0b);
  Bytes call{0x00};
  for (uint32_t k = 1; k <= n; ++k) put_i32_const(call, static_cast<int32_t>(k));
  put_bytes(call, {0x10, 0x00, 0x0b});  // call 0; end
  Bytes code;
  put_leb(code, 2);
  for (const Bytes* b : {&body, &call}) {
    put_leb(code, b->size());
    code.insert(code.end(), b->begin(), b->end());
  }
  Bytes exports;
  put_leb(exports, 2);
  put_func_export(exports, "wide", 0);
  put_func_export(exports, "call_wide", 1);
  return module_from({{1, types}, {3, {2, 0, 1}}, {7, exports}, {10, code}});
}

class WideTypes : public TierTest {};

// 252 parameters (over kMaxDirectParams, src/compile/emit/c_names.hpp, so the C passes them as
// an array: libtcc's value stack overflows on a call with a few hundred direct arguments) and
// 1,000 (the documented limit): the host calls the export, and wasm calls it, with every
// argument in its place.
TEST_P(WideTypes, FunctionTypesUpToTheLimitCompileAndRun) {
  for (uint32_t n : {252u, 1000u}) {
    SCOPED_TRACE("parameters: " + std::to_string(n));
    Module m = engine().compile(wide_module(n));
    Instance inst = Linker().instantiate(m, options());
    EXPECT_EQ(inst.tier(), tier());
    std::vector<uint32_t> args(n);
    std::vector<Value> values;
    for (uint32_t k = 0; k < n; ++k) {
      args[k] = k * 2654435761u;
      values.push_back(Value::i32(static_cast<int32_t>(args[k])));
    }
    EXPECT_EQ(static_cast<uint32_t>(inst.call("wide", values).at(0).as_i32()), fold(args));
    for (uint32_t k = 0; k < n; ++k) args[k] = k + 1;
    EXPECT_EQ(static_cast<uint32_t>(inst.call("call_wide").at(0).as_i32()), fold(args));
  }
}

TEST_P(WideTypes, OneParameterMoreIsRefusedNamingTheLimit) {
  try {
    engine().compile(wide_module(1001));
    ADD_FAILURE() << "no CompileError";
  } catch (const CompileError& e) {
    EXPECT_NE(std::string(e.what()).find("1000"), std::string::npos) << e.what();
  }
}

WISP_INSTANTIATE_TIERS(WideTypes);

// "pick" (param i32) (result i32): br_table over `targets` targets, target i being block i % 3
// (the results 10, 20, 30), the default block 3 (40).
Bytes br_table_module(uint32_t targets) {
  Bytes body{0x00, 0x02, 0x40, 0x02, 0x40, 0x02, 0x40, 0x02, 0x40, 0x20, 0x00, 0x0e};
  put_leb(body, targets);
  for (uint32_t i = 0; i < targets; ++i) body.push_back(static_cast<uint8_t>(i % 3));
  body.push_back(0x03);  // default: the outermost block
  for (uint8_t r : {10, 20, 30}) put_bytes(body, {0x0b, 0x41, r, 0x0f});  // end; i32.const; return
  put_bytes(body, {0x0b, 0x41, 40, 0x0b});
  Bytes types{1};
  Bytes t = func_type(1, 1);
  types.insert(types.end(), t.begin(), t.end());
  Bytes code{1};
  put_leb(code, body.size());
  code.insert(code.end(), body.begin(), body.end());
  Bytes exports{1};
  put_func_export(exports, "pick", 0);
  return module_from({{1, types}, {3, {1, 0}}, {7, exports}, {10, code}});
}

// A million targets are a table of target numbers in the C (not a million case labels for the C
// compiler), and the module builds and runs on tier 1.
TEST(ImplementationLimits, BrTableOfAMillionTargetsIsDataAndBuildsOnTier1) {
  const uint32_t n = 1'000'000;
  Bytes m = br_table_module(n);
  TempDir cache;
  Engine engine(engine_config(Tier::tier1, cache.path()));
  std::vector<std::string> units = engine.emit_c(m);
  ASSERT_EQ(units.size(), 1u);
  const std::string& c = units[0];
  EXPECT_NE(c.find("T[" + std::to_string(n) + "]"), std::string::npos);
  size_t cases = 0;
  for (size_t at = c.find("case "); at != std::string::npos; at = c.find("case ", at + 1)) ++cases;
  EXPECT_LT(cases, 10u);
  Module mod = engine.compile(m);
  ASSERT_TRUE(mod.tier1_ready()) << mod.tier1_error().value_or("");
  TemplateOptions o;
  o.tier = Tier::tier1;
  Instance inst = Linker().instantiate(mod, o);
  for (uint32_t i : {0u, 1u, 2u, 500'000u, n - 1, n, n + 7, 0xffffffffu})
    EXPECT_EQ(inst.call("pick", {Value::i32(static_cast<int32_t>(i))}).at(0).as_i32(),
              i < n ? 10 * static_cast<int32_t>(i % 3 + 1) : 40)
        << "index " << i;
}

// `n` functions returning their index, the first and last exported.
Bytes many_functions(uint32_t n) {
  Bytes types{1};
  Bytes t = func_type(0, 1);
  types.insert(types.end(), t.begin(), t.end());
  Bytes funcs;
  put_leb(funcs, n);
  funcs.insert(funcs.end(), n, 0x00);
  Bytes code;
  put_leb(code, n);
  for (uint32_t i = 0; i < n; ++i) {
    Bytes body{0x00};
    put_i32_const(body, static_cast<int32_t>(i));
    body.push_back(0x0b);
    put_leb(code, body.size());
    code.insert(code.end(), body.begin(), body.end());
  }
  Bytes exports{2};
  put_func_export(exports, "first", 0);
  put_func_export(exports, "last", n - 1);
  return module_from({{1, types}, {3, funcs}, {7, exports}, {10, code}});
}

// `n` mutable i32 globals initialised to their index, and "last" reading the last one.
Bytes many_globals(uint32_t n) {
  Bytes types{1};
  Bytes t = func_type(0, 1);
  types.insert(types.end(), t.begin(), t.end());
  Bytes globals;
  put_leb(globals, n);
  for (uint32_t i = 0; i < n; ++i) {
    put_bytes(globals, {0x7f, 0x01});  // i32, mutable
    put_i32_const(globals, static_cast<int32_t>(i));
    globals.push_back(0x0b);
  }
  Bytes body{0x00, 0x23};  // global.get n-1
  put_leb(body, n - 1);
  body.push_back(0x0b);
  Bytes code{1};
  put_leb(code, body.size());
  code.insert(code.end(), body.begin(), body.end());
  Bytes exports{1};
  put_func_export(exports, "last", 0);
  return module_from({{1, types}, {3, {1, 0}}, {6, globals}, {7, exports}, {10, code}});
}

// Seconds compile() takes on lazy tier 0 (tier 1 off) for `small` and for `large`: the fastest
// of five runs each, alternating, so that load on the machine slows both alike.
std::pair<double, double> compile_seconds(const Bytes& small, const Bytes& large) {
  EngineConfig c;
  c.enable_tier1 = false;
  c.lazy_tier0 = true;
  Engine engine(c);
  auto seconds = [&](const Bytes& m) {
    auto t0 = std::chrono::steady_clock::now();
    Module mod = engine.compile(m);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  double best_small = 1e9, best_large = 1e9;
  for (int i = 0; i < 5; ++i) {
    best_small = std::min(best_small, seconds(small));
    best_large = std::min(best_large, seconds(large));
  }
  return {best_small, best_large};
}

// `n` items must compile in under 40 times what n / 10 take: linear compilation takes 10 times as
// long, up to 17 times measured here (the small module's data fits in the caches, the large
// one's does not), a quadratic step 100 times.
void expect_linear(const char* what, const std::function<Bytes(uint32_t)>& make, uint32_t n) {
  auto [t_small, t_large] = compile_seconds(make(n / 10), make(n));
  std::printf("[ INFO     ] %s: %u in %.4f s, %u in %.4f s (%.1fx)\n", what, n / 10, t_small, n,
              t_large, t_large / t_small);
  EXPECT_LT(t_large, 40 * t_small) << what << ": " << n << " take " << t_large << " s, " << n / 10
                                   << " take " << t_small << " s";
}

TEST(ImplementationLimits, HundredThousandFunctionsCompileLazilyInLinearTime) {
  expect_linear("functions", many_functions, 100'000);
  EngineConfig c;
  c.enable_tier1 = false;
  Instance inst = Linker().instantiate(Engine(c).compile(many_functions(100'000)));
  EXPECT_EQ(inst.call("first").at(0).as_i32(), 0);
  EXPECT_EQ(inst.call("last").at(0).as_i32(), 99'999);
}

TEST(ImplementationLimits, TwoHundredThousandGlobalsCompileLazilyInLinearTime) {
  expect_linear("globals", many_globals, 200'000);
  EngineConfig c;
  c.enable_tier1 = false;
  Instance inst = Linker().instantiate(Engine(c).compile(many_globals(200'000)));
  EXPECT_EQ(inst.call("last").at(0).as_i32(), 199'999);
}

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
