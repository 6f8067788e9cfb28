// Tier 0: libtcc compiles the C translation into executable memory in milliseconds.
#include "compile/tier0_tcc.hpp"

#include <dlfcn.h>
#include <setjmp.h>

#include <cstdlib>
#include <cstring>
#include <utility>
#include <vector>

#include "compile/native_code.hpp"
#include "runtime/host_call.hpp"
#include "wisp/error.hpp"

namespace wisp::detail {

namespace {

void on_tcc_error(void* opaque, const char* msg) {
  auto* errors = static_cast<std::string*>(opaque);
  if (errors->size() < 4096) *errors += std::string(msg) + "\n";
}

// Conversions and varargs that libtcc compiles into calls to libtcc1.a's helpers, whatever they
// are called on this target: compiled once with libtcc1.a linked, to find the helpers there.
const char* const kHelperUses = R"C(#include <stdarg.h>
unsigned long long wisp_h1(double x) { return x; }
unsigned long long wisp_h2(float x) { return x; }
long long wisp_h3(double x) { return x; }
long long wisp_h4(float x) { return x; }
double wisp_h5(unsigned long long x) { return x; }
float wisp_h6(unsigned long long x) { return x; }
int wisp_h7(int n, ...) { va_list ap; int r; va_start(ap, n); r = va_arg(ap, int); va_end(ap); return r; }
)C";

}  // namespace

// What every unit links against: the C library functions the emitter's prelude declares, and
// libtcc1.a's helpers (from a TCCState that lives as long as the process). Built on first use; a
// failure (no libm.so.6) throws, and the next use tries again.
const TccState::Symbols& TccState::runtime_symbols() {
  static const Symbols symbols = [] {
    Symbols s = {
        {"memcpy", reinterpret_cast<const void*>(&std::memcpy)},
        {"memmove", reinterpret_cast<const void*>(&std::memmove)},
        {"memset", reinterpret_cast<const void*>(&std::memset)},
        {"malloc", reinterpret_cast<const void*>(&std::malloc)},
        {"free", reinterpret_cast<const void*>(&std::free)},
        {"abort", reinterpret_cast<const void*>(&std::abort)},
        // try blocks (exceptions): saves no signal mask, as the throw's longjmp needs none.
        {"_setjmp", reinterpret_cast<const void*>(&_setjmp)},
    };
    // libm: the wisp binary does not load libm.so (src/CMakeLists.txt), and libm.a's functions
    // are not position-independent; opened once, never closed (units keep calling into it).
    void* libm = dlopen("libm.so.6", RTLD_NOW | RTLD_LOCAL);
    if (!libm) throw CompileError(std::string("tier 0: cannot load libm.so.6: ") + dlerror());
    for (const char* name : {"ceilf", "floorf", "truncf", "nearbyintf", "sqrtf", "ceil", "floor",
                             "trunc", "nearbyint", "sqrt"}) {
      const void* p = dlsym(libm, name);
      if (!p) throw CompileError(std::string("tier 0: libm.so.6 has no ") + name);
      s.emplace_back(name, p);
    }
    static TccState helpers;  // never freed: the helpers' code must outlive every unit
    helpers.build(kHelperUses, nullptr, {});
    std::lock_guard lock(tcc_mutex());
    tcc_list_symbols(helpers.raw(), &s, [](void* ctx, const char* name, const void* val) {
      // "__fixunsdfdi", "__va_arg", ...; not the linker's "__init_array_start" or "x@plt".
      if (std::strncmp(name, "__", 2) == 0 && !std::strchr(name, '@') &&
          !std::strstr(name, "_array_"))
        static_cast<Symbols*>(ctx)->emplace_back(name, val);
    });
    return s;
  }();
  return symbols;
}

std::mutex& tcc_mutex() {
  static std::mutex m;  // libtcc 0.9.27 keeps global state
  return m;
}

TccState::~TccState() {
  std::lock_guard lock(tcc_mutex());
  if (state_) tcc_delete(state_);
}

void TccState::compile(const char* c_source, const std::function<void(TCCState*)>& before_link) {
  build(c_source, &runtime_symbols(), before_link);
}

void TccState::build(const char* c_source, const Symbols* runtime,
                     const std::function<void(TCCState*)>& before_link) {
  std::lock_guard lock(tcc_mutex());
  state_ = tcc_new();
  if (!state_) throw Error("tier 0: libtcc could not be initialised");
  tcc_set_lib_path(state_, WISP_TCC_LIB_DIR);
  tcc_set_error_func(state_, &errors_, on_tcc_error);
  tcc_set_options(state_, runtime ? "-w -nostdlib" : "-w");
  tcc_set_output_type(state_, TCC_OUTPUT_MEMORY);
  tcc_add_include_path(state_, WISP_TCC_LIB_DIR "/include");
  if (tcc_compile_string(state_, c_source) != 0)
    throw CompileError("tier 0 (libtcc) failed to compile the module's C translation:\n" + errors_);
  if (runtime)
    for (const auto& [name, p] : *runtime) tcc_add_symbol(state_, name.c_str(), p);
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
