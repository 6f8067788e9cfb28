// A live WebAssembly instance: calls (dynamic and typed), checked memory views, globals, interrupt.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <typeindex>
#include <typeinfo>
#include <vector>

#include "wisp/error.hpp"
#include "wisp/exception.hpp"
#include "wisp/module.hpp"
#include "wisp/value.hpp"

namespace wisp {

namespace detail {
struct InstanceImpl;
using GuardedThunk = void (*)(void* ctx);
// Runs `thunk(ctx)` as a trap-safe call on `inst`; throws Trap if the guest trapped.
void guarded_call(InstanceImpl* inst, GuardedThunk thunk, void* ctx);
// Resolves an exported function for typed calls; checks the signature (throws LinkError).
void bind_typed(InstanceImpl* inst, std::string_view name, const FuncType& expected,
                void (**code)(), void** vmctx);
// Per-instance host state, one slot per C++ type (see Instance::set_host_state).
void set_host_state(InstanceImpl* inst, std::type_index type, std::shared_ptr<void> state);
void* get_host_state(const InstanceImpl* inst, std::type_index type);
}  // namespace detail

// A checked view of one linear memory. Every (pointer, length) is validated against the current
// size; an out-of-range access throws Trap(out_of_bounds) and touches nothing.
class Memory {
 public:
  Memory() = default;
  uint64_t size() const;   // bytes
  uint32_t pages() const;  // 64 KiB pages
  std::optional<uint32_t> max_pages() const;
  std::vector<uint8_t> read(uint64_t ptr, uint64_t len) const;
  void write(uint64_t ptr, std::span<const uint8_t> bytes);
  // A writable span, valid until the next call into the instance or the next grow. It may be
  // handed to the kernel as a destination (read(2) into guest memory): it is prepared for that.
  std::span<uint8_t> span(uint64_t ptr, uint64_t len);
  // A read-only span, valid as long as span()'s.
  std::span<const uint8_t> view(uint64_t ptr, uint64_t len) const;
  std::string read_string(uint64_t ptr, uint64_t len) const;
  template <typename T>
  T load(uint64_t ptr) const {
    static_assert(std::is_trivially_copyable_v<T>);
    T v;
    std::memcpy(&v, checked(ptr, sizeof(T)), sizeof(T));
    return v;
  }
  template <typename T>
  void store(uint64_t ptr, const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    std::memcpy(checked(ptr, sizeof(T)), &v, sizeof(T));
  }
  // Grows by `delta` pages; returns the previous page count, or nullopt if refused.
  std::optional<uint32_t> grow(uint32_t delta);
  bool valid() const { return mem_ != nullptr; }

  explicit Memory(std::shared_ptr<detail::InstanceImpl> owner, void* mem)
      : owner_(std::move(owner)), mem_(mem) {}

 private:
  uint8_t* checked(uint64_t ptr, uint64_t len) const;
  std::shared_ptr<detail::InstanceImpl> owner_;
  void* mem_ = nullptr;  // wasm_rt_memory_t*
};

// An export of an instance, for linking into another module.
struct Extern {
  ExternKind kind = ExternKind::func;
  std::shared_ptr<detail::InstanceImpl> owner;
  uint32_t export_index = 0;
};

namespace detail {
struct HostGlobalState;
}

// A global created by the host rather than by a module (the WebAssembly JS API's
// `new WebAssembly.Global`), given to modules by Linker::define_global. Every module linked to
// it sees the same storage: a mutable one set here is seen by the guests at their next read, and
// a guest's global.set is seen by get(). Cheap to copy (shared handle); not thread-safe.
class Global {
 public:
  Global() = default;
  // A global of `type` holding `init` (which must have that type: else throws wisp::Error).
  Global(ValType type, bool mutable_, const Value& init);
  bool valid() const { return state_ != nullptr; }
  ValType type() const;
  bool is_mutable() const;
  Value get() const;
  // Throws wisp::Error if the global is immutable or `v` has another type.
  void set(const Value& v);
  const std::shared_ptr<detail::HostGlobalState>& state() const { return state_; }

 private:
  std::shared_ptr<detail::HostGlobalState> state_;
};

// A checked view of one funcref table of an instance (own or imported), for loaders that place
// functions in it (dynamic linking: wisp/dylink.hpp). An index past the size throws
// Trap(out_of_bounds) and changes nothing.
class Table {
 public:
  Table() = default;
  uint32_t size() const;
  std::optional<uint32_t> max_size() const;  // nullopt: no maximum
  // Grows by `delta` null elements; returns the previous size, or nullopt if refused (maximum,
  // Limits::max_table_elements).
  std::optional<uint32_t> grow(uint32_t delta);
  // Sets element `index` to function export `func`. The function must belong to the table's own
  // instance or to an instance that imports this table (whose end clears its elements, so none
  // dangles); anything else throws wisp::Error.
  void set(uint32_t index, const Extern& func);
  bool is_null(uint32_t index) const;
  bool valid() const { return table_ != nullptr; }

  explicit Table(std::shared_ptr<detail::InstanceImpl> owner, void* table)
      : owner_(std::move(owner)), table_(table) {}

 private:
  void check(uint32_t index) const;
  std::shared_ptr<detail::InstanceImpl> owner_;
  void* table_ = nullptr;  // wasm_rt_funcref_table_t*
};

// Lets another thread stop the call currently running on an instance. An interrupt aimed at one
// call never hits a later call. Thread-safe; cheap to copy.
class InterruptHandle {
 public:
  // Interrupts the running call (it ends with Trap(timeout)); returns false if none was running.
  bool interrupt() const;
  // The id of the call running now (0: none). interrupt_call(id) hits only that call.
  uint64_t current_call() const;
  bool interrupt_call(uint64_t call_id) const;

  explicit InterruptHandle(std::shared_ptr<void> state) : state_(std::move(state)) {}

 private:
  std::shared_ptr<void> state_;
};

template <typename Sig>
class TypedFunc;

// A live instance. Single-owner: use it from one thread at a time. Movable handle.
class Instance {
 public:
  Instance() = default;
  explicit Instance(std::shared_ptr<detail::InstanceImpl> impl) : impl_(std::move(impl)) {}

  // Calls an exported function with dynamically typed arguments (checked against the type).
  std::vector<Value> call(std::string_view name, std::span<const Value> args = {});
  std::vector<Value> call(std::string_view name, std::initializer_list<Value> args) {
    return call(name, std::span<const Value>(args.begin(), args.size()));
  }
  // The same without allocating: `results` must hold exactly the function's result count.
  void call(std::string_view name, std::span<const Value> args, std::span<Value> results);
  // A typed handle: the signature is checked once here, then calls are direct.
  template <typename Sig>
  TypedFunc<Sig> func(std::string_view name) const;

  // The named exported memory, or (empty name) the module's first memory.
  Memory memory(std::string_view name = {}) const;
  // The named exported funcref table (throws wisp::Error if there is none of that name, or it
  // holds externrefs).
  Table table(std::string_view name) const;
  Value global_get(std::string_view name) const;
  void global_set(std::string_view name, const Value& v);
  // The named exported tag (exception handling): to catch its exceptions (wisp::Exception::is)
  // or throw them from a host function.
  Tag tag(std::string_view name) const;
  std::optional<Extern> get_export(std::string_view name) const;

  const Module& module() const;
  Tier tier() const;
  // True once any call on this instance trapped (or exited): do not trust its state.
  bool trapped() const;
  InterruptHandle interrupt_handle() const;

  // Restores the template's snapshot: memory, globals and tables as a new instance would have
  // them (and the start function run again when it calls imports); with a host-state factory
  // (TemplateOptions::host_state) the host state is made anew too (for WASI: a fresh fd table
  // and empty buffers, from the config). Cost grows with the pages written since, not with
  // memory size. Clears trapped(). Throws wisp::Error if the module cannot be snapshotted (it
  // imports a memory, table or mutable global: see resettable()), or if reset verification is
  // on and finds a difference.
  void reset();
  bool resettable() const;
  // For real-time loops: makes every page of the instance's own memories resident, private and
  // writable now (no page fault on a later access: write tracking is turned off, the image's
  // pages are copied) and locks them in RAM (mlock). reset() keeps them locked; pages a
  // memory.grow adds later are not locked until lock_memory() is called again. Throws
  // wisp::Error naming the cause when the kernel refuses (RLIMIT_MEMLOCK without
  // CAP_IPC_LOCK). unlock_memory() undoes the lock; destroying the instance does too.
  void lock_memory();
  void unlock_memory();
  bool memory_locked() const;
  // Overrides the template's Limits::call_timeout for this instance (0 = none).
  void set_call_timeout(std::chrono::nanoseconds timeout);

  // Fuel (EngineConfig::consume_fuel): a deterministic limit on how much a call may execute,
  // in units of about one wasm instruction (exact rule: src/compile/emit/c_emitter.hpp). Calls
  // use up the instance's fuel; a call that needs more than is left ends with
  // Trap(out_of_fuel), and the instance then counts as trapped (strategies discard it with
  // DiscardReason::resource_limit). Fuel is the instance's own state: it starts at
  // Limits::fuel (0 there = unlimited), reset() restores it to that, and it carries over from
  // call to call otherwise; set it before each call (or lease) for a per-call budget.
  bool fuel_enabled() const;
  // Sets the fuel left (values above 2^63 - 1 are clamped to it). Throws wisp::Error if the
  // module was compiled without consume_fuel.
  void set_fuel(uint64_t fuel);
  // The fuel left (0 after an out_of_fuel trap). Throws wisp::Error without consume_fuel.
  uint64_t fuel_remaining() const;
  struct Usage {
    uint64_t memory_bytes = 0;    // linear memory size
    uint64_t resident_pages = 0;  // host pages of it in RAM, shared image pages included
    uint64_t written_pages = 0;   // host pages this instance has its own copy of
    bool from_snapshot = false;   // memory maps the snapshot image copy-on-write (threads: a copy)
    // Write tracking (SnapshotOptions::track_writes): the pages outside the resident set are
    // read-only now, so the next reset needs no system call unless a write leaves that set.
    bool write_tracked = false;
    uint64_t resets = 0;               // reset() calls that completed on this instance
    uint64_t resets_without_scan = 0;  // of which found only resident pages could differ
  };
  Usage usage() const;
  // Per-instance host state for host functions (for example a WASI context): one object per C++
  // type, owned by the instance, reached from a host function by Caller::host_state<T>(). Best
  // given by the template (TemplateOptions::host_state), which sets it before the start function
  // and init export run and renews it on reset(); set by hand, attach it after instantiation and
  // before the first call that needs it. Replacing it is allowed.
  template <typename T>
  void set_host_state(std::shared_ptr<T> state) {
    detail::set_host_state(impl_.get(), typeid(T),
                           std::static_pointer_cast<void>(std::move(state)));
  }
  // The state of type T, or nullptr if none is attached.
  template <typename T>
  T* host_state() const {
    return static_cast<T*>(detail::get_host_state(impl_.get(), typeid(T)));
  }

  explicit operator bool() const { return impl_ != nullptr; }
  const std::shared_ptr<detail::InstanceImpl>& impl() const { return impl_; }

 private:
  std::shared_ptr<detail::InstanceImpl> impl_;
};

template <typename R, typename... Args>
class TypedFunc<R(Args...)> {
 public:
  TypedFunc(std::shared_ptr<detail::InstanceImpl> inst, void (*code)(), void* vmctx)
      : inst_(std::move(inst)), code_(code), vmctx_(vmctx) {}

  R operator()(Args... args) const {
    struct Ctx {
      void (*code)();
      void* vm;
      std::tuple<Args...> args;
      std::conditional_t<std::is_void_v<R>, char, R> result;
    } ctx{code_, vmctx_, std::tuple<Args...>(args...), {}};
    detail::guarded_call(
        inst_.get(),
        [](void* p) {
          auto* c = static_cast<Ctx*>(p);
          auto fn = reinterpret_cast<R (*)(void*, Args...)>(c->code);
          std::apply(
              [&](Args... a) {
                if constexpr (std::is_void_v<R>) {
                  fn(c->vm, a...);
                } else {
                  c->result = fn(c->vm, a...);
                }
              },
              c->args);
        },
        &ctx);
    if constexpr (!std::is_void_v<R>) return ctx.result;
  }

 private:
  std::shared_ptr<detail::InstanceImpl> inst_;
  void (*code_)();
  void* vmctx_;
};

template <typename Sig>
TypedFunc<Sig> Instance::func(std::string_view name) const {
  return [&]<typename R, typename... Args>(std::type_identity<R(Args...)>) {
    FuncType ft;
    (ft.params.push_back(ValTypeOf<Args>::value), ...);
    if constexpr (!std::is_void_v<R>) ft.results.push_back(ValTypeOf<R>::value);
    void (*code)() = nullptr;
    void* vm = nullptr;
    detail::bind_typed(impl_.get(), name, ft, &code, &vm);
    return TypedFunc<R(Args...)>(impl_, code, vm);
  }(std::type_identity<Sig>{});
}

}  // namespace wisp
