// Fuel metering: rewrites a module's IR so that executing it consumes fuel from a counter
// global, and traps (unreachable) once the counter goes negative.
#pragma once

#include <cstdint>

namespace wabt {
struct Module;
}

namespace wisp::detail {

// The name the counter global gets in the IR (the C writer derives its struct field from it).
inline constexpr const char* kFuelGlobalName = "$wisp_fuel";

// Appends one defined mutable i64 global (the fuel counter, initialised to 0; appending it does
// not shift the index of any other global) and charges every function for what it executes.
//
// Cost rule (deterministic, the same on every tier since it is part of the wasm itself): every
// instruction costs 1 (`block`, `loop` and `if` included; `else` and `end` cost nothing), except
// instructions after an unconditional branch (br, br_table, return, unreachable) in the same
// sequence, which never run. Fuel is charged per segment, when the segment is entered, for all
// of its instructions, even if a branch leaves it early (so a call may be charged a little
// more than it executed, never less). A segment starts at function entry, at the start of each
// loop body (so each iteration is charged), at the start of each `if` arm, and right after each
// block, loop or if ends (a branch target or merge point); a block's body continues the segment
// it is in. A charge is
//     fuel -= cost; if (fuel < 0) { counter = fuel; unreachable; }
// where `fuel` is a local of the function holding the counter while it runs (loaded at entry,
// stored back before every call, branch or return that leaves the function and at its end,
// reloaded after calls), so optimised code keeps it in a register. (After a trap other than
// out_of_fuel the counter may therefore show the fuel of the last such point.) The runtime
// tells the fuel check's trap from a real `unreachable` by the counter being negative (nothing
// else makes it negative: it is not exported and no wasm instruction of the module names it).
// Returns the counter's global index.
uint32_t instrument_fuel(wabt::Module& ir);

}  // namespace wisp::detail
