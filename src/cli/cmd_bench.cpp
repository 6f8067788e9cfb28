// `wisp bench m.wasm --export NAME [--args A,B] --threads T --calls N [--context-bytes B]
// [--strategy a,b]`: runs the same work under every sharing strategy (contexts too when the export
// takes a context pointer, threads too when the module has a shared memory: one it imports is made
// for it, and every strategy's instances share it; one it defines is shared by the threads
// strategy's instances), or those named, and prints one table (throughput of
// the calls that succeeded, p50/p99 latency, failed calls, instances created, RSS growth, and
// whether state carried over, measured by a probe: bench_state.hpp) — the tool for choosing a
// strategy.
#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <optional>
#include <span>
#include <thread>

#include "cli/bench_state.hpp"
#include "cli/cli.hpp"
#include "wisp/wisp.hpp"

namespace wisp::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct BenchOptions {
  std::string file;
  std::string export_name;
  std::vector<std::string> args;
  std::string tier = "1";
  std::string init;
  unsigned threads = 1;
  uint64_t calls = 10000;
  uint64_t context_bytes = 0;           // > 0: the export's first parameter is a context pointer
  std::vector<std::string> strategies;  // empty: every one that applies
};

constexpr StrategyKind kAllKinds[] = {StrategyKind::fresh,    StrategyKind::shared,
                                      StrategyKind::pool,     StrategyKind::per_thread,
                                      StrategyKind::contexts, StrategyKind::threads};

StrategyKind kind_named(const std::string& name) {
  for (StrategyKind k : kAllKinds) {
    if (name == strategy_kind_name(k)) return k;
  }
  throw Error("--strategy: '" + name +
              "' is not one of fresh, shared, pool, per_thread, contexts, threads");
}

uint64_t rss_kib() {
  std::ifstream in("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  in >> size >> resident;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE)) / 1024;
}

struct Row {
  std::string name;
  double calls_per_s = 0;                // calls that succeeded, per second
  std::optional<double> p50_us, p99_us;  // of the calls that succeeded
  uint64_t failed = 0;                   // calls that threw (trap, Unavailable, ...)
  uint64_t creates = 0, discards = 0;
  int64_t rss_kib = 0;
  std::string state;
  std::string error;            // the first failure's message
  uint64_t reset_failures = 0;  // resets that failed (verification, with WISP_VERIFY_RESET=1)
  std::string reset_error;
};

Row run_one(StrategyKind kind, const Template& tmpl, const BenchOptions& o,
            const std::vector<Value>& args) {
  Row row;
  row.name = strategy_kind_name(kind);
  Policy policy;
  policy.max_instances = o.threads;  // pool, and threads' N
  policy.contexts.region_bytes = std::max<uint64_t>(o.context_bytes, 1);
  policy.contexts.max_contexts = o.threads;
  // The context pointer goes first under contexts (args[0] is the placeholder 0 of the others).
  const std::span<const Value> call_args = kind == StrategyKind::contexts
                                               ? std::span<const Value>(args).subspan(1)
                                               : std::span<const Value>(args);
  row.state = bench_probe_state(kind, tmpl, policy, o.export_name, call_args);
  uint64_t rss_before = rss_kib();
  auto strategy = make_strategy(kind, tmpl, policy);
  std::vector<std::vector<double>> latencies(o.threads);
  std::atomic<uint64_t> failed{0};
  std::string first_error;
  std::mutex error_mutex;
  auto t0 = Clock::now();
  std::vector<std::thread> workers;
  for (unsigned t = 0; t < o.threads; ++t) {
    workers.emplace_back([&, t] {
      uint64_t mine = o.calls / o.threads + (t < o.calls % o.threads ? 1 : 0);
      latencies[t].reserve(mine);
      std::vector<Value> results;
      for (uint64_t i = 0; i < mine; ++i) {
        auto c0 = Clock::now();
        try {
          Lease lease = strategy->acquire(std::chrono::seconds(30));
          results = lease.call(o.export_name, call_args);
        } catch (const std::exception& e) {
          // A failed call counts apart: neither in the throughput nor in the latencies.
          ++failed;
          std::lock_guard lock(error_mutex);
          if (first_error.empty()) first_error = e.what();
          continue;
        }
        latencies[t].push_back(
            std::chrono::duration<double, std::micro>(Clock::now() - c0).count());
      }
    });
  }
  for (auto& w : workers) w.join();
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  row.rss_kib = static_cast<int64_t>(rss_kib()) - static_cast<int64_t>(rss_before);
  std::vector<double> all;
  for (auto& v : latencies) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  row.calls_per_s = static_cast<double>(all.size()) / secs;
  if (!all.empty()) {
    row.p50_us = all[all.size() / 2];
    row.p99_us = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  }
  row.failed = failed;
  StrategyStats st = strategy->stats();
  row.creates = st.creates;
  row.discards = st.discarded();
  row.reset_failures = st.discards[static_cast<size_t>(DiscardReason::reset_failed)];
  row.reset_error = st.last_reset_error;
  row.error = first_error;
  return row;
}

std::string bench_us(const std::optional<double>& us) {
  if (!us) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", *us);
  return buf;
}

int run_bench(const BenchOptions& o) {
  if (o.threads == 0 || o.calls == 0) throw Error("--threads and --calls must be positive");
  Tier tier = parse_tier(o.tier);
  Engine engine(engine_config_for(tier));
  Module module = engine.compile_file(o.file);
  std::optional<ExportDesc> ex = module.find_export(o.export_name);
  if (!ex || ex->type.kind != ExternKind::func)
    throw LinkError("no exported function named \"" + o.export_name + "\"");
  const FuncType& ft = ex->type.func;
  const size_t ctx = o.context_bytes > 0 ? 1 : 0;
  if (ctx && (ft.params.empty() || ft.params[0] != ValType::i32))
    throw Error("--context-bytes: \"" + o.export_name +
                "\" must take the context pointer (i32) as its first parameter");
  if (o.args.size() + ctx != ft.params.size())
    throw Error("\"" + o.export_name + "\" takes " + std::to_string(ft.params.size() - ctx) +
                " argument(s)" + (ctx ? " after the context pointer" : "") + ", " +
                std::to_string(o.args.size()) + " given");
  std::vector<Value> args;
  if (ctx) args.push_back(Value::i32(0));
  for (size_t i = 0; i < o.args.size(); ++i)
    args.push_back(parse_value(o.args[i], ft.params[i + ctx]));
  TemplateOptions topts;
  topts.tier = tier;
  topts.snapshot.init_export = o.init;
  if (o.init.empty() && module.find_export("_initialize"))
    topts.snapshot.init_export = "_initialize";
  Linker linker;
  const bool shared_memory = imports_shared_memory(module);
  if (shared_memory) define_shared_memories(engine, linker, module);
  Template tmpl = linker.instantiate_template(module, topts);

  std::printf("wisp bench: %s %s, %u thread(s), %llu calls, tier %s\n\n", o.file.c_str(),
              o.export_name.c_str(), o.threads, static_cast<unsigned long long>(o.calls),
              o.tier.c_str());
  std::printf(
      "| strategy | calls/s | p50 µs | p99 µs | failed calls | instances created | discarded "
      "| RSS growth KiB | state carried over |\n|---|---|---|---|---|---|---|---|---|\n");
  int status = kOk;
  std::vector<StrategyKind> kinds;
  for (const std::string& name : o.strategies) kinds.push_back(kind_named(name));
  if (kinds.empty()) {
    kinds = {StrategyKind::fresh, StrategyKind::shared, StrategyKind::pool,
             StrategyKind::per_thread};
    if (ctx) kinds.push_back(StrategyKind::contexts);
    if (shared_memory || defines_shared_memory(module)) kinds.push_back(StrategyKind::threads);
  }
  if (!ctx && std::find(kinds.begin(), kinds.end(), StrategyKind::contexts) != kinds.end())
    throw Error("--strategy contexts needs --context-bytes (the export takes a context pointer)");
  for (StrategyKind kind : kinds) {
    Row r = run_one(kind, tmpl, o, args);
    std::printf("| %s | %.0f | %s | %s | %llu | %llu | %llu | %lld | %s |\n", r.name.c_str(),
                r.calls_per_s, bench_us(r.p50_us).c_str(), bench_us(r.p99_us).c_str(),
                static_cast<unsigned long long>(r.failed),
                static_cast<unsigned long long>(r.creates),
                static_cast<unsigned long long>(r.discards), static_cast<long long>(r.rss_kib),
                r.state.c_str());
    if (r.failed) {
      std::fprintf(stderr, "wisp bench: %s: %s (%llu of %llu calls failed)\n", r.name.c_str(),
                   r.error.c_str(), static_cast<unsigned long long>(r.failed),
                   static_cast<unsigned long long>(o.calls));
      status = kTrap;
    }
    if (r.reset_failures) {
      std::fprintf(stderr, "wisp bench: %s: %llu reset(s) failed, the instances discarded: %s\n",
                   r.name.c_str(), static_cast<unsigned long long>(r.reset_failures),
                   r.reset_error.c_str());
      if (status == kOk) status = kUsage;
    }
  }
  return status;
}

}  // namespace

void add_bench(CLI::App& app, Action& action) {
  auto opts = std::make_shared<BenchOptions>();
  CLI::App* cmd = app.add_subcommand(
      "bench", "Run one export under every sharing strategy and compare them in one table");
  cmd->add_option("module", opts->file, "The .wasm file")->required();
  cmd->add_option("--export", opts->export_name, "The exported function to call")->required();
  cmd->add_option("--args", opts->args, "Its arguments (parsed from its signature)")
      ->delimiter(',');
  cmd->add_option("--threads", opts->threads, "Calling threads (default 1)");
  cmd->add_option("--calls", opts->calls, "Calls in all (default 10000)");
  cmd->add_option("--tier", opts->tier, "0, 1 or auto (default 1)")->check(tier_validator());
  cmd->add_option("--context-bytes", opts->context_bytes,
                  "The export takes a context pointer first: add the contexts strategy (a "
                  "region of this size per lease); the instance strategies pass 0 as the pointer");
  cmd->add_option("--strategy", opts->strategies,
                  "Only these strategies (fresh, shared, pool, per_thread, contexts, threads)")
      ->delimiter(',');
  cmd->add_option("--init", opts->init,
                  "Export run once before the snapshot (default: _initialize if exported)");
  cmd->callback([opts, &action] { action = [opts] { return run_bench(*opts); }; });
}

}  // namespace wisp::cli
