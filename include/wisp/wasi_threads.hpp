// wasi-threads: a WASI program whose threads are instances of one module over one shared memory.
// The module imports `wasi` `thread-spawn` (func (param i32) (result i32)) and its shared memory,
// and exports `wasi_thread_start` (func (param i32 i32)). Each spawn instantiates the module again
// over the same memory and runs `wasi_thread_start(tid, arg)` on a host thread of the group's
// bounded pool; a trap or `proc_exit` in any thread ends the whole group.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "wisp/engine.hpp"
#include "wisp/instance.hpp"
#include "wisp/linker.hpp"
#include "wisp/template.hpp"
#include "wisp/wasi.hpp"

namespace wisp {

// What thread-spawn returns when the group already runs WasiConfig::max_threads spawned threads
// (or cannot instantiate another): the proposal asks for a negative value; wisp returns the
// negated WASI errno EAGAIN, as pthread_create reports a lack of resources.
inline constexpr int32_t kWasiThreadSpawnAgain = -6;

// Whether `module` imports wasi-threads' thread-spawn (`wasi` `thread-spawn`, or the older
// spelling `thread_spawn`).
bool imports_wasi_threads(const Module& module);

// One run of a wasi-threads program: the shared memories the module imports (made from the
// imports' limits unless the linker defines them), one WASI context shared by every thread (its fd
// table guarded by a lock), the main thread's instance, and the pool of host threads (at most
// WasiConfig::max_threads spawned threads run at once; a host thread that finishes one is reused by
// a later spawn).
//
// How a group ends, whichever thread causes it (the first cause wins):
//   - a trap in any thread: every other thread is interrupted (a waiter in
//     memory.atomic.wait is woken and trapped, a busy loop stops) and run() throws that trap;
//   - proc_exit in any thread: the same, and run() throws WasiExit with the code;
//   - the main thread's export returns: the other threads are stopped the same way (a C program
//     ends when main returns) and run() returns its results.
// run() returns or throws only once every spawned thread has stopped; the host process stays up.
class WasiThreads {
 public:
  // Makes the shared memories `module` imports that `linker` does not define
  // (define_shared_memories, with `engine`), defines them and thread-spawn in a copy of `linker`
  // (which must provide whatever else the module imports: add_wasi(linker) for
  // wasi_snapshot_preview1; its own thread-spawn, if any, is replaced), creates the WASI context
  // from `config` and instantiates the main thread (its start function runs). options.host_state is
  // replaced (every thread's instance gets the shared context) and snapshots are off. Throws
  // wisp::Error when the module imports no shared memory or exports no wasi_thread_start,
  // LinkError, or what instantiation throws (Trap, WasiExit from a start function).
  WasiThreads(Engine& engine, const Module& module, const Linker& linker, const WasiConfig& config,
              TemplateOptions options = {});
  // Stops every thread still running (as when the main export returns) and waits for them.
  ~WasiThreads();
  WasiThreads(const WasiThreads&) = delete;
  WasiThreads& operator=(const WasiThreads&) = delete;

  // Calls `name` on the main thread's instance, then ends the group (see above). Once only.
  std::vector<Value> run(std::string_view name = "_start", std::span<const Value> args = {});

  // The main thread's instance and the context every thread shares (read its buffers after run).
  Instance& main_instance();
  const std::shared_ptr<WasiCtx>& ctx() const;
  // Threads spawned so far, and the most that ran at once.
  uint32_t threads_spawned() const;
  uint32_t peak_threads() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace wisp
