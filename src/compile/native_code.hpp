// Native code from the C translation: tier 0 with libtcc in memory, tier 1 with the system C
// compiler into a cached shared object (tier1_cc.cpp builds it, tier1_load.cpp loads it).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "compile/module_impl.hpp"

namespace wisp::detail {

// Compiles `c_source` (the emitter's C of a whole module) with libtcc into memory (serialised:
// libtcc has global state).
std::shared_ptr<CodeObject> compile_tier0(const std::string& c_source);

struct Tier1Options {
  std::string compiler = "cc";
  std::vector<std::string> flags = {"-O2"};
  // C bytes per translation unit when a large module's C is split (emit::CModule::units);
  // the units compile in parallel, one compiler per core. 0: one unit.
  size_t unit_bytes = 0;
  // Limits on each compiler process (0: none; EngineConfig::tier1_memory_limit_bytes, ...).
  uint64_t memory_limit_bytes = 0;
  uint32_t cpu_seconds = 0;
};

// Flags every tier-1 build uses (part of the cache key): position-independent shared object,
// no interposition, no strict aliasing (the C reads memory through pointer casts), stack probes
// (a large frame cannot skip the guard page), no tail-recursion elimination (infinite recursion
// must exhaust the stack, not loop), and signalling NaNs honoured (x - 0.0 and x * 1.0 must
// quiet a NaN, so they are not folded away).
extern const char* const kTier1FixedFlags[7];
// Instruction-set flags for the host CPU (part of the cache key): "-msse4.2" on an x86-64 that
// has SSE4.2 (SIMD's shuffles, swizzles, rounding and narrowing become single instructions; no
// FMA, so float results are those of the baseline), else none.
const std::vector<std::string>& tier1_host_flags();

// SHA-256 of exactly these bytes (hex).
std::string sha256_bytes_hex(std::string_view bytes);

// "cc (Debian 12.2.0-14) 12.2.0": the first line of `compiler --version`. Cached in the process,
// and in `cache_dir` (if not empty) under the compiler binary's resolved path, size, inode and
// modification time, so a later process does not spawn the compiler to learn it.
std::string compiler_identity(const std::string& compiler, const std::string& cache_dir = {});

// Compiles `c_source` into `so_path` (written atomically). Returns the number of translation
// units it was built from: over 1 when split (a split that fails to build falls back to one unit).
// Throws wisp::Error on failure.
size_t build_tier1_object(const emit::CModule& c_source, const Tier1Options& options,
                          const std::filesystem::path& so_path);

// dlopen()s a tier-1 object from the cache after checking it against its digest file
// ("X.so.sha256"), and checks its ABI version. Throws wisp::Error.
std::shared_ptr<CodeObject> load_tier1_object(const std::filesystem::path& so_path);
// The same without a digest file (the caller checked the bytes): dlopen() and the ABI version.
// `keep_fd` (if not -1) is closed when the object is unloaded, not before: a path naming an open
// descriptor (/proc/self/fd/N) stays unique while the object is loaded, since dlopen() returns
// the object already loaded under the same name.
std::shared_ptr<CodeObject> open_tier1_object(const std::filesystem::path& so_path,
                                              int keep_fd = -1);

// Hex SHA-256 (OpenSSL) of the concatenation of the parts.
std::string sha256_hex(const std::vector<std::string_view>& parts);

}  // namespace wisp::detail
