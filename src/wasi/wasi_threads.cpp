// wasi-threads (include/wisp/wasi_threads.hpp): the thread group. thread-spawn instantiates the
// module again over the shared memory (on the spawning thread, so a failure is its result) and
// queues `wasi_thread_start(tid, arg)` for the pool: an idle host thread takes it, or a new one
// is started (never more than max_threads). The first trap or proc_exit of any thread ends the
// group: its cause is kept, and every thread still running is interrupted (InterruptHandle; a
// waiter in memory.atomic.wait is woken within its 10 ms slice) until none is left.
#include "wisp/wasi_threads.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "wasi/ctx_impl.hpp"
#include "wisp/shared_memories.hpp"

namespace wisp {

namespace {

constexpr uint32_t kMaxTid = (1u << 29) - 1;  // valid TIDs: [1, 2^29)

bool is_spawn_import(const ImportDesc& i) {
  return i.module == "wasi" && (i.name == "thread-spawn" || i.name == "thread_spawn") &&
         i.type.kind == ExternKind::func;
}

}  // namespace

bool imports_wasi_threads(const Module& module) {
  const auto& imports = module.imports();
  return std::any_of(imports.begin(), imports.end(), is_spawn_import);
}

struct WasiThreads::State {
  struct Task {
    uint32_t tid;
    int32_t arg;
    Instance instance;
  };
  // Why the group ended (the first cause).
  struct Outcome {
    std::optional<int> exit_code;
    std::optional<Trap> trap;
  };

  std::shared_ptr<WasiCtx> ctx;
  uint32_t max_threads = 1;
  std::optional<Template> tmpl;
  Instance main;
  InterruptHandle main_interrupt{nullptr};
  bool ran = false;

  std::mutex mutex;
  std::condition_variable work_cv;  // workers: a task or shutdown
  std::condition_variable done_cv;  // run(): a thread stopped
  std::deque<Task> tasks;
  std::vector<std::thread> workers;
  uint32_t idle = 0;     // workers waiting for a task
  uint32_t running = 0;  // spawned threads not finished (being made, queued or running)
  std::map<uint32_t, InterruptHandle> live;
  bool ending = false;
  bool shutdown = false;
  std::optional<Outcome> outcome;
  uint32_t next_tid = 1;
  uint32_t spawned = 0, peak = 0;

  int32_t spawn(int32_t arg);
  void worker();
  void run_thread(Task& task);
  // Ends the group (keeping the first cause) and interrupts every thread but the caller's.
  void end(std::optional<Outcome> cause);
  // Ends the group and waits until every spawned thread has stopped and the pool is gone.
  void finish();
};

int32_t WasiThreads::State::spawn(int32_t arg) {
  {
    std::lock_guard lock(mutex);
    if (ending || running >= max_threads || next_tid > kMaxTid) return kWasiThreadSpawnAgain;
    ++running;  // reserved while the instance is made
  }
  auto release = [&] {
    std::lock_guard lock(mutex);
    --running;
    done_cv.notify_all();
    return kWasiThreadSpawnAgain;
  };
  Instance instance;
  try {
    instance = tmpl->instantiate();
  } catch (const std::exception&) {
    return release();
  }
  std::unique_lock lock(mutex);
  if (ending) {
    lock.unlock();
    return release();  // the instance goes at the return, outside the lock
  }
  uint32_t tid = next_tid++;
  live.emplace(tid, instance.interrupt_handle());
  tasks.push_back(Task{tid, arg, std::move(instance)});
  ++spawned;
  peak = std::max(peak, running);
  if (tasks.size() > idle) {
    workers.emplace_back([this] { worker(); });  // joined by finish()
  } else {
    work_cv.notify_one();
  }
  return static_cast<int32_t>(tid);
}

void WasiThreads::State::worker() {
  std::unique_lock lock(mutex);
  for (;;) {
    ++idle;
    work_cv.wait(lock, [&] { return !tasks.empty() || shutdown; });
    --idle;
    if (tasks.empty()) return;
    Task task = std::move(tasks.front());
    tasks.pop_front();
    bool skip = ending;
    lock.unlock();
    if (!skip) run_thread(task);
    task.instance = Instance();  // destroyed outside the lock
    lock.lock();
    live.erase(task.tid);
    --running;
    done_cv.notify_all();
  }
}

void WasiThreads::State::run_thread(Task& task) {
  try {
    task.instance.call("wasi_thread_start",
                       {Value::i32(static_cast<int32_t>(task.tid)), Value::i32(task.arg)});
  } catch (const WasiExit& e) {
    end(Outcome{e.code(), std::nullopt});
  } catch (const Trap& e) {
    std::string detail = "thread " + std::to_string(task.tid);
    if (!e.detail().empty()) detail += ": " + e.detail();
    end(Outcome{std::nullopt, Trap(e.kind(), detail)});
  } catch (const std::exception& e) {
    end(Outcome{std::nullopt, Trap(TrapKind::host_error,
                                   "thread " + std::to_string(task.tid) + ": " + e.what())});
  }
}

void WasiThreads::State::end(std::optional<Outcome> cause) {
  std::vector<InterruptHandle> targets;
  {
    std::lock_guard lock(mutex);
    if (!ending && cause) outcome = std::move(cause);
    ending = true;
    for (auto& [tid, h] : live) targets.push_back(h);
    done_cv.notify_all();
  }
  // Only calls running now are hit (never a later one): a thread that finished is not.
  main_interrupt.interrupt();
  for (const InterruptHandle& h : targets) h.interrupt();
}

void WasiThreads::State::finish() {
  end(std::nullopt);
  std::unique_lock lock(mutex);
  // A thread can be between its check of `ending` and the start of its call, where an
  // interrupt misses it: interrupt again until every thread has stopped.
  while (running > 0) {
    std::vector<InterruptHandle> targets;
    for (auto& [tid, h] : live) targets.push_back(h);
    lock.unlock();
    for (const InterruptHandle& h : targets) h.interrupt();
    lock.lock();
    done_cv.wait_for(lock, std::chrono::milliseconds(5), [&] { return running == 0; });
  }
  shutdown = true;
  work_cv.notify_all();
  std::vector<std::thread> pool = std::move(workers);
  lock.unlock();
  for (std::thread& t : pool) t.join();
}

WasiThreads::WasiThreads(Engine& engine, const Module& module, const Linker& linker,
                         const WasiConfig& config, TemplateOptions options)
    : state_(std::make_shared<State>()) {
  State& s = *state_;
  s.max_threads = std::max<uint32_t>(config.max_threads, 1);
  if (!imports_shared_memory(module))
    throw Error(
        "wasi-threads: the module imports no shared memory (build it with -Wl,--shared-memory "
        "-Wl,--import-memory): its threads could not share one");
  // The memories it imports, unless `linker` defines them already.
  Linker group_linker = linker;
  define_shared_memories(engine, group_linker, module);
  auto start = module.find_export("wasi_thread_start");
  if (!start || start->type.kind != ExternKind::func ||
      start->type.func != FuncType{{ValType::i32, ValType::i32}, {}})
    throw Error("wasi-threads: the module exports no function wasi_thread_start (i32, i32) -> ()");
  std::weak_ptr<State> weak = state_;
  group_linker.allow_shadowing(true);  // thread-spawn is the group's own
  for (const ImportDesc& imp : module.imports()) {
    if (!is_spawn_import(imp)) continue;
    group_linker.define_func(
        imp.module, imp.name, FuncType{{ValType::i32}, {ValType::i32}},
        [weak](Caller&, std::span<const Value> p, std::span<Value> r) {
          std::shared_ptr<State> self = weak.lock();
          r[0] = Value::i32(self ? self->spawn(p[0].as_i32()) : kWasiThreadSpawnAgain);
        });
  }
  s.ctx = WasiCtx::create(config);
  s.ctx->impl().shared = true;
  options.host_state = [ctx = s.ctx](Instance& i) { i.set_host_state(ctx); };
  options.snapshot.mode = SnapshotMode::off;
  s.tmpl = group_linker.instantiate_template(module, std::move(options));
  s.main = s.tmpl->instantiate();
  s.main_interrupt = s.main.interrupt_handle();
}

WasiThreads::~WasiThreads() {
  state_->finish();
}

std::vector<Value> WasiThreads::run(std::string_view name, std::span<const Value> args) {
  State& s = *state_;
  if (s.ran) throw Error("WasiThreads::run: the group has run already");
  s.ran = true;
  std::vector<Value> results;
  try {
    results = s.main.call(name, args);
  } catch (const WasiExit& e) {
    s.end(State::Outcome{e.code(), std::nullopt});
  } catch (const Trap& e) {
    s.end(State::Outcome{std::nullopt, e});
  }
  s.finish();
  std::lock_guard lock(s.mutex);
  if (s.outcome && s.outcome->exit_code) {
    s.ctx->impl().exit_code = *s.outcome->exit_code;  // every thread has stopped
    throw WasiExit(*s.outcome->exit_code);
  }
  if (s.outcome && s.outcome->trap) throw *s.outcome->trap;
  return results;
}

Instance& WasiThreads::main_instance() {
  return state_->main;
}

const std::shared_ptr<WasiCtx>& WasiThreads::ctx() const {
  return state_->ctx;
}

uint32_t WasiThreads::threads_spawned() const {
  std::lock_guard lock(state_->mutex);
  return state_->spawned;
}

uint32_t WasiThreads::peak_threads() const {
  std::lock_guard lock(state_->mutex);
  return state_->peak;
}

}  // namespace wisp
