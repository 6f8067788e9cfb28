// `wisp spectest FILE.json`: runs a wast2json spec command script and prints "N passed, N failed".
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/cli.hpp"
#include "spectest/spec_runner.hpp"

namespace wisp::cli {
namespace {

struct SpectestOptions {
  std::string file;
  std::string tier = "0";
  bool verbose = false;
  bool trace = false;
  std::string expected_failures;
  std::string cache_dir;
  bool fuel = false;
  std::vector<std::string> disable;
};

int spectest(const SpectestOptions& o) {
  spectest::SpecOptions options;
  options.tier = parse_tier(o.tier);
  options.verbose = o.verbose;
  options.trace = o.trace;
  options.expected_failures = o.expected_failures;
  options.cache_dir = o.cache_dir;
  options.consume_fuel = o.fuel;
  for (const std::string& p : o.disable) options.proposals.set(p, false);
  spectest::SpecResult r = spectest::run_spec_script(o.file, options);
  if (!o.verbose) {
    for (const std::string& f : r.failures) std::printf("FAIL %s\n", f.c_str());
  }
  if (r.expected_failures > 0) {
    std::printf("%d expected failures (listed in %s)\n", r.expected_failures,
                o.expected_failures.c_str());
  }
  if (r.unexpected_passes > 0) {
    std::printf("%d listed commands passed: remove them from %s\n", r.unexpected_passes,
                o.expected_failures.c_str());
  }
  std::printf("%s\n", r.summary().c_str());
  return r.ok() ? kOk : kSpecFailed;
}

}  // namespace

void add_spectest(CLI::App& app, Action& action) {
  auto o = std::make_shared<SpectestOptions>();
  CLI::App* sub = app.add_subcommand(
      "spectest",
      "Run a spec command script (wast2json output); print 'N passed, N failed, N skipped'");
  sub->add_option("script", o->file, "The .json command script")
      ->required()
      ->check(CLI::ExistingFile);
  sub->add_option("--tier", o->tier, "Tier to run on: 0 (libtcc) or 1 (cc -O2)")
      ->check(CLI::IsMember({"0", "1"}));
  sub->add_flag("-v,--verbose", o->verbose,
                "Print each failure as it happens, and skipped commands");
  sub->add_flag("--trace", o->trace, "Print each command to stderr before running it");
  sub->add_option("--expected-failures", o->expected_failures,
                  "List of known failures ('<script>:<line> <tier0|tier1|all> <reason>' lines)");
  sub->add_option("--cache-dir", o->cache_dir, "Tier-1 cache directory");
  sub->add_flag("--fuel", o->fuel,
                "Compile with fuel metering (EngineConfig::consume_fuel), unlimited fuel");
  sub->add_option("--disable", o->disable,
                  "Proposals to turn off (as wabt names them: extended-const, ...)")
      ->delimiter(',')
      ->check([](const std::string& name) {
        Proposals p;
        return p.set(name, false) ? std::string() : "wisp runs no proposal named '" + name + "'";
      });
  sub->callback([o, &action] { action = [o] { return spectest(*o); }; });
}

}  // namespace wisp::cli
