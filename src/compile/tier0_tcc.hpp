// libtcc in memory, shared by eager tier 0 (compile_tier0) and lazy tier 0 (lazy_tier0.cpp):
// one compiled and relocated TCCState, serialised on libtcc's global lock.
#pragma once

#include <libtcc.h>

#include <functional>
#include <mutex>
#include <string>

#include "runtime/wisp_abi.h"

namespace wisp::detail {

// libtcc 0.9.27 keeps global state: every use of it holds this.
std::mutex& tcc_mutex();

// How a unit links. `system`: as libtcc does by default, against libc, libm and libtcc1.a, each
// opened and read for every unit, and anything else the process has (dlsym). `wisp_c`: C of
// wisp's own emitter, compiled with -nostdlib and linked only against the few C library and
// libtcc1.a helper functions it uses (c_runtime_symbols in tier0_tcc.cpp), added by address:
// no file is opened, and the code can name nothing else in the process.
enum class TccLink { system, wisp_c };

class TccState {
 public:
  TccState() = default;
  ~TccState();
  TccState(const TccState&) = delete;
  TccState& operator=(const TccState&) = delete;

  // Compiles and relocates `c_source`; `before_link` may add symbols (tcc_add_symbol) first.
  // Throws CompileError with libtcc's messages.
  void compile(const char* c_source, TccLink link,
               const std::function<void(TCCState*)>& before_link = {});
  void* symbol(const char* name) const;  // nullptr if absent
  const wisp_module_desc_t* describe() const;
  TCCState* raw() const { return state_; }

 private:
  TCCState* state_ = nullptr;
  std::string errors_;
};

}  // namespace wisp::detail
