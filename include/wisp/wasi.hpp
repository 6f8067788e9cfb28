// WASI preview 1 (wasi_snapshot_preview1): configuration, the per-instance context, and the
// Linker definitions. Capability-based: a guest reaches only its preopened directories, its
// arguments and environment, and the stdio it was given.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "wisp/instance.hpp"
#include "wisp/linker.hpp"

namespace wisp {

// One preopened directory: `host` is opened once when the context is created; the guest sees it
// under `guest` (fds 3, 4, ... in order). Paths are resolved beneath it with openat2
// (RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS): `..`, absolute paths and symlinks cannot leave it.
// `readonly` withholds every right that writes (files cannot be created, written, truncated,
// renamed, linked, removed or have their times set: such calls return ENOTCAPABLE).
struct WasiPreopen {
  std::string host;
  std::string guest;
  bool readonly = false;

  bool operator==(const WasiPreopen&) const = default;
};

// Where one stdio stream goes.
struct WasiStdio {
  enum class Mode : uint8_t {
    inherit,  // the host process's own fd 0/1/2
    buffer,   // in memory: stdin reads `input`; stdout/stderr collect up to `output_limit` bytes
              // (a write that finds no room left fails with ENOSPC; one that partly fits is
              // short; WasiCtx::output_truncated() then says so)
    null,     // stdin at end of file; output discarded
  };
  Mode mode = Mode::inherit;
  std::string input;                // stdin in buffer mode
  size_t output_limit = 16u << 20;  // stdout/stderr in buffer mode
  static WasiStdio inherit() { return {}; }
  static WasiStdio buffer(std::string input = {}, size_t output_limit = 16u << 20) {
    return {Mode::buffer, std::move(input), output_limit};
  }
  static WasiStdio null() { return {Mode::null, {}, 0}; }

  bool operator==(const WasiStdio&) const = default;
};

struct WasiConfig {
  std::vector<std::string> args;  // argv, argv[0] included
  std::vector<std::string> env;   // "KEY=VALUE"
  std::vector<WasiPreopen> preopens;
  WasiStdio stdin_stream, stdout_stream, stderr_stream;
  // Host sockets handed to the guest (after the preopens); ownership stays with the caller
  // (they are dup'ed). sock_accept/recv/send/shutdown work on these and on accepted ones.
  std::vector<int> sockets;
  // Most fds one guest may have open at once (EMFILE beyond).
  uint32_t max_fds = 1024;
  // wasi-threads (wisp/wasi_threads.hpp): the most spawned threads of one program running at once
  // (the main thread not counted); thread-spawn past it returns kWasiThreadSpawnAgain.
  uint32_t max_threads = 16;

  bool operator==(const WasiConfig&) const = default;
};

// The WASI state of one instance: fd table (with rights), preopens, buffers, exit status.
// Used only by the instance it is attached to (one thread at a time); read the buffers after the
// call returns.
class WasiCtx {
 public:
  // Opens the preopens (throws wisp::Error naming the directory if one cannot be opened).
  static std::shared_ptr<WasiCtx> create(const WasiConfig& config);
  // create(config), then instance.set_host_state(ctx): each instance needs its own context, so
  // an instance pool calls this once per instance, after instantiation and before `_start`.
  static std::shared_ptr<WasiCtx> attach(Instance& instance, const WasiConfig& config);
  // A per-instance factory for TemplateOptions::host_state: every instance of the template
  // (and each reset) gets a context created from `config`, before its start function and init
  // export run. Reach it with instance.host_state<WasiCtx>(). Preferred over attach(): a start
  // function or an init export that calls WASI needs it, and a strategy's instances each get
  // their own context (renewed on reset: fresh fd table, empty buffers).
  static HostStateFactory factory(WasiConfig config);
  ~WasiCtx();
  WasiCtx(const WasiCtx&) = delete;
  WasiCtx& operator=(const WasiCtx&) = delete;

  // Output collected in buffer mode (empty otherwise).
  const std::string& stdout_data() const;
  const std::string& stderr_data() const;
  std::string take_stdout();
  std::string take_stderr();
  // True once a buffered output hit its limit (the write returned ENOSPC).
  bool output_truncated() const;
  // The code passed to proc_exit, once the guest called it.
  std::optional<int> exit_code() const;

  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  WasiCtx();
  std::unique_ptr<Impl> impl_;
};

// Defines every wasi_snapshot_preview1 function in `linker`. Each reaches the calling instance's
// WasiCtx (Caller::host_state<WasiCtx>()); a call from an instance without one traps
// (host_error). Errors are returned as WASI errno values; only proc_exit throws (WasiExit).
void add_wasi(Linker& linker);
// The same for only the wasi_snapshot_preview1 functions `module` imports (a short-lived linker
// for one module, as `wisp run` uses, need not build the other definitions).
void add_wasi(Linker& linker, const Module& module);
// Whether `module` imports anything from wasi_snapshot_preview1.
bool imports_wasi(const Module& module);

// The names DESIGN.md uses.
namespace wasi {
using Config = WasiConfig;
using Preopen = WasiPreopen;
using Stdio = WasiStdio;
using Ctx = WasiCtx;
}  // namespace wasi

}  // namespace wisp
