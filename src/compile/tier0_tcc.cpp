// Tier 0: libtcc compiles the C translation into executable memory in milliseconds.
#include <libtcc.h>

#include <mutex>

#include "compile/native_code.hpp"
#include "runtime/host_call.hpp"
#include "wisp/error.hpp"

namespace wisp::detail {

namespace {

std::mutex g_tcc_mutex;  // libtcc 0.9.27 keeps global state

class TccCode final : public CodeObject {
 public:
  ~TccCode() override {
    std::lock_guard lock(g_tcc_mutex);
    if (state) tcc_delete(state);
  }
  TCCState* state = nullptr;
};

void on_tcc_error(void* opaque, const char* msg) {
  auto* errors = static_cast<std::string*>(opaque);
  if (errors->size() < 4096) *errors += std::string(msg) + "\n";
}

}  // namespace

std::shared_ptr<CodeObject> compile_tier0(const std::string& c_source) {
  auto code = std::make_shared<TccCode>();
  code->tier = Tier::tier0;
  std::string errors;
  std::lock_guard lock(g_tcc_mutex);
  TCCState* s = tcc_new();
  if (!s) throw Error("tier 0: libtcc could not be initialised");
  code->state = s;
  tcc_set_lib_path(s, WISP_TCC_LIB_DIR);
  tcc_set_error_func(s, &errors, on_tcc_error);
  tcc_set_options(s, "-w");
  tcc_set_output_type(s, TCC_OUTPUT_MEMORY);
  tcc_add_include_path(s, WISP_TCC_LIB_DIR "/include");
  if (tcc_compile_string(s, c_source.c_str()) != 0) {
    throw CompileError("tier 0 (libtcc) failed to compile the module's C translation:\n" + errors);
  }
  tcc_add_library(s, "m");
  if (tcc_relocate(s, TCC_RELOCATE_AUTO) < 0) {
    throw CompileError("tier 0 (libtcc) failed to link the module:\n" + errors);
  }
  auto describe = reinterpret_cast<wisp_describe_fn>(tcc_get_symbol(s, WISP_DESCRIBE_SYMBOL));
  if (!describe) throw CompileError("tier 0: descriptor symbol missing");
  code->desc = describe();
  return code;
}

}  // namespace wisp::detail
