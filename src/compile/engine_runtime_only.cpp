// Engine in the runtime-only build (libwisp_runtime: no front end, no libtcc, no libwabt, no C
// compiler): modules come only from precompiled files (`wisp compile m.wasm -o m.wisp` on a
// machine with the full wisp); everything that would compile says so.
#include <string>

#include "compile/engine_impl.hpp"
#include "compile/lazy_tier0.hpp"
#include "compile/module_impl.hpp"
#include "compile/precompiled.hpp"
#include "wisp/engine.hpp"
#include "wisp/error.hpp"

namespace wisp {

namespace {

[[noreturn]] void cannot(const std::string& what) {
  throw Error("this is wisp's runtime-only build: it cannot " + what +
              "; it loads precompiled modules (`wisp compile m.wasm -o m.wisp` with the full "
              "wisp, then Engine::load_precompiled)");
}

}  // namespace

namespace detail {

std::shared_ptr<CodeObject> ModuleImpl::build_tier0(const std::string&) const {
  cannot("build tier 0");
}

bool lazy_tier0_stats(const CodeObject&, LazyTier0Stats&) {
  return false;
}

}  // namespace detail

Module Engine::compile(std::span<const uint8_t>) {
  cannot("compile a module");
}

Module Engine::compile_bytes(std::shared_ptr<const detail::ModuleBytes>) {
  cannot("compile a module");
}

Module Engine::compile_here(const std::shared_ptr<detail::ModuleImpl>&,
                            const std::filesystem::path&, std::chrono::steady_clock::time_point) {
  cannot("compile a module");
}

Module Engine::compile_file(const std::filesystem::path& path) {
  if (detail::is_precompiled_file(path)) return load_precompiled(path);
  cannot("compile " + path.string());
}

void Engine::validate(std::span<const uint8_t>) {
  cannot("validate a module");
}

Module Engine::inspect(std::span<const uint8_t>) {
  cannot("decode a module");
}

Module Engine::inspect_file(const std::filesystem::path& path) {
  cannot("decode " + path.string());
}

std::vector<std::string> Engine::emit_c(std::span<const uint8_t>) const {
  cannot("translate a module to C");
}

void Engine::save_precompiled(const Module&, const std::filesystem::path&) {
  cannot("precompile a module");
}

std::vector<uint8_t> wat_to_wasm(std::string_view) {
  cannot("assemble .wat text");
}

}  // namespace wisp
