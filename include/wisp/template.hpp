// A Template is a module with every import resolved and checked (Wasmtime's InstancePre): the
// fast way to make many instances of one module.
#pragma once

#include <cstdint>
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
};

struct TemplateOptions {
  Tier tier = Tier::automatic;
  Limits limits;
  SnapshotOptions snapshot;
};

// What a template's snapshot holds (Template::snapshot_info()).
struct SnapshotInfo {
  bool available = false;  // instances start from a snapshot and can be reset
  std::string unavailable_reason;
  bool captured = false;    // captured (or loaded) already
  bool from_cache = false;  // loaded from a persisted snapshot
  std::string persisted_path;
  std::string not_persisted_reason;  // persist was asked for, but the init changed references
  uint32_t memory_pages = 0;
  uint64_t image_bytes = 0;              // memory image size
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
