// Tier 0: libtcc compiles the C translation into executable memory in milliseconds.
#include "compile/tier0_tcc.hpp"

#include "compile/native_code.hpp"
#include "runtime/host_call.hpp"
#include "wisp/error.hpp"

namespace wisp::detail {

namespace {

void on_tcc_error(void* opaque, const char* msg) {
  auto* errors = static_cast<std::string*>(opaque);
  if (errors->size() < 4096) *errors += std::string(msg) + "\n";
}

}  // namespace

std::mutex& tcc_mutex() {
  static std::mutex m;  // libtcc 0.9.27 keeps global state
  return m;
}

TccState::~TccState() {
  std::lock_guard lock(tcc_mutex());
  if (state_) tcc_delete(state_);
}

void TccState::compile(const char* c_source, const std::function<void(TCCState*)>& before_link) {
  std::lock_guard lock(tcc_mutex());
  state_ = tcc_new();
  if (!state_) throw Error("tier 0: libtcc could not be initialised");
  tcc_set_lib_path(state_, WISP_TCC_LIB_DIR);
  tcc_set_error_func(state_, &errors_, on_tcc_error);
  tcc_set_options(state_, "-w");
  tcc_set_output_type(state_, TCC_OUTPUT_MEMORY);
  tcc_add_include_path(state_, WISP_TCC_LIB_DIR "/include");
  if (tcc_compile_string(state_, c_source) != 0)
    throw CompileError("tier 0 (libtcc) failed to compile the module's C translation:\n" + errors_);
  tcc_add_library(state_, "m");
  if (before_link) before_link(state_);
  if (tcc_relocate(state_, TCC_RELOCATE_AUTO) < 0)
    throw CompileError("tier 0 (libtcc) failed to link the module:\n" + errors_);
}

void* TccState::symbol(const char* name) const {
  std::lock_guard lock(tcc_mutex());
  return tcc_get_symbol(state_, name);
}

const wisp_module_desc_t* TccState::describe() const {
  auto fn = reinterpret_cast<wisp_describe_fn>(symbol(WISP_DESCRIBE_SYMBOL));
  if (!fn) throw CompileError("tier 0: descriptor symbol missing");
  return fn();
}

namespace {

class TccCode final : public CodeObject {
 public:
  TccState state;
};

}  // namespace

std::shared_ptr<CodeObject> compile_tier0(const std::string& c_source) {
  auto code = std::make_shared<TccCode>();
  code->tier = Tier::tier0;
  code->state.compile(c_source.c_str());
  code->desc = code->state.describe();
  return code;
}

}  // namespace wisp::detail
