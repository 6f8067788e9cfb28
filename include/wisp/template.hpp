// A Template is a module with every import resolved and checked (Wasmtime's InstancePre): the
// fast way to make many instances of one module.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "wisp/instance.hpp"
#include "wisp/limits.hpp"
#include "wisp/module.hpp"

namespace wisp {

// When a template captures its snapshot (the state right after instantiation, which later
// instances start from and reset() restores).
enum class SnapshotMode {
  eager,  // at the first instantiation (the default for templates)
  lazy,   // only when an instance is reset (one-shot Linker::instantiate uses this)
  off,    // never: every instance is built from scratch and reset() is unavailable
};

struct SnapshotOptions {
  SnapshotMode mode = SnapshotMode::eager;
  // Wizer-style pre-initialisation: run this export (no parameters) once, before the capture;
  // every instance then starts initialised. Host calls it makes happen once, not per instance.
  std::string init_export;
  // Write the snapshot next to the compiled code in the engine's cache and load it from there
  // in later processes (which then do not run the init export again).
  bool persist = false;
  // After every reset, compare memory, globals and tables with the snapshot and throw
  // wisp::Error on any difference. Also turned on by the environment variable WISP_VERIFY_RESET=1.
  bool verify_reset = false;
  // Written pages (host pages) a reset copies back from the image and keeps resident, so the
  // next write to them costs no page fault; written pages beyond this are dropped.
  uint32_t keep_resident_pages = 16;
  // Memory the instance grew past the snapshot: a reset makes it inaccessible again and drops its
  // pages, so the next lease that grows as far faults every page in anew (and the kernel zeroes
  // it). Up to this many bytes of the pages written there are zeroed by the reset instead and
  // stay resident (RSS: up to this much more per idle instance). For guests that allocate the
  // same large buffers on every call (an image decoder); 0 (the default) drops them all. Shared
  // memories (of modules that use threads) are copied, not mapped, at each reset and keep none.
  uint64_t keep_grown_bytes = 0;
  // Write tracking: after a reset, the pages outside the resident set are made read-only, so the
  // next reset knows without a system call whether only resident pages can have changed (it
  // then just copies them back: a reset in well under a microsecond). The first write to another
  // page is caught by the fault handler, which makes the memory writable again (about 10 us, once
  // per lease at most), and that reset scans as usual. Off: every reset scans (one PAGEMAP_SCAN).
  bool track_writes = true;
};

// Gives a new instance its per-instance host state (Instance::set_host_state), for example a
// WASI context: `options.host_state = WasiCtx::factory(config)`. Called from whichever thread
// instantiates, possibly several at once, so it must be thread-safe. A throw fails the
// instantiation (or the reset) with that exception.
//
// When it runs (every instance of the template gets its own state before any of its code that
// could call a host function):
//   - every instance: before its start function and the init export run, whether it is built
//     from scratch, from the snapshot, by Template::instantiate or by Linker::instantiate (so a
//     start function or an init export may call WASI);
//   - the capture instance (the one whose state becomes the snapshot): it gets a state of its
//     own too, used by the start function and the init export during the capture. Their host
//     effects (a line written to an inherited stdout, a file created) happen once, at capture;
//     what the state itself holds (buffered output, open fds) is not part of the snapshot. An
//     instance handed out never carries it: with an init export the first instance (which is
//     also the capture instance) gets a fresh state once the snapshot is taken;
//   - Instance::reset(): the memory, globals and tables go back to the snapshot and the host
//     state is made anew (for WASI: a fresh fd table built from the config, so files the guest
//     opened are closed, buffered output starts empty and args/env are as configured) before a
//     per-instance start function runs again. Without a factory, reset() leaves host state that
//     was attached by hand (WasiCtx::attach) as it is.
// Sharing strategies make their instances with Template::instantiate and reset them with
// Instance::reset, so each pooled instance has its own state, renewed at each reset.
using HostStateFactory = std::function<void(Instance&)>;

struct TemplateOptions {
  Tier tier = Tier::automatic;
  Limits limits;
  SnapshotOptions snapshot;
  HostStateFactory host_state;  // empty: instances start without host state
};

// What a template's snapshot holds (Template::snapshot_info()).
struct SnapshotInfo {
  bool available = false;  // instances start from a snapshot and can be reset
  std::string unavailable_reason;
  bool captured = false;    // captured (or loaded) already
  bool from_cache = false;  // loaded from a persisted snapshot
  std::string persisted_path;
  std::string not_persisted_reason;      // persist was asked for, but the init changed references
  uint32_t memories = 0;                 // memories held, each with its own image
  uint32_t memory_pages = 0;             // of all memories together
  uint64_t image_bytes = 0;              // memory images' size, all memories together
  uint64_t image_stored_bytes = 0;       // of which non-zero pages (the rest are holes)
  bool start_runs_per_instance = false;  // start calls imports: it runs after the snapshot state
};

namespace detail {
struct TemplateImpl;
}

// Thread-safe: any number of threads may instantiate from one Template at once.
class Template {
 public:
  explicit Template(std::shared_ptr<detail::TemplateImpl> impl) : impl_(std::move(impl)) {}
  // A new instance: segments applied, start function run. Throws Trap if instantiation traps
  // (for example an out-of-bounds data segment), LinkError, or Trap(resource_limit).
  Instance instantiate() const;
  const Module& module() const;
  const TemplateOptions& options() const;
  // Captures the snapshot now if it is available and not captured yet (throws what
  // instantiation would), then describes it.
  SnapshotInfo snapshot_info() const;
  const std::shared_ptr<detail::TemplateImpl>& impl() const { return impl_; }

 private:
  std::shared_ptr<detail::TemplateImpl> impl_;
};

}  // namespace wisp
