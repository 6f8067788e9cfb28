// libtcc in memory, shared by eager tier 0 (compile_tier0) and lazy tier 0 (lazy_tier0.cpp):
// one compiled and relocated TCCState, serialised on libtcc's global lock.
#pragma once

#include <libtcc.h>

#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "runtime/wisp_abi.h"

namespace wisp::detail {

// libtcc 0.9.27 keeps global state: every use of it holds this.
std::mutex& tcc_mutex();

// A unit is C of wisp's own emitter, compiled with -nostdlib and linked only against the few C
// library and libtcc1.a helper functions it uses (runtime_symbols in tier0_tcc.cpp), added by
// address: no file is opened, and the code can name nothing else in the process.
class TccState {
 public:
  TccState() = default;
  ~TccState();
  TccState(const TccState&) = delete;
  TccState& operator=(const TccState&) = delete;

  // Compiles and relocates `c_source`; `before_link` may add symbols (tcc_add_symbol) first.
  // Throws CompileError with libtcc's messages.
  void compile(const char* c_source, const std::function<void(TCCState*)>& before_link = {});
  void* symbol(const char* name) const;  // nullptr if absent
  const wisp_module_desc_t* describe() const;
  TCCState* raw() const { return state_; }

 private:
  using Symbols = std::vector<std::pair<std::string, const void*>>;
  // What every unit links against, built on first use.
  static const Symbols& runtime_symbols();
  // Compiles and relocates `c_source` against `runtime`, or, if it is null, with libtcc's own
  // link (libc and libtcc1.a, opened from disk): only the one state that supplies libtcc1.a's
  // helpers to runtime_symbols links so.
  void build(const char* c_source, const Symbols* runtime,
             const std::function<void(TCCState*)>& before_link);

  TCCState* state_ = nullptr;
  std::string errors_;
};

}  // namespace wisp::detail
