// Identities of this wisp build that cache keys include (tier-1 objects, persisted snapshots).
// Defined in a file generated at configure time (src/CMakeLists.txt), so a change to code
// generation recompiles that one file, not every file of the library.
#pragma once

namespace wisp::detail {

// The project version ("0.1.0").
extern const char* const kWispVersion;
// A digest of everything that shapes generated code: the compile layer's sources, the ABI header
// and wasm-rt.h. A change to code generation can never load an object built by another build.
extern const char* const kCodegenId;

}  // namespace wisp::detail
