// `wisp bench`'s state probe (see bench_state.hpp): two leases in a row on one thread, with the
// instance state digested around each call, decide the "state carried over" column.
#include "cli/bench_state.hpp"

#include <functional>
#include <optional>
#include <vector>

#include "cli/cli.hpp"
#include "wisp/wisp.hpp"

namespace wisp::cli {
namespace {

// A digest of what the next call can observe of an instance: every memory's bytes (the first
// memory and the exported ones) and the exported globals' values.
size_t bench_state_digest(const Instance& inst) {
  size_t h = 0;
  auto mix = [&h](size_t v) { h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2); };
  auto add_memory = [&](const Memory& m) {
    std::span<const uint8_t> bytes = m.view(0, m.size());
    mix(std::hash<std::string_view>()(
        std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size())));
    mix(m.size());
  };
  try {
    add_memory(inst.memory());
  } catch (const Error&) {
    // no memory
  }
  for (const ExportDesc& ex : inst.module().exports()) {
    if (ex.type.kind == ExternKind::memory) {
      add_memory(inst.memory(ex.name));
    } else if (ex.type.kind == ExternKind::global) {
      Value v = inst.global_get(ex.name);
      mix(std::hash<std::string>()(v.to_string()));
    }
  }
  return h;
}

std::string bench_results_text(const std::vector<Value>& results) {
  std::string out;
  for (const Value& v : results) out += (out.empty() ? "" : " ") + format_value(v);
  return out.empty() ? "()" : out;
}

struct LeaseSeen {
  std::optional<size_t> before, after;  // digests (instance strategies only)
  std::vector<Value> results;
};

LeaseSeen bench_probe_lease(Strategy& s, std::string_view name, std::span<const Value> args) {
  LeaseSeen seen;
  Lease lease = s.acquire(std::chrono::seconds(30));
  const bool contexts = lease.context() != nullptr;
  if (!contexts) seen.before = bench_state_digest(lease.instance());
  seen.results = lease.call(name, args);
  if (!contexts) seen.after = bench_state_digest(lease.instance());
  return seen;
}

}  // namespace

std::string bench_probe_state(StrategyKind kind, const Template& tmpl, const Policy& policy,
                              std::string_view export_name, std::span<const Value> args) {
  std::unique_ptr<Strategy> s = make_strategy(kind, tmpl, policy);
  LeaseSeen first, second;
  try {
    first = bench_probe_lease(*s, export_name, args);
    second = bench_probe_lease(*s, export_name, args);
  } catch (const std::exception& e) {
    return std::string("unknown (a probe call failed: ") + e.what() + ")";
  }
  const bool same_results = first.results == second.results;
  const std::string results_changed = "yes (results " + bench_results_text(first.results) +
                                      ", then " + bench_results_text(second.results) + ")";
  if (first.before && *first.after != *first.before) {
    // Lease 1 wrote state the digest sees: where does lease 2 start?
    if (*second.before == *first.after) return "yes (lease 2 saw lease 1's writes)";
    if (*second.before == *first.before) {
      return same_results ? "no (lease 2 started clean)" : results_changed;
    }
    return "partly (lease 2 started neither clean nor where lease 1 left off)";
  }
  if (!same_results) return results_changed;
  if (kind == StrategyKind::contexts) return "no (same results, region zeroed)";
  return "no (same results, no write seen)";
}

}  // namespace wisp::cli
