// Precompiled modules: a module's tier-1 shared object, its metadata and its bytes in one file
// (`wisp compile m.wasm -o m.wisp`, Engine::save_precompiled), loaded without a front end or a
// compiler (Engine::load_precompiled; the runtime-only build has nothing else).
//
// Layout: the shared object first (so that dlopen() maps the file itself; the loader ignores the
// bytes after its segments), then the module's bytes, then the metadata (module_meta.hpp's
// encoding), then a text header, then 16 bytes: the header's size (u64, little-endian) and the
// magic "WISPAOT1". The header names the format, the wisp build (codegen id), the ABI version,
// the instruction-set flags the code needs, fuel metering, the proposals, the three parts' sizes
// and, last, the SHA-256 of the three parts and the header lines before it. The loader keeps
// the file open while its code is loaded (dlopen of /proc/self/fd/N: a name no other load can
// have meanwhile) and checks that the code's exports match the metadata's.
#pragma once

#include <filesystem>
#include <memory>
#include <span>

#include "compile/engine_impl.hpp"
#include "compile/module_impl.hpp"

namespace wisp::detail {

// True if these bytes (a whole file, or its last 16 bytes) end like a precompiled module.
bool ends_like_precompiled(std::span<const uint8_t> bytes);
// True if `path` is a file that ends like a precompiled module (its magic). Reads 16 bytes.
bool is_precompiled_file(const std::filesystem::path& path);

// Writes m's tier 1 (waiting for its build) as a precompiled file, atomically. Throws
// wisp::Error if m has no tier 1 (its error says why) or the file cannot be written.
void write_precompiled(const ModuleImpl& m, const std::filesystem::path& path);

// Loads a precompiled file: checks the header against this build and CPU and the parts against
// their digest, then dlopen()s the file. Throws wisp::Error naming the file and what is wrong.
std::shared_ptr<ModuleImpl> read_precompiled(const EngineImpl& engine,
                                             const std::filesystem::path& path);

}  // namespace wisp::detail
