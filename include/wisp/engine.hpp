// The Engine compiles WebAssembly modules (two tiers, content-addressed cache of tier 1).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wisp/module.hpp"

namespace wisp {

// The WebAssembly proposals past 2.0 that wisp runs, each on unless turned off here. A module
// that uses one that is off is refused with a CompileError naming it, as a module that uses a
// proposal wisp does not run is. Part of the tier-1 cache key.
struct Proposals {
  bool simd = true;            // 128-bit vectors (v128): native vector code on tier 1
  bool relaxed_simd = true;    // relaxed SIMD, with deterministic choices (README)
  bool exceptions = true;      // legacy exception handling: try, catch, delegate, rethrow, tags
  bool exnref = true;          // final exception handling: try_table, throw_ref, exnref
  bool extended_const = true;  // i32/i64 add, sub and mul in constant expressions
  bool tail_call = true;       // return_call, return_call_indirect (constant stack on both tiers)
  bool memory64 = true;        // i64 addresses (at most 65536 pages, as every memory)
  bool multi_memory = true;    // several memories (each with its own image in a snapshot)
  bool threads = true;         // shared memories, atomics, wait/notify (no snapshots of them)

  // Turns on or off the proposal of this name, as wabt's flags name them ("simd",
  // "relaxed-simd", "exceptions", "exnref", "extended-const", "tail-call", "memory64",
  // "multi-memory", "threads");
  // false if wisp runs no proposal of that name.
  bool set(std::string_view name, bool on);
  bool operator==(const Proposals&) const = default;
};

struct EngineConfig {
  // Where tier-1 shared objects are cached. Empty: $XDG_CACHE_HOME/wisp, else ~/.cache/wisp.
  std::filesystem::path cache_dir;
  // Build tier 1 (cc -O2) at all.
  bool enable_tier1 = true;
  // Build tier 1 in the background (true) or before compile() returns (false).
  bool background_tier1 = true;
  // Only load tier 1 from the cache: never build it in this process (a short-lived process,
  // such as `wisp run`, leaves the build to a detached `wisp compile` instead of waiting for it).
  bool tier1_cache_only = false;
  // The C compiler for tier 1.
  std::string c_compiler = "cc";
  // Optimisation flags for tier 1 (part of the cache key).
  std::vector<std::string> tier1_flags = {"-O2"};
  // Tier 1 splits a module whose C is over twice this many bytes into translation units of about
  // this size, compiled in parallel (one compiler per core) and linked into one shared object.
  // 0: never split. Part of the cache key.
  size_t tier1_unit_bytes = size_t{4} << 20;
  // Limits on every tier-1 compiler process (the driver and what it runs: cc1, as, ld), so that
  // C a hostile module makes the compiler choke on cannot exhaust the host: address space in
  // bytes and CPU seconds (0: no limit). Set through prlimit(1) (util-linux) before the compiler
  // starts. A build that hits one fails; tier 0 keeps running the module (Module::tier1_error()).
  uint64_t tier1_memory_limit_bytes = uint64_t{8} << 30;
  uint32_t tier1_cpu_seconds = 1800;
  // Build tier 0 (libtcc) at all. If false, compile() waits for tier 1.
  bool enable_tier0 = true;
  // Lazy tier 0: compile() builds a small base unit (a stub per function), and each function is
  // translated and compiled on its first call, in a batch with the functions after it of about
  // `lazy_batch_bytes` of code in all. A program pays only for what it runs. false: the whole
  // module is compiled before compile() returns. The environment variables WISP_LAZY_TIER0=0|1
  // and WISP_LAZY_BATCH_BYTES=N override them.
  bool lazy_tier0 = true;
  size_t lazy_batch_bytes = 16 << 10;
  // Fuel metering (like Wasmtime's Config::consume_fuel): generated code counts the
  // instructions it executes against a per-instance budget, and a call that runs out ends with
  // Trap(out_of_fuel). Deterministic: the same code with the same budget stops at the same
  // point on both tiers and on every run. Costs some speed; part of the tier-1 cache key. The
  // budget: Limits::fuel, Instance::set_fuel() and fuel_remaining().
  bool consume_fuel = false;
  // Which proposals compile() accepts.
  Proposals proposals;

  bool operator==(const EngineConfig&) const = default;
};

namespace detail {
struct EngineImpl;
class ModuleBytes;
}  // namespace detail

// Thread-safe; share one Engine across the process. Modules keep what they need alive.
class Engine {
 public:
  explicit Engine(EngineConfig config = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Validates and compiles `bytes`. Throws CompileError (with byte offset) on malformed or
  // invalid modules and on unsupported features (naming the feature). When the cache holds a
  // tier-1 object for these exact bytes (its key is their SHA-256), they validated when it was
  // built: they are not validated again, only their declarations and segments are read.
  Module compile(std::span<const uint8_t> bytes);
  // A .wasm or .wat file, or a precompiled module (load_precompiled) recognised by its trailer.
  Module compile_file(const std::filesystem::path& path);

  // Ahead of time: writes `module`'s tier-1 code, its interface and its bytes into one file
  // (waiting for tier 1 if it is being built). Throws wisp::Error if the module has no tier 1
  // (the reason is in the message) or the file cannot be written. `wisp compile m.wasm -o F`.
  void save_precompiled(const Module& module, const std::filesystem::path& path);
  // Loads a file save_precompiled wrote, compiling nothing: the runtime-only build
  // (libwisp_runtime: no front end, no libtcc, no libwabt, no C compiler) loads modules only this
  // way. The module runs tier 1 only. Checks the file against its digest, the wisp build that
  // wrote it (its code-generation id), the ABI version and the CPU features its code needs;
  // throws wisp::Error naming what does not match. The file is native code that runs in this
  // process, trusted like a shared library: load only files you made, never untrusted input.
  Module load_precompiled(const std::filesystem::path& path);
  // (compile_file and inspect_file load such a file this way too: its code is loaded, and its
  // initialisers run, even to inspect it.)
  // True if `path` ends like a precompiled module (its magic; nothing else is checked).
  static bool is_precompiled(const std::filesystem::path& path);
  // Validates only (no native code).
  static void validate(std::span<const uint8_t> bytes);
  // Validates and reads the interface (imports, exports, features, sections, start) without
  // building any code: what `wisp inspect` shows. The first instance of the module, if one is
  // made, builds tier 0 then. Throws CompileError like compile().
  Module inspect(std::span<const uint8_t> bytes);
  Module inspect_file(const std::filesystem::path& path);
  // The C that tier 1 compiles for `bytes` under this engine's configuration (fuel, unit size),
  // as translation units (one unless tier1_unit_bytes splits it): for debugging the emitter
  // (`wisp compile --emit-c DIR`). Throws CompileError like compile().
  std::vector<std::string> emit_c(std::span<const uint8_t> bytes) const;

  const EngineConfig& config() const;
  std::filesystem::path cache_dir() const;
  const std::shared_ptr<detail::EngineImpl>& impl() const { return impl_; }

 private:
  Module compile_bytes(std::shared_ptr<const detail::ModuleBytes> bytes);
  Module compile_here(const std::shared_ptr<detail::ModuleImpl>& m, const std::filesystem::path& so,
                      std::chrono::steady_clock::time_point t0);
  std::shared_ptr<detail::EngineImpl> impl_;
};

// Reads a whole file (throws wisp::Error naming the path on failure).
std::vector<uint8_t> read_file_bytes(const std::filesystem::path& path);

// WebAssembly text format → binary (libwabt's parser). Throws CompileError on syntax errors.
std::vector<uint8_t> wat_to_wasm(std::string_view text);

}  // namespace wisp
