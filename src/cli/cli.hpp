// Shared declarations of the `wisp` command's verbs (one file per verb) and its exit codes.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "wisp/engine.hpp"
#include "wisp/module.hpp"
#include "wisp/value.hpp"

namespace wisp::cli {

// Exit codes (also listed in `wisp --help`).
enum Exit : int {
  kOk = 0,
  kUsage = 1,       // bad usage, unreadable file, other errors
  kCompile = 2,     // CompileError: malformed, invalid or unsupported module
  kLink = 3,        // LinkError: an import could not be resolved
  kTrap = 4,        // Trap: the call trapped
  kSpecFailed = 5,  // `wisp spectest`: some command failed
};
// A guest's WASI proc_exit ends `wisp` with the guest's exit code.

// What the chosen verb runs after parsing; returns the exit code, may throw wisp::Error.
using Action = std::function<int()>;

// Each verb adds its subcommand to `app`; when chosen, its callback stores its work in `action`.
void add_inspect(CLI::App& app, Action& action);
void add_call(CLI::App& app, Action& action);
void add_compile(CLI::App& app, Action& action);
void add_spectest(CLI::App& app, Action& action);
void add_run(CLI::App& app, Action& action);
void add_bench(CLI::App& app, Action& action);
void add_serve(CLI::App& app, Action& action);

// A command-line argument as a value of `type` (decimal/hex integers, floats, null refs);
// throws wisp::Error naming the argument. Shared by `call` and `run --invoke`.
Value parse_value(const std::string& text, ValType type);
// A result as `wisp call` prints it (55, -1, 1.5, nan, null).
std::string format_value(const Value& v);

// "0", "1", "auto" -> Tier (validated by CLI11 before this runs).
Tier parse_tier(const std::string& s);
// An Engine configuration for running code on `tier`: tier0 builds no tier 1; tier1 builds it
// before compile() returns; automatic builds it in the background.
// Proposals named in WISP_DISABLE_PROPOSALS (a comma-separated list, as wabt's flags name them)
// are off (apply_disabled_proposals); an unknown name is an Error.
EngineConfig engine_config_for(Tier tier);
void apply_disabled_proposals(Proposals& proposals);
// Starts a detached, low-priority `wisp compile --background FILE` that fills the tier-1 cache
// after this process exits (not when WISP_NO_BACKGROUND_COMPILE is set).
void spawn_background_compile(const std::string& module_file);
// The CLI11 validator for --tier.
const CLI::Validator& tier_validator();

}  // namespace wisp::cli
