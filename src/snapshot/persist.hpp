// Persisted snapshots: a snapshot written next to the compiled code in the engine's cache, so a
// later process instantiates a pre-initialised module without running its init again.
//
// Only what cannot differ between processes is stored: the instance struct bytes (numbers,
// flags, sizes), the memory image. Pointers (function references in tables and globals, the
// import-instance field, storage pointers) are re-created by the generated instantiate of the
// loading process; so a snapshot is persisted only when its init left every reference exactly
// as the generated instantiate makes it (checked at capture).
#pragma once

#include <memory>
#include <string>

#include "snapshot/snapshot.hpp"

namespace wisp::snap {

// The state of an instance right after the generated instantiate (globals, tables, element
// segments; no data segments, no start): the reference baseline. Owned by the caller's
// instance; `vm` must stay alive while the baseline is used.
struct Baseline {
  const void* vm = nullptr;
};

// Does `s` hold exactly the baseline's references? (Then only numbers and memory differ.)
bool references_match(const Snapshot& s, const Baseline& b, std::string* why);

// Writes `s` under `path` (atomically, with a SHA-256 digest beside it). Returns false (and
// leaves nothing behind) on I/O failure.
bool write_snapshot(const Snapshot& s, const std::string& path, std::string* error);

// Reads a persisted snapshot and completes it with the baseline's references. Returns null if
// the file is missing; throws wisp::Error if it is damaged or does not fit the code.
std::shared_ptr<Snapshot> read_snapshot(const std::string& path,
                                        const std::shared_ptr<detail::CodeObject>& code,
                                        const Baseline& b);

}  // namespace wisp::snap
