// The `wisp` command: parses the verb and maps every wisp error to one line and an exit code.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>

#include "cli/cli.hpp"
#include "wisp/error.hpp"

namespace wisp::cli {

Tier parse_tier(const std::string& s) {
  if (s == "0") return Tier::tier0;
  if (s == "1") return Tier::tier1;
  return Tier::automatic;
}

EngineConfig engine_config_for(Tier tier) {
  EngineConfig config;
  config.enable_tier1 = tier != Tier::tier0;
  config.background_tier1 = tier == Tier::automatic;
  apply_disabled_proposals(config.proposals);
  return config;
}

void apply_disabled_proposals(Proposals& proposals) {
  const char* list = std::getenv("WISP_DISABLE_PROPOSALS");
  if (!list) return;
  std::string_view rest = list;
  while (!rest.empty()) {
    const size_t comma = std::min(rest.find(','), rest.size());
    const std::string name(rest.substr(0, comma));
    rest.remove_prefix(std::min(comma + 1, rest.size()));
    if (name.empty()) continue;
    if (!proposals.set(name, false))
      throw Error("WISP_DISABLE_PROPOSALS: wisp runs no proposal named '" + name +
                  "' (extended-const, tail-call, memory64, multi-memory)");
  }
}

const CLI::Validator& tier_validator() {
  static const CLI::IsMember v({"0", "1", "auto"});
  return v;
}

namespace {

int fail(const std::string& kind, const std::string& message, int code) {
  std::fprintf(stderr, "wisp: %s: %s\n", kind.c_str(), message.c_str());
  return code;
}

// Runs the verb; turns every error into one line on stderr and a distinct exit code.
int run_guarded(const Action& action) {
  try {
    return action();
  } catch (const CompileError& e) {
    return fail("compile error", e.what(), kCompile);  // what() includes the byte offset
  } catch (const LinkError& e) {
    return fail("link error", e.what(), kLink);
  } catch (const Trap& e) {
    std::string kind = trap_kind_name(e.kind());
    if (e.detail().empty()) return fail("trap", kind, kTrap);
    return fail("trap: " + kind, e.detail(), kTrap);
  } catch (const WasiExit& e) {
    return e.code();
  } catch (const Error& e) {
    return fail("error", e.what(), kUsage);
  } catch (const std::exception& e) {
    return fail("error", e.what(), kUsage);
  } catch (...) {
    return fail("error", "unknown exception", kUsage);
  }
}

}  // namespace
}  // namespace wisp::cli

int main(int argc, char** argv) {
  using namespace wisp::cli;
  CLI::App app{"wisp: a WebAssembly runtime that shares and reuses instances"};
  app.footer(
      "Exit codes: 0 ok, 1 usage or I/O error, 2 compile error, 3 link error, 4 trap,\n"
      "5 spec failures; a guest's WASI exit ends wisp with the guest's code.");
  app.require_subcommand(1);
  Action action;
  using Add = void (*)(CLI::App&, Action&);
  static const std::pair<const char*, Add> kVerbs[] = {
      {"inspect", add_inspect},   {"call", add_call}, {"compile", add_compile},
      {"spectest", add_spectest}, {"run", add_run},   {"bench", add_bench},
      {"serve", add_serve}};
  // `wisp VERB ...` builds only that verb's subcommand (each one's options, validators and
  // strings are a measurable part of a short `wisp run`); anything else (`wisp --help`, no
  // verb, an unknown one) sees them all.
  auto chosen = std::find_if(std::begin(kVerbs), std::end(kVerbs), [&](const auto& v) {
    return argc > 1 && std::strcmp(argv[1], v.first) == 0;
  });
  if (chosen != std::end(kVerbs)) {
    chosen->second(app, action);
  } else {
    for (const auto& v : kVerbs) v.second(app, action);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kOk : kUsage;
  }
  return action ? run_guarded(action) : kUsage;
}
