// The spec test suite's `spectest` host module: print functions, globals, a table and a memory
// (and, for the threads corpus, a shared memory of 1..2 pages).
#include "spectest/spectest_host.hpp"

#include <cstdio>
#include <string>

#include "wabt/binary-writer.h"
#include "wabt/error-formatter.h"
#include "wabt/feature.h"
#include "wabt/ir.h"
#include "wabt/stream.h"
#include "wabt/wast-lexer.h"
#include "wabt/wast-parser.h"
#include "wisp/error.hpp"

namespace wisp::spectest {
namespace {

// The non-function part of the spectest module, as a real module whose exports get registered.
constexpr std::string_view kSpectestWat = R"((module
  (global (export "global_i32") i32 (i32.const 666))
  (global (export "global_i64") i64 (i64.const 666))
  (global (export "global_f32") f32 (f32.const 666.6))
  (global (export "global_f64") f64 (f64.const 666.6))
  (table (export "table") 10 20 funcref)
  (memory (export "memory") 1 2))
)";
// With threads: the same plus `shared_memory` (its own module: memory 0 of each is the export).
constexpr std::string_view kSharedMemoryWat = R"((module
  (memory (export "shared_memory") 1 2 shared))
)";

void print_call(bool verbose, const char* name, std::span<const Value> params) {
  if (!verbose) return;
  std::string line = std::string("spectest.") + name + "(";
  for (size_t i = 0; i < params.size(); ++i) {
    if (i) line += ", ";
    line += params[i].to_string();
  }
  std::printf("%s)\n", line.c_str());
}

}  // namespace

std::vector<uint8_t> wat_to_binary(std::string_view wat) {
  wabt::Errors errors;
  auto lexer = wabt::WastLexer::CreateBufferLexer("<wat>", wat.data(), wat.size(), &errors);
  wabt::Features features;
  features.enable_threads();  // spectest.shared_memory
  wabt::WastParseOptions parse_options(features);
  std::unique_ptr<wabt::Module> module;
  wabt::Result result = wabt::ParseWatModule(lexer.get(), &module, &errors, &parse_options);
  wabt::MemoryStream stream;
  if (wabt::Succeeded(result)) {
    wabt::WriteBinaryOptions write_options(features, true, false, false);
    result = wabt::WriteBinaryModule(&stream, module.get(), write_options);
  }
  if (wabt::Failed(result)) {
    std::string text = wabt::FormatErrorsToString(errors, wabt::Location::Type::Text);
    throw CompileError("WAT: " + (text.empty() ? std::string("cannot encode module") : text));
  }
  return stream.output_buffer().data;
}

Instance define_spectest(Engine& engine, Linker& linker, const TemplateOptions& options,
                         bool verbose) {
  using VT = ValType;
  struct Print {
    const char* name;
    std::vector<ValType> params;
  };
  const Print prints[] = {
      {"print", {}},
      {"print_i32", {VT::i32}},
      {"print_i64", {VT::i64}},
      {"print_f32", {VT::f32}},
      {"print_f64", {VT::f64}},
      {"print_i32_f32", {VT::i32, VT::f32}},
      {"print_f64_f64", {VT::f64, VT::f64}},
  };
  for (const Print& p : prints) {
    const char* name = p.name;
    linker.define_func("spectest", name, FuncType{p.params, {}},
                       [verbose, name](Caller&, std::span<const Value> params, std::span<Value>) {
                         print_call(verbose, name, params);
                       });
  }
  std::vector<uint8_t> bytes = wat_to_binary(kSpectestWat);
  Module module = engine.compile(bytes);
  Instance instance = Linker().instantiate(module, options);
  linker.define_instance("spectest", instance);
  // The shared memory, where the engine runs threads (else imports of it do not link).
  try {
    Module shared = engine.compile(wat_to_binary(kSharedMemoryWat));
    linker.define_instance("spectest", Linker().instantiate(shared, options));
  } catch (const CompileError&) {
  }
  return instance;
}

}  // namespace wisp::spectest
