// add_wasi: defines every wasi_snapshot_preview1 function in a Linker. Each definition finds the
// calling instance's WasiCtx, validates nothing itself (the functions check every guest pointer)
// and turns an ErrnoError into the function's errno result.
#include <algorithm>
#include <mutex>
#include <new>
#include <string_view>
#include <type_traits>

#include "wasi/functions.hpp"

namespace wisp {

namespace {

using namespace wasi_impl;

template <typename T>
constexpr ValType wasm_type() {
  static_assert(std::is_same_v<T, uint32_t> || std::is_same_v<T, uint64_t>);
  return std::is_same_v<T, uint32_t> ? ValType::i32 : ValType::i64;
}

template <typename T>
T arg(const Value& v) {
  if constexpr (std::is_same_v<T, uint32_t>) {
    return static_cast<uint32_t>(v.as_i32());
  } else {
    return static_cast<uint64_t>(v.as_i64());
  }
}

WasiCtx::Impl& ctx_of(Caller& caller) {
  WasiCtx* ctx = caller.host_state<WasiCtx>();
  if (!ctx) {
    throw Trap(TrapKind::host_error,
               "a WASI function was called on an instance without a WasiCtx (give the template "
               "one with TemplateOptions::host_state = WasiCtx::factory(config), or attach one "
               "with WasiCtx::attach before calling into the instance)");
  }
  return ctx->impl();
}

// Which functions to define: all, or only those `module` imports (nullptr: all).
struct Wanted {
  const Module* module;
  bool operator()(const char* name) const {
    if (!module) return true;
    for (const ImportDesc& imp : module->imports())
      if (imp.module == "wasi_snapshot_preview1" && imp.name == name) return true;
    return false;
  }
};

// Functions that read only what never changes after creation (args, env) or no context state at
// all: the threads of a shared context (wasi-threads) call them without its lock. proc_exit too,
// so that it cannot wait behind another thread's blocking read (it records its code in an
// unshared context only: a group keeps the first exit code itself).
bool lock_free(std::string_view name) {
  return name.starts_with("args_") || name.starts_with("environ_") || name.starts_with("clock_") ||
         name == "random_get" || name == "sched_yield" || name == "proc_raise" ||
         name == "proc_exit";
}

template <typename R, typename... A>
void define(Linker& linker, const Wanted& wanted, const char* name, R (*fn)(Call&, A...)) {
  if (!wanted(name)) return;
  FuncType type;
  (type.params.push_back(wasm_type<A>()), ...);
  if constexpr (!std::is_void_v<R>) type.results.push_back(ValType::i32);
  const bool locks = !lock_free(name);
  linker.define_func("wasi_snapshot_preview1", name, type,
                     [fn, locks](Caller& caller, std::span<const Value> p, std::span<Value> r) {
                       WasiCtx::Impl& ctx = ctx_of(caller);
                       std::unique_lock<std::mutex> lock;
                       if (ctx.shared && locks) lock = std::unique_lock(ctx.mutex);
                       Call call{ctx, GuestMem(caller.memory()), caller.instance(),
                                 lock.owns_lock() ? &lock : nullptr};
                       [&]<size_t... I>(std::index_sequence<I...>) {
                         if constexpr (std::is_void_v<R>) {
                           fn(call, arg<A>(p[I])...);
                         } else {
                           Errno e;
                           try {
                             e = fn(call, arg<A>(p[I])...);
                           } catch (const ErrnoError& x) {
                             e = x.code;
                           } catch (const std::bad_alloc&) {
                             e = E_NOMEM;
                           }
                           r[0] = Value::i32(e);
                         }
                       }
                       (std::index_sequence_for<A...>{});
                     });
}

void add_wasi_functions(Linker& linker, const Wanted& wanted) {
#define WISP_WASI(name) define(linker, wanted, #name, &wasi_impl::name)
  WISP_WASI(args_get);
  WISP_WASI(args_sizes_get);
  WISP_WASI(environ_get);
  WISP_WASI(environ_sizes_get);
  WISP_WASI(clock_res_get);
  WISP_WASI(clock_time_get);
  WISP_WASI(fd_advise);
  WISP_WASI(fd_allocate);
  WISP_WASI(fd_close);
  WISP_WASI(fd_datasync);
  WISP_WASI(fd_fdstat_get);
  WISP_WASI(fd_fdstat_set_flags);
  WISP_WASI(fd_fdstat_set_rights);
  WISP_WASI(fd_filestat_get);
  WISP_WASI(fd_filestat_set_size);
  WISP_WASI(fd_filestat_set_times);
  WISP_WASI(fd_pread);
  WISP_WASI(fd_prestat_get);
  WISP_WASI(fd_prestat_dir_name);
  WISP_WASI(fd_pwrite);
  WISP_WASI(fd_read);
  WISP_WASI(fd_readdir);
  WISP_WASI(fd_renumber);
  WISP_WASI(fd_seek);
  WISP_WASI(fd_sync);
  WISP_WASI(fd_tell);
  WISP_WASI(fd_write);
  WISP_WASI(path_create_directory);
  WISP_WASI(path_filestat_get);
  WISP_WASI(path_filestat_set_times);
  WISP_WASI(path_link);
  WISP_WASI(path_open);
  WISP_WASI(path_readlink);
  WISP_WASI(path_remove_directory);
  WISP_WASI(path_rename);
  WISP_WASI(path_symlink);
  WISP_WASI(path_unlink_file);
  WISP_WASI(poll_oneoff);
  WISP_WASI(proc_exit);
  WISP_WASI(proc_raise);
  WISP_WASI(sched_yield);
  WISP_WASI(random_get);
  WISP_WASI(sock_accept);
  WISP_WASI(sock_recv);
  WISP_WASI(sock_send);
  WISP_WASI(sock_shutdown);
#undef WISP_WASI
}

}  // namespace

void add_wasi(Linker& linker) {
  add_wasi_functions(linker, Wanted{nullptr});
}

void add_wasi(Linker& linker, const Module& module) {
  add_wasi_functions(linker, Wanted{&module});
}

bool imports_wasi(const Module& module) {
  const auto& imports = module.imports();
  return std::any_of(imports.begin(), imports.end(),
                     [](const ImportDesc& i) { return i.module == "wasi_snapshot_preview1"; });
}

}  // namespace wisp
