// wisp's own translation of a validated module to C: a prelude (types, the instance struct,
// prototypes, helpers), one C text per defined function, and a tail (segments, instantiation,
// import shims, export trampolines, the wisp_module_desc_t descriptor: runtime/wisp_abi.h).
// Translation units come by construction: unit 0 is prelude + tail, every further unit the
// prelude + a run of functions (WISP_SPLIT makes the functions and shared data non-static).
// Calls between defined functions use the plain name `w<index>`: lazy compilation can later turn
// those names into function pointers in the prelude without changing any function's text.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "compile/front/module_decl.hpp"

namespace wisp::detail::emit {

struct EmitOptions {
  bool consume_fuel = false;   // EngineConfig::consume_fuel (c_emitter.hpp's fuel rule)
  front::FeatureSet features;  // the proposals the function validator accepts
  // The most C the module may become (0: no limit); past it, CompileError. Linear emission keeps
  // ordinary code at 2-8 bytes of C per byte, but some small inputs spell out much more (locals
  // are declared by count, a call to a 1,000-parameter function fills 1,000 arguments, a
  // br_table copies a label's values to each of its targets): c_budget() bounds them all.
  uint64_t c_budget = 0;
  // Lazy tier 0: ref.func names the stubs of the base unit (ModuleEmitter::lazy_base).
  bool lazy = false;
};

// The C budget of a module: kCBudgetBase plus kCBudgetPerByte for each byte of its sections but
// data and custom sections (which never become C code, so they buy no budget).
inline constexpr uint64_t kCBudgetBase = uint64_t{16} << 20;
inline constexpr uint64_t kCBudgetPerByte = 128;
uint64_t c_budget(const front::ModuleDecl& decl, size_t module_bytes);
// The rule above in words (for error messages).
const char* c_budget_rule();

// The module's C in one buffer (no copy to make one translation unit): the prelude, the defined
// functions in order, then the tail.
struct CModule {
  std::string text;
  size_t prelude_size = 0;
  std::vector<size_t> function_ends;  // defined function i ends at function_ends[i] in `text`

  std::string_view prelude() const { return std::string_view(text).substr(0, prelude_size); }
  std::string_view function(size_t i) const {
    size_t begin = i ? function_ends[i - 1] : prelude_size;
    return std::string_view(text).substr(begin, function_ends[i] - begin);
  }
  std::string_view tail() const {
    size_t begin = function_ends.empty() ? prelude_size : function_ends.back();
    return std::string_view(text).substr(begin);
  }
  // Translation units of about `unit_bytes` of functions each (see above); the whole text as one
  // unit when unit_bytes is 0 or the C is at most 2 * unit_bytes.
  std::vector<std::string> units(size_t unit_bytes) const;
};

struct ModuleShape;

// Emits the parts of one module's C; function(i) validates and emits one function on demand.
class ModuleEmitter {
 public:
  ModuleEmitter(const front::ModuleDecl& decl, std::span<const uint8_t> bytes,
                const EmitOptions& options);
  ~ModuleEmitter();
  ModuleEmitter(const ModuleEmitter&) = delete;
  ModuleEmitter& operator=(const ModuleEmitter&) = delete;

  std::string prelude() const;
  // Validates defined function `defined_index` and appends its C to `out`.
  void function(uint32_t defined_index, std::string& out);
  std::string tail() const;

  // Lazy tier 0 (options.lazy): the base unit (c_lazy.hpp), and the C of a batch of defined
  // functions (by defined index), with the base unit's symbols it needs beyond the fixed ones
  // appended to `externals`. The budget applies to each batch.
  std::string lazy_base() const;
  std::string lazy_batch(std::span<const uint32_t> defined, std::vector<std::string>& externals);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The whole module. Throws CompileError (an invalid body, or what the emitter cannot translate).
CModule emit_module_c(const front::ModuleDecl& decl, std::span<const uint8_t> bytes,
                      const EmitOptions& options);

}  // namespace wisp::detail::emit
